// SPDX-License-Identifier: MIT
#include "bus/pci/virtio_pci.h"

#include <string.h>

#define PCI_VENDOR_ID_VIRTIO 0x1af4
#define VIRTIO_PCI_MODERN_DEVICE_BASE 0x1040

/* BAR numbers and the layout of the modern BAR. */
#define LEGACY_BAR 0
#define MSIX_BAR 1
#define MODERN_BAR 4
#define MODERN_BAR_SIZE 0x4000
#define COMMON_OFFSET 0x0000
#define ISR_OFFSET 0x1000
#define DEVICE_OFFSET 0x2000
#define NOTIFY_OFFSET 0x3000
#define NOTIFY_MULTIPLIER 4
#define LEGACY_BAR_SIZE 0x100

/*
 * virtio 1.2 adds queue_notify_data and queue_reset after the 1.0 common
 * config (struct virtio_pci_modern_common_cfg); older UAPI headers lack
 * them.
 */
#ifndef VIRTIO_PCI_COMMON_Q_RESET
#define VIRTIO_PCI_COMMON_Q_NDATA 56
#define VIRTIO_PCI_COMMON_Q_RESET 58
#endif
#define CC_SIZE (VIRTIO_PCI_COMMON_Q_RESET + 2)

/* ---- ioeventfds for queue notifications ---------------------------------- */

/* Registers (or removes) every queue's ioeventfds at the current bases. */
static void notify_assign(struct virtio_pci *vp, bool assign)
{
	unsigned int q;

	for (q = 0; vp->vm && q < vp->t.ops->nr_queues; q++) {
		int fd = vp->t.queues[q].kick_fd;

		if (vp->notify_mmio_base)
			kvm_vm_ioeventfd(vp->vm, fd,
					 vp->notify_mmio_base +
					     q * NOTIFY_MULTIPLIER,
					 2, false, -1, assign, NULL);
		if (vp->notify_io_base)
			kvm_vm_ioeventfd(vp->vm, fd,
					 vp->notify_io_base +
					     VIRTIO_PCI_QUEUE_NOTIFY,
					 2, true, q, assign, NULL);
	}
}

static void virtio_pci_bar_moved(struct pci_function *fn, int bar,
				 uint64_t old_addr, bool old_mapped)
{
	struct virtio_pci *vp = fn->opaque;
	const struct pci_bar *modern = &fn->bars[MODERN_BAR];
	const struct pci_bar *legacy = &fn->bars[LEGACY_BAR];

	(void)bar;
	(void)old_addr;
	(void)old_mapped;
	notify_assign(vp, false);
	vp->notify_mmio_base =
	    modern->mapped ? modern->addr + NOTIFY_OFFSET : 0;
	vp->notify_io_base =
	    vp->transitional && legacy->mapped ? (uint16_t)legacy->addr : 0;
	notify_assign(vp, true);
}

/* ---- modern BAR ---------------------------------------------------------- */

