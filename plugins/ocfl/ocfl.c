/*
 * plugins/ocfl/ocfl.c -- export stored documents as an OCFL 1.1
 * storage root, and validate OCFL storage roots and objects (verify.c).
 *
 * The storage root uses the community extension 0004 (hashed n-tuple
 * layout: sha256 of the object id, three tuples of three hex digits,
 * the full digest as the object directory).  Each stored document is
 * one object whose id is the document id, "sha256:<hex>" (the digest of
 * its original, as `dangan cat` and `dangan show` take it).  The
 * object's versions v1..vN are the document's manifest history, oldest
 * first; the state of each version is that version's parts:
 *
 *   <source.name>            the original under its source file name
 *                            (else "original" and an extension from its
 *                            media type)
 *   derived/<role>.<ext>     each derived part (text, hOCR, pages, ...)
 *   dangan.json              the version as the engine stored it: id,
 *                            version (manifest id), created, media type,
 *                            metadata, parts (role, type, id, size, path),
 *                            events (the provenance history), relations
 *
 * The inventory's digestAlgorithm is sha512 and its fixity block gives
 * sha256 (the store's own ids), for every content file.  A file's bytes
 * are stored once per object: content paths are in the version that
 * first had those bytes, later versions refer to them.  Each content
 * file is read once, in chunks, its sha512 computed while it is copied
 * and its sha256 checked against the store's id.
 */
#include <config.h>

#include "ocfl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define OCFL_PATH_MAX 4096    /* longest path written */
#define OCFL_NAME_MAX 200     /* longest logical file name kept from source.name */
#define OCFL_CHAIN_MAX 100000 /* versions of one document */
#define OCFL_MESSAGE_MAX 1000 /* bytes of a version message */
#define OCFL_META_NAME "dangan.json"

static const struct dg_option ocfl_options[] = {
    {.name = "user-name",
     .type = DG_OPT_STRING,
     .default_value = "dangan",
     .help = "the user name of every version in the inventories",
     .min = 0,
     .max = 0},
    {.name = "user-address",
     .type = DG_OPT_STRING,
     .default_value = "urn:dangan:engine",
     .help = "the user address (a URI: mailto:, https:, urn:) of every version; empty for none",
     .min = 0,
     .max = 0},
    {.name = "max-inventory",
     .type = DG_OPT_SIZE,
     .default_value = "64M",
     .help = "verify and import: largest inventory.json (or ocfl_layout.json, dangan.json) read",
     .min = 1024,
     .max = (int64_t)1 << 40},
    {.name = NULL},
};

struct ocfl_state {
	const struct dg_host *host;
	char *out;
	char *user_name, *user_address;
	int64_t max_inv;
	long objects, versions, files;
};

/* ---------------------------------------------------------------- */
/* small helpers */

static void
ocfl_rfc3339(int64_t us, int frac, char *out, size_t cap)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (us < 0)
		t = 0;
	gmtime_r(&t, &tm);
	if (frac)
		snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		         tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us % 1000000));
	else
		snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		         tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* snprintf that fails (-1, errno ENAMETOOLONG) instead of truncating */
