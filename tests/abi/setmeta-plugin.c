/*
 * setmeta-plugin.c -- a test stage that sets one metadata value given
 * by its options (key, value), for the integration tests: it stands for
 * an earlier stage's output, e.g. the transient "@learned.scores" of a
 * learned classifier that tests/integration/classify.sh pools with the
 * rules.  Not installed.
 */
#include <config.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <dangan/plugin.h>

struct setmeta {
	char *key, *value;
};

static void
fini(void *state)
{
	struct setmeta *m = state;

	if (m) {
		free(m->key);
		free(m->value);
		free(m);
	}
}

static int
init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	const char *k = host->opt_string(opts, "key"), *v = host->opt_string(opts, "value");
	struct setmeta *m;

	if (!k || !*k) {
		host->error(ctx, "setmeta: option key is empty");
		return DG_FATAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m || !(m->key = strdup(k)) || !(m->value = strdup(v ? v : ""))) {
		fini(m);
		host->error(ctx, "setmeta: out of memory");
		return DG_FATAL;
	}
	*state = m;
	return DG_OK;
}

static int
process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	const struct setmeta *m = state;

	if (host->meta_set(doc, m->key, m->value) != 0) {
		host->error(ctx, "setmeta: cannot set %s", m->key);
		return DG_FAILED;
	}
	return DG_OK;
}

static const struct dg_option options[] = {
    {"key", DG_OPT_STRING, "", "the metadata key", 0, 0},
    {"value", DG_OPT_STRING, "", "its value", 0, 0},
    {NULL, 0, NULL, NULL, 0, 0},
};

static const struct dg_plugin plugin = {
    DG_PLUGIN_HEADER,
    .name = "setmeta",
    .version = "1.0",
    .summary = "test stage: sets one metadata value",
    .kind = DG_KIND_TRANSFORM,
    .flags = DG_PLUGIN_SHARED,
    .options = options,
    .init = init,
    .fini = fini,
    .process = process,
};

DG_PLUGIN_DEFINE(plugin)
