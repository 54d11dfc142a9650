/*
 * export.c -- exports: the selected stored documents are handed one by
 * one (or, to a DG_PLUGIN_CONCURRENT plugin, several at once) to an
 * export plugin that writes a package under a temporary name beside
 * the final one.  The finished package is checked by the plugin's own
 * verify() while it is synced to disk, and only then renamed into
 * place; the four-property checks (DA/T 70) are written beside it.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "export.h"
#include "fourcheck.h"
#include "loader.h"
#include "record.h"
#include "turns.h"
#include "util.h"
#include "xmlsafe.h"

#define PROGRESS_EVERY_US 200000

struct sel {
	char (*doc)[65];
	char (*man)[65];
	size_t n, cap;
};

static int
sel_add(struct sel *s, const char *doc, const char *man)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		void *a = dg_realloc(s->doc, cap * sizeof(*s->doc));
		void *b;
		if (!a)
			return -1;
		s->doc = a;
		b = dg_realloc(s->man, cap * sizeof(*s->man));
		if (!b)
			return -1;
		s->man = b;
		s->cap = cap;
	}
	snprintf(s->doc[s->n], 65, "%s", doc);
	snprintf(s->man[s->n], 65, "%s", man);
	s->n++;
	return 0;
}

static int
sel_row(void *ctx, const struct dg_catalog_row *row)
{
	return sel_add(ctx, row->id, row->manifest) < 0 ? 1 : 0;
}

static int
sel_each(void *ctx, const char *doc, const char *man)
{
	return sel_add(ctx, doc, man) < 0 ? 1 : 0;
}

static const struct dg_module *
format_module(struct dg_registry *reg, const char *format, struct dg_err *err)
{
	const struct dg_module *m;

	if (!format || !dg_plugin_name_ok(format)) {
		dg_err_set(err, DG_FAILED, "'%s' is not a format name", format ? format : "");
		return NULL;
	}
	m = dg_registry_get(reg, format, err);
	if (!m)
		return NULL;
	if (m->desc->kind != DG_KIND_EXPORT) {
		dg_err_set(err, DG_FAILED, "plugin '%s' is a %s plugin, not an export format", format,
		           dg_kind_name(m->desc->kind));
		return NULL;
	}
	return m;
}

static int sync_tree(const char *path);

/* ---- progress and findings --------------------------------------------- */

struct run {
	const struct dg_export_opts *o;
	struct dg_fourcheck *fc;
	int64_t bytes, docs, total;
	int64_t start_us, last_us;
	int64_t errors, warnings;
	int tty;
	pthread_mutex_t mu;   /* the above, the four-property checks and the findings callback */
	const char *tmp_name; /* findings name the package by final_name instead */
	const char *final_name;
};

