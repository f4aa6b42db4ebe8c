/*
 * db.c — SQLite steps shared by the store's files (see db.h).
 */
#include "db.h"

enum tl_err
tl_db_prep(struct tl_store *s, const char *sql, sqlite3_stmt **st)
{
	*st = NULL;
	if (s->db != NULL &&
	    sqlite3_prepare_v2(s->db, sql, -1, st, NULL) == SQLITE_OK)
		return TL_OK;
	sqlite3_finalize(*st);
	*st = NULL;
	tl_store_fail(s, sql);
	return TL_ESTORE;
}

enum tl_err
tl_db_exec(struct tl_store *s, const char *sql, const char *what)
{
	if (s->db != NULL &&
	    sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return TL_OK;
	tl_store_fail(s, what);
	return TL_ESTORE;
}

enum tl_err
tl_db_done(struct tl_store *s, int rc, const char *what)
{
	if (rc == SQLITE_DONE)
		return TL_OK;
	tl_store_fail(s, what);
	return TL_ESTORE;
}

/*
 * The handle's prepared ROLLBACK cannot fail for want of memory to
 * prepare it; before the statements are prepared (a failed migration)
 * the text is run instead.
 */
void
tl_db_rollback(struct tl_store *s)
{
	sqlite3_stmt	*st = s->st[ST_ROLLBACK];
	int		 rc;

	if (s->db == NULL || sqlite3_get_autocommit(s->db))
		return;
	if (st != NULL) {
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	} else
		rc = sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (rc != SQLITE_DONE && rc != SQLITE_OK)
		s->broken = 1;
}
