/*
 * plugins/carrier/carrier.c -- the transfer carrier (移交载体) of the
 * 电子档案移交与接收办法 (国家档案局 2012, 附件2):
 *
 *   说明文件.TXT        what the carrier holds (UTF-8)
 *   文件目录.XML        <文件目录><文件><顺序号/><档号/><责任者/><题名/>
 *                       <日期/><密级/><电子档案名称/><备注/></文件>...
 *   电子档案/年度/类别/档号/档号.ext    the originals (and derived parts)
 *   其他/校验值.TXT     "sha256  path" of every file under 电子档案/
 *
 * 档号 after DA/T 22-2015, 全宗号-门类代码·年度-保管期限-机构(问题)代码-件号,
 * e.g. J001-WS·2016-Y-BGS-0005; the pattern is an option, a document's
 * own 档号 (metadata 档号 or archive.code) wins.  件号 count per year
 * and class in export order.
 *
 * Everything is written as it comes (the catalogue through libxml2's
 * streaming writer, files copied in chunks while hashed): memory does
 * not grow with the export.  verify() checks a carrier from anyone:
 * the catalogue parses (network and entities off), every listed file
 * exists inside the carrier, every checksum matches, no file under
 * 电子档案/ is unlisted (载体中多余文件), 档号 are unique.
 */
#include <config.h>
#include <dangan/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <openssl/evp.h>

#define CHUNK (256u << 10)
#define NAME_MAX_BYTES 200
#define CATALOG_MAX ((long)1 << 30) /* 文件目录.XML read by verify() */
#define YEARS_MAX 512

static const struct dg_option carrier_options[] = {
    {.name = "fonds", .type = DG_OPT_STRING, .default_value = "J001", .help = "全宗号"},
    {.name = "class", .type = DG_OPT_STRING, .default_value = "WS", .help = "门类代码 (WS 文书, KH 客户 ...)"},
    {.name = "retention",
     .type = DG_OPT_STRING,
     .default_value = "Y",
     .help = "保管期限代码 when a document has none: Y 永久, D30, D10"},
    {.name = "org", .type = DG_OPT_STRING, .default_value = "", .help = "机构(问题)代码; empty: left out"},
    {.name = "pattern",
     .type = DG_OPT_STRING,
     .default_value = "{fonds}-{class}·{year}-{retention}-{org}-{seq4}",
     .help = "档号 template: {fonds} {class} {year} {retention} {org} {seq} {seq4}; an empty {org} drops its dash"},
    {.name = "unit", .type = DG_OPT_STRING, .default_value = "", .help = "移交单位 named in 说明文件.TXT"},
    {.name = "parts",
     .type = DG_OPT_STRING,
     .default_value = "original",
     .help = "original: the originals only; all: derived parts (text, hOCR, PDF) too"},
    {.name = NULL},
};

struct year_seq {
	int year;
	long seq;
};

struct carrier {
	const char *fonds, *klass, *retention, *org, *pattern, *unit;
	int all_parts;
	/* one export */
	char *root;
	xmlTextWriterPtr cat;
	FILE *sums;
	long n;
	int64_t bytes;
	struct year_seq years[YEARS_MAX];
	int nyears;
	char *buf;
};

static int
carrier_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct carrier *c = calloc(1, sizeof(*c));
	const char *parts;

	if (!c) {
		host->error(ctx, "out of memory");
		return DG_FATAL;
	}
	c->fonds = host->opt_string(opts, "fonds");
	c->klass = host->opt_string(opts, "class");
	c->retention = host->opt_string(opts, "retention");
	c->org = host->opt_string(opts, "org");
	c->pattern = host->opt_string(opts, "pattern");
	c->unit = host->opt_string(opts, "unit");
	parts = host->opt_string(opts, "parts");
	if (strcmp(parts, "all") == 0)
		c->all_parts = 1;
	else if (strcmp(parts, "original") != 0) {
		host->error(ctx, "parts must be 'original' or 'all', not '%s'", parts);
		free(c);
		return DG_FAILED;
	}
	*state = c;
	return DG_OK;
}

