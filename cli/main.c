// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/trace_summary.h"
#include "util/log.h"
#include "vmm/machine.h"

#ifndef VIREO_VERSION
#define VIREO_VERSION "0.1.0"
#endif

int main(int argc, char **argv)
{
	enum cli_action action = CLI_RUN;
	struct vm_config cfg;
	struct machine m;
	struct err e;
	int status;

	if (argc >= 2 && !strcmp(argv[1], "trace-summary"))
		return trace_summary_main(argc - 2, argv + 2);
	if (cli_parse(argc, argv, &cfg, &action, &e) < 0) {
		fprintf(stderr, "vireo: %s\n", e.msg);
		return VIREO_EXIT_USAGE;
	}
	if (action == CLI_HELP) {
		cli_print_help(stdout);
		return 0;
	}
	if (action == CLI_VERSION) {
		printf("vireo %s\n", VIREO_VERSION);
		return 0;
	}
	log_set_verbose(cfg.verbose);
	if (cli_validate(&cfg, &e) < 0) {
		fprintf(stderr, "vireo: %s\n", e.msg);
		return VIREO_EXIT_USAGE;
	}
	if (machine_create(&m, &cfg, &e) < 0) {
		machine_destroy(&m);
		fprintf(stderr, "vireo: %s\n", e.msg);
		return VIREO_EXIT_USAGE;
	}
	if (cfg.dump_dtb_path) { /* written by machine_create */
		machine_destroy(&m);
		return 0;
	}
	status = machine_run(&m);
	machine_destroy(&m);
	return status;
}
