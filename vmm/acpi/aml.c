// SPDX-License-Identifier: MIT
#include "vmm/acpi/aml.h"

#include <stdlib.h>
#include <string.h>

#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP 0x82
#define AML_ONES_OP 0xff

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	free(a->buf);
	aml_init(a);
}

static bool aml_reserve(struct aml *a, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (a->oom)
		return false;
	if (a->len + n <= a->cap)
		return true;
	cap = a->cap ? a->cap : 256;
	while (cap < a->len + n)
		cap *= 2;
	p = realloc(a->buf, cap);
	if (!p) {
		a->oom = true;
		return false;
	}
	a->buf = p;
	a->cap = cap;
	return true;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (!aml_reserve(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned int n)
{
	uint8_t b[8];
	unsigned int i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_bytes(a, b, n);
}

static void aml_nameseg(struct aml *a, const char *s, size_t n)
{
	char seg[4] = { '_', '_', '_', '_' };

	memcpy(seg, s, n > 4 ? 4 : n);
	aml_bytes(a, seg, 4);
}

void aml_namestring(struct aml *a, const char *path)
{
	const char *p = path;
	size_t nsegs = 0;

	if (*p == '\\') {
		aml_byte(a, '\\');
		p++;
	}
	while (*p == '^') {
		aml_byte(a, '^');
		p++;
	}
	if (!*p) {
		aml_byte(a, 0); /* NullName */
		return;
	}
	for (const char *q = p; q; q = strchr(q, '.'), q = q ? q + 1 : q)
		nsegs++;
	if (nsegs == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (nsegs > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)nsegs);
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		aml_nameseg(a, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v == UINT64_MAX) {
		aml_byte(a, AML_ONES_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffffu) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

/* Three letters of 5 bits each ('A' = 1), then four hex digits. */
uint32_t aml_eisaid_value(const char *id)
{
	uint8_t b[4];
	unsigned int i, hex[4];

	for (i = 0; i < 4; i++) {
		char c = id[3 + i];

		hex[i] = c <= '9' ? (unsigned int)(c - '0')
				  : (unsigned int)((c | 0x20) - 'a' + 10);
	}
	b[0] = (uint8_t)(((id[0] - 0x40) << 2) | ((id[1] - 0x40) >> 3));
	b[1] = (uint8_t)((((id[1] - 0x40) & 7) << 5) | (id[2] - 0x40));
	b[2] = (uint8_t)((hex[0] << 4) | hex[1]);
	b[3] = (uint8_t)((hex[2] << 4) | hex[3]);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

void aml_eisaid(struct aml *a, const char *id)
{
	aml_integer(a, aml_eisaid_value(id));
}

void aml_name(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, name);
}

unsigned int aml_pkglength(size_t body_len, uint8_t out[4])
{
	unsigned int n, i;
	size_t total;

	/* The encoded length counts its own bytes. */
	if (body_len + 1 < 0x40) {
		out[0] = (uint8_t)(body_len + 1);
		return 1;
	}
	for (n = 2; n < 4; n++)
		if (body_len + n < (1u << (4 + 8 * (n - 1))))
			break;
	total = body_len + n;
	out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
	for (i = 1; i < n; i++)
		out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	return n;
}

static void aml_open(struct aml *a)
{
	if (a->depth == AML_MAX_DEPTH) {
		a->oom = true;
		return;
	}
	a->open[a->depth++] = a->len;
}

void aml_close(struct aml *a)
{
	uint8_t pl[4];
	size_t start, body;
	unsigned int n;

	if (!a->depth || a->oom)
		return;
	start = a->open[--a->depth];
	body = a->len - start;
	n = aml_pkglength(body, pl);
	if (!aml_reserve(a, n))
		return;
	memmove(a->buf + start + n, a->buf + start, body);
	memcpy(a->buf + start, pl, n);
	a->len += n;
}

void aml_buffer(struct aml *a, const void *data, size_t n)
{
	aml_byte(a, AML_BUFFER_OP);
	aml_open(a);
	aml_integer(a, n);
	aml_bytes(a, data, n);
	aml_close(a);
}

void aml_scope_open(struct aml *a, const char *name)
{
	aml_byte(a, AML_SCOPE_OP);
	aml_open(a);
	aml_namestring(a, name);
}

void aml_device_open(struct aml *a, const char *name)
{
	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	aml_open(a);
	aml_namestring(a, name);
}

void aml_package_open(struct aml *a, uint8_t nr_elements)
{
	aml_byte(a, AML_PACKAGE_OP);
	aml_open(a);
	aml_byte(a, nr_elements);
}

/* ---- resource descriptors ------------------------------------------------ */

#define RES_IO 0x47
#define RES_END 0x79
#define RES_MEMORY32_FIXED 0x86
#define RES_DWORD_ADDRESS 0x87
#define RES_WORD_ADDRESS 0x88
#define RES_EXT_INTERRUPT 0x89

#define ADDR_SPACE_MEMORY 0
#define ADDR_SPACE_IO 1
#define ADDR_SPACE_BUS 2
/* General flags: MaxFixed, MinFixed, positive decode, producer. */
#define ADDR_FLAGS_FIXED 0x0c

void aml_res_memory32_fixed(struct aml *a, uint32_t base, uint32_t len,
			    bool writable)
{
	aml_byte(a, RES_MEMORY32_FIXED);
	aml_le(a, 9, 2);
	aml_byte(a, writable ? 1 : 0);
	aml_le(a, base, 4);
	aml_le(a, len, 4);
}

void aml_res_interrupt(struct aml *a, uint32_t gsi, bool edge, bool active_low)
{
	/* Bit 0 consumer, bit 1 edge, bit 2 active low; exclusive. */
	uint8_t flags = 1 | (edge ? 2 : 0) | (active_low ? 4 : 0);

	aml_byte(a, RES_EXT_INTERRUPT);
	aml_le(a, 6, 2);
	aml_byte(a, flags);
	aml_byte(a, 1);
	aml_le(a, gsi, 4);
}

void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align,
		uint8_t len)
{
	aml_byte(a, RES_IO);
	aml_byte(a, 1); /* 16-bit decode */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_byte(a, align);
	aml_byte(a, len);
}

static void res_word(struct aml *a, uint8_t type, uint8_t type_flags,
		     uint16_t min, uint16_t max)
{
	aml_byte(a, RES_WORD_ADDRESS);
	aml_le(a, 13, 2);
	aml_byte(a, type);
	aml_byte(a, ADDR_FLAGS_FIXED);
	aml_byte(a, type_flags);
	aml_le(a, 0, 2); /* granularity */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_le(a, 0, 2); /* translation */
	aml_le(a, (uint32_t)max - min + 1, 2);
}

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	res_word(a, ADDR_SPACE_BUS, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	res_word(a, ADDR_SPACE_IO, 3 /* entire range */, min, max);
}

void aml_res_dword_memory(struct aml *a, uint32_t min, uint32_t max)
{
	aml_byte(a, RES_DWORD_ADDRESS);
	aml_le(a, 23, 2);
	aml_byte(a, ADDR_SPACE_MEMORY);
	aml_byte(a, ADDR_FLAGS_FIXED);
	aml_byte(a, 1); /* read-write, non-cacheable */
	aml_le(a, 0, 4); /* granularity */
	aml_le(a, min, 4);
	aml_le(a, max, 4);
	aml_le(a, 0, 4); /* translation */
	aml_le(a, (uint64_t)max - min + 1, 4);
}

void aml_res_end(struct aml *a)
{
	aml_byte(a, RES_END);
	aml_byte(a, 0);
}
