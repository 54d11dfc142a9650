/* train.c -- see train.h. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "loader.h"
#include "train.h"
#include "xmlsafe.h"

#define MAX_LABEL 64

struct entry {
	char hex[65];
	char man[65];
	int label; /* index into labels */
};

struct selection {
	struct dg_store *s;
	const struct dg_train_opts *o;
	struct entry *e;
	size_t n, cap;
	char **labels; /* in order of appearance */
	size_t nlabels, caplabels;
	int oom;
};

struct trainset {
	struct dg_train_set set; /* first: the plugin's view */
	struct selection *sel;
	struct dg_doc *cur;
	struct dg_train_result *r;
	int *order; /* selection label index -> result label index */
};

/* ---- selection ---------------------------------------------------------- */

static int
label_index(struct selection *sel, const char *code)
{
	size_t i;

	for (i = 0; i < sel->nlabels; i++)
		if (strcmp(sel->labels[i], code) == 0)
			return (int)i;
	if (sel->nlabels == sel->caplabels) {
		size_t cap = sel->caplabels ? sel->caplabels * 2 : 16;
		char **p = dg_realloc(sel->labels, cap * sizeof(*p));
		if (!p)
			return -1;
		sel->labels = p;
		sel->caplabels = cap;
	}
	if (!(sel->labels[sel->nlabels] = dg_strdup(code)))
		return -1;
	return (int)sel->nlabels++;
}

/* Is this version's type one to learn from? */
static const char *
usable_label(const struct dg_record *r, const struct dg_train_opts *o)
{
	const char *code = dg_record_meta(r, "doctype");
	const char *method = dg_record_meta(r, "doctype.method");
	const char *conf = dg_record_meta(r, "doctype.confidence");
	const char *cat = dg_record_meta(r, "doctype.catalogue");
	char *end = NULL;
	double v;

	if (!code || !*code || strlen(code) > MAX_LABEL)
		return NULL;
	if (o->catalogue && (!cat || strcmp(cat, o->catalogue) != 0))
		return NULL;
	if (o->any_labelled || (method && strcmp(method, "person") == 0))
		return code;
	if (!conf)
		return NULL;
	errno = 0;
	v = strtod(conf, &end);
	if (errno || end == conf || *end || !(v >= o->min_confidence))
		return NULL;
	return code;
}

static int
select_row(void *ctx, const struct dg_catalog_row *row)
{
	struct selection *sel = ctx;
	struct dg_record rec;
	struct dg_err err = {0};
	char man[65];
	const char *code;
	int li;

	if (dg_store_ref_get(sel->s, row->id, man) != 1)
		return 0;
	dg_record_init(&rec);
	if (dg_store_read_manifest(sel->s, man, &rec, &err) < 0)
		goto out;
	code = usable_label(&rec, sel->o);
	if (!code)
		goto out;
	if (sel->n == sel->cap) {
		size_t cap = sel->cap ? sel->cap * 2 : 256;
		struct entry *p = dg_realloc(sel->e, cap * sizeof(*p));
		if (!p)
			goto oom;
		sel->e = p;
		sel->cap = cap;
	}
	if ((li = label_index(sel, code)) < 0)
		goto oom;
	memcpy(sel->e[sel->n].hex, row->id, 65);
	memcpy(sel->e[sel->n].man, man, 65);
	sel->e[sel->n].label = li;
	sel->n++;
out:
	dg_record_release(&rec);
	return 0;
oom:
	sel->oom = 1;
	dg_record_release(&rec);
	return 1;
}

/* ---- the set handed to the plugin --------------------------------------- */

static const char *
ts_label(const struct dg_train_set *set, size_t i)
{
	const struct trainset *t = (const struct trainset *)set;

	return i < t->sel->n ? t->sel->labels[t->sel->e[i].label] : NULL;
}

static struct dg_doc *
ts_doc(struct dg_ctx *ctx, const struct dg_train_set *set, size_t i)
{
	struct trainset *t = set->host_data;
	struct dg_err err = {0};

	if (t->cur) {
		dg_stored_doc_free(t->cur);
		t->cur = NULL;
	}
	if (i >= t->sel->n) {
		dg_engine_host()->error(ctx, "no document %zu in the training set", i);
		return NULL;
	}
	t->cur = dg_stored_doc_load(t->sel->s, t->sel->e[i].man, &err);
	if (!t->cur)
		dg_engine_host()->error(ctx, "sha256:%s: %s", t->sel->e[i].hex, err.msg);
	return t->cur;
}

