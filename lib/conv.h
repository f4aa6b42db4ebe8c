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
	tl_conv_seal_fn		 seal;		/* the text; for end, the
						   key and salt sealed to the
						   staff, or NULL */
	void			*arg;
	int			 notify;	/* queue a tip.updated delivery */
};

/*
 * Adds a message to the tip a->ref in one transaction (BEGIN IMMEDIATE,
 * committed with the connection's own synchronous setting) on db: picks
 * its id (the next AUTOINCREMENT one), seals it with a->seal, inserts it
 * and, with a->notify, a pending tip.updated delivery (urgent when the
 * tip is). With a->end, the row says the conversation ended and the
 * tip's key and salt are replaced by their commitment (sender_gone).
 * *id is the message's id.
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
	const uint8_t		*sealed;	/* for end: key and salt
						   sealed to the staff, or
						   NULL */
	size_t			 len;
};

/* Calls fn for each message of the tip ref, oldest first, until fn
 * returns non-zero. At most max rows. TL_OK or TL_ESTORE (reason in
 * err). */
enum tl_err tl_conv_read(sqlite3 *db, const char *ref, size_t max,
	    int (*fn)(void *arg, const struct tl_conv_row *row), void *arg,
	    char *err, size_t errlen);

#endif
