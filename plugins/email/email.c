#include <config.h>
#include <dangan/plugin.h>

/*
 * plugins/email: mail messages (message/rfc822) and mbox files.
 *
 * A message is parsed with GMime (never by hand) from its original in
 * the store.  Its headers become metadata (email.from, email.to,
 * email.cc, email.subject, email.date in ISO 8601, email.message-id,
 * email.in-reply-to, email.references, and dc.title/dc.creator/dc.date),
 * decoded from RFC 2047 words and RFC 2231 parameters in any charset,
 * raw 8-bit header bytes read in the charset uchardet finds for them.
 * The body (text/plain, or HTML turned into text, charsets as the text
 * plugin reads them) becomes the indexed "text" part, after a short
 * header block so that a search finds a sender or a subject.  Every
 * attachment, and every part that is not body text, becomes a document
 * of its own, emitted as a child of the message (the engine records the
 * relation both ways) and run through the whole pipeline by what it
 * is: an image is scanned and read, a zip unpacked, an attached message
 * parsed by this stage again, down to max-depth.
 *
 * Damage is recovered from as GMime can (bad boundaries, broken base64,
 * missing headers, 8-bit garbage, nesting bombs) and what could not be
 * read is listed in email.problems; the message then ends with DG_WARN.
 *
 * An mbox (application/mbox) met inside a directory or an archive is
 * split into its messages, each a child document (mbox.c).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "mbox.h"
#include "plugins/text/textconv.h"

#define EMAIL_VERSION "0.1.0"
#define EMAIL_PROBLEMS_MAX 32
#define EMAIL_PRESCAN ((size_t)64 << 10) /* bytes searched for the header block */
#define EMAIL_TEXT_TYPE "text/plain; charset=utf-8"
#define EMAIL_CHUNK 65536
#define EMAIL_ADDRESSES_MAX 1000   /* per header */
#define EMAIL_ADDRESS_LEN_MAX 2048 /* bytes of one address */

static const struct dg_option email_options[] = {
    {.name = "max-depth",
     .type = DG_OPT_INT,
     .default_value = "8",
     .help = "deepest nesting of attached messages that is still opened; deeper ones are kept whole",
     .min = 0,
     .max = 15},
    {.name = "max-attachments",
     .type = DG_OPT_INT,
     .default_value = "1000",
     .help = "most attachments taken out of one message; the rest stay inside the original",
     .min = 0,
     .max = 100000},
    {.name = "max-body",
     .type = DG_OPT_SIZE,
     .default_value = "16M",
     .help = "most bytes of body text indexed per message",
     .min = 1024,
     .max = (int64_t)1 << 30},
    {.name = "mbox-content-length",
     .type = DG_OPT_BOOL,
     .default_value = "false",
     .help = "split an mbox by Content-Length headers where they are right (for mboxes whose bodies "
             "hold unquoted From lines)"},
    {0},
};

struct email_state {
	int64_t max_depth, max_attachments, max_body;
	int content_length;
};

/* One message being read. */
struct email_run {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	const struct email_state *st;
	struct dg_doc *doc;
	GMimeParserOptions *po;
	GString *body;       /* the body text, UTF-8 */
	GString *attached;   /* names of the attachments, for the text part */
	int body_cut;        /* body reached max-body */
	int64_t attachments; /* children emitted */
	int64_t parts;       /* leaf parts seen, for labels */
	int child_failed;
	int problems;
	int warn;
	char *prob_seen[EMAIL_PROBLEMS_MAX];
};

/* ------------------------------------------------------------------ */
/* Set-up                                                               */

static int
email_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct email_state *st = calloc(1, sizeof(*st));

	if (!st) {
		host->error(ctx, "email: out of memory");
		return DG_FATAL;
	}
	st->max_depth = host->opt_int(opts, "max-depth");
	st->max_attachments = host->opt_int(opts, "max-attachments");
	st->max_body = host->opt_int(opts, "max-body");
	st->content_length = host->opt_bool(opts, "mbox-content-length");
	email_gmime_init();
	*state = st;
	return DG_OK;
}

