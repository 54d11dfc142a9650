/*
 * plugins/text/textconv.h -- text of plain-text and HTML bytes in UTF-8.
 *
 * The charset decoding and HTML extraction of the text plugin, shared
 * with the plugins that meet text inside other formats (the body of a
 * mail).  Compiled into each module that uses it; internal to plugins.
 */
#ifndef DG_TEXTCONV_H
#define DG_TEXTCONV_H

#include <stddef.h>

#define TEXT_CHARSET_MAX 64

enum text_kind { TEXT_NONE = 0, TEXT_PLAIN = 1, TEXT_HTML = 2 };

/* A growable byte buffer with a hard limit. */
struct text_buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;
};

/* The outcome of text_convert(). */
struct text_conv {
	struct text_buf text;           /* UTF-8, \n line ends, NUL-terminated */
	char charset[TEXT_CHARSET_MAX]; /* the charset the bytes were read in */
	size_t replacements;            /* invalid sequences turned into U+FFFD */
	char *title;                    /* HTML <title>, or NULL */
	int cut;                        /* HTML text reached its size limit */
	char stopped[160];              /* why the HTML parser stopped early, or "" */
};

/* TEXT_HTML for HTML media types, TEXT_PLAIN for other text/ types. */
enum text_kind text_classify(const char *type);

/* Decode s[0..len) into UTF-8 text (see textconv.c for the order of
 * charsets tried; type may carry a charset parameter), and extract the
 * text of HTML when kind is TEXT_HTML.  truncated says the bytes were
 * cut from a longer whole.  Returns 0, or -1 when out of memory; free
 * the result with text_conv_free() in either case. */
int text_convert(const unsigned char *s, size_t len, int truncated, const char *type, enum text_kind kind,
                 struct text_conv *out);
void text_conv_free(struct text_conv *c);

/* uchardet's guess of the charset of s, or "" when it has none. */
void text_guess_charset(const unsigned char *s, size_t len, char *name, size_t cap);
/* The name iconv is asked for when a document says label: its superset
 * (gb2312 -> GB18030, ...), or label itself. */
const char *text_iconv_name(const char *label);

#endif
