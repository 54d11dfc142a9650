/*
 * plugins/common/mdthread.c -- digests computed by a second thread (see
 * mdthread.h).  The caller fills slot cur and hands it over; the thread
 * hashes the slots in turn and gives each back.
 */
#include <config.h>

#include "mdthread.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4
#define SLOT ((size_t)256 << 10)

struct mdthread {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	EVP_MD_CTX *md[MDTHREAD_MAX];
	int n;
	unsigned char *slot[SLOTS];
	size_t len[SLOTS];
	bool full[SLOTS];
	int cur;     /* the caller's slot */
	bool done;   /* no more slots will come */
	bool failed; /* a digest update failed */
};

static void *
run(void *arg)
{
	struct mdthread *t = arg;
	bool ok = true;
	int i = 0, k;

	for (;;) {
		pthread_mutex_lock(&t->mu);
		while (!t->full[i] && !t->done)
			pthread_cond_wait(&t->cv, &t->mu);
		if (!t->full[i]) { /* done, and nothing left */
			pthread_mutex_unlock(&t->mu);
			return NULL;
		}
		pthread_mutex_unlock(&t->mu);
		for (k = 0; k < t->n && ok; k++)
			if (EVP_DigestUpdate(t->md[k], t->slot[i], t->len[i]) != 1)
				ok = false;
		pthread_mutex_lock(&t->mu);
		t->failed = !ok;
		t->full[i] = false;
		t->len[i] = 0;
		pthread_cond_broadcast(&t->cv);
		pthread_mutex_unlock(&t->mu);
		i = (i + 1) % SLOTS;
	}
}

static void
free_slots(struct mdthread *t)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		free(t->slot[i]);
	free(t);
}

struct mdthread *
mdthread_start(EVP_MD_CTX *const *md, int n)
{
	struct mdthread *t;
	int i;

	if (n < 1 || n > MDTHREAD_MAX || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	for (i = 0; i < SLOTS; i++)
		if ((t->slot[i] = malloc(SLOT)) == NULL) {
			free_slots(t);
			return NULL;
		}
	memcpy(t->md, md, (size_t)n * sizeof(*md));
	t->n = n;
	if (pthread_mutex_init(&t->mu, NULL) != 0) {
		free_slots(t);
		return NULL;
	}
	if (pthread_cond_init(&t->cv, NULL) != 0) {
		pthread_mutex_destroy(&t->mu);
		free_slots(t);
		return NULL;
	}
	if (pthread_create(&t->thread, NULL, run, t) != 0) {
		pthread_cond_destroy(&t->cv);
		pthread_mutex_destroy(&t->mu);
		free_slots(t);
		return NULL;
	}
	return t;
}

/* Hand the caller's slot over (if it holds anything) and wait for the
 * next one to be free; -1 if a digest update has failed. */
static int
submit(struct mdthread *t)
{
	bool failed;

	pthread_mutex_lock(&t->mu);
	if (t->len[t->cur] > 0) {
		t->full[t->cur] = true;
		pthread_cond_broadcast(&t->cv);
		t->cur = (t->cur + 1) % SLOTS;
		while (t->full[t->cur])
			pthread_cond_wait(&t->cv, &t->mu);
	}
	failed = t->failed;
	pthread_mutex_unlock(&t->mu);
	return failed ? -1 : 0;
}

int
mdthread_update(struct mdthread *t, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		size_t n = SLOT - t->len[t->cur];
		if (n > len)
			n = len;
		memcpy(t->slot[t->cur] + t->len[t->cur], p, n);
		t->len[t->cur] += n;
		p += n;
		len -= n;
		if (t->len[t->cur] == SLOT && submit(t) < 0)
			return -1;
	}
	return 0;
}

int
mdthread_stop(struct mdthread *t, bool flush)
{
	bool failed;

	if (t == NULL)
		return 0;
	if (flush)
		submit(t);
	pthread_mutex_lock(&t->mu);
	t->done = true;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	failed = t->failed;
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free_slots(t);
	return failed ? -1 : 0;
}
