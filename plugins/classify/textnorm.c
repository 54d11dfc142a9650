/* textnorm.c -- see textnorm.h. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textnorm.h"

size_t
dg_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0) {
		*cp = 0xfffd;
		return 1;
	}
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	if (n < len) {
		*cp = 0xfffd;
		return 1;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff)) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = c;
	return len;
}

size_t
dg_utf8_encode(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

uint32_t
dg_norm_codepoint(uint32_t cp)
{
	if (cp >= 0xff01 && cp <= 0xff5e) /* full-width ASCII */
		return cp - 0xfee0;
	switch (cp) {
	case '\n':
	case '\r':
	case '\f':
	case '\v':
	case 0x85:   /* next line */
	case 0x2028: /* line separator */
	case 0x2029: /* paragraph separator */ return '\n';
	case '\t':
	case 0xa0:   /* no-break space */
	case 0x1680: /* ogham space mark */
	case 0x202f: /* narrow no-break space */
	case 0x205f: /* medium mathematical space */
	case 0x3000: /* ideographic space */ return ' ';
	case 0x200b: /* zero width space */
	case 0x200c:
	case 0x200d:
	case 0x2060: /* word joiner */
	case 0xfeff: /* byte order mark */
	case 0xad: /* soft hyphen */ return 0;
	case 0xffe5: /* full-width yen */ return 0xa5;
	case 0xffe0: /* full-width cent */ return 0xa2;
	case 0xffe1: /* full-width pound */ return 0xa3;
	}
	if (cp >= 0x2000 && cp <= 0x200a) /* en quad .. hair space */
		return ' ';
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		return 0;
	return cp;
}

struct nbuf {
	char *p;
	size_t len, cap;
};

static int
nbuf_reserve(struct nbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->len + more + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1) {
		if (cap > ((size_t)-1) / 2)
			return -1;
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p)
		return -1;
	/* PCRE2's JIT may read a few bytes past the subject (never past the
	 * allocation): let them be defined */
	memset(p + b->cap, 0, cap - b->cap);
	b->p = p;
	b->cap = cap;
	return 0;
}

int
dg_normtext_init(struct dg_normtext *out, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	struct nbuf lines = {0}, compact = {0};
	size_t i = 0, k, lchars = 0, cchars = 0;
	int pending_space = 0, line_start = 1;
	uint32_t cp, m;
	char enc[4];

	memset(out, 0, sizeof(*out));
	/* the normalised text is rarely longer than the input; grow when it is */
	if (nbuf_reserve(&lines, len + 16) < 0 || nbuf_reserve(&compact, len + 16) < 0)
		goto fail;
	while (i < len) {
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
			i++;
			continue; /* CR LF: the LF makes the break */
		}
		k = dg_utf8_decode(s + i, len - i, &cp);
		if (cp == 0xfffd && !(k == 3 && s[i] == 0xef))
			out->replaced++;
		i += k;
		m = dg_norm_codepoint(cp);
		if (m == 0)
			continue;
		if (m == ' ') {
			if (!line_start)
				pending_space = 1;
			continue;
		}
		if (m == '\n') {
			pending_space = 0;
			line_start = 1;
			if (nbuf_reserve(&lines, 1) < 0)
				goto fail;
			lines.p[lines.len++] = '\n';
			if (lchars < DG_TITLE_CHARS && ++lchars == DG_TITLE_CHARS)
				out->lines_title = lines.len;
			continue;
		}
		k = dg_utf8_encode(m, enc);
		if (nbuf_reserve(&lines, k + 1) < 0 || nbuf_reserve(&compact, k) < 0)
			goto fail;
		if (pending_space) {
			lines.p[lines.len++] = ' ';
			if (lchars < DG_TITLE_CHARS && ++lchars == DG_TITLE_CHARS)
				out->lines_title = lines.len;
			pending_space = 0;
		}
		line_start = 0;
		memcpy(lines.p + lines.len, enc, k);
		lines.len += k;
		if (lchars < DG_TITLE_CHARS && ++lchars == DG_TITLE_CHARS)
			out->lines_title = lines.len;
		memcpy(compact.p + compact.len, enc, k);
		compact.len += k;
		if (cchars < DG_TITLE_CHARS && ++cchars == DG_TITLE_CHARS)
			out->compact_title = compact.len;
	}
	lines.p[lines.len] = '\0';
	compact.p[compact.len] = '\0';
	out->lines = lines.p;
	out->lines_len = lines.len;
	if (lchars < DG_TITLE_CHARS)
		out->lines_title = lines.len;
	out->compact = compact.p;
	out->compact_len = compact.len;
	if (cchars < DG_TITLE_CHARS)
		out->compact_title = compact.len;
	return 0;
