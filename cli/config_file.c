// SPDX-License-Identifier: MIT
#include "cli/config_file.h"

#include <errno.h>
#include <jansson.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"

/* Where in the document, for messages: "vm.json: disks[1].serial". */
struct where {
	const char *file;
	char key[96];
};

/* Names the key being read, for messages. */
static void at(struct where *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void at(struct where *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->key, sizeof(w->key), fmt, ap);
	va_end(ap);
}

static int bad(const struct where *w, struct err *e, const char *what)
{
	return err_set(e, "config '%s': %s: %s", w->file, w->key, what);
}

/* One option through the command line's parser, its message prefixed. */
static int apply(const struct where *w, struct vm_config *cfg, const char *opt,
		 const char *value, struct err *e)
{
	if (cli_apply(cfg, opt, value, e) < 0)
		return err_prefix(e, "config '%s': %s", w->file, w->key);
	return 0;
}

static int apply_string(const struct where *w, struct vm_config *cfg, json_t *v,
			const char *opt, bool nullable, struct err *e)
{
	if (nullable && json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(w, e,
			   nullable ? "must be a string or null"
				    : "must be a string");
	return apply(w, cfg, opt, json_string_value(v), e);
}

/* A flag that turns something on (or, inverted, off). */
static int apply_bool(const struct where *w, struct vm_config *cfg, json_t *v,
		      const char *opt, bool when, struct err *e)
{
	if (!json_is_boolean(v))
		return bad(w, e, "must be true or false");
	return json_is_true(v) == when ? apply(w, cfg, opt, NULL, e) : 0;
}

/*
 * Checks obj is an object whose keys are all in keys (NULL-terminated);
 * the message lists them.
 */
static int check_keys(struct where *w, json_t *obj, const char *const *keys,
		      struct err *e)
{
	const char *k;
	json_t *v;

	if (!json_is_object(obj))
		return bad(w, e, "must be an object");
	json_object_foreach(obj, k, v)
	{
		char list[256] = "";
		size_t i, n = 0;

		(void)v;
		for (i = 0; keys[i]; i++)
			if (!strcmp(k, keys[i]))
				break;
		if (keys[i])
			continue;
		for (i = 0; keys[i] && n < sizeof(list); i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n,
					      "%s%s", i ? ", " : "", keys[i]);
		return err_set(e,
			       "config '%s': %s: unknown key '%s' "
			       "(expected %s)",
			       w->file, w->key, k, list);
	}
	return 0;
}

/* A string without commas: it becomes part of a KEY=VALUE list. */
static const char *list_value(struct where *w, json_t *v, const char *name,
			      struct err *e)
{
	const char *s = json_string_value(v);

	{
		char base[sizeof(w->key)];

		strcpy(base, w->key);
		at(w, "%s.%s", base, name);
	}
	if (!s) {
		bad(w, e, "must be a string");
		return NULL;
	}
	if (strchr(s, ',')) {
		bad(w, e, "must not contain ','");
		return NULL;
	}
	return s;
}

static int load_disk(struct where *w, struct vm_config *cfg, json_t *d,
		     struct err *e)
{
	static const char *const keys[] = { "path", "read_only", "serial",
					    "poll_us", NULL };
	char arg[VM_DISK_PATH_MAX + 64], base[sizeof(w->key)];
	json_t *ro = json_object_get(d, "read_only");
	json_t *serial = json_object_get(d, "serial");
	json_t *poll = json_object_get(d, "poll_us");
	char pollarg[32] = "";
	const char *path, *sv = NULL;

	if (check_keys(w, d, keys, e) < 0)
		return -1;
	strcpy(base, w->key);
	path = list_value(w, json_object_get(d, "path"), "path", e);
	if (!path)
		return -1;
	at(w, "%s.read_only", base);
	if (ro && !json_is_boolean(ro))
		return bad(w, e, "must be true or false");
	at(w, "%s", base);
	if (serial && !(sv = list_value(w, serial, "serial", e)))
		return -1;
	at(w, "%s.poll_us", base);
	/* Its range is checked where --disk poll= is. */
	if (poll && (!json_is_integer(poll) || json_integer_value(poll) < 0))
		return bad(w, e, "must be a number of microseconds");
	if (poll)
		snprintf(pollarg, sizeof(pollarg), ",poll=%lld",
			 (long long)json_integer_value(poll));
	at(w, "%s", base);
	snprintf(arg, sizeof(arg), "%s%s%s%s%s", path,
		 json_is_true(ro) ? ",ro" : "", sv ? ",serial=" : "",
		 sv ? sv : "", pollarg);
	return apply(w, cfg, "--disk", arg, e);
}

static int load_net(struct where *w, struct vm_config *cfg, json_t *n,
		    struct err *e)
{
	static const char *const keys[] = { "tap", "mac", NULL };
	json_t *mac = json_object_get(n, "mac");
	const char *tap, *mv = NULL;
	char arg[128], base[sizeof(w->key)];

	if (check_keys(w, n, keys, e) < 0)
		return -1;
	strcpy(base, w->key);
	tap = list_value(w, json_object_get(n, "tap"), "tap", e);
	if (!tap)
		return -1;
	at(w, "%s", base);
	if (mac && !(mv = list_value(w, mac, "mac", e)))
		return -1;
	at(w, "%s", base);
	snprintf(arg, sizeof(arg), "tap=%.40s%s%.40s", tap, mv ? ",mac=" : "",
		 mv ? mv : "");
	return apply(w, cfg, "--net", arg, e);
}

/* An array of objects, each through load. */
static int load_list(struct where *w, struct vm_config *cfg, json_t *a,
		     int (*load)(struct where *, struct vm_config *, json_t *,
				 struct err *),
		     struct err *e)
{
	char name[sizeof(w->key)];
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return bad(w, e, "must be an array");
	strcpy(name, w->key);
	json_array_foreach(a, i, v)
	{
		at(w, "%s[%zu]", name, i);
		if (load(w, cfg, v, e) < 0)
			return -1;
	}
	return 0;
}

static int load_vsock(struct where *w, struct vm_config *cfg, json_t *v,
		      struct err *e)
{
	static const char *const keys[] = { "cid", "uds", NULL };
	json_t *cid = json_object_get(v, "cid"), *uds;
	char arg[64 + VM_VSOCK_UDS_MAX];

	if (json_is_null(v))
		return 0;
	if (check_keys(w, v, keys, e) < 0)
		return -1;
	uds = json_object_get(v, "uds");
	/* CIDs 0-2 are the hypervisor's, the local and the host's. */
	if (!json_is_integer(cid) || json_integer_value(cid) < 3 ||
	    json_integer_value(cid) >= UINT32_MAX)
		return bad(w, e, "cid must be an integer from 3 to 4294967294");
	if (!json_is_string(uds) || strchr(json_string_value(uds), ','))
		return bad(w, e, "uds must be a socket path (without commas)");
	snprintf(arg, sizeof(arg), "cid=%lld,uds=%s",
		 (long long)json_integer_value(cid), json_string_value(uds));
	return apply(w, cfg, "--vsock", arg, e);
}

static int load_overrides(struct where *w, struct vm_config *cfg, json_t *o,
			  struct err *e)
{
	const char *dev;
	json_t *t;

	if (!json_is_object(o))
		return bad(w, e, "must be an object {DEV: TRANSPORT}");
	json_object_foreach(o, dev, t)
	{
		char arg[96];

		if (!json_is_string(t))
			return bad(w, e, "values must be strings");
		snprintf(arg, sizeof(arg), "%.40s=%.40s", dev,
			 json_string_value(t));
		if (apply(w, cfg, "--virtio-transport", arg, e) < 0)
			return -1;
	}
	return 0;
}

static int load_features(struct where *w, struct vm_config *cfg, json_t *f,
			 struct err *e)
{
	static const char *const keys[] = { "acpi",
					    "dtb",
					    "host_quirks",
					    "pvh",
					    "guest_decompress",
					    "map_images",
					    "copy_images",
					    NULL };
	static const struct {
		const char *key, *opt;
		bool when; /* the value that applies opt */
	} map[] = {
		{ "acpi", "--no-acpi", false },
		{ "dtb", "--dtb", true },
		{ "host_quirks", "--no-host-quirks", false },
		{ "pvh", "--pvh", true },
		{ "guest_decompress", "--guest-decompress", true },
		{ "map_images", "--map-images", true },
		{ "copy_images", "--copy-images", true },
	};
	char base[sizeof(w->key)];
	size_t i;

	if (check_keys(w, f, keys, e) < 0)
		return -1;
	strcpy(base, w->key);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		json_t *v = json_object_get(f, map[i].key);

		at(w, "%s.%s", base, map[i].key);
		if (v && apply_bool(w, cfg, v, map[i].opt, map[i].when, e) < 0)
			return -1;
	}
	return 0;
}

