/* test-util.c -- sizes, booleans, UTF-8, terminal text, bounded buffers, JSON strings,
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

	{
		char out[128], s[400];
		size_t i;

		dg_term_label("a\nb\x1b[31mc\td\x7f", out, sizeof(out));
		is_str(out, "a?b?[31mc?d?", "dg_term_label: C0 controls and DEL become ?");
		dg_term_label("x\xc2\x9b"
		              "1m\xff\xe6\x88y",
		              out, sizeof(out));
		is_str(out, "x?1m???y", "dg_term_label: C1 controls and bytes that are not UTF-8 become ?");
		dg_term_label("户号 é", out, sizeof(out));
		is_str(out, "户号 é", "dg_term_label: printable UTF-8 kept");
		for (s[0] = '\0', i = 0; i < 50; i++)
			strcat(s, "户");
		dg_term_label(s, out, sizeof(out));
		ok(strlen(out) == 126 && dg_utf8_valid(out, strlen(out)),
		   "dg_term_label: 50 wide characters in 128 bytes: cut to 42 whole ones");
		dg_term_label("户号", out, 4);
		is_str(out, "户", "dg_term_label: a character that does not fit whole is left out");
		dg_term_label("ab", out, 1);
		is_str(out, "", "dg_term_label: room for the NUL only");
		dg_term_label("a\xe2\x80\xae"
		              "b\xe2\x81\xa6"
		              "c\xe2\x80\x8f",
		              out, sizeof(out));
		is_str(out, "a?b?c?", "dg_term_label: bidi controls become ?");
		strcpy(s, "户\x1b[2J\xc2\x85号\xff");
		dg_term_label(s, s, strlen(s) + 1);
		is_str(s, "户?[2J?号?", "dg_term_label: in place");
		strcpy(s, "a\tb\r\nc\x1b[0m\xc2\x9b\n");
		is_int((long long)dg_term_lines(s, strlen(s)), 12, "dg_term_lines: the new length");
		is_str(s, "a\tb?\nc?[0m?\n", "dg_term_lines: newlines and tabs kept, other controls ?");

		strcpy(s, "户号ab");
		ok(dg_term_fit(s, 4) == 1 && strcmp(s, "户号") == 0, "dg_term_fit: wide characters count 2");
		strcpy(s, "a户b");
		ok(dg_term_fit(s, 2) == 1 && strcmp(s, "a") == 0, "dg_term_fit: a wide character is not split");
		strcpy(s, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80z");
		ok(dg_term_fit(s, 3) == 1 && strcmp(s, "\xf0\x9f\x98\x80") == 0, "dg_term_fit: emoji count 2");
		strcpy(s, "abc");
		ok(dg_term_fit(s, 3) == 0 && strcmp(s, "abc") == 0, "dg_term_fit: what fits is left whole");
	}

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
