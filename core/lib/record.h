/*
 * record.h -- one version of a document as it is committed: parts,
 * metadata, relations and the provenance events of this version.  A
 * record serialises to (and parses from) a manifest object, an XML
 * document in the store (see manifest.c).  Internal.
 */
#ifndef DG_RECORD_H
#define DG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define DG_ID_HEX 64       /* sha256 */
#define DG_ID_LEN (7 + 64) /* "sha256:" + hex */

struct dg_part {
	char *role;
	char *media_type;
	int64_t size;
	char hex[DG_ID_HEX + 1]; /* digest */
	char *path;              /* where to read it now (temp or object) */
};

struct dg_kv {
	char *key;
	char *value;
};

struct dg_relation {
	char *kind;              /* "contained-in", "contains", ... */
	char hex[DG_ID_HEX + 1]; /* the other document's id */
	char *label;             /* e.g. the path inside the archive */
};

struct dg_event {
	char *type;  /* ingest, stage, duplicate, quarantine, ... */
	char *stage; /* stage id, may be NULL */
	char *plugin;
	char *plugin_version;
	char *outcome; /* ok, warn, declined, failed, ... */
	char *message;
	int64_t at_us;
	int64_t duration_us;
};

struct dg_record {
	char doc_hex[DG_ID_HEX + 1];    /* document id: digest of the original */
	char parent_hex[DG_ID_HEX + 1]; /* previous manifest, "" if none */
	char *media_type;
	char *status; /* ok, warn */
	int64_t created_us;
	struct dg_part *parts;
	size_t nparts, capparts;
	struct dg_kv *meta;
	size_t nmeta, capmeta;
	struct dg_relation *rels;
	size_t nrels, caprels;
	struct dg_event *events;
	size_t nevents, capevents;
};

void dg_record_init(struct dg_record *r);
void dg_record_release(struct dg_record *r);

/* Metadata: first value, set (replaces all), add, count, n-th. */
const char *dg_record_meta(const struct dg_record *r, const char *key);
int dg_record_meta_set(struct dg_record *r, const char *key, const char *value);
int dg_record_meta_add(struct dg_record *r, const char *key, const char *value);
size_t dg_record_meta_count(const struct dg_record *r, const char *key);
const char *dg_record_meta_n(const struct dg_record *r, const char *key, size_t n);

struct dg_part *dg_record_part(const struct dg_record *r, const char *role);
/* Add or replace the part with that role (strings copied). */
int dg_record_part_set(struct dg_record *r, const char *role, const char *media_type, int64_t size, const char *hex,
                       const char *path);
int dg_record_rel_add(struct dg_record *r, const char *kind, const char *hex, const char *label);
/* Append an event (strings copied; NULLs allowed). */
int dg_record_event_add(struct dg_record *r, const struct dg_event *ev);

/* Copy parts, metadata and relations (not events) of src into dst. */
int dg_record_copy_content(struct dg_record *dst, const struct dg_record *src);

/* Serialise as a manifest XML document into b. */
int dg_manifest_write(const struct dg_record *r, struct dg_buf *b);
/* Parse a manifest; 0 on success, -1 with err set. */
int dg_manifest_parse(const char *data, size_t len, struct dg_record *r, struct dg_err *err);

#endif
