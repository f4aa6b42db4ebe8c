/*
 * outbox.c — deliveries in the SQLite store: leasing due ones, recording
 * attempts, and reading the tips they are about (SPEC 6). See outbox.h.
 *
 * SQLite 3.40 has no UPDATE … ORDER BY … LIMIT: a lease is
 * UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING … inside BEGIN
 * IMMEDIATE, so two notifiers never lease the same delivery.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "digest.h"
#include "outbox.h"

static const char lease_sql[] =
    "UPDATE deliveries SET lease_until = ?2, lease_owner = ?3"
    " WHERE id IN (SELECT id FROM deliveries"
    "  WHERE state = 'pending' AND next_at <= ?1"
    "  AND (lease_until IS NULL OR lease_until <= ?1)"
    "  AND digest_id IS NULL"
    "  ORDER BY urgent DESC, next_at, id LIMIT ?4)"
    " RETURNING id, webhook_id, attempts, urgent, next_at, tip_id, kind,"
    " created_at";

/* After "SELECT" and the tip columns (tl_store_prep_tips()). */
static const char tip_sql_tail[] =
    " FROM tips WHERE id = ?1";

static const char finish_sql[] =
    "UPDATE deliveries SET state = ?3, attempts = attempts + 1,"
    " next_at = ?4, last_status = ?5, last_error = ?6,"
    " lease_until = NULL, lease_owner = NULL,"
    " delivered_at = CASE WHEN ?3 = 'delivered' THEN ?7 END"
    " WHERE id = ?1 AND lease_owner = ?2";

/* The tips folded into a digest share its outcome (SPEC 15). */
static const char members_sql[] =
    "UPDATE deliveries SET state = ?2,"
    " delivered_at = CASE WHEN ?2 = 'delivered' THEN ?3 END"
    " WHERE digest_id = ?1 AND ?2 <> 'pending'";

static const char count_sql[] =
    "UPDATE counters SET value = value + 1 WHERE name = ?1";

static const char renew_sql[] =
    "UPDATE deliveries SET lease_until = ?4"
    " WHERE id = ?1 AND lease_owner = ?2 AND state = 'pending'"
    " AND lease_until > ?3";

static const char release_sql[] =
    "UPDATE deliveries SET lease_until = NULL, lease_owner = NULL"
    " WHERE id = ?1 AND lease_owner = ?2";

void
tl_delivery_free(struct tl_delivery *d)
{
	tl_tip_free(&d->tip);
	free(d->digest);
	memset(d, 0, sizeof(*d));
}

/* Reads the tip of a leased delivery into d. */
static enum tl_err
read_delivery_tip(struct tl_store *s, sqlite3_stmt *tip, int64_t tip_id,
    struct tl_delivery *d)
{
	enum tl_err	 rc = TL_ESTORE;

	sqlite3_bind_int64(tip, 1, tip_id);
	if (sqlite3_step(tip) == SQLITE_ROW)
		rc = tl_store_read_tip(tip, 0, &d->tip);
	else
		tl_store_fail(s, tip_sql_tail);
	sqlite3_reset(tip);
	return rc;
}

/* The kind of a tip's delivery from its deliveries.kind. */
static enum tl_delivery_kind
kind_of(const char *kind)
{
	if (kind != NULL && strcmp(kind, "tip.reminder") == 0)
		return TL_DELIVERY_REMINDER;
	if (kind != NULL && strcmp(kind, "tip.updated") == 0)
		return TL_DELIVERY_UPDATED;
	return TL_DELIVERY_RECEIVED;
}

/* Fills out[] from the lease's RETURNING rows; *n counts them. */
static enum tl_err
collect(struct tl_store *s, sqlite3_stmt *up, sqlite3_stmt *tip,
    struct tl_delivery *out, size_t max, size_t *n)
{
	const unsigned char	*wid;
	int			 rc = SQLITE_DONE;

