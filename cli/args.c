// SPDX-License-Identifier: MIT
#include "cli/args.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/sysinfo.h>

#include "devices/virtio/net.h"
#include "util/file.h"
#include "util/size.h"
#include "vmm/fdt/dtb_boot.h"

struct cli_option {
	const char *name;
	const char *metavar; /* NULL: a flag without argument */
	const char *help;
	int (*apply)(struct vm_config *cfg, const char *arg, struct err *e);
};

static int opt_kernel(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)e;
	cfg->kernel_path = arg;
	return 0;
}

static int opt_initrd(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)e;
	cfg->initrd_path = arg;
	return 0;
}

static int opt_cmdline(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)e;
	cfg->cmdline = arg;
	return 0;
}

static int opt_cpus(struct vm_config *cfg, const char *arg, struct err *e)
{
	if (uint_parse(arg, 1, VM_CONFIG_MAX_CPUS, &cfg->nr_cpus) < 0)
		return err_set(e, "--cpus '%s': expected a number from 1 to %d",
			       arg, VM_CONFIG_MAX_CPUS);
	return 0;
}

static int opt_memory(struct vm_config *cfg, const char *arg, struct err *e)
{
	if (size_parse(arg, &cfg->mem_size) < 0)
		return err_set(
		    e, "--memory '%s': expected a size such as 512M or 2G",
		    arg);
	if (cfg->mem_size < VM_CONFIG_MIN_MEM)
		return err_set(e, "--memory '%s': at least %llu MiB needed",
			       arg, VM_CONFIG_MIN_MEM >> 20);
	return 0;
}

static int opt_no_host_quirks(struct vm_config *cfg, const char *arg,
			      struct err *e)
{
	(void)arg;
	(void)e;
	cfg->host_quirks = false;
	return 0;
}

static int opt_pvh(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->pvh_entry = true;
	return 0;
}

static int opt_guest_decompress(struct vm_config *cfg, const char *arg,
				struct err *e)
{
	(void)arg;
	(void)e;
	cfg->guest_decompress = true;
	return 0;
}

static int opt_stats(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->stats = true;
	return 0;
}

static int opt_verbose(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->verbose = true;
	return 0;
}

static int opt_kvm(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)e;
	cfg->kvm_path = arg;
	return 0;
}

static int opt_console(struct vm_config *cfg, const char *arg, struct err *e)
{
	if (!strcmp(arg, "serial"))
		cfg->console = VM_CONSOLE_SERIAL;
	else if (!strcmp(arg, "virtio"))
		cfg->console = VM_CONSOLE_VIRTIO;
	else
		return err_set(e, "--console '%s': expected serial or virtio",
			       arg);
	return 0;
}

#define TRANSPORT_NAMES "pci, pci-transitional, mmio or mmio-legacy"

static int transport_parse(const char *arg, enum vm_transport *t)
{
	static const struct {
		const char *name;
		enum vm_transport t;
	} names[] = {
		{ "pci", VM_TRANSPORT_PCI },
		{ "pci-transitional", VM_TRANSPORT_PCI_TRANSITIONAL },
		{ "mmio", VM_TRANSPORT_MMIO },
		{ "mmio-legacy", VM_TRANSPORT_MMIO_LEGACY },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(arg, names[i].name)) {
			*t = names[i].t;
			return 0;
		}
	return -1;
}

static int opt_transport(struct vm_config *cfg, const char *arg, struct err *e)
{
	if (transport_parse(arg, &cfg->transport) < 0)
		return err_set(e, "--transport '%s': expected " TRANSPORT_NAMES,
			       arg);
	return 0;
}

/* DEV=TRANSPORT; a later one for the same device wins. */
static int opt_virtio_transport(struct vm_config *cfg, const char *arg,
				struct err *e)
{
	static const char *const devs[] = { "console", "rng", "blk", "net" };
	const char *eq = strchr(arg, '=');
	struct vm_transport_override *o;
	size_t i;

