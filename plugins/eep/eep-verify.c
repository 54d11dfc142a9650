/*
 * plugins/eep/eep-verify.c -- verification and import of EEP packages.
 *
 * verify(PATH): a .eep file, or every *.eep file of a directory (sorted;
 * symlinks and other files are not followed).  Per package, every
 * problem is reported (the checks go on after a failure when they can):
 *   EEP-READ       cannot be read, or more than max-size bytes of XML besides
 *                  the 编码数据 text (not read further)
 *   EEP-PARSE      not well-formed, or refused: a DOCTYPE (no DTD is ever
 *                  read and no entity expanded), no network access
 *   EEP-XSD        each schema error of eep.xsd, with its line
 *   EEP-ID         an ID value used twice
 *   EEP-IDREF      an IDREF (引用编码数据ID, 被锁定签名标识符) that names no
 *                  element of the right kind
 *   EEP-BASE64     编码数据 (or a signature or certificate) that is not Base64
 *   EEP-SIZE       decoded size differs from 计算机文件大小
 *   EEP-DIGEST     decoded bytes differ from the SM3 / SHA-256 recorded in
 *                  编码描述 ("校验值 [SM3:<hex> ]SHA-256:<hex>"); a package
 *                  without a recorded digest gets a warning (EEP-NODIGEST)
 *   EEP-SIGNATURE  an 电子签名 that does not verify over its 被签名对象
 *   EEP-LOCK       a 锁定签名 that does not verify over the 电子签名 it names
 *   EEP-CERT       a certificate that cannot be read, is not SM2, or was not
 *                  valid at the 签名时间 (warning)
 *   EEP-ALGORITHM  a 签名算法标识 other than SM2-SM3 (cannot be checked)
 *   EEP-CHAIN      修改型 inconsistencies: type and content disagree, the
 *                  修改标识符 numbering is not 修改N over 修改N-1 down to an
 *                  原始型 layer, a layer older than its inner layer, a
 *                  different 电子文件号
 *   EEP-LIMIT      more layers, signatures or findings than checked
 * and a PASS finding per package for the checks that passed.
 *
 * The package is read as a stream (read_package()) into a tree of all
 * but the text of its 编码数据, which is decoded and digested as the
 * parser hands it over (SM3 in a thread of its own for a long one) and
 * then dropped: memory does not follow the size of the bit streams, and
 * what the tree holds is bounded by max-size.  The schema is checked on
 * that tree (编码数据 is xs:base64Binary: the decoder checks its text as
 * the schema would); a signature's canonical form is made from the tree,
 * each 编码数据's text read again from the file where it goes (see struct
 * eep_splice), and the importer reads the bit stream it restores again
 * the same way, checking that it is the one verified.  C14N output goes
 * straight into the signature check.
 *
 * When the instance has just exported the packages it checks (the
 * export's own check), the decoded bytes are compared with the recorded
 * SHA-256 only: the export computed any recorded SM3 from the same bytes
 * of the store object, whose SHA-256 is its id, so equal SHA-256 proves
 * the SM3 too.  verify-eep computes and compares every digest recorded
 * (SM3 only for a bit stream whose 编码描述 records one).
 *
 * Import (scan): a locator that ends in .eep, or a directory holding
 * .eep files.  Each package is verified first; one with an error is
 * refused (logged, counted, the next package goes on; scan returns
 * DG_FAILED at the end naming how many).  A valid package becomes one
 * document: the first 编码 of the first 文档数据 of its 主文档 (the newest
 * layer's 修订内容 for 修改型), decoded bit exact into the store; its
 * metadata is restored from the 附注 "KEY=VALUE" entries (exactly what
 * dangan exported); a package without such entries (another producer's)
 * gets dc.title, dc.creator, dc.date (CCYYMMDD made ISO) and 档号 from
 * 题名, 责任者, 日期 and 档号's text instead.  eep.package, eep.type, eep.created,
 * eep.unit, eep.document-number, eep.signature ("none" or "valid: signer")
 * and eep.layers are added.  附属文档 are not imported (the pipeline
 * derives its own parts again); their count is eep.attachments-skipped.
 */
#include <config.h>

#include "eep.h"
#include "../common/ordpool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libxml/c14n.h>
#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DG_DATADIR
#define DG_DATADIR "/usr/local/share/dangan"
#endif
#define EEP_XSD_MAX ((size_t)1 << 20) /* bytes of eep.xsd */
#define EEP_MAX_SIGS 16               /* signatures checked per package */
#define EEP_MAX_DEPTH 1024            /* element nesting (64 修改 layers need ~220) */

/* ---------------------------------------------------------------- */
/* parsing                                                            */

struct vrun;

struct parse_state {
	char *err;
	size_t errcap;
	int line;
	int refused;
	struct vrun *r; /* a streaming read (read_package), or NULL */
	int64_t held;   /* bytes of XML kept in the tree so far */
};

static void
refuse_doctype(void *user, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *ps = ctxt->_private;

	(void)name;
	(void)eid;
	(void)sid;
	if (ps != NULL && !ps->refused) {
		ps->refused = 1;
		ps->line = xmlSAX2GetLineNumber(ctxt);
		snprintf(ps->err, ps->errcap,
		         "a DOCTYPE declaration is not allowed (no DTD is read, no entity expanded)");
	}
	xmlStopParser(ctxt);
}

/* XML_PARSE_HUGE lifts libxml2's nesting limit too: keep one here
 * (C14N, schema validation and the tree walks recurse). */
static void
start_element(void *user, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri, int nb_namespaces,
              const xmlChar **namespaces, int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *ps = ctxt->_private;

	if (ctxt->nameNr > EEP_MAX_DEPTH) {
		if (ps != NULL && !ps->refused) {
			ps->refused = 1;
			ps->line = xmlSAX2GetLineNumber(ctxt);
			snprintf(ps->err, ps->errcap, "elements nested more than %d deep", EEP_MAX_DEPTH);
		}
		xmlStopParser(ctxt);
		return;
	}
	xmlSAX2StartElementNs(ctxt, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
	                      attributes);
}

static void
parse_error(void *user, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *ps = ctxt != NULL ? ctxt->_private : NULL;
	size_t l;

	if (ps == NULL || ps->refused || e == NULL || e->level < XML_ERR_ERROR || ps->err[0])
		return;
	ps->line = e->line;
	snprintf(ps->err, ps->errcap, "%s", e->message != NULL ? e->message : "XML error");
	l = strlen(ps->err);
	while (l > 0 && ps->err[l - 1] == '\n')
		ps->err[--l] = '\0';
}

#define EEP_PARSE_OPTS (XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA)

static xmlParserCtxtPtr
new_ctxt(struct parse_state *ps)
{
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();

	if (ctxt == NULL)
		return NULL;
	ctxt->_private = ps;
	ctxt->sax->internalSubset = refuse_doctype;
	ctxt->sax->externalSubset = refuse_doctype;
	ctxt->sax->serror = parse_error;
	ctxt->sax->startElementNs = start_element;
	ctxt->sax->error = NULL;
	ctxt->sax->warning = NULL;
	xmlCtxtUseOptions(ctxt, EEP_PARSE_OPTS);
	return ctxt;
}

static xmlDocPtr
finish_parse(xmlParserCtxtPtr ctxt, xmlDocPtr doc, struct parse_state *ps, int *line)
{
	if (ps->refused || !ctxt->wellFormed || doc == NULL || xmlDocGetRootElement(doc) == NULL) {
		if (!ps->err[0])
			snprintf(ps->err, ps->errcap, "not well-formed XML");
		xmlFreeDoc(doc);
		doc = NULL;
	}
	if (line != NULL)
		*line = ps->line;
	xmlFreeParserCtxt(ctxt);
	return doc;
}

xmlDocPtr
eep_parse_file(const char *path, int64_t max_size, char *err, size_t errcap, int *line)
{
	struct parse_state ps = {err, errcap, 0, 0, NULL, 0};
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	struct stat sb;
	int fd;

	err[0] = '\0';
	if (line != NULL)
		*line = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		snprintf(err, errcap, "cannot open: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errcap, "not a regular file");
		close(fd);
		return NULL;
	}
	if (sb.st_size > max_size) {
		snprintf(err, errcap, "%" PRId64 " bytes, larger than max-size (%" PRId64 "): not read",
		         (int64_t)sb.st_size, max_size);
		close(fd);
		return NULL;
	}
	ctxt = new_ctxt(&ps);
	if (ctxt == NULL) {
		snprintf(err, errcap, "out of memory");
		close(fd);
		return NULL;
	}
	doc = xmlCtxtReadFd(ctxt, fd, path, NULL, EEP_PARSE_OPTS);
	close(fd);
	return finish_parse(ctxt, doc, &ps, line);
}

xmlDocPtr
eep_parse_memory(const char *buf, size_t len, char *err, size_t errcap, int *line)
{
	struct parse_state ps = {err, errcap, 0, 0, NULL, 0};
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	err[0] = '\0';
	if (len > (size_t)INT32_MAX) {
		snprintf(err, errcap, "too large");
		return NULL;
	}
	ctxt = new_ctxt(&ps);
	if (ctxt == NULL) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, "package.eep", NULL, EEP_PARSE_OPTS);
	return finish_parse(ctxt, doc, &ps, line);
}

/* ---------------------------------------------------------------- */
/* the schema                                                         */

static void
schema_parse_error(void *arg, xmlErrorPtr e)
{
	char *err = arg;

	if (e != NULL && e->level >= XML_ERR_ERROR && err[0] == '\0')
		snprintf(err, 256, "line %d: %s", e->line, e->message != NULL ? e->message : "error");
}

