/*
 * desk_stats.c — the desk's /stats (SPEC 12): tips counted by day,
 * priority, concern, area and state, and the median time from receipt
 * to the first opening and to action (actioned or closed), urgent and
 * normal apart. Counts only: no content.
 */
#include <stdio.h>
#include <string.h>

#include "desk_impl.h"
#include "report.h"

/* A GROUP BY query: key, count. */
static const struct {
	const char	*name;
	const char	*sql;
} groups[] = {
	{ "by_day", "SELECT date(received_at, 'unixepoch') AS k, count(*)"
	    " FROM tips GROUP BY k ORDER BY k DESC LIMIT 366" },
	{ "by_priority", "SELECT priority, count(*) FROM tips GROUP BY 1"
	    " ORDER BY 1 DESC" },
	{ "by_area", "SELECT coalesce(area, '-'), count(*) FROM tips"
	    " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 200" },
	{ "by_state", "SELECT state, count(*) FROM tips GROUP BY 1"
	    " ORDER BY 1" },
};

/* Runs a key/count query into a new JSON array of [key, count]. */
static enum tl_err
group(struct tl_desk_store *d, const char *sql, const char *bind,
    json_t **out)
{
	sqlite3_stmt	*st;
	json_t		*a = json_array();
	int		 rc, oom = a == NULL;

	if (tl_desk_prep(d, sql, &st) != TL_OK) {
		json_decref(a);
		return TL_ESTORE;
	}
	if (bind != NULL)
		tl_desk_bind(st, 1, bind);
	while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW)
		oom = json_array_append_new(a, json_pack("[s,I]",
		    tl_desk_col(st, 0), sqlite3_column_int64(st, 1))) != 0;
	sqlite3_finalize(st);
	if (oom || rc != SQLITE_DONE) {
		json_decref(a);
		return oom ? TL_ENOMEM : tl_desk_fail(d, "stats");
	}
	*out = a;
	return TL_OK;
}

/* Concerns: one count each, in the field table's order. */
static enum tl_err
by_concern(struct tl_desk_store *d, json_t **out)
{
	const struct tl_choice	*c;
	sqlite3_stmt		*st;
	json_t			*a = json_array();
	int			 oom = a == NULL;

	if (tl_desk_prep(d, "SELECT count(*) FROM tips WHERE"
	    " ',' || concerns || ',' LIKE '%,' || ? || ',%'", &st) != TL_OK) {
		json_decref(a);
		return TL_ESTORE;
	}
	for (c = tl_fields[TL_F_CONCERNS].choices; c->value != NULL && !oom;
	    c++) {
		tl_desk_bind(st, 1, c->value);
		if (sqlite3_step(st) == SQLITE_ROW)
			oom = json_array_append_new(a, json_pack("[s,I]",
			    c->value, sqlite3_column_int64(st, 0))) != 0;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (oom) {
		json_decref(a);
		return TL_ENOMEM;
	}
	*out = a;
	return TL_OK;
}

/* The median seconds from receipt to column (first_opened_at or
 * actioned_at) of tips of priority: a JSON integer, or null if none. */
static json_t *
median(struct tl_desk_store *d, const char *column, const char *priority)
{
	sqlite3_stmt	*st;
	char		 sql[256];
	json_t		*v = json_null();

	snprintf(sql, sizeof(sql), "SELECT %s - received_at AS s FROM tips"
	    " WHERE priority = ?1 AND %s IS NOT NULL ORDER BY s LIMIT 1"
	    " OFFSET (SELECT (count(*) - 1) / 2 FROM tips WHERE"
	    " priority = ?1 AND %s IS NOT NULL)", column, column, column);
	if (tl_desk_prep(d, sql, &st) != TL_OK)
		return v;
	tl_desk_bind(st, 1, priority);
	if (sqlite3_step(st) == SQLITE_ROW) {
		json_decref(v);
		v = json_integer(sqlite3_column_int64(st, 0));
	}
	sqlite3_finalize(st);
	return v;
}

enum tl_err
tl_desk_stats(struct tl_desk_store *d, json_t **out)
{
	static const char *const prio[] = { "urgent", "normal" };
	json_t		*o = json_object(), *a = NULL, *m;
	size_t		 i;
	enum tl_err	 rc = o == NULL ? TL_ENOMEM : TL_OK;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]) && rc == TL_OK;
	    i++)
		if ((rc = group(d, groups[i].sql, NULL, &a)) == TL_OK)
			json_object_set_new(o, groups[i].name, a);
	if (rc == TL_OK && (rc = by_concern(d, &a)) == TL_OK)
		json_object_set_new(o, "by_concern", a);
	if (rc == TL_OK && (m = json_object()) != NULL) {
		for (i = 0; i < 2; i++)
			json_object_set_new(m, prio[i], json_pack("{s:o,s:o}",
			    "to_first_opening", median(d, "first_opened_at",
			    prio[i]), "to_action", median(d, "actioned_at",
			    prio[i])));
		json_object_set_new(o, "median_seconds", m);
	}
	if (rc != TL_OK) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return TL_OK;
}

