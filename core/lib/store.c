/* store.c -- see store.h for the layout and the write protocol. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store.h"

#define MARKER ".dangan-store"
#define MARKER_TEXT "dangan store 1\n"
#define COPY_CHUNK (1u << 20)

struct dg_store {
	char *root;
	char *objects;
	char *tmpdir;
	char *refs;
	int lock_fd;
	int objects_fd;
};

struct dg_objw {
	struct dg_store *store;
	int fd;
	char *tmp;
	EVP_MD_CTX *md;
	int64_t size;
	char hex[65];
};

static int
sync_store(struct dg_store *s)
{
#ifdef HAVE_SYNCFS
	return syncfs(s->objects_fd);
#else
	(void)s;
	sync();
	return 0;
#endif
}

static int
make_fanout(const char *dir)
{
	char sub[3];
	int i;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	for (i = 0; i < 256; i++) {
		char *p;
		int rc;
		snprintf(sub, sizeof(sub), "%02x", i);
		p = dg_path_join(dir, sub);
		if (!p)
			return -1;
		rc = mkdir(p, 0755);
		dg_free(p);
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static int
store_create(const char *root, struct dg_err *err)
{
	char *p = NULL;
	int fd = -1, rc = -1;
	const char *dirs[] = {"quarantine", "objects/tmp"};
	size_t i;

	if (dg_mkdirs(root, 0755) < 0)
		goto fail;
	p = dg_path_join(root, "objects");
	if (!p || make_fanout(p) < 0)
		goto fail;
	dg_free(p);
	p = dg_path_join(root, "refs");
	if (!p || make_fanout(p) < 0)
		goto fail;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		dg_free(p);
		p = dg_path_join(root, dirs[i]);
		if (!p || (mkdir(p, 0755) < 0 && errno != EEXIST))
			goto fail;
	}
	dg_free(p);
	p = dg_path_join(root, MARKER);
	if (!p)
		goto fail;
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0 && errno == EEXIST) {
		rc = 0;
		goto out;
	}
	if (fd < 0 || dg_write_all(fd, MARKER_TEXT, strlen(MARKER_TEXT)) < 0 || fsync(fd) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	dg_err_set(err, DG_FATAL, "cannot create store in %s: %s", root, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	dg_free(p);
	return rc;
}

static void
clean_tmp(struct dg_store *s)
{
	DIR *d = opendir(s->tmpdir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char *p;
		if (e->d_name[0] == '.')
			continue;
		p = dg_path_join(s->tmpdir, e->d_name);
		if (p)
			dg_rmtree(p);
		dg_free(p);
	}
	closedir(d);
}

int
dg_store_open(struct dg_store **out, const char *root, int flags, struct dg_err *err)
{
	struct dg_store *s = NULL;
	struct stat st;
	char *marker = NULL, *lock = NULL;

	*out = NULL;
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode) || !(marker = dg_path_join(root, MARKER)) ||
	    access(marker, F_OK) < 0) {
		if (!(flags & DG_STORE_CREATE)) {
			dg_err_set(err, DG_FATAL, "%s is not a dangan store (run 'dangan init' first)", root);
			goto fail;
		}
		if (store_create(root, err) < 0)
			goto fail;
	}
	s = dg_calloc(1, sizeof(*s));
	if (!s)
		goto oom;
	s->lock_fd = s->objects_fd = -1;
	s->root = realpath(root, NULL);
	if (!s->root) {
		dg_err_set(err, DG_FATAL, "%s: %s", root, strerror(errno));
		goto fail;
	}
	s->objects = dg_path_join(s->root, "objects");
	s->tmpdir = dg_path_join(s->root, "objects/tmp");
	s->refs = dg_path_join(s->root, "refs");
	if (!s->objects || !s->tmpdir || !s->refs)
		goto oom;
	s->objects_fd = open(s->objects, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->objects_fd < 0) {
		dg_err_set(err, DG_FATAL, "%s: %s", s->objects, strerror(errno));
		goto fail;
	}
	if (flags & DG_STORE_WRITE) {
		lock = dg_path_join(s->root, "lock");
		if (!lock)
			goto oom;
		s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (s->lock_fd < 0) {
			dg_err_set(err, DG_FATAL, "%s: %s", lock, strerror(errno));
			goto fail;
		}
		if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
			dg_err_set(err, DG_FATAL, "store %s is in use by another dangan process (lock %s held)",
			           s->root, lock);
			goto fail;
		}
		if (mkdir(s->tmpdir, 0755) < 0 && errno != EEXIST) {
			dg_err_set(err, DG_FATAL, "%s: %s", s->tmpdir, strerror(errno));
			goto fail;
		}
		clean_tmp(s);
	}
	dg_free(marker);
	dg_free(lock);
	*out = s;
	return 0;
oom:
	dg_err_set(err, DG_FATAL, "out of memory");
fail:
	dg_free(marker);
	dg_free(lock);
	dg_store_free(s);
	return -1;
}

void
dg_store_free(struct dg_store *s)
{
	if (!s)
		return;
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->objects_fd >= 0)
		close(s->objects_fd);
	free(s->root); /* from realpath() */
	dg_free(s->objects);
	dg_free(s->tmpdir);
	dg_free(s->refs);
	dg_free(s);
}

