#include <config.h>
#include <dangan/plugin.h>

/*
 * plugins/imap: the IMAP source.
 *
 * A locator imaps://[user@]host[:port]/Mailbox (or imap://, which must
 * switch to TLS with STARTTLS) names one mailbox; every message in it
 * that was not fetched by an earlier run becomes a document whose
 * original is the message exactly as the server sends it (media type
 * message/rfc822).  libcurl is the IMAP client: one handle, one
 * connection for the whole scan.
 *
 * The mailbox is opened read-only (EXAMINE) while messages are fetched,
 * so fetching never sets \Seen.  Messages are emitted with
 * emit_tracked(); every `batch` messages and at the end the scan waits
 * until they are durable (wait_durable) and only then, for each message
 * that was committed, applies the post-commit action (after=seen, flag
 * or move) and remembers its UID.  A message that was quarantined is
 * remembered but left alone on the server; one that was dropped
 * uncommitted is not remembered and is fetched again by the next run.
 *
 * What was fetched is remembered in the plugin's state directory, one
 * file per user@host:port/mailbox: the mailbox's UIDVALIDITY and the
 * set of UIDs done, written atomically after each checkpoint.  When the
 * server's UIDVALIDITY changes the set is forgotten (messages fetched
 * again are duplicates, which the engine records as versions).
 *
 * Passwords come from a credentials file or the environment, never from
 * the locator (it would show in metadata and in ps), and are never
 * logged.
 */

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMAP_VERSION "0.1.0"
#define IMAP_CRED_MAX 4096                       /* bytes of a credentials file */
#define IMAP_RESP_MAX ((size_t)64 * 1024 * 1024) /* bytes of a command's answer kept */
#define IMAP_SET_MAX 4000                        /* bytes of a UID set in one command */
#define IMAP_SAID_MAX 256                        /* bytes of a server message kept */
#define IMAP_STATE_MAGIC "dangan-imap-state 1"
#define IMAP_MEDIA_TYPE "message/rfc822"
#define IMAP_PASSWORD_ENV "DANGAN_IMAP_PASSWORD"
#define IMAP_USER_ENV "DANGAN_IMAP_USER"

enum imap_after { IMAP_LEAVE, IMAP_SEEN, IMAP_FLAG, IMAP_MOVE };

static const char *const imap_after_names[] = {"leave", "seen", "flag", "move", NULL};

/* Instance: the options, read-only after init(). */
struct imap_conf {
	char *user;          /* option user, or NULL */
	char *file_user;     /* user of the credentials file, or NULL */
	char *file_password; /* password of the credentials file, or NULL */
	char *ca_file;
	char *move_to;
	enum imap_after after;
	int tls;
	int64_t batch;
	int64_t max_size;
	int64_t timeout;
};

/* A parsed locator. */
struct imap_loc {
	char *scheme;  /* "imap" or "imaps" */
	char *user;    /* decoded, or NULL */
	char *host;    /* as in the URL ("[::1]" for IPv6) */
	char *port;    /* decimal */
	char *mailbox; /* decoded */
};

/* A set of UIDs: sorted, disjoint, non-adjacent ranges. */
struct imap_range {
	uint32_t lo, hi;
};
struct imap_set {
	struct imap_range *r;
	size_t n, cap;
};

/* A growing byte buffer, always NUL-terminated. */
struct imap_buf {
	char *p;
	size_t len, cap;
};

/* A message on the server. */
struct imap_msg {
	uint32_t uid;
	int64_t size; /* RFC822.SIZE, -1 if not given */
};

struct imap_run;

/* One emitted message, until its durable fate is known. */
struct imap_ticket {
	struct imap_run *run;
	uint32_t uid;
	int status;   /* set by imap_done() */
	int reported; /* imap_done() was called */
};

/* One scan. */
struct imap_run {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	const struct imap_conf *conf;
	struct imap_loc loc;
	char *user;
	char *password;
	char *base;  /* scheme://host:port/Mailbox (URL-encoded mailbox) */
	char *label; /* scheme://user@host:port/Mailbox, for messages and metadata */
	char *state_path;
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	char said[IMAP_SAID_MAX]; /* the server's last NO/BAD answer */
	struct imap_buf resp;     /* untagged answers of the last command */
	struct dg_writer *w;      /* the message being fetched */
	int64_t got;              /* bytes of it so far */
	int too_big;
	int write_failed;
	uint32_t uidvalidity;
	uint32_t exists;
	int has_move;
	int has_uidplus;
	int need_examine; /* the mailbox must be opened read-only again */
	struct imap_set done;
	pthread_mutex_t lock; /* guards the tickets' status */
	struct imap_ticket *tickets;
	size_t nt;
	int failed; /* an error is set: later ones are only logged */
	int fatal;  /* the engine is aborting the run */
	unsigned long fetched, already, too_large, vanished, acted, quarantined, dropped;
};

static const struct dg_option imap_options[] = {
    {.name = "user",
     .type = DG_OPT_STRING,
     .default_value = NULL,
     .help = "user name when the locator has none (else the credentials file, else $" IMAP_USER_ENV ")"},
    {.name = "credentials",
     .type = DG_OPT_STRING,
     .default_value = NULL,
     .help = "file holding one line, user:password or the password alone; refused if group or others "
             "have any access to it (without it the password is $" IMAP_PASSWORD_ENV ")"},
    {.name = "tls",
     .type = DG_OPT_BOOL,
     .default_value = "true",
     .help = "imaps:// is TLS from the start and imap:// must switch to TLS (STARTTLS); false lets "
             "imap:// send the password and the mail in clear text"},
    {.name = "ca-file",
     .type = DG_OPT_STRING,
     .default_value = NULL,
     .help = "PEM file of the CA certificates to trust (a private server); the certificate and the "
             "host name are always verified"},
    {.name = "after",
     .type = DG_OPT_STRING,
     .default_value = "leave",
     .help = "what to do with a message on the server once it is durably stored: leave, seen (mark "
             "\\Seen), flag (mark \\Flagged) or move (to move-to)"},
    {.name = "move-to", .type = DG_OPT_STRING, .default_value = NULL, .help = "the mailbox after=move moves to"},
    {.name = "batch",
     .type = DG_OPT_INT,
     .default_value = "200",
     .help = "messages between durable checkpoints (actions on the server, remembered state)",
     .min = 1,
     .max = 100000},
    {.name = "max-message-size",
     .type = DG_OPT_SIZE,
     .default_value = "256M",
     .help = "a larger message is not fetched: logged and left on the server",
     .min = 1,
     .max = INT64_MAX},
    {.name = "timeout",
     .type = DG_OPT_INT,
     .default_value = "60",
     .help = "seconds to wait for the server to connect or answer",
     .min = 1,
     .max = 86400},
    {0},
};

/* ---- small helpers ------------------------------------------------- */

static pthread_once_t imap_once = PTHREAD_ONCE_INIT;
static CURLcode imap_global_rc = CURLE_FAILED_INIT;

