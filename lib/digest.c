/*
 * digest.c — folding a flood of normal tips into tips.digest deliveries
 * (SPEC 15). See digest.h.
 */
#include <stdio.h>
#include <string.h>


#include "db.h"
#include "digest.h"
#include "seal.h"

/* Normal tips of the window that went (or are going) one by one. */
static const char sent_sql[] =
    "SELECT count(*) FROM deliveries WHERE kind = 'tip.received'"
    " AND urgent = 0 AND digest_id IS NULL AND created_at > ?1"
    " AND NOT (state = 'pending' AND attempts = 0"
    "  AND (lease_owner IS NULL OR lease_until <= ?2))";

/* Normal tips due now that no notifier ever held (a lease a crashed
 * notifier left may have been sent: it keeps its webhook-id), oldest
 * first. */
static const char due_sql[] =
    "SELECT id FROM deliveries WHERE kind = 'tip.received'"
    " AND urgent = 0 AND state = 'pending' AND attempts = 0"
    " AND digest_id IS NULL AND next_at <= ?1 AND lease_owner IS NULL"
    " ORDER BY id LIMIT -1 OFFSET ?2";

/* A digest not yet tried with room left. */
static const char open_sql[] =
    "SELECT d.id, (SELECT count(*) FROM deliveries m"
    "  WHERE m.digest_id = d.id) AS n FROM deliveries d"
    " WHERE d.kind = 'tips.digest' AND d.state = 'pending'"
    " AND d.attempts = 0 AND d.lease_owner IS NULL AND n < ?1"
    " ORDER BY d.id LIMIT 1";

static const char new_sql[] =
    "INSERT INTO deliveries (tip_id, kind, webhook_id, urgent, next_at,"
    " created_at) VALUES (NULL, 'tips.digest', ?1, 0, ?2, ?3)"
    " RETURNING id";

static const char fold_sql[] =
    "UPDATE deliveries SET digest_id = ?2 WHERE id = ?1";

static const char read_sql[] =
    "SELECT t.ref, t.received_at FROM deliveries d"
    " JOIN tips t ON t.id = d.tip_id WHERE d.digest_id = ?1"
    " ORDER BY t.received_at, t.id LIMIT ?2";

/* A fresh webhook id: "msg_" and 24 random base32 characters. */
static void
new_webhook_id(char out[29])
{
	static const char	 abc[] = "0123456789abcdefghjkmnpqrstvwxyz";
	uint8_t			 b[24];
	size_t			 i;

	tl_seal_random(b, sizeof(b));
	memcpy(out, "msg_", 4);
	for (i = 0; i < sizeof(b); i++)
		out[4 + i] = abc[b[i] & 31];
	out[28] = '\0';
}

/* The first row's integer columns of sql (?1 bound to a, and ?2, if
 * any, to a + TL_DIGEST_WINDOW) into x, y; TL_ENOTFOUND when there is
 * no row. */
static enum tl_err
row2(struct tl_store *s, const char *sql, int64_t a, int64_t *x,
    int64_t *y)
{
	sqlite3_stmt	*st;
	enum tl_err	 rc;
	int		 r;

	if ((rc = tl_db_prep(s, sql, &st)) != TL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, a + TL_DIGEST_WINDOW);	/* now */
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		*x = sqlite3_column_int64(st, 0);
		if (y != NULL)
			*y = sqlite3_column_int64(st, 1);
		rc = TL_OK;
	} else
		rc = r == SQLITE_DONE ? TL_ENOTFOUND :
		    tl_db_done(s, r, "digest");
	sqlite3_finalize(st);
	return rc;
}

/* An open digest with room into *id and its size into *n, opening a new
 * one (due TL_DIGEST_HOLD after now) when there is none. */
