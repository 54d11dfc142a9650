/*
 * loader.h -- finding, loading and checking plugin modules, and the
 * option values of one stage instance.  Plugins are found by name only
 * (never by a path taken from a config file or a document): the name
 * must match [a-z0-9-]{1,64} and the module is dg-<name>.so in one of
 * the plugin directories (DANGAN_PLUGIN_PATH, colon-separated, else
 * the installed plugin directory).  Internal.
 */
#ifndef DG_LOADER_H
#define DG_LOADER_H

#include "dangan/plugin.h"
#include "util.h"

struct dg_module {
	char *name;
	char *path;
	void *handle;
	const struct dg_plugin *desc;
};

struct dg_registry;

struct dg_registry *dg_registry_new(const char *plugin_path);
void dg_registry_free(struct dg_registry *reg);
const char *dg_registry_path(const struct dg_registry *reg);
/* Load a plugin by name (cached); NULL with err set on refusal. */
const struct dg_module *dg_registry_get(struct dg_registry *reg, const char *name, struct dg_err *err);
/* Load one module file and check it (used by the above and by tests). */
int dg_module_load(const char *path, struct dg_module *m, struct dg_err *err);
void dg_module_release(struct dg_module *m);
/* Load every dg-*.so in the plugin directories.  Modules that fail
 * are reported through cb with m == NULL. */
int dg_registry_load_all(struct dg_registry *reg,
                         void (*cb)(void *ctx, const char *path, const struct dg_module *m, const char *error),
                         void *ctx);
/* All loaded source plugins, for bidding on a locator. */
size_t dg_registry_count(const struct dg_registry *reg);
const struct dg_module *dg_registry_at(const struct dg_registry *reg, size_t i);

int dg_plugin_name_ok(const char *name);
const char *dg_kind_name(enum dg_kind k);

/* Option values of one stage instance. */
struct dg_opts;
struct dg_opts *dg_opts_new(const struct dg_plugin *p);
void dg_opts_free(struct dg_opts *o);
/* Set from text; checks name and type; err says what is wrong. */
int dg_opts_set(struct dg_opts *o, const char *name, const char *value, struct dg_err *err);
/* Apply defaults to unset options; fails if an option has no value. */
int dg_opts_finish(struct dg_opts *o, struct dg_err *err);
const char *dg_opts_string(const struct dg_opts *o, const char *name);
int64_t dg_opts_int(const struct dg_opts *o, const char *name);
/* A plugin's options from "NAME=VALUE" strings (the command line's -O),
 * checked and defaulted; NULL with err set. */
struct dg_opts *dg_opts_parse(const struct dg_plugin *p, const char *const *options, size_t n, struct dg_err *err);
int dg_opts_bool(const struct dg_opts *o, const char *name);

#endif
