#include <config.h>
#include <dangan/plugin.h>

/*
 * plugins/prep: page preparation for OCR.
 *
 * Works on the decoded pages the scan stage left under DG_PAGES_KEY
 * (plugins/scan/pages.h) and makes, for each page, the image OCR should
 * read (page->prepared).  The decoded page and the original bytes are
 * never touched: every step works on a derived copy.
 *
 *   1. gray: the page as 8-bit gray (alpha laid over white); an
 *      unknown resolution counts as 300 dpi, and so does one that would
 *      make the page larger than 17 inches (a "72 dpi" photo); a
 *      negative (light text on a dark ground: prep_negative in
 *      analysis.h) is inverted, so that every later step and OCR take
 *      the ink for the dark (the page's picture in the PDF stays as
 *      scanned);
 *   2. orientation: tesseract's orientation detection (OSD) on a
 *      binarised copy; a page found turned by 90, 180 or 270 degrees is
 *      turned upright when OSD's confidence reaches osd-min-confidence.
 *      OSD costs about a third of the page's recognition, and nearly
 *      every page is upright, so by default (orientation=auto) it is
 *      left to the ocr stage, which runs it only on a page that reads
 *      badly or whose lines run vertically (and turns it, and reads it
 *      again); orientation=always runs it here on every page;
 *   3. skew search and text height, on one binarised copy at half the
 *      resolution (leptonica's skew search: the same angles as at full
 *      resolution, a quarter of the work; the text height: see
 *      prep_text_height in analysis.h);
 *   4. scale: a page whose text is taller than 5/4 of text-height
 *      pixels is scaled down (area-mapped) to make it text-height tall.
 *      tesseract scales every line to the height its network reads (48
 *      pixels for chi_sim) whatever the page's resolution, but finds
 *      the lines, thresholds and cuts them out at the page's: on the
 *      simulated A4 scans (10-point text, 42 pixels tall at 300 dpi)
 *      read at 200 dpi, tesseract made fewer errors on the clean, noisy
 *      and JPEG pages than at 300 dpi, in less time (bench/ocr.sh).  A
 *      page under ocr-dpi is scaled up to it (linear interpolation),
 *      unless its text is already text-height tall at least;
 *   5. deskew: the angle found is applied to the (scaled) gray page
 *      (area-mapped, white brought in);
 *   6. binarisation: none (tesseract thresholds internally), otsu
 *      (background normalisation, then Otsu), sauvola (local, tiled), or
 *      auto: none on a clean page, otsu on a noisy or unevenly lit one
 *      (see prep_degradation).  Measured on simulated scans: on clean,
 *      lightly noisy and JPEG pages any binarisation of ours costs a
 *      little (tesseract's is as good); on heavy noise or shading,
 *      where tesseract's Otsu fails outright, otsu here recovers the
 *      text.
 *
 * Each step leaves a note with its parameters and each page its
 * metadata prep.page.N.rotation and prep.page.N.skew (the ocr stage
 * updates them when it turns a page).  Blank pages (as
 * the scan stage found them) are left as they are.  OSD needs a
 * TessBaseAPI, so an instance serves one worker thread.
 *
 * The pages of one document (a multi-page TIFF, a scanner's PDF) are
 * prepared by several threads at once (`threads` over the whole run,
 * 0: as many as ingest's workers), while the document's own thread
 * reports each page in turn: its notes, kept until then, its metadata,
 * and its prepared image within the pages' memory budget.  So the
 * history, the metadata and what is kept in memory or on disk are the
 * same as one page after another.  With orientation=always the pages go
 * one after another (one TessBaseAPI for OSD).
 */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include "../common/ordpool.h"
#include "../common/workers.h"
#include "../scan/pages.h"
#include "analysis.h"

#define PREP_VERSION "0.1.0"
#define PREP_DEFAULT_DPI 300   /* what an unknown resolution counts as */
#define PREP_MAX_INCHES 17.0   /* a page larger than this has a wrong resolution */
#define PREP_OSD_MIN_WIDTH 100 /* pixels; OSD says nothing useful on less */
#define PREP_MAX_THREADS ORDPOOL_THREADS

