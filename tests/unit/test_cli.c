// SPDX-License-Identifier: MIT
/*
 * Command line parsing and validation (cli/args.c): every option in both
 * spellings, defaults, and one-line errors for every kind of bad input.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli/args.h"

#define CLT_ARGC(...)                                                          \
	((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))
/* cli_parse(vireo ARGS...) into clt.cfg / clt.action / clt.e. */
#define CLT_PARSE(...)                                                         \
	cli_parse(CLT_ARGC("vireo", __VA_ARGS__),                              \
		  (char *[]){ "vireo", __VA_ARGS__, NULL }, &clt.cfg,          \
		  &clt.action, &clt.e)

static struct {
	struct vm_config cfg;
	enum cli_action action;
	struct err e;
} clt;

static void clt_setup(void)
{
	memset(&clt, 0x5a, sizeof(clt));
	clt.e.msg[0] = '\0';
}

/* A failed parse or validation: one non-empty line mentioning want. */
static void clt_assert_error(int ret, const char *want)
{
	cr_assert_eq(ret, -1, "accepted, expected an error about '%s'", want);
	cr_assert_neq(clt.e.msg[0], '\0', "empty error message");
	cr_assert_null(strchr(clt.e.msg, '\n'), "multi-line error: '%s'",
		       clt.e.msg);
	cr_assert(strstr(clt.e.msg, want), "'%s' not in '%s'", want, clt.e.msg);
}

static void clt_assert_ok(int ret)
{
	cr_assert_eq(ret, 0, "rejected: %s", clt.e.msg);
	cr_assert_eq(clt.action, CLI_RUN);
}

TestSuite(cli_args, .init = clt_setup);

Test(cli_args, defaults)
{
	clt_assert_ok(CLT_PARSE("run", "--kernel", "vmlinux"));
	cr_assert_str_eq(clt.cfg.kernel_path, "vmlinux");
	cr_assert_str_eq(clt.cfg.cmdline, "console=ttyS0 reboot=k panic=-1");
	cr_assert_eq(clt.cfg.nr_cpus, 1);
	cr_assert_eq(clt.cfg.mem_size, 512ULL << 20);
	cr_assert(clt.cfg.host_quirks);
	cr_assert_str_eq(clt.cfg.kvm_path, "/dev/kvm");
	cr_assert_null(clt.cfg.initrd_path);
	cr_assert_eq(clt.cfg.console, VM_CONSOLE_SERIAL);
	cr_assert_eq(clt.cfg.transport, VM_TRANSPORT_PCI);
	cr_assert_not(clt.cfg.rng);
	cr_assert_not(clt.cfg.pvh_entry);
	cr_assert_not(clt.cfg.stats);
	cr_assert_not(clt.cfg.verbose);
}

static void clt_assert_all_set(void)
{
	cr_assert_str_eq(clt.cfg.kernel_path, "k.elf");
	cr_assert_str_eq(clt.cfg.initrd_path, "i.cpio");
	cr_assert_str_eq(clt.cfg.cmdline, "console=hvc0 quiet");
	cr_assert_eq(clt.cfg.nr_cpus, 4);
	cr_assert_eq(clt.cfg.mem_size, 2ULL << 30);
	cr_assert_eq(clt.cfg.console, VM_CONSOLE_VIRTIO);
	cr_assert_eq(clt.cfg.transport, VM_TRANSPORT_PCI_TRANSITIONAL);
	cr_assert_str_eq(clt.cfg.kvm_path, "/dev/kvm2");
	cr_assert(clt.cfg.rng);
	cr_assert_not(clt.cfg.host_quirks);
	cr_assert(clt.cfg.pvh_entry);
	cr_assert(clt.cfg.stats);
	cr_assert(clt.cfg.verbose);
}

