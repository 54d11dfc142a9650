/*
 * plugins/bagit/verify.c -- validate a BagIt bag (RFC 8493 and the
 * drafts 0.93 .. 0.97 before it): a directory, or a zip / tar (plain
 * or compressed) serialization holding one top directory.
 *
 * Every problem is reported through host->finding() with a stable code
 * (BAG-...) and the file concerned; the run goes on after each one.
 * Steps:
 *   1. inventory: every file and directory of the bag (a directory is
 *      walked without following links; a serialization is read once,
 *      its tag files unpacked into a private temporary directory, its
 *      payload only listed);
 *   2. bagit.txt, then every manifest-*.txt, fetch.txt, bag-info.txt
 *      (package-info.txt before 0.96) and every tagmanifest-*.txt, read
 *      line by line in the declared Tag-File-Character-Encoding;
 *   3. completeness: each payload file in every payload manifest, each
 *      listed file present (a path listed under another Unicode
 *      normalization or letter case than the file has is a warning, as
 *      is a missing OS metadata file such as .DS_Store); fetch.txt
 *      entries not yet fetched make the bag incomplete (an error);
 *   4. digests: each file read once, every algorithm that lists it
 *      computed together; a serialization's payload is streamed from
 *      the archive a second time, never written to disk;
 *   5. Payload-Oxum against the payload actually present.
 * Memory grows with the number of files (their paths and expected
 * digests), never with their sizes; lines, paths, file counts and
 * unpacked tag bytes have hard limits.
 */
#include <config.h>

#include "bagit.h"
#include "../common/ordpool.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unistd.h>

#define BV_DEPTH_MAX 64  /* directory nesting inside a bag */
#define BV_SHOWN_MAX 100 /* findings shown per code */
#define BV_CODES_MAX 64  /* distinct codes counted */
#define BV_DECL_MAX 4096 /* bytes of bagit.txt */
#define BV_FOLD_MAX 4096 /* UTF-16 units of a folded path */

enum bv_type { BV_NONE = 0, BV_REG, BV_DIR, BV_LINK, BV_OTHER };

#define BV_F_FETCH 0x1u  /* listed in fetch.txt */
#define BV_F_DONE 0x2u   /* digests checked */
#define BV_F_ESCAPE 0x4u /* reported as escaping */

/* A path of the bag: present (type != BV_NONE), listed, or both. */
struct bv_file {
	char *path;
	struct bv_file *next; /* hash chain */
	int64_t size;
	unsigned char type;
	unsigned char flags;
	uint32_t listed;         /* bit i: in manifest i */
	unsigned char *exp;      /* [manifest index][digest bytes]... */
	size_t nexp;             /* bytes in exp */
	struct bv_file *target;  /* listed, absent: the present file it names */
	struct bv_file *aliases; /* present: listed paths resolved to it */
	struct bv_file *alias_next;
};

struct bv_manifest {
	char name[96];
	int alg; /* -1: unsupported */
	bool tag;
};

struct bv_fold {
	char *key;
	struct bv_file *f;
	struct bv_fold *next;
};

struct bv {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	const struct bg_limits *lim;
	const char *path;
	bool archive;
	int root; /* the bag directory, or the unpacked tag files */
	char *tmp;
	char *top;
	int filter; /* serialization: ARCHIVE_FILTER_* found, -1 none */
	locale_t loc;

	struct bv_file **tab;
	size_t tabn, count;
	struct bv_fold **fold;
	size_t foldn;

	struct bv_manifest man[BG_MANIFESTS_MAX];
	size_t nman;
	uint32_t payload_bits, tag_bits;

	int vmaj, vmin;
	bool vknown;
	char enc[64];
	bool enc_ok;

	int64_t errors, warnings;
	struct {
		const char *code;
		int64_t n;
		enum dg_finding_level level;
	} codes[BV_CODES_MAX];
	size_t ncodes;
	bool stop; /* a limit or resource failure: stop reading */

	bool has_data;
	bool incomplete;
	bool oxum_set;
	int64_t oxum_bytes, oxum_files;
	int64_t pay_bytes, pay_files;
	int64_t sys_missing; /* listed OS metadata files tolerated as absent */
	int64_t tag_bytes;
	int64_t outside; /* serialization: entries outside the top directory */
	int64_t checked_files, checked_digests;
};

/* ------------------------------------------------------------------ */
/* Findings */

static void bv_find(struct bv *v, enum dg_finding_level level, const char *code, const char *where, const char *fmt,
                    ...) DG_PRINTF(5, 6);

static void
bv_find(struct bv *v, enum dg_finding_level level, const char *code, const char *where, const char *fmt, ...)
{
	char msg[1024], show[512];
	va_list ap;
	size_t i, o = 0;

	if (level == DG_FINDING_ERROR)
		v->errors++;
	else if (level == DG_FINDING_WARN)
		v->warnings++;
	for (i = 0; i < v->ncodes; i++)
		if (strcmp(v->codes[i].code, code) == 0)
			break;
	if (i == v->ncodes && i < BV_CODES_MAX) {
		v->codes[i].code = code;
		v->codes[i].n = 0;
		v->codes[i].level = level;
		v->ncodes++;
	}
	if (i < v->ncodes) {
		if (level > v->codes[i].level)
			v->codes[i].level = level;
		if (++v->codes[i].n > BV_SHOWN_MAX)
			return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20)
			msg[i] = '?';
	if (where != NULL) {
		/* a path may hold anything: never let it break a report line */
		for (i = 0; where[i] != '\0' && o < sizeof(show) - 4; i++) {
			unsigned char c = (unsigned char)where[i];
			if (c < 0x20 || c == 0x7f) {
				snprintf(show + o, 4, "%%%02X", c);
				o += 3;
			} else {
				show[o++] = (char)c;
			}
		}
		show[o] = '\0';
	}
	v->host->finding(v->ctx, level, code, where != NULL ? show : NULL, "%s", msg);
}

/* After the run: how many findings of each code were not shown. */
static void
bv_find_summary(struct bv *v)
{
	size_t i;

	for (i = 0; i < v->ncodes; i++)
		if (v->codes[i].n > BV_SHOWN_MAX)
			v->host->finding(v->ctx, v->codes[i].level, v->codes[i].code, NULL,
			                 "%" PRId64 " more findings of this kind not shown",
			                 v->codes[i].n - BV_SHOWN_MAX);
}

/* ------------------------------------------------------------------ */
/* The path table */

static struct bv_file *
bv_lookup(struct bv *v, const char *path)
{
	struct bv_file *f;

	if (v->tabn == 0)
		return NULL;
	for (f = v->tab[bg_str_hash(path) & (v->tabn - 1)]; f != NULL; f = f->next)
		if (strcmp(f->path, path) == 0)
			return f;
	return NULL;
}

/* The entry for path, created (type BV_NONE) if new; NULL when out of
 * memory or over the file limit (reported, v->stop set). */
