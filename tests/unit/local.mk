# tests/unit: one TAP binary per core area (sources tests/unit/NAME.c;
# they link libdangan through the default LDADD of tests/local.mk).
UNIT_TESTS = tests/unit/test-util tests/unit/test-record tests/unit/test-store \
	tests/unit/test-catalog tests/unit/test-loader tests/unit/test-pipeline \
	tests/unit/test-model \
	tests/unit/test-simhash tests/unit/test-dossier tests/unit/test-turns \
	tests/unit/test-classify tests/unit/test-analysis tests/unit/test-pages \
	tests/unit/test-ordpool tests/unit/test-png-decode
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
# the learned classifier's model and its file reader (plugins/learned)
tests_unit_test_model_SOURCES = tests/unit/test-model.c plugins/learned/model.c plugins/learned/model.h
tests_unit_test_model_LDADD = $(LDADD) -lm
# the classify plugin's engine-free parts, compiled in
tests_unit_test_classify_SOURCES = tests/unit/test-classify.c $(CLASSIFY_CORE_SOURCES)
tests_unit_test_classify_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(PCRE2_CFLAGS)
tests_unit_test_classify_LDADD = $(XML_LIBS) $(PCRE2_LIBS) -lm
# the prep plugin's page analysis (header-only, plugins/prep/analysis.h)
tests_unit_test_analysis_SOURCES = tests/unit/test-analysis.c plugins/prep/analysis.h
tests_unit_test_analysis_CFLAGS = $(AM_CFLAGS) $(LEPT_CFLAGS)
tests_unit_test_analysis_LDADD = $(LEPT_LIBS) -lm
# the page set shared by scan, prep and ocr (header-only, plugins/scan/pages.h)
tests_unit_test_pages_SOURCES = tests/unit/test-pages.c plugins/scan/pages.h
tests_unit_test_pages_CFLAGS = $(AM_CFLAGS) $(LEPT_CFLAGS)
tests_unit_test_pages_LDADD = $(LEPT_LIBS) -lm
# the plugins' ordered thread pool (plugins/common/ordpool.c): bagit,
# eep and prep
tests_unit_test_ordpool_SOURCES = tests/unit/test-ordpool.c plugins/common/ordpool.c plugins/common/ordpool.h
tests_unit_test_ordpool_LDADD = $(PTHREAD_LIBS)
# the scan plugin's PNG decoder (plugins/scan/png-decode.c), compiled in
tests_unit_test_png_decode_SOURCES = tests/unit/test-png-decode.c plugins/scan/png-decode.c \
	plugins/scan/png-decode.h
tests_unit_test_png_decode_CFLAGS = $(AM_CFLAGS) $(LEPT_CFLAGS) $(PNG_CFLAGS)
tests_unit_test_png_decode_LDADD = $(LEPT_LIBS) $(PNG_LIBS) -lm