static void
carrier_fini(void *state)
{
	struct carrier *c = state;

	if (!c)
		return;
	if (c->cat)
		xmlFreeTextWriter(c->cat);
	if (c->sums)
		fclose(c->sums);
	free(c->root);
	free(c->buf);
	free(c);
}

static char *
join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

static int
mkdirs(const char *path)
{
	char tmp[4096];
	char *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -1;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int
carrier_begin(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *out)
{
	struct carrier *c = state;
	char *path = NULL;
	int rc = DG_FAILED;

	c->root = strdup(out);
	c->buf = malloc(CHUNK);
	if (!c->root || !c->buf || mkdir(out, 0755) < 0) {
		host->error(ctx, "cannot create %s: %s", out, strerror(errno));
		return DG_FAILED;
	}
	if (!(path = join(out, "其他")) || mkdir(path, 0755) < 0)
		goto io;
	free(path);
	if (!(path = join(out, "其他/校验值.TXT")) || !(c->sums = fopen(path, "wx")))
		goto io;
	free(path);
	if (!(path = join(out, "文件目录.XML")) || !(c->cat = xmlNewTextWriterFilename(path, 0)))
		goto io;
	xmlTextWriterSetIndent(c->cat, 1);
	if (xmlTextWriterStartDocument(c->cat, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(c->cat, BAD_CAST "文件目录") < 0)
		goto io;
	rc = DG_OK;
	goto out;
io:
	host->error(ctx, "cannot write %s: %s", path ? path : out, strerror(errno));
out:
	free(path);
	return rc;
}

/* The first value of the first key that has one. */
static const char *
first(const struct dg_host *host, struct dg_doc *d, const char *const *keys)
{
	for (; *keys; keys++) {
		const char *v = host->meta_get(d, *keys);
		if (v && *v)
			return v;
	}
	return NULL;
}

static int
doc_year(const struct dg_host *host, struct dg_doc *d)
{
	static const char *const keys[] = {"日期", "dc.date", "email.date", "source.mtime", NULL};
	const char *v = first(host, d, keys);
	int y = 0, i;

	if (v) {
		for (i = 0; i < 4 && v[i] >= '0' && v[i] <= '9'; i++)
			y = y * 10 + (v[i] - '0');
		if (i == 4 && y >= 1000)
			return y;
	}
	{
		time_t t = (time_t)(host->doc_created(d) / 1000000);
		struct tm tm;
		gmtime_r(&t, &tm);
		return tm.tm_year + 1900;
	}
}

static long
next_seq(struct carrier *c, int year)
{
	int i;

	for (i = 0; i < c->nyears; i++)
		if (c->years[i].year == year)
			return ++c->years[i].seq;
	if (c->nyears == YEARS_MAX)
		return ++c->years[0].seq; /* absurd spread of years: share one counter */
	c->years[c->nyears].year = year;
	c->years[c->nyears].seq = 1;
	return c->years[c->nyears++].seq;
}

/* Expand the 档号 template. */
static int
make_danghao(struct carrier *c, const char *retention, int year, long seq, char *out, size_t cap)
{
	const char *p = c->pattern;
	size_t n = 0;

	out[0] = '\0';
	while (*p) {
		char val[128] = "";
		const char *end;
		int w;
		if (*p != '{') {
			if (n + 1 >= cap)
				return -1;
			out[n++] = *p++;
			out[n] = '\0';
			continue;
		}
		end = strchr(p, '}');
		if (!end)
			return -1;
		w = (int)(end - p - 1);
		if (w == 5 && strncmp(p + 1, "fonds", 5) == 0)
			snprintf(val, sizeof(val), "%s", c->fonds);
		else if (w == 5 && strncmp(p + 1, "class", 5) == 0)
			snprintf(val, sizeof(val), "%s", c->klass);
		else if (w == 4 && strncmp(p + 1, "year", 4) == 0)
			snprintf(val, sizeof(val), "%04d", year);
		else if (w == 9 && strncmp(p + 1, "retention", 9) == 0)
			snprintf(val, sizeof(val), "%s", retention);
		else if (w == 3 && strncmp(p + 1, "org", 3) == 0) {
			snprintf(val, sizeof(val), "%s", c->org);
			if (!*val && n > 0 && out[n - 1] == '-' && end[1] == '-')
				out[--n] = '\0'; /* no 机构代码: no empty field */
		} else if (w == 3 && strncmp(p + 1, "seq", 3) == 0)
			snprintf(val, sizeof(val), "%ld", seq);
		else if (w == 4 && strncmp(p + 1, "seq4", 4) == 0)
			snprintf(val, sizeof(val), "%04ld", seq);
		else
			return -1;
		if (n + strlen(val) + 1 >= cap)
			return -1;
		memcpy(out + n, val, strlen(val) + 1);
		n += strlen(val);
		p = end + 1;
	}
	return 0;
}

/* A name safe as one path component: no '/', no control characters, no
 * leading dot, at most NAME_MAX_BYTES bytes (cut on a UTF-8 boundary). */
static void
safe_name(const char *in, char *out, size_t cap)
{
	size_t n = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)in; *p && n + 1 < cap && n < NAME_MAX_BYTES; p++)
		out[n++] = (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f) ? '_' : (char)*p;
	while (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
		n--; /* do not end inside a character */
	if (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0xc0)
		n--;
	out[n] = '\0';
	if (out[0] == '.')
		out[0] = '_';
	if (!out[0])
		snprintf(out, cap, "_");
}

static const char *
extension(const char *name, const char *type)
{
	static const struct {
		const char *type, *ext;
	} map[] = {{"application/pdf", ".pdf"},     {"image/tiff", ".tif"},       {"image/jpeg", ".jpg"},
	           {"image/png", ".png"},           {"image/jp2", ".jp2"},        {"text/plain", ".txt"},
	           {"text/html", ".html"},          {"application/xml", ".xml"},  {"text/xml", ".xml"},
	           {"message/rfc822", ".eml"},      {"application/zip", ".zip"},  {"application/ofd", ".ofd"},
	           {"text/vnd.hocr+html", ".hocr"}, {"application/mbox", ".mbox"}};
	const char *dot = name ? strrchr(name, '.') : NULL;
	size_t i, n;

	if (dot && strlen(dot) <= 8 && dot[1] &&
	    strspn(dot + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == strlen(dot + 1))
		return dot;
	if (!type)
		return ".bin";
	n = strcspn(type, ";");
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].type) == n && strncmp(type, map[i].type, n) == 0)
			return map[i].ext;
	return ".bin";
}