	if (cfg->nr_transport_overrides == VM_MAX_TRANSPORT_OVERRIDES)
		return err_set(e, "--virtio-transport: at most %d times",
			       VM_MAX_TRANSPORT_OVERRIDES);
	o = &cfg->transport_overrides[cfg->nr_transport_overrides];
	for (i = 0; eq && i < sizeof(devs) / sizeof(devs[0]); i++)
		if (strlen(devs[i]) == (size_t)(eq - arg) &&
		    !strncmp(arg, devs[i], (size_t)(eq - arg)))
			break;
	if (!eq || i == sizeof(devs) / sizeof(devs[0]))
		return err_set(
		    e,
		    "--virtio-transport '%s': expected DEV=TRANSPORT with DEV "
		    "console, rng, blk or net",
		    arg);
	if (transport_parse(eq + 1, &o->transport) < 0)
		return err_set(
		    e, "--virtio-transport '%s': expected " TRANSPORT_NAMES,
		    arg);
	o->dev = devs[i];
	cfg->nr_transport_overrides++;
	return 0;
}

static int opt_no_acpi(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->acpi = false;
	return 0;
}

/* The tree replaces ACPI: Linux would take the CPUs from both. */
static int opt_dtb(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->dtb = true;
	cfg->acpi = false;
	return 0;
}

static int opt_dump_dtb(struct vm_config *cfg, const char *arg, struct err *e)
{
	cfg->dump_dtb_path = arg;
	return opt_dtb(cfg, NULL, e);
}

static int opt_rng(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->rng = true;
	return 0;
}

/*
 * --disk PATH[,ro][,serial=ID]: the path is everything before the first
 * comma, so paths with commas are not supported.
 */
static int opt_disk(struct vm_config *cfg, const char *arg, struct err *e)
{
	struct vm_disk_config *d;
	const char *p = strchr(arg, ','), *next;
	size_t len = p ? (size_t)(p - arg) : strlen(arg);

	if (cfg->nr_disks == VM_MAX_DISKS)
		return err_set(e, "--disk: at most %d disks", VM_MAX_DISKS);
	d = &cfg->disks[cfg->nr_disks];
	*d = (struct vm_disk_config){ 0 };
	if (len == 0)
		return err_set(e, "--disk '%s': expected PATH[,ro][,serial=ID]",
			       arg);
	if (len >= sizeof(d->path))
		return err_set(e, "--disk: path too long");
	memcpy(d->path, arg, len);
	for (; p; p = next) {
		const char *opt = p + 1;
		size_t olen;

		next = strchr(opt, ',');
		olen = next ? (size_t)(next - opt) : strlen(opt);
		if (olen == 2 && !strncmp(opt, "ro", 2)) {
			d->read_only = true;
		} else if (olen >= 7 && !strncmp(opt, "serial=", 7)) {
			if (olen - 7 > VM_DISK_SERIAL_MAX)
				return err_set(
				    e,
				    "--disk '%s': serial longer than %d bytes",
				    arg, VM_DISK_SERIAL_MAX);
			memcpy(d->serial, opt + 7, olen - 7);
			d->has_serial = true;
		} else {
			return err_set(e,
				       "--disk '%s': unknown option '%.*s' "
				       "(expected ro or serial=ID)",
				       arg, (int)olen, opt);
		}
	}
	cfg->nr_disks++;
	return 0;
}

/* --net tap=NAME[,mac=MAC] */
static int opt_net(struct vm_config *cfg, const char *arg, struct err *e)
{
	struct vm_net_config *net;
	const char *p = arg;

	if (cfg->nr_nets == VM_MAX_NETS)
		return err_set(e, "--net: at most %d network devices",
			       VM_MAX_NETS);
	net = &cfg->nets[cfg->nr_nets];
	*net = (struct vm_net_config){ 0 };
	while (*p) {
		const char *end = strchrnul(p, ',');
		size_t len = (size_t)(end - p);

		if (len > 4 && !strncmp(p, "tap=", 4)) {
			if (len - 4 >= sizeof(net->tap))
				return err_set(e,
					       "--net '%s': tap name longer "
					       "than %zu characters",
					       arg, sizeof(net->tap) - 1);
			memcpy(net->tap, p + 4, len - 4);
			net->tap[len - 4] = 0;
		} else if (len > 4 && !strncmp(p, "mac=", 4)) {
			char mac[32];

			snprintf(mac, sizeof(mac), "%.*s", (int)(len - 4),
				 p + 4);
			if (virtio_net_parse_mac(mac, net->mac, e) < 0)
				return err_prefix(e, "--net '%s'", arg);
			net->mac_set = true;
		} else {
			return err_set(
			    e, "--net '%s': expected tap=NAME[,mac=MAC]", arg);
		}
		p = *end ? end + 1 : end;
	}
	if (!net->tap[0])
		return err_set(e, "--net '%s': expected tap=NAME[,mac=MAC]",
			       arg);
	if (!net->mac_set)
		virtio_net_mac_from_name(net->tap, net->mac);
	cfg->nr_nets++;
	return 0;
}