static void
imap_global_init(void)
{
	imap_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Overwrite a secret before its memory is given back. */
static void
imap_wipe(char *s, size_t len)
{
	volatile char *p = s;

	while (p != NULL && len-- > 0)
		*p++ = '\0';
}

static void
imap_free_secret(char *s)
{
	if (s != NULL)
		imap_wipe(s, strlen(s));
	free(s);
}

static int
imap_buf_add(struct imap_buf *b, const void *p, size_t n, size_t max)
{
	size_t cap;
	char *q;

	if (n > max || b->len > max - n)
		return -1;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		q = realloc(b->p, cap);
		if (q == NULL)
			return -1;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int imap_buf_printf(struct imap_buf *b, const char *fmt, ...) DG_PRINTF(2, 3);

static int
imap_buf_printf(struct imap_buf *b, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n, rc = -1;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		goto out;
	if ((size_t)n < sizeof(small)) {
		rc = imap_buf_add(b, small, (size_t)n, SIZE_MAX / 2);
		goto out;
	}
	big = malloc((size_t)n + 1);
	if (big == NULL)
		goto out;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = imap_buf_add(b, big, (size_t)n, SIZE_MAX / 2);
out:
	free(big);
	return rc;
}

static void
imap_buf_reset(struct imap_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* A parsed unsigned 32-bit decimal; -1 if s does not start with one. */
static int
imap_u32(const char *s, char **end, uint32_t *out)
{
	unsigned long long v;
	char *e;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno != 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	if (end != NULL)
		*end = e;
	return 0;
}

/* Whether s is non-empty UTF-8 without control characters. */
static int
imap_clean_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i;

	if (*p == '\0')
		return 0;
	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p < 0x80) {
			p++;
			continue;
		}
		n = (*p >= 0xc2 && *p <= 0xdf)   ? 1
		    : (*p >= 0xe0 && *p <= 0xef) ? 2
		    : (*p >= 0xf0 && *p <= 0xf4) ? 3
		                                 : 0;
		if (n == 0)
			return 0;
		for (i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n + 1;
	}
	return 1;
}

/* %XX-decode s[0..len) into a new string; NULL if malformed or if it
 * decodes to a control character. */
static char *
imap_unescape(const char *s, size_t len)
{
	char *out, hex[3] = {0, 0, 0};
	size_t i, o = 0;
	unsigned long v;

	out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= len) {
			free(out);
			return NULL;
		}
		hex[0] = s[i + 1];
		hex[1] = s[i + 2];
		if (strspn(hex, "0123456789abcdefABCDEF") != 2) {
			free(out);
			return NULL;
		}
		v = strtoul(hex, NULL, 16);
		if (v == 0) {
			free(out);
			return NULL;
		}
		out[o++] = (char)v;
		i += 2;
	}
	out[o] = '\0';
	if (o > 0 && !imap_clean_text(out)) {
		free(out);
		return NULL;
	}
	return out;
}

/* URL-encode s, keeping the characters in keep besides letters and
 * digits. */
