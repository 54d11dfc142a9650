# plugins/prep: page preparation for OCR (leptonica, tesseract OSD).
plugin_LTLIBRARIES += plugins/prep/dg-prep.la
plugins_prep_dg_prep_la_SOURCES = plugins/prep/prep.c plugins/prep/analysis.h plugins/scan/pages.h \
	plugins/common/ordpool.c plugins/common/ordpool.h plugins/common/workers.h
plugins_prep_dg_prep_la_CFLAGS = $(AM_CFLAGS) $(LEPT_CFLAGS) $(TESSERACT_CFLAGS)
plugins_prep_dg_prep_la_LIBADD = $(TESSERACT_LIBS) $(LEPT_LIBS) $(PTHREAD_LIBS) -lm
plugins_prep_dg_prep_la_LDFLAGS = $(PLUGIN_LDFLAGS)
