/*
 * plugins/ocfl/verify.c -- validate an OCFL 1.0/1.1 storage root or
 * object root against the specification, reporting each finding with
 * the specification's own code (E001..E112 as errors, W001..W016 as
 * warnings) through host->finding(), and going on after each one.
 *
 * What is read is bounded: every JSON file (inventories, the layout)
 * by max_inventory, declarations and sidecars by a few KiB, directory
 * listings by a count, nesting by a depth; findings shown by a count
 * (the rest are counted).  Content files are read once each, in
 * chunks, with every digest the inventories claim for them computed
 * over that one read.
 *
 * Nothing outside the given directory is ever opened: every file is
 * reached from its directory's descriptor by a name found in that
 * directory's listing (openat with O_NOFOLLOW), never by a path taken
 * from an inventory, and symbolic links are reported (E090), not
 * followed.
 */
#include <config.h>

#include "ocfl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define OCFL_FINDINGS_MAX 5000    /* findings shown; the rest are counted */
#define OCFL_DEPTH_MAX 64         /* directory nesting followed */
#define OCFL_ENTRIES_MAX 1000000  /* entries of one directory */
#define OCFL_SMALL_MAX 4096       /* declarations and sidecars */
#define OCFL_WHERE_MAX 4096       /* longest path shown */
#define OCFL_SHOW_MAX 200         /* bytes of an untrusted value shown */
#define OCFL_VERSIONS_MAX 1000000 /* versions of one object */

/* Registered extension names (https://ocfl.github.io/extensions/). */
static const char *const ocfl_registered[] = {
    "0001-digest-algorithms",
    "0002-flat-direct-storage-layout",
    "0003-hash-and-id-n-tuple-storage-layout",
    "0004-hashed-n-tuple-storage-layout",
    "0005-mutable-head",
    "0006-flat-omit-prefix-storage-layout",
    "0007-n-tuple-omit-prefix-storage-layout",
    "0008-schema-registry",
    "0009-digest-algorithms",
    "0011-direct-clean-path-layout",
    "0012-hash-and-no-prefix-id-n-tuple-storage-layout",
    NULL,
};

struct ocfl_v {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	int64_t max_inv;
	char prefix[OCFL_WHERE_MAX]; /* where of the object being checked, "" or ".../" */
	long errors, warnings, shown, suppressed;
	long objects, files;
	int nomem;
};

struct ocfl_ent {
	char *name;
	mode_t mode;
};

struct ocfl_dir {
	struct ocfl_ent *e;
	size_t n;
};

struct ocfl_ver {
	const char *name; /* key in the versions object */
	long num;
};

/* One inventory as read and checked. */
struct ocfl_inv {
	json_t *j; /* the parsed document (NULL when unreadable) */
	const char *id, *type, *head, *cdir_set;
	const char *alg_name;                 /* digestAlgorithm as given */
	int alg;                              /* its index, -1 when not usable */
	int spec;                             /* 10 or 11 from type, 0 when unknown */
	const char *cdir;                     /* effective content directory */
	json_t *manifest, *versions, *fixity; /* borrowed, NULL when not objects */
	struct ocfl_ver *vs;                  /* versions in order (valid names only) */
	size_t nvs;
	int seq_ok;                /* version names usable for the layout */
	json_t *cp;                /* content path -> manifest digest */
	char sha512[OCFL_HEX_MAX]; /* of the file's bytes (E064) */
};

/* ---------------------------------------------------------------- */
/* findings */

static void
ocfl_clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void DG_PRINTF(5, 6)
    ocfl_find(struct ocfl_v *v, enum dg_finding_level level, const char *code, const char *where, const char *fmt, ...)
{
	char msg[1024], w[OCFL_WHERE_MAX + 16];
	va_list ap;

	if (level == DG_FINDING_ERROR)
		v->errors++;
	else if (level == DG_FINDING_WARN)
		v->warnings++;
	if (v->shown >= OCFL_FINDINGS_MAX && level != DG_FINDING_PASS) {
		v->suppressed++;
		return;
	}
	v->shown++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(w, sizeof(w), "%s%s", v->prefix, where ? where : "");
	if (!w[0])
		snprintf(w, sizeof(w), ".");
	else if (w[strlen(w) - 1] == '/' && strlen(w) > 1)
		w[strlen(w) - 1] = '\0';
	ocfl_clean(msg);
	ocfl_clean(w);
	v->host->finding(v->ctx, level, code, w, "%s", msg);
}

#define ERR(v, code, where, ...) ocfl_find((v), DG_FINDING_ERROR, (code), (where), __VA_ARGS__)
#define WARN(v, code, where, ...) ocfl_find((v), DG_FINDING_WARN, (code), (where), __VA_ARGS__)

/* An untrusted string, shortened for a message. */
static const char *
ocfl_show(const char *s, char *buf, size_t cap)
{
	size_t n;

	if (!s)
		return "(null)";
	n = strlen(s);
	if (n < cap && n <= OCFL_SHOW_MAX)
		return s;
	if (cap > OCFL_SHOW_MAX + 4)
		cap = OCFL_SHOW_MAX + 4;
	snprintf(buf, cap, "%.*s...", (int)(cap - 4), s);
	return buf;
}

static void
ocfl_nomem(struct ocfl_v *v)
{
	if (!v->nomem)
		ERR(v, NULL, NULL, "out of memory: the check is incomplete");
	v->nomem = 1;
}

/* ---------------------------------------------------------------- */
/* files and directories */

static int
ocfl_ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ocfl_ent *)a)->name, ((const struct ocfl_ent *)b)->name);
}

static void
ocfl_dir_release(struct ocfl_dir *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->e[i].name);
	free(d->e);
	d->e = NULL;
	d->n = 0;
}

/* The entries of an open directory (without . and ..), sorted, with
 * their types as lstat sees them.  dfd stays open.  0 or -1. */
static int
ocfl_dir_list(struct ocfl_v *v, int dfd, const char *where, struct ocfl_dir *out)
{
	DIR *dir = NULL;
	struct dirent *de;
	size_t cap = 0;
	int fd, rc = -1;

	out->e = NULL;
	out->n = 0;
	fd = dup(dfd);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		ERR(v, NULL, where, "cannot list the directory: %s", strerror(errno));
		return -1;
	}
	rewinddir(dir);
	while ((errno = 0, de = readdir(dir)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (out->n >= OCFL_ENTRIES_MAX) {
			ERR(v, NULL, where, "more than %d entries: not checked further", OCFL_ENTRIES_MAX);
			goto out;
		}
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue; /* vanished */
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct ocfl_ent *ne = realloc(out->e, ncap * sizeof(*ne));
			if (!ne) {
				ocfl_nomem(v);
				goto out;
			}
			out->e = ne;
			cap = ncap;
		}
		out->e[out->n].name = strdup(de->d_name);
		if (!out->e[out->n].name) {
			ocfl_nomem(v);
			goto out;
		}
		out->e[out->n].mode = st.st_mode;
		out->n++;
	}
	if (errno) {
		ERR(v, NULL, where, "cannot list the directory: %s", strerror(errno));
		goto out;
	}
	if (out->n > 1)
		qsort(out->e, out->n, sizeof(*out->e), ocfl_ent_cmp);
	rc = 0;
out:
	closedir(dir);
	if (rc < 0)
		ocfl_dir_release(out);
	return rc;
}

static const struct ocfl_ent *
ocfl_dir_get(const struct ocfl_dir *d, const char *name)
{
	struct ocfl_ent key = {.name = (char *)name};

	if (!d->n)
		return NULL;
	return bsearch(&key, d->e, d->n, sizeof(*d->e), ocfl_ent_cmp);
}

/* Open a subdirectory found in a listing (never through a link). */
int
ocfl_open_dir(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int
ocfl_read_file(int dfd, const char *name, int64_t max, char **buf, size_t *len)
{
	struct stat st;
	char *p = NULL;
	size_t got = 0;
	int fd, rc = -1;

	*buf = NULL;
	*len = 0;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		if (errno == ELOOP)
			return -3;
		return -1;
	}
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		rc = -3;
		goto out;
	}
	if (st.st_size > max) {
		rc = -2;
		goto out;
	}
	p = malloc((size_t)st.st_size + 1);
	if (!p)
		goto out;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* shrank while read: take what is there */
		got += (size_t)n;
	}
	p[got] = '\0';
	*buf = p;
	*len = got;
	p = NULL;
	rc = 0;
out:
	free(p);
	close(fd);
	return rc;
}

/* ---------------------------------------------------------------- */
/* syntax */

static int
ocfl_is_registered(const char *name)
{
	int i;

	for (i = 0; ocfl_registered[i]; i++)
		if (strcmp(ocfl_registered[i], name) == 0)
			return 1;
	return 0;
}

/* scheme ":" something, no white space (RFC 3986, loosely) */
static int
ocfl_is_uri(const char *s)
{
	const char *p = s;

	if (!s || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	while (*p && *p != ':') {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '+' ||
		      *p == '-' || *p == '.'))
			return 0;
		p++;
	}
	if (*p != ':' || !p[1])
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

