/*
 * upgrade.c — a Part I store becomes a sealed one (SPEC 11). The schema
 * step's SQL (store.c) renames Part I's tables; here each old tip is
 * sealed to the staff public key and stored again under its reference
 * with its deliveries, then the old tables are dropped, and afterwards the
 * file is rewritten so that none of their plaintext remains in it, its
 * free pages or its WAL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "store_impl.h"

/* Part I's columns, in the order of its fields (enum tl_field then). */
static const char part1_sql[] =
    "SELECT id, ref, received_at, priority, token_nonce, concerns,"
    " description, location, postcode, \"when\", times, people, vehicles,"
    " phones, child_at_risk, weapons_seen, vulnerable_adult"
    " FROM tips_part1 ORDER BY id";
static const char *const part1_fields[] = { "concerns", "description",
    "location", "postcode", "when", "times", "people", "vehicles", "phones",
    "child_at_risk", "weapons_seen", "vulnerable_adult" };
#define PART1_FIRST	5	/* column of concerns */
#define NPART1	(sizeof(part1_fields) / sizeof(part1_fields[0]))

static const char move_deliveries_sql[] =
    "INSERT INTO deliveries (tip_id, webhook_id, state, urgent, attempts,"
    " next_at, lease_until, lease_owner, last_status, last_error,"
    " created_at, delivered_at)"
    " SELECT ?2, webhook_id, state, urgent, attempts, next_at, NULL, NULL,"
    " last_status, last_error, created_at, delivered_at"
    " FROM deliveries_part1 WHERE tip_id = ?1";

/* Reads one Part I row into r (a report as validation left it). */
static enum tl_err
read_part1(sqlite3_stmt *st, struct tl_report *r)
{
	const unsigned char	*v;
	size_t			 i;
	int			 f;

	tl_report_init(r);
	v = sqlite3_column_text(st, 3);
	r->priority = v != NULL && strcmp((const char *)v, "urgent") == 0 ?
	    TL_PRIO_URGENT : TL_PRIO_NORMAL;
	for (i = 0; i < NPART1; i++) {
		v = sqlite3_column_text(st, PART1_FIRST + (int)i);
		f = tl_field_find(part1_fields[i], strlen(part1_fields[i]));
		if (v == NULL || f < 0)
			continue;
		if ((r->value[f] = strdup((const char *)v)) == NULL)
			return TL_ENOMEM;
	}
	return tl_report_read_lists(r);
}

/* Seals one Part I row and stores it with its deliveries. */
static enum tl_err
move_one(struct tl_store *s, sqlite3_stmt *old, sqlite3_stmt *ins,
    sqlite3_stmt *dlv)
{
	struct tl_submit	 sub;
	struct tl_report	 r;
	struct tl_tip		 view;
	uint8_t			*blob = NULL;
	const unsigned char	*ref = sqlite3_column_text(old, 1);
	char			 err[128];
	enum tl_err		 rc;
	int64_t			 id;

	memset(&sub, 0, sizeof(sub));
	if ((rc = read_part1(old, &r)) != TL_OK || ref == NULL)
		goto out;
	sub.report = &r;
	sub.received_at = sqlite3_column_int64(old, 2);
	if ((rc = tl_tip_prepare(&sub, &view, (const char *)ref,
	    s->upgrade_pk, &blob, err, sizeof(err))) != TL_OK) {
		snprintf(s->err, sizeof(s->err), "seal: %s", err);
		goto out;
	}
	/* The form's nonce stays (replays still find their receipt); an
	 * Idempotency-Key was stored as sent, and is not kept. */
	sub.token_nonce = (const char *)sqlite3_column_text(old, 4);
	if ((rc = tl_store_insert_tip(s, ins, &sub, &id)) != TL_OK)
		goto out;
	sqlite3_bind_int64(dlv, 1, sqlite3_column_int64(old, 0));
	sqlite3_bind_int64(dlv, 2, id);
	rc = tl_db_done(s, sqlite3_step(dlv), "move deliveries");
	sqlite3_reset(dlv);
out:
	free(blob);
	tl_report_free(&r);
	return rc == TL_OK ? TL_OK : TL_ESTORE;
}

/* How many Part I tips wait to be sealed, into *n. */
static enum tl_err
waiting(struct tl_store *s, int64_t *n)
{
	sqlite3_stmt	*st;
	enum tl_err	 rc;
	int		 r;

	*n = 0;
	if ((rc = tl_db_prep(s, "SELECT count(*) FROM tips_part1", &st)) !=
	    TL_OK)
		return rc;
	if ((r = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	rc = r == SQLITE_ROW ? TL_OK : tl_db_done(s, r, "count");
	sqlite3_finalize(st);
	return rc;
}

enum tl_err
tl_store_upgrade_sealed(struct tl_store *s)
{
	sqlite3_stmt	*old = NULL, *ins = NULL, *dlv = NULL;
	enum tl_err	 rc;
	int64_t		 n;
	int		 r = SQLITE_DONE;

	if ((rc = waiting(s, &n)) != TL_OK)
		return rc;
	if (n > 0 && s->upgrade_pk == NULL) {
		snprintf(s->err, sizeof(s->err), "%lld tips of Part I wait in "
		    "plaintext to be sealed: run `tiplinectl init`",
		    (long long)n);
		return TL_ESTORE;
	}
	if ((rc = tl_db_prep(s, part1_sql, &old)) != TL_OK ||
	    (rc = tl_db_prep(s, tl_store_insert_sql(), &ins)) != TL_OK ||
	    (rc = tl_db_prep(s, move_deliveries_sql, &dlv)) != TL_OK)
		goto out;
	while ((r = sqlite3_step(old)) == SQLITE_ROW)
		if ((rc = move_one(s, old, ins, dlv)) != TL_OK)
			goto out;
	if ((rc = tl_db_done(s, r, "read Part I tips")) != TL_OK)
		goto out;
	sqlite3_finalize(old);
	old = NULL;
	rc = tl_db_exec(s, "DROP TABLE deliveries_part1;"
	    "DROP TABLE tips_part1;", "drop Part I tables");
	if (rc == TL_OK)
		s->upgraded = n;
out:
	sqlite3_finalize(old);
	sqlite3_finalize(ins);
	sqlite3_finalize(dlv);
	return rc == TL_OK ? TL_OK : TL_ESTORE;
}

enum tl_err
tl_store_scrub(struct tl_store *s)
{
	if (tl_db_exec(s, "VACUUM", "vacuum") != TL_OK ||
	    tl_db_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint") !=
	    TL_OK)
		return TL_ESTORE;
	return TL_OK;
}