Test(cli_args, every_option_separate_value)
{
	clt_assert_ok(CLT_PARSE("run", "--kernel", "k.elf", "--initrd",
				"i.cpio", "--cmdline", "console=hvc0 quiet",
				"--cpus", "4", "--memory", "2G", "--console",
				"virtio", "--rng", "--transport",
				"pci-transitional", "--no-host-quirks", "--pvh",
				"--stats", "--verbose", "--kvm", "/dev/kvm2"));
	clt_assert_all_set();
}

Test(cli_args, every_option_equals_value)
{
	clt_assert_ok(CLT_PARSE("run", "--kernel=k.elf", "--initrd=i.cpio",
				"--cmdline=console=hvc0 quiet", "--cpus=4",
				"--memory=2G", "--console=virtio", "--rng",
				"--transport=pci-transitional",
				"--no-host-quirks", "--pvh", "--stats",
				"--verbose", "--kvm=/dev/kvm2"));
	clt_assert_all_set();
}

Test(cli_args, value_may_contain_equals_and_look_like_option)
{
	clt_assert_ok(
	    CLT_PARSE("run", "--cmdline=a=b c=d", "--kernel", "--weird-name"));
	cr_assert_str_eq(clt.cfg.cmdline, "a=b c=d");
	cr_assert_str_eq(clt.cfg.kernel_path, "--weird-name");
}

Test(cli_args, last_occurrence_wins)
{
	clt_assert_ok(CLT_PARSE("run", "--kernel", "a", "--cpus", "2",
				"--kernel=b", "--cpus=3", "--console", "virtio",
				"--console", "serial"));
	cr_assert_str_eq(clt.cfg.kernel_path, "b");
	cr_assert_eq(clt.cfg.nr_cpus, 3);
	cr_assert_eq(clt.cfg.console, VM_CONSOLE_SERIAL);
}

Test(cli_args, console_and_transport_values)
{
	clt_assert_ok(CLT_PARSE("run", "--kernel", "k", "--console=serial",
				"--transport=pci"));
	cr_assert_eq(clt.cfg.console, VM_CONSOLE_SERIAL);
	cr_assert_eq(clt.cfg.transport, VM_TRANSPORT_PCI);
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--console", "hvc"),
			 "--console 'hvc'");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--console="),
			 "--console");
	clt_assert_error(
	    CLT_PARSE("run", "--kernel", "k", "--console", "Serial"),
	    "expected serial or virtio");
	clt_assert_error(
	    CLT_PARSE("run", "--kernel", "k", "--transport", "virtio"),
	    "--transport 'virtio'");
	clt_assert_error(
	    CLT_PARSE("run", "--kernel", "k", "--transport=pci-legacy"),
	    "expected pci, pci-transitional, mmio or mmio-legacy");
}

Test(cli_args, mmio_transports_and_acpi)
{
	clt_assert_ok(CLT_PARSE("run", "--kernel", "k", "--transport", "mmio"));
	cr_assert_eq(clt.cfg.transport, VM_TRANSPORT_MMIO);
	cr_assert(clt.cfg.acpi);
	cr_assert_eq(clt.cfg.nr_transport_overrides, 0);
	cr_assert_eq(vm_config_transport(&clt.cfg, "rng"), VM_TRANSPORT_MMIO);
	clt_assert_ok(CLT_PARSE("run", "--kernel", "k", "--transport",
				"mmio-legacy", "--no-acpi"));
	cr_assert_eq(clt.cfg.transport, VM_TRANSPORT_MMIO_LEGACY);
	cr_assert_not(clt.cfg.acpi);
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--no-acpi=1"),
			 "takes no value");
}

