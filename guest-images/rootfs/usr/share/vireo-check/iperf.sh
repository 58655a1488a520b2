# iperf: TCP throughput with the gateway using iperf3 from the tools disk
# (--disk guest-images/out/tools.ext4,ro) against `iperf3 -s` on the host
# side. eth0 must be up: run after the net check (vireo.check=net,iperf).
# Guest->host then host->guest (-R), vireo.iperf_secs= seconds each
# (default 10), vireo.iperf_streams= parallel streams (default 1); prints
# for the host (tests/bench/net-bench) to parse:
#   VIREO-IPERF tx|rx <iperf3 receiver summary line (all streams), Kbits/sec>
check_iperf() {
	local secs=10 streams=1 gw=${VIREO_NET:-10.0.2.15/24,10.0.2.2} w dir flag line rc=0
	for w in $CMDLINE; do
		case $w in
		vireo.iperf_secs=*) secs=${w#vireo.iperf_secs=} ;;
		vireo.iperf_streams=*) streams=${w#vireo.iperf_streams=} ;;
		esac
	done
	gw=${gw#*,}
	mount-tools >/dev/null || { echo "VIREO-CHECK iperf result=fail reason=no-tools-disk"; return 1; }
	for dir in tx rx; do
		flag=
		[ $dir = rx ] && flag=-R
		line=$(/tools/bin/iperf3 -4 -c "$gw" -t "$secs" -P "$streams" $flag -f k 2>&1 | grep receiver | tail -n 1)
		if [ -n "$line" ]; then
			echo "VIREO-IPERF $dir $line"
		else
			echo "VIREO-CHECK iperf dir=$dir result=fail"
			rc=1
		fi
	done
	[ $rc = 0 ] && echo "VIREO-CHECK iperf result=pass"
	return $rc
}
