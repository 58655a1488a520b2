// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for --virtio-features: the input is a list of
 * arguments separated by NUL bytes. Each is parsed; the rules that parsed
 * are applied to one device of every type on both kinds of transport.
 * Checks: no crash, errors are one line, the offer never gains a bit
 * other than ring_packed/ring_reset, never ring_packed on mmio-legacy,
 * never ring_reset off virtio-pci.
 */
#include <linux/virtio_config.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/virtio_features.h"

static void fz_check(bool ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "console", "rng", "blk", "net" };
	struct vm_feature_rule rules[8];
	unsigned int nr = 0, i, tr;
	char *buf = malloc(size + 1), *arg, *end;
	struct err e;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	end = buf + size;
	for (arg = buf; arg < end; arg += strlen(arg) + 1)
		if (virtio_features_parse(arg, rules, &nr, 8, &e) < 0)
			fz_check(!strchr(e.msg, '\n'));
	fz_check(nr <= 8);
	for (i = 0; i < 4; i++)
		for (tr = VM_TRANSPORT_PCI; tr <= VM_TRANSPORT_MMIO_LEGACY;
		     tr++) {
			uint64_t dflt =
			    0x30000fffull | 1ull << VIRTIO_F_VERSION_1;
			uint64_t o = 0;

			if (virtio_features_offer(rules, nr, types[i], i & 1,
						  (enum vm_transport)tr, dflt,
						  &o, &e) < 0) {
				fz_check(!strchr(e.msg, '\n'));
				continue;
			}
			fz_check(!(o & ~dflt & ~(1ull << VIRTIO_F_RING_PACKED) &
				   ~(1ull << VIRTIO_F_RING_RESET)));
			fz_check(tr != VM_TRANSPORT_MMIO_LEGACY ||
				 !(o & (1ull << VIRTIO_F_RING_PACKED)));
			fz_check(tr <= VM_TRANSPORT_PCI_TRANSITIONAL ||
				 !(o & (1ull << VIRTIO_F_RING_RESET)));
		}
	free(buf);
	return 0;
}
