// SPDX-License-Identifier: MIT
#include "vmm/sandbox/sandbox.h"

#include <dirent.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "devices/virtio/vsock.h"
#include "util/log.h"
#include "vmm/device_types.h"
#include "vmm/machine.h"
#include "vmm/sandbox/jail.h"
#include "vmm/sandbox/privdrop.h"
#include "vmm/sandbox/rlimits.h"

int sandbox_check(const struct vm_config *cfg, struct err *e)
{
	const struct vm_sandbox_config *sb = &cfg->sandbox;

	if (sb->has_uid != sb->has_gid)
		return err_set(e, "--uid and --gid must be given together");
	if (sb->drop &&
	    (!privdrop_has_cap(CAP_SETUID) || !privdrop_has_cap(CAP_SETGID)))
		return err_set(e, "--uid/--gid need root (CAP_SETUID and "
				  "CAP_SETGID)");
	if (sb->jail_dir) {
		char root[PATH_MAX], inner[PATH_MAX];

		if (jail_check(sb->jail_dir, e) < 0)
			return -1;
		if (!realpath(sb->jail_dir, root))
			return err_set(e, "--jail '%s': cannot resolve",
				       sb->jail_dir);
		/* Guest connections to PATH_P are made from inside. */
		if (cfg->vsock.enabled &&
		    jail_inner_path(root, cfg->vsock.uds, inner,
				    sizeof(inner)) != 1)
			return err_set(e,
				       "--vsock uds=%s: with --jail the "
				       "socket must be inside %s",
				       cfg->vsock.uds, sb->jail_dir);
	}
	return 0;
}

int sandbox_begin(const struct vm_config *cfg, struct err *e)
{
	const struct vm_sandbox_config *sb = &cfg->sandbox;

	if (sandbox_check(cfg, e) < 0 || privdrop_prepare(sb->drop, e) < 0)
		return -1;
	if (!sb->jail_dir)
		return 0;
	return jail_fork(cfg->seccomp, e);
}

/* Writable disks bound the file-size limit from below. */
static uint64_t largest_disk(const struct vm_config *cfg)
{
	uint64_t max = 0;
	unsigned int i;

	for (i = 0; i < cfg->nr_disks; i++) {
		struct stat st;

		if (!cfg->disks[i].read_only &&
		    stat(cfg->disks[i].path, &st) == 0 && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size > max)
			max = (uint64_t)st.st_size;
	}
	return max;
}

static int highest_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int max = 2;

	if (!d)
		return 1024; /* no /proc: assume the worst */
	while ((de = readdir(d)))
		if (atoi(de->d_name) > max)
			max = atoi(de->d_name);
	closedir(d);
	return max;
}

/*
 * Paths vireo still uses after the pivot, as the jail sees them: where
 * guest vsock connections go, and the sockets it removes at exit (one
 * outside the jail stays; the next vireo replaces a stale socket).
 */
static void jail_relocate(struct machine *m, const char *root)
{
	char inner[PATH_MAX];
	unsigned int i;

	for (i = 0; i < m->nr_vdevs; i++) {
		struct virtio_vsock *v = m->vdevs[i].dev;

		if (strcmp(m->vdevs[i].type->name, "vsock") ||
		    jail_inner_path(root, v->uds_path, inner, sizeof(inner)) !=
			1 ||
		    strlen(inner) >= sizeof(v->uds_path))
			continue;
		strcpy(v->uds_path, inner);
	}
	if (m->api.path) {
		bool in = jail_inner_path(root, m->api.path, inner,
					  sizeof(inner)) == 1;

		free(m->api.path);
		m->api.path = in ? strdup(inner) : NULL;
	}
}

int sandbox_lockdown(struct machine *m, struct err *e)
{
	const struct vm_sandbox_config *sb = &m->cfg->sandbox;
	char root[PATH_MAX];
	bool any_rlimit = false;
	int i;

	for (i = 0; i < VM_NR_RLIMITS; i++)
		any_rlimit |= sb->rlimit_set[i];
	if ((sb->jail_dir || any_rlimit) &&
	    rlimits_apply(sb, sb->jail_dir != NULL, largest_disk(m->cfg),
			  highest_fd(), e) < 0)
		return -1;
	if (sb->jail_dir) {
		if (!realpath(sb->jail_dir, root))
			return err_set(e, "--jail '%s': cannot resolve",
				       sb->jail_dir);
		jail_relocate(m, root);
		if (jail_pivot(root, e) < 0)
			return -1;
	}
	if (sb->drop && privdrop_commit(sb->uid, sb->gid, e) < 0)
		return -1;
	if (sb->drop || sb->jail_dir)
		log_debug("sandbox: %s%s%s", sb->jail_dir ? "jailed in " : "",
			  sb->jail_dir ? sb->jail_dir : "",
			  sb->drop ? ", running as --uid/--gid" : "");
	return 0;
}
