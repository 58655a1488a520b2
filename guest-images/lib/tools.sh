# vireo guest-images: tools image part of guest-images/build (sourced).
# out/tools.ext4: a read-only ext4 image (label vireo-tools) with host
# Debian binaries (e2fsprogs' mke2fs/e2fsck, fio, iperf3, ethtool) plus their
# complete ldd closure and the dynamic loader, runnable in the micro guest
# (busybox only, no libc) once mounted at /tools: /tools/bin/<tool> are
# busybox sh wrappers that exec
#   /tools/lib64/ld-linux-x86-64.so.2 --library-path /tools/lib \
#       --argv0 <tool> /tools/libexec/<binary> "$@"
# (argv0 matters: mkfs.ext4 is mke2fs by its name).  Guest side:
# rootfs/usr/bin/mount-tools.  Built with mke2fs -d (no mount, no root).
# Inputs: GI CACHE OUT.  Outputs: TOOLS_DIR TOOLS_KEY.

# <name in /tools/bin>:<host binary>[:<libexec name>] (links share the binary)
TOOLS_BINS="mke2fs:/sbin/mke2fs mkfs.ext4:/sbin/mke2fs:mke2fs
 e2fsck:/sbin/e2fsck fsck.ext4:/sbin/e2fsck:e2fsck
 fio:/usr/bin/fio iperf3:/usr/bin/iperf3 ethtool:/usr/sbin/ethtool"
# Packages whose versions are recorded (key, manifest, /tools/VERSIONS).
TOOLS_PKGS="e2fsprogs fio iperf3 libiperf0 libaio1 libc6 ethtool libmnl0"
TOOLS_LABEL=vireo-tools
TOOLS_UUID=7e0c1a5e-7a9e-4c52-9b1f-5e0e5a11c0de

