/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_BLOCK_DISK_IMAGE_H
#define VIREO_DEVICES_BLOCK_DISK_IMAGE_H

/*
 * A disk image on the host: a raw file or a block device, opened and
 * locked once, with its size and block geometry. Writable images hold an
 * exclusive lock and read-only ones a shared lock, so two VMMs never write
 * the same image and nobody reads one that is being written.
 */

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct disk_image {
	int fd;
	bool read_only;
	bool is_blockdev;
	uint64_t size; /* bytes */
	uint32_t logical_block; /* bytes, 512 for files */
	uint32_t physical_block; /* bytes */
};

int disk_image_open(struct disk_image *img, const char *path, bool read_only,
		    struct err *e);
void disk_image_close(struct disk_image *img);

#endif
