/* model.c -- see model.h. */
#include <config.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* ---- classes --------------------------------------------------------- */

int
nb_code_ok(const char *code)
{
	size_t i, n = strlen(code);

	if (n == 0 || n > NB_CODE_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)code[i];
		int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '-' && c != '.')))
			return 0;
	}
	return 1;
}

int
nb_init(struct nb_model *m, unsigned n_min, unsigned n_max, unsigned bits, unsigned max_chars, double alpha)
{
	memset(m, 0, sizeof(*m));
	if (n_min < 1 || n_max < n_min || n_max > NB_MAX_N || bits < NB_MIN_BITS || bits > NB_MAX_BITS ||
	    max_chars < 1 || max_chars > NB_MAX_CHARS || !(alpha > 0 && alpha <= 100))
		return -1;
	m->n_min = n_min;
	m->n_max = n_max;
	m->bits = bits;
	m->max_chars = max_chars;
	m->alpha = alpha;
	m->beta = 1.0;
	return 0;
}

void
nb_free(struct nb_model *m)
{
	free(m->classes);
	free(m->counts);
	free(m->loglik);
	free(m->logprior);
	memset(m, 0, sizeof(*m));
}

int
nb_class_index(struct nb_model *m, const char *code, int add)
{
	size_t B = (size_t)1 << m->bits;
	unsigned i;
	void *p;

	for (i = 0; i < m->nclasses; i++)
		if (strcmp(m->classes[i].code, code) == 0)
			return (int)i;
	if (!add || !nb_code_ok(code) || m->nclasses >= NB_MAX_CLASSES ||
	    (uint64_t)(m->nclasses + 1) * B > NB_MAX_CELLS)
		return -1;
	p = realloc(m->classes, (m->nclasses + 1) * sizeof(*m->classes));
	if (!p)
		return -1;
	m->classes = p;
	p = realloc(m->counts, (size_t)(m->nclasses + 1) * B * sizeof(*m->counts));
	if (!p)
		return -1;
	m->counts = p;
	memset(m->counts + (size_t)m->nclasses * B, 0, B * sizeof(*m->counts));
	memset(&m->classes[m->nclasses], 0, sizeof(m->classes[0]));
	snprintf(m->classes[m->nclasses].code, sizeof(m->classes[0].code), "%s", code);
	return (int)m->nclasses++;
}

/* ---- normalisation and features ---------------------------------------- */

/* Next code point of s[*i..len), or -1 for an invalid byte (skipped). */
static long
utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];
	long cp;
	size_t need, k;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		cp = c & 0x07;
	} else {
		(*i)++;
		return -1;
	}
	for (k = 1; k <= need; k++) {
		if (*i + k >= len || (s[*i + k] & 0xc0) != 0x80) {
			(*i)++;
			return -1;
		}
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff)) {
		(*i)++;
		return -1;
	}
	*i += need + 1;
	return cp;
}

static int
is_space(long cp)
{
	return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || cp == 0xa0 || cp == 0x1680 ||
	       (cp >= 0x2000 && cp <= 0x200b) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
	       cp == 0x3000 || cp == 0xfeff;
}

/* The normalised code point, or -1 to drop it. */
static long
norm_cp(long cp)
{
	if (cp >= 0xff01 && cp <= 0xff5e)
		cp -= 0xfee0;
	if (cp < 0 || is_space(cp) || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0xfffd)
		return -1;
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if (cp >= '0' && cp <= '9')
		return '0';
	return cp;
}

static uint32_t
bucket(const uint32_t *cps, unsigned n, unsigned bits)
{
	uint64_t h = 0xcbf29ce484222325ull ^ n;
	unsigned k, b;

	for (k = 0; k < n; k++)
		for (b = 0; b < 4; b++) {
			h ^= (cps[k] >> (8 * b)) & 0xff;
			h *= 0x100000001b3ull;
		}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)(h & (((uint64_t)1 << bits) - 1));
}

