/*
 * model.h -- the learned classifier's model: a multinomial naive Bayes
 * over hashed character n-grams of normalised text, its training
 * counts, scoring with a fitted temperature, and its file format.
 *
 * Normalisation (scheme 1): UTF-8 decoded (invalid bytes dropped);
 * full-width ASCII U+FF01..U+FF5E becomes ASCII; every white space
 * (ASCII, U+00A0, U+1680, U+2000..U+200B, U+2028/9, U+202F, U+205F,
 * U+3000, U+FEFF) and every control character is removed; ASCII
 * letters are lowered; ASCII digits all become '0' (dates, amounts and
 * account numbers say little about a document's type); at most
 * max_chars characters are kept.  Features: every n-gram of n_min..n_max
 * code points, hashed (FNV-1a, 64 bits) into 2^bits buckets.
 *
 * File (all integers little-endian; validated strictly when read):
 *   magic "DGNBMODL", u32 version (1), u32 norm (1),
 *   u32 n_min, u32 n_max (1 <= n_min <= n_max <= 8), u32 bits (8..24),
 *   u32 max_chars (1..2^24), u32 nclasses (1..1024),
 *   f64 alpha (0 < alpha <= 100), f64 beta (0 < beta <= 1e6),
 *   u64 ndocs, i64 trained_us, u16 catalogue length (0..64) + bytes,
 *   per class: u16 code length (1..64) + code ([A-Za-z0-9][A-Za-z0-9_.-]*),
 *              u64 docs, u64 total, u32 nnz (<= 2^bits),
 *              nnz x (u32 bucket, u32 count): buckets strictly increasing
 *              and < 2^bits, counts >= 1, summing to total;
 *   u64 FNV-1a of every byte before it.
 * Nothing may follow.  Class codes are distinct; ndocs is their docs
 * summed.
 */
#ifndef DG_LEARNED_MODEL_H
#define DG_LEARNED_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define NB_MAGIC "DGNBMODL"
#define NB_VERSION 1
#define NB_NORM 1
#define NB_MAX_N 8
#define NB_MIN_BITS 8
#define NB_MAX_BITS 24
#define NB_MAX_CLASSES 1024
#define NB_CODE_MAX 64
#define NB_MAX_CHARS (1u << 24)
#define NB_FILE_MAX ((size_t)1 << 30)
/* counts kept dense in memory: at most this many cells (C x 2^bits) */
#define NB_MAX_CELLS ((uint64_t)1 << 26)

struct nb_class {
	char code[NB_CODE_MAX + 1];
	uint64_t docs;
	uint64_t total;
};

struct nb_model {
	unsigned n_min, n_max, bits, max_chars;
	unsigned nclasses;
	double alpha, beta;
	uint64_t ndocs;
	int64_t trained_us;
	char catalogue[NB_CODE_MAX + 1];
	struct nb_class *classes;
	uint32_t *counts; /* nclasses x 2^bits (training; dropped by nb_prepare) */
	float *loglik;    /* nclasses x 2^bits: log P(bucket | class) */
	double *logprior; /* nclasses */
};

/* A model with no class yet (training); 0 or -1 (bad parameters / memory). */
int nb_init(struct nb_model *m, unsigned n_min, unsigned n_max, unsigned bits, unsigned max_chars, double alpha);
void nb_free(struct nb_model *m);
/* The class with that code, added when missing (training); -1 if full. */
int nb_class_index(struct nb_model *m, const char *code, int add);
/* Is code usable as a class code? */
int nb_code_ok(const char *code);

/* The features of a text: bucket numbers (with repeats) into *out
 * (allocated; freed by the caller).  Returns their count, or -1. */
long nb_features(const struct nb_model *m, const char *text, size_t len, uint32_t **out);

/* Training: add one document's features to class c / remove them. */
void nb_add(struct nb_model *m, int c, const uint32_t *f, size_t n);
/* Clear all counts (a new fold). */
void nb_clear(struct nb_model *m);
/* Compute the log tables from the counts (counts kept when keep). */
int nb_prepare(struct nb_model *m, int keep_counts);
/* Per-class raw scores z (nclasses doubles): (log prior + sum of the
 * features' log-likelihoods) / number of features.  Needs nb_prepare. */
void nb_raw(const struct nb_model *m, const uint32_t *f, size_t n, double *z);
/* Probabilities from raw scores with scale beta (softmax(beta z)). */
void nb_softmax(const double *z, unsigned n, double beta, double *p);
/* The beta that minimises the negative log-likelihood of the true
 * classes y over k score vectors z (k x nclasses). */
double nb_fit_beta(const double *z, const int *y, size_t k, unsigned nclasses);

/* Serialise a trained model (with counts) into a new buffer. */
int nb_write(const struct nb_model *m, unsigned char **out, size_t *len);
/* Read and check a model; 0, or -1 with err telling what is wrong.
 * The result is prepared for scoring (no counts kept unless keep). */
int nb_read(const unsigned char *data, size_t len, struct nb_model *m, int keep_counts, char *err, size_t errcap);

#endif
