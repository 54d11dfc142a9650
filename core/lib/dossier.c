/* dossier.c -- see dossier.h. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "dossier.h"
#include "xmlsafe.h"

#define DOCTYPE_NS "urn:dangan:doctype:1"

const char *const dg_dossier_fields[] = {"户名", "用电地址", "联系电话", "合同容量", "用电类别", NULL};
const char *const dg_dossier_date_keys[] = {"签订日期", "申请日期", "日期", "dc.date", "email.date", NULL};

/* ---- dates ------------------------------------------------------------ */

#define MAX_TOKENS 32

struct token {
	int is_num;
	long val;     /* a number */
	int ndigits;  /* its digits (a Chinese number with 十 counts 2) */
	uint32_t sep; /* otherwise: the character */
	const char *at;
};

static uint32_t
next_char(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0];
	int n, i;

	if (c < 0x80) {
		*p = s + 1;
		return c;
	}
	n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
	if (n < 0) {
		*p = s + 1;
		return 0xfffd;
	}
	c &= 0x3fu >> n;
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p = s + 1;
			return 0xfffd;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*p = s + n + 1;
	return c;
}

/* 0..9 for a digit (ASCII, full-width, Chinese), 10 for 十, else -1. */
static int
digit_of(uint32_t c)
{
	static const uint32_t zh[] = {0x3007, 0x4e00, 0x4e8c, 0x4e09, 0x56db,
	                              0x4e94, 0x516d, 0x4e03, 0x516b, 0x4e5d}; /* 〇一二三四五六七八九 */
	int i;

	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	if (c >= 0xff10 && c <= 0xff19)
		return (int)(c - 0xff10);
	if (c == 0x96f6) /* 零 */
		return 0;
	if (c == 0x5341) /* 十 */
		return 10;
	for (i = 0; i < 10; i++)
		if (zh[i] == c)
			return i;
	return -1;
}

static size_t
tokenise(const char *in, struct token *t, size_t cap)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0;

	while (*p && n < cap) {
		const unsigned char *at = p;
		uint32_t c = next_char(&p);
		int d = digit_of(c);
		if (d < 0) {
			t[n].is_num = 0;
			t[n].sep = c;
			t[n].at = (const char *)at;
			n++;
			continue;
		}
		/* a run of digits; with 十 a Chinese number (十二, 二十五) */
		{
			long val = 0, tens = -1;
			int nd = 0, ten = 0;
			const unsigned char *q = at;
			for (;;) {
				const unsigned char *save = q;
				uint32_t ch;
				int dd;
				if (!*q)
					break;
				ch = next_char(&q);
				dd = digit_of(ch);
				if (dd < 0) {
					q = save;
					break;
				}
				if (dd == 10) {
					if (ten)
						break; /* a second 十: garbage */
					ten = 1;
					tens = nd ? val : 1;
					val = 0;
					nd = 0;
					continue;
				}
				if (nd < 9)
					val = val * 10 + dd;
				nd++;
			}
			if (ten) {
				if (nd > 1)
					val = -1; /* 十二三 */
				else
					val = tens * 10 + val;
				nd = 2;
			}
			t[n].is_num = 1;
			t[n].val = val;
			t[n].ndigits = nd;
			t[n].at = (const char *)at;
			n++;
			p = q;
		}
	}
	return n;
}

static int
days_in(long y, long m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static int
make_date(long y, long m, long d, char out[11])
{
	char tmp[48];

	if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days_in(y, m))
		return -1;
	snprintf(tmp, sizeof(tmp), "%04ld-%02ld-%02ld", y, m, d);
	memcpy(out, tmp, 11);
	return 0;
}

static int
month_name(const char *s)
{
	static const char *const mon[] = {"jan", "feb", "mar", "apr", "may", "jun",
	                                  "jul", "aug", "sep", "oct", "nov", "dec"};
	int i, k;

	for (i = 0; i < 12; i++) {
		for (k = 0; k < 3; k++) {
			char ch = s[k];
			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			if (ch != mon[i][k])
				break;
		}
		if (k == 3)
			return i + 1;
	}
	return 0;
}

static int
is_space(uint32_t c)
{
	return c == ' ' || c == '\t' || c == 0x3000;
}

