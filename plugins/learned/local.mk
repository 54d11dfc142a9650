# plugins/learned: the learned document-type classifier (naive Bayes over
# hashed character n-grams) and its trainer (ABI 1.4 train()).
plugin_LTLIBRARIES += plugins/learned/dg-learned.la
plugins_learned_dg_learned_la_SOURCES = plugins/learned/learned.c plugins/learned/model.c plugins/learned/model.h
plugins_learned_dg_learned_la_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
plugins_learned_dg_learned_la_LIBADD = $(CRYPTO_LIBS) -lm
plugins_learned_dg_learned_la_LDFLAGS = $(PLUGIN_LDFLAGS)