/* Copy src to dst (new file) while hashing it; hex gets the sha256. */
static int
copy_hash(struct carrier *c, const struct dg_host *host, struct dg_ctx *ctx, const char *src, const char *dst,
          char hex[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;
	int in = -1, out = -1, rc = -1;
	ssize_t n;

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		host->error(ctx, "cannot copy %s to %s: %s", src, dst, strerror(errno));
		goto out;
	}
	while ((n = read(in, c->buf, CHUNK)) > 0) {
		const char *p = c->buf;
		ssize_t left = n;
		EVP_DigestUpdate(md, c->buf, (size_t)n);
		while (left > 0) {
			ssize_t w = write(out, p, (size_t)left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				host->error(ctx, "cannot write %s: %s", dst, strerror(errno));
				goto out;
			}
			p += w;
			left -= w;
		}
		c->bytes += n;
		host->progress(ctx, n);
	}
	if (n < 0) {
		host->error(ctx, "cannot read %s: %s", src, strerror(errno));
		goto out;
	}
	EVP_DigestFinal_ex(md, dig, &dlen);
	for (i = 0; i < dlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", dig[i]);
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && rc == 0) {
		host->error(ctx, "cannot write %s: %s", dst, strerror(errno));
		rc = -1;
	}
	EVP_MD_CTX_free(md);
	return rc;
}