Test(cli_args, per_device_transport_override)
{
	clt_assert_ok(CLT_PARSE("run", "--kernel", "k", "--virtio-transport",
				"rng=mmio", "--virtio-transport=console=pci",
				"--virtio-transport", "rng=mmio-legacy"));
	cr_assert_eq(clt.cfg.nr_transport_overrides, 3);
	cr_assert_eq(vm_config_transport(&clt.cfg, "rng"),
		     VM_TRANSPORT_MMIO_LEGACY, "the last one wins");
	cr_assert_eq(vm_config_transport(&clt.cfg, "console"),
		     VM_TRANSPORT_PCI);
	cr_assert_eq(vm_config_transport(&clt.cfg, "blk"), VM_TRANSPORT_PCI);
	clt_assert_error(
	    CLT_PARSE("run", "--kernel", "k", "--virtio-transport", "gpu=mmio"),
	    "DEV console, rng, blk, net or vsock");
	clt_assert_error(
	    CLT_PARSE("run", "--kernel", "k", "--virtio-transport", "rng"),
	    "--virtio-transport 'rng'");
	clt_assert_error(
	    CLT_PARSE("run", "--kernel", "k", "--virtio-transport", "rng=isa"),
	    "expected pci, pci-transitional, mmio or mmio-legacy");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--virtio-transport",
				   "rngx=mmio"),
			 "DEV console");
}

Test(cli_args, flags_reject_values)
{
	static char *const flags[] = { "--rng=1", "--no-host-quirks=yes",
				       "--pvh=", "--stats=0",
				       "--verbose=true" };
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		clt_assert_error(CLT_PARSE("run", "--kernel", "k", flags[i]),
				 "takes no value");
	}
}

Test(cli_args, missing_value)
{
	static char *const opts[] = { "--kernel",    "--initrd", "--cmdline",
				      "--cpus",	     "--memory", "--console",
				      "--transport", "--kvm" };
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		clt_assert_error(CLT_PARSE("run", "--kernel", "k", opts[i]),
				 "needs a value");
		cr_assert(strstr(clt.e.msg, opts[i]), "'%s' not in '%s'",
			  opts[i], clt.e.msg);
	}
}

Test(cli_args, unknown_option)
{
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--frobnicate"),
			 "unknown option '--frobnicate'");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--kern=x"),
			 "unknown option");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--kernelx"),
			 "unknown option");
	clt_assert_error(CLT_PARSE("run", "-k", "k"), "unknown option");
	clt_assert_error(CLT_PARSE("run", "vmlinux"), "unknown option");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--version"),
			 "unknown option");
}

Test(cli_args, unknown_or_no_command)
{
	clt_assert_error(CLT_PARSE("fly"), "unknown command 'fly'");
	clt_assert_error(CLT_PARSE("--kernel", "k"), "unknown command");
	clt_assert_error(cli_parse(1, (char *[]){ "vireo", NULL }, &clt.cfg,
				   &clt.action, &clt.e),
			 "no command");
}

Test(cli_args, help_and_version)
{
	cr_assert_eq(CLT_PARSE("--help"), 0);
	cr_assert_eq(clt.action, CLI_HELP);
	clt.action = CLI_RUN;
	cr_assert_eq(CLT_PARSE("-h"), 0);
	cr_assert_eq(clt.action, CLI_HELP);
	clt.action = CLI_RUN;
	cr_assert_eq(CLT_PARSE("help"), 0);
	cr_assert_eq(clt.action, CLI_HELP);
	clt.action = CLI_RUN;
	cr_assert_eq(CLT_PARSE("--version"), 0);
	cr_assert_eq(clt.action, CLI_VERSION);
	clt.action = CLI_RUN;
	cr_assert_eq(CLT_PARSE("-V"), 0);
	cr_assert_eq(clt.action, CLI_VERSION);
	/* `run --help` needs no --kernel. */
	clt.action = CLI_RUN;
	cr_assert_eq(CLT_PARSE("run", "--cpus", "2", "--help"), 0);
	cr_assert_eq(clt.action, CLI_HELP);
}

Test(cli_args, help_lists_every_option)
{
	static const char *const names[] = {
		"--kernel", "--initrd",	   "--cmdline",
		"--cpus",   "--memory",	   "--console",
		"--rng",    "--transport", "--no-host-quirks",
		"--pvh",    "--stats",	   "--verbose",
		"--kvm",    "--no-acpi",   "--virtio-transport",
	};
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	cli_print_help(f);
	fclose(f);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_assert(strstr(text, names[i]), "%s missing from help",
			  names[i]);
	cr_assert(strstr(text, "usage: vireo run"));
	free(text);
}