long
nb_features(const struct nb_model *m, const char *text, size_t len, uint32_t **out)
{
	const unsigned char *s = (const unsigned char *)text;
	uint32_t *cps = NULL, *f = NULL;
	size_t i = 0, nc = 0, cap = 256, nf = 0, k;
	unsigned n;

	*out = NULL;
	cps = malloc(cap * sizeof(*cps));
	if (!cps)
		return -1;
	while (i < len && nc < m->max_chars) {
		long cp = norm_cp(utf8_next(s, len, &i));
		if (cp < 0)
			continue;
		if (nc == cap) {
			void *p = realloc(cps, cap * 2 * sizeof(*cps));
			if (!p)
				goto fail;
			cps = p;
			cap *= 2;
		}
		cps[nc++] = (uint32_t)cp;
	}
	/* at most (n_max - n_min + 1) features per position */
	f = malloc((nc * (m->n_max - m->n_min + 1) + 1) * sizeof(*f));
	if (!f)
		goto fail;
	for (k = 0; k < nc; k++)
		for (n = m->n_min; n <= m->n_max && k + n <= nc; n++)
			f[nf++] = bucket(cps + k, n, m->bits);
	free(cps);
	*out = f;
	return (long)nf;
fail:
	free(cps);
	free(f);
	return -1;
}

/* ---- training and scoring ------------------------------------------------ */

void
nb_add(struct nb_model *m, int c, const uint32_t *f, size_t n)
{
	uint32_t *row = m->counts + ((size_t)c << m->bits);
	size_t i;

	for (i = 0; i < n; i++)
		if (row[f[i]] < UINT32_MAX) {
			row[f[i]]++;
			m->classes[c].total++;
		}
	m->classes[c].docs++;
	m->ndocs++;
}

void
nb_clear(struct nb_model *m)
{
	unsigned c;

	if (m->counts)
		memset(m->counts, 0, ((size_t)m->nclasses << m->bits) * sizeof(*m->counts));
	for (c = 0; c < m->nclasses; c++) {
		m->classes[c].docs = 0;
		m->classes[c].total = 0;
	}
	m->ndocs = 0;
}

int
nb_prepare(struct nb_model *m, int keep_counts)
{
	size_t B = (size_t)1 << m->bits, b;
	unsigned c;

	free(m->loglik);
	free(m->logprior);
	m->loglik = malloc((size_t)m->nclasses * B * sizeof(*m->loglik));
	m->logprior = malloc((m->nclasses + 1) * sizeof(*m->logprior));
	if (!m->loglik || !m->logprior || !m->counts)
		return -1;
	for (c = 0; c < m->nclasses; c++) {
		const uint32_t *row = m->counts + (size_t)c * B;
		float *ll = m->loglik + (size_t)c * B;
		double denom = log((double)m->classes[c].total + m->alpha * (double)B);
		/* add-one smoothing of the prior: a class seen in no document
		 * of a fold still gets a finite score */
		m->logprior[c] = log(((double)m->classes[c].docs + 1.0) / ((double)m->ndocs + m->nclasses));
		for (b = 0; b < B; b++)
			ll[b] = (float)(log((double)row[b] + m->alpha) - denom);
	}
	if (!keep_counts) {
		free(m->counts);
		m->counts = NULL;
	}
	return 0;
}

void
nb_raw(const struct nb_model *m, const uint32_t *f, size_t n, double *z)
{
	size_t i;
	unsigned c;

	for (c = 0; c < m->nclasses; c++) {
		const float *ll = m->loglik + ((size_t)c << m->bits);
		double s = m->logprior[c];
		for (i = 0; i < n; i++)
			s += ll[f[i]];
		z[c] = s / (double)(n + 1);
	}
}

void
nb_softmax(const double *z, unsigned n, double beta, double *p)
{
	double mx = -INFINITY, sum = 0;
	unsigned c;

	for (c = 0; c < n; c++)
		if (z[c] > mx)
			mx = z[c];
	for (c = 0; c < n; c++) {
		p[c] = exp(beta * (z[c] - mx));
		sum += p[c];
	}
	for (c = 0; c < n; c++)
		p[c] = sum > 0 ? p[c] / sum : 1.0 / n;
}

/* The cross-entropy of softmax(beta z) against targets smoothed as
 * Platt does: the true class gets 1 - eps, the others share eps, with
 * eps = 1 / (k + 2).  Without it a separable held-out set drives beta
 * to infinity, and k examples never justify more certainty than that. */
