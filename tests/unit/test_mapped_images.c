// SPDX-License-Identifier: MIT
/*
 * vmm/mapped_images.c without KVM: a kernel file mapped into guest RAM is
 * leased; another process that opens it for writing and truncates it waits
 * until vireo has copied the pages in, and the guest keeps the file's old
 * bytes (and its own writes) while the file takes the new ones.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmm/machine.h"

#define MIT_RAM (4u << 20)
#define MIT_GPA 0x100000
#define MIT_FILE (8 * 4096)

static struct {
	struct machine m;
	uint8_t *ram;
	uint8_t data[MIT_FILE];
	char path[64];
	struct err e;
} mit;

/* A file vireo may lease, mapped at MIT_GPA as the kernel would be. */
static void mit_setup(void)
{
	int fd;
	bool lease;

	memset(&mit, 0, sizeof(mit));
	for (size_t i = 0; i < sizeof(mit.data); i++)
		mit.data[i] = (uint8_t)(i * 13 + 1);
	strcpy(mit.path, "/var/tmp/vireo-mit-XXXXXX");
	fd = mkstemp(mit.path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, mit.data, MIT_FILE), MIT_FILE);
	close(fd);
	fd = open(mit.path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);

	mit.ram = mmap(NULL, MIT_RAM, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(mit.ram, MAP_FAILED);
	cr_assert_eq(guest_mem_add_region(&mit.m.mem, 0, MIT_RAM, mit.ram), 0);
	pthread_mutex_init(&mit.m.run_lock, NULL);
	pthread_mutex_init(&mit.m.pause.lock, NULL);
	pthread_cond_init(&mit.m.pause.cond, NULL);
	mit.m.initrd_mapped.fd = -1;
	mit.m.kernel.load_start = MIT_GPA;
	mit.m.kernel.load_end = MIT_GPA + MIT_FILE + 0x3000; /* and a bss */
	mit.m.kernel.mapped = (struct image_mapped){
		.why = image_mapping_why(fd, IMAGE_MAP_AUTO, &lease),
		.fd = fd,
		.needs_lease = lease,
	};
	cr_assert(mit.m.kernel.mapped.why && lease, "not leasable here");
	cr_assert_eq(guest_mem_map_file(&mit.m.mem, MIT_GPA, fd, 0, MIT_FILE),
		     0);
}

static void mit_teardown(void)
{
	mapped_images_close(&mit.m);
	munmap(mit.ram, MIT_RAM);
	unlink(mit.path);
}

TestSuite(mapped_images, .init = mit_setup, .fini = mit_teardown,
	  .timeout = 20);

static double mit_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Leases the file, has another process open it for writing and truncate it
 * (held back in open), and hands vireo the lease break it signals.
 */
static void mit_break(void)
{
	struct timespec limit = { .tv_sec = 10 };
	siginfo_t si;
	sigset_t set;
	pid_t child;
	int status, fd = mit.m.kernel.mapped.fd;
	double t0;

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	cr_assert_eq(mapped_images_lease(&mit.m, &mit.e), 0, "%s", mit.e.msg);
	cr_assert(mit.m.kernel.mapped.leased);
	cr_assert_eq(fcntl(fd, F_GETLEASE), F_RDLCK);

	t0 = mit_now();
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		static const uint8_t junk[4096] = { 0x77 };
		int w = open(mit.path, O_WRONLY | O_TRUNC);

		_exit(w >= 0 && write(w, junk, sizeof(junk)) ==
				    (ssize_t)sizeof(junk)
			  ? 0
			  : 1);
	}
	cr_assert_eq(sigtimedwait(&set, &si, &limit), SIGIO,
		     "no lease break signalled: %s", strerror(errno));
	cr_assert_eq(si.si_fd, fd, "the signal names another fd");
	/* The writer is still held back. */
	cr_assert_eq(waitpid(child, &status, WNOHANG), 0);
	mapped_images_changing(&mit.m, si.si_fd);
	cr_assert_null(mit.m.kernel.mapped.why, "still mapped");
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the writer failed");
	cr_log_info("writer held back %.1f ms", (mit_now() - t0) * 1e3);
}

Test(mapped_images, a_writer_waits_for_the_copy_and_the_guest_keeps_its_bytes)
{
	/* The guest wrote one mapped page. */
	mit.ram[MIT_GPA + 0x2000] = 0xa5;
	mit_break();
	/* The file is the writer's; guest RAM is what the guest had. */
	mit.data[0x2000] = 0xa5;
	cr_assert_eq(memcmp(mit.ram + MIT_GPA, mit.data, MIT_FILE), 0);
	/* Resumed: vCPUs would run again. */
	cr_assert_eq(atomic_load(&mit.m.pause.requested), 0, "left paused");
}

/* The copy does not resume a guest the API paused. */
Test(mapped_images, a_guest_paused_through_the_api_stays_paused)
{
	mit.m.paused = true;
	atomic_store(&mit.m.pause.requested, 1);
	mit_break();
	cr_assert_eq(memcmp(mit.ram + MIT_GPA, mit.data, MIT_FILE), 0);
	cr_assert_eq(atomic_load(&mit.m.pause.requested), 1, "resumed");
	cr_assert(mit.m.paused);
}

Test(mapped_images, a_file_that_cannot_be_leased_is_copied_before_the_start)
{
	/* Someone opened it for writing between the load and the lease. */
	int w = open(mit.path, O_WRONLY);

	cr_assert_geq(w, 0);
	cr_assert_eq(mapped_images_lease(&mit.m, &mit.e), 0, "%s", mit.e.msg);
	cr_assert_null(mit.m.kernel.mapped.why, "still mapped");
	cr_assert_eq(ftruncate(w, 0), 0);
	cr_assert_eq(memcmp(mit.ram + MIT_GPA, mit.data, MIT_FILE), 0);
	close(w);
}

Test(mapped_images, a_signal_for_another_fd_changes_nothing)
{
	cr_assert_eq(mapped_images_lease(&mit.m, &mit.e), 0, "%s", mit.e.msg);
	mapped_images_changing(&mit.m, mit.m.kernel.mapped.fd + 100);
	cr_assert(mit.m.kernel.mapped.leased);
	cr_assert_not_null(mit.m.kernel.mapped.why);
}
