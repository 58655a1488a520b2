// SPDX-License-Identifier: MIT
#include "devices/virtio/fault_spec.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[FAULT_KIND_COUNT] = {
	[FAULT_IOERR] = "ioerr",
	[FAULT_UNSUPP] = "unsupp",
	[FAULT_DELAY] = "delay",
	[FAULT_REORDER] = "reorder",
	[FAULT_DROP_IRQ] = "drop-irq",
	[FAULT_SPURIOUS_IRQ] = "spurious-irq",
	[FAULT_NEEDS_RESET] = "needs-reset",
	[FAULT_CONFIG_CHANGE] = "config-change",
	[FAULT_USED_LEN] = "used-len",
	[FAULT_USED_ID] = "used-id",
	[FAULT_SHORT_READ] = "short-read",
};

static const char *const op_names[] = {
	[FAULT_OP_ANY] = "any",		[FAULT_OP_READ] = "read",
	[FAULT_OP_WRITE] = "write",	[FAULT_OP_FLUSH] = "flush",
	[FAULT_OP_DISCARD] = "discard",
};

static const char *const types[] = { "blk", "net", "console", "rng" };

const char *fault_kind_name(enum fault_kind k)
{
	return (unsigned)k < FAULT_KIND_COUNT ? kind_names[k] : "?";
}

const char *fault_op_name(enum fault_op op)
{
	return (unsigned)op < sizeof(op_names) / sizeof(op_names[0])
		   ? op_names[op]
		   : "?";
}

/* Keys, and the kinds each one means something for (bit per kind). */
#define K(kind) (1u << (kind))
#define REQ_KINDS                                                              \
	(K(FAULT_IOERR) | K(FAULT_UNSUPP) | K(FAULT_DELAY) |                   \
	 K(FAULT_USED_LEN) | K(FAULT_USED_ID) | K(FAULT_SHORT_READ) |          \
	 K(FAULT_REORDER) | K(FAULT_DROP_IRQ) | K(FAULT_NEEDS_RESET) |         \
	 K(FAULT_CONFIG_CHANGE))

enum key {
	KEY_OP,
	KEY_SECTOR,
	KEY_RATE,
	KEY_COUNT,
	KEY_AFTER,
	KEY_MS,
	KEY_WINDOW,
	KEY_HZ,
	KEY_EXTRA,
	KEY_SECTORS,
	KEY_AFTER_MS,
	KEY_COUNT_ALL,
};

static const struct {
	const char *name;
	uint32_t kinds;
} keys[KEY_COUNT_ALL] = {
	[KEY_OP] = { "op", K(FAULT_IOERR) | K(FAULT_UNSUPP) },
	[KEY_SECTOR] = { "sector", K(FAULT_IOERR) | K(FAULT_UNSUPP) },
	[KEY_RATE] = { "rate", REQ_KINDS | K(FAULT_SPURIOUS_IRQ) },
	[KEY_COUNT] = { "count", REQ_KINDS },
	[KEY_AFTER] = { "after", REQ_KINDS },
	[KEY_MS] = { "ms", K(FAULT_DELAY) },
	[KEY_WINDOW] = { "window", K(FAULT_REORDER) },
	[KEY_HZ] = { "hz", K(FAULT_SPURIOUS_IRQ) | K(FAULT_CONFIG_CHANGE) },
	[KEY_EXTRA] = { "extra", K(FAULT_USED_LEN) },
	[KEY_SECTORS] = { "sectors", K(FAULT_CONFIG_CHANGE) },
	[KEY_AFTER_MS] = { "after_ms", K(FAULT_CONFIG_CHANGE) },
};

/* A decimal number in [0, max]; the whole string. */
static int num_parse(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n > max)
		return -1;
	*out = n;
	return 0;
}

