// SPDX-License-Identifier: MIT
#include "vmm/sandbox/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc has no capget/capset wrappers and libcap is not worth a link. */
static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return (int)syscall(SYS_capget, &h, d);
}

static int caps_set(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return (int)syscall(SYS_capset, &h, d);
}

int privdrop_parse_id(const char *arg, uint32_t *id)
{
	unsigned long long v;
	char *end;

	if (!arg || *arg < '0' || *arg > '9')
		return -1;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || v >= UINT32_MAX)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

bool privdrop_has_cap(int cap)
{
	struct __user_cap_data_struct d[2];

	if (cap < 0 || cap >= 64 || caps_get(d) < 0)
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

int privdrop_no_new_privs(struct err *e)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_errno(e, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	return 0;
}

int privdrop_prepare(bool drop, struct err *e)
{
	struct __user_cap_data_struct d[2];
	int cap;

	if (privdrop_no_new_privs(e) < 0)
		return -1;
	if (!drop)
		return 0;
	/* The bounding set ends where the kernel's capabilities do. */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return err_errno(e, errno, "dropping capability %d",
					 cap);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return err_errno(e, errno, "clearing ambient capabilities");
	/* Effective and permitted stay until the ids change. */
	if (caps_get(d) < 0)
		return err_errno(e, errno, "capget");
	d[0].inheritable = d[1].inheritable = 0;
	if (caps_set(d) < 0)
		return err_errno(e, errno, "capset");
	return 0;
}

int privdrop_commit(uint32_t uid, uint32_t gid, struct err *e)
{
	struct __user_cap_data_struct d[2] = { 0 };
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	/* Groups before gid before uid: each step needs the privilege the
	 * next one gives up. */
	if (setgroups(0, NULL) < 0)
		return err_errno(e, errno, "--uid: setgroups");
	if (setresgid(gid, gid, gid) < 0)
		return err_errno(e, errno, "--gid %u: setresgid", gid);
	if (setresuid(uid, uid, uid) < 0)
		return err_errno(e, errno, "--uid %u: setresuid", uid);
	if (caps_set(d) < 0)
		return err_errno(e, errno, "--uid: capset");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return err_errno(e, errno, "prctl(PR_SET_DUMPABLE)");
	/* Trust nothing: prove the drop cannot be undone. */
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid)
		return err_set(e, "--uid/--gid: ids did not change");
	if (uid != 0 && (setresuid(0, 0, 0) == 0 || setuid(0) == 0))
		return err_set(e, "--uid %u: root could be regained", uid);
	if (gid != 0 && setresgid(0, 0, 0) == 0)
		return err_set(e, "--gid %u: group 0 could be regained", gid);
	if (caps_get(d) < 0 || d[0].effective || d[1].effective ||
	    d[0].permitted || d[1].permitted || d[0].inheritable ||
	    d[1].inheritable)
		return err_set(e, "--uid: capabilities left after the drop");
	return 0;
}
