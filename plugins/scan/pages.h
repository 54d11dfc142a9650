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
 *    out by the stage's `pages` option, and the pages of a PDF that was
 *    not rendered because every page has a text layer (skip_ocr set),
 *    are absent; n may be 0.  The object is set for every document the
 *    stage accepted, even then.
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
 * Orientation: prep either checks every page with tesseract's OSD
 * itself (orientation DG_ORIENT_CHECKED), or leaves the check to the
 * ocr stage (DG_ORIENT_DEFERRED), which runs OSD only on a page that
 * reads badly or whose lines run vertically, with prep's
 * osd_min_confidence; DG_ORIENT_OFF: nobody checks.
 */
#ifndef DG_SCAN_PAGES_H
#define DG_SCAN_PAGES_H

#include <leptonica/allheaders.h>

#define DG_PAGES_KEY "@scan.pages"

enum { DG_ORIENT_OFF = 0, DG_ORIENT_CHECKED = 1, DG_ORIENT_DEFERRED = 2 };

struct dg_page {
	int number;     /* 1-based page number in the document */
	PIX *pix;       /* as decoded (owned by the pages object) */
	int xres, yres; /* resolution from the file, dpi (0 = unknown) */
	int blank;      /* scan: detected as blank (kept, never dropped) */
	/* prep: */
	PIX *prepared;   /* the image OCR should read; NULL = pix */
	int rotated;     /* degrees turned clockwise by orientation (0/90/180/270) */
	float skew;      /* degrees of skew corrected */
	int ocr_dpi;     /* resolution of prepared (after scaling) */
	int orientation; /* DG_ORIENT_*: who checks whether the page is turned */
	int as_scanned;  /* prepared is pix at most made gray: not turned, deskewed,
	                    scaled or binarised (the source image can stand for it) */
	int only_scaled; /* prepared is pix made gray and scaled, nothing else: the
	                    same picture at ocr_dpi (the source image can stand for
	                    it in a PDF, whose page size is in inches) */
	int text_height; /* pixels at xres: the height of the text (0 = not measured) */
	/* ocr: */
	float confidence; /* mean word confidence 0..100, -1 = not run */
};

struct dg_pages {
	struct dg_page *page;
	int n;
	int has_text_layer; /* a PDF that already carries text */
	int skip_ocr;       /* scan decided OCR is not needed (text layer, mode) */
	/* prep: */
	double osd_min_confidence; /* with DG_ORIENT_DEFERRED: OSD confidence needed to turn a page */
};

#endif
