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
 *   hocr   one hOCR document with every page, as tesseract wrote it;
 *   pdf    (option pdf) a searchable PDF: each page's image as OCR read
 *          it (upright, deskewed) with the recognised text invisible
 *          over it;
 *
 * and the metadata ocr.page.N.confidence, ocr.confidence (mean word
 * confidence of the pages with text), ocr.languages and ocr.engine.  A
 * page whose confidence is under review-below, and a page without any
 * text that the scan stage did not find blank, add a review.reason and
 * the document ends with a warning.  Documents whose text the scan
 * stage took from a text layer (pages->skip_ocr) are declined.
 *
 * tesseract's own OpenMP threads make it several times slower on a
 * machine whose cores the engine's workers already use, so init asks
 * for one thread (see ocr_one_thread).
 */

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include "../scan/pages.h"

#define OCR_VERSION "0.1.0"
#define OCR_DEFAULT_DPI 300
#define OCR_TEXT_TYPE "text/plain; charset=utf-8"
#define OCR_HOCR_TYPE "text/vnd.hocr+html"
#define OCR_PDF_TYPE "application/pdf"

struct ocr_state {
	TessBaseAPI *api;
	char *languages;
	int review_below;
	int pdf;
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
    {.name = "pdf", .type = DG_OPT_BOOL, .default_value = "true", .help = "add a searchable PDF (part pdf)"},
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
ocr_fini(void *state)
{
	struct ocr_state *st = state;

	if (st == NULL)
		return;
	if (st->api != NULL) {
		TessBaseAPIEnd(st->api);
		TessBaseAPIDelete(st->api);
	}
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

static int
ocr_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct ocr_state *st;
	const char *tessdata, *langs, *missing;
	char name[64];
	int64_t mode;

	pthread_once(&ocr_once, ocr_one_thread);
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		host->error(ctx, "out of memory");
		return DG_FATAL;
	}
	langs = host->opt_string(opts, "languages");
	if (langs == NULL || *langs == '\0' ||
	    strspn(langs, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+~-/") != strlen(langs)) {
		host->error(ctx, "languages must be tesseract language names joined with +, not '%s'",
		            langs ? langs : "");
		goto fatal;
	}
	st->languages = strdup(langs);
	st->review_below = (int)host->opt_int(opts, "review-below");
	st->pdf = host->opt_bool(opts, "pdf");
	mode = host->opt_int(opts, "psm");
	if (mode == 2) {
		host->error(ctx, "psm 2 finds the page layout only and recognises nothing");
		goto fatal;
	}
	tessdata = host->opt_string(opts, "tessdata");
	if (tessdata != NULL && *tessdata == '\0')
		tessdata = NULL;
	st->api = TessBaseAPICreate();
	if (st->languages == NULL || st->api == NULL) {
		host->error(ctx, "out of memory");
		goto fatal;
	}
	TessBaseAPISetVariable(st->api, "debug_file", "/dev/null");
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
	snprintf(st->engine, sizeof(st->engine), "tesseract %s", TessVersion());
	*state = st;
	return DG_OK;
fatal:
	ocr_fini(st);
	return DG_FATAL;
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

/* Append s with the characters XML gives a meaning escaped. */
static void
ocr_add_escaped(struct ocr_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': ocr_adds(b, "&amp;"); break;
		case '<': ocr_adds(b, "&lt;"); break;
		case '>': ocr_adds(b, "&gt;"); break;
		case '"': ocr_adds(b, "&quot;"); break;
		default: ocr_add(b, s, 1); break;
		}
	}
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

static int
ocr_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	struct ocr_state *st = state;
	struct dg_pages *pages;
	struct dg_page *page;
	struct ocr_buf text = {0}, hocr = {0};
	TessResultRenderer *pdf = NULL;
	const char *dir;
	char *base = NULL, *pdfpath = NULL, *t, *h;
	char key[64], val[160], title[256];
	int i, dpi, conf, counted = 0, review = 0, rc = DG_FAILED, began = 0;
	long sum = 0;
	struct stat sb;

	if (!DG_HOST_HAS(host, scratch_get))
		return DG_DECLINED;
	pages = host->scratch_get(doc, DG_PAGES_KEY);
	if (pages == NULL || pages->n <= 0)
		return DG_DECLINED;
	if (pages->skip_ocr)
		return DG_DECLINED;

	ocr_title(host, doc, title, sizeof(title));
	if (st->pdf) {
		dir = host->temp_dir(ctx, doc);
		if (dir == NULL) {
			host->error(ctx, "cannot make a temporary directory");
			goto out;
		}
		base = malloc(strlen(dir) + 16);
		pdfpath = malloc(strlen(dir) + 16);
		if (base == NULL || pdfpath == NULL) {
			host->error(ctx, "out of memory");
			goto out;
		}
		sprintf(base, "%s/ocr", dir);
		sprintf(pdfpath, "%s/ocr.pdf", dir);
		pdf = TessPDFRendererCreate(base, TessBaseAPIGetDatapath(st->api), 0);
		if (pdf == NULL || !TessResultRendererBeginDocument(pdf, title)) {
			host->error(ctx, "tesseract cannot begin a PDF in %s", dir);
			goto out;
		}
		began = 1;
	}

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
	ocr_add_escaped(&hocr, st->languages);
	ocr_adds(&hocr, "\"/>\n");
	ocr_adds(&hocr, " </head>\n <body>\n");

