/*
 * plugins/scan/pdf-images.c -- the compressed pictures of a PDF's pages,
 * read once more for damage (see pdf-images.h).
 */
#include <config.h>

#include "pdf-images.h"

#include "jpeg-read.h"

#include <qpdf/qpdf-c.h>
#include <zlib.h>

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PDF_IMAGES_DEPTH 4   /* forms drawn within forms, followed */
#define PDF_IMAGES_NAMES 256 /* XObjects of one resource dictionary, looked at */
#define PDF_IMAGES_SEEN 128  /* pictures and forms of one page, looked at */
#define PDF_IMAGES_WHY 512
#define PDF_IMAGES_BUDGET 16  /* bytes a pixel of max-pixels read for one page, at most */
#define PDF_IMAGES_KNOWN 4096 /* pictures of the document whose verdict is kept */

/* A picture read on an earlier page: what was found (pages naming the
 * same picture, as pages of shared resources do, read it once). */
struct pdf_images_known {
	int id, gen;
	int verdict; /* 0 whole or unread, 1 damaged, 2 refused */
	char *why;   /* with a verdict */
};

struct pdf_images {
	qpdf_data q;
	int64_t max_pixels;
	int seen[PDF_IMAGES_SEEN][2]; /* object number and generation, on this page */
	size_t nseen;
	struct pdf_images_known *known; /* [0..nknown), PDF_IMAGES_KNOWN at most */
	size_t nknown;
	uint64_t budget;          /* bytes this page's pictures may still give (PDF_IMAGES_BUDGET) */
	int bad;                  /* pictures found damaged on this page */
	char why[PDF_IMAGES_WHY]; /* what of the first */
	int refused;              /* a picture not to be drawn on this page */
	char refusal[PDF_IMAGES_WHY];
};

struct pdf_images *
pdf_images_open(const unsigned char *data, size_t size, int pages, int64_t max_pixels)
{
	struct pdf_images *pi = calloc(1, sizeof(*pi));

	if (pi == NULL)
		return NULL;
	pi->q = qpdf_init();
	pi->max_pixels = max_pixels;
	qpdf_silence_errors(pi->q);
	qpdf_set_suppress_warnings(pi->q, QPDF_TRUE);
	/* the page tree's inherited resources pushed down to each page */
	if ((qpdf_read_memory(pi->q, "pdf", (const char *)data, (unsigned long long)size, "") & QPDF_ERRORS) ||
	    (qpdf_push_inherited_attributes_to_page(pi->q) & QPDF_ERRORS) ||
	    (pages >= 0 && qpdf_get_num_pages(pi->q) != pages)) {
		pdf_images_close(pi);
		return NULL;
	}
	return pi;
}

void
pdf_images_close(struct pdf_images *pi)
{
	if (pi == NULL)
		return;
	qpdf_cleanup(&pi->q);
	for (size_t k = 0; k < pi->nknown; k++)
		free(pi->known[k].why);
	free(pi->known);
	free(pi);
}

/* Whether x was not yet looked at on this page (it is then marked), and
 * there is room to look at it. */
static bool
pdf_images_first_look(struct pdf_images *pi, qpdf_oh x)
{
	int id = qpdf_oh_get_object_id(pi->q, x), gen = qpdf_oh_get_generation(pi->q, x);

	for (size_t k = 0; k < pi->nseen; k++)
		if (pi->seen[k][0] == id && pi->seen[k][1] == gen)
			return false;
	if (pi->nseen == PDF_IMAGES_SEEN)
		return false;
	pi->seen[pi->nseen][0] = id;
	pi->seen[pi->nseen][1] = gen;
	pi->nseen++;
	return true;
}

/* A non-negative integer of dict, or -1. */
static int64_t
pdf_images_int(qpdf_data q, qpdf_oh dict, const char *key)
{
	qpdf_oh v = qpdf_oh_get_key(q, dict, key);
	long long n;

	if (!qpdf_oh_is_integer(q, v))
		return -1;
	n = qpdf_oh_get_int_value(q, v);
	return n >= 0 && n <= INT32_MAX ? (int64_t)n : -1;
}

