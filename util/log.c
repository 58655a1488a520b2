// SPDX-License-Identifier: MIT
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

/* Written once before threads start, read-only afterwards. */
static int log_verbose;

void log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

static void log_vprint(const char *level, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* \r keeps lines aligned while the terminal is in raw mode. */
	fprintf(stderr, "vireo: %s%s\r\n", level, line);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint("warning: ", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vprint("debug: ", fmt, ap);
	va_end(ap);
}

void log_guest_once(bool *logged, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(logged, true, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	log_vprint("guest: ", fmt, ap);
	va_end(ap);
}