Test(cli_args, cpus_range)
{
	clt_assert_ok(CLT_PARSE("run", "--kernel", "k", "--cpus", "255"));
	cr_assert_eq(clt.cfg.nr_cpus, 255);
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--cpus", "0"),
			 "--cpus '0'");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--cpus", "256"),
			 "from 1 to 255");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--cpus", "two"),
			 "--cpus 'two'");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--cpus=-1"),
			 "--cpus");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--cpus=2x"),
			 "--cpus");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--cpus="),
			 "--cpus");
}

Test(cli_args, memory_values)
{
	clt_assert_ok(CLT_PARSE("run", "--kernel", "k", "--memory", "32M"));
	cr_assert_eq(clt.cfg.mem_size, 32ULL << 20);
	clt_assert_ok(CLT_PARSE("run", "--kernel", "k", "--memory", "1024"));
	cr_assert_eq(clt.cfg.mem_size, 1ULL << 30);
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--memory", "31M"),
			 "at least 32 MiB");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--memory", "4096K"),
			 "at least 32 MiB");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--memory", "0"),
			 "--memory '0'");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--memory=lots"),
			 "expected a size");
	clt_assert_error(
	    CLT_PARSE("run", "--kernel", "k", "--memory", "99999999999T"),
	    "--memory");
}

Test(cli_args, missing_kernel)
{
	clt_assert_error(CLT_PARSE("run"), "missing --kernel");
	clt_assert_error(CLT_PARSE("run", "--cpus", "2", "--initrd", "i"),
			 "missing --kernel");
}

Test(cli_args, error_with_newline_in_argument_stays_one_line)
{
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--cpus", "1\n2"),
			 "--cpus");
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--bad\noption"),
			 "unknown option");
	clt_assert_error(CLT_PARSE("fly\naway"), "unknown command");
}

/* --- cli_validate ------------------------------------------------------ */

static char clt_file[] = "/tmp/vireo-test-cli-XXXXXX";

static void clt_make_file(void)
{
	int fd = mkstemp(clt_file);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "x", 1), 1);
	close(fd);
}

static void clt_valid_cfg(void)
{
	clt_make_file();
	clt_assert_ok(
	    CLT_PARSE("run", "--kernel", clt_file, "--memory", "64M"));
}

static void clt_remove_file(void)
{
	if (strcmp(clt_file + strlen(clt_file) - 6, "XXXXXX"))
		unlink(clt_file);
}

TestSuite(cli_validate, .init = clt_setup, .fini = clt_remove_file);

Test(cli_validate, readable_kernel_and_initrd)
{
	clt_valid_cfg();
	cr_assert_eq(cli_validate(&clt.cfg, &clt.e), 0, "%s", clt.e.msg);
	clt.cfg.initrd_path = clt_file;
	cr_assert_eq(cli_validate(&clt.cfg, &clt.e), 0, "%s", clt.e.msg);
}

Test(cli_validate, missing_kernel_file)
{
	clt_valid_cfg();
	clt.cfg.kernel_path = "/nonexistent/vmlinux";
	clt_assert_error(cli_validate(&clt.cfg, &clt.e), "No such file");
	cr_assert(strstr(clt.e.msg, "kernel"));
	cr_assert(strstr(clt.e.msg, "/nonexistent/vmlinux"));
}

Test(cli_validate, missing_initrd_file)
{
	clt_valid_cfg();
	clt.cfg.initrd_path = "/nonexistent/initrd";
	clt_assert_error(cli_validate(&clt.cfg, &clt.e), "initrd");
	cr_assert(strstr(clt.e.msg, "No such file"));
}

