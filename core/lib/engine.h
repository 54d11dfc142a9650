/*
 * engine.h -- engine internals shared with the command and the tests.
 */
#ifndef DG_ENGINE_H
#define DG_ENGINE_H

#include "catalog.h"
#include "dangan/plugin.h"
#include "store.h"

/* The host-API table handed to plugins. */
const struct dg_host *dg_engine_host(void);
/* Catch the catalog up after an interrupted run (journal replay). */
int dg_engine_recover(struct dg_store *s, struct dg_catalog *c, struct dg_err *err);
/* The config file in force: explicit, $DANGAN_CONFIG, the store's
 * config.xml, else the installed default. */
char *dg_engine_config_path(const char *store_root, const char *config);

/* A context outside an ingest run (export, verify): plugin m's calls
 * log at verbosity and report findings and progress through hooks
 * (which may be NULL). */
struct dg_ctx_hooks {
	void (*finding)(void *arg, enum dg_finding_level level, const char *code, const char *where, const char *msg);
	void (*progress)(void *arg, int64_t bytes);
	void *arg;
};
struct dg_module;
struct dg_ctx *dg_ctx_new(const struct dg_module *m, int verbosity, const struct dg_ctx_hooks *hooks);
void dg_ctx_free(struct dg_ctx *ctx);
/* Give a standalone context a store, so that state_dir() works there
 * (`dangan train`): the plugin's directory under ROOT/state/. */
int dg_ctx_set_store(struct dg_ctx *ctx, const char *root);
/* The error a plugin set on ctx (NULL if none), and clearing it. */
const char *dg_ctx_error(struct dg_ctx *ctx);
void dg_ctx_clear_error(struct dg_ctx *ctx);
/* A concurrent export: ctx is about to process document seq of t, and
 * has done so (its turn is marked had if the plugin did not take it). */
struct dg_turns;
/* The export's package will be checked by the plugin's verify(). */
void dg_ctx_set_verified_after(struct dg_ctx *ctx, int on);
void dg_ctx_begin_turn(struct dg_ctx *ctx, struct dg_turns *t, size_t seq);
void dg_ctx_end_turn(struct dg_ctx *ctx);

/* A committed version read back from the store, as a document the
 * host functions accept (read only; parts point at the objects). */
struct dg_doc *dg_stored_doc_load(const struct dg_store *s, const char *manifest_hex, struct dg_err *err);
void dg_stored_doc_free(struct dg_doc *d);

#endif