static void
email_fini(void *state)
{
	free(state); /* never g_mime_shutdown(): GMime stays for the process */
}

static int
email_is(const char *type, const char *what)
{
	size_t n = strlen(what);

	return type && strncasecmp(type, what, n) == 0 && (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

/* Does a file libmagic calls text start with a mail header block?
 * Each line up to the first empty one is "Name: value" or a
 * continuation, and one of the names is one only mail has. */
static int
email_sniff_message(const char *path)
{
	static const char *const strong[] = {"from",        "date",         "message-id",  "received",   "mime-version",
	                                     "return-path", "delivered-to", "in-reply-to", "references", NULL};
	char buf[4097];
	ssize_t n;
	char *line, *next;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), fields = 0, hits = 0, i;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (line = buf; line && *line; line = next) {
		size_t name;
		next = strchr(line, '\n');
		if (!next && n == (ssize_t)sizeof(buf) - 1)
			break; /* a line cut by the buffer */
		if (next)
			*next++ = '\0';
		if (line[0] == '\0' || strcmp(line, "\r") == 0)
			break; /* end of the header block */
		if (line[0] == ' ' || line[0] == '\t') {
			if (fields == 0)
				return 0;
			continue;
		}
		name = strcspn(line, ": \t");
		if (name == 0 || name > 76 || line[name] != ':')
			return 0;
		fields++;
		for (i = 0; strong[i]; i++)
			if (strlen(strong[i]) == name && strncasecmp(line, strong[i], name) == 0)
				hits++;
	}
	return fields >= 2 && hits >= 1;
}

static int
email_bid(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	const char *type = host->media_type(doc), *path;

	(void)ctx;
	(void)state;
	if (email_is(type, "message/rfc822") || email_is(type, "message/news") || email_is(type, "application/mbox"))
		return 90;
	/* libmagic calls many messages and mboxes text/plain */
	path = email_is(type, "text/plain") ? host->part_path(doc, DG_ROLE_ORIGINAL) : NULL;
	if (path && (mbox_sniff(path) || email_sniff_message(path)))
		return 90;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Problems: what could not be read, as metadata                        */

static void email_problem(struct email_run *r, const char *fmt, ...) DG_PRINTF(2, 3);

static void
email_problem(struct email_run *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!g_utf8_validate(msg, -1, NULL)) {
		char *fixed = g_utf8_make_valid(msg, -1);
		snprintf(msg, sizeof(msg), "%s", fixed);
		g_free(fixed);
	}
	for (i = 0; i < r->problems; i++)
		if (strcmp(r->prob_seen[i], msg) == 0)
			return;
	r->warn = 1;
	if (r->problems == EMAIL_PROBLEMS_MAX)
		return;
	r->prob_seen[r->problems++] = g_strdup(msg);
	r->host->meta_add(r->doc, "email.problems", msg);
}

static const char *
email_warning_name(GMimeParserWarning code)
{
	switch (code) {
	case GMIME_WARN_DUPLICATED_HEADER: return "a header that may occur once is repeated";
	case GMIME_WARN_DUPLICATED_PARAMETER: return "a header parameter is repeated";
	case GMIME_WARN_UNENCODED_8BIT_HEADER: return NULL; /* read by charset detection */
	case GMIME_WARN_INVALID_CONTENT_TYPE: return "invalid Content-Type, read as application/octet-stream";
	case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE: return "invalid RFC 2047 encoded word";
	case GMIME_WARN_MALFORMED_MULTIPART: return "multipart without parts";
	case GMIME_WARN_TRUNCATED_MESSAGE: return "the message is truncated";
	case GMIME_WARN_MALFORMED_MESSAGE: return "the message is malformed";
	case GMIME_CRIT_INVALID_HEADER_NAME: return "invalid header line; the parser skipped part of the message";
	case GMIME_CRIT_CONFLICTING_HEADER: return "conflicting headers";
	case GMIME_CRIT_CONFLICTING_PARAMETER: return "conflicting header parameters";
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY: return "multipart without a boundary";
	case GMIME_CRIT_NESTING_OVERFLOW: return "MIME nesting too deep; the deepest parts were not parsed";
	case GMIME_WARN_PART_WITHOUT_CONTENT: return "a part without content";
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: return "a part without headers or content";
	case GMIME_WARN_INVALID_ADDRESS_LIST: return "invalid address list";
	default: return "unknown parser warning";
	}
}

static void
email_on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
	struct email_run *r = data;
	const char *what = email_warning_name(code);

	(void)offset;
	if (!what)
		return;
	if (item && *item && strlen(item) < 120)
		email_problem(r, "%s (%s)", what, item);
	else
		email_problem(r, "%s", what);
}

