# plugins/file: the file and directory source.
plugin_LTLIBRARIES += plugins/file/dg-file.la
plugins_file_dg_file_la_SOURCES = plugins/file/file.c
plugins_file_dg_file_la_LDFLAGS = $(PLUGIN_LDFLAGS)