static char *
imap_escape(const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;

	out = malloc(strlen(s) * 3 + 1);
	if (out == NULL)
		return NULL;
	for (o = out; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr(keep, *p) != NULL) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* Mailbox characters curl takes literally in an IMAP URL path. */
#define IMAP_PATH_KEEP ":@/&=-._~!$'()*+,"
/* User name characters kept literally in a label. */
#define IMAP_USER_KEEP "-._~!$'()*+,="

/* An IMAP quoted string. */
static char *
imap_quote(const char *s)
{
	char *out, *o;

	out = malloc(strlen(s) * 2 + 3);
	if (out == NULL)
		return NULL;
	o = out;
	*o++ = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

static void imap_error(struct imap_run *r, const char *fmt, ...) DG_PRINTF(2, 3);

/* The reason the scan fails: the first error is the one the engine
 * reports, the ones that follow from it are logged. */
static void
imap_error(struct imap_run *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->failed) {
		r->host->log(r->ctx, DG_LOG_WARN, "%s", msg);
		return;
	}
	r->failed = 1;
	r->host->error(r->ctx, "%s", msg);
}

/* ---- UID sets ------------------------------------------------------ */

static int
imap_set_has(const struct imap_set *s, uint32_t uid)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (uid < s->r[mid].lo)
			hi = mid;
		else if (uid > s->r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* Add lo..hi, merging what it overlaps or touches. */
static int
imap_set_add_range(struct imap_set *s, uint32_t lo, uint32_t hi)
{
	struct imap_range *grown;
	size_t i = 0, j;

	while (i < s->n && (uint64_t)s->r[i].hi + 1 < lo)
		i++;
	j = i;
	while (j < s->n && s->r[j].lo <= (uint64_t)hi + 1) {
		if (s->r[j].lo < lo)
			lo = s->r[j].lo;
		if (s->r[j].hi > hi)
			hi = s->r[j].hi;
		j++;
	}
	if (j > i) { /* ranges i..j-1 become one */
		s->r[i].lo = lo;
		s->r[i].hi = hi;
		memmove(s->r + i + 1, s->r + j, (s->n - j) * sizeof(*s->r));
		s->n -= j - i - 1;
		return 0;
	}
	if (s->n == s->cap) {
		grown = realloc(s->r, (s->cap ? s->cap * 2 : 16) * sizeof(*s->r));
		if (grown == NULL)
			return -1;
		s->r = grown;
		s->cap = s->cap ? s->cap * 2 : 16;
	}
	memmove(s->r + i + 1, s->r + i, (s->n - i) * sizeof(*s->r));
	s->r[i].lo = lo;
	s->r[i].hi = hi;
	s->n++;
	return 0;
}

static int
imap_set_add(struct imap_set *s, uint32_t uid)
{
	return imap_set_add_range(s, uid, uid);
}

static unsigned long
imap_set_count(const struct imap_set *s)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		n += (unsigned long)(s->r[i].hi - s->r[i].lo) + 1;
	return n;
}

static void
imap_set_clear(struct imap_set *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}

/* Append ranges from, from+1, ... as "a:b,c" to b until it would pass
 * max bytes; returns the index of the first range not written. */
static size_t
imap_set_format(const struct imap_set *s, size_t from, struct imap_buf *b, size_t max)
{
	char one[32];
	size_t i;
	int n;

	for (i = from; i < s->n; i++) {
		if (s->r[i].lo == s->r[i].hi)
			n = snprintf(one, sizeof(one), "%s%" PRIu32, i > from ? "," : "", s->r[i].lo);
		else
			n = snprintf(one, sizeof(one), "%s%" PRIu32 ":%" PRIu32, i > from ? "," : "", s->r[i].lo,
			             s->r[i].hi);
		if (i > from && b->len + (size_t)n > max)
			break;
		if (imap_buf_add(b, one, (size_t)n, SIZE_MAX / 2) != 0)
			break;
	}
	return i;
}

/* Parse "a:b,c,..." into s. */
static int
imap_set_parse(struct imap_set *s, const char *p)
{
	uint32_t lo, hi;
	char *e;

	while (*p != '\0') {
		if (imap_u32(p, &e, &lo) != 0 || lo == 0)
			return -1;
		hi = lo;
		if (*e == ':' && (imap_u32(e + 1, &e, &hi) != 0 || hi < lo))
			return -1;
		if (imap_set_add_range(s, lo, hi) != 0)
			return -1;
		if (*e == ',')
			e++;
		else if (*e != '\0')
			return -1;
		p = e;
	}
	return 0;
}

/* ---- options and credentials ----------------------------------------- */

/* Read the credentials file: one line, "user:password" or a password
 * alone.  Refused unless it is a regular file only its owner may read. */
static int
imap_read_credentials(struct dg_ctx *ctx, const struct dg_host *host, const char *path, struct imap_conf *c)
{
	char buf[IMAP_CRED_MAX + 1], *colon;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		host->error(ctx, "credentials file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		host->error(ctx, "credentials file %s is not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		host->error(ctx,
		            "credentials file %s is open to group or others (mode %04o): refused, "
		            "chmod 600 it",
		            path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			host->error(ctx, "credentials file %s: %s", path, strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		host->error(ctx, "credentials file %s: the first line is empty", path);
		goto out;
	}
	colon = strchr(buf, ':');
	if (colon != NULL && (colon == buf || colon[1] == '\0')) {
		host->error(ctx, "credentials file %s: the line is neither user:password nor a password", path);
		goto out;
	}
	if (colon != NULL) {
		*colon = '\0';
		c->file_user = strdup(buf);
	}
	c->file_password = strdup(colon != NULL ? colon + 1 : buf);
	if (c->file_password == NULL || (colon != NULL && c->file_user == NULL)) {
		host->error(ctx, "out of memory");
		goto out;
	}
	rc = 0;
out:
	imap_wipe(buf, sizeof(buf));
	close(fd);
	return rc;
}

static void
imap_fini(void *state)
{
	struct imap_conf *c = state;

	if (c == NULL)
		return;
	free(c->user);
	free(c->file_user);
	imap_free_secret(c->file_password);
	free(c->ca_file);
	free(c->move_to);
	free(c);
}

static int
imap_dup_opt(const struct dg_host *host, const struct dg_opts *opts, const char *name, char **out)
{
	const char *v = host->opt_string(opts, name);

	*out = NULL;
	if (v == NULL || v[0] == '\0')
		return 0;
	*out = strdup(v);
	return *out == NULL ? -1 : 0;
}

static int
imap_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct imap_conf *c = NULL;
	const char *after, *cred;
	int i, status = DG_FATAL;

	if (!DG_HOST_HAS(host, state_dir)) {
		host->error(ctx, "this engine is too old (the IMAP source needs plugin ABI 1.2)");
		goto out;
	}
	pthread_once(&imap_once, imap_global_init);
	if (imap_global_rc != CURLE_OK) {
		host->error(ctx, "cannot initialise libcurl: %s", curl_easy_strerror(imap_global_rc));
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || imap_dup_opt(host, opts, "user", &c->user) != 0 ||
	    imap_dup_opt(host, opts, "ca-file", &c->ca_file) != 0 ||
	    imap_dup_opt(host, opts, "move-to", &c->move_to) != 0) {
		host->error(ctx, "out of memory");
		goto out;
	}
	after = host->opt_string(opts, "after");
	for (i = 0; imap_after_names[i] != NULL; i++)
		if (after != NULL && strcmp(after, imap_after_names[i]) == 0)
			break;
	if (imap_after_names[i] == NULL) {
		host->error(ctx, "after=%s: must be leave, seen, flag or move", after != NULL ? after : "");
		goto out;
	}
	c->after = (enum imap_after)i;
	if (c->after == IMAP_MOVE && c->move_to == NULL) {
		host->error(ctx, "after=move needs the move-to option (the mailbox to move to)");
		goto out;
	}
	if (c->move_to != NULL && !imap_clean_text(c->move_to)) {
		host->error(ctx, "move-to: not a mailbox name");
		goto out;
	}
	c->tls = host->opt_bool(opts, "tls");
	c->batch = host->opt_int(opts, "batch");
	c->max_size = host->opt_int(opts, "max-message-size");
	c->timeout = host->opt_int(opts, "timeout");
	cred = host->opt_string(opts, "credentials");
	if (cred != NULL && cred[0] != '\0' && imap_read_credentials(ctx, host, cred, c) != 0)
		goto out;
	*state = c;
	c = NULL;
	status = DG_OK;
out:
	imap_fini(c);
	return status;
}

static int
imap_bid_locator(const char *locator)
{
	if (locator == NULL)
		return 0;
	if (strncasecmp(locator, "imaps://", 8) == 0 || strncasecmp(locator, "imap://", 7) == 0)
		return 90;
	return 0;
}

/* ---- the locator ----------------------------------------------------- */

static void
imap_loc_free(struct imap_loc *l)
{
	free(l->scheme);
	free(l->user);
	free(l->host);
	free(l->port);
	free(l->mailbox);
	memset(l, 0, sizeof(*l));
}

/* A part of u as a malloc'd string (NULL if absent). */
static char *
imap_url_part(CURLU *u, CURLUPart what, unsigned flags)
{
	char *v = NULL, *copy;

	if (curl_url_get(u, what, &v, flags) != CURLUE_OK || v == NULL)
		return NULL;
	copy = strdup(v);
	curl_free(v);
	return copy;
}

static int
imap_url_has(CURLU *u, CURLUPart what)
{
	char *v = NULL;
	int has;

	has = curl_url_get(u, what, &v, 0) == CURLUE_OK && v != NULL;
	curl_free(v);
	return has;
}

/* The mailbox of a URL path ("/INBOX", "/", ""). */
static char *
imap_path_mailbox(const char *path)
{
	size_t len;

	while (*path == '/')
		path++;
	len = strlen(path);
	if (len > 0 && path[len - 1] == '/')
		len--;
	if (len == 0)
		return strdup("INBOX");
	return imap_unescape(path, len);
}

static int
imap_parse_locator(struct dg_ctx *ctx, const struct dg_host *host, const char *locator, struct imap_loc *l)
{
	CURLU *u = NULL;
	char *path = NULL;
	int rc = -1;

	u = curl_url();
	if (u == NULL) {
		host->error(ctx, "out of memory");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, locator, 0) != CURLUE_OK) {
		host->error(ctx, "%s: not a valid imap:// or imaps:// URL", locator);
		goto out;
	}
	if (imap_url_has(u, CURLUPART_PASSWORD)) {
		host->error(ctx, "the locator holds a password: refused (it would show in metadata and in ps); "
		                 "give it in a credentials file or in $" IMAP_PASSWORD_ENV);
		goto out;
	}
	if (imap_url_has(u, CURLUPART_OPTIONS) || imap_url_has(u, CURLUPART_QUERY) ||
	    imap_url_has(u, CURLUPART_FRAGMENT)) {
		host->error(ctx, "%s: a locator is imaps://[user@]host[:port]/Mailbox, nothing more", locator);
		goto out;
	}
	l->scheme = imap_url_part(u, CURLUPART_SCHEME, 0);
	l->host = imap_url_part(u, CURLUPART_HOST, 0);
	l->port = imap_url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
	path = imap_url_part(u, CURLUPART_PATH, 0);
	if (l->scheme == NULL || l->host == NULL || l->port == NULL ||
	    (strcmp(l->scheme, "imap") != 0 && strcmp(l->scheme, "imaps") != 0)) {
		host->error(ctx, "%s: not an imap:// or imaps:// URL with a host", locator);
		goto out;
	}
	if (imap_url_has(u, CURLUPART_USER)) {
		l->user = imap_url_part(u, CURLUPART_USER, CURLU_URLDECODE);
		if (l->user == NULL || !imap_clean_text(l->user)) {
			host->error(ctx, "%s: the user name is not valid", locator);
			goto out;
		}
	}
	if (path != NULL && strchr(path, ';') != NULL) {
		host->error(ctx, "%s: a locator names a mailbox, without ;UID= or other parameters", locator);
		goto out;
	}
	l->mailbox = imap_path_mailbox(path != NULL ? path : "");
	if (l->mailbox == NULL || !imap_clean_text(l->mailbox)) {
		host->error(ctx, "%s: the mailbox name is not valid", locator);
		goto out;
	}
	rc = 0;
out:
	free(path);
	curl_url_cleanup(u);
	return rc;
}

/* The user and password of a run, from the locator, the options, the
 * credentials file and the environment. */
static int
imap_login_of(struct imap_run *r)
{
	const struct imap_conf *c = r->conf;
	const char *user, *password;

	if (r->loc.user != NULL && c->user != NULL && strcmp(r->loc.user, c->user) != 0) {
		imap_error(r, "the locator names user %s, the user option %s", r->loc.user, c->user);
		return -1;
	}
	user = r->loc.user != NULL ? r->loc.user : c->user != NULL ? c->user : c->file_user;
	if (user == NULL)
		user = getenv(IMAP_USER_ENV);
	if (user == NULL || user[0] == '\0') {
		imap_error(r, "no user name: put it in the locator (imaps://user@host/INBOX), "
		              "the user option, the credentials file or $" IMAP_USER_ENV);
		return -1;
	}
	if (c->file_user != NULL && strcmp(c->file_user, user) != 0) {
		imap_error(r, "the credentials file is for user %s, not %s", c->file_user, user);
		return -1;
	}
	password = c->file_password != NULL ? c->file_password : getenv(IMAP_PASSWORD_ENV);
	if (password == NULL || password[0] == '\0') {
		imap_error(r, "no password: set the credentials option or $" IMAP_PASSWORD_ENV);
		return -1;
	}
	r->user = strdup(user);
	r->password = strdup(password);
	if (r->user == NULL || r->password == NULL || !imap_clean_text(r->user)) {
		imap_error(r, "the user name is not valid");
		return -1;
	}
	return 0;
}

/* The base URL (for requests) and the label (for people and metadata). */
static int
imap_names(struct imap_run *r)
{
	struct imap_buf b = {0};
	char *box, *user;
	int rc = -1;

	box = imap_escape(r->loc.mailbox, IMAP_PATH_KEEP);
	user = imap_escape(r->user, IMAP_USER_KEEP);
	if (box == NULL || user == NULL)
		goto out;
	if (imap_buf_printf(&b, "%s://%s:%s/%s", r->loc.scheme, r->loc.host, r->loc.port, box) != 0)
		goto out;
	r->base = b.p;
	memset(&b, 0, sizeof(b));
	if (imap_buf_printf(&b, "%s://%s@%s:%s/%s", r->loc.scheme, user, r->loc.host, r->loc.port, box) != 0)
		goto out;
	r->label = b.p;
	memset(&b, 0, sizeof(b));
	rc = 0;
out:
	if (rc != 0)
		imap_error(r, "out of memory");
	free(b.p);
	free(box);
	free(user);
	return rc;
}

/* ---- remembered state ------------------------------------------------ */

/* STATE_DIR/<sha256 of user@host:port/mailbox>.state */
static int
imap_state_path(struct imap_run *r)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	struct imap_buf key = {0}, path = {0};
	const char *dir;
	int rc = -1;

	dir = r->host->state_dir(r->ctx);
	if (dir == NULL)
		goto out; /* the error is set */
	if (imap_buf_printf(&key, "%s@%s:%s/%s", r->user, r->loc.host, r->loc.port, r->loc.mailbox) != 0 ||
	    EVP_Digest(key.p, key.len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    imap_buf_printf(&path, "%s/", dir) != 0) {
		imap_error(r, "cannot name the state file");
		goto out;
	}
	for (i = 0; i < mdlen; i++)
		if (imap_buf_printf(&path, "%02x", md[i]) != 0)
			goto out;
	if (imap_buf_printf(&path, ".state") != 0)
		goto out;
	r->state_path = path.p;
	path.p = NULL;
	rc = 0;
out:
	free(key.p);
	free(path.p);
	return rc;
}

/* Read the remembered UIDVALIDITY and UIDs; a missing file is a first
 * run, a damaged one is reported and forgotten. */
static void
imap_state_load(struct imap_run *r)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, bad = 0;

	f = fopen(r->state_path, "re");
	if (f == NULL) {
		if (errno != ENOENT)
			r->host->log(r->ctx, DG_LOG_WARN, "%s: cannot read %s (%s): fetching every message", r->label,
			             r->state_path, strerror(errno));
		return;
	}
	while (!bad && (n = getline(&line, &cap, f)) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (lineno++ == 0)
			bad = strcmp(line, IMAP_STATE_MAGIC) != 0;
		else if (strncmp(line, "uidvalidity ", 12) == 0)
			bad = imap_u32(line + 12, NULL, &r->uidvalidity) != 0;
		else if (strncmp(line, "done ", 5) == 0)
			bad = imap_set_parse(&r->done, line + 5) != 0;
	}
	if (bad || ferror(f) || lineno == 0) {
		r->host->log(r->ctx, DG_LOG_WARN, "%s: %s is damaged: forgotten, fetching every message", r->label,
		             r->state_path);
		imap_set_clear(&r->done);
		r->uidvalidity = 0;
	}
	free(line);
	fclose(f);
}

