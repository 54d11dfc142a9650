/*
 * plugins/bagit/bagit.c -- export stored documents as a BagIt 1.0 bag
 * (RFC 8493), as a directory or serialized as zip / tar / tar.gz
 * through libarchive, and verify any bag (verify.c).
 *
 * Layout of an exported bag:
 *
 *   bagit.txt                   BagIt-Version: 1.0, UTF-8
 *   data/<id16>/<name>          the original, under its source name
 *   data/<id16>/parts/<role>.x  derived parts (with parts=all)
 *   data/<id16>/metadata.xml    the document's record (urn:dangan:bagit:1)
 *   manifest-<alg>.txt          one per algorithm (default sha512, sha256)
 *   bag-info.txt                Payload-Oxum, Bagging-Date, Bag-Size, ...
 *   tagmanifest-<alg>.txt       the tag files above
 *
 * <id16> is the first 16 hex digits of the document id (the SHA-256 of
 * its original), all 64 when two documents share the first 16.
 *
 * Every file is read once: its bytes go to the bag while every
 * algorithm hashes them (bg_hash), in 64 KiB blocks, so memory does not
 * grow with document size.  The SHA-256 computed on the way is checked
 * against the part's id, so a damaged store object fails the export
 * instead of entering a bag with a manifest that vouches for it.
 * Manifest lines are spooled to temporary files until export_end().
 * In a serialization the bag is the single top directory (RFC 8493
 * section 4.2), bagit.txt its first entry.
 */
#include <config.h>

#include "bagit.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libxml/xmlwriter.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BG_VERSION "1.0.0"
#define BG_NAME_MAX ((size_t)200) /* bytes of a file name written into a bag */
#define BG_PARTS_MAX 4096         /* parts of one document */

static const struct dg_option bg_options[] = {
    {.name = "container",
     .type = DG_OPT_STRING,
     .default_value = "dir",
     .help = "dir (a bag directory), zip, tar or tgz (serialized, one top directory inside)"},
    {.name = "compress",
     .type = DG_OPT_BOOL,
     .default_value = "false",
     .help = "deflate the entries of a zip (default: stored, as most payloads are compressed already)"},
    {.name = "parts",
     .type = DG_OPT_STRING,
     .default_value = "original",
     .help = "original (the original of each document) or all (also its derived parts, in parts/)"},
    {.name = "algorithms",
     .type = DG_OPT_STRING,
     .default_value = "sha512,sha256",
     .help = "manifest algorithms, comma-separated: sha512, sha384, sha256, sha224, sha1, md5"},
    {.name = "name",
     .type = DG_OPT_STRING,
     .default_value = NULL,
     .help = "name of the bag's top directory in a zip/tar (default: the output name less its extension)"},
    {.name = "source-organization", .type = DG_OPT_STRING, .help = "bag-info.txt Source-Organization"},
    {.name = "contact-name", .type = DG_OPT_STRING, .help = "bag-info.txt Contact-Name"},
    {.name = "contact-email", .type = DG_OPT_STRING, .help = "bag-info.txt Contact-Email"},
    {.name = "external-description", .type = DG_OPT_STRING, .help = "bag-info.txt External-Description"},
    {.name = "external-identifier", .type = DG_OPT_STRING, .help = "bag-info.txt External-Identifier"},
    {.name = "verify-max-files",
     .type = DG_OPT_INT,
     .default_value = "4000000",
     .help = "verify: most files and directories in a bag",
     .min = 1,
     .max = 100000000},
    {.name = "verify-max-tag-size",
     .type = DG_OPT_SIZE,
     .default_value = "1G",
     .help = "verify: most bytes of tag files unpacked from a serialized bag",
     .min = 1,
     .max = INT64_MAX},
    {.name = NULL},
};

enum bg_container { BG_DIR = 0, BG_ZIP, BG_TAR, BG_TGZ };

/* One exported part of the current document. */
struct bg_part {
	struct dg_part_info info;
	char *rel; /* path in the bag, NULL if not exported */
	unsigned char dig[BG_ALG_N][BG_DIGEST_MAX];
};

/* Instance: options, and the export run between begin and end. */
struct bg_state {
	enum bg_container container;
	bool all_parts;
	bool compress;
	unsigned algs; /* bit i: bg_algs[i] */
	bool exported; /* export_end() done: verify() checks this run's bag */
	const char *name;
	const char *info[5];
	int64_t verify_max_files;
	int64_t verify_max_tag;

	/* the run */
	bool running;
	int dirfd;             /* BG_DIR: the bag directory */
	int fd;                /* serialized: the output file */
	struct archive *a;     /* serialized: the writer */
	char *top;             /* serialized: the top directory's name */
	FILE *spool[BG_ALG_N]; /* payload manifest lines */
	char **used;           /* directory names given to documents: open addressing */
	size_t nused, capused; /* capused a power of two, at most half full */
	int64_t oxum_bytes, oxum_files;
	unsigned char tagdig[3 + BG_ALG_N][BG_ALG_N][BG_DIGEST_MAX];
	char *tagname[3 + BG_ALG_N];
	size_t ntag;
	locale_t loc;
	time_t started;
};

/* Thread locale switched to UTF-8 around libarchive calls, so entry
 * names convert whatever the process locale is. */
struct bg_loc {
	locale_t old;
};

static void
bg_loc_enter(struct bg_state *st, struct bg_loc *l)
{
	l->old = st->loc != (locale_t)0 ? uselocale(st->loc) : (locale_t)0;
}

static void
bg_loc_leave(struct bg_state *st, struct bg_loc *l)
{
	if (st->loc != (locale_t)0)
		uselocale(l->old);
}

/* ------------------------------------------------------------------ */
/* Options */

static int
bg_parse_algs(const char *s, unsigned *mask)
{
	const char *p = s, *e;
	int a;

	*mask = 0;
	while (*p != '\0') {
		while (*p == ',' || *p == ' ')
			p++;
		if (*p == '\0')
			break;
		e = p;
		while (*e != '\0' && *e != ',' && *e != ' ')
			e++;
		a = bg_alg_find(p, (size_t)(e - p));
		if (a < 0)
			return -1;
		*mask |= 1u << a;
		p = e;
	}
	return *mask != 0 ? 0 : -1;
}

