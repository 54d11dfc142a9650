/* quarantine.c -- see quarantine.h. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quarantine.h"

static char *
entry_path(struct dg_store *s, const char *hex)
{
	return dg_asprintf("%s/quarantine/%s.xml", dg_store_root(s), hex);
}

int
dg_quarantine_write(struct dg_store *s, const struct dg_record *r)
{
	struct dg_buf b;
	char *path = NULL;
	int rc = -1;

	dg_buf_init(&b, 0);
	if (dg_manifest_write(r, &b) < 0)
		goto out;
	path = entry_path(s, r->doc_hex);
	if (path)
		rc = dg_write_file_atomic(path, b.data, b.len, 1);
out:
	dg_free(path);
	dg_buf_release(&b);
	return rc;
}

int
dg_quarantine_remove(struct dg_store *s, const char *id_hex)
{
	char *path = entry_path(s, id_hex);
	int rc;

	if (!path)
		return -1;
	rc = unlink(path) < 0 && errno != ENOENT ? -1 : 0;
	dg_free(path);
	return rc;
}

int
dg_quarantine_read(struct dg_store *s, const char *id_hex, struct dg_record *r, struct dg_err *err)
{
	char *path = entry_path(s, id_hex), *data = NULL;
	size_t len;
	int rc = -1;

	if (!path)
		return -1;
	if (dg_read_file(path, 64u << 20, &data, &len) < 0) {
		dg_err_set(err, DG_FAILED, "no quarantine entry %s", id_hex);
		goto out;
	}
	rc = dg_manifest_parse(data, len, r, err);
out:
	dg_free(data);
	dg_free(path);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted list of entry ids. */
static int
list_ids(struct dg_store *s, char ***ids, size_t *n)
{
	char *dir = dg_path_join(dg_store_root(s), "quarantine");
	DIR *d;
	struct dirent *e;
	char **list = NULL;
	size_t cnt = 0, cap = 0;

	*ids = NULL;
	*n = 0;
	if (!dir)
		return -1;
	d = opendir(dir);
	dg_free(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != 68 || strcmp(e->d_name + 64, ".xml") != 0)
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			char **l = dg_realloc(list, ncap * sizeof(*l));
			if (!l)
				break;
			list = l;
			cap = ncap;
		}
		if ((list[cnt] = dg_strndup(e->d_name, 64)) != NULL)
			cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(list, cnt, sizeof(*list), cmp_str);
	*ids = list;
	*n = cnt;
	return 0;
}

static void
free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dg_free(ids[i]);
	dg_free(ids);
}

int
dg_quarantine_each(struct dg_store *s, int (*cb)(void *ctx, const char *id_hex, const struct dg_record *r), void *ctx)
{
	char **ids;
	size_t n, i;
	int rc = 0;

	if (list_ids(s, &ids, &n) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		struct dg_record r;
		struct dg_err err;
		dg_record_init(&r);
		if (dg_quarantine_read(s, ids[i], &r, &err) == 0)
			rc = cb(ctx, ids[i], &r);
		dg_record_release(&r);
	}
	free_ids(ids, n);
	return rc;
}

int
dg_quarantine_resolve(struct dg_store *s, const char *prefix, char hex[65], struct dg_err *err)
{
	char **ids;
	size_t n, i, plen, found = 0;

	if (strncmp(prefix, "sha256:", 7) == 0)
		prefix += 7;
	plen = strlen(prefix);
	if (plen < 4) {
		dg_err_set(err, DG_FAILED, "'%s': give at least 4 hex digits", prefix);
		return -1;
	}
	if (list_ids(s, &ids, &n) < 0) {
		dg_err_set(err, DG_FAILED, "cannot read the quarantine");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (strncmp(ids[i], prefix, plen) == 0 && found++ == 0)
			snprintf(hex, 65, "%s", ids[i]);
	free_ids(ids, n);
	if (found == 1)
		return 0;
	dg_err_set(err, DG_FAILED, found ? "quarantine id %s is ambiguous" : "no quarantine entry %s", prefix);
	return -1;
}
