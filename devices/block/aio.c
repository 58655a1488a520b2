// SPDX-License-Identifier: MIT
#include "devices/block/aio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"

int aio_init(struct aio *a, unsigned int depth, bool use_uring,
	     void (*complete)(void *opaque, void *tag, int64_t res),
	     void *opaque, struct err *e)
{
	int r;

	*a = (struct aio){ .efd = -1,
			   .complete = complete,
			   .opaque = opaque,
			   .depth = depth };
	a->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->efd < 0)
		return err_errno(e, errno, "eventfd");
	a->done = calloc(depth, sizeof(*a->done));
	if (!a->done) {
		close(a->efd);
		a->efd = -1;
		return err_set(e, "out of memory");
	}
	if (use_uring) {
		r = io_uring_queue_init(depth, &a->ring, 0);
		if (r == 0) {
			r = io_uring_register_eventfd(&a->ring, a->efd);
			if (r == 0) {
				a->uring = true;
				return 0;
			}
			io_uring_queue_exit(&a->ring);
		}
		log_info("io_uring unavailable (%s): block I/O runs "
			 "synchronously on the device thread",
			 strerror(-r));
	}
	return 0;
}

void aio_destroy(struct aio *a)
{
	aio_drain(a);
	if (a->uring)
		io_uring_queue_exit(&a->ring);
	a->uring = false;
	free(a->done);
	a->done = NULL;
	if (a->efd >= 0)
		close(a->efd);
	a->efd = -1;
}

static struct io_uring_sqe *aio_sqe(struct aio *a)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&a->ring);

	if (!sqe) {
		/* SQ full: hand what we have to the kernel, then retry. */
		aio_submit(a);
		sqe = io_uring_get_sqe(&a->ring);
	}
	return sqe;
}

static void aio_sync_done(struct aio *a, void *tag, int64_t res)
{
	uint64_t one = 1;

	a->done[a->nr_done++] = (struct aio_done){
		.tag = tag,
		.res = res < 0 ? -errno : res,
	};
	/* aio_reap takes every waiting result: one signal per batch. */
	if (a->nr_done == 1 && write(a->efd, &one, sizeof(one)) < 0) {
		/* counter already non-zero */
	}
}

static void aio_sync_xfer(struct aio *a, int fd, const struct iovec *iov,
			  unsigned int niov, uint64_t off, bool write_op,
			  void *tag)
{
	int64_t total = 0;
	ssize_t n;
	struct iovec local[IOV_MAX];
	struct iovec *v = local;
	unsigned int i;

	if (niov > IOV_MAX) {
		errno = EINVAL;
		aio_sync_done(a, tag, -1);
		return;
	}
	for (i = 0; i < niov; i++)
		local[i] = iov[i];
	/*
	 * Loop over short transfers so the result is all or an error (a
	 * single call moves at most 0x7ffff000 bytes: long requests are
	 * always short the first time).
	 */
	while (niov) {
		n = write_op ? pwritev(fd, v, (int)niov, (off_t)(off + total))
			     : preadv(fd, v, (int)niov, (off_t)(off + total));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && total == 0) {
				aio_sync_done(a, tag, -1);
				return;
			}
			break;
		}
		total += n;
		while (niov && (size_t)n >= v->iov_len) {
			n -= (ssize_t)v->iov_len;
			v++;
			niov--;
		}
		if (niov) {
			v->iov_base = (uint8_t *)v->iov_base + n;
			v->iov_len -= (size_t)n;
		}
	}
	aio_sync_done(a, tag, total);
}

static int aio_admit(struct aio *a)
{
	if (a->inflight >= a->depth)
		return -EBUSY;
	a->inflight++;
	return 0;
}

/*
 * The first writes learn where writes go: true when this one was done here
 * (or will be, inline); false leaves it to io_uring (it would have
 * blocked, or failed: io_uring reports the error, and a later write probes
 * again).
 */
static bool aio_write_probe(struct aio *a, int fd, const struct iovec *iov,
			    unsigned int niov, uint64_t off, void *tag)
{
	size_t len = 0;
	ssize_t n;
	unsigned int i;

	for (i = 0; i < niov; i++)
		len += iov[i].iov_len;
	n = pwritev2(fd, iov, (int)niov, (off_t)off, RWF_NOWAIT);
	if (n >= 0 && (size_t)n == len) {
		a->writes = AIO_WRITES_URING;
		aio_sync_done(a, tag, n);
		return true;
	}
	if (n < 0 && errno == EOPNOTSUPP) {
		a->writes = AIO_WRITES_INLINE;
		aio_sync_xfer(a, fd, iov, niov, off, true, tag);
		return true;
	}
	/* Would block, or wrote part: the filesystem knows RWF_NOWAIT. */
	if ((n < 0 && errno == EAGAIN) || n >= 0)
		a->writes = AIO_WRITES_URING;
	return false;
}

