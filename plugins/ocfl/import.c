/*
 * plugins/ocfl/import.c -- read OCFL objects back into the store
 * (`dangan import`): a storage root (every object under it) or a single
 * object root.
 *
 * Of each object, the head version is imported.  An object written by
 * this plugin (a dangan.json in its state) gives back one document: its
 * original, under its source name.  Any other object gives one document
 * per distinct file of the head state.  The bytes are streamed into the
 * store's writer from the content file, and its digest (the inventory's
 * digestAlgorithm) is computed on the way: a file whose digest is not
 * the manifest's -- or, for a dangan object, whose sha256 is not the
 * object id -- is refused, never stored.  Inventories are checked
 * against their sidecars first.  Content paths are opened one element
 * at a time from the object's directory, never through a link, never
 * with "." or ".." elements.  A dangan object's metadata comes back as
 * its dangan.json has it; every document carries ocfl.package (where
 * it was read), ocfl.object, ocfl.version and ocfl.path, and a
 * source.name and source.path when it has none.
 */
#include <config.h>

#include "ocfl.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define OCFL_IMP_DEPTH_MAX 64
#define OCFL_IMP_PATH_MAX 4096

struct ocfl_imp {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	int64_t max_inv;
	long objects, docs, refused;
	int stop;
	char where[OCFL_IMP_PATH_MAX]; /* the directory being read, as shown */
};

