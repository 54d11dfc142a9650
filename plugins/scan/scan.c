/*
 * plugins/scan/scan.c -- paper-scan ingestion: decode every page of a
 * scanned document once, check it the way DA/T 31-2017 (纸质档案数字化
 * 规范) asks, record what was found, and hand the decoded pages to the
 * prep and ocr stages as a struct dg_pages scratch object (pages.h).
 *
 * Raster formats (TIFF, JPEG 2000, PNM, BMP) are decoded in process with
 * leptonica, JPEG with libjpeg itself (jpeg-read.c: its warnings tell a
 * damaged page from stray bytes, and leptonica would let it print them), PNG
 * with libpng itself (png-decode.c, for the same reason) and a
 * TIFF page in tiles, or in strips leptonica cannot read (old-style
 * JPEG), with libtiff, after
 * the dimensions of every page have been read from its header and
 * checked against max-pixels, so that a decompression bomb is refused
 * without being decoded.  leptonica silences libtiff, so the strips of a
 * compressed TIFF page it read are decompressed once more by libtiff,
 * only to hear what it says of damage (scan_tiff_check).  A JPEG's EXIF
 * Orientation (read with libexif) turns or mirrors the decoded page
 * upright; the page records it (dg_page.file_unfit), since the file
 * can no longer stand for the page's picture.  Its EXIF resolution
 * counts when it has no JFIF density (an EXIF file has no JFIF header).
 *
 * PDF is opened, read and rendered with poppler-glib and cairo in a
 * child process (fork, no exec) that sends the text and the rendered
 * pages back through a pipe.  A page with a text layer keeps it and
 * is not rendered (unless ocr is force or redo): the text part is the
 * layer's text, a form feed after each page, and when other pages are
 * rendered for OCR, dg_pages.layer hands each such page's text to the
 * ocr stage, which writes it in its place.  Pages to render are dealt in turn to
 * several such processes (the first reads the text and decides whether
 * to render; the others are started only then), so that the pages of a
 * long scan are rendered on every core while the parent takes them back
 * in page order.  `renderers` bounds them over the run: each document
 * has its first, and the others it may start are what is free when it
 * begins.  Poppler is not thread-safe, it decodes an
 * embedded image at its full size whatever size it is drawn at (an
 * inline image in a compressed content stream cannot be checked
 * beforehand), and a malformed PDF that crashes it must not take the
 * engine down: in the child it is alone, limited in memory (RLIMIT_AS,
 * except under AddressSanitizer) and time (the timeout option), and the
 * parent trusts nothing it sends.  What poppler's decoders say while
 * the child draws a page (poppler-glib logs it, libjpeg prints it)
 * comes back with the page, for a note and the problem suspect-data;
 * so does what the child finds reading the data of the page's Flate
 * and JPEG pictures once more before poppler draws them (pdf-images.c:
 * poppler does not check a Flate checksum, and reads damaged JPEG data
 * out of step without a word).
 * Image XObjects, whose dictionaries are never compressed, are checked
 * against max-pixels in the parent before the child starts; an inline
 * image too large for the child's memory limit is not drawn by poppler
 * (the page comes out blank and is reported as such).
 *
 * Decoded pages are held in memory up to max-memory bytes a document;
 * past that, each is written to the document's temporary directory
 * (pages.h, dg_pages_keep) up to max-disk, and the later stages read it
 * back when they come to it: a long colour PDF is not limited by
 * memory.  A page must fit in max-memory on its own.
 *
 * The instance state holds only the option values and is not modified
 * after init(); every process() call keeps its state on its stack, so
 * the plugin is DG_PLUGIN_SHARED.  Leptonica's messages are caught by a
 * handler (set once) into a thread-local buffer and used as reasons.
 */
#include <config.h>
#include <dangan/plugin.h>

#include "../common/workers.h"
#include "jpeg-read.h"
#include "pages.h"
#include "pdf-images.h"
#include "png-decode.h"

#include <cairo.h>
#include <libexif/exif-data.h>
#include <poppler.h>
#include <tiffio.h>

/* jpeglib.h needs stdio.h before it, and jerror.h after it */
#include <setjmp.h>
#include <stdio.h>

#include <jpeglib.h>

#include <jerror.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCAN_VERSION "1.0.0"

#if defined(__SANITIZE_ADDRESS__)
#define SCAN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SCAN_ASAN 1
#endif
#endif

/* Page checks (on a copy reduced to about 100 dpi by keeping the
 * darkest pixel of each block, 5 % margins cut). */
#define SCAN_CHECK_DPI 100        /* resolution the checks look at */
#define SCAN_DARK_MEAN 60.0       /* mean gray below this: too dark */
#define SCAN_INK_MAX 128          /* ink is darker than this ... */
#define SCAN_INK_DELTA 80         /* ... and than the paper by this much */
#define SCAN_FAINT_DELTA 30       /* faint marks: darker than the paper by this */
#define SCAN_BLANK_INK 0.0002     /* ink fraction below which a page is blank */
#define SCAN_LIGHT_FAINT 0.005    /* inkless page with this much faint: too light */
#define SCAN_COLOUR_CHROMA 60     /* max-min of r,g,b above this: a coloured pixel */
#define SCAN_COLOUR_FRACTION 2e-4 /* fraction of coloured pixels for colour mode */
#define SCAN_BITONAL_PURE 0.99    /* marks that are pure black, for a bitonal render */

/* PDF */
#define SCAN_PDF_DPI_DEFAULT 300 /* a page without a scanned image */
#define SCAN_PDF_DPI_MIN 150
#define SCAN_PDF_DPI_MAX 600
#define SCAN_PDF_DPI_SCANNED 50              /* an image drawn at less is no scan (a thumbnail) */
#define SCAN_PDF_ASPECT 0.03                 /* image and area aspects agree within 3 % */
#define SCAN_PDF_WINDOW ((size_t)65536)      /* bytes searched back for a stream's "obj" */
#define SCAN_PDF_TOKENS 512                  /* top-level tokens of a stream dictionary */
#define SCAN_PDF_IMAGES_MAX 100000           /* image sizes remembered for the dpi guess */
#define SCAN_CAIRO_MAX 32767                 /* cairo's largest image surface side */
#define SCAN_TEXT_PAGE_MAX (16u << 20)       /* text bytes taken from one PDF page */
#define SCAN_TEXT_MAX ((size_t)64 << 20)     /* text bytes taken from one PDF */
#define SCAN_TIFF_ALLOC ((int64_t)256 << 20) /* libtiff's largest allocation (tiles) */
#define SCAN_EXIF_SCAN_MAX (1u << 20)        /* bytes of a JPEG's start searched for EXIF */
#define SCAN_EXIF_DPI_MAX 100000             /* an EXIF resolution above is no scan's */
#define SCAN_TEXT_SPARSE 0.005               /* text boxes under this part of a scanned page: */
#define SCAN_TEXT_SCANNED 0.5                /* ...one whose largest image covers this part */
#define SCAN_MSG_MAX 1024                    /* an error message from the child */
#define SCAN_CHILD_BASE ((int64_t)256 << 20) /* child address space besides pages */
#define SCAN_PIPE_CHUNK ((size_t)1 << 20)    /* a renderer's pipe: its size, and the bytes of a write */

#define SCAN_RANGES_MAX 256
#define SCAN_RENDERERS_MAX 16 /* PDF renderer processes (the option's max) */
#define SCAN_RENDERERS_AUTO 4 /* ... at most, one for each processor */
#define SCAN_LEPT_MSG 256
#define SCAN_TIFF_WARN (SCAN_LEPT_MSG + 64) /* "libtiff warns: ...": a note */

static const struct dg_option scan_options[] = {
    {.name = "max-pixels",
     .type = DG_OPT_SIZE,
     .default_value = "100M",
     .help = "most pixels (width x height) of one page, read from the headers before anything is decoded",
     .min = 1,
     .max = INT64_MAX},
    {.name = "max-pages",
     .type = DG_OPT_INT,
     .default_value = "2000",
     .help = "most pages of one document",
     .min = 1,
     .max = 1000000},
    {.name = "max-memory",
     .type = DG_OPT_SIZE,
     .default_value = "1G",
     .help = "most bytes of page images (decoded, and prepared for OCR) one document holds in memory; "
             "past that, pages are kept in the document's temporary directory (see max-disk)",
     .min = 1,
     .max = INT64_MAX},
    {.name = "max-disk",
     .type = DG_OPT_SIZE,
     .default_value = "64G",
     .help = "most bytes of decoded page images one document keeps in its temporary directory, past "
             "max-memory (0: none; a document that needs more is refused)",
     .min = 0,
     .max = INT64_MAX},
    {.name = "min-dpi",
     .type = DG_OPT_INT,
     .default_value = "200",
     .help = "pages scanned below this resolution are reported as low-resolution (DA/T 31-2017)",
     .min = 1,
     .max = 100000},
    {.name = "ocr",
     .type = DG_OPT_STRING,
     .default_value = "auto",
     .help = "auto: OCR the pages without a text layer (a PDF's pages with one keep it, not rendered); "
             "skip: never; force, redo: every page, rendered and read"},
    {.name = "pages",
     .type = DG_OPT_STRING,
     .default_value = "",
     .help = "pages to decode, e.g. 1-3,7,10- (empty: all); the others are recorded as skipped"},
    {.name = "timeout",
     .type = DG_OPT_INT,
     .default_value = "120",
     .help = "seconds the PDF renderer may spend on one page",
     .min = 1,
     .max = 86400},
    {.name = "renderers",
     .type = DG_OPT_INT,
     .default_value = "0",
     .help = "PDF pages rendered at once over the run, each by a renderer process of its own, a document's "
             "pages dealt in turn to its first and to what is free of the others when it begins (0: as many as "
             "ingest's workers, -j, at most 4; 1: one page after another)",
     .min = 0,
     .max = 16},
    {.name = NULL},
};

/* Media types this plugin bids on (parameters stripped). */
static const char *const scan_types[] = {
    "image/tiff",
    "image/png",
    "image/jpeg",
    "image/jp2",
    "image/jpx",
    "image/x-jp2-codestream",
    "image/x-portable-bitmap",
    "image/x-portable-graymap",
    "image/x-portable-greymap",
    "image/x-portable-pixmap",
    "image/x-portable-anymap",
    "image/bmp",
    "image/x-ms-bmp",
    "application/pdf",
    NULL,
};

enum scan_ocr { SCAN_OCR_AUTO, SCAN_OCR_SKIP, SCAN_OCR_FORCE, SCAN_OCR_REDO };

struct scan_range {
	int64_t lo, hi;
};

/* Instance state: read-only after init(). */
struct scan_state {
	int64_t max_pixels, max_pages, max_memory, max_disk, min_dpi, timeout;
	int renderers; /* PDF renderer processes, at least 1 */
	char max_pixels_text[32], max_memory_text[32], max_disk_text[32];
	enum scan_ocr ocr;
	size_t nranges; /* 0: all pages */
	struct scan_range ranges[SCAN_RANGES_MAX];
};

/* Problems found on a page. */
enum {
	SCAN_P_LOWRES = 1u << 0,
	SCAN_P_NORES = 1u << 1,
	SCAN_P_BLANK = 1u << 2,
	SCAN_P_DARK = 1u << 3,
	SCAN_P_LIGHT = 1u << 4,
	SCAN_P_SUSPECT = 1u << 5,
};
static const char *const scan_problem_names[] = {"low-resolution", "unknown-resolution", "blank",
                                                 "too-dark",       "too-light",          "suspect-data"};
#define SCAN_NPROBLEMS (sizeof(scan_problem_names) / sizeof(scan_problem_names[0]))

/* What is recorded of one decoded page. */
struct scan_info {
	int number;
	int w, h;
	int xres, yres;  /* resolution of the scan (0 = unknown) */
	int res_applies; /* the resolution checks apply (not a PDF page without an image) */
	const char *colour;
	char compression[24];
	unsigned problems;
	double mean; /* mean gray, 0..255 */
};

/* EXIF Orientation (JPEG): what the stored picture needs to be shown
 * upright, as its file says. */
static const char *const scan_exif_turns[9] = {
    NULL,
    NULL,
    "mirrored left to right",
    "turned 180 degrees",
    "mirrored top to bottom",
    "mirrored left to right and turned 90 degrees anticlockwise",
    "turned 90 degrees clockwise",
    "mirrored left to right and turned 90 degrees clockwise",
    "turned 90 degrees anticlockwise",
};

/* Where one page's text is in scan_run.text. */
struct scan_span {
	size_t at, len;
};

/* One process() call. */
struct scan_run {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	const struct scan_state *st;
	struct dg_doc *doc;
	const unsigned char *data; /* the original, mapped */
	size_t size;
	const char *kind;       /* "TIFF", "PNG", "PDF", ... for messages */
	int total;              /* pages in the document */
	struct dg_pages *pages; /* decoded pages */
	struct scan_info *info; /* one per decoded page */
	int cap;
	int64_t mem; /* bytes of decoded pages */
	int is_pdf;
	int text_pages; /* PDF pages with text */
	int rendered;   /* PDF: pages were rendered */
	char *text;     /* PDF text layer: each page's, and a form feed after it */
	size_t text_len, text_cap;
	int text_cut;
	unsigned char *stamped; /* PDF pages whose little text is no text layer */
	int stamped_n;
	unsigned char *has_text;     /* [0..total) PDF pages with a text layer */
	struct scan_span *text_span; /* [0..total) where in text each one's text is */
	unsigned char *kept;         /* [0..total) pages not decoded whose text layer stands for them */
	int layer_n;                 /* how many */
	struct dg_layout *layout;    /* [0..total) the words of the pages with a text layer, when OCR
	                                reads others (PM_WORDS); or NULL */
	int cut_short;               /* PDF: no %%EOF at its end */
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static int64_t
scan_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Printable ASCII copy of a message from a library (controls and
 * non-ASCII bytes become '?', a trailing newline is dropped). */
static void
scan_clean(char *dst, size_t cap, const char *src)
{
	size_t i, o = 0;

	if (cap == 0)
		return;
	for (i = 0; src[i] != '\0' && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

/* Leptonica reports through lept_stderr(); the first error after a
 * reset is kept (the root cause, not "pix not read" from the caller). */
static _Thread_local char scan_lept_msg[SCAN_LEPT_MSG];
static pthread_once_t scan_once = PTHREAD_ONCE_INIT;

static void
scan_lept_handler(const char *msg)
{
	if (msg == NULL || scan_lept_msg[0] != '\0' || strncmp(msg, "Error", 5) != 0)
		return;
	scan_clean(scan_lept_msg, sizeof(scan_lept_msg), msg);
}

static void
scan_once_init(void)
{
	leptSetStderrHandler(scan_lept_handler);
}

static void
scan_lept_reset(void)
{
	scan_lept_msg[0] = '\0';
}

static const char *
scan_lept_why(void)
{
	return scan_lept_msg[0] != '\0' ? scan_lept_msg : "leptonica gave no detail";
}

/* Is page n (1-based) selected by the pages option? */
static bool
scan_selected(const struct scan_state *st, int64_t n)
{
	size_t i;

	if (st->nranges == 0)
		return true;
	for (i = 0; i < st->nranges; i++)
		if (n >= st->ranges[i].lo && n <= st->ranges[i].hi)
			return true;
	return false;
}

/* Parse "1-3,7,10-" into ranges; -1 with a message if malformed. */
static int
scan_parse_pages(const char *s, struct scan_state *st, char *why, size_t cap)
{
	const char *p = s;
	char *end;
	long long lo, hi;

	st->nranges = 0;
	if (s == NULL)
		return 0;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p < '0' || *p > '9')
			goto bad;
		errno = 0;
		lo = strtoll(p, &end, 10);
		if (errno != 0 || lo < 1)
			goto bad;
		p = end;
		hi = lo;
		while (*p == ' ')
			p++;
		if (*p == '-') {
			p++;
			while (*p == ' ')
				p++;
			if (*p >= '0' && *p <= '9') {
				errno = 0;
				hi = strtoll(p, &end, 10);
				if (errno != 0 || hi < lo)
					goto bad;
				p = end;
			} else {
				hi = INT64_MAX;
			}
		}
		if (st->nranges == SCAN_RANGES_MAX) {
			snprintf(why, cap, "option pages: more than %d ranges", SCAN_RANGES_MAX);
			return -1;
		}
		st->ranges[st->nranges].lo = lo;
		st->ranges[st->nranges].hi = hi;
		st->nranges++;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return 0;
		if (*p != ',')
			goto bad;
		p++;
	}
bad:
	snprintf(why, cap, "option pages: '%.64s' is not a list of pages like 1-3,7,10-", s);
	return -1;
}

/* Growing text buffer (PDF text layer). */
static int
scan_text_add(struct scan_run *r, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (r->text_len + n > SCAN_TEXT_MAX) {
		r->text_cut = 1;
		n = SCAN_TEXT_MAX - r->text_len;
	}
	if (r->text_len + n + 1 > r->text_cap) {
		cap = r->text_cap ? r->text_cap : 4096;
		while (cap < r->text_len + n + 1)
			cap *= 2;
		p = realloc(r->text, cap);
		if (p == NULL)
			return -1;
		r->text = p;
		r->text_cap = cap;
	}
	memcpy(r->text + r->text_len, s, n);
	r->text_len += n;
	r->text[r->text_len] = '\0';
	return 0;
}

/* Make s valid UTF-8 in place: every byte that does not start a
 * well-formed sequence becomes '?'. */
static void
scan_utf8_fix(char *s, size_t n)
{
	unsigned char *p = (unsigned char *)s;
	size_t i = 0, k, len;
	uint32_t c, min;

	while (i < n) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			c &= 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			c &= 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			c &= 0x07;
			min = 0x10000;
		} else {
			p[i++] = '?';
			continue;
		}
		for (k = 1; k < len; k++) {
			if (i + k >= n || (p[i + k] & 0xc0) != 0x80)
				break;
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if (k < len || c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
			p[i++] = '?';
			continue;
		}
		i += len;
	}
}

/* Does UTF-8 text have anything but white space? */
static bool
scan_has_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
			continue;
		if (p[0] == 0xc2 && p[1] == 0xa0) { /* no-break space */
			p++;
			continue;
		}
		if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) { /* ideographic space */
			p += 2;
			continue;
		}
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* The decoded page set                                                 */

static void
dg_layout_free(struct dg_layout *lo, int n)
{
	int i;

	if (lo == NULL)
		return;
	for (i = 0; i < n; i++)
		free(lo[i].word);
	free(lo);
}

static void
dg_pages_free(void *obj)
{
	struct dg_pages *p = obj;
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		dg_page_drop_prepared(p, &p->page[i]);
		pixDestroy(&p->page[i].pix);
		if (p->page[i].pix_file != NULL) {
			unlink(p->page[i].pix_file);
			free(p->page[i].pix_file);
		}
	}
	if (p->layer != NULL)
		for (i = 0; i < p->total; i++)
			free(p->layer[i]);
	free(p->layer);
	dg_layout_free(p->layout, p->total);
	free(p->page);
	free(p);
}

static int
scan_reserve(struct scan_run *r, int n)
{
	struct dg_page *pg;
	struct scan_info *in;

	if (n <= r->cap)
		return 0;
	pg = realloc(r->pages->page, (size_t)n * sizeof(*pg));
	if (pg == NULL)
		return -1;
	r->pages->page = pg;
	in = realloc(r->info, (size_t)n * sizeof(*in));
	if (in == NULL)
		return -1;
	r->info = in;
	r->cap = n;
	return 0;
}

