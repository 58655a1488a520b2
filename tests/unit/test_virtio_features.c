// SPDX-License-Identifier: MIT
/* --virtio-features: the parser and the per-device offer (vmm/). */
#include <criterion/criterion.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "vmm/virtio_features.h"

#define B(bit) (1ull << (bit))

static struct vm_feature_rule rules[VM_MAX_FEATURE_RULES];
static unsigned int nr;
static struct err e;

static int parse(const char *arg)
{
	return virtio_features_parse(arg, rules, &nr, VM_MAX_FEATURE_RULES, &e);
}

static const uint64_t blk_dflt =
    B(VIRTIO_F_VERSION_1) | B(VIRTIO_RING_F_EVENT_IDX) |
    B(VIRTIO_RING_F_INDIRECT_DESC) | B(VIRTIO_BLK_F_FLUSH) |
    B(VIRTIO_BLK_F_SEG_MAX);

static const uint64_t net_dflt =
    B(VIRTIO_F_VERSION_1) | B(VIRTIO_RING_F_EVENT_IDX) | B(VIRTIO_NET_F_CSUM) |
    B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_GUEST_TSO4) |
    B(VIRTIO_NET_F_MRG_RXBUF) | B(VIRTIO_NET_F_CTRL_VQ) |
    B(VIRTIO_NET_F_CTRL_RX);

TestSuite(virtio_features);

Test(virtio_features, parse_list)
{
	nr = 0;
	cr_assert_eq(parse("all=+ring_packed,-event_idx"), 0);
	cr_assert_eq(parse("net1=-MRG_RXBUF"), 0, "%s", e.msg);
	cr_assert_eq(nr, 3);
	cr_assert_str_eq(rules[0].target, "all");
	cr_assert_str_eq(rules[0].name, "ring_packed");
	cr_assert(rules[0].add);
	cr_assert_not(rules[1].add);
	cr_assert_str_eq(rules[2].target, "net1");
}

Test(virtio_features, parse_errors)
{
	static const char *const bad[] = {
		"ring_packed", /* no target */
		"=+ring_packed", /* empty target */
		"disk=+flush", /* unknown type */
		"blk01=-flush", /* leading zero */
		"blk=flush", /* no sign */
		"blk=+", /* no name */
		"blk=-flush,", /* empty item */
		"blk=-nosuch", /* unknown name */
		"blk=-csum", /* a net feature */
		"rng=-mrg_rxbuf", /* rng has none */
		"blkx=-flush", /* junk index */
		"blk99999999=-flush",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nr = 0;
		cr_assert_eq(parse(bad[i]), -1, "'%s' accepted", bad[i]);
		cr_assert(strchr(e.msg, '\n') == NULL, "one line");
	}
}

Test(virtio_features, parse_full)
{
	unsigned int i;

	nr = 0;
	for (i = 0; i < VM_MAX_FEATURE_RULES; i++)
		cr_assert_eq(parse("all=-event_idx"), 0);
	cr_assert_eq(parse("all=-event_idx"), -1);
	cr_assert_eq(nr, VM_MAX_FEATURE_RULES);
}

Test(virtio_features, offer_default_is_split)
{
	uint64_t o;

	nr = 0;
	cr_assert_eq(virtio_features_offer(rules, nr, "blk", 0,
					   VM_TRANSPORT_PCI, blk_dflt, &o, &e),
		     0);
	cr_assert_eq(o, blk_dflt | B(VIRTIO_F_RING_RESET));
	cr_assert_not(o & B(VIRTIO_F_RING_PACKED));
	cr_assert_eq(virtio_features_offer(rules, nr, "blk", 0,
					   VM_TRANSPORT_MMIO, blk_dflt, &o, &e),
		     0);
	cr_assert_eq(o, blk_dflt, "no ring_reset off PCI");
}

Test(virtio_features, offer_rules_in_order)
{
	uint64_t o;

	nr = 0;
	cr_assert_eq(parse("all=+ring_packed,-indirect_desc"), 0);
	cr_assert_eq(parse("blk1=-ring_packed,-flush"), 0);
	cr_assert_eq(virtio_features_offer(rules, nr, "blk", 0,
					   VM_TRANSPORT_PCI, blk_dflt, &o, &e),
		     0);
	cr_assert_eq(
	    o, (blk_dflt | B(VIRTIO_F_RING_PACKED) | B(VIRTIO_F_RING_RESET)) &
		   ~B(VIRTIO_RING_F_INDIRECT_DESC));
	cr_assert_eq(virtio_features_offer(rules, nr, "blk", 1,
					   VM_TRANSPORT_PCI, blk_dflt, &o, &e),
		     0);
	cr_assert_eq(o, (blk_dflt | B(VIRTIO_F_RING_RESET)) &
			    ~B(VIRTIO_RING_F_INDIRECT_DESC) &
			    ~B(VIRTIO_BLK_F_FLUSH));
	/* all= with a name of another type skips this one. */
	nr = 0;
	cr_assert_eq(parse("all=-mrg_rxbuf"), 0);
	cr_assert_eq(virtio_features_offer(rules, nr, "blk", 0,
					   VM_TRANSPORT_PCI, blk_dflt, &o, &e),
		     0);
	cr_assert_eq(o, blk_dflt | B(VIRTIO_F_RING_RESET));
	cr_assert_eq(virtio_features_offer(rules, nr, "net", 0,
					   VM_TRANSPORT_PCI, net_dflt, &o, &e),
		     0);
	cr_assert_eq(o, (net_dflt | B(VIRTIO_F_RING_RESET)) &
			    ~B(VIRTIO_NET_F_MRG_RXBUF));
}

