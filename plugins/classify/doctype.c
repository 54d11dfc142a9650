/* doctype.c -- see doctype.h. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "doctype.h"
#include "textnorm.h"

struct dg_doctype_schema {
	xmlRelaxNGPtr rng;
};

/* English month names and abbreviations */
#define DG_MONTHS                                                                                                      \
	"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"         \
	"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![A-Za-z])"

/* The value patterns of the built-in field types (on normalised text:
 * ASCII digits, ':' for '：'). */
static const char *const value_patterns[] = {
    [DG_FIELD_TEXT] = NULL,
    [DG_FIELD_DATE] =
        "(?:\\d{4}\\s*年\\s*\\d{1,2}\\s*月\\s*\\d{1,2}\\s*[日号]"
        "|\\d{4}\\s*[-/.]\\s*\\d{1,2}\\s*[-/.]\\s*\\d{1,2}"
        "|\\d{1,2}\\s*[-/.]\\s*\\d{1,2}\\s*[-/.]\\s*\\d{4}"
        "|\\d{1,2}(?i:st|nd|rd|th)?[ .,-]*" DG_MONTHS "[ .,-]*\\d{4}"
        "|" DG_MONTHS "[ .]*\\d{1,2}(?i:st|nd|rd|th)?[ ,]*\\d{4}"
        "|(?:(?:[O○@]?〇|[〇零○O0-9一二三四五六七八九])\\s*){4}年\\s*(?:[〇零一二三四五六七八九十廿卅0-9]\\s*){1,3}月"
        "\\s*(?:[〇零一二三四五六七八九十廿卅0-9]\\s*){1,3}[日号])",
    [DG_FIELD_AMOUNT] = "(?:(?:¥|\\$|(?i:RMB)|人民币)\\s*(?:\\([^():\\n]{1,8}\\)\\s*)?¥?\\s*)?(?:\\d{1,3}(?:,\\d{3})+|"
                        "\\d+)(?:\\.\\d{1,2})?"
                        "(?:\\s*万?元|\\s*万)?",
    [DG_FIELD_KVA] = "(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?(?:\\s*(?:(?i:[km]v\\.?a)|千伏·?安|兆伏安))?",
    [DG_FIELD_NUMBER] = "[-+]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?",
};

const char *
dg_field_type_name(enum dg_field_type t)
{
	switch (t) {
	case DG_FIELD_TEXT: return "text";
	case DG_FIELD_DATE: return "date";
	case DG_FIELD_AMOUNT: return "amount";
	case DG_FIELD_KVA: return "kva";
	case DG_FIELD_NUMBER: return "number";
	}
	return "?";
}

