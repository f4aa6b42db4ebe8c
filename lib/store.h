/*
 * store.h — the durable store of tips and their outbox of deliveries.
 *
 * One interface, so that a PostgreSQL store can be added beside SQLite.
 * A handle is used by one thread at a time; each request thread opens its
 * own. A tip is stored together with its pending delivery in one durable
 * transaction (WAL, synchronous=FULL, BEGIN IMMEDIATE), so a tip that is
 * acknowledged is never without its notification.
 */
#ifndef TL_STORE_H
#define TL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "conv.h"
#include "ref.h"
#include "report.h"
#include "tl.h"

struct tl_store;

#define TL_HASH_HEX	65	/* hex SHA-256 and NUL */

/* One submission to store, its fields already sealed (tip.h). Strings
 * and bytes are borrowed. */
struct tl_submit {
	const struct tl_report	*report;	/* validated: its plaintext
						   fields and priority */
	const char		*ref;		/* drawn by the caller, sealed
						   into the blob */
	int64_t			 received_at;	/* Unix seconds, UTC */
	const char		*area;		/* outward code, or NULL */
	int			 has_people, has_vehicles, nphones;
	const uint8_t		*sealed;	/* the blob (tl_tip_seal()) */
	size_t			 sealed_len;
	const char		*token_nonce;	/* form: hex nonce, else NULL */
	const char		*idem_key;	/* API: keyed hash of the
						   Idempotency-Key, or NULL */
	const char		*body_hash;	/* API: keyed hash of the body */
	const uint8_t		*sender_pk;	/* follow-up key, or NULL */
	const uint8_t		*sender_salt;
};

enum tl_outbox_state { TL_OUT_PENDING, TL_OUT_DELIVERED, TL_OUT_DEAD,
	TL_OUT__MAX };

/* The name of state as the store, tiplinectl and /metrics spell it
 * ("pending", "delivered", "dead"); "unknown" out of range. Never NULL. */
const char *tl_outbox_state_name(enum tl_outbox_state state);

/* Reads a state's name (NULL allowed) into *out: TL_OK, or TL_EINVAL
 * with *out untouched. */
enum tl_err tl_outbox_state_parse(const char *name,
	    enum tl_outbox_state *out);

/*
 * Opens (creating if needed) the store at path and brings its schema up to
 * date. path must hold no symbolic link, the file's name nor any folder
 * on the way (SQLITE_OPEN_NOFOLLOW): it is refused rather than followed.
 * Returns TL_OK, or TL_ESTORE with the reason in err. The caller closes
 * *out with tl_store_close().
 */
enum tl_err tl_store_open(const char *path, struct tl_store **out,
	    char *err, size_t errlen);
/*
 * tl_store_open() for `tiplinectl init`: a Part I store's tips are sealed
 * to the staff public key pk on the way, and no plaintext of them is left
 * in the file, its free pages or its WAL; *sealed says how many.
 */
enum tl_err tl_store_open_sealing(const char *path, const uint8_t *pk,
	    struct tl_store **out, int64_t *sealed, char *err, size_t errlen);

/*
 * Opens an existing store only, never creating one: the programs that
 * serve (tipline.fcgi, tipline-notify) leave creating to `tiplinectl
 * init`, so that a deleted store is an error, not a new empty one.
 */
enum tl_err tl_store_attach(const char *path, struct tl_store **out,
	    char *err, size_t errlen);
void tl_store_close(struct tl_store *s);

/*
 * With on, every store this process opens from then on is hostile input
 * (tiplinectl, which may hold the staff secret key, reads a file that
 * tipline.fcgi can write): refused through a symbolic link, and opened
 * as tl_store_harden() says, so that a trigger or view planted in it
 * never runs. Its own purge does the work of the schema's trigger. Call
 * it before any thread starts.
 */
void tl_store_distrust(int on);

/*
 * Stores a sealed tip under sub->ref and one pending delivery in one
 * transaction, and copies the reference to ref. Returns TL_OK only once
 * that transaction is durably committed; TL_EDUPLICATE (nothing stored)
 * when the token nonce or idempotency key is already stored; TL_ETAKEN
 * (nothing stored) when the reference is: seal again under a new one;
 * TL_ESTORE (nothing stored) on any store failure, including a database
 * file that was deleted or moved.
 */
enum tl_err tl_store_add(struct tl_store *s, const struct tl_submit *sub,
	    char ref[TL_REF_SIZE]);

