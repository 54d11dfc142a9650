/*
 * store.h -- the content-addressed object store (one directory).
 *
 * Layout of a store directory:
 *   .dangan-store          marker (format version)
 *   objects/ab/cdef...     immutable objects (0444), named by SHA-256
 *   objects/tmp/           objects being written
 *   refs/ab/<doc hex>      the current manifest of a document
 *   quarantine/<id>.xml    documents that failed, with the reason
 *   journal                refs being published (catalog catch-up)
 *   catalog.db             the SQLite index (rebuildable)
 *   lock                   taken (flock) by the one writing process
 *
 * Write protocol: an object is written to objects/tmp/ while it is
 * hashed; dg_store_publish() makes a whole batch durable: one
 * filesystem sync for the data, then link() of each temp file to its
 * final name, a second sync for the names, then the refs (temp +
 * rename) and a third sync.  The ref rename is the commit point: an
 * interrupted batch leaves only temp files (cleaned at the next open)
 * or unreferenced objects (reported by verify, reused by the next
 * ingest).  A sync error fails the batch and is never retried.
 * Internal.
 */
#ifndef DG_STORE_H
#define DG_STORE_H

#include <stdint.h>

#include "record.h"
#include "util.h"

struct dg_store;

#define DG_STORE_WRITE 0x1  /* take the writer lock, clean temp files */
#define DG_STORE_CREATE 0x2 /* create the directory if missing */

int dg_store_open(struct dg_store **out, const char *root, int flags, struct dg_err *err);
void dg_store_free(struct dg_store *s);
const char *dg_store_root(const struct dg_store *s);
/* Absolute path of an object (whether it exists or not). */
char *dg_store_object_path(const struct dg_store *s, const char *hex);
int dg_store_has(const struct dg_store *s, const char *hex);

/* An object being written. */
struct dg_objw;
struct dg_objw *dg_objw_open(struct dg_store *s, struct dg_err *err);
int dg_objw_write(struct dg_objw *w, const void *buf, size_t len);
/* Finish hashing; the temp file stays until published or aborted. */
int dg_objw_close(struct dg_objw *w);
void dg_objw_abort(struct dg_objw *w);
const char *dg_objw_hex(const struct dg_objw *w);
const char *dg_objw_tmp_path(const struct dg_objw *w);
int64_t dg_objw_size(const struct dg_objw *w);
/* Free the handle, leaving the temp file for publish. */
char *dg_objw_detach(struct dg_objw *w);

/* Copy a file descriptor's content into a new object. */
int dg_store_put_fd(struct dg_store *s, int fd, char hex[65], char **tmp_path, int64_t *size, struct dg_err *err);
/* Write a memory buffer as an object (temp until published). */
int dg_store_put_mem(struct dg_store *s, const void *buf, size_t len, char hex[65], char **tmp_path,
                     struct dg_err *err);

/* A batch to publish: temp files to link, then refs to set. */
struct dg_publish {
	char **tmp; /* temp paths */
	char (*hex)[65];
	size_t ntmp, captmp;
	char (*ref_doc)[65];
	char (*ref_manifest)[65];
	size_t nref, capref;
};
void dg_publish_init(struct dg_publish *p);
void dg_publish_release(struct dg_publish *p);
int dg_publish_add_object(struct dg_publish *p, const char *tmp_path, const char *hex);
int dg_publish_add_ref(struct dg_publish *p, const char *doc_hex, const char *manifest_hex);
/* Make the batch durable in protocol order; after the refs are
 * renamed and synced, on_refs(ctx) is called (the catalog update) and
 * only then is the journal removed. */
int dg_store_publish(struct dg_store *s, struct dg_publish *p, int (*on_refs)(void *ctx), void *ctx,
                     struct dg_err *err);

/* Current manifest of a document: 1 found, 0 none, -1 error. */
int dg_store_ref_get(const struct dg_store *s, const char *doc_hex, char manifest_hex[65]);
/* Iterate all refs. cb returns nonzero to stop. */
int dg_store_each_ref(const struct dg_store *s, int (*cb)(void *ctx, const char *doc_hex, const char *manifest_hex),
                      void *ctx);
/* Iterate all objects (hex). */
int dg_store_each_object(const struct dg_store *s, int (*cb)(void *ctx, const char *hex), void *ctx);

/* Read a manifest object into a record. */
int dg_store_read_manifest(const struct dg_store *s, const char *hex, struct dg_record *r, struct dg_err *err);
/* Re-hash an object: 0 good, 1 mismatch (actual in got), -1 I/O error. */
int dg_store_check_object(const struct dg_store *s, const char *hex, char got[65], int64_t *size);

/* The journal left by an interrupted publish: doc hexes, or NULL. */
int dg_store_journal_read(const struct dg_store *s, char ***docs, size_t *n);
int dg_store_journal_clear(struct dg_store *s);

/* Objects kept by a plugin's state (the models of a trainable
 * classifier): listed one "sha256:<hex>" a line in
 * state/<plugin>/objects.  verify checks them and counts them as
 * referenced.  Add one (appended and synced); the object must already
 * be published. */
int dg_store_keep(struct dg_store *s, const char *plugin, const char *hex, struct dg_err *err);
/* Each kept object: cb(ctx, plugin, hex), hex NULL for a line that is
 * not an object id.  cb returns nonzero to stop. */
int dg_store_each_kept(const struct dg_store *s, int (*cb)(void *ctx, const char *plugin, const char *hex), void *ctx);

#endif