xmlSchemaPtr
eep_schema_load(xmlDocPtr *docp, char *err, size_t errcap)
{
	const char *dir = getenv("DANGAN_DATADIR");
	char path[4096], msg[256] = "";
	xmlSchemaParserCtxtPtr pctxt = NULL;
	xmlSchemaPtr schema = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr n;
	int line = 0;

	*docp = NULL;
	if (dir == NULL || dir[0] == '\0')
		dir = DG_DATADIR;
	snprintf(path, sizeof(path), "%s/schemas/eep.xsd", dir);
	doc = eep_parse_file(path, (int64_t)EEP_XSD_MAX, msg, sizeof(msg), &line);
	if (doc == NULL) {
		snprintf(err, errcap, "%s: %s", path, msg);
		return NULL;
	}
	/* everything the schema needs is in the file: never load more */
	for (n = xmlDocGetRootElement(doc)->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    (strcmp((const char *)n->name, "include") == 0 || strcmp((const char *)n->name, "import") == 0 ||
		     strcmp((const char *)n->name, "redefine") == 0)) {
			snprintf(err, errcap, "%s: xs:%s is not allowed (the schema must be self-contained)", path,
			         n->name);
			goto fail;
		}
	pctxt = xmlSchemaNewDocParserCtxt(doc);
	if (pctxt == NULL)
		goto fail;
	xmlSchemaSetParserStructuredErrors(pctxt, schema_parse_error, msg);
	schema = xmlSchemaParse(pctxt);
	xmlSchemaFreeParserCtxt(pctxt);
	if (schema == NULL) {
		snprintf(err, errcap, "%s: not a usable schema: %s", path, msg[0] ? msg : "parse error");
		goto fail;
	}
	*docp = doc;
	return schema;
fail:
	if (!err[0])
		snprintf(err, errcap, "%s: cannot load", path);
	xmlFreeDoc(doc);
	return NULL;
}

/* ---------------------------------------------------------------- */
/* findings                                                           */

/* One 编码数据: its text decoded and digested while the package is
 * read (never kept), or afterwards from the tree for one that was not
 * read so (nested in another). */
struct dec {
	int ok; /* 1 decoded, 0 not Base64, -1 could not be computed */
	int64_t size;
	char sm3[65], sha256[65];
	bool blank;          /* its text is empty or white space */
	bool streamed;       /* read with the package: its text is not in the tree */
	int64_t chars;       /* bytes of its text as parsed */
	int64_t start;       /* offset of its text in the file (after the start tag); -1 unknown */
	unsigned long index; /* number of its placeholder (1, 2, ...) */
	xmlNodePtr node;
	struct dec *next;
	/* while it is read */
	struct eep_digest d;
	struct eep_b64 b;
	bool digesting;
};

struct vrun {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	struct eep_state *st;
	const char *path; /* the package file */
	bool quiet;       /* import: log errors, no findings */
	int errors, warnings, findings;
	char first[512]; /* the first error (import) */
	xmlDocPtr doc;
	xmlHashTablePtr ids; /* ID value -> element (or attribute's element) */
	struct dec *decs;    /* every 编码数据 read, in document order */
	struct dec *cur;     /* the one whose text is being read */
	unsigned long ndecs;
	struct eep_splice splice; /* their text, for the canonical forms */
	char splice_err[256];
	bool sha256_only;      /* the export's own check: SM3 is not computed again */
	bool locate_only;      /* signing: 编码数据 text is located, not decoded (the export just hashed it) */
	struct vfindings *out; /* findings held for the caller (verify of a directory), or NULL */
	int sigs;              /* signatures checked */
	int sigs_ok;
	int codings, codings_ok;
	char signer[256];
};

/* Findings of one package verified on a worker thread, handed to
 * host->finding() by the calling thread in package order. */
struct vfinding {
	enum dg_finding_level level;
	char *code, *where, *msg;
};
struct vfindings {
	struct vfinding *v;
	size_t n, cap;
	int errors;
};

static void
hold_finding(struct vfindings *h, enum dg_finding_level level, const char *code, const char *where, const char *msg)
{
	struct vfinding *f;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		void *v = realloc(h->v, cap * sizeof(*h->v));
		if (v == NULL)
			return; /* the verdict (errors) still counts it */
		h->v = v;
		h->cap = cap;
	}
	f = &h->v[h->n];
	f->level = level;
	f->code = code != NULL ? strdup(code) : NULL;
	f->where = strdup(where);
	f->msg = strdup(msg);
	if ((code != NULL && f->code == NULL) || f->where == NULL || f->msg == NULL) {
		free(f->code);
		free(f->where);
		free(f->msg);
		return;
	}
	h->n++;
}

static void
release_findings(struct vfindings *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].code);
		free(h->v[i].where);
		free(h->v[i].msg);
	}
	free(h->v);
	memset(h, 0, sizeof(*h));
}

static void
pass_on(struct vrun *r, enum dg_finding_level level, const char *code, const char *where, const char *msg)
{
	if (r->out != NULL)
		hold_finding(r->out, level, code, where, msg);
	else
		r->host->finding(r->ctx, level, code, where, "%s", msg);
}

static void report(struct vrun *r, enum dg_finding_level level, const char *code, long line, const char *f, ...)
    DG_PRINTF(5, 6);

static void
report(struct vrun *r, enum dg_finding_level level, const char *code, long line, const char *f, ...)
{
	char msg[1024], where[4200];
	va_list ap;

	if (level == DG_FINDING_ERROR)
		r->errors++;
	else if (level == DG_FINDING_WARN)
		r->warnings++;
	va_start(ap, f);
	vsnprintf(msg, sizeof(msg), f, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), "%s:%ld", r->path, line);
	else
		snprintf(where, sizeof(where), "%s", r->path);
	if (level == DG_FINDING_ERROR && !r->first[0])
		snprintf(r->first, sizeof(r->first), "%s %.200s: %.250s", code, where, msg);
	if (r->quiet) {
		if (level == DG_FINDING_ERROR)
			r->host->log(r->ctx, DG_LOG_ERROR, "eep: %s %s: %s", code, where, msg);
		else if (level == DG_FINDING_WARN)
			r->host->log(r->ctx, DG_LOG_WARN, "eep: %s %s: %s", code, where, msg);
		return;
	}
	if (++r->findings == EEP_MAX_FINDINGS * 5) {
		pass_on(r, DG_FINDING_ERROR, "EEP-LIMIT", where, "too many findings: the rest are not shown");
		return;
	}
	if (r->findings > EEP_MAX_FINDINGS * 5)
		return;
	pass_on(r, level, code, where, msg);
}

static long
line_of(xmlNodePtr n)
{
	return n != NULL ? xmlGetLineNo(n) : 0;
}

/* ---------------------------------------------------------------- */
/* reading a package as a stream                                      */

/*
 * The package is parsed from a stream of 256 KiB reads (a push parser)
 * into a tree that holds everything but the text of its 编码数据: that
 * text goes, as the parser hands it over, through the Base64 decoder
 * into the digests, and is dropped.  What the tree does hold is counted
 * against max-size.  Each 编码数据 remembers where its text starts in
 * the file, so that it can be read again (text_pass()) for a signature's
 * canonical form or for the importer, never whole.
 */
#define EEP_READ_BLOCK ((size_t)256 << 10)

static int
dec_digest(void *arg, const unsigned char *buf, size_t len)
{
	struct dec *d = arg;
	return eep_digest_update(&d->d, buf, len);
}

/* Whether the 编码 holding a 编码数据 records an SM3 (its 编码描述,
 * which comes before the data, has been read). */
static bool
records_sm3(xmlNodePtr data)
{
	xmlNodePtr c;
	bool found = false;

	for (c = data != NULL && data->parent != NULL ? data->parent->children : NULL; c != NULL && c != data;
	     c = c->next)
		if (eep_is(c, "编码描述")) {
			xmlChar *t = xmlNodeGetContent(c);
			found = t != NULL && strstr((const char *)t, "SM3:") != NULL;
			xmlFree(t);
			break;
		}
	return found;
}

/* SM3 is computed where it is recorded, except by the export's own
 * check, which compares SHA-256 alone. */