	for (i = 0; i < pages->n; i++) {
		PIX *img;

		page = &pages->page[i];
		img = page->prepared ? page->prepared : page->pix;
		dpi = page->ocr_dpi > 0 ? page->ocr_dpi : page->xres > 0 ? page->xres : OCR_DEFAULT_DPI;
		page->confidence = -1;
		if (i > 0)
			ocr_add(&text, "\f", 1);
		TessBaseAPISetImage2(st->api, img);
		TessBaseAPISetSourceResolution(st->api, dpi);
		if (TessBaseAPIRecognize(st->api, NULL) != 0) {
			host->note(ctx, doc, "page %d: tesseract could not recognise it", page->number);
			snprintf(val, sizeof(val), "page %d: OCR failed", page->number);
			if (host->meta_add(doc, "review.reason", val) != 0) {
				host->error(ctx, "cannot add review.reason");
				goto out;
			}
			review++;
			continue;
		}
		t = TessBaseAPIGetUTF8Text(st->api);
		h = TessBaseAPIGetHOCRText(st->api, page->number - 1);
		conf = TessBaseAPIMeanTextConf(st->api);
		if (t == NULL || h == NULL) {
			TessDeleteText(t);
			TessDeleteText(h);
			host->error(ctx, "page %d: tesseract returned no result", page->number);
			goto out;
		}
		ocr_add_text(&text, t);
		ocr_adds(&hocr, h);
		if (pdf != NULL && !TessResultRendererAddImage(pdf, st->api)) {
			TessDeleteText(t);
			TessDeleteText(h);
			host->error(ctx, "page %d: tesseract cannot add it to the PDF", page->number);
			goto out;
		}
		/* a page without any word has no confidence to speak of; unless
		 * the scan stage found it blank, someone should look at it */
		if (strspn(t, " \t\r\n\f") == strlen(t)) {
			if (!page->blank) {
				snprintf(val, sizeof(val), "page %d: no text recognised", page->number);
				if (ocr_review(ctx, host, doc, val) != 0) {
					TessDeleteText(t);
					TessDeleteText(h);
					goto out;
				}
				review++;
			}
		} else {
			page->confidence = (float)conf;
			sum += conf;
			counted++;
			snprintf(key, sizeof(key), "ocr.page.%d.confidence", page->number);
			snprintf(val, sizeof(val), "%d", conf);
			if (ocr_set_meta(ctx, host, doc, key, val) != 0) {
				TessDeleteText(t);
				TessDeleteText(h);
				goto out;
			}
			if (conf < st->review_below) {
				snprintf(val, sizeof(val), "page %d: OCR confidence %d < %d", page->number, conf,
				         st->review_below);
				if (ocr_review(ctx, host, doc, val) != 0) {
					TessDeleteText(t);
					TessDeleteText(h);
					goto out;
				}
				review++;
			}
		}
		TessDeleteText(t);
		TessDeleteText(h);
	}
	TessBaseAPIClear(st->api);
	ocr_adds(&hocr, " </body>\n</html>\n");
	if (text.failed || hocr.failed) {
		host->error(ctx, "out of memory collecting the OCR text");
		goto out;
	}

	if (counted > 0) {
		snprintf(val, sizeof(val), "%ld", (sum + counted / 2) / counted);
		if (ocr_set_meta(ctx, host, doc, "ocr.confidence", val) != 0)
			goto out;
	}
	if (ocr_set_meta(ctx, host, doc, "ocr.languages", st->languages) != 0 ||
	    ocr_set_meta(ctx, host, doc, "ocr.engine", st->engine) != 0)
		goto out;
	if (host->part_add_mem(ctx, doc, DG_ROLE_TEXT, OCR_TEXT_TYPE, text.p ? text.p : "", text.len) != 0 ||
	    host->part_add_mem(ctx, doc, "hocr", OCR_HOCR_TYPE, hocr.p, hocr.len) != 0)
		goto out;
	if (pdf != NULL) {
		began = 0;
		if (!TessResultRendererEndDocument(pdf) || stat(pdfpath, &sb) != 0) {
			host->error(ctx, "tesseract could not write the PDF %s", pdfpath);
			goto out;
		}
		if (host->part_add_file(ctx, doc, "pdf", OCR_PDF_TYPE, pdfpath) != 0)
			goto out;
	}
	host->note(ctx, doc, "%d page%s, %s, mean confidence %s", pages->n, pages->n == 1 ? "" : "s", st->languages,
	           counted > 0 ? host->meta_get(doc, "ocr.confidence") : "none");
	rc = review > 0 ? DG_WARN : DG_OK;
out:
	if (began)
		TessResultRendererEndDocument(pdf);
	if (pdf != NULL)
		TessDeleteResultRenderer(pdf);
	if (rc == DG_FAILED)
		TessBaseAPIClear(st->api);
	free(base);
	free(pdfpath);
	free(text.p);
	free(hocr.p);
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
