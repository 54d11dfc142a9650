/*
 * engine.c -- the document engine: sources feed a bounded queue, worker
 * threads run each document through the pipeline's stages, and one
 * committer thread publishes finished documents to the store in
 * batches (group commit: three filesystem syncs per batch, not per
 * document) and indexes them in the catalog.
 *
 * A document's life:
 *   source scan -> emit -> queue -> worker: copy the original into the
 *   store's temporary area while hashing it (its id), detect the media
 *   type, run the stages -> committer: manifest, publish, ref, catalog.
 * Children (archive entries, attachments) are emitted from a stage and
 * processed at once on the same worker, depth first.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <magic.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dangan/dangan.h"
#include "catalog.h"
#include "pipeline.h"
#include "engine.h"
#include "turns.h"
#include "loader.h"
#include "quarantine.h"
#include "record.h"
#include "simhash.h"
#include "store.h"
#include "util.h"
#include "xmlsafe.h"

#define MAX_DEPTH 16          /* nesting of children, whatever the plugins say */
#define QUEUE_CAP 64          /* documents waiting for a worker */
#define COMMIT_QUEUE_CAP 2048 /* documents waiting for the committer */
#define BATCH_MAX 512
#define BATCH_WAIT_MS 20
#define RETRIES 3
#define NOTE_LIMIT (64u << 10)
#define NEAR_LINKS_MAX 16 /* near-duplicates linked per document, the closest */
#define NEAR_SEEN_MAX 256 /* candidates weighed per document */

struct pending {
	char *tmp;
	char hex[65];
};

struct scratch {
	char *key;
	void *obj;
	void (*destroy)(void *obj);
	struct scratch *next;
};

struct dg_doc {
	struct dg_record rec;
	struct dg_doc *parent;
	int depth;
	char *orig_file;      /* from a source: file to copy */
	struct pending *pend; /* temp objects to publish */
	size_t npend, cappend;
	char *tempdir;
	int duplicate; /* same bytes already in the store */
	int failed;
	char *fail_reason;
	char *fail_stage;
	int64_t bytes_in;
	char *emitted_by;    /* plugin that emitted it */
	struct dg_buf notes; /* notes of the running stage */
	struct dg_doc *next; /* commit queue link */
	int is_retry;
	char retry_id[65];
	struct scratch *scratch; /* in-memory objects shared by stages */
	int started;             /* process_doc has begun */
	int type_given;          /* the emitter set the media type */
	int from_source;         /* counted in the engine's src_inflight */
	struct dg_engine *from_source_engine;
	int final_status; /* for done(): DG_FATAL until committed */
	void (*done)(void *arg, int status, const char *id);
	void *done_arg;
	struct stored *stored; /* a committed version read back (export) */
	uint64_t simhash;      /* text fingerprint, when has_simhash */
	int has_simhash;
	char term_name[128]; /* its file name as the progress line shows it */
};

/* What a stored document view adds: "sha256:" ids kept for the plugin,
 * and the previous version, read on demand. */
struct stored {
	const struct dg_store *store;
	char id[DG_ID_LEN + 1];
	char version[DG_ID_LEN + 1];
	char (*part_ids)[DG_ID_LEN + 1];
	char (*rel_ids)[DG_ID_LEN + 1];
	struct dg_doc *prev;
};

struct state_path {
	char *path;
	struct state_path *next;
};

struct worker {
	struct dg_engine *e;
	int index;
	pthread_t thread;
	magic_t magic;
};

struct stage_rt {
	const struct dg_stage *st;
	void *shared;
	int shared_ready;
	void **per_worker;
	char *per_worker_ready;
	atomic_int disabled;
	char why[DG_ERR_MAX]; /* why it was disabled (under lock) */
	pthread_mutex_t lock;
};

struct dg_ctx {
	struct dg_engine *e; /* NULL in a standalone context (export, verify) */
	int verbosity;       /* standalone: its own log level */
	const struct dg_ctx_hooks *hooks;
	struct worker *w;
	struct stage_rt *rt; /* NULL in a source */
	const struct dg_module *mod;
	struct dg_doc *doc;
	struct dg_err err;
	int in_source;
	char *store_root;       /* standalone: the store of state_dir() */
	char *state_path;       /* standalone: what state_dir() returned */
	struct dg_turns *turns; /* a concurrent export's, or NULL */
	size_t seq;             /* the document's number there */
	int turned;             /* it has had its turn */
	int verified_after;     /* an export that verify() will check */
};

struct dg_engine {
	struct dg_engine_opts o;
	struct dg_store *store;
	struct dg_catalog *cat;
	struct dg_registry *reg;
	struct dg_config *cfg;
	const struct dg_pipeline *pl;
	struct stage_rt *rt;
	size_t nrt;
	int jobs;
	struct worker *workers; /* jobs + 1: the last one is the source thread */

	pthread_mutex_t qlock;
	pthread_cond_t q_not_empty, q_not_full;
	struct dg_doc **queue;
	size_t qhead, qlen;
	int q_closed;

	pthread_mutex_t clock;
	pthread_cond_t c_not_empty, c_not_full;
	struct dg_doc *c_head, *c_tail;
	size_t c_len;
	int c_closed;
	pthread_t committer;

	/* documents emitted by the source and not yet durable or dropped */
	pthread_mutex_t src_lock;
	pthread_cond_t src_idle;
	long src_inflight;
	struct state_path *state_paths;

	atomic_int abort;
	int commit_failed; /* committer only: a batch failed, commit no more */
	pthread_mutex_t err_lock;
	struct dg_err fatal;

	/* statistics (committer thread writes, others read) */
	struct dg_ingest_stats st;
	int64_t start_us, last_progress_us;
	atomic_llong bytes_in;
	pthread_mutex_t log_lock;
	/* the latest stage_progress() report, shown on the progress line
	 * while its document is in the pipeline (under log_lock) */
	char activity[64];       /* "ocr 12/25 pages" */
	char activity_name[128]; /* the document's file name */
	const struct dg_doc *activity_doc;
};

static const struct dg_host host;

/* ---- logging and errors ---------------------------------------------- */

static void vlog_msg(struct dg_engine *e, enum dg_log_level level, const char *who, const char *fmt, va_list ap)
    DG_PRINTF(4, 0);
static void
vlog_msg(struct dg_engine *e, enum dg_log_level level, const char *who, const char *fmt, va_list ap)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	char small[1024], *msg = small, *big = NULL;
	va_list aq;
	int n;

	if (e && (int)level > e->o.verbosity)
		return; /* a standalone context (no e) checked the level already */
	/* one line of text: the file names in it are untrusted, and their
	 * control characters (a newline, a terminal escape) or bytes that
	 * are not UTF-8 must not reach a terminal, or a log read with cat */
	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n < 0)
		snprintf(small, sizeof(small), "%s", fmt);
	else if (n >= (int)sizeof(small) && (big = dg_malloc((size_t)n + 1)) != NULL) {
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		msg = big;
	}
	n = (int)strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0'; /* a library's message that ends its own line */
	dg_term_label(msg, msg, (size_t)n + 1);
	if (e) {
		pthread_mutex_lock(&e->log_lock);
		if (e->o.progress)
			fputs("\r\033[K", stderr);
	}
	fprintf(stderr, "dangan: %s%s%s: %s\n", who ? who : "", who ? ": " : "", names[level], msg);
	if (e)
		pthread_mutex_unlock(&e->log_lock);
	dg_free(big);
}

static void log_msg(struct dg_engine *e, enum dg_log_level level, const char *who, const char *fmt, ...)
    DG_PRINTF(4, 5);
static void
log_msg(struct dg_engine *e, enum dg_log_level level, const char *who, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_msg(e, level, who, fmt, ap);
	va_end(ap);
}

static void
set_fatal(struct dg_engine *e, const char *msg)
{
	pthread_mutex_lock(&e->err_lock);
	if (!e->fatal.msg[0])
		dg_err_set(&e->fatal, DG_FATAL, "%s", msg);
	pthread_mutex_unlock(&e->err_lock);
	atomic_store(&e->abort, 1);
}

/* ---- documents ------------------------------------------------------- */

static struct dg_doc *
doc_new(struct dg_doc *parent)
{
	struct dg_doc *d = dg_calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	dg_record_init(&d->rec);
	dg_buf_init(&d->notes, NOTE_LIMIT);
	d->parent = parent;
	d->depth = parent ? parent->depth + 1 : 0;
	d->final_status = DG_FATAL;
	return d;
}

static void
doc_drop_pending(struct dg_doc *d)
{
	size_t i;

	for (i = 0; i < d->npend; i++) {
		if (d->pend[i].tmp) {
			unlink(d->pend[i].tmp);
			dg_free(d->pend[i].tmp);
		}
	}
	d->npend = 0;
}

static void
doc_drop_scratch(struct dg_doc *d)
{
	while (d->scratch) {
		struct scratch *sc = d->scratch;
		d->scratch = sc->next;
		if (sc->destroy && sc->obj)
			sc->destroy(sc->obj);
		dg_free(sc->key);
		dg_free(sc);
	}
}

static void src_done(struct dg_engine *e);

static void
doc_free(struct dg_doc *d)
{
	if (!d)
		return;
	if (d->done) {
		char id[DG_ID_LEN + 1];
		int has_id = d->rec.doc_hex[0] && dg_record_part(&d->rec, DG_ROLE_ORIGINAL);
		if (has_id)
			snprintf(id, sizeof(id), "sha256:%s", d->rec.doc_hex);
		d->done(d->done_arg, d->final_status, has_id ? id : NULL);
		d->done = NULL;
	}
	if (d->from_source)
		src_done(d->from_source_engine);
	doc_drop_scratch(d);
	doc_drop_pending(d);
	dg_free(d->pend);
	if (d->tempdir) {
		dg_rmtree(d->tempdir);
		dg_free(d->tempdir);
	}
	if (d->stored) {
		doc_free(d->stored->prev);
		dg_free(d->stored->part_ids);
		dg_free(d->stored->rel_ids);
		dg_free(d->stored);
	}
	dg_record_release(&d->rec);
	dg_buf_release(&d->notes);
	dg_free(d->orig_file);
	dg_free(d->fail_reason);
	dg_free(d->fail_stage);
	dg_free(d->emitted_by);
	dg_free(d);
}

/* Attach a temp object as a part; a replaced part's temp is dropped. */
static int
doc_add_part(struct dg_doc *d, const char *role, const char *type, int64_t size, const char *hex, char *tmp)
{
	struct dg_part *old = dg_record_part(&d->rec, role);
	size_t i;

	if (old && old->path) {
		for (i = 0; i < d->npend; i++) {
			if (d->pend[i].tmp && strcmp(d->pend[i].tmp, old->path) == 0) {
				unlink(d->pend[i].tmp);
				dg_free(d->pend[i].tmp);
				d->pend[i] = d->pend[--d->npend];
				break;
			}
		}
	}
	if (d->npend == d->cappend) {
		size_t ncap = d->cappend ? d->cappend * 2 : 4;
		struct pending *p = dg_realloc(d->pend, ncap * sizeof(*p));
		if (!p)
			goto fail;
		d->pend = p;
		d->cappend = ncap;
	}
	if (dg_record_part_set(&d->rec, role, type, size, hex, tmp) < 0)
		goto fail;
	d->pend[d->npend].tmp = tmp;
	memcpy(d->pend[d->npend].hex, hex, 65);
	d->npend++;
	return 0;
fail:
	unlink(tmp);
	dg_free(tmp);
	return -1;
}

