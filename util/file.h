/* SPDX-License-Identifier: MIT */
#ifndef VIREO_UTIL_FILE_H
#define VIREO_UTIL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/*
 * Reads a whole regular file (at most max bytes) into a malloc'd buffer.
 * what names the file in errors ("kernel", "initrd").
 */
int file_read_all(const char *path, const char *what, size_t max, void **data,
		  size_t *size, struct err *e);

/*
 * Opens path read-only (O_CLOEXEC) and insists on a regular file: a FIFO
 * would hang the reader. Returns the fd, with *st filled.
 */
struct stat;
int file_open_regular(const char *path, const char *what, struct stat *st,
		      struct err *e);

/* Checks that path names a readable regular file, before anything starts. */
int file_check_readable(const char *path, const char *what, struct err *e);

#endif
