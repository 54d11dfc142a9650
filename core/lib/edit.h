/*
 * edit.h -- a person's change to the metadata of a stored document,
 * committed as a new version (append-only: the previous version stays
 * in the store, the new manifest names it as its parent) and indexed.
 * Internal.
 */
#ifndef DG_EDIT_H
#define DG_EDIT_H

#include "catalog.h"
#include "store.h"
#include "util.h"

struct dg_edit {
	const char *key;
	const char *value; /* NULL: remove the key */
};

/* Is key=value acceptable from a person?  The key: 1..256 bytes of
 * UTF-8 without control characters, not starting with '@' (scratch
 * keys are never stored); the value: at most 64 KiB of UTF-8 without
 * control characters (C0, DEL, C1).  0, or -1 with err saying why. */
int dg_edit_check(const char *key, const char *value, struct dg_err *err);

/* Commit a new version of the document doc_hex with each edit applied
 * in order (a key's values are all replaced by the one given, or
 * removed), the parts, relations and other metadata unchanged, and one
 * event of type "set" whose message says who (by) changed which keys
 * from what to what.  The store must be open for writing.  Returns 0
 * with the new manifest in manifest_out, 1 when nothing would change
 * (no version is made), -1 with err set. */
int dg_edit_commit(struct dg_store *s, struct dg_catalog *c, const char *doc_hex, const struct dg_edit *edits, size_t n,
                   const char *by, char manifest_out[65], struct dg_err *err);

#endif