static int
bg_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	static const char *const info_opts[5] = {"source-organization", "contact-name", "contact-email",
	                                         "external-description", "external-identifier"};
	struct bg_state *st;
	const char *c, *p, *al;
	int i;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		host->error(ctx, "bagit: out of memory");
		return DG_FATAL;
	}
	st->dirfd = st->fd = -1;
	st->verify_max_files = 4000000;
	st->verify_max_tag = (int64_t)1 << 30;
	st->algs = (1u << BG_SHA512) | (1u << BG_SHA256);
	*state = st;
	if (opts == NULL)
		return DG_OK;
	c = host->opt_string(opts, "container");
	p = host->opt_string(opts, "parts");
	al = host->opt_string(opts, "algorithms");
	if (c == NULL || strcmp(c, "dir") == 0)
		st->container = BG_DIR;
	else if (strcmp(c, "zip") == 0)
		st->container = BG_ZIP;
	else if (strcmp(c, "tar") == 0)
		st->container = BG_TAR;
	else if (strcmp(c, "tgz") == 0 || strcmp(c, "tar.gz") == 0)
		st->container = BG_TGZ;
	else {
		host->error(ctx, "bagit: container '%s' is not dir, zip, tar or tgz", c);
		goto fail;
	}
	if (p == NULL || strcmp(p, "original") == 0)
		st->all_parts = false;
	else if (strcmp(p, "all") == 0)
		st->all_parts = true;
	else {
		host->error(ctx, "bagit: parts '%s' is not original or all", p);
		goto fail;
	}
	if (al != NULL && bg_parse_algs(al, &st->algs) != 0) {
		host->error(ctx, "bagit: algorithms '%s': use sha512, sha384, sha256, sha224, sha1 or md5", al);
		goto fail;
	}
	if (!(st->algs & ((1u << BG_SHA224) | (1u << BG_SHA256) | (1u << BG_SHA384) | (1u << BG_SHA512))))
		host->log(ctx, DG_LOG_WARN, "bagit: only MD5/SHA-1 manifests: RFC 8493 recommends SHA-512 or SHA-256");
	st->compress = host->opt_bool(opts, "compress") == 1;
	st->name = host->opt_string(opts, "name");
	if (st->name != NULL && (st->name[0] == '\0' || st->name[0] == '.' || strchr(st->name, '/') != NULL ||
	                         strlen(st->name) > BG_NAME_MAX)) {
		host->error(ctx, "bagit: name '%s' must be one plain path component", st->name);
		goto fail;
	}
	for (i = 0; i < 5; i++)
		st->info[i] = host->opt_string(opts, info_opts[i]);
	st->verify_max_files = host->opt_int(opts, "verify-max-files");
	st->verify_max_tag = host->opt_int(opts, "verify-max-tag-size");
	return DG_OK;
fail:
	/* the engine calls fini() only after a successful init() */
	free(st);
	*state = NULL;
	return DG_FATAL;
}

/* Release what a run holds (after success, or a failure at any point:
 * the engine removes the output itself). */
static void
bg_run_release(struct bg_state *st)
{
	size_t i;
	struct bg_loc l;

	if (st->a != NULL) {
		bg_loc_enter(st, &l);
		archive_write_free(st->a);
		bg_loc_leave(st, &l);
		st->a = NULL;
	}
	if (st->fd >= 0)
		close(st->fd);
	if (st->dirfd >= 0)
		close(st->dirfd);
	st->fd = st->dirfd = -1;
	for (i = 0; i < BG_ALG_N; i++) {
		if (st->spool[i] != NULL)
			fclose(st->spool[i]);
		st->spool[i] = NULL;
	}
	for (i = 0; i < st->capused; i++)
		free(st->used[i]);
	free(st->used);
	st->used = NULL;
	st->nused = st->capused = 0;
	for (i = 0; i < st->ntag; i++)
		free(st->tagname[i]);
	st->ntag = 0;
	free(st->top);
	st->top = NULL;
	if (st->loc != (locale_t)0)
		freelocale(st->loc);
	st->loc = (locale_t)0;
	st->running = false;
}

static void
bg_fini(void *state)
{
	struct bg_state *st = state;

	if (st == NULL)
		return;
	bg_run_release(st);
	free(st);
}

/* ------------------------------------------------------------------ */
/* Writing into the bag */

static int
bg_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
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

/* Create the directories leading to rel (a relative path with '/'). */
static int
bg_mkparents(int dirfd, const char *rel)
{
	char buf[BG_PATH_MAX + 1];
	size_t i, n = strlen(rel);

	if (n > BG_PATH_MAX)
		return -1;
	memcpy(buf, rel, n + 1);
	for (i = 0; i < n; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdirat(dirfd, buf, 0755) != 0 && errno != EEXIST)
			return -1;
		buf[i] = '/';
	}
	return 0;
}

/* A directory entry in a serialization (a bag directory is otherwise
 * implied by its files; tools extract better with it). */
static int
bg_put_dir(struct dg_ctx *ctx, const struct dg_host *host, struct bg_state *st, const char *rel)
{
	struct archive_entry *e;
	struct bg_loc l;
	char *full;
	int rc = -1;

	if (st->container == BG_DIR)
		return 0;
	full = rel[0] != '\0' ? bg_aprintf("%s/%s/", st->top, rel) : bg_aprintf("%s/", st->top);
	e = archive_entry_new();
	if (full == NULL || e == NULL)
		goto out;
	bg_loc_enter(st, &l);
	archive_entry_copy_pathname(e, full);
	archive_entry_set_filetype(e, AE_IFDIR);
	archive_entry_set_perm(e, 0755);
	archive_entry_set_mtime(e, st->started, 0);
	rc = archive_write_header(st->a, e) == ARCHIVE_OK ? 0 : -1;
	if (rc != 0)
		host->error(ctx, "bagit: %s: %s", full, archive_error_string(st->a));
	bg_loc_leave(st, &l);
out:
	archive_entry_free(e);
	free(full);
	return rc;
}

/*
 * Copy size bytes from src (a file descriptor, or mem when src < 0)
 * into the bag as rel, hashing them with every algorithm in mask into
 * dig.  The source must hold exactly size bytes.
 */
