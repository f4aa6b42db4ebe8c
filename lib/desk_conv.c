/*
 * desk_conv.c — the conversation with the sender in the desk's store
 * (see desk_store.h; SPEC 13): messages taken in from the intake store
 * and opened, a question staff just asked taken in at once, and where a
 * tip's conversation stands.
 *
 * A message opens under the key the staff and the sender share
 * (tl_seal_shared_new of the staff secret key and the sender's public
 * key), bound to its tip's ref and its own id, author and time as its
 * row says: a message changed, or moved to another tip, id, author or
 * time, does not open and is kept flagged with no text. The sender's key
 * is the one the tip's blob proved at ingest (desk_ingest.c), never one
 * read from a row on its own.
 *
 * An end of the conversation counts only when its end message opens
 * under that key too (SPEC 16, conv.h): whoever can write the intake
 * store cannot end a conversation. One that does not open is kept as a
 * flagged message (it counts in the desk's flagged tips) and logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "desk_impl.h"
#include "seal_staff.h"
#include "store_impl.h"
#include "utf8.h"

/* Statements of one message batch. */
enum { M_TIP, M_INSERT, M_FTS, M_NEWS, M_END, M_KEY, M__MAX };
static const char *const msg_sql[M__MAX] = {
	[M_TIP] = "SELECT id, sender_pk, sender_commit FROM tips"
	    " WHERE ref = ?1",
	[M_INSERT] = "INSERT INTO messages (tip_id, intake_id, author, at,"
	    " kind, text, fault, staff) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " ?8) ON CONFLICT (intake_id) DO NOTHING",
	[M_FTS] = "INSERT INTO msg_fts (rowid, text) VALUES (?1, ?2)",
	/* A time to come is not believed: the queue's top is not for
	 * whoever can write the intake store to hold. */
	[M_NEWS] = "UPDATE tips SET updated = 1,"
	    " queue_at = max(queue_at, min(?2, ?3)) WHERE id = ?1",
	[M_END] = "UPDATE tips SET ended_at = coalesce(ended_at, ?2)"
	    " WHERE id = ?1",
	[M_KEY] = "UPDATE tips SET sender_pk = ?2 WHERE id = ?1"
	    " AND sender_pk IS NULL",
};

#define FAULT_NOKEY	"the desk holds no key of this tip's sender to open " \
	"it with (no follow-up code, or the tip's own content did not open)"
#define FAULT_OPEN	"it does not open: changed, moved to another tip, " \
	"id, author or time, or sealed under another key"
#define FAULT_TEXT	"it opened but is not valid text"
#define FAULT_END	"an end of the conversation that does not open " \
	"under the conversation's key: forged or damaged, not counted"

/* The desk's tip of one message. */
struct tip {
	int64_t		 id;
	int		 has_pk, has_commit;
	uint8_t		 pk[TL_SEAL_KEYBYTES];
	uint8_t		 commit[TL_SEAL_COMMITBYTES];
};

struct batch {
	struct tl_desk_store		*d;
	const struct tl_seal_secret	*sk;
	sqlite3_stmt			*st[M__MAX];
	int64_t				 now;
	enum tl_err			 rc;
};

/* Runs st to its end and resets it: 1 when it ended well. */
static int
run(sqlite3_stmt *st)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE;
}

/* Finds ref's tip: 1 found, 0 not, -1 on failure (b->rc set). */
static int
find_tip(struct batch *b, const char *ref, struct tip *t)
{
	sqlite3_stmt	*st = b->st[M_TIP];
	int		 rc;

	memset(t, 0, sizeof(*t));
	tl_desk_bind(st, 1, ref);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t->id = sqlite3_column_int64(st, 0);
		t->has_pk = tl_store_col_key(st, 1, t->pk, sizeof(t->pk));
		t->has_commit = tl_store_col_key(st, 2, t->commit,
		    sizeof(t->commit));
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	b->rc = tl_desk_fail(b->d, "message's tip");
	return -1;
}

/* Opens m's text with t's key into *text (tl_seal_text_free), or says
 * why not. */
