// SPDX-License-Identifier: MIT
#include "bus/pci/pci.h"

#include <string.h>

#define PCI_VENDOR_REDHAT 0x1b36
#define PCI_DEVICE_REDHAT_HOST 0x0008
#define PCI_CLASS_BRIDGE_HOST 0x060000
#define PCI_IO_START 0xc000
#define PCI_IO_END 0x10000

#define CONFIG_ADDRESS_ENABLE 0x80000000u

static uint32_t cfg_get(const uint8_t *a, uint32_t off, unsigned int len)
{
	uint32_t v = 0;

	memcpy(&v, a + off, len);
	return v;
}

void pci_cfg_set16(struct pci_function *fn, uint32_t offset, uint16_t v)
{
	memcpy(fn->cfg + offset, &v, 2);
}

void pci_cfg_set32(struct pci_function *fn, uint32_t offset, uint32_t v)
{
	memcpy(fn->cfg + offset, &v, 4);
}

void pci_function_init(struct pci_function *fn, const char *name,
		       uint16_t vendor, uint16_t device, uint32_t class_code,
		       uint8_t revision, uint16_t subsys_vendor,
		       uint16_t subsys_id)
{
	memset(fn, 0, sizeof(*fn));
	fn->name = name;
	pci_cfg_set16(fn, PCI_VENDOR_ID, vendor);
	pci_cfg_set16(fn, PCI_DEVICE_ID, device);
	fn->cfg[PCI_REVISION_ID] = revision;
	fn->cfg[PCI_CLASS_PROG] = class_code & 0xff;
	pci_cfg_set16(fn, PCI_CLASS_DEVICE, (uint16_t)(class_code >> 8));
	pci_cfg_set16(fn, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	pci_cfg_set16(fn, PCI_SUBSYSTEM_ID, subsys_id);
	/* Command: I/O, memory, bus master, INTx disable are writable. */
	fn->wmask[PCI_COMMAND] =
	    PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	fn->wmask[PCI_COMMAND + 1] = PCI_COMMAND_INTX_DISABLE >> 8;
	/* Status error bits are write-1-to-clear. */
	fn->w1cmask[PCI_STATUS + 1] = 0xf9;
	fn->wmask[PCI_INTERRUPT_LINE] = 0xff;
	fn->next_cap = 0x40;
}

void pci_function_set_bar(struct pci_function *fn, int bar,
			  enum pci_bar_kind kind, uint64_t size,
			  const struct bus_ops *ops, void *opaque)
{
	fn->bars[bar] = (struct pci_bar){
		.kind = kind,
		.size = size,
		.ops = ops,
		.opaque = opaque,
	};
}

uint8_t pci_function_add_cap(struct pci_function *fn, uint8_t id, uint8_t len)
{
	uint8_t off = fn->next_cap;

	if (!off || off + len > PCI_CFG_SIZE)
		return 0;
	fn->cfg[off] = id;
	fn->cfg[off + 1] = 0;
	if (fn->last_cap)
		fn->cfg[fn->last_cap] = off;
	else
		fn->cfg[PCI_CAPABILITY_LIST] = off;
	fn->last_cap = off + 1;
	fn->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	fn->next_cap = (uint8_t)((off + len + 3) & ~3u);
	return off;
}

static bool bar_decoded(const struct pci_function *fn, const struct pci_bar *b)
{
	uint16_t cmd = (uint16_t)cfg_get(fn->cfg, PCI_COMMAND, 2);

	if (b->kind == PCI_BAR_KIND_IO)
		return cmd & PCI_COMMAND_IO;
	return cmd & PCI_COMMAND_MEMORY;
}

static uint64_t bar_addr_from_cfg(const struct pci_function *fn, int i)
{
	const struct pci_bar *b = &fn->bars[i];
	uint64_t addr = cfg_get(fn->cfg, PCI_BAR0 + 4 * i, 4);

	if (b->kind == PCI_BAR_KIND_IO)
		return addr & ~3ull;
	addr &= ~0xfull;
	if (b->kind == PCI_BAR_KIND_MEM64)
		addr |= (uint64_t)cfg_get(fn->cfg, PCI_BAR0 + 4 * (i + 1), 4)
			<< 32;
	return addr;
}

/*
 * Keeps the bus mapping in step with the BAR register and the command
 * register's decode bits. An address of all-ones (mid-sizing) or zero is
 * never mapped.
 */
static void bar_update_mapping(struct pci_function *fn, int i)
{
	struct pci_bar *b = &fn->bars[i];
	struct bus *bus =
	    b->kind == PCI_BAR_KIND_IO ? fn->bus->pio : fn->bus->mmio;
	uint64_t addr = bar_addr_from_cfg(fn, i), old = b->addr;
	bool old_mapped = b->mapped;
	bool want = bar_decoded(fn, b) && addr != 0 && addr + b->size > addr &&
		    (addr & (b->size - 1)) == 0 &&
		    (b->kind != PCI_BAR_KIND_IO || addr + b->size <= 0x10000);

	if (want == b->mapped && addr == b->addr)
		return;
	if (b->mapped)
		bus_unregister(bus, b->addr, b->opaque);
	b->mapped = false;
	b->addr = addr;
	/* A guest that overlaps two BARs just loses the second mapping. */
	if (want && bus_register(bus, addr, b->size, b->ops, b->opaque,
				 fn->name, NULL) == 0)
		b->mapped = true;
	if (b->moved)
		b->moved(fn, i, old, old_mapped);
}

static void bars_update_mappings(struct pci_function *fn)
{
	int i;

	for (i = 0; i < PCI_NR_BARS; i++)
		if (fn->bars[i].kind != PCI_BAR_NONE)
			bar_update_mapping(fn, i);
}

uint32_t pci_cfg_read(struct pci_function *fn, uint32_t offset,
		      unsigned int len)
{
	if (offset >= PCI_CFG_SIZE || len > PCI_CFG_SIZE - offset)
		return 0xffffffffu;
	return cfg_get(fn->cfg, offset, len);
}

void pci_cfg_write(struct pci_function *fn, uint32_t offset, uint32_t value,
		   unsigned int len)
{
	bool bar_touched = false;
	unsigned int i;

	if (offset >= PCI_CFG_SIZE || len > PCI_CFG_SIZE - offset)
		return;
	for (i = 0; i < len; i++) {
		uint32_t o = offset + i;
		uint8_t v = (uint8_t)(value >> (8 * i));
		uint8_t wm = fn->wmask[o], w1c = fn->w1cmask[o];

		fn->cfg[o] = (fn->cfg[o] & ~wm) | (v & wm);
		fn->cfg[o] &= ~(v & w1c);
		if ((o >= PCI_BAR0 && o < PCI_BAR0 + 24) || o == PCI_COMMAND)
			bar_touched = true;
	}
	if (bar_touched)
		bars_update_mappings(fn);
	if (fn->cfg_written)
		fn->cfg_written(fn, offset, len);
}

/* BAR registers: writable address bits above the size, flags read-only. */
static void bar_setup_cfg(struct pci_function *fn, int i, uint64_t addr)
{
	struct pci_bar *b = &fn->bars[i];
	uint64_t mask = ~(b->size - 1);
	uint32_t lo_flags = 0;
	int j;

	switch (b->kind) {
	case PCI_BAR_KIND_IO:
		lo_flags = PCI_BAR_IO;
		mask &= ~3ull;
		break;
	case PCI_BAR_KIND_MEM32:
		mask &= 0xfffffff0ull;
		break;
	case PCI_BAR_KIND_MEM64:
		lo_flags = PCI_BAR_MEM64;
		mask &= ~0xfull;
		break;
	default:
		return;
	}
	pci_cfg_set32(fn, PCI_BAR0 + 4 * i, (uint32_t)addr | lo_flags);
	for (j = 0; j < 4; j++)
		fn->wmask[PCI_BAR0 + 4 * i + j] = (uint8_t)(mask >> (8 * j));
	if (b->kind == PCI_BAR_KIND_MEM64) {
		pci_cfg_set32(fn, PCI_BAR0 + 4 * (i + 1),
			      (uint32_t)(addr >> 32));
		for (j = 0; j < 4; j++)
			fn->wmask[PCI_BAR0 + 4 * (i + 1) + j] =
			    (uint8_t)(mask >> (32 + 8 * j));
	}
}

static int pci_alloc(uint64_t *next, uint64_t end, uint64_t size,
		     uint64_t *addr)
{
	uint64_t a = (*next + size - 1) & ~(size - 1);

	if (a + size > end || a + size < a)
		return -1;
	*addr = a;
	*next = a + size;
	return 0;
}

int pci_bus_plug(struct pci_bus *pb, struct pci_function *fn, struct err *e)
{
	unsigned int slot;
	int i;

	pthread_mutex_lock(&pb->lock);
	for (slot = 0; slot < PCI_MAX_SLOTS && pb->slots[slot]; slot++)
		;
	if (slot == PCI_MAX_SLOTS) {
		pthread_mutex_unlock(&pb->lock);
		return err_set(e, "no free PCI slot for %s", fn->name);
	}
	fn->bus = pb;
	fn->slot = (uint8_t)slot;
	for (i = 0; i < PCI_NR_BARS; i++) {
		struct pci_bar *b = &fn->bars[i];
		uint64_t addr;
		int ret;

		if (b->kind == PCI_BAR_NONE)
			continue;
		if (b->kind == PCI_BAR_KIND_IO)
			ret =
			    pci_alloc(&pb->io_next, pb->io_end, b->size, &addr);
		else
			ret = pci_alloc(&pb->mmio_next, pb->mmio_end, b->size,
					&addr);
		if (ret < 0) {
			pthread_mutex_unlock(&pb->lock);
			return err_set(e, "no room for BAR %d of %s", i,
				       fn->name);
		}
		bar_setup_cfg(fn, i, addr);
	}
	/* Pre-placed and enabled, as firmware would leave them. */
	fn->cfg[PCI_COMMAND] |= PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
	bars_update_mappings(fn);
	pb->slots[slot] = fn;
	pthread_mutex_unlock(&pb->lock);
	return 0;
}

static struct pci_function *pci_target(struct pci_bus *pb, uint32_t *offset)
{
	uint32_t a = pb->config_address;
	unsigned int bus = (a >> 16) & 0xff, slot = (a >> 11) & 0x1f,
		     func = (a >> 8) & 7;

	if (!(a & CONFIG_ADDRESS_ENABLE) || bus != 0 || func != 0)
		return NULL;
	*offset = a & 0xfc;
	return pb->slots[slot];
}

/*
 * CONFIG_ADDRESS is claimed as the single port 0xCF8 (dword accesses start
 * there) so that byte port 0xCF9 stays free for the reset control register.
 */
static void pci_config_addr_read(void *opaque, uint64_t offset, void *data,
				 unsigned int len)
{
	struct pci_bus *pb = opaque;
	uint32_t v = 0xffffffffu;

	(void)offset;
	pthread_mutex_lock(&pb->lock);
	if (len == 4)
		v = pb->config_address;
	pthread_mutex_unlock(&pb->lock);
	memcpy(data, &v, len);
}

static void pci_config_addr_write(void *opaque, uint64_t offset,
				  const void *data, unsigned int len)
{
	struct pci_bus *pb = opaque;
	uint32_t v = 0;

	(void)offset;
	if (len != 4)
		return;
	memcpy(&v, data, 4);
	pthread_mutex_lock(&pb->lock);
	pb->config_address = v & 0x80fffffcu;
	pthread_mutex_unlock(&pb->lock);
}

static void pci_config_data_read(void *opaque, uint64_t offset, void *data,
				 unsigned int len)
{
	struct pci_bus *pb = opaque;
	struct pci_function *fn;
	uint32_t v = 0xffffffffu, reg;

	pthread_mutex_lock(&pb->lock);
	fn = pci_target(pb, &reg);
	if (fn && offset + len <= 4)
		v = pci_cfg_read(fn, reg + (uint32_t)offset, len);
	pthread_mutex_unlock(&pb->lock);
	memcpy(data, &v, len);
}

static void pci_config_data_write(void *opaque, uint64_t offset,
				  const void *data, unsigned int len)
{
	struct pci_bus *pb = opaque;
	struct pci_function *fn;
	uint32_t v = 0, reg;

	memcpy(&v, data, len);
	pthread_mutex_lock(&pb->lock);
	fn = pci_target(pb, &reg);
	if (fn && offset + len <= 4)
		pci_cfg_write(fn, reg + (uint32_t)offset, v, len);
	pthread_mutex_unlock(&pb->lock);
}

static const struct bus_ops pci_config_addr_ops = {
	.read = pci_config_addr_read,
	.write = pci_config_addr_write,
};

static const struct bus_ops pci_config_data_ops = {
	.read = pci_config_data_read,
	.write = pci_config_data_write,
};

/* ECAM offset: bus 27:20 (only 0 here), device 19:15, function 14:12. */
static struct pci_function *ecam_target(struct pci_bus *pb, uint64_t offset)
{
	if ((offset >> 12) & 7)
		return NULL;
	return pb->slots[(offset >> 15) & 0x1f];
}

/*
 * One ECAM access of at most 4 bytes inside a dword. Extended space (no
 * PCIe capabilities here) reads as zero, an absent function as all-ones.
 */
static uint32_t ecam_access(struct pci_bus *pb, uint64_t offset, uint32_t v,
			    unsigned int len, bool write)
{
	struct pci_function *fn;
	uint32_t reg = offset & 0xfff;

	pthread_mutex_lock(&pb->lock);
	fn = ecam_target(pb, offset);
	if (!fn)
		v = write ? 0 : 0xffffffffu;
	else if (reg >= PCI_CFG_SIZE)
		v = 0;
	else if (write)
		pci_cfg_write(fn, reg, v, len);
	else
		v = pci_cfg_read(fn, reg, len);
	pthread_mutex_unlock(&pb->lock);
	return v;
}

/* An 8-byte access is two dword accesses, low dword first. */
static void pci_ecam_read(void *opaque, uint64_t offset, void *data,
			  unsigned int len)
{
	unsigned int i, part = len > 4 ? 4 : len;

	for (i = 0; i < len; i += part) {
		uint32_t v = ecam_access(opaque, offset + i, 0, part, false);

		memcpy((uint8_t *)data + i, &v, part);
	}
}

static void pci_ecam_write(void *opaque, uint64_t offset, const void *data,
			   unsigned int len)
{
	unsigned int i, part = len > 4 ? 4 : len;

	for (i = 0; i < len; i += part) {
		uint32_t v = 0;

		memcpy(&v, (const uint8_t *)data + i, part);
		ecam_access(opaque, offset + i, v, part, true);
	}
}

static const struct bus_ops pci_ecam_ops = {
	.read = pci_ecam_read,
	.write = pci_ecam_write,
};

int pci_bus_enable_ecam(struct pci_bus *pb, uint64_t base, struct err *e)
{
	if (bus_register(pb->mmio, base, PCI_ECAM_BUS_SIZE, &pci_ecam_ops, pb,
			 "PCI ECAM", e) < 0)
		return -1;
	pb->ecam_base = base;
	return 0;
}

int pci_bus_init(struct pci_bus *pb, struct bus *pio, struct bus *mmio,
		 uint64_t mmio_start, uint64_t mmio_end, struct err *e)
{
	memset(pb, 0, sizeof(*pb));
	pthread_mutex_init(&pb->lock, NULL);
	pb->pio = pio;
	pb->mmio = mmio;
	pb->mmio_next = mmio_start;
	pb->mmio_end = mmio_end;
	pb->io_next = PCI_IO_START;
	pb->io_end = PCI_IO_END;
	pci_function_init(&pb->host_bridge, "host bridge", PCI_VENDOR_REDHAT,
			  PCI_DEVICE_REDHAT_HOST, PCI_CLASS_BRIDGE_HOST, 0, 0,
			  0);
	pb->host_bridge.bus = pb;
	pb->slots[0] = &pb->host_bridge;
	if (bus_register(pio, PCI_CONFIG_ADDRESS_PORT, 1, &pci_config_addr_ops,
			 pb, "PCI config address", e) < 0)
		return -1;
	return bus_register(pio, PCI_CONFIG_DATA_PORT, 4, &pci_config_data_ops,
			    pb, "PCI config data", e);
}

void pci_bus_destroy(struct pci_bus *pb)
{
	pthread_mutex_destroy(&pb->lock);
}
