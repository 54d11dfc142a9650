#include <config.h>
#include <dangan/plugin.h>

/*
 * plugins/ocr: text recognition with tesseract.
 *
 * Reads the decoded pages under DG_PAGES_KEY (plugins/scan/pages.h),
 * each as the prep stage made it ready (page->prepared, at
 * page->ocr_dpi) or as decoded, and recognises them with one
 * TessBaseAPI per worker thread, created once in init and reused for
 * every page.  It adds
 *
 *   text   the pages' text, UTF-8, pages separated by a form feed;
 *          the spaces tesseract may put between Chinese characters are
 *          taken out again (between two CJK characters only);
 *   hocr   one hOCR document with every page, as tesseract wrote it
 *          (a page with a kept text layer: see below);
 *   pdf    (option pdf) a searchable PDF: each page's picture with the
 *          recognised text invisible over it.  The picture is the scan
 *          at its own resolution and in its own colours, turned and
 *          deskewed as OCR read it, never the scaled or binarised
 *          image OCR read (dg_page_visual in plugins/scan/pages.h): the
 *          original JPEG or PNG itself, copied into the PDF without
 *          decoding, when prep did not turn or deskew it; any other,
 *          PNG when bitonal, JPEG (quality 85, tesseract's own) when
 *          gray or colour;
 *
 * and the metadata ocr.page.N.confidence, ocr.confidence (mean word
 * confidence of the pages with text), ocr.languages and ocr.engine.  A
 * page whose confidence is under review-below, and a page without any
 * text that the scan stage did not find blank, add a review.reason and
 * the document ends with a warning.  The stage's last note gives the
 * thread CPU time tesseract spent reading the pages, and that of the
 * first reading of each page when some were read again (bench/ocr.sh
 * adds them up to show what share of the ingest is tesseract's own).
 * Documents whose text the scan stage took from a text layer
 * (pages->skip_ocr) are declined.  In a PDF with a text layer on some
 * pages only, the scan stage renders the others alone, and keeps the
 * text layer of those pages (pages->layer): the text part has it in
 * their places, between the pages read, the hOCR has their words
 * where poppler laid them out (pages->layout, ocr_layer_hocr), and the
 * searchable PDF has those pages copied from the original with qpdf
 * (ocr_pdf_merge).
 *
 * Each page is recognised once; text, hOCR, confidence and the PDF's
 * text layer are all taken from that one result.  tesseract's second
 * reading of every line with a low confidence as white on black
 * (tessedit_do_invert) is for pages with light text on dark ground; on
 * the simulated scans it changed no character and cost about 1 % (a
 * line read twice for each line of low confidence, so more on poor
 * pages): it is off unless the option invert asks for it.
 *
 * Script: a page read with a confidence under fallback-below is read
 * again with fallback-languages (chi_tra for pages in traditional
 * script, which chi_sim reads as simplified, a third of the characters
 * wrong, with a confidence of 82-85 against 90-92 for simplified
 * pages); the reading kept is the one whose confidence is higher by 3
 * points at least.  Each page so read has a note.
 *
 * Orientation: when the prep stage left it to OCR (the default, see
 * plugins/prep), a page whose first reading has a mean confidence under
 * osd-below, or whose text lines run vertically (tesseract reads a page
 * turned by 90 degrees in one direction as vertical text, fluently),
 * is checked with tesseract's OSD; if OSD finds it turned, with prep's
 * osd-min-confidence, the page is turned (and deskewed) and read again,
 * and the better of the two readings is kept.  Every step is a note.
 *
 * Pages read at once: the pages of one document are read by as many
 * threads as are free, at most `threads` readings at once over all the
 * documents of the process (0: as many as the run has workers, ingest's
 * -j, so that -j 1 reads on one CPU).  The document's own worker
 * reads with its instance's TessBaseAPI; helper threads read its other
 * pages with TessBaseAPIs of their own, made once and kept in a pool for
 * the documents that follow (one pool per stage's options).  A helper
 * gives its slot back after a page when a document waits for one.
 * Each page's results go into the text, the hOCR and the PDF in page
 * order, by the thread that read it (the PDF renderer takes the page
 * from the TessBaseAPI that holds it); the host is called under the
 * document's lock.  A batch of one-page documents reads as before, a
 * document at a time on each worker.
 *
 * tesseract's own OpenMP threads make it several times slower on a
 * machine whose cores the engine's workers already use, so init asks
 * for one thread (see ocr_one_thread).
 */

#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <leptonica/allheaders.h>
#include <qpdf/qpdf-c.h>
#include <tesseract/capi.h>

#include "../common/workers.h"
#include "../prep/analysis.h"
#include "../scan/pages.h"

#define OCR_VERSION "0.1.0"
#define OCR_DEFAULT_DPI 300
#define OCR_LAYER_DPI 300 /* the hOCR's pixels on a page whose text layer is kept */
#define OCR_TEXT_TYPE "text/plain; charset=utf-8"
#define OCR_HOCR_TYPE "text/vnd.hocr+html"
#define OCR_PDF_TYPE "application/pdf"
#define OCR_LANG_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+~-/"
#define OCR_FALLBACK_MARGIN 3   /* confidence points a fallback reading must win by */
#define OCR_PDF_JPEG_QUALITY 85 /* that of tesseract's PDF renderer for the pages it encodes */
#define OCR_MAX_THREADS 64

struct ocr_state {
	TessBaseAPI *api;
	TessBaseAPI *osd;      /* orientation left to OCR: made when first needed */
	TessBaseAPI *fallback; /* fallback-languages (NULL: none, or not loaded) */
	char *fallback_languages;
	int fallback_below;
	int osd_failed; /* osd.traineddata did not load: no second try */
	char *tessdata; /* NULL: tesseract's default */
	char *languages;
	int review_below;
	int osd_below;
	int pdf;
	int threads;                /* readings at once over all documents */
	const struct dg_opts *opts; /* the stage's, for helpers' states */
	char engine[64];
};

static const struct dg_option ocr_options[] = {
    {.name = "languages",
     .type = DG_OPT_STRING,
     .default_value = "chi_sim",
     .help = "tesseract languages, joined with + (each needs its LANG.traineddata); chi_sim reads the "
             "Latin letters and digits of Chinese documents, and adding eng made simulated scans worse"},
    {.name = "psm",
     .type = DG_OPT_INT,
     .default_value = "3",
     .help = "tesseract page segmentation mode (3: automatic, 6: one block of text; 2 does no OCR)",
     .min = 1,
     .max = 13},
    {.name = "review-below",
     .type = DG_OPT_INT,
     .default_value = "60",
     .help = "a page whose mean word confidence (0..100) is under this goes to review",
     .min = 0,
     .max = 100},
    {.name = "osd-below",
     .type = DG_OPT_INT,
     .default_value = "60",
     .help = "orientation left to OCR by prep: a page read with a mean confidence under this (or whose lines "
             "run vertically) is checked with tesseract OSD, turned and read again if OSD finds it turned",
     .min = 0,
     .max = 101},
    {.name = "fallback-languages",
     .type = DG_OPT_STRING,
     .default_value = "",
     .help = "tesseract languages (joined with +) to read a page again with when the first reading's "
             "confidence is under fallback-below; the reading kept is the one with the higher confidence, "
             "by 3 points at least (e.g. chi_tra for pages in traditional script; empty: none; a language "
             "that cannot be loaded is a warning, not an error)"},
    {.name = "fallback-below",
     .type = DG_OPT_INT,
     .default_value = "88",
     .help = "fallback-languages: the confidence under which a page is read again with them",
     .min = 0,
     .max = 101},
    {.name = "invert",
     .type = DG_OPT_BOOL,
     .default_value = "false",
     .help = "read every line of low confidence a second time as white on black (tesseract's "
             "tessedit_do_invert), for light text on a dark ground; more time on poor pages"},
    {.name = "pdf", .type = DG_OPT_BOOL, .default_value = "true", .help = "add a searchable PDF (part pdf)"},
    {.name = "threads",
     .type = DG_OPT_INT,
     .default_value = "0",
     .help = "pages read at once over all documents: the pages of one document are shared among the free "
             "ones (0: as many as ingest's workers, -j; 1: a document's pages one after another)",
     .min = 0,
     .max = OCR_MAX_THREADS},
    {.name = "tessdata",
     .type = DG_OPT_STRING,
     .default_value = "",
     .help = "directory holding the traineddata files (empty: tesseract's default)"},
    {0},
};

/* ------------------------------------------------------------------ */
/* Buffers                                                              */

