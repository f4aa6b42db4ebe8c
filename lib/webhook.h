/*
 * webhook.h — what a triage receiver gets (SPEC 6): the summary of a tip
 * in the `standard` or `slack` format, and its Standard Webhooks signature.
 */
#ifndef TL_WEBHOOK_H
#define TL_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "tip.h"

/* "v1," and base64 of 32 bytes, and NUL. */
#define TL_SIG_SIZE	(3 + 45)

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

/*
 * The same with `link` (staff_url + "/tips/" + ref, SPEC 12) when
 * staff_url is not NULL: a member of the standard body's data, and the
 * end of the Slack text.
 */
char *tl_webhook_body_link(const struct tl_tip *tip,
	    enum tl_webhook_format fmt, long excerpt_chars,
	    const char *staff_url, int64_t now);

/*
 * The body of a tip.reminder (SPEC 12): an urgent tip nobody has opened
 * in the desk. No content: in the standard format {"type":
 * "tip.reminder", "timestamp", "data": {"ref", "priority",
 * "received_at", "link"}}; in the slack format one line naming the ref.
 * staff_url may be NULL (no link). Returns a string to free(), or NULL
 * out of memory.
 */
char *tl_webhook_reminder_body(const struct tl_tip *tip,
	    enum tl_webhook_format fmt, const char *staff_url, int64_t now);

/*
 * The body of a tip.updated (SPEC 13): the sender of ref added a message
 * at updated_at. No content (no message, no code): in the standard format
 * {"type": "tip.updated", "timestamp", "data": {"ref", "priority",
 * "updated_at", "link"}}; in the slack format one line naming the ref.
 * staff_url may be NULL (no link). Returns a string to free(), or NULL
 * out of memory.
 */
char *tl_webhook_updated_body(const struct tl_tip *tip,
	    enum tl_webhook_format fmt, const char *staff_url,
	    int64_t updated_at, int64_t now);

struct tl_digest;

/*
 * The body of a tips.digest (SPEC 15): in the standard format
 * {"type": "tips.digest", "timestamp", "data": {"count", "refs", "from",
 * "to"[, "link"]}}, in the slack format one line of text. No content of
 * any tip. staff_url may be NULL. Returns a string to free(), or NULL
 * out of memory.
 */
char *tl_webhook_digest_body(const struct tl_digest *d,
	    enum tl_webhook_format fmt, const char *staff_url, int64_t now);

#endif
