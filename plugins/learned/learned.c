#include <config.h>
#include <dangan/plugin.h>

/*
 * plugins/learned: the learned document-type classifier.
 *
 * A multinomial naive Bayes over hashed character n-grams (model.h):
 * n-grams need no word segmentation, so Chinese and English texts are
 * treated alike, and the hashing bounds the model's memory whatever the
 * vocabulary.  Naive Bayes rather than logistic regression because it
 * trains in one pass over the documents (counts are additive, so a
 * training reads each document once per fold and keeps nothing of it),
 * is exact to retrain, and does well on the few documents per type that
 * an archive starts with; its overconfident probabilities are
 * calibrated by one scale factor (a temperature) fitted on held-out
 * predictions at training time.
 *
 * As a stage: reads the model installed in its state directory (file
 * "model") at init; for each document with a text part writes the
 * transient metadata "@learned.scores" = "CODE:p CODE:p ..." (every
 * class, most probable first, summing to 1) for the classify stage, and
 * a provenance note naming the top class and the model.  Declines
 * documents without text, and everything while there is no model.  A
 * model file that does not read back is refused: the first document
 * gets the error and the stage is disabled for the run (DG_FATAL).
 *
 * As a trainer (ABI 1.4 train(), `dangan train`): options choose the
 * n-gram range, the buckets, the characters read and the smoothing.
 */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "model.h"

#define LEARNED_VERSION "0.1.0"
#define SCORES_KEY "@learned.scores"
#define TEXT_READ_MAX ((size_t)64 << 20)

struct learned {
	/* training options */
	unsigned n_min, n_max, bits, max_chars, calib_folds;
	double alpha;
	/* the installed model */
	int have_model;
	struct nb_model model;
	char model_id[65];
	char *model_error; /* the model file exists but is not valid */
};

static const struct dg_option learned_options[] = {
    {.name = "ngram-min",
     .type = DG_OPT_INT,
     .default_value = "1",
     .help = "training: shortest character n-gram",
     .min = 1,
     .max = NB_MAX_N},
    {.name = "ngram-max",
     .type = DG_OPT_INT,
     .default_value = "3",
     .help = "training: longest character n-gram",
     .min = 1,
     .max = NB_MAX_N},
    {.name = "bucket-bits",
     .type = DG_OPT_INT,
     .default_value = "18",
     .help = "training: n-grams are hashed into 2^bits buckets (memory: 4 bytes x buckets x types)",
     .min = NB_MIN_BITS,
     .max = NB_MAX_BITS},
    {.name = "max-chars",
     .type = DG_OPT_INT,
     .default_value = "20000",
     .help = "training: characters of a document's text used (after normalisation)",
     .min = 1,
     .max = NB_MAX_CHARS},
    {.name = "alpha",
     .type = DG_OPT_STRING,
     .default_value = "0.1",
     .help = "training: additive smoothing of the n-gram counts (0 < alpha <= 100)",
     .min = 0,
     .max = 0},
    {.name = "calibration-folds",
     .type = DG_OPT_INT,
     .default_value = "5",
     .help = "training: folds of the held-out predictions that fit the probability scale "
             "when no evaluation is asked",
     .min = 2,
     .max = 20},
    {0},
};

/* ---- helpers ------------------------------------------------------------ */

