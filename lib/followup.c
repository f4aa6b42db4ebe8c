/*
 * followup.c — the sender's side of follow-up (see followup.h).
 *
 * Every attempt runs the same steps whether or not its reference exists:
 * a reference unknown to the store (or whose sender ended the
 * conversation) gets a salt that is a keyed hash of it and a random key
 * to compare with, so the Argon2id derivation, the constant-time
 * comparison and the answer are the same as for a wrong code. Failures
 * are counted by a keyed hash of the reference, in a bounded table that
 * holds nothing of the client.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "followup.h"
#include "report.h"
#include "tip.h"
#include "token.h"
#include "urlenc.h"
#include "utf8.h"

#define MSG_MIN		1	/* characters of a sender's message */
#define MSG_MAX		5000
#define MSGS_MAX	500	/* messages shown of one conversation */
#define FAILS_SLOTS	16384	/* references with failures, at most */
#define FAILS_PROBE	8
#define CODES_SLOTS	1024	/* codes held for a resend */
#define QUEUE_WAIT	10	/* seconds a follow-up request may queue */
#define FORM_FIELDS	8

/* Derivation slots: free ones, and a bounded queue of waiters. */
struct slots {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 free;
	int		 waiting;
	int		 max_waiting;
};

struct fail {
	uint8_t		 key[16];	/* keyed hash of the reference */
	uint32_t	 n;
	int		 known;		/* a reference the store holds */
	int64_t		 since;
};

struct held {
	uint8_t		 key[32];	/* keyed hash of the dedupe key */
	int64_t		 until;		/* 0: free */
	int64_t		 wipe_ms;	/* CLOCK_MONOTONIC: the sweeper's */
	char		 code[TL_FU_CODE_SIZE];
};

struct tl_followup {
	struct tl_followup_cfg	 cfg;
	struct slots		 tips, reqs;
	int			 nslots;	/* of those, made */
	pthread_mutex_t		 fails_mu;
	struct fail		*fails;		/* nfails */
	size_t			 nfails;
	int64_t			 remember;	/* seconds a code is held */
	pthread_mutex_t		 held_mu;
	pthread_cond_t		 held_cv;	/* CLOCK_MONOTONIC */
	struct held		*held;		/* CODES_SLOTS, locked memory */
	pthread_t		 sweeper;
	int			 sweeping;	/* sweeper made */
	int			 stop;		/* sweeper: end */
	uint8_t			*keys;		/* locked: the three below */
	uint8_t			*refsalt_key, *fails_key, *held_key;
	atomic_ulong		 n_granted, n_busy, n_opened, n_failed;
	atomic_ulong		 n_limited, n_full, n_added;
};

/* --- slots ------------------------------------------------------------ */

/* A condition variable whose timed waits count CLOCK_MONOTONIC: 0, or
 * -1 (nothing to destroy). */
static int
cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t	 ca;
	int			 rc;

	if (pthread_condattr_init(&ca) != 0)
		return -1;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
	return rc == 0 ? 0 : -1;
}

static int
slots_init(struct slots *s, int n)
{
	s->free = s->max_waiting = n;
	s->waiting = 0;
	if (cond_init(&s->cv) == -1)
		return -1;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		pthread_cond_destroy(&s->cv);
		return -1;
	}
	return 0;
}

static void
slots_destroy(struct slots *s)
{
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
}

/* Takes a slot, waiting at most wait seconds in the queue: 1, or 0 when
 * the queue is full or the wait ran out. */
static int
slot_take(struct slots *s, long wait)
{
	struct timespec	 until;
	int		 got = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait;
	pthread_mutex_lock(&s->mu);
	if (s->free == 0 && s->waiting < s->max_waiting) {
		s->waiting++;
		while (s->free == 0 && pthread_cond_timedwait(&s->cv, &s->mu,
		    &until) != ETIMEDOUT)
			continue;
		s->waiting--;
	}
	if (s->free > 0) {
		s->free--;
		got = 1;
	}
	pthread_mutex_unlock(&s->mu);
	return got;
}

static void
slot_give(struct slots *s)
{
	pthread_mutex_lock(&s->mu);
	s->free++;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* --- held codes' sweeper -------------------------------------------- */

/* CLOCK_MONOTONIC in milliseconds. */
static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wipes the held codes due by now_ms: the time the next one is due, or
 * 0 when none is held. Locked. */
static int64_t
held_sweep(struct tl_followup *fu, int64_t now_ms)
{
	struct held	*h;
	int64_t		 next = 0;
	size_t		 i;

	for (i = 0; i < CODES_SLOTS; i++) {
		h = &fu->held[i];
		if (h->until == 0)
			continue;
		if (h->wipe_ms <= now_ms)
			sodium_memzero(h, sizeof(*h));
		else if (next == 0 || h->wipe_ms < next)
			next = h->wipe_ms;
	}
	return next;
}

/*
 * The sweeper thread: wipes each held code at its time (SPEC 16),
 * whatever the traffic, asleep until the next one is due or a code is
 * added. Ends when fu->stop is set.
 */
static void *
sweeper(void *arg)
{
	struct tl_followup	*fu = arg;
	struct timespec		 ts;
	int64_t			 next;

	pthread_mutex_lock(&fu->held_mu);
	while (!fu->stop) {
		if ((next = held_sweep(fu, mono_ms())) == 0)
			pthread_cond_wait(&fu->held_cv, &fu->held_mu);
		else {
			ts.tv_sec = (time_t)(next / 1000);
			ts.tv_nsec = (long)(next % 1000) * 1000000;
			pthread_cond_timedwait(&fu->held_cv, &fu->held_mu,
			    &ts);
		}
	}
	pthread_mutex_unlock(&fu->held_mu);
	return NULL;
}

/* Starts the sweeper with every signal blocked, so that the process's
 * signals go to the threads that wait for them: 0, or -1. */
static int
sweeper_start(struct tl_followup *fu)
{
	sigset_t	 all, old;
	int		 rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&fu->sweeper, NULL, sweeper, fu);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -1;
	fu->sweeping = 1;
	return 0;
}