static void
doc_fail(struct dg_doc *d, const char *stage, const char *reason)
{
	if (d->failed)
		return;
	d->failed = 1;
	d->fail_reason = dg_strdup(reason && *reason ? reason : "failed (no reason given)");
	d->fail_stage = stage ? dg_strdup(stage) : NULL;
}

static void
add_event(struct dg_doc *d, const char *type, const char *stage, const struct dg_module *m, const char *outcome,
          const char *message, int64_t at_us, int64_t dur_us)
{
	struct dg_event ev = {0};

	ev.type = (char *)type;
	ev.stage = (char *)stage;
	ev.plugin = m ? m->name : NULL;
	ev.plugin_version = m ? (char *)m->desc->version : NULL;
	ev.outcome = (char *)outcome;
	ev.message = (char *)message;
	ev.at_us = at_us;
	ev.duration_us = dur_us;
	dg_record_event_add(&d->rec, &ev);
}

/* ---- the host-API table ------------------------------------------------ */

static void h_log(struct dg_ctx *ctx, enum dg_log_level level, const char *fmt, ...) DG_PRINTF(3, 4);
static void
h_log(struct dg_ctx *ctx, enum dg_log_level level, const char *fmt, ...)
{
	va_list ap;
	const char *who = ctx->mod ? ctx->mod->name : NULL;

	if ((int)level < 0 || level > DG_LOG_DEBUG)
		level = DG_LOG_INFO;
	if (!ctx->e && (int)level > ctx->verbosity)
		return;
	va_start(ap, fmt);
	vlog_msg(ctx->e, level, who, fmt, ap);
	va_end(ap);
}

static void h_error(struct dg_ctx *ctx, const char *fmt, ...) DG_PRINTF(2, 3);
static void
h_error(struct dg_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err.msg, sizeof(ctx->err.msg), fmt, ap);
	va_end(ap);
	ctx->err.code = DG_FAILED;
}

static const char *
h_opt_string(const struct dg_opts *o, const char *name)
{
	return dg_opts_string(o, name);
}

static int64_t
h_opt_int(const struct dg_opts *o, const char *name)
{
	return dg_opts_int(o, name);
}

static int
h_opt_bool(const struct dg_opts *o, const char *name)
{
	return dg_opts_bool(o, name);
}

static const char *
h_meta_get(struct dg_doc *d, const char *key)
{
	return dg_record_meta(&d->rec, key);
}

static size_t
h_meta_count(struct dg_doc *d, const char *key)
{
	return dg_record_meta_count(&d->rec, key);
}

static const char *
h_meta_get_n(struct dg_doc *d, const char *key, size_t i)
{
	return dg_record_meta_n(&d->rec, key, i);
}

static int
key_ok(const char *key)
{
	const unsigned char *p;

	for (p = (const unsigned char *)key; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static int
meta_ok(const char *key, const char *value)
{
	return key && value && *key && strlen(key) <= 256 && key_ok(key) && strlen(value) <= (1u << 20) &&
	       dg_utf8_valid(key, strlen(key)) && dg_utf8_valid(value, strlen(value));
}

static int
h_meta_set(struct dg_doc *d, const char *key, const char *value)
{
	if (!meta_ok(key, value))
		return -1;
	return dg_record_meta_set(&d->rec, key, value);
}

static int
h_meta_add(struct dg_doc *d, const char *key, const char *value)
{
	size_t i, n;

	if (!meta_ok(key, value))
		return -1;
	for (i = 0, n = dg_record_meta_count(&d->rec, key); i < n; i++)
		if (strcmp(dg_record_meta_n(&d->rec, key, i), value) == 0)
			return 0;
	return dg_record_meta_add(&d->rec, key, value);
}

static const char *
h_media_type(struct dg_doc *d)
{
	return d->rec.media_type;
}

static int
h_set_media_type(struct dg_doc *d, const char *type)
{
	char *t;

	if (!type || !*type || strlen(type) > 255 || !strchr(type, '/'))
		return -1;
	t = dg_strdup(type);
	if (!t)
		return -1;
	dg_free(d->rec.media_type);
	d->rec.media_type = t;
	if (!d->started)
		d->type_given = 1;
	return 0;
}

static magic_t
worker_magic(struct worker *w)
{
	if (!w->magic) {
		w->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS);
		if (w->magic && magic_load(w->magic, NULL) != 0) {
			magic_close(w->magic);
			w->magic = NULL;
		}
	}
	return w->magic;
}

/* A PDF header within the first 1024 bytes, where PDF readers look for
 * it (bytes before it: a mail gateway's or a scanner's), which libmagic
 * only finds at the start. */
static int
pdf_header_late(const char *path)
{
	char head[1024];
	size_t n = 0;
	FILE *f = fopen(path, "rb");

	if (f) {
		n = fread(head, 1, sizeof(head), f);
		fclose(f);
	}
	return n > 5 && memmem(head, n, "%PDF-", 5) != NULL;
}

static int
h_detect_file(struct dg_ctx *ctx, const char *path, char *buf, size_t cap)
{
	magic_t m = worker_magic(ctx->w);
	const char *t = m ? magic_file(m, path) : NULL;

	if (t && strcmp(t, "application/octet-stream") == 0 && pdf_header_late(path))
		t = "application/pdf";
	snprintf(buf, cap, "%s", t ? t : "application/octet-stream");
	return t ? 0 : -1;
}

static const char *
h_part_path(struct dg_doc *d, const char *role)
{
	struct dg_part *p = dg_record_part(&d->rec, role);

	return p ? p->path : NULL;
}

static int64_t
h_part_size(struct dg_doc *d, const char *role)
{
	struct dg_part *p = dg_record_part(&d->rec, role);

	return p ? p->size : -1;
}

static int
role_ok(const char *role)
{
	size_t i;

	if (!role || !*role || strlen(role) > 64)
		return 0;
	for (i = 0; role[i]; i++)
		if (!((role[i] >= 'a' && role[i] <= 'z') || (role[i] >= '0' && role[i] <= '9') || role[i] == '-' ||
		      role[i] == '.' || role[i] == '_'))
			return 0;
	return 1;
}

static int
h_part_add_mem(struct dg_ctx *ctx, struct dg_doc *d, const char *role, const char *type, const void *buf, size_t len)
{
	char hex[65];
	char *tmp = NULL;

	if (!role_ok(role) || strcmp(role, DG_ROLE_ORIGINAL) == 0) {
		dg_err_set(&ctx->err, DG_FAILED, "invalid part role '%s'", role ? role : "");
		return -1;
	}
	if (dg_store_put_mem(ctx->e->store, buf, len, hex, &tmp, &ctx->err) < 0)
		return -1;
	return doc_add_part(d, role, type, (int64_t)len, hex, tmp);
}

struct dg_writer {
	struct dg_objw *w;
};

static struct dg_writer *
h_writer_open(struct dg_ctx *ctx)
{
	struct dg_writer *w = dg_calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->w = dg_objw_open(ctx->e->store, &ctx->err);
	if (!w->w) {
		dg_free(w);
		return NULL;
	}
	return w;
}

static int
h_writer_write(struct dg_writer *w, const void *buf, size_t len)
{
	return dg_objw_write(w->w, buf, len);
}

static void
h_writer_abort(struct dg_writer *w)
{
	if (!w)
		return;
	dg_objw_abort(w->w);
	dg_free(w);
}

static int64_t
h_writer_size(const struct dg_writer *w)
{
	return dg_objw_size(w->w);
}

static int
h_writer_finish(struct dg_ctx *ctx, struct dg_writer *w, struct dg_doc *d, const char *role, const char *type)
{
	char hex[65];
	int64_t size;
	char *tmp;

	if (!role_ok(role)) {
		dg_err_set(&ctx->err, DG_FAILED, "invalid part role '%s'", role ? role : "");
		h_writer_abort(w);
		return -1;
	}
	if (strcmp(role, DG_ROLE_ORIGINAL) == 0 && (dg_record_part(&d->rec, DG_ROLE_ORIGINAL) || d->orig_file)) {
		dg_err_set(&ctx->err, DG_FAILED, "the document already has an original");
		h_writer_abort(w);
		return -1;
	}
	if (dg_objw_close(w->w) < 0) {
		dg_err_set(&ctx->err, DG_FAILED, "cannot write to the store: %s", strerror(errno));
		h_writer_abort(w);
		return -1;
	}
	memcpy(hex, dg_objw_hex(w->w), 65);
	size = dg_objw_size(w->w);
	tmp = dg_objw_detach(w->w);
	dg_free(w);
	if (!tmp)
		return -1;
	if (strcmp(role, DG_ROLE_ORIGINAL) == 0)
		d->bytes_in = size;
	return doc_add_part(d, role, type, size, hex, tmp);
}

static struct dg_doc *
h_doc_new(struct dg_ctx *ctx, struct dg_doc *parent)
{
	struct dg_doc *d = doc_new(parent);

	if (d && ctx->mod)
		d->emitted_by = dg_strdup(ctx->mod->name);
	return d;
}

static int
h_doc_set_original_file(struct dg_ctx *ctx, struct dg_doc *d, const char *path)
{
	char *p;

	if (d->orig_file || dg_record_part(&d->rec, DG_ROLE_ORIGINAL)) {
		dg_err_set(&ctx->err, DG_FAILED, "the document already has an original");
		return -1;
	}
	p = dg_strdup(path);
	if (!p)
		return -1;
	d->orig_file = p;
	return 0;
}

static void
h_doc_free(struct dg_doc *d)
{
	doc_free(d);
}

static int h_note(struct dg_ctx *ctx, struct dg_doc *d, const char *fmt, ...) DG_PRINTF(3, 4);
static int
h_note(struct dg_ctx *ctx, struct dg_doc *d, const char *fmt, ...)
{
	va_list ap;
	char line[2048];

	(void)ctx;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!dg_utf8_valid(line, strlen(line)))
		return -1;
	if (d->notes.len && dg_buf_add(&d->notes, "\n", 1) < 0)
		return -1;
	return dg_buf_adds(&d->notes, line);
}

static int
h_depth(struct dg_doc *d)
{
	return d->depth;
}

static const char *
h_temp_dir(struct dg_ctx *ctx, struct dg_doc *d)
{
	char *t;

	if (d->tempdir)
		return d->tempdir;
	t = dg_asprintf("%s/objects/tmp/d-XXXXXX", dg_store_root(ctx->e->store));
	if (!t)
		return NULL;
	if (!mkdtemp(t)) {
		dg_free(t);
		return NULL;
	}
	d->tempdir = t;
	return t;
}

static int
h_scratch_set(struct dg_doc *d, const char *key, void *obj, void (*destroy)(void *obj))
{
	struct scratch **pp, *sc;

	if (!key || key[0] != '@')
		return -1;
	for (pp = &d->scratch; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->key, key) == 0) {
			sc = *pp;
			if (sc->destroy && sc->obj && sc->obj != obj)
				sc->destroy(sc->obj);
			sc->obj = obj;
			sc->destroy = destroy;
			return 0;
		}
	}
	sc = dg_calloc(1, sizeof(*sc));
	if (!sc || !(sc->key = dg_strdup(key))) {
		dg_free(sc);
		return -1;
	}
	sc->obj = obj;
	sc->destroy = destroy;
	sc->next = d->scratch;
	d->scratch = sc;
	return 0;
}

