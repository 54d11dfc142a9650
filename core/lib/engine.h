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

#endif