/* --- life ------------------------------------------------------------- */

enum tl_err
tl_followup_new(const struct tl_followup_cfg *cfg, struct tl_followup **out)
{
	struct tl_followup	*fu;

	*out = NULL;
	if ((fu = calloc(1, sizeof(*fu))) == NULL)
		return TL_ENOMEM;
	fu->cfg = *cfg;
	fu->nfails = cfg->fail_slots >= FAILS_PROBE &&
	    cfg->fail_slots < FAILS_SLOTS ? (size_t)cfg->fail_slots :
	    FAILS_SLOTS;
	fu->remember = cfg->remember > 0 && cfg->remember < TL_FU_REMEMBER ?
	    cfg->remember : TL_FU_REMEMBER;
	pthread_mutex_init(&fu->fails_mu, NULL);
	pthread_mutex_init(&fu->held_mu, NULL);
	if ((fu->fails = calloc(fu->nfails, sizeof(*fu->fails))) == NULL ||
	    (fu->held = sodium_malloc(CODES_SLOTS * sizeof(*fu->held))) ==
	    NULL || (fu->keys = sodium_malloc(3 * 32)) == NULL ||
	    slots_init(&fu->tips, cfg->tip_slots) == -1 ||
	    (fu->nslots = 1, slots_init(&fu->reqs, cfg->concurrency)) == -1 ||
	    (fu->nslots = 2, cond_init(&fu->held_cv)) == -1)
		goto fail;
	fu->nslots = 3;
	memset(fu->held, 0, CODES_SLOTS * sizeof(*fu->held));
	fu->refsalt_key = fu->keys;
	fu->fails_key = fu->keys + 32;
	fu->held_key = fu->keys + 64;
	/* The unknown references' salts must not change with a restart (a
	 * salt that did would tell them from known ones): derived from the
	 * form key. The two tables' keys are this process's own. */
	tl_seal_hash_key(cfg->form_key, TL_SEAL_HASH_REFSALT,
	    fu->refsalt_key);
	tl_seal_random(fu->fails_key, 32);
	tl_seal_random(fu->held_key, 32);
	if (sweeper_start(fu) == -1)
		goto fail;
	*out = fu;
	return TL_OK;
fail:
	tl_followup_free(fu);
	return TL_ENOMEM;
}

void
tl_followup_free(struct tl_followup *fu)
{
	if (fu == NULL)
		return;
	if (fu->sweeping) {
		pthread_mutex_lock(&fu->held_mu);
		fu->stop = 1;
		pthread_cond_signal(&fu->held_cv);
		pthread_mutex_unlock(&fu->held_mu);
		pthread_join(fu->sweeper, NULL);
	}
	if (fu->nslots > 0)
		slots_destroy(&fu->tips);
	if (fu->nslots > 1)
		slots_destroy(&fu->reqs);
	if (fu->nslots > 2)
		pthread_cond_destroy(&fu->held_cv);
	pthread_mutex_destroy(&fu->fails_mu);
	pthread_mutex_destroy(&fu->held_mu);
	sodium_free(fu->held);		/* wipes */
	sodium_free(fu->keys);
	free(fu->fails);
	free(fu);
}

void
tl_followup_stats(struct tl_followup *fu, struct tl_followup_stats *s)
{
	s->granted = atomic_load(&fu->n_granted);
	s->busy = atomic_load(&fu->n_busy);
	s->opened = atomic_load(&fu->n_opened);
	s->failed = atomic_load(&fu->n_failed);
	s->limited = atomic_load(&fu->n_limited);
	s->full = atomic_load(&fu->n_full);
	s->added = atomic_load(&fu->n_added);
}

/* --- codes ------------------------------------------------------------ */

/* A new code, grouped by four for the person. */
static void
code_new(char out[TL_FU_CODE_SIZE])
{
	char	 d[TL_SEAL_CODE_LEN + 1];
	size_t	 i, o = 0;

	tl_seal_code_new(d);
	for (i = 0; i < TL_SEAL_CODE_LEN; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = d[i];
	}
	out[o] = '\0';
	sodium_memzero(d, sizeof(d));
}

/* The 16 digits of a code as typed (spaces and hyphens between them
 * allowed) into digits: 0, or -1 when it is not one. */
static int
code_digits(const char *in, char digits[TL_SEAL_CODE_LEN + 1])
{
	size_t	 n = 0;

	if (in == NULL)
		return -1;
	for (; *in != '\0'; in++) {
		if (*in >= '0' && *in <= '9') {
			if (n == TL_SEAL_CODE_LEN)
				return -1;
			digits[n++] = *in;
		} else if (*in != ' ' && *in != '-' && *in != '\t')
			return -1;
	}
	digits[n] = '\0';
	return n == TL_SEAL_CODE_LEN ? 0 : -1;
}