/* Number of pages of a document of total pages the option selects. */
static int
scan_count_selected(const struct scan_state *st, int total)
{
	int i, n = 0;

	for (i = 1; i <= total; i++)
		n += scan_selected(st, i);
	return n;
}

/* ------------------------------------------------------------------ */
/* Limits                                                               */

/* Check a page's dimensions before it is decoded. */
static int
scan_check_dims(struct scan_run *r, int number, int64_t w, int64_t h)
{
	if (w <= 0 || h <= 0) {
		r->host->error(r->ctx, "page %d: zero-size image (%" PRId64 "x%" PRId64 ")", number, w, h);
		return -1;
	}
	if (w > INT32_MAX / 2 || h > INT32_MAX / 2 || w * h > r->st->max_pixels) {
		r->host->error(r->ctx,
		               "page %d: %" PRId64 "x%" PRId64 " pixels exceeds max-pixels (%s): decompression bomb?",
		               number, w, h, r->st->max_pixels_text);
		return -1;
	}
	return 0;
}

/* Check that a decoded page of bytes fits: in max-memory on its own,
 * and with the pages before it in max-memory and max-disk. */
static int
scan_check_mem(struct scan_run *r, int number, int64_t bytes)
{
	if (bytes < 0 || bytes > r->st->max_memory) {
		r->host->error(r->ctx, "page %d: decoded, it would need more than max-memory (%s) (%" PRId64 " bytes)",
		               number, r->st->max_memory_text, bytes);
		return -1;
	}
	if (r->mem + bytes - r->st->max_memory > r->st->max_disk) {
		r->host->error(
		    r->ctx,
		    "page %d: the decoded pages would need more than max-memory (%s) and max-disk (%s) (%" PRId64
		    " bytes so far, %" PRId64 " more)",
		    number, r->st->max_memory_text, r->st->max_disk_text, r->mem, bytes);
		return -1;
	}
	return 0;
}

/* Bytes of a normalised page of w x h with bps bits per sample and
 * spp samples per pixel (an estimate made before decoding). */
static int64_t
scan_estimate(int64_t w, int64_t h, int bps, int spp, int cmap)
{
	int64_t bits;

	if (spp >= 2 || (cmap && bps > 1))
		bits = 32;
	else if (bps <= 1)
		bits = 1;
	else
		bits = 8;
	return (w * bits + 31) / 32 * 4 * h;
}

/* ------------------------------------------------------------------ */
/* Page checks                                                          */

/* Mean gray and blank/too-dark/too-light on a page. */
static int
scan_check_page(PIX *pix, int dpi, unsigned *problems, double *mean_out)
{
	PIX *p8 = NULL, *small = NULL, *inner = NULL;
	BOX *box = NULL;
	NUMA *na = NULL;
	l_float32 *hist;
	double total = 0, sum = 0, half, acc, mean, ink = 0, faint = 0, light = 0;
	int eff = dpi > 0 ? dpi : 300, w, h, i, n, f, bg = 255, ink_max, faint_max, rc = -1;

	p8 = pixConvertTo8(pix, 0);
	if (p8 == NULL)
		goto out;
	/* keep the darkest pixel of each block: a thin stroke survives the
	 * reduction (averaging would wash it out), a speck of dust stays a
	 * single pixel */
	f = (eff + SCAN_CHECK_DPI / 2) / SCAN_CHECK_DPI;
	if (f > 1 && pixGetWidth(p8) / f >= 8 && pixGetHeight(p8) / f >= 8)
		small = pixScaleGrayMinMax(p8, f, f, L_CHOOSE_MIN);
	if (small == NULL)
		small = pixClone(p8);
	if (small == NULL)
		goto out;
	w = pixGetWidth(small);
	h = pixGetHeight(small);
	if (w >= 40 && h >= 40) {
		box = boxCreate(w / 20, h / 20, w - 2 * (w / 20), h - 2 * (h / 20));
		if (box != NULL)
			inner = pixClipRectangle(small, box, NULL);
	}
	if (inner == NULL)
		inner = pixClone(small);
	if (inner == NULL)
		goto out;
	na = pixGetGrayHistogram(inner, 1);
	if (na == NULL)
		goto out;
	hist = numaGetFArray(na, L_NOCOPY);
	n = numaGetCount(na);
	if (hist == NULL || n != 256)
		goto out;
	for (i = 0; i < 256; i++) {
		total += hist[i];
		sum += (double)i * hist[i];
	}
	if (total <= 0)
		goto out;
	mean = sum / total;
	*mean_out = mean;
	/* the paper: the median */
	half = total / 2;
	for (acc = 0, i = 0; i < 256; i++) {
		acc += hist[i];
		if (acc >= half) {
			bg = i;
			break;
		}
	}
	if (mean < SCAN_DARK_MEAN) {
		*problems |= SCAN_P_DARK;
		rc = 0;
		goto out;
	}
	ink_max = bg - SCAN_INK_DELTA < SCAN_INK_MAX ? bg - SCAN_INK_DELTA : SCAN_INK_MAX;
	faint_max = bg - SCAN_FAINT_DELTA;
	for (i = 0; i < 256; i++) {
		if (i < ink_max)
			ink += hist[i];
		if (i < faint_max)
			faint += hist[i];
		if (i > bg + SCAN_INK_DELTA)
			light += hist[i];
	}
	/* the median is the paper unless dark covers most of the page (a
	 * photograph, a shadow, light print on a dark ground): then marks
	 * much lighter than it are the page's content, and it is not blank */
	if (ink / total < SCAN_BLANK_INK && light / total < SCAN_BLANK_INK) {
		if (faint / total >= SCAN_LIGHT_FAINT)
			*problems |= SCAN_P_LIGHT;
		else
			*problems |= SCAN_P_BLANK;
	}
	rc = 0;
out:
	numaDestroy(&na);
	boxDestroy(&box);
	pixDestroy(&inner);
	pixDestroy(&small);
	pixDestroy(&p8);
	return rc;
}

/* Is every pixel of a 32 bpp image gray (red, green and blue equal)? */
static bool
scan_exact_gray(PIX *pix)
{
	l_uint32 *data = pixGetData(pix);
	int w = pixGetWidth(pix), h = pixGetHeight(pix), wpl = pixGetWpl(pix), x, y;

	for (y = 0; y < h; y++) {
		const l_uint32 *row = data + (size_t)y * (size_t)wpl;
		for (x = 0; x < w; x++) {
			l_uint32 v = row[x];
			if (((v >> 24) & 0xff) != ((v >> 16) & 0xff) || ((v >> 16) & 0xff) != ((v >> 8) & 0xff))
				return false;
		}
	}
	return true;
}

/*
 * Bring a decoded image to 1 bpp, 8 bpp gray or 32 bpp RGB, without
 * colormap or alpha (what prep and ocr expect).  The colour mode of the
 * file is set from what it stores (gray with alpha, which leptonica
 * reads as RGBA, is gray).  Consumes pix; NULL on failure.
 */
static PIX *
scan_normalise(PIX *pix, const char **colour)
{
	PIXCMAP *cmap = pixGetColormap(pix);
	PIX *out = NULL;
	l_int32 has = 0, bw = 0;
	int d = pixGetDepth(pix);

	if (cmap != NULL) {
		pixcmapHasColor(cmap, &has);
		pixcmapIsBlackAndWhite(cmap, &bw);
		if (has) {
			*colour = "colour";
			out = pixRemoveColormap(pix, REMOVE_CMAP_TO_FULL_COLOR);
		} else if (bw && d == 1) {
			*colour = "bitonal";
			out = pixRemoveColormap(pix, REMOVE_CMAP_TO_BINARY);
		} else {
			*colour = "gray";
			out = pixRemoveColormap(pix, REMOVE_CMAP_TO_GRAYSCALE);
		}
	} else if (d == 1) {
		*colour = "bitonal";
		out = pixClone(pix);
	} else if (d == 2 || d == 4) {
		*colour = "gray";
		out = pixConvertTo8(pix, 0);
	} else if (d == 8) {
		*colour = "gray";
		out = pixClone(pix);
	} else if (d == 16) {
		*colour = "gray";
		out = pixConvert16To8(pix, L_MS_BYTE);
	} else if (d == 24) {
		*colour = "colour";
		out = pixConvert24To32(pix);
	} else if (d == 32) {
		*colour = "colour";
		if (pixGetSpp(pix) == 4) {
			out = pixAlphaBlendUniform(pix, 0xffffff00);
			if (out != NULL)
				pixSetSpp(out, 3);
			/* leptonica reads gray with alpha as RGBA: gray again */
			if (out != NULL && scan_exact_gray(out)) {
				PIX *g = pixGetRGBComponent(out, COLOR_GREEN);
				if (g != NULL) {
					pixDestroy(&out);
					out = g;
					*colour = "gray";
				}
			}
		} else {
			out = pixClone(pix);
		}
	}
	if (out != NULL && out != pix)
		pixCopyResolution(out, pix);
	pixDestroy(&pix);
	return out;
}

/*
 * Record a decoded, normalised page: checks, then into the page set.
 * Consumes pix.  in->number, resolution, colour and compression are set
 * by the caller; pix_res is the resolution of pix itself.
 */
static int
scan_add(struct scan_run *r, struct scan_info *in, PIX *pix, int pix_res)
{
	struct dg_page *pg;
	int64_t bytes;

	bytes = (int64_t)pixGetWpl(pix) * 4 * pixGetHeight(pix);
	if (scan_check_mem(r, in->number, bytes) != 0) {
		pixDestroy(&pix);
		return -1;
	}
	if (scan_reserve(r, r->pages->n + 1) != 0) {
		r->host->error(r->ctx, "out of memory");
		pixDestroy(&pix);
		return -1;
	}
	in->w = pixGetWidth(pix);
	in->h = pixGetHeight(pix);
	if (in->res_applies) {
		if (in->xres <= 0 || in->yres <= 0)
			in->problems |= SCAN_P_NORES;
		else if (in->xres < r->st->min_dpi || in->yres < r->st->min_dpi)
			in->problems |= SCAN_P_LOWRES;
	}
	in->mean = -1;
	if (scan_check_page(pix, pix_res, &in->problems, &in->mean) != 0)
		r->host->log(r->ctx, DG_LOG_WARN, "page %d: the page checks could not run", in->number);
	pg = &r->pages->page[r->pages->n];
	memset(pg, 0, sizeof(*pg));
	pg->number = in->number;
	pg->pix = pix;
	pg->xres = pixGetXRes(pix);
	pg->yres = pixGetYRes(pix);
	pg->blank = (in->problems & SCAN_P_BLANK) != 0;
	pg->prepared = NULL;
	pg->confidence = -1;
	/* past max-memory, into the temporary directory */
	if (dg_pages_keep(r->pages, &pg->pix, &pg->pix_file,
	                  dg_pages_fits(r->pages, bytes) ? NULL : r->host->temp_dir(r->ctx, r->doc), "page",
	                  in->number) < 0) {
		r->host->error(r->ctx, "page %d: cannot keep the decoded page in the temporary directory: %s",
		               in->number, strerror(errno));
		pixDestroy(&pg->pix);
		return -1;
	}
	r->mem += bytes;
	r->info[r->pages->n] = *in;
	r->pages->n++;
	/* cap: the pages to decode, when the stage knows them beforehand */
	dg_pages_progress(r->ctx, r->host, r->doc, r->pages->n, r->cap > r->pages->n ? r->cap : r->pages->n);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Raster images (leptonica)                                            */

static const char *
scan_format_name(l_int32 format)
{
	switch (format) {
	case IFF_PNG: return "png";
	case IFF_JFIF_JPEG: return "jpeg";
	case IFF_JP2: return "jp2";
	case IFF_PNM: return "pnm";
	case IFF_BMP: return "bmp";
	case IFF_GIF: return "gif";
	case IFF_WEBP: return "webp";
	case IFF_TIFF: return "tiff";
	case IFF_TIFF_PACKBITS: return "tiff-packbits";
	case IFF_TIFF_RLE: return "tiff-rle";
	case IFF_TIFF_G3: return "tiff-g3";
	case IFF_TIFF_G4: return "tiff-g4";
	case IFF_TIFF_LZW: return "tiff-lzw";
	case IFF_TIFF_ZIP: return "tiff-zip";
	case IFF_TIFF_JPEG: return "tiff-jpeg";
	default: return "other";
	}
}

static uint64_t
scan_rd(const unsigned char *p, int n, bool le)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[le ? i : n - 1 - i] << (8 * i);
	return v;
}

/* One directory (page) of a TIFF, as read by scan_tiff_walk(). */
struct tiff_dir {
	uint64_t off;  /* where it is: for pixReadMemFromMultipageTiff() */
	int64_t w, h;  /* the largest ImageWidth/ImageLength it gives */
	int bps, spp;  /* BitsPerSample (first), SamplesPerPixel */
	int palette;   /* PhotometricInterpretation is palette */
	unsigned comp; /* Compression */
	int orient;    /* Orientation (1..8; 5..8: leptonica turns the sides) */
	int unitless;  /* ResolutionUnit 1: the resolution is no dpi */
	int tiled;     /* in tiles (TileWidth), which leptonica does not read */
	int bad;       /* a required field is missing or unreadable */
};

/* Bytes of one value of a TIFF field type (0: not an integer type). */
static int
tiff_type_size(unsigned type)
{
	switch (type) {
	case 1:
	case 6: return 1; /* BYTE, SBYTE */
	case 3:
	case 8: return 2; /* SHORT, SSHORT */
	case 4:
	case 9:
	case 13: return 4; /* LONG, SLONG, IFD */
	case 16:
	case 17:
	case 18: return 8; /* LONG8, SLONG8, IFD8 */
	default: return 0;
	}
}

/* The first value of an integer field at entry e, or -1. */
static int64_t
tiff_value(const unsigned char *p, size_t n, uint64_t e, bool le, bool big)
{
	unsigned type = (unsigned)scan_rd(p + e + 2, 2, le);
	uint64_t count = scan_rd(p + e + 4, big ? 8 : 4, le), at = e + (big ? 12 : 8), v;
	int size = tiff_type_size(type);

	if (size == 0 || count == 0)
		return -1;
	if (count > (uint64_t)(big ? 8 : 4) / (uint64_t)size) { /* not inline: at an offset */
		at = scan_rd(p + at, big ? 8 : 4, le);
		if (at > n || n - at < (uint64_t)size)
			return -1;
	}
	v = scan_rd(p + at, size, le);
	if ((type == 6 || type == 8 || type == 9 || type == 17) && (v >> (8 * size - 1)) != 0)
		return -1; /* negative */
	return v > (uint64_t)INT64_MAX ? -1 : (int64_t)v;
}

/*
 * Walk the main directory chain of a TIFF without decoding anything,
 * at most max directories (then *more is set), stopping at a loop or a
 * directory outside the file (then *cut is its offset: the file was cut
 * short or is damaged).  Dimensions are taken conservatively (the
 * largest of repeated fields) since they decide what may be decoded.
 * Classic TIFF and BigTIFF.  Returns the number of directories, -1 if
 * the header is not TIFF's.  *dirs is malloc'd.
 */
static int
scan_tiff_walk(const unsigned char *p, size_t n, int max, struct tiff_dir **dirs, int *more, uint64_t *cut)
{
	struct tiff_dir *d = NULL, *nd;
	uint64_t off, count, i, e, esize, csize, osize, *seen = NULL, hcap, hk;
	int64_t v;
	unsigned tag;
	bool le, big;
	int nd_count = 0, cap = 0;

	*dirs = NULL;
	*more = 0;
	*cut = 0;
	if (n < 16 || !((p[0] == 'I' && p[1] == 'I') || (p[0] == 'M' && p[1] == 'M')))
		return -1;
	le = p[0] == 'I';
	switch (scan_rd(p + 2, 2, le)) {
	case 42:
		big = false;
		off = scan_rd(p + 4, 4, le);
		break;
	case 43:
		big = true;
		off = scan_rd(p + 8, 8, le);
		break;
	default: return -1;
	}
	csize = big ? 8 : 2;
	esize = big ? 20 : 12;
	osize = big ? 8 : 4;
	/* the offsets seen, for loops: an open-addressing set */
	hcap = 64;
	while (hcap < (uint64_t)max * 2 + 2)
		hcap *= 2;
	seen = calloc(hcap, sizeof(*seen));
	if (seen == NULL)
		return -1;
	while (off != 0) {
		if (off < 8 || off > n || n - off < csize) {
			*cut = off;
			break;
		}
		for (hk = (off * 0x9e3779b97f4a7c15ull) & (hcap - 1); seen[hk] != 0 && seen[hk] != off;
		     hk = (hk + 1) & (hcap - 1))
			;
		if (seen[hk] == off)
			break; /* a loop */
		if (nd_count == max) {
			*more = 1;
			break;
		}
		seen[hk] = off;
		count = scan_rd(p + off, (int)csize, le);
		if (count > (n - off - csize) / esize || n - off - csize - count * esize < osize) {
			*cut = off;
			break;
		}
		if (nd_count == cap) {
			cap = cap ? cap * 2 : 16;
			nd = realloc(d, (size_t)cap * sizeof(*d));
			if (nd == NULL) {
				free(d);
				free(seen);
				return -1;
			}
			d = nd;
		}
		memset(&d[nd_count], 0, sizeof(d[nd_count]));
		d[nd_count].off = off;
		d[nd_count].w = d[nd_count].h = -1;
		d[nd_count].bps = 1;
		d[nd_count].spp = 1;
		d[nd_count].comp = 1;
		d[nd_count].orient = 1;
		for (i = 0; i < count; i++) {
			e = off + csize + i * esize;
			tag = (unsigned)scan_rd(p + e, 2, le);
			if (tag == 322)
				d[nd_count].tiled = 1;
			if (tag != 256 && tag != 257 && tag != 258 && tag != 259 && tag != 262 && tag != 274 &&
			    tag != 277 && tag != 296)
				continue;
			v = tiff_value(p, n, e, le, big);
			if (tag == 256 || tag == 257) {
				int64_t *dim = tag == 256 ? &d[nd_count].w : &d[nd_count].h;
				if (v < 0)
					d[nd_count].bad = 1;
				else if (v > *dim)
					*dim = v;
			} else if (v >= 0 && v <= 0xffff) {
				if (tag == 258)
					d[nd_count].bps = (int)v;
				else if (tag == 259)
					d[nd_count].comp = (unsigned)v;
				else if (tag == 262)
					d[nd_count].palette = v == 3;
				else if (tag == 274)
					d[nd_count].orient = v >= 1 && v <= 8 ? (int)v : 1;
				else if (tag == 296)
					d[nd_count].unitless = v == 1;
				else
					d[nd_count].spp = (int)v;
			}
		}
		if (d[nd_count].w < 0 || d[nd_count].h < 0)
			d[nd_count].bad = 1;
		nd_count++;
		off = scan_rd(p + off + csize + count * esize, (int)osize, le);
	}
	free(seen);
	*dirs = d;
	return nd_count;
}

