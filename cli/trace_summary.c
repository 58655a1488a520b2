// SPDX-License-Identifier: MIT
#include "cli/trace_summary.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SUM_DEVS 32
#define SUM_QUEUES 16
#define SUM_HEADS 1024
#define SUM_TYPES 8
#define SUM_KINDS 12

struct named_count {
	char name[24];
	uint64_t n, bytes;
};

struct sum_queue {
	bool seen;
	uint64_t pops, used, irqs, suppressed, kicks, bytes;
	uint64_t *pop_t; /* per head: t_us + 1 of its pop, 0 none */
	uint64_t *lat;
	size_t nr_lat, cap_lat;
	struct named_count types[SUM_TYPES];
};

struct sum_dev {
	char name[16];
	struct sum_queue q[SUM_QUEUES];
	struct named_count faults[SUM_KINDS];
	uint64_t config_irqs, resets, needs_reset, config_reads;
};

struct summary {
	struct sum_dev devs[SUM_DEVS];
	unsigned int nr_devs;
	uint64_t lines, bad_lines, dropped;
};

/* The value after "key": in a flat record, as text; NULL if absent. */
static const char *field(const char *line, const char *key)
{
	char pat[40];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	return p ? p + strlen(pat) : NULL;
}

static bool field_u64(const char *line, const char *key, uint64_t *v)
{
	const char *p = field(line, key);
	char *end;

	if (!p || *p < '0' || *p > '9')
		return false;
	errno = 0;
	*v = strtoull(p, &end, 10);
	return !errno && end != p;
}

static bool field_str(const char *line, const char *key, char *buf, size_t size)
{
	const char *p = field(line, key), *end;

	if (!p || *p != '"')
		return false;
	end = strchr(p + 1, '"');
	if (!end || (size_t)(end - p - 1) >= size)
		return false;
	memcpy(buf, p + 1, (size_t)(end - p - 1));
	buf[end - p - 1] = 0;
	return true;
}

static struct named_count *count_of(struct named_count *a, unsigned int n,
				    const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!a[i].name[0])
			snprintf(a[i].name, sizeof(a[i].name), "%s", name);
		if (!strcmp(a[i].name, name))
			return &a[i];
	}
	return &a[n - 1]; /* the last slot takes the rest */
}

static struct sum_dev *dev_of(struct summary *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->nr_devs; i++)
		if (!strcmp(s->devs[i].name, name))
			return &s->devs[i];
	if (s->nr_devs == SUM_DEVS)
		return NULL;
	snprintf(s->devs[s->nr_devs].name, sizeof(s->devs[0].name), "%s", name);
	return &s->devs[s->nr_devs++];
}

static void add_latency(struct sum_queue *sq, uint64_t v)
{
	if (sq->nr_lat == sq->cap_lat) {
		size_t cap = sq->cap_lat ? sq->cap_lat * 2 : 1024;
		uint64_t *n = realloc(sq->lat, cap * sizeof(*n));

		if (!n)
			return;
		sq->lat = n;
		sq->cap_lat = cap;
	}
	sq->lat[sq->nr_lat++] = v;
}

static void on_queue_event(struct sum_dev *d, const char *ev, const char *line,
			   uint64_t t)
{
	uint64_t q, head = SUM_HEADS, v;
	struct sum_queue *sq;
	char type[24];

	if (!field_u64(line, "q", &q) || q >= SUM_QUEUES)
		return;
	sq = &d->q[q];
	sq->seen = true;
	field_u64(line, "head", &head);
	if (!strcmp(ev, "pop")) {
		sq->pops++;
		if (!sq->pop_t)
			sq->pop_t = calloc(SUM_HEADS, sizeof(*sq->pop_t));
		if (sq->pop_t && head < SUM_HEADS)
			sq->pop_t[head] = t + 1;
		if (field_u64(line, "out_bytes", &v))
			sq->bytes += v;
		if (field_u64(line, "in_bytes", &v))
			sq->bytes += v;
	} else if (!strcmp(ev, "used")) {
		sq->used++;
		if (sq->pop_t && head < SUM_HEADS && sq->pop_t[head]) {
			add_latency(sq, t - (sq->pop_t[head] - 1));
			sq->pop_t[head] = 0;
		}
	} else if (!strcmp(ev, "irq")) {
		sq->irqs++;
	} else if (!strcmp(ev, "irq_suppressed")) {
		sq->suppressed++;
	} else if (!strcmp(ev, "kick")) {
		sq->kicks++;
	} else if (!strcmp(ev, "blk_req") || !strcmp(ev, "net_tx") ||
		   !strcmp(ev, "net_rx") || !strcmp(ev, "console_tx") ||
		   !strcmp(ev, "console_rx") || !strcmp(ev, "rng")) {
		struct named_count *c;

		if (!field_str(line, "type", type, sizeof(type)))
			snprintf(type, sizeof(type), "%s", ev);
		c = count_of(sq->types, SUM_TYPES, type);
		c->n++;
		if (field_u64(line, "bytes", &v))
			c->bytes += v;
	}
}

