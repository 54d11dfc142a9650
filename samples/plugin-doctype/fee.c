/*
 * fee.c -- a document type whose extraction needs code: the 业务费收费凭证
 * (a receipt for a connection fee such as 高可靠性供电费 or 临时接电费),
 * built outside the dangan source tree with nothing but the installed
 * headers:
 *
 *   cc -shared -fPIC -o dg-fee.so fee.c $(pkg-config --cflags --libs dangan)
 *
 * The type itself (code FEE, its names, retention, the cues that
 * recognise it and the plain fields 户号, 户名, 收费日期) is a definition
 * in fee.xml, added to the classify stage's catalogue.  What a pattern
 * cannot do is done here: a receipt states its amount twice, in words
 * (大写: 壹万贰仟叁佰肆拾伍元陆角柒分) and in figures (小写: ¥12,345.67), and
 * the two must agree.  For a document the classify stage typed FEE this
 * stage parses both, writes
 *
 *   金额       the amount, 12345.67 (only when nothing contradicts it)
 *   金额大写   the amount in words as written
 *   fee.check  agree | disagree | words only | figure only | ambiguous |
 *              invalid | not found
 *
 * and sends a receipt whose words and figures disagree (or that holds
 * two different amounts, or words that are no amount) to the review
 * list (review.reason, field.problems), ending with a warning.  Put
 * dg-fee.so in a plugin directory and add a stage after classify:
 *
 *   <stage id="fee" plugin="fee" on-failure="continue"/>
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dangan/plugin.h>

#define FEE_MAX_YUAN 1000000000000LL /* amounts from 1万亿元 up are refused */
#define FEE_MAX_FOUND 8              /* different amounts kept of each form */
#define FEE_WORDS_MAX 160            /* bytes of one amount in words */

struct fee {
	char types[256]; /* " FEE ": the document types this stage reads */
	int64_t max_text;
};

/* ---- amounts in words ---------------------------------------------- */

enum tok { T_NONE, T_DIGIT, T_UNIT, T_BIG, T_YUAN, T_JIAO, T_FEN, T_ZHENG };

static const struct {
	const char *s; /* one UTF-8 character (3 bytes) */
	enum tok t;
	int v;
} numerals[] = {
    {"零", T_DIGIT, 0},  {"〇", T_DIGIT, 0},   {"壹", T_DIGIT, 1}, {"贰", T_DIGIT, 2}, {"貳", T_DIGIT, 2},
    {"叁", T_DIGIT, 3},  {"參", T_DIGIT, 3},   {"肆", T_DIGIT, 4}, {"伍", T_DIGIT, 5}, {"陆", T_DIGIT, 6},
    {"陸", T_DIGIT, 6},  {"柒", T_DIGIT, 7},   {"捌", T_DIGIT, 8}, {"玖", T_DIGIT, 9}, {"拾", T_UNIT, 10},
    {"佰", T_UNIT, 100}, {"仟", T_UNIT, 1000}, {"万", T_BIG, 4},   {"萬", T_BIG, 4},   {"亿", T_BIG, 8},
    {"億", T_BIG, 8},    {"元", T_YUAN, 0},    {"圆", T_YUAN, 0},  {"圓", T_YUAN, 0},  {"角", T_JIAO, 0},
    {"分", T_FEN, 0},    {"整", T_ZHENG, 0},   {"正", T_ZHENG, 0},
};

/* The numeral at p (*len: its bytes), or T_NONE. */
static enum tok
numeral_at(const char *p, const char *end, int *v, size_t *len)
{
	size_t i;

	for (i = 0; i < sizeof(numerals) / sizeof(numerals[0]); i++)
		if (end - p >= 3 && memcmp(p, numerals[i].s, 3) == 0) {
			*v = numerals[i].v;
			*len = 3;
			return numerals[i].t;
		}
	return T_NONE;
}

