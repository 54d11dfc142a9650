#include <config.h>

/*
 * plugins/text/textconv.c -- bytes of text or HTML into UTF-8 text.
 *
 * The bytes are decoded into UTF-8, trying in this order:
 *
 *   1. a byte-order mark (UTF-8, UTF-16LE, UTF-16BE);
 *   2. UTF-8, when the bytes are valid UTF-8 and not pure ASCII;
 *   3. a charset parameter of the media type ("text/plain; charset=big5",
 *      as a mail part carries it), except the words libmagic uses for
 *      its own guesses (us-ascii, iso-8859-1, unknown-8bit, ...);
 *   4. HTML only: the charset the document declares (<meta charset>,
 *      <meta http-equiv="Content-Type" content="...; charset=...">,
 *      <?xml ... encoding?>) in its first 64 KiB;
 *   5. pure ASCII is UTF-8, unless uchardet finds a 7-bit encoding in it
 *      (HZ-GB-2312, ISO-2022-*);
 *   6. uchardet's guess;
 *   7. GB18030, if it decodes the bytes without error;
 *   8. ISO-8859-1, which never fails.
 * A declaration naming a charset iconv does not know is passed over, and
 * so is a UTF-8 declaration on bytes that are not UTF-8.
 *
 * Labels are mapped to the superset iconv knows (GB2312/GBK -> GB18030,
 * Shift_JIS -> CP932, EUC-KR -> CP949, ISO-8859-1 and US-ASCII ->
 * WINDOWS-1252, with the label itself as second choice; Big5 with
 * BIG5-HKSCS as second choice): when the first choice leaves invalid
 * sequences, the second is tried and the one with fewer replacements
 * kept.  HZ is unwrapped here (glibc's iconv lacks it).  An invalid
 * sequence becomes U+FFFD and is counted (text.replacements, DG_WARN).
 *
 * HTML is then parsed from that UTF-8 with libxml2's HTML parser, told
 * the encoding and to ignore the document's own declaration (honoured
 * above already), with no network access; the HTML parser loads no
 * DTD and expands no entities of its own.  Line endings become \n and
 * NUL bytes are dropped.
 */

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <uchardet/uchardet.h>

#include "textconv.h"

#define TEXT_DETECT_MAX ((size_t)8 << 20)   /* bytes given to uchardet */
#define TEXT_PRESCAN_MAX ((size_t)64 << 10) /* bytes searched for a declaration */
#define TEXT_TITLE_MAX 1024

/* The outcome of decoding. */
struct text_decoded {
	struct text_buf out;
	size_t replacements;
	char charset[TEXT_CHARSET_MAX];
};

/* ------------------------------------------------------------------ */
/* Buffers                                                              */

static int
text_buf_init(struct text_buf *b, size_t initial, size_t max)
{
	b->len = 0;
	b->max = max;
	b->cap = initial < 16 ? 16 : initial;
	if (b->cap > max)
		b->cap = max;
	b->p = malloc(b->cap + 1);
	return b->p == NULL ? -1 : 0;
}

