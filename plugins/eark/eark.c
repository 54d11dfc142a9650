/*
 * plugins/eark/eark.c -- export stored documents as one E-ARK
 * information package (CSIP 2.1 / SIP 2.1), and verify such packages.
 *
 * Layout written under the directory export_begin() is given:
 *
 *   METS.xml                          package METS (CSIP/SIP profile)
 *   metadata/descriptive/dc.xml       Dublin Core (and every other
 *                                     metadata value) of each document
 *   metadata/preservation/premis.xml  PREMIS 3: an object per file, an
 *                                     event per provenance event of every
 *                                     stored version, the agents
 *   documentation/README.txt          what the package holds
 *   schemas/                          the XML schemas the files use
 *   representations/rep1/METS.xml     the originals
 *   representations/rep1/data/<doc>/<original name>
 *   representations/rep2/...          derived parts (option derivatives)
 *
 * <doc> is the first 16 hex digits of the document's id (the whole id
 * on a clash).  Data files are copied in blocks and hashed as they are
 * copied (the copy must hash to the stored object's id); the generated
 * XML is streamed through xmlTextWriter and hashed as it is written.
 * Memory does not grow with the selection: per file the export keeps
 * one spool line (in an unlinked file inside the package) that the
 * representation METS is written from at export_end(), and PREMIS
 * events wait in another spool until the objects are all written (the
 * schema wants objects first).  Only the set of distinct plugin
 * versions (the PREMIS agents) is kept in memory.
 *
 * verify() is in verify.c.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <openssl/rand.h>

#include "eark.h"

#define DG_EARK_VERSION "1.0.0"
#define DG_EARK_AGENTS_MAX 4096    /* distinct plugin versions named in PREMIS */
#define DG_EARK_VERSIONS_MAX 10000 /* stored versions walked per document */
#define DG_EARK_SPOOL_LINE 8192    /* one spooled file record */
#define DG_EARK_REPS 2

static const struct dg_option dg_eark_options[] = {
    {.name = "package-id",
     .type = DG_OPT_STRING,
     .default_value = NULL,
     .help = "the package's OBJID (default: a new urn:uuid)"},
    {.name = "label",
     .type = DG_OPT_STRING,
     .default_value = NULL,
     .help = "a short title of the package (mets/@LABEL)"},
    {.name = "content-category",
     .type = DG_OPT_STRING,
     .default_value = "Mixed",
     .help = "mets/@TYPE from the CSIP content category vocabulary; any other value is written as "
             "TYPE=\"Other\" with csip:OTHERTYPE"},
    {.name = "content-information-type",
     .type = DG_OPT_STRING,
     .default_value = "dangan-documents",
     .help = "csip:CONTENTINFORMATIONTYPE from the CSIP vocabulary; any other value is written as "
             "OTHER with csip:OTHERCONTENTINFORMATIONTYPE"},
    {.name = "derivatives",
     .type = DG_OPT_BOOL,
     .default_value = "false",
     .help = "also export the derived parts (text, hOCR, searchable PDF, ...) as representation rep2"},
    {.name = "submitter",
     .type = DG_OPT_STRING,
     .default_value = NULL,
     .help = "name of the submitting organisation (SIP submitting agent)"},
    {.name = "submitter-id",
     .type = DG_OPT_STRING,
     .default_value = NULL,
     .help = "identification code of the submitting organisation"},
    {.name = NULL},
};

/* The schemas copied into schemas/ (from DATADIR/schemas/eark). */
static const char *const dg_eark_schema_files[] = {
    "mets.xsd", "xlink.xsd", "DILCISExtensionMETS.xsd", "DILCISExtensionSIPMETS.xsd", "premis-v3-0.xsd", NULL,
};
#define DG_EARK_NSCHEMAS 5
#define DG_EARK_METS_SCHEMAS 4 /* the first four are what a METS file uses */

/* File extensions of derived parts by media type. */
static const struct {
	const char *type;
	const char *ext;
} dg_eark_exts[] = {
    {"text/plain", ".txt"},      {"text/vnd.hocr+html", ".hocr.html"},
    {"text/html", ".html"},      {"application/pdf", ".pdf"},
    {"application/xml", ".xml"}, {"text/xml", ".xml"},
    {"image/png", ".png"},       {"image/jpeg", ".jpg"},
    {"image/tiff", ".tif"},      {"application/json", ".json"},
    {"text/csv", ".csv"},        {NULL, NULL},
};

/* The 15 Dublin Core elements (metadata keys "dc.<element>"). */
static const char *const dg_eark_dc[] = {
    "title",  "creator",    "subject", "description", "publisher", "contributor", "date",   "type",
    "format", "identifier", "source",  "language",    "relation",  "coverage",    "rights", NULL,
};

/* A file the package METS lists outside the representations. */
struct dg_eark_file {
	char path[128]; /* package-relative */
	const char *mime;
	int64_t size;
	char sha[65];
};

struct dg_eark_rep {
	char name[8];  /* "rep1" */
	int dirfd;     /* representations/<name> */
	int datafd;    /* representations/<name>/data */
	FILE *spool;   /* per file: href TAB mime TAB size TAB created TAB sha256 */
	int64_t files; /* files spooled */
	struct dg_eark_file mets;
};

struct dg_eark_agent {
	char *name;
	char *version; /* NULL: unknown */
};

struct dg_eark {
	/* options */
	char *package_id;
	char *label;
	char *category;
	char *cit;
	char *submitter;
	char *submitter_id;
	int derivatives;
	/* the export under way */
	char *out;
	int outfd;
	int reps_fd;
	int64_t now_us;
	char now[32];
	struct dg_eark_rep rep[DG_EARK_REPS];
	struct dg_eark_sink dc_sink, premis_sink, events_sink;
	xmlTextWriterPtr dc, premis, events;
	struct dg_eark_file schemas[DG_EARK_NSCHEMAS];
	struct dg_eark_file doc_readme, doc_dc, doc_premis;
	struct dg_eark_agent *agents;
	size_t nagents;
	int64_t docs, versions, events_n, bytes;
	int failed; /* a document could not be exported: export_end refuses */
	/* verify() */
	xmlSchemaPtr schema;
};

/* ---- small XML writing helpers: each returns 0 or -1 ---------------- */

static int
dg_eark_start(xmlTextWriterPtr w, const char *name)
{
	return xmlTextWriterStartElement(w, BAD_CAST name) < 0 ? -1 : 0;
}

static int
dg_eark_end(xmlTextWriterPtr w)
{
	return xmlTextWriterEndElement(w) < 0 ? -1 : 0;
}

/* An attribute; value cleaned of what XML cannot carry.  NULL: none. */
static int
dg_eark_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
	char *c;
	int rc;

	if (!value)
		return 0;
	c = dg_eark_xml_clean(value, DG_EARK_VALUE_MAX);
	if (!c)
		return -1;
	rc = xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST c) < 0 ? -1 : 0;
	free(c);
	return rc;
}

static int
dg_eark_attr_i64(xmlTextWriterPtr w, const char *name, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return dg_eark_attr(w, name, buf);
}

/* <name>text</name>; NULL text: nothing. */
static int
dg_eark_text(xmlTextWriterPtr w, const char *name, const char *text)
{
	char *c;
	int rc;

	if (!text)
		return 0;
	c = dg_eark_xml_clean(text, DG_EARK_VALUE_MAX);
	if (!c)
		return -1;
	rc = xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST c) < 0 ? -1 : 0;
	free(c);
	return rc;
}

/* <wrap><type>t</type><value>v</value></wrap>: PREMIS identifiers. */
static int
dg_eark_ident(xmlTextWriterPtr w, const char *wrap, const char *tname, const char *t, const char *vname, const char *v)
{
	int rc = 0;

	rc |= dg_eark_start(w, wrap);
	rc |= dg_eark_text(w, tname, t);
	rc |= dg_eark_text(w, vname, v);
	rc |= dg_eark_end(w);
	return rc;
}

/* mets/@TYPE (+ csip:OTHERTYPE) and csip:CONTENTINFORMATIONTYPE (+
 * csip:OTHERCONTENTINFORMATIONTYPE) from the options. */
