/*
 * desk_ingest.h — taking tips from the intake store into the desk's
 * (SPEC 12). The intake store is written by the internet-facing process,
 * so it is hostile input here: opened read-only through no symbolic
 * link, as tl_store_harden() says (defensive, untrusted schema, no
 * trigger or view of its own, cell_size_check), no mmap, query_only,
 * never ATTACHed. Every row is copied into a
 * struct tl_desk_in and handed to tl_desk_ingest(), the one door into the
 * desk, which a later milestone feeds from several hosts.
 */
#ifndef TL_DESK_INGEST_H
#define TL_DESK_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "desk_store.h"
#include "seal.h"
#include "tl.h"

struct tl_desk_intake;

/* Opens the intake store at path as above: TL_OK, or TL_ESTORE with the
 * reason in err. */
enum tl_err tl_desk_intake_open(const char *path,
	    struct tl_desk_intake **out, char *err, size_t errlen);
void tl_desk_intake_close(struct tl_desk_intake *in);

/* The most bytes of a tip's sealed blob the desk takes in by default
 * (SPEC 16: max_sealed_bytes). */
#define TL_DESK_SEALED_MAX	(1024 * 1024)

/* Sets the most bytes of a tip's sealed blob in takes (TL_DESK_SEALED_MAX
 * until set): a larger blob is never read from the store; its tip is
 * taken in flagged, with none of its content. Any other value read
 * from the store (a text column, a message's blob) larger than that and
 * 64 KiB fails to read (SQLITE_LIMIT_LENGTH): its row is one that cannot
 * be read, tried again and then skipped, never loaded. */
void tl_desk_intake_set_max_sealed(struct tl_desk_intake *in, size_t bytes);

/* Whether the intake store answers a read: TL_OK or TL_ESTORE. */
enum tl_err tl_desk_intake_health(struct tl_desk_intake *in);

/* The last error of in (never tip content). */
const char *tl_desk_intake_errmsg(const struct tl_desk_intake *in);

/*
 * One round: reads up to max tips after the desk's cursor, opens each
 * with sk (NULL while the intake store holds plaintext), ingests them in
 * one transaction and moves the cursor. *n: tips new to the desk.
 * TL_OK; TL_ESTORE (either store failed; nothing ingested); TL_ENOMEM.
 */
enum tl_err tl_desk_ingest_round(struct tl_desk_store *d,
	    struct tl_desk_intake *in, const struct tl_seal_secret *sk,
	    size_t max, int64_t now, size_t *n);

/*
 * A row that cannot be read (SPEC 16: a damaged page, "database disk
 * image is malformed") stops no other: the tips before it are taken in,
 * and the round returns TL_ESTORE; after 3 rounds on the same row it is
 * given up on (tl_desk_skip: flagged, counted in
 * tipline_desk_ingest_skipped_total) and the round returns TL_OK.
 *
 * Ids are not trusted to rise: when the intake store's highest id (its
 * sqlite_sequence, or its highest row) is below the cursor, the round
 * says so, counts it and rewinds the cursor (tl_desk_rewind) before it
 * reads. A row given an id below the cursor otherwise is
 * tl_desk_sweep()'s.
 */

/*
 * Compares up to max intake rows at or below the desk's cursor, after
 * where the last call on in stopped, with the tips the desk holds, by
 * reference (SPEC 16: ids are the intake store's to change): a row
 * whose valid reference the desk lacks, received after the latest
 * purge's cutoff, is counted in *found and, when take is set, read and
 * taken in flagged (tl_desk_ingest_found). A row that cannot be read is
 * passed. *wrapped: every row has been compared and the next call starts
 * again. TL_OK, TL_ESTORE, TL_ENOMEM.
 */
enum tl_err tl_desk_sweep(struct tl_desk_store *d, struct tl_desk_intake *in,
	    const struct tl_seal_secret *sk, size_t max, int64_t now,
	    int take, size_t *found, int *wrapped);

/*
 * Compares up to max of the desk's tips, after where the last call on
 * in stopped, with their intake rows as they are now, found by the
 * intake id the desk took each from (SPEC 16: the desk's copy is the
 * truth): a row whose digest differs, whose reference is another, that
 * is gone, or that can no longer be read, is flagged "changed after it
 * was taken in" (tl_desk_flag_changed) when flag is set. The refs of
 * those, and of every tip already flagged changed, are appended to
 * changed (a JSON array) when not NULL. A row gone that a purge covers
 * (received at or before its cutoff, tl_desk_ingest_odd) is no change.
 * *wrapped:
 * every tip has been compared and the next call starts again. TL_OK,
 * TL_ESTORE, TL_ENOMEM.
 */