static int
bg_put(struct dg_ctx *ctx, const struct dg_host *host, struct bg_state *st, const char *rel, int src, const void *mem,
       int64_t size, unsigned mask, unsigned char dig[BG_ALG_N][BG_DIGEST_MAX])
{
	struct archive_entry *e = NULL;
	struct bg_hash h;
	struct bg_loc l;
	unsigned char *buf = NULL;
	char *full = NULL;
	int64_t done = 0;
	int out = -1, rc = -1;
	bool hashing = false, in_loc = false;
	ssize_t n;

	if (bg_hash_init(&h, mask) != 0) {
		host->error(ctx, "bagit: cannot start the digests");
		return -1;
	}
	hashing = true;
	if (src >= 0 && (buf = malloc(BG_CHUNK)) == NULL) {
		host->error(ctx, "bagit: out of memory");
		goto out;
	}
	if (st->container == BG_DIR) {
		if (bg_mkparents(st->dirfd, rel) != 0) {
			host->error(ctx, "bagit: cannot create the directories of %s: %s", rel, strerror(errno));
			goto out;
		}
		out = openat(st->dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (out < 0) {
			host->error(ctx, "bagit: cannot create %s: %s", rel, strerror(errno));
			goto out;
		}
	} else {
		full = bg_aprintf("%s/%s", st->top, rel);
		e = archive_entry_new();
		if (full == NULL || e == NULL) {
			host->error(ctx, "bagit: out of memory");
			goto out;
		}
		bg_loc_enter(st, &l);
		in_loc = true;
		archive_entry_copy_pathname(e, full);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, size);
		archive_entry_set_mtime(e, st->started, 0);
		if (archive_write_header(st->a, e) != ARCHIVE_OK) {
			host->error(ctx, "bagit: %s: %s", full, archive_error_string(st->a));
			goto out;
		}
	}
	while (done < size || src >= 0) {
		const void *p;
		size_t want;

		if (src >= 0) {
			want = BG_CHUNK;
			if ((int64_t)want > size - done + 1)
				want = (size_t)(size - done + 1); /* one more: notice growth */
			n = read(src, buf, want);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				host->error(ctx, "bagit: read error while copying %s: %s", rel, strerror(errno));
				goto out;
			}
			if (n == 0)
				break;
			p = buf;
		} else {
			n = (ssize_t)(size - done < (int64_t)BG_CHUNK ? size - done : (int64_t)BG_CHUNK);
			p = (const char *)mem + done;
		}
		if (done + n > size) {
			host->error(ctx, "bagit: %s changed size while it was copied", rel);
			goto out;
		}
		if (bg_hash_update(&h, p, (size_t)n) != 0) {
			host->error(ctx, "bagit: digest failure");
			goto out;
		}
		if (st->container == BG_DIR) {
			if (bg_write_all(out, p, (size_t)n) != 0) {
				host->error(ctx, "bagit: cannot write %s: %s", rel, strerror(errno));
				goto out;
			}
		} else if (archive_write_data(st->a, p, (size_t)n) != n) {
			host->error(ctx, "bagit: cannot write %s: %s", rel, archive_error_string(st->a));
			goto out;
		}
		done += n;
		if (DG_HOST_HAS(host, progress) && host->progress != NULL)
			host->progress(ctx, n);
	}
	if (done != size) {
		host->error(ctx, "bagit: %s: read %" PRId64 " bytes of %" PRId64, rel, done, size);
		goto out;
	}
	if (bg_hash_final(&h, dig) != 0) {
		host->error(ctx, "bagit: digest failure");
		goto out;
	}
	if (st->container != BG_DIR && archive_write_finish_entry(st->a) != ARCHIVE_OK) {
		host->error(ctx, "bagit: %s: %s", full, archive_error_string(st->a));
		goto out;
	}
	rc = 0;
out:
	if (in_loc)
		bg_loc_leave(st, &l);
	if (out >= 0 && close(out) != 0 && rc == 0) {
		host->error(ctx, "bagit: cannot write %s: %s", rel, strerror(errno));
		rc = -1;
	}
	if (hashing)
		bg_hash_release(&h);
	archive_entry_free(e);
	free(full);
	free(buf);
	return rc;
}

/* Append "digest  path" to each payload manifest spool. */
static int
bg_manifest_add(struct dg_ctx *ctx, const struct dg_host *host, struct bg_state *st, const char *rel,
                unsigned char dig[BG_ALG_N][BG_DIGEST_MAX])
{
	char hex[2 * BG_DIGEST_MAX + 1], *enc;
	int i, rc = 0;

	enc = bg_path_encode(rel);
	if (enc == NULL) {
		host->error(ctx, "bagit: out of memory");
		return -1;
	}
	for (i = 0; i < BG_ALG_N; i++) {
		if (!(st->algs & (1u << i)))
			continue;
		bg_hex(dig[i], bg_algs[i].len, hex);
		if (fprintf(st->spool[i], "%s  %s\n", hex, enc) < 0) {
			host->error(ctx, "bagit: cannot spool manifest-%s.txt: %s", bg_algs[i].name, strerror(errno));
			rc = -1;
			break;
		}
	}
	free(enc);
	return rc;
}

/* Put a tag file (from memory or a spool) and keep its digests for
 * the tag manifests. */
static int
bg_put_tag(struct dg_ctx *ctx, const struct dg_host *host, struct bg_state *st, const char *name, int src,
           const void *mem, int64_t size)
{
	size_t k = st->ntag;

	if (k >= sizeof(st->tagname) / sizeof(st->tagname[0]))
		return -1;
	st->tagname[k] = strdup(name);
	if (st->tagname[k] == NULL) {
		host->error(ctx, "bagit: out of memory");
		return -1;
	}
	st->ntag++;
	return bg_put(ctx, host, st, name, src, mem, size, st->algs, st->tagdig[k]);
}

/* ------------------------------------------------------------------ */
/* Names */

/* The serialized bag's top directory: the name option, else the output
 * name without its directory, leading dots, the engine's temporary
 * suffix (".partial-PID") and a .zip/.tar/.tar.gz/.tgz extension: the
 * file name less its extension, as RFC 8493 section 4.2 suggests. */
static char *
bg_top_name(const struct bg_state *st, const char *out)
{
	static const char *const exts[] = {".tar.gz", ".tgz", ".zip", ".tar", NULL};
	const char *b = strrchr(out, '/'), *p;
	size_t n, e, i;

	if (st->name != NULL)
		return strdup(st->name);
	b = b != NULL ? b + 1 : out;
	while (*b == '.')
		b++;
	n = strlen(b);
	p = strstr(b, ".partial-");
	if (p != NULL && p[9] != '\0' && strspn(p + 9, "0123456789") == strlen(p + 9))
		n = (size_t)(p - b);
	for (i = 0; exts[i] != NULL; i++) {
		e = strlen(exts[i]);
		if (n > e && strncasecmp(b + n - e, exts[i], e) == 0) {
			n -= e;
			break;
		}
	}
	if (n == 0)
		return strdup("bag");
	if (n > BG_NAME_MAX)
		n = BG_NAME_MAX;
	return strndup(b, n);
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), 0
 * if none starts there. */
