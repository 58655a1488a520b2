// SPDX-License-Identifier: MIT
/*
 * The hostile guest's main: find the machine, run the scenarios the command
 * line picks, print one line per scenario and reset.
 */
#include "platform.h"
#include "scenario.h"

#define BOOT_64 1
#define BOOT_PVH 2

static const char *cmd_value(const char *cmdline, const char *key)
{
	size_t n = strlen(key);
	const char *s;

	for (s = cmdline; s && *s; s++)
		if ((s == cmdline || s[-1] == ' ') && !strncmp(s, key, n))
			return s + n;
	return NULL;
}

static bool item_end(char c)
{
	return !c || c == ',' || c == ' ';
}

/* hostile=all, or a comma list of names; NAME* matches a prefix. */
static bool selected(const char *list, const char *name)
{
	const char *p = list;

	if (!p)
		return false;
	while (!item_end(*p) || *p == ',') {
		size_t n = 0;

		if (*p == ',') {
			p++;
			continue;
		}
		while (!item_end(p[n]))
			n++;
		if ((n == 3 && !strncmp(p, "all", 3)) ||
		    (n == strlen(name) && !strncmp(p, name, n)) ||
		    (n > 1 && p[n - 1] == '*' && !strncmp(p, name, n - 1)))
			return true;
		p += n;
	}
	return false;
}

static bool applies(const struct scenario *s, const struct vdev *d)
{
	unsigned int on = s->on;
	unsigned int types = on & (ON_RNG | ON_BLK | ON_CONSOLE);

	if ((on & ON_NET) || d->type == VIRTIO_ID_NET)
		return (on & ON_NET) && d->type == VIRTIO_ID_NET;
	if (types) {
		if (d->type == VIRTIO_ID_RNG && !(types & ON_RNG))
			return false;
		if (d->type == VIRTIO_ID_BLOCK && !(types & ON_BLK))
			return false;
		if (d->type == VIRTIO_ID_CONSOLE && !(types & ON_CONSOLE))
			return false;
		if (d->type != VIRTIO_ID_RNG && d->type != VIRTIO_ID_BLOCK &&
		    d->type != VIRTIO_ID_CONSOLE)
			return false;
	} else if (d->type != VIRTIO_ID_RNG && d->type != VIRTIO_ID_BLOCK &&
		   d->type != VIRTIO_ID_CONSOLE) {
		return false;
	}
	if ((on & ON_PCI) && !vpci(d))
		return false;
	if ((on & ON_MMIO) && vpci(d))
		return false;
	if ((on & ON_MODERN) && vlegacy(d))
		return false;
	if ((on & ON_LEGACY) && !vlegacy(d))
		return false;
	return true;
}

/*
 * A scenario runs on the first device of a transport kind it applies to;
 * generic attacks prefer the rng, the simplest device to fail requests on.
 * Transport and PCI scenarios run once per kind present (a VM may put each
 * device type on its own transport), the ring, device and race ones once:
 * their code is the same under every transport.
 */
static struct vdev *pick(const struct scenario *s, enum vkind k)
{
	unsigned int i;

	for (i = 0; i < nr_devs; i++)
		if (devs[i].kind == k && devs[i].type == VIRTIO_ID_RNG &&
		    applies(s, &devs[i]))
			return &devs[i];
	for (i = 0; i < nr_devs; i++)
		if (devs[i].kind == k && applies(s, &devs[i]))
			return &devs[i];
	return NULL;
}

static unsigned int npass, nfail;

