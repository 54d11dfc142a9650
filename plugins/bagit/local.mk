# plugins/bagit: BagIt 1.0 (RFC 8493) export -- a bag directory, or a
# zip/tar serialization through libarchive -- and `dangan verify-bag`.
# ICU folds case and Unicode normalization when a listed path is not
# found as written.
plugin_LTLIBRARIES += plugins/bagit/dg-bagit.la
BAGIT_SOURCES = plugins/bagit/bagit.c plugins/bagit/verify.c plugins/bagit/common.c plugins/bagit/bagit.h \
	plugins/common/mdthread.c plugins/common/mdthread.h \
	plugins/common/ordpool.c plugins/common/ordpool.h
plugins_bagit_dg_bagit_la_SOURCES = $(BAGIT_SOURCES)
plugins_bagit_dg_bagit_la_CFLAGS = $(AM_CFLAGS) $(ARCHIVE_CFLAGS) $(CRYPTO_CFLAGS) $(XML_CFLAGS) $(ICU_CFLAGS) $(PTHREAD_CFLAGS)
plugins_bagit_dg_bagit_la_LIBADD = $(ARCHIVE_LIBS) $(CRYPTO_LIBS) $(XML_LIBS) $(ICU_LIBS) $(PTHREAD_LIBS)
plugins_bagit_dg_bagit_la_LDFLAGS = $(PLUGIN_LDFLAGS)
