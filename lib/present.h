/*
 * present.h — how tiplinectl shows what query.c reads from the store:
 * text for people, JSON for tools (SPEC 7). No SQL here.
 *
 * Text goes through text.h: control characters cannot drive the admin's
 * terminal, and characters that could hide or reorder a tip are shown as
 * markers ("⟨U+202E⟩"). JSON goes through jansson and json.h, keeping
 * what was written, with U+2028 and U+2029 escaped so that a JSON Lines
 * record is one line for every tool.
 */
#ifndef TL_PRESENT_H
#define TL_PRESENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "store.h"
#include "tip.h"

/* One delivery as `deliveries` lists it. Strings are borrowed. */
struct tl_present_delivery {
	const char		*ref;		/* NULL: a digest's */
	const char		*kind;		/* tip.received, tips.digest… */
	const char		*webhook_id;	/* what --ack takes */
	enum tl_outbox_state	 state;		/* TL_OUT__MAX: unreadable */
	int			 attempts;
	int64_t			 next_at;	/* shown when pending */
	int			 has_status;	/* last_status is set */
	int64_t			 status;	/* last HTTP status */
	const char		*error;		/* last error, or NULL */
};

/*
 * `list`: the heading (or "[" with json), then each tip with its delivery
 * state (NULL: none) as a line or an array element (n: tips written
 * before it), then the end. A row returns TL_OK, TL_ENOMEM or TL_EIO.
 */
void		 tl_present_list_head(FILE *out, int json);
enum tl_err	 tl_present_list_row(FILE *out, const struct tl_tip *t,
		    const char *delivery, int json, size_t n);
void		 tl_present_list_end(FILE *out, int json, size_t n);

/*
 * `show`: every field of t under its label, with its delivery state
 * (NULL: none) and attempts, or with json the object tl_present_export()
 * writes, indented. Returns TL_OK, TL_ENOMEM or TL_EIO.
 */
enum tl_err	 tl_present_tip(FILE *out, const struct tl_tip *t,
		    const char *delivery, int attempts, int json);

/*
 * `export`: t as one JSON line, keys in a stable order: ref, received_at
 * (RFC 3339 UTC), priority, then the fields of SPEC 5.1 in table order
 * (concerns and phones as arrays, unanswered fields null). Returns TL_OK,
 * TL_ENOMEM or TL_EIO.
 */
enum tl_err	 tl_present_export(FILE *out, const struct tl_tip *t);

/* `deliveries`: the heading, then one line a delivery: its tip (- for a
 * digest), type, state, attempts, next attempt, last status, webhook id
 * (what --ack takes) and last error. A line returns TL_OK or
 * TL_ENOMEM. */
void		 tl_present_deliveries_head(FILE *out);
enum tl_err	 tl_present_delivery(FILE *out,
		    const struct tl_present_delivery *d);

/*
 * `stats`: the object {"total", "by_priority", "by_concern", "by_day"}
 * as text blocks, or with json as it is. Returns TL_OK, TL_ENOMEM or
 * TL_EIO.
 */
enum tl_err	 tl_present_stats(FILE *out, const json_t *o, int json);

#endif
