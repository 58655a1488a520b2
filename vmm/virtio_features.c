// SPDX-License-Identifier: MIT
#include "vmm/virtio_features.h"

#include <ctype.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct feature {
	const char *name; /* the UAPI constant's name past its prefix */
	unsigned int bit;
	bool optional; /* supported, not offered unless asked for ('+') */
};

/* Spelled from the UAPI constant, so names and bits cannot drift apart. */
#define FEAT(prefix, name)                                                     \
	{                                                                      \
#name, prefix##name, false                                     \
	}
#define FEAT_OPT(prefix, name)                                                 \
	{                                                                      \
#name, prefix##name, true                                      \
	}

/* Ring and transport features every device has. */
static const struct feature common_features[] = {
	FEAT_OPT(VIRTIO_F_, RING_PACKED),
	FEAT_OPT(VIRTIO_F_, RING_RESET),
	FEAT(VIRTIO_RING_F_, EVENT_IDX),
	FEAT(VIRTIO_RING_F_, INDIRECT_DESC),
	{ NULL, 0, false },
};

static const struct feature net_features[] = {
	FEAT(VIRTIO_NET_F_, CSUM),	    FEAT(VIRTIO_NET_F_, GUEST_CSUM),
	FEAT(VIRTIO_NET_F_, MAC),	    FEAT(VIRTIO_NET_F_, GUEST_TSO4),
	FEAT(VIRTIO_NET_F_, GUEST_TSO6),    FEAT(VIRTIO_NET_F_, GUEST_ECN),
	FEAT(VIRTIO_NET_F_, GUEST_UFO),	    FEAT(VIRTIO_NET_F_, HOST_TSO4),
	FEAT(VIRTIO_NET_F_, HOST_TSO6),	    FEAT(VIRTIO_NET_F_, HOST_ECN),
	FEAT(VIRTIO_NET_F_, MRG_RXBUF),	    FEAT(VIRTIO_NET_F_, STATUS),
	FEAT(VIRTIO_NET_F_, CTRL_VQ),	    FEAT(VIRTIO_NET_F_, CTRL_RX),
	FEAT(VIRTIO_NET_F_, CTRL_VLAN),	    FEAT(VIRTIO_NET_F_, GUEST_ANNOUNCE),
	FEAT(VIRTIO_NET_F_, CTRL_MAC_ADDR), { NULL, 0, false },
};

static const struct feature blk_features[] = {
	FEAT(VIRTIO_BLK_F_, SIZE_MAX),	   FEAT(VIRTIO_BLK_F_, SEG_MAX),
	FEAT(VIRTIO_BLK_F_, BLK_SIZE),	   FEAT(VIRTIO_BLK_F_, FLUSH),
	FEAT(VIRTIO_BLK_F_, TOPOLOGY),	   FEAT(VIRTIO_BLK_F_, MQ),
	FEAT(VIRTIO_BLK_F_, RO),	   FEAT(VIRTIO_BLK_F_, DISCARD),
	FEAT(VIRTIO_BLK_F_, WRITE_ZEROES), { NULL, 0, false },
};

static const struct feature console_features[] = {
	FEAT(VIRTIO_CONSOLE_F_, EMERG_WRITE),
	{ NULL, 0, false },
};

static const struct feature no_features[] = { { NULL, 0, false } };

static const struct {
	const char *type;
	const struct feature *features;
} type_features[] = {
	{ "console", console_features },
	{ "rng", no_features },
	{ "blk", blk_features },
	{ "net", net_features },
};

#define NR_TYPES (sizeof(type_features) / sizeof(type_features[0]))
#define BIT(b) (1ull << (b))

/*
 * Features that need another (any one of needs): virtio 1.2, 5.1.3.1 for
 * net; packed rings need VERSION_1 (checked as the transport, below).
 */
