/* record.c -- the record model and its manifest XML form. */
#include <config.h>

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <openssl/evp.h>

#include "record.h"
#include "xmlsafe.h"

#define MANIFEST_NS "urn:dangan:manifest:1"

void
dg_record_init(struct dg_record *r)
{
	memset(r, 0, sizeof(*r));
}

static void
event_release(struct dg_event *e)
{
	dg_free(e->type);
	dg_free(e->stage);
	dg_free(e->plugin);
	dg_free(e->plugin_version);
	dg_free(e->outcome);
	dg_free(e->message);
}

void
dg_record_release(struct dg_record *r)
{
	size_t i;

	for (i = 0; i < r->nparts; i++) {
		dg_free(r->parts[i].role);
		dg_free(r->parts[i].media_type);
		dg_free(r->parts[i].path);
	}
	for (i = 0; i < r->nmeta; i++) {
		dg_free(r->meta[i].key);
		dg_free(r->meta[i].value);
	}
	for (i = 0; i < r->nrels; i++) {
		dg_free(r->rels[i].kind);
		dg_free(r->rels[i].label);
	}
	for (i = 0; i < r->nevents; i++)
		event_release(&r->events[i]);
	dg_free(r->parts);
	dg_free(r->meta);
	dg_free(r->rels);
	dg_free(r->events);
	dg_free(r->media_type);
	dg_free(r->status);
	dg_record_init(r);
}

/* Grow an array of elements of size sz so that one more fits. */
static int
grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= 1000000)
		return -1;
	ncap = *cap ? *cap * 2 : 8;
	p = dg_realloc(*arr, ncap * sz);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

const char *
dg_record_meta(const struct dg_record *r, const char *key)
{
	return dg_record_meta_n(r, key, 0);
}

const char *
dg_record_meta_n(const struct dg_record *r, const char *key, size_t n)
{
	size_t i;

	for (i = 0; i < r->nmeta; i++)
		if (strcmp(r->meta[i].key, key) == 0 && n-- == 0)
			return r->meta[i].value;
	return NULL;
}

size_t
dg_record_meta_count(const struct dg_record *r, const char *key)
{
	size_t i, c = 0;

	for (i = 0; i < r->nmeta; i++)
		if (strcmp(r->meta[i].key, key) == 0)
			c++;
	return c;
}

int
dg_record_meta_add(struct dg_record *r, const char *key, const char *value)
{
	char *k, *v;

	if (!key || !*key || !value)
		return -1;
	if (grow((void **)&r->meta, &r->capmeta, r->nmeta, sizeof(*r->meta)) < 0)
		return -1;
	k = dg_strdup(key);
	v = dg_strdup(value);
	if (!k || !v) {
		dg_free(k);
		dg_free(v);
		return -1;
	}
	r->meta[r->nmeta].key = k;
	r->meta[r->nmeta].value = v;
	r->nmeta++;
	return 0;
}

int
dg_record_meta_set(struct dg_record *r, const char *key, const char *value)
{
	size_t i, j = 0;

	for (i = 0; i < r->nmeta; i++) {
		if (strcmp(r->meta[i].key, key) == 0) {
			dg_free(r->meta[i].key);
			dg_free(r->meta[i].value);
			continue;
		}
		r->meta[j++] = r->meta[i];
	}
	r->nmeta = j;
	if (!value)
		return 0;
	return dg_record_meta_add(r, key, value);
}

struct dg_part *
dg_record_part(const struct dg_record *r, const char *role)
{
	size_t i;

	for (i = 0; i < r->nparts; i++)
		if (strcmp(r->parts[i].role, role) == 0)
			return &r->parts[i];
	return NULL;
}

int
dg_record_part_set(struct dg_record *r, const char *role, const char *media_type, int64_t size, const char *hex,
                   const char *path)
{
	struct dg_part *p = dg_record_part(r, role);
	char *nrole = NULL, *ntype = dg_strdup(media_type ? media_type : "application/octet-stream");
	char *npath = path ? dg_strdup(path) : NULL;

	if (!ntype || (path && !npath))
		goto fail;
	if (!p) {
		nrole = dg_strdup(role);
		if (!nrole || grow((void **)&r->parts, &r->capparts, r->nparts, sizeof(*r->parts)) < 0)
			goto fail;
		p = &r->parts[r->nparts++];
		memset(p, 0, sizeof(*p));
		p->role = nrole;
	} else {
		dg_free(p->media_type);
		dg_free(p->path);
	}
	p->media_type = ntype;
	p->path = npath;
	p->size = size;
	snprintf(p->hex, sizeof(p->hex), "%s", hex);
	return 0;
fail:
	dg_free(nrole);
	dg_free(ntype);
	dg_free(npath);
	return -1;
}

