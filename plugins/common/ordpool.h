/*
 * plugins/common/ordpool.h -- work on many items on several threads,
 * reported on the calling thread in the items' order, so the output is
 * the same whatever the threads do: checks that read many files (verify
 * of an EEP directory, of a bag's payload), and the preparation of a
 * document's pages (prep).  Built into each plugin that uses it
 * (nothing of it is exported).
 */
#ifndef DG_PLUGINS_ORDPOOL_H
#define DG_PLUGINS_ORDPOOL_H

#include <stddef.h>

#define ORDPOOL_THREADS 8 /* at most, whatever the CPUs */
#define ORDPOOL_AHEAD 256 /* items worked on beyond the last one reported */

/* work(arg, i) for every i in [0, n), on up to one thread per CPU (at
 * most ORDPOOL_THREADS), and report(arg, i) on the calling thread in
 * the order of i, each once work(arg, i) has returned.  work() must not
 * touch what report() does; no work(i) starts ORDPOOL_AHEAD items past
 * the last report().  report() returns nonzero to stop: no further
 * work() starts and no further report() is made.  With one CPU, or
 * when no thread can be had, work and report alternate on the calling
 * thread.  Returns the number of items reported. */
size_t ordpool_run(size_t n, void (*work)(void *arg, size_t i), int (*report)(void *arg, size_t i), void *arg);
/* The same on at most threads threads (0: one per CPU; never more than
 * ORDPOOL_THREADS, nor than n), with no work(i) started ahead items
 * past the last report() (0: ORDPOOL_AHEAD), which bounds what is
 * held between work and report; threads 1 alternates on the calling
 * thread. */
size_t ordpool_run_n(size_t n, int threads, size_t ahead, void (*work)(void *arg, size_t i),
                     int (*report)(void *arg, size_t i), void *arg);

#endif
