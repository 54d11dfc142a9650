/*
 * plugins/archive/archive.c -- expand container documents (zip, tar,
 * 7z, cpio, optionally compressed) into child documents with
 * libarchive.
 *
 * Every regular-file entry becomes a child document whose original is
 * streamed through the host's writer; nothing is ever written to the
 * file system by this plugin.  Entries that could be dangerous if a
 * later consumer extracted them by name (absolute paths, "..", links,
 * devices, ...) are refused and recorded on the archive document.
 *
 * Every byte the plugin decompresses -- including the data of refused
 * entries and directories, which is read and discarded rather than
 * skipped, because skipping through a compressed stream decompresses
 * it just the same -- counts against the max-total, max-entry and
 * max-ratio limits.
 *
 * The instance state holds only the option values and is never
 * modified after init(), and every process() call allocates its own
 * buffers: process() re-enters itself when a child is an archive too
 * (host->emit() runs the child's pipeline synchronously on the same
 * thread), so the plugin is DG_PLUGIN_SHARED.
 */
#include <config.h>
#include <dangan/plugin.h>

#include <archive.h>
#include <archive_entry.h>
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>

#define DG_AR_BLOCK ((size_t)64 * 1024)          /* read block and data chunk */
#define DG_AR_RATIO_FLOOR ((int64_t)1024 * 1024) /* max-ratio applies above this */
#define DG_AR_NAME_MAX ((size_t)4096)            /* longest entry name accepted */
#define DG_AR_SHOW_MAX ((size_t)256)             /* bytes of a name shown in messages */
#define DG_AR_RETRY_MAX 16                       /* consecutive RETRY/WARN without progress */
#define DG_AR_NOTE_MAX 32                        /* libarchive warnings noted per archive */

static const struct dg_option dg_archive_options[] = {
    {.name = "max-entries",
     .type = DG_OPT_INT,
     .default_value = "10000",
     .help = "most entries (of any type) read from one archive",
     .min = 1,
     .max = 10000000},
    {.name = "max-total",
     .type = DG_OPT_SIZE,
     .default_value = "4G",
     .help = "most bytes expanded from one archive, all entries together",
     .min = 1,
     .max = INT64_MAX},
    {.name = "max-entry",
     .type = DG_OPT_SIZE,
     .default_value = "2G",
     .help = "most bytes expanded from one entry",
     .min = 1,
     .max = INT64_MAX},
    {.name = "max-ratio",
     .type = DG_OPT_INT,
     .default_value = "200",
     .help = "most expanded/compressed ratio, checked once over 1 MiB expanded",
     .min = 1,
     .max = 1000000000},
    {.name = "max-depth",
     .type = DG_OPT_INT,
     .default_value = "4",
     .help = "refuse to expand archives nested this deep or deeper",
     .min = 1,
     .max = 1000},
    {.name = NULL},
};

/* Media types this plugin bids on (parameters stripped). */
static const char *const dg_archive_types[] = {
    "application/zip",    "application/x-tar",   "application/gzip",
    "application/x-gzip", "application/x-xz",    "application/zstd",
    "application/x-zstd", "application/x-bzip2", "application/x-7z-compressed",
    "application/x-cpio", "application/x-lzma",  NULL,
};

/*
 * Compression filters, used only when libarchive has them built in
 * (otherwise it would fall back to spawning an external program).
 *
 * The plugin finds the filter chain itself (dg_filter_chain()) and
 * hands it to libarchive with archive_read_append_filter(), which turns
 * off libarchive's own filter bidding: that bidding stacks up to 25
 * decompressors, each peeking ahead through all the others, and a
 * recursive gzip (test_read_filter_gzip_recursive.gz) makes it grow
 * without bound in time and memory before any limit here could apply.
 */
#define DG_AR_LAYERS_MAX 3 /* compression layers around the archive */
static const struct dg_archive_filter {
	const char *name;
	int code;
	int (*enable)(struct archive *);
} dg_archive_filters[] = {
    {"gzip", ARCHIVE_FILTER_GZIP, archive_read_support_filter_gzip},
    {"bzip2", ARCHIVE_FILTER_BZIP2, archive_read_support_filter_bzip2},
    {"xz", ARCHIVE_FILTER_XZ, archive_read_support_filter_xz},
    {"lzma", ARCHIVE_FILTER_LZMA, archive_read_support_filter_lzma},
    {"zstd", ARCHIVE_FILTER_ZSTD, archive_read_support_filter_zstd},
    {NULL, 0, NULL},
};

