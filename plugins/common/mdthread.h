/*
 * plugins/common/mdthread.h -- digests of a byte stream computed by a
 * second thread, for the export plugins that hash large files with
 * more than one algorithm (bagit: SHA-512 beside SHA-256; eep: SM3
 * beside SHA-256): the slow ones go on in the thread while the caller
 * hashes with the fast one and writes.  The bytes are copied to the
 * thread through a few fixed slots, so memory stays constant.  Built
 * into each plugin that uses it (nothing of it is exported).
 */
#ifndef DG_PLUGINS_MDTHREAD_H
#define DG_PLUGINS_MDTHREAD_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#define MDTHREAD_MAX 8 /* digest contexts one thread updates */

struct mdthread;

/* A thread that feeds every byte handed to it into md[0..n): the
 * contexts are the thread's until mdthread_stop().  NULL if no thread
 * can be had (the caller keeps them and goes on alone). */
struct mdthread *mdthread_start(EVP_MD_CTX *const *md, int n);
/* Copy len bytes to the thread (waits while all its slots are full);
 * -1 once a digest update has failed. */
int mdthread_update(struct mdthread *t, const void *buf, size_t len);
/* Hand over what is left (flush) or drop it, wait for the thread and
 * free it; -1 if a digest update failed. */
int mdthread_stop(struct mdthread *t, bool flush);

#endif