/* `vireo run` options; new devices add a row here. */
static const struct cli_option run_options[] = {
	{ "--kernel", "PATH", "guest kernel: ELF vmlinux or bzImage (required)",
	  opt_kernel },
	{ "--initrd", "PATH", "initial ramdisk", opt_initrd },
	{ "--cmdline", "STR",
	  "kernel command line (default \"" VM_CONFIG_DEFAULT_CMDLINE "\")",
	  opt_cmdline },
	{ "--cpus", "N", "number of vCPUs (default 1)", opt_cpus },
	{ "--memory", "SIZE", "guest RAM, e.g. 512M, 2G (default 512M)",
	  opt_memory },
	{ "--console", "serial|virtio",
	  "stdio on the 8250 (ttyS0, default) or on virtio-console (hvc0)",
	  opt_console },
	{ "--rng", NULL, "add a virtio-rng device fed by getrandom()",
	  opt_rng },
	{ "--disk", "PATH[,ro][,serial=ID]",
	  "add a virtio-blk disk (raw image or block device; repeatable: vda, "
	  "vdb, ...)",
	  opt_disk },
	{ "--net", "tap=NAME[,mac=MAC]",
	  "add a virtio-net device on tap NAME (created if missing); "
	  "repeatable",
	  opt_net },
	{ "--transport", "T",
	  "virtio transport: pci (modern, default), pci-transitional, mmio "
	  "(v2) or mmio-legacy (v1)",
	  opt_transport },
	{ "--virtio-transport", "DEV=T",
	  "put one device type (console, rng, blk, net) on transport T; "
	  "repeatable",
	  opt_virtio_transport },
	{ "--no-acpi", NULL,
	  "no ACPI tables: MP table, virtio-mmio devices on the kernel command "
	  "line",
	  opt_no_acpi },
	{ "--dtb", NULL,
	  "describe the machine in a device tree (setup_data SETUP_DTB) "
	  "instead of ACPI; every virtio device on mmio",
	  opt_dtb },
	{ "--dump-dtb", "FILE",
	  "write the device tree --dtb would pass and exit without running",
	  opt_dump_dtb },
	{ "--no-host-quirks", NULL,
	  "do not add the guest kernel parameters this host's KVM needs",
	  opt_no_host_quirks },
	{ "--pvh", NULL, "enter an ELF vmlinux through its PVH entry point",
	  opt_pvh },
	{ "--guest-decompress", NULL,
	  "bzImage: run the kernel's own decompressor in the guest",
	  opt_guest_decompress },
	{ "--stats", NULL,
	  "print vCPU exit counts when the guest ends (and on SIGUSR2)",
	  opt_stats },
	{ "--verbose", NULL, "debug messages on stderr", opt_verbose },
	{ "--kvm", "PATH", "KVM device (default /dev/kvm)", opt_kvm },
};

#define NR_RUN_OPTIONS (sizeof(run_options) / sizeof(run_options[0]))

void cli_print_help(FILE *out)
{
	size_t i;

	fprintf(out, "usage: vireo run --kernel PATH [options]\n"
		     "       vireo --help | --version\n\n"
		     "Run a Linux guest on KVM.\n\noptions for run:\n");
	for (i = 0; i < NR_RUN_OPTIONS; i++) {
		char left[48];

		snprintf(left, sizeof(left), "%s%s%s", run_options[i].name,
			 run_options[i].metavar ? " " : "",
			 run_options[i].metavar ? run_options[i].metavar : "");
		fprintf(out, "  %-34s %s\n", left, run_options[i].help);
	}
	fprintf(
	    out,
	    "\nConsole: the guest's ttyS0 is vireo's stdin/stdout; on a "
	    "terminal,\n"
	    "Ctrl-A X quits and Ctrl-A Ctrl-A sends Ctrl-A.\n\n"
	    "Exit status: 0 guest reset or powered off, 1 vireo failed while\n"
	    "running, 2 bad input or the VM could not start, 3 guest crashed,\n"
	    "128+N stopped by signal N.\n");
}