static struct dec *
dec_new(struct vrun *r, xmlNodePtr node)
{
	struct dec *d = calloc(1, sizeof(*d)), **tail;

	if (d == NULL)
		return NULL;
	d->node = node;
	d->start = -1;
	d->blank = true;
	d->index = ++r->ndecs;
	for (tail = &r->decs; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = d;
	node->_private = d;
	if (r->locate_only)
		return d;
	if ((r->sha256_only || !records_sm3(node) ? eep_digest_init_sha256(&d->d) : eep_digest_init(&d->d)) < 0 ||
	    eep_b64_init(&d->b, dec_digest, d) < 0)
		d->ok = -1;
	else
		d->digesting = true;
	return d;
}

static void
dec_text(struct dec *d, const xmlChar *ch, size_t len)
{
	d->chars += (int64_t)len;
	if (d->digesting && !d->b.bad)
		eep_b64_update(&d->b, ch, len);
}

static void
dec_end(struct dec *d)
{
	if (!d->digesting)
		return;
	d->digesting = false;
	d->blank = !d->b.bad && !d->b.ended && d->b.n == 0 && !d->b.pad && d->d.size == 0 && d->b.len == 0;
	if (eep_b64_final(&d->b) < 0) {
		d->ok = d->b.bad == 2 ? -1 : 0;
	} else {
		d->size = d->d.size;
		d->ok = eep_digest_final(&d->d, d->sm3, d->sha256) == 0 ? 1 : -1;
	}
	eep_b64_release(&d->b);
	eep_digest_release(&d->d);
}

/* Stop reading, with the reason (the first one given). */
static void
stop_reading(xmlParserCtxtPtr ctxt, struct parse_state *ps, const char *why)
{
	if (!ps->refused) {
		ps->refused = 1;
		ps->line = xmlSAX2GetLineNumber(ctxt);
		snprintf(ps->err, ps->errcap, "%s", why);
	}
	xmlStopParser(ctxt);
}

/* Bytes the tree keeps beyond max-size: stop reading. */
static bool
held(xmlParserCtxtPtr ctxt, struct parse_state *ps, size_t n)
{
	char why[200];

	if (n <= (size_t)(ps->r->st->max_size - ps->held)) {
		ps->held += (int64_t)n;
		return true;
	}
	snprintf(why, sizeof(why),
	         "more than max-size (%" PRId64 ") bytes of XML besides the 编码数据 text: not read further",
	         ps->r->st->max_size);
	stop_reading(ctxt, ps, why);
	return false;
}

/* The offset in the file of what the parser reads next; -1 if the file
 * is not UTF-8 (its offsets are then not the parser's). */
static int64_t
raw_offset(xmlParserCtxtPtr ctxt)
{
	xmlParserInputPtr in = ctxt->input;

	if (in == NULL || in->buf == NULL || in->buf->encoder != NULL || in->base == NULL || in->cur == NULL)
		return -1;
	return (int64_t)in->consumed + (int64_t)(in->cur - in->base);
}

static void
s_start(void *user, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri, int nb_namespaces,
        const xmlChar **namespaces, int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *ps = ctxt->_private;
	struct vrun *r = ps->r;
	size_t n = strlen((const char *)localname) + 16;
	int i;

	for (i = 0; i < nb_attributes; i++)
		n += strlen((const char *)attributes[5 * i]) + (size_t)(attributes[5 * i + 4] - attributes[5 * i + 3]) +
		     16;
	if (!held(ctxt, ps, n))
		return;
	start_element(user, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted, attributes);
	if (ps->refused || r->cur != NULL || ctxt->node == NULL || !eep_is(ctxt->node, "编码数据"))
		return;
	if (!held(ctxt, ps, sizeof(struct dec)))
		return;
	r->cur = dec_new(r, ctxt->node);
	if (r->cur == NULL) {
		stop_reading(ctxt, ps, "out of memory");
		return;
	}
	r->cur->streamed = true;
	/* the parser stands on the '>' of the start tag (or "/>") */
	if (ctxt->input != NULL && ctxt->input->cur != NULL && ctxt->input->cur[0] == '>' && raw_offset(ctxt) >= 0)
		r->cur->start = raw_offset(ctxt) + 1;
}

static void
s_end(void *user, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *ps = ctxt->_private;
	struct vrun *r = ps->r;

	if (r->cur != NULL && ctxt->node == r->cur->node) {
		dec_end(r->cur);
		r->cur = NULL;
	}
	xmlSAX2EndElementNs(user, localname, prefix, uri);
}

static void
s_chars(void *user, const xmlChar *ch, int len)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *ps = ctxt->_private;
	struct vrun *r = ps->r;

	if (len <= 0)
		return;
	if (r->cur != NULL && ctxt->node == r->cur->node) {
		dec_text(r->cur, ch, (size_t)len);
		return;
	}
	if (held(ctxt, ps, (size_t)len))
		xmlSAX2Characters(user, ch, len);
}

/* A comment or processing instruction in a 编码数据 is not kept (its
 * text is read again from the file where it is needed). */
static void
s_comment(void *user, const xmlChar *value)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *ps = ctxt->_private;

	if (ps->r->cur != NULL && ctxt->node == ps->r->cur->node)
		return;
	if (held(ctxt, ps, strlen((const char *)value) + 8))
		xmlSAX2Comment(user, value);
}

static void
s_pi(void *user, const xmlChar *target, const xmlChar *data)
{
	xmlParserCtxtPtr ctxt = user;
	struct parse_state *ps = ctxt->_private;

	if (ps->r->cur != NULL && ctxt->node == ps->r->cur->node)
		return;
	if (held(ctxt, ps, strlen((const char *)target) + (data != NULL ? strlen((const char *)data) : 0) + 8))
		xmlSAX2ProcessingInstruction(user, target, data);
}

static ssize_t
read_some(int fd, unsigned char *buf, size_t cap)
{
	ssize_t n;

	do
		n = read(fd, buf, cap);
	while (n < 0 && errno == EINTR);
	return n;
}

/* The parser's reads (it asks for 4000 bytes at a time), served from
 * reads of EEP_READ_BLOCK. */
struct feed {
	int fd;
	unsigned char *buf;
	size_t pos, len;
	int err; /* errno of a failed read */
};

static int
feed_read(void *arg, char *out, int len)
{
	struct feed *f = arg;
	size_t n;

	if (f->pos == f->len) {
		ssize_t got = read_some(f->fd, f->buf, EEP_READ_BLOCK);
		if (got < 0) {
			f->err = errno;
			return -1;
		}
		f->pos = 0;
		f->len = (size_t)got;
		if (got == 0)
			return 0;
	}
	n = f->len - f->pos;
	if (n > (size_t)len)
		n = (size_t)len;
	memcpy(out, f->buf + f->pos, n);
	f->pos += n;
	return (int)n;
}

static int
feed_close(void *arg)
{
	(void)arg;
	return 0;
}

/* Parse the package at r->path into a tree without its 编码数据 text;
 * NULL with err set when refused or not well-formed.  (The pull parser:
 * the push parser scans each chunk it is given backwards for '<' and
 * '>', a second pass over all the Base64.) */
static xmlDocPtr
read_package(struct vrun *r, char *err, size_t errcap, int *line)
{
	struct parse_state ps = {err, errcap, 0, 0, r, 0};
	xmlSAXHandler sax;
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	unsigned char *buf = NULL;
	struct feed f = {-1, NULL, 0, 0, 0};
	struct stat sb;
	int fd;

	err[0] = '\0';
	*line = 0;
	fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		snprintf(err, errcap, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errcap, "not a regular file");
		goto out;
	}
	buf = malloc(EEP_READ_BLOCK);
	if (buf == NULL) {
		snprintf(err, errcap, "out of memory");
		goto out;
	}
	memset(&sax, 0, sizeof(sax));
	xmlSAXVersion(&sax, 2);
	sax.internalSubset = refuse_doctype;
	sax.externalSubset = refuse_doctype;
	sax.serror = parse_error;
	sax.error = NULL;
	sax.warning = NULL;
	sax.startElementNs = s_start;
	sax.endElementNs = s_end;
	sax.characters = s_chars;
	sax.ignorableWhitespace = s_chars;
	sax.cdataBlock = NULL; /* CDATA comes as characters */
	sax.comment = s_comment;
	sax.processingInstruction = s_pi;
	f.fd = fd;
	f.buf = buf;
	ctxt = xmlCreateIOParserCtxt(&sax, NULL, feed_read, feed_close, &f, XML_CHAR_ENCODING_NONE);
	if (ctxt == NULL) {
		snprintf(err, errcap, "out of memory");
		goto out;
	}
	ctxt->_private = &ps;
	xmlCtxtUseOptions(ctxt, EEP_PARSE_OPTS);
	xmlParseDocument(ctxt);
	if (f.err != 0) {
		snprintf(err, errcap, "cannot read: %s", strerror(f.err));
		ps.refused = 1;
	}
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	if (r->cur != NULL) { /* stopped inside one */
		dec_end(r->cur);
		r->cur = NULL;
	}
	doc = finish_parse(ctxt, doc, &ps, line);
	ctxt = NULL;
out:
	if (ctxt != NULL)
		xmlFreeParserCtxt(ctxt);
	if (fd >= 0)
		close(fd);
	free(buf);
	return doc;
}

/* ---- the text of a 编码数据, read again ---- */

struct tpass {
	xmlParserCtxtPtr ctxt;
	int depth;
	bool done;
	bool failed;
	int64_t chars;
	/* text directly in the element; a processing instruction in it
	 * (NULL: none wanted) */
	int (*text)(void *arg, const xmlChar *ch, size_t len);
	int (*pi)(void *arg, const xmlChar *target, const xmlChar *data);
	void *arg;
};

static void
tp_start(void *user, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri, int nb_namespaces,
         const xmlChar **namespaces, int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	struct tpass *t = user;

	(void)localname, (void)prefix, (void)uri, (void)nb_namespaces, (void)namespaces, (void)nb_attributes;
	(void)nb_defaulted, (void)attributes;
	if (++t->depth > EEP_MAX_DEPTH) {
		t->failed = true;
		xmlStopParser(t->ctxt);
	}
}

static void
tp_end(void *user, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	struct tpass *t = user;

	(void)localname, (void)prefix, (void)uri;
	if (--t->depth == 0) {
		t->done = true;
		xmlStopParser(t->ctxt);
	}
}

static void
tp_chars(void *user, const xmlChar *ch, int len)
{
	struct tpass *t = user;

	if (t->depth != 1 || t->done || t->failed || len <= 0)
		return;
	t->chars += len;
	if (t->text(t->arg, ch, (size_t)len) < 0) {
		t->failed = true;
		xmlStopParser(t->ctxt);
	}
}

static void
tp_pi(void *user, const xmlChar *target, const xmlChar *data)
{
	struct tpass *t = user;

	if (t->depth != 1 || t->done || t->failed || t->pi == NULL)
		return;
	if (t->pi(t->arg, target, data) < 0) {
		t->failed = true;
		xmlStopParser(t->ctxt);
	}
}

static void
tp_error(void *user, xmlErrorPtr e)
{
	(void)user;
	(void)e;
}

static void
tp_refuse(void *user, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	struct tpass *t = user;

	(void)name, (void)eid, (void)sid;
	t->failed = true;
	xmlStopParser(t->ctxt);
}

/*
 * Read the text of d again from the file: the bytes from its start are
 * parsed after a start tag of the same name, up to its end tag, and the
 * text directly in it goes through text() (and pi()).  The text must be
 * as long as when the package was read.  0, or -1 with r->splice_err.
 */