/* Read at most max bytes of a file (NUL-terminated). -1 with errno. */
static int
read_file(const char *path, size_t max, unsigned char **out, size_t *len, int *too_big)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t want, got = 0;
	int fd, saved = 0;

	*out = NULL;
	*len = 0;
	if (too_big)
		*too_big = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		saved = errno ? errno : EINVAL;
		goto fail;
	}
	if ((uint64_t)st.st_size > max) {
		if (too_big) {
			*too_big = 1;
			saved = EFBIG;
			goto fail;
		}
		want = max;
	} else {
		want = (size_t)st.st_size;
	}
	buf = malloc(want + 1);
	if (!buf) {
		saved = ENOMEM;
		goto fail;
	}
	while (got < want) {
		ssize_t n = read(fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			saved = errno;
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
fail:
	free(buf);
	close(fd);
	errno = saved;
	return -1;
}

static void
sha256_hex(const unsigned char *data, size_t len, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0, i;

	out[0] = '\0';
	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return;
	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
}

/* The features of a document's text part; -1 when it has none. */
static long
doc_features(const struct dg_host *host, struct dg_doc *doc, const struct nb_model *m, uint32_t **f)
{
	const char *path = host->part_path(doc, DG_ROLE_TEXT);
	unsigned char *text = NULL;
	size_t len, max;
	long n;

	*f = NULL;
	if (!path)
		return -1;
	/* enough bytes for max_chars characters after white space is gone */
	max = (size_t)m->max_chars * 8;
	if (max < ((size_t)64 << 10))
		max = (size_t)64 << 10;
	if (max > TEXT_READ_MAX)
		max = TEXT_READ_MAX;
	if (read_file(path, max, &text, &len, NULL) < 0)
		return -1;
	n = nb_features(m, (const char *)text, len, f);
	free(text);
	return n;
}

/* ---- life ------------------------------------------------------------------ */

static void
load_model(struct dg_ctx *ctx, const struct dg_host *host, struct learned *st)
{
	const char *dir;
	char *path = NULL, err[512];
	unsigned char *data = NULL;
	size_t len;
	int too_big = 0;

	if (!DG_HOST_HAS(host, state_dir))
		return;
	dir = host->state_dir(ctx);
	if (!dir) {
		host->log(ctx, DG_LOG_WARN, "no state directory: working without a model");
		return;
	}
	if (asprintf(&path, "%s/model", dir) < 0) {
		path = NULL;
		goto out;
	}
	if (read_file(path, NB_FILE_MAX, &data, &len, &too_big) < 0) {
		if (errno != ENOENT && asprintf(&st->model_error, "cannot read the model %s: %s", path,
		                                too_big ? "larger than the format allows" : strerror(errno)) < 0)
			st->model_error = NULL;
		goto out;
	}
	if (nb_read(data, len, &st->model, 0, err, sizeof(err)) < 0) {
		if (asprintf(&st->model_error, "the model %s is not valid: %s", path, err) < 0)
			st->model_error = NULL;
		goto out;
	}
	sha256_hex(data, len, st->model_id);
	st->have_model = 1;
	host->log(ctx, DG_LOG_INFO, "model sha256:%.16s: %u types, %llu documents", st->model_id, st->model.nclasses,
	          (unsigned long long)st->model.ndocs);
out:
	free(data);
	free(path);
}

static int
learned_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct learned *st = calloc(1, sizeof(*st));
	const char *a = host->opt_string(opts, "alpha");
	char *end = NULL;

	if (!st) {
		host->error(ctx, "out of memory");
		return DG_FATAL;
	}
	st->n_min = (unsigned)host->opt_int(opts, "ngram-min");
	st->n_max = (unsigned)host->opt_int(opts, "ngram-max");
	st->bits = (unsigned)host->opt_int(opts, "bucket-bits");
	st->max_chars = (unsigned)host->opt_int(opts, "max-chars");
	st->calib_folds = (unsigned)host->opt_int(opts, "calibration-folds");
	errno = 0;
	st->alpha = a ? strtod(a, &end) : 0.1;
	if (a && (errno || end == a || *end || !(st->alpha > 0 && st->alpha <= 100))) {
		host->error(ctx, "alpha must be a number in (0, 100], not '%s'", a);
		free(st);
		return DG_FATAL;
	}
	if (st->n_max < st->n_min) {
		host->error(ctx, "ngram-max (%u) is below ngram-min (%u)", st->n_max, st->n_min);
		free(st);
		return DG_FATAL;
	}
	load_model(ctx, host, st);
	*state = st;
	return DG_OK;
}

static void
learned_fini(void *state)
{
	struct learned *st = state;

	if (!st)
		return;
	nb_free(&st->model);
	free(st->model_error);
	free(st);
}

/* ---- the stage --------------------------------------------------------------- */

struct ranked {
	unsigned c;
	double p;
};

static int
by_p(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->p != y->p)
		return x->p < y->p ? 1 : -1;
	return x->c < y->c ? -1 : (x->c > y->c);
}

