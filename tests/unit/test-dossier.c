/* test-dossier.c -- formation dates, the filing scope read from
 * document-type definitions, and dossiers in the catalog: filed by
 * 户号, customer fields from the newest document, a new version keeps
 * its place, a removed document leaves, fingerprints. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "dossier.h"
#include "simhash.h"
#include "tap.h"
#include "xmlsafe.h"

#define END ((const char *)NULL) /* ends put()'s key/value list */

static const char *
iso(const char *in)
{
	static char out[11];

	return dg_date_iso(in, out) == 0 ? out : "-";
}

static void
put(struct dg_catalog *c, char fill, int64_t created, const char *text, ...)
{
	struct dg_record r;
	const char *k, *v;
	va_list ap;

	dg_record_init(&r);
	memset(r.doc_hex, fill, 64);
	r.doc_hex[64] = '\0';
	r.media_type = dg_strdup("text/plain");
	r.created_us = created;
	dg_record_part_set(&r, "original", "text/plain", 3, r.doc_hex, NULL);
	va_start(ap, text);
	while ((k = va_arg(ap, const char *)) && (v = va_arg(ap, const char *)))
		dg_record_meta_add(&r, k, v);
	va_end(ap);
	dg_catalog_begin(c);
	dg_catalog_put(c, r.doc_hex, &r, created, text, text ? strlen(text) : 0);
	dg_catalog_commit(c);
	dg_record_release(&r);
}

struct seen {
	char buf[1024];
	int n;
};

static int
row(void *ctx, const struct dg_dossier_row *r)
{
	struct seen *s = ctx;
	size_t len = strlen(s->buf);

	snprintf(s->buf + len, sizeof(s->buf) - len, "%s%s:%s:%lld:%s", s->n++ ? " " : "", r->account,
	         r->name ? r->name : "-", (long long)r->ndocs, r->last_date ? r->last_date : "-");
	return 0;
}

static int
doc_row(void *ctx, const struct dg_dossier_doc *d)
{
	struct seen *s = ctx;
	size_t len = strlen(s->buf);

	snprintf(s->buf + len, sizeof(s->buf) - len, "%s%c:%s:%s", s->n++ ? " " : "", d->id[0], d->formed,
	         d->doctype ? d->doctype : "-");
	return 0;
}

static int
field_row(void *ctx, const char *key, const char *value, const char *doc)
{
	struct seen *s = ctx;
	size_t len = strlen(s->buf);

	snprintf(s->buf + len, sizeof(s->buf) - len, "%s%s=%s@%c", s->n++ ? " " : "", key, value, doc[0]);
	return 0;
}

static const char *
dossiers(struct dg_catalog *c)
{
	static struct seen s;

	memset(&s, 0, sizeof(s));
	dg_catalog_dossiers(c, NULL, row, &s);
	return s.buf;
}

static const char *
docs(struct dg_catalog *c, const char *acct)
{
	static struct seen s;

	memset(&s, 0, sizeof(s));
	dg_catalog_dossier_docs(c, acct, doc_row, &s);
	return s.buf;
}

static const char *
fields(struct dg_catalog *c, const char *acct)
{
	static struct seen s;

	memset(&s, 0, sizeof(s));
	dg_catalog_dossier_fields(c, acct, field_row, &s);
	return s.buf;
}

