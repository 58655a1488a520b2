// SPDX-License-Identifier: MIT
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int file_open_regular(const char *path, const char *what, struct stat *st,
		      struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_errno(e, errno, "cannot open %s file '%s'", what,
				 path);
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return err_set(e, "%s file '%s' is not a regular file", what,
			       path);
	}
	return fd;
}

int file_check_readable(const char *path, const char *what, struct err *e)
{
	struct stat st;
	int fd = file_open_regular(path, what, &st, e);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int file_read_all(const char *path, const char *what, size_t max, void **data,
		  size_t *size, struct err *e)
{
	struct stat st;
	size_t done = 0;
	char *buf;
	int fd;

	fd = file_open_regular(path, what, &st, e);
	if (fd < 0)
		return -1;
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return err_set(
		    e, "%s file '%s' is too large (%lld bytes, limit %zu)",
		    what, path, (long long)st.st_size, max);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return err_set(e, "out of memory reading %s file '%s'", what,
			       path);
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = n < 0 ? errno : EIO;

			free(buf);
			close(fd);
			return err_errno(e, saved, "cannot read %s file '%s'",
					 what, path);
		}
		done += (size_t)n;
	}
	close(fd);
	*data = buf;
	*size = done;
	return 0;
}
