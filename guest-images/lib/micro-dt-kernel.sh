# vireo guest-images: micro-dt kernel part of guest-images/build (sourced).
# The micro kernel plus device tree support (micro-dt.config,
# patches/micro-dt/*.patch): what `vireo run --dtb` boots. Its own cache
# part (microdt-<key>), so it never evicts a micro build.
# Its text is part of the cache key: any change here rebuilds.
#
# Inputs:  GI (guest-images dir), CACHE (cache root), OUT (output dir)
# Outputs: MICRO_DT_DIR (cache dir with vmlinux, bzImage, System.map,
#          config), MICRO_DT_VERSION, MICRO_DT_CONFIG_HASH

micro_dt_kernel() {
	MICRO_DT_VERSION=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	MICRO_DT_CONFIG_HASH=$(cat "$GI/micro.config" "$GI/micro-dt.config" "$GI"/patches/*.patch "$GI"/patches/micro-dt/*.patch | sha256sum | cut -d' ' -f1)
	local key
	key=$({
		echo "linux-source-6.1 $MICRO_DT_VERSION"
		cat "$GI/micro.config" "$GI/micro-dt.config" "$GI"/patches/*.patch "$GI"/patches/micro-dt/*.patch "$GI/lib/micro-dt-kernel.sh"
	} | sha256sum | cut -c1-16)
	MICRO_DT_DIR=$CACHE/microdt-$key
	if [ -f "$MICRO_DT_DIR/DONE" ]; then
		log "micro-dt kernel: cached ($MICRO_DT_DIR)"
	else
		micro_dt_kernel_build
	fi
	mkdir -p "$OUT/micro-dt"
	local f
	for f in vmlinux bzImage System.map config; do
		cmp -s "$MICRO_DT_DIR/$f" "$OUT/micro-dt/$f" || cp "$MICRO_DT_DIR/$f" "$OUT/micro-dt/$f"
	done
}

micro_dt_kernel_build() {
	local src=$MICRO_DT_DIR/src t0=$SECONDS p
	log "micro-dt kernel: building in $MICRO_DT_DIR (takes minutes)"
	rm -rf "$MICRO_DT_DIR"
	mkdir -p "$MICRO_DT_DIR"
	tar -C "$MICRO_DT_DIR" -xf /usr/src/linux-source-6.1.tar.xz
	mv "$MICRO_DT_DIR/linux-source-6.1" "$src"
	for p in "$GI"/patches/*.patch "$GI"/patches/micro-dt/*.patch; do
		log "  patch ${p#"$GI"/patches/}"
		patch -d "$src" -p1 -s --forward --no-backup-if-mismatch < "$p"
	done
	make -C "$src" -s ARCH=x86_64 tinyconfig
	(cd "$src" && KCONFIG_CONFIG=.config scripts/kconfig/merge_config.sh -m .config "$GI/micro.config" "$GI/micro-dt.config" >/dev/null)
	make -C "$src" -s ARCH=x86_64 olddefconfig
	micro_dt_verify_config "$src/.config" "$GI/micro.config" "$GI/micro-dt.config"
	make -C "$src" -s ARCH=x86_64 -j"$(nproc)" vmlinux bzImage
	if ! readelf -n "$src/vmlinux" | grep -q 'Xen.*0x00000012'; then
		die "micro-dt kernel: vmlinux has no PVH (Xen PHYS32_ENTRY) ELF note"
	fi
	cp "$src/vmlinux" "$src/System.map" "$MICRO_DT_DIR/"
	cp "$src/arch/x86/boot/bzImage" "$MICRO_DT_DIR/bzImage"
	cp "$src/.config" "$MICRO_DT_DIR/config"
	echo "$((SECONDS - t0))" > "$MICRO_DT_DIR/build-seconds"
	# The object tree (~1.5 GB) is not needed once the images are out.
	rm -rf "$src"
	touch "$MICRO_DT_DIR/DONE"
	log "micro-dt kernel: built in $((SECONDS - t0)) s"
}

# Same rule as micro_kernel_verify_config, over both fragments: the later
# fragment wins for an option both name.
micro_dt_verify_config() {
	local cfg=$1 line name bad=()
	shift
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$cfg" || bad+=("wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$cfg" || echo 'absent')")
			;;
		"# CONFIG_"*" is not set")
			name=${line#\# }; name=${name%% *}
			if grep -q "^$name=" "$cfg"; then bad+=("wanted $name off, got: $(grep "^$name=" "$cfg")"); fi
			;;
		esac
	done < <(cat "$@" | awk '/^CONFIG_/ {n=$0; sub(/=.*/, "", n)} /^# CONFIG_.* is not set/ {n=$2} n != "" {last[n]=$0; order[++k]=n; n=""} END {for (i=1; i<=k; i++) if (!(order[i] in seen)) {seen[order[i]]=1; print last[order[i]]}}')
	if [ ${#bad[@]} -gt 0 ]; then
		printf 'micro-dt config: %s\n' "${bad[@]}" >&2
		die "micro-dt kernel: ${#bad[@]} option(s) of micro.config + micro-dt.config did not survive olddefconfig"
	fi
	log "micro-dt kernel: all options of micro.config + micro-dt.config verified in .config"
}