/* The common-config fields every transport has (the rest are PCI's). */
static const uint8_t common_regs[CC_SIZE] = {
	[VIRTIO_PCI_COMMON_DFSELECT] = VIRTIO_REG_DEVICE_FEATURES_SEL,
	[VIRTIO_PCI_COMMON_DF] = VIRTIO_REG_DEVICE_FEATURES,
	[VIRTIO_PCI_COMMON_GFSELECT] = VIRTIO_REG_DRIVER_FEATURES_SEL,
	[VIRTIO_PCI_COMMON_GF] = VIRTIO_REG_DRIVER_FEATURES,
	[VIRTIO_PCI_COMMON_STATUS] = VIRTIO_REG_STATUS,
	[VIRTIO_PCI_COMMON_CFGGENERATION] = VIRTIO_REG_CONFIG_GENERATION,
	[VIRTIO_PCI_COMMON_Q_SELECT] = VIRTIO_REG_QUEUE_SEL,
	[VIRTIO_PCI_COMMON_Q_SIZE] = VIRTIO_REG_QUEUE_SIZE,
	[VIRTIO_PCI_COMMON_Q_ENABLE] = VIRTIO_REG_QUEUE_READY,
	[VIRTIO_PCI_COMMON_Q_DESCLO] = VIRTIO_REG_QUEUE_ADDR,
	[VIRTIO_PCI_COMMON_Q_DESCHI] = VIRTIO_REG_QUEUE_ADDR + 1,
	[VIRTIO_PCI_COMMON_Q_AVAILLO] = VIRTIO_REG_QUEUE_ADDR + 2,
	[VIRTIO_PCI_COMMON_Q_AVAILHI] = VIRTIO_REG_QUEUE_ADDR + 3,
	[VIRTIO_PCI_COMMON_Q_USEDLO] = VIRTIO_REG_QUEUE_ADDR + 4,
	[VIRTIO_PCI_COMMON_Q_USEDHI] = VIRTIO_REG_QUEUE_ADDR + 5,
};

static uint32_t common_read(struct virtio_pci *vp, uint32_t off)
{
	struct virtio_transport *t = &vp->t;
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);

	if (common_regs[off])
		return virtio_transport_reg_read(t, common_regs[off]);
	switch (off) {
	case VIRTIO_PCI_COMMON_MSIX:
		return t->config_vector;
	case VIRTIO_PCI_COMMON_NUMQ:
		return t->ops->nr_queues;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return qc ? qc->vector : 0;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return qc ? t->queue_select : 0;
	case VIRTIO_PCI_COMMON_Q_RESET:
		/*
		 * 0: the reset is complete (4.1.4.3.2); ours is done by the
		 * time the write returns. Linux polls for this 0.
		 */
		return 0;
	}
	return 0;
}

static uint16_t valid_vector(struct virtio_pci *vp, uint32_t v)
{
	/* An out-of-range vector reads back as NO_VECTOR: the driver checks. */
	return v < vp->msix.nr ? (uint16_t)v : VIRTIO_NO_VECTOR;
}

static void common_write(struct virtio_pci *vp, uint32_t off, uint32_t v)
{
	struct virtio_transport *t = &vp->t;
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);

	if (off == VIRTIO_PCI_COMMON_STATUS)
		virtio_transport_write_status(t, false, (uint8_t)v);
	else if (common_regs[off])
		virtio_transport_reg_write(t, common_regs[off], v);
	else if (off == VIRTIO_PCI_COMMON_MSIX)
		t->config_vector = valid_vector(vp, v);
	else if (off == VIRTIO_PCI_COMMON_Q_MSIX && qc)
		qc->vector = valid_vector(vp, v);
	else if (off == VIRTIO_PCI_COMMON_Q_RESET && v == 1)
		virtio_transport_reset_queue(t);
}

/* Width of each common-config field; other access sizes are ignored. */
static unsigned int common_field_width(uint32_t off)
{
	if (off >= CC_SIZE)
		return 0;
	if (off == VIRTIO_PCI_COMMON_STATUS ||
	    off == VIRTIO_PCI_COMMON_CFGGENERATION)
		return 1;
	if ((off >= VIRTIO_PCI_COMMON_MSIX &&
	     off < VIRTIO_PCI_COMMON_Q_DESCLO) ||
	    off >= VIRTIO_PCI_COMMON_Q_NDATA)
		return 2;
	return 4;
}

static void modern_read(void *opaque, uint64_t offset, void *data,
			unsigned int len)
{
	struct virtio_pci *vp = opaque;
	uint32_t off = (uint32_t)offset, v = 0;

	memset(data, 0, len);
	pthread_mutex_lock(&vp->t.lock);
	if (off < ISR_OFFSET) {
		if (common_field_width(off) == len) {
			v = common_read(vp, off);
			memcpy(data, &v, len);
		}
	} else if (off == ISR_OFFSET) {
		*(uint8_t *)data = virtio_transport_read_isr(&vp->t);
	} else if (off >= DEVICE_OFFSET && off < NOTIFY_OFFSET) {
		virtio_transport_config_access(&vp->t, off - DEVICE_OFFSET,
					       data, len, false);
	}
	pthread_mutex_unlock(&vp->t.lock);
}