const char *
dg_store_root(const struct dg_store *s)
{
	return s->root;
}

char *
dg_store_object_path(const struct dg_store *s, const char *hex)
{
	return dg_asprintf("%s/%.2s/%s", s->objects, hex, hex + 2);
}

int
dg_store_has(const struct dg_store *s, const char *hex)
{
	char *p = dg_store_object_path(s, hex);
	int r = p && access(p, F_OK) == 0;

	dg_free(p);
	return r;
}

/* ---- writing objects ------------------------------------------------ */

struct dg_objw *
dg_objw_open(struct dg_store *s, struct dg_err *err)
{
	struct dg_objw *w = dg_calloc(1, sizeof(*w));

	if (!w)
		goto oom;
	w->store = s;
	w->fd = -1;
	w->tmp = dg_path_join(s->tmpdir, "obj-XXXXXX");
	w->md = EVP_MD_CTX_new();
	if (!w->tmp || !w->md)
		goto oom;
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		dg_err_set(err, DG_FAILED, "cannot create a temporary object in %s: %s", s->tmpdir, strerror(errno));
		goto fail;
	}
	if (EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1) {
		dg_err_set(err, DG_FAILED, "SHA-256 unavailable");
		goto fail;
	}
	return w;
oom:
	dg_err_set(err, DG_FAILED, "out of memory");
fail:
	dg_objw_abort(w);
	return NULL;
}

int
dg_objw_write(struct dg_objw *w, const void *buf, size_t len)
{
	if (w->fd < 0)
		return -1;
	if (EVP_DigestUpdate(w->md, buf, len) != 1 || dg_write_all(w->fd, buf, len) < 0)
		return -1;
	w->size += (int64_t)len;
	return 0;
}

int
dg_objw_close(struct dg_objw *w)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int rc = 0;

	if (w->fd < 0)
		return -1;
	if (EVP_DigestFinal_ex(w->md, md, &mdlen) != 1 || mdlen != 32)
		rc = -1;
	else
		dg_hex(md, 32, w->hex);
	if (fchmod(w->fd, 0444) < 0)
		rc = -1;
	if (close(w->fd) < 0)
		rc = -1;
	w->fd = -1;
	return rc;
}

void
dg_objw_abort(struct dg_objw *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp)
		unlink(w->tmp);
	if (w->md)
		EVP_MD_CTX_free(w->md);
	dg_free(w->tmp);
	dg_free(w);
}

const char *
dg_objw_hex(const struct dg_objw *w)
{
	return w->hex;
}

const char *
dg_objw_tmp_path(const struct dg_objw *w)
{
	return w->tmp;
}

