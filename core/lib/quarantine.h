/*
 * quarantine.h -- documents that failed, kept with their reason.
 *
 * A quarantine entry is a file quarantine/<id>.xml in the store: a
 * manifest-format record (status "quarantined") whose metadata holds
 * quarantine.reason, quarantine.stage and the document's source
 * metadata, and whose original part (when the bytes could be read)
 * points to an object in the store.  So nothing is lost: the bytes are
 * kept, content-addressed, and `dangan quarantine retry` runs them
 * again.  Internal.
 */
#ifndef DG_QUARANTINE_H
#define DG_QUARANTINE_H

#include "record.h"
#include "store.h"

/* The entry's id: the document id when there are bytes, else a digest
 * of the source path. */
int dg_quarantine_write(struct dg_store *s, const struct dg_record *r);
int dg_quarantine_remove(struct dg_store *s, const char *id_hex);
int dg_quarantine_read(struct dg_store *s, const char *id_hex, struct dg_record *r, struct dg_err *err);
/* Iterate entries (sorted by id). */
int dg_quarantine_each(struct dg_store *s, int (*cb)(void *ctx, const char *id_hex, const struct dg_record *r),
                       void *ctx);
/* Resolve a unique id prefix among the entries. */
int dg_quarantine_resolve(struct dg_store *s, const char *prefix, char hex[65], struct dg_err *err);

#endif
