# poweroff: ends the guest with poweroff(2) instead of the usual reset, so
# the host sees the firmware power-off path (ACPI S5). Put it last.
check_poweroff() {
	echo "VIREO-CHECK poweroff result=pass"
	sync
	poweroff -f
	echo "VIREO-CHECK poweroff result=fail reason=poweroff-returned"
	return 1
}
