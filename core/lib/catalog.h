/*
 * catalog.h -- the searchable index over the store (SQLite, WAL, FTS5
 * with the trigram tokenizer so that Chinese substrings are found
 * without word segmentation).  Only an index: everything in it is
 * rebuilt from the store by dg_catalog_rebuild().  Every statement
 * binds its values.  Internal.
 */
#ifndef DG_CATALOG_H
#define DG_CATALOG_H

#include <stdint.h>

#include "record.h"
#include "util.h"

struct dg_catalog;
struct dg_store;

struct dg_catalog_row {
	const char *id; /* hex */
	const char *manifest;
	const char *media_type;
	int64_t size;
	const char *name;
	const char *path;
	const char *title;
	const char *status;
	int64_t created_us, updated_us;
	const char *snippet; /* search only */
};

typedef int (*dg_catalog_cb)(void *ctx, const struct dg_catalog_row *row);

int dg_catalog_open(struct dg_catalog **out, const char *path, struct dg_err *err);
void dg_catalog_free(struct dg_catalog *c);
int dg_catalog_begin(struct dg_catalog *c);
int dg_catalog_commit(struct dg_catalog *c);
void dg_catalog_rollback(struct dg_catalog *c);
/* Index the current version of a document (replacing the previous). */
int dg_catalog_put(struct dg_catalog *c, const char *manifest_hex, const struct dg_record *r, int64_t first_us,
                   const char *text, size_t textlen);
int dg_catalog_remove(struct dg_catalog *c, const char *doc_hex);
int dg_catalog_clear(struct dg_catalog *c);
/* Index a committed record (its text part is read from the store).
 * The catalog keeps the earliest first_us it was given for a document. */
int dg_catalog_index_record(struct dg_catalog *c, struct dg_store *s, const char *manifest_hex,
                            const struct dg_record *r, int64_t first_us, struct dg_err *err);
/* Index one document from the store (reads its manifest and text). */
int dg_catalog_index_doc(struct dg_catalog *c, struct dg_store *s, const char *doc_hex, struct dg_err *err);
/* Rebuild everything from the store; returns documents indexed or -1. */
int64_t dg_catalog_rebuild(struct dg_catalog *c, struct dg_store *s, struct dg_err *err);

/* Resolve a unique id prefix (with or without "sha256:"). */
int dg_catalog_resolve(struct dg_catalog *c, const char *prefix, char hex[65], struct dg_err *err);
int dg_catalog_get(struct dg_catalog *c, const char *hex, dg_catalog_cb cb, void *ctx);
int dg_catalog_list(struct dg_catalog *c, int64_t limit, dg_catalog_cb cb, void *ctx);
/* Substring search (terms ANDed); raw = pass query as an FTS5 expression. */
int dg_catalog_search(struct dg_catalog *c, const char *query, int raw, int64_t limit, dg_catalog_cb cb, void *ctx,
                      struct dg_err *err);
/* Documents that have a metadata key; row.snippet holds its values. */
/* The mail thread of a document: every message linked to it through
 * email.message-id, email.in-reply-to and email.references, however
 * indirectly (at most 10000 ids followed), in date order.  cb gets each
 * message's id, ISO date, sender and subject (any may be NULL).
 * Returns the number of messages (the document itself included when it
 * is a message), or -1. */
int64_t dg_catalog_thread(struct dg_catalog *c, const char *doc_hex,
                          int (*cb)(void *ctx, const char *id, const char *date, const char *from, const char *subject),
                          void *ctx);
/* The documents that contain doc_hex (their "contains" relations), with
 * the relation's label; cb returns non-zero to stop.  -1 on error. */
int dg_catalog_containers(struct dg_catalog *c, const char *doc_hex,
                          int (*cb)(void *ctx, const char *id, const char *label), void *ctx);
int dg_catalog_with_meta(struct dg_catalog *c, const char *key, dg_catalog_cb cb, void *ctx);
int dg_catalog_stats(struct dg_catalog *c, int64_t *docs, int64_t *bytes);
/* Each (doc hex, manifest hex) the catalog holds. */
int dg_catalog_each(struct dg_catalog *c, int (*cb)(void *ctx, const char *doc, const char *manifest), void *ctx);
/* Media type counts: cb(ctx, type, count). */
int dg_catalog_types(struct dg_catalog *c, int (*cb)(void *ctx, const char *type, int64_t n), void *ctx);

#endif