static int
text_pass(struct vrun *r, const struct dec *d, int (*text)(void *, const xmlChar *, size_t),
          int (*pi)(void *, const xmlChar *, const xmlChar *), void *arg)
{
	struct tpass t;
	xmlSAXHandler sax;
	unsigned char *buf = NULL;
	char head[1024], c = 0;
	const xmlChar *prefix = d->node->ns != NULL ? d->node->ns->prefix : NULL;
	ssize_t n = 0;
	int fd = -1, rc = -1;

	memset(&t, 0, sizeof(t));
	t.text = text;
	t.pi = pi;
	t.arg = arg;
	if (d->start < 1) {
		snprintf(r->splice_err, sizeof(r->splice_err),
		         "the text of 编码数据 (line %ld) cannot be read again (the package is not UTF-8)",
		         line_of(d->node));
		return -1;
	}
	if (prefix != NULL)
		snprintf(head, sizeof(head), "<%.200s:%.200s xmlns:%.200s=\"urn:x\">", prefix, d->node->name, prefix);
	else
		snprintf(head, sizeof(head), "<%.200s xmlns=\"urn:x\">", d->node->name);
	fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, &c, 1, (off_t)d->start - 1) != 1 || c != '>' ||
	    lseek(fd, (off_t)d->start, SEEK_SET) < 0 || (buf = malloc(EEP_READ_BLOCK)) == NULL) {
		snprintf(r->splice_err, sizeof(r->splice_err), "cannot read the 编码数据 of line %ld again%s%s",
		         line_of(d->node), fd < 0 ? ": " : "", fd < 0 ? strerror(errno) : "");
		goto out;
	}
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = tp_start;
	sax.endElementNs = tp_end;
	sax.characters = tp_chars;
	sax.ignorableWhitespace = tp_chars;
	sax.processingInstruction = tp_pi;
	sax.internalSubset = tp_refuse;
	sax.externalSubset = tp_refuse;
	sax.serror = tp_error;
	t.ctxt = xmlCreatePushParserCtxt(&sax, &t, NULL, 0, r->path);
	if (t.ctxt == NULL) {
		snprintf(r->splice_err, sizeof(r->splice_err), "out of memory");
		goto out;
	}
	xmlCtxtUseOptions(t.ctxt, XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_NOCDATA);
	xmlParseChunk(t.ctxt, head, (int)strlen(head), 0);
	while (!t.done && !t.failed && !t.ctxt->disableSAX && (n = read_some(fd, buf, EEP_READ_BLOCK)) > 0)
		xmlParseChunk(t.ctxt, (const char *)buf, (int)n, 0);
	if (!t.done || t.failed || n < 0 || t.chars != d->chars) {
		if (!t.failed || !r->splice_err[0])
			snprintf(r->splice_err, sizeof(r->splice_err),
			         "the text of 编码数据 (line %ld) read again is not what was read before",
			         line_of(d->node));
		goto out;
	}
	rc = 0;
out:
	if (t.ctxt != NULL)
		xmlFreeParserCtxt(t.ctxt);
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* The canonical form (C14N) of the text of a 编码数据, for a signature. */
struct c14n_text {
	int (*emit)(void *, const char *, size_t);
	void *arg;
};

static int
c14n_text(void *arg, const xmlChar *ch, size_t len)
{
	struct c14n_text *c = arg;
	const char *p = (const char *)ch, *end = p + len, *q;

	while (p < end) {
		for (q = p; q < end && *q != '&' && *q != '<' && *q != '>' && *q != '\r'; q++)
			;
		if (q > p && c->emit(c->arg, p, (size_t)(q - p)) < 0)
			return -1;
		if (q == end)
			break;
		if ((*q == '&' && c->emit(c->arg, "&amp;", 5) < 0) || (*q == '<' && c->emit(c->arg, "&lt;", 4) < 0) ||
		    (*q == '>' && c->emit(c->arg, "&gt;", 4) < 0) || (*q == '\r' && c->emit(c->arg, "&#xD;", 5) < 0))
			return -1;
		p = q + 1;
	}
	return 0;
}

static int
c14n_pi(void *arg, const xmlChar *target, const xmlChar *data)
{
	struct c14n_text *c = arg;

	if (c->emit(c->arg, "<?", 2) < 0 || c->emit(c->arg, (const char *)target, strlen((const char *)target)) < 0)
		return -1;
	if (data != NULL && data[0] != '\0' &&
	    (c->emit(c->arg, " ", 1) < 0 || c->emit(c->arg, (const char *)data, strlen((const char *)data)) < 0))
		return -1;
	return c->emit(c->arg, "?>", 2);
}

static int
splice_fill(void *arg, unsigned long n, int (*emit)(void *, const char *, size_t), void *emit_arg)
{
	struct vrun *r = arg;
	struct c14n_text c = {emit, emit_arg};
	struct dec *d;

	for (d = r->decs; d != NULL && d->index != n; d = d->next)
		;
	if (d == NULL)
		return -1;
	return text_pass(r, d, c14n_text, c14n_pi, &c);
}

/* Give every 编码数据 read with text a placeholder of it (see struct
 * eep_splice), once the schema has been checked. */
static void
add_placeholders(struct vrun *r)
{
	struct dec *d;
	char mark[32];

	for (d = r->decs; d != NULL; d = d->next) {
		xmlNodePtr t;
		if (!d->streamed || d->chars == 0)
			continue;
		snprintf(mark, sizeof(mark), "\x01%lu\x02", d->index);
		t = xmlNewDocText(r->doc, BAD_CAST mark);
		if (t == NULL)
			continue; /* the signature check then fails */
		if (d->node->children != NULL)
			xmlAddPrevSibling(d->node->children, t);
		else
			xmlAddChild(d->node, t);
	}
	r->splice.fill = splice_fill;
	r->splice.arg = r;
}

/* ---------------------------------------------------------------- */
/* schema                                                             */

struct xsd_run {
	struct vrun *r;
	int n;
};

static void
xsd_error(void *arg, xmlErrorPtr e)
{
	struct xsd_run *x = arg;
	char msg[600];
	size_t l;

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	if (++x->n > EEP_MAX_FINDINGS) {
		if (x->n == EEP_MAX_FINDINGS + 1)
			report(x->r, DG_FINDING_ERROR, "EEP-LIMIT", 0,
			       "more than %d schema errors: the rest are not shown", EEP_MAX_FINDINGS);
		x->r->errors++;
		return;
	}
	snprintf(msg, sizeof(msg), "%s", e->message != NULL ? e->message : "invalid");
	l = strlen(msg);
	while (l > 0 && msg[l - 1] == '\n')
		msg[--l] = '\0';
	report(x->r, DG_FINDING_ERROR, "EEP-XSD", e->line, "%s", msg);
}

static void
check_schema(struct vrun *r)
{
	xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(r->st->schema);
	struct xsd_run x = {r, 0};
	int rc;

	if (v == NULL) {
		report(r, DG_FINDING_ERROR, "EEP-XSD", 0, "out of memory");
		return;
	}
	xmlSchemaSetValidStructuredErrors(v, xsd_error, &x);
	rc = xmlSchemaValidateDoc(v, r->doc);
	xmlSchemaFreeValidCtxt(v);
	if (rc == 0)
		report(r, DG_FINDING_PASS, "EEP-XSD", 0, "valid against eep.xsd");
	else if (x.n == 0)
		report(r, DG_FINDING_ERROR, "EEP-XSD", 0, "not valid against eep.xsd");
}

/* ---------------------------------------------------------------- */
/* IDs and IDREFs                                                     */

static const char *const id_attrs[] = {"文档数据ID", "编码ID", "编码数据ID", NULL};
static const char *const id_elements[] = {"文档标识符", "修改标识符", "签名标识符", NULL};

static void
add_id(struct vrun *r, const char *value, xmlNodePtr owner)
{
	if (value == NULL || value[0] == '\0')
		return;
	if (xmlHashAddEntry(r->ids, BAD_CAST value, owner) != 0)
		report(r, DG_FINDING_ERROR, "EEP-ID", line_of(owner), "ID \"%.100s\" is used more than once", value);
}

static void
collect_ids(struct vrun *r, xmlNodePtr n, int depth)
{
	size_t i;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; id_attrs[i] != NULL; i++) {
			xmlChar *v = xmlGetNoNsProp(n, BAD_CAST id_attrs[i]);
			if (v != NULL) {
				char *t = (char *)v;
				add_id(r, t, n);
				xmlFree(v);
			}
		}
		for (i = 0; id_elements[i] != NULL; i++)
			if (eep_is(n, id_elements[i])) {
				char *t = eep_text(n);
				add_id(r, t, n);
				free(t);
			}
		if (!eep_is(n, "编码数据") && depth < 4096)
			collect_ids(r, n->children, depth + 1);
	}
}

/* The 编码数据 element an 引用编码数据ID names, NULL if none. */
static xmlNodePtr
data_target(struct vrun *r, const char *ref)
{
	xmlNodePtr t = xmlHashLookup(r->ids, BAD_CAST ref);
	return eep_is(t, "编码数据") ? t : NULL;
}

/* The 电子签名 a 被锁定签名标识符 names, NULL if none. */
static xmlNodePtr
sig_target(struct vrun *r, const char *ref)
{
	xmlNodePtr t = xmlHashLookup(r->ids, BAD_CAST ref);
	return eep_is(t, "签名标识符") && eep_is(t->parent, "电子签名") ? t->parent : NULL;
}

