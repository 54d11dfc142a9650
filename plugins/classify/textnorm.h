/*
 * textnorm.h -- text normalisation and value normalisers of the
 * classify stage (plugins/classify).
 *
 * A document's text is read as UTF-8 (an invalid sequence becomes
 * U+FFFD) and normalised NFKC-like for matching: full-width ASCII
 * (U+FF01..U+FF5E, digits and letters included) becomes ASCII, U+FFE5
 * becomes U+00A5 (yen), the ideographic space and the other Unicode
 * spaces a space, zero-width characters and controls go.  Two texts
 * come out of it:
 *
 *   lines    line breaks kept (CR LF, CR, form feed, vertical tab -> LF),
 *            runs of spaces and tabs made one space, no space at the
 *            start or end of a line;
 *   compact  every whitespace character removed (OCR splits lines and
 *            puts spaces between characters).
 *
 * Both are NUL-terminated, valid UTF-8.  *_title is the byte length of
 * the first DG_TITLE_CHARS characters (the part title cues look at).
 */
#ifndef DG_CLASSIFY_TEXTNORM_H
#define DG_CLASSIFY_TEXTNORM_H

#include <stddef.h>
#include <stdint.h>

#define DG_TITLE_CHARS 300

struct dg_normtext {
	char *lines;
	size_t lines_len, lines_title;
	char *compact;
	size_t compact_len, compact_title;
	size_t replaced; /* invalid UTF-8 sequences replaced by U+FFFD */
};

/* Normalise len bytes of in.  Returns 0, or -1 when out of memory
 * (out is then released). */
int dg_normtext_init(struct dg_normtext *out, const char *in, size_t len);
void dg_normtext_release(struct dg_normtext *t);

/* Map one code point as the normaliser does: returns the replacement,
 * 0x20 for a space, or 0 to drop it.  Line breaks are returned as
 * 0x0a. */
uint32_t dg_norm_codepoint(uint32_t cp);

/* Decode one UTF-8 sequence at s (n bytes available): returns its
 * length (1..4) and sets *cp; an invalid sequence returns 1 with *cp =
 * U+FFFD. */
size_t dg_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Encode cp into out (4 bytes); returns the length. */
size_t dg_utf8_encode(uint32_t cp, char *out);

/* Value normalisers.  Each takes the matched text (n bytes, normalised
 * already) and writes the canonical form into out (cap bytes, at least
 * 32).  Return 0, or -1 when the text is not a valid value of the type.
 *
 *   date    2024年3月5日, 2024-03-05, 2024/3/5, 2024.3.5,
 *           二〇二四年三月五日 (〇 零 ○ O 0 for zero; 十 in month and
 *           day: 十二月二十五日), 5 March 2024, Mar 5th, 2024 ->
 *           2024-03-05; with the year last and the month a number
 *           (05/03/2024) only in the order given (dg_norm_date_order);
 *           a day that does not exist (2023-02-29) or a year outside
 *           1900..2199 is refused
 *   amount  ¥1,234.50, 1234.5元, RMB 1234, 12.5万元 -> 1234.50
 *   kva     315kVA, 315 千伏安, 1.25MVA (-> 1250), 315 -> 315
 *   number  -1,234.500 -> -1234.5; 007 -> 7
 *   text    spaces at both ends dropped, inner runs made one space */
int dg_norm_date(const char *s, size_t n, char *out, size_t cap);
enum dg_date_order { DG_DATE_YMD = 0, DG_DATE_DMY, DG_DATE_MDY };
int dg_norm_date_order(const char *s, size_t n, enum dg_date_order order, char *out, size_t cap);
int dg_norm_amount(const char *s, size_t n, char *out, size_t cap);
int dg_norm_kva(const char *s, size_t n, char *out, size_t cap);
int dg_norm_number(const char *s, size_t n, char *out, size_t cap);
int dg_norm_text(const char *s, size_t n, char *out, size_t cap);

/* A decimal number ("-12.5", "0.6", "3"), at most 15 integer and 9
 * fraction digits, no exponent, whatever the locale.  Returns 0 or -1. */
int dg_parse_decimal(const char *s, double *out);

/* A probability with two decimals ("0.91", "1.00"), whatever the
 * locale; out has at least 8 bytes. */
void dg_format_prob(double p, char *out, size_t cap);

#endif
