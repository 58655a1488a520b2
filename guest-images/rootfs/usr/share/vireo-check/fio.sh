# fio: block throughput on /dev/vda (its contents are destroyed by the
# write job) with fio from the tools disk: O_DIRECT, libaio. Each job runs
# vireo.fio_secs= seconds (default 10) and prints
#   VIREO-FIO <job> <fio terse v3 line>
# for the host (tests/bench/blk-bench) to parse.
check_fio() {
	local secs=${VIREO_FIO_SECS:-10} job name rest rw bs qd line rc=0
	mount-tools >/dev/null || { echo "VIREO-CHECK fio result=fail reason=no-tools-disk"; return 1; }
	for job in seqread:read:1M:8 randread-qd1:randread:4k:1 \
		randread-qd32:randread:4k:32 seqwrite:write:1M:8; do
		name=${job%%:*} rest=${job#*:}
		rw=${rest%%:*} rest=${rest#*:}
		bs=${rest%%:*} qd=${rest#*:}
		line=$(/tools/bin/fio --name="$name" --filename=/dev/vda \
			--direct=1 --ioengine=libaio --rw="$rw" --bs="$bs" \
			--iodepth="$qd" --runtime="$secs" --time_based \
			--invalidate=0 --output-format=terse --terse-version=3 2>/dev/null)
		if [ -n "$line" ]; then
			echo "VIREO-FIO $name $line"
		else
			echo "VIREO-CHECK fio job=$name result=fail"
			rc=1
		fi
	done
	[ $rc = 0 ] && echo "VIREO-CHECK fio result=pass"
	return $rc
}
