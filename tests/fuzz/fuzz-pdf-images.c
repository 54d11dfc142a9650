/* fuzz-pdf-images.c -- libFuzzer harness: any bytes as the PDF whose
 * pictures' data the scan plugin reads once more for damage
 * (plugins/scan/pdf-images.c: qpdf finds the pictures of each page,
 * zlib and libjpeg read them), and, when they begin as a JPEG does, as
 * a JPEG read by libjpeg's careful decoder (plugins/scan/jpeg-read.c).
 * Both run in the PDF renderer's child process in the plugin; here they
 * run in process, so that what they do wrong is seen.  A damaged
 * picture, and a page refused, must be said in words. */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include "../plugins/scan/jpeg-read.h"
#include "../plugins/scan/pdf-images.h"

#define FUZZ_PAGES 16             /* pages of one input looked at */
#define FUZZ_MAX_PIXELS (1 << 20) /* pictures larger are not read */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdf_images *pi;
	int64_t pixels;
	char why[512];

	if (size >= 2 && data[0] == 0xff && data[1] == 0xd8) {
		if (scan_jpeg_check(data, size, FUZZ_MAX_PIXELS, &pixels, why, sizeof(why)) != 0 && why[0] == '\0')
			abort();
		return 0;
	}
	pi = pdf_images_open(data, size, -1, FUZZ_MAX_PIXELS);
	if (pi == NULL)
		return 0;
	/* damaged pictures (> 0) and a page refused (-1) are said in words */
	for (int i = 0; i < FUZZ_PAGES; i++)
		if (pdf_images_page(pi, i, why, sizeof(why)) != 0 && why[0] == '\0')
			abort();
	pdf_images_close(pi);
	return 0;
}
