# virtio: one line per /sys/bus/virtio/devices entry.
check_virtio() {
	local d dev n=0
	for d in /sys/bus/virtio/devices/*; do
		[ -e "$d/device" ] || continue
		read -r dev < "$d/device"
		vireo_driver_of "$d"
		echo "VIREO-CHECK virtio dev=${d##*/} device=$dev driver=$VIREO_DRV"
		n=$((n + 1))
	done
	echo "VIREO-CHECK virtio devices=$n"
	return 0
}