int
ocfl_bid_locator(const char *locator)
{
	struct stat st;
	char path[OCFL_IMP_PATH_MAX];
	static const char *const decl[] = {"0=ocfl_1.1", "0=ocfl_1.0", "0=ocfl_object_1.1", "0=ocfl_object_1.0"};
	size_t i;

	if (!locator || stat(locator, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	for (i = 0; i < sizeof(decl) / sizeof(decl[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", locator, decl[i]) < (int)sizeof(path) &&
		    lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 90;
	}
	return 0;
}

/* Open a regular file at a relative path below dfd, element by element,
 * never through a link; -1 when the path is unsafe or not a file. */
static int
ocfl_open_beneath(int dfd, const char *rel)
{
	char *copy = strdup(rel), *p, *slash;
	int cur = dfd, fd = -1;
	struct stat st;

	if (!copy)
		return -1;
	for (p = copy;; p = slash + 1) {
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (!*p || strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
			break;
		if (!slash) {
			fd = openat(cur, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
			if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
				close(fd);
				fd = -1;
			}
			break;
		} else {
			int next = ocfl_open_dir(cur, p);
			if (cur != dfd)
				close(cur);
			cur = next;
			if (cur < 0)
				break;
		}
	}
	if (cur >= 0 && cur != dfd)
		close(cur);
	free(copy);
	return fd;
}

static const char *
ocfl_base(const char *lp)
{
	const char *slash = strrchr(lp, '/');

	return slash ? slash + 1 : lp;
}

/* The first content path of a digest in the manifest. */
static const char *
ocfl_content_of(json_t *manifest, const char *digest)
{
	return json_string_value(json_array_get(json_object_get(manifest, digest), 0));
}

/* The digest of a logical path in a state. */
static const char *
ocfl_digest_of(json_t *state, const char *lp)
{
	const char *dig;
	json_t *paths, *p;
	size_t i;

	json_object_foreach(state, dig, paths)
	{
		json_array_foreach(paths, i, p)
		{
			if (json_is_string(p) && strcmp(json_string_value(p), lp) == 0)
				return dig;
		}
	}
	return NULL;
}

/* Read a small content file (dangan.json) after checking its digest. */
static json_t *
ocfl_read_checked_json(struct ocfl_imp *im, int dfd, const char *cp, int alg, const char *digest)
{
	int fd = ocfl_open_beneath(dfd, cp);
	char *buf = NULL, hex[OCFL_HEX_MAX];
	size_t len = 0;
	struct stat st;
	json_t *j = NULL;
	json_error_t jerr;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || st.st_size > im->max_inv)
		goto out;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto out;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (ocfl_digest_mem(alg, buf, len, hex) == 0 && strcasecmp(hex, digest) == 0)
		j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
out:
	free(buf);
	close(fd);
	return j;
}

/* Stream one content file (content path cp, logical path lp) into a
 * new document named srcname and emit it. */
/* The metadata a dangan.json stored: every key back, values in order. */
static int
ocfl_restore_meta(const struct dg_host *host, struct dg_doc *doc, json_t *metadata)
{
	const char *key;
	json_t *vals, *v;
	size_t i;

	json_object_foreach(metadata, key, vals)
	{
		int first = 1;
		if (key[0] == '@' || !json_is_array(vals))
			continue;
		json_array_foreach(vals, i, v)
		{
			if (!json_is_string(v))
				continue;
			if ((first ? host->meta_set(doc, key, json_string_value(v))
			           : host->meta_add(doc, key, json_string_value(v))) != 0)
				return -1;
			first = 0;
		}
	}
	return 0;
}

static void
ocfl_import_file(struct ocfl_imp *im, int dfd, const char *id, const char *head, int alg, const char *digest,
                 const char *lp, const char *cp, const char *srcname, json_t *metadata)
{
	int is_dangan = metadata != NULL;
	const struct dg_host *host = im->host;
	struct dg_doc *doc = NULL;
	struct dg_writer *w = NULL;
	struct ocfl_digest d;
	char hex[OCFL_ALG_N][OCFL_HEX_MAX], path[OCFL_IMP_PATH_MAX];
	char *buf = NULL;
	int fd = -1, started = 0, rc;

	fd = ocfl_open_beneath(dfd, cp);
	if (fd < 0) {
		host->log(im->ctx, DG_LOG_WARN, "%s: refused %s: its content file %s cannot be opened safely",
		          im->where, lp, cp);
		im->refused++;
		return;
	}
	buf = malloc(OCFL_BLOCK);
	doc = host->doc_new(im->ctx, NULL);
	w = doc ? host->writer_open(im->ctx) : NULL;
	if (!buf || !doc || !w || ocfl_digest_begin(&d, (1u << alg) | (1u << OCFL_SHA256)) < 0) {
		host->log(im->ctx, DG_LOG_ERROR, "%s: out of memory", im->where);
		im->stop = 1;
		goto out;
	}
	started = 1;
	for (;;) {
		ssize_t n = read(fd, buf, OCFL_BLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			host->log(im->ctx, DG_LOG_WARN, "%s: refused %s: %s", im->where, lp, strerror(errno));
			im->refused++;
			goto out;
		}
		if (n == 0)
			break;
		if (ocfl_digest_update(&d, buf, (size_t)n) < 0 || host->writer_write(w, buf, (size_t)n) != 0) {
			host->log(im->ctx, DG_LOG_ERROR, "%s: cannot store %s", im->where, lp);
			im->stop = 1;
			goto out;
		}
	}
	started = 0;
	if (ocfl_digest_end(&d, hex) < 0) {
		im->stop = 1;
		goto out;
	}
	if (strcasecmp(hex[alg], digest) != 0) {
		host->log(im->ctx, DG_LOG_WARN, "%s: refused %s: its %s is %s, the manifest says %s", im->where, lp,
		          ocfl_alg_name(alg), hex[alg], digest);
		im->refused++;
		goto out;
	}
	if (is_dangan && (strncmp(id, "sha256:", 7) != 0 || strcasecmp(id + 7, hex[OCFL_SHA256]) != 0)) {
		host->log(im->ctx, DG_LOG_WARN, "%s: refused %s: its sha256 is not the object id %s", im->where, lp,
		          id);
		im->refused++;
		goto out;
	}
	if (host->writer_finish(im->ctx, w, doc, DG_ROLE_ORIGINAL, NULL) != 0) {
		w = NULL;
		host->log(im->ctx, DG_LOG_ERROR, "%s: cannot store %s", im->where, lp);
		im->stop = 1;
		goto out;
	}
	w = NULL;
	if (snprintf(path, sizeof(path), "%s/%s", im->where, lp) >= (int)sizeof(path))
		snprintf(path, sizeof(path), "%s", lp);
	if ((metadata && ocfl_restore_meta(host, doc, metadata) != 0) ||
	    (!host->meta_get(doc, "source.name") && host->meta_set(doc, "source.name", srcname) != 0) ||
	    (!host->meta_get(doc, "source.path") && host->meta_set(doc, "source.path", path) != 0) ||
	    host->meta_set(doc, "ocfl.package", path) != 0 || host->meta_set(doc, "ocfl.object", id) != 0 ||
	    host->meta_set(doc, "ocfl.version", head) != 0 || host->meta_set(doc, "ocfl.path", lp) != 0) {
		host->log(im->ctx, DG_LOG_WARN, "%s: refused %s: cannot set its metadata", im->where, lp);
		im->refused++;
		goto out;
	}
	rc = host->emit(im->ctx, doc);
	doc = NULL;
	if (rc == DG_FATAL)
		im->stop = 1;
	else
		im->docs++;
out:
	if (started)
		ocfl_digest_release(&d);
	if (w)
		host->writer_abort(w);
	if (doc)
		host->doc_free(doc);
	free(buf);
	close(fd);
}

/* One object root: the head version's original(s). */
static void
ocfl_import_object(struct ocfl_imp *im, int dfd)
{
	const struct dg_host *host = im->host;
	char *buf = NULL, *side = NULL, hex[OCFL_HEX_MAX], nm[64];
	size_t len, slen;
	json_t *inv = NULL, *meta = NULL, *state, *manifest;
	json_error_t jerr;
	const char *id, *head, *algname, *dig, *mdig;
	int alg, rc;

	im->objects++;
	rc = ocfl_read_file(dfd, "inventory.json", im->max_inv, &buf, &len);
	if (rc != 0) {
		host->log(im->ctx, DG_LOG_WARN, "%s: refused: no readable inventory.json within max-inventory",
		          im->where);
		im->refused++;
		goto out;
	}
	inv = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	id = json_string_value(json_object_get(inv, "id"));
	head = json_string_value(json_object_get(inv, "head"));
	algname = json_string_value(json_object_get(inv, "digestAlgorithm"));
	alg = ocfl_alg_find(algname);
	manifest = json_object_get(inv, "manifest");
	state = json_object_get(json_object_get(json_object_get(inv, "versions"), head ? head : ""), "state");
	if (!id || !head || (alg != OCFL_SHA512 && alg != OCFL_SHA256) || !json_is_object(manifest) ||
	    !json_is_object(state)) {
		host->log(im->ctx, DG_LOG_WARN, "%s: refused: the inventory is not a usable OCFL inventory%s%s",
		          im->where, inv ? "" : ": ", inv ? "" : jerr.text);
		im->refused++;
		goto out;
	}
	snprintf(nm, sizeof(nm), "inventory.json.%s", algname);
	if (ocfl_read_file(dfd, nm, 4096, &side, &slen) != 0 || ocfl_digest_mem(alg, buf, len, hex) != 0 ||
	    strncasecmp(side, hex, strlen(hex)) != 0 || (side[strlen(hex)] != ' ' && side[strlen(hex)] != '\t')) {
		host->log(im->ctx, DG_LOG_WARN, "%s: refused: inventory.json does not match its sidecar %s", im->where,
		          nm);
		im->refused++;
		goto out;
	}
	/* an object of ours: its dangan.json names the original */
	mdig = ocfl_digest_of(state, "dangan.json");
	if (mdig && ocfl_content_of(manifest, mdig) && strncmp(id, "sha256:", 7) == 0)
		meta = ocfl_read_checked_json(im, dfd, ocfl_content_of(manifest, mdig), alg, mdig);
	if (meta && (!json_is_string(json_object_get(meta, "id")) ||
	             strcmp(json_string_value(json_object_get(meta, "id")), id) != 0)) {
		json_decref(meta); /* somebody else's dangan.json */
		meta = NULL;
	}
	if (meta) {
		json_t *p;
		size_t i;
		const char *olp = NULL;
		json_t *md;
		json_array_foreach(json_object_get(meta, "parts"), i, p)
		{
			const char *role = json_string_value(json_object_get(p, "role"));
			if (role && strcmp(role, DG_ROLE_ORIGINAL) == 0)
				olp = json_string_value(json_object_get(p, "path"));
		}
		dig = olp ? ocfl_digest_of(state, olp) : NULL;
		if (!dig || !ocfl_content_of(manifest, dig)) {
			host->log(im->ctx, DG_LOG_WARN, "%s: refused: dangan.json names no original in the head state",
			          im->where);
			im->refused++;
			goto out;
		}
		md = json_object_get(meta, "metadata");
		if (!json_is_object(md))
			md = json_object();
		else
			json_incref(md);
		if (!md)
			goto out;
		ocfl_import_file(im, dfd, id, head, alg, dig, olp, ocfl_content_of(manifest, dig), ocfl_base(olp), md);
		json_decref(md);
		goto out;
	}
	/* any other object: each distinct file of the head state */
	{
		json_t *paths;
		json_object_foreach(state, dig, paths)
		{
			const char *lp = json_string_value(json_array_get(paths, 0)),
			           *cp = ocfl_content_of(manifest, dig);
			if (im->stop)
				break;
			if (!lp || !cp) {
				host->log(im->ctx, DG_LOG_WARN, "%s: refused a state entry without a content file",
				          im->where);
				im->refused++;
				continue;
			}
			ocfl_import_file(im, dfd, id, head, alg, dig, lp, cp, ocfl_base(lp), NULL);
		}
	}
out:
	json_decref(meta);
	json_decref(inv);
	free(side);
	free(buf);
}

static void
ocfl_import_walk(struct ocfl_imp *im, int dfd, int depth)
{
	DIR *dir;
	struct dirent *de;
	struct stat st;
	size_t base = strlen(im->where);
	int fd;

	if (fstatat(dfd, "0=ocfl_object_1.1", &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    fstatat(dfd, "0=ocfl_object_1.0", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		ocfl_import_object(im, dfd);
		return;
	}
	if (depth >= OCFL_IMP_DEPTH_MAX)
		return;
	fd = dup(dfd);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (!im->stop && (de = readdir(dir)) != NULL) {
		int sub;
		if (de->d_name[0] == '.' || (depth == 0 && strcmp(de->d_name, "extensions") == 0))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (base + 2 + strlen(de->d_name) >= sizeof(im->where))
			continue;
		snprintf(im->where + base, sizeof(im->where) - base, "/%s", de->d_name);
		sub = ocfl_open_dir(dfd, de->d_name);
		if (sub >= 0) {
			ocfl_import_walk(im, sub, depth + 1);
			close(sub);
		}
		im->where[base] = '\0';
	}
	closedir(dir);
}

int
ocfl_scan(struct dg_ctx *ctx, const struct dg_host *host, int64_t max_inventory, const char *locator)
{
	struct ocfl_imp im;
	int dfd;

	memset(&im, 0, sizeof(im));
	im.ctx = ctx;
	im.host = host;
	im.max_inv = max_inventory > 0 ? max_inventory : (int64_t)64 * 1024 * 1024;
	if (snprintf(im.where, sizeof(im.where), "%s", locator) >= (int)sizeof(im.where)) {
		host->error(ctx, "%s: the path is too long", locator);
		return DG_FAILED;
	}
	while (strlen(im.where) > 1 && im.where[strlen(im.where) - 1] == '/')
		im.where[strlen(im.where) - 1] = '\0';
	dfd = open(locator, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		host->error(ctx, "%s: %s", locator, strerror(errno));
		return DG_FAILED;
	}
	ocfl_import_walk(&im, dfd, 0);
	close(dfd);
	host->log(ctx, DG_LOG_INFO, "%s: %ld OCFL objects, %ld documents imported, %ld refused", locator, im.objects,
	          im.docs, im.refused);
	if (im.stop)
		return DG_FATAL;
	if (im.refused) {
		host->error(ctx, "%s: %ld files or objects refused (see the warnings)", locator, im.refused);
		return DG_FAILED;
	}
	if (!im.objects) {
		host->error(ctx, "%s: no OCFL object found", locator);
		return DG_FAILED;
	}
	return DG_OK;
}
