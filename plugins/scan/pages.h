/*
 * pages.h -- the decoded pages of a scanned document, shared by the
 * scan, prep and ocr stages through the host's scratch objects, so that
 * a page is decoded once and no later stage reads the original again.
 *
 * Contract: the scan stage sets scratch key DG_PAGES_KEY to a
 * struct dg_pages * (destroy function dg_pages_free from the same
 * module).  Later stages may change pages[i].prepared (owning it) and
 * the per-page fields documented as theirs; they never free pix.
 * All three plugins link leptonica; PIX is leptonica's image.
 *
 * What scan guarantees (plugins/scan/scan.c):
 *  - page[0..n) holds the decoded pages only, in page order: pages left
 *    out by the stage's `pages` option, and the pages of a PDF that
 *    carry a text layer (with ocr auto or skip: its text is kept, they
 *    are not rendered) are absent; n may be 0.  The object is set for
 *    every document the stage accepted, even then.
 *  - total is the document's pages.  layer (a PDF with a text layer on
 *    some pages, when OCR is to run; else NULL): the text of each page
 *    that has one and is absent from page[], by page number - 1, NULL
 *    for the others.  The scan stage has already added the layer's
 *    text as the text part; a stage that writes the text part anew
 *    puts these pages' text in their places, so a PDF scanned but for
 *    a few born-digital pages keeps those pages' own text.  layout
 *    (with layer, else NULL): the words of each such page's text and
 *    where they are on it, as poppler lays the text out, for an hOCR
 *    of the whole document.
 *  - pix is 1 bpp (1 = black), 8 bpp gray or 32 bpp RGB, never with a
 *    colormap or alpha; its resolution (pixGetXRes) is xres/yres.
 *  - xres/yres: for an image file, the resolution it records (0 when it
 *    records none, e.g. PNM or JPEG without a density); for a PDF page,
 *    the resolution it was rendered at (the scanned image's own,
 *    clamped to 150..600, or 300 on a page without one), never 0.
 *  - dg_pages_free destroys pix and prepared: whoever sets prepared
 *    hands it to the set (destroying the one it replaces); a
 *    pixClone() of pix, or pix itself, is fine too.
 *
 * Memory: the set holds its page images (pix and prepared) in memory up
 * to budget bytes (scan's max-memory); past that, an image is kept in
 * a file of the document's temporary directory instead (pix NULL and
 * pix_file set, or prepared NULL and prepared_file set), in leptonica's
 * raw serialisation, so a long document of colour pages is not limited
 * by memory.  Stages read a page's images through dg_page_decoded()
 * and dg_page_ocr_image() and keep a new image with dg_pages_keep();
 * whatever is in memory is counted in resident.
 *
 * Orientation: prep either checks every page with tesseract's OSD
 * itself (orientation DG_ORIENT_CHECKED), or leaves the check to the
 * ocr stage (DG_ORIENT_DEFERRED), which runs OSD only on a page that
 * reads badly or whose lines run vertically, with prep's
 * osd_min_confidence; DG_ORIENT_OFF: nobody checks.
 */
#ifndef DG_SCAN_PAGES_H
#define DG_SCAN_PAGES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leptonica/allheaders.h>

#define DG_PAGES_KEY "@scan.pages"

enum { DG_ORIENT_OFF = 0, DG_ORIENT_CHECKED = 1, DG_ORIENT_DEFERRED = 2 };