static void
scan_tiff_comp_name(unsigned comp, char *buf, size_t cap)
{
	const char *s;

	switch (comp) {
	case 1: s = "tiff-none"; break;
	case 2: s = "tiff-rle"; break;
	case 3: s = "tiff-g3"; break;
	case 4: s = "tiff-g4"; break;
	case 5: s = "tiff-lzw"; break;
	case 6: s = "tiff-ojpeg"; break;
	case 7: s = "tiff-jpeg"; break;
	case 8:
	case 32946: s = "tiff-zip"; break;
	case 32773: s = "tiff-packbits"; break;
	case 34661: s = "tiff-jbig"; break;
	case 34712: s = "tiff-jp2000"; break;
	case 34925: s = "tiff-lzma"; break;
	case 50000: s = "tiff-zstd"; break;
	case 50001: s = "tiff-webp"; break;
	default: snprintf(buf, cap, "tiff-%u", comp); return;
	}
	snprintf(buf, cap, "%s", s);
}

/* A JPEG's size and samples a pixel, from its headers: 0, or -1 with
 * the reason given to the host.  Read with libjpeg, quietly: leptonica's
 * header reader lets libjpeg print its warnings on the terminal. */
static int
scan_jpeg_header(struct scan_run *r, l_int32 *w, l_int32 *h, l_int32 *spp)
{
	struct jpeg_decompress_struct cinfo;
	struct scan_jpeg_err e;

	scan_jpeg_quiet(&cinfo, &e);
	if (setjmp(e.jump)) {
		r->host->error(r->ctx, "not a readable image: libjpeg: %s", e.lost);
		jpeg_destroy_decompress(&cinfo);
		return -1;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, r->data, (unsigned long)r->size);
	jpeg_read_header(&cinfo, TRUE);
	*w = (l_int32)cinfo.image_width; /* libjpeg refuses over 65500 */
	*h = (l_int32)cinfo.image_height;
	*spp = cinfo.num_components;
	jpeg_destroy_decompress(&cinfo);
	return 0;
}

/* Returns the page, or NULL with the reason given to the host; *stray is
 * libjpeg's word on bytes it skipped, for a note ("" if none), and
 * *suspect is 1 when they came after the picture's data began. */
static PIX *
scan_jpeg(struct scan_run *r, char *stray, size_t stray_cap, int *suspect)
{
	struct jpeg_decompress_struct cinfo;
	struct scan_jpeg_err e;
	struct scan_jpeg_src src;
	JSAMPLE *volatile row = NULL;
	PIX *volatile pix = NULL;
	PIX *done;
	l_uint32 *line;
	JDIMENSION w, h, x;
	int spp, wpl;

	stray[0] = '\0';
	*suspect = 0;
	scan_jpeg_quiet(&cinfo, &e);
	if (setjmp(e.jump)) {
		r->host->error(r->ctx, "page 1: cannot decode the JPEG: %s", e.lost);
		goto fail;
	}
	jpeg_create_decompress(&cinfo);
	scan_jpeg_limit(&cinfo, &e);
	scan_jpeg_src(&cinfo, &src, r->data, r->size);
	jpeg_read_header(&cinfo, TRUE);
	e.in_data = 1;
	/* gray stays gray; YCbCr and RGB come out as RGB; CMYK and YCCK as
	 * CMYK, turned into RGB below */
	if (cinfo.jpeg_color_space == JCS_GRAYSCALE)
		cinfo.out_color_space = JCS_GRAYSCALE;
	else if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK)
		cinfo.out_color_space = JCS_CMYK;
	else
		cinfo.out_color_space = JCS_RGB;
	jpeg_start_decompress(&cinfo);
	w = cinfo.output_width;
	h = cinfo.output_height;
	spp = cinfo.output_components;
	if ((spp != 1 && spp != 3 && spp != 4) || w == 0 || h == 0 || w > INT_MAX / 4 || h > INT_MAX) {
		r->host->error(r->ctx, "page 1: cannot decode the JPEG: %d components", spp);
		goto fail;
	}
	pix = pixCreate((l_int32)w, (l_int32)h, spp == 1 ? 8 : 32);
	row = malloc((size_t)w * (size_t)spp);
	if (pix == NULL || row == NULL) {
		r->host->error(r->ctx, "page 1: out of memory");
		goto fail;
	}
	wpl = pixGetWpl(pix);
	while (cinfo.output_scanline < h) {
		JSAMPROW rows[1] = {row};
		JDIMENSION y = cinfo.output_scanline;

		if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) {
			r->host->error(r->ctx, "page 1: cannot decode the JPEG: no data for row %u of %u", y + 1, h);
			goto fail;
		}
		line = pixGetData(pix) + (size_t)y * (size_t)wpl;
		if (spp == 1) {
			for (x = 0; x < w; x++)
				SET_DATA_BYTE(line, x, row[x]);
		} else if (spp == 3) {
			for (x = 0; x < w; x++)
				composeRGBPixel(row[3 * x], row[3 * x + 1], row[3 * x + 2], line + x);
		} else {
			/* Adobe's CMYK JPEGs store the inks inverted and say so in
			 * their APP14 marker; others store them as they are */
			for (x = 0; x < w; x++) {
				int c = row[4 * x], m = row[4 * x + 1], yl = row[4 * x + 2], k = row[4 * x + 3];
				if (!cinfo.saw_Adobe_marker) {
					c = 255 - c;
					m = 255 - m;
					yl = 255 - yl;
					k = 255 - k;
				}
				composeRGBPixel(k * c / 255, k * m / 255, k * yl / 255, line + x);
			}
		}
	}
	jpeg_finish_decompress(&cinfo);
	if (scan_jpeg_lost(&cinfo, &e)) {
		char where[64];

		if (cinfo.progressive_mode) /* every scan is read before the first row */
			snprintf(where, sizeof(where), "a progressive JPEG: scans may be missing");
		else
			snprintf(where, sizeof(where), "from row %u of %u", e.row + 1, h);
		r->host->error(r->ctx, "page 1: corrupt or truncated JPEG data: %s (%s; %d warning%s from libjpeg)",
		               e.lost, where, e.nlost, e.nlost == 1 ? "" : "s");
		goto fail;
	}
	if (cinfo.density_unit == 1)
		pixSetResolution(pix, cinfo.X_density, cinfo.Y_density);
	else if (cinfo.density_unit == 2) /* dots per cm */
		pixSetResolution(pix, (l_int32)(cinfo.X_density * 2.54 + 0.5), (l_int32)(cinfo.Y_density * 2.54 + 0.5));
	*suspect = e.tail[0] != '\0';
	snprintf(stray, stray_cap, "%s", *suspect ? e.tail : e.stray);
	free(row);
	jpeg_destroy_decompress(&cinfo);
	return pix;
fail:
	free(row);
	jpeg_destroy_decompress(&cinfo);
	done = pix;
	pixDestroy(&done);
	return NULL;
}

/* Why leptonica may have failed on an image of w x h, bps bits a sample
 * and spp samples a pixel: a file cut short.  A binary PNM (P4 to P7)
 * or an uncompressed BMP shorter than its pixels; a JPEG 2000 codestream
 * (all of a .j2k, and the last box of a .jp2) ends with its EOC marker.
 * "" when none. */
static void
scan_cut_hint(const struct scan_run *r, l_int32 format, int64_t w, int64_t h, int bps, int spp, char *hint, size_t cap)
{
	int64_t need = h * ((w * bps * spp + 7) / 8);

	hint[0] = '\0';
	if (format == IFF_PNM && r->size >= 2 && r->data[1] >= '4' && r->data[1] <= '7' && (int64_t)r->size < need)
		snprintf(hint, cap,
		         "; the file (%zu bytes) is shorter than the pixels of a %" PRId64 "x%" PRId64
		         " image (%" PRId64 " bytes): it was probably cut short",
		         r->size, w, h, need);
	else if (format == IFF_JP2 && r->size >= 2 && (r->data[r->size - 2] != 0xff || r->data[r->size - 1] != 0xd9))
		snprintf(hint, cap,
		         "; the file (%zu bytes) does not end with the codestream's end marker (FF D9): it was "
		         "probably cut short",
		         r->size);
	else if (format == IFF_BMP && r->size >= 54 && scan_rd(r->data + 30, 4, true) == 0) {
		/* uncompressed: the rows (each to 4 bytes) from the offset */
		int64_t bits = (int64_t)scan_rd(r->data + 28, 2, true);
		int64_t bmp = (int64_t)scan_rd(r->data + 10, 4, true) + h * (((w * bits + 31) / 32) * 4);

		if ((int64_t)r->size < bmp)
			snprintf(hint, cap,
			         "; the file (%zu bytes) is shorter than the pixels of a %" PRId64 "x%" PRId64
			         " image (%" PRId64 " bytes from its start): it was probably cut short",
			         r->size, w, h, bmp);
	}
}

/* Decode one image (not TIFF) whose header was checked and whose page
 * takes est bytes; hint is added to leptonica's reason if it fails
 * (scan_cut_hint); *note is what the decoder let pass, for a note, and
 * *suspect is 1 when it may have garbled the picture (scan_jpeg). */
static PIX *
scan_decode_one(struct scan_run *r, l_int32 format, int64_t est, const char *hint, char *note, size_t note_cap,
                int *suspect)
{
	PIX *pix;

	note[0] = '\0';
	*suspect = 0;
	if (format == IFF_JFIF_JPEG) {
		char stray[JMSG_LENGTH_MAX];

		pix = scan_jpeg(r, stray, sizeof(stray), suspect);
		if (stray[0] != '\0')
			snprintf(note, note_cap, "libjpeg: %s", stray);
		return pix;
	}
	if (format == IFF_PNG) {
		struct scan_png_msgs m;

		pix = scan_png_decode(r->data, r->size, (size_t)(r->st->max_memory - est), &m);
		if (pix == NULL)
			r->host->error(r->ctx, "page 1: %s", m.why);
		else if (m.note[0] == '\0')
			scan_png_check_chunks(r->data, r->size, &m);
		snprintf(note, note_cap, "%s", m.note);
		return pix;
	}
	pix = pixReadMem(r->data, r->size);
	if (pix == NULL)
		r->host->error(r->ctx, "page 1: cannot decode the %s image: %s%s", scan_format_name(format),
		               scan_lept_why(), hint);
	return pix;
}

static int scan_meta(struct scan_run *r, const char *key, const char *fmt, ...) DG_PRINTF(3, 4);

/* What a JPEG's EXIF says (scan_exif_read). */
struct scan_exif {
	int orientation; /* 1..8, 0: none (or a wrong one) */
	int xres, yres;  /* dots per inch, 0: none (or one no page has) */
};

/* An EXIF resolution (RATIONAL, in unit: 2 inches, 3 centimetres) in
 * dots per inch, 0 when e is none or not one a scan can have. */
static int
scan_exif_dpi(ExifEntry *e, ExifByteOrder order, int unit)
{
	ExifRational v;
	double dpi;

	if (e == NULL || e->format != EXIF_FORMAT_RATIONAL || e->components < 1 || e->size < 8)
		return 0;
	v = exif_get_rational(e->data, order);
	if (v.denominator == 0)
		return 0;
	dpi = (double)v.numerator / v.denominator * (unit == 3 ? 2.54 : 1.0);
	return dpi >= 1 && dpi <= SCAN_EXIF_DPI_MAX ? (int)lround(dpi) : 0;
}

/* Read a JPEG's EXIF into *x: its Orientation, and its resolution,
 * which counts when the JFIF header gives none (an EXIF file has no JFIF
 * header: many cameras and some scanners write such files).  libexif
 * looks for the APP1 segment among the markers at the start; what it
 * reads is bounded by the segment's own length. */
static void
scan_exif_read(const unsigned char *data, size_t size, struct scan_exif *x)
{
	ExifData *ed = exif_data_new();
	ExifContent *ifd0;
	ExifByteOrder order;
	ExifEntry *e;
	int unit = 2; /* EXIF's default: inches */

	memset(x, 0, sizeof(*x));
	if (ed == NULL)
		return;
	/* read what is there: no entries made up for the specification */
	exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
	exif_data_load_data(ed, data, size > SCAN_EXIF_SCAN_MAX ? SCAN_EXIF_SCAN_MAX : (unsigned)size);
	ifd0 = ed->ifd[EXIF_IFD_0];
	order = exif_data_get_byte_order(ed);
	e = exif_content_get_entry(ifd0, EXIF_TAG_ORIENTATION);
	if (e != NULL && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->size >= 2)
		x->orientation = exif_get_short(e->data, order);
	if (x->orientation < 1 || x->orientation > 8)
		x->orientation = 0;
	e = exif_content_get_entry(ifd0, EXIF_TAG_RESOLUTION_UNIT);
	if (e != NULL && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->size >= 2)
		unit = exif_get_short(e->data, order);
	/* unit 1: "no absolute unit", an aspect ratio only */
	if (unit == 2 || unit == 3) {
		x->xres = scan_exif_dpi(exif_content_get_entry(ifd0, EXIF_TAG_X_RESOLUTION), order, unit);
		x->yres = scan_exif_dpi(exif_content_get_entry(ifd0, EXIF_TAG_Y_RESOLUTION), order, unit);
		if (x->xres == 0 || x->yres == 0)
			x->xres = x->yres = 0;
	}
	exif_data_unref(ed);
}

/* pix shown upright as EXIF Orientation o says (2..8): a new image, pix
 * destroyed; NULL when out of memory. */
static PIX *
scan_exif_orient(PIX *pix, int o)
{
	PIX *a = pix, *b = NULL;

	if (o == 2 || o == 4 || o == 5 || o == 7) {
		a = o == 4 ? pixFlipTB(NULL, pix) : pixFlipLR(NULL, pix);
		pixDestroy(&pix);
		if (a == NULL)
			return NULL;
	}
	switch (o) {
	case 3: b = pixRotate180(NULL, a); break;
	case 5:
	case 8: b = pixRotate90(a, -1); break;
	case 6:
	case 7: b = pixRotate90(a, 1); break;
	default: return a;
	}
	pixDestroy(&a);
	return b;
}

/* A page in tiles, or in strips that leptonica cannot read (old-style
 * JPEG, ...), read with libtiff's RGBA interface, which takes any
 * layout, photometric and compression libtiff knows; a page neither
 * reads, read again row by row for the reason.  The file is read from
 * memory; libtiff's messages go to the page's reason, not to the
 * terminal. */
struct tiff_mem {
	const unsigned char *data;
	size_t size;
	uint64_t pos;
	char msg[SCAN_LEPT_MSG];  /* the first error */
	char warn[SCAN_LEPT_MSG]; /* the first warning while decoding */
	int nwarn;                /* warnings while decoding */
	int decoding;             /* warnings count (not those of the directory) */
};

static tmsize_t
tiff_mem_read(thandle_t h, void *buf, tmsize_t n)
{
	struct tiff_mem *m = h;
	size_t left = m->pos < m->size ? m->size - (size_t)m->pos : 0;
	size_t k = n < 0 ? 0 : (size_t)n < left ? (size_t)n : left;

	if (k == 0)
		return 0;
	memcpy(buf, m->data + m->pos, k);
	m->pos += k;
	return (tmsize_t)k;
}

static tmsize_t
tiff_mem_write(thandle_t h, void *buf, tmsize_t n)
{
	return -1;
}

static toff_t
tiff_mem_seek(thandle_t h, toff_t off, int whence)
{
	struct tiff_mem *m = h;
	uint64_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->size : 0;

	if (off > UINT64_MAX - base)
		return (toff_t)-1;
	m->pos = base + off;
	return m->pos;
}

static int
tiff_mem_close(thandle_t h)
{
	return 0;
}

static toff_t
tiff_mem_size(thandle_t h)
{
	return ((struct tiff_mem *)h)->size;
}

static int
tiff_mem_map(thandle_t h, void **base, toff_t *size)
{
	struct tiff_mem *m = h;

	*base = (void *)m->data;
	*size = m->size;
	return 1;
}

static void
tiff_mem_unmap(thandle_t h, void *base, toff_t size)
{
}

static void tiff_mem_say(char *dst, TIFF *tif, const char *module, const char *fmt, va_list ap) DG_PRINTF(4, 0);

/* libtiff's message into dst (SCAN_LEPT_MSG bytes), printable */
static void
tiff_mem_say(char *dst, TIFF *tif, const char *module, const char *fmt, va_list ap)
{
	char raw[SCAN_LEPT_MSG];
	/* the module, unless it is only the file's name */
	int k = module != NULL && (tif == NULL || strcmp(module, TIFFFileName(tif)) != 0)
	            ? snprintf(raw, sizeof(raw), "%s: ", module)
	            : 0;

	if (k < 0 || (size_t)k >= sizeof(raw))
		k = 0;
	vsnprintf(raw + k, sizeof(raw) - (size_t)k, fmt, ap);
	scan_clean(dst, SCAN_LEPT_MSG, raw);
}

static int tiff_mem_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) DG_PRINTF(4, 0);
static int
tiff_mem_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
	struct tiff_mem *m = user;

	if (m->msg[0] == '\0')
		tiff_mem_say(m->msg, tif, module, fmt, ap);
	return 1;
}

static int tiff_mem_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) DG_PRINTF(4, 0);
static int
tiff_mem_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
	struct tiff_mem *m = user;

	/* those of the directory (unknown tags and the like) lose nothing */
	if (m->decoding && m->nwarn++ == 0)
		tiff_mem_say(m->warn, tif, module, fmt, ap);
	return 1;
}

/* The depth of a palette page: 1 for black and white, 8 for grays, 32
 * for colour. */
static int
scan_tiff_palette_depth(TIFF *tif, uint16_t bps)
{
	uint16_t *cr, *cg, *cb;
	int i, n = bps >= 1 && bps <= 8 ? 1 << bps : 0, bw = 1;

	if (n == 0 || !TIFFGetField(tif, TIFFTAG_COLORMAP, &cr, &cg, &cb))
		return 32;
	for (i = 0; i < n; i++) {
		if (cr[i] != cg[i] || cg[i] != cb[i])
			return 32;
		/* 16-bit entries, or 8-bit ones in old files */
		bw = bw && (cg[i] == 0 || cg[i] == 0xffff || cg[i] == 0xff);
	}
	return bps == 1 && bw ? 1 : 8;
}

/* Open r's file with libtiff at the directory d, its messages to m
 * (NULL: out of memory, or libtiff cannot read it: m->msg says why). */
static TIFF *
scan_tiff_open(struct scan_run *r, const struct tiff_dir *d, struct tiff_mem *m)
{
	TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
	TIFF *tif;

	memset(m, 0, sizeof(*m));
	m->data = r->data;
	m->size = r->size;
	if (opts == NULL)
		return NULL;
	TIFFOpenOptionsSetErrorHandlerExtR(opts, tiff_mem_error, m);
	TIFFOpenOptionsSetWarningHandlerExtR(opts, tiff_mem_warning, m);
	/* a tile or strip whose size is made up is refused, not allocated */
	TIFFOpenOptionsSetMaxSingleMemAlloc(opts, (tmsize_t)SCAN_TIFF_ALLOC);
	tif = TIFFClientOpenExt("page", "r", m, tiff_mem_read, tiff_mem_write, tiff_mem_seek, tiff_mem_close,
	                        tiff_mem_size, tiff_mem_map, tiff_mem_unmap, opts);
	TIFFOpenOptionsFree(opts);
	if (tif != NULL && !TIFFSetSubDirectory(tif, d->off)) {
		TIFFClose(tif);
		tif = NULL;
	}
	return tif;
}

/* Whether a strip or tile of the page open in tif runs past the end of
 * the file (size bytes): 1 with why saying so, else 0. */
