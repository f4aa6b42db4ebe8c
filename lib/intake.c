/*
 * intake.c — submissions: the form (POST {base_path}/) and the JSON API
 * (POST {base_path}/api/v1/tips), in the order of checks SPEC 5.4 gives.
 * A reference is shown only after the store has durably committed the tip
 * and its pending delivery.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intake.h"
#include "tip.h"
#include "urlenc.h"

#define MAX_ERRORS	TL_F__MAX
#define REF_TRIES	8	/* references drawn when one is taken */
#define PACE_DEFAULT_US	4000	/* pace_like_a_tip() before any tip */
#define PACE_MAX_US	100000

/* What a form submission carries besides the report. */
struct form_input {
	const char	*token;		/* borrowed from the pairs, or NULL */
	const char	*website;	/* the honeypot, or NULL */
};

static const char *const outcome_names[TL_OC__MAX] = { "accepted",
    "invalid", "malformed", "spam", "duplicate", "store_error" };

const char *
tl_outcome_name(enum tl_outcome oc)
{
	return outcome_names[oc];
}

static void
count(const struct tl_intake *in, enum tl_outcome oc)
{
	atomic_fetch_add(&in->counts->outcomes[oc], 1);
}

static uint64_t
usec_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * Waits about as long as sealing and storing the last tip took (with a
 * little jitter around it; before any, about one fsync; never more than
 * 0.1 s), so that the honeypot's receipt, which stores nothing, cannot be
 * told from a stored tip's by its timing.
 */
