/*
 * plugins/eep/eep-sign.c -- the cryptography of EEP packages: digests of
 * bit streams (SM3 and SHA-256, SM3 in a second thread for a long
 * stream), streaming Base64 decoding (a table, four characters at a
 * time), and SM2/SM3 signatures over the canonical form of an element
 * (with the text of large elements spliced in from the file: struct
 * eep_splice).
 *
 * Canonical form: Exclusive XML Canonicalization 1.0 without comments
 * (http://www.w3.org/2001/10/xml-exc-c14n#) of the signed element with
 * all its descendants, made by libxml2 (xmlC14NExecute with a visibility
 * callback selecting the subtree: the same node set as an XPath
 * "(.//. | .//@* | .//namespace::*)" handed to xmlC14NDocSaveTo).  The
 * exclusive form does not depend on the element's ancestors, so the
 * 被签名对象 of a package still verifies when a 修改型 package wraps it
 * in 原封装包.  A verifier also accepts inclusive C14N 1.0 when the
 * 签名规则 names it.  The canonical bytes are never held: they go
 * through an output callback straight into EVP_DigestSignUpdate.
 *
 * Signature: SM2 (GB/T 32918) with SM3 (GB/T 32905) through OpenSSL 3
 * EVP_DigestSign, the signer's distinguishing ID set to the default
 * 1234567812345678 (GB/T 35276); the result is the DER
 * SM2Signature (r, s) value.
 */
#include <config.h>

#include "eep.h"

#include <libxml/c14n.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include "../common/mdthread.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char eep_sign_rule[] = "对“被签名对象”元素（含全部后代）按 Exclusive XML Canonicalization 1.0 "
                             "(http://www.w3.org/2001/10/xml-exc-c14n#，不含注释) 规范化，以 SM2 (GB/T 32918) "
                             "与 SM3 (GB/T 32905) 签名，签名者标识 1234567812345678；签名结果为 DER 编码的 SM2 签名值，"
                             "证书为 DER 编码的 X.509 证书";
const char eep_lock_rule[] =
    "对“被锁定签名标识符”所指的“电子签名”元素（含全部后代）按 Exclusive XML Canonicalization 1.0 "
    "(http://www.w3.org/2001/10/xml-exc-c14n#，不含注释) 规范化，以 SM2 与 SM3 签名，签名者标识 "
    "1234567812345678";

/* ---------------------------------------------------------------- */
/* small DOM helpers                                                  */

bool
eep_is(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, EEP_NS) == 0 && strcmp((const char *)n->name, name) == 0;
}

xmlNodePtr
eep_child(xmlNodePtr n, const char *name)
{
	xmlNodePtr c;

	if (n == NULL)
		return NULL;
	for (c = n->children; c != NULL; c = c->next)
		if (eep_is(c, name))
			return c;
	return NULL;
}

xmlNodePtr
eep_next(xmlNodePtr n, const char *name)
{
	for (n = n != NULL ? n->next : NULL; n != NULL; n = n->next)
		if (eep_is(n, name))
			return n;
	return NULL;
}

char *
eep_text(xmlNodePtr n)
{
	xmlChar *t = n != NULL ? xmlNodeGetContent(n) : NULL;
	char *s, *p, *e;

	if (t == NULL)
		return strdup("");
	p = (char *)t;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		e--;
	s = strndup(p, (size_t)(e - p));
	xmlFree(t);
	return s;
}

/* ---------------------------------------------------------------- */
/* digests                                                            */

int
eep_digest_init(struct eep_digest *d)
{
	memset(d, 0, sizeof(*d));
	d->sm3 = EVP_MD_CTX_new();
	d->sha256 = EVP_MD_CTX_new();
	if (d->sm3 == NULL || d->sha256 == NULL || EVP_DigestInit_ex(d->sm3, EVP_sm3(), NULL) != 1 ||
	    EVP_DigestInit_ex(d->sha256, EVP_sha256(), NULL) != 1) {
		eep_digest_release(d);
		return -1;
	}
	return 0;
}

