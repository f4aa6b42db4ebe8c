/*
 * commitq.h — group commit for tipline.fcgi's request threads.
 *
 * Concurrent submissions share one transaction and one fsync: the first
 * thread to arrive leads, committing everything queued through the queue's
 * own store handle (one writer connection, so its page cache stays warm),
 * while the others wait; whoever is waiting when a commit ends leads the
 * next. Each caller returns only after the transaction holding its tip
 * committed, so nothing is acknowledged before it is durable.
 *
 * A thread of the queue's own copies the WAL into the database file
 * beside the commits (checkpoints), so that no commit waits for that copy.
 */
#ifndef TL_COMMITQ_H
#define TL_COMMITQ_H

#include "store.h"

#define TL_COMMITQ_BATCH	64	/* most tips in one transaction */

struct tl_commitq;

/* A new queue writing to the existing store at path (opened when first
 * needed, never created), or NULL out of memory. Its checkpoint thread
 * starts when the WAL first needs it. */
struct tl_commitq *tl_commitq_new(const char *path);
void tl_commitq_free(struct tl_commitq *q);

/*
 * Stores sub as tl_store_add() would, in a transaction shared with the
 * other callers of the moment. Thread-safe; blocks until durable or
 * failed (TL_ESTORE also when the store cannot be opened).
 */
enum tl_err tl_commitq_add(struct tl_commitq *q,
	    const struct tl_submit *sub, char ref[TL_REF_SIZE]);

/* What the group commit has done, for metrics: the transactions it
 * committed (each with one fsync), the submissions in them (stored, or
 * refused as duplicates) and the time they took: inserts, write and fsync,
 * the part of intake that cannot run in parallel. */
struct tl_commitq_stats {
	unsigned long long	 commits;
	unsigned long long	 tips;
	unsigned long long	 usec;
};
void tl_commitq_stats(struct tl_commitq *q, struct tl_commitq_stats *out);

/* Closes the writer connection (and frees its cache) until it is next
 * needed; the checkpoint thread keeps its own. Call only while no
 * tl_commitq_add() is running. */
void tl_commitq_idle(struct tl_commitq *q);

/* The reason of the last store failure, for logs. Not thread-safe: read it
 * only as a hint. */
const char *tl_commitq_errmsg(const struct tl_commitq *q);

#endif
