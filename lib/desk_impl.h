/*
 * desk_impl.h — the desk store's insides, shared by desk_store.c
 * (opening, schema, ingest, changes, audit, purge) and desk_query.c
 * (queue, tip, search, stats). Not part of the interface.
 */
#ifndef TL_DESK_IMPL_H
#define TL_DESK_IMPL_H

#include <sqlite3.h>

#include "desk_store.h"

struct tl_desk_store {
	sqlite3		*db;
	char		 err[256];	/* last error, never tip content */
};

/* Records SQLite's reason and what failed in d->err; returns
 * TL_ESTORE. */
enum tl_err tl_desk_fail(struct tl_desk_store *d, const char *what);

/* Prepares sql into *st (the caller finalizes): TL_OK or TL_ESTORE. */
enum tl_err tl_desk_prep(struct tl_desk_store *d, const char *sql,
	    sqlite3_stmt **st);

/* Binds text (NULL as SQL NULL) at i. */
void tl_desk_bind(sqlite3_stmt *st, int i, const char *s);

/* Column i as a JSON string, or JSON null for SQL NULL; a byte that is
 * not valid UTF-8 becomes U+FFFD, so that one bad value never hides the
 * rest (NULL only when out of memory). */
json_t *tl_desk_col_json(sqlite3_stmt *st, int i);

/* Runs sql (no rows): TL_OK or TL_ESTORE. */
enum tl_err tl_desk_exec(struct tl_desk_store *d, const char *sql);

/* Rolls back the open transaction, if any. */
void tl_desk_rollback(struct tl_desk_store *d);

/* Reads and writes meta's value of key: TL_OK or TL_ESTORE. */
enum tl_err tl_desk_meta_get(struct tl_desk_store *d, const char *key,
	    int64_t *v);
enum tl_err tl_desk_meta_set(struct tl_desk_store *d, const char *key,
	    int64_t v);

/* Column i as text, "" for NULL. */
const char *tl_desk_col(sqlite3_stmt *st, int i);

#endif
