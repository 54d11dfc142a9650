# plugins/ocfl: OCFL 1.1 export (a storage root, one object per
# document) and validation of OCFL storage roots and objects (jansson,
# OpenSSL EVP).
plugin_LTLIBRARIES += plugins/ocfl/dg-ocfl.la
plugins_ocfl_dg_ocfl_la_SOURCES = plugins/ocfl/ocfl.c plugins/ocfl/verify.c plugins/ocfl/digest.c plugins/ocfl/import.c \
	plugins/ocfl/ocfl.h
plugins_ocfl_dg_ocfl_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
plugins_ocfl_dg_ocfl_la_LIBADD = $(JANSSON_LIBS) $(CRYPTO_LIBS)
plugins_ocfl_dg_ocfl_la_LDFLAGS = $(PLUGIN_LDFLAGS)
