/*
 * fourcheck.c -- the four-property checks (四性检测), see fourcheck.h.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xmlwriter.h>
#include <openssl/evp.h>

#include "dangan/dangan.h"
#include "engine.h"
#include "fourcheck.h"
#include "util.h"

#define KEEP_PROBLEMS 100 /* per item, in the report; the rest are counted */
#define VALUE_MAX 4000    /* bytes: DA/T 46 elements are short text */
#define HASH_CHUNK (256u << 10)

/* DA/T 22-2015: 全宗号-门类代码·年度-保管期限-机构(问题)代码-件号,
 * e.g. J001-WS·2016-Y-BGS-0005 (· is U+00B7). */
#define DANGHAO_DEFAULT "^[A-Z0-9]{1,8}-[A-Z]{1,4}·[0-9]{4}-(Y|D[0-9]{1,3}|[0-9]{3})(-[A-Za-z0-9]{1,10})?-[0-9]{1,6}$"

enum item_id {
	I_FIXITY,    /* 1-1 */
	I_LENGTH,    /* 1-2 */
	I_FORMAT,    /* 1-3 */
	I_SPECIAL,   /* 1-6 */
	I_DANGHAO,   /* 1-7 */
	I_REPEAT,    /* 1-8 */
	I_PACKAGE,   /* 1-14 */
	I_TOTAL,     /* 2-1 */
	I_CONTENT,   /* 2-2 */
	I_REQUIRED,  /* 2-4 */
	I_PROCESS,   /* 2-5 */
	I_READABLE,  /* 3-4 */
	I_PRESERVE,  /* 3-8 */
	I_MALICIOUS, /* 4-1 */
	I_ENCRYPTED, /* 4-2 */
	I_COUNT
};

static const struct {
	int prop, n;
	const char *name;
} item_def[I_COUNT] = {
    {1, 1, "固化信息有效性检测（数字摘要）"},
    {1, 2, "元数据项数据长度检测"},
    {1, 3, "元数据项数据类型、格式检测"},
    {1, 6, "元数据项数据包含特殊字符检测"},
    {1, 7, "档号规范性检测"},
    {1, 8, "元数据项数据重复性检测"},
    {1, 14, "信息包一致性检测"},
    {2, 1, "数据总量检测"},
    {2, 2, "内容数据完整性检测"},
    {2, 4, "元数据必填项检测"},
    {2, 5, "过程信息完整性检测"},
    {3, 4, "内容数据可读性检测"},
    {3, 8, "内容数据格式合规性检测"},
    {4, 1, "恶意代码检测（可执行内容）"},
    {4, 2, "加密内容检测"},
};

static const char *prop_name[5] = {"", "真实性", "完整性", "可用性", "安全性"};

struct problem {
	char *object, *where, *msg;
	int error;
	struct problem *next;
};

struct item {
	int64_t checked, errors, warnings;
	char *note;
	struct problem *head, *tail;
	int kept;
};

struct dg_fourcheck {
	char stage[4];
	char *format, *package;
	struct item it[I_COUNT];
	regex_t danghao;
	int danghao_ready;
	int64_t docs, bytes, selected, written;
	int package_ran;
	int64_t started_us;
};

struct dg_fourcheck *
dg_fourcheck_new(const char *stage, const char *format, const char *package)
{
	struct dg_fourcheck *fc = dg_calloc(1, sizeof(*fc));

	if (!fc)
		return NULL;
	snprintf(fc->stage, sizeof(fc->stage), "%s", stage && strcmp(stage, "GD") == 0 ? "GD" : "YJ");
	fc->format = dg_strdup(format ? format : "");
	fc->package = dg_strdup(package ? package : "");
	fc->started_us = dg_now_us();
	if (!fc->format || !fc->package || dg_fourcheck_set_danghao_pattern(fc, NULL, NULL) < 0) {
		dg_fourcheck_free(fc);
		return NULL;
	}
	return fc;
}

void
dg_fourcheck_free(struct dg_fourcheck *fc)
{
	size_t i;

	if (!fc)
		return;
	for (i = 0; i < I_COUNT; i++) {
		while (fc->it[i].head) {
			struct problem *p = fc->it[i].head;
			fc->it[i].head = p->next;
			dg_free(p->object);
			dg_free(p->where);
			dg_free(p->msg);
			dg_free(p);
		}
		dg_free(fc->it[i].note);
	}
	if (fc->danghao_ready)
		regfree(&fc->danghao);
	dg_free(fc->format);
	dg_free(fc->package);
	dg_free(fc);
}