static double
nll(const double *z, const int *y, size_t k, unsigned nc, double beta)
{
	double total = 0, eps = 1.0 / ((double)k + 2.0);
	size_t i;
	unsigned c;

	for (i = 0; i < k; i++) {
		const double *zi = z + i * nc;
		double mx = -INFINITY, sum = 0, rest = 0;
		for (c = 0; c < nc; c++)
			if (zi[c] > mx)
				mx = zi[c];
		for (c = 0; c < nc; c++) {
			sum += exp(beta * (zi[c] - mx));
			if ((int)c != y[i])
				rest += zi[c] - mx;
		}
		total += log(sum > 0 ? sum : 1) - beta * ((1 - eps) * (zi[y[i]] - mx) + eps * rest / (nc - 1));
	}
	return total;
}

double
nb_fit_beta(const double *z, const int *y, size_t k, unsigned nclasses)
{
	double best = 1.0, bestv = INFINITY, lo, hi;
	int i;

	if (k == 0 || nclasses < 2)
		return 1.0;
	/* the NLL is convex in beta: a coarse log grid, then golden section */
	for (i = -20; i <= 60; i++) {
		double b = pow(10.0, i / 10.0), v = nll(z, y, k, nclasses, b);
		if (v < bestv) {
			bestv = v;
			best = b;
		}
	}
	lo = best / pow(10.0, 0.1);
	hi = best * pow(10.0, 0.1);
	for (i = 0; i < 40; i++) {
		double a = hi - (hi - lo) * 0.618033988749895, b = lo + (hi - lo) * 0.618033988749895;
		if (nll(z, y, k, nclasses, a) < nll(z, y, k, nclasses, b))
			hi = b;
		else
			lo = a;
	}
	best = (lo + hi) / 2;
	if (!(best > 0) || best > 1e6)
		best = 1.0;
	return best;
}

/* ---- the file -------------------------------------------------------------- */

struct wbuf {
	unsigned char *p;
	size_t len, cap;
	int oom;
};

static void
w_bytes(struct wbuf *w, const void *data, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		void *p;
		while (cap < w->len + n)
			cap *= 2;
		p = realloc(w->p, cap);
		if (!p) {
			w->oom = 1;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, data, n);
	w->len += n;
}

