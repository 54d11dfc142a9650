# plugins/imap: the IMAP source (libcurl).
plugin_LTLIBRARIES += plugins/imap/dg-imap.la
plugins_imap_dg_imap_la_SOURCES = plugins/imap/imap.c
plugins_imap_dg_imap_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS)
plugins_imap_dg_imap_la_LIBADD = $(CURL_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)
plugins_imap_dg_imap_la_LDFLAGS = $(PLUGIN_LDFLAGS)