static void
draw(struct run *r, int final)
{
	char sz[32];
	double secs;
	int64_t now = dg_now_us();

	if (!r->o->progress || !r->tty || (!final && now - r->last_us < PROGRESS_EVERY_US))
		return;
	r->last_us = now;
	secs = (double)(now - r->start_us) / 1e6;
	dg_human_size((double)r->bytes, sz, sizeof(sz));
	fprintf(stderr, "\r\033[Kexport: %lld/%lld documents, %s, %.1f MiB/s", (long long)r->docs, (long long)r->total,
	        sz, secs > 0 ? (double)r->bytes / 1048576.0 / secs : 0.0);
	if (final)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

static void
on_progress(void *arg, int64_t bytes)
{
	struct run *r = arg;

	pthread_mutex_lock(&r->mu);
	r->bytes += bytes;
	draw(r, 0);
	pthread_mutex_unlock(&r->mu);
}

static void
on_finding(void *arg, enum dg_finding_level level, const char *code, const char *where, const char *msg)
{
	struct run *r = arg;
	char *w = NULL, *m = NULL;

	if (r->tmp_name) { /* checked before its rename: name it as it will be */
		w = where ? dg_str_replace(where, r->tmp_name, r->final_name) : NULL;
		m = msg ? dg_str_replace(msg, r->tmp_name, r->final_name) : NULL;
		where = w ? w : where;
		msg = m ? m : msg;
	}
	pthread_mutex_lock(&r->mu);
	if (level == DG_FINDING_ERROR)
		r->errors++;
	else if (level == DG_FINDING_WARN)
		r->warnings++;
	if (r->fc)
		dg_fourcheck_package_finding(r->fc, level, code, where, msg);
	if (r->o && r->o->findings.fn)
		r->o->findings.fn(r->o->findings.arg, level, code, where, msg);
	pthread_mutex_unlock(&r->mu);
	dg_free(w);
	dg_free(m);
}

/* syncfs() of the package on a thread of its own, while it is checked */
struct syncer {
	const char *path;
	int rc, err;
};

static void *
sync_run(void *arg)
{
	struct syncer *y = arg;

	y->rc = sync_tree(y->path);
	y->err = errno;
	return NULL;
}

/* ---- concurrent export ---------------------------------------------------- */

/* A DG_PLUGIN_CONCURRENT plugin: this thread loads the documents in
 * selection order, runs their four-property checks (so the report is
 * the same whatever the threads do) and queues them; jobs workers,
 * each with its own context, take them in that order and call
 * process().  The first failure (the lowest document number) stops
 * the run. */
#define QUEUE_PER_JOB 2

struct conc {
	struct run *r;
	const struct dg_plugin *p;
	const struct dg_module *m;
	const struct dg_host *h;
	void *state;
	const struct sel *sel;
	struct dg_turns turns;
	pthread_mutex_t mu; /* the queue and the failure */
	pthread_cond_t cv;
	struct dg_doc **q;
	size_t *qseq;
	size_t cap, head, count;
	int closed, failed;
	size_t fail_seq;
	char fail_msg[DG_ERR_MAX];
};

struct conc_worker {
	struct conc *c;
	struct dg_ctx *ctx;
	pthread_t tid;
	int started;
};

static void
conc_fail(struct conc *c, size_t seq, const char *msg)
{
	pthread_mutex_lock(&c->mu);
	if (!c->failed || seq < c->fail_seq) {
		c->fail_seq = seq;
		snprintf(c->fail_msg, sizeof(c->fail_msg), "%s", msg);
	}
	c->failed = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void *
conc_work(void *arg)
{
	struct conc_worker *w = arg;
	struct conc *c = w->c;
	struct run *r = c->r;

	for (;;) {
		struct dg_doc *d;
		size_t seq;
		int status;

		pthread_mutex_lock(&c->mu);
		while (!c->count && !c->closed && !c->failed)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->failed || !c->count) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		d = c->q[c->head];
		seq = c->qseq[c->head];
		c->head = (c->head + 1) % c->cap;
		c->count--;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);

		dg_ctx_clear_error(w->ctx);
		dg_ctx_begin_turn(w->ctx, &c->turns, seq);
		status = c->p->process(w->ctx, c->h, c->state, d);
		dg_ctx_end_turn(w->ctx);
		dg_stored_doc_free(d);
		if (status != DG_OK && status != DG_WARN && status != DG_DECLINED) {
			char msg[DG_ERR_MAX];
			const char *e = dg_ctx_error(w->ctx);
			snprintf(msg, sizeof(msg), "%s: sha256:%s: %s", c->m->name, c->sel->doc[seq],
			         e ? e : "export failed");
			conc_fail(c, seq, msg);
			break;
		}
		pthread_mutex_lock(&r->mu);
		if (status == DG_WARN)
			r->warnings++;
		r->docs++;
		draw(r, 0);
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

static int
export_concurrent(struct run *r, struct dg_store *s, const struct dg_module *m, void *state, const struct sel *sel,
                  int jobs, int verified_after, const struct dg_ctx_hooks *hooks, struct dg_err *err)
{
	struct conc c;
	struct conc_worker *w = NULL;
	size_t i;
	int k, rc = -1;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.p = m->desc;
	c.m = m;
	c.h = dg_engine_host();
	c.state = state;
	c.sel = sel;
	c.cap = (size_t)jobs * QUEUE_PER_JOB;
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	c.q = dg_calloc(c.cap, sizeof(*c.q));
	c.qseq = dg_calloc(c.cap, sizeof(*c.qseq));
	w = dg_calloc((size_t)jobs, sizeof(*w));
	if (!c.q || !c.qseq || !w || dg_turns_init(&c.turns, sel->n) < 0) {
		dg_err_set(err, DG_FATAL, "out of memory");
		goto out;
	}
	for (k = 0; k < jobs; k++) {
		w[k].c = &c;
		if (!(w[k].ctx = dg_ctx_new(m, r->o->verbosity, hooks))) {
			conc_fail(&c, 0, "out of memory");
			break;
		}
		dg_ctx_set_verified_after(w[k].ctx, verified_after);
		if (pthread_create(&w[k].tid, NULL, conc_work, &w[k]) != 0) {
			conc_fail(&c, 0, "cannot start the export threads");
			break;
		}
		w[k].started = 1;
	}
	for (i = 0; i < sel->n; i++) {
		struct dg_err lerr = {0};
		struct dg_doc *d = dg_stored_doc_load(s, sel->man[i], &lerr);
		if (!d) {
			conc_fail(&c, i, (const char *)lerr.msg);
			break;
		}
		pthread_mutex_lock(&r->mu);
		if (c.p->flags & DG_PLUGIN_CHECKS_FIXITY)
			dg_fourcheck_doc_copied(r->fc, d);
		else
			dg_fourcheck_doc(r->fc, d);
		pthread_mutex_unlock(&r->mu);
		pthread_mutex_lock(&c.mu);
		while (c.count == c.cap && !c.failed)
			pthread_cond_wait(&c.cv, &c.mu);
		if (c.failed) {
			pthread_mutex_unlock(&c.mu);
			dg_stored_doc_free(d);
			break;
		}
		c.q[(c.head + c.count) % c.cap] = d;
		c.qseq[(c.head + c.count) % c.cap] = i;
		c.count++;
		pthread_cond_broadcast(&c.cv);
		pthread_mutex_unlock(&c.mu);
	}
	pthread_mutex_lock(&c.mu);
	c.closed = 1;
	pthread_cond_broadcast(&c.cv);
	pthread_mutex_unlock(&c.mu);
	for (k = 0; k < jobs; k++)
		if (w[k].started)
			pthread_join(w[k].tid, NULL);
	while (c.count) { /* left by a failure */
		dg_stored_doc_free(c.q[c.head]);
		c.head = (c.head + 1) % c.cap;
		c.count--;
	}
	if (c.failed)
		dg_err_set(err, DG_FAILED, "%s", c.fail_msg);
	else
		rc = 0;
out:
	if (w)
		for (k = 0; k < jobs; k++)
			dg_ctx_free(w[k].ctx);
	dg_free(w);
	dg_free(c.q);
	dg_free(c.qseq);
	dg_turns_free(&c.turns);
	pthread_cond_destroy(&c.cv);
	pthread_mutex_destroy(&c.mu);
	return rc;
}

/* How many documents are packaged at once: --jobs, else one per CPU
 * (at most 8); 1 for a plugin that cannot. */
static int
export_jobs(const struct dg_plugin *p, const struct dg_export_opts *o, size_t n)
{
	long j = o->jobs;

	if (!(p->flags & DG_PLUGIN_CONCURRENT))
		return 1;
	if (j <= 0) {
		j = sysconf(_SC_NPROCESSORS_ONLN);
		if (j > 8)
			j = 8;
	}
	if (j > (long)n)
		j = (long)n;
	return j < 1 ? 1 : (int)j;
}

/* ---- export ------------------------------------------------------------ */

static char *
temp_beside(const char *final)
{
	char *copy = dg_strdup(final), *dir, *base, *tmp = NULL;

	if (!copy)
		return NULL;
	base = strrchr(copy, '/');
	if (base) {
		*base++ = '\0';
		dir = *copy ? copy : "/";
	} else {
		base = copy;
		dir = ".";
	}
	tmp = dg_asprintf("%s/.%s.partial-%ld", dir, base, (long)getpid());
	dg_free(copy);
	return tmp;
}

static void
remove_any(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode))
		dg_rmtree(path);
	else
		unlink(path);
}

