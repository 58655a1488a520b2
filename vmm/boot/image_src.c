// SPDX-License-Identifier: MIT
#include "vmm/boot/image_src.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/file.h"

int image_src_read(const struct image_src *s, uint64_t off, void *dst,
		   size_t len)
{
	size_t done = 0;

	if (!image_src_has(s, off, len))
		return -1;
	if (s->data) {
		memcpy(dst, s->data + off, len);
		return 0;
	}
	while (done < len) {
		ssize_t n = pread(s->fd, (uint8_t *)dst + done, len - done,
				  (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

int image_src_to_guest(const struct guest_mem *m, uint64_t gpa,
		       const struct image_src *s, uint64_t off, size_t len)
{
	if (!image_src_has(s, off, len))
		return -1;
	if (s->data)
		return guest_mem_write(m, gpa, s->data + off, len);
	if (s->map)
		return guest_mem_map_file(m, gpa, s->fd, off, len);
	return guest_mem_pread(m, gpa, s->fd, off, len);
}

int image_src_open(const char *path, const char *what, uint64_t max,
		   uint64_t *size, struct err *e)
{
	struct stat st;
	int fd = file_open_regular(path, what, &st, e);

	if (fd < 0)
		return -1;
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return err_set(
		    e, "%s file '%s' is too large (%lld bytes, limit %llu)",
		    what, path, (long long)st.st_size, (unsigned long long)max);
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

const char *image_fixed_why(uint64_t attributes, uint64_t mask,
			    uint64_t fs_magic)
{
	/* Filesystems without any write path: no file on them ever changes. */
	static const struct {
		uint64_t magic;
		const char *why;
	} read_only_fs[] = {
		{ SQUASHFS_MAGIC, "on squashfs, a read-only filesystem" },
		{ EROFS_SUPER_MAGIC_V1, "on erofs, a read-only filesystem" },
		{ ISOFS_SUPER_MAGIC, "on iso9660, a read-only filesystem" },
		{ CRAMFS_MAGIC, "on cramfs, a read-only filesystem" },
	};
	size_t i;

	/* fs-verity cannot be turned off: the content is fixed for good. */
	if (mask & attributes & STATX_ATTR_VERITY)
		return "an fs-verity file";
	/*
	 * Not writable or truncatable while the flag stays; clearing it takes
	 * CAP_LINUX_IMMUTABLE, a deliberate act of the host's administrator.
	 */
	if (mask & attributes & STATX_ATTR_IMMUTABLE)
		return "an immutable file (chattr +i)";
	for (i = 0; i < sizeof(read_only_fs) / sizeof(read_only_fs[0]); i++)
		if (fs_magic == read_only_fs[i].magic)
			return read_only_fs[i].why;
	return NULL;
}

/*
 * Filesystems whose files change only through this host's kernel, which
 * is what breaks a lease. On a network or FUSE filesystem (virtiofs, NFS)
 * another host or a daemon may write the file unseen: copied.
 */
static bool image_local_fs(uint64_t fs_magic)
{
	static const uint64_t local[] = { EXT4_SUPER_MAGIC, XFS_SUPER_MAGIC,
					  BTRFS_SUPER_MAGIC, F2FS_SUPER_MAGIC,
					  TMPFS_MAGIC };
	size_t i;

	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (fs_magic == local[i])
			return true;
	return false;
}

/*
 * Taken and given back at once: whether vireo may hold one (the file's
 * owner, or CAP_LEASE) and nobody has the file open for writing now.
 */
static bool image_leasable(int fd)
{
	if (fcntl(fd, F_SETLEASE, F_RDLCK) < 0)
		return false;
	(void)fcntl(fd, F_SETLEASE, F_UNLCK);
	return true;
}

const char *image_mapping_why(int fd, enum image_mapping m, bool *needs_lease)
{
	struct statx stx;
	struct statfs sfs;
	const char *fixed;

	*needs_lease = false;
	if (m == IMAGE_MAP_ALWAYS)
		return "--map-images";
	if (m == IMAGE_MAP_NEVER)
		return NULL;
	/* A filesystem that cannot say stays copied. */
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT,
		  STATX_TYPE | STATX_NLINK, &stx) < 0)
		return NULL;
	if (fstatfs(fd, &sfs) < 0)
		sfs.f_type = 0;
	fixed = image_fixed_why(stx.stx_attributes, stx.stx_attributes_mask,
				(uint64_t)(unsigned long)sfs.f_type);
	if (fixed)
		return fixed;
	/*
	 * A lease sees opens to come and writers the inode counts. A file
	 * with no name (a memfd) is written through descriptors made with
	 * it, which a memfd's inode does not count: it is copied.
	 */
	if (!(stx.stx_mask & STATX_NLINK) || stx.stx_nlink == 0 ||
	    !image_local_fs((uint64_t)(unsigned long)sfs.f_type) ||
	    !image_leasable(fd))
		return NULL;
	*needs_lease = true;
	return "a read lease (copied in before the file may change)";
}

void image_mapped_close(struct image_mapped *im)
{
	if (im->why && im->fd >= 0) {
		/*
		 * Let go first: a closed fd keeps a lease alive while a fork
		 * still shares its open file.
		 */
		(void)fcntl(im->fd, F_SETLEASE, F_UNLCK);
		close(im->fd);
	}
	im->why = NULL;
	im->fd = -1;
	im->needs_lease = im->leased = false;
}
