/*
 * test_desk_conv.c — the desk's side of the conversation with the sender
 * (SPEC 13; lib/desk_conv.c, desk_ingest.c, desk_ask.c), over a real
 * intake store and a real desk store: a sender's message taken in,
 * opened and shown (and bringing its tip to the top of the queue until
 * its page is opened); a message changed or moved in the intake store
 * (its blob, tip, id, author or time) flagged and never shown as text;
 * a restart that neither doubles nor misses one, and a message that
 * waits for its tip; a question from the desk that the sender opens with
 * only their code; an ended conversation that refuses questions, and the
 * sender's key taken from the end row when the desk only ever saw its
 * commitment; an end written into the intake store without the
 * conversation's key (SPEC 16) kept flagged and not counted; purge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "conv.h"
#include "desk_ingest.h"
#include "desk_store.h"
#include "fixture.h"

#define CODE	"4921057388162044"
#define CODE2	"1111222233334444"

struct fx {
	char			 dir[64], intake[96], desk[96];
	struct tl_store		*s;
	struct tl_desk_store	*d;
	struct tl_desk_intake	*in;
	struct tl_seal_secret	*sk;
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	uint8_t			 salt[TL_SEAL_SALTBYTES];
};

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));
	char		 err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/tl-conv-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->intake, sizeof(f->intake), "%s/tipline.db", f->dir);
	snprintf(f->desk, sizeof(f->desk), "%s/staff.db", f->dir);
	assert_int_equal(tl_store_open(f->intake, &f->s, err, sizeof(err)),
	    TL_OK);
	assert_int_equal(tl_desk_store_open(f->desk, &f->d, err, sizeof(err)),
	    TL_OK);
	assert_int_equal(tl_desk_intake_open(f->intake, &f->in, err,
	    sizeof(err)), TL_OK);
	fx_staff_keys(f->pk, &f->sk);
	memset(f->salt, 0x42, sizeof(f->salt));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	tl_desk_intake_close(f->in);
	tl_desk_store_close(f->d);
	tl_store_close(f->s);
	tl_seal_secret_free(f->sk);
	rmtree(f->dir);
	free(f);
	return 0;
}

/*
 * Stores a tip received at `at` as intake does, its blob bound to the
 * sender's key from code and salt (code NULL: no follow-up); its ref
 * into ref.
 */
static void
plant(struct fx *f, const char *code, const uint8_t *salt, int64_t at,
    char ref[TL_REF_SIZE])
{
	struct tl_report	 r;
	struct tl_submit	 sub;
	struct tl_tip		 view;
	struct tl_seal_secret	*ssk = NULL;
	uint8_t			 spk[TL_SEAL_KEYBYTES], *blob = NULL;
	char			 want[TL_REF_SIZE], err[128];

	memset(&r, 0, sizeof(r));
	r.value[TL_F_CONCERNS] = strdup("dealing");
	r.concerns = 1u;
	r.value[TL_F_DESCRIPTION] = strdup("Dealing from the flats by the "
	    "canal every evening.");
	r.value[TL_F_LOCATION] = strdup("Canal flats");
	r.priority = TL_PRIO_NORMAL;
	tl_ref_random(want);
	tl_tip_view(&view, want, at, &r);
	if (code != NULL) {
		assert_int_equal(tl_seal_sender_keypair(code, salt, spk, &ssk),
		    TL_OK);
		tl_seal_secret_free(ssk);
		view.has_sender = 1;
		memcpy(view.sender_pk, spk, sizeof(spk));
		memcpy(view.sender_salt, salt, TL_SEAL_SALTBYTES);
	}
	memset(&sub, 0, sizeof(sub));
	sub.report = &r;
	sub.received_at = at;
	if (tl_tip_seal(&view, f->pk, &blob, &sub.sealed_len, err,
	    sizeof(err)) != TL_OK)
		fail_msg("seal: %s", err);
	sub.ref = view.ref;
	sub.sealed = blob;
	sub.sender_pk = code != NULL ? view.sender_pk : NULL;
	sub.sender_salt = code != NULL ? view.sender_salt : NULL;
	assert_int_equal(tl_store_add(f->s, &sub, ref), TL_OK);
	free(blob);
	report_clear(&r);
}

