# blk: read 4 MiB (or all of a smaller disk) from /dev/vda; write + read back + compare 256 KiB at the
# start of each scratch disk: those named in vireo.scratch=vdX[,vdY] or
# whose virtio serial starts with "scratch". Never writes to other disks.
check_blk() {
	local d name sectors serial t0 rc=0 scratch q nq
	if [ ! -b /dev/vda ]; then
		echo "VIREO-CHECK blk devices=0"
		return 0
	fi
	for d in /sys/block/vd*; do
		name=${d##*/}
		read -r sectors < "$d/size"
		serial=; [ -r "$d/serial" ] && read -r serial < "$d/serial"
		nq=0; for q in "$d"/mq/*; do [ -d "$q" ] && nq=$((nq + 1)); done
		echo "VIREO-CHECK blk dev=$name size_kb=$((sectors / 2)) serial=${serial:-none} mq=$nq"
	done
	vireo_ms; t0=$VIREO_MS
	# O_DIRECT: the page-cache copy would run in emulated kernel code.
	dd if=/dev/vda of=/dev/null bs=1M count=4 iflag=direct 2>/tmp/blk.err
	vireo_ms; vireo_dd_result /tmp/blk.err
	echo "VIREO-CHECK blk dev=vda read_bytes=$((VIREO_FULL * 1048576)) read_ms=$((VIREO_MS - t0))${VIREO_ERR:+ error=$VIREO_ERR}"
	[ "$VIREO_FULL" -gt 0 ] || rc=1
	for d in /sys/block/vd*; do
		name=${d##*/}
		serial=; [ -r "$d/serial" ] && read -r serial < "$d/serial"
		case ",$VIREO_SCRATCH," in
		*",$name,"*) scratch=1 ;;
		*) case $serial in scratch*) scratch=1 ;; *) scratch= ;; esac ;;
		esac
		[ -n "$scratch" ] || continue
		# Pattern: 4 KiB of fresh random data (so stale disk contents
		# cannot pass) + 252 KiB of /bin/busybox (urandom is slow here).
		dd if=/dev/urandom of=/tmp/blk.pat bs=4k count=1 2>/dev/null
		dd if=/bin/busybox bs=4k count=63 >> /tmp/blk.pat 2>/dev/null
		vireo_ms; t0=$VIREO_MS
		if dd if=/tmp/blk.pat of="/dev/$name" bs=64k oflag=direct conv=fsync 2>/dev/null &&
		   dd if="/dev/$name" of=/tmp/blk.back bs=64k count=4 iflag=direct 2>/dev/null &&
		   cmp -s /tmp/blk.pat /tmp/blk.back; then
			vireo_ms
			echo "VIREO-CHECK blk dev=$name write_verify=ok bytes=262144 ms=$((VIREO_MS - t0))"
		else
			echo "VIREO-CHECK blk dev=$name write_verify=mismatch"
			rc=1
		fi
		rm -f /tmp/blk.pat /tmp/blk.back
	done
	if [ $rc = 0 ]; then
		echo "VIREO-CHECK blk result=pass"
	else
		echo "VIREO-CHECK blk result=fail"
	fi
	return $rc
}
