// SPDX-License-Identifier: MIT
/* vmm/stats: the start clock and memory beyond guest RAM behind --stats. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/stats.h"

#define STT_RAM (8u << 20)

Test(boot_stats, start_is_zero_until_the_first_run_then_fixed)
{
	struct vmm_stats s;
	uint64_t wall, cpu;
	volatile unsigned long spin = 0;
	char line[256];

	memset(&s, 0, sizeof(s));
	stats_start(&s);
	cr_assert_eq(stats_start_wall_ns(&s), 0);
	cr_assert_eq(stats_start_cpu_ns(&s), 0);
	stats_format(&s, NULL, 0, line, sizeof(line));
	cr_assert(strstr(line, "no KVM_RUN yet"), "%s", line);
	while (spin < 1000000)
		spin++;
	stats_first_run(&s);
	wall = stats_start_wall_ns(&s);
	cpu = stats_start_cpu_ns(&s);
	cr_assert_gt(wall, 0);
	cr_assert_gt(cpu, 0);
	/* Only the first vCPU's first run counts. */
	while (spin < 2000000)
		spin++;
	stats_first_run(&s);
	cr_assert_eq(stats_start_wall_ns(&s), wall);
	cr_assert_eq(stats_start_cpu_ns(&s), cpu);
	stats_format(&s, NULL, 0, line, sizeof(line));
	cr_assert(strstr(line, "exec to first KVM_RUN wall="), "%s", line);
	cr_assert_null(strchr(line, '\n'));
}

Test(boot_stats, guest_ram_pages_are_not_counted_as_vmm_memory)
{
	uint64_t beyond0, ram0, beyond1, ram1;
	uint8_t *ram = mmap(NULL, STT_RAM, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	cr_assert_neq(ram, MAP_FAILED);
	cr_assert_eq(stats_mem_beyond_ram(ram, STT_RAM, &beyond0, &ram0), 0);
	cr_assert_eq(ram0, 0);
	memset(ram + (1u << 20), 1, 3u << 20);
	cr_assert_eq(stats_mem_beyond_ram(ram, STT_RAM, &beyond1, &ram1), 0);
	cr_assert_eq(ram1, 3u << 20);
	/* 3 MiB more resident, none of it beyond guest RAM (allow noise). */
	cr_assert_lt(beyond1, beyond0 + (512u << 10), "%llu -> %llu",
		     (unsigned long long)beyond0, (unsigned long long)beyond1);
	munmap(ram, STT_RAM);
}

/*
 * A file mapped into guest RAM (--map-images) counts only as far as this
 * process maps it, though the page cache holds all of it.
 */
Test(boot_stats, mapped_file_pages_count_once_touched)
{
	char path[] = "/tmp/vireo-stats-XXXXXX";
	static uint8_t page[4096];
	uint64_t beyond, in_ram;
	volatile uint8_t sink;
	uint8_t *ram = mmap(NULL, STT_RAM, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int fd = mkstemp(path), i;

	cr_assert_neq(ram, MAP_FAILED);
	cr_assert_geq(fd, 0);
	unlink(path);
	memset(page, 0x42, sizeof(page));
	for (i = 0; i < 16; i++)
		cr_assert_eq(write(fd, page, sizeof(page)), sizeof(page));
	cr_assert_eq(fsync(fd), 0); /* in the page cache, whole */
	cr_assert_neq(mmap(ram + (1u << 20), 16 * 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_FIXED, fd, 0),
		      MAP_FAILED);
	cr_assert_eq(stats_mem_beyond_ram(ram, STT_RAM, &beyond, &in_ram), 0);
	cr_assert_eq(in_ram, 0);
	sink = ram[(1u << 20) + 4096];
	(void)sink;
	ram[(1u << 20) + 3 * 4096] = 1; /* copied on write */
	cr_assert_eq(stats_mem_beyond_ram(ram, STT_RAM, &beyond, &in_ram), 0);
	/* The read may map its neighbours too (the kernel's fault-around). */
	cr_assert(in_ram >= 2 * 4096 && in_ram <= 16 * 4096, "%llu",
		  (unsigned long long)in_ram);
	munmap(ram, STT_RAM);
	close(fd);
}
