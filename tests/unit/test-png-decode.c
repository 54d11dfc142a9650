/* test-png-decode.c -- the scan plugin's PNG decoder (plugins/scan/
 * png-decode.c) on PNGs written here with libpng: every colour type and
 * bit depth, with and without transparency, plain and interlaced, each
 * pixel checked against the pattern it was written from (laid over
 * white) and against leptonica's own reading of the same file; the
 * resolution; and damaged files: cut short in the header, in the
 * pixels and before IEND, a bad checksum in IDAT and in an ancillary
 * chunk, an index past the palette, an interlaced picture too large for
 * its buffer.  libpng's messages must come back as words, not on the
 * terminal. */
#include <config.h>

#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/scan/png-decode.h"
#include "tap.h"

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void
buf_write(png_structp png, png_bytep d, size_t n)
{
	struct buf *b = png_get_io_ptr(png);

	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void
buf_flush(png_structp png)
{
}

struct spec {
	const char *name;
	int ct, bits, interlace, trns;
	int ncolours; /* of the palette (0: 1 << bits) */
	int noise;    /* samples that do not compress */
};

static int
spec_channels(const struct spec *s)
{
	switch (s->ct) {
	case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
	case PNG_COLOR_TYPE_RGB: return 3;
	case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
	default: return 1;
	}
}

/* the sample of channel c at x, y, of bits bits */
static unsigned
sample(const struct spec *s, int x, int y, int c)
{
	unsigned max = (1u << s->bits) - 1, v;

	if (s->noise) {
		uint32_t h = (uint32_t)x * 73856093u ^ (uint32_t)y * 19349663u ^ (uint32_t)c * 83492791u;
		h ^= h >> 13;
		h *= 0x5bd1e995u;
		h ^= h >> 15;
		v = h;
	} else {
		v = (unsigned)(x * 7 + y * 13 + c * 50);
		if (s->bits == 16)
			v *= 257;
	}
	if (s->ct == PNG_COLOR_TYPE_PALETTE)
		return v % (unsigned)(s->ncolours ? s->ncolours : 1 << s->bits);
	return v & max;
}

static void
palette_colour(int i, int *r, int *g, int *b, int *a)
{
	*r = i * 37 % 256;
	*g = i * 91 % 256;
	*b = i * 53 % 256;
	*a = i % 3 == 0 ? 0 : i * 29 % 256;
}

/* the transparent colour of a gray or RGB file with tRNS */
#define TRNS_VALUE 1u

static struct buf
make_png(const struct spec *s, int w, int h, int ppm)
{
	struct buf b = {0};
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	int ch = spec_channels(s), x, y, c, i;
	size_t rowbytes = ((size_t)w * (size_t)ch * (size_t)s->bits + 7) / 8;
	png_bytep *rows = calloc((size_t)h, sizeof(*rows));

	if (setjmp(png_jmpbuf(png)))
		abort();
	png_set_write_fn(png, &b, buf_write, buf_flush);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, s->bits, s->ct,
	             s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	             PNG_FILTER_TYPE_DEFAULT);
	if (s->ct == PNG_COLOR_TYPE_PALETTE) {
		png_color pal[256];
		png_byte alpha[256];
		int n = s->ncolours ? s->ncolours : 1 << s->bits, r, g, bl, a;

		for (i = 0; i < n; i++) {
			palette_colour(i, &r, &g, &bl, &a);
			pal[i].red = (png_byte)r;
			pal[i].green = (png_byte)g;
			pal[i].blue = (png_byte)bl;
			alpha[i] = (png_byte)a;
		}
		png_set_PLTE(png, info, pal, n);
		if (s->trns)
			png_set_tRNS(png, info, alpha, n, NULL);
	} else if (s->trns) {
		png_color_16 t = {.gray = TRNS_VALUE, .red = TRNS_VALUE, .green = TRNS_VALUE, .blue = TRNS_VALUE};
		png_set_tRNS(png, info, NULL, 0, &t);
	}
	if (ppm > 0)
		png_set_pHYs(png, info, (png_uint_32)ppm, (png_uint_32)ppm, PNG_RESOLUTION_METER);
	for (y = 0; y < h; y++) {
		rows[y] = calloc(1, rowbytes);
		for (x = 0; x < w; x++)
			for (c = 0; c < ch; c++) {
				unsigned v = sample(s, x, y, c);
				size_t k = (size_t)x * (size_t)ch + (size_t)c;

				if (s->bits == 16) {
					rows[y][2 * k] = (png_byte)(v >> 8);
					rows[y][2 * k + 1] = (png_byte)v;
				} else if (s->bits == 8) {
					rows[y][k] = (png_byte)v;
				} else {
					size_t bit = k * (size_t)s->bits;
					rows[y][bit / 8] |= (png_byte)(v << (8 - s->bits - bit % 8));
				}
			}
	}
	png_write_info(png, info);
	png_write_image(png, rows);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	for (y = 0; y < h; y++)
		free(rows[y]);
	free(rows);
	return b;
}

