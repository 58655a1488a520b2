// SPDX-License-Identifier: MIT
/*
 * The load step of vireo's start, without KVM: maps guest RAM as vireo does
 * (guest_ram_create) and loads the kernel and initrd into it
 * (kernel_boot_load), N times, each into fresh RAM. Its wall and CPU time
 * is most of exec-to-first-KVM_RUN, and unlike that figure it can be
 * measured on a host without /dev/kvm, where the start itself only runs in
 * the TCG test host (whose emulated copies hide a page-fault saving).
 *   loadbench KERNEL [INITRD] [--memory MIB] [--runs N]
 *             [--map-images|--copy-images] [--label L]
 * Prints "load|L|map|..." or "load|L|copy|..." (how the kernel was loaded:
 * by default, mapped where the file cannot change) with the min and median
 * of each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "vmm/machine.h"

static double ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static double ms_cpu(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 +
	       (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* *mapped: the kernel's pages were mapped, not copied. */
static int load_once(const struct vm_config *cfg, double *wall, double *cpu,
		     bool *mapped)
{
	struct machine m;
	struct err e = { 0 };
	double w0 = ms_now(), c0 = ms_cpu();
	int rc;

	memset(&m, 0, sizeof(m));
	m.cfg = cfg;
	m.kernel.mapped.fd = m.initrd_mapped.fd = -1;
	pthread_mutex_init(&m.run_lock, NULL);
	rc = guest_ram_create(&m, &e) < 0 || kernel_boot_load(&m, &e) < 0 ||
	     mapped_images_lease(&m, &e) < 0;
	*wall = ms_now() - w0;
	*cpu = ms_cpu() - c0;
	*mapped = m.kernel.mapped.why != NULL;
	mapped_images_close(&m);
	guest_ram_destroy(&m);
	pthread_mutex_destroy(&m.run_lock);
	if (rc)
		fprintf(stderr, "loadbench: %s\n", e.msg);
	return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct vm_config cfg = { .mem_size = 64ULL << 20 };
	const char *label = "vireo";
	double *wall, *cpu;
	bool mapped = false;
	int runs = 20, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--memory") && i + 1 < argc)
			cfg.mem_size = strtoull(argv[++i], NULL, 0) << 20;
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--label") && i + 1 < argc)
			label = argv[++i];
		else if (!strcmp(argv[i], "--map-images"))
			cfg.map_images = IMAGE_MAP_ALWAYS;
		else if (!strcmp(argv[i], "--copy-images"))
			cfg.map_images = IMAGE_MAP_NEVER;
		else if (!cfg.kernel_path)
			cfg.kernel_path = argv[i];
		else if (!cfg.initrd_path)
			cfg.initrd_path = argv[i];
		else
			break;
	}
	if (i < argc || !cfg.kernel_path || runs < 1 || runs > 10000) {
		fprintf(
		    stderr,
		    "usage: loadbench KERNEL [INITRD] [--memory MIB] "
		    "[--runs N] [--map-images|--copy-images] [--label L]\n");
		return 2;
	}
	wall = calloc((size_t)runs, sizeof(*wall));
	cpu = calloc((size_t)runs, sizeof(*cpu));
	if (!wall || !cpu)
		return 1;
	for (i = 0; i < runs; i++)
		if (load_once(&cfg, &wall[i], &cpu[i], &mapped) < 0)
			return 1;
	qsort(wall, (size_t)runs, sizeof(*wall), cmp_double);
	qsort(cpu, (size_t)runs, sizeof(*cpu), cmp_double);
	printf("load|%s|%s|runs=%d|wall_ms min=%.2f median=%.2f|"
	       "cpu_ms min=%.2f median=%.2f\n",
	       label, mapped ? "map" : "copy", runs, wall[0], wall[runs / 2],
	       cpu[0], cpu[runs / 2]);
	free(wall);
	free(cpu);
	return 0;
}