static int DG_PRINTF(3, 4) ocfl_fmt(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
ocfl_mkdir(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

/* mkdir -p of the directories of path below base (base exists) */
static int
ocfl_mkdirs(char *path, size_t base)
{
	size_t i, n = strlen(path);

	for (i = base + 1; i < n; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (ocfl_mkdir(path) < 0) {
			path[i] = '/';
			return -1;
		}
		path[i] = '/';
	}
	return 0;
}

static int
ocfl_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A small text file, created (never over an existing one). */
static int
ocfl_write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	int rc;

	if (fd < 0)
		return -1;
	rc = ocfl_write_all(fd, text, strlen(text));
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

/* A JSON file written while hashed (sha512 and sha256). */
struct ocfl_jw {
	int fd;
	int failed;
	struct ocfl_digest d;
};

static int
ocfl_jw_cb(const char *buf, size_t len, void *arg)
{
	struct ocfl_jw *w = arg;

	if (ocfl_write_all(w->fd, buf, len) < 0 || ocfl_digest_update(&w->d, buf, len) < 0) {
		w->failed = 1;
		return -1;
	}
	return 0;
}

static int
ocfl_write_json(const char *path, json_t *j, char hex[OCFL_ALG_N][OCFL_HEX_MAX])
{
	struct ocfl_jw w;
	int rc = -1;

	memset(&w, 0, sizeof(w));
	w.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (w.fd < 0)
		return -1;
	if (ocfl_digest_begin(&w.d, (1u << OCFL_SHA512) | (1u << OCFL_SHA256)) < 0)
		goto out;
	if (json_dump_callback(j, ocfl_jw_cb, &w, JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0 || w.failed ||
	    ocfl_jw_cb("\n", 1, &w) != 0) {
		ocfl_digest_release(&w.d);
		goto out;
	}
	if (ocfl_digest_end(&w.d, hex) < 0)
		goto out;
	rc = 0;
out:
	if (close(w.fd) != 0)
		rc = -1;
	return rc;
}

/* inventory.json and its sidecar in dir */
static int
ocfl_write_inventory(const char *dir, json_t *inv)
{
	char path[OCFL_PATH_MAX], line[OCFL_HEX_MAX + 32], hex[OCFL_ALG_N][OCFL_HEX_MAX];

	if (ocfl_fmt(path, sizeof(path), "%s/inventory.json", dir) < 0 || ocfl_write_json(path, inv, hex) < 0 ||
	    ocfl_fmt(path, sizeof(path), "%s/inventory.json.sha512", dir) < 0)
		return -1;
	snprintf(line, sizeof(line), "%s inventory.json\n", hex[OCFL_SHA512]);
	return ocfl_write_text(path, line);
}

/* Copy a stored part into the package, computing its sha512 on the
 * way, and its sha256: bytes that are not the store's id any more (a
 * rotten object) are never exported as if intact. */
static int
ocfl_copy(struct dg_ctx *ctx, const struct dg_host *host, const char *src, const char *dst, int64_t size,
          const char *sha256, char sha512[OCFL_HEX_MAX])
{
	struct ocfl_digest d;
	char hex[OCFL_ALG_N][OCFL_HEX_MAX];
	char *buf = NULL;
	int in = -1, out = -1, rc = -1, started = 0;
	int64_t total = 0;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		host->error(ctx, "cannot open %s: %s", src, strerror(errno));
		goto out;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0) {
		host->error(ctx, "cannot create %s: %s", dst, strerror(errno));
		goto out;
	}
	buf = malloc(OCFL_BLOCK);
	if (!buf || ocfl_digest_begin(&d, (1u << OCFL_SHA512) | (1u << OCFL_SHA256)) < 0) {
		host->error(ctx, "out of memory");
		goto out;
	}
	started = 1;
	for (;;) {
		ssize_t n = read(in, buf, OCFL_BLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			host->error(ctx, "cannot read %s: %s", src, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (ocfl_digest_update(&d, buf, (size_t)n) < 0 || ocfl_write_all(out, buf, (size_t)n) < 0) {
			host->error(ctx, "cannot write %s: %s", dst, strerror(errno));
			goto out;
		}
		total += n;
		if (DG_HOST_HAS(host, progress))
			host->progress(ctx, n);
	}
	if (size >= 0 && total != size) {
		host->error(ctx, "%s has %" PRId64 " bytes, the store says %" PRId64, src, total, size);
		goto out;
	}
	started = 0;
	if (ocfl_digest_end(&d, hex) < 0) {
		host->error(ctx, "cannot compute the digests of %s", src);
		goto out;
	}
	if (strcasecmp(hex[OCFL_SHA256], sha256) != 0) {
		host->error(ctx, "sha256:%s: the store object read back as sha256:%s", sha256, hex[OCFL_SHA256]);
		goto out;
	}
	memcpy(sha512, hex[OCFL_SHA512], OCFL_HEX_MAX);
	rc = 0;
out:
	if (started)
		ocfl_digest_release(&d);
	free(buf);
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && rc == 0) {
		host->error(ctx, "cannot write %s: %s", dst, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* ---------------------------------------------------------------- */
/* logical paths */

static const char *
ocfl_ext(const char *type)
{
	static const struct {
		const char *type, *ext;
	} map[] = {
	    {"application/pdf", ".pdf"},
	    {"application/ofd", ".ofd"},
	    {"application/zip", ".zip"},
	    {"application/x-tar", ".tar"},
	    {"application/gzip", ".gz"},
	    {"application/x-7z-compressed", ".7z"},
	    {"application/x-cpio", ".cpio"},
	    {"application/x-xz", ".xz"},
	    {"application/zstd", ".zst"},
	    {"application/xml", ".xml"},
	    {"application/json", ".json"},
	    {"application/mbox", ".mbox"},
	    {"application/msword", ".doc"},
	    {"application/vnd.ms-excel", ".xls"},
	    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"},
	    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"},
	    {"application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"},
	    {"application/rtf", ".rtf"},
	    {"message/rfc822", ".eml"},
	    {"image/tiff", ".tif"},
	    {"image/png", ".png"},
	    {"image/jpeg", ".jpg"},
	    {"image/jp2", ".jp2"},
	    {"image/gif", ".gif"},
	    {"image/bmp", ".bmp"},
	    {"image/webp", ".webp"},
	    {"image/x-portable-anymap", ".pnm"},
	    {"text/plain", ".txt"},
	    {"text/html", ".html"},
	    {"text/vnd.hocr+html", ".hocr"},
	    {"text/xml", ".xml"},
	    {"text/csv", ".csv"},
	    {"text/markdown", ".md"},
	};
	size_t i, n;

	if (!type)
		return ".bin";
	n = strcspn(type, "; ");
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].type) == n && strncmp(map[i].type, type, n) == 0)
			return map[i].ext;
	if (strncmp(type, "text/", 5) == 0)
		return ".txt";
	return ".bin";
}

/* Is s valid UTF-8 without control characters? */
static int
ocfl_clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n;
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p < 0x80)
			n = 0;
		else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
			n = 1;
		else if ((*p & 0xf0) == 0xe0)
			n = 2;
		else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
			n = 3;
		else
			return 0;
		p++;
		while (n--) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			p++;
		}
	}
	return 1;
}