int64_t
dg_objw_size(const struct dg_objw *w)
{
	return w->size;
}

char *
dg_objw_detach(struct dg_objw *w)
{
	char *tmp = w->tmp;

	if (w->fd >= 0)
		close(w->fd);
	EVP_MD_CTX_free(w->md);
	dg_free(w);
	return tmp;
}

int
dg_store_put_fd(struct dg_store *s, int fd, char hex[65], char **tmp_path, int64_t *size, struct dg_err *err)
{
	struct dg_objw *w = dg_objw_open(s, err);
	char *buf = NULL;
	ssize_t n;

	if (!w)
		return -1;
	buf = dg_malloc(COPY_CHUNK);
	if (!buf) {
		dg_err_set(err, DG_FAILED, "out of memory");
		goto fail;
	}
#ifdef HAVE_POSIX_FADVISE
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	for (;;) {
		n = read(fd, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dg_err_set(err, DG_FAILED, "read error: %s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (dg_objw_write(w, buf, (size_t)n) < 0) {
			dg_err_set(err, DG_FAILED, "cannot write to the store: %s", strerror(errno));
			goto fail;
		}
	}
	if (dg_objw_close(w) < 0) {
		dg_err_set(err, DG_FAILED, "cannot finish object: %s", strerror(errno));
		goto fail;
	}
	memcpy(hex, w->hex, 65);
	*size = w->size;
	*tmp_path = dg_objw_detach(w);
	dg_free(buf);
	return 0;
fail:
	dg_objw_abort(w);
	dg_free(buf);
	return -1;
}

int
dg_store_put_mem(struct dg_store *s, const void *buf, size_t len, char hex[65], char **tmp_path, struct dg_err *err)
{
	struct dg_objw *w = dg_objw_open(s, err);

	if (!w)
		return -1;
	if (dg_objw_write(w, buf, len) < 0 || dg_objw_close(w) < 0) {
		dg_err_set(err, DG_FAILED, "cannot write to the store: %s", strerror(errno));
		dg_objw_abort(w);
		return -1;
	}
	memcpy(hex, w->hex, 65);
	*tmp_path = dg_objw_detach(w);
	return 0;
}

/* ---- publishing ----------------------------------------------------- */

void
dg_publish_init(struct dg_publish *p)
{
	memset(p, 0, sizeof(*p));
}

void
dg_publish_release(struct dg_publish *p)
{
	size_t i;

	for (i = 0; i < p->ntmp; i++)
		dg_free(p->tmp[i]);
	dg_free(p->tmp);
	dg_free(p->hex);
	dg_free(p->ref_doc);
	dg_free(p->ref_manifest);
	dg_publish_init(p);
}

int
dg_publish_add_object(struct dg_publish *p, const char *tmp_path, const char *hex)
{
	if (p->ntmp == p->captmp) {
		size_t ncap = p->captmp ? p->captmp * 2 : 64;
		char **t = dg_realloc(p->tmp, ncap * sizeof(*t));
		if (!t)
			return -1;
		p->tmp = t;
		char(*h)[65] = dg_realloc(p->hex, ncap * sizeof(*h));
		if (!h)
			return -1;
		p->hex = h;
		p->captmp = ncap;
	}
	if (!(p->tmp[p->ntmp] = dg_strdup(tmp_path)))
		return -1;
	memcpy(p->hex[p->ntmp], hex, 65);
	p->ntmp++;
	return 0;
}

int
dg_publish_add_ref(struct dg_publish *p, const char *doc_hex, const char *manifest_hex)
{
	size_t i;

	for (i = 0; i < p->nref; i++) {
		if (memcmp(p->ref_doc[i], doc_hex, 65) == 0) {
			memcpy(p->ref_manifest[i], manifest_hex, 65);
			return 0;
		}
	}
	if (p->nref == p->capref) {
		size_t ncap = p->capref ? p->capref * 2 : 64;
		char(*d)[65] = dg_realloc(p->ref_doc, ncap * sizeof(*d));
		if (!d)
			return -1;
		p->ref_doc = d;
		char(*m)[65] = dg_realloc(p->ref_manifest, ncap * sizeof(*m));
		if (!m)
			return -1;
		p->ref_manifest = m;
		p->capref = ncap;
	}
	memcpy(p->ref_doc[p->nref], doc_hex, 65);
	memcpy(p->ref_manifest[p->nref], manifest_hex, 65);
	p->nref++;
	return 0;
}

int
dg_store_publish(struct dg_store *s, struct dg_publish *p, int (*on_refs)(void *ctx), void *ctx, struct dg_err *err)
{
	struct dg_buf journal;
	char *jpath = NULL;
	size_t i;
	int rc = -1;

	dg_buf_init(&journal, 0);
	/* 1. the bytes of every new object are durable */
	if (p->ntmp && sync_store(s) < 0) {
		dg_err_set(err, DG_FATAL, "sync of the store failed: %s", strerror(errno));
		goto out;
	}
	/* 2. give them their names */
	for (i = 0; i < p->ntmp; i++) {
		char *final = dg_store_object_path(s, p->hex[i]);
		if (!final)
			goto oom;
		if (link(p->tmp[i], final) < 0 && errno != EEXIST) {
			dg_err_set(err, DG_FATAL, "cannot link object %s: %s", final, strerror(errno));
			dg_free(final);
			goto out;
		}
		dg_free(final);
		unlink(p->tmp[i]);
	}
	if (!p->nref) {
		rc = 0;
		goto out;
	}
	/* 3. names durable; journal the refs about to change */
	for (i = 0; i < p->nref; i++)
		if (dg_buf_addf(&journal, "%s\n", p->ref_doc[i]) < 0)
			goto oom;
	jpath = dg_path_join(s->root, "journal");
	if (!jpath)
		goto oom;
	if (sync_store(s) < 0 || dg_write_file_atomic(jpath, journal.data, journal.len, 0) < 0) {
		dg_err_set(err, DG_FATAL, "cannot write the journal: %s", strerror(errno));
		goto out;
	}
	/* 4. the commit point: refs renamed, then synced */
	for (i = 0; i < p->nref; i++) {
		char line[80];
		char *ref = dg_asprintf("%s/%.2s/%s", s->refs, p->ref_doc[i], p->ref_doc[i]);
		int n = snprintf(line, sizeof(line), "sha256:%s\n", p->ref_manifest[i]);
		if (!ref)
			goto oom;
		if (dg_write_file_atomic(ref, line, (size_t)n, 0) < 0) {
			dg_err_set(err, DG_FATAL, "cannot update ref %s: %s", ref, strerror(errno));
			dg_free(ref);
			goto out;
		}
		dg_free(ref);
	}
	if (sync_store(s) < 0) {
		dg_err_set(err, DG_FATAL, "sync of the store failed: %s", strerror(errno));
		goto out;
	}
	/* 5. the index follows; the journal goes once it has */
	if (on_refs && on_refs(ctx) < 0) {
		dg_err_set(err, DG_FATAL, "catalog update failed (the store is consistent; run 'dangan reindex')");
		goto out;
	}
	unlink(jpath);
	rc = 0;
	goto out;
oom:
	dg_err_set(err, DG_FATAL, "out of memory");
out:
	dg_free(jpath);
	dg_buf_release(&journal);
	return rc;
}

/* ---- reading -------------------------------------------------------- */

int
dg_store_ref_get(const struct dg_store *s, const char *doc_hex, char manifest_hex[65])
{
	char *ref = dg_asprintf("%s/%.2s/%s", s->refs, doc_hex, doc_hex);
	char buf[96];
	int fd, rc = -1;
	ssize_t n;

	if (!ref)
		return -1;
	fd = open(ref, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? 0 : -1;
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 7 + 64 || strncmp(buf, "sha256:", 7) != 0)
		goto out;
	buf[7 + 64] = '\0';
	if (!dg_is_hex(buf + 7, 64))
		goto out;
	memcpy(manifest_hex, buf + 7, 65);
	rc = 1;
out:
	dg_free(ref);
	return rc;
}

static int
each_in_fanout(const char *top, size_t namelen,
               int (*cb)(void *ctx, const char *dir, const char *sub, const char *name), void *ctx)
{
	int i, rc = 0;

	for (i = 0; i < 256 && rc == 0; i++) {
		char sub[3];
		char *dir;
		DIR *d;
		struct dirent *e;

		snprintf(sub, sizeof(sub), "%02x", i);
		dir = dg_path_join(top, sub);
		if (!dir)
			return -1;
		d = opendir(dir);
		if (!d) {
			dg_free(dir);
			continue;
		}
		while (rc == 0 && (e = readdir(d)) != NULL) {
			if (strlen(e->d_name) != namelen || !dg_is_hex(e->d_name, namelen))
				continue;
			rc = cb(ctx, dir, sub, e->d_name);
		}
		closedir(d);
		dg_free(dir);
	}
	return rc;
}

struct ref_iter {
	const struct dg_store *s;
	int (*cb)(void *ctx, const char *doc_hex, const char *manifest_hex);
	void *ctx;
};

static int
ref_iter_cb(void *ctx, const char *dir, const char *sub, const char *name)
{
	struct ref_iter *it = ctx;
	char m[65];

	(void)dir;
	(void)sub;
	if (dg_store_ref_get(it->s, name, m) != 1)
		return 0;
	return it->cb(it->ctx, name, m);
}

int
dg_store_each_ref(const struct dg_store *s, int (*cb)(void *ctx, const char *doc_hex, const char *manifest_hex),
                  void *ctx)
{
	struct ref_iter it = {s, cb, ctx};

	return each_in_fanout(s->refs, 64, ref_iter_cb, &it);
}

struct obj_iter {
	int (*cb)(void *ctx, const char *hex);
	void *ctx;
};

static int
obj_iter_cb(void *ctx, const char *dir, const char *sub, const char *name)
{
	struct obj_iter *it = ctx;
	char hex[65];

	(void)dir;
	memcpy(hex, sub, 2);
	memcpy(hex + 2, name, 63);
	return it->cb(it->ctx, hex);
}

int
dg_store_each_object(const struct dg_store *s, int (*cb)(void *ctx, const char *hex), void *ctx)
{
	struct obj_iter it = {cb, ctx};

	return each_in_fanout(s->objects, 62, obj_iter_cb, &it);
}

int
dg_store_read_manifest(const struct dg_store *s, const char *hex, struct dg_record *r, struct dg_err *err)
{
	char *path = dg_store_object_path(s, hex);
	char *data = NULL;
	size_t len;
	int rc = -1;

	if (!path)
		return -1;
	if (dg_read_file(path, 64u << 20, &data, &len) < 0) {
		dg_err_set(err, DG_FAILED, "cannot read manifest sha256:%s: %s", hex, strerror(errno));
		goto out;
	}
	rc = dg_manifest_parse(data, len, r, err);
out:
	dg_free(data);
	dg_free(path);
	return rc;
}

int
dg_store_check_object(const struct dg_store *s, const char *hex, char got[65], int64_t *size)
{
	char *path = dg_store_object_path(s, hex);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen;
	char *buf = dg_malloc(COPY_CHUNK);
	int fd = -1, rc = -1;
	ssize_t n;

	*size = 0;
	if (!path || !md || !buf)
		goto out;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
#ifdef HAVE_POSIX_FADVISE
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	while ((n = read(fd, buf, COPY_CHUNK)) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)n);
		*size += n;
	}
	if (n < 0 || EVP_DigestFinal_ex(md, digest, &dlen) != 1)
		goto out;
	dg_hex(digest, 32, got);
	rc = strcmp(got, hex) == 0 ? 0 : 1;
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	dg_free(buf);
	dg_free(path);
	return rc;
}

