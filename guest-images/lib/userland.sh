# vireo guest-images: userland part of guest-images/build (sourced).
# Builds the busybox userland stage dir, out/initramfs.cpio (uncompressed
# newc, written by the kernel's gen_init_cpio: no root, owners 0:0, device
# nodes without mknod) and out/rootfs.ext4 (mke2fs -d, no mount).
# Inputs: GI CACHE OUT MICRO_DIR.  Outputs: USERLAND_DIR USERLAND_KEY.

userland() {
	local bbver
	bbver=$(dpkg-query -W -f='${Version}' busybox-static)
	USERLAND_KEY=$({ echo "busybox-static $bbver"; cat "$GI/init" "$GI/lib/userland.sh" "$GI/src/vsock-nc.c";
		(cd "$GI/rootfs" && find . -type f | LC_ALL=C sort | xargs cat; find . | LC_ALL=C sort); } | sha256sum | cut -c1-16)
	USERLAND_DIR=$CACHE/userland-$USERLAND_KEY
	if [ -f "$USERLAND_DIR/DONE" ]; then
		log "userland: cached ($USERLAND_DIR)"
	else
		userland_build
	fi
	local f
	for f in initramfs.cpio rootfs.ext4; do
		cmp -s "$USERLAND_DIR/$f" "$OUT/$f" || cp "$USERLAND_DIR/$f" "$OUT/$f"
	done
}

# gen_init_cpio list of a directory tree (owners 0:0), plus /dev/console
# so the kernel can open the initial console before devtmpfs is mounted.
cpio_list() {	# $1 = stage dir
	echo "nod /dev/console 0600 0 0 c 5 1"
	(cd "$1" && find . -mindepth 1 -printf '%y %P %m %l\n' | LC_ALL=C sort -k2) |
	while read -r type path mode link; do
		case $type in
		d) echo "dir /$path $mode 0 0" ;;
		f) echo "file /$path $1/$path $mode 0 0" ;;
		l) echo "slink /$path $link 777 0 0" ;;
		*) die "cpio_list: unsupported file type $type: $path" ;;
		esac
	done
}

userland_build() {
	local d=$USERLAND_DIR stage=$USERLAND_DIR/stage a
	log "userland: building in $d"
	rm -rf "$d"
	mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,root,etc,lib/modules,usr/bin,usr/sbin,mnt,run}
	cp /bin/busybox "$stage/bin/busybox"
	for a in $(/bin/busybox --list); do
		case $a in busybox|init|linuxrc) continue ;; esac
		ln -s busybox "$stage/bin/$a"
	done
	cp -a "$GI/rootfs/." "$stage/"
	install -m 0755 "$GI/init" "$stage/init"
	# busybox has no vsock: our own static client/server.
	gcc -static -Os -o "$stage/usr/bin/vsock-nc" "$GI/src/vsock-nc.c" ||
		die "userland: cannot build vsock-nc"
	strip "$stage/usr/bin/vsock-nc"
	ln -s ../init "$stage/sbin/init"
	chmod 1777 "$stage/tmp"
	printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
	printf 'root:x:0:\n' > "$stage/etc/group"
	printf 'vireo\n' > "$stage/etc/hostname"
	printf 'export PS1="vireo# "\n' > "$stage/etc/profile"
	cpio_list "$stage" > "$d/initramfs.list"
	"$MICRO_DIR/gen_init_cpio" "$d/initramfs.list" > "$d/initramfs.cpio"
	truncate -s 64M "$d/rootfs.ext4"
	mke2fs -q -F -t ext4 -L vireo-root -U 6d1c0a5e-7a9e-4c52-9b1f-5e0e5a11c0de \
		-E root_owner=0:0,hash_seed=6d1c0a5e-7a9e-4c52-9b1f-5e0e5a11c0de \
		-d "$stage" "$d/rootfs.ext4"
	touch "$d/DONE"
}
