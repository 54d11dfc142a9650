/*
 * plugins/eep/eep-export.c -- one DA/T 48-2009 package (.eep) per stored
 * document, written with xmlTextWriter straight to the file.
 *
 * The output is a directory; each package is named after the document's
 * 档号 (metadata "档号"; characters that cannot be in a file name become
 * '_') or else the first 16 hex digits of its id, plus ".eep" (and "-2",
 * "-3", ... before it when two documents would share a name).
 *
 * Mapping of dangan metadata to DA/T 46 (first key present wins; a key
 * spelled as the DA/T 46 element itself always comes first):
 *   题名          题名, dc.title, title, email.subject, source.name, "电子文件 <id>"
 *   责任者        责任者, dc.creator, email.from, creator, the unit
 *   日期          日期, dc.date, email.date, source.mtime, the version's commit
 *                 time; written CCYYMMDD when it starts with an ISO date
 *   年度          年度, else the year of 日期
 *   密级 "无", 保管期限 "永久", 聚合层次 "文件", 脱机载体编号 "无" unless the
 *   metadata has them; 室编件号 (or 件号) else the running number of the
 *   document in this export; 全宗号, 目录号, 机构或问题, 室编案卷号,
 *   馆编案卷号, 馆编件号, 页号, 档案馆名称, 档案馆代码, 全宗名称,
 *   立档单位名称 (else the unit), 并列题名, 副题名, 说明题名文字, 主题词,
 *   人名, 摘要, 分类号, 文件编号, 文种, 紧急程度, 主送 (else email.to),
 *   抄送 (else email.cc), 保密期限, 页数 (else scan.pages), 语种, 稿本,
 *   当前位置, 脱机载体存址, 缩微号, 知识产权说明, 控制标识: the same-named
 *   keys.  关键词: the key, else "户号 <v>" (and 户名) when present.
 *   电子文件号 is the document id (sha256:<hex> of the original).
 *   附注: every metadata value as "KEY=VALUE", in stored order: the
 *   importer restores the metadata from these exactly.
 *   信息系统描述: the producer and the version's manifest id.
 *   文件实体关系: the document's relations (contained-in, ...).
 *   业务实体: one per provenance event of the version (业务行为 from the
 *   event type and plugin, 行为时间, 行为描述 with stage, plugin, outcome,
 *   duration and message) and one for the packaging itself.
 *   机构人员实体: the unit.
 *
 * 文件数据: 文档 1 (主文档) holds the original in 文档数据 1 / 编码 1; with
 * parts=all every derived part follows as its own 附属文档 (题名 = the
 * part's role).  电子属性 carries the media type (格式信息), the file name
 * and size; 数字化属性 is written for an image original with scan.*
 * metadata.  编码描述 is the standard's text followed by the digests
 * "校验值 SHA-256:<hex>" of the bit stream, or with sm3=true
 * "校验值 SM3:<hex> SHA-256:<hex>" (the tamper evidence of unsigned
 * packages; eep-verify.c recomputes them).  编码数据 is the
 * Base64 of the file, written by xmlTextWriterWriteBase64 from a read
 * loop of 65535-byte blocks (a multiple of 3, so no block pads): memory
 * stays constant whatever the file size.  A bit stream already written
 * in an earlier layer of the same package is not repeated: its 编码数据
 * is empty and refers to the earlier one by 引用编码数据ID.
 *
 * Versions: a document with earlier versions (host->doc_previous)
 * becomes a 修改型 package: the previous version's 被签名对象 (itself
 * 修改型 when there are more) inside 原封装包, the newest in 修订内容,
 * 修改标识符 "修改N".  IDs follow "修改N-文档D-文档数据1-编码1"; the
 * encoding's data is "...-编码1-数据", signatures "修改N-签名1", events
 * "修改N-业务E", the unit "修改N-机构人员1".  The oldest layer is 修改0.
 *
 * Signing (sign-key, sign-cert): the package is written unsigned to a
 * hidden temporary file, read back as verify-eep reads one (a tree of
 * all but the 编码数据 text, at most max-size), every 被签名对象 signed
 * from the innermost out (each 原封装包 gets its own 电子签名块), the
 * outermost one's 电子签名 locked by a 锁定签名, and the unsigned file
 * copied under the final name with the signatures put in.  Memory does
 * not follow the size of the bit streams, signed or not.
 *
 * Every package written is validated against the schema in process:
 * a signed one as its signed tree with the 编码数据 left empty, an
 * unsigned one through its skeleton (the same writer calls with the
 * 编码数据 left empty; see check_skeleton()) unless verify() checks the
 * finished export, so that no package is ever held whole for it.
 */
#include <config.h>

#include "eep.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/c14n.h>
#include <libxml/xmlwriter.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EEP_CODING_DESC                                                                                                                                         \
	"本封装包中“编码数据”元素存储的是计算机文件二进制流的Base64编码，有关Base64编码规则参见IETF RFC "               \
	"2045多用途邮件扩展（MIME）第一部分：互联网信息体格式。当提取和显现封装在编码数据元素中的计算机文件时，" \
	"应对Base64编码进行反编码，并依据封装包中“反编码关键字”元素中记录的值还原计算机文件的扩展名。"
#define EEP_SEEN_MAX 4096 /* bit streams remembered per package (for 引用编码数据ID) */

struct seen {
	char sha256[65];
	char sm3[65];
	char id[160];
};

/* One package being written. */
struct pkg {
	struct eep_state *st;
	struct dg_ctx *ctx;
	const struct dg_host *host;
	xmlTextWriterPtr w;
	xmlTextWriterPtr sk; /* the skeleton: the same package with empty 编码数据, or NULL */
	bool skeleton;       /* write it (an unsigned package, not verified after the export) */
	xmlBufferPtr skbuf;
	int fd;
	int64_t written; /* bytes written to fd */
	int bad;         /* a writer call failed */
	int io_errno;    /* the write error */
	char now[32];    /* 封装包创建时间 of the outermost layer */
	const char *unit;
	long number; /* running number of the document */
	unsigned char *buf;
	char *b64; /* Base64 of one read block, in lines of B64_LINE */
	struct seen *seen;
	size_t nseen, capseen;
	int64_t object_end[EEP_MAX_VERSIONS]; /* offset after each layer's </被签名对象> (signing) */
	char err[512];
};

static int validate_doc(struct pkg *x, xmlDocPtr doc, const char *what);

#define W(x, call)                                                                                                     \
	do {                                                                                                           \
		if ((call) < 0)                                                                                        \
			(x)->bad = 1;                                                                                  \
	} while (0)

/* The same call on the skeleton, when there is one. */
#define SKW(x, call)                                                                                                   \
	do {                                                                                                           \
		if ((x)->sk != NULL && (call) < 0)                                                                     \
			(x)->bad = 1;                                                                                  \
	} while (0)

static int fmt(char *buf, size_t cap, const char *f, ...) DG_PRINTF(3, 4);

static int
fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, cap, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* ISO 8601 UTC with seconds, as xs:dateTime. */
static void
iso_time(int64_t us, char out[32])
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * A copy of s fit for XML text: UTF-8 that is not well-formed and
 * characters XML 1.0 does not allow (C0 controls but tab, LF and CR;
 * U+FFFE, U+FFFF) become U+FFFD.  NULL if out of memory.
 */
static char *
xml_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)p), o = 0;
	char *out = malloc(3 * len + 1);

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		uint32_t c = *p, min = 0;
		size_t n = 1, i;
		int ok = 1;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2, c &= 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3, c &= 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4, c &= 0x07, min = 0x10000;
		} else if (c >= 0x80) {
			ok = 0;
		}
		for (i = 1; ok && i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				ok = 0, n = i;
			else
				c = (c << 6) | (p[i] & 0x3f);
		}
		if (ok && (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff ||
		           (c < 0x20 && c != 9 && c != 10 && c != 13)))
			ok = 0;
		if (ok) {
			memcpy(out + o, p, n);
			o += n;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
		}
		p += n;
	}
	out[o] = '\0';
	return out;
}

/* An element with text (cleaned); nothing for NULL text. */
static void
el(struct pkg *x, const char *name, const char *text)
{
	char *c;

	if (text == NULL)
		return;
	c = xml_clean(text);
	if (c == NULL) {
		x->bad = 1;
		return;
	}
	W(x, xmlTextWriterWriteElement(x->w, BAD_CAST name, BAD_CAST c));
	SKW(x, xmlTextWriterWriteElement(x->sk, BAD_CAST name, BAD_CAST c));
	free(c);
}