/* ------------------------------------------------------------------ */
/* Metadata from the headers                                            */

/* Set or add a metadata value made valid UTF-8 first. */
static void
email_meta(struct email_run *r, const char *key, const char *value, int add)
{
	char *fixed = NULL;

	if (!value || !*value)
		return;
	if (!g_utf8_validate(value, -1, NULL))
		value = fixed = g_utf8_make_valid(value, -1);
	if ((add ? r->host->meta_add : r->host->meta_set)(r->doc, key, value) != 0)
		email_problem(r, "%s could not be recorded", key);
	g_free(fixed);
}

/* Raw 8-bit bytes in the header block: the charset uchardet finds for
 * them is tried before the usual fallbacks. */
static void
email_header_charsets(const char *path, char *found, size_t cap)
{
	char *buf = malloc(EMAIL_PRESCAN + 1);
	ssize_t n;
	char *end;
	int fd;

	found[0] = '\0';
	if (!buf)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	n = fd < 0 ? -1 : read(fd, buf, EMAIL_PRESCAN);
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		size_t len, i, k = 0;
		buf[n] = '\0';
		end = strstr(buf, "\n\n");
		if (!end)
			end = strstr(buf, "\r\n\r\n");
		len = end ? (size_t)(end - buf) : (size_t)n;
		/* the values of the lines with 8-bit bytes, whole: a Big5 or GBK
		 * character's second byte may be ASCII */
		for (i = 0; i < len;) {
			size_t eol = i, colon, j;
			int high = 0;
			while (eol < len && buf[eol] != '\n')
				high |= (unsigned char)buf[eol++] >= 0x80;
			for (colon = i; colon < eol && buf[colon] != ':'; colon++)
				;
			if (high) {
				for (j = colon < eol ? colon + 1 : i; j < eol; j++)
					buf[k++] = buf[j];
				buf[k++] = '\n';
			}
			i = eol + 1;
		}
		if (k > 0 && !g_utf8_validate(buf, (gssize)k, NULL)) {
			char name[TEXT_CHARSET_MAX];
			text_guess_charset((const unsigned char *)buf, k, name, sizeof(name));
			if (name[0] && strcasecmp(name, "ASCII") != 0)
				snprintf(found, cap, "%s", text_iconv_name(name));
		}
	}
	free(buf);
}

static void
email_addresses(struct email_run *r, InternetAddressList *list, const char *key, GString *line)
{
	int i, n = list ? internet_address_list_length(list) : 0;

	if (n > EMAIL_ADDRESSES_MAX) {
		email_problem(r, "%s: %d addresses, only the first %d recorded", key, n, EMAIL_ADDRESSES_MAX);
		n = EMAIL_ADDRESSES_MAX;
	}
	for (i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		char *s = internet_address_to_string(ia, NULL, FALSE);
		if (!s)
			continue;
		if (strlen(s) > EMAIL_ADDRESS_LEN_MAX) {
			email_problem(r, "%s: an address of %zu bytes was not recorded", key, strlen(s));
			g_free(s);
			continue;
		}
		email_meta(r, key, s, 1);
		if (line)
			g_string_append_printf(line, "%s%s", i ? ", " : "", s);
		g_free(s);
	}
}

