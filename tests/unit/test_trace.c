// SPDX-License-Identifier: MIT
/* The JSON Lines trace (util/trace.c) and its summary (cli/trace_summary). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus/virtio_trace.h"
#include "cli/trace_summary.h"
#include "util/trace.h"

/* A file's whole text (shared with test_fault_gate.c). */
char *test_trace_slurp(const char *path);

char *test_trace_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static char tmp_path[64];

static struct trace *open_tmp(size_t ring)
{
	struct trace *t;
	struct err e;
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/vireo-trace-XXXXXX");
	fd = mkstemp(tmp_path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(trace_open(&t, tmp_path, ring, &e), 0, "%s", e.msg);
	return t;
}

Test(trace, fields_are_json_numbers_strings_escaped)
{
	struct trace *t = open_tmp(0);
	struct trace_rec r;
	char *out;

	trace_rec_begin(&r, t, "blk0", "blk_req");
	trace_rec_u64(&r, "sector", 123456789012ull);
	trace_rec_i64(&r, "neg", -5);
	trace_rec_bool(&r, "ok", true);
	trace_rec_hex(&r, "features", 0x130000000ull);
	trace_rec_str(&r, "s", "a\"b\\c\n\x01");
	trace_rec_end(&r);
	trace_close(t);
	out = test_trace_slurp(tmp_path);
	cr_assert(strstr(out, "\"dev\":\"blk0\",\"ev\":\"blk_req\","
			      "\"sector\":123456789012,\"neg\":-5,\"ok\":true,"
			      "\"features\":\"0x130000000\","
			      "\"s\":\"a\\\"b\\\\c\\u000a\\u0001\"}\n"),
		  "%s", out);
	cr_assert(!strncmp(out, "{\"t_us\":", 8), "%s", out);
	cr_assert(strstr(out, "\"ev\":\"end\",\"events\":1,\"dropped\":0}"),
		  "%s", out);
	free(out);
	unlink(tmp_path);
}

Test(trace, an_overlong_record_stays_valid_json)
{
	struct trace *t = open_tmp(0);
	struct trace_rec r;
	char *out, *line_end;
	int i;

	trace_rec_begin(&r, t, "net0", "pop");
	for (i = 0; i < 200; i++)
		trace_rec_u64(&r, "field", 1234567890);
	trace_rec_end(&r);
	trace_close(t);
	out = test_trace_slurp(tmp_path);
	line_end = strchr(out, '\n');
	cr_assert_not_null(line_end);
	cr_assert(!strncmp(line_end - 18, ",\"truncated\":true}", 18), "%.*s",
		  (int)(line_end - out), out);
	cr_assert_leq(line_end - out, TRACE_REC_MAX);
	free(out);
	unlink(tmp_path);
}

Test(trace, a_full_ring_drops_counts_and_says_so)
{
	/* 4 KiB ring, writer starved by the burst: most of it drops. */
	struct trace *t = open_tmp(4096);
	char line[100];
	unsigned int i, ok = 0;
	char *out;

	memset(line, 'x', sizeof(line));
	for (i = 0; i < 10000; i++)
		ok += trace_emit(t, line, sizeof(line));
	cr_assert_gt(trace_dropped(t), 0);
	cr_assert_eq(trace_dropped(t) + ok, 10000);
	trace_close(t);
	out = test_trace_slurp(tmp_path);
	cr_assert(strstr(out, "\"ev\":\"dropped\",\"n\":"), "no drop record");
	cr_assert(strstr(out, "\"ev\":\"end\""));
	free(out);
	unlink(tmp_path);
}

Test(trace, throughput_events_per_second)
{
	struct trace *t = open_tmp(0);
	struct virtio_hooks h = { .trace = t, .dev = "blk0" };
	struct timespec a, b;
	unsigned int i, n = 200000;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		virtio_trace_used(&h, 0, (uint16_t)(i & 255), 4097);
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	cr_log_info("trace: %.0f events/s (%u events, %llu dropped)", n / s, n,
		    (unsigned long long)trace_dropped(t));
	cr_assert_eq(trace_emitted(t) + trace_dropped(t), n);
	trace_close(t);
	unlink(tmp_path);
}

Test(trace, summary_counts_latency_irqs_faults)
{
	static const char in[] =
	    "{\"t_us\":10,\"dev\":\"blk0\",\"ev\":\"pop\",\"q\":0,\"head\":3,"
	    "\"out\":1,\"in\":2,\"out_bytes\":16,\"in_bytes\":4097,"
	    "\"desc\":[{\"addr\":1,\"len\":16,\"flags\":0}]}\n"
	    "{\"t_us\":11,\"dev\":\"blk0\",\"ev\":\"blk_req\",\"q\":0,"
	    "\"head\":3,\"type\":\"read\",\"sector\":8,\"bytes\":4096}\n"
	    "{\"t_us\":12,\"dev\":\"blk0\",\"ev\":\"fault\",\"kind\":"
	    "\"ioerr\",\"q\":0}\n"
	    "{\"t_us\":110,\"dev\":\"blk0\",\"ev\":\"used\",\"q\":0,"
	    "\"head\":3,\"len\":1}\n"
	    "{\"t_us\":111,\"dev\":\"blk0\",\"ev\":\"irq\",\"q\":0,"
	    "\"vector\":1}\n"
	    "{\"t_us\":200,\"dev\":\"trace\",\"ev\":\"dropped\",\"n\":7,"
	    "\"total\":7}\n"
	    "garbage\n";
	FILE *f = fmemopen((void *)in, sizeof(in) - 1, "r");
	char out[4096] = "";
	FILE *o = fmemopen(out, sizeof(out), "w");

	cr_assert_eq(trace_summary(f, o), 0);
	fclose(o);
	fclose(f);
	cr_assert(strstr(out, "7 events, 7 dropped, 1 unreadable"), "%s", out);
	cr_assert(strstr(out, "q0: 1 requests, 1 used, 4113 bytes"), "%s", out);
	cr_assert(strstr(out, "1 irqs (1.00/request)"), "%s", out);
	cr_assert(strstr(out, "read"), "%s", out);
	cr_assert(strstr(out, "p50 100 p90 100 p99 100 max 100"), "%s", out);
	cr_assert(strstr(out, "fault ioerr"), "%s", out);
}
