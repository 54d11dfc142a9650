/*
 * plugins/scan/pdf-images.h -- the compressed pictures of a PDF's pages,
 * checked before poppler draws them.
 *
 * poppler draws what it can of damaged picture data and mostly says
 * nothing: its Flate decoder does not check zlib's checksum, and its
 * JPEG decoder feeds libjpeg all the data at once, so that libjpeg's
 * fast Huffman decoder reads a damaged stretch out of step without a
 * word.  So the pictures a page draws (its image XObjects, those of the
 * forms it draws, and their soft masks) are found with qpdf, and their
 * data is read once more: Flate with zlib, whose checksum and codes
 * tell damage, and whose output tells data that ends before the picture
 * does; JPEG with libjpeg's careful decoder (jpeg-read.h), coefficients
 * only.  Other compressions (CCITT, JBIG2, JPEG 2000, LZW) are left to
 * poppler's own decoders, which say what they find.
 *
 * This runs in the PDF renderer's child process (scan.c), on the
 * untrusted file: qpdf, zlib and libjpeg do the reading; the work is
 * bounded (the pictures a page may name, the depth of forms, the bytes
 * inflated).
 */
#ifndef DG_SCAN_PDF_IMAGES_H
#define DG_SCAN_PDF_IMAGES_H

#include <stddef.h>
#include <stdint.h>

struct pdf_images;

/* The file data[0..size) (kept by the caller while this lives), read by
 * qpdf; NULL when qpdf cannot read it, or finds other than pages pages
 * (unless pages < 0), and nothing is then checked: poppler says what it
 * finds.  Pictures of more than max_pixels are not read. */
struct pdf_images *pdf_images_open(const unsigned char *data, size_t size, int pages, int64_t max_pixels);

/*
 * Check the pictures page index (from 0; past the last, none) draws.  Returns how many were
 * found damaged (why then says what of the first, e.g. "image object 7:
 * Flate data fails its check (zlib: incorrect data check)"), 0 if none;
 * -1 when the page is not to be drawn: a picture on it would take
 * poppler minutes (a JPEG of more than SCAN_JPEG_MAX_SCANS scans), why
 * says which.  A picture is read once for each pi: pages that name one
 * an earlier page read get its verdict again.
 */
int pdf_images_page(struct pdf_images *pi, int index, char *why, size_t cap);

void pdf_images_close(struct pdf_images *pi);

#endif
