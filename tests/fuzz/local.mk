# tests/fuzz: libFuzzer harnesses for every parser of untrusted input
# (configure --enable-fuzzing with CC=clang; see .ci/run for the smoke
# run).  Seeds: the committed fixtures under tests/data.
EXTRA_DIST += tests/fuzz/fuzz-config.c tests/fuzz/fuzz-manifest.c tests/fuzz/fuzz-archive.c
EXTRA_DIST += tests/fuzz/fuzz-scan.c tests/fuzz/fuzz-email.c tests/fuzz/fuzz-imap.c tests/fuzz/engine-harness.h
EXTRA_DIST += tests/fuzz/fuzz-doctype.c
if ENABLE_FUZZING
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined
noinst_PROGRAMS += tests/fuzz/fuzz-config tests/fuzz/fuzz-manifest tests/fuzz/fuzz-archive
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_manifest_SOURCES = tests/fuzz/fuzz-manifest.c
tests_fuzz_fuzz_manifest_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_archive_SOURCES = tests/fuzz/fuzz-archive.c
tests_fuzz_fuzz_archive_LDFLAGS = $(FUZZ_FLAGS)
noinst_PROGRAMS += tests/fuzz/fuzz-scan
tests_fuzz_fuzz_scan_SOURCES = tests/fuzz/fuzz-scan.c
tests_fuzz_fuzz_scan_LDFLAGS = $(FUZZ_FLAGS)
noinst_PROGRAMS += tests/fuzz/fuzz-email
tests_fuzz_fuzz_email_SOURCES = tests/fuzz/fuzz-email.c
tests_fuzz_fuzz_email_LDFLAGS = $(FUZZ_FLAGS)
noinst_PROGRAMS += tests/fuzz/fuzz-imap
tests_fuzz_fuzz_imap_SOURCES = tests/fuzz/fuzz-imap.c
tests_fuzz_fuzz_imap_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)
tests_fuzz_fuzz_imap_LDADD = $(CURL_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)
tests_fuzz_fuzz_imap_LDFLAGS = $(FUZZ_FLAGS)
# the document-type definition loader (plugins/classify, compiled in)
noinst_PROGRAMS += tests/fuzz/fuzz-doctype
tests_fuzz_fuzz_doctype_SOURCES = tests/fuzz/fuzz-doctype.c $(CLASSIFY_CORE_SOURCES)
tests_fuzz_fuzz_doctype_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(PCRE2_CFLAGS)
tests_fuzz_fuzz_doctype_LDADD = $(XML_LIBS) $(PCRE2_LIBS) -lm
tests_fuzz_fuzz_doctype_LDFLAGS = $(FUZZ_FLAGS)
endif