static int
imap_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The state file's text. */
static int
imap_state_text(struct imap_run *r, struct imap_buf *b)
{
	size_t next = 0, was;

	if (imap_buf_printf(b, "%s\nmailbox %s\nuidvalidity %" PRIu32 "\n", IMAP_STATE_MAGIC, r->label,
	                    r->uidvalidity) != 0)
		return -1;
	while (next < r->done.n) {
		was = next;
		if (imap_buf_printf(b, "done ") != 0)
			return -1;
		next = imap_set_format(&r->done, next, b, b->len + IMAP_SET_MAX);
		if (next == was || imap_buf_printf(b, "\n") != 0)
			return -1;
	}
	return 0;
}

/* fsync the directory holding path. */
static int
imap_sync_dir(const char *path)
{
	char *dir, *slash;
	int fd, rc = -1;

	dir = strdup(path);
	if (dir == NULL)
		return -1;
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	fd = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(dir);
	return rc;
}

/* Write the state: temporary file, fsync, rename, fsync the directory. */
static int
imap_state_save(struct imap_run *r)
{
	struct imap_buf b = {0}, tmp = {0};
	int fd = -1, rc = -1, err = ENOMEM, made = 0;

	if (imap_state_text(r, &b) != 0 || imap_buf_printf(&tmp, "%s.XXXXXX", r->state_path) != 0)
		goto out;
	fd = mkstemp(tmp.p);
	made = fd >= 0;
	if (fd < 0 || fchmod(fd, 0600) != 0 || imap_write_all(fd, b.p, b.len) != 0 || fsync(fd) != 0) {
		err = errno;
		goto out;
	}
	if (close(fd) != 0 || rename(tmp.p, r->state_path) != 0) {
		err = errno;
		fd = -1;
		goto out;
	}
	fd = -1;
	made = 0; /* renamed: nothing to remove */
	if (imap_sync_dir(r->state_path) != 0) {
		err = errno;
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (made)
		unlink(tmp.p);
	if (rc != 0)
		imap_error(r, "cannot write %s: %s", r->state_path, strerror(err));
	free(b.p);
	free(tmp.p);
	return rc;
}

/* ---- talking to the server ------------------------------------------- */

/* Every line the server sends comes here: keep the text of a tagged
 * NO or BAD answer for the error message. */
static size_t
imap_header_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct imap_run *r = arg;
	size_t len = size * nmemb, at, rest, o = 0;
	const char *sp;

	if (len == 0 || p[0] == '*' || p[0] == '+')
		return len;
	sp = memchr(p, ' ', len);
	if (sp == NULL)
		return len;
	at = (size_t)(sp - p) + 1;
	rest = len - at;
	if (!(rest >= 2 && strncasecmp(p + at, "NO", 2) == 0) && !(rest >= 3 && strncasecmp(p + at, "BAD", 3) == 0))
		return len;
	for (; at < len && o < sizeof(r->said) - 1; at++) {
		if (p[at] == '\r' || p[at] == '\n')
			break;
		r->said[o++] = ((unsigned char)p[at] < 0x20 || p[at] == 0x7f) ? '?' : p[at];
	}
	r->said[o] = '\0';
	return len;
}