static void modern_write(void *opaque, uint64_t offset, const void *data,
			 unsigned int len)
{
	struct virtio_pci *vp = opaque;
	uint32_t off = (uint32_t)offset, v = 0;

	memcpy(&v, data, len < 4 ? len : 4);
	pthread_mutex_lock(&vp->t.lock);
	if (off < ISR_OFFSET) {
		if (common_field_width(off) == len)
			common_write(vp, off, v);
	} else if (off >= DEVICE_OFFSET && off < NOTIFY_OFFSET) {
		virtio_transport_config_access(&vp->t, off - DEVICE_OFFSET,
					       (void *)data, len, true);
	} else if (off >= NOTIFY_OFFSET) {
		/*
		 * The ioeventfd normally swallows these; one that reaches us
		 * (an access width it does not match) still kicks the queue.
		 */
		virtio_transport_kick(&vp->t, (off - NOTIFY_OFFSET) /
						  NOTIFY_MULTIPLIER);
	}
	pthread_mutex_unlock(&vp->t.lock);
}

static const struct bus_ops modern_bar_ops = {
	.read = modern_read,
	.write = modern_write,
};

/* ---- legacy I/O BAR ------------------------------------------------------ */

static uint32_t legacy_reg_read(struct virtio_pci *vp, uint32_t off)
{
	struct virtio_transport *t = &vp->t;
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);

	switch (off) {
	case VIRTIO_PCI_HOST_FEATURES:
		return virtio_transport_device_features(t, 0);
	case VIRTIO_PCI_GUEST_FEATURES:
		return virtio_transport_driver_features(t, 0);
	case VIRTIO_PCI_QUEUE_PFN:
		return virtio_transport_legacy_pfn(
		    t, 1u << VIRTIO_PCI_QUEUE_ADDR_SHIFT);
	case VIRTIO_PCI_QUEUE_NUM:
		return qc ? qc->max_size : 0;
	case VIRTIO_PCI_QUEUE_SEL:
		return t->queue_select;
	case VIRTIO_PCI_STATUS:
		return virtio_transport_reg_read(t, VIRTIO_REG_STATUS);
	case VIRTIO_PCI_ISR:
		return virtio_transport_read_isr(t);
	case VIRTIO_MSI_CONFIG_VECTOR:
		return t->config_vector;
	case VIRTIO_MSI_QUEUE_VECTOR:
		return qc ? qc->vector : VIRTIO_NO_VECTOR;
	}
	return 0;
}

static void legacy_reg_write(struct virtio_pci *vp, uint32_t off, uint32_t v)
{
	struct virtio_transport *t = &vp->t;
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);

	switch (off) {
	case VIRTIO_PCI_GUEST_FEATURES:
		if (t->legacy)
			virtio_transport_write_driver_features(t, 0, v);
		break;
	case VIRTIO_PCI_QUEUE_PFN:
		virtio_transport_write_legacy_pfn(
		    t, v, 1u << VIRTIO_PCI_QUEUE_ADDR_SHIFT,
		    VIRTIO_PCI_VRING_ALIGN);
		break;
	case VIRTIO_PCI_QUEUE_SEL:
		virtio_transport_reg_write(t, VIRTIO_REG_QUEUE_SEL, v);
		break;
	case VIRTIO_PCI_QUEUE_NOTIFY:
		virtio_transport_kick(t, v);
		break;
	case VIRTIO_PCI_STATUS:
		virtio_transport_write_status(t, true, (uint8_t)v);
		break;
	case VIRTIO_MSI_CONFIG_VECTOR:
		t->config_vector = valid_vector(vp, v);
		break;
	case VIRTIO_MSI_QUEUE_VECTOR:
		if (qc)
			qc->vector = valid_vector(vp, v);
		break;
	}
}

