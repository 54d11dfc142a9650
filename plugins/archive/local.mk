# plugins/archive: the archive source (libarchive).
plugin_LTLIBRARIES += plugins/archive/dg-archive.la
plugins_archive_dg_archive_la_SOURCES = plugins/archive/archive.c
plugins_archive_dg_archive_la_CFLAGS = $(AM_CFLAGS) $(ARCHIVE_CFLAGS)
plugins_archive_dg_archive_la_LIBADD = $(ARCHIVE_LIBS)
plugins_archive_dg_archive_la_LDFLAGS = $(PLUGIN_LDFLAGS)
