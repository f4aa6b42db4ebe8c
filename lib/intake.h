/*
 * intake.h — submissions of tips (SPEC 4, 5): the form (POST
 * {base_path}/) and the JSON API (POST {base_path}/api/v1/tips), in the
 * order of checks SPEC 5.4 gives. app.c routes to these; they see only
 * the narrow context below, not the application.
 */
#ifndef TL_INTAKE_H
#define TL_INTAKE_H

#include <stdatomic.h>
#include <stdint.h>

#include "commitq.h"
#include "followup.h"
#include "page.h"
#include "request.h"
#include "response.h"
#include "store.h"
#include "seal.h"
#include "token.h"

/* Outcomes of submissions, for /metrics (SPEC 4). */
enum tl_outcome {
	TL_OC_ACCEPTED,
	TL_OC_INVALID,
	TL_OC_MALFORMED,
	TL_OC_SPAM,
	TL_OC_DUPLICATE,
	TL_OC_STORE_ERROR,
	TL_OC__MAX
};

/* The metrics' name of an outcome ("accepted", …). */
const char *tl_outcome_name(enum tl_outcome oc);

/* Counters since the process started; intake adds, /metrics reads. */
struct tl_intake_counts {
	atomic_ulong	 outcomes[TL_OC__MAX];
	atomic_ulong	 accepted[2];	/* by enum tl_priority */
	atomic_ullong	 last_store_us;	/* the last tip took this long to
					   seal and store (honeypot pacing) */
};

/* What intake needs, all borrowed from its owner, who keeps them alive
 * and unchanged while requests run. */
struct tl_intake {
	const struct tl_pages	*pages;
	const uint8_t		*form_key;	/* TL_FORM_KEYBYTES */
	const uint8_t		*staff_pk;	/* seals every tip (SPEC 11) */
	const uint8_t		*idem_hash_key;	/* keyed hashes of the API's */
	const uint8_t		*body_hash_key;	/* Idempotency-Key and body */
	long			 form_min_seconds;
	long			 form_max_age;
	struct tl_commitq	*commitq;	/* group commit of tips */
	struct tl_intake_counts	*counts;
	struct tl_followup	*followup;	/* codes on receipts */
};

/*
 * Each answers one submission into res. store is the calling thread's
 * handle for look-ups (NULL when it could not be opened: the store then
 * counts as failed); tips are written through in->commitq. The form's
 * pages are in language lang (an index of tl_pages_nlangs()); the API's
 * messages in the first. Thread-safe.
 */
void tl_intake_form(const struct tl_intake *in, size_t lang,
	    struct tl_store *store, const struct tl_request *req,
	    struct tl_response *res);
void tl_intake_api(const struct tl_intake *in, struct tl_store *store,
	    const struct tl_request *req, struct tl_response *res);

#endif
