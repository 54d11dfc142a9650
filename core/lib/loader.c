/* loader.c -- see loader.h. */
#include <config.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"

#ifndef DG_PLUGINDIR
#define DG_PLUGINDIR "/usr/local/lib/dangan/plugins"
#endif

#define MAX_MODULES 256

struct dg_registry {
	char *path; /* colon-separated directories */
	struct dg_module mods[MAX_MODULES];
	size_t n;
	pthread_mutex_t lock;
};

int
dg_plugin_name_ok(const char *name)
{
	size_t i;

	if (!name || !*name || strlen(name) > 64)
		return 0;
	for (i = 0; name[i]; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return name[0] != '-';
}

const char *
dg_kind_name(enum dg_kind k)
{
	switch (k) {
	case DG_KIND_SOURCE: return "source";
	case DG_KIND_DETECT: return "detect";
	case DG_KIND_TRANSFORM: return "transform";
	case DG_KIND_CLASSIFY: return "classify";
	case DG_KIND_VALIDATE: return "validate";
	case DG_KIND_EXPORT: return "export";
	case DG_KIND_STORE: return "store";
	}
	return "unknown";
}

struct dg_registry *
dg_registry_new(const char *plugin_path)
{
	struct dg_registry *reg = dg_calloc(1, sizeof(*reg));
	const char *env = getenv("DANGAN_PLUGIN_PATH");

	if (!reg)
		return NULL;
	if (!plugin_path)
		plugin_path = env && *env ? env : DG_PLUGINDIR;
	reg->path = dg_strdup(plugin_path);
	if (!reg->path) {
		dg_free(reg);
		return NULL;
	}
	pthread_mutex_init(&reg->lock, NULL);
	return reg;
}

void
dg_module_release(struct dg_module *m)
{
	/* Modules are never dlclose()d: a plugin's library may have
	 * registered atexit handlers or thread-local destructors. */
	dg_free(m->name);
	dg_free(m->path);
	memset(m, 0, sizeof(*m));
}

void
dg_registry_free(struct dg_registry *reg)
{
	size_t i;

	if (!reg)
		return;
	for (i = 0; i < reg->n; i++)
		dg_module_release(&reg->mods[i]);
	pthread_mutex_destroy(&reg->lock);
	dg_free(reg->path);
	dg_free(reg);
}

const char *
dg_registry_path(const struct dg_registry *reg)
{
	return reg->path;
}

int
dg_module_load(const char *path, struct dg_module *m, struct dg_err *err)
{
	const struct dg_plugin *(*fn)(void);
	const struct dg_plugin *d;
	void *h;

	memset(m, 0, sizeof(*m));
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		dg_err_set(err, DG_FATAL, "%s: cannot load: %s", path, dlerror());
		return -1;
	}
	*(void **)(&fn) = dlsym(h, DG_PLUGIN_SYMBOL);
	if (!fn) {
		dg_err_set(err, DG_FATAL, "%s: not a dangan plugin (no %s symbol)", path, DG_PLUGIN_SYMBOL);
		return -1;
	}
	d = fn();
	if (!d) {
		dg_err_set(err, DG_FATAL, "%s: descriptor function returned nothing", path);
		return -1;
	}
	if (d->magic != DG_PLUGIN_MAGIC) {
		dg_err_set(err, DG_FATAL, "%s: bad plugin magic 0x%08x (expected 0x%08x)", path, (unsigned)d->magic,
		           (unsigned)DG_PLUGIN_MAGIC);
		return -1;
	}
	if (d->abi_major != DG_ABI_MAJOR) {
		dg_err_set(err, DG_FATAL, "%s: plugin ABI %u.%u is incompatible with engine ABI %u.%u (major differs)",
		           path, d->abi_major, d->abi_minor, DG_ABI_MAJOR, DG_ABI_MINOR);
		return -1;
	}
	if (d->abi_minor > DG_ABI_MINOR) {
		dg_err_set(err, DG_FATAL, "%s: plugin ABI %u.%u is newer than engine ABI %u.%u (upgrade dangan)", path,
		           d->abi_major, d->abi_minor, DG_ABI_MAJOR, DG_ABI_MINOR);
		return -1;
	}
	if (d->struct_size < DG_PLUGIN_MIN_SIZE) {
		dg_err_set(err, DG_FATAL, "%s: plugin descriptor too small (%u bytes, ABI %u.%u needs %zu)", path,
		           (unsigned)d->struct_size, d->abi_major, d->abi_minor, (size_t)DG_PLUGIN_MIN_SIZE);
		return -1;
	}
	if (!dg_plugin_name_ok(d->name)) {
		dg_err_set(err, DG_FATAL, "%s: invalid plugin name", path);
		return -1;
	}
	if (d->kind == DG_KIND_SOURCE ? !d->scan : !d->process) {
		dg_err_set(err, DG_FATAL, "%s: plugin '%s' lacks its %s callback", path, d->name,
		           d->kind == DG_KIND_SOURCE ? "scan" : "process");
		return -1;
	}
	if (d->kind == DG_KIND_EXPORT && (!DG_PLUGIN_HAS(d, export_end) || !d->export_begin || !d->export_end)) {
		dg_err_set(err, DG_FATAL, "%s: export plugin '%s' lacks export_begin/export_end", path, d->name);
		return -1;
	}
	m->handle = h;
	m->desc = d;
	m->name = dg_strdup(d->name);
	m->path = dg_strdup(path);
	if (!m->name || !m->path) {
		dg_module_release(m);
		dg_err_set(err, DG_FATAL, "out of memory");
		return -1;
	}
	return 0;
}

