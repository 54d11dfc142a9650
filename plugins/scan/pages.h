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
 */
#ifndef DG_SCAN_PAGES_H
#define DG_SCAN_PAGES_H

#include <leptonica/allheaders.h>

#define DG_PAGES_KEY "@scan.pages"

struct dg_page {
	int number;         /* 1-based page number in the document */
	PIX *pix;           /* as decoded (owned by the pages object) */
	int xres, yres;     /* resolution from the file, dpi (0 = unknown) */
	int blank;          /* scan: detected as blank (kept, never dropped) */
	/* prep: */
	PIX *prepared;      /* the image OCR should read; NULL = pix */
	int rotated;        /* degrees turned clockwise by orientation (0/90/180/270) */
	float skew;         /* degrees of skew corrected */
	int ocr_dpi;        /* resolution of prepared (after scaling) */
	/* ocr: */
	float confidence;   /* mean word confidence 0..100, -1 = not run */
};

struct dg_pages {
	struct dg_page *page;
	int n;
	int has_text_layer; /* a PDF that already carries text */
	int skip_ocr;       /* scan decided OCR is not needed (text layer, mode) */
};

#endif
