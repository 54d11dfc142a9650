# tests/abi: plugins with good and bad descriptors, for the loader tests.
# Built as modules (not installed) from one source with different defines.
ABI_LDFLAGS = -module -avoid-version -shared -rpath /nowhere -export-symbols-regex '^dg_plugin_descriptor$$'
check_LTLIBRARIES += tests/abi/dg-abi-good.la tests/abi/dg-abi-badmagic.la tests/abi/dg-abi-badmajor.la \
	tests/abi/dg-abi-newminor.la tests/abi/dg-abi-small.la tests/abi/dg-abi-misnamed.la tests/abi/dg-abi-fail.la
tests_abi_dg_abi_good_la_SOURCES = tests/abi/abi-plugin.c
tests_abi_dg_abi_good_la_LDFLAGS = $(ABI_LDFLAGS)
tests_abi_dg_abi_badmagic_la_SOURCES = tests/abi/abi-plugin.c
tests_abi_dg_abi_badmagic_la_CPPFLAGS = $(AM_CPPFLAGS) -DABI_MAGIC=0x12345678u -DABI_NAME='"abi-badmagic"'
tests_abi_dg_abi_badmagic_la_LDFLAGS = $(ABI_LDFLAGS)
tests_abi_dg_abi_badmajor_la_SOURCES = tests/abi/abi-plugin.c
tests_abi_dg_abi_badmajor_la_CPPFLAGS = $(AM_CPPFLAGS) -DABI_MAJOR=2 -DABI_NAME='"abi-badmajor"'
tests_abi_dg_abi_badmajor_la_LDFLAGS = $(ABI_LDFLAGS)
tests_abi_dg_abi_newminor_la_SOURCES = tests/abi/abi-plugin.c
tests_abi_dg_abi_newminor_la_CPPFLAGS = $(AM_CPPFLAGS) -DABI_MINOR=99 -DABI_NAME='"abi-newminor"'
tests_abi_dg_abi_newminor_la_LDFLAGS = $(ABI_LDFLAGS)
tests_abi_dg_abi_small_la_SOURCES = tests/abi/abi-plugin.c
tests_abi_dg_abi_small_la_CPPFLAGS = $(AM_CPPFLAGS) -DABI_SIZE=16 -DABI_NAME='"abi-small"'
tests_abi_dg_abi_small_la_LDFLAGS = $(ABI_LDFLAGS)
tests_abi_dg_abi_misnamed_la_SOURCES = tests/abi/abi-plugin.c
tests_abi_dg_abi_misnamed_la_CPPFLAGS = $(AM_CPPFLAGS) -DABI_NAME='"something-else"'
tests_abi_dg_abi_misnamed_la_LDFLAGS = $(ABI_LDFLAGS)
tests_abi_dg_abi_fail_la_SOURCES = tests/abi/abi-plugin.c
tests_abi_dg_abi_fail_la_CPPFLAGS = $(AM_CPPFLAGS) -DABI_FAIL -DABI_NAME='"abi-fail"'
tests_abi_dg_abi_fail_la_LDFLAGS = $(ABI_LDFLAGS)
# abi-fields: copies KEY: VALUE lines of the text into metadata (the
# dossier tests file documents with it as classification would)
check_LTLIBRARIES += tests/abi/dg-abi-fields.la
tests_abi_dg_abi_fields_la_SOURCES = tests/abi/fields-plugin.c
tests_abi_dg_abi_fields_la_LDFLAGS = $(ABI_LDFLAGS)
# setmeta: a stage that sets one metadata value from its options
# (tests/integration/classify.sh: stands for a learned classifier)
check_LTLIBRARIES += tests/abi/dg-setmeta.la
tests_abi_dg_setmeta_la_SOURCES = tests/abi/setmeta-plugin.c
tests_abi_dg_setmeta_la_LDFLAGS = $(ABI_LDFLAGS)
