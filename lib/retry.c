/*
 * retry.c — delivery outcomes and the retry schedule (SPEC 6).
 */
#include "retry.h"

enum tl_verdict
tl_retry_judge(long status, long retry_after, unsigned attempts,
    const long *waits, size_t nwaits, uint32_t rnd, int64_t now,
    int64_t *next_at)
{
	int64_t	 wait, jitter;

	if (status >= 200 && status <= 299)
		return TL_DELIVERED;
	if (status == 410 || attempts == 0 || attempts > nwaits)
		return TL_DEAD;
	wait = waits[attempts - 1];
	jitter = wait / 10;
	if (jitter > 0)
		wait += (int64_t)(rnd % (uint64_t)(jitter + 1));
	if (retry_after > TL_RETRY_AFTER_MAX)
		retry_after = TL_RETRY_AFTER_MAX;
	if (retry_after > wait)
		wait = retry_after;
	*next_at = now + wait;
	return TL_RETRY;
}
