/*
 * analysis.h -- the page analysis that the prep stage does and the ocr
 * stage repeats on a page it turns (orientation left to OCR): the
 * binary copy that OSD and the skew search read, the skew search, and
 * the deskew.  Header-only (static inline), for the two plugins.
 */
#ifndef DG_PREP_ANALYSIS_H
#define DG_PREP_ANALYSIS_H

#include <math.h>

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
 * a search ran. */
static inline int
prep_find_skew(PIX *page, float *angle, float *conf)
{
	PIX *half, *bin;
	int rc;

	*angle = *conf = 0;
	if (pixGetDepth(page) == 8 && pixGetWidth(page) >= PREP_HALF_MIN && pixGetHeight(page) >= PREP_HALF_MIN) {
		half = pixScaleGrayMinMax(page, 2, 2, L_CHOOSE_MIN);
		if (half == NULL)
			return -1;
		bin = prep_binary(half);
		pixDestroy(&half);
		if (bin == NULL)
			return -1;
		rc = pixFindSkewSweepAndSearch(bin, angle, conf, 2, 1, 7.0f, 1.0f, 0.01f);
	} else {
		bin = prep_binary(page);
		if (bin == NULL)
			return -1;
		rc = pixFindSkew(bin, angle, conf);
	}
	pixDestroy(&bin);
	return rc;
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
