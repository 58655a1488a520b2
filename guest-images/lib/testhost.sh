# vireo guest-images: test host part of guest-images/build (sourced).
# out/testhost/initramfs.cpio.gz: the initramfs of the L1 VM in which
# tests/testhost/run runs the integration tests on hosts without a usable
# /dev/kvm: busybox, testhost/init, and the distro kernel's modules for
# virtio-pci, virtiofs, KVM (amd and intel) and tun. The L1 kernel is
# out/distro/bzImage.
# Inputs: GI CACHE OUT MICRO_DIR DISTRO_DEB_ROOT DISTRO_KEY; install_module
# (distro-kernel.sh).
# Outputs: TESTHOST_DIR.

TESTHOST_MODULES="virtio virtio_ring virtio_pci virtio_pci_modern_dev virtio_pci_legacy_dev
 fuse virtiofs irqbypass kvm kvm_amd kvm_intel tun"

testhost_image() {
	local bbver key
	bbver=$(dpkg-query -W -f='${Version}' busybox-static)
	key=$({ echo "busybox-static $bbver $DISTRO_KEY $TESTHOST_MODULES"; cat "$GI/testhost/init" "$GI/lib/testhost.sh"; } | sha256sum | cut -c1-16)
	TESTHOST_DIR=$CACHE/testhost-$key
	if [ -f "$TESTHOST_DIR/DONE" ]; then
		log "test host: cached ($TESTHOST_DIR)"
	else
		testhost_build
	fi
	mkdir -p "$OUT/testhost"
	cmp -s "$TESTHOST_DIR/initramfs.cpio.gz" "$OUT/testhost/initramfs.cpio.gz" ||
		cp "$TESTHOST_DIR/initramfs.cpio.gz" "$OUT/testhost/initramfs.cpio.gz"
}

testhost_build() {
	local d=$TESTHOST_DIR stage=$TESTHOST_DIR/stage root=$DISTRO_DEB_ROOT kver m a
	log "test host: building in $d"
	rm -rf "$d"
	mkdir -p "$stage"/{bin,dev,proc,sys,newroot,lib/modules}
	cp /bin/busybox "$stage/bin/busybox"
	for a in $(/bin/busybox --list); do
		case $a in busybox|init|linuxrc) continue ;; esac
		ln -s busybox "$stage/bin/$a"
	done
	cp "$GI/testhost/init" "$stage/init"
	chmod 755 "$stage/init"
	kver=$(ls "$root/lib/modules")
	: > "$stage/lib/modules/vireo-load-order"
	python3 "$GI/lib/modorder.py" "$root/lib/modules/$kver" $TESTHOST_MODULES |
	while read -r m; do
		install_module "$root" "$kver" "$m" "$stage" >> "$stage/lib/modules/vireo-load-order"
	done
	cpio_list "$stage" > "$d/initramfs.list"
	"$MICRO_DIR/gen_init_cpio" "$d/initramfs.list" | gzip -6n > "$d/initramfs.cpio.gz"
	log "test host: $(wc -l < "$stage/lib/modules/vireo-load-order") modules"
	touch "$d/DONE"
}
