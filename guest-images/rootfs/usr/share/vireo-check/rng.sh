# rng: read 64 KiB from /dev/hwrng and time it.
check_rng() {
	local cur=none t0 ms
	[ -r /sys/class/misc/hw_random/rng_current ] && read -r cur < /sys/class/misc/hw_random/rng_current
	if [ ! -c /dev/hwrng ]; then
		echo "VIREO-CHECK rng result=fail reason=no-/dev/hwrng current=$cur"
		return 1
	fi
	vireo_ms; t0=$VIREO_MS
	dd if=/dev/hwrng of=/dev/null bs=65536 count=1 iflag=fullblock 2>/tmp/rng.err
	vireo_ms; ms=$((VIREO_MS - t0))
	vireo_dd_result /tmp/rng.err
	if [ "$VIREO_FULL" = 1 ]; then
		echo "VIREO-CHECK rng result=pass bytes=65536 ms=$ms current=$cur"
	else
		echo "VIREO-CHECK rng result=fail bytes=0 ms=$ms current=$cur${VIREO_ERR:+ error=$VIREO_ERR}"
		return 1
	fi
}
