/*
 * plugins/scan/png-decode.h -- a PNG page decoded with libpng, its
 * messages kept for the page's reason or note instead of being printed.
 */
#ifndef DG_SCAN_PNG_DECODE_H
#define DG_SCAN_PNG_DECODE_H

#include <leptonica/allheaders.h>
#include <stddef.h>

#define SCAN_PNG_MSG 256                      /* one message of libpng */
#define SCAN_PNG_WHY (SCAN_PNG_MSG + 128)     /* it, with where it stopped */
#define SCAN_PNG_NOTE (2 * SCAN_PNG_MSG + 64) /* an error past the last row, and a warning */

struct scan_png_msgs {
	char why[SCAN_PNG_WHY];   /* why no page came out (NULL returned) */
	char note[SCAN_PNG_NOTE]; /* what libpng let pass, the picture whole ("" if nothing) */
};

/*
 * Decode the PNG file data[0..size) into a page in leptonica's terms:
 * 1 bpp (0 white), 1/2/4/8 bpp with the file's palette, 8 bpp gray
 * (gray with alpha laid over white), 32 bpp RGB, or 32 bpp RGBA (spp 4)
 * for colour with transparency; 16-bit samples scaled to 8; the pHYs
 * resolution in dots per inch.  An interlaced file needs its whole
 * picture in a buffer first: more than max_buffer bytes is refused.
 * Chunks a page does not need (colour profiles, text, time) are skipped
 * unread, their checksums still checked.
 *
 * Returns NULL with m->why set when the picture cannot be read whole.
 * A file cut short after its last row of pixels gives the page, with
 * m->note saying so, as does a warning (a damaged ancillary chunk).
 */
PIX *scan_png_decode(const unsigned char *data, size_t size, size_t max_buffer, struct scan_png_msgs *m);

/*
 * Read the chunks before the pixel data of a PNG that scan_png_decode
 * read, as any other reader does with libpng's defaults (leptonica, to
 * put the file itself into a searchable PDF): colour profile and text
 * inflated (each at most 8 MiB, text chunks at most 32, past which
 * libpng warns).  Returns how many warnings or errors
 * libpng gives there, added to m->note as scan_png_decode does; -1 out
 * of memory.  A file it warns about is damaged, and what else reads it
 * prints libpng's warnings on the terminal.
 */
int scan_png_check_chunks(const unsigned char *data, size_t size, struct scan_png_msgs *m);

#endif
