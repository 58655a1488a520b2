# mem: MemTotal and MemFree from /proc/meminfo.
check_mem() {
	local k v u total= free=
	while read -r k v u; do
		case $k in
		MemTotal:) total=$v ;;
		MemFree:) free=$v; break ;;
		esac
	done < /proc/meminfo
	echo "VIREO-CHECK mem total_kb=$total free_kb=$free"
	[ -n "$total" ]
}