static void
email_references(struct email_run *r, GMimeMessage *msg, const char *header, const char *key, int first_only)
{
	const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), header);
	GMimeReferences *refs;
	int i, n;

	if (!v)
		return;
	refs = g_mime_references_parse(r->po, v);
	n = refs ? g_mime_references_length(refs) : 0;
	for (i = 0; i < n && (!first_only || i < 1); i++)
		email_meta(r, key, g_mime_references_get_message_id(refs, i), 1);
	if (n == 0)
		email_problem(r, "%s header holds no message id", header);
	if (refs)
		g_mime_references_free(refs);
}

/* Metadata from the headers; the header block of the text part. */
static void
email_headers(struct email_run *r, GMimeMessage *msg, GString *head)
{
	GDateTime *date = g_mime_message_get_date(msg);
	const char *subject = g_mime_message_get_subject(msg);
	const char *id = g_mime_message_get_message_id(msg);
	GString *from = g_string_new(NULL);
	InternetAddressList *fl = g_mime_message_get_from(msg);

	email_addresses(r, fl, "email.from", from);
	if (fl && internet_address_list_length(fl) > 0) {
		InternetAddress *ia = internet_address_list_get_address(fl, 0);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			email_meta(r, "email.from.address",
			           internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)), 0);
	}
	if (from->len) {
		email_meta(r, "dc.creator", from->str, 0);
		g_string_append_printf(head, "From: %s\n", from->str);
	} else {
		email_problem(r, "no From header");
	}
	g_string_truncate(from, 0);
	email_addresses(r, g_mime_message_get_to(msg), "email.to", from);
	if (from->len)
		g_string_append_printf(head, "To: %s\n", from->str);
	g_string_truncate(from, 0);
	email_addresses(r, g_mime_message_get_cc(msg), "email.cc", from);
	if (from->len)
		g_string_append_printf(head, "Cc: %s\n", from->str);
	g_string_free(from, TRUE);

	if (date) {
		char *iso = g_date_time_format(date, "%Y-%m-%dT%H:%M:%S%:z");
		email_meta(r, "email.date", iso, 0);
		email_meta(r, "dc.date", iso, 0);
		g_string_append_printf(head, "Date: %s\n", iso);
		g_free(iso);
	} else {
		const char *raw = g_mime_object_get_header(GMIME_OBJECT(msg), "Date");
		if (raw) {
			email_meta(r, "email.date.raw", raw, 0);
			email_problem(r, "Date header not understood");
		} else {
			email_problem(r, "no Date header");
		}
	}
	if (subject) {
		email_meta(r, "email.subject", subject, 0);
		email_meta(r, "dc.title", subject, 0);
		g_string_append_printf(head, "Subject: %s\n", subject);
	}
	if (id)
		email_meta(r, "email.message-id", id, 0);
	else
		email_problem(r, "no Message-ID header");
	email_references(r, msg, "In-Reply-To", "email.in-reply-to", 1);
	email_references(r, msg, "References", "email.references", 0);
}

/* ------------------------------------------------------------------ */
/* Part contents, decoded from their transfer encoding as they stream   */

typedef int (*email_sink)(void *arg, const void *buf, size_t len);

/* Stream the decoded content of a part to sink; -1 when it cannot be
 * read (the problem is recorded) or the sink says stop. */
static int
email_decode(struct email_run *r, GMimeDataWrapper *w, email_sink sink, void *arg)
{
	GMimeStream *in = w ? g_mime_data_wrapper_get_stream(w) : NULL;
	GMimeContentEncoding enc = w ? g_mime_data_wrapper_get_encoding(w) : GMIME_CONTENT_ENCODING_DEFAULT;
	GMimeFilter *f = NULL;
	char *buf, *out;
	size_t outlen, outpre;
	ssize_t n;
	int rc = 0;

	if (!in)
		return 0;
	if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE)
		f = g_mime_filter_basic_new(enc, FALSE);
	buf = malloc(EMAIL_CHUNK + 64);
	if (!buf) {
		if (f)
			g_object_unref(f);
		return -1;
	}
	g_mime_stream_reset(in);
	while ((n = g_mime_stream_read(in, buf + 64, EMAIL_CHUNK)) > 0) {
		out = buf + 64;
		outlen = (size_t)n;
		if (f)
			g_mime_filter_filter(f, buf + 64, (size_t)n, 64, &out, &outlen, &outpre);
		if (outlen && sink(arg, out, outlen)) {
			rc = -1;
			break;
		}
	}
	if (n < 0 && !g_mime_stream_eos(in)) {
		email_problem(r, "a part could not be read to its end");
		rc = -1;
	}
	if (f && rc == 0) {
		g_mime_filter_complete(f, buf + 64, 0, 64, &out, &outlen, &outpre);
		if (outlen && sink(arg, out, outlen))
			rc = -1;
	}
	if (f)
		g_object_unref(f);
	free(buf);
	return rc;
}

