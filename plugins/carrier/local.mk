# plugins/carrier: the transfer carrier of 电子档案移交与接收办法 (说明文件.TXT,
# 文件目录.XML, 电子档案/年度/类别/档号/), with 档号 after DA/T 22-2015.
plugin_LTLIBRARIES += plugins/carrier/dg-carrier.la
plugins_carrier_dg_carrier_la_SOURCES = plugins/carrier/carrier.c
plugins_carrier_dg_carrier_la_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(CRYPTO_CFLAGS)
plugins_carrier_dg_carrier_la_LIBADD = $(XML_LIBS) $(CRYPTO_LIBS)
plugins_carrier_dg_carrier_la_LDFLAGS = $(PLUGIN_LDFLAGS)