static int
scan_tiff_cut(TIFF *tif, size_t size, char *why, size_t cap)
{
	uint32_t rps = 0, h = 0, n = TIFFIsTiled(tif) ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif), per, s;

	TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
	TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
	/* each plane (PlanarConfiguration 2) has its strips over the page */
	per = h == 0 || TIFFIsTiled(tif) ? n : TIFFComputeStrip(tif, h - 1, 0) + 1;
	if (per == 0 || per > n)
		per = n;
	for (s = 0; s < n; s++) {
		uint64_t off = TIFFGetStrileOffset(tif, s), len = TIFFGetStrileByteCount(tif, s);
		uint32_t first = rps == 0 ? 0 : (s % per) * rps, last = rps == 0 || rps > h - first ? h : first + rps;

		if (off <= size && len <= size - off)
			continue;
		if (TIFFIsTiled(tif))
			snprintf(why, cap,
			         "tile %" PRIu32 " of %" PRIu32 " ends at byte %" PRIu64
			         ", past the end of the file (%zu bytes): it was probably cut short",
			         s + 1, n, off + len, size);
		else
			snprintf(why, cap,
			         "rows %" PRIu32 " to %" PRIu32 " end at byte %" PRIu64
			         ", past the end of the file (%zu bytes): it was probably cut short",
			         first + 1, last, off + len, size);
		return 1;
	}
	return 0;
}

/* libtiff's word on the strips of the page at d, which leptonica read:
 * leptonica silences libtiff and keeps whatever rows a damaged strip
 * gives (a CCITT strip read out of step, a bad code), so each compressed
 * strip is decoded once more by libtiff with its messages kept.  0: it
 * said nothing; 1: it warned, the first warning (and how many) in say;
 * -1: it cannot decode a strip, its words in say. */
static int
scan_tiff_check(struct scan_run *r, const struct tiff_dir *d, char *say, size_t cap)
{
	struct tiff_mem m;
	TIFF *tif;
	void *buf = NULL;
	tmsize_t size;
	uint32_t s, n;
	int rc = 0;

	say[0] = '\0';
	if (d->comp == COMPRESSION_NONE || (tif = scan_tiff_open(r, d, &m)) == NULL)
		return 0;
	size = TIFFStripSize(tif);
	n = TIFFNumberOfStrips(tif);
	if (size <= 0 || (buf = malloc((size_t)size)) == NULL)
		goto done;
	m.decoding = 1;
	for (s = 0; s < n; s++) {
		m.msg[0] = '\0';
		if (TIFFReadEncodedStrip(tif, s, buf, -1) < 0 || m.msg[0] != '\0') {
			snprintf(say, cap, "libtiff: %s (strip %" PRIu32 " of %" PRIu32 ")",
			         m.msg[0] != '\0' ? m.msg : "a strip cannot be decoded", s + 1, n);
			rc = -1;
			goto done;
		}
	}
	if (m.nwarn > 1)
		snprintf(say, cap, "libtiff warns: %s (and %d more)", m.warn, m.nwarn - 1);
	else if (m.nwarn == 1)
		snprintf(say, cap, "libtiff warns: %s", m.warn);
	rc = m.nwarn > 0;
done:
	free(buf);
	TIFFClose(tif);
	return rc;
}

/* Why the strips of the page at d, which neither leptonica nor libtiff's
 * RGBA interface could read (nor is cut off, scan_tiff_cut), are
 * unreadable, into why: libtiff's own words on the first row it cannot
 * decode; "" when libtiff reads every row. */
static void
scan_tiff_strip_why(struct scan_run *r, const struct tiff_dir *d, char *why, size_t cap)
{
	struct tiff_mem m;
	TIFF *tif = scan_tiff_open(r, d, &m);
	uint32_t h = 0, y;
	uint16_t planar = PLANARCONFIG_CONTIG, spp = 1, sample, nsamples;
	void *buf = NULL;
	tmsize_t size;

	why[0] = '\0';
	if (tif == NULL) {
		if (m.msg[0] != '\0')
			snprintf(why, cap, "libtiff: %s", m.msg);
		return;
	}
	TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
	TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
	if (h == 0)
		goto done;
	/* old-style JPEG is read by strips (its rows are no reason) */
	size = TIFFScanlineSize(tif);
	if (d->comp == COMPRESSION_OJPEG || size <= 0 || (buf = malloc((size_t)size)) == NULL)
		goto done;
	nsamples = planar == PLANARCONFIG_SEPARATE ? spp : 1;
	for (sample = 0; sample < nsamples; sample++)
		for (y = 0; y < h; y++) {
			m.msg[0] = '\0';
			if (TIFFReadScanline(tif, buf, y, sample) < 0 || m.msg[0] != '\0') {
				snprintf(why, cap, "libtiff: %s (from row %" PRIu32 " of %" PRIu32 "%s)",
				         m.msg[0] != '\0' ? m.msg : "a row cannot be read", y + 1, h,
				         nsamples > 1 ? ", in one plane" : "");
				goto done;
			}
		}
done:
	free(buf);
	TIFFClose(tif);
}

/* 0 with *out the page (NULL if libtiff could not read it: the caller
 * gives the reason from scan_lept_why(), set here), and warn what
 * libtiff warned of while decoding it ("" if nothing), for a note; -1
 * when the reason was given. */
static int
scan_tiff_rgba(struct scan_run *r, int n, const struct tiff_dir *d, PIX **out, char *warn, size_t warn_cap)
{
	struct tiff_mem m;
	TIFF *tif = NULL;
	uint32_t *raster = NULL, tw = 0, th = 0;
	uint16_t photo = 0, spp = 1, bps = 1, unit = RESUNIT_INCH;
	float xr = 0, yr = 0;
	PIX *pix = NULL;
	char why[SCAN_LEPT_MSG], comp[32];
	int depth, x, y, rc = -1;

	*out = NULL;
	warn[0] = '\0';
	if (d->orient >= 5) {
		r->host->error(r->ctx, "page %d: a TIFF page %s with Orientation %d (a quarter turn) is not read", n,
		               d->tiled ? "in tiles" : "in strips that leptonica cannot read", d->orient);
		goto done;
	}
	if (scan_check_mem(r, n, d->w * d->h * 8) != 0)
		goto done;
	tif = scan_tiff_open(r, d, &m);
	if (tif == NULL || !TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &tw) ||
	    !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &th) || (int64_t)tw > d->w || (int64_t)th > d->h || tw == 0 ||
	    th == 0)
		goto unread;
	/* a decoder may make up what the end of the file cut off (old-style
	 * JPEG does, with a warning): a cut page is refused first */
	if (scan_tiff_cut(tif, r->size, why, sizeof(why))) {
		scan_tiff_comp_name(d->comp, comp, sizeof(comp));
		r->host->error(r->ctx, "page %d: corrupt or truncated TIFF data (%s): %s", n, comp, why);
		goto done;
	}
	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
	TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
	TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo);
	raster = malloc((size_t)tw * th * sizeof(*raster));
	if (raster == NULL) {
		r->host->error(r->ctx, "page %d: out of memory", n);
		goto done;
	}
	m.decoding = 1;
	if (!TIFFReadRGBAImageOriented(tif, tw, th, raster, ORIENTATION_TOPLEFT, 1))
		goto unread;
	if (m.nwarn > 1)
		snprintf(warn, warn_cap, "libtiff warns: %s (and %d more)", m.warn, m.nwarn - 1);
	else if (m.nwarn == 1)
		snprintf(warn, warn_cap, "libtiff warns: %s", m.warn);
	/* gray stays gray, and one bit a pixel bitonal; alpha over white;
	 * a palette of grays is gray (of black and white, bitonal), as
	 * leptonica reads it from strips */
	if (photo <= PHOTOMETRIC_MINISBLACK && spp <= 2)
		depth = bps == 1 ? 1 : 8;
	else if (photo == PHOTOMETRIC_PALETTE && spp == 1)
		depth = scan_tiff_palette_depth(tif, bps);
	else
		depth = 32;
	pix = pixCreate((l_int32)tw, (l_int32)th, depth);
	if (pix == NULL) {
		r->host->error(r->ctx, "page %d: out of memory", n);
		goto done;
	}
	for (y = 0; y < (int)th; y++) {
		l_uint32 *line = pixGetData(pix) + (size_t)y * (size_t)pixGetWpl(pix);
		const uint32_t *src = raster + (size_t)y * tw;
		for (x = 0; x < (int)tw; x++) {
			unsigned a = TIFFGetA(src[x]);
			unsigned cr = (TIFFGetR(src[x]) * a + 255 * (255 - a)) / 255;
			unsigned cg = (TIFFGetG(src[x]) * a + 255 * (255 - a)) / 255;
			unsigned cb = (TIFFGetB(src[x]) * a + 255 * (255 - a)) / 255;
			if (depth == 1) {
				if (cg < 128)
					SET_DATA_BIT(line, x);
			} else if (depth == 8) {
				SET_DATA_BYTE(line, x, cg);
			} else {
				composeRGBPixel((l_int32)cr, (l_int32)cg, (l_int32)cb, line + x);
			}
		}
	}
	if (TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xr) && TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yr)) {
		TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
		if (unit == RESUNIT_CENTIMETER) {
			xr *= 2.54f;
			yr *= 2.54f;
		}
		if (xr > 0 && yr > 0 && xr < 100000 && yr < 100000)
			pixSetResolution(pix, (l_int32)(xr + 0.5f), (l_int32)(yr + 0.5f));
	}
	*out = pix;
	pix = NULL;
	rc = 0;
	goto done;
unread:
	/* for the caller's message (libtiff's words cut to fit after "libtiff: ") */
	scan_lept_reset();
	snprintf(scan_lept_msg, sizeof(scan_lept_msg), "libtiff: %.*s", (int)sizeof(scan_lept_msg) - 10,
	         m.msg[0] != '\0' ? m.msg : "the page cannot be read");
	rc = 0;
done:
	pixDestroy(&pix);
	free(raster);
	if (tif != NULL)
		TIFFClose(tif);
	return rc;
}

/* Page n in strips, which leptonica could not read: read with libtiff
 * (scan_tiff_rgba), with a note that says why; else its reason given,
 * from libtiff (scan_tiff_strip_why).  0 with *out the page, or -1. */
static int
scan_tiff_strips_again(struct scan_run *r, int n, const struct tiff_dir *d, const char *comp, PIX **out)
{
	char lept[SCAN_LEPT_MSG], why[SCAN_LEPT_MSG + 128], warn[SCAN_TIFF_WARN];

	snprintf(lept, sizeof(lept), "%s", scan_lept_why());
	if (scan_tiff_rgba(r, n, d, out, warn, sizeof(warn)) != 0)
		return -1;
	if (*out != NULL) {
		r->host->note(r->ctx, r->doc,
		              "page %d: read with libtiff's RGBA interface, as leptonica could not (%s)%s%s", n, lept,
		              warn[0] != '\0' ? "; " : "", warn);
		return 0;
	}
	scan_tiff_strip_why(r, d, why, sizeof(why));
	if (why[0] != '\0')
		r->host->error(r->ctx, "page %d: corrupt or truncated TIFF data (%s): %s", n, comp, why);
	else
		r->host->error(r->ctx, "page %d: cannot decode the TIFF image (%s): %s", n, comp, scan_lept_why());
	return -1;
}

static int
scan_tiff(struct scan_run *r)
{
	const struct scan_state *st = r->st;
	struct scan_info in;
	struct tiff_dir *dirs = NULL;
	size_t off;
	uint64_t cut;
	PIX *pix;
	char say[SCAN_TIFF_WARN];
	int i, count, more, want, rc = -1;

	r->kind = "tiff";
	/* one more than max-pages, to tell "too many" from "just enough" */
	count = scan_tiff_walk(r->data, r->size, st->max_pages >= INT_MAX / 4 ? INT_MAX / 4 : (int)st->max_pages + 1,
	                       &dirs, &more, &cut);
	if (count < 1 && cut == 0) {
		r->host->error(r->ctx, "not a readable TIFF: %s", count < 0 ? "bad header" : "no image directory");
		goto out;
	}
	/* pages missing from the end are no reading of the file: refused */
	if (cut != 0) {
		r->host->error(r->ctx,
		               "truncated or damaged TIFF: the directory of page %d (at byte %" PRIu64
		               ") is outside the file of %zu bytes",
		               count + 1, cut, r->size);
		goto out;
	}
	r->total = count;
	if (count > st->max_pages) {
		r->host->error(r->ctx, "%d%s pages exceeds max-pages (%" PRId64 ")", count, more ? " or more" : "",
		               st->max_pages);
		goto out;
	}
	want = scan_count_selected(st, count);
	if (scan_reserve(r, want) != 0) {
		r->host->error(r->ctx, "out of memory");
		goto out;
	}
	for (i = 0; i < count; i++) {
		const struct tiff_dir *d = &dirs[i];
		if (!scan_selected(st, i + 1))
			continue;
		if (d->bad) {
			r->host->error(r->ctx, "page %d: the TIFF directory has no readable ImageWidth/ImageLength",
			               i + 1);
			goto out;
		}
		if (scan_check_dims(r, i + 1, d->w, d->h) != 0 ||
		    scan_check_mem(r, i + 1, scan_estimate(d->w, d->h, d->bps, d->spp, d->palette)) != 0)
			goto out;
		memset(&in, 0, sizeof(in));
		in.number = i + 1;
		scan_tiff_comp_name(d->comp, in.compression, sizeof(in.compression));
		scan_lept_reset();
		off = (size_t)d->off;
		say[0] = '\0';
		if (d->tiled) {
			if (scan_tiff_rgba(r, i + 1, d, &pix, say, sizeof(say)) != 0)
				goto out;
		} else {
			pix = pixReadMemFromMultipageTiff(r->data, r->size, &off);
			if (pix != NULL && scan_tiff_check(r, d, say, sizeof(say)) < 0) {
				r->host->error(r->ctx, "page %d: corrupt TIFF data (%s): %s", i + 1, in.compression,
				               say);
				pixDestroy(&pix);
				goto out;
			}
			if (pix == NULL && scan_tiff_strips_again(r, i + 1, d, in.compression, &pix) != 0)
				goto out;
		}
		/* libtiff warned decoding it: the picture may be garbled */
		if (say[0] != '\0')
			in.problems |= SCAN_P_SUSPECT;
		if (pix == NULL) {
			r->host->error(r->ctx, "page %d: cannot decode the TIFF image (%s): %s", i + 1, in.compression,
			               scan_lept_why());
			goto out;
		}
		/* the walk took the largest of repeated fields, libtiff the
		 * first: smaller is fine, larger would mean the check missed;
		 * Orientation 5..8 is turned by a quarter as it is read */
		if (d->orient >= 5 ? pixGetWidth(pix) > d->h || pixGetHeight(pix) > d->w
		                   : pixGetWidth(pix) > d->w || pixGetHeight(pix) > d->h) {
			r->host->error(r->ctx, "page %d: decoded %dx%d, the directory said %" PRId64 "x%" PRId64, i + 1,
			               (int)pixGetWidth(pix), (int)pixGetHeight(pix), d->w, d->h);
			pixDestroy(&pix);
			goto out;
		}
		/* leptonica reads a resolution without unit as dots per inch */
		if (d->unitless)
			pixSetResolution(pix, 0, 0);
		in.xres = d->unitless ? 0 : pixGetXRes(pix);
		in.yres = d->unitless ? 0 : pixGetYRes(pix);
		in.res_applies = 1;
		pix = scan_normalise(pix, &in.colour);
		if (pix == NULL) {
			r->host->error(r->ctx, "page %d: cannot convert the image: %s", i + 1, scan_lept_why());
			goto out;
		}
		if (scan_add(r, &in, pix, in.xres) != 0)
			goto out;
		if (say[0] != '\0')
			r->host->note(r->ctx, r->doc, "page %d: %s (the picture may be garbled from there on)", i + 1,
			              say);
	}
	rc = 0;
out:
	free(dirs);
	return rc;
}

/* The dimensions of a BMP file, from its headers (leptonica's header
 * reader decodes the whole picture, so that max-pixels would come too
 * late): 0, or -1 with the reason given. */
static int
scan_bmp_header(struct scan_run *r, l_int32 *w, l_int32 *h, l_int32 *bps, l_int32 *spp, l_int32 *cmap)
{
	uint64_t bits;
	int64_t sw, sh;

	if (r->size < 14 + 40 || scan_rd(r->data + 14, 4, true) < 40) {
		r->host->error(r->ctx, "not a readable image: a BMP file without a Windows BITMAPINFOHEADER (%s)",
		               r->size < 14 + 40 ? "the file is too short" : "an OS/2 header");
		return -1;
	}
	sw = (int32_t)scan_rd(r->data + 18, 4, true);
	sh = (int32_t)scan_rd(r->data + 22, 4, true);
	bits = scan_rd(r->data + 28, 2, true);
	if (sh < 0) /* rows from the top down */
		sh = -sh;
	if (bits == 0 || bits > 32) {
		r->host->error(r->ctx, "not a readable image: a BMP header of %d bits a pixel", (int)bits);
		return -1;
	}
	if (scan_check_dims(r, 1, sw, sh) != 0)
		return -1;
	*w = (l_int32)sw;
	*h = (l_int32)sh;
	/* deeper than 8 bits (16, 24, 32): colour, 8 bits a sample */
	*bps = bits > 8 ? 8 : (l_int32)bits;
	*spp = bits > 8 ? (bits == 32 ? 4 : 3) : 1;
	*cmap = bits <= 8;
	return 0;
}

