// SPDX-License-Identifier: MIT
#include "bus/mmio/mmio_space.h"

#include <string.h>

void mmio_space_init(struct mmio_space *s, uint64_t start, uint64_t end,
		     uint32_t gsi_first, uint32_t gsi_end)
{
	memset(s, 0, sizeof(*s));
	s->next = start;
	s->end = end;
	s->next_gsi = gsi_first;
	s->gsi_end = gsi_end;
}

int mmio_space_alloc(struct mmio_space *s, uint64_t size, uint64_t align,
		     const char *owner, uint64_t *base, struct err *e)
{
	uint64_t a;

	if (!size || !align || (align & (align - 1)))
		return err_set(e, "%s: bad MMIO size %#llx or alignment %#llx",
			       owner, (unsigned long long)size,
			       (unsigned long long)align);
	a = (s->next + align - 1) & ~(align - 1);
	if (a < s->next || a + size < a || a + size > s->end)
		return err_set(e, "%s: no room for %#llx bytes of MMIO space",
			       owner, (unsigned long long)size);
	if (s->nr == MMIO_SPACE_MAX_RANGES)
		return err_set(e, "%s: too many MMIO ranges", owner);
	s->ranges[s->nr++] = (struct mmio_space_range){
		.base = a,
		.size = size,
		.owner = owner,
	};
	s->next = a + size;
	*base = a;
	return 0;
}

int mmio_space_alloc_gsi(struct mmio_space *s, const char *owner, uint32_t *gsi,
			 struct err *e)
{
	if (s->next_gsi >= s->gsi_end)
		return err_set(e, "%s: no free interrupt pin (%u in use)",
			       owner, s->gsi_end);
	*gsi = s->next_gsi++;
	return 0;
}