int
dg_store_journal_read(const struct dg_store *s, char ***docs, size_t *n)
{
	char *path = dg_path_join(s->root, "journal");
	char *data = NULL, *line, *save = NULL;
	char **list = NULL;
	size_t cnt = 0, cap = 0, len;
	int rc = -1;

	*docs = NULL;
	*n = 0;
	if (!path)
		return -1;
	if (dg_read_file(path, 64u << 20, &data, &len) < 0) {
		rc = errno == ENOENT ? 0 : -1;
		goto out;
	}
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!dg_is_hex(line, 64))
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **l = dg_realloc(list, ncap * sizeof(*l));
			if (!l)
				goto out;
			list = l;
			cap = ncap;
		}
		if (!(list[cnt] = dg_strdup(line)))
			goto out;
		cnt++;
	}
	*docs = list;
	*n = cnt;
	list = NULL;
	rc = 0;
out:
	if (list) {
		for (size_t i = 0; i < cnt; i++)
			dg_free(list[i]);
		dg_free(list);
	}
	dg_free(data);
	dg_free(path);
	return rc;
}

int
dg_store_journal_clear(struct dg_store *s)
{
	char *path = dg_path_join(s->root, "journal");
	int rc;

	if (!path)
		return -1;
	rc = unlink(path) < 0 && errno != ENOENT ? -1 : 0;
	dg_free(path);
	return rc;
}

