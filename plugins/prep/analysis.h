/*
 * analysis.h -- the page analysis that the prep stage does and the ocr
 * stage repeats on a page it turns (orientation left to OCR): the
 * binary copy that OSD and the skew search read, the skew search, and
 * the deskew; and the text height that prep scales a page by.
 * Header-only (static inline), for the two plugins and their unit test
 * (tests/unit/test-analysis.c).
 */
#ifndef DG_PREP_ANALYSIS_H
#define DG_PREP_ANALYSIS_H

#include <math.h>
#include <stdlib.h>

#include <leptonica/allheaders.h>

#define PREP_SKEW_MIN_CONF 3.0f  /* leptonica's own threshold for pixDeskew */
#define PREP_SKEW_MIN_ANGLE 0.1f /* degrees; less is not worth a rotation */
#define PREP_HALF_MIN 600        /* pixels; a smaller page is analysed at full resolution */

/* A binary copy of a gray page for analysis (orientation, skew): Otsu
 * on a background-normalised copy, which holds up on uneven and noisy
 * pages.  A binary page is its own copy (a clone). */
static inline PIX *
prep_binary(PIX *gray)
{
	if (pixGetDepth(gray) == 1)
		return pixClone(gray);
	return pixOtsuThreshOnBackgroundNorm(gray, NULL, 10, 15, 100, 50, 255, 2, 2, 0.1f, NULL);
}

/* The skew of a page (degrees, and leptonica's confidence).  A gray
 * page is searched on a binary copy at half the resolution, each pixel
 * the darkest of four (as leptonica reduces a binary page: an average
 * would thin the strokes and move the angle by up to 0.6°), with the
 * sweep and the search one reduction finer to make up for it: a
 * quarter of the binarising, which is what costs, and on the simulated
 * scans and tesseract's test pages the same angles as a search at full
 * resolution, but for one a search step (1/64°) apart.  Returns 0 when
 * a search ran.  With bin not NULL, *bin gets the binary copy searched
 * (the caller destroys it) and *factor the reduction (2 or 1); a page
 * too small to search still gets its copy. */
static inline int
prep_find_skew_bin(PIX *page, float *angle, float *conf, PIX **bin, int *factor)
{
	PIX *half, *b;
	int rc;

	*angle = *conf = 0;
	if (bin != NULL)
		*bin = NULL;
	if (pixGetDepth(page) == 8 && pixGetWidth(page) >= PREP_HALF_MIN && pixGetHeight(page) >= PREP_HALF_MIN) {
		half = pixScaleGrayMinMax(page, 2, 2, L_CHOOSE_MIN);
		if (half == NULL)
			return -1;
		b = prep_binary(half);
		pixDestroy(&half);
		if (b == NULL)
			return -1;
		rc = pixFindSkewSweepAndSearch(b, angle, conf, 2, 1, 7.0f, 1.0f, 0.01f);
		if (factor != NULL)
			*factor = 2;
	} else {
		b = prep_binary(page);
		if (b == NULL)
			return -1;
		rc = pixFindSkew(b, angle, conf);
		if (factor != NULL)
			*factor = 1;
	}
	if (bin != NULL)
		*bin = b;
	else
		pixDestroy(&b);
	return rc;
}

static inline int
prep_find_skew(PIX *page, float *angle, float *conf)
{
	return prep_find_skew_bin(page, angle, conf, NULL, NULL);
}

static inline int
prep_int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The height of the text of a binary page (1 = ink), in its pixels: 0
 * when it cannot tell.  Of the connected components shaped like (part
 * of) a character (2 pixels or more each way, neither side more than 8
 * times the other, under a tenth of the page high: no specks, rules or
 * pictures), those at least half as tall as the 90th percentile (the
 * tallest parts of the characters, not their dots and strokes), their
 * median height.  For Chinese that is the height of the characters; for
 * Latin script, between the x-height and the capitals.  Fewer than
 * PREP_TEXT_MIN_GLYPHS such components (a photo, a near-empty page, a
 * page of noise) tell nothing.  The skew of a page (a few degrees) adds
 * under a pixel to a character's box, so it is measured as it is.
 * *glyphs gets the number of components the median is of. */
