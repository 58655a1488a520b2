# iperf: TCP throughput with the gateway using iperf3 from the tools disk
# (--disk guest-images/out/tools.ext4,ro) against `iperf3 -s` on the host
# side. eth0 must be up: run after the net check (vireo.check=net,iperf).
# Guest->host then host->guest (-R), vireo.iperf_secs= seconds each
# (default 10); prints for the host (tests/bench/net-bench) to parse:
#   VIREO-IPERF tx|rx <iperf3 receiver summary line, Kbits/sec>
check_iperf() {
	local secs=10 gw=${VIREO_NET:-10.0.2.15/24,10.0.2.2} w dir flag line rc=0
	for w in $CMDLINE; do
		case $w in
		vireo.iperf_secs=*) secs=${w#vireo.iperf_secs=} ;;
		esac
	done
	gw=${gw#*,}
	mount-tools >/dev/null || { echo "VIREO-CHECK iperf result=fail reason=no-tools-disk"; return 1; }
	for dir in tx rx; do
		flag=
		[ $dir = rx ] && flag=-R
		line=$(/tools/bin/iperf3 -4 -c "$gw" -t "$secs" $flag -f k 2>&1 | grep receiver)
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