/*
 * The legacy header's registers are accessed at their own width; device
 * config follows it, 4 bytes further on with MSI-X enabled.
 */
static void legacy_access(struct virtio_pci *vp, uint32_t off, void *data,
			  unsigned int len, bool write)
{
	uint32_t cfg = VIRTIO_PCI_CONFIG_OFF(msix_enabled(&vp->msix)), v = 0;

	pthread_mutex_lock(&vp->t.lock);
	if (off >= cfg) {
		virtio_transport_config_access(&vp->t, off - cfg, data, len,
					       write);
	} else if (write) {
		memcpy(&v, data, len < 4 ? len : 4);
		legacy_reg_write(vp, off, v);
	} else {
		v = legacy_reg_read(vp, off);
		memcpy(data, &v, len < 4 ? len : 4);
	}
	pthread_mutex_unlock(&vp->t.lock);
}

static void legacy_read(void *opaque, uint64_t offset, void *data,
			unsigned int len)
{
	memset(data, 0, len);
	legacy_access(opaque, (uint32_t)offset, data, len, false);
}

static void legacy_write(void *opaque, uint64_t offset, const void *data,
			 unsigned int len)
{
	legacy_access(opaque, (uint32_t)offset, (void *)data, len, true);
}

static const struct bus_ops legacy_bar_ops = {
	.read = legacy_read,
	.write = legacy_write,
};

/* ---- bus mastering ----------------------------------------------------------
 */

/*
 * Without bus mastering the function may neither touch guest memory nor
 * send MSIs (both are its memory writes). When it comes back, latched
 * interrupts go out and every enabled queue is kicked, so requests the
 * guest posted meanwhile are served.
 */
static void bus_master_update(struct virtio_pci *vp)
{
	bool on = vp->fn.cfg[PCI_COMMAND] & PCI_COMMAND_MASTER;
	bool was_off =
	    __atomic_exchange_n(&vp->t.dma_off, !on, __ATOMIC_SEQ_CST);

	msix_set_bus_master(&vp->msix, on);
	if (on && was_off) {
		pthread_mutex_lock(&vp->t.lock);
		virtio_transport_kick_enabled(&vp->t);
		pthread_mutex_unlock(&vp->t.lock);
	}
}

/* ---- assembly ------------------------------------------------------------ */

static void virtio_pci_raise(struct virtio_transport *t, uint16_t vector)
{
	struct virtio_pci *vp = t->priv;

	if (vector != VIRTIO_NO_VECTOR)
		msix_notify(&vp->msix, vector);
}

static void virtio_pci_cfg_written(struct pci_function *fn, uint32_t offset,
				   unsigned int len)
{
	struct virtio_pci *vp = fn->opaque;

	if (offset <= PCI_COMMAND && offset + len > PCI_COMMAND)
		bus_master_update(vp);
	msix_cfg_written(&vp->msix, offset, len);
}

static void add_virtio_cap(struct pci_function *fn, uint8_t type,
			   uint32_t offset, uint32_t length, uint32_t extra)
{
	uint8_t len = type == VIRTIO_PCI_CAP_NOTIFY_CFG
			  ? sizeof(struct virtio_pci_notify_cap)
			  : sizeof(struct virtio_pci_cap);
	uint8_t cap = pci_function_add_cap(fn, PCI_CAP_ID_VNDR, len);

	fn->cfg[cap + VIRTIO_PCI_CAP_LEN] = len;
	fn->cfg[cap + VIRTIO_PCI_CAP_CFG_TYPE] = type;
	fn->cfg[cap + VIRTIO_PCI_CAP_BAR] = MODERN_BAR;
	pci_cfg_set32(fn, cap + VIRTIO_PCI_CAP_OFFSET, offset);
	pci_cfg_set32(fn, cap + VIRTIO_PCI_CAP_LENGTH, length);
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		pci_cfg_set32(fn, cap + VIRTIO_PCI_NOTIFY_CAP_MULT, extra);
}