static int
ocfl_digits(const char *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int
ocfl_num(const char *s, int n)
{
	int i, r = 0;

	for (i = 0; i < n; i++)
		r = r * 10 + (s[i] - '0');
	return r;
}

/* RFC 3339 date-time: full date, "T", time to the second, optional
 * fraction, "Z" or a numeric offset. */
static int
ocfl_is_rfc3339(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 20 || !ocfl_digits(s, 4) || s[4] != '-' || !ocfl_digits(s + 5, 2) || s[7] != '-' ||
	    !ocfl_digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !ocfl_digits(s + 11, 2) || s[13] != ':' ||
	    !ocfl_digits(s + 14, 2) || s[16] != ':' || !ocfl_digits(s + 17, 2))
		return 0;
	if (ocfl_num(s + 5, 2) < 1 || ocfl_num(s + 5, 2) > 12 || ocfl_num(s + 8, 2) < 1 || ocfl_num(s + 8, 2) > 31 ||
	    ocfl_num(s + 11, 2) > 23 || ocfl_num(s + 14, 2) > 59 || ocfl_num(s + 17, 2) > 60)
		return 0;
	i = 19;
	if (s[i] == '.') {
		size_t k = ++i;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == k)
			return 0;
	}
	if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
		return 1;
	if ((s[i] == '+' || s[i] == '-') && n - i == 6 && ocfl_digits(s + i + 1, 2) && s[i + 3] == ':' &&
	    ocfl_digits(s + i + 4, 2) && ocfl_num(s + i + 1, 2) <= 23 && ocfl_num(s + i + 4, 2) <= 59)
		return 1;
	return 0;
}

#define OCFL_PATH_EDGE 1 /* begins or ends with "/" */
#define OCFL_PATH_ELEM 2 /* an element is empty, "." or ".." */

static int
ocfl_path_check(const char *p)
{
	const char *s = p, *e;
	int bad = 0;
	size_t n = strlen(p);

	if (n == 0)
		return OCFL_PATH_ELEM;
	if (p[0] == '/' || p[n - 1] == '/')
		bad |= OCFL_PATH_EDGE;
	for (;;) {
		size_t len;
		e = strchr(s, '/');
		len = e ? (size_t)(e - s) : strlen(s);
		if ((len == 0 && !((s == p && p[0] == '/') || (!e && p[n - 1] == '/'))) || (len == 1 && s[0] == '.') ||
		    (len == 2 && s[0] == '.' && s[1] == '.'))
			bad |= OCFL_PATH_ELEM;
		if (!e)
			break;
		s = e + 1;
	}
	return bad;
}

/* A version directory name: "v" and a positive decimal number.  Sets
 * the number and the width of a zero-padded name (0 when not padded). */
static int
ocfl_vname(const char *s, long *num, int *padded)
{
	size_t n;
	long r = 0;
	size_t i;

	if (!s || s[0] != 'v')
		return 0;
	n = strlen(s + 1);
	if (n == 0 || n > 9 || strspn(s + 1, "0123456789") != n)
		return 0;
	for (i = 1; i <= n; i++)
		r = r * 10 + (s[i] - '0');
	*num = r;
	*padded = (n > 1 && s[1] == '0') ? (int)n : 0;
	return 1;
}

static int
ocfl_ver_cmp(const void *a, const void *b)
{
	const struct ocfl_ver *x = a, *y = b;

	return x->num < y->num ? -1 : x->num > y->num;
}

/* Insert a path into a set; report a duplicate or a path that is the
 * directory of another one (E101 content, E095 logical).  The set maps
 * each path to true and each directory prefix to false. */
static void
ocfl_path_set_add(struct ocfl_v *v, json_t *set, const char *p, const char *code, const char *where, const char *what)
{
	char sb[OCFL_SHOW_MAX + 8];
	json_t *have = json_object_get(set, p);
	char *dup;
	size_t i, n;

	if (have) {
		if (json_is_true(have))
			ERR(v, code, where, "%s %s is listed more than once", what, ocfl_show(p, sb, sizeof(sb)));
		else
			ERR(v, code, where, "%s %s is also the directory of another %s", what,
			    ocfl_show(p, sb, sizeof(sb)), what);
		return;
	}
	if (json_object_set_new_nocheck(set, p, json_true()) != 0) {
		ocfl_nomem(v);
		return;
	}
	n = strlen(p);
	dup = strdup(p);
	if (!dup) {
		ocfl_nomem(v);
		return;
	}
	for (i = 1; i < n; i++) {
		json_t *pre;
		if (dup[i] != '/')
			continue;
		dup[i] = '\0';
		pre = json_object_get(set, dup);
		if (pre && json_is_true(pre))
			ERR(v, code, where, "%s %s is a file and the directory of %s", what,
			    ocfl_show(dup, sb, sizeof(sb)), p);
		else if (!pre && json_object_set_new_nocheck(set, dup, json_false()) != 0)
			ocfl_nomem(v);
		dup[i] = '/';
	}
	free(dup);
}

static void
ocfl_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* ---------------------------------------------------------------- */
/* inventories */

static void
ocfl_inv_release(struct ocfl_inv *inv)
{
	json_decref(inv->j);
	json_decref(inv->cp);
	free(inv->vs);
	memset(inv, 0, sizeof(*inv));
	inv->alg = -1;
}

/* The version names of an inventory in order, and the naming rules
 * (E009, E010, E011, E012, E013, E104, W001). */
static void
ocfl_inv_versions(struct ocfl_v *v, struct ocfl_inv *inv, const char *wi, int is_root)
{
	const char *key;
	json_t *val;
	size_t i, n = json_object_size(inv->versions);
	int width = -1, first_pad = 0;
	char sb[OCFL_SHOW_MAX + 8];

	if (n == 0) {
		ERR(v, "E008", wi, "the inventory has no versions");
		return;
	}
	if (n > OCFL_VERSIONS_MAX) {
		ERR(v, NULL, wi, "more than %d versions: not checked", OCFL_VERSIONS_MAX);
		return;
	}
	inv->vs = calloc(n, sizeof(*inv->vs));
	if (!inv->vs) {
		ocfl_nomem(v);
		return;
	}
	json_object_foreach(inv->versions, key, val)
	{
		long num;
		int pad;
		if (!ocfl_vname(key, &num, &pad) || num < 0) {
			ERR(v, "E104", wi, "version %s is not named \"v\" and a number",
			    ocfl_show(key, sb, sizeof(sb)));
			continue;
		}
		inv->vs[inv->nvs].name = key;
		inv->vs[inv->nvs].num = num;
		inv->nvs++;
	}
	if (!inv->nvs)
		return;
	qsort(inv->vs, inv->nvs, sizeof(*inv->vs), ocfl_ver_cmp);
	inv->seq_ok = 1;
	if (inv->vs[0].num != 1) {
		ERR(v, "E009", wi, "the versions start at %s, not at 1", inv->vs[0].name);
		inv->seq_ok = 0;
	}
	for (i = 1; i < inv->nvs; i++) {
		if (inv->vs[i].num == inv->vs[i - 1].num) {
			ERR(v, "E012", wi, "versions %s and %s have the same number", inv->vs[i - 1].name,
			    inv->vs[i].name);
			inv->seq_ok = 0;
		} else if (inv->vs[i].num != inv->vs[i - 1].num + 1) {
			ERR(v, "E010", wi, "the versions skip from %s to %s", inv->vs[i - 1].name, inv->vs[i].name);
			inv->seq_ok = 0;
		}
	}
	/* the first version sets the naming convention */
	{
		long num;
		int pad;
		ocfl_vname(inv->vs[0].name, &num, &pad);
		first_pad = pad;
		width = (int)strlen(inv->vs[0].name) - 1;
	}
	if (first_pad && is_root)
		WARN(v, "W001", wi, "the version directories are zero-padded (%s)", inv->vs[0].name);
	for (i = 0; i < inv->nvs; i++) {
		const char *nm = inv->vs[i].name;
		long num;
		int pad, w = (int)strlen(nm) - 1;
		ocfl_vname(nm, &num, &pad);
		if (first_pad) {
			if (nm[1] != '0')
				ERR(v, "E011", wi, "zero-padded version %s does not begin with v0", nm);
			if (w != width || nm[1] != '0')
				ERR(v, "E013", wi, "version %s does not follow the naming of %s", nm, inv->vs[0].name);
			if (w != width)
				ERR(v, "E012", wi, "version %s is not padded to the width of %s", nm, inv->vs[0].name);
		} else if (pad) {
			ERR(v, "E012", wi, "version %s is zero-padded, %s is not", nm, inv->vs[0].name);
			ERR(v, "E013", wi, "version %s does not follow the naming of %s", nm, inv->vs[0].name);
		}
	}
}

/* A block of digests -> content paths (manifest or one fixity
 * algorithm): structure, digest syntax, case-insensitive duplicates,
 * content paths.  For the manifest, fills inv->cp and the path set. */
