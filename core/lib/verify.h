/*
 * verify.h -- proving a store consistent: every object re-hashed
 * against its name, every ref's manifest chain readable, every part it
 * names present with the right size, quarantine bytes present, and the
 * catalog in step with the refs.  Objects nothing refers to (left by an
 * interrupted ingest) are counted, not errors.  Internal.
 */
#ifndef DG_VERIFY_H
#define DG_VERIFY_H

#include "catalog.h"
#include "store.h"

struct dg_verify_result {
	int64_t objects, documents, versions, quarantined, strays, errors;
	int64_t bytes;
};

/* problem(ctx, kind, id, message) is called for each error found. */
int dg_verify(struct dg_store *s, struct dg_catalog *c,
              void (*problem)(void *ctx, const char *kind, const char *id, const char *msg), void *ctx,
              struct dg_verify_result *res);

#endif
