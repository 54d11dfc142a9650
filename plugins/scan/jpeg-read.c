/*
 * plugins/scan/jpeg-read.c -- libjpeg keeping its messages, fed a little
 * at a time (see jpeg-read.h).
 */
#include <config.h>

#include "jpeg-read.h"

#include <jerror.h>
#include <string.h>

static void
scan_jpeg_fatal(j_common_ptr cinfo)
{
	struct scan_jpeg_err *e = (struct scan_jpeg_err *)cinfo->err;

	(*cinfo->err->format_message)(cinfo, e->lost);
	longjmp(e->jump, 1);
}

static void
scan_jpeg_message(j_common_ptr cinfo, int level)
{
	struct scan_jpeg_err *e = (struct scan_jpeg_err *)cinfo->err;

	if (level >= 0) /* a trace, not a warning */
		return;
	cinfo->err->num_warnings++;
	if (cinfo->err->msg_code == JWRN_EXTRANEOUS_DATA) {
		char *to = e->in_data ? e->tail : e->stray;

		if (to[0] == '\0')
			(*cinfo->err->format_message)(cinfo, to);
		return;
	}
	if (cinfo->err->msg_code != JWRN_JPEG_EOF)
		e->nother++;
	if (e->nlost++ == 0) {
		(*cinfo->err->format_message)(cinfo, e->lost);
		e->row = cinfo->is_decompressor ? ((j_decompress_ptr)cinfo)->output_scanline : 0;
	}
}

static void
scan_jpeg_progress(j_common_ptr cinfo)
{
	struct scan_jpeg_err *e = (struct scan_jpeg_err *)cinfo->err;
	int n = cinfo->is_decompressor ? ((j_decompress_ptr)cinfo)->input_scan_number : 0;

	if (n <= SCAN_JPEG_MAX_SCANS)
		return;
	e->scans = 1;
	snprintf(e->lost, sizeof(e->lost),
	         "a progressive JPEG of more than %d scans (each one more pass over the whole picture: made to take "
	         "minutes to decode?)",
	         SCAN_JPEG_MAX_SCANS);
	longjmp(e->jump, 1);
}

void
scan_jpeg_limit(struct jpeg_decompress_struct *cinfo, struct scan_jpeg_err *e)
{
	memset(&e->progress, 0, sizeof(e->progress));
	e->progress.progress_monitor = scan_jpeg_progress;
	cinfo->progress = &e->progress;
}

static void
scan_jpeg_src_init(j_decompress_ptr cinfo)
{
	(void)cinfo;
}

static boolean
scan_jpeg_src_fill(j_decompress_ptr cinfo)
{
	static const JOCTET eoi[2] = {0xff, JPEG_EOI};
	struct scan_jpeg_src *s = (struct scan_jpeg_src *)(void *)cinfo->src;
	size_t n = s->size - s->pos;

	if (n == 0) { /* as jpeg_mem_src: a warning, and an end marker */
		WARNMS(cinfo, JWRN_JPEG_EOF);
		s->pub.next_input_byte = eoi;
		s->pub.bytes_in_buffer = sizeof(eoi);
		return TRUE;
	}
	if (n > SCAN_JPEG_FEED)
		n = SCAN_JPEG_FEED;
	s->pub.next_input_byte = s->data + s->pos;
	s->pub.bytes_in_buffer = n;
	s->pos += n;
	return TRUE;
}

static void
scan_jpeg_src_skip(j_decompress_ptr cinfo, long n)
{
	struct scan_jpeg_src *s = (struct scan_jpeg_src *)(void *)cinfo->src;
	size_t k;

	if (n <= 0)
		return;
	if ((size_t)n <= s->pub.bytes_in_buffer) {
		s->pub.next_input_byte += n;
		s->pub.bytes_in_buffer -= (size_t)n;
		return;
	}
	k = (size_t)n - s->pub.bytes_in_buffer;
	s->pub.bytes_in_buffer = 0;
	s->pos = k < s->size - s->pos ? s->pos + k : s->size;
}