static enum tl_fu_outcome
derive_new(struct tl_fu_grant *g)
{
	struct tl_seal_secret	*sk;
	char			 d[TL_SEAL_CODE_LEN + 1];

	code_new(g->code);
	tl_seal_salt_new(g->salt);
	if (code_digits(g->code, d) == -1 ||
	    tl_seal_sender_keypair(d, g->salt, g->pk, &sk) != TL_OK) {
		sodium_memzero(d, sizeof(d));
		sodium_memzero(g, sizeof(*g));
		return TL_FU_BUSY;
	}
	sodium_memzero(d, sizeof(d));
	tl_seal_secret_free(sk);	/* the sender's: never kept */
	return TL_FU_GRANTED;
}

enum tl_fu_outcome
tl_followup_grant(struct tl_followup *fu, struct tl_fu_grant *g)
{
	enum tl_fu_outcome	 oc;

	if (!fu->cfg.on)
		return TL_FU_OFF;
	if (!slot_take(&fu->tips, 1)) {
		atomic_fetch_add(&fu->n_busy, 1);
		return TL_FU_BUSY;
	}
	oc = derive_new(g);
	slot_give(&fu->tips);
	atomic_fetch_add(oc == TL_FU_GRANTED ? &fu->n_granted : &fu->n_busy,
	    1);
	return oc;
}

int
tl_followup_grant_on(const struct tl_followup *fu)
{
	return fu->cfg.on;
}

enum tl_fu_outcome
tl_followup_decoy(struct tl_followup *fu, struct tl_fu_grant *g)
{
	if (!fu->cfg.on)
		return TL_FU_OFF;
	memset(g, 0, sizeof(*g));
	code_new(g->code);
	return TL_FU_GRANTED;
}

static void
held_key(struct tl_followup *fu, const char *dedupe, uint8_t key[32])
{
	tl_seal_keyed_digest(fu->held_key, dedupe, strlen(dedupe), key, 32);
}

void
tl_followup_remember(struct tl_followup *fu, const char *dedupe,
    const char *code, int64_t now)
{
	struct held	*h, *slot = NULL;
	uint8_t		 key[32];
	size_t		 i;

	if (dedupe == NULL)
		return;
	held_key(fu, dedupe, key);
	pthread_mutex_lock(&fu->held_mu);
	for (i = 0; i < CODES_SLOTS; i++) {
		h = &fu->held[i];
		if (h->until != 0 && h->until <= now)
			sodium_memzero(h, sizeof(*h));
		/* Free, or else the one that would go first. */
		if (slot == NULL || h->until < slot->until)
			slot = h;
	}
	memcpy(slot->key, key, sizeof(key));
	snprintf(slot->code, sizeof(slot->code), "%s", code);
	slot->until = now + fu->remember;
	slot->wipe_ms = mono_ms() + fu->remember * 1000;
	pthread_cond_signal(&fu->held_cv);	/* the sweeper's next */
	pthread_mutex_unlock(&fu->held_mu);
}

int
tl_followup_recall(struct tl_followup *fu, const char *dedupe, int64_t now,
    char code[TL_FU_CODE_SIZE])
{
	struct held	*h;
	uint8_t		 key[32];
	size_t		 i;
	int		 found = 0;

	if (dedupe == NULL || !fu->cfg.on)
		return 0;
	held_key(fu, dedupe, key);
	pthread_mutex_lock(&fu->held_mu);
	for (i = 0; i < CODES_SLOTS; i++) {
		h = &fu->held[i];
		if (h->until != 0 && h->until <= now)
			sodium_memzero(h, sizeof(*h));
		else if (h->until != 0 && sodium_memcmp(h->key, key,
		    sizeof(key)) == 0) {
			memcpy(code, h->code, TL_FU_CODE_SIZE);
			found = 1;
		}
	}
	pthread_mutex_unlock(&fu->held_mu);
	return found;
}

/* --- failed attempts -------------------------------------------------- */

/*
 * The failure table (SPEC 16). An entry is a reference's failures in its
 * hour, marked known when the store holds the reference. Spraying
 * guesses over random references must neither lock out the sender of a
 * tip nor reset a tip's count: a new entry takes a free slot, or else
 * pushes out the oldest entry of an unknown reference, never a known
 * one. Unknown references are still counted, so the 11th failure is
 * refused for them as for a tip's.
 */

/* ref's key in the table into key, and the first slot it probes. */
static size_t
fail_key(struct tl_followup *fu, const char *ref, uint8_t key[16])
{
	uint32_t	 at;

	tl_seal_keyed_digest(fu->fails_key, ref, strlen(ref), key, 16);
	memcpy(&at, key, sizeof(at));
	return at % fu->nfails;
}

/* The entry of key among those probed from at, or NULL; the expired ones
 * it probes are cleared. *full: every probed entry is a live one of
 * another known reference. Locked. */
static struct fail *
fail_find(struct tl_followup *fu, const uint8_t key[16], size_t at,
    int64_t now, int *full)
{
	struct fail	*f;
	size_t		 i;

	*full = 1;
	for (i = 0; i < FAILS_PROBE; i++) {
		f = &fu->fails[(at + i) % fu->nfails];
		if (f->n > 0 && now - f->since >= TL_FU_FAILS_WINDOW)
			memset(f, 0, sizeof(*f));
		if (f->n > 0 && memcmp(f->key, key, 16) == 0)
			return f;
		if (f->n == 0 || !f->known)
			*full = 0;
	}
	return NULL;
}

