/*
 * plugins/bagit/common.c -- checksums, manifest path coding and the
 * tag-file line reader shared by the exporter and the verifier.
 */
#include <config.h>

#include "bagit.h"

#include "../common/mdthread.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const struct bg_alg_info bg_algs[BG_ALG_N] = {
    {"md5", 16, false},   {"sha1", 20, false},  {"sha224", 28, true},
    {"sha256", 32, true}, {"sha384", 48, true}, {"sha512", 64, true},
};

int
bg_alg_find(const char *name, size_t len)
{
	int i;

	for (i = 0; i < BG_ALG_N; i++)
		if (strlen(bg_algs[i].name) == len && memcmp(bg_algs[i].name, name, len) == 0)
			return i;
	return -1;
}

static const EVP_MD *
bg_evp(int i)
{
	switch (i) {
	case BG_MD5: return EVP_md5();
	case BG_SHA1: return EVP_sha1();
	case BG_SHA224: return EVP_sha224();
	case BG_SHA256: return EVP_sha256();
	case BG_SHA384: return EVP_sha384();
	case BG_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

/* Every algorithm of h but the fastest to a second thread; nothing
 * changes if there is one algorithm, or no thread to be had. */
static void
bg_worker_start(struct bg_hash *h)
{
	static const int keep_order[] = {BG_SHA256, BG_SHA1, BG_MD5, BG_SHA512, BG_SHA384, BG_SHA224};
	EVP_MD_CTX *md[BG_ALG_N];
	unsigned wmask = h->mask;
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof(keep_order) / sizeof(keep_order[0]); i++)
		if (h->mask & (1u << keep_order[i])) {
			wmask &= ~(1u << keep_order[i]);
			break;
		}
	for (i = 0; i < BG_ALG_N; i++)
		if (wmask & (1u << i))
			md[n++] = h->md[i];
	if (n > 0 && (h->worker = mdthread_start(md, n)) != NULL)
		h->wmask = wmask;
}

int
bg_hash_init(struct bg_hash *h, unsigned mask)
{
	int i;

	memset(h, 0, sizeof(*h));
	h->mask = mask;
	for (i = 0; i < BG_ALG_N; i++) {
		if (!(mask & (1u << i)))
			continue;
		h->md[i] = EVP_MD_CTX_new();
		if (h->md[i] == NULL || EVP_DigestInit_ex(h->md[i], bg_evp(i), NULL) != 1)
			goto fail;
	}
	return 0;
fail:
	bg_hash_release(h);
	return -1;
}

int
bg_hash_update(struct bg_hash *h, const void *buf, size_t len)
{
	int i;

	h->size += (int64_t)len;
	if (h->worker == NULL && h->size > BG_HASH_THREADED)
		bg_worker_start(h);
	for (i = 0; i < BG_ALG_N; i++)
		if (h->md[i] != NULL && !(h->wmask & (1u << i)) && EVP_DigestUpdate(h->md[i], buf, len) != 1)
			return -1;
	return h->worker != NULL ? mdthread_update(h->worker, buf, len) : 0;
}

int
bg_hash_final(struct bg_hash *h, unsigned char out[BG_ALG_N][BG_DIGEST_MAX])
{
	unsigned n;
	int i;

	i = mdthread_stop(h->worker, true);
	h->worker = NULL;
	h->wmask = 0;
	if (i < 0)
		return -1;
	for (i = 0; i < BG_ALG_N; i++)
		if (h->md[i] != NULL && EVP_DigestFinal_ex(h->md[i], out[i], &n) != 1)
			return -1;
	return 0;
}

void
bg_hash_release(struct bg_hash *h)
{
	int i;

	mdthread_stop(h->worker, false);
	h->worker = NULL;
	h->wmask = 0;
	for (i = 0; i < BG_ALG_N; i++) {
		EVP_MD_CTX_free(h->md[i]);
		h->md[i] = NULL;
	}
}

uint64_t
bg_str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

void
bg_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
bg_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
bg_unhex(const char *s, size_t slen, unsigned char *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (slen != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		hi = bg_hexval(s[2 * i]);
		lo = bg_hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

char *
bg_path_encode(const char *path)
{
	size_t n = 0, i, o = 0;
	char *s;

	for (i = 0; path[i] != '\0'; i++)
		n += (path[i] == '\r' || path[i] == '\n' || path[i] == '%') ? 3 : 1;
	s = malloc(n + 1);
	if (s == NULL)
		return NULL;
	for (i = 0; path[i] != '\0'; i++) {
		if (path[i] == '\r' || path[i] == '\n' || path[i] == '%') {
			s[o++] = '%';
			s[o++] = path[i] == '%' ? '2' : '0';
			s[o++] = path[i] == '%' ? '5' : path[i] == '\r' ? 'D' : 'A';
		} else {
			s[o++] = path[i];
		}
	}
	s[o] = '\0';
	return s;
}

void
bg_path_decode(char *s, size_t *len, size_t *other)
{
	size_t i, o = 0, n = *len;
	char c;

	*other = 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			c = 0;
			if (i + 2 < n) {
				if (s[i + 1] == '0' && (s[i + 2] == 'a' || s[i + 2] == 'A'))
					c = '\n';
				else if (s[i + 1] == '0' && (s[i + 2] == 'd' || s[i + 2] == 'D'))
					c = '\r';
				else if (s[i + 1] == '2' && s[i + 2] == '5')
					c = '%';
			}
			if (c != 0) {
				s[o++] = c;
				i += 2;
				continue;
			}
			(*other)++;
		}
		s[o++] = s[i];
	}
	s[o] = '\0';
	*len = o;
}

bool
bg_is_utf8(const char *e)
{
	return strcasecmp(e, "UTF-8") == 0 || strcasecmp(e, "UTF8") == 0;
}

int
bg_lines_open(struct bg_lines *l, int fd, const char *encoding)
{
	memset(l, 0, sizeof(*l));
	l->cd = (iconv_t)-1;
	if (encoding != NULL && !bg_is_utf8(encoding)) {
		l->cd = iconv_open("UTF-8", encoding);
		if (l->cd == (iconv_t)-1)
			return -1;
	}
	l->line = malloc(BG_LINE_MAX + 1);
	if (l->line == NULL) {
		if (l->cd != (iconv_t)-1)
			iconv_close(l->cd);
		return -1;
	}
	l->fd = fd;
	return 0;
}

void
bg_lines_close(struct bg_lines *l)
{
	if (l->cd != (iconv_t)-1)
		iconv_close(l->cd);
	l->cd = (iconv_t)-1;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->line);
	l->line = NULL;
}

