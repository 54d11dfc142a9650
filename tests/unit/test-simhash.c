/* test-simhash.c -- the text fingerprint of near-duplicates: known
 * vectors (computed by an independent implementation of the rules in
 * simhash.h), normalisation, distances of a re-scan, of a form of
 * another customer and of an unrelated text, the banding. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "simhash.h"
#include "tap.h"

/* a contract as OCR would give it, 228 characters once normalised */
static const char contract[] =
    "供用电合同\n合同编号：GY-2024-0315\n户号：3201456789\n户名：南京市鼓楼区宏达五金加工厂\n"
    "用电地址：南京市鼓楼区中山北路218号\n供电人：国网南京供电公司\n用电人：南京市鼓楼区宏达五金加工厂\n"
    "第一条 用电地址、用电性质和用电容量。用电人在上述地址用电，用电类别为一般工商业，合同容量315千伏安。\n"
    "第二条 供电方式。供电人以10千伏电压，经由鼓楼变电站10千伏中山线向用电人供电。\n"
    "第三条 计量方式。供电人在用电人受电点安装用电计量装置，以计量装置的记录作为电费结算依据。\n"
    "签订日期：2024年3月5日\n";

static char *
replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t a, fl = strlen(from), tl = strlen(to);
	char *out;

	if (!at)
		return NULL;
	a = (size_t)(at - s);
	out = malloc(strlen(s) - fl + tl + 1);
	memcpy(out, s, a);
	memcpy(out + a, to, tl);
	memcpy(out + a + tl, at + fl, strlen(at + fl) + 1);
	return out;
}

static char *
replace_all(const char *s, const char *from, const char *to)
{
	char *cur = strdup(s), *next;

	while ((next = replace(cur, from, to))) {
		free(cur);
		cur = next;
		if (strstr(to, from))
			break;
	}
	return cur;
}

static uint64_t
fp(const char *s)
{
	uint64_t h = 0;

	return dg_simhash(s, strlen(s), &h) == 0 ? h : 0;
}

int
main(void)
{
	struct dg_buf b;
	uint64_t h, a;
	char *t1, *t2, *t3;
	size_t n;

	/* normalisation */
	dg_buf_init(&b, 0);
	{
		static const char in[] = "户号：３２０１ ABC,\t\n（甲方）\xef\xbc\xa1 二〇二四年 \xe2\x80\x94 □✓end";
		n = dg_simhash_normalise(in, strlen(in), &b);
	}
	is_str(b.data, "户号3201abc甲方a二〇二四年end",
	       "normalised: full-width to ASCII, lowercase, no spaces or punctuation");
	is_int(n, 20, "... 20 characters");
	dg_buf_release(&b);
	dg_buf_init(&b, 0);
	n = dg_simhash_normalise("a\xff\xfe"
	                         "b\xed\xa0\x80"
	                         "c",
	                         9, &b);
	is_str(b.data, "abc", "invalid UTF-8 bytes are skipped");
	dg_buf_release(&b);

	/* known vectors */
	is_int(dg_simhash("short text", 10, &h), 1, "a short text has no fingerprint");
	is_int(h, 0, "... and the out value is 0");
	is_int(dg_simhash(NULL, 0, &h), 1, "no text, no fingerprint");
	ok(dg_simhash(contract, strlen(contract), &a) == 0, "the contract has a fingerprint");
	ok(a == 0x1127374310a00014ull, "known vector: the contract (got %016llx)", (unsigned long long)a);
	t1 = strdup(
	    "关于做好二〇二四年度迎峰度夏有序用电工作的通知。各县公司、各部门：为确保今年夏季用电高峰期间电网安全稳定运"
	    "行，保障居民生活和重要用户用电需求，现就有关事项通知如下。一、提高思想认识，加强组织领导。");
	ok(fp(t1) == 0xa458e509b7bd71daull, "known vector: a notice (got %016llx)", (unsigned long long)fp(t1));
	is_int(dg_simhash_distance(a, fp(t1)), 37, "the contract and the notice are 37 bits apart");
	free(t1);

	/* the same text laid out differently: the same fingerprint */
	t1 = replace_all(contract, "\n", "  \r\n ");
	t2 = replace_all(t1, "，", " , ");
	t3 = replace_all(t2, "：", ":");
	is_int(dg_simhash_distance(fp(t3), a), 0, "other line breaks, spaces and punctuation: distance 0");
	free(t1);
	free(t2);
	free(t3);
	/* full-width digits and letters as OCR sometimes gives them */
	t1 = replace(contract, "GY-2024-0315", "ＧＹ－２０２４－０３１５");
	is_int(dg_simhash_distance(fp(t1), a), 0, "full-width digits and letters: distance 0");
	free(t1);
	/* a re-scan that OCR read slightly differently */
	t1 = replace(contract, "一般工商业", "一般工商亚");
	h = fp(t1);
	is_int(dg_simhash_distance(h, a), 2, "one character read wrong: distance 2");
	ok(dg_simhash_distance(h, a) <= DG_SIMHASH_NEAR, "... a near-duplicate");
	free(t1);
	/* the same form for another customer: not a near-duplicate */
	t1 = replace(contract, "3201456789", "3201456790");
	t2 = replace_all(t1, "南京市鼓楼区宏达五金加工厂", "南京市玄武区利民食品有限公司");
	free(t1);
	t1 = replace(t2, "中山北路218号", "珠江路88号");
	free(t2);
	t2 = replace(t1, "2024年3月5日", "2024年6月1日");
	free(t1);
	t1 = replace(t2, "GY-2024-0315", "GY-2024-0601");
	free(t2);
	is_int(dg_simhash_distance(fp(t1), a), 8, "the same form of another customer: distance 8");
	ok(dg_simhash_distance(fp(t1), a) > DG_SIMHASH_NEAR, "... not a near-duplicate");
	free(t1);

	/* distances and bands */
	is_int(dg_simhash_distance(0, ~0ull), 64, "distance of complements is 64");
	is_int(dg_simhash_distance(0x5ull, 0x3ull), 2, "distance 0b101 / 0b011 is 2");
	is_int(dg_simhash_band(0x1127374310a00014ull, 0), 0x0014, "band 0");
	is_int(dg_simhash_band(0x1127374310a00014ull, 3), 0x1127, "band 3");
	{
		/* any 3 flipped bits leave at least one band whole */
		int i, j, k, all = 1;
		for (i = 0; i < 64 && all; i++)
			for (j = i + 1; j < 64 && all; j++)
				for (k = j + 1; k < 64 && all; k++) {
					uint64_t x = a ^ (1ull << i) ^ (1ull << j) ^ (1ull << k);
					int band, same = 0;
					for (band = 0; band < DG_SIMHASH_BANDS; band++)
						same |= dg_simhash_band(x, band) == dg_simhash_band(a, band);
					all = same;
				}
		ok(all, "every fingerprint 3 bits away shares a band");
	}
	return done_testing();
}