/* Make room for extra more bytes (plus a NUL), within the limit. */
static int
text_buf_reserve(struct text_buf *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return -1;
	want = b->len + extra;
	if (want <= b->cap)
		return 0;
	cap = b->cap;
	while (cap < want)
		cap = cap > b->max / 2 ? b->max : cap * 2;
	p = realloc(b->p, cap + 1);
	if (p == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Double the capacity, within the limit; -1 when already at it. */
static int
text_buf_grow(struct text_buf *b)
{
	size_t cap;

	if (b->cap >= b->max)
		return -1;
	cap = b->cap > b->max / 2 ? b->max : b->cap * 2;
	return text_buf_reserve(b, cap - b->len);
}

static int
text_buf_add(struct text_buf *b, const void *s, size_t n)
{
	if (text_buf_reserve(b, n) != 0)
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

static int
text_buf_addc(struct text_buf *b, char c)
{
	return text_buf_add(b, &c, 1);
}

static void
text_buf_free(struct text_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ */
/* Media types and options                                              */

enum text_kind
text_classify(const char *type)
{
	char base[128];
	size_t n = 0;

	if (type == NULL)
		return TEXT_NONE;
	while (*type == ' ' || *type == '\t')
		type++;
	while (type[n] != '\0' && type[n] != ';' && type[n] != ' ' && type[n] != '\t') {
		if (n + 1 >= sizeof(base))
			return TEXT_NONE;
		base[n] = type[n];
		n++;
	}
	base[n] = '\0';
	if (strcasecmp(base, "text/html") == 0 || strcasecmp(base, "application/xhtml+xml") == 0)
		return TEXT_HTML;
	if (n > 5 && strncasecmp(base, "text/", 5) == 0)
		return TEXT_PLAIN;
	return TEXT_NONE;
}

/* ------------------------------------------------------------------ */
/* Charset detection                                                    */

/* Length of a valid UTF-8 sequence at s (0 if invalid or incomplete). */
static size_t
text_utf8_seq(const unsigned char *s, size_t len)
{
	size_t n, k;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 1;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 2;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 3;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len <= n)
		return 0;
	for (k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[k] & 0x3f);
	}
	if ((n == 2 && c < 0x800) || (n == 3 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n + 1;
}

/* Whether s[0..len) is the beginning of a UTF-8 sequence cut short. */
static int
text_utf8_incomplete(const unsigned char *s, size_t len)
{
	size_t need, k;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (len >= need)
		return 0;
	for (k = 1; k < len; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return 1;
}

/* Whether s is valid UTF-8.  With truncated set, an incomplete sequence
 * at the very end is tolerated.  *ascii tells whether all bytes < 0x80. */
static int
text_utf8_valid(const unsigned char *s, size_t len, int truncated, int *ascii)
{
	size_t i = 0, n;

	*ascii = 1;
	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		*ascii = 0;
		n = text_utf8_seq(s + i, len - i);
		if (n == 0)
			return truncated && len - i < 4 && text_utf8_incomplete(s + i, len - i);
		i += n;
	}
	return 1;
}

static int
text_has_7bit_escapes(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == 0x1b)
			return 1;
		if (s[i] == '~' && i + 1 < len && s[i + 1] == '{')
			return 1;
	}
	return 0;
}

/* uchardet's guess for s, or "" when it has none. */
static void
text_uchardet(const unsigned char *s, size_t len, char *name, size_t cap)
{
	uchardet_t ud;
	const char *cs;

	name[0] = '\0';
	ud = uchardet_new();
	if (ud == NULL)
		return;
	if (uchardet_handle_data(ud, (const char *)s, len < TEXT_DETECT_MAX ? len : TEXT_DETECT_MAX) == 0) {
		uchardet_data_end(ud);
		cs = uchardet_get_charset(ud);
		if (cs != NULL && strlen(cs) < cap)
			snprintf(name, cap, "%s", cs);
	}
	uchardet_delete(ud);
}

struct text_label {
	const char *label;  /* as found in documents or from uchardet */
	const char *first;  /* what iconv is asked for */
	const char *second; /* tried too when first leaves invalid bytes */
};

static const struct text_label text_labels[] = {
    {"gb2312", "GB18030", NULL},
    {"gbk", "GB18030", NULL},
    {"gb18030", "GB18030", NULL},
    {"euc-cn", "GB18030", NULL},
    {"x-euc-cn", "GB18030", NULL},
    {"cp936", "GB18030", NULL},
    {"ms936", "GB18030", NULL},
    {"windows-936", "GB18030", NULL},
    {"x-gbk", "GB18030", NULL},
    {"csgb2312", "GB18030", NULL},
    {"gb_2312-80", "GB18030", NULL},
    {"gb_2312", "GB18030", NULL},
    {"chinese", "GB18030", NULL},
    {"iso-ir-58", "GB18030", NULL},
    {"hz-gb-2312", "HZ-GB-2312", NULL},
    {"hz", "HZ-GB-2312", NULL},
    {"big5", "BIG5", "BIG5-HKSCS"},
    {"cn-big5", "BIG5", "BIG5-HKSCS"},
    {"x-x-big5", "BIG5", "BIG5-HKSCS"},
    {"csbig5", "BIG5", "BIG5-HKSCS"},
    {"big5-hkscs", "BIG5-HKSCS", "BIG5"},
    {"big5hkscs", "BIG5-HKSCS", "BIG5"},
    {"shift_jis", "CP932", "SHIFT_JIS"},
    {"shift-jis", "CP932", "SHIFT_JIS"},
    {"sjis", "CP932", "SHIFT_JIS"},
    {"x-sjis", "CP932", "SHIFT_JIS"},
    {"ms_kanji", "CP932", "SHIFT_JIS"},
    {"csshiftjis", "CP932", "SHIFT_JIS"},
    {"windows-31j", "CP932", NULL},
    {"euc-kr", "CP949", "EUC-KR"},
    {"cseuckr", "CP949", "EUC-KR"},
    {"ks_c_5601-1987", "CP949", "EUC-KR"},
    {"windows-949", "CP949", NULL},
    {"iso-8859-1", "WINDOWS-1252", "ISO-8859-1"},
    {"iso8859-1", "WINDOWS-1252", "ISO-8859-1"},
    {"iso_8859-1", "WINDOWS-1252", "ISO-8859-1"},
    {"latin1", "WINDOWS-1252", "ISO-8859-1"},
    {"l1", "WINDOWS-1252", "ISO-8859-1"},
    {"us-ascii", "WINDOWS-1252", "ISO-8859-1"},
    {"ascii", "WINDOWS-1252", "ISO-8859-1"},
    {"windows-1252", "WINDOWS-1252", "ISO-8859-1"},
    {"cp1252", "WINDOWS-1252", "ISO-8859-1"},
    {"utf8", "UTF-8", NULL},
    {"unicode-1-1-utf-8", "UTF-8", NULL},
};

/* Bytes skipped after an invalid sequence: one code unit. */
static size_t
text_unit(const char *charset)
{
	if (strncasecmp(charset, "UTF-16", 6) == 0 || strncasecmp(charset, "UCS-2", 5) == 0)
		return 2;
	if (strncasecmp(charset, "UTF-32", 6) == 0 || strncasecmp(charset, "UCS-4", 5) == 0)
		return 4;
	return 1;
}

/* Append s[0..len) to out, which must be UTF-8: each byte that does
 * not start a valid sequence (overlong forms, surrogates and code
 * points past U+10FFFF included) becomes U+FFFD.  An incomplete
 * sequence at the very end is dropped when the input was truncated. */
static int
text_utf8_copy(const unsigned char *s, size_t len, int truncated, struct text_buf *out, size_t *repl)
{
	size_t i = 0, start, n;

	while (i < len) {
		start = i;
		while (i < len && (n = text_utf8_seq(s + i, len - i)) > 0)
			i += n;
		if (i > start && text_buf_add(out, s + start, i - start) != 0)
			return -1;
		if (i >= len || (truncated && text_utf8_incomplete(s + i, len - i)))
			break;
		if (text_buf_add(out, "\xef\xbf\xbd", 3) != 0)
			return -1;
		(*repl)++;
		i++;
	}
	return 0;
}

/* Make b strictly valid UTF-8, counting replacements.  glibc's iconv
 * lets some invalid forms through (F4 90 80 80 from "UTF-8", say). */
static int
text_utf8_fix(struct text_buf *b, size_t *repl)
{
	struct text_buf fixed;
	int ascii;

	if (text_utf8_valid((const unsigned char *)b->p, b->len, 0, &ascii))
		return 0;
	if (text_buf_init(&fixed, b->len + 64, b->len > (SIZE_MAX - 64) / 3 ? SIZE_MAX - 1 : b->len * 3 + 64) != 0)
		return -1;
	if (text_utf8_copy((const unsigned char *)b->p, b->len, 0, &fixed, repl) != 0) {
		text_buf_free(&fixed);
		return -1;
	}
	fixed.p[fixed.len] = '\0';
	text_buf_free(b);
	*b = fixed;
	return 0;
}

/* Convert s[0..len) from charset to UTF-8 into dec (whose buffer it
 * sets up).  Invalid sequences become U+FFFD; an incomplete one at the
 * end is dropped silently when the input was truncated.  Returns 0, -1
 * when iconv does not know the charset, -2 when out of memory. */
static int
text_iconv(const char *charset, const unsigned char *s, size_t len, int truncated, size_t max, struct text_decoded *dec)
{
	static const char fffd[] = "\xef\xbf\xbd";
	iconv_t cd;
	char *ip = (char *)s, *op;
	size_t il = len, ol, r, unit, skip;
	int rc = -2, flushed = 0, err;

	dec->replacements = 0;
	dec->out.p = NULL;
	if (strcasecmp(charset, "UTF-8") == 0 || strcasecmp(charset, "UTF8") == 0) {
		/* checked here, strictly, rather than by iconv */
		if (text_buf_init(&dec->out, len + 64, max) != 0 ||
		    text_utf8_copy(s, len, truncated, &dec->out, &dec->replacements) != 0) {
			text_buf_free(&dec->out);
			return -2;
		}
		dec->out.p[dec->out.len] = '\0';
		snprintf(dec->charset, sizeof(dec->charset), "UTF-8");
		return 0;
	}
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return -1;
	if (text_buf_init(&dec->out, len + 64, max) != 0)
		goto out;
	unit = text_unit(charset);
	for (;;) {
		if (dec->out.cap - dec->out.len < 16 && text_buf_grow(&dec->out) != 0)
			goto out;
		op = dec->out.p + dec->out.len;
		ol = dec->out.cap - dec->out.len;
		if (il > 0)
			r = iconv(cd, &ip, &il, &op, &ol);
		else
			r = iconv(cd, NULL, NULL, &op, &ol);
		dec->out.len = (size_t)(op - dec->out.p);
		if (r != (size_t)-1) {
			if (il > 0)
				continue;
			if (flushed)
				break;
			flushed = 1;
			continue;
		}
		if (errno == E2BIG) {
			if (text_buf_grow(&dec->out) != 0)
				goto out;
			continue;
		}
		err = errno;
		if (err == EILSEQ || (err == EINVAL && !truncated)) {
			if (il == 0)
				goto out;
			if (text_buf_add(&dec->out, fffd, 3) != 0)
				goto out;
			dec->replacements++;
			skip = err == EINVAL ? il : unit < il ? unit : il;
			ip += skip;
			il -= skip;
			continue;
		}
		if (err == EINVAL) {
			/* an incomplete sequence where the input was cut */
			il = 0;
			continue;
		}
		goto out;
	}
	dec->out.p[dec->out.len] = '\0';
	if (text_utf8_fix(&dec->out, &dec->replacements) != 0)
		goto out;
	snprintf(dec->charset, sizeof(dec->charset), "%s", charset);
	for (op = dec->charset; *op != '\0'; op++)
		if (*op >= 'a' && *op <= 'z')
			*op = (char)(*op - 'a' + 'A');
	rc = 0;
out:
	iconv_close(cd);
	if (rc != 0)
		text_buf_free(&dec->out);
	return rc;
}

/* HZ (RFC 1843) to EUC-CN bytes, which GB18030 decodes. */
static int
text_hz_unwrap(const unsigned char *s, size_t len, struct text_buf *out)
{
	size_t i = 0;
	int gb = 0;

	if (text_buf_init(out, len + 1, len + 1) != 0)
		return -1;
	while (i < len) {
		if (s[i] == '~' && i + 1 < len) {
			if (!gb && s[i + 1] == '~') {
				out->p[out->len++] = '~';
				i += 2;
				continue;
			}
			if (!gb && s[i + 1] == '{') {
				gb = 1;
				i += 2;
				continue;
			}
			if (gb && s[i + 1] == '}') {
				gb = 0;
				i += 2;
				continue;
			}
			if (!gb && s[i + 1] == '\n') {
				i += 2;
				continue;
			}
		}
		if (gb && (s[i] == '\n' || s[i] == '\r'))
			gb = 0;
		if (gb && i + 1 < len && s[i] >= 0x21 && s[i] <= 0x7e && s[i + 1] >= 0x21 && s[i + 1] <= 0x7e) {
			out->p[out->len++] = (char)(s[i] | 0x80);
			out->p[out->len++] = (char)(s[i + 1] | 0x80);
			i += 2;
			continue;
		}
		out->p[out->len++] = (char)s[i++];
	}
	return 0;
}

static int
text_is_utf8_label(const char *label)
{
	return strcasecmp(label, "utf-8") == 0 || strcasecmp(label, "utf8") == 0 ||
	       strcasecmp(label, "unicode-1-1-utf-8") == 0;
}

/* Decode with the charset a label names (mapped to its superset; HZ
 * handled here).  Returns as text_iconv(). */
static int
text_try_label(const char *label, int declared, const unsigned char *s, size_t len, int truncated, size_t max,
               struct text_decoded *dec)
{
	struct text_decoded alt;
	struct text_buf hz = {0};
	const char *first = label, *second = NULL;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(text_labels) / sizeof(text_labels[0]); i++) {
		if (strcasecmp(label, text_labels[i].label) == 0) {
			first = text_labels[i].first;
			second = text_labels[i].second;
			break;
		}
	}
	/* A declaration read as ASCII cannot be right about UTF-16/32. */
	if (declared && (strncasecmp(label, "utf-16", 6) == 0 || strncasecmp(label, "utf-32", 6) == 0 ||
	                 strncasecmp(label, "ucs-", 4) == 0 || strcasecmp(label, "unicode") == 0))
		first = "UTF-8";
	if (strcmp(first, "HZ-GB-2312") == 0) {
		if (text_hz_unwrap(s, len, &hz) != 0)
			return -2;
		rc = text_iconv("GB18030", (unsigned char *)hz.p, hz.len, truncated, max, dec);
		text_buf_free(&hz);
		if (rc == 0)
			snprintf(dec->charset, sizeof(dec->charset), "HZ-GB-2312");
		return rc;
	}
	rc = text_iconv(first, s, len, truncated, max, dec);
	if (rc == -1 && second != NULL)
		return text_iconv(second, s, len, truncated, max, dec);
	if (rc != 0 || dec->replacements == 0 || second == NULL)
		return rc;
	if (text_iconv(second, s, len, truncated, max, &alt) == 0) {
		if (alt.replacements < dec->replacements) {
			text_buf_free(&dec->out);
			*dec = alt;
		} else {
			text_buf_free(&alt.out);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Declared charset of an HTML document                                 */

static int
text_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int
text_starts_ci(const unsigned char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len >= n && strncasecmp((const char *)s, lit, n) == 0;
}

/* Copy a charset label, if it looks like one. */
static int
text_take_label(const unsigned char *s, size_t n, char *name, size_t cap)
{
	size_t i;

	while (n > 0 && text_is_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && text_is_space(s[n - 1]))
		n--;
	if (n == 0 || n >= cap)
		return 0;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr("._:+()-", s[i]) != NULL))
			return 0;
	}
	memcpy(name, s, n);
	name[n] = '\0';
	return 1;
}

/* The value of key=value in s: "text/html; charset=gbk" -> "gbk",
 * 'version="1.0" encoding="gbk"' -> "gbk". */
static int
text_key_value(const unsigned char *s, size_t n, const char *key, char *name, size_t cap)
{
	size_t i, j, kn = strlen(key);
	unsigned char q;

	for (i = 0; i + kn <= n; i++) {
		if (strncasecmp((const char *)s + i, key, kn) != 0)
			continue;
		j = i + kn;
		while (j < n && text_is_space(s[j]))
			j++;
		if (j >= n || s[j] != '=')
			continue;
		j++;
		while (j < n && text_is_space(s[j]))
			j++;
		if (j < n && (s[j] == '"' || s[j] == '\'')) {
			q = s[j++];
			i = j;
			while (j < n && s[j] != q)
				j++;
		} else {
			i = j;
			while (j < n && s[j] != ';' && !text_is_space(s[j]))
				j++;
		}
		return text_take_label(s + i, j - i, name, cap);
	}
	return 0;
}

/* The attributes of a <meta> tag starting at s; returns the bytes used. */
static size_t
text_meta(const unsigned char *s, size_t len, char *name, size_t cap, int *found)
{
	size_t i = 0, an, ao, vo, vn;
	const unsigned char *content = NULL;
	size_t content_len = 0;
	int pragma = 0;
	unsigned char q;

	*found = 0;
	for (;;) {
		while (i < len && (text_is_space(s[i]) || s[i] == '/'))
			i++;
		if (i >= len || s[i] == '>')
			break;
		ao = i;
		while (i < len && !text_is_space(s[i]) && s[i] != '=' && s[i] != '>' && s[i] != '/')
			i++;
		an = i - ao;
		while (i < len && text_is_space(s[i]))
			i++;
		vo = vn = 0;
		if (i < len && s[i] == '=') {
			i++;
			while (i < len && text_is_space(s[i]))
				i++;
			if (i < len && (s[i] == '"' || s[i] == '\'')) {
				q = s[i++];
				vo = i;
				while (i < len && s[i] != q)
					i++;
				vn = i - vo;
				if (i < len)
					i++;
			} else {
				vo = i;
				/* "/" ends it too: no label has one, and <meta charset=x/> */
				while (i < len && !text_is_space(s[i]) && s[i] != '>' && s[i] != '/')
					i++;
				vn = i - vo;
			}
		}
		if (an == 7 && strncasecmp((const char *)s + ao, "charset", 7) == 0 && !*found) {
			*found = text_take_label(s + vo, vn, name, cap);
		} else if (an == 10 && strncasecmp((const char *)s + ao, "http-equiv", 10) == 0) {
			pragma = vn == 12 && strncasecmp((const char *)s + vo, "content-type", 12) == 0;
		} else if (an == 7 && strncasecmp((const char *)s + ao, "content", 7) == 0) {
			content = s + vo;
			content_len = vn;
		}
	}
	if (!*found && pragma && content != NULL)
		*found = text_key_value(content, content_len, "charset", name, cap);
	return i;
}

/* The charset an HTML document declares in its first bytes, if any. */
static int
text_declared(const unsigned char *s, size_t len, char *name, size_t cap)
{
	size_t i = 0, end = len < TEXT_PRESCAN_MAX ? len : TEXT_PRESCAN_MAX, j;
	const unsigned char *p;
	int found;

	while (i < end) {
		if (s[i] != '<') {
			i++;
			continue;
		}
		if (text_starts_ci(s + i, end - i, "<!--")) {
			p = memmem(s + i + 4, end - i - 4, "-->", 3);
			if (p == NULL)
				break;
			i = (size_t)(p - s) + 3;
		} else if (text_starts_ci(s + i, end - i, "<meta") && i + 5 < end &&
		           (text_is_space(s[i + 5]) || s[i + 5] == '/')) {
			i += 5;
			i += text_meta(s + i, end - i, name, cap, &found);
			if (found)
				return 1;
		} else if (text_starts_ci(s + i, end - i, "<?xml") && i + 5 < end && text_is_space(s[i + 5])) {
			p = memmem(s + i, end - i, "?>", 2);
			j = p != NULL ? (size_t)(p - s) : end;
			if (text_key_value(s + i, j - i, "encoding", name, cap))
				return 1;
			i = j;
		} else if (text_starts_ci(s + i, end - i, "<body")) {
			break;
		} else {
			i++;
		}
	}
	return 0;
}

/* The charset parameter of a media type ("text/plain; charset=big5"),
 * as a mail part may carry it.  The words libmagic uses for its own
 * guesses (us-ascii, iso-8859-1, unknown-8bit, ...) are not taken as a
 * declaration: libmagic calls GBK "iso-8859-1". */
static int
text_type_charset(const char *type, char *name, size_t cap)
{
	static const char *const guesses[] = {"us-ascii", "utf-8",    "iso-8859-1", "unknown-8bit", "binary", "ebcdic",
	                                      "utf-16le", "utf-16be", "utf-32le",   "utf-32be",     NULL};
	const char *p;
	size_t i;

	if (type == NULL)
		return 0;
	p = strchr(type, ';');
	if (p == NULL || !text_key_value((const unsigned char *)p, strlen(p), "charset", name, cap))
		return 0;
	for (i = 0; guesses[i] != NULL; i++)
		if (strcasecmp(name, guesses[i]) == 0)
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                             */

/* Decode s[0..len) to UTF-8 (see the top of the file for the order).
 * Returns 0, or -1 when out of memory. */
static int
text_decode(const unsigned char *s, size_t len, int truncated, const char *type, enum text_kind kind,
            struct text_decoded *dec)
{
	char label[TEXT_CHARSET_MAX];
	size_t max;
	int ascii, valid, rc, pass;

	max = len > (SIZE_MAX - 64) / 4 ? SIZE_MAX - 1 : len * 4 + 64;
	if (len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		return text_iconv("UTF-8", s + 3, len - 3, truncated, max, dec) == 0 ? 0 : -1;
	if (len >= 2 && s[0] == 0xff && s[1] == 0xfe)
		return text_iconv("UTF-16LE", s + 2, len - 2, truncated, max, dec) == 0 ? 0 : -1;
	if (len >= 2 && s[0] == 0xfe && s[1] == 0xff)
		return text_iconv("UTF-16BE", s + 2, len - 2, truncated, max, dec) == 0 ? 0 : -1;

	valid = text_utf8_valid(s, len, truncated, &ascii);
	if (valid && !ascii)
		return text_iconv("UTF-8", s, len, truncated, max, dec) == 0 ? 0 : -1;

	/* what the media type, then what the document, declares */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 0 ? !text_type_charset(type, label, sizeof(label))
		              : kind != TEXT_HTML || !text_declared(s, len, label, sizeof(label)))
			continue;
		/* A UTF-8 declaration on bytes that are not UTF-8 is wrong; so is
		 * any UTF declaration found by reading the document as ASCII. */
		if (!valid && (pass == 1 ? strncasecmp(label, "utf", 3) == 0 : text_is_utf8_label(label))) {
			continue;
		}
		rc = text_try_label(label, pass == 1, s, len, truncated, max, dec);
		if (rc == 0)
			return 0;
		if (rc == -2)
			return -1;
	}

	if (valid) {
		/* pure ASCII, unless a 7-bit encoding hides in it */
		if (text_has_7bit_escapes(s, len)) {
			text_uchardet(s, len, label, sizeof(label));
			if (strcasecmp(label, "HZ-GB-2312") == 0 || strncasecmp(label, "ISO-2022-", 9) == 0) {
				rc = text_try_label(label, 0, s, len, truncated, max, dec);
				if (rc == 0)
					return 0;
				if (rc == -2)
					return -1;
			}
		}
		return text_iconv("UTF-8", s, len, truncated, max, dec) == 0 ? 0 : -1;
	}

	text_uchardet(s, len, label, sizeof(label));
	if (label[0] != '\0') {
		rc = text_try_label(label, 0, s, len, truncated, max, dec);
		if (rc == 0)
			return 0;
		if (rc == -2)
			return -1;
	}

	rc = text_iconv("GB18030", s, len, truncated, max, dec);
	if (rc == -2)
		return -1;
	if (rc == 0) {
		if (dec->replacements == 0)
			return 0;
		text_buf_free(&dec->out);
	}
	return text_iconv("ISO-8859-1", s, len, truncated, max, dec) == 0 ? 0 : -1;
}

/* CRLF and CR to LF, NUL bytes dropped; in place. */
static void
text_normalise(struct text_buf *b)
{
	size_t i, o = 0;

	for (i = 0; i < b->len; i++) {
		if (b->p[i] == '\0')
			continue;
		if (b->p[i] == '\r') {
			b->p[o++] = '\n';
			if (i + 1 < b->len && b->p[i + 1] == '\n')
				i++;
			continue;
		}
		b->p[o++] = b->p[i];
	}
	b->len = o;
	b->p[o] = '\0';
}

/* ------------------------------------------------------------------ */
/* HTML                                                                 */

struct text_html {
	struct text_buf out;
	char pending; /* separator owed before the next text: 0, ' ', '\t' */
	int newlines; /* newlines at the end of out */
	int pre;      /* depth inside preformatted elements */
	int full;     /* out reached its limit */
	char *title;
	char stopped[160]; /* why the parser stopped early, if it did */
};

static int
text_name_in(const xmlChar *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcasecmp((const char *)name, *list) == 0)
			return 1;
	return 0;
}