/*
 * Group commit: stores n submissions in one transaction, so with one fsync,
 * each inside its own SAVEPOINT so that one tip's duplicate or failure
 * does not undo its neighbours. results[i] and refs[i] are what
 * tl_store_add() would give for subs[i]; none is durable before this
 * returns. Returns TL_OK when the transaction committed, else TL_ESTORE
 * and every result is TL_ESTORE (nothing stored).
 */
enum tl_err tl_store_add_batch(struct tl_store *s,
	    const struct tl_submit *const *subs, size_t n,
	    char (*refs)[TL_REF_SIZE], enum tl_err *results);

/* A fresh Standard Webhooks message id for a delivery made at time at
 * (Unix seconds): "msg_", then 24 of [0-9a-z] without i, l, o, u: the
 * time in the first 10 (so new ids go to the end of their index), 70
 * random bits in the rest. */
#define TL_WEBHOOK_ID_NEW	29
void tl_webhook_id_new(char out[TL_WEBHOOK_ID_NEW], int64_t at);

/* The reference of the tip stored with this token nonce: TL_OK,
 * TL_ENOTFOUND or TL_ESTORE. */
enum tl_err tl_store_find_token(struct tl_store *s, const char *nonce,
	    char ref[TL_REF_SIZE]);

/* The reference and body hash stored with this idempotency key (its
 * keyed hash, as stored). */
enum tl_err tl_store_find_idem(struct tl_store *s, const char *key,
	    char ref[TL_REF_SIZE], char hash[TL_HASH_HEX]);

/*
 * Follow-up (SPEC 13) on s's connection. tl_store_sender: the sender's
 * public key and salt of the tip ref: TL_OK; TL_ENOTFOUND (no such tip,
 * or none given, or the conversation ended); TL_ESTORE. The others are
 * tl_conv_add() and tl_conv_read() (conv.h), the reason in
 * tl_store_errmsg().
 */
enum tl_err tl_store_sender(struct tl_store *s, const char *ref,
	    uint8_t pk[TL_SEAL_KEYBYTES], uint8_t salt[TL_SEAL_SALTBYTES]);
enum tl_err tl_store_conv_add(struct tl_store *s,
	    const struct tl_conv_add *a, int64_t *id);
enum tl_err tl_store_conv_read(struct tl_store *s, const char *ref,
	    size_t max, int (*fn)(void *, const struct tl_conv_row *),
	    void *arg);

/* A write-capable check: TL_OK when a write transaction can be begun on
 * the real file, else TL_ESTORE. */
enum tl_err tl_store_health(struct tl_store *s);

/* Delivery attempts by outcome counted so far: ok, retry, dead (the
 * order of enum tl_verdict). */
enum tl_err tl_store_outcomes(struct tl_store *s, int64_t counts[3]);

/* Deliveries by state into counts[TL_OUT__MAX]. */
enum tl_err tl_store_outbox_counts(struct tl_store *s,
	    int64_t counts[TL_OUT__MAX]);

/*
 * For the notifier's bookkeeping only: commits on s are no longer fsynced
 * one by one (synchronous=NORMAL in WAL mode); the next durable commit on
 * the file, or a checkpoint, carries them. A crash may then forget that a
 * delivery was made or leased, and it is sent again with the same
 * webhook-id (delivery is at least once). Never for a handle that stores
 * tips. Returns TL_OK or TL_ESTORE.
 */
enum tl_err tl_store_relax(struct tl_store *s);

/*
 * Lets the owner of s decide where checkpoints run, instead of SQLite's
 * automatic checkpoint in the commit that crossed TL_WAL_FORCE frames.
 * After each commit on s, hook(arg, frames) is called on the committing
 * thread with the frames now in the WAL; SQLite is busy, so it may only
 * take a short lock and wake someone. When it returns 1, the commit
 * checkpoints right there (PASSIVE).
 */
#define TL_WAL_FORCE	10000	/* frames (about 40 MB): SQLite's checkpoint */
void tl_store_on_commit(struct tl_store *s, int (*hook)(void *, int),
	    void *arg);

/* Copies what it can of the WAL into the database file without waiting
 * for or holding up anyone (a PASSIVE checkpoint). *done: the frames of
 * the WAL now copied. Returns TL_OK or TL_ESTORE. */
enum tl_err tl_store_checkpoint(struct tl_store *s, int *done);

/* Whether the last failure on s was another connection holding the
 * store's write lock (SQLITE_BUSY), rather than a broken store. */
int tl_store_busy(const struct tl_store *s);

/* How long s waits for another connection's write lock before failing
 * (default 5 s); kept across reopens. */
void tl_store_busy_timeout(struct tl_store *s, int ms);

/* The last SQLite error of s, for logs (never tip content). */
const char *tl_store_errmsg(const struct tl_store *s);

#endif
