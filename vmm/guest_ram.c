// SPDX-License-Identifier: MIT
#include "vmm/layout.h"
#include "vmm/machine.h"

#include <errno.h>
#include <sys/mman.h>

#define GIB (1ULL << 30)
/*
 * Host huge-page size on x86-64. Guest RAM starts on such a boundary so a
 * guest-physical 2 MiB frame is a host one too: the kernel image loads
 * into huge pages (guest_mem_pread) and KVM can map them whole.
 */
#define HUGE_ALIGN (2ULL << 20)

/* An anonymous mapping of size bytes starting on a HUGE_ALIGN boundary. */
static uint8_t *map_aligned(uint64_t size)
{
	uint8_t *raw, *host;
	uint64_t lead;

	raw = mmap(NULL, size + HUGE_ALIGN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return MAP_FAILED;
	host = (uint8_t *)(((uintptr_t)raw + HUGE_ALIGN - 1) &
			   ~(uintptr_t)(HUGE_ALIGN - 1));
	lead = (uint64_t)(host - raw);
	if (lead)
		munmap(raw, lead);
	munmap(host + size, HUGE_ALIGN - lead);
	return host;
}

int guest_ram_create(struct machine *m, struct err *e)
{
	struct guest_ram *r = &m->ram;
	uint64_t size = m->cfg->mem_size;
	uint8_t *host;

	/* NORESERVE: untouched guest RAM costs the host nothing. */
	host = map_aligned(size);
	if (host == MAP_FAILED)
		return err_errno(e, errno, "cannot map %llu MiB of guest RAM",
				 (unsigned long long)(size >> 20));
	r->host = host;
	r->size = size;
	r->low = size < LAYOUT_MMIO_HOLE_START ? size : LAYOUT_MMIO_HOLE_START;
	r->high = size - r->low;

	if (guest_mem_add_region(&m->mem, 0, r->low, host) < 0 ||
	    (r->high && guest_mem_add_region(&m->mem, 4 * GIB, r->high,
					     host + r->low) < 0))
		return err_set(e, "guest memory layout");
	return 0;
}

int guest_ram_register(struct machine *m, struct err *e)
{
	struct guest_ram *r = &m->ram;

	if (kvm_vm_add_memory(&m->vm, 0, r->low, r->host, e) < 0)
		return -1;
	if (r->high && kvm_vm_add_memory(&m->vm, 4 * GIB, r->high,
					 (uint8_t *)r->host + r->low, e) < 0)
		return -1;
	return 0;
}

void guest_ram_destroy(struct machine *m)
{
	if (m->ram.host)
		munmap(m->ram.host, m->ram.size);
	m->ram.host = NULL;
}
