/*
 * tip.h — a stored tip as its readers see it (the notifier's summaries,
 * tiplinectl), and the small helpers every reader of tips uses: the time
 * as RFC 3339 and the concerns as a JSON array.
 */
#ifndef TL_TIP_H
#define TL_TIP_H

#include <stdint.h>

#include <jansson.h>

#include "ref.h"
#include "report.h"

/* A stored tip. */
struct tl_tip {
	char		 ref[TL_REF_SIZE];
	int64_t		 received_at;	/* Unix seconds, UTC */
	struct tl_report report;	/* value[], concerns, phones, priority */
};

/* r's concerns, in table order, as a JSON array of names (a new
 * reference), or NULL out of memory. */
json_t *tl_concerns_json(const struct tl_report *r);

/* RFC 3339 UTC ("2026-11-28T04:05:06Z") of t into out (21 bytes). */
void tl_time_rfc3339(int64_t t, char out[21]);

#endif
