# plugins/scan: paper-scan ingestion (leptonica; poppler-glib + cairo for
# PDF, in a child process, and qpdf + zlib + libjpeg reading its pictures'
# data once more for damage).  pages.h is the page contract shared with
# the prep and ocr stages.
plugin_LTLIBRARIES += plugins/scan/dg-scan.la
plugins_scan_dg_scan_la_SOURCES = plugins/scan/scan.c plugins/scan/pages.h \
	plugins/scan/png-decode.c plugins/scan/png-decode.h plugins/scan/jpeg-read.c plugins/scan/jpeg-read.h \
	plugins/scan/pdf-images.c plugins/scan/pdf-images.h plugins/common/workers.h
plugins_scan_dg_scan_la_CFLAGS = $(AM_CFLAGS) $(LEPT_CFLAGS) $(POPPLER_CFLAGS) $(EXIF_CFLAGS) $(JPEG_CFLAGS) $(PNG_CFLAGS) $(TIFF_CFLAGS) $(QPDF_CFLAGS) $(ZLIB_CFLAGS)
plugins_scan_dg_scan_la_LIBADD = $(LEPT_LIBS) $(POPPLER_LIBS) $(EXIF_LIBS) $(JPEG_LIBS) $(PNG_LIBS) $(TIFF_LIBS) $(QPDF_LIBS) $(ZLIB_LIBS) $(PTHREAD_LIBS) -lm
plugins_scan_dg_scan_la_LDFLAGS = $(PLUGIN_LDFLAGS)
