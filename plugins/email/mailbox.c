#include <config.h>
#include <dangan/plugin.h>

/*
 * plugins/email/mailbox.c: the mailbox source.
 *
 * Takes an mbox file or a Maildir folder named on the command line and
 * emits each message as a document of its own (media type given as
 * message/rfc822), so that the messages of one mailbox run on all
 * workers at once; the email stage then reads each.
 *
 *   mbox     a file starting with a "From " line; messages are found by
 *            GMime's parser (mbox.c) and copied by offset, one at a time:
 *            memory does not grow with the file.  source.path is
 *            FILE#N, mbox.index N, mbox.from-line the separator line.
 *   Maildir  a directory with cur/ and new/ (tmp/ is never read: a
 *            message there is still being delivered), and its Maildir++
 *            subfolders (.Sent, .Archive.2024, ...).  maildir.folder is
 *            the folder ("INBOX" at the top), maildir.flags the flags of
 *            the file name (":2,FS" -> "FS").
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mbox.h"

#define MAILBOX_VERSION "0.1.0"

static const struct dg_option mailbox_options[] = {
    {.name = "content-length",
     .type = DG_OPT_BOOL,
     .default_value = "false",
     .help = "split an mbox by Content-Length headers where they are right (for mboxes whose bodies "
             "hold unquoted From lines)"},
    {0},
};

struct mailbox_state {
	int content_length;
};

static int
mailbox_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct mailbox_state *st = calloc(1, sizeof(*st));

	if (!st) {
		host->error(ctx, "mailbox: out of memory");
		return DG_FATAL;
	}
	st->content_length = host->opt_bool(opts, "content-length");
	email_gmime_init();
	*state = st;
	return DG_OK;
}

static void
mailbox_fini(void *state)
{
	free(state);
}

static int
mailbox_is_maildir(const char *path)
{
	char sub[4096];
	struct stat st;

	if (snprintf(sub, sizeof(sub), "%s/cur", path) >= (int)sizeof(sub) || stat(sub, &st) != 0 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	snprintf(sub, sizeof(sub), "%s/new", path);
	return stat(sub, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
mailbox_bid_locator(const char *locator)
{
	struct stat st;

	if (!locator || stat(locator, &st) != 0)
		return 0;
	if (S_ISDIR(st.st_mode))
		return mailbox_is_maildir(locator) ? 80 : 0;
	return S_ISREG(st.st_mode) && mbox_sniff(locator) ? 80 : 0;
}

/* ------------------------------------------------------------------ */
/* mbox                                                                 */

struct mailbox_mbox {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	const char *path, *name;
	int64_t emitted;
	int stop;
};

static int
mailbox_mbox_one(void *arg, const struct mbox_msg *m)
{
	struct mailbox_mbox *mb = arg;
	const struct dg_host *host = mb->host;
	struct dg_doc *doc = mbox_message_doc(mb->ctx, host, NULL, m);
	char where[4200];

	if (!doc) {
		mb->stop = 1;
		return 1;
	}
	snprintf(where, sizeof(where), "%s#%lld", mb->path, (long long)m->index);
	host->meta_set(doc, "source.path", where);
	snprintf(where, sizeof(where), "%s#%lld", mb->name, (long long)m->index);
	host->meta_set(doc, "source.name", where);
	if (host->emit(mb->ctx, doc) == DG_FATAL) {
		mb->stop = 1;
		return 1;
	}
	mb->emitted++;
	return 0;
}

static int
mailbox_mbox(struct dg_ctx *ctx, const struct dg_host *host, const struct mailbox_state *st, const char *path)
{
	struct mailbox_mbox mb = {ctx, host, path, NULL, 0, 0};
	char why[256];
	const char *slash = strrchr(path, '/');

	mb.name = slash ? slash + 1 : path;
	if (mbox_split(path, st->content_length, mailbox_mbox_one, &mb, why, sizeof(why)) != 0) {
		host->error(ctx, "%s: %s", path, why);
		return DG_FAILED;
	}
	if (mb.stop) {
		host->error(ctx, "%s: stopped after %lld messages", path, (long long)mb.emitted);
		return DG_FAILED;
	}
	host->log(ctx, DG_LOG_INFO, "%s: %lld messages", path, (long long)mb.emitted);
	return DG_OK;
}

