/*
 * webhook.h — what a triage receiver gets (SPEC 6): the summary of a tip
 * in the `standard` or `slack` format, and its Standard Webhooks signature.
 */
#ifndef TL_WEBHOOK_H
#define TL_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "ref.h"
#include "report.h"

/* "v1," and base64 of 32 bytes, and NUL. */
#define TL_SIG_SIZE	(3 + 45)

/* A stored tip, as the notifier and tiplinectl read it. */
struct tl_tip {
	char		 ref[TL_REF_SIZE];
	int64_t		 received_at;	/* Unix seconds, UTC */
	struct tl_report report;	/* value[], concerns, phones, priority */
};

/*
 * Signs "<id>.<timestamp>.<body>" with HMAC-SHA256 under key (keylen
 * bytes, any length) and writes "v1,<base64>" to out.
 */
void tl_webhook_sign(const uint8_t *key, size_t keylen, const char *id,
	    int64_t timestamp, const char *body, size_t len,
	    char out[TL_SIG_SIZE]);

/*
 * Builds the summary body of tip in format fmt at time now, with at most
 * excerpt_chars characters of the description (0: none). Returns a string
 * the caller frees with free(), or NULL out of memory.
 */
char *tl_webhook_body(const struct tl_tip *tip, enum tl_webhook_format fmt,
	    long excerpt_chars, int64_t now);

/* r's concerns, in table order, as a JSON array of names (a new
 * reference), or NULL out of memory. */
json_t *tl_concerns_json(const struct tl_report *r);

/* RFC 3339 UTC ("2026-11-28T04:05:06Z") of t into out (21 bytes). */
void tl_time_rfc3339(int64_t t, char out[21]);

#endif
