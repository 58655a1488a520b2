// SPDX-License-Identifier: MIT
#include "scenario.h"

enum result factf(char *facts, unsigned int size, enum result r, const char *f,
		  ...)
{
	va_list ap;

	va_start(ap, f);
	vfmt(facts, size, f, ap);
	va_end(ap);
	return r;
}

bool bring_up(struct vdev *d, unsigned int nq)
{
	if (!nq)
		nq = d->type == VIRTIO_ID_CONSOLE || d->type == VIRTIO_ID_NET
			 ? 2
			 : 1;
	return v_init(d, base_features(d), nq);
}

/*
 * A bad chain may be completed (with any length the device chooses, checked
 * by the caller), refused with NEEDS_RESET, or ignored: all are defined. The
 * string names which, for the facts.
 */
const char *outcome(struct vdev *d, struct vq *vq, u64 ms, u32 *len)
{
	u64 dl = deadline_ms(ms);

	*len = 0;
	while (!expired(dl)) {
		if (vq_used_idx(vq) != vq->last_used) {
			vq_wait(vq, 0, NULL, len);
			return "completed";
		}
		if (NEEDS_RESET(d))
			return "needs-reset";
		delay_us(200);
	}
	return "ignored";
}