/* The untagged answers of a command. */
static size_t
imap_resp_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct imap_run *r = arg;
	size_t len = size * nmemb;

	return imap_buf_add(&r->resp, p, len, IMAP_RESP_MAX) == 0 ? len : 0;
}

/* The bytes of a message, into the writer, within max-message-size. */
static size_t
imap_body_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct imap_run *r = arg;
	size_t len = size * nmemb;

	if ((int64_t)len > r->conf->max_size - r->got) {
		r->too_big = 1;
		return 0;
	}
	if (r->host->writer_write(r->w, p, len) != 0) {
		r->write_failed = 1;
		return 0;
	}
	r->got += (int64_t)len;
	return len;
}

/* Set the error of the scan from a failed request. */
static void
imap_fail(struct imap_run *r, const char *what, CURLcode rc)
{
	imap_error(r, "%s: %s: %s%s%s%s", r->label, what, r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc),
	           r->said[0] ? " (server: " : "", r->said, r->said[0] ? ")" : "");
}

/* Run the request set up on the handle.  A request that failed may have
 * lost the connection: curl reconnects (and selects the mailbox
 * read-write) on the next one, so the mailbox is opened read-only again
 * before the next fetch. */
static CURLcode
imap_perform(struct imap_run *r)
{
	CURLcode rc;

	r->errbuf[0] = '\0';
	r->said[0] = '\0';
	rc = curl_easy_perform(r->curl);
	if (rc != CURLE_OK)
		r->need_examine = 1;
	return rc;
}

/* Whether the last request opened a new connection. */
static int
imap_reconnected(struct imap_run *r)
{
	long n = 0;

	return curl_easy_getinfo(r->curl, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK && n > 0;
}

/* A command on the mailbox; its untagged answers land in r->resp. */
static CURLcode
imap_command(struct imap_run *r, const char *cmd)
{
	imap_buf_reset(&r->resp);
	curl_easy_setopt(r->curl, CURLOPT_URL, r->base);
	curl_easy_setopt(r->curl, CURLOPT_CUSTOMREQUEST, cmd);
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, imap_resp_cb);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, r);
	return imap_perform(r);
}

/* The next line of r->resp from *pos (NUL-terminated in place). */
static char *
imap_next_line(struct imap_run *r, size_t *pos)
{
	char *line, *end;

	if (r->resp.p == NULL || *pos >= r->resp.len)
		return NULL;
	line = r->resp.p + *pos;
	end = strchr(line, '\n');
	if (end != NULL) {
		*end = '\0';
		*pos = (size_t)(end - r->resp.p) + 1;
	} else {
		*pos = r->resp.len;
	}
	line[strcspn(line, "\r")] = '\0';
	return line;
}

/* Open the mailbox: read-only (EXAMINE) for fetching, read-write
 * (SELECT) for the actions.  Checks that UIDVALIDITY stays the same. */
static int
imap_open_box(struct imap_run *r, int write)
{
	struct imap_buf cmd = {0};
	char *quoted = NULL, *line;
	uint32_t v = 0, n;
	size_t pos = 0;
	int have = 0, rc = -1;
	CURLcode cc;

	quoted = imap_quote(r->loc.mailbox);
	if (quoted == NULL || imap_buf_printf(&cmd, "%s %s", write ? "SELECT" : "EXAMINE", quoted) != 0) {
		imap_error(r, "out of memory");
		goto out;
	}
	cc = imap_command(r, cmd.p);
	if (cc != CURLE_OK) {
		imap_fail(r, r->uidvalidity ? "cannot open the mailbox again" : "cannot open the mailbox", cc);
		goto out;
	}
	while ((line = imap_next_line(r, &pos)) != NULL) {
		if (strncasecmp(line, "* OK [UIDVALIDITY ", 18) == 0 && imap_u32(line + 18, NULL, &v) == 0)
			have = 1;
		else if (strncmp(line, "* ", 2) == 0 && imap_u32(line + 2, &line, &n) == 0 &&
		         strcasecmp(line, " EXISTS") == 0)
			r->exists = n;
	}
	if (!have) {
		imap_error(r, "%s: the server gave no UIDVALIDITY", r->label);
		goto out;
	}
	if (r->uidvalidity != 0 && r->uidvalidity != v) {
		imap_error(r, "%s: UIDVALIDITY changed during the scan (%" PRIu32 ", now %" PRIu32 ")", r->label,
		           r->uidvalidity, v);
		goto out;
	}
	r->uidvalidity = v;
	r->need_examine = write;
	rc = 0;
out:
	free(quoted);
	free(cmd.p);
	return rc;
}