/* The samples a pixel of colour space cs, or -1 if unknown. */
static int
pdf_images_components(qpdf_data q, qpdf_oh cs)
{
	static const struct {
		const char *name;
		int n;
	} family[] = {
	    {"/DeviceGray", 1}, {"/G", 1},   {"/CalGray", 1}, {"/Indexed", 1}, {"/I", 1},          {"/Separation", 1},
	    {"/DeviceRGB", 3},  {"/RGB", 3}, {"/CalRGB", 3},  {"/Lab", 3},     {"/DeviceCMYK", 4}, {"/CMYK", 4},
	};
	qpdf_oh first = cs;
	int64_t n;

	if (qpdf_oh_is_array(q, cs)) {
		if (qpdf_oh_get_array_n_items(q, cs) < 2)
			return -1;
		first = qpdf_oh_get_array_item(q, cs, 0);
		if (qpdf_oh_is_name_and_equals(q, first, "/ICCBased")) {
			qpdf_oh profile = qpdf_oh_get_array_item(q, cs, 1);
			if (!qpdf_oh_is_stream(q, profile))
				return -1;
			n = pdf_images_int(q, qpdf_oh_get_dict(q, profile), "/N");
			return n >= 1 && n <= 4 ? (int)n : -1;
		}
		if (qpdf_oh_is_name_and_equals(q, first, "/DeviceN")) {
			qpdf_oh names = qpdf_oh_get_array_item(q, cs, 1);
			n = qpdf_oh_is_array(q, names) ? qpdf_oh_get_array_n_items(q, names) : -1;
			return n >= 1 && n <= 32 ? (int)n : -1;
		}
	}
	for (size_t k = 0; k < sizeof(family) / sizeof(family[0]); k++)
		if (qpdf_oh_is_name_and_equals(q, first, family[k].name))
			return family[k].n;
	return -1;
}

/* The bytes the picture of image dictionary dict takes once inflated
 * (with a PNG predictor's byte a row), or -1 if unknown. */
static int64_t
pdf_images_bytes(const struct pdf_images *pi, qpdf_oh dict)
{
	qpdf_data q = pi->q;
	qpdf_oh mask = qpdf_oh_get_key(q, dict, "/ImageMask"), parms = qpdf_oh_get_key(q, dict, "/DecodeParms");
	int64_t w = pdf_images_int(q, dict, "/Width"), h = pdf_images_int(q, dict, "/Height"), bpc, row, predictor;
	int n;

	if (qpdf_oh_is_bool(q, mask) && qpdf_oh_get_bool_value(q, mask)) {
		bpc = 1;
		n = 1;
	} else {
		bpc = pdf_images_int(q, dict, "/BitsPerComponent");
		n = pdf_images_components(q, qpdf_oh_get_key(q, dict, "/ColorSpace"));
	}
	/* (so large a max-pixels that the bytes might overflow: unknown) */
	if (w < 1 || h < 1 || w * h > pi->max_pixels || w * h > INT64_MAX / 1024 || bpc < 1 || bpc > 16 || n < 1)
		return -1;
	row = (w * n * bpc + 7) / 8;
	if (qpdf_oh_is_array(q, parms)) /* one for each filter: Flate's is the first */
		parms = qpdf_oh_get_array_item(q, parms, 0);
	predictor = qpdf_oh_is_dictionary(q, parms) ? pdf_images_int(q, parms, "/Predictor") : -1;
	if (predictor >= 10) /* PNG predictors: a byte a row says which */
		row++;
	return row * h;
}

/*
 * Inflate Flate data buf[0..len) with zlib to its end and checksum, the
 * output counted and thrown away.  1 with why set when zlib finds it
 * damaged, it ends before the picture does, or it goes on past four
 * times the picture (damaged data read out of step may give a long run
 * of one byte; a bomb, more); 0 otherwise.
 */
static int
pdf_images_flate(struct pdf_images *pi, qpdf_oh dict, const unsigned char *buf, size_t len, char *why, size_t cap)
{
	unsigned char out[16384];
	int64_t need = pdf_images_bytes(pi, dict);
	uint64_t total = 0, limit;
	z_stream z;
	int rc;

	if (len > UINT_MAX)
		return 0;
	/* a picture of unknown size: as much as max-pixels of CMYK at 16
	 * bits a sample may take */
	limit = need >= 0                        ? (uint64_t)need * 4 + ((uint64_t)1 << 20)
	        : pi->max_pixels < INT64_MAX / 8 ? (uint64_t)pi->max_pixels * 8
	                                         : UINT64_MAX;
	/* what the page's budget leaves: past it, no verdict */
	if (limit > pi->budget)
		limit = pi->budget;
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return 0;
	z.next_in = (Bytef *)(uintptr_t)buf;
	z.avail_in = (uInt)len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		rc = inflate(&z, Z_NO_FLUSH);
		total += sizeof(out) - z.avail_out;
	} while (rc == Z_OK && total < limit && !(z.avail_in == 0 && z.avail_out != 0));
	if (rc == Z_DATA_ERROR && need >= 0)
		snprintf(why, cap,
		         "its Flate data is damaged (zlib: %s, at %" PRIu64 " bytes inflated, of the picture's %" PRId64
		         ")",
		         z.msg != NULL ? z.msg : "data error", total, need);
	else if (rc == Z_DATA_ERROR)
		snprintf(why, cap, "its Flate data is damaged (zlib: %s, at %" PRIu64 " bytes inflated)",
		         z.msg != NULL ? z.msg : "data error", total);
	else if ((rc == Z_OK || rc == Z_BUF_ERROR) && total < limit && need >= 0 && total < (uint64_t)need)
		snprintf(why, cap, "its Flate data ends after %" PRIu64 " of the picture's %" PRId64 " bytes", total,
		         need);
	else if (rc == Z_OK && total >= limit && need >= 0 && limit < pi->budget)
		snprintf(why, cap, "its Flate data gives more than four times the picture's %" PRId64 " bytes", need);
	else
		why[0] = '\0';
	pi->budget -= total < pi->budget ? total : pi->budget;
	inflateEnd(&z);
	return why[0] != '\0';
}

