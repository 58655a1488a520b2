// SPDX-License-Identifier: MIT
#include "scenario.h"

const struct scenario device_scenarios[] = {
	{ "x", 0, 0 },
};
const unsigned int nr_device_scenarios = 0;
