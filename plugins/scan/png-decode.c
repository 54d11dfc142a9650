/*
 * plugins/scan/png-decode.c -- a PNG page decoded with libpng (see
 * png-decode.h).  libpng's own errors and warnings come to the handlers
 * here; left to leptonica, they were printed on the terminal, through
 * the progress line, and the page's reason was "internal png error".
 */
#include <config.h>

#include "png-decode.h"

#include <png.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_PNG_CHUNK_MAX ((png_alloc_size_t)8 << 20) /* one chunk's data, inflated */
#define SCAN_PNG_TEXTS_MAX 32                          /* text chunks inflated by the check */

/* Chunks a page is read without: libpng checks their checksums and
 * skips their contents (no colour profile or text inflated). */
static const png_byte png_skipped[] = "cHRM\0gAMA\0iCCP\0sBIT\0sRGB\0tEXt\0zTXt\0iTXt\0"
                                      "tIME\0bKGD\0hIST\0sPLT\0oFFs\0pCAL\0sCAL\0eXIf";
#define PNG_SKIPPED_N ((int)(sizeof(png_skipped) / 5))

enum png_kind { PK_BIT, PK_PALETTE, PK_GRAY, PK_GRAY_ALPHA, PK_RGB, PK_RGBA };

/* the samples of a pixel in libpng's rows, for each kind */
static const int png_channels[] = {
    [PK_BIT] = 1, [PK_PALETTE] = 1, [PK_GRAY] = 1, [PK_GRAY_ALPHA] = 2, [PK_RGB] = 3, [PK_RGBA] = 4};

struct png_src {
	const unsigned char *data;
	size_t size, pos;
	png_uint_32 row; /* rows of the current pass read */
	int pass;
	int ending;   /* every row is read: what follows is png_read_end() */
	int cut;      /* the file ended inside a chunk (lost says where) */
	long past;    /* pixels whose index is past the palette */
	int ncolours; /* of the palette, as the page has it */
	char lost[SCAN_PNG_MSG];
	char warn[SCAN_PNG_MSG];
	int nwarn;
};