static const struct {
	const char *type;
	unsigned int bit;
	uint64_t needs;
} dependencies[] = {
	{ "net", VIRTIO_NET_F_GUEST_TSO4, BIT(VIRTIO_NET_F_GUEST_CSUM) },
	{ "net", VIRTIO_NET_F_GUEST_TSO6, BIT(VIRTIO_NET_F_GUEST_CSUM) },
	{ "net", VIRTIO_NET_F_GUEST_UFO, BIT(VIRTIO_NET_F_GUEST_CSUM) },
	{ "net", VIRTIO_NET_F_GUEST_ECN,
	  BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) },
	{ "net", VIRTIO_NET_F_HOST_TSO4, BIT(VIRTIO_NET_F_CSUM) },
	{ "net", VIRTIO_NET_F_HOST_TSO6, BIT(VIRTIO_NET_F_CSUM) },
	{ "net", VIRTIO_NET_F_HOST_ECN,
	  BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) },
	{ "net", VIRTIO_NET_F_CTRL_RX, BIT(VIRTIO_NET_F_CTRL_VQ) },
	{ "net", VIRTIO_NET_F_CTRL_VLAN, BIT(VIRTIO_NET_F_CTRL_VQ) },
	{ "net", VIRTIO_NET_F_GUEST_ANNOUNCE, BIT(VIRTIO_NET_F_CTRL_VQ) },
	{ "net", VIRTIO_NET_F_CTRL_MAC_ADDR, BIT(VIRTIO_NET_F_CTRL_VQ) },
};

#define NR_DEPENDENCIES (sizeof(dependencies) / sizeof(dependencies[0]))

/* The table of type, or NULL for an unknown type. */
static const struct feature *type_table(const char *type, size_t len)
{
	size_t i;

	for (i = 0; i < NR_TYPES; i++)
		if (strlen(type_features[i].type) == len &&
		    !strncmp(type_features[i].type, type, len))
			return type_features[i].features;
	return NULL;
}

static const struct feature *table_find(const struct feature *t,
					const char *name)
{
	for (; t->name; t++)
		if (!strcasecmp(t->name, name))
			return t;
	return NULL;
}

/* name as a feature of type (its own table, then the common one). */
static const struct feature *feature_find(const char *type, size_t len,
					  const char *name)
{
	const struct feature *t = type_table(type, len), *f;

	if (!t)
		return NULL;
	f = table_find(t, name);
	return f ? f : table_find(common_features, name);
}

static bool feature_known(const char *name)
{
	size_t i;

	for (i = 0; i < NR_TYPES; i++)
		if (feature_find(type_features[i].type,
				 strlen(type_features[i].type), name))
			return true;
	return false;
}

/* Length of the type part of a target (net1: 3), 0 if malformed. */
static size_t target_type_len(const char *target)
{
	size_t n = strlen(target), i = n;

	while (i > 0 && isdigit((unsigned char)target[i - 1]))
		i--;
	/* An index has no leading zeros and fits an int. */
	if (i < n && ((target[i] == '0' && n - i > 1) || n - i > 6))
		return 0;
	return type_table(target, i) ? i : 0;
}

static int parse_target(const char *arg, const char *eq, char *target,
			size_t size, struct err *e)
{
	size_t len = (size_t)(eq - arg);
	char types[64] = "";
	size_t i;

	if (len > 0 && len < size) {
		memcpy(target, arg, len);
		target[len] = '\0';
		if (!strcmp(target, "all") || target_type_len(target))
			return 0;
	}
	for (i = 0; i < NR_TYPES; i++) {
		strcat(types, i ? ", " : "");
		strcat(types, type_features[i].type);
	}
	return err_set(e,
		       "--virtio-features '%s': TARGET is all, a device type "
		       "(%s) or one device (blk0, net1, ...)",
		       arg, types);
}

static int parse_item(const char *arg, const char *target, const char *item,
		      size_t len, struct vm_feature_rule *r, struct err *e)
{
	size_t type_len = strcmp(target, "all") ? target_type_len(target) : 0;

	if (len < 2 || (item[0] != '+' && item[0] != '-') ||
	    len - 1 >= sizeof(r->name))
		return err_set(e,
			       "--virtio-features '%s': expected "
			       "TARGET=[+|-]NAME[,...]",
			       arg);
	snprintf(r->target, sizeof(r->target), "%s", target);
	memcpy(r->name, item + 1, len - 1);
	r->name[len - 1] = '\0';
	r->add = item[0] == '+';
	if (!feature_known(r->name))
		return err_set(e, "--virtio-features: unknown feature '%s'",
			       r->name);
	if (type_len && !feature_find(target, type_len, r->name))
		return err_set(e, "--virtio-features: %.*s has no feature '%s'",
			       (int)type_len, target, r->name);
	return 0;
}