static void
ocfl_inv_digests(struct ocfl_v *v, struct ocfl_inv *inv, json_t *block, int alg, int is_manifest, const char *wi)
{
	const char *dig;
	json_t *paths, *lower = json_object(), *set = is_manifest ? json_object() : NULL;
	const char *c_struct = is_manifest ? "E092" : "E057";
	const char *c_dup = is_manifest ? "E096" : "E097";
	const char *what = is_manifest ? "manifest" : "fixity";
	char sb[OCFL_SHOW_MAX + 8];

	if (!lower || (is_manifest && !set)) {
		ocfl_nomem(v);
		goto out;
	}
	json_object_foreach(block, dig, paths)
	{
		char low[OCFL_HEX_MAX + 32];
		size_t i;
		json_t *p;
		if (alg >= 0 && !ocfl_alg_valid_value(alg, dig))
			ERR(v, is_manifest ? "E039" : "E057", wi, "%s digest %s is not a %s value", what,
			    ocfl_show(dig, sb, sizeof(sb)), ocfl_alg_name(alg));
		/* a digest with upper case is a duplicate when its lower-case
		 * form is a key too, or another one's lower-case form is its */
		if (strlen(dig) < sizeof(low) && strpbrk(dig, "ABCDEF")) {
			snprintf(low, sizeof(low), "%s", dig);
			ocfl_lower(low);
			if (json_object_get(block, low) || json_object_get(lower, low))
				ERR(v, c_dup, wi, "%s digest %s occurs more than once (ignoring case)", what,
				    ocfl_show(dig, sb, sizeof(sb)));
			else if (json_object_set_new_nocheck(lower, low, json_true()) != 0)
				ocfl_nomem(v);
		}
		if (!json_is_array(paths)) {
			ERR(v, c_struct, wi, "the %s value of %s is not an array of content paths", what,
			    ocfl_show(dig, sb, sizeof(sb)));
			continue;
		}
		if (json_array_size(paths) == 0)
			ERR(v, c_struct, wi, "the %s value of %s is an empty array", what,
			    ocfl_show(dig, sb, sizeof(sb)));
		json_array_foreach(paths, i, p)
		{
			const char *cp = json_string_value(p);
			int bad;
			if (!cp) {
				ERR(v, c_struct, wi, "a %s content path of %s is not a string", what,
				    ocfl_show(dig, sb, sizeof(sb)));
				continue;
			}
			bad = ocfl_path_check(cp);
			if (bad & OCFL_PATH_EDGE)
				ERR(v, "E100", wi, "%s content path %s begins or ends with /", what,
				    ocfl_show(cp, sb, sizeof(sb)));
			if (bad & OCFL_PATH_ELEM)
				ERR(v, "E099", wi, "%s content path %s has an empty, . or .. element", what,
				    ocfl_show(cp, sb, sizeof(sb)));
			if (is_manifest) {
				ocfl_path_set_add(v, set, cp, "E101", wi, "content path");
				if (!json_object_get(inv->cp, cp) &&
				    json_object_set_new_nocheck(inv->cp, cp, json_string_nocheck(dig)) != 0)
					ocfl_nomem(v);
			} else if (inv->cp && !json_object_get(inv->cp, cp)) {
				ERR(v, "E057", wi, "fixity content path %s is not in the manifest",
				    ocfl_show(cp, sb, sizeof(sb)));
			}
		}
	}
out:
	json_decref(lower);
	json_decref(set);
}

/* Where a content path must be: <version>/<content directory>/... */
static void
ocfl_inv_content_paths(struct ocfl_v *v, struct ocfl_inv *inv, const char *wi)
{
	const char *cp;
	json_t *dig;
	char sb[OCFL_SHOW_MAX + 8];
	size_t cdl = strlen(inv->cdir);

	json_object_foreach(inv->cp, cp, dig)
	{
		const char *slash = strchr(cp, '/');
		char vn[16];
		size_t vl = slash ? (size_t)(slash - cp) : 0;
		if (!slash || vl >= sizeof(vn)) {
			ERR(v, "E042", wi, "content path %s is not in a version directory",
			    ocfl_show(cp, sb, sizeof(sb)));
			continue;
		}
		memcpy(vn, cp, vl);
		vn[vl] = '\0';
		if (!json_object_get(inv->versions, vn)) {
			ERR(v, "E042", wi, "content path %s is not in a version directory of the inventory",
			    ocfl_show(cp, sb, sizeof(sb)));
			continue;
		}
		if (strncmp(slash + 1, inv->cdir, cdl) != 0 || slash[1 + cdl] != '/')
			ERR(v, "E042", wi, "content path %s is not in the content directory %s of %s",
			    ocfl_show(cp, sb, sizeof(sb)), inv->cdir, vn);
	}
}

/* One version block (E047, E048, E049, E050, E052, E053, E054, E094,
 * E095, E102, W007, W008, W009); adds the digests of its state to used. */
static void
ocfl_inv_version(struct ocfl_v *v, struct ocfl_inv *inv, const char *vn, json_t *ver, json_t *used, const char *wi,
                 int is_root)
{
	const char *key, *dig;
	json_t *val, *paths, *set;
	char sb[OCFL_SHOW_MAX + 8];

	if (!json_is_object(ver)) {
		ERR(v, "E047", wi, "version %s is not a JSON object", vn);
		return;
	}
	json_object_foreach(ver, key, val)
	{
		if (strcmp(key, "created") != 0 && strcmp(key, "state") != 0 && strcmp(key, "message") != 0 &&
		    strcmp(key, "user") != 0)
			ERR(v, "E102", wi, "version %s has a key that is not in the specification: %s", vn,
			    ocfl_show(key, sb, sizeof(sb)));
	}
	val = json_object_get(ver, "created");
	if (!val)
		ERR(v, "E048", wi, "version %s has no created", vn);
	else if (!json_is_string(val) || !ocfl_is_rfc3339(json_string_value(val)))
		ERR(v, "E049", wi, "the created of version %s is not an RFC 3339 date-time with seconds and zone", vn);
	val = json_object_get(ver, "message");
	if (val && !json_is_string(val))
		ERR(v, "E094", wi, "the message of version %s is not a string", vn);
	val = json_object_get(ver, "user");
	if (val) {
		json_t *name = json_object_get(val, "name"), *addr = json_object_get(val, "address");
		if (!json_is_object(val)) {
			ERR(v, "E054", wi, "the user of version %s is not a JSON object", vn);
		} else {
			json_object_foreach(val, key, paths)
			{
				if (strcmp(key, "name") != 0 && strcmp(key, "address") != 0)
					ERR(v, "E102", wi,
					    "the user of version %s has a key not in the specification: %s", vn,
					    ocfl_show(key, sb, sizeof(sb)));
			}
			if (!json_is_string(name) || !json_string_length(name))
				ERR(v, "E054", wi, "the user of version %s has no name string", vn);
			if (!addr) {
				if (is_root)
					WARN(v, "W008", wi, "the user of version %s has no address", vn);
			} else if (!json_is_string(addr)) {
				ERR(v, "E054", wi, "the user address of version %s is not a string", vn);
			} else if (is_root && !ocfl_is_uri(json_string_value(addr))) {
				WARN(v, "W009", wi, "the user address of version %s is not a URI: %s", vn,
				     ocfl_show(json_string_value(addr), sb, sizeof(sb)));
			}
		}
	}
	if (is_root && (!json_object_get(ver, "message") || !json_object_get(ver, "user")))
		WARN(v, "W007", wi, "version %s has no %s", vn,
		     !json_object_get(ver, "message") && !json_object_get(ver, "user") ? "message and no user"
		     : !json_object_get(ver, "message")                                ? "message"
		                                                                       : "user");
	val = json_object_get(ver, "state");
	if (!val) {
		ERR(v, "E048", wi, "version %s has no state", vn);
		return;
	}
	if (!json_is_object(val)) {
		ERR(v, "E050", wi, "the state of version %s is not a JSON object", vn);
		return;
	}
	set = json_object();
	if (!set) {
		ocfl_nomem(v);
		return;
	}
	json_object_foreach(val, dig, paths)
	{
		size_t i;
		json_t *p;
		if (inv->manifest && !json_object_get(inv->manifest, dig))
			ERR(v, "E050", wi, "state digest %s of version %s is not in the manifest",
			    ocfl_show(dig, sb, sizeof(sb)), vn);
		if (json_object_set_new_nocheck(used, dig, json_true()) != 0)
			ocfl_nomem(v);
		if (!json_is_array(paths)) {
			ERR(v, "E050", wi, "the state value of %s in version %s is not an array",
			    ocfl_show(dig, sb, sizeof(sb)), vn);
			continue;
		}
		json_array_foreach(paths, i, p)
		{
			const char *lp = json_string_value(p);
			int bad;
			if (!lp) {
				ERR(v, "E051", wi, "a logical path of version %s is not a string", vn);
				continue;
			}
			bad = ocfl_path_check(lp);
			if (bad & OCFL_PATH_EDGE)
				ERR(v, "E053", wi, "logical path %s of version %s begins or ends with /",
				    ocfl_show(lp, sb, sizeof(sb)), vn);
			if (bad & OCFL_PATH_ELEM)
				ERR(v, "E052", wi, "logical path %s of version %s has an empty, . or .. element",
				    ocfl_show(lp, sb, sizeof(sb)), vn);
			ocfl_path_set_add(v, set, lp, "E095", wi, "logical path");
		}
	}
	json_decref(set);
}

/* Read, parse and check one inventory and its sidecar.  dir is "" or
 * "v3/".  Returns 1 when there is no inventory.json, 0 otherwise (inv->j
 * NULL when it could not be parsed). */
