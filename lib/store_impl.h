/*
 * store_impl.h — the SQLite store's insides, shared by store.c (opening,
 * schema, intake) and outbox.c (deliveries). Not part of the interface.
 */
#ifndef TL_STORE_IMPL_H
#define TL_STORE_IMPL_H

#include <sqlite3.h>

#include "store.h"
#include "tip.h"

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_INS_TIP,
	ST_INS_DELIVERY,
	ST_FIND_TOKEN,
	ST_FIND_IDEM,
	ST_OUTBOX,
	ST__MAX
};

struct tl_store {
	sqlite3		*db;		/* NULL after a failed reopen */
	sqlite3_stmt	*st[ST__MAX];	/* prepared once per connection */
	char		*path;
	int		 broken;	/* reopen before the next use */
	int		 relaxed;	/* synchronous=NORMAL: tl_store_relax() */
	int		 busy_ms;	/* wait for another writer; 0: BUSY_MS */
	int		 busy;		/* the last failure: another writer */
	int		(*on_commit)(void *, int);	/* tl_store_on_commit() */
	void		*on_commit_arg;
	char		 err[256];	/* last error, never tip content */
};

/* Reopens a handle that failed or whose file moved: TL_OK or TL_ESTORE. */
enum tl_err tl_store_ensure(struct tl_store *s);

/* Records SQLite's reason and what failed (cut short) in s->err. */
void tl_store_fail(struct tl_store *s, const char *what);

/* The columns of a tip as tl_store_read_tip() reads them ("tips.ref,
 * tips.received_at, tips.priority" then every field's column in enum
 * order), written from tl_fields[]; a static string. */
const char *tl_store_tip_columns(void);
#define TL_TIP_NCOLUMNS (3 + TL_F__MAX)

/* Prepares "SELECT", those columns and tail (the rest of the statement)
 * on a usable handle: TL_OK, or TL_ESTORE (reason in s->err). */
enum tl_err tl_store_prep_tips(struct tl_store *s, const char *tail,
	    sqlite3_stmt **st);

/* The counters row of delivery outcome verdict (enum tl_verdict). */
const char *tl_store_counter_name(int verdict);

/* Reads the tip columns from st, starting at column col, into tip.
 * Returns TL_OK or TL_ENOMEM (tip is then freed). */
enum tl_err tl_store_read_tip(sqlite3_stmt *st, int col, struct tl_tip *tip);

#endif
