/*
 * commitq.c — leader-based group commit. See commitq.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commitq.h"

/* One waiting submission; lives on its caller's stack. */
struct item {
	const struct tl_submit	*sub;
	char			*ref;
	enum tl_err		 result;
	int			 done;
	pthread_cond_t		 wake;	/* done, or time to lead */
	struct item		*next;
};

struct tl_commitq {
	pthread_mutex_t	 lock;
	struct item	*head, *tail;	/* queued, not yet taken */
	int		 leading;	/* a commit is in progress */
	char		*path;		/* the store's file */
	struct tl_store	*store;		/* the writer; only the leader uses it */
	char		 err[256];	/* why the store could not be opened */
};

struct tl_commitq *
tl_commitq_new(const char *path)
{
	struct tl_commitq	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	if ((q->path = strdup(path)) == NULL) {
		free(q);
		return NULL;
	}
	if (pthread_mutex_init(&q->lock, NULL) != 0) {
		free(q->path);
		free(q);
		return NULL;
	}
	return q;
}

void
tl_commitq_free(struct tl_commitq *q)
{
	if (q == NULL)
		return;
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
 * without the lock. */
static void
commit(struct tl_commitq *q, struct item **batch, size_t n)
{
	const struct tl_submit	*subs[TL_COMMITQ_BATCH];
	char			 refs[TL_COMMITQ_BATCH][TL_REF_SIZE];
	enum tl_err		 results[TL_COMMITQ_BATCH];
	size_t			 i, j;

	for (i = 0; i < n; i++) {
		subs[i] = batch[i]->sub;
		results[i] = TL_ESTORE;
		refs[i][0] = '\0';
	}
	if (q->store != NULL || tl_store_attach(q->path, &q->store, q->err,
	    sizeof(q->err)) == TL_OK)
		tl_store_add_batch(q->store, subs, n, refs, results);
	for (i = 0; i < n; i++) {
		batch[i]->result = results[i];
		for (j = 0; j < TL_REF_SIZE; j++)
			batch[i]->ref[j] = refs[i][j];
	}
}

/*
 * Ends a commit (lock held): wakes each caller of the batch, then the
 * first one still queued, who leads the next commit. Nobody else wakes,
 * so a commit costs one wake-up per tip, not one per waiting thread.
 */
static void
finish(struct tl_commitq *q, struct item **batch, size_t n,
    const struct item *me)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		batch[i]->done = 1;
		if (batch[i] != me)
			pthread_cond_signal(&batch[i]->wake);
	}
	q->leading = 0;
	if (q->head != NULL)
		pthread_cond_signal(&q->head->wake);
}

enum tl_err
tl_commitq_add(struct tl_commitq *q, const struct tl_submit *sub,
    char ref[TL_REF_SIZE])
{
	struct item	 me = { sub, ref, TL_ESTORE, 0,
	    PTHREAD_COND_INITIALIZER, NULL };
	struct item	*batch[TL_COMMITQ_BATCH];
	size_t		 n;

	pthread_mutex_lock(&q->lock);
	if (q->tail != NULL)
		q->tail->next = &me;
	else
		q->head = &me;
	q->tail = &me;
	while (!me.done) {
		if (q->leading) {
			pthread_cond_wait(&me.wake, &q->lock);
			continue;
		}
		q->leading = 1;
		n = take(q, batch);
		pthread_mutex_unlock(&q->lock);
		commit(q, batch, n);
		pthread_mutex_lock(&q->lock);
		finish(q, batch, n, &me);
	}
	pthread_mutex_unlock(&q->lock);
	pthread_cond_destroy(&me.wake);
	return me.result;
}
