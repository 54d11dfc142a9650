# plugins/ocr: text recognition (tesseract): text, hOCR, searchable PDF (qpdf: the
# born-digital pages of a partly scanned PDF copied into it).
plugin_LTLIBRARIES += plugins/ocr/dg-ocr.la
plugins_ocr_dg_ocr_la_SOURCES = plugins/ocr/ocr.c plugins/prep/analysis.h plugins/scan/pages.h \
	plugins/common/workers.h
plugins_ocr_dg_ocr_la_CFLAGS = $(AM_CFLAGS) $(LEPT_CFLAGS) $(TESSERACT_CFLAGS) $(QPDF_CFLAGS)
plugins_ocr_dg_ocr_la_LIBADD = $(TESSERACT_LIBS) $(QPDF_LIBS) $(LEPT_LIBS) $(PTHREAD_LIBS) $(LIBS) -lm
plugins_ocr_dg_ocr_la_LDFLAGS = $(PLUGIN_LDFLAGS)