static int
ocfl_inv_load(struct ocfl_v *v, int dfd, const char *dir, int is_root, int spec_decl, struct ocfl_inv *inv)
{
	char wi[OCFL_WHERE_MAX], ws[OCFL_WHERE_MAX], sb[OCFL_SHOW_MAX + 8];
	char *buf = NULL, *side = NULL;
	size_t len = 0, slen = 0;
	json_error_t jerr;
	json_t *val, *used = NULL;
	const char *key;
	int rc, sidealg = -1, i;
	char want[OCFL_HEX_MAX] = "";

	memset(inv, 0, sizeof(*inv));
	inv->alg = -1;
	inv->cdir = "content";
	snprintf(wi, sizeof(wi), "%sinventory.json", dir);
	rc = ocfl_read_file(dfd, "inventory.json", v->max_inv, &buf, &len);
	if (rc == 1)
		return 1;
	if (rc == -2) {
		ERR(v, NULL, wi, "larger than the limit of %lld bytes (max-inventory): not checked",
		    (long long)v->max_inv);
		return 0;
	}
	if (rc == -3) {
		ERR(v, "E033", wi, "not a regular file");
		return 0;
	}
	if (rc < 0) {
		ERR(v, NULL, wi, "cannot read: %s", strerror(errno));
		return 0;
	}
	if (ocfl_digest_mem(OCFL_SHA512, buf, len, inv->sha512) < 0)
		inv->sha512[0] = '\0';
	inv->j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!inv->j) {
		ERR(v, "E033", wi, "not valid JSON: %s (line %d)", jerr.text, jerr.line);
	} else if (!json_is_object(inv->j)) {
		ERR(v, "E033", wi, "not a JSON object");
		json_decref(inv->j);
		inv->j = NULL;
	}
	/* the sidecar's algorithm: the digestAlgorithm, else whichever
	 * sidecar is there; its digest now, so that the bytes can go */
	sidealg = ocfl_alg_find(json_string_value(json_object_get(inv->j, "digestAlgorithm")));
	for (i = 0; i < OCFL_ALG_N && (sidealg < 0 || !ocfl_alg_supported(sidealg)); i++) {
		char nm[64];
		struct stat st;
		snprintf(nm, sizeof(nm), "inventory.json.%s", ocfl_alg_name(i));
		if (ocfl_alg_supported(i) && fstatat(dfd, nm, &st, AT_SYMLINK_NOFOLLOW) == 0)
			sidealg = i;
	}
	if (sidealg >= 0 && ocfl_alg_supported(sidealg) && ocfl_digest_mem(sidealg, buf, len, want) < 0)
		want[0] = '\0';
	free(buf);
	buf = NULL;

	if (inv->j) {
		json_object_foreach(inv->j, key, val)
		{
			static const char *const keys[] = {
			    "id",     "type",     "digestAlgorithm", "head", "contentDirectory",
			    "fixity", "manifest", "versions",        NULL};
			for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
				;
			if (!keys[i])
				ERR(v, "E102", wi, "a key that is not in the specification: %s",
				    ocfl_show(key, sb, sizeof(sb)));
		}
		/* id */
		val = json_object_get(inv->j, "id");
		if (!val)
			ERR(v, "E036", wi, "no id");
		else if (!json_is_string(val) || !json_string_length(val))
			ERR(v, "E037", wi, "the id is not a non-empty string");
		else
			inv->id = json_string_value(val);
		if (inv->id && is_root && !ocfl_is_uri(inv->id))
			WARN(v, "W005", wi, "the id is not a URI: %s", ocfl_show(inv->id, sb, sizeof(sb)));
		/* type */
		val = json_object_get(inv->j, "type");
		if (!val) {
			ERR(v, "E036", wi, "no type");
		} else if (!json_is_string(val)) {
			ERR(v, "E038", wi, "the type is not a string");
		} else {
			inv->type = json_string_value(val);
			if (strcmp(inv->type, OCFL_SPEC_TYPE_1_1) == 0)
				inv->spec = 11;
			else if (strcmp(inv->type, OCFL_SPEC_TYPE_1_0) == 0)
				inv->spec = 10;
			else
				ERR(v, "E038", wi, "the type is not an OCFL inventory type: %s",
				    ocfl_show(inv->type, sb, sizeof(sb)));
			if (is_root && inv->spec && spec_decl && inv->spec != spec_decl)
				ERR(v, "E038", wi, "the type %s does not match the declaration 0=ocfl_object_1.%d",
				    inv->type, spec_decl - 10);
		}
		/* digestAlgorithm */
		val = json_object_get(inv->j, "digestAlgorithm");
		if (!val) {
			ERR(v, "E036", wi, "no digestAlgorithm");
		} else if (!json_is_string(val)) {
			ERR(v, "E025", wi, "the digestAlgorithm is not a string");
		} else {
			inv->alg_name = json_string_value(val);
			if (strcmp(inv->alg_name, "sha512") == 0) {
				inv->alg = OCFL_SHA512;
			} else if (strcmp(inv->alg_name, "sha256") == 0) {
				inv->alg = OCFL_SHA256;
				if (is_root)
					WARN(v, "W004", wi, "the digestAlgorithm is sha256, sha512 is recommended");
			} else {
				ERR(v, "E025", wi, "the digestAlgorithm %s is neither sha512 nor sha256",
				    ocfl_show(inv->alg_name, sb, sizeof(sb)));
			}
		}
		/* head */
		val = json_object_get(inv->j, "head");
		if (!val)
			ERR(v, "E036", wi, "no head");
		else if (!json_is_string(val))
			ERR(v, "E040", wi, "the head is not a string");
		else
			inv->head = json_string_value(val);
		/* contentDirectory */
		val = json_object_get(inv->j, "contentDirectory");
		if (val) {
			const char *c = json_string_value(val);
			if (!c || !*c) {
				ERR(v, "E017", wi, "the contentDirectory is not a non-empty string");
			} else if (strchr(c, '/')) {
				ERR(v, "E017", wi, "the contentDirectory contains /: %s", ocfl_show(c, sb, sizeof(sb)));
			} else if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0) {
				ERR(v, "E018", wi, "the contentDirectory is %s", c);
			} else {
				inv->cdir_set = c;
				inv->cdir = c;
			}
		}
		/* manifest */
		val = json_object_get(inv->j, "manifest");
		inv->cp = json_object();
		if (!inv->cp)
			ocfl_nomem(v);
		if (!val) {
			ERR(v, "E041", wi, "no manifest");
		} else if (!json_is_object(val)) {
			ERR(v, "E106", wi, "the manifest is not a JSON object");
		} else {
			inv->manifest = val;
			if (inv->cp)
				ocfl_inv_digests(v, inv, val, inv->alg, 1, wi);
		}
		/* versions */
		val = json_object_get(inv->j, "versions");
		if (!val) {
			ERR(v, "E043", wi, "no versions");
		} else if (!json_is_object(val)) {
			ERR(v, "E044", wi, "the versions are not a JSON object");
		} else {
			inv->versions = val;
			ocfl_inv_versions(v, inv, wi, is_root);
		}
		if (inv->head && inv->versions) {
			long num;
			int pad;
			if (!ocfl_vname(inv->head, &num, &pad))
				ERR(v, "E040", wi, "the head %s is not a version name",
				    ocfl_show(inv->head, sb, sizeof(sb)));
			else if (!json_object_get(inv->versions, inv->head))
				ERR(v, "E040", wi, "the head %s is not one of the versions", inv->head);
			else if (inv->nvs && strcmp(inv->vs[inv->nvs - 1].name, inv->head) != 0)
				ERR(v, "E040", wi, "the head %s is not the last version %s", inv->head,
				    inv->vs[inv->nvs - 1].name);
		}
		if (inv->versions) {
			used = json_object();
			if (!used) {
				ocfl_nomem(v);
			} else {
				json_object_foreach(inv->versions, key, val)
				{
					ocfl_inv_version(v, inv, key, val, used, wi, is_root);
				}
			}
		}
		if (inv->manifest && inv->cp) {
			ocfl_inv_content_paths(v, inv, wi);
			if (used) {
				json_object_foreach(inv->manifest, key, val)
				{
					if (!json_object_get(used, key))
						ERR(v, "E107", wi, "manifest digest %s is in no version's state",
						    ocfl_show(key, sb, sizeof(sb)));
				}
			}
		}
		/* fixity */
		val = json_object_get(inv->j, "fixity");
		if (val && !json_is_object(val)) {
			ERR(v, "E111", wi, "the fixity is not a JSON object");
		} else if (val) {
			json_t *blk;
			inv->fixity = val;
			json_object_foreach(val, key, blk)
			{
				int a = ocfl_alg_find(key);
				if (a < 0) {
					ERR(v, "E056", wi, "fixity algorithm %s is not a known digest algorithm",
					    ocfl_show(key, sb, sizeof(sb)));
					continue;
				}
				if (!json_is_object(blk)) {
					ERR(v, "E057", wi, "the fixity block of %s is not a JSON object", key);
					continue;
				}
				ocfl_inv_digests(v, inv, blk, a, 0, wi);
			}
		}
		json_decref(used);
	}

	/* the sidecar: inventory.json.<digestAlgorithm> */
	if (sidealg < 0 || !ocfl_alg_supported(sidealg)) {
		snprintf(ws, sizeof(ws), "%sinventory.json.%s", dir, inv->alg_name ? inv->alg_name : "sha512");
		ERR(v, "E058", ws, "no inventory sidecar with a digest this validator can check");
		goto out;
	}
	snprintf(ws, sizeof(ws), "%sinventory.json.%s", dir, ocfl_alg_name(sidealg));
	{
		char nm[64];
		snprintf(nm, sizeof(nm), "inventory.json.%s", ocfl_alg_name(sidealg));
		rc = ocfl_read_file(dfd, nm, OCFL_SMALL_MAX, &side, &slen);
	}
	if (rc == 1) {
		ERR(v, "E058", ws, "the inventory has no sidecar");
	} else if (rc == -3) {
		ERR(v, "E058", ws, "the sidecar is not a regular file");
	} else if (rc == -2) {
		ERR(v, "E061", ws, "the sidecar is longer than a digest line");
	} else if (rc < 0) {
		ERR(v, NULL, ws, "cannot read: %s", strerror(errno));
	} else {
		/* DIGEST, white space, "inventory.json", an optional newline */
		size_t dl = strspn(side, "0123456789abcdefABCDEF"), sp = strspn(side + dl, " \t");
		const char *rest = side + dl + sp;
		if (dl == 0 || sp == 0 ||
		    (strcmp(rest, "inventory.json") != 0 && strcmp(rest, "inventory.json\n") != 0) ||
		    strlen(side) != slen) {
			ERR(v, "E061", ws, "the sidecar is not \"DIGEST inventory.json\"");
		} else if (want[0]) {
			side[dl] = '\0';
			if (strcasecmp(side, want) != 0)
				ERR(v, "E060", ws, "the sidecar digest %s is not the %s of inventory.json (%s)",
				    ocfl_show(side, sb, sizeof(sb)), ocfl_alg_name(sidealg), want);
		}
	}
