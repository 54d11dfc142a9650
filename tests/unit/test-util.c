/* test-util.c -- sizes, booleans, UTF-8, bounded buffers, JSON strings,
 * allocation fault injection. */
#include <config.h>

#include <string.h>

#include "tap.h"
#include "util.h"

int
main(void)
{
	int64_t v;
	int b;
	struct dg_buf buf;

	ok(dg_parse_size("4G", &v) == 0 && v == ((int64_t)4 << 30), "4G");
	ok(dg_parse_size("64KiB", &v) == 0 && v == 65536, "64KiB");
	ok(dg_parse_size("12", &v) == 0 && v == 12, "plain bytes");
	ok(dg_parse_size("-1", &v) < 0, "negative size refused");
	ok(dg_parse_size("1Q", &v) < 0, "bad suffix refused");
	ok(dg_parse_size("99999999999T", &v) < 0, "overflow refused");
	ok(dg_parse_i64("12x", &v) < 0, "trailing junk refused");
	ok(dg_parse_bool("Yes", &b) == 0 && b == 1, "Yes is true");
	ok(dg_parse_bool("off", &b) == 0 && b == 0, "off is false");

	ok(dg_utf8_valid("户号 abc", strlen("户号 abc")), "UTF-8 Chinese valid");
	ok(!dg_utf8_valid("\xbb\xa7\xba\xc5", 4), "GBK bytes are not UTF-8");
	ok(!dg_utf8_valid("\xc0\xaf", 2), "overlong encoding refused");
	ok(!dg_utf8_valid("\xed\xa0\x80", 3), "surrogate refused");
	ok(!dg_utf8_valid("\xe6\x88", 2), "truncated sequence refused");

	dg_buf_init(&buf, 16);
	ok(dg_buf_adds(&buf, "0123456789") == 0, "append within limit");
	ok(dg_buf_adds(&buf, "0123456789") < 0, "append past the limit refused");
	ok(buf.len == 10 && strcmp(buf.data, "0123456789") == 0, "buffer unchanged after refusal");
	dg_buf_release(&buf);

	dg_buf_init(&buf, 0);
	dg_buf_json_str(&buf, "a\"b\\c\n\x01户");
	is_str(buf.data, "\"a\\\"b\\\\c\\n\\u0001户\"", "JSON escaping");
	dg_buf_release(&buf);

	{
		char *r1 = dg_str_replace("/o/.e.partial-9/x.eep: in /o/.e.partial-9", "/o/.e.partial-9", "/o/e");
		char *r2 = dg_str_replace("aaa", "a", "bb");
		is_str(r1, "/o/e/x.eep: in /o/e", "dg_str_replace: every occurrence, longer to shorter");
		is_str(r2, "bbbbbb", "dg_str_replace: shorter to longer");
		ok(dg_str_replace("abc", "x", "y") == NULL, "dg_str_replace: NULL when from does not occur");
		ok(dg_str_replace("abc", "", "y") == NULL, "dg_str_replace: NULL for an empty from");
		dg_free(r1);
		dg_free(r2);
	}

	dg_alloc_fail_at(2);
	{
		char *a = dg_strdup("x"), *c = dg_strdup("y"), *d = dg_strdup("z");
		ok(a && !c && d, "the 2nd allocation fails, the others succeed");
		dg_free(a);
		dg_free(d);
	}
	dg_alloc_fail_at(0);
	return done_testing();
}