/* Picture x's verdict for this page: counted when damaged (the first
 * said), kept when refused. */
static void
pdf_images_count(struct pdf_images *pi, int id, int verdict, const char *why)
{
	if (verdict == 1 && pi->bad++ == 0)
		snprintf(pi->why, sizeof(pi->why), "image object %d: %s", id, why);
	if (verdict == 2 && pi->refused++ == 0)
		snprintf(pi->refusal, sizeof(pi->refusal), "image object %d: %s", id, why);
}

/* The verdict of an earlier page on picture x, counted again: false
 * when x was not read before. */
static bool
pdf_images_recall(struct pdf_images *pi, int id, int gen)
{
	for (size_t k = 0; k < pi->nknown; k++)
		if (pi->known[k].id == id && pi->known[k].gen == gen) {
			pdf_images_count(pi, id, pi->known[k].verdict, pi->known[k].why);
			return true;
		}
	return false;
}

/* Keep the verdict on picture x for the pages after (while there is
 * room; a picture not kept is read again where named). */
static void
pdf_images_keep(struct pdf_images *pi, int id, int gen, int verdict, const char *why)
{
	struct pdf_images_known *k;

	if (pi->nknown == PDF_IMAGES_KNOWN)
		return;
	if (pi->known == NULL && (pi->known = calloc(PDF_IMAGES_KNOWN, sizeof(*pi->known))) == NULL)
		return;
	k = &pi->known[pi->nknown];
	k->why = verdict != 0 ? strdup(why) : NULL;
	if (verdict != 0 && k->why == NULL)
		return;
	k->id = id;
	k->gen = gen;
	k->verdict = verdict;
	pi->nknown++;
}

/* Read the data of picture x (dictionary dict) once more, if it is
 * Flate or JPEG, unless an earlier page did; a damaged one is counted,
 * and the first said; one to refuse (a JPEG of too many scans) kept. */
static void
pdf_images_picture(struct pdf_images *pi, qpdf_oh x, qpdf_oh dict)
{
	qpdf_data q = pi->q;
	qpdf_oh filter = qpdf_oh_get_key(q, dict, "/Filter"), first = filter;
	unsigned char *buf = NULL, *soi;
	size_t len = 0;
	char why[PDF_IMAGES_WHY - 32];
	int filters = 1, verdict, id = qpdf_oh_get_object_id(q, x), gen = qpdf_oh_get_generation(q, x);
	int64_t work;
	bool flate, dct;

	if (qpdf_oh_is_array(q, filter)) {
		filters = qpdf_oh_get_array_n_items(q, filter);
		if (filters < 1)
			return;
		first = qpdf_oh_get_array_item(q, filter, 0);
	}
	/* Flate first, whatever filter follows; JPEG alone */
	flate = qpdf_oh_is_name_and_equals(q, first, "/FlateDecode");
	dct = filters == 1 && qpdf_oh_is_name_and_equals(q, first, "/DCTDecode");
	if ((!flate && !dct) || pdf_images_recall(pi, id, gen) || pi->budget == 0)
		return;
	/* the stream's own bytes (decrypted, if the file is) */
	if (qpdf_oh_get_stream_data(q, x, qpdf_dl_none, NULL, &buf, &len) & QPDF_ERRORS) {
		free(buf);
		return;
	}
	if (flate)
		verdict = pdf_images_flate(pi, dict, buf, len, why, sizeof(why));
	else {
		/* bytes before the JPEG's start are skipped, as poppler skips
		 * them (they lose nothing) */
		soi = len >= 2 ? memmem(buf, len, "\xff\xd8", 2) : NULL;
		if (soi != NULL) {
			len -= (size_t)(soi - buf);
			memmove(buf, soi, len);
		}
		/* stray bytes among the headers lose nothing; too many scans:
		 * poppler would take minutes over it, not to be drawn */
		verdict = scan_jpeg_check(buf, len, pi->max_pixels, &work, why, sizeof(why));
		verdict = verdict == 3 ? 2 : verdict != 0;
		/* its coefficients: two bytes a sample, a sample or more a
		 * pixel, once for every ten scans */
		work *= 2;
		pi->budget -= (uint64_t)work < pi->budget ? (uint64_t)work : pi->budget;
	}
	free(buf);
	pdf_images_count(pi, id, verdict, why);
	/* kept even when the budget cut it short: data that outran one
	 * page's budget would outrun the next's (a bomb named by every page
	 * of a long PDF is inflated once, not once a page) */
	pdf_images_keep(pi, id, gen, verdict, why);
}

