// SPDX-License-Identifier: MIT
#include "vmm/stats.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t stats_ns(clockid_t c)
{
	struct timespec ts;

	if (clock_gettime(c, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct stats_clock stats_clock_now(void)
{
	return (struct stats_clock){
		.wall_ns = stats_ns(CLOCK_MONOTONIC),
		.cpu_ns = stats_ns(CLOCK_PROCESS_CPUTIME_ID),
	};
}

void stats_start(struct vmm_stats *s)
{
	s->created = stats_clock_now();
	atomic_store(&s->ran, 0);
}

void stats_first_run(struct vmm_stats *s)
{
	struct stats_clock now = stats_clock_now();

	/* Written before ran is published; read only after it is seen. */
	if (atomic_load(&s->ran))
		return;
	s->first_run = now;
	atomic_store(&s->ran, 1);
}

uint64_t stats_start_wall_ns(const struct vmm_stats *s)
{
	if (!atomic_load((atomic_int *)&s->ran))
		return 0;
	return s->first_run.wall_ns - s->created.wall_ns + s->created.cpu_ns;
}

uint64_t stats_start_cpu_ns(const struct vmm_stats *s)
{
	if (!atomic_load((atomic_int *)&s->ran))
		return 0;
	return s->first_run.cpu_ns;
}

/* Resident pages of [p, p + size), a page-aligned mapping, by mincore. */
static int stats_resident_mincore(const uint8_t *p, uint64_t size,
				  uint64_t page, uint64_t *out)
{
	unsigned char vec[4096];
	uint64_t off, n = 0;

	for (off = 0; off < size; off += sizeof(vec) * page) {
		uint64_t len = size - off < sizeof(vec) * page
				   ? size - off
				   : sizeof(vec) * page;
		uint64_t i, pages = (len + page - 1) / page;

		if (mincore((void *)(p + off), len, vec) < 0)
			return -1;
		for (i = 0; i < pages; i++)
			n += vec[i] & 1;
	}
	*out = n * page;
	return 0;
}

/*
 * Pages of [p, p + size) mapped in this process (its share of RSS), by
 * /proc/self/pagemap's present bit. mincore reports a file's page as
 * resident when the page cache holds it, so a kernel mapped by
 * --map-images would count whole before the guest touched a page of it;
 * it is the fallback where pagemap cannot be opened (after --uid, the
 * process is not dumpable and its /proc files belong to root).
 */
static int stats_resident(const uint8_t *p, uint64_t size, uint64_t page,
			  uint64_t *out)
{
	uint64_t ent[512], i = 0, n = 0, pages = size / page;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return stats_resident_mincore(p, size, page, out);
	if (lseek(fd, (off_t)((uintptr_t)p / page * sizeof(ent[0])), SEEK_SET) <
	    0) {
		close(fd);
		return -1;
	}
	while (i < pages) {
		uint64_t want = pages - i < 512 ? pages - i : 512, j;
		ssize_t got = read(fd, ent, want * sizeof(ent[0]));

		if (got != (ssize_t)(want * sizeof(ent[0]))) {
			close(fd);
			return -1;
		}
		for (j = 0; j < want; j++)
			n += ent[j] >> 63;
		i += want;
	}
	close(fd);
	*out = n * page;
	return 0;
}

int stats_mem_beyond_ram(const void *ram, uint64_t size, uint64_t *beyond,
			 uint64_t *ram_resident)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	unsigned long long vsz, rss;
	uint64_t in_ram = 0;
	FILE *f;
	int n;

	f = fopen("/proc/self/statm", "re");
	if (!f)
		return -1;
	n = fscanf(f, "%llu %llu", &vsz, &rss);
	fclose(f);
	if (n != 2)
		return -1;
	if (ram && size && stats_resident(ram, size, page, &in_ram) < 0)
		return -1;
	rss *= page;
	*beyond = rss > in_ram ? rss - in_ram : 0;
	*ram_resident = in_ram;
	return 0;
}

int stats_format(const struct vmm_stats *s, const void *ram, uint64_t size,
		 char *buf, size_t len)
{
	uint64_t beyond = 0, in_ram = 0;
	int mem_ok = stats_mem_beyond_ram(ram, size, &beyond, &in_ram) == 0;

	if (!atomic_load((atomic_int *)&s->ran))
		return snprintf(buf, len,
				"stats: start: no KVM_RUN yet; memory: "
				"beyond guest RAM %llu KiB",
				(unsigned long long)(beyond >> 10));
	if (!mem_ok)
		return snprintf(buf, len,
				"stats: start: exec to first KVM_RUN "
				"wall=%.2f ms cpu=%.2f ms; memory: unknown",
				stats_start_wall_ns(s) / 1e6,
				stats_start_cpu_ns(s) / 1e6);
	return snprintf(buf, len,
			"stats: start: exec to first KVM_RUN wall=%.2f ms "
			"cpu=%.2f ms; memory: beyond guest RAM %llu KiB, "
			"guest RAM resident %llu KiB",
			stats_start_wall_ns(s) / 1e6,
			stats_start_cpu_ns(s) / 1e6,
			(unsigned long long)(beyond >> 10),
			(unsigned long long)(in_ram >> 10));
}