static void
ts_held_out(const struct dg_train_set *set, size_t i, const char *code, double p)
{
	struct trainset *t = set->host_data;
	struct dg_train_result *r = t->r;
	size_t k;
	int truth, pred = -1;

	(void)p;
	if (i >= t->sel->n || !code)
		return;
	truth = t->order[t->sel->e[i].label];
	for (k = 0; k < r->nlabels; k++)
		if (strcmp(r->labels[k], code) == 0)
			pred = (int)k;
	r->evaluated++;
	if (pred == truth)
		r->correct++;
	if (pred >= 0)
		r->confusion[(size_t)truth * r->nlabels + (size_t)pred]++;
}

/* ---- storing and installing the model --------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Copy object hex to dir/model through dir/model.tmp, synced. */
static int
install(struct dg_store *s, const char *hex, const char *dir, struct dg_err *err)
{
	char *obj = dg_store_object_path(s, hex);
	char *tmp = dg_path_join(dir, "model.tmp"), *dst = dg_path_join(dir, "model");
	char buf[65536];
	int in = -1, out = -1, rc = -1;
	ssize_t n;

	if (!obj || !tmp || !dst) {
		dg_err_set(err, DG_FATAL, "out of memory");
		goto out;
	}
	in = open(obj, O_RDONLY | O_CLOEXEC);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (in < 0 || out < 0)
		goto ioerr;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || dg_write_all(out, buf, (size_t)n) < 0)
			goto ioerr;
	}
	if (fsync(out) < 0)
		goto ioerr;
	rc = close(out);
	out = -1;
	if (rc < 0 || rename(tmp, dst) < 0 || fsync_dir(dir) < 0) {
		rc = -1;
		goto ioerr;
	}
	rc = 0;
	goto out;
ioerr:
	dg_err_set(err, DG_FAILED, "cannot install the model as %s: %s", dst ? dst : "model", strerror(errno));
	if (tmp)
		unlink(tmp);
	rc = -1;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	dg_free(obj);
	dg_free(tmp);
	dg_free(dst);
	return rc;
}

/* The last model recorded in the history, into prev ("" if none). */
static void
last_model(const char *history, char prev[65])
{
	char *data = NULL, *line, *save = NULL;
	size_t len;

	prev[0] = '\0';
	if (dg_read_file(history, 64u << 20, &data, &len) < 0)
		return;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "sha256:", 7) == 0 && strspn(line + 7, "0123456789abcdef") == 64 &&
		    (line[71] == '\t' || line[71] == '\0')) {
			memcpy(prev, line + 7, 64);
			prev[64] = '\0';
		}
	dg_free(data);
}