static void
sync_parent(const char *path)
{
	char *copy = dg_strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	dg_free(copy);
}

/* Everything the package holds on disk before it gets its name: one
 * syncfs of its file system (cheaper than an fsync per file). */
static int
sync_tree(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = syncfs(fd);
	close(fd);
	return rc;
}

int
dg_export_run(struct dg_store *s, struct dg_catalog *c, const struct dg_export_opts *o, struct dg_export_stats *st,
              char *errbuf, size_t errcap)
{
	struct dg_err err = {0};
	struct dg_registry *reg = NULL;
	const struct dg_module *m;
	const struct dg_plugin *p = NULL;
	const struct dg_host *h = dg_engine_host();
	struct dg_opts *opts = NULL;
	struct dg_ctx *ctx = NULL;
	struct dg_ctx_hooks hooks;
	struct run r;
	struct sel sel = {0};
	struct stat sb;
	void *state = NULL;
	int inited = 0, rc = 4, status, jobs, verified_after;
	char *tmp = NULL, *report = NULL;
	size_t i;

	memset(st, 0, sizeof(*st));
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.mu, NULL);
	r.o = o;
	r.start_us = r.last_us = dg_now_us();
	r.tty = isatty(2);
	dg_xml_init();
	reg = dg_registry_new(o->plugin_path);
	if (!reg) {
		dg_err_set(&err, DG_FATAL, "out of memory");
		goto fail;
	}
	if (!(m = format_module(reg, o->format, &err))) {
		rc = 3;
		goto fail;
	}
	p = m->desc;
	if (!o->output || !*o->output) {
		dg_err_set(&err, DG_FAILED, "no output path (-o)");
		rc = 2;
		goto fail;
	}
	if (lstat(o->output, &sb) == 0) {
		dg_err_set(&err, DG_FAILED, "%s exists already: an export never overwrites", o->output);
		rc = 2;
		goto fail;
	}
	if (!(opts = dg_opts_parse(p, o->options, o->noptions, &err))) {
		dg_err_set(&err, DG_FAILED, "%s: %s", m->name, (const char *)err.msg);
		rc = 2;
		goto fail;
	}
	/* the selection */
	if (o->nids) {
		for (i = 0; i < o->nids; i++) {
			char man[65];
			if (dg_store_ref_get(s, o->ids[i], man) != 1) {
				dg_err_set(&err, DG_FAILED, "sha256:%s: no such document in the store", o->ids[i]);
				rc = 2;
				goto fail;
			}
			if (sel_add(&sel, o->ids[i], man) < 0)
				goto oom;
		}
	} else if (o->query) {
		if (dg_catalog_search(c, o->query, 0, -1, sel_row, &sel, &err) < 0) {
			rc = 2;
			goto fail;
		}
	} else if (dg_catalog_each(c, sel_each, &sel) < 0) {
		dg_err_set(&err, DG_FAILED, "cannot list the catalog");
		goto fail;
	}
	r.total = (int64_t)sel.n;
	r.fc = dg_fourcheck_new("YJ", m->name, o->output);
	if (!r.fc)
		goto oom;
	if (o->danghao_pattern && dg_fourcheck_set_danghao_pattern(r.fc, o->danghao_pattern, &err) < 0) {
		rc = 2;
		goto fail;
	}
	/* the package, under a temporary name */
	if (!(tmp = temp_beside(o->output)))
		goto oom;
	remove_any(tmp);
	hooks.finding = on_finding;
	hooks.progress = on_progress;
	hooks.arg = &r;
	if (!(ctx = dg_ctx_new(m, o->verbosity, &hooks)))
		goto oom;
	verified_after = o->verify && DG_PLUGIN_HAS(p, verify) && p->verify;
	dg_ctx_set_verified_after(ctx, verified_after);
	if (p->init && p->init(ctx, h, opts, &state) != DG_OK) {
		dg_err_set(&err, DG_FAILED, "%s: cannot start: %s", m->name,
		           dg_ctx_error(ctx) ? dg_ctx_error(ctx) : "init failed");
		rc = 2;
		goto fail;
	}
	inited = 1;
	if (p->export_begin(ctx, h, state, tmp) != DG_OK) {
		dg_err_set(&err, DG_FAILED, "%s: %s", m->name, dg_ctx_error(ctx) ? dg_ctx_error(ctx) : "cannot begin");
		goto fail;
	}
	jobs = export_jobs(p, o, sel.n);
	for (i = 0; jobs == 1 && i < sel.n; i++) {
		struct dg_doc *d = dg_stored_doc_load(s, sel.man[i], &err);
		if (!d)
			goto fail;
		dg_ctx_clear_error(ctx);
		status = p->process(ctx, h, state, d);
		if (p->flags & DG_PLUGIN_CHECKS_FIXITY)
			dg_fourcheck_doc_copied(r.fc, d);
		else
			dg_fourcheck_doc(r.fc, d);
		dg_stored_doc_free(d);
		if (status != DG_OK && status != DG_WARN && status != DG_DECLINED) {
			dg_err_set(&err, DG_FAILED, "%s: sha256:%s: %s", m->name, sel.doc[i],
			           dg_ctx_error(ctx) ? dg_ctx_error(ctx) : "export failed");
			goto fail;
		}
		if (status == DG_WARN)
			r.warnings++;
		r.docs++;
		draw(&r, 0);
	}
	if (jobs > 1 && export_concurrent(&r, s, m, state, &sel, jobs, verified_after, &hooks, &err) < 0)
		goto fail;
	dg_ctx_clear_error(ctx);
	if (p->export_end(ctx, h, state) != DG_OK) {
		dg_err_set(&err, DG_FAILED, "%s: %s", m->name, dg_ctx_error(ctx) ? dg_ctx_error(ctx) : "cannot finish");
		goto fail;
	}
	if (lstat(tmp, &sb) < 0) {
		dg_err_set(&err, DG_FAILED, "%s wrote no package", m->name);
		goto fail;
	}
	draw(&r, 1);
	st->docs = r.docs;
	st->bytes = r.bytes;
	/* The package goes to disk (syncfs, on a thread) while the format's
	 * own check reads it from the page cache, under its temporary name:
	 * its findings name it by the final one.  Only a package that is
	 * on disk is renamed into place. */
	{
		struct syncer y = {tmp, 0, 0};
		pthread_t tid;
		int threaded = pthread_create(&tid, NULL, sync_run, &y) == 0;

		if (!threaded)
			sync_run(&y);
		r.errors = r.warnings = 0;
		if (verified_after) {
			r.tmp_name = tmp;
			r.final_name = o->output;
			dg_ctx_clear_error(ctx);
			status = p->verify(ctx, h, state, tmp);
			if (status != DG_OK && status != DG_WARN && !r.errors)
				on_finding(&r, DG_FINDING_ERROR, NULL, o->output,
				           dg_ctx_error(ctx) ? dg_ctx_error(ctx) : "verification failed");
			r.tmp_name = r.final_name = NULL;
			st->verified = 1;
		}
		if (threaded)
			pthread_join(tid, NULL);
		if (y.rc < 0) {
			dg_err_set(&err, DG_FAILED, "cannot sync the package to disk: %s", strerror(y.err));
			goto fail;
		}
	}
	if (lstat(o->output, &sb) == 0 || rename(tmp, o->output) < 0) {
		dg_err_set(&err, DG_FAILED, "cannot rename the package to %s: %s", o->output,
		           errno ? strerror(errno) : "exists");
		goto fail;
	}
	sync_parent(o->output);
	st->seconds = (double)(dg_now_us() - r.start_us) / 1e6;
	dg_fourcheck_package_done(r.fc, st->verified, (int64_t)sel.n, r.docs);
	st->errors = r.errors;
	st->warnings = r.warnings;
	report = o->report ? dg_strdup(o->report) : dg_asprintf("%s.check", o->output);
	if (!report)
		goto oom;
	if (dg_fourcheck_write(r.fc, report, &err) < 0) {
		rc = 1;
		goto out;
	}
	snprintf(st->report, sizeof(st->report), "%s", report);
	st->checks_failed = dg_fourcheck_failed(r.fc);
	st->checks_warned = dg_fourcheck_warned(r.fc);
	rc = (st->errors || st->checks_failed) ? 1 : 0;
	goto out;
