// SPDX-License-Identifier: MIT
#include "devices/virtio/fault.h"

#include <linux/virtio_blk.h>
#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Reorder holds a window until it fills, or this long at most. */
#define FAULT_REORDER_MAX_MS 20

uint64_t fault_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Lock held. */
static void take_rules(struct fault_dev *fd, const struct fault_spec *specs,
		       unsigned int n)
{
	unsigned int i;

	bool flaps = false;

	fd->nr_specs = 0;
	memset(fd->matched, 0, sizeof(fd->matched));
	memset(fd->fired, 0, sizeof(fd->fired));
	for (i = 0; i < n && fd->nr_specs < FAULT_MAX_SPECS; i++)
		if (fault_spec_matches(&specs[i], fd->type, fd->instance)) {
			fd->specs[fd->nr_specs++] = specs[i];
			flaps |=
			    specs[i].kind == FAULT_CONFIG_CHANGE && specs[i].hz;
		}
	/* A link the flaps left down comes back up with them gone. */
	if (!flaps && fd->link_down) {
		__atomic_store_n(&fd->link_down, false, __ATOMIC_RELAXED);
		fd->link_restored = true;
	}
}

struct fault_dev *fault_dev_create(const struct fault_set *set,
				   struct virtio_hooks *h, const char *type,
				   unsigned int instance)
{
	struct fault_dev *fd;

	if (!set || (!set->nr_specs && !set->armed))
		return NULL;
	fd = calloc(1, sizeof(*fd));
	if (!fd)
		return NULL;
	pthread_mutex_init(&fd->lock, NULL);
	fd->set = set;
	fd->h = h;
	snprintf(fd->type, sizeof(fd->type), "%s", type);
	fd->instance = instance;
	fd->is_blk = !strcmp(type, "blk");
	fd->is_net = !strcmp(type, "net");
	fd->start_ms = fault_now_ms();
	take_rules(fd, set->specs, set->nr_specs);
	return fd;
}

void fault_dev_destroy(struct fault_dev *fd)
{
	if (!fd)
		return;
	pthread_mutex_destroy(&fd->lock);
	free(fd);
}

void fault_dev_set_rules(struct fault_dev *fd, const struct fault_spec *specs,
			 unsigned int n)
{
	pthread_mutex_lock(&fd->lock);
	take_rules(fd, specs, n);
	/* after_ms= of a new rule counts from now. */
	fd->start_ms = fault_now_ms();
	pthread_mutex_unlock(&fd->lock);
}

unsigned int fault_dev_rules(struct fault_dev *fd, struct fault_rule_stat *out,
			     unsigned int max)
{
	unsigned int i, n;

	pthread_mutex_lock(&fd->lock);
	n = fd->nr_specs;
	for (i = 0; i < n && i < max; i++) {
		memcpy(out[i].text, fd->specs[i].text, sizeof(out[i].text));
		out[i].matched = fd->matched[i];
		out[i].fired = fd->fired[i];
	}
	pthread_mutex_unlock(&fd->lock);
	return n;
}

bool fault_dev_has(struct fault_dev *fd, enum fault_kind k)
{
	unsigned int i;
	bool has = false;

	pthread_mutex_lock(&fd->lock);
	for (i = 0; i < fd->nr_specs && !has; i++)
		has = fd->specs[i].kind == k;
	pthread_mutex_unlock(&fd->lock);
	return has;
}

static bool enabled(const struct fault_dev *fd)
{
	return __atomic_load_n(&fd->set->enabled, __ATOMIC_RELAXED);
}

/* splitmix64: a well-mixed function of its input, nothing more. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * Spec i matched request number `seq` of queue q: does it fire? after=
 * lets matches through first, count= caps the firings, rate= draws from
 * the seed. Counters advance only on matches, so an unrelated request
 * does not shift which matching one fails.
 */
static bool decide(struct fault_dev *fd, unsigned int i, unsigned int q,
		   uint64_t seq)
{
	const struct fault_spec *s = &fd->specs[i];
	uint64_t r;

	if (!enabled(fd))
		return false;
	fd->matched[i]++;
	if (fd->matched[i] <= s->after)
		return false;
	if (s->count && fd->fired[i] >= s->count)
		return false;
	if (s->rate_ppm < FAULT_RATE_ONE) {
		r = mix(fd->set->seed ^
			mix(((uint64_t)i << 48) ^ ((uint64_t)q << 40) ^ seq));
		if (r % FAULT_RATE_ONE >= s->rate_ppm)
			return false;
	}
	fd->fired[i]++;
	return true;
}

