// SPDX-License-Identifier: MIT
/*
 * `vireo run --config FILE`: the file fills the same struct the flags do,
 * what --print-config writes reads back to the same configuration, flags
 * override the file, and every mistake is one line naming file and key.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/config_file.h"
#include "vmm/config_json.h"

static char path[64];

static void setup(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/vireo-config-XXXXXX");
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
}

static void teardown(void)
{
	unlink(path);
}

TestSuite(config_file, .init = setup, .fini = teardown);

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f);
	fputs(text, f);
	fclose(f);
}

/* cli_parse over "run" + args (NULL-terminated); 0 or -1 with e. */
static int parse(struct vm_config *cfg, struct err *e, ...)
{
	char *argv[32] = { "vireo", "run" };
	enum cli_action action;
	int argc = 2;
	va_list ap;

	va_start(ap, e);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	return cli_parse(argc, argv, cfg, &action, e);
}

static char *dump(const struct vm_config *cfg)
{
	json_t *j = vm_config_to_json(cfg);
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(1));

	json_decref(j);
	return s;
}

Test(config_file, print_config_reads_back_to_the_same_config)
{
	struct vm_config a = { 0 }, b = { 0 };
	struct err e;
	char *first, *second;

	cr_assert_eq(parse(&a, &e, "--kernel", "/k", "--initrd", "/i",
			   "--cmdline", "console=hvc0 quiet", "--cpus", "3",
			   "--memory", "1536M", "--console", "virtio", "--rng",
			   "--disk", "/d0.img,ro,serial=S0,poll=50", "--disk",
			   "/d1.img", "--net", "tap=tap7,mac=52:54:00:12:34:56",
			   "--transport", "mmio", "--virtio-transport",
			   "rng=pci", "--no-host-quirks", "--pvh",
			   "--map-images", "--api-socket", "/run/v.sock", NULL),
		     0, "%s", e.msg);
	first = dump(&a);
	write_file(first);
	cr_assert_eq(parse(&b, &e, "--config", path, NULL), 0, "%s", e.msg);
	second = dump(&b);
	cr_assert_str_eq(second, first);
	cr_assert_str_eq(b.kernel_path, "/k");
	cr_assert_eq(b.nr_cpus, 3);
	cr_assert_eq(b.mem_size, 1536ULL << 20);
	cr_assert_eq(b.nr_disks, 2);
	cr_assert(b.disks[0].read_only);
	cr_assert_str_eq(b.disks[0].serial, "S0");
	cr_assert_eq(b.disks[0].poll_us, 50);
	cr_assert_eq(b.disks[1].poll_us, 0);
	cr_assert_eq(b.nets[0].mac[5], 0x56);
	cr_assert_eq(b.transport, VM_TRANSPORT_MMIO);
	cr_assert_eq(vm_config_transport(&b, "rng"), VM_TRANSPORT_PCI);
	cr_assert_not(b.host_quirks);
	cr_assert(b.pvh_entry);
	cr_assert_eq(b.map_images, IMAGE_MAP_ALWAYS);
	free(first);
	free(second);
	config_file_free(&b);
}

Test(config_file, flags_override_the_file)
{
	struct vm_config cfg = { 0 };
	struct err e;

	write_file("{\"kernel\": \"/k\", \"cpus\": 4, \"memory\": 256,"
		   " \"disks\": [{\"path\": \"/a\"}, {\"path\": \"/b\"}],"
		   " \"vsock\": {\"cid\": 3, \"uds\": \"/v.sock\"},"
		   " \"features\": {\"acpi\": false}}");
	cr_assert_eq(parse(&cfg, &e, "--cpus", "2", "--config", path, "--disk",
			   "/c", NULL),
		     0, "%s", e.msg);
	cr_assert_eq(cfg.nr_cpus, 2, "the flag wins wherever it is");
	cr_assert_eq(cfg.mem_size, 256ULL << 20, "an integer is MiB");
	cr_assert_eq(cfg.nr_disks, 1, "--disk replaces the file's list");
	cr_assert_str_eq(cfg.disks[0].path, "/c");
	cr_assert_not(cfg.acpi);
	cr_assert(cfg.vsock.enabled);
	cr_assert_eq(cfg.vsock.cid, 3);
	cr_assert_str_eq(cfg.vsock.uds, "/v.sock");
	config_file_free(&cfg);
}