static void
check_idrefs(struct vrun *r, xmlNodePtr n, int depth)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (eep_is(n, "编码数据")) {
			xmlChar *ref = xmlGetNoNsProp(n, BAD_CAST "引用编码数据ID");
			if (ref != NULL) {
				xmlNodePtr t = data_target(r, (const char *)ref);
				if (t == NULL)
					report(r, DG_FINDING_ERROR, "EEP-IDREF", line_of(n),
					       "引用编码数据ID \"%.100s\" names no 编码数据", (const char *)ref);
				else if (xmlHasProp(t, BAD_CAST "引用编码数据ID") != NULL)
					report(r, DG_FINDING_ERROR, "EEP-IDREF", line_of(n),
					       "引用编码数据ID \"%.100s\" names a 编码数据 that is itself a reference",
					       (const char *)ref);
				xmlFree(ref);
			}
			continue;
		}
		if (eep_is(n, "被锁定签名标识符")) {
			char *t = eep_text(n);
			if (t != NULL && sig_target(r, t) == NULL)
				report(r, DG_FINDING_ERROR, "EEP-IDREF", line_of(n),
				       "被锁定签名标识符 \"%.100s\" names no 电子签名", t);
			free(t);
		}
		if (depth < 4096)
			check_idrefs(r, n->children, depth + 1);
	}
}

/* ---------------------------------------------------------------- */
/* bit streams                                                        */

/* The bytes of a 编码数据 decoded again for the importer: into the
 * digests (to be the bytes that were checked) and the writer. */
struct dec_sink {
	struct eep_digest *d;
	const struct dg_host *host;
	struct dg_writer *w;
	struct eep_b64 *b;
	int failed; /* 1 digest, 2 the writer */
};

static int
dec_out(void *arg, const unsigned char *buf, size_t len)
{
	struct dec_sink *s = arg;

	if (eep_digest_update(s->d, buf, len) < 0) {
		s->failed = 1;
		return -1;
	}
	if (s->w != NULL && s->host->writer_write(s->w, buf, len) < 0) {
		s->failed = 2;
		return -1;
	}
	return 0;
}

static int
dec_in(void *arg, const xmlChar *ch, size_t len)
{
	struct dec_sink *s = arg;
	return eep_b64_update(s->b, ch, len);
}

/* Decode the text of d into the writer w, if any (read again from the
 * file, or from the tree for one that was not streamed), and into the
 * digests it was checked with, or with sm3 != NULL into SM3 too, which
 * goes there; 0, -1 (not the bytes checked, or not readable), -2 (the
 * writer failed). */
static int
decode_data(struct vrun *r, const struct dec *dd, struct dg_writer *w, char sm3_out[65])
{
	struct eep_digest d;
	struct eep_b64 b;
	struct dec_sink s = {&d, r->host, w, &b, 0};
	char sm3[65], sha[65];
	int rc = -1, e;

	if ((sm3_out != NULL || dd->sm3[0] != '\0' ? eep_digest_init(&d) : eep_digest_init_sha256(&d)) < 0)
		return -1;
	if (eep_b64_init(&b, dec_out, &s) < 0) {
		eep_digest_release(&d);
		return -1;
	}
	if (!dd->streamed) { /* the text is in the tree */
		xmlNodePtr t;
		e = 0;
		for (t = dd->node->children; t != NULL && e == 0; t = t->next)
			if ((t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE) && t->content != NULL)
				e = eep_b64_update(&b, t->content, strlen((const char *)t->content));
	} else {
		e = text_pass(r, dd, dec_in, NULL, &s);
	}
	if (e == 0 && eep_b64_final(&b) == 0 && eep_digest_final(&d, sm3, sha) == 0 && strcmp(sha, dd->sha256) == 0 &&
	    (dd->sm3[0] == '\0' || strcmp(sm3, dd->sm3) == 0)) {
		rc = 0;
		if (sm3_out != NULL)
			memcpy(sm3_out, sm3, 65);
	}
	if (s.failed == 2)
		rc = -2; /* the writer failed */
	eep_b64_release(&b);
	eep_digest_release(&d);
	return rc;
}

/* The digests recorded in 编码描述 ("SM3:<hex>", "SHA-256:<hex>"). */
static void
recorded_digest(const char *desc, const char *tag, char out[65])
{
	const char *p = strstr(desc, tag);
	size_t n;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += strlen(tag);
	n = strspn(p, "0123456789abcdefABCDEF");
	if (n == 64) {
		memcpy(out, p, 64);
		out[64] = '\0';
		for (n = 0; n < 64; n++)
			if (out[n] >= 'A' && out[n] <= 'F')
				out[n] = (char)(out[n] - 'A' + 'a');
	}
}

/* The 编码数据 element whose bytes a 编码 holds (itself, or the one it
 * refers to); NULL if there is none. */
static xmlNodePtr
coding_data(struct vrun *r, xmlNodePtr coding)
{
	xmlNodePtr data = eep_child(coding, "编码数据"), t;
	const struct dec *d;
	xmlChar *ref;
	bool empty = true;

	if (data == NULL)
		return NULL;
	ref = xmlGetNoNsProp(data, BAD_CAST "引用编码数据ID");
	if (ref == NULL)
		return data;
	if ((d = data->_private) != NULL)
		empty = d->blank;
	else
		for (t = data->children; t != NULL; t = t->next)
			if ((t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE) && t->content != NULL &&
			    strspn((const char *)t->content, " \t\r\n") != strlen((const char *)t->content))
				empty = false;
	if (empty) {
		xmlNodePtr target = data_target(r, (const char *)ref);
		xmlFree(ref);
		return target; /* NULL: reported by check_idrefs */
	}
	xmlFree(ref);
	return data;
}

/* The decoded 编码数据: read with the package, or (one nested in
 * another, which the schema refuses) decoded from the tree now. */
static const struct dec *
decoded(struct vrun *r, xmlNodePtr data)
{
	struct dec *d = data->_private;
	xmlNodePtr t;

	if (d != NULL)
		return d;
	d = dec_new(r, data);
	if (d == NULL)
		return NULL;
	for (t = data->children; t != NULL; t = t->next)
		if ((t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE) && t->content != NULL)
			dec_text(d, t->content, strlen((const char *)t->content));
	dec_end(d);
	return d;
}

static void
check_coding(struct vrun *r, xmlNodePtr coding)
{
	xmlNodePtr data = coding_data(r, coding), attrs = eep_child(coding, "电子属性");
	char *size_s = eep_text(eep_child(attrs, "计算机文件大小")), *desc = eep_text(eep_child(coding, "编码描述"));
	char sm3[65], sha[65];
	const struct dec *d;
	long line = line_of(eep_child(coding, "编码数据"));
	int bad = r->errors;

	r->codings++;
	if (data == NULL)
		goto out;
	d = decoded(r, data);
	if (d == NULL) {
		report(r, DG_FINDING_ERROR, "EEP-BASE64", line, "out of memory");
		goto out;
	}
	if (d->ok < 0) {
		report(r, DG_FINDING_ERROR, "EEP-DIGEST", line_of(data), "cannot compute the digests of 编码数据");
		goto out;
	}
	if (d->ok == 0) {
		report(r, DG_FINDING_ERROR, "EEP-BASE64", line_of(data), "编码数据 is not valid Base64");
		goto out;
	}
	if (size_s != NULL && size_s[0] != '\0') {
		char *end = NULL;
		long long want = strtoll(size_s, &end, 10);
		if (end == NULL || *end != '\0' || want != (long long)d->size)
			report(r, DG_FINDING_ERROR, "EEP-SIZE", line,
			       "计算机文件大小 says %.40s bytes, 编码数据 decodes to %" PRId64, size_s, d->size);
	}
	recorded_digest(desc != NULL ? desc : "", "SM3:", sm3);
	recorded_digest(desc != NULL ? desc : "", "SHA-256:", sha);
	if (sm3[0] == '\0' && sha[0] == '\0')
		report(r, DG_FINDING_WARN, "EEP-NODIGEST", line,
		       "编码描述 records no digest (校验值 SM3:/SHA-256:): a change to the bytes would go unseen "
		       "unless the package is signed");
	if (sm3[0] != '\0' && d->sm3[0] == '\0' && !r->sha256_only) {
		/* a reference from a 编码 that records SM3 to one that does not */
		char again[65];
		if (decode_data(r, d, NULL, again) < 0)
			report(r, DG_FINDING_ERROR, "EEP-DIGEST", line, "cannot compute the SM3 of 编码数据");
		else if (strcmp(sm3, again) != 0)
			report(r, DG_FINDING_ERROR, "EEP-DIGEST", line,
			       "SM3 of the decoded bytes is %s, 编码描述 records %s", again, sm3);
	} else if (sm3[0] != '\0' && d->sm3[0] != '\0' && strcmp(sm3, d->sm3) != 0) {
		report(r, DG_FINDING_ERROR, "EEP-DIGEST", line, "SM3 of the decoded bytes is %s, 编码描述 records %s",
		       d->sm3, sm3);
	}
	if (sha[0] != '\0' && strcmp(sha, d->sha256) != 0)
		report(r, DG_FINDING_ERROR, "EEP-DIGEST", line,
		       "SHA-256 of the decoded bytes is %s, 编码描述 records %s", d->sha256, sha);
out:
	if (r->errors == bad)
		r->codings_ok++;
	free(size_s);
	free(desc);
}

static void
walk_codings(struct vrun *r, xmlNodePtr n, int depth)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (eep_is(n, "编码")) {
			check_coding(r, n);
			continue;
		}
		if (depth < 4096)
			walk_codings(r, n->children, depth + 1);
	}
}

/* ---------------------------------------------------------------- */
/* signatures                                                         */

static X509 *
sig_cert(struct vrun *r, xmlNodePtr sig)
{
	xmlNodePtr c = eep_child(eep_child(sig, "证书块"), "证书");
	xmlChar *t = c != NULL ? xmlNodeGetContent(c) : NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509 *x = NULL;

	if (t == NULL) {
		report(r, DG_FINDING_ERROR, "EEP-CERT", line_of(sig), "no 证书 to check the signature with");
		return NULL;
	}
	der = eep_b64_decode_all(t, &len);
	xmlFree(t);
	if (der == NULL) {
		report(r, DG_FINDING_ERROR, "EEP-CERT", line_of(c), "证书 is not Base64");
		return NULL;
	}
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	free(der);
	if (x == NULL)
		report(r, DG_FINDING_ERROR, "EEP-CERT", line_of(c), "证书 is not a DER X.509 certificate");
	return x;
}

