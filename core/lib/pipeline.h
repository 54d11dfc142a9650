/*
 * pipeline.h -- the pipeline configuration (XML, checked against the
 * RELAX NG schema config/dangan.rng before anything runs, then against
 * the plugins themselves: names, kinds and option values).  Internal.
 */
#ifndef DG_PIPELINE_H
#define DG_PIPELINE_H

#include "loader.h"
#include "util.h"

enum dg_on_failure { DG_ONFAIL_QUARANTINE = 0, DG_ONFAIL_CONTINUE = 1, DG_ONFAIL_ABORT = 2 };

struct dg_match {
	char *type;      /* media type glob, or NULL */
	char *meta_key;  /* metadata key, or NULL */
	char *meta_glob; /* glob over its values */
};

struct dg_stage {
	char *id;
	char *plugin;
	const struct dg_module *mod; /* NULL when loaded without a registry */
	struct dg_match *matches;
	size_t nmatches;
	struct dg_opts *opts;
	enum dg_on_failure on_failure;
	long line;
};

struct dg_pipeline {
	char *name;
	struct dg_stage *stages;
	size_t nstages;
};

/* Options of a source plugin (<source plugin="imap"> in the config). */
struct dg_source_conf {
	char *plugin;
	char **names, **values;
	size_t n;
	long line;
};

struct dg_config {
	char *path;
	char *default_pipeline;
	struct dg_pipeline *pipelines;
	size_t npipelines;
	struct dg_source_conf *sources;
	size_t nsources;
};

/* Where the installed schema and default config live
 * (DANGAN_DATADIR overrides, for running from a build tree). */
const char *dg_datadir(void);

/* Load and check a configuration file.  With a registry, every plugin
 * is loaded and every option checked; errors name the file and line. */
int dg_config_load(struct dg_config **out, const char *path, struct dg_registry *reg, struct dg_err *err);
void dg_config_free(struct dg_config *c);
const struct dg_pipeline *dg_config_pipeline(const struct dg_config *c, const char *name);
/* The checked options of source plugin p: the config's <source>
 * element for it, then each override "PLUGIN.OPTION=VALUE" naming it.
 * NULL with err set when a value is wrong. */
struct dg_opts *dg_config_source_opts(const struct dg_config *c, const struct dg_plugin *p, const char *const *over,
                                      size_t nover, struct dg_err *err);
/* Does a stage's match accept a document with this media type and
 * metadata lookup? */
int dg_match_accepts(const struct dg_stage *st, const char *media_type,
                     const char *(*meta_n)(void *ctx, const char *key, size_t i), void *ctx);

#endif
