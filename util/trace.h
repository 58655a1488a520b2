/* SPDX-License-Identifier: MIT */
#ifndef VIREO_UTIL_TRACE_H
#define VIREO_UTIL_TRACE_H

/*
 * A JSON Lines event trace that never blocks its producers. Each event is
 * formatted by the thread that saw it into a bounded byte ring under a
 * short lock (a memcpy); a writer thread of its own empties the ring into
 * the file. A full ring drops the event and counts it: the writer then
 * emits {"ev":"dropped","n":N} so every gap is visible in the trace.
 * Callers keep a NULL struct trace * when tracing is off, so the cost
 * then is one predictable branch.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct trace;

/* Ring of ring_bytes (0: default 8 MiB); starts the writer thread. */
int trace_open(struct trace **out, const char *path, size_t ring_bytes,
	       struct err *e);
struct thread_hook;
/*
 * Runs h on the writer thread and returns once it has. The writer starts
 * at trace_open(), in machine creation, before vireo drops privileges;
 * glibc's setuid signals every thread to change its ids too, so the
 * writer's seccomp filter (which forbids set*id) must wait for this
 * later step rather than be loaded when the thread starts.
 */
void trace_enter_sandbox(struct trace *t, const struct thread_hook *h);
/* Flushes every event emitted so far, writes the end record, closes. */
void trace_close(struct trace *t);

/* Microseconds since the trace was opened (vireo's start). */
uint64_t trace_now_us(const struct trace *t);
uint64_t trace_dropped(struct trace *t);
uint64_t trace_emitted(struct trace *t);

/* One record being built on the producer's stack. */
#define TRACE_REC_MAX 1024
struct trace_rec {
	struct trace *t;
	size_t len, good; /* good: where the last whole field ended */
	bool overflow; /* a field did not fit: the record is cut short */
	char buf[TRACE_REC_MAX];
};

/* {"t_us":N,"dev":"DEV","ev":"EV" */
void trace_rec_begin(struct trace_rec *r, struct trace *t, const char *dev,
		     const char *ev);
void trace_rec_u64(struct trace_rec *r, const char *key, uint64_t v);
void trace_rec_i64(struct trace_rec *r, const char *key, int64_t v);
void trace_rec_bool(struct trace_rec *r, const char *key, bool v);
/* A JSON string, escaped (control characters, quotes, backslash). */
void trace_rec_str(struct trace_rec *r, const char *key, const char *s);
/* "0x..." : for addresses and feature masks, where hex is what people read */
void trace_rec_hex(struct trace_rec *r, const char *key, uint64_t v);
/*
 * Raw JSON text appended as is (nested arrays built by the caller); it
 * belongs to the field before it: a record cut short drops both.
 */
void trace_rec_raw(struct trace_rec *r, const char *text, size_t len);
/* A bare number appended (inside a caller-built array). */
void trace_rec_raw_u64(struct trace_rec *r, uint64_t v);
/* Closes the object and hands it to the ring (or counts it dropped). */
void trace_rec_end(struct trace_rec *r);

/* Appends one complete line (without '\n'); false if it was dropped. */
bool trace_emit(struct trace *t, const char *line, size_t len);

#endif
