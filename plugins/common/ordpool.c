/*
 * plugins/common/ordpool.c -- see ordpool.h.
 */
#include <config.h>

#include "ordpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct ordpool {
	void (*work)(void *, size_t);
	void *arg;
	size_t n;
	size_t ahead; /* no work(i) starts at i >= reported + ahead */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool *done;      /* done[i]: work(i) has returned */
	size_t next;     /* the next item to work on */
	size_t reported; /* items reported */
	bool stop;
};

static void *
worker(void *p)
{
	struct ordpool *o = p;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&o->mu);
		while (!o->stop && o->next < o->n && o->next >= o->reported + o->ahead)
			pthread_cond_wait(&o->cv, &o->mu);
		if (o->stop || o->next >= o->n) {
			pthread_mutex_unlock(&o->mu);
			return NULL;
		}
		i = o->next++;
		pthread_mutex_unlock(&o->mu);
		o->work(o->arg, i);
		pthread_mutex_lock(&o->mu);
		o->done[i] = true;
		pthread_cond_broadcast(&o->cv);
		pthread_mutex_unlock(&o->mu);
	}
}

size_t
ordpool_run(size_t n, void (*work)(void *arg, size_t i), int (*report)(void *arg, size_t i), void *arg)
{
	return ordpool_run_n(n, 0, 0, work, report, arg);
}

size_t
ordpool_run_n(size_t n, int want, size_t ahead, void (*work)(void *arg, size_t i), int (*report)(void *arg, size_t i),
              void *arg)
{
	struct ordpool o = {.work = work, .arg = arg, .n = n, .ahead = ahead > 0 ? ahead : ORDPOOL_AHEAD};
	pthread_t tid[ORDPOOL_THREADS];
	long cpus = want > 0 ? want : sysconf(_SC_NPROCESSORS_ONLN);
	int threads = 0, k;
	size_t i;

	if (cpus > ORDPOOL_THREADS)
		cpus = ORDPOOL_THREADS;
	if (cpus > 1 && (size_t)cpus > n)
		cpus = (long)n;
	if (cpus > 1 && (o.done = calloc(n, sizeof(*o.done))) != NULL) {
		pthread_mutex_init(&o.mu, NULL);
		pthread_cond_init(&o.cv, NULL);
		for (k = 0; k < cpus; k++)
			if (pthread_create(&tid[threads], NULL, worker, &o) == 0)
				threads++;
	}
	if (threads == 0) {
		for (i = 0; i < n; i++) {
			work(arg, i);
			if (report(arg, i) != 0) {
				i++;
				break;
			}
		}
		goto out;
	}
	for (i = 0; i < n;) {
		int r;
		pthread_mutex_lock(&o.mu);
		while (!o.done[i])
			pthread_cond_wait(&o.cv, &o.mu);
		pthread_mutex_unlock(&o.mu);
		r = report(arg, i);
		i++;
		pthread_mutex_lock(&o.mu);
		o.reported = i;
		o.stop = r != 0;
		pthread_cond_broadcast(&o.cv);
		pthread_mutex_unlock(&o.mu);
		if (r != 0)
			break;
	}
	for (k = 0; k < threads; k++)
		pthread_join(tid[k], NULL);
out:
	if (o.done != NULL) {
		pthread_cond_destroy(&o.cv);
		pthread_mutex_destroy(&o.mu);
		free(o.done);
	}
	return i;
}
