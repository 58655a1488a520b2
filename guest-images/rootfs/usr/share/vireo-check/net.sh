# net: configure eth0 from vireo.net=ADDR/PREFIX,GATEWAY (default: QEMU user
# networking 10.0.2.15/24,10.0.2.2), report its MAC and link state, and ping
# the gateway (vireo.net.ping=COUNT, default 3).
# With vireo.net.xfer=1 also two TCP transfers with the gateway, whose side
# decides the sizes: connect to GW:5002 and receive until it closes, then
# connect to GW:5001 and send back what was received. The sha256 and time
# of each are printed for the host to compare.
check_net() {
	local cfg=${VIREO_NET:-10.0.2.15/24,10.0.2.2} addr gw tx rx rest line
	local count=3 xfer= w mac carrier rtt= t0 sum bytes
	if [ ! -e /sys/class/net/eth0 ]; then
		echo "VIREO-CHECK net interfaces=0"
		return 0
	fi
	for w in $CMDLINE; do
		case $w in
		vireo.net.ping=*) count=${w#vireo.net.ping=} ;;
		vireo.net.xfer=*) xfer=${w#vireo.net.xfer=} ;;
		esac
	done
	addr=${cfg%%,*} gw=${cfg#*,}
	ip link set lo up
	ip link set eth0 up
	ip addr add "$addr" dev eth0
	ip route add default via "$gw"
	read -r mac < /sys/class/net/eth0/address
	read -r carrier < /sys/class/net/eth0/carrier
	echo "VIREO-CHECK net mac=$mac carrier=$carrier"
	ping -c "$count" -i 0.2 -W 3 "$gw" >/tmp/net.out 2>&1
	tx=0 rx=0
	while read -r line; do
		case $line in
		*"packets transmitted"*)
			tx=${line%% *}
			rest=${line#*, }; rx=${rest%% *}
			;;
		*"round-trip"*) rtt=${line#*= } rtt=${rtt%% *} ;;
		esac
	done < /tmp/net.out
	if ! [ "$rx" -gt 0 ] 2>/dev/null; then
		echo "VIREO-CHECK net result=fail addr=$addr gw=$gw sent=$tx received=$rx"
		return 1
	fi
	echo "VIREO-CHECK net ping sent=$tx received=$rx rtt_min_avg_max=$rtt"
	if [ -n "$xfer" ]; then
		vireo_ms; t0=$VIREO_MS
		nc "$gw" 5002 </dev/null >/tmp/net.rx
		vireo_ms
		set -- $(sha256sum /tmp/net.rx)
		sum=$1
		bytes=$(wc -c < /tmp/net.rx)
		echo "VIREO-CHECK net xfer rx_bytes=$bytes rx_sha256=$sum rx_ms=$((VIREO_MS - t0))"
		vireo_ms; t0=$VIREO_MS
		nc "$gw" 5001 </tmp/net.rx >/dev/null
		vireo_ms
		echo "VIREO-CHECK net xfer tx_ms=$((VIREO_MS - t0))"
		rm -f /tmp/net.rx
	fi
	echo "VIREO-CHECK net result=pass addr=$addr gw=$gw sent=$tx received=$rx mac=$mac carrier=$carrier"
}