/* The logical name of the original: its source file name when that is
 * a usable single path element, else "original" and an extension. */
static void
ocfl_original_name(const struct dg_host *host, struct dg_doc *doc, const char *type, char *out, size_t cap)
{
	const char *name = host->meta_get(doc, "source.name"), *slash;

	if (name) {
		slash = strrchr(name, '/');
		if (slash)
			name = slash + 1;
	}
	if (name && *name && strlen(name) <= OCFL_NAME_MAX && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
	    ocfl_clean_utf8(name) && strcmp(name, OCFL_META_NAME) != 0 && strcmp(name, "derived") != 0) {
		snprintf(out, cap, "%s", name);
		return;
	}
	snprintf(out, cap, "original%s", ocfl_ext(type));
}

/* derived/<role>.<ext>, the role reduced to [A-Za-z0-9._-] */
static void
ocfl_derived_name(const char *role, const char *type, char *out, size_t cap)
{
	char r[64];
	size_t i, n = 0;

	for (i = 0; role && role[i] && n + 1 < sizeof(r); i++) {
		char c = role[i];
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		           c == '_' || (c == '.' && n > 0);
		r[n++] = keep ? c : '_';
	}
	r[n] = '\0';
	if (!n)
		snprintf(r, sizeof(r), "part");
	snprintf(out, cap, "derived/%s%s", r, ocfl_ext(type));
}

/* Make lp unique in the version's set of logical paths (also as a
 * directory: "derived" is one) by numbering it before its extension. */
static int
ocfl_unique(json_t *used, char *lp, size_t cap)
{
	char base[OCFL_PATH_MAX], try[OCFL_PATH_MAX];
	const char *dot, *slash;
	int i;

	if (!json_object_get(used, lp))
		return json_object_set_new(used, lp, json_true());
	snprintf(base, sizeof(base), "%s", lp);
	slash = strrchr(base, '/');
	dot = strrchr(base, '.');
	if (!dot || (slash && dot < slash) || dot == base || (slash && dot == slash + 1))
		dot = base + strlen(base);
	for (i = 2; i < 100000; i++) {
		snprintf(try, sizeof(try), "%.*s-%d%s", (int)(dot - base), base, i, dot);
		if (!json_object_get(used, try)) {
			snprintf(lp, cap, "%s", try);
			return json_object_set_new(used, lp, json_true());
		}
	}
	return -1;
}

