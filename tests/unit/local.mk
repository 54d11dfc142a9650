# tests/unit: one TAP binary per core area (sources tests/unit/NAME.c;
# they link libdangan through the default LDADD of tests/local.mk).
UNIT_TESTS = tests/unit/test-util tests/unit/test-record tests/unit/test-store \
	tests/unit/test-catalog tests/unit/test-loader tests/unit/test-pipeline \
	tests/unit/test-model \
	tests/unit/test-simhash tests/unit/test-dossier
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
# the learned classifier's model and its file reader (plugins/learned)
tests_unit_test_model_SOURCES = tests/unit/test-model.c plugins/learned/model.c plugins/learned/model.h
tests_unit_test_model_LDADD = $(LDADD) -lm
