# tests/fuzz: libFuzzer harnesses for every parser of untrusted input
# (configure --enable-fuzzing with CC=clang; see .ci/run for the smoke
# run).  Seeds: the committed fixtures under tests/data.
EXTRA_DIST += tests/fuzz/fuzz-config.c tests/fuzz/fuzz-manifest.c tests/fuzz/fuzz-archive.c
EXTRA_DIST += tests/fuzz/fuzz-scan.c tests/fuzz/fuzz-email.c tests/fuzz/fuzz-imap.c tests/fuzz/engine-harness.h
EXTRA_DIST += tests/fuzz/fuzz-bagit.c
EXTRA_DIST += tests/fuzz/fuzz-eark.c
EXTRA_DIST += tests/fuzz/fuzz-model.c
EXTRA_DIST += tests/fuzz/fuzz-eep.c
EXTRA_DIST += tests/fuzz/fuzz-ocfl.c
EXTRA_DIST += tests/fuzz/fuzz-doctype.c
EXTRA_DIST += tests/fuzz/fuzz-pdf-images.c
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
# the BagIt verifier, linked in (no engine needed)
noinst_PROGRAMS += tests/fuzz/fuzz-bagit
tests_fuzz_fuzz_bagit_SOURCES = tests/fuzz/fuzz-bagit.c $(BAGIT_SOURCES)
tests_fuzz_fuzz_bagit_CFLAGS = $(AM_CFLAGS) $(ARCHIVE_CFLAGS) $(CRYPTO_CFLAGS) $(XML_CFLAGS) $(ICU_CFLAGS)
tests_fuzz_fuzz_bagit_LDADD = $(ARCHIVE_LIBS) $(CRYPTO_LIBS) $(XML_LIBS) $(ICU_LIBS) $(PTHREAD_LIBS)
tests_fuzz_fuzz_bagit_LDFLAGS = $(FUZZ_FLAGS)
# the eark plugin's verify(), its sources built in
noinst_PROGRAMS += tests/fuzz/fuzz-eark
tests_fuzz_fuzz_eark_SOURCES = tests/fuzz/fuzz-eark.c plugins/eark/eark.c plugins/eark/verify.c plugins/eark/util.c
tests_fuzz_fuzz_eark_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(CRYPTO_CFLAGS)
tests_fuzz_fuzz_eark_LDADD = $(XML_LIBS) $(CRYPTO_LIBS)
tests_fuzz_fuzz_eark_LDFLAGS = $(FUZZ_FLAGS)
noinst_PROGRAMS += tests/fuzz/fuzz-model
tests_fuzz_fuzz_model_SOURCES = tests/fuzz/fuzz-model.c plugins/learned/model.c plugins/learned/model.h
tests_fuzz_fuzz_model_LDADD = $(LDADD) -lm
tests_fuzz_fuzz_model_LDFLAGS = $(FUZZ_FLAGS)
# the EEP plugin's verify(), its sources linked in (a stub host)
noinst_PROGRAMS += tests/fuzz/fuzz-eep
tests_fuzz_fuzz_eep_SOURCES = tests/fuzz/fuzz-eep.c plugins/eep/eep.c plugins/eep/eep-export.c \
	plugins/eep/eep-verify.c plugins/eep/eep-sign.c plugins/common/mdthread.c plugins/common/ordpool.c
tests_fuzz_fuzz_eep_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(CRYPTO_CFLAGS)
tests_fuzz_fuzz_eep_LDADD = $(XML_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)
tests_fuzz_fuzz_eep_LDFLAGS = $(FUZZ_FLAGS)
noinst_PROGRAMS += tests/fuzz/fuzz-ocfl
tests_fuzz_fuzz_ocfl_SOURCES = tests/fuzz/fuzz-ocfl.c
tests_fuzz_fuzz_ocfl_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
tests_fuzz_fuzz_ocfl_LDADD = $(JANSSON_LIBS) $(CRYPTO_LIBS)
tests_fuzz_fuzz_ocfl_LDFLAGS = $(FUZZ_FLAGS)
# the document-type definition loader (plugins/classify, compiled in)
noinst_PROGRAMS += tests/fuzz/fuzz-doctype
tests_fuzz_fuzz_doctype_SOURCES = tests/fuzz/fuzz-doctype.c $(CLASSIFY_CORE_SOURCES)
tests_fuzz_fuzz_doctype_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(PCRE2_CFLAGS)
tests_fuzz_fuzz_doctype_LDADD = $(XML_LIBS) $(PCRE2_LIBS) -lm
tests_fuzz_fuzz_doctype_LDFLAGS = $(FUZZ_FLAGS)
# the scan plugin's second reading of a PDF's pictures (in its renderer
# child there, in process here), compiled in
noinst_PROGRAMS += tests/fuzz/fuzz-pdf-images
tests_fuzz_fuzz_pdf_images_SOURCES = tests/fuzz/fuzz-pdf-images.c plugins/scan/pdf-images.c plugins/scan/jpeg-read.c
tests_fuzz_fuzz_pdf_images_CFLAGS = $(AM_CFLAGS) $(QPDF_CFLAGS) $(JPEG_CFLAGS) $(ZLIB_CFLAGS)
tests_fuzz_fuzz_pdf_images_LDADD = $(QPDF_LIBS) $(JPEG_LIBS) $(ZLIB_LIBS)
tests_fuzz_fuzz_pdf_images_LDFLAGS = $(FUZZ_FLAGS)
endif
