/*
 * entity.h — the things in a tip that connect it to other tips (SPEC 12):
 * phone numbers, UK vehicle registrations, full postcodes and social
 * media handles, found in free text and normalised so that two tips that
 * wrote the same thing differently hold the same value.
 *
 * Normal forms:
 *	phone	 E.164 by tl_phone_normalise() ("+447700900123")
 *	partial	 the digits of a partial number ("123" from "ends 123"):
 *		 searchable, but never a link (one in a thousand share it)
 *	vehicle	 upper case, no spaces ("AB12CDE"): the current format
 *		 (AB12 CDE), prefix (A123 BCD) and suffix (ABC 123D) plates
 *	postcode a full postcode by tl_postcode_normalise() ("SO14 3JJ");
 *		 an outward code alone is an area, not an entity
 *	handle	 "@" and the name in lower case ("@jaybee"), from "@name"
 *		 or a profile link of a common site (instagram.com/name,
 *		 tiktok.com/@name, x.com/name, t.me/name, …)
 */
#ifndef TL_ENTITY_H
#define TL_ENTITY_H

#include <stddef.h>

#include "tl.h"

enum tl_entity_kind {
	TL_ENT_PHONE,
	TL_ENT_PARTIAL,
	TL_ENT_VEHICLE,
	TL_ENT_POSTCODE,
	TL_ENT_HANDLE,
	TL_ENT__MAX
};

#define TL_ENTITY_MAX	48	/* bytes of a normalised value and NUL */

/* "phone", "partial", "vehicle", "postcode", "handle"; never NULL. */
const char *tl_entity_kind_name(enum tl_entity_kind kind);

/* The kind called name, or -1. */
int tl_entity_kind_parse(const char *name);

/* Whether two tips holding the same value of kind are linked: 1 for
 * every kind but TL_ENT_PARTIAL. */
int tl_entity_links(enum tl_entity_kind kind);

/* Called once for each entity found (a value may come twice; the store
 * folds duplicates). Returns 0 to go on, non-zero to stop. */
typedef int tl_entity_fn(void *arg, enum tl_entity_kind kind,
	    const char *value);

/*
 * Finds the entities in text (NUL-terminated UTF-8; NULL is empty) and
 * calls fn for each, in the order they appear. Returns 0, or fn's
 * non-zero answer that stopped it. Never allocates, never fails.
 */
int tl_entity_extract(const char *text, tl_entity_fn *fn, void *arg);

/*
 * Normalises in as a value of kind (what a person types in a search or a
 * URL) into out (TL_ENTITY_MAX bytes). Returns TL_OK, or TL_EINVAL when
 * in is not one.
 */
enum tl_err tl_entity_normalise(enum tl_entity_kind kind, const char *in,
	    char out[TL_ENTITY_MAX]);

/*
 * Whether the whole of q (a search) is one entity: its kind, with the
 * value in out; -1 when it is none. Tried in the order phone, vehicle,
 * postcode, handle, partial (3 to 6 digits, or "ends 123").
 */
int tl_entity_guess(const char *q, char out[TL_ENTITY_MAX]);

#endif