static void
w_u(struct wbuf *w, uint64_t v, unsigned bytes)
{
	unsigned char b[8];
	unsigned i;

	for (i = 0; i < bytes; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	w_bytes(w, b, bytes);
}

static void
w_f64(struct wbuf *w, double d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	w_u(w, v, 8);
}

static uint64_t
fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

int
nb_write(const struct nb_model *m, unsigned char **out, size_t *len)
{
	struct wbuf w = {0};
	size_t B = (size_t)1 << m->bits, b;
	unsigned c;

	*out = NULL;
	*len = 0;
	if (!m->counts)
		return -1;
	w_bytes(&w, NB_MAGIC, 8);
	w_u(&w, NB_VERSION, 4);
	w_u(&w, NB_NORM, 4);
	w_u(&w, m->n_min, 4);
	w_u(&w, m->n_max, 4);
	w_u(&w, m->bits, 4);
	w_u(&w, m->max_chars, 4);
	w_u(&w, m->nclasses, 4);
	w_f64(&w, m->alpha);
	w_f64(&w, m->beta);
	w_u(&w, m->ndocs, 8);
	w_u(&w, (uint64_t)m->trained_us, 8);
	w_u(&w, strlen(m->catalogue), 2);
	w_bytes(&w, m->catalogue, strlen(m->catalogue));
	for (c = 0; c < m->nclasses; c++) {
		const uint32_t *row = m->counts + (size_t)c * B;
		uint32_t nnz = 0;
		for (b = 0; b < B; b++)
			nnz += row[b] != 0;
		w_u(&w, strlen(m->classes[c].code), 2);
		w_bytes(&w, m->classes[c].code, strlen(m->classes[c].code));
		w_u(&w, m->classes[c].docs, 8);
		w_u(&w, m->classes[c].total, 8);
		w_u(&w, nnz, 4);
		for (b = 0; b < B; b++)
			if (row[b]) {
				w_u(&w, b, 4);
				w_u(&w, row[b], 4);
			}
	}
	if (w.oom) {
		free(w.p);
		return -1;
	}
	w_u(&w, fnv(w.p, w.len), 8);
	if (w.oom) {
		free(w.p);
		return -1;
	}
	*out = w.p;
	*len = w.len;
	return 0;
}

struct rbuf {
	const unsigned char *p;
	size_t len, at;
	char *err;
	size_t errcap;
	int bad;
};

static void r_fail(struct rbuf *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
r_fail(struct rbuf *r, const char *fmt, ...)
{
	va_list ap;

	if (r->bad)
		return;
	r->bad = 1;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errcap, fmt, ap);
	va_end(ap);
}

static uint64_t
r_u(struct rbuf *r, unsigned bytes, const char *what)
{
	uint64_t v = 0;
	unsigned i;

	if (r->bad)
		return 0;
	if (r->len - r->at < bytes) {
		r_fail(r, "truncated at byte %zu (reading %s)", r->at, what);
		return 0;
	}
	for (i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[r->at + i] << (8 * i);
	r->at += bytes;
	return v;
}

static double
r_f64(struct rbuf *r, const char *what)
{
	uint64_t v = r_u(r, 8, what);
	double d;

	memcpy(&d, &v, 8);
	return d;
}

/* A length-prefixed string into out (at most NB_CODE_MAX bytes). */
static void
r_str(struct rbuf *r, char *out, size_t min, const char *what)
{
	uint64_t n = r_u(r, 2, what);

	out[0] = '\0';
	if (r->bad)
		return;
	if (n < min || n > NB_CODE_MAX) {
		r_fail(r, "%s has length %llu (allowed %zu..%d)", what, (unsigned long long)n, min, NB_CODE_MAX);
		return;
	}
	if (r->len - r->at < n) {
		r_fail(r, "truncated at byte %zu (reading %s)", r->at, what);
		return;
	}
	memcpy(out, r->p + r->at, (size_t)n);
	out[n] = '\0';
	r->at += (size_t)n;
}

int
nb_read(const unsigned char *data, size_t len, struct nb_model *m, int keep_counts, char *err, size_t errcap)
{
	struct rbuf r = {data, len, 0, err, errcap, 0};
	unsigned version, norm, n_min, n_max, bits, max_chars, nclasses, c;
	double alpha, beta;
	uint64_t ndocs, sumdocs = 0;
	int64_t trained;
	size_t B;

	memset(m, 0, sizeof(*m));
	if (errcap)
		err[0] = '\0';
	if (len > NB_FILE_MAX) {
		r_fail(&r, "the file has %zu bytes (at most %zu)", len, NB_FILE_MAX);
		goto fail;
	}
	if (len < 8 + 8 || memcmp(data, NB_MAGIC, 8) != 0) {
		r_fail(&r, "not a model file (bad magic)");
		goto fail;
	}
	r.at = len - 8;
	if (fnv(data, len - 8) != r_u(&r, 8, "checksum")) {
		r_fail(&r, "checksum mismatch (the file is damaged)");
		goto fail;
	}
	r.len = len - 8; /* the checksum is not content */
	r.at = 8;
	version = (unsigned)r_u(&r, 4, "version");
	norm = (unsigned)r_u(&r, 4, "normalisation");
	n_min = (unsigned)r_u(&r, 4, "n-gram minimum");
	n_max = (unsigned)r_u(&r, 4, "n-gram maximum");
	bits = (unsigned)r_u(&r, 4, "bucket bits");
	max_chars = (unsigned)r_u(&r, 4, "maximum characters");
	nclasses = (unsigned)r_u(&r, 4, "class count");
	alpha = r_f64(&r, "alpha");
	beta = r_f64(&r, "beta");
	ndocs = r_u(&r, 8, "document count");
	trained = (int64_t)r_u(&r, 8, "training time");
	if (r.bad)
		goto fail;
	if (version != NB_VERSION) {
		r_fail(&r, "format version %u (this plugin reads %d)", version, NB_VERSION);
		goto fail;
	}
	if (norm != NB_NORM) {
		r_fail(&r, "normalisation scheme %u (this plugin has %d)", norm, NB_NORM);
		goto fail;
	}
	if (nb_init(m, n_min, n_max, bits, max_chars, alpha) < 0) {
		r_fail(&r, "bad parameters (n-grams %u..%u, %u bucket bits, %u characters, alpha %g)", n_min, n_max,
		       bits, max_chars, alpha);
		goto fail;
	}
	if (!(beta > 0 && beta <= 1e6)) {
		r_fail(&r, "bad temperature scale %g", beta);
		goto fail;
	}
	B = (size_t)1 << bits;
	if (nclasses < 1 || nclasses > NB_MAX_CLASSES || (uint64_t)nclasses * B > NB_MAX_CELLS) {
		r_fail(&r, "%u classes of 2^%u buckets (too many)", nclasses, bits);
		goto fail;
	}
	/* every class needs at least 25 bytes: a lie is caught before allocating */
	if ((uint64_t)nclasses * 25 > r.len - r.at) {
		r_fail(&r, "%u classes cannot fit in %zu bytes", nclasses, r.len);
		goto fail;
	}
	m->beta = beta;
	m->ndocs = ndocs;
	m->trained_us = trained;
	r_str(&r, m->catalogue, 0, "catalogue name");
	if (!r.bad && m->catalogue[0] && !nb_code_ok(m->catalogue)) {
		r_fail(&r, "bad catalogue name");
		goto fail;
	}
	m->classes = calloc(nclasses, sizeof(*m->classes));
	m->counts = calloc((size_t)nclasses * B, sizeof(*m->counts));
	if (!m->classes || !m->counts) {
		r_fail(&r, "out of memory");
		goto fail;
	}
	m->nclasses = nclasses;
	for (c = 0; c < nclasses && !r.bad; c++) {
		struct nb_class *k = &m->classes[c];
		uint32_t *row = m->counts + (size_t)c * B;
		uint64_t nnz, i, sum = 0;
		int64_t last = -1;
		unsigned d;
		r_str(&r, k->code, 1, "class code");
		k->docs = r_u(&r, 8, "class documents");
		k->total = r_u(&r, 8, "class total");
		nnz = r_u(&r, 4, "class entries");
		if (r.bad)
			break;
		if (!nb_code_ok(k->code)) {
			r_fail(&r, "class %u: bad code", c);
			break;
		}
		for (d = 0; d < c; d++)
			if (strcmp(m->classes[d].code, k->code) == 0) {
				r_fail(&r, "class %s appears twice", k->code);
				break;
			}
		if (nnz > B || nnz * 8 > r.len - r.at) {
			r_fail(&r, "class %s: %llu entries do not fit", k->code, (unsigned long long)nnz);
			break;
		}
		if (k->docs > ndocs || (sumdocs += k->docs) > ndocs) {
			r_fail(&r, "class %s: more documents than the model", k->code);
			break;
		}
		for (i = 0; i < nnz && !r.bad; i++) {
			uint64_t b = r_u(&r, 4, "bucket"), n = r_u(&r, 4, "count");
			if ((int64_t)b <= last || b >= B || n == 0) {
				r_fail(&r, "class %s: bad entry %llu (bucket %llu, count %llu)", k->code,
				       (unsigned long long)i, (unsigned long long)b, (unsigned long long)n);
				break;
			}
			last = (int64_t)b;
			row[b] = (uint32_t)n;
			sum += n;
		}
		if (!r.bad && sum != k->total)
			r_fail(&r, "class %s: counts sum to %llu, the header says %llu", k->code,
			       (unsigned long long)sum, (unsigned long long)k->total);
	}
	if (r.bad)
		goto fail;
	if (sumdocs != ndocs) {
		r_fail(&r, "the classes hold %llu documents, the header says %llu", (unsigned long long)sumdocs,
		       (unsigned long long)ndocs);
		goto fail;
	}
	if (r.at != r.len) {
		r_fail(&r, "%zu bytes of garbage after the last class", r.len - r.at);
		goto fail;
	}
	if (nb_prepare(m, keep_counts) < 0) {
		r_fail(&r, "out of memory");
		goto fail;
	}
	return 0;
fail:
	nb_free(m);
	return -1;
}