int
eep_digest_init_sha256(struct eep_digest *d)
{
	memset(d, 0, sizeof(*d));
	d->sha256 = EVP_MD_CTX_new();
	if (d->sha256 == NULL || EVP_DigestInit_ex(d->sha256, EVP_sha256(), NULL) != 1) {
		eep_digest_release(d);
		return -1;
	}
	return 0;
}

int
eep_digest_update(struct eep_digest *d, const void *buf, size_t len)
{
	if (EVP_DigestUpdate(d->sha256, buf, len) != 1)
		return -1;
	d->size += (int64_t)len;
	if (d->sm3 == NULL)
		return 0;
	if (d->worker == NULL && d->size > EEP_DIGEST_THREADED)
		d->worker = mdthread_start(&d->sm3, 1); /* NULL: SM3 stays here */
	if (d->worker == NULL)
		return EVP_DigestUpdate(d->sm3, buf, len) == 1 ? 0 : -1;
	return mdthread_update(d->worker, buf, len);
}

static void
hex(const unsigned char *md, unsigned n, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < n && i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * i] = '\0';
}

int
eep_digest_final(struct eep_digest *d, char sm3_hex[65], char sha256_hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	int rc = -1, stopped;

	sm3_hex[0] = '\0';
	stopped = mdthread_stop(d->worker, true);
	d->worker = NULL;
	if (stopped < 0 || (d->sm3 != NULL && EVP_DigestFinal_ex(d->sm3, md, &n) != 1))
		goto out;
	if (d->sm3 != NULL)
		hex(md, n, sm3_hex);
	if (EVP_DigestFinal_ex(d->sha256, md, &n) != 1)
		goto out;
	hex(md, n, sha256_hex);
	rc = 0;
out:
	eep_digest_release(d);
	return rc;
}

void
eep_digest_release(struct eep_digest *d)
{
	mdthread_stop(d->worker, false);
	d->worker = NULL;
	EVP_MD_CTX_free(d->sm3);
	EVP_MD_CTX_free(d->sha256);
	d->sm3 = d->sha256 = NULL;
}

/* ---------------------------------------------------------------- */
/* Base64                                                             */

#define EEP_B64_OUT ((size_t)48 << 10) /* decoded bytes handed to out() at a time */
#define B64_SPACE 0xfe
#define B64_BAD 0xff

/* value of each byte: 0..63, '=' 64, white space, or not Base64 */
static const unsigned char b64_val[256] = {
#define X B64_BAD
#define S B64_SPACE
    X,  X,  X,  X,  X,  X,  X,  X, X, S, S,  X,  X,  S,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  S,  X,  X,  X,  X, X, X, X,  X,  X,  X,  62, X,  X,  X,  63, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61,
    X,  X,  X,  64, X,  X,  X,  0, 1, 2, 3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, X,  X,  X,  X, X, X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
    45, 46, 47, 48, 49, 50, 51, X, X, X, X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X, X, X, X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X, X, X, X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X, X, X, X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X, X, X, X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
#undef X
#undef S
};

/* b64_val[c] << 18, << 12, << 6, << 0, or bit 24 for anything but
 * the 64 letters: four lookups OR-ed make a group, or show it is not
 * one (made once, from b64_val) */
static uint32_t b64_q[4][256];
static pthread_once_t b64_q_once = PTHREAD_ONCE_INIT;

static void
b64_q_make(void)
{
	int c, k;

	for (c = 0; c < 256; c++)
		for (k = 0; k < 4; k++)
			b64_q[k][c] = b64_val[c] < 64 ? (uint32_t)b64_val[c] << (18 - 6 * k) : (uint32_t)1 << 24;
}

int
eep_b64_init(struct eep_b64 *b, int (*out)(void *, const unsigned char *, size_t), void *arg)
{
	pthread_once(&b64_q_once, b64_q_make);
	memset(b, 0, sizeof(*b));
	b->buf = malloc(EEP_B64_OUT);
	b->out = out;
	b->arg = arg;
	return b->buf != NULL ? 0 : -1;
}

static int
b64_flush(struct eep_b64 *b)
{
	if (b->len > 0 && b->out(b->arg, b->buf, b->len) < 0) {
		b->bad = 2;
		return -1;
	}
	b->len = 0;
	return 0;
}

