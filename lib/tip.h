/*
 * tip.h — a stored tip as its readers see it (the notifier's summaries,
 * tiplinectl, the desk), how its sealed fields are sealed against its
 * row (SPEC 11; opening them is tip_staff.h's), and the small helpers
 * every reader of tips uses: the time as RFC 3339 and the concerns as a
 * JSON array.
 *
 * In the intake store a tip is its plaintext columns (ref, received_at,
 * priority, the fields whose tl_fields[].column is set, area and the
 * `has` counts) and one sealed blob holding every other field: what a
 * person wrote. The blob is bound to all of those columns, so it opens
 * only on its own, unchanged row.
 */
#ifndef TL_TIP_H
#define TL_TIP_H

#include <stdint.h>

#include <jansson.h>

#include "ref.h"
#include "report.h"
#include "seal.h"
#include "store.h"

#define TL_AREA_SIZE	8	/* an outward code and NUL */

/* A stored tip. */
struct tl_tip {
	int64_t		 id;		/* intake row id (AUTOINCREMENT) */
	char		 ref[TL_REF_SIZE];
	int64_t		 received_at;	/* Unix seconds, UTC */
	struct tl_report report;	/* priority; value[] of the plaintext
					   fields; sealed ones NULL until
					   tl_tip_unseal() (tip_staff.h) */
	char		 area[TL_AREA_SIZE]; /* postcode's outward code or "" */
	int		 has_people;	/* people were described */
	int		 has_vehicles;	/* vehicles were described */
	int		 nphones;	/* phone numbers given */
	uint8_t		*sealed;	/* owned; the blob */
	size_t		 sealed_len;
	int		 has_sender;	/* a follow-up key (SPEC 13) */
	uint8_t		 sender_pk[TL_SEAL_KEYBYTES];
	uint8_t		 sender_salt[TL_SEAL_SALTBYTES];
	int		 has_gone;	/* the sender ended the conversation:
					   key and salt deleted, this kept */
	uint8_t		 sender_gone[TL_SEAL_COMMITBYTES];
};

/* Frees what t owns (its report's strings wiped) and clears it. */
void tl_tip_free(struct tl_tip *t);

/*
 * Sets the plaintext columns of t from a validated report r: priority
 * and plaintext fields (borrowed: t->report is a shallow copy of *r and
 * must not be freed with tl_tip_free()), area and counts, with ref and
 * received_at. For intake, before tl_tip_seal().
 */
void tl_tip_view(struct tl_tip *t, const char *ref, int64_t received_at,
	    const struct tl_report *r);

/*
 * Seals the sealed fields of t->report (every field whose column is NULL,
 * with a value) to the staff public key pk, bound to t's columns. Writes
 * a new blob to *blob (the caller frees it; it holds no plaintext).
 * Returns TL_OK, TL_ENOMEM or TL_EINVAL (reason in err).
 */
enum tl_err tl_tip_seal(const struct tl_tip *t,
	    const uint8_t pk[TL_SEAL_KEYBYTES], uint8_t **blob, size_t *len,
	    char *err, size_t errlen);

/*
 * Seals fields[0..n) as they are (any names, in that order) to pk, bound
 * to t's columns as tl_tip_seal() binds them; tl_tip_seal() is this with
 * t's sealed fields. For tests that make what a writer could: the fuzz
 * target of the desk's reading of intake rows. Returns as tl_tip_seal().
 */
enum tl_err tl_tip_seal_fields(const struct tl_tip *t,
	    const uint8_t pk[TL_SEAL_KEYBYTES],
	    const struct tl_seal_field *fields, size_t n, uint8_t **blob,
	    size_t *len, char *err, size_t errlen);

/*
 * Makes sub ready to store its report under ref: seals the sealed fields
 * to pk (the blob into *blob, which the caller frees; it holds no
 * plaintext) and sets sub's reference and plaintext columns, which
 * borrow from view (keep it while sub is used). received_at and the
 * report must be set in sub. Returns TL_OK, TL_ENOMEM or TL_EINVAL
 * (reason in err).
 */
enum tl_err tl_tip_prepare(struct tl_submit *sub, struct tl_tip *view,
	    const char *ref, const uint8_t pk[TL_SEAL_KEYBYTES],
	    uint8_t **blob, char *err, size_t errlen);

/* r's concerns, in table order, as a JSON array of names (a new
 * reference), or NULL out of memory. */
json_t *tl_concerns_json(const struct tl_report *r);

/* RFC 3339 UTC ("2026-11-28T04:05:06Z") of t into out (21 bytes, always
 * 20 characters and a NUL): a t before 1970 or after 9999 is written as
 * the first or last second of that range. */
void tl_time_rfc3339(int64_t t, char out[21]);

#endif