int
dg_fourcheck_set_danghao_pattern(struct dg_fourcheck *fc, const char *ere, struct dg_err *err)
{
	regex_t re;
	int rc = regcomp(&re, ere ? ere : DANGHAO_DEFAULT, REG_EXTENDED | REG_NOSUB);

	if (rc != 0) {
		char msg[256];
		regerror(rc, &re, msg, sizeof(msg));
		if (err)
			dg_err_set(err, DG_FAILED, "档号 pattern: %s", msg);
		return -1;
	}
	if (fc->danghao_ready)
		regfree(&fc->danghao);
	fc->danghao = re;
	fc->danghao_ready = 1;
	return 0;
}

static void problem(struct dg_fourcheck *fc, enum item_id id, int error, const char *object, const char *where,
                    const char *fmt, ...) DG_PRINTF(6, 7);
static void
problem(struct dg_fourcheck *fc, enum item_id id, int error, const char *object, const char *where, const char *fmt,
        ...)
{
	struct item *it = &fc->it[id];
	struct problem *p;
	va_list ap;

	if (error)
		it->errors++;
	else
		it->warnings++;
	if (it->kept >= KEEP_PROBLEMS || !(p = dg_calloc(1, sizeof(*p))))
		return;
	va_start(ap, fmt);
	{
		char msg[1024];
		vsnprintf(msg, sizeof(msg), fmt, ap);
		p->msg = dg_strdup(msg);
	}
	va_end(ap);
	p->object = object ? dg_strdup(object) : NULL;
	p->where = where ? dg_strdup(where) : NULL;
	p->error = error;
	if (it->tail)
		it->tail->next = p;
	else
		it->head = p;
	it->tail = p;
	it->kept++;
}

/* ---- per-document checks ----------------------------------------------- */

/* sha256 of a file into hex; -1 when it cannot be read. */
static int
file_sha256(const char *path, char hex[65], int64_t *size)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char *buf = dg_malloc(HASH_CHUNK);
	int fd = -1, rc = -1;
	ssize_t n;

	*size = 0;
	if (!md || !buf || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		goto out;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, buf, HASH_CHUNK)) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)n);
		*size += n;
	}
	if (n < 0 || EVP_DigestFinal_ex(md, dig, &dlen) != 1)
		goto out;
	dg_hex(dig, dlen, hex);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	dg_free(buf);
	EVP_MD_CTX_free(md);
	return rc;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ISO 8601: YYYY[-MM[-DD[THH:MM[:SS[.f+]]][Z|±HH[:]MM]]] */
static int
iso_date_ok(const char *s)
{
	const char *p = s;
	int i;

	for (i = 0; i < 4; i++)
		if (*p < '0' || *p++ > '9')
			return 0;
	if (!*p)
		return 1;
	for (i = 0; i < 2 && *p == '-'; i++) {
		p++;
		if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
			return 0;
		p += 2;
	}
	if (!*p)
		return 1;
	if (*p != 'T' && *p != ' ')
		return 0;
	p++;
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] != ':' || p[3] < '0' || p[3] > '9')
		return 0;
	p += 5;
	if (*p == ':') {
		p += 3;
		if (*p == '.' || *p == ',')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
	}
	if (!*p || (*p == 'Z' && !p[1]))
		return 1;
	if (*p != '+' && *p != '-')
		return 0;
	p++;
	for (i = 0; *p; p++)
		if (*p >= '0' && *p <= '9')
			i++;
		else if (*p != ':')
			return 0;
	return i == 4;
}

static int
has_special(const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
			return 1;
	return !dg_utf8_valid(v, strlen(v));
}

static int
type_in(const char *type, const char *const *list)
{
	size_t n;

	if (!type)
		return 0;
	n = strcspn(type, ";");
	for (; *list; list++)
		if (strlen(*list) == n && strncmp(type, *list, n) == 0)
			return 1;
	return 0;
}

