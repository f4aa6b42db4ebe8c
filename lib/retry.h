/*
 * retry.h — what happens to a delivery after an attempt (SPEC 6).
 */
#ifndef TL_RETRY_H
#define TL_RETRY_H

#include <stddef.h>
#include <stdint.h>

#define TL_RETRY_AFTER_MAX	86400	/* longest Retry-After honoured (s) */

enum tl_verdict {
	TL_DELIVERED,	/* 2xx */
	TL_RETRY,	/* try again at *next_at */
	TL_DEAD,	/* 410, or the schedule is used up */
};

/*
 * Judges an attempt. status is the HTTP status, or 0 when there was no
 * answer; retry_after the receiver's Retry-After in seconds, or -1;
 * attempts the attempts made so far including this one; waits/nwaits the
 * retry schedule; rnd a random number for the jitter (up to 10% of the
 * wait). For TL_RETRY sets *next_at to now plus the wait, or plus
 * Retry-After (at most TL_RETRY_AFTER_MAX) when that is longer.
 */
enum tl_verdict tl_retry_judge(long status, long retry_after,
	    unsigned attempts, const long *waits, size_t nwaits,
	    uint32_t rnd, int64_t now, int64_t *next_at);

#endif