int
dg_record_rel_add(struct dg_record *r, const char *kind, const char *hex, const char *label)
{
	struct dg_relation *rel;
	size_t i;

	for (i = 0; i < r->nrels; i++)
		if (strcmp(r->rels[i].kind, kind) == 0 && strcmp(r->rels[i].hex, hex) == 0)
			return 0;
	if (grow((void **)&r->rels, &r->caprels, r->nrels, sizeof(*r->rels)) < 0)
		return -1;
	rel = &r->rels[r->nrels];
	memset(rel, 0, sizeof(*rel));
	rel->kind = dg_strdup(kind);
	rel->label = label ? dg_strdup(label) : NULL;
	if (!rel->kind || (label && !rel->label)) {
		dg_free(rel->kind);
		dg_free(rel->label);
		return -1;
	}
	snprintf(rel->hex, sizeof(rel->hex), "%s", hex);
	r->nrels++;
	return 0;
}

static int
dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = dg_strdup(src);
	return *dst ? 0 : -1;
}

int
dg_record_event_add(struct dg_record *r, const struct dg_event *ev)
{
	struct dg_event *e;
	int rc = 0;

	if (grow((void **)&r->events, &r->capevents, r->nevents, sizeof(*r->events)) < 0)
		return -1;
	e = &r->events[r->nevents];
	memset(e, 0, sizeof(*e));
	rc |= dup_opt(&e->type, ev->type ? ev->type : "event");
	rc |= dup_opt(&e->stage, ev->stage);
	rc |= dup_opt(&e->plugin, ev->plugin);
	rc |= dup_opt(&e->plugin_version, ev->plugin_version);
	rc |= dup_opt(&e->outcome, ev->outcome ? ev->outcome : "ok");
	rc |= dup_opt(&e->message, ev->message);
	e->at_us = ev->at_us;
	e->duration_us = ev->duration_us;
	if (rc) {
		event_release(e);
		return -1;
	}
	r->nevents++;
	return 0;
}

int
dg_record_copy_content(struct dg_record *dst, const struct dg_record *src)
{
	size_t i;

	for (i = 0; i < src->nparts; i++) {
		const struct dg_part *p = &src->parts[i];
		if (dg_record_part_set(dst, p->role, p->media_type, p->size, p->hex, p->path) < 0)
			return -1;
	}
	for (i = 0; i < src->nmeta; i++)
		if (dg_record_meta_add(dst, src->meta[i].key, src->meta[i].value) < 0)
			return -1;
	for (i = 0; i < src->nrels; i++)
		if (dg_record_rel_add(dst, src->rels[i].kind, src->rels[i].hex, src->rels[i].label) < 0)
			return -1;
	if (src->media_type) {
		dg_free(dst->media_type);
		if (!(dst->media_type = dg_strdup(src->media_type)))
			return -1;
	}
	return 0;
}

/* ---- manifest XML ---------------------------------------------------- */

/* Characters XML 1.0 cannot carry at all (C0 controls other than tab,
 * newline and carriage return; U+FFFE, U+FFFF).  Metadata may hold them
 * (an archive entry's name can), so values are written so that they
 * still parse and come back exactly. */
static int
xml_forbidden(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			return 1;
		if (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf))
			return 1;
	}
	return 0;
}

/* A copy with each forbidden character replaced by U+FFFD (for
 * attributes, which are names and labels, never the record itself). */
static char *
xml_clean(const char *s)
{
	struct dg_buf b;
	const unsigned char *p;

	dg_buf_init(&b, 0);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') {
			dg_buf_adds(&b, "\xef\xbf\xbd");
		} else if (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) {
			dg_buf_adds(&b, "\xef\xbf\xbd");
			p += 2;
		} else {
			dg_buf_add(&b, p, 1);
		}
	}
	if (b.oom || !b.data) {
		dg_buf_release(&b);
		return NULL;
	}
	return b.data;
}

