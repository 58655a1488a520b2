// SPDX-License-Identifier: MIT
#include "util/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/thread_hook.h"

#define TRACE_DEFAULT_RING (8u << 20)
#define TRACE_CHUNK (64u << 10)
/* A record's fields stop here: the rest is kept for the truncation mark. */
static const char trace_cut[] = ",\"truncated\":true}";
#define TRACE_REC_ROOM (TRACE_REC_MAX - sizeof(trace_cut))

struct trace {
	int fd;
	pthread_t writer;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *ring;
	size_t cap;
	uint64_t head, tail; /* bytes ever written into / taken out of ring */
	uint64_t dropped, dropped_reported, emitted;
	bool stopping, writer_waiting;
	/* trace_enter_sandbox(): run on the writer, then cleared */
	struct thread_hook hook;
	bool hook_pending;
	struct timespec start;
	char chunk[TRACE_CHUNK];
};

uint64_t trace_now_us(const struct trace *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)((int64_t)(now.tv_sec - t->start.tv_sec) * 1000000 +
			  (now.tv_nsec - t->start.tv_nsec) / 1000);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* a full disk loses the trace, not the guest */
		p += w;
		n -= (size_t)w;
	}
}

/* Lock held. Copies up to TRACE_CHUNK bytes out of the ring. */
static size_t take_chunk(struct trace *t)
{
	size_t avail = (size_t)(t->head - t->tail), n, off, first;

	n = avail < TRACE_CHUNK ? avail : TRACE_CHUNK;
	off = (size_t)(t->tail % t->cap);
	first = t->cap - off < n ? t->cap - off : n;
	memcpy(t->chunk, t->ring + off, first);
	memcpy(t->chunk + first, t->ring, n - first);
	t->tail += n;
	return n;
}

static void report_drops(struct trace *t, uint64_t n, uint64_t total)
{
	char line[160];
	int len =
	    snprintf(line, sizeof(line),
		     "{\"t_us\":%" PRIu64
		     ",\"dev\":\"trace\",\"ev\":\"dropped\",\"n\":%" PRIu64
		     ",\"total\":%" PRIu64 "}\n",
		     trace_now_us(t), n, total);

	write_all(t->fd, line, (size_t)len);
}

static void *trace_writer(void *arg)
{
	struct trace *t = arg;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		uint64_t drops;
		size_t n;

		if (t->hook_pending) {
			pthread_mutex_unlock(&t->lock);
			thread_hook_enter(&t->hook);
			pthread_mutex_lock(&t->lock);
			t->hook_pending = false;
			pthread_cond_broadcast(&t->cond);
		}
		while (t->head == t->tail &&
		       t->dropped == t->dropped_reported && !t->stopping &&
		       !t->hook_pending) {
			struct timespec until;

			/*
			 * Producers only signal past half full (no syscall per
			 * event); the timeout bounds the latency otherwise.
			 */
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 50 * 1000 * 1000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			t->writer_waiting = true;
			pthread_cond_timedwait(&t->cond, &t->lock, &until);
			t->writer_waiting = false;
		}
		if (t->hook_pending)
			continue;
		if (t->head == t->tail && t->dropped == t->dropped_reported)
			break; /* stopping, and everything is out */
		n = take_chunk(t);
		drops = t->dropped - t->dropped_reported;
		t->dropped_reported = t->dropped;
		pthread_mutex_unlock(&t->lock);
		write_all(t->fd, t->chunk, n);
		if (drops)
			report_drops(t, drops, t->dropped_reported);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int trace_open(struct trace **out, const char *path, size_t ring_bytes,
	       struct err *e)
{
	struct trace *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return err_set(e, "out of memory");
	t->cap = ring_bytes ? ring_bytes : TRACE_DEFAULT_RING;
	t->ring = malloc(t->cap);
	if (!t->ring) {
		free(t);
		return err_set(e, "out of memory");
	}
	t->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (t->fd < 0) {
		err_errno(e, errno, "--trace '%s'", path);
		free(t->ring);
		free(t);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t->start);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	if (pthread_create(&t->writer, NULL, trace_writer, t) != 0) {
		close(t->fd);
		free(t->ring);
		free(t);
		return err_set(e, "--trace: cannot start the writer thread");
	}
	*out = t;
	return 0;
}

void trace_enter_sandbox(struct trace *t, const struct thread_hook *h)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->hook = *h;
	t->hook_pending = true;
	pthread_cond_broadcast(&t->cond);
	while (t->hook_pending)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

void trace_close(struct trace *t)
{
	char line[200];
	int len;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->writer, NULL);
	len = snprintf(line, sizeof(line),
		       "{\"t_us\":%" PRIu64
		       ",\"dev\":\"trace\",\"ev\":\"end\",\"events\":%" PRIu64
		       ",\"dropped\":%" PRIu64 "}\n",
		       trace_now_us(t), t->emitted, t->dropped);
	write_all(t->fd, line, (size_t)len);
	close(t->fd);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t->ring);
	free(t);
}

