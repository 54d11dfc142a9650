#include <config.h>
#include <dangan/plugin.h>

/*
 * plugins/file: the file and directory source.
 *
 * A locator is a path (or a file:// URL).  A regular file becomes one
 * document; a directory is walked recursively in byte-wise sorted name
 * order (independent of the locale), at most FILE_MAX_DEPTH levels deep.
 *
 * Symlinks are never followed out of the tree: a link inside the tree
 * whose target resolves to a regular file inside the tree is ingested
 * as that file (source.path is the link's path, source.link-target the
 * target's); links to directories are not descended; links that point
 * outside the tree or dangle are skipped with a warning.  The locator
 * itself may be a symlink: the user named it, so it is resolved.
 *
 * Directories are opened relative to their parent with O_NOFOLLOW, so a
 * directory swapped for a symlink during the walk is not descended.
 * A directory containing an entry named .dangan-store (the mark of the
 * engine's store) is skipped with everything below it, and so is a
 * locator that lies inside such a directory.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILE_VERSION "0.1.0"
#define FILE_MAX_DEPTH 256
#define FILE_MAX_ENTRIES (1u << 20) /* names per directory */
#define FILE_PATH_MAX 4096          /* bytes of a path, with its NUL */
#define FILE_STORE_MARK ".dangan-store"
#define FILE_URL_PREFIX "file://"

struct file_state {
	int hidden;
};

struct file_walk {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	const struct file_state *state;
	const char *root; /* realpath of the root directory */
	size_t rootlen;
	char *path;      /* FILE_PATH_MAX bytes: the entry being looked at */
	size_t relstart; /* offset of the relative path in path */
	unsigned long files;
	unsigned long skipped;
	int stop;   /* set when the engine refuses more documents */
	int status; /* the status to return when stop is set */
};

static const struct dg_option file_options[] = {
    {.name = "hidden",
     .type = DG_OPT_BOOL,
     .default_value = "true",
     .help = "include dot-files and dot-directories (names starting with '.'); "
             "a directory holding a .dangan-store entry is always skipped"},
    {0},
};

static int
file_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct file_state *st;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		host->error(ctx, "file: out of memory");
		return DG_FATAL;
	}
	st->hidden = host->opt_bool(opts, "hidden") > 0;
	*state = st;
	return DG_OK;
}

static void
file_fini(void *state)
{
	free(state);
}

/* The path of a locator: the locator itself, or a file:// URL without
 * its scheme (and without an empty or "localhost" authority).  NULL if
 * the URL names another host. */
static const char *
file_locator_path(const char *locator)
{
	const char *p;

	if (strncasecmp(locator, FILE_URL_PREFIX, sizeof(FILE_URL_PREFIX) - 1) != 0)
		return locator;
	p = locator + sizeof(FILE_URL_PREFIX) - 1;
	if (p[0] == '/')
		return p;
	if (strncasecmp(p, "localhost/", 10) == 0)
		return p + 9;
	return NULL;
}

static int
file_bid_locator(const char *locator)
{
	struct stat st;

	if (locator == NULL || locator[0] == '\0')
		return 0;
	if (strncasecmp(locator, FILE_URL_PREFIX, sizeof(FILE_URL_PREFIX) - 1) == 0)
		return 60;
	if (lstat(locator, &st) == 0)
		return 50;
	return 0;
}

/* Length of the longest valid UTF-8 prefix of s[0..len). */
static size_t
file_utf8_prefix(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t c;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1;
			c = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 2;
			c = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3;
			c = s[i] & 0x07;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && c < 0x800) || (n == 3 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
			return i;
		i += n + 1;
	}
	return i;
}

/* Set metadata from a file-system string, which need not be UTF-8:
 * invalid bytes become U+FFFD (the engine wants UTF-8 values). */
