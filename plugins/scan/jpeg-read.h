/*
 * plugins/scan/jpeg-read.h -- libjpeg set up to keep its messages and
 * to read with its careful Huffman decoder: for a JPEG page (scan.c)
 * and for the JPEG pictures inside a PDF (pdf-images.c).
 *
 * A JPEG is decoded with libjpeg itself, not through leptonica, for its
 * messages: libjpeg would print them on the terminal, and they are the
 * reason a damaged page is quarantined.  Its warnings say data was
 * lost (the file ends early, a segment is cut, rows are gray fill)
 * except for stray bytes before a marker, and the end marker missing
 * after all the data.  Stray bytes among the headers, and the end
 * marker missing, lose nothing and are only noted.  Stray bytes after
 * the picture's data began (before the end marker, a restart marker or
 * a later scan) are data the decoder did not need: some encoders pad
 * so, but damaged data read out of step ends that way too, when none of
 * the codes it met was one no encoder writes (of which libjpeg warns,
 * fed a little at a time: scan_jpeg_src), and the picture is garbled
 * from the damage on.  Such a page is kept, with the problem
 * suspect-data, for someone to look at.
 */
#ifndef DG_SCAN_JPEG_READ_H
#define DG_SCAN_JPEG_READ_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jpeglib.h>

struct scan_jpeg_err {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
	char lost[JMSG_LENGTH_MAX];  /* the first warning that lost data, or the error */
	char stray[JMSG_LENGTH_MAX]; /* the first one that did not, among the headers */
	char tail[JMSG_LENGTH_MAX];  /* the first stray bytes after the data began */
	JDIMENSION row;              /* the row being read at the first loss */
	int nlost;
	int nother;  /* of them, other than the file's end reached */
	int in_data; /* the headers were read: the picture's data has begun */
	int scans;   /* it went past SCAN_JPEG_MAX_SCANS (lost says so) */
	struct jpeg_progress_mgr progress;
};

/* The most scans of a progressive JPEG read.  libjpeg goes over the
 * whole picture once for each scan, and a scan can be a few bytes: a
 * file of 1 MB with thousands of them takes minutes, as a bomb does.
 * Encoders write 10 or so (libjpeg's own progression), rarely over 20;
 * libjpeg-turbo's djpeg bounds them the same way (-maxscans). */
#define SCAN_JPEG_MAX_SCANS 100

/* The file given to libjpeg a little at a time: with fewer bytes at hand
 * than a block may take (512), libjpeg-turbo decodes with its careful
 * Huffman decoder, which warns of a code no encoder writes, instead of
 * its fast one, which takes it for a zero and reads on out of step:
 * damage is then caught where it is, not (if at all) as stray bytes at
 * the end.  Intact files decode the same either way. */
#define SCAN_JPEG_FEED 256

struct scan_jpeg_src {
	struct jpeg_source_mgr pub;
	const JOCTET *data;
	size_t size, pos;
};

/* cinfo with e for its errors and messages: an error longjmps to
 * e->jump (set it before the first call), with its words in e->lost */
void scan_jpeg_quiet(struct jpeg_decompress_struct *cinfo, struct scan_jpeg_err *e);

/* After jpeg_create_decompress: past SCAN_JPEG_MAX_SCANS, an error
 * (e->scans set, and e->lost says so) */
void scan_jpeg_limit(struct jpeg_decompress_struct *cinfo, struct scan_jpeg_err *e);

/* data[0..size) as cinfo's source, SCAN_JPEG_FEED bytes at a time (s
 * must live as long as cinfo reads); past its end, a warning and an
 * end marker, as jpeg_mem_src does */
void scan_jpeg_src(j_decompress_ptr cinfo, struct scan_jpeg_src *s, const unsigned char *data, size_t size);

/* After the whole picture was read: whether data was lost.  A file that
 * ends without its end marker and says nothing else lost nothing when
 * its picture is sequential and Huffman-coded (its decoder warns of any
 * bits it lacked; a progressive one may lack its later scans): that
 * warning then moves to e->stray. */
int scan_jpeg_lost(const struct jpeg_decompress_struct *cinfo, struct scan_jpeg_err *e);

/*
 * Read the JPEG data[0..size) through, entropy-coded data only (no
 * pixels are made), for what libjpeg says of it.  Returns 0 when it is
 * whole (why is ""), or stray bytes among its headers (why says so);
 * 1 when data is lost or the data cannot be read (why gives libjpeg's
 * first word); 2 when stray bytes came after the data began (why
 * says so); 3 when it has more than SCAN_JPEG_MAX_SCANS scans (why
 * says so; not read further).  A picture of more than max_pixels, or
 * one libjpeg has no memory for, is not read: 0, why "".  *work is a
 * measure of the work done: the picture's pixels, once for every ten
 * scans begun (0 when its data was not read).
 */
int scan_jpeg_check(const unsigned char *data, size_t size, int64_t max_pixels, int64_t *work, char *why, size_t cap);

#endif
