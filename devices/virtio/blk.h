/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_BLK_H
#define VIREO_DEVICES_VIRTIO_BLK_H

/*
 * virtio-blk (virtio 1.2, 5.2) over a disk image. Requests are validated
 * against the image size before any host I/O, then run asynchronously
 * (devices/block/aio.h) straight between the image and guest memory, many
 * in flight per queue; completions are pushed as they finish. FLUSH is an
 * fdatasync, DISCARD and WRITE_ZEROES are fallocate calls. One request
 * queue per vCPU (F_MQ), all served by the device's I/O thread.
 */

#include <stdbool.h>
#include <stdint.h>

#include "bus/virtio_transport.h"
#include "devices/block/aio.h"
#include "devices/block/disk_image.h"
#include "devices/virtio/blk_request.h"
#include "devices/virtio/virtio_device.h"

struct virtio_blk_req;

struct virtio_blk_queue {
	struct virtio_blk_req *reqs; /* pool, queue_max_size entries */
	struct virtio_blk_req *free_list;
	unsigned int nr_fresh; /* reqs[nr_fresh..] never used yet */
	bool starved; /* stopped popping: every request in use */
	bool quiesced; /* being reset: completions are dropped */
};

struct virtio_blk_stats {
	uint64_t reads, writes, flushes, discards, write_zeroes, get_ids;
	uint64_t read_bytes, write_bytes;
	uint64_t errors, unsupported;
};

struct virtio_blk {
	struct virtio_device vdev;
	struct disk_image img;
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	unsigned int nr_queues;
	struct virtio_blk_queue queues[VIRTIO_MAX_QUEUES];
	struct aio aio;
	struct event_source aio_src;
	struct virtio_blk_stats stats;
	bool vdev_ready;
	bool aio_paused; /* completions not watched: bus mastering off */
	struct virtio_dev_ops ops; /* per device: queue count varies */
};

struct virtio_blk_params {
	const char *path;
	bool read_only;
	const char *serial; /* NULL: GET_ID is unsupported */
	unsigned int nr_queues; /* 1..VIRTIO_MAX_QUEUES */
	bool use_uring; /* false: synchronous I/O on the device thread */
	unsigned int poll_us; /* after work, poll this long before sleeping */
};

#define VIRTIO_BLK_POLL_US_MAX 1000

int virtio_blk_init(struct virtio_blk *b, const struct guest_mem *mem,
		    const struct virtio_blk_params *p, struct err *e);
void virtio_blk_destroy(struct virtio_blk *b);

#endif