/* Instance state: read-only after init(). */
struct dg_archive_state {
	int64_t max_entries;
	int64_t max_total;
	int64_t max_entry;
	int64_t max_ratio;
	int64_t max_depth;
	unsigned filters; /* bit i: dg_archive_filters[i] is built in */
};

/* One process() call. */
struct dg_archive_run {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	const struct dg_archive_state *st;
	struct dg_doc *doc;
	struct archive *a;
	unsigned char *buf;
	locale_t loc;                   /* UTF-8 LC_CTYPE used while reading, or 0 */
	locale_t old;                   /* the thread's locale before */
	int64_t total;                  /* bytes expanded so far, all entries */
	int64_t seen;                   /* entry headers read */
	int64_t extracted;              /* child documents emitted */
	int64_t refused;                /* entries refused */
	int64_t child_failed;           /* children whose own pipeline failed */
	int warnings;                   /* libarchive warnings noted */
	size_t layers;                  /* compression layers found */
	size_t layer[DG_AR_LAYERS_MAX]; /* their dg_archive_filters[] indexes */
};

static char *dg_aprintf(const char *fmt, ...) DG_PRINTF(1, 2);

/* A heap copy of a formatted string, NULL if out of memory. */
static char *
dg_aprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto out;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		goto out;
	va_start(ap, fmt);
	if (vsnprintf(s, (size_t)n + 1, fmt, ap) != n) {
		free(s);
		s = NULL;
	}
	va_end(ap);
out:
	return s;
}

/*
 * Length (1..4) of the well-formed UTF-8 sequence at s, storing its
 * code point in *cp; 0 if s does not start with one (overlong forms,
 * surrogates and values above U+10FFFF are not well-formed).  A NUL
 * byte is a sequence of length 1.
 */
static size_t
dg_utf8_seq(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Code points that must not reach a terminal or log verbatim: C0 and
 * C1 controls, DEL, and invisible or direction-changing format
 * characters that can disguise a name. */
static bool
dg_cp_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/*
 * A printable heap copy of a hostile string: at most DG_AR_SHOW_MAX
 * input bytes (then "..."), control and format characters as \n, \t,
 * \xNN or \uNNNN, bytes that are not UTF-8 as \xNN, a backslash as
 * two.  NULL if out of memory.  Each input byte needs at most 4 output
 * bytes.
 */
static char *
dg_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t cap = 4 * DG_AR_SHOW_MAX + 4, o = 0, used = 0, n;
	uint32_t cp;
	char *out;
	int w;

	out = malloc(cap);
	if (out == NULL)
		goto out;
	while (*p != '\0') {
		n = dg_utf8_seq(p, &cp);
		if (used + (n > 0 ? n : 1) > DG_AR_SHOW_MAX)
			break;
		if (n == 0) {
			w = snprintf(out + o, cap - o, "\\x%02x", (unsigned)*p);
			n = 1;
		} else if (cp == '\n') {
			w = snprintf(out + o, cap - o, "\\n");
		} else if (cp == '\r') {
			w = snprintf(out + o, cap - o, "\\r");
		} else if (cp == '\t') {
			w = snprintf(out + o, cap - o, "\\t");
		} else if (cp == '\\') {
			w = snprintf(out + o, cap - o, "\\\\");
		} else if (dg_cp_unsafe(cp) && cp < 0x80) {
			w = snprintf(out + o, cap - o, "\\x%02x", (unsigned)cp);
		} else if (dg_cp_unsafe(cp)) {
			w = snprintf(out + o, cap - o, "\\u%04x", (unsigned)cp);
		} else {
			memcpy(out + o, p, n);
			w = (int)n;
		}
		if (w < 0 || (size_t)w >= cap - o)
			break;
		o += (size_t)w;
		used += n;
		p += n;
	}
	if (*p != '\0' && cap - o >= 4) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
out:
	return out;
}

/* libarchive's current error text, escaped (it may quote entry names). */
static char *
dg_archive_errstr(struct archive *a)
{
	const char *s = archive_error_string(a);

	return dg_escape(s != NULL ? s : "libarchive gave no detail");
}