/* A slot for a new entry among those probed from at: a free one, or else
 * the oldest unknown reference's (cleared), or NULL. Locked. */
static struct fail *
fail_slot(struct tl_followup *fu, size_t at)
{
	struct fail	*f, *old = NULL;
	size_t		 i;

	for (i = 0; i < FAILS_PROBE; i++) {
		f = &fu->fails[(at + i) % fu->nfails];
		if (f->n == 0)
			return f;
		if (!f->known && (old == NULL || f->since < old->since))
			old = f;
	}
	if (old != NULL)
		memset(old, 0, sizeof(*old));
	return old;
}

/* Whether ref may be tried now: 1, or 0 when it has failed too often
 * within the hour, or cannot be counted (its slots all hold known
 * references' entries: refused rather than uncounted). */
static int
fails_allow(struct tl_followup *fu, const char *ref, int64_t now)
{
	struct fail	*f;
	uint8_t		 key[16];
	size_t		 at = fail_key(fu, ref, key);
	int		 ok, full;

	pthread_mutex_lock(&fu->fails_mu);
	f = fail_find(fu, key, at, now, &full);
	ok = f != NULL ? f->n < TL_FU_FAILS_MAX : !full;
	pthread_mutex_unlock(&fu->fails_mu);
	return ok;
}

/* Counts a failure on ref, known when the store holds it. */
static void
fails_add(struct tl_followup *fu, const char *ref, int known, int64_t now)
{
	struct fail	*f;
	uint8_t		 key[16];
	size_t		 at = fail_key(fu, ref, key);
	int		 full;

	pthread_mutex_lock(&fu->fails_mu);
	if ((f = fail_find(fu, key, at, now, &full)) == NULL &&
	    (f = fail_slot(fu, at)) != NULL) {
		memcpy(f->key, key, sizeof(key));
		f->since = now;
	}
	if (f != NULL) {
		f->n++;
		f->known |= known;
	}
	pthread_mutex_unlock(&fu->fails_mu);
}

/* --- who is asking ---------------------------------------------------- */

enum auth {
	A_OK,
	A_BAD_REF,	/* not a reference at all */
	A_BAD_CODE,	/* not 16 digits */
	A_NO_MATCH,
	A_LIMITED,	/* too many failures: 429 */
	A_FULL,		/* no slot, queue full: 503 */
	A_STORE,	/* the store failed: 503 */
	A_NOMEM,
};

/* A sender who proved their code. */
struct sender {
	char			 ref[TL_REF_SIZE];
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	uint8_t			 salt[TL_SEAL_SALTBYTES];
	struct tl_seal_shared	*k;	/* shared with the staff */
};

/*
 * Checks ref and code (as typed) for a follow-up request: the same steps
 * and one derivation whether the reference exists or not. A_OK fills s
 * (free s->k with tl_seal_shared_free).
 */
static enum auth
authenticate(struct tl_followup *fu, struct tl_store *store,
    const char *ref_in, const char *code_in, int64_t now, struct sender *s)
{
	struct tl_seal_secret	*sk = NULL;
	uint8_t			 dpk[TL_SEAL_KEYBYTES];
	char			 digits[TL_SEAL_CODE_LEN + 1];
	enum tl_err		 rc;
	enum auth		 a;
	int			 known, match;

	memset(s, 0, sizeof(*s));
	if (ref_in == NULL || tl_ref_parse(ref_in, s->ref) != TL_OK)
		return A_BAD_REF;
	if (code_digits(code_in, digits) == -1)
		return A_BAD_CODE;
	if (!fails_allow(fu, s->ref, now)) {
		atomic_fetch_add(&fu->n_limited, 1);
		a = A_LIMITED;
		goto out;
	}
	if (!slot_take(&fu->reqs, QUEUE_WAIT)) {
		atomic_fetch_add(&fu->n_full, 1);
		a = A_FULL;
		goto out;
	}
	rc = store != NULL ? tl_store_sender(store, s->ref, s->pk, s->salt) :
	    TL_ESTORE;
	if (rc == TL_ESTORE) {
		slot_give(&fu->reqs);
		a = A_STORE;
		goto out;
	}
	if (!(known = rc == TL_OK)) {
		tl_seal_refsalt(fu->refsalt_key, s->ref, s->salt);
		tl_seal_random(s->pk, sizeof(s->pk));
	}
	rc = tl_seal_sender_keypair(digits, s->salt, dpk, &sk);
	slot_give(&fu->reqs);
	if (rc != TL_OK) {
		a = A_NOMEM;
		goto out;
	}
	match = tl_seal_secret_matches(sk, s->pk) & known;
	if (!match) {
		fails_add(fu, s->ref, known, now);
		atomic_fetch_add(&fu->n_failed, 1);
		a = A_NO_MATCH;
	} else if (tl_seal_shared_new(sk, fu->cfg.staff_pk, &s->k) != TL_OK)
		a = A_NOMEM;
	else {
		atomic_fetch_add(&fu->n_opened, 1);
		a = A_OK;
	}
out:
	tl_seal_secret_free(sk);
	sodium_memzero(digits, sizeof(digits));
	sodium_memzero(dpk, sizeof(dpk));
	return a;
}