static struct bv_file *
bv_get(struct bv *v, const char *path)
{
	struct bv_file *f, **nt, *nx;
	size_t i, n;

	f = bv_lookup(v, path);
	if (f != NULL)
		return f;
	if ((int64_t)v->count >= v->lim->max_files) {
		if (!v->stop)
			bv_find(v, DG_FINDING_ERROR, "BAG-LIMIT", NULL,
			        "more than %" PRId64 " files and directories (verify-max-files): not checked further",
			        v->lim->max_files);
		v->stop = true;
		return NULL;
	}
	if (v->count >= v->tabn) {
		n = v->tabn ? v->tabn * 2 : 1024;
		nt = calloc(n, sizeof(*nt));
		if (nt == NULL)
			goto oom;
		for (i = 0; i < v->tabn; i++)
			for (f = v->tab[i]; f != NULL; f = nx) {
				nx = f->next;
				f->next = nt[bg_str_hash(f->path) & (n - 1)];
				nt[bg_str_hash(f->path) & (n - 1)] = f;
			}
		free(v->tab);
		v->tab = nt;
		v->tabn = n;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		goto oom;
	f->path = strdup(path);
	if (f->path == NULL) {
		free(f);
		goto oom;
	}
	f->size = -1;
	i = bg_str_hash(path) & (v->tabn - 1);
	f->next = v->tab[i];
	v->tab[i] = f;
	v->count++;
	return f;
oom:
	if (!v->stop)
		bv_find(v, DG_FINDING_ERROR, "BAG-LIMIT", NULL, "out of memory: not checked further");
	v->stop = true;
	return NULL;
}

static int
bv_cmp(const void *a, const void *b)
{
	return strcmp((*(struct bv_file *const *)a)->path, (*(struct bv_file *const *)b)->path);
}

/* Every entry, sorted by path (NULL when out of memory). */
static struct bv_file **
bv_sorted(struct bv *v)
{
	struct bv_file **all, *f;
	size_t i, n = 0;

	all = malloc((v->count + 1) * sizeof(*all));
	if (all == NULL)
		return NULL;
	for (i = 0; i < v->tabn; i++)
		for (f = v->tab[i]; f != NULL; f = f->next)
			all[n++] = f;
	if (n > 1)
		qsort(all, n, sizeof(*all), bv_cmp);
	all[n] = NULL;
	return all;
}

static void
bv_free_table(struct bv *v)
{
	struct bv_file *f, *nx;
	struct bv_fold *k, *kn;
	size_t i;

	for (i = 0; i < v->tabn; i++)
		for (f = v->tab[i]; f != NULL; f = nx) {
			nx = f->next;
			free(f->path);
			free(f->exp);
			free(f);
		}
	free(v->tab);
	v->tab = NULL;
	for (i = 0; i < v->foldn; i++)
		for (k = v->fold[i]; k != NULL; k = kn) {
			kn = k->next;
			free(k->key);
			free(k);
		}
	free(v->fold);
	v->fold = NULL;
}

/* ------------------------------------------------------------------ */
/* Unicode: a path folded for case and normalization (NFKC_Casefold),
 * and its NFC form: what a case-insensitive or normalizing file system
 * would take for the same name. */

static char *
bv_unorm(const char *s, bool fold)
{
	UChar in[BV_FOLD_MAX], out[BV_FOLD_MAX];
	UErrorCode e = U_ZERO_ERROR;
	const UNormalizer2 *n;
	int32_t il, ol, rl;
	char *r;

	n = fold ? unorm2_getNFKCCasefoldInstance(&e) : unorm2_getNFCInstance(&e);
	if (U_FAILURE(e))
		return NULL;
	u_strFromUTF8(in, BV_FOLD_MAX, &il, s, -1, &e);
	if (U_FAILURE(e) || il >= BV_FOLD_MAX)
		return NULL;
	ol = unorm2_normalize(n, in, il, out, BV_FOLD_MAX, &e);
	if (U_FAILURE(e) || ol >= BV_FOLD_MAX)
		return NULL;
	u_strToUTF8(NULL, 0, &rl, out, ol, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		return NULL;
	e = U_ZERO_ERROR;
	r = malloc((size_t)rl + 1);
	if (r == NULL)
		return NULL;
	u_strToUTF8(r, rl + 1, NULL, out, ol, &e);
	if (U_FAILURE(e)) {
		free(r);
		return NULL;
	}
	return r;
}

/* Index the present files by folded path (once, on first need). */
static int
bv_fold_index(struct bv *v)
{
	struct bv_file *f;
	struct bv_fold *k;
	size_t i, h;

	if (v->fold != NULL)
		return 0;
	v->foldn = v->tabn ? v->tabn : 1;
	v->fold = calloc(v->foldn, sizeof(*v->fold));
	if (v->fold == NULL)
		return -1;
	for (i = 0; i < v->tabn; i++)
		for (f = v->tab[i]; f != NULL; f = f->next) {
			if (f->type != BV_REG)
				continue;
			k = calloc(1, sizeof(*k));
			if (k == NULL)
				return -1;
			k->key = bv_unorm(f->path, true);
			if (k->key == NULL) {
				free(k);
				continue;
			}
			k->f = f;
			h = bg_str_hash(k->key) % v->foldn;
			k->next = v->fold[h];
			v->fold[h] = k;
		}
	return 0;
}

/* The present file a listed path names on a case-insensitive or
 * normalizing file system, NULL if none (or several). */
static struct bv_file *
bv_fold_find(struct bv *v, const char *path)
{
	struct bv_fold *k;
	struct bv_file *hit = NULL;
	char *key;

	if (bv_fold_index(v) != 0)
		return NULL;
	key = bv_unorm(path, true);
	if (key == NULL)
		return NULL;
	for (k = v->fold[bg_str_hash(key) % v->foldn]; k != NULL; k = k->next)
		if (strcmp(k->key, key) == 0) {
			if (hit != NULL && hit != k->f) {
				hit = NULL;
				break;
			}
			hit = k->f;
		}
	free(key);
	return hit;
}

/* ------------------------------------------------------------------ */
/* Opening files of the bag without leaving it */

/* Open path (relative, '/'-separated) under dirfd, no link followed. */
static int
bv_open_rel(int dirfd, const char *path)
{
	char buf[BG_PATH_MAX + 1], *p, *slash;
	int fd = dirfd, nfd;
	size_t n = strlen(path);

	if (n > BG_PATH_MAX)
		return -1;
	memcpy(buf, path, n + 1);
	p = buf;
	while ((slash = strchr(p, '/')) != NULL) {
		*slash = '\0';
		nfd = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != dirfd)
			close(fd);
		if (nfd < 0)
			return -1;
		fd = nfd;
		p = slash + 1;
	}
	nfd = openat(fd, p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd != dirfd)
		close(fd);
	return nfd;
}

/* Open a tag file of the bag as a line reader in the bag's encoding;
 * 0, 1 when absent (nothing reported), -1 when reported. */
static int
bv_lines(struct bv *v, const char *name, struct bg_lines *l)
{
	struct stat sb;
	int fd;

	fd = bv_open_rel(v->root, name);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 1;
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		bv_find(v, DG_FINDING_ERROR, "BAG-OPEN", name, "cannot read: %s",
		        fd < 0 ? strerror(errno) : "not a file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (bg_lines_open(l, fd, v->enc_ok ? v->enc : "UTF-8") != 0) {
		close(fd);
		bv_find(v, DG_FINDING_ERROR, "BAG-LIMIT", name, "out of memory");
		v->stop = true;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Paths listed in manifests and fetch.txt */

enum bv_pathkind { BV_PAYLOAD, BV_TAG, BV_FETCH };

/*
 * Check a listed path (already percent-decoded), in place: a leading
 * "./" is dropped (warned once per file through *dotslash), then it
 * must be relative, without "." / ".." / empty components or a "~"
 * shell shortcut, and a payload or fetch path must be under data/.
 * 0 when usable, -1 when reported.
 */
static int
bv_check_path(struct bv *v, const char *file, int64_t line, char *p, size_t *len, enum bv_pathkind kind, bool *dotslash)
{
	const char *c, *e;
	size_t n;

	if (memchr(p, '\0', *len) != NULL) {
		bv_find(v, DG_FINDING_ERROR, "BAG-PATH-INVALID", file, "line %" PRId64 ": NUL byte in a path", line);
		return -1;
	}
	if (*len >= 2 && p[0] == '.' && p[1] == '/') {
		while (*len >= 2 && p[0] == '.' && p[1] == '/') {
			memmove(p, p + 2, *len - 1);
			*len -= 2;
		}
		if (!*dotslash)
			bv_find(v, DG_FINDING_WARN, "BAG-PATH-DOT-SLASH", file,
			        "line %" PRId64 ": paths start with \"./\" (taken as relative to the bag)", line);
		*dotslash = true;
	}
	if (*len == 0) {
		bv_find(v, DG_FINDING_ERROR, "BAG-MANIFEST-LINE", file, "line %" PRId64 ": empty path", line);
		return -1;
	}
	if (*len > BG_PATH_MAX) {
		bv_find(v, DG_FINDING_ERROR, "BAG-LIMIT", file, "line %" PRId64 ": path longer than %zu bytes", line,
		        BG_PATH_MAX);
		return -1;
	}
	if (p[0] == '/' || p[0] == '~' ||
	    (*len >= 2 && p[1] == ':' && ((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z'))) {
		bv_find(v, DG_FINDING_ERROR, "BAG-PATH-ESCAPE", p, "%s line %" PRId64 ": %s path outside the bag", file,
		        line, p[0] == '~' ? "home-directory" : "absolute");
		return -1;
	}
	for (c = p; c <= p + *len; c = e + 1) {
		e = strchr(c, '/');
		if (e == NULL)
			e = p + *len;
		n = (size_t)(e - c);
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			bv_find(v, DG_FINDING_ERROR, "BAG-PATH-ESCAPE", p, "%s line %" PRId64 ": \"..\" leads outside",
			        file, line);
			return -1;
		}
		if (n == 0 || (n == 1 && c[0] == '.')) {
			bv_find(v, DG_FINDING_ERROR, "BAG-PATH-INVALID", p,
			        "%s line %" PRId64 ": empty or \".\" path component", file, line);
			return -1;
		}
	}
	if (kind != BV_TAG && strncmp(p, "data/", 5) != 0) {
		bv_find(v, DG_FINDING_ERROR,
		        kind == BV_FETCH ? "BAG-FETCH-OUTSIDE-PAYLOAD" : "BAG-MANIFEST-OUTSIDE-PAYLOAD", p,
		        "listed in %s (line %" PRId64 ") but not under data/", file, line);
		return -1;
	}
	return 0;
}

static bool
bv_is_system(const char *path)
{
	static const char *const names[] = {".DS_Store",       "Thumbs.db", "desktop.ini", "ehthumbs.db",
	                                    ".Spotlight-V100", ".Trashes",  ".fseventsd",  NULL};
	const char *b = strrchr(path, '/');
	size_t i;

	b = b != NULL ? b + 1 : path;
	if (strncmp(b, "._", 2) == 0)
		return true;
	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(b, names[i]) == 0)
			return true;
	return false;
}

/* The expected digest of manifest mi recorded on f, NULL if none. */
static const unsigned char *
bv_exp_get(const struct bv *v, const struct bv_file *f, size_t mi)
{
	size_t o = 0;

	while (o < f->nexp) {
		size_t m = f->exp[o];
		if (m == mi)
			return f->exp + o + 1;
		o += 1 + bg_algs[v->man[m].alg].len;
	}
	return NULL;
}

static int
bv_exp_add(struct bv *v, struct bv_file *f, size_t mi, const unsigned char *dig)
{
	size_t len = bg_algs[v->man[mi].alg].len;
	unsigned char *n = realloc(f->exp, f->nexp + 1 + len);

	if (n == NULL)
		return -1;
	f->exp = n;
	n[f->nexp] = (unsigned char)mi;
	memcpy(n + f->nexp + 1, dig, len);
	f->nexp += 1 + len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* bagit.txt */

static bool
bv_isws(char c)
{
	return c == ' ' || c == '\t';
}

static void
bv_decl(struct bv *v)
{
	char buf[BV_DECL_MAX + 1], *p, *line[4], *colon, *val;
	size_t n = 0, nl = 0, i;
	ssize_t r;
	int fd;
	iconv_t cd;
	int64_t before = v->errors;
	bool have_ver = false, have_enc = false;

	snprintf(v->enc, sizeof(v->enc), "UTF-8");
	v->enc_ok = true;
	fd = bv_open_rel(v->root, "bagit.txt");
	if (fd < 0) {
		bv_find(v, DG_FINDING_ERROR, "BAG-DECL-MISSING", "bagit.txt", "the bag declaration is missing");
		return;
	}
	while (n < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (n > BV_DECL_MAX) {
		bv_find(v, DG_FINDING_ERROR, "BAG-DECL-FORMAT", "bagit.txt", "longer than %d bytes", BV_DECL_MAX);
		return;
	}
	buf[n] = '\0';
	p = buf;
	if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		bv_find(v, DG_FINDING_ERROR, "BAG-DECL-BOM", "bagit.txt", "starts with a byte-order mark (forbidden)");
		p += 3;
	}
	if (memchr(p, '\0', (size_t)(buf + n - p)) != NULL) {
		bv_find(v, DG_FINDING_ERROR, "BAG-DECL-FORMAT", "bagit.txt", "NUL bytes (not UTF-8 text)");
		return;
	}
	/* lines end at LF, CR or CRLF; the last may lack one */
	while (*p != '\0' && nl < 4) {
		line[nl++] = p;
		p += strcspn(p, "\r\n");
		if (*p == '\r' && p[1] == '\n')
			*p++ = '\0';
		if (*p != '\0')
			*p++ = '\0';
	}
	if (nl != 2 || *p != '\0')
		bv_find(v, DG_FINDING_ERROR, "BAG-DECL-FORMAT", "bagit.txt", "%s lines, not exactly two",
		        nl > 3    ? "more than three"
		        : nl == 3 ? "three"
		        : nl == 1 ? "one"
		                  : "no");
	for (i = 0; i < nl && i < 2; i++) {
		colon = strchr(line[i], ':');
		if (colon == NULL) {
			bv_find(v, DG_FINDING_ERROR, "BAG-DECL-FORMAT", "bagit.txt", "line %zu has no ':'", i + 1);
			continue;
		}
		*colon = '\0';
		val = colon + 1;
		if (colon > line[i] && bv_isws(colon[-1]))
			bv_find(v, DG_FINDING_ERROR, "BAG-DECL-WHITESPACE", "bagit.txt",
			        "line %zu: whitespace before the ':' of \"%s\"", i + 1, line[i]);
		while (colon > line[i] && bv_isws(colon[-1]))
			*--colon = '\0';
		if (*val != ' ' || bv_isws(val[1]))
			bv_find(v, DG_FINDING_ERROR, "BAG-DECL-WHITESPACE", "bagit.txt",
			        "line %zu: the ':' must be followed by exactly one space", i + 1);
		while (bv_isws(*val))
			val++;
		n = strlen(val);
		if (n > 0 && bv_isws(val[n - 1])) {
			bv_find(v, DG_FINDING_ERROR, "BAG-DECL-WHITESPACE", "bagit.txt",
			        "line %zu: trailing whitespace after \"%s\"", i + 1, line[i]);
			while (n > 0 && bv_isws(val[n - 1]))
				val[--n] = '\0';
		}
		if (strcmp(line[i], "BagIt-Version") == 0) {
			unsigned maj = 0, min = 0;
			int used = 0;

			have_ver = true;
			if (i != 0)
				bv_find(v, DG_FINDING_ERROR, "BAG-DECL-FORMAT", "bagit.txt",
				        "BagIt-Version must be the first line");
			if (strspn(val, "0123456789.") != n || val[0] == '.' ||
			    sscanf(val, "%u.%u%n", &maj, &min, &used) != 2 || (size_t)used != n || maj > 99 ||
			    min > 99) {
				bv_find(v, DG_FINDING_ERROR, "BAG-DECL-VERSION", "bagit.txt",
				        "BagIt-Version \"%s\" is not M.N", val);
				continue;
			}
			v->vmaj = (int)maj;
			v->vmin = (int)min;
			v->vknown = true;
			if (!((maj == 1 && min == 0) || (maj == 0 && min >= 93 && min <= 97)))
				bv_find(v, DG_FINDING_WARN, "BAG-DECL-VERSION-UNKNOWN", "bagit.txt",
				        "BagIt-Version %s: checked as 1.0", val);
		} else if (strcmp(line[i], "Tag-File-Character-Encoding") == 0) {
			have_enc = true;
			if (i != 1)
				bv_find(v, DG_FINDING_ERROR, "BAG-DECL-FORMAT", "bagit.txt",
				        "Tag-File-Character-Encoding must be the second line");
			if (n == 0 || n >= sizeof(v->enc)) {
				bv_find(v, DG_FINDING_ERROR, "BAG-DECL-ENCODING", "bagit.txt",
				        "empty or overlong encoding name");
				continue;
			}
			if (!bg_is_utf8(val)) {
				cd = iconv_open("UTF-8", val);
				if (cd == (iconv_t)-1) {
					bv_find(
					    v, DG_FINDING_ERROR, "BAG-ENCODING-UNSUPPORTED", "bagit.txt",
					    "Tag-File-Character-Encoding \"%s\" is unknown: tag files read as UTF-8",
					    val);
					continue;
				}
				iconv_close(cd);
				bv_find(v, DG_FINDING_INFO, "BAG-ENCODING", "bagit.txt",
				        "tag files are in %s, not UTF-8", val);
			}
			memcpy(v->enc, val, n + 1);
		} else {
			bv_find(v, DG_FINDING_ERROR, "BAG-DECL-FORMAT", "bagit.txt", "unexpected label \"%s\"",
			        line[i]);
		}
	}
	if (!have_ver)
		bv_find(v, DG_FINDING_ERROR, "BAG-DECL-VERSION", "bagit.txt", "no BagIt-Version");
	if (!have_enc)
		bv_find(v, DG_FINDING_ERROR, "BAG-DECL-ENCODING", "bagit.txt", "no Tag-File-Character-Encoding");
	if (v->errors == before)
		v->host->finding(v->ctx, DG_FINDING_PASS, "BAG-DECL", "bagit.txt", "BagIt-Version %d.%d, %s", v->vmaj,
		                 v->vmin, v->enc);
}

/* Version at least maj.min (an unknown version is checked as 1.0). */
static bool
bv_at_least(const struct bv *v, int maj, int min)
{
	if (!v->vknown)
		return maj < 1 || (maj == 1 && min == 0);
	return v->vmaj > maj || (v->vmaj == maj && v->vmin >= min);
}

/* ------------------------------------------------------------------ */
/* Manifests */

static void
bv_lines_error(struct bv *v, const char *name, struct bg_lines *l)
{
	bv_find(v, DG_FINDING_ERROR, strcmp(l->err, "line too long") == 0 ? "BAG-LINE-TOO-LONG" : "BAG-TAG-ENCODING",
	        name, "line %" PRId64 ": %s (rest of the file not read)", l->lineno + 1, l->err);
}

static void
bv_manifest(struct bv *v, size_t mi)
{
	struct bv_manifest *m = &v->man[mi];
	unsigned char dig[BG_DIGEST_MAX];
	const unsigned char *old;
	struct bg_lines l;
	const char *line;
	char *path = NULL;
	size_t len, k, ws, plen, other;
	bool blank = false, star = false, dots = false, pct = false, bslash = false;
	struct bv_file *f;
	int r;

	if (bv_lines(v, m->name, &l) != 0)
		return;
	path = malloc(BG_LINE_MAX + 1);
	if (path == NULL) {
		v->stop = true;
		goto out;
	}
	while (!v->stop && (r = bg_lines_next(&l, &line, &len)) != 0) {
		if (r < 0) {
			bv_lines_error(v, m->name, &l);
			break;
		}
		if (strspn(line, " \t") == len) {
			if (!blank)
				bv_find(v, DG_FINDING_WARN, "BAG-MANIFEST-BLANK-LINE", m->name,
				        "line %" PRId64 ": blank line", l.lineno);
			blank = true;
			continue;
		}
		k = strcspn(line, " \t");
		ws = strspn(line + k, " \t");
		if (k == 0 || k + ws >= len) {
			bv_find(v, DG_FINDING_ERROR, "BAG-MANIFEST-LINE", m->name,
			        "line %" PRId64 ": not \"checksum whitespace path\"", l.lineno);
			continue;
		}
		plen = len - k - ws;
		memcpy(path, line + k + ws, plen + 1);
		if (ws == 1 && path[0] == '*') {
			/* md5sum's binary-mode marker: "digest *path" */
			memmove(path, path + 1, plen);
			plen--;
			if (!star)
				bv_find(v, DG_FINDING_WARN, "BAG-MANIFEST-BINARY-MARKER", m->name,
				        "line %" PRId64 ": \"*\" before the path (md5sum binary mode) ignored",
				        l.lineno);
			star = true;
		}
		if (bg_unhex(line, k, dig, bg_algs[m->alg].len) != 0) {
			bv_find(v, DG_FINDING_ERROR, "BAG-MANIFEST-LINE", m->name,
			        "line %" PRId64 ": \"%.*s\" is not a %s checksum", l.lineno, (int)(k > 140 ? 140 : k),
			        line, bg_algs[m->alg].name);
			continue;
		}
		bg_path_decode(path, &plen, &other);
		if (other > 0 && bv_at_least(v, 1, 0) && !pct) {
			bv_find(v, DG_FINDING_WARN, "BAG-PATH-PERCENT", m->name,
			        "line %" PRId64 ": '%%' not percent-encoded (RFC 8493 2.1.3): taken literally",
			        l.lineno);
			pct = true;
		}
		if (bv_check_path(v, m->name, l.lineno, path, &plen, m->tag ? BV_TAG : BV_PAYLOAD, &dots) != 0)
			continue;
		if (strchr(path, '\\') != NULL && !bslash) {
			bv_find(v, DG_FINDING_WARN, "BAG-PATH-BACKSLASH", path,
			        "%s line %" PRId64 ": a backslash is not a path separator in a bag", m->name, l.lineno);
			bslash = true;
		}
		if (m->tag && strncmp(path, "data/", 5) == 0)
			bv_find(v, DG_FINDING_WARN, "BAG-TAGMANIFEST-PAYLOAD", path,
			        "%s lists a payload file (tag manifests list tag files)", m->name);
		if (m->tag && strcmp(path, m->name) == 0) {
			bv_find(v, DG_FINDING_WARN, "BAG-TAGMANIFEST-SELF", path,
			        "a tag manifest cannot list itself: ignored");
			continue;
		}
		f = bv_get(v, path);
		if (f == NULL)
			break;
		if (f->listed & (1u << mi)) {
			old = bv_exp_get(v, f, mi);
			if (old != NULL && memcmp(old, dig, bg_algs[m->alg].len) != 0)
				bv_find(v, DG_FINDING_ERROR, "BAG-MANIFEST-CONFLICT", path,
				        "listed twice in %s with different checksums", m->name);
			else
				bv_find(v, bv_at_least(v, 1, 0) ? DG_FINDING_ERROR : DG_FINDING_WARN,
				        "BAG-MANIFEST-DUPLICATE", path, "listed twice in %s", m->name);
			continue;
		}
		if (bv_exp_add(v, f, mi, dig) != 0) {
			bv_find(v, DG_FINDING_ERROR, "BAG-LIMIT", NULL, "out of memory");
			v->stop = true;
			break;
		}
		f->listed |= 1u << mi;
	}
	if (l.bom)
		bv_find(v, DG_FINDING_WARN, "BAG-TAG-BOM", m->name, "starts with a byte-order mark");
out:
	free(path);
	bg_lines_close(&l);
}

/* The manifests of the bag: top-level manifest-ALG.txt and
 * tagmanifest-ALG.txt files, in name order. */
static void
bv_find_manifests(struct bv *v, struct bv_file **all)
{
	size_t i, n;
	const char *p, *alg;
	bool tag;
	int a;

	for (i = 0; all[i] != NULL; i++) {
		p = all[i]->path;
		if (strchr(p, '/') != NULL || all[i]->type == BV_NONE)
			continue;
		if (strncmp(p, "manifest-", 9) == 0)
			tag = false, alg = p + 9;
		else if (strncmp(p, "tagmanifest-", 12) == 0)
			tag = true, alg = p + 12;
		else
			continue;
		n = strlen(alg);
		if (n < 5 || strcmp(alg + n - 4, ".txt") != 0)
			continue;
		if (all[i]->type != BV_REG) {
			bv_find(v, DG_FINDING_ERROR, "BAG-OPEN", p, "a manifest that is not a regular file");
			continue;
		}
		a = bg_alg_find(alg, n - 4);
		if (a < 0) {
			bv_find(v, DG_FINDING_WARN, "BAG-ALGORITHM-UNSUPPORTED", p,
			        "algorithm \"%.*s\" is not supported (md5, sha1, sha224, sha256, sha384, sha512): not "
			        "checked",
			        (int)(n - 4 > 40 ? 40 : n - 4), alg);
			continue;
		}
		if (v->nman >= BG_MANIFESTS_MAX) {
			bv_find(v, DG_FINDING_ERROR, "BAG-LIMIT", p, "more than %d manifests", BG_MANIFESTS_MAX);
			continue;
		}
		snprintf(v->man[v->nman].name, sizeof(v->man[v->nman].name), "%s", p);
		v->man[v->nman].alg = a;
		v->man[v->nman].tag = tag;
		if (tag)
			v->tag_bits |= 1u << v->nman;
		else
			v->payload_bits |= 1u << v->nman;
		v->nman++;
	}
}

/* ------------------------------------------------------------------ */
/* fetch.txt and bag-info.txt */

static void
bv_fetch(struct bv *v)
{
	struct bg_lines l;
	const char *line, *p;
	char *path = NULL;
	size_t len, u, plen, other;
	bool dots = false;
	struct bv_file *f;
	int r;

	if (bv_lines(v, "fetch.txt", &l) != 0)
		return;
	path = malloc(BG_LINE_MAX + 1);
	if (path == NULL) {
		v->stop = true;
		goto out;
	}
	while (!v->stop && (r = bg_lines_next(&l, &line, &len)) != 0) {
		if (r < 0) {
			bv_lines_error(v, "fetch.txt", &l);
			break;
		}
		/* URL LENGTH FILEPATH */
		u = strcspn(line, " \t");
		p = line + u;
		p += strspn(p, " \t");
		if (u == 0 || memchr(line, ':', u) == NULL || !(*p == '-' || (*p >= '0' && *p <= '9'))) {
			bv_find(v, DG_FINDING_ERROR, "BAG-FETCH-LINE", "fetch.txt",
			        "line %" PRId64 ": not \"url length path\"", l.lineno);
			continue;
		}
		if (*p == '-')
			p++;
		else
			p += strspn(p, "0123456789");
		if (!bv_isws(*p)) {
			bv_find(v, DG_FINDING_ERROR, "BAG-FETCH-LINE", "fetch.txt",
			        "line %" PRId64 ": length is not a number or '-'", l.lineno);
			continue;
		}
		p += strspn(p, " \t");
		plen = len - (size_t)(p - line);
		memcpy(path, p, plen + 1);
		bg_path_decode(path, &plen, &other);
		if (bv_check_path(v, "fetch.txt", l.lineno, path, &plen, BV_FETCH, &dots) != 0)
			continue;
		f = bv_get(v, path);
		if (f == NULL)
			break;
		f->flags |= BV_F_FETCH;
	}
out:
	free(path);
	bg_lines_close(&l);
}

static void
bv_info(struct bv *v)
{
	static const char *const once[] = {"Bagging-Date",         "Bag-Size",  "Payload-Oxum",
	                                   "Bag-Group-Identifier", "Bag-Count", NULL};
	int seen[5] = {0, 0, 0, 0, 0};
	const char *name = bv_at_least(v, 0, 96) ? "bag-info.txt" : "package-info.txt";
	const char *other = bv_at_least(v, 0, 96) ? "package-info.txt" : "bag-info.txt";
	struct bg_lines l;
	const char *line, *colon, *val;
	size_t len, i, ln;
	bool any = false, blank = false;
	unsigned long long ob, of;
	int r, used;

	r = bv_lines(v, name, &l);
	if (r == 1 && bv_lines(v, other, &l) == 0) {
		bv_find(v, DG_FINDING_INFO, "BAG-INFO-NAME", other,
		        "bag metadata read from %s (BagIt %d.%d names it %s)", other, v->vmaj, v->vmin, name);
		name = other;
		r = 0;
	}
	if (r == 1) {
		bv_find(v, DG_FINDING_WARN, "BAG-INFO-MISSING", name,
		        "no %s: Payload-Oxum and the bag's description are recommended", name);
		return;
	}
	if (r != 0)
		return;
	while ((r = bg_lines_next(&l, &line, &len)) != 0) {
		if (r < 0) {
			bv_lines_error(v, name, &l);
			break;
		}
		if (len == 0 || strspn(line, " \t") == len) {
			if (!blank)
				bv_find(v, DG_FINDING_WARN, "BAG-INFO-LINE", name, "line %" PRId64 ": blank line",
				        l.lineno);
			blank = true;
			continue;
		}
		if (bv_isws(line[0])) {
			if (!any)
				bv_find(v, DG_FINDING_ERROR, "BAG-INFO-LINE", name,
				        "line %" PRId64 ": continuation line without an element", l.lineno);
			continue;
		}
		any = true;
		colon = strchr(line, ':');
		if (colon == NULL || colon == line) {
			bv_find(v, DG_FINDING_ERROR, "BAG-INFO-LINE", name, "line %" PRId64 ": not \"Label: value\"",
			        l.lineno);
			continue;
		}
		ln = (size_t)(colon - line);
		if (bv_isws(colon[-1])) {
			bv_find(v, bv_at_least(v, 1, 0) ? DG_FINDING_ERROR : DG_FINDING_WARN,
			        "BAG-INFO-LABEL-WHITESPACE", name, "line %" PRId64 ": whitespace before ':'", l.lineno);
			while (ln > 0 && bv_isws(line[ln - 1]))
				ln--;
		}
		val = colon + 1;
		while (bv_isws(*val))
			val++;
		for (i = 0; once[i] != NULL; i++) {
			if (strlen(once[i]) != ln || strncasecmp(line, once[i], ln) != 0)
				continue;
			if (seen[i]++ == 1)
				bv_find(v, DG_FINDING_WARN, "BAG-INFO-REPEATED", name,
				        "%s is repeated (it should appear once)", once[i]);
			if (i == 2 && seen[i] == 1) {
				used = 0;
				if (strspn(val, "0123456789.") != strlen(val) ||
				    sscanf(val, "%llu.%llu%n", &ob, &of, &used) != 2 || (size_t)used != strlen(val) ||
				    ob > (unsigned long long)INT64_MAX || of > (unsigned long long)INT64_MAX)
					bv_find(v, DG_FINDING_ERROR, "BAG-OXUM-FORMAT", name,
					        "Payload-Oxum \"%.60s\" is not OCTETCOUNT.STREAMCOUNT", val);
				else {
					v->oxum_set = true;
					v->oxum_bytes = (int64_t)ob;
					v->oxum_files = (int64_t)of;
				}
			}
			if (i == 0 && seen[i] == 1 &&
			    !(strlen(val) == 10 && strspn(val, "0123456789-") == 10 && val[4] == '-' && val[7] == '-'))
				bv_find(v, DG_FINDING_WARN, "BAG-INFO-DATE", name,
				        "Bagging-Date \"%.60s\" is not YYYY-MM-DD", val);
		}
	}
	if (l.bom)
		bv_find(v, DG_FINDING_WARN, "BAG-TAG-BOM", name, "starts with a byte-order mark");
	bg_lines_close(&l);
	if (!v->oxum_set && seen[2] == 0)
		bv_find(v, DG_FINDING_INFO, "BAG-OXUM-MISSING", name, "no Payload-Oxum");
}

/* ------------------------------------------------------------------ */
/* Inventory of a directory */

static void
bv_walk(struct bv *v, int dirfd, const char *prefix, int depth)
{
	DIR *d;
	struct dirent *de;
	struct stat sb;
	struct bv_file *f;
	char path[BG_PATH_MAX + 2];
	int fd, sub;

	fd = dup(dirfd);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		bv_find(v, DG_FINDING_ERROR, "BAG-OPEN", prefix[0] ? prefix : ".", "cannot list: %s", strerror(errno));
		return;
	}
	while (!v->stop) {
		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				bv_find(v, DG_FINDING_ERROR, "BAG-OPEN", prefix[0] ? prefix : ".", "cannot list: %s",
				        strerror(errno));
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "/" : "", de->d_name) >
		    BG_PATH_MAX) {
			bv_find(v, DG_FINDING_ERROR, "BAG-LIMIT", prefix, "a path longer than %zu bytes", BG_PATH_MAX);
			continue;
		}
		if (fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
			bv_find(v, DG_FINDING_ERROR, "BAG-OPEN", path, "cannot stat: %s", strerror(errno));
			continue;
		}
		f = bv_get(v, path);
		if (f == NULL)
			break;
		if (S_ISREG(sb.st_mode)) {
			f->type = BV_REG;
			f->size = (int64_t)sb.st_size;
		} else if (S_ISDIR(sb.st_mode)) {
			f->type = BV_DIR;
			if (depth + 1 >= BV_DEPTH_MAX) {
				bv_find(v, DG_FINDING_ERROR, "BAG-LIMIT", path, "directories nested deeper than %d",
				        BV_DEPTH_MAX);
				continue;
			}
			sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				bv_find(v, DG_FINDING_ERROR, "BAG-OPEN", path, "cannot open: %s", strerror(errno));
				continue;
			}
			bv_walk(v, sub, path, depth + 1);
			close(sub);
		} else if (S_ISLNK(sb.st_mode)) {
			f->type = BV_LINK;
			bv_find(v, DG_FINDING_ERROR, "BAG-SYMLINK", path,
			        "a symbolic link (not followed: it may lead outside the bag)");
		} else {
			f->type = BV_OTHER;
			bv_find(v, DG_FINDING_ERROR, "BAG-SPECIAL-FILE", path, "neither a file nor a directory");
		}
	}
	closedir(d);
}

/* ------------------------------------------------------------------ */
/* Digests */

/* The algorithms wanted for f (its own listing and its aliases'). */
static unsigned
bv_mask(const struct bv *v, const struct bv_file *f)
{
	const struct bv_file *a;
	unsigned mask = 0;
	size_t i;

	for (a = f; a != NULL; a = a == f ? f->aliases : a->alias_next)
		for (i = 0; i < v->nman; i++)
			if (a->listed & (1u << i))
				mask |= 1u << v->man[i].alg;
	if (v->lim->payload_alg >= 0 && (mask & (1u << v->lim->payload_alg)) && strncmp(f->path, "data/", 5) == 0)
		mask = 1u << v->lim->payload_alg;
	return mask;
}

static void
bv_compare(struct bv *v, struct bv_file *f, unsigned char got[BG_ALG_N][BG_DIGEST_MAX])
{
	struct bv_file *a;
	const unsigned char *e;
	char he[2 * BG_DIGEST_MAX + 1], hg[2 * BG_DIGEST_MAX + 1];
	unsigned mask = bv_mask(v, f);
	size_t i;

	v->checked_files++;
	for (a = f; a != NULL; a = a == f ? f->aliases : a->alias_next)
		for (i = 0; i < v->nman; i++) {
			if (!(a->listed & (1u << i)) || !(mask & (1u << v->man[i].alg)) ||
			    (e = bv_exp_get(v, a, i)) == NULL)
				continue;
			v->checked_digests++;
			if (memcmp(e, got[v->man[i].alg], bg_algs[v->man[i].alg].len) == 0)
				continue;
			bg_hex(e, bg_algs[v->man[i].alg].len, he);
			bg_hex(got[v->man[i].alg], bg_algs[v->man[i].alg].len, hg);
			bv_find(v, DG_FINDING_ERROR, v->man[i].tag ? "BAG-TAG-DIGEST-MISMATCH" : "BAG-DIGEST-MISMATCH",
			        a->path, "%s: %s %s expected, the file has %s", v->man[i].name,
			        bg_algs[v->man[i].alg].name, he, hg);
		}
}

/* A file of the directory (or of the unpacked tag files) hashed: the
 * reading may run on another thread, the findings come after. */
struct bv_hashed {
	struct bv_file *f;
	unsigned mask;
	unsigned char got[BG_ALG_N][BG_DIGEST_MAX];
	int64_t size;
	int err;     /* 0, an errno, or -1: not a regular file */
	bool opened; /* err is a read error, not one of opening */
	bool nomem;  /* no memory for the buffer or the digests */
	bool hashed; /* got holds the digests */
};

static void
bv_hash(const struct bv *v, struct bv_hashed *h)
{
	unsigned char *buf = NULL;
	struct bg_hash md;
	struct stat sb;
	ssize_t n;
	int fd;

	h->size = 0;
	errno = 0;
	fd = bv_open_rel(v->root, h->f->path);
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		h->err = fd >= 0 ? -1 : errno != 0 ? errno : ENAMETOOLONG;
		goto out;
	}
	h->opened = true;
	buf = malloc(BG_CHUNK);
	if (buf == NULL || bg_hash_init(&md, h->mask) != 0) {
		h->nomem = true;
		goto out;
	}
	while ((n = read(fd, buf, BG_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || bg_hash_update(&md, buf, (size_t)n) != 0) {
			h->err = n < 0 ? errno : EIO;
			bg_hash_release(&md);
			goto out;
		}
		h->size += n;
	}
	h->hashed = bg_hash_final(&md, h->got) == 0;
	bg_hash_release(&md);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
}

/* The findings of a hashed file. */
static void
bv_hashed_report(struct bv *v, struct bv_hashed *h)
{
	struct bv_file *f = h->f;

	if (h->err != 0)
		bv_find(v, DG_FINDING_ERROR, "BAG-OPEN", f->path, "%s: %s", h->opened ? "read error" : "cannot read",
		        h->err > 0 ? strerror(h->err) : "not a file");
	else if (h->nomem) {
		bv_find(v, DG_FINDING_ERROR, "BAG-LIMIT", f->path, "out of memory");
		v->stop = true;
	} else if (h->hashed) {
		f->size = h->size;
		bv_compare(v, f, h->got);
	}
	f->flags |= BV_F_DONE;
}

/* Hash a file of the directory (or of the unpacked tag files). */
static void
bv_digest_file(struct bv *v, struct bv_file *f)
{
	struct bv_hashed h;

	memset(&h, 0, sizeof(h));
	h.f = f;
	h.mask = bv_mask(v, f);
	bv_hash(v, &h);
	bv_hashed_report(v, &h);
}

/* Many files: read on one thread per CPU, reported here in order.  The
 * results are held in a ring of ORDPOOL_AHEAD slots (ordpool starts no
 * work that far past the last report), so memory does not follow the
 * number of files. */
struct bv_many {
	struct bv *v;
	struct bv_file **f;
	struct bv_hashed *h;
};

static void
bv_many_work(void *arg, size_t i)
{
	struct bv_many *m = arg;
	struct bv_hashed *h = &m->h[i % ORDPOOL_AHEAD];

	memset(h, 0, sizeof(*h));
	h->f = m->f[i];
	h->mask = bv_mask(m->v, h->f);
	bv_hash(m->v, h);
}

static int
bv_many_report(void *arg, size_t i)
{
	struct bv_many *m = arg;

	bv_hashed_report(m->v, &m->h[i % ORDPOOL_AHEAD]);
	return m->v->stop ? 1 : 0;
}

/* A regular file that a manifest lists and that is not done yet (the
 * payload of a serialization is streamed apart). */
static bool
bv_to_digest(const struct bv *v, const struct bv_file *f)
{
	return f->type == BV_REG && !(f->flags & BV_F_DONE) && !(v->archive && strncmp(f->path, "data/", 5) == 0) &&
	       bv_mask(v, f) != 0;
}

/* Hash every file of all[] that bv_to_digest() picks. */
static void
bv_digest_all(struct bv *v, struct bv_file **all)
{
	struct bv_many m = {v, NULL, NULL};
	size_t i, n = 0;
	struct bv_file *f;

	for (i = 0; all[i] != NULL; i++) {
		f = all[i];
		if (bv_to_digest(v, f))
			n++;
	}
	if (n > 1 && (m.f = calloc(n, sizeof(*m.f))) != NULL && (m.h = calloc(ORDPOOL_AHEAD, sizeof(*m.h))) != NULL) {
		n = 0;
		for (i = 0; all[i] != NULL; i++) {
			f = all[i];
			if (bv_to_digest(v, f))
				m.f[n++] = f;
		}
		ordpool_run(n, bv_many_work, bv_many_report, &m);
	} else { /* one file, or no memory for the list: here, one by one */
		for (i = 0; all[i] != NULL && !v->stop; i++) {
			f = all[i];
			if (bv_to_digest(v, f))
				bv_digest_file(v, f);
		}
	}
	free(m.f);
	free(m.h);
}

/* ------------------------------------------------------------------ */
/* Serializations */

struct bv_loc {
	locale_t old;
};

static void
bv_loc_enter(struct bv *v, struct bv_loc *l)
{
	l->old = v->loc != (locale_t)0 ? uselocale(v->loc) : (locale_t)0;
}

static void
bv_loc_leave(struct bv *v, struct bv_loc *l)
{
	if (v->loc != (locale_t)0)
		uselocale(l->old);
}

/* The one compression layer around the archive, from its magic. */
static int
bv_sniff(struct bv *v)
{
	unsigned char m[6] = {0};
	int fd = open(v->path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, m, sizeof(m)) : -1;

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return -2;
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return ARCHIVE_FILTER_GZIP;
	if (n >= 3 && memcmp(m, "BZh", 3) == 0)
		return ARCHIVE_FILTER_BZIP2;
	if (n >= 6 && memcmp(m,
	                     "\xfd"
	                     "7zXZ\0",
	                     6) == 0)
		return ARCHIVE_FILTER_XZ;
	if (n >= 4 && memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0)
		return ARCHIVE_FILTER_ZSTD;
	return -1;
}

static struct archive *
bv_archive_open(struct bv *v)
{
	struct archive *a = archive_read_new();

	if (a == NULL)
		return NULL;
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	if ((v->filter >= 0 && archive_read_append_filter(a, v->filter) != ARCHIVE_OK) ||
	    archive_read_open_filename(a, v->path, BG_CHUNK) != ARCHIVE_OK) {
		bv_find(v, DG_FINDING_ERROR, "BAG-SERIAL-FORMAT", NULL, "not a readable zip or tar: %s",
		        archive_error_string(a) ? archive_error_string(a) : "unknown format");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/*
 * The path of an archive entry inside the bag (after the top
 * directory), in buf; NULL when the entry is the top directory itself
 * or was reported as unsafe (*bad set).
 */
static const char *
bv_entry_path(struct bv *v, struct archive_entry *e, char *buf, bool report, bool *bad)
{
	const char *name = archive_entry_pathname_utf8(e), *c, *s;
	size_t n;

	*bad = false;
	if (name == NULL)
		name = archive_entry_pathname(e);
	if (name == NULL) {
		if (report)
			bv_find(v, DG_FINDING_ERROR, "BAG-SERIAL-UNSAFE-ENTRY", NULL, "an entry without a usable name");
		*bad = true;
		return NULL;
	}
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	n = strlen(name);
	if (n > BG_PATH_MAX) {
		if (report)
			bv_find(v, DG_FINDING_ERROR, "BAG-LIMIT", NULL, "an entry name longer than %zu bytes",
			        BG_PATH_MAX);
		*bad = true;
		return NULL;
	}
	memcpy(buf, name, n + 1);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
	if (n == 0)
		return NULL;
	if (buf[0] == '/' || buf[0] == '\\' || (n >= 2 && buf[1] == ':')) {
		if (report)
			bv_find(v, DG_FINDING_ERROR, "BAG-SERIAL-UNSAFE-ENTRY", buf, "absolute entry name");
		*bad = true;
		return NULL;
	}
	for (c = buf; c <= buf + n; c = s + 1) {
		s = c + strcspn(c, "/\\");
		if ((s - c == 2 && c[0] == '.' && c[1] == '.') || s == c || (s - c == 1 && c[0] == '.')) {
			if (report)
				bv_find(v, DG_FINDING_ERROR, "BAG-SERIAL-UNSAFE-ENTRY", buf,
				        "entry name with \"..\", \".\" or an empty component");
			*bad = true;
			return NULL;
		}
		if (*s == '\0')
			break;
	}
	s = strchr(buf, '/');
	if (v->top == NULL) {
		v->top = strndup(buf, s != NULL ? (size_t)(s - buf) : n);
		if (v->top == NULL) {
			v->stop = true;
			*bad = true;
			return NULL;
		}
	}
	if (strncmp(buf, v->top, strlen(v->top)) != 0 || (buf[strlen(v->top)] != '/' && buf[strlen(v->top)] != '\0')) {
		if (report && v->outside++ == 0)
			bv_find(v, DG_FINDING_ERROR, "BAG-SERIAL-TOPDIR", buf,
			        "outside the top directory \"%s\" of the first entry: a serialized bag holds one top "
			        "directory",
			        v->top);
		*bad = true;
		return NULL;
	}
	if (s == NULL)
		return NULL;
	return s + 1;
}

/* Make the directories leading to rel under dirfd. */
static int
bv_mkparents(int dirfd, const char *rel)
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
		if (mkdirat(dirfd, buf, 0700) != 0 && errno != EEXIST)
			return -1;
		buf[i] = '/';
	}
	return 0;
}

/* Unpack a tag file of the archive into the private directory. */
static void
bv_unpack_tag(struct bv *v, struct archive *a, struct bv_file *f)
{
	unsigned char *buf = malloc(BG_CHUNK);
	int64_t total = 0;
	la_ssize_t n;
	int fd = -1;

	if (buf == NULL)
		goto oom;
	if (bv_mkparents(v->root, f->path) != 0 ||
	    (fd = openat(v->root, f->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		bv_find(v, DG_FINDING_ERROR, "BAG-OPEN", f->path, "cannot unpack: %s", strerror(errno));
		goto out;
	}
	while ((n = archive_read_data(a, buf, BG_CHUNK)) > 0) {
		total += n;
		v->tag_bytes += n;
		if (v->tag_bytes > v->lim->max_tag_bytes) {
			bv_find(v, DG_FINDING_ERROR, "BAG-LIMIT", f->path,
			        "tag files larger than %" PRId64 " bytes (verify-max-tag-size): not checked further",
			        v->lim->max_tag_bytes);
			v->stop = true;
			goto out;
		}
		if (write(fd, buf, (size_t)n) != n) {
			bv_find(v, DG_FINDING_ERROR, "BAG-OPEN", f->path, "cannot unpack: %s", strerror(errno));
			v->stop = true;
			goto out;
		}
	}
	if (n < 0) {
		bv_find(v, DG_FINDING_ERROR, "BAG-SERIAL-FORMAT", f->path, "%s", archive_error_string(a));
		v->stop = true;
	}
	f->size = total;
	goto out;
oom:
	bv_find(v, DG_FINDING_ERROR, "BAG-LIMIT", f->path, "out of memory");
	v->stop = true;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
}

/* Pass 1 over a serialization: the inventory, the tag files unpacked. */
static void
bv_archive_scan(struct bv *v)
{
	struct archive *a;
	struct archive_entry *e;
	struct bv_file *f;
	struct bv_loc l;
	char *buf = malloc(BG_PATH_MAX + 1);
	const char *rel;
	bool bad;
	int r;
	mode_t t;

	bv_loc_enter(v, &l);
	a = buf != NULL ? bv_archive_open(v) : NULL;
	if (a == NULL)
		goto out;
	while (!v->stop) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			bv_find(v, DG_FINDING_ERROR, "BAG-SERIAL-FORMAT", NULL, "%s", archive_error_string(a));
			break;
		}
		rel = bv_entry_path(v, e, buf, true, &bad);
		t = archive_entry_filetype(e);
		if (rel == NULL) {
			if (!bad && t != AE_IFDIR && v->outside++ == 0)
				bv_find(v, DG_FINDING_ERROR, "BAG-SERIAL-TOPDIR", buf,
				        "a file at the top: a serialized bag holds one top directory");
			continue;
		}
		if (archive_entry_hardlink(e) != NULL || (t != AE_IFREG && t != AE_IFDIR)) {
			bv_find(v, DG_FINDING_ERROR, "BAG-SERIAL-ENTRY-TYPE", rel,
			        "neither a file nor a directory (links are refused)");
			continue;
		}
		f = bv_get(v, rel);
		if (f == NULL)
			break;
		if (f->type != BV_NONE) {
			if (!(f->type == BV_DIR && t == AE_IFDIR))
				bv_find(v, DG_FINDING_ERROR, "BAG-SERIAL-DUPLICATE", rel,
				        "more than one entry of this name");
			continue;
		}
		if (strcmp(rel, "data") == 0 || strncmp(rel, "data/", 5) == 0)
			v->has_data = true;
		if (t == AE_IFDIR) {
			f->type = BV_DIR;
			continue;
		}
		f->type = BV_REG;
		if (strncmp(rel, "data/", 5) == 0)
			f->size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
		else
			bv_unpack_tag(v, a, f);
	}
	if (v->top == NULL && !v->stop)
		bv_find(v, DG_FINDING_ERROR, "BAG-SERIAL-FORMAT", NULL, "an empty archive");
	if (v->outside > 1)
		bv_find(v, DG_FINDING_ERROR, "BAG-SERIAL-TOPDIR", NULL,
		        "%" PRId64 " entries outside the top directory \"%s\" (ignored)", v->outside,
		        v->top ? v->top : "");
	archive_read_free(a);
out:
	bv_loc_leave(v, &l);
	free(buf);
}

/* Pass 2: hash every payload entry as it streams by. */
static void
bv_archive_digests(struct bv *v)
{
	unsigned char got[BG_ALG_N][BG_DIGEST_MAX];
	struct archive *a;
	struct archive_entry *e;
	struct bv_file *f;
	struct bv_loc l;
	struct bg_hash h;
	char *buf = malloc(BG_PATH_MAX + 1);
	unsigned char *data = malloc(BG_CHUNK);
	const char *rel;
	int64_t total;
	la_ssize_t n;
	bool bad;
	int r;

	bv_loc_enter(v, &l);
	a = buf != NULL && data != NULL ? bv_archive_open(v) : NULL;
	if (a == NULL)
		goto out;
	while (!v->stop) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF || r < ARCHIVE_WARN)
			break;
		rel = bv_entry_path(v, e, buf, false, &bad);
		if (rel == NULL || archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) != NULL ||
		    strncmp(rel, "data/", 5) != 0)
			continue;
		f = bv_lookup(v, rel);
		if (f == NULL || f->type != BV_REG || (f->flags & BV_F_DONE))
			continue;
		f->flags |= BV_F_DONE;
		if (bg_hash_init(&h, bv_mask(v, f)) != 0) {
			v->stop = true;
			break;
		}
		total = 0;
		while ((n = archive_read_data(a, data, BG_CHUNK)) > 0) {
			bg_hash_update(&h, data, (size_t)n);
			total += n;
		}
		if (n < 0) {
			bv_find(v, DG_FINDING_ERROR, "BAG-SERIAL-FORMAT", rel, "%s", archive_error_string(a));
			bg_hash_release(&h);
			continue;
		}
		f->size = total;
		if (bg_hash_final(&h, got) == 0 && bv_mask(v, f) != 0)
			bv_compare(v, f, got);
		bg_hash_release(&h);
	}
	archive_read_free(a);