static bool fault_trace_begin(struct fault_dev *fd, struct trace_rec *r,
			      enum fault_kind k, int q, int head)
{
	if (!virtio_trace_begin(fd->h, r, "fault"))
		return false;
	trace_rec_str(r, "kind", fault_kind_name(k));
	if (q >= 0) {
		trace_rec_u64(r, "q", (uint64_t)q);
		trace_rec_u64(r, "seq", fd->queues[q].requests);
	}
	if (head >= 0)
		trace_rec_u64(r, "head", (uint64_t)head);
	return true;
}

static void fault_trace(struct fault_dev *fd, enum fault_kind k, int q,
			int head)
{
	struct trace_rec r;

	if (fault_trace_begin(fd, &r, k, q, head))
		trace_rec_end(&r);
}

bool fault_request(struct fault_dev *fd, unsigned int q, uint16_t head)
{
	unsigned int i;
	bool reset = false;

	if (q >= VIRTIO_MAX_QUEUES)
		return false;
	pthread_mutex_lock(&fd->lock);
	fd->queues[q].requests++;
	fd->requests++;
	fd->queues[q].inflight[head / 64] |= 1ull << (head % 64);
	for (i = 0; i < fd->nr_specs; i++) {
		if (fd->specs[i].kind != FAULT_NEEDS_RESET ||
		    !decide(fd, i, q, fd->queues[q].requests))
			continue;
		fault_trace(fd, FAULT_NEEDS_RESET, (int)q, head);
		reset = true;
		break;
	}
	pthread_mutex_unlock(&fd->lock);
	return reset;
}

static bool op_matches(enum fault_op want, enum fault_op op)
{
	return want == FAULT_OP_ANY || want == op;
}

uint8_t fault_blk(struct fault_dev *fd, unsigned int q, uint16_t head,
		  enum fault_op op, uint64_t sector, uint64_t bytes)
{
	uint64_t last = sector + (bytes ? (bytes - 1) / 512 : 0);
	unsigned int i;
	uint8_t st = 0;

	pthread_mutex_lock(&fd->lock);
	for (i = 0; i < fd->nr_specs && !st; i++) {
		const struct fault_spec *s = &fd->specs[i];
		struct trace_rec r;

		if (s->kind != FAULT_IOERR && s->kind != FAULT_UNSUPP)
			continue;
		if (!op_matches(s->op, op))
			continue;
		/* A request touching any sector of the range. */
		if (s->has_sector &&
		    (op == FAULT_OP_FLUSH || last < s->sector_lo ||
		     sector > s->sector_hi))
			continue;
		if (!decide(fd, i, q, fd->queues[q].requests))
			continue;
		if (fault_trace_begin(fd, &r, s->kind, (int)q, head)) {
			trace_rec_str(&r, "op", fault_op_name(op));
			trace_rec_u64(&r, "sector", sector);
			trace_rec_u64(&r, "bytes", bytes);
			trace_rec_end(&r);
		}
		st = s->kind == FAULT_IOERR ? VIRTIO_BLK_S_IOERR
					    : VIRTIO_BLK_S_UNSUPP;
	}
	pthread_mutex_unlock(&fd->lock);
	return st;
}

uint64_t fault_short_len(struct fault_dev *fd, unsigned int q, uint16_t head,
			 uint64_t len, uint64_t align)
{
	uint64_t want = align ? len / 2 / align * align : len / 2;
	unsigned int i;

	if (q >= VIRTIO_MAX_QUEUES || want == 0)
		return len;
	pthread_mutex_lock(&fd->lock);
	for (i = 0; i < fd->nr_specs; i++) {
		struct trace_rec r;

		if (fd->specs[i].kind != FAULT_SHORT_READ ||
		    !decide(fd, i, q, fd->queues[q].requests))
			continue;
		if (fault_trace_begin(fd, &r, FAULT_SHORT_READ, (int)q, head)) {
			trace_rec_u64(&r, "len", len);
			trace_rec_u64(&r, "written", want);
			trace_rec_end(&r);
		}
		len = want;
		break;
	}
	pthread_mutex_unlock(&fd->lock);
	return len;
}

/*
 * An id the driver has no request under: half the ring away from head and
 * not popped, so not a head we hold. (A chain the driver published but we
 * have not popped yet could still have it: the used-ring race a real
 * device bug would have too.)
 */
static uint16_t not_in_flight(const struct fault_queue *fq, uint16_t qsize,
			      uint16_t head)
{
	unsigned int i;

	for (i = qsize / 2; qsize && i < qsize + qsize / 2; i++) {
		uint16_t c = (uint16_t)((head + i) % qsize);

		if (c != head && !(fq->inflight[c / 64] & (1ull << (c % 64))))
			return c;
	}
	return head;
}

