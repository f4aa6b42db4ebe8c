/*
 * desk_csrf.h — the desk's form tokens (SPEC 12): a `csrf` field that
 * proves a POST came from a form the desk gave this staff member in the
 * last 12 hours, and the same-origin check that goes with it.
 *
 * A token is URL-safe base64 (no padding) of 8 bytes of issue time (Unix
 * seconds, big-endian) and the MAC (seal_staff.h: tl_seal_mac, keyed from
 * the staff secret key) over "tipline-csrf-v1", NUL, the staff name, NUL and
 * those 8 bytes. It names nobody in clear and holds no secret.
 */
#ifndef TL_DESK_CSRF_H
#define TL_DESK_CSRF_H

#include <stddef.h>
#include <stdint.h>

#include "seal_staff.h"

#define TL_CSRF_MAX_AGE	(12 * 3600)	/* seconds a token is valid */
#define TL_CSRF_LEN	55		/* characters of a token, and NUL */

/* A token for name at now into out. */
void tl_csrf_issue(const struct tl_seal_mackey *k, const char *name,
	    int64_t now, char out[TL_CSRF_LEN]);

/* Whether token (NULL: absent) is valid for name at now: issued by k for
 * this name, not in the future (a minute's slack) nor older than
 * TL_CSRF_MAX_AGE. 1 or 0; the MAC is compared in constant time. */
int tl_csrf_valid(const struct tl_seal_mackey *k, const char *name,
	    int64_t now, const char *token);

/*
 * Whether a request is same-origin: Sec-Fetch-Site is "same-origin"; or,
 * without it, Origin is staff_url's origin (scheme, host and port); or
 * neither header came (a browser that sends neither is not one a
 * cross-site page can drive). Empty counts as absent. 1 or 0.
 */
int tl_csrf_same_origin(const char *staff_url, const char *sec_fetch_site,
	    const char *origin);

/*
 * Whether a GET is a person opening a page (SPEC 16: reading never
 * changes state, but the first opening of a tip stops its reminders): a
 * same-origin or typed-in navigation (Sec-Fetch-Site "same-origin" or
 * "none" with Sec-Fetch-Mode "navigate"); or, from a browser that sends
 * no Sec-Fetch-Site, a request without Origin. An <img>, a fetch or a
 * frame from another site never is. Empty counts as absent. 1 or 0.
 */
int tl_csrf_person_opened(const char *sec_fetch_site,
	    const char *sec_fetch_mode, const char *origin);

#endif
