/*
 * commitq.h — group commit for tipline.fcgi's request threads.
 *
 * Concurrent submissions share one transaction and one fsync: the first
 * thread to arrive leads, committing everything queued with its own store
 * handle, while the others wait; whoever is waiting when a commit ends
 * leads the next. Each caller returns only after the transaction holding
 * its tip committed, so nothing is acknowledged before it is durable.
 */
#ifndef TL_COMMITQ_H
#define TL_COMMITQ_H

#include "store.h"

#define TL_COMMITQ_BATCH	64	/* most tips in one transaction */

struct tl_commitq;

/* A new queue, or NULL out of memory. */
struct tl_commitq *tl_commitq_new(void);
void tl_commitq_free(struct tl_commitq *q);

/*
 * Stores sub as tl_store_add() would, in a transaction shared with the
 * other callers of the moment; store is the calling thread's own handle,
 * used if this caller leads. Thread-safe; blocks until durable or failed.
 */
enum tl_err tl_commitq_add(struct tl_commitq *q, struct tl_store *store,
	    const struct tl_submit *sub, char ref[TL_REF_SIZE]);

#endif