void
scan_jpeg_src(j_decompress_ptr cinfo, struct scan_jpeg_src *s, const unsigned char *data, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->data = data;
	s->size = size;
	s->pub.init_source = scan_jpeg_src_init;
	s->pub.fill_input_buffer = scan_jpeg_src_fill;
	s->pub.skip_input_data = scan_jpeg_src_skip;
	s->pub.resync_to_restart = jpeg_resync_to_restart;
	s->pub.term_source = scan_jpeg_src_init;
	cinfo->src = &s->pub;
}

void
scan_jpeg_quiet(struct jpeg_decompress_struct *cinfo, struct scan_jpeg_err *e)
{
	memset(e, 0, sizeof(*e));
	memset(cinfo, 0, sizeof(*cinfo));
	cinfo->err = jpeg_std_error(&e->mgr);
	e->mgr.error_exit = scan_jpeg_fatal;
	e->mgr.emit_message = scan_jpeg_message;
}

int
scan_jpeg_lost(const struct jpeg_decompress_struct *cinfo, struct scan_jpeg_err *e)
{
	if (e->nlost == 1 && e->nother == 0 && !cinfo->progressive_mode && !cinfo->arith_code) {
		if (e->stray[0] == '\0')
			snprintf(e->stray, sizeof(e->stray), "%s", e->lost);
		e->nlost = 0;
	}
	return e->nlost > 0;
}

int
scan_jpeg_check(const unsigned char *data, size_t size, int64_t max_pixels, int64_t *work, char *why, size_t cap)
{
	struct jpeg_decompress_struct cinfo;
	struct scan_jpeg_err e;
	struct scan_jpeg_src src;
	volatile int64_t pixels = 0;
	int verdict;

	why[0] = '\0';
	*work = 0;
	scan_jpeg_quiet(&cinfo, &e);
	if (setjmp(e.jump)) {
		int lost = cinfo.err->msg_code != JERR_OUT_OF_MEMORY || e.scans;

		if (e.scans)
			snprintf(why, cap, "%s", e.lost);
		else if (lost)
			snprintf(why, cap, "libjpeg cannot read it: %s", e.lost);
		*work = pixels * ((cinfo.input_scan_number + 9) / 10);
		jpeg_destroy_decompress(&cinfo);
		return e.scans ? 3 : lost;
	}
	jpeg_create_decompress(&cinfo);
	scan_jpeg_limit(&cinfo, &e);
	scan_jpeg_src(&cinfo, &src, data, size);
	jpeg_read_header(&cinfo, TRUE);
	if ((int64_t)cinfo.image_width * (int64_t)cinfo.image_height > max_pixels) {
		jpeg_destroy_decompress(&cinfo);
		return 0;
	}
	pixels = (int64_t)cinfo.image_width * (int64_t)cinfo.image_height;
	e.in_data = 1;
	/* the coefficients: every bit of the entropy-coded data is read,
	 * and no pixel made */
	jpeg_read_coefficients(&cinfo);
	jpeg_finish_decompress(&cinfo);
	*work = pixels * ((cinfo.input_scan_number + 9) / 10);
	verdict = 0;
	if (scan_jpeg_lost(&cinfo, &e)) {
		snprintf(why, cap, "libjpeg: %s (%d warning%s)", e.lost, e.nlost, e.nlost == 1 ? "" : "s");
		verdict = 1;
	} else if (e.tail[0] != '\0') {
		snprintf(why, cap,
		         "libjpeg: %s (bytes the picture's data did not need: an encoder's padding, or "
		         "damaged data read out of step)",
		         e.tail);
		verdict = 2;
	} else if (e.stray[0] != '\0')
		snprintf(why, cap, "libjpeg: %s (nothing of the picture was lost)", e.stray);
	jpeg_destroy_decompress(&cinfo);
	return verdict;
}