struct email_bytes {
	GByteArray *a;
	size_t max;
	int cut;
};

static int
email_to_bytes(void *arg, const void *buf, size_t len)
{
	struct email_bytes *b = arg;

	if (b->a->len + len > b->max) {
		len = b->max - b->a->len;
		b->cut = 1;
	}
	g_byte_array_append(b->a, (const guint8 *)buf, (guint)len);
	return b->cut;
}

/* ------------------------------------------------------------------ */
/* Body text                                                            */

static void
email_add_text(struct email_run *r, GMimePart *part, int html)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	const char *charset = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
	struct email_bytes b;
	struct text_conv conv;
	char type[128];
	size_t room;

	if (r->body_cut)
		return;
	room = (size_t)r->st->max_body > r->body->len ? (size_t)r->st->max_body - r->body->len : 0;
	b.a = g_byte_array_new();
	b.max = room;
	b.cut = 0;
	email_decode(r, g_mime_part_get_content(part), email_to_bytes, &b);
	if (b.cut) {
		r->body_cut = 1;
		email_problem(r, "the body text was cut at %lld bytes", (long long)r->st->max_body);
	}
	snprintf(type, sizeof(type), "%s; charset=%s", html ? "text/html" : "text/plain",
	         charset && strlen(charset) < 64 ? charset : "unknown");
	if (text_convert(b.a->data, b.a->len, b.cut, type, html ? TEXT_HTML : TEXT_PLAIN, &conv) == 0) {
		if (r->body->len && conv.text.len)
			g_string_append_c(r->body, '\n');
		g_string_append_len(r->body, conv.text.p, (gssize)conv.text.len);
		if (conv.replacements)
			email_problem(r, "%zu invalid %s sequences in the body replaced by U+FFFD", conv.replacements,
			              conv.charset);
	} else {
		email_problem(r, "out of memory decoding the body");
	}
	text_conv_free(&conv);
	g_byte_array_unref(b.a);
}

/* ------------------------------------------------------------------ */
/* Attachments: documents of their own                                  */

static void
email_child_meta(struct email_run *r, struct dg_doc *child, GMimeObject *obj, const char *label)
{
	const struct dg_host *host = r->host;
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
	const char *cid = g_mime_object_get_content_id(obj);
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	const char *fixed_label = label;
	char *valid = NULL;

	if (!g_utf8_validate(label, -1, NULL))
		fixed_label = valid = g_utf8_make_valid(label, -1);
	host->meta_set(child, "@relation.label", fixed_label);
	host->meta_set(child, "source.name", fixed_label);
	if (GMIME_IS_PART(obj) && g_mime_part_get_filename(GMIME_PART(obj)))
		host->meta_set(child, "email.attachment.filename", fixed_label);
	if (type && g_utf8_validate(type, -1, NULL))
		host->meta_set(child, "email.attachment.type", type);
	if (cd && g_mime_content_disposition_get_disposition(cd) &&
	    g_utf8_validate(g_mime_content_disposition_get_disposition(cd), -1, NULL))
		host->meta_set(child, "email.attachment.disposition", g_mime_content_disposition_get_disposition(cd));
	if (cid && g_utf8_validate(cid, -1, NULL))
		host->meta_set(child, "email.attachment.content-id", cid);
	g_free(type);
	g_free(valid);
}

