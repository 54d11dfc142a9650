# plugins/text: the text extractor (uchardet + iconv, libxml2 HTML).
plugin_LTLIBRARIES += plugins/text/dg-text.la
plugins_text_dg_text_la_SOURCES = plugins/text/text.c plugins/text/textconv.c plugins/text/textconv.h
plugins_text_dg_text_la_CFLAGS = $(AM_CFLAGS) $(UCHARDET_CFLAGS) $(XML_CFLAGS)
plugins_text_dg_text_la_LIBADD = $(UCHARDET_LIBS) $(XML_LIBS)
plugins_text_dg_text_la_LDFLAGS = $(PLUGIN_LDFLAGS)
