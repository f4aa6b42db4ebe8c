/*
 * test_db.c — the SQLite steps the store's files share (lib/db.c): each
 * failure is TL_ESTORE with SQLite's reason and what failed in
 * tl_store_errmsg(), and a rollback ends the transaction without hiding
 * why it failed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db.h"
#include "fixture.h"

static void
test_prep(void **state)
{
	struct fx_store	*f = *state;
	sqlite3_stmt	*st = (sqlite3_stmt *)&st;	/* not NULL */

	assert_int_equal(tl_db_prep(f->s, "SELEKT 1", &st), TL_ESTORE);
	assert_null(st);
	assert_non_null(strstr(tl_store_errmsg(f->s), "syntax error"));
	assert_non_null(strstr(tl_store_errmsg(f->s), "SELEKT 1"));
	assert_int_equal(tl_db_prep(f->s, "SELECT * FROM no_such", &st),
	    TL_ESTORE);
	assert_null(st);
	assert_non_null(strstr(tl_store_errmsg(f->s), "no_such"));

	assert_int_equal(tl_db_prep(f->s, "SELECT 1", &st), TL_OK);
	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	sqlite3_finalize(st);
}

static void
test_exec_and_done(void **state)
{
	struct fx_store	*f = *state;

	assert_int_equal(tl_db_exec(f->s, "PRAGMA user_version", "pragma"),
	    TL_OK);
	assert_int_equal(tl_db_exec(f->s, "INSERT INTO no_such VALUES (1)",
	    "the insert"), TL_ESTORE);
	assert_non_null(strstr(tl_store_errmsg(f->s), "no such table"));
	assert_non_null(strstr(tl_store_errmsg(f->s), "(the insert)"));

	assert_int_equal(tl_db_done(f->s, SQLITE_DONE, "loop"), TL_OK);
	assert_int_equal(tl_db_done(f->s, SQLITE_ROW, "a loop"), TL_ESTORE);
	assert_int_equal(tl_db_done(f->s, SQLITE_BUSY, "b loop"), TL_ESTORE);
	assert_non_null(strstr(tl_store_errmsg(f->s), "(b loop)"));
}

/* A failed step inside a transaction: rollback undoes the step before
 * it, ends the transaction and leaves the reason in place. */
static void
test_rollback(void **state)
{
	struct fx_store	*f = *state;
	char		 why[256];

	tl_db_rollback(f->s);			/* none open: nothing */
	assert_int_equal(f->s->broken, 0);
	assert_int_equal(tl_db_exec(f->s, "BEGIN IMMEDIATE", "begin"),
	    TL_OK);
	assert_int_equal(tl_db_exec(f->s, "UPDATE counters SET value = 9",
	    "update"), TL_OK);
	assert_int_equal(tl_db_exec(f->s, "UPDATE no_such SET x = 1",
	    "second update"), TL_ESTORE);
	snprintf(why, sizeof(why), "%s", tl_store_errmsg(f->s));
	assert_false(sqlite3_get_autocommit(f->s->db));
	tl_db_rollback(f->s);
	assert_true(sqlite3_get_autocommit(f->s->db));
	assert_int_equal(f->s->broken, 0);
	assert_string_equal(tl_store_errmsg(f->s), why);
	assert_int_equal(q_int(f->path, "SELECT sum(value) FROM counters"),
	    0);
}

/* No connection (a reopen failed): every step fails cleanly. */
static void
test_no_connection(void **state)
{
	struct fx_store	*f = *state;
	sqlite3		*db = f->s->db;
	sqlite3_stmt	*st;

	f->s->db = NULL;
	assert_int_equal(tl_db_prep(f->s, "SELECT 1", &st), TL_ESTORE);
	assert_null(st);
	assert_int_equal(tl_db_exec(f->s, "SELECT 1", "select"), TL_ESTORE);
	assert_non_null(strstr(tl_store_errmsg(f->s), "not open"));
	tl_db_rollback(f->s);
	f->s->db = db;
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, fx_store_setup, \
	    fx_store_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_prep),
		T(test_exec_and_done),
		T(test_rollback),
		T(test_no_connection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
