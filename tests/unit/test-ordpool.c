/* test-ordpool.c -- plugins/common/ordpool: every item worked on once
 * and reported once, in order, whatever the threads; no item worked on
 * `ahead` items past the last report; a report that says stop stops the
 * work; one thread works on the calling thread, several never do.
 * And plugins/common/workers.h's budget of a stage's threads over the
 * run, which decides how many a document gives the pool. */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "../../plugins/common/ordpool.h"
#include "../../plugins/common/workers.h"
#include "tap.h"

#define N 200

struct probe {
	size_t ahead;
	size_t stop_at;           /* report(stop_at) says stop (N: never) */
	atomic_size_t reported;   /* reports made */
	atomic_int worked[N];     /* work(i) calls */
	atomic_int too_far;       /* work(i) started at i >= reported + ahead */
	atomic_int on_caller;     /* work() calls on the calling thread */
	atomic_size_t max_worked; /* the highest i worked on, plus one */
	size_t order_errors;      /* report(i) out of order, or before work(i) */
	size_t next;              /* the report expected next */
	pthread_t caller;
};

static void
work(void *arg, size_t i)
{
	struct probe *p = arg;
	size_t m;

	if (i >= atomic_load(&p->reported) + p->ahead)
		atomic_fetch_add(&p->too_far, 1);
	if (pthread_equal(pthread_self(), p->caller))
		atomic_fetch_add(&p->on_caller, 1);
	/* a little work that differs between items, so threads finish out of order */
	for (volatile unsigned k = 0; k < (unsigned)((i * 7919u) % 5000u); k++)
		;
	atomic_fetch_add(&p->worked[i], 1);
	m = atomic_load(&p->max_worked);
	while (i + 1 > m && !atomic_compare_exchange_weak(&p->max_worked, &m, i + 1))
		;
}

static int
report(void *arg, size_t i)
{
	struct probe *p = arg;

	if (i != p->next || atomic_load(&p->worked[i]) != 1)
		p->order_errors++;
	p->next = i + 1;
	atomic_store(&p->reported, i + 1);
	return i == p->stop_at;
}

static void
run(int threads, size_t ahead, size_t stop_at, const char *what)
{
	struct probe *p = calloc(1, sizeof(*p));
	size_t got, i, twice = 0, missing = 0;

	p->ahead = ahead > 0 ? ahead : ORDPOOL_AHEAD;
	p->stop_at = stop_at;
	p->caller = pthread_self();
	got = ordpool_run_n(N, threads, ahead, work, report, p);
	for (i = 0; i < got; i++) {
		if (atomic_load(&p->worked[i]) > 1)
			twice++;
		if (atomic_load(&p->worked[i]) == 0)
			missing++;
	}
	is_int(p->order_errors, 0, "%s: every report in order, after its work", what);
	is_int(twice + missing, 0, "%s: every item reported was worked on once", what);
	is_int(atomic_load(&p->too_far), 0, "%s: no work %zu items past the last report", what, p->ahead);
	if (stop_at < N) {
		is_int(got, stop_at + 1, "%s: the stop is the last report", what);
		ok(atomic_load(&p->max_worked) <= stop_at + 1 + p->ahead,
		   "%s: no work started past the stop's window (highest %zu)", what, atomic_load(&p->max_worked));
	} else {
		is_int(got, N, "%s: all %d items reported", what, N);
	}
	if (threads == 1)
		is_int(atomic_load(&p->on_caller), (int)got, "%s: one thread: all work on the calling thread", what);
	else if (threads > 1)
		is_int(atomic_load(&p->on_caller), 0, "%s: several threads: none on the calling thread", what);
	free(p);
}

int
main(void)
{
	run(1, 0, N, "threads 1");
	run(2, 2, N, "threads 2, ahead 2");
	run(4, 1, N, "threads 4, ahead 1");
	run(3, 5, N, "threads 3, ahead 5");
	run(0, 0, N, "threads per CPU, default ahead");
	run(ORDPOOL_THREADS + 5, 3, N, "more threads than allowed");
	run(3, 2, 17, "threads 3, ahead 2, stop at 17");
	run(1, 0, 5, "threads 1, stop at 5");
	is_int(ordpool_run_n(0, 2, 2, work, report, NULL), 0, "no items: nothing reported");

	{
		static struct dg_share share = DG_SHARE_INIT;
		int a = dg_share_take(&share, 2, 3), b = dg_share_take(&share, 5, 3), c = dg_share_take(&share, 1, 3);

		ok(a == 2 && b == 1 && c == 0, "budget 3: 2 of 2 wanted, then the 1 left of 5, then none");
		dg_share_give(&share, a);
		is_int(dg_share_take(&share, 5, 3), 2, "what is given back is taken again, no more");
		ok(dg_share_take(&share, 1, 0) == 0 && dg_share_take(&share, 0, 8) == 0,
		   "no budget, or none wanted: 0");
	}
	return done_testing();
}
