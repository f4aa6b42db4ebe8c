/*
 * conv.h — a tip's conversation with its sender in the intake store
 * (SPEC 13): the rows of table messages. tipline.fcgi writes the
 * sender's messages, the desk the staff's questions, each on a
 * connection of its own; both read them. The text is sealed by the
 * caller (tl_seal_msg_seal) under the key the staff and the sender
 * share, bound to the tip's ref and the row's id, author and time, so
 * these functions never see a word of it.
 */
#ifndef TL_CONV_H
#define TL_CONV_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "seal.h"
#include "tl.h"

/*
 * An end of the conversation (SPEC 16) is a message like any other: its
 * row's blob is sealed to the staff (tl_seal_seal, for the row {ref, at
 * as received_at, no column}) with three fields, each lower-case hex:
 * "pk" and "salt", the sender's key and salt, so that a desk that had
 * not read them yet can still open the messages before it; and "end",
 * a message blob (tl_seal_msg_seal) of the text TL_CONV_END_TEXT under
 * the conversation's key, bound to the row's ref, id, author (the
 * sender) and time. Only the sender (or the staff) holds that key, so
 * the desk counts an end only when "end" opens. The text has a control
 * character no message can hold, so no message can pass for an end.
 */
#define TL_CONV_END_TEXT	"\x1f" "end"
#define TL_CONV_END_MSG		(TL_SEAL_MSG_OVERHEAD + TL_SEAL_BLOCK)
#define TL_CONV_END_MAX		(TL_SEAL_OVERHEAD + 3 * TL_SEAL_BLOCK)

/*
 * The blob of the end row id of ref at time at (see above): k is the
 * key the sender shares with the staff, staff_pk the staff public key,
 * pk and salt the sender's. A new *blob of *len bytes (free()). TL_OK;
 * TL_EINVAL (a bad ref or key); TL_ENOMEM.
 */
enum tl_err tl_conv_end_seal(const struct tl_seal_shared *k,
	    const uint8_t staff_pk[TL_SEAL_KEYBYTES], const char *ref,
	    int64_t id, int64_t at, const uint8_t pk[TL_SEAL_KEYBYTES],
	    const uint8_t salt[TL_SEAL_SALTBYTES], uint8_t **blob,
	    size_t *len);

/* Seals the text of message id, written at time at, into a new *blob of
 * *len bytes (free()). TL_OK, or an error that is returned as is. */
typedef enum tl_err (*tl_conv_seal_fn)(void *arg, int64_t id, int64_t at,
	    uint8_t **blob, size_t *len);

/* One message to add. */
struct tl_conv_add {
	const char		*ref;
	enum tl_seal_author	 from;
	int64_t			 at;		/* Unix seconds */
	const char		*dedupe;	/* NULL, or "t:" a form token's
						   nonce, "i:" a keyed hash */
	int			 end;		/* the sender ends the
						   conversation */
	tl_conv_seal_fn		 seal;		/* the text; for end,
						   tl_conv_end_seal() */
	void			*arg;
	int			 notify;	/* queue a tip.updated delivery */
};

/*
 * Adds a message to the tip a->ref in one transaction (BEGIN IMMEDIATE,
 * committed with the connection's own synchronous setting) on db: picks
 * its id (the next AUTOINCREMENT one), seals it with a->seal, inserts it
 * and, with a->notify, a pending tip.updated delivery (urgent when the
 * tip is). With a->end, the row says the conversation ended and the
 * tip's key and salt are replaced by their commitment (sender_gone),
 * and the store's WAL is checkpointed (TRUNCATE) so that the key and
 * salt leave the disk (SPEC 16; best effort: a checkpoint that cannot
 * run now is reported on stderr). *id is the message's id.
 * TL_OK; TL_EDUPLICATE (a->dedupe was stored before: nothing stored,
 * *id that message's); TL_ENOTFOUND (no such tip, or its sender has no
 * key: none given, or the conversation ended); TL_ESTORE (reason in
 * err); what a->seal returned.
 */
enum tl_err tl_conv_add(sqlite3 *db, const struct tl_conv_add *a,
	    int64_t *id, char *err, size_t errlen);

/* A message as stored. */
struct tl_conv_row {
	int64_t			 id;
	enum tl_seal_author	 from;
	int64_t			 at;
	int			 end;		/* the conversation ended */
	const uint8_t		*sealed;	/* for end: see
						   tl_conv_end_seal() */
	size_t			 len;
};

/* Calls fn for each message of the tip ref, oldest first, until fn
 * returns non-zero. At most max rows. TL_OK or TL_ESTORE (reason in
 * err). */
enum tl_err tl_conv_read(sqlite3 *db, const char *ref, size_t max,
	    int (*fn)(void *arg, const struct tl_conv_row *row), void *arg,
	    char *err, size_t errlen);

#endif
