/* SPDX-License-Identifier: MIT */
#ifndef VIREO_UTIL_THREAD_HOOK_H
#define VIREO_UTIL_THREAD_HOOK_H

/*
 * What a long-lived thread runs first, before it handles any guest input.
 * vmm/ sets it (the seccomp sandbox: vmm/sandbox/seccomp.h); util/ and
 * devices/ only call it, so they never depend on vmm/.
 */
struct thread_hook {
	void (*enter)(const void *ctx, unsigned int cls);
	const void *ctx;
	unsigned int cls;
};

static inline void thread_hook_enter(const struct thread_hook *h)
{
	if (h && h->enter)
		h->enter(h->ctx, h->cls);
}

#endif
