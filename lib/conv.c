/*
 * conv.c — a tip's conversation in the intake store (see conv.h).
 *
 * A message's id is part of what its seal is bound to, so it is chosen
 * before the row is written: inside the write transaction, the next id
 * AUTOINCREMENT would give (one past sqlite_sequence's, which is never
 * below the largest id there has been), inserted explicitly, which moves
 * sqlite_sequence on. No other writer can take it in between.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "store_impl.h"

enum { Q_TIP, Q_DEDUPE, Q_NEXT, Q_INSERT, Q_GONE, Q_DELIVERY, Q__MAX };

static const char *const add_sql[Q__MAX] = {
	[Q_TIP] = "SELECT id, priority = 'urgent', sender_pk, sender_salt"
	    " FROM tips WHERE ref = ?1",
	[Q_DEDUPE] = "SELECT id FROM messages WHERE dedupe = ?1",
	[Q_NEXT] = "SELECT coalesce((SELECT seq FROM sqlite_sequence"
	    " WHERE name = 'messages'), 0) + 1",
	[Q_INSERT] = "INSERT INTO messages (id, tip_id, author, at, kind,"
	    " dedupe, sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[Q_GONE] = "UPDATE tips SET sender_pk = NULL, sender_salt = NULL,"
	    " sender_gone = ?2 WHERE id = ?1",
	[Q_DELIVERY] = "INSERT INTO deliveries (tip_id, kind, webhook_id,"
	    " urgent, next_at, created_at)"
	    " VALUES (?1, 'tip.updated', ?2, ?3, ?4, ?4)",
};

/* The tip a message goes to. */
struct target {
	int64_t		 id;
	int		 urgent;
	uint8_t		 commit[TL_SEAL_COMMITBYTES];
};

static enum tl_err
sql_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "intake store: %s: %s", what,
	    sqlite3_errmsg(db));
	return TL_ESTORE;
}

/* The one row of a single-row query into *v; 0 when there is none. */
static int
step_row(sqlite3_stmt *st)
{
	return sqlite3_step(st) == SQLITE_ROW;
}

/* Finds the tip of ref with a sender's key: TL_OK, TL_ENOTFOUND or
 * TL_ESTORE. */
static enum tl_err
find_target(sqlite3 *db, sqlite3_stmt *st, const char *ref,
    struct target *t, char *err, size_t errlen)
{
	uint8_t		 pk[TL_SEAL_KEYBYTES], salt[TL_SEAL_SALTBYTES];
	int		 rc;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		return rc == SQLITE_DONE ? TL_ENOTFOUND :
		    sql_fail(db, "find tip", err, errlen);
	t->id = sqlite3_column_int64(st, 0);
	t->urgent = sqlite3_column_int(st, 1);
	if (!tl_store_col_key(st, 2, pk, sizeof(pk)) ||
	    !tl_store_col_key(st, 3, salt, sizeof(salt)))
		return TL_ENOTFOUND;
	tl_seal_sender_commit(pk, salt, t->commit);
	return TL_OK;
}

/* The inserts of a's message with id into t, in the open transaction. */
static enum tl_err
insert(sqlite3 *db, sqlite3_stmt **q, const struct tl_conv_add *a,
    const struct target *t, int64_t id, char *err, size_t errlen)
{
	char		 wid[TL_WEBHOOK_ID_NEW];
	uint8_t		*blob = NULL;
	size_t		 len = 0;
	enum tl_err	 rc;

	if (a->seal != NULL && (rc = a->seal(a->arg, id, a->at, &blob,
	    &len)) != TL_OK)
		return rc;
	sqlite3_bind_int64(q[Q_INSERT], 1, id);
	sqlite3_bind_int64(q[Q_INSERT], 2, t->id);
	sqlite3_bind_int(q[Q_INSERT], 3, (int)a->from);
	sqlite3_bind_int64(q[Q_INSERT], 4, a->at);
	sqlite3_bind_text(q[Q_INSERT], 5, a->end ? "end" : "text", -1,
	    SQLITE_STATIC);
	if (a->dedupe != NULL)
		sqlite3_bind_text(q[Q_INSERT], 6, a->dedupe, -1, SQLITE_STATIC);
	if (blob != NULL)
		sqlite3_bind_blob(q[Q_INSERT], 7, blob, (int)len,
		    SQLITE_STATIC);
	rc = sqlite3_step(q[Q_INSERT]) == SQLITE_DONE ? TL_OK :
	    sql_fail(db, "insert message", err, errlen);
	free(blob);
	if (rc != TL_OK)
		return rc;
	if (a->end) {
		sqlite3_bind_int64(q[Q_GONE], 1, t->id);
		sqlite3_bind_blob(q[Q_GONE], 2, t->commit, TL_SEAL_COMMITBYTES,
		    SQLITE_STATIC);
		if (sqlite3_step(q[Q_GONE]) != SQLITE_DONE)
			return sql_fail(db, "end conversation", err, errlen);
	}
	if (a->notify) {
		tl_webhook_id_new(wid, a->at);
		sqlite3_bind_int64(q[Q_DELIVERY], 1, t->id);
		sqlite3_bind_text(q[Q_DELIVERY], 2, wid, -1, SQLITE_STATIC);
		sqlite3_bind_int(q[Q_DELIVERY], 3, t->urgent);
		sqlite3_bind_int64(q[Q_DELIVERY], 4, a->at);
		if (sqlite3_step(q[Q_DELIVERY]) != SQLITE_DONE)
			return sql_fail(db, "queue tip.updated", err, errlen);
	}
	return TL_OK;
}