static void *
h_scratch_get(struct dg_doc *d, const char *key)
{
	struct scratch *sc;

	for (sc = d->scratch; sc; sc = sc->next)
		if (strcmp(sc->key, key) == 0)
			return sc->obj;
	return NULL;
}

static int
h_part_add_file(struct dg_ctx *ctx, struct dg_doc *d, const char *role, const char *type, const char *path)
{
	char hex[65];
	char *tmp = NULL;
	int64_t size = 0;
	int fd, rc;

	if (!role_ok(role) || strcmp(role, DG_ROLE_ORIGINAL) == 0) {
		dg_err_set(&ctx->err, DG_FAILED, "invalid part role '%s'", role ? role : "");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		dg_err_set(&ctx->err, DG_FAILED, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	rc = dg_store_put_fd(ctx->e->store, fd, hex, &tmp, &size, &ctx->err);
	close(fd);
	if (rc < 0)
		return -1;
	return doc_add_part(d, role, type, size, hex, tmp);
}

static int h_emit(struct dg_ctx *ctx, struct dg_doc *d);

static void
src_done(struct dg_engine *e)
{
	pthread_mutex_lock(&e->src_lock);
	if (--e->src_inflight <= 0)
		pthread_cond_broadcast(&e->src_idle);
	pthread_mutex_unlock(&e->src_lock);
}

static int
h_emit_tracked(struct dg_ctx *ctx, struct dg_doc *d, void (*done)(void *arg, int status, const char *id), void *arg)
{
	if (!d)
		return DG_FAILED;
	if (!ctx->in_source) {
		doc_free(d);
		dg_err_set(&ctx->err, DG_FAILED,
		           "emit_tracked is for sources; a stage's children are done when emit returns");
		return DG_FAILED;
	}
	d->done = done;
	d->done_arg = arg;
	return h_emit(ctx, d);
}

static int
h_wait_durable(struct dg_ctx *ctx)
{
	struct dg_engine *e = ctx->e;

	if (!ctx->in_source)
		return DG_FAILED;
	pthread_mutex_lock(&e->src_lock);
	while (e->src_inflight > 0)
		pthread_cond_wait(&e->src_idle, &e->src_lock);
	pthread_mutex_unlock(&e->src_lock);
	return atomic_load(&e->abort) ? DG_FATAL : DG_OK;
}

static const char *
h_state_dir(struct dg_ctx *ctx)
{
	struct dg_engine *e = ctx->e;
	const char *root = e ? dg_store_root(e->store) : ctx->store_root;
	char *path;

	if (!ctx->mod) {
		dg_err_set(&ctx->err, DG_FAILED, "no plugin to own a state directory");
		return NULL;
	}
	if (!root) {
		dg_err_set(&ctx->err, DG_FAILED, "no store here to keep a state directory in");
		return NULL;
	}
	path = dg_asprintf("%s/state/%s", root, ctx->mod->name);
	if (!path)
		return NULL;
	if (!e) {
		/* standalone: the context keeps the string (one at a time) */
		if (dg_mkdirs(path, 0755) < 0) {
			dg_err_set(&ctx->err, DG_FAILED, "cannot create %s: %s", path, strerror(errno));
			dg_free(path);
			return NULL;
		}
		dg_free(ctx->state_path);
		ctx->state_path = path;
		return path;
	}
	if ((mkdir(root, 0755) < 0 && errno != EEXIST) || dg_mkdirs(path, 0755) < 0) {
		dg_err_set(&ctx->err, DG_FAILED, "cannot create %s: %s", path, strerror(errno));
		dg_free(path);
		return NULL;
	}
	{
		/* the engine keeps the string for the plugin until it is freed */
		struct state_path *sp = dg_calloc(1, sizeof(*sp));
		if (!sp) {
			dg_free(path);
			return NULL;
		}
		sp->path = path;
		pthread_mutex_lock(&e->src_lock);
		sp->next = e->state_paths;
		e->state_paths = sp;
		pthread_mutex_unlock(&e->src_lock);
	}
	return path;
}

/* ---- ABI 1.3: stored documents, findings, progress ------------------- */

static const char *
h_doc_id(struct dg_doc *d)
{
	if (d->stored)
		return d->stored->id[0] ? d->stored->id : NULL;
	return NULL;
}

static const char *
h_doc_version(struct dg_doc *d)
{
	return d->stored ? d->stored->version : NULL;
}

static int64_t
h_doc_created(struct dg_doc *d)
{
	return d->stored ? d->rec.created_us : 0;
}

static int
h_meta_n(struct dg_doc *d, size_t i, const char **key, const char **value)
{
	if (i >= d->rec.nmeta)
		return -1;
	*key = d->rec.meta[i].key;
	*value = d->rec.meta[i].value;
	return 0;
}

static int
h_part_n(struct dg_doc *d, size_t i, struct dg_part_info *out)
{
	const struct dg_part *p;

	if (i >= d->rec.nparts || !d->stored)
		return -1;
	p = &d->rec.parts[i];
	out->role = p->role;
	out->media_type = p->media_type;
	out->id = d->stored->part_ids[i];
	out->path = p->path;
	out->size = p->size;
	return 0;
}

static int
h_event_n(struct dg_doc *d, size_t i, struct dg_event_info *out)
{
	const struct dg_event *ev;

	if (i >= d->rec.nevents)
		return -1;
	ev = &d->rec.events[i];
	out->type = ev->type;
	out->stage = ev->stage;
	out->plugin = ev->plugin;
	out->plugin_version = ev->plugin_version;
	out->outcome = ev->outcome;
	out->message = ev->message;
	out->at_us = ev->at_us;
	out->duration_us = ev->duration_us;
	return 0;
}

static int
h_relation_n(struct dg_doc *d, size_t i, struct dg_relation_info *out)
{
	if (i >= d->rec.nrels || !d->stored)
		return -1;
	out->kind = d->rec.rels[i].kind;
	out->id = d->stored->rel_ids[i];
	out->label = d->rec.rels[i].label;
	return 0;
}

static struct dg_doc *
h_doc_previous(struct dg_ctx *ctx, struct dg_doc *d)
{
	struct dg_err err = {0};

	if (!d->stored || !d->rec.parent_hex[0])
		return NULL;
	if (!d->stored->prev) {
		d->stored->prev = dg_stored_doc_load(d->stored->store, d->rec.parent_hex, &err);
		if (!d->stored->prev)
			dg_err_set(&ctx->err, DG_FAILED, "%s", err.msg);
	}
	return d->stored->prev;
}

static void h_finding(struct dg_ctx *ctx, enum dg_finding_level level, const char *code, const char *where,
                      const char *fmt, ...) DG_PRINTF(5, 6);
static void
h_finding(struct dg_ctx *ctx, enum dg_finding_level level, const char *code, const char *where, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if ((int)level < DG_FINDING_PASS || level > DG_FINDING_ERROR)
		level = DG_FINDING_ERROR;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctx->hooks && ctx->hooks->finding) {
		ctx->hooks->finding(ctx->hooks->arg, level, code, where, msg);
		return;
	}
	if (level >= DG_FINDING_WARN)
		h_log(ctx, level == DG_FINDING_ERROR ? DG_LOG_WARN : DG_LOG_INFO, "%s%s%s%s%s", code ? code : "",
		      code ? " " : "", where ? where : "", where ? ": " : "", msg);
}

static void
h_progress(struct dg_ctx *ctx, int64_t bytes)
{
	if (ctx->hooks && ctx->hooks->progress)
		ctx->hooks->progress(ctx->hooks->arg, bytes);
}

/* ---- ABI 1.5: turns in selection order ----------------------------- */

static void
h_in_order(struct dg_ctx *ctx, void (*fn)(void *arg), void *arg)
{
	if (!ctx->turns || ctx->turned) {
		fn(arg);
		return;
	}
	dg_turns_wait(ctx->turns, ctx->seq);
	fn(arg);
	ctx->turned = 1;
	dg_turns_done(ctx->turns, ctx->seq);
}

static int
h_export_verified(struct dg_ctx *ctx)
{
	return ctx->verified_after;
}

/* ---- ABI 1.6 ------------------------------------------------------- */

static int
h_workers(struct dg_ctx *ctx)
{
	return ctx->e != NULL && ctx->e->jobs > 0 ? ctx->e->jobs : 1;
}

/* ---- ABI 1.7 ------------------------------------------------------- */

static void progress(struct dg_engine *e, int final);

static void
h_stage_progress(struct dg_ctx *ctx, struct dg_doc *doc, int64_t done, int64_t total, const char *unit)
{
	struct dg_engine *e = ctx->e;
	const char *stage;
	char what[sizeof(e->activity)];

	if (e == NULL || !e->o.progress || doc == NULL)
		return;
	stage = ctx->rt != NULL ? ctx->rt->st->id : ctx->mod != NULL ? ctx->mod->desc->name : "?";
	if (total > 0)
		snprintf(what, sizeof(what), "%s %lld/%lld %s", stage, (long long)done, (long long)total,
		         unit ? unit : "");
	else
		snprintf(what, sizeof(what), "%s %lld %s", stage, (long long)done, unit ? unit : "");
	pthread_mutex_lock(&e->log_lock);
	memcpy(e->activity, what, sizeof(what));
	snprintf(e->activity_name, sizeof(e->activity_name), "%s", doc->term_name);
	e->activity_doc = doc;
	pthread_mutex_unlock(&e->log_lock);
	progress(e, 0);
}

/* doc leaves the pipeline: its report is no longer news */
static void
activity_end(struct dg_engine *e, const struct dg_doc *doc)
{
	pthread_mutex_lock(&e->log_lock);
	if (e->activity_doc == doc) {
		e->activity[0] = '\0';
		e->activity_doc = NULL;
	}
	pthread_mutex_unlock(&e->log_lock);
}

void
dg_ctx_set_verified_after(struct dg_ctx *ctx, int on)
{
	ctx->verified_after = on;
}

void
dg_ctx_begin_turn(struct dg_ctx *ctx, struct dg_turns *t, size_t seq)
{
	ctx->turns = t;
	ctx->seq = seq;
	ctx->turned = 0;
}

void
dg_ctx_end_turn(struct dg_ctx *ctx)
{
	if (ctx->turns && !ctx->turned)
		dg_turns_done(ctx->turns, ctx->seq);
	ctx->turned = 1;
}

struct dg_doc *
dg_stored_doc_load(const struct dg_store *s, const char *manifest_hex, struct dg_err *err)
{
	struct dg_doc *d = doc_new(NULL);
	size_t i;

	if (!d || !(d->stored = dg_calloc(1, sizeof(*d->stored))))
		goto oom;
	d->stored->store = s;
	if (dg_store_read_manifest(s, manifest_hex, &d->rec, err) < 0)
		goto fail;
	snprintf(d->stored->version, sizeof(d->stored->version), "sha256:%s", manifest_hex);
	if (d->rec.doc_hex[0])
		snprintf(d->stored->id, sizeof(d->stored->id), "sha256:%s", d->rec.doc_hex);
	d->stored->part_ids = dg_calloc(d->rec.nparts + 1, sizeof(*d->stored->part_ids));
	d->stored->rel_ids = dg_calloc(d->rec.nrels + 1, sizeof(*d->stored->rel_ids));
	if (!d->stored->part_ids || !d->stored->rel_ids)
		goto oom;
	for (i = 0; i < d->rec.nparts; i++) {
		struct dg_part *p = &d->rec.parts[i];
		snprintf(d->stored->part_ids[i], sizeof(d->stored->part_ids[i]), "sha256:%s", p->hex);
		dg_free(p->path);
		p->path = dg_store_object_path(s, p->hex);
		if (!p->path)
			goto oom;
	}
	for (i = 0; i < d->rec.nrels; i++)
		snprintf(d->stored->rel_ids[i], sizeof(d->stored->rel_ids[i]), "sha256:%s", d->rec.rels[i].hex);
	return d;
oom:
	dg_err_set(err, DG_FATAL, "out of memory");
fail:
	doc_free(d);
	return NULL;
}

void
dg_stored_doc_free(struct dg_doc *d)
{
	doc_free(d);
}

struct dg_ctx *
dg_ctx_new(const struct dg_module *m, int verbosity, const struct dg_ctx_hooks *hooks)
{
	struct dg_ctx *ctx = dg_calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	ctx->mod = m;
	ctx->verbosity = verbosity;
	ctx->hooks = hooks;
	return ctx;
}

int
dg_ctx_set_store(struct dg_ctx *ctx, const char *root)
{
	char *r = dg_strdup(root);

	if (!r)
		return -1;
	dg_free(ctx->store_root);
	ctx->store_root = r;
	return 0;
}

void
dg_ctx_free(struct dg_ctx *ctx)
{
	if (!ctx)
		return;
	dg_free(ctx->store_root);
	dg_free(ctx->state_path);
	dg_free(ctx);
}

const char *
dg_ctx_error(struct dg_ctx *ctx)
{
	return ctx->err.msg[0] ? ctx->err.msg : NULL;
}

void
dg_ctx_clear_error(struct dg_ctx *ctx)
{
	ctx->err.code = 0;
	ctx->err.msg[0] = '\0';
}

static const struct dg_host host = {
    .struct_size = sizeof(struct dg_host),
    .abi_major = DG_ABI_MAJOR,
    .abi_minor = DG_ABI_MINOR,
    .log = h_log,
    .error = h_error,
    .opt_string = h_opt_string,
    .opt_int = h_opt_int,
    .opt_bool = h_opt_bool,
    .meta_get = h_meta_get,
    .meta_count = h_meta_count,
    .meta_get_n = h_meta_get_n,
    .meta_set = h_meta_set,
    .meta_add = h_meta_add,
    .media_type = h_media_type,
    .set_media_type = h_set_media_type,
    .detect_file = h_detect_file,
    .part_path = h_part_path,
    .part_size = h_part_size,
    .part_add_mem = h_part_add_mem,
    .writer_open = h_writer_open,
    .writer_write = h_writer_write,
    .writer_finish = h_writer_finish,
    .writer_abort = h_writer_abort,
    .writer_size = h_writer_size,
    .doc_new = h_doc_new,
    .doc_set_original_file = h_doc_set_original_file,
    .emit = h_emit,
    .doc_free = h_doc_free,
    .note = h_note,
    .depth = h_depth,
    .temp_dir = h_temp_dir,
    .scratch_set = h_scratch_set,
    .scratch_get = h_scratch_get,
    .part_add_file = h_part_add_file,
    .emit_tracked = h_emit_tracked,
    .wait_durable = h_wait_durable,
    .state_dir = h_state_dir,
    .doc_id = h_doc_id,
    .doc_version = h_doc_version,
    .doc_created = h_doc_created,
    .meta_n = h_meta_n,
    .part_n = h_part_n,
    .event_n = h_event_n,
    .relation_n = h_relation_n,
    .doc_previous = h_doc_previous,
    .finding = h_finding,
    .progress = h_progress,
    .in_order = h_in_order,
    .export_verified = h_export_verified,
    .workers = h_workers,
    .stage_progress = h_stage_progress,
};

const struct dg_host *
dg_engine_host(void)
{
	return &host;
}

/* ---- stages ---------------------------------------------------------- */

/* Disable a stage for the rest of the run; the first reason is kept for
 * the documents it can no longer take.  Caller holds rt->lock. */
static void
stage_disable_locked(struct stage_rt *rt, const char *why)
{
	if (!atomic_load(&rt->disabled))
		snprintf(rt->why, sizeof(rt->why), "%s", why);
	atomic_store(&rt->disabled, 1);
}

/* The instance of a stage for this worker, created on first use. */
static int
stage_instance(struct dg_ctx *ctx, struct stage_rt *rt, void **state)
{
	const struct dg_plugin *p = rt->st->mod->desc;
	int shared = (p->flags & DG_PLUGIN_SHARED) != 0;
	int idx = ctx->w->index, rc = 0;

	pthread_mutex_lock(&rt->lock);
	if (shared ? rt->shared_ready : rt->per_worker_ready[idx]) {
		*state = shared ? rt->shared : rt->per_worker[idx];
		goto out;
	}
	*state = NULL;
	if (p->init) {
		int s = p->init(ctx, &host, rt->st->opts, state);
		if (s != DG_OK && s != DG_WARN) {
			log_msg(ctx->e, DG_LOG_ERROR, p->name, "stage '%s' cannot start: %s (stage disabled)",
			        rt->st->id, ctx->err.msg[0] ? ctx->err.msg : "init failed");
			stage_disable_locked(rt, ctx->err.msg[0] ? ctx->err.msg : "init failed");
			rc = -1;
			goto out;
		}
	}
	if (shared) {
		rt->shared = *state;
		rt->shared_ready = 1;
	} else {
		rt->per_worker[idx] = *state;
		rt->per_worker_ready[idx] = 1;
	}
out:
	pthread_mutex_unlock(&rt->lock);
	return rc;
}

static const char *
meta_n_cb(void *ctx, const char *key, size_t i)
{
	return dg_record_meta_n(&((struct dg_doc *)ctx)->rec, key, i);
}

static const char *
outcome_name(int s)
{
	switch (s) {
	case DG_OK: return "ok";
	case DG_DECLINED: return "declined";
	case DG_RETRY: return "retry";
	case DG_WARN: return "warn";
	case DG_FAILED: return "failed";
	case DG_FATAL: return "fatal";
	}
	return "invalid";
}

/* Run one stage on a document.  Returns 0 to go on, 1 to stop. */
static int
run_stage(struct dg_ctx *ctx, struct stage_rt *rt, struct dg_doc *d)
{
	const struct dg_stage *st = rt->st;
	const struct dg_plugin *p = st->mod->desc;
	void *state = NULL;
	int s = DG_OK, attempt;
	int64_t t0, t1;

	if (!dg_match_accepts(st, d->rec.media_type, meta_n_cb, d))
		return 0;
	ctx->rt = rt;
	ctx->mod = st->mod;
	ctx->doc = d;
	dg_err_clear(&ctx->err);
	/* a document the stage should have taken does not pass as done:
	 * it fails by the stage's on-failure (quarantine: retry later) */
	if (atomic_load(&rt->disabled)) {
		pthread_mutex_lock(&rt->lock);
		snprintf(ctx->err.msg, sizeof(ctx->err.msg), "stage disabled for this run: %.900s", rt->why);
		pthread_mutex_unlock(&rt->lock);
		s = DG_FAILED;
		t0 = t1 = dg_now_us();
		goto judge;
	}
	if (stage_instance(ctx, rt, &state) < 0) {
		s = DG_FATAL;
		t0 = t1 = dg_now_us();
		goto judge;
	}
	if (p->bid && p->bid(ctx, &host, state, d) <= 0)
		return 0;
	dg_buf_reset(&d->notes);
	t0 = dg_now_us();
	for (attempt = 1; attempt <= RETRIES; attempt++) {
		dg_err_clear(&ctx->err);
		s = p->process(ctx, &host, state, d);
		if (s != DG_RETRY)
			break;
	}
	t1 = dg_now_us();
	if (s == DG_RETRY) {
		s = DG_FAILED;
		if (!ctx->err.msg[0])
			snprintf(ctx->err.msg, sizeof(ctx->err.msg), "gave up after %d attempts", RETRIES);
	}
	if (s < DG_OK || s > DG_FATAL) {
		snprintf(ctx->err.msg, sizeof(ctx->err.msg), "plugin returned invalid status %d", s);
		s = DG_FAILED;
	}
judge : {
	struct dg_buf msg;
	dg_buf_init(&msg, NOTE_LIMIT * 2);
	if (ctx->err.msg[0])
		dg_buf_adds(&msg, ctx->err.msg);
	if (d->notes.len) {
		if (msg.len)
			dg_buf_adds(&msg, "\n");
		dg_buf_add(&msg, d->notes.data, d->notes.len);
	}
	if (s != DG_DECLINED || msg.len)
		add_event(d, "stage", st->id, st->mod, outcome_name(s), msg.len ? msg.data : NULL, t0, t1 - t0);
	dg_buf_release(&msg);
	dg_buf_reset(&d->notes);
}
	if (s == DG_WARN) {
		dg_free(d->rec.status);
		d->rec.status = dg_strdup("warn");
	}
	if (s == DG_FATAL) {
		pthread_mutex_lock(&rt->lock);
		stage_disable_locked(rt, ctx->err.msg[0] ? ctx->err.msg : "a fatal error without a reason");
		pthread_mutex_unlock(&rt->lock);
		log_msg(ctx->e, DG_LOG_ERROR, p->name,
		        "stage '%s' reported a fatal error and is disabled for this run: %s", st->id,
		        ctx->err.msg[0] ? ctx->err.msg : "(no detail)");
	}
	if (s == DG_FAILED || s == DG_FATAL) {
		char reason[DG_ERR_MAX + 128];
		snprintf(reason, sizeof(reason), "stage '%s' (%s): %s", st->id, p->name,
		         ctx->err.msg[0] ? ctx->err.msg : "failed without a reason");
		switch (st->on_failure) {
		case DG_ONFAIL_CONTINUE:
			dg_free(d->rec.status);
			d->rec.status = dg_strdup("warn");
			log_msg(ctx->e, DG_LOG_WARN, NULL, "%s: %s (continuing)",
			        dg_record_meta(&d->rec, "source.path") ? dg_record_meta(&d->rec, "source.path")
			                                               : d->rec.doc_hex,
			        reason);
			return 0;
		case DG_ONFAIL_ABORT:
			doc_fail(d, st->id, reason);
			set_fatal(ctx->e, reason);
			return 1;
		case DG_ONFAIL_QUARANTINE: doc_fail(d, st->id, reason); return 1;
		}
	}
	return 0;
}

/* ---- processing one document ----------------------------------------- */

static void commit_enqueue(struct dg_engine *e, struct dg_doc *d);

static const char *
doc_label(const struct dg_doc *d)
{
	const char *s = dg_record_meta(&d->rec, "source.path");

	if (!s)
		s = dg_record_meta(&d->rec, "archive.path");
	if (!s)
		s = dg_record_meta(&d->rec, "source.name");
	return s ? s : "(unnamed document)";
}

/* Copy the source file into the store while hashing it. */
static int
take_original(struct dg_ctx *ctx, struct dg_doc *d)
{
	struct stat st;
	char hex[65];
	char *tmp = NULL;
	int64_t size = 0;
	int fd;
	char reason[DG_ERR_MAX + 64];

	fd = open(d->orig_file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(reason, sizeof(reason), "cannot open %s: %s", d->orig_file, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(reason, sizeof(reason), "%s is not a regular file", d->orig_file);
		close(fd);
		goto fail;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (dg_store_put_fd(ctx->e->store, fd, hex, &tmp, &size, &ctx->err) < 0) {
		snprintf(reason, sizeof(reason), "%s: %s", d->orig_file, ctx->err.msg);
		close(fd);
		goto fail;
	}
	close(fd);
	d->bytes_in = size;
	return doc_add_part(d, DG_ROLE_ORIGINAL, NULL, size, hex, tmp);
fail:
	doc_fail(d, NULL, reason);
	return -1;
}

static void
set_no_bytes_id(struct dg_doc *d)
{
	/* no bytes: the quarantine entry is named by the source path */
	unsigned char md[32];
	unsigned int n = 0;
	const char *label = doc_label(d);

	EVP_Digest(label, strlen(label), md, &n, EVP_sha256(), NULL);
	dg_hex(md, 32, d->rec.doc_hex);
}

/* The text fingerprint of a processed document (simhash.h), from the
 * first bytes of its text part, as the catalog will compute it. */
static void
doc_fingerprint(struct dg_doc *d)
{
	struct dg_part *tp = dg_record_part(&d->rec, DG_ROLE_TEXT);
	size_t want, len = 0;
	char *buf = NULL;
	ssize_t n;
	int fd;

	d->has_simhash = 0;
	if (!tp || !tp->path || tp->size <= 0 || (uint64_t)tp->size > DG_CATALOG_TEXT_LIMIT)
		return;
	want = (uint64_t)tp->size < DG_SIMHASH_MAX_BYTES ? (size_t)tp->size : DG_SIMHASH_MAX_BYTES;
	fd = open(tp->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	buf = dg_malloc(want);
	while (buf && len < want && (n = read(fd, buf + len, want - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			len = 0;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (buf && len && dg_simhash(buf, len, &d->simhash) == 0)
		d->has_simhash = 1;
	dg_free(buf);
}

static int
process_doc(struct dg_ctx *wctx, struct dg_doc *d)
{
	struct dg_engine *e = wctx->e;
	struct dg_ctx ctx = {0};
	struct dg_part *orig;
	const char *name;
	char m[65];
	int64_t t0 = dg_now_us();
	size_t i;
	int status;

	ctx.e = e;
	ctx.w = wctx->w;
	d->started = 1;
	/* the name stage_progress() shows, taken here on the document's own
	 * thread: a stage may report from any of its threads while another
	 * sets metadata */
	name = doc_label(d);
	if (strrchr(name, '/') != NULL && strrchr(name, '/')[1] != '\0')
		name = strrchr(name, '/') + 1;
	dg_term_label(name, d->term_name, sizeof(d->term_name));
	dg_free(d->rec.status);
	d->rec.status = dg_strdup("ok");
	d->rec.created_us = t0;
	if (d->depth > MAX_DEPTH) {
		doc_fail(d, NULL, "nested too deep");
		goto done;
	}
	if (d->orig_file && take_original(&ctx, d) < 0)
		goto done;
	orig = dg_record_part(&d->rec, DG_ROLE_ORIGINAL);
	if (!orig) {
		doc_fail(d, NULL, "the document has no original bytes");
		goto done;
	}
	memcpy(d->rec.doc_hex, orig->hex, 65);
	atomic_fetch_add(&e->bytes_in, d->bytes_in);
	{
		/* what the child is called inside its parent */
		const char *label = dg_record_meta(&d->rec, "@relation.label");
		char why[512];
		if (!label)
			label = dg_record_meta(&d->rec, "archive.path");
		if (d->parent) {
			dg_record_rel_add(&d->rec, "contained-in", d->parent->rec.doc_hex, label);
			dg_record_rel_add(&d->parent->rec, "contains", d->rec.doc_hex, label);
		}
		if (d->parent)
			snprintf(why, sizeof(why), "from %s of sha256:%.16s", label ? label : "?",
			         d->parent->rec.doc_hex);
		else
			snprintf(why, sizeof(why), "from %s", doc_label(d));
		add_event(d, "ingest", NULL, NULL, "ok", why, t0, 0);
		if (d->emitted_by && d->rec.nevents)
			d->rec.events[d->rec.nevents - 1].plugin = dg_strdup(d->emitted_by);
	}
	if (!d->is_retry && dg_store_ref_get(e->store, d->rec.doc_hex, m) == 1) {
		/* stored before: its type is what was found then */
		struct dg_record old;
		struct dg_err err;
		d->duplicate = 1;
		dg_record_init(&old);
		if (!d->rec.media_type && dg_store_read_manifest(e->store, m, &old, &err) == 0 && old.media_type)
			h_set_media_type(d, old.media_type);
		dg_record_release(&old);
		goto done;
	}
	if (d->type_given && d->rec.media_type) {
		/* the emitter knows what it split off (a message of an mbox) */
		dg_free(orig->media_type);
		orig->media_type = dg_strdup(d->rec.media_type);
	} else {
		char type[256];
		h_detect_file(&ctx, orig->path, type, sizeof(type));
		h_set_media_type(d, type);
		dg_free(orig->media_type);
		orig->media_type = dg_strdup(type);
	}
	for (i = 0; i < e->nrt && !d->failed; i++) {
		if (atomic_load(&e->abort))
			break;
		if (run_stage(&ctx, &e->rt[i], d))
			break;
	}
	if (atomic_load(&e->abort) && !d->failed)
		doc_fail(d, NULL, "run aborted before this document finished");
done:
	if (d->failed) {
		if (!d->rec.doc_hex[0])
			set_no_bytes_id(d);
		status = DG_FAILED;
		log_msg(e, DG_LOG_WARN, NULL, "%s: quarantined: %s", doc_label(d), d->fail_reason);
	} else {
		status = d->rec.status && strcmp(d->rec.status, "warn") == 0 ? DG_WARN : DG_OK;
		if (!d->duplicate)
			doc_fingerprint(d);
	}
	if (d->tempdir) {
		dg_rmtree(d->tempdir);
		dg_free(d->tempdir);
		d->tempdir = NULL;
	}
	doc_drop_scratch(d); /* decoded pages are not needed by the committer */
	activity_end(e, d);
	commit_enqueue(e, d);
	return status;
}

static int
h_emit(struct dg_ctx *ctx, struct dg_doc *d)
{
	struct dg_engine *e = ctx->e;

	if (!d)
		return DG_FAILED;
	if (ctx->in_source) {
		if (!d->from_source) {
			pthread_mutex_lock(&e->src_lock);
			e->src_inflight++;
			pthread_mutex_unlock(&e->src_lock);
			d->from_source = 1;
			d->from_source_engine = e;
		}
		pthread_mutex_lock(&e->qlock);
		while (e->qlen == QUEUE_CAP && !atomic_load(&e->abort))
			pthread_cond_wait(&e->q_not_full, &e->qlock);
		if (atomic_load(&e->abort)) {
			pthread_mutex_unlock(&e->qlock);
			doc_free(d);
			return DG_FATAL;
		}
		e->queue[(e->qhead + e->qlen) % QUEUE_CAP] = d;
		e->qlen++;
		pthread_cond_signal(&e->q_not_empty);
		pthread_mutex_unlock(&e->qlock);
		return DG_OK;
	}
	/* a child, from inside a stage: process now on this worker */
	if (!d->parent)
		d->parent = ctx->doc;
	d->depth = d->parent ? d->parent->depth + 1 : 0;
	{
		struct dg_ctx saved = *ctx;
		int s = process_doc(ctx, d);
		*ctx = saved;
		return s;
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct dg_engine *e = w->e;
	struct dg_ctx ctx = {0};

	ctx.e = e;
	ctx.w = w;
	for (;;) {
		struct dg_doc *d;
		pthread_mutex_lock(&e->qlock);
		while (e->qlen == 0 && !e->q_closed)
			pthread_cond_wait(&e->q_not_empty, &e->qlock);
		if (e->qlen == 0) {
			pthread_mutex_unlock(&e->qlock);
			break;
		}
		d = e->queue[e->qhead];
		e->qhead = (e->qhead + 1) % QUEUE_CAP;
		e->qlen--;
		pthread_cond_signal(&e->q_not_full);
		pthread_mutex_unlock(&e->qlock);
		if (atomic_load(&e->abort)) {
			doc_free(d);
			continue;
		}
		process_doc(&ctx, d);
	}
	return NULL;
}

/* ---- the committer --------------------------------------------------- */

static void
commit_enqueue(struct dg_engine *e, struct dg_doc *d)
{
	pthread_mutex_lock(&e->clock);
	while (e->c_len >= COMMIT_QUEUE_CAP && !e->c_closed)
		pthread_cond_wait(&e->c_not_full, &e->clock);
	d->next = NULL;
	if (e->c_tail)
		e->c_tail->next = d;
	else
		e->c_head = d;
	e->c_tail = d;
	e->c_len++;
	pthread_cond_signal(&e->c_not_empty);
	pthread_mutex_unlock(&e->clock);
}

struct batch {
	struct dg_engine *e;
	struct dg_doc *docs[BATCH_MAX];
	const char *outcome[BATCH_MAX];
	char manifest[BATCH_MAX][65];
	size_t n;
	struct dg_publish pub;
};

/* The entry of this batch that already set a document's ref, or -1. */
static long
batch_ref(const struct batch *b, size_t upto, const char *doc_hex)
{
	size_t i;

	for (i = upto; i-- > 0;)
		if (!b->docs[i]->failed && b->manifest[i][0] && strcmp(b->docs[i]->rec.doc_hex, doc_hex) == 0)
			return (long)i;
	return -1;
}

/* A second ingest of the same bytes: a new version with the old
 * content, the new source's metadata values added, and the event. */
static int
make_duplicate_version(struct dg_engine *e, struct dg_doc *d, const char *parent_m, const struct dg_record *in_batch,
                       struct dg_record *out)
{
	struct dg_record old;
	const struct dg_record *prev = in_batch;
	struct dg_err err;
	size_t i;
	int rc = -1;

	dg_record_init(&old);
	if (!prev) {
		if (dg_store_read_manifest(e->store, parent_m, &old, &err) < 0) {
			log_msg(e, DG_LOG_ERROR, NULL, "%s", err.msg);
			goto out;
		}
		prev = &old;
	}
	if (dg_record_copy_content(out, prev) < 0)
		goto out;
	memcpy(out->doc_hex, d->rec.doc_hex, 65);
	memcpy(out->parent_hex, parent_m, 65);
	out->status = dg_strdup(prev->status ? prev->status : "ok");
	out->created_us = d->rec.created_us;
	for (i = 0; i < d->rec.nmeta; i++) {
		const struct dg_kv *kv = &d->rec.meta[i];
		size_t k, n = dg_record_meta_count(out, kv->key);
		int have = 0;
		if (kv->key[0] == '@')
			continue;
		/* an import: the package's own description (eep.*, its
		 * metadata) is kept even when its document was already met --
		 * as the attachment of an imported mail, say -- so what the
		 * store holds does not depend on the order the packages came in */
		if (!e->o.import && strncmp(kv->key, "source.", 7) != 0 && strncmp(kv->key, "archive.", 8) != 0)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(dg_record_meta_n(out, kv->key, k), kv->value) == 0)
				have = 1;
		if (!have && (e->o.import || strcmp(kv->key, "source.path") == 0) &&
		    dg_record_meta_add(out, kv->key, kv->value) < 0)
			goto out;
	}
	for (i = 0; i < d->rec.nrels; i++)
		if (dg_record_rel_add(out, d->rec.rels[i].kind, d->rec.rels[i].hex, d->rec.rels[i].label) < 0)
			goto out;
	for (i = 0; i < d->rec.nevents; i++) {
		struct dg_event ev = d->rec.events[i];
		if (strcmp(ev.type, "ingest") == 0)
			ev.outcome = "duplicate";
		if (dg_record_event_add(out, &ev) < 0)
			goto out;
	}
	rc = 0;
out:
	dg_record_release(&old);
	return rc;
}

struct near {
	char hex[65];
	int distance;
};

struct near_seen {
	struct near v[NEAR_SEEN_MAX];
	size_t n;
	const char *self;
};

static int
near_seen_add(void *ctx, const char *doc, uint64_t hash, int distance)
{
	struct near_seen *ns = ctx;
	size_t i;

	(void)hash;
	if (strcmp(doc, ns->self) == 0)
		return 0;
	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i].hex, doc) == 0)
			return 0;
	if (ns->n == NEAR_SEEN_MAX)
		return 1;
	snprintf(ns->v[ns->n].hex, sizeof(ns->v[ns->n].hex), "%s", doc);
	ns->v[ns->n++].distance = distance;
	return 0;
}

static int
near_cmp(const void *a, const void *b)
{
	const struct near *x = a, *y = b;

	if (x->distance != y->distance)
		return x->distance - y->distance;
	return strcmp(x->hex, y->hex);
}

/* A document about to be committed whose text is nearly that of a
 * stored one (or of one earlier in this batch) -- a re-scan of the same
 * paper, say -- is still stored (its bytes are an original of their
 * own), but not silently: its manifest gets a near-duplicate-of relation
 * to each (the closest NEAR_LINKS_MAX) and an event, and the run a
 * warning.  The stored documents are not rewritten: the catalog reads
 * the relation backwards as their has-near-duplicate. */
static void
link_near_duplicates(struct batch *b, size_t i)
{
	struct dg_engine *e = b->e;
	struct dg_doc *d = b->docs[i];
	struct near_seen *ns;
	struct dg_buf msg;
	size_t k;

	if (!d->has_simhash)
		return;
	ns = dg_calloc(1, sizeof(*ns));
	if (!ns)
		return;
	ns->self = d->rec.doc_hex;
	if (dg_catalog_near(e->cat, d->simhash, d->rec.doc_hex, near_seen_add, ns) < 0)
		log_msg(e, DG_LOG_WARN, NULL, "%s: cannot look up near-duplicates in the catalog", doc_label(d));
	for (k = 0; k < i; k++) {
		struct dg_doc *o = b->docs[k];
		int dist;
		if (o->failed || !o->has_simhash || !b->manifest[k][0])
			continue;
		dist = dg_simhash_distance(d->simhash, o->simhash);
		if (dist <= DG_SIMHASH_NEAR)
			near_seen_add(ns, o->rec.doc_hex, o->simhash, dist);
	}
	if (ns->n == 0) {
		dg_free(ns);
		return;
	}
	if (ns->n > 1)
		qsort(ns->v, ns->n, sizeof(ns->v[0]), near_cmp);
	if (ns->n > NEAR_LINKS_MAX)
		ns->n = NEAR_LINKS_MAX;
	dg_buf_init(&msg, NOTE_LIMIT);
	dg_buf_adds(&msg, "stored as a document of its own, but its text is nearly that of");
	for (k = 0; k < ns->n; k++) {
		char label[64];
		snprintf(label, sizeof(label), "simhash distance %d", ns->v[k].distance);
		dg_record_rel_add(&d->rec, DG_REL_NEAR_DUPLICATE_OF, ns->v[k].hex, label);
		dg_buf_addf(&msg, "%s sha256:%s (%s)", k ? "," : "", ns->v[k].hex, label);
	}
	add_event(d, "near-duplicate", NULL, NULL, "warn", msg.data, dg_now_us(), 0);
	dg_free(d->rec.status);
	d->rec.status = dg_strdup("warn");
	log_msg(e, DG_LOG_WARN, NULL, "%s: near-duplicate of sha256:%.16s%s (simhash distance %d): stored and linked",
	        doc_label(d), ns->v[0].hex, ns->n > 1 ? " and others" : "", ns->v[0].distance);
	dg_buf_release(&msg);
	dg_free(ns);
}

static int
batch_prepare(struct batch *b, struct dg_err *err)
{
	struct dg_engine *e = b->e;
	size_t i, k;

	for (i = 0; i < b->n; i++) {
		struct dg_doc *d = b->docs[i];
		struct dg_record ver;
		struct dg_buf mb;
		char parent[65] = "", mhex[65];
		char *mtmp = NULL;
		struct dg_record *rec = &d->rec;
		long prev;
		int have_parent;

		b->manifest[i][0] = '\0';
		if (d->failed) {
			/* keep the original's bytes, drop the derivatives */
			struct dg_part *orig = dg_record_part(&d->rec, DG_ROLE_ORIGINAL);
			for (k = 0; k < d->npend; k++) {
				if (orig && d->pend[k].tmp && strcmp(d->pend[k].hex, orig->hex) == 0 &&
				    strcmp(d->pend[k].tmp, orig->path ? orig->path : "") == 0) {
					if (dg_publish_add_object(&b->pub, d->pend[k].tmp, d->pend[k].hex) < 0)
						goto oom;
				} else if (d->pend[k].tmp) {
					unlink(d->pend[k].tmp);
				}
				dg_free(d->pend[k].tmp);
				d->pend[k].tmp = NULL;
			}
			d->npend = 0;
			b->outcome[i] = "quarantined";
			continue;
		}
		prev = batch_ref(b, i, d->rec.doc_hex);
		if (prev >= 0)
			memcpy(parent, b->manifest[prev], 65);
		have_parent = prev >= 0 || dg_store_ref_get(e->store, d->rec.doc_hex, parent) == 1;
		if (have_parent && d->parent && !d->is_retry) {
			/* An attachment or an archive entry stored before: its
			 * container's "contains" relation records where it was met
			 * again.  A version per occurrence would make the manifest of
			 * a logo carried by every mail grow with each one. */
			doc_drop_pending(d);
			b->outcome[i] = "duplicate";
			continue;
		}
		dg_record_init(&ver);
		if (have_parent && (d->duplicate || !d->is_retry)) {
			/* the same bytes again: a version, not a second document */
			if (make_duplicate_version(e, d, parent, prev >= 0 ? &b->docs[prev]->rec : NULL, &ver) < 0) {
				dg_record_release(&ver);
				dg_err_set(err, DG_FATAL, "cannot make a new version of sha256:%s", d->rec.doc_hex);
				return -1;
			}
			rec = &ver;
			doc_drop_pending(d);
			b->outcome[i] = "duplicate";
		} else {
			if (have_parent)
				memcpy(d->rec.parent_hex, parent, 65);
			b->outcome[i] = have_parent ? "version" : "new";
			link_near_duplicates(b, i);
			for (k = 0; k < d->npend; k++) {
				if (dg_publish_add_object(&b->pub, d->pend[k].tmp, d->pend[k].hex) < 0)
					goto oom;
			}
		}
		dg_buf_init(&mb, 0);
		if (dg_manifest_write(rec, &mb) < 0 ||
		    dg_store_put_mem(e->store, mb.data, mb.len, mhex, &mtmp, err) < 0) {
			dg_buf_release(&mb);
			dg_record_release(&ver);
			if (!err->msg[0])
				dg_err_set(err, DG_FATAL, "cannot write the manifest of sha256:%s", d->rec.doc_hex);
			return -1;
		}
		dg_buf_release(&mb);
		if (rec == &ver) {
			/* the committed record is the version: keep it on the doc */
			dg_record_release(&d->rec);
			d->rec = ver;
		}
		if (dg_publish_add_object(&b->pub, mtmp, mhex) < 0 ||
		    dg_publish_add_ref(&b->pub, d->rec.doc_hex, mhex) < 0) {
			unlink(mtmp);
			dg_free(mtmp);
			goto oom;
		}
		dg_free(mtmp);
		memcpy(b->manifest[i], mhex, 65);
	}
	return 0;
oom:
	dg_err_set(err, DG_FATAL, "out of memory");
	return -1;
}

static int
batch_index(void *ctx)
{
	struct batch *b = ctx;
	struct dg_engine *e = b->e;
	struct dg_err err;
	size_t i;

	if (dg_catalog_begin(e->cat) < 0)
		return -1;
	for (i = 0; i < b->n; i++) {
		struct dg_doc *d = b->docs[i];
		if (d->failed || !b->manifest[i][0])
			continue;
		/* the last entry for a document in this batch is what its ref
		 * says; index that one, from the record in memory */
		if (batch_ref(b, b->n, d->rec.doc_hex) != (long)i)
			continue;
		if (dg_catalog_index_record(e->cat, e->store, b->manifest[i], &d->rec, d->rec.created_us, &err) < 0) {
			log_msg(e, DG_LOG_ERROR, NULL, "%s", err.msg);
			dg_catalog_rollback(e->cat);
			return -1;
		}
	}
	return dg_catalog_commit(e->cat);
}

static void
report(struct dg_engine *e, struct dg_doc *d, const char *outcome)
{
	struct dg_doc_report r;
	char id[DG_ID_LEN + 1];
	struct dg_part *orig = dg_record_part(&d->rec, DG_ROLE_ORIGINAL);

	if (!e->o.on_doc)
		return;
	snprintf(id, sizeof(id), "sha256:%s", d->rec.doc_hex);
	r.id = orig ? id : NULL;
	r.outcome = outcome;
	r.source = doc_label(d);
	r.media_type = d->rec.media_type;
	r.reason = d->fail_reason;
	r.size = orig ? orig->size : 0;
	r.depth = d->depth;
	e->o.on_doc(e->o.ctx, &r);
}

static void
progress(struct dg_engine *e, int final)
{
	int64_t now = dg_now_us();
	double secs;
	char rate[32], line[400];
	struct winsize ws;
	int cols = 0, n, busy;

	if (!e->o.progress)
		return;
	pthread_mutex_lock(&e->log_lock);
	if (!final && now - e->last_progress_us < 250000) {
		pthread_mutex_unlock(&e->log_lock);
		return;
	}
	e->last_progress_us = now;
	secs = (double)(now - e->start_us) / 1e6;
	if (secs <= 0)
		secs = 1e-6;
	dg_human_size((double)atomic_load(&e->bytes_in) / secs, rate, sizeof(rate));
	n = snprintf(line, sizeof(line), "%lld docs (%lld new, %lld dup, %lld quarantined)  %.1f docs/s  %s/s",
	             (long long)(e->st.docs + e->st.quarantined), (long long)e->st.new_docs,
	             (long long)e->st.duplicates, (long long)e->st.quarantined,
	             (double)(e->st.docs + e->st.quarantined) / secs, rate);
	busy = !final && e->activity[0] && n > 0 && (size_t)n < sizeof(line);
	if (busy)
		snprintf(line + n, sizeof(line) - (size_t)n, "  %s: %s", e->activity, e->activity_name);
	/* one line, or the next redraw would leave the wrapped part behind:
	 * the document's name goes first, then the end of the line */
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		cols = ws.ws_col - 1;
	if (cols > 0 && dg_term_fit(line, cols) && busy) {
		snprintf(line + n, sizeof(line) - (size_t)n, "  %s", e->activity);
		dg_term_fit(line, cols);
	}
	fprintf(stderr, "\r\033[K%s", line);
	if (final)
		fputs("\r\033[K", stderr);
	fflush(stderr);
	pthread_mutex_unlock(&e->log_lock);
}

/* Count a document in *which (and in docs, unless which is quarantined;
 * in warnings too when warn): under log_lock, as the progress line that
 * a worker's stage_progress() draws reads them. */
static void
stats_count(struct dg_engine *e, int64_t *which, int warn)
{
	pthread_mutex_lock(&e->log_lock);
	(*which)++;
	if (which != &e->st.quarantined)
		e->st.docs++;
	if (warn)
		e->st.warnings++;
	pthread_mutex_unlock(&e->log_lock);
}

static void
batch_finish(struct batch *b, int ok)
{
	struct dg_engine *e = b->e;
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct dg_doc *d = b->docs[i];
		if (ok && d->failed) {
			/* the original is published: record the quarantine entry */
			dg_free(d->rec.status);
			d->rec.status = dg_strdup("quarantined");
			dg_record_meta_set(&d->rec, "quarantine.reason", d->fail_reason);
			if (d->fail_stage)
				dg_record_meta_set(&d->rec, "quarantine.stage", d->fail_stage);
			for (size_t k = 0; k < d->rec.nparts; k++) {
				dg_free(d->rec.parts[k].path);
				d->rec.parts[k].path = NULL;
			}
			if (dg_quarantine_write(e->store, &d->rec) < 0)
				log_msg(e, DG_LOG_ERROR, NULL, "cannot write the quarantine entry for %s: %s",
				        doc_label(d), strerror(errno));
			else
				d->final_status = DG_FAILED;
			stats_count(e, &e->st.quarantined, 0);
		} else if (ok) {
			if (d->is_retry || d->rec.doc_hex[0])
				dg_quarantine_remove(e->store, d->is_retry ? d->retry_id : d->rec.doc_hex);
			stats_count(e, strcmp(b->outcome[i], "duplicate") == 0 ? &e->st.duplicates : &e->st.new_docs,
			            d->rec.status && strcmp(d->rec.status, "warn") == 0);
			d->final_status = d->rec.status && strcmp(d->rec.status, "warn") == 0 ? DG_WARN : DG_OK;
		}
		if (ok)
			report(e, d, b->outcome[i]);
		doc_free(d);
		b->docs[i] = NULL;
	}
	b->n = 0;
	dg_publish_release(&b->pub);
	progress(e, 0);
}

static void *
committer_main(void *arg)
{
	struct dg_engine *e = arg;
	struct batch *b = dg_calloc(1, sizeof(*b));

	if (!b) {
		set_fatal(e, "out of memory");
		return NULL;
	}
	b->e = e;
	for (;;) {
		struct timespec until;
		struct dg_err err = {0};
		int closed;

		pthread_mutex_lock(&e->clock);
		while (e->c_len == 0 && !e->c_closed)
			pthread_cond_wait(&e->c_not_empty, &e->clock);
		/* wait a little for the batch to fill */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += BATCH_WAIT_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (e->c_len < BATCH_MAX && !e->c_closed)
			if (pthread_cond_timedwait(&e->c_not_empty, &e->clock, &until) != 0)
				break;
		dg_publish_init(&b->pub);
		while (e->c_head && b->n < BATCH_MAX) {
			struct dg_doc *d = e->c_head;
			e->c_head = d->next;
			if (!e->c_head)
				e->c_tail = NULL;
			e->c_len--;
			b->docs[b->n++] = d;
		}
		closed = e->c_closed && e->c_len == 0;
		pthread_cond_broadcast(&e->c_not_full);
		pthread_mutex_unlock(&e->clock);
		if (b->n) {
			if (e->commit_failed) {
				batch_finish(b, 0);
			} else if (batch_prepare(b, &err) < 0 ||
			           dg_store_publish(e->store, &b->pub, batch_index, b, &err) < 0) {
				char msg[DG_ERR_MAX + 64];
				snprintf(msg, sizeof(msg), "commit failed: %s", err.msg);
				e->commit_failed = 1;
				set_fatal(e, msg);
				log_msg(e, DG_LOG_ERROR, NULL, "%s", msg);
				batch_finish(b, 0);
			} else {
				batch_finish(b, 1);
			}
		}
		if (closed)
			break;
	}
	dg_free(b);
	return NULL;
}

/* ---- engine life ----------------------------------------------------- */

const char *
dg_version(void)
{
	return PACKAGE_VERSION;
}

static int
cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)(n > 64 ? 64 : n) : 1;
}

/* Bring the catalog up to date with refs published by an interrupted
 * run (the journal lists them). */
static int
recover(struct dg_engine *e, struct dg_err *err)
{
	char **docs = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (dg_store_journal_read(e->store, &docs, &n) < 0) {
		dg_err_set(err, DG_FATAL, "cannot read the journal of %s", dg_store_root(e->store));
		return -1;
	}
	if (n) {
		if (dg_catalog_begin(e->cat) < 0)
			rc = -1;
		for (i = 0; i < n && rc == 0; i++)
			if (dg_catalog_index_doc(e->cat, e->store, docs[i], err) < 0)
				rc = -1;
		if (rc == 0 && dg_catalog_commit(e->cat) == 0)
			dg_store_journal_clear(e->store);
		else
			dg_catalog_rollback(e->cat);
		log_msg(e, DG_LOG_INFO, NULL, "caught up the catalog with %zu documents of an interrupted run", n);
	}
	for (i = 0; i < n; i++)
		dg_free(docs[i]);
	dg_free(docs);
	return rc;
}

int
dg_engine_recover(struct dg_store *s, struct dg_catalog *c, struct dg_err *err)
{
	struct dg_engine tmp;

	memset(&tmp, 0, sizeof(tmp));
	tmp.store = s;
	tmp.cat = c;
	tmp.o.verbosity = 0;
	pthread_mutex_init(&tmp.log_lock, NULL);
	int rc = recover(&tmp, err);
	pthread_mutex_destroy(&tmp.log_lock);
	return rc;
}

char *
dg_engine_config_path(const char *store, const char *config)
{
	char *p;

	if (config)
		return dg_strdup(config);
	if (getenv("DANGAN_CONFIG") && *getenv("DANGAN_CONFIG"))
		return dg_strdup(getenv("DANGAN_CONFIG"));
	p = dg_path_join(store, "config.xml");
	if (p && access(p, R_OK) == 0)
		return p;
	dg_free(p);
	return dg_path_join(dg_datadir(), "dangan.xml");
}

int
dg_engine_open(struct dg_engine **out, const struct dg_engine_opts *o, char *errbuf, size_t errcap)
{
	struct dg_engine *e = NULL;
	struct dg_err err = {0};
	char *cfgpath = NULL, *catpath = NULL;
	size_t i;

	*out = NULL;
	dg_xml_init();
	if (!o->store) {
		snprintf(errbuf, errcap, "no store given");
		return 3;
	}
	e = dg_calloc(1, sizeof(*e));
	if (!e)
		goto oom;
	e->o = *o;
	pthread_mutex_init(&e->qlock, NULL);
	pthread_cond_init(&e->q_not_empty, NULL);
	pthread_cond_init(&e->q_not_full, NULL);
	pthread_mutex_init(&e->clock, NULL);
	pthread_cond_init(&e->c_not_empty, NULL);
	pthread_cond_init(&e->c_not_full, NULL);
	pthread_mutex_init(&e->err_lock, NULL);
	pthread_mutex_init(&e->log_lock, NULL);
	pthread_mutex_init(&e->src_lock, NULL);
	pthread_cond_init(&e->src_idle, NULL);
	e->jobs = o->jobs > 0 ? (o->jobs > 256 ? 256 : o->jobs) : cpu_count();
	if (dg_store_open(&e->store, o->store, DG_STORE_WRITE | (o->create ? DG_STORE_CREATE : 0), &err) < 0)
		goto fail;
	catpath = dg_path_join(dg_store_root(e->store), "catalog.db");
	if (!catpath)
		goto oom;
	if (dg_catalog_open(&e->cat, catpath, &err) < 0)
		goto fail;
	if (recover(e, &err) < 0)
		goto fail;
	e->reg = dg_registry_new(o->plugin_path);
	cfgpath = dg_engine_config_path(dg_store_root(e->store), o->config);
	if (!e->reg || !cfgpath)
		goto oom;
	if (dg_config_load(&e->cfg, cfgpath, e->reg, &err) < 0)
		goto fail;
	e->pl = dg_config_pipeline(e->cfg, o->pipeline);
	if (!e->pl) {
		dg_err_set(&err, DG_FATAL, "%s: no pipeline named '%s'", cfgpath,
		           o->pipeline ? o->pipeline : "(default)");
		goto fail;
	}
	e->nrt = e->pl->nstages;
	e->rt = dg_calloc(e->nrt + 1, sizeof(*e->rt));
	e->workers = dg_calloc((size_t)e->jobs + 1, sizeof(*e->workers));
	e->queue = dg_calloc(QUEUE_CAP, sizeof(*e->queue));
	if (!e->rt || !e->workers || !e->queue)
		goto oom;
	for (i = 0; i < e->nrt; i++) {
		e->rt[i].st = &e->pl->stages[i];
		e->rt[i].per_worker = dg_calloc((size_t)e->jobs + 1, sizeof(void *));
		e->rt[i].per_worker_ready = dg_calloc((size_t)e->jobs + 1, 1);
		if (!e->rt[i].per_worker || !e->rt[i].per_worker_ready)
			goto oom;
		pthread_mutex_init(&e->rt[i].lock, NULL);
	}
	for (i = 0; i <= (size_t)e->jobs; i++) {
		e->workers[i].e = e;
		e->workers[i].index = (int)i;
	}
	dg_free(cfgpath);
	dg_free(catpath);
	*out = e;
	return 0;
oom:
	dg_err_set(&err, DG_FATAL, "out of memory");
fail:
	snprintf(errbuf, errcap, "%s", err.msg);
	dg_free(cfgpath);
	dg_free(catpath);
	dg_engine_close(e);
	return 3;
}

void
dg_engine_close(struct dg_engine *e)
{
	size_t i, w;

	if (!e)
		return;
	for (i = 0; e->rt && i < e->nrt; i++) {
		struct stage_rt *rt = &e->rt[i];
		const struct dg_plugin *p = rt->st->mod ? rt->st->mod->desc : NULL;
		if (p && p->fini) {
			if (rt->shared_ready)
				p->fini(rt->shared);
			for (w = 0; rt->per_worker_ready && w <= (size_t)e->jobs; w++)
				if (rt->per_worker_ready[w])
					p->fini(rt->per_worker[w]);
		}
		dg_free(rt->per_worker);
		dg_free(rt->per_worker_ready);
		pthread_mutex_destroy(&rt->lock);
	}
	for (w = 0; e->workers && w <= (size_t)e->jobs; w++)
		if (e->workers[w].magic)
			magic_close(e->workers[w].magic);
	dg_free(e->rt);
	dg_free(e->workers);
	dg_free(e->queue);
	dg_config_free(e->cfg);
	dg_registry_free(e->reg);
	dg_catalog_free(e->cat);
	dg_store_free(e->store);
	pthread_mutex_destroy(&e->qlock);
	pthread_cond_destroy(&e->q_not_empty);
	pthread_cond_destroy(&e->q_not_full);
	pthread_mutex_destroy(&e->clock);
	pthread_cond_destroy(&e->c_not_empty);
	pthread_cond_destroy(&e->c_not_full);
	pthread_mutex_destroy(&e->err_lock);
	pthread_mutex_destroy(&e->log_lock);
	pthread_mutex_destroy(&e->src_lock);
	pthread_cond_destroy(&e->src_idle);
	while (e->state_paths) {
		struct state_path *sp = e->state_paths;
		e->state_paths = sp->next;
		dg_free(sp->path);
		dg_free(sp);
	}
	dg_free(e);
}

/* Does m read packages of its format back (`dangan import`)? */
static int
module_imports(const struct dg_module *m)
{
	return m->desc->kind == DG_KIND_EXPORT && m->desc->scan && m->desc->bid_locator;
}

/* The source plugin that bids highest for a locator; for an import, the
 * named export plugin or the one that bids highest. */
static const struct dg_module *
pick_source(struct dg_engine *e, const char *locator)
{
	const struct dg_module *best = NULL;
	int best_bid = 0;
	size_t i, n = dg_registry_count(e->reg);

	for (i = 0; i < n; i++) {
		const struct dg_module *m = dg_registry_at(e->reg, i);
		int b;
		if (e->o.import ? !module_imports(m) : (m->desc->kind != DG_KIND_SOURCE || !m->desc->bid_locator))
			continue;
		if (e->o.import && e->o.import_format) {
			if (strcmp(m->name, e->o.import_format) == 0)
				return m;
			continue;
		}
		b = m->desc->bid_locator(locator);
		if (b > best_bid) {
			best_bid = b;
			best = m;
		}
	}
	return best;
}

static void
load_all_quiet(void *ctx, const char *path, const struct dg_module *m, const char *error)
{
	struct dg_engine *e = ctx;

	if (!m)
		log_msg(e, DG_LOG_WARN, NULL, "%s", error);
	(void)path;
}

typedef void (*feed_fn)(struct dg_engine *e, struct dg_ctx *src, void *arg);

static int
run(struct dg_engine *e, feed_fn feed, void *arg, struct dg_ingest_stats *stats, char *errbuf, size_t errcap)
{
	struct dg_ctx src = {0};
	int i, started = 0, rc;

	memset(&e->st, 0, sizeof(e->st));
	atomic_store(&e->bytes_in, 0);
	atomic_store(&e->abort, 0);
	e->commit_failed = 0;
	e->fatal.msg[0] = '\0';
	e->q_closed = e->c_closed = 0;
	e->start_us = e->last_progress_us = dg_now_us();
	if (pthread_create(&e->committer, NULL, committer_main, e) != 0) {
		snprintf(errbuf, errcap, "cannot start the committer thread");
		return 4;
	}
	for (i = 0; i < e->jobs; i++) {
		if (pthread_create(&e->workers[i].thread, NULL, worker_main, &e->workers[i]) != 0)
			break;
		started++;
	}
	src.e = e;
	src.w = &e->workers[e->jobs];
	src.in_source = 1;
	if (started == 0)
		set_fatal(e, "cannot start worker threads");
	else
		feed(e, &src, arg);
	pthread_mutex_lock(&e->qlock);
	e->q_closed = 1;
	pthread_cond_broadcast(&e->q_not_empty);
	pthread_mutex_unlock(&e->qlock);
	for (i = 0; i < started; i++)
		pthread_join(e->workers[i].thread, NULL);
	pthread_mutex_lock(&e->clock);
	e->c_closed = 1;
	pthread_cond_broadcast(&e->c_not_empty);
	pthread_mutex_unlock(&e->clock);
	pthread_join(e->committer, NULL);
	progress(e, 1);
	e->st.bytes = atomic_load(&e->bytes_in);
	e->st.seconds = (double)(dg_now_us() - e->start_us) / 1e6;
	if (stats)
		*stats = e->st;
	if (e->fatal.msg[0]) {
		snprintf(errbuf, errcap, "%s", e->fatal.msg);
		rc = 4;
	} else {
		rc = e->st.quarantined ? 1 : 0;
	}
	return rc;
}

struct locators {
	const char *const *v;
	size_t n;
	int failed;
};

static void
feed_locators(struct dg_engine *e, struct dg_ctx *src, void *arg)
{
	struct locators *l = arg;
	size_t i;

	dg_registry_load_all(e->reg, load_all_quiet, e);
	for (i = 0; i < e->o.nsource_options; i++) {
		/* an override for a source that does not exist is a typo */
		const char *ov = e->o.source_options[i];
		char name[64];
		size_t k, n = strcspn(ov, "."), ns = dg_registry_count(e->reg);
		int found = 0;
		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), ov);
		for (k = 0; k < ns; k++) {
			const struct dg_module *m = dg_registry_at(e->reg, k);
			if ((m->desc->kind == DG_KIND_SOURCE || module_imports(m)) && strcmp(m->name, name) == 0)
				found = 1;
		}
		if (!found) {
			log_msg(e, DG_LOG_ERROR, NULL, "source option '%s': there is no source plugin '%s'", ov, name);
			l->failed = (int)l->n;
			return;
		}
	}
	for (i = 0; i < l->n && !atomic_load(&e->abort); i++) {
		const struct dg_module *m = pick_source(e, l->v[i]);
		void *state = NULL;
		int s;
		if (!m && e->o.import) {
			log_msg(e, DG_LOG_ERROR, NULL, "%s: no %s%s%s reads it (does it exist?)", l->v[i],
			        e->o.import_format ? "import plugin '" : "import plugin",
			        e->o.import_format ? e->o.import_format : "", e->o.import_format ? "'" : "");
			l->failed++;
			continue;
		}
		if (!m) {
			log_msg(e, DG_LOG_ERROR, NULL, "%s: no source plugin accepts it (does it exist?)", l->v[i]);
			l->failed++;
			continue;
		}
		src->mod = m;
		dg_err_clear(&src->err);
		if (m->desc->init) {
			struct dg_err oe = {0};
			struct dg_opts *o =
			    dg_config_source_opts(e->cfg, m->desc, e->o.source_options, e->o.nsource_options, &oe);
			if (!o || m->desc->init(src, &host, o, &state) != DG_OK) {
				log_msg(e, DG_LOG_ERROR, m->name, "cannot start: %s",
				        oe.msg[0] ? oe.msg : src->err.msg);
				dg_opts_free(o);
				l->failed++;
				continue;
			}
			dg_opts_free(o);
		}
		s = m->desc->scan(src, &host, state, l->v[i]);
		if (s == DG_FAILED || s == DG_FATAL) {
			log_msg(e, DG_LOG_ERROR, m->name, "%s", src->err.msg[0] ? src->err.msg : l->v[i]);
			l->failed++;
		}
		if (m->desc->fini)
			m->desc->fini(state);
	}
}

