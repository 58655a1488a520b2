// SPDX-License-Identifier: MIT
#include "scenario.h"

static enum result baseline(struct vdev *d, char *facts, unsigned int size)
{
	return dev_works(d, facts, size) ? R_PASS : R_FAIL;
}

const struct scenario transport_scenarios[] = {
	{ "baseline_rng", ON_RNG, baseline },
	{ "baseline_blk", ON_BLK, baseline },
	{ "baseline_console", ON_CONSOLE, baseline },
};
const unsigned int nr_transport_scenarios =
    sizeof(transport_scenarios) / sizeof(transport_scenarios[0]);