# Real paths of every shared object the binaries need (ldd closure, loader
# included), one per line as "<soname> <path>".
tools_closure() {
	local bins b
	bins=$(for b in $TOOLS_BINS; do echo "${b#*:}" | cut -d: -f1; done | sort -u)
	# shellcheck disable=SC2086
	ldd $bins | awk '
		/not found/ { print "MISSING " $1; next }
		$2 == "=>" && $3 ~ /^\// { print $1, $3; next }
		$1 ~ /^\/.*ld-linux/ { n = $1; sub(/.*\//, "", n); print "LOADER:" n, $1 }' | sort -u
}

tools_image() {
	local vers closure key
	# shellcheck disable=SC2086
	vers=$(dpkg-query -W -f='${Package} ${Version}\n' $TOOLS_PKGS) ||
		die "tools: missing packages (need $TOOLS_PKGS; see packages.txt)"
	closure=$(tools_closure)
	if grep -q '^MISSING' <<<"$closure"; then
		die "tools: unresolved libraries: $(grep '^MISSING' <<<"$closure" | tr '\n' ' ')"
	fi
	# Key: package versions, this script, and the identity (path, size,
	# mtime) of every binary and library copied, so a library update
	# (e.g. libssl3) rebuilds the image too.
	key=$({ echo "$vers"; cat "$GI/lib/tools.sh"; echo "$closure";
		for b in $TOOLS_BINS; do echo "${b#*:}" | cut -d: -f1; done | sort -u |
			xargs stat -L -c '%n %s %Y'; awk '{print $2}' <<<"$closure" | xargs stat -L -c '%n %s %Y';
		stat -L -c '%n %s %Y' /etc/mke2fs.conf; } | sha256sum | cut -c1-16)
	# shellcheck disable=SC2034  # output, like USERLAND_KEY
	TOOLS_KEY=$key
	TOOLS_DIR=$CACHE/tools-$key
	if [ -f "$TOOLS_DIR/DONE" ]; then
		log "tools: cached ($TOOLS_DIR)"
	else
		tools_build "$vers" "$closure"
	fi
	# out/tools.ext4 may be open in a running guest: replace it (rename), do
	# not rewrite it in place; skip when size and mtime already match.
	if [ "$(stat -c '%s %Y' "$TOOLS_DIR/tools.ext4")" != "$(stat -c '%s %Y' "$OUT/tools.ext4" 2>/dev/null)" ]; then
		cp --preserve=timestamps "$TOOLS_DIR/tools.ext4" "$OUT/.tools.ext4.tmp"
		mv -f "$OUT/.tools.ext4.tmp" "$OUT/tools.ext4"
	fi
}

tools_wrapper() {	# $1 = name in /tools/bin, $2 = binary in /tools/libexec
	cat <<EOF
#!/bin/sh
# vireo tools image (guest-images/lib/tools.sh): runs the host's Debian
# $2 with the image's own loader and libraries.  The image is mounted at
# /tools (mount-tools); VIREO_TOOLS=DIR if it is mounted elsewhere.
T=\${VIREO_TOOLS:-/tools}
export MKE2FS_CONFIG=\${MKE2FS_CONFIG:-\$T/etc/mke2fs.conf}
exec "\$T/lib64/ld-linux-x86-64.so.2" --library-path "\$T/lib" --argv0 "$1" "\$T/libexec/$2" "\$@"
EOF
}

tools_build() {	# $1 = package versions, $2 = closure
	local d=$TOOLS_DIR stage=$TOOLS_DIR/stage b name src exe soname path kib mib
	log "tools: building in $d"
	rm -rf "$d"
	mkdir -p "$stage"/{bin,libexec,lib,lib64,etc}
	while read -r soname path; do
		case $soname in
		LOADER:*) cp -L "$path" "$stage/lib64/${soname#LOADER:}" ;;
		*) cp -L "$path" "$stage/lib/$soname" ;;
		esac
	done <<<"$2"
	[ -x "$stage/lib64/ld-linux-x86-64.so.2" ] || die "tools: no ld-linux-x86-64.so.2 in the ldd closure"
	for b in $TOOLS_BINS; do
		name=${b%%:*}; src=$(echo "${b#*:}" | cut -d: -f1); exe=$(echo "$b" | cut -d: -f3)
		exe=${exe:-$name}
		[ -e "$stage/libexec/$exe" ] || cp -L "$src" "$stage/libexec/$exe"
		tools_wrapper "$name" "$exe" > "$stage/bin/$name"
	done
	# mke2fs works without a config file (it has the same defaults
	# compiled in); ship Debian's so the guest formats as the host does.
	cp /etc/mke2fs.conf "$stage/etc/mke2fs.conf"
	echo "$1" > "$stage/VERSIONS"
	chmod -R u=rwX,go=rX "$stage"
	chmod 0755 "$stage"/bin/* "$stage"/libexec/* "$stage"/lib64/*
	# Size: the files + 10% + 8 MiB (metadata, inode tables), whole MiB.
	kib=$(du -sk "$stage" | cut -f1)
	mib=$(( (kib * 11 / 10 + 8192 + 1023) / 1024 ))
	truncate -s "${mib}M" "$d/tools.ext4"
	mke2fs -q -F -t ext4 -b 4096 -i 65536 -m 0 -O ^has_journal \
		-L "$TOOLS_LABEL" -U "$TOOLS_UUID" \
		-E root_owner=0:0,hash_seed=$TOOLS_UUID \
		-d "$stage" "$d/tools.ext4"
	python3 - "$d/info.json" "$mib" "$kib" "$1" "$(cd "$stage/bin" && ls | tr '\n' ' ')" "$TOOLS_LABEL" <<'PY'
import json, sys
path, mib, kib, vers, bins, label = sys.argv[1:]
json.dump({
    "image": "tools.ext4",
    "label": label,
    "mount": "/tools",
    "size_mib": int(mib),
    "content_kib": int(kib),
    "bin": bins.split(),
    "packages": dict(l.split(" ", 1) for l in vers.splitlines()),
}, open(path, "w"), indent=2)
PY
	rm -rf "$stage"
	touch "$d/DONE"
}