/* Check one signature element (电子签名 or 锁定签名) over target. */
static int
check_sig(struct vrun *r, xmlNodePtr sig, xmlNodePtr target, const char *code)
{
	char *alg = eep_text(eep_child(sig, "签名算法标识")), *rule = eep_text(eep_child(sig, "签名规则"));
	xmlNodePtr val_n = eep_child(sig, "签名结果");
	xmlChar *val_t = val_n != NULL ? xmlNodeGetContent(val_n) : NULL;
	unsigned char *val = NULL;
	size_t len = 0;
	X509 *cert = NULL;
	EVP_PKEY *pub;
	char err[256] = "";
	int ok = 0, v;

	if (++r->sigs > EEP_MAX_SIGS) {
		if (r->sigs == EEP_MAX_SIGS + 1)
			report(r, DG_FINDING_ERROR, "EEP-LIMIT", line_of(sig), "more than %d signatures: not checked",
			       EEP_MAX_SIGS);
		goto out;
	}
	if (alg == NULL || !(strstr(alg, "SM2") != NULL || strstr(alg, EEP_SIG_OID) != NULL)) {
		report(r, DG_FINDING_ERROR, "EEP-ALGORITHM", line_of(sig),
		       "签名算法标识 \"%.80s\" is not supported (SM2-SM3, %s): the signature cannot be checked",
		       alg != NULL ? alg : "", EEP_SIG_OID);
		goto out;
	}
	if (val_t == NULL || (val = eep_b64_decode_all(val_t, &len)) == NULL) {
		report(r, DG_FINDING_ERROR, "EEP-BASE64", line_of(val_n), "签名结果 is not Base64");
		goto out;
	}
	cert = sig_cert(r, sig);
	if (cert == NULL)
		goto out;
	pub = X509_get0_pubkey(cert);
	if (pub == NULL || !EVP_PKEY_is_a(pub, "SM2")) {
		report(r, DG_FINDING_ERROR, "EEP-CERT", line_of(sig), "the certificate's key is not an SM2 key");
		goto out;
	}
	{
		char *when = eep_text(eep_child(sig, "签名时间"));
		if (when != NULL && strlen(when) >= 19) {
			struct tm tm;
			memset(&tm, 0, sizeof(tm));
			if (sscanf(when, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			           &tm.tm_min, &tm.tm_sec) == 6) {
				time_t t;
				tm.tm_year -= 1900;
				tm.tm_mon -= 1;
				t = timegm(&tm);
				if (X509_cmp_time(X509_get0_notBefore(cert), &t) > 0 ||
				    X509_cmp_time(X509_get0_notAfter(cert), &t) < 0)
					report(r, DG_FINDING_WARN, "EEP-CERT", line_of(sig),
					       "the certificate was not valid at the 签名时间 %.40s", when);
			}
		}
		free(when);
	}
	r->splice_err[0] = '\0';
	v = eep_verify_node(r->doc, target, eep_c14n_mode(rule), &r->splice, pub, val, len, err, sizeof(err));
	if (v < 0 && r->splice_err[0])
		snprintf(err, sizeof(err), "%s", r->splice_err);
	if (v == 1) {
		ok = 1;
		r->sigs_ok++;
		if (!r->signer[0]) {
			X509_NAME_oneline(X509_get_subject_name(cert), r->signer, sizeof(r->signer));
		}
	} else if (v == 0) {
		report(r, DG_FINDING_ERROR, code, line_of(sig), "%s does not verify over %s (line %ld)",
		       strcmp(code, "EEP-LOCK") == 0 ? "锁定签名" : "电子签名", (const char *)target->name,
		       line_of(target));
	} else {
		report(r, DG_FINDING_ERROR, code, line_of(sig), "cannot check the signature: %s", err);
	}
out:
	X509_free(cert);
	free(val);
	if (val_t != NULL)
		xmlFree(val_t);
	free(alg);
	free(rule);
	return ok;
}

/* Every 电子签名块 (at the root or in a 原封装包) over the 被签名对象 before it. */
static void
walk_signatures(struct vrun *r, xmlNodePtr n, int depth)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || eep_is(n, "编码数据"))
			continue;
		if (eep_is(n, "电子签名块")) {
			xmlNodePtr obj = n->prev, s;
			while (obj != NULL && obj->type != XML_ELEMENT_NODE)
				obj = obj->prev;
			if (!eep_is(obj, "被签名对象")) {
				report(r, DG_FINDING_ERROR, "EEP-SIGNATURE", line_of(n),
				       "电子签名块 does not follow a 被签名对象");
				continue;
			}
			for (s = eep_child(n, "电子签名"); s != NULL; s = eep_next(s, "电子签名"))
				check_sig(r, s, obj, "EEP-SIGNATURE");
			continue;
		}
		if (eep_is(n, "锁定签名")) {
			char *ref = eep_text(eep_child(n, "被锁定签名标识符"));
			xmlNodePtr target = ref != NULL ? sig_target(r, ref) : NULL;
			if (target != NULL)
				check_sig(r, n, target, "EEP-LOCK");
			else
				report(r, DG_FINDING_ERROR, "EEP-LOCK", line_of(n),
				       "锁定签名 names no 电子签名: not checked");
			free(ref);
			continue;
		}
		if (depth < 4096)
			walk_signatures(r, n->children, depth + 1);
	}
}

/* ---------------------------------------------------------------- */
/* 修改型 chain                                                       */

/* 电子文件号 of a content element (封装内容 or 修订内容). */
static char *
content_docno(xmlNodePtr content)
{
	return eep_text(eep_child(eep_child(eep_child(content, "文件实体块"), "文件实体"), "电子文件号"));
}

/* Check one 被签名对象 and the layers under it; returns its layer
 * number (0 for 原始型), -1 when unknown. */
static int
check_layer(struct vrun *r, xmlNodePtr bso, int depth, char **docno, char **created)
{
	char *type = eep_text(eep_child(bso, "封装包类型")), *desc = eep_text(eep_child(bso, "封装包类型描述"));
	xmlNodePtr orig = eep_child(bso, "封装内容"), mod = eep_child(bso, "修改封装内容");
	int layer = -1;

	*docno = NULL;
	*created = eep_text(eep_child(bso, "封装包创建时间"));
	if (depth > EEP_MAX_VERSIONS) {
		report(r, DG_FINDING_ERROR, "EEP-LIMIT", line_of(bso), "more than %d 修改 layers: not checked",
		       EEP_MAX_VERSIONS);
		goto out;
	}
	if (orig != NULL) {
		if (type == NULL || strcmp(type, EEP_TYPE_ORIG) != 0)
			report(r, DG_FINDING_ERROR, "EEP-CHAIN", line_of(bso), "封装内容 in a package of type %.40s",
			       type != NULL ? type : "?");
		if (desc == NULL || strcmp(desc, EEP_TYPE_DESC_ORIG) != 0)
			report(r, DG_FINDING_ERROR, "EEP-CHAIN", line_of(bso),
			       "封装包类型描述 does not describe an 原始型 package");
		*docno = content_docno(orig);
		layer = 0;
	} else if (mod != NULL) {
		xmlNodePtr inner = eep_child(eep_child(mod, "原封装包"), "被签名对象");
		char *id = eep_text(eep_child(mod, "修改标识符")), *idocno = NULL, *icreated = NULL, *end = NULL;
		long n = -1;
		int ilayer;
		if (type == NULL || strcmp(type, EEP_TYPE_MOD) != 0)
			report(r, DG_FINDING_ERROR, "EEP-CHAIN", line_of(bso),
			       "修改封装内容 in a package of type %.40s", type != NULL ? type : "?");
		if (desc == NULL || strcmp(desc, EEP_TYPE_DESC_MOD) != 0)
			report(r, DG_FINDING_ERROR, "EEP-CHAIN", line_of(bso),
			       "封装包类型描述 does not describe a 修改型 package");
		if (id != NULL && strncmp(id, "修改", strlen("修改")) == 0) {
			n = strtol(id + strlen("修改"), &end, 10);
			if (end == NULL || *end != '\0' || n < 1)
				n = -1;
		}
		*docno = content_docno(eep_child(mod, "修订内容"));
		if (inner != NULL) {
			ilayer = check_layer(r, inner, depth + 1, &idocno, &icreated);
			if (n < 0)
				report(r, DG_FINDING_ERROR, "EEP-CHAIN", line_of(mod),
				       "修改标识符 \"%.60s\" is not 修改N (N ≥ 1)", id != NULL ? id : "");
			else if (ilayer >= 0 && n != ilayer + 1)
				report(r, DG_FINDING_ERROR, "EEP-CHAIN", line_of(mod),
				       "修改标识符 %.60s wraps layer 修改%d: expected 修改%d", id, ilayer, ilayer + 1);
			if (idocno != NULL && *docno != NULL && strcmp(idocno, *docno) != 0)
				report(r, DG_FINDING_ERROR, "EEP-CHAIN", line_of(mod),
				       "修订内容 is electronic record %.100s, 原封装包 is %.100s", *docno, idocno);
			/* xs:dateTime values of one producer compare as text
			 * when both are UTC ("...Z") */
			if (icreated != NULL && *created != NULL && strlen(icreated) == strlen(*created) &&
			    icreated[strlen(icreated) - 1] == 'Z' && (*created)[strlen(*created) - 1] == 'Z' &&
			    strcmp(icreated, *created) > 0)
				report(r, DG_FINDING_ERROR, "EEP-CHAIN", line_of(mod),
				       "the 修改 layer (%s) is older than the package it wraps (%s)", *created,
				       icreated);
			layer = n >= 0 ? (int)n : -1;
		}
		free(id);
		free(idocno);
		free(icreated);
	}
out:
	free(type);
	free(desc);
	return layer;
}