static const char *const text_skipped[] = {"script", "style", "noscript", "template", "head", "title", "iframe", NULL};

static const char *const text_pre[] = {"pre", "textarea", "listing", "plaintext", "xmp", NULL};

static const char *const text_blocks[] = {
    "address",  "article",  "aside", "blockquote", "body", "caption",  "center",     "dd",     "details",
    "dialog",   "dir",      "div",   "dl",         "dt",   "fieldset", "figcaption", "figure", "footer",
    "form",     "frameset", "h1",    "h2",         "h3",   "h4",       "h5",         "h6",     "header",
    "hgroup",   "hr",       "html",  "legend",     "li",   "listing",  "main",       "menu",   "nav",
    "ol",       "option",   "p",     "plaintext",  "pre",  "section",  "summary",    "table",  "tbody",
    "textarea", "tfoot",    "thead", "tr",         "ul",   "xmp",      NULL};

static const char *const text_cells[] = {"td", "th", NULL};

static void
text_html_add(struct text_html *h, const void *s, size_t n)
{
	if (h->full)
		return;
	if (text_buf_add(&h->out, s, n) != 0)
		h->full = 1;
}

static void
text_html_put(struct text_html *h, const unsigned char *s, size_t n)
{
	if (n == 0)
		return;
	if (h->pending != 0 && h->out.len > 0 && h->newlines == 0)
		text_html_add(h, &h->pending, 1);
	h->pending = 0;
	text_html_add(h, s, n);
	h->newlines = 0;
}