static const char *
open_text(struct batch *b, const struct tl_desk_msg_in *m,
    const struct tip *t, char **text)
{
	struct tl_seal_shared	*k = NULL;
	struct tl_seal_msg_ad	 ad = { m->ref, m->intake_id,
	    m->author == TL_SEAL_FROM_STAFF ? TL_SEAL_FROM_STAFF :
	    TL_SEAL_FROM_SENDER, m->at };
	char			 err[128];
	enum tl_err		 rc;

	*text = NULL;
	if (m->fault != NULL)
		return m->fault;
	if (!t->has_pk)
		return FAULT_NOKEY;
	if ((rc = tl_seal_shared_new(b->sk, t->pk, &k)) == TL_ENOMEM) {
		b->rc = TL_ENOMEM;
		return FAULT_OPEN;
	}
	if (rc == TL_OK)
		rc = tl_seal_msg_open(k, &ad, m->sealed, m->len, text, err,
		    sizeof(err));
	tl_seal_shared_free(k);
	if (rc == TL_ENOMEM)
		b->rc = TL_ENOMEM;
	if (rc != TL_OK)
		return FAULT_OPEN;
	if (!tl_utf8_valid(*text, strlen(*text))) {
		tl_seal_text_free(*text);
		*text = NULL;
		return FAULT_TEXT;
	}
	return NULL;
}

/* Inserts the desk's row of a message (and its full-text row): 1 new,
 * 0 held already, -1 on failure (b->rc set). */
static int
insert(struct batch *b, int64_t tip, const struct tl_desk_msg_in *m,
    const char *text, const char *fault, const char *staff)
{
	sqlite3_stmt	*st = b->st[M_INSERT];
	int64_t		 id;

	sqlite3_bind_int64(st, 1, tip);
	sqlite3_bind_int64(st, 2, m->intake_id);
	sqlite3_bind_int(st, 3, m->author == TL_SEAL_FROM_STAFF ?
	    TL_SEAL_FROM_STAFF : TL_SEAL_FROM_SENDER);
	sqlite3_bind_int64(st, 4, m->at);
	tl_desk_bind(st, 5, m->end ? "end" : "text");
	tl_desk_bind(st, 6, m->end ? NULL : text);
	tl_desk_bind(st, 7, m->end ? NULL : fault);
	tl_desk_bind(st, 8, staff);
	if (!run(st)) {
		b->rc = tl_desk_fail(b->d, "message");
		return -1;
	}
	if (sqlite3_changes(b->d->db) == 0)
		return 0;
	if (text == NULL || m->end)
		return 1;
	id = sqlite3_last_insert_rowid(b->d->db);
	sqlite3_bind_int64(b->st[M_FTS], 1, id);
	tl_desk_bind(b->st[M_FTS], 2, text);
	if (!run(b->st[M_FTS])) {
		b->rc = tl_desk_fail(b->d, "message's full-text row");
		return -1;
	}
	return 1;
}

/* Runs one of the tip's updates with ?1 = tip id, then ?2, ?3. */
static void
tip_update(struct batch *b, int which, int64_t tip, int64_t a2, int64_t a3)
{
	sqlite3_stmt	*st = b->st[which];

	sqlite3_bind_int64(st, 1, tip);
	sqlite3_bind_int64(st, 2, a2);
	sqlite3_bind_int64(st, 3, a3);
	if (!run(st))
		b->rc = tl_desk_fail(b->d, "message's tip");
}

/* An end that opened: the conversation ended, and the sender's key if
 * the end row gave it (learnt). */
static void
ended(struct batch *b, const struct tl_desk_msg_in *m, const struct tip *t,
    int learnt)
{
	sqlite3_stmt	*st = b->st[M_KEY];

	tip_update(b, M_END, t->id, m->at, 0);
	if (b->rc != TL_OK || !learnt)
		return;
	sqlite3_bind_int64(st, 1, t->id);
	sqlite3_bind_blob(st, 2, t->pk, TL_SEAL_KEYBYTES, SQLITE_TRANSIENT);
	if (!run(st))
		b->rc = tl_desk_fail(b->d, "sender's key");
}

