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
	int		(*on_commit)(void *, int);	/* tl_store_on_commit() */
	void		*on_commit_arg;
	char		 err[256];	/* last error, never tip content */
};

/* Reopens a handle that failed or whose file moved: TL_OK or TL_ESTORE. */
enum tl_err tl_store_ensure(struct tl_store *s);

/* Records SQLite's reason and what failed (cut short) in s->err. */
void tl_store_fail(struct tl_store *s, const char *what);

/* The columns of a tip, in the order tl_store_read_tip() reads them. */
#define TL_TIP_COLUMNS "tips.ref, tips.received_at, tips.priority," \
	" tips.concerns, tips.description, tips.location, tips.postcode," \
	" tips.\"when\", tips.times, tips.people, tips.vehicles," \
	" tips.phones, tips.child_at_risk, tips.weapons_seen," \
	" tips.vulnerable_adult"
#define TL_TIP_NCOLUMNS 15

/* Reads TL_TIP_COLUMNS from st, starting at column col, into tip.
 * Returns TL_OK or TL_ENOMEM (tip is then freed). */
enum tl_err tl_store_read_tip(sqlite3_stmt *st, int col, struct tl_tip *tip);

#endif
