# pci: one line per PCI function from /sys/bus/pci/devices.
# (Debian's busybox has no lspci applet, so sysfs only.)
check_pci() {
	local d v dev cls n=0
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d/vendor" ] || continue
		read -r v < "$d/vendor"; read -r dev < "$d/device"; read -r cls < "$d/class"
		vireo_driver_of "$d"
		echo "VIREO-CHECK pci slot=${d##*/} id=${v#0x}:${dev#0x} class=$cls driver=$VIREO_DRV"
		n=$((n + 1))
	done
	echo "VIREO-CHECK pci functions=$n"
	return 0
}
