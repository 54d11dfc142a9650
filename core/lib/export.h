/*
 * export.h -- running an export plugin over stored documents, checking
 * a package with a format plugin's verify(), and the four-property
 * checks around both.  Internal (the command calls these).
 */
#ifndef DG_EXPORT_H
#define DG_EXPORT_H

#include <stdint.h>

#include "catalog.h"
#include "dangan/plugin.h"
#include "store.h"

struct dg_finding_cb {
	void (*fn)(void *arg, enum dg_finding_level level, const char *code, const char *where, const char *msg);
	void *arg;
};

struct dg_export_opts {
	const char *format; /* export plugin name */
	const char *output; /* final path; must not exist */
	const char *query;  /* select by search; NULL */
	const char *const *ids;
	size_t nids;                /* select these (resolved hex); none and no query: all */
	const char *const *options; /* "OPTION=VALUE" for the plugin */
	size_t noptions;
	const char *plugin_path;
	const char *report; /* four-property report base; NULL: output + ".check" */
	const char *danghao_pattern;
	int verify;    /* check the package with the plugin's verify() afterwards */
	int progress;  /* progress line on stderr */
	int verbosity; /* as the engine's */
	int jobs;      /* documents packaged at once by a concurrent plugin; 0: one per CPU */
	struct dg_finding_cb findings;
};

struct dg_export_stats {
	int64_t docs, bytes;
	double seconds;
	int verified;             /* verify() ran */
	int64_t errors, warnings; /* findings of verify() */
	int checks_failed, checks_warned;
	char report[4096];
};

/* 0 exported and clean, 1 exported with problems (package findings or
 * failed checks), 2 usage (bad option, output exists), 3 store/plugin
 * problem, 4 the export failed (nothing left under the output name). */
int dg_export_run(struct dg_store *s, struct dg_catalog *c, const struct dg_export_opts *o, struct dg_export_stats *st,
                  char *errbuf, size_t errcap);

/* Check a package with format's verify().  0 valid, 1 invalid,
 * 3 no such format / no verify. */
int dg_verify_package(const char *plugin_path, const char *format, const char *path, const char *const *options,
                      size_t noptions, int verbosity, const struct dg_finding_cb *cb, char *errbuf, size_t errcap);

/* Which export plugin imports this locator (bids highest); NULL if none.
 * The returned name is allocated. */
char *dg_import_format(const char *plugin_path, const char *locator);

#endif