enum prep_binarize { PREP_BIN_AUTO, PREP_BIN_NONE, PREP_BIN_OTSU, PREP_BIN_SAUVOLA };
enum prep_orient { PREP_ORIENT_AUTO, PREP_ORIENT_ALWAYS, PREP_ORIENT_NEVER };

struct prep_state {
	TessBaseAPI *osd; /* NULL: no orientation detection here */
	enum prep_orient orientation;
	double osd_min_conf;
	int dpi;
	int text_height;
	int deskew;
	int negatives; /* invert a negative page for OCR */
	enum prep_binarize binarize;
	int noise_threshold;
	int uneven_threshold;
	int threads; /* threads preparing pages at once over the run */
};

/* One page's preparation: the image work runs on any thread, and what
 * it has to say waits in notes until the page's turn comes. */
struct prep_job {
	struct prep_state *st;
	struct dg_pages *pages;
	struct dg_page *page;
	char *notes; /* the page's notes, each ended by a NUL */
	size_t len, cap;
	int lost; /* notes that could not be kept (out of memory) */
	int rc;   /* DG_OK, or DG_WARN: the page is left as it was */
};

/* A document's pages: the jobs, and what their reports need. */
struct prep_run {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	struct dg_doc *doc;
	struct prep_job *jobs;
	int rc;
};

static const struct dg_option prep_options[] = {
    {.name = "ocr-dpi",
     .type = DG_OPT_INT,
     .default_value = "300",
     .help = "pages under this resolution are scaled up to it, unless their text is text-height pixels tall "
             "already (an unknown resolution counts as 300)",
     .min = 70,
     .max = 1200},
    {.name = "text-height",
     .type = DG_OPT_INT,
     .default_value = "28",
     .help = "pixels: a page whose text (measured: the height of Chinese characters, between x-height and "
             "capitals for Latin script) is taller than 5/4 of this is scaled down to make it this tall for "
             "OCR (faster, and as accurate); 0: no measure, no page scaled down, every page under ocr-dpi "
             "scaled up",
     .min = 0,
     .max = 400},
    {.name = "orientation",
     .type = DG_OPT_STRING,
     .default_value = "auto",
     .help = "pages turned by 90, 180 or 270 degrees (tesseract OSD): auto (the ocr stage checks a page "
             "that reads badly or whose lines run vertically, turns it and reads it again), always (OSD "
             "here on every page; true is the same), never (false is the same)"},
    {.name = "osd-min-confidence",
     .type = DG_OPT_STRING,
     .default_value = "2.0",
     .help = "smallest OSD confidence (a decimal number) at which a page is turned"},
    {.name = "deskew", .type = DG_OPT_BOOL, .default_value = "true", .help = "find and correct the skew of pages"},
    {.name = "negatives",
     .type = DG_OPT_BOOL,
     .default_value = "true",
     .help = "a page of light text on a dark ground (a negative: dark over 60 % of it, the light in small "
             "pieces) is inverted for OCR; the page's picture and the original stay as scanned"},
    {.name = "binarize",
     .type = DG_OPT_STRING,
     .default_value = "auto",
     .help = "image given to OCR: none (gray: tesseract thresholds it), otsu (background normalisation, then "
             "Otsu), sauvola (local threshold), auto (otsu on noisy or unevenly lit pages, none otherwise)"},
    {.name = "noise-threshold",
     .type = DG_OPT_INT,
     .default_value = "10",
     .help = "binarize=auto: paper noise (standard deviation, gray levels) above which a page gets otsu",
     .min = 0,
     .max = 255},
    {.name = "uneven-threshold",
     .type = DG_OPT_INT,
     .default_value = "40",
     .help = "binarize=auto: background range (gray levels) above which a page gets otsu",
     .min = 0,
     .max = 255},
    {.name = "threads",
     .type = DG_OPT_INT,
     .default_value = "0",
     .help = "threads preparing pages at once over the run, each document with its own and what is free of the "
             "others when it starts (0: as many as ingest's workers, -j; 1: one page after another); the notes and "
             "metadata come in page order either way, and with orientation=always a document has one",
     .min = 0,
     .max = PREP_MAX_THREADS},
    {.name = "tessdata",
     .type = DG_OPT_STRING,
     .default_value = "",
     .help = "directory holding osd.traineddata (empty: tesseract's default)"},
    {0},
};