struct dg_page {
	int number;     /* 1-based page number in the document */
	PIX *pix;       /* as decoded (owned by the pages object); NULL when in pix_file */
	char *pix_file; /* scan: the file pix was kept in (past the memory budget), or NULL */
	int xres, yres; /* resolution from the file, dpi (0 = unknown) */
	int blank;      /* scan: detected as blank (kept, never dropped) */
	int file_unfit; /* scan: the file cannot stand for pix in a PDF: pix is its picture turned
	                   or mirrored upright as the file says (EXIF Orientation), or the file
	                   is damaged around a whole picture (a PNG's checksum, its end) */
	/* prep: */
	PIX *prepared;       /* the image OCR should read; NULL = pix (or prepared_file) */
	char *prepared_file; /* prep: the file prepared was kept in, or NULL */
	int rotated;         /* degrees turned clockwise by orientation (0/90/180/270; prep, or ocr) */
	float skew;          /* degrees of skew corrected in all (prep, and ocr after a turn) */
	int ocr_dpi;         /* resolution of prepared (after scaling) */
	int orientation;     /* DG_ORIENT_*: who checks whether the page is turned */
	int as_scanned;      /* prepared is pix not turned, deskewed or scaled (made gray,
	                        binarised or inverted at most: the source image can stand
	                        for it in a PDF) */
	int only_scaled;     /* prepared is pix scaled, not turned or deskewed (made gray,
	                        binarised or inverted at most): the same picture at ocr_dpi
	                        (the source image can stand for it in a PDF, whose page size
	                        is in inches) */
	int text_height;     /* pixels at xres: the height of the text (0 = not measured) */
	int negative;        /* light text on a dark ground: prepared is inverted, the
	                        picture (dg_page_visual) is not */
	/* ocr: */
	float confidence; /* mean word confidence 0..100, -1 = not run */
};

/* A word of a page's text layer: bytes [at, at + len) of its text
 * (pages->layer), its line (from 0, in the order of the text), and its
 * box in hundredths of a point from the page's top left corner. */
struct dg_word {
	int32_t at, len, line;
	int32_t x0, y0, x1, y1;
};

/* The words of a page's text layer, and the page's size (1/100 pt). */
struct dg_layout {
	int32_t width, height;
	int n;
	struct dg_word *word;
};

struct dg_pages {
	struct dg_page *page;
	int n;
	int has_text_layer;       /* a PDF that already carries text on every page */
	int total;                /* scan: the document's pages, decoded or not */
	char **layer;             /* scan: [0..total) the text layer of a page absent from page[], or NULL */
	struct dg_layout *layout; /* scan: [0..total) with layer: its words (n 0: none known) */
	int skip_ocr;             /* scan decided OCR is not needed (text layer, mode) */
	int64_t budget;           /* scan: bytes of images to hold in memory (0: no limit) */
	int64_t resident;         /* bytes of images in memory now */
	int64_t spilled;          /* bytes of images kept in files */
	/* prep: */
	double osd_min_confidence; /* with DG_ORIENT_DEFERRED: OSD confidence needed to turn a page */
};

static inline int64_t
dg_pix_bytes(PIX *pix)
{
	return pix != NULL ? (int64_t)pixGetWpl(pix) * 4 * pixGetHeight(pix) : 0;
}

/* Whether an image of bytes stays within the set's memory budget. */
static inline int
dg_pages_fits(const struct dg_pages *ps, int64_t bytes)
{
	return ps->budget <= 0 || ps->resident + bytes <= ps->budget;
}

/* Keep *img (owned by the caller until now) for the set: in memory while
 * the set stays within its budget, else in DIR/NAME-NUMBER.spix, *img
 * destroyed and set to NULL and *file set (dir: the document's temporary
 * directory; callers ask the host for it only when dg_pages_fits() says
 * no, so that a document that fits makes none).  Returns 0 when it stayed in
 * memory, 1 when it went to a file, -1 when the file could not be
 * written (it stays in memory, over the budget). */
static inline int
dg_pages_keep(struct dg_pages *ps, PIX **img, char **file, const char *dir, const char *name, int number)
{
	int64_t bytes = dg_pix_bytes(*img);
	char *path;
	size_t n;

	if (*img == NULL)
		return 0;
	if (dg_pages_fits(ps, bytes)) {
		ps->resident += bytes;
		return 0;
	}
	n = (dir ? strlen(dir) : 0) + strlen(name) + 32;
	path = dir != NULL ? malloc(n) : NULL;
	if (path == NULL) {
		ps->resident += bytes;
		return -1;
	}
	snprintf(path, n, "%s/%s-%d.spix", dir, name, number);
	if (pixWrite(path, *img, IFF_SPIX) != 0) {
		unlink(path);
		free(path);
		ps->resident += bytes;
		return -1;
	}
	pixDestroy(img);
	free(*file);
	*file = path;
	ps->spilled += bytes;
	return 1;
}

