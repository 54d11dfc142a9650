# plugins/classify: the rules classifier and field extractor over a
# catalogue of document-type definitions (libxml2 + RELAX NG, PCRE2).
# doctype.c (the definitions), textnorm.c (normalisation, value
# normalisers) and rules.c (scores, calibration, extraction) are free of
# engine calls: tests/fuzz/fuzz-doctype.c compiles them in too.
CLASSIFY_CORE_SOURCES = plugins/classify/doctype.c plugins/classify/doctype.h \
	plugins/classify/textnorm.c plugins/classify/textnorm.h \
	plugins/classify/rules.c plugins/classify/rules.h
plugin_LTLIBRARIES += plugins/classify/dg-classify.la
plugins_classify_dg_classify_la_SOURCES = plugins/classify/classify.c $(CLASSIFY_CORE_SOURCES)
plugins_classify_dg_classify_la_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(PCRE2_CFLAGS)
plugins_classify_dg_classify_la_LIBADD = $(XML_LIBS) $(PCRE2_LIBS) -lm
plugins_classify_dg_classify_la_LDFLAGS = $(PLUGIN_LDFLAGS)