/* A decimal number in [lo, hi]; -1 when s is not one. */
static int
prep_number(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static const char *
prep_binarize_name(enum prep_binarize b)
{
	switch (b) {
	case PREP_BIN_AUTO: return "auto";
	case PREP_BIN_NONE: return "none";
	case PREP_BIN_OTSU: return "otsu";
	case PREP_BIN_SAUVOLA: return "sauvola";
	}
	return "?";
}

static void
prep_fini(void *state)
{
	struct prep_state *st = state;

	if (st == NULL)
		return;
	if (st->osd != NULL) {
		TessBaseAPIEnd(st->osd);
		TessBaseAPIDelete(st->osd);
	}
	free(st);
}

static int
prep_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct prep_state *st;
	const char *s, *tessdata;
	enum prep_binarize b;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		host->error(ctx, "out of memory");
		return DG_FATAL;
	}
	st->dpi = (int)host->opt_int(opts, "ocr-dpi");
	st->text_height = (int)host->opt_int(opts, "text-height");
	st->deskew = host->opt_bool(opts, "deskew");
	st->negatives = host->opt_bool(opts, "negatives");
	s = host->opt_string(opts, "binarize");
	for (b = PREP_BIN_AUTO; b <= PREP_BIN_SAUVOLA; b++)
		if (s != NULL && strcmp(s, prep_binarize_name(b)) == 0)
			break;
	if (b > PREP_BIN_SAUVOLA) {
		host->error(ctx, "binarize must be auto, none, otsu or sauvola, not '%s'", s ? s : "");
		goto fatal;
	}
	st->binarize = b;
	s = host->opt_string(opts, "orientation");
	if (s != NULL && strcmp(s, "auto") == 0)
		st->orientation = PREP_ORIENT_AUTO;
	else if (s != NULL &&
	         (strcmp(s, "always") == 0 || strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "1") == 0))
		st->orientation = PREP_ORIENT_ALWAYS;
	else if (s != NULL &&
	         (strcmp(s, "never") == 0 || strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "0") == 0))
		st->orientation = PREP_ORIENT_NEVER;
	else {
		host->error(ctx, "orientation must be auto, always or never, not '%s'", s ? s : "");
		goto fatal;
	}
	s = host->opt_string(opts, "osd-min-confidence");
	if (prep_number(s, 0.0, 1000.0, &st->osd_min_conf) != 0) {
		host->error(ctx, "osd-min-confidence must be a number from 0 to 1000, not '%s'", s ? s : "");
		goto fatal;
	}
	st->noise_threshold = (int)host->opt_int(opts, "noise-threshold");
	st->uneven_threshold = (int)host->opt_int(opts, "uneven-threshold");
	st->threads = (int)host->opt_int(opts, "threads");
	if (st->threads <= 0)
		st->threads = dg_run_share(ctx, host, PREP_MAX_THREADS);
	if (st->orientation == PREP_ORIENT_ALWAYS) {
		tessdata = host->opt_string(opts, "tessdata");
		if (tessdata != NULL && *tessdata == '\0')
			tessdata = NULL;
		st->osd = TessBaseAPICreate();
		if (st->osd == NULL) {
			host->error(ctx, "cannot create a tesseract instance");
			goto fatal;
		}
		/* tesseract's own messages ("Too few characters") go nowhere */
		TessBaseAPISetVariable(st->osd, "debug_file", "/dev/null");
		if (TessBaseAPIInit3(st->osd, tessdata, "osd") != 0) {
			host->error(ctx,
			            "tesseract cannot load osd.traineddata from %s (orientation=false goes without)",
			            tessdata ? tessdata : "its default tessdata directory");
			goto fatal;
		}
		TessBaseAPISetPageSegMode(st->osd, PSM_OSD_ONLY);
	}
	*state = st;
	return DG_OK;
