/*
 * plugins/email/mbox.h -- the messages of an mbox file, found by GMime's
 * parser (each "From " line starts one), as byte ranges of the file.
 * Shared by the email stage (an mbox met inside a directory or an
 * archive) and the mailbox source (an mbox given on the command line).
 */
#ifndef DG_EMAIL_MBOX_H
#define DG_EMAIL_MBOX_H

#include <stddef.h>
#include <stdint.h>

struct mbox_msg {
	int fd;             /* the mbox, open for mbox_copy() */
	int64_t index;      /* 1-based */
	int64_t begin, end; /* the message's bytes: [begin, end) of the file */
	const char *marker; /* its "From " line, without the line end */
};

/* Does the file start like an mbox ("From " and a sender)? */
int mbox_sniff(const char *path);

/* Call cb for each message of the mbox at path, in order, keeping
 * one message's headers in memory at a time.  cb returns 0 to go on.
 * Returns 0 when the file was read to its end (or cb stopped), -1 with
 * why set when it is no mbox. */
int mbox_split(const char *path, int respect_content_length, int (*cb)(void *arg, const struct mbox_msg *m), void *arg,
               char *why, size_t cap);

/* Copy [begin, end) of fd to sink in chunks; 0, or -1 on a read error
 * or when sink returns non-zero. */
int mbox_copy(int fd, int64_t begin, int64_t end, int (*sink)(void *arg, const void *buf, size_t len), void *arg);

struct dg_ctx;
struct dg_host;
struct dg_doc;
struct dg_writer;

/* A sink writing into a store writer (for mbox_copy and decoders). */
struct mbox_sink {
	const struct dg_host *host;
	struct dg_writer *w;
};
int mbox_sink_write(void *arg, const void *buf, size_t len);

/* A new document holding message m (parent NULL from a source), its
 * media type given as message/rfc822, with mbox.index and
 * mbox.from-line set; NULL with the error set on the context. */
struct dg_doc *mbox_message_doc(struct dg_ctx *ctx, const struct dg_host *host, struct dg_doc *parent,
                                const struct mbox_msg *m);

/* GMime's one-time initialisation, thread-safe. */
void email_gmime_init(void);

#endif