static enum tl_err
open_digest(struct tl_store *s, int64_t now, int64_t *id, int64_t *n)
{
	sqlite3_stmt	*st;
	enum tl_err	 rc;
	char		 whid[29];
	int		 r;

	rc = row2(s, open_sql, TL_DIGEST_MAX, id, n);
	if (rc != TL_ENOTFOUND)
		return rc;
	if ((rc = tl_db_prep(s, new_sql, &st)) != TL_OK)
		return rc;
	new_webhook_id(whid);
	sqlite3_bind_text(st, 1, whid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now + TL_DIGEST_HOLD);
	sqlite3_bind_int64(st, 3, now);
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*n = 0;
		r = sqlite3_step(st);
	}
	rc = tl_db_done(s, r, "new digest");
	sqlite3_finalize(st);
	return rc;
}

/* Folds the deliveries due's rows name into digests. */
static enum tl_err
fold_rows(struct tl_store *s, sqlite3_stmt *due, int64_t now,
    size_t *folded)
{
	sqlite3_stmt	*up;
	enum tl_err	 rc;
	int64_t		 dig = 0, n = TL_DIGEST_MAX;
	int		 r;

	if ((rc = tl_db_prep(s, fold_sql, &up)) != TL_OK)
		return rc;
	while ((r = sqlite3_step(due)) == SQLITE_ROW) {
		if (n >= TL_DIGEST_MAX &&
		    (rc = open_digest(s, now, &dig, &n)) != TL_OK)
			goto out;
		sqlite3_bind_int64(up, 1, sqlite3_column_int64(due, 0));
		sqlite3_bind_int64(up, 2, dig);
		if ((rc = tl_db_done(s, sqlite3_step(up), "fold")) != TL_OK)
			goto out;
		sqlite3_reset(up);
		n++;
		(*folded)++;
	}
	rc = tl_db_done(s, r, "due tips");
out:
	sqlite3_finalize(up);
	return rc;
}

enum tl_err
tl_digest_fold_in(struct tl_store *s, int64_t now, long digest_after,
    size_t *folded)
{
	sqlite3_stmt	*due = NULL;
	enum tl_err	 rc;
	int64_t		 sent = 0;

	*folded = 0;
	if (digest_after <= 0)
		return TL_OK;
	if ((rc = row2(s, sent_sql, now - TL_DIGEST_WINDOW, &sent, NULL))
	    != TL_OK || (rc = tl_db_prep(s, due_sql, &due)) != TL_OK)
		return rc;
	sqlite3_bind_int64(due, 1, now);
	/* The first digest_after of the window still go one by one. */
	sqlite3_bind_int64(due, 2, sent < digest_after ?
	    digest_after - sent : 0);
	rc = fold_rows(s, due, now, folded);
	sqlite3_finalize(due);
	return rc;
}

enum tl_err
tl_digest_fold(struct tl_store *s, int64_t now, long digest_after,
    size_t *folded)
{
	enum tl_err	 rc;

	*folded = 0;
	if (digest_after <= 0)
		return TL_OK;
	if ((rc = tl_store_ensure(s)) != TL_OK)
		return rc;
	if ((rc = tl_db_exec(s, "BEGIN IMMEDIATE", "digest")) != TL_OK)
		return rc;
	if ((rc = tl_digest_fold_in(s, now, digest_after, folded)) == TL_OK)
		rc = *folded > 0 ? tl_db_exec(s, "COMMIT", "digest") :
		    tl_db_exec(s, "ROLLBACK", "digest");
	if (rc != TL_OK)
		tl_db_rollback(s);
	return rc;
}

enum tl_err
tl_digest_read(struct tl_store *s, int64_t id, struct tl_digest *d)
{
	sqlite3_stmt		*st;
	const unsigned char	*ref;
	enum tl_err		 rc;
	int64_t			 at;
	int			 r;

	memset(d, 0, sizeof(*d));
	if ((rc = tl_db_prep(s, read_sql, &st)) != TL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, TL_DIGEST_MAX);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		ref = sqlite3_column_text(st, 0);
		at = sqlite3_column_int64(st, 1);
		snprintf(d->refs[d->count], TL_REF_SIZE, "%s",
		    ref != NULL ? (const char *)ref : "");
		if (d->count++ == 0)
			d->from = at;
		d->to = at;
	}
	rc = tl_db_done(s, r, "digest tips");
	sqlite3_finalize(st);
	return rc;
}