int
dg_date_iso(const char *in, char out[11])
{
	struct token t[MAX_TOKENS];
	size_t n, i, j;

	out[0] = '\0';
	if (!in)
		return -1;
	n = tokenise(in, t, MAX_TOKENS);
	for (i = 0; i < n; i++) {
		if (!t[i].is_num)
			continue;
		/* YYYYMMDD */
		if (t[i].ndigits == 8 && make_date(t[i].val / 10000, t[i].val / 100 % 100, t[i].val % 100, out) == 0)
			return 0;
		/* YYYY sep M sep D, or YYYY年M月D日 (spaces allowed around the parts) */
		if (t[i].ndigits == 4) {
			long ymd[3];
			uint32_t sep = 0;
			size_t k = i + 1;
			int part = 1, bad = 0;
			ymd[0] = t[i].val;
			while (part < 3 && k < n && !bad) {
				uint32_t s = 0;
				while (k < n && !t[k].is_num && is_space(t[k].sep))
					k++;
				if (k < n && !t[k].is_num)
					s = t[k++].sep;
				while (k < n && !t[k].is_num && is_space(t[k].sep))
					k++;
				if (!s || k >= n || !t[k].is_num || t[k].ndigits > 2) {
					bad = 1;
					break;
				}
				if (part == 1) {
					sep = s;
					if (s != '-' && s != '/' && s != '.' && s != 0x5e74 /* 年 */)
						bad = 1;
				} else if (!(s == sep || (sep == 0x5e74 && s == 0x6708 /* 月 */))) {
					bad = 1;
				}
				ymd[part++] = t[k++].val;
			}
			if (!bad && part == 3 && make_date(ymd[0], ymd[1], ymd[2], out) == 0)
				return 0;
		}
		/* D Mon YYYY (RFC 5322) */
		if (t[i].ndigits <= 2) {
			j = i + 1;
			while (j < n && !t[j].is_num && t[j].sep == ' ')
				j++;
			if (j < n && !t[j].is_num) {
				int m = month_name(t[j].at);
				size_t k = j;
				while (k < n && !t[k].is_num)
					k++;
				if (m && k < n && t[k].ndigits == 4 && make_date(t[k].val, m, t[i].val, out) == 0)
					return 0;
			}
		}
	}
	out[0] = '\0';
	return -1;
}

const char *
dg_dossier_formed(const struct dg_record *r, char out[11])
{
	size_t i, k, n;

	out[0] = '\0';
	for (i = 0; dg_dossier_date_keys[i]; i++) {
		n = dg_record_meta_count(r, dg_dossier_date_keys[i]);
		for (k = 0; k < n; k++)
			if (dg_date_iso(dg_record_meta_n(r, dg_dossier_date_keys[i], k), out) == 0)
				return dg_dossier_date_keys[i];
	}
	return NULL;
}

/* ---- filing scope ----------------------------------------------------- */

void
dg_scope_init(struct dg_scope *s)
{
	memset(s, 0, sizeof(*s));
}

void
dg_scope_release(struct dg_scope *s)
{
	size_t i, k;

	for (i = 0; i < s->nbiz; i++) {
		dg_free(s->biz[i].business);
		for (k = 0; k < s->biz[i].ntypes; k++)
			dg_free(s->biz[i].types[k]);
		dg_free(s->biz[i].types);
	}
	dg_free(s->biz);
	for (i = 0; i < s->ntypes; i++) {
		dg_free(s->types[i].code);
		dg_free(s->types[i].name);
	}
	dg_free(s->types);
	dg_scope_init(s);
}

const struct dg_scope_business *
dg_scope_find(const struct dg_scope *s, const char *business)
{
	size_t i;

	for (i = 0; i < s->nbiz; i++)
		if (strcmp(s->biz[i].business, business) == 0)
			return &s->biz[i];
	return NULL;
}

const char *
dg_scope_type_name(const struct dg_scope *s, const char *code)
{
	size_t i;

	for (i = 0; i < s->ntypes; i++)
		if (strcmp(s->types[i].code, code) == 0)
			return s->types[i].name;
	return NULL;
}

static int
is_el(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && xmlStrcmp(n->ns->href, BAD_CAST DOCTYPE_NS) == 0 &&
	       xmlStrcmp(n->name, BAD_CAST name) == 0;
}

/* An attribute as a trimmed string of ours (NULL when absent or empty). */
static char *
prop(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);
	char *s = NULL;
	size_t a = 0, b;

	if (!v)
		return NULL;
	b = strlen((char *)v);
	while (a < b && (v[a] == ' ' || v[a] == '\t' || v[a] == '\n' || v[a] == '\r'))
		a++;
	while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t' || v[b - 1] == '\n' || v[b - 1] == '\r'))
		b--;
	if (b > a)
		s = dg_strndup((char *)v + a, b - a);
	xmlFree(v);
	return s;
}

