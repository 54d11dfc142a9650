/* test-catalog.c -- indexing, substring search in Chinese (2-character
 * terms and longer), unique-prefix ids, hostile query text. */
#include <config.h>

#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "tap.h"

struct hits {
	int n;
	char first[65];
};

static int
count(void *ctx, const struct dg_catalog_row *r)
{
	struct hits *h = ctx;

	if (h->n++ == 0)
		snprintf(h->first, sizeof(h->first), "%s", r->id);
	return 0;
}

static int
search(struct dg_catalog *c, const char *q, char *first)
{
	struct hits h = {0};
	struct dg_err err = {0};

	if (dg_catalog_search(c, q, 0, 100, count, &h, &err) < 0)
		return -1;
	if (first)
		memcpy(first, h.first, 65);
	return h.n;
}

static void
put(struct dg_catalog *c, char fill, const char *name, const char *text)
{
	struct dg_record r;

	dg_record_init(&r);
	memset(r.doc_hex, fill, 64);
	r.doc_hex[64] = '\0';
	r.media_type = dg_strdup("text/plain");
	r.created_us = 1;
	dg_record_part_set(&r, "original", "text/plain", 3, r.doc_hex, NULL);
	dg_record_meta_add(&r, "source.name", name);
	dg_catalog_put(c, r.doc_hex, &r, 1, text, strlen(text));
	dg_record_release(&r);
}

int
main(void)
{
	char path[] = "/tmp/dangan-cat-test.XXXXXX";
	struct dg_catalog *c = NULL;
	struct dg_err err = {0};
	char hex[65], first[65];
	int fd = mkstemp(path);

	close(fd);
	ok(dg_catalog_open(&c, path, &err) == 0, "catalog opened (%s)", err.msg);
	dg_catalog_begin(c);
	put(c, 'a', "合同.txt", "供用电合同 户号：3301234567 户名：杭州某某纺织有限公司");
	put(c, 'b', "notice.txt", "停电通知单 因线路检修 户号：3307654321");
	put(c, 'c', "letter.txt", "Dear customer, your contract capacity is 315 kVA.");
	ok(dg_catalog_commit(c) == 0, "three documents indexed");

	is_int(search(c, "户号", NULL), 2, "2-character Chinese term found in two documents");
	is_int(search(c, "供用电合同", first), 1, "4-character Chinese phrase");
	ok(first[0] == 'a', "... in the contract");
	is_int(search(c, "纺织有限", NULL), 1, "substring inside a company name");
	is_int(search(c, "3307654321", NULL), 1, "account number");
	is_int(search(c, "customer capacity", NULL), 1, "two English words, ANDed");
	is_int(search(c, "kVA", NULL), 1, "3-letter term");
	is_int(search(c, "户号 停电", NULL), 1, "two short Chinese terms, ANDed");
	is_int(search(c, "合同.txt", NULL), 1, "file names are searchable");
	is_int(search(c, "nothing-like-this", NULL), 0, "no false hits");
	ok(search(c, "\" OR 1=1; DROP TABLE docs; --", NULL) >= 0, "SQL/FTS syntax in a query is just text");
	is_int(search(c, "%", NULL), 0, "LIKE wildcards are literal");
	is_int(search(c, "户号", NULL), 2, "catalog intact afterwards");

	ok(dg_catalog_resolve(c, "aaaa", hex, &err) == 0 && hex[0] == 'a', "unique prefix resolves");
	ok(dg_catalog_resolve(c, "sha256:bbbbbbbb", hex, &err) == 0 && hex[0] == 'b', "sha256: prefix accepted");
	ok(dg_catalog_resolve(c, "dddd", hex, &err) < 0 && strstr(err.msg, "no document"), "unknown id");
	ok(dg_catalog_resolve(c, "zz'; --", hex, &err) < 0 && strstr(err.msg, "id"), "non-hex id refused");
	put(c, 'a', "x", "x"); /* same id again: replaced, not duplicated */
	{
		int64_t docs = 0, bytes = 0;
		dg_catalog_stats(c, &docs, &bytes);
		is_int(docs, 3, "re-indexing a document replaces its row");
	}
	is_int(search(c, "供用电合同", NULL), 0, "old text of a re-indexed document is gone");
	dg_catalog_free(c);
	unlink(path);
	{
		char *wal = dg_asprintf("%s-wal", path), *shm = dg_asprintf("%s-shm", path);
		unlink(wal);
		unlink(shm);
		dg_free(wal);
		dg_free(shm);
	}
	return done_testing();
}