static int
learned_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	struct learned *st = state;
	const struct nb_model *m = &st->model;
	uint32_t *f = NULL;
	double *z = NULL, *p = NULL;
	struct ranked *r = NULL;
	char *scores = NULL;
	size_t cap, len = 0;
	long n;
	unsigned c;
	int rc = DG_FAILED;

	if (st->model_error) {
		host->error(ctx, "%s; the stage is disabled until 'dangan train' installs a new model",
		            st->model_error);
		return DG_FATAL;
	}
	if (!st->have_model || !host->part_path(doc, DG_ROLE_TEXT))
		return DG_DECLINED;
	n = doc_features(host, doc, m, &f);
	if (n <= 0) {
		free(f);
		if (n < 0) {
			host->error(ctx, "cannot read the text part: %s", strerror(errno));
			return DG_FAILED;
		}
		return DG_DECLINED; /* nothing left after normalisation */
	}
	z = malloc(m->nclasses * sizeof(*z));
	p = malloc(m->nclasses * sizeof(*p));
	r = malloc(m->nclasses * sizeof(*r));
	cap = (size_t)m->nclasses * (NB_CODE_MAX + 16) + 1;
	scores = malloc(cap);
	if (!z || !p || !r || !scores) {
		host->error(ctx, "out of memory");
		goto out;
	}
	nb_raw(m, f, (size_t)n, z);
	nb_softmax(z, m->nclasses, m->beta, p);
	for (c = 0; c < m->nclasses; c++) {
		r[c].c = c;
		r[c].p = p[c];
	}
	qsort(r, m->nclasses, sizeof(*r), by_p);
	for (c = 0; c < m->nclasses; c++)
		len += (size_t)snprintf(scores + len, cap - len, "%s%s:%.6f", c ? " " : "", m->classes[r[c].c].code,
		                        r[c].p);
	if (host->meta_set(doc, SCORES_KEY, scores) != 0) {
		host->error(ctx, "cannot set %s", SCORES_KEY);
		goto out;
	}
	host->note(ctx, doc, "learned: %s %.2f (next %s %.2f); model sha256:%.16s, %u types%s%s",
	           m->classes[r[0].c].code, r[0].p, m->nclasses > 1 ? m->classes[r[1].c].code : "-",
	           m->nclasses > 1 ? r[1].p : 0.0, st->model_id, m->nclasses, m->catalogue[0] ? " of " : "",
	           m->catalogue);
	rc = DG_OK;
out:
	free(f);
	free(z);
	free(p);
	free(r);
	free(scores);
	return rc;
}

/* ---- training ------------------------------------------------------------------ */

struct trainer {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	const struct dg_train_set *set;
	struct nb_model m;
	int *cls;       /* class of each document, -1 unusable label */
	int *fold;      /* evaluation group of each document */
	char *skip;     /* no text: left out */
	double *z;      /* held-out raw scores, n x classes */
	char *scored;   /* z holds something */
	unsigned folds; /* groups; held out: groups 0..eval-1 */
	unsigned eval;
	size_t skipped;
};

/* Add every document not in group g (g < 0: all) to the counts. */
static int
train_pass(struct trainer *t, int g)
{
	size_t i;

	nb_clear(&t->m);
	for (i = 0; i < t->set->n; i++) {
		struct dg_doc *d;
		uint32_t *f = NULL;
		long n;
		if (t->cls[i] < 0 || t->skip[i] || (g >= 0 && t->fold[i] == g))
			continue;
		d = t->set->doc(t->ctx, t->set, i);
		if (!d)
			return -1;
		n = doc_features(t->host, d, &t->m, &f);
		if (n <= 0) {
			t->skip[i] = 1;
			t->skipped++;
		} else {
			nb_add(&t->m, t->cls[i], f, (size_t)n);
		}
		free(f);
	}
	return 0;
}

