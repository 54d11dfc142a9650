/*
 * turns.c -- see turns.h.  The numbers are handed out in increasing
 * order and every number handed out reaches dg_turns_done() (the
 * export marks it when process() returns), so a wait for a lower
 * number always ends.
 */
#include <config.h>

#include "turns.h"
#include "util.h"

int
dg_turns_init(struct dg_turns *t, size_t n)
{
	t->done = dg_calloc(n ? n : 1, 1);
	if (!t->done)
		return -1;
	t->n = n;
	t->low = 0;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	return 0;
}

void
dg_turns_free(struct dg_turns *t)
{
	if (!t->done)
		return;
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	dg_free(t->done);
	t->done = NULL;
}

void
dg_turns_wait(struct dg_turns *t, size_t seq)
{
	pthread_mutex_lock(&t->mu);
	while (t->low < seq)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
}

void
dg_turns_done(struct dg_turns *t, size_t seq)
{
	pthread_mutex_lock(&t->mu);
	if (seq < t->n && !t->done[seq]) {
		t->done[seq] = 1;
		while (t->low < t->n && t->done[t->low])
			t->low++;
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
}