/* Refill l->out; 1 when there is something, 0 at the end, -1 on error. */
static int
bg_lines_fill(struct bg_lines *l)
{
	ssize_t n;
	char *ip, *op;
	size_t il, ol;

	l->out_pos = l->out_len = 0;
	for (;;) {
		if (!l->eof && l->in_len < sizeof(l->in)) {
			do
				n = read(l->fd, l->in + l->in_len, sizeof(l->in) - l->in_len);
			while (n < 0 && errno == EINTR);
			if (n < 0) {
				l->err = "read error";
				return -1;
			}
			if (n == 0)
				l->eof = true;
			l->in_len += (size_t)n;
		}
		if (l->in_len == 0)
			return 0;
		if (l->cd == (iconv_t)-1) {
			memcpy(l->out, l->in, l->in_len);
			l->out_len = l->in_len;
			l->in_len = 0;
		} else {
			ip = l->in;
			il = l->in_len;
			op = l->out;
			ol = sizeof(l->out);
			if (iconv(l->cd, &ip, &il, &op, &ol) == (size_t)-1 && errno != E2BIG) {
				if (errno == EILSEQ || (errno == EINVAL && l->eof)) {
					l->err = "bytes invalid in the declared character encoding";
					return -1;
				}
			}
			l->out_len = sizeof(l->out) - ol;
			memmove(l->in, ip, il);
			l->in_len = il;
			if (l->out_len == 0 && l->eof && l->in_len > 0) {
				l->err = "truncated character at the end of the file";
				return -1;
			}
		}
		if (l->out_pos < l->out_len)
			return 1;
		if (l->eof && l->in_len == 0)
			return 0;
	}
}

int
bg_lines_next(struct bg_lines *l, const char **line, size_t *len)
{
	char c;
	int r;

	l->line_len = 0;
	for (;;) {
		if (l->out_pos >= l->out_len) {
			r = bg_lines_fill(l);
			if (r < 0)
				return -1;
			if (r == 0) {
				if (l->line_len == 0)
					return 0;
				break; /* last line without an end */
			}
		}
		c = l->out[l->out_pos++];
		if (l->pending_cr) {
			l->pending_cr = false;
			if (c == '\n')
				continue;
		}
		if (c == '\n')
			break;
		if (c == '\r') {
			l->pending_cr = true;
			break;
		}
		if (l->line_len >= BG_LINE_MAX) {
			l->err = "line too long";
			return -1;
		}
		l->line[l->line_len++] = c;
	}
	l->line[l->line_len] = '\0';
	if (l->lineno == 0 && l->line_len >= 3 && memcmp(l->line, "\xef\xbb\xbf", 3) == 0) {
		/* a byte-order mark: UTF-8's, or U+FEFF converted */
		l->bom = l->cd == (iconv_t)-1;
		memmove(l->line, l->line + 3, l->line_len - 2);
		l->line_len -= 3;
	}
	l->lineno++;
	*line = l->line;
	*len = l->line_len;
	return 1;
}

char *
bg_aprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	if (vsnprintf(s, (size_t)n + 1, fmt, ap) != n) {
		free(s);
		s = NULL;
	}
	va_end(ap);
	return s;
}