static unsigned
to8(const struct spec *s, unsigned v)
{
	if (s->bits == 16)
		return (v * 255u + 32767u) / 65535u;
	return v * 255u / ((1u << s->bits) - 1);
}

static unsigned
over_white(unsigned v, unsigned a)
{
	return (v * a + 255u * (255u - a) + 127u) / 255u;
}

/* the colour the pattern puts at x, y, laid over white */
static void
expected(const struct spec *s, int x, int y, unsigned rgb[3])
{
	unsigned a = 255;
	int c;

	if (s->ct == PNG_COLOR_TYPE_PALETTE) {
		int r, g, b, al;

		palette_colour((int)sample(s, x, y, 0), &r, &g, &b, &al);
		a = s->trns ? (unsigned)al : 255u;
		rgb[0] = over_white((unsigned)r, a);
		rgb[1] = over_white((unsigned)g, a);
		rgb[2] = over_white((unsigned)b, a);
		return;
	}
	if (s->ct == PNG_COLOR_TYPE_GRAY || s->ct == PNG_COLOR_TYPE_GRAY_ALPHA) {
		unsigned v = sample(s, x, y, 0);

		if (s->ct == PNG_COLOR_TYPE_GRAY_ALPHA)
			a = to8(s, sample(s, x, y, 1));
		else if (s->trns && v == TRNS_VALUE)
			a = 0;
		rgb[0] = rgb[1] = rgb[2] = over_white(to8(s, v), a);
		return;
	}
	if (s->ct == PNG_COLOR_TYPE_RGB_ALPHA)
		a = to8(s, sample(s, x, y, 3));
	else if (s->trns && sample(s, x, y, 0) == TRNS_VALUE && sample(s, x, y, 1) == TRNS_VALUE &&
	         sample(s, x, y, 2) == TRNS_VALUE)
		a = 0;
	for (c = 0; c < 3; c++)
		rgb[c] = over_white(to8(s, sample(s, x, y, c)), a);
}

/* a page as 32 bpp RGB over white, whatever its depth and colormap */
static PIX *
flat(PIX *p)
{
	PIX *a = pixGetColormap(p) ? pixRemoveColormap(p, REMOVE_CMAP_TO_FULL_COLOR) : pixClone(p), *b;

	if (pixGetDepth(a) == 32 && pixGetSpp(a) == 4) {
		b = pixAlphaBlendUniform(a, 0xffffff00);
		pixDestroy(&a);
		a = b;
	}
	b = pixConvertTo32(a);
	pixDestroy(&a);
	return b;
}

/* the largest difference of a channel between page and pattern, or
 * between page and leptonica's reading (ref) when ref is not NULL */
static int
max_diff(const struct spec *s, PIX *page, PIX *ref)
{
	PIX *f = flat(page), *g = ref ? flat(ref) : NULL;
	int w = pixGetWidth(f), h = pixGetHeight(f), x, y, c, worst = 0;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			l_uint32 v;
			l_int32 got[3], want[3];
			unsigned e[3];

			pixGetPixel(f, x, y, &v);
			extractRGBValues(v, &got[0], &got[1], &got[2]);
			if (g != NULL) {
				pixGetPixel(g, x, y, &v);
				extractRGBValues(v, &want[0], &want[1], &want[2]);
			} else {
				expected(s, x, y, e);
				for (c = 0; c < 3; c++)
					want[c] = (l_int32)e[c];
			}
			for (c = 0; c < 3; c++)
				if (abs(got[c] - want[c]) > worst)
					worst = abs(got[c] - want[c]);
		}
	pixDestroy(&f);
	pixDestroy(&g);
	return worst;
}

/* where the chunk named name starts (its length field), or 0 */
static size_t
chunk_at(const struct buf *b, const char *name)
{
	size_t off = 8;

	while (off + 12 <= b->n) {
		size_t len =
		    (size_t)b->p[off] << 24 | (size_t)b->p[off + 1] << 16 | (size_t)b->p[off + 2] << 8 | b->p[off + 3];
		if (memcmp(b->p + off + 4, name, 4) == 0)
			return off;
		off += 12 + len;
	}
	return 0;
}