/* Open formats fit for long-term preservation (DA/T 31-2017, DA/T 47,
 * GB/T 18894-2016: TIFF, JPEG, JPEG 2000, PDF, OFD, XML, plain text,
 * and the open standard formats of mail and web pages). */
static const char *const preserve_types[] = {"application/pdf",
                                             "image/tiff",
                                             "image/jpeg",
                                             "image/jp2",
                                             "image/jpx",
                                             "image/png",
                                             "application/ofd",
                                             "application/xml",
                                             "text/xml",
                                             "text/plain",
                                             "text/html",
                                             "text/csv",
                                             "message/rfc822",
                                             "image/x-portable-bitmap",
                                             "image/x-portable-greymap",
                                             "image/gif",
                                             NULL};
static const char *const exec_types[] = {"application/x-executable",
                                         "application/x-dosexec",
                                         "application/x-sharedlib",
                                         "application/x-mach-binary",
                                         "application/x-msdownload",
                                         "application/x-pie-executable",
                                         "text/x-shellscript",
                                         "application/x-sh",
                                         "application/javascript",
                                         "text/javascript",
                                         "application/x-msi",
                                         "application/vnd.microsoft.portable-executable",
                                         NULL};
static const char *const crypt_types[] = {"application/pgp-encrypted", "application/pkcs7-mime",
                                          "application/x-pkcs7-mime",  "application/x-pkcs12",
                                          "application/encrypted",     NULL};

static void check_doc(struct dg_fourcheck *fc, struct dg_doc *doc, int original_proved);

void
dg_fourcheck_doc(struct dg_fourcheck *fc, struct dg_doc *doc)
{
	check_doc(fc, doc, 0);
}

void
dg_fourcheck_doc_copied(struct dg_fourcheck *fc, struct dg_doc *doc)
{
	check_doc(fc, doc, 1);
}

