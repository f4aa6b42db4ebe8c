/*
 * db.h — the few SQLite steps every part of the SQLite store repeats:
 * preparing a statement, running SQL text, reading how a step loop ended,
 * and ending a transaction that failed. Internal to the store (store.c,
 * outbox.c, query.c); each records SQLite's reason in the handle, where
 * tl_store_errmsg() finds it, and never tip content.
 */
#ifndef TL_DB_H
#define TL_DB_H

#include <sqlite3.h>

#include "store_impl.h"

/*
 * Prepares sql on s's open connection into *st, which the caller
 * finalizes. Returns TL_OK, or TL_ESTORE (reason in s->err) with *st
 * NULL. Does not reopen a broken handle: call tl_store_ensure() first.
 */
enum tl_err tl_db_prep(struct tl_store *s, const char *sql,
	    sqlite3_stmt **st);

/*
 * Runs SQL text whose rows, if any, are not wanted (BEGIN, COMMIT,
 * PRAGMA). Returns TL_OK, or TL_ESTORE with the reason and what in s->err.
 */
enum tl_err tl_db_exec(struct tl_store *s, const char *sql,
	    const char *what);

/*
 * How a step loop ended: TL_OK when rc is SQLITE_DONE, else TL_ESTORE
 * with the reason and what in s->err.
 */
enum tl_err tl_db_done(struct tl_store *s, int rc, const char *what);

/*
 * Ends the open transaction, if any, without touching s->err (which
 * holds why it failed). A handle that cannot roll back is marked broken,
 * so it is reopened (and the transaction dropped) before its next use.
 */
void tl_db_rollback(struct tl_store *s);

#endif
