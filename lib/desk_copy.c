/*
 * desk_copy.c — the desk's copy of a tip as a struct tl_tip, for
 * `tiplinectl show` and `export` (SPEC 16: the desk's copy is the truth;
 * the intake row may have been changed since by whoever holds the public
 * side). See desk_store.h.
 */
#include <stdlib.h>
#include <string.h>

#include "desk_impl.h"
#include "tip.h"

/* The columns read, in fill()'s order. */
#define COPY_COLS "ref, received_at, priority, fields, fault, changed, area"

/* t from the row on st (COPY_COLS): TL_OK or TL_ENOMEM. */
static enum tl_err
fill(sqlite3_stmt *st, struct tl_tip *t, struct tl_desk_copy_info *info)
{
	const char	*text = (const char *)sqlite3_column_text(st, 3), *k;
	json_t		*o = NULL, *v;
	int		 f;
	enum tl_err	 rc = TL_OK;

	memset(t, 0, sizeof(*t));
	tl_report_init(&t->report);
	snprintf(t->ref, sizeof(t->ref), "%s", tl_desk_col(st, 0));
	t->received_at = sqlite3_column_int64(st, 1);
	t->report.priority = strcmp(tl_desk_col(st, 2), "urgent") == 0 ?
	    TL_PRIO_URGENT : TL_PRIO_NORMAL;
	snprintf(t->area, sizeof(t->area), "%s", tl_desk_col(st, 6));
	info->opened = text != NULL;
	info->changed = sqlite3_column_int(st, 5) != 0;
	snprintf(info->fault, sizeof(info->fault), "%s", tl_desk_col(st, 4));
	if (text == NULL)
		return TL_OK;
	if ((o = json_loads(text, 0, NULL)) == NULL)
		return TL_ENOMEM;	/* the desk wrote it: only memory */
	json_object_foreach(o, k, v) {
		f = tl_field_find(k, strlen(k));
		if (f < 0 || !json_is_string(v) || t->report.value[f] != NULL)
			continue;
		if ((t->report.value[f] = strdup(json_string_value(v))) ==
		    NULL) {
			rc = TL_ENOMEM;
			break;
		}
	}
	json_decref(o);
	if (rc == TL_OK)
		rc = tl_report_read_lists(&t->report);
	return rc;
}

enum tl_err
tl_desk_copy(struct tl_desk_store *d, const char *ref, struct tl_tip *t,
    struct tl_desk_copy_info *info)
{
	sqlite3_stmt	*st;
	int		 rc;
	enum tl_err	 err;

	memset(t, 0, sizeof(*t));
	if (tl_desk_prep(d, "SELECT " COPY_COLS " FROM tips WHERE ref = ?",
	    &st) != TL_OK)
		return TL_ESTORE;
	tl_desk_bind(st, 1, ref);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		err = fill(st, t, info);
	else
		err = rc == SQLITE_DONE ? TL_ENOTFOUND : tl_desk_fail(d, ref);
	sqlite3_finalize(st);
	if (err != TL_OK)
		tl_tip_free(t);
	return err;
}

enum tl_err
tl_desk_copy_each(struct tl_desk_store *d, int64_t since,
    enum tl_err (*fn)(void *, const struct tl_tip *,
    const struct tl_desk_copy_info *), void *arg)
{
	struct tl_desk_copy_info info;
	struct tl_tip		 t;
	sqlite3_stmt		*st;
	int			 rc = SQLITE_DONE;
	enum tl_err		 err = TL_OK;

	if (tl_desk_prep(d, "SELECT " COPY_COLS " FROM tips"
	    " WHERE received_at >= ?1 ORDER BY intake_id, id", &st) != TL_OK)
		return TL_ESTORE;
	sqlite3_bind_int64(st, 1, since);
	while (err == TL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = fill(st, &t, &info)) == TL_OK)
			err = fn(arg, &t, &info);
		tl_tip_free(&t);
	}
	if (err == TL_OK && rc != SQLITE_DONE)
		err = tl_desk_fail(d, "export");
	sqlite3_finalize(st);
	return err;
}