static void
check_doc(struct dg_fourcheck *fc, struct dg_doc *doc, int original_proved)
{
	const struct dg_host *h = dg_engine_host();
	const char *id = h->doc_id(doc) ? h->doc_id(doc) : h->doc_version(doc);
	struct dg_part_info pi;
	struct dg_event_info ev;
	const char *key, *value, *type = h->media_type(doc);
	int has_original = 0, has_ingest = 0;
	size_t i, j;

	fc->docs++;
	/* parts: fixity, readability */
	for (i = 0; h->part_n(doc, i, &pi) == 0; i++) {
		char hex[65];
		int64_t size;
		fc->it[I_FIXITY].checked++;
		if (strcmp(pi.role, DG_ROLE_ORIGINAL) == 0) {
			has_original = 1;
			fc->it[I_READABLE].checked++;
			if (original_proved) { /* hashed against its id while it was copied */
				fc->bytes += pi.size;
				continue;
			}
		}
		if (file_sha256(pi.path, hex, &size) < 0) {
			problem(fc, I_FIXITY, 1, id, pi.role, "cannot read %s: %s", pi.path, strerror(errno));
			if (strcmp(pi.role, DG_ROLE_ORIGINAL) == 0)
				problem(fc, I_READABLE, 1, id, pi.role, "the original cannot be read");
			continue;
		}
		fc->bytes += size;
		if (strncmp(pi.id, "sha256:", 7) != 0 || strcmp(pi.id + 7, hex) != 0)
			problem(fc, I_FIXITY, 1, id, pi.role, "digest is sha256:%s, recorded %s", hex, pi.id);
		else if (size != pi.size)
			problem(fc, I_FIXITY, 1, id, pi.role, "size is %lld, recorded %lld", (long long)size,
			        (long long)pi.size);
	}
	fc->it[I_CONTENT].checked++;
	if (!has_original && h->doc_id(doc))
		problem(fc, I_CONTENT, 1, id, NULL, "the document has no original");
	/* metadata */
	for (i = 0; h->meta_n(doc, i, &key, &value) == 0; i++) {
		size_t len = strlen(value);
		fc->it[I_LENGTH].checked++;
		fc->it[I_SPECIAL].checked++;
		fc->it[I_REPEAT].checked++;
		if (len > VALUE_MAX)
			problem(fc, I_LENGTH, 0, id, key, "value of %zu bytes (more than %d)", len, VALUE_MAX);
		if (has_special(value))
			problem(fc, I_SPECIAL, 1, id, key, "control characters or invalid UTF-8 in the value");
		if (strcmp(key, "dc.date") == 0 || ends_with(key, ".date") || strcmp(key, "source.mtime") == 0 ||
		    strcmp(key, "日期") == 0) {
			fc->it[I_FORMAT].checked++;
			if (!iso_date_ok(value))
				problem(fc, I_FORMAT, 1, id, key, "'%.64s' is not an ISO 8601 date", value);
		} else if (strcmp(key, "source.size") == 0) {
			int64_t v;
			fc->it[I_FORMAT].checked++;
			if (dg_parse_i64(value, &v) < 0 || v < 0)
				problem(fc, I_FORMAT, 1, id, key, "'%.64s' is not a size", value);
		}
		if (strcmp(key, "档号") == 0 || strcmp(key, "archive.code") == 0) {
			fc->it[I_DANGHAO].checked++;
			if (regexec(&fc->danghao, value, 0, NULL, 0) != 0)
				problem(fc, I_DANGHAO, 1, id, key, "'%.64s' does not follow the 档号 pattern", value);
		}
		for (j = 0; j < i; j++) {
			const char *k2, *v2;
			if (j > 256) /* bounded: long lists are checked against their head */
				break;
			if (h->meta_n(doc, j, &k2, &v2) == 0 && strcmp(k2, key) == 0 && strcmp(v2, value) == 0) {
				problem(fc, I_REPEAT, 0, id, key, "value repeated");
				break;
			}
		}
	}
	/* required items: a title (or name) and a date */
	fc->it[I_REQUIRED].checked++;
	if (!h->meta_get(doc, "dc.title") && !h->meta_get(doc, "title") && !h->meta_get(doc, "题名") &&
	    !h->meta_get(doc, "email.subject") && !h->meta_get(doc, "source.name") && !h->meta_get(doc, "archive.path"))
		problem(fc, I_REQUIRED, 0, id, "题名", "no title, subject or name");
	/* process history */
	fc->it[I_PROCESS].checked++;
	for (i = 0; h->event_n(doc, i, &ev) == 0; i++)
		if (ev.type && (strcmp(ev.type, "ingest") == 0 || strcmp(ev.type, "duplicate") == 0))
			has_ingest = 1;
	if (i == 0)
		problem(fc, I_PROCESS, 1, id, NULL, "the version has no provenance events");
	else if (!has_ingest)
		problem(fc, I_PROCESS, 0, id, NULL, "no ingest event in the version's history");
	/* formats */
	if (has_original) {
		const char *name = h->meta_get(doc, "source.name");
		fc->it[I_PRESERVE].checked++;
		fc->it[I_MALICIOUS].checked++;
		fc->it[I_ENCRYPTED].checked++;
		if (!type_in(type, preserve_types))
			problem(fc, I_PRESERVE, 0, id, type ? type : "?", "not a format for long-term preservation");
		if (type_in(type, exec_types))
			problem(fc, I_MALICIOUS, 0, id, type, "executable content");
		if (type_in(type, crypt_types))
			problem(fc, I_ENCRYPTED, 0, id, type, "encrypted content");
		if (name && !strrchr(name, '.'))
			problem(fc, I_READABLE, 0, id, name, "the file name has no extension");
	}
}

/* ---- the package ------------------------------------------------------- */

void
dg_fourcheck_package_finding(struct dg_fourcheck *fc, enum dg_finding_level level, const char *code, const char *where,
                             const char *msg)
{
	if (level == DG_FINDING_ERROR || level == DG_FINDING_WARN)
		problem(fc, I_PACKAGE, level == DG_FINDING_ERROR, code, where, "%s", msg);
}

void
dg_fourcheck_package_done(struct dg_fourcheck *fc, int ran, int64_t docs_selected, int64_t docs_written)
{
	fc->package_ran = ran;
	fc->selected = docs_selected;
	fc->written = docs_written;
	if (ran)
		fc->it[I_PACKAGE].checked++;
	else
		fc->it[I_PACKAGE].note = dg_strdup("未检测：该格式无包校验或已按要求跳过");
	fc->it[I_TOTAL].checked++;
	if (docs_written != docs_selected)
		problem(fc, I_TOTAL, 1, NULL, NULL, "%lld documents selected, %lld written", (long long)docs_selected,
		        (long long)docs_written);
}

