# net: configure eth0 from vireo.net=ADDR/PREFIX,GATEWAY (default: QEMU user
# networking 10.0.2.15/24,10.0.2.2) and ping the gateway 3 times.
check_net() {
	local cfg=${VIREO_NET:-10.0.2.15/24,10.0.2.2} addr gw tx rx rest line
	if [ ! -e /sys/class/net/eth0 ]; then
		echo "VIREO-CHECK net interfaces=0"
		return 0
	fi
	addr=${cfg%%,*} gw=${cfg#*,}
	ip link set lo up
	ip link set eth0 up
	ip addr add "$addr" dev eth0
	ip route add default via "$gw"
	ping -c 3 -i 0.2 -W 3 "$gw" >/tmp/net.out 2>&1
	tx=0 rx=0
	while read -r line; do
		case $line in
		*"packets transmitted"*)
			tx=${line%% *}
			rest=${line#*, }; rx=${rest%% *}
			;;
		esac
	done < /tmp/net.out
	if [ "$rx" -gt 0 ] 2>/dev/null; then
		echo "VIREO-CHECK net result=pass addr=$addr gw=$gw sent=$tx received=$rx"
	else
		echo "VIREO-CHECK net result=fail addr=$addr gw=$gw sent=$tx received=$rx"
		return 1
	fi
}