static void
pace_like_a_tip(const struct tl_intake *in)
{
	uint64_t	 us = atomic_load(&in->counts->last_store_us);
	struct timespec	 ts;

	if (us == 0)
		us = PACE_DEFAULT_US;
	if (us > PACE_MAX_US)
		us = PACE_MAX_US;
	us = us - us / 8 + tl_seal_random_below((uint32_t)(us / 4 + 1));
	ts.tv_sec = (time_t)(us / 1000000);
	ts.tv_nsec = (long)(us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* The 400/413/415 page for a form submission that cannot be read. */
static void
form_request_error(const struct tl_intake *in, size_t lang,
    struct tl_response *res, enum tl_err err)
{
	int	 status = err == TL_ETOOLARGE ? 413 :
	    err == TL_EMEDIA ? 415 : 400;

	count(in, TL_OC_MALFORMED);
	tl_page_error_answer(in->pages, lang, res, status,
	    status == 413 ? "413" : "400");
}

/* 503: nothing was saved. lang is the page's language (the API has its
 * JSON error instead: json set). */
static void
store_failed(const struct tl_intake *in, size_t lang,
    struct tl_response *res, int json)
{
	count(in, TL_OC_STORE_ERROR);
	if (json) {
		tl_response_json_error(res, 503, TL_ESTORE);
		return;
	}
	tl_page_error_answer(in->pages, lang, res, 503, "503");
}

/* The receipt of ref in lang; r (NULL for a tip stored before, whose
 * answers are sealed) says whether it is urgent and who sent it; fo and
 * code what it says of follow-up. */
static void
receipt(const struct tl_intake *in, size_t lang, struct tl_response *res,
    const char *ref, const struct tl_report *r, enum tl_fu_outcome fo,
    const char *code)
{
	struct tl_receipt_view	 v = { ref, 0, 0, (int)fo, code };

	if (r != NULL) {
		v.urgent = r->priority == TL_PRIO_URGENT;
		v.young = r->value[TL_F_REPORTER] != NULL &&
		    strcmp(r->value[TL_F_REPORTER], "young_person") == 0;
	}
	tl_response_start(res, 200, "text/html; charset=utf-8");
	tl_page_receipt(in->pages, lang, &v, &res->body);
}

/*
 * Splits the form body into the report and the form-only fields. Returns
 * TL_OK or the request error (TL_EREPEATED for token/website twice).
 */
static enum tl_err
read_form(const struct tl_pairs *pairs, struct tl_report *r,
    struct form_input *fi)
{
	const char	**slot;
	enum tl_err	  rc;
	size_t		  i;

	for (i = 0; i < pairs->n; i++) {
		const struct tl_pair *p = &pairs->v[i];

		slot = strcmp(p->name, "token") == 0 ? &fi->token :
		    strcmp(p->name, "website") == 0 ? &fi->website : NULL;
		if (slot != NULL) {
			if (*slot != NULL)
				return TL_EREPEATED;
			*slot = p->value;
			continue;
		}
		rc = tl_report_set(r, p->name, p->namelen, p->value, p->len);
		if (rc != TL_OK)
			return rc;
	}
	return TL_OK;
}

/* The catalogue key of the message for a token that did not pass. */
static const char *
token_message(enum tl_token_status st)
{
	switch (st) {
	case TL_TOKEN_EXPIRED:
		return "token_expired";
	case TL_TOKEN_TOO_FAST:
		return "token_too_fast";
	default:
		return "token_invalid";
	}
}

/*
 * The token of a 422 page. Only a POST that carried a valid token keeps
 * the person's head start: after field errors (or an expired form, which
 * came from our page too) the new token skips form_min_seconds; a token
 * sent too fast passes its issue time on, so the form still waits from
 * when it was first opened; without a valid token the new one waits like
 * a fresh form's. So a bot gains nothing by posting an empty form first.
 */
static void
again_token(const struct tl_intake *in, const struct tl_request *req,
    const struct tl_token *tok, enum tl_token_status st,
    char token[TL_TOKEN_STRSIZE])
{
	if (st == TL_TOKEN_TOO_FAST)
		tl_token_issue(in->form_key, tok->issued, 0, token);
	else
		tl_token_issue(in->form_key, (uint64_t)req->now,
		    st == TL_TOKEN_OK || st == TL_TOKEN_EXPIRED, token);
}

/* 422: the form again with the values, errors and a new token. */
static void
form_again(const struct tl_intake *in, size_t lang,
    const struct tl_request *req, struct tl_response *res,
    const struct tl_report *r,
    const struct tl_field_error *errs, size_t nerrs,
    const struct tl_token *tok, enum tl_token_status st)
{
	char			 token[TL_TOKEN_STRSIZE];
	struct tl_form_view	 v;

	count(in, TL_OC_INVALID);
	again_token(in, req, tok, st, token);
	v.report = r;
	v.errs = errs;
	v.nerrs = nerrs;
	v.token_error = st != TL_TOKEN_OK ? token_message(st) : NULL;
	v.token = token;
	tl_response_start(res, 422, "text/html; charset=utf-8");
	tl_page_form(in->pages, lang, &v, &res->body);
}

/*
 * Stands in for the reference in an answer built before its tip is stored,
 * so that nothing needs memory once the tip is durable: a tip is never
 * stored and then answered "not saved". As long as a reference, and no
 * character of it is escaped in HTML or JSON.
 */
static const char pending_ref[TL_REF_SIZE] = "TL-....-....";

/* Writes ref over every pending_ref in b. */
static void
patch_ref(struct tl_buf *b, const char *ref)
{
	size_t	 i;

	for (i = 0; i + TL_REF_LEN <= b->len; i++)
		if (memcmp(b->data + i, pending_ref, TL_REF_LEN) == 0)
			memcpy(b->data + i, ref, TL_REF_LEN);
}

/*
 * Seals sub's report under a fresh reference in this thread (so that the
 * single writer never waits on sealing), stores it through the group
 * commit and counts the outcome. A reference found taken is drawn and
 * sealed again. Returns the store's result; ref is set for TL_OK. start
 * is when the tip's work began (usec_now), for the honeypot's pacing.
 */
static enum tl_err
store_tip(const struct tl_intake *in, struct tl_submit *sub,
    char ref[TL_REF_SIZE], uint64_t start)
{
	struct tl_tip	 view;
	uint8_t		*blob;
	char		 drawn[TL_REF_SIZE], err[128];
	enum tl_err	 rc = TL_ETAKEN;
	int		 try;

	for (try = 0; try < REF_TRIES && rc == TL_ETAKEN; try++) {
		tl_ref_random(drawn);
		if ((rc = tl_tip_prepare(sub, &view, drawn, in->staff_pk,
		    &blob, err, sizeof(err))) == TL_OK)
			rc = tl_commitq_add(in->commitq, sub, ref);
		else {
			fprintf(stderr, "tipline: seal: %s\n", err);
			rc = TL_ENOMEM;
		}
		free(blob);
	}
	if (rc == TL_OK) {
		atomic_store(&in->counts->last_store_us, usec_now() - start);
		count(in, TL_OC_ACCEPTED);
		atomic_fetch_add(&in->counts->accepted[sub->report->priority],
		    1);
	} else if (rc == TL_ESTORE || rc == TL_ETAKEN) {
		fprintf(stderr, "tipline: store: %s\n",
		    tl_commitq_errmsg(in->commitq));
		rc = TL_ESTORE;
	}
	return rc;
}

/*
 * What the receipt of a resent tip (stored under dedupe as ref) says of
 * follow-up: the code again within TL_FU_REMEMBER of the first answer;
 * later, that it was shown then, if the tip has a sender's key; else
 * nothing.
 */
static void
resent_receipt(const struct tl_intake *in, struct tl_store *store,
    const char *dedupe, const char *ref, enum tl_fu_outcome *fo,
    char code[TL_FU_CODE_SIZE])
{
	uint8_t		 pk[TL_SEAL_KEYBYTES], salt[TL_SEAL_SALTBYTES];

	code[0] = '\0';
	if (tl_followup_recall(in->followup, dedupe, (int64_t)time(NULL),
	    code))
		*fo = TL_FU_GRANTED;
	else if (tl_followup_grant_on(in->followup) && store != NULL &&
	    tl_store_sender(store, ref, pk, salt) == TL_OK)
		*fo = TL_FU_SHOWN;
	else
		*fo = TL_FU_OFF;
}

/*
 * Answers a replay of a token already used for a stored tip with that
 * tip's receipt, the first check of SPEC 5.4. Returns 1 when it answered
 * (the receipt, or 503 when the store cannot say), 0 for a fresh token.
 */
static int
form_replayed(const struct tl_intake *in, size_t lang,
    struct tl_store *store, struct tl_response *res, const char *nonce)
{
	char		 ref[TL_REF_SIZE], code[TL_FU_CODE_SIZE];
	char		 dedupe[TL_TOKEN_NONCEHEX + 2];
	enum tl_fu_outcome fo;
	enum tl_err	 rc;

	rc = store != NULL ? tl_store_find_token(store, nonce, ref) :
	    TL_ESTORE;
	if (rc == TL_ENOTFOUND)
		return 0;
	if (rc == TL_OK) {
		count(in, TL_OC_DUPLICATE);
		snprintf(dedupe, sizeof(dedupe), "t:%s", nonce);
		resent_receipt(in, store, dedupe, ref, &fo, code);
		receipt(in, lang, res, ref, NULL, fo, code);
		sodium_memzero(code, sizeof(code));
	} else
		store_failed(in, lang, res, 0);
	return 1;
}

/* Stores a valid form tip; answers its receipt only once it is durable. */
static void
form_store(const struct tl_intake *in, size_t lang, struct tl_store *store,
    const struct tl_request *req, struct tl_response *res,
    const struct tl_report *r, const char *nonce)
{
	struct tl_submit	 sub;
	struct tl_fu_grant	 g;
	char			 ref[TL_REF_SIZE];
	char			 dedupe[TL_TOKEN_NONCEHEX + 2];
	enum tl_fu_outcome	 fo;
	enum tl_err		 rc = TL_ENOMEM;
	uint64_t		 start = usec_now();

	memset(&sub, 0, sizeof(sub));
	sub.report = r;
	sub.received_at = req->now;
	sub.token_nonce = nonce;
	if ((fo = tl_followup_grant(in->followup, &g)) == TL_FU_GRANTED) {
		sub.sender_pk = g.pk;
		sub.sender_salt = g.salt;
	}
	receipt(in, lang, res, pending_ref, r, fo, g.code);
	if (tl_response_ok(res))
		rc = store_tip(in, &sub, ref, start);
	if (rc == TL_OK && fo == TL_FU_GRANTED) {
		snprintf(dedupe, sizeof(dedupe), "t:%s", nonce);
		tl_followup_remember(in->followup, dedupe, g.code, req->now);
	}
	sodium_memzero(&g, sizeof(g));
	if (rc == TL_OK) {
		patch_ref(&res->body, ref);
		return;
	}
	/* The store refused a used nonce, or could not write: a tip sent
	 * earlier with this token may be there, and is answered. */
	tl_response_reset(res);
	if (!form_replayed(in, lang, store, res, nonce))
		store_failed(in, lang, res, 0);
}

/*
 * The checks of SPEC 5.4 after the body was read into r and in. A replayed
 * token must be answered with its receipt before any other check, but a
 * submission that passes them all is not looked up first: the store
 * refuses its used nonce and form_store() answers that receipt. Only one
 * that would be refused here is looked up.
 */
static void
form_checks(const struct tl_intake *in, size_t lang, struct tl_store *store,
    const struct tl_request *req, struct tl_response *res,
    struct tl_report *r, const struct form_input *fi)
{
	struct tl_field_error	 errs[MAX_ERRORS];
	struct tl_token		 tok;
	struct tl_fu_grant	 g;
	char			 ref[TL_REF_SIZE], nonce[TL_TOKEN_NONCEHEX];
	enum tl_token_status	 st;
	size_t			 nerrs;
	int			 tokok;

	tokok = tl_token_decode(in->form_key, fi->token, &tok) == TL_OK;
	if (tokok)
		tl_token_nonce_hex(&tok, nonce);
	if (fi->website != NULL && *fi->website != '\0') {
		if (tokok && form_replayed(in, lang, store, res, nonce))
			return;
		count(in, TL_OC_SPAM);
		pace_like_a_tip(in);
		if (tokok)
			tl_token_decoy_ref(in->form_key, &tok, ref);
		else
			tl_ref_random(ref);
		/* A code as a stored tip's receipt would show, stored
		 * nowhere. */
		receipt(in, lang, res, ref, NULL, tl_followup_decoy(
		    in->followup, &g), g.code);
		sodium_memzero(&g, sizeof(g));
		return;
	}
	if (!tokok)
		st = fi->token == NULL || *fi->token == '\0' ?
		    TL_TOKEN_MISSING : TL_TOKEN_INVALID;
	else
		st = tl_token_age(&tok, (uint64_t)req->now,
		    in->form_min_seconds, in->form_max_age);
	nerrs = tl_report_validate(r, errs, MAX_ERRORS);
	if (r->oom) {
		if (!tokok || !form_replayed(in, lang, store, res, nonce))
			store_failed(in, lang, res, 0);
		return;
	}
	if (st != TL_TOKEN_OK || nerrs > 0) {
		if (tokok && form_replayed(in, lang, store, res, nonce))
			return;
		form_again(in, lang, req, res, r, errs, nerrs, &tok, st);
		return;
	}
	form_store(in, lang, store, req, res, r, nonce);
}

void
tl_intake_form(const struct tl_intake *in, size_t lang,
    struct tl_store *store, const struct tl_request *req,
    struct tl_response *res)
{
	struct tl_pairs		 pairs = { NULL, 0, NULL, 0 };
	struct tl_report	 r;
	struct form_input	 fi = { NULL, NULL };
	enum tl_err		 rc;

	tl_report_init(&r);
	if (req->too_large)
		rc = TL_ETOOLARGE;
	else if (!tl_media_is(req->content_type,
	    "application/x-www-form-urlencoded"))
		rc = TL_EMEDIA;
	else if ((rc = tl_urlenc_parse(req->body, req->body_len,
	    TL_MAX_FIELDS, &pairs)) == TL_OK)
		rc = read_form(&pairs, &r, &fi);
	if (rc == TL_ENOMEM)
		res->body.oom = 1;
	else if (rc != TL_OK)
		form_request_error(in, lang, res, rc);
	else
		form_checks(in, lang, store, req, res, &r, &fi);
	tl_report_free(&r);
	tl_pairs_free(&pairs);
}

/* 1-64 printable ASCII characters? */
static int
idem_key_ok(const char *k)
{
	size_t	 n;

	for (n = 0; k[n] != '\0'; n++)
		if (k[n] < 0x20 || k[n] > 0x7e || n == 64)
			return 0;
	return n > 0;
}

/* 201 {"ref": ref}, with "followup_code" when there is one to show. */
static void
api_created(struct tl_response *res, const char *ref, const char *code)
{
	tl_response_start(res, 201, "application/json");
	if (code != NULL && *code != '\0')
		tl_buf_printf(&res->body, "{\"ref\":\"%s\","
		    "\"followup_code\":\"%s\"}", ref, code);
	else
		tl_buf_printf(&res->body, "{\"ref\":\"%s\"}", ref);
}

/* 422 {"errors": [{"field", "code", "message"}, …]}. */
static void
api_invalid(const struct tl_intake *in, struct tl_response *res,
    const struct tl_field_error *errs, size_t nerrs)
{
	json_t	*arr, *o;
	char	*s = NULL, msg[512];
	size_t	 i;

	count(in, TL_OC_INVALID);
	tl_response_start(res, 422, "application/json");
	if ((arr = json_array()) == NULL)
		goto done;
	for (i = 0; i < nerrs; i++) {
		/* In the first language (SPEC 14). */
		tl_cat_field_error(tl_pages_cat(in->pages, 0), &errs[i], msg,
		    sizeof(msg));
		o = json_pack("{s:s,s:s,s:s}", "field",
		    tl_fields[errs[i].field].name, "code", errs[i].code,
		    "message", msg);
		if (json_array_append_new(arr, o) == -1)
			goto done;
	}
	o = json_pack("{s:o}", "errors", arr);
	arr = NULL;
	s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
done:
	json_decref(arr);
	if (s == NULL)
		res->body.oom = 1;
	else
		tl_buf_puts(&res->body, s);
	free(s);
}

/* An Idempotency-Key (its keyed hash key) seen before: the same ref (and
 * code, within TL_FU_REMEMBER), or 422 for another body. */
static void
api_replay(const struct tl_intake *in, struct tl_response *res, const char *ref,
    const char *key, const char *stored_hash, const char *hash)
{
	char	 dedupe[TL_HASH_HEX + 2], code[TL_FU_CODE_SIZE] = "";

	if (strcmp(stored_hash, hash) == 0) {
		count(in, TL_OC_DUPLICATE);
		snprintf(dedupe, sizeof(dedupe), "i:%s", key);
		tl_followup_recall(in->followup, dedupe, (int64_t)time(NULL),
		    code);
		api_created(res, ref, code);
		sodium_memzero(code, sizeof(code));
	} else {
		count(in, TL_OC_INVALID);
		tl_response_json_error(res, 422, TL_EIDEMMISMATCH);
	}
}

/* Validates and stores an API report whose body parsed. */
static void
api_store(const struct tl_intake *in, struct tl_store *store,
    const struct tl_request *req, struct tl_response *res,
    struct tl_report *r)
{
	struct tl_field_error	 errs[MAX_ERRORS];
	struct tl_submit	 sub;
	struct tl_fu_grant	 g;
	char			 hash[TL_HASH_HEX], stored[TL_HASH_HEX];
	char			 key[TL_HASH_HEX], ref[TL_REF_SIZE];
	char			 dedupe[TL_HASH_HEX + 2];
	enum tl_fu_outcome	 fo;
	enum tl_err		 rc = TL_ENOTFOUND;
	size_t			 nerrs;
	uint64_t		 start = usec_now();

	/* Keyed hashes, never the values (SPEC 11): the key's finds its
	 * tip; the body's tells a retry from a reuse of the key. */
	if (req->idem_key != NULL) {
		tl_seal_keyed_hash(in->idem_hash_key, req->idem_key,
		    strlen(req->idem_key), key);
		tl_seal_keyed_hash(in->body_hash_key, req->body,
		    req->body_len, hash);
		rc = store == NULL ? TL_ESTORE :
		    tl_store_find_idem(store, key, ref, stored);
	}
	if (rc == TL_OK) {
		api_replay(in, res, ref, key, stored, hash);
		return;
	} else if (rc != TL_ENOTFOUND) {
		store_failed(in, 0, res, 1);
		return;
	}
	nerrs = tl_report_validate(r, errs, MAX_ERRORS);
	if (r->oom) {
		store_failed(in, 0, res, 1);
		return;
	} else if (nerrs > 0) {
		api_invalid(in, res, errs, nerrs);
		return;
	}
	memset(&sub, 0, sizeof(sub));
	sub.report = r;
	sub.received_at = req->now;
	sub.idem_key = req->idem_key != NULL ? key : NULL;
	sub.body_hash = req->idem_key != NULL ? hash : NULL;
	if ((fo = tl_followup_grant(in->followup, &g)) == TL_FU_GRANTED) {
		sub.sender_pk = g.pk;
		sub.sender_salt = g.salt;
	}
	api_created(res, pending_ref, fo == TL_FU_GRANTED ? g.code : NULL);
	rc = tl_response_ok(res) ? store_tip(in, &sub, ref, start) : TL_ENOMEM;
	if (rc == TL_OK && fo == TL_FU_GRANTED && req->idem_key != NULL) {
		snprintf(dedupe, sizeof(dedupe), "i:%s", key);
		tl_followup_remember(in->followup, dedupe, g.code, req->now);
	}
	sodium_memzero(&g, sizeof(g));
	if (rc == TL_OK) {
		patch_ref(&res->body, ref);
		return;
	}
	tl_response_reset(res);
	if (rc == TL_EDUPLICATE && store != NULL && tl_store_find_idem(store,
	    key, ref, stored) == TL_OK)
		api_replay(in, res, ref, key, stored, hash);
	else
		store_failed(in, 0, res, 1);
}

void
tl_intake_api(const struct tl_intake *in, struct tl_store *store,
    const struct tl_request *req, struct tl_response *res)
{
	struct tl_report	 r;
	enum tl_err		 rc = TL_OK;

	tl_report_init(&r);
	if (req->too_large)
		rc = TL_ETOOLARGE;
	else if (!tl_media_is(req->content_type, "application/json"))
		rc = TL_EMEDIA;
	else if (req->idem_key != NULL && !idem_key_ok(req->idem_key))
		rc = TL_EIDEMKEY;
	else
		rc = tl_report_from_json(&r, req->body, req->body_len);
	if (rc == TL_ENOMEM)
		res->body.oom = 1;
	else if (rc != TL_OK) {
		count(in, TL_OC_MALFORMED);
		tl_response_json_error(res, rc == TL_ETOOLARGE ? 413 :
		    rc == TL_EMEDIA ? 415 : 400, rc);
	} else
		api_store(in, store, req, res, &r);
	tl_report_free(&r);
}
