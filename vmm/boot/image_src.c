// SPDX-License-Identifier: MIT
#include "vmm/boot/image_src.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
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