int virtio_pci_create(struct virtio_pci *vp, struct pci_bus *pb,
		      struct kvm_vm *vm, struct irq_router *router,
		      const struct virtio_dev_ops *ops, void *dev,
		      const struct virtio_pci_ids *ids, bool transitional,
		      struct err *e)
{
	uint16_t type = ops->device_id, dev_id;

	memset(vp, 0, sizeof(*vp));
	vp->vm = vm;
	vp->transitional = transitional;
	if (transitional && !ids->transitional_id)
		return err_set(e, "%s has no transitional PCI device ID",
			       ops->name);
	if (ops->nr_queues > VIRTIO_MAX_QUEUES)
		return err_set(e, "%s: too many queues", ops->name);
	dev_id = transitional ? ids->transitional_id
			      : VIRTIO_PCI_MODERN_DEVICE_BASE + type;
	virtio_transport_init(&vp->t, ops, dev);
	vp->t.raise = virtio_pci_raise;
	vp->t.priv = vp;
	/* Bus mastering is off until the driver turns it on. */
	vp->t.dma_off = true;
	if (virtio_transport_open_kicks(&vp->t, e) < 0)
		return -1;

	/* Transitional: subsystem ID is the virtio type (legacy drivers read
	 * it). */
	pci_function_init(&vp->fn, ops->name, PCI_VENDOR_ID_VIRTIO, dev_id,
			  ids->class_code, transitional ? 0 : 1,
			  PCI_VENDOR_ID_VIRTIO, transitional ? type : 0x40);
	vp->fn.opaque = vp;
	vp->fn.cfg_written = virtio_pci_cfg_written;
	pci_function_set_bar(&vp->fn, MODERN_BAR, PCI_BAR_KIND_MEM64,
			     MODERN_BAR_SIZE, &modern_bar_ops, vp);
	vp->fn.bars[MODERN_BAR].moved = virtio_pci_bar_moved;
	if (transitional) {
		pci_function_set_bar(&vp->fn, LEGACY_BAR, PCI_BAR_KIND_IO,
				     LEGACY_BAR_SIZE, &legacy_bar_ops, vp);
		vp->fn.bars[LEGACY_BAR].moved = virtio_pci_bar_moved;
	}
	/* One vector for config changes plus one per queue. */
	if (msix_init(&vp->msix, &vp->fn, ops->nr_queues + 1u, MSIX_BAR, router,
		      vm, e) < 0)
		return -1;
	add_virtio_cap(&vp->fn, VIRTIO_PCI_CAP_COMMON_CFG, COMMON_OFFSET,
		       CC_SIZE, 0);
	add_virtio_cap(&vp->fn, VIRTIO_PCI_CAP_ISR_CFG, ISR_OFFSET, 1, 0);
	add_virtio_cap(&vp->fn, VIRTIO_PCI_CAP_DEVICE_CFG, DEVICE_OFFSET,
		       0x1000, 0);
	add_virtio_cap(&vp->fn, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY_OFFSET,
		       NOTIFY_MULTIPLIER * ops->nr_queues, NOTIFY_MULTIPLIER);
	return pci_bus_plug(pb, &vp->fn, e);
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (!vp->t.ops)
		return;
	virtio_transport_quiesce(&vp->t);
	notify_assign(vp, false);
	vp->notify_mmio_base = 0;
	vp->notify_io_base = 0;
	msix_destroy(&vp->msix);
	virtio_transport_destroy(&vp->t);
	vp->t.ops = NULL;
}