Test(cli_validate, directory_is_not_a_kernel)
{
	clt_valid_cfg();
	clt.cfg.kernel_path = "/tmp";
	clt_assert_error(cli_validate(&clt.cfg, &clt.e), "not a regular file");
	clt.cfg.kernel_path = clt_file;
	clt.cfg.initrd_path = "/";
	clt_assert_error(cli_validate(&clt.cfg, &clt.e), "not a regular file");
}

Test(cli_validate, memory_beyond_host)
{
	clt_valid_cfg();
	clt.cfg.mem_size = 1ULL << 60;
	clt_assert_error(cli_validate(&clt.cfg, &clt.e),
			 "more than this host has");
}

Test(cli_validate, path_with_newline_stays_one_line)
{
	clt_valid_cfg();
	clt.cfg.kernel_path = "/nonexistent/a\nb";
	clt_assert_error(cli_validate(&clt.cfg, &clt.e), "kernel");
}

Test(cli_args, disks_in_order_with_options)
{
	clt_assert_ok(CLT_PARSE("run", "--kernel", "k", "--disk", "a.img",
				"--disk=b.img,ro,serial=SER-1", "--disk",
				"c.img,serial=12345678901234567890,poll=1000"));
	cr_assert_eq(clt.cfg.nr_disks, 3);
	cr_assert_eq(clt.cfg.disks[0].poll_us, 0);
	cr_assert_eq(clt.cfg.disks[2].poll_us, 1000);
	cr_assert_str_eq(clt.cfg.disks[0].path, "a.img");
	cr_assert_not(clt.cfg.disks[0].read_only);
	cr_assert_not(clt.cfg.disks[0].has_serial);
	cr_assert_str_eq(clt.cfg.disks[1].path, "b.img");
	cr_assert(clt.cfg.disks[1].read_only);
	cr_assert_str_eq(clt.cfg.disks[1].serial, "SER-1");
	cr_assert_str_eq(clt.cfg.disks[2].serial, "12345678901234567890");
}

Test(cli_args, images_are_mapped_where_they_cannot_change_unless_told)
{
	clt_assert_ok(CLT_PARSE("run", "--kernel", "k"));
	cr_assert_eq(clt.cfg.map_images, IMAGE_MAP_AUTO);
	clt_setup();
	clt_assert_ok(CLT_PARSE("run", "--kernel", "k", "--map-images"));
	cr_assert_eq(clt.cfg.map_images, IMAGE_MAP_ALWAYS);
	clt_setup();
	clt_assert_ok(CLT_PARSE("run", "--kernel", "k", "--copy-images"));
	cr_assert_eq(clt.cfg.map_images, IMAGE_MAP_NEVER);
	/* The last of the two wins, as a config file's flag gives way. */
	clt_setup();
	clt_assert_ok(
	    CLT_PARSE("run", "--kernel", "k", "--map-images", "--copy-images"));
	cr_assert_eq(clt.cfg.map_images, IMAGE_MAP_NEVER);
}

Test(cli_args, bad_disk_specs)
{
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--disk", ",ro"),
			 "expected PATH");
	clt_setup();
	clt_assert_error(
	    CLT_PARSE("run", "--kernel", "k", "--disk", "a.img,rw"),
	    "unknown option 'rw'");
	clt_setup();
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--disk",
				   "a.img,serial=123456789012345678901"),
			 "serial longer than 20");
	clt_setup();
	clt_assert_error(
	    CLT_PARSE("run", "--kernel", "k", "--disk", "a.img,poll=1001"),
	    "poll= takes microseconds, 0 to 1000");
	clt_setup();
	clt_assert_error(
	    CLT_PARSE("run", "--kernel", "k", "--disk", "a.img,poll=-1"),
	    "poll= takes microseconds");
	clt_setup();
	clt_assert_error(
	    CLT_PARSE("run", "--kernel", "k", "--disk", "a.img,poll=5us"),
	    "poll= takes microseconds");
}