static void pdf_images_resources(struct pdf_images *pi, qpdf_oh res, int depth);

static void
pdf_images_xobject(struct pdf_images *pi, qpdf_oh x, int depth)
{
	qpdf_data q = pi->q;
	qpdf_oh dict, subtype, mask;

	if (!qpdf_oh_is_stream(q, x) || !pdf_images_first_look(pi, x))
		return;
	dict = qpdf_oh_get_dict(q, x);
	subtype = qpdf_oh_get_key(q, dict, "/Subtype");
	if (qpdf_oh_is_name_and_equals(q, subtype, "/Image")) {
		pdf_images_picture(pi, x, dict);
		mask = qpdf_oh_get_key(q, dict, "/SMask");
		if (qpdf_oh_is_stream(q, mask) && pdf_images_first_look(pi, mask))
			pdf_images_picture(pi, mask, qpdf_oh_get_dict(q, mask));
	} else if (qpdf_oh_is_name_and_equals(q, subtype, "/Form") && depth < PDF_IMAGES_DEPTH)
		pdf_images_resources(pi, qpdf_oh_get_key(q, dict, "/Resources"), depth + 1);
}

/* The XObjects resource dictionary res names: pictures, and forms
 * (their own resources, depth forms deep). */
static void
pdf_images_resources(struct pdf_images *pi, qpdf_oh res, int depth)
{
	qpdf_data q = pi->q;
	char *names[PDF_IMAGES_NAMES];
	size_t n = 0;
	qpdf_oh xobjects;

	if (!qpdf_oh_is_dictionary(q, res))
		return;
	xobjects = qpdf_oh_get_key(q, res, "/XObject");
	if (!qpdf_oh_is_dictionary(q, xobjects))
		return;
	/* the names first: qpdf has a single key iterator, and a form's
	 * resources are gone through within this loop */
	qpdf_oh_begin_dict_key_iter(q, xobjects);
	while (n < PDF_IMAGES_NAMES && qpdf_oh_dict_more_keys(q)) {
		const char *key = qpdf_oh_dict_next_key(q);
		if (key == NULL || (names[n] = strdup(key)) == NULL)
			break;
		n++;
	}
	for (size_t k = 0; k < n; k++) {
		pdf_images_xobject(pi, qpdf_oh_get_key(q, xobjects, names[k]), depth);
		free(names[k]);
	}
}

int
pdf_images_page(struct pdf_images *pi, int index, char *why, size_t cap)
{
	qpdf_oh page;

	pi->nseen = 0;
	pi->budget = pi->max_pixels < (int64_t)(UINT64_MAX / PDF_IMAGES_BUDGET / 2)
	                 ? (uint64_t)pi->max_pixels * PDF_IMAGES_BUDGET
	                 : UINT64_MAX / 2;
	pi->bad = pi->refused = 0;
	pi->why[0] = pi->refusal[0] = '\0';
	page = qpdf_get_page_n(pi->q, (size_t)index);
	if (qpdf_oh_is_dictionary(pi->q, page))
		pdf_images_resources(pi, qpdf_oh_get_key(pi->q, page, "/Resources"), 0);
	/* the handles of this page (qpdf keeps the objects read) */
	qpdf_oh_release_all(pi->q);
	if (pi->refused > 0) {
		snprintf(why, cap, "%s", pi->refusal);
		return -1;
	}
	snprintf(why, cap, "%s", pi->why);
	return pi->bad;
}