static void
sender_done(struct sender *s)
{
	tl_seal_shared_free(s->k);
	sodium_memzero(s, sizeof(*s));
}

/* --- the conversation ------------------------------------------------- */

struct convo {
	const struct sender	*s;
	struct tl_page_msg	*v;
	size_t			 n;
	int			 oom;
};

static int
convo_row(void *arg, const struct tl_conv_row *row)
{
	struct convo		*c = arg;
	struct tl_seal_msg_ad	 ad;
	char			*text, err[128];

	if (row->end || row->sealed == NULL)
		return 0;
	ad.ref = c->s->ref;
	ad.id = row->id;
	ad.from = row->from;
	ad.at = row->at;
	/* A message that does not open is never shown. */
	if (tl_seal_msg_open(c->s->k, &ad, row->sealed, row->len, &text, err,
	    sizeof(err)) != TL_OK)
		return 0;
	c->v[c->n].from_staff = row->from == TL_SEAL_FROM_STAFF;
	c->v[c->n].at = row->at;
	c->v[c->n].text = text;
	c->n++;
	return 0;
}

/* The sender's conversation, opened, into c (free: convo_free). */
static enum tl_err
convo_read(struct tl_store *store, const struct sender *s, struct convo *c)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	if ((c->v = calloc(MSGS_MAX, sizeof(*c->v))) == NULL)
		return TL_ENOMEM;
	return tl_store_conv_read(store, s->ref, MSGS_MAX, convo_row, c);
}

static void
convo_free(struct convo *c)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		tl_seal_text_free((char *)(uintptr_t)c->v[i].text);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* What a message's seal needs. */
struct sealing {
	const struct sender	*s;
	const char		*text;
	const uint8_t		*staff_pk;
};

static enum tl_err
seal_text(void *arg, int64_t id, int64_t at, uint8_t **blob, size_t *len)
{
	const struct sealing	*g = arg;
	struct tl_seal_msg_ad	 ad = { g->s->ref, id, TL_SEAL_FROM_SENDER,
	    at };
	char			 err[128];

	return tl_seal_msg_seal(g->s->k, &ad, g->text, blob, len, err,
	    sizeof(err));
}

/* The end row's content (tl_conv_end_seal): an end message under the
 * conversation's key, and the sender's key and salt sealed to the staff,
 * so that a desk that had not read them yet can still read the messages
 * before it. */
static enum tl_err
seal_end(void *arg, int64_t id, int64_t at, uint8_t **blob, size_t *len)
{
	const struct sealing	*g = arg;

	return tl_conv_end_seal(g->s->k, g->staff_pk, g->s->ref, id, at,
	    g->s->pk, g->s->salt, blob, len);
}

/* --- reading requests ------------------------------------------------- */

/* The fields of a follow-up form. */
struct form {
	const char	*ref, *code, *message, *token, *confirm;
	struct tl_pairs	 pairs;
};

/* Parses the form body: TL_OK, TL_ENOMEM, or a request error. */
static enum tl_err
form_read(const struct tl_request *req, struct form *f)
{
	const char	**slot;
	enum tl_err	  rc;
	size_t		  i;

	memset(f, 0, sizeof(*f));
	if (req->too_large)
		return TL_ETOOLARGE;
	if (!tl_media_is(req->content_type,
	    "application/x-www-form-urlencoded"))
		return TL_EMEDIA;
	if ((rc = tl_urlenc_parse(req->body, req->body_len, FORM_FIELDS,
	    &f->pairs)) != TL_OK)
		return rc;
	for (i = 0; i < f->pairs.n; i++) {
		const char *n = f->pairs.v[i].name;

		slot = strcmp(n, "ref") == 0 ? &f->ref :
		    strcmp(n, "code") == 0 ? &f->code :
		    strcmp(n, "message") == 0 ? &f->message :
		    strcmp(n, "token") == 0 ? &f->token :
		    strcmp(n, "confirm") == 0 ? &f->confirm : NULL;
		if (slot == NULL)
			continue;	/* unknown fields are ignored */
		if (*slot != NULL)
			return TL_EREPEATED;
		*slot = f->pairs.v[i].value;
	}
	return TL_OK;
}

static void
form_free(struct form *f)
{
	tl_pairs_free(&f->pairs);
}

/* A fresh token for a follow-up form (no minimum time: the person has
 * already shown they read the page). */
static void
token_new(const struct tl_followup *fu, const struct tl_request *req,
    char token[TL_TOKEN_STRSIZE])
{
	tl_token_issue(fu->cfg.form_key, (uint64_t)req->now, 1, token);
}

/* --- pages ------------------------------------------------------------ */

static void
html(struct tl_response *res, int status)
{
	tl_response_start(res, status, "text/html; charset=utf-8");
}

/* The sign-in page: 200 empty, or status with error and what was typed
 * (never the code). */
static void
signin(struct tl_followup *fu, size_t lang, const struct tl_request *req,
    struct tl_response *res, int status, const char *ref,
    const char *error, const char *field)
{
	struct tl_followup_view	 v;
	char			 token[TL_TOKEN_STRSIZE];

	memset(&v, 0, sizeof(v));
	token_new(fu, req, token);
	v.ref = ref;
	v.token = token;
	v.error = error;
	v.error_field = field;
	html(res, status);
	tl_page_followup(fu->cfg.pages, lang, &v, &res->body);
}

