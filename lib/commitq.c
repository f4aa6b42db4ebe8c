/*
 * commitq.c — leader-based group commit. See commitq.h.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commitq.h"

/* One waiting submission; lives on its caller's stack. */
struct item {
	const struct tl_submit	*sub;
	char			*ref;
	enum tl_err		 result;
	int			 done;	/* result and ref are set */
	sem_t			 wake;	/* posted once: done, or time to lead */
	struct item		*next;
};

/*
 * Checkpoints. SQLite's own runs in the commit that fills the WAL past a
 * size and copies all of it into the database file: on a large store that
 * held every waiting tip for tens of milliseconds. Here a thread with its
 * own connection copies the WAL while the writer goes on (a PASSIVE
 * checkpoint never blocks it), asked whenever CK_ASK frames wait to be
 * copied. The WAL can only start again from its beginning once all of it
 * is copied, at a commit's start; so once it is CK_START frames long and
 * at most CK_FINISH are left, the writer copies those itself, which takes
 * a few milliseconds. CK_FORCE bounds the WAL if the thread falls behind
 * (or could not be started: it starts when first needed, so a queue that
 * never fills the WAL, or a process that forks, has no extra thread).
 */
#define CK_ASK		1000	/* frames left that wake the thread */
#define CK_START	4000	/* a WAL this long is made to start again */
#define CK_FINISH	500	/* frames left that the writer copies */
#define CK_FORCE	TL_WAL_FORCE

/*
 * Another process holding the store's write lock (an admin's sqlite3, a
 * stuck command) must not hold the request threads the form needs. The
 * writer waits for it at most WRITER_BUSY_MS; when it gives up, every
 * submission queued behind it fails with it (each person is told nothing
 * was saved), and for BUSY_BACKOFF_US after that new ones fail at once
 * without waiting. So at most one request thread waits on a locked store.
 */
#define WRITER_BUSY_MS	1000

#define BUSY_BACKOFF_US	1000000ULL

struct ckpt {
	pthread_t	 tid;
	int		 started;	/* 1: running, -1: could not start */
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	int		 asked;		/* the thread is wanted */
	int		 stop;
	int		 done;		/* frames of the WAL copied */
	int		 failing;	/* the last one failed (logged once) */
	struct tl_store	*store;		/* used by its thread only */
};

struct tl_commitq {
	pthread_mutex_t	 lock;
	struct item	*head, *tail;	/* queued, not yet taken */
	int		 leading;	/* a commit is in progress */
	char		*path;		/* the store's file */
	struct tl_store	*store;		/* the writer; only the leader uses it */
	char		 err[256];	/* why the store could not be opened */
	struct ckpt	 ck;
	atomic_ullong	 commits, tips, usec;	/* tl_commitq_stats() */
	unsigned long long busy_until;	/* usec_now(): fail at once till */
};

static void *
checkpointer(void *arg)
{
	struct tl_commitq	*q = arg;
	struct ckpt		*ck = &q->ck;
	enum tl_err		 rc;
	char			 err[256];
	int			 done;

	pthread_mutex_lock(&ck->lock);
	for (;;) {
		while (!ck->asked && !ck->stop)
			pthread_cond_wait(&ck->wake, &ck->lock);
		if (ck->stop)
			break;
		ck->asked = 0;
		pthread_mutex_unlock(&ck->lock);
		done = 0;
		if (ck->store != NULL)
			rc = tl_store_checkpoint(ck->store, &done);
		else if ((rc = tl_store_attach(q->path, &ck->store, err,
		    sizeof(err))) == TL_OK)
			rc = tl_store_checkpoint(ck->store, &done);
		if (rc != TL_OK && !ck->failing)
			fprintf(stderr, "tipline: checkpoint: %s\n",
			    ck->store != NULL ? tl_store_errmsg(ck->store) : err);
		ck->failing = rc != TL_OK;
		pthread_mutex_lock(&ck->lock);
		if (done > ck->done)
			ck->done = done;
	}
	pthread_mutex_unlock(&ck->lock);
	return NULL;
}