out:
	free(side);
	free(buf);
	return 0;
}

/* ---------------------------------------------------------------- */
/* objects */

/* What the content files are checked against.  The root manifest
 * (root->cp: content path -> digest) is the first claim on each file;
 * other inventories' manifests and every fixity block add the claims
 * that differ from it. */
struct ocfl_claims {
	struct ocfl_inv *root;
	json_t *extra; /* content path -> [[alg, digest, code, source], ...] */
	json_t *count; /* content path -> version inventories listing it */
	json_t *seen;  /* content path -> true once found on disk */
};

static void
ocfl_claim(struct ocfl_v *v, struct ocfl_claims *cl, const char *cp, int alg, const char *digest, const char *code,
           const char *src)
{
	json_t *arr, *c;
	size_t i;
	const char *rd = json_string_value(json_object_get(cl->root->cp, cp));

	if (rd && alg == cl->root->alg && strcasecmp(rd, digest) == 0)
		return; /* what the root manifest says */
	arr = json_object_get(cl->extra, cp);
	if (!arr) {
		if (json_object_set_new_nocheck(cl->extra, cp, json_array()) != 0) {
			ocfl_nomem(v);
			return;
		}
		arr = json_object_get(cl->extra, cp);
	}
	json_array_foreach(arr, i, c)
	{
		if (json_integer_value(json_array_get(c, 0)) == alg &&
		    strcasecmp(json_string_value(json_array_get(c, 1)), digest) == 0)
			return; /* the same claim made before */
	}
	c = json_pack("[i,s,s,s]", alg, digest, code, src);
	if (!c || json_array_append_new(arr, c) != 0)
		ocfl_nomem(v);
}

/* Claims of an inventory's manifest (but the root's) and fixity. */
static void
ocfl_claims_of(struct ocfl_v *v, struct ocfl_claims *cl, struct ocfl_inv *inv, const char *src, int is_root)
{
	const char *dig, *alg;
	json_t *paths, *p, *blk;
	size_t i;

	if (inv->manifest && !is_root) {
		json_object_foreach(inv->manifest, dig, paths)
		{
			json_array_foreach(paths, i, p)
			{
				const char *cp = json_string_value(p);
				json_t *n;
				if (!cp || ocfl_path_check(cp))
					continue;
				if (inv->alg >= 0)
					ocfl_claim(v, cl, cp, inv->alg, dig, "E092", src);
				n = json_object_get(cl->count, cp);
				if (n)
					json_integer_set(n, json_integer_value(n) + 1);
				else if (json_object_set_new_nocheck(cl->count, cp, json_integer(1)) != 0)
					ocfl_nomem(v);
			}
		}
	}
	if (inv->fixity) {
		json_object_foreach(inv->fixity, alg, blk)
		{
			int a = ocfl_alg_find(alg);
			if (a < 0 || !json_is_object(blk))
				continue;
			json_object_foreach(blk, dig, paths)
			{
				if (!ocfl_alg_valid_value(a, dig))
					continue;
				json_array_foreach(paths, i, p)
				{
					const char *cp = json_string_value(p);
					if (cp && !ocfl_path_check(cp) && inv->cp && json_object_get(inv->cp, cp))
						ocfl_claim(v, cl, cp, a, dig, "E093", src);
				}
			}
		}
	}
}

/* logical path -> digest of a version's state */
static json_t *
ocfl_state_map(json_t *ver)
{
	json_t *m = json_object(), *paths, *p, *state = json_object_get(ver, "state");
	const char *dig;
	size_t i;

	if (!m || !json_is_object(state))
		return m;
	json_object_foreach(state, dig, paths)
	{
		json_array_foreach(paths, i, p)
		{
			if (json_is_string(p))
				json_object_set_new_nocheck(m, json_string_value(p), json_string_nocheck(dig));
		}
	}
	return m;
}

/* Do two content path lists share a path? */
static int
ocfl_share_path(json_t *a, json_t *b)
{
	size_t i, k;
	json_t *x, *y;

	json_array_foreach(a, i, x)
	{
		json_array_foreach(b, k, y)
		{
			if (json_is_string(x) && json_is_string(y) &&
			    strcmp(json_string_value(x), json_string_value(y)) == 0)
				return 1;
		}
	}
	return 0;
}

/* A prior version inventory against the root one: the same logical
 * state in every version block it has (E066), the same metadata
 * (W011). */
static void
ocfl_compare_prior(struct ocfl_v *v, struct ocfl_inv *root, struct ocfl_inv *old, const char *wi)
{
	const char *vn, *lp;
	json_t *ov, *rv, *od;
	int same_alg = root->alg >= 0 && root->alg == old->alg;

	if (!old->versions || !root->versions)
		return;
	json_object_foreach(old->versions, vn, ov)
	{
		json_t *om, *rm;
		int differs = 0;
		rv = json_object_get(root->versions, vn);
		if (!rv) {
			ERR(v, "E066", wi, "version %s is not in the root inventory", vn);
			continue;
		}
		if (!json_is_object(ov) || !json_is_object(rv))
			continue;
		om = ocfl_state_map(ov);
		rm = ocfl_state_map(rv);
		if (!om || !rm) {
			ocfl_nomem(v);
			json_decref(om);
			json_decref(rm);
			return;
		}
		if (json_object_size(om) != json_object_size(rm))
			differs = 1;
		json_object_foreach(om, lp, od)
		{
			json_t *rd = json_object_get(rm, lp);
			if (differs)
				break;
			if (!rd || !json_is_string(od) || !json_is_string(rd)) {
				differs = 1;
			} else if (same_alg) {
				differs = strcasecmp(json_string_value(od), json_string_value(rd)) != 0;
			} else {
				/* another algorithm: the same content files */
				json_t *op =
				    old->manifest ? json_object_get(old->manifest, json_string_value(od)) : NULL;
				json_t *rp =
				    root->manifest ? json_object_get(root->manifest, json_string_value(rd)) : NULL;
				differs = !op || !rp || !ocfl_share_path(op, rp);
			}
		}
		if (differs)
			ERR(v, "E066", wi, "the state of version %s differs from the root inventory's", vn);
		json_decref(om);
		json_decref(rm);
		if (!json_equal(json_object_get(ov, "created"), json_object_get(rv, "created")) ||
		    !json_equal(json_object_get(ov, "message"), json_object_get(rv, "message")) ||
		    !json_equal(json_object_get(ov, "user"), json_object_get(rv, "user")))
			WARN(v, "W011", wi,
			     "the created, message or user of version %s differ from the root inventory's", vn);
	}
}

struct ocfl_walk {
	struct ocfl_v *v;
	struct ocfl_claims *cl;
	long need; /* version inventories that must list these files */
	const char *vn;
	char path[OCFL_WHERE_MAX]; /* content path being walked */
	long files;
};

/* Check one content file: read it once with every claimed digest. */
static void
ocfl_check_file(struct ocfl_walk *w, int dfd, const char *name)
{
	struct ocfl_v *v = w->v;
	struct ocfl_inv *root = w->cl->root;
	const char *rd = json_string_value(json_object_get(root->cp, w->path));
	json_t *c, *claims = json_object_get(w->cl->extra, w->path);
	long listed = (long)json_integer_value(json_object_get(w->cl->count, w->path));
	unsigned mask = 0;
	size_t i;
	struct ocfl_digest d;
	char got[OCFL_ALG_N][OCFL_HEX_MAX];
	char *buf = NULL;
	int fd = -1;
	char sb[OCFL_SHOW_MAX + 8];
	struct stat st;

	w->files++;
	if (json_object_set_new_nocheck(w->cl->seen, w->path, json_true()) != 0)
		ocfl_nomem(v);
	if (!rd) {
		ERR(v, "E023", w->path, "a content file that is not in the manifest");
		return;
	}
	if (listed < w->need)
		ERR(v, "E023", w->path,
		    "a content file missing from the manifest of %ld of the %ld version inventories "
		    "from %s on",
		    w->need - listed, w->need, w->vn);
	if (root->alg >= 0)
		mask |= 1u << root->alg;
	json_array_foreach(claims, i, c)
	{
		int a = (int)json_integer_value(json_array_get(c, 0));
		if (ocfl_alg_supported(a))
			mask |= 1u << a;
	}
	if (!mask)
		return;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		ERR(v, NULL, w->path, "cannot open: %s", strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ERR(v, NULL, w->path, "no longer a regular file");
		goto out;
	}
	buf = malloc(OCFL_BLOCK);
	if (!buf || ocfl_digest_begin(&d, mask) < 0) {
		ocfl_nomem(v);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, OCFL_BLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ERR(v, NULL, w->path, "cannot read: %s", strerror(errno));
			ocfl_digest_release(&d);
			goto out;
		}
		if (n == 0)
			break;
		if (ocfl_digest_update(&d, buf, (size_t)n) < 0) {
			ocfl_digest_release(&d);
			ocfl_nomem(v);
			goto out;
		}
	}
	if (ocfl_digest_end(&d, got) < 0) {
		ERR(v, NULL, w->path, "a digest could not be computed");
		goto out;
	}
	if (root->alg >= 0 && strcasecmp(got[root->alg], rd) != 0)
		ERR(v, "E092", w->path, "the %s digest is %s, inventory.json says %s", ocfl_alg_name(root->alg),
		    got[root->alg], ocfl_show(rd, sb, sizeof(sb)));
	json_array_foreach(claims, i, c)
	{
		int a = (int)json_integer_value(json_array_get(c, 0));
		const char *want = json_string_value(json_array_get(c, 1));
		if (!ocfl_alg_supported(a) || !want)
			continue;
		if (strcasecmp(got[a], want) != 0)
			ERR(v, json_string_value(json_array_get(c, 2)), w->path, "the %s digest is %s, %s says %s",
			    ocfl_alg_name(a), got[a], json_string_value(json_array_get(c, 3)),
			    ocfl_show(want, sb, sizeof(sb)));
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
}

