/*
 * util.h -- small pieces every part of libdangan uses: allocation
 * wrappers (with fault injection for tests), bounded growable buffers,
 * error detail, time and hex helpers, a JSON string writer.
 * Internal: not installed.
 */
#ifndef DG_UTIL_H
#define DG_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dangan/plugin.h"

/* Allocation: every allocation of the core goes through these so that
 * tests can make the n-th one fail (dg_alloc_fail_at).  They return
 * NULL on failure like malloc; callers must handle it. */
void *dg_malloc(size_t n);
void *dg_calloc(size_t n, size_t size);
void *dg_realloc(void *p, size_t n);
char *dg_strdup(const char *s);
char *dg_strndup(const char *s, size_t n);
char *dg_asprintf(const char *fmt, ...) DG_PRINTF(1, 2);
/* s with every from replaced by to (allocated); NULL when from does not
 * occur in s, is empty, or memory runs out. */
char *dg_str_replace(const char *s, const char *from, const char *to);
void dg_free(void *p);
/* Make the n-th allocation from now fail (n >= 1); 0 turns it off.
 * Returns how many allocations were made since the last call. */
unsigned long dg_alloc_fail_at(unsigned long n);

/* Error detail carried by handles and passed to calls. */
#define DG_ERR_MAX 1024
struct dg_err {
	int code; /* one of enum dg_status, or 0 */
	char msg[DG_ERR_MAX];
};
void dg_err_set(struct dg_err *err, int code, const char *fmt, ...) DG_PRINTF(3, 4);
void dg_err_clear(struct dg_err *err);

/* A growable byte buffer with a hard limit; always NUL-terminated. */
struct dg_buf {
	char *data;
	size_t len, cap, limit; /* limit 0: DG_BUF_DEFAULT_LIMIT */
	int oom;                /* set once an append failed */
};
#define DG_BUF_DEFAULT_LIMIT ((size_t)256 << 20)
void dg_buf_init(struct dg_buf *b, size_t limit);
void dg_buf_release(struct dg_buf *b);
int dg_buf_add(struct dg_buf *b, const void *data, size_t len);
int dg_buf_adds(struct dg_buf *b, const char *s);
int dg_buf_addf(struct dg_buf *b, const char *fmt, ...) DG_PRINTF(2, 3);
void dg_buf_reset(struct dg_buf *b);
/* Append s as a JSON string literal, quotes included. */
int dg_buf_json_str(struct dg_buf *b, const char *s);

/* Time: ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ" of a time_t into out[21+]. */
void dg_iso8601(int64_t t, char *out, size_t cap);
int64_t dg_now_us(void);

/* Hex of n bytes into out (2n+1). */
void dg_hex(const unsigned char *in, size_t n, char *out);
/* Is s a lowercase hex string of exactly n characters? */
int dg_is_hex(const char *s, size_t n);

/* Parse a decimal integer strictly (whole string); 0 on success. */
int dg_parse_i64(const char *s, int64_t *out);
/* Parse a size with optional K/M/G/T suffix (1024-based). */
int dg_parse_size(const char *s, int64_t *out);
/* Parse a boolean: true/false/yes/no/on/off/1/0. */
int dg_parse_bool(const char *s, int *out);

/* Is the buffer valid UTF-8? */
int dg_utf8_valid(const char *s, size_t len);
/* name (untrusted: a file or archive member name) as text for one
 * terminal line, into out (cap bytes with the NUL): control characters
 * (C0, DEL, C1, bidi) and bytes that are not UTF-8 become '?'; cut at a
 * character's boundary when it does not fit.  out may be name (it
 * never grows). */
void dg_term_label(const char *name, char *out, size_t cap);
/* The same in place for lines of text (s holds len bytes and room for
 * a NUL after them), newlines and tabs kept: the new length. */
size_t dg_term_lines(char *s, size_t len);
/* Cut the UTF-8 string s to at most cols terminal columns (East Asian
 * wide characters and emoji take two), at a character's boundary;
 * nonzero when it was cut. */
int dg_term_fit(char *s, int cols);

/* Path join into a new string. */
char *dg_path_join(const char *a, const char *b);
/* mkdir -p with mode; 0 on success. */
int dg_mkdirs(const char *path, int mode);
/* rm -r of a directory tree we own (no symlink following). */
int dg_rmtree(const char *path);
/* Read a whole small file (at most limit bytes) into *out (NUL-terminated). */
int dg_read_file(const char *path, size_t limit, char **out, size_t *len);
/* Write all of buf, retrying on EINTR and short writes. */
int dg_write_all(int fd, const void *buf, size_t len);
/* Replace path with data atomically: PATH.tmp, (fsync), rename. */
int dg_write_file_atomic(const char *path, const char *data, size_t len, int do_fsync);
/* Human-readable size "1.5 MiB" into out. */
void dg_human_size(double bytes, char *out, size_t cap);

#endif