/* The writer's hook after each commit (tl_store_on_commit()): wakes the
 * thread, or returns 1 for the writer to copy what is left itself. */
static int
on_commit(void *arg, int frames)
{
	struct ckpt	*ck = &((struct tl_commitq *)arg)->ck;
	int		 left, finish;

	pthread_mutex_lock(&ck->lock);
	if (frames < ck->done)
		ck->done = 0;		/* the WAL started again */
	left = frames - ck->done;
	finish = frames >= CK_FORCE || (frames >= CK_START &&
	    left <= CK_FINISH);
	if (!finish && left >= CK_ASK && !ck->asked) {
		if (ck->started == 0)
			ck->started = pthread_create(&ck->tid, NULL,
			    checkpointer, arg) == 0 ? 1 : -1;
		ck->asked = 1;
		pthread_cond_signal(&ck->wake);
	}
	pthread_mutex_unlock(&ck->lock);
	return finish;
}

struct tl_commitq *
tl_commitq_new(const char *path)
{
	struct tl_commitq	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	if ((q->path = strdup(path)) == NULL)
		goto fail_path;
	if (pthread_mutex_init(&q->lock, NULL) != 0)
		goto fail_lock;
	if (pthread_mutex_init(&q->ck.lock, NULL) != 0)
		goto fail_cklock;
	if (pthread_cond_init(&q->ck.wake, NULL) != 0)
		goto fail_ckwake;
	return q;
fail_ckwake:
	pthread_mutex_destroy(&q->ck.lock);
fail_cklock:
	pthread_mutex_destroy(&q->lock);
fail_lock:
	free(q->path);
fail_path:
	free(q);
	return NULL;
}

void
tl_commitq_free(struct tl_commitq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->ck.lock);
	q->ck.stop = 1;
	pthread_cond_signal(&q->ck.wake);
	pthread_mutex_unlock(&q->ck.lock);
	if (q->ck.started == 1)
		pthread_join(q->ck.tid, NULL);
	tl_store_close(q->ck.store);
	pthread_cond_destroy(&q->ck.wake);
	pthread_mutex_destroy(&q->ck.lock);
	pthread_mutex_destroy(&q->lock);
	tl_store_close(q->store);
	free(q->path);
	free(q);
}

void
tl_commitq_idle(struct tl_commitq *q)
{
	pthread_mutex_lock(&q->lock);
	tl_store_close(q->store);
	q->store = NULL;
	pthread_mutex_unlock(&q->lock);
}

void
tl_commitq_stats(struct tl_commitq *q, struct tl_commitq_stats *out)
{
	out->commits = atomic_load(&q->commits);
	out->tips = atomic_load(&q->tips);
	out->usec = atomic_load(&q->usec);
}

static unsigned long long
usec_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL;
}

const char *
tl_commitq_errmsg(const struct tl_commitq *q)
{
	return q->store != NULL ? tl_store_errmsg(q->store) : q->err;
}

/* Takes up to TL_COMMITQ_BATCH queued items into batch; lock held. */
static size_t
take(struct tl_commitq *q, struct item **batch)
{
	size_t	 n = 0;

	while (q->head != NULL && n < TL_COMMITQ_BATCH) {
		batch[n++] = q->head;
		q->head = q->head->next;
	}
	if (q->head == NULL)
		q->tail = NULL;
	return n;
}

/* Commits batch through the queue's writer; called by the leader only,
 * without the lock. Returns 1 when it failed because another connection
 * held the write lock. */