/* Bytes from lower-case hex s (at most max of them) into out: how many,
 * or 0 when s is not that. */
static size_t
hex_decode(const char *s, uint8_t *out, size_t max)
{
	static const char digits[] = "0123456789abcdef";
	const char	*hi, *lo;
	size_t		 i, n;

	if (s == NULL || (n = strlen(s)) % 2 != 0 || n / 2 > max)
		return 0;
	for (i = 0; i < n / 2; i++) {
		if ((hi = strchr(digits, s[2 * i])) == NULL ||
		    (lo = strchr(digits, s[2 * i + 1])) == NULL ||
		    *hi == '\0' || *lo == '\0')
			return 0;
		out[i] = (uint8_t)((hi - digits) << 4 | (lo - digits));
	}
	return n / 2;
}

/* The sender's key an opened end row carries into pk, when it and its
 * salt match commit: 1, or 0. */
static int
end_key(const struct tl_seal_opened *o,
    const uint8_t commit[TL_SEAL_COMMITBYTES], uint8_t pk[TL_SEAL_KEYBYTES])
{
	uint8_t		 k[TL_SEAL_KEYBYTES], salt[TL_SEAL_SALTBYTES];
	uint8_t		 c[TL_SEAL_COMMITBYTES];

	if (hex_decode(tl_seal_opened_get(o, "pk"), k, sizeof(k)) !=
	    sizeof(k) || hex_decode(tl_seal_opened_get(o, "salt"), salt,
	    sizeof(salt)) != sizeof(salt))
		return 0;
	tl_seal_sender_commit(k, salt, c);
	if (memcmp(c, commit, sizeof(c)) != 0)
		return 0;
	memcpy(pk, k, sizeof(k));
	return 1;
}

/* Whether the end message in an opened end row opens under the key
 * shared with pk, for m's ref, id, author (the sender) and time: 1, 0,
 * or -1 out of memory. */
static int
end_message(const struct tl_seal_secret *sk, const struct tl_seal_opened *o,
    const struct tl_desk_msg_in *m, const uint8_t pk[TL_SEAL_KEYBYTES])
{
	struct tl_seal_msg_ad	 ad = { m->ref, m->intake_id,
	    TL_SEAL_FROM_SENDER, m->at };
	struct tl_seal_shared	*k = NULL;
	uint8_t			 msg[TL_CONV_END_MSG];
	char			*text = NULL, err[128];
	size_t			 n;
	enum tl_err		 rc;
	int			 ok;

	if ((n = hex_decode(tl_seal_opened_get(o, "end"), msg,
	    sizeof(msg))) == 0)
		return 0;
	if ((rc = tl_seal_shared_new(sk, pk, &k)) == TL_OK)
		rc = tl_seal_msg_open(k, &ad, msg, n, &text, err,
		    sizeof(err));
	ok = rc == TL_OK && strcmp(text, TL_CONV_END_TEXT) == 0;
	tl_seal_text_free(text);
	tl_seal_shared_free(k);
	return rc == TL_ENOMEM ? -1 : ok;
}

/*
 * Whether end row m is the sender's (SPEC 16): its blob opens with the
 * staff key and its end message under the conversation's key, the one of
 * t's sender (t->pk) or, when the desk holds only the commitment, the
 * key the row carries if it matches t->commit: then it is put in t->pk
 * and *learnt set. 1, 0, or -1 out of memory (b->rc set).
 */