static int
imap_capabilities(struct imap_run *r)
{
	char *line, *tok, *save = NULL;
	size_t pos = 0;
	CURLcode cc;

	cc = imap_command(r, "CAPABILITY");
	if (cc != CURLE_OK) {
		imap_fail(r, "CAPABILITY failed", cc);
		return -1;
	}
	while ((line = imap_next_line(r, &pos)) != NULL) {
		if (strncasecmp(line, "* CAPABILITY ", 13) != 0)
			continue;
		for (tok = strtok_r(line + 13, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
			if (strcasecmp(tok, "MOVE") == 0)
				r->has_move = 1;
			else if (strcasecmp(tok, "UIDPLUS") == 0)
				r->has_uidplus = 1;
		}
	}
	return 0;
}

/* "* n FETCH (UID u RFC822.SIZE s ...)": the UID and size of a message;
 * -1 for any other line. */
static int
imap_parse_fetch(char *line, struct imap_msg *m)
{
	uint32_t seq, v;
	char *p, *e;
	int depth, have_uid = 0;

	if (strncmp(line, "* ", 2) != 0 || imap_u32(line + 2, &p, &seq) != 0 || strncasecmp(p, " FETCH (", 8) != 0)
		return -1;
	p += 8;
	m->size = -1;
	while (*p != '\0' && *p != ')') {
		if (strncasecmp(p, "UID ", 4) == 0 && imap_u32(p + 4, &e, &v) == 0) {
			m->uid = v;
			have_uid = 1;
			p = e;
		} else if (strncasecmp(p, "RFC822.SIZE ", 12) == 0 && imap_u32(p + 12, &e, &v) == 0) {
			m->size = v;
			p = e;
		} else {
			/* skip an item name and its value (a list, maybe) */
			p += strcspn(p, " ()");
			if (*p == ' ')
				p++;
			if (*p == '(') {
				for (depth = 0; *p != '\0'; p++) {
					depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
					if (depth == 0)
						break;
				}
				if (*p == ')')
					p++;
			} else {
				p += strcspn(p, " )");
			}
		}
		while (*p == ' ')
			p++;
	}
	return have_uid && m->uid > 0 ? 0 : -1;
}

static int
imap_msg_cmp(const void *a, const void *b)
{
	const struct imap_msg *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* The messages still to fetch, in UID order; counts those done before.
 * "UID FETCH lo:*" always answers the highest UID too, even below lo:
 * such answers are filtered here. */
static int
imap_list(struct imap_run *r, struct imap_msg **out, size_t *nout)
{
	struct imap_msg *v = NULL, *grown, m;
	size_t n = 0, cap = 0, pos = 0, listed = 0;
	uint32_t lo = r->done.n > 0 && r->done.r[0].lo == 1 ? r->done.r[0].hi + 1 : 1;
	char cmd[64], *line;
	CURLcode cc;

	*out = NULL;
	*nout = 0;
	if (r->exists == 0 || lo == 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "UID FETCH %" PRIu32 ":* (UID RFC822.SIZE)", lo);
	cc = imap_command(r, cmd);
	if (cc != CURLE_OK) {
		imap_fail(r, "cannot list the messages", cc);
		return -1;
	}
	while ((line = imap_next_line(r, &pos)) != NULL) {
		if (imap_parse_fetch(line, &m) != 0 || m.uid < lo)
			continue;
		listed++;
		if (imap_set_has(&r->done, m.uid)) {
			r->already++;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(v, cap * sizeof(*v));
			if (grown == NULL) {
				free(v);
				imap_error(r, "out of memory");
				return -1;
			}
			v = grown;
		}
		v[n++] = m;
	}
	/* the messages below lo were all done before */
	if (r->exists > listed)
		r->already += r->exists - listed;
	if (n > 1)
		qsort(v, n, sizeof(*v), imap_msg_cmp);
	*out = v;
	*nout = n;
	return 0;
}

/* ---- documents ------------------------------------------------------- */

/* Called by the engine, on another thread, once the message's document
 * is durable (or dropped). */
static void
imap_done(void *arg, int status, const char *id)
{
	struct imap_ticket *t = arg;

	(void)id;
	pthread_mutex_lock(&t->run->lock);
	t->status = status;
	t->reported = 1;
	pthread_mutex_unlock(&t->run->lock);
}

static int
imap_doc_meta(struct imap_run *r, struct dg_doc *doc, uint32_t uid)
{
	const struct dg_host *host = r->host;
	struct imap_buf path = {0};
	char num[32], server[512];
	int rc = -1;

	if (imap_buf_printf(&path, "%s;UIDVALIDITY=%" PRIu32 "/;UID=%" PRIu32, r->label, r->uidvalidity, uid) != 0)
		goto out;
	snprintf(server, sizeof(server), "%s:%s", r->loc.host, r->loc.port);
	if (host->meta_set(doc, "source.path", path.p) != 0 || host->meta_set(doc, "source.name", path.p) != 0 ||
	    host->meta_set(doc, "imap.server", server) != 0 || host->meta_set(doc, "imap.mailbox", r->loc.mailbox) != 0)
		goto out;
	snprintf(num, sizeof(num), "%" PRIu32, r->uidvalidity);
	if (host->meta_set(doc, "imap.uidvalidity", num) != 0)
		goto out;
	snprintf(num, sizeof(num), "%" PRIu32, uid);
	if (host->meta_set(doc, "imap.uid", num) != 0)
		goto out;
	snprintf(num, sizeof(num), "%" PRId64, r->got);
	if (host->meta_set(doc, "source.size", num) != 0)
		goto out;
	rc = 0;
out:
	free(path.p);
	return rc;
}

/* Stream one message from the server into r->w.  0 when it is all
 * there, 1 when it is skipped (too large, gone), -1 on failure, -2 on a
 * failure worth one more try (the error is not set then). */
static int
imap_download(struct imap_run *r, const struct imap_msg *m, const char *url, int last)
{
	CURLcode cc;

	r->got = 0;
	r->too_big = 0;
	r->write_failed = 0;
	curl_easy_setopt(r->curl, CURLOPT_URL, url);
	curl_easy_setopt(r->curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, imap_body_cb);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, r);
	cc = imap_perform(r);
	if (imap_reconnected(r) && r->conf->after != IMAP_SEEN)
		r->host->log(r->ctx, DG_LOG_WARN,
		             "%s: the connection was opened again; UID %" PRIu32 " may now be \\Seen", r->label,
		             m->uid);
	if (cc == CURLE_OK)
		return 0;
	if (r->too_big) {
		r->host->log(r->ctx, DG_LOG_WARN,
		             "%s: UID %" PRIu32 " is larger than max-message-size (%" PRId64
		             " bytes): not fetched, left on the server",
		             r->label, m->uid, r->conf->max_size);
		r->too_large++;
		return 1;
	}
	if (r->write_failed) {
		imap_error(r, "%s: UID %" PRIu32 ": cannot write it into the store", r->label, m->uid);
		return -1;
	}
	if (!last) {
		r->host->log(r->ctx, DG_LOG_DEBUG, "%s: UID %" PRIu32 ": %s; trying again", r->label, m->uid,
		             r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc));
		return -2;
	}
	if (cc == CURLE_REMOTE_FILE_NOT_FOUND) {
		r->host->log(r->ctx, DG_LOG_WARN, "%s: UID %" PRIu32 " is gone from the server", r->label, m->uid);
		r->vanished++;
		return 1;
	}
	imap_fail(r, "cannot fetch a message", cc);
	return -1;
}