/* "0.25", "1", "25%": a probability as parts per million. */
static int rate_parse(const char *v, uint32_t *ppm)
{
	size_t len = strlen(v);
	uint64_t whole = 0, frac = 0, scale = FAULT_RATE_ONE, n;
	const char *p = v;

	if (len && v[len - 1] == '%') {
		char buf[16];

		if (len - 1 >= sizeof(buf) || len == 1)
			return -1;
		memcpy(buf, v, len - 1);
		buf[len - 1] = 0;
		if (num_parse(buf, 100, &n) < 0)
			return -1;
		*ppm = (uint32_t)(n * (FAULT_RATE_ONE / 100));
		return 0;
	}
	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		whole = whole * 10 + (uint64_t)(*p++ - '0');
		if (whole > 1)
			return -1;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			scale /= 10;
			frac += (uint64_t)(*p++ - '0') * scale;
			if (scale == 0 && p[-1] != '0')
				return -1; /* finer than a millionth */
		}
	}
	if (*p)
		return -1;
	n = whole * FAULT_RATE_ONE + frac;
	if (n > FAULT_RATE_ONE)
		return -1;
	*ppm = (uint32_t)n;
	return 0;
}

static int target_parse(const char *t, size_t len, struct fault_spec *out)
{
	size_t i, tl;
	uint64_t inst;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		tl = strlen(types[i]);
		if (len < tl || strncmp(t, types[i], tl))
			continue;
		strcpy(out->type, types[i]);
		out->instance = -1;
		if (len == tl)
			return 0;
		if (len - tl > 3)
			return -1;
		{
			char buf[4] = { 0 };

			memcpy(buf, t + tl, len - tl);
			if (num_parse(buf, 255, &inst) < 0)
				return -1;
		}
		out->instance = (int)inst;
		return 0;
	}
	return -1;
}

static int kind_parse(const char *k, size_t len, enum fault_kind *out)
{
	unsigned int i;

	for (i = 0; i < FAULT_KIND_COUNT; i++)
		if (strlen(kind_names[i]) == len &&
		    !strncmp(k, kind_names[i], len)) {
			*out = (enum fault_kind)i;
			return 0;
		}
	return -1;
}

static int apply_key(struct fault_spec *f, enum key k, const char *v)
{
	uint64_t n, m;
	const char *dash;
	size_t i;

	switch (k) {
	case KEY_OP:
		for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
			if (!strcmp(v, op_names[i])) {
				f->op = (enum fault_op)i;
				return 0;
			}
		return -1;
	case KEY_SECTOR: {
		char lo[24];

		dash = strchr(v, '-');
		if (!dash) {
			if (num_parse(v, UINT64_MAX, &n) < 0)
				return -1;
			f->sector_lo = f->sector_hi = n;
		} else {
			if ((size_t)(dash - v) >= sizeof(lo))
				return -1;
			memcpy(lo, v, (size_t)(dash - v));
			lo[dash - v] = 0;
			if (num_parse(lo, UINT64_MAX, &n) < 0 ||
			    num_parse(dash + 1, UINT64_MAX, &m) < 0 || m < n)
				return -1;
			f->sector_lo = n;
			f->sector_hi = m;
		}
		f->has_sector = true;
		return 0;
	}
	case KEY_RATE:
		return rate_parse(v, &f->rate_ppm);
	case KEY_COUNT:
		return num_parse(v, UINT64_MAX, &f->count);
	case KEY_AFTER:
		return num_parse(v, UINT64_MAX, &f->after);
	case KEY_MS:
		if (num_parse(v, 60000, &n) < 0)
			return -1;
		f->ms = (uint32_t)n;
		return 0;
	case KEY_WINDOW:
		if (num_parse(v, 64, &n) < 0 || n < 2)
			return -1;
		f->window = (uint32_t)n;
		return 0;
	case KEY_HZ:
		if (num_parse(v, 1000, &n) < 0 || n == 0)
			return -1;
		f->hz = (uint32_t)n;
		return 0;
	case KEY_EXTRA:
		if (num_parse(v, UINT32_MAX, &n) < 0 || n == 0)
			return -1;
		f->extra = (uint32_t)n;
		return 0;
	case KEY_SECTORS:
		f->has_sectors = true;
		return num_parse(v, UINT64_MAX / 512, &f->sectors);
	case KEY_AFTER_MS:
		return num_parse(v, 24ull * 3600 * 1000, &f->after_ms);
	case KEY_COUNT_ALL:
		break;
	}
	return -1;
}