/* Walk a content directory; returns the number of files under it. */
static long
ocfl_walk_content(struct ocfl_walk *w, int dfd, int depth)
{
	struct ocfl_v *v = w->v;
	struct ocfl_dir d;
	size_t i, base = strlen(w->path);
	long files = 0;

	if (depth > OCFL_DEPTH_MAX) {
		ERR(v, NULL, w->path, "nested deeper than %d directories: not checked", OCFL_DEPTH_MAX);
		return 1;
	}
	if (ocfl_dir_list(v, dfd, w->path, &d) < 0)
		return 1;
	if (d.n == 0)
		ERR(v, "E024", w->path, "an empty directory in the content directory");
	for (i = 0; i < d.n; i++) {
		const char *nm = d.e[i].name;
		if (base + 1 + strlen(nm) >= sizeof(w->path)) {
			ERR(v, NULL, w->path, "a path longer than %d bytes: not checked", OCFL_WHERE_MAX);
			continue;
		}
		snprintf(w->path + base, sizeof(w->path) - base, "/%s", nm);
		if (S_ISLNK(d.e[i].mode)) {
			ERR(v, "E090", w->path, "a symbolic link (not followed)");
			if (json_object_set_new_nocheck(w->cl->seen, w->path, json_true()) != 0)
				ocfl_nomem(v);
			files++;
		} else if (S_ISDIR(d.e[i].mode)) {
			int sub = ocfl_open_dir(dfd, nm);
			if (sub < 0) {
				ERR(v, NULL, w->path, "cannot open: %s", strerror(errno));
			} else {
				files += ocfl_walk_content(w, sub, depth + 1);
				close(sub);
			}
		} else if (S_ISREG(d.e[i].mode)) {
			ocfl_check_file(w, dfd, nm);
			files++;
		} else {
			ERR(v, "E089", w->path, "not a regular file or directory");
			files++;
		}
		w->path[base] = '\0';
	}
	ocfl_dir_release(&d);
	return files;
}

static void
ocfl_check_extensions(struct ocfl_v *v, int dfd, const char *where, const char *e_code, const char *w_code)
{
	struct ocfl_dir d;
	size_t i;
	char w[OCFL_WHERE_MAX], sb[OCFL_SHOW_MAX + 8];
	int fd = ocfl_open_dir(dfd, "extensions");

	if (fd < 0) {
		ERR(v, NULL, where, "cannot open: %s", strerror(errno));
		return;
	}
	if (ocfl_dir_list(v, fd, where, &d) < 0) {
		close(fd);
		return;
	}
	for (i = 0; i < d.n; i++) {
		snprintf(w, sizeof(w), "%s/%s", where, d.e[i].name);
		if (S_ISLNK(d.e[i].mode))
			ERR(v, "E090", w, "a symbolic link");
		else if (!S_ISDIR(d.e[i].mode))
			ERR(v, e_code, w, "the extensions directory holds a file, not an extension directory");
		else if (!ocfl_is_registered(d.e[i].name))
			WARN(v, w_code, w, "extension %s is not a registered extension name",
			     ocfl_show(d.e[i].name, sb, sizeof(sb)));
	}
	ocfl_dir_release(&d);
	close(fd);
}

/* The object declaration "0=ocfl_object_1.x" (E003..E007); returns its
 * specification version (10, 11) or 0. */
static int
ocfl_object_namaste(struct ocfl_v *v, int dfd, const struct ocfl_dir *d)
{
	size_t i, count = 0;
	int spec = 0;
	char sb[OCFL_SHOW_MAX + 8];

	for (i = 0; i < d->n; i++) {
		const char *nm = d->e[i].name, *dv = nm + 2;
		char *buf = NULL;
		size_t len;
		int rc;
		if (strncmp(nm, "0=", 2) != 0)
			continue;
		count++;
		if (strncmp(dv, "ocfl_object_", 12) != 0) {
			ERR(v, "E006", nm, "the declaration is not 0=ocfl_object_ and a version: %s",
			    ocfl_show(nm, sb, sizeof(sb)));
			continue;
		}
		if (strcmp(dv + 12, "1.1") != 0 && strcmp(dv + 12, "1.0") != 0) {
			ERR(v, "E006", nm, "the declaration names an OCFL version this validator does not know: %s",
			    ocfl_show(dv + 12, sb, sizeof(sb)));
			continue;
		}
		rc = ocfl_read_file(dfd, nm, OCFL_SMALL_MAX, &buf, &len);
		if (rc != 0) {
			ERR(v, "E007", nm, "the declaration is not a readable regular file of a line");
		} else if (len != strlen(dv) + 1 || strncmp(buf, dv, strlen(dv)) != 0 || buf[len - 1] != '\n') {
			ERR(v, "E007", nm, "the declaration's text is not \"%s\" and a newline", dv);
		} else if (!spec) {
			spec = dv[14] == '1' ? 11 : 10;
		}
		free(buf);
	}
	if (count == 0)
		ERR(v, "E003", NULL, "no object declaration 0=ocfl_object_1.1");
	else if (count > 1)
		ERR(v, "E003", NULL, "more than one declaration file");
	return count == 1 ? spec : 0;
}

/* Version i of an object: its directory (E010, E015, E090, W002) and
 * its inventory (W010; E037, E040, E019/E020, E064, E066, E103, W004,
 * W011 against the root's), whose claims join cl.  The inventory is
 * released before the next version's is read. */
static void
ocfl_check_version(struct ocfl_v *v, int dfd, const struct ocfl_dir *d, struct ocfl_inv *root, struct ocfl_claims *cl,
                   size_t i, int *prev_spec, long *need, int *have_dir)
{
	const char *vn = root->vs[i].name;
	struct ocfl_dir vd;
	struct ocfl_inv vi;
	int vfd;
	size_t k;
	char dir[64], w[OCFL_WHERE_MAX], sb[OCFL_SHOW_MAX + 8];

	vfd = ocfl_open_dir(dfd, vn);
	if (vfd < 0) {
		const struct ocfl_ent *en = ocfl_dir_get(d, vn);
		if (!en)
			ERR(v, "E010", vn, "the version directory of %s is missing", vn);
		else if (!S_ISLNK(en->mode))
			ERR(v, "E001", vn, "version %s is not a directory", vn);
		return;
	}
	*have_dir = 1;
	snprintf(dir, sizeof(dir), "%s/", vn);
	if (ocfl_dir_list(v, vfd, vn, &vd) < 0) {
		close(vfd);
		return;
	}
	for (k = 0; k < vd.n; k++) {
		const char *nm = vd.e[k].name;
		mode_t m = vd.e[k].mode;
		snprintf(w, sizeof(w), "%s/%s", vn, nm);
		if (S_ISLNK(m))
			ERR(v, "E090", w, "a symbolic link in the object");
		else if (strcmp(nm, "inventory.json") == 0)
			;
		else if (strncmp(nm, "inventory.json.", 15) == 0 && S_ISREG(m) && ocfl_alg_find(nm + 15) >= 0)
			;
		else if (strcmp(nm, root->cdir) == 0 && S_ISDIR(m))
			;
		else if (S_ISDIR(m))
			WARN(v, "W002", w, "a directory other than the content directory in a version directory");
		else
			ERR(v, "E015", w, "a file other than the inventory and its sidecar in a version directory");
	}
	ocfl_dir_release(&vd);
	if (ocfl_inv_load(v, vfd, dir, 0, 0, &vi) == 1) {
		WARN(v, "W010", vn, "version %s has no inventory", vn);
		close(vfd);
		return;
	}
	close(vfd);
	snprintf(w, sizeof(w), "%sinventory.json", dir);
	if (!vi.j)
		goto out;
	if (vi.head && strcmp(vi.head, vn) != 0)
		ERR(v, "E040", w, "the head of the inventory in %s is %s", vn, ocfl_show(vi.head, sb, sizeof(sb)));
	if (vi.id && root->id && strcmp(vi.id, root->id) != 0)
		ERR(v, "E037", w, "the id %s differs from the root inventory's %s", ocfl_show(vi.id, sb, sizeof(sb)),
		    root->id);
	if (strcmp(vi.cdir, root->cdir) != 0)
		ERR(v, i == 0 ? "E019" : "E020", w, "the contentDirectory %s differs from the root inventory's %s",
		    vi.cdir, root->cdir);
	if (vi.spec) {
		if (*prev_spec && vi.spec < *prev_spec)
			ERR(v, "E103", w, "version %s is of OCFL 1.%d, an earlier version is of 1.%d", vn, vi.spec - 10,
			    *prev_spec - 10);
		*prev_spec = vi.spec;
	}
	if (vi.alg == OCFL_SHA256 && root->alg != OCFL_SHA256)
		WARN(v, "W004", w, "the digestAlgorithm is sha256, sha512 is recommended");
	if (i + 1 == root->nvs) {
		if (strcmp(vi.sha512, root->sha512) != 0)
			ERR(v, "E064", w, "the inventory of the last version differs from the root inventory");
	} else {
		ocfl_compare_prior(v, root, &vi, w);
	}
	if (vi.manifest)
		(*need)++;
	ocfl_claims_of(v, cl, &vi, w, 0);
out:
	ocfl_inv_release(&vi);
}