static int
commit(struct tl_commitq *q, struct item **batch, size_t n)
{
	const struct tl_submit	*subs[TL_COMMITQ_BATCH];
	char			 refs[TL_COMMITQ_BATCH][TL_REF_SIZE];
	enum tl_err		 results[TL_COMMITQ_BATCH];
	unsigned long long	 start;
	size_t			 i, j;

	for (i = 0; i < n; i++) {
		subs[i] = batch[i]->sub;
		results[i] = TL_ESTORE;
		refs[i][0] = '\0';
	}
	if (q->store == NULL && tl_store_attach(q->path, &q->store, q->err,
	    sizeof(q->err)) == TL_OK) {
		tl_store_on_commit(q->store, on_commit, q);
		tl_store_busy_timeout(q->store, WRITER_BUSY_MS);
	}
	start = usec_now();
	if (q->store != NULL &&
	    tl_store_add_batch(q->store, subs, n, refs, results) == TL_OK) {
		atomic_fetch_add(&q->usec, usec_now() - start);
		atomic_fetch_add(&q->tips, n);
		atomic_fetch_add(&q->commits, 1);
	}
	for (i = 0; i < n; i++) {
		batch[i]->result = results[i];
		for (j = 0; j < TL_REF_SIZE; j++)
			batch[i]->ref[j] = refs[i][j];
	}
	return q->store != NULL && results[0] == TL_ESTORE &&
	    tl_store_busy(q->store);
}

/* Wakes each of n items done with result; the caller is not among them. */
static void
finish(struct item **batch, size_t n, const struct item *me)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		batch[i]->done = 1;
		if (batch[i] != me)
			sem_post(&batch[i]->wake);
	}
}

/* After a commit that found the store locked: fails every queued
 * submission and starts the back-off; lock held. */
static void
fail_queued(struct tl_commitq *q)
{
	struct item	*batch[TL_COMMITQ_BATCH];
	size_t		 i, n;

	q->busy_until = usec_now() + BUSY_BACKOFF_US;
	while ((n = take(q, batch)) > 0) {
		for (i = 0; i < n; i++)
			batch[i]->result = TL_ESTORE;
		finish(batch, n, NULL);
	}
}

/*
 * Leads one commit: takes the queue's first tips (me among them: a leader
 * is always at the head), commits them, then wakes whoever is queued first
 * to lead the next commit and each caller of this one. The wake-ups happen
 * after the lock is released, by semaphore, so a woken thread runs without
 * waiting for the lock: one wake-up per tip, no convoy behind the leader.
 */
static void
lead(struct tl_commitq *q, struct item *me)
{
	struct item	*batch[TL_COMMITQ_BATCH], *next;
	size_t		 n;
	int		 busy;

	pthread_mutex_lock(&q->lock);
	n = take(q, batch);
	pthread_mutex_unlock(&q->lock);
	busy = commit(q, batch, n);
	pthread_mutex_lock(&q->lock);
	if (busy)
		fail_queued(q);
	if ((next = q->head) == NULL)
		q->leading = 0;
	pthread_mutex_unlock(&q->lock);
	if (next != NULL)
		sem_post(&next->wake);
	finish(batch, n, me);
}

enum tl_err
tl_commitq_add(struct tl_commitq *q, const struct tl_submit *sub,
    char ref[TL_REF_SIZE])
{
	struct item	 me = { sub, ref, TL_ESTORE, 0, { { 0 } }, NULL };
	int		 leader;

	if (sem_init(&me.wake, 0, 0) == -1)
		return TL_ESTORE;
	pthread_mutex_lock(&q->lock);
	if (q->busy_until != 0 && usec_now() < q->busy_until) {
		pthread_mutex_unlock(&q->lock);
		sem_destroy(&me.wake);
		return TL_ESTORE;
	}
	if (q->tail != NULL)
		q->tail->next = &me;
	else
		q->head = &me;
	q->tail = &me;
	if ((leader = !q->leading))
		q->leading = 1;
	pthread_mutex_unlock(&q->lock);
	if (!leader)
		while (sem_wait(&me.wake) == -1 && errno == EINTR)
			continue;
	if (!me.done)
		lead(q, &me);
	sem_destroy(&me.wake);
	return me.result;
}
