/* catalog.c -- see catalog.h. */
#include <config.h>

#include <errno.h>
#include <string.h>

#include <sqlite3.h>

#include "catalog.h"
#include "dossier.h"
#include "simhash.h"
#include "store.h"

#define TEXT_INDEX_LIMIT DG_CATALOG_TEXT_LIMIT
/* The catalog's layout: older catalogs lack tables that only a reindex
 * fills (2: dossiers and text fingerprints). */
#define SCHEMA_VERSION 2
#define SCHEMA_VERSION_SET "PRAGMA user_version=2"
#define NEAR_CANDIDATES 10000 /* fingerprints compared per lookup, at most */
#define DOSSIERS_PER_DOC 16   /* distinct 户号 values filed per document */

struct dg_catalog {
	sqlite3 *db;
	sqlite3_stmt *put_doc, *del_meta, *put_meta, *del_fts, *put_fts, *del_rels, *put_rel, *get_rowid;
	sqlite3_stmt *del_sim, *put_sim, *doc_accounts, *del_filed, *put_filed, *del_dfields, *put_dfield, *del_dossier,
	    *put_dossier;
	int stale;
};

static const char *schema =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA foreign_keys=OFF;"
    "CREATE TABLE IF NOT EXISTS docs("
    " id TEXT PRIMARY KEY, manifest TEXT NOT NULL, media_type TEXT, size INTEGER,"
    " name TEXT, path TEXT, title TEXT, status TEXT, created INTEGER, updated INTEGER);"
    "CREATE TABLE IF NOT EXISTS meta(doc TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS meta_doc ON meta(doc);"
    "CREATE INDEX IF NOT EXISTS meta_kv ON meta(key, value);"
    "CREATE TABLE IF NOT EXISTS rels(doc TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, label TEXT);"
    "CREATE INDEX IF NOT EXISTS rels_doc ON rels(doc);"
    "CREATE INDEX IF NOT EXISTS rels_target ON rels(target);"
    "CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(doc UNINDEXED, name, body, tokenize='trigram');"
    /* text fingerprints (simhash.h), with the four 16-bit bands indexed:
     * two fingerprints at most 3 bits apart share a band */
    "CREATE TABLE IF NOT EXISTS simhash(doc TEXT PRIMARY KEY, hash INTEGER NOT NULL,"
    " b0 INTEGER NOT NULL, b1 INTEGER NOT NULL, b2 INTEGER NOT NULL, b3 INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS simhash_b0 ON simhash(b0);"
    "CREATE INDEX IF NOT EXISTS simhash_b1 ON simhash(b1);"
    "CREATE INDEX IF NOT EXISTS simhash_b2 ON simhash(b2);"
    "CREATE INDEX IF NOT EXISTS simhash_b3 ON simhash(b3);"
    /* dossiers (dossier.h): the documents filed under each 户号 with
     * their formation date, the customer fields, and a summary row */
    "CREATE TABLE IF NOT EXISTS dossier_docs(account TEXT NOT NULL, doc TEXT NOT NULL, formed TEXT NOT NULL,"
    " formed_from TEXT NOT NULL, doctype TEXT, title TEXT, PRIMARY KEY(account, doc));"
    "CREATE INDEX IF NOT EXISTS dossier_docs_doc ON dossier_docs(doc);"
    "CREATE TABLE IF NOT EXISTS dossier_fields(account TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " doc TEXT NOT NULL, PRIMARY KEY(account, key));"
    "CREATE TABLE IF NOT EXISTS dossiers(account TEXT PRIMARY KEY, name TEXT, first_seen INTEGER,"
    " updated INTEGER, docs INTEGER, last_date TEXT);";

static int
prep(struct dg_catalog *c, sqlite3_stmt **st, const char *sql)
{
	return sqlite3_prepare_v2(c->db, sql, -1, st, NULL) == SQLITE_OK ? 0 : -1;
}

