# mmio: virtio-mmio platform devices bound to the virtio-mmio driver, with
# the virtio device ID each carries (named LNRO0005:NN when found through
# ACPI, virtio-mmio.N through virtio_mmio.device= on the command line).
check_mmio() {
	local d v dev n=0 ids= names=
	for d in /sys/bus/platform/drivers/virtio-mmio/*; do
		[ -d "$d" ] || continue
		case ${d##*/} in bind|unbind|uevent|module) continue ;; esac
		n=$((n + 1))
		names="$names${names:+,}${d##*/}"
		for v in "$d"/virtio*; do
			[ -e "$v/device" ] || continue
			read -r dev < "$v/device"
			ids="$ids${ids:+,}$dev"
		done
	done
	echo "VIREO-CHECK mmio devices=$n ids=${ids:-none} names=${names:-none}"
	[ "$n" -ge 1 ]
}