/* Spaces an OCR'd line puts between characters (not a line break). */
static size_t
space_at(const char *p, const char *end)
{
	if (p < end && (*p == ' ' || *p == '\t'))
		return 1;
	if (end - p >= 3 && memcmp(p, "\xe3\x80\x80", 3) == 0) /* ideographic space */
		return 3;
	return 0;
}

/*
 * An amount in words, spaces already removed, into fen (1/100 yuan).
 * Units descend within a section (仟 佰 拾), sections descend (亿 万);
 * 零 stands for skipped places.  A bare digit at the end of a section
 * must follow 拾 or 零 or stand alone: 壹仟伍元 could mean 1005 or
 * 1500, so it is refused.  Returns 0, or -1 when it is no amount.
 */
static int
words_to_fen(const char *s, size_t n, int64_t *fen)
{
	const char *p = s, *end = s + n;
	int64_t total = 0, section = 0;
	int pending = -1, zero = 0, last_unit = 10000, last_big = 12, frac = 0, jiao = -1, f = -1, v;
	int any = 0; /* a digit or unit of the integer part was read */
	size_t len;
	enum tok t;

	while (p < end) {
		t = numeral_at(p, end, &v, &len);
		p += len;
		if (t == T_NONE)
			return -1;
		if (t == T_ZHENG) { /* 整 ends an amount that has its 元 (or 角) */
			if (p != end || !frac || pending >= 0)
				return -1;
			break;
		}
		if (frac) { /* after 元: [零] digit 角, [零] digit 分 */
			if (t == T_DIGIT) {
				if (pending > 0)
					return -1;
				pending = v; /* 元零伍分: 零 then 伍 */
			} else if (t == T_JIAO && pending >= 0 && jiao < 0 && f < 0) {
				jiao = pending;
				pending = -1;
			} else if (t == T_FEN && pending >= 0 && f < 0) {
				f = pending;
				pending = -1;
			} else {
				return -1;
			}
			continue;
		}
		switch (t) {
		case T_DIGIT:
			if (pending >= 0 || (v == 0 && zero))
				return -1; /* two digits in a row */
			if (v == 0)
				zero = 1;
			else
				pending = v;
			break;
		case T_UNIT:
			if (pending < 0 && !(v == 10 && !any && !zero))
				return -1; /* a unit needs its digit (拾元 alone is 10) */
			if (v >= last_unit)
				return -1;
			section += (pending < 0 ? 1 : pending) * v;
			last_unit = v;
			pending = -1;
			zero = 0;
			any = 1;
			break;
		case T_BIG:
		case T_YUAN:
			if (pending > 0) {
				if (!zero && last_unit != 10 && (last_unit != 10000 || last_big != 12))
					return -1; /* 壹仟伍元, 壹万伍元: 1005 or 1500? */
				section += pending;
				pending = -1;
				any = 1;
			}
			if (t == T_BIG) {
				if (section == 0 || v >= last_big || section > 9999)
					return -1;
				total += section * (v == 8 ? 100000000LL : 10000LL);
				last_big = v;
			} else {
				if (!any && !zero)
					return -1; /* 元 with no digit */
				total += section;
				frac = 1;
				pending = -1;
			}
			section = 0;
			last_unit = 10000;
			zero = 0;
			break;
		case T_JIAO:
		case T_FEN: /* 伍角, 捌分: an amount under one yuan */
			if (any || zero || pending < 0 || total)
				return -1;
			frac = 1;
			if (t == T_JIAO)
				jiao = pending;
			else
				f = pending;
			pending = -1;
			break;
		default: return -1;
		}
	}
	if (!frac || pending >= 0 || total >= FEE_MAX_YUAN)
		return -1; /* no 元 (or 角/分), or a digit without its unit */
	*fen = total * 100 + (jiao > 0 ? jiao * 10 : 0) + (f > 0 ? f : 0);
	return 0;
}

/* ---- amounts in figures -------------------------------------------- */