/* ---- objects kept by plugin state ------------------------------------- */

int
dg_store_keep(struct dg_store *s, const char *plugin, const char *hex, struct dg_err *err)
{
	char *dir = NULL, *path = NULL;
	char line[80];
	int fd = -1, rc = -1, n;

	if (!dg_is_hex(hex, 64) || !plugin || !*plugin || strchr(plugin, '/') || plugin[0] == '.') {
		dg_err_set(err, DG_FAILED, "bad kept object %s of %s", hex, plugin ? plugin : "?");
		return -1;
	}
	dir = dg_asprintf("%s/state/%s", s->root, plugin);
	path = dir ? dg_path_join(dir, "objects") : NULL;
	if (!path) {
		dg_err_set(err, DG_FATAL, "out of memory");
		goto out;
	}
	n = snprintf(line, sizeof(line), "sha256:%s\n", hex);
	if (dg_mkdirs(dir, 0755) < 0 || (fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0 ||
	    dg_write_all(fd, line, (size_t)n) < 0 || fsync(fd) < 0) {
		dg_err_set(err, DG_FAILED, "cannot record %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	dg_free(dir);
	dg_free(path);
	return rc;
}

int
dg_store_each_kept(const struct dg_store *s, int (*cb)(void *ctx, const char *plugin, const char *hex), void *ctx)
{
	char *sdir = dg_path_join(s->root, "state");
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (!sdir)
		return -1;
	d = opendir(sdir);
	if (!d) {
		dg_free(sdir);
		return errno == ENOENT ? 0 : -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *path, *data = NULL, *p, *nl;
		size_t len;
		if (de->d_name[0] == '.')
			continue;
		path = dg_asprintf("%s/%s/objects", sdir, de->d_name);
		if (!path) {
			rc = -1;
			break;
		}
		if (dg_read_file(path, 64u << 20, &data, &len) == 0) {
			for (p = data; rc == 0 && p < data + len; p = nl + 1) {
				nl = memchr(p, '\n', (size_t)(data + len - p));
				if (!nl)
					nl = data + len;
				*nl = '\0';
				if (*p == '\0' || *p == '#')
					continue;
				if (strncmp(p, "sha256:", 7) == 0 && dg_is_hex(p + 7, 64) && p[71] == '\0')
					rc = cb(ctx, de->d_name, p + 7);
				else
					rc = cb(ctx, de->d_name, NULL);
			}
		}
		dg_free(data);
		dg_free(path);
	}
	closedir(d);
	dg_free(sdir);
	return rc;
}
