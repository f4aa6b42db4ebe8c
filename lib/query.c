/*
 * query.c — tiplinectl's reads and changes of the SQLite store (SPEC 7).
 * See query.h.
 *
 * The SQL only: every command streams its rows with sqlite3_step, never
 * holding the whole store in memory, and hands each row to present.c,
 * which writes it as text or JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "db.h"
#include "present.h"
#include "query.h"
#include "tip_staff.h"

/* After "SELECT" and the tip columns (tl_store_prep_tips()). */
static const char list_sql_tail[] =
    ", deliveries.state FROM tips"
    " LEFT JOIN deliveries ON deliveries.tip_id = tips.id"
    " AND deliveries.kind = 'tip.received'"
    " WHERE tips.received_at >= ?1 AND (?2 IS NULL OR tips.priority = ?2)"
    " ORDER BY tips.id DESC LIMIT ?3";

/* After "SELECT" and the tip columns (tl_store_prep_tips()). */
static const char show_sql_tail[] =
    ", deliveries.state, deliveries.attempts"
    " FROM tips LEFT JOIN deliveries ON deliveries.tip_id = tips.id"
    " AND deliveries.kind = 'tip.received'"
    " WHERE tips.ref = ?1";

/* After "SELECT" and the tip columns (tl_store_prep_tips()). */
static const char export_sql_tail[] =
    " FROM tips WHERE tips.received_at >= ?1 AND tips.id > ?2"
    " ORDER BY tips.id";

static const char purge_count_sql[] =
    "SELECT count(*) FROM tips WHERE received_at <= ?1";

static const char purge_ids_sql[] =
    "SELECT id FROM tips WHERE received_at <= ?1 AND id > ?2"
    " ORDER BY id LIMIT ?3";

static const char purge_sql[] =
    "DELETE FROM tips WHERE id = ?1 AND received_at <= ?2";

/* Before the tip ?1 goes: a digest that only its deliveries were folded
 * into goes with it. The schema's trigger deliveries_digest_gone does it
 * too, but tiplinectl runs no trigger of the intake store's (SPEC 16). */
static const char purge_digest_sql[] =
    "DELETE FROM deliveries WHERE id IN (SELECT digest_id FROM deliveries"
    " WHERE tip_id = ?1 AND digest_id IS NOT NULL)"
    " AND EXISTS (SELECT 1 FROM tips WHERE id = ?1 AND received_at <= ?2)"
    " AND NOT EXISTS (SELECT 1 FROM deliveries m"
    "  WHERE m.digest_id = deliveries.id AND m.tip_id IS NOT ?1)";

static const char deliveries_sql[] =
    "SELECT tips.ref, d.kind, d.webhook_id, d.state,"
    " d.attempts, d.next_at, d.last_status, d.last_error"
    " FROM deliveries d LEFT JOIN tips ON tips.id = d.tip_id"
    " WHERE ?1 IS NULL OR d.state = ?1"
    " ORDER BY coalesce(tips.received_at, d.created_at) DESC, d.id DESC";

static const char redeliver_sql[] =
    "UPDATE deliveries SET state = 'pending', next_at = ?1, attempts = 0,"
    " lease_until = NULL, lease_owner = NULL, last_status = NULL,"
    " last_error = NULL, delivered_at = NULL, acked_at = NULL,"
    " digest_id = CASE WHEN ?2 IS NULL THEN digest_id END"
    " WHERE CASE WHEN ?2 IS NULL THEN state = 'dead' AND digest_id IS NULL"
    " ELSE tip_id = (SELECT id FROM tips WHERE ref = ?2) END";

/* Prepares sql on a usable handle: TL_OK or TL_ESTORE (in s->err). */
static enum tl_err
prep(struct tl_store *s, const char *sql, sqlite3_stmt **st)
{
	enum tl_err	 err;

	*st = NULL;
	if ((err = tl_store_ensure(s)) != TL_OK)
		return err;
	return tl_db_prep(s, sql, st);
}

/* ----------------------------------------------------------- list --- */

/* Writes the tip on the current row of st as `list` does. n counts the
 * tips written before it. */
static enum tl_err
list_row(sqlite3_stmt *st, int json, size_t n, FILE *out)
{
	struct tl_tip	 tip;
	const char	*delivery;
	enum tl_err	 err;

	if ((err = tl_store_read_tip(st, 0, &tip)) != TL_OK)
		return err;
	delivery = (const char *)sqlite3_column_text(st, tl_store_tip_ncolumns());
	err = tl_present_list_row(out, &tip, delivery, json, n);
	tl_tip_free(&tip);
	return err;
}

