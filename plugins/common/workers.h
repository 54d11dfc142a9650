/*
 * plugins/common/workers.h -- the page stages (scan, prep, ocr) and the
 * run: how many threads (or processes) a stage gives one document when
 * its option leaves that to the run (scan's PDF renderers, prep's and
 * ocr's page threads), and how far through the document's pages it is,
 * for ingest's progress line.  Header-only.
 */
#ifndef DG_PLUGINS_WORKERS_H
#define DG_PLUGINS_WORKERS_H

#include <dangan/plugin.h>
#include <unistd.h>

/* As many as the run has workers (ingest -j), so that -j 1 works on
 * one CPU; one per CPU under a host table without workers() (a test
 * harness's).  From 1 to max. */
static inline int
dg_run_share(struct dg_ctx *ctx, const struct dg_host *host, int max)
{
	long n =
	    DG_HOST_HAS(host, workers) && host->workers != NULL ? host->workers(ctx) : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > max ? max : (int)n;
}

/* done of total pages of doc are through the stage (an engine older
 * than ABI 1.7 shows nothing). */
static inline void
dg_pages_progress(struct dg_ctx *ctx, const struct dg_host *host, struct dg_doc *doc, int done, int total)
{
	if (DG_HOST_HAS(host, stage_progress) && host->stage_progress != NULL)
		host->stage_progress(ctx, doc, done, total, "pages");
}

#endif
