// SPDX-License-Identifier: MIT
#include "vmm/acpi/tables.h"
#include "vmm/boot/boot.h"
#include "vmm/layout.h"
#include "vmm/machine.h"
#include "vmm/machine_dtb.h"

#include <inttypes.h>
#include <string.h>

#include "util/log.h"

#define X86_CR0_PE (1ULL << 0)
#define X86_CR0_ET (1ULL << 4)
#define X86_CR0_PG (1ULL << 31)
#define X86_CR4_PAE (1ULL << 5)
#define X86_EFER_LME (1ULL << 8)
#define X86_EFER_LMA (1ULL << 10)

static struct kvm_segment boot_segment(uint16_t selector, uint64_t desc)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = (desc >> 40) & 0xf,
		.present = (desc >> 47) & 1,
		.dpl = (desc >> 45) & 3,
		.db = (desc >> 54) & 1,
		.s = (desc >> 44) & 1,
		.l = (desc >> 53) & 1,
		.g = (desc >> 55) & 1,
	};
}

/* The register state the chosen entry point's protocol defines. */
static int bsp_set_entry_state(struct machine *m, const struct kernel_info *ki,
			       struct err *e)
{
	struct kvm_vcpu *bsp = &m->vcpus[0].vcpu;
	bool pvh = m->cfg->pvh_entry && ki->pvh_entry;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rflags = 2 };
	struct kvm_segment data = boot_segment(BOOT_GDT_DATA, BOOT_DESC_DATA);
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

	if (kvm_vcpu_get_sregs(bsp, &sregs) < 0)
		return err_set(e, "KVM_GET_SREGS failed");
	sregs.gdt.base = LAYOUT_BOOT_GDT;
	sregs.gdt.limit = BOOT_GDT_ENTRIES * 8 - 1;
	sregs.idt.base = LAYOUT_BOOT_IDT;
	sregs.idt.limit = 0;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.tr = boot_segment(BOOT_GDT_TSS, BOOT_DESC_TSS);
	sregs.tr.limit = 0xfff;
	sregs.tr.g = 0;

	if (pvh) {
		/* PVH: 32-bit protected mode, paging off, EBX = start info. */
		sregs.cs = boot_segment(BOOT_GDT_CODE32, BOOT_DESC_CODE32);
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
		sregs.cr4 = 0;
		sregs.efer = 0;
		regs.rip = ki->pvh_entry;
		regs.rbx = LAYOUT_PVH_START_INFO;
	} else {
		/* 64-bit boot protocol: long mode, identity paging, RSI = zero
		 * page. */
		sregs.cs = boot_segment(BOOT_GDT_CODE64, BOOT_DESC_CODE64);
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
		sregs.cr3 = LAYOUT_PML4;
		sregs.cr4 = X86_CR4_PAE;
		sregs.efer = X86_EFER_LME | X86_EFER_LMA;
		regs.rip = ki->entry64;
		regs.rsi = LAYOUT_ZERO_PAGE;
	}
	regs.rsp = LAYOUT_BOOT_STACK;
	regs.rbp = LAYOUT_BOOT_STACK;
	if (kvm_vcpu_set_sregs(bsp, &sregs, e) < 0 ||
	    kvm_vcpu_set_regs(bsp, &regs, e) < 0 ||
	    kvm_vcpu_set_fpu(bsp, &fpu, e) < 0)
		return -1;
	return 0;
}

/*
 * Runs between mapping guest RAM and registering it with KVM: the first
 * memory slot waits for an SRCU grace period begun at VM creation (~4 ms
 * here), which the ~6 ms of reads and page faults of the load absorb. A
 * loader thread overlapping the same wait started no sooner on an idle
 * host and later on a loaded one (it queues for a CPU before it can run).
 */
int kernel_boot_load(struct machine *m, struct err *e)
{
	struct kernel_load_opts opts = {
		.guest_decompress = m->cfg->guest_decompress,
		.mapping = m->cfg->map_images,
	};

	if (kernel_load_file(&m->mem, m->cfg->kernel_path, &opts, &m->kernel,
			     e) < 0)
		return err_prefix(e, "kernel '%s'", m->cfg->kernel_path);
	if (m->kernel.mapped.why)
		log_debug("kernel pages mapped into guest RAM, not copied: %s",
			  m->kernel.mapped.why);
	if (!m->cfg->initrd_path)
		return mapped_images_guard(m, e);
	if (initrd_load_file(&m->mem, &m->kernel, m->cfg->initrd_path,
			     m->ram.low, m->cfg->map_images, &m->initrd_gpa,
			     &m->initrd_size, &m->initrd_mapped, e) < 0)
		return -1;
	if (m->initrd_mapped.why)
		log_debug("initrd pages mapped into guest RAM, not copied: %s",
			  m->initrd_mapped.why);
	return mapped_images_guard(m, e);
}

