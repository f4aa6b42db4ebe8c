/*
 * desk_ask.c — a question from staff to the sender (see desk_ingest.h;
 * SPEC 13): sealed under the key the staff and the sender share, written
 * to the intake store on a connection of the desk's own, and taken into
 * the desk at once so that the tip page shows it.
 */
#include <stdio.h>
#include <string.h>

#include "conv.h"
#include "desk_ingest.h"

/* What the seal callback needs. */
struct ask {
	const struct tl_seal_shared	*k;
	const char			*ref;
	const char			*text;
};

/* tl_conv_seal_fn: the question, bound to its row. */
static enum tl_err
seal_question(void *arg, int64_t id, int64_t at, uint8_t **blob,
    size_t *len)
{
	struct ask		*a = arg;
	struct tl_seal_msg_ad	 ad = { a->ref, id, TL_SEAL_FROM_STAFF, at };
	char			 err[128];

	return tl_seal_msg_seal(a->k, &ad, a->text, blob, len, err,
	    sizeof(err));
}

enum tl_err
tl_desk_ask(struct tl_desk_store *d, const struct tl_seal_secret *sk,
    const uint8_t pk[TL_SEAL_KEYBYTES], const char *intake_path,
    const char *ref, const char *who, int64_t now, const char *text,
    const char *dedupe, int *sent, char *err, size_t errlen)
{
	struct tl_seal_shared	*k = NULL;
	struct ask		 a = { NULL, ref, text };
	struct tl_conv_add	 add = { ref, TL_SEAL_FROM_STAFF, now, dedupe,
	    0, seal_question, &a, 0 };
	sqlite3			*db = NULL;
	int64_t			 id;
	enum tl_err		 rc, dup;

	*sent = 0;
	if ((rc = tl_seal_shared_new(sk, pk, &k)) != TL_OK) {
		snprintf(err, errlen, "the sender's key is not usable");
		return rc;
	}
	a.k = k;
	if ((db = tl_desk_intake_writer(intake_path, err, errlen)) == NULL) {
		tl_seal_shared_free(k);
		return TL_ESTORE;
	}
	rc = tl_conv_add(db, &add, &id, err, errlen);
	sqlite3_close_v2(db);
	tl_seal_shared_free(k);
	if (rc != TL_OK && rc != TL_EDUPLICATE)
		return rc;
	*sent = 1;
	dup = rc;
	if ((rc = tl_desk_add_message(d, ref, who, now, id, text)) != TL_OK &&
	    rc != TL_EDUPLICATE) {
		snprintf(err, errlen, "%s", tl_desk_store_errmsg(d));
		return rc;
	}
	return dup == TL_EDUPLICATE ? TL_EDUPLICATE : rc;
}