/*
 * Groups of four characters make three bytes; white space may come
 * anywhere.  The last group may end in "=" (two bytes) or "==" (one),
 * and only white space may follow: what XML Schema's base64Binary
 * accepts (the unused bits of the last character are not checked).
 */
int
eep_b64_update(struct eep_b64 *b, const xmlChar *text, size_t len)
{
	const unsigned char *p = text, *end = p + len;
	unsigned char *o;

	if (b->bad)
		return -1;
	o = b->buf + b->len;
	while (p < end) {
		unsigned v;
		if (b->n == 0 && !b->ended) {
			/* whole groups at a time, and the line ends between them */
			unsigned char *stop = b->buf + EEP_B64_OUT - 4;
			while (o <= stop) {
				uint32_t g;
				if (end - p >= 4) {
					g = b64_q[0][p[0]] | b64_q[1][p[1]] | b64_q[2][p[2]] | b64_q[3][p[3]];
					if (g < ((uint32_t)1 << 24)) {
						o[0] = (unsigned char)(g >> 16);
						o[1] = (unsigned char)(g >> 8);
						o[2] = (unsigned char)g;
						o += 3;
						p += 4;
						continue;
					}
				}
				if (p < end && *p == '\n') {
					p++;
					continue;
				}
				break;
			}
			if (p == end)
				break;
		}
		if ((size_t)(o - b->buf) + 3 > EEP_B64_OUT) {
			b->len = (size_t)(o - b->buf);
			if (b64_flush(b) < 0)
				return -1;
			o = b->buf;
		}
		v = b64_val[*p++];
		if (v == B64_SPACE)
			continue;
		if (v == B64_BAD || b->ended)
			goto bad;
		if (v < 64) {
			if (b->pad)
				goto bad;
			b->acc = b->acc << 6 | v;
			if (++b->n == 4) {
				o[0] = (unsigned char)(b->acc >> 16);
				o[1] = (unsigned char)(b->acc >> 8);
				o[2] = (unsigned char)b->acc;
				o += 3;
				b->n = 0;
			}
			continue;
		}
		/* '=' */
		if (b->n == 3 && !b->pad) { /* xxx= : two bytes */
			b->acc <<= 6;
			o[0] = (unsigned char)(b->acc >> 16);
			o[1] = (unsigned char)(b->acc >> 8);
			o += 2;
			b->ended = 1;
			b->n = 0;
		} else if (b->n == 2 && !b->pad) {
			b->pad = 1;
		} else if (b->n == 2 && b->pad) { /* xx== : one byte */
			b->acc <<= 12;
			o[0] = (unsigned char)(b->acc >> 16);
			o += 1;
			b->ended = 1;
			b->pad = 0;
			b->n = 0;
		} else {
			goto bad;
		}
	}
	b->len = (size_t)(o - b->buf);
	return 0;
bad:
	b->len = (size_t)(o - b->buf);
	b->bad = 1;
	return -1;
}

int
eep_b64_final(struct eep_b64 *b)
{
	if (b->bad)
		return -1;
	if (b->n != 0 || b->pad) {
		b->bad = 1;
		return -1;
	}
	return b64_flush(b);
}

void
eep_b64_release(struct eep_b64 *b)
{
	free(b->buf);
	b->buf = NULL;
}

struct membuf {
	unsigned char *p;
	size_t len, cap;
};