fatal:
	prep_fini(st);
	return DG_FATAL;
}

/* ------------------------------------------------------------------ */
/* Image steps                                                          */

/* The page as 8-bit gray without colormap (a new image). */
static PIX *
prep_gray(PIX *pix)
{
	PIX *flat = NULL, *gray;

	if (pixGetDepth(pix) == 32 && pixGetSpp(pix) == 4) {
		flat = pixAlphaBlendUniform(pix, 0xffffff00);
		if (flat == NULL)
			return NULL;
		pix = flat;
	}
	gray = pixConvertTo8(pix, 0);
	pixDestroy(&flat);
	return gray;
}

/* How degraded a gray page is, for binarize=auto: *noise is the
 * standard deviation of the paper (of the 32x32 tiles, the quietest
 * tenth, which hold no ink even on a dense page), *uneven the range of
 * the background (2nd to 98th percentile of leptonica's background
 * map).  Clean, lightly noisy and JPEG scans have 0-4 and 1-5; the pages
 * where tesseract's own thresholding fails (heavy noise: 20 and more;
 * shading: 100) are far from that. */
static void
prep_degradation(PIX *gray, int *noise, int *uneven)
{
	PIX *tiles = NULL, *map = NULL;
	l_uint32 v, lo, hi;

	*noise = *uneven = 0;
	tiles = pixGetAverageTiled(gray, 32, 32, L_STANDARD_DEVIATION);
	if (tiles != NULL && pixGetRankValue(tiles, 1, 0.1f, &v) == 0)
		*noise = (int)v;
	if (pixGetBackgroundGrayMap(gray, NULL, 10, 15, 100, 50, &map) == 0 && map != NULL &&
	    pixGetRankValue(map, 1, 0.02f, &lo) == 0 && pixGetRankValue(map, 1, 0.98f, &hi) == 0 && hi > lo)
		*uneven = (int)(hi - lo);
	pixDestroy(&tiles);
	pixDestroy(&map);
}

/* Replace *pix by next (when next is not NULL). */
static int
prep_take(PIX **pix, PIX *next)
{
	if (next == NULL)
		return -1;
	pixDestroy(pix);
	*pix = next;
	return 0;
}

static void prep_note(struct prep_job *job, const char *fmt, ...) DG_PRINTF(2, 3);

