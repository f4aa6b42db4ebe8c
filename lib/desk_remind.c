/*
 * desk_remind.c — reminders of urgent tips nobody has opened (see
 * desk_ingest.h): one of the desk's two writes to the intake store (the
 * other is a question to the sender, desk_ask.c).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "desk_ingest.h"
#include "store.h"

#define REMIND_MAX	100	/* reminders a round */

/* The one row written: a pending tip.reminder for the tip ?1, unless one
 * is pending already; urgent, due now. */
static const char insert_sql[] =
    "INSERT INTO deliveries (tip_id, kind, webhook_id, urgent, next_at,"
    " created_at) SELECT id, 'tip.reminder', ?2, 1, ?3, ?3 FROM tips"
    " WHERE ref = ?1 AND NOT EXISTS (SELECT 1 FROM deliveries d"
    "  WHERE d.tip_id = tips.id AND d.kind = 'tip.reminder'"
    "  AND d.state = 'pending')";

/* Queues the reminder of ref: 0, or -1 with err set. */
static int
queue_one(sqlite3 *db, sqlite3_stmt *st, const char *ref, int64_t now,
    char *err, size_t errlen)
{
	char	 wid[TL_WEBHOOK_ID_NEW];
	int	 rc;

	tl_webhook_id_new(wid, now);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, wid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL)
	    == SQLITE_OK)
		return 0;
fail:
	snprintf(err, errlen, "intake store: reminder: %s", sqlite3_errmsg(db));
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

enum tl_err
tl_desk_remind_round(struct tl_desk_store *d, const char *intake_path,
    int64_t every, int64_t now, size_t *n, char *err, size_t errlen)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	json_t		*due, *ref;
	size_t		 i;
	enum tl_err	 rc;

	*n = 0;
	if ((rc = tl_desk_due_reminders(d, now, every, REMIND_MAX, &due)) !=
	    TL_OK) {
		snprintf(err, errlen, "%s", tl_desk_store_errmsg(d));
		return rc;
	}
	if (json_array_size(due) == 0)
		goto out;
	rc = TL_ESTORE;
	if ((db = tl_desk_intake_writer(intake_path, err, errlen)) == NULL)
		goto out;
	if (sqlite3_prepare_v2(db, insert_sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "intake store: %s", sqlite3_errmsg(db));
		goto out;
	}
	json_array_foreach(due, i, ref) {
		if (queue_one(db, st, json_string_value(ref), now, err,
		    errlen) != 0)
			goto out;
		if (tl_desk_reminded(d, json_string_value(ref), now) != TL_OK) {
			snprintf(err, errlen, "%s", tl_desk_store_errmsg(d));
			goto out;
		}
		(*n)++;
	}
	rc = TL_OK;
out:
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	json_decref(due);
	return rc;
}
