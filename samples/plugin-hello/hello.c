/*
 * hello.c -- the smallest useful dangan plugin, built outside the
 * dangan source tree with nothing but the installed headers:
 *
 *   cc -shared -fPIC -o dg-hello.so hello.c $(pkg-config --cflags --libs dangan)
 *
 * It counts the lines of a document's text part and records a greeting
 * in its metadata.  Put dg-hello.so in a plugin directory
 * (DANGAN_PLUGIN_PATH) and add a stage to a pipeline:
 *
 *   <stage id="hello" plugin="hello"><option name="greeting">你好</option></stage>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dangan/plugin.h>

struct hello {
	const char *greeting;
};

static int
hello_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct hello *h = calloc(1, sizeof(*h));

	if (!h) {
		host->error(ctx, "out of memory");
		return DG_FATAL;
	}
	h->greeting = host->opt_string(opts, "greeting");
	*state = h;
	return DG_OK;
}

static void
hello_fini(void *state)
{
	free(state);
}

static int
hello_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	struct hello *h = state;
	const char *path = host->part_path(doc, DG_ROLE_TEXT);
	char buf[65536], num[32];
	long lines = 0;
	size_t n, i;
	FILE *f;

	if (host->meta_set(doc, "hello.greeting", h->greeting) < 0) {
		host->error(ctx, "cannot set metadata");
		return DG_FAILED;
	}
	if (!path)
		return DG_OK; /* no text part: nothing to count */
	f = fopen(path, "rb");
	if (!f) {
		host->error(ctx, "cannot read the text part");
		return DG_FAILED;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	fclose(f);
	snprintf(num, sizeof(num), "%ld", lines);
	host->meta_set(doc, "hello.lines", num);
	host->note(ctx, doc, "counted %ld lines", lines);
	return DG_OK;
}

static const struct dg_option hello_options[] = {
    {"greeting", DG_OPT_STRING, "hello", "the greeting recorded in hello.greeting", 0, 0},
    {NULL, 0, NULL, NULL, 0, 0},
};

static const struct dg_plugin hello_plugin = {
    DG_PLUGIN_HEADER,          .name = "hello",
    .version = "1.0",          .summary = "sample out-of-tree plugin: greets and counts text lines",
    .kind = DG_KIND_TRANSFORM, .flags = DG_PLUGIN_SHARED,
    .options = hello_options,  .init = hello_init,
    .fini = hello_fini,        .process = hello_process,
};

DG_PLUGIN_DEFINE(hello_plugin)
