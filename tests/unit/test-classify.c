/* test-classify.c -- the classify plugin's engine-free parts: text
 * normalisation, the value normalisers (every date form), the
 * calibration and pooling, and a definition loaded from memory scoring
 * and extracting from texts (labels, regex alternatives, validators,
 * ambiguity, a value cut at the next label, the compact text). */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../plugins/classify/doctype.h"
#include "../plugins/classify/rules.h"
#include "../plugins/classify/textnorm.h"
#include "tap.h"

#ifndef DG_DATADIR
#define DG_DATADIR "/usr/local/share/dangan"
#endif

static void
norm_is(int (*fn)(const char *, size_t, char *, size_t), const char *in, const char *want, const char *what)
{
	char out[64] = "";
	int rc = fn(in, strlen(in), out, sizeof(out));

	if (want)
		ok(rc == 0 && strcmp(out, want) == 0, "%s: '%s' -> '%s' (got '%s')", what, in, want,
		   rc == 0 ? out : "error");
	else
		ok(rc != 0, "%s: '%s' refused (got '%s')", what, in, rc == 0 ? out : "error");
}

static void
test_normtext(void)
{
	struct dg_normtext t;
	const char in[] = "供　用 电\r\n合同编号：ＧＹ－２０２４\f\t户号 ： ３３０１\xef\xbb\xbf\xff end";
	size_t i;

	ok(dg_normtext_init(&t, in, sizeof(in) - 1) == 0, "normalise");
	is_str(t.lines, "供 用 电\n合同编号:GY-2024\n户号 : 3301\xef\xbf\xbd end",
	       "lines: full-width ASCII, spaces, breaks");
	is_str(t.compact,
	       "供用电合同编号:GY-2024户号:3301\xef\xbf\xbd"
	       "end",
	       "compact: no whitespace at all");
	is_int(t.replaced, 1, "one invalid byte replaced (the BOM dropped, not counted)");
	dg_normtext_release(&t);

	/* the title is the first 300 characters */
	{
		char *big = malloc(350 * 3 + 1);
		for (i = 0; i < 350; i++)
			memcpy(big + i * 3, "合", 3);
		big[350 * 3] = '\0';
		ok(dg_normtext_init(&t, big, 350 * 3) == 0, "normalise 350 characters");
		is_int(t.compact_title, 300 * 3, "compact title: 300 characters");
		is_int(t.lines_title, 300 * 3, "lines title: 300 characters");
		dg_normtext_release(&t);
		free(big);
	}
	ok(dg_normtext_init(&t, "", 0) == 0 && t.lines_len == 0 && t.compact_title == 0, "an empty text");
	dg_normtext_release(&t);
}

