/*
 * plugins/ocfl/digest.c -- the digest algorithms of OCFL inventories
 * (the specification's table and the community extension 0009's)
 * through OpenSSL EVP, several at once over one stream.
 */
#include <config.h>

#include "ocfl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

struct ocfl_alg_info {
	const char *name;
	size_t hexlen;             /* 0: decimal (size) */
	const EVP_MD *(*md)(void); /* NULL: not computed here */
};

static const struct ocfl_alg_info ocfl_algs[OCFL_ALG_N] = {
    [OCFL_MD5] = {"md5", 32, EVP_md5},
    [OCFL_SHA1] = {"sha1", 40, EVP_sha1},
    [OCFL_SHA256] = {"sha256", 64, EVP_sha256},
    [OCFL_SHA512] = {"sha512", 128, EVP_sha512},
    [OCFL_BLAKE2B_512] = {"blake2b-512", 128, EVP_blake2b512},
    [OCFL_SHA512_256] = {"sha512/256", 64, EVP_sha512_256},
    [OCFL_SIZE] = {"size", 0, NULL},
    /* BLAKE2b with other output sizes needs OpenSSL 3.2's "size"
     * parameter: known names, not checked */
    [OCFL_BLAKE2B_160] = {"blake2b-160", 40, NULL},
    [OCFL_BLAKE2B_256] = {"blake2b-256", 64, NULL},
    [OCFL_BLAKE2B_384] = {"blake2b-384", 96, NULL},
};

int
ocfl_alg_find(const char *name)
{
	int i;

	if (!name)
		return -1;
	for (i = 0; i < OCFL_ALG_N; i++)
		if (strcmp(ocfl_algs[i].name, name) == 0)
			return i;
	return -1;
}

const char *
ocfl_alg_name(int alg)
{
	return alg >= 0 && alg < OCFL_ALG_N ? ocfl_algs[alg].name : "?";
}

int
ocfl_alg_supported(int alg)
{
	return alg >= 0 && alg < OCFL_ALG_N && (ocfl_algs[alg].md != NULL || alg == OCFL_SIZE);
}

int
ocfl_alg_valid_value(int alg, const char *text)
{
	size_t n;

	if (alg < 0 || alg >= OCFL_ALG_N || !text || !*text)
		return 0;
	n = strlen(text);
	if (alg == OCFL_SIZE) {
		if (n > 20 || (n > 1 && text[0] == '0'))
			return 0;
		return strspn(text, "0123456789") == n;
	}
	return n == ocfl_algs[alg].hexlen && strspn(text, "0123456789abcdefABCDEF") == n;
}

int
ocfl_digest_begin(struct ocfl_digest *d, unsigned mask)
{
	int i;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < OCFL_ALG_N; i++) {
		if (!(mask & (1u << i)) || !ocfl_alg_supported(i))
			continue;
		d->mask |= 1u << i;
		if (!ocfl_algs[i].md)
			continue;
		d->md[i] = EVP_MD_CTX_new();
		if (!d->md[i] || EVP_DigestInit_ex(d->md[i], ocfl_algs[i].md(), NULL) != 1) {
			ocfl_digest_release(d);
			return -1;
		}
	}
	return 0;
}

int
ocfl_digest_update(struct ocfl_digest *d, const void *buf, size_t len)
{
	int i;

	d->size += len;
	for (i = 0; i < OCFL_ALG_N; i++)
		if (d->md[i] && EVP_DigestUpdate(d->md[i], buf, len) != 1)
			return -1;
	return 0;
}

int
ocfl_digest_end(struct ocfl_digest *d, char out[OCFL_ALG_N][OCFL_HEX_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen, k;
	int i, rc = 0;

	for (i = 0; i < OCFL_ALG_N; i++) {
		out[i][0] = '\0';
		if (!(d->mask & (1u << i)))
			continue;
		if (i == OCFL_SIZE) {
			snprintf(out[i], OCFL_HEX_MAX, "%" PRIu64, d->size);
			continue;
		}
		if (!d->md[i] || EVP_DigestFinal_ex(d->md[i], md, &mdlen) != 1 || mdlen * 2 >= OCFL_HEX_MAX) {
			rc = -1;
			continue;
		}
		for (k = 0; k < mdlen; k++) {
			out[i][2 * k] = hex[md[k] >> 4];
			out[i][2 * k + 1] = hex[md[k] & 15];
		}
		out[i][2 * mdlen] = '\0';
	}
	ocfl_digest_release(d);
	return rc;
}

void
ocfl_digest_release(struct ocfl_digest *d)
{
	int i;

	for (i = 0; i < OCFL_ALG_N; i++) {
		EVP_MD_CTX_free(d->md[i]);
		d->md[i] = NULL;
	}
}

int
ocfl_digest_mem(int alg, const void *buf, size_t len, char out[OCFL_HEX_MAX])
{
	struct ocfl_digest d;
	char all[OCFL_ALG_N][OCFL_HEX_MAX];

	if (!ocfl_alg_supported(alg) || ocfl_digest_begin(&d, 1u << alg) < 0)
		return -1;
	if (ocfl_digest_update(&d, buf, len) < 0) {
		ocfl_digest_release(&d);
		return -1;
	}
	if (ocfl_digest_end(&d, all) < 0)
		return -1;
	memcpy(out, all[alg], OCFL_HEX_MAX);
	return 0;
}
