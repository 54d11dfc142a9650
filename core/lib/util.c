/* util.c -- see util.h. */
#include <config.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static atomic_ulong alloc_count;
static atomic_ulong alloc_fail_at;

unsigned long
dg_alloc_fail_at(unsigned long n)
{
	unsigned long made = atomic_exchange(&alloc_count, 0);
	atomic_store(&alloc_fail_at, n);
	return made;
}

static int
alloc_should_fail(void)
{
	unsigned long at = atomic_load(&alloc_fail_at);
	unsigned long c = atomic_fetch_add(&alloc_count, 1) + 1;
	return at != 0 && c == at;
}

void *
dg_malloc(size_t n)
{
	if (alloc_should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *
dg_calloc(size_t n, size_t size)
{
	if (alloc_should_fail())
		return NULL;
	return calloc(n ? n : 1, size ? size : 1);
}

void *
dg_realloc(void *p, size_t n)
{
	if (alloc_should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

char *
dg_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *r = dg_malloc(len + 1);
	if (!r)
		return NULL;
	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

char *
dg_strdup(const char *s)
{
	return s ? dg_strndup(s, strlen(s)) : NULL;
}

char *
dg_str_replace(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0, len;
	const char *p, *q;
	char *out, *o;

	if (fl == 0)
		return NULL;
	for (p = s; (q = strstr(p, from)) != NULL; p = q + fl)
		n++;
	if (n == 0)
		return NULL;
	len = strlen(s) - n * fl + n * tl;
	if (!(out = dg_malloc(len + 1)))
		return NULL;
	for (o = out, p = s; (q = strstr(p, from)) != NULL; p = q + fl) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, tl);
		o += tl;
	}
	strcpy(o, p);
	return out;
}

char *
dg_asprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	r = dg_malloc((size_t)n + 1);
	if (!r)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(r, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return r;
}

void
dg_free(void *p)
{
	free(p);
}

void
dg_err_set(struct dg_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
dg_err_clear(struct dg_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

void
dg_buf_init(struct dg_buf *b, size_t limit)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->limit = limit ? limit : DG_BUF_DEFAULT_LIMIT;
	b->oom = 0;
}

void
dg_buf_release(struct dg_buf *b)
{
	dg_free(b->data);
	dg_buf_init(b, b->limit);
}

void
dg_buf_reset(struct dg_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int
buf_grow(struct dg_buf *b, size_t extra)
{
	size_t need, ncap;
	char *n;

	if (b->oom)
		return -1;
	if (extra > b->limit || b->len + extra + 1 > b->limit) {
		b->oom = 1;
		return -1;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap *= 2;
	if (ncap > b->limit)
		ncap = b->limit;
	n = dg_realloc(b->data, ncap);
	if (!n) {
		b->oom = 1;
		return -1;
	}
	b->data = n;
	b->cap = ncap;
	return 0;
}

int
dg_buf_add(struct dg_buf *b, const void *data, size_t len)
{
	if (buf_grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
dg_buf_adds(struct dg_buf *b, const char *s)
{
	return dg_buf_add(b, s, strlen(s));
}

int
dg_buf_addf(struct dg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
dg_buf_json_str(struct dg_buf *b, const char *s)
{
	const unsigned char *p;
	int rc = 0;

	if (!s)
		return dg_buf_adds(b, "null");
	rc |= dg_buf_add(b, "\"", 1);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': rc |= dg_buf_add(b, "\\\"", 2); break;
		case '\\': rc |= dg_buf_add(b, "\\\\", 2); break;
		case '\n': rc |= dg_buf_add(b, "\\n", 2); break;
		case '\r': rc |= dg_buf_add(b, "\\r", 2); break;
		case '\t': rc |= dg_buf_add(b, "\\t", 2); break;
		default:
			if (*p < 0x20)
				rc |= dg_buf_addf(b, "\\u%04x", *p);
			else
				rc |= dg_buf_add(b, p, 1);
		}
	}
	rc |= dg_buf_add(b, "\"", 1);
	return rc ? -1 : 0;
}

void
dg_iso8601(int64_t t, char *out, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "1970-01-01T00:00:00Z");
}

int64_t
dg_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
dg_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
dg_is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

int
dg_parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
dg_parse_size(const char *s, int64_t *out)
{
	char *end;
	long long v;
	int shift = 0;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k':
	case 'K': shift = 10; break;
	case 'm':
	case 'M': shift = 20; break;
	case 'g':
	case 'G': shift = 30; break;
	case 't':
	case 'T': shift = 40; break;
	default: return -1;
	}
	if (*end) {
		end++;
		if ((*end == 'i' || *end == 'I') && (end[1] == 'B' || end[1] == 'b'))
			end += 2;
		else if (*end == 'B' || *end == 'b')
			end++;
		if (*end)
			return -1;
	}
	if (shift && v > (INT64_MAX >> shift))
		return -1;
	*out = (int64_t)v << shift;
	return 0;
}

int
dg_parse_bool(const char *s, int *out)
{
	static const char *yes[] = {"true", "yes", "on", "1"};
	static const char *no[] = {"false", "no", "off", "0"};
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* The valid UTF-8 character at p (before end): its length, and its code
 * point in *cp; 0 when the bytes there are not one (bad lead byte,
 * truncated, overlong, surrogate, past U+10FFFF). */
static size_t
utf8_next(const unsigned char *p, const unsigned char *end, unsigned *cp)
{
	unsigned c = *p, v;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 1;
		v = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		v = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		v = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) <= n)
		return 0;
	for (size_t i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if ((n == 1 && v < 0x80) || (n == 2 && v < 0x800) || (n == 3 && v < 0x10000) || v > 0x10ffff ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n + 1;
}

int
dg_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	unsigned cp;
	size_t n;

	for (; p < end; p += n)
		if ((n = utf8_next(p, end, &cp)) == 0)
			return 0;
	return 1;
}

/* in (len bytes) as terminal text into out (cap bytes with the NUL; out
 * may be in): controls and bytes that are not UTF-8 become '?', but for
 * newlines and tabs when lines; cut at a character's boundary.  The
 * bytes written, without the NUL. */
static size_t
term_clean(const char *in, size_t len, char *out, size_t cap, int lines)
{
	const unsigned char *p = (const unsigned char *)in, *end = p + len;
	size_t o = 0, n;
	unsigned cp;

	if (cap == 0)
		return 0;
	for (; p < end; p += n) {
		n = utf8_next(p, end, &cp);
		if (n == 0 || (cp < 0x20 && !(lines && (cp == '\n' || cp == '\t'))) || (cp >= 0x7f && cp < 0xa0) ||
		    cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
			/* a stray byte, or a control character, whole (the bidi ones
			 * would reorder the rest of the line) */
			n = n == 0 ? 1 : n;
			if (o + 1 >= cap)
				break;
			out[o++] = '?';
		} else {
			if (o + n >= cap)
				break;
			memmove(out + o, p, n); /* out may be in */
			o += n;
		}
	}
	out[o] = '\0';
	return o;
}

void
dg_term_label(const char *name, char *out, size_t cap)
{
	term_clean(name, strlen(name), out, cap, 0);
}

size_t
dg_term_lines(char *s, size_t len)
{
	return term_clean(s, len, s, len + 1, 1);
}

/* Columns a terminal gives code point c: 2 for East Asian wide and
 * fullwidth characters and for emoji (a few narrow symbols among the
 * latter are counted 2 too: too wide cuts early, too narrow wraps). */
static int
term_width(unsigned c)
{
	return (c >= 0x1100 && c <= 0x115f) || (c >= 0x231a && c <= 0x23ff) || (c >= 0x2600 && c <= 0x27bf) ||
	               (c >= 0x2b50 && c <= 0x2b55) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xa960 && c <= 0xa97f) ||
	               (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe10 && c <= 0xfe19) ||
	               (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ||
	               (c >= 0x16fe0 && c <= 0x1b2ff) || c >= 0x1f000
	           ? 2
	           : 1;
}

int
dg_term_fit(char *s, int cols)
{
	unsigned char *p = (unsigned char *)s, *end = p + strlen(s);
	size_t n;
	unsigned cp;
	int w, used = 0;

	for (; p < end; p += n) {
		n = utf8_next(p, end, &cp);
		w = n == 0 ? 1 : term_width(cp);
		n = n == 0 ? 1 : n;
		if (used + w > cols) {
			*p = '\0';
			return 1;
		}
		used += w;
	}
	return 0;
}

char *
dg_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	if (la && a[la - 1] == '/')
		return dg_asprintf("%s%s", a, b);
	return dg_asprintf("%s/%s", a, b);
}

int
dg_mkdirs(const char *path, int mode)
{
	char *p = dg_strdup(path);
	char *s;
	int rc = -1;

	if (!p)
		return -1;
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST)
			goto out;
		*s = '/';
	}
	if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST)
		goto out;
	rc = 0;
out:
	dg_free(p);
	return rc;
}