/* Text content: whitespace collapses outside preformatted elements. */
static void
text_html_chars(struct text_html *h, const unsigned char *s)
{
	const unsigned char *start;

	while (*s != '\0' && !h->full) {
		if (h->pre > 0) {
			if (*s == '\n') {
				h->pending = 0;
				text_html_add(h, "\n", 1);
				h->newlines++;
				s++;
				continue;
			}
			start = s;
			while (*s != '\0' && *s != '\n')
				s++;
			text_html_put(h, start, (size_t)(s - start));
			continue;
		}
		if (text_is_space(*s) || (s[0] == 0xc2 && s[1] == 0xa0)) {
			if (h->pending == 0)
				h->pending = ' ';
			s += *s == 0xc2 ? 2 : 1;
			continue;
		}
		start = s;
		while (*s != '\0' && !text_is_space(*s) && !(s[0] == 0xc2 && s[1] == 0xa0))
			s++;
		text_html_put(h, start, (size_t)(s - start));
	}
}

/* End the current line (a block boundary). */
static void
text_html_break(struct text_html *h)
{
	h->pending = 0;
	if (h->out.len > 0 && h->newlines == 0) {
		text_html_add(h, "\n", 1);
		h->newlines = 1;
	}
}

static void
text_html_br(struct text_html *h)
{
	h->pending = 0;
	if (h->out.len > 0 && h->newlines < 2) {
		text_html_add(h, "\n", 1);
		h->newlines++;
	}
}