/* used-len and used-id: the entry's fields as reported. */
static void rewrite(struct fault_dev *fd, unsigned int q, uint16_t qsize,
		    uint16_t *head, uint32_t *len)
{
	struct fault_queue *fq = &fd->queues[q];
	unsigned int i;

	for (i = 0; i < fd->nr_specs; i++) {
		const struct fault_spec *s = &fd->specs[i];
		struct trace_rec r;
		uint16_t other;

		if (s->kind == FAULT_USED_LEN &&
		    decide(fd, i, q, fq->requests)) {
			if (fault_trace_begin(fd, &r, s->kind, (int)q, *head)) {
				trace_rec_u64(&r, "len", *len);
				trace_rec_u64(&r, "reported",
					      (uint64_t)*len + s->extra);
				trace_rec_end(&r);
			}
			*len = *len + s->extra < *len ? UINT32_MAX
						      : *len + s->extra;
		} else if (s->kind == FAULT_USED_ID) {
			other = not_in_flight(fq, qsize, *head);
			if (other == *head || !decide(fd, i, q, fq->requests))
				continue;
			if (fault_trace_begin(fd, &r, s->kind, (int)q, *head)) {
				trace_rec_u64(&r, "reported", other);
				trace_rec_end(&r);
			}
			*head = other;
		}
	}
}

/* delay and reorder: true if the entry is held back. */
static bool hold_back(struct fault_dev *fd, unsigned int q, uint16_t head,
		      uint32_t len)
{
	struct fault_queue *fq = &fd->queues[q];
	unsigned int i;

	for (i = 0; i < fd->nr_specs; i++) {
		const struct fault_spec *s = &fd->specs[i];
		struct trace_rec r;
		bool reorder = s->kind == FAULT_REORDER;

		if ((s->kind != FAULT_DELAY && !reorder) ||
		    fq->nr_held == FAULT_MAX_HELD ||
		    (reorder && fq->nr_reorder >= s->window - 1) ||
		    !decide(fd, i, q, fq->requests))
			continue;
		if (fault_trace_begin(fd, &r, s->kind, (int)q, head)) {
			if (reorder)
				trace_rec_u64(&r, "window", s->window);
			else
				trace_rec_u64(&r, "ms", s->ms);
			trace_rec_end(&r);
		}
		fq->held[fq->nr_held++] = (struct fault_held){
			.head = head,
			.len = len,
			.due_ms = fault_now_ms() +
				  (reorder ? FAULT_REORDER_MAX_MS : s->ms),
			.reorder = reorder,
		};
		fq->nr_reorder += reorder;
		return true;
	}
	return false;
}

bool fault_complete(struct fault_dev *fd, unsigned int q, uint16_t qsize,
		    uint16_t *head, uint32_t *len)
{
	struct fault_queue *fq = &fd->queues[q];
	unsigned int i;
	bool push = false;

	pthread_mutex_lock(&fd->lock);
	fq->inflight[*head / 64] &= ~(1ull << (*head % 64));
	rewrite(fd, q, qsize, head, len);
	if (!hold_back(fd, q, *head, *len)) {
		/* A full reorder window: the held ones follow this one. */
		for (i = 0; i < fq->nr_held; i++)
			if (fq->held[i].reorder)
				fq->held[i].due_ms = 0;
		push = true;
	}
	pthread_mutex_unlock(&fd->lock);
	return push;
}

bool fault_release(struct fault_dev *fd, unsigned int q, uint64_t now_ms,
		   bool force, uint16_t *head, uint32_t *len)
{
	struct fault_queue *fq = &fd->queues[q];
	unsigned int i;
	bool got = false;

	pthread_mutex_lock(&fd->lock);
	/* Newest first: the order the guest gets them is the point. */
	for (i = fq->nr_held; i-- > 0;) {
		if (!force && fq->held[i].due_ms > now_ms)
			continue;
		*head = fq->held[i].head;
		*len = fq->held[i].len;
		fq->nr_reorder -= fq->held[i].reorder;
		fq->held[i] = fq->held[--fq->nr_held];
		got = true;
		break;
	}
	pthread_mutex_unlock(&fd->lock);
	return got;
}

void fault_queue_forget(struct fault_dev *fd, unsigned int q)
{
	struct fault_queue *fq = &fd->queues[q];

	pthread_mutex_lock(&fd->lock);
	fq->nr_held = 0;
	fq->nr_reorder = 0;
	memset(fq->inflight, 0, sizeof(fq->inflight));
	pthread_mutex_unlock(&fd->lock);
}

bool fault_drop_irq(struct fault_dev *fd, unsigned int q)
{
	unsigned int i;
	bool drop = false;

	pthread_mutex_lock(&fd->lock);
	for (i = 0; i < fd->nr_specs && !drop; i++)
		if (fd->specs[i].kind == FAULT_DROP_IRQ &&
		    decide(fd, i, q, fd->queues[q].requests)) {
			fault_trace(fd, FAULT_DROP_IRQ, (int)q, -1);
			drop = true;
		}
	pthread_mutex_unlock(&fd->lock);
	return drop;
}