static size_t
bg_utf8_len(const unsigned char *s, size_t n)
{
	uint32_t c;
	size_t k, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, c = s[0] & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && c < 0x800) || (k == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return k;
}

/*
 * A file name safe on every common file system: the last '/' component
 * of name, with control characters, invalid UTF-8 and the characters
 * Windows refuses (\ : * ? " < > |) as '_', no leading '.' or '-', no
 * trailing '.' or space, at most BG_NAME_MAX bytes (cut on a character
 * boundary, keeping a short extension).  NULL when nothing is left.
 */
static char *
bg_sanitize(const char *name)
{
	const unsigned char *s;
	const char *b = strrchr(name, '/');
	size_t n, i = 0, o = 0, k, extlen = 0;
	char *r;
	const char *ext;

	b = b != NULL ? b + 1 : name;
	s = (const unsigned char *)b;
	n = strlen(b);
	r = malloc(n + 1);
	if (r == NULL)
		return NULL;
	while (i < n) {
		k = bg_utf8_len(s + i, n - i);
		if (k == 0 || s[i] < 0x20 || s[i] == 0x7f || strchr("\\:*?\"<>|", s[i]) != NULL) {
			r[o++] = '_';
			i += k == 0 ? 1 : k;
			continue;
		}
		memcpy(r + o, s + i, k);
		o += k;
		i += k;
	}
	r[o] = '\0';
	for (i = 0; r[i] == '.' || r[i] == '-'; i++)
		r[i] = '_';
	while (o > 0 && (r[o - 1] == '.' || r[o - 1] == ' '))
		r[--o] = '\0';
	if (o > BG_NAME_MAX) {
		ext = strrchr(r, '.');
		if (ext != NULL && strlen(ext) <= 16)
			extlen = strlen(ext);
		k = BG_NAME_MAX - extlen;
		while (k > 0 && ((unsigned char)r[k] & 0xc0) == 0x80)
			k--;
		memmove(r + k, r + o - extlen, extlen + 1);
		o = k + extlen;
	}
	if (o == 0 || strspn(r, "_") == o) {
		free(r);
		return NULL;
	}
	return r;
}

/* A file-name extension for a media type ("" if none known). */
static const char *
bg_ext(const char *type)
{
	static const char *const map[][2] = {
	    {"application/pdf", ".pdf"},
	    {"text/plain", ".txt"},
	    {"text/html", ".html"},
	    {"application/xhtml+xml", ".xhtml"},
	    {"text/xml", ".xml"},
	    {"application/xml", ".xml"},
	    {"application/json", ".json"},
	    {"text/csv", ".csv"},
	    {"image/png", ".png"},
	    {"image/jpeg", ".jpg"},
	    {"image/tiff", ".tif"},
	    {"image/gif", ".gif"},
	    {"image/bmp", ".bmp"},
	    {"image/webp", ".webp"},
	    {"image/jp2", ".jp2"},
	    {"application/zip", ".zip"},
	    {"application/x-tar", ".tar"},
	    {"application/gzip", ".gz"},
	    {"application/x-gzip", ".gz"},
	    {"application/x-7z-compressed", ".7z"},
	    {"message/rfc822", ".eml"},
	    {"application/mbox", ".mbox"},
	    {"application/msword", ".doc"},
	    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"},
	    {"application/vnd.ms-excel", ".xls"},
	    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"},
	    {"application/ofd", ".ofd"},
	    {"application/vnd.hocr+html", ".hocr"},
	    {"application/octet-stream", ".bin"},
	};
	size_t i, n;

	if (type == NULL)
		return "";
	n = strcspn(type, "; ");
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i][0]) == n && strncasecmp(type, map[i][0], n) == 0)
			return map[i][1];
	return "";
}

/* The slot of name in a table of cap (a power of two) slots: where it
 * is, or the empty one where it would go. */