/* ---------------------------------------------------------------- */
/* one package                                                        */

static void
run_release(struct vrun *r)
{
	if (r->ids != NULL)
		xmlHashFree(r->ids, NULL);
	while (r->decs != NULL) {
		struct dec *d = r->decs;
		r->decs = d->next;
		eep_digest_release(&d->d);
		eep_b64_release(&d->b);
		free(d);
	}
	xmlFreeDoc(r->doc);
	r->ids = NULL;
	r->doc = NULL;
	r->cur = NULL;
}

/* Verify the package at path; r->doc is kept for the importer. */
static void
verify_package(struct vrun *r)
{
	xmlNodePtr root, bso;
	char err[512];
	int line = 0;

	r->doc = read_package(r, err, sizeof(err), &line);
	if (r->doc == NULL) {
		report(r, DG_FINDING_ERROR,
		       strstr(err, "cannot open") || strstr(err, "max-size") || strstr(err, "regular file")
		           ? "EEP-READ"
		           : "EEP-PARSE",
		       line, "%s", err);
		return;
	}
	root = xmlDocGetRootElement(r->doc);
	if (!eep_is(root, "电子文件封装包")) {
		report(r, DG_FINDING_ERROR, "EEP-XSD", line_of(root),
		       "the root element is not 电子文件封装包 in the namespace %s", EEP_NS);
		return;
	}
	check_schema(r);
	r->ids = xmlHashCreate(64);
	if (r->ids == NULL) {
		report(r, DG_FINDING_ERROR, "EEP-READ", 0, "out of memory");
		return;
	}
	collect_ids(r, root, 0);
	check_idrefs(r, root->children, 0);
	walk_codings(r, root->children, 0);
	if (r->codings > 0 && r->codings == r->codings_ok)
		report(r, DG_FINDING_PASS, "EEP-DIGEST", 0,
		       r->sha256_only
		           ? "%d bit streams decode to their recorded size and SHA-256 (their SM3 was computed "
		             "by this export from the same bytes, whose SHA-256 is the document id)"
		           : "%d bit streams decode to their recorded size and digests",
		       r->codings);
	bso = eep_child(root, "被签名对象");
	if (bso != NULL) {
		char *docno = NULL, *created = NULL;
		int before = r->errors;
		int layer = check_layer(r, bso, 0, &docno, &created);
		if (r->errors == before && layer >= 0)
			report(r, DG_FINDING_PASS, "EEP-CHAIN", 0, "%s, %d layer%s consistent",
			       layer == 0 ? EEP_TYPE_ORIG : EEP_TYPE_MOD, layer + 1, layer == 0 ? "" : "s");
		free(docno);
		free(created);
	}
	add_placeholders(r);
	walk_signatures(r, root->children, 0);
	if (r->sigs == 0)
		report(r, DG_FINDING_INFO, "EEP-SIGNATURE", 0,
		       "not signed (the digests in 编码描述 are the only seal)");
	else if (r->sigs_ok == r->sigs)
		report(r, DG_FINDING_PASS, "EEP-SIGNATURE", 0,
		       "%d signature%s valid (signer %s; the certificate is not checked against a trust anchor)",
		       r->sigs, r->sigs == 1 ? "" : "s", r->signer);
}

/* ---------------------------------------------------------------- */
/* directories                                                        */

static bool
ends_eep(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcasecmp(name + n - 4, ".eep") == 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.eep regular files of dir (no symlinks), sorted; -1 on error. */
static int
list_packages(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL, **nv;
	size_t cap = 0, len = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		struct stat sb;
		if (e->d_name[0] == '.' || !ends_eep(e->d_name))
			continue;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode))
			continue;
		if (len >= EEP_MAX_PACKAGES)
			break;
		if (len == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL)
				goto out;
			v = nv;
		}
		v[len] = malloc(strlen(dir) + strlen(e->d_name) + 2);
		if (v[len] == NULL)
			goto out;
		snprintf(v[len], strlen(dir) + strlen(e->d_name) + 2, "%s%s%s", dir,
		         dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
		len++;
	}
	if (len > 1) /* qsort wants a non-null array even for none */
		qsort(v, len, sizeof(*v), cmp_names);
	rc = 0;
out:
	closedir(d);
	if (rc < 0) {
		while (len > 0)
			free(v[--len]);
		free(v);
		return -1;
	}
	*out = v;
	*n = len;
	return 0;
}

static void
free_list(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* A run over the package at path (verify() and the importer). */
static void
vrun_init(struct vrun *r, struct dg_ctx *ctx, const struct dg_host *host, struct eep_state *st, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->ctx = ctx;
	r->host = host;
	r->st = st;
	r->path = path;
}

/* ---------------------------------------------------------------- */
/* a package held for signing                                         */

struct eep_held {
	struct vrun r;
};

struct eep_held *
eep_hold(struct dg_ctx *ctx, const struct dg_host *host, struct eep_state *st, const char *path, char *err,
         size_t errcap)
{
	struct eep_held *h = calloc(1, sizeof(*h));
	int line = 0;

	if (h == NULL) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	vrun_init(&h->r, ctx, host, st, path);
	h->r.quiet = true;
	h->r.locate_only = true;
	h->r.doc = read_package(&h->r, err, errcap, &line);
	if (h->r.doc == NULL) {
		eep_held_free(h);
		return NULL;
	}
	add_placeholders(&h->r);
	return h;
}

xmlDocPtr
eep_held_doc(struct eep_held *h)
{
	return h->r.doc;
}

const struct eep_splice *
eep_held_splice(struct eep_held *h)
{
	return &h->r.splice;
}

const char *
eep_held_error(struct eep_held *h)
{
	return h->r.splice_err;
}

void
eep_held_free(struct eep_held *h)
{
	if (h == NULL)
		return;
	run_release(&h->r);
	free(h);
}

/*
 * The packages of a directory are verified on one thread per CPU
 * (ordpool.h); the findings are held per package and reported by the
 * calling thread in name order, so the output is the same whatever the
 * threads do.
 */
struct vdir {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	struct eep_state *st;
	char **files;
	size_t n;
	struct vfindings *res;
	int errors;
};

/* Verify package i, reporting its findings (out NULL) or holding them
 * in out; its number of errors. */
static int
verify_one(struct vdir *v, size_t i, struct vfindings *out)
{
	struct vrun r;
	int errors;

	vrun_init(&r, v->ctx, v->host, v->st, v->files[i]);
	r.sha256_only = v->st->exported;
	r.out = out;
	verify_package(&r);
	errors = r.errors;
	run_release(&r);
	return errors;
}

/* The held findings live in a ring of ORDPOOL_AHEAD slots: ordpool
 * starts no package that far past the last one reported. */
static void
verify_work(void *arg, size_t i)
{
	struct vdir *v = arg;
	struct vfindings *h = &v->res[i % ORDPOOL_AHEAD];

	memset(h, 0, sizeof(*h));
	h->errors = verify_one(v, i, h);
}

static int
verify_report(void *arg, size_t i)
{
	struct vdir *v = arg;
	struct vfindings *h = &v->res[i % ORDPOOL_AHEAD];
	size_t j;

	for (j = 0; j < h->n; j++) {
		const struct vfinding *f = &h->v[j];
		v->host->finding(v->ctx, f->level, f->code, f->where, "%s", f->msg);
	}
	v->errors += h->errors;
	release_findings(h);
	return 0;
}

/* Verify files[0..n); the number of errors. */
static int
verify_dir(struct vdir *v)
{
	size_t i;

	v->res = v->n > 1 ? calloc(ORDPOOL_AHEAD, sizeof(*v->res)) : NULL;
	if (v->res == NULL) { /* one package, or no memory for more: here, one by one */
		for (i = 0; i < v->n; i++)
			v->errors += verify_one(v, i, NULL);
		return v->errors;
	}
	ordpool_run(v->n, verify_work, verify_report, v);
	free(v->res);
	return v->errors;
}

int
eep_verify(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *path)
{
	struct eep_state *st = state;
	struct stat sb;
	struct vdir v;
	char *one[1];
	int errors;

	memset(&v, 0, sizeof(v));
	v.ctx = ctx;
	v.host = host;
	v.st = st;
	if (stat(path, &sb) < 0) {
		host->finding(ctx, DG_FINDING_ERROR, "EEP-READ", path, "cannot read: %s", strerror(errno));
		return DG_FAILED;
	}
	if (S_ISDIR(sb.st_mode)) {
		if (list_packages(path, &v.files, &v.n) < 0) {
			host->finding(ctx, DG_FINDING_ERROR, "EEP-READ", path, "cannot list: %s", strerror(errno));
			return DG_FAILED;
		}
		if (v.n == 0) {
			host->finding(ctx, DG_FINDING_ERROR, "EEP-EMPTY", path, "no .eep package in the directory");
			return DG_FAILED;
		}
		errors = verify_dir(&v);
		free_list(v.files, v.n);
	} else {
		one[0] = (char *)path;
		v.files = one;
		v.n = 1;
		errors = verify_dir(&v);
	}
	return errors > 0 ? DG_FAILED : DG_OK;
}

/* ---------------------------------------------------------------- */
/* import                                                             */

int
eep_bid_locator(const char *locator)
{
	struct stat sb;
	char **files = NULL;
	size_t n = 0;

	if (locator == NULL || stat(locator, &sb) < 0)
		return 0;
	if (S_ISREG(sb.st_mode))
		return ends_eep(locator) ? 90 : 0;
	if (!S_ISDIR(sb.st_mode) || list_packages(locator, &files, &n) < 0)
		return 0;
	free_list(files, n);
	return n > 0 ? 80 : 0;
}

/* The content element of the newest layer: 封装内容 or 修订内容. */
static xmlNodePtr
newest_content(xmlNodePtr bso, int *layers)
{
	xmlNodePtr c = eep_child(bso, "封装内容"), m;

	*layers = 1;
	if (c != NULL)
		return c;
	m = eep_child(bso, "修改封装内容");
	for (c = eep_child(eep_child(m, "原封装包"), "被签名对象"); c != NULL && *layers <= EEP_MAX_VERSIONS;
	     c = eep_child(eep_child(eep_child(c, "修改封装内容"), "原封装包"), "被签名对象"))
		(*layers)++;
	return eep_child(m, "修订内容");
}

static void
set_meta(struct vrun *r, struct dg_doc *doc, const char *key, const char *value)
{
	if (value != NULL && value[0] != '\0' && r->host->meta_set(doc, key, value) < 0)
		r->host->log(r->ctx, DG_LOG_WARN, "eep: %s: metadata %s not set", r->path, key);
}

static void
set_meta_node(struct vrun *r, struct dg_doc *doc, const char *key, xmlNodePtr n)
{
	char *t;

	if (n == NULL || r->host->meta_get(doc, key) != NULL)
		return;
	t = eep_text(n);
	set_meta(r, doc, key, t);
	free(t);
}

/* 档号's own text (the code), without its children's. */
static char *
dah_text(xmlNodePtr dah)
{
	xmlNodePtr t;
	size_t len = 0;
	char *s = NULL, *p;

	for (t = dah != NULL ? dah->children : NULL; t != NULL; t = t->next)
		if (t->type == XML_TEXT_NODE && t->content != NULL)
			len += strlen((const char *)t->content);
	if (len == 0 || len > 4096 || (s = calloc(1, len + 1)) == NULL)
		return NULL;
	len = 0;
	for (t = dah->children; t != NULL; t = t->next)
		if (t->type == XML_TEXT_NODE && t->content != NULL) {
			size_t l = strlen((const char *)t->content);
			memcpy(s + len, t->content, l);
			len += l;
		}
	for (p = s; *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'; p++)
		;
	memmove(s, p, strlen(p) + 1);
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == '\t'))
		s[--len] = '\0';
	return s;
}

