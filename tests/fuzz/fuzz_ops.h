/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_FUZZ_FUZZ_OPS_H
#define VIREO_TESTS_FUZZ_FUZZ_OPS_H

/*
 * The input of the register fuzzers: a sequence of 8-byte guest accesses.
 *
 *   [0]     bits 0-6 target (each fuzzer's own list), bit 7 write
 *   [1]     bits 0-1 width: 1, 2, 4 or 8 bytes
 *   [2..3]  offset (le16), reduced by the target
 *   [4..7]  value (le32); an 8-byte write repeats it inverted on top
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_OP_SIZE 8
#define FZ_MAX_OPS 512
#define FZ_POISON 0xa5

struct fz_op {
	unsigned int target;
	bool write;
	unsigned int len;
	uint32_t off;
	uint64_t val;
};

static inline bool fz_next(const uint8_t **p, size_t *n, struct fz_op *op)
{
	uint16_t off;
	uint32_t val;

	if (*n < FZ_OP_SIZE)
		return false;
	op->target = (*p)[0] & 0x7f;
	op->write = (*p)[0] & 0x80;
	op->len = 1u << ((*p)[1] & 3);
	memcpy(&off, *p + 2, 2);
	memcpy(&val, *p + 4, 4);
	op->off = off;
	op->val = val | ((uint64_t)~val << 32);
	*p += FZ_OP_SIZE;
	*n -= FZ_OP_SIZE;
	return true;
}

/* An invariant: a crash, with where, when it does not hold. */
#define fz_check(ok)                                                           \
	do {                                                                   \
		if (!(ok)) {                                                   \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,     \
				#ok);                                          \
			abort();                                               \
		}                                                              \
	} while (0)

/* len bytes at data are all zero. */
static inline bool fz_zero(const void *data, unsigned int len)
{
	const uint8_t *b = data;
	unsigned int i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

#endif
