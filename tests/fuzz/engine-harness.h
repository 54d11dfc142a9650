/*
 * engine-harness.h -- shared by the fuzz harnesses that drive the real
 * engine: a scratch store (under $TMPDIR: on a tmpfs its syncs are
 * free), a config with the stages under test, one ingest per input.
 * Include once, after defining nothing; call fuzz_engine_init() from
 * LLVMFuzzerInitialize and fuzz_engine_run() from the test callback.
 */
#ifndef DG_FUZZ_ENGINE_HARNESS_H
#define DG_FUZZ_ENGINE_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dangan/dangan.h"
#include "util.h"

static struct dg_engine *fuzz_engine;
static char fuzz_input[600];
static const char *fuzz_name;

static void
fuzz_engine_init(const char *name, const char *cfg_text)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512];
	struct dg_engine_opts o = DG_ENGINE_OPTS_INIT;
	char err[1024], *store, *cfg;
	FILE *f;

	fuzz_name = name;
	snprintf(dir, sizeof(dir), "%s/dangan-%s.XXXXXX", tmp && *tmp && strlen(tmp) < 400 ? tmp : "/tmp", name);
	if (!mkdtemp(dir))
		abort();
	store = dg_path_join(dir, "store");
	cfg = dg_path_join(dir, "fuzz.xml");
	snprintf(fuzz_input, sizeof(fuzz_input), "%s/input", dir);
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
	if (dg_engine_open(&fuzz_engine, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", name, err);
		abort();
	}
}

/* Ingest a locator; a fatal engine error (not a quarantined document)
 * is a finding. */
static void
fuzz_engine_ingest(const char *locator)
{
	const char *paths[1] = {locator};
	struct dg_ingest_stats st;
	char err[1024];

	if (dg_engine_ingest(fuzz_engine, paths, 1, &st, err, sizeof(err)) == 4) {
		fprintf(stderr, "%s: fatal: %s\n", fuzz_name, err);
		abort();
	}
}

/* Write bytes (after an optional prefix) to path; 0 on success. */
static int
fuzz_write(const char *path, const char *prefix, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return -1;
	if (prefix)
		fputs(prefix, f);
	fwrite(data, 1, size, f);
	return fclose(f);
}

/* Ingest the input as a file. */
static void
fuzz_engine_run(const uint8_t *data, size_t size)
{
	if (fuzz_write(fuzz_input, NULL, data, size) == 0)
		fuzz_engine_ingest(fuzz_input);
}

#endif