void
tl_followup_page(struct tl_followup *fu, size_t lang,
    const struct tl_request *req, struct tl_response *res)
{
	signin(fu, lang, req, res, 200, NULL, NULL, NULL);
}

/* The conversation page for a sender who proved their code. */
static void
conversation(struct tl_followup *fu, size_t lang, struct tl_store *store,
    const struct tl_request *req, struct tl_response *res, int status,
    const struct sender *s, const char *code, const char *message,
    const char *error, int sent)
{
	struct tl_followup_view	 v;
	struct convo		 c;
	char			 token[TL_TOKEN_STRSIZE];
	enum tl_err		 rc;

	if ((rc = convo_read(store, s, &c)) != TL_OK) {
		convo_free(&c);
		if (rc == TL_ENOMEM)
			res->body.oom = 1;
		else
			tl_page_error_answer(fu->cfg.pages, lang, res, 503,
			    "503");
		return;
	}
	memset(&v, 0, sizeof(v));
	token_new(fu, req, token);
	v.ref = s->ref;
	v.code = code;
	v.token = token;
	v.msgs = c.v;
	v.nmsgs = c.n;
	v.message = message;
	v.error = error;
	v.error_field = error == NULL ? NULL : strcmp(error,
	    "fu_err_confirm") == 0 ? "confirm" : "message";
	v.sent = sent;
	html(res, status);
	tl_page_conversation(fu->cfg.pages, lang, &v, &res->body);
	convo_free(&c);
}

/*
 * The answers every form route shares for a request that did not get as
 * far as a sender: 1 when it answered, 0 for A_OK.
 */
static int
auth_answer(struct tl_followup *fu, size_t lang, const struct tl_request *req,
    struct tl_response *res, enum auth a, const char *ref)
{
	switch (a) {
	case A_OK:
		return 0;
	case A_BAD_REF:
		signin(fu, lang, req, res, 422, ref, "fu_err_ref", "ref");
		break;
	case A_BAD_CODE:
		signin(fu, lang, req, res, 422, ref, "fu_err_code", "code");
		break;
	case A_NO_MATCH:
		signin(fu, lang, req, res, 422, ref, "fu_err_no_match",
		    "code");
		break;
	case A_LIMITED:
		signin(fu, lang, req, res, 429, ref, "fu_err_too_many",
		    "code");
		break;
	case A_FULL:
		tl_page_error_answer(fu->cfg.pages, lang, res, 503, "503_busy");
		break;
	case A_STORE:
		tl_page_error_answer(fu->cfg.pages, lang, res, 503, "503");
		break;
	case A_NOMEM:
		res->body.oom = 1;
		break;
	}
	return 1;
}

/* Reads a follow-up form and checks its token: 0 and f to go on, or -1
 * when it answered (f freed). */
static int
form_start(struct tl_followup *fu, size_t lang, const struct tl_request *req,
    struct tl_response *res, struct form *f)
{
	struct tl_token	 tok;
	enum tl_err	 rc;

	if ((rc = form_read(req, f)) != TL_OK) {
		form_free(f);
		if (rc == TL_ENOMEM)
			res->body.oom = 1;
		else
			tl_page_error_answer(fu->cfg.pages, lang, res,
			    rc == TL_ETOOLARGE ? 413 : rc == TL_EMEDIA ? 415 :
			    400, rc == TL_ETOOLARGE ? "413" : "400");
		return -1;
	}
	if (tl_token_check(fu->cfg.form_key, f->token, (uint64_t)req->now, 0,
	    86400, &tok) != TL_TOKEN_OK) {
		signin(fu, lang, req, res, 422, f->ref, "fu_err_token", NULL);
		form_free(f);
		return -1;
	}
	return 0;
}

void
tl_followup_open(struct tl_followup *fu, size_t lang,
    struct tl_store *store, const struct tl_request *req,
    struct tl_response *res)
{
	struct form	 f;
	struct sender	 s;
	enum auth	 a;

	if (form_start(fu, lang, req, res, &f) == -1)
		return;
	a = authenticate(fu, store, f.ref, f.code, req->now, &s);
	if (!auth_answer(fu, lang, req, res, a, f.ref))
		conversation(fu, lang, store, req, res, 200, &s, f.code, NULL,
		    NULL, 0);
	sender_done(&s);
	form_free(&f);
}

/* The message's text by the description's rules into *text: NULL and
 * the catalogue key of what is wrong in *why, or the text. */
static enum tl_err
message_check(const char *in, char **text, const char **why)
{
	const char	*code;
	enum tl_err	 rc;

	*why = NULL;
	rc = tl_text_check(in != NULL ? in : "", in != NULL ? strlen(in) : 0,
	    MSG_MIN, MSG_MAX, text, &code);
	if (rc == TL_EINVAL)
		*why = strcmp(code, "required") == 0 ? "fu_err_message" :
		    strcmp(code, "too_long") == 0 ? "fu_err_message_long" :
		    "fu_err_message_chars";
	return rc;
}