/* Which device types a kind can act on. */
static bool kind_fits_type(enum fault_kind k, const char *type)
{
	switch (k) {
	case FAULT_IOERR:
	case FAULT_UNSUPP:
		return !strcmp(type, "blk");
	case FAULT_CONFIG_CHANGE:
		return !strcmp(type, "blk") || !strcmp(type, "net");
	default:
		return true;
	}
}

#define EXPECT "TARGET:KIND[,key=value...]"

int fault_spec_parse(const char *s, struct fault_spec *out, struct err *e)
{
	const char *colon = strchr(s, ':'), *p, *kind_end;
	unsigned int seen = 0;

	*out =
	    (struct fault_spec){ .rate_ppm = FAULT_RATE_ONE, .instance = -1 };
	if (!colon || target_parse(s, (size_t)(colon - s), out) < 0)
		return err_set(e,
			       "--fault '%s': expected " EXPECT
			       " with TARGET blk, net, console or rng "
			       "(optionally with an instance number: blk1)",
			       s);
	kind_end = strchrnul(colon + 1, ',');
	if (kind_parse(colon + 1, (size_t)(kind_end - colon - 1), &out->kind) <
	    0)
		return err_set(e,
			       "--fault '%s': unknown fault kind '%.*s' "
			       "(ioerr, unsupp, delay, reorder, drop-irq, "
			       "spurious-irq, needs-reset, config-change, "
			       "used-len, used-id, short-read)",
			       s, (int)(kind_end - colon - 1), colon + 1);
	if (!kind_fits_type(out->kind, out->type))
		return err_set(e, "--fault '%s': %s does not apply to %s", s,
			       kind_names[out->kind], out->type);
	for (p = *kind_end ? kind_end + 1 : NULL; p;) {
		const char *end = strchrnul(p, ','), *eq;
		char val[64];
		unsigned int k;

		eq = memchr(p, '=', (size_t)(end - p));
		for (k = 0; eq && k < KEY_COUNT_ALL; k++)
			if (strlen(keys[k].name) == (size_t)(eq - p) &&
			    !strncmp(p, keys[k].name, (size_t)(eq - p)))
				break;
		if (!eq || k == KEY_COUNT_ALL ||
		    !(keys[k].kinds & K(out->kind)))
			return err_set(
			    e,
			    "--fault '%s': '%.*s' is not a key=value "
			    "%s takes",
			    s, (int)(end - p), p, kind_names[out->kind]);
		if (seen & (1u << k))
			return err_set(e, "--fault '%s': %s given twice", s,
				       keys[k].name);
		seen |= 1u << k;
		if ((size_t)(end - eq - 1) >= sizeof(val) || end == eq + 1)
			return err_set(e, "--fault '%s': bad value for %s", s,
				       keys[k].name);
		memcpy(val, eq + 1, (size_t)(end - eq - 1));
		val[end - eq - 1] = 0;
		if (apply_key(out, (enum key)k, val) < 0)
			return err_set(e, "--fault '%s': bad value '%s' for %s",
				       s, val, keys[k].name);
		p = *end ? end + 1 : NULL;
	}
	/* Listed back as given (GET /faults); a longer one is cut. */
	snprintf(out->text, sizeof(out->text), "%s", s);
	if (out->kind == FAULT_DELAY && !out->ms)
		return err_set(e, "--fault '%s': delay needs ms=N", s);
	if (out->kind == FAULT_REORDER && !out->window)
		out->window = 4;
	if (out->kind == FAULT_USED_LEN && !out->extra)
		out->extra = 4096;
	if (out->kind == FAULT_SPURIOUS_IRQ && !out->hz)
		out->hz = 10;
	if (out->kind == FAULT_CONFIG_CHANGE) {
		bool blk = !strcmp(out->type, "blk");

		if (out->has_sectors && !blk)
			return err_set(e, "--fault '%s': sectors= is for blk",
				       s);
		if (!out->has_sectors && !out->hz && !(seen & (1u << KEY_RATE)))
			return err_set(e,
				       "--fault '%s': config-change needs "
				       "sectors=N (blk), hz=N (net link "
				       "flaps) or rate=P (generation bumps)",
				       s);
	}
	return 0;
}

bool fault_spec_matches(const struct fault_spec *s, const char *type,
			unsigned int instance)
{
	return !strcmp(s->type, type) &&
	       (s->instance < 0 || (unsigned int)s->instance == instance);
}
