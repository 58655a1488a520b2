# vireo guest-images: distro kernel part of guest-images/build (sourced).
# Debian's current linux-image-*-cloud-amd64 (downloaded, extracted with
# dpkg-deb -x, not installed) + a gzip'd initramfs: the userland stage plus
# its virtio/vsock/ext4 modules, in modules.dep load order.
# Inputs: GI CACHE OUT MICRO_DIR USERLAND_DIR USERLAND_KEY.
# Outputs: DISTRO_DIR DISTRO_PKG DISTRO_VERSION DISTRO_CONFIG_HASH DISTRO_KEY
# DISTRO_DEB_ROOT (the extracted package).

DISTRO_META=linux-image-cloud-amd64
DISTRO_MODULES="virtio virtio_ring virtio_pci virtio_pci_modern_dev virtio_pci_legacy_dev
 virtio_mmio virtio_blk virtio_net net_failover failover virtio_console virtio_rng
 virtio_balloon vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport
 ext4 af_packet"

distro_kernel() {
	# apt-cache costs ~1 s: remember its answer until the apt lists change.
	local lists resolved
	lists=$(stat -c '%n %Y %s' /var/lib/apt/lists/*_Packages* 2>/dev/null | sha256sum | cut -c1-16)
	resolved=$CACHE/distro-resolved-$lists
	if [ -s "$resolved" ]; then
		read -r DISTRO_PKG DISTRO_VERSION < "$resolved"
	else
		DISTRO_PKG=$(apt-cache depends "$DISTRO_META" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ <]*\)$/\1/p' | head -n1)
		DISTRO_VERSION=
		[ -n "$DISTRO_PKG" ] && DISTRO_VERSION=$(apt-cache show --no-all-versions "$DISTRO_PKG" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
		[ -n "$DISTRO_VERSION" ] || die "distro kernel: cannot resolve $DISTRO_META with apt-cache (run 'apt-get update' first)"
		rm -f "$CACHE"/distro-resolved-*
		echo "$DISTRO_PKG $DISTRO_VERSION" > "$resolved"
	fi
	local debdir=$CACHE/deb-${DISTRO_PKG}_$DISTRO_VERSION key
	if [ ! -f "$debdir/DONE" ]; then
		log "distro kernel: downloading $DISTRO_PKG $DISTRO_VERSION"
		rm -rf "$debdir"; mkdir -p "$debdir"
		(cd "$debdir" && apt-get download -q -o APT::Sandbox::User=root "$DISTRO_PKG=$DISTRO_VERSION" >/dev/null)
		dpkg-deb -x "$debdir"/*.deb "$debdir/root"
		rm -f "$debdir"/*.deb
		# The package ships no modules.dep (postinst runs depmod): make one.
		depmod -b "$debdir/root" "$(ls "$debdir/root/lib/modules")"
		touch "$debdir/DONE"
	fi
	key=$({ echo "$DISTRO_PKG $DISTRO_VERSION $USERLAND_KEY $DISTRO_MODULES"; cat "$GI/lib/distro-kernel.sh" "$GI/lib/modorder.py"; } | sha256sum | cut -c1-16)
	DISTRO_DIR=$CACHE/distro-$key
	DISTRO_KEY=$key DISTRO_DEB_ROOT=$debdir/root
	if [ -f "$DISTRO_DIR/DONE" ]; then
		log "distro kernel: cached ($DISTRO_DIR)"
	else
		distro_kernel_build "$debdir/root"
	fi
	DISTRO_CONFIG_HASH=$(cat "$DISTRO_DIR/config-hash")
	mkdir -p "$OUT/distro"
	local f
	for f in bzImage initramfs.cpio.gz config; do
		cmp -s "$DISTRO_DIR/$f" "$OUT/distro/$f" || cp "$DISTRO_DIR/$f" "$OUT/distro/$f"
	done
}

# Copies module $3 (a modules.dep path) of $1/lib/modules/$2 into
# $4/lib/modules/$2, decompressed; prints its new path below lib/modules/.
install_module() {
	local root=$1 kver=$2 m=$3 dest=$4/lib/modules/$2 dst
	dst=${m%.xz}; dst=${dst%.zst}
	mkdir -p "$(dirname "$dest/$dst")"
	case $m in
	*.xz) xz -dc "$root/lib/modules/$kver/$m" > "$dest/$dst" ;;
	*.zst) zstd -qdc "$root/lib/modules/$kver/$m" > "$dest/$dst" ;;
	*) cp "$root/lib/modules/$kver/$m" "$dest/$dst" ;;
	esac
	echo "$kver/$dst"
}

distro_kernel_build() {
	local root=$1 d=$DISTRO_DIR kver mods
	log "distro kernel: building initramfs in $d"
	rm -rf "$d"; mkdir -p "$d/mods"
	kver=$(ls "$root/lib/modules")
	[ "$(echo "$kver" | wc -l)" = 1 ] || die "distro kernel: expected one module dir, got: $kver"
	cp "$root/boot/vmlinuz-$kver" "$d/bzImage"
	cp "$root/boot/config-$kver" "$d/config"
	sha256sum < "$d/config" | cut -d' ' -f1 > "$d/config-hash"
	# Module list in load order (deps first), relative to lib/modules/.
	python3 "$GI/lib/modorder.py" "$root/lib/modules/$kver" $DISTRO_MODULES > "$d/load-order.src"
	mkdir -p "$d/mods/lib/modules/$kver"
	cp "$root/lib/modules/$kver"/modules.{dep,builtin,order,alias} "$d/mods/lib/modules/$kver/" 2>/dev/null || true
	local m dst
	: > "$d/mods/lib/modules/vireo-load-order"
	while read -r m; do
		install_module "$root" "$kver" "$m" "$d/mods" >> "$d/mods/lib/modules/vireo-load-order"
	done < "$d/load-order.src"
	# modules.dep names compressed files; decompressed here, so fix names.
	sed -i 's/\.ko\.\(xz\|zst\)/.ko/g' "$d/mods/lib/modules/$kver/modules.dep"
	{ cat "$USERLAND_DIR/initramfs.list"; cpio_list "$d/mods" | grep -v -e '^nod ' -e '^dir /lib/modules 755 0 0$' -e '^dir /lib 755 0 0$'; } > "$d/initramfs.list"
	"$MICRO_DIR/gen_init_cpio" "$d/initramfs.list" | gzip -9n > "$d/initramfs.cpio.gz"
	echo "$kver" > "$d/kver"
	log "distro kernel: $kver, $(wc -l < "$d/mods/lib/modules/vireo-load-order") modules in initramfs"
	touch "$d/DONE"
}