static void
start(struct pkg *x, const char *name)
{
	W(x, xmlTextWriterStartElement(x->w, BAD_CAST name));
	SKW(x, xmlTextWriterStartElement(x->sk, BAD_CAST name));
}

static void
end(struct pkg *x)
{
	W(x, xmlTextWriterFullEndElement(x->w));
	SKW(x, xmlTextWriterFullEndElement(x->sk));
}

static void
attr(struct pkg *x, const char *name, const char *value)
{
	W(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value));
	SKW(x, xmlTextWriterWriteAttribute(x->sk, BAD_CAST name, BAD_CAST value));
}

/* The first value of the first of keys (NULL-terminated) present. */
static const char *
meta_first(struct pkg *x, struct dg_doc *doc, const char *const *keys)
{
	size_t i;

	for (i = 0; keys[i] != NULL; i++) {
		const char *v = x->host->meta_get(doc, keys[i]);
		if (v != NULL && v[0] != '\0')
			return v;
	}
	return NULL;
}

static const char *
meta1(struct pkg *x, struct dg_doc *doc, const char *key)
{
	const char *keys[] = {key, NULL};
	return meta_first(x, doc, keys);
}

/* The element named key from the same-named metadata, if any. */
static void
el_meta(struct pkg *x, struct dg_doc *doc, const char *key)
{
	el(x, key, meta1(x, doc, key));
}

/* ---------------------------------------------------------------- */
/* file names and extensions                                          */

static const struct {
	const char *type, *ext;
} ext_table[] = {
    {"application/pdf", "pdf"},
    {"image/png", "png"},
    {"image/jpeg", "jpg"},
    {"image/tiff", "tif"},
    {"image/jp2", "jp2"},
    {"image/gif", "gif"},
    {"image/bmp", "bmp"},
    {"image/webp", "webp"},
    {"text/plain", "txt"},
    {"text/html", "html"},
    {"text/vnd.hocr+html", "hocr"},
    {"text/xml", "xml"},
    {"application/xml", "xml"},
    {"message/rfc822", "eml"},
    {"application/mbox", "mbox"},
    {"application/zip", "zip"},
    {"application/gzip", "gz"},
    {"application/x-tar", "tar"},
    {"application/ofd", "ofd"},
    {"application/json", "json"},
    {"text/csv", "csv"},
    {"application/msword", "doc"},
    {"text/x-c", "c"},
    {"text/x-makefile", "mk"},
    {NULL, NULL},
};

static const char *
ext_of_type(const char *type)
{
	size_t i, n;

	if (type == NULL)
		return "bin";
	n = strcspn(type, "; ");
	for (i = 0; ext_table[i].type != NULL; i++)
		if (strlen(ext_table[i].type) == n && strncasecmp(type, ext_table[i].type, n) == 0)
			return ext_table[i].ext;
	return "bin";
}

/* The extension of a file name (1..10 ASCII letters or digits), written
 * lower-case into out; 0 if it has one. */
static int
ext_of_name(const char *name, char out[16])
{
	const char *dot = name != NULL ? strrchr(name, '.') : NULL;
	size_t i, n;

	if (dot == NULL || dot == name)
		return -1;
	n = strlen(dot + 1);
	if (n < 1 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		char c = dot[1 + i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return -1;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[n] = '\0';
	return 0;
}

/* The last path component of a name. */
static const char *
base_name(const char *s)
{
	const char *p = s != NULL ? strrchr(s, '/') : NULL;
	return p != NULL ? p + 1 : s;
}

/* A file-name-safe copy of s into out (cap bytes): '/', '\\', controls
 * and a leading '.' become '_'; cut on a UTF-8 boundary. */
static void
safe_name(const char *s, char *out, size_t cap)
{
	size_t i, o = 0, n = strlen(s);

	for (i = 0; i < n && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || (o == 0 && c == '.'))
			c = '_';
		out[o++] = (char)c;
	}
	while (o > 0 && i < n && ((unsigned char)out[o] & 0xc0) == 0x80) /* cut inside a sequence */
		o--;
	while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0xc0) /* a lead byte without its tail */
		o--;
	out[o] = '\0';
}

/* ---------------------------------------------------------------- */
/* output                                                             */

static int
out_write(void *arg, const char *buf, int len)
{
	struct pkg *x = arg;
	size_t done = 0;

	while (done < (size_t)len) {
		ssize_t n = write(x->fd, buf + done, (size_t)len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			x->io_errno = errno;
			return -1;
		}
		done += (size_t)n;
	}
	x->written += len;
	if (DG_HOST_HAS(x->host, progress))
		x->host->progress(x->ctx, len);
	return len;
}

static int
out_close(void *arg)
{
	(void)arg;
	return 0;
}

/* ---------------------------------------------------------------- */
/* one encoding                                                       */

static const struct seen *
seen_find(struct pkg *x, const char *sha256)
{
	size_t i;

	for (i = 0; i < x->nseen; i++)
		if (strcmp(x->seen[i].sha256, sha256) == 0)
			return &x->seen[i];
	return NULL;
}

static void
seen_add(struct pkg *x, const char *sha256, const char *sm3, const char *id)
{
	if (x->nseen >= EEP_SEEN_MAX)
		return;
	if (x->nseen == x->capseen) { /* most packages hold one bit stream */
		size_t cap = x->capseen ? x->capseen * 4 : 4;
		struct seen *v = realloc(x->seen, cap * sizeof(*v));
		if (v == NULL)
			return;
		x->seen = v;
		x->capseen = cap;
	}
	snprintf(x->seen[x->nseen].sha256, sizeof(x->seen[0].sha256), "%s", sha256);
	snprintf(x->seen[x->nseen].sm3, sizeof(x->seen[0].sm3), "%s", sm3);
	snprintf(x->seen[x->nseen].id, sizeof(x->seen[0].id), "%s", id);
	x->nseen++;
}