static void run_on(const struct scenario *s, struct vdev *d)
{
	char facts[160] = "", rf[96] = "";
	enum result r;
	u64 t0 = rdtsc();

	r = s->run(d, facts, sizeof(facts));
	if (r != R_SKIP && !dev_works(d, rf, sizeof(rf))) {
		r = R_FAIL;
		fmt(facts + strlen(facts), sizeof(facts) - strlen(facts),
		    " no-recovery:%s", rf);
	}
	if (r == R_SKIP) {
		print("HOSTILE %s skip %s %s\n", s->name, d->name, facts);
		return;
	}
	if (r == R_PASS)
		npass++;
	else
		nfail++;
	print("HOSTILE %s %s %s ms=%lu %s\n", s->name,
	      r == R_PASS ? "pass" : "fail", d->name,
	      (rdtsc() - t0) / tsc_per_ms, facts);
}

static void run_one(const struct scenario *s, bool each_kind)
{
	bool ran = false;
	unsigned int k;

	for (k = VK_PCI; k <= VK_MMIO_LEGACY && !(ran && !each_kind); k++) {
		struct vdev *d = pick(s, (enum vkind)k);

		if (d) {
			run_on(s, d);
			ran = true;
		}
	}
	if (!ran)
		print("HOSTILE %s skip no-device\n", s->name);
}

static void run_table(const struct scenario *t, unsigned int n,
		      const char *list, bool each_kind)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (selected(list, t[i].name))
			run_one(&t[i], each_kind);
}

static void boot_info(u64 ptr, u64 kind)
{
	if (kind == BOOT_PVH) {
		/* hvm_start_info: cmdline_paddr at 24, rsdp_paddr at 32. */
		boot.cmdline = (const char *)mr64(ptr + 24);
		boot.rsdp = mr64(ptr + 32);
	} else {
		/* boot_params: acpi_rsdp_addr at 0x70, cmd_line_ptr at 0x228.
		 */
		boot.cmdline = (const char *)(u64)mr32(ptr + 0x228);
		boot.rsdp = mr64(ptr + 0x70);
	}
	if (!boot.cmdline)
		boot.cmdline = "";
}

void hmain(u64 ptr, u64 kind);
void hmain(u64 ptr, u64 kind)
{
	const char *list, *chaos, *idle;
	unsigned int i;

	boot_info(ptr, kind);
	print("\nHOSTILE-START entry=%s cmdline=\"%s\"\n",
	      kind == BOOT_PVH ? "pvh" : "64bit", boot.cmdline);
	irq_init();
	time_init();
	acpi_scan();
	mmio_scan_cmdline(boot.cmdline);
	virtio_discover();
	print("HOSTILE-INFO tsc_per_ms=%lu ecam=0x%lx mmio=%u%s devices=%u:",
	      tsc_per_ms, plat.ecam, plat.nr_mmio,
	      plat.mmio_from_acpi ? "(acpi)" : "(cmdline)", nr_devs);
	for (i = 0; i < nr_devs; i++)
		print(" %s", devs[i].name);
	print("\n");

	list = cmd_value(boot.cmdline, "hostile=");
	run_table(transport_scenarios, nr_transport_scenarios, list, true);
	run_table(ring_scenarios, nr_ring_scenarios, list, false);
	run_table(pci_scenarios, nr_pci_scenarios, list, true);
	run_table(device_scenarios, nr_device_scenarios, list, false);
	run_table(race_scenarios, nr_race_scenarios, list, false);
	run_table(net_scenarios, nr_net_scenarios, list, false);
	idle = cmd_value(boot.cmdline, "hostile.idle=");
	if (idle)
		idle_run(parse_u64(idle, NULL));
	chaos = cmd_value(boot.cmdline, "hostile.chaos=");
	if (chaos) {
		const char *p;
		u64 secs = parse_u64(chaos, &p), seed = 1, rounds = 0;

		if (!strncmp(p, ",seed=", 6))
			seed = parse_u64(p + 6, &p);
		if (!strncmp(p, ",rounds=", 8))
			rounds = parse_u64(p + 8, NULL);
		chaos_run(secs, seed, rounds, &npass, &nfail);
	}
	print("HOSTILE-END pass=%u fail=%u\n", npass, nfail);
	machine_reset();
}