static const struct cli_option *cli_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NR_RUN_OPTIONS; i++)
		if (strlen(run_options[i].name) == len &&
		    !strncmp(run_options[i].name, name, len))
			return &run_options[i];
	return NULL;
}

static void cli_defaults(struct vm_config *cfg)
{
	*cfg = (struct vm_config){
		.kvm_path = "/dev/kvm",
		.cmdline = VM_CONFIG_DEFAULT_CMDLINE,
		.nr_cpus = 1,
		.mem_size = VM_CONFIG_DEFAULT_MEM,
		.host_quirks = true,
		.acpi = true,
	};
}

int cli_parse(int argc, char **argv, struct vm_config *cfg,
	      enum cli_action *action, struct err *e)
{
	int i;

	cli_defaults(cfg);
	if (argc < 2)
		return err_set(e, "no command given (try 'vireo --help')");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		*action = CLI_HELP;
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		*action = CLI_VERSION;
		return 0;
	}
	if (strcmp(argv[1], "run"))
		return err_set(e, "unknown command '%s' (try 'vireo --help')",
			       argv[1]);
	*action = CLI_RUN;
	for (i = 2; i < argc; i++) {
		const char *arg = argv[i], *value = NULL, *eq;
		const struct cli_option *opt;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			*action = CLI_HELP;
			return 0;
		}
		eq = strchr(arg, '=');
		opt = cli_find(arg, eq ? (size_t)(eq - arg) : strlen(arg));
		if (!opt)
			return err_set(
			    e, "unknown option '%s' (try 'vireo --help')", arg);
		if (!opt->metavar) {
			if (eq)
				return err_set(e, "option %s takes no value",
					       opt->name);
		} else if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			return err_set(e, "option %s needs a value (%s)",
				       opt->name, opt->metavar);
		}
		if (opt->apply(cfg, value, e) < 0)
			return -1;
	}
	if (!cfg->kernel_path)
		return err_set(e, "missing --kernel PATH (try 'vireo --help')");
	return 0;
}

/* Raw images or block devices, readable (and writable unless ro). */
static int disk_check(const struct vm_disk_config *d, struct err *e)
{
	struct stat st;

	if (stat(d->path, &st) < 0) {
		if (errno == ENOENT)
			return err_set(e, "disk '%s' not found", d->path);
		return err_errno(e, errno, "disk '%s'", d->path);
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return err_set(
		    e, "disk '%s' is not a regular file or block device",
		    d->path);
	if (access(d->path, d->read_only ? R_OK : R_OK | W_OK) < 0)
		return err_errno(e, errno, "disk '%s' is not %s", d->path,
				 d->read_only
				     ? "readable"
				     : "readable and writable (add ,ro?)");
	return 0;
}

int cli_validate(const struct vm_config *cfg, struct err *e)
{
	struct sysinfo si;

	if (file_check_readable(cfg->kernel_path, "kernel", e) < 0)
		return -1;
	if (cfg->initrd_path &&
	    file_check_readable(cfg->initrd_path, "initrd", e) < 0)
		return -1;
	for (unsigned int i = 0; i < cfg->nr_disks; i++)
		if (disk_check(&cfg->disks[i], e) < 0)
			return -1;
	if (cfg->dtb && dtb_config_check(cfg, e) < 0)
		return -1;
	if (sysinfo(&si) == 0) {
		uint64_t host = (uint64_t)si.totalram * si.mem_unit;

		if (cfg->mem_size > host)
			return err_set(
			    e,
			    "--memory %llu MiB is more than this host has "
			    "(%llu MiB)",
			    (unsigned long long)(cfg->mem_size >> 20),
			    (unsigned long long)(host >> 20));
	}
	return 0;
}
