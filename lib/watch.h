/*
 * watch.h — what says that tips are not reaching staff (SPEC 15): the
 * notifier's heartbeat in the store, the age of the oldest pending
 * delivery by priority, dead deliveries nobody has acknowledged, and
 * `tiplinectl check`'s judgement of them. /metrics, `check` and
 * deploy/prometheus/tipline-alerts.yml watch the same three things.
 */
#ifndef TL_WATCH_H
#define TL_WATCH_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "store.h"

#define TL_WATCH_BEAT_EVERY	10	/* s: at most one heartbeat write */
#define TL_WATCH_STALE_AFTER	60	/* s: a heartbeat older is stale */

/* What the store says, at one time. */
struct tl_watch {
	int64_t	 heartbeat_age;		/* s since the notifier's beat;
					   -1: it never beat */
	int64_t	 oldest_pending[2];	/* s, by enum tl_priority; 0: none */
	int64_t	 dead_unacked;		/* dead deliveries not acknowledged */
};

/*
 * Records the notifier's heartbeat at now (one small durable commit).
 * Returns TL_OK or TL_ESTORE. The caller writes at most every
 * TL_WATCH_BEAT_EVERY seconds.
 */
enum tl_err tl_watch_beat(struct tl_store *s, int64_t now);

/* Reads the three readings at now into w: TL_OK or TL_ESTORE. */
enum tl_err tl_watch_read(struct tl_store *s, int64_t now,
	    struct tl_watch *w);

/*
 * Acknowledges dead deliveries, so that they no longer alert: those of
 * tip ref (and a digest it was folded into), the one with webhook id
 * whid (and the tips folded into it), or with both NULL every dead one.
 * *n: how many. Returns TL_OK; TL_ENOTFOUND when ref or whid names no
 * delivery; TL_ESTORE.
 */
enum tl_err tl_watch_ack(struct tl_store *s, const char *ref,
	    const char *whid, int64_t now, int64_t *n);

/*
 * `tiplinectl check`'s part: prints a line for each reading, naming what
 * is wrong (a stale heartbeat while a webhook is configured, an urgent
 * delivery pending longer than alert_urgent_after, an unacknowledged
 * dead delivery). Returns the number of problems (a store that cannot be
 * read is one).
 */
int tl_watch_check(const struct tl_config *cfg, int64_t now, FILE *out);

/* One line of `tiplinectl check`'s report to out: "ok: " (a fact) or
 * "error: " (a problem) and the text. Returns 1 for a problem, else 0. */
int tl_watch_say(FILE *out, int ok, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