static void summary_line(struct summary *s, const char *line)
{
	char dev[16], ev[24], kind[24];
	struct sum_dev *d;
	uint64_t t = 0, v;

	s->lines++;
	if (!field_str(line, "dev", dev, sizeof(dev)) ||
	    !field_str(line, "ev", ev, sizeof(ev))) {
		s->bad_lines++;
		return;
	}
	field_u64(line, "t_us", &t);
	if (!strcmp(dev, "trace")) {
		if (!strcmp(ev, "dropped") && field_u64(line, "n", &v))
			s->dropped += v;
		return;
	}
	d = dev_of(s, dev);
	if (!d)
		return;
	if (!strcmp(ev, "fault")) {
		if (field_str(line, "kind", kind, sizeof(kind)))
			count_of(d->faults, SUM_KINDS, kind)->n++;
	} else if (!strcmp(ev, "config_irq")) {
		d->config_irqs++;
	} else if (!strcmp(ev, "reset")) {
		d->resets++;
	} else if (!strcmp(ev, "needs_reset")) {
		d->needs_reset++;
	} else if (!strcmp(ev, "config_read")) {
		d->config_reads++;
	} else {
		on_queue_event(d, ev, line, t);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const struct sum_queue *sq, unsigned int p)
{
	size_t i = (sq->nr_lat * p + 99) / 100;

	return sq->lat[i ? i - 1 : 0];
}

static void print_queue(FILE *out, unsigned int qi, struct sum_queue *sq)
{
	unsigned int i;

	fprintf(out,
		"  q%u: %llu requests, %llu used, %llu bytes, %llu kicks, "
		"%llu irqs (%.2f/request), %llu suppressed\n",
		qi, (unsigned long long)sq->pops, (unsigned long long)sq->used,
		(unsigned long long)sq->bytes, (unsigned long long)sq->kicks,
		(unsigned long long)sq->irqs,
		sq->used ? (double)sq->irqs / (double)sq->used : 0.0,
		(unsigned long long)sq->suppressed);
	for (i = 0; i < SUM_TYPES && sq->types[i].name[0]; i++)
		fprintf(out, "    %-14s %8llu requests %12llu bytes\n",
			sq->types[i].name, (unsigned long long)sq->types[i].n,
			(unsigned long long)sq->types[i].bytes);
	if (sq->nr_lat) {
		qsort(sq->lat, sq->nr_lat, sizeof(*sq->lat), cmp_u64);
		fprintf(out,
			"    latency pop->used us: p50 %llu p90 %llu p99 %llu "
			"max %llu\n",
			(unsigned long long)pct(sq, 50),
			(unsigned long long)pct(sq, 90),
			(unsigned long long)pct(sq, 99),
			(unsigned long long)sq->lat[sq->nr_lat - 1]);
	}
}

int trace_summary(FILE *in, FILE *out)
{
	struct summary *s = calloc(1, sizeof(*s));
	char *line = NULL;
	size_t cap = 0;
	unsigned int i, q, k;

	if (!s)
		return -1;
	while (getline(&line, &cap, in) > 0)
		summary_line(s, line);
	free(line);
	fprintf(out, "%llu events, %llu dropped, %llu unreadable\n",
		(unsigned long long)s->lines, (unsigned long long)s->dropped,
		(unsigned long long)s->bad_lines);
	for (i = 0; i < s->nr_devs; i++) {
		struct sum_dev *d = &s->devs[i];

		fprintf(out,
			"%s: %llu config reads, %llu config irqs, %llu resets, "
			"%llu needs-reset\n",
			d->name, (unsigned long long)d->config_reads,
			(unsigned long long)d->config_irqs,
			(unsigned long long)d->resets,
			(unsigned long long)d->needs_reset);
		for (q = 0; q < SUM_QUEUES; q++)
			if (d->q[q].seen)
				print_queue(out, q, &d->q[q]);
		for (k = 0; k < SUM_KINDS && d->faults[k].name[0]; k++)
			fprintf(out, "  fault %-14s %llu\n", d->faults[k].name,
				(unsigned long long)d->faults[k].n);
		for (q = 0; q < SUM_QUEUES; q++) {
			free(d->q[q].pop_t);
			free(d->q[q].lat);
		}
	}
	free(s);
	return 0;
}

int trace_summary_main(int argc, char **argv)
{
	FILE *in;
	int r;

	if (argc != 1) {
		fprintf(stderr, "usage: vireo trace-summary PATH\n");
		return 2;
	}
	in = fopen(argv[0], "r");
	if (!in) {
		fprintf(stderr, "vireo: trace-summary: %s: %s\n", argv[0],
			strerror(errno));
		return 2;
	}
	r = trace_summary(in, stdout);
	fclose(in);
	return r < 0 ? 1 : 0;
}