static int
membuf_add(void *arg, const unsigned char *buf, size_t len)
{
	struct membuf *m = arg;

	if (m->len + len > m->cap) {
		size_t cap = (m->cap ? m->cap * 2 : 256) + len;
		unsigned char *p = realloc(m->p, cap);
		if (p == NULL)
			return -1;
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

unsigned char *
eep_b64_decode_all(const xmlChar *text, size_t *len)
{
	struct eep_b64 b;
	struct membuf m = {0};

	if (eep_b64_init(&b, membuf_add, &m) < 0)
		return NULL;
	if (eep_b64_update(&b, text, strlen((const char *)text)) < 0 || eep_b64_final(&b) < 0 ||
	    membuf_add(&m, (const unsigned char *)"", 0) < 0) {
		free(m.p);
		m.p = NULL;
	}
	eep_b64_release(&b);
	if (m.p != NULL && m.len == 0) {
		free(m.p);
		m.p = NULL;
	}
	*len = m.len;
	return m.p;
}

char *
eep_b64_encode_all(const unsigned char *buf, size_t len)
{
	char *s;

	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	s = malloc(4 * ((len + 2) / 3) + 1);
	if (s == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, buf, (int)len);
	return s;
}

/* ---------------------------------------------------------------- */
/* C14N and signatures                                                */

int
eep_c14n_mode(const char *rule)
{
	if (rule != NULL && strstr(rule, "xml-c14n-20010315") != NULL && strstr(rule, "exc-c14n") == NULL)
		return XML_C14N_1_0;
	return XML_C14N_EXCLUSIVE_1_0;
}

/* Is node (or, for a namespace node, its element) inside top? */
static int
in_subtree(void *user, xmlNodePtr node, xmlNodePtr parent)
{
	xmlNodePtr top = user, n;

	n = (node != NULL && node->type != XML_NAMESPACE_DECL) ? node : parent;
	for (; n != NULL; n = n->parent)
		if (n == top)
			return 1;
	return 0;
}

struct c14n_sink {
	EVP_MD_CTX *md;
	int verify;
	int failed;
	const struct eep_splice *sp; /* placeholders to fill, or NULL */
	int in_mark;                 /* inside "\x01<n>\x02" */
	unsigned long mark;          /* its number so far */
	int mark_digits;
};

static int
c14n_feed_md(void *arg, const char *buf, size_t len)
{
	struct c14n_sink *s = arg;
	int r;

	if (len == 0)
		return 0;
	r = s->verify ? EVP_DigestVerifyUpdate(s->md, buf, len) : EVP_DigestSignUpdate(s->md, buf, len);
	if (r != 1) {
		s->failed = 1;
		return -1;
	}
	return 0;
}

static int
c14n_write(void *arg, const char *buf, int len)
{
	struct c14n_sink *s = arg;
	const char *p = buf, *end = buf + (len > 0 ? len : 0), *m;

	if (len <= 0)
		return 0;
	if (s->sp == NULL)
		return c14n_feed_md(s, buf, (size_t)len) < 0 ? -1 : len;
	while (p < end) {
		if (!s->in_mark) {
			m = memchr(p, '\x01', (size_t)(end - p));
			if (c14n_feed_md(s, p, (size_t)((m != NULL ? m : end) - p)) < 0)
				return -1;
			if (m == NULL)
				break;
			p = m + 1;
			s->in_mark = 1;
			s->mark = 0;
			s->mark_digits = 0;
			continue;
		}
		if (*p >= '0' && *p <= '9' && s->mark_digits < 9) {
			s->mark = s->mark * 10 + (unsigned long)(*p++ - '0');
			s->mark_digits++;
			continue;
		}
		if (*p != '\x02' || s->mark_digits == 0 || s->sp->fill(s->sp->arg, s->mark, c14n_feed_md, s) < 0) {
			s->failed = 1;
			return -1;
		}
		p++;
		s->in_mark = 0;
	}
	return len;
}

static int
c14n_close(void *arg)
{
	(void)arg;
	return 0;
}

/* Feed the canonical form of node into md. */
static int
c14n_feed(xmlDocPtr doc, xmlNodePtr node, int mode, const struct eep_splice *sp, EVP_MD_CTX *md, int verify)
{
	struct c14n_sink s = {md, verify, 0, sp, 0, 0, 0};
	xmlOutputBufferPtr buf = xmlOutputBufferCreateIO(c14n_write, c14n_close, &s, NULL);
	int r;

	if (buf == NULL)
		return -1;
	r = xmlC14NExecute(doc, in_subtree, node, mode, NULL, 0, buf);
	if (xmlOutputBufferClose(buf) < 0 || r < 0 || s.failed || s.in_mark)
		return -1;
	return 0;
}

static void
ssl_err(char *err, size_t errcap, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errcap, "%s%s%s", what, e ? ": " : "", e ? buf : "");
	ERR_clear_error();
}

/* A DigestSign/DigestVerify context for SM2 with SM3 and the default
 * distinguishing ID. */
static EVP_MD_CTX *
sm2_ctx(EVP_PKEY *key, int verify, char *err, size_t errcap)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int r;

	if (md == NULL)
		goto fail;
	if (!EVP_PKEY_is_a(key, "SM2")) {
		snprintf(err, errcap, "the key is not an SM2 key");
		goto fail2;
	}
	r = verify ? EVP_DigestVerifyInit_ex(md, &pctx, "SM3", NULL, NULL, key, NULL)
	           : EVP_DigestSignInit_ex(md, &pctx, "SM3", NULL, NULL, key, NULL);
	if (r != 1 || EVP_PKEY_CTX_set1_id(pctx, EEP_SM2_ID, sizeof(EEP_SM2_ID) - 1) != 1)
		goto fail;
	return md;
fail:
	ssl_err(err, errcap, verify ? "cannot start SM2 verification" : "cannot start SM2 signing");
fail2:
	EVP_MD_CTX_free(md);
	return NULL;
}