/* After an end: the WAL checkpointed and truncated, so that no frame of
 * it holds the key and salt the end deleted (secure_delete zeroed them
 * in the file's pages). Best effort, within the busy timeout. */
static void
wal_truncate(sqlite3 *db)
{
	if (sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE,
	    NULL, NULL) != SQLITE_OK)
		fprintf(stderr, "tipline: intake store: wal_checkpoint"
		    "(TRUNCATE) after an end: %s\n", sqlite3_errmsg(db));
}

/* The steps of tl_conv_add() after BEGIN. */
static enum tl_err
add(sqlite3 *db, sqlite3_stmt **q, const struct tl_conv_add *a,
    int64_t *id, char *err, size_t errlen)
{
	struct target	 t;
	enum tl_err	 rc;

	if ((rc = find_target(db, q[Q_TIP], a->ref, &t, err, errlen)) !=
	    TL_OK)
		return rc;
	if (a->dedupe != NULL) {
		sqlite3_bind_text(q[Q_DEDUPE], 1, a->dedupe, -1,
		    SQLITE_STATIC);
		if (step_row(q[Q_DEDUPE])) {
			*id = sqlite3_column_int64(q[Q_DEDUPE], 0);
			return TL_EDUPLICATE;
		}
	}
	if (!step_row(q[Q_NEXT]))
		return sql_fail(db, "next message id", err, errlen);
	*id = sqlite3_column_int64(q[Q_NEXT], 0);
	return insert(db, q, a, &t, *id, err, errlen);
}

enum tl_err
tl_conv_add(sqlite3 *db, const struct tl_conv_add *a, int64_t *id,
    char *err, size_t errlen)
{
	sqlite3_stmt	*q[Q__MAX] = { NULL };
	enum tl_err	 rc = TL_ESTORE;
	size_t		 i;

	*id = 0;
	if (a->end ? a->from != TL_SEAL_FROM_SENDER : a->seal == NULL) {
		snprintf(err, errlen, "a message without text, or an end "
		    "that is not the sender's");
		return TL_EINVAL;
	}
	for (i = 0; i < Q__MAX; i++)
		if (sqlite3_prepare_v2(db, add_sql[i], -1, &q[i], NULL) !=
		    SQLITE_OK) {
			sql_fail(db, "prepare", err, errlen);
			goto out;
		}
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		sql_fail(db, "begin", err, errlen);
		goto out;
	}
	rc = add(db, q, a, id, err, errlen);
	if (rc == TL_OK && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK)
		rc = sql_fail(db, "commit", err, errlen);
	if (rc != TL_OK && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
	for (i = 0; i < Q__MAX; i++)
		sqlite3_finalize(q[i]);
	if (rc == TL_OK && a->end)
		wal_truncate(db);
	return rc;
}

/* n bytes as lower-case hex into out (2n digits and NUL). */
static void
hex(const uint8_t *in, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

enum tl_err
tl_conv_end_seal(const struct tl_seal_shared *k,
    const uint8_t staff_pk[TL_SEAL_KEYBYTES], const char *ref, int64_t id,
    int64_t at, const uint8_t pk[TL_SEAL_KEYBYTES],
    const uint8_t salt[TL_SEAL_SALTBYTES], uint8_t **blob, size_t *len)
{
	struct tl_seal_msg_ad	 mad = { ref, id, TL_SEAL_FROM_SENDER, at };
	struct tl_seal_ad	 ad = { ref, at, NULL, 0, NULL, NULL, NULL };
	char			 hpk[2 * TL_SEAL_KEYBYTES + 1];
	char			 hsalt[2 * TL_SEAL_SALTBYTES + 1];
	char			 hend[2 * TL_CONV_END_MSG + 1], err[128];
	struct tl_seal_field	 f[3] = { { "pk", hpk }, { "salt", hsalt },
	    { "end", hend } };
	uint8_t			*end = NULL;
	size_t			 n = 0;
	enum tl_err		 rc;

	*blob = NULL;
	*len = 0;
	if ((rc = tl_seal_msg_seal(k, &mad, TL_CONV_END_TEXT, &end, &n, err,
	    sizeof(err))) != TL_OK)
		return rc;
	if (n > TL_CONV_END_MSG)
		rc = TL_EINVAL;
	else {
		hex(pk, TL_SEAL_KEYBYTES, hpk);
		hex(salt, TL_SEAL_SALTBYTES, hsalt);
		hex(end, n, hend);
		rc = tl_seal_seal(staff_pk, &ad, f, 3, blob, len, err,
		    sizeof(err));
	}
	free(end);
	return rc;
}

enum tl_err
tl_conv_read(sqlite3 *db, const char *ref, size_t max,
    int (*fn)(void *, const struct tl_conv_row *), void *arg, char *err,
    size_t errlen)
{
	static const char sql[] = "SELECT m.id, m.author, m.at,"
	    " m.kind = 'end', m.sealed FROM messages m"
	    " JOIN tips t ON t.id = m.tip_id WHERE t.ref = ?1"
	    " ORDER BY m.id LIMIT ?2";
	struct tl_conv_row	 row;
	sqlite3_stmt		*st;
	int			 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, "prepare", err, errlen);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row.id = sqlite3_column_int64(st, 0);
		row.from = sqlite3_column_int(st, 1) == TL_SEAL_FROM_STAFF ?
		    TL_SEAL_FROM_STAFF : TL_SEAL_FROM_SENDER;
		row.at = sqlite3_column_int64(st, 2);
		row.end = sqlite3_column_int(st, 3);
		row.sealed = sqlite3_column_blob(st, 4);
		row.len = (size_t)sqlite3_column_bytes(st, 4);
		if (fn(arg, &row) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_fail(db, "read messages", err, errlen);
	return TL_OK;
}
