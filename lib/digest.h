/*
 * digest.h — floods (SPEC 15): when more than digest_after normal tips
 * become due within TL_DIGEST_WINDOW seconds, the rest go as one
 * tips.digest notification (at most TL_DIGEST_MAX refs each) instead of
 * one notification each. Urgent tips always go one by one.
 *
 * In the store, a digest is a delivery with no tip (kind 'tips.digest');
 * each tip folded into it keeps its own delivery, with digest_id set,
 * which no notifier leases: it follows its digest (delivered or dead
 * with it). A digest waits TL_DIGEST_HOLD seconds after it is opened, so
 * that one burst makes one digest, not one a poll; the tips of the burst
 * that come due meanwhile join it.
 */
#ifndef TL_DIGEST_H
#define TL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "ref.h"
#include "store.h"

#define TL_DIGEST_WINDOW	300	/* s: the window digest_after counts */
#define TL_DIGEST_MAX		100	/* refs in one digest */
#define TL_DIGEST_HOLD		10	/* s a digest gathers before it is due */
#define TL_DIGEST_KIND		"tips.digest"

/* A digest as the notifier sends it. */
struct tl_digest {
	size_t	 count;
	char	 refs[TL_DIGEST_MAX][TL_REF_SIZE];	/* oldest first */
	int64_t	 from, to;	/* received_at of the first and the last */
};

/*
 * Folds the normal tips due at now beyond digest_after in the window
 * (counting those sent one by one in it) into open digests, in one
 * transaction. *folded: how many. digest_after 0 does nothing. Returns
 * TL_OK or TL_ESTORE.
 */
enum tl_err tl_digest_fold(struct tl_store *s, int64_t now,
	    long digest_after, size_t *folded);
/* The same inside a transaction the caller holds (BEGIN IMMEDIATE):
 * the lease folds and leases in one, so that no tip arriving between the
 * two is leased alone. */
enum tl_err tl_digest_fold_in(struct tl_store *s, int64_t now,
	    long digest_after, size_t *folded);

/* Reads the tips folded into digest delivery id into d: TL_OK or
 * TL_ESTORE. */
enum tl_err tl_digest_read(struct tl_store *s, int64_t id,
	    struct tl_digest *d);

#endif
