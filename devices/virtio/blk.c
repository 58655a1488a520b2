// SPDX-License-Identifier: MIT
#include "devices/virtio/blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "util/log.h"

#define BLK_QUEUE_SIZE 256
#define BLK_SECTOR 512ULL
/* Data segments per request; Linux never sends more than seg_max. */
#define BLK_SEG_MAX 126
#define BLK_SIZE_MAX (1u << 20)
/* DISCARD and WRITE_ZEROES: ranges per request and sectors per range. */
#define BLK_RANGE_SEG_MAX 16
#define BLK_RANGE_SECTORS_MAX (UINT32_MAX / 512 & ~7u)

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_WZ_UNMAP 1u

struct virtio_blk_outhdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

struct virtio_blk_range {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

/* Device configuration layout (virtio 1.2, 5.2.4), little-endian. */
struct virtio_blk_config {
	uint64_t capacity;
	uint32_t size_max;
	uint32_t seg_max;
	uint16_t cylinders;
	uint8_t heads, sectors;
	uint32_t blk_size;
	uint8_t physical_block_exp, alignment_offset;
	uint16_t min_io_size;
	uint32_t opt_io_size;
	uint8_t writeback, unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors, max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors, max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap, unused1[3];
	uint32_t max_secure_erase_sectors, max_secure_erase_seg;
	uint32_t secure_erase_sector_alignment;
} __attribute__((packed));

_Static_assert(sizeof(struct virtio_blk_config) == 72, "virtio-blk config");

struct virtio_blk_req {
	struct virtio_blk *b;
	struct virtio_blk_req *next_free;
	uint16_t queue, head;
	uint8_t *status; /* the chain's last writable byte, in guest RAM */
	uint32_t type;
	uint32_t used_len;
	uint64_t expect; /* bytes each read/write must move */
	unsigned int pending; /* host operations not yet complete */
	uint8_t result;
	/* DISCARD / WRITE_ZEROES: one fallocate at a time, in order. */
	unsigned int nr_ranges, next_range;
	struct virtio_blk_range ranges[BLK_RANGE_SEG_MAX];
	unsigned int niov;
	struct iovec iov[BLK_SEG_MAX];
};

static struct virtio_blk_req *blk_req_get(struct virtio_blk_queue *bq)
{
	struct virtio_blk_req *r = bq->free_list;