/* The ASCII or full-width digit at p (*len: its bytes), or -1. */
static int
digit_at(const char *p, const char *end, size_t *len)
{
	if (p < end && *p >= '0' && *p <= '9') {
		*len = 1;
		return *p - '0';
	}
	if (end - p >= 3 && (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbc && (unsigned char)p[2] >= 0x90 &&
	    (unsigned char)p[2] <= 0x99) {
		*len = 3;
		return (unsigned char)p[2] - 0x90;
	}
	return -1;
}

/* Skip what stands between a label and its figure: spaces, brackets,
 * colons, the currency (¥ ￥ RMB 人民币).  At most 40 bytes. */
static const char *
skip_to_figure(const char *p, const char *end)
{
	static const char *skip[] = {" ",  "\t", "(",  ")",   ":",      "（",   "）",
	                             "：", "¥",  "￥", "RMB", "人民币", "金额", "\xe3\x80\x80" /* ideographic space */};
	const char *start = p;
	size_t i, l;

	while (p < end && p - start < 40) {
		for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
			l = strlen(skip[i]);
			if ((size_t)(end - p) >= l && memcmp(p, skip[i], l) == 0)
				break;
		}
		if (i == sizeof(skip) / sizeof(skip[0]))
			break;
		p += l;
	}
	return p;
}

/* A figure at p: 12345.67, 12,345.67, １２３４５．６７.  Returns 0 and the
 * amount in fen, or -1. */
static int
figure_to_fen(const char *p, const char *end, int64_t *fen)
{
	int64_t yuan = 0;
	int d, digits = 0, group = -1, cents = 0, nfrac = 0;
	size_t len;

	for (;;) {
		if ((d = digit_at(p, end, &len)) >= 0) {
			if (++digits > 12 || (group >= 0 && ++group > 3))
				return -1;
			yuan = yuan * 10 + d;
			p += len;
		} else if (p < end && *p == ',' && digits > 0 && (group < 0 || group == 3)) {
			group = 0; /* thousands separator: groups of three */
			p++;
		} else {
			break;
		}
	}
	if (digits == 0 || group == 0 || (group > 0 && group != 3) || yuan >= FEE_MAX_YUAN)
		return -1;
	if (p < end && (*p == '.' || (end - p >= 3 && memcmp(p, "\xef\xbc\x8e", 3) == 0))) { /* . or ． */
		p += *p == '.' ? 1 : 3;
		while (nfrac < 2 && (d = digit_at(p, end, &len)) >= 0) {
			cents = cents * 10 + d;
			nfrac++;
			p += len;
		}
		if (nfrac == 0 || digit_at(p, end, &len) >= 0)
			return -1; /* 12. or 12.345 */
		if (nfrac == 1)
			cents *= 10;
	}
	*fen = yuan * 100 + cents;
	return 0;
}

/* ---- the document -------------------------------------------------- */

struct found {
	int64_t v[FEE_MAX_FOUND];
	size_t n;   /* different values */
	size_t bad; /* candidates that are no amount */
	char first_words[FEE_WORDS_MAX + 1];
	char first_bad[FEE_WORDS_MAX + 1];
};

static void
found_add(struct found *f, int64_t v)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i] == v)
			return;
	if (f->n < FEE_MAX_FOUND)
		f->v[f->n++] = v;
}

/* Every run of numerals with a digit 壹..玖 (or 拾 佰 仟) and a currency
 * unit (元 角 分): the amounts in words. */
