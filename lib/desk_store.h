/*
 * desk_store.h — the desk's own store, `staff_database` (SPEC 12): the
 * plaintext copy of every ingested tip, its state, assignee, grade, notes
 * and state history, the entity index that links tips, the full-text
 * index (FTS5), the append-only audit log, the ingest cursor and the
 * heartbeat. Out of reach of the public programs; tipline-staff owns it.
 *
 * A handle is used by one thread at a time; each thread opens its own.
 * Reads return jansson values (new references) so that the tip page, its
 * JSON and tiplinectl render one shape.
 *
 * The audit log is append-only in the schema itself: triggers RAISE on
 * any UPDATE, and on any DELETE except inside tl_desk_purge(), which
 * opens a guard row naming a cutoff and may then delete only entries
 * older than it, and closes the guard in the same transaction. (The
 * triggers stop a program's mistake, not whoever holds the file.)
 */
#ifndef TL_DESK_STORE_H
#define TL_DESK_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "report.h"
#include "seal.h"
#include "tl.h"

struct tl_desk_store;

/* The states of a tip, in the order staff move them. */
enum tl_desk_state { TL_DESK_NEW, TL_DESK_IN_REVIEW, TL_DESK_ACTIONED,
	TL_DESK_CLOSED, TL_DESK__MAX };

/* "new", "in_review", "actioned", "closed"; "unknown" out of range. */
const char *tl_desk_state_name(enum tl_desk_state s);
/* The state called name, or -1. */
int tl_desk_state_parse(const char *name);

/*
 * A tip as the intake store holds it, opened (or not) for the desk: the
 * one shape ingest takes, whichever host or file it comes from. Strings
 * are borrowed.
 */
struct tl_desk_in {
	int64_t			 intake_id;	/* its id in its intake store */
	const char		*ref;
	int64_t			 received_at;
	enum tl_priority	 priority;
	const char		*area;		/* outward code or NULL */
	const struct tl_report	*report;	/* value[] of every field
						   (concerns included); NULL
						   when it did not open */
	const char		*fault;		/* NULL: opened; else why
						   not (never shown as text
						   of the tip) */
	const char		*digest;	/* of the row as stored: a
						   later change is seen */
	const uint8_t		*sender_pk;	/* TL_SEAL_KEYBYTES: the
						   sender's follow-up key, or
						   NULL; kept only with a
						   report (it opened) */
	const uint8_t		*sender_commit;	/* TL_SEAL_COMMITBYTES: its
						   commitment, or NULL */
};

/*
 * Opens (creating if needed) the desk's store at path and brings its
 * schema up to date. TL_OK, or TL_ESTORE with the reason in err. Close
 * with tl_desk_store_close().
 */
enum tl_err tl_desk_store_open(const char *path, struct tl_desk_store **out,
	    char *err, size_t errlen);
void tl_desk_store_close(struct tl_desk_store *d);
/* The last SQLite error of d (never tip content). */
const char *tl_desk_store_errmsg(const struct tl_desk_store *d);

/* The intake id ingest has reached (0 before the first). */
enum tl_err tl_desk_cursor(struct tl_desk_store *d, int64_t *cursor);

/*
 * Ingests tips[0..n) in one transaction, and moves the cursor to cursor
 * in it, so a crash at any point neither misses nor doubles a tip. A ref
 * already held is not changed: if its digest differs, the tip is flagged
 * `changed` (and audited) instead. A tip that did not open (report NULL)
 * is taken in as urgent, whatever its priority column says: it cannot be
 * proven (SPEC 16). *added: how many were new. TL_OK or
 * TL_ESTORE (nothing changed); TL_ENOMEM.
 */
enum tl_err tl_desk_ingest(struct tl_desk_store *d,
	    const struct tl_desk_in *const *tips, size_t n, int64_t cursor,
	    int64_t now, size_t *added);