fail:
	free(lines.p);
	free(compact.p);
	memset(out, 0, sizeof(*out));
	return -1;
}

void
dg_normtext_release(struct dg_normtext *t)
{
	if (!t)
		return;
	free(t->lines);
	free(t->compact);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------ */
/* Value normalisers                                                    */

/* The value of a Chinese or ASCII digit, -1 otherwise. */
static int
cn_digit(uint32_t cp)
{
	static const uint32_t digits[] = {0x3007 /* 〇 */, 0x4e00 /* 一 */, 0x4e8c /* 二 */, 0x4e09 /* 三 */,
	                                  0x56db /* 四 */, 0x4e94 /* 五 */, 0x516d /* 六 */, 0x4e03 /* 七 */,
	                                  0x516b /* 八 */, 0x4e5d /* 九 */};
	int i;

	if (cp >= '0' && cp <= '9')
		return (int)(cp - '0');
	if (cp == 0x96f6 /* 零 */ || cp == 0x25cb /* ○ */ || cp == 'O' || cp == 'o' || cp == 0x039f /* Greek O */)
		return 0;
	for (i = 0; i < 10; i++)
		if (digits[i] == cp)
			return i;
	return -1;
}

#define CN_TEN 0x5341    /* 十 */
#define CN_TWENTY 0x5eff /* 廿 */
#define CN_THIRTY 0x5345 /* 卅 */

/* A month or day: ASCII digits, or a Chinese numeral (五, 十, 十二,
 * 二十五, 三十一, 廿五).  cps: the code points of the component. */
static int
small_number(const uint32_t *cps, size_t n)
{
	size_t i, ten = n;
	int v = 0, d, left, right;

	if (n == 0 || n > 4)
		return -1;
	for (i = 0; i < n; i++)
		if (cps[i] == CN_TEN || cps[i] == CN_TWENTY || cps[i] == CN_THIRTY) {
			if (ten != n)
				return -1;
			ten = i;
		}
	if (ten == n) {
		for (i = 0; i < n; i++) {
			if ((d = cn_digit(cps[i])) < 0)
				return -1;
			v = v * 10 + d;
		}
		return v;
	}
	if (ten > 1 || n - ten > 2)
		return -1;
	if (cps[ten] == CN_TEN) {
		left = 1;
		if (ten == 1 && (left = cn_digit(cps[0])) < 1)
			return -1;
	} else {
		if (ten != 0)
			return -1;
		left = cps[ten] == CN_TWENTY ? 2 : 3;
	}
	right = 0;
	if (n - ten == 2 && (right = cn_digit(cps[ten + 1])) < 0)
		return -1;
	return left * 10 + right;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
valid_date(int y, int m, int d, char *out, size_t cap)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
		return -1;
	if (d > mdays[m - 1] + (m == 2 && leap(y)))
		return -1;
	if (snprintf(out, cap, "%04d-%02d-%02d", y, m, d) >= (int)cap)
		return -1;
	return 0;
}

/* An English month name or its abbreviation (3 letters at least), 0
 * when it is not one. */
static int
month_name(const char *s, size_t n)
{
	static const char *const names[] = {"january", "february", "march",     "april",   "may",      "june",
	                                    "july",    "august",   "september", "october", "november", "december"};
	char low[16];
	size_t i;
	int m;

	if (n < 3 || n >= sizeof(low))
		return 0;
	for (i = 0; i < n; i++)
		low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	low[n] = '\0';
	if (strcmp(low, "sept") == 0)
		return 9;
	for (m = 0; m < 12; m++)
		if (strncmp(names[m], low, n) == 0)
			return m + 1;
	return 0;
}

/* Dates of ASCII words: "5 March 2024", "Mar 5th, 2024", "05/03/2024"
 * (in the order given). */
static int
latin_date(const char *s, size_t n, enum dg_date_order order, char *out, size_t cap)
{
	int nums[3], ndig[3], nn = 0, month = 0, y, m, d;
	size_t i = 0, j;

	while (i < n) {
		if (s[i] >= '0' && s[i] <= '9') {
			int v = 0, k = 0;
			for (j = i; j < n && s[j] >= '0' && s[j] <= '9'; j++, k++)
				if (k < 6)
					v = v * 10 + (s[j] - '0');
			if (nn >= 3 || k > 4)
				return -1;
			nums[nn] = v;
			ndig[nn++] = k;
			/* 5th, 1st, 2nd, 3rd */
			if (j + 1 < n &&
			    ((s[j] | 0x20) == 's' || (s[j] | 0x20) == 'n' || (s[j] | 0x20) == 'r' ||
			     (s[j] | 0x20) == 't') &&
			    ((s[j + 1] | 0x20) == 't' || (s[j + 1] | 0x20) == 'd' || (s[j + 1] | 0x20) == 'h'))
				j += 2;
			i = j;
		} else if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')) {
			for (j = i; j < n && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')); j++)
				;
			if (month || !(month = month_name(s + i, j - i)))
				return -1;
			i = j;
		} else if (s[i] == ' ' || s[i] == ',' || s[i] == '.' || s[i] == '-' || s[i] == '/' || s[i] == '\n') {
			i++;
		} else {
			return -1;
		}
	}
	if (month) {
		if (nn != 2)
			return -1;
		if (ndig[0] == 4 && ndig[1] <= 2) {
			y = nums[0];
			d = nums[1];
		} else if (ndig[1] == 4 && ndig[0] <= 2) {
			y = nums[1];
			d = nums[0];
		} else {
			return -1;
		}
		return valid_date(y, month, d, out, cap);
	}
	if (nn != 3 || ndig[2] != 4 || ndig[0] > 2 || ndig[1] > 2 || order == DG_DATE_YMD)
		return -1;
	y = nums[2];
	m = order == DG_DATE_DMY ? nums[1] : nums[0];
	d = order == DG_DATE_DMY ? nums[0] : nums[1];
	return valid_date(y, m, d, out, cap);
}

int
dg_norm_date(const char *s, size_t n, char *out, size_t cap)
{
	return dg_norm_date_order(s, n, DG_DATE_YMD, out, cap);
}

/* A glyph OCR puts beside a 〇 when it reads the one character as two. */
static int
ocr_zero_mate(uint32_t cp)
{
	return cp == 'O' || cp == 'o' || cp == 0x25cb /* ○ */ || cp == 0x039f /* Greek O */;
}

static int
year_first_date(const char *s, size_t n, char *out, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t comp[3][8], cp, next;
	size_t clen[3] = {0, 0, 0}, i = 0, k;
	int ncomp = 0, y = 0, m, d, dg;

	while (i < n) {
		k = dg_utf8_decode(u + i, n - i, &cp);
		i += k;
		if (cp == ' ' || cp == '\n')
			continue;
		/* separators end a component: 年 月 日 号 - / . */
		if (cp == 0x5e74 || cp == 0x6708 || cp == 0x65e5 || cp == 0x53f7 || cp == '-' || cp == '/' ||
		    cp == '.') {
			if (ncomp < 3 && clen[ncomp] > 0)
				ncomp++;
			else if (cp != 0x65e5 && cp != 0x53f7)
				return -1;
			continue;
		}
		/* OCR reads one 〇 as two glyphs, "O〇" or "@〇":
		 * fold the pair into the one zero it stands for */
		if (cp == 0x3007 && clen[ncomp] > 0 && ocr_zero_mate(comp[ncomp][clen[ncomp] - 1])) {
			comp[ncomp][clen[ncomp] - 1] = cp;
			continue;
		}
		if (cp == '@' && i < n && dg_utf8_decode(u + i, n - i, &next) == 3 && next == 0x3007)
			continue;
		if (ncomp >= 3 || clen[ncomp] >= 8)
			return -1;
		if (cn_digit(cp) < 0 && cp != CN_TEN && cp != CN_TWENTY && cp != CN_THIRTY)
			return -1;
		comp[ncomp][clen[ncomp]++] = cp;
	}
	if (ncomp < 3 && clen[ncomp] > 0)
		ncomp++;
	if (ncomp != 3 || clen[0] != 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((dg = cn_digit(comp[0][i])) < 0)
			return -1;
		y = y * 10 + dg;
	}
	m = small_number(comp[1], clen[1]);
	d = small_number(comp[2], clen[2]);
	return valid_date(y, m, d, out, cap);
}

int
dg_norm_date_order(const char *s, size_t n, enum dg_date_order order, char *out, size_t cap)
{
	if (year_first_date(s, n, out, cap) == 0)
		return 0;
	return latin_date(s, n, order, out, cap);
}

/* Skip spaces; returns the new index. */
static size_t
skip_spaces(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t'))
		i++;
	return i;
}

static int
has_prefix(const char *s, size_t n, size_t i, const char *p)
{
	size_t l = strlen(p);

	return n - i >= l && memcmp(s + i, p, l) == 0;
}

static int
has_prefix_ci(const char *s, size_t n, size_t i, const char *p)
{
	size_t l = strlen(p), k;

	if (n - i < l)
		return 0;
	for (k = 0; k < l; k++) {
		char a = s[i + k], b = p[k];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

/* A decimal with optional thousands separators: integer part into
 * *ip (at most 15 digits), up to maxfrac fraction digits scaled into
 * *fp (so that "1.5" with maxfrac 2 gives 50), *fdigits the fraction
 * digits seen (more than maxfrac: -1).  Returns the index after it, or
 * 0 when there is no number at i. */
static size_t
scan_decimal(const char *s, size_t n, size_t i, int64_t *ip, int64_t *fp, int maxfrac)
{
	size_t start = i;
	int idig = 0, f = 0;
	int64_t iv = 0, fv = 0;

	while (i < n) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (++idig > 15)
				return 0;
			iv = iv * 10 + (s[i] - '0');
		} else if (!(s[i] == ',' && idig > 0 && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')) {
			break;
		}
		i++;
	}
	if (idig == 0)
		return 0;
	if (i < n && s[i] == '.' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (++f > maxfrac)
				return 0;
			fv = fv * 10 + (s[i] - '0');
			i++;
		}
	}
	for (; f < maxfrac; f++)
		fv *= 10;
	*ip = iv;
	*fp = fv;
	return i > start ? i : 0;
}

int
dg_norm_amount(const char *s, size_t n, char *out, size_t cap)
{
	size_t i = 0, j;
	int64_t iv, fv, cents;

	i = skip_spaces(s, n, i);
	if (has_prefix(s, n, i, "\xc2\xa5")) /* ¥ */
		i += 2;
	else if (has_prefix(s, n, i, "$"))
		i += 1;
	else if (has_prefix_ci(s, n, i, "rmb"))
		i += 3;
	else if (has_prefix(s, n, i, "人民币"))
		i += strlen("人民币");
	i = skip_spaces(s, n, i);
	if (i < n && s[i] == '(') { /* 人民币(小写) */
		const char *close = memchr(s + i, ')', n - i);
		if (!close)
			return -1;
		i = skip_spaces(s, n, (size_t)(close - s) + 1);
	}
	if (has_prefix(s, n, i, "\xc2\xa5"))
		i = skip_spaces(s, n, i + 2);
	j = scan_decimal(s, n, i, &iv, &fv, 2);
	if (j == 0)
		return -1;
	i = skip_spaces(s, n, j);
	if (has_prefix(s, n, i, "万")) {
		/* 12.5万元: at most 2 decimals of 万 are whole yuan */
		if (iv > 99999999999LL)
			return -1;
		cents = (iv * 10000 + fv * 100) * 100;
		i += strlen("万");
	} else {
		if (iv > 9999999999999LL)
			return -1;
		cents = iv * 100 + fv;
	}
	if (has_prefix(s, n, i, "元"))
		i += strlen("元");
	i = skip_spaces(s, n, i);
	if (i != n)
		return -1;
	if (snprintf(out, cap, "%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100)) >= (int)cap)
		return -1;
	return 0;
}

/* Write micro-units as a decimal without trailing zeros. */
static int
format_micro(int64_t v, char *out, size_t cap)
{
	char frac[8];
	int64_t ip = v / 1000000, fp = v % 1000000;
	int l;

	if (fp == 0)
		l = snprintf(out, cap, "%lld", (long long)ip);
	else {
		snprintf(frac, sizeof(frac), "%06lld", (long long)fp);
		for (l = 5; l > 0 && frac[l] == '0'; l--)
			frac[l] = '\0';
		l = snprintf(out, cap, "%lld.%s", (long long)ip, frac);
	}
	return l < 0 || (size_t)l >= cap ? -1 : 0;
}

int
dg_norm_kva(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, j;
	int64_t iv, fv, v;
	int mega = 0;

	i = skip_spaces(s, n, 0);
	j = scan_decimal(s, n, i, &iv, &fv, 6);
	if (j == 0 || iv > 999999999LL)
		return -1;
	i = skip_spaces(s, n, j);
	if (has_prefix_ci(s, n, i, "kva") || has_prefix_ci(s, n, i, "kv.a"))
		i += has_prefix_ci(s, n, i, "kva") ? 3 : 4;
	else if (has_prefix_ci(s, n, i, "mva")) {
		i += 3;
		mega = 1;
	} else if (has_prefix(s, n, i, "千伏安"))
		i += strlen("千伏安");
	else if (has_prefix(s, n, i, "千伏·安"))
		i += strlen("千伏·安");
	else if (has_prefix(s, n, i, "兆伏安")) {
		i += strlen("兆伏安");
		mega = 1;
	}
	i = skip_spaces(s, n, i);
	if (i != n)
		return -1;
	v = iv * 1000000 + fv;
	if (mega) {
		if (iv > 999999LL)
			return -1;
		v *= 1000;
	}
	return format_micro(v, out, cap);
}

int
dg_norm_number(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, j;
	int64_t iv, fv;
	int neg = 0;

	i = skip_spaces(s, n, 0);
	if (i < n && (s[i] == '-' || s[i] == '+')) {
		neg = s[i] == '-';
		i++;
	}
	j = scan_decimal(s, n, i, &iv, &fv, 6);
	if (j == 0 || iv > 999999999LL)
		return -1;
	if (skip_spaces(s, n, j) != n)
		return -1;
	if (iv == 0 && fv == 0)
		neg = 0;
	if (neg) {
		if (cap < 2)
			return -1;
		out[0] = '-';
		return format_micro(iv * 1000000 + fv, out + 1, cap - 1);
	}
	return format_micro(iv * 1000000 + fv, out, cap);
}

int
dg_norm_text(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;
	int space = 0;

	i = skip_spaces(s, n, 0);
	for (; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\n' || s[i] == '\t') {
			space = 1;
			continue;
		}
		if (o + 2 >= cap)
			return -1;
		if (space && o > 0)
			out[o++] = ' ';
		space = 0;
		out[o++] = s[i];
	}
	if (o == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

int
dg_parse_decimal(const char *s, double *out)
{
	double v = 0, scale = 1;
	int neg = 0, idig = 0, fdig = 0;

	if (!s)
		return -1;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++) {
		if (++idig > 15)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (*s == '.') {
		s++;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (++fdig > 9)
				return -1;
			scale /= 10;
			v += (*s - '0') * scale;
		}
		if (fdig == 0)
			return -1;
	}
	if (idig == 0 && fdig == 0)
		return -1;
	if (*s)
		return -1;
	*out = neg ? -v : v;
	return 0;
}

void
dg_format_prob(double p, char *out, size_t cap)
{
	long v;

	if (!(p > 0))
		p = 0;
	if (p > 1)
		p = 1;
	v = (long)(p * 100 + 0.5);
	snprintf(out, cap, "%ld.%02ld", v / 100, v % 100);
}
