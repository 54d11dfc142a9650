/*
 * plugins/ocfl/ocfl.h -- shared by the OCFL export (ocfl.c), the
 * validator (verify.c) and the digests (digest.c); private to the
 * plugin (and to its fuzz harness, which compiles the sources in).
 */
#ifndef DG_OCFL_H
#define DG_OCFL_H

#include <dangan/plugin.h>

#include <stddef.h>
#include <stdint.h>

#define OCFL_BLOCK ((size_t)64 * 1024) /* read and copy chunk */
#define OCFL_HEX_MAX 129               /* longest hex digest (sha512, blake2b-512) + NUL */
#define OCFL_SPEC_TYPE_1_0 "https://ocfl.io/1.0/spec/#inventory"
#define OCFL_SPEC_TYPE_1_1 "https://ocfl.io/1.1/spec/#inventory"
#define OCFL_LAYOUT_0004 "0004-hashed-n-tuple-storage-layout"

/* The digest algorithms an inventory may name: the specification's
 * table and the community extension 0009's.  Those marked unsupported
 * are known names whose values are not checked (the spec's E028). */
enum ocfl_alg {
	OCFL_MD5 = 0,
	OCFL_SHA1,
	OCFL_SHA256,
	OCFL_SHA512,
	OCFL_BLAKE2B_512,
	OCFL_SHA512_256,
	OCFL_SIZE,
	OCFL_BLAKE2B_160,
	OCFL_BLAKE2B_256,
	OCFL_BLAKE2B_384,
	OCFL_ALG_N
};

/* The index of an algorithm name, or -1 for a name in neither table. */
int ocfl_alg_find(const char *name);
const char *ocfl_alg_name(int alg);
/* Can the values of this algorithm be computed here? */
int ocfl_alg_supported(int alg);
/* Is text a well-formed digest value of this algorithm (hex of the
 * right length in either case; decimal for "size")? */
int ocfl_alg_valid_value(int alg, const char *text);

/* Several digests of one stream at once (one read of each file). */
struct ocfl_digest {
	void *md[OCFL_ALG_N]; /* EVP_MD_CTX *, NULL when not wanted */
	unsigned mask;        /* 1u << alg for each wanted algorithm */
	uint64_t size;
};

/* Start the digests of mask (unsupported algorithms are skipped);
 * 0, or -1 when OpenSSL cannot provide one. */
int ocfl_digest_begin(struct ocfl_digest *d, unsigned mask);
int ocfl_digest_update(struct ocfl_digest *d, const void *buf, size_t len);
/* Lower-case hex (decimal for size) of each wanted algorithm into
 * out[alg]; frees the contexts.  0 or -1. */
int ocfl_digest_end(struct ocfl_digest *d, char out[OCFL_ALG_N][OCFL_HEX_MAX]);
void ocfl_digest_release(struct ocfl_digest *d);
/* One digest of a buffer. */
int ocfl_digest_mem(int alg, const void *buf, size_t len, char out[OCFL_HEX_MAX]);

/* A subdirectory of dfd, never through a symbolic link; -1 (errno). */
int ocfl_open_dir(int dfd, const char *name);
/* Read a whole regular file of dfd (never through a symbolic link) of
 * at most max bytes, NUL-terminated, into *buf (malloc'd).  0; 1 when
 * it does not exist; -1 unreadable (errno), -2 too large, -3 not a
 * regular file. */
int ocfl_read_file(int dfd, const char *name, int64_t max, char **buf, size_t *len);

/* Validate an OCFL storage root or object root and report every
 * finding through host->finding().  max_inventory bounds every JSON
 * file read.  Returns DG_OK (valid), DG_WARN (valid with warnings) or
 * DG_FAILED (invalid, or could not be checked). */
int ocfl_verify(struct dg_ctx *ctx, const struct dg_host *host, int64_t max_inventory, const char *path);

/* Import (`dangan import`): does the locator look like an OCFL storage
 * root or object root (0..100)?  scan() emits the documents of every
 * object it holds. */
int ocfl_bid_locator(const char *locator);
int ocfl_scan(struct dg_ctx *ctx, const struct dg_host *host, int64_t max_inventory, const char *locator);

#endif
