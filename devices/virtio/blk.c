// SPDX-License-Identifier: MIT
#include "devices/virtio/blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "devices/virtio/blk_request.h"
#include "devices/virtio/fault.h"
#include "util/log.h"

#define BLK_QUEUE_SIZE 256

_Static_assert(sizeof(struct virtio_blk_config) == 72, "virtio-blk config");

struct virtio_blk_req {
	struct virtio_blk *b;
	struct virtio_blk_req *next_free;
	uint16_t queue, head;
	struct virtq_status status; /* written through virtq_status_write */
	uint32_t used_len;
	unsigned int pending; /* host operations not yet complete */
	uint8_t result;
	/* DISCARD / WRITE_ZEROES: one fallocate at a time, in order. */
	unsigned int next_range;
	struct blk_request p; /* parsed; its iovecs live until completion */
};

/*
 * Entries past nr_fresh have never been used: handing them out only when
 * the free list is empty keeps the pool's untouched pages (most of it at
 * low queue depth) out of the VMM's resident memory.
 */
static struct virtio_blk_req *blk_req_get(struct virtio_blk *b, unsigned int q)
{
	struct virtio_blk_queue *bq = &b->queues[q];
	struct virtio_blk_req *r = bq->free_list;

	if (r) {
		bq->free_list = r->next_free;
		return r;
	}
	if (bq->nr_fresh == BLK_QUEUE_SIZE)
		return NULL;
	r = &bq->reqs[bq->nr_fresh++];
	r->b = b;
	r->queue = (uint16_t)q;
	return r;
}

static bool blk_req_available(const struct virtio_blk_queue *bq)
{
	return bq->free_list || bq->nr_fresh < BLK_QUEUE_SIZE;
}

static void blk_req_put(struct virtio_blk_queue *bq, struct virtio_blk_req *r)
{
	r->next_free = bq->free_list;
	bq->free_list = r;
}

/*
 * Writes the status and frees the request; returns the used length. A
 * request whose queue was reset meanwhile writes nothing: the guest has
 * forgotten it.
 */
static uint32_t blk_req_close(struct virtio_blk_req *r)
{
	struct virtio_blk *b = r->b;
	struct virtio_blk_queue *bq = &b->queues[r->queue];
	uint32_t len = r->result == VIRTIO_BLK_S_OK ? r->used_len : 1;

	if (!bq->quiesced) {
		struct trace_rec rec;

		if (virtio_trace_begin(b->vdev.t ? b->vdev.t->hooks : NULL,
				       &rec, "blk_status")) {
			trace_rec_u64(&rec, "q", r->queue);
			trace_rec_u64(&rec, "head", r->head);
			trace_rec_u64(&rec, "status", r->result);
			trace_rec_end(&rec);
		}
		virtq_status_write(&r->status, r->result);
		if (r->result == VIRTIO_BLK_S_IOERR)
			b->stats.errors++;
		else if (r->result == VIRTIO_BLK_S_UNSUPP)
			b->stats.unsupported++;
	}
	blk_req_put(bq, r);
	return len;
}

/* An asynchronous request is done: status, then the used ring. */
static void blk_req_finish(struct virtio_blk_req *r)
{
	struct virtio_blk *b = r->b;
	uint16_t q = r->queue, head = r->head;
	bool dropped = b->queues[q].quiesced;
	uint32_t len = blk_req_close(r);

	if (!dropped)
		virtio_device_complete(&b->vdev, q, head, len);
}

