# vireo check runner, sourced by /init. Line format (parsed by the host):
#   VIREO-CHECK <name> <key>=<value> ...          one line per fact
#   VIREO-CHECK <name> result=pass|fail [details]  pass/fail results
#   VIREO-CHECK-END pass=N fail=M                   last line
# Each check is /usr/share/vireo-check/NAME.sh defining check_NAME; it
# returns 0 (counts as pass) or non-zero (counts as fail).
VIREO_CHECK_DIR=/usr/share/vireo-check
VIREO_ALL="cpus mem pci virtio blk rng net"

# VIREO_MS = milliseconds since boot from /proc/uptime (10 ms resolution);
# sets a variable instead of printing so callers need no subshell.
vireo_ms() {
	local up i f
	read -r up _ < /proc/uptime
	i=${up%.*} f=${up#*.}
	VIREO_MS=$(( i * 1000 + (1$f - 100) * 10 ))
}

# VIREO_DRV = driver bound to sysfs device dir $1, or none.
vireo_driver_of() {
	VIREO_DRV=none
	[ -e "$1/driver" ] || return 0
	local here=$PWD
	cd -P "$1/driver" && VIREO_DRV=${PWD##*/}
	cd "$here"
}

# From a dd stderr file $1 (Debian's busybox dd prints only "F+P records
# in/out"): VIREO_FULL = full blocks copied, VIREO_PART = partial blocks,
# VIREO_ERR = first other line (spaces -> _) for reporting.
vireo_dd_result() {
	local a rest
	VIREO_FULL=0 VIREO_PART=0 VIREO_ERR=
	while read -r a rest; do
		case $rest in
		"records out"*) VIREO_FULL=${a%+*} VIREO_PART=${a#*+} ;;
		"records in"*) ;;
		*) [ -n "$VIREO_ERR" ] || VIREO_ERR="$a $rest" ;;
		esac
	done < "$1"
	[ -z "$VIREO_ERR" ] || VIREO_ERR=$(echo "$VIREO_ERR" | tr ' ' _)
}

vireo_run_checks() {
	local list=$1 name pass=0 fail=0 names=
	local IFS=,
	for name in $list; do
		[ "$name" = all ] && name=$VIREO_ALL
		names="$names $name"
	done
	unset IFS
	for name in $names; do
		if [ -r "$VIREO_CHECK_DIR/$name.sh" ]; then
			. "$VIREO_CHECK_DIR/$name.sh"
			if "check_$name"; then
				pass=$((pass + 1))
			else
				fail=$((fail + 1))
			fi
		else
			echo "VIREO-CHECK $name result=fail reason=unknown-check"
			fail=$((fail + 1))
		fi
	done
	echo "VIREO-CHECK-END pass=$pass fail=$fail"
}