/* One count of the metrics: its line and SQL. */
static const struct {
	const char	*line;
	const char	*sql;
} counts[] = {
	{ "tipline_desk_tips{state=\"new\"}",
	    "SELECT count(*) FROM tips WHERE state = 'new'" },
	{ "tipline_desk_tips{state=\"in_review\"}",
	    "SELECT count(*) FROM tips WHERE state = 'in_review'" },
	{ "tipline_desk_tips{state=\"actioned\"}",
	    "SELECT count(*) FROM tips WHERE state = 'actioned'" },
	{ "tipline_desk_tips{state=\"closed\"}",
	    "SELECT count(*) FROM tips WHERE state = 'closed'" },
	/* As tl_desk_flagged(): a message that did not open (a forged end
	 * among them) flags its tip. */
	{ "tipline_desk_flagged",
	    "SELECT count(*) FROM tips WHERE changed = 1 OR fault IS NOT NULL"
	    " OR id IN (SELECT tip_id FROM messages WHERE fault IS NOT NULL)" },
	{ "tipline_desk_unopened_urgent",
	    "SELECT count(*) FROM tips WHERE hot = 1 AND first_opened_at IS NULL" },
	{ "tipline_desk_heartbeat_age_seconds",
	    "SELECT max(?1 - value, 0) FROM meta WHERE key = 'heartbeat'" },
	/* SPEC 16: intake rows that could not be read, given up on; and
	 * how long the oldest tip or message not taken in has waited. */
	{ "tipline_desk_ingest_skipped_total",
	    "SELECT value FROM meta WHERE key = 'ingest_skipped'" },
	/* Intake rows found below the cursor (ids changed), and times
	 * the intake store's ids went backwards. */
	{ "tipline_desk_ingest_found_total",
	    "SELECT value FROM meta WHERE key = 'ingest_found'" },
	{ "tipline_desk_ingest_backwards_total",
	    "SELECT value FROM meta WHERE key = 'ingest_backwards'" },
	{ "tipline_desk_ingest_lag_seconds",
	    "SELECT CASE WHEN value = 0 THEN 0 ELSE max(?1 - value, 0) END"
	    " FROM meta WHERE key = 'ingest_pending_since'" },
};

enum tl_err
tl_desk_metrics(struct tl_desk_store *d, int64_t now, struct tl_buf *out)
{
	sqlite3_stmt	*st;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		if (tl_desk_prep(d, counts[i].sql, &st) != TL_OK)
			return TL_ESTORE;
		if (strstr(counts[i].sql, "?1") != NULL)
			sqlite3_bind_int64(st, 1, now);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			tl_buf_printf(out, "%s %lld\n", counts[i].line,
			    (long long)sqlite3_column_int64(st, 0));
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			return tl_desk_fail(d, "metrics");
	}
	return TL_OK;
}