#define PREP_TEXT_MIN_GLYPHS 50
static inline int
prep_text_height(PIX *bin, int *glyphs)
{
	BOXA *boxes;
	int *h, n, i, k = 0, c = 0, p90, x, y, w, bh, height = 0, page_h = pixGetHeight(bin);

	*glyphs = 0;
	boxes = pixConnCompBB(bin, 8);
	if (boxes == NULL)
		return 0;
	n = boxaGetCount(boxes);
	h = n > 0 ? malloc((size_t)n * sizeof(*h)) : NULL;
	for (i = 0; h != NULL && i < n; i++) {
		if (boxaGetBoxGeometry(boxes, i, &x, &y, &w, &bh) != 0 || w < 2 || bh < 2 || bh > 8 * w || w > 8 * bh ||
		    bh > page_h / 10)
			continue;
		h[k++] = bh;
	}
	boxaDestroy(&boxes);
	if (k > 0) {
		qsort(h, (size_t)k, sizeof(*h), prep_int_cmp);
		p90 = h[k * 9 / 10];
		for (i = 0; i < k; i++)
			if (2 * h[i] >= p90)
				h[c++] = h[i]; /* sorted still */
		if (c >= PREP_TEXT_MIN_GLYPHS) {
			height = h[c / 2];
			*glyphs = c;
		}
	}
	free(h);
	return height;
}

/* Whether a gray page is a negative: light text on a dark ground (a
 * microfilm negative scanned as it is, a bitonal TIFF whose
 * PhotometricInterpretation says the wrong way round).  On a copy at a
 * quarter of the size (each pixel the mean of 16) thresholded with
 * Otsu's method over the whole page (no background normalisation: it
 * takes the light for the ground): the dark covers more than
 * PREP_NEGATIVE_DARK of it, the light at least PREP_NEGATIVE_LIGHT (not
 * a black page with a few specks), and the light falls into small
 * pieces, none of them PREP_NEGATIVE_PIECE of the page or more (glyphs,
 * not a sheet of paper lying on the dark of a scanner's open lid).
 * *dark gets the dark's share of the page (0..1). */
#define PREP_NEGATIVE_DARK 0.6
#define PREP_NEGATIVE_LIGHT 0.01
#define PREP_NEGATIVE_PIECE 0.05
static inline int
prep_negative(PIX *gray, double *dark)
{
	PIX *small, *bin = NULL;
	PIXA *pieces = NULL;
	BOXA *boxes = NULL;
	NUMA *hist = NULL, *counts = NULL;
	l_int32 split = 0, lit = 0;
	l_float32 largest = 0;
	double area, share;
	int negative = 0;

	*dark = 0;
	if (pixGetDepth(gray) != 8 || pixGetColormap(gray) != NULL)
		return 0;
	small =
	    pixGetWidth(gray) >= 64 && pixGetHeight(gray) >= 64 ? pixScaleAreaMap(gray, 0.25f, 0.25f) : pixClone(gray);
	if (small == NULL)
		return 0;
	area = (double)pixGetWidth(small) * pixGetHeight(small);
	hist = pixGetGrayHistogram(small, 1);
	/* pixels under the split are dark (1 in bin) */
	if (hist == NULL || numaSplitDistribution(hist, 0.0f, &split, NULL, NULL, NULL, NULL, NULL) != 0 ||
	    (bin = pixThresholdToBinary(small, split + 1)) == NULL)
		goto out;
	pixInvert(bin, bin); /* 1: the light */
	if (pixCountPixels(bin, &lit, NULL) != 0)
		goto out;
	share = 1.0 - lit / area;
	*dark = share;
	if (share <= PREP_NEGATIVE_DARK || lit < PREP_NEGATIVE_LIGHT * area)
		goto out;
	boxes = pixConnComp(bin, &pieces, 8);
	if (boxes == NULL || (counts = pixaCountPixels(pieces)) == NULL || numaGetMax(counts, &largest, NULL) != 0)
		goto out;
	negative = largest < PREP_NEGATIVE_PIECE * area;
out:
	numaDestroy(&hist);
	numaDestroy(&counts);
	boxaDestroy(&boxes);
	pixaDestroy(&pieces);
	pixDestroy(&bin);
	pixDestroy(&small);
	return negative;
}

/* Whether a skew found is sure enough and large enough to correct. */
static inline int
prep_skew_worth(float angle, float conf)
{
	return conf >= PREP_SKEW_MIN_CONF && fabsf(angle) >= PREP_SKEW_MIN_ANGLE;
}

/* The page turned by -angle degrees (a new image): area-mapped, white
 * brought in at the corners. */
static inline PIX *
prep_rotate(PIX *page, float angle)
{
	return pixRotate(page, angle * (float)(M_PI / 180.0), L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0, 0);
}

#endif
