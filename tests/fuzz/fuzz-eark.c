/* fuzz-eark.c -- libFuzzer harness: any bytes as the METS.xml of an
 * E-ARK package, checked by the eark plugin's verify() (the plugin's
 * sources are built into the harness; a minimal host takes the
 * findings).  The package holds one data file; references must never
 * leave it, nothing may crash, leak or hang.  Needs DANGAN_DATADIR (the
 * METS schema) like the tests. */
#include <config.h>

#include <dangan/plugin.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const struct dg_plugin *dg_plugin_descriptor(void);

static char fz_pkg[512], fz_mets[600], fz_rep_mets[700];
static const struct dg_plugin *fz_desc;
static void *fz_state;

static void
fz_log(struct dg_ctx *ctx, enum dg_log_level level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
}

static void
fz_error(struct dg_ctx *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

static void
fz_finding(struct dg_ctx *ctx, enum dg_finding_level level, const char *code, const char *where, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	(void)ctx;
	(void)level;
	(void)code;
	(void)where;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap); /* the message must format */
	va_end(ap);
}

static struct dg_host fz_host;

static void
fz_write(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char dir[400], path[700];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/dangan-fuzz-eark.XXXXXX", tmp && *tmp && strlen(tmp) < 300 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(fz_pkg, sizeof(fz_pkg), "%s/pkg", dir);
	snprintf(fz_mets, sizeof(fz_mets), "%s/METS.xml", fz_pkg);
	snprintf(fz_rep_mets, sizeof(fz_rep_mets), "%s/representations/rep1/METS.xml", fz_pkg);
	mkdir(fz_pkg, 0755);
	snprintf(path, sizeof(path), "%s/representations", fz_pkg);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/representations/rep1", fz_pkg);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/representations/rep1/data", fz_pkg);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/representations/rep1/data/a.txt", fz_pkg);
	fz_write(path, "hello\n", 6);
	/* a file outside the package, for references that try to leave it */
	snprintf(path, sizeof(path), "%s/outside.txt", dir);
	fz_write(path, "outside\n", 8);

	fz_host.struct_size = sizeof(fz_host);
	fz_host.abi_major = DG_ABI_MAJOR;
	fz_host.abi_minor = DG_ABI_MINOR;
	fz_host.log = fz_log;
	fz_host.error = fz_error;
	fz_host.finding = fz_finding;
	fz_desc = dg_plugin_descriptor();
	if (!fz_desc || !fz_desc->verify || fz_desc->init(NULL, &fz_host, NULL, &fz_state) != DG_OK)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int rc;

	/* odd sizes: the same bytes as the representation METS too */
	fz_write(fz_mets, data, size);
	if (size & 1)
		fz_write(fz_rep_mets, data, size);
	else
		remove(fz_rep_mets);
	rc = fz_desc->verify(NULL, &fz_host, fz_state, fz_pkg);
	if (rc != DG_OK && rc != DG_WARN && rc != DG_FAILED)
		abort(); /* DG_FATAL: the schema did not load (DANGAN_DATADIR?) */
	return 0;
}
