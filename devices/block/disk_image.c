// SPDX-License-Identifier: MIT
#include "devices/block/disk_image.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int disk_image_lock(struct disk_image *img, const char *path,
			   struct err *e)
{
	int op = (img->read_only ? LOCK_SH : LOCK_EX) | LOCK_NB;

	if (flock(img->fd, op) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return err_set(
		    e, "disk '%s' is in use by another process (%s lock held)",
		    path, img->read_only ? "write" : "a");
	return err_errno(e, errno, "disk '%s': lock", path);
}

static int disk_image_geometry(struct disk_image *img, const char *path,
			       const struct stat *st, struct err *e)
{
	img->logical_block = 512;
	img->physical_block = st->st_blksize >= 512 && st->st_blksize <= 65536
				  ? (uint32_t)st->st_blksize
				  : 4096;
	if (!S_ISBLK(st->st_mode)) {
		img->size = (uint64_t)st->st_size;
		return 0;
	}
	img->is_blockdev = true;
	if (ioctl(img->fd, BLKGETSIZE64, &img->size) < 0)
		return err_errno(e, errno, "disk '%s': BLKGETSIZE64", path);
	{
		int lbs = 0;
		unsigned int pbs = 0;

		if (ioctl(img->fd, BLKSSZGET, &lbs) == 0 && lbs >= 512)
			img->logical_block = (uint32_t)lbs;
		if (ioctl(img->fd, BLKPBSZGET, &pbs) == 0 && pbs >= 512)
			img->physical_block = pbs;
	}
	return 0;
}

int disk_image_open(struct disk_image *img, const char *path, bool read_only,
		    struct err *e)
{
	struct stat st;

	*img = (struct disk_image){ .fd = -1, .read_only = read_only };
	img->fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (img->fd < 0) {
		if (errno == ENOENT)
			return err_set(e, "disk '%s' not found", path);
		if (errno == EACCES || errno == EROFS)
			return err_set(
			    e, "disk '%s' cannot be opened %s (%s)%s", path,
			    read_only ? "for reading" : "for writing",
			    errno == EROFS ? "read-only file system"
					   : "permission denied",
			    read_only ? "" : "; add ,ro to use it read-only");
		return err_errno(e, errno, "disk '%s'", path);
	}
	if (fstat(img->fd, &st) < 0) {
		err_errno(e, errno, "disk '%s': stat", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		err_set(e, "disk '%s' is not a regular file or block device",
			path);
		goto fail;
	}
	if (disk_image_geometry(img, path, &st, e) < 0 ||
	    disk_image_lock(img, path, e) < 0)
		goto fail;
	if (img->size < 512) {
		err_set(e, "disk '%s' is smaller than one 512-byte sector",
			path);
		goto fail;
	}
	return 0;
fail:
	disk_image_close(img);
	return -1;
}

void disk_image_close(struct disk_image *img)
{
	/*
	 * What the guest wrote but never flushed still reaches stable
	 * storage when vireo ends normally.
	 */
	if (img->fd >= 0 && !img->read_only)
		fdatasync(img->fd);
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
}
