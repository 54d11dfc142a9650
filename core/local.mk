# core: libdangan (engine, store, catalog, config, plugin loader) and
# the dangan command.
lib_LTLIBRARIES += core/libdangan.la
core_libdangan_la_SOURCES = \
	core/lib/util.c core/lib/util.h \
	core/lib/xmlsafe.c core/lib/xmlsafe.h \
	core/lib/record.c core/lib/record.h \
	core/lib/store.c core/lib/store.h \
	core/lib/catalog.c core/lib/catalog.h \
	core/lib/simhash.c core/lib/simhash.h \
	core/lib/dossier.c core/lib/dossier.h \
	core/lib/loader.c core/lib/loader.h \
	core/lib/pipeline.c core/lib/pipeline.h \
	core/lib/quarantine.c core/lib/quarantine.h \
	core/lib/verify.c core/lib/verify.h \
	core/lib/engine.c core/lib/engine.h \
	core/lib/export.c core/lib/export.h \
	core/lib/turns.c core/lib/turns.h \
	core/lib/fourcheck.c core/lib/fourcheck.h \
	core/lib/edit.c core/lib/edit.h \
	core/lib/train.c core/lib/train.h
core_libdangan_la_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(SQLITE_CFLAGS) $(CRYPTO_CFLAGS)
core_libdangan_la_LIBADD = $(XML_LIBS) $(SQLITE_LIBS) $(CRYPTO_LIBS) $(MAGIC_LIBS) $(PTHREAD_LIBS) $(LIBS)
core_libdangan_la_LDFLAGS = -version-info $(LIBDANGAN_LT_VERSION) -no-undefined

dangan_includedir = $(includedir)/dangan
dangan_include_HEADERS = core/dangan/dangan.h core/dangan/plugin.h

bin_PROGRAMS += dangan
dangan_SOURCES = core/cli/main.c
dangan_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS)
dangan_LDADD = core/libdangan.la $(XML_LIBS) $(PTHREAD_LIBS)
