# plugins/eark: E-ARK CSIP/SIP 2.1 information packages (export, verify).
plugin_LTLIBRARIES += plugins/eark/dg-eark.la
plugins_eark_dg_eark_la_SOURCES = plugins/eark/eark.c plugins/eark/verify.c plugins/eark/util.c plugins/eark/eark.h
plugins_eark_dg_eark_la_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(CRYPTO_CFLAGS)
plugins_eark_dg_eark_la_LIBADD = $(XML_LIBS) $(CRYPTO_LIBS)
plugins_eark_dg_eark_la_LDFLAGS = $(PLUGIN_LDFLAGS)
# the schemas it validates with and copies into every package
earkschemadir = $(pkgdatadir)/schemas/eark
dist_earkschema_DATA = config/schemas/eark/mets.xsd config/schemas/eark/xlink.xsd \
	config/schemas/eark/DILCISExtensionMETS.xsd config/schemas/eark/DILCISExtensionSIPMETS.xsd \
	config/schemas/eark/premis-v3-0.xsd
EXTRA_DIST += config/schemas/eark/README.md