/* 通过 / 警告 / 不通过 / 不适用 */
static const char *
verdict(const struct item *it)
{
	if (it->errors)
		return "不通过";
	if (it->warnings)
		return "警告";
	return it->checked ? "通过" : "不适用";
}

int
dg_fourcheck_failed(const struct dg_fourcheck *fc)
{
	int i, n = 0;

	for (i = 0; i < I_COUNT; i++)
		n += fc->it[i].errors > 0;
	return n;
}

int
dg_fourcheck_warned(const struct dg_fourcheck *fc)
{
	int i, n = 0;

	for (i = 0; i < I_COUNT; i++)
		n += !fc->it[i].errors && fc->it[i].warnings > 0;
	return n;
}

static const char *
prop_verdict(const struct dg_fourcheck *fc, int prop)
{
	int i, warn = 0;

	for (i = 0; i < I_COUNT; i++) {
		if (item_def[i].prop != prop)
			continue;
		if (fc->it[i].errors)
			return "不通过";
		warn |= fc->it[i].warnings > 0;
	}
	return warn ? "通过（有警告）" : "通过";
}

#define W(call)                                                                                                        \
	do {                                                                                                           \
		if ((call) < 0)                                                                                        \
			goto out;                                                                                      \
	} while (0)

static int
write_xml(struct dg_fourcheck *fc, struct dg_buf *b)
{
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = xb ? xmlNewTextWriterMemory(xb, 0) : NULL;
	char when[32], code[32], num[32];
	int i, p, rc = -1;

	if (!w)
		goto out;
	dg_iso8601(fc->started_us / 1000000, when, sizeof(when));
	xmlTextWriterSetIndent(w, 1);
	W(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
	W(xmlTextWriterStartElement(w, BAD_CAST "四性检测报告"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST "urn:dangan:four-properties:1"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "依据", BAD_CAST "DA/T 70-2018; GB/T 18894-2016"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "环节",
	                              BAD_CAST(strcmp(fc->stage, "GD") == 0 ? "归档" : "移交与接收")));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "检测时间", BAD_CAST when));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "检测软件", BAD_CAST("dangan " PACKAGE_VERSION)));
	W(xmlTextWriterStartElement(w, BAD_CAST "检测对象"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "格式", BAD_CAST fc->format));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "信息包", BAD_CAST fc->package));
	snprintf(num, sizeof(num), "%lld", (long long)fc->docs);
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "文件数", BAD_CAST num));
	snprintf(num, sizeof(num), "%lld", (long long)fc->bytes);
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "字节数", BAD_CAST num));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, BAD_CAST "结论"));
	for (p = 1; p <= 4; p++)
		W(xmlTextWriterWriteAttribute(w, BAD_CAST prop_name[p], BAD_CAST prop_verdict(fc, p)));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "总体", BAD_CAST(dg_fourcheck_failed(fc) ? "不通过" : "通过")));
	W(xmlTextWriterEndElement(w));
	for (p = 1; p <= 4; p++) {
		W(xmlTextWriterStartElement(w, BAD_CAST prop_name[p]));
		for (i = 0; i < I_COUNT; i++) {
			const struct item *it = &fc->it[i];
			const struct problem *pr;
			if (item_def[i].prop != p)
				continue;
			snprintf(code, sizeof(code), "%s-%d-%d", fc->stage, item_def[i].prop, item_def[i].n);
			W(xmlTextWriterStartElement(w, BAD_CAST "检测项"));
			W(xmlTextWriterWriteAttribute(w, BAD_CAST "编号", BAD_CAST code));
			W(xmlTextWriterWriteAttribute(w, BAD_CAST "名称", BAD_CAST item_def[i].name));
			W(xmlTextWriterWriteAttribute(w, BAD_CAST "结果", BAD_CAST verdict(it)));
			snprintf(num, sizeof(num), "%lld", (long long)it->checked);
			W(xmlTextWriterWriteAttribute(w, BAD_CAST "检测数", BAD_CAST num));
			snprintf(num, sizeof(num), "%lld", (long long)it->errors);
			W(xmlTextWriterWriteAttribute(w, BAD_CAST "错误数", BAD_CAST num));
			snprintf(num, sizeof(num), "%lld", (long long)it->warnings);
			W(xmlTextWriterWriteAttribute(w, BAD_CAST "警告数", BAD_CAST num));
			if (it->note)
				W(xmlTextWriterWriteElement(w, BAD_CAST "说明", BAD_CAST it->note));
			for (pr = it->head; pr; pr = pr->next) {
				W(xmlTextWriterStartElement(w, BAD_CAST "问题"));
				W(xmlTextWriterWriteAttribute(w, BAD_CAST "级别",
				                              BAD_CAST(pr->error ? "错误" : "警告")));
				if (pr->object)
					W(xmlTextWriterWriteAttribute(w, BAD_CAST "对象", BAD_CAST pr->object));
				if (pr->where)
					W(xmlTextWriterWriteAttribute(w, BAD_CAST "位置", BAD_CAST pr->where));
				W(xmlTextWriterWriteString(w, BAD_CAST pr->msg));
				W(xmlTextWriterEndElement(w));
			}
			W(xmlTextWriterEndElement(w));
		}
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndDocument(w));
	xmlFreeTextWriter(w);
	w = NULL;
	rc = dg_buf_add(b, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
out:
	if (w)
		xmlFreeTextWriter(w);
	if (xb)
		xmlBufferFree(xb);
	return rc;
}