static void expect_error(const char *text, const char *want)
{
	struct vm_config cfg = { 0 };
	struct err e;

	write_file(text);
	cr_assert_eq(parse(&cfg, &e, "--config", path, NULL), -1,
		     "accepted: %s", text);
	cr_assert(strstr(e.msg, want), "for %s: '%s' lacks '%s'", text, e.msg,
		  want);
	cr_assert(strstr(e.msg, path), "names the file: %s", e.msg);
	cr_assert_null(strchr(e.msg, '\n'), "one line: %s", e.msg);
	config_file_free(&cfg);
}

Test(config_file, mistakes_are_one_clear_line)
{
	expect_error("{\"kernel\": \"/k\", \"cpu\": 2}",
		     "top level: unknown key 'cpu'");
	expect_error("{\"cpus\": \"2\"}", "cpus: must be an integer");
	expect_error("{\"cpus\": 0}", "cpus: --cpus '0'");
	expect_error("{\"memory\": true}", "memory: must be a size");
	expect_error("{\"memory\": \"lots\"}", "memory: --memory 'lots'");
	expect_error("{\"rng\": 1}", "rng: must be true or false");
	expect_error("{\"disks\": {}}", "disks: must be an array");
	expect_error("{\"disks\": [{\"path\": \"/a\", \"ro\": true}]}",
		     "disks[0]: unknown key 'ro'");
	expect_error("{\"disks\": [{\"path\": \"/a\", \"read_only\": 1}]}",
		     "disks[0].read_only: must be true or false");
	expect_error("{\"disks\": [{\"path\": \"/a,ro\"}]}",
		     "disks[0].path: must not contain ','");
	expect_error("{\"disks\": [{}]}", "disks[0].path: must be a string");
	expect_error("{\"nets\": [{\"tap\": \"t0\", \"mac\": \"zz\"}]}",
		     "nets[0]");
	expect_error("{\"features\": {\"acpi\": \"no\"}}",
		     "features.acpi: must be true or false");
	expect_error("{\"features\": {\"smp\": true}}",
		     "features: unknown key 'smp'");
	expect_error("{\"transport\": \"usb\"}", "transport: --transport");
	expect_error("{\"virtio_transport\": {\"gpu\": \"pci\"}}",
		     "virtio_transport");
	expect_error("{\"vsock\": {\"cid\": 2, \"uds\": \"/s\"}}",
		     "vsock: cid must be");
	expect_error("[1, 2]", "top level: must be an object");
	expect_error("{\"cpus\": 1,}", "line 1");
	expect_error("{\"cpus\": 1, \"cpus\": 2}", "duplicate");
}

Test(config_file, missing_or_special_files)
{
	struct vm_config cfg = { 0 };
	struct err e;

	cr_assert_eq(parse(&cfg, &e, "--config", "/nonexistent/vm.json", NULL),
		     -1);
	cr_assert(strstr(e.msg, "/nonexistent/vm.json"), "%s", e.msg);
	cr_assert_eq(parse(&cfg, &e, "--config", "/dev/null", NULL), -1);
	cr_assert(strstr(e.msg, "not a regular file"), "%s", e.msg);
}

/*
 * --map-images and --copy-images set one choice: the file's reads back, and
 * a flag of either kind beats the file's feature of the other.
 */
Test(config_file, image_mapping_round_trips_and_flags_win)
{
	struct vm_config a = { 0 }, b = { 0 }, c = { 0 };
	struct err e;
	char *first, *second;

	cr_assert_eq(parse(&a, &e, "--kernel", "/k", "--copy-images", NULL), 0,
		     "%s", e.msg);
	first = dump(&a);
	write_file(first);
	cr_assert_eq(parse(&b, &e, "--config", path, NULL), 0, "%s", e.msg);
	cr_assert_eq(b.map_images, IMAGE_MAP_NEVER);
	second = dump(&b);
	cr_assert_str_eq(second, first);
	free(first);
	free(second);
	config_file_free(&b);

	write_file(
	    "{\"kernel\": \"/k\", \"features\": {\"map_images\": true}}");
	cr_assert_eq(parse(&c, &e, "--copy-images", "--config", path, NULL), 0,
		     "%s", e.msg);
	cr_assert_eq(c.map_images, IMAGE_MAP_NEVER, "the file beat the flag");
	config_file_free(&c);
	memset(&c, 0, sizeof(c));
	cr_assert_eq(parse(&c, &e, "--config", path, NULL), 0, "%s", e.msg);
	cr_assert_eq(c.map_images, IMAGE_MAP_ALWAYS);
	config_file_free(&c);
}