/*
 * Gives up on the intake row before cursor that could not be read (SPEC
 * 16), in one transaction: t (NULL when not even its reference could be
 * read) is taken in as a tip with t->fault and no content, the cursor
 * moved to cursor, ingest_skipped counted, the retries forgotten and why
 * audited. TL_OK; TL_ESTORE (nothing changed); TL_ENOMEM.
 */
enum tl_err tl_desk_skip(struct tl_desk_store *d, const struct tl_desk_in *t,
	    int64_t cursor, int64_t now, const char *why);

/*
 * Ingests tips[0..n), intake rows found below the cursor that the desk
 * lacked (SPEC 16: their ids changed), as tl_desk_ingest() but leaving
 * the cursor: each new one is flagged changed, audited and counted
 * (tl_desk_ingest_odd). *added: how many were new. TL_OK, TL_ESTORE,
 * TL_ENOMEM.
 */
enum tl_err tl_desk_ingest_found(struct tl_desk_store *d,
	    const struct tl_desk_in *const *tips, size_t n, int64_t now,
	    size_t *added);

/* Whether the desk holds a tip of ref: *held. TL_OK or TL_ESTORE. */
enum tl_err tl_desk_holds(struct tl_desk_store *d, const char *ref,
	    int *held);

/*
 * The intake store's tip ids (with messages set, its message ids) went
 * back to seq, below the cursor (its sqlite_sequence set back, or an
 * older copy restored): that cursor is set to the highest intake id of
 * a tip (a message) the desk holds up to seq (*cursor), and the event
 * counted and audited, in one transaction. What lies between is read
 * again; what the desk holds is not changed. TL_OK or TL_ESTORE.
 */
enum tl_err tl_desk_rewind(struct tl_desk_store *d, int messages,
	    int64_t seq, int64_t now, int64_t *cursor);

/* Counts a message row given up on (SPEC 16: it could not be read in 3
 * rounds) in ingest_skipped, forgets the retries, and audits why
 * against ref (NULL: its tip is not known). TL_OK or TL_ESTORE. */
enum tl_err tl_desk_skip_message(struct tl_desk_store *d, const char *ref,
	    int64_t now, const char *why);

/* Intake rows found below the cursor and taken in late, times the
 * intake store's ids went backwards, and the latest purge's cutoff (0
 * none). TL_OK or TL_ESTORE. */
enum tl_err tl_desk_ingest_odd(struct tl_desk_store *d, int64_t *found,
	    int64_t *backwards, int64_t *purge_cutoff);

/* Records one more round that could not read intake row id (a tip's
 * id; a message's as -id), counting from 1 when the last one failed on
 * another row: *tries. TL_OK or TL_ESTORE. */
enum tl_err tl_desk_bad_row(struct tl_desk_store *d, int64_t id,
	    int64_t *tries);

/*
 * Records the oldest item of the intake store not yet taken in: key (0
 * none; else 2 * a tip's intake id, or 2 * a message's + 1) and its time
 * at, as the row says, but never later than now nor than when the desk
 * first saw key waiting. The lag (tl_desk_metrics) is now minus that.
 * TL_OK or TL_ESTORE.
 */
enum tl_err tl_desk_pending(struct tl_desk_store *d, int64_t key, int64_t at,
	    int64_t now);

/* Intake rows given up on, and since when the oldest item not taken in
 * has waited (0: none). TL_OK or TL_ESTORE. */
enum tl_err tl_desk_ingest_state(struct tl_desk_store *d, int64_t *skipped,
	    int64_t *pending_since);

/*
 * Up to max tips after desk id after, in id order, as a JSON array of
 * [id, ref, digest, changed, intake_id, received_at] (the digest of the
 * intake row taken in, its id there, its time as the desk holds it):
 * what a recheck compares. TL_OK, TL_ESTORE, TL_ENOMEM.
 */
enum tl_err tl_desk_digests(struct tl_desk_store *d, int64_t after,
	    size_t max, json_t **out);
/* Replaces the digest of ref (a digest of an older form, proven equal to
 * the row). TL_OK or TL_ESTORE. */
