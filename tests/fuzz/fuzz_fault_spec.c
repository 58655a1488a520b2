// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the --fault parser: the input is the argument
 * text. A spec it accepts must satisfy the invariants the decision engine
 * relies on (rate within one, ranges ordered, a kind that fits its
 * target) and must parse again to the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/fault_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[512];
	struct fault_spec a, b;
	struct err e;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (fault_spec_parse(text, &a, &e) < 0) {
		if (!e.msg[0] || strchr(e.msg, '\n'))
			abort(); /* one line, always */
		return 0;
	}
	if (a.rate_ppm > FAULT_RATE_ONE || a.kind >= FAULT_KIND_COUNT ||
	    (a.has_sector && a.sector_hi < a.sector_lo) ||
	    (a.kind == FAULT_DELAY && !a.ms) ||
	    (a.kind == FAULT_REORDER && (a.window < 2 || a.window > 64)) ||
	    a.instance > 255 || !a.type[0])
		abort();
	if (fault_spec_parse(text, &b, &e) < 0 || memcmp(&a, &b, sizeof(a)))
		abort();
	return 0;
}