static void
test_values(void)
{
	norm_is(dg_norm_date, "2024年3月5日", "2024-03-05", "date");
	norm_is(dg_norm_date, "2024 年 03 月 05 日", "2024-03-05", "date");
	norm_is(dg_norm_date, "2024-03-05", "2024-03-05", "date");
	norm_is(dg_norm_date, "2024/3/5", "2024-03-05", "date");
	norm_is(dg_norm_date, "2024.3.5", "2024-03-05", "date");
	norm_is(dg_norm_date, "二〇二四年三月五日", "2024-03-05", "date");
	norm_is(dg_norm_date, "二零二四年十二月三十一日", "2024-12-31", "date");
	norm_is(dg_norm_date, "二○二三年十月十日", "2023-10-10", "date");
	norm_is(dg_norm_date, "二O二三年二月廿八日", "2023-02-28", "date");
	norm_is(dg_norm_date, "二O〇二四年三月五日", "2024-03-05", "date (OCR: one 〇 read as O〇)");
	norm_is(dg_norm_date, "二@〇二四年三月五日", "2024-03-05", "date (OCR: one 〇 read as @〇)");
	norm_is(dg_norm_date, "二〇〇九年一月五日", "2009-01-05", "date (two 〇 are two zeros)");
	norm_is(dg_norm_date, "二@二四年三月五日", NULL, "date (an @ not before a 〇)");
	norm_is(dg_norm_date, "2024年2月29日", "2024-02-29", "date (leap year)");
	norm_is(dg_norm_date, "2023年2月29日", NULL, "date (not a leap year)");
	norm_is(dg_norm_date, "2024年13月1日", NULL, "date");
	norm_is(dg_norm_date, "2024年4月31日", NULL, "date");
	norm_is(dg_norm_date, "1850年1月1日", NULL, "date (year out of range)");
	norm_is(dg_norm_date, "24年3月5日", NULL, "date (two-digit year)");
	norm_is(dg_norm_date, "二〇二四年三十二月五日", NULL, "date");
	norm_is(dg_norm_date, "2024年3月", NULL, "date (no day)");

	norm_is(dg_norm_date, "5 March 2024", "2024-03-05", "date");
	norm_is(dg_norm_date, "Mar 5th, 2024", "2024-03-05", "date");
	norm_is(dg_norm_date, "25DEC2018", "2018-12-25", "date (compact text)");
	norm_is(dg_norm_date, "2018 Dec 25", "2018-12-25", "date");
	norm_is(dg_norm_date, "05/03/2024", NULL, "date (year last, month a number: ambiguous by default)");
	norm_is(dg_norm_date, "Smarch 5 2024", NULL, "date (not a month)");
	{
		char out[32];
		ok(dg_norm_date_order("05/03/2024", 10, DG_DATE_DMY, out, sizeof(out)) == 0 &&
		       strcmp(out, "2024-03-05") == 0,
		   "date-order dmy: 05/03/2024 -> 2024-03-05");
		ok(dg_norm_date_order("05/03/2024", 10, DG_DATE_MDY, out, sizeof(out)) == 0 &&
		       strcmp(out, "2024-05-03") == 0,
		   "date-order mdy: 05/03/2024 -> 2024-05-03");
		ok(dg_norm_date_order("25-12-2018", 10, DG_DATE_MDY, out, sizeof(out)) != 0,
		   "date-order mdy: 25-12-2018 refused");
	}

	norm_is(dg_norm_amount, "¥1,234.50", "1234.50", "amount");
	norm_is(dg_norm_amount, "1234.5元", "1234.50", "amount");
	norm_is(dg_norm_amount, "RMB 88", "88.00", "amount");
	norm_is(dg_norm_amount, "人民币¥ 12,345.6", "12345.60", "amount");
	norm_is(dg_norm_amount, "1.5万元", "15000.00", "amount");
	norm_is(dg_norm_amount, "12.34万", "123400.00", "amount");
	norm_is(dg_norm_amount, "1.234", NULL, "amount (three decimals)");
	norm_is(dg_norm_amount, "abc", NULL, "amount");

	norm_is(dg_norm_kva, "315kVA", "315", "kva");
	norm_is(dg_norm_kva, "315 千伏安", "315", "kva");
	norm_is(dg_norm_kva, "1,250 KVA", "1250", "kva");
	norm_is(dg_norm_kva, "1.25MVA", "1250", "kva");
	norm_is(dg_norm_kva, "2.5 兆伏安", "2500", "kva");
	norm_is(dg_norm_kva, "80.50", "80.5", "kva");
	norm_is(dg_norm_kva, "315kW", NULL, "kva (kW is not kVA)");

	norm_is(dg_norm_number, "-1,234.500", "-1234.5", "number");
	norm_is(dg_norm_number, "007", "7", "number");
	norm_is(dg_norm_number, "-0", "0", "number");
	norm_is(dg_norm_number, "1e5", NULL, "number");

	norm_is(dg_norm_text, "  华东  机械 ", "华东 机械", "text");

	{
		double d = 0;
		char p[8];
		ok(dg_parse_decimal("0.6", &d) == 0 && fabs(d - 0.6) < 1e-12, "decimal 0.6");
		ok(dg_parse_decimal("-12", &d) == 0 && d == -12, "decimal -12");
		ok(dg_parse_decimal("1,5", &d) != 0 && dg_parse_decimal("", &d) != 0 && dg_parse_decimal(".", &d) != 0,
		   "not decimals: '1,5', '', '.'");
		dg_format_prob(0.915, p, sizeof(p));
		is_str(p, "0.92", "probability with two decimals");
		dg_format_prob(1.2, p, sizeof(p));
		is_str(p, "1.00", "probability capped at 1");
	}
}

static void
test_calibration(void)
{
	double s[3] = {0, 0, 0}, p[4], other[4] = {0.03, 0.01, 0.95, 0.01};

	dg_rules_calibrate(s, 3, 4, 2, p);
	ok(fabs(p[3] - 1 / (1 + 3 * exp(-2.0))) < 1e-9, "nothing matched: P(OTHER) = 1 / (1 + N exp(-m/T)) = %.3f",
	   p[3]);
	s[0] = 14;
	dg_rules_calibrate(s, 3, 4, 2, p);
	ok(p[0] > 0.99 && fabs(p[0] + p[1] + p[2] + p[3] - 1) < 1e-9, "a strong type: %.4f, sums to 1", p[0]);
	s[0] = 0;
	s[2] = 4;
	dg_rules_calibrate(s, 3, 4, 2, p);
	ok(fabs(p[2] - p[3]) < 1e-12, "a type scoring the floor ties with OTHER");
	dg_rules_combine(p, other, 3, 0.5, 0.5);
	ok(p[2] > 0.8 && p[2] < 0.86 && fabs(p[0] + p[1] + p[2] + p[3] - 1) < 1e-9,
	   "pooled with a confident second opinion: %.3f", p[2]);
}