enum tl_err
tl_query_list(struct tl_store *s, const struct tl_list_opts *o, FILE *out)
{
	sqlite3_stmt	*st;
	enum tl_err	 err;
	size_t		 n = 0;
	int		 rc;

	if ((err = tl_store_prep_tips(s, list_sql_tail, &st)) != TL_OK)
		return err;
	sqlite3_bind_int64(st, 1, o->since);
	if (o->priority >= 0)
		sqlite3_bind_text(st, 2, tl_priority_name(o->priority), -1,
		    SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, o->limit > 0 ? o->limit : -1);
	tl_present_list_head(out, o->json);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = list_row(st, o->json, n++, out)) != TL_OK)
			goto out;
	err = tl_db_done(s, rc, "list");
	tl_present_list_end(out, o->json, n);
out:
	sqlite3_finalize(st);
	return err;
}

/* ----------------------------------------------------------- show --- */

/* Opens tip's seal with sk, saying on stderr why it does not open. */
static enum tl_err
unseal(struct tl_tip *tip, const struct tl_seal_secret *sk)
{
	enum tl_seal_fault	 fault;
	enum tl_err		 err;

	if ((err = tl_tip_unseal(tip, sk, &fault)) == TL_ESEALED)
		fprintf(stderr, "tiplinectl: %s: its sealed content does not "
		    "open: %s\n", tip->ref, fault == TL_SEAL_FAULT_KEY ?
		    "it was not sealed to this staff key" : "its row or its "
		    "blob was changed after it was stored");
	return err;
}

enum tl_err
tl_query_show(struct tl_store *s, const struct tl_seal_secret *sk,
    const char *ref, int json, FILE *out)
{
	sqlite3_stmt	*st;
	struct tl_tip	 tip;
	enum tl_err	 err;
	int		 rc, n;

	if ((err = tl_store_prep_tips(s, show_sql_tail, &st)) != TL_OK)
		return err;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		err = rc == SQLITE_DONE ? TL_ENOTFOUND :
		    tl_db_done(s, rc, "show");
		goto out;
	}
	if ((err = tl_store_read_tip(st, 0, &tip)) != TL_OK)
		goto out;
	n = tl_store_tip_ncolumns();
	if ((err = unseal(&tip, sk)) == TL_OK)
		err = tl_present_tip(out, &tip, (const char *)
		    sqlite3_column_text(st, n), sqlite3_column_int(st, n + 1),
		    json);
	tl_tip_free(&tip);
out:
	sqlite3_finalize(st);
	return err;
}

/* After "SELECT": a tip's delivery state and attempts. */
static const char delivery_sql[] =
    "SELECT deliveries.state, deliveries.attempts"
    " FROM tips LEFT JOIN deliveries ON deliveries.tip_id = tips.id"
    " AND deliveries.kind = 'tip.received'"
    " WHERE tips.ref = ?1";

