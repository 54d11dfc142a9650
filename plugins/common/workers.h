/*
 * plugins/common/workers.h -- the page stages (scan, prep, ocr) and the
 * run: how many threads (or processes) a stage gives one document when
 * its option leaves that to the run (scan's PDF renderers, prep's and
 * ocr's page threads), a budget of them over the run, and how far
 * through the document's pages it is, for ingest's progress line.
 * Header-only.
 */
#ifndef DG_PLUGINS_WORKERS_H
#define DG_PLUGINS_WORKERS_H

#include <dangan/plugin.h>
#include <pthread.h>
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

/* The threads (or processes) a stage runs for one document beside the
 * document's own, out of a budget over the whole run: -j 8 with eight
 * long documents must not run eight times the stage's share.  Each
 * plugin has its own (static struct dg_share x = DG_SHARE_INIT). */
struct dg_share {
	pthread_mutex_t lock;
	int used;
};
#define DG_SHARE_INIT                                                                                                  \
	{                                                                                                              \
		PTHREAD_MUTEX_INITIALIZER, 0                                                                           \
	}

/* Up to want of the max over the run, what is free now (0: none). */
static inline int
dg_share_take(struct dg_share *s, int want, int max)
{
	int got;

	if (want <= 0)
		return 0;
	pthread_mutex_lock(&s->lock);
	got = max - s->used;
	got = got > want ? want : got < 0 ? 0 : got;
	s->used += got;
	pthread_mutex_unlock(&s->lock);
	return got;
}

static inline void
dg_share_give(struct dg_share *s, int n)
{
	pthread_mutex_lock(&s->lock);
	s->used -= n;
	pthread_mutex_unlock(&s->lock);
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