static int
grow(void **arr, size_t n, size_t *cap, size_t size)
{
	void *p;
	size_t nc;

	if (n < *cap)
		return 0;
	if (n >= DG_SCOPE_MAX_ITEMS)
		return -1;
	nc = *cap ? *cap * 2 : 8;
	p = dg_realloc(*arr, nc * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = nc;
	return 0;
}

struct loader {
	struct dg_scope *s;
	size_t capbiz, captypes;
	struct dg_err *err;
	const char *file;
};

static int
add_require(struct loader *l, struct dg_scope_business *b, char *code)
{
	size_t i;

	for (i = 0; i < b->ntypes; i++)
		if (strcmp(b->types[i], code) == 0) {
			dg_free(code);
			return 0;
		}
	if (grow((void **)&b->types, b->ntypes, &b->captypes, sizeof(*b->types)) < 0) {
		dg_free(code);
		dg_err_set(l->err, DG_FAILED, "%s: too many required types", l->file);
		return -1;
	}
	b->types[b->ntypes++] = code;
	return 0;
}

static int
load_scope(struct loader *l, xmlNodePtr n)
{
	struct dg_scope_business *b;
	char *business = prop(n, "business");
	xmlNodePtr c;

	if (!business) {
		dg_err_set(l->err, DG_FAILED, "%s:%d: <scope> needs a business attribute", l->file,
		           (int)xmlGetLineNo(n));
		return -1;
	}
	b = (struct dg_scope_business *)dg_scope_find(l->s, business);
	if (b) {
		dg_free(business);
	} else {
		if (grow((void **)&l->s->biz, l->s->nbiz, &l->capbiz, sizeof(*l->s->biz)) < 0) {
			dg_free(business);
			dg_err_set(l->err, DG_FAILED, "%s: too many scopes", l->file);
			return -1;
		}
		b = &l->s->biz[l->s->nbiz++];
		memset(b, 0, sizeof(*b));
		b->business = business;
	}
	for (c = n->children; c; c = c->next) {
		char *code;
		if (!is_el(c, "require"))
			continue;
		code = prop(c, "type");
		if (!code) {
			dg_err_set(l->err, DG_FAILED, "%s:%d: <require> needs a type attribute", l->file,
			           (int)xmlGetLineNo(c));
			return -1;
		}
		if (add_require(l, b, code) < 0)
			return -1;
	}
	return 0;
}

static int
load_doctype(struct loader *l, xmlNodePtr n)
{
	struct dg_scope_type *t;
	char *code = prop(n, "code");
	xmlNodePtr c;

	if (!code)
		return 0; /* the schema says what is wrong; the scope needs only codes */
	for (size_t i = 0; i < l->s->ntypes; i++)
		if (strcmp(l->s->types[i].code, code) == 0) {
			dg_free(code); /* defined twice: the first definition names it */
			return 0;
		}
	if (grow((void **)&l->s->types, l->s->ntypes, &l->captypes, sizeof(*l->s->types)) < 0) {
		dg_free(code);
		dg_err_set(l->err, DG_FAILED, "%s: too many document types", l->file);
		return -1;
	}
	t = &l->s->types[l->s->ntypes++];
	t->code = code;
	t->name = NULL;
	for (c = n->children; c; c = c->next) {
		xmlChar *lang, *text;
		int zh;
		if (!is_el(c, "name"))
			continue;
		lang = xmlGetProp(c, BAD_CAST "lang");
		zh = lang && xmlStrcmp(lang, BAD_CAST "zh") == 0;
		xmlFree(lang);
		if (t->name && !zh)
			continue;
		text = xmlNodeGetContent(c);
		if (text) {
			dg_free(t->name);
			t->name = dg_strdup((char *)text);
			xmlFree(text);
		}
		if (zh)
			break;
	}
	return 0;
}

static int
load_file(struct loader *l, const char *path, const char *schema)
{
	struct dg_err xerr = {0};
	xmlDocPtr doc;
	xmlNodePtr root, n;
	int rc = -1;

	l->file = path;
	doc = dg_xml_read_file(path, &xerr);
	if (!doc) {
		dg_err_set(l->err, DG_FAILED, "%s", xerr.msg);
		return -1;
	}
	if (schema && access(schema, R_OK) == 0 && dg_xml_validate_rng(doc, path, schema, &xerr) < 0) {
		dg_err_set(l->err, DG_FAILED, "%s", xerr.msg);
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !is_el(root, "doctypes")) {
		dg_err_set(l->err, DG_FAILED, "%s: not a document-type definition (<doctypes xmlns=\"%s\">)", path,
		           DOCTYPE_NS);
		goto out;
	}
	for (n = root->children; n; n = n->next) {
		if (is_el(n, "scope") && load_scope(l, n) < 0)
			goto out;
		if (is_el(n, "doctype") && load_doctype(l, n) < 0)
			goto out;
	}
	rc = 0;
out:
	xmlFreeDoc(doc);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
dg_scope_load(struct dg_scope *s, const char *dir, const char *schema, struct dg_err *err)
{
	struct loader l = {s, 0, 0, err, NULL};
	char *names[DG_SCOPE_MAX_FILES];
	size_t n = 0, i;
	struct dirent *de;
	DIR *d;
	int rc = -1;

	dg_xml_init();
	d = opendir(dir);
	if (!d) {
		dg_err_set(err, DG_FAILED, "cannot read the catalogue %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".xml") != 0)
			continue;
		if (n == DG_SCOPE_MAX_FILES) {
			dg_err_set(err, DG_FAILED, "%s: more than %d definition files", dir, DG_SCOPE_MAX_FILES);
			goto out;
		}
		if (!(names[n] = dg_path_join(dir, de->d_name))) {
			dg_err_set(err, DG_FAILED, "out of memory");
			goto out;
		}
		n++;
	}
	if (n == 0) {
		dg_err_set(err, DG_FAILED, "the catalogue %s has no definition files (*.xml)", dir);
		goto out;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++)
		if (load_file(&l, names[i], schema) < 0)
			goto out;
	s->nfiles = n;
	rc = 0;
out:
	closedir(d);
	for (i = 0; i < n; i++)
		dg_free(names[i]);
	if (rc < 0)
		dg_scope_release(s);
	return rc;
}
