/*
 * abi-plugin.c -- test plugins for the loader: the same module built
 * with a good descriptor and with each kind of bad one (see local.mk).
 * Built with ABI_FAIL it is a good plugin whose stage always fails
 * (abi-fail: the integration tests use it to quarantine a document).
 */
#include <config.h>

#include <stddef.h>

#include <dangan/plugin.h>

#ifndef ABI_MAGIC
#define ABI_MAGIC DG_PLUGIN_MAGIC
#endif
#ifndef ABI_MAJOR
#define ABI_MAJOR DG_ABI_MAJOR
#endif
#ifndef ABI_MINOR
#define ABI_MINOR DG_ABI_MINOR
#endif
#ifndef ABI_SIZE
#define ABI_SIZE sizeof(struct dg_plugin)
#endif
#ifndef ABI_NAME
#define ABI_NAME "abi-good"
#endif

static int
process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	(void)ctx;
	(void)state;
#ifdef ABI_FAIL
	(void)doc;
	host->error(ctx, "failed on purpose");
	return DG_FAILED;
#else
	return host->meta_set(doc, "abi.seen", "yes") == 0 ? DG_OK : DG_FAILED;
#endif
}

static const struct dg_option options[] = {
    {"level", DG_OPT_INT, "3", "an integer option with a range", 1, 9},
    {"label", DG_OPT_STRING, NULL, "a string option without a default", 0, 0},
    {"limit", DG_OPT_SIZE, "1M", "a size", 0, 0},
    {"strict", DG_OPT_BOOL, "false", "a boolean", 0, 0},
    {NULL, 0, NULL, NULL, 0, 0},
};

static const struct dg_plugin plugin = {
    .magic = ABI_MAGIC,
    .abi_major = ABI_MAJOR,
    .abi_minor = ABI_MINOR,
    .struct_size = ABI_SIZE,
    .name = ABI_NAME,
    .version = "1.0",
    .summary = "loader test plugin",
    .kind = DG_KIND_TRANSFORM,
    .flags = DG_PLUGIN_SHARED,
    .options = options,
    .process = process,
};

DG_PLUGIN_DEFINE(plugin)