static int
scan_raster(struct scan_run *r)
{
	struct scan_info in;
	l_int32 format = IFF_UNKNOWN, w = 0, h = 0, bps = 0, spp = 0, cmap = 0;
	PIX *pix;
	struct scan_exif exif;
	int orient, suspect;
	int64_t est;
	char note[SCAN_PNG_NOTE], hint[192];

	scan_lept_reset();
	if (r->size >= 4 && ((r->data[0] == 'I' && r->data[1] == 'I') || (r->data[0] == 'M' && r->data[1] == 'M')))
		return scan_tiff(r);
	if (r->size >= 2 && r->data[0] == 'B' && r->data[1] == 'M') {
		if (scan_bmp_header(r, &w, &h, &bps, &spp, &cmap) != 0)
			return -1;
		format = IFF_BMP;
	} else if (r->size >= 2 && r->data[0] == 0xff && r->data[1] == 0xd8) { /* leptonica's test */
		if (scan_jpeg_header(r, &w, &h, &spp) != 0)
			return -1;
		format = IFF_JFIF_JPEG;
		bps = 8;
	} else if (pixReadHeaderMem(r->data, r->size, &format, &w, &h, &bps, &spp, &cmap) != 0) {
		r->host->error(r->ctx, "not a readable image: %s", scan_lept_why());
		return -1;
	}
	if (L_FORMAT_IS_TIFF(format))
		return scan_tiff(r);
	r->kind = scan_format_name(format);
	r->total = 1;
	if (!scan_selected(r->st, 1))
		return 0;
	est = scan_estimate(w, h, bps, spp, cmap);
	if (scan_check_dims(r, 1, w, h) != 0 || scan_check_mem(r, 1, est) != 0)
		return -1;
	scan_cut_hint(r, format, w, h, bps, spp, hint, sizeof(hint));
	scan_lept_reset();
	pix = scan_decode_one(r, format, est, hint, note, sizeof(note), &suspect);
	if (pix == NULL)
		return -1;
	if (pixGetWidth(pix) != w || pixGetHeight(pix) != h) {
		r->host->error(r->ctx, "page 1: decoded %dx%d, the header said %dx%d", (int)pixGetWidth(pix),
		               (int)pixGetHeight(pix), (int)w, (int)h);
		pixDestroy(&pix);
		return -1;
	}
	/* a phone's or a camera's photo: the sensor's rows, and the way up
	 * in the EXIF Orientation; the page is read (and shown in the
	 * searchable PDF) upright, the original stays as it is */
	memset(&exif, 0, sizeof(exif));
	if (format == IFF_JFIF_JPEG)
		scan_exif_read(r->data, r->size, &exif);
	orient = exif.orientation;
	/* the JFIF header gives none (libjpeg's density in no unit) */
	if (exif.xres > 0 && pixGetXRes(pix) <= 0 && pixGetYRes(pix) <= 0)
		pixSetResolution(pix, exif.xres, exif.yres);
	else
		exif.xres = exif.yres = 0;
	if (orient >= 2) {
		l_int32 xr = pixGetXRes(pix), yr = pixGetYRes(pix);

		pix = scan_exif_orient(pix, orient);
		if (pix == NULL) {
			r->host->error(r->ctx, "page 1: out of memory");
			return -1;
		}
		if (orient >= 5)
			pixSetResolution(pix, yr, xr);
	}
	memset(&in, 0, sizeof(in));
	in.number = 1;
	in.xres = pixGetXRes(pix);
	in.yres = pixGetYRes(pix);
	in.res_applies = 1;
	snprintf(in.compression, sizeof(in.compression), "%s", scan_format_name(format));
	if (suspect)
		in.problems |= SCAN_P_SUSPECT;
	pix = scan_normalise(pix, &in.colour);
	if (pix == NULL) {
		r->host->error(r->ctx, "page 1: cannot convert the image: %s", scan_lept_why());
		return -1;
	}
	if (scan_add(r, &in, pix, in.xres) != 0)
		return -1;
	if (suspect)
		r->host->note(r->ctx, r->doc,
		              "page 1: %s (bytes the picture's data did not need: some encoders pad so, but damaged "
		              "data read out of step ends so too, and the picture is garbled from the damage on)",
		              note);
	else if (note[0] != '\0')
		r->host->note(r->ctx, r->doc, "page 1: %s (nothing of the picture was lost)", note);
	/* what else reads the file (the searchable PDF's reader, leptonica)
	 * may print the decoder's warnings, lose the resolution, or draw
	 * the damage otherwise: the page shows the picture as decoded */
	if (note[0] != '\0')
		r->pages->page[r->pages->n - 1].file_unfit = 1;
	if (exif.xres > 0)
		r->host->note(r->ctx, r->doc, "page 1: resolution %dx%d dpi from the file's EXIF (no JFIF density)",
		              exif.xres, exif.yres);
	if (orient >= 2) {
		r->pages->page[r->pages->n - 1].file_unfit = 1;
		r->host->note(r->ctx, r->doc,
		              "page 1: %s, as the file's EXIF Orientation (%d) says; the original is "
		              "kept as it is",
		              scan_exif_turns[orient], orient);
		if (scan_meta(r, "scan.page.1.exif-orientation", "%d", orient) != 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* PDF: image XObjects, read from the raw bytes                         */

struct pdf_img {
	int64_t w, h;
};

struct pdf_imgs {
	struct pdf_img *v;
	size_t n, cap;
	size_t unknown; /* images whose size is not a direct number */
};

enum pdf_tok { PT_NAME, PT_NUM, PT_KEY, PT_NESTED };

struct pdf_token {
	enum pdf_tok type;
	char text[32];
};

static bool
pdf_ws(unsigned char c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static bool
pdf_delim(unsigned char c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' || c == '}' ||
	       c == '/' || c == '%';
}

static int
pdf_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Tokenise the dictionary in p[0..n) (from after "obj" to "stream") and
 * keep its top-level tokens.  Returns the number kept.
 */
static size_t
pdf_dict_tokens(const unsigned char *p, size_t n, struct pdf_token *tok, size_t max)
{
	size_t i = 0, nt = 0, k;
	int depth = 0, adepth = 0, sdepth, hi, lo;
	struct pdf_token t;

	while (i < n) {
		unsigned char c = p[i];
		if (pdf_ws(c)) {
			i++;
			continue;
		}
		if (c == '%') {
			while (i < n && p[i] != '\n' && p[i] != '\r')
				i++;
			continue;
		}
		if (c == '(') {
			for (sdepth = 0; i < n; i++) {
				if (p[i] == '\\') {
					i++;
					continue;
				}
				if (p[i] == '(')
					sdepth++;
				else if (p[i] == ')' && --sdepth == 0)
					break;
			}
			i++;
			continue;
		}
		if (c == '<' && i + 1 < n && p[i + 1] == '<') {
			if (depth == 1 && adepth == 0 && nt < max) {
				tok[nt].type = PT_NESTED;
				tok[nt++].text[0] = '\0';
			}
			depth++;
			i += 2;
			continue;
		}
		if (c == '>' && i + 1 < n && p[i + 1] == '>') {
			depth--;
			i += 2;
			continue;
		}
		if (c == '<') {
			while (i < n && p[i] != '>')
				i++;
			i++;
			continue;
		}
		if (c == '[' || c == ']') {
			if (c == '[' && depth == 1 && adepth == 0 && nt < max) {
				tok[nt].type = PT_NESTED;
				tok[nt++].text[0] = '\0';
			}
			adepth += c == '[' ? 1 : (adepth > 0 ? -1 : 0);
			i++;
			continue;
		}
		if (c == '/') {
			i++;
			k = 0;
			while (i < n && !pdf_ws(p[i]) && !pdf_delim(p[i])) {
				c = p[i++];
				if (c == '#' && i + 1 < n && (hi = pdf_hex(p[i])) >= 0 &&
				    (lo = pdf_hex(p[i + 1])) >= 0) {
					c = (unsigned char)(hi * 16 + lo);
					i += 2;
				}
				if (k + 1 < sizeof(t.text))
					t.text[k++] = (char)c;
			}
			t.text[k] = '\0';
			t.type = PT_NAME;
		} else {
			k = 0;
			while (i < n && !pdf_ws(p[i]) && !pdf_delim(p[i])) {
				if (k + 1 < sizeof(t.text))
					t.text[k++] = (char)p[i];
				i++;
			}
			if (k == 0) { /* a stray delimiter */
				i++;
				continue;
			}
			t.text[k] = '\0';
			t.type = (t.text[0] >= '0' && t.text[0] <= '9') || t.text[0] == '-' || t.text[0] == '+' ||
			                 t.text[0] == '.'
			             ? PT_NUM
			             : PT_KEY;
		}
		if (depth == 1 && adepth == 0 && nt < max)
			tok[nt++] = t;
	}
	return nt;
}

/* A non-negative number token (a real is cut to its integer part, as
 * poppler does), or -1. */
static int64_t
pdf_int(const struct pdf_token *t)
{
	char *end;
	double v;

	if (t->type != PT_NUM)
		return -1;
	errno = 0;
	v = strtod(t->text, &end);
	if (errno != 0 || *end != '\0' || !(v >= 0) || v > 1e15)
		return -1;
	return (int64_t)v;
}

/*
 * Every stream dictionary with /Subtype /Image, or with /Width and
 * /Height, in the raw bytes.  Stream objects are never inside object
 * streams, so each one's dictionary is in the file as written.
 * Returns -1 (error set) if one exceeds max-pixels.
 */
static int
pdf_find_images(struct scan_run *r, struct pdf_imgs *out)
{
	static const char kw[] = "stream";
	const unsigned char *p = r->data, *s, *o;
	size_t n = r->size, pos = 0, floor = 0, start, i, nt;
	struct pdf_token *tok;
	int64_t w, h, v;
	bool image, known;
	void *np;

	tok = malloc(SCAN_PDF_TOKENS * sizeof(*tok));
	if (tok == NULL) {
		r->host->error(r->ctx, "out of memory");
		return -1;
	}
	while (pos < n && (s = memmem(p + pos, n - pos, kw, sizeof(kw) - 1)) != NULL) {
		size_t at = (size_t)(s - p);
		pos = at + sizeof(kw) - 1;
		if (at >= 3 && memcmp(s - 3, "end", 3) == 0)
			continue;
		if (at > 0 && !pdf_ws(s[-1]) && s[-1] != '>')
			continue;
		/* the object's start: the last "obj" before it, within reach */
		start = at > SCAN_PDF_WINDOW ? at - SCAN_PDF_WINDOW : 0;
		if (start < floor)
			start = floor;
		o = NULL;
		for (i = at; i >= start + 3; i--) {
			if (memcmp(p + i - 3, "obj", 3) == 0 && (i - 3 < 3 || memcmp(p + i - 6, "end", 3) != 0)) {
				o = p + i;
				break;
			}
		}
		if (o == NULL)
			o = p + start;
		nt = pdf_dict_tokens(o, (size_t)(s - o), tok, SCAN_PDF_TOKENS);
		floor = at;
		image = false;
		known = true;
		w = h = -1;
		for (i = 0; i + 1 < nt; i++) {
			if (tok[i].type != PT_NAME)
				continue;
			if (strcmp(tok[i].text, "Subtype") == 0 && tok[i + 1].type == PT_NAME &&
			    strcmp(tok[i + 1].text, "Image") == 0)
				image = true;
			if (strcmp(tok[i].text, "Width") == 0 || strcmp(tok[i].text, "Height") == 0) {
				v = pdf_int(&tok[i + 1]);
				if (i + 3 < nt && tok[i + 2].type == PT_NUM && tok[i + 3].type == PT_KEY &&
				    strcmp(tok[i + 3].text, "R") == 0)
					v = -1; /* indirect */
				if (v < 0)
					known = false;
				if (tok[i].text[0] == 'W')
					w = v;
				else
					h = v;
				i++;
			}
		}
		if (!image && (w < 0 || h < 0))
			continue;
		if (!known || w < 0 || h < 0) {
			out->unknown++;
			continue;
		}
		if (w > INT32_MAX / 2 || h > INT32_MAX / 2 || w * h > r->st->max_pixels) {
			r->host->error(r->ctx,
			               "PDF image %" PRId64 "x%" PRId64
			               " pixels exceeds max-pixels (%s): decompression bomb? (not decoded)",
			               w, h, r->st->max_pixels_text);
			free(tok);
			return -1;
		}
		if (w == 0 || h == 0 || out->n == SCAN_PDF_IMAGES_MAX)
			continue;
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 64;
			np = realloc(out->v, cap * sizeof(*out->v));
			if (np == NULL) {
				r->host->error(r->ctx, "out of memory");
				free(tok);
				return -1;
			}
			out->v = np;
			out->cap = cap;
		}
		out->v[out->n].w = w;
		out->v[out->n].h = h;
		out->n++;
	}
	free(tok);
	return 0;
}

/* ------------------------------------------------------------------ */
/* PDF: the child process                                               */

enum { PM_ERROR = 1, PM_DOC, PM_PAGE, PM_WORDS, PM_RENDER, PM_IMAGE, PM_DONE, PM_SAID, PM_DAMAGED };
enum { PE_ENCRYPTED = 1, PE_INVALID, PE_OTHER };

struct pdf_msg {
	uint32_t type;
	int32_t page; /* 0-based */
	int64_t v[6];
	uint64_t len; /* payload bytes that follow */
};

struct pdf_job {
	const struct scan_state *st;
	const struct pdf_imgs *imgs;
	const unsigned char *data;
	size_t size;
	int fd;                    /* write end */
	int index;                 /* this renderer's number (pdf_dealt_to) */
	int total;                 /* the document's pages, for the renderers after the first */
	int count;                 /* renderers the document may have: 1 + its extra ones */
	const unsigned char *keep; /* [0..total) pages whose text layer is kept, not rendered; or NULL */
	struct pdf_images *check;  /* the pages' pictures, read once more for damage; or NULL */
	unsigned char *out;        /* rows converted for the pipe, SCAN_PIPE_CHUNK bytes or one row */
	size_t out_cap;
};

/* Whether page i (from 0) is rendered: selected by the option pages,
 * and not a page whose text layer is kept (ocr auto or skip). */
static bool
pdf_wanted(const struct pdf_job *job, int i)
{
	return scan_selected(job->st, i + 1) && !(job->keep != NULL && job->keep[i]);
}

static int
pdf_count_wanted(const struct pdf_job *job, int total)
{
	int i, n = 0;

	for (i = 0; i < total; i++)
		n += pdf_wanted(job, i);
	return n;
}

/* Whether the text layer of a PDF's pages is kept, and the pages that
 * have one not rendered: unless OCR is to read every page again. */
static bool
pdf_keeps_layer(const struct scan_state *st)
{
	return st->ocr == SCAN_OCR_AUTO || st->ocr == SCAN_OCR_SKIP;
}

/* The renderer of the k-th selected page (0-based), of count. */
static int
pdf_dealt_to(int k, int count)
{
	return k % count;
}

/* How many renderers a document's selected pages are dealt to, of the
 * count it may have. */
static int
pdf_renderers(int count, int selected)
{
	return selected < 1 ? 1 : selected < count ? selected : count;
}

/* the renderers beside the documents' first ones, over the run */
static struct dg_share pdf_extra = DG_SHARE_INIT;

static void
pdf_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t k;

	while (len > 0) {
		k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			_exit(3);
		p += k;
		len -= (size_t)k;
	}
}

/* A message header announcing len payload bytes. */
static void
pdf_send_head(int fd, uint32_t type, int page, const int64_t *v, int nv, uint64_t len)
{
	struct pdf_msg m;
	int i;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.page = page;
	for (i = 0; i < nv && i < 6; i++)
		m.v[i] = v[i];
	m.len = len;
	pdf_write(fd, &m, sizeof(m));
}

static void
pdf_send(int fd, uint32_t type, int page, const int64_t *v, int nv, const void *payload, size_t len)
{
	pdf_send_head(fd, type, page, v, nv, len);
	if (len > 0)
		pdf_write(fd, payload, len);
}

static void pdf_fail(int fd, int kind, const char *fmt, ...) DG_PRINTF(3, 4) __attribute__((noreturn));
static void
pdf_fail(int fd, int kind, const char *fmt, ...)
{
	char msg[SCAN_MSG_MAX];
	int64_t v = kind;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pdf_send(fd, PM_ERROR, -1, &v, 1, msg, strlen(msg));
	_exit(0);
}

/* Does an image of w x h fit the area aw x ah (points), straight or
 * turned?  Sets its resolution. */
static bool
pdf_fits(const struct pdf_img *im, double aw, double ah, double *xres, double *yres)
{
	double a = aw / ah, b = (double)im->w / (double)im->h;

	if (fabs(b - a) / a <= SCAN_PDF_ASPECT) {
		*xres = (double)im->w * 72.0 / aw;
		*yres = (double)im->h * 72.0 / ah;
		return true;
	}
	b = (double)im->h / (double)im->w;
	if (fabs(b - a) / a <= SCAN_PDF_ASPECT) {
		*xres = (double)im->h * 72.0 / aw;
		*yres = (double)im->w * 72.0 / ah;
		return true;
	}
	return false;
}

/*
 * The resolution of the scan on a page: the largest image drawn on it
 * (poppler's image mapping gives where, not how many pixels) matched
 * with the image XObjects of the file that fit its shape: the i-th when
 * there is one per page (a scanner's PDF), else the one size when all
 * that fit have one.  When sizes differ (pages at different resolutions
 * with an extra image, such as a soft mask) or are unknown, poppler
 * decodes the page's own image for its size: that costs about as much
 * as rendering the page again, so it is the last resort.  0 when there
 * is none.
 */
static void
pdf_native_dpi(PopplerPage *page, int index, int npages, const struct pdf_imgs *imgs, double *xres, double *yres)
{
	GList *map, *l;
	double aw = 0, ah = 0, x, y;
	const struct pdf_img *fit = NULL;
	bool mixed = imgs->unknown > 0;
	int id = -1;
	size_t i;

	*xres = *yres = 0;
	map = poppler_page_get_image_mapping(page);
	for (l = map; l != NULL; l = l->next) {
		PopplerImageMapping *m = l->data;
		double w = fabs(m->area.x2 - m->area.x1), h = fabs(m->area.y2 - m->area.y1);
		if (w * h > aw * ah) {
			aw = w;
			ah = h;
			id = m->image_id;
		}
	}
	poppler_page_free_image_mapping(map);
	if (aw < 1 || ah < 1 || !isfinite(aw) || !isfinite(ah))
		return;
	if (imgs->n == (size_t)npages && imgs->unknown == 0 && pdf_fits(&imgs->v[index], aw, ah, xres, yres))
		return;
	for (i = 0; i < imgs->n; i++) {
		/* a thumbnail (/Thumb) fits the page's shape too */
		if (!pdf_fits(&imgs->v[i], aw, ah, &x, &y) || x < SCAN_PDF_DPI_SCANNED || y < SCAN_PDF_DPI_SCANNED)
			continue;
		if (fit != NULL && (fit->w != imgs->v[i].w || fit->h != imgs->v[i].h))
			mixed = true;
		if (fit == NULL)
			fit = &imgs->v[i];
	}
	if (mixed) {
		cairo_surface_t *s = poppler_page_get_image(page, id);
		if (s != NULL) {
			struct pdf_img im = {cairo_image_surface_get_width(s), cairo_image_surface_get_height(s)};
			cairo_surface_destroy(s);
			if (im.w > 0 && im.h > 0 && pdf_fits(&im, aw, ah, xres, yres))
				return;
		}
	}
	/* one size, or the image could not be had: the largest that fits */
	for (i = 0; i < imgs->n; i++) {
		if (pdf_fits(&imgs->v[i], aw, ah, &x, &y) &&
		    (fit == NULL || imgs->v[i].w * imgs->v[i].h >= fit->w * fit->h)) {
			fit = &imgs->v[i];
			*xres = x;
			*yres = y;
		}
	}
}

#ifndef SCAN_ASAN
/* poppler-glib logs poppler's errors with g_log, at a level glib does
 * not print: in the child, they go to its stderr with libjpeg's */
static void
pdf_glog(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
	(void)domain;
	(void)level;
	(void)data;
	if (message != NULL && write(STDERR_FILENO, message, strlen(message)) >= 0)
		(void)!write(STDERR_FILENO, "\n", 1);
}
#endif

/* Forget what poppler printed so far (pdf_said). */
static void
pdf_said_none(void)
{
#ifndef SCAN_ASAN
	if (ftruncate(STDERR_FILENO, 0) == 0)
		lseek(STDERR_FILENO, 0, SEEK_SET);
#endif
}

/* What poppler (and libjpeg in it) printed on stderr, which in the
 * child is a file of its own (pdf_child), since the last call: its
 * first line and how many lines, sent as PM_SAID for page i.  Nothing
 * under AddressSanitizer, whose reports keep stderr. */
static void
pdf_said(int fd, int i)
{
#ifndef SCAN_ASAN
	char buf[SCAN_MSG_MAX], last = '\n';
	off_t end = lseek(STDERR_FILENO, 0, SEEK_CUR), at = 0, first = -1;
	int64_t lines = 0;
	ssize_t n;

	if (end <= 0)
		return;
	while (at < end && (n = pread(STDERR_FILENO, buf, sizeof(buf), at)) > 0) {
		for (ssize_t k = 0; k < n; k++)
			if (buf[k] == '\n') {
				if (first < 0)
					first = at + k;
				lines++;
			}
		last = buf[n - 1];
		at += n;
	}
	if (last != '\n') /* a last line without its newline */
		lines++;
	if (first < 0)
		first = at;
	n = pread(STDERR_FILENO, buf, first < (off_t)sizeof(buf) ? (size_t)first : sizeof(buf), 0);
	if (n > 0)
		pdf_send(fd, PM_SAID, i, &lines, 1, buf, (size_t)n);
	pdf_said_none();
#else
	(void)fd;
	(void)i;
#endif
}

/* The gray of a cairo RGB24 pixel. */
static inline l_uint32
pdf_gray(uint32_t px)
{
	return (((px >> 16) & 0xff) * 77 + ((px >> 8) & 0xff) * 150 + (px & 0xff) * 29 + 128) >> 8;
}

/* One row of a cairo RGB24 surface (px, w pixels) as a leptonica row
 * of depth d (32: RGB; 8: gray; 1: black under half gray). */
static void
pdf_row(int d, int w, const uint32_t *px, l_uint32 *row, int wpl)
{
	int x;

	if (d == 32) {
		for (x = 0; x < w; x++)
			row[x] = px[x] << 8; /* 0x??RRGGBB (top byte unused) as 0xRRGGBB00 */
		return;
	}
	if (d == 8) {
		/* four pixels a word, the first in its high byte; the last
		 * word's padding zero, as pixCreate leaves it */
		if (w % 4 != 0)
			row[wpl - 1] = 0;
		for (x = 0; x + 4 <= w; x += 4)
			row[x / 4] = pdf_gray(px[x]) << 24 | pdf_gray(px[x + 1]) << 16 | pdf_gray(px[x + 2]) << 8 |
			             pdf_gray(px[x + 3]);
		for (; x < w; x++)
			SET_DATA_BYTE(row, x, pdf_gray(px[x]));
		return;
	}
	memset(row, 0, (size_t)wpl * 4);
	for (x = 0; x < w; x++)
		if (pdf_gray(px[x]) < 128)
			SET_DATA_BIT(row, x);
}

/* Render one page and send it as 1, 8 or 32 bpp leptonica rows. */
static void
pdf_render(struct pdf_job *job, PopplerPage *page, int i, int npages)
{
	const struct scan_state *st = job->st;
	double pw = 0, ph = 0, nx, ny;
	int64_t v[6], total = 0, colour = 0, nonwhite = 0, black = 0;
	int dpi, W, H, x, y, d, wpl, stride, rows;
	size_t rowlen;
	cairo_surface_t *s;
	cairo_t *cr;
	unsigned char *data;

	poppler_page_get_size(page, &pw, &ph);
	if (!isfinite(pw) || !isfinite(ph) || pw <= 0 || ph <= 0)
		pdf_fail(job->fd, PE_OTHER, "page %d: zero-size or invalid page (%gx%g points)", i + 1, pw, ph);
	if (pw > 1e6 || ph > 1e6)
		pdf_fail(job->fd, PE_OTHER, "page %d: %.0fx%.0f points (%.0fx%.0f inches) is too large a page", i + 1,
		         pw, ph, pw / 72, ph / 72);
	/* its pictures' data read once more, before poppler draws them
	 * (what qpdf might print is forgotten below) */
	if (job->check != NULL) {
		char why[SCAN_MSG_MAX];
		v[0] = pdf_images_page(job->check, i, why, sizeof(why));
		if (v[0] < 0)
			pdf_fail(job->fd, PE_OTHER, "page %d: %s", i + 1, why);
		if (v[0] > 0)
			pdf_send(job->fd, PM_DAMAGED, i, v, 1, why, strlen(why));
	}
	pdf_said_none();
	pdf_native_dpi(page, i, npages, job->imgs, &nx, &ny);
	dpi = SCAN_PDF_DPI_DEFAULT;
	if (nx > 0 && ny > 0) {
		double m = nx > ny ? nx : ny;
		dpi = m < SCAN_PDF_DPI_MIN   ? SCAN_PDF_DPI_MIN
		      : m > SCAN_PDF_DPI_MAX ? SCAN_PDF_DPI_MAX
		                             : (int)lround(m);
	}
	if (pw * dpi / 72.0 > (double)INT32_MAX / 4 || ph * dpi / 72.0 > (double)INT32_MAX / 4)
		pdf_fail(job->fd, PE_OTHER,
		         "page %d: %.0fx%.0f pixels at %d dpi exceeds max-pixels (%s): decompression bomb?", i + 1,
		         pw * dpi / 72.0, ph * dpi / 72.0, dpi, st->max_pixels_text);
	W = (int)ceil(pw * dpi / 72.0 - 0.01);
	H = (int)ceil(ph * dpi / 72.0 - 0.01);
	if (W < 1 || H < 1)
		pdf_fail(job->fd, PE_OTHER, "page %d: zero-size page (%gx%g points)", i + 1, pw, ph);
	if ((int64_t)W * H > st->max_pixels || W > SCAN_CAIRO_MAX || H > SCAN_CAIRO_MAX)
		pdf_fail(job->fd, PE_OTHER,
		         "page %d: %dx%d pixels at %d dpi exceeds max-pixels (%s): decompression bomb?", i + 1, W, H,
		         dpi, st->max_pixels_text);
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
		pdf_fail(job->fd, PE_OTHER, "page %d: cannot make a %dx%d image: %s", i + 1, W, H,
		         cairo_status_to_string(cairo_surface_status(s)));
	cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, (double)W / pw, (double)H / ph);
	poppler_page_render(page, cr);
	if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
		pdf_fail(job->fd, PE_OTHER, "page %d: rendering failed: %s", i + 1,
		         cairo_status_to_string(cairo_status(cr)));
	cairo_destroy(cr);
	pdf_said(job->fd, i);
	cairo_surface_flush(s);
	data = cairo_image_surface_get_data(s);
	stride = cairo_image_surface_get_stride(s);
	/* colour, bitonal or gray, from every other pixel of every other row */
	for (y = 0; y < H; y += 2) {
		const uint32_t *px = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
		for (x = 0; x < W; x += 2) {
			int rr = (int)((px[x] >> 16) & 0xff), gg = (int)((px[x] >> 8) & 0xff), bb = (int)(px[x] & 0xff);
			int mx = rr > gg ? (rr > bb ? rr : bb) : (gg > bb ? gg : bb);
			int mn = rr < gg ? (rr < bb ? rr : bb) : (gg < bb ? gg : bb);
			int gray = (int)pdf_gray(px[x]);
			total++;
			colour += mx - mn > SCAN_COLOUR_CHROMA;
			nonwhite += gray < 255;
			black += gray == 0;
		}
	}
	if ((double)colour > (double)total * SCAN_COLOUR_FRACTION)
		d = 32;
	else if (nonwhite == 0 || (double)black >= (double)nonwhite * SCAN_BITONAL_PURE)
		d = 1;
	else
		d = 8;
	wpl = (W * d + 31) / 32;
	rowlen = (size_t)wpl * 4;
	rows = rowlen >= SCAN_PIPE_CHUNK ? 1 : (int)(SCAN_PIPE_CHUNK / rowlen);
	if (job->out_cap < rowlen * (size_t)rows) {
		free(job->out);
		job->out_cap = rowlen * (size_t)rows;
		job->out = malloc(job->out_cap);
		if (job->out == NULL)
			pdf_fail(job->fd, PE_OTHER, "page %d: out of memory", i + 1);
	}
	v[0] = W;
	v[1] = H;
	v[2] = d;
	v[3] = dpi;
	v[4] = nx > 0 ? (int64_t)lround(nx) : 0;
	v[5] = ny > 0 ? (int64_t)lround(ny) : 0;
	pdf_send_head(job->fd, PM_IMAGE, i, v, 6, (uint64_t)rowlen * (uint64_t)H);
	/* rows in leptonica's layout, a chunk of them to each write */
	for (y = 0; y < H; y += rows) {
		int n = H - y < rows ? H - y : rows, k;

		for (k = 0; k < n; k++)
			pdf_row(d, W, (const uint32_t *)(const void *)(data + (size_t)(y + k) * (size_t)stride),
			        (l_uint32 *)(void *)(job->out + (size_t)k * rowlen), wpl);
		pdf_write(job->fd, job->out, rowlen * (size_t)n);
	}
	cairo_surface_destroy(s);
}

