/* SPDX-License-Identifier: MIT */
#ifndef VIREO_CLI_CONFIG_FILE_H
#define VIREO_CLI_CONFIG_FILE_H

/*
 * `vireo run --config FILE`: a JSON document in the schema of
 * vmm/config_json.h, applied to cfg through the command line's own option
 * parsers (cli_apply), so a value means the same in both places and fails
 * with the same message. An unknown key or a wrong type is an error.
 */

#include "util/err.h"
#include "vmm/config.h"

/* Fills cfg (already defaulted) from the file at path. */
int config_file_load(const char *path, struct vm_config *cfg, struct err *e);
/* From text, for tests and the fuzzer; what names it in messages. */
int config_file_parse(const char *text, size_t len, const char *what,
		      struct vm_config *cfg, struct err *e);
/* Releases what config_file_load() kept for cfg's strings. */
void config_file_free(struct vm_config *cfg);

#endif
