# tests: unit tests (TAP, one binary per core area), ABI test plugins,
# integration tests (shell, the real command on real files), fuzz
# harnesses.  `make check` runs them all through the TAP driver.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_EXTENSIONS = .sh
# every plugin of the build tree, as the tests find them
BUILD_PLUGIN_PATH = $(abs_top_builddir)/plugins/file/.libs:$(abs_top_builddir)/plugins/archive/.libs:$(abs_top_builddir)/plugins/text/.libs:$(abs_top_builddir)/plugins/scan/.libs:$(abs_top_builddir)/plugins/prep/.libs:$(abs_top_builddir)/plugins/ocr/.libs:$(abs_top_builddir)/plugins/email/.libs:$(abs_top_builddir)/plugins/imap/.libs:$(abs_top_builddir)/plugins/carrier/.libs:$(abs_top_builddir)/plugins/bagit/.libs:$(abs_top_builddir)/plugins/eark/.libs:$(abs_top_builddir)/plugins/learned/.libs:$(abs_top_builddir)/plugins/eep/.libs:$(abs_top_builddir)/plugins/ocfl/.libs:$(abs_top_builddir)/plugins/classify/.libs
SH_LOG_DRIVER = $(LOG_DRIVER)
AM_TESTS_ENVIRONMENT = \
	DANGAN='$(abs_top_builddir)/dangan'; export DANGAN; \
	DANGAN_PLUGIN_PATH='$(BUILD_PLUGIN_PATH)'; export DANGAN_PLUGIN_PATH; \
	DANGAN_DATADIR='$(abs_top_srcdir)/config'; export DANGAN_DATADIR; \
	DG_TEST_DATA='$(abs_top_srcdir)/tests/data'; export DG_TEST_DATA; \
	DG_ABI_DIR='$(abs_top_builddir)/tests/abi/.libs'; export DG_ABI_DIR; \
	DG_SRCDIR='$(abs_top_srcdir)'; export DG_SRCDIR; \
	DG_SHARED="$${DG_SHARED:-$(abs_top_srcdir)/tests/data/shared}"; export DG_SHARED; \
	DG_BUILDDIR='$(abs_top_builddir)'; export DG_BUILDDIR; \
	MAKE='$(MAKE)'; export MAKE; \
	unset DANGAN_STORE DANGAN_CONFIG;

# Test programs link the library (the default for programs without
# their own LDADD) and see its internal headers.
AM_CPPFLAGS += -I$(top_srcdir)/tests $(XML_CFLAGS) $(SQLITE_CFLAGS)
LDADD = core/libdangan.la $(XML_LIBS) $(SQLITE_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)

EXTRA_DIST += tests/tap.h tests/lib.sh tests/data
EXTRA_DIST += tests/cer.py tests/pdf-align.py

include tests/unit/local.mk
include tests/abi/local.mk
include tests/integration/local.mk
include tests/fuzz/local.mk
