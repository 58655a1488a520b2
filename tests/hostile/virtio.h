/* SPDX-License-Identifier: MIT */
#ifndef HOSTILE_VIRTIO_H
#define HOSTILE_VIRTIO_H
/*
 * A minimal virtio driver over all four transports, written so that every
 * register access and ring field can also be abused on purpose.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "hostile.h"

enum vkind { VK_PCI, VK_PCI_LEGACY, VK_MMIO, VK_MMIO_LEGACY };

#define VQ_MAX 4

struct vq {
	u16 q, size;
	u64 desc, avail, used; /* guest-physical = virtual (identity map) */
	u16 avail_idx, last_used;
};

struct vdev {
	enum vkind kind;
	u32 type; /* VIRTIO_ID_* */
	char name[24];
	unsigned int slot; /* index: picks the device's memory arena */
	/* PCI */
	unsigned int pdev, pfn;
	u64 common, isr, devcfg, notify;
	u32 notify_mult;
	u16 io;
	unsigned int msix_cap, msix_n;
	u64 msix_table, msix_pba;
	u64 bar_modern; /* address of the BAR holding common config */
	unsigned int bar_modern_idx;
	/* MMIO */
	u64 base;
	u32 gsi;
	/* driver state */
	unsigned int nq;
	struct vq vq[VQ_MAX];
	u64 features;
};

#define MAX_DEVS 8
extern struct vdev devs[MAX_DEVS];
extern unsigned int nr_devs;
void virtio_discover(void);

const char *vkind_name(enum vkind k);
static inline bool vlegacy(const struct vdev *d)
{
	return d->kind == VK_PCI_LEGACY || d->kind == VK_MMIO_LEGACY;
}
static inline bool vpci(const struct vdev *d)
{
	return d->kind <= VK_PCI_LEGACY;
}

/* Per-device memory: rings at arena, buffers at arena + 512 KiB. */
#define ARENA_BASE 0x1000000ull
#define ARENA_SIZE 0x100000ull
static inline u64 arena(const struct vdev *d)
{
	return ARENA_BASE + d->slot * ARENA_SIZE;
}
static inline u64 bufarea(const struct vdev *d)
{
	return arena(d) + 0x80000;
}
/* A scratch area shared by big attacks (16 MiB at 64 MiB). */
#define BIG_BASE 0x4000000ull
#define BIG_SIZE 0x1000000ull

/* Register level. */
u8 v_status(struct vdev *d);
void v_set_status(struct vdev *d, u8 s);
bool v_reset(struct vdev *d); /* true once status reads back 0 */
u64 v_dev_features(struct vdev *d);
void v_set_features(struct vdev *d, u64 f);
u64 v_drv_features(struct vdev *d);
void v_select(struct vdev *d, u32 q);
u16 v_queue_max(struct vdev *d, u32 q);
void v_queue_size(struct vdev *d, u32 size); /* selected queue */
u16 v_queue_size_read(struct vdev *d);
u32 v_queue_ready(struct vdev *d);
/* Program desc/avail/used (or PFN) for the selected queue and enable it. */
void v_queue_addrs(struct vdev *d, u64 desc, u64 avail, u64 used);
void v_queue_enable(struct vdev *d, u32 v);
void v_notify(struct vdev *d, u32 q);
u8 v_isr(struct vdev *d);
void v_isr_ack(struct vdev *d, u32 bits); /* MMIO only */
u32 v_cfg_read(struct vdev *d, u32 off, unsigned int len);
void v_cfg_write(struct vdev *d, u32 off, unsigned int len, u32 v);
u32 v_cfg_gen(struct vdev *d);
void v_set_vectors(struct vdev *d, u16 cfg,
		   u16 queue_vec); /* PCI; all queues */

/* Driver level. */
/* Handshake up to FEATURES_OK: 0, or the status that was refused. */
int v_negotiate(struct vdev *d, u64 want);
/* Lays out queue q (size 0: the default) in the arena and enables it. */
bool v_setup_queue(struct vdev *d, u32 q, u16 size);
/* Full init: reset, negotiate, nq queues, DRIVER_OK. */
bool v_init(struct vdev *d, u64 want, unsigned int nq);

struct buf {
	u64 addr;
	u32 len;
	bool write; /* device writes */
};
/* Chain of n descriptors from index 0, published and kicked; returns head. */
u16 vq_submit(struct vdev *d, struct vq *vq, const struct buf *b,
	      unsigned int n);
/* Publishes head in the avail ring (no descriptor writes) and kicks. */
void vq_publish(struct vdev *d, struct vq *vq, u16 head);
/* Waits up to ms for a used entry: true with *len set. */
bool vq_wait(struct vq *vq, u64 ms, u32 *id, u32 *len);
static inline struct vring_desc *vq_desc(struct vq *vq, unsigned int i)
{
	return (struct vring_desc *)(vq->desc + 16ull * i);
}
static inline u16 vq_used_idx(struct vq *vq)
{
	return mr16(vq->used + 2);
}

/*
 * Features a plain bring-up asks for: vireo's virtio-net takes a legacy
 * driver only with MRG_RXBUF (its back end's header is the 12-byte one).
 */
u64 base_features(const struct vdev *d);
/* virtio-net header length for the negotiated features (5.1.6). */
u32 net_hdr_len(const struct vdev *d);

/* One good request: the device works. facts gets what failed. */
bool dev_works(struct vdev *d, char *facts, unsigned int size);
#endif