out:
	bv_loc_leave(v, &l);
	free(buf);
	free(data);
}

/* Remove the private directory (only files and directories we made). */
static void
bv_rmtree(int dirfd)
{
	DIR *d;
	struct dirent *de;
	struct stat sb;
	int fd = dup(dirfd), sub;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode)) {
			sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				bv_rmtree(sub);
				close(sub);
			}
			unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd, de->d_name, 0);
		}
	}
	closedir(d);
}

/* ------------------------------------------------------------------ */
/* Completeness */

static void
bv_complete(struct bv *v, struct bv_file **all)
{
	struct bv_file *f, *t;
	size_t i, k;
	int64_t before = v->errors;
	bool fetched_note = false;
	char *a, *b;

	for (i = 0; all[i] != NULL; i++) {
		f = all[i];
		bool payload = strncmp(f->path, "data/", 5) == 0;

		if (f->type == BV_REG && payload) {
			v->pay_files++;
			for (k = 0; k < v->nman; k++)
				if ((v->payload_bits & (1u << k)) && !(f->listed & (1u << k)))
					bv_find(v, DG_FINDING_ERROR, "BAG-PAYLOAD-UNLISTED", f->path,
					        "not listed in %s", v->man[k].name);
			if ((f->listed & v->payload_bits) && bv_is_system(f->path))
				bv_find(v, DG_FINDING_WARN, "BAG-SYSTEM-FILE", f->path,
				        "an operating system's metadata file in the payload");
		}
		if ((f->flags & BV_F_FETCH) && (f->listed & v->payload_bits) != v->payload_bits)
			bv_find(v, DG_FINDING_ERROR, "BAG-FETCH-UNLISTED", f->path,
			        "in fetch.txt but not in every payload manifest");
		if (f->type != BV_NONE && f->type != BV_REG && f->listed != 0) {
			bv_find(v, DG_FINDING_ERROR, "BAG-MANIFEST-NOT-FILE", f->path,
			        "listed, but not a regular file");
			continue;
		}
		if (f->type != BV_NONE || f->listed == 0)
			continue;
		/* listed, absent */
		if (f->flags & BV_F_FETCH) {
			v->incomplete = true;
			bv_find(v, DG_FINDING_ERROR, "BAG-INCOMPLETE", f->path,
			        "listed in fetch.txt and not fetched yet");
			continue;
		}
		t = bv_fold_find(v, f->path);
		if (t != NULL && t != f) {
			a = bv_unorm(f->path, false);
			b = bv_unorm(t->path, false);
			if (a != NULL && b != NULL && strcmp(a, b) == 0)
				bv_find(v, DG_FINDING_WARN, "BAG-PATH-NORMALIZATION", f->path,
				        "listed in another Unicode normalization than the file %s", t->path);
			else
				bv_find(v, DG_FINDING_WARN, "BAG-PATH-CASE", f->path,
				        "no such file; %s differs only in letter case (a case-insensitive file system "
				        "holds one of them)",
				        t->path);
			free(a);
			free(b);
			f->target = t;
			f->alias_next = t->aliases;
			t->aliases = f;
			continue;
		}
		if (bv_is_system(f->path)) {
			v->sys_missing++;
			bv_find(v, DG_FINDING_WARN, "BAG-SYSTEM-FILE-MISSING", f->path,
			        "an operating system's metadata file, listed but absent (copying tools drop them)");
			continue;
		}
		for (k = 0; k < v->nman; k++)
			if (f->listed & (1u << k))
				bv_find(v, DG_FINDING_ERROR,
				        v->man[k].tag ? "BAG-TAGMANIFEST-MISSING-FILE" : "BAG-MANIFEST-MISSING-FILE",
				        f->path, "listed in %s but not in the bag", v->man[k].name);
	}
	for (i = 0; all[i] != NULL; i++)
		if ((all[i]->flags & BV_F_FETCH) && all[i]->type == BV_REG && !fetched_note) {
			bv_find(v, DG_FINDING_INFO, "BAG-FETCH-PRESENT", "fetch.txt",
			        "files listed in fetch.txt are present (fetched already)");
			fetched_note = true;
		}
	if (v->errors == before && v->payload_bits != 0)
		v->host->finding(v->ctx, DG_FINDING_PASS, "BAG-COMPLETE", NULL,
		                 "%" PRId64
		                 " payload files, each listed in every payload manifest, every listed file present",
		                 v->pay_files);
}