static int
rmtree_at(int parent, const char *name, int depth)
{
	int fd;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (depth > 64)
		return -1;
	if (unlinkat(parent, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return errno == ENOENT ? 0 : -1;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (rmtree_at(dirfd(d), e->d_name, depth + 1) < 0)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0)
		rc = -1;
	return rc;
}

int
dg_rmtree(const char *path)
{
	return rmtree_at(AT_FDCWD, path, 0);
}

int
dg_read_file(const char *path, size_t limit, char **out, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct dg_buf b;
	char chunk[65536];
	ssize_t n;
	int rc = -1;

	dg_buf_init(&b, limit + 1);
	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (dg_buf_add(&b, chunk, (size_t)n) < 0) {
			errno = EFBIG;
			goto out;
		}
	}
	if (n < 0)
		goto out;
	if (!b.data && dg_buf_add(&b, "", 0) < 0)
		goto out;
	*out = b.data;
	if (lenp)
		*lenp = b.len;
	b.data = NULL;
	rc = 0;
out:
	dg_buf_release(&b);
	close(fd);
	return rc;
}

void
dg_human_size(double bytes, char *out, size_t cap)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (bytes >= 1024.0 && u < 4) {
		bytes /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%.0f %s", bytes, units[u]);
	else
		snprintf(out, cap, "%.1f %s", bytes, units[u]);
}

int
dg_write_file_atomic(const char *path, const char *data, size_t len, int do_fsync)
{
	char *tmp = dg_asprintf("%s.tmp", path);
	int fd = -1, rc = -1;

	if (!tmp)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || dg_write_all(fd, data, len) < 0 || (do_fsync && fsync(fd) < 0))
		goto out;
	if (close(fd) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	dg_free(tmp);
	return rc;
}

int
dg_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