/* A counter, read under the lock the producers update it with. */
static uint64_t locked_read(struct trace *t, const uint64_t *counter)
{
	uint64_t v;

	pthread_mutex_lock(&t->lock);
	v = *counter;
	pthread_mutex_unlock(&t->lock);
	return v;
}

uint64_t trace_dropped(struct trace *t)
{
	return locked_read(t, &t->dropped);
}

uint64_t trace_emitted(struct trace *t)
{
	return locked_read(t, &t->emitted);
}

bool trace_emit(struct trace *t, const char *line, size_t len)
{
	size_t off, first, total = len + 1;
	bool wake;

	pthread_mutex_lock(&t->lock);
	if (t->cap - (size_t)(t->head - t->tail) < total || t->stopping) {
		t->dropped++;
		pthread_mutex_unlock(&t->lock);
		return false;
	}
	off = (size_t)(t->head % t->cap);
	first = t->cap - off < len ? t->cap - off : len;
	memcpy(t->ring + off, line, first);
	memcpy(t->ring, line + first, len - first);
	t->ring[(t->head + len) % t->cap] = '\n';
	t->head += total;
	t->emitted++;
	wake = t->writer_waiting && (t->head - t->tail) > t->cap / 2;
	if (wake)
		pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return true;
}

static void rec_append(struct trace_rec *r, const char *s, size_t n)
{
	if (r->overflow || r->len + n > TRACE_REC_ROOM) {
		r->overflow = true;
		return;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
}

static void rec_printf(struct trace_rec *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void rec_printf(struct trace_rec *r, const char *fmt, ...)
{
	va_list ap;
	size_t room = TRACE_REC_ROOM - r->len;
	int n;

	if (r->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, room + 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > room) {
		r->overflow = true;
		return;
	}
	r->len += (size_t)n;
}

/* Decimal without printf: most of an event's cost was vsnprintf. */
static void rec_num(struct trace_rec *r, uint64_t v)
{
	char buf[20];
	size_t n = sizeof(buf);

	do {
		buf[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	rec_append(r, buf + n, sizeof(buf) - n);
}

static void rec_escaped(struct trace_rec *r, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	rec_append(r, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };

			rec_append(r, esc, 2);
		} else if (c < 0x20) {
			char esc[6] = { '\\', 'u',	   '0',
					'0',  hex[c >> 4], hex[c & 15] };

			rec_append(r, esc, 6);
		} else {
			rec_append(r, (const char *)&c, 1);
		}
	}
	rec_append(r, "\"", 1);
}

void trace_rec_begin(struct trace_rec *r, struct trace *t, const char *dev,
		     const char *ev)
{
	r->t = t;
	r->len = 0;
	r->overflow = false;
	r->good = 0;
	rec_append(r, "{\"t_us\":", 8);
	rec_num(r, trace_now_us(t));
	rec_append(r, ",\"dev\":", 7);
	rec_escaped(r, dev);
	rec_append(r, ",\"ev\":", 6);
	rec_escaped(r, ev);
}

static void rec_key(struct trace_rec *r, const char *key)
{
	if (!r->overflow)
		r->good = r->len;
	rec_append(r, ",", 1);
	rec_escaped(r, key);
	rec_append(r, ":", 1);
}

void trace_rec_u64(struct trace_rec *r, const char *key, uint64_t v)
{
	rec_key(r, key);
	rec_num(r, v);
}

void trace_rec_raw_u64(struct trace_rec *r, uint64_t v)
{
	rec_num(r, v);
}

void trace_rec_i64(struct trace_rec *r, const char *key, int64_t v)
{
	rec_key(r, key);
	rec_printf(r, "%" PRId64, v);
}

void trace_rec_bool(struct trace_rec *r, const char *key, bool v)
{
	rec_key(r, key);
	rec_append(r, v ? "true" : "false", v ? 4 : 5);
}

void trace_rec_str(struct trace_rec *r, const char *key, const char *s)
{
	rec_key(r, key);
	rec_escaped(r, s);
}

void trace_rec_hex(struct trace_rec *r, const char *key, uint64_t v)
{
	rec_key(r, key);
	rec_printf(r, "\"0x%" PRIx64 "\"", v);
}

void trace_rec_raw(struct trace_rec *r, const char *text, size_t len)
{
	/*
	 * Raw text continues the last field (a caller-built array), so a
	 * cut drops that whole field: the line stays valid JSON.
	 */
	rec_append(r, text, len);
}

void trace_rec_end(struct trace_rec *r)
{
	/* A field that did not fit goes whole: the line stays valid JSON. */
	if (r->overflow) {
		r->len = r->good;
		memcpy(r->buf + r->len, trace_cut, sizeof(trace_cut) - 1);
		r->len += sizeof(trace_cut) - 1;
	} else {
		r->buf[r->len++] = '}';
	}
	trace_emit(r->t, r->buf, r->len);
}