static int
dg_eark_type_attrs(xmlTextWriterPtr w, const struct dg_eark *st, int with_type)
{
	int rc = 0;

	if (with_type) {
		if (dg_eark_in(dg_eark_categories, st->category)) {
			rc |= dg_eark_attr(w, "TYPE", st->category);
			if (strcmp(st->category, "Other") == 0)
				rc |= dg_eark_attr(w, "csip:OTHERTYPE", "Other");
		} else {
			rc |= dg_eark_attr(w, "TYPE", "Other");
			rc |= dg_eark_attr(w, "csip:OTHERTYPE", st->category);
		}
	}
	if (dg_eark_in(dg_eark_cits, st->cit) && strcmp(st->cit, "OTHER") != 0) {
		rc |= dg_eark_attr(w, "csip:CONTENTINFORMATIONTYPE", st->cit);
	} else {
		rc |= dg_eark_attr(w, "csip:CONTENTINFORMATIONTYPE", "OTHER");
		rc |= dg_eark_attr(w, "csip:OTHERCONTENTINFORMATIONTYPE",
		                   strcmp(st->cit, "OTHER") == 0 ? "dangan-documents" : st->cit);
	}
	return rc;
}

/* ---- lifecycle -------------------------------------------------------- */

static void
dg_eark_run_free(struct dg_eark *st)
{
	size_t i;

	if (st->dc)
		xmlFreeTextWriter(st->dc);
	if (st->premis)
		xmlFreeTextWriter(st->premis);
	if (st->events)
		xmlFreeTextWriter(st->events);
	st->dc = st->premis = st->events = NULL;
	dg_eark_sink_abort(&st->dc_sink);
	dg_eark_sink_abort(&st->premis_sink);
	dg_eark_sink_abort(&st->events_sink);
	for (i = 0; i < DG_EARK_REPS; i++) {
		if (st->rep[i].spool)
			fclose(st->rep[i].spool);
		st->rep[i].spool = NULL;
		if (st->rep[i].datafd >= 0)
			close(st->rep[i].datafd);
		if (st->rep[i].dirfd >= 0)
			close(st->rep[i].dirfd);
		st->rep[i].datafd = st->rep[i].dirfd = -1;
	}
	if (st->reps_fd >= 0)
		close(st->reps_fd);
	if (st->outfd >= 0)
		close(st->outfd);
	st->reps_fd = st->outfd = -1;
	for (i = 0; i < st->nagents; i++) {
		free(st->agents[i].name);
		free(st->agents[i].version);
	}
	free(st->agents);
	st->agents = NULL;
	st->nagents = 0;
	free(st->out);
	st->out = NULL;
}

static char *
dg_eark_optdup(const struct dg_host *host, const struct dg_opts *opts, const char *name)
{
	const char *v = host->opt_string(opts, name);

	return v && *v ? strdup(v) : NULL;
}

static int
dg_eark_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct dg_eark *st = calloc(1, sizeof(*st));
	size_t i;

	if (!st) {
		host->error(ctx, "out of memory");
		return DG_FATAL;
	}
	st->outfd = st->reps_fd = -1;
	st->dc_sink.fd = st->premis_sink.fd = st->events_sink.fd = -1;
	for (i = 0; i < DG_EARK_REPS; i++) {
		st->rep[i].dirfd = st->rep[i].datafd = -1;
		snprintf(st->rep[i].name, sizeof(st->rep[i].name), "rep%zu", i + 1);
	}
	if (opts) {
		st->package_id = dg_eark_optdup(host, opts, "package-id");
		st->label = dg_eark_optdup(host, opts, "label");
		st->category = dg_eark_optdup(host, opts, "content-category");
		st->cit = dg_eark_optdup(host, opts, "content-information-type");
		st->submitter = dg_eark_optdup(host, opts, "submitter");
		st->submitter_id = dg_eark_optdup(host, opts, "submitter-id");
		st->derivatives = host->opt_bool(opts, "derivatives") > 0;
	}
	if (!st->category)
		st->category = strdup("Mixed");
	if (!st->cit)
		st->cit = strdup("dangan-documents");
	if (!st->category || !st->cit) {
		host->error(ctx, "out of memory");
		free(st->category);
		free(st->cit);
		free(st);
		return DG_FATAL;
	}
	*state = st;
	return DG_OK;
}

static void
dg_eark_fini(void *state)
{
	struct dg_eark *st = state;

	if (!st)
		return;
	dg_eark_run_free(st);
	dg_eark_verify_free(&st->schema);
	free(st->package_id);
	free(st->label);
	free(st->category);
	free(st->cit);
	free(st->submitter);
	free(st->submitter_id);
	free(st);
}

/* ---- export_begin ----------------------------------------------------- */

static int
dg_eark_mkdir(int dirfd, const char *name)
{
	int fd;

	if (mkdirat(dirfd, name, 0755) != 0 && errno != EEXIST)
		return -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* An unlinked read-write file inside the package (a spool). */
static int
dg_eark_spool_fd(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd >= 0)
		unlinkat(dirfd, name, 0);
	return fd;
}