/* The bytes of one message into a new writer r->w (two tries, the
 * mailbox opened read-only again before each).  As imap_download(). */
static int
imap_fetch_bytes(struct imap_run *r, const struct imap_msg *m, const char *url)
{
	int attempt, got = -2;

	for (attempt = 0; attempt < 2 && got == -2; attempt++) {
		if (r->need_examine && imap_open_box(r, 0) != 0)
			return -1;
		r->w = r->host->writer_open(r->ctx);
		if (r->w == NULL) {
			imap_error(r, "%s: cannot open a writer", r->label);
			return -1;
		}
		got = imap_download(r, m, url, attempt == 1);
		if (got != 0) {
			r->host->writer_abort(r->w);
			r->w = NULL;
		}
	}
	return got;
}

/* Fetch one message and emit it.  0 when emitted, 1 when skipped, -1
 * when the scan must stop. */
static int
imap_fetch(struct imap_run *r, const struct imap_msg *m)
{
	const struct dg_host *host = r->host;
	struct imap_buf url = {0};
	struct imap_ticket *t;
	struct dg_doc *doc = NULL;
	int rc = -1, s;

	if (imap_buf_printf(&url, "%s;UIDVALIDITY=%" PRIu32 "/;UID=%" PRIu32, r->base, r->uidvalidity, m->uid) != 0 ||
	    (doc = host->doc_new(r->ctx, NULL)) == NULL) {
		imap_error(r, "out of memory");
		goto out;
	}
	rc = imap_fetch_bytes(r, m, url.p);
	if (rc != 0)
		goto out;
	rc = -1;
	s = host->writer_finish(r->ctx, r->w, doc, DG_ROLE_ORIGINAL, NULL);
	r->w = NULL;
	if (s != 0 || host->set_media_type(doc, IMAP_MEDIA_TYPE) != 0 || imap_doc_meta(r, doc, m->uid) != 0) {
		imap_error(r, "%s: UID %" PRIu32 ": cannot make a document of it", r->label, m->uid);
		goto out;
	}
	t = &r->tickets[r->nt++];
	t->run = r;
	t->uid = m->uid;
	t->status = DG_FATAL;
	t->reported = 0;
	s = host->emit_tracked(r->ctx, doc, imap_done, t);
	doc = NULL; /* the engine owns it, whatever happened */
	r->fetched++;
	if (s == DG_FATAL) {
		imap_error(r, "%s: the run is being aborted", r->label);
		r->fatal = 1;
		goto out;
	}
	rc = 0;
out:
	if (doc != NULL)
		host->doc_free(doc);
	free(url.p);
	return rc;
}

/* ---- post-commit actions and checkpoints ----------------------------- */

/* "UID VERB set ARGS" over the whole set, in pieces of bounded length. */
static int
imap_uid_command(struct imap_run *r, const char *verb, const struct imap_set *s, const char *args)
{
	struct imap_buf cmd = {0};
	size_t next = 0, was;
	int rc = -1;
	CURLcode cc;

	while (next < s->n) {
		was = next;
		imap_buf_reset(&cmd);
		if (imap_buf_printf(&cmd, "UID %s ", verb) != 0)
			goto oom;
		next = imap_set_format(s, next, &cmd, cmd.len + IMAP_SET_MAX);
		if (next == was || (args[0] != '\0' && imap_buf_printf(&cmd, " %s", args) != 0))
			goto oom;
		cc = imap_command(r, cmd.p);
		if (cc != CURLE_OK) {
			imap_fail(r, verb, cc);
			goto out;
		}
	}
	rc = 0;
	goto out;
oom:
	imap_error(r, "out of memory");
out:
	free(cmd.p);
	return rc;
}

static int
imap_move(struct imap_run *r, const struct imap_set *s)
{
	char *quoted;
	int rc = -1;

	quoted = imap_quote(r->conf->move_to);
	if (quoted == NULL) {
		imap_error(r, "out of memory");
		return -1;
	}
	if (r->has_move) {
		rc = imap_uid_command(r, "MOVE", s, quoted);
		goto out;
	}
	if (imap_uid_command(r, "COPY", s, quoted) != 0 ||
	    imap_uid_command(r, "STORE", s, "+FLAGS.SILENT (\\Deleted)") != 0)
		goto out;
	if (r->has_uidplus) {
		rc = imap_uid_command(r, "EXPUNGE", s, "");
		goto out;
	}
	r->host->log(r->ctx, DG_LOG_WARN,
	             "%s: the server has neither MOVE nor UIDPLUS: messages copied to %s and marked \\Deleted, "
	             "not expunged",
	             r->label, r->conf->move_to);
	rc = 0;
out:
	free(quoted);
	return rc;
}

/* Apply after= to messages that are durably stored. */
static int
imap_act(struct imap_run *r, const struct imap_set *s)
{
	int rc = -1;

	if (s->n == 0)
		return 0;
	if (imap_open_box(r, 1) != 0)
		return -1;
	switch (r->conf->after) {
	case IMAP_SEEN: rc = imap_uid_command(r, "STORE", s, "+FLAGS.SILENT (\\Seen)"); break;
	case IMAP_FLAG: rc = imap_uid_command(r, "STORE", s, "+FLAGS.SILENT (\\Flagged)"); break;
	case IMAP_MOVE: rc = imap_move(r, s); break;
	case IMAP_LEAVE: rc = 0; break;
	}
	return rc;
}

/* Sort the durable fates of the messages emitted since the last
 * checkpoint: committed ones into act (or straight into the done set
 * when there is nothing to do on the server), quarantined ones into the
 * done set, dropped ones nowhere (the next run fetches them again). */
static int
imap_collect(struct imap_run *r, struct imap_set *act)
{
	size_t i;
	int status, rc = 0;

	for (i = 0; i < r->nt && rc == 0; i++) {
		pthread_mutex_lock(&r->lock);
		status = r->tickets[i].reported ? r->tickets[i].status : DG_FATAL;
		pthread_mutex_unlock(&r->lock);
		if (status == DG_OK || status == DG_WARN) {
			rc = imap_set_add(r->conf->after == IMAP_LEAVE ? &r->done : act, r->tickets[i].uid);
		} else if (status == DG_FAILED) {
			r->quarantined++;
			rc = imap_set_add(&r->done, r->tickets[i].uid);
		} else {
			r->dropped++;
		}
	}
	r->nt = 0;
	if (rc != 0)
		imap_error(r, "out of memory");
	return rc;
}

