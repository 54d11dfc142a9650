/*
 * plugins/bagit/bagit.h -- internals shared by the BagIt exporter
 * (bagit.c) and the bag verifier (verify.c): checksum algorithms
 * computed together in one pass, manifest path encoding, a tag-file
 * line reader that converts the declared character encoding, and a
 * path-keyed table.  Nothing here is exported from the module.
 */
#ifndef DG_BAGIT_H
#define DG_BAGIT_H

#include <dangan/plugin.h>

#include <iconv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BG_CHUNK ((size_t)64 * 1024)    /* read and write block */
#define BG_LINE_MAX ((size_t)64 * 1024) /* longest tag-file line accepted */
#define BG_PATH_MAX ((size_t)4096)      /* longest path inside a bag */
#define BG_DIGEST_MAX 64                /* bytes of the longest digest (SHA-512) */
#define BG_MANIFESTS_MAX 16             /* payload + tag manifests in one bag */

/* Checksum algorithms known by name (RFC 8493 section 2.4 names). */
enum bg_alg { BG_MD5 = 0, BG_SHA1, BG_SHA224, BG_SHA256, BG_SHA384, BG_SHA512, BG_ALG_N };

struct bg_alg_info {
	const char *name; /* as in manifest-NAME.txt */
	size_t len;       /* digest bytes */
	bool strong;      /* not MD5/SHA-1 */
};
extern const struct bg_alg_info bg_algs[BG_ALG_N];

/* The algorithm called name[0..len), or -1. */
int bg_alg_find(const char *name, size_t len);

/* Several digests of one byte stream at once (bit i of mask: bg_algs[i]).
 * Past BG_HASH_THREADED bytes, every algorithm but the fastest goes on
 * in a thread of its own, fed copies of the bytes through a few slots:
 * SHA-512 and SHA-256 of a large file take the time of SHA-512 alone. */
#define BG_HASH_THREADED ((int64_t)256 << 10)
struct mdthread;
struct bg_hash {
	void *md[BG_ALG_N]; /* EVP_MD_CTX * */
	unsigned mask;
	int64_t size;
	struct mdthread *worker; /* NULL: every digest in the caller */
	unsigned wmask;          /* the algorithms the thread computes */
};
int bg_hash_init(struct bg_hash *h, unsigned mask);
int bg_hash_update(struct bg_hash *h, const void *buf, size_t len);
/* out[i] receives bg_algs[i].len bytes for every i in the mask. */
int bg_hash_final(struct bg_hash *h, unsigned char out[BG_ALG_N][BG_DIGEST_MAX]);
void bg_hash_release(struct bg_hash *h);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void bg_hex(const unsigned char *d, size_t n, char *out);
/* Parse 2n hex digits (either case) into n bytes; 0 or -1. */
int bg_unhex(const char *s, size_t slen, unsigned char *out, size_t n);

/* A manifest or fetch.txt path as RFC 8493 section 2.1.3 writes it:
 * CR, LF and '%' percent-encoded.  Heap string, NULL if out of memory. */
char *bg_path_encode(const char *path);
/* Decode %0A, %0D and %25 (either case) in s[0..*len) in place, and
 * only those; *other counts '%' not starting one of them. */
void bg_path_decode(char *s, size_t *len, size_t *other);

/*
 * Lines of a tag file in its declared character encoding, converted to
 * UTF-8 as they are read (constant memory).  A line ends at LF, CR or
 * CRLF; the last one may lack it.
 */
struct bg_lines {
	int fd;
	iconv_t cd; /* (iconv_t)-1: bytes pass through (UTF-8) */
	char in[BG_CHUNK];
	size_t in_len;
	char out[BG_CHUNK];
	size_t out_pos, out_len;
	char *line;
	size_t line_len;
	bool eof, pending_cr;
	bool bom;        /* a UTF-8 byte-order mark was skipped */
	int64_t lineno;  /* of the line last returned */
	const char *err; /* why bg_lines_next() failed */
};
/* Read fd (taken over: closed by bg_lines_close) in encoding; -1 if
 * the encoding is unknown (fd left open). */
int bg_lines_open(struct bg_lines *l, int fd, const char *encoding);
/* 1: a line (NUL-terminated, without its end), 0: end, -1: l->err. */
int bg_lines_next(struct bg_lines *l, const char **line, size_t *len);
void bg_lines_close(struct bg_lines *l);

/* Is the encoding name UTF-8 (any spelling)? */
bool bg_is_utf8(const char *encoding);

/* Limits of one verification. */
struct bg_limits {
	int64_t max_files;     /* files and directories in the bag */
	int64_t max_tag_bytes; /* tag-file bytes unpacked from a serialization */
	/* -1: every algorithm a manifest names.  Else the export's own check
	 * of the bag it has just written: payload files are hashed with this
	 * algorithm alone (the export computed every manifest's digests from
	 * the very bytes it wrote, so one strong digest proves the file). */
	int payload_alg;
};
/* Verify the bag at path (a directory, or a zip/tar serialization),
 * reporting every finding through host->finding().  DG_OK, DG_WARN
 * (warnings only) or DG_FAILED (errors, or it could not be checked). */
int bg_verify(struct dg_ctx *ctx, const struct dg_host *host, const struct bg_limits *lim, const char *path);

/* A hash of a string (FNV-1a), for the tables of paths and names. */
uint64_t bg_str_hash(const char *s);

/* Heap copy of a formatted string, NULL if out of memory. */
char *bg_aprintf(const char *fmt, ...) DG_PRINTF(1, 2);

#endif