static int
count_near(void *ctx, const char *doc, uint64_t hash, int distance)
{
	(void)doc;
	(void)hash;
	(void)distance;
	(*(int *)ctx)++;
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

int
main(void)
{
	char dir[] = "/tmp/dangan-dossier-test.XXXXXX";
	char path[512], cat[512];
	struct dg_catalog *c = NULL;
	struct dg_err err = {0};
	struct dg_scope scope;
	const struct dg_scope_business *sb;
	char formed[11];
	struct dg_record r;
	uint64_t h;
	int n;

	/* ---- formation dates */
	is_str(iso("2024-03-05"), "2024-03-05", "ISO date");
	is_str(iso("2024-03-05T23:10:00+08:00"), "2024-03-05", "ISO date and time");
	is_str(iso("2024/3/5"), "2024-03-05", "2024/3/5");
	is_str(iso("2024.03.05"), "2024-03-05", "2024.03.05");
	is_str(iso("20240305"), "2024-03-05", "20240305");
	is_str(iso("2024年3月5日"), "2024-03-05", "2024年3月5日");
	is_str(iso("2024 年 12 月 31 日"), "2024-12-31", "with spaces");
	is_str(iso("２０２４年３月５日"), "2024-03-05", "full-width digits");
	is_str(iso("二〇二四年三月五日"), "2024-03-05", "Chinese numerals");
	is_str(iso("二〇二三年十二月二十五日"), "2023-12-25", "Chinese numerals with 十");
	is_str(iso("签订于二〇二四年十月三十一日"), "2024-10-31", "a date after other words");
	is_str(iso("Tue, 5 Mar 2024 10:00:00 +0800"), "2024-03-05", "RFC 5322");
	is_str(iso("2024-02-30"), "-", "30 February is refused");
	is_str(iso("2023-02-29"), "-", "29 February of a common year is refused");
	is_str(iso("2024-02-29"), "2024-02-29", "29 February of a leap year");
	is_str(iso("2024-3/5"), "-", "mixed separators are refused");
	is_str(iso("合同容量315千伏安"), "-", "no date");
	is_str(iso("3201456789"), "-", "an account number is not a date");
	dg_record_init(&r);
	dg_record_meta_add(&r, "dc.date", "2023-01-02");
	dg_record_meta_add(&r, "日期", "not a date");
	dg_record_meta_add(&r, "签订日期", "2024年5月6日");
	is_str(dg_dossier_formed(&r, formed), "签订日期", "签订日期 comes first");
	is_str(formed, "2024-05-06", "... normalised");
	dg_record_release(&r);
	dg_record_init(&r);
	dg_record_meta_add(&r, "日期", "n/a");
	dg_record_meta_add(&r, "email.date", "2022-07-08T09:10:11Z");
	is_str(dg_dossier_formed(&r, formed), "email.date", "a key without a date is passed over");
	dg_record_release(&r);

	/* ---- the filing scope */
	ok(mkdtemp(dir) != NULL, "temporary directory");
	snprintf(path, sizeof(path), "%s/b.xml", dir);
	write_file(path,
	           "<?xml version=\"1.0\"?>\n<doctypes xmlns=\"urn:dangan:doctype:1\" catalogue=\"t\">\n"
	           "  <scope business=\"新装\"><require type=\"APP\"/><require type=\"CONTRACT\"/></scope>\n"
	           "  <doctype code=\"APP\" category=\"业扩报装\" retention=\"Y\"><name lang=\"en\">Application</name>"
	           "<name lang=\"zh\">用电申请书</name></doctype>\n"
	           "</doctypes>\n");
	snprintf(path, sizeof(path), "%s/a.xml", dir);
	write_file(path, "<?xml version=\"1.0\"?>\n<doctypes xmlns=\"urn:dangan:doctype:1\" catalogue=\"t\">\n"
	                 "  <scope business=\"新装\"><require type=\"ACCEPT\"/><require type=\"APP\"/></scope>\n"
	                 "  <scope business=\"增容\"><require type=\"APP\"/></scope>\n"
	                 "  <doctype code=\"CONTRACT\"><name lang=\"en\">Contract</name></doctype>\n"
	                 "</doctypes>\n");
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	write_file(path, "not a definition");
	dg_scope_init(&scope);
	ok(dg_scope_load(&scope, dir, NULL, &err) == 0, "scope loaded (%s)", err.msg);
	is_int(scope.nfiles, 2, "two definition files read, the other file ignored");
	is_int(scope.nbiz, 2, "two business types");
	sb = dg_scope_find(&scope, "新装");
	ok(sb && sb->ntypes == 3, "新装 merged from both files: 3 types");
	ok(sb && strcmp(sb->types[0], "ACCEPT") == 0 && strcmp(sb->types[2], "CONTRACT") == 0,
	   "... in the order of the files, each once");
	ok(dg_scope_find(&scope, "销户") == NULL, "no scope for 销户");
	is_str(dg_scope_type_name(&scope, "APP"), "用电申请书", "the zh name is preferred");
	is_str(dg_scope_type_name(&scope, "CONTRACT"), "Contract", "else the first name");
	dg_scope_release(&scope);
	snprintf(path, sizeof(path), "%s/c.xml", dir);
	write_file(path, "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"b\">]>\n<doctypes "
	                 "xmlns=\"urn:dangan:doctype:1\"/>\n");
	dg_scope_init(&scope);
	ok(dg_scope_load(&scope, dir, NULL, &err) < 0 && strstr(err.msg, "DOCTYPE"), "a DOCTYPE is refused: %s",
	   err.msg);
	unlink(path);
	write_file(path, "<doctypes xmlns=\"urn:other\"/>");
	ok(dg_scope_load(&scope, dir, NULL, &err) < 0 && strstr(err.msg, "not a document-type definition"),
	   "another namespace is refused");
	unlink(path);
	write_file(path, "<doctypes xmlns=\"urn:dangan:doctype:1\"><scope><require type=\"A\"/></scope></doctypes>");
	ok(dg_scope_load(&scope, dir, NULL, &err) < 0 && strstr(err.msg, "business"),
	   "a scope without a business is refused");
	unlink(path);
	snprintf(path, sizeof(path), "%s/empty", dir);
	mkdir(path, 0700);
	ok(dg_scope_load(&scope, path, NULL, &err) < 0, "an empty catalogue is refused");
	rmdir(path);
	ok(dg_scope_load(&scope, "/nonexistent/dir", NULL, &err) < 0, "a missing catalogue is refused");

	/* ---- dossiers in the catalog */
	snprintf(cat, sizeof(cat), "%s/catalog.db", dir);
	dg_err_clear(&err);
	ok(dg_catalog_open(&c, cat, &err) == 0, "catalog opened (%s)", err.msg);
	ok(!dg_catalog_stale(c), "a new catalog is current");
	put(c, 'a', 1000000, NULL, "户号", "3201456789", "户名", "宏达五金", "签订日期", "2024-03-05", "doctype",
	    "CONTRACT", END);
	put(c, 'b', 2000000, NULL, "户号", " 3201456789 ", "户名", "宏达五金加工厂", "申请日期", "2024年1月10日",
	    "doctype", "APP", "用电地址", "中山北路218号", END);
	put(c, 'c', 3000000, NULL, "户号", "3201999999", "户名", "利民食品", END);
	put(c, 'd', 4000000, NULL, "source.name", "no-account.txt", END);
	put(c, 'e', 5000000, NULL, "户号", "", END);
	is_str(dossiers(c), "3201456789:宏达五金:2:2024-03-05 3201999999:利民食品:1:1970-01-01",
	       "two dossiers (a blank 户号 files nothing); no date: the day it came");
	is_str(docs(c, "3201456789"), "b:2024-01-10:APP a:2024-03-05:CONTRACT", "documents by formation date");
	is_str(fields(c, "3201456789"), "户名=宏达五金@a 用电地址=中山北路218号@b",
	       "customer fields from the newest document that has each");
	/* a new version of a: same place, its new 户名 */
	put(c, 'a', 9000000, NULL, "户号", "3201456789", "户名", "宏达五金有限公司", "签订日期", "2024-03-05",
	    "doctype", "CONTRACT", END);
	is_str(docs(c, "3201456789"), "b:2024-01-10:APP a:2024-03-05:CONTRACT", "a new version keeps its place");
	is_str(dossiers(c), "3201456789:宏达五金有限公司:2:2024-03-05 3201999999:利民食品:1:1970-01-01",
	       "... and its 户名 is the dossier's");
	/* a later document is appended */
	put(c, 'f', 10000000, NULL, "户号", "3201456789", "日期", "2024-06-01", "doctype", "ACCEPT", END);
	is_str(docs(c, "3201456789"), "b:2024-01-10:APP a:2024-03-05:CONTRACT f:2024-06-01:ACCEPT",
	       "a later document is appended");
	/* c's 户号 corrected: it moves, the empty dossier goes */
	put(c, 'c', 3000000, NULL, "户号", "3201456789", "户名", "利民食品", END);
	is_str(dossiers(c), "3201456789:宏达五金有限公司:4:2024-06-01", "a corrected 户号 moves the document");
	dg_catalog_begin(c);
	dg_catalog_remove(c, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
	dg_catalog_commit(c);
	is_str(docs(c, "3201456789"), "c:1970-01-01:- b:2024-01-10:APP a:2024-03-05:CONTRACT",
	       "a document that left the store leaves its dossier");

	/* ---- fingerprints */
	put(c, '1', 1,
	    "供用电合同 第一条 用电地址、用电性质和用电容量。用电人在上述地址用电，用电类别为一般工商业，"
	    "合同容量315千伏安。第二条 供电方式。",
	    END);
	put(c, '2', 1,
	    "供用电合同\n第一条  用电地址、用电性质和用电容量。\n用电人在上述地址用电，用电类别为一般工商业，"
	    "合同容量315千伏安。\n第二条 供电方式。",
	    END);
	put(c, '3', 1, "short", END);
	ok(dg_catalog_simhash(c, "1111111111111111111111111111111111111111111111111111111111111111", &h) == 1,
	   "a text of 50 characters or more has a fingerprint");
	ok(dg_catalog_simhash(c, "3333333333333333333333333333333333333333333333333333333333333333", &h) == 0,
	   "a short text has none");
	n = 0;
	dg_catalog_simhash(c, "1111111111111111111111111111111111111111111111111111111111111111", &h);
	is_int(
	    dg_catalog_near(c, h, "1111111111111111111111111111111111111111111111111111111111111111", count_near, &n),
	    1, "the other layout is found near");
	n = 0;
	is_int(dg_catalog_near(c, ~h, NULL, count_near, &n), 0, "nothing near the complement");
	dg_catalog_free(c);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