/* ---------------------------------------------------------------- */
/* the metadata file of a version */

static json_t *
ocfl_str(const char *s)
{
	json_t *j;

	if (!s)
		return json_null();
	j = json_string(s);
	return j ? j : json_string("(not UTF-8)");
}

static json_t *
ocfl_meta_json(const struct dg_host *host, struct dg_doc *doc, struct dg_doc *prev, json_t *parts_lp)
{
	json_t *m, *meta, *parts, *events, *rels;
	const char *key, *value;
	char when[64];
	size_t i;

	ocfl_rfc3339(host->doc_created(doc), 1, when, sizeof(when));
	m = json_pack("{s:o,s:o,s:o,s:s,s:o,s:{},s:[],s:[],s:[]}", "id", ocfl_str(host->doc_id(doc)), "version",
	              ocfl_str(host->doc_version(doc)), "previous", ocfl_str(prev ? host->doc_version(prev) : NULL),
	              "created", when, "media_type", ocfl_str(host->media_type(doc)), "metadata", "parts", "events",
	              "relations");
	if (!m)
		return NULL;
	meta = json_object_get(m, "metadata");
	parts = json_object_get(m, "parts");
	events = json_object_get(m, "events");
	rels = json_object_get(m, "relations");
	for (i = 0; host->meta_n(doc, i, &key, &value) == 0; i++) {
		json_t *arr = json_object_get(meta, key);
		if (!arr) {
			if (json_object_set_new(meta, key, json_array()) != 0)
				continue; /* a key that is not UTF-8 */
			arr = json_object_get(meta, key);
		}
		if (json_array_append_new(arr, ocfl_str(value)) != 0)
			goto fail;
	}
	for (i = 0;; i++) {
		struct dg_part_info p;
		json_t *lpj = json_array_get(parts_lp, i);
		if (host->part_n(doc, i, &p) != 0)
			break;
		if (json_array_append_new(parts, json_pack("{s:o,s:o,s:o,s:I,s:o}", "role", ocfl_str(p.role),
		                                           "media_type", ocfl_str(p.media_type), "id", ocfl_str(p.id),
		                                           "size", (json_int_t)p.size, "path",
		                                           lpj ? json_incref(lpj) : json_null())) != 0)
			goto fail;
	}
	for (i = 0;; i++) {
		struct dg_event_info e;
		if (host->event_n(doc, i, &e) != 0)
			break;
		ocfl_rfc3339(e.at_us, 1, when, sizeof(when));
		if (json_array_append_new(events,
		                          json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:I}", "type", ocfl_str(e.type),
		                                    "stage", ocfl_str(e.stage), "plugin", ocfl_str(e.plugin),
		                                    "plugin_version", ocfl_str(e.plugin_version), "outcome",
		                                    ocfl_str(e.outcome), "message", ocfl_str(e.message), "at", when,
		                                    "duration_us", (json_int_t)e.duration_us)) != 0)
			goto fail;
	}
	for (i = 0;; i++) {
		struct dg_relation_info r;
		if (host->relation_n(doc, i, &r) != 0)
			break;
		if (json_array_append_new(rels, json_pack("{s:o,s:o,s:o}", "kind", ocfl_str(r.kind), "id",
		                                          ocfl_str(r.id), "label", ocfl_str(r.label))) != 0)
			goto fail;
	}
	return m;
fail:
	json_decref(m);
	return NULL;
}

/* The message of a version: its own events (those after the previous
 * version's), the ingest one first. */