#ifndef SCAN_ASAN
/* The size of the address space (no stdio: this runs after fork). */
static long
pdf_vm_bytes(void)
{
	char buf[64];
	long pages = 0;
	ssize_t n;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC), i;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (i = 0; buf[i] >= '0' && buf[i] <= '9' && pages < LONG_MAX / 10 - 10; i++)
		pages = pages * 10 + (buf[i] - '0');
	return pages > 0 ? pages * sysconf(_SC_PAGESIZE) : -1;
}
#endif

/* Render this renderer's share of the selected pages, in page order. */
static void
pdf_render_share(struct pdf_job *job, PopplerDocument *doc, int n)
{
	PopplerPage *page;
	int i, k = 0, count = pdf_renderers(job->count, pdf_count_wanted(job, n));

	job->check = pdf_images_open(job->data, job->size, n, job->st->max_pixels);
	for (i = 0; i < n; i++) {
		if (!pdf_wanted(job, i) || pdf_dealt_to(k++, count) != job->index)
			continue;
		page = poppler_document_get_page(doc, i);
		if (page == NULL)
			pdf_fail(job->fd, PE_OTHER, "page %d cannot be read", i + 1);
		pdf_render(job, page, i, n);
		g_object_unref(page);
	}
	pdf_images_close(job->check);
	job->check = NULL;
	free(job->out);
	job->out = NULL;
	job->out_cap = 0;
}

/*
 * Is the text of a page too little to be its text layer?  A scanned
 * page (an image covers most of it) whose characters' boxes cover
 * almost none of it carries a stamp: a scanner app's name, a page
 * number, a watermark.  Its words are still on the scan, for OCR.
 */
static bool
pdf_text_sparse(PopplerPage *page)
{
	PopplerRectangle *rects = NULL;
	GList *map, *l;
	double pw = 0, ph = 0, img = 0, text = 0;
	guint n = 0, i;

	poppler_page_get_size(page, &pw, &ph);
	if (!(pw > 0 && ph > 0 && isfinite(pw * ph)))
		return false;
	map = poppler_page_get_image_mapping(page);
	for (l = map; l != NULL; l = l->next) {
		const PopplerImageMapping *m = l->data;
		double w = fmin(fabs(m->area.x2 - m->area.x1), pw), h = fmin(fabs(m->area.y2 - m->area.y1), ph);
		if (w * h > img)
			img = w * h;
	}
	poppler_page_free_image_mapping(map);
	if (!(img >= pw * ph * SCAN_TEXT_SCANNED) || !poppler_page_get_text_layout(page, &rects, &n))
		return false;
	for (i = 0; i < n; i++)
		text += fabs(rects[i].x2 - rects[i].x1) * fabs(rects[i].y2 - rects[i].y1);
	g_free(rects);
	return text < pw * ph * SCAN_TEXT_SPARSE;
}

/* A box of poppler's, in points, as hundredths of a point within the
 * page (w x h points). */
static int32_t
pdf_centipoints(double v, double max)
{
	if (!(v > 0))
		return 0;
	return (int32_t)lround(fmin(v, max) * 100);
}

/* Send the words of page i's text layer (PM_WORDS): each a run of
 * characters between white space in the text that PM_PAGE sent of it,
 * with its line and box (poppler lays out one box for each character
 * of poppler_page_get_text's text), for the ocr stage's hOCR. */
static void
pdf_send_words(int fd, PopplerDocument *doc, int i)
{
	PopplerPage *page = poppler_document_get_page(doc, i);
	PopplerRectangle *rects = NULL;
	struct dg_word *w = NULL, *cur = NULL;
	size_t nw = 0, cap = 0;
	guint n = 0, c;
	double pw = 0, ph = 0;
	int32_t line = 0;
	int64_t v[3];
	char *text, *s, *next;

	if (page == NULL)
		pdf_fail(fd, PE_OTHER, "page %d cannot be read", i + 1);
	poppler_page_get_size(page, &pw, &ph);
	if (!(pw > 0 && ph > 0 && pw < 1e6 && ph < 1e6))
		pw = ph = 0;
	text = poppler_page_get_text(page);
	if (text != NULL && pw > 0 && g_utf8_validate(text, -1, NULL) && poppler_page_get_text_layout(page, &rects, &n))
		for (s = text, c = 0; *s != '\0' && c < n; s = next, c++) {
			const PopplerRectangle *b = &rects[c];

			next = g_utf8_next_char(s);
			if ((size_t)(next - text) > SCAN_TEXT_PAGE_MAX)
				break;
			if (strchr(" \t\r\n\f\v", *s) != NULL) {
				line += *s == '\n';
				cur = NULL;
				continue;
			}
			if (cur == NULL) {
				if (nw == cap) {
					struct dg_word *m = realloc(w, (cap = cap ? cap * 2 : 256) * sizeof(*w));

					if (m == NULL)
						pdf_fail(fd, PE_OTHER, "out of memory");
					w = m;
				}
				cur = &w[nw++];
				cur->at = (int32_t)(s - text);
				cur->line = line;
				cur->x0 = cur->y0 = INT32_MAX;
				cur->x1 = cur->y1 = 0;
			}
			cur->len = (int32_t)(next - text) - cur->at;
			cur->x0 = L_MIN(cur->x0, pdf_centipoints(fmin(b->x1, b->x2), pw));
			cur->y0 = L_MIN(cur->y0, pdf_centipoints(fmin(b->y1, b->y2), ph));
			cur->x1 = L_MAX(cur->x1, pdf_centipoints(fmax(b->x1, b->x2), pw));
			cur->y1 = L_MAX(cur->y1, pdf_centipoints(fmax(b->y1, b->y2), ph));
		}
	v[0] = (int64_t)nw;
	v[1] = pdf_centipoints(pw, pw);
	v[2] = pdf_centipoints(ph, ph);
	pdf_send(fd, PM_WORDS, i, v, 3, w, nw * sizeof(*w));
	free(w);
	g_free(rects);
	g_free(text);
	g_object_unref(page);
}

static void pdf_child(struct pdf_job *job) __attribute__((noreturn));
static void
pdf_child(struct pdf_job *job)
{
	const struct scan_state *st = job->st;
	PopplerDocument *doc;
	PopplerPage *page;
	GError *err = NULL;
	GBytes *bytes;
	char *text;
	unsigned char *has;
	int64_t v[2];
	int n, i, all = 1, render;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_DFL);
	if (job->fd <= STDERR_FILENO) { /* the engine runs without stdio */
		int fd = fcntl(job->fd, F_DUPFD, STDERR_FILENO + 1);
		if (fd < 0)
			_exit(3);
		job->fd = fd;
	}
	/* keep only stdio and the pipe: another worker's renderer must see
	 * its own pipe's end when its child exits, not wait for this one */
	if (job->fd > 3)
		close_range(3, (unsigned)job->fd - 1, 0);
	close_range((unsigned)job->fd + 1, ~0u, 0);
	/* nothing poppler prints may reach the command's output (--json on
	 * stdout) or clutter its messages: stderr is a file of its own,
	 * whose lines go to the parent with the page they were printed
	 * drawing (pdf_said); under AddressSanitizer stderr stays, for its
	 * reports */
	{
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
#ifndef SCAN_ASAN
			{
				int said = memfd_create("poppler-said", MFD_CLOEXEC);
				dup2(said >= 0 ? said : null, STDERR_FILENO);
				if (said > STDERR_FILENO && said != job->fd)
					close(said);
				g_log_set_handler("Poppler", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
				                  pdf_glog, NULL);
			}
#endif
			if (null > STDERR_FILENO && null != job->fd)
				close(null);
		}
	}
	{
		struct rlimit rl = {0, 0};
		setrlimit(RLIMIT_CORE, &rl);
#ifndef SCAN_ASAN
		long vm = pdf_vm_bytes();
		if (vm > 0) {
			/* the page surface and one decoded image of max-pixels at
			 * 4 bytes a pixel each, besides poppler itself */
			int64_t extra = SCAN_CHILD_BASE;
			if (st->max_pixels < (INT64_MAX - SCAN_CHILD_BASE) / 8)
				extra += st->max_pixels * 8;
			else
				extra = INT64_MAX / 2;
			rl.rlim_cur = rl.rlim_max = (rlim_t)vm + (rlim_t)extra;
			setrlimit(RLIMIT_AS, &rl);
		}
#endif
	}
	bytes = g_bytes_new_static(job->data, job->size);
	doc = poppler_document_new_from_bytes(bytes, NULL, &err);
	if (doc == NULL) {
		if (err != NULL && err->domain == POPPLER_ERROR && err->code == POPPLER_ERROR_ENCRYPTED)
			pdf_fail(job->fd, PE_ENCRYPTED, "encrypted PDF (password required)");
		pdf_fail(job->fd, PE_INVALID, "%s",
		         err != NULL && err->message != NULL ? err->message : "unknown error");
	}
	n = poppler_document_get_n_pages(doc);
	if (job->index > 0) { /* started once the first renderer decided to render */
		if (n != job->total)
			pdf_fail(job->fd, PE_OTHER, "the PDF has %d pages now, not %d", n, job->total);
		pdf_render_share(job, doc, n);
		pdf_send(job->fd, PM_DONE, -1, NULL, 0, NULL, 0);
		_exit(0);
	}
	v[0] = n;
	pdf_send(job->fd, PM_DOC, -1, v, 1, NULL, 0);
	if (n < 1 || n > st->max_pages)
		_exit(0);
	has = calloc((size_t)n, 1);
	if (has == NULL)
		pdf_fail(job->fd, PE_OTHER, "out of memory");
	for (i = 0; i < n; i++) {
		size_t len = 0;
		page = poppler_document_get_page(doc, i);
		if (page == NULL)
			pdf_fail(job->fd, PE_OTHER, "page %d cannot be read", i + 1);
		text = poppler_page_get_text(page);
		if (text != NULL) {
			len = strlen(text);
			if (len > SCAN_TEXT_PAGE_MAX)
				len = SCAN_TEXT_PAGE_MAX;
			has[i] = scan_has_text(text);
		}
		v[1] = has[i] && pdf_text_sparse(page);
		if (v[1])
			has[i] = 0;
		v[0] = has[i];
		pdf_send(job->fd, PM_PAGE, i, v, 2, text, has[i] ? len : 0);
		g_free(text);
		g_object_unref(page);
		if (!has[i])
			all = 0;
	}
	render = !(all && pdf_keeps_layer(st));
	/* a page whose text layer stands for it among pages OCR reads:
	 * where its words are, for the hOCR */
	if (render && st->ocr == SCAN_OCR_AUTO)
		for (i = 0; i < n; i++)
			if (has[i])
				pdf_send_words(job->fd, doc, i);
	v[0] = render;
	pdf_send(job->fd, PM_RENDER, -1, v, 1, NULL, 0);
	if (pdf_keeps_layer(st))
		job->keep = has;
	if (render)
		pdf_render_share(job, doc, n);
	pdf_send(job->fd, PM_DONE, -1, NULL, 0, NULL, 0);
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* PDF: the parent                                                      */

