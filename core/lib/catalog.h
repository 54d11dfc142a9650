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

/* Bytes of a text part indexed (a larger text is not indexed, and so
 * gets no fingerprint either). */
#define DG_CATALOG_TEXT_LIMIT ((size_t)32 << 20)

/* Relations between near-duplicates (simhash.h).  The later document's
 * manifest records near-duplicate-of, at commit; the earlier document is
 * never rewritten for it: its has-near-duplicate is that relation read
 * backwards (dg_catalog_near_links). */
#define DG_REL_NEAR_DUPLICATE_OF "near-duplicate-of"
#define DG_REL_HAS_NEAR_DUPLICATE "has-near-duplicate"

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

/* The catalog was made by an older version and has documents: the tables
 * added since (dossiers, fingerprints) are filled by a reindex only. */
int dg_catalog_stale(const struct dg_catalog *c);

/* ---- near-duplicates ----
 * Every document whose text part gives a fingerprint (simhash.h) has it
 * in the catalog, computed from the text when the document is indexed. */
/* 1 with *h set, 0 when the document has none, -1 on error. */
int dg_catalog_simhash(struct dg_catalog *c, const char *doc_hex, uint64_t *h);
/* The documents whose fingerprint is within DG_SIMHASH_NEAR bits of h
 * (except the document except, may be NULL): cb gets each with its
 * fingerprint and distance, non-zero stops.  Returns how many, or -1. */
int dg_catalog_near(struct dg_catalog *c, uint64_t h, const char *except,
                    int (*cb)(void *ctx, const char *doc, uint64_t hash, int distance), void *ctx);
/* A document's near-duplicate links, both ways: relation is
 * DG_REL_NEAR_DUPLICATE_OF (this document's manifest names the other) or
 * DG_REL_HAS_NEAR_DUPLICATE (the other's names this one). */
int dg_catalog_near_links(struct dg_catalog *c, const char *doc_hex,
                          int (*cb)(void *ctx, const char *other, const char *relation, const char *label), void *ctx);

/* ---- dossiers (dossier.h) ----
 * A document with 户号 values is filed under each; the dossier keeps
 * the customer fields of its newest document that has them. */
struct dg_dossier_row {
	const char *account; /* 户号 */
	const char *name;    /* 户名, may be NULL */
	int64_t first_us;    /* when its first document came */
	int64_t updated_us;  /* its newest document version */
	int64_t ndocs;
	const char *last_date; /* the latest formation date */
};
struct dg_dossier_doc {
	const char *id;
	const char *formed;      /* YYYY-MM-DD */
	const char *formed_from; /* the metadata key, or "ingested" */
	const char *doctype;     /* may be NULL */
	const char *title;       /* may be NULL */
	const char *business;    /* 业务类型 values joined, may be NULL */
	const char *near_of;     /* ids it is a near-duplicate of, space-separated, may be NULL */
	int64_t first_us;
};
/* Dossiers in 户号 order (only that one when account is not NULL);
 * returns how many, or -1. */
int dg_catalog_dossiers(struct dg_catalog *c, const char *account,
                        int (*cb)(void *ctx, const struct dg_dossier_row *row), void *ctx);
/* Its customer fields, in the order of dg_dossier_fields. */
int dg_catalog_dossier_fields(struct dg_catalog *c, const char *account,
                              int (*cb)(void *ctx, const char *key, const char *value, const char *doc), void *ctx);
/* Its documents by formation date (then arrival); returns how many. */
int dg_catalog_dossier_docs(struct dg_catalog *c, const char *account,
                            int (*cb)(void *ctx, const struct dg_dossier_doc *doc), void *ctx);
/* The distinct values of a metadata key among its documents, sorted. */
int dg_catalog_dossier_values(struct dg_catalog *c, const char *account, const char *key,
                              int (*cb)(void *ctx, const char *value), void *ctx);

#endif
