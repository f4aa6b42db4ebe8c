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
	ST_SENDER,
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
	const uint8_t	*upgrade_pk;	/* seals Part I's tips (upgrade.c) */
	int64_t		 upgraded;	/* tips it sealed */
	int		(*on_commit)(void *, int);	/* tl_store_on_commit() */
	void		*on_commit_arg;
	char		 err[256];	/* last error, never tip content */
};

/* Reopens a handle that failed or whose file moved: TL_OK or TL_ESTORE. */
enum tl_err tl_store_ensure(struct tl_store *s);

/* Records SQLite's reason and what failed (cut short) in s->err. */
void tl_store_fail(struct tl_store *s, const char *what);

/* The columns of a tip as tl_store_read_tip() reads them ("tips.id,
 * tips.ref, tips.received_at, tips.priority", the plaintext fields'
 * columns in table order, area, the counts, the blob and the sender's
 * key), written from tl_fields[]; a static string, and how many. */
const char *tl_store_tip_columns(void);
int tl_store_tip_ncolumns(void);

/* The columns of that list after the plaintext fields', in its order. */
enum tl_tipcol {
	TL_TIPCOL_AREA,
	TL_TIPCOL_HAS_PEOPLE,
	TL_TIPCOL_HAS_VEHICLES,
	TL_TIPCOL_PHONES,
	TL_TIPCOL_SEALED,	/* the blob: from here on, binary columns */
	TL_TIPCOL_SENDER_PK,
	TL_TIPCOL_SENDER_SALT,
	TL_TIPCOL_SENDER_GONE,
	TL_TIPCOL__MAX
};

/* Where column c is in the list (0 is tips.id; the plaintext fields'
 * columns start at 4, after id, ref, received_at and priority). */
int tl_store_tip_col(enum tl_tipcol c);

/* Prepares "SELECT", those columns and tail (the rest of the statement)
 * on a usable handle: TL_OK, or TL_ESTORE (reason in s->err). */
enum tl_err tl_store_prep_tips(struct tl_store *s, const char *tail,
	    sqlite3_stmt **st);

/*
 * Makes the connection db fit for a file that another, less trusted
 * program can write (SPEC 16; the desk and tiplinectl open the intake
 * store so): SQLite's defensive mode, an untrusted schema (no function
 * with side effects runs from it), no trigger and no view of the file's
 * own ever runs, and every cell's size checked. Returns 0, or -1 with
 * SQLite's reason in db.
 */
int tl_store_harden(sqlite3 *db);

/* The counters row of delivery outcome verdict (enum tl_verdict). */
const char *tl_store_counter_name(int verdict);

/* The INSERT of a tip (see store.c); a static string. */
const char *tl_store_insert_sql(void);

/* Inserts sub with st, a statement of tl_store_insert_sql(), and its row
 * id into *id: TL_OK, TL_EDUPLICATE, TL_ETAKEN or TL_ESTORE. */
enum tl_err tl_store_insert_tip(struct tl_store *s, sqlite3_stmt *st,
	    const struct tl_submit *sub, int64_t *id);

/* After the SQL of the sealed schema step, in its transaction: seals
 * the Part I tips waiting in tips_part1 to s->upgrade_pk and drops the
 * old tables. Without a key, only an empty store can be upgraded.
 * TL_OK, or TL_ESTORE (reason in s->err). upgrade.c. */
enum tl_err tl_store_upgrade_sealed(struct tl_store *s);

/* Leaves no trace of deleted rows in the file, its free pages or its WAL
 * (VACUUM, then a TRUNCATE checkpoint). TL_OK or TL_ESTORE. upgrade.c. */
enum tl_err tl_store_scrub(struct tl_store *s);

/* Copies blob column c of st into out when it has exactly n bytes (a
 * key, a salt): 1, else 0. */
int tl_store_col_key(sqlite3_stmt *st, int c, uint8_t *out, size_t n);

/* Reads the tip columns from st, starting at column col, into tip.
 * Returns TL_OK or TL_ENOMEM (tip is then freed). */
enum tl_err tl_store_read_tip(sqlite3_stmt *st, int col, struct tl_tip *tip);

#endif