/* Read a whole block (up to cap) unless at the end of the file. */
static ssize_t
read_full(int fd, unsigned char *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Base64 in lines of B64_LINE characters (RFC 2045 allows 76), encoded
 * with OpenSSL a block at a time and written raw: the writer's own
 * xmlTextWriterWriteBase64 goes through the output buffer four
 * characters at a time, which made it most of the export's time.  The
 * alphabet needs no escaping.  *col carries the line position from one
 * block to the next; every block but the last is a multiple of 3 bytes,
 * so the encoded blocks join without padding. */
#define B64_LINE 76
#define B64_CAP (EEP_CHUNK / 3 * 4 + EEP_CHUNK / 3 * 4 / B64_LINE + 8)

/* Base64 of the bulk of the data, two characters per table lookup: the
 * package holds every file in Base64, and OpenSSL's EVP_EncodeBlock
 * (one character at a time) was a tenth of an export's time. */
static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static char b64_pairs[4096][2]; /* 12 bits -> their two characters */
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void
b64_pairs_init(void)
{
	int i;

	for (i = 0; i < 4096; i++) {
		b64_pairs[i][0] = b64_alphabet[i >> 6];
		b64_pairs[i][1] = b64_alphabet[i & 63];
	}
}

/* RFC 4648 Base64 of in[0..n), padded, no line breaks; the characters
 * written (4 per 3 bytes, rounded up). */
static size_t
b64_encode(char *out, const unsigned char *in, size_t n)
{
	size_t i = 0, o = 0;
	uint32_t v;

	for (; i + 3 <= n; i += 3, o += 4) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		memcpy(out + o, b64_pairs[v >> 12], 2);
		memcpy(out + o + 2, b64_pairs[v & 4095], 2);
	}
	if (i < n) {
		v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	return o;
}

static int
write_b64(struct pkg *x, const unsigned char *in, size_t n, int *col)
{
	size_t i = 0, o = 0;

	pthread_once(&b64_once, b64_pairs_init);
	/* *col is a multiple of 4: the rest of a line at a time, encoded in
	 * place (a line is 57 bytes) */
	while (i < n) {
		size_t take = (size_t)(B64_LINE - *col) / 4 * 3, m;
		if (take > n - i)
			take = n - i;
		m = b64_encode(x->b64 + o, in + i, take);
		o += m;
		*col += (int)m;
		if (*col >= B64_LINE) {
			x->b64[o++] = '\n';
			*col = 0;
		}
		i += take;
	}
	return xmlTextWriterWriteRawLen(x->w, (const xmlChar *)x->b64, (int)o);
}

/* One digest of a file, read in blocks into buf. */
struct md_job {
	const char *path;
	const EVP_MD *md;
	unsigned char *buf;
	char hex[65];
	int64_t size;
	int err; /* errno, or -1 when the digest failed */
};

static void *
md_run(void *arg)
{
	struct md_job *j = arg;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	int fd = open(j->path, O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	j->err = 0;
	j->size = 0;
	if (fd < 0 || c == NULL || EVP_DigestInit_ex(c, j->md, NULL) != 1) {
		j->err = fd < 0 ? errno : -1;
		goto out;
	}
	while ((n = read_full(fd, j->buf, EEP_CHUNK)) > 0) {
		if (EVP_DigestUpdate(c, j->buf, (size_t)n) != 1)
			break;
		j->size += n;
	}
	if (n != 0 || EVP_DigestFinal_ex(c, md, &len) != 1 || len != 32) {
		j->err = n < 0 ? errno : -1;
		goto out;
	}
	for (i = 0; i < len; i++)
		snprintf(j->hex + 2 * i, 3, "%02x", md[i]);
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(c);
	return NULL;
}

/* SHA-256 of a file, and its SM3 when the package records SM3.  A large
 * file is hashed by two threads at once, one digest each (OpenSSL's SM3
 * is slow: alone it takes as long as everything else of the export); a
 * small one in this thread. */
#define HASH_THREADED ((int64_t)128 << 10)

static int
hash_file(struct pkg *x, const char *path, int64_t expect, char sm3[65], char sha[65], int64_t *size)
{
	struct md_job a = {path, EVP_sm3(), NULL, "", 0, 0}, b = {path, EVP_sha256(), x->buf, "", 0, 0};
	pthread_t t;
	int threaded = 0;

	if (x->st->sm3 && expect >= HASH_THREADED && (a.buf = malloc(EEP_CHUNK)) != NULL)
		threaded = pthread_create(&t, NULL, md_run, &a) == 0;
	if (x->st->sm3 && !threaded) {
		free(a.buf);
		a.buf = x->buf;
		md_run(&a);
	}
	md_run(&b);
	if (threaded) {
		pthread_join(t, NULL);
		free(a.buf);
	}
	if (!x->st->sm3)
		a.size = b.size;
	if (a.err || b.err || a.size != b.size) {
		int e = a.err ? a.err : b.err;
		fmt(x->err, sizeof(x->err), "%s: cannot read: %s", path,
		    e > 0 ? strerror(e) : (e < 0 ? "digest failed" : "changed while read"));
		return -1;
	}
	memcpy(sm3, a.hex, 65);
	memcpy(sha, b.hex, 65);
	*size = b.size;
	return 0;
}

/* 扫描色彩模式 of a scan.colour-mode value, NULL if unknown. */
static const char *
colour_mode(const char *v)
{
	static const char *const bw[] = {"bw", "bilevel", "binary", "mono", "monochrome", "1bit", "黑白二值", NULL};
	static const char *const gray[] = {"gray", "grey", "grayscale", "greyscale", "灰度", NULL};
	static const char *const colour[] = {"colour", "color", "rgb", "rgba", "cmyk", "palette", "彩色", NULL};
	size_t i;

	if (v == NULL)
		return NULL;
	for (i = 0; bw[i] != NULL; i++)
		if (strcasecmp(v, bw[i]) == 0)
			return "黑白二值";
	for (i = 0; gray[i] != NULL; i++)
		if (strcasecmp(v, gray[i]) == 0)
			return "灰度";
	for (i = 0; colour[i] != NULL; i++)
		if (strcasecmp(v, colour[i]) == 0)
			return "彩色";
	return NULL;
}

/* The 64 hex digits of a part's id ("sha256:<hex>"), or NULL. */
static const char *
id_hex(const char *id)
{
	if (id == NULL || strncmp(id, "sha256:", 7) != 0 || strlen(id + 7) != 64 ||
	    strspn(id + 7, "0123456789abcdef") != 64)
		return NULL;
	return id + 7;
}

/* 编码描述 with its digests (SM3 only with sm3=true).  Unknown yet
 * (NULL), they are written as zeros and their offsets in the file put
 * in off[2] (off[0] -1 without SM3): pin_digests() writes them there
 * once the bit stream has been read. */
static void
write_digest(struct pkg *x, const char *label, const char *hex, int64_t *off)
{
	static const char zeros[] = "0000000000000000000000000000000000000000000000000000000000000000";

	W(x, xmlTextWriterWriteString(x->w, BAD_CAST label));
	SKW(x, xmlTextWriterWriteString(x->sk, BAD_CAST label));
	if (hex == NULL)
		W(x, xmlTextWriterFlush(x->w));
	*off = x->written;
	W(x, xmlTextWriterWriteString(x->w, BAD_CAST(hex != NULL ? hex : zeros)));
	SKW(x, xmlTextWriterWriteString(x->sk, BAD_CAST(hex != NULL ? hex : zeros)));
}

static void
write_coding_desc(struct pkg *x, const char *sm3, const char *sha, int64_t off[2])
{
	start(x, "编码描述");
	W(x, xmlTextWriterWriteString(x->w, BAD_CAST EEP_CODING_DESC " " EEP_DIGEST_TAG));
	SKW(x, xmlTextWriterWriteString(x->sk, BAD_CAST EEP_CODING_DESC " " EEP_DIGEST_TAG));
	off[0] = -1;
	if (x->st->sm3)
		write_digest(x, " SM3:", sm3, &off[0]);
	write_digest(x, " SHA-256:", sha, &off[1]);
	end(x);
}

static int
pin_digests(struct pkg *x, const char *sm3, const char *sha, const int64_t off[2])
{
	if (xmlTextWriterFlush(x->w) < 0 || x->io_errno ||
	    (off[0] >= 0 && pwrite(x->fd, sm3, 64, (off_t)off[0]) != 64) ||
	    pwrite(x->fd, sha, 64, (off_t)off[1]) != 64) {
		fmt(x->err, sizeof(x->err), "cannot write the package: %s",
		    x->io_errno ? strerror(x->io_errno)
		    : errno     ? strerror(errno)
		                : "XML writer error");
		return -1;
	}
	return 0;
}

/*
 * 编码 for one part: prefix is "修改N-文档D-文档数据1-编码1".  doc is given
 * for the original (its file name and scan metadata).
 *
 * The part is read once: each block goes to the digests (SM3, if
 * recorded, in a second thread for a large part, see struct
 * eep_digest) and, encoded,
 * to the package.  编码描述 comes before 编码数据, so its digests are
 * written as zeros first and put in place (pwrite) when the part has
 * been read and its SHA-256 found to be its id.  A part whose id is not
 * a SHA-256 is hashed first, as is one seen earlier in the package (it
 * is referred to, not read again).
 */
static int
write_coding(struct pkg *x, struct dg_doc *doc, const struct dg_part_info *part, const char *prefix, bool original)
{
	char sm3[65], sha[65], ext[16], name[512], dataid[160], key[40];
	const char *src_name, *idhex, *type, *known = id_hex(part->id);
	const struct seen *ref;
	struct eep_digest dg;
	bool digesting = false;
	int64_t size = part->size, off[2] = {0, 0};
	int fd = -1, rc = -1, col = 0;
	ssize_t n;
	int64_t written = 0;

	if (part->path == NULL) {
		fmt(x->err, sizeof(x->err), "part %s has no readable object", part->role);
		return -1;
	}
	ref = known != NULL ? seen_find(x, known) : NULL;
	if (ref != NULL) {
		snprintf(sm3, sizeof(sm3), "%s", ref->sm3);
		snprintf(sha, sizeof(sha), "%s", ref->sha256);
	} else if (known == NULL) {
		if (hash_file(x, part->path, part->size, sm3, sha, &size) < 0)
			return -1;
		if (part->id != NULL && strncmp(part->id, "sha256:", 7) == 0 && strcmp(part->id + 7, sha) != 0) {
			fmt(x->err, sizeof(x->err), "part %s: the stored object %s does not hash to its id %s",
			    part->role, part->path, part->id);
			return -1;
		}
		ref = seen_find(x, sha);
	}
	/* the original's type is the document's as detected (a mail stored
	 * as text/plain is message/rfc822) */
	type = original && x->host->media_type(doc) != NULL ? x->host->media_type(doc) : part->media_type;
	idhex = x->host->doc_id(doc) != NULL ? x->host->doc_id(doc) : "sha256:0000000000000000";
	idhex += strncmp(idhex, "sha256:", 7) == 0 ? 7 : 0;
	src_name = original ? base_name(meta1(x, doc, "source.name")) : NULL;
	if (!(src_name != NULL && ext_of_name(src_name, ext) == 0))
		snprintf(ext, sizeof(ext), "%s", ext_of_type(type));
	if (src_name != NULL && src_name[0] != '\0')
		snprintf(name, sizeof(name), "%s", src_name);
	else if (original)
		snprintf(name, sizeof(name), "%.16s.%s", idhex, ext);
	else
		snprintf(name, sizeof(name), "%.16s-%s.%s", idhex, part->role, ext);
	snprintf(dataid, sizeof(dataid), "%s-数据", prefix);
	snprintf(key, sizeof(key), "base64-%s", ext);

	start(x, "编码");
	attr(x, "编码ID", prefix);
	start(x, "电子属性");
	el(x, "格式信息", type);
	el(x, "计算机文件名", name);
	{
		char s[32];
		snprintf(s, sizeof(s), "%" PRId64, size);
		el(x, "计算机文件大小", s);
	}
	end(x);
	if (original && type != NULL && strncmp(type, "image/", 6) == 0) {
		const char *res = meta1(x, doc, "scan.resolution");
		const char *mode = colour_mode(meta1(x, doc, "scan.colour-mode"));
		if (res != NULL && mode != NULL) {
			char r[64];
			const char *form = meta1(x, doc, "数字化对象形态");
			snprintf(r, sizeof(r), "%.40s%s", res, strspn(res, "0123456789") == strlen(res) ? "dpi" : "");
			start(x, "数字化属性");
			el(x, "数字化对象形态", form != NULL ? form : "纸质");
			el(x, "扫描分辨率", r);
			el(x, "扫描色彩模式", mode);
			el(x, "图像压缩方案", meta1(x, doc, "scan.compression"));
			end(x);
		}
	}
	if (ref != NULL || known == NULL)
		write_coding_desc(x, sm3, sha, off);
	else
		write_coding_desc(x, NULL, NULL, off);
	el(x, "反编码关键字", key);
	start(x, "编码数据");
	attr(x, "编码数据ID", dataid);
	if (ref != NULL) {
		attr(x, "引用编码数据ID", ref->id);
		end(x); /* 编码数据 */
		end(x); /* 编码 */
		return x->bad ? -1 : 0;
	}
	if (known != NULL) {
		if ((x->st->sm3 ? eep_digest_init(&dg) : eep_digest_init_sha256(&dg)) < 0) {
			fmt(x->err, sizeof(x->err), "cannot start the digests");
			goto out;
		}
		digesting = true;
	}
	fd = open(part->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fmt(x->err, sizeof(x->err), "%s: cannot open: %s", part->path, strerror(errno));
		goto out;
	}
	while ((n = read_full(fd, x->buf, EEP_CHUNK)) > 0) {
		if (digesting && eep_digest_update(&dg, x->buf, (size_t)n) < 0) {
			fmt(x->err, sizeof(x->err), "%s: digest failure", part->path);
			goto out;
		}
		W(x, write_b64(x, x->buf, (size_t)n, &col));
		written += n;
		if (x->bad)
			break;
	}
	if (n < 0 || written != size) {
		fmt(x->err, sizeof(x->err), "%s: %s", part->path, n < 0 ? strerror(errno) : "changed while read");
		goto out;
	}
	if (digesting) {
		digesting = false;
		if (eep_digest_final(&dg, sm3, sha) < 0) {
			fmt(x->err, sizeof(x->err), "%s: digest failure", part->path);
			goto out;
		}
		if (strcmp(sha, known) != 0) {
			fmt(x->err, sizeof(x->err), "part %s: the stored object %s does not hash to its id %s",
			    part->role, part->path, part->id);
			goto out;
		}
		if (pin_digests(x, sm3, sha, off) < 0)
			goto out;
	}
	end(x); /* 编码数据 */
	end(x); /* 编码 */
	seen_add(x, sha, sm3, dataid);
	rc = x->bad ? -1 : 0;
out:
	if (digesting)
		eep_digest_release(&dg);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---------------------------------------------------------------- */
/* one layer                                                          */

/* CCYYMMDD from an ISO date, or the value itself. */
static void
da_date(const char *v, char *out, size_t cap)
{
	if (strlen(v) >= 10 && v[4] == '-' && v[7] == '-' && strspn(v, "0123456789") == 4)
		snprintf(out, cap, "%.4s%.2s%.2s", v, v + 5, v + 8);
	else
		snprintf(out, cap, "%s", v);
}

static const char *
event_action(const char *type)
{
	if (type == NULL)
		return "处理";
	if (strcmp(type, "ingest") == 0)
		return "接收";
	if (strcmp(type, "stage") == 0)
		return "处理";
	if (strcmp(type, "duplicate") == 0)
		return "重复接收";
	if (strcmp(type, "quarantine") == 0)
		return "隔离";
	return type;
}

static void
write_events(struct pkg *x, struct dg_doc *doc, int layer, const char *docid, const char *created)
{
	struct dg_event_info ev;
	char id[64], who[64], when[32], act[256], desc[4096];
	size_t i;
	int e = 0;

	snprintf(who, sizeof(who), "修改%d-机构人员1", layer);
	start(x, "业务实体块");
	for (i = 0; x->host->event_n(doc, i, &ev) == 0 && i < 100000; i++) {
		snprintf(id, sizeof(id), "修改%d-业务%d", layer, ++e);
		iso_time(ev.at_us, when);
		if (ev.plugin != NULL)
			snprintf(act, sizeof(act), "%s：%s", event_action(ev.type), ev.plugin);
		else
			snprintf(act, sizeof(act), "%s", event_action(ev.type));
		snprintf(desc, sizeof(desc), "type=%s; stage=%s; plugin=%s%s%s; outcome=%s; duration=%.1f ms%s%s",
		         ev.type ? ev.type : "-", ev.stage ? ev.stage : "-", ev.plugin ? ev.plugin : "-",
		         ev.plugin_version && ev.plugin_version[0] ? " " : "",
		         ev.plugin_version ? ev.plugin_version : "", ev.outcome ? ev.outcome : "-",
		         (double)ev.duration_us / 1000.0, ev.message ? "; " : "", ev.message ? ev.message : "");
		start(x, "业务实体");
		el(x, "业务标识符", id);
		el(x, "机构人员标识符", who);
		el(x, "文件标识符", docid);
		el(x, "业务状态", "历史行为");
		el(x, "业务行为", act);
		el(x, "行为时间", when);
		el(x, "行为描述", desc);
		end(x);
	}
	snprintf(id, sizeof(id), "修改%d-业务%d", layer, ++e);
	start(x, "业务实体");
	el(x, "业务标识符", id);
	el(x, "机构人员标识符", who);
	el(x, "文件标识符", docid);
	el(x, "业务状态", "历史行为");
	el(x, "业务行为", "封装");
	el(x, "行为时间", created);
	el(x, "行为依据", "DA/T 48-2009《基于XML的电子文件封装规范》");
	snprintf(desc, sizeof(desc), "dangan eep %s: %s", EEP_VERSION,
	         layer == 0 ? "原始封装" : "修改封装（在保留原封装包的基础上添加修改层）");
	el(x, "行为描述", desc);
	end(x);
	end(x);
}

static int
write_content(struct pkg *x, struct dg_doc *doc, int layer, const char *created)
{
	static const char *const k_title[] = {"题名", "dc.title", "title", "email.subject", "source.name", NULL};
	static const char *const k_creator[] = {"责任者", "dc.creator", "email.from", "creator", NULL};
	static const char *const k_date[] = {"日期", "dc.date", "email.date", "source.mtime", NULL};
	static const char *const k_item[] = {"室编件号", "件号", NULL};
	static const char *const k_to[] = {"主送", "email.to", NULL};
	static const char *const k_cc[] = {"抄送", "email.cc", NULL};
	static const char *const k_pages[] = {"页数", "scan.pages", NULL};
	const char *docid = x->host->doc_id(doc), *v, *key, *val;
	char buf[1024], date[64], year[8], prefix[128];
	struct dg_part_info part;
	struct dg_relation_info rel;
	size_t i, nmeta = 0;
	int d = 0;
	bool have_original = false;

	if (docid == NULL) {
		fmt(x->err, sizeof(x->err), "the document has no original");
		return -1;
	}
	start(x, "文件实体块");
	start(x, "文件实体");
	v = meta1(x, doc, "聚合层次");
	el(x, "聚合层次", v != NULL ? v : "文件");
	start(x, "来源");
	el_meta(x, doc, "档案馆名称");
	el_meta(x, doc, "档案馆代码");
	el_meta(x, doc, "全宗名称");
	v = meta1(x, doc, "立档单位名称");
	el(x, "立档单位名称", x->st->unit != NULL ? x->st->unit : v != NULL ? v : x->unit);
	end(x);
	el(x, "电子文件号", docid);

	/* 档号: the code as text, its parts as children */
	v = meta_first(x, doc, k_date);
	if (v != NULL)
		da_date(v, date, sizeof(date));
	else
		iso_time(x->host->doc_created(doc), date), da_date(date, date, sizeof(date));
	v = meta1(x, doc, "年度");
	if (v != NULL && strlen(v) == 4 && strspn(v, "0123456789") == 4)
		snprintf(year, sizeof(year), "%s", v);
	else if (strspn(date, "0123456789") >= 4)
		snprintf(year, sizeof(year), "%.4s", date);
	else
		snprintf(year, sizeof(year), "%.4s", created);
	start(x, "档号");
	v = meta1(x, doc, "档号");
	if (v != NULL) {
		char *c = xml_clean(v);
		if (c == NULL)
			x->bad = 1;
		else {
			W(x, xmlTextWriterWriteString(x->w, BAD_CAST c));
			SKW(x, xmlTextWriterWriteString(x->sk, BAD_CAST c));
		}
		free(c);
	}
	el_meta(x, doc, "全宗号");
	el_meta(x, doc, "目录号");
	el(x, "年度", year);
	v = meta1(x, doc, "保管期限");
	el(x, "保管期限", v != NULL ? v : "永久");
	el_meta(x, doc, "机构或问题");
	el_meta(x, doc, "室编案卷号");
	el_meta(x, doc, "馆编案卷号");
	v = meta_first(x, doc, k_item);
	snprintf(buf, sizeof(buf), "%04ld", x->number);
	el(x, "室编件号", v != NULL ? v : buf);
	el_meta(x, doc, "馆编件号");
	el_meta(x, doc, "页号");
	end(x);

	start(x, "内容描述");
	v = meta_first(x, doc, k_title);
	if (v == NULL)
		snprintf(buf, sizeof(buf), "电子文件 %s", docid);
	el(x, "题名", v != NULL ? v : buf);
	el_meta(x, doc, "并列题名");
	el_meta(x, doc, "副题名");
	el_meta(x, doc, "说明题名文字");
	for (i = 0; i < x->host->meta_count(doc, "主题词"); i++)
		el(x, "主题词", x->host->meta_get_n(doc, "主题词", i));
	v = meta1(x, doc, "关键词");
	if (v == NULL && meta1(x, doc, "户号") != NULL) {
		const char *name = meta1(x, doc, "户名");
		snprintf(buf, sizeof(buf), "户号 %s%s%s", meta1(x, doc, "户号"), name ? "；户名 " : "",
		         name ? name : "");
		v = buf;
	}
	el(x, "关键词", v);
	el_meta(x, doc, "人名");
	el_meta(x, doc, "摘要");
	el_meta(x, doc, "分类号");
	el_meta(x, doc, "文件编号");
	v = meta_first(x, doc, k_creator);
	el(x, "责任者", v != NULL ? v : x->unit);
	el(x, "日期", date);
	el_meta(x, doc, "文种");
	el_meta(x, doc, "紧急程度");
	el(x, "主送", meta_first(x, doc, k_to));
	el(x, "抄送", meta_first(x, doc, k_cc));
	v = meta1(x, doc, "密级");
	el(x, "密级", v != NULL ? v : "无");
	el_meta(x, doc, "保密期限");
	end(x);

	start(x, "形式特征");
	el(x, "文件组合类型", "单件");
	v = meta_first(x, doc, k_pages);
	if (v != NULL && strspn(v, "0123456789") == strlen(v) && strlen(v) < 12)
		el(x, "页数", v);
	el_meta(x, doc, "语种");
	el_meta(x, doc, "稿本");
	end(x);

	start(x, "存储位置");
	v = meta1(x, doc, "当前位置");
	if (v == NULL)
		snprintf(buf, sizeof(buf), "dangan 存储库，对象 %s", docid);
	el(x, "当前位置", v != NULL ? v : buf);
	v = meta1(x, doc, "脱机载体编号");
	el(x, "脱机载体编号", v != NULL ? v : "无");
	el_meta(x, doc, "脱机载体存址");
	el_meta(x, doc, "缩微号");
	end(x);

	start(x, "权限管理");
	el_meta(x, doc, "知识产权说明");
	el_meta(x, doc, "控制标识");
	end(x);

	v = x->host->doc_version(doc);
	snprintf(buf, sizeof(buf), "dangan eep %s；文档版本清单 %s", EEP_VERSION, v != NULL ? v : "-");
	el(x, "信息系统描述", buf);
	for (i = 0; x->host->meta_n(doc, i, &key, &val) == 0; i++) {
		char *kv;
		size_t len;
		if (key == NULL || key[0] == '@' || val == NULL)
			continue;
		len = strlen(key) + strlen(val) + 2;
		kv = malloc(len);
		if (kv == NULL) {
			x->bad = 1;
			break;
		}
		snprintf(kv, len, "%s=%s", key, val);
		el(x, "附注", kv);
		free(kv);
		nmeta++;
	}

	start(x, "文件数据");
	for (i = 0; x->host->part_n(doc, i, &part) == 0; i++) {
		char sub[32];
		if (part.role == NULL || strcmp(part.role, DG_ROLE_ORIGINAL) != 0)
			continue;
		/* the original is 文档1, the main document */
		have_original = true;
		d = 1;
		snprintf(prefix, sizeof(prefix), "修改%d-文档%d", layer, d);
		start(x, "文档");
		el(x, "文档标识符", prefix);
		snprintf(sub, sizeof(sub), "%d", d);
		el(x, "文档序号", sub);
		el(x, "文档主从声明", "主文档");
		el(x, "题名", meta_first(x, doc, k_title));
		start(x, "文档数据");
		snprintf(buf, sizeof(buf), "%s-文档数据1", prefix);
		attr(x, "文档数据ID", buf);
		snprintf(buf, sizeof(buf), "%s-文档数据1-编码1", prefix);
		if (write_coding(x, doc, &part, buf, true) < 0)
			return -1;
		end(x);
		end(x);
		break;
	}
	if (!have_original) {
		fmt(x->err, sizeof(x->err), "the document has no original part");
		return -1;
	}
	for (i = 0; x->st->parts_all && x->host->part_n(doc, i, &part) == 0; i++) {
		char sub[32];
		if (part.role == NULL || strcmp(part.role, DG_ROLE_ORIGINAL) == 0)
			continue;
		d++;
		snprintf(prefix, sizeof(prefix), "修改%d-文档%d", layer, d);
		start(x, "文档");
		el(x, "文档标识符", prefix);
		snprintf(sub, sizeof(sub), "%d", d);
		el(x, "文档序号", sub);
		el(x, "文档主从声明", "附属文档");
		el(x, "题名", part.role);
		start(x, "文档数据");
		snprintf(buf, sizeof(buf), "%s-文档数据1", prefix);
		attr(x, "文档数据ID", buf);
		snprintf(buf, sizeof(buf), "%s-文档数据1-编码1", prefix);
		if (write_coding(x, doc, &part, buf, false) < 0)
			return -1;
		end(x);
		end(x);
	}
	end(x); /* 文件数据 */
	end(x); /* 文件实体 */
	for (i = 0; x->host->relation_n(doc, i, &rel) == 0 && i < 100000; i++) {
		start(x, "文件实体关系");
		el(x, "标识符", docid);
		el(x, "被关联标识符", rel.id);
		el(x, "关系类型", rel.kind);
		if (rel.kind != NULL && strcmp(rel.kind, "contained-in") == 0)
			el(x, "关系", "包含于");
		else if (rel.kind != NULL && strcmp(rel.kind, "contains") == 0)
			el(x, "关系", "包含");
		el(x, "关系描述", rel.label);
		end(x);
	}
	end(x); /* 文件实体块 */

	write_events(x, doc, layer, docid, created);

	start(x, "机构人员实体块");
	start(x, "机构人员实体");
	snprintf(buf, sizeof(buf), "修改%d-机构人员1", layer);
	el(x, "机构人员标识符", buf);
	el(x, "机构人员类型", "单位");
	el(x, "机构人员名称", x->unit);
	end(x);
	end(x);
	(void)nmeta;
	return x->bad ? -1 : 0;
}

/* 被签名对象 of layer k (docs[0] the oldest version). */
static int
write_signed_object(struct pkg *x, struct dg_doc **docs, int k, int n)
{
	char created[32], id[32];

	if (k == n - 1)
		snprintf(created, sizeof(created), "%s", x->now);
	else
		iso_time(x->host->doc_created(docs[k]), created);
	start(x, "被签名对象");
	attr(x, "eep版本", "2009");
	el(x, "封装包类型", k == 0 ? EEP_TYPE_ORIG : EEP_TYPE_MOD);
	el(x, "封装包类型描述", k == 0 ? EEP_TYPE_DESC_ORIG : EEP_TYPE_DESC_MOD);
	el(x, "封装包创建时间", created);
	el(x, "封装包创建单位", x->unit);
	if (k == 0) {
		start(x, "封装内容");
		if (write_content(x, docs[0], 0, created) < 0)
			return -1;
		end(x);
	} else {
		start(x, "修改封装内容");
		snprintf(id, sizeof(id), "修改%d", k);
		el(x, "修改标识符", id);
		start(x, "原封装包");
		if (write_signed_object(x, docs, k - 1, n) < 0)
			return -1;
		end(x);
		start(x, "修订内容");
		if (write_content(x, docs[k], k, created) < 0)
			return -1;
		end(x);
		end(x);
	}
	end(x);
	W(x, xmlTextWriterFlush(x->w));
	x->object_end[k] = x->written; /* the writer may have put a line end after the tag: see sign_package() */
	return x->bad ? -1 : 0;
}

/* Write the unsigned package of docs (oldest first) to fd. */
static int
write_package(struct pkg *x, struct dg_doc **docs, int n)
{
	xmlOutputBufferPtr ob;
	int rc = -1;

	x->written = 0;
	ob = xmlOutputBufferCreateIO(out_write, out_close, x, NULL);
	if (ob == NULL)
		goto nomem;
	x->w = xmlNewTextWriter(ob);
	if (x->w == NULL) {
		xmlOutputBufferClose(ob);
		goto nomem;
	}
	if (x->skeleton) {
		x->skbuf = xmlBufferCreate();
		x->sk = x->skbuf != NULL ? xmlNewTextWriterMemory(x->skbuf, 0) : NULL;
		if (x->sk == NULL)
			goto nomem;
		xmlTextWriterSetIndent(x->sk, 1);
		xmlTextWriterSetIndentString(x->sk, BAD_CAST " ");
	}
	xmlTextWriterSetIndent(x->w, 1);
	xmlTextWriterSetIndentString(x->w, BAD_CAST " ");
	W(x, xmlTextWriterStartDocument(x->w, "1.0", "UTF-8", NULL));
	SKW(x, xmlTextWriterStartDocument(x->sk, "1.0", "UTF-8", NULL));
	W(x, xmlTextWriterStartElementNS(x->w, NULL, BAD_CAST "电子文件封装包", BAD_CAST EEP_NS));
	SKW(x, xmlTextWriterStartElementNS(x->sk, NULL, BAD_CAST "电子文件封装包", BAD_CAST EEP_NS));
	el(x, "封装包格式描述", EEP_FORMAT_DESC);
	el(x, "版本", "2009");
	if (write_signed_object(x, docs, n - 1, n) < 0)
		goto out;
	end(x);
	W(x, xmlTextWriterEndDocument(x->w));
	SKW(x, xmlTextWriterEndDocument(x->sk));
	if (x->bad) {
		if (!x->err[0])
			fmt(x->err, sizeof(x->err), "cannot write the package: %s",
			    x->io_errno ? strerror(x->io_errno) : "XML writer error");
		goto out;
	}
	rc = 0;
out:
	xmlFreeTextWriter(x->w); /* flushes and closes the output buffer */
	x->w = NULL;
	if (x->sk != NULL)
		xmlFreeTextWriter(x->sk); /* flushes into skbuf */
	x->sk = NULL;
	if (rc == 0 && x->io_errno) {
		fmt(x->err, sizeof(x->err), "cannot write the package: %s", strerror(x->io_errno));
		rc = -1;
	}
	return rc;
nomem:
	fmt(x->err, sizeof(x->err), "out of memory");
	return -1;
}

/* ---------------------------------------------------------------- */
/* signing                                                            */

static xmlNodePtr
new_el(xmlNodePtr parent, const char *name, const char *text)
{
	xmlNodePtr n = xmlNewTextChild(parent, parent->ns, BAD_CAST name, BAD_CAST text);
	return n;
}

static char *
cert_subject(X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *s = NULL;
	long len;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(b, &p);
		if (len > 0)
			s = strndup(p, (size_t)len);
	}
	BIO_free(b);
	return s;
}

/* Fill 签名规则 ... 签名算法标识 of a signature element el (after its
 * first child). */
static int
fill_signature(struct pkg *x, xmlNodePtr sig, const char *rule, const unsigned char *val, size_t len, const char *who)
{
	unsigned char *der = NULL;
	char *b64 = NULL, *cb64 = NULL;
	xmlNodePtr cb;
	int dlen, rc = -1;

	b64 = eep_b64_encode_all(val, len);
	dlen = i2d_X509(x->st->cert, &der);
	if (b64 == NULL || dlen <= 0 || (cb64 = eep_b64_encode_all(der, (size_t)dlen)) == NULL)
		goto out;
	if (new_el(sig, "签名规则", rule) == NULL || new_el(sig, "签名时间", x->now) == NULL ||
	    (who != NULL && new_el(sig, "签名人", who) == NULL) || new_el(sig, "签名结果", b64) == NULL)
		goto out;
	cb = new_el(sig, "证书块", NULL);
	if (cb == NULL || new_el(cb, "证书", cb64) == NULL || new_el(sig, "签名算法标识", EEP_SIG_ALG) == NULL)
		goto out;
	rc = 0;
out:
	OPENSSL_free(der);
	free(b64);
	free(cb64);
	return rc;
}

/* Indent a signature element made here like the writer's output: one
 * space per level (its own level from its ancestors). */
static void
pretty(xmlDocPtr doc, xmlNodePtr n)
{
	char ind[80];
	xmlNodePtr c, next, p;
	int level = 0;

	for (p = n->parent; p != NULL && p->type == XML_ELEMENT_NODE; p = p->parent)
		level++;
	if (level > 70)
		return;
	memset(ind, ' ', sizeof(ind));
	ind[0] = '\n';
	ind[level + 1] = '\0';
	xmlAddPrevSibling(n, xmlNewDocText(doc, BAD_CAST ind));
	if (n->children == NULL || n->children->type != XML_ELEMENT_NODE)
		return;
	for (c = n->children; c != NULL; c = next) {
		next = c->next;
		if (c->type == XML_ELEMENT_NODE)
			pretty(doc, c);
	}
	xmlAddChild(n, xmlNewDocText(doc, BAD_CAST ind));
}

/* Sign the 被签名对象 bso: a new 电子签名块 after it (inside
 * 原封装包) or appended to the root; returns the 电子签名 element. */
static xmlNodePtr
sign_object(struct pkg *x, xmlDocPtr doc, xmlNodePtr bso, const struct eep_splice *sp, const char *who)
{
	unsigned char *sig = NULL;
	size_t siglen = 0;
	xmlNodePtr block = NULL, s = NULL, layer_id;
	char id[64], *mod = NULL;
	int layer = 0;

	/* the layer number: the 修改标识符 of this object's content, else 0 */
	layer_id = eep_child(eep_child(bso, "修改封装内容"), "修改标识符");
	if (layer_id != NULL) {
		mod = eep_text(layer_id);
		if (mod != NULL && strncmp(mod, "修改", strlen("修改")) == 0)
			layer = (int)strtol(mod + strlen("修改"), NULL, 10);
		free(mod);
	}
	snprintf(id, sizeof(id), "修改%d-签名1", layer);
	if (eep_sign_node(doc, bso, XML_C14N_EXCLUSIVE_1_0, sp, x->st->key, &sig, &siglen, x->err, sizeof(x->err)) < 0)
		return NULL;
	block = xmlNewDocNode(doc, bso->ns, BAD_CAST "电子签名块", NULL);
	if (block == NULL || xmlAddNextSibling(bso, block) == NULL)
		goto fail;
	s = new_el(block, "电子签名", NULL);
	if (s == NULL || new_el(s, "签名标识符", id) == NULL ||
	    fill_signature(x, s, eep_sign_rule, sig, siglen, who) < 0)
		goto fail;
	pretty(doc, block);
	free(sig);
	return s;
fail:
	free(sig);
	fmt(x->err, sizeof(x->err), "out of memory while signing");
	return NULL;
}

static void
collect_objects(xmlNodePtr n, xmlNodePtr *out, int *count, int cap)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (eep_is(n, "被签名对象") && *count < cap)
			out[(*count)++] = n;
		if (eep_is(n, "编码数据"))
			continue;
		collect_objects(n->children, out, count, cap);
	}
}