static void
find_words(const char *text, size_t n, struct found *w)
{
	const char *p = text, *end = text + n, *q;
	char run[FEE_WORDS_MAX + 1];
	size_t len, rl;
	int v, digit, unit;
	int64_t fen;
	enum tok t;

	while (p < end) {
		if (numeral_at(p, end, &v, &len) == T_NONE) {
			p++;
			continue;
		}
		rl = 0;
		digit = unit = 0;
		for (q = p; q < end;) {
			size_t sp = space_at(q, end);
			if (sp && numeral_at(q + sp, end, &v, &len) != T_NONE)
				q += sp; /* 壹 万 贰 仟: spaces between numerals */
			if ((t = numeral_at(q, end, &v, &len)) == T_NONE)
				break;
			digit |= (t == T_DIGIT && v > 0) || t == T_UNIT;
			unit |= t == T_YUAN || t == T_JIAO || t == T_FEN;
			if (rl + len <= FEE_WORDS_MAX)
				memcpy(run + rl, q, len);
			rl += len;
			q += len;
			if (t == T_FEN || t == T_ZHENG)
				break; /* the end of an amount: what follows is another */
		}
		p = q;
		if (!digit || !unit)
			continue; /* 万元, 分: words, not an amount */
		if (rl > FEE_WORDS_MAX || words_to_fen(run, rl, &fen) < 0) {
			if (w->bad++ == 0) {
				rl = rl > FEE_WORDS_MAX ? FEE_WORDS_MAX - FEE_WORDS_MAX % 3 : rl;
				memcpy(w->first_bad, run, rl);
				w->first_bad[rl] = '\0';
			}
			continue;
		}
		if (w->n == 0) {
			memcpy(w->first_words, run, rl);
			w->first_words[rl] = '\0';
		}
		found_add(w, fen);
	}
}

/* The figures after each label (小写); when there is none, after ¥ or ￥. */
static void
find_figures(const char *text, size_t n, struct found *f)
{
	static const char *labels[] = {"小写", "\xc2\xa5", "\xef\xbf\xa5"};
	const char *end = text + n, *p;
	size_t i, l;
	int64_t fen;

	for (i = 0; i < sizeof(labels) / sizeof(labels[0]) && f->n == 0; i++) {
		l = strlen(labels[i]);
		for (p = text; (size_t)(end - p) >= l; p++)
			if (memcmp(p, labels[i], l) == 0 && figure_to_fen(skip_to_figure(p + l, end), end, &fen) == 0)
				found_add(f, fen);
	}
}

static void
fen_str(int64_t fen, char *buf, size_t cap)
{
	snprintf(buf, cap, "%lld.%02lld", (long long)(fen / 100), (long long)(fen % 100));
}

static void
list_str(const struct found *f, char *buf, size_t cap)
{
	size_t i, l = 0;

	buf[0] = '\0';
	for (i = 0; i < f->n && l + 24 < cap; i++) {
		if (i) {
			memcpy(buf + l, ", ", 3);
			l += 2;
		}
		fen_str(f->v[i], buf + l, cap - l);
		l += strlen(buf + l);
	}
}