/* Stores the message or the end for s; TL_OK also for a resend. */
static enum tl_err
store_message(struct tl_followup *fu, struct tl_store *store,
    const struct sender *s, const char *text, const char *dedupe,
    int64_t now, int end)
{
	struct sealing		 g = { s, text, fu->cfg.staff_pk };
	struct tl_conv_add	 a;
	int64_t			 id;
	enum tl_err		 rc;

	memset(&a, 0, sizeof(a));
	a.ref = s->ref;
	a.from = TL_SEAL_FROM_SENDER;
	a.at = now;
	a.dedupe = dedupe;
	a.end = end;
	a.seal = end ? seal_end : seal_text;
	a.arg = &g;
	a.notify = !end;
	if (store == NULL)
		return TL_ESTORE;
	rc = tl_store_conv_add(store, &a, &id);
	if (rc == TL_EDUPLICATE)
		rc = TL_OK;
	else if (rc == TL_OK && !end)
		atomic_fetch_add(&fu->n_added, 1);
	if (rc == TL_ESTORE)
		fprintf(stderr, "tipline: follow-up: %s\n",
		    tl_store_errmsg(store));
	return rc;
}

void
tl_followup_add(struct tl_followup *fu, size_t lang, struct tl_store *store,
    const struct tl_request *req, struct tl_response *res)
{
	struct tl_token	 tok;
	struct form	 f;
	struct sender	 s;
	const char	*why;
	char		*text = NULL, nonce[TL_TOKEN_NONCEHEX];
	char		 dedupe[TL_TOKEN_NONCEHEX + 2];
	enum tl_err	 rc;
	enum auth	 a;

	if (form_start(fu, lang, req, res, &f) == -1)
		return;
	a = authenticate(fu, store, f.ref, f.code, req->now, &s);
	if (auth_answer(fu, lang, req, res, a, f.ref))
		goto out;
	if ((rc = message_check(f.message, &text, &why)) == TL_ENOMEM) {
		res->body.oom = 1;
		goto out;
	} else if (rc != TL_OK) {
		conversation(fu, lang, store, req, res, 422, &s, f.code,
		    f.message, why, 0);
		goto out;
	}
	/* form_start checked the token: the same nonce again is a resend. */
	tl_token_decode(fu->cfg.form_key, f.token, &tok);
	tl_token_nonce_hex(&tok, nonce);
	snprintf(dedupe, sizeof(dedupe), "t:%s", nonce);
	rc = store_message(fu, store, &s, text, dedupe, req->now, 0);
	if (rc == TL_OK)
		conversation(fu, lang, store, req, res, 200, &s, f.code, NULL,
		    NULL, 1);
	else if (rc == TL_ENOTFOUND)	/* ended meanwhile */
		signin(fu, lang, req, res, 422, f.ref, "fu_err_no_match",
		    "code");
	else if (rc == TL_ENOMEM)
		res->body.oom = 1;
	else
		tl_page_error_answer(fu->cfg.pages, lang, res, 503, "503");
out:
	tl_free_wiped(text);
	sender_done(&s);
	form_free(&f);
}

void
tl_followup_end(struct tl_followup *fu, size_t lang, struct tl_store *store,
    const struct tl_request *req, struct tl_response *res)
{
	struct form	 f;
	struct sender	 s;
	enum tl_err	 rc;
	enum auth	 a;

	if (form_start(fu, lang, req, res, &f) == -1)
		return;
	a = authenticate(fu, store, f.ref, f.code, req->now, &s);
	if (auth_answer(fu, lang, req, res, a, f.ref))
		goto out;
	if (f.confirm == NULL || strcmp(f.confirm, "yes") != 0) {
		conversation(fu, lang, store, req, res, 422, &s, f.code, NULL,
		    "fu_err_confirm", 0);
		goto out;
	}
	rc = store_message(fu, store, &s, NULL, NULL, req->now, 1);
	if (rc == TL_OK || rc == TL_ENOTFOUND) {	/* ended already */
		html(res, 200);
		tl_page_followup_ended(fu->cfg.pages, lang, &res->body);
	} else if (rc == TL_ENOMEM)
		res->body.oom = 1;
	else
		tl_page_error_answer(fu->cfg.pages, lang, res, 503, "503");
out:
	sender_done(&s);
	form_free(&f);
}

/* --- the API ---------------------------------------------------------- */

/* 4xx {"errors": [{"field", "code", "message"}]} in the first language. */
static void
api_error(struct tl_followup *fu, struct tl_response *res, int status,
    const char *field, const char *code, const char *key)
{
	json_t	*j;
	char	*s, msg[512];

	snprintf(msg, sizeof(msg), "%s", tl_cat_get(tl_pages_cat(
	    fu->cfg.pages, 0), key));
	tl_response_start(res, status, "application/json");
	j = json_pack("{s:[{s:s,s:s,s:s}]}", "errors", "field", field,
	    "code", code, "message", msg);
	s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s == NULL)
		res->body.oom = 1;
	else
		tl_buf_puts(&res->body, s);
	free(s);
	json_decref(j);
}

/* The API's answer for a request that did not get as far as a sender:
 * 1 when it answered. */
static int
api_auth_answer(struct tl_followup *fu, struct tl_response *res, enum auth a)
{
	switch (a) {
	case A_OK:
		return 0;
	case A_BAD_REF:
		api_error(fu, res, 422, "ref", "invalid_format", "fu_err_ref");
		break;
	case A_BAD_CODE:
		api_error(fu, res, 422, "code", "invalid_format",
		    "fu_err_code");
		break;
	case A_NO_MATCH:
		api_error(fu, res, 422, "code", "no_match",
		    "fu_err_no_match");
		break;
	case A_LIMITED:
		api_error(fu, res, 429, "ref", "too_many_attempts",
		    "fu_err_too_many");
		break;
	case A_FULL:
		api_error(fu, res, 503, "ref", "busy", "api_busy");
		break;
	case A_STORE:
		tl_response_json_error(res, 503, TL_ESTORE);
		break;
	case A_NOMEM:
		res->body.oom = 1;
		break;
	}
	return 1;
}

