/* SPDX-License-Identifier: MIT */
#ifndef VIREO_CLI_TRACE_SUMMARY_H
#define VIREO_CLI_TRACE_SUMMARY_H

#include <stdio.h>

/*
 * `vireo trace-summary PATH`: per device and queue, requests by type,
 * bytes, pop-to-used latency percentiles, interrupts per request, faults.
 * Reads the JSON Lines --trace wrote (only the flat fields it needs).
 */
int trace_summary(FILE *in, FILE *out);
int trace_summary_main(int argc, char **argv);

#endif