static char *
read_text(const char *path, int64_t max, size_t *len)
{
	char *buf = malloc((size_t)max + 1);
	FILE *fp = fopen(path, "rb");

	if (!buf || !fp) {
		free(buf);
		if (fp)
			fclose(fp);
		return NULL;
	}
	*len = fread(buf, 1, (size_t)max, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

static int
fee_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	struct fee *st = state;
	const char *path = host->part_path(doc, DG_ROLE_TEXT), *check;
	struct found w = {{0}, 0, 0, "", ""}, f = {{0}, 0, 0, "", ""};
	char msg[640], a[200], b[200], *text;
	size_t len;
	int flagged = 0, rc = 0;

	if (!path)
		return DG_DECLINED;
	if (!(text = read_text(path, st->max_text, &len))) {
		host->error(ctx, "fee: cannot read the text part");
		return DG_FAILED;
	}
	find_words(text, len, &w);
	find_figures(text, len, &f);
	free(text);

	if (w.bad) {
		snprintf(msg, sizeof(msg), "金额大写: '%s' is not an amount in words", w.first_bad);
		rc |= host->meta_add(doc, "field.problems", msg);
		flagged = 1;
	}
	list_str(&w, a, sizeof(a));
	list_str(&f, b, sizeof(b));
	if (w.n > 1 || f.n > 1) {
		snprintf(msg, sizeof(msg), "金额: different amounts (in words %s; in figures %s), not written", a, b);
		rc |= host->meta_add(doc, "review.reason", msg);
		check = "ambiguous";
		flagged = 1;
	} else if (w.bad && w.n == 0) {
		check = "invalid"; /* words there, but no amount: nothing to check the figure with */
	} else if (w.n == 1 && f.n == 1 && w.v[0] != f.v[0]) {
		snprintf(msg, sizeof(msg), "金额: in words %s (%s), in figures %s: they disagree, not written",
		         w.first_words, a, b);
		rc |= host->meta_add(doc, "review.reason", msg);
		check = "disagree";
		flagged = 1;
	} else if (w.n == 1 || f.n == 1) {
		rc |= host->meta_set(doc, "金额", w.n ? a : b);
		check = w.n && f.n ? "agree" : w.n ? "words only" : "figure only";
	} else {
		rc |= host->meta_add(doc, "field.problems", "金额: required, not found");
		check = "not found";
		flagged = 1;
	}
	if (w.n == 1)
		rc |= host->meta_set(doc, "金额大写", w.first_words);
	rc |= host->meta_set(doc, "fee.check", check);
	if (rc) {
		host->error(ctx, "fee: cannot set metadata");
		return DG_FAILED;
	}
	host->note(ctx, doc, "in words: %s; in figures: %s -> %s",
	           w.n     ? a
	           : w.bad ? "invalid"
	                   : "none",
	           f.n ? b : "none", check);
	return flagged ? DG_WARN : DG_OK;
}

/* ---- the stage ----------------------------------------------------- */

static int
fee_bid(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	const struct fee *st = state;
	const char *type = host->meta_get(doc, "doctype");
	char key[80];

	(void)ctx;
	if (!type || !host->part_path(doc, DG_ROLE_TEXT) || strlen(type) > 64)
		return 0;
	snprintf(key, sizeof(key), " %s ", type);
	return strstr(st->types, key) ? 60 : 0;
}

static int
fee_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct fee *st = calloc(1, sizeof(*st));
	const char *types = host->opt_string(opts, "types");
	size_t i;

	if (!st) {
		host->error(ctx, "fee: out of memory");
		return DG_FATAL;
	}
	if (!types || strlen(types) + 3 > sizeof(st->types)) {
		host->error(ctx, "fee: option types: at most %zu characters", sizeof(st->types) - 3);
		free(st);
		return DG_FATAL;
	}
	snprintf(st->types, sizeof(st->types), " %s ", types);
	for (i = 0; st->types[i]; i++)
		if (st->types[i] == ',' || st->types[i] == '\t')
			st->types[i] = ' ';
	st->max_text = host->opt_int(opts, "max-text");
	*state = st;
	return DG_OK;
}

static void
fee_fini(void *state)
{
	free(state);
}

static const struct dg_option fee_options[] = {
    {"types", DG_OPT_STRING, "FEE", "the document types (codes, space-separated) whose amounts are checked", 0, 0},
    {"max-text", DG_OPT_SIZE, "1M", "most bytes of the text read", 1024, (int64_t)64 << 20},
    {NULL, 0, NULL, NULL, 0, 0},
};

static const struct dg_plugin fee_plugin = {
    DG_PLUGIN_HEADER,
    .name = "fee",
    .version = "1.0",
    .summary = "sample document type FEE (业务费收费凭证): the amount in words checked against the figures",
    .kind = DG_KIND_CLASSIFY,
    .flags = DG_PLUGIN_SHARED,
    .options = fee_options,
    .init = fee_init,
    .fini = fee_fini,
    .bid = fee_bid,
    .process = fee_process,
};

DG_PLUGIN_DEFINE(fee_plugin)