/* Emit the document of a verified package; DG_OK, DG_FAILED or DG_FATAL. */
static int
import_package(struct vrun *r)
{
	xmlNodePtr root = xmlDocGetRootElement(r->doc), bso = eep_child(root, "被签名对象"), content, entity, docs,
	           main = NULL, coding, data, n;
	struct dg_doc *doc = NULL;
	struct dg_writer *w = NULL;
	const struct dec *d;
	const char *base = strrchr(r->path, '/');
	int layers = 0, skipped = 0, restored = 0, rc = DG_FAILED, e;
	char buf[512];

	content = newest_content(bso, &layers);
	entity = eep_child(eep_child(content, "文件实体块"), "文件实体");
	docs = eep_child(entity, "文件数据");
	for (n = eep_child(docs, "文档"); n != NULL; n = eep_next(n, "文档")) {
		char *role = eep_text(eep_child(n, "文档主从声明"));
		if (main == NULL && (role == NULL || strcmp(role, "附属文档") != 0))
			main = n;
		else
			skipped++;
		free(role);
	}
	coding = eep_child(eep_child(main, "文档数据"), "编码");
	data = coding != NULL ? coding_data(r, coding) : NULL;
	if (data == NULL) {
		snprintf(r->first, sizeof(r->first), "%s: no 主文档 编码数据 to import", r->path);
		return DG_FAILED;
	}
	doc = r->host->doc_new(r->ctx, NULL);
	w = doc != NULL ? r->host->writer_open(r->ctx) : NULL;
	if (w == NULL) {
		snprintf(r->first, sizeof(r->first), "%s: cannot start a document", r->path);
		goto out;
	}
	d = decoded(r, data);
	e = d != NULL && d->ok == 1 ? decode_data(r, d, w, NULL) : -1;
	if (e < 0) {
		snprintf(r->first, sizeof(r->first), "%s: cannot restore the bit stream%s", r->path,
		         e == -2 ? " (the store refused it)" : "");
		goto out;
	}
	if (r->host->writer_finish(r->ctx, w, doc, DG_ROLE_ORIGINAL, NULL) < 0) {
		w = NULL;
		snprintf(r->first, sizeof(r->first), "%s: cannot store the bit stream", r->path);
		goto out;
	}
	w = NULL;
	/* metadata: 附注 "KEY=VALUE" first (dangan's own, exact) */
	for (n = eep_child(entity, "附注"); n != NULL; n = eep_next(n, "附注")) {
		xmlChar *t = xmlNodeGetContent(n);
		const char *s = (const char *)t, *eq = s != NULL ? strchr(s, '=') : NULL;
		if (eq != NULL && eq > s && (size_t)(eq - s) < 256 && s[0] != '@' &&
		    strcspn(s, " \t\r\n") >= (size_t)(eq - s)) {
			char key[256];
			snprintf(key, sizeof(key), "%.*s", (int)(eq - s), s);
			if (r->host->meta_add(doc, key, eq + 1) < 0)
				r->host->log(r->ctx, DG_LOG_WARN, "eep: %s: metadata %s not set", r->path, key);
			else
				restored++;
		} else if (s != NULL && s[0] != '\0') {
			if (r->host->meta_add(doc, "eep.附注", s) < 0)
				r->host->log(r->ctx, DG_LOG_WARN, "eep: %s: 附注 not kept", r->path);
		}
		if (t != NULL)
			xmlFree(t);
	}
	if (restored == 0) {
		/* another producer's package: the DA/T 46 elements themselves */
		xmlNodePtr desc = eep_child(entity, "内容描述");
		char *date = eep_text(eep_child(desc, "日期")), *dah = dah_text(eep_child(entity, "档号"));
		set_meta_node(r, doc, "dc.title", eep_child(desc, "题名"));
		set_meta_node(r, doc, "dc.creator", eep_child(desc, "责任者"));
		if (date != NULL && strlen(date) == 8 && strspn(date, "0123456789") == 8) {
			snprintf(buf, sizeof(buf), "%.4s-%.2s-%.2s", date, date + 4, date + 6);
			set_meta(r, doc, "dc.date", buf);
		} else {
			set_meta(r, doc, "dc.date", date);
		}
		set_meta(r, doc, "档号", dah);
		free(date);
		free(dah);
	}
	set_meta(r, doc, "eep.package", base != NULL ? base + 1 : r->path);
	{
		char *t = eep_text(eep_child(bso, "封装包类型"));
		set_meta(r, doc, "eep.type", t);
		free(t);
		t = eep_text(eep_child(bso, "封装包创建时间"));
		set_meta(r, doc, "eep.created", t);
		free(t);
		t = eep_text(eep_child(bso, "封装包创建单位"));
		set_meta(r, doc, "eep.unit", t);
		free(t);
		t = eep_text(eep_child(entity, "电子文件号"));
		set_meta(r, doc, "eep.document-number", t);
		free(t);
	}
	if (r->sigs > 0)
		snprintf(buf, sizeof(buf), "valid: %s", r->signer);
	else
		snprintf(buf, sizeof(buf), "none");
	set_meta(r, doc, "eep.signature", buf);
	snprintf(buf, sizeof(buf), "%d", layers);
	set_meta(r, doc, "eep.layers", buf);
	if (skipped > 0) {
		snprintf(buf, sizeof(buf), "%d", skipped);
		set_meta(r, doc, "eep.attachments-skipped", buf);
	}
	e = r->host->emit(r->ctx, doc);
	doc = NULL;
	rc = e == DG_FATAL ? DG_FATAL : DG_OK;
out:
	if (w != NULL)
		r->host->writer_abort(w);
	if (doc != NULL)
		r->host->doc_free(doc);
	return rc;
}

int
eep_scan(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *locator)
{
	struct eep_state *st = state;
	struct stat sb;
	char **files = NULL, first[512] = "";
	size_t n = 0, i, refused = 0, total;
	int rc = DG_OK;

	if (stat(locator, &sb) < 0) {
		host->error(ctx, "eep: %s: %s", locator, strerror(errno));
		return DG_FAILED;
	}
	if (S_ISDIR(sb.st_mode) && list_packages(locator, &files, &n) < 0) {
		host->error(ctx, "eep: %s: cannot list: %s", locator, strerror(errno));
		return DG_FAILED;
	}
	total = S_ISDIR(sb.st_mode) ? n : 1;
	for (i = 0; i < total; i++) {
		struct vrun r;
		int s;
		vrun_init(&r, ctx, host, st, files != NULL ? files[i] : locator);
		r.quiet = true;
		verify_package(&r);
		if (r.errors > 0) {
			host->log(ctx, DG_LOG_ERROR, "eep: %s: refused, not a valid package (%d errors)", r.path,
			          r.errors);
			if (!first[0])
				snprintf(first, sizeof(first), "%s", r.first);
			refused++;
			run_release(&r);
			continue;
		}
		s = import_package(&r);
		if (s == DG_FAILED) {
			host->log(ctx, DG_LOG_ERROR, "eep: %s", r.first);
			if (!first[0])
				snprintf(first, sizeof(first), "%s", r.first);
			refused++;
		}
		run_release(&r);
		if (s == DG_FATAL) {
			rc = DG_FATAL;
			break;
		}
	}
	free_list(files, n);
	if (rc == DG_OK && refused > 0) {
		host->error(ctx, "eep: %zu of %zu packages refused; first: %s", refused, total, first);
		rc = DG_FAILED;
	}
	return rc;
}