static const struct dg_module *
find_loaded(struct dg_registry *reg, const char *name)
{
	size_t i;

	for (i = 0; i < reg->n; i++)
		if (strcmp(reg->mods[i].name, name) == 0)
			return &reg->mods[i];
	return NULL;
}

static const struct dg_module *
add_module(struct dg_registry *reg, const char *path, struct dg_err *err)
{
	struct dg_module m;
	const struct dg_module *have;

	if (dg_module_load(path, &m, err) < 0)
		return NULL;
	have = find_loaded(reg, m.name);
	if (have) {
		dg_module_release(&m);
		return have;
	}
	if (reg->n == MAX_MODULES) {
		dg_module_release(&m);
		dg_err_set(err, DG_FATAL, "too many plugins");
		return NULL;
	}
	reg->mods[reg->n] = m;
	return &reg->mods[reg->n++];
}

const struct dg_module *
dg_registry_get(struct dg_registry *reg, const char *name, struct dg_err *err)
{
	const struct dg_module *m = NULL;
	char *dirs = NULL, *dir, *save = NULL;

	if (!dg_plugin_name_ok(name)) {
		dg_err_set(err, DG_FATAL, "invalid plugin name '%s' (letters a-z, digits and '-')", name);
		return NULL;
	}
	pthread_mutex_lock(&reg->lock);
	m = find_loaded(reg, name);
	if (m)
		goto out;
	dirs = dg_strdup(reg->path);
	if (!dirs)
		goto out;
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *path = dg_asprintf("%s/dg-%s.so", dir, name);
		if (!path)
			break;
		if (access(path, F_OK) == 0) {
			m = add_module(reg, path, err);
			if (m && strcmp(m->name, name) != 0) {
				dg_err_set(err, DG_FATAL, "%s: file is named for '%s' but the plugin calls itself '%s'",
				           path, name, m->name);
				m = NULL;
			}
			dg_free(path);
			goto out;
		}
		dg_free(path);
	}
	dg_err_set(err, DG_FATAL, "no plugin named '%s' (searched %s)", name, reg->path);
out:
	pthread_mutex_unlock(&reg->lock);
	dg_free(dirs);
	return m;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
dg_registry_load_all(struct dg_registry *reg,
                     void (*cb)(void *ctx, const char *path, const struct dg_module *m, const char *error), void *ctx)
{
	char *dirs = dg_strdup(reg->path), *dir, *save = NULL;
	int failures = 0;

	if (!dirs)
		return -1;
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		DIR *d = opendir(dir);
		struct dirent *e;
		char *names[MAX_MODULES];
		size_t n = 0, i;

		if (!d)
			continue;
		while ((e = readdir(d)) != NULL && n < MAX_MODULES) {
			size_t len = strlen(e->d_name);
			if (len > 6 && strncmp(e->d_name, "dg-", 3) == 0 && strcmp(e->d_name + len - 3, ".so") == 0)
				if ((names[n] = dg_strdup(e->d_name)) != NULL)
					n++;
		}
		closedir(d);
		qsort(names, n, sizeof(names[0]), cmp_str);
		for (i = 0; i < n; i++) {
			char *path = dg_path_join(dir, names[i]);
			struct dg_err err = {0};
			const struct dg_module *m;
			if (path) {
				pthread_mutex_lock(&reg->lock);
				m = add_module(reg, path, &err);
				pthread_mutex_unlock(&reg->lock);
				if (!m)
					failures++;
				if (cb)
					cb(ctx, path, m, m ? NULL : err.msg);
			}
			dg_free(path);
			dg_free(names[i]);
		}
	}
	dg_free(dirs);
	return failures;
}

size_t
dg_registry_count(const struct dg_registry *reg)
{
	return reg->n;
}

const struct dg_module *
dg_registry_at(const struct dg_registry *reg, size_t i)
{
	return i < reg->n ? &reg->mods[i] : NULL;
}

/* ---- options -------------------------------------------------------- */

struct opt_value {
	const struct dg_option *spec;
	char *text;
	int64_t i;
	int set;
};

struct dg_opts {
	const struct dg_plugin *plugin;
	struct opt_value *v;
	size_t n;
};