int
dg_engine_ingest(struct dg_engine *e, const char *const *locators, size_t n, struct dg_ingest_stats *stats,
                 char *errbuf, size_t errcap)
{
	struct locators l = {locators, n, 0};
	int rc = run(e, feed_locators, &l, stats, errbuf, errcap);

	if (rc == 0 && l.failed) {
		snprintf(errbuf, errcap, "%d of %zu inputs could not be read", l.failed, n);
		rc = 1;
	}
	return rc;
}

struct retry_ids {
	const char *const *v;
	size_t n;
	int failed;
};

static int
retry_one(struct dg_engine *e, struct dg_ctx *src, const char *id)
{
	struct dg_record q;
	struct dg_err err = {0};
	struct dg_doc *d = NULL;
	struct dg_part *orig;
	char *path = NULL;
	size_t i;
	int rc = -1;

	dg_record_init(&q);
	if (dg_quarantine_read(e->store, id, &q, &err) < 0) {
		log_msg(e, DG_LOG_ERROR, NULL, "%s", err.msg);
		goto out;
	}
	d = doc_new(NULL);
	if (!d)
		goto out;
	d->is_retry = 1;
	memcpy(d->retry_id, id, 65);
	orig = dg_record_part(&q, DG_ROLE_ORIGINAL);
	if (orig) {
		path = dg_store_object_path(e->store, orig->hex);
	} else if (dg_record_meta(&q, "source.path")) {
		path = dg_strdup(dg_record_meta(&q, "source.path"));
	} else {
		log_msg(e, DG_LOG_ERROR, NULL, "quarantine entry %s has neither bytes nor a source path", id);
		goto out;
	}
	if (!path)
		goto out;
	d->orig_file = path;
	path = NULL;
	for (i = 0; i < q.nmeta; i++)
		if (strncmp(q.meta[i].key, "quarantine.", 11) != 0)
			dg_record_meta_add(&d->rec, q.meta[i].key, q.meta[i].value);
	rc = h_emit(src, d) == DG_OK ? 0 : -1;
	d = NULL;
out:
	doc_free(d);
	dg_free(path);
	dg_record_release(&q);
	return rc;
}

