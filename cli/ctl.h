/* SPDX-License-Identifier: MIT */
#ifndef VIREO_CLI_CTL_H
#define VIREO_CLI_CTL_H

/*
 * `vireo ctl --api PATH COMMAND`: the control API without curl. argv[0]
 * is "ctl". Returns the exit status: 0 the VM did it, 1 it refused or
 * could not be reached (one line on err), 2 bad usage.
 */

#include <stdio.h>

int ctl_main(int argc, char **argv, FILE *out, FILE *err);

#endif
