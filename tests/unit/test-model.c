/* test-model.c -- the learned classifier's model (plugins/learned/model.c):
 * normalisation and features, training and scoring, calibration, and
 * the file reader against round trips, every truncation, garbage and
 * each structural lie (with the checksum made right, so that the
 * structure itself is what is refused). */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../plugins/learned/model.h"
#include "tap.h"

static const char *texts[3][3] = {
    {"供用电合同 供电人 用电人 合同容量 315kVA", "供用电合同 用电人按期交纳电费 合同编号",
     "本合同 供电人 用电人 签订日期"},
    {"电费缴费通知单 应交电费 元 请按时缴纳", "缴费通知 本月电费 逾期 违约金", "通知单 应交电费 缴纳 营业厅"},
    {"用电申请书 申请人 申请容量 新装", "申请事项 增容 申请人 联系电话", "用电申请 申请日期 受理人 申请人"}};
static const char *codes[3] = {"CONTRACT", "NOTICE", "APP"};

static void
add_text(struct nb_model *m, int c, const char *t)
{
	uint32_t *f = NULL;
	long n = nb_features(m, t, strlen(t), &f);

	if (n > 0)
		nb_add(m, c, f, (size_t)n);
	free(f);
}

static int
top(const struct nb_model *m, const char *t, double *prob)
{
	uint32_t *f = NULL;
	long n = nb_features(m, t, strlen(t), &f);
	double z[8], p[8];
	unsigned c, best = 0;

	if (n <= 0 || m->nclasses > 8) {
		free(f);
		return -1;
	}
	nb_raw(m, f, (size_t)n, z);
	nb_softmax(z, m->nclasses, m->beta, p);
	for (c = 1; c < m->nclasses; c++)
		if (p[c] > p[best])
			best = c;
	if (prob)
		*prob = p[best];
	free(f);
	return (int)best;
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

/* Make the trailing checksum right again after an edit. */
static void
reseal(unsigned char *d, size_t len)
{
	uint64_t h = fnv(d, len - 8);
	int i;

	for (i = 0; i < 8; i++)
		d[len - 8 + i] = (unsigned char)(h >> (8 * i));
}

static void
put_u32(unsigned char *d, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		d[i] = (unsigned char)(v >> (8 * i));
}

/* read a patched copy: expect a refusal whose message has want */
static void
refused(const unsigned char *data, size_t len, size_t at, const void *patch, size_t plen, int seal, const char *want,
        const char *what)
{
	unsigned char *d = malloc(len);
	struct nb_model m;
	char err[256];
	int r;

	memcpy(d, data, len);
	if (patch)
		memcpy(d + at, patch, plen);
	if (seal)
		reseal(d, len);
	r = nb_read(d, len, &m, 0, err, sizeof(err));
	ok(r < 0 && strstr(err, want) != NULL, "refused: %s", what);
	if (r == 0 || !strstr(err, want))
		diag("got: %s", r == 0 ? "(accepted)" : err);
	if (r == 0)
		nb_free(&m);
	free(d);
}

int
main(void)
{
	struct nb_model m, back;
	unsigned char *data = NULL;
	size_t len = 0, cut, bad = 0, i;
	char err[256] = "";
	uint32_t *f1 = NULL, *f2 = NULL;
	long n1, n2;
	int c, k, right = 0;
	double prob = 0;

	/* normalisation: full width, case, digits and white space */
	ok(nb_init(&m, 1, 3, 10, 1000, 0.1) == 0, "a model with 1..3-grams over 2^10 buckets");
	n1 = nb_features(&m, "ＡＢｃ　１２ 户 号", strlen("ＡＢｃ　１２ 户 号"), &f1);
	n2 = nb_features(&m, "abc99户号", strlen("abc99户号"), &f2);
	ok(n1 > 0 && n1 == n2 && memcmp(f1, f2, (size_t)n1 * sizeof(*f1)) == 0,
	   "full-width, case, digits and white space are normalised away (%ld features)", n1);
	free(f1);
	free(f2);
	n1 = nb_features(&m, "\xff\xfe\x80 \t\n", 6, &f1);
	is_int(n1, 0, "invalid UTF-8 and white space give no feature");
	free(f1);
	n1 = nb_features(&m, "abcd", 4, &f1);
	is_int(n1, 4 + 3 + 2, "abcd: 4 unigrams, 3 bigrams, 2 trigrams");
	free(f1);
	ok(nb_init(&back, 2, 1, 10, 10, 0.1) < 0 && nb_init(&back, 1, 9, 10, 10, 0.1) < 0 &&
	       nb_init(&back, 1, 3, 30, 10, 0.1) < 0 && nb_init(&back, 1, 3, 10, 10, 0) < 0,
	   "bad parameters are refused");
	ok(nb_code_ok("CONTRACT") && nb_code_ok("form") && nb_code_ok("A-1_b.2") && !nb_code_ok("") &&
	       !nb_code_ok("-A") && !nb_code_ok("A B") && !nb_code_ok("A:1"),
	   "class codes: letters, digits, _ - . after the first");

	/* training and scoring */
	for (c = 0; c < 3; c++)
		is_int(nb_class_index(&m, codes[c], 1), c, "class %s", codes[c]);
	is_int(nb_class_index(&m, "NOTICE", 1), 1, "a class is added once");
	for (c = 0; c < 3; c++)
		for (k = 0; k < 3; k++)
			add_text(&m, c, texts[c][k]);
	is_int(m.ndocs, 9, "nine documents counted");
	ok(nb_prepare(&m, 1) == 0, "prepared");
	for (c = 0; c < 3; c++)
		for (k = 0; k < 3; k++)
			right += top(&m, texts[c][k], NULL) == c;
	is_int(right, 9, "the training texts come back as their types");
	{
		/* calibration: a fitted scale is finite and positive */
		double z[9 * 3];
		int y[9];
		for (c = 0; c < 3; c++)
			for (k = 0; k < 3; k++) {
				uint32_t *f = NULL;
				long n = nb_features(&m, texts[c][k], strlen(texts[c][k]), &f);
				nb_raw(&m, f, (size_t)n, z + (c * 3 + k) * 3);
				y[c * 3 + k] = c;
				free(f);
			}
		m.beta = nb_fit_beta(z, y, 9, 3);
		ok(m.beta > 0 && m.beta < 1e6 && isfinite(m.beta), "the probability scale is fitted (%g)", m.beta);
	}
	is_int(top(&m, "供用电合同 用电人 供电人", &prob), 0, "a new contract is a contract");
	ok(prob > 1.0 / 3 && prob < 0.999, "with a calibrated probability below certainty (%.3f)", prob);
	snprintf(m.catalogue, sizeof(m.catalogue), "power-supply");
	m.trained_us = 1700000000000000LL;

	/* the file */
	/* (the call first: the order in which ok()'s arguments are
	 * evaluated is unspecified, and the message prints its results) */
	k = nb_write(&m, &data, &len);
	ok(k == 0 && len > 100, "written (%zu bytes)", len);
	k = nb_read(data, len, &back, 0, err, sizeof(err));
	ok(k == 0, "read back: %s", err[0] ? err : "ok");
	ok(back.nclasses == 3 && back.n_min == 1 && back.n_max == 3 && back.bits == 10 && back.beta == m.beta &&
	       back.ndocs == 9 && strcmp(back.classes[1].code, "NOTICE") == 0 &&
	       strcmp(back.catalogue, "power-supply") == 0 && back.trained_us == m.trained_us && !back.counts,
	   "with its parameters, classes and catalogue");
	{
		double p2 = 0;
		is_int(top(&back, "供用电合同 用电人 供电人", &p2), 0, "and scores as before");
		ok(fabs(p2 - prob) < 1e-6, "to the same probability");
	}
	nb_free(&back);

	/* every truncation is refused */
	for (cut = 0; cut < len; cut++) {
		if (nb_read(data, cut, &back, 0, err, sizeof(err)) == 0) {
			nb_free(&back);
			bad++;
		} else if (!err[0]) {
			bad++;
		}
	}
	is_int(bad, 0, "each of the %zu truncations is refused with a reason", len);
	/* one flipped bit anywhere is refused */
	for (i = bad = 0; i < len; i++) {
		data[i] ^= 0x10;
		if (nb_read(data, len, &back, 0, err, sizeof(err)) == 0) {
			nb_free(&back);
			bad++;
		}
		data[i] ^= 0x10;
	}
	is_int(bad, 0, "a flipped bit anywhere is refused");
	{
		/* garbage */
		unsigned char g[4096];
		uint32_t x = 12345;
		for (i = 0; i < sizeof(g); i++) {
			x = x * 1103515245u + 12345u;
			g[i] = (unsigned char)(x >> 16);
		}
		refused(g, sizeof(g), 0, NULL, 0, 0, "bad magic", "random bytes");
		memcpy(g, NB_MAGIC, 8);
		refused(g, sizeof(g), 0, NULL, 0, 1, "", "random bytes behind the magic, checksum right");
		refused(g, 10, 0, NULL, 0, 0, "bad magic", "a 10-byte file");
	}
	/* structural lies, checksum made right (offsets from model.h) */
	{
		unsigned char v[4], extra[16];
		unsigned char *longer;
		put_u32(v, 2);
		refused(data, len, 8, v, 4, 1, "format version 2", "another version");
		put_u32(v, 7);
		refused(data, len, 12, v, 4, 1, "normalisation scheme", "another normalisation");
		put_u32(v, 9);
		refused(data, len, 20, v, 4, 1, "bad parameters", "9-grams");
		put_u32(v, 40);
		refused(data, len, 24, v, 4, 1, "bad parameters", "2^40 buckets");
		put_u32(v, 1000);
		refused(data, len, 32, v, 4, 1, "cannot fit", "1000 classes in a small file");
		put_u32(v, 0);
		refused(data, len, 32, v, 4, 1, "classes", "no class");
		put_u32(v, 2);
		refused(data, len, 32, v, 4, 1, "the header says", "fewer classes than written");
		put_u32(v, 4);
		refused(data, len, 32, v, 4, 1, "truncated", "more classes than written");
		{
			double nan = NAN, neg = -1;
			refused(data, len, 36, &neg, 8, 1, "bad parameters", "a negative alpha");
			refused(data, len, 44, &nan, 8, 1, "temperature", "a NaN scale");
		}
		/* the first class code "CONTRACT" sits after the catalogue */
		{
			size_t at = 8 + 4 * 7 + 8 * 2 + 8 * 2 + 2 + strlen("power-supply") + 2;
			refused(data, len, at, "CON RACT", 8, 1, "bad code", "a code with a space");
			refused(data, len, at + 8, "\xff\xff\xff\xff\xff\xff\xff\xff", 8, 1, "more documents",
			        "a class with more documents than the model");
			refused(data, len, at + 16, "\x01\x00\x00\x00\x00\x00\x00\x00", 8, 1, "sum to",
			        "a class total that the counts do not add up to");
			/* first entry's bucket beyond 2^bits */
			put_u32(v, 1u << 20);
			refused(data, len, at + 28, v, 4, 1, "bad entry", "a bucket out of range");
			put_u32(v, 0);
			refused(data, len, at + 32, v, 4, 1, "bad entry", "a zero count");
		}
		longer = malloc(len + sizeof(extra));
		memcpy(longer, data, len - 8);
		memset(longer + len - 8, 0, sizeof(extra));
		refused(longer, len + sizeof(extra), 0, NULL, 0, 1, "garbage after", "bytes after the last class");
		free(longer);
	}
	free(data);
	nb_free(&m);
	return done_testing();
}
