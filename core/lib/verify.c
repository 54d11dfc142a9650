/* verify.c -- see verify.h. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "quarantine.h"
#include "verify.h"

struct obj {
	char hex[65];
	int64_t size;
	char good;
	char referenced;
};

struct vstate {
	struct dg_store *s;
	struct obj *objs;
	size_t n, cap;
	struct dg_verify_result *res;
	void (*problem)(void *ctx, const char *kind, const char *id, const char *msg);
	void *ctx;
	int oom;
};

static void problem(struct vstate *v, const char *kind, const char *id, const char *fmt, ...) DG_PRINTF(4, 5);
static void
problem(struct vstate *v, const char *kind, const char *id, const char *fmt, ...)
{
	char msg[DG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->res->errors++;
	if (v->problem)
		v->problem(v->ctx, kind, id, msg);
}

static int
collect_obj(void *ctx, const char *hex)
{
	struct vstate *v = ctx;

	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 1024;
		struct obj *o = dg_realloc(v->objs, ncap * sizeof(*o));
		if (!o) {
			v->oom = 1;
			return -1;
		}
		v->objs = o;
		v->cap = ncap;
	}
	memset(&v->objs[v->n], 0, sizeof(v->objs[0]));
	memcpy(v->objs[v->n].hex, hex, 65);
	v->n++;
	return 0;
}

static int
cmp_obj(const void *a, const void *b)
{
	return strcmp(((const struct obj *)a)->hex, ((const struct obj *)b)->hex);
}

static struct obj *
find(struct vstate *v, const char *hex)
{
	struct obj key;

	memset(&key, 0, sizeof(key));
	memcpy(key.hex, hex, 65);
	if (!v->n) /* bsearch wants a non-null array even for none */
		return NULL;
	return bsearch(&key, v->objs, v->n, sizeof(*v->objs), cmp_obj);
}

/* A referenced object must exist, be intact and (if known) have the size. */
static int
check_ref(struct vstate *v, const char *hex, int64_t size, const char *what, const char *owner)
{
	struct obj *o = find(v, hex);

	if (!o) {
		problem(v, "missing", hex, "%s sha256:%s of document sha256:%s is missing", what, hex, owner);
		return -1;
	}
	o->referenced = 1;
	if (o->good && size >= 0 && o->size != size) {
		problem(v, "size", hex, "%s sha256:%s of document sha256:%s has %lld bytes, the manifest says %lld",
		        what, hex, owner, (long long)o->size, (long long)size);
		return -1;
	}
	return o->good ? 0 : -1;
}

static void
check_record_parts(struct vstate *v, const struct dg_record *r, const char *owner)
{
	size_t i;

	for (i = 0; i < r->nparts; i++)
		check_ref(v, r->parts[i].hex, r->parts[i].size, "part", owner);
}

static int
check_doc(void *ctx, const char *doc_hex, const char *manifest_hex)
{
	struct vstate *v = ctx;
	char m[65];
	int hops = 0;

	v->res->documents++;
	memcpy(m, manifest_hex, 65);
	while (m[0] && hops++ < 1000000) {
		struct dg_record r;
		struct dg_err err = {0};
		if (check_ref(v, m, -1, "manifest", doc_hex) < 0)
			return 0;
		dg_record_init(&r);
		if (dg_store_read_manifest(v->s, m, &r, &err) < 0) {
			problem(v, "manifest", m, "manifest sha256:%s of document sha256:%s: %s", m, doc_hex, err.msg);
			dg_record_release(&r);
			return 0;
		}
		v->res->versions++;
		if (strcmp(r.doc_hex, doc_hex) != 0)
			problem(v, "manifest", m,
			        "manifest sha256:%s names document sha256:%s, but its ref is sha256:%s", m, r.doc_hex,
			        doc_hex);
		{
			struct dg_part *orig = dg_record_part(&r, DG_ROLE_ORIGINAL);
			if (!orig || strcmp(orig->hex, doc_hex) != 0)
				problem(v, "manifest", m, "manifest sha256:%s: the original is not sha256:%s", m,
				        doc_hex);
		}
		check_record_parts(v, &r, doc_hex);
		memcpy(m, r.parent_hex, 65);
		dg_record_release(&r);
	}
	return 0;
}

static int
check_quarantine(void *ctx, const char *id, const struct dg_record *r)
{
	struct vstate *v = ctx;

	v->res->quarantined++;
	check_record_parts(v, r, id);
	return 0;
}

static int
check_kept(void *ctx, const char *plugin, const char *hex)
{
	struct vstate *v = ctx;
	struct obj *o;

	if (!hex) {
		problem(v, "state", plugin, "state/%s/objects has a line that is not an object id", plugin);
		return 0;
	}
	o = find(v, hex);
	if (!o)
		problem(v, "missing", hex, "object sha256:%s kept by state/%s is missing", hex, plugin);
	else
		o->referenced = 1;
	return 0;
}

struct catcheck {
	struct vstate *v;
	int64_t rows;
};

static int
check_catalog_row(void *ctx, const char *doc, const char *manifest)
{
	struct catcheck *cc = ctx;
	char m[65];
	int found = dg_store_ref_get(cc->v->s, doc, m);

	cc->rows++;
	if (found != 1)
		problem(cc->v, "catalog", doc,
		        "catalog lists sha256:%s, which the store does not have (run 'dangan reindex')", doc);
	else if (strcmp(m, manifest) != 0)
		problem(cc->v, "catalog", doc, "catalog is behind for sha256:%s (run 'dangan reindex')", doc);
	return 0;
}

int
dg_verify(struct dg_store *s, struct dg_catalog *c,
          void (*problem_cb)(void *ctx, const char *kind, const char *id, const char *msg), void *ctx,
          struct dg_verify_result *res)
{
	struct vstate v = {0};
	struct catcheck cc;
	size_t i;

	memset(res, 0, sizeof(*res));
	v.s = s;
	v.res = res;
	v.problem = problem_cb;
	v.ctx = ctx;
	if (dg_store_each_object(s, collect_obj, &v) != 0 || v.oom)
		goto fail;
	if (v.n > 1)
		qsort(v.objs, v.n, sizeof(*v.objs), cmp_obj);
	for (i = 0; i < v.n; i++) {
		char got[65];
		int r = dg_store_check_object(s, v.objs[i].hex, got, &v.objs[i].size);
		res->objects++;
		res->bytes += v.objs[i].size;
		if (r == 0)
			v.objs[i].good = 1;
		else if (r == 1)
			problem(&v, "corrupt", v.objs[i].hex,
			        "object sha256:%s is corrupt: its content hashes to sha256:%s", v.objs[i].hex, got);
		else
			problem(&v, "unreadable", v.objs[i].hex, "object sha256:%s cannot be read", v.objs[i].hex);
	}
	dg_store_each_ref(s, check_doc, &v);
	dg_quarantine_each(s, check_quarantine, &v);
	dg_store_each_kept(s, check_kept, &v);
	if (c) {
		cc.v = &v;
		cc.rows = 0;
		dg_catalog_each(c, check_catalog_row, &cc);
		if (cc.rows != res->documents)
			problem(&v, "catalog", "", "catalog has %lld documents, the store %lld (run 'dangan reindex')",
			        (long long)cc.rows, (long long)res->documents);
	}
	for (i = 0; i < v.n; i++)
		if (!v.objs[i].referenced)
			res->strays++;
	dg_free(v.objs);
	return res->errors ? 1 : 0;
fail:
	dg_free(v.objs);
	return -1;
}
