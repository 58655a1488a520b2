# fio: block throughput on /dev/vda (its contents are destroyed by the
# write job) with fio from the tools disk: O_DIRECT, libaio, one fio run
# (loading fio and its libraries from disk is slow in this guest) with the
# jobs one after another, each vireo.fio_secs= seconds (default 10). Prints
#   VIREO-FIO <job> <fio terse v3 line>
# for the host (tests/bench/blk-bench) to parse.
check_fio() {
	local secs=${VIREO_FIO_SECS:-10} line name n=0
	mount-tools >/dev/null || { echo "VIREO-CHECK fio result=fail reason=no-tools-disk"; return 1; }
	/tools/bin/fio --output-format=terse --terse-version=3 \
		--filename=/dev/vda --direct=1 --ioengine=libaio \
		--runtime="$secs" --time_based --invalidate=0 \
		--name=seqread --rw=read --bs=1M --iodepth=8 \
		--name=randread-qd1 --stonewall --rw=randread --bs=4k --iodepth=1 \
		--name=randread-qd32 --stonewall --rw=randread --bs=4k --iodepth=32 \
		--name=seqwrite --stonewall --rw=write --bs=1M --iodepth=8 \
		> /tmp/fio.out 2>/tmp/fio.err
	while read -r line; do
		case $line in
		3\;*)
			name=${line#3;*;} name=${name%%;*}
			echo "VIREO-FIO $name $line"
			n=$((n + 1))
			;;
		esac
	done < /tmp/fio.out
	if [ $n = 4 ]; then
		echo "VIREO-CHECK fio result=pass"
		return 0
	fi
	echo "VIREO-CHECK fio result=fail jobs=$n error=$(head -c 200 /tmp/fio.err | tr ' \n' __)"
	return 1
}
