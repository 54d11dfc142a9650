# samples: the inputs the README's first command ingests, and the
# out-of-tree sample plugin (built by tests/integration/plugin-hello.sh
# against an installed copy, with pkg-config).
EXTRA_DIST += samples/README.md samples/plugin-hello/hello.c samples/plugin-hello/Makefile \
	samples/box-2026-001 samples/mail-2026-002