static int
write_elem(xmlTextWriterPtr w, const char *name, const char *value)
{
	return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST(value ? value : ""));
}

static int
carrier_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *d)
{
	static const char *const title_keys[] = {"题名",        "dc.title",     "title", "email.subject",
	                                         "source.name", "archive.path", NULL};
	static const char *const creator_keys[] = {"责任者", "dc.creator", "email.from", NULL};
	static const char *const date_keys[] = {"日期", "dc.date", "email.date", "source.mtime", NULL};
	struct carrier *c = state;
	struct dg_part_info pi;
	const char *own = host->meta_get(d, "档号") ? host->meta_get(d, "档号") : host->meta_get(d, "archive.code");
	const char *retention = host->meta_get(d, "保管期限") ? host->meta_get(d, "保管期限") : c->retention;
	const char *name = host->meta_get(d, "source.name");
	char dh[256], dhsafe[256], rel[1024], num[32], hex[65], fname[300];
	char *dir = NULL, *dst = NULL;
	int year = doc_year(host, d), rc = DG_FAILED;
	long seq;
	size_t i;

	if (!host->part_path(d, DG_ROLE_ORIGINAL))
		return DG_DECLINED; /* a document without bytes has nothing to transfer */
	seq = next_seq(c, year);
	if (own && *own)
		snprintf(dh, sizeof(dh), "%s", own);
	else if (make_danghao(c, retention, year, seq, dh, sizeof(dh)) < 0) {
		host->error(ctx, "bad 档号 pattern '%s'", c->pattern);
		return DG_FATAL;
	}
	safe_name(dh, dhsafe, sizeof(dhsafe));
	snprintf(rel, sizeof(rel), "电子档案/%04d/%s/%s", year, c->klass, dhsafe);
	if (!(dir = join(c->root, rel)) || mkdirs(dir) < 0) {
		host->error(ctx, "cannot create %s: %s", rel, strerror(errno));
		goto out;
	}
	c->n++;
	xmlTextWriterStartElement(c->cat, BAD_CAST "文件");
	snprintf(num, sizeof(num), "%ld", c->n);
	write_elem(c->cat, "顺序号", num);
	write_elem(c->cat, "档号", dh);
	write_elem(c->cat, "责任者", first(host, d, creator_keys));
	write_elem(c->cat, "题名", first(host, d, title_keys));
	write_elem(c->cat, "日期", first(host, d, date_keys));
	write_elem(c->cat, "密级", host->meta_get(d, "密级") ? host->meta_get(d, "密级") : "无");
	for (i = 0; host->part_n(d, i, &pi) == 0; i++) {
		int orig = strcmp(pi.role, DG_ROLE_ORIGINAL) == 0;
		char relf[1400];
		if (!orig && !c->all_parts)
			continue;
		if (orig)
			snprintf(fname, sizeof(fname), "%s%s", dhsafe, extension(name, pi.media_type));
		else
			snprintf(fname, sizeof(fname), "%s-%s%s", dhsafe, pi.role, extension(NULL, pi.media_type));
		snprintf(relf, sizeof(relf), "%s/%s", rel, fname);
		free(dst);
		if (!(dst = join(c->root, relf)) || copy_hash(c, host, ctx, pi.path, dst, hex) < 0)
			goto out;
		if (strncmp(pi.id, "sha256:", 7) != 0 || strcmp(pi.id + 7, hex) != 0) {
			host->error(ctx, "%s: the store object read back as sha256:%s", pi.id, hex);
			goto out;
		}
		if (fprintf(c->sums, "%s  %s\n", hex, relf) < 0) {
			host->error(ctx, "cannot write 校验值.TXT: %s", strerror(errno));
			goto out;
		}
		if (orig)
			write_elem(c->cat, "电子档案名称", relf);
	}
	{
		char note[200];
		snprintf(note, sizeof(note), "%s", host->doc_id(d));
		write_elem(c->cat, "备注", note);
	}
	if (xmlTextWriterEndElement(c->cat) < 0) {
		host->error(ctx, "cannot write 文件目录.XML");
		goto out;
	}
	rc = DG_OK;
out:
	free(dir);
	free(dst);
	return rc;
}

