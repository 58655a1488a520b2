# dt: the flattened device tree the kernel took from setup_data (vireo
# --dtb), as /sys/firmware/devicetree/base shows it: the model, the CPU
# nodes, the virtio-mmio nodes (unit addresses) and which of them a
# virtio-mmio platform device is bound to. Fails without a tree. Not in
# `all`. Globs and read only: no process spawns.
check_dt() {
	local b=/sys/firmware/devicetree/base d model= cpus=0 n=0 bound=0 addrs=
	if [ ! -d "$b" ]; then
		echo "VIREO-CHECK dt result=fail reason=no-/sys/firmware/devicetree/base"
		return 1
	fi
	# No trailing newline (a NUL-terminated string): read "fails" but fills.
	read -r model < "$b/model"
	[ -n "$model" ] || model=none
	for d in "$b"/cpus/cpu@*; do
		[ -d "$d" ] && cpus=$((cpus + 1))
	done
	for d in "$b"/virtio@*; do
		[ -d "$d" ] || continue
		n=$((n + 1))
		addrs="$addrs${addrs:+,}${d##*@}"
		# Platform devices made from the tree are named ADDR.NODENAME.
		[ -e "/sys/bus/platform/drivers/virtio-mmio/${d##*@}.virtio" ] && bound=$((bound + 1))
	done
	echo "VIREO-CHECK dt model=${model// /_} cpus=$cpus virtio=$n bound=$bound addrs=${addrs:-none}"
	[ "$n" -eq "$bound" ]
}
