// SPDX-License-Identifier: MIT
#include "scenario.h"

const struct scenario ring_scenarios[] = {
	{ "x", 0, 0 },
};
const unsigned int nr_ring_scenarios = 0;
