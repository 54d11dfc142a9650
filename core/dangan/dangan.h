/*
 * dangan/dangan.h -- the dangan document engine as a library.
 *
 * The engine runs documents from sources (files, directories, archives,
 * ...) through a configured pipeline of plugin stages and commits each
 * to a content-addressed store with a searchable catalog.  The `dangan`
 * command is a thin layer over these calls.
 *
 *   struct dg_engine *e;
 *   struct dg_engine_opts o = DG_ENGINE_OPTS_INIT;
 *   char err[1024];
 *   o.store = "archive-store";
 *   if (dg_engine_open(&e, &o, err, sizeof(err)) != 0) { puts(err); ... }
 *   dg_engine_ingest(e, paths, npaths, &stats);
 *   dg_engine_close(e);
 *
 * Thread-safety: one engine is used from one thread; it runs its own
 * worker threads.  Only one process writes to a store at a time (the
 * store is locked while an engine is open for writing).
 */
#ifndef DANGAN_DANGAN_H
#define DANGAN_DANGAN_H

#include <stddef.h>
#include <stdint.h>

#include <dangan/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library. */
const char *dg_version(void);

/* What happened to one document (reported as each batch commits). */
struct dg_doc_report {
	const char *id;      /* "sha256:<hex>" of the original, or NULL */
	const char *outcome; /* "new", "duplicate", "version", "quarantined" */
	const char *source;  /* source.path, archive path, ... */
	const char *media_type;
	const char *reason; /* for quarantined */
	int64_t size;
	int depth; /* 0 = top level, 1 = inside an archive, ... */
};

struct dg_ingest_stats {
	int64_t docs; /* documents committed (new + duplicate + version) */
	int64_t new_docs;
	int64_t duplicates;
	int64_t quarantined;
	int64_t warnings;
	int64_t bytes; /* bytes of originals read */
	double seconds;
};

struct dg_engine_opts {
	const char *store;       /* store directory (required) */
	const char *config;      /* config file; NULL: store's config.xml, else the installed default */
	const char *pipeline;    /* pipeline name; NULL: the config's default */
	const char *plugin_path; /* colon-separated; NULL: $DANGAN_PLUGIN_PATH or installed */
	int jobs;                /* worker threads; 0: number of CPUs */
	int create;              /* create the store if it does not exist */
	int progress;            /* print a progress line on stderr */
	int verbosity;           /* 0 errors, 1 warnings (default), 2 info, 3 debug */
	void (*on_doc)(void *ctx, const struct dg_doc_report *r);
	void *ctx;
	/* "PLUGIN.OPTION=VALUE" overrides of source options (after the
	 * config's <source> elements) */
	const char *const *source_options;
	size_t nsource_options;
	/* import: the locators are packages read back by an export
	 * plugin's importer (import_format names it; NULL: the one that
	 * bids highest) instead of by a source plugin */
	int import;
	const char *import_format;
};
#define DG_ENGINE_OPTS_INIT                                                                                            \
	{                                                                                                              \
		NULL, NULL, NULL, NULL, 0, 0, 0, 1, NULL, NULL, NULL, 0, 0, NULL                                       \
	}

struct dg_engine;

/* Open the store for writing, load the config and plugins.  Returns 0,
 * or an exit-style code (3 config/store problem) with errbuf set. */
int dg_engine_open(struct dg_engine **out, const struct dg_engine_opts *o, char *errbuf, size_t errcap);
/* Ingest each locator (path, file:// URL, ...).  Returns 0 when every
 * document was committed, 1 when some were quarantined, 4 on a fatal
 * error (the store stays consistent; errbuf says why). */
int dg_engine_ingest(struct dg_engine *e, const char *const *locators, size_t n, struct dg_ingest_stats *stats,
                     char *errbuf, size_t errcap);
/* Run quarantined documents again (ids from the quarantine listing;
 * n == 0: all of them). */
int dg_engine_retry(struct dg_engine *e, const char *const *ids, size_t n, struct dg_ingest_stats *stats, char *errbuf,
                    size_t errcap);
void dg_engine_close(struct dg_engine *e);

#ifdef __cplusplus
}
#endif
#endif