/* A number or a string ("4096", "16G", "unlimited"), as --rlimit reads. */
static int load_rlimits(struct where *w, struct vm_config *cfg, json_t *r,
			struct err *e)
{
	static const char *const keys[] = { "nofile", "fsize", "memlock",
					    NULL };
	char base[sizeof(w->key)], arg[96];
	const char *k;
	json_t *v;

	if (check_keys(w, r, keys, e) < 0)
		return -1;
	strcpy(base, w->key);
	json_object_foreach(r, k, v)
	{
		at(w, "%s.%s", base, k);
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			snprintf(arg, sizeof(arg), "%s=%lld", k,
				 (long long)json_integer_value(v));
		else if (json_is_string(v))
			snprintf(arg, sizeof(arg), "%s=%.40s", k,
				 json_string_value(v));
		else
			return bad(w, e,
				   "must be a non-negative integer or a "
				   "string");
		if (apply(w, cfg, "--rlimit", arg, e) < 0)
			return -1;
	}
	return 0;
}

/* {"uid": N, "gid": N, "jail": DIR, "rlimits": {...}} */
static int load_sandbox(struct where *w, struct vm_config *cfg, json_t *s,
			struct err *e)
{
	static const char *const keys[] = { "uid", "gid", "jail", "rlimits",
					    NULL };
	static const char *const ids[] = { "uid", "gid" };
	char base[sizeof(w->key)], buf[32];
	json_t *v;
	size_t i;