/* An image kept by dg_pages_keep: a new reference to it, or read back
 * from its file (with the resolution res, which the file does not
 * hold); NULL when there is none (or it cannot be read). */
static inline PIX *
dg_pages_load(PIX *img, const char *file, int xres, int yres)
{
	PIX *pix;

	if (img != NULL)
		return pixClone(img);
	if (file == NULL)
		return NULL;
	pix = pixRead(file);
	if (pix != NULL)
		pixSetResolution(pix, xres, yres);
	return pix;
}

/* The page as decoded (a new reference: pixDestroy it). */
static inline PIX *
dg_page_decoded(const struct dg_page *pg)
{
	return dg_pages_load(pg->pix, pg->pix_file, pg->xres, pg->yres);
}

/* The image OCR reads: prepared, or else the page as decoded (a new
 * reference: pixDestroy it). */
static inline PIX *
dg_page_ocr_image(const struct dg_page *pg)
{
	if (pg->prepared != NULL || pg->prepared_file != NULL)
		return dg_pages_load(pg->prepared, pg->prepared_file, pg->ocr_dpi, pg->ocr_dpi);
	return dg_page_decoded(pg);
}

/* The page as a reader should see it, as far as OCR's geometry goes:
 * the page as decoded, at its own resolution and depth (colour stays
 * colour, a bitonal scan bitonal), turned by rotated and deskewed by
 * skew as prepared was, neither scaled, binarised nor inverted (a
 * negative stays one, black brought in at its corners); prepared is
 * that picture at ocr_dpi, so the words found on prepared fall on the
 * same places of it.  Whoever turns or deskews prepared adds to rotated
 * and skew: turns and rotations about the page's centre add up in any
 * order (only the white brought in at the corners differs), so one
 * turn and one rotation make the same picture.  A new image (pixDestroy
 * it), or NULL (out of memory, or the decoded page cannot be read
 * back). */
static inline PIX *
dg_page_visual(const struct dg_page *pg)
{
	PIX *pix = dg_page_decoded(pg), *next;
	int quads = ((pg->rotated % 360 + 360) % 360) / 90;

	if (pix != NULL && quads != 0) {
		next = pixRotateOrth(pix, quads);
		pixDestroy(&pix);
		pix = next;
	}
	if (pix != NULL && pg->skew != 0.0f) {
		/* as prep_rotate does the gray page; leptonica shears a
		 * bitonal one (area mapping needs gray) */
		next = pixRotate(pix, pg->skew * (float)(3.14159265358979323846 / 180.0),
		                 pixGetDepth(pix) == 1 ? L_ROTATE_SHEAR : L_ROTATE_AREA_MAP,
		                 pg->negative ? L_BRING_IN_BLACK : L_BRING_IN_WHITE, 0, 0);
		pixDestroy(&pix);
		pix = next;
	}
	return pix;
}

/* Forget prepared (in memory or in its file). */
static inline void
dg_page_drop_prepared(struct dg_pages *ps, struct dg_page *pg)
{
	/* prepared may be pix itself, or a pixClone() of it (the same
	 * pointer, one more reference); dg_pages_keep counted it */
	if (pg->prepared != NULL) {
		ps->resident -= dg_pix_bytes(pg->prepared);
		if (pg->prepared != pg->pix || pixGetRefcount(pg->prepared) > 1)
			pixDestroy(&pg->prepared);
		pg->prepared = NULL;
	}
	if (pg->prepared_file != NULL) {
		unlink(pg->prepared_file);
		free(pg->prepared_file);
		pg->prepared_file = NULL;
	}
}

#endif
