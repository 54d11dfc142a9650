# samples: the inputs the README's first command ingests, and the
# out-of-tree sample plugins (built by tests/integration/plugin-hello.sh
# and plugin-doctype.sh against an installed copy, with pkg-config).
EXTRA_DIST += samples/README.md samples/plugin-hello/hello.c samples/plugin-hello/Makefile \
	samples/box-2026-001 samples/mail-2026-002
EXTRA_DIST += samples/plugin-doctype/README.md samples/plugin-doctype/Makefile samples/plugin-doctype/fee.c \
	samples/plugin-doctype/fee.xml samples/plugin-doctype/examples
