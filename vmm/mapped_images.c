// SPDX-License-Identifier: MIT
/*
 * Mapped images: the kernel's and initrd's pages in guest RAM are the
 * files' own until the guest writes them (guest_mem_map_file), so a start
 * neither allocates, zeroes nor copies them, and every VM booting the same
 * file shares one copy in the host's page cache.
 *
 * That holds only while the file stays as it was: a rewrite would show
 * through the pages the guest has not written, a truncation would take
 * even those it has. A file that cannot change needs nothing more
 * (image_fixed_why). Any other keeps a read lease: before anyone may open
 * it for writing or truncate it, the kernel holds them back and tells
 * vireo (SIGIO, through the main loop's signalfd), which pauses the guest,
 * makes the pages its own copies (guest_mem_privatize) and lets the lease
 * go: the writer waits milliseconds, the guest never sees the change. A
 * file that cannot be leased (another filesystem, another owner, open for
 * writing already) is copied in before the guest starts, unless
 * --map-images vouched for it; then a truncation turns a touch of such a
 * page into SIGBUS: in KVM (KVM_RUN fails with EFAULT, reported as such)
 * or in a vireo thread copying guest memory, where the handler below makes
 * it one line and exit status 1 instead of a crash.
 */
#include "vmm/machine.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

/* Longest wait for host I/O (a disk's reads) still landing in guest RAM. */
#define LANDING_WAIT_MS 5000

struct mapped_view {
	struct image_mapped *im;
	const char *what;
	uint64_t gpa, len;
};

static unsigned int mapped_views(struct machine *m, struct mapped_view v[2])
{
	unsigned int n = 0;

	if (m->kernel.mapped.why)
		v[n++] = (struct mapped_view){
			.im = &m->kernel.mapped,
			.what = "kernel",
			.gpa = m->kernel.load_start,
			.len = m->kernel.load_end - m->kernel.load_start,
		};
	if (m->initrd_mapped.why)
		v[n++] = (struct mapped_view){
			.im = &m->initrd_mapped,
			.what = "initrd",
			.gpa = m->initrd_gpa,
			.len = m->initrd_size,
		};
	return n;
}

static void mapped_images_sigbus(int sig)
{
	static const char msg[] =
	    "vireo: SIGBUS: the kernel or initrd file mapped into guest RAM "
	    "shrank while the VM ran; stopping\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing left to tell */
	}
	_exit(1);
}

int mapped_images_guard(const struct machine *m, struct err *e)
{
	struct sigaction sa;

	if (!m->kernel.mapped.why && !m->initrd_mapped.why)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mapped_images_sigbus;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		return err_errno(e, errno, "mapped images: sigaction(SIGBUS)");
	return 0;
}

static bool must_copy(const struct image_mapped *im)
{
	return im->why && im->needs_lease && !im->leased;
}

/* Host I/O started before the pause may still be writing guest RAM. */
static void wait_io_landed(struct machine *m)
{
	const struct timespec ms = { .tv_nsec = 1000000 };
	unsigned int waited;

	for (waited = 0; !virtio_devices_io_landed(m); waited++) {
		if (waited == LANDING_WAIT_MS) {
			log_warn("host I/O still in flight after %u ms: "
				 "copying the mapped images anyway",
				 LANDING_WAIT_MS);
			return;
		}
		nanosleep(&ms, NULL);
	}
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/*
 * Every image that must be copied (must_copy) becomes the guest's own
 * pages, the guest and its devices stopped meanwhile: a write landing
 * between copy and swap would be lost. Its file is closed (and its lease,
 * if any, released) after.
 */
static int copy_images(struct machine *m, const char *cause, struct err *e)
{
	struct mapped_view v[2];
	unsigned int i, n = mapped_views(m, v);
	bool any = false, was_paused;
	double t0 = now_ms();
	int ret = 0;

	for (i = 0; i < n; i++)
		any = any || must_copy(v[i].im);
	if (!any)
		return 0;
	pthread_mutex_lock(&m->run_lock);
	was_paused = m->paused;
	if (!was_paused && machine_pause_locked(m, e) < 0) {
		pthread_mutex_unlock(&m->run_lock);
		return err_prefix(e, "cannot copy the mapped images in");
	}
	wait_io_landed(m);
	for (i = 0; i < n && ret == 0; i++) {
		if (!must_copy(v[i].im))
			continue;
		if (guest_mem_privatize(&m->mem, v[i].gpa, v[i].len) < 0)
			ret =
			    err_errno(e, errno, "cannot copy the %s's pages in",
				      v[i].what);
		else
			image_mapped_close(v[i].im);
	}
	if (!was_paused)
		machine_resume_locked(m);
	pthread_mutex_unlock(&m->run_lock);
	if (ret == 0)
		log_info("%s: pages mapped into guest RAM copied in (%.1f ms "
			 "with the guest paused)",
			 cause, now_ms() - t0);
	return ret;
}

int mapped_images_lease(struct machine *m, struct err *e)
{
	struct mapped_view v[2];
	unsigned int i, n = mapped_views(m, v);

	for (i = 0; i < n; i++) {
		struct image_mapped *im = v[i].im;

		/* F_SETSIG: the signal names the fd (ssi_fd). */
		if (fcntl(im->fd, F_SETSIG, SIGIO) == 0 &&
		    fcntl(im->fd, F_SETLEASE, F_RDLCK) == 0) {
			im->leased = true;
			continue;
		}
		if (im->needs_lease)
			log_debug("%s file: no lease now (%s)", v[i].what,
				  strerror(errno));
	}
	return copy_images(m, "kernel or initrd file could not be leased", e);
}

void mapped_images_changing(struct machine *m, int fd)
{
	struct mapped_view v[2];
	unsigned int i, n = mapped_views(m, v);
	const char *what = NULL;
	struct err e;

	for (i = 0; i < n; i++) {
		struct image_mapped *im = v[i].im;

		if (!im->leased || im->fd != fd)
			continue;
		/* Breaking: it ends when vireo closes fd, or in
		 * lease-break-time. */
		im->leased = false;
		im->needs_lease = true;
		what = v[i].what;
	}
	if (!what)
		return;
	if (copy_images(m,
			strcmp(what, "kernel") == 0
			    ? "kernel file about to be written"
			    : "initrd file about to be written",
			&e) < 0)
		machine_request_stop(m, VIREO_EXIT_ERROR, "%s", e.msg);
}

void mapped_images_close(struct machine *m)
{
	image_mapped_close(&m->kernel.mapped);
	image_mapped_close(&m->initrd_mapped);
}
