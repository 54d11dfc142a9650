# plugins/eep: DA/T 48-2009 electronic-record encapsulation packages
# (export, verify-eep, import); the schema is config/schemas/eep.xsd.
plugin_LTLIBRARIES += plugins/eep/dg-eep.la
plugins_eep_dg_eep_la_SOURCES = plugins/eep/eep.c plugins/eep/eep-export.c plugins/eep/eep-verify.c \
	plugins/eep/eep-sign.c plugins/eep/eep.h plugins/common/mdthread.c plugins/common/mdthread.h \
	plugins/common/ordpool.c plugins/common/ordpool.h
plugins_eep_dg_eep_la_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(CRYPTO_CFLAGS) $(PTHREAD_CFLAGS)
plugins_eep_dg_eep_la_LIBADD = $(XML_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)
plugins_eep_dg_eep_la_LDFLAGS = $(PLUGIN_LDFLAGS)