/* The title element's text, whitespace collapsed, at most
 * TEXT_TITLE_MAX bytes (cut at a character boundary). */
static void
text_html_title(struct text_html *h, xmlNodePtr node)
{
	xmlChar *content;
	const unsigned char *s;
	char *t;
	size_t o = 0, n, k;
	int space = 0;

	if (h->title != NULL)
		return;
	for (xmlNodePtr p = node->parent; p != NULL && p->type == XML_ELEMENT_NODE; p = p->parent)
		if (strcasecmp((const char *)p->name, "svg") == 0)
			return;
	content = xmlNodeGetContent(node);
	if (content == NULL)
		return;
	t = malloc(TEXT_TITLE_MAX + 1);
	if (t == NULL)
		goto out;
	for (s = content; *s != '\0'; s += n) {
		if (text_is_space(*s)) {
			space = o > 0;
			n = 1;
			continue;
		}
		/* whole characters only (libxml2 gives valid UTF-8) */
		n = *s < 0xc0 ? 1 : *s < 0xe0 ? 2 : *s < 0xf0 ? 3 : 4;
		for (k = 1; k < n; k++)
			if (s[k] == '\0')
				n = k;
		if (o + (space ? 1 : 0) + n > TEXT_TITLE_MAX)
			break;
		if (space)
			t[o++] = ' ';
		space = 0;
		memcpy(t + o, s, n);
		o += n;
	}
	t[o] = '\0';
	if (o == 0) {
		free(t);
		goto out;
	}
	h->title = t;
out:
	xmlFree(content);
}