/* flip a bit of the checksum of the first chunk named name */
static void
break_crc(struct buf *b, const char *name)
{
	size_t off = chunk_at(b, name);
	size_t len = (size_t)b->p[off] << 24 | (size_t)b->p[off + 1] << 16 | (size_t)b->p[off + 2] << 8 | b->p[off + 3];

	b->p[off + 8 + len] ^= 1;
}

static uint32_t
crc32_of(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return c ^ 0xffffffffu;
}

/* b with a chunk (name, data of n bytes, a right checksum) after IHDR */
static struct buf
with_chunk(const struct buf *b, const char *name, const char *data, size_t n)
{
	struct buf c = {malloc(b->n + n + 12), b->n + n + 12, b->n + n + 12};
	size_t at = 8 + 25, i;
	uint32_t crc;

	memcpy(c.p, b->p, at);
	for (i = 0; i < 4; i++)
		c.p[at + i] = (unsigned char)(n >> (24 - 8 * i));
	memcpy(c.p + at + 4, name, 4);
	memcpy(c.p + at + 8, data, n);
	crc = crc32_of(c.p + at + 4, n + 4);
	for (i = 0; i < 4; i++)
		c.p[at + 8 + n + i] = (unsigned char)(crc >> (24 - 8 * i));
	memcpy(c.p + at + 12 + n, b->p + at, b->n - at);
	return c;
}

/* chunks a page does not need are not read, but their checksums are */
static void
test_skipped(void)
{
	static const struct spec gray = {"gray", PNG_COLOR_TYPE_GRAY, 8, 0, 0, 0, 0};
	static const char iccp[] = "profile\0\0not a deflate stream";
	struct buf b = make_png(&gray, 37, 23, 0), c;
	struct scan_png_msgs m;
	PIX *pix;

	c = with_chunk(&b, "iCCP", iccp, sizeof(iccp) - 1);
	pix = scan_png_decode(c.p, c.n, SIZE_MAX, &m);
	ok(pix != NULL && max_diff(&gray, pix, NULL) == 0, "a broken colour profile: every pixel read");
	is_str(m.note, "", "a broken colour profile: not read, nothing to note");
	pixDestroy(&pix);
	free(c.p);
	c = with_chunk(&b, "tEXt", "Title\0a page", 12);
	c.p[8 + 25 + 8 + 12] ^= 1;
	pix = scan_png_decode(c.p, c.n, SIZE_MAX, &m);
	ok(pix != NULL && max_diff(&gray, pix, NULL) == 0, "a text chunk with a bad checksum: every pixel read");
	is_str(m.note, "libpng warns: tEXt: CRC error", "a text chunk with a bad checksum: noted");
	pixDestroy(&pix);
	free(c.p);
	free(b.p);
}

/* what any other reader finds in the chunks before the pixels */
static void
test_check_chunks(void)
{
	static const struct spec gray = {"gray", PNG_COLOR_TYPE_GRAY, 8, 0, 0, 0, 0};
	static const char iccp[] = "profile\0\0not a deflate stream";
	static const char srgb[] = "\0";
	struct buf b = make_png(&gray, 37, 23, 0), c;
	struct scan_png_msgs m;

	memset(&m, 0, sizeof(m));
	is_int(scan_png_check_chunks(b.p, b.n, &m), 0, "a sound PNG: no warning");
	is_str(m.note, "", "... nothing to note");
	c = with_chunk(&b, "sRGB", srgb, 1);
	is_int(scan_png_check_chunks(c.p, c.n, &m), 0, "a sound sRGB chunk: no warning");
	is_str(m.note, "", "... nothing to note");
	free(c.p);
	c = with_chunk(&b, "iCCP", iccp, sizeof(iccp) - 1);
	is_int(scan_png_check_chunks(c.p, c.n, &m), 1, "a broken colour profile: one warning");
	is_str(m.note, "libpng warns: iCCP: too short", "... in the note");
	free(c.p);
	/* text chunks: 30 are read, more are refused with a warning */
	{
		struct buf t = {malloc(b.n), b.n, b.n}, u;
		int i;

		memcpy(t.p, b.p, b.n);
		for (i = 0; i < 40; i++) {
			u = with_chunk(&t, "tEXt", "Title\0a page", 12);
			free(t.p);
			t = u;
			if (i == 29) {
				m.note[0] = '\0';
				is_int(scan_png_check_chunks(t.p, t.n, &m), 0, "30 text chunks: no warning");
				is_str(m.note, "", "... nothing to note");
			}
		}
		m.note[0] = '\0';
		is_int(scan_png_check_chunks(t.p, t.n, &m), 1, "40 text chunks: one warning");
		is_str(m.note, "libpng warns: tEXt: no space in chunk cache", "... in the note");
		free(t.p);
	}
	c = with_chunk(&b, "sRGB", "\7", 1);
	strcpy(m.note, "after the last row of pixels, libpng: IEND: CRC error");
	is_int(scan_png_check_chunks(c.p, c.n, &m), 1, "an sRGB chunk with an unknown intent: one warning");
	is_str(m.note,
	       "after the last row of pixels, libpng: IEND: CRC error; libpng warns: sRGB: profile 'sRGB': "
	       "7h: invalid sRGB rendering intent",
	       "... after what the note said");
	free(c.p);
	free(b.p);
}

