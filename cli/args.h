/* SPDX-License-Identifier: MIT */
#ifndef VIREO_CLI_ARGS_H
#define VIREO_CLI_ARGS_H

#include <stdio.h>

#include "util/err.h"
#include "vmm/config.h"

enum cli_action {
	CLI_RUN,
	CLI_HELP,
	CLI_VERSION,
	CLI_PRINT_CONFIG, /* run --print-config: print cfg as JSON, exit */
};

/*
 * Parses argv (argv[0] is the program) into cfg. Pure syntax and range
 * checks only: files and the host are checked by cli_validate().
 */
int cli_parse(int argc, char **argv, struct vm_config *cfg,
	      enum cli_action *action, struct err *e);

/*
 * Applies one `vireo run` option by name ("--cpus", "2"; NULL value for a
 * flag), with the command line's checks and messages: the config file
 * fills cfg through here, so both share one parser.
 */
int cli_apply(struct vm_config *cfg, const char *name, const char *value,
	      struct err *e);

/* Files readable, memory within what the host has. */
int cli_validate(const struct vm_config *cfg, struct err *e);

void cli_print_help(FILE *out);

#endif