static int
carrier_end(struct dg_ctx *ctx, const struct dg_host *host, void *state)
{
	struct carrier *c = state;
	char *path = NULL, when[32];
	FILE *f = NULL;
	time_t now = time(NULL);
	struct tm tm;
	int rc = DG_FAILED;

	if (xmlTextWriterEndDocument(c->cat) < 0) {
		host->error(ctx, "cannot finish 文件目录.XML");
		return DG_FAILED;
	}
	xmlFreeTextWriter(c->cat);
	c->cat = NULL;
	if (fflush(c->sums) != 0 || fsync(fileno(c->sums)) < 0 || fclose(c->sums) != 0) {
		c->sums = NULL;
		host->error(ctx, "cannot write 校验值.TXT: %s", strerror(errno));
		return DG_FAILED;
	}
	c->sums = NULL;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!(path = join(c->root, "说明文件.TXT")) || !(f = fopen(path, "wx")))
		goto io;
	fprintf(f,
	        "说明文件\n\n"
	        "移交单位: %s\n全宗号: %s\n门类代码: %s\n生成时间: %s\n生成软件: dangan (carrier %s)\n"
	        "电子档案件数: %ld\n电子档案总字节数: %lld\n字符编码: UTF-8\n\n"
	        "载体结构:\n"
	        "  说明文件.TXT      本文件\n"
	        "  文件目录.XML      文件级目录 (顺序号, 档号, 责任者, 题名, 日期, 密级, 电子档案名称, 备注)\n"
	        "  电子档案/         按 年度/门类/档号 存放的电子档案\n"
	        "  其他/校验值.TXT   电子档案/ 下每个文件的 SHA-256 校验值\n\n"
	        "档号结构 (DA/T 22-2015): 全宗号-门类代码·年度-保管期限-机构(问题)代码-件号\n"
	        "备注 为 dangan 中文档的标识 (原始文件的 SHA-256)。\n",
	        *c->unit ? c->unit : "(未填写)", c->fonds, c->klass, when, "1.0.0", c->n, (long long)c->bytes);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		goto io;
	rc = DG_OK;
	goto out;
io:
	host->error(ctx, "cannot write %s: %s", path ? path : "说明文件.TXT", strerror(errno));
out:
	if (f)
		fclose(f);
	free(path);
	return rc;
}

/* ---- verify ------------------------------------------------------------ */

struct listed {
	char **v;
	size_t n, cap;
};

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
listed_add(struct listed *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strdup(s)))
		return -1;
	l->n++;
	return 0;
}

static void
listed_free(struct listed *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Is rel a plain relative path inside the carrier? */
static int
rel_ok(const char *rel)
{
	const char *p = rel;

	if (!*rel || *rel == '/')
		return 0;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += n;
		if (*p == '/')
			p++;
	}
	return 1;
}

static int
file_sha256(const char *path, char *buf, char hex[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = -1;
	ssize_t n;

	if (fd < 0 || !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, buf, CHUNK)) > 0)
		EVP_DigestUpdate(md, buf, (size_t)n);
	if (n < 0)
		goto out;
	EVP_DigestFinal_ex(md, dig, &dlen);
	for (i = 0; i < dlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", dig[i]);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	return rc;
}

/* the tree walk has no context argument: one verify at a time per process */
static struct {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	struct listed *sums;
	size_t rootlen;
	long extra;
} walk;