/* The API's JSON body: its strings ref, code and (want_message)
 * message. 0, or -1 when it answered. */
static int
api_start(struct tl_followup *fu, const struct tl_request *req,
    struct tl_response *res, json_t **root, const char **ref,
    const char **code, const char **message)
{
	json_error_t	 jerr;
	json_t		*v;

	*root = NULL;
	if (req->too_large) {
		tl_response_json_error(res, 413, TL_ETOOLARGE);
		return -1;
	}
	if (!tl_media_is(req->content_type, "application/json")) {
		tl_response_json_error(res, 415, TL_EMEDIA);
		return -1;
	}
	if (!tl_utf8_valid(req->body, req->body_len) ||
	    (*root = json_loadb(req->body, req->body_len,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		tl_response_json_error(res, 400, TL_EJSON);
		return -1;
	}
	*ref = json_string_value(json_object_get(*root, "ref"));
	*code = json_string_value(json_object_get(*root, "code"));
	if (message != NULL) {
		v = json_object_get(*root, "message");
		*message = json_string_value(v);
		if (v != NULL && *message == NULL) {
			api_error(fu, res, 422, "message", "invalid_format",
			    "fu_err_message");
			json_decref(*root);
			*root = NULL;
			return -1;
		}
	}
	return 0;
}

void
tl_followup_api_read(struct tl_followup *fu, struct tl_store *store,
    const struct tl_request *req, struct tl_response *res)
{
	json_t		*root, *arr = NULL, *o;
	const char	*ref, *code;
	char		*s = NULL, at[24];
	struct sender	 snd;
	struct convo	 c;
	size_t		 i;
	enum tl_err	 rc;
	enum auth	 a;

	memset(&c, 0, sizeof(c));
	if (api_start(fu, req, res, &root, &ref, &code, NULL) == -1)
		return;
	a = authenticate(fu, store, ref, code, req->now, &snd);
	if (api_auth_answer(fu, res, a))
		goto out;
	if ((rc = convo_read(store, &snd, &c)) != TL_OK) {
		if (rc == TL_ENOMEM)
			res->body.oom = 1;
		else
			tl_response_json_error(res, 503, TL_ESTORE);
		goto out;
	}
	if ((arr = json_array()) == NULL)
		goto oom;
	for (i = 0; i < c.n; i++) {
		tl_time_rfc3339(c.v[i].at, at);
		o = json_pack("{s:s,s:s,s:s}", "from", c.v[i].from_staff ?
		    "staff" : "sender", "at", at, "text", c.v[i].text);
		if (json_array_append_new(arr, o) == -1)
			goto oom;
	}
	o = json_pack("{s:O}", "messages", arr);
	s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (s == NULL)
		goto oom;
	tl_response_start(res, 200, "application/json");
	tl_buf_puts(&res->body, s);
	tl_free_wiped(s);
	goto out;
oom:
	res->body.oom = 1;
out:
	json_decref(arr);
	convo_free(&c);
	sender_done(&snd);
	json_decref(root);
}

void
tl_followup_api_add(struct tl_followup *fu, struct tl_store *store,
    const struct tl_request *req, struct tl_response *res)
{
	json_t		*root;
	const char	*ref, *code, *message, *why;
	char		*text = NULL, key[TL_HASH_HEX];
	char		 dedupe[TL_HASH_HEX + 2];
	struct sender	 s;
	enum tl_err	 rc;
	enum auth	 a;

	if (req->idem_key != NULL && (strlen(req->idem_key) > 64 ||
	    *req->idem_key == '\0')) {
		tl_response_json_error(res, 400, TL_EIDEMKEY);
		return;
	}
	if (api_start(fu, req, res, &root, &ref, &code, &message) == -1)
		return;
	a = authenticate(fu, store, ref, code, req->now, &s);
	if (api_auth_answer(fu, res, a))
		goto out;
	if ((rc = message_check(message, &text, &why)) == TL_ENOMEM) {
		res->body.oom = 1;
		goto out;
	} else if (rc != TL_OK) {
		api_error(fu, res, 422, "message", strcmp(why,
		    "fu_err_message") == 0 ? "required" : strcmp(why,
		    "fu_err_message_long") == 0 ? "too_long" :
		    "invalid_characters", why);
		goto out;
	}
	/* With an Idempotency-Key, a retry stores the message once. */
	if (req->idem_key != NULL) {
		tl_seal_keyed_hash(fu->cfg.idem_hash_key, req->idem_key,
		    strlen(req->idem_key), key);
		snprintf(dedupe, sizeof(dedupe), "i:%s", key);
	}
	rc = store_message(fu, store, &s, text, req->idem_key != NULL ?
	    dedupe : NULL, req->now, 0);
	if (rc == TL_OK) {
		tl_response_start(res, 201, "application/json");
		tl_buf_puts(&res->body, "{}");
	} else if (rc == TL_ENOTFOUND)
		api_error(fu, res, 422, "code", "no_match", "fu_err_no_match");
	else if (rc == TL_ENOMEM)
		res->body.oom = 1;
	else
		tl_response_json_error(res, 503, TL_ESTORE);
out:
	tl_free_wiped(text);
	sender_done(&s);
	json_decref(root);
}
