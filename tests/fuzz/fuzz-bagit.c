/* fuzz-bagit.c -- libFuzzer harness for the BagIt verifier
 * (plugins/bagit/verify.c, linked in, called through the plugin's own
 * descriptor with a minimal host).
 *
 * The first byte chooses the form:
 *   odd:  the rest is a serialized bag (tar, zip, gzip'ed tar, ...);
 *   even: the rest is split at "@@\n" into bagit.txt, manifest-sha256.txt,
 *         bag-info.txt, fetch.txt and tagmanifest-md5.txt of a scratch bag
 *         directory whose payload (data/hello.txt, data/sub/x.bin) stays.
 * The verifier must never crash, leak, write outside its private
 * temporary directory, or report a finding without a code. */
#include <config.h>

#include <dangan/plugin.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct dg_plugin *dg_plugin_descriptor(void);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[512], bag[600], serial[600];
static struct dg_host host;
static const struct dg_plugin *plugin;
static void *state;

static void
h_log(struct dg_ctx *ctx, enum dg_log_level level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
}

static void
h_error(struct dg_ctx *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

static void h_finding(struct dg_ctx *ctx, enum dg_finding_level level, const char *code, const char *where,
                      const char *fmt, ...) DG_PRINTF(5, 6);

static void
h_finding(struct dg_ctx *ctx, enum dg_finding_level level, const char *code, const char *where, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	(void)ctx;
	if (code == NULL || (int)level < DG_FINDING_PASS || (int)level > DG_FINDING_ERROR)
		abort();
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (where != NULL && strchr(where, '\n') != NULL)
		abort(); /* a path must never break a report line */
}

static void
put(const char *name, const uint8_t *p, size_t n)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", bag, name);
	f = fopen(path, "wb");
	if (f == NULL)
		abort();
	if (n > 0)
		fwrite(p, 1, n, f);
	fclose(f);
}

/* Remove the scratch bag at exit (only what this harness made). */
static void
cleanup(void)
{
	static const char *const files[] = {"bag/bagit.txt",
	                                    "bag/manifest-sha256.txt",
	                                    "bag/bag-info.txt",
	                                    "bag/fetch.txt",
	                                    "bag/tagmanifest-md5.txt",
	                                    "bag/data/hello.txt",
	                                    "bag/data/sub/x.bin",
	                                    "bag.tar",
	                                    NULL};
	static const char *const dirs[] = {"bag/data/sub", "bag/data", "bag", "", NULL};
	char path[700];
	size_t i;

	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	for (i = 0; dirs[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, dirs[i]);
		rmdir(path);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/dangan-fuzz-bagit.XXXXXX", tmp && *tmp && strlen(tmp) < 400 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(bag, sizeof(bag), "%s/bag", dir);
	snprintf(serial, sizeof(serial), "%s/bag.tar", dir);
	if (mkdir(bag, 0755) != 0 || snprintf(serial, sizeof(serial), "%s/bag/data", dir) < 0 ||
	    mkdir(serial, 0755) != 0)
		abort();
	snprintf(serial, sizeof(serial), "%s/bag/data/sub", dir);
	if (mkdir(serial, 0755) != 0)
		abort();
	put("data/hello.txt", (const uint8_t *)"hello\n", 6);
	put("data/sub/x.bin", (const uint8_t *)"\0\1\2", 3);
	snprintf(serial, sizeof(serial), "%s/bag.tar", dir);
	host.struct_size = sizeof(host);
	host.abi_major = DG_ABI_MAJOR;
	host.abi_minor = DG_ABI_MINOR;
	host.log = h_log;
	host.error = h_error;
	host.finding = h_finding;
	plugin = dg_plugin_descriptor();
	if (plugin->init(NULL, &host, NULL, &state) != DG_OK)
		abort();
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"bagit.txt", "manifest-sha256.txt", "bag-info.txt", "fetch.txt",
	                                    "tagmanifest-md5.txt"};
	const uint8_t *p, *end, *sep;
	size_t i;
	char path[700];
	FILE *f;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		f = fopen(serial, "wb");
		if (f == NULL)
			abort();
		fwrite(data + 1, 1, size - 1, f);
		fclose(f);
		plugin->verify(NULL, &host, state, serial);
		return 0;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", bag, names[i]);
		unlink(path);
	}
	p = data + 1;
	end = data + size;
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && p <= end; i++) {
		sep = (const uint8_t *)memmem(p, (size_t)(end - p), "@@\n", 3);
		put(names[i], p, (size_t)((sep != NULL ? sep : end) - p));
		if (sep == NULL)
			break;
		p = sep + 3;
	}
	plugin->verify(NULL, &host, state, bag);
	return 0;
}