/* Emit one part (or an attached message) as a child document. */
static int
email_emit(struct email_run *r, GMimeObject *obj, const char *label, int is_message)
{
	const struct dg_host *host = r->host;
	struct dg_doc *child;
	struct dg_writer *w;
	struct mbox_sink ws;
	int rc, ok;

	if (r->attachments >= r->st->max_attachments) {
		email_problem(r, "more than %lld attachments: the rest stay inside the original",
		              (long long)r->st->max_attachments);
		return 0;
	}
	child = host->doc_new(r->ctx, r->doc);
	w = child ? host->writer_open(r->ctx) : NULL;
	if (!w) {
		if (child)
			host->doc_free(child);
		host->error(r->ctx, "cannot store attachment '%s'", label);
		return -1;
	}
	ws.host = host;
	ws.w = w;
	if (is_message) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		GMimeStream *mem = g_mime_stream_mem_new();
		GByteArray *a;
		ok = m && g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, mem) >= 0;
		a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		ok = ok && host->writer_write(w, a->data, a->len) == 0;
		g_object_unref(mem);
	} else {
		ok = email_decode(r, g_mime_part_get_content(GMIME_PART(obj)), mbox_sink_write, &ws) == 0;
	}
	if (!ok) {
		host->writer_abort(w);
		host->doc_free(child);
		email_problem(r, "attachment '%s' could not be decoded; it stays inside the original", label);
		return 0;
	}
	if (host->writer_size(w) == 0 && !(GMIME_IS_PART(obj) && g_mime_part_get_filename(GMIME_PART(obj)))) {
		/* an empty part without a name is no attachment */
		host->writer_abort(w);
		host->doc_free(child);
		return 0;
	}
	if (host->writer_finish(r->ctx, w, child, DG_ROLE_ORIGINAL, NULL) != 0) {
		host->doc_free(child);
		host->error(r->ctx, "cannot store attachment '%s'", label);
		return -1;
	}
	email_child_meta(r, child, obj, label);
	/* GMime parsed it as a message: that is what it is, not a claim */
	if (is_message)
		host->set_media_type(child, "message/rfc822");
	r->attachments++;
	if (r->attached->len < 4096)
		g_string_append_printf(r->attached, "%s%s", r->attached->len ? ", " : "", label);
	rc = host->emit(r->ctx, child);
	if (rc == DG_FATAL)
		return -1;
	if (rc == DG_FAILED) {
		r->child_failed++;
		host->note(r->ctx, r->doc, "attachment '%s' failed in its own pipeline", label);
	}
	return 0;
}

static char *
email_label(struct email_run *r, GMimeObject *obj)
{
	const char *name = GMIME_IS_PART(obj) ? g_mime_part_get_filename(GMIME_PART(obj)) : NULL;
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *type, *label;

	if (name && *name)
		return g_strdup(name);
	type = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("application/octet-stream");
	label = g_strdup_printf("part %lld (%s)", (long long)r->parts, type);
	g_free(type);
	return label;
}

/* ------------------------------------------------------------------ */
/* The MIME tree                                                        */

static int email_walk(struct email_run *r, GMimeObject *obj, int depth);

static int
email_is_text(GMimeObject *obj, int *html)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);

	if (!GMIME_IS_PART(obj) || !ct)
		return 0;
	if (cd && g_mime_content_disposition_is_attachment(cd))
		return 0;
	if (g_mime_part_get_filename(GMIME_PART(obj)))
		return 0;
	*html = g_mime_content_type_is_type(ct, "text", "html");
	return *html || g_mime_content_type_is_type(ct, "text", "plain") ||
	       g_mime_content_type_is_type(ct, "text", "enriched");
}

/* multipart/alternative: the plain version is the body; HTML if that
 * is all there is; an alternative that is neither is walked. */