/* ------------------------------------------------------------------ */

int
bg_verify(struct dg_ctx *ctx, const struct dg_host *host, const struct bg_limits *lim, const char *path)
{
	struct bv v;
	struct bv_file **all = NULL, *f;
	struct stat sb;
	char tmpl[4096];
	const char *tmpdir;
	size_t i;
	int64_t before;
	bool strong = false;

	memset(&v, 0, sizeof(v));
	v.ctx = ctx;
	v.host = host;
	v.lim = lim;
	v.path = path;
	v.root = -1;
	v.filter = -1;
	v.loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);

	if (stat(path, &sb) != 0) {
		bv_find(&v, DG_FINDING_ERROR, "BAG-OPEN", path, "%s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		v.root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (v.root < 0) {
			bv_find(&v, DG_FINDING_ERROR, "BAG-OPEN", path, "%s", strerror(errno));
			goto out;
		}
		bv_walk(&v, v.root, "", 0);
		f = bv_lookup(&v, "data");
		v.has_data = f != NULL && f->type == BV_DIR;
	} else if (S_ISREG(sb.st_mode)) {
		v.archive = true;
		v.filter = bv_sniff(&v);
		if (v.filter == -2) {
			bv_find(&v, DG_FINDING_ERROR, "BAG-OPEN", path, "%s", strerror(errno));
			goto out;
		}
		tmpdir = getenv("TMPDIR");
		snprintf(tmpl, sizeof(tmpl), "%s/dangan-bag.XXXXXX",
		         tmpdir != NULL && tmpdir[0] == '/' && strlen(tmpdir) < 4000 ? tmpdir : "/tmp");
		if (mkdtemp(tmpl) == NULL || (v.tmp = strdup(tmpl)) == NULL ||
		    (v.root = open(tmpl, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			bv_find(&v, DG_FINDING_ERROR, "BAG-OPEN", NULL, "cannot make a temporary directory: %s",
			        strerror(errno));
			goto out;
		}
		bv_archive_scan(&v);
		if (v.top == NULL)
			goto out;
	} else {
		bv_find(&v, DG_FINDING_ERROR, "BAG-OPEN", path, "neither a directory nor a serialized bag");
		goto out;
	}
	if (v.stop)
		goto out;

	bv_decl(&v);
	if (!v.has_data)
		bv_find(&v, DG_FINDING_ERROR, "BAG-PAYLOAD-DIR-MISSING", "data", "no payload directory data/");
	all = bv_sorted(&v);
	if (all == NULL)
		goto oom;
	bv_find_manifests(&v, all);
	free(all);
	all = NULL;
	for (i = 0; i < v.nman && !v.stop; i++)
		if (!v.man[i].tag) {
			bv_manifest(&v, i);
			if (bg_algs[v.man[i].alg].strong)
				strong = true;
		}
	if (v.payload_bits == 0)
		bv_find(&v, DG_FINDING_ERROR, "BAG-MANIFEST-NONE", NULL, "no payload manifest that can be checked");
	else if (!strong)
		bv_find(&v, DG_FINDING_WARN, "BAG-ALGORITHM-WEAK", NULL,
		        "only MD5/SHA-1 payload manifests: SHA-512 or SHA-256 should be used");
	if (!v.stop)
		bv_fetch(&v);
	if (!v.stop)
		bv_info(&v);
	for (i = 0; i < v.nman && !v.stop; i++)
		if (v.man[i].tag)
			bv_manifest(&v, i);
	if (v.stop)
		goto out;

	all = bv_sorted(&v);
	if (all == NULL)
		goto oom;
	bv_complete(&v, all);

	before = v.errors;
	bv_digest_all(&v, all);
	if (v.archive && !v.stop)
		bv_archive_digests(&v);
	if (v.errors == before && !v.stop && v.checked_files > 0)
		host->finding(ctx, DG_FINDING_PASS, "BAG-DIGESTS", NULL,
		              "%" PRId64 " files, %" PRId64 " checksums verified%s%s%s", v.checked_files,
		              v.checked_digests,
		              lim->payload_alg >= 0 ? " (the export's own check of its bag: payload files by " : "",
		              lim->payload_alg >= 0 ? bg_algs[lim->payload_alg].name : "",
		              lim->payload_alg >= 0 ? " alone, the other manifests' digests having been computed "
		                                      "from the same bytes as they were written)"
		                                    : "");

	/* Payload-Oxum */
	for (i = 0; all[i] != NULL; i++)
		if (all[i]->type == BV_REG && strncmp(all[i]->path, "data/", 5) == 0 && all[i]->size > 0)
			v.pay_bytes += all[i]->size;
	if (v.oxum_set && !v.stop) {
		if (v.incomplete)
			bv_find(&v, DG_FINDING_INFO, "BAG-OXUM-SKIPPED", NULL,
			        "Payload-Oxum not checked: the bag is incomplete");
		else if (v.sys_missing > 0 && v.oxum_files - v.pay_files == v.sys_missing &&
		         v.oxum_bytes >= v.pay_bytes)
			bv_find(&v, DG_FINDING_WARN, "BAG-OXUM-SYSTEM-FILES", NULL,
			        "Payload-Oxum %" PRId64 ".%" PRId64 " counts the %" PRId64
			        " absent operating-system files; the payload is %" PRId64 ".%" PRId64,
			        v.oxum_bytes, v.oxum_files, v.sys_missing, v.pay_bytes, v.pay_files);
		else if (v.oxum_bytes != v.pay_bytes || v.oxum_files != v.pay_files)
			bv_find(&v, DG_FINDING_ERROR, "BAG-OXUM-MISMATCH", NULL,
			        "Payload-Oxum %" PRId64 ".%" PRId64 ", the payload is %" PRId64 ".%" PRId64,
			        v.oxum_bytes, v.oxum_files, v.pay_bytes, v.pay_files);
		else
			host->finding(ctx, DG_FINDING_PASS, "BAG-OXUM", NULL,
			              "Payload-Oxum %" PRId64 ".%" PRId64 " matches", v.oxum_bytes, v.oxum_files);
	}
	goto out;
oom:
	bv_find(&v, DG_FINDING_ERROR, "BAG-LIMIT", NULL, "out of memory");
out:
	bv_find_summary(&v);
	free(all);
	bv_free_table(&v);
	if (v.tmp != NULL && v.root >= 0) {
		bv_rmtree(v.root);
		rmdir(v.tmp);
	}
	if (v.root >= 0)
		close(v.root);
	free(v.tmp);
	free(v.top);
	if (v.loc != (locale_t)0)
		freelocale(v.loc);
	if (v.errors > 0)
		return DG_FAILED;
	return v.warnings > 0 ? DG_WARN : DG_OK;
}