static void
text_html_enter(struct text_html *h, xmlNodePtr node)
{
	if (strcasecmp((const char *)node->name, "br") == 0) {
		text_html_br(h);
		return;
	}
	if (text_name_in(node->name, text_blocks))
		text_html_break(h);
	if (text_name_in(node->name, text_pre))
		h->pre++;
}

static void
text_html_leave(struct text_html *h, xmlNodePtr node)
{
	if (text_name_in(node->name, text_pre) && h->pre > 0)
		h->pre--;
	if (text_name_in(node->name, text_blocks))
		text_html_break(h);
	else if (text_name_in(node->name, text_cells) && h->out.len > 0 && h->newlines == 0)
		h->pending = '\t';
}

/* Walk the tree without recursion. */
static void
text_html_walk(struct text_html *h, xmlDocPtr doc)
{
	xmlNodePtr cur = doc->children, c;

	while (cur != NULL && !h->full) {
		if (cur->type == XML_ELEMENT_NODE) {
			if (text_name_in(cur->name, text_skipped)) {
				if (strcasecmp((const char *)cur->name, "title") == 0)
					text_html_title(h, cur);
				else if (strcasecmp((const char *)cur->name, "head") == 0)
					for (c = cur->children; c != NULL; c = c->next)
						if (c->type == XML_ELEMENT_NODE &&
						    strcasecmp((const char *)c->name, "title") == 0)
							text_html_title(h, c);
			} else {
				text_html_enter(h, cur);
				if (cur->children != NULL) {
					cur = cur->children;
					continue;
				}
				text_html_leave(h, cur);
			}
		} else if ((cur->type == XML_TEXT_NODE || cur->type == XML_CDATA_SECTION_NODE) &&
		           cur->content != NULL) {
			text_html_chars(h, cur->content);
		}
		/* the next node: a sibling, or the sibling of an ancestor */
		while (cur != NULL) {
			if (cur->next != NULL) {
				cur = cur->next;
				break;
			}
			cur = cur->parent;
			if (cur == NULL || cur == (xmlNodePtr)doc || cur->type != XML_ELEMENT_NODE) {
				cur = NULL;
				break;
			}
			text_html_leave(h, cur);
		}
	}
	/* no trailing blanks; one final newline */
	while (h->out.len > 0 && (h->out.p[h->out.len - 1] == '\n' || h->out.p[h->out.len - 1] == ' ' ||
	                          h->out.p[h->out.len - 1] == '\t'))
		h->out.len--;
	if (h->out.len > 0 && text_buf_addc(&h->out, '\n') != 0)
		h->full = 1;
	if (h->out.p != NULL)
		h->out.p[h->out.len] = '\0';
}