/* "512 B", "10 KiB", "1.2 GiB" into buf. */
static void
dg_human(int64_t n, char *buf, size_t cap)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(buf, cap, "%" PRId64 " B", n);
		return;
	}
	while (v >= 1024.0 && u < sizeof(unit) / sizeof(unit[0]) - 1) {
		v /= 1024.0;
		u++;
	}
	if (v < 9.95)
		snprintf(buf, cap, "%.1f %s", v, unit[u]);
	else
		snprintf(buf, cap, "%.0f %s", v, unit[u]);
}

/* Why an entry name is unsafe, or NULL if it is acceptable. */
static const char *
dg_name_problem(const char *name)
{
	const unsigned char *p;
	const char *seg;
	size_t len, seglen, n;
	bool meaningful = false;
	uint32_t cp;

	len = strnlen(name, DG_AR_NAME_MAX + 1);
	if (len == 0)
		return "empty name";
	if (len > DG_AR_NAME_MAX)
		return "name longer than 4096 bytes";
	for (p = (const unsigned char *)name; *p != '\0'; p += n) {
		n = dg_utf8_seq(p, &cp);
		if (n == 0)
			return "name is not valid UTF-8";
	}
	if (name[0] == '/' || name[0] == '\\')
		return "absolute path";
	if (((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')) && name[1] == ':')
		return "absolute path (drive letter)";
	for (seg = name;; seg += seglen + 1) {
		seglen = strcspn(seg, "/\\");
		if (seglen == 2 && seg[0] == '.' && seg[1] == '.')
			return "path contains a '..' component";
		if (seglen > 1 || (seglen == 1 && seg[0] != '.'))
			meaningful = true;
		if (seg[seglen] == '\0')
			break;
	}
	if (!meaningful)
		return "empty name";
	return NULL;
}

static const char *
dg_type_name(mode_t type)
{
	switch (type) {
	case AE_IFCHR: return "character device";
	case AE_IFBLK: return "block device";
	case AE_IFIFO: return "fifo";
	case AE_IFSOCK: return "socket";
	case AE_IFLNK: return "symbolic link";
	default: return "not a regular file";
	}
}

/* Link targets: set even when they cannot be converted to text. */
static const char *
dg_hardlink(struct archive_entry *e)
{
	const char *s;

	if ((s = archive_entry_hardlink_utf8(e)) != NULL || (s = archive_entry_hardlink(e)) != NULL)
		return s;
	return archive_entry_hardlink_w(e) != NULL ? "?" : NULL;
}

static const char *
dg_symlink(struct archive_entry *e)
{
	const char *s;

	if ((s = archive_entry_symlink_utf8(e)) != NULL || (s = archive_entry_symlink(e)) != NULL)
		return s;
	return archive_entry_symlink_w(e) != NULL ? "?" : NULL;
}

/* Record a libarchive warning as a note (the first few only). */
static void
dg_archive_warn(struct dg_archive_run *r, const char *what)
{
	char *msg;

	r->warnings++;
	if (r->warnings > DG_AR_NOTE_MAX)
		return;
	if (r->warnings == DG_AR_NOTE_MAX) {
		r->host->note(r->ctx, r->doc, "further libarchive warnings not recorded");
		return;
	}
	msg = dg_archive_errstr(r->a);
	r->host->note(r->ctx, r->doc, "libarchive warning %s: %s", what, msg != NULL ? msg : "?");
	free(msg);
}

static void
dg_refuse(struct dg_archive_run *r, const char *show, const char *reason)
{
	char *v;

	r->refused++;
	r->host->note(r->ctx, r->doc, "refused entry '%s': %s", show, reason);
	v = dg_aprintf("%s: %s", show, reason);
	if (v == NULL || r->host->meta_add(r->doc, "archive.refused", v) != 0)
		r->host->log(r->ctx, DG_LOG_WARN, "cannot record refused entry '%s'", show);
	free(v);
}

/* Check the limits after more bytes of an entry (entry_bytes so far,
 * r->total already counts them); error and -1 when one is exceeded. */
static int
dg_check_limits(struct dg_archive_run *r, const char *show, int64_t entry_bytes)
{
	const struct dg_archive_state *st = r->st;
	char x[32], y[32];
	int64_t comp, ratio;

	if (entry_bytes > st->max_entry) {
		dg_human(st->max_entry, y, sizeof(y));
		r->host->error(r->ctx,
		               "entry '%s' too large: more than max-entry %s "
		               "(%" PRId64 " bytes expanded); extraction stopped after %" PRId64 " entries",
		               show, y, entry_bytes, r->extracted);
		return -1;
	}
	if (r->total > st->max_total) {
		dg_human(st->max_total, y, sizeof(y));
		r->host->error(r->ctx,
		               "archive too large: more than max-total %s expanded "
		               "(%" PRId64 " bytes, while reading '%s'); extraction stopped after %" PRId64 " entries",
		               y, r->total, show, r->extracted);
		return -1;
	}
	if (r->total > DG_AR_RATIO_FLOOR) {
		comp = archive_filter_bytes(r->a, -1);
		if (comp < 1)
			comp = 1;
		ratio = r->total / comp;
		if (ratio > st->max_ratio) {
			dg_human(r->total, x, sizeof(x));
			dg_human(comp, y, sizeof(y));
			r->host->error(r->ctx,
			               "decompression bomb: %s expanded from %s (ratio %" PRId64 " > %" PRId64
			               "); extraction stopped after %" PRId64 " entries",
			               x, y, ratio, st->max_ratio, r->extracted);
			return -1;
		}
	}
	return 0;
}

/*
 * Read the current entry's data to the end, into w (or nowhere when w
 * is NULL), enforcing the limits.  0 on success, -1 with the error set.
 */
static int
dg_stream(struct dg_archive_run *r, const char *show, struct dg_writer *w)
{
	const struct dg_host *host = r->host;
	int64_t entry_bytes = 0;
	char *msg = NULL;
	int stalls = 0, ret = -1;
	la_ssize_t n;

	for (;;) {
		n = archive_read_data(r->a, r->buf, DG_AR_BLOCK);
		if (n == 0)
			break;
		if (n > 0) {
			stalls = 0;
			entry_bytes += n;
			r->total += n;
			if (dg_check_limits(r, show, entry_bytes) != 0)
				goto out;
			if (w != NULL && host->writer_write(w, r->buf, (size_t)n) != 0) {
				host->log(r->ctx, DG_LOG_ERROR, "writing entry '%s' failed", show);
				goto out;
			}
			continue;
		}
		if ((n == ARCHIVE_WARN || n == ARCHIVE_RETRY) && ++stalls <= DG_AR_RETRY_MAX) {
			if (n == ARCHIVE_WARN)
				dg_archive_warn(r, "reading data");
			continue;
		}
		msg = dg_archive_errstr(r->a);
		host->error(r->ctx, "reading entry '%s' failed: %s", show, msg != NULL ? msg : "?");
		goto out;
	}
	ret = 0;
out:
	free(msg);
	return ret;
}

/* "YYYY-MM-DDTHH:MM:SSZ"; -1 if t is not representable so. */
static int
dg_iso8601(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -1;
	if (strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

/* The last non-empty component of a path split on '/' and '\\', as a
 * heap string; NULL if out of memory. */
static char *
dg_basename(const char *name)
{
	size_t end = strlen(name), start;
	char *s;

	while (end > 0 && (name[end - 1] == '/' || name[end - 1] == '\\'))
		end--;
	start = end;
	while (start > 0 && name[start - 1] != '/' && name[start - 1] != '\\')
		start--;
	s = malloc(end - start + 1);
	if (s != NULL) {
		memcpy(s, name + start, end - start);
		s[end - start] = '\0';
	}
	return s;
}

static int
dg_child_meta(struct dg_archive_run *r, struct archive_entry *e, struct dg_doc *child, const char *name)
{
	const struct dg_host *host = r->host;
	char when[32], *base = NULL;
	int ret = -1;

	base = dg_basename(name);
	if (base == NULL) {
		host->error(r->ctx, "out of memory");
		goto out;
	}
	if (host->meta_set(child, "archive.path", name) != 0)
		goto out;
	if (base[0] != '\0' && host->meta_set(child, "source.name", base) != 0)
		goto out;
	if (archive_entry_mtime_is_set(e) && dg_iso8601(archive_entry_mtime(e), when, sizeof(when)) == 0 &&
	    host->meta_set(child, "source.mtime", when) != 0)
		goto out;
	ret = 0;
out:
	free(base);
	return ret;
}

/* Turn the current (acceptable, regular-file) entry into a child. */
static int
dg_extract(struct dg_archive_run *r, struct archive_entry *e, const char *name, const char *show)
{
	const struct dg_host *host = r->host;
	struct dg_doc *child = NULL;
	struct dg_writer *w = NULL;
	int ret = -1, rc;

	child = host->doc_new(r->ctx, r->doc);
	if (child == NULL) {
		host->error(r->ctx, "cannot create a document for entry '%s'", show);
		goto out;
	}
	w = host->writer_open(r->ctx);
	if (w == NULL) {
		host->error(r->ctx, "cannot open a writer for entry '%s'", show);
		goto out;
	}
	if (dg_stream(r, show, w) != 0)
		goto out;
	rc = host->writer_finish(r->ctx, w, child, DG_ROLE_ORIGINAL, NULL);
	w = NULL; /* consumed, whatever the outcome */
	if (rc != 0) {
		host->log(r->ctx, DG_LOG_ERROR, "cannot store entry '%s'", show);
		goto out;
	}
	if (dg_child_meta(r, e, child, name) != 0) {
		host->log(r->ctx, DG_LOG_ERROR, "cannot set metadata of '%s'", show);
		goto out;
	}
	r->extracted++;
	/* The child's pipeline runs in the caller's locale. */
	if (r->loc != (locale_t)0)
		uselocale(r->old);
	rc = host->emit(r->ctx, child);
	if (r->loc != (locale_t)0)
		uselocale(r->loc);
	child = NULL; /* the engine owns it now */
	if (rc == DG_FAILED || rc == DG_FATAL) {
		r->child_failed++;
		host->note(r->ctx, r->doc, "entry '%s' failed in its own pipeline", show);
	}
	ret = 0;
out:
	if (w != NULL)
		host->writer_abort(w);
	if (child != NULL)
		host->doc_free(child);
	return ret;
}

/* Handle the entry just read: skip, refuse or extract it. */
static int
dg_entry(struct dg_archive_run *r, struct archive_entry *e)
{
	const struct dg_host *host = r->host;
	const char *name, *reason = NULL, *hard, *sym;
	char *show = NULL, *why = NULL, *target = NULL;
	mode_t type = archive_entry_filetype(e);
	bool encrypted;
	int ret = -1;

	name = archive_entry_pathname_utf8(e);
	if (name == NULL)
		name = archive_entry_pathname(e);
	if (name == NULL) {
		name = "";
		if (archive_entry_pathname_w(e) != NULL)
			reason = "name cannot be converted to UTF-8";
	}
	show = dg_escape(name);
	if (show == NULL) {
		host->error(r->ctx, "out of memory");
		goto out;
	}
	hard = dg_hardlink(e);
	sym = dg_symlink(e);
	encrypted = archive_entry_is_encrypted(e) != 0;

	if (type == AE_IFDIR && hard == NULL && sym == NULL) {
		/* Nothing to extract; any data it carries is still metered. */
		ret = encrypted ? 0 : dg_stream(r, show, NULL);
		goto out;
	}
	if (reason == NULL)
		reason = dg_name_problem(name);
	if (reason == NULL && (hard != NULL || sym != NULL)) {
		target = dg_escape(hard != NULL ? hard : sym);
		why = dg_aprintf("%s to '%s'", hard != NULL ? "hard link" : "symbolic link",
		                 target != NULL ? target : "?");
		reason = why != NULL ? why : hard != NULL ? "hard link" : "symbolic link";
	} else if (reason == NULL && type != AE_IFREG) {
		reason = dg_type_name(type);
	} else if (reason == NULL && encrypted) {
		reason = "encrypted";
	}
	if (reason != NULL) {
		dg_refuse(r, show, reason);
		/* Read (and meter) what a skip would decompress anyway. */
		ret = encrypted ? 0 : dg_stream(r, show, NULL);
		goto out;
	}
	ret = dg_extract(r, e, name, show);
out:
	free(target);
	free(why);
	free(show);
	return ret;
}

/*
 * libarchive converts entry names to and from the charset of the
 * thread's LC_CTYPE; in the "C" locale a 7z or zip name that is not
 * ASCII cannot be converted at all.  If the thread's charset is not
 * UTF-8, return a copy of its locale with a UTF-8 LC_CTYPE to install
 * with uselocale() while reading (thread-local, so other threads are
 * not affected); (locale_t)0 if no switch is needed or possible.
 */
static locale_t
dg_utf8_locale(void)
{
	static const char *const names[] = {"C.UTF-8", "C.utf8", "en_US.UTF-8", NULL};
	const char *cs = nl_langinfo(CODESET);
	locale_t base, loc = (locale_t)0;
	size_t i;

	if (cs != NULL && strcmp(cs, "UTF-8") == 0)
		goto out;
	base = duplocale(uselocale((locale_t)0));
	if (base == (locale_t)0)
		goto out;
	for (i = 0; names[i] != NULL && loc == (locale_t)0; i++)
		loc = newlocale(LC_CTYPE_MASK, names[i], base);
	if (loc == (locale_t)0)
		freelocale(base); /* newlocale() consumes base only on success */
out:
	return loc;
}

static uint32_t
dg_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Which compression (index into dg_archive_filters) the first len
 * bytes of a stream start with; -1 for none.  The checks are those of
 * libarchive's own bidders.
 */
static int
dg_sniff(const unsigned char *b, size_t len)
{
	static const unsigned char xz[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
	static const unsigned char bzblock[6] = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59};
	static const unsigned char bzend[6] = {0x17, 0x72, 0x45, 0x38, 0x50, 0x90};
	uint32_t dict, hi, lo;
	int i;

	if (len >= 4 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8 && (b[3] & 0xe0) == 0)
		return 0;
	if (len >= 10 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h' && b[3] >= '1' && b[3] <= '9' &&
	    (memcmp(b + 4, bzblock, 6) == 0 || memcmp(b + 4, bzend, 6) == 0))
		return 1;
	if (len >= 6 && memcmp(b, xz, 6) == 0)
		return 2;
	if (len >= 4 && (dg_le32(b) == 0xfd2fb528u || (dg_le32(b) & 0xfffffff0u) == 0x184d2a50u))
		return 4;
	/* .lzma ("LZMA alone"): properties byte, a dictionary size of 2^n
	 * or 2^n + 2^(n-1), an uncompressed size that is unknown (all
	 * ones) or below 2^40, and a zero first byte of range coder data. */
	if (len >= 14 && b[0] <= (4 * 5 + 4) * 9 + 8 && b[13] == 0) {
		dict = dg_le32(b + 1);
		lo = dg_le32(b + 5);
		hi = dg_le32(b + 9);
		for (i = 12; i <= 30; i++) {
			if (dict == (1u << i) || dict == (1u << i) + (1u << (i - 1)))
				break;
		}
		if (i <= 30 && ((lo == 0xffffffffu && hi == 0xffffffffu) || hi < 0x100))
			return 3;
	}
	return -1;
}

/* Put the compression layers found so far in front of a's formats
 * (none: turn libarchive's filter bidding off all the same). */
static int
dg_append_filters(const struct dg_archive_run *r, struct archive *a)
{
	size_t i;

	if (r->layers == 0)
		return archive_read_append_filter(a, ARCHIVE_FILTER_NONE) == ARCHIVE_OK ? 0 : -1;
	/* outermost first: each appended filter reads from the one before */
	for (i = 0; i < r->layers; i++) {
		if (archive_read_append_filter(a, dg_archive_filters[r->layer[i]].code) != ARCHIVE_OK)
			return -1;
	}
	return 0;
}

/*
 * Find the compression layers around the archive: decode the layers
 * found so far with libarchive's raw format and look at the first
 * bytes.  Only a few bytes of each layer are decoded.  0 on success
 * (r->layers set; a stream that cannot be decoded stops the search
 * and is reported by the real open), -1 with the error set.
 */
static int
dg_filter_chain(struct dg_archive_run *r, const char *path)
{
	const struct dg_host *host = r->host;
	struct archive *probe = NULL;
	struct archive_entry *e;
	unsigned char head[16];
	size_t got;
	la_ssize_t n;
	int f, ret = -1;

	r->layers = 0;
	for (;;) {
		probe = archive_read_new();
		if (probe == NULL) {
			host->error(r->ctx, "out of memory");
			goto out;
		}
		got = 0;
		if (dg_append_filters(r, probe) == 0 && archive_read_support_format_raw(probe) == ARCHIVE_OK &&
		    archive_read_open_filename(probe, path, DG_AR_BLOCK) == ARCHIVE_OK &&
		    archive_read_next_header(probe, &e) == ARCHIVE_OK) {
			while (got < sizeof(head)) {
				n = archive_read_data(probe, head + got, sizeof(head) - got);
				if (n <= 0)
					break;
				got += (size_t)n;
			}
		}
		archive_read_free(probe);
		probe = NULL;
		f = dg_sniff(head, got);
		if (f < 0)
			break;
		if ((r->st->filters & (1u << f)) == 0) {
			host->error(r->ctx, "%s-compressed data, but libarchive was built without %s",
			            dg_archive_filters[f].name, dg_archive_filters[f].name);
			goto out;
		}
		if (r->layers == DG_AR_LAYERS_MAX) {
			host->error(r->ctx, "more than %d layers of compression", DG_AR_LAYERS_MAX);
			goto out;
		}
		r->layer[r->layers++] = (size_t)f;
	}
	ret = 0;
out:
	if (probe != NULL)
		archive_read_free(probe);
	return ret;
}

/* Enable the formats, behind the compression layers found. */
static int
dg_archive_setup(const struct dg_archive_run *r, struct archive *a)
{
	if (dg_append_filters(r, a) != 0 || archive_read_support_format_zip(a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK || archive_read_support_format_gnutar(a) != ARCHIVE_OK ||
	    archive_read_support_format_7zip(a) != ARCHIVE_OK || archive_read_support_format_cpio(a) != ARCHIVE_OK)
		return -1;
	return 0;
}

/* gzip, xz, zstd, bzip2, lzma: compressors that may hold a single file. */
static bool
dg_plain_compressor(const char *mt)
{
	static const char *types[] = {
	    "application/gzip",   "application/x-gzip",  "application/x-xz",   "application/zstd",
	    "application/x-zstd", "application/x-bzip2", "application/x-lzma", NULL};
	size_t i, len;

	if (mt == NULL)
		return false;
	len = strcspn(mt, "; ");
	for (i = 0; types[i] != NULL; i++)
		if (strlen(types[i]) == len && strncasecmp(types[i], mt, len) == 0)
			return true;
	return false;
}

static int
dg_archive_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	const struct dg_archive_state *st = state;
	struct dg_archive_run r = {.ctx = ctx, .host = host, .st = st, .doc = doc};
	struct archive_entry *e;
	const char *path, *fmt;
	char num[32], *msg = NULL;
	bool opened = false;
	int status = DG_FAILED, rc, retries = 0;

	path = host->part_path(doc, DG_ROLE_ORIGINAL);
	if (path == NULL) {
		host->error(ctx, "the document has no original part");
		goto out;
	}
	if (host->depth(doc) >= st->max_depth) {
		host->error(ctx, "archive nesting deeper than %" PRId64, st->max_depth);
		goto out;
	}
	r.loc = dg_utf8_locale();
	if (r.loc != (locale_t)0)
		r.old = uselocale(r.loc);
	else
		host->log(ctx, DG_LOG_DEBUG, "no UTF-8 locale: entry names are read in the current locale");
	if (dg_filter_chain(&r, path) != 0)
		goto out;
	r.buf = malloc(DG_AR_BLOCK);
	r.a = archive_read_new();
	if (r.buf == NULL || r.a == NULL) {
		host->error(ctx, "out of memory");
		goto out;
	}
	if (dg_archive_setup(&r, r.a) != 0) {
		msg = dg_archive_errstr(r.a);
		host->error(ctx, "cannot set up libarchive: %s", msg != NULL ? msg : "?");
		goto out;
	}
	rc = archive_read_open_filename(r.a, path, DG_AR_BLOCK);
	if (rc < ARCHIVE_WARN) {
		msg = dg_archive_errstr(r.a);
		if (msg != NULL && strstr(msg, "Unrecognized archive format") != NULL &&
		    dg_plain_compressor(host->media_type(doc))) {
			/* a compressed single file (report.txt.gz), not an
			 * archive: it stays one document, bytes as received */
			host->note(ctx, doc, "compressed file, not an archive: kept as one document");
			status = DG_DECLINED;
			goto out;
		}
		host->error(ctx, "cannot open archive: %s", msg != NULL ? msg : "?");
		goto out;
	}
	opened = true;
	if (rc == ARCHIVE_WARN)
		dg_archive_warn(&r, "opening the archive");

	for (;;) {
		rc = archive_read_next_header(r.a, &e);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc == ARCHIVE_RETRY && ++retries <= DG_AR_RETRY_MAX)
			continue;
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
			msg = dg_archive_errstr(r.a);
			host->error(ctx,
			            "reading the archive failed after %" PRId64 " entries (%" PRId64 " extracted): %s",
			            r.seen, r.extracted, msg != NULL ? msg : "?");
			goto out;
		}
		retries = 0;
		if (rc == ARCHIVE_WARN)
			dg_archive_warn(&r, "reading a header");
		if (++r.seen > st->max_entries) {
			host->error(ctx,
			            "archive has more than %" PRId64 " entries (max-entries); "
			            "extraction stopped after %" PRId64 " entries",
			            st->max_entries, r.extracted);
			goto out;
		}
		if (dg_entry(&r, e) != 0)
			goto out;
	}
	if (r.child_failed > 0)
		host->log(ctx, DG_LOG_INFO, "%" PRId64 " of %" PRId64 " entries failed in their own pipeline",
		          r.child_failed, r.extracted);
	status = r.refused > 0 ? DG_WARN : DG_OK;
out:
	if (opened) {
		fmt = archive_format_name(r.a);
		if (archive_format(r.a) != 0 && fmt != NULL)
			host->meta_set(doc, "archive.format", fmt);
		snprintf(num, sizeof(num), "%" PRId64, r.extracted);
		host->meta_set(doc, "archive.entries", num);
	}
	if (r.a != NULL)
		archive_read_free(r.a);
	if (r.loc != (locale_t)0) {
		uselocale(r.old);
		freelocale(r.loc);
	}
	free(r.buf);
	free(msg);
	return status;
}

static int
dg_archive_bid(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	const char *mt = host->media_type(doc);
	size_t len, i;

	if (mt == NULL)
		return 0;
	while (*mt == ' ' || *mt == '\t')
		mt++;
	len = strcspn(mt, ";");
	while (len > 0 && (mt[len - 1] == ' ' || mt[len - 1] == '\t'))
		len--;
	for (i = 0; dg_archive_types[i] != NULL; i++) {
		if (strlen(dg_archive_types[i]) == len && strncasecmp(dg_archive_types[i], mt, len) == 0)
			return 80;
	}
	return 0;
}

static int
dg_archive_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct dg_archive_state *st;
	struct archive *a;
	size_t i;
	int status = DG_FATAL;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		host->error(ctx, "out of memory");
		goto out;
	}
	st->max_entries = host->opt_int(opts, "max-entries");
	st->max_total = host->opt_int(opts, "max-total");
	st->max_entry = host->opt_int(opts, "max-entry");
	st->max_ratio = host->opt_int(opts, "max-ratio");
	st->max_depth = host->opt_int(opts, "max-depth");
	if (st->max_entries < 1 || st->max_total < 1 || st->max_entry < 1 || st->max_ratio < 1 || st->max_depth < 1) {
		host->error(ctx, "limits must be positive");
		goto out;
	}
	/* ARCHIVE_WARN here means "via an external program": not used. */
	for (i = 0; dg_archive_filters[i].name != NULL; i++) {
		a = archive_read_new();
		if (a == NULL) {
			host->error(ctx, "out of memory");
			goto out;
		}
		if (dg_archive_filters[i].enable(a) == ARCHIVE_OK)
			st->filters |= 1u << i;
		else
			host->log(ctx, DG_LOG_WARN,
			          "libarchive has no built-in %s support; "
			          "%s-compressed archives will not be recognised",
			          dg_archive_filters[i].name, dg_archive_filters[i].name);
		archive_read_free(a);
	}
	*state = st;
	st = NULL;
	status = DG_OK;
out:
	free(st);
	return status;
}

static void
dg_archive_fini(void *state)
{
	free(state);
}

static const struct dg_plugin archive_plugin = {
    DG_PLUGIN_HEADER,
    .name = "archive",
    .version = "1.0.0",
    .summary = "expand zip, tar, 7z and cpio archives into child documents",
    .kind = DG_KIND_TRANSFORM,
    .flags = DG_PLUGIN_SHARED,
    .options = dg_archive_options,
    .init = dg_archive_init,
    .fini = dg_archive_fini,
    .bid = dg_archive_bid,
    .process = dg_archive_process,
    .bid_locator = NULL,
    .scan = NULL,
};

DG_PLUGIN_DEFINE(archive_plugin)