	if (check_keys(w, s, keys, e) < 0)
		return -1;
	strcpy(base, w->key);
	for (i = 0; i < 2; i++) {
		char opt[8];

		v = json_object_get(s, ids[i]);
		if (!v || json_is_null(v))
			continue;
		at(w, "%s.%s", base, ids[i]);
		if (!json_is_integer(v))
			return bad(w, e, "must be an integer");
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)json_integer_value(v));
		snprintf(opt, sizeof(opt), "--%s", ids[i]);
		if (apply(w, cfg, opt, buf, e) < 0)
			return -1;
	}
	v = json_object_get(s, "jail");
	at(w, "%s.jail", base);
	if (v && apply_string(w, cfg, v, "--jail", true, e) < 0)
		return -1;
	v = json_object_get(s, "rlimits");
	at(w, "%s.rlimits", base);
	return v ? load_rlimits(w, cfg, v, e) : 0;
}

static int load_memory(struct where *w, struct vm_config *cfg, json_t *v,
		       struct err *e)
{
	char buf[32];

	if (json_is_integer(v)) {
		/* A bare number is MiB, as on the command line. */
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)json_integer_value(v));
		return apply(w, cfg, "--memory", buf, e);
	}
	if (!json_is_string(v))
		return bad(w, e,
			   "must be a size string (\"512M\") or an "
			   "integer (MiB)");
	return apply(w, cfg, "--memory", json_string_value(v), e);
}

static int load_cpus(struct where *w, struct vm_config *cfg, json_t *v,
		     struct err *e)
{
	char buf[32];

	if (!json_is_integer(v))
		return bad(w, e, "must be an integer");
	snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
	return apply(w, cfg, "--cpus", buf, e);
}

