#include <config.h>
#include <dangan/plugin.h>

/*
 * plugins/email/mbox.c -- split an mbox into its messages with GMime's
 * mbox-aware parser.  The parser reads the file through a seekable
 * stream and keeps only the current message's structure; the bytes of
 * each message are then copied from the file by offset, so a message
 * is stored exactly as it stands in the mbox (">From " quoting and
 * all), without the "From " separator line, which is kept as metadata.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "mbox.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void
gmime_init_once(void)
{
	g_mime_init();
}

void
email_gmime_init(void)
{
	pthread_once(&gmime_once, gmime_init_once);
}

int
mbox_sniff(const char *path)
{
	char buf[1024];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	const char *line2;
	size_t name;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 7)
		return 0;
	buf[n] = '\0';
	if (memcmp(buf, "From ", 5) != 0 || buf[5] == ' ' || buf[5] == '\n' || buf[5] == '\r')
		return 0;
	/* the line after the separator is a header: "Name: value" */
	line2 = strchr(buf, '\n');
	if (!line2)
		return 0;
	line2++;
	name = strcspn(line2, ": \t\r\n");
	return name > 0 && line2[name] == ':';
}

/* The separator is "\n" before the next "From " line: not the message's. */
static int64_t
trim_separator(int fd, int64_t begin, int64_t end)
{
	char tail[4];
	ssize_t n;

	if (end - begin < 2)
		return end;
	n = pread(fd, tail, 2, end - 2);
	if (n == 2 && tail[0] == '\n' && tail[1] == '\n')
		return end - 1;
	if (end - begin >= 4 && pread(fd, tail, 4, end - 4) == 4 && memcmp(tail, "\r\n\r\n", 4) == 0)
		return end - 2;
	return end;
}

/* The offset of the next "From " line that follows a blank line, at or
 * after from; -1 when there is none. */
static int64_t
next_marker(int fd, int64_t from, int64_t size)
{
	char buf[65536 + 8];
	int64_t at = from;

	while (at < size) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, at);
		ssize_t i;
		if (n <= 0)
			return -1;
		buf[n] = '\0';
		for (i = 0; i + 7 <= n; i++) {
			if (buf[i] != '\n' || buf[i + 1] != '\n' || memcmp(buf + i + 2, "From ", 5) != 0)
				continue;
			return at + i + 2;
		}
		if (n < (ssize_t)sizeof(buf) - 1)
			return -1;
		at += n - 7; /* a marker may straddle two reads */
	}
	return -1;
}

struct split {
	int fd;
	int64_t size, index;
	int (*cb)(void *arg, const struct mbox_msg *m);
	void *arg;
	int have;      /* a message waits for its end */
	int64_t begin; /* its first byte */
	char *marker;  /* its From line */
	int stop;      /* cb asked to stop */
};

/* The waiting message ends where the next one's From line starts. */
static void
split_flush(struct split *sp, int64_t end)
{
	struct mbox_msg m;

	if (!sp->have)
		return;
	sp->have = 0;
	m.fd = sp->fd;
	m.index = ++sp->index;
	m.begin = sp->begin;
	m.end = end < sp->begin ? sp->begin : end;
	m.end = trim_separator(sp->fd, m.begin, m.end);
	m.marker = sp->marker ? sp->marker : "";
	if (!sp->stop && sp->cb(sp->arg, &m))
		sp->stop = 1;
	g_free(sp->marker);
	sp->marker = NULL;
}

/* Parse from offset start to the end or to where the parser gives up;
 * returns the offset it reached. */