static int
email_alternative(struct email_run *r, GMimeMultipart *mp, int depth)
{
	int i, n = g_mime_multipart_get_count(mp), html, pick = -1, pick_html = -1;

	for (i = 0; i < n; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);
		if (email_is_text(c, &html)) {
			if (!html && pick < 0)
				pick = i;
			if (html && pick_html < 0)
				pick_html = i;
		}
	}
	if (pick < 0)
		pick = pick_html;
	if (pick < 0)
		pick = n - 1; /* e.g. multipart/related inside: the richest version */
	return pick >= 0 ? email_walk(r, g_mime_multipart_get_part(mp, pick), depth + 1) : 0;
}

static int
email_walk(struct email_run *r, GMimeObject *obj, int depth)
{
	int html, rc = 0;

	if (depth > 64) {
		email_problem(r, "MIME nesting deeper than 64; the deeper parts stay inside the original");
		return 0;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		int i, n = g_mime_multipart_get_count(mp);
		if (ct && g_mime_content_type_is_type(ct, "multipart", "alternative"))
			return email_alternative(r, mp, depth);
		for (i = 0; i < n && rc == 0; i++)
			rc = email_walk(r, g_mime_multipart_get_part(mp, i), depth + 1);
		return rc;
	}
	r->parts++;
	if (GMIME_IS_MESSAGE_PART(obj)) {
		char *label;
		if (r->host->depth(r->doc) >= r->st->max_depth) {
			email_problem(r, "an attached message deeper than max-depth %lld stays inside the original",
			              (long long)r->st->max_depth);
			return 0;
		}
		label = email_label(r, obj);
		rc = email_emit(r, obj, label, 1);
		g_free(label);
		return rc;
	}
	if (!GMIME_IS_PART(obj))
		return 0;
	if (email_is_text(obj, &html)) {
		email_add_text(r, GMIME_PART(obj), html);
		return 0;
	}
	{
		char *label = email_label(r, obj);
		rc = email_emit(r, obj, label, 0);
		g_free(label);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* A message                                                            */

static int
email_message(struct dg_ctx *ctx, const struct dg_host *host, const struct email_state *st, struct dg_doc *doc,
              const char *path)
{
	struct email_run r;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg = NULL;
	GString *head = g_string_new(NULL);
	char charset[TEXT_CHARSET_MAX], num[32];
	const char *fallback[5];
	int fd, rc = DG_FAILED, k = 0, i;

	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	r.host = host;
	r.st = st;
	r.doc = doc;
	r.body = g_string_new(NULL);
	r.attached = g_string_new(NULL);
	r.po = g_mime_parser_options_new();
	email_header_charsets(path, charset, sizeof(charset));
	fallback[k++] = "UTF-8";
	if (charset[0] && strcasecmp(charset, "UTF-8") != 0)
		fallback[k++] = charset;
	fallback[k++] = "GB18030";
	fallback[k++] = "ISO-8859-1";
	fallback[k] = NULL;
	g_mime_parser_options_set_fallback_charsets(r.po, fallback);
	g_mime_parser_options_set_warning_callback(r.po, email_on_warning, &r);

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		host->error(ctx, "cannot read the message: %s", strerror(errno));
		goto out;
	}
	stream = g_mime_stream_fs_new(fd); /* owns fd */
	parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, r.po);
	g_object_unref(parser);
	if (!msg) {
		/* nothing GMime can call a message: keep the bytes, say so */
		email_problem(&r, "no message headers found");
		rc = DG_WARN;
		goto out;
	}
	email_headers(&r, msg, head);
	if (g_mime_message_get_mime_part(msg) && email_walk(&r, g_mime_message_get_mime_part(msg), 0) != 0) {
		rc = DG_FAILED;
		goto out;
	}
	if (r.attachments) {
		snprintf(num, sizeof(num), "%lld", (long long)r.attachments);
		host->meta_set(doc, "email.attachments", num);
		g_string_append_printf(head, "Attachments: %s\n", r.attached->str);
	}
	g_string_append_c(head, '\n');
	g_string_append_len(head, r.body->str, (gssize)r.body->len);
	if (host->part_add_mem(ctx, doc, DG_ROLE_TEXT, EMAIL_TEXT_TYPE, head->str, head->len) != 0)
		goto out;
	if (r.child_failed)
		host->note(ctx, doc, "%d attachment(s) quarantined", r.child_failed);
	rc = r.warn || r.child_failed ? DG_WARN : DG_OK;
out:
	if (r.problems)
		host->note(ctx, doc, "%d problem(s), see email.problems", r.problems);
	for (i = 0; i < r.problems; i++)
		g_free(r.prob_seen[i]);
	if (msg)
		g_object_unref(msg);
	g_mime_parser_options_free(r.po);
	g_string_free(r.body, TRUE);
	g_string_free(r.attached, TRUE);
	g_string_free(head, TRUE);
	return rc;
}