/* "on", "log" (--seccomp) or "off" (--no-seccomp). */
static int load_seccomp(struct where *w, struct vm_config *cfg, json_t *v,
			struct err *e)
{
	if (json_is_string(v) && !strcmp(json_string_value(v), "off"))
		return apply(w, cfg, "--no-seccomp", NULL, e);
	return apply_string(w, cfg, v, "--seccomp", false, e);
}

static int load_doc(struct where *w, struct vm_config *cfg, json_t *doc,
		    struct err *e)
{
	static const char *const keys[] = {
		"kernel",   "initrd",	  "cmdline",   "cpus",
		"memory",   "console",	  "rng",       "disks",
		"nets",	    "vsock",	  "transport", "virtio_transport",
		"features", "api_socket", "sandbox",   "seccomp",
		NULL
	};
	const char *k;
	json_t *v;
	int ret = 0;

	at(w, "top level");
	if (check_keys(w, doc, keys, e) < 0)
		return -1;
	json_object_foreach(doc, k, v)
	{
		at(w, "%s", k);
		if (!strcmp(k, "kernel"))
			ret = apply_string(w, cfg, v, "--kernel", true, e);
		else if (!strcmp(k, "initrd"))
			ret = apply_string(w, cfg, v, "--initrd", true, e);
		else if (!strcmp(k, "cmdline"))
			ret = apply_string(w, cfg, v, "--cmdline", false, e);
		else if (!strcmp(k, "cpus"))
			ret = load_cpus(w, cfg, v, e);
		else if (!strcmp(k, "memory"))
			ret = load_memory(w, cfg, v, e);
		else if (!strcmp(k, "console"))
			ret = apply_string(w, cfg, v, "--console", false, e);
		else if (!strcmp(k, "rng"))
			ret = apply_bool(w, cfg, v, "--rng", true, e);
		else if (!strcmp(k, "disks"))
			ret = load_list(w, cfg, v, load_disk, e);
		else if (!strcmp(k, "nets"))
			ret = load_list(w, cfg, v, load_net, e);
		else if (!strcmp(k, "vsock"))
			ret = load_vsock(w, cfg, v, e);
		else if (!strcmp(k, "transport"))
			ret = apply_string(w, cfg, v, "--transport", false, e);
		else if (!strcmp(k, "virtio_transport"))
			ret = load_overrides(w, cfg, v, e);
		else if (!strcmp(k, "features"))
			ret = load_features(w, cfg, v, e);
		else if (!strcmp(k, "sandbox"))
			ret = load_sandbox(w, cfg, v, e);
		else if (!strcmp(k, "api_socket"))
			ret = apply_string(w, cfg, v, "--api-socket", true, e);
		else if (!strcmp(k, "seccomp"))
			ret = load_seccomp(w, cfg, v, e);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int load(json_t *doc, const json_error_t *jerr, const char *what,
		struct vm_config *cfg, struct err *e)
{
	struct where w = { .file = what };

	if (!doc && jerr->line < 1)
		return err_set(e, "config '%s': %s", what, jerr->text);
	if (!doc)
		return err_set(e, "config '%s': line %d, column %d: %s", what,
			       jerr->line, jerr->column, jerr->text);
	if (load_doc(&w, cfg, doc, e) < 0) {
		json_decref(doc);
		return -1;
	}
	config_file_free(cfg);
	cfg->config_doc = doc;
	return 0;
}

int config_file_parse(const char *text, size_t len, const char *what,
		      struct vm_config *cfg, struct err *e)
{
	json_error_t jerr;

	return load(json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), &jerr,
		    what, cfg, e);
}

int config_file_load(const char *path, struct vm_config *cfg, struct err *e)
{
	json_error_t jerr;
	struct stat st;

	/* A FIFO would block the read until a writer comes. */
	if (stat(path, &st) < 0)
		return err_errno(e, errno, "config '%s'", path);
	if (!S_ISREG(st.st_mode))
		return err_set(e, "config '%s': not a regular file", path);
	return load(json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), &jerr,
		    path, cfg, e);
}

void config_file_free(struct vm_config *cfg)
{
	json_decref(cfg->config_doc);
	cfg->config_doc = NULL;
}