	while (*n < max && (rc = sqlite3_step(up)) == SQLITE_ROW) {
		struct tl_delivery *d = &out[*n];

		memset(d, 0, sizeof(*d));
		d->id = sqlite3_column_int64(up, 0);
		wid = sqlite3_column_text(up, 1);
		snprintf(d->webhook_id, sizeof(d->webhook_id), "%s",
		    wid != NULL ? (const char *)wid : "");
		d->attempts = (unsigned)sqlite3_column_int(up, 2);
		d->kind = kind_of((const char *)sqlite3_column_text(up, 6));
		d->created_at = sqlite3_column_int64(up, 7);
		(*n)++;
		if (sqlite3_column_type(up, 5) == SQLITE_NULL) {
			if ((d->digest = malloc(sizeof(*d->digest))) == NULL)
				return TL_ENOMEM;
			if (tl_digest_read(s, d->id, d->digest) != TL_OK)
				return TL_ESTORE;
		} else if (read_delivery_tip(s, tip,
		    sqlite3_column_int64(up, 5), d) != TL_OK)
			return TL_ESTORE;
	}
	if (*n < max && rc != SQLITE_DONE) {
		tl_store_fail(s, lease_sql);
		return TL_ESTORE;
	}
	return TL_OK;
}

/* Urgent first, then the longest due, as the lease chose them. */
static int
by_due(const void *a, const void *b)
{
	const struct tl_delivery *x = a, *y = b;

	if (x->tip.report.priority != y->tip.report.priority)
		return x->tip.report.priority == TL_PRIO_URGENT ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

enum tl_err
tl_outbox_lease(struct tl_store *s, int64_t now, int64_t lease_until,
    long digest_after, const char *owner, struct tl_delivery *out,
    size_t max, size_t *n)
{
	sqlite3_stmt	*up = NULL, *tip = NULL;
	enum tl_err	 rc;
	size_t		 i, folded;

	*n = 0;
	if ((rc = tl_store_ensure(s)) != TL_OK)
		return rc;
	if ((rc = tl_db_prep(s, lease_sql, &up)) != TL_OK ||
	    (rc = tl_store_prep_tips(s, tip_sql_tail, &tip)) != TL_OK)
		goto out;
	if ((rc = tl_db_exec(s, "BEGIN IMMEDIATE", "lease")) != TL_OK ||
	    (rc = tl_digest_fold_in(s, now, digest_after, &folded)) != TL_OK)
		goto out;
	sqlite3_bind_int64(up, 1, now);
	sqlite3_bind_int64(up, 2, lease_until);
	sqlite3_bind_text(up, 3, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(up, 4, (sqlite3_int64)max);
	if ((rc = collect(s, up, tip, out, max, n)) != TL_OK)
		goto out;
	sqlite3_finalize(up);
	up = NULL;
	rc = tl_db_exec(s, "COMMIT", "lease");
out:
	sqlite3_finalize(up);
	sqlite3_finalize(tip);
	if (rc != TL_OK) {
		tl_db_rollback(s);
		for (i = 0; i < *n; i++)
			tl_delivery_free(&out[i]);
		*n = 0;
	} else
		qsort(out, *n, sizeof(*out), by_due);
	return rc;
}

static const enum tl_outbox_state verdict_state[] = {
	[TL_DELIVERED] = TL_OUT_DELIVERED, [TL_RETRY] = TL_OUT_PENDING,
	[TL_DEAD] = TL_OUT_DEAD,
};
/* Binds and runs the attempt's UPDATE; TL_ENOTFOUND if the lease is gone. */
static enum tl_err
record(struct tl_store *s, sqlite3_stmt *up, int64_t id, const char *owner,
    enum tl_verdict v, int64_t next_at, long status, const char *error,
    int64_t now)
{
	sqlite3_bind_int64(up, 1, id);
	sqlite3_bind_text(up, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 3, tl_outbox_state_name(verdict_state[v]), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(up, 4, next_at);
	if (status > 0)
		sqlite3_bind_int64(up, 5, status);
	if (error != NULL)
		sqlite3_bind_text(up, 6, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(up, 7, now);
	if (sqlite3_step(up) != SQLITE_DONE) {
		tl_store_fail(s, finish_sql);
		return TL_ESTORE;
	}
	return sqlite3_changes(s->db) == 1 ? TL_OK : TL_ENOTFOUND;
}

/* Gives the tips folded into digest id the digest's outcome. */
static enum tl_err
settle_members(struct tl_store *s, int64_t id, enum tl_verdict v,
    int64_t now)
{
	sqlite3_stmt	*st;
	enum tl_err	 rc;

	if ((rc = tl_db_prep(s, members_sql, &st)) != TL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, tl_outbox_state_name(verdict_state[v]), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	rc = tl_db_done(s, sqlite3_step(st), "digest tips");
	sqlite3_finalize(st);
	return rc;
}

enum tl_err
tl_outbox_finish(struct tl_store *s, int64_t id, const char *owner,
    enum tl_verdict v, int64_t next_at, long status, const char *error,
    int64_t now)
{
	sqlite3_stmt	*up = NULL, *cnt = NULL;
	enum tl_err	 rc;

	if ((rc = tl_store_ensure(s)) != TL_OK)
		return rc;
	if ((rc = tl_db_prep(s, finish_sql, &up)) != TL_OK ||
	    (rc = tl_db_prep(s, count_sql, &cnt)) != TL_OK)
		goto out;
	if ((rc = tl_db_exec(s, "BEGIN IMMEDIATE", "finish")) != TL_OK)
		goto out;
	if ((rc = record(s, up, id, owner, v, next_at, status, error, now))
	    != TL_OK || (rc = settle_members(s, id, v, now)) != TL_OK)
		goto out;
	sqlite3_bind_text(cnt, 1, tl_store_counter_name((int)v), -1,
	    SQLITE_STATIC);
	rc = TL_ESTORE;
	if (sqlite3_step(cnt) != SQLITE_DONE) {
		tl_store_fail(s, count_sql);
		goto out;
	}
	rc = tl_db_exec(s, "COMMIT", "finish");
out:
	sqlite3_finalize(up);
	sqlite3_finalize(cnt);
	if (rc != TL_OK)
		tl_db_rollback(s);
	return rc;
}

enum tl_err
tl_outbox_renew(struct tl_store *s, int64_t id, const char *owner,
    int64_t now, int64_t lease_until)
{
	sqlite3_stmt	*up = NULL;
	enum tl_err	 rc;

	if ((rc = tl_store_ensure(s)) != TL_OK ||
	    (rc = tl_db_prep(s, renew_sql, &up)) != TL_OK)
		return rc;
	sqlite3_bind_int64(up, 1, id);
	sqlite3_bind_text(up, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(up, 3, now);
	sqlite3_bind_int64(up, 4, lease_until);
	if (sqlite3_step(up) != SQLITE_DONE) {
		tl_store_fail(s, renew_sql);
		rc = TL_ESTORE;
	} else if (sqlite3_changes(s->db) != 1)
		rc = TL_ENOTFOUND;
	sqlite3_finalize(up);
	return rc;
}

enum tl_err
tl_outbox_release(struct tl_store *s, int64_t id, const char *owner)
{
	sqlite3_stmt	*up = NULL;
	enum tl_err	 rc;

	if ((rc = tl_store_ensure(s)) != TL_OK ||
	    (rc = tl_db_prep(s, release_sql, &up)) != TL_OK)
		return rc;
	sqlite3_bind_int64(up, 1, id);
	sqlite3_bind_text(up, 2, owner, -1, SQLITE_STATIC);
	if (sqlite3_step(up) != SQLITE_DONE) {
		tl_store_fail(s, release_sql);
		rc = TL_ESTORE;
	}
	sqlite3_finalize(up);
	return rc;
}