/* The sender's side: what seals a message, and what a seal needs. */
struct side {
	struct tl_seal_shared	*k;
	const char		*ref, *text;
	enum tl_seal_author	 from;
	const uint8_t		*staff_pk;
	const uint8_t		*pk, *salt;	/* for an end row */
};

static enum tl_err
seal_text(void *arg, int64_t id, int64_t at, uint8_t **blob, size_t *len)
{
	struct side		*s = arg;
	struct tl_seal_msg_ad	 ad = { s->ref, id, s->from, at };
	char			 err[128];

	return tl_seal_msg_seal(s->k, &ad, s->text, blob, len, err,
	    sizeof(err));
}

/* An end row's blob, as tipline.fcgi writes it (tl_conv_end_seal). */
static enum tl_err
seal_end(void *arg, int64_t id, int64_t at, uint8_t **blob, size_t *len)
{
	struct side	*s = arg;

	return tl_conv_end_seal(s->k, s->staff_pk, s->ref, id, at, s->pk,
	    s->salt, blob, len);
}

/* What anyone who can write the intake store can make of an end row's
 * blob: the key and salt (read from the tip's row) sealed to the staff
 * public key, with no end message under the conversation's key, or with
 * one under a key of their own. */
static enum tl_err
forge_end(void *arg, int64_t id, int64_t at, uint8_t **blob, size_t *len)
{
	struct side		*s = arg;
	struct tl_seal_ad	 ad = { s->ref, at, NULL, 0, NULL, NULL, NULL };
	char			 hpk[65], hsalt[33], err[128];
	struct tl_seal_field	 fields[2] = { { "pk", hpk },
	    { "salt", hsalt } };
	size_t			 i;

	if (s->k != NULL)	/* a key of the forger's own */
		return seal_end(arg, id, at, blob, len);
	for (i = 0; i < TL_SEAL_KEYBYTES; i++)
		snprintf(hpk + 2 * i, 3, "%02x", s->pk[i]);
	for (i = 0; i < TL_SEAL_SALTBYTES; i++)
		snprintf(hsalt + 2 * i, 3, "%02x", s->salt[i]);
	return tl_seal_seal(s->staff_pk, &ad, fields, 2, blob, len, err,
	    sizeof(err));
}

/* The sender (with code and salt) writes text to ref at time at, or
 * with text NULL ends the conversation. Returns the message's id. */
static int64_t
sender_says(struct fx *f, const char *ref, const char *code,
    const uint8_t *salt, const char *text, int64_t at)
{
	struct tl_seal_secret	*ssk = NULL;
	uint8_t			 spk[TL_SEAL_KEYBYTES];
	struct side		 s = { NULL, ref, text, TL_SEAL_FROM_SENDER,
	    f->pk, spk, salt };
	struct tl_conv_add	 a = { ref, TL_SEAL_FROM_SENDER, at, NULL,
	    text == NULL, text == NULL ? seal_end : seal_text, &s, 1 };
	int64_t			 id;

	assert_int_equal(tl_seal_sender_keypair(code, salt, spk, &ssk), TL_OK);
	assert_int_equal(tl_seal_shared_new(ssk, f->pk, &s.k), TL_OK);
	assert_int_equal(tl_store_conv_add(f->s, &a, &id), TL_OK);
	tl_seal_shared_free(s.k);
	tl_seal_secret_free(ssk);
	return id;
}

/* One ingest round of tips, then of messages; the messages the cursor
 * passed. */
