/* edit.c -- see edit.h. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edit.h"

#define EDIT_KEY_MAX 256
#define EDIT_VALUE_MAX (64u << 10)
#define EDIT_MESSAGE_MAX (256u << 10)

/* No C0 control, DEL, or C1 control (U+0080..U+009F, "\xc2\x80".."\xc2\x9f"). */
static int
no_controls(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return 0;
	}
	return 1;
}

int
dg_edit_check(const char *key, const char *value, struct dg_err *err)
{
	size_t kl = key ? strlen(key) : 0;

	if (kl == 0 || kl > EDIT_KEY_MAX) {
		dg_err_set(err, DG_FAILED, "a key has 1 to %d bytes", EDIT_KEY_MAX);
		return -1;
	}
	if (key[0] == '@') {
		dg_err_set(err, DG_FAILED, "%s: keys starting with '@' are scratch between stages, never stored", key);
		return -1;
	}
	if (!dg_utf8_valid(key, kl) || !no_controls(key) || strchr(key, '=')) {
		dg_err_set(err, DG_FAILED, "the key is not UTF-8 text without control characters and '='");
		return -1;
	}
	if (!value)
		return 0;
	if (strlen(value) > EDIT_VALUE_MAX) {
		dg_err_set(err, DG_FAILED, "%s: the value is longer than %u bytes", key, EDIT_VALUE_MAX);
		return -1;
	}
	if (!dg_utf8_valid(value, strlen(value)) || !no_controls(value)) {
		dg_err_set(err, DG_FAILED, "%s: the value is not UTF-8 text without control characters", key);
		return -1;
	}
	return 0;
}

/* The values of key joined by " | ", or "(none)". */
static void
old_values(struct dg_buf *b, const struct dg_record *r, const char *key)
{
	size_t i, n = dg_record_meta_count(r, key);

	if (n == 0)
		dg_buf_adds(b, "(none)");
	for (i = 0; i < n; i++) {
		if (i)
			dg_buf_adds(b, " | ");
		dg_buf_adds(b, dg_record_meta_n(r, key, i));
	}
}

/* Would setting key to value change r? */
static int
changes(const struct dg_record *r, const char *key, const char *value)
{
	size_t n = dg_record_meta_count(r, key);

	if (!value)
		return n != 0;
	return n != 1 || strcmp(dg_record_meta(r, key), value) != 0;
}

struct index_ctx {
	struct dg_catalog *c;
	struct dg_store *s;
	const char *doc_hex;
	struct dg_err *err;
};

static int
index_doc(void *arg)
{
	struct index_ctx *x = arg;

	if (!x->c)
		return 0;
	if (dg_catalog_begin(x->c) < 0)
		return -1;
	if (dg_catalog_index_doc(x->c, x->s, x->doc_hex, x->err) < 0) {
		dg_catalog_rollback(x->c);
		return -1;
	}
	return dg_catalog_commit(x->c);
}

int
dg_edit_commit(struct dg_store *s, struct dg_catalog *c, const char *doc_hex, const struct dg_edit *edits, size_t n,
               const char *by, char manifest_out[65], struct dg_err *err)
{
	struct dg_record old, ver;
	struct dg_publish pub;
	struct dg_buf msg, mb;
	struct dg_event ev;
	struct index_ctx ix = {c, s, doc_hex, err};
	char parent[65], mhex[65];
	char *mtmp = NULL;
	size_t i, changed = 0;
	int rc = -1, found;

	dg_record_init(&old);
	dg_record_init(&ver);
	dg_publish_init(&pub);
	dg_buf_init(&msg, EDIT_MESSAGE_MAX);
	dg_buf_init(&mb, 0);
	for (i = 0; i < n; i++)
		if (dg_edit_check(edits[i].key, edits[i].value, err) < 0)
			goto out;
	if (by && (!dg_utf8_valid(by, strlen(by)) || !no_controls(by) || strlen(by) > 256)) {
		dg_err_set(err, DG_FAILED, "the user name is not a line of UTF-8 text");
		goto out;
	}
	found = dg_store_ref_get(s, doc_hex, parent);
	if (found != 1) {
		dg_err_set(err, DG_FAILED, "document sha256:%s is not in the store", doc_hex);
		goto out;
	}
	if (dg_store_read_manifest(s, parent, &old, err) < 0)
		goto out;
	if (dg_record_copy_content(&ver, &old) < 0)
		goto oom;
	memcpy(ver.doc_hex, old.doc_hex, 65);
	memcpy(ver.parent_hex, parent, 65);
	ver.status = dg_strdup(old.status ? old.status : "ok");
	ver.created_us = dg_now_us();
	if (!ver.status)
		goto oom;
	dg_buf_addf(&msg, "by %s:", by && *by ? by : "(unknown)");
	for (i = 0; i < n; i++) {
		if (!changes(&ver, edits[i].key, edits[i].value))
			continue;
		dg_buf_adds(&msg, changed ? "; " : " ");
		dg_buf_adds(&msg, edits[i].key);
		dg_buf_adds(&msg, ": ");
		old_values(&msg, &ver, edits[i].key);
		dg_buf_adds(&msg, " -> ");
		dg_buf_adds(&msg, edits[i].value ? edits[i].value : "(removed)");
		if (dg_record_meta_set(&ver, edits[i].key, edits[i].value) < 0)
			goto oom;
		changed++;
	}
	if (msg.oom)
		goto oom;
	if (!changed) {
		rc = 1;
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = "set";
	ev.outcome = "ok";
	ev.message = msg.data;
	ev.at_us = ver.created_us;
	if (dg_record_event_add(&ver, &ev) < 0)
		goto oom;
	if (dg_manifest_write(&ver, &mb) < 0 || dg_store_put_mem(s, mb.data, mb.len, mhex, &mtmp, err) < 0) {
		if (!err->msg[0])
			dg_err_set(err, DG_FAILED, "cannot write the new manifest");
		goto out;
	}
	if (dg_publish_add_object(&pub, mtmp, mhex) < 0 || dg_publish_add_ref(&pub, doc_hex, mhex) < 0)
		goto oom;
	if (dg_store_publish(s, &pub, index_doc, &ix, err) < 0)
		goto out;
	dg_free(mtmp);
	mtmp = NULL;
	memcpy(manifest_out, mhex, 65);
	rc = 0;
	goto out;
oom:
	dg_err_set(err, DG_FATAL, "out of memory");
out:
	if (mtmp) {
		unlink(mtmp);
		dg_free(mtmp);
	}
	dg_publish_release(&pub);
	dg_buf_release(&msg);
	dg_buf_release(&mb);
	dg_record_release(&old);
	dg_record_release(&ver);
	return rc;
}
