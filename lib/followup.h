/*
 * followup.h — the sender's side of follow-up in tipline.fcgi (SPEC 13):
 * the code on a new tip's receipt, the pages and API routes with which
 * the sender reads staff questions and answers them, and the limits that
 * keep a flood of attempts from holding the threads the form needs.
 *
 * The code is never stored: a new tip stores only the public key and
 * salt it derives (Argon2id, in tl_seal_sender_keypair), inside the
 * tip's authenticated data. For five minutes the code is held in locked
 * memory, keyed by a keyed hash of the tip's token nonce or
 * Idempotency-Key hash, so that a double click or a retry shows it
 * again; then a thread of its own wipes it, whatever the traffic.
 */
#ifndef TL_FOLLOWUP_H
#define TL_FOLLOWUP_H

#include <stddef.h>
#include <stdint.h>

#include "page.h"
#include "request.h"
#include "response.h"
#include "seal.h"
#include "store.h"

#define TL_FU_CODE_SIZE		20	/* "4921 0573 8816 2044" and NUL */
#define TL_FU_FAILS_MAX		10	/* failed attempts a reference an
					   hour; the next is refused */
#define TL_FU_FAILS_WINDOW	3600
#define TL_FU_REMEMBER		300	/* seconds a code is shown again */

struct tl_followup;

/* What follow-up needs, borrowed from its owner for its whole life. */
struct tl_followup_cfg {
	int			 on;		/* followup = on */
	int			 concurrency;	/* followup_concurrency */
	int			 tip_slots;	/* derivations for new tips */
	const struct tl_pages	*pages;
	const uint8_t		*form_key;	/* tokens, and keys derived */
	const uint8_t		*staff_pk;
	const uint8_t		*idem_hash_key;	/* as intake's */
	/* For tests only (0: the defaults): seconds a code is held (less
	 * than TL_FU_REMEMBER), entries of the failure table (8 to 16384). */
	int			 remember;
	int			 fail_slots;
};

/* TL_OK, or TL_ENOMEM (no memory, locked memory or thread). Starts the
 * thread that wipes held codes; tl_followup_free() ends it. */
enum tl_err tl_followup_new(const struct tl_followup_cfg *cfg,
	    struct tl_followup **out);
void tl_followup_free(struct tl_followup *fu);

/* A new tip's follow-up: its code and the sender's key. */
struct tl_fu_grant {
	char		 code[TL_FU_CODE_SIZE];	/* grouped, for the person */
	uint8_t		 pk[TL_SEAL_KEYBYTES];
	uint8_t		 salt[TL_SEAL_SALTBYTES];
};

/* Whether a new tip gets a code. */
enum tl_fu_outcome {
	TL_FU_OFF,	/* followup = off: nothing is said */
	TL_FU_GRANTED,	/* a code: *g is set (wipe it after use) */
	TL_FU_BUSY,	/* no derivation slot freed within 1 s */
	TL_FU_SHOWN,	/* a resend: the code was shown the first time */
};

/*
 * A code and key for a new tip, derived in one of the slots for new
 * tips: waits at most 1 s for one, and not at all when as many requests
 * wait already; TL_FU_BUSY then. Thread-safe.
 */
enum tl_fu_outcome tl_followup_grant(struct tl_followup *fu,
	    struct tl_fu_grant *g);

/* Whether codes are given (followup = on): 1 or 0. */
int tl_followup_grant_on(const struct tl_followup *fu);

/* A code to invent for a receipt that stores nothing (the honeypot's),
 * so that it looks like a stored tip's: TL_FU_OFF or TL_FU_GRANTED. */
enum tl_fu_outcome tl_followup_decoy(struct tl_followup *fu,
	    struct tl_fu_grant *g);

/* Remembers code for TL_FU_REMEMBER seconds under dedupe (the tip's
 * "t:" nonce or "i:" key hash); after a store's success. */
void tl_followup_remember(struct tl_followup *fu, const char *dedupe,
	    const char *code, int64_t now);

/* The code remembered under dedupe into code: 1, or 0 when none. */
int tl_followup_recall(struct tl_followup *fu, const char *dedupe,
	    int64_t now, char code[TL_FU_CODE_SIZE]);

/*
 * The routes (SPEC 13), each answering into res; store is the calling
 * thread's handle (NULL: the store counts as failed). Pages in language
 * lang; the API's messages in the first.
 *   GET  {base}/follow-up            tl_followup_page
 *   POST {base}/follow-up            tl_followup_open
 *   POST {base}/follow-up/add        tl_followup_add
 *   POST {base}/follow-up/end        tl_followup_end
 *   POST {base}/api/v1/follow-up     tl_followup_api_read
 *   POST {base}/api/v1/follow-up/messages  tl_followup_api_add
 */
void tl_followup_page(struct tl_followup *fu, size_t lang,
	    const struct tl_request *req, struct tl_response *res);
void tl_followup_open(struct tl_followup *fu, size_t lang,
	    struct tl_store *store, const struct tl_request *req,
	    struct tl_response *res);
void tl_followup_add(struct tl_followup *fu, size_t lang,
	    struct tl_store *store, const struct tl_request *req,
	    struct tl_response *res);
void tl_followup_end(struct tl_followup *fu, size_t lang,
	    struct tl_store *store, const struct tl_request *req,
	    struct tl_response *res);
void tl_followup_api_read(struct tl_followup *fu, struct tl_store *store,
	    const struct tl_request *req, struct tl_response *res);
void tl_followup_api_add(struct tl_followup *fu, struct tl_store *store,
	    const struct tl_request *req, struct tl_response *res);

/* Counters for /metrics. */
struct tl_followup_stats {
	unsigned long	 granted, busy;		/* new tips */
	unsigned long	 opened, failed, limited, full;	/* attempts */
	unsigned long	 added;			/* messages stored */
};
void tl_followup_stats(struct tl_followup *fu, struct tl_followup_stats *s);

#endif
