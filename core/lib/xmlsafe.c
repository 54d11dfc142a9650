/* xmlsafe.c -- see xmlsafe.h. */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "xmlsafe.h"

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* No entity, DTD or schema include is ever fetched from the network;
 * local files only where a caller asked for a file by path. */
static xmlParserInputPtr
no_net_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)id;
	if (url && (strncmp(url, "http:", 5) == 0 || strncmp(url, "https:", 6) == 0 || strncmp(url, "ftp:", 4) == 0))
		return NULL;
	return url ? xmlNewInputFromFile(ctxt, url) : NULL;
}

static void
xml_init_once(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(no_net_loader);
}

void
dg_xml_init(void)
{
	pthread_once(&xml_once, xml_init_once);
}

struct parse_state {
	const char *name;
	struct dg_err *err;
	int refused;
};

static void
refuse_doctype(void *user, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *st = ctxt->_private;

	(void)name;
	(void)eid;
	(void)sid;
	if (st && !st->refused) {
		st->refused = 1;
		dg_err_set(st->err, DG_FAILED,
		           "%s:%d: DOCTYPE declarations are not allowed (entities and external "
		           "DTDs are refused)",
		           st->name, xmlSAX2GetLineNumber(ctxt));
	}
	xmlStopParser(ctxt);
}

static void
record_error(void *user, xmlErrorPtr e)
{
	struct parse_state *st = user;
	size_t len;

	if (!st || st->refused || !e || e->level < XML_ERR_ERROR)
		return;
	if (st->err->msg[0])
		return; /* keep the first error */
	dg_err_set(st->err, DG_FAILED, "%s:%d: %s", st->name, e->line, e->message ? e->message : "XML error");
	len = strlen(st->err->msg);
	if (len && st->err->msg[len - 1] == '\n')
		st->err->msg[len - 1] = '\0';
}

xmlDocPtr
dg_xml_read_memory(const char *data, size_t len, const char *name, struct dg_err *err)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	struct parse_state st = {name, err, 0};
	int opts = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOBLANKS;

	dg_xml_init();
	dg_err_clear(err);
	if (len > DG_XML_MAX_BYTES || len > (size_t)INT32_MAX) {
		dg_err_set(err, DG_FAILED, "%s: XML document too large (%zu bytes)", name, len);
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		dg_err_set(err, DG_FAILED, "%s: out of memory", name);
		return NULL;
	}
	ctxt->_private = &st;
	ctxt->sax->internalSubset = refuse_doctype;
	ctxt->sax->externalSubset = refuse_doctype;
	xmlCtxtUseOptions(ctxt, opts);
	xmlSetStructuredErrorFunc(&st, record_error);
	doc = xmlCtxtReadMemory(ctxt, data, (int)len, name, NULL, opts);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (st.refused || !ctxt->wellFormed || !doc) {
		if (!err->msg[0])
			dg_err_set(err, DG_FAILED, "%s: not well-formed XML", name);
		if (doc)
			xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

xmlDocPtr
dg_xml_read_file(const char *path, struct dg_err *err)
{
	char *data = NULL;
	size_t len = 0;
	xmlDocPtr doc;

	if (dg_read_file(path, DG_XML_MAX_BYTES, &data, &len) < 0) {
		dg_err_set(err, DG_FAILED, "%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	doc = dg_xml_read_memory(data, len, path, err);
	dg_free(data);
	return doc;
}

struct rng_state {
	const char *name;
	struct dg_buf msgs;
	int count;
};

static void
rng_error(void *user, xmlErrorPtr e)
{
	struct rng_state *st = user;
	const char *m = e && e->message ? e->message : "invalid";
	size_t len = strlen(m);

	if (!e || e->level < XML_ERR_ERROR)
		return;
	if (++st->count > 20)
		return;
	while (len && m[len - 1] == '\n')
		len--;
	dg_buf_addf(&st->msgs, "%s%s:%d: %.*s", st->msgs.len ? "\n" : "", e->file ? e->file : st->name, e->line,
	            (int)len, m);
}

int
dg_xml_validate_rng(xmlDocPtr doc, const char *name, const char *schema_path, struct dg_err *err)
{
	xmlRelaxNGParserCtxtPtr pctxt = NULL;
	xmlRelaxNGPtr schema = NULL;
	xmlRelaxNGValidCtxtPtr vctxt = NULL;
	struct rng_state st = {name, {0}, 0};
	int rc = -1;

	dg_buf_init(&st.msgs, 8192);
	pctxt = xmlRelaxNGNewParserCtxt(schema_path);
	if (!pctxt)
		goto out;
	xmlRelaxNGSetParserStructuredErrors(pctxt, rng_error, &st);
	schema = xmlRelaxNGParse(pctxt);
	if (!schema) {
		dg_err_set(err, DG_FAILED, "cannot load schema %s: %s", schema_path,
		           st.msgs.data ? st.msgs.data : "parse error");
		goto out;
	}
	dg_buf_reset(&st.msgs);
	st.count = 0;
	vctxt = xmlRelaxNGNewValidCtxt(schema);
	if (!vctxt)
		goto out;
	xmlRelaxNGSetValidStructuredErrors(vctxt, rng_error, &st);
	if (xmlRelaxNGValidateDoc(vctxt, doc) == 0) {
		rc = 0;
	} else {
		dg_err_set(err, DG_FAILED, "%s", st.msgs.data ? st.msgs.data : "does not match the schema");
		if (st.count > 20) {
			size_t l = strlen(err->msg);
			snprintf(err->msg + l, sizeof(err->msg) - l, "\n(%d more errors)", st.count - 20);
		}
	}
out:
	if (rc < 0 && !err->msg[0])
		dg_err_set(err, DG_FAILED, "%s: schema validation failed", name);
	if (vctxt)
		xmlRelaxNGFreeValidCtxt(vctxt);
	if (schema)
		xmlRelaxNGFree(schema);
	if (pctxt)
		xmlRelaxNGFreeParserCtxt(pctxt);
	dg_buf_release(&st.msgs);
	return rc;
}