enum tl_err tl_desk_set_digest(struct tl_desk_store *d, const char *ref,
	    const char *digest);
/* Flags ref "changed after it was taken in", audited. TL_OK or
 * TL_ESTORE. */
enum tl_err tl_desk_flag_changed(struct tl_desk_store *d, const char *ref,
	    int64_t now);

/* --- the conversation with the sender (SPEC 13; desk_conv.c) ---------- */

/*
 * A follow-up message as the intake store holds it, still sealed: the
 * one shape message ingest takes, whichever host or file it comes from.
 * Pointers are borrowed.
 */
struct tl_desk_msg_in {
	int64_t		 intake_id;	/* its id in its intake store */
	int64_t		 tip_intake_id;	/* its tip's id there */
	const char	*ref;		/* its tip's */
	int		 author;	/* 1 staff, 2 sender */
	int64_t		 at;		/* Unix seconds */
	int		 end;		/* the sender ended the conversation */
	const uint8_t	*sealed;	/* its blob; NULL none */
	size_t		 len;
	const char	*fault;		/* NULL, or why the reader refused the
					   row (never shown as text) */
};

/* The intake message id message ingest has reached (0 before the
 * first). */
enum tl_err tl_desk_msg_cursor(struct tl_desk_store *d, int64_t *cursor);

/*
 * Ingests msgs[0..n) (in intake id order) in one transaction, opening
 * each with the staff secret key sk and the tip's sender key, and moves
 * the message cursor to the last one taken, so that a crash at any point
 * neither misses nor doubles one. A message whose tip the desk has not
 * taken in yet (its intake id is past the tip cursor) waits: it and
 * those after it are not taken. One the desk holds already is skipped.
 * A message that does not open is kept flagged, with no text. A
 * sender's message marks its tip updated ("new information") and brings
 * it to the top of the queue until staff open its page; an end row whose
 * end message opens under the conversation's key (conv.h, SPEC 16)
 * marks the conversation ended (and gives the sender's key when the
 * desk had only its commitment: tl_desk_end_key); one that does not is
 * kept as a flagged message and logged. *taken: messages the cursor
 * passed; *added: new to the desk. TL_OK; TL_ESTORE (nothing changed);
 * TL_ENOMEM.
 */
enum tl_err tl_desk_ingest_messages(struct tl_desk_store *d,
	    const struct tl_seal_secret *sk, const struct tl_desk_msg_in *msgs,
	    size_t n, int64_t now, size_t *taken, size_t *added);

/*
 * The sender's public key from an end row's blob (conv.h: pk and salt
 * as lower-case hex, sealed to the staff with tl_seal_seal for the row
 * {ref, at as received_at, no column}), when it opens with sk and its
 * key and salt match commit, the commitment the tip's blob is bound to.
 * 1 and pk filled, or 0. The key is proved by the commitment alone;
 * whether the end itself counts is tl_desk_ingest_messages()'s.
 */
int tl_desk_end_key(const struct tl_seal_secret *sk, const char *ref,
	    int64_t at, const uint8_t *sealed, size_t len,
	    const uint8_t commit[TL_SEAL_COMMITBYTES],
	    uint8_t pk[TL_SEAL_KEYBYTES]);

/* Where a tip's conversation stands. */
enum tl_desk_conv {
	TL_DESK_CONV_NONE,	/* the sender has no follow-up code (or the
				   desk could not prove its key) */
	TL_DESK_CONV_OPEN,	/* staff can ask */
	TL_DESK_CONV_ENDED,	/* the sender ended it */
};

/* The conversation of ref: its state, and with TL_DESK_CONV_OPEN the
 * sender's key in pk. TL_OK, TL_ENOTFOUND, TL_ESTORE. */
enum tl_err tl_desk_conversation(struct tl_desk_store *d, const char *ref,
	    enum tl_desk_conv *state, uint8_t pk[TL_SEAL_KEYBYTES]);