/* Check one object root; dfd is its directory.  On return *id_out is
 * the object's id (malloc'd) when the root inventory gives one, and
 * *spec_out the declared specification version. */
static void
ocfl_check_object(struct ocfl_v *v, int dfd, char **id_out, int *spec_out)
{
	struct ocfl_dir d = {0};
	struct ocfl_inv root;
	struct ocfl_claims cl = {0};
	long *need = NULL;
	int spec, has_inv, prev_spec = 0;
	size_t i, k;
	int *have_dir = NULL;

	memset(&root, 0, sizeof(root));
	root.alg = -1;
	if (id_out)
		*id_out = NULL;
	v->objects++;
	if (ocfl_dir_list(v, dfd, NULL, &d) < 0)
		return;
	spec = ocfl_object_namaste(v, dfd, &d);
	if (spec_out)
		*spec_out = spec;
	has_inv = ocfl_inv_load(v, dfd, "", 1, spec, &root) == 0;
	if (!has_inv)
		ERR(v, "E063", "inventory.json", "the object has no inventory");
	if (id_out && root.id)
		*id_out = strdup(root.id);

	/* what the object root holds (E001, E046, E067, E090, W013) */
	for (i = 0; i < d.n; i++) {
		const char *nm = d.e[i].name;
		mode_t m = d.e[i].mode;
		long num;
		int pad;
		if (strncmp(nm, "0=", 2) == 0)
			continue;
		if (S_ISLNK(m)) {
			ERR(v, "E090", nm, "a symbolic link in the object");
			continue;
		}
		if (strcmp(nm, "inventory.json") == 0)
			continue;
		if (strncmp(nm, "inventory.json.", 15) == 0 && S_ISREG(m)) {
			int a = ocfl_alg_find(nm + 15);
			if (a >= 0 && (!root.alg_name || strcmp(root.alg_name, nm + 15) == 0 ||
			               (root.alg < 0 && ocfl_alg_find(root.alg_name) < 0)))
				continue;
			ERR(v, "E001", nm, "a sidecar for another algorithm than the inventory's");
			continue;
		}
		if (strcmp(nm, "logs") == 0 && S_ISDIR(m))
			continue;
		if (strcmp(nm, "extensions") == 0 && S_ISDIR(m)) {
			ocfl_check_extensions(v, dfd, "extensions", "E067", "W013");
			continue;
		}
		if (S_ISDIR(m) && ocfl_vname(nm, &num, &pad)) {
			if (root.versions && !json_object_get(root.versions, nm))
				ERR(v, "E046", nm, "a version directory that is not in the inventory's versions");
			continue;
		}
		ERR(v, "E001", nm, "%s that the specification does not allow in an object root",
		    S_ISDIR(m) ? "a directory" : "a file");
	}
	if (!root.j || !root.nvs)
		goto out;

	/* the version directories and their inventories, one at a time */
	need = calloc(root.nvs + 1, sizeof(*need));
	have_dir = calloc(root.nvs, sizeof(*have_dir));
	cl.root = &root;
	cl.extra = json_object();
	cl.count = json_object();
	cl.seen = json_object();
	if (!need || !have_dir || !cl.extra || !cl.count || !cl.seen) {
		ocfl_nomem(v);
		goto out;
	}
	ocfl_claims_of(v, &cl, &root, "inventory.json", 1);
	for (i = 0; i < root.nvs; i++)
		ocfl_check_version(v, dfd, &d, &root, &cl, i, &prev_spec, &need[i], &have_dir[i]);
	if (prev_spec && root.spec && root.spec < prev_spec)
		ERR(v, "E103", "inventory.json", "the object is of OCFL 1.%d, a version is of 1.%d", root.spec - 10,
		    prev_spec - 10);
	/* need[i]: version inventories from version i on */
	for (i = root.nvs; i-- > 1;)
		need[i - 1] += need[i];

	/* the content (E023, E024, E092, E093, W003) */
	for (i = 0; i < root.nvs; i++) {
		struct ocfl_walk wk;
		int vfd, cfd;
		long files;

		if (!have_dir[i])
			continue;
		vfd = ocfl_open_dir(dfd, root.vs[i].name);
		if (vfd < 0)
			continue;
		cfd = ocfl_open_dir(vfd, root.cdir);
		close(vfd);
		if (cfd < 0)
			continue;
		memset(&wk, 0, sizeof(wk));
		wk.v = v;
		wk.cl = &cl;
		wk.need = need[i];
		wk.vn = root.vs[i].name;
		snprintf(wk.path, sizeof(wk.path), "%s/%s", root.vs[i].name, root.cdir);
		files = ocfl_walk_content(&wk, cfd, 0);
		close(cfd);
		v->files += wk.files;
		if (files == 0)
			WARN(v, "W003", wk.path, "a content directory without files");
	}
	/* what the inventories list that is not there */
	{
		const char *cp;
		json_t *e, *c;
		json_object_foreach(root.cp, cp, e)
		{
			if (!json_object_get(cl.seen, cp))
				ERR(v, "E092", cp, "the content file in the manifest of inventory.json does not exist");
		}
		json_object_foreach(cl.extra, cp, e)
		{
			if (json_object_get(cl.seen, cp))
				continue;
			json_array_foreach(e, k, c)
			{
				const char *code = json_string_value(json_array_get(c, 2));
				const char *src = json_string_value(json_array_get(c, 3));
				if (strcmp(code, "E093") == 0)
					ERR(v, "E093", cp, "the content file in the %s fixity of %s does not exist",
					    ocfl_alg_name((int)json_integer_value(json_array_get(c, 0))), src);
				else if (!json_object_get(root.cp, cp))
					ERR(v, "E092", cp, "the content file in the manifest of %s does not exist",
					    src);
			}
		}
	}
out:
	free(need);
	free(have_dir);
	json_decref(cl.extra);
	json_decref(cl.count);
	json_decref(cl.seen);
	ocfl_inv_release(&root);
	ocfl_dir_release(&d);
}

/* ---------------------------------------------------------------- */
/* storage roots */

struct ocfl_layout {
	int is_0004;
	int alg, tuple, ntuples, short_root;
};

struct ocfl_root {
	struct ocfl_v *v;
	int spec;
	struct ocfl_layout lay;
	json_t *ids; /* object id -> where */
	int depth_top, depth_deep, depth_first;
	char path[OCFL_WHERE_MAX];
};

static void
ocfl_read_layout(struct ocfl_v *v, int dfd, struct ocfl_layout *lay)
{
	char *buf = NULL;
	size_t len;
	json_t *j = NULL, *ext, *desc;
	json_error_t jerr;
	int rc, efd = -1;
	char sb[OCFL_SHOW_MAX + 8];

	memset(lay, 0, sizeof(*lay));
	rc = ocfl_read_file(dfd, "ocfl_layout.json", v->max_inv, &buf, &len);
	if (rc == 1)
		return;
	if (rc != 0) {
		ERR(v, "E070", "ocfl_layout.json", "not a readable JSON file within the limits");
		goto out;
	}
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j || !json_is_object(j)) {
		ERR(v, "E070", "ocfl_layout.json", "not a JSON object%s%s", j ? "" : ": ", j ? "" : jerr.text);
		goto out;
	}
	ext = json_object_get(j, "extension");
	desc = json_object_get(j, "description");
	if (!json_is_string(ext) || !json_is_string(desc))
		ERR(v, "E070", "ocfl_layout.json", "the extension and description keys must both be strings");
	if (json_is_string(ext) && !ocfl_is_registered(json_string_value(ext)))
		ERR(v, "E071", "ocfl_layout.json", "the extension %s is not a registered extension name",
		    ocfl_show(json_string_value(ext), sb, sizeof(sb)));
	if (!json_is_string(ext) || strcmp(json_string_value(ext), OCFL_LAYOUT_0004) != 0)
		goto out;
	/* the parameters of 0004, defaults unless its config.json says */
	lay->is_0004 = 1;
	lay->alg = OCFL_SHA256;
	lay->tuple = 3;
	lay->ntuples = 3;
	free(buf);
	buf = NULL;
	json_decref(j);
	j = NULL;
	efd = ocfl_open_dir(dfd, "extensions");
	if (efd >= 0) {
		int cfd = ocfl_open_dir(efd, OCFL_LAYOUT_0004);
		if (cfd >= 0) {
			rc = ocfl_read_file(cfd, "config.json", v->max_inv, &buf, &len);
			close(cfd);
			if (rc == 0)
				j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
		}
	}
	if (j) {
		json_t *a = json_object_get(j, "digestAlgorithm"), *t = json_object_get(j, "tupleSize"),
		       *n = json_object_get(j, "numberOfTuples"), *s = json_object_get(j, "shortObjectRoot");
		if (json_is_string(a))
			lay->alg = ocfl_alg_find(json_string_value(a));
		if (json_is_integer(t))
			lay->tuple = (int)json_integer_value(t);
		if (json_is_integer(n))
			lay->ntuples = (int)json_integer_value(n);
		if (json_is_boolean(s))
			lay->short_root = json_is_true(s);
	}
	if (!ocfl_alg_supported(lay->alg) || lay->alg == OCFL_SIZE || lay->tuple < 0 || lay->tuple > 32 ||
	    lay->ntuples < 0 || lay->ntuples > 32 || (lay->tuple == 0) != (lay->ntuples == 0)) {
		ERR(v, NULL, "extensions/" OCFL_LAYOUT_0004 "/config.json",
		    "parameters this validator cannot apply: object paths not checked");
		lay->is_0004 = 0;
	}