static int
end_opens(struct batch *b, const struct tl_desk_msg_in *m, struct tip *t,
    int *learnt)
{
	struct tl_seal_ad	 ad = { m->ref, m->at, NULL, 0, NULL, NULL,
	    NULL };
	struct tl_seal_opened	*o = NULL;
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	char			 err[128];
	enum tl_err		 rc;
	int			 ok = 0;

	*learnt = 0;
	if (m->fault != NULL || m->sealed == NULL || b->sk == NULL ||
	    m->author != TL_SEAL_FROM_SENDER)
		return 0;
	rc = tl_seal_open(b->sk, &ad, m->sealed, m->len, &o, NULL, err,
	    sizeof(err));
	if (rc == TL_OK && (t->has_pk || (t->has_commit &&
	    end_key(o, t->commit, pk))))
		ok = end_message(b->sk, o, m, t->has_pk ? t->pk : pk);
	tl_seal_opened_free(o);
	if (rc == TL_ENOMEM || ok == -1) {
		b->rc = TL_ENOMEM;
		return -1;
	}
	if (ok && !t->has_pk) {
		memcpy(t->pk, pk, sizeof(pk));
		t->has_pk = *learnt = 1;
	}
	return ok;
}

/*
 * Takes one message in: 1 taken (or held already, or its tip gone for
 * good), 0 it waits for its tip, -1 on failure.
 */
static int
one(struct batch *b, const struct tl_desk_msg_in *m, int64_t tip_cursor)
{
	struct tl_desk_msg_in	 forged;
	struct tip		 t;
	const char		*fault = NULL;
	char			*text = NULL;
	int			 got, learnt = 0, flag = 0;

	if ((got = find_tip(b, m->ref, &t)) <= 0) {
		if (got == 0 && m->tip_intake_id > tip_cursor)
			return 0;
		if (got == 0)
			fprintf(stderr, "tipline-staff.fcgi: message %lld's "
			    "tip is not in the desk (purged, or not taken "
			    "in); skipped\n", (long long)m->intake_id);
		return got == 0 ? 1 : -1;
	}
	if (!m->end)
		fault = open_text(b, m, &t, &text);
	else if ((got = end_opens(b, m, &t, &learnt)) == -1)
		return -1;
	else if (got == 0) {
		/* Kept as a message that did not open: flagged. */
		forged = *m;
		forged.end = 0;
		fault = m->fault != NULL ? m->fault : FAULT_END;
		flag = m->fault == NULL;
		m = &forged;
	}
	if (b->rc == TL_OK && (got = insert(b, t.id, m, text, fault,
	    NULL)) > 0 && flag)
		fprintf(stderr, "tipline-staff.fcgi: message %lld: %s; "
		    "flagged\n", (long long)m->intake_id, FAULT_END);
	if (b->rc == TL_OK && got > 0 && m->author == TL_SEAL_FROM_SENDER) {
		if (m->end)
			ended(b, m, &t, learnt);
		if (b->rc == TL_OK && (m->end || fault == NULL))
			tip_update(b, M_NEWS, t.id, m->at, b->now);
	}
	tl_seal_text_free(text);
	return b->rc == TL_OK ? 1 : -1;
}

enum tl_err
tl_desk_msg_cursor(struct tl_desk_store *d, int64_t *cursor)
{
	return tl_desk_meta_get(d, "message_cursor", cursor);
}

enum tl_err
tl_desk_ingest_messages(struct tl_desk_store *d,
    const struct tl_seal_secret *sk, const struct tl_desk_msg_in *msgs,
    size_t n, int64_t now, size_t *taken, size_t *added)
{
	struct batch	 b;
	int64_t		 tips, before;
	size_t		 i;
	int		 got;

	memset(&b, 0, sizeof(b));
	b.d = d;
	b.sk = sk;
	b.now = now;
	*taken = *added = 0;
	if (tl_desk_exec(d, "BEGIN IMMEDIATE") != TL_OK)
		return TL_ESTORE;
	b.rc = tl_desk_cursor(d, &tips);
	for (i = 0; i < M__MAX && b.rc == TL_OK; i++)
		b.rc = tl_desk_prep(d, msg_sql[i], &b.st[i]);
	for (i = 0; i < n && b.rc == TL_OK; i++) {
		before = sqlite3_total_changes(d->db);
		if ((got = one(&b, &msgs[i], tips)) <= 0)
			break;
		*added += sqlite3_total_changes(d->db) != before;
		(*taken)++;
	}
	if (b.rc == TL_OK && *taken > 0)
		b.rc = tl_desk_meta_set(d, "message_cursor",
		    msgs[*taken - 1].intake_id);
	for (i = 0; i < M__MAX; i++)
		sqlite3_finalize(b.st[i]);
	if (b.rc == TL_OK && tl_desk_exec(d, "COMMIT") == TL_OK)
		return TL_OK;
	tl_desk_rollback(d);
	*taken = *added = 0;
	return b.rc != TL_OK ? b.rc : TL_ESTORE;
}