	if (r)
		bq->free_list = r->next_free;
	return r;
}

static void blk_req_put(struct virtio_blk_queue *bq, struct virtio_blk_req *r)
{
	r->next_free = bq->free_list;
	bq->free_list = r;
}

/* Writes the status, returns the chain to the guest, frees the request. */
static void blk_req_finish(struct virtio_blk_req *r)
{
	struct virtio_blk *b = r->b;
	struct virtio_blk_queue *bq = &b->queues[r->queue];
	struct virtq *vq = &b->vdev.queues[r->queue].vq;

	if (b->quiesced) {
		/* Reset: the guest has forgotten this chain. */
		blk_req_put(bq, r);
		return;
	}
	*r->status = r->result;
	if (r->result == VIRTIO_BLK_S_IOERR)
		b->stats.errors++;
	else if (r->result == VIRTIO_BLK_S_UNSUPP)
		b->stats.unsupported++;
	if (r->result != VIRTIO_BLK_S_OK)
		r->used_len = 1;
	if (!vq->broken) {
		virtq_push_used(vq, r->head, r->used_len);
		bq->pushed = true;
	}
	blk_req_put(bq, r);
}

static void blk_next_range(struct virtio_blk_req *r);

static void blk_op_done(void *opaque, void *tag, int res)
{
	struct virtio_blk_req *r = tag;

	(void)opaque;
	if (res < 0) {
		/*
		 * Discard is advisory: a host that cannot punch holes is fine.
		 */
		if (!(r->type == VIRTIO_BLK_T_DISCARD && res == -EOPNOTSUPP))
			r->result = VIRTIO_BLK_S_IOERR;
	} else if ((r->type == VIRTIO_BLK_T_IN ||
		    r->type == VIRTIO_BLK_T_OUT) &&
		   (uint64_t)res != r->expect) {
		r->result = VIRTIO_BLK_S_IOERR;
	}
	if (--r->pending)
		return;
	if (r->result == VIRTIO_BLK_S_OK && r->next_range < r->nr_ranges)
		blk_next_range(r);
	else
		blk_req_finish(r);
}

static bool blk_range_ok(const struct virtio_blk *b, uint64_t sector,
			 uint64_t bytes)
{
	uint64_t cap = b->img.size / BLK_SECTOR;

	return sector <= cap && bytes / BLK_SECTOR <= cap - sector &&
	       bytes % BLK_SECTOR == 0;
}

static uint8_t blk_start_rw(struct virtio_blk_req *r,
			    const struct virtq_chain *c,
			    const struct virtio_blk_outhdr *h)
{
	struct virtio_blk *b = r->b;
	bool in = h->type == VIRTIO_BLK_T_IN;
	uint64_t off = in ? 0 : sizeof(*h);
	uint64_t len = in ? c->in_len - 1 : c->out_len - sizeof(*h);
	int n;

	if (!in && b->img.read_only)
		return VIRTIO_BLK_S_IOERR;
	/* A read carries only the header out; a write only status in. */
	if ((in && c->out_len != sizeof(*h)) || (!in && c->in_len != 1))
		return VIRTIO_BLK_S_IOERR;
	if (len == 0 || !blk_range_ok(b, h->sector, len))
		return VIRTIO_BLK_S_IOERR;
	n = virtq_chain_slice(c, in, off, len, r->iov, BLK_SEG_MAX);
	if (n < 0)
		return VIRTIO_BLK_S_IOERR;
	r->niov = (unsigned int)n;
	r->expect = len;
	r->pending = 1;
	if (in) {
		r->used_len = (uint32_t)len + 1;
		b->stats.reads++;
		b->stats.read_bytes += len;
		aio_readv(&b->aio, b->img.fd, r->iov, r->niov,
			  h->sector * BLK_SECTOR, r);
	} else {
		b->stats.writes++;
		b->stats.write_bytes += len;
		aio_writev(&b->aio, b->img.fd, r->iov, r->niov,
			   h->sector * BLK_SECTOR, r);
	}
	return VIRTIO_BLK_S_OK;
}

static void blk_next_range(struct virtio_blk_req *r)
{
	const struct virtio_blk_range *rg = &r->ranges[r->next_range++];
	int mode = FALLOC_FL_KEEP_SIZE;

	/* Unmapped or discarded ranges read back as zeroes: holes. */
	if (r->type == VIRTIO_BLK_T_DISCARD ||
	    (rg->flags & VIRTIO_BLK_WZ_UNMAP))
		mode |= FALLOC_FL_PUNCH_HOLE;
	else
		mode |= FALLOC_FL_ZERO_RANGE;
	r->pending = 1;
	aio_fallocate(&r->b->aio, r->b->img.fd, mode, rg->sector * BLK_SECTOR,
		      (uint64_t)rg->num_sectors * BLK_SECTOR, r);
}

static uint8_t blk_start_ranges(struct virtio_blk_req *r,
				const struct virtq_chain *c)
{
	struct virtio_blk *b = r->b;
	uint64_t payload = c->out_len - sizeof(struct virtio_blk_outhdr);
	bool zeroes = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
	unsigned int i;

	if (b->img.read_only)
		return VIRTIO_BLK_S_IOERR;
	if (payload == 0 || payload % sizeof(r->ranges[0]) ||
	    payload / sizeof(r->ranges[0]) > BLK_RANGE_SEG_MAX)
		return VIRTIO_BLK_S_IOERR;
	r->nr_ranges = (unsigned int)(payload / sizeof(r->ranges[0]));
	r->next_range = 0;
	virtq_chain_read(c, sizeof(struct virtio_blk_outhdr), r->ranges,
			 payload);
	for (i = 0; i < r->nr_ranges; i++) {
		const struct virtio_blk_range *rg = &r->ranges[i];
		uint32_t allowed = zeroes ? VIRTIO_BLK_WZ_UNMAP : 0;

		if (rg->flags & ~allowed)
			return VIRTIO_BLK_S_UNSUPP;
		if (rg->num_sectors > BLK_RANGE_SECTORS_MAX ||
		    !blk_range_ok(b, rg->sector,
				  (uint64_t)rg->num_sectors * BLK_SECTOR))
			return VIRTIO_BLK_S_IOERR;
	}
	if (zeroes)
		b->stats.write_zeroes++;
	else
		b->stats.discards++;
	blk_next_range(r);
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_get_id(struct virtio_blk_req *r, const struct virtq_chain *c)
{
	uint8_t id[VIRTIO_BLK_ID_BYTES] = { 0 };

	r->b->stats.get_ids++;
	if (!r->b->serial[0])
		return VIRTIO_BLK_S_UNSUPP;
	if (c->in_len - 1 < VIRTIO_BLK_ID_BYTES)
		return VIRTIO_BLK_S_IOERR;
	/* Not NUL-terminated when it is exactly 20 bytes long. */
	memcpy(id, r->b->serial, strnlen(r->b->serial, sizeof(id)));
	virtq_chain_write(c, 0, id, sizeof(id));
	r->used_len = VIRTIO_BLK_ID_BYTES + 1;
	return VIRTIO_BLK_S_OK;
}

/*
 * Validates a chain and starts its host operations. Returns false when
 * the chain cannot even carry a status byte: the queue is then broken.
 */
static bool blk_req_start(struct virtio_blk_req *r, const struct virtq_chain *c)
{
	struct virtio_blk_outhdr h;
	const struct iovec *last;
	uint8_t st;

	if (c->nr_in == 0)
		return false;
	last = &c->iov[c->nr_out + c->nr_in - 1];
	r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	r->head = c->head;
	r->used_len = 1;
	r->pending = 0;
	r->type = UINT32_MAX;
	r->result = VIRTIO_BLK_S_OK;
	r->nr_ranges = r->next_range = 0;
	if (c->out_len < sizeof(h)) {
		st = VIRTIO_BLK_S_IOERR;
		goto done;
	}
	virtq_chain_read(c, 0, &h, sizeof(h));
	r->type = h.type;
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		st = blk_start_rw(r, c, &h);
		break;
	case VIRTIO_BLK_T_FLUSH:
		r->b->stats.flushes++;
		r->pending = 1;
		aio_fdatasync(&r->b->aio, r->b->img.fd, r);
		st = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID:
		st = blk_get_id(r, c);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		st = blk_start_ranges(r, c);
		break;
	default:
		st = VIRTIO_BLK_S_UNSUPP;
		break;
	}
done:
	if (r->pending == 0) {
		r->result = st;
		blk_req_finish(r);
	}
	return true;
}

static void blk_notify_pushed(struct virtio_blk *b)
{
	unsigned int q;

	for (q = 0; q < b->nr_queues; q++) {
		if (!b->queues[q].pushed)
			continue;
		b->queues[q].pushed = false;
		virtio_device_notify(&b->vdev, q);
	}
}

static void blk_process_queue(struct virtio_blk *b, unsigned int q)
{
	struct virtio_blk_queue *bq = &b->queues[q];
	struct virtq *vq = &b->vdev.queues[q].vq;
	struct virtq_chain *chain = b->chain;
	enum virtq_pop_result res = VIRTQ_POP_EMPTY;

	if (vq->broken)
		return;
	bq->starved = false;
	do {
		virtq_disable_kicks(vq);
		for (;;) {
			struct virtio_blk_req *r;

			if (!virtq_has_avail(vq)) {
				res = VIRTQ_POP_EMPTY;
				break;
			}
			r = blk_req_get(bq);
			if (!r) {
				/* Resumed when a request completes. */
				bq->starved = true;
				break;
			}
			res = virtq_pop_chain(vq, chain);
			if (res != VIRTQ_POP_OK) {
				blk_req_put(bq, r);
				break;
			}
			if (!blk_req_start(r, chain)) {
				blk_req_put(bq, r);
				res = VIRTQ_POP_BROKEN;
				break;
			}
		}
		if (res == VIRTQ_POP_BROKEN) {
			virtio_device_broken(&b->vdev, q);
			break;
		}
	} while (!bq->starved && virtq_enable_kicks(vq));
	aio_submit(&b->aio);
}

static void blk_queue_kick(struct virtio_device *d, unsigned int q)
{
	struct virtio_blk *b = d->priv;

	blk_process_queue(b, q);
	blk_notify_pushed(b);
}

static void blk_aio_ready(struct event_source *src, uint32_t events)
{
	struct virtio_blk *b = src->opaque;
	unsigned int q;

	(void)events;
	aio_reap(&b->aio);
	for (q = 0; q < b->nr_queues; q++)
		if (b->queues[q].starved && b->queues[q].free_list)
			blk_process_queue(b, q);
	/* Completions may have started the next range of a request. */
	aio_submit(&b->aio);
	blk_notify_pushed(b);
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

static void blk_reset(void *dev)
{
	struct virtio_blk *b = dev;
	unsigned int q, i;

	virtio_device_stop(&b->vdev);
	/*
	 * The I/O thread is gone: wait here for host I/O still writing into
	 * guest memory, then forget those requests without completing them.
	 */
	b->quiesced = true;
	aio_drain(&b->aio);
	b->quiesced = false;
	for (q = 0; q < b->nr_queues; q++) {
		struct virtio_blk_queue *bq = &b->queues[q];

		bq->free_list = NULL;
		for (i = BLK_QUEUE_SIZE; i-- > 0;)
			blk_req_put(bq, &bq->reqs[i]);
		bq->starved = bq->pushed = false;
	}
}

static const struct virtio_dev_ops blk_ops_template = {
	.name = "virtio-blk",
	.device_id = 2,
	.queue_max_size = BLK_QUEUE_SIZE,
	.features = blk_features,
	.config_size = blk_config_size,
	.config_read = blk_config_read,
	.config_write = blk_config_write,
	.activate = blk_activate,
	.reset = blk_reset,
};

int virtio_blk_init(struct virtio_blk *b, const struct guest_mem *mem,
		    const struct virtio_blk_params *p, struct err *e)
{
	unsigned int q, i;

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
	b->nr_queues = p->nr_queues;
	b->ops = blk_ops_template;
	b->ops.nr_queues = (uint16_t)p->nr_queues;
	if (virtio_device_init(&b->vdev, "virtio-blk", mem, p->nr_queues,
			       blk_queue_kick, b, e) < 0)
		return -1;
	b->vdev_ready = true;
	b->chain = malloc(sizeof(struct virtq_chain));
	if (!b->chain)
		return err_set(e, "out of memory");
	for (q = 0; q < p->nr_queues; q++) {
		struct virtio_blk_queue *bq = &b->queues[q];

		bq->reqs = calloc(BLK_QUEUE_SIZE, sizeof(*bq->reqs));
		if (!bq->reqs)
			return err_set(e, "out of memory");
		for (i = BLK_QUEUE_SIZE; i-- > 0;) {
			bq->reqs[i].b = b;
			bq->reqs[i].queue = (uint16_t)q;
			blk_req_put(bq, &bq->reqs[i]);
		}
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
	free(b->chain);
}