oom:
	dg_err_set(&err, DG_FATAL, "out of memory");
fail:
	draw(&r, 1);
	if (tmp)
		remove_any(tmp);
out:
	if (inited && p->fini)
		p->fini(state);
	if (err.msg[0])
		snprintf(errbuf, errcap, "%s", err.msg);
	dg_ctx_free(ctx);
	dg_opts_free(opts);
	dg_fourcheck_free(r.fc);
	dg_registry_free(reg);
	dg_free(sel.doc);
	dg_free(sel.man);
	dg_free(tmp);
	dg_free(report);
	pthread_mutex_destroy(&r.mu);
	return rc;
}

/* ---- verify ------------------------------------------------------------ */

int
dg_verify_package(const char *plugin_path, const char *format, const char *path, const char *const *options,
                  size_t noptions, int verbosity, const struct dg_finding_cb *cb, char *errbuf, size_t errcap)
{
	struct dg_err err = {0};
	struct dg_registry *reg = dg_registry_new(plugin_path);
	const struct dg_module *m;
	const struct dg_host *h = dg_engine_host();
	struct dg_opts *opts = NULL;
	struct dg_ctx *ctx = NULL;
	struct dg_ctx_hooks hooks;
	struct run r;
	void *state = NULL;
	int rc = 3, status;

	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.mu, NULL);
	dg_xml_init();
	if (!reg) {
		dg_err_set(&err, DG_FATAL, "out of memory");
		goto out;
	}
	if (!(m = format_module(reg, format, &err)))
		goto out;
	if (!DG_PLUGIN_HAS(m->desc, verify) || !m->desc->verify) {
		dg_err_set(&err, DG_FAILED, "format '%s' cannot verify packages", format);
		goto out;
	}
	if (!(opts = dg_opts_parse(m->desc, options, noptions, &err)))
		goto out;
	{
		struct dg_export_opts eo;
		memset(&eo, 0, sizeof(eo));
		if (cb)
			eo.findings = *cb;
		r.o = &eo;
		hooks.finding = on_finding;
		hooks.progress = NULL;
		hooks.arg = &r;
		if (!(ctx = dg_ctx_new(m, verbosity, &hooks))) {
			dg_err_set(&err, DG_FATAL, "out of memory");
			goto out;
		}
		if (m->desc->init && m->desc->init(ctx, h, opts, &state) != DG_OK) {
			dg_err_set(&err, DG_FAILED, "%s: cannot start: %s", m->name,
			           dg_ctx_error(ctx) ? dg_ctx_error(ctx) : "init failed");
			goto out;
		}
		status = m->desc->verify(ctx, h, state, path);
		if (status != DG_OK && status != DG_WARN && !r.errors)
			on_finding(&r, DG_FINDING_ERROR, NULL, path,
			           dg_ctx_error(ctx) ? dg_ctx_error(ctx) : "verification failed");
		if (m->desc->fini)
			m->desc->fini(state);
		r.o = NULL;
	}
	rc = r.errors ? 1 : 0;