Test(cli_args, disk_validation)
{
	char path[] = "/tmp/vireo-cli-disk-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	clt_assert_ok(CLT_PARSE("run", "--kernel", path, "--disk", path));
	cr_assert_eq(cli_validate(&clt.cfg, &clt.e), 0, "%s", clt.e.msg);
	clt_setup();
	clt_assert_ok(
	    CLT_PARSE("run", "--kernel", path, "--disk", "/nonexistent.img"));
	clt_assert_error(cli_validate(&clt.cfg, &clt.e), "not found");
	clt_setup();
	clt_assert_ok(CLT_PARSE("run", "--kernel", path, "--disk", "/tmp"));
	clt_assert_error(cli_validate(&clt.cfg, &clt.e),
			 "not a regular file or block device");
	unlink(path);
}

/*
 * A repeated sub-option used to be applied over the first: serial=XY after
 * serial=ABCDEFGH left "XYCDEFGH". Every repeatable key is now an error.
 */
Test(cli_args, disk_serial_given_twice)
{
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--disk",
				   "a.img,serial=ABCDEFGH,serial=XY"),
			 "serial given twice");
}

Test(cli_args, disk_and_net_keys_given_twice)
{
	static const char *const disks[] = {
		"a.img,ro,ro",
		"a.img,ro,serial=A,ro",
		"a.img,serial=A,ro,serial=A",
	};
	static const char *const nets[] = {
		"tap=vt0,tap=vt1",
		"tap=vt0,mac=52:54:00:00:00:01,mac=52:54:00:00:00:02",
		"mac=52:54:00:00:00:01,tap=vt0,mac=52:54:00:00:00:01",
	};
	size_t i;

	for (i = 0; i < sizeof(disks) / sizeof(disks[0]); i++) {
		clt_setup();
		clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--disk",
					   (char *)disks[i]),
				 "given twice");
	}
	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		clt_setup();
		clt_assert_error(
		    CLT_PARSE("run", "--kernel", "k", "--net", (char *)nets[i]),
		    "given twice");
	}
}

Test(cli_args, disk_empty_serial_and_flag_with_value)
{
	clt_assert_error(
	    CLT_PARSE("run", "--kernel", "k", "--disk", "a.img,serial="),
	    "serial= needs a value");
	clt_setup();
	clt_assert_error(
	    CLT_PARSE("run", "--kernel", "k", "--disk", "a.img,ro=1"),
	    "unknown option 'ro=1'");
	clt_setup();
	clt_assert_error(CLT_PARSE("run", "--kernel", "k", "--disk", "a.img,"),
			 "unknown option ''");
}

Test(cli_args, net_keys_in_any_order)
{
	clt_assert_ok(CLT_PARSE("run", "--kernel", "k", "--net",
				"mac=52:54:00:00:00:09,tap=vt9"));
	cr_assert_eq(clt.cfg.nr_nets, 1);
	cr_assert_str_eq(clt.cfg.nets[0].tap, "vt9");
	cr_assert(clt.cfg.nets[0].mac_set);
	cr_assert_eq(clt.cfg.nets[0].mac[5], 9);
}

/*
 * A FIFO as --kernel or --initrd used to block vireo in open() until a
 * writer appeared: a hang, not an error. Nothing writes to this one.
 */
Test(cli_validate, fifo_is_not_a_kernel_and_does_not_hang, .timeout = 10)
{
	char fifo[] = "/tmp/vireo-cli-fifo-XXXXXX";
	int fd = mkstemp(fifo);

	cr_assert(fd >= 0);
	close(fd);
	unlink(fifo);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	clt_valid_cfg();
	clt.cfg.kernel_path = fifo;
	clt_assert_error(cli_validate(&clt.cfg, &clt.e), "not a regular file");
	cr_assert(strstr(clt.e.msg, "kernel"), "%s", clt.e.msg);
	clt.cfg.kernel_path = clt_file;
	clt.cfg.initrd_path = fifo;
	clt_assert_error(cli_validate(&clt.cfg, &clt.e), "not a regular file");
	cr_assert(strstr(clt.e.msg, "initrd"), "%s", clt.e.msg);
	unlink(fifo);
}