/* Starts the next DISCARD/WRITE_ZEROES range; false if it could not. */
static bool blk_next_range(struct virtio_blk_req *r)
{
	const struct virtio_blk_discard_write_zeroes *rg =
	    &r->p.ranges[r->next_range++];
	int mode = FALLOC_FL_KEEP_SIZE;

	/* Unmapped or discarded ranges read back as zeroes: holes. */
	if (r->p.op == BLK_OP_DISCARD ||
	    (rg->flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
		mode |= FALLOC_FL_PUNCH_HOLE;
	else
		mode |= FALLOC_FL_ZERO_RANGE;
	r->pending = 1;
	if (aio_fallocate(&r->b->aio, r->b->img.fd, mode,
			  rg->sector * BLK_SECTOR,
			  (uint64_t)rg->num_sectors * BLK_SECTOR, r) < 0) {
		r->pending = 0;
		return false;
	}
	return true;
}

static void blk_op_done(void *opaque, void *tag, int64_t res)
{
	struct virtio_blk_req *r = tag;

	(void)opaque;
	if (res < 0) {
		/*
		 * Discard is advisory: a host that cannot punch holes is fine.
		 */
		if (!(r->p.op == BLK_OP_DISCARD && res == -EOPNOTSUPP))
			r->result = VIRTIO_BLK_S_IOERR;
	} else if ((r->p.op == BLK_OP_READ || r->p.op == BLK_OP_WRITE) &&
		   (uint64_t)res != r->p.len) {
		r->result = VIRTIO_BLK_S_IOERR;
	}
	if (--r->pending)
		return;
	if (r->result == VIRTIO_BLK_S_OK && r->next_range < r->p.nr_ranges &&
	    !r->b->queues[r->queue].quiesced) {
		if (blk_next_range(r))
			return;
		r->result = VIRTIO_BLK_S_IOERR;
	}
	blk_req_finish(r);
}

/* Starts a parsed request's host operation; false if it was refused. */
static bool blk_req_submit(struct virtio_blk_req *r,
			   const struct virtq_chain *c)
{
	struct virtio_blk *b = r->b;
	const struct blk_request *p = &r->p;
	uint8_t id[VIRTIO_BLK_ID_BYTES] = { 0 };
	int err = 0;

	r->pending = 1;
	switch (p->op) {
	case BLK_OP_NONE:
		r->pending = 0;
		break;
	case BLK_OP_READ:
		r->used_len = (uint32_t)p->len + 1;
		b->stats.reads++;
		b->stats.read_bytes += p->len;
		err = aio_readv(&b->aio, b->img.fd, p->iov, p->niov,
				p->sector * BLK_SECTOR, r);
		break;
	case BLK_OP_WRITE:
		b->stats.writes++;
		b->stats.write_bytes += p->len;
		err = aio_writev(&b->aio, b->img.fd, p->iov, p->niov,
				 p->sector * BLK_SECTOR, r);
		break;
	case BLK_OP_FLUSH:
		b->stats.flushes++;
		err = aio_fdatasync(&b->aio, b->img.fd, r);
		break;
	case BLK_OP_GET_ID:
		r->pending = 0;
		/* Not NUL-terminated when it is exactly 20 bytes long. */
		memcpy(id, b->serial, strnlen(b->serial, sizeof(id)));
		virtq_chain_write(c, 0, id, sizeof(id));
		r->used_len = VIRTIO_BLK_ID_BYTES + 1;
		break;
	case BLK_OP_DISCARD:
	case BLK_OP_WRITE_ZEROES:
		if (p->op == BLK_OP_WRITE_ZEROES)
			b->stats.write_zeroes++;
		else
			b->stats.discards++;
		r->next_range = 0;
		err = blk_next_range(r) ? 0 : -EBUSY;
		break;
	}
	if (err < 0) {
		r->pending = 0;
		return false;
	}
	return true;
}

static enum fault_op blk_fault_op(enum blk_op op)
{
	switch (op) {
	case BLK_OP_READ:
		return FAULT_OP_READ;
	case BLK_OP_WRITE:
		return FAULT_OP_WRITE;
	case BLK_OP_FLUSH:
		return FAULT_OP_FLUSH;
	case BLK_OP_DISCARD:
	case BLK_OP_WRITE_ZEROES:
		return FAULT_OP_DISCARD;
	default:
		return FAULT_OP_ANY;
	}
}

/*
 * --trace/--fault: the decoded request, and a fault's verdict on it.
 * Returns the length a short read claims (0: none).
 */
static uint64_t blk_hooks(struct virtio_blk *b, struct virtio_hooks *h,
			  unsigned int q, struct virtio_blk_req *r)
{
	struct blk_request *p = &r->p;
	struct trace_rec rec;
	uint64_t claim = 0;
	uint8_t st;

	(void)b;
	if (virtio_trace_begin(h, &rec, "blk_req")) {
		trace_rec_u64(&rec, "q", q);
		trace_rec_u64(&rec, "head", r->head);
		blk_request_trace(&rec, p);
		trace_rec_end(&rec);
	}
	if (!h->fault || p->op == BLK_OP_NONE)
		return 0;
	st = fault_blk(h->fault, q, r->head, blk_fault_op(p->op), p->sector,
		       p->len);
	if (st) {
		p->op = BLK_OP_NONE;
		r->result = st;
	} else if (p->op == BLK_OP_READ) {
		claim = p->len;
		if (!blk_request_shorten(p,
					 fault_short_len(h->fault, q, r->head,
							 p->len, BLK_SECTOR)))
			claim = 0;
	}
	return claim;
}

static enum virtio_serve blk_serve(struct virtio_device *d, unsigned int q,
				   const struct virtq_chain *c, uint32_t *len)
{
	struct virtio_blk *b = d->priv;
	struct virtio_blk_queue *bq = &b->queues[q];
	struct virtio_blk_req *r = blk_req_get(b, q);
	const struct blk_geometry g = {
		.capacity = b->img.size / BLK_SECTOR,
		.read_only = b->img.read_only,
		.has_serial = b->serial[0] != 0,
	};
	uint64_t claim = 0; /* a short read's claimed length */

	if (!r) {
		/* Every request in use: resumed when one completes. */
		bq->starved = true;
		return VIRTIO_SERVE_STOP;
	}
	if (!blk_request_parse(c, &g, &r->p) ||
	    !virtq_chain_status(c, &r->status)) {
		blk_req_put(bq, r);
		return VIRTIO_SERVE_BROKEN; /* nowhere to put a status */
	}
	r->head = c->head;
	r->used_len = 1;
	r->next_range = 0;
	r->result = r->p.status;
	if (r->p.type == VIRTIO_BLK_T_GET_ID)
		b->stats.get_ids++;
	if (d->t->hooks)
		claim = blk_hooks(b, d->t->hooks, q, r);
	if (!blk_req_submit(r, c))
		r->result = VIRTIO_BLK_S_IOERR;
	if (claim)
		r->used_len = (uint32_t)claim + 1; /* more than was written */
	if (r->pending)
		return VIRTIO_SERVE_LATER;
	*len = blk_req_close(r);
	return VIRTIO_SERVE_DONE;
}

static void blk_drain(struct virtio_blk *b, unsigned int q)
{
	b->queues[q].starved = false;
	virtio_device_drain(&b->vdev, q, blk_serve);
}

/* Completions are reaped again (bus mastering is back: a kick says so). */
static void blk_aio_resume(struct virtio_blk *b)
{
	if (b->aio_paused &&
	    virtio_device_watch(&b->vdev, &b->aio_src, EPOLLIN, NULL) == 0)
		b->aio_paused = false;
}

/*
 * Finished I/O back to the guest. clear: the eventfd is read too (it woke
 * us); a polling look leaves it for the loop's next fd check.
 */
static void blk_aio_complete(struct virtio_blk *b, bool clear)
{
	unsigned int q;

	/*
	 * Bus mastering off: used ring and status bytes wait. The eventfd
	 * stays readable, so stop watching it until the transport re-kicks.
	 */
	if (!virtio_transport_dma_allowed(b->vdev.t)) {
		virtio_device_unwatch(&b->vdev, &b->aio_src);
		b->aio_paused = true;
		return;
	}
	(clear ? aio_reap : aio_deliver)(&b->aio);
	/* Drained again: takes waiting chains and announces completions. */
	for (q = 0; q < b->nr_queues; q++) {
		if (b->queues[q].starved && blk_req_available(&b->queues[q]))
			blk_drain(b, q);
		else
			virtio_device_notify(&b->vdev, q);
	}
	/* Completions may have started the next range of a request. */
	aio_submit(&b->aio);
}

static void blk_aio_ready(struct event_source *src, uint32_t events)
{
	(void)events;
	blk_aio_complete(src->opaque, true);
}

static void blk_queue_kick(struct virtio_device *d, unsigned int q)
{
	struct virtio_blk *b = d->priv;

	blk_aio_resume(b);
	blk_drain(b, q);
	aio_submit(&b->aio);
	/*
	 * Reads from the page cache complete inside the submit: announce them
	 * now rather than after another trip through epoll_wait.
	 */
	if (!b->aio_paused && aio_completions_waiting(&b->aio))
		blk_aio_complete(b, !b->vdev.loop.poll_ns);
}

/* Polled (poll=US): completions reaped without waiting for the eventfd. */
static bool blk_aio_poll(struct event_source *src)
{
	struct virtio_blk *b = src->opaque;

	if (b->aio_paused || !aio_completions_waiting(&b->aio))
		return false;
	blk_aio_complete(b, false);
	return true;
}

static uint64_t blk_features(void *dev)
{
	struct virtio_blk *b = dev;
	uint64_t f =
	    (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_EVENT_IDX) |
	    (1ull << VIRTIO_F_RING_INDIRECT_DESC) |
	    (1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
	    (1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_FLUSH) |
	    (1ull << VIRTIO_BLK_F_TOPOLOGY);

	if (b->nr_queues > 1)
		f |= 1ull << VIRTIO_BLK_F_MQ;
	if (b->img.read_only)
		f |= 1ull << VIRTIO_BLK_F_RO;
	else
		f |= (1ull << VIRTIO_BLK_F_DISCARD) |
		     (1ull << VIRTIO_BLK_F_WRITE_ZEROES);
	return f;
}

static uint32_t blk_config_size(void *dev)
{
	(void)dev;
	return sizeof(struct virtio_blk_config);
}

static void blk_fill_config(const struct virtio_blk *b,
			    struct virtio_blk_config *cfg)
{
	uint32_t phys = b->img.physical_block, lbs = b->img.logical_block;
	uint8_t exp = 0;

	while ((lbs << (exp + 1)) <= phys && exp < 7)
		exp++;
	*cfg = (struct virtio_blk_config){
		.capacity = b->img.size / BLK_SECTOR,
		.size_max = BLK_SIZE_MAX,
		.seg_max = BLK_SEG_MAX,
		.blk_size = lbs,
		.physical_block_exp = exp,
		.min_io_size = 1,
		.num_queues = (uint16_t)b->nr_queues,
		.max_discard_sectors = BLK_RANGE_SECTORS_MAX,
		.max_discard_seg = BLK_RANGE_SEG_MAX,
		.discard_sector_alignment = phys / 512,
		.max_write_zeroes_sectors = BLK_RANGE_SECTORS_MAX,
		.max_write_zeroes_seg = BLK_RANGE_SEG_MAX,
		.write_zeroes_may_unmap = 1,
	};
}

static void blk_config_read(void *dev, uint32_t offset, void *data,
			    unsigned int len)
{
	struct virtio_blk_config cfg;

	blk_fill_config(dev, &cfg);
	/* The transport bounds offset + len by config_size(). */
	memcpy(data, (uint8_t *)&cfg + offset, len);
}

static void blk_config_write(void *dev, uint32_t offset, const void *data,
			     unsigned int len)
{
	/* Nothing is writable without F_CONFIG_WCE. */
	(void)dev;
	(void)offset;
	(void)data;
	(void)len;
}

static int blk_activate(void *dev, struct virtio_transport *t)
{
	struct virtio_blk *b = dev;

	return virtio_device_start(&b->vdev, t);
}

/* A fresh request pool for q, nothing of it in flight. */
static void blk_queue_forget(struct virtio_blk *b, unsigned int q)
{
	struct virtio_blk_queue *bq = &b->queues[q];

	bq->free_list = NULL;
	bq->nr_fresh = 0;
	bq->starved = false;
	bq->quiesced = false;
}

static bool blk_io_landed(struct virtio_device *d)
{
	struct virtio_blk *b = d->priv;

	return aio_landed(&b->aio);
}

/*
 * I/O thread stopped: wait for host I/O still writing into guest memory
 * (aio_drain returns only when nothing is in flight), forgetting q's
 * requests without completing them; other queues complete normally and
 * are announced when the thread resumes (it kicks every queue).
 */
static void blk_queue_quiesce(struct virtio_device *d, unsigned int q)
{
	struct virtio_blk *b = d->priv;

	b->queues[q].quiesced = true;
	aio_drain(&b->aio);
	blk_queue_forget(b, q);
}

static int blk_queue_enable(void *dev, unsigned int q)
{
	struct virtio_blk *b = dev;

	return virtio_device_queue_enable(&b->vdev, q);
}

static void blk_queue_reset(void *dev, unsigned int q)
{
	struct virtio_blk *b = dev;

	virtio_device_queue_reset(&b->vdev, q);
}

static void blk_reset(void *dev)
{
	struct virtio_blk *b = dev;
	unsigned int q;

	virtio_device_stop(&b->vdev);
	blk_aio_resume(b);
	for (q = 0; q < b->nr_queues; q++)
		b->queues[q].quiesced = true;
	aio_drain(&b->aio);
	for (q = 0; q < b->nr_queues; q++)
		blk_queue_forget(b, q);
}

static const struct virtio_dev_ops blk_ops_template = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.queue_max_size = BLK_QUEUE_SIZE,
	.features = blk_features,
	.config_size = blk_config_size,
	.config_read = blk_config_read,
	.config_write = blk_config_write,
	.activate = blk_activate,
	.queue_reset = blk_queue_reset,
	.queue_enable = blk_queue_enable,
	.reset = blk_reset,
};

int virtio_blk_init(struct virtio_blk *b, const struct guest_mem *mem,
		    const struct virtio_blk_params *p, struct err *e)
{
	unsigned int q;

	memset(b, 0, sizeof(*b));
	b->img.fd = -1;
	b->aio.efd = -1;
	/* virtio_blk_destroy() undoes whatever part of this succeeded. */
	if (p->nr_queues < 1 || p->nr_queues > VIRTIO_MAX_QUEUES)
		return err_set(e, "virtio-blk: %u queues (1 to %d)",
			       p->nr_queues, VIRTIO_MAX_QUEUES);
	if (p->serial && strlen(p->serial) > VIRTIO_BLK_ID_BYTES)
		return err_set(e,
			       "disk '%s': serial '%s' is longer than %d bytes",
			       p->path, p->serial, VIRTIO_BLK_ID_BYTES);
	if (p->serial)
		strcpy(b->serial, p->serial);
	if (p->poll_us > VIRTIO_BLK_POLL_US_MAX)
		return err_set(e, "disk '%s': poll=%u: at most %d us", p->path,
			       p->poll_us, VIRTIO_BLK_POLL_US_MAX);
	b->nr_queues = p->nr_queues;
	b->ops = blk_ops_template;
	b->ops.nr_queues = (uint16_t)p->nr_queues;
	if (virtio_device_init(&b->vdev, "virtio-blk", mem, p->nr_queues,
			       blk_queue_kick, b, e) < 0)
		return -1;
	b->vdev_ready = true;
	b->vdev.queue_quiesce = blk_queue_quiesce;
	b->vdev.io_landed = blk_io_landed;
	virtio_device_set_poll(&b->vdev, p->poll_us * 1000ull);
	for (q = 0; q < p->nr_queues; q++) {
		struct virtio_blk_queue *bq = &b->queues[q];

		bq->reqs = calloc(BLK_QUEUE_SIZE, sizeof(*bq->reqs));
		if (!bq->reqs)
			return err_set(e, "out of memory");
	}
	if (disk_image_open(&b->img, p->path, p->read_only, e) < 0)
		return -1;
	/* A request has one host operation in flight at a time. */
	if (aio_init(&b->aio, BLK_QUEUE_SIZE * p->nr_queues, p->use_uring,
		     blk_op_done, b, e) < 0)
		return -1;
	b->aio_src = (struct event_source){
		.fd = b->aio.efd,
		.ready = blk_aio_ready,
		.opaque = b,
		.poll = p->poll_us ? blk_aio_poll : NULL,
	};
	return virtio_device_watch(&b->vdev, &b->aio_src, EPOLLIN, e);
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	unsigned int q;

	if (b->vdev_ready)
		virtio_device_destroy(&b->vdev);
	b->vdev_ready = false;
	if (b->aio.efd >= 0)
		aio_destroy(&b->aio);
	disk_image_close(&b->img);
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++)
		free(b->queues[q].reqs);
}