static int
write_text(struct dg_fourcheck *fc, struct dg_buf *b)
{
	char when[32];
	int i, p;

	dg_iso8601(fc->started_us / 1000000, when, sizeof(when));
	dg_buf_addf(b, "四性检测报告 (DA/T 70-2018)\n环节: %s   时间: %s   软件: dangan %s\n",
	            strcmp(fc->stage, "GD") == 0 ? "归档" : "移交与接收", when, PACKAGE_VERSION);
	dg_buf_addf(b, "信息包: %s (%s), %lld 件, %lld 字节\n", fc->package, fc->format, (long long)fc->docs,
	            (long long)fc->bytes);
	dg_buf_addf(b, "结论: %s\n", dg_fourcheck_failed(fc) ? "不通过" : "通过");
	for (p = 1; p <= 4; p++) {
		dg_buf_addf(b, "\n%s: %s\n", prop_name[p], prop_verdict(fc, p));
		for (i = 0; i < I_COUNT; i++) {
			const struct item *it = &fc->it[i];
			const struct problem *pr;
			int shown = 0;
			if (item_def[i].prop != p)
				continue;
			dg_buf_addf(b, "  %s-%d-%d %-8s %s (%lld 项, %lld 错误, %lld 警告)%s%s\n", fc->stage,
			            item_def[i].prop, item_def[i].n, verdict(it), item_def[i].name,
			            (long long)it->checked, (long long)it->errors, (long long)it->warnings,
			            it->note ? " " : "", it->note ? it->note : "");
			for (pr = it->head; pr && shown < 10; pr = pr->next, shown++)
				dg_buf_addf(b, "      %s %s%s%s: %s\n", pr->error ? "错误" : "警告",
				            pr->object ? pr->object : "", pr->where ? " " : "",
				            pr->where ? pr->where : "", pr->msg);
			if (it->errors + it->warnings > shown)
				dg_buf_addf(b, "      … 共 %lld 条, 详见 XML 报告\n",
				            (long long)(it->errors + it->warnings));
		}
	}
	return b->oom ? -1 : 0;
}

int
dg_fourcheck_write(struct dg_fourcheck *fc, const char *base, struct dg_err *err)
{
	struct dg_buf b;
	char *path = NULL;
	int rc = -1;

	dg_buf_init(&b, 0);
	if (write_xml(fc, &b) < 0 || !(path = dg_asprintf("%s.xml", base)) ||
	    dg_write_file_atomic(path, b.data, b.len, 1) < 0)
		goto fail;
	dg_free(path);
	dg_buf_reset(&b);
	if (write_text(fc, &b) < 0 || !(path = dg_asprintf("%s.txt", base)) ||
	    dg_write_file_atomic(path, b.data, b.len, 1) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	dg_err_set(err, DG_FAILED, "cannot write the four-property report %s: %s", path ? path : base,
	           errno ? strerror(errno) : "out of memory");
out:
	dg_free(path);
	dg_buf_release(&b);
	return rc;
}