static void
test_kinds(void)
{
	static const struct spec specs[] = {
	    {"gray 1-bit", PNG_COLOR_TYPE_GRAY, 1, 0, 0, 0, 0},
	    {"gray 2-bit", PNG_COLOR_TYPE_GRAY, 2, 0, 0, 0, 0},
	    {"gray 4-bit", PNG_COLOR_TYPE_GRAY, 4, 0, 0, 0, 0},
	    {"gray 8-bit", PNG_COLOR_TYPE_GRAY, 8, 0, 0, 0, 0},
	    {"gray 16-bit", PNG_COLOR_TYPE_GRAY, 16, 0, 0, 0, 0},
	    {"gray 8-bit, tRNS", PNG_COLOR_TYPE_GRAY, 8, 0, 1, 0, 0},
	    {"gray 2-bit, tRNS", PNG_COLOR_TYPE_GRAY, 2, 0, 1, 0, 0},
	    {"gray+alpha 8-bit", PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 0, 0, 0},
	    {"gray+alpha 16-bit", PNG_COLOR_TYPE_GRAY_ALPHA, 16, 0, 0, 0, 0},
	    {"palette 1-bit", PNG_COLOR_TYPE_PALETTE, 1, 0, 0, 0, 0},
	    {"palette 2-bit", PNG_COLOR_TYPE_PALETTE, 2, 0, 0, 0, 0},
	    {"palette 4-bit, 11 colours", PNG_COLOR_TYPE_PALETTE, 4, 0, 0, 11, 0},
	    {"palette 8-bit", PNG_COLOR_TYPE_PALETTE, 8, 0, 0, 0, 0},
	    {"palette 8-bit, tRNS", PNG_COLOR_TYPE_PALETTE, 8, 0, 1, 0, 0},
	    {"palette 4-bit, tRNS", PNG_COLOR_TYPE_PALETTE, 4, 0, 1, 0, 0},
	    {"RGB 8-bit", PNG_COLOR_TYPE_RGB, 8, 0, 0, 0, 0},
	    {"RGB 16-bit", PNG_COLOR_TYPE_RGB, 16, 0, 0, 0, 0},
	    {"RGB 8-bit, tRNS", PNG_COLOR_TYPE_RGB, 8, 0, 1, 0, 0},
	    {"RGBA 8-bit", PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, 0, 0, 0},
	    {"RGBA 16-bit", PNG_COLOR_TYPE_RGB_ALPHA, 16, 0, 0, 0, 0},
	    {"gray 1-bit, interlaced", PNG_COLOR_TYPE_GRAY, 1, 1, 0, 0, 0},
	    {"gray 8-bit, interlaced", PNG_COLOR_TYPE_GRAY, 8, 1, 0, 0, 0},
	    {"palette 4-bit, interlaced", PNG_COLOR_TYPE_PALETTE, 4, 1, 0, 0, 0},
	    {"RGBA 16-bit, interlaced", PNG_COLOR_TYPE_RGB_ALPHA, 16, 1, 0, 0, 0},
	    {"gray+alpha 8-bit, interlaced", PNG_COLOR_TYPE_GRAY_ALPHA, 8, 1, 0, 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct spec *s = &specs[i];
		/* odd sizes: rows that end inside a byte, passes of uneven length */
		struct buf b = make_png(s, 37, 23, i % 2 ? 11811 : 0);
		struct scan_png_msgs m;
		PIX *pix = scan_png_decode(b.p, b.n, SIZE_MAX, &m), *ref;
		int d, want_depth, tol, diff;

		if (!ok(pix != NULL, "%s: decoded", s->name)) {
			diag("%s", m.why);
			free(b.p);
			continue;
		}
		is_str(m.note, "", "%s: nothing to note", s->name);
		is_int(pixGetWidth(pix) * 1000 + pixGetHeight(pix), 37023, "%s: 37x23", s->name);
		is_int(pixGetXRes(pix), i % 2 ? 300 : 0, "%s: resolution from pHYs (or none)", s->name);
		d = pixGetDepth(pix);
		if (s->ct == PNG_COLOR_TYPE_PALETTE && !s->trns)
			want_depth = s->bits;
		else if (s->ct == PNG_COLOR_TYPE_GRAY && s->bits == 1 && !s->trns)
			want_depth = 1;
		else if (s->ct == PNG_COLOR_TYPE_GRAY || s->ct == PNG_COLOR_TYPE_GRAY_ALPHA)
			want_depth = 8;
		else
			want_depth = 32;
		is_int(d, want_depth, "%s: depth", s->name);
		is_int(pixGetColormap(pix) != NULL, s->ct == PNG_COLOR_TYPE_PALETTE && !s->trns, "%s: colormap",
		       s->name);
		if (d == 32)
			is_int(pixGetSpp(pix), s->ct == PNG_COLOR_TYPE_RGB && !s->trns ? 3 : 4, "%s: samples", s->name);
		/* exact but for the rounding of 16 bits to 8 and of alpha */
		tol =
		    s->bits == 16 || s->trns || s->ct == PNG_COLOR_TYPE_GRAY_ALPHA || s->ct == PNG_COLOR_TYPE_RGB_ALPHA;
		diff = max_diff(s, pix, NULL);
		ok(diff <= tol, "%s: every pixel as written (off by %d, at most %d)", s->name, diff, tol);
		pixDestroy(&pix);
		free(b.p);
		/* leptonica reads transparency its own way; without, the same
		 * (not interlaced, and in rows of whole 32-bit words: leptonica
		 * leaves bits past a row's end unset, and reads them) */
		if (!s->trns && !s->interlace && s->ct != PNG_COLOR_TYPE_GRAY_ALPHA &&
		    s->ct != PNG_COLOR_TYPE_RGB_ALPHA) {
			b = make_png(s, 64, 23, 0);
			pix = scan_png_decode(b.p, b.n, SIZE_MAX, &m);
			ref = pixReadMem(b.p, b.n);
			ok(pix != NULL && ref != NULL && max_diff(s, pix, ref) <= 1, "%s: as leptonica reads it",
			   s->name);
			pixDestroy(&ref);
			pixDestroy(&pix);
			free(b.p);
		}
	}
}

static void
test_damaged(void)
{
	static const struct spec noise = {"noise", PNG_COLOR_TYPE_GRAY, 8, 0, 0, 0, 1};
	static const struct spec noise_il = {"noise", PNG_COLOR_TYPE_GRAY, 8, 1, 0, 0, 1};
	static const struct spec pal = {"palette", PNG_COLOR_TYPE_PALETTE, 2, 0, 0, 3, 0};
	struct buf b = make_png(&noise, 300, 200, 11811), c;
	struct scan_png_msgs m;
	PIX *pix;
	char want[128];
	unsigned row = 0;

	ok(b.n > 60000, "a picture of noise does not compress (%zu bytes)", b.n);

	/* cut in the middle of the pixels */
	pix = scan_png_decode(b.p, b.n / 2, SIZE_MAX, &m);
	snprintf(want, sizeof(want),
	         "corrupt or truncated PNG data: the file ends after %zu bytes: it was probably "
	         "cut short (from row ",
	         b.n / 2);
	ok(pix == NULL && strncmp(m.why, want, strlen(want)) == 0, "cut in half: refused, saying so");
	diag("%s", m.why);
	sscanf(m.why + strlen(want), "%u", &row);
	ok(row > 50 && row < 150, "cut in half: the row it stopped at (%u) is about half way", row);

	/* cut in the header */
	pix = scan_png_decode(b.p, 40, SIZE_MAX, &m);
	is_str(m.why, "cannot decode the PNG: the file ends after 40 bytes: it was probably cut short",
	       "cut in the header: refused, saying so");
	ok(pix == NULL, "cut in the header: no page");

	/* not a PNG */
	pix = scan_png_decode((const unsigned char *)"GIF89a and more bytes", 21, SIZE_MAX, &m);
	ok(pix == NULL && strstr(m.why, "cannot decode the PNG: ") == m.why, "not a PNG: refused (%s)", m.why);

	/* IEND cut off: the picture is whole */
	pix = scan_png_decode(b.p, b.n - 12, SIZE_MAX, &m);
	ok(pix != NULL && max_diff(&noise, pix, NULL) == 0, "IEND cut off: every pixel read");
	snprintf(want, sizeof(want), "the file ends after %zu bytes, before its IEND chunk: it was probably cut short",
	         b.n - 12);
	is_str(m.note, want, "IEND cut off: noted");
	pixDestroy(&pix);

	/* a bad checksum: in IDAT, the picture cannot be trusted; in pHYs,
	 * the resolution is lost, the picture is whole */
	c = b;
	c.p = malloc(b.n);
	memcpy(c.p, b.p, b.n);
	break_crc(&c, "IDAT");
	pix = scan_png_decode(c.p, c.n, SIZE_MAX, &m);
	ok(pix == NULL && strstr(m.why, "corrupt or truncated PNG data: IDAT: CRC error (from row ") == m.why,
	   "bad IDAT checksum: refused (%s)", m.why);
	memcpy(c.p, b.p, b.n);
	break_crc(&c, "pHYs");
	pix = scan_png_decode(c.p, c.n, SIZE_MAX, &m);
	ok(pix != NULL && max_diff(&noise, pix, NULL) == 0, "bad pHYs checksum: every pixel read");
	is_int(pix ? pixGetXRes(pix) : -1, 0, "bad pHYs checksum: no resolution");
	is_str(m.note, "libpng warns: pHYs: CRC error", "bad pHYs checksum: noted");
	pixDestroy(&pix);
	free(c.p);
	free(b.p);

	/* interlaced: the whole picture in a buffer, or refused */
	b = make_png(&noise_il, 300, 200, 0);
	pix = scan_png_decode(b.p, b.n, 300 * 200 - 1, &m);
	ok(pix == NULL && strstr(m.why, "an interlaced PNG of 300x200 needs 60000 bytes more to decode") == m.why,
	   "interlaced, buffer too small: refused (%s)", m.why);
	pix = scan_png_decode(b.p, b.n, 300 * 200, &m);
	ok(pix != NULL && max_diff(&noise_il, pix, NULL) == 0, "interlaced, buffer just large enough: read");
	pixDestroy(&pix);
	pix = scan_png_decode(b.p, b.n * 3 / 4, SIZE_MAX, &m);
	ok(pix == NULL && strstr(m.why, "it was probably cut short (an interlaced PNG: in pass ") != NULL,
	   "interlaced, cut short: refused, with the pass (%s)", m.why);
	free(b.p);

	/* indexes 0..3 in a palette of 3 colours: the last colour stands
	 * for the missing one, and the note says how many pixels it took */
	b = make_png(&pal, 37, 23, 0);
	c = b;
	{
		static const struct spec pal4 = {"palette", PNG_COLOR_TYPE_PALETTE, 2, 0, 0, 4, 0};
		struct buf d = make_png(&pal4, 37, 23, 0);
		size_t po = chunk_at(&d, "PLTE");

		/* the 4-colour picture with the 3-colour palette: the chunks
		 * are the same size but the palette's length */
		c.p = malloc(d.n);
		c.n = 0;
		memcpy(c.p, d.p, po);
		memcpy(c.p + po, b.p + chunk_at(&b, "PLTE"), 12 + 9);
		c.n = po + 21;
		memcpy(c.p + c.n, d.p + po + 12 + 12, d.n - (po + 24));
		c.n += d.n - (po + 24);
		free(d.p);
	}
	pix = scan_png_decode(c.p, c.n, SIZE_MAX, &m);
	ok(pix != NULL && pixcmapGetCount(pixGetColormap(pix)) == 3, "index past the palette: read, 3 colours");
	is_str(m.note, "212 pixels have an index past the palette's 3 colours: shown in its last colour",
	       "index past the palette: noted");
	if (pix != NULL) {
		l_uint32 v;

		pixGetPixel(pix, 1, 0, &v); /* index 7 % 4 */
		is_int(v, 2, "index past the palette: the last colour stands for it");
	}
	pixDestroy(&pix);
	free(c.p);
	free(b.p);
}

int
main(void)
{
	test_kinds();
	test_skipped();
	test_check_chunks();
	test_damaged();
	return done_testing();
}