/* Extract the text of an HTML document given in UTF-8.  Returns 0, or
 * -1 when out of memory; h->full tells whether the text was cut. */
static int
text_html_extract(const char *utf8, size_t len, struct text_html *h)
{
	htmlParserCtxtPtr ctxt;
	htmlDocPtr doc = NULL;
	int size;

	memset(h, 0, sizeof(*h));
	if (text_buf_init(&h->out, len / 2 + 64, len > (SIZE_MAX - 4096) / 2 ? SIZE_MAX - 1 : len * 2 + 4096) != 0)
		return -1;
	h->out.p[0] = '\0';
	if (len == 0)
		return 0;
	if (len > INT_MAX) {
		/* libxml2 takes an int: cut at a character boundary */
		len = INT_MAX;
		while (len > 0 && ((unsigned char)utf8[len] & 0xc0) == 0x80)
			len--;
		h->full = 1;
	}
	size = (int)len;
	ctxt = htmlNewParserCtxt();
	if (ctxt == NULL)
		return -1;
	/* The bytes are UTF-8 now and the declaration honoured already.
	 * HUGE lifts the 10 MB text-node and 256-level depth limits, which
	 * would end the parse early: the input is bounded by max-size, the
	 * HTML parser expands no entities, and it does not recurse. */
	doc = htmlCtxtReadMemory(ctxt, utf8, size, NULL, "UTF-8",
	                         HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER |
	                             HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC | XML_PARSE_HUGE);
	if (ctxt->disableSAX) {
		snprintf(h->stopped, sizeof(h->stopped), "%s",
		         ctxt->lastError.message != NULL ? ctxt->lastError.message : "unknown error");
		h->stopped[strcspn(h->stopped, "\n")] = '\0';
		if (h->stopped[0] == '\0')
			snprintf(h->stopped, sizeof(h->stopped), "error %d", ctxt->lastError.code);
	}
	htmlFreeParserCtxt(ctxt);
	if (doc == NULL)
		return 0;
	text_html_walk(h, doc);
	xmlFreeDoc(doc);
	return 0;
}