/* Score the documents of group g with the counts in t->m. */
static int
score_pass(struct trainer *t, int g)
{
	size_t i;

	if (nb_prepare(&t->m, 1) < 0)
		return -1;
	for (i = 0; i < t->set->n; i++) {
		struct dg_doc *d;
		uint32_t *f = NULL;
		long n;
		if (t->cls[i] < 0 || t->skip[i] || t->fold[i] != g)
			continue;
		d = t->set->doc(t->ctx, t->set, i);
		if (!d)
			return -1;
		n = doc_features(t->host, d, &t->m, &f);
		if (n <= 0) {
			t->skip[i] = 1;
			t->skipped++;
		} else {
			nb_raw(&t->m, f, (size_t)n, t->z + i * t->m.nclasses);
			t->scored[i] = 1;
		}
		free(f);
	}
	return 0;
}

static int
write_model(const struct nb_model *m, const char *out, char *err, size_t errcap)
{
	unsigned char *data = NULL;
	size_t len;
	int fd = -1, rc = -1;

	if (nb_write(m, &data, &len) < 0) {
		snprintf(err, errcap, "out of memory writing the model");
		return -1;
	}
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	for (size_t at = 0; at < len;) {
		ssize_t n = write(fd, data + at, len - at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		at += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail;
	rc = close(fd);
	fd = -1;
	if (rc < 0)
		goto fail;
	free(data);
	return 0;
fail:
	snprintf(err, errcap, "cannot write %s: %s", out, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(data);
	return -1;
}

static int
learned_train(struct dg_ctx *ctx, const struct dg_host *host, void *state, const struct dg_train_set *set,
              const char *out)
{
	struct learned *st = state;
	struct trainer t;
	size_t i, *seen = NULL, bad_labels = 0;
	int *y = NULL;
	double *zk = NULL, *p = NULL;
	char err[512];
	unsigned c, g, largest = 0;
	int rc = DG_FAILED, report;

	memset(&t, 0, sizeof(t));
	t.ctx = ctx;
	t.host = host;
	t.set = set;
	if (set->struct_size < sizeof(*set) || !set->label || !set->doc) {
		host->error(ctx, "the engine's training set is too old for this plugin");
		return DG_FATAL;
	}
	if (nb_init(&t.m, st->n_min, st->n_max, st->bits, st->max_chars, st->alpha) < 0) {
		host->error(ctx, "bad training parameters");
		return DG_FATAL;
	}
	t.cls = calloc(set->n + 1, sizeof(*t.cls));
	t.fold = calloc(set->n + 1, sizeof(*t.fold));
	t.skip = calloc(set->n + 1, 1);
	t.scored = calloc(set->n + 1, 1);
	if (!t.cls || !t.fold || !t.skip || !t.scored)
		goto oom;
	for (i = 0; i < set->n; i++) {
		const char *label = set->label(set, i);
		t.cls[i] = label ? nb_class_index(&t.m, label, 1) : -1;
		if (t.cls[i] < 0) {
			if (label && !nb_code_ok(label))
				bad_labels++;
			else if (label) {
				host->error(ctx, "too many document types (or out of memory) at '%s'", label);
				goto out;
			}
		}
	}
	if (bad_labels)
		host->log(ctx, DG_LOG_WARN, "%zu documents left out: their type is not a usable code", bad_labels);
	if (t.m.nclasses < 2) {
		host->error(ctx, "training needs documents of at least two types (found %u)", t.m.nclasses);
		goto out;
	}
	/* evaluation groups, stratified: the j-th document of each type */
	seen = calloc(t.m.nclasses, sizeof(*seen));
	if (!seen)
		goto oom;
	for (i = 0; i < set->n; i++)
		if (t.cls[i] >= 0 && ++seen[t.cls[i]] > largest)
			largest = (unsigned)seen[t.cls[i]];
	report = set->folds > 1 || (set->test_split > 0 && set->test_split < 1);
	if (set->folds > 1) {
		t.folds = t.eval = (unsigned)set->folds;
	} else if (set->test_split > 0 && set->test_split < 1) {
		t.folds = 2;
		t.eval = 1; /* group 0 is the test set, group 1 trains */
	} else {
		t.folds = t.eval = st->calib_folds < largest ? st->calib_folds : largest;
	}
	memset(seen, 0, t.m.nclasses * sizeof(*seen));
	for (i = 0; i < set->n; i++) {
		size_t j;
		if (t.cls[i] < 0)
			continue;
		j = seen[t.cls[i]]++;
		if (set->folds > 1 || !(set->test_split > 0 && set->test_split < 1))
			t.fold[i] = t.folds ? (int)(j % t.folds) : 0;
		else
			t.fold[i] =
			    floor((double)(j + 1) * set->test_split) > floor((double)j * set->test_split) ? 0 : 1;
	}
	/* held-out raw scores */
	if (t.eval >= 1 && t.folds >= 2) {
		t.z = calloc(set->n * t.m.nclasses + 1, sizeof(*t.z));
		if (!t.z)
			goto oom;
		for (g = 0; g < t.eval; g++) {
			if (train_pass(&t, (int)g) < 0 || score_pass(&t, (int)g) < 0)
				goto readfail;
		}
	}
	/* the temperature, from the held-out scores */
	{
		size_t k = 0;
		y = calloc(set->n + 1, sizeof(*y));
		zk = calloc((set->n + 1) * t.m.nclasses, sizeof(*zk));
		if (!y || !zk)
			goto oom;
		for (i = 0; i < set->n; i++)
			if (t.scored[i]) {
				memcpy(zk + k * t.m.nclasses, t.z + i * t.m.nclasses, t.m.nclasses * sizeof(*zk));
				y[k++] = t.cls[i];
			}
		if (k >= 2) {
			t.m.beta = nb_fit_beta(zk, y, k, t.m.nclasses);
		} else {
			t.m.beta = 100.0;
			host->log(ctx, DG_LOG_WARN, "too few documents to calibrate the probabilities");
		}
	}
	if (report && set->held_out) {
		p = calloc(t.m.nclasses, sizeof(*p));
		if (!p)
			goto oom;
		for (i = 0; i < set->n; i++) {
			unsigned best = 0;
			if (!t.scored[i])
				continue;
			nb_softmax(t.z + i * t.m.nclasses, t.m.nclasses, t.m.beta, p);
			for (c = 1; c < t.m.nclasses; c++)
				if (p[c] > p[best])
					best = c;
			set->held_out(set, i, t.m.classes[best].code, p[best]);
		}
	}
	/* the model: every usable document */
	if (train_pass(&t, -1) < 0)
		goto readfail;
	for (c = 0; c < t.m.nclasses; c++)
		if (t.m.classes[c].docs == 0)
			host->log(ctx, DG_LOG_WARN, "type %s has no document with text", t.m.classes[c].code);
	if (t.skipped)
		host->log(ctx, DG_LOG_WARN, "%zu documents had no text and were left out", t.skipped);
	if (t.m.ndocs < 2) {
		host->error(ctx, "no documents with text to train on");
		goto out;
	}
	t.m.trained_us = 0;
	{
		struct timespec ts;
		if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
			t.m.trained_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	}
	if (set->catalogue && nb_code_ok(set->catalogue))
		snprintf(t.m.catalogue, sizeof(t.m.catalogue), "%s", set->catalogue);
	if (write_model(&t.m, out, err, sizeof(err)) < 0) {
		host->error(ctx, "%s", err);
		goto out;
	}
	host->log(ctx, DG_LOG_INFO, "trained on %llu documents of %u types; probability scale %.3g",
	          (unsigned long long)t.m.ndocs, t.m.nclasses, t.m.beta);
	rc = DG_OK;
	goto out;
readfail:
	/* the host set the error */
	rc = DG_FAILED;
	goto out;
oom:
	host->error(ctx, "out of memory");
out:
	nb_free(&t.m);
	free(t.cls);
	free(t.fold);
	free(t.skip);
	free(t.scored);
	free(t.z);
	free(seen);
	free(y);
	free(zk);
	free(p);
	return rc;
}

static const struct dg_plugin learned_plugin = {
    DG_PLUGIN_HEADER,
    .name = "learned",
    .version = LEARNED_VERSION,
    .summary = "Document types learned from labelled documents (naive Bayes over character n-grams)",
    .kind = DG_KIND_CLASSIFY,
    .flags = DG_PLUGIN_SHARED,
    .options = learned_options,
    .init = learned_init,
    .fini = learned_fini,
    .bid = NULL,
    .process = learned_process,
    .bid_locator = NULL,
    .scan = NULL,
    .train = learned_train,
};

DG_PLUGIN_DEFINE(learned_plugin)