/* Copy bytes [from, to) of the unsigned package in to the output. */
static int
copy_range(struct pkg *x, int in, int64_t from, int64_t to)
{
	while (from < to) {
		size_t want = (size_t)(to - from) < EEP_CHUNK ? (size_t)(to - from) : EEP_CHUNK;
		ssize_t n = pread(in, x->buf, want, (off_t)from);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fmt(x->err, sizeof(x->err), "cannot read the unsigned package: %s",
			    n < 0 ? strerror(errno) : "it is shorter than written");
			return -1;
		}
		if (out_write(x, (const char *)x->buf, (int)n) != (int)n) {
			fmt(x->err, sizeof(x->err), "cannot write the package: %s", strerror(x->io_errno));
			return -1;
		}
		from += n;
	}
	return 0;
}

/* Serialise the nodes from first up to (not including) stop. */
static int
write_nodes(struct pkg *x, xmlDocPtr doc, xmlNodePtr first, xmlNodePtr stop)
{
	xmlBufferPtr b = xmlBufferCreate();
	int rc = -1;

	if (b == NULL) {
		fmt(x->err, sizeof(x->err), "out of memory while signing");
		return -1;
	}
	for (; first != NULL && first != stop; first = first->next)
		if (xmlNodeDump(b, doc, first, 0, 0) < 0) {
			fmt(x->err, sizeof(x->err), "cannot write a signature");
			goto out;
		}
	if (out_write(x, (const char *)xmlBufferContent(b), xmlBufferLength(b)) != xmlBufferLength(b)) {
		fmt(x->err, sizeof(x->err), "cannot write the package: %s", strerror(x->io_errno));
		goto out;
	}
	rc = 0;
out:
	xmlBufferFree(b);
	return rc;
}