static size_t
ingest(struct fx *f, int64_t now)
{
	size_t	 n;

	assert_int_equal(tl_desk_ingest_round(f->d, f->in, f->sk, 100, now,
	    &n), TL_OK);
	assert_int_equal(tl_desk_ingest_messages_round(f->d, f->in, f->sk,
	    100, now, &n), TL_OK);
	return n;
}

/* The tip ref from the desk (the caller json_decref()s it). */
static json_t *
desk_tip(struct fx *f, const char *ref)
{
	json_t	*t;

	assert_int_equal(tl_desk_tip(f->d, ref, &t), TL_OK);
	return t;
}

/* The ref of the queue's first row. */
static const char *
queue_top(struct fx *f, char out[TL_REF_SIZE])
{
	struct tl_desk_filter	 none = { 0 };
	json_t			*q;
	int			 more;

	assert_int_equal(tl_desk_queue(f->d, &none, &q, &more), TL_OK);
	snprintf(out, TL_REF_SIZE, "%s", json_string_value(json_object_get(
	    json_array_get(q, 0), "ref")));
	json_decref(q);
	return out;
}

static void
test_sender_message(void **state)
{
	struct fx	*f = *state;
	char		 a[TL_REF_SIZE], b[TL_REF_SIZE], top[TL_REF_SIZE];
	json_t		*t, *m, *s;
	int64_t		 n;

	plant(f, CODE, f->salt, 1000, a);
	plant(f, NULL, NULL, 2000, b);
	assert_int_equal(ingest(f, 2500), 0);
	assert_string_equal(queue_top(f, top), b);
	t = desk_tip(f, a);
	assert_string_equal(json_string_value(json_object_get(t, "follow_up")),
	    "open");
	json_decref(t);
	t = desk_tip(f, b);
	assert_string_equal(json_string_value(json_object_get(t, "follow_up")),
	    "none");
	json_decref(t);

	sender_says(f, a, CODE, f->salt, "The car comes at nine, blue Astra.",
	    3000);
	assert_int_equal(ingest(f, 3100), 1);
	t = desk_tip(f, a);
	assert_int_equal(json_array_size(json_object_get(t, "messages")), 1);
	m = json_array_get(json_object_get(t, "messages"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "from")),
	    "sender");
	assert_string_equal(json_string_value(json_object_get(m, "at")),
	    "1970-01-01T00:50:00Z");
	assert_string_equal(json_string_value(json_object_get(m, "text")),
	    "The car comes at nine, blue Astra.");
	assert_null(json_object_get(m, "fault"));
	assert_true(json_is_true(json_object_get(t, "updated")));
	json_decref(t);
	/* New information: at the top, older as the tip is. */
	assert_string_equal(queue_top(f, top), a);
	assert_int_equal(tl_desk_search(f->d, "Astra", &s), TL_OK);
	assert_int_equal(json_array_size(s), 1);
	json_decref(s);
	assert_int_equal(tl_desk_flagged(f->d, &n), TL_OK);
	assert_int_equal(n, 0);
	/* The JSON view does not count as seeing it; the page does. */
	assert_int_equal(tl_desk_viewed(f->d, a, "alice", 3200, "view_json",
	    0), TL_OK);
	assert_string_equal(queue_top(f, top), a);
	assert_int_equal(tl_desk_viewed(f->d, a, "alice", 3300, "view", 1),
	    TL_OK);
	assert_string_equal(queue_top(f, top), b);
	t = desk_tip(f, a);
	assert_false(json_is_true(json_object_get(t, "updated")));
	json_decref(t);
}

/* The tamperings, each of the intake store's message ?1. */
static const char *const tampers[] = {
	/* a byte of its blob flipped */
	"UPDATE messages SET sealed = ?2 WHERE id = ?1",
	/* moved to another tip (of the same key, see below) */
	"UPDATE messages SET tip_id = (SELECT max(id) FROM tips) WHERE id = ?1",
	"UPDATE messages SET id = id + 1000 WHERE id = ?1",
	"UPDATE messages SET author = 1 WHERE id = ?1",
	"UPDATE messages SET at = at + 1 WHERE id = ?1",
};