int
text_convert(const unsigned char *s, size_t len, int truncated, const char *type, enum text_kind kind,
             struct text_conv *out)
{
	struct text_decoded dec;
	struct text_html html;

	memset(out, 0, sizeof(*out));
	memset(&dec, 0, sizeof(dec));
	if (text_decode(s, len, truncated, type, kind, &dec) != 0) {
		text_buf_free(&dec.out);
		return -1;
	}
	memcpy(out->charset, dec.charset, sizeof(out->charset));
	out->replacements = dec.replacements;
	text_normalise(&dec.out);
	if (kind != TEXT_HTML) {
		out->text = dec.out;
		return 0;
	}
	if (text_html_extract(dec.out.p, dec.out.len, &html) != 0) {
		text_buf_free(&dec.out);
		text_buf_free(&html.out);
		free(html.title);
		return -1;
	}
	text_buf_free(&dec.out);
	out->title = html.title;
	out->cut = html.full;
	memcpy(out->stopped, html.stopped, sizeof(out->stopped));
	text_normalise(&html.out);
	out->text = html.out;
	return text_utf8_fix(&out->text, &out->replacements) != 0 ? -1 : 0;
}

void
text_conv_free(struct text_conv *c)
{
	text_buf_free(&c->text);
	free(c->title);
	c->title = NULL;
}

void
text_guess_charset(const unsigned char *s, size_t len, char *name, size_t cap)
{
	text_uchardet(s, len, name, cap);
}

const char *
text_iconv_name(const char *label)
{
	size_t i;

	for (i = 0; i < sizeof(text_labels) / sizeof(text_labels[0]); i++)
		if (strcasecmp(label, text_labels[i].label) == 0)
			return text_labels[i].first;
	return label;
}