/* libpng's words, printable (a chunk's name comes from the file) */
static void
png_msg_copy(char *dst, size_t cap, const char *msg)
{
	size_t i;

	for (i = 0; msg[i] != '\0' && i + 1 < cap; i++) {
		unsigned char c = (unsigned char)msg[i];
		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[i] = '\0';
}

static void
png_on_error(png_structp png, png_const_charp msg)
{
	struct png_src *s = png_get_error_ptr(png);

	if (msg != s->lost)
		png_msg_copy(s->lost, sizeof(s->lost), msg);
	png_longjmp(png, 1);
}

static void
png_on_warning(png_structp png, png_const_charp msg)
{
	struct png_src *s = png_get_error_ptr(png);

	if (s->nwarn++ == 0)
		png_msg_copy(s->warn, sizeof(s->warn), msg);
}

static void
png_on_read(png_structp png, png_bytep buf, size_t n)
{
	struct png_src *s = png_get_io_ptr(png);

	if (n > s->size - s->pos) {
		snprintf(s->lost, sizeof(s->lost), "the file ends after %zu bytes", s->size);
		s->cut = 1;
		png_error(png, s->lost);
	}
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
}

static void
png_on_row(png_structp png, png_uint_32 row, int pass)
{
	struct png_src *s = png_get_io_ptr(png);

	s->row = row;
	s->pass = pass;
}

/* One row of libpng's output into the page's row y; returns the pixels
 * whose index is past the palette. */
static long
png_put_row(PIX *pix, enum png_kind kind, png_uint_32 y, const png_byte *p, png_uint_32 w, int ncolours)
{
	l_uint32 *line = pixGetData(pix) + (size_t)y * (size_t)pixGetWpl(pix);
	int d = pixGetDepth(pix);
	png_uint_32 x;
	long past = 0;

	switch (kind) {
	case PK_BIT: /* a gray sample of 1 is white: leptonica's 0 */
		for (x = 0; x < w; x++)
			SET_DATA_BIT_VAL(line, x, p[x] == 0);
		break;
	case PK_PALETTE:
		for (x = 0; x < w; x++) {
			unsigned v = p[x];

			/* an index past the palette is shown in its last colour */
			if ((int)v >= ncolours) {
				v = (unsigned)ncolours - 1;
				past++;
			}
			if (d == 1)
				SET_DATA_BIT_VAL(line, x, v);
			else if (d == 2)
				SET_DATA_DIBIT(line, x, v);
			else if (d == 4)
				SET_DATA_QBIT(line, x, v);
			else
				SET_DATA_BYTE(line, x, v);
		}
		break;
	case PK_GRAY: /* four pixels a word, the first in its high byte */
		for (x = 0; x + 4 <= w; x += 4)
			line[x / 4] =
			    (l_uint32)p[x] << 24 | (l_uint32)p[x + 1] << 16 | (l_uint32)p[x + 2] << 8 | p[x + 3];
		for (; x < w; x++)
			SET_DATA_BYTE(line, x, p[x]);
		break;
	case PK_GRAY_ALPHA: /* laid over white paper */
		for (x = 0; x < w; x++, p += 2)
			SET_DATA_BYTE(line, x, (p[0] * p[1] + 255u * (255u - p[1]) + 127u) / 255u);
		break;
	case PK_RGB:
		for (x = 0; x < w; x++, p += 3)
			composeRGBPixel(p[0], p[1], p[2], line + x);
		break;
	case PK_RGBA:
		for (x = 0; x < w; x++, p += 4)
			composeRGBAPixel(p[0], p[1], p[2], p[3], line + x);
		break;
	}
	return past;
}

static void png_note(struct scan_png_msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Add to the note, after what it says already. */
static void
png_note(struct scan_png_msgs *m, const char *fmt, ...)
{
	size_t n = strlen(m->note);
	va_list ap;

	if (n > 0 && n + 2 < sizeof(m->note)) {
		memcpy(m->note + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(m->note + n, sizeof(m->note) - n, fmt, ap);
	va_end(ap);
}

/* A reader of data[0..size) whose messages go to s; -1 out of memory. */
static int
png_open(struct png_src *s, const unsigned char *data, size_t size, png_structp *png, png_infop *info)
{
	memset(s, 0, sizeof(*s));
	s->data = data;
	s->size = size;
	*info = NULL;
	*png = png_create_read_struct(PNG_LIBPNG_VER_STRING, s, png_on_error, png_on_warning);
	if (*png != NULL)
		*info = png_create_info_struct(*png);
	if (*info == NULL) {
		png_destroy_read_struct(png, NULL, NULL);
		return -1;
	}
	png_set_read_fn(*png, s, png_on_read);
	png_set_benign_errors(*png, 1);
	png_set_chunk_malloc_max(*png, SCAN_PNG_CHUNK_MAX);
	return 0;
}

/* Add libpng's warnings to the note: the first, and how many more. */
static void
png_note_warnings(struct scan_png_msgs *m, const struct png_src *s)
{
	if (s->nwarn > 1)
		png_note(m, "libpng warns: %s (and %d more)", s->warn, s->nwarn - 1);
	else if (s->nwarn == 1)
		png_note(m, "libpng warns: %s", s->warn);
}

/* The transformations that give libpng's rows for the page's kind. */
static enum png_kind
png_setup(png_structp png, png_infop info, int *depth)
{
	png_uint_32 w, h;
	int bits, ct, trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;

	png_get_IHDR(png, info, &w, &h, &bits, &ct, NULL, NULL, NULL);
	*depth = 8;
	if (bits == 16)
		png_set_scale_16(png);
	if (ct == PNG_COLOR_TYPE_PALETTE && !trns) {
		if (bits < 8)
			png_set_packing(png);
		*depth = bits;
		return PK_PALETTE;
	}
	if (trns) /* a transparent colour (or palette entries): an alpha channel */
		png_set_expand(png);
	if (ct == PNG_COLOR_TYPE_PALETTE || ct == PNG_COLOR_TYPE_RGB_ALPHA || (ct == PNG_COLOR_TYPE_RGB && trns))
		return *depth = 32, PK_RGBA;
	if (ct == PNG_COLOR_TYPE_RGB)
		return *depth = 32, PK_RGB;
	if (ct == PNG_COLOR_TYPE_GRAY_ALPHA || trns)
		return PK_GRAY_ALPHA;
	if (bits == 1) {
		png_set_packing(png);
		*depth = 1;
		return PK_BIT;
	}
	if (bits < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	return PK_GRAY;
}

PIX *
scan_png_decode(const unsigned char *data, size_t size, size_t max_buffer, struct scan_png_msgs *m)
{
	struct png_src s;
	png_structp png;
	png_infop info = NULL;
	png_bytep volatile buf = NULL;
	png_bytepp volatile rows = NULL;
	PIX *volatile pix = NULL;
	PIX *done;
	volatile png_uint_32 h = 0;
	volatile int npass = 1;
	png_uint_32 w, y, xres, yres;
	png_colorp plte;
	enum png_kind kind;
	size_t rowbytes;
	int depth, unit, ncolours = 0, i;

	memset(m, 0, sizeof(*m));
	if (png_open(&s, data, size, &png, &info) != 0) {
		snprintf(m->why, sizeof(m->why), "out of memory");
		return NULL;
	}
	if (setjmp(png_jmpbuf(png))) {
		const char *cut = s.cut ? ": it was probably cut short" : "";

		if (s.ending) { /* every row is in the page: only the file's end is damaged */
			if (s.cut)
				png_note(m, "%s, before its IEND chunk%s", s.lost, cut);
			else
				png_note(m, "after the last row of pixels, libpng: %s", s.lost);
			goto out;
		}
		if (pix == NULL)
			snprintf(m->why, sizeof(m->why), "cannot decode the PNG: %s%s", s.lost, cut);
		else if (npass > 1)
			snprintf(m->why, sizeof(m->why),
			         "corrupt or truncated PNG data: %s%s (an interlaced PNG: in pass %d of %d)", s.lost,
			         cut, s.pass + 1, npass);
		else
			snprintf(m->why, sizeof(m->why), "corrupt or truncated PNG data: %s%s (from row %u of %u)",
			         s.lost, cut, (unsigned)s.row + 1, (unsigned)h);
		goto fail;
	}
	png_set_read_status_fn(png, png_on_row);
	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, png_skipped, PNG_SKIPPED_N);
	png_read_info(png, info);
	kind = png_setup(png, info, &depth);
	npass = png_set_interlace_handling(png);
	png_read_update_info(png, info);
	w = png_get_image_width(png, info);
	h = png_get_image_height(png, info);
	rowbytes = png_get_rowbytes(png, info);
	if (png_get_channels(png, info) != png_channels[kind] || png_get_bit_depth(png, info) != 8 ||
	    rowbytes < (size_t)w * (size_t)png_channels[kind]) {
		snprintf(m->why, sizeof(m->why), "cannot decode the PNG: libpng gave %d channels of %d bits",
		         png_get_channels(png, info), png_get_bit_depth(png, info));
		goto fail;
	}
	if (kind == PK_PALETTE) {
		if (png_get_PLTE(png, info, &plte, &ncolours) != PNG_INFO_PLTE || ncolours < 1) {
			snprintf(m->why, sizeof(m->why), "cannot decode the PNG: no palette");
			goto fail;
		}
	}
	if (w > INT32_MAX || h > INT32_MAX || (pix = pixCreate((l_int32)w, (l_int32)h, depth)) == NULL) {
		snprintf(m->why, sizeof(m->why), "out of memory for a %ux%u page", (unsigned)w, (unsigned)h);
		goto fail;
	}
	if (kind == PK_PALETTE) {
		PIXCMAP *cmap = pixcmapCreate(depth);

		for (i = 0; i < ncolours && i < (1 << depth); i++)
			pixcmapAddColor(cmap, plte[i].red, plte[i].green, plte[i].blue);
		s.ncolours = ncolours < (1 << depth) ? ncolours : 1 << depth;
		pixSetColormap(pix, cmap);
	}
	if (kind == PK_RGBA)
		pixSetSpp(pix, 4);
	if (png_get_pHYs(png, info, &xres, &yres, &unit) == PNG_INFO_pHYs && unit == PNG_RESOLUTION_METER &&
	    xres <= INT32_MAX && yres <= INT32_MAX)
		pixSetResolution(pix, (l_int32)(xres * 0.0254 + 0.5), (l_int32)(yres * 0.0254 + 0.5));
	if (npass > 1) {
		/* every pass adds to every row: the picture is read whole first */
		if (rowbytes > max_buffer / h) {
			snprintf(m->why, sizeof(m->why),
			         "an interlaced PNG of %ux%u needs %zu bytes more to decode, past max-memory",
			         (unsigned)w, (unsigned)h, rowbytes * h);
			goto fail;
		}
		buf = calloc(h, rowbytes);
		rows = malloc(sizeof(*rows) * h);
		if (buf == NULL || rows == NULL) {
			snprintf(m->why, sizeof(m->why), "out of memory");
			goto fail;
		}
		for (y = 0; y < h; y++)
			rows[y] = buf + (size_t)y * rowbytes;
		png_read_image(png, rows);
		for (y = 0; y < h; y++)
			s.past += png_put_row(pix, kind, y, rows[y], w, s.ncolours);
	} else {
		buf = malloc(rowbytes);
		if (buf == NULL) {
			snprintf(m->why, sizeof(m->why), "out of memory");
			goto fail;
		}
		for (y = 0; y < h; y++) {
			png_read_row(png, buf, NULL);
			s.past += png_put_row(pix, kind, y, buf, w, s.ncolours);
		}
	}
	s.ending = 1;
	png_read_end(png, NULL);
out:
	if (s.past > 0)
		png_note(m, "%ld pixel%s an index past the palette's %d colours: shown in its last colour", s.past,
		         s.past == 1 ? " has" : "s have", s.ncolours);
	png_note_warnings(m, &s);
	free(rows);
	free(buf);
	png_destroy_read_struct(&png, &info, NULL);
	return pix;
fail:
	free(rows);
	free(buf);
	png_destroy_read_struct(&png, &info, NULL);
	done = pix;
	pixDestroy(&done);
	return NULL;
}

int
scan_png_check_chunks(const unsigned char *data, size_t size, struct scan_png_msgs *m)
{
	struct png_src s;
	png_structp png;
	png_infop info = NULL;

	if (png_open(&s, data, size, &png, &info) != 0)
		return -1;
	if (setjmp(png_jmpbuf(png))) { /* an error in a chunk the page did without */
		if (s.nwarn++ == 0)
			png_msg_copy(s.warn, sizeof(s.warn), s.lost);
		goto out;
	}
	/* each text chunk may inflate to the limit: past so many, libpng
	 * warns (and the file is unfit for other readers, which would
	 * inflate them all) */
	png_set_chunk_cache_max(png, SCAN_PNG_TEXTS_MAX);
	png_read_info(png, info);
out:
	png_destroy_read_struct(&png, &info, NULL);
	png_note_warnings(m, &s);
	return s.nwarn;
}
