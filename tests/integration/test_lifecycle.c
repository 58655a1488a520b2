// SPDX-License-Identifier: MIT
/* How vireo ends: crashes, signals. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/*
 * A minimal ELF "kernel" whose only instruction is ud2: with no IDT the
 * #UD escalates to a triple fault, which must end vireo with status 3.
 */
static const char *write_triple_fault_kernel(void)
{
	static char path[] = "/tmp/vireo-triple-XXXXXX";
	uint8_t img[0x1000] = { 0 };
	uint64_t paddr = 0x1000000, off = 0x100;
	int fd;

	memcpy(img,
	       "\x7f"
	       "ELF",
	       4);
	img[4] = 2; /* 64-bit */
	img[5] = 1; /* little endian */
	img[6] = 1;
	img[16] = 2; /* ET_EXEC */
	img[18] = 62; /* EM_X86_64 */
	img[20] = 1;
	memcpy(img + 24, &paddr, 8); /* e_entry */
	img[32] = 64; /* e_phoff */
	img[52] = 64; /* e_ehsize */
	img[54] = 56; /* e_phentsize */
	img[56] = 1; /* e_phnum */
	/* program header: PT_LOAD, R+X, file offset 0x100, 2 bytes */
	img[64] = 1;
	img[68] = 5;
	memcpy(img + 64 + 8, &off, 8);
	memcpy(img + 64 + 16, &paddr, 8);
	memcpy(img + 64 + 24, &paddr, 8);
	img[64 + 32] = 2;
	img[64 + 40] = 2;
	img[0x100] = 0x0f;
	img[0x101] = 0x0b;
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert(write(fd, img, sizeof(img)) == (ssize_t)sizeof(img));
	close(fd);
	return path;
}

Test(lifecycle, triple_fault_exits_3, .timeout = 60)
{
	const char *kernel = write_triple_fault_kernel();
	const char *argv[] = { "run", "--kernel", kernel, NULL };
	struct vm_result r;

	cr_assert(access("/dev/kvm", R_OK | W_OK) == 0, "/dev/kvm needed");
	vm_run(argv, 50, &r);
	unlink(kernel);
	cr_assert_eq(r.status, 3, "status %d:\n%s", r.status, output_tail(&r));
	cr_assert(strstr(r.output, "guest crashed"), "%s", output_tail(&r));
	cr_assert(strstr(r.output, "rip="), "%s", output_tail(&r));
	vm_result_free(&r);
}

Test(lifecycle, sigterm_stops_cleanly, .timeout = 240)
{
	const char *argv[] = { "run",
			       "--kernel",
			       GUEST_OUT "/micro/vmlinux",
			       "--initrd",
			       GUEST_OUT "/initramfs.cpio",
			       "--cmdline",
			       guest_cmdline(""),
			       NULL };
	struct vm_result r;

	require_guest();
	/* Without vireo.check the guest sits in a shell until told to stop. */
	vm_run_signal_after(argv, "VIREO-USERSPACE", SIGTERM, 200, &r);
	cr_assert(!r.timed_out, "%s", output_tail(&r));
	cr_assert_eq(r.status, 128 + SIGTERM, "status %d:\n%s", r.status,
		     output_tail(&r));
	cr_assert(strstr(r.output, "stopped by signal"), "%s", output_tail(&r));
	vm_result_free(&r);
}