int virtio_features_parse(const char *arg, struct vm_feature_rule *rules,
			  unsigned int *nr, unsigned int max, struct err *e)
{
	const char *eq = strchr(arg, '='), *item;
	char target[sizeof(rules->target)];

	if (!eq)
		return err_set(e,
			       "--virtio-features '%s': expected "
			       "TARGET=[+|-]NAME[,...]",
			       arg);
	if (parse_target(arg, eq, target, sizeof(target), e) < 0)
		return -1;
	for (item = eq + 1;; item++) {
		const char *end = strchr(item, ',');
		size_t len = end ? (size_t)(end - item) : strlen(item);

		if (*nr == max)
			return err_set(e, "--virtio-features: at most %u rules",
				       max);
		if (parse_item(arg, target, item, len, &rules[*nr], e) < 0)
			return -1;
		++*nr;
		if (!end)
			return 0;
		item = end;
	}
}

bool virtio_features_target_matches(const char *target, const char *type,
				    unsigned int index)
{
	size_t n = strlen(type);
	char idx[16];

	if (!strcmp(target, "all") || !strcmp(target, type))
		return true;
	snprintf(idx, sizeof(idx), "%u", index);
	return !strncmp(target, type, n) && !strcmp(target + n, idx);
}

const char *virtio_feature_name(const char *type, unsigned int bit, char *buf,
				unsigned int size)
{
	const struct feature *tables[2] = { type_table(type, strlen(type)),
					    common_features };
	unsigned int i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; tables[i] && tables[i][j].name; j++)
			if (tables[i][j].bit == bit) {
				snprintf(buf, size, "%s", tables[i][j].name);
				for (char *p = buf; *p; p++)
					*p = (char)tolower((unsigned char)*p);
				return buf;
			}
	return NULL;
}

static int check_dependencies(const char *type, unsigned int index,
			      uint64_t offer, struct err *e)
{
	char a[32], b[32];
	size_t i;

	for (i = 0; i < NR_DEPENDENCIES; i++) {
		uint64_t needs = dependencies[i].needs;

		if (strcmp(dependencies[i].type, type) ||
		    !(offer & BIT(dependencies[i].bit)) || (offer & needs))
			continue;
		return err_set(
		    e, "--virtio-features: %s%u: %s needs %s", type, index,
		    virtio_feature_name(type, dependencies[i].bit, a,
					sizeof(a)),
		    virtio_feature_name(type,
					(unsigned int)__builtin_ctzll(needs), b,
					sizeof(b)));
	}
	return 0;
}

int virtio_features_offer(const struct vm_feature_rule *rules, unsigned int nr,
			  const char *type, unsigned int index,
			  enum vm_transport transport, uint64_t dflt,
			  uint64_t *offer, struct err *e)
{
	bool pci = transport == VM_TRANSPORT_PCI ||
		   transport == VM_TRANSPORT_PCI_TRANSITIONAL;
	uint64_t o = dflt;
	unsigned int i;

	/*
	 * Every device can reset a queue alone; virtio-pci has the register
	 * for it, so it is offered there (as QEMU does) unless withdrawn.
	 */
	if (pci)
		o |= BIT(VIRTIO_F_RING_RESET);

	for (i = 0; i < nr; i++) {
		const struct vm_feature_rule *r = &rules[i];
		const struct feature *f;

		if (!virtio_features_target_matches(r->target, type, index))
			continue;
		f = feature_find(type, strlen(type), r->name);
		if (!f) {
			if (!strcmp(r->target, "all"))
				continue; /* another type's feature */
			return err_set(e,
				       "--virtio-features: %s has no "
				       "feature '%s'",
				       type, r->name);
		}
		if (!r->add)
			o &= ~BIT(f->bit);
		else if (f->optional || (dflt & BIT(f->bit)))
			o |= BIT(f->bit);
		else
			return err_set(e,
				       "--virtio-features: %s%u cannot offer "
				       "'%s' here",
				       type, index, r->name);
	}
	if ((o & BIT(VIRTIO_F_RING_PACKED)) &&
	    transport == VM_TRANSPORT_MMIO_LEGACY)
		return err_set(e,
			       "--virtio-features: %s%u: ring_packed needs "
			       "a virtio 1.x transport, not mmio-legacy",
			       type, index);
	/* The queue_reset register is virtio-pci's (modern interface). */
	if ((o & BIT(VIRTIO_F_RING_RESET)) && !pci)
		return err_set(e,
			       "--virtio-features: %s%u: ring_reset needs "
			       "virtio-pci",
			       type, index);
	if (check_dependencies(type, index, o, e) < 0)
		return -1;
	*offer = o;
	return 0;
}