struct pdf_reader {
	int fd;
	int timeout_ms;
	int eof;
	int timed_out;
};

/* Read exactly len bytes; -1 on end, error or timeout. */
static int
pdf_read(struct pdf_reader *rd, void *buf, size_t len)
{
	struct pollfd pfd;
	char *p = buf;
	ssize_t k;
	int rc;

	while (len > 0) {
		pfd.fd = rd->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, rd->timeout_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0) {
			rd->timed_out = 1;
			return -1;
		}
		if (rc < 0)
			return -1;
		k = read(rd->fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rd->eof = 1;
			return -1;
		}
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* Why the child stopped without finishing. */
static void
pdf_died(struct scan_run *r, pid_t pid, struct pdf_reader *rd, const char *doing, int page)
{
	char where[64];
	int status = 0;
	pid_t w;

	if (page > 0)
		snprintf(where, sizeof(where), " while %s page %d", doing, page);
	else
		snprintf(where, sizeof(where), " while %s", doing);
	if (rd->timed_out) {
		r->host->error(r->ctx, "the PDF renderer took more than %" PRId64 " s%s (timeout)", r->st->timeout,
		               where);
		return;
	}
	kill(pid, SIGKILL);
	do
		w = waitpid(pid, &status, 0);
	while (w < 0 && errno == EINTR);
	if (w == pid && WIFSIGNALED(status))
		r->host->error(r->ctx, "the PDF renderer (poppler) crashed%s: signal %d (%s)%s", where,
		               WTERMSIG(status), strsignal(WTERMSIG(status)),
		               WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGABRT || WTERMSIG(status) == SIGKILL
		                   ? "; out of memory or a malformed PDF"
		                   : "");
	else if (w == pid && WIFEXITED(status))
		r->host->error(r->ctx, "the PDF renderer stopped%s (exit %d)", where, WEXITSTATUS(status));
	else
		r->host->error(r->ctx, "the PDF renderer stopped%s", where);
}

/* A renderer process and the reading end of its pipe. */
struct pdf_proc {
	pid_t pid;
	struct pdf_reader rd;
};

/* Start renderer job->index (its pipe's reading end into *p); -1 with
 * the reason given when it cannot be. */
static int
pdf_start(struct scan_run *r, struct pdf_job *job, struct pdf_proc *p)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) != 0) {
		r->host->error(r->ctx, "cannot start the PDF renderer: pipe: %s", strerror(errno));
		return -1;
	}
	job->fd = fds[1];
	p->pid = fork();
	if (p->pid < 0) {
		r->host->error(r->ctx, "cannot start the PDF renderer: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (p->pid == 0) {
		close(fds[0]);
		pdf_child(job);
	}
	close(fds[1]);
	/* a page is megabytes: a larger pipe takes it in fewer turns of the
	 * two processes (a failure leaves the default, 64 KiB) */
	(void)fcntl(fds[0], F_SETPIPE_SZ, (int)SCAN_PIPE_CHUNK);
	p->rd.fd = fds[0];
	p->rd.timeout_ms = r->st->timeout > INT_MAX / 1000 ? INT_MAX : (int)r->st->timeout * 1000;
	p->rd.eof = p->rd.timed_out = 0;
	return 0;
}

/* Does a PDF end as the format says, with %%EOF in its last 1024 bytes?
 * A file cut short in a transfer does not, and poppler rebuilds what it
 * can of it without a word. */
static bool
pdf_ends(const unsigned char *data, size_t size)
{
	size_t tail = size < 1024 ? size : 1024;

	return memmem(data + size - tail, tail, "%%EOF", 5) != NULL;
}