/* Wait until what was emitted is durable, apply the actions, remember
 * the UIDs done.  0, or -1 when the scan must stop. */
static int
imap_checkpoint(struct imap_run *r)
{
	struct imap_set act = {0};
	size_t i;
	int rc = -1;

	if (r->host->wait_durable(r->ctx) == DG_FATAL)
		r->fatal = 1;
	if (imap_collect(r, &act) != 0)
		goto out;
	if (imap_act(r, &act) == 0) {
		for (i = 0; i < act.n; i++) {
			if (imap_set_add_range(&r->done, act.r[i].lo, act.r[i].hi) != 0) {
				imap_error(r, "out of memory");
				goto out;
			}
		}
		r->acted += imap_set_count(&act);
		rc = 0;
	}
	if (imap_state_save(r) != 0)
		rc = -1;
	if (r->fatal)
		rc = -1;
out:
	imap_set_clear(&act);
	return rc;
}

/* ---- the scan -------------------------------------------------------- */

static int
imap_curl_setup(struct imap_run *r)
{
	const struct imap_conf *c = r->conf;
	CURL *h;
	int ok = 1;

	r->curl = h = curl_easy_init();
	if (h == NULL) {
		imap_error(r, "cannot create a libcurl handle");
		return -1;
	}
#if LIBCURL_VERSION_NUM >= 0x075500
	ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "imap,imaps") == CURLE_OK;
#else
	ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_IMAP | CURLPROTO_IMAPS)) == CURLE_OK;
#endif
	ok &= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->errbuf) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_USERNAME, r->user) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_PASSWORD, r->password) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_USE_SSL, (long)(c->tls ? CURLUSESSL_ALL : CURLUSESSL_NONE)) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK;
	if (c->ca_file != NULL)
		ok &= curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)c->timeout) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)c->timeout) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)c->timeout) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, imap_header_cb) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_HEADERDATA, r) == CURLE_OK;
	if (!ok) {
		imap_error(r, "this libcurl lacks an option the IMAP source needs");
		return -1;
	}
	return 0;
}

/* Resolve who logs in where, read the remembered state, connect. */
static int
imap_start(struct imap_run *r, const char *locator)
{
	const struct imap_conf *c = r->conf;

	if (imap_parse_locator(r->ctx, r->host, locator, &r->loc) != 0 || imap_login_of(r) != 0 || imap_names(r) != 0)
		return -1;
	if (c->after == IMAP_MOVE && strcmp(c->move_to, r->loc.mailbox) == 0) {
		imap_error(r, "move-to names the mailbox being ingested (%s)", c->move_to);
		return -1;
	}
	if (strcmp(r->loc.scheme, "imap") == 0 && !c->tls)
		r->host->log(r->ctx, DG_LOG_WARN, "%s: tls=false: the password and the mail cross the network in clear",
		             r->label);
	r->tickets = calloc((size_t)c->batch, sizeof(*r->tickets));
	if (r->tickets == NULL) {
		imap_error(r, "out of memory");
		return -1;
	}
	if (imap_state_path(r) != 0)
		return -1;
	imap_state_load(r);
	if (imap_curl_setup(r) != 0)
		return -1;
	return 0;
}

/* Open the mailbox, check UIDVALIDITY against the remembered one. */
static int
imap_connect(struct imap_run *r)
{
	uint32_t remembered = r->uidvalidity;

	r->uidvalidity = 0;
	if (imap_open_box(r, 0) != 0 || imap_capabilities(r) != 0)
		return -1;
	if (remembered != 0 && remembered != r->uidvalidity) {
		r->host->log(r->ctx, DG_LOG_WARN,
		             "%s: UIDVALIDITY changed (%" PRIu32 ", now %" PRIu32 "): the UIDs fetched before are "
		             "forgotten and every message is fetched again",
		             r->label, remembered, r->uidvalidity);
		imap_set_clear(&r->done);
	}
	return 0;
}

static void
imap_run_free(struct imap_run *r)
{
	if (r->curl != NULL)
		curl_easy_cleanup(r->curl);
	imap_loc_free(&r->loc);
	free(r->user);
	imap_free_secret(r->password);
	free(r->base);
	free(r->label);
	free(r->state_path);
	free(r->resp.p);
	free(r->tickets);
	imap_set_clear(&r->done);
	pthread_mutex_destroy(&r->lock);
}

static int
imap_scan(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *locator)
{
	struct imap_run r = {.ctx = ctx, .host = host, .conf = state};
	struct imap_msg *msgs = NULL;
	size_t n = 0, i;
	int ok = 0;

	pthread_mutex_init(&r.lock, NULL);
	if (imap_start(&r, locator) != 0 || imap_connect(&r) != 0 || imap_list(&r, &msgs, &n) != 0)
		goto out;
	ok = 1;
	for (i = 0; i < n && ok; i++) {
		if (msgs[i].size > r.conf->max_size) {
			host->log(ctx, DG_LOG_WARN,
			          "%s: UID %" PRIu32 " has %" PRId64 " bytes, more than max-message-size: not fetched, "
			          "left on the server",
			          r.label, msgs[i].uid, msgs[i].size);
			r.too_large++;
			continue;
		}
		ok = imap_fetch(&r, &msgs[i]) >= 0;
		if (ok && r.nt == (size_t)r.conf->batch)
			ok = imap_checkpoint(&r) == 0;
	}
	/* even after a failure: what is durable is acted on and remembered */
	if (imap_checkpoint(&r) != 0)
		ok = 0;
	host->log(ctx, DG_LOG_INFO,
	          "%s: fetched %lu, skipped %lu as already fetched, %lu too large, %lu gone; "
	          "actions applied %lu (after=%s), quarantined %lu, not committed %lu",
	          r.label, r.fetched, r.already, r.too_large, r.vanished, r.acted, imap_after_names[r.conf->after],
	          r.quarantined, r.dropped);
	if (r.quarantined > 0)
		host->log(ctx, DG_LOG_WARN,
		          "%s: %lu quarantined messages are left on the server (see dangan quarantine ls)", r.label,
		          r.quarantined);
out:
	free(msgs);
	imap_run_free(&r);
	return ok ? DG_OK : r.fatal ? DG_FATAL : DG_FAILED;
}

static const struct dg_plugin imap_plugin = {
    DG_PLUGIN_HEADER,
    .name = "imap",
    .version = IMAP_VERSION,
    .summary = "Messages of an IMAP mailbox (imaps://user@host/Mailbox), fetched once, acted on after commit",
    .kind = DG_KIND_SOURCE,
    .flags = 0,
    .options = imap_options,
    .init = imap_init,
    .fini = imap_fini,
    .bid = NULL,
    .process = NULL,
    .bid_locator = imap_bid_locator,
    .scan = imap_scan,
};

DG_PLUGIN_DEFINE(imap_plugin)