/* Take the placeholders out of the 编码数据 (for the schema check: what
 * stays is a tree with empty 编码数据, which are valid). */
static void
drop_placeholders(xmlNodePtr n)
{
	xmlNodePtr next;

	for (; n != NULL; n = next) {
		next = n->next;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (eep_is(n, "编码数据")) {
			xmlNodePtr t = n->children;
			if (t != NULL && t->type == XML_TEXT_NODE && t->content != NULL && t->content[0] == '\x01') {
				xmlUnlinkNode(t);
				xmlFreeNode(t);
			}
			continue;
		}
		drop_placeholders(n->children);
	}
}

/*
 * Sign the unsigned package (tmpname, layers oldest first ending at
 * x->object_end[]) and write the signed one to fd (final's).  The
 * unsigned package is read as verify-eep reads one: a tree without the
 * 编码数据 text, whose canonical form is made with that text read again
 * from the file (struct eep_splice), so memory does not follow the size
 * of the bit streams.  The signed package is the unsigned one copied,
 * with each 电子签名块 (and the 锁定签名) put in after the 被签名对象 it
 * signs; they are serialised from the tree the signatures were made
 * over, so the canonical forms are those of the file written.
 */
static int
sign_package(struct pkg *x, const char *tmpname, const char *final, int fd, int layers)
{
	xmlNodePtr objs[EEP_MAX_VERSIONS + 1], after[EEP_MAX_VERSIONS + 1], root, sig = NULL, lock;
	xmlDocPtr doc;
	struct eep_held *held = NULL;
	const struct eep_splice *sp;
	char path[4096], *who = NULL;
	unsigned char *val = NULL;
	size_t len = 0;
	int count = 0, i, in = -1, rc = -1;
	int64_t at = 0;
	struct stat sb;

	if (fmt(path, sizeof(path), "%s/%s", x->st->out, tmpname) < 0) {
		fmt(x->err, sizeof(x->err), "path too long");
		return -1;
	}
	held = eep_hold(x->ctx, x->host, x->st, path, x->err, sizeof(x->err));
	if (held == NULL)
		goto out;
	doc = eep_held_doc(held);
	sp = eep_held_splice(held);
	root = xmlDocGetRootElement(doc);
	collect_objects(root->children, objs, &count, EEP_MAX_VERSIONS + 1);
	if (count != layers) {
		fmt(x->err, sizeof(x->err), "the unsigned package holds %d 被签名对象, not %d", count, layers);
		goto out;
	}
	for (i = 0; i < count; i++)
		after[i] = objs[i]->next; /* what follows it in the file */
	who = x->st->signer != NULL ? strdup(x->st->signer) : cert_subject(x->st->cert);
	/* innermost first: objects are in document order, outer before inner */
	for (i = count - 1; i >= 0; i--) {
		sig = sign_object(x, doc, objs[i], sp, who);
		if (sig == NULL)
			goto fail;
	}
	/* the outermost signature block belongs to the root, after
	 * 被签名对象; then the lock of its signature */
	lock = xmlNewDocNode(doc, root->ns, BAD_CAST "锁定签名", NULL);
	if (lock == NULL || xmlAddNextSibling(sig->parent, lock) == NULL) {
		fmt(x->err, sizeof(x->err), "out of memory while signing");
		goto out;
	}
	{
		char *sid = eep_text(eep_child(sig, "签名标识符"));
		xmlNodePtr r = new_el(lock, "被锁定签名标识符", sid != NULL ? sid : "");
		free(sid);
		if (r == NULL)
			goto out;
	}
	if (eep_sign_node(doc, sig, XML_C14N_EXCLUSIVE_1_0, sp, x->st->key, &val, &len, x->err, sizeof(x->err)) < 0)
		goto fail;
	if (fill_signature(x, lock, eep_lock_rule, val, len, who) < 0) {
		fmt(x->err, sizeof(x->err), "out of memory while signing");
		goto out;
	}
	pretty(doc, lock);
	drop_placeholders(root);
	if (validate_doc(x, doc, final) < 0)
		goto out;
	/* the unsigned bytes, each layer's signatures after its 被签名对象
	 * (objs[count - 1 - k] is layer k) */
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &sb) < 0) {
		fmt(x->err, sizeof(x->err), "%s: cannot open: %s", tmpname, strerror(errno));
		goto out;
	}
	for (i = 0; i < count; i++) { /* right after each '>' of </被签名对象> */
		char c = 0;
		while (x->object_end[i] > 0 && pread(in, &c, 1, (off_t)(x->object_end[i] - 1)) == 1 && c != '>')
			x->object_end[i]--;
		if (c != '>') {
			fmt(x->err, sizeof(x->err), "cannot find the end of 被签名对象 in the unsigned package");
			goto out;
		}
	}
	x->fd = fd;
	x->io_errno = 0;
	for (i = 0; i < count; i++) {
		if (copy_range(x, in, at, x->object_end[i]) < 0 ||
		    write_nodes(x, doc, objs[count - 1 - i]->next, after[count - 1 - i]) < 0)
			goto out;
		at = x->object_end[i];
	}
	if (copy_range(x, in, at, (int64_t)sb.st_size) < 0)
		goto out;
	rc = 0;
	goto out;