#if defined(__GNUC__)
static void errf(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif

static void
errf(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (!err || cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Schema                                                               */

struct rng_errors {
	char *buf;
	size_t cap, len;
	int count;
	const char *name;
};

static void
rng_collect(void *user, xmlErrorPtr e)
{
	struct rng_errors *st = user;
	const char *m;
	size_t l;
	int n;

	if (!e || e->level < XML_ERR_ERROR || !st->buf)
		return;
	if (++st->count > 5)
		return;
	m = e->message ? e->message : "invalid";
	l = strlen(m);
	while (l && m[l - 1] == '\n')
		l--;
	if (e->line > 0)
		n = snprintf(st->buf + st->len, st->cap - st->len, "%s%s:%d: %.*s", st->len ? "; " : "",
		             e->file ? e->file : st->name, e->line, (int)l, m);
	else if (st->len)
		n = snprintf(st->buf + st->len, st->cap - st->len, "; %.*s", (int)l, m);
	else
		n = snprintf(st->buf, st->cap, "%s: %.*s", e->file ? e->file : st->name, (int)l, m);
	if (n > 0)
		st->len = (size_t)n >= st->cap - st->len ? st->cap - 1 : st->len + (size_t)n;
}

struct dg_doctype_schema *
dg_doctype_schema_load(const char *path, char *err, size_t cap)
{
	struct dg_doctype_schema *s = NULL;
	xmlRelaxNGParserCtxtPtr pctxt;
	struct rng_errors st = {err, cap, 0, 0, path};

	xmlInitParser();
	if (err && cap)
		err[0] = '\0';
	pctxt = xmlRelaxNGNewParserCtxt(path);
	if (!pctxt) {
		errf(err, cap, "%s: cannot read the schema", path);
		return NULL;
	}
	xmlRelaxNGSetParserStructuredErrors(pctxt, rng_collect, &st);
	s = calloc(1, sizeof(*s));
	if (s)
		s->rng = xmlRelaxNGParse(pctxt);
	xmlRelaxNGFreeParserCtxt(pctxt);
	if (!s || !s->rng) {
		if (!st.len)
			errf(err, cap, "%s: cannot load the schema", path);
		free(s);
		return NULL;
	}
	return s;
}

void
dg_doctype_schema_free(struct dg_doctype_schema *s)
{
	if (!s)
		return;
	xmlRelaxNGFree(s->rng);
	free(s);
}

/* ------------------------------------------------------------------ */
/* Safe parsing: no network, no DTD (so no entity)                      */

struct parse_state {
	const char *name;
	char *err;
	size_t cap;
	int failed;
};

static void
refuse_doctype(void *user, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *st = ctxt->_private;

	(void)name;
	(void)eid;
	(void)sid;
	if (st && !st->failed) {
		st->failed = 1;
		errf(st->err, st->cap, "%s:%d: DOCTYPE declarations are not allowed", st->name,
		     xmlSAX2GetLineNumber(ctxt));
	}
	xmlStopParser(ctxt);
}

static void
parse_error(void *user, xmlErrorPtr e)
{
	struct parse_state *st = user;
	const char *m;
	size_t l;

	if (!st || st->failed || !e || e->level < XML_ERR_ERROR)
		return;
	st->failed = 1;
	m = e->message ? e->message : "XML error";
	l = strlen(m);
	while (l && m[l - 1] == '\n')
		l--;
	errf(st->err, st->cap, "%s:%d: %.*s", st->name, e->line, (int)l, m);
}

static xmlDocPtr
parse_memory(const char *data, size_t len, const char *name, char *err, size_t cap)
{
	struct parse_state st = {name, err, cap, 0};
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc = NULL;
	int opts = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES;

	if (len > DG_DOCTYPE_MAX_FILE_BYTES) {
		errf(err, cap, "%s: too large (%zu bytes, at most %zu)", name, len, DG_DOCTYPE_MAX_FILE_BYTES);
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		errf(err, cap, "%s: out of memory", name);
		return NULL;
	}
	ctxt->_private = &st;
	ctxt->sax->internalSubset = refuse_doctype;
	ctxt->sax->externalSubset = refuse_doctype;
	xmlCtxtUseOptions(ctxt, opts);
	xmlSetStructuredErrorFunc(&st, parse_error);
	doc = xmlCtxtReadMemory(ctxt, data, (int)len, name, NULL, opts);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (st.failed || !ctxt->wellFormed || !doc) {
		if (!st.failed)
			errf(err, cap, "%s: not well-formed XML", name);
		if (doc)
			xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

static int
validate(xmlDocPtr doc, const char *name, const struct dg_doctype_schema *s, char *err, size_t cap)
{
	struct rng_errors st = {err, cap, 0, 0, name};
	xmlRelaxNGValidCtxtPtr v;
	int rc;

	if (err && cap)
		err[0] = '\0';
	v = xmlRelaxNGNewValidCtxt(s->rng);
	if (!v) {
		errf(err, cap, "%s: out of memory", name);
		return -1;
	}
	xmlRelaxNGSetValidStructuredErrors(v, rng_collect, &st);
	rc = xmlRelaxNGValidateDoc(v, doc);
	xmlRelaxNGFreeValidCtxt(v);
	if (rc == 0)
		return 0;
	if (!st.len)
		errf(err, cap, "%s: does not match the document-type schema", name);
	else if (st.count > 5 && st.len + 32 < cap)
		snprintf(err + st.len, cap - st.len, " (%d more errors)", st.count - 5);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Patterns                                                             */

struct loader {
	struct dg_catalogue *c;
	const char *name; /* the file */
	char *err;
	size_t cap;
	pcre2_compile_context *cctx;
};

/* Grow *arr (of *cap elements of size sz) to hold n+1; zeroes new room. */
static int
grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*arr, ncap * sz);
	if (!p)
		return -1;
	memset((char *)p + *cap * sz, 0, (ncap - *cap) * sz);
	*arr = p;
	*cap = ncap;
	return 0;
}

struct sbuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 128;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_adds(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* A pattern as written -> the pattern matched on normalised text: every
 * character the normaliser changes is changed here too (a full-width
 * colon becomes ':'), and an ASCII punctuation character that comes out
 * of it is written \x{..} ('（' -> '\x{28}'), so that it stays a literal. */
static char *
normalise_pattern(const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, n = strlen(src), k;
	struct sbuf b = {0};
	uint32_t cp, m;
	char enc[4], hex[16];

	while (i < n) {
		if (s[i] < 0x80) {
			sb_add(&b, (const char *)s + i, 1);
			i++;
			continue;
		}
		k = dg_utf8_decode(s + i, n - i, &cp);
		i += k;
		m = dg_norm_codepoint(cp);
		if (m == 0)
			continue;
		if (m == '\n') {
			sb_adds(&b, "\\n");
			continue;
		}
		if (m < 0x80 && m != ' ' &&
		    !((m >= '0' && m <= '9') || (m >= 'A' && m <= 'Z') || (m >= 'a' && m <= 'z'))) {
			/* \x{..} is a literal inside a class and out of it */
			snprintf(hex, sizeof(hex), "\\x{%02x}", (unsigned)m);
			sb_adds(&b, hex);
			continue;
		}
		k = dg_utf8_encode(m, enc);
		sb_add(&b, enc, k);
	}
	if (b.failed || !b.p) {
		free(b.p);
		return b.failed ? NULL : strdup("");
	}
	return b.p;
}

/* A literal as written -> as it is found in the compact text: normalised
 * and without whitespace. */
static char *
normalise_literal(const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, n = strlen(src), k;
	struct sbuf b = {0};
	uint32_t cp, m;
	char enc[4];

	while (i < n) {
		k = dg_utf8_decode(s + i, n - i, &cp);
		i += k;
		m = dg_norm_codepoint(cp);
		if (m == 0 || m == ' ' || m == '\n')
			continue;
		k = dg_utf8_encode(m, enc);
		sb_add(&b, enc, k);
	}
	if (b.failed || !b.p) {
		free(b.p);
		return b.failed ? NULL : strdup("");
	}
	return b.p;
}

/* Compile; on error "FILE:LINE: what 'src': PCRE2 message at offset". */
static pcre2_code *
compile(struct loader *L, long line, const char *what, const char *shown, const char *pat, uint32_t flags)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off = 0;
	pcre2_code *re;
	uint32_t caps = 0;
	int code = 0;

	if (strlen(pat) > DG_DOCTYPE_MAX_PATTERN) {
		errf(L->err, L->cap, "%s:%ld: %s '%.80s...' is longer than %d bytes", L->name, line, what, shown,
		     DG_DOCTYPE_MAX_PATTERN);
		return NULL;
	}
	/* PCRE2_LITERAL takes few other options */
	if (!(flags & PCRE2_LITERAL))
		flags |= PCRE2_NEVER_BACKSLASH_C;
	re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF | flags, &code, &off, L->cctx);
	if (!re) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		errf(L->err, L->cap, "%s:%ld: %s '%s' is not a valid regular expression: %s (at offset %zu)", L->name,
		     line, what, shown, (const char *)msg, (size_t)off);
		return NULL;
	}
	if (L->c->jit)
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* the interpreter when JIT is not there */
	if (pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &caps) == 0 && caps > L->c->max_captures)
		L->c->max_captures = caps;
	return re;
}

/* ------------------------------------------------------------------ */
/* The tree                                                             */

static int
is_el(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       strcmp((const char *)n->ns->href, DG_DOCTYPE_NS) == 0 && strcmp((const char *)n->name, name) == 0;
}

static char *
attr(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
	char *r;

	if (!v)
		return NULL;
	r = strdup((const char *)v);
	xmlFree(v);
	return r;
}

static int
attr_bool(xmlNodePtr n, const char *name)
{
	char *v = attr(n, name);
	int r = v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);

	free(v);
	return r;
}