static int
w_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
	char *clean = NULL;
	int rc;

	if (!value)
		return 0;
	if (xml_forbidden(value) && !(value = clean = xml_clean(value)))
		return -1;
	rc = xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST value) < 0 ? -1 : 0;
	dg_free(clean);
	return rc;
}

static int
w_attr_i64(xmlTextWriterPtr w, const char *name, int64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", (long long)v);
	return w_attr(w, name, num);
}

static int
w_elem(xmlTextWriterPtr w, const char *name, const char *text)
{
	char *clean = NULL;
	int rc;

	if (!text)
		return 0;
	if (xml_forbidden(text) && !(text = clean = xml_clean(text)))
		return -1;
	rc = xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text) < 0 ? -1 : 0;
	dg_free(clean);
	return rc;
}

/* Element content that must come back exactly (metadata values, event
 * messages): written as is when XML can carry it, else as base64 with
 * encoding="base64" (this must be called before any content). */
static int
w_text(xmlTextWriterPtr w, const char *text)
{
	size_t len = strlen(text);
	unsigned char *b64;
	int rc;

	if (!xml_forbidden(text))
		return xmlTextWriterWriteString(w, BAD_CAST text) < 0 ? -1 : 0;
	if (len > (1u << 28) || !(b64 = dg_malloc(4 * ((len + 2) / 3) + 1)))
		return -1;
	EVP_EncodeBlock(b64, (const unsigned char *)text, (int)len);
	rc = (w_attr(w, "encoding", "base64") < 0 || xmlTextWriterWriteString(w, b64) < 0) ? -1 : 0;
	dg_free(b64);
	return rc;
}

/* The text of an element, decoded if it says encoding="base64"; NULL
 * when it cannot be decoded.  Free with xmlFree. */
static xmlChar *
r_text(xmlNodePtr n)
{
	xmlChar *text = xmlNodeGetContent(n), *enc = xmlGetProp(n, BAD_CAST "encoding"), *out = NULL;
	size_t len, i, j, pad = 0;
	int got;

	if (!enc || !text || strcmp((const char *)enc, "base64") != 0) {
		xmlFree(enc);
		return text;
	}
	xmlFree(enc);
	len = strlen((const char *)text);
	for (i = j = 0; i < len; i++) /* drop whitespace */
		if (text[i] != ' ' && text[i] != '\n' && text[i] != '\r' && text[i] != '\t')
			text[j++] = text[i];
	text[j] = '\0';
	len = j;
	if (len % 4 != 0 || len > (size_t)INT32_MAX || !(out = xmlMalloc(len / 4 * 3 + 1)))
		goto fail;
	got = EVP_DecodeBlock(out, text, (int)len);
	if (got < 0)
		goto fail;
	while (pad < 2 && len > pad && text[len - 1 - pad] == '=')
		pad++;
	got -= (int)pad;
	out[got] = '\0';
	if (strlen((const char *)out) != (size_t)got) /* an embedded NUL: not a C string */
		goto fail;
	xmlFree(text);
	return out;
fail:
	xmlFree(text);
	xmlFree(out);
	return NULL;
}

static void
iso_us(int64_t us, char *out, size_t cap)
{
	dg_iso8601(us / 1000000, out, cap);
}