/* Describes the machine as built so far to the ACPI table builder. */
static int acpi_setup(struct machine *m, struct boot_tables *t, struct err *e)
{
	struct acpi_mmio_device mmio[ACPI_MAX_MMIO_DEVICES];
	struct acpi_config c = {
		.nr_cpus = m->nr_vcpus,
		.ioapic_id = (uint8_t)m->nr_vcpus, /* as in the MP table */
		.ioapic_addr = (uint32_t)LAYOUT_IOAPIC_BASE,
		.lapic_addr = (uint32_t)LAYOUT_LAPIC_BASE,
		.ecam_base = m->ecam_base,
		.pci_mem_base = (uint32_t)m->pci_mem_base,
		.pci_mem_size = (uint32_t)m->pci_mem_size,
		.pci_io_base = 0xc000,
		.pci_io_end = 0xffff,
		.sleep_control_port = LAYOUT_ACPI_SLEEP_CONTROL_PORT,
		.sleep_status_port = LAYOUT_ACPI_SLEEP_STATUS_PORT,
		.pm1_evt_port = LAYOUT_ACPI_PM1_EVT_PORT,
		.pm1_cnt_port = LAYOUT_ACPI_PM1_CNT_PORT,
		.sci_irq = LAYOUT_ACPI_SCI_IRQ,
		.reset_port = RESET_CONTROL_PORT,
		.reset_value = 0x06, /* SYS_RESET | RESET_CPU */
		.mmio = mmio,
	};
	struct acpi_blob blob;
	unsigned int i;
	int ret;

	for (i = 0; i < m->nr_vdevs; i++) {
		const struct virtio_mmio *vm = m->vdevs[i].mmio;

		if (!vm)
			continue;
		if (c.nr_mmio == ACPI_MAX_MMIO_DEVICES)
			return err_set(e,
				       "too many virtio-mmio devices for ACPI");
		mmio[c.nr_mmio++] = (struct acpi_mmio_device){
			.base = vm->base,
			.size = VIRTIO_MMIO_SIZE,
			.gsi = vm->gsi,
		};
	}
	if (acpi_tables_build(&c, LAYOUT_ACPI_START, &blob, e) < 0)
		return -1;
	if (blob.len > LAYOUT_ACPI_END - LAYOUT_ACPI_START)
		ret = err_set(e, "ACPI tables too large (%zu bytes)", blob.len);
	else
		ret = acpi_tables_write(&m->mem, &blob, e);
	acpi_blob_free(&blob);
	t->acpi_rsdp = LAYOUT_ACPI_START;
	return ret;
}

int kernel_boot_setup(struct machine *m, struct err *e)
{
	struct boot_e820_entry e820[16];
	struct boot_tables t = { .e820 = e820 };
	const struct kernel_info *ki = &m->kernel;
	int n;

	t.initrd_gpa = m->initrd_gpa;
	t.initrd_size = m->initrd_size;
	if (ki->host_decompressed)
		log_debug("bzImage payload decompressed on the host, entry "
			  "0x%" PRIx64,
			  ki->entry64);
	if (m->cfg->pvh_entry && !ki->pvh_entry)
		return err_set(e, "kernel '%s' has no PVH entry note",
			       m->cfg->kernel_path);

	if (!m->cfg->acpi && !m->cfg->dtb && virtio_devices_cmdline(m, e) < 0)
		return -1;
	n = e820_build(m->ram.low, m->ram.high, e820, 15);
	if (n < 0)
		return err_set(e, "cannot build the E820 map");
	/* The ECAM window, reserved as Linux requires before it uses MCFG. */
	if (m->cfg->acpi)
		e820[n++] = (struct boot_e820_entry){
			.addr = m->ecam_base,
			.size = PCI_ECAM_BUS_SIZE,
			.type = 2,
		};
	if (m->cfg->acpi && acpi_setup(m, &t, e) < 0)
		return -1;
	t.nr_e820 = (unsigned int)n;
	t.cmdline_gpa = LAYOUT_CMDLINE;
	t.cmdline_len = (uint32_t)strlen(m->cmdline);
	if (machine_dtb_setup(m, &t, e) < 0)
		return -1;

	if (cmdline_write(&m->mem, ki, m->cmdline, e) < 0 ||
	    zero_page_write(&m->mem, ki, &t, e) < 0 ||
	    pvh_start_info_write(&m->mem, &t, e) < 0 ||
	    /* The tree lists the CPUs: Linux would count MP table ones twice.
	     */
	    (!m->cfg->dtb && mptable_write(&m->mem, m->nr_vcpus,
					   (uint8_t)m->nr_vcpus, e) < 0) ||
	    boot_pagetables_write(&m->mem, e) < 0)
		return -1;
	return bsp_set_entry_state(m, ki, e);
}