struct dg_opts *
dg_opts_new(const struct dg_plugin *p)
{
	struct dg_opts *o = dg_calloc(1, sizeof(*o));
	size_t n = 0, i;

	if (!o)
		return NULL;
	o->plugin = p;
	while (p->options && p->options[n].name)
		n++;
	o->v = dg_calloc(n ? n : 1, sizeof(*o->v));
	if (!o->v) {
		dg_free(o);
		return NULL;
	}
	o->n = n;
	for (i = 0; i < n; i++)
		o->v[i].spec = &p->options[i];
	return o;
}

void
dg_opts_free(struct dg_opts *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; i < o->n; i++)
		dg_free(o->v[i].text);
	dg_free(o->v);
	dg_free(o);
}

static struct opt_value *
opt_find(const struct dg_opts *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->v[i].spec->name, name) == 0)
			return &o->v[i];
	return NULL;
}

int
dg_opts_set(struct dg_opts *o, const char *name, const char *value, struct dg_err *err)
{
	struct opt_value *v = opt_find(o, name);
	const struct dg_option *s;
	int64_t i = 0;
	int b;
	char *t;

	if (!v) {
		dg_err_set(err, DG_FAILED, "plugin '%s' has no option '%s'", o->plugin->name, name);
		return -1;
	}
	s = v->spec;
	switch (s->type) {
	case DG_OPT_STRING: break;
	case DG_OPT_INT:
		if (dg_parse_i64(value, &i) < 0) {
			dg_err_set(err, DG_FAILED, "option '%s' of '%s': '%s' is not an integer", name, o->plugin->name,
			           value);
			return -1;
		}
		break;
	case DG_OPT_SIZE:
		if (dg_parse_size(value, &i) < 0) {
			dg_err_set(err, DG_FAILED, "option '%s' of '%s': '%s' is not a size (e.g. 512, 64K, 2G)", name,
			           o->plugin->name, value);
			return -1;
		}
		break;
	case DG_OPT_BOOL:
		if (dg_parse_bool(value, &b) < 0) {
			dg_err_set(err, DG_FAILED, "option '%s' of '%s': '%s' is not true or false", name,
			           o->plugin->name, value);
			return -1;
		}
		i = b;
		break;
	default:
		dg_err_set(err, DG_FAILED, "option '%s' of '%s' has an unknown type", name, o->plugin->name);
		return -1;
	}
	if ((s->type == DG_OPT_INT || s->type == DG_OPT_SIZE) && (s->min || s->max) && (i < s->min || i > s->max)) {
		dg_err_set(err, DG_FAILED, "option '%s' of '%s': %s is out of range %lld..%lld", name, o->plugin->name,
		           value, (long long)s->min, (long long)s->max);
		return -1;
	}
	t = dg_strdup(value);
	if (!t) {
		dg_err_set(err, DG_FAILED, "out of memory");
		return -1;
	}
	dg_free(v->text);
	v->text = t;
	v->i = i;
	v->set = 1;
	return 0;
}

int
dg_opts_finish(struct dg_opts *o, struct dg_err *err)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		struct opt_value *v = &o->v[i];
		if (v->set || !v->spec->default_value)
			continue;
		if (dg_opts_set(o, v->spec->name, v->spec->default_value, err) < 0) {
			size_t l = strlen(err->msg);
			snprintf(err->msg + l, sizeof(err->msg) - l, " (the plugin's own default)");
			return -1;
		}
	}
	return 0;
}

const char *
dg_opts_string(const struct dg_opts *o, const char *name)
{
	struct opt_value *v = o ? opt_find(o, name) : NULL;

	return v && v->set ? v->text : NULL;
}

int64_t
dg_opts_int(const struct dg_opts *o, const char *name)
{
	struct opt_value *v = o ? opt_find(o, name) : NULL;

	return v && v->set ? v->i : 0;
}

int
dg_opts_bool(const struct dg_opts *o, const char *name)
{
	return dg_opts_int(o, name) != 0;
}

struct dg_opts *
dg_opts_parse(const struct dg_plugin *p, const char *const *options, size_t n, struct dg_err *err)
{
	struct dg_opts *o = dg_opts_new(p);
	size_t i;

	if (!o) {
		dg_err_set(err, DG_FATAL, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		const char *eq = strchr(options[i], '=');
		char name[128];
		if (!eq || eq == options[i] || (size_t)(eq - options[i]) >= sizeof(name)) {
			dg_err_set(err, DG_FAILED, "option '%s': expected NAME=VALUE", options[i]);
			goto fail;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - options[i]), options[i]);
		if (dg_opts_set(o, name, eq + 1, err) < 0)
			goto fail;
	}
	if (dg_opts_finish(o, err) < 0)
		goto fail;
	return o;
fail:
	dg_opts_free(o);
	return NULL;
}