/* A note of the page's, kept for its report. */
static void
prep_note(struct prep_job *job, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		job->lost++;
		return;
	}
	if (job->len + (size_t)n + 1 > job->cap) {
		cap = job->cap > 0 ? job->cap : 256;
		while (cap < job->len + (size_t)n + 1)
			cap *= 2;
		p = realloc(job->notes, cap);
		if (p == NULL) {
			job->lost++;
			return;
		}
		job->notes = p;
		job->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(job->notes + job->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	job->len += (size_t)n + 1;
}

static int
prep_set_meta(struct dg_ctx *ctx, const struct dg_host *host, struct dg_doc *doc, int number, const char *what,
              const char *value)
{
	char key[64];

	snprintf(key, sizeof(key), "prep.page.%d.%s", number, what);
	if (host->meta_set(doc, key, value) != 0) {
		host->error(ctx, "cannot set %s", key);
		return -1;
	}
	return 0;
}

/* OSD here (orientation=always): *gray turned upright when OSD finds
 * it turned.  0, or -1 when the page is to be left as it is (a note
 * says why). */
static int
prep_osd(struct prep_job *job, PIX **gray, int *moved)
{
	struct prep_state *st = job->st;
	struct dg_page *page = job->page;
	int deg = 0, quads;
	float oconf = 0, sconf = 0;
	const char *script = NULL;
	PIX *bin = prep_binary(*gray);

	if (bin == NULL) {
		prep_note(job, "page %d: cannot binarise for analysis, left as it is", page->number);
		return -1;
	}
	page->orientation = DG_ORIENT_CHECKED;
	TessBaseAPISetImage2(st->osd, bin);
	TessBaseAPISetSourceResolution(st->osd, page->ocr_dpi);
	if (TessBaseAPIDetectOrientationScript(st->osd, &deg, &oconf, &script, &sconf) && deg % 90 == 0 && deg > 0 &&
	    deg < 360) {
		/* deg: how far the page is turned clockwise; turn the rest of the way */
		quads = (360 - deg) / 90;
		if (oconf < st->osd_min_conf) {
			prep_note(job, "page %d: OSD says turned %d° with confidence %.1f < %.1f: not turned",
			          page->number, quads * 90, oconf, st->osd_min_conf);
		} else if (prep_take(gray, pixRotateOrth(*gray, quads)) != 0) {
			prep_note(job, "page %d: cannot turn %d°, left as it is", page->number, quads * 90);
			TessBaseAPIClear(st->osd);
			pixDestroy(&bin);
			return -1;
		} else {
			page->rotated = quads * 90;
			*moved = 1;
			prep_note(job, "page %d: turned %d° (OSD confidence %.1f, script %s)", page->number,
			          page->rotated, oconf, script ? script : "unknown");
		}
	}
	TessBaseAPIClear(st->osd);
	pixDestroy(&bin);
	return 0;
}

/* Scale *gray for OCR: down when its text (text pixels tall, 0:
 * unknown) is taller than 5/4 of text-height, up to ocr-dpi when its
 * resolution is under that and its text is not text-height tall
 * already.  Sets page->ocr_dpi; *scaled is 1 when it scaled.  0, or -1
 * when the page is to be left as it is (a note says why). */
static int
prep_scale(struct prep_job *job, PIX **gray, int xres, int yres, int text, int glyphs, int *scaled)
{
	struct prep_state *st = job->st;
	struct dg_page *page = job->page;
	float sx, sy;
	int dpi;

	*scaled = 0;
	if (st->text_height > 0 && text > 0 && 4 * text > 5 * st->text_height && xres == yres) {
		sx = (float)st->text_height / (float)text;
		dpi = (int)lrintf((float)xres * sx);
		if (prep_take(gray, pixScaleAreaMap(*gray, sx, sx)) != 0) {
			prep_note(job, "page %d: cannot scale %d→%d dpi, left as it is", page->number, xres, dpi);
			return -1;
		}
		prep_note(job,
		          "page %d: text %d px tall (median of %d glyphs): scaled %d→%d dpi for OCR (text-height %d)",
		          page->number, text, glyphs, xres, dpi, st->text_height);
		page->ocr_dpi = dpi;
		*scaled = 1;
		return 0;
	}
	if (xres >= st->dpi && yres >= st->dpi)
		return 0;
	if (st->text_height > 0 && text >= st->text_height) {
		prep_note(job, "page %d: %d dpi, but its text is %d px tall (text-height %d): not scaled up",
		          page->number, xres, text, st->text_height);
		return 0;
	}
	sx = xres < st->dpi ? (float)st->dpi / (float)xres : 1.0f;
	sy = yres < st->dpi ? (float)st->dpi / (float)yres : 1.0f;
	if (prep_take(gray, pixScaleGrayLI(*gray, sx, sy)) != 0) {
		prep_note(job, "page %d: cannot scale %d→%d dpi, left as it is", page->number, xres, st->dpi);
		return -1;
	}
	if (xres == yres)
		prep_note(job, "page %d: scaled %d→%d dpi", page->number, xres, st->dpi);
	else
		prep_note(job, "page %d: scaled %dx%d→%d dpi", page->number, xres, yres, st->dpi);
	page->ocr_dpi = st->dpi;
	*scaled = 1;
	return 0;
}

/* Binarise *gray as binarize says (auto: by noise and uneven, measured
 * on the page before it was scaled). */
static void
prep_binarise(struct prep_job *job, PIX **gray, int noise, int uneven)
{
	struct prep_state *st = job->st;
	struct dg_page *page = job->page;
	enum prep_binarize b = st->binarize;
	PIX *out = NULL;

	if (b == PREP_BIN_AUTO)
		b = noise > st->noise_threshold || uneven > st->uneven_threshold ? PREP_BIN_OTSU : PREP_BIN_NONE;
	if (b == PREP_BIN_OTSU)
		out = pixOtsuThreshOnBackgroundNorm(*gray, NULL, 10, 15, 100, 50, 255, 2, 2, 0.1f, NULL);
	else if (b == PREP_BIN_SAUVOLA && pixSauvolaBinarizeTiled(*gray, 25, 0.35f, 1, 1, NULL, &out) != 0)
		out = NULL;
	if (b != PREP_BIN_NONE && prep_take(gray, out) != 0)
		prep_note(job, "page %d: binarisation %s failed, the gray page is kept", page->number,
		          prep_binarize_name(b));
	else if (st->binarize == PREP_BIN_AUTO)
		prep_note(job, "page %d: binarisation: %s (auto: paper noise %d, background range %d)", page->number,
		          b == PREP_BIN_NONE ? "none, tesseract's own" : "otsu(background normalised, tiles 10x15)",
		          noise, uneven);
	else if (b == PREP_BIN_OTSU)
		prep_note(job, "page %d: binarisation: otsu(background normalised, tiles 10x15)", page->number);
	else if (b == PREP_BIN_SAUVOLA)
		prep_note(job, "page %d: binarisation: sauvola(window 25, k 0.35)", page->number);
}

/* The page as decoded, with nothing of prep's: where prep_page starts,
 * and how a page prepared but never reported (the run stopped before
 * it) is left, as it is with one thread, which never prepared it. */
static void
prep_page_reset(struct dg_page *page)
{
	page->rotated = 0;
	page->skew = 0;
	page->text_height = 0;
	page->orientation = DG_ORIENT_OFF;
	page->as_scanned = 1; /* prepared is NULL: the page as decoded */
	page->only_scaled = 0;
	page->negative = 0;
	page->ocr_dpi = page->xres > 0 ? page->xres : PREP_DEFAULT_DPI;
}

/* Prepare one page's image (on any thread: it touches nothing but the
 * page and its job).  job->rc: DG_OK, or DG_WARN when the page is left
 * as it was (a note says why). */
static void
prep_page(struct prep_job *job)
{
	struct prep_state *st = job->st;
	struct dg_page *page = job->page;
	PIX *gray = NULL, *bin = NULL;
	l_int32 w, h;
	int xres, yres, rc = DG_WARN, moved = 0, scaled = 0, noise = 0, uneven = 0, text = 0, glyphs = 0;
	int factor = 1, searched = 0;
	float angle = 0, conf = 0;
	double dark = 0;

	prep_page_reset(page);
	xres = page->ocr_dpi;
	yres = page->yres > 0 ? page->yres : xres;
	if (page->blank) {
		prep_note(job, "page %d: blank, left as it is", page->number);
		rc = DG_OK;
		goto out;
	}
	gray = dg_page_decoded(page);
	if (gray == NULL) {
		prep_note(job, "page %d: cannot read the decoded page back from %s, left as it is", page->number,
		          page->pix_file ? page->pix_file : "memory");
		goto out;
	}
	if (prep_take(&gray, prep_gray(gray)) != 0) {
		prep_note(job, "page %d: cannot convert to gray, left as it is", page->number);
		goto out;
	}
	pixGetDimensions(gray, &w, &h, NULL);
	if ((double)w / xres > PREP_MAX_INCHES || (double)h / yres > PREP_MAX_INCHES) {
		prep_note(job, "page %d: %d dpi would make it %.0f by %.0f inches: taken as %d dpi", page->number, xres,
		          (double)w / xres, (double)h / yres, PREP_DEFAULT_DPI);
		xres = yres = PREP_DEFAULT_DPI;
		page->ocr_dpi = xres;
	}
	/* polarity: every later step, and OCR, takes the ink for the dark */
	if (st->negatives && prep_negative(gray, &dark)) {
		pixInvert(gray, gray);
		page->negative = 1;
		prep_note(job, "page %d: light text on a dark ground (dark over %.0f %% of it): inverted for OCR",
		          page->number, 100.0 * dark);
	}
	/* how degraded, on the page as scanned: scaling down averages noise away */
	if (st->binarize == PREP_BIN_AUTO)
		prep_degradation(gray, &noise, &uneven);

	/* orientation */
	if (st->orientation == PREP_ORIENT_AUTO) {
		page->orientation = DG_ORIENT_DEFERRED;
		prep_note(job,
		          "page %d: orientation left to OCR (OSD only if the page reads badly or its lines "
		          "run vertically)",
		          page->number);
	} else if (st->osd != NULL && w >= PREP_OSD_MIN_WIDTH && h >= PREP_OSD_MIN_WIDTH &&
	           prep_osd(job, &gray, &moved) != 0) {
		goto out;
	}

	/* skew and text height, on one binary copy */
	if (st->deskew || st->text_height > 0) {
		searched = prep_find_skew_bin(gray, &angle, &conf, &bin, &factor) == 0;
		if (bin != NULL && st->text_height > 0)
			text = prep_text_height(bin, &glyphs) * factor;
		pixDestroy(&bin);
		page->text_height = text;
	}

	/* scale */
	if (prep_scale(job, &gray, xres, yres, text, glyphs, &scaled) != 0)
		goto out;

	/* deskew */
	if (st->deskew && searched && prep_skew_worth(angle, conf)) {
		if (prep_take(&gray, prep_rotate(gray, angle)) != 0) {
			prep_note(job, "page %d: cannot deskew by %.2f°", page->number, angle);
		} else {
			page->skew = angle;
			moved = 1;
			prep_note(job, "page %d: deskewed %.2f° (confidence %.1f)", page->number, angle, conf);
		}
	}

	prep_binarise(job, &gray, noise, uneven);
	pixSetResolution(gray, page->ocr_dpi, page->ocr_dpi);
	page->prepared = gray;
	/* the page's geometry as scanned: inverted or binarised at most */
	page->as_scanned = !moved && !scaled;
	page->only_scaled = !moved && scaled;
	gray = NULL;
	rc = DG_OK;
out:
	pixDestroy(&gray);
	job->rc = rc;
}

static void
prep_work(void *arg, size_t i)
{
	struct prep_run *run = arg;

	prep_page(&run->jobs[i]);
}

/* Page i's turn, on the document's thread, in page order: its notes,
 * the prepared image kept within the pages' memory budget (or in the
 * temporary directory past it), its metadata.  Nonzero stops the run
 * (metadata could not be set: run->rc is DG_FAILED). */
static int
prep_report(void *arg, size_t i)
{
	struct prep_run *run = arg;
	struct prep_job *job = &run->jobs[i];
	struct dg_page *page = job->page;
	struct dg_pages *pages = job->pages;
	struct dg_ctx *ctx = run->ctx;
	const struct dg_host *host = run->host;
	struct dg_doc *doc = run->doc;
	char num[32];
	size_t off;

	for (off = 0; off < job->len; off += strlen(job->notes + off) + 1)
		host->note(ctx, doc, "%s", job->notes + off);
	if (job->lost > 0)
		host->note(ctx, doc, "page %d: %d notes lost (out of memory)", page->number, job->lost);
	free(job->notes);
	job->notes = NULL;
	job->len = job->cap = 0;
	/* past the pages' memory budget, into the temporary directory */
	if (page->prepared != NULL &&
	    dg_pages_keep(pages, &page->prepared, &page->prepared_file,
	                  dg_pages_fits(pages, dg_pix_bytes(page->prepared)) ? NULL : host->temp_dir(ctx, doc), "prep",
	                  page->number) < 0)
		host->note(ctx, doc,
		           "page %d: cannot keep the prepared page in the temporary directory: kept in memory",
		           page->number);
	if (job->rc == DG_WARN)
		run->rc = DG_WARN;
	snprintf(num, sizeof(num), "%d", page->rotated);
	if (prep_set_meta(ctx, host, doc, page->number, "rotation", num) != 0)
		goto failed;
	snprintf(num, sizeof(num), "%.2f", page->skew);
	if (prep_set_meta(ctx, host, doc, page->number, "skew", num) != 0)
		goto failed;
	if (page->text_height > 0) {
		snprintf(num, sizeof(num), "%d", page->text_height);
		if (prep_set_meta(ctx, host, doc, page->number, "text-height", num) != 0)
			goto failed;
	}
	snprintf(num, sizeof(num), "%d", page->ocr_dpi);
	if (prep_set_meta(ctx, host, doc, page->number, "ocr-dpi", num) != 0)
		goto failed;
	if (page->negative && prep_set_meta(ctx, host, doc, page->number, "negative", "inverted") != 0)
		goto failed;
	dg_pages_progress(ctx, host, doc, (int)i + 1, pages->n);
	return 0;
failed:
	run->rc = DG_FAILED;
	return 1;
}

/* the threads preparing pages beside the documents' own, over the run */
static struct dg_share prep_extra = DG_SHARE_INIT;

/* The pages are prepared by up to `threads` threads at once (one with
 * orientation=always: OSD's one TessBaseAPI), and reported one after
 * another in page order, so that the history and the metadata are the
 * same whatever the threads do.  No page is prepared more than threads
 * pages past the last one reported, so that no more prepared images
 * wait outside the pages' memory budget than there are threads. */
static int
prep_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	struct prep_state *st = state;
	struct dg_pages *pages;
	struct prep_run run = {.ctx = ctx, .host = host, .doc = doc, .rc = DG_OK};
	int i, threads;
	size_t done;

	if (!DG_HOST_HAS(host, scratch_get))
		return DG_DECLINED;
	pages = host->scratch_get(doc, DG_PAGES_KEY);
	if (pages == NULL || pages->skip_ocr || pages->n <= 0)
		return DG_DECLINED;
	run.jobs = calloc((size_t)pages->n, sizeof(*run.jobs));
	if (run.jobs == NULL) {
		host->error(ctx, "out of memory");
		return DG_FAILED;
	}
	pages->osd_min_confidence = st->osd_min_conf;
	for (i = 0; i < pages->n; i++) {
		dg_page_drop_prepared(pages, &pages->page[i]);
		run.jobs[i] = (struct prep_job){.st = st, .pages = pages, .page = &pages->page[i]};
	}
	threads = st->osd != NULL ? 1 : st->threads < pages->n ? st->threads : pages->n;
	threads = 1 + dg_share_take(&prep_extra, threads - 1, st->threads - 1);
	done = ordpool_run_n((size_t)pages->n, threads, (size_t)threads, prep_work, prep_report, &run);
	/* a stop: the pages prepared but not reported were never counted */
	for (i = (int)done; i < pages->n; i++) {
		struct dg_page *pg = &pages->page[i];

		free(run.jobs[i].notes);
		if (pg->prepared != NULL && (pg->prepared != pg->pix || pixGetRefcount(pg->prepared) > 1))
			pixDestroy(&pg->prepared);
		pg->prepared = NULL;
		prep_page_reset(pg);
	}
	dg_share_give(&prep_extra, threads - 1);
	free(run.jobs);
	return run.rc;
}

static const struct dg_plugin prep_plugin = {
    DG_PLUGIN_HEADER,
    .name = "prep",
    .version = PREP_VERSION,
    .summary = "Page preparation for OCR: orientation, deskew, scaling, binarisation",
    .kind = DG_KIND_TRANSFORM,
    .flags = 0,
    .options = prep_options,
    .init = prep_init,
    .fini = prep_fini,
    .bid = NULL,
    .process = prep_process,
    .bid_locator = NULL,
    .scan = NULL,
};

DG_PLUGIN_DEFINE(prep_plugin)
