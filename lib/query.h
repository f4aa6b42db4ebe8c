/*
 * query.h — what `tiplinectl` reads and changes in the store (SPEC 7):
 * listing, showing and exporting tips, purging old ones, the outbox, and
 * counts. tiplinectl's main only parses the command line and calls these.
 *
 * query.c holds the SQL; present.c writes what it reads. Text output is
 * for people: tip content passes through text.h, which shows control
 * characters as '?' (a tip cannot drive the admin's terminal) and bidi,
 * invisible and separator characters as markers ("⟨U+202E⟩"). JSON
 * output goes through jansson and json.h and keeps what was written.
 */
#ifndef TL_QUERY_H
#define TL_QUERY_H

#include <stdint.h>
#include <stdio.h>

#include "ref.h"
#include "seal.h"
#include "store.h"

#define TL_SINCE_ALL	INT64_MIN	/* no --since */

/* What `list` shows. */
struct tl_list_opts {
	int64_t		 since;		/* received at or after; TL_SINCE_ALL */
	int		 priority;	/* -1: any; else enum tl_priority */
	long		 limit;		/* most tips shown; 0: all */
	int		 json;		/* one JSON array instead of lines */
};

/*
 * Writes the tips o selects to out, newest first: one line a tip
 * (reference, time, priority with urgent as "URGENT", concerns, area,
 * delivery state) under a heading line, or with o->json one JSON array of
 * objects (ref, received_at, priority, concerns, area, delivery).
 * Streams row by row. Returns TL_OK, TL_ENOMEM, TL_EIO (out failed) or
 * TL_ESTORE (reason in tl_store_errmsg()).
 */
enum tl_err tl_query_list(struct tl_store *s, const struct tl_list_opts *o,
	    FILE *out);

/*
 * Writes every field of the tip ref (canonical, as tl_ref_parse() writes
 * it) to out, its seal opened with the staff secret key sk: labelled text
 * using tl_fields[]' labels and choice labels, or with json one object
 * with the keys of tl_query_export(). Returns TL_OK, TL_ENOTFOUND,
 * TL_ENOMEM, TL_EIO (out failed), TL_ESEALED (the seal did not open; said
 * on stderr) or TL_ESTORE.
 */
enum tl_err tl_query_show(struct tl_store *s,
	    const struct tl_seal_secret *sk, const char *ref, int json,
	    FILE *out);

/*
 * Writes the tip t (the desk's copy, SPEC 16: tl_desk_copy) as
 * tl_query_show() does, with its delivery as the intake store s says
 * (none when s is NULL or holds no row of it). TL_OK, TL_ENOMEM, TL_EIO.
 */
enum tl_err tl_query_show_copy(struct tl_store *s, const struct tl_tip *t,
	    int json, FILE *out);

/*
 * Writes the tips received at or after since (TL_SINCE_ALL: every tip) as
 * JSON Lines to out, oldest first, one tip a line, keys in a stable order:
 * ref, received_at (RFC 3339 UTC), priority, then the fields of SPEC 5.1 in
 * table order (concerns and phones as arrays, unanswered fields null).
 * Streams row by row, each tip's seal opened with sk. Returns TL_OK,
 * TL_ENOMEM, TL_EIO (out failed), TL_ESEALED (a tip did not open: said on
 * stderr and left out; the others are written) or TL_ESTORE.
 */
enum tl_err tl_query_export(struct tl_store *s,
	    const struct tl_seal_secret *sk, int64_t since, FILE *out);

/* The same, of the tips after intake id after only (those the desk has
 * not taken in, SPEC 16). */
enum tl_err tl_query_export_after(struct tl_store *s,
	    const struct tl_seal_secret *sk, int64_t since, int64_t after,
	    FILE *out);

/*
 * Deletes the tips received at or before cutoff (Unix seconds) and their
 * deliveries, with secure_delete on, then checkpoints the WAL with
 * TRUNCATE, so that their content is gone from the database file, its
 * freed pages and its WAL. The deleting is done in batches (SPEC 12): a
 * transaction deletes tips until it has held the store's write lock about
 * 40 ms (or batch_max tips, when batch_max > 0) and commits, and the
 * next waits 50 ms, so intake waits at most about 100 ms for it; the
 * tips are found outside any write transaction. With dry_run it only counts. *n is the number
 * deleted (or that would be); *batches, when not NULL, the transactions
 * committed. Returns TL_OK; TL_ENOMEM; TL_ESTORE when the store failed
 * (the batches committed before stay deleted, and counted in *n) or the
 * checkpoint could not finish (busy readers: the tips were deleted, but
 * old pages may stay in the WAL until the next complete checkpoint),
 * reason in tl_store_errmsg().
 */
enum tl_err tl_query_purge(struct tl_store *s, int64_t cutoff, int dry_run,
	    int64_t batch_max, int64_t *n, int64_t *batches);

/*
 * Writes the outbox to out, newest tip first, one line a delivery under a
 * heading: reference, state, attempts, next attempt time (pending only),
 * last HTTP status and last error. state is -1 for all or an enum
 * tl_outbox_state. Returns TL_OK, TL_ENOMEM or TL_ESTORE.
 */
enum tl_err tl_query_deliveries(struct tl_store *s, int state, FILE *out);

/*
 * Queues deliveries again: the one of tip ref, or every dead one when ref
 * is NULL. Each becomes pending, due at now, with no lease and 0 attempts,
 * keeping its webhook id (receivers dedupe on it). *n is how many were
 * queued. Returns TL_OK, TL_ENOTFOUND (no tip ref) or TL_ESTORE.
 */
enum tl_err tl_query_redeliver(struct tl_store *s, const char *ref,
	    int64_t now, int64_t *n);

/*
 * Writes counts of tips to out: the total, by priority, by concern (every
 * choice, zeros too) and by UTC day (oldest first), as text or, with
 * json, one object {"total", "by_priority", "by_concern", "by_day"}.
 * Returns TL_OK, TL_ENOMEM, TL_EIO (out failed) or TL_ESTORE.
 */
enum tl_err tl_query_stats(struct tl_store *s, int json, FILE *out);

#endif
