/*
 * turns.h -- taking turns in selection order: the documents of a
 * concurrent export are numbered 0..n-1 as they are handed out, and a
 * turn (host->in_order) waits until every lower number has had its
 * own.  Internal.
 */
#ifndef DG_TURNS_H
#define DG_TURNS_H

#include <pthread.h>
#include <stddef.h>

struct dg_turns {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *done; /* done[i]: number i has had its turn */
	size_t n;
	size_t low; /* the lowest number still to have its turn */
};

int dg_turns_init(struct dg_turns *t, size_t n);
void dg_turns_free(struct dg_turns *t);
/* Wait until every number below seq has had its turn. */
void dg_turns_wait(struct dg_turns *t, size_t seq);
/* seq has had its turn (idempotent). */
void dg_turns_done(struct dg_turns *t, size_t seq);

#endif