/* Does tampers[i] to message id of the intake store. */
static void
tamper(struct fx *f, size_t i, int64_t id)
{
	sqlite3		*db = peek(f->intake);
	sqlite3_stmt	*st;
	uint8_t		*blob = NULL;
	size_t		 len = 0;

	if (i == 0) {
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT sealed FROM"
		    " messages WHERE id = ?1", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_int64(st, 1, id);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		len = (size_t)sqlite3_column_bytes(st, 0);
		assert_non_null(blob = malloc(len));
		memcpy(blob, sqlite3_column_blob(st, 0), len);
		sqlite3_finalize(st);
		blob[len / 2] ^= 1;
	}
	assert_int_equal(sqlite3_prepare_v2(db, tampers[i], -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	if (blob != NULL)
		sqlite3_bind_blob(st, 2, blob, (int)len, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(blob);
}

static void
test_tampered(void **state)
{
	struct fx	*f = *state;
	char		 a[TL_REF_SIZE], twin[TL_REF_SIZE];
	json_t		*t, *msgs, *m;
	size_t		 i, k;
	int64_t		 id, n;

	/* Two tips with the same code and salt, so the same key: moving a
	 * message between them fails by its binding to the ref alone. */
	plant(f, CODE, f->salt, 1000, a);
	plant(f, CODE, f->salt, 1001, twin);
	for (i = 0; i < sizeof(tampers) / sizeof(tampers[0]); i++) {
		id = sender_says(f, a, CODE, f->salt, "SECRETMARKER the flat "
		    "number is 14", 2000 + (int64_t)i);
		tamper(f, i, id);
	}
	/* And one left alone, which opens. */
	sender_says(f, a, CODE, f->salt, "untouched", 3000);
	ingest(f, 4000);
	k = 0;
	for (i = 0; i < 2; i++) {
		t = desk_tip(f, i == 0 ? a : twin);
		msgs = json_object_get(t, "messages");
		json_array_foreach(msgs, id, m) {
			if (json_is_true(json_object_get(m, "fault"))) {
				assert_null(json_object_get(m, "text"));
				k++;
			} else
				assert_string_equal(json_string_value(
				    json_object_get(m, "text")), "untouched");
		}
		json_decref(t);
	}
	assert_int_equal(k, sizeof(tampers) / sizeof(tampers[0]));
	assert_int_equal(q_int(f->desk, "SELECT count(*) FROM messages"
	    " WHERE text LIKE '%SECRETMARKER%'"), 0);
	assert_int_equal(q_int(f->desk, "SELECT count(*) FROM messages"
	    " WHERE fault IS NOT NULL AND text IS NULL"), k);
	assert_int_equal(tl_desk_flagged(f->d, &n), TL_OK);
	assert_int_equal(n, 2);
	/* A faulty message is not new information. */
	t = desk_tip(f, twin);
	assert_false(json_is_true(json_object_get(t, "updated")));
	json_decref(t);
}

static void
test_restart_and_wait(void **state)
{
	struct fx	*f = *state;
	char		 a[TL_REF_SIZE], b[TL_REF_SIZE];
	size_t		 n;
	int64_t		 cur;

	plant(f, CODE, f->salt, 1000, a);
	ingest(f, 1100);
	sender_says(f, a, CODE, f->salt, "first", 1200);
	/* A tip stored after the desk's round, with a message: the message
	 * waits for its tip, and the one before it is taken. */
	plant(f, CODE2, f->salt, 1300, b);
	sender_says(f, b, CODE2, f->salt, "second", 1400);
	sender_says(f, a, CODE, f->salt, "third", 1500);
	assert_int_equal(tl_desk_ingest_messages_round(f->d, f->in, f->sk,
	    100, 1600, &n), TL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(q_int(f->desk, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(ingest(f, 1700), 2);
	assert_int_equal(q_int(f->desk, "SELECT count(*) FROM messages"), 3);
	/* Again, and again from a cursor set back (a crash before its
	 * commit): nothing doubles. */
	assert_int_equal(ingest(f, 1800), 0);
	q_exec(f->desk, "UPDATE meta SET value = 0"
	    " WHERE key = 'message_cursor'");
	assert_int_equal(ingest(f, 1900), 3);
	assert_int_equal(q_int(f->desk, "SELECT count(*) FROM messages"), 3);
	assert_int_equal(tl_desk_msg_cursor(f->d, &cur), TL_OK);
	assert_int_equal(cur, 3);
	assert_int_equal(q_int(f->desk, "SELECT count(*) FROM msg_fts"), 3);
}

/* What the sender reads: each message opened with only the code. */
struct reading {
	struct tl_seal_shared	*k;
	const char		*ref;
	int			 n;
	char			 last[256];
};

static int
read_one(void *arg, const struct tl_conv_row *row)
{
	struct reading		*r = arg;
	struct tl_seal_msg_ad	 ad = { r->ref, row->id, row->from, row->at };
	char			*text, err[128];

	assert_int_equal(tl_seal_msg_open(r->k, &ad, row->sealed, row->len,
	    &text, err, sizeof(err)), TL_OK);
	assert_int_equal(row->from, TL_SEAL_FROM_STAFF);
	snprintf(r->last, sizeof(r->last), "%s", text);
	tl_seal_text_free(text);
	r->n++;
	return 0;
}

static void
test_question_reaches_sender(void **state)
{
	struct fx		*f = *state;
	char			 a[TL_REF_SIZE], b[TL_REF_SIZE], err[256];
	enum tl_desk_conv	 conv;
	struct tl_seal_secret	*ssk = NULL;
	struct reading		 r = { NULL, NULL, 0, "" };
	uint8_t			 pk[TL_SEAL_KEYBYTES], spk[TL_SEAL_KEYBYTES];
	json_t			*t, *m, *audit;
	int			 sent;

	plant(f, CODE, f->salt, 1000, a);
	plant(f, NULL, NULL, 1001, b);
	ingest(f, 1100);
	assert_int_equal(tl_desk_conversation(f->d, b, &conv, pk), TL_OK);
	assert_int_equal(conv, TL_DESK_CONV_NONE);
	assert_int_equal(tl_desk_conversation(f->d, a, &conv, pk), TL_OK);
	assert_int_equal(conv, TL_DESK_CONV_OPEN);
	assert_int_equal(tl_desk_ask(f->d, f->sk, pk, f->intake, a, "alice",
	    1200, "Which floor is the flat on?", "d:once", &sent, err,
	    sizeof(err)), TL_OK);
	assert_true(sent);
	/* The same form again: one question. */
	assert_int_equal(tl_desk_ask(f->d, f->sk, pk, f->intake, a, "alice",
	    1201, "Which floor is the flat on?", "d:once", &sent, err,
	    sizeof(err)), TL_EDUPLICATE);
	/* On the desk at once, with the asker's name; ingest adds nothing. */
	t = desk_tip(f, a);
	assert_int_equal(json_array_size(json_object_get(t, "messages")), 1);
	m = json_array_get(json_object_get(t, "messages"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "from")),
	    "staff");
	assert_string_equal(json_string_value(json_object_get(m, "by")),
	    "alice");
	assert_false(json_is_true(json_object_get(t, "updated")));
	json_decref(t);
	ingest(f, 1300);
	assert_int_equal(q_int(f->desk, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(q_int(f->intake, "SELECT count(*) FROM messages"), 1);
	/* Nothing of it in the intake store's file or the audit log. */
	assert_false(file_holds(f->intake, "Which floor"));
	assert_int_equal(tl_desk_audit_list(f->d, a, NULL, 0, &audit), TL_OK);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(audit, 0), "action")), "message");
	assert_null(strstr(json_string_value(json_object_get(
	    json_array_get(audit, 0), "detail")), "floor"));
	json_decref(audit);
	/* The sender, with only the code and the stored salt. */
	assert_int_equal(tl_seal_sender_keypair(CODE, f->salt, spk, &ssk),
	    TL_OK);
	assert_int_equal(tl_seal_shared_new(ssk, f->pk, &r.k), TL_OK);
	r.ref = a;
	assert_int_equal(tl_store_conv_read(f->s, a, 100, read_one, &r),
	    TL_OK);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.last, "Which floor is the flat on?");
	tl_seal_shared_free(r.k);
	tl_seal_secret_free(ssk);
	/* A tip without a code refuses at the intake store too. */
	assert_int_equal(tl_desk_ask(f->d, f->sk, pk, f->intake, b, "alice",
	    1400, "Hello?", NULL, &sent, err, sizeof(err)), TL_ENOTFOUND);
	assert_false(sent);
}

static void
test_ended(void **state)
{
	struct fx		*f = *state;
	char			 a[TL_REF_SIZE], b[TL_REF_SIZE], err[256];
	enum tl_desk_conv	 conv;
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	json_t			*t;
	int			 sent;

	/* a: the desk holds the key when the sender ends it. */
	plant(f, CODE, f->salt, 1000, a);
	ingest(f, 1100);
	assert_int_equal(tl_desk_conversation(f->d, a, &conv, pk), TL_OK);
	sender_says(f, a, CODE, f->salt, NULL, 1200);
	ingest(f, 1300);
	assert_int_equal(tl_desk_conversation(f->d, a, &conv, pk), TL_OK);
	assert_int_equal(conv, TL_DESK_CONV_ENDED);
	t = desk_tip(f, a);
	assert_string_equal(json_string_value(json_object_get(t, "follow_up")),
	    "ended");
	assert_int_equal(json_array_size(json_object_get(t, "messages")), 0);
	json_decref(t);
	/* Had a question been started with the key read before: the
	 * intake store refuses it, nothing is stored. */
	assert_int_equal(tl_desk_ask(f->d, f->sk, pk, f->intake, a, "alice",
	    1400, "Still there?", NULL, &sent, err, sizeof(err)),
	    TL_ENOTFOUND);
	assert_int_equal(q_int(f->intake, "SELECT count(*) FROM messages"
	    " WHERE author = 1"), 0);

	/* b: the sender wrote and ended before the desk saw the tip, whose
	 * row then holds only the commitment: the key comes from the end
	 * row, and the message before it opens. */
	plant(f, CODE2, f->salt, 2000, b);
	sender_says(f, b, CODE2, f->salt, "before the end", 2100);
	sender_says(f, b, CODE2, f->salt, NULL, 2200);
	assert_int_equal(q_int(f->intake, "SELECT count(*) FROM tips"
	    " WHERE sender_pk IS NULL AND sender_gone IS NOT NULL"), 2);
	ingest(f, 2300);
	t = desk_tip(f, b);
	assert_string_equal(json_string_value(json_object_get(t, "follow_up")),
	    "ended");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(t, "messages"), 0), "text")), "before the end");
	json_decref(t);
}

