/* fuzz-scan.c -- libFuzzer harness: any bytes ingested through the real
 * engine with only the scan stage (leptonica for raster images, poppler
 * in a child process for PDF) in a scratch store.  Limits must hold,
 * nothing may crash.  The limits are lowered so that one input stays
 * fast.  Needs DANGAN_PLUGIN_PATH (with plugins/scan/.libs) and
 * DANGAN_DATADIR like the tests. */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dangan/dangan.h"
#include "util.h"

static struct dg_engine *engine;
static char input[256];

static const char cfg_text[] = "<?xml version=\"1.0\"?>\n<dangan xmlns=\"urn:dangan:config:1\">\n"
                               "<pipeline name=\"fuzz\"><stage id=\"scan\" plugin=\"scan\">"
                               "<option name=\"max-pixels\">2M</option><option name=\"max-pages\">64</option>"
                               "<option name=\"max-memory\">256M</option><option name=\"timeout\">20</option>"
                               "</stage></pipeline></dangan>\n";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512];
	struct dg_engine_opts o = DG_ENGINE_OPTS_INIT;
	char err[1024], *store, *cfg;
	FILE *f;

	(void)argc;
	(void)argv;
	/* TMPDIR on a tmpfs makes the store's syncs free: many more runs */
	snprintf(dir, sizeof(dir), "%s/dangan-fuzz-scan.XXXXXX", tmp && *tmp && strlen(tmp) < 400 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	store = dg_path_join(dir, "store");
	cfg = dg_path_join(dir, "fuzz.xml");
	snprintf(input, sizeof(input), "%s/input", dir);
	f = fopen(cfg, "w");
	if (!f)
		abort();
	fputs(cfg_text, f);
	fclose(f);
	o.store = store;
	o.config = cfg;
	o.create = 1;
	o.jobs = 1;
	o.verbosity = 0;
	if (dg_engine_open(&engine, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz-scan: %s\n", err);
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *paths[1] = {input};
	struct dg_ingest_stats st;
	char err[1024];
	FILE *f = fopen(input, "wb");

	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (dg_engine_ingest(engine, paths, 1, &st, err, sizeof(err)) == 4) {
		fprintf(stderr, "fuzz-scan: fatal: %s\n", err);
		abort();
	}
	return 0;
}
