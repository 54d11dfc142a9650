/* test-analysis.c -- the page analysis of plugins/prep/analysis.h on
 * pages drawn here: the text height of a page of glyph-like boxes,
 * whatever specks, rules and dots it also holds; nothing from a page
 * with too few glyphs; the skew search's binary copy at half the
 * resolution, with the text height measured on it; which pages are
 * negatives (light text on a dark ground). */
#include <config.h>

#include <stdlib.h>

#include "../../plugins/prep/analysis.h"
#include "tap.h"

/* a box of ink (1 bpp page) or of black (8 bpp page) */
static void
ink(PIX *pix, int x, int y, int w, int h)
{
	if (pixGetDepth(pix) == 1)
		pixRasterop(pix, x, y, w, h, PIX_SET, NULL, 0, 0);
	else
		pixRasterop(pix, x, y, w, h, PIX_CLR, NULL, 0, 0);
}

/* lines of "characters" h pixels tall: each a frame of strokes (one
 * component as tall as the character) and a small dot beside it (a
 * shorter component, as the parts of Chinese characters are) */
static void
text(PIX *pix, int top, int lines, int per_line, int h)
{
	int l, c, x, y;

	for (l = 0; l < lines; l++)
		for (c = 0; c < per_line; c++) {
			x = 40 + c * (h + h / 3);
			y = top + l * 2 * h;
			ink(pix, x, y, 3, h);                         /* left stroke */
			ink(pix, x, y, h * 2 / 3, 3);                 /* top stroke */
			ink(pix, x + h * 2 / 3 - 3, y, 3, h);         /* right stroke */
			ink(pix, x + h * 3 / 4 + 2, y + h / 2, 3, 4); /* a dot */
		}
}

int
main(void)
{
	PIX *page, *gray, *bin = NULL;
	int glyphs = 0, h, factor = 0, i;
	float angle, conf;

	/* 20 lines of 30 characters 24 pixels tall */
	page = pixCreate(1400, 1200, 1);
	text(page, 40, 20, 30, 24);
	h = prep_text_height(page, &glyphs);
	is_int(h, 24, "characters 24 px tall: text height 24");
	ok(glyphs >= 600, "measured on the characters (%d glyphs)", glyphs);

	/* specks everywhere, a rule across the page, a tall frame: the same */
	srand(1);
	for (i = 0; i < 3000; i++)
		ink(page, rand() % 1398, rand() % 1198, 1 + rand() % 2, 1 + rand() % 2);
	ink(page, 10, 1150, 1380, 3);  /* a horizontal rule */
	ink(page, 1380, 10, 3, 1180);  /* a vertical rule */
	ink(page, 1300, 100, 60, 400); /* a picture */
	h = prep_text_height(page, &glyphs);
	is_int(h, 24, "specks, rules and a picture do not change it (%d)", h);
	pixDestroy(&page);

	/* a heading in characters 60 tall over the body text 24 tall */
	page = pixCreate(1400, 1400, 1);
	text(page, 20, 2, 10, 60);
	text(page, 300, 20, 30, 24);
	is_int(prep_text_height(page, &glyphs), 24, "a large heading: the body text's height");
	pixDestroy(&page);

	/* too few glyphs: nothing to say */
	page = pixCreate(1400, 1200, 1);
	text(page, 40, 1, 20, 24);
	is_int(prep_text_height(page, &glyphs), 0, "20 characters: no text height");
	is_int(glyphs, 0, "... and no glyphs counted");
	pixDestroy(&page);
	page = pixCreate(800, 800, 1);
	is_int(prep_text_height(page, &glyphs), 0, "an empty page: no text height");
	pixDestroy(&page);

	/* a gray page: the skew search's binary copy is at half the
	 * resolution and measures half the height */
	gray = pixCreate(2400, 2400, 8);
	pixSetAll(gray);
	text(gray, 60, 30, 40, 42);
	ok(prep_find_skew_bin(gray, &angle, &conf, &bin, &factor) == 0 && bin != NULL, "skew search on a gray page");
	is_int(factor, 2, "... on a copy at half the resolution");
	is_int(pixGetDepth(bin), 1, "... which is binary");
	h = prep_text_height(bin, &glyphs) * factor;
	ok(h >= 40 && h <= 44, "characters 42 px tall on the gray page: text height %d", h);
	ok(angle > -0.1f && angle < 0.1f, "an upright page has no skew (%.2f)", angle);
	pixDestroy(&bin);

	/* polarity: the page above is no negative, its inversion is one */
	{
		PIX *neg, *sheet;
		double dark = -1;

		ok(!prep_negative(gray, &dark), "dark text on white: no negative");
		ok(dark > 0.0 && dark < 0.4, "... the dark is the ink (%.2f of the page)", dark);
		neg = pixInvert(NULL, gray);
		ok(prep_negative(neg, &dark), "light text on black: a negative");
		ok(dark > 0.6 && dark < 1.0, "... dark over most of the page (%.2f)", dark);
		/* a white sheet of text (a quarter of the page) on the black
		 * of a scanner's open lid: the light in one large piece */
		pixClearAll(neg);
		sheet = pixCreate(1200, 1200, 8);
		pixSetAll(sheet);
		text(sheet, 60, 15, 20, 42);
		pixRasterop(neg, 600, 600, 1200, 1200, PIX_SRC, sheet, 0, 0);
		ok(!prep_negative(neg, &dark), "a white sheet on a black ground: no negative");
		ok(dark > 0.6, "... though the dark covers most of the page (%.2f)", dark);
		/* a black page with a few light specks: nothing to read */
		pixClearAll(neg);
		for (i = 0; i < 40; i++)
			pixRasterop(neg, 100 + i * 50, 1000, 8, 8, PIX_SET, NULL, 0, 0);
		ok(!prep_negative(neg, &dark), "a black page with specks: no negative");
		pixDestroy(&sheet);
		pixDestroy(&neg);
		neg = pixCreate(1000, 1000, 32);
		ok(!prep_negative(neg, &dark), "not a gray page: no answer");
		pixDestroy(&neg);
	}
	pixDestroy(&gray);
	return done_testing();
}