static int
retry_all_cb(void *ctx, const char *id_hex, const struct dg_record *r)
{
	struct dg_ctx *src = ctx;

	(void)r;
	retry_one(src->e, src, id_hex);
	return atomic_load(&src->e->abort);
}

static void
feed_retry(struct dg_engine *e, struct dg_ctx *src, void *arg)
{
	struct retry_ids *r = arg;
	size_t i;

	if (r->n == 0) {
		dg_quarantine_each(e->store, retry_all_cb, src);
		return;
	}
	for (i = 0; i < r->n; i++) {
		char hex[65];
		struct dg_err err = {0};
		if (dg_quarantine_resolve(e->store, r->v[i], hex, &err) < 0 || retry_one(e, src, hex) < 0) {
			if (err.msg[0])
				log_msg(e, DG_LOG_ERROR, NULL, "%s", err.msg);
			r->failed++;
		}
	}
}

int
dg_engine_retry(struct dg_engine *e, const char *const *ids, size_t n, struct dg_ingest_stats *stats, char *errbuf,
                size_t errcap)
{
	struct retry_ids r = {ids, n, 0};
	int rc = run(e, feed_retry, &r, stats, errbuf, errcap);

	if (rc == 0 && r.failed) {
		snprintf(errbuf, errcap, "%d quarantine entries could not be retried", r.failed);
		rc = 1;
	}
	return rc;
}
