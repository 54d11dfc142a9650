/* fuzz-eep.c -- libFuzzer harness: any bytes written as a .eep file and
 * handed to the EEP plugin's verify() (parse with no DTD and no network,
 * schema validation, IDs, Base64 decoding and digests, signatures,
 * the 修改型 chain).  The plugin's sources are linked in and driven
 * through a minimal host table, so the schema is compiled once.  Needs
 * DANGAN_DATADIR (config/, for schemas/eep.xsd) like the tests.
 * Seeds: the committed tests/data/eep packages. */
#include <config.h>

#include <dangan/plugin.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

DG_EXPORT const struct dg_plugin *dg_plugin_descriptor(void);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct dg_plugin *plugin;
static void *state;
static char input[600];
static unsigned long findings;

static void h_log(struct dg_ctx *ctx, enum dg_log_level level, const char *fmt, ...) DG_PRINTF(3, 4);
static void h_error(struct dg_ctx *ctx, const char *fmt, ...) DG_PRINTF(2, 3);
static void h_finding(struct dg_ctx *ctx, enum dg_finding_level level, const char *code, const char *where,
                      const char *fmt, ...) DG_PRINTF(5, 6);

static void
h_log(struct dg_ctx *ctx, enum dg_log_level level, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	(void)ctx;
	(void)level;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

static void
h_error(struct dg_ctx *ctx, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "fuzz-eep: %s\n", buf);
}

static void
h_finding(struct dg_ctx *ctx, enum dg_finding_level level, const char *code, const char *where, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	(void)ctx;
	(void)level;
	if (code == NULL || where == NULL)
		abort(); /* the plugin always names both */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	findings++;
}

static const char *
h_opt_string(const struct dg_opts *opts, const char *name)
{
	(void)opts;
	return strcmp(name, "parts") == 0 ? "original" : NULL;
}

static int64_t
h_opt_int(const struct dg_opts *opts, const char *name)
{
	(void)opts;
	(void)name;
	return (int64_t)64 << 20; /* max-size */
}

static int
h_opt_bool(const struct dg_opts *opts, const char *name)
{
	(void)opts;
	(void)name;
	return 1;
}

static struct dg_host host = {
    .struct_size = sizeof(struct dg_host),
    .abi_major = DG_ABI_MAJOR,
    .abi_minor = DG_ABI_MINOR,
    .log = h_log,
    .error = h_error,
    .opt_string = h_opt_string,
    .opt_int = h_opt_int,
    .opt_bool = h_opt_bool,
    .finding = h_finding,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	plugin = dg_plugin_descriptor();
	if (plugin->init(NULL, &host, NULL, &state) != DG_OK)
		abort(); /* DANGAN_DATADIR must point at config/ */
	snprintf(input, sizeof(input), "%s/fuzz-eep.%ld.eep", tmp && *tmp && strlen(tmp) < 400 ? tmp : "/tmp",
	         (long)getpid());
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(input, "wb");

	if (f == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
	plugin->verify(NULL, &host, state, input);
	unlink(input);
	return 0;
}