static int
append_history(const char *history, const struct dg_train_result *r, const char *catalogue, const char *plugin,
               const char *version, struct dg_err *err)
{
	struct dg_buf b;
	char when[32];
	int fd, rc = -1, fresh = access(history, F_OK) != 0;

	dg_buf_init(&b, 0);
	if (fresh)
		dg_buf_adds(&b, "# id\ttrained\tdocuments\ttypes\taccuracy\tmacro-f1\tevaluated\tcatalogue\tplugin\n");
	dg_iso8601(r->trained_us / 1000000, when, sizeof(when));
	dg_buf_addf(&b, "sha256:%s\t%s\t%lld\t%zu\t", r->model, when, (long long)r->documents, r->nlabels);
	if (r->evaluated)
		dg_buf_addf(&b, "%.4f\t%.4f\t%lld\t", r->accuracy, r->macro_f1, (long long)r->evaluated);
	else
		dg_buf_adds(&b, "-\t-\t0\t");
	dg_buf_addf(&b, "%s\t%s %s\n", catalogue ? catalogue : "-", plugin, version ? version : "?");
	fd = open(history, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (b.oom || fd < 0 || dg_write_all(fd, b.data, b.len) < 0 || fsync(fd) < 0)
		dg_err_set(err, DG_FAILED, "cannot append to %s: %s", history, strerror(errno));
	else
		rc = 0;
	if (fd >= 0)
		close(fd);
	dg_buf_release(&b);
	return rc;
}

/* ---- the run ------------------------------------------------------------------ */

double
dg_train_f1(const struct dg_train_result *r, size_t i, int64_t *support)
{
	int64_t tp = r->confusion[i * r->nlabels + i], pred = 0, sup = 0;
	size_t k;
	double prec, rec;

	for (k = 0; k < r->nlabels; k++) {
		sup += r->confusion[i * r->nlabels + k];
		pred += r->confusion[k * r->nlabels + i];
	}
	if (support)
		*support = sup;
	if (tp == 0)
		return 0;
	prec = (double)tp / (double)pred;
	rec = (double)tp / (double)sup;
	return 2 * prec * rec / (prec + rec);
}

int
dg_train_run(struct dg_store *s, struct dg_catalog *c, const struct dg_train_opts *o, struct dg_train_result *r,
             char *errbuf, size_t errcap)
{
	struct dg_err err = {0};
	struct dg_registry *reg = NULL;
	const struct dg_module *m;
	const struct dg_plugin *p = NULL;
	const struct dg_host *h = dg_engine_host();
	struct dg_opts *opts = NULL;
	struct dg_ctx *ctx = NULL;
	struct selection sel;
	struct trainset ts;
	struct dg_publish pub;
	const char *plugin = o->plugin ? o->plugin : "learned";
	char *dir = NULL, *work = NULL, *out = NULL, *tmp = NULL, *history = NULL;
	char hex[65];
	void *state = NULL;
	int rc = 4, inited = 0, fd = -1, status;
	size_t i, k, used;

	memset(r, 0, sizeof(*r));
	memset(&sel, 0, sizeof(sel));
	memset(&ts, 0, sizeof(ts));
	dg_publish_init(&pub);
	dg_xml_init();
	reg = dg_registry_new(o->plugin_path);
	if (!reg)
		goto oom;
	if (!(m = dg_registry_get(reg, plugin, &err))) {
		rc = 2;
		goto fail;
	}
	p = m->desc;
	if (p->kind != DG_KIND_CLASSIFY || !DG_PLUGIN_HAS(p, train) || !p->train) {
		dg_err_set(&err, DG_FAILED, "plugin '%s' is not a trainable classifier", plugin);
		rc = 2;
		goto fail;
	}
	if (!(opts = dg_opts_parse(p, o->options, o->noptions, &err))) {
		dg_err_set(&err, DG_FAILED, "%s: %s", plugin, (const char *)err.msg);
		rc = 2;
		goto fail;
	}
	/* the labelled documents */
	sel.s = s;
	sel.o = o;
	if (dg_catalog_with_meta(c, "doctype", select_row, &sel) < 0 || sel.oom) {
		dg_err_set(&err, DG_FAILED, "cannot list the labelled documents of the catalog");
		rc = 3;
		goto fail;
	}
	r->documents = (int64_t)sel.n;
	/* the result's labels, sorted, and the map to them */
	r->nlabels = sel.nlabels;
	r->labels = dg_calloc(sel.nlabels + 1, sizeof(*r->labels));
	r->confusion = dg_calloc(sel.nlabels * sel.nlabels + 1, sizeof(*r->confusion));
	ts.order = dg_calloc(sel.nlabels + 1, sizeof(*ts.order));
	if (!r->labels || !r->confusion || !ts.order)
		goto oom;
	for (i = 0; i < sel.nlabels; i++)
		if (!(r->labels[i] = dg_strdup(sel.labels[i])))
			goto oom;
	if (r->nlabels > 1)
		qsort(r->labels, r->nlabels, sizeof(*r->labels), cmp_str);
	for (i = 0; i < sel.nlabels; i++)
		for (k = 0; k < r->nlabels; k++)
			if (strcmp(sel.labels[i], r->labels[k]) == 0)
				ts.order[i] = (int)k;
	if (sel.n < 2 || sel.nlabels < 2) {
		dg_err_set(&err, DG_FAILED,
		           "nothing to train on: %zu labelled document%s of %zu type%s (a person's labels, 'dangan "
		           "set ID doctype=CODE', or classifications with confidence >= %.2f; at least two types)",
		           sel.n, sel.n == 1 ? "" : "s", sel.nlabels, sel.nlabels == 1 ? "" : "s", o->min_confidence);
		rc = 1;
		goto fail;
	}
	/* the plugin */
	if (!(ctx = dg_ctx_new(m, o->verbosity, NULL)) || dg_ctx_set_store(ctx, dg_store_root(s)) < 0)
		goto oom;
	if (p->init && p->init(ctx, h, opts, &state) != DG_OK) {
		dg_err_set(&err, DG_FAILED, "%s: cannot start: %s", plugin,
		           dg_ctx_error(ctx) ? dg_ctx_error(ctx) : "init failed");
		rc = 2;
		goto fail;
	}
	inited = 1;
	dir = dg_asprintf("%s/state/%s", dg_store_root(s), plugin);
	work = dir ? dg_asprintf("%s/train.XXXXXX", dir) : NULL;
	if (!work)
		goto oom;
	if (dg_mkdirs(dir, 0755) < 0 || !mkdtemp(work)) {
		dg_err_set(&err, DG_FAILED, "cannot create a directory in %s: %s", dir, strerror(errno));
		dg_free(work);
		work = NULL;
		goto fail;
	}
	if (!(out = dg_path_join(work, "model")))
		goto oom;
	ts.set.struct_size = sizeof(ts.set);
	ts.set.n = sel.n;
	ts.set.folds = o->folds > 1 ? o->folds : 0;
	ts.set.test_split = o->folds > 1 ? 0 : o->test_split;
	ts.set.catalogue = o->catalogue;
	ts.set.label = ts_label;
	ts.set.doc = ts_doc;
	ts.set.held_out = ts_held_out;
	ts.set.host_data = &ts;
	ts.sel = &sel;
	ts.r = r;
	dg_ctx_clear_error(ctx);
	status = p->train(ctx, h, state, &ts.set, out);
	if (ts.cur) {
		dg_stored_doc_free(ts.cur);
		ts.cur = NULL;
	}
	if (status != DG_OK && status != DG_WARN) {
		dg_err_set(&err, DG_FAILED, "%s: training failed: %s", plugin,
		           dg_ctx_error(ctx) ? dg_ctx_error(ctx) : "no reason given");
		goto fail;
	}
	/* figures */
	if (r->evaluated) {
		double sum = 0;
		r->accuracy = (double)r->correct / (double)r->evaluated;
		for (i = 0, used = 0; i < r->nlabels; i++) {
			int64_t sup = 0, pred = 0;
			double f1 = dg_train_f1(r, i, &sup);
			for (k = 0; k < r->nlabels; k++)
				pred += r->confusion[k * r->nlabels + i];
			if (sup || pred) {
				sum += f1;
				used++;
			}
		}
		r->macro_f1 = used ? sum / (double)used : 0;
	}
	/* the model: an object of the store, kept by the plugin's state */
	fd = open(out, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		dg_err_set(&err, DG_FAILED, "%s wrote no model: %s", plugin, strerror(errno));
		goto fail;
	}
	if (dg_store_put_fd(s, fd, hex, &tmp, &r->model_size, &err) < 0)
		goto fail;
	if (dg_publish_add_object(&pub, tmp, hex) < 0)
		goto oom;
	if (dg_store_publish(s, &pub, NULL, NULL, &err) < 0)
		goto fail;
	dg_free(tmp);
	tmp = NULL;
	memcpy(r->model, hex, 65);
	r->trained_us = dg_now_us();
	if (!(history = dg_path_join(dir, "history")))
		goto oom;
	last_model(history, r->previous);
	if (dg_store_keep(s, plugin, hex, &err) < 0 ||
	    append_history(history, r, o->catalogue, plugin, p->version, &err) < 0 || install(s, hex, dir, &err) < 0)
		goto fail;
	rc = 0;
	goto out;
oom:
	dg_err_set(&err, DG_FATAL, "out of memory");
fail:
	if (tmp)
		unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	if (inited && p->fini)
		p->fini(state);
	if (work)
		dg_rmtree(work);
	if (err.msg[0])
		snprintf(errbuf, errcap, "%s", err.msg);
	for (i = 0; i < sel.nlabels; i++)
		dg_free(sel.labels[i]);
	dg_free(sel.labels);
	dg_free(sel.e);
	dg_free(ts.order);
	dg_publish_release(&pub);
	dg_ctx_free(ctx);
	dg_opts_free(opts);
	dg_registry_free(reg);
	dg_free(dir);
	dg_free(work);
	dg_free(out);
	dg_free(tmp);
	dg_free(history);
	return rc;
}

void
dg_train_result_release(struct dg_train_result *r)
{
	size_t i;

	for (i = 0; r->labels && i < r->nlabels; i++)
		dg_free(r->labels[i]);
	dg_free(r->labels);
	dg_free(r->confusion);
	memset(r, 0, sizeof(*r));
}