/* ------------------------------------------------------------------ */
/* An mbox inside something else: its messages become children         */

struct email_split {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	struct dg_doc *doc;
	int64_t failed, done;
	int fatal;
};

static int
email_split_one(void *arg, const struct mbox_msg *m)
{
	struct email_split *s = arg;
	struct dg_doc *child = mbox_message_doc(s->ctx, s->host, s->doc, m);
	char label[64];
	int rc;

	if (!child) {
		s->fatal = 1;
		return 1;
	}
	snprintf(label, sizeof(label), "message %lld", (long long)m->index);
	s->host->meta_set(child, "@relation.label", label);
	{
		/* named after its mbox, as the mailbox source names them */
		const char *box = s->host->meta_get(s->doc, "source.name");
		char *name = g_strdup_printf("%s#%lld", box ? box : "mbox", (long long)m->index);
		s->host->meta_set(child, "source.name", name);
		g_free(name);
	}
	rc = s->host->emit(s->ctx, child);
	s->done++;
	if (rc == DG_FAILED)
		s->failed++;
	if (rc == DG_FATAL) {
		s->fatal = 1;
		return 1;
	}
	return 0;
}

static int
email_mbox(struct dg_ctx *ctx, const struct dg_host *host, const struct email_state *st, struct dg_doc *doc,
           const char *path)
{
	struct email_split s = {ctx, host, doc, 0, 0, 0};
	char why[256], num[32];

	if (mbox_split(path, st->content_length, email_split_one, &s, why, sizeof(why)) != 0) {
		host->error(ctx, "%s", why);
		return DG_FAILED;
	}
	if (s.fatal) {
		host->error(ctx, "the mbox could not be split after %lld messages", (long long)s.done);
		return DG_FAILED;
	}
	snprintf(num, sizeof(num), "%lld", (long long)s.done);
	host->meta_set(doc, "mbox.messages", num);
	host->note(ctx, doc, "%lld messages, %lld quarantined", (long long)s.done, (long long)s.failed);
	return s.failed ? DG_WARN : DG_OK;
}

static int
email_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	const struct email_state *st = state;
	const char *path = host->part_path(doc, DG_ROLE_ORIGINAL);

	if (!path) {
		host->error(ctx, "the document has no original part");
		return DG_FAILED;
	}
	if (email_is(host->media_type(doc), "text/plain")) {
		/* the bid found a message or an mbox in it */
		int mbox = mbox_sniff(path);
		host->set_media_type(doc, mbox ? "application/mbox" : "message/rfc822");
		host->note(ctx, doc, "read as %s", mbox ? "an mbox" : "a message");
	}
	if (email_is(host->media_type(doc), "application/mbox"))
		return email_mbox(ctx, host, st, doc, path);
	return email_message(ctx, host, st, doc, path);
}

static const struct dg_plugin email_plugin = {
    DG_PLUGIN_HEADER,
    .name = "email",
    .version = EMAIL_VERSION,
    .summary = "Mail messages: headers as metadata, body text, attachments as linked documents; mbox split",
    .kind = DG_KIND_TRANSFORM,
    .flags = DG_PLUGIN_SHARED,
    .options = email_options,
    .init = email_init,
    .fini = email_fini,
    .bid = email_bid,
    .process = email_process,
    .bid_locator = NULL,
    .scan = NULL,
};

DG_PLUGIN_DEFINE(email_plugin)
