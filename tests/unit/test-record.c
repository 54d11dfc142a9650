/* test-record.c -- manifests: round trip, scratch keys dropped, hostile
 * XML refused, and no crash or leak when any allocation fails. */
#include <config.h>

#include <string.h>

#include "record.h"
#include "tap.h"
#include "xmlsafe.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HEX_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static int
build(struct dg_record *r)
{
	struct dg_event ev = {0};

	memcpy(r->doc_hex, HEX_A, 65);
	memcpy(r->parent_hex, HEX_C, 65);
	r->media_type = dg_strdup("text/plain");
	if (!r->media_type)
		return -1;
	r->created_us = 1700000000000000LL;
	ev.type = "stage";
	ev.stage = "text";
	ev.plugin = "text";
	ev.outcome = "ok";
	ev.message = "charset GB18030 <&> \"quoted\"";
	ev.at_us = 1700000000123456LL;
	ev.duration_us = 42;
	if (dg_record_part_set(r, "original", "text/plain", 12, HEX_A, NULL) < 0 ||
	    dg_record_part_set(r, "text", "text/plain; charset=utf-8", 10, HEX_B, NULL) < 0 ||
	    dg_record_meta_add(r, "户号", "3301234567") < 0 ||
	    dg_record_meta_add(r, "source.path", "/a/b & c.txt") < 0 ||
	    dg_record_meta_add(r, "source.path", "/second/path") < 0 || dg_record_meta_add(r, "@scratch", "x") < 0 ||
	    dg_record_meta_add(r, "archive.path", "evil\001name\x1b[31m\xef\xbf\xbe.txt") < 0 ||
	    dg_record_rel_add(r, "contained-in", HEX_C, "dir/a.txt") < 0 ||
	    dg_record_rel_add(r, "contains", HEX_B, "bad\002label") < 0 || dg_record_event_add(r, &ev) < 0)
		return -1;
	return 0;
}

int
main(void)
{
	struct dg_record r, back;
	struct dg_buf b;
	struct dg_err err = {0};
	unsigned long n, total;
	int crashes = 0;

	dg_xml_init();
	dg_record_init(&r);
	dg_record_init(&back);
	dg_buf_init(&b, 0);
	ok(build(&r) == 0, "record built");
	ok(dg_manifest_write(&r, &b) == 0, "manifest written");
	ok(strstr(b.data, "@scratch") == NULL, "scratch keys are not stored");
	ok(dg_manifest_parse(b.data, b.len, &back, &err) == 0, "manifest parses back (%s)", err.msg);
	is_str(back.doc_hex, HEX_A, "document id");
	is_str(back.parent_hex, HEX_C, "parent manifest");
	is_str(dg_record_meta(&back, "户号"), "3301234567", "Chinese key and value");
	is_int(dg_record_meta_count(&back, "source.path"), 2, "repeated values kept");
	is_str(dg_record_meta_n(&back, "source.path", 0), "/a/b & c.txt", "escaped value");
	is_int(back.nparts, 2, "parts");
	is_int(dg_record_part(&back, "text")->size, 10, "part size");
	is_str(back.events[0].message, "charset GB18030 <&> \"quoted\"", "event message");
	is_int(back.events[0].at_us, 1700000000123456LL, "event time to the microsecond");
	is_str(back.rels[0].label, "dir/a.txt", "relation label");
	is_str(dg_record_meta(&back, "archive.path"), "evil\001name\x1b[31m\xef\xbf\xbe.txt",
	       "a value with characters XML cannot carry comes back exactly");
	ok(strstr(b.data, "encoding=\"base64\"") != NULL, "... written as base64");
	is_str(back.rels[1].label, "bad\xef\xbf\xbdlabel", "a label with a control character parses (replaced)");
	dg_record_release(&back);

	{
		const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		                  "<manifest xmlns=\"urn:dangan:manifest:1\"><document>&x;</document></manifest>";
		dg_record_init(&back);
		ok(dg_manifest_parse(xxe, strlen(xxe), &back, &err) < 0 && strstr(err.msg, "DOCTYPE"),
		   "a manifest with a DOCTYPE is refused: %s", err.msg);
		dg_record_release(&back);
	}

	/* fail every allocation in turn: each must fail cleanly */
	dg_alloc_fail_at(0);
	dg_buf_release(&b);
	dg_buf_init(&b, 0);
	dg_manifest_write(&r, &b);
	total = 0;
	for (n = 1; n < 400; n++) {
		struct dg_record t;
		struct dg_buf tb;
		dg_record_init(&t);
		dg_buf_init(&tb, 0);
		dg_alloc_fail_at(n);
		if (build(&t) == 0 && dg_manifest_write(&t, &tb) == 0) {
			struct dg_record p;
			dg_record_init(&p);
			if (dg_manifest_parse(tb.data, tb.len, &p, &err) == 0 && strcmp(p.doc_hex, HEX_A) != 0)
				crashes++;
			dg_record_release(&p);
		}
		total = dg_alloc_fail_at(0);
		dg_record_release(&t);
		dg_buf_release(&tb);
		if (total < n)
			break; /* fewer allocations than n: every one has been failed once */
	}
	ok(n > 10 && crashes == 0, "allocation failure at each of %lu points handled", n - 1);
	dg_alloc_fail_at(0);
	dg_record_release(&r);
	dg_buf_release(&b);
	return done_testing();
}