/* Copy src (an open descriptor) into dirfd/name, hashing as it goes. */
static int
dg_eark_copy_fd(struct dg_ctx *ctx, const struct dg_host *host, int src, int dirfd, const char *name, char sha[65],
                int64_t *size)
{
	struct dg_eark_sink s;
	unsigned char *buf = malloc(DG_EARK_CHUNK);
	int rc = -1, opened = 0;

	if (!buf) {
		errno = ENOMEM;
		goto out;
	}
	if (dg_eark_sink_open(&s, dirfd, name) != 0)
		goto out;
	opened = 1;
	for (;;) {
		ssize_t n = read(src, buf, DG_EARK_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (dg_eark_sink_write(&s, buf, (size_t)n) != 0) {
			errno = s.err;
			goto out;
		}
		if (DG_HOST_HAS(host, progress) && host->progress)
			host->progress(ctx, n);
	}
	*size = s.size;
	opened = 0;
	if (dg_eark_sink_finish(&s, sha) != 0)
		goto out;
	rc = 0;
out:
	if (opened)
		dg_eark_sink_abort(&s);
	free(buf);
	return rc;
}

static int
dg_eark_copy_schemas(struct dg_ctx *ctx, const struct dg_host *host, struct dg_eark *st)
{
	char path[DG_EARK_PATH_MAX];
	int dirfd = -1, rc = DG_FATAL;
	size_t i;

	dirfd = dg_eark_mkdir(st->outfd, "schemas");
	if (dirfd < 0) {
		host->error(ctx, "%s/schemas: %s", st->out, strerror(errno));
		goto out;
	}
	for (i = 0; dg_eark_schema_files[i]; i++) {
		struct dg_eark_file *f = &st->schemas[i];
		int src;

		snprintf(path, sizeof(path), "%s/%s/%s", dg_eark_datadir(), DG_EARK_SCHEMA_DIR,
		         dg_eark_schema_files[i]);
		src = open(path, O_RDONLY | O_CLOEXEC);
		if (src < 0) {
			host->error(ctx, "%s: %s (the E-ARK schemas are installed with dangan; set DANGAN_DATADIR?)",
			            path, strerror(errno));
			goto out;
		}
		snprintf(f->path, sizeof(f->path), "schemas/%s", dg_eark_schema_files[i]);
		f->mime = "application/xml";
		if (dg_eark_copy_fd(ctx, host, src, dirfd, dg_eark_schema_files[i], f->sha, &f->size) != 0) {
			host->error(ctx, "%s/%s: %s", st->out, f->path, strerror(errno));
			close(src);
			goto out;
		}
		close(src);
	}
	rc = DG_OK;
out:
	if (dirfd >= 0)
		close(dirfd);
	return rc;
}

static int
dg_eark_uuid_urn(char **out)
{
	unsigned char b[16];
	char hex[33];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	dg_eark_hex(b, 16, hex);
	*out = malloc(48);
	if (!*out)
		return -1;
	snprintf(*out, 48, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
	return 0;
}

static int
dg_eark_export_begin(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *out)
{
	struct dg_eark *st = state;
	struct timespec ts;
	int metafd = -1, sub = -1, rc = DG_FATAL;
	size_t i;

	dg_eark_run_free(st);
	st->failed = 0;
	st->docs = st->versions = st->events_n = st->bytes = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	st->now_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	dg_eark_time(st->now_us, st->now);
	if (!st->package_id && dg_eark_uuid_urn(&st->package_id) != 0) {
		host->error(ctx, "cannot make a package id");
		goto out;
	}
	st->out = strdup(out);
	if (!st->out) {
		host->error(ctx, "out of memory");
		goto out;
	}
	if (mkdir(out, 0755) != 0) {
		host->error(ctx, "%s: %s", out, strerror(errno));
		goto out;
	}
	st->outfd = open(out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st->outfd < 0) {
		host->error(ctx, "%s: %s", out, strerror(errno));
		goto out;
	}
	rc = dg_eark_copy_schemas(ctx, host, st);
	if (rc != DG_OK)
		goto out;
	rc = DG_FATAL;
	metafd = dg_eark_mkdir(st->outfd, "metadata");
	if (metafd < 0)
		goto io;
	sub = dg_eark_mkdir(metafd, "descriptive");
	if (sub < 0 || dg_eark_sink_open(&st->dc_sink, sub, "dc.xml") != 0)
		goto io;
	close(sub);
	sub = dg_eark_mkdir(metafd, "preservation");
	if (sub < 0 || dg_eark_sink_open(&st->premis_sink, sub, "premis.xml") != 0)
		goto io;
	close(sub);
	sub = -1;
	st->reps_fd = dg_eark_mkdir(st->outfd, "representations");
	if (st->reps_fd < 0)
		goto io;
	for (i = 0; i < DG_EARK_REPS; i++) {
		struct dg_eark_rep *r = &st->rep[i];
		int fd;

		r->files = 0;
		if (i == 1 && !st->derivatives)
			break;
		r->dirfd = dg_eark_mkdir(st->reps_fd, r->name);
		if (r->dirfd < 0)
			goto io;
		r->datafd = dg_eark_mkdir(r->dirfd, "data");
		if (r->datafd < 0)
			goto io;
		fd = dg_eark_spool_fd(st->outfd, i == 0 ? ".spool-rep1" : ".spool-rep2");
		if (fd < 0)
			goto io;
		r->spool = fdopen(fd, "w+");
		if (!r->spool) {
			close(fd);
			goto io;
		}
	}
	/* the events spool: an unlinked file, read back at export_end */
	memset(&st->events_sink, 0, sizeof(st->events_sink));
	st->events_sink.fd = dg_eark_spool_fd(st->outfd, ".spool-events");
	st->events_sink.md = EVP_MD_CTX_new();
	if (st->events_sink.fd < 0 || !st->events_sink.md ||
	    EVP_DigestInit_ex(st->events_sink.md, EVP_sha256(), NULL) != 1)
		goto io;

	st->dc = dg_eark_sink_writer(&st->dc_sink);
	st->premis = dg_eark_sink_writer(&st->premis_sink);
	st->events = dg_eark_sink_writer(&st->events_sink);
	if (!st->dc || !st->premis || !st->events)
		goto io;
	{
		xmlTextWriterPtr w = st->dc;
		int e = 0;

		e |= xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0;
		e |= dg_eark_start(w, "records");
		e |= dg_eark_attr(w, "xmlns", DG_EARK_NS_DANGAN);
		e |= dg_eark_attr(w, "xmlns:dc", DG_EARK_NS_DC);
		e |= dg_eark_attr(w, "package", st->package_id);
		e |= dg_eark_attr(w, "created", st->now);
		w = st->premis;
		e |= xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0;
		e |= dg_eark_start(w, "premis");
		e |= dg_eark_attr(w, "xmlns", DG_EARK_NS_PREMIS);
		e |= dg_eark_attr(w, "xmlns:xsi", DG_EARK_NS_XSI);
		e |= dg_eark_attr(w, "xsi:schemaLocation", DG_EARK_NS_PREMIS " ../../schemas/premis-v3-0.xsd");
		e |= dg_eark_attr(w, "version", "3.0");
		/* the package itself: there is always one object */
		e |= dg_eark_start(w, "object");
		e |= dg_eark_attr(w, "xsi:type", "intellectualEntity");
		e |= dg_eark_ident(w, "objectIdentifier", "objectIdentifierType", "package-id", "objectIdentifierValue",
		                   st->package_id);
		e |= dg_eark_text(w, "originalName", st->label);
		e |= dg_eark_end(w);
		if (e)
			goto io;
	}
	rc = DG_OK;
	goto out;
io:
	host->error(ctx, "%s: cannot create the package: %s", out, strerror(errno));
	rc = DG_FATAL;
out:
	if (sub >= 0)
		close(sub);
	if (metafd >= 0)
		close(metafd);
	return rc;
}

/* ---- process ------------------------------------------------------------ */

/* The directory name of a document: 16 hex digits of its id, or all
 * 64 (then "-2", ...) when a directory of that name exists already. */
static int
dg_eark_docdir(struct dg_eark *st, const char *hex, char *out, size_t cap)
{
	int k;

	for (k = 0; k < 100; k++) {
		int taken = 0;
		size_t i;

		if (k == 0)
			snprintf(out, cap, "%.16s", hex);
		else if (k == 1)
			snprintf(out, cap, "%s", hex);
		else
			snprintf(out, cap, "%s-%d", hex, k);
		for (i = 0; i < DG_EARK_REPS; i++)
			if (st->rep[i].datafd >= 0 && faccessat(st->rep[i].datafd, out, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				taken = 1;
		if (!taken)
			return 0;
	}
	return -1;
}

static const char *
dg_eark_ext(const char *type)
{
	size_t i, n;

	if (!type)
		return ".bin";
	n = strcspn(type, "; ");
	for (i = 0; dg_eark_exts[i].type; i++)
		if (strlen(dg_eark_exts[i].type) == n && strncmp(type, dg_eark_exts[i].type, n) == 0)
			return dg_eark_exts[i].ext;
	return ".bin";
}

/* A media type fit for an attribute, or application/octet-stream. */
static const char *
dg_eark_mime(const char *t)
{
	size_t i;

	if (!t || !*t || strlen(t) > 255)
		return "application/octet-stream";
	for (i = 0; t[i]; i++)
		if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] >= 0x7f)
			return "application/octet-stream";
	return t;
}

/* Export one part into rep r under dir/name (name made unique).
 * Fills the package-relative path; adds the spool line. */
static int
dg_eark_export_part(struct dg_ctx *ctx, const struct dg_host *host, struct dg_eark *st, struct dg_eark_rep *r,
                    const struct dg_part_info *p, const char *mime, const char *dir, const char *name,
                    int64_t created_us, char *relpath, size_t relcap, char sha[65], int64_t *size)
{
	char cand[DG_EARK_NAME_MAX + 16], created[32];
	int dfd = -1, src = -1, rc = DG_FAILED, k;

	dfd = dg_eark_mkdir(r->datafd, dir);
	if (dfd < 0) {
		host->error(ctx, "%s/representations/%s/data/%s: %s", st->out, r->name, dir, strerror(errno));
		rc = DG_FATAL;
		goto out;
	}
	src = p->path ? open(p->path, O_RDONLY | O_CLOEXEC) : -1;
	if (src < 0) {
		host->error(ctx, "stored object %s: %s", p->id ? p->id : "(no id)",
		            p->path ? strerror(errno) : "no readable path");
		goto out;
	}
	for (k = 1; k < 1000; k++) {
		if (k == 1) {
			snprintf(cand, sizeof(cand), "%s", name);
		} else {
			const char *dot = strrchr(name, '.');
			int stem = dot && dot != name ? (int)(dot - name) : (int)strlen(name);
			snprintf(cand, sizeof(cand), "%.*s-%d%s", stem, name, k, name + stem);
		}
		if (dg_eark_copy_fd(ctx, host, src, dfd, cand, sha, size) == 0)
			break;
		if (errno != EEXIST) {
			host->error(ctx, "%s/representations/%s/data/%s/%s: %s", st->out, r->name, dir, cand,
			            strerror(errno));
			unlinkat(dfd, cand, 0);
			rc = DG_FATAL;
			goto out;
		}
	}
	if (k == 1000) {
		host->error(ctx, "%s/representations/%s/data/%s: too many files of the same name", st->out, r->name,
		            dir);
		goto out;
	}
	if (p->id && strncmp(p->id, "sha256:", 7) == 0 && strcmp(p->id + 7, sha) != 0) {
		host->error(ctx, "stored object %s is corrupt: its bytes hash to sha256:%s", p->id, sha);
		unlinkat(dfd, cand, 0);
		goto out;
	}
	if (p->size >= 0 && p->size != *size) {
		host->error(ctx, "stored object %s: %" PRId64 " bytes read, %" PRId64 " recorded", p->id, *size,
		            p->size);
		unlinkat(dfd, cand, 0);
		goto out;
	}
	snprintf(relpath, relcap, "representations/%s/data/%s/%s", r->name, dir, cand);
	dg_eark_time(created_us, created);
	if (fprintf(r->spool, "data/%s/%s\t%s\t%" PRId64 "\t%s\t%s\n", dir, cand, dg_eark_mime(mime), *size, created,
	            sha) < 0) {
		host->error(ctx, "spool: %s", strerror(errno));
		rc = DG_FATAL;
		goto out;
	}
	r->files++;
	st->bytes += *size;
	rc = DG_OK;
out:
	if (src >= 0)
		close(src);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* The PREMIS object of an exported file. */
static int
dg_eark_premis_object(struct dg_eark *st, const char *relpath, const struct dg_part_info *p, const char *mime,
                      const char *sha, int64_t size, const char *original_name, const char *source_id,
                      struct dg_doc *doc, const struct dg_host *host)
{
	xmlTextWriterPtr w = st->premis;
	int rc = 0;
	size_t i;

	rc |= dg_eark_start(w, "object");
	rc |= dg_eark_attr(w, "xsi:type", "file");
	rc |=
	    dg_eark_ident(w, "objectIdentifier", "objectIdentifierType", "filepath", "objectIdentifierValue", relpath);
	if (p->id)
		rc |= dg_eark_ident(w, "objectIdentifier", "objectIdentifierType", "dangan-id", "objectIdentifierValue",
		                    p->id);
	rc |= dg_eark_start(w, "objectCharacteristics");
	rc |= dg_eark_text(w, "compositionLevel", "0");
	rc |= dg_eark_start(w, "fixity");
	rc |= dg_eark_text(w, "messageDigestAlgorithm", "SHA-256");
	rc |= dg_eark_text(w, "messageDigest", sha);
	rc |= dg_eark_text(w, "messageDigestOriginator", "dangan");
	rc |= dg_eark_end(w);
	{
		char buf[32];
		snprintf(buf, sizeof(buf), "%" PRId64, size);
		rc |= dg_eark_text(w, "size", buf);
	}
	rc |= dg_eark_start(w, "format");
	rc |= dg_eark_start(w, "formatDesignation");
	rc |= dg_eark_text(w, "formatName", dg_eark_mime(mime));
	rc |= dg_eark_end(w);
	rc |= dg_eark_end(w);
	rc |= dg_eark_end(w); /* objectCharacteristics */
	rc |= dg_eark_text(w, "originalName", original_name);
	if (source_id) {
		/* a derived part: made from the document's original */
		rc |= dg_eark_start(w, "relationship");
		rc |= dg_eark_text(w, "relationshipType", "derivation");
		rc |= dg_eark_text(w, "relationshipSubType", "has source");
		rc |= dg_eark_ident(w, "relatedObjectIdentifier", "relatedObjectIdentifierType", "dangan-id",
		                    "relatedObjectIdentifierValue", source_id);
		rc |= dg_eark_end(w);
	} else {
		struct dg_relation_info rel;
		for (i = 0; i < 100000 && host->relation_n(doc, i, &rel) == 0; i++) {
			if (!rel.kind || !rel.id || strcmp(rel.kind, "contained-in") != 0)
				continue;
			rc |= dg_eark_start(w, "relationship");
			rc |= dg_eark_text(w, "relationshipType", "structural");
			rc |= dg_eark_text(w, "relationshipSubType", "is included in");
			rc |= dg_eark_ident(w, "relatedObjectIdentifier", "relatedObjectIdentifierType", "dangan-id",
			                    "relatedObjectIdentifierValue", rel.id);
			rc |= dg_eark_end(w);
		}
	}
	rc |= dg_eark_end(w);
	return rc;
}

/* Remember an agent (plugin and version); its identifier into buf. */
static int
dg_eark_agent(struct dg_eark *st, const char *plugin, const char *version, char *buf, size_t cap)
{
	size_t i;

	if (!plugin) {
		snprintf(buf, cap, "dangan/%s", PACKAGE_VERSION);
		return 0;
	}
	if (version)
		snprintf(buf, cap, "plugin/%s/%s", plugin, version);
	else
		snprintf(buf, cap, "plugin/%s", plugin);
	for (i = 0; i < st->nagents; i++)
		if (strcmp(st->agents[i].name, plugin) == 0 &&
		    (version ? st->agents[i].version && strcmp(st->agents[i].version, version) == 0
		             : !st->agents[i].version))
			return 0;
	if (st->nagents >= DG_EARK_AGENTS_MAX)
		return 0; /* named by the event, not described */
	if (st->nagents % 16 == 0) {
		struct dg_eark_agent *n = realloc(st->agents, (st->nagents + 16) * sizeof(*n));
		if (!n)
			return -1;
		st->agents = n;
	}
	st->agents[st->nagents].name = strdup(plugin);
	st->agents[st->nagents].version = version ? strdup(version) : NULL;
	if (!st->agents[st->nagents].name || (version && !st->agents[st->nagents].version)) {
		free(st->agents[st->nagents].name);
		free(st->agents[st->nagents].version);
		return -1;
	}
	st->nagents++;
	return 0;
}

static const char *
dg_eark_event_type(const struct dg_event_info *e, char *buf, size_t cap)
{
	if (!e->type)
		return "unknown";
	if (strcmp(e->type, "ingest") == 0)
		return "ingestion";
	if (strcmp(e->type, "quarantine") == 0)
		return "quarantine";
	if (e->stage) {
		snprintf(buf, cap, "%s %s", e->type, e->stage);
		return buf;
	}
	return e->type;
}

/* The events of one stored version, into the events spool. */
static int
dg_eark_version_events(struct dg_eark *st, const struct dg_host *host, struct dg_doc *v, const char *object_id)
{
	xmlTextWriterPtr w = st->events;
	const char *ver = host->doc_version(v);
	struct dg_event_info e;
	size_t i;
	int rc = 0;

	for (i = 0; i < 1000000 && host->event_n(v, i, &e) == 0; i++) {
		char id[160], agent[300], tbuf[160], when[32], detail[600];

		if (ver)
			snprintf(id, sizeof(id), "%s#%zu", ver, i + 1);
		else
			snprintf(id, sizeof(id), "%s#%zu", object_id, i + 1);
		if (dg_eark_agent(st, e.plugin, e.plugin_version, agent, sizeof(agent)) != 0)
			return -1;
		dg_eark_time(e.at_us, when);
		snprintf(detail, sizeof(detail), "dangan %s event%s%s%s%s%s%s; %" PRId64 " ms", e.type ? e.type : "?",
		         e.stage ? ", stage " : "", e.stage ? e.stage : "", e.plugin ? ", plugin " : "",
		         e.plugin ? e.plugin : "", e.plugin_version ? " " : "",
		         e.plugin_version ? e.plugin_version : "", e.duration_us / 1000);
		rc |= dg_eark_start(w, "event");
		rc |= dg_eark_ident(w, "eventIdentifier", "eventIdentifierType", "dangan-event", "eventIdentifierValue",
		                    id);
		rc |= dg_eark_text(w, "eventType", dg_eark_event_type(&e, tbuf, sizeof(tbuf)));
		rc |= dg_eark_text(w, "eventDateTime", when);
		rc |= dg_eark_start(w, "eventDetailInformation");
		rc |= dg_eark_text(w, "eventDetail", detail);
		rc |= dg_eark_end(w);
		rc |= dg_eark_start(w, "eventOutcomeInformation");
		rc |= dg_eark_text(w, "eventOutcome", e.outcome ? e.outcome : "unknown");
		if (e.message && *e.message) {
			rc |= dg_eark_start(w, "eventOutcomeDetail");
			rc |= dg_eark_text(w, "eventOutcomeDetailNote", e.message);
			rc |= dg_eark_end(w);
		}
		rc |= dg_eark_end(w);
		rc |= dg_eark_start(w, "linkingAgentIdentifier");
		rc |= dg_eark_text(w, "linkingAgentIdentifierType", "dangan-agent");
		rc |= dg_eark_text(w, "linkingAgentIdentifierValue", agent);
		rc |= dg_eark_text(w, "linkingAgentRole", "executing program");
		rc |= dg_eark_end(w);
		rc |= dg_eark_ident(w, "linkingObjectIdentifier", "linkingObjectIdentifierType", "dangan-id",
		                    "linkingObjectIdentifierValue", object_id);
		rc |= dg_eark_end(w);
		st->events_n++;
	}
	return rc;
}

/* The descriptive record of a document (dc.xml). */
static int
dg_eark_dc_record(struct dg_eark *st, const struct dg_host *host, struct dg_doc *doc, const char *id,
                  const char *files[], const char *roles[], size_t nfiles)
{
	xmlTextWriterPtr w = st->dc;
	const char *key, *value;
	char when[32];
	int rc = 0, has_id = 0, has_format = 0;
	size_t i;

	rc |= dg_eark_start(w, "record");
	rc |= dg_eark_attr(w, "id", id);
	rc |= dg_eark_attr(w, "version", host->doc_version(doc));
	dg_eark_time(host->doc_created(doc), when);
	rc |= dg_eark_attr(w, "stored", when);
	for (i = 0; i < 1000000 && host->meta_n(doc, i, &key, &value) == 0; i++) {
		char el[32];
		if (!key || strncmp(key, "dc.", 3) != 0 || !dg_eark_in(dg_eark_dc, key + 3))
			continue;
		snprintf(el, sizeof(el), "dc:%s", key + 3);
		rc |= dg_eark_text(w, el, value ? value : "");
		has_id |= strcmp(key, "dc.identifier") == 0;
		has_format |= strcmp(key, "dc.format") == 0;
	}
	if (!has_id)
		rc |= dg_eark_text(w, "dc:identifier", id);
	if (!has_format && host->media_type(doc))
		rc |= dg_eark_text(w, "dc:format", host->media_type(doc));
	for (i = 0; i < nfiles; i++) {
		rc |= dg_eark_start(w, "file");
		rc |= dg_eark_attr(w, "role", roles[i]);
		rc |= dg_eark_attr(w, "href", files[i]);
		rc |= dg_eark_end(w);
	}
	for (i = 0; i < 1000000 && host->meta_n(doc, i, &key, &value) == 0; i++) {
		if (!key || (strncmp(key, "dc.", 3) == 0 && dg_eark_in(dg_eark_dc, key + 3)))
			continue;
		rc |= dg_eark_start(w, "meta");
		rc |= dg_eark_attr(w, "key", key);
		if (value) {
			char *c = dg_eark_xml_clean(value, DG_EARK_VALUE_MAX);
			rc |= !c || xmlTextWriterWriteString(w, BAD_CAST c) < 0 ? -1 : 0;
			free(c);
		}
		rc |= dg_eark_end(w);
	}
	rc |= dg_eark_end(w);
	return rc;
}

#define DG_EARK_DOC_FILES 1024 /* parts exported per document */

static int
dg_eark_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	struct dg_eark *st = state;
	const char *id, *files[DG_EARK_DOC_FILES], *roles[DG_EARK_DOC_FILES];
	char *paths[DG_EARK_DOC_FILES] = {NULL}, *name = NULL, dir[96], sha[65];
	struct dg_part_info p;
	struct dg_doc *v;
	size_t i, nfiles = 0, nv;
	int64_t size;
	int rc = DG_FAILED, r, warn = 0;

	if (st->outfd < 0 || !st->premis) {
		host->error(ctx, "eark: process() before export_begin()");
		return DG_FATAL;
	}
	id = host->doc_id(doc);
	if (!id)
		id = host->doc_version(doc);
	if (!id || strncmp(id, "sha256:", 7) != 0 || strlen(id) != 71) {
		host->error(ctx, "a stored document without a sha256 id");
		goto out;
	}
	if (dg_eark_docdir(st, id + 7, dir, sizeof(dir)) != 0) {
		host->error(ctx, "%s: no free directory name", id);
		goto out;
	}
	for (i = 0; i < 100000 && host->part_n(doc, i, &p) == 0; i++) {
		int original = p.role && strcmp(p.role, DG_ROLE_ORIGINAL) == 0;
		struct dg_eark_rep *rep = &st->rep[original ? 0 : 1];
		const char *source = original ? NULL : host->doc_id(doc);
		const char *orig_name = NULL, *mime = p.media_type;
		char rel[DG_EARK_PATH_MAX];

		if (!original && !st->derivatives)
			continue;
		if (nfiles >= DG_EARK_DOC_FILES) {
			host->log(ctx, DG_LOG_WARN, "%s: more than %d parts: the rest not exported", id,
			          DG_EARK_DOC_FILES);
			warn = 1;
			break;
		}
		if (original) {
			orig_name = host->meta_get(doc, "source.name");
			name = dg_eark_file_name(orig_name, "original");
			/* the document's type as finally detected (the part keeps
			 * the first guess) */
			if (host->media_type(doc))
				mime = host->media_type(doc);
		} else {
			char buf[DG_EARK_NAME_MAX];
			snprintf(buf, sizeof(buf), "%s%s", p.role ? p.role : "part", dg_eark_ext(p.media_type));
			name = dg_eark_file_name(buf, "part.bin");
		}
		if (!name) {
			host->error(ctx, "out of memory");
			rc = DG_FATAL;
			goto out;
		}
		r = dg_eark_export_part(ctx, host, st, rep, &p, mime, dir, name, host->doc_created(doc), rel,
		                        sizeof(rel), sha, &size);
		free(name);
		name = NULL;
		if (r != DG_OK) {
			rc = r;
			goto out;
		}
		if (dg_eark_premis_object(st, rel, &p, mime, sha, size, orig_name, source, doc, host) != 0)
			goto werr;
		paths[nfiles] = strdup(rel);
		if (!paths[nfiles]) {
			host->error(ctx, "out of memory");
			rc = DG_FATAL;
			goto out;
		}
		files[nfiles] = paths[nfiles];
		roles[nfiles] = p.role ? p.role : "part";
		nfiles++;
	}
	if (dg_eark_dc_record(st, host, doc, id, files, roles, nfiles) != 0)
		goto werr;
	/* provenance: this version, then each older one */
	for (v = doc, nv = 0; v && nv < DG_EARK_VERSIONS_MAX; v = host->doc_previous(ctx, v), nv++) {
		if (dg_eark_version_events(st, host, v, id) != 0)
			goto werr;
		st->versions++;
	}
	st->docs++;
	rc = warn ? DG_WARN : DG_OK;
	goto out;
werr:
	host->error(ctx, "%s: writing the package metadata failed: %s", st->out, strerror(errno));
	rc = DG_FATAL;
out:
	for (i = 0; i < nfiles; i++)
		free(paths[i]);
	free(name);
	if (rc != DG_OK && rc != DG_WARN)
		st->failed = 1;
	return rc;
}

/* ---- export_end ------------------------------------------------------- */

static int
dg_eark_finish_xml(xmlTextWriterPtr *w, struct dg_eark_sink *s, struct dg_eark_file *f)
{
	int rc = 0;

	if (xmlTextWriterEndDocument(*w) < 0)
		rc = -1;
	xmlFreeTextWriter(*w); /* flushes into the sink */
	*w = NULL;
	if (rc != 0 || s->failed) {
		errno = s->failed ? s->err : EIO;
		dg_eark_sink_abort(s);
		return -1;
	}
	f->size = s->size;
	return dg_eark_sink_finish(s, f->sha);
}

static int
dg_eark_premis_agent(xmlTextWriterPtr w, const char *id, const char *name, const char *version, const char *note)
{
	int rc = 0;

	rc |= dg_eark_start(w, "agent");
	rc |= dg_eark_ident(w, "agentIdentifier", "agentIdentifierType", "dangan-agent", "agentIdentifierValue", id);
	rc |= dg_eark_text(w, "agentName", name);
	rc |= dg_eark_text(w, "agentType", "software");
	rc |= dg_eark_text(w, "agentVersion", version);
	rc |= dg_eark_text(w, "agentNote", note);
	rc |= dg_eark_end(w);
	return rc;
}

/* Close premis.xml: the spooled events, the package event, the agents. */
static int
dg_eark_premis_end(struct dg_eark *st)
{
	xmlTextWriterPtr w = st->premis;
	unsigned char *buf = NULL;
	char id[300];
	int rc = -1, fd = st->events_sink.fd;
	size_t i;

	/* the export itself, as a PREMIS event */
	{
		xmlTextWriterPtr e = st->events;
		int x = 0;
		char self[64];

		snprintf(self, sizeof(self), "plugin/eark/%s", DG_EARK_VERSION);
		x |= dg_eark_start(e, "event");
		x |= dg_eark_ident(e, "eventIdentifier", "eventIdentifierType", "dangan-event", "eventIdentifierValue",
		                   "package-creation");
		x |= dg_eark_text(e, "eventType", "information package creation");
		x |= dg_eark_text(e, "eventDateTime", st->now);
		x |= dg_eark_start(e, "eventOutcomeInformation");
		x |= dg_eark_text(e, "eventOutcome", "ok");
		x |= dg_eark_end(e);
		x |= dg_eark_start(e, "linkingAgentIdentifier");
		x |= dg_eark_text(e, "linkingAgentIdentifierType", "dangan-agent");
		x |= dg_eark_text(e, "linkingAgentIdentifierValue", self);
		x |= dg_eark_text(e, "linkingAgentRole", "executing program");
		x |= dg_eark_end(e);
		x |= dg_eark_ident(e, "linkingObjectIdentifier", "linkingObjectIdentifierType", "package-id",
		                   "linkingObjectIdentifierValue", st->package_id);
		x |= dg_eark_end(e);
		if (x)
			goto out;
	}
	xmlFreeTextWriter(st->events); /* flushes the spool */
	st->events = NULL;
	if (st->events_sink.failed) {
		errno = st->events_sink.err;
		goto out;
	}
	/* objects are all written: copy the events after them */
	if (xmlTextWriterFlush(w) < 0 || lseek(fd, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc(DG_EARK_CHUNK);
	if (!buf)
		goto out;
	if (xmlTextWriterWriteRaw(w, BAD_CAST "\n") < 0 || xmlTextWriterFlush(w) < 0)
		goto out;
	for (;;) {
		ssize_t n = read(fd, buf, DG_EARK_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (dg_eark_sink_write(&st->premis_sink, buf, (size_t)n) != 0)
			goto out;
	}
	if (dg_eark_premis_agent(w, "dangan/" PACKAGE_VERSION, "dangan", PACKAGE_VERSION, "the dangan document engine"))
		goto out;
	if (dg_eark_premis_agent(w, "plugin/eark/" DG_EARK_VERSION, "eark", DG_EARK_VERSION,
	                         "dangan plugin: E-ARK export"))
		goto out;
	for (i = 0; i < st->nagents; i++) {
		struct dg_eark_agent *a = &st->agents[i];
		if (a->version)
			snprintf(id, sizeof(id), "plugin/%s/%s", a->name, a->version);
		else
			snprintf(id, sizeof(id), "plugin/%s", a->name);
		if (dg_eark_premis_agent(w, id, a->name, a->version, "dangan plugin"))
			goto out;
	}
	rc = dg_eark_finish_xml(&st->premis, &st->premis_sink, &st->doc_premis);
out:
	free(buf);
	return rc;
}

static int
dg_eark_readme(struct dg_eark *st, int docfd)
{
	struct dg_eark_sink s;
	char buf[4096];
	int n, rc = -1;

	n = snprintf(buf, sizeof(buf),
	             "E-ARK submission information package %s\n"
	             "created %s by dangan %s (eark plugin %s)\n"
	             "\n"
	             "documents: %" PRId64 "; stored versions: %" PRId64 "; provenance events: %" PRId64 "\n"
	             "data: %" PRId64 " files, %" PRId64 " bytes\n"
	             "\n"
	             "METS.xml                         the package (E-ARK CSIP 2.1 / SIP 2.1 profile)\n"
	             "metadata/descriptive/dc.xml      per document: Dublin Core and all stored metadata\n"
	             "metadata/preservation/premis.xml PREMIS 3: files with SHA-256 fixity, the provenance\n"
	             "                                 events of every stored version, the agents\n"
	             "representations/rep1             the originals, bit for bit as received\n"
	             "%s"
	             "schemas/                         the XML schemas of these files\n"
	             "\n"
	             "A document's files are under data/<first 16 hex digits of its id>/.  Its id\n"
	             "(\"sha256:...\") is the SHA-256 of its original; dc.xml and premis.xml use it.\n",
	             st->package_id, st->now, PACKAGE_VERSION, DG_EARK_VERSION, st->docs, st->versions, st->events_n,
	             st->rep[0].files + st->rep[1].files, st->bytes,
	             st->rep[1].files ? "representations/rep2             derived parts (OCR text, hOCR, PDF, ...)\n"
	                              : "");
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		errno = EOVERFLOW;
		return -1;
	}
	if (dg_eark_sink_open(&s, docfd, "README.txt") != 0)
		return -1;
	if (dg_eark_sink_write(&s, buf, (size_t)n) != 0) {
		errno = s.err;
		dg_eark_sink_abort(&s);
		return -1;
	}
	snprintf(st->doc_readme.path, sizeof(st->doc_readme.path), "documentation/README.txt");
	st->doc_readme.mime = "text/plain";
	st->doc_readme.size = s.size;
	rc = dg_eark_sink_finish(&s, st->doc_readme.sha);
	return rc;
}

/* <mets ...> and <metsHdr> of a package (rep == NULL) or representation
 * METS. */
static int
dg_eark_mets_head(xmlTextWriterPtr w, const struct dg_eark *st, const struct dg_eark_rep *rep)
{
	const char *up = rep ? "../../" : "";
	char loc[1024];
	int rc = 0;

	snprintf(loc, sizeof(loc),
	         DG_EARK_NS_METS " %sschemas/mets.xsd " DG_EARK_NS_XLINK " %sschemas/xlink.xsd " DG_EARK_NS_CSIP
	                         " %sschemas/DILCISExtensionMETS.xsd " DG_EARK_NS_SIP
	                         " %sschemas/DILCISExtensionSIPMETS.xsd",
	         up, up, up, up);
	rc |= xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0 ? -1 : 0;
	rc |= dg_eark_start(w, "mets");
	rc |= dg_eark_attr(w, "xmlns", DG_EARK_NS_METS);
	rc |= dg_eark_attr(w, "xmlns:csip", DG_EARK_NS_CSIP);
	rc |= dg_eark_attr(w, "xmlns:sip", DG_EARK_NS_SIP);
	rc |= dg_eark_attr(w, "xmlns:xlink", DG_EARK_NS_XLINK);
	rc |= dg_eark_attr(w, "xmlns:xsi", DG_EARK_NS_XSI);
	rc |= dg_eark_attr(w, "xsi:schemaLocation", loc);
	rc |= dg_eark_attr(w, "OBJID", rep ? rep->name : st->package_id);
	if (!rep)
		rc |= dg_eark_attr(w, "LABEL", st->label);
	rc |= dg_eark_type_attrs(w, st, 1);
	rc |= dg_eark_attr(w, "PROFILE", DG_EARK_PROFILE_SIP);
	rc |= dg_eark_start(w, "metsHdr");
	rc |= dg_eark_attr(w, "CREATEDATE", st->now);
	rc |= dg_eark_attr(w, "LASTMODDATE", st->now);
	rc |= dg_eark_attr(w, "RECORDSTATUS", "NEW");
	rc |= dg_eark_attr(w, "csip:OAISPACKAGETYPE", "SIP");
	rc |= dg_eark_start(w, "agent");
	rc |= dg_eark_attr(w, "ROLE", "CREATOR");
	rc |= dg_eark_attr(w, "TYPE", "OTHER");
	rc |= dg_eark_attr(w, "OTHERTYPE", "SOFTWARE");
	rc |= dg_eark_text(w, "name", "dangan");
	rc |= dg_eark_start(w, "note");
	rc |= dg_eark_attr(w, "csip:NOTETYPE", "SOFTWARE VERSION");
	rc |= xmlTextWriterWriteString(w, BAD_CAST PACKAGE_VERSION) < 0 ? -1 : 0;
	rc |= dg_eark_end(w);
	rc |= dg_eark_end(w);
	if (!rep && st->submitter) {
		rc |= dg_eark_start(w, "agent");
		rc |= dg_eark_attr(w, "ROLE", "CREATOR");
		rc |= dg_eark_attr(w, "TYPE", "ORGANIZATION");
		rc |= dg_eark_text(w, "name", st->submitter);
		if (st->submitter_id) {
			rc |= dg_eark_start(w, "note");
			rc |= dg_eark_attr(w, "csip:NOTETYPE", "IDENTIFICATIONCODE");
			{
				char *c = dg_eark_xml_clean(st->submitter_id, 1024);
				rc |= !c || xmlTextWriterWriteString(w, BAD_CAST c) < 0 ? -1 : 0;
				free(c);
			}
			rc |= dg_eark_end(w);
		}
		rc |= dg_eark_end(w);
	}
	rc |= dg_eark_end(w); /* metsHdr */
	return rc;
}

/* <file> with its <FLocat>. */
static int
dg_eark_mets_file(xmlTextWriterPtr w, const char *id, const char *mime, int64_t size, const char *created,
                  const char *sha, const char *href)
{
	char *uri = dg_eark_uri_path(href);
	int rc = 0;

	if (!uri)
		return -1;
	rc |= dg_eark_start(w, "file");
	rc |= dg_eark_attr(w, "ID", id);
	rc |= dg_eark_attr(w, "MIMETYPE", mime);
	rc |= dg_eark_attr_i64(w, "SIZE", size);
	rc |= dg_eark_attr(w, "CREATED", created);
	rc |= dg_eark_attr(w, "CHECKSUM", sha);
	rc |= dg_eark_attr(w, "CHECKSUMTYPE", "SHA-256");
	rc |= dg_eark_start(w, "FLocat");
	rc |= dg_eark_attr(w, "LOCTYPE", "URL");
	rc |= dg_eark_attr(w, "xlink:type", "simple");
	rc |= dg_eark_attr(w, "xlink:href", uri);
	rc |= dg_eark_end(w);
	rc |= dg_eark_end(w);
	free(uri);
	return rc;
}

static int
dg_eark_fptr(xmlTextWriterPtr w, const char *divid, const char *label, const char *fileid)
{
	int rc = 0;

	rc |= dg_eark_start(w, "div");
	rc |= dg_eark_attr(w, "ID", divid);
	rc |= dg_eark_attr(w, "LABEL", label);
	if (fileid) {
		rc |= dg_eark_start(w, "fptr");
		rc |= dg_eark_attr(w, "FILEID", fileid);
		rc |= dg_eark_end(w);
	}
	rc |= dg_eark_end(w);
	return rc;
}

/* representations/<rep>/METS.xml from the spool. */
static int
dg_eark_rep_mets(struct dg_eark *st, struct dg_eark_rep *r)
{
	struct dg_eark_sink s;
	xmlTextWriterPtr w = NULL;
	char line[DG_EARK_SPOOL_LINE], id[64], grp[64], use[64];
	int rc = -1, opened = 0;
	int64_t n = 0;
	size_t i;

	if (fflush(r->spool) != 0 || fseek(r->spool, 0, SEEK_SET) != 0)
		return -1;
	if (dg_eark_sink_open(&s, r->dirfd, "METS.xml") != 0)
		return -1;
	opened = 1;
	w = dg_eark_sink_writer(&s);
	if (!w)
		goto out;
	if (dg_eark_mets_head(w, st, r) != 0)
		goto out;
	snprintf(grp, sizeof(grp), "%s-grp-data", r->name);
	snprintf(use, sizeof(use), "Representations/%s/data", r->name);
	{
		int e = 0;
		e |= dg_eark_start(w, "fileSec");
		snprintf(id, sizeof(id), "%s-filesec", r->name);
		e |= dg_eark_attr(w, "ID", id);
		/* the package's documentation and schemas apply to the
		 * representation too: listed here by relative path */
		e |= dg_eark_start(w, "fileGrp");
		snprintf(id, sizeof(id), "%s-grp-documentation", r->name);
		e |= dg_eark_attr(w, "ID", id);
		e |= dg_eark_attr(w, "USE", "Documentation");
		{
			char href[160];
			snprintf(id, sizeof(id), "%s-file-documentation-1", r->name);
			snprintf(href, sizeof(href), "../../%s", st->doc_readme.path);
			e |= dg_eark_mets_file(w, id, st->doc_readme.mime, st->doc_readme.size, st->now,
			                       st->doc_readme.sha, href);
		}
		e |= dg_eark_end(w);
		e |= dg_eark_start(w, "fileGrp");
		snprintf(id, sizeof(id), "%s-grp-schemas", r->name);
		e |= dg_eark_attr(w, "ID", id);
		e |= dg_eark_attr(w, "USE", "Schemas");
		for (i = 0; i < DG_EARK_METS_SCHEMAS; i++) {
			char href[160];
			snprintf(id, sizeof(id), "%s-file-schema-%zu", r->name, i + 1);
			snprintf(href, sizeof(href), "../../%s", st->schemas[i].path);
			e |= dg_eark_mets_file(w, id, "application/xml", st->schemas[i].size, st->now,
			                       st->schemas[i].sha, href);
		}
		e |= dg_eark_end(w);
		e |= dg_eark_start(w, "fileGrp");
		e |= dg_eark_attr(w, "ID", grp);
		e |= dg_eark_attr(w, "USE", use);
		e |= dg_eark_type_attrs(w, st, 0);
		if (e)
			goto out;
	}
	while (fgets(line, sizeof(line), r->spool)) {
		char *f[5], *p = line;
		size_t k;

		if (!strchr(line, '\n')) {
			errno = EOVERFLOW;
			goto out;
		}
		line[strcspn(line, "\n")] = '\0';
		for (k = 0; k < 5; k++) {
			f[k] = p;
			p = strchr(p, '\t');
			if (!p && k < 4) {
				errno = EINVAL;
				goto out;
			}
			if (p)
				*p++ = '\0';
		}
		snprintf(id, sizeof(id), "%s-file-%" PRId64, r->name, ++n);
		if (dg_eark_mets_file(w, id, f[1], strtoll(f[2], NULL, 10), f[3], f[4], f[0]) != 0)
			goto out;
	}
	if (ferror(r->spool))
		goto out;
	{
		int e = 0;
		char sm[64], div[64];
		e |= dg_eark_end(w); /* fileGrp */
		e |= dg_eark_end(w); /* fileSec */
		e |= dg_eark_start(w, "structMap");
		snprintf(sm, sizeof(sm), "%s-structmap", r->name);
		e |= dg_eark_attr(w, "ID", sm);
		e |= dg_eark_attr(w, "TYPE", "PHYSICAL");
		e |= dg_eark_attr(w, "LABEL", "CSIP");
		e |= dg_eark_start(w, "div");
		snprintf(div, sizeof(div), "%s-div", r->name);
		e |= dg_eark_attr(w, "ID", div);
		e |= dg_eark_attr(w, "LABEL", r->name);
		snprintf(div, sizeof(div), "%s-div-metadata", r->name);
		e |= dg_eark_fptr(w, div, "Metadata", NULL);
		snprintf(div, sizeof(div), "%s-div-documentation", r->name);
		snprintf(id, sizeof(id), "%s-grp-documentation", r->name);
		e |= dg_eark_fptr(w, div, "Documentation", id);
		snprintf(div, sizeof(div), "%s-div-schemas", r->name);
		snprintf(id, sizeof(id), "%s-grp-schemas", r->name);
		e |= dg_eark_fptr(w, div, "Schemas", id);
		snprintf(div, sizeof(div), "%s-div-representations", r->name);
		e |= dg_eark_fptr(w, div, "Representations", grp);
		e |= dg_eark_end(w); /* div */
		e |= dg_eark_end(w); /* structMap */
		if (e)
			goto out;
	}
	snprintf(r->mets.path, sizeof(r->mets.path), "representations/%s/METS.xml", r->name);
	r->mets.mime = "application/xml";
	opened = 0;
	rc = dg_eark_finish_xml(&w, &s, &r->mets);
out:
	if (w)
		xmlFreeTextWriter(w);
	if (opened)
		dg_eark_sink_abort(&s);
	return rc;
}

static int
dg_eark_mdref(xmlTextWriterPtr w, const char *mdtype, const char *version, const struct dg_eark_file *f,
              const char *created)
{
	int rc = 0;

	rc |= dg_eark_start(w, "mdRef");
	rc |= dg_eark_attr(w, "LOCTYPE", "URL");
	rc |= dg_eark_attr(w, "xlink:type", "simple");
	rc |= dg_eark_attr(w, "xlink:href", f->path);
	rc |= dg_eark_attr(w, "MDTYPE", mdtype);
	rc |= dg_eark_attr(w, "MDTYPEVERSION", version);
	rc |= dg_eark_attr(w, "MIMETYPE", f->mime);
	rc |= dg_eark_attr_i64(w, "SIZE", f->size);
	rc |= dg_eark_attr(w, "CREATED", created);
	rc |= dg_eark_attr(w, "CHECKSUM", f->sha);
	rc |= dg_eark_attr(w, "CHECKSUMTYPE", "SHA-256");
	rc |= dg_eark_end(w);
	return rc;
}

/* The package METS.xml. */
static int
dg_eark_root_mets(struct dg_eark *st)
{
	struct dg_eark_sink s;
	struct dg_eark_file mets;
	xmlTextWriterPtr w = NULL;
	char id[64], use[64];
	int rc = -1, opened = 0, e = 0;
	size_t i;

	if (dg_eark_sink_open(&s, st->outfd, "METS.xml") != 0)
		return -1;
	opened = 1;
	w = dg_eark_sink_writer(&s);
	if (!w)
		goto out;
	e |= dg_eark_mets_head(w, st, NULL);
	e |= dg_eark_start(w, "dmdSec");
	e |= dg_eark_attr(w, "ID", "dmd-dc");
	e |= dg_eark_attr(w, "CREATED", st->now);
	e |= dg_eark_attr(w, "STATUS", "CURRENT");
	e |= dg_eark_mdref(w, "DC", NULL, &st->doc_dc, st->now);
	e |= dg_eark_end(w);
	e |= dg_eark_start(w, "amdSec");
	e |= dg_eark_attr(w, "ID", "amd");
	e |= dg_eark_start(w, "digiprovMD");
	e |= dg_eark_attr(w, "ID", "digiprov-premis");
	e |= dg_eark_attr(w, "CREATED", st->now);
	e |= dg_eark_attr(w, "STATUS", "CURRENT");
	e |= dg_eark_mdref(w, "PREMIS", "3.0", &st->doc_premis, st->now);
	e |= dg_eark_end(w);
	e |= dg_eark_end(w);

	e |= dg_eark_start(w, "fileSec");
	e |= dg_eark_attr(w, "ID", "filesec");
	e |= dg_eark_start(w, "fileGrp");
	e |= dg_eark_attr(w, "ID", "grp-documentation");
	e |= dg_eark_attr(w, "USE", "Documentation");
	e |= dg_eark_mets_file(w, "file-documentation-1", st->doc_readme.mime, st->doc_readme.size, st->now,
	                       st->doc_readme.sha, st->doc_readme.path);
	e |= dg_eark_end(w);
	e |= dg_eark_start(w, "fileGrp");
	e |= dg_eark_attr(w, "ID", "grp-schemas");
	e |= dg_eark_attr(w, "USE", "Schemas");
	for (i = 0; i < DG_EARK_NSCHEMAS; i++) {
		snprintf(id, sizeof(id), "file-schema-%zu", i + 1);
		e |= dg_eark_mets_file(w, id, st->schemas[i].mime, st->schemas[i].size, st->now, st->schemas[i].sha,
		                       st->schemas[i].path);
	}
	e |= dg_eark_end(w);
	for (i = 0; i < DG_EARK_REPS; i++) {
		struct dg_eark_rep *r = &st->rep[i];
		if (!r->files)
			continue;
		snprintf(id, sizeof(id), "grp-%s", r->name);
		snprintf(use, sizeof(use), "Representations/%s", r->name);
		e |= dg_eark_start(w, "fileGrp");
		e |= dg_eark_attr(w, "ID", id);
		e |= dg_eark_attr(w, "USE", use);
		e |= dg_eark_type_attrs(w, st, 0);
		snprintf(id, sizeof(id), "file-%s-mets", r->name);
		e |= dg_eark_mets_file(w, id, r->mets.mime, r->mets.size, st->now, r->mets.sha, r->mets.path);
		e |= dg_eark_end(w);
	}
	e |= dg_eark_end(w); /* fileSec */

	e |= dg_eark_start(w, "structMap");
	e |= dg_eark_attr(w, "ID", "structmap-csip");
	e |= dg_eark_attr(w, "TYPE", "PHYSICAL");
	e |= dg_eark_attr(w, "LABEL", "CSIP");
	e |= dg_eark_start(w, "div");
	e |= dg_eark_attr(w, "ID", "div-package");
	e |= dg_eark_attr(w, "LABEL", st->package_id);
	e |= dg_eark_start(w, "div");
	e |= dg_eark_attr(w, "ID", "div-metadata");
	e |= dg_eark_attr(w, "LABEL", "Metadata");
	e |= dg_eark_attr(w, "DMDID", "dmd-dc");
	e |= dg_eark_attr(w, "ADMID", "digiprov-premis");
	e |= dg_eark_end(w);
	e |= dg_eark_fptr(w, "div-documentation", "Documentation", "grp-documentation");
	e |= dg_eark_fptr(w, "div-schemas", "Schemas", "grp-schemas");
	if (st->rep[0].files || st->rep[1].files) {
		/* CSIP103/104: the content division, pointing at the
		 * representation file groups; CSIP105..112: a division per
		 * representation pointing at its METS */
		e |= dg_eark_start(w, "div");
		e |= dg_eark_attr(w, "ID", "div-representations");
		e |= dg_eark_attr(w, "LABEL", "Representations");
		for (i = 0; i < DG_EARK_REPS; i++) {
			if (!st->rep[i].files)
				continue;
			snprintf(id, sizeof(id), "grp-%s", st->rep[i].name);
			e |= dg_eark_start(w, "fptr");
			e |= dg_eark_attr(w, "FILEID", id);
			e |= dg_eark_end(w);
		}
		e |= dg_eark_end(w);
		for (i = 0; i < DG_EARK_REPS; i++) {
			struct dg_eark_rep *r = &st->rep[i];
			if (!r->files)
				continue;
			snprintf(id, sizeof(id), "div-%s", r->name);
			snprintf(use, sizeof(use), "Representations/%s", r->name);
			e |= dg_eark_start(w, "div");
			e |= dg_eark_attr(w, "ID", id);
			e |= dg_eark_attr(w, "LABEL", use);
			e |= dg_eark_start(w, "mptr");
			e |= dg_eark_attr(w, "LOCTYPE", "URL");
			e |= dg_eark_attr(w, "xlink:type", "simple");
			e |= dg_eark_attr(w, "xlink:href", r->mets.path);
			snprintf(id, sizeof(id), "grp-%s", r->name);
			e |= dg_eark_attr(w, "xlink:title", id);
			e |= dg_eark_end(w);
			e |= dg_eark_end(w);
		}
	}
	e |= dg_eark_end(w); /* div */
	e |= dg_eark_end(w); /* structMap */
	if (e)
		goto out;
	opened = 0;
	rc = dg_eark_finish_xml(&w, &s, &mets);
out:
	if (w)
		xmlFreeTextWriter(w);
	if (opened)
		dg_eark_sink_abort(&s);
	return rc;
}

static int
dg_eark_export_end(struct dg_ctx *ctx, const struct dg_host *host, void *state)
{
	struct dg_eark *st = state;
	int docfd = -1, rc = DG_FATAL;
	size_t i;

	if (!st->out || st->outfd < 0 || !st->premis) {
		host->error(ctx, "eark: export_end() before export_begin()");
		return DG_FATAL;
	}
	if (st->failed) {
		host->error(ctx, "%s: not every document could be exported; no package written", st->out);
		goto out;
	}
	if (xmlTextWriterEndElement(st->dc) < 0)
		goto io;
	snprintf(st->doc_dc.path, sizeof(st->doc_dc.path), "metadata/descriptive/dc.xml");
	st->doc_dc.mime = "application/xml";
	if (dg_eark_finish_xml(&st->dc, &st->dc_sink, &st->doc_dc) != 0)
		goto io;
	snprintf(st->doc_premis.path, sizeof(st->doc_premis.path), "metadata/preservation/premis.xml");
	st->doc_premis.mime = "application/xml";
	if (dg_eark_premis_end(st) != 0)
		goto io;
	docfd = dg_eark_mkdir(st->outfd, "documentation");
	if (docfd < 0 || dg_eark_readme(st, docfd) != 0)
		goto io;
	for (i = 0; i < DG_EARK_REPS; i++) {
		struct dg_eark_rep *r = &st->rep[i];
		if (r->dirfd < 0)
			continue;
		if (r->files) {
			if (dg_eark_rep_mets(st, r) != 0)
				goto io;
		} else {
			/* nothing to represent: no empty folders */
			unlinkat(r->dirfd, "data", AT_REMOVEDIR);
			unlinkat(st->reps_fd, r->name, AT_REMOVEDIR);
		}
	}
	if (!st->rep[0].files && !st->rep[1].files)
		unlinkat(st->outfd, "representations", AT_REMOVEDIR);
	if (dg_eark_root_mets(st) != 0)
		goto io;
	/* everything written: one sync of the file system holding the
	 * package (files and folders), as a careful copy ends with sync */
	if (syncfs(st->outfd) != 0)
		goto io;
	host->log(ctx, DG_LOG_INFO, "%s: %" PRId64 " documents, %" PRId64 " files, %" PRId64 " events", st->out,
	          st->docs, st->rep[0].files + st->rep[1].files, st->events_n);
	rc = DG_OK;
	goto out;
io:
	host->error(ctx, "%s: cannot finish the package: %s", st->out, strerror(errno));
	rc = DG_FATAL;
out:
	if (docfd >= 0)
		close(docfd);
	dg_eark_run_free(st);
	return rc;
}

static int
dg_eark_verify_cb(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *path)
{
	struct dg_eark *st = state;

	return dg_eark_verify(ctx, host, st ? &st->schema : NULL, path);
}

static const struct dg_plugin dg_eark_plugin = {
    DG_PLUGIN_HEADER,
    .name = "eark",
    .version = DG_EARK_VERSION,
    .summary = "E-ARK CSIP/SIP 2.1 information packages (METS, PREMIS 3, Dublin Core): export and verify",
    .kind = DG_KIND_EXPORT,
    .flags = DG_PLUGIN_CHECKS_FIXITY,
    .options = dg_eark_options,
    .init = dg_eark_init,
    .fini = dg_eark_fini,
    .process = dg_eark_process,
    .export_begin = dg_eark_export_begin,
    .export_end = dg_eark_export_end,
    .verify = dg_eark_verify_cb,
};

DG_PLUGIN_DEFINE(dg_eark_plugin)
