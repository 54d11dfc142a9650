/* test-pages.c -- dg_page_visual (plugins/scan/pages.h): the picture a
 * searchable PDF shows is the page as decoded, at its own resolution and
 * depth, turned and deskewed so that it is the image OCR read, scaled.
 * prep turns before it deskews (orientation checked), ocr after
 * (orientation deferred): the one picture serves both.  A drawn page of
 * bars, so that a wrong turn or skew shows. */
#include <config.h>

#include "../../plugins/prep/analysis.h"
#include "../../plugins/scan/pages.h"
#include "tap.h"

/* mean absolute difference (0..255) between the gray images a and b,
 * b scaled to a's size first */
static float
differ(PIX *a, PIX *b)
{
	PIX *ga = pixConvertTo8(a, 0), *gb = pixConvertTo8(b, 0), *sb, *d;
	float v = 255;

	sb = pixScaleToSize(gb, pixGetWidth(ga), pixGetHeight(ga));
	d = sb != NULL ? pixAbsDifference(ga, sb) : NULL;
	if (d == NULL || pixGetAverageMasked(d, NULL, 0, 0, 1, L_MEAN_ABSVAL, &v) != 0)
		v = 255;
	pixDestroy(&ga);
	pixDestroy(&gb);
	pixDestroy(&sb);
	pixDestroy(&d);
	return v;
}

int
main(void)
{
	PIX *page, *gray, *half, *turned, *prepared, *visual;
	struct dg_page pg;
	int i;
	float d, wrong;

	/* a bitonal page of bars, 600 x 800 at 300 dpi */
	page = pixCreate(600, 800, 1);
	for (i = 0; i < 30; i++)
		pixRasterop(page, 40, 40 + i * 24, 420 + (i % 3) * 40, 10, PIX_SET, NULL, 0, 0);
	pixSetResolution(page, 300, 300);
	memset(&pg, 0, sizeof(pg));
	pg.pix = page;
	pg.xres = pg.yres = 300;

	/* as prep makes it with the orientation checked: gray, turned a
	 * quarter, scaled to half, deskewed 1.5 degrees */
	gray = pixConvertTo8(page, 0);
	turned = pixRotateOrth(gray, 1);
	half = pixScaleAreaMap(turned, 0.5f, 0.5f);
	prepared = prep_rotate(half, 1.5f);
	pg.rotated = 90;
	pg.skew = 1.5f;
	pg.orientation = DG_ORIENT_CHECKED;
	visual = dg_page_visual(&pg);
	ok(visual != NULL, "a picture");
	is_int(pixGetWidth(visual), 800, "turned a quarter: 800 wide");
	is_int(pixGetHeight(visual), 600, "... and 600 tall, at the scan's resolution");
	is_int(pixGetDepth(visual), 1, "bitonal, as scanned");
	d = differ(prepared, visual);
	ok(d < 12, "the image OCR read, scaled (difference %.1f)", d);
	pixDestroy(&visual);
	pg.skew = -1.5f;
	visual = dg_page_visual(&pg);
	wrong = differ(prepared, visual);
	ok(wrong > 3 * d, "deskewed the other way: it differs (%.1f against %.1f)", wrong, d);
	pixDestroy(&visual);
	pixDestroy(&prepared);
	pixDestroy(&half);
	pixDestroy(&turned);

	/* as with the orientation left to ocr: prep deskews, ocr turns */
	half = pixScaleAreaMap(gray, 0.5f, 0.5f);
	turned = prep_rotate(half, 1.5f);
	prepared = pixRotateOrth(turned, 1);
	pg.skew = 1.5f;
	pg.orientation = DG_ORIENT_DEFERRED;
	visual = dg_page_visual(&pg);
	d = differ(prepared, visual);
	ok(d < 12, "deskewed, then turned: the same picture (difference %.1f)", d);
	pixDestroy(&visual);
	pixDestroy(&prepared);
	pixDestroy(&turned);
	pixDestroy(&half);

	/* neither turned nor deskewed: the page itself, colour stays colour */
	pixDestroy(&gray);
	gray = pixConvertTo32(page);
	pg.pix = gray;
	pg.rotated = 0;
	pg.skew = 0;
	visual = dg_page_visual(&pg);
	ok(visual != NULL && pixGetDepth(visual) == 32, "a colour page stays colour");
	ok(visual != NULL && pixEqual(visual, gray, &i) == 0 && i == 1, "... and is the page as decoded");
	pixDestroy(&visual);

	pixDestroy(&gray);
	pixDestroy(&page);
	return done_testing();
}