out:
	if (err.msg[0])
		snprintf(errbuf, errcap, "%s", err.msg);
	dg_ctx_free(ctx);
	dg_opts_free(opts);
	dg_registry_free(reg);
	pthread_mutex_destroy(&r.mu);
	return rc;
}

static void
quiet(void *ctx, const char *path, const struct dg_module *m, const char *error)
{
	(void)ctx;
	(void)path;
	(void)m;
	(void)error;
}

char *
dg_import_format(const char *plugin_path, const char *locator)
{
	struct dg_registry *reg = dg_registry_new(plugin_path);
	const struct dg_module *best = NULL;
	int best_bid = 0;
	size_t i, n;
	char *name = NULL;

	if (!reg)
		return NULL;
	dg_registry_load_all(reg, quiet, NULL);
	n = dg_registry_count(reg);
	for (i = 0; i < n; i++) {
		const struct dg_module *m = dg_registry_at(reg, i);
		int b;
		if (m->desc->kind != DG_KIND_EXPORT || !m->desc->scan || !m->desc->bid_locator)
			continue;
		b = m->desc->bid_locator(locator);
		if (b > best_bid) {
			best_bid = b;
			best = m;
		}
	}
	if (best)
		name = dg_strdup(best->name);
	dg_registry_free(reg);
	return name;
}