/*
 * Takes a question staff member who just wrote to the intake store (its
 * id there intake_id) into the desk at once, with their name, and
 * audits it ("message", its id; never the text). TL_OK; TL_EDUPLICATE
 * (the desk holds it already: nothing changed, nothing audited);
 * TL_ENOTFOUND; TL_ESTORE.
 */
enum tl_err tl_desk_add_message(struct tl_desk_store *d, const char *ref,
	    const char *who, int64_t now, int64_t intake_id,
	    const char *text);

/* Records that the desk is alive at now. */
enum tl_err tl_desk_heartbeat(struct tl_desk_store *d, int64_t now);
/* When the desk last recorded one; 0 never. */
enum tl_err tl_desk_heartbeat_at(struct tl_desk_store *d, int64_t *at);

/* --- reading ---------------------------------------------------------- */

/* Queue filters: NULL or "" is no filter. */
struct tl_desk_filter {
	const char	*state, *priority, *concern, *area, *assignee, *grade;
	size_t		 page;		/* from 0 */
};
#define TL_DESK_PAGE	50

/*
 * One page of the queue (unresolved urgent first, then newest: by
 * receipt, or by a sender's message not yet seen) as a JSON
 * array of rows (ref, received_at, priority, state, assignee, concerns,
 * area, excerpt, grade, updated, changed, fault) into *out; *more set when
 * another page follows. TL_OK, TL_ESTORE, TL_ENOMEM.
 */
enum tl_err tl_desk_queue(struct tl_desk_store *d,
	    const struct tl_desk_filter *f, json_t **out, int *more);

/*
 * The tip ref (normalised) as a JSON object: the keys of `tiplinectl
 * export` plus state, assignee, grade, notes, history, linked, viewers,
 * messages (oldest first: from, at, text or fault, by), follow_up
 * ("open", "none", "ended") and follow_up_ended_at, changed, fault,
 * first_opened_at. TL_OK, TL_ENOTFOUND,
 * TL_ESTORE, TL_ENOMEM.
 */
enum tl_err tl_desk_tip(struct tl_desk_store *d, const char *ref,
	    json_t **out);

/* What the desk knows of its copy of a tip besides its fields. */
struct tl_desk_copy_info {
	int	 opened;	/* its content opened at ingest: the fields
				   are the sender's */
	int	 changed;	/* its intake row changed after ingest */
	char	 fault[160];	/* why it did not open, or "" */
};

/*
 * The desk's copy of ref (SPEC 16) as a struct tl_tip (t: ref,
 * received_at, priority, area and the report's values, concerns and
 * phones; free with tl_tip_free) and *info. TL_OK, TL_ENOTFOUND,
 * TL_ESTORE, TL_ENOMEM (t is empty on failure).
 */
struct tl_tip;
enum tl_err tl_desk_copy(struct tl_desk_store *d, const char *ref,
	    struct tl_tip *t, struct tl_desk_copy_info *info);

/* Calls fn with the desk's copy of every tip received at or after since,
 * in intake order, until fn returns other than TL_OK (returned). TL_OK,
 * TL_ESTORE, TL_ENOMEM. */
enum tl_err tl_desk_copy_each(struct tl_desk_store *d, int64_t since,
	    enum tl_err (*fn)(void *, const struct tl_tip *,
	    const struct tl_desk_copy_info *), void *arg);

/* Full-text search (FTS5 over every field, the notes and the messages),
 * and, when q is
 * one entity, every tip holding it; newest first, at most 200 rows, as
 * the queue's. TL_OK, TL_ESTORE, TL_ENOMEM. */
enum tl_err tl_desk_search(struct tl_desk_store *d, const char *q,
	    json_t **out);

/* Every tip holding entity kind:value (normalised), newest first. */
enum tl_err tl_desk_entity_tips(struct tl_desk_store *d, int kind,
	    const char *value, json_t **out);

/* Counts by day, priority, concern, area and state, and medians to the
 * first opening and to action, urgent and normal apart. */
enum tl_err tl_desk_stats(struct tl_desk_store *d, json_t **out);

