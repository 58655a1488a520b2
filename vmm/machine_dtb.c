// SPDX-License-Identifier: MIT
#include "vmm/machine_dtb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "vmm/fdt/dtb.h"
#include "vmm/fdt/dtb_boot.h"
#include "vmm/layout.h"

/* The 8250 legacy_devices.c puts on the port bus. */
#define DTB_COM1_PORT 0x3f8
#define DTB_COM1_IRQ 4
#define DTB_UART_CLOCK_HZ 1843200

static int dtb_describe(struct machine *m, struct dtb_config *c,
			struct dtb_mmio_device *mmio, struct err *e)
{
	unsigned int i;

	c->nr_cpus = m->nr_vcpus;
	c->mem[c->nr_mem++] = (struct dtb_mem_range){ 0, m->ram.low };
	if (m->ram.high)
		c->mem[c->nr_mem++] =
		    (struct dtb_mem_range){ LAYOUT_MMIO_HOLE_END, m->ram.high };
	c->lapic_addr = LAYOUT_LAPIC_BASE;
	c->ioapic_addr = LAYOUT_IOAPIC_BASE;
	c->bootargs = m->cmdline;
	c->mmio = mmio;
	for (i = 0; i < m->nr_vdevs; i++) {
		const struct virtio_slot *s = &m->vdevs[i];

		/* dtb_config_check refused these already; devices may move. */
		if (!s->mmio)
			return err_set(e,
				       "--dtb: virtio %s is on PCI, which the "
				       "device tree cannot describe",
				       s->ops->name);
		if (c->nr_mmio == DTB_MAX_MMIO_DEVICES)
			return err_set(e,
				       "--dtb: more than %d virtio-mmio "
				       "devices",
				       DTB_MAX_MMIO_DEVICES);
		mmio[c->nr_mmio++] = (struct dtb_mmio_device){
			.base = s->mmio->base,
			.size = VIRTIO_MMIO_SIZE,
			.gsi = s->mmio->gsi,
		};
	}
	return 0;
}

static int dtb_dump(const char *path, const void *dtb, size_t len,
		    struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *p = dtb;
	ssize_t n;

	if (fd < 0)
		return err_errno(e, errno, "--dump-dtb '%s'", path);
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			close(fd);
			return err_errno(e, err, "--dump-dtb '%s'", path);
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0)
		return err_errno(e, errno, "--dump-dtb '%s'", path);
	return 0;
}

int machine_dtb_setup(struct machine *m, struct boot_tables *t, struct err *e)
{
	static const struct dtb_uart uart = {
		.port = DTB_COM1_PORT,
		.irq = DTB_COM1_IRQ,
		.clock_hz = DTB_UART_CLOCK_HZ,
	};
	struct dtb_mmio_device mmio[DTB_MAX_MMIO_DEVICES];
	struct dtb_config c = { .uart = &uart };
	void *dtb;
	size_t len;
	int ret = 0;

	if (!m->cfg->dtb)
		return 0;
	if (dtb_describe(m, &c, mmio, e) < 0 ||
	    dtb_build(&c, &dtb, &len, e) < 0)
		return -1;
	if (m->cfg->dump_dtb_path)
		ret = dtb_dump(m->cfg->dump_dtb_path, dtb, len, e);
	if (ret == 0)
		ret = dtb_setup_data_write(&m->mem, LAYOUT_SETUP_DATA,
					   LAYOUT_SETUP_DATA_MAX, dtb, len, e);
	free(dtb);
	if (ret == 0)
		t->setup_data = LAYOUT_SETUP_DATA;
	return ret;
}
