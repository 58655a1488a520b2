# blkfs: an ext4 filesystem on a virtio-blk disk, across boots. Needs the
# tools disk (mkfs.ext4) and a data disk /dev/vda it may wipe. Phase from
# vireo.blkfs=:
#   write   mkfs.ext4 /dev/vda, write a 16 MiB file, sync, print its
#           sha256; write a small file with fsync (dd conv=fsync), print
#           its sha256 and VIREO-BLKFS-FSYNCED, then wait to be killed.
#   verify  mount /dev/vda, print both files' sha256; try to write the
#           read-only tools disk (must fail) and read it; delete the big
#           file, fstrim, print what was trimmed.
# Also prints each disk's serial and blk-mq hardware queue count.
blkfs_sha() {	# $1 = file -> BLKFS_SHA
	local s
	s=$(sha256sum "$1") || { BLKFS_SHA=none; return 1; }
	BLKFS_SHA=${s%% *}
}

check_blkfs() {
	local d name serial nq t0
	for d in /sys/block/vd*; do
		name=${d##*/}
		serial=; [ -r "$d/serial" ] && read -r serial < "$d/serial"
		nq=0; for q in "$d"/mq/*; do [ -d "$q" ] && nq=$((nq + 1)); done
		echo "VIREO-CHECK blkfs dev=$name serial=${serial:-none} mq=$nq"
	done
	mount-tools || { echo "VIREO-CHECK blkfs result=fail reason=no-tools-disk"; return 1; }
	mkdir -p /mnt/data
	case $VIREO_BLKFS in
	write)
		vireo_ms; t0=$VIREO_MS
		/tools/bin/mkfs.ext4 -F -q -L vireo-data /dev/vda ||
			{ echo "VIREO-CHECK blkfs result=fail reason=mkfs"; return 1; }
		mount -t ext4 /dev/vda /mnt/data ||
			{ echo "VIREO-CHECK blkfs result=fail reason=mount"; return 1; }
		vireo_ms; echo "VIREO-CHECK blkfs mkfs_mount_ms=$((VIREO_MS - t0))"
		# 16 MiB that never repeats: 4 KiB fresh randomness, then the
		# tools disk's libraries (urandom is slow in this guest).
		vireo_ms; t0=$VIREO_MS
		dd if=/dev/urandom of=/tmp/blkfs.rnd bs=4k count=1 2>/dev/null
		cat /tmp/blkfs.rnd /tools/lib/* | head -c 16777216 > /mnt/data/big
		sync
		vireo_ms; echo "VIREO-CHECK blkfs write_ms=$((VIREO_MS - t0))"
		blkfs_sha /mnt/data/big
		echo "VIREO-CHECK blkfs big_bytes=$(wc -c < /mnt/data/big) big_sha256=$BLKFS_SHA"
		dd if=/dev/urandom of=/tmp/blkfs.small bs=4k count=1 2>/dev/null
		dd if=/tmp/blkfs.small of=/mnt/data/fsynced bs=4k conv=fsync 2>/dev/null ||
			{ echo "VIREO-CHECK blkfs result=fail reason=fsync"; return 1; }
		blkfs_sha /mnt/data/fsynced
		echo "VIREO-CHECK blkfs fsynced_sha256=$BLKFS_SHA"
		echo "VIREO-BLKFS-FSYNCED"
		# The host kills vireo now; nothing after this may matter.
		while :; do sleep 3600; done
		;;
	verify)
		mount -t ext4 /dev/vda /mnt/data ||
			{ echo "VIREO-CHECK blkfs result=fail reason=mount"; return 1; }
		blkfs_sha /mnt/data/big
		echo "VIREO-CHECK blkfs big_bytes=$(wc -c < /mnt/data/big) big_sha256=$BLKFS_SHA"
		blkfs_sha /mnt/data/fsynced
		echo "VIREO-CHECK blkfs fsynced_sha256=$BLKFS_SHA"
		# Read-only disk: the write must fail, a read must work.
		if dd if=/dev/zero of=/dev/vdb bs=512 count=1 conv=fsync 2>/dev/null; then
			echo "VIREO-CHECK blkfs ro_write=succeeded"
		else
			echo "VIREO-CHECK blkfs ro_write=failed"
		fi
		dd if=/dev/vdb of=/dev/null bs=64k count=16 iflag=direct 2>/tmp/blkfs.err
		vireo_dd_result /tmp/blkfs.err
		echo "VIREO-CHECK blkfs ro_read_blocks=$VIREO_FULL"
		rm /mnt/data/big
		sync
		echo "VIREO-CHECK blkfs fstrim=$(fstrim -v /mnt/data 2>&1 | tr ' ' _)"
		umount /mnt/data
		;;
	*)
		echo "VIREO-CHECK blkfs result=fail reason=no-phase"
		return 1
		;;
	esac
	echo "VIREO-CHECK blkfs result=pass"
}