fail:
	if (held != NULL && eep_held_error(held)[0])
		fmt(x->err, sizeof(x->err), "%s", eep_held_error(held));
out:
	if (in >= 0)
		close(in);
	free(val);
	free(who);
	eep_held_free(held);
	return rc;
}

/* ---------------------------------------------------------------- */
/* schema check of a written package                                  */

struct xsd_errs {
	char *msg;
	size_t cap;
	int n;
};

static void
xsd_err(void *arg, xmlErrorPtr e)
{
	struct xsd_errs *s = arg;
	size_t l;

	if (e == NULL || e->level < XML_ERR_ERROR || s->n++ > 0)
		return;
	snprintf(s->msg, s->cap, "line %d: %s", e->line, e->message ? e->message : "invalid");
	l = strlen(s->msg);
	while (l > 0 && s->msg[l - 1] == '\n')
		s->msg[--l] = '\0';
}

/* Validate a tree against eep.xsd; what names it in the message. */
static int
validate_doc(struct pkg *x, xmlDocPtr doc, const char *what)
{
	xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(x->st->schema);
	char first[400] = "";
	struct xsd_errs s = {first, sizeof(first), 0};
	int r;

	if (v == NULL) {
		fmt(x->err, sizeof(x->err), "out of memory");
		return -1;
	}
	xmlSchemaSetValidStructuredErrors(v, xsd_err, &s);
	r = xmlSchemaValidateDoc(v, doc);
	xmlSchemaFreeValidCtxt(v);
	if (r != 0) {
		fmt(x->err, sizeof(x->err), "%s does not match eep.xsd (%d errors; first: %s)", what, s.n, first);
		return -1;
	}
	return 0;
}