/* The desk's counters in Prometheus text format into out (SPEC 12:
 * what watches it): heartbeat age, tips by state, flagged tips, urgent
 * tips nobody has opened, intake rows skipped and the ingest lag
 * (tipline_desk_ingest_skipped_total, tipline_desk_ingest_lag_seconds).
 * Counts only. TL_OK or TL_ESTORE. */
enum tl_err tl_desk_metrics(struct tl_desk_store *d, int64_t now,
	    struct tl_buf *out);

/* --- changing (each also writes its audit entry, in one transaction) -- */

/* Records (audits as action) that who read ref. Only when a person
 * opened its page (opened: see tl_csrf_person_opened) does the reading
 * change anything: its first opening stops reminders, its new
 * information is seen and the tip goes back to its place by receipt in
 * the queue. */
enum tl_err tl_desk_viewed(struct tl_desk_store *d, const char *ref,
	    const char *who, int64_t now, const char *action, int opened);
enum tl_err tl_desk_set_state(struct tl_desk_store *d, const char *ref,
	    const char *who, int64_t now, enum tl_desk_state to,
	    const char *note);
/* to NULL or "" unassigns. */
enum tl_err tl_desk_assign(struct tl_desk_store *d, const char *ref,
	    const char *who, int64_t now, const char *to);
enum tl_err tl_desk_add_note(struct tl_desk_store *d, const char *ref,
	    const char *who, int64_t now, const char *text);
/* source "1"-"3", intelligence "A"-"E", handling "P" or "C". */
enum tl_err tl_desk_grade(struct tl_desk_store *d, const char *ref,
	    const char *who, int64_t now, const char *source,
	    const char *intelligence, const char *handling);

/* --- the audit log ---------------------------------------------------- */

/* Bytes of an audit entry's detail kept: a longer one is cut on a
 * character boundary (never inside one, which would break every listing
 * that holds it). */
#define TL_DESK_DETAIL_MAX	200

/* Appends one entry (ref, detail may be NULL; an empty detail is NULL,
 * a long one cut to TL_DESK_DETAIL_MAX). */
enum tl_err tl_desk_audit(struct tl_desk_store *d, int64_t now,
	    const char *who, const char *action, const char *ref,
	    const char *detail);

/* Entries filtered (NULL: any) oldest first, as a JSON array of objects
 * (at, who, action, ref, detail). */
enum tl_err tl_desk_audit_list(struct tl_desk_store *d, const char *ref,
	    const char *who, int64_t since, json_t **out);

/* --- purge and reminders ---------------------------------------------- */

/*
 * Deletes the tips received at or before cutoff (as tl_query_purge()
 * does in the intake store) with their notes, history, links and
 * full-text rows, and audit entries older than cutoff; then FTS5
 * 'optimize' and a TRUNCATE checkpoint, with secure_delete on, so their
 * words are gone from the file's pages. The refs deleted are
 * appended to refs (a JSON array) when not NULL. *n: tips deleted.
 */
enum tl_err tl_desk_purge(struct tl_desk_store *d, int64_t cutoff,
	    const char *who, int64_t now, json_t *refs, size_t *n);

/* Urgent tips nobody has opened (flagged ones too), whose last
 * reminder (or receipt) is older than every: their refs into *out (a JSON
 * array), at most max. */
enum tl_err tl_desk_due_reminders(struct tl_desk_store *d, int64_t now,
	    int64_t every, size_t max, json_t **out);
/* Records that a reminder for ref was queued at now. */
enum tl_err tl_desk_reminded(struct tl_desk_store *d, const char *ref,
	    int64_t now);

/* Tips flagged at ingest: changed in the intake store after it, or
 * whose seal did not open, or holding a message that did not. */
enum tl_err tl_desk_flagged(struct tl_desk_store *d, int64_t *n);

/* Whether the store answers (a read): TL_OK or TL_ESTORE. */
enum tl_err tl_desk_health(struct tl_desk_store *d);

#endif
