// SPDX-License-Identifier: MIT
#include "scenario.h"

const struct scenario transport_scenarios[] = {
	{ "x", 0, 0 },
};
const unsigned int nr_transport_scenarios = 0;