static void
ocfl_message(const struct dg_host *host, struct dg_doc *doc, struct dg_doc *prev, char *out, size_t cap)
{
	struct dg_event_info e, first = {0};
	size_t i, from = 0, n = 0, count = 0;
	int have = 0;

	if (prev)
		while (host->event_n(prev, from, &e) == 0)
			from++;
	while (host->event_n(doc, n, &e) == 0)
		n++;
	if (n < from)
		from = 0;
	for (i = from; i < n; i++) {
		if (host->event_n(doc, i, &e) != 0)
			break;
		count++;
		if (!have ||
		    ((!first.type || strcmp(first.type, "ingest") != 0) && e.type && strcmp(e.type, "ingest") == 0)) {
			first = e;
			have = 1;
		}
	}
	if (!have) {
		snprintf(out, cap, "%s", prev ? "new version" : "first version");
		return;
	}
	snprintf(out, cap, "%s%s%s%s%s", first.type ? first.type : "event", first.outcome ? " " : "",
	         first.outcome ? first.outcome : "", first.message ? ": " : "", first.message ? first.message : "");
	if (count > 1) {
		size_t len = strlen(out);
		if (len + 32 < cap)
			snprintf(out + len, cap - len, " (+%zu more event%s)", count - 1, count > 2 ? "s" : "");
	}
}

/* ---------------------------------------------------------------- */
/* one object */

struct ocfl_obj {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	struct ocfl_state *st;
	char root[OCFL_PATH_MAX]; /* object root */
	json_t *inv, *manifest, *versions, *fixity;
	json_t *seen; /* sha256 hex -> sha512 hex */
};

static int
ocfl_state_add(json_t *state, const char *sha512, const char *lp)
{
	json_t *arr = json_object_get(state, sha512);

	if (!arr) {
		arr = json_array();
		if (!arr || json_object_set_new(state, sha512, arr) != 0)
			return -1;
	}
	return json_array_append_new(arr, json_string(lp));
}

/* A content file placed in this version: manifest and fixity. */
static int
ocfl_content_add(struct ocfl_obj *o, const char *vn, const char *lp, const char *sha512, const char *sha256)
{
	char cp[OCFL_PATH_MAX];

	snprintf(cp, sizeof(cp), "%s/content/%s", vn, lp);
	if (json_object_set_new(o->manifest, sha512, json_pack("[s]", cp)) != 0 ||
	    json_object_set_new(json_object_get(o->fixity, "sha256"), sha256, json_pack("[s]", cp)) != 0 ||
	    json_object_set_new(o->seen, sha256, json_string(sha512)) != 0)
		return -1;
	return 0;
}

