#include <config.h>
#include <dangan/plugin.h>

/*
 * plugins/text: the text extractor.
 *
 * Turns text/plain (any text/ type) and HTML documents into a UTF-8
 * "text" part.  The original (at most max-size bytes of it) is decoded
 * into UTF-8 by textconv.c, which says in which order charsets are
 * tried, and the text of HTML extracted there.  An invalid sequence
 * becomes U+FFFD and is counted (text.replacements, DG_WARN).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "textconv.h"

#define TEXT_VERSION "0.1.0"
#define TEXT_GIB ((int64_t)1 << 30)
#define TEXT_OUT_MEDIA_TYPE "text/plain; charset=utf-8"

struct text_state {
	size_t max_size;
};

static const struct dg_option text_options[] = {
    {.name = "max-size",
     .type = DG_OPT_SIZE,
     .default_value = "64M",
     .help = "most bytes of the original read; a larger file is extracted from its "
             "beginning and the document gets a warning",
     .min = 1,
     .max = TEXT_GIB},
    {0},
};

static int
text_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct text_state *st;
	int64_t max;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		host->error(ctx, "text: out of memory");
		return DG_FATAL;
	}
	max = host->opt_int(opts, "max-size");
	if (max < 1 || max > TEXT_GIB)
		max = (int64_t)64 << 20;
	st->max_size = (size_t)max;
	xmlInitParser();
	*state = st;
	return DG_OK;
}

static void
text_fini(void *state)
{
	/* never xmlCleanupParser(): other users of libxml2 share the process */
	free(state);
}

static int
text_bid(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	switch (text_classify(host->media_type(doc))) {
	case TEXT_HTML: return 80;
	case TEXT_PLAIN: return 70;
	default: return 0;
	}
}

/* ------------------------------------------------------------------ */
/* Reading                                                              */

/* Read at most max bytes of path into *out (NUL-terminated).  Sets
 * *truncated when the file has more.  Returns 0 or -1 with errno. */
static int
text_read(const char *path, size_t max, unsigned char **out, size_t *len, int *truncated)
{
	unsigned char *buf = NULL;
	struct stat st;
	size_t want, got = 0;
	ssize_t n;
	char extra;
	int fd, rc = -1, saved = 0;

	*out = NULL;
	*len = 0;
	*truncated = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		saved = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		saved = EINVAL;
		goto out;
	}
	want = st.st_size > 0 && (uint64_t)st.st_size < (uint64_t)max ? (size_t)st.st_size : max;
	if (st.st_size == 0)
		want = 0;
	buf = malloc(want + 1);
	if (buf == NULL) {
		saved = ENOMEM;
		goto out;
	}
	while (got < want) {
		n = read(fd, buf + got, want - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == max) {
		do
			n = read(fd, &extra, 1);
		while (n < 0 && errno == EINTR);
		*truncated = n > 0;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	if (rc != 0)
		errno = saved;
	return rc;
}

/* ------------------------------------------------------------------ */
/* The stage                                                            */

static int
text_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	const struct text_state *st = state;
	struct text_conv conv;
	enum text_kind kind;
	unsigned char *raw = NULL;
	const char *path, *type;
	size_t len = 0;
	char num[32];
	int truncated = 0, warn = 0, rc = DG_FAILED;

	memset(&conv, 0, sizeof(conv));
	type = host->media_type(doc);
	kind = text_classify(type);
	if (kind == TEXT_NONE)
		kind = TEXT_PLAIN;
	path = host->part_path(doc, DG_ROLE_ORIGINAL);
	if (path == NULL) {
		host->error(ctx, "the document has no original part");
		goto out;
	}
	if (text_read(path, st->max_size, &raw, &len, &truncated) != 0) {
		host->error(ctx, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (truncated) {
		host->note(ctx, doc, "only the first %zu bytes of %lld were extracted", len,
		           (long long)host->part_size(doc, DG_ROLE_ORIGINAL));
		warn = 1;
	}
	if (text_convert(raw, len, truncated, type, kind, &conv) != 0) {
		host->error(ctx, "out of memory decoding %zu bytes", len);
		goto out;
	}
	if (conv.cut) {
		host->note(ctx, doc, "the extracted text was cut at %zu bytes", conv.text.len);
		warn = 1;
	}
	if (conv.stopped[0] != '\0') {
		host->note(ctx, doc, "the HTML parser stopped early: %s", conv.stopped);
		warn = 1;
	}
	if (conv.title != NULL && host->meta_get(doc, "dc.title") == NULL &&
	    host->meta_set(doc, "dc.title", conv.title) != 0) {
		host->error(ctx, "cannot set dc.title");
		goto out;
	}
	if (host->meta_set(doc, "text.charset", conv.charset) != 0) {
		host->error(ctx, "cannot set text.charset");
		goto out;
	}
	if (conv.replacements > 0) {
		snprintf(num, sizeof(num), "%zu", conv.replacements);
		if (host->meta_set(doc, "text.replacements", num) != 0) {
			host->error(ctx, "cannot set text.replacements");
			goto out;
		}
		host->note(ctx, doc, "%zu invalid %s sequences replaced by U+FFFD", conv.replacements, conv.charset);
		warn = 1;
	}
	if (host->part_add_mem(ctx, doc, DG_ROLE_TEXT, TEXT_OUT_MEDIA_TYPE, conv.text.p, conv.text.len) != 0)
		goto out;
	rc = warn ? DG_WARN : DG_OK;
out:
	free(raw);
	text_conv_free(&conv);
	return rc;
}

static const struct dg_plugin text_plugin = {
    DG_PLUGIN_HEADER,
    .name = "text",
    .version = TEXT_VERSION,
    .summary = "Text of plain-text and HTML documents, in UTF-8",
    .kind = DG_KIND_TRANSFORM,
    .flags = DG_PLUGIN_SHARED,
    .options = text_options,
    .init = text_init,
    .fini = text_fini,
    .bid = text_bid,
    .process = text_process,
    .bid_locator = NULL,
    .scan = NULL,
};

DG_PLUGIN_DEFINE(text_plugin)