static int64_t
split_run(struct split *sp, const char *path, int respect_content_length, int64_t start)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeParserOptions *po;
	int64_t reached = start;
	int gfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (gfd < 0)
		return -1;
	stream = g_mime_stream_fs_new_with_bounds(gfd, start, -1); /* owns gfd */
	parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MBOX);
	g_mime_parser_set_respect_content_length(parser, respect_content_length ? TRUE : FALSE);
	po = g_mime_parser_options_new();
	while (!sp->stop && !g_mime_parser_eos(parser)) {
		GMimeMessage *msg = g_mime_parser_construct_message(parser, po);
		if (!msg)
			break;
		g_object_unref(msg);
		split_flush(sp, g_mime_parser_get_mbox_marker_offset(parser));
		sp->have = 1;
		sp->begin = g_mime_parser_get_headers_begin(parser);
		sp->marker = g_mime_parser_get_mbox_marker(parser);
		if (sp->marker)
			sp->marker[strcspn(sp->marker, "\r\n")] = '\0';
		reached = g_mime_parser_tell(parser);
	}
	g_mime_parser_options_free(po);
	g_object_unref(parser);
	return reached;
}

int
mbox_split(const char *path, int respect_content_length, int (*cb)(void *arg, const struct mbox_msg *m), void *arg,
           char *why, size_t cap)
{
	struct split sp;
	struct stat st;
	int64_t at = 0;

	email_gmime_init();
	memset(&sp, 0, sizeof(sp));
	sp.cb = cb;
	sp.arg = arg;
	sp.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (sp.fd < 0 || fstat(sp.fd, &st) < 0) {
		snprintf(why, cap, "cannot read the mbox: %s", strerror(errno));
		if (sp.fd >= 0)
			close(sp.fd);
		return -1;
	}
	sp.size = st.st_size;
	/* GMime's parser gives up on some damage (a part header line it
	 * cannot read); the rest of the file is not dropped for that: the
	 * message runs on to the next From line and parsing resumes there. */
	while (at >= 0 && at < sp.size && !sp.stop) {
		int64_t reached = split_run(&sp, path, respect_content_length, at);
		if (reached < 0) {
			snprintf(why, cap, "cannot read the mbox: %s", strerror(errno));
			break;
		}
		at = reached >= sp.size ? -1 : next_marker(sp.fd, reached > at ? reached - 2 : at + 1, sp.size);
		if (at < 0 && sp.index == 0 && !sp.have)
			break;
	}
	split_flush(&sp, sp.size);
	close(sp.fd);
	if (sp.index == 0) {
		snprintf(why, cap, "no message found: the file does not start with a \"From \" line");
		return -1;
	}
	return 0;
}

int
mbox_copy(int fd, int64_t begin, int64_t end, int (*sink)(void *arg, const void *buf, size_t len), void *arg)
{
	char buf[65536];

	while (begin < end) {
		size_t want = end - begin < (int64_t)sizeof(buf) ? (size_t)(end - begin) : sizeof(buf);
		ssize_t n = pread(fd, buf, want, begin);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (sink(arg, buf, (size_t)n))
			return -1;
		begin += n;
	}
	return 0;
}

int
mbox_sink_write(void *arg, const void *buf, size_t len)
{
	struct mbox_sink *ws = arg;

	return ws->host->writer_write(ws->w, buf, len) != 0;
}

struct dg_doc *
mbox_message_doc(struct dg_ctx *ctx, const struct dg_host *host, struct dg_doc *parent, const struct mbox_msg *m)
{
	struct dg_doc *doc = host->doc_new(ctx, parent);
	struct mbox_sink ws = {host, NULL};
	char num[32];

	if (!doc)
		return NULL;
	ws.w = host->writer_open(ctx);
	if (!ws.w)
		goto fail;
	if (mbox_copy(m->fd, m->begin, m->end, mbox_sink_write, &ws) != 0) {
		host->writer_abort(ws.w);
		host->error(ctx, "cannot read message %lld of the mbox: %s", (long long)m->index, strerror(errno));
		goto fail;
	}
	if (host->writer_finish(ctx, ws.w, doc, DG_ROLE_ORIGINAL, NULL) != 0)
		goto fail;
	snprintf(num, sizeof(num), "%lld", (long long)m->index);
	if (host->meta_set(doc, "mbox.index", num) != 0 || host->set_media_type(doc, "message/rfc822") != 0)
		goto fail;
	if (m->marker[0] && g_utf8_validate(m->marker, -1, NULL))
		host->meta_set(doc, "mbox.from-line", m->marker);
	return doc;
fail:
	host->doc_free(doc);
	return NULL;
}