/* ------------------------------------------------------------------ */
/* Maildir                                                              */

static int
mailbox_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir that do not start with a dot, sorted. */
static char **
mailbox_names(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, cap = 0;

	*count = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[n] = strdup(e->d_name);
		if (v[n])
			n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), mailbox_cmp);
	*count = n;
	return v;
}

static void
mailbox_free_names(char **v, size_t n)
{
	while (n)
		free(v[--n]);
	free(v);
}

/* Emit the messages of one folder's cur/ and new/. */
static int
mailbox_folder(struct dg_ctx *ctx, const struct dg_host *host, const char *dir, const char *folder, int64_t *emitted)
{
	static const char *const subs[] = {"cur", "new"};
	char path[4096];
	size_t s, i, n;

	for (s = 0; s < 2; s++) {
		char **names;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", dir, subs[s]);
		names = mailbox_names(sub, &n);
		for (i = 0; i < n; i++) {
			struct dg_doc *doc;
			struct stat st;
			const char *flags = strstr(names[i], ":2,");
			if (snprintf(path, sizeof(path), "%s/%s", sub, names[i]) >= (int)sizeof(path) ||
			    lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			doc = host->doc_new(ctx, NULL);
			if (!doc || host->doc_set_original_file(ctx, doc, path) != 0 ||
			    host->meta_set(doc, "source.path", path) != 0 ||
			    host->meta_set(doc, "source.name", names[i]) != 0 ||
			    host->meta_set(doc, "maildir.folder", folder) != 0 ||
			    (flags && flags[3] && host->meta_set(doc, "maildir.flags", flags + 3) != 0) ||
			    host->set_media_type(doc, "message/rfc822") != 0) {
				if (doc)
					host->doc_free(doc);
				mailbox_free_names(names, n);
				host->error(ctx, "%s: cannot make a document", path);
				return -1;
			}
			if (host->emit(ctx, doc) == DG_FATAL) {
				mailbox_free_names(names, n);
				return -1;
			}
			(*emitted)++;
		}
		mailbox_free_names(names, n);
	}
	return 0;
}

static int
mailbox_maildir(struct dg_ctx *ctx, const struct dg_host *host, const char *root)
{
	DIR *d;
	struct dirent *e;
	int64_t emitted = 0;
	int rc = DG_OK;

	if (mailbox_folder(ctx, host, root, "INBOX", &emitted) != 0)
		return DG_FAILED;
	d = opendir(root);
	if (!d) {
		host->error(ctx, "%s: %s", root, strerror(errno));
		return DG_FAILED;
	}
	while ((e = readdir(d)) != NULL && rc == DG_OK) {
		char sub[4096];
		struct stat st;
		if (e->d_name[0] != '.' || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", root, e->d_name) >= (int)sizeof(sub) || lstat(sub, &st) != 0 ||
		    !S_ISDIR(st.st_mode) || !mailbox_is_maildir(sub))
			continue;
		if (mailbox_folder(ctx, host, sub, e->d_name + 1, &emitted) != 0)
			rc = DG_FAILED;
	}
	closedir(d);
	host->log(ctx, DG_LOG_INFO, "%s: %lld messages", root, (long long)emitted);
	return rc;
}

static int
mailbox_scan(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *locator)
{
	struct stat st;

	if (stat(locator, &st) != 0) {
		host->error(ctx, "%s: %s", locator, strerror(errno));
		return DG_FAILED;
	}
	if (S_ISDIR(st.st_mode))
		return mailbox_maildir(ctx, host, locator);
	return mailbox_mbox(ctx, host, state, locator);
}

static const struct dg_plugin mailbox_plugin = {
    DG_PLUGIN_HEADER,
    .name = "mailbox",
    .version = MAILBOX_VERSION,
    .summary = "mbox files and Maildir folders: each message a document",
    .kind = DG_KIND_SOURCE,
    .flags = 0,
    .options = mailbox_options,
    .init = mailbox_init,
    .fini = mailbox_fini,
    .bid = NULL,
    .process = NULL,
    .bid_locator = mailbox_bid_locator,
    .scan = mailbox_scan,
};

DG_PLUGIN_DEFINE(mailbox_plugin)