void fault_tick(struct fault_dev *fd, uint64_t now_ms, struct fault_tick *out)
{
	uint64_t since;
	unsigned int i;

	*out = (struct fault_tick){ 0 };
	if (!enabled(fd))
		return;
	pthread_mutex_lock(&fd->lock);
	since = now_ms - fd->start_ms;
	out->config_changed = fd->link_restored;
	fd->link_restored = false;
	for (i = 0; i < fd->nr_specs; i++) {
		const struct fault_spec *s = &fd->specs[i];
		struct trace_rec r;

		if (s->kind == FAULT_SPURIOUS_IRQ &&
		    now_ms - fd->last_spurious_ms >= 1000 / s->hz) {
			fd->last_spurious_ms = now_ms;
			if (!decide(fd, i, 0, fd->queues[0].requests))
				continue;
			fault_trace(fd, s->kind, 0, -1);
			out->spurious++;
		} else if (s->kind == FAULT_CONFIG_CHANGE && s->has_sectors &&
			   !__atomic_load_n(&fd->capacity_set,
					    __ATOMIC_ACQUIRE) &&
			   since >= s->after_ms) {
			__atomic_store_n(&fd->capacity, s->sectors,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&fd->capacity_set, true,
					 __ATOMIC_RELEASE);
			if (fault_trace_begin(fd, &r, s->kind, -1, -1)) {
				trace_rec_u64(&r, "capacity", s->sectors);
				trace_rec_end(&r);
			}
			out->config_changed = true;
		} else if (s->kind == FAULT_CONFIG_CHANGE && s->hz &&
			   fd->is_net &&
			   now_ms - fd->last_flap_ms >= 1000 / s->hz / 2 &&
			   since >= s->after_ms) {
			bool down =
			    !__atomic_load_n(&fd->link_down, __ATOMIC_RELAXED);

			fd->last_flap_ms = now_ms;
			__atomic_store_n(&fd->link_down, down,
					 __ATOMIC_RELAXED);
			if (fault_trace_begin(fd, &r, s->kind, -1, -1)) {
				trace_rec_bool(&r, "link_up", !down);
				trace_rec_end(&r);
			}
			out->config_changed = true;
		}
	}
	pthread_mutex_unlock(&fd->lock);
}

/* Generation bumps apply to whatever the driver reads. */
static void maybe_bump_generation(struct fault_dev *fd,
				  struct virtio_transport *t)
{
	unsigned int i;

	for (i = 0; i < fd->nr_specs; i++) {
		const struct fault_spec *s = &fd->specs[i];

		if (s->kind != FAULT_CONFIG_CHANGE || s->has_sectors || s->hz)
			continue;
		/* Counted per config read: the driver's reads are the clock. */
		if (!decide(fd, i, 0, fd->matched[i]))
			continue;
		__atomic_add_fetch(&t->config_generation, 1, __ATOMIC_SEQ_CST);
		fault_trace(fd, s->kind, -1, -1);
		virtio_trace_generation(fd->h, t->config_generation);
	}
}

static void patch(void *data, uint32_t off, unsigned int len, const void *field,
		  uint32_t foff, unsigned int flen)
{
	uint32_t lo = off > foff ? off : foff;
	uint32_t hi = off + len < foff + flen ? off + len : foff + flen;

	if (lo < hi)
		memcpy((uint8_t *)data + (lo - off),
		       (const uint8_t *)field + (lo - foff), hi - lo);
}

void fault_config_read(struct virtio_hooks *h, struct virtio_transport *t,
		       uint32_t off, void *data, unsigned int len)
{
	struct fault_dev *fd = h->fault;
	uint8_t cur[2];

	if (!fd)
		return;
	pthread_mutex_lock(&fd->lock);
	if (fd->is_blk &&
	    __atomic_load_n(&fd->capacity_set, __ATOMIC_ACQUIRE)) {
		uint64_t cap = __atomic_load_n(&fd->capacity, __ATOMIC_RELAXED);

		/* Config space is little-endian, as is every host we run on. */
		patch(data, off, len, &cap,
		      offsetof(struct virtio_blk_config, capacity),
		      sizeof(cap));
	}
	if (fd->is_net && __atomic_load_n(&fd->link_down, __ATOMIC_RELAXED) &&
	    off <= offsetof(struct virtio_net_config, status) &&
	    off + len > offsetof(struct virtio_net_config, status)) {
		uint8_t *p = (uint8_t *)data +
			     (offsetof(struct virtio_net_config, status) - off);

		memcpy(cur, p, 1);
		*p = (uint8_t)(cur[0] & ~VIRTIO_NET_S_LINK_UP);
	}
	maybe_bump_generation(fd, t);
	pthread_mutex_unlock(&fd->lock);
}