static int
scan_pdf(struct scan_run *r)
{
	const struct scan_state *st = r->st;
	struct pdf_imgs imgs = {NULL, 0, 0, 0};
	struct pdf_job job;
	struct pdf_proc procs[SCAN_RENDERERS_MAX], *p;
	struct pdf_msg m;
	struct scan_info in;
	char msg[SCAN_MSG_MAX + 1], clean[SCAN_MSG_MAX + 1], said[SCAN_MSG_MAX + 1];
	int64_t said_lines = 0;
	int said_page = -1; /* the page poppler said something of, drawing it (PM_SAID) */
	char damaged[SCAN_MSG_MAX + 1];
	int64_t damaged_count = 0;
	int damaged_page = -1; /* the page whose pictures' data is damaged (PM_DAMAGED) */
	const char *doing = "opening the PDF";
	int rc = -1, next_page = 0, last_image = -1, page = 0, render = 0;
	int nprocs = 0, nrend = 1, images = 0, selected = 0, dones = 0, extra = 0, j;
	PIX *pix;

	r->kind = "pdf";
	r->is_pdf = 1;
	if (pdf_find_images(r, &imgs) != 0)
		goto out;
	memset(&job, 0, sizeof(job));
	job.st = st;
	job.imgs = &imgs;
	job.data = r->data;
	job.size = r->size;
	/* decided before the first renderer starts: it deals the pages */
	extra = dg_share_take(&pdf_extra, st->renderers - 1, st->renderers - 1);
	job.count = 1 + extra;
	if (pdf_start(r, &job, &procs[0]) != 0)
		goto out;
	nprocs = 1;
	/* the first renderer sends the pages' text and whether it renders;
	 * then the rendered pages come in page order from the renderer each
	 * was dealt to, and last every renderer says it is done */
	while (dones < nrend) {
		p = !render ? &procs[0] : images < selected ? &procs[pdf_dealt_to(images, nrend)] : &procs[dones];
		if (render && images < selected) {
			/* the page awaited, for a renderer that stops or times out on
			 * it: the next one to render, not the last one received */
			for (page = last_image + 2; page < r->total && !pdf_wanted(&job, page - 1); page++)
				;
		}
		if (pdf_read(&p->rd, &m, sizeof(m)) != 0) {
			pdf_died(r, p->pid, &p->rd, doing, page);
			goto out;
		}
		switch (m.type) {
		case PM_ERROR:
			if (m.len > SCAN_MSG_MAX || pdf_read(&p->rd, msg, (size_t)m.len) != 0)
				goto bad;
			msg[m.len] = '\0';
			scan_clean(clean, sizeof(clean), msg);
			if (m.v[0] == PE_ENCRYPTED)
				r->host->error(r->ctx, "encrypted PDF (password required)");
			else if (m.v[0] == PE_INVALID && !pdf_ends(r->data, r->size))
				r->host->error(r->ctx,
				               "not a valid PDF: %s, and the file (%zu bytes) does not end with "
				               "%%%%EOF: it was probably cut short",
				               clean, r->size);
			else if (m.v[0] == PE_INVALID)
				r->host->error(r->ctx, "not a valid PDF: %s", clean);
			else
				r->host->error(r->ctx, "%s", clean);
			goto out;
		case PM_DOC:
			if (m.len != 0 || r->total != 0 || p != &procs[0])
				goto bad;
			if (m.v[0] < 1) {
				if (!pdf_ends(r->data, r->size))
					r->host->error(r->ctx,
					               "not a valid PDF: no pages, and the file (%zu bytes) does not "
					               "end with %%%%EOF: it was probably cut short",
					               r->size);
				else
					r->host->error(r->ctx, "not a valid PDF: no pages");
				goto out;
			}
			r->cut_short = !pdf_ends(r->data, r->size);
			if (m.v[0] > st->max_pages) {
				r->host->error(r->ctx, "%" PRId64 " pages exceeds max-pages (%" PRId64 ")", m.v[0],
				               st->max_pages);
				goto out;
			}
			r->total = (int)m.v[0];
			r->has_text = calloc((size_t)r->total, 1);
			r->text_span = calloc((size_t)r->total, sizeof(*r->text_span));
			if (r->has_text == NULL || r->text_span == NULL) {
				r->host->error(r->ctx, "out of memory");
				goto out;
			}
			doing = "reading the text of";
			break;
		case PM_PAGE:
			if (r->total == 0 || render || m.page != next_page || m.page >= r->total ||
			    m.len > SCAN_TEXT_PAGE_MAX)
				goto bad;
			page = m.page + 1;
			next_page++;
			if (m.v[1]) {
				if (r->stamped == NULL && (r->stamped = calloc((size_t)r->total + 1, 1)) == NULL) {
					r->host->error(r->ctx, "out of memory");
					goto out;
				}
				r->stamped[page] = 1;
				r->stamped_n++;
			}
			if (m.v[0]) {
				size_t at = r->text_len;
				char *buf = malloc((size_t)m.len + 1);
				if (buf == NULL) {
					r->host->error(r->ctx, "out of memory");
					goto out;
				}
				if (pdf_read(&p->rd, buf, (size_t)m.len) != 0) {
					free(buf);
					pdf_died(r, p->pid, &p->rd, doing, page);
					goto out;
				}
				buf[m.len] = '\0';
				r->text_pages++;
				r->has_text[m.page] = 1;
				if (!r->text_cut && scan_text_add(r, buf, (size_t)m.len) != 0) {
					free(buf);
					r->host->error(r->ctx, "out of memory");
					goto out;
				}
				free(buf);
				r->text_span[m.page].at = at;
				r->text_span[m.page].len = r->text_len - at;
				scan_utf8_fix(r->text + at, r->text_len - at);
				if (!r->text_cut && scan_text_add(r, "\f", 1) != 0) {
					r->host->error(r->ctx, "out of memory");
					goto out;
				}
			} else if (m.len != 0) {
				goto bad;
			} else if (!r->text_cut && scan_text_add(r, "\f", 1) != 0) {
				/* a page without text: its form feed alone */
				r->host->error(r->ctx, "out of memory");
				goto out;
			}
			break;
		case PM_WORDS: {
			struct dg_layout *lo;

			if (r->total == 0 || render || next_page != r->total || m.page < 0 || m.page >= r->total ||
			    !r->has_text[m.page] || m.v[0] < 0 || m.v[0] > SCAN_TEXT_PAGE_MAX ||
			    m.len != (uint64_t)m.v[0] * sizeof(struct dg_word) || m.v[1] < 0 || m.v[1] > INT32_MAX ||
			    m.v[2] < 0 || m.v[2] > INT32_MAX)
				goto bad;
			if (r->layout == NULL && (r->layout = calloc((size_t)r->total, sizeof(*r->layout))) == NULL) {
				r->host->error(r->ctx, "out of memory");
				goto out;
			}
			lo = &r->layout[m.page];
			if (lo->word != NULL)
				goto bad;
			lo->width = (int32_t)m.v[1];
			lo->height = (int32_t)m.v[2];
			if (m.v[0] > 0 && (lo->word = malloc((size_t)m.len)) == NULL) {
				r->host->error(r->ctx, "out of memory");
				goto out;
			}
			if (m.v[0] > 0 && pdf_read(&p->rd, lo->word, (size_t)m.len) != 0) {
				pdf_died(r, p->pid, &p->rd, doing, m.page + 1);
				goto out;
			}
			lo->n = (int)m.v[0];
			break;
		}
		case PM_RENDER:
			if (m.len != 0 || render || r->total == 0 || next_page != r->total)
				goto bad;
			render = 1; /* past the text, whatever the answer */
			r->rendered = m.v[0] != 0;
			if (!r->rendered) {
				dg_share_give(&pdf_extra, extra);
				extra = 0;
				break;
			}
			doing = "rendering";
			if (pdf_keeps_layer(st))
				job.keep = r->has_text;
			selected = pdf_count_wanted(&job, r->total);
			if (scan_reserve(r, selected) != 0) {
				r->host->error(r->ctx, "out of memory");
				goto out;
			}
			/* the first renderer deals the pages to as many: start the
			 * others, and give back to the run those not needed */
			nrend = pdf_renderers(job.count, selected);
			dg_share_give(&pdf_extra, extra - (nrend - 1));
			extra = nrend - 1;
			job.total = r->total;
			for (j = 1; j < nrend; j++) {
				job.index = j;
				if (pdf_start(r, &job, &procs[j]) != 0)
					goto out;
				nprocs++;
			}
			break;
		case PM_SAID:
		case PM_DAMAGED:
			/* before the page's image, from the renderer it was dealt to */
			if (!r->rendered || m.page < 0 || m.page >= r->total || m.len < 1 || m.len > SCAN_MSG_MAX ||
			    m.v[0] < 1 || pdf_read(&p->rd, msg, (size_t)m.len) != 0)
				goto bad;
			msg[m.len] = '\0';
			if (m.type == PM_SAID) {
				scan_clean(said, sizeof(said), msg);
				said_page = m.page;
				said_lines = m.v[0];
			} else {
				scan_clean(damaged, sizeof(damaged), msg);
				damaged_page = m.page;
				damaged_count = m.v[0];
			}
			break;
		case PM_IMAGE: {
			uint64_t len;
			int64_t W = m.v[0], H = m.v[1], d = m.v[2], dpi = m.v[3];
			if (!r->rendered || images >= selected || m.page <= last_image || m.page >= r->total ||
			    !pdf_wanted(&job, m.page) || !(d == 1 || d == 8 || d == 32) || dpi < 1 || dpi > 100000 ||
			    m.v[4] < 0 || m.v[5] < 0 || m.v[4] > 1000000 || m.v[5] > 1000000)
				goto bad;
			last_image = m.page;
			images++;
			page = m.page + 1;
			if (scan_check_dims(r, page, W, H) != 0 ||
			    scan_check_mem(r, page, (W * d + 31) / 32 * 4 * H) != 0)
				goto out;
			len = m.len;
			pix = pixCreate((l_int32)W, (l_int32)H, (l_int32)d);
			if (pix == NULL) {
				r->host->error(r->ctx, "page %d: out of memory", page);
				goto out;
			}
			if (len != (uint64_t)pixGetWpl(pix) * 4 * (uint64_t)H) {
				pixDestroy(&pix);
				goto bad;
			}
			if (pdf_read(&p->rd, pixGetData(pix), (size_t)len) != 0) {
				pixDestroy(&pix);
				pdf_died(r, p->pid, &p->rd, doing, page);
				goto out;
			}
			pixSetResolution(pix, (l_int32)dpi, (l_int32)dpi);
			memset(&in, 0, sizeof(in));
			in.number = page;
			in.colour = d == 32 ? "colour" : d == 8 ? "gray" : "bitonal";
			snprintf(in.compression, sizeof(in.compression), "pdf");
			in.xres = (int)m.v[4];
			in.yres = (int)m.v[5];
			in.res_applies = in.xres > 0 && in.yres > 0;
			/* a decoder's complaint: the picture may not be the scan's */
			if (said_page == m.page || damaged_page == m.page)
				in.problems |= SCAN_P_SUSPECT;
			if (scan_add(r, &in, pix, (int)dpi) != 0)
				goto out;
			if (said_page == m.page) {
				if (said_lines > 1)
					r->host->note(r->ctx, r->doc,
					              "page %d: poppler, drawing it: %s (and %" PRId64 " more)", page,
					              said, said_lines - 1);
				else
					r->host->note(r->ctx, r->doc, "page %d: poppler, drawing it: %s", page, said);
				said_page = -1;
			}
			if (damaged_page == m.page) {
				if (damaged_count > 1)
					r->host->note(r->ctx, r->doc,
					              "page %d: %s, and %" PRId64 " more picture%s: what is drawn of "
					              "them may be garbled",
					              page, damaged, damaged_count - 1, damaged_count == 2 ? "" : "s");
				else
					r->host->note(r->ctx, r->doc, "page %d: %s: what is drawn of it may be garbled",
					              page, damaged);
				damaged_page = -1;
			}
			break;
		}
		case PM_DONE:
			/* every selected page rendered, each renderer done once */
			if (m.len != 0 || !render || images != selected || p != &procs[dones])
				goto bad;
			dones++;
			break;
		default: goto bad;
		}
	}
	rc = 0;
	goto out;
bad:
	r->host->error(r->ctx, "the PDF renderer sent a malformed message%s", p->rd.eof ? " (cut short)" : "");
out:
	for (j = 0; j < nprocs; j++) {
		int status;
		pid_t w;
		close(procs[j].rd.fd);
		if (rc != 0)
			kill(procs[j].pid, SIGKILL);
		do
			w = waitpid(procs[j].pid, &status, 0);
		while (w < 0 && errno == EINTR);
	}
	dg_share_give(&pdf_extra, extra);
	free(imgs.v);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Recording                                                            */

static int scan_meta(struct scan_run *r, const char *key, const char *fmt, ...) DG_PRINTF(3, 4);
static int
scan_meta(struct scan_run *r, const char *key, const char *fmt, ...)
{
	char val[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (r->host->meta_set(r->doc, key, val) != 0) {
		r->host->error(r->ctx, "cannot set %s", key);
		return -1;
	}
	return 0;
}

/* Append s to a comma list in buf. */
static void
scan_list_add(char *buf, size_t cap, const char *s)
{
	size_t l = strlen(buf);

	snprintf(buf + l, cap - l, "%s%s", l ? "," : "", s);
}

/* "1-3,7" from a set of page numbers, into a heap string. */
static char *
scan_ranges(const struct scan_run *r, bool (*in)(const struct scan_run *, int))
{
	size_t cap = 64, l = 0;
	char *s = malloc(cap), *t;
	int p, q;

	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (p = 1; p <= r->total; p++) {
		if (!in(r, p))
			continue;
		for (q = p; q + 1 <= r->total && in(r, q + 1); q++)
			;
		if (cap - l < 32) {
			cap *= 2;
			t = realloc(s, cap);
			if (t == NULL) {
				free(s);
				return NULL;
			}
			s = t;
		}
		if (q > p)
			l += (size_t)snprintf(s + l, cap - l, "%s%d-%d", l ? "," : "", p, q);
		else
			l += (size_t)snprintf(s + l, cap - l, "%s%d", l ? "," : "", p);
		p = q;
	}
	return s;
}

/* "2,5-7": the decoded pages with problem bit, and the worst value of
 * the problem's measure (lowest dpi, lowest mean gray). */
static char *
scan_problem_pages(const struct scan_run *r, unsigned bit, double *worst)
{
	size_t cap = 64, l = 0;
	char *s = malloc(cap), *t;
	int i, j;

	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < r->pages->n; i++) {
		const struct scan_info *in = &r->info[i];
		double m;
		if (!(in->problems & bit))
			continue;
		m = bit == SCAN_P_DARK ? in->mean : (in->xres < in->yres ? in->xres : in->yres);
		if (*worst < 0 || m < *worst)
			*worst = m;
		/* a run of consecutive page numbers */
		for (j = i; j + 1 < r->pages->n && (r->info[j + 1].problems & bit) &&
		            r->info[j + 1].number == r->info[j].number + 1;
		     j++) {
			const struct scan_info *nx = &r->info[j + 1];
			m = bit == SCAN_P_DARK ? nx->mean : (nx->xres < nx->yres ? nx->xres : nx->yres);
			if (m < *worst)
				*worst = m;
		}
		if (cap - l < 32) {
			cap *= 2;
			t = realloc(s, cap);
			if (t == NULL) {
				free(s);
				return NULL;
			}
			s = t;
		}
		if (j > i)
			l += (size_t)snprintf(s + l, cap - l, "%s%d-%d", l ? "," : "", in->number, r->info[j].number);
		else
			l += (size_t)snprintf(s + l, cap - l, "%s%d", l ? "," : "", in->number);
		i = j;
	}
	return s;
}

static bool
scan_is_skipped(const struct scan_run *r, int p)
{
	return r->is_pdf && !r->rendered ? false : !scan_selected(r->st, p);
}

static bool
scan_is_stamped(const struct scan_run *r, int p)
{
	return r->stamped != NULL && r->stamped[p];
}

static bool
scan_is_layered(const struct scan_run *r, int p)
{
	return r->kept != NULL && r->kept[p - 1];
}

static void
scan_dpi_text(int x, int y, char *buf, size_t cap)
{
	if (x <= 0 || y <= 0)
		snprintf(buf, cap, "unknown");
	else if (x == y)
		snprintf(buf, cap, "%d", x);
	else
		snprintf(buf, cap, "%dx%d", x, y);
}

static int
scan_record(struct scan_run *r, int64_t t0, int *warn)
{
	const struct scan_state *st = r->st;
	char key[96], dpi[32], probs[128], comps[256], dpis[64] = "-", all[128];
	const char *mode = NULL;
	unsigned seen = 0;
	int i, k, minres = 0, rc = -1, nprob = 0, any_res = 0;
	bool mixed_mode = false, none;
	char *skipped = NULL, *blank = NULL, *stamped = NULL, *layered = NULL;

	comps[0] = all[0] = '\0';
	if (scan_meta(r, "scan.pages", "%d", r->total) != 0)
		goto out;
	for (i = 0; i < r->pages->n; i++) {
		const struct scan_info *in = &r->info[i];
		if (in->res_applies || !r->is_pdf)
			scan_dpi_text(in->xres, in->yres, dpi, sizeof(dpi));
		else
			snprintf(dpi, sizeof(dpi), "none"); /* a PDF page without a scanned image */
		snprintf(key, sizeof(key), "scan.page.%d.dpi", in->number);
		if (scan_meta(r, key, "%s", dpi) != 0)
			goto out;
		snprintf(key, sizeof(key), "scan.page.%d.size", in->number);
		if (scan_meta(r, key, "%dx%d", in->w, in->h) != 0)
			goto out;
		snprintf(key, sizeof(key), "scan.page.%d.colour", in->number);
		if (scan_meta(r, key, "%s", in->colour) != 0)
			goto out;
		probs[0] = '\0';
		for (k = 0; k < (int)SCAN_NPROBLEMS; k++)
			if (in->problems & (1u << k))
				scan_list_add(probs, sizeof(probs), scan_problem_names[k]);
		if (probs[0] != '\0') {
			snprintf(key, sizeof(key), "scan.page.%d.problems", in->number);
			if (scan_meta(r, key, "%s", probs) != 0)
				goto out;
			nprob++;
		}
		seen |= in->problems;
		any_res |= in->res_applies;
		if (in->res_applies && in->xres > 0 && in->yres > 0) {
			int m = in->xres < in->yres ? in->xres : in->yres;
			if (minres == 0 || m < minres)
				minres = m;
		}
		if (mode == NULL)
			mode = in->colour;
		else if (strcmp(mode, in->colour) != 0)
			mixed_mode = true;
		{
			/* distinct compressions, in page order */
			char probe[32];
			snprintf(probe, sizeof(probe), ",%s,", in->compression);
			char wrapped[sizeof(comps) + 2];
			snprintf(wrapped, sizeof(wrapped), ",%s,", comps);
			if (strstr(wrapped, probe) == NULL)
				scan_list_add(comps, sizeof(comps), in->compression);
		}
	}
	if (r->is_pdf) {
		if (scan_meta(r, "scan.text-layer", "%s",
		              r->text_pages == r->total ? "all"
		              : r->text_pages > 0       ? "partial"
		                                        : "none") != 0)
			goto out;
	}
	if (r->pages->n > 0) {
		if (minres > 0)
			snprintf(dpis, sizeof(dpis), "%d", minres);
		else
			snprintf(dpis, sizeof(dpis), "%s", r->is_pdf && !any_res ? "none" : "unknown");
		if (scan_meta(r, "scan.resolution", "%s", dpis) != 0 ||
		    scan_meta(r, "scan.colour-mode", "%s", mixed_mode ? "mixed" : mode) != 0)
			goto out;
	}
	if ((r->is_pdf || comps[0] != '\0') && scan_meta(r, "scan.compression", "%s", r->is_pdf ? "pdf" : comps) != 0)
		goto out;
	for (k = 0; k < (int)SCAN_NPROBLEMS; k++)
		if (seen & (1u << k))
			scan_list_add(all, sizeof(all), scan_problem_names[k]);
	if (all[0] != '\0' && scan_meta(r, "scan.problems", "%s", all) != 0)
		goto out;
	/* one note a problem, with its pages */
	for (k = 0; k < (int)SCAN_NPROBLEMS; k++) {
		char *pages;
		double worst = -1;
		if (!(seen & (1u << k)))
			continue;
		pages = scan_problem_pages(r, 1u << k, &worst);
		if (pages == NULL) {
			r->host->error(r->ctx, "out of memory");
			goto out;
		}
		switch (1u << k) {
		case SCAN_P_LOWRES:
			r->host->note(r->ctx, r->doc,
			              "low resolution, below min-dpi %" PRId64
			              " (DA/T 31-2017), %.0f dpi at least: page %s",
			              st->min_dpi, worst, pages);
			break;
		case SCAN_P_NORES: r->host->note(r->ctx, r->doc, "the file gives no resolution: page %s", pages); break;
		case SCAN_P_BLANK: r->host->note(r->ctx, r->doc, "blank, kept: page %s", pages); break;
		case SCAN_P_DARK:
			r->host->note(r->ctx, r->doc, "too dark, mean gray %.0f of 255 at darkest: page %s", worst,
			              pages);
			break;
		case SCAN_P_LIGHT: r->host->note(r->ctx, r->doc, "too light, faint marks only: page %s", pages); break;
		case SCAN_P_SUSPECT:
			r->host->note(r->ctx, r->doc,
			              "picture perhaps damaged (see the page's note), to be looked at: page %s", pages);
			break;
		default: break;
		}
		free(pages);
	}
	skipped = scan_ranges(r, scan_is_skipped);
	stamped = r->stamped_n > 0 ? scan_ranges(r, scan_is_stamped) : NULL;
	layered = r->layer_n > 0 && r->layer_n < r->total ? scan_ranges(r, scan_is_layered) : NULL;
	{
		double unused = -1;
		blank = scan_problem_pages(r, SCAN_P_BLANK, &unused);
	}
	if (skipped == NULL || blank == NULL || (r->stamped_n > 0 && stamped == NULL) ||
	    (r->layer_n > 0 && r->layer_n < r->total && layered == NULL)) {
		r->host->error(r->ctx, "out of memory");
		goto out;
	}
	if (skipped[0] != '\0' && scan_meta(r, "scan.skipped", "%s", skipped) != 0)
		goto out;
	if (blank[0] != '\0' && scan_meta(r, "scan.blank-pages", "%s", blank) != 0)
		goto out;
	if (scan_meta(r, "scan.ocr", "%s", r->pages->skip_ocr ? "skip" : "run") != 0)
		goto out;
	/* the summary */
	{
		char sum[512];
		size_t l;
		l = (size_t)snprintf(sum, sizeof(sum), "%s, %d page%s", r->kind, r->total, r->total == 1 ? "" : "s");
		if (r->pages->n != r->total && l < sizeof(sum))
			l += (size_t)snprintf(sum + l, sizeof(sum) - l, ", %d decoded", r->pages->n);
		if (r->is_pdf && l < sizeof(sum))
			l += (size_t)snprintf(sum + l, sizeof(sum) - l, "; text layer on %s",
			                      r->text_pages == r->total ? "every page"
			                      : r->text_pages > 0       ? "some pages"
			                                                : "no page");
		if (r->pages->n > 0 && l < sizeof(sum))
			l += (size_t)snprintf(
			    sum + l, sizeof(sum) - l, "; resolution %s%s; colour mode %s; problems: %s", dpis,
			    minres > 0 ? " dpi" : "", mixed_mode ? "mixed" : mode, all[0] ? all : "none");
		if (l < sizeof(sum))
			snprintf(sum + l, sizeof(sum) - l, "; OCR %s", r->pages->skip_ocr ? "not needed" : "needed");
		r->host->note(r->ctx, r->doc, "%s; %" PRId64 " ms", sum, scan_now_ms() - t0);
	}
	if (skipped[0] != '\0')
		r->host->note(r->ctx, r->doc, "pages skipped (option pages): %s", skipped);
	if (stamped != NULL && stamped[0] != '\0')
		r->host->note(r->ctx, r->doc,
		              "text covering under 0.5%% of a scanned page (a stamp, a watermark) taken for no text "
		              "layer, the page read as a scan: page %s (%d)",
		              stamped, r->stamped_n);
	if (layered != NULL && layered[0] != '\0')
		r->host->note(r->ctx, r->doc, "the text layer kept, the page not rendered%s: page %s (%d of %d)",
		              r->pages->skip_ocr || r->pages->n == 0 ? "" : " (OCR reads the others)", layered,
		              r->layer_n, r->total);
	if (r->text_cut)
		r->host->note(r->ctx, r->doc, "the text layer was cut at %zu bytes", SCAN_TEXT_MAX);
	none = r->total > 0 && st->nranges > 0 && scan_count_selected(st, r->total) == 0;
	if (none)
		r->host->note(r->ctx, r->doc, "option pages selects none of the %d pages: no page read", r->total);
	if (r->cut_short) {
		r->host->note(r->ctx, r->doc,
		              "the file does not end with %%%%EOF: it may have been cut short, and pages or "
		              "pictures near its end may be missing");
		if (scan_meta(r, "scan.cut-short", "true") != 0)
			goto out;
	}
	if (nprob > 0 || r->text_cut || none || r->cut_short)
		*warn = 1;
	rc = 0;
out:
	free(skipped);
	free(blank);
	free(stamped);
	free(layered);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The stage                                                            */

static const char *
scan_type(const struct dg_host *host, struct dg_doc *doc, char *buf, size_t cap)
{
	const char *mt = host->media_type(doc);
	size_t len;

	if (mt == NULL)
		return NULL;
	while (*mt == ' ' || *mt == '\t')
		mt++;
	len = strcspn(mt, ";");
	while (len > 0 && (mt[len - 1] == ' ' || mt[len - 1] == '\t'))
		len--;
	if (len >= cap)
		return NULL;
	memcpy(buf, mt, len);
	buf[len] = '\0';
	return buf;
}

static int
scan_bid(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	char buf[128];
	const char *mt = scan_type(host, doc, buf, sizeof(buf));
	size_t i;

	if (mt == NULL)
		return 0;
	for (i = 0; scan_types[i] != NULL; i++)
		if (strcasecmp(scan_types[i], mt) == 0)
			return 80;
	return 0;
}

/* Hand the words of page i's text layer (from 0) to the page set, those
 * within the len bytes of its text that were kept. */
static int
scan_keep_words(struct dg_pages *ps, struct dg_layout *from, int i, size_t len)
{
	struct dg_layout *lo;
	int k;

	if (ps->layout == NULL && (ps->layout = calloc((size_t)ps->total, sizeof(*ps->layout))) == NULL)
		return -1;
	lo = &ps->layout[i];
	*lo = from[i];
	from[i].word = NULL;
	for (k = 0; k < lo->n; k++) {
		const struct dg_word *w = &lo->word[k];

		if (w->at < 0 || w->len < 1 || (size_t)w->at + (size_t)w->len > len)
			break;
	}
	lo->n = k;
	return 0;
}

/* A PDF with a text layer on some pages or all: the layer's text is the
 * text part (text, as read: a form feed after each page, alone after a
 * page without); the pages that have one and were not decoded keep it in
 * the page set, for the ocr stage to put in their places. */
static int
scan_keep_layer(struct scan_run *r)
{
	struct dg_pages *ps = r->pages;
	unsigned char *decoded = calloc((size_t)r->total, 1);
	int i, rc = -1;

	r->kept = calloc((size_t)r->total, 1);
	if (decoded == NULL || r->kept == NULL)
		goto nomem;
	for (i = 0; i < ps->n; i++)
		decoded[ps->page[i].number - 1] = 1;
	for (i = 0; i < r->total; i++) {
		const struct scan_span *sp = &r->text_span[i];
		const char *at = r->text != NULL ? r->text + sp->at : "";

		if (!r->has_text[i] || decoded[i])
			continue;
		r->kept[i] = 1;
		r->layer_n++;
		if (ps->skip_ocr) /* nobody reads the pages again */
			continue;
		if (ps->layer == NULL && (ps->layer = calloc((size_t)r->total, sizeof(*ps->layer))) == NULL)
			goto nomem;
		if ((ps->layer[i] = strndup(at, sp->len)) == NULL)
			goto nomem;
		if (r->layout != NULL && scan_keep_words(ps, r->layout, i, sp->len) != 0)
			goto nomem;
	}
	rc = r->host->part_add_mem(r->ctx, r->doc, DG_ROLE_TEXT, "text/plain; charset=utf-8", r->text, r->text_len);
	goto out;
nomem:
	r->host->error(r->ctx, "out of memory");
out:
	free(decoded);
	return rc;
}

static int
scan_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	const struct scan_state *st = state;
	struct scan_run r;
	struct stat sb;
	const char *path, *mt;
	char buf[128];
	void *map = MAP_FAILED;
	int64_t t0 = scan_now_ms();
	int fd = -1, rc = DG_FAILED, warn = 0;

	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	r.host = host;
	r.st = st;
	r.doc = doc;
	r.kind = "image";
	path = host->part_path(doc, DG_ROLE_ORIGINAL);
	if (path == NULL) {
		host->error(ctx, "the document has no original part");
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		host->error(ctx, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (sb.st_size == 0) {
		host->error(ctx, "empty file");
		goto out;
	}
	if ((uint64_t)sb.st_size > SIZE_MAX / 2) {
		host->error(ctx, "file too large");
		goto out;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		host->error(ctx, "cannot map %s: %s", path, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	r.data = map;
	r.size = (size_t)sb.st_size;
	r.pages = calloc(1, sizeof(*r.pages));
	if (r.pages == NULL) {
		host->error(ctx, "out of memory");
		goto out;
	}
	r.pages->budget = st->max_memory;
	mt = scan_type(host, doc, buf, sizeof(buf));
	if ((mt != NULL && strcasecmp(mt, "application/pdf") == 0) ||
	    (r.size >= 5 && memcmp(r.data, "%PDF-", 5) == 0)) {
		if (scan_pdf(&r) != 0)
			goto out;
	} else if (scan_raster(&r) != 0) {
		goto out;
	}
	r.pages->total = r.total;
	r.pages->has_text_layer = r.is_pdf && r.total > 0 && r.text_pages == r.total;
	r.pages->skip_ocr = st->ocr == SCAN_OCR_SKIP || (r.pages->has_text_layer && st->ocr == SCAN_OCR_AUTO);
	if (r.is_pdf && r.total > 0 && r.text_pages > 0 && scan_keep_layer(&r) != 0)
		goto out;
	if (scan_record(&r, t0, &warn) != 0)
		goto out;
	if (r.pages->spilled > 0) {
		int i, kept = 0;

		for (i = 0; i < r.pages->n; i++)
			kept += r.pages->page[i].pix_file != NULL;
		host->note(ctx, doc,
		           "%d of %d decoded pages (%" PRId64 " MiB) kept in the temporary directory: the pages "
		           "past max-memory (%s)",
		           kept, r.pages->n, r.pages->spilled >> 20, st->max_memory_text);
	}
	if (host->scratch_set(doc, DG_PAGES_KEY, r.pages, dg_pages_free) != 0) {
		host->error(ctx, "cannot keep the decoded pages");
		goto out;
	}
	r.pages = NULL;
	rc = warn ? DG_WARN : DG_OK;
out:
	if (fd >= 0)
		close(fd);
	if (map != MAP_FAILED)
		munmap(map, (size_t)sb.st_size);
	dg_pages_free(r.pages);
	free(r.info);
	free(r.text);
	free(r.stamped);
	free(r.has_text);
	free(r.text_span);
	dg_layout_free(r.layout, r.total);
	free(r.kept);
	return rc;
}

static int
scan_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct scan_state *st;
	const char *s;
	char why[160];

	pthread_once(&scan_once, scan_once_init);
	if (!DG_HOST_HAS(host, scratch_set)) {
		host->error(ctx, "the engine is too old: scan needs plugin ABI 1.1 (scratch objects)");
		return DG_FATAL;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		host->error(ctx, "out of memory");
		return DG_FATAL;
	}
	st->max_pixels = host->opt_int(opts, "max-pixels");
	st->max_pages = host->opt_int(opts, "max-pages");
	st->max_memory = host->opt_int(opts, "max-memory");
	st->max_disk = host->opt_int(opts, "max-disk");
	st->min_dpi = host->opt_int(opts, "min-dpi");
	st->timeout = host->opt_int(opts, "timeout");
	st->renderers = (int)host->opt_int(opts, "renderers");
	if (st->renderers <= 0)
		st->renderers = dg_run_share(ctx, host, SCAN_RENDERERS_AUTO);
	if (st->renderers > SCAN_RENDERERS_MAX)
		st->renderers = SCAN_RENDERERS_MAX;
	s = host->opt_string(opts, "max-pixels");
	snprintf(st->max_pixels_text, sizeof(st->max_pixels_text), "%s", s != NULL ? s : "?");
	s = host->opt_string(opts, "max-memory");
	snprintf(st->max_memory_text, sizeof(st->max_memory_text), "%s", s != NULL ? s : "?");
	s = host->opt_string(opts, "max-disk");
	snprintf(st->max_disk_text, sizeof(st->max_disk_text), "%s", s != NULL ? s : "?");
	if (st->max_pixels < 1 || st->max_pages < 1 || st->max_memory < 1 || st->max_disk < 0 || st->min_dpi < 1 ||
	    st->timeout < 1) {
		host->error(ctx, "limits must be positive");
		goto fail;
	}
	s = host->opt_string(opts, "ocr");
	if (s == NULL || strcmp(s, "auto") == 0)
		st->ocr = SCAN_OCR_AUTO;
	else if (strcmp(s, "skip") == 0)
		st->ocr = SCAN_OCR_SKIP;
	else if (strcmp(s, "force") == 0)
		st->ocr = SCAN_OCR_FORCE;
	else if (strcmp(s, "redo") == 0)
		st->ocr = SCAN_OCR_REDO;
	else {
		host->error(ctx, "option ocr: '%.32s' is not auto, skip, force or redo", s);
		goto fail;
	}
	if (scan_parse_pages(host->opt_string(opts, "pages"), st, why, sizeof(why)) != 0) {
		host->error(ctx, "%s", why);
		goto fail;
	}
	*state = st;
	return DG_OK;
fail:
	free(st);
	return DG_FATAL;
}

static void
scan_fini(void *state)
{
	free(state);
}

static const struct dg_plugin scan_plugin = {
    DG_PLUGIN_HEADER,
    .name = "scan",
    .version = SCAN_VERSION,
    .summary = "Decode the pages of scanned documents (TIFF, PNG, JPEG, JPEG 2000, PNM, BMP, PDF) and check them",
    .kind = DG_KIND_TRANSFORM,
    .flags = DG_PLUGIN_SHARED,
    .options = scan_options,
    .init = scan_init,
    .fini = scan_fini,
    .bid = scan_bid,
    .process = scan_process,
    .bid_locator = NULL,
    .scan = NULL,
};

DG_PLUGIN_DEFINE(scan_plugin)