int
dg_manifest_write(const struct dg_record *r, struct dg_buf *b)
{
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = NULL;
	char id[DG_ID_LEN + 1], when[32];
	size_t i;
	int rc = -1;

	if (!xb)
		return -1;
	w = xmlNewTextWriterMemory(xb, 0);
	if (!w)
		goto out;
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	if (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST "manifest") < 0 || w_attr(w, "xmlns", MANIFEST_NS) < 0 ||
	    w_attr(w, "version", "1") < 0)
		goto out;
	snprintf(id, sizeof(id), "sha256:%s", r->doc_hex);
	iso_us(r->created_us, when, sizeof(when));
	if (w_elem(w, "document", id) < 0 || w_elem(w, "created", when) < 0)
		goto out;
	if (r->parent_hex[0]) {
		snprintf(id, sizeof(id), "sha256:%s", r->parent_hex);
		if (w_elem(w, "parent", id) < 0)
			goto out;
	}
	if (w_elem(w, "media-type", r->media_type) < 0 || w_elem(w, "status", r->status ? r->status : "ok") < 0)
		goto out;
	for (i = 0; i < r->nparts; i++) {
		const struct dg_part *p = &r->parts[i];
		snprintf(id, sizeof(id), "sha256:%s", p->hex);
		if (xmlTextWriterStartElement(w, BAD_CAST "part") < 0 || w_attr(w, "role", p->role) < 0 ||
		    w_attr(w, "media-type", p->media_type) < 0 || w_attr_i64(w, "size", p->size) < 0 ||
		    w_attr(w, "digest", id) < 0 || xmlTextWriterEndElement(w) < 0)
			goto out;
	}
	for (i = 0; i < r->nmeta; i++) {
		if (r->meta[i].key[0] == '@')
			continue;
		if (xmlTextWriterStartElement(w, BAD_CAST "meta") < 0 || w_attr(w, "key", r->meta[i].key) < 0 ||
		    w_text(w, r->meta[i].value) < 0 || xmlTextWriterEndElement(w) < 0)
			goto out;
	}
	for (i = 0; i < r->nrels; i++) {
		snprintf(id, sizeof(id), "sha256:%s", r->rels[i].hex);
		if (xmlTextWriterStartElement(w, BAD_CAST "relation") < 0 || w_attr(w, "kind", r->rels[i].kind) < 0 ||
		    w_attr(w, "target", id) < 0 || w_attr(w, "label", r->rels[i].label) < 0 ||
		    xmlTextWriterEndElement(w) < 0)
			goto out;
	}
	for (i = 0; i < r->nevents; i++) {
		const struct dg_event *e = &r->events[i];
		iso_us(e->at_us, when, sizeof(when));
		if (xmlTextWriterStartElement(w, BAD_CAST "event") < 0 || w_attr(w, "type", e->type) < 0 ||
		    w_attr(w, "stage", e->stage) < 0 || w_attr(w, "plugin", e->plugin) < 0 ||
		    w_attr(w, "plugin-version", e->plugin_version) < 0 || w_attr(w, "outcome", e->outcome) < 0 ||
		    w_attr(w, "at", when) < 0 || w_attr_i64(w, "at-us", e->at_us) < 0 ||
		    w_attr_i64(w, "duration-us", e->duration_us) < 0 || (e->message && w_text(w, e->message) < 0) ||
		    xmlTextWriterEndElement(w) < 0)
			goto out;
	}
	if (xmlTextWriterEndElement(w) < 0 || xmlTextWriterEndDocument(w) < 0)
		goto out;
	xmlFreeTextWriter(w);
	w = NULL;
	rc = dg_buf_add(b, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
out:
	if (w)
		xmlFreeTextWriter(w);
	xmlBufferFree(xb);
	return rc;
}

static const char *
attr(xmlNodePtr n, const char *name, char **hold)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);

	*hold = (char *)v;
	return (const char *)v;
}

static int
parse_id(const char *s, char *hex)
{
	if (!s || strncmp(s, "sha256:", 7) != 0 || !dg_is_hex(s + 7, DG_ID_HEX))
		return -1;
	memcpy(hex, s + 7, DG_ID_HEX + 1);
	return 0;
}

static int64_t
parse_i64_or(const char *s, int64_t dflt)
{
	int64_t v;

	return dg_parse_i64(s, &v) == 0 ? v : dflt;
}

