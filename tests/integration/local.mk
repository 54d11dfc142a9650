# tests/integration: the real `dangan` command on real files (TAP shell
# scripts sourcing tests/lib.sh; see the comment at the top of each).
INTEGRATION_TESTS = \
	tests/integration/ingest.sh \
	tests/integration/crash.sh \
	tests/integration/catalog-loss.sh \
	tests/integration/hostile.sh \
	tests/integration/plugin-hello.sh \
	tests/integration/plugin-doctype.sh \
	tests/integration/scan.sh \
	tests/integration/ocr.sh \
	tests/integration/progress.sh \
	tests/integration/usage.sh \
	tests/integration/email.sh \
	tests/integration/dossier.sh \
	tests/integration/imap.sh \
	tests/integration/carrier.sh \
	tests/integration/bagit.sh \
	tests/integration/eark.sh \
	tests/integration/learned.sh \
	tests/integration/eep.sh \
	tests/integration/ocfl.sh \
	tests/integration/classify.sh \
	tests/integration/doctypes.sh
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS)