enum tl_err
tl_query_show_copy(struct tl_store *s, const struct tl_tip *t, int json,
    FILE *out)
{
	sqlite3_stmt	*st = NULL;
	enum tl_err	 err;

	/* The delivery is the intake store's to say; the tip is not. */
	if (s == NULL || prep(s, delivery_sql, &st) != TL_OK)
		return tl_present_tip(out, t, NULL, 0, json);
	sqlite3_bind_text(st, 1, t->ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		err = tl_present_tip(out, t, (const char *)
		    sqlite3_column_text(st, 0), sqlite3_column_int(st, 1),
		    json);
	else
		err = tl_present_tip(out, t, NULL, 0, json);
	sqlite3_finalize(st);
	return err;
}

/* --------------------------------------------------------- export --- */

/* Writes the tip on the current row of st as one JSON line. */
static enum tl_err
export_row(sqlite3_stmt *st, const struct tl_seal_secret *sk, FILE *out)
{
	struct tl_tip	 tip;
	enum tl_err	 err;

	if ((err = tl_store_read_tip(st, 0, &tip)) != TL_OK)
		return err;
	if ((err = unseal(&tip, sk)) == TL_OK)
		err = tl_present_export(out, &tip);
	tl_tip_free(&tip);
	return err;
}

enum tl_err
tl_query_export(struct tl_store *s, const struct tl_seal_secret *sk,
    int64_t since, FILE *out)
{
	return tl_query_export_after(s, sk, since, 0, out);
}

enum tl_err
tl_query_export_after(struct tl_store *s, const struct tl_seal_secret *sk,
    int64_t since, int64_t after, FILE *out)
{
	sqlite3_stmt	*st;
	enum tl_err	 err, sealed = TL_OK;
	int		 rc;

	if ((err = tl_store_prep_tips(s, export_sql_tail, &st)) != TL_OK)
		return err;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, after);
	/* A tip that does not open is said and left out; the others go on,
	 * and the export fails at the end. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = export_row(st, sk, out)) == TL_ESEALED)
			sealed = err;
		else if (err != TL_OK)
			goto out;
	err = tl_db_done(s, rc, "export");
	if (err == TL_OK)
		err = sealed;
out:
	sqlite3_finalize(st);
	return err;
}

/* ---------------------------------------------------------- purge --- */

/*
 * SPEC 12: the intake store's write lock is held at most about 100 ms by
 * a purge transaction, so that intake keeps committing tips while a large
 * purge runs. The ids to delete are read a page at a time outside any
 * write transaction (tips has no index on received_at: finding them is a
 * scan, which needs no lock); each transaction then deletes them one by
 * one by id until PURGE_HOLD_MS have passed since it took the lock (or
 * batch_max tips), and commits. The commit's write and sync come on top:
 * 25-50 ms for such a batch on the development machine, where a writer
 * committing every few ms during a purge of 200,000 tips waited at most
 * 93 ms for the lock (8.5 s with the purge in one transaction).
 */
#define PURGE_PAGE	4096	/* ids read at a time */
#define PURGE_HOLD_MS	40	/* start no delete later in a transaction */
/*
 * Between transactions the lock is left free this long. SQLite queues no
 * one: a writer waiting for the lock (tipline.fcgi's busy handler, as
 * any) sleeps and tries again, 1 to 50 ms apart in its first 228 ms, so a
 * purge that took the lock straight back would rarely let it in.
 */
#define PURGE_PAUSE_MS	50

/* Monotonic milliseconds. */
static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A deleting purge under way. */
struct purge {
	struct tl_store	*s;
	sqlite3_stmt	*del;		/* purge_sql */
	sqlite3_stmt	*digest;	/* purge_digest_sql */
	int64_t		 cutoff;
	int64_t		 batch_max;	/* tips a transaction; 0: no limit */
	int64_t		*n;		/* tips deleted and committed */
	int64_t		*batches;	/* transactions committed */
};

/* Reads into ids up to PURGE_PAGE ids after after of tips received at or
 * before cutoff, in order; *k: how many. Resets st (no read lock kept). */
static enum tl_err
purge_page(struct tl_store *s, sqlite3_stmt *st, int64_t cutoff,
    int64_t after, int64_t *ids, size_t *k)
{
	int	 rc;

	*k = 0;
	sqlite3_bind_int64(st, 1, cutoff);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int64(st, 3, PURGE_PAGE);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *k < PURGE_PAGE)
		ids[(*k)++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? TL_OK : tl_db_done(s, rc, "purge: read");
}

/*
 * One transaction, after a pause if it is not the first: deletes
 * ids[*i..k) in order (each only if still at or before the cutoff; its
 * deliveries and messages go by cascade, a digest of its deliveries alone
 * before it) until PURGE_HOLD_MS or batch_max is up, and commits. *i
 * moves past them; the tips and the batch count only once committed. On
 * failure the transaction is left open for the caller to roll back.
 */
static enum tl_err
purge_batch(struct purge *p, const int64_t *ids, size_t k, size_t *i)
{
	enum tl_err	 err;
	int64_t		 start, done = 0, gone = 0;
	int		 rc;

	if (*p->batches > 0)
		nanosleep(&(struct timespec){ 0, PURGE_PAUSE_MS * 1000000L },
		    NULL);
	if ((err = tl_db_exec(p->s, "BEGIN IMMEDIATE", "purge: begin")) !=
	    TL_OK)
		return err;
	start = now_ms();
	do {
		sqlite3_bind_int64(p->digest, 1, ids[*i]);
		sqlite3_bind_int64(p->digest, 2, p->cutoff);
		rc = sqlite3_step(p->digest);
		sqlite3_reset(p->digest);
		if ((err = tl_db_done(p->s, rc, "purge: digest")) != TL_OK)
			return err;
		sqlite3_bind_int64(p->del, 1, ids[(*i)++]);
		sqlite3_bind_int64(p->del, 2, p->cutoff);
		rc = sqlite3_step(p->del);
		sqlite3_reset(p->del);
		if ((err = tl_db_done(p->s, rc, "purge")) != TL_OK)
			return err;
		gone += sqlite3_changes64(p->s->db);
		done++;
	} while (*i < k && (p->batch_max <= 0 || done < p->batch_max) &&
	    now_ms() - start < PURGE_HOLD_MS);
	if ((err = tl_db_exec(p->s, "COMMIT", "purge: commit")) != TL_OK)
		return err;
	*p->n += gone;
	(*p->batches)++;
	return TL_OK;
}

/* Copies every WAL frame into the file and empties the WAL: TL_OK, or
 * TL_ESTORE when a reader kept it from finishing. A PASSIVE checkpoint
 * first copies what it can without holding the write lock, so that the
 * TRUNCATE one, which holds it, has little left to copy. */
static enum tl_err
checkpoint(struct tl_store *s)
{
	int	 rc, log = -1, done = -1;

	(void)sqlite3_wal_checkpoint_v2(s->db, "main",
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	rc = sqlite3_wal_checkpoint_v2(s->db, "main",
	    SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
	if (rc == SQLITE_OK && log == done)
		return TL_OK;
	if ((rc & 0xff) == SQLITE_BUSY || rc == SQLITE_OK)
		snprintf(s->err, sizeof(s->err), "the WAL is in use by "
		    "another connection, so purged pages may remain in it: "
		    "run purge again later");
	else
		tl_store_fail(s, "wal_checkpoint(TRUNCATE)");
	return TL_ESTORE;
}

/* The deleting purge: pages of ids, each deleted in batches. */
static enum tl_err
purge_batches(struct purge *p)
{
	sqlite3_stmt	*sel = NULL;
	int64_t		*ids, after = INT64_MIN;
	size_t		 k = 0, i;
	enum tl_err	 err;

	if ((ids = calloc(PURGE_PAGE, sizeof(*ids))) == NULL)
		return TL_ENOMEM;
	if ((err = prep(p->s, purge_ids_sql, &sel)) != TL_OK ||
	    (err = prep(p->s, purge_sql, &p->del)) != TL_OK ||
	    (err = prep(p->s, purge_digest_sql, &p->digest)) != TL_OK ||
	    (err = tl_db_exec(p->s, "PRAGMA secure_delete = ON",
	    "purge: secure_delete")) != TL_OK)
		goto out;
	do {
		if ((err = purge_page(p->s, sel, p->cutoff, after, ids, &k)) !=
		    TL_OK)
			break;
		for (i = 0; err == TL_OK && i < k; )
			err = purge_batch(p, ids, k, &i);
		if (k > 0)
			after = ids[k - 1];
	} while (err == TL_OK && k == PURGE_PAGE);
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(p->del);
	sqlite3_finalize(p->digest);
	free(ids);
	if (err != TL_OK)
		tl_db_rollback(p->s);
	return err;
}

enum tl_err
tl_query_purge(struct tl_store *s, int64_t cutoff, int dry_run,
    int64_t batch_max, int64_t *n, int64_t *batches)
{
	sqlite3_stmt	*st;
	enum tl_err	 err;
	int64_t		 nb = 0;
	int		 rc;

	*n = 0;
	if (batches == NULL)
		batches = &nb;
	*batches = 0;
	if (!dry_run) {
		err = purge_batches(&(struct purge){ s, NULL, NULL, cutoff,
		    batch_max, n, batches });
		return err == TL_OK ? checkpoint(s) : err;
	}
	if ((err = prep(s, purge_count_sql, &st)) != TL_OK)
		return err;
	sqlite3_bind_int64(st, 1, cutoff);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		err = tl_db_done(s, rc, "purge");
	sqlite3_finalize(st);
	return err;
}

/* ----------------------------------------------------- deliveries --- */

/* Writes the delivery on the current row of st as one line. */
static enum tl_err
delivery_row(sqlite3_stmt *st, FILE *out)
{
	struct tl_present_delivery	 d;

	memset(&d, 0, sizeof(d));
	d.ref = (const char *)sqlite3_column_text(st, 0);
	d.kind = (const char *)sqlite3_column_text(st, 1);
	d.webhook_id = (const char *)sqlite3_column_text(st, 2);
	if (tl_outbox_state_parse((const char *)sqlite3_column_text(st, 3),
	    &d.state) != TL_OK)
		d.state = TL_OUT__MAX;
	d.attempts = sqlite3_column_int(st, 4);
	d.next_at = sqlite3_column_int64(st, 5);
	if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
		d.has_status = 1;
		d.status = sqlite3_column_int64(st, 6);
	}
	d.error = (const char *)sqlite3_column_text(st, 7);
	return tl_present_delivery(out, &d);
}

enum tl_err
tl_query_deliveries(struct tl_store *s, int state, FILE *out)
{
	sqlite3_stmt	*st;
	enum tl_err	 err;
	int		 rc;

	if ((err = prep(s, deliveries_sql, &st)) != TL_OK)
		return err;
	if (state >= 0 && state < TL_OUT__MAX)
		sqlite3_bind_text(st, 1, tl_outbox_state_name(state), -1,
		    SQLITE_STATIC);
	tl_present_deliveries_head(out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = delivery_row(st, out)) != TL_OK)
			goto out;
	err = tl_db_done(s, rc, "deliveries");
out:
	sqlite3_finalize(st);
	return err;
}

enum tl_err
tl_query_redeliver(struct tl_store *s, const char *ref, int64_t now,
    int64_t *n)
{
	sqlite3_stmt	*st;
	enum tl_err	 err;

	*n = 0;
	if ((err = prep(s, redeliver_sql, &st)) != TL_OK)
		return err;
	sqlite3_bind_int64(st, 1, now);
	if (ref != NULL)
		sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
	if ((err = tl_db_done(s, sqlite3_step(st), "redeliver")) == TL_OK) {
		*n = sqlite3_changes64(s->db);
		if (ref != NULL && *n == 0)
			err = TL_ENOTFOUND;
	}
	sqlite3_finalize(st);
	return err;
}

/* ---------------------------------------------------------- stats --- */

/* Runs sql, whose rows are (text key, count), into obj. */
static enum tl_err
count_rows(struct tl_store *s, const char *sql, json_t *obj)
{
	sqlite3_stmt	*st;
	const char	*k;
	enum tl_err	 err;
	int		 rc;

	if ((err = prep(s, sql, &st)) != TL_OK)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(st, 0);
		if (k != NULL && json_object_set_new(obj, k,
		    json_integer(sqlite3_column_int64(st, 1))) == -1) {
			sqlite3_finalize(st);
			return TL_ENOMEM;
		}
	}
	err = tl_db_done(s, rc, sql);
	sqlite3_finalize(st);
	return err;
}

