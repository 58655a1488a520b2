/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_FAULT_SPEC_H
#define VIREO_DEVICES_VIRTIO_FAULT_SPEC_H

/*
 * --fault TARGET:KIND[,key=value...]: pure parsing and checking, no
 * device state (fuzzed by tests/fuzz/fuzz_fault_spec.c). TARGET is a
 * device type (every device of it) or one instance ("blk1").
 */

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

enum fault_kind {
	FAULT_IOERR,
	FAULT_UNSUPP,
	FAULT_DELAY,
	FAULT_REORDER,
	FAULT_DROP_IRQ,
	FAULT_SPURIOUS_IRQ,
	FAULT_NEEDS_RESET,
	FAULT_CONFIG_CHANGE,
	FAULT_USED_LEN,
	FAULT_USED_ID,
	FAULT_SHORT_READ,
	FAULT_KIND_COUNT,
};

enum fault_op {
	FAULT_OP_ANY,
	FAULT_OP_READ,
	FAULT_OP_WRITE,
	FAULT_OP_FLUSH,
	FAULT_OP_DISCARD,
};

#define FAULT_RATE_ONE 1000000u /* rate=1: rate_ppm is parts per million */
#define FAULT_TARGET_MAX 16
#define FAULT_TEXT_MAX 128
#define FAULT_MAX_SPECS 16 /* rules at a time (--fault, the API) */

struct fault_spec {
	char type[FAULT_TARGET_MAX]; /* "blk", "net", "console", "rng" */
	int instance; /* -1: every device of the type */
	enum fault_kind kind;
	enum fault_op op;
	bool has_sector;
	uint64_t sector_lo, sector_hi; /* inclusive */
	uint32_t rate_ppm; /* default 1 (always) */
	uint64_t count; /* 0: unlimited */
	uint64_t after; /* matching requests let through first */
	uint32_t ms, window, hz, extra;
	uint64_t sectors, after_ms;
	bool has_sectors;
	char text[FAULT_TEXT_MAX]; /* the spec as written */
};

/* 0 with *out filled, -1 with e set (one line naming the bad part). */
int fault_spec_parse(const char *s, struct fault_spec *out, struct err *e);

const char *fault_kind_name(enum fault_kind k);
const char *fault_op_name(enum fault_op op);

/* Whether spec s applies to device type/instance. */
bool fault_spec_matches(const struct fault_spec *s, const char *type,
			unsigned int instance);

#endif