int
dg_catalog_open(struct dg_catalog **out, const char *path, struct dg_err *err)
{
	struct dg_catalog *c = dg_calloc(1, sizeof(*c));
	char *msg = NULL;

	*out = NULL;
	if (!c) {
		dg_err_set(err, DG_FATAL, "out of memory");
		return -1;
	}
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		dg_err_set(err, DG_FATAL, "cannot open catalog %s: %s", path,
		           c->db ? sqlite3_errmsg(c->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(c->db, 10000);
	if (sqlite3_exec(c->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		dg_err_set(err, DG_FATAL, "catalog %s: %s", path, msg ? msg : "schema error");
		sqlite3_free(msg);
		goto fail;
	}
	if (prep(c, &c->put_doc,
	         "INSERT INTO docs(id,manifest,media_type,size,name,path,title,status,created,updated)"
	         " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10) ON CONFLICT(id) DO UPDATE SET"
	         " manifest=excluded.manifest, media_type=excluded.media_type, size=excluded.size,"
	         " name=excluded.name, path=excluded.path, title=excluded.title,"
	         " status=excluded.status, created=min(docs.created, excluded.created),"
	         " updated=excluded.updated") < 0 ||
	    prep(c, &c->del_meta, "DELETE FROM meta WHERE doc=?1") < 0 ||
	    prep(c, &c->put_meta, "INSERT INTO meta(doc,key,value) VALUES(?1,?2,?3)") < 0 ||
	    /* the text index shares the docs row's rowid: deleting by
	     * rowid is a lookup, by the unindexed doc column a full scan */
	    prep(c, &c->del_fts, "DELETE FROM fts WHERE rowid = (SELECT rowid FROM docs WHERE id=?1)") < 0 ||
	    prep(c, &c->put_fts, "INSERT INTO fts(rowid,doc,name,body) VALUES(?4,?1,?2,?3)") < 0 ||
	    prep(c, &c->get_rowid, "SELECT rowid, created FROM docs WHERE id=?1") < 0 ||
	    prep(c, &c->del_rels, "DELETE FROM rels WHERE doc=?1") < 0 ||
	    prep(c, &c->put_rel, "INSERT INTO rels(doc,kind,target,label) VALUES(?1,?2,?3,?4)") < 0 ||
	    prep(c, &c->del_sim, "DELETE FROM simhash WHERE doc=?1") < 0 ||
	    prep(c, &c->put_sim, "INSERT OR REPLACE INTO simhash(doc,hash,b0,b1,b2,b3) VALUES(?1,?2,?3,?4,?5,?6)") <
	        0 ||
	    prep(c, &c->doc_accounts, "SELECT account FROM dossier_docs WHERE doc=?1") < 0 ||
	    prep(c, &c->del_filed, "DELETE FROM dossier_docs WHERE doc=?1") < 0 ||
	    prep(c, &c->put_filed,
	         "INSERT OR IGNORE INTO dossier_docs(account,doc,formed,formed_from,doctype,title)"
	         " VALUES(?1,?2,?3,?4,?5,?6)") < 0 ||
	    prep(c, &c->del_dfields, "DELETE FROM dossier_fields WHERE account=?1") < 0 ||
	    /* a customer field: from the newest document (by formation
	     * date, then by when it came) that has it */
	    prep(c, &c->put_dfield,
	         "INSERT INTO dossier_fields(account,key,value,doc)"
	         " SELECT dd.account, m.key, m.value, dd.doc FROM dossier_docs dd JOIN docs d ON d.id=dd.doc"
	         " JOIN meta m ON m.doc=dd.doc AND m.key=?2 WHERE dd.account=?1 AND m.value<>''"
	         " ORDER BY dd.formed DESC, d.created DESC, dd.doc DESC, m.rowid LIMIT 1") < 0 ||
	    prep(c, &c->del_dossier, "DELETE FROM dossiers WHERE account=?1") < 0 ||
	    prep(c, &c->put_dossier,
	         "INSERT INTO dossiers(account,name,first_seen,updated,docs,last_date)"
	         " SELECT ?1, (SELECT value FROM dossier_fields WHERE account=?1 AND key=?2),"
	         " min(d.created), max(d.updated), count(*), max(dd.formed)"
	         " FROM dossier_docs dd JOIN docs d ON d.id=dd.doc WHERE dd.account=?1 HAVING count(*)>0") < 0) {
		dg_err_set(err, DG_FATAL, "catalog %s: %s", path, sqlite3_errmsg(c->db));
		goto fail;
	}
	{
		/* a catalog with documents but an older layout lacks what
		 * only a reindex fills in; a new one is current */
		sqlite3_stmt *st = NULL;
		int version = 0, any = 0;
		if (prep(c, &st, "PRAGMA user_version") == 0 && sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		st = NULL;
		if (prep(c, &st, "SELECT 1 FROM docs LIMIT 1") == 0 && sqlite3_step(st) == SQLITE_ROW)
			any = 1;
		sqlite3_finalize(st);
		if (version < SCHEMA_VERSION) {
			if (any)
				c->stale = 1;
			else
				sqlite3_exec(c->db, SCHEMA_VERSION_SET, NULL, NULL, NULL);
		}
	}
	*out = c;
	return 0;
fail:
	dg_catalog_free(c);
	return -1;
}

void
dg_catalog_free(struct dg_catalog *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->put_doc);
	sqlite3_finalize(c->del_meta);
	sqlite3_finalize(c->put_meta);
	sqlite3_finalize(c->del_fts);
	sqlite3_finalize(c->put_fts);
	sqlite3_finalize(c->del_rels);
	sqlite3_finalize(c->put_rel);
	sqlite3_finalize(c->get_rowid);
	sqlite3_finalize(c->del_sim);
	sqlite3_finalize(c->put_sim);
	sqlite3_finalize(c->doc_accounts);
	sqlite3_finalize(c->del_filed);
	sqlite3_finalize(c->put_filed);
	sqlite3_finalize(c->del_dfields);
	sqlite3_finalize(c->put_dfield);
	sqlite3_finalize(c->del_dossier);
	sqlite3_finalize(c->put_dossier);
	sqlite3_close(c->db);
	dg_free(c);
}

int
dg_catalog_begin(struct dg_catalog *c)
{
	return sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int
dg_catalog_commit(struct dg_catalog *c)
{
	return sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

void
dg_catalog_rollback(struct dg_catalog *c)
{
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int
delete_doc(struct dg_catalog *c, const char *hex)
{
	sqlite3_stmt *sts[] = {c->del_meta, c->del_fts, c->del_rels, c->del_sim};
	size_t i;

	for (i = 0; i < sizeof(sts) / sizeof(sts[0]); i++) {
		sqlite3_bind_text(sts[i], 1, hex, -1, SQLITE_TRANSIENT);
		if (step_done(sts[i]) < 0)
			return -1;
	}
	return 0;
}

/* ---- fingerprints and dossiers, kept as the documents are indexed ---- */

static int
put_simhash(struct dg_catalog *c, const char *doc_hex, const char *text, size_t len)
{
	uint64_t h;
	int i;

	/* the old row went with delete_doc() */
	if (!text || dg_simhash(text, len, &h) != 0)
		return 0;
	bind_text(c->put_sim, 1, doc_hex);
	sqlite3_bind_int64(c->put_sim, 2, (sqlite3_int64)h);
	for (i = 0; i < DG_SIMHASH_BANDS; i++)
		sqlite3_bind_int(c->put_sim, 3 + i, (int)dg_simhash_band(h, i));
	return step_done(c->put_sim);
}

/* Recompute a dossier's customer fields and summary from its documents
 * (the row goes when none is left). */
static int
dossier_refresh(struct dg_catalog *c, const char *account)
{
	size_t i;

	bind_text(c->del_dfields, 1, account);
	if (step_done(c->del_dfields) < 0)
		return -1;
	bind_text(c->del_dossier, 1, account);
	if (step_done(c->del_dossier) < 0)
		return -1;
	for (i = 0; dg_dossier_fields[i]; i++) {
		bind_text(c->put_dfield, 1, account);
		bind_text(c->put_dfield, 2, dg_dossier_fields[i]);
		if (step_done(c->put_dfield) < 0)
			return -1;
	}
	bind_text(c->put_dossier, 1, account);
	bind_text(c->put_dossier, 2, dg_dossier_fields[0]);
	return step_done(c->put_dossier);
}

/* A 户号 as filed: trimmed; empty, over-long or control-character
 * values are not filed.  Returns a new string or NULL. */
static char *
account_of(const char *v)
{
	size_t a = 0, b = strlen(v), i;

	while (a < b && (v[a] == ' ' || v[a] == '\t' || v[a] == '\n' || v[a] == '\r'))
		a++;
	while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t' || v[b - 1] == '\n' || v[b - 1] == '\r'))
		b--;
	if (b == a || b - a > DG_DOSSIER_KEY_MAX)
		return NULL;
	for (i = a; i < b; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return NULL;
	return dg_strndup(v + a, b - a);
}

static int
add_account(char **list, size_t *n, char *acct)
{
	size_t i;

	if (!acct)
		return 0;
	for (i = 0; i < *n; i++)
		if (strcmp(list[i], acct) == 0) {
			dg_free(acct);
			return 0;
		}
	if (*n == 2 * DOSSIERS_PER_DOC) {
		dg_free(acct);
		return 0;
	}
	list[(*n)++] = acct;
	return 0;
}

/* File the document under each of its 户号 values (after its docs and
 * meta rows are written), and refresh every dossier it was or is in.
 * A document keeps one entry per dossier whatever its version: its
 * formation date comes from its metadata or, failing that, from when it
 * first came (the earliest version), so a new version keeps its place. */
static int
dossier_file(struct dg_catalog *c, const struct dg_record *r)
{
	char *accts[2 * DOSSIERS_PER_DOC];
	size_t nacct = 0, i, nval = dg_record_meta_count(r, DG_DOSSIER_KEY);
	char formed[11];
	const char *from, *title;
	int rc = -1, st;

	bind_text(c->doc_accounts, 1, r->doc_hex);
	while ((st = sqlite3_step(c->doc_accounts)) == SQLITE_ROW)
		add_account(accts, &nacct, dg_strdup((const char *)sqlite3_column_text(c->doc_accounts, 0)));
	sqlite3_reset(c->doc_accounts);
	sqlite3_clear_bindings(c->doc_accounts);
	if (st != SQLITE_DONE)
		goto out;
	bind_text(c->del_filed, 1, r->doc_hex);
	if (step_done(c->del_filed) < 0)
		goto out;
	if (nval) {
		from = dg_dossier_formed(r, formed);
		if (!from) {
			/* when the document first came (the docs row keeps the
			 * earliest), as a UTC date */
			char iso[32];
			bind_text(c->get_rowid, 1, r->doc_hex);
			if (sqlite3_step(c->get_rowid) != SQLITE_ROW) {
				sqlite3_reset(c->get_rowid);
				goto out;
			}
			dg_iso8601(sqlite3_column_int64(c->get_rowid, 1) / 1000000, iso, sizeof(iso));
			sqlite3_reset(c->get_rowid);
			sqlite3_clear_bindings(c->get_rowid);
			snprintf(formed, sizeof(formed), "%.10s", iso);
			from = "ingested";
		}
		title = dg_record_meta(r, "dc.title");
		if (!title)
			title = dg_record_meta(r, "doctype.name");
		if (!title)
			title = dg_record_meta(r, "source.name");
		if (!title)
			title = dg_record_meta(r, "archive.path");
		for (i = 0; i < nval && i < DOSSIERS_PER_DOC; i++) {
			char *acct = account_of(dg_record_meta_n(r, DG_DOSSIER_KEY, i));
			if (!acct)
				continue;
			bind_text(c->put_filed, 1, acct);
			bind_text(c->put_filed, 2, r->doc_hex);
			bind_text(c->put_filed, 3, formed);
			bind_text(c->put_filed, 4, from);
			bind_text(c->put_filed, 5, dg_record_meta(r, "doctype"));
			bind_text(c->put_filed, 6, title);
			if (step_done(c->put_filed) < 0) {
				dg_free(acct);
				goto out;
			}
			add_account(accts, &nacct, acct);
		}
	}
	for (i = 0; i < nacct; i++)
		if (dossier_refresh(c, accts[i]) < 0)
			goto out;
	rc = 0;
out:
	for (i = 0; i < nacct; i++)
		dg_free(accts[i]);
	return rc;
}

/* Take a document out of its dossiers (it left the store). */
static int
dossier_unfile(struct dg_catalog *c, const char *doc_hex)
{
	struct dg_record empty;
	int rc;

	dg_record_init(&empty);
	memcpy(empty.doc_hex, doc_hex, sizeof(empty.doc_hex));
	rc = dossier_file(c, &empty);
	dg_record_release(&empty);
	return rc;
}

int
dg_catalog_put(struct dg_catalog *c, const char *manifest_hex, const struct dg_record *r, int64_t first_us,
               const char *text, size_t textlen)
{
	const struct dg_part *orig = dg_record_part(r, DG_ROLE_ORIGINAL);
	const char *name = dg_record_meta(r, "source.name");
	int64_t updated = r->created_us;
	size_t i;

	if (delete_doc(c, r->doc_hex) < 0)
		return -1;
	bind_text(c->put_doc, 1, r->doc_hex);
	bind_text(c->put_doc, 2, manifest_hex);
	bind_text(c->put_doc, 3, r->media_type);
	sqlite3_bind_int64(c->put_doc, 4, orig ? orig->size : 0);
	bind_text(c->put_doc, 5, name);
	bind_text(c->put_doc, 6, dg_record_meta(r, "source.path"));
	bind_text(c->put_doc, 7, dg_record_meta(r, "dc.title"));
	bind_text(c->put_doc, 8, r->status ? r->status : "ok");
	sqlite3_bind_int64(c->put_doc, 9, first_us ? first_us : updated);
	sqlite3_bind_int64(c->put_doc, 10, updated);
	if (step_done(c->put_doc) < 0)
		return -1;
	for (i = 0; i < r->nmeta; i++) {
		if (r->meta[i].key[0] == '@')
			continue;
		bind_text(c->put_meta, 1, r->doc_hex);
		bind_text(c->put_meta, 2, r->meta[i].key);
		bind_text(c->put_meta, 3, r->meta[i].value);
		if (step_done(c->put_meta) < 0)
			return -1;
	}
	for (i = 0; i < r->nrels; i++) {
		bind_text(c->put_rel, 1, r->doc_hex);
		bind_text(c->put_rel, 2, r->rels[i].kind);
		bind_text(c->put_rel, 3, r->rels[i].hex);
		bind_text(c->put_rel, 4, r->rels[i].label);
		if (step_done(c->put_rel) < 0)
			return -1;
	}
	bind_text(c->get_rowid, 1, r->doc_hex);
	if (sqlite3_step(c->get_rowid) != SQLITE_ROW) {
		sqlite3_reset(c->get_rowid);
		return -1;
	}
	sqlite3_bind_int64(c->put_fts, 4, sqlite3_column_int64(c->get_rowid, 0));
	sqlite3_reset(c->get_rowid);
	bind_text(c->put_fts, 1, r->doc_hex);
	bind_text(c->put_fts, 2, name ? name : "");
	if (textlen > TEXT_INDEX_LIMIT)
		textlen = TEXT_INDEX_LIMIT;
	sqlite3_bind_text(c->put_fts, 3, text ? text : "", text ? (int)textlen : 0, SQLITE_TRANSIENT);
	if (step_done(c->put_fts) < 0)
		return -1;
	if (put_simhash(c, r->doc_hex, text, textlen) < 0)
		return -1;
	return dossier_file(c, r);
}

int
dg_catalog_remove(struct dg_catalog *c, const char *doc_hex)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (delete_doc(c, doc_hex) < 0 || prep(c, &st, "DELETE FROM docs WHERE id=?1") < 0)
		goto out;
	bind_text(st, 1, doc_hex);
	if (step_done(st) < 0)
		goto out;
	rc = dossier_unfile(c, doc_hex);
out:
	sqlite3_finalize(st);
	return rc;
}

int
dg_catalog_clear(struct dg_catalog *c)
{
	return sqlite3_exec(c->db,
	                    "DELETE FROM docs; DELETE FROM meta; DELETE FROM rels; DELETE FROM fts;"
	                    " DELETE FROM simhash; DELETE FROM dossier_docs; DELETE FROM dossier_fields;"
	                    " DELETE FROM dossiers;",
	                    NULL, NULL, NULL) == SQLITE_OK
	           ? 0
	           : -1;
}

/* Earliest event time over the version chain: when the document first
 * entered the store. */
static int64_t
first_seen(struct dg_store *s, const struct dg_record *r)
{
	int64_t first = r->created_us;
	char parent[65];
	int hops = 0;

	memcpy(parent, r->parent_hex, sizeof(parent));
	while (parent[0] && hops++ < 100000) {
		struct dg_record p;
		struct dg_err err;
		dg_record_init(&p);
		if (dg_store_read_manifest(s, parent, &p, &err) < 0) {
			dg_record_release(&p);
			break;
		}
		if (p.created_us && p.created_us < first)
			first = p.created_us;
		memcpy(parent, p.parent_hex, sizeof(parent));
		dg_record_release(&p);
	}
	return first;
}

int
dg_catalog_index_record(struct dg_catalog *c, struct dg_store *s, const char *manifest_hex, const struct dg_record *r,
                        int64_t first_us, struct dg_err *err)
{
	const struct dg_part *tp = dg_record_part(r, DG_ROLE_TEXT);
	char *text = NULL, *tpath = NULL;
	size_t tlen = 0;
	int rc;

	if (tp) {
		tpath = dg_store_object_path(s, tp->hex);
		if (!tpath || dg_read_file(tpath, TEXT_INDEX_LIMIT, &text, &tlen) < 0) {
			/* a text part larger than the index limit is not indexed */
			dg_free(text);
			text = NULL;
			tlen = 0;
		}
	}
	rc = dg_catalog_put(c, manifest_hex, r, first_us, text, tlen);
	if (rc < 0)
		dg_err_set(err, DG_FAILED, "catalog: %s", sqlite3_errmsg(c->db));
	dg_free(text);
	dg_free(tpath);
	return rc;
}

int
dg_catalog_index_doc(struct dg_catalog *c, struct dg_store *s, const char *doc_hex, struct dg_err *err)
{
	struct dg_record r;
	char m[65];
	int rc = -1, found;

	dg_record_init(&r);
	found = dg_store_ref_get(s, doc_hex, m);
	if (found < 0) {
		dg_err_set(err, DG_FAILED, "cannot read ref of sha256:%s", doc_hex);
		goto out;
	}
	if (found == 0) {
		rc = dg_catalog_remove(c, doc_hex);
		goto out;
	}
	if (dg_store_read_manifest(s, m, &r, err) < 0)
		goto out;
	rc = dg_catalog_index_record(c, s, m, &r, first_seen(s, &r), err);
out:
	dg_record_release(&r);
	return rc;
}

struct rebuild_ctx {
	struct dg_catalog *c;
	struct dg_store *s;
	struct dg_err *err;
	int64_t n;
};

static int
rebuild_one(void *ctx, const char *doc_hex, const char *manifest_hex)
{
	struct rebuild_ctx *rc = ctx;

	(void)manifest_hex;
	if (dg_catalog_index_doc(rc->c, rc->s, doc_hex, rc->err) < 0)
		return -1;
	rc->n++;
	return 0;
}

int64_t
dg_catalog_rebuild(struct dg_catalog *c, struct dg_store *s, struct dg_err *err)
{
	struct rebuild_ctx rc = {c, s, err, 0};

	if (dg_catalog_begin(c) < 0 || dg_catalog_clear(c) < 0) {
		dg_err_set(err, DG_FATAL, "catalog: %s", sqlite3_errmsg(c->db));
		dg_catalog_rollback(c);
		return -1;
	}
	if (dg_store_each_ref(s, rebuild_one, &rc) != 0) {
		dg_catalog_rollback(c);
		return -1;
	}
	if (sqlite3_exec(c->db, SCHEMA_VERSION_SET, NULL, NULL, NULL) != SQLITE_OK || dg_catalog_commit(c) < 0) {
		dg_err_set(err, DG_FATAL, "catalog: %s", sqlite3_errmsg(c->db));
		return -1;
	}
	c->stale = 0;
	return rc.n;
}

/* ---- queries -------------------------------------------------------- */

#define ROW_COLS "d.id,d.manifest,d.media_type,d.size,d.name,d.path,d.title,d.status,d.created,d.updated"

static int
run_rows(sqlite3_stmt *st, int has_snippet, dg_catalog_cb cb, void *ctx)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dg_catalog_row row;
		row.id = (const char *)sqlite3_column_text(st, 0);
		row.manifest = (const char *)sqlite3_column_text(st, 1);
		row.media_type = (const char *)sqlite3_column_text(st, 2);
		row.size = sqlite3_column_int64(st, 3);
		row.name = (const char *)sqlite3_column_text(st, 4);
		row.path = (const char *)sqlite3_column_text(st, 5);
		row.title = (const char *)sqlite3_column_text(st, 6);
		row.status = (const char *)sqlite3_column_text(st, 7);
		row.created_us = sqlite3_column_int64(st, 8);
		row.updated_us = sqlite3_column_int64(st, 9);
		row.snippet = has_snippet ? (const char *)sqlite3_column_text(st, 10) : NULL;
		if (cb(ctx, &row) != 0)
			return 1;
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

int
dg_catalog_resolve(struct dg_catalog *c, const char *prefix, char hex[65], struct dg_err *err)
{
	sqlite3_stmt *st = NULL;
	char lo[65], hi[65];
	size_t len, i;
	int n = 0, rc = -1;

	if (strncmp(prefix, "sha256:", 7) == 0)
		prefix += 7;
	len = strlen(prefix);
	if (len < 4 || len > 64) {
		dg_err_set(err, DG_FAILED, "'%s': an id needs 4 to 64 hex digits", prefix);
		return -1;
	}
	for (i = 0; i < len; i++) {
		char ch = prefix[i];
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
			dg_err_set(err, DG_FAILED, "'%s' is not a document id (hex digits)", prefix);
			return -1;
		}
		lo[i] = hi[i] = ch;
	}
	memset(lo + len, '0', 64 - len);
	memset(hi + len, 'f', 64 - len);
	lo[64] = hi[64] = '\0';
	if (prep(c, &st, "SELECT id FROM docs WHERE id BETWEEN ?1 AND ?2 LIMIT 2") < 0)
		goto out;
	bind_text(st, 1, lo);
	bind_text(st, 2, hi);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n++ == 0)
			snprintf(hex, 65, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	if (n == 0)
		dg_err_set(err, DG_FAILED, "no document with id %s", prefix);
	else if (n > 1)
		dg_err_set(err, DG_FAILED, "id %s is ambiguous: give more digits", prefix);
	else
		rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

int
dg_catalog_get(struct dg_catalog *c, const char *hex, dg_catalog_cb cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (prep(c, &st, "SELECT " ROW_COLS " FROM docs d WHERE d.id=?1") < 0)
		return -1;
	bind_text(st, 1, hex);
	rc = run_rows(st, 0, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

int
dg_catalog_list(struct dg_catalog *c, int64_t limit, dg_catalog_cb cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (prep(c, &st, "SELECT " ROW_COLS " FROM docs d ORDER BY d.created, d.path, d.id LIMIT ?1") < 0)
		return -1;
	sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
	rc = run_rows(st, 0, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Escape LIKE wildcards with '\'. */
static char *
like_pattern(const char *term)
{
	struct dg_buf b;
	const char *p;

	dg_buf_init(&b, 1 << 20);
	dg_buf_add(&b, "%", 1);
	for (p = term; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			dg_buf_add(&b, "\\", 1);
		dg_buf_add(&b, p, 1);
	}
	dg_buf_add(&b, "%", 1);
	if (b.oom) {
		dg_buf_release(&b);
		return NULL;
	}
	return b.data;
}

int
dg_catalog_search(struct dg_catalog *c, const char *query, int raw, int64_t limit, dg_catalog_cb cb, void *ctx,
                  struct dg_err *err)
{
	struct dg_buf sql, match;
	char **likes = NULL;
	char *copy = NULL, *tok, *save = NULL;
	const char *first_short = NULL;
	size_t nlikes = 0, i;
	sqlite3_stmt *st = NULL;
	int rc = -1, bindn = 1;

	dg_buf_init(&sql, 1 << 20);
	dg_buf_init(&match, 1 << 20);
	copy = dg_strdup(query);
	likes = dg_calloc(256, sizeof(*likes));
	if (!copy || !likes)
		goto oom;
	if (raw) {
		dg_buf_adds(&match, query);
	} else {
		for (tok = strtok_r(copy, " \t\n\r", &save); tok; tok = strtok_r(NULL, " \t\n\r", &save)) {
			if (utf8_chars(tok) >= 3) {
				/* a quoted FTS5 string: the trigram index finds it as a substring */
				if (match.len)
					dg_buf_adds(&match, " AND ");
				dg_buf_add(&match, "\"", 1);
				for (const char *p = tok; *p; p++)
					dg_buf_add(&match, p, 1 + (*p == '"'));
				dg_buf_add(&match, "\"", 1);
			} else if (nlikes < 256) {
				if (!first_short)
					first_short = tok;
				if (!(likes[nlikes++] = like_pattern(tok)))
					goto oom;
			}
		}
	}
	if (match.oom)
		goto oom;
	if (!match.len && !nlikes) {
		dg_err_set(err, DG_FAILED, "empty query");
		goto out;
	}
	if (match.len)
		dg_buf_adds(&sql, "SELECT " ROW_COLS ", snippet(fts, 2, '[', ']', '...', 12)");
	else /* no FTS match to build a snippet from: the text around the first term */
		dg_buf_adds(&sql, "SELECT " ROW_COLS ", '...' || replace(substr(fts.body, max(1, instr(fts.body, ?1000)"
		                  " - 16), 40), char(10), ' ') || '...'");
	dg_buf_adds(&sql, " FROM fts JOIN docs d ON d.id = fts.doc WHERE 1");
	if (match.len)
		dg_buf_addf(&sql, " AND fts MATCH ?%d", bindn++);
	for (i = 0; i < nlikes; i++) {
		dg_buf_addf(&sql, " AND (fts.body LIKE ?%d ESCAPE '\\' OR fts.name LIKE ?%d ESCAPE '\\')", bindn,
		            bindn);
		bindn++;
	}
	dg_buf_addf(&sql, " ORDER BY %s d.created LIMIT ?%d", match.len ? "rank," : "", bindn);
	if (sql.oom)
		goto oom;
	if (prep(c, &st, sql.data) < 0) {
		dg_err_set(err, DG_FAILED, "search: %s", sqlite3_errmsg(c->db));
		goto out;
	}
	bindn = 1;
	if (match.len)
		bind_text(st, bindn++, match.data);
	for (i = 0; i < nlikes; i++)
		bind_text(st, bindn++, likes[i]);
	sqlite3_bind_int64(st, bindn, limit > 0 ? limit : -1);
	if (!match.len)
		bind_text(st, 1000, first_short);
	rc = run_rows(st, 1, cb, ctx);
	if (rc < 0)
		dg_err_set(err, DG_FAILED, "search: %s", sqlite3_errmsg(c->db));
	goto out;
oom:
	dg_err_set(err, DG_FAILED, "out of memory");
out:
	sqlite3_finalize(st);
	if (likes)
		for (i = 0; i < nlikes; i++)
			dg_free(likes[i]);
	dg_free(likes);
	dg_free(copy);
	dg_buf_release(&sql);
	dg_buf_release(&match);
	return rc < 0 ? -1 : 0;
}

int
dg_catalog_with_meta(struct dg_catalog *c, const char *key, dg_catalog_cb cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* the snippet column carries the metadata values, joined */
	if (prep(c, &st,
	         "SELECT " ROW_COLS ", (SELECT group_concat(value, '; ') FROM meta m WHERE m.doc = d.id AND m.key = ?1)"
	         " FROM docs d WHERE d.id IN (SELECT doc FROM meta WHERE key = ?1) ORDER BY d.created, d.id") < 0)
		return -1;
	bind_text(st, 1, key);
	rc = run_rows(st, 1, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

int
dg_catalog_stats(struct dg_catalog *c, int64_t *docs, int64_t *bytes)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (prep(c, &st, "SELECT count(*), coalesce(sum(size),0) FROM docs") < 0)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*docs = sqlite3_column_int64(st, 0);
		*bytes = sqlite3_column_int64(st, 1);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int
dg_catalog_each(struct dg_catalog *c, int (*cb)(void *ctx, const char *doc, const char *manifest), void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (prep(c, &st, "SELECT id, manifest FROM docs ORDER BY id") < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1)))
			break;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

int
dg_catalog_types(struct dg_catalog *c, int (*cb)(void *ctx, const char *type, int64_t n), void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (prep(c, &st, "SELECT coalesce(media_type,'?'), count(*) FROM docs GROUP BY 1 ORDER BY 2 DESC, 1") < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1)))
			break;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

#define THREAD_KEYS "('email.message-id','email.in-reply-to','email.references')"

int64_t
dg_catalog_thread(struct dg_catalog *c, const char *doc_hex,
                  int (*cb)(void *ctx, const char *id, const char *date, const char *from, const char *subject),
                  void *ctx)
{
	/* ids: the message ids reachable from the document, each step going
	 * from an id to the messages that name it and to the ids they name;
	 * UNION drops repeats, so the recursion ends */
	static const char sql[] =
	    "WITH RECURSIVE ids(v) AS ("
	    " SELECT value FROM meta WHERE doc=?1 AND key IN " THREAD_KEYS " UNION"
	    " SELECT m2.value FROM ids JOIN meta m1 ON m1.key IN " THREAD_KEYS " AND m1.value=ids.v"
	    " JOIN meta m2 ON m2.doc=m1.doc AND m2.key IN " THREAD_KEYS " LIMIT 10000),"
	    " docs_in(doc) AS (SELECT DISTINCT m.doc FROM meta m JOIN ids ON m.key='email.message-id' AND m.value=ids.v"
	    "  UNION SELECT doc FROM meta WHERE doc=?1 AND key IN " THREAD_KEYS ")"
	    " SELECT t.doc,"
	    " (SELECT value FROM meta WHERE doc=t.doc AND key='email.date' LIMIT 1) AS dt,"
	    " (SELECT value FROM meta WHERE doc=t.doc AND key='email.from' LIMIT 1),"
	    " (SELECT value FROM meta WHERE doc=t.doc AND key='email.subject' LIMIT 1)"
	    " FROM docs_in t JOIN docs d ON d.id=t.doc ORDER BY julianday(dt), dt, t.doc";
	sqlite3_stmt *st = NULL;
	int64_t n = 0;
	int rc;

	if (prep(c, &st, sql) < 0)
		return -1;
	bind_text(st, 1, doc_hex);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb && cb(ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
		             (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3)) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -1;
}

int
dg_catalog_containers(struct dg_catalog *c, const char *doc_hex,
                      int (*cb)(void *ctx, const char *id, const char *label), void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (prep(c, &st, "SELECT DISTINCT doc, label FROM rels WHERE target=?1 AND kind='contains' ORDER BY doc") < 0)
		return -1;
	bind_text(st, 1, doc_hex);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1)) != 0)
			break;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* ---- near-duplicates ---------------------------------------------------- */

int
dg_catalog_stale(const struct dg_catalog *c)
{
	return c->stale;
}

int
dg_catalog_simhash(struct dg_catalog *c, const char *doc_hex, uint64_t *h)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (prep(c, &st, "SELECT hash FROM simhash WHERE doc=?1") < 0)
		return -1;
	bind_text(st, 1, doc_hex);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*h = (uint64_t)sqlite3_column_int64(st, 0);
		rc = 1;
	} else {
		rc = rc == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_finalize(st);
	return rc;
}

int
dg_catalog_near(struct dg_catalog *c, uint64_t h, const char *except,
                int (*cb)(void *ctx, const char *doc, uint64_t hash, int distance), void *ctx)
{
	/* a fingerprint within DG_SIMHASH_NEAR bits shares at least one of
	 * the four bands: look each up in its index, then verify */
	sqlite3_stmt *st = NULL;
	int rc, i, n = 0;

	if (prep(c, &st,
	         "SELECT doc, hash FROM simhash WHERE b0=?1 UNION SELECT doc, hash FROM simhash WHERE b1=?2"
	         " UNION SELECT doc, hash FROM simhash WHERE b2=?3 UNION SELECT doc, hash FROM simhash WHERE b3=?4"
	         " LIMIT ?5") < 0)
		return -1;
	for (i = 0; i < DG_SIMHASH_BANDS; i++)
		sqlite3_bind_int(st, 1 + i, (int)dg_simhash_band(h, i));
	sqlite3_bind_int(st, 5, NEAR_CANDIDATES);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *doc = (const char *)sqlite3_column_text(st, 0);
		uint64_t other = (uint64_t)sqlite3_column_int64(st, 1);
		int d = dg_simhash_distance(h, other);
		if (d > DG_SIMHASH_NEAR || (except && strcmp(doc, except) == 0))
			continue;
		n++;
		if (cb && cb(ctx, doc, other, d) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
}

int
dg_catalog_near_links(struct dg_catalog *c, const char *doc_hex,
                      int (*cb)(void *ctx, const char *other, const char *relation, const char *label), void *ctx)
{
	/* recorded in the later document's manifest as near-duplicate-of;
	 * the earlier one's has-near-duplicate is the same relation read
	 * backwards */
	sqlite3_stmt *st = NULL;
	int rc;

	if (prep(c, &st,
	         "SELECT target, '" DG_REL_NEAR_DUPLICATE_OF
	         "', label FROM rels WHERE doc=?1 AND kind='" DG_REL_NEAR_DUPLICATE_OF
	         "' UNION ALL SELECT doc, '" DG_REL_HAS_NEAR_DUPLICATE
	         "', label FROM rels WHERE target=?1 AND kind='" DG_REL_NEAR_DUPLICATE_OF "' ORDER BY 2 DESC, 1") < 0)
		return -1;
	bind_text(st, 1, doc_hex);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 2)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- dossiers --------------------------------------------------------- */

int
dg_catalog_dossiers(struct dg_catalog *c, const char *account, int (*cb)(void *ctx, const struct dg_dossier_row *row),
                    void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	if (prep(c, &st,
	         "SELECT account, name, first_seen, updated, docs, last_date FROM dossiers"
	         " WHERE ?1 IS NULL OR account=?1 ORDER BY account") < 0)
		return -1;
	bind_text(st, 1, account);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dg_dossier_row row;
		row.account = (const char *)sqlite3_column_text(st, 0);
		row.name = (const char *)sqlite3_column_text(st, 1);
		row.first_us = sqlite3_column_int64(st, 2);
		row.updated_us = sqlite3_column_int64(st, 3);
		row.ndocs = sqlite3_column_int64(st, 4);
		row.last_date = (const char *)sqlite3_column_text(st, 5);
		n++;
		if (cb && cb(ctx, &row) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
}

int
dg_catalog_dossier_fields(struct dg_catalog *c, const char *account,
                          int (*cb)(void *ctx, const char *key, const char *value, const char *doc), void *ctx)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = 0;

	/* in the order of dg_dossier_fields */
	if (prep(c, &st, "SELECT value, doc FROM dossier_fields WHERE account=?1 AND key=?2") < 0)
		return -1;
	for (i = 0; dg_dossier_fields[i] && rc == 0; i++) {
		int s;
		bind_text(st, 1, account);
		bind_text(st, 2, dg_dossier_fields[i]);
		s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			if (cb(ctx, dg_dossier_fields[i], (const char *)sqlite3_column_text(st, 0),
			       (const char *)sqlite3_column_text(st, 1)) != 0)
				rc = 1;
		} else if (s != SQLITE_DONE) {
			rc = -1;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

int
dg_catalog_dossier_docs(struct dg_catalog *c, const char *account,
                        int (*cb)(void *ctx, const struct dg_dossier_doc *doc), void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	if (prep(c, &st,
	         "SELECT dd.doc, dd.formed, dd.formed_from, dd.doctype, dd.title, d.created,"
	         " (SELECT group_concat(value, '; ') FROM meta m WHERE m.doc=dd.doc AND m.key='" DG_DOSSIER_BUSINESS_KEY
	         "'),"
	         " (SELECT group_concat(target, ' ') FROM rels r WHERE r.doc=dd.doc AND "
	         "r.kind='" DG_REL_NEAR_DUPLICATE_OF "')"
	         " FROM dossier_docs dd JOIN docs d ON d.id=dd.doc WHERE dd.account=?1"
	         " ORDER BY dd.formed, d.created, dd.doc") < 0)
		return -1;
	bind_text(st, 1, account);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dg_dossier_doc doc;
		doc.id = (const char *)sqlite3_column_text(st, 0);
		doc.formed = (const char *)sqlite3_column_text(st, 1);
		doc.formed_from = (const char *)sqlite3_column_text(st, 2);
		doc.doctype = (const char *)sqlite3_column_text(st, 3);
		doc.title = (const char *)sqlite3_column_text(st, 4);
		doc.first_us = sqlite3_column_int64(st, 5);
		doc.business = (const char *)sqlite3_column_text(st, 6);
		doc.near_of = (const char *)sqlite3_column_text(st, 7);
		n++;
		if (cb && cb(ctx, &doc) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
}

int
dg_catalog_dossier_values(struct dg_catalog *c, const char *account, const char *key,
                          int (*cb)(void *ctx, const char *value), void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	if (prep(c, &st,
	         "SELECT m.value FROM dossier_docs dd JOIN meta m ON m.doc=dd.doc AND m.key=?2"
	         " WHERE dd.account=?1 AND m.value<>'' GROUP BY m.value ORDER BY m.value") < 0)
		return -1;
	bind_text(st, 1, account);
	bind_text(st, 2, key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb && cb(ctx, (const char *)sqlite3_column_text(st, 0)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
}
