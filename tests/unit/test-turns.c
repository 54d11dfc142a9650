/* test-turns.c -- host->in_order() in a concurrent export: threads take
 * document numbers in order, then race (random sleeps) to their turns;
 * whatever they do, the turns must come in number order, a document
 * that takes no turn must not hold the others up, and a second call in
 * the same document, or one outside an export, runs at once. */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "tap.h"
#include "turns.h"

#define N 400
#define THREADS 4

static struct dg_turns turns;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static size_t next_seq;
static size_t order[N], norder;
static int seconds_run_at_once;

struct call {
	size_t seq;
};

static void
record(void *arg)
{
	struct call *c = arg;

	pthread_mutex_lock(&mu);
	order[norder++] = c->seq;
	pthread_mutex_unlock(&mu);
}

static void
second(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	seconds_run_at_once++;
	pthread_mutex_unlock(&mu);
}

static void
nap(unsigned *seed)
{
	struct timespec ts = {0, (long)(rand_r(seed) % 200) * 1000};
	nanosleep(&ts, NULL);
}

static void *
worker(void *arg)
{
	const struct dg_host *h = dg_engine_host();
	struct dg_ctx *ctx = dg_ctx_new(NULL, 0, NULL);
	unsigned seed = (unsigned)(size_t)arg;

	for (;;) {
		struct call c;
		pthread_mutex_lock(&mu);
		c.seq = next_seq < N ? next_seq++ : N;
		pthread_mutex_unlock(&mu);
		if (c.seq == N)
			break;
		dg_ctx_begin_turn(ctx, &turns, c.seq);
		nap(&seed);
		if (c.seq % 7 != 3) { /* every seventh document takes no turn */
			h->in_order(ctx, record, &c);
			h->in_order(ctx, second, NULL);
		}
		nap(&seed);
		dg_ctx_end_turn(ctx);
	}
	dg_ctx_free(ctx);
	return NULL;
}

int
main(void)
{
	pthread_t t[THREADS];
	struct dg_ctx *alone;
	size_t i, want = 0, bad = 0, k;

	ok(dg_turns_init(&turns, N) == 0, "turns for %d documents", N);
	for (k = 0; k < THREADS; k++)
		pthread_create(&t[k], NULL, worker, (void *)(k + 1));
	for (k = 0; k < THREADS; k++)
		pthread_join(t[k], NULL);
	for (i = 0; i < N; i++)
		want += i % 7 != 3;
	is_int((long)norder, (long)want, "every document that asked had its turn");
	for (i = 1; i < norder; i++)
		bad += order[i] <= order[i - 1];
	is_int((long)bad, 0L, "the turns came in document order (%d threads, random delays)", THREADS);
	is_int(seconds_run_at_once, (int)want, "a second call in the same document runs at once");
	is_int((long)turns.low, (long)N, "every number, turn taken or not, is marked done");
	dg_turns_free(&turns);

	alone = dg_ctx_new(NULL, 0, NULL);
	seconds_run_at_once = 0;
	dg_engine_host()->in_order(alone, second, NULL);
	is_int(seconds_run_at_once, 1, "outside an export in_order() runs at once");
	dg_ctx_free(alone);
	return done_testing();
}
