/* simhash.c -- see simhash.h. */
#include <config.h>

#include <string.h>

#include "simhash.h"

#define SKIP 0xffffffffu /* an invalid byte or a dropped character */

/* Decode one UTF-8 character at *p (p < end); advance *p.  An invalid
 * sequence (overlong, surrogate, truncated, > U+10FFFF) is one byte of
 * SKIP. */
static uint32_t
utf8_next(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *s = *p;
	uint32_t c = s[0], min;
	size_t n, i;

	if (c < 0x80) {
		*p = s + 1;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 1;
		c &= 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		c &= 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		c &= 0x07;
		min = 0x10000;
	} else {
		goto bad;
	}
	if ((size_t)(end - s) <= n)
		goto bad;
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*p = s + n + 1;
	return c;
bad:
	*p = s + 1;
	return SKIP;
}

/* The character as the fingerprint sees it, or SKIP. */
static uint32_t
normalise_cp(uint32_t c)
{
	if (c >= 0xff01 && c <= 0xff5e) /* full-width ASCII */
		c -= 0xfee0;
	if (c < 0x80) {
		if (c >= 'A' && c <= 'Z')
			return c + ('a' - 'A');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			return c;
		return SKIP; /* controls, space, punctuation, symbols */
	}
	if (c <= 0xbf) /* C1 controls, no-break space, Latin-1 punctuation and signs */
		return SKIP;
	if (c == 0x1680 || c == 0x180e || c == 0xfeff)
		return SKIP;            /* odd spaces, byte-order mark */
	if (c >= 0x2000 && c <= 0x206f) /* general punctuation, spaces, dashes, quotes */
		return SKIP;
	if (c >= 0x2500 && c <= 0x27bf) /* box drawing, shapes (□ ■), symbols, dingbats (✓) */
		return SKIP;
	if (c >= 0x2e00 && c <= 0x2e7f) /* supplemental punctuation */
		return SKIP;
	if (c >= 0x3000 && c <= 0x303f) {
		/* CJK symbols and punctuation, except the ones that are letters
		 * or numbers: 々 〆 〇, the Suzhou numerals, the repeat marks */
		if (c == 0x3005 || c == 0x3006 || c == 0x3007 || (c >= 0x3021 && c <= 0x3029) ||
		    (c >= 0x3031 && c <= 0x3035) || c == 0x303b || c == 0x303c)
			return c;
		return SKIP;
	}
	if (c >= 0xfe10 && c <= 0xfe1f) /* vertical forms */
		return SKIP;
	if (c >= 0xfe30 && c <= 0xfe6f) /* CJK compatibility and small forms */
		return SKIP;
	if ((c >= 0xff00 && c <= 0xff0f) || (c >= 0xff5f && c <= 0xff65) || (c >= 0xffe0 && c <= 0xffef))
		return SKIP; /* half-width punctuation, full-width signs (￥) */
	return c;
}

struct walker {
	const unsigned char *p, *end;
};

static uint32_t
walk_next(struct walker *w)
{
	while (w->p < w->end) {
		uint32_t c = utf8_next(&w->p, w->end);
		if (c != SKIP && (c = normalise_cp(c)) != SKIP)
			return c;
	}
	return SKIP;
}

static uint64_t
trigram_hash(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t v[3] = {a, b, c};
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 */
	int i, k;

	for (i = 0; i < 3; i++)
		for (k = 0; k < 4; k++) {
			h ^= (v[i] >> (8 * k)) & 0xffu;
			h *= 0x100000001b3ull;
		}
	/* fmix64: FNV's high bits depend weakly on the last bytes */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

int
dg_simhash(const char *text, size_t len, uint64_t *out)
{
	struct walker w;
	int64_t v[64];
	uint32_t a, b, c;
	size_t n = 0;
	uint64_t h = 0;
	int i;

	*out = 0;
	if (!text)
		return 1;
	if (len > DG_SIMHASH_MAX_BYTES)
		len = DG_SIMHASH_MAX_BYTES;
	w.p = (const unsigned char *)text;
	w.end = w.p + len;
	memset(v, 0, sizeof(v));
	a = walk_next(&w);
	b = a == SKIP ? SKIP : walk_next(&w);
	if (a != SKIP)
		n++;
	if (b != SKIP)
		n++;
	while (b != SKIP && (c = walk_next(&w)) != SKIP) {
		uint64_t t = trigram_hash(a, b, c);
		for (i = 0; i < 64; i++)
			v[i] += (int64_t)((t >> i) & 1) * 2 - 1;
		n++;
		a = b;
		b = c;
	}
	if (n < DG_SIMHASH_MIN_CHARS)
		return 1;
	for (i = 0; i < 64; i++)
		if (v[i] > 0)
			h |= (uint64_t)1 << i;
	*out = h;
	return 0;
}

size_t
dg_simhash_normalise(const char *text, size_t len, struct dg_buf *b)
{
	struct walker w;
	size_t n = 0;
	uint32_t c;

	if (len > DG_SIMHASH_MAX_BYTES)
		len = DG_SIMHASH_MAX_BYTES;
	w.p = (const unsigned char *)text;
	w.end = w.p + len;
	while ((c = walk_next(&w)) != SKIP) {
		unsigned char u[4];
		size_t k;
		if (c < 0x80) {
			u[0] = (unsigned char)c;
			k = 1;
		} else if (c < 0x800) {
			u[0] = (unsigned char)(0xc0 | (c >> 6));
			u[1] = (unsigned char)(0x80 | (c & 0x3f));
			k = 2;
		} else if (c < 0x10000) {
			u[0] = (unsigned char)(0xe0 | (c >> 12));
			u[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
			u[2] = (unsigned char)(0x80 | (c & 0x3f));
			k = 3;
		} else {
			u[0] = (unsigned char)(0xf0 | (c >> 18));
			u[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
			u[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
			u[3] = (unsigned char)(0x80 | (c & 0x3f));
			k = 4;
		}
		dg_buf_add(b, u, k);
		n++;
	}
	return n;
}

int
dg_simhash_distance(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}