out:
	if (efd >= 0)
		close(efd);
	json_decref(j);
	free(buf);
}

/* Where 0004 puts an object id, into out. */
static int
ocfl_layout_path(const struct ocfl_layout *lay, const char *id, char *out, size_t cap)
{
	char hex[OCFL_HEX_MAX];
	size_t n, pos = 0;
	int i;

	if (ocfl_digest_mem(lay->alg, id, strlen(id), hex) < 0)
		return -1;
	n = strlen(hex);
	if ((size_t)lay->tuple * (size_t)lay->ntuples > n)
		return -1;
	out[0] = '\0';
	for (i = 0; i < lay->ntuples; i++) {
		if (pos + (size_t)lay->tuple + 2 >= cap)
			return -1;
		memcpy(out + pos, hex + (size_t)i * (size_t)lay->tuple, (size_t)lay->tuple);
		pos += (size_t)lay->tuple;
		out[pos++] = '/';
	}
	snprintf(out + pos, cap - pos, "%s", lay->short_root ? hex + (size_t)lay->tuple * (size_t)lay->ntuples : hex);
	return 0;
}

static void
ocfl_walk_root(struct ocfl_root *r, int dfd, int depth)
{
	struct ocfl_v *v = r->v;
	struct ocfl_dir d;
	size_t i, base = strlen(r->path), ndirs = 0, nfiles = 0;

	if (depth > OCFL_DEPTH_MAX) {
		ERR(v, NULL, r->path, "nested deeper than %d directories: not checked", OCFL_DEPTH_MAX);
		return;
	}
	if (ocfl_dir_list(v, dfd, r->path, &d) < 0)
		return;
	/* an object root? */
	for (i = 0; depth > 0 && i < d.n; i++) {
		if (strncmp(d.e[i].name, "0=ocfl_object_", 14) == 0) {
			char *id = NULL;
			int spec = 0;
			snprintf(v->prefix, sizeof(v->prefix), "%s/", r->path);
			ocfl_check_object(v, dfd, &id, &spec);
			v->prefix[0] = '\0';
			if (spec && r->spec && spec > r->spec)
				ERR(v, "E081", r->path, "an object of OCFL 1.%d in a storage root of OCFL 1.%d",
				    spec - 10, r->spec - 10);
			if (depth == 1)
				r->depth_top = 1;
			else
				r->depth_deep = 1;
			if (!r->depth_first)
				r->depth_first = depth;
			else if (r->depth_first != depth && depth > 1)
				WARN(v, "W014", r->path, "objects at depth %d and %d: more than one layout pattern",
				     r->depth_first, depth);
			if (id) {
				json_t *seen = json_object_get(r->ids, id);
				char sb[OCFL_SHOW_MAX + 8], want[OCFL_WHERE_MAX];
				if (seen)
					ERR(v, "E037", r->path, "object id %s is also the id of %s",
					    ocfl_show(id, sb, sizeof(sb)), json_string_value(seen));
				else if (json_object_set_new_nocheck(r->ids, id, json_string_nocheck(r->path)) != 0)
					ocfl_nomem(v);
				if (r->lay.is_0004 && ocfl_layout_path(&r->lay, id, want, sizeof(want)) == 0 &&
				    strcmp(want, r->path) != 0)
					ERR(v, "E083", r->path, "the layout %s puts object %s at %s", OCFL_LAYOUT_0004,
					    ocfl_show(id, sb, sizeof(sb)), want);
				free(id);
			}
			ocfl_dir_release(&d);
			return;
		}
	}
	if (depth > 0 && d.n == 0)
		ERR(v, "E073", r->path, "an empty directory under the storage root");
	for (i = 0; i < d.n; i++) {
		const char *nm = d.e[i].name;
		mode_t m = d.e[i].mode;
		if (depth == 0 && (strcmp(nm, "extensions") == 0 || !S_ISDIR(m)) && !S_ISLNK(m))
			continue; /* the root's own files and extensions: checked by the caller */
		if (base + 1 + strlen(nm) >= sizeof(r->path)) {
			ERR(v, NULL, r->path, "a path longer than %d bytes: not checked", OCFL_WHERE_MAX);
			continue;
		}
		snprintf(r->path + base, sizeof(r->path) - base, "%s%s", base ? "/" : "", nm);
		if (S_ISLNK(m)) {
			ERR(v, "E090", r->path, "a symbolic link in the storage hierarchy");
		} else if (S_ISDIR(m)) {
			int sub = ocfl_open_dir(dfd, nm);
			ndirs++;
			if (sub < 0) {
				ERR(v, NULL, r->path, "cannot open: %s", strerror(errno));
			} else {
				ocfl_walk_root(r, sub, depth + 1);
				close(sub);
			}
		} else {
			nfiles++;
			ERR(v, "E084", r->path, "a file in an intermediate directory of the storage hierarchy");
		}
		r->path[base] = '\0';
	}
	if (depth > 0 && ndirs == 0 && nfiles > 0)
		ERR(v, "E085", r->path, "a storage hierarchy that does not end in an object root");
	ocfl_dir_release(&d);
}

static void
ocfl_check_root(struct ocfl_v *v, int dfd, const struct ocfl_dir *d)
{
	struct ocfl_root r;
	size_t i, count = 0;
	char sb[OCFL_SHOW_MAX + 8];

	memset(&r, 0, sizeof(r));
	r.v = v;
	r.ids = json_object();
	if (!r.ids) {
		ocfl_nomem(v);
		return;
	}
	for (i = 0; i < d->n; i++) {
		const char *nm = d->e[i].name, *dv = nm + 2;
		char *buf = NULL;
		size_t len;
		if (strncmp(nm, "0=", 2) != 0)
			continue;
		count++;
		if (strncmp(dv, "ocfl_", 5) != 0 || strncmp(dv, "ocfl_object_", 12) == 0) {
			ERR(v, "E079", nm, "the declaration is not 0=ocfl_ and a version: %s",
			    ocfl_show(nm, sb, sizeof(sb)));
			continue;
		}
		if (strcmp(dv + 5, "1.1") != 0 && strcmp(dv + 5, "1.0") != 0) {
			ERR(v, "E079", nm, "the declaration names an OCFL version this validator does not know: %s",
			    ocfl_show(dv + 5, sb, sizeof(sb)));
			continue;
		}
		if (ocfl_read_file(dfd, nm, OCFL_SMALL_MAX, &buf, &len) != 0 || len != strlen(dv) + 1 ||
		    strncmp(buf, dv, strlen(dv)) != 0 || buf[len - 1] != '\n')
			ERR(v, "E080", nm, "the declaration's text is not \"%s\" and a newline", dv);
		else if (!r.spec)
			r.spec = dv[7] == '1' ? 11 : 10;
		free(buf);
	}
	if (count == 0)
		ERR(v, "E069", NULL, "no storage root declaration 0=ocfl_1.1");
	else if (count > 1)
		ERR(v, "E076", NULL, "more than one declaration file");
	ocfl_read_layout(v, dfd, &r.lay);
	{
		const struct ocfl_ent *ext = ocfl_dir_get(d, "extensions");
		if (ext && S_ISDIR(ext->mode))
			ocfl_check_extensions(v, dfd, "extensions", "E112", "W016");
	}
	ocfl_walk_root(&r, dfd, 0);
	if (r.depth_top && r.depth_deep)
		WARN(v, "W015", NULL, "objects both at the top level and deeper in the storage hierarchy");
	json_decref(r.ids);
}

int
ocfl_verify(struct dg_ctx *ctx, const struct dg_host *host, int64_t max_inventory, const char *path)
{
	struct ocfl_v v;
	struct ocfl_dir d = {0};
	int dfd, is_root = 0, is_object = 0;
	size_t i;

	memset(&v, 0, sizeof(v));
	v.ctx = ctx;
	v.host = host;
	v.max_inv = max_inventory > 0 ? max_inventory : (int64_t)64 * 1024 * 1024;
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		host->finding(ctx, DG_FINDING_ERROR, NULL, path, "cannot open the directory: %s", strerror(errno));
		return DG_FAILED;
	}
	if (ocfl_dir_list(&v, dfd, NULL, &d) < 0) {
		close(dfd);
		return DG_FAILED;
	}
	for (i = 0; i < d.n; i++) {
		if (strncmp(d.e[i].name, "0=ocfl_object_", 14) == 0)
			is_object = 1;
		else if (strncmp(d.e[i].name, "0=ocfl_", 7) == 0)
			is_root = 1;
	}
	if (!is_object && !is_root) {
		/* no declaration: a storage root by its other files, else an object */
		const struct ocfl_ent *e = ocfl_dir_get(&d, "extensions");
		if (ocfl_dir_get(&d, "ocfl_layout.json") ||
		    (e && S_ISDIR(e->mode) && !ocfl_dir_get(&d, "inventory.json")))
			is_root = 1;
	}
	if (is_root && !is_object)
		ocfl_check_root(&v, dfd, &d);
	else
		ocfl_check_object(&v, dfd, NULL, NULL);
	ocfl_dir_release(&d);
	close(dfd);
	if (v.suppressed)
		host->finding(ctx, DG_FINDING_INFO, NULL, NULL, "%ld more findings not shown", v.suppressed);
	if (!v.errors)
		host->finding(ctx, DG_FINDING_PASS, NULL, NULL,
		              "valid OCFL %s: %ld object%s, %ld content file%s checked%s",
		              is_root && !is_object ? "storage root" : "object", v.objects, v.objects == 1 ? "" : "s",
		              v.files, v.files == 1 ? "" : "s", v.warnings ? ", with warnings" : "");
	return v.errors ? DG_FAILED : v.warnings ? DG_WARN : DG_OK;
}