static size_t
bg_name_slot(char **tab, size_t cap, const char *name)
{
	size_t i = (size_t)bg_str_hash(name) & (cap - 1);

	while (tab[i] != NULL && strcmp(tab[i], name) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

/* Take a directory name for a document; 0, 1 when taken already, -1.
 * (A hash table: a list searched for every document made an export of
 * many documents quadratic.) */
static int
bg_use_name(struct bg_state *st, const char *name)
{
	size_t i, cap;
	char **nu;

	if (st->capused > 0 && st->used[bg_name_slot(st->used, st->capused, name)] != NULL)
		return 1;
	if (2 * (st->nused + 1) > st->capused) {
		cap = st->capused ? st->capused * 2 : 256;
		nu = calloc(cap, sizeof(*nu));
		if (nu == NULL)
			return -1;
		for (i = 0; i < st->capused; i++)
			if (st->used[i] != NULL)
				nu[bg_name_slot(nu, cap, st->used[i])] = st->used[i];
		free(st->used);
		st->used = nu;
		st->capused = cap;
	}
	i = bg_name_slot(st->used, st->capused, name);
	st->used[i] = strdup(name);
	if (st->used[i] == NULL)
		return -1;
	st->nused++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* export_begin */

static int
bg_begin(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *out)
{
	struct bg_state *st = state;
	static const char decl[] = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
	struct bg_loc l;
	int i, r;

	if (st->running)
		bg_run_release(st);
	st->running = true;
	st->exported = false;
	st->started = time(NULL);
	st->oxum_bytes = st->oxum_files = 0;
	st->loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	for (i = 0; i < BG_ALG_N; i++) {
		if (!(st->algs & (1u << i)))
			continue;
		st->spool[i] = tmpfile();
		if (st->spool[i] == NULL) {
			host->error(ctx, "bagit: cannot create a temporary file: %s", strerror(errno));
			goto fail;
		}
	}
	if (st->container == BG_DIR) {
		if (mkdir(out, 0755) != 0) {
			host->error(ctx, "bagit: cannot create %s: %s", out, strerror(errno));
			goto fail;
		}
		st->dirfd = open(out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (st->dirfd < 0 || mkdirat(st->dirfd, "data", 0755) != 0) {
			host->error(ctx, "bagit: cannot create %s/data: %s", out, strerror(errno));
			goto fail;
		}
	} else {
		st->top = bg_top_name(st, out);
		if (st->top == NULL) {
			host->error(ctx, "bagit: out of memory");
			goto fail;
		}
		st->fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (st->fd < 0) {
			host->error(ctx, "bagit: cannot create %s: %s", out, strerror(errno));
			goto fail;
		}
		bg_loc_enter(st, &l);
		st->a = archive_write_new();
		r = st->a == NULL ? ARCHIVE_FATAL : ARCHIVE_OK;
		if (r == ARCHIVE_OK && st->container == BG_ZIP) {
			r = archive_write_set_format_zip(st->a);
			if (r == ARCHIVE_OK)
				r = archive_write_set_options(
				    st->a, st->compress ? "zip:hdrcharset=UTF-8,zip:compression=deflate"
				                        : "zip:hdrcharset=UTF-8,zip:compression=store");
		} else if (r == ARCHIVE_OK) {
			r = archive_write_set_format_pax_restricted(st->a);
			if (r == ARCHIVE_OK && st->container == BG_TGZ)
				r = archive_write_add_filter_gzip(st->a);
		}
		if (r == ARCHIVE_OK)
			r = archive_write_set_bytes_in_last_block(st->a, 1);
		if (r == ARCHIVE_OK)
			r = archive_write_open_fd(st->a, st->fd);
		if (r != ARCHIVE_OK)
			host->error(ctx, "bagit: cannot start the %s: %s", st->container == BG_ZIP ? "zip" : "tar",
			            st->a != NULL ? archive_error_string(st->a) : "out of memory");
		bg_loc_leave(st, &l);
		if (r != ARCHIVE_OK)
			goto fail;
		if (bg_put_dir(ctx, host, st, "") != 0 || bg_put_dir(ctx, host, st, "data") != 0)
			goto fail;
	}
	if (bg_put_tag(ctx, host, st, "bagit.txt", -1, decl, (int64_t)strlen(decl)) != 0)
		goto fail;
	return DG_OK;
fail:
	bg_run_release(st);
	return DG_FATAL;
}

/* ------------------------------------------------------------------ */
/* process: one stored document */

/* An XML-safe copy of s: invalid UTF-8 and characters XML 1.0 refuses
 * become U+FFFD. */
static char *
bg_xml_clean(const char *s)
{
	const unsigned char *u = (const unsigned char *)(s != NULL ? s : "");
	size_t n = strlen((const char *)u), i = 0, o = 0, k;
	char *r = malloc(n * 3 + 1);

	if (r == NULL)
		return NULL;
	while (i < n) {
		k = bg_utf8_len(u + i, n - i);
		if (k == 0 || (u[i] < 0x20 && u[i] != '\t' && u[i] != '\n' && u[i] != '\r') ||
		    (k == 3 && u[i] == 0xef && u[i + 1] == 0xbf && (u[i + 2] == 0xbe || u[i + 2] == 0xbf))) {
			memcpy(r + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += k == 0 ? 1 : k;
			continue;
		}
		memcpy(r + o, u + i, k);
		o += k;
		i += k;
	}
	r[o] = '\0';
	return r;
}

static int
bg_xattr(xmlTextWriterPtr w, const char *name, const char *value)
{
	char *c;
	int rc;

	if (value == NULL)
		return 0;
	c = bg_xml_clean(value);
	if (c == NULL)
		return -1;
	rc = xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST c) < 0 ? -1 : 0;
	free(c);
	return rc;
}

static int
bg_xtext(xmlTextWriterPtr w, const char *value)
{
	char *c = bg_xml_clean(value);
	int rc;

	if (c == NULL)
		return -1;
	rc = xmlTextWriterWriteString(w, BAD_CAST c) < 0 ? -1 : 0;
	free(c);
	return rc;
}

/* ISO 8601 UTC with microseconds. */
static void
bg_time(int64_t us, char *buf, size_t cap)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char d[32];

	if (us <= 0 || gmtime_r(&t, &tm) == NULL || strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, cap, "%s.%06dZ", d, (int)(us % 1000000));
}

/*
 * The document's record, streamed with xmlTextWriter into a spool:
 *   <document xmlns="urn:dangan:bagit:1" id version created mediaType>
 *     <metadata><meta key="...">value</meta>...</metadata>
 *     <parts><part role mediaType id size path sha512 sha256 .../></parts>
 *     <relations><relation kind id label/></relations>
 *     <events><event type stage plugin pluginVersion outcome at durationUs>message</event></events>
 *     <previousVersions><version id created/></previousVersions>
 *   </document>
 * path is relative to the document's directory; digests are those of
 * the bytes written into the bag.
 */
static int
bg_metadata(struct dg_ctx *ctx, const struct dg_host *host, struct bg_state *st, struct dg_doc *doc,
            const struct bg_part *parts, size_t nparts, size_t dirlen, FILE *f)
{
	xmlOutputBufferPtr ob;
	xmlTextWriterPtr w = NULL;
	struct dg_event_info ev;
	struct dg_relation_info rel;
	struct dg_doc *prev;
	const char *k, *v;
	char num[64], hex[2 * BG_DIGEST_MAX + 1];
	size_t i;
	int a, rc = -1;

	ob = xmlOutputBufferCreateFile(f, NULL);
	if (ob == NULL || (w = xmlNewTextWriter(ob)) == NULL) {
		if (ob != NULL)
			xmlOutputBufferClose(ob);
		goto out;
	}
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST " ");
	if (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElementNS(w, NULL, BAD_CAST "document", BAD_CAST "urn:dangan:bagit:1") < 0 ||
	    bg_xattr(w, "id", host->doc_id(doc)) != 0 || bg_xattr(w, "version", host->doc_version(doc)) != 0)
		goto out;
	bg_time(host->doc_created(doc), num, sizeof(num));
	if ((num[0] != '\0' && bg_xattr(w, "created", num) != 0) ||
	    bg_xattr(w, "mediaType", host->media_type(doc)) != 0)
		goto out;

	if (xmlTextWriterStartElement(w, BAD_CAST "metadata") < 0)
		goto out;
	for (i = 0; host->meta_n(doc, i, &k, &v) == 0; i++) {
		if (xmlTextWriterStartElement(w, BAD_CAST "meta") < 0 || bg_xattr(w, "key", k) != 0 ||
		    bg_xtext(w, v) != 0 || xmlTextWriterEndElement(w) < 0)
			goto out;
	}
	if (xmlTextWriterEndElement(w) < 0 || xmlTextWriterStartElement(w, BAD_CAST "parts") < 0)
		goto out;
	for (i = 0; i < nparts; i++) {
		const struct bg_part *p = &parts[i];

		snprintf(num, sizeof(num), "%" PRId64, p->info.size);
		if (xmlTextWriterStartElement(w, BAD_CAST "part") < 0 || bg_xattr(w, "role", p->info.role) != 0 ||
		    bg_xattr(w, "mediaType", p->info.media_type) != 0 || bg_xattr(w, "id", p->info.id) != 0 ||
		    bg_xattr(w, "size", num) != 0)
			goto out;
		if (p->rel != NULL) {
			if (bg_xattr(w, "path", p->rel + dirlen + 1) != 0)
				goto out;
			for (a = BG_ALG_N - 1; a >= 0; a--) {
				if (!(st->algs & (1u << a)))
					continue;
				bg_hex(p->dig[a], bg_algs[a].len, hex);
				if (bg_xattr(w, bg_algs[a].name, hex) != 0)
					goto out;
			}
		}
		if (xmlTextWriterEndElement(w) < 0)
			goto out;
	}
	if (xmlTextWriterEndElement(w) < 0 || xmlTextWriterStartElement(w, BAD_CAST "relations") < 0)
		goto out;
	for (i = 0; host->relation_n(doc, i, &rel) == 0; i++) {
		if (xmlTextWriterStartElement(w, BAD_CAST "relation") < 0 || bg_xattr(w, "kind", rel.kind) != 0 ||
		    bg_xattr(w, "id", rel.id) != 0 || bg_xattr(w, "label", rel.label) != 0 ||
		    xmlTextWriterEndElement(w) < 0)
			goto out;
	}
	if (xmlTextWriterEndElement(w) < 0 || xmlTextWriterStartElement(w, BAD_CAST "events") < 0)
		goto out;
	for (i = 0; host->event_n(doc, i, &ev) == 0; i++) {
		if (xmlTextWriterStartElement(w, BAD_CAST "event") < 0 || bg_xattr(w, "type", ev.type) != 0 ||
		    bg_xattr(w, "stage", ev.stage) != 0 || bg_xattr(w, "plugin", ev.plugin) != 0 ||
		    bg_xattr(w, "pluginVersion", ev.plugin_version) != 0 || bg_xattr(w, "outcome", ev.outcome) != 0)
			goto out;
		bg_time(ev.at_us, num, sizeof(num));
		if (num[0] != '\0' && bg_xattr(w, "at", num) != 0)
			goto out;
		snprintf(num, sizeof(num), "%" PRId64, ev.duration_us);
		if (bg_xattr(w, "durationUs", num) != 0 || (ev.message != NULL && bg_xtext(w, ev.message) != 0) ||
		    xmlTextWriterEndElement(w) < 0)
			goto out;
	}
	if (xmlTextWriterEndElement(w) < 0 || xmlTextWriterStartElement(w, BAD_CAST "previousVersions") < 0)
		goto out;
	for (prev = host->doc_previous(ctx, doc), i = 0; prev != NULL && i < 100000;
	     prev = host->doc_previous(ctx, prev), i++) {
		bg_time(host->doc_created(prev), num, sizeof(num));
		if (xmlTextWriterStartElement(w, BAD_CAST "version") < 0 ||
		    bg_xattr(w, "id", host->doc_version(prev)) != 0 ||
		    (num[0] != '\0' && bg_xattr(w, "created", num) != 0) || xmlTextWriterEndElement(w) < 0)
			goto out;
	}
	if (xmlTextWriterEndElement(w) < 0 || xmlTextWriterEndDocument(w) < 0)
		goto out;
	rc = 0;
out:
	if (w != NULL)
		xmlFreeTextWriter(w);
	if (rc != 0)
		host->error(ctx, "bagit: cannot write the metadata record of %s", host->doc_id(doc));
	return rc;
}

/* Export one part (or the metadata spool) as rel, checking the SHA-256
 * against the part's id when it has one. */
static int
bg_put_part(struct dg_ctx *ctx, const struct dg_host *host, struct bg_state *st, struct bg_part *p)
{
	struct stat sb;
	char hex[2 * BG_DIGEST_MAX + 1];
	int fd, rc = -1;

	fd = open(p->info.path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		host->error(ctx, "bagit: cannot read %s: %s", p->info.path, fd < 0 ? strerror(errno) : "not a file");
		goto out;
	}
	if (bg_put(ctx, host, st, p->rel, fd, NULL, (int64_t)sb.st_size, st->algs | (1u << BG_SHA256), p->dig) != 0)
		goto out;
	bg_hex(p->dig[BG_SHA256], 32, hex);
	if (p->info.id != NULL && strncmp(p->info.id, "sha256:", 7) == 0 && strcmp(p->info.id + 7, hex) != 0) {
		host->error(ctx, "bagit: %s: the store object reads as sha256:%s, not %s (damaged store?)",
		            p->info.path, hex, p->info.id);
		goto out;
	}
	if (bg_manifest_add(ctx, host, st, p->rel, p->dig) != 0)
		goto out;
	st->oxum_bytes += (int64_t)sb.st_size;
	st->oxum_files++;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Does the name collide (ignoring case) with what the exporter puts
 * beside the original? */
static bool
bg_reserved(const char *name)
{
	return strcasecmp(name, "metadata.xml") == 0 || strcasecmp(name, "parts") == 0;
}

static int
bg_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	struct bg_state *st = state;
	struct bg_part *parts = NULL;
	struct dg_part_info pi;
	const char *id, *hexid, *srcname;
	char dir[80], *name = NULL, *s, role[64];
	size_t n = 0, i, j, dirlen, have_orig = 0;
	bool parts_dir = false;
	unsigned dup;
	int rc = DG_FAILED, r;
	FILE *meta = NULL;
	struct stat sb;
	struct bg_part mp;

	memset(&mp, 0, sizeof(mp));
	if (!st->running) {
		host->error(ctx, "bagit: process() outside an export");
		return DG_FATAL;
	}
	id = host->doc_id(doc);
	if (id == NULL)
		id = host->doc_version(doc);
	if (id == NULL) {
		host->error(ctx, "bagit: a stored document without an id");
		return DG_FAILED;
	}
	hexid = strchr(id, ':');
	hexid = hexid != NULL ? hexid + 1 : id;
	if (strlen(hexid) < 16 || strspn(hexid, "0123456789abcdef") != strlen(hexid) || strlen(hexid) > 64) {
		host->error(ctx, "bagit: unexpected document id %s", id);
		return DG_FAILED;
	}
	snprintf(dir, sizeof(dir), "data/%.16s", hexid);
	r = bg_use_name(st, dir);
	if (r == 1) {
		snprintf(dir, sizeof(dir), "data/%s", hexid);
		r = bg_use_name(st, dir);
		if (r == 1) {
			host->log(ctx, DG_LOG_WARN, "bagit: %s selected twice; exported once", id);
			return DG_OK;
		}
	}
	if (r < 0) {
		host->error(ctx, "bagit: out of memory");
		return DG_FATAL;
	}
	dirlen = strlen(dir);
	if (bg_put_dir(ctx, host, st, dir) != 0)
		goto out;

	/* the parts to export */
	for (i = 0; i < BG_PARTS_MAX && host->part_n(doc, i, &pi) == 0; i++)
		;
	parts = calloc(i + 1, sizeof(*parts));
	if (parts == NULL) {
		host->error(ctx, "bagit: out of memory");
		goto out;
	}
	for (j = 0; j < i && host->part_n(doc, j, &parts[n].info) == 0; j++, n++)
		if (parts[n].info.role != NULL && strcmp(parts[n].info.role, DG_ROLE_ORIGINAL) == 0)
			have_orig++;
	if (have_orig == 0 && host->part_path(doc, DG_ROLE_ORIGINAL) != NULL) {
		parts[n].info.role = DG_ROLE_ORIGINAL;
		parts[n].info.path = host->part_path(doc, DG_ROLE_ORIGINAL);
		parts[n].info.media_type = host->media_type(doc);
		parts[n].info.id = host->doc_id(doc);
		parts[n].info.size = host->part_size(doc, DG_ROLE_ORIGINAL);
		n++;
	}
	for (i = 0; i < n; i++) {
		struct bg_part *p = &parts[i];
		bool orig = p->info.role != NULL && strcmp(p->info.role, DG_ROLE_ORIGINAL) == 0;

		if (p->info.path == NULL || (!orig && !st->all_parts))
			continue;
		if (orig) {
			srcname = host->meta_get(doc, "source.name");
			free(name);
			name = srcname != NULL ? bg_sanitize(srcname) : NULL;
			if (name == NULL)
				name = bg_aprintf("original%s", bg_ext(p->info.media_type ? p->info.media_type
				                                                          : host->media_type(doc)));
			if (name != NULL && bg_reserved(name)) {
				s = bg_aprintf("original-%s", name);
				free(name);
				name = s;
			}
			p->rel = name != NULL ? bg_aprintf("%s/%s", dir, name) : NULL;
			/* a second original (should not happen): keep both */
			for (j = 0; p->rel != NULL && j < i; j++)
				if (parts[j].rel != NULL && strcmp(parts[j].rel, p->rel) == 0) {
					free(p->rel);
					p->rel = bg_aprintf("%s/%zu-%s", dir, i, name);
					break;
				}
		} else {
			for (j = 0; p->info.role != NULL && p->info.role[j] != '\0' && j < sizeof(role) - 1; j++) {
				char c = p->info.role[j];
				role[j] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				           c == '-' || c == '_')
				              ? c
				              : '_';
			}
			if (j == 0)
				role[j++] = 'x';
			role[j] = '\0';
			for (dup = 1;; dup++) {
				free(p->rel);
				p->rel = dup == 1 ? bg_aprintf("%s/parts/%s%s", dir, role, bg_ext(p->info.media_type))
				                  : bg_aprintf("%s/parts/%s-%u%s", dir, role, dup,
				                               bg_ext(p->info.media_type));
				if (p->rel == NULL)
					break;
				for (j = 0; j < i; j++)
					if (parts[j].rel != NULL && strcmp(parts[j].rel, p->rel) == 0)
						break;
				if (j == i)
					break;
			}
		}
		if (p->rel == NULL) {
			host->error(ctx, "bagit: out of memory");
			goto out;
		}
		if (!orig && !parts_dir) {
			s = bg_aprintf("%s/parts", dir);
			r = s != NULL ? bg_put_dir(ctx, host, st, s) : -1;
			free(s);
			if (r != 0)
				goto out;
			parts_dir = true;
		}
		if (bg_put_part(ctx, host, st, p) != 0)
			goto out;
	}

	/* the record */
	meta = tmpfile();
	if (meta == NULL) {
		host->error(ctx, "bagit: cannot create a temporary file: %s", strerror(errno));
		goto out;
	}
	if (bg_metadata(ctx, host, st, doc, parts, n, dirlen, meta) != 0)
		goto out;
	if (fflush(meta) != 0 || fstat(fileno(meta), &sb) != 0 || lseek(fileno(meta), 0, SEEK_SET) != 0) {
		host->error(ctx, "bagit: cannot spool the metadata record: %s", strerror(errno));
		goto out;
	}
	mp.rel = bg_aprintf("%s/metadata.xml", dir);
	if (mp.rel == NULL ||
	    bg_put(ctx, host, st, mp.rel, fileno(meta), NULL, (int64_t)sb.st_size, st->algs, mp.dig) != 0 ||
	    bg_manifest_add(ctx, host, st, mp.rel, mp.dig) != 0)
		goto out;
	st->oxum_bytes += (int64_t)sb.st_size;
	st->oxum_files++;
	rc = DG_OK;
out:
	if (meta != NULL)
		fclose(meta);
	free(mp.rel);
	for (i = 0; parts != NULL && i < n; i++)
		free(parts[i].rel);
	free(parts);
	free(name);
	return rc;
}

/* ------------------------------------------------------------------ */
/* export_end */

/* Append "Label: value" to buf, folded at spaces near 79 columns;
 * CR, LF and other control characters in value become spaces. */
static int
bg_info_add(char **buf, size_t *len, const char *label, const char *value)
{
	size_t need = strlen(label) + strlen(value) * 2 + 8, col, i, o;
	char *nb;

	nb = realloc(*buf, *len + need);
	if (nb == NULL)
		return -1;
	*buf = nb;
	o = *len;
	o += (size_t)snprintf(nb + o, need, "%s: ", label);
	col = strlen(label) + 2;
	for (i = 0; value[i] != '\0'; i++) {
		char c = (unsigned char)value[i] < 0x20 || value[i] == 0x7f ? ' ' : value[i];
		if (c == ' ' && col >= 72 && value[i + 1] != '\0') {
			nb[o++] = '\n';
			nb[o++] = ' ';
			col = 1;
			continue;
		}
		nb[o++] = c;
		col++;
	}
	nb[o++] = '\n';
	nb[o] = '\0';
	*len = o;
	return 0;
}

static void
bg_size_text(int64_t n, char *buf, size_t cap)
{
	static const char *const unit[] = {"bytes", "KB", "MB", "GB", "TB", "PB"};
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, cap, "%" PRId64 " bytes", n);
	else
		snprintf(buf, cap, "%.1f %s", v, unit[u]);
}