int
tl_desk_end_key(const struct tl_seal_secret *sk, const char *ref,
    int64_t at, const uint8_t *sealed, size_t len,
    const uint8_t commit[TL_SEAL_COMMITBYTES], uint8_t pk[TL_SEAL_KEYBYTES])
{
	struct tl_seal_ad	 ad = { ref, at, NULL, 0, NULL, NULL, NULL };
	struct tl_seal_opened	*o = NULL;
	char			 err[128];
	int			 ok;

	if (sk == NULL || sealed == NULL || tl_seal_open(sk, &ad, sealed, len,
	    &o, NULL, err, sizeof(err)) != TL_OK)
		return 0;
	ok = end_key(o, commit, pk);
	tl_seal_opened_free(o);
	return ok;
}

/* --- staff's side ------------------------------------------------------ */

enum tl_err
tl_desk_conversation(struct tl_desk_store *d, const char *ref,
    enum tl_desk_conv *state, uint8_t pk[TL_SEAL_KEYBYTES])
{
	sqlite3_stmt	*st;
	int		 rc;

	if (tl_desk_prep(d, "SELECT sender_pk, ended_at IS NOT NULL"
	    " FROM tips WHERE ref = ?1", &st) != TL_OK)
		return TL_ESTORE;
	tl_desk_bind(st, 1, ref);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int(st, 1))
			*state = TL_DESK_CONV_ENDED;
		else if (tl_store_col_key(st, 0, pk, TL_SEAL_KEYBYTES))
			*state = TL_DESK_CONV_OPEN;
		else
			*state = TL_DESK_CONV_NONE;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return TL_OK;
	return rc == SQLITE_DONE ? TL_ENOTFOUND : tl_desk_fail(d, "tip");
}

enum tl_err
tl_desk_add_message(struct tl_desk_store *d, const char *ref,
    const char *who, int64_t now, int64_t intake_id, const char *text)
{
	struct tl_desk_msg_in	 m = { intake_id, 0, ref, TL_SEAL_FROM_STAFF,
	    now, 0, NULL, 0, NULL };
	struct batch		 b;
	struct tip		 t;
	char			 detail[48];
	size_t			 i;
	int			 got = -1;

	memset(&b, 0, sizeof(b));
	b.d = d;
	if (tl_desk_exec(d, "BEGIN IMMEDIATE") != TL_OK)
		return TL_ESTORE;
	for (i = 0; i < M__MAX && b.rc == TL_OK; i++)
		b.rc = tl_desk_prep(d, msg_sql[i], &b.st[i]);
	if (b.rc == TL_OK && (got = find_tip(&b, ref, &t)) == 0)
		b.rc = TL_ENOTFOUND;
	if (b.rc == TL_OK && (got = insert(&b, t.id, &m, text, NULL, who)) ==
	    0)
		b.rc = TL_EDUPLICATE;
	for (i = 0; i < M__MAX; i++)
		sqlite3_finalize(b.st[i]);
	/* The audit log says a question was asked, and which; what it says
	 * is in the conversation, where retention applies. */
	snprintf(detail, sizeof(detail), "message %lld", (long long)intake_id);
	if (b.rc == TL_OK)
		b.rc = tl_desk_audit(d, now, who, "message", ref, detail);
	if (b.rc == TL_OK && tl_desk_exec(d, "COMMIT") == TL_OK)
		return TL_OK;
	tl_desk_rollback(d);
	return b.rc != TL_OK ? b.rc : TL_ESTORE;
}