enum tl_err tl_desk_recheck(struct tl_desk_store *d,
	    struct tl_desk_intake *in, size_t max, int64_t now, int flag,
	    json_t *changed, int *wrapped);

/* The digest of ref's intake row as ingest takes it (for a test tool
 * that changes a row on purpose, and its desk copy with it). TL_OK,
 * TL_ENOTFOUND, TL_ESTORE, TL_ENOMEM. */
enum tl_err tl_desk_intake_digest(struct tl_desk_intake *in, const char *ref,
	    char out[TL_SEAL_HASH_HEX]);

/* The oldest tip or message of the intake store not yet taken in: *key
 * (0 none; 2 * a tip's intake id, 2 * a message's + 1) and its time as
 * the row says. TL_OK or TL_ESTORE. */
enum tl_err tl_desk_intake_oldest(struct tl_desk_store *d,
	    struct tl_desk_intake *in, int64_t *key, int64_t *at);

/* The same, past the cursors tc (tips) and mc (messages) as the desk's
 * status file says them (SPEC 17). TL_OK or TL_ESTORE. */
enum tl_err tl_desk_intake_oldest_after(struct tl_desk_intake *in,
	    int64_t tc, int64_t mc, int64_t *key, int64_t *at);

/* Records it in the desk's store (tl_desk_pending), for the lag. */
enum tl_err tl_desk_ingest_lag(struct tl_desk_store *d,
	    struct tl_desk_intake *in, int64_t now);

/*
 * One round of messages (SPEC 13): reads up to max messages after the
 * desk's message cursor, each with its tip's intake id and ref, checks
 * each row as hostile input (a row not as the schema allows is taken in
 * flagged, with no text) and hands them to tl_desk_ingest_messages(),
 * which opens them with sk. *n: messages the cursor passed (fewer than
 * max when there were no more, or one waits for its tip). A blob larger
 * than any message is never read: the message is taken in flagged. A
 * row that cannot be read stops no other: after 3 rounds on it, it is
 * taken in as a flagged message of its tip with none of its text (when
 * its tip is known) and counted in tipline_desk_ingest_skipped_total.
 * TL_OK; TL_ESTORE; TL_ENOMEM.
 */
enum tl_err tl_desk_ingest_messages_round(struct tl_desk_store *d,
	    struct tl_desk_intake *in, const struct tl_seal_secret *sk,
	    size_t max, int64_t now, size_t *n);

/*
 * A connection of the desk's own to write to the intake store (a
 * reminder, a question to the sender): read-write, never creating, as
 * tl_store_harden() says (no trigger or view of the file's runs), no
 * mmap, synchronous FULL, waiting up to 5 s on a lock. NULL with the reason in
 * err. Close with sqlite3_close_v2().
 */
sqlite3 *tl_desk_intake_writer(const char *path, char *err, size_t errlen);

/*
 * Asks the sender of ref a question (SPEC 13): seals text (checked by
 * the caller) under the key the staff secret key sk and the sender's
 * public key pk share, bound to ref, the message's new id,
 * TL_SEAL_FROM_STAFF and now; writes it to the intake store at
 * intake_path with tl_conv_add() on a connection of the desk's own (no
 * notification: the sender reads it by coming back); then takes it into
 * the desk with who's name and audits it (tl_desk_add_message). dedupe:
 * NULL, or a string that makes a form sent twice store one message.
 * *sent: the intake store holds the question. TL_OK; TL_EDUPLICATE (sent
 * before: nothing new); TL_ENOTFOUND (the intake store has no key for
 * ref: no follow-up code, or the sender ended the conversation; nothing
 * sent); TL_ESTORE (reason in err; with *sent, only the desk's copy
 * failed, and ingest takes it in later); TL_ENOMEM; TL_EINVAL.
 */
enum tl_err tl_desk_ask(struct tl_desk_store *d,
	    const struct tl_seal_secret *sk,
	    const uint8_t pk[TL_SEAL_KEYBYTES], const char *intake_path,
	    const char *ref, const char *who, int64_t now, const char *text,
	    const char *dedupe, int *sent, char *err, size_t errlen);

/*
 * Reminders (SPEC 12): each urgent tip nobody has opened in the desk for
 * every seconds (since receipt or its last reminder) gets one pending
 * tip.reminder delivery in the intake store's outbox, which the notifier
 * sends like any other; at most one is pending per tip. Written on a
 * connection of its own (tl_desk_intake_writer), opened for the round
 * only, one INSERT a tip in one transaction. *n: reminders queued.
 * TL_OK or TL_ESTORE (reason in err).
 */
enum tl_err tl_desk_remind_round(struct tl_desk_store *d,
	    const char *intake_path, int64_t every, int64_t now, size_t *n,
	    char *err, size_t errlen);

#endif
