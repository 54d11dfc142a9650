/*
 * dossier.h -- one customer, one dossier (一户一档): what the catalog
 * needs to file a document into its customer's dossier (the account key,
 * the customer fields, the formation date), and the filing scope
 * (归档范围) read from the document-type definitions, which says which
 * document types a dossier of a business type must contain.
 *
 * The dossiers themselves are catalog tables (catalog.h): an index over
 * the documents' metadata, rebuilt from the store like everything else
 * in the catalog.  Internal.
 */
#ifndef DG_DOSSIER_H
#define DG_DOSSIER_H

#include <stddef.h>

#include "record.h"
#include "util.h"

/* The metadata key that files a document (written by classification). */
#define DG_DOSSIER_KEY "户号"
/* Longest account number taken (longer values are not filed). */
#define DG_DOSSIER_KEY_MAX 64
/* The business type assumed when neither the caller nor the documents
 * (metadata 业务类型) say one. */
#define DG_DOSSIER_BUSINESS_KEY "业务类型"
#define DG_DOSSIER_DEFAULT_BUSINESS "新装"

/* The customer fields a dossier keeps (the newest document, by formation
 * date, that has one gives its value), NULL-terminated. */
extern const char *const dg_dossier_fields[];
/* Metadata keys that give a document's formation date, in order of
 * preference, NULL-terminated. */
extern const char *const dg_dossier_date_keys[];

/* Normalise a date to "YYYY-MM-DD" (out holds 11 bytes): ISO (with or
 * without a time), 2024/3/5, 2024.3.5, 20240305, 2024年3月5日 (full-width
 * digits too), 二〇二四年三月五日, and RFC 5322 ("Tue, 5 Mar 2024 ...").
 * 0 on success, -1 when the value holds no valid date. */
int dg_date_iso(const char *in, char out[11]);

/* The formation date of a record: the first of dg_dossier_date_keys
 * whose value is a date.  Returns the key used, or NULL (out = ""). */
const char *dg_dossier_formed(const struct dg_record *r, char out[11]);

/* The filing scope of a catalogue. */
struct dg_scope_business {
	char *business;
	char **types; /* document type codes, in the order first required */
	size_t ntypes, captypes;
};
struct dg_scope_type {
	char *code;
	char *name; /* <name lang="zh">, else the first <name>, else NULL */
};
struct dg_scope {
	struct dg_scope_business *biz;
	size_t nbiz;
	struct dg_scope_type *types;
	size_t ntypes;
	size_t nfiles;
};

#define DG_SCOPE_MAX_FILES 256
#define DG_SCOPE_MAX_ITEMS 4096 /* scopes, requirements, types: each */

void dg_scope_init(struct dg_scope *s);
void dg_scope_release(struct dg_scope *s);
/* Read every *.xml of the catalogue directory dir (in name order).  When
 * schema is not NULL and the file exists, each file is validated against
 * it first.  Scopes of the same business in several files are merged.
 * 0 on success, -1 with err set. */
int dg_scope_load(struct dg_scope *s, const char *dir, const char *schema, struct dg_err *err);
const struct dg_scope_business *dg_scope_find(const struct dg_scope *s, const char *business);
/* The zh name of a type code, or NULL. */
const char *dg_scope_type_name(const struct dg_scope *s, const char *code);

#endif
