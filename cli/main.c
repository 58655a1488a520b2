// SPDX-License-Identifier: MIT
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/trace_summary.h"
#include "cli/config_file.h"
#include "cli/ctl.h"
#include "util/log.h"
#include "vmm/config_json.h"
#include "vmm/machine.h"
#include "vmm/sandbox/sandbox.h"

#ifndef VIREO_VERSION
#define VIREO_VERSION "0.1.0"
#endif

static int print_config(const struct vm_config *cfg)
{
	json_t *j = vm_config_to_json(cfg);
	int ret = j ? json_dumpf(j, stdout, JSON_INDENT(2)) : -1;

	json_decref(j);
	putchar('\n');
	return ret < 0 ? VIREO_EXIT_ERROR : 0;
}

static int run(int argc, char **argv, struct vm_config *cfg)
{
	enum cli_action action = CLI_RUN;
	struct machine m;
	struct err e;
	int status;

	if (argc >= 2 && !strcmp(argv[1], "trace-summary"))
		return trace_summary_main(argc - 2, argv + 2);
	if (cli_parse(argc, argv, cfg, &action, &e) < 0) {
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
	if (action == CLI_PRINT_CONFIG)
		return print_config(cfg);
	log_set_verbose(cfg->verbose);
	if (cli_validate(cfg, &e) < 0) {
		fprintf(stderr, "vireo: %s\n", e.msg);
		return VIREO_EXIT_USAGE;
	}
	/* With --jail this forks; the parent exits there with the child's
	 * status. */
	if (sandbox_begin(cfg, &e) < 0) {
		fprintf(stderr, "vireo: %s\n", e.msg);
		return VIREO_EXIT_USAGE;
	}
	if (machine_create(&m, cfg, &e) < 0 || sandbox_lockdown(&m, &e) < 0) {
		machine_destroy(&m);
		fprintf(stderr, "vireo: %s\n", e.msg);
		return VIREO_EXIT_USAGE;
	}
	if (cfg->dump_dtb_path) { /* written by machine_create */
		machine_destroy(&m);
		return 0;
	}
	status = machine_run(&m);
	machine_destroy(&m);
	return status;
}

int main(int argc, char **argv)
{
	struct vm_config cfg = { 0 };
	int status;

	if (argc >= 2 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc - 1, argv + 1, stdout, stderr);
	status = run(argc, argv, &cfg);
	config_file_free(&cfg);
	return status;
}