static int
walk_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	const char *rel = path + walk.rootlen + 1;
	char *key = (char *)rel;

	(void)sb;
	(void)ftw;
	if (flag == FTW_D || flag == FTW_DP)
		return 0;
	if (flag == FTW_SL || flag == FTW_SLN) {
		walk.host->finding(walk.ctx, DG_FINDING_ERROR, "CARRIER-LINK", rel, "a symbolic link in the carrier");
		return 0;
	}
	if (!walk.sums->n || !bsearch(&key, walk.sums->v, walk.sums->n, sizeof(char *), cmpstr)) {
		walk.host->finding(walk.ctx, DG_FINDING_ERROR, "CARRIER-EXTRA", rel,
		                   "a file that no checksum lists (载体中多余文件)");
		walk.extra++;
	}
	return 0;
}

static int
carrier_verify(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *path)
{
	struct carrier *c = state;
	struct listed sums = {0}, danghao = {0};
	xmlDocPtr doc = NULL;
	xmlNodePtr root, f, e;
	char *p = NULL, *line = NULL, *buf = malloc(CHUNK), hex[65];
	size_t cap = 0;
	ssize_t len;
	FILE *in = NULL;
	struct stat st;
	long errors = 0, files = 0;
	size_t i;

	(void)c;
	if (!buf) {
		host->error(ctx, "out of memory");
		return DG_FAILED;
	}
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		host->finding(ctx, DG_FINDING_ERROR, "CARRIER-ROOT", path, "not a directory");
		free(buf);
		return DG_FAILED;
	}
	/* 说明文件.TXT */
	p = join(path, "说明文件.TXT");
	if (!p || stat(p, &st) < 0) {
		host->finding(ctx, DG_FINDING_ERROR, "CARRIER-README", "说明文件.TXT", "missing");
		errors++;
	}
	free(p);
	/* checksums: every line "hex  path", every file present and right */
	p = join(path, "其他/校验值.TXT");
	if (!p || !(in = fopen(p, "r"))) {
		host->finding(ctx, DG_FINDING_ERROR, "CARRIER-SUMS", "其他/校验值.TXT", "missing");
		errors++;
	}
	free(p);
	p = NULL;
	while (in && (len = getline(&line, &cap, in)) > 0) {
		char *full;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len < 67 || line[64] != ' ' || line[65] != ' ' || strspn(line, "0123456789abcdef") != 64) {
			host->finding(ctx, DG_FINDING_ERROR, "CARRIER-SUMS", "其他/校验值.TXT", "bad line: %.80s",
			              line);
			errors++;
			continue;
		}
		if (!rel_ok(line + 66) || strncmp(line + 66, "电子档案/", strlen("电子档案/")) != 0) {
			host->finding(ctx, DG_FINDING_ERROR, "CARRIER-PATH", line + 66,
			              "a path outside 电子档案/ or escaping the carrier");
			errors++;
			continue;
		}
		files++;
		if (listed_add(&sums, line + 66) < 0)
			break;
		full = join(path, line + 66);
		if (!full || file_sha256(full, buf, hex) < 0) {
			host->finding(ctx, DG_FINDING_ERROR, "CARRIER-MISSING", line + 66, "listed but cannot be read");
			errors++;
		} else if (memcmp(hex, line, 64) != 0) {
			host->finding(ctx, DG_FINDING_ERROR, "CARRIER-CHECKSUM", line + 66,
			              "sha256 is %s, listed %.64s", hex, line);
			errors++;
		}
		free(full);
	}
	if (in)
		fclose(in);
	free(line);
	if (sums.n > 1)
		qsort(sums.v, sums.n, sizeof(char *), cmpstr);
	for (i = 1; i < sums.n; i++)
		if (strcmp(sums.v[i - 1], sums.v[i]) == 0) {
			host->finding(ctx, DG_FINDING_ERROR, "CARRIER-SUMS", sums.v[i], "listed twice");
			errors++;
		}
	/* 文件目录.XML */
	p = join(path, "文件目录.XML");
	if (p && stat(p, &st) == 0 && st.st_size > CATALOG_MAX) {
		host->finding(ctx, DG_FINDING_ERROR, "CARRIER-CATALOG", "文件目录.XML", "larger than %ld bytes",
		              CATALOG_MAX);
		errors++;
	} else if (!p || !(doc = xmlReadFile(p, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING))) {
		host->finding(ctx, DG_FINDING_ERROR, "CARRIER-CATALOG", "文件目录.XML",
		              "missing or not well-formed XML");
		errors++;
	}
	free(p);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (doc && (!root || xmlStrcmp(root->name, BAD_CAST "文件目录") != 0 || doc->intSubset)) {
		host->finding(ctx, DG_FINDING_ERROR, "CARRIER-CATALOG", "文件目录.XML",
		              "the root must be <文件目录>, without a DTD");
		errors++;
		root = NULL;
	}
	for (f = root ? root->children : NULL; f; f = f->next) {
		xmlChar *dh = NULL, *name = NULL;
		if (f->type != XML_ELEMENT_NODE)
			continue;
		for (e = f->children; e; e = e->next) {
			if (e->type != XML_ELEMENT_NODE)
				continue;
			if (!xmlStrcmp(e->name, BAD_CAST "档号") && !dh)
				dh = xmlNodeGetContent(e);
			else if (!xmlStrcmp(e->name, BAD_CAST "电子档案名称") && !name)
				name = xmlNodeGetContent(e);
		}
		if (!dh || !*dh) {
			host->finding(ctx, DG_FINDING_ERROR, "CARRIER-DANGHAO", "文件目录.XML", "a 文件 without 档号");
			errors++;
		} else {
			listed_add(&danghao, (const char *)dh);
		}
		if (!name || !*name) {
			host->finding(ctx, DG_FINDING_ERROR, "CARRIER-NAME", dh ? (const char *)dh : "文件目录.XML",
			              "a 文件 without 电子档案名称");
			errors++;
		} else {
			char *key = (char *)name;
			if (!rel_ok(key) || !sums.n || !bsearch(&key, sums.v, sums.n, sizeof(char *), cmpstr)) {
				host->finding(ctx, DG_FINDING_ERROR, "CARRIER-NAME", (const char *)name,
				              "电子档案名称 names no file of the carrier");
				errors++;
			}
		}
		xmlFree(dh);
		xmlFree(name);
	}
	if (danghao.n > 1)
		qsort(danghao.v, danghao.n, sizeof(char *), cmpstr);
	for (i = 1; i < danghao.n; i++)
		if (strcmp(danghao.v[i - 1], danghao.v[i]) == 0) {
			host->finding(ctx, DG_FINDING_ERROR, "CARRIER-DANGHAO", danghao.v[i], "档号 used twice");
			errors++;
		}
	/* nothing under 电子档案/ that is not listed */
	p = join(path, "电子档案");
	if (p && stat(p, &st) == 0) {
		walk.ctx = ctx;
		walk.host = host;
		walk.sums = &sums;
		walk.rootlen = strlen(path);
		walk.extra = 0;
		nftw(p, walk_cb, 32, FTW_PHYS);
		errors += walk.extra;
	}
	free(p);
	if (!errors)
		host->finding(ctx, DG_FINDING_PASS, NULL, path, "%ld files, checksums and catalogue consistent", files);
	xmlFreeDoc(doc);
	listed_free(&sums);
	listed_free(&danghao);
	free(buf);
	return errors ? DG_FAILED : DG_OK;
}

static const struct dg_plugin carrier_plugin = {
    DG_PLUGIN_HEADER,
    .name = "carrier",
    .version = "1.0.0",
    .summary = "transfer carrier: 说明文件.TXT, 文件目录.XML, 电子档案/年度/门类/档号 (DA/T 22 档号)",
    .kind = DG_KIND_EXPORT,
    .flags = DG_PLUGIN_CHECKS_FIXITY,
    .options = carrier_options,
    .init = carrier_init,
    .fini = carrier_fini,
    .process = carrier_process,
    .export_begin = carrier_begin,
    .export_end = carrier_end,
    .verify = carrier_verify,
};

DG_PLUGIN_DEFINE(carrier_plugin)