/* A store writer adds end row id to ref at time at, its blob from
 * forge_end (own: under a key pair of the forger's own). */
static void
forge(struct fx *f, const char *ref, int64_t id, int own, int64_t at)
{
	struct tl_seal_secret	*fsk = NULL;
	uint8_t			 spk[TL_SEAL_KEYBYTES], *blob = NULL;
	struct side		 s = { NULL, ref, NULL, TL_SEAL_FROM_SENDER,
	    f->pk, spk, f->salt };
	sqlite3			*db;
	sqlite3_stmt		*st;
	size_t			 len = 0;

	/* The tip's key as its row holds it. */
	assert_int_equal(tl_seal_sender_keypair(CODE, f->salt, spk, &fsk),
	    TL_OK);
	tl_seal_secret_free(fsk);
	fsk = NULL;
	if (own) {
		assert_int_equal(tl_seal_keypair(NULL, spk, &fsk), TL_OK);
		assert_int_equal(tl_seal_shared_new(fsk, f->pk, &s.k), TL_OK);
	}
	assert_int_equal(forge_end(&s, id, at, &blob, &len), TL_OK);
	db = peek(f->intake);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO messages (id,"
	    " tip_id, author, at, kind, sealed) SELECT ?1, id, 2, ?3, 'end',"
	    " ?4 FROM tips WHERE ref = ?2", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, at);
	sqlite3_bind_blob(st, 4, blob, (int)len, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(blob);
	tl_seal_shared_free(s.k);
	tl_seal_secret_free(fsk);
}

static void
test_forged_end(void **state)
{
	struct fx		*f = *state;
	char			 a[TL_REF_SIZE];
	enum tl_desk_conv	 conv;
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	json_t			*t, *m;
	size_t			 i;
	int64_t			 n;

	plant(f, CODE, f->salt, 1000, a);
	ingest(f, 1100);
	/* An end row as it was (the key and salt sealed to the staff,
	 * nothing under the conversation's key), one under the forger's
	 * key, and a bare row with no blob. */
	forge(f, a, 100, 0, 1200);
	forge(f, a, 101, 1, 1201);
	q_exec(f->intake, "INSERT INTO messages (id, tip_id, author, at,"
	    " kind) SELECT 102, id, 2, 1202, 'end' FROM tips");
	ingest(f, 1300);
	assert_int_equal(tl_desk_conversation(f->d, a, &conv, pk), TL_OK);
	assert_int_equal(conv, TL_DESK_CONV_OPEN);
	t = desk_tip(f, a);
	assert_string_equal(json_string_value(json_object_get(t, "follow_up")),
	    "open");
	assert_int_equal(json_array_size(json_object_get(t, "messages")), 3);
	json_array_foreach(json_object_get(t, "messages"), i, m) {
		assert_true(json_is_true(json_object_get(m, "fault")));
		assert_null(json_object_get(m, "text"));
	}
	assert_false(json_is_true(json_object_get(t, "updated")));
	json_decref(t);
	assert_int_equal(tl_desk_flagged(f->d, &n), TL_OK);
	assert_int_equal(n, 1);
	/* The sender's own end counts. */
	sender_says(f, a, CODE, f->salt, NULL, 1400);
	ingest(f, 1500);
	assert_int_equal(tl_desk_conversation(f->d, a, &conv, pk), TL_OK);
	assert_int_equal(conv, TL_DESK_CONV_ENDED);
}

static void
test_purge(void **state)
{
	struct fx	*f = *state;
	char		 a[TL_REF_SIZE];
	json_t		*s;
	size_t		 n;

	plant(f, CODE, f->salt, 1000, a);
	ingest(f, 1100);
	sender_says(f, a, CODE, f->salt, "PURGEMARKERzq the van", 1200);
	ingest(f, 1300);
	assert_int_equal(tl_desk_purge(f->d, 5000, "tiplinectl", 6000, NULL,
	    &n), TL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(q_int(f->desk, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(q_int(f->desk, "SELECT count(*) FROM msg_fts"), 0);
	assert_int_equal(tl_desk_search(f->d, "PURGEMARKERzq", &s), TL_OK);
	assert_int_equal(json_array_size(s), 0);
	json_decref(s);
	tl_desk_store_close(f->d);
	f->d = NULL;
	assert_false(file_holds(f->desk, "PURGEMARKERzq"));
	assert_false(file_holds(f->desk, "purgemarkerzq"));
	{
		char	 err[256];

		assert_int_equal(tl_desk_store_open(f->desk, &f->d, err,
		    sizeof(err)), TL_OK);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sender_message, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tampered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restart_and_wait, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_question_reaches_sender,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_end, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