static int
ocfl_version(struct ocfl_obj *o, struct dg_doc *doc, struct dg_doc *prev, long num)
{
	const struct dg_host *host = o->host;
	struct dg_ctx *ctx = o->ctx;
	char vn[32], vdir[OCFL_PATH_MAX], path[OCFL_PATH_MAX], lp[OCFL_PATH_MAX];
	char when[64], msg[OCFL_MESSAGE_MAX], hex[OCFL_ALG_N][OCFL_HEX_MAX];
	json_t *state = json_object(), *used = json_object(), *parts_lp = json_array(), *meta = NULL, *ver = NULL;
	size_t i, base;
	int rc = -1;

	if (!state || !used || !parts_lp)
		goto oom;
	snprintf(vn, sizeof(vn), "v%ld", num);
	if (ocfl_fmt(vdir, sizeof(vdir), "%s/%s", o->root, vn) < 0 ||
	    ocfl_fmt(path, sizeof(path), "%s/content", vdir) < 0 || ocfl_mkdir(vdir) < 0 || ocfl_mkdir(path) < 0) {
		host->error(ctx, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	base = strlen(path);
	/* the metadata file's name first: it never yields to a part */
	snprintf(lp, sizeof(lp), "%s", OCFL_META_NAME);
	if (ocfl_unique(used, lp, sizeof(lp)) != 0)
		goto oom;
	for (i = 0;; i++) {
		struct dg_part_info p;
		const char *sha256, *known;
		if (host->part_n(doc, i, &p) != 0)
			break;
		if (!p.id || strncmp(p.id, "sha256:", 7) != 0 || strlen(p.id) != 71 || !p.path) {
			host->error(ctx, "part %s of %s has no readable stored object", p.role ? p.role : "?",
			            host->doc_id(doc));
			goto out;
		}
		sha256 = p.id + 7;
		if (p.role && strcmp(p.role, DG_ROLE_ORIGINAL) == 0)
			ocfl_original_name(host, doc, p.media_type, lp, sizeof(lp));
		else
			ocfl_derived_name(p.role, p.media_type, lp, sizeof(lp));
		if (ocfl_unique(used, lp, sizeof(lp)) != 0 || json_array_append_new(parts_lp, json_string(lp)) != 0)
			goto oom;
		known = json_string_value(json_object_get(o->seen, sha256));
		if (known) {
			if (ocfl_state_add(state, known, lp) != 0)
				goto oom;
			continue;
		}
		if (ocfl_fmt(path + base, sizeof(path) - base, "/%s", lp) < 0 ||
		    ocfl_mkdirs(path, strlen(o->root)) < 0) {
			host->error(ctx, "cannot create the directories of %s: %s", path, strerror(errno));
			goto out;
		}
		if (ocfl_copy(ctx, host, p.path, path, p.size, sha256, hex[OCFL_SHA512]) < 0)
			goto out;
		o->st->files++;
		if (ocfl_content_add(o, vn, lp, hex[OCFL_SHA512], sha256) != 0 ||
		    ocfl_state_add(state, hex[OCFL_SHA512], lp) != 0)
			goto oom;
	}
	/* dangan.json */
	meta = ocfl_meta_json(host, doc, prev, parts_lp);
	if (!meta)
		goto oom;
	if (ocfl_fmt(path + base, sizeof(path) - base, "/%s", OCFL_META_NAME) < 0 ||
	    ocfl_write_json(path, meta, hex) < 0) {
		host->error(ctx, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	if (json_object_get(o->seen, hex[OCFL_SHA256])) {
		/* the same bytes as a file before (it names its version: never) */
		unlink(path);
		if (ocfl_state_add(state, json_string_value(json_object_get(o->seen, hex[OCFL_SHA256])),
		                   OCFL_META_NAME) != 0)
			goto oom;
	} else if (ocfl_content_add(o, vn, OCFL_META_NAME, hex[OCFL_SHA512], hex[OCFL_SHA256]) != 0 ||
	           ocfl_state_add(state, hex[OCFL_SHA512], OCFL_META_NAME) != 0) {
		goto oom;
	}
	o->st->files++;
	/* the version block, then the inventory as of this version */
	ocfl_rfc3339(host->doc_created(doc), 0, when, sizeof(when));
	ocfl_message(host, doc, prev, msg, sizeof(msg));
	ver = json_pack("{s:s,s:o,s:o}", "created", when, "message", ocfl_str(msg), "user",
	                o->st->user_address[0] ? json_pack("{s:o,s:o}", "name", ocfl_str(o->st->user_name), "address",
	                                                   ocfl_str(o->st->user_address))
	                                       : json_pack("{s:o}", "name", ocfl_str(o->st->user_name)));
	if (!ver)
		goto oom;
	rc = json_object_set_new(ver, "state", state);
	state = NULL; /* taken in every case */
	if (rc != 0) {
		rc = -1;
		goto oom;
	}
	rc = -1;
	if (json_object_set_new(o->versions, vn, ver) != 0) {
		ver = NULL;
		goto oom;
	}
	ver = NULL;
	if (json_object_set_new(o->inv, "head", json_string(vn)) != 0)
		goto oom;
	if (ocfl_write_inventory(vdir, o->inv) < 0) {
		host->error(ctx, "cannot write the inventory of %s: %s", vdir, strerror(errno));
		goto out;
	}
	o->st->versions++;
	rc = 0;
	goto out;
oom:
	host->error(ctx, "out of memory");
out:
	json_decref(ver);
	json_decref(meta);
	json_decref(state);
	json_decref(used);
	json_decref(parts_lp);
	return rc;
}

static int
ocfl_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	struct ocfl_state *st = state;
	struct ocfl_obj o;
	struct dg_doc **chain = NULL, *d;
	size_t n = 0, cap = 0, i;
	const char *id = host->doc_id(doc);
	char hex[OCFL_HEX_MAX], path[OCFL_PATH_MAX];
	int rc = DG_FAILED;

	memset(&o, 0, sizeof(o));
	o.ctx = ctx;
	o.host = host;
	o.st = st;
	if (!id) {
		host->log(ctx, DG_LOG_WARN, "a document without bytes is not exported");
		return DG_DECLINED;
	}
	for (d = doc; d; d = host->doc_previous(ctx, d)) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct dg_doc **nc;
			if (ncap > OCFL_CHAIN_MAX) {
				host->error(ctx, "%s has more than %d versions", id, OCFL_CHAIN_MAX);
				goto out;
			}
			nc = realloc(chain, ncap * sizeof(*nc));
			if (!nc)
				goto oom;
			chain = nc;
			cap = ncap;
		}
		chain[n++] = d;
	}
	/* 0004: sha256 of the id, 3 tuples of 3, the full digest */
	if (ocfl_digest_mem(OCFL_SHA256, id, strlen(id), hex) < 0)
		goto oom;
	if (ocfl_fmt(o.root, sizeof(o.root), "%s/%.3s/%.3s/%.3s/%s", st->out, hex, hex + 3, hex + 6, hex) < 0 ||
	    ocfl_mkdirs(o.root, strlen(st->out)) < 0 || mkdir(o.root, 0755) != 0) {
		host->error(ctx, "cannot create the object directory %s: %s", o.root, strerror(errno));
		goto out;
	}
	if (ocfl_fmt(path, sizeof(path), "%s/0=ocfl_object_1.1", o.root) < 0 ||
	    ocfl_write_text(path, "ocfl_object_1.1\n") < 0) {
		host->error(ctx, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	o.inv = json_pack("{s:s,s:s,s:s,s:s,s:{},s:{},s:{s:{}}}", "id", id, "type", OCFL_SPEC_TYPE_1_1,
	                  "digestAlgorithm", "sha512", "head", "v1", "manifest", "versions", "fixity", "sha256");
	o.seen = json_object();
	if (!o.inv || !o.seen)
		goto oom;
	o.manifest = json_object_get(o.inv, "manifest");
	o.versions = json_object_get(o.inv, "versions");
	o.fixity = json_object_get(o.inv, "fixity");
	for (i = n; i-- > 0;) {
		if (ocfl_version(&o, chain[i], i + 1 < n ? chain[i + 1] : NULL, (long)(n - i)) < 0)
			goto out;
	}
	if (ocfl_write_inventory(o.root, o.inv) < 0) {
		host->error(ctx, "cannot write the inventory of %s: %s", o.root, strerror(errno));
		goto out;
	}
	st->objects++;
	rc = DG_OK;
	goto out;
oom:
	host->error(ctx, "out of memory");
out:
	json_decref(o.inv);
	json_decref(o.seen);
	free(chain);
	return rc;
}

/* ---------------------------------------------------------------- */
/* the storage root */

static int
ocfl_export_begin(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *out)
{
	struct ocfl_state *st = state;
	char path[OCFL_PATH_MAX];
	json_t *j = NULL;
	char hex[OCFL_ALG_N][OCFL_HEX_MAX];
	int rc = DG_FAILED;

	free(st->out);
	st->out = strdup(out);
	if (!st->out) {
		host->error(ctx, "out of memory");
		return DG_FAILED;
	}
	if (strlen(out) + 200 >= OCFL_PATH_MAX) {
		host->error(ctx, "the output path is too long");
		return DG_FAILED;
	}
	if (mkdir(out, 0755) != 0) {
		host->error(ctx, "cannot create %s: %s", out, strerror(errno));
		return DG_FAILED;
	}
	snprintf(path, sizeof(path), "%s/0=ocfl_1.1", out);
	if (ocfl_write_text(path, "ocfl_1.1\n") < 0)
		goto io;
	j = json_pack("{s:s,s:s}", "extension", OCFL_LAYOUT_0004, "description",
	              "OCFL object identifiers are hashed with sha256 and the hex digest split into 3 directories of "
	              "3 characters, under which the full digest names the object root.");
	snprintf(path, sizeof(path), "%s/ocfl_layout.json", out);
	if (!j || ocfl_write_json(path, j, hex) < 0)
		goto io;
	json_decref(j);
	j = json_pack("{s:s,s:s,s:i,s:i,s:b}", "extensionName", OCFL_LAYOUT_0004, "digestAlgorithm", "sha256",
	              "tupleSize", 3, "numberOfTuples", 3, "shortObjectRoot", 0);
	snprintf(path, sizeof(path), "%s/extensions", out);
	if (ocfl_mkdir(path) < 0)
		goto io;
	snprintf(path, sizeof(path), "%s/extensions/%s", out, OCFL_LAYOUT_0004);
	if (ocfl_mkdir(path) < 0)
		goto io;
	snprintf(path, sizeof(path), "%s/extensions/%s/config.json", out, OCFL_LAYOUT_0004);
	if (!j || ocfl_write_json(path, j, hex) < 0)
		goto io;
	rc = DG_OK;
	goto out;
io:
	host->error(ctx, "cannot write %s: %s", path, strerror(errno));
out:
	json_decref(j);
	return rc;
}

static int
ocfl_export_end(struct dg_ctx *ctx, const struct dg_host *host, void *state)
{
	struct ocfl_state *st = state;
	int fd, rc;

	/* everything on disk before the engine renames the package */
	fd = open(st->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		host->error(ctx, "cannot open %s: %s", st->out, strerror(errno));
		return DG_FAILED;
	}
#ifdef HAVE_SYNCFS
	rc = syncfs(fd);
#else
	sync();
	rc = 0;
#endif
	close(fd);
	if (rc != 0) {
		host->error(ctx, "cannot sync %s: %s", st->out, strerror(errno));
		return DG_FAILED;
	}
	host->log(ctx, DG_LOG_INFO, "OCFL storage root: %ld objects, %ld versions, %ld content files", st->objects,
	          st->versions, st->files);
	return DG_OK;
}

static int
ocfl_verify_cb(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *path)
{
	struct ocfl_state *st = state;

	if (!DG_HOST_HAS(host, finding)) {
		host->error(ctx, "this engine cannot take findings (plugin ABI 1.3 needed)");
		return DG_FATAL;
	}
	return ocfl_verify(ctx, host, st ? st->max_inv : 0, path);
}

static int
ocfl_scan_cb(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *locator)
{
	struct ocfl_state *st = state;

	return ocfl_scan(ctx, host, st ? st->max_inv : 0, locator);
}

static int
ocfl_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct ocfl_state *st = calloc(1, sizeof(*st));
	const char *name = host->opt_string(opts, "user-name"), *addr = host->opt_string(opts, "user-address");

	if (!st) {
		host->error(ctx, "out of memory");
		return DG_FATAL;
	}
	st->host = host;
	st->max_inv = host->opt_int(opts, "max-inventory");
	st->user_name = strdup(name && *name ? name : "dangan");
	st->user_address = strdup(addr ? addr : "");
	if (!st->user_name || !st->user_address) {
		free(st->user_name);
		free(st->user_address);
		free(st);
		host->error(ctx, "out of memory");
		return DG_FATAL;
	}
	*state = st;
	return DG_OK;
}

static void
ocfl_fini(void *state)
{
	struct ocfl_state *st = state;

	if (!st)
		return;
	free(st->out);
	free(st->user_name);
	free(st->user_address);
	free(st);
}

static const struct dg_plugin ocfl_plugin = {
    DG_PLUGIN_HEADER,
    .name = "ocfl",
    .version = "1.0.0",
    .summary = "export an OCFL 1.1 storage root (one object per document, its versions as OCFL versions); "
               "validate OCFL storage roots and objects",
    .kind = DG_KIND_EXPORT,
    .flags = DG_PLUGIN_CHECKS_FIXITY,
    .options = ocfl_options,
    .init = ocfl_init,
    .fini = ocfl_fini,
    .bid = NULL,
    .process = ocfl_process,
    .bid_locator = ocfl_bid_locator,
    .scan = ocfl_scan_cb,
    .export_begin = ocfl_export_begin,
    .export_end = ocfl_export_end,
    .verify = ocfl_verify_cb,
};

DG_PLUGIN_DEFINE(ocfl_plugin)
