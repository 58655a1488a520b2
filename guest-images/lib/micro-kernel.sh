# vireo guest-images: micro kernel part of guest-images/build (sourced).
# Its text is part of the micro kernel cache key: any change here rebuilds.
#
# Inputs:  GI (guest-images dir), CACHE (cache root), OUT (output dir)
# Outputs: MICRO_DIR (cache dir with vmlinux, bzImage, System.map, config,
#          gen_init_cpio), MICRO_VERSION, MICRO_CONFIG_HASH

micro_kernel() {
	MICRO_VERSION=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	MICRO_CONFIG_HASH=$(cat "$GI/micro.config" "$GI"/patches/*.patch | sha256sum | cut -d' ' -f1)
	local key
	key=$({ echo "linux-source-6.1 $MICRO_VERSION"; cat "$GI/micro.config" "$GI"/patches/*.patch "$GI/lib/micro-kernel.sh"; } | sha256sum | cut -c1-16)
	MICRO_DIR=$CACHE/micro-$key
	if [ -f "$MICRO_DIR/DONE" ]; then
		log "micro kernel: cached ($MICRO_DIR)"
	else
		micro_kernel_build
	fi
	mkdir -p "$OUT/micro"
	local f
	for f in vmlinux bzImage System.map config; do
		cmp -s "$MICRO_DIR/$f" "$OUT/micro/$f" || cp "$MICRO_DIR/$f" "$OUT/micro/$f"
	done
}

micro_kernel_build() {
	local src=$MICRO_DIR/src t0=$SECONDS
	log "micro kernel: building in $MICRO_DIR (takes minutes)"
	rm -rf "$MICRO_DIR"
	mkdir -p "$MICRO_DIR"
	tar -C "$MICRO_DIR" -xf /usr/src/linux-source-6.1.tar.xz
	mv "$MICRO_DIR/linux-source-6.1" "$src"
	local p
	for p in "$GI"/patches/*.patch; do
		log "  patch $(basename "$p")"
		patch -d "$src" -p1 -s --forward --no-backup-if-mismatch < "$p"
	done
	make -C "$src" -s ARCH=x86_64 tinyconfig
	(cd "$src" && KCONFIG_CONFIG=.config scripts/kconfig/merge_config.sh -m .config "$GI/micro.config" >/dev/null)
	make -C "$src" -s ARCH=x86_64 olddefconfig
	micro_kernel_verify_config "$src/.config"
	make -C "$src" -s ARCH=x86_64 -j"$(nproc)" vmlinux bzImage
	if ! readelf -n "$src/vmlinux" | grep -q 'Xen.*0x00000012'; then
		die "micro kernel: vmlinux has no PVH (Xen PHYS32_ENTRY) ELF note"
	fi
	cp "$src/vmlinux" "$src/System.map" "$MICRO_DIR/"
	cp "$src/arch/x86/boot/bzImage" "$MICRO_DIR/bzImage"
	cp "$src/.config" "$MICRO_DIR/config"
	cp "$src/usr/gen_init_cpio" "$MICRO_DIR/gen_init_cpio"
	echo "$((SECONDS - t0))" > "$MICRO_DIR/build-seconds"
	touch "$MICRO_DIR/DONE"
	log "micro kernel: built in $((SECONDS - t0)) s"
}

# Every CONFIG_X=value line of the fragment must be in .config verbatim,
# every "# CONFIG_X is not set" must have no CONFIG_X= line.
micro_kernel_verify_config() {
	local cfg=$1 line name bad=()
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
	done < "$GI/micro.config"
	if [ ${#bad[@]} -gt 0 ]; then
		printf 'micro.config: %s\n' "${bad[@]}" >&2
		die "micro kernel: ${#bad[@]} option(s) of guest-images/micro.config did not survive olddefconfig"
	fi
	log "micro kernel: all options of micro.config verified in .config"
}