struct ocr_buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void
ocr_add(struct ocr_buf *b, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (b->failed)
		return;
	if (n > (size_t)-1 / 2 - b->len) {
		b->failed = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
ocr_adds(struct ocr_buf *b, const char *s)
{
	ocr_add(b, s, strlen(s));
}

/* ------------------------------------------------------------------ */
/* Text                                                                 */

/* The code point of the UTF-8 sequence at s (valid UTF-8 from
 * tesseract); *n gets its length. */
static unsigned long
ocr_cp(const unsigned char *s, size_t *n)
{
	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
		*n = 2;
		return ((unsigned long)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	}
	if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
		*n = 3;
		return ((unsigned long)(s[0] & 0x0f) << 12) | ((unsigned long)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
	}
	if ((s[0] & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
		*n = 4;
		return ((unsigned long)(s[0] & 0x07) << 18) | ((unsigned long)(s[1] & 0x3f) << 12) |
		       ((unsigned long)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
	}
	*n = 1;
	return 0xfffd;
}

/* Characters written without spaces between them: Han, CJK
 * punctuation, kana, full-width forms (not Hangul, which has spaces). */
static int
ocr_cjk(unsigned long c)
{
	return (c >= 0x2e80 && c <= 0x2fdf) || /* radicals */
	       (c >= 0x3000 && c <= 0x30ff) || /* CJK punctuation, kana */
	       (c >= 0x3190 && c <= 0x31ff) || /* kanbun, strokes, kana ext. */
	       (c >= 0x3400 && c <= 0x4dbf) || /* extension A */
	       (c >= 0x4e00 && c <= 0x9fff) || /* unified ideographs */
	       (c >= 0xf900 && c <= 0xfaff) || /* compatibility ideographs */
	       (c >= 0xfe30 && c <= 0xfe4f) || /* compatibility forms */
	       (c >= 0xff00 && c <= 0xffef) || /* full-width forms */
	       (c >= 0x20000 && c <= 0x3134f); /* extensions B.. */
}

/* Append text to out without the spaces tesseract puts between two CJK
 * characters.  Other spaces stay. */
static void
ocr_add_text(struct ocr_buf *out, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned long prev = 0, next;
	size_t n, k;

	while (*s != '\0') {
		if (*s == ' ' && ocr_cjk(prev)) {
			k = 0;
			while (s[k] == ' ')
				k++;
			if (s[k] != '\0') {
				next = ocr_cp(s + k, &n);
				if (ocr_cjk(next)) {
					s += k;
					continue;
				}
			}
			ocr_add(out, (const char *)s, k);
			s += k;
			prev = ' ';
			continue;
		}
		prev = ocr_cp(s, &n);
		ocr_add(out, (const char *)s, n);
		s += n;
	}
}

/* ------------------------------------------------------------------ */
/* The stage                                                            */

static pthread_once_t ocr_once = PTHREAD_ONCE_INIT;
/* Held while a TessBaseAPI is made: tesseract keeps some variables
 * (debug_file) for the whole process, and the workers' instances, the
 * helpers' states and the OSD readers are made on different threads. */
static pthread_mutex_t ocr_make_lock = PTHREAD_MUTEX_INITIALIZER;

/* tesseract's messages to /dev/null: debug_file is one variable for the
 * whole process, set once (ocr_make_lock held), not while other threads
 * read pages and may print. */
static void
ocr_quiet(TessBaseAPI *api)
{
	static int done;

	if (!done)
		TessBaseAPISetVariable(api, "debug_file", "/dev/null");
	done = 1;
}

/* One OpenMP thread for tesseract (see the top of the file).  An
 * OpenMP runtime that reads its environment when first used (LLVM's)
 * takes OMP_THREAD_LIMIT; libgomp read it when it was loaded with
 * tesseract, before init, and is told through its API instead. */
static void
ocr_one_thread(void)
{
	static const char *const runtimes[] = {"libgomp.so.1", "libomp.so.5", "libomp.so"};
	void (*set_levels)(int);
	const char *v = getenv("OMP_THREAD_LIMIT");
	void *rt;
	size_t i;

	if (v == NULL || strcmp(v, "1") != 0)
		setenv("OMP_THREAD_LIMIT", "1", 1);
	for (i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		rt = dlopen(runtimes[i], RTLD_LAZY | RTLD_NOLOAD);
		if (rt == NULL)
			continue;
		*(void **)&set_levels = dlsym(rt, "omp_set_max_active_levels");
		if (set_levels != NULL)
			set_levels(0); /* no parallel region runs more than one thread */
		dlclose(rt);
	}
}

static void
ocr_free(struct ocr_state *st)
{
	if (st == NULL)
		return;
	if (st->api != NULL) {
		TessBaseAPIEnd(st->api);
		TessBaseAPIDelete(st->api);
	}
	if (st->osd != NULL) {
		TessBaseAPIEnd(st->osd);
		TessBaseAPIDelete(st->osd);
	}
	if (st->fallback != NULL) {
		TessBaseAPIEnd(st->fallback);
		TessBaseAPIDelete(st->fallback);
	}
	free(st->fallback_languages);
	free(st->tessdata);
	free(st->languages);
	free(st);
}

/* After a successful Init3: the first requested language that was not
 * loaded (into buf), or NULL when all were. */
static const char *
ocr_missing_language(TessBaseAPI *api, const char *languages, char *buf, size_t cap)
{
	char **loaded = TessBaseAPIGetLoadedLanguagesAsVector(api);
	const char *p = languages, *e;
	size_t n;
	int i, found;

	while (*p != '\0') {
		e = strchr(p, '+');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n > 0 && p[0] != '~') {
			found = 0;
			for (i = 0; loaded != NULL && loaded[i] != NULL; i++)
				if (strlen(loaded[i]) == n && strncmp(loaded[i], p, n) == 0)
					found = 1;
			if (!found) {
				snprintf(buf, cap, "%.*s", (int)n, p);
				TessDeleteTextArray(loaded);
				return buf;
			}
		}
		p += n;
		if (*p == '+')
			p++;
	}
	TessDeleteTextArray(loaded);
	return NULL;
}

/* Where tesseract looks for traineddata when not told. */
static const char *
ocr_default_tessdata(void)
{
	const char *env = getenv("TESSDATA_PREFIX");

	return env && *env ? env : "tesseract's default tessdata directory";
}

/* A state for opts (an instance's, or a helper's): 0, or -1 with the
 * error reported. */
static int
ocr_make(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, struct ocr_state **state)
{
	struct ocr_state *st;
	const char *tessdata, *langs, *missing;
	char name[64];
	int64_t mode;

	pthread_once(&ocr_once, ocr_one_thread);
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		host->error(ctx, "out of memory");
		return -1;
	}
	st->opts = opts;
	st->threads = (int)host->opt_int(opts, "threads");
	if (st->threads <= 0)
		st->threads = dg_run_share(ctx, host, OCR_MAX_THREADS);
	langs = host->opt_string(opts, "languages");
	if (langs == NULL || *langs == '\0' || strspn(langs, OCR_LANG_CHARS) != strlen(langs)) {
		host->error(ctx, "languages must be tesseract language names joined with +, not '%s'",
		            langs ? langs : "");
		goto fatal;
	}
	st->languages = strdup(langs);
	st->review_below = (int)host->opt_int(opts, "review-below");
	st->osd_below = (int)host->opt_int(opts, "osd-below");
	st->pdf = host->opt_bool(opts, "pdf");
	mode = host->opt_int(opts, "psm");
	if (mode == 2) {
		host->error(ctx, "psm 2 finds the page layout only and recognises nothing");
		goto fatal;
	}
	tessdata = host->opt_string(opts, "tessdata");
	if (tessdata != NULL && *tessdata == '\0')
		tessdata = NULL;
	st->tessdata = tessdata ? strdup(tessdata) : NULL;
	st->api = TessBaseAPICreate();
	if (st->languages == NULL || st->api == NULL || (tessdata != NULL && st->tessdata == NULL)) {
		host->error(ctx, "out of memory");
		goto fatal;
	}
	ocr_quiet(st->api);
	if (TessBaseAPIInit3(st->api, tessdata, langs) != 0) {
		/* the first language is the one that failed: others are optional to tesseract */
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(langs, "+"), langs);
		host->error(ctx, "tesseract cannot load language '%s' (%s.traineddata in %s)", name, name,
		            tessdata ? tessdata : ocr_default_tessdata());
		goto fatal;
	}
	missing = ocr_missing_language(st->api, langs, name, sizeof(name));
	if (missing != NULL) {
		host->error(ctx, "tesseract cannot load language '%s' (%s.traineddata in %s)", missing, missing,
		            TessBaseAPIGetDatapath(st->api));
		goto fatal;
	}
	TessBaseAPISetPageSegMode(st->api, (TessPageSegMode)mode);
	TessBaseAPISetVariable(st->api, "tessedit_do_invert", host->opt_bool(opts, "invert") ? "1" : "0");
	snprintf(st->engine, sizeof(st->engine), "tesseract %s", TessVersion());
	st->fallback_below = (int)host->opt_int(opts, "fallback-below");
	langs = host->opt_string(opts, "fallback-languages");
	if (langs != NULL && *langs != '\0') {
		if (strspn(langs, OCR_LANG_CHARS) != strlen(langs)) {
			host->error(ctx, "fallback-languages must be tesseract language names joined with +, not '%s'",
			            langs);
			goto fatal;
		}
		st->fallback = TessBaseAPICreate();
		st->fallback_languages = strdup(langs);
		if (st->fallback == NULL || st->fallback_languages == NULL) {
			host->error(ctx, "out of memory");
			goto fatal;
		}
		ocr_quiet(st->fallback);
		if (TessBaseAPIInit3(st->fallback, tessdata, langs) != 0 ||
		    (missing = ocr_missing_language(st->fallback, langs, name, sizeof(name))) != NULL) {
			if (st->fallback_languages[0] != '\0' && missing == NULL)
				snprintf(name, sizeof(name), "%.*s", (int)strcspn(langs, "+"), langs);
			host->log(ctx, DG_LOG_WARN,
			          "tesseract cannot load fallback language '%s' (%s.traineddata in %s): pages are read "
			          "with %s only",
			          missing ? missing : name, missing ? missing : name,
			          tessdata ? tessdata : ocr_default_tessdata(), st->languages);
			TessBaseAPIEnd(st->fallback);
			TessBaseAPIDelete(st->fallback);
			st->fallback = NULL;
		} else {
			TessBaseAPISetPageSegMode(st->fallback, (TessPageSegMode)mode);
			TessBaseAPISetVariable(st->fallback, "tessedit_do_invert",
			                       host->opt_bool(opts, "invert") ? "1" : "0");
		}
	}
	*state = st;
	return 0;
fatal:
	ocr_free(st);
	return -1;
}

/* ocr_make, one at a time (ocr_make_lock). */
static int
ocr_new(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, struct ocr_state **state)
{
	int rc;

	pthread_mutex_lock(&ocr_make_lock);
	rc = ocr_make(ctx, host, opts, state);
	pthread_mutex_unlock(&ocr_make_lock);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Readers                                                              */

/* Helpers' states, kept for the documents that follow: one a helper at
 * a time (busy), matched to a document by its stage's options. */
struct ocr_helper {
	struct ocr_state *st;
	int busy;
	struct ocr_helper *next;
};

static pthread_mutex_t ocr_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ocr_pool_free = PTHREAD_COND_INITIALIZER;
static struct ocr_helper *ocr_pool;
static int ocr_reading; /* slots held: readings going on */
static int ocr_waiting; /* documents waiting for a slot */
static int ocr_live;    /* instances: the last one's fini empties the pool */

/* A document's own slot, held while it is read: waits for one. */
static void
ocr_slot_take(int max)
{
	pthread_mutex_lock(&ocr_pool_lock);
	ocr_waiting++;
	while (ocr_reading >= max)
		pthread_cond_wait(&ocr_pool_free, &ocr_pool_lock);
	ocr_waiting--;
	ocr_reading++;
	pthread_mutex_unlock(&ocr_pool_lock);
}

static void
ocr_slot_give(struct ocr_helper *h)
{
	struct ocr_helper **p;

	pthread_mutex_lock(&ocr_pool_lock);
	if (h != NULL && h->st == NULL) { /* its state could not be made */
		for (p = &ocr_pool; *p != NULL; p = &(*p)->next)
			if (*p == h) {
				*p = h->next;
				break;
			}
		free(h);
	} else if (h != NULL) {
		h->busy = 0;
	}
	ocr_reading--;
	pthread_cond_broadcast(&ocr_pool_free);
	pthread_mutex_unlock(&ocr_pool_lock);
}

/* Whether a document waits for a slot (a helper then gives its own back). */
static int
ocr_slot_wanted(void)
{
	int w;

	pthread_mutex_lock(&ocr_pool_lock);
	w = ocr_waiting > 0;
	pthread_mutex_unlock(&ocr_pool_lock);
	return w;
}

/* A free slot and a helper for owner's options: one of the pool's, or a
 * new one whose state is still to be made (st NULL: ocr_helper_make);
 * NULL when no slot is free. */
static struct ocr_helper *
ocr_helper_take(const struct ocr_state *owner)
{
	struct ocr_helper *h;

	pthread_mutex_lock(&ocr_pool_lock);
	if (ocr_reading >= owner->threads || ocr_waiting > 0) {
		pthread_mutex_unlock(&ocr_pool_lock);
		return NULL;
	}
	for (h = ocr_pool; h != NULL; h = h->next)
		if (!h->busy && h->st != NULL && h->st->opts == owner->opts)
			break;
	if (h == NULL && (h = calloc(1, sizeof(*h))) != NULL) {
		h->next = ocr_pool;
		ocr_pool = h;
	}
	if (h != NULL) {
		h->busy = 1;
		ocr_reading++;
	}
	pthread_mutex_unlock(&ocr_pool_lock);
	return h;
}

/* Make h's state for owner's options, with the owner's ctx (the caller
 * holds the document's lock, so that the host is not called twice at
 * once): 0, or -1 (reported). */
static int
ocr_helper_make(struct dg_ctx *ctx, const struct dg_host *host, const struct ocr_state *owner, struct ocr_helper *h)
{
	struct ocr_state *st = NULL;

	if (h->st != NULL)
		return 0;
	if (ocr_new(ctx, host, owner->opts, &st) != 0)
		return -1;
	pthread_mutex_lock(&ocr_pool_lock);
	h->st = st;
	pthread_mutex_unlock(&ocr_pool_lock);
	return 0;
}

static int
ocr_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct ocr_state *st;

	if (ocr_new(ctx, host, opts, &st) != 0)
		return DG_FATAL;
	pthread_mutex_lock(&ocr_pool_lock);
	ocr_live++;
	pthread_mutex_unlock(&ocr_pool_lock);
	*state = st;
	return DG_OK;
}

static void
ocr_fini(void *state)
{
	struct ocr_helper *pool = NULL, *next;

	if (state == NULL)
		return;
	pthread_mutex_lock(&ocr_pool_lock);
	if (--ocr_live == 0) {
		pool = ocr_pool;
		ocr_pool = NULL;
	}
	pthread_mutex_unlock(&ocr_pool_lock);
	for (; pool != NULL; pool = next) {
		next = pool->next;
		ocr_free(pool->st);
		free(pool);
	}
	ocr_free(state);
}

static int
ocr_set_meta(struct dg_ctx *ctx, const struct dg_host *host, struct dg_doc *doc, const char *key, const char *value)
{
	if (host->meta_set(doc, key, value) != 0) {
		host->error(ctx, "cannot set %s", key);
		return -1;
	}
	return 0;
}

/* Append n bytes of s with the characters XML gives a meaning escaped,
 * and the control characters XML does not allow as '?'. */
static void
ocr_add_escapedn(struct ocr_buf *b, const char *s, size_t n)
{
	const char *end = s + n;

	for (; s < end && *s != '\0'; s++) {
		switch (*s) {
		case '&': ocr_adds(b, "&amp;"); break;
		case '<': ocr_adds(b, "&lt;"); break;
		case '>': ocr_adds(b, "&gt;"); break;
		case '"': ocr_adds(b, "&quot;"); break;
		case '\'': ocr_adds(b, "&#39;"); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
				ocr_add(b, "?", 1);
			else
				ocr_add(b, s, 1);
			break;
		}
	}
}

static void
ocr_add_escaped(struct ocr_buf *b, const char *s)
{
	ocr_add_escapedn(b, s, strlen(s));
}

/* The title of the PDF and the hOCR: the document's file name. */
static void
ocr_title(const struct dg_host *host, struct dg_doc *doc, char *buf, size_t cap)
{
	const char *name = host->meta_get(doc, "source.name");
	const char *path;
	const unsigned char *u = (const unsigned char *)buf;
	size_t n, lead;

	if (name == NULL) {
		path = host->meta_get(doc, "source.path");
		name = path ? strrchr(path, '/') : NULL;
		name = name ? name + 1 : path;
	}
	snprintf(buf, cap, "%s", name ? name : "");
	/* a name cut short must not end in part of a character */
	n = strlen(buf);
	lead = n;
	while (lead > 0 && (u[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead > 0 && u[lead - 1] >= 0xc0 &&
	    n - (lead - 1) < (size_t)(u[lead - 1] >= 0xf0   ? 4
	                              : u[lead - 1] >= 0xe0 ? 3
	                                                    : 2))
		buf[lead - 1] = '\0';
}

/* Put a page on the review list: a note and review.reason. */
static int
ocr_review(struct dg_ctx *ctx, const struct dg_host *host, struct dg_doc *doc, const char *why)
{
	host->note(ctx, doc, "%s", why);
	if (host->meta_add(doc, "review.reason", why) != 0) {
		host->error(ctx, "cannot add review.reason");
		return -1;
	}
	return 0;
}

/* Read img: *conf gets the mean word confidence.  0, or -1 when
 * tesseract could not. */
static int
ocr_read(TessBaseAPI *api, PIX *img, int dpi, int *conf)
{
	/* tesseract's PDF renderer Flate-encodes the pixels of an image
	 * read from a PNG (1.3 s for a deskewed page); of any other, it
	 * copies the file named as input, or leptonica chooses by content:
	 * G4 for a binary page, JPEG for gray and colour, Flate for few
	 * colours.  tesseract takes the format with the image. */
	pixSetInputFormat(img, IFF_UNKNOWN);
	TessBaseAPISetImage2(api, img);
	TessBaseAPISetSourceResolution(api, dpi);
	if (TessBaseAPIRecognize(api, NULL) != 0)
		return -1;
	*conf = TessBaseAPIMeanTextConf(api);
	return 0;
}

/* Whether the text lines of the last reading run vertically: more of
 * them three times as tall as wide than the other way round.  That is
 * how tesseract reads a page turned by 90 degrees one way: as vertical
 * text, fluently and with a good confidence. */
static int
ocr_vertical(struct ocr_state *st)
{
	TessResultIterator *ri = TessBaseAPIGetIterator(st->api);
	TessPageIterator *pi;
	int l, t, r, b, tall = 0, wide = 0;

	if (ri == NULL)
		return 0;
	pi = TessResultIteratorGetPageIterator(ri);
	do {
		if (TessPageIteratorBoundingBox(pi, RIL_TEXTLINE, &l, &t, &r, &b)) {
			if (b - t >= 3 * (r - l))
				tall++;
			else if (r - l >= 3 * (b - t))
				wide++;
		}
	} while (TessPageIteratorNext(pi, RIL_TEXTLINE));
	TessResultIteratorDelete(ri);
	return tall > wide;
}

/* tesseract's OSD on img: *deg (how far the page is turned clockwise),
 * *oconf, *script.  0; -1 when OSD found nothing; -2 when it is not
 * available (osd.traineddata did not load). */
static int
ocr_osd(struct ocr_state *st, PIX *img, int dpi, int *deg, float *oconf, const char **script)
{
	PIX *bin;
	float sconf = 0;
	int ok;

	if (st->osd == NULL && !st->osd_failed) {
		pthread_mutex_lock(&ocr_make_lock);
		st->osd = TessBaseAPICreate();
		if (st->osd != NULL) {
			ocr_quiet(st->osd);
			if (TessBaseAPIInit3(st->osd, st->tessdata, "osd") == 0) {
				TessBaseAPISetPageSegMode(st->osd, PSM_OSD_ONLY);
			} else {
				TessBaseAPIDelete(st->osd);
				st->osd = NULL;
			}
		}
		st->osd_failed = st->osd == NULL;
		pthread_mutex_unlock(&ocr_make_lock);
	}
	if (st->osd == NULL)
		return -2;
	bin = prep_binary(img);
	if (bin == NULL)
		return -1;
	*deg = 0;
	*oconf = 0;
	*script = NULL;
	TessBaseAPISetImage2(st->osd, bin);
	TessBaseAPISetSourceResolution(st->osd, dpi);
	ok = TessBaseAPIDetectOrientationScript(st->osd, deg, oconf, script, &sconf);
	TessBaseAPIClear(st->osd);
	pixDestroy(&bin);
	return ok ? 0 : -1;
}

/* A document being read: what its readers share.  lock guards the
 * host's calls, the page set's memory budget and everything below it;
 * turn is signalled when a page is done (results added in page order)
 * or the reading has failed. */
struct ocr_job {
	pthread_mutex_t lock;
	pthread_cond_t turn;
	struct dg_ctx *ctx;
	const struct dg_host *host;
	struct dg_doc *doc;
	struct dg_pages *pages;
	struct ocr_state *owner;
	TessResultRenderer *pdf; /* NULL: no PDF */
	unsigned char *in_pdf;   /* [0..pages->n) with pdf: the page is in tesseract's PDF */
	const char *dir;         /* the document's temporary directory (with pdf) */
	const char *title;       /* the document's name (ocr_title) */
	struct ocr_buf text, pagehocr;
	int next;   /* the next page to read */
	int done;   /* pages whose results are in, in page order */
	int failed; /* an error was reported: every reader stops */
	int by_first, by_fallback, counted, review;
	int written;     /* pages in the text part so far */
	int layer_next;  /* the next page (from 0) whose text layer may be due */
	int layered;     /* pages whose text layer the text part has */
	int pdf_layered; /* ... and the searchable PDF (copied from the original) */
	long sum;
	double cpu_first; /* CPU seconds of the pages' first readings */
	double cpu_read;  /* ... of all their readings (OSD, turned, fallback) */
	int nrun;         /* helpers started */
	int active;       /* helpers reading */
	int reading;      /* pages being read now */
	int peak;         /* the most pages read at once */
	struct ocr_run {
		struct ocr_job *job;
		struct ocr_helper *helper;
		pthread_t thread;
		int finished; /* it reads no more (set under lock) */
		int joined;
	} run[OCR_MAX_THREADS];
};

/* A length in hundredths of a point as pixels at OCR_LAYER_DPI. */
static long
ocr_layer_px(int32_t v)
{
	return ((long)v * OCR_LAYER_DPI + 3600) / 7200;
}

static void
ocr_add_bbox(struct ocr_buf *b, int32_t x0, int32_t y0, int32_t x1, int32_t y1)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "bbox %ld %ld %ld %ld", ocr_layer_px(x0), ocr_layer_px(y0), ocr_layer_px(x1),
	         ocr_layer_px(y1));
	ocr_adds(b, buf);
}

/* The box of words [from, to) of lo, as "bbox ..." in b. */
static void
ocr_add_words_box(struct ocr_buf *b, const struct dg_layout *lo, int from, int to)
{
	int32_t x0 = INT32_MAX, y0 = INT32_MAX, x1 = 0, y1 = 0;
	int k;

	for (k = from; k < to; k++) {
		x0 = L_MIN(x0, lo->word[k].x0);
		y0 = L_MIN(y0, lo->word[k].y0);
		x1 = L_MAX(x1, lo->word[k].x1);
		y1 = L_MAX(y1, lo->word[k].y1);
	}
	ocr_add_bbox(b, x0, y0, x1, y1);
}

/* The hOCR page of page i (from 0) whose text layer the scan stage kept
 * (a born-digital page among scanned ones): its words where poppler laid
 * them out, as if the page were an image at OCR_LAYER_DPI, one block and
 * paragraph of lines, without a confidence (nothing was recognised). */
static void
ocr_layer_hocr(struct ocr_buf *b, const struct dg_pages *ps, const char *layer, int i)
{
	const struct dg_layout *lo = ps->layout != NULL ? &ps->layout[i] : NULL;
	char buf[160];
	int k, end, line = 0;

	if (lo == NULL || lo->width <= 0 || lo->height <= 0)
		return;
	snprintf(buf, sizeof(buf),
	         "  <div class='ocr_page' id='page_%d' title='bbox 0 0 %ld %ld; ppageno %d; scan_res %d %d'>\n", i + 1,
	         ocr_layer_px(lo->width), ocr_layer_px(lo->height), i, OCR_LAYER_DPI, OCR_LAYER_DPI);
	ocr_adds(b, buf);
	if (lo->n > 0) {
		snprintf(buf, sizeof(buf), "   <div class='ocr_carea' id='block_%d_1' title='", i + 1);
		ocr_adds(b, buf);
		ocr_add_words_box(b, lo, 0, lo->n);
		snprintf(buf, sizeof(buf), "'>\n    <p class='ocr_par' id='par_%d_1' title='", i + 1);
		ocr_adds(b, buf);
		ocr_add_words_box(b, lo, 0, lo->n);
		ocr_adds(b, "'>\n");
	}
	for (k = 0; k < lo->n; k = end) {
		for (end = k; end < lo->n && lo->word[end].line == lo->word[k].line; end++)
			;
		snprintf(buf, sizeof(buf), "     <span class='ocr_line' id='line_%d_%d' title='", i + 1, ++line);
		ocr_adds(b, buf);
		ocr_add_words_box(b, lo, k, end);
		ocr_adds(b, "'>");
		for (; k < end; k++) {
			const struct dg_word *w = &lo->word[k];

			snprintf(buf, sizeof(buf), "\n      <span class='ocrx_word' id='word_%d_%d' title='", i + 1,
			         k + 1);
			ocr_adds(b, buf);
			ocr_add_bbox(b, w->x0, w->y0, w->x1, w->y1);
			ocr_adds(b, "'>");
			ocr_add_escapedn(b, layer + w->at, (size_t)w->len);
			ocr_adds(b, "</span>");
		}
		ocr_adds(b, "\n     </span>\n");
	}
	if (lo->n > 0)
		ocr_adds(b, "    </p>\n   </div>\n");
	ocr_adds(b, "  </div>\n");
}

/* Begin a page of the text part and the hOCR (under the job's lock, in
 * page order): first the text layers that the scan stage kept for the
 * pages before page number (a PDF's born-digital pages, not read), each
 * in its place, then the form feed before the page; with number INT_MAX, only
 * the layers left after the last page read. */
static void
ocr_text_page(struct ocr_job *job, int number)
{
	const struct dg_pages *ps = job->pages;

	for (; ps->layer != NULL && job->layer_next < ps->total && job->layer_next < number - 1; job->layer_next++) {
		if (ps->layer[job->layer_next] == NULL)
			continue;
		if (job->written++ > 0)
			ocr_add(&job->text, "\f", 1);
		ocr_adds(&job->text, ps->layer[job->layer_next]);
		ocr_layer_hocr(&job->pagehocr, ps, ps->layer[job->layer_next], job->layer_next);
		job->layered++;
	}
	if (number != INT_MAX && job->written++ > 0)
		ocr_add(&job->text, "\f", 1);
}

/* The CPU time of the calling thread, in seconds (0 when unknown): what
 * tesseract spends reading a page, whatever else the machine runs. */
static double
ocr_cpu(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A note from a reader, outside the lock. */
static void ocr_note(struct ocr_job *job, const char *fmt, ...) DG_PRINTF(2, 3);
static void
ocr_note(struct ocr_job *job, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&job->lock);
	job->host->note(job->ctx, job->doc, "%s", line);
	pthread_mutex_unlock(&job->lock);
}

/* Orientation left to OCR, for a page whose first reading (confidence
 * *conf, text *text) was poor or vertical: OSD; a page found turned is
 * turned (deskewed when turned a quarter) and read again, and the better
 * reading is kept.  On return tesseract holds the reading kept, *conf
 * and *text are its.  0; 1 when tesseract failed to read the page again;
 * -1 when metadata could not be set. */
static int
ocr_orient(struct ocr_job *job, struct ocr_state *st, struct dg_page *page, PIX *img, int dpi, int vertical, int *conf,
           char **text)
{
	struct dg_ctx *ctx = job->ctx;
	const struct dg_host *host = job->host;
	struct dg_doc *doc = job->doc;
	struct dg_pages *pages = job->pages;
	PIX *turned, *straight;
	const char *script = NULL;
	char why[96], key[64], val[32], *t2 = NULL;
	int deg = 0, quads, conf2 = 0, rc;
	float oconf = 0, angle = 0, sconf = 0;

	if (vertical)
		snprintf(why, sizeof(why), "first reading in vertical lines, confidence %d", *conf);
	else
		snprintf(why, sizeof(why), "first reading: confidence %d < %d", *conf, st->osd_below);
	rc = ocr_osd(st, img, dpi, &deg, &oconf, &script);
	if (rc == -2) {
		ocr_note(job, "page %d: %s, but tesseract cannot load osd.traineddata: orientation not checked",
		         page->number, why);
		return 0;
	}
	if (rc != 0 || deg % 90 != 0 || deg <= 0 || deg >= 360) {
		ocr_note(job, "page %d: %s; OSD %s: not turned", page->number, why,
		         rc != 0 ? "found no orientation" : "finds it upright");
		return 0;
	}
	quads = (360 - deg) / 90; /* turn the rest of the way */
	if (oconf < pages->osd_min_confidence) {
		ocr_note(job, "page %d: %s; OSD says turned %d° with confidence %.1f < %.1f: not turned", page->number,
		         why, quads * 90, oconf, pages->osd_min_confidence);
		return 0;
	}
	turned = pixRotateOrth(img, quads);
	if (turned == NULL) {
		ocr_note(job, "page %d: cannot turn %d°, left as it is", page->number, quads * 90);
		return 0;
	}
	/* a page turned a quarter was deskewed (if at all) on its side */
	if (quads != 2 && prep_find_skew(turned, &angle, &sconf) == 0 && prep_skew_worth(angle, sconf) &&
	    (straight = prep_rotate(turned, angle)) != NULL) {
		pixDestroy(&turned);
		turned = straight;
	} else {
		angle = 0;
	}
	pixSetResolution(turned, dpi, dpi);
	if (ocr_read(st->api, turned, dpi, &conf2) == 0 && (t2 = TessBaseAPIGetUTF8Text(st->api)) != NULL &&
	    conf2 > *conf) {
		pthread_mutex_lock(&job->lock);
		dg_page_drop_prepared(pages, page);
		page->prepared = turned;
		if (dg_pages_keep(pages, &page->prepared, &page->prepared_file,
		                  dg_pages_fits(pages, dg_pix_bytes(page->prepared)) ? NULL : host->temp_dir(ctx, doc),
		                  "prep", page->number) < 0)
			host->note(ctx, doc,
			           "page %d: cannot keep the turned page in the temporary directory: kept in memory",
			           page->number);
		page->rotated = (page->rotated + quads * 90) % 360;
		page->as_scanned = 0;
		page->only_scaled = 0;
		/* on top of prep's, if any (pages.h: they add up) */
		if (angle != 0)
			page->skew += angle;
		TessDeleteText(*text);
		*text = t2;
		*conf = conf2;
		if (angle != 0)
			host->note(
			    ctx, doc,
			    "page %d: turned %d° (OSD confidence %.1f, script %s; %s), deskewed %.2f° (confidence "
			    "%.1f) and read again: confidence %d",
			    page->number, quads * 90, oconf, script ? script : "unknown", why, angle, sconf, conf2);
		else
			host->note(ctx, doc,
			           "page %d: turned %d° (OSD confidence %.1f, script %s; %s) and read again: "
			           "confidence %d",
			           page->number, quads * 90, oconf, script ? script : "unknown", why, conf2);
		snprintf(key, sizeof(key), "prep.page.%d.rotation", page->number);
		snprintf(val, sizeof(val), "%d", page->rotated);
		if (ocr_set_meta(ctx, host, doc, key, val) != 0) {
			pthread_mutex_unlock(&job->lock);
			return -1;
		}
		snprintf(key, sizeof(key), "prep.page.%d.skew", page->number);
		snprintf(val, sizeof(val), "%.2f", page->skew);
		rc = ocr_set_meta(ctx, host, doc, key, val) != 0 ? -1 : 0;
		pthread_mutex_unlock(&job->lock);
		return rc;
	}
	TessDeleteText(t2);
	pixDestroy(&turned);
	ocr_note(job,
	         "page %d: %s; OSD says turned %d° (confidence %.1f), but turned it reads no better "
	         "(confidence %d): not turned",
	         page->number, why, quads * 90, oconf, conf2);
	/* tesseract holds the turned reading: read the page as it was again */
	TessDeleteText(*text);
	*text = NULL;
	if (ocr_read(st->api, img, dpi, conf) != 0 || (*text = TessBaseAPIGetUTF8Text(st->api)) == NULL)
		return 1;
	return 0;
}

/* A page read with a confidence under fallback-below (*conf, *text, in
 * st->api): read again with the fallback languages; the reading with
 * the higher confidence, by OCR_FALLBACK_MARGIN at least, is kept.
 * Returns the API that holds the reading kept (*conf and *text are
 * its). */
static TessBaseAPI *
ocr_fallback(struct ocr_job *job, struct ocr_state *st, struct dg_page *page, PIX *img, int dpi, int *conf, char **text)
{
	char *t2 = NULL;
	int conf2 = 0;

	if (ocr_read(st->fallback, img, dpi, &conf2) == 0 && (t2 = TessBaseAPIGetUTF8Text(st->fallback)) != NULL &&
	    strspn(t2, " \t\r\n\f") != strlen(t2) && conf2 >= *conf + OCR_FALLBACK_MARGIN) {
		ocr_note(job, "page %d: read with %s: confidence %d < %d; read again with %s: confidence %d, kept",
		         page->number, st->languages, *conf, st->fallback_below, st->fallback_languages, conf2);
		TessDeleteText(*text);
		*text = t2;
		*conf = conf2;
		return st->fallback;
	}
	ocr_note(job, "page %d: read with %s: confidence %d < %d; read again with %s: confidence %d, not kept",
	         page->number, st->languages, *conf, st->fallback_below, st->fallback_languages, conf2);
	TessDeleteText(t2);
	TessBaseAPIClear(st->fallback);
	return st->api;
}

/* The original image file, when it can stand for the page in the PDF
 * as it is: a JPEG or PNG (not interlaced) of one page, 8 bits gray or
 * RGB, that prep did not turn, deskew or scale (page->as_scanned), or
 * only scaled (page->only_scaled), of the page's proportions: whether
 * OCR read it binarised or inverted does not matter to the picture.
 * tesseract's PDF renderer then copies its compressed data (leptonica
 * reads the file by the input name) instead of encoding the page
 * again; it draws the image over the whole page, whose size in inches
 * is that of the image OCR read, at its resolution, so a scaled page
 * keeps its full resolution in the PDF. */
static int
ocr_same_picture(l_int32 w, l_int32 h, PIX *img, int as_scanned)
{
	double sx, sy;

	if (as_scanned)
		return w == pixGetWidth(img) && h == pixGetHeight(img);
	/* scaled: the same factor both ways, to the rounding of a pixel */
	sx = (double)pixGetWidth(img) / w;
	sy = (double)pixGetHeight(img) / h;
	return w > 0 && h > 0 && fabs(sx * w - sy * w) <= 1.0 && fabs(sx * h - sy * h) <= 1.0;
}

static const char *
ocr_source_image(const struct dg_host *host, struct dg_doc *doc, const struct dg_pages *pages,
                 const struct dg_page *page, PIX *img)
{
	const char *mt = host->media_type(doc), *path;
	l_int32 format = 0, w = 0, h = 0, bps = 0, spp = 0, cmap = 0, interlaced = 0;

	if (img == NULL || pages->n != 1 || !(page->as_scanned || page->only_scaled) || page->file_unfit ||
	    mt == NULL || (strcmp(mt, "image/jpeg") != 0 && strcmp(mt, "image/png") != 0))
		return NULL;
	path = host->part_path(doc, DG_ROLE_ORIGINAL);
	if (path == NULL || pixReadHeader(path, &format, &w, &h, &bps, &spp, &cmap) != 0)
		return NULL;
	if ((format != IFF_JFIF_JPEG && format != IFF_PNG) || bps != 8 || (spp != 1 && spp != 3) || cmap ||
	    !ocr_same_picture(w, h, img, page->as_scanned))
		return NULL;
	/* leptonica draws an interlaced PNG from img, not from the file */
	if (format == IFF_PNG && (isPngInterlaced(path, &interlaced) != 0 || interlaced))
		return NULL;
	return path;
}

/* The file whose image the PDF shows for a page OCR read as img: the
 * source file (ocr_source_image), or else the page's picture at its
 * own resolution and depth (dg_page_visual) written to dir, as
 * pdf-page.png (bitonal: 8-bit, lossless) or pdf-page.jpg, its name in
 * buf; NULL when img itself is the page as decoded, or when the picture
 * cannot be made (a note says so: then the PDF shows img). */
static const char *
ocr_pdf_picture(struct dg_ctx *ctx, const struct dg_host *host, struct dg_doc *doc, const struct dg_pages *pages,
                const struct dg_page *page, PIX *img, const char *dir, char *buf, size_t size)
{
	const char *src = ocr_source_image(host, doc, pages, page, img);
	PIX *vis;
	int bitonal, bad;

	if (src != NULL || (page->prepared == NULL && page->prepared_file == NULL))
		return src;
	vis = dg_page_visual(page);
	if (vis == NULL) {
		host->note(ctx, doc,
		           "page %d: cannot make its picture at the scan's resolution: the PDF shows the "
		           "image OCR read",
		           page->number);
		return NULL;
	}
	/* not of the same proportions: pixels that were not square */
	if (!ocr_same_picture(pixGetWidth(vis), pixGetHeight(vis), img, 0)) {
		host->note(ctx, doc,
		           "page %d: its picture at the scan's resolution (%dx%d) is not of the proportions of the "
		           "image OCR read (%dx%d): the PDF shows the latter",
		           page->number, pixGetWidth(vis), pixGetHeight(vis), pixGetWidth(img), pixGetHeight(img));
		pixDestroy(&vis);
		return NULL;
	}
	/* leptonica copies the data of an 8-bit PNG into the PDF as it is,
	 * but draws a 1-bit one from img instead */
	bitonal = pixGetDepth(vis) == 1;
	if (bitonal) {
		PIX *gray = pixConvert1To8(NULL, vis, 255, 0);

		pixDestroy(&vis);
		vis = gray;
	}
	snprintf(buf, size, "%s/pdf-page.%s", dir, bitonal ? "png" : "jpg");
	bad = vis == NULL || (bitonal ? pixWrite(buf, vis, IFF_PNG) : pixWriteJpeg(buf, vis, OCR_PDF_JPEG_QUALITY, 0));
	pixDestroy(&vis);
	if (bad != 0) {
		unlink(buf);
		host->note(ctx, doc, "page %d: cannot write its picture to %s: the PDF shows the image OCR read",
		           page->number, buf);
		return NULL;
	}
	return buf;
}

/* Page i of job, read with st and its results added in page order: 0,
 * or -1 when the document fails (reported, or another reader failed). */
static int
ocr_page(struct ocr_job *job, struct ocr_state *st, int i)
{
	struct dg_ctx *ctx = job->ctx;
	const struct dg_host *host = job->host;
	struct dg_doc *doc = job->doc;
	struct dg_page *page = &job->pages->page[i];
	TessBaseAPI *used;
	PIX *img;
	const char *src;
	char key[64], val[160], picture[PATH_MAX], *t = NULL, *h = NULL;
	int dpi, conf = 0, read, added, rotated, rc = -1;
	double cpu0, cpu1, cpu2;

	/* in memory, or read back from where scan or prep kept it */
	img = dg_page_ocr_image(page);
	dpi = page->ocr_dpi > 0 ? page->ocr_dpi : page->xres > 0 ? page->xres : OCR_DEFAULT_DPI;
	page->confidence = -1;
	rotated = page->rotated;
	if (img == NULL)
		ocr_note(job, "page %d: cannot read its image back from the temporary directory", page->number);
	cpu0 = ocr_cpu();
	read = img != NULL && ocr_read(st->api, img, dpi, &conf) == 0 && (t = TessBaseAPIGetUTF8Text(st->api)) != NULL;
	cpu1 = ocr_cpu();
	if (read && page->orientation == DG_ORIENT_DEFERRED && strspn(t, " \t\r\n\f") != strlen(t)) {
		int vertical = ocr_vertical(st);

		if (vertical || conf < st->osd_below) {
			int o = ocr_orient(job, st, page, img, dpi, vertical, &conf, &t);

			if (o < 0) {
				pthread_mutex_lock(&job->lock);
				goto fail;
			}
			read = o == 0;
			/* turned: the fallback languages read it turned too */
			if (read && page->rotated != rotated) {
				pixDestroy(&img);
				img = dg_page_ocr_image(page);
				read = img != NULL;
			}
		}
	}
	used = st->api;
	if (read && st->fallback != NULL && conf < st->fallback_below && strspn(t, " \t\r\n\f") != strlen(t))
		used = ocr_fallback(job, st, page, img, dpi, &conf, &t);
	cpu2 = ocr_cpu();

	/* the results, in page order */
	pthread_mutex_lock(&job->lock);
	job->cpu_first += cpu1 - cpu0;
	job->cpu_read += cpu2 - cpu0;
	while (job->done != i && !job->failed)
		pthread_cond_wait(&job->turn, &job->lock);
	if (job->failed)
		goto out;
	ocr_text_page(job, page->number);
	if (!read) {
		host->note(ctx, doc, "page %d: tesseract could not recognise it", page->number);
		snprintf(val, sizeof(val), "page %d: OCR failed", page->number);
		if (host->meta_add(doc, "review.reason", val) != 0) {
			host->error(ctx, "cannot add review.reason");
			goto fail;
		}
		job->review++;
		goto done;
	}
	/* the orientation may have turned it */
	pixDestroy(&img);
	img = dg_page_ocr_image(page);
	/* the hOCR page's image: the document's name, not the temporary
	 * file an earlier page of this TessBaseAPI showed in the PDF */
	TessBaseAPISetInputName(used, job->title);
	h = TessBaseAPIGetHOCRText(used, page->number - 1);
	if (h == NULL) {
		host->error(ctx, "page %d: tesseract returned no result", page->number);
		goto fail;
	}
	ocr_add_text(&job->text, t);
	ocr_adds(&job->pagehocr, h);
	if (used == st->api)
		job->by_first++;
	else
		job->by_fallback++;
	/* the PDF's image: the source file (its data copied), the page's
	 * picture at the scan's resolution, or img encoded as leptonica
	 * chooses */
	src = job->pdf != NULL
	          ? ocr_pdf_picture(ctx, host, doc, job->pages, page, img, job->dir, picture, sizeof(picture))
	          : NULL;
	TessBaseAPISetInputName(used, src);
	added = job->pdf == NULL || TessResultRendererAddImage(job->pdf, used);
	if (src == picture)
		unlink(picture);
	if (!added) {
		host->error(ctx, "page %d: tesseract cannot add it to the PDF", page->number);
		goto fail;
	}
	if (job->pdf != NULL)
		job->in_pdf[i] = 1;
	/* a page without any word has no confidence to speak of; unless the
	 * scan stage found it blank, someone should look at it */
	if (strspn(t, " \t\r\n\f") == strlen(t)) {
		if (!page->blank) {
			snprintf(val, sizeof(val), "page %d: no text recognised", page->number);
			if (ocr_review(ctx, host, doc, val) != 0)
				goto fail;
			job->review++;
		}
	} else {
		page->confidence = (float)conf;
		job->sum += conf;
		job->counted++;
		snprintf(key, sizeof(key), "ocr.page.%d.confidence", page->number);
		snprintf(val, sizeof(val), "%d", conf);
		if (ocr_set_meta(ctx, host, doc, key, val) != 0)
			goto fail;
		if (conf < st->review_below) {
			snprintf(val, sizeof(val), "page %d: OCR confidence %d < %d", page->number, conf,
			         st->review_below);
			if (ocr_review(ctx, host, doc, val) != 0)
				goto fail;
			job->review++;
		}
	}
done:
	job->done++;
	dg_pages_progress(ctx, host, doc, job->done, job->pages->n);
	rc = 0;
	goto out;
fail:
	job->failed = 1;
out:
	pthread_cond_broadcast(&job->turn);
	pthread_mutex_unlock(&job->lock);
	TessDeleteText(t);
	TessDeleteText(h);
	pixDestroy(&img);
	return rc;
}

static void ocr_spawn(struct ocr_job *job);

/* Read job's pages with st until none is left (helper: or a document
 * waits for a slot). */
static void
ocr_pages(struct ocr_job *job, struct ocr_state *st, int helper)
{
	int i, rc;

	for (;;) {
		pthread_mutex_lock(&job->lock);
		i = job->failed || job->next >= job->pages->n ? -1 : job->next++;
		if (i >= 0 && ++job->reading > job->peak)
			job->peak = job->reading;
		pthread_mutex_unlock(&job->lock);
		if (i < 0)
			break;
		rc = ocr_page(job, st, i);
		pthread_mutex_lock(&job->lock);
		job->reading--;
		pthread_mutex_unlock(&job->lock);
		if (rc != 0 || (helper && ocr_slot_wanted()))
			break;
		if (!helper)
			ocr_spawn(job); /* a slot may have come free */
	}
}

static void *
ocr_helper_main(void *arg)
{
	struct ocr_run *run = arg;
	struct ocr_job *job = run->job;
	struct ocr_state *st;
	int made;

	/* the first time, made here: the document's own reading goes on */
	pthread_mutex_lock(&job->lock);
	made = ocr_helper_make(job->ctx, job->host, job->owner, run->helper) == 0;
	pthread_mutex_unlock(&job->lock);
	st = run->helper->st;
	if (made)
		ocr_pages(job, st, 1);
	pthread_mutex_lock(&job->lock);
	job->active--;
	run->finished = 1; /* from here on, it needs no lock of the job's */
	pthread_mutex_unlock(&job->lock);
	if (made) {
		TessBaseAPIClear(st->api);
		if (st->fallback != NULL)
			TessBaseAPIClear(st->fallback);
	}
	ocr_slot_give(run->helper);
	return NULL;
}

/* A run for a new helper: one never used, or else one whose helper has
 * finished (joined here); NULL when all OCR_MAX_THREADS are reading.
 * The caller holds job's lock. */
static struct ocr_run *
ocr_run_slot(struct ocr_job *job)
{
	int i;

	if (job->nrun < OCR_MAX_THREADS)
		return &job->run[job->nrun];
	for (i = 0; i < job->nrun; i++)
		if (job->run[i].finished && !job->run[i].joined) {
			pthread_join(job->run[i].thread, NULL);
			job->run[i].joined = 1;
		}
	for (i = 0; i < job->nrun; i++)
		if (job->run[i].joined)
			return &job->run[i];
	return NULL;
}

/* Helpers for job's pages not yet taken, as many as slots are free. */
static void
ocr_spawn(struct ocr_job *job)
{
	struct ocr_run *run;

	pthread_mutex_lock(&job->lock);
	while (!job->failed && job->pages->n - job->next > 1 + job->active && (run = ocr_run_slot(job)) != NULL) {
		run->helper = ocr_helper_take(job->owner);
		if (run->helper == NULL)
			break;
		run->job = job;
		run->finished = 0;
		run->joined = 0;
		if (pthread_create(&run->thread, NULL, ocr_helper_main, run) != 0) {
			run->joined = 1; /* free again */
			ocr_slot_give(run->helper);
			break;
		}
		if (run == &job->run[job->nrun])
			job->nrun++;
		job->active++;
	}
	pthread_mutex_unlock(&job->lock);
}

/* The reason a qpdf call on q failed, about what, in why. */
static void
ocr_qpdf_why(qpdf_data q, const char *what, char *why, size_t cap)
{
	const char *detail = qpdf_has_error(q) ? qpdf_get_error_message_detail(q, qpdf_get_error(q)) : NULL;

	snprintf(why, cap, "qpdf cannot read %s: %s", what, detail != NULL && *detail ? detail : "unknown error");
}

/* The searchable PDF of a PDF whose text layer the scan stage kept on
 * some pages (pages->layer): tesseract's PDF ocrpdf has the pages read
 * (in_pdf[i]: page[i] is in it, in page order); the pages of the
 * original orig that have a kept text layer are copied from it into
 * their places among them (qpdf copies a page with everything it uses:
 * text, fonts, images), and the whole is written to merged.  Returns
 * the pages copied, or -1 with the reason in why (nothing written). */
static int
ocr_pdf_merge(const char *orig, const char *ocrpdf, const char *merged, const struct dg_pages *pages,
              const unsigned char *in_pdf, char *why, size_t cap)
{
	qpdf_data out = qpdf_init(), src = qpdf_init();
	int i = 0, p, pos = 0, put = 0, rc = -1;

	/* errors are taken from the calls, warnings left unsaid: poppler
	 * has read the original already, and the scan stage noted what was
	 * wrong with it */
	qpdf_silence_errors(out);
	qpdf_silence_errors(src);
	qpdf_set_suppress_warnings(out, QPDF_TRUE);
	qpdf_set_suppress_warnings(src, QPDF_TRUE);
	if (qpdf_read(out, ocrpdf, NULL) & QPDF_ERRORS) {
		ocr_qpdf_why(out, "tesseract's PDF", why, cap);
		goto out;
	}
	if (qpdf_read(src, orig, "") & QPDF_ERRORS) {
		ocr_qpdf_why(src, "the original", why, cap);
		goto out;
	}
	if (qpdf_get_num_pages(src) != pages->total) {
		snprintf(why, cap, "qpdf finds %d pages in the original, the scan stage %d", qpdf_get_num_pages(src),
		         pages->total);
		goto out;
	}
	for (p = 1; p <= pages->total; p++) {
		qpdf_oh page;

		while (i < pages->n && pages->page[i].number < p)
			i++;
		if (i < pages->n && pages->page[i].number == p) {
			pos += in_pdf[i];
			continue;
		}
		if (pages->layer == NULL || pages->layer[p - 1] == NULL)
			continue;
		page = qpdf_get_page_n(src, (size_t)p - 1);
		if (qpdf_has_error(src)) {
			ocr_qpdf_why(src, "the original", why, cap);
			goto out;
		}
		if (pos < qpdf_get_num_pages(out))
			qpdf_add_page_at(out, src, page, QPDF_TRUE, qpdf_get_page_n(out, (size_t)pos));
		else
			qpdf_add_page(out, src, page, QPDF_FALSE);
		if (qpdf_has_error(out) || qpdf_has_error(src)) {
			char detail[256];

			ocr_qpdf_why(qpdf_has_error(out) ? out : src, "the original", detail, sizeof(detail));
			snprintf(why, cap, "page %d: %s", p, detail);
			goto out;
		}
		pos++;
		put++;
	}
	if (qpdf_init_write(out, merged) & QPDF_ERRORS) {
		ocr_qpdf_why(out, merged, why, cap);
		goto out;
	}
	/* streams copied as they are, never decoded: the original's bytes,
	 * and no stream inflated that poppler had no need to read */
	qpdf_set_decode_level(out, qpdf_dl_none);
	qpdf_set_deterministic_ID(out, QPDF_TRUE);
	qpdf_set_minimum_pdf_version(out, qpdf_get_pdf_version(src));
	if (qpdf_write(out) & QPDF_ERRORS) {
		const char *detail = qpdf_get_error_message_detail(out, qpdf_get_error(out));

		snprintf(why, cap, "qpdf cannot write %s: %s", merged, detail != NULL ? detail : "unknown error");
		unlink(merged);
		goto out;
	}
	rc = put;
out:
	qpdf_cleanup(&out);
	qpdf_cleanup(&src);
	return rc;
}

/* After tesseract wrote *pdfpath: the pages whose text layer the text
 * part has (job->layered) copied from the original into their places
 * (ocr_pdf_merge), *pdfpath then the whole PDF's name; when they cannot
 * be, a note says why and the PDF has the pages read only.  -1: out of
 * memory (reported). */
static int
ocr_pdf_layers(struct dg_ctx *ctx, const struct dg_host *host, struct dg_doc *doc, struct ocr_job *job, char **pdfpath)
{
	const char *orig = host->part_path(doc, DG_ROLE_ORIGINAL);
	char why[512], *merged = malloc(strlen(job->dir) + 16);
	int put;

	if (merged == NULL) {
		host->error(ctx, "out of memory");
		return -1;
	}
	sprintf(merged, "%s/ocr-all.pdf", job->dir);
	if (orig == NULL) {
		snprintf(why, sizeof(why), "the original is not at hand as a file");
		put = -1;
	} else {
		put = ocr_pdf_merge(orig, *pdfpath, merged, job->pages, job->in_pdf, why, sizeof(why));
	}
	if (put < 0) {
		host->note(ctx, doc, "the searchable PDF has the pages read only, not the %d with a text layer: %s",
		           job->layered, why);
		free(merged);
		return 0;
	}
	unlink(*pdfpath);
	free(*pdfpath);
	*pdfpath = merged;
	job->pdf_layered = put;
	return 0;
}

static int
ocr_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	struct ocr_state *st = state;
	struct dg_pages *pages;
	struct ocr_job job;
	struct ocr_buf hocr = {0};
	char langs[256], val[160], title[256], cpu[128], layered[128];
	char *base = NULL, *pdfpath = NULL;
	int i, rc = DG_FAILED, began = 0;
	struct stat sb;

	if (!DG_HOST_HAS(host, scratch_get))
		return DG_DECLINED;
	pages = host->scratch_get(doc, DG_PAGES_KEY);
	if (pages == NULL || pages->n <= 0)
		return DG_DECLINED;
	if (pages->skip_ocr)
		return DG_DECLINED;

	memset(&job, 0, sizeof(job));
	pthread_mutex_init(&job.lock, NULL);
	pthread_cond_init(&job.turn, NULL);
	job.ctx = ctx;
	job.host = host;
	job.doc = doc;
	job.pages = pages;
	job.owner = st;
	ocr_title(host, doc, title, sizeof(title));
	job.title = title;
	if (st->pdf) {
		job.dir = host->temp_dir(ctx, doc);
		if (job.dir == NULL) {
			host->error(ctx, "cannot make a temporary directory");
			goto out;
		}
		base = malloc(strlen(job.dir) + 16);
		pdfpath = malloc(strlen(job.dir) + 16);
		job.in_pdf = calloc((size_t)pages->n, 1);
		if (base == NULL || pdfpath == NULL || job.in_pdf == NULL) {
			host->error(ctx, "out of memory");
			goto out;
		}
		sprintf(base, "%s/ocr", job.dir);
		sprintf(pdfpath, "%s/ocr.pdf", job.dir);
		job.pdf = TessPDFRendererCreate(base, TessBaseAPIGetDatapath(st->api), 0);
		if (job.pdf == NULL || !TessResultRendererBeginDocument(job.pdf, title)) {
			host->error(ctx, "tesseract cannot begin a PDF in %s", job.dir);
			goto out;
		}
		began = 1;
	}

	/* this document's slot, helpers for its other pages, its own reading */
	ocr_slot_take(st->threads);
	ocr_spawn(&job);
	ocr_pages(&job, st, 0);
	for (i = 0; i < job.nrun; i++)
		if (!job.run[i].joined)
			pthread_join(job.run[i].thread, NULL);
	ocr_slot_give(NULL);
	TessBaseAPIClear(st->api);
	if (st->fallback != NULL)
		TessBaseAPIClear(st->fallback);
	if (job.failed)
		goto out;
	ocr_text_page(&job, INT_MAX);

	if (job.by_fallback > 0 && job.by_first > 0)
		snprintf(langs, sizeof(langs), "%s %s", st->languages, st->fallback_languages);
	else
		snprintf(langs, sizeof(langs), "%s", job.by_fallback > 0 ? st->fallback_languages : st->languages);
	/* no DOCTYPE: readers that refuse one (as dangan's own XML parser
	 * does) take the document as it is */
	ocr_adds(&hocr, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">\n"
	                " <head>\n  <title>");
	ocr_add_escaped(&hocr, title);
	ocr_adds(&hocr, "</title>\n  <meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n"
	                "  <meta name=\"ocr-system\" content=\"");
	ocr_add_escaped(&hocr, st->engine);
	ocr_adds(&hocr, "\"/>\n  <meta name=\"ocr-capabilities\" content=\"ocr_page ocr_carea ocr_par ocr_line "
	                "ocrx_word ocrp_wconf\"/>\n  <meta name=\"ocr-langs\" content=\"");
	ocr_add_escaped(&hocr, langs);
	ocr_adds(&hocr, "\"/>\n");
	ocr_adds(&hocr, " </head>\n <body>\n");
	ocr_add(&hocr, job.pagehocr.p ? job.pagehocr.p : "", job.pagehocr.len);
	ocr_adds(&hocr, " </body>\n</html>\n");
	if (job.text.failed || hocr.failed || job.pagehocr.failed) {
		host->error(ctx, "out of memory collecting the OCR text");
		goto out;
	}

	if (job.counted > 0) {
		snprintf(val, sizeof(val), "%ld", (job.sum + job.counted / 2) / job.counted);
		if (ocr_set_meta(ctx, host, doc, "ocr.confidence", val) != 0)
			goto out;
	}
	if (ocr_set_meta(ctx, host, doc, "ocr.languages", langs) != 0 ||
	    ocr_set_meta(ctx, host, doc, "ocr.engine", st->engine) != 0)
		goto out;
	if (host->part_add_mem(ctx, doc, DG_ROLE_TEXT, OCR_TEXT_TYPE, job.text.p ? job.text.p : "", job.text.len) !=
	        0 ||
	    host->part_add_mem(ctx, doc, "hocr", OCR_HOCR_TYPE, hocr.p, hocr.len) != 0)
		goto out;
	if (job.pdf != NULL) {
		began = 0;
		if (!TessResultRendererEndDocument(job.pdf) || stat(pdfpath, &sb) != 0) {
			host->error(ctx, "tesseract could not write the PDF %s", pdfpath);
			goto out;
		}
		if (job.layered > 0 && ocr_pdf_layers(ctx, host, doc, &job, &pdfpath) != 0)
			goto out;
		if (host->part_add_file(ctx, doc, "pdf", OCR_PDF_TYPE, pdfpath) != 0)
			goto out;
	}
	/* the CPU time of tesseract's readings, and of the first reading of
	 * each page when some were read again (bench/ocr.sh adds them up) */
	if (job.cpu_read - job.cpu_first >= 0.005)
		snprintf(cpu, sizeof(cpu), "reading: %.2f s CPU (%.2f s first readings, %.2f s reading again)",
		         job.cpu_read, job.cpu_first, job.cpu_read - job.cpu_first);
	else
		snprintf(cpu, sizeof(cpu), "reading: %.2f s CPU", job.cpu_read);
	if (job.peak > 1)
		snprintf(val, sizeof(val), "; up to %d pages read at once", job.peak);
	else
		val[0] = '\0';
	if (job.layered > 0)
		snprintf(layered, sizeof(layered), " (and the text layer of %d page%s in the text part, the hOCR%s)",
		         job.layered, job.layered == 1 ? "" : "s",
		         job.pdf_layered == job.layered ? " and the PDF" : "");
	else
		layered[0] = '\0';
	host->note(ctx, doc, "%d page%s%s, %s, mean confidence %s%s; %s", pages->n, pages->n == 1 ? "" : "s", layered,
	           langs, job.counted > 0 ? host->meta_get(doc, "ocr.confidence") : "none", val, cpu);
	rc = job.review > 0 ? DG_WARN : DG_OK;
out:
	if (began)
		TessResultRendererEndDocument(job.pdf);
	if (job.pdf != NULL)
		TessDeleteResultRenderer(job.pdf);
	pthread_cond_destroy(&job.turn);
	pthread_mutex_destroy(&job.lock);
	free(base);
	free(pdfpath);
	free(job.in_pdf);
	free(job.text.p);
	free(hocr.p);
	free(job.pagehocr.p);
	return rc;
}

static const struct dg_plugin ocr_plugin = {
    DG_PLUGIN_HEADER,
    .name = "ocr",
    .version = OCR_VERSION,
    .summary = "Text of scanned pages with tesseract: text, hOCR and searchable PDF",
    .kind = DG_KIND_TRANSFORM,
    .flags = 0,
    .options = ocr_options,
    .init = ocr_init,
    .fini = ocr_fini,
    .bid = NULL,
    .process = ocr_process,
    .bid_locator = NULL,
    .scan = NULL,
};

DG_PLUGIN_DEFINE(ocr_plugin)
