/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_BLOCK_AIO_H
#define VIREO_DEVICES_BLOCK_AIO_H

/*
 * Asynchronous file I/O for block devices: io_uring (through liburing)
 * when the host allows it, otherwise each operation runs synchronously on
 * the caller's thread (the device's own I/O thread, never the VMM's event
 * loop). With io_uring, buffered writes to a file whose filesystem cannot
 * write without blocking (ext4 and tmpfs among them, seen as EOPNOTSUPP from
 * the first write tried with RWF_NOWAIT) also run on the caller's thread:
 * io_uring would hand each of them to one io-wq worker per file, the same
 * serialised page-cache copy behind an extra thread wake-up. Completions are
 * announced on an eventfd the owner polls, and delivered by aio_reap() on the
 * owner's thread with the operation's tag and its result (bytes, or -errno;
 * 64-bit: a synchronous transfer may exceed INT_MAX).
 *
 * Not thread-safe: one owner thread at a time.
 */

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/err.h"

struct aio {
	bool uring; /* false: synchronous fallback */
	/* With io_uring: where writes go, decided by the first write. */
	enum aio_writes {
		AIO_WRITES_PROBE, /* try RWF_NOWAIT inline */
		AIO_WRITES_URING, /* the filesystem writes without blocking */
		AIO_WRITES_INLINE /* it cannot: io_uring would punt them */
	} writes;
	struct io_uring ring;
	int efd; /* readable when completions are waiting */
	unsigned int inflight; /* submitted or queued, not yet reaped */
	unsigned int unsubmitted;
	void (*complete)(void *opaque, void *tag, int64_t res);
	void *opaque;
	/* Synchronous operations' results waiting for aio_reap(). */
	struct aio_done {
		void *tag;
		int64_t res;
	} * done;
	bool logged_wait; /* log_guest_once flag: io_uring wait failures */
	unsigned int nr_done, depth;
};

/*
 * depth: most operations in flight at once. use_uring false forces the
 * synchronous mode (also chosen when io_uring is unavailable).
 */
int aio_init(struct aio *a, unsigned int depth, bool use_uring,
	     void (*complete)(void *opaque, void *tag, int64_t res),
	     void *opaque, struct err *e);
void aio_destroy(struct aio *a);

/*
 * Queue one operation. The iovec array must stay valid until completion.
 * Returns 0, or -EBUSY when depth operations are already in flight.
 */
int aio_readv(struct aio *a, int fd, const struct iovec *iov, unsigned int niov,
	      uint64_t off, void *tag);
int aio_writev(struct aio *a, int fd, const struct iovec *iov,
	       unsigned int niov, uint64_t off, void *tag);
int aio_fdatasync(struct aio *a, int fd, void *tag);
int aio_fallocate(struct aio *a, int fd, int mode, uint64_t off, uint64_t len,
		  void *tag);

/* Hands queued operations to the kernel. */
void aio_submit(struct aio *a);
/* Finished operations wait for aio_reap() (no syscall: a polling check). */
bool aio_completions_waiting(struct aio *a);
/* Clears the eventfd, then delivers every finished operation to complete(). */
void aio_reap(struct aio *a);
/*
 * Delivers them without clearing the eventfd: for an owner that polls, so
 * a syscall per look is saved; the eventfd stays readable until the
 * owner's next aio_reap().
 */
void aio_deliver(struct aio *a);
/*
 * True when every operation handed to the kernel has finished (its data is
 * in place) though not all may be delivered yet. Not the owner's thread
 * only: also another's while the owner is stopped.
 */
bool aio_landed(struct aio *a);
/*
 * Waits for everything in flight and delivers it (reset, teardown): returns
 * only when nothing is in flight, whatever io_uring_wait_cqe says (EINTR
 * from a signal, any other error is retried).
 */
void aio_drain(struct aio *a);

#endif