static int
parse_child(xmlNodePtr n, struct dg_record *r, struct dg_err *err)
{
	const char *name = (const char *)n->name;
	char *h[8] = {0};
	xmlChar *text = NULL;
	int rc = -1;

	if (strcmp(name, "document") == 0 || strcmp(name, "parent") == 0) {
		text = xmlNodeGetContent(n);
		if (parse_id((const char *)text, name[0] == 'd' ? r->doc_hex : r->parent_hex) < 0) {
			dg_err_set(err, DG_FAILED, "manifest: bad <%s> id", name);
			goto out;
		}
	} else if (strcmp(name, "media-type") == 0 || strcmp(name, "status") == 0) {
		char **dst = name[0] == 'm' ? &r->media_type : &r->status;
		text = xmlNodeGetContent(n);
		dg_free(*dst);
		if (!(*dst = dg_strdup((const char *)text)))
			goto oom;
	} else if (strcmp(name, "part") == 0) {
		char hex[DG_ID_HEX + 1];
		const char *role = attr(n, "role", &h[0]), *type = attr(n, "media-type", &h[1]);
		const char *size = attr(n, "size", &h[2]), *dig = attr(n, "digest", &h[3]);
		int64_t sz;
		if (!role || parse_id(dig, hex) < 0 || dg_parse_i64(size, &sz) < 0 || sz < 0) {
			dg_err_set(err, DG_FAILED, "manifest: malformed <part> (line %ld)", xmlGetLineNo(n));
			goto out;
		}
		if (dg_record_part_set(r, role, type, sz, hex, NULL) < 0)
			goto oom;
	} else if (strcmp(name, "meta") == 0) {
		const char *key = attr(n, "key", &h[0]);
		text = r_text(n);
		if (!key || !text || key[0] == '@') { /* '@' keys are transient: never stored */
			dg_err_set(err, DG_FAILED, "manifest: malformed <meta>%s",
			           key && key[0] == '@' ? " (transient key)" : "");
			goto out;
		}
		if (dg_record_meta_add(r, key, (const char *)text) < 0)
			goto oom;
	} else if (strcmp(name, "relation") == 0) {
		char hex[DG_ID_HEX + 1];
		const char *kind = attr(n, "kind", &h[0]), *target = attr(n, "target", &h[1]);
		const char *label = attr(n, "label", &h[2]);
		if (!kind || parse_id(target, hex) < 0) {
			dg_err_set(err, DG_FAILED, "manifest: malformed <relation>");
			goto out;
		}
		if (dg_record_rel_add(r, kind, hex, label) < 0)
			goto oom;
	} else if (strcmp(name, "event") == 0) {
		struct dg_event ev = {0};
		ev.type = (char *)attr(n, "type", &h[0]);
		ev.stage = (char *)attr(n, "stage", &h[1]);
		ev.plugin = (char *)attr(n, "plugin", &h[2]);
		ev.plugin_version = (char *)attr(n, "plugin-version", &h[3]);
		ev.outcome = (char *)attr(n, "outcome", &h[4]);
		ev.at_us = parse_i64_or(attr(n, "at-us", &h[5]), 0);
		ev.duration_us = parse_i64_or(attr(n, "duration-us", &h[6]), 0);
		text = r_text(n);
		ev.message = text && *text ? (char *)text : NULL;
		if (dg_record_event_add(r, &ev) < 0)
			goto oom;
	} else if (strcmp(name, "created") == 0) {
		/* informative; the exact time is in the events */
	}
	rc = 0;
	goto out;
oom:
	dg_err_set(err, DG_FAILED, "out of memory parsing manifest");
out:
	for (size_t i = 0; i < 8; i++)
		xmlFree(h[i]);
	xmlFree(text);
	return rc;
}

int
dg_manifest_parse(const char *data, size_t len, struct dg_record *r, struct dg_err *err)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, n;
	int rc = -1;

	doc = dg_xml_read_memory(data, len, "manifest", err);
	if (!doc)
		goto out;
	root = xmlDocGetRootElement(doc);
	if (!root || strcmp((const char *)root->name, "manifest") != 0 || !root->ns ||
	    strcmp((const char *)root->ns->href, MANIFEST_NS) != 0) {
		dg_err_set(err, DG_FAILED, "not a dangan manifest");
		goto out;
	}
	for (n = root->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (parse_child(n, r, err) < 0)
			goto out;
	}
	if (!r->doc_hex[0]) {
		dg_err_set(err, DG_FAILED, "manifest without <document>");
		goto out;
	}
	for (size_t i = 0; i < r->nevents; i++)
		if (r->created_us == 0 || r->events[i].at_us < r->created_us)
			r->created_us = r->events[i].at_us;
	rc = 0;
out:
	if (doc)
		xmlFreeDoc(doc);
	return rc;
}