/*
 * The unsigned package is checked through its skeleton: the same
 * writer calls with every 编码数据 left empty (its Base64 comes from
 * xmlTextWriterWriteBase64, valid by construction).  Validating the
 * file itself would hold it whole, and libxml2's streaming validator
 * gathers a long text by repeated xmlStrncat: quadratic in its length.
 * verify() checks the real file (Base64, sizes, digests) afterwards.
 */
static int
check_skeleton(struct pkg *x, const char *name)
{
	char err[512];
	xmlDocPtr doc;
	int line = 0, rc;

	doc = eep_parse_memory((const char *)xmlBufferContent(x->skbuf), (size_t)xmlBufferLength(x->skbuf), err,
	                       sizeof(err), &line);
	if (doc == NULL) {
		fmt(x->err, sizeof(x->err), "%s: the package is not well-formed (line %d: %s)", name, line, err);
		return -1;
	}
	rc = validate_doc(x, doc, name);
	xmlFreeDoc(doc);
	return rc;
}

/* ---------------------------------------------------------------- */
/* the export                                                         */

int
eep_export_begin(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *out)
{
	struct eep_state *st = state;

	if (mkdir(out, 0755) < 0) {
		host->error(ctx, "eep: %s: cannot create the directory: %s", out, strerror(errno));
		return DG_FATAL;
	}
	st->out_fd = open(out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	st->out = strdup(out);
	if (st->out_fd < 0 || st->out == NULL) {
		host->error(ctx, "eep: %s: cannot open: %s", out, strerror(errno));
		return DG_FATAL;
	}
	st->counter = 0;
	st->failed = 0;
	st->exported = false;
	return DG_OK;
}

int
eep_export_end(struct dg_ctx *ctx, const struct dg_host *host, void *state)
{
	struct eep_state *st = state;
	int rc = DG_OK;

	if (st->out_fd >= 0) {
		if (fsync(st->out_fd) < 0) {
			host->error(ctx, "eep: %s: fsync: %s", st->out, strerror(errno));
			rc = DG_FAILED;
		}
		close(st->out_fd);
		st->out_fd = -1;
	}
	st->exported = rc == DG_OK && st->failed == 0;
	return rc;
}

/* Create name (or name-2, ...) + ".eep" exclusively: the chosen name in
 * final, and the descriptor (-1 on error). */
static int
create_unique(struct pkg *x, const char *base, char *final, size_t cap)
{
	int i, fd;

	for (i = 1; i <= 1000; i++) {
		if (i == 1)
			fmt(final, cap, "%s.eep", base);
		else
			fmt(final, cap, "%s-%d.eep", base, i);
		fd = openat(x->st->out_fd, final, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			break;
	}
	fmt(x->err, sizeof(x->err), "%s.eep: cannot create: %s", base, strerror(errno));
	return -1;
}

/* What a package takes in selection order (host->in_order): its running
 * number and, when base is set, its file name (created here). */
struct claim {
	struct pkg *x;
	const char *base;
	char *final;
	size_t cap;
	int fd;
};

static void
claim(void *arg)
{
	struct claim *c = arg;

	c->x->number = ++c->x->st->counter;
	if (c->base != NULL)
		c->fd = create_unique(c->x, c->base, c->final, c->cap);
}

static void
take_turn(struct pkg *x, struct claim *c)
{
	if (DG_HOST_HAS(x->host, in_order) && x->host->in_order != NULL)
		x->host->in_order(x->ctx, claim, c);
	else
		claim(c);
}

int
eep_export_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	struct eep_state *st = state;
	struct dg_doc *docs[EEP_MAX_VERSIONS], *d;
	struct pkg x;
	struct claim cl;
	char base[EEP_NAME_MAX + 1], final[EEP_NAME_MAX + 32], tmpname[EEP_NAME_MAX + 48];
	const char *id = host->doc_id(doc), *v;
	int n = 0, i, fd = -1, rc = DG_FAILED;
	bool wrote_tmp = false, wrote_final = false;

	memset(&x, 0, sizeof(x));
	x.st = st;
	x.ctx = ctx;
	x.host = host;
	x.fd = -1;
	memset(&cl, 0, sizeof(cl));
	cl.x = &x;
	cl.final = final;
	cl.cap = sizeof(final);
	cl.fd = -1;
	iso_time(now_us(), x.now);
	x.buf = malloc(EEP_CHUNK);
	x.b64 = malloc(B64_CAP);
	if (x.buf == NULL || x.b64 == NULL) {
		free(x.buf);
		free(x.b64);
		take_turn(&x, &cl);
		host->error(ctx, "eep: out of memory");
		return DG_FAILED;
	}
	if (id == NULL) { /* a record without bytes has no 编码数据 to carry */
		take_turn(&x, &cl);
		host->log(ctx, DG_LOG_WARN, "eep: a document without an original is not packaged");
		free(x.buf);
		free(x.b64);
		return DG_DECLINED;
	}
	v = host->meta_get(doc, "立档单位名称");
	x.unit = st->unit != NULL ? st->unit : v != NULL && v[0] ? v : "未注明";

	/* the versions, newest first, then reversed */
	docs[n++] = doc;
	for (d = doc; st->versions && n < EEP_MAX_VERSIONS && (d = host->doc_previous(ctx, d)) != NULL;)
		docs[n++] = d;
	if (n == EEP_MAX_VERSIONS && st->versions && host->doc_previous(ctx, docs[n - 1]) != NULL)
		host->log(ctx, DG_LOG_WARN, "eep: %s: only the newest %d versions are packaged", id, EEP_MAX_VERSIONS);
	for (i = 0; i < n / 2; i++) {
		d = docs[i];
		docs[i] = docs[n - 1 - i];
		docs[n - 1 - i] = d;
	}

	v = host->meta_get(doc, "档号");
	if (v != NULL && v[0] != '\0')
		safe_name(v, base, sizeof(base));
	else
		snprintf(base, sizeof(base), "%.16s", id + (strncmp(id, "sha256:", 7) == 0 ? 7 : 0));
	if (base[0] == '\0')
		snprintf(base, sizeof(base), "%.16s", id + (strncmp(id, "sha256:", 7) == 0 ? 7 : 0));

	/* the schema check: a signed package's tree before it is saved; an
	 * unsigned one's skeleton, unless verify() will check the file
	 * itself (schema included) once the export is complete */
	x.skeleton = st->key == NULL && !(DG_HOST_HAS(host, export_verified) && host->export_verified != NULL &&
	                                  host->export_verified(ctx));
	cl.base = base;
	take_turn(&x, &cl);
	fd = cl.fd;
	if (fd < 0)
		goto out;
	wrote_final = true;
	if (st->key == NULL) {
		x.fd = fd;
	} else {
		fmt(tmpname, sizeof(tmpname), ".%s.unsigned", final);
		x.fd = openat(st->out_fd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (x.fd < 0) {
			fmt(x.err, sizeof(x.err), "%s: cannot create: %s", tmpname, strerror(errno));
			goto out;
		}
		wrote_tmp = true;
	}
	if (write_package(&x, docs, n) < 0)
		goto out;
	if (st->key != NULL) {
		if (close(x.fd) < 0) {
			x.fd = -1;
			fmt(x.err, sizeof(x.err), "%s: cannot write: %s", tmpname, strerror(errno));
			goto out;
		}
		x.fd = -1;
		if (sign_package(&x, tmpname, final, fd, n) < 0)
			goto out;
	}
	x.fd = -1;
	if (close(fd) < 0) {
		fd = -1;
		fmt(x.err, sizeof(x.err), "%s: cannot write: %s", final, strerror(errno));
		goto out;
	}
	fd = -1;
	if (x.skeleton && check_skeleton(&x, final) < 0)
		goto out;
	host->log(ctx, DG_LOG_INFO, "eep: %s -> %s (%s%s)", id, final, n > 1 ? "修改型" : "原始型",
	          st->key != NULL ? ", signed" : "");
	rc = DG_OK;
out:
	if (x.fd >= 0 && x.fd != fd)
		close(x.fd);
	if (fd >= 0)
		close(fd);
	if (wrote_tmp)
		unlinkat(st->out_fd, tmpname, 0);
	if (rc != DG_OK) {
		if (wrote_final)
			unlinkat(st->out_fd, final, 0);
		host->error(ctx, "eep: %s: %s", id != NULL ? id : "document", x.err[0] ? x.err : "cannot package");
		st->failed++;
	}
	free(x.buf);
	free(x.b64);
	free(x.seen);
	if (x.skbuf != NULL)
		xmlBufferFree(x.skbuf);
	return rc;
}