int
eep_sign_node(xmlDocPtr doc, xmlNodePtr node, int mode, const struct eep_splice *sp, EVP_PKEY *key, unsigned char **sig,
              size_t *siglen, char *err, size_t errcap)
{
	EVP_MD_CTX *md = sm2_ctx(key, 0, err, errcap);
	size_t len = 0;
	int rc = -1;

	*sig = NULL;
	if (md == NULL)
		return -1;
	if (c14n_feed(doc, node, mode, sp, md, 0) < 0) {
		ssl_err(err, errcap, "cannot canonicalize the signed element");
		goto out;
	}
	if (EVP_DigestSignFinal(md, NULL, &len) != 1 || (*sig = malloc(len)) == NULL ||
	    EVP_DigestSignFinal(md, *sig, &len) != 1) {
		ssl_err(err, errcap, "SM2 signing failed");
		free(*sig);
		*sig = NULL;
		goto out;
	}
	*siglen = len;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

int
eep_verify_node(xmlDocPtr doc, xmlNodePtr node, int mode, const struct eep_splice *sp, EVP_PKEY *pub,
                const unsigned char *sig, size_t siglen, char *err, size_t errcap)
{
	EVP_MD_CTX *md = sm2_ctx(pub, 1, err, errcap);
	int rc = -1, r;

	if (md == NULL)
		return -1;
	if (c14n_feed(doc, node, mode, sp, md, 1) < 0) {
		ssl_err(err, errcap, "cannot canonicalize the signed element");
		goto out;
	}
	r = EVP_DigestVerifyFinal(md, sig, siglen);
	ERR_clear_error();
	rc = r == 1 ? 1 : 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

int
eep_load_signer(const char *key_path, const char *cert_path, EVP_PKEY **key, X509 **cert, char *err, size_t errcap)
{
	FILE *f = NULL;
	EVP_PKEY *pub;
	int rc = -1;

	*key = NULL;
	*cert = NULL;
	f = fopen(key_path, "r");
	if (f == NULL) {
		snprintf(err, errcap, "sign-key %s: cannot open", key_path);
		goto out;
	}
	*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (*key == NULL) {
		ssl_err(err, errcap, "sign-key: not a PEM private key (an encrypted key is not supported)");
		goto out;
	}
	if (!EVP_PKEY_is_a(*key, "SM2")) {
		snprintf(err, errcap, "sign-key %s: not an SM2 key", key_path);
		goto out;
	}
	f = fopen(cert_path, "r");
	if (f == NULL) {
		snprintf(err, errcap, "sign-cert %s: cannot open", cert_path);
		goto out;
	}
	*cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (*cert == NULL) {
		ssl_err(err, errcap, "sign-cert: not a PEM certificate");
		goto out;
	}
	pub = X509_get0_pubkey(*cert);
	if (pub == NULL || EVP_PKEY_eq(pub, *key) != 1) {
		ERR_clear_error();
		snprintf(err, errcap, "sign-cert %s: its public key is not the one of sign-key", cert_path);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		EVP_PKEY_free(*key);
		X509_free(*cert);
		*key = NULL;
		*cert = NULL;
	}
	return rc;
}