static const char def[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<doctypes xmlns=\"urn:dangan:doctype:1\" catalogue=\"unit\">\n"
    "  <scope business=\"新装\"><require type=\"CONTRACT\"/></scope>\n"
    "  <doctype code=\"CONTRACT\" category=\"业扩报装\" retention=\"Y\">\n"
    "    <name lang=\"en\">Contract</name><name lang=\"zh\">供用电合同</name>\n"
    "    <cues>\n"
    "      <title weight=\"6\">供\\s*用\\s*电\\s*合\\s*同</title>\n"
    "      <keyword weight=\"2\">供 电 人</keyword>\n"
    "      <keyword weight=\"1\" ignore-case=\"true\">contract</keyword>\n"
    "      <regex weight=\"3\">合同编号\\s*[:：]</regex>\n"
    "      <negative weight=\"5\">通知单</negative>\n"
    "    </cues>\n"
    "    <field name=\"户号\" required=\"true\">\n"
    "      <label>户\\s*号</label><value>\\d{10}</value>\n"
    "      <regex>客户编号\\s*[:：]?\\s*(?&lt;value&gt;\\d{10})</regex>\n"
    "      <validate pattern=\"^33\\d{8}$\"/>\n"
    "    </field>\n"
    "    <field name=\"户名\"><label>(用电人|户\\s*名)\\s*[:：]</label><value>[\\p{Han}]{2,40}</value></field>\n"
    "    <field name=\"签订日期\" type=\"date\" on-ambiguity=\"first\"><label>签订日期</label>"
    "<validate min=\"2000-01-01\"/></field>\n"
    "    <field name=\"容量\" type=\"kva\"><label>合同容量</label><validate max=\"1000\"/></field>\n"
    "    <field name=\"金额\" type=\"amount\"><label>金额</label></field>\n"
    "    <field name=\"date\" type=\"date\" date-order=\"dmy\"><label ignore-case=\"true\">date</label></field>\n"
    "  </doctype>\n"
    "  <doctype code=\"NOTICE\"><name lang=\"zh\">通知单</name>\n"
    "    <cues><title weight=\"6\">通知单</title></cues></doctype>\n"
    "</doctypes>\n";

struct run {
	struct dg_catalogue *c;
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

/* Extract field NAME of CONTRACT from text into r. */
static void
extract(struct run *R, const char *text, const char *name, struct dg_field_result *r)
{
	const struct dg_doctype *t = dg_catalogue_find(R->c, "CONTRACT");
	struct dg_normtext x;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (dg_normtext_init(&x, text, strlen(text)) != 0)
		return;
	for (i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			dg_rules_extract(t, &t->fields[i], &x, R->md, R->mc, r);
	dg_normtext_release(&x);
}

static double
score(struct run *R, const char *code, const char *text)
{
	struct dg_normtext x;
	double s;
	int limited = 0;

	if (dg_normtext_init(&x, text, strlen(text)) != 0)
		return -1000;
	s = dg_rules_score(dg_catalogue_find(R->c, code), &x, R->md, R->mc, NULL, &limited);
	dg_normtext_release(&x);
	return s;
}

static void
test_rules(void)
{
	const char *dir = getenv("DANGAN_DATADIR");
	struct dg_doctype_schema *schema;
	struct dg_field_result r;
	struct run R = {0};
	const struct dg_doctype *t;
	char rng[1024], err[4096];

	snprintf(rng, sizeof(rng), "%s/doctype.rng", dir && *dir ? dir : DG_DATADIR);
	schema = dg_doctype_schema_load(rng, err, sizeof(err));
	if (!ok(schema != NULL, "schema loads (%s)", schema ? rng : err))
		return;
	R.c = dg_catalogue_new(1);
	ok(dg_catalogue_add_memory(R.c, def, sizeof(def) - 1, "unit.xml", schema, err, sizeof(err)) == 0 &&
	       dg_catalogue_finish(R.c, err, sizeof(err)) == 0,
	   "definition loads (%s)", err);
	R.md = dg_rules_match_data(R.c);
	R.mc = dg_rules_match_context();
	t = dg_catalogue_find(R.c, "CONTRACT");
	if (!ok(t && R.md && R.mc, "CONTRACT defined"))
		goto out;
	is_str(t->name, "供用电合同", "the zh name wins over a first en name");
	is_str(R.c->name, "unit", "catalogue name");
	ok(R.c->nscopes == 1 && R.c->scopes[0].ntypes == 1, "one scope");

	ok(score(&R, "CONTRACT", "供 用 电 合 同\n供电人：甲 CONTRACT 合同编号：1") == 12, "every cue once: 6+2+1+3");
	ok(score(&R, "CONTRACT", "供用电合同 供电人 供电人 供电人") == 8, "a cue counts once however often");
	ok(score(&R, "CONTRACT", "停电通知单\n关于供用电合同") == 1, "a negative cue subtracts: 6 - 5");
	{
		char text[1200];
		memset(text, 'x', 1000);
		strcpy(text + 1000, "供用电合同");
		ok(score(&R, "CONTRACT", text) == 0, "a title after 300 characters does not count");
	}

	extract(&R, "户号：3301234567", "户号", &r);
	ok(r.n == 1 && strcmp(r.vals[0], "3301234567") == 0, "label proximity");
	extract(&R, "户 号 (10位)：3301234567\n", "户号", &r);
	ok(r.n == 1 && strcmp(r.vals[0], "3301234567") == 0, "an aside in brackets between label and value");
	extract(&R, "客户编号3301234567", "户号", &r);
	ok(r.n == 1 && strcmp(r.vals[0], "3301234567") == 0, "a regex alternative with its value group");
	extract(&R, "户号：33012345678", "户号", &r);
	ok(r.n == 0 && r.ninvalid == 0, "not the first 10 digits of 11");
	extract(&R, "户号：33012\n34567 其他", "户号", &r);
	ok(r.n == 1 && strcmp(r.vals[0], "3301234567") == 0, "a value split over two lines: the compact text");
	extract(&R, "户号：3301234567\n2024年", "户号", &r);
	ok(r.n == 1, "a value followed by digits on the next line: one value, not two");
	extract(&R, "户号：3301234567 ... 户号：3301234568", "户号", &r);
	ok(r.n == 2, "two different values: both reported (the caller writes none)");
	extract(&R, "户号：3301234567 ... 户号：3301234567", "户号", &r);
	ok(r.n == 1, "the same value twice is one");
	extract(&R, "户号：4401234567", "户号", &r);
	ok(r.n == 0 && r.ninvalid == 1 && strstr(r.problem, "户号: '4401234567' does not match ^33"),
	   "a validator failure: %s", r.problem);
	extract(&R, "用电人：滨\n江市光明纺织有限公司户号：3306667788", "户名", &r);
	ok(r.n == 1 && strcmp(r.vals[0], "滨江市光明纺织有限公司") == 0, "a name cut before the next label (%s)",
	   r.n ? r.vals[0] : "none");
	extract(&R, "签订日期：2024年3月5日 签订日期：二〇二四年三月六日", "签订日期", &r);
	ok(r.n == 2 && strcmp(r.vals[0], "2024-03-05") == 0, "dates in reading order, the first first");
	extract(&R, "签订日期：二O〇二四年三月六日", "签订日期", &r);
	ok(r.n == 1 && strcmp(r.vals[0], "2024-03-06") == 0, "a date whose 〇 OCR read as O〇 (%s)",
	   r.n ? r.vals[0] : "none");
	extract(&R, "签订日期：二\nO〇二一年一月三\n十日", "签订日期", &r);
	ok(r.n == 1 && strcmp(r.vals[0], "2021-01-30") == 0, "a Chinese-numeral date broken over lines (%s)",
	   r.n ? r.vals[0] : "none");
	extract(&R, "签订日期：1999年3月5日", "签订日期", &r);
	ok(r.n == 0 && strstr(r.problem, "1999-03-05 is before 2000-01-01"), "a date before its minimum");
	extract(&R, "合同容量：1.25MVA", "容量", &r);
	ok(r.n == 0 && strstr(r.problem, "1250 is above the maximum 1000"), "kVA above its maximum");
	extract(&R, "DATE: 25/12/2018 TIME: 10:00", "date", &r);
	ok(r.n == 1 && strcmp(r.vals[0], "2018-12-25") == 0, "a date-order dmy field (%s)", r.n ? r.vals[0] : "none");
	extract(&R, "Date 5 Mar 2024", "date", &r);
	ok(r.n == 1 && strcmp(r.vals[0], "2024-03-05") == 0, "an English month name (%s)", r.n ? r.vals[0] : "none");
	extract(&R, "金额：人民币（小写）¥1,234.50元", "金额", &r);
	ok(r.n == 1 && strcmp(r.vals[0], "1234.50") == 0, "an amount after an aside (%s)", r.n ? r.vals[0] : "none");

out:
	pcre2_match_data_free(R.md);
	pcre2_match_context_free(R.mc);
	dg_catalogue_free(R.c);
	dg_doctype_schema_free(schema);
}

/* Loading errors name the line. */
static void
test_errors(void)
{
	const char *dir = getenv("DANGAN_DATADIR");
	struct dg_doctype_schema *schema;
	struct dg_catalogue *c;
	char rng[1024], err[4096];
	static const struct {
		const char *xml, *want;
	} cases[] = {
	    {"<doctypes xmlns=\"urn:dangan:doctype:1\">\n<doctype code=\"A\"><name lang=\"zh\">a</name>\n"
	     "<cues><title>(</title></cues></doctype></doctypes>",
	     "e.xml:3: title '(' is not a valid regular expression"},
	    {"<doctypes xmlns=\"urn:dangan:doctype:1\">\n<doctype code=\"OTHER\"><name lang=\"zh\">a</name></doctype>"
	     "</doctypes>",
	     "e.xml:2: the code OTHER is reserved"},
	    {"<doctypes xmlns=\"urn:dangan:doctype:1\">\n<doctype code=\"A\"><name lang=\"zh\">a</name>\n"
	     "<field name=\"x\"><label>x</label></field></doctype></doctypes>",
	     "e.xml:3: field x (type text) has labels but no <value> pattern"},
	    {"<doctypes xmlns=\"urn:dangan:doctype:1\">\n<doctype code=\"A\"><name lang=\"zh\">a</name>\n"
	     "<field name=\"doctype.name\" type=\"date\"><label>x</label></field></doctype></doctypes>",
	     "e.xml:3: field name 'doctype.name' is reserved"},
	    {"<doctypes xmlns=\"urn:dangan:doctype:1\">\n<doctype code=\"A\"><name lang=\"zh\">a</name>\n"
	     "<field name=\"d\" type=\"date\"><label>x</label><validate min=\"5\"/></field></doctype></doctypes>",
	     "e.xml:3: field d: bound '5' is not a date"},
	    {"<doctypes xmlns=\"urn:dangan:doctype:1\">\n<scope business=\"新装\"><require type=\"NOPE\"/></scope>"
	     "</doctypes>",
	     "e.xml:2: scope '新装' requires type NOPE"},
	    {"<doctypes xmlns=\"urn:dangan:doctype:1\">\n<doctype code=\"A\">\n<name lang=\"zh\">a</name>\n"
	     "<cues><keyword weight=\"0\">x</keyword></cues></doctype></doctypes>",
	     "e.xml:4: "},
	    {"<doctypes xmlns=\"urn:dangan:doctype:1\">\n<doctype code=\"A\"><name lang=\"zh\">a", "e.xml:2: "},
	    {"<doctypes xmlns=\"urn:dangan:doctype:1\">\n<doctype code=\"A\"><name lang=\"zh\">a</name>\n"
	     "<cues><keyword>\xe3\x80\x80 </keyword></cues></doctype></doctypes>",
	     "e.xml:3: type A: the keyword cue is empty"},
	    {"<doctypes xmlns=\"urn:dangan:doctype:1\">\n<doctype code=\"A\"><name lang=\"zh\">a</name>\n"
	     "<field name=\"n\" type=\"number\" date-order=\"dmy\"><label>n</label></field></doctype></doctypes>",
	     "e.xml:3: field n: date-order applies to date fields"},
	};
	size_t i;

	snprintf(rng, sizeof(rng), "%s/doctype.rng", dir && *dir ? dir : DG_DATADIR);
	schema = dg_doctype_schema_load(rng, err, sizeof(err));
	if (!schema)
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = dg_catalogue_new(0);
		err[0] = '\0';
		ok(c &&
		       (dg_catalogue_add_memory(c, cases[i].xml, strlen(cases[i].xml), "e.xml", schema, err,
		                                sizeof(err)) != 0 ||
		        dg_catalogue_finish(c, err, sizeof(err)) != 0) &&
		       strstr(err, cases[i].want) != NULL,
		   "refused: %s (got: %s)", cases[i].want, err);
		dg_catalogue_free(c);
	}
	dg_doctype_schema_free(schema);
}

int
main(void)
{
	test_normtext();
	test_values();
	test_calibration();
	test_rules();
	test_errors();
	return done_testing();
}