static int
file_meta(struct file_walk *w, struct dg_doc *doc, const char *key, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t len = strlen(value), i = 0, o = 0, ok;
	char *buf = NULL;
	int rc;

	if (file_utf8_prefix(s, len) == len)
		return w->host->meta_set(doc, key, value);
	buf = malloc(len * 3 + 1);
	if (buf == NULL)
		return -1;
	while (i < len) {
		ok = file_utf8_prefix(s + i, len - i);
		memcpy(buf + o, s + i, ok);
		o += ok;
		i += ok;
		if (i < len) {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	buf[o] = '\0';
	rc = w->host->meta_set(doc, key, buf);
	free(buf);
	return rc;
}

/* Hand one regular file to the engine.  display is the path recorded
 * (a link's own path for a symlink), original the file to read, st its
 * status.  Returns 0 when emitted, 1 when skipped, -1 if the walk must
 * stop. */
static int
file_emit(struct file_walk *w, const char *display, const char *relpath, const char *original, const struct stat *st,
          const char *link_target)
{
	const struct dg_host *host = w->host;
	struct dg_doc *doc;
	const char *name;
	char num[32], when[64];
	struct tm tm;
	int rc;

	name = strrchr(display, '/');
	name = name != NULL ? name + 1 : display;

	doc = host->doc_new(w->ctx, NULL);
	if (doc == NULL) {
		host->error(w->ctx, "file: cannot create a document for %s", display);
		w->stop = 1;
		w->status = DG_FAILED;
		return -1;
	}
	if (host->doc_set_original_file(w->ctx, doc, original) != 0) {
		host->log(w->ctx, DG_LOG_WARN, "skipped %s: cannot use it as an original", display);
		host->doc_free(doc);
		w->skipped++;
		return 1;
	}
	snprintf(num, sizeof(num), "%lld", (long long)st->st_size);
	when[0] = '\0';
	if (gmtime_r(&st->st_mtime, &tm) != NULL && strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		when[0] = '\0';
	if (file_meta(w, doc, "source.path", display) != 0 || file_meta(w, doc, "source.name", name) != 0 ||
	    file_meta(w, doc, "source.relpath", relpath) != 0 ||
	    (when[0] != '\0' && host->meta_set(doc, "source.mtime", when) != 0) ||
	    host->meta_set(doc, "source.size", num) != 0 ||
	    (link_target != NULL && file_meta(w, doc, "source.link-target", link_target) != 0)) {
		host->log(w->ctx, DG_LOG_WARN, "skipped %s: cannot set its metadata", display);
		host->doc_free(doc);
		w->skipped++;
		return 1;
	}
	rc = host->emit(w->ctx, doc);
	if (rc < 0 || rc == DG_FATAL) {
		host->log(w->ctx, DG_LOG_WARN, "the engine refused %s; scan stopped", display);
		w->stop = 1;
		w->status = rc < 0 ? DG_FAILED : DG_FATAL;
		return -1;
	}
	w->files++;
	return 0;
}

/* Whether an entry named .dangan-store exists in the directory dirfd. */
static int
file_is_store(int dirfd)
{
	struct stat st;

	return fstatat(dirfd, FILE_STORE_MARK, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Whether path or one of its ancestors holds the store mark.  path is
 * absolute and resolved; work is a FILE_PATH_MAX scratch buffer. */
static int
file_in_store(const char *path, char *work)
{
	char *slash;
	size_t len = strlen(path);
	struct stat st;

	if (len + sizeof(FILE_STORE_MARK) + 1 > FILE_PATH_MAX)
		return 0;
	memcpy(work, path, len + 1);
	for (;;) {
		len = strlen(work);
		snprintf(work + len, FILE_PATH_MAX - len, "%s%s", work[len - 1] == '/' ? "" : "/", FILE_STORE_MARK);
		if (lstat(work, &st) == 0)
			return 1;
		work[len] = '\0';
		if (strcmp(work, "/") == 0)
			return 0;
		slash = strrchr(work, '/');
		if (slash == NULL)
			return 0;
		if (slash == work)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/* Whether a path relative to the root goes through a skipped place: a
 * store directory, or a dot-name when hidden entries are excluded. */
static int
file_rel_excluded(const struct file_walk *w, const char *target_rel)
{
	const char *p = target_rel, *slash;
	int fd, sub, excluded = 0;
	size_t n;
	char name[NAME_MAX + 1];

	fd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	for (;;) {
		if (!w->state->hidden && p[0] == '.') {
			excluded = 1;
			break;
		}
		slash = strchr(p, '/');
		if (slash == NULL)
			break;
		n = (size_t)(slash - p);
		if (n > NAME_MAX) {
			excluded = 1;
			break;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = sub;
		if (fd < 0 || file_is_store(fd)) {
			excluded = 1;
			break;
		}
		p = slash + 1;
	}
	if (fd >= 0)
		close(fd);
	return excluded;
}

/* A symlink found in the tree at w->path. */
static int
file_symlink(struct file_walk *w)
{
	const struct dg_host *host = w->host;
	char *target = NULL;
	struct stat st;
	size_t tlen;
	int rc = 0;

	target = realpath(w->path, NULL);
	if (target == NULL) {
		host->log(w->ctx, DG_LOG_WARN, "skipped symlink %s: dangling or unresolvable (%s)", w->path,
		          strerror(errno));
		w->skipped++;
		goto out;
	}
	tlen = strlen(target);
	if (!(w->rootlen == 1 || (tlen >= w->rootlen && memcmp(target, w->root, w->rootlen) == 0 &&
	                          (target[w->rootlen] == '/' || target[w->rootlen] == '\0')))) {
		host->log(w->ctx, DG_LOG_WARN, "skipped symlink %s: points outside the tree", w->path);
		w->skipped++;
		goto out;
	}
	if (stat(target, &st) != 0) {
		host->log(w->ctx, DG_LOG_WARN, "skipped symlink %s: %s", w->path, strerror(errno));
		w->skipped++;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		host->log(w->ctx, DG_LOG_INFO, "skipped symlink %s: points to a directory", w->path);
		w->skipped++;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		host->log(w->ctx, DG_LOG_WARN, "skipped symlink %s: not a regular file", w->path);
		w->skipped++;
		goto out;
	}
	if (file_rel_excluded(w, target + (w->rootlen == 1 ? 1 : w->rootlen + 1))) {
		host->log(w->ctx, DG_LOG_INFO, "skipped symlink %s: points into a skipped directory or hidden entry",
		          w->path);
		w->skipped++;
		goto out;
	}
	rc = file_emit(w, w->path, w->path + w->relstart, target, &st, target);
out:
	free(target);
	return rc;
}

static int
file_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the names in a directory (without . and ..), sorted byte-wise. */
static int
file_list(struct file_walk *w, int dirfd, char ***names_out, size_t *count_out)
{
	DIR *dir = NULL;
	struct dirent *de;
	char **names = NULL, **grown;
	size_t count = 0, cap = 0;
	int fd, rc = -1, saved;

	fd = dup(dirfd);
	if (fd < 0)
		goto out;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		goto out;
	}
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (de == NULL) {
			if (errno != 0)
				goto out;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (count == FILE_MAX_ENTRIES) {
			w->host->log(w->ctx, DG_LOG_WARN, "%s: more than %u entries, the rest is skipped", w->path,
			             FILE_MAX_ENTRIES);
			break;
		}
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(names, cap * sizeof(*names));
			if (grown == NULL)
				goto out;
			names = grown;
		}
		names[count] = strdup(de->d_name);
		if (names[count] == NULL)
			goto out;
		count++;
	}
	if (count > 1)
		qsort(names, count, sizeof(*names), file_name_cmp);
	*names_out = names;
	*count_out = count;
	names = NULL;
	count = 0;
	rc = 0;
out:
	saved = errno;
	if (dir != NULL)
		closedir(dir);
	while (count > 0)
		free(names[--count]);
	free(names);
	errno = saved;
	return rc;
}

/* Walk the directory dirfd, whose path is w->path[0..len). */
static void
file_walk_dir(struct file_walk *w, int dirfd, size_t len, int depth)
{
	const struct dg_host *host = w->host;
	char **names = NULL;
	size_t count = 0, i, nlen, newlen;
	struct stat st, st2;
	int sub;

	if (file_list(w, dirfd, &names, &count) != 0) {
		w->path[len] = '\0';
		host->log(w->ctx, DG_LOG_WARN, "skipped directory %s: %s", w->path, strerror(errno));
		w->skipped++;
		goto out;
	}
	for (i = 0; i < count && !w->stop; i++) {
		nlen = strlen(names[i]);
		newlen = len + (w->path[len - 1] == '/' ? 0 : 1) + nlen;
		if (newlen >= FILE_PATH_MAX) {
			w->path[len] = '\0';
			host->log(w->ctx, DG_LOG_WARN, "skipped %s/%s: path too long", w->path, names[i]);
			w->skipped++;
			continue;
		}
		snprintf(w->path + len, FILE_PATH_MAX - len, "%s%s", w->path[len - 1] == '/' ? "" : "/", names[i]);
		if (!w->state->hidden && names[i][0] == '.') {
			host->log(w->ctx, DG_LOG_DEBUG, "skipped hidden %s", w->path);
			continue;
		}
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
			host->log(w->ctx, DG_LOG_WARN, "skipped %s: %s", w->path, strerror(errno));
			w->skipped++;
			continue;
		}
		if (S_ISREG(st.st_mode)) {
			file_emit(w, w->path, w->path + w->relstart, w->path, &st, NULL);
		} else if (S_ISLNK(st.st_mode)) {
			file_symlink(w);
		} else if (S_ISDIR(st.st_mode)) {
			if (depth + 1 >= FILE_MAX_DEPTH) {
				host->log(w->ctx, DG_LOG_WARN, "skipped directory %s: deeper than %d", w->path,
				          FILE_MAX_DEPTH);
				w->skipped++;
				continue;
			}
			sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
			if (sub < 0) {
				host->log(w->ctx, DG_LOG_WARN, "skipped directory %s: %s", w->path, strerror(errno));
				w->skipped++;
				continue;
			}
			if (fstat(sub, &st2) != 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
				host->log(w->ctx, DG_LOG_WARN, "skipped directory %s: changed during the scan",
				          w->path);
				w->skipped++;
			} else if (file_is_store(sub)) {
				host->log(w->ctx, DG_LOG_INFO, "skipped directory %s: it holds a dangan store",
				          w->path);
			} else {
				file_walk_dir(w, sub, newlen, depth + 1);
			}
			close(sub);
		} else {
			host->log(w->ctx, DG_LOG_WARN, "skipped %s: not a regular file (%s)", w->path,
			          S_ISFIFO(st.st_mode)   ? "fifo"
			          : S_ISSOCK(st.st_mode) ? "socket"
			          : S_ISCHR(st.st_mode)  ? "character device"
			          : S_ISBLK(st.st_mode)  ? "block device"
			                                 : "unknown type");
			w->skipped++;
		}
	}
out:
	w->path[len] = '\0';
	while (count > 0)
		free(names[--count]);
	free(names);
}

/* The locator is a symlink to a regular file: record the link's own
 * normalised path (its parent resolved) and the target. */
static int
file_scan_link(struct file_walk *w, const char *locator, const char *target, const struct stat *st)
{
	char *parent = NULL, *dir = NULL;
	const char *base;
	size_t len;
	int rc = DG_FAILED;

	len = strlen(locator);
	while (len > 1 && locator[len - 1] == '/')
		len--;
	dir = strndup(locator, len);
	if (dir == NULL) {
		w->host->error(w->ctx, "file: out of memory");
		goto out;
	}
	base = strrchr(dir, '/');
	if (base == NULL) {
		parent = realpath(".", NULL);
		base = dir;
	} else if (base == dir) {
		parent = realpath("/", NULL);
		base = dir + 1;
	} else {
		dir[base - dir] = '\0';
		parent = realpath(dir, NULL);
		base++;
	}
	if (parent == NULL) {
		w->host->error(w->ctx, "%s: %s", locator, strerror(errno));
		goto out;
	}
	if ((size_t)snprintf(w->path, FILE_PATH_MAX, "%s%s%s", parent, strcmp(parent, "/") == 0 ? "" : "/", base) >=
	    FILE_PATH_MAX) {
		w->host->error(w->ctx, "%s: path too long", locator);
		goto out;
	}
	switch (file_emit(w, w->path, base, target, st, target)) {
	case 0: rc = DG_OK; break;
	case 1: w->host->error(w->ctx, "%s: cannot ingest it", locator); break;
	default: rc = w->status; break;
	}
out:
	free(parent);
	free(dir);
	return rc;
}

static int
file_scan(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *locator)
{
	struct file_walk w;
	const char *path;
	char *root = NULL, *work = NULL;
	struct stat lst, st;
	int fd = -1, rc = DG_FAILED;

	memset(&w, 0, sizeof(w));
	w.ctx = ctx;
	w.host = host;
	w.state = state;
	path = locator != NULL ? file_locator_path(locator) : NULL;
	if (path == NULL || path[0] == '\0') {
		host->error(ctx, "\"%s\": not a local path", locator != NULL ? locator : "");
		goto out;
	}
	w.path = malloc(FILE_PATH_MAX);
	work = malloc(FILE_PATH_MAX);
	if (w.path == NULL || work == NULL) {
		host->error(ctx, "file: out of memory");
		goto out;
	}
	if (lstat(path, &lst) != 0) {
		host->error(ctx, "%s: %s", path, strerror(errno));
		goto out;
	}
	root = realpath(path, NULL);
	if (root == NULL || stat(root, &st) != 0) {
		host->error(ctx, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (strlen(root) >= FILE_PATH_MAX) {
		host->error(ctx, "%s: path too long", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		host->error(ctx, "%s: not a regular file or directory", path);
		goto out;
	}
	if (file_in_store(root, work)) {
		host->log(ctx, DG_LOG_WARN, "skipped %s: it is inside a dangan store", path);
		rc = DG_OK;
		goto out;
	}
	if (S_ISLNK(lst.st_mode))
		host->log(ctx, DG_LOG_INFO, "%s is a symlink to %s", path, root);
	w.root = root;
	w.rootlen = strlen(root);
	if (S_ISREG(st.st_mode)) {
		if (S_ISLNK(lst.st_mode)) {
			rc = file_scan_link(&w, path, root, &st);
			goto out;
		}
		memcpy(w.path, root, w.rootlen + 1);
		w.relstart = (size_t)(strrchr(w.path, '/') - w.path) + 1;
		switch (file_emit(&w, w.path, w.path + w.relstart, w.path, &st, NULL)) {
		case 0: rc = DG_OK; break;
		case 1: host->error(ctx, "%s: cannot ingest it", path); break;
		default: rc = w.status; break;
		}
		goto out;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		host->error(ctx, "%s: %s", path, strerror(errno));
		goto out;
	}
	memcpy(w.path, root, w.rootlen + 1);
	w.relstart = w.rootlen == 1 ? 1 : w.rootlen + 1;
	file_walk_dir(&w, fd, w.rootlen, 0);
	host->log(ctx, DG_LOG_INFO, "%s: %lu files, %lu entries skipped", root, w.files, w.skipped);
	rc = w.stop ? w.status : DG_OK;
out:
	if (fd >= 0)
		close(fd);
	free(root);
	free(work);
	free(w.path);
	return rc;
}

static const struct dg_plugin file_plugin = {
    DG_PLUGIN_HEADER,        .name = "file",
    .version = FILE_VERSION, .summary = "Files and directory trees on local disk",
    .kind = DG_KIND_SOURCE,  .flags = DG_PLUGIN_SHARED,
    .options = file_options, .init = file_init,
    .fini = file_fini,       .bid = NULL,
    .process = NULL,         .bid_locator = file_bid_locator,
    .scan = file_scan,
};

DG_PLUGIN_DEFINE(file_plugin)