Test(virtio_features, packed_needs_modern)
{
	uint64_t o = 0;

	nr = 0;
	cr_assert_eq(parse("all=+ring_packed"), 0);
	cr_assert_eq(virtio_features_offer(rules, nr, "blk", 0,
					   VM_TRANSPORT_MMIO_LEGACY, blk_dflt,
					   &o, &e),
		     -1);
	cr_assert(strstr(e.msg, "ring_packed"), "%s", e.msg);
	cr_assert_eq(o, 0, "nothing stored on error");
	cr_assert_eq(virtio_features_offer(rules, nr, "blk", 0,
					   VM_TRANSPORT_MMIO, blk_dflt, &o, &e),
		     0);
	cr_assert(o & B(VIRTIO_F_RING_PACKED));
}

Test(virtio_features, ring_reset_only_on_pci)
{
	uint64_t o = 0;

	nr = 0;
	cr_assert_eq(parse("net=+ring_reset"), 0);
	cr_assert_eq(virtio_features_offer(rules, nr, "net", 0,
					   VM_TRANSPORT_PCI, net_dflt, &o, &e),
		     0);
	cr_assert_eq(o, net_dflt | B(VIRTIO_F_RING_RESET));
	cr_assert_eq(virtio_features_offer(rules, nr, "net", 0,
					   VM_TRANSPORT_MMIO, net_dflt, &o, &e),
		     -1);
	cr_assert(strstr(e.msg, "ring_reset needs virtio-pci"), "%s", e.msg);
	nr = 0;
	cr_assert_eq(parse("net=-ring_reset"), 0);
	cr_assert_eq(virtio_features_offer(rules, nr, "net", 0,
					   VM_TRANSPORT_PCI, net_dflt, &o, &e),
		     0);
	cr_assert_eq(o, net_dflt, "withdrawn");
}

Test(virtio_features, withdrawn_dependency)
{
	uint64_t o;

	nr = 0;
	cr_assert_eq(parse("net=-guest_csum"), 0);
	cr_assert_eq(virtio_features_offer(rules, nr, "net", 0,
					   VM_TRANSPORT_PCI, net_dflt, &o, &e),
		     -1);
	cr_assert(strstr(e.msg, "guest_tso4 needs guest_csum"), "%s", e.msg);
	cr_assert_eq(parse("net=-guest_tso4"), 0);
	cr_assert_eq(virtio_features_offer(rules, nr, "net", 0,
					   VM_TRANSPORT_PCI, net_dflt, &o, &e),
		     0);
	nr = 0;
	cr_assert_eq(parse("net0=-ctrl_vq"), 0);
	cr_assert_eq(virtio_features_offer(rules, nr, "net", 0,
					   VM_TRANSPORT_PCI, net_dflt, &o, &e),
		     -1);
	cr_assert(strstr(e.msg, "ctrl_rx needs ctrl_vq"), "%s", e.msg);
}

Test(virtio_features, cannot_add_what_the_device_lacks)
{
	uint64_t o;

	nr = 0;
	/* blk offers MQ only with several queues. */
	cr_assert_eq(parse("blk=+mq"), 0);
	cr_assert_eq(virtio_features_offer(rules, nr, "blk", 0,
					   VM_TRANSPORT_PCI, blk_dflt, &o, &e),
		     -1);
	cr_assert_eq(
	    virtio_features_offer(rules, nr, "blk", 0, VM_TRANSPORT_PCI,
				  blk_dflt | B(VIRTIO_BLK_F_MQ), &o, &e),
	    0);
}

Test(virtio_features, target_matches)
{
	cr_assert(virtio_features_target_matches("all", "net", 3));
	cr_assert(virtio_features_target_matches("net", "net", 3));
	cr_assert(virtio_features_target_matches("net3", "net", 3));
	cr_assert_not(virtio_features_target_matches("net3", "net", 0));
	cr_assert_not(virtio_features_target_matches("net", "blk", 0));
	cr_assert_not(virtio_features_target_matches("net13", "net", 1));
}

Test(virtio_features, names_from_uapi)
{
	char buf[32];

	cr_assert_str_eq(
	    virtio_feature_name("blk", VIRTIO_F_RING_PACKED, buf, sizeof(buf)),
	    "ring_packed");
	cr_assert_str_eq(virtio_feature_name("net", VIRTIO_NET_F_GUEST_TSO4,
					     buf, sizeof(buf)),
			 "guest_tso4");
	cr_assert_str_eq(
	    virtio_feature_name("blk", VIRTIO_BLK_F_MQ, buf, sizeof(buf)),
	    "mq");
	cr_assert_null(
	    virtio_feature_name("rng", VIRTIO_NET_F_CSUM, buf, sizeof(buf)));
}