/* Runs sql (?1 = arg unless NULL), whose one row is a count, into *n. */
static enum tl_err
count_one(struct tl_store *s, const char *sql, const char *arg, int64_t *n)
{
	sqlite3_stmt	*st;
	enum tl_err	 err;
	int		 rc;

	if ((err = prep(s, sql, &st)) != TL_OK)
		return err;
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	err = tl_db_done(s, rc, sql);
	sqlite3_finalize(st);
	return err;
}

/* Fills the parts of the stats object o. */
static enum tl_err
stats_fill(struct tl_store *s, json_t *o)
{
	const struct tl_choice	*c = tl_fields[TL_F_CONCERNS].choices;
	json_t			*conc = json_object_get(o, "by_concern");
	enum tl_err		 err;
	int64_t			 n = 0;

	if ((err = count_one(s, "SELECT count(*) FROM tips", NULL, &n))
	    != TL_OK)
		return err;
	if (json_object_set_new(o, "total", json_integer(n)) == -1)
		return TL_ENOMEM;
	if ((err = count_rows(s, "SELECT priority, count(*) FROM tips"
	    " GROUP BY priority", json_object_get(o, "by_priority")))
	    != TL_OK)
		return err;
	for (; c->value != NULL; c++) {
		if ((err = count_one(s, "SELECT count(*) FROM tips WHERE"
		    " instr(',' || concerns || ',', ',' || ?1 || ',') > 0",
		    c->value, &n)) != TL_OK)
			return err;
		if (json_object_set_new(conc, c->value, json_integer(n)) == -1)
			return TL_ENOMEM;
	}
	return count_rows(s, "SELECT date(received_at, 'unixepoch') AS day,"
	    " count(*) FROM tips GROUP BY day ORDER BY day",
	    json_object_get(o, "by_day"));
}

enum tl_err
tl_query_stats(struct tl_store *s, int json, FILE *out)
{
	json_t		*o;
	enum tl_err	 err;

	o = json_pack("{s:i, s:{s:i, s:i}, s:{}, s:{}}", "total", 0,
	    "by_priority", "urgent", 0, "normal", 0, "by_concern", "by_day");
	if (o == NULL)
		return TL_ENOMEM;
	if ((err = stats_fill(s, o)) == TL_OK)
		err = tl_present_stats(out, o, json);
	json_decref(o);
	return err;
}