static char *
content(xmlNodePtr n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *r;

	if (!v)
		return strdup("");
	r = strdup((const char *)v);
	xmlFree(v);
	return r;
}

static double
attr_weight(xmlNodePtr n)
{
	char *v = attr(n, "weight");
	double w = 1;
	char *t;

	if (v) {
		/* the schema allows xsd:decimal: spaces around, a leading '+' */
		for (t = v + strlen(v); t > v && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\n'); t--)
			t[-1] = '\0';
		t = v;
		while (*t == ' ' || *t == '\t' || *t == '\n')
			t++;
		if (dg_parse_decimal(t, &w) != 0 || w <= 0)
			w = 1;
	}
	free(v);
	return w;
}

static void
cue_release(struct dg_cue *q)
{
	free(q->source);
	pcre2_code_free(q->re);
}

static void
field_release(struct dg_field *f)
{
	size_t i;

	free(f->name);
	pcre2_code_free(f->vre);
	for (i = 0; i < f->nex; i++) {
		pcre2_code_free(f->ex[i].re);
		free(f->ex[i].source);
	}
	free(f->ex);
	for (i = 0; i < f->nval; i++) {
		pcre2_code_free(f->val[i].re);
		free(f->val[i].pattern);
		free(f->val[i].min);
		free(f->val[i].max);
	}
	free(f->val);
}

static void
doctype_release(struct dg_doctype *t)
{
	size_t i;

	free(t->code);
	free(t->name);
	free(t->name_en);
	free(t->category);
	free(t->retention);
	free(t->file);
	for (i = 0; i < t->ncues; i++)
		cue_release(&t->cues[i]);
	free(t->cues);
	for (i = 0; i < t->nfields; i++)
		field_release(&t->fields[i]);
	free(t->fields);
	for (i = 0; i < t->ncuts; i++)
		pcre2_code_free(t->cuts[i]);
	free(t->cuts);
}

static size_t
count_el(xmlNodePtr parent, const char *name)
{
	xmlNodePtr c;
	size_t n = 0;

	for (c = parent->children; c; c = c->next)
		if (is_el(c, name))
			n++;
	return n;
}

static int
load_cues(struct loader *L, struct dg_doctype *t, xmlNodePtr cues)
{
	xmlNodePtr c;
	size_t n = 0;

	for (c = cues->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			n++;
	if (n > DG_DOCTYPE_MAX_CUES) {
		errf(L->err, L->cap, "%s:%ld: type %s has %zu cues (at most %d)", L->name, xmlGetLineNo(cues), t->code,
		     n, DG_DOCTYPE_MAX_CUES);
		return -1;
	}
	t->cues = calloc(n + 1, sizeof(*t->cues));
	if (!t->cues)
		goto oom;
	for (c = cues->children; c; c = c->next) {
		struct dg_cue *q;
		long line = xmlGetLineNo(c);
		uint32_t flags;
		char *pat;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		q = &t->cues[t->ncues++];
		if (is_el(c, "title"))
			q->kind = DG_CUE_TITLE;
		else if (is_el(c, "keyword"))
			q->kind = DG_CUE_KEYWORD;
		else if (is_el(c, "regex"))
			q->kind = DG_CUE_REGEX;
		else
			q->kind = DG_CUE_NEGATIVE;
		q->weight = attr_weight(c);
		q->literal = q->kind == DG_CUE_KEYWORD || (q->kind == DG_CUE_NEGATIVE && !attr_bool(c, "regex"));
		flags = attr_bool(c, "ignore-case") ? PCRE2_CASELESS : 0;
		if (!(q->source = content(c)))
			goto oom;
		pat = q->literal ? normalise_literal(q->source) : normalise_pattern(q->source);
		if (!pat)
			goto oom;
		if (!*pat) {
			errf(L->err, L->cap, "%s:%ld: type %s: the %s cue is empty", L->name, line, t->code,
			     (const char *)c->name);
			free(pat);
			return -1;
		}
		q->re = compile(L, line,
		                q->kind == DG_CUE_TITLE ? "title"
		                : q->literal            ? "literal"
		                                        : "regex",
		                q->source, pat, flags | (q->literal ? PCRE2_LITERAL : 0));
		free(pat);
		if (!q->re)
			return -1;
	}
	return 0;
oom:
	errf(L->err, L->cap, "%s: out of memory", L->name);
	return -1;
}

static int
reserved_field(const char *name)
{
	return strcmp(name, "doctype") == 0 || strncmp(name, "doctype.", 8) == 0 || strncmp(name, "review.", 7) == 0 ||
	       strcmp(name, "field.problems") == 0;
}

/* A bound of a validator: an ISO date for a date field, else a number. */
static int
load_bound(struct loader *L, struct dg_field *f, long line, char *v, double *out)
{
	char iso[16];

	if (!v)
		return 0;
	if (f->type == DG_FIELD_DATE) {
		if (dg_norm_date(v, strlen(v), iso, sizeof(iso)) != 0 || strcmp(iso, v) != 0) {
			errf(L->err, L->cap, "%s:%ld: field %s: bound '%s' is not a date YYYY-MM-DD", L->name, line,
			     f->name, v);
			return -1;
		}
		return 0;
	}
	if (f->type == DG_FIELD_TEXT) {
		errf(L->err, L->cap, "%s:%ld: field %s: min and max apply to number, amount, kva and date fields",
		     L->name, line, f->name);
		return -1;
	}
	if (dg_parse_decimal(v, out) != 0) {
		errf(L->err, L->cap, "%s:%ld: field %s: bound '%s' is not a number", L->name, line, f->name, v);
		return -1;
	}
	return 0;
}

static int
load_field(struct loader *L, struct dg_doctype *t, struct dg_field *f, xmlNodePtr n)
{
	long fline = xmlGetLineNo(n);
	xmlNodePtr c, valnode = NULL;
	char *type = NULL, *amb = NULL, *order = NULL, *value = NULL, *vpat = NULL, *pat = NULL, *src = NULL;
	size_t i, nlabels, nregex, nval;
	struct sbuf b = {0};
	int rc = -1;

	f->name = attr(n, "name");
	type = attr(n, "type");
	amb = attr(n, "on-ambiguity");
	order = attr(n, "date-order");
	if (!f->name)
		goto oom;
	if (reserved_field(f->name)) {
		errf(L->err, L->cap, "%s:%ld: field name '%s' is reserved for the classification", L->name, fline,
		     f->name);
		goto out;
	}
	for (i = 0; i + 1 < t->nfields; i++)
		if (strcmp(t->fields[i].name, f->name) == 0) {
			errf(L->err, L->cap, "%s:%ld: type %s: field %s is defined twice", L->name, fline, t->code,
			     f->name);
			goto out;
		}
	f->type = DG_FIELD_TEXT;
	if (type) {
		for (i = DG_FIELD_TEXT; i <= DG_FIELD_NUMBER; i++)
			if (strcmp(type, dg_field_type_name((enum dg_field_type)i)) == 0)
				f->type = (enum dg_field_type)i;
	}
	f->required = attr_bool(n, "required");
	if (order) {
		if (f->type != DG_FIELD_DATE) {
			errf(L->err, L->cap, "%s:%ld: field %s: date-order applies to date fields", L->name, fline,
			     f->name);
			goto out;
		}
		f->date_order = strcmp(order, "dmy") == 0   ? DG_DATE_DMY
		                : strcmp(order, "mdy") == 0 ? DG_DATE_MDY
		                                            : DG_DATE_YMD;
	}
	f->first = amb && strcmp(amb, "first") == 0;
	nlabels = count_el(n, "label");
	nregex = count_el(n, "regex");
	nval = count_el(n, "validate");
	for (c = n->children; c; c = c->next)
		if (is_el(c, "value"))
			valnode = c;
	if (nlabels + nregex > DG_DOCTYPE_MAX_EXTRACTORS || nval > DG_DOCTYPE_MAX_VALIDATORS) {
		errf(L->err, L->cap, "%s:%ld: field %s: at most %d labels and regexes and %d validators", L->name,
		     fline, f->name, DG_DOCTYPE_MAX_EXTRACTORS, DG_DOCTYPE_MAX_VALIDATORS);
		goto out;
	}
	if (nlabels + nregex == 0) {
		errf(L->err, L->cap, "%s:%ld: field %s has no <label> and no <regex>: nothing would find it", L->name,
		     fline, f->name);
		goto out;
	}
	if (f->type == DG_FIELD_TEXT && !valnode && nlabels > 0) {
		errf(L->err, L->cap, "%s:%ld: field %s (type text) has labels but no <value> pattern", L->name, fline,
		     f->name);
		goto out;
	}
	if (valnode) {
		if (!(value = content(valnode)) || !(vpat = normalise_pattern(value)))
			goto oom;
		if (!*vpat) {
			errf(L->err, L->cap, "%s:%ld: field %s: the value pattern is empty", L->name,
			     xmlGetLineNo(valnode), f->name);
			goto out;
		}
		/* on its own first, so that an error points at it */
		f->vre = compile(L, xmlGetLineNo(valnode), "value pattern", value, vpat, 0);
		if (!f->vre)
			goto out;
	} else if (value_patterns[f->type]) {
		f->vre =
		    compile(L, fline, "built-in value pattern", value_patterns[f->type], value_patterns[f->type], 0);
		if (!f->vre)
			goto out;
	}
	f->ex = calloc(nlabels + nregex + 1, sizeof(*f->ex));
	f->val = calloc(nval + 1, sizeof(*f->val));
	if (!f->ex || !f->val)
		goto oom;
	for (c = n->children; c; c = c->next) {
		long line = xmlGetLineNo(c);
		struct dg_extractor *x;
		uint32_t flags;
		int num;

		if (!is_el(c, "label") && !is_el(c, "regex"))
			continue;
		x = &f->ex[f->nex++];
		x->label = is_el(c, "label");
		flags = attr_bool(c, "ignore-case") ? PCRE2_CASELESS : 0;
		if (!(x->source = content(c)) || !(src = normalise_pattern(x->source)))
			goto oom;
		if (x->label) {
			/* the label's own flags apply to the label only */
			if (flags) {
				size_t l = strlen(src) + 8;
				char *wrapped = malloc(l);
				if (!wrapped)
					goto oom;
				snprintf(wrapped, l, "(?i:%s)", src);
				free(src);
				src = wrapped;
			}
			/* the label alone: checked first, for a clear message, and
			 * kept to cut a value that runs into the next label */
			if (grow((void **)&t->cuts, &t->capcuts, t->ncuts, sizeof(*t->cuts)) < 0)
				goto oom;
			t->cuts[t->ncuts] = compile(L, line, "label", x->source, src, 0);
			if (!t->cuts[t->ncuts])
				goto out;
			t->ncuts++;
			/* the label, separators, at most a short aside in brackets
			 * ("户号(10位):"), at most 20 characters of filler (no
			 * letter, digit, Chinese character, colon or line break),
			 * the value, not inside a longer number, not itself a label */
			b.len = 0;
			sb_adds(&b, "(?:");
			sb_adds(&b, src);
			sb_adds(&b, ")[ \\t:]*(?:\\([^():\\n]{1,12}\\)[ \\t]*:?[ \\t]*)?"
			            "[^:\\n\\p{Han}0-9A-Za-z]{0,20}?(?<![0-9])(?<value>");
			sb_adds(&b, vpat ? vpat : value_patterns[f->type]);
			sb_adds(&b, ")(?![0-9])(?![ \\t]*:)");
			if (b.failed)
				goto oom;
			x->re = compile(L, line, "label with its value", x->source, b.p, 0);
		} else {
			x->re = compile(L, line, "field regex", x->source, src, flags);
		}
		free(src);
		src = NULL;
		if (!x->re)
			goto out;
		num = pcre2_substring_number_from_name(x->re, (PCRE2_SPTR) "value");
		if (num <= 0) {
			errf(L->err, L->cap, "%s:%ld: field %s: regex '%s' has no group named \"value\" (?<value>...)",
			     L->name, line, f->name, x->source);
			goto out;
		}
		x->group = (uint32_t)num;
	}
	for (c = n->children; c; c = c->next) {
		long line = xmlGetLineNo(c);
		struct dg_validator *v;

		if (!is_el(c, "validate"))
			continue;
		v = &f->val[f->nval++];
		v->pattern = attr(c, "pattern");
		v->min = attr(c, "min");
		v->max = attr(c, "max");
		if (!v->pattern && !v->min && !v->max) {
			errf(L->err, L->cap, "%s:%ld: field %s: <validate> needs pattern, min or max", L->name, line,
			     f->name);
			goto out;
		}
		if (v->pattern) {
			if (!(pat = normalise_pattern(v->pattern)))
				goto oom;
			v->re = compile(L, line, "validate pattern", v->pattern, pat, 0);
			free(pat);
			pat = NULL;
			if (!v->re)
				goto out;
		}
		if (load_bound(L, f, line, v->min, &v->min_v) < 0 || load_bound(L, f, line, v->max, &v->max_v) < 0)
			goto out;
	}
	rc = 0;
	goto out;
oom:
	errf(L->err, L->cap, "%s: out of memory", L->name);
out:
	free(type);
	free(amb);
	free(order);
	free(value);
	free(vpat);
	free(pat);
	free(src);
	free(b.p);
	return rc;
}

static int
load_doctype(struct loader *L, xmlNodePtr n)
{
	struct dg_catalogue *c = L->c;
	struct dg_doctype *t;
	long line = xmlGetLineNo(n);
	xmlNodePtr k;
	size_t i, nfields;
	int zh = 0;

	if (c->ntypes >= DG_DOCTYPE_MAX_TYPES) {
		errf(L->err, L->cap, "%s:%ld: more than %d document types", L->name, line, DG_DOCTYPE_MAX_TYPES);
		return -1;
	}
	if (grow((void **)&c->types, &c->captypes, c->ntypes, sizeof(*c->types)) < 0)
		goto oom;
	t = &c->types[c->ntypes++];
	t->line = line;
	if (!(t->file = strdup(L->name)) || !(t->code = attr(n, "code")))
		goto oom;
	if (strcmp(t->code, DG_DOCTYPE_OTHER) == 0) {
		errf(L->err, L->cap, "%s:%ld: the code %s is reserved for documents of no type of the catalogue",
		     L->name, line, DG_DOCTYPE_OTHER);
		return -1;
	}
	for (i = 0; i + 1 < c->ntypes; i++)
		if (strcmp(c->types[i].code, t->code) == 0) {
			errf(L->err, L->cap, "%s:%ld: type %s is already defined at %s:%ld", L->name, line, t->code,
			     c->types[i].file, c->types[i].line);
			return -1;
		}
	t->category = attr(n, "category");
	t->retention = attr(n, "retention");
	for (k = n->children; k; k = k->next) {
		char *lang, *v;
		if (!is_el(k, "name"))
			continue;
		lang = attr(k, "lang");
		if (!(v = content(k))) {
			free(lang);
			goto oom;
		}
		if (lang && strcmp(lang, "zh") == 0 && !zh) {
			/* zh wins over whatever came first */
			zh = 1;
			free(t->name);
			t->name = v;
			v = NULL;
		} else if (lang && strcmp(lang, "en") == 0 && !t->name_en) {
			t->name_en = v;
			v = NULL;
		}
		if (v && !t->name) {
			t->name = v;
			v = NULL;
		}
		free(lang);
		free(v);
	}
	if (!t->name && t->name_en && !(t->name = strdup(t->name_en)))
		goto oom;
	for (k = n->children; k; k = k->next)
		if (is_el(k, "cues") && load_cues(L, t, k) < 0)
			return -1;
	nfields = count_el(n, "field");
	if (nfields > DG_DOCTYPE_MAX_FIELDS) {
		errf(L->err, L->cap, "%s:%ld: type %s has %zu fields (at most %d)", L->name, line, t->code, nfields,
		     DG_DOCTYPE_MAX_FIELDS);
		return -1;
	}
	t->fields = calloc(nfields + 1, sizeof(*t->fields));
	if (!t->fields)
		goto oom;
	for (k = n->children; k; k = k->next)
		if (is_el(k, "field")) {
			t->nfields++;
			if (load_field(L, t, &t->fields[t->nfields - 1], k) < 0)
				return -1;
		}
	return 0;
oom:
	errf(L->err, L->cap, "%s: out of memory", L->name);
	return -1;
}

static int
load_scope(struct loader *L, xmlNodePtr n)
{
	struct dg_catalogue *c = L->c;
	struct dg_scope *sc;
	xmlNodePtr k;

	if (c->nscopes >= DG_DOCTYPE_MAX_SCOPES) {
		errf(L->err, L->cap, "%s:%ld: more than %d scopes", L->name, xmlGetLineNo(n), DG_DOCTYPE_MAX_SCOPES);
		return -1;
	}
	if (grow((void **)&c->scopes, &c->capscopes, c->nscopes, sizeof(*c->scopes)) < 0)
		goto oom;
	sc = &c->scopes[c->nscopes++];
	sc->line = xmlGetLineNo(n);
	if (!(sc->file = strdup(L->name)) || !(sc->business = attr(n, "business")))
		goto oom;
	sc->types = calloc(count_el(n, "require") + 1, sizeof(char *));
	if (!sc->types)
		goto oom;
	for (k = n->children; k; k = k->next)
		if (is_el(k, "require")) {
			if (!(sc->types[sc->ntypes] = attr(k, "type")))
				goto oom;
			sc->ntypes++;
		}
	return 0;
oom:
	errf(L->err, L->cap, "%s: out of memory", L->name);
	return -1;
}

struct dg_catalogue *
dg_catalogue_new(int jit)
{
	struct dg_catalogue *c = calloc(1, sizeof(*c));

	if (c)
		c->jit = jit;
	return c;
}

int
dg_catalogue_add_memory(struct dg_catalogue *c, const char *data, size_t len, const char *name,
                        const struct dg_doctype_schema *s, char *err, size_t cap)
{
	struct loader L = {c, name, err, cap, NULL};
	xmlDocPtr doc;
	xmlNodePtr root, n;
	char *cat = NULL;
	int rc = -1;

	if (err && cap)
		err[0] = '\0';
	if (c->nfiles >= DG_DOCTYPE_MAX_FILES) {
		errf(err, cap, "%s: more than %d definition files", name, DG_DOCTYPE_MAX_FILES);
		return -1;
	}
	c->nfiles++;
	doc = parse_memory(data, len, name, err, cap);
	if (!doc)
		return -1;
	if (validate(doc, name, s, err, cap) < 0)
		goto out;
	L.cctx = pcre2_compile_context_create(NULL);
	if (!L.cctx) {
		errf(err, cap, "%s: out of memory", name);
		goto out;
	}
	pcre2_set_max_pattern_length(L.cctx, DG_DOCTYPE_MAX_PATTERN * 2);
	pcre2_set_parens_nest_limit(L.cctx, 64);
	root = xmlDocGetRootElement(doc);
	cat = attr(root, "catalogue");
	if (cat) {
		if (!c->name) {
			if (!(c->name = strdup(cat))) {
				errf(err, cap, "%s: out of memory", name);
				goto out;
			}
		} else if (strcmp(c->name, cat) != 0) {
			errf(err, cap, "%s:%ld: catalogue '%s' in a catalogue named '%s'", name, xmlGetLineNo(root),
			     cat, c->name);
			goto out;
		}
	}
	for (n = root->children; n; n = n->next) {
		if (is_el(n, "doctype") && load_doctype(&L, n) < 0)
			goto out;
		if (is_el(n, "scope") && load_scope(&L, n) < 0)
			goto out;
	}
	rc = 0;
out:
	if (L.cctx)
		pcre2_compile_context_free(L.cctx);
	free(cat);
	xmlFreeDoc(doc);
	return rc;
}

int
dg_catalogue_add_file(struct dg_catalogue *c, const char *path, const struct dg_doctype_schema *s, char *err,
                      size_t cap)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	ssize_t r;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		errf(err, cap, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		errf(err, cap, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > DG_DOCTYPE_MAX_FILE_BYTES) {
		errf(err, cap, "%s: too large (%lld bytes, at most %zu)", path, (long long)st.st_size,
		     DG_DOCTYPE_MAX_FILE_BYTES);
		goto out;
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		errf(err, cap, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, data + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			errf(err, cap, "%s: cannot read: %s", path, r < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
		got += (size_t)r;
	}
	rc = dg_catalogue_add_memory(c, data, got, path, s, err, cap);
out:
	free(data);
	close(fd);
	return rc;
}

int
dg_catalogue_finish(struct dg_catalogue *c, char *err, size_t cap)
{
	size_t i, j;

	for (i = 0; i < c->nscopes; i++)
		for (j = 0; j < c->scopes[i].ntypes; j++)
			if (!dg_catalogue_find(c, c->scopes[i].types[j])) {
				errf(err, cap, "%s:%ld: scope '%s' requires type %s, which no definition declares",
				     c->scopes[i].file, c->scopes[i].line, c->scopes[i].business,
				     c->scopes[i].types[j]);
				return -1;
			}
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct dg_catalogue *
dg_catalogue_load_dir(const char *dir, const struct dg_doctype_schema *s, int jit, char *err, size_t cap)
{
	struct dg_catalogue *c = NULL;
	char **names = NULL, *path = NULL;
	size_t n = 0, ncap = 0, i, l;
	struct dirent *e;
	const char *base;
	DIR *d;

	if (err && cap)
		err[0] = '\0';
	d = opendir(dir);
	if (!d) {
		errf(err, cap, "catalogue %s: %s", dir, strerror(errno));
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 5 || strcmp(e->d_name + l - 4, ".xml") != 0)
			continue;
		if (n >= DG_DOCTYPE_MAX_FILES) {
			errf(err, cap, "catalogue %s: more than %d definition files", dir, DG_DOCTYPE_MAX_FILES);
			goto fail;
		}
		if (grow((void **)&names, &ncap, n, sizeof(*names)) < 0 || !(names[n] = strdup(e->d_name)))
			goto oom;
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	if (!(c = dg_catalogue_new(jit)))
		goto oom;
	for (i = 0; i < n; i++) {
		l = strlen(dir) + strlen(names[i]) + 2;
		free(path);
		if (!(path = malloc(l)))
			goto oom;
		snprintf(path, l, "%s/%s", dir, names[i]);
		if (dg_catalogue_add_file(c, path, s, err, cap) < 0)
			goto fail;
	}
	if (dg_catalogue_finish(c, err, cap) < 0)
		goto fail;
	if (!c->name) {
		l = strlen(dir);
		while (l > 1 && dir[l - 1] == '/')
			l--;
		for (base = dir + l; base > dir && base[-1] != '/'; base--)
			;
		if (!(c->name = strndup(base, (size_t)(dir + l - base))))
			goto oom;
	}
	goto out;
oom:
	errf(err, cap, "catalogue %s: out of memory", dir);
fail:
	dg_catalogue_free(c);
	c = NULL;
out:
	closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(path);
	return c;
}

void
dg_catalogue_free(struct dg_catalogue *c)
{
	size_t i, j;

	if (!c)
		return;
	for (i = 0; i < c->ntypes; i++)
		doctype_release(&c->types[i]);
	free(c->types);
	for (i = 0; i < c->nscopes; i++) {
		for (j = 0; j < c->scopes[i].ntypes; j++)
			free(c->scopes[i].types[j]);
		free(c->scopes[i].types);
		free(c->scopes[i].business);
		free(c->scopes[i].file);
	}
	free(c->scopes);
	free(c->name);
	free(c);
}

const struct dg_doctype *
dg_catalogue_find(const struct dg_catalogue *c, const char *code)
{
	size_t i;

	for (i = 0; i < c->ntypes; i++)
		if (strcmp(c->types[i].code, code) == 0)
			return &c->types[i];
	return NULL;
}
