# cpus: number of online CPUs, counted from /sys/devices/system/cpu/online
# ("0-1,4" style ranges) with shell arithmetic only.
check_cpus() {
	local online r n=0 IFS=,
	read -r online < /sys/devices/system/cpu/online || return 1
	for r in $online; do
		case $r in
		*-*) n=$((n + ${r#*-} - ${r%-*} + 1)) ;;
		*) n=$((n + 1)) ;;
		esac
	done
	echo "VIREO-CHECK cpus online=$n list=$online"
	[ "$n" -ge 1 ]
}