static int
bg_end(struct dg_ctx *ctx, const struct dg_host *host, void *state)
{
	static const char *const info_labels[5] = {"Source-Organization", "Contact-Name", "Contact-Email",
	                                           "External-Description", "External-Identifier"};
	struct bg_state *st = state;
	char *info = NULL, *tm = NULL, num[64], hex[2 * BG_DIGEST_MAX + 1], date[32], name[64];
	size_t len = 0, tlen, k;
	struct tm t;
	struct stat sb;
	struct bg_loc l;
	int i, rc = DG_FATAL;

	if (!st->running) {
		host->error(ctx, "bagit: export_end() without export_begin()");
		return DG_FATAL;
	}
	/* payload manifests */
	for (i = 0; i < BG_ALG_N; i++) {
		if (!(st->algs & (1u << i)))
			continue;
		snprintf(name, sizeof(name), "manifest-%s.txt", bg_algs[i].name);
		if (fflush(st->spool[i]) != 0 || fstat(fileno(st->spool[i]), &sb) != 0 ||
		    lseek(fileno(st->spool[i]), 0, SEEK_SET) != 0) {
			host->error(ctx, "bagit: cannot read back the spooled %s: %s", name, strerror(errno));
			goto out;
		}
		if (bg_put_tag(ctx, host, st, name, fileno(st->spool[i]), NULL, (int64_t)sb.st_size) != 0)
			goto out;
	}
	/* bag-info.txt */
	gmtime_r(&st->started, &t);
	strftime(date, sizeof(date), "%Y-%m-%d", &t);
	for (i = 0; i < 5; i++)
		if (st->info[i] != NULL && st->info[i][0] != '\0' &&
		    bg_info_add(&info, &len, info_labels[i], st->info[i]) != 0)
			goto oom;
	if (bg_info_add(&info, &len, "Bagging-Date", date) != 0 ||
	    bg_info_add(&info, &len, "Bag-Software-Agent", "dangan " PACKAGE_VERSION " (bagit " BG_VERSION ")") != 0)
		goto oom;
	bg_size_text(st->oxum_bytes, num, sizeof(num));
	if (bg_info_add(&info, &len, "Bag-Size", num) != 0)
		goto oom;
	snprintf(num, sizeof(num), "%" PRId64 ".%" PRId64, st->oxum_bytes, st->oxum_files);
	if (bg_info_add(&info, &len, "Payload-Oxum", num) != 0)
		goto oom;
	if (bg_put_tag(ctx, host, st, "bag-info.txt", -1, info, (int64_t)len) != 0)
		goto out;
	/* tag manifests: every tag file above, per algorithm */
	for (i = 0; i < BG_ALG_N; i++) {
		unsigned char dig[BG_ALG_N][BG_DIGEST_MAX];

		if (!(st->algs & (1u << i)))
			continue;
		tlen = 0;
		for (k = 0; k < st->ntag; k++) {
			char *nt = realloc(tm, tlen + 2 * BG_DIGEST_MAX + strlen(st->tagname[k]) + 8);
			if (nt == NULL)
				goto oom;
			tm = nt;
			bg_hex(st->tagdig[k][i], bg_algs[i].len, hex);
			tlen += (size_t)snprintf(tm + tlen, 2 * BG_DIGEST_MAX + strlen(st->tagname[k]) + 8, "%s  %s\n",
			                         hex, st->tagname[k]);
		}
		snprintf(name, sizeof(name), "tagmanifest-%s.txt", bg_algs[i].name);
		if (bg_put(ctx, host, st, name, -1, tm, (int64_t)tlen, st->algs, dig) != 0)
			goto out;
	}
	/* durable */
	if (st->container == BG_DIR) {
#ifdef HAVE_SYNCFS
		if (syncfs(st->dirfd) != 0) {
#else
		if (fsync(st->dirfd) != 0) {
#endif
			host->error(ctx, "bagit: cannot sync the bag: %s", strerror(errno));
			goto out;
		}
	} else {
		bg_loc_enter(st, &l);
		i = archive_write_close(st->a);
		if (i != ARCHIVE_OK)
			host->error(ctx, "bagit: cannot finish the archive: %s", archive_error_string(st->a));
		bg_loc_leave(st, &l);
		if (i != ARCHIVE_OK)
			goto out;
		if (fsync(st->fd) != 0) {
			host->error(ctx, "bagit: cannot sync the archive: %s", strerror(errno));
			goto out;
		}
	}
	host->log(ctx, DG_LOG_INFO, "bagit: %" PRId64 " payload files, %" PRId64 " bytes", st->oxum_files,
	          st->oxum_bytes);
	st->exported = true;
	rc = DG_OK;
	goto out;
oom:
	host->error(ctx, "bagit: out of memory");
out:
	free(info);
	free(tm);
	bg_run_release(st);
	return rc;
}

/* verify(): any bag, with this instance's limits (defaults without one). */
static int
bg_verify_cb(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *path)
{
	const struct bg_state *st = state;
	struct bg_limits lim = {4000000, (int64_t)1 << 30, -1};
	int i;

	if (st != NULL) {
		lim.max_files = st->verify_max_files;
		lim.max_tag_bytes = st->verify_max_tag;
		/* this instance's own bag: the fastest strong algorithm of it */
		for (i = 0; st->exported && lim.payload_alg < 0 && i < BG_ALG_N; i++) {
			static const int pref[BG_ALG_N] = {BG_SHA256, BG_SHA512, BG_SHA384, BG_SHA224, BG_SHA1, BG_MD5};
			if ((st->algs & (1u << pref[i])) && bg_algs[pref[i]].strong)
				lim.payload_alg = pref[i];
		}
	}
	return bg_verify(ctx, host, &lim, path);
}

static const struct dg_plugin bg_plugin = {
    DG_PLUGIN_HEADER,         .name = "bagit",
    .version = BG_VERSION,    .summary = "BagIt 1.0 (RFC 8493) export as a directory, zip or tar, and bag verification",
    .kind = DG_KIND_EXPORT,   .flags = DG_PLUGIN_CHECKS_FIXITY,
    .options = bg_options,    .init = bg_init,
    .fini = bg_fini,          .process = bg_process,
    .export_begin = bg_begin, .export_end = bg_end,
    .verify = bg_verify_cb,
};

DG_PLUGIN_DEFINE(bg_plugin)
