/*
 * outbox.h — the store's deliveries, as the notifier and tiplinectl use
 * them (SPEC 6, 7). A delivery is leased before it is sent, so several
 * notifiers never send one at the same time; a lease left by a crashed
 * notifier runs out and the delivery is due again.
 */
#ifndef TL_OUTBOX_H
#define TL_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "retry.h"
#include "store.h"
#include "tip.h"

#define TL_WEBHOOK_ID_SIZE	40

struct tl_digest;

/* What a tip's delivery announces (deliveries.kind). A reminder (SPEC
 * 12) and an update (SPEC 13) carry no content, only the desk's link. */
enum tl_delivery_kind {
	TL_DELIVERY_RECEIVED,	/* tip.received: the summary */
	TL_DELIVERY_REMINDER,	/* tip.reminder */
	TL_DELIVERY_UPDATED,	/* tip.updated */
};

/* A leased delivery and the tip it is about, or the digest of tips
 * (SPEC 15) it is (tip then empty). */
struct tl_delivery {
	int64_t		 id;
	char		 webhook_id[TL_WEBHOOK_ID_SIZE];
	unsigned	 attempts;	/* attempts made before this one */
	struct tl_tip	 tip;
	struct tl_digest *digest;	/* set for a tips.digest */
	enum tl_delivery_kind kind;	/* what it announces of its tip */
	int64_t		 created_at;	/* when it was queued */
};

/*
 * Leases up to max deliveries that are pending, due at now and not leased
 * (urgent first, then oldest), until lease_until, for owner, having first
 * folded a flood of normal tips into digests (digest_after; 0: none) in
 * the same transaction, so no tip is leased alone past it. Fills out[]
 * and *n. The lease is committed before this returns; no transaction stays
 * open. The caller frees each with tl_delivery_free().
 */
enum tl_err tl_outbox_lease(struct tl_store *s, int64_t now,
	    int64_t lease_until, long digest_after, const char *owner,
	    struct tl_delivery *out, size_t max, size_t *n);

/*
 * Records an attempt on a delivery that owner holds: TL_DELIVERED,
 * TL_RETRY (due again at next_at) or TL_DEAD, with the HTTP status (0 for
 * none) and an error text (no tip content) or NULL. Clears the lease and
 * counts the outcome. TL_ENOTFOUND if owner no longer holds the lease.
 */
enum tl_err tl_outbox_finish(struct tl_store *s, int64_t id,
	    const char *owner, enum tl_verdict v, int64_t next_at, long status,
	    const char *error, int64_t now);

/*
 * Extends owner's lease on a delivery to lease_until just before it is
 * sent, so that a long batch never outlives its leases. TL_ENOTFOUND when
 * the lease already ran out (another notifier may hold it now): the
 * delivery must then not be sent.
 */
enum tl_err tl_outbox_renew(struct tl_store *s, int64_t id,
	    const char *owner, int64_t now, int64_t lease_until);

/* Gives a lease back without an attempt (a clean stop). */
enum tl_err tl_outbox_release(struct tl_store *s, int64_t id,
	    const char *owner);

void tl_delivery_free(struct tl_delivery *d);


#endif