static int aio_rw(struct aio *a, int fd, const struct iovec *iov,
		  unsigned int niov, uint64_t off, bool write_op, void *tag)
{
	struct io_uring_sqe *sqe;

	if (aio_admit(a) < 0)
		return -EBUSY;
	if (!a->uring || (write_op && a->writes == AIO_WRITES_INLINE)) {
		aio_sync_xfer(a, fd, iov, niov, off, write_op, tag);
		return 0;
	}
	if (write_op && a->writes == AIO_WRITES_PROBE &&
	    aio_write_probe(a, fd, iov, niov, off, tag))
		return 0;
	sqe = aio_sqe(a);
	if (write_op)
		io_uring_prep_writev(sqe, fd, iov, niov, off);
	else
		io_uring_prep_readv(sqe, fd, iov, niov, off);
	io_uring_sqe_set_data(sqe, tag);
	a->unsubmitted++;
	return 0;
}

int aio_readv(struct aio *a, int fd, const struct iovec *iov, unsigned int niov,
	      uint64_t off, void *tag)
{
	return aio_rw(a, fd, iov, niov, off, false, tag);
}

int aio_writev(struct aio *a, int fd, const struct iovec *iov,
	       unsigned int niov, uint64_t off, void *tag)
{
	return aio_rw(a, fd, iov, niov, off, true, tag);
}

int aio_fdatasync(struct aio *a, int fd, void *tag)
{
	struct io_uring_sqe *sqe;

	if (aio_admit(a) < 0)
		return -EBUSY;
	if (!a->uring) {
		aio_sync_done(a, tag, fdatasync(fd));
		return 0;
	}
	sqe = aio_sqe(a);
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data(sqe, tag);
	a->unsubmitted++;
	return 0;
}

int aio_fallocate(struct aio *a, int fd, int mode, uint64_t off, uint64_t len,
		  void *tag)
{
	struct io_uring_sqe *sqe;

	if (aio_admit(a) < 0)
		return -EBUSY;
	if (!a->uring) {
		aio_sync_done(a, tag,
			      fallocate(fd, mode, (off_t)off, (off_t)len));
		return 0;
	}
	sqe = aio_sqe(a);
	io_uring_prep_fallocate(sqe, fd, mode, off, len);
	io_uring_sqe_set_data(sqe, tag);
	a->unsubmitted++;
	return 0;
}

void aio_submit(struct aio *a)
{
	int r;

	if (!a->uring || !a->unsubmitted)
		return;
	do
		r = io_uring_submit(&a->ring);
	while (r == -EINTR);
	/*
	 * On -EAGAIN/-EBUSY (no memory, completion ring full) the rest stays
	 * queued in the SQ ring and goes with the next submit: every kick,
	 * completion and drain submits again. Never spin here.
	 */
	if (r > 0)
		a->unsubmitted -= (unsigned int)r < a->unsubmitted
				      ? (unsigned int)r
				      : a->unsubmitted;
}

bool aio_completions_waiting(struct aio *a)
{
	return a->nr_done > 0 || (a->uring && io_uring_cq_ready(&a->ring) > 0);
}

bool aio_landed(struct aio *a)
{
	unsigned int with_kernel = a->inflight - a->nr_done - a->unsubmitted;

	return !a->uring || io_uring_cq_ready(&a->ring) >= with_kernel;
}

void aio_reap(struct aio *a)
{
	uint64_t v;

	if (read(a->efd, &v, sizeof(v)) < 0) {
		/* nothing signalled; still look */
	}
	aio_deliver(a);
}

void aio_deliver(struct aio *a)
{
	/*
	 * complete() may queue more work, which appends to done[]: taking
	 * from the end keeps done[] within inflight entries.
	 */
	while (a->nr_done) {
		struct aio_done d = a->done[--a->nr_done];

		a->inflight--;
		a->complete(a->opaque, d.tag, d.res);
	}
	if (!a->uring)
		return;
	for (;;) {
		struct io_uring_cqe *cqe;
		void *tag;
		int64_t res;

		if (io_uring_peek_cqe(&a->ring, &cqe) != 0)
			break;
		tag = io_uring_cqe_get_data(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&a->ring, cqe);
		a->inflight--;
		a->complete(a->opaque, tag, res);
	}
}

void aio_drain(struct aio *a)
{
	while (a->inflight) {
		if (a->uring) {
			struct io_uring_cqe *cqe;
			int r;

			aio_reap(a); /* room in the CQ ring for what follows */
			if (!a->inflight)
				break;
			/* Completions queued more, done here: reap those. */
			if (a->nr_done)
				continue;
			aio_submit(a);
			if (a->unsubmitted) {
				/* Not with the kernel: nothing to wait for. */
				usleep(1000);
				continue;
			}
			r = io_uring_wait_cqe(&a->ring, &cqe);
			if (r < 0 && r != -EINTR && r != -EAGAIN) {
				/*
				 * Host I/O may still write guest memory:
				 * returning now would break the reset's
				 * promise. Back off and wait again.
				 */
				log_guest_once(&a->logged_wait,
					       "io_uring wait failed (%s): "
					       "retrying",
					       strerror(-r));
				usleep(1000);
			}
		}
		aio_reap(a);
	}
}
