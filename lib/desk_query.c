/*
 * desk_query.c — reading the desk's store (see desk_store.h): the queue,
 * one tip with everything staff see about it, search, entity pages,
 * statistics and the audit log, each as a jansson value.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "desk_impl.h"
#include "entity.h"
#include "ref.h"
#include "tip.h"

#define SEARCH_MAX	200	/* rows a search or entity page shows */
#define LINKED_MAX	200

/* The columns of a queue row, in row_json()'s order. */
#define ROW_COLS "t.ref, t.received_at, t.priority, t.state, t.assignee," \
	" t.concerns, t.area, t.excerpt, t.grade_source || t.grade_intel ||" \
	" t.grade_handling, t.updated, t.changed, t.fault"

static json_t *
time_json(sqlite3_stmt *st, int i)
{
	char	 s[21];

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	tl_time_rfc3339(sqlite3_column_int64(st, i), s);
	return json_string(s);
}

/* A comma-joined list as a JSON array of its items. */
static json_t *
list_json(const char *s)
{
	json_t		*a = json_array();
	const char	*e;

	while (a != NULL && s != NULL && *s != '\0') {
		e = s + strcspn(s, ",");
		json_array_append_new(a, json_stringn(s, (size_t)(e - s)));
		s = *e == ',' ? e + 1 : e;
	}
	return a;
}

/* One queue row from st (ROW_COLS from column 0). */
static json_t *
row_json(sqlite3_stmt *st)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:o}",
	    "ref", tl_desk_col_json(st, 0),
	    "received_at", time_json(st, 1),
	    "priority", tl_desk_col_json(st, 2),
	    "state", tl_desk_col_json(st, 3),
	    "assignee", tl_desk_col_json(st, 4),
	    "concerns", list_json(tl_desk_col(st, 5)),
	    "area", tl_desk_col_json(st, 6),
	    "excerpt", tl_desk_col_json(st, 7),
	    "grade", tl_desk_col_json(st, 8),
	    "updated", sqlite3_column_int(st, 9),
	    "changed", sqlite3_column_int(st, 10),
	    "fault", tl_desk_col_json(st, 11));
}

/* Steps st to its end, appending each row made by fn to a new array in
 * *out (at most max; *more set if there were more). */
static enum tl_err
rows(struct tl_desk_store *d, sqlite3_stmt *st, json_t *(*fn)(sqlite3_stmt *),
    size_t max, json_t **out, int *more)
{
	json_t	*a = json_array(), *r;
	size_t	 n = 0;
	int	 rc, oom = a == NULL;

	if (more != NULL)
		*more = 0;
	while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == max) {
			if (more != NULL)
				*more = 1;
			rc = SQLITE_DONE;
			break;
		}
		oom = (r = fn(st)) == NULL || json_array_append_new(a, r) != 0;
	}
	sqlite3_finalize(st);
	if (!oom && rc == SQLITE_DONE) {
		*out = a;
		return TL_OK;
	}
	json_decref(a);
	*out = NULL;
	return oom ? TL_ENOMEM : tl_desk_fail(d, "read");
}

/* The queue's filters: the query parameter, its SQL with ?N. */
static const struct {
	size_t		 off;
	const char	*sql;
} filters[] = {
	{ offsetof(struct tl_desk_filter, state), " AND t.state = ?" },
	{ offsetof(struct tl_desk_filter, priority), " AND t.priority = ?" },
	{ offsetof(struct tl_desk_filter, concern),
	    " AND ',' || t.concerns || ',' LIKE '%,' || ? || ',%'" },
	{ offsetof(struct tl_desk_filter, area), " AND t.area = upper(?)" },
	{ offsetof(struct tl_desk_filter, assignee), " AND t.assignee = ?" },
	{ offsetof(struct tl_desk_filter, grade), " AND t.grade_source ||"
	    " t.grade_intel || t.grade_handling LIKE ? || '%'" },
};
#define NFILTERS	(sizeof(filters) / sizeof(filters[0]))

static const char *
filter_of(const struct tl_desk_filter *f, size_t i)
{
	const char	*v = *(const char *const *)(const void *)
			    ((const char *)f + filters[i].off);

	return v != NULL && *v != '\0' ? v : NULL;
}

enum tl_err
tl_desk_queue(struct tl_desk_store *d, const struct tl_desk_filter *f,
    json_t **out, int *more)
{
	struct tl_buf	 sql = TL_BUF_INIT;
	sqlite3_stmt	*st;
	size_t		 i;
	int		 k = 0;
	enum tl_err	 rc;

	/* Only the filters given, so that the planner sees them (and their
	 * indexes); values are bound, never written into the SQL. */
	tl_buf_puts(&sql, "SELECT " ROW_COLS " FROM tips t WHERE 1");
	for (i = 0; i < NFILTERS; i++)
		if (filter_of(f, i) != NULL)
			tl_buf_puts(&sql, filters[i].sql);
	/* queue_at: received_at, or a sender's newest message while it is
	 * new information (SPEC 13). */
	tl_buf_puts(&sql, " ORDER BY t.hot DESC, t.queue_at DESC,"
	    " t.id DESC LIMIT ? OFFSET ?");
	if (!tl_buf_ok(&sql)) {
		tl_buf_free(&sql);
		return TL_ENOMEM;
	}
	rc = tl_desk_prep(d, sql.data, &st);
	tl_buf_free(&sql);
	if (rc != TL_OK)
		return rc;
	for (i = 0; i < NFILTERS; i++)
		if (filter_of(f, i) != NULL)
			tl_desk_bind(st, ++k, filter_of(f, i));
	sqlite3_bind_int64(st, ++k, TL_DESK_PAGE + 1);
	sqlite3_bind_int64(st, ++k, (int64_t)(f->page * TL_DESK_PAGE));
	return rows(d, st, row_json, TL_DESK_PAGE, out, more);
}

/* --- one tip ---------------------------------------------------------- */

static json_t *
note_json(sqlite3_stmt *st)
{
	return json_pack("{s:o,s:o,s:o}", "at", time_json(st, 0),
	    "author", tl_desk_col_json(st, 1), "text", tl_desk_col_json(st, 2));
}

static json_t *
history_json(sqlite3_stmt *st)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o}", "at", time_json(st, 0),
	    "author", tl_desk_col_json(st, 1), "from", tl_desk_col_json(st, 2),
	    "to", tl_desk_col_json(st, 3), "note", tl_desk_col_json(st, 4));
}

static json_t *
linked_json(sqlite3_stmt *st)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}",
	    "ref", tl_desk_col_json(st, 0), "kind", tl_desk_col_json(st, 1),
	    "value", tl_desk_col_json(st, 2),
	    "received_at", time_json(st, 3),
	    "priority", tl_desk_col_json(st, 4),
	    "state", tl_desk_col_json(st, 5));
}

static json_t *
entity_json(sqlite3_stmt *st)
{
	return json_pack("{s:o,s:o}", "kind", tl_desk_col_json(st, 0),
	    "value", tl_desk_col_json(st, 1));
}

/* A message: from, at, and its text, or "fault": true and no text; by:
 * the staff member who asked, when this desk knows. */
static json_t *
message_json(sqlite3_stmt *st)
{
	json_t	*o = json_pack("{s:s,s:o}", "from", sqlite3_column_int(st, 0) ==
	    1 ? "staff" : "sender", "at", time_json(st, 1));

	if (o == NULL)
		return NULL;
	if (sqlite3_column_type(st, 2) != SQLITE_NULL &&
	    sqlite3_column_type(st, 3) == SQLITE_NULL) {
		if (json_object_set_new(o, "text", tl_desk_col_json(st, 2)))
			goto oom;
	} else if (json_object_set_new(o, "fault", json_true()))
		goto oom;
	if (sqlite3_column_type(st, 4) != SQLITE_NULL &&
	    json_object_set_new(o, "by", tl_desk_col_json(st, 4)))
		goto oom;
	return o;
oom:
	json_decref(o);
	return NULL;
}

static json_t *
viewer_json(sqlite3_stmt *st)
{
	return json_pack("{s:o,s:o,s:I}", "who", tl_desk_col_json(st, 0),
	    "at", time_json(st, 1), "count", sqlite3_column_int64(st, 2));
}

/* The parts of a tip read by one query each, with the tip's id as ?1 and
 * its ref as ?2. */
static const struct {
	const char	*key;
	const char	*sql;
	json_t		*(*fn)(sqlite3_stmt *);
} parts[] = {
	{ "notes", "SELECT at, author, text FROM notes WHERE tip_id = ?1"
	    " AND ?2 IS NOT NULL ORDER BY id", note_json },
	{ "history", "SELECT at, author, from_state, to_state, note"
	    " FROM history WHERE tip_id = ?1 AND ?2 IS NOT NULL ORDER BY id",
	    history_json },
	{ "entities", "SELECT e.kind, e.value FROM tip_entities te"
	    " JOIN entities e ON e.id = te.entity_id WHERE te.tip_id = ?1"
	    " AND ?2 IS NOT NULL ORDER BY e.kind, e.value", entity_json },
	/* Partial numbers never link (SPEC 12). */
	{ "linked", "SELECT t.ref, e.kind, e.value, t.received_at,"
	    " t.priority, t.state FROM tip_entities a"
	    " JOIN entities e ON e.id = a.entity_id AND e.kind <> 'partial'"
	    " JOIN tip_entities b ON b.entity_id = a.entity_id"
	    "  AND b.tip_id <> a.tip_id"
	    " JOIN tips t ON t.id = b.tip_id WHERE a.tip_id = ?1"
	    " AND ?2 IS NOT NULL ORDER BY t.received_at DESC, e.kind LIMIT 200",
	    linked_json },
	/* Oldest first; an end row is the tip's follow_up, not a message. */
	{ "messages", "SELECT author, at, text, fault, staff FROM messages"
	    " WHERE tip_id = ?1 AND kind = 'text' AND ?2 IS NOT NULL"
	    " ORDER BY intake_id", message_json },
	{ "viewers", "SELECT who, max(at), count(*) FROM audit WHERE ref = ?2"
	    " AND action IN ('view', 'view_json') AND ?1 IS NOT NULL"
	    " GROUP BY who ORDER BY max(at) DESC", viewer_json },
};

/* Adds each of parts[] to o for tip id and ref. */
static enum tl_err
tip_parts(struct tl_desk_store *d, int64_t id, const char *ref, json_t *o)
{
	sqlite3_stmt	*st;
	json_t		*a;
	size_t		 i;
	enum tl_err	 rc;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (tl_desk_prep(d, parts[i].sql, &st) != TL_OK)
			return TL_ESTORE;
		sqlite3_bind_int64(st, 1, id);
		tl_desk_bind(st, 2, ref);
		if ((rc = rows(d, st, parts[i].fn, LINKED_MAX, &a, NULL)) !=
		    TL_OK)
			return rc;
		if (json_object_set_new(o, parts[i].key, a) != 0)
			return TL_ENOMEM;
	}
	return TL_OK;
}

/* The fields of a tip (export's keys) from its JSON text into o: every
 * field of the table, null when absent; concerns and phones as arrays. */
static enum tl_err
tip_fields(const char *text, json_t *o)
{
	json_t		*f = NULL, *v;
	const char	*s;
	size_t		 i;
	int		 bad = 0;

	if (text != NULL && (f = json_loads(text, 0, NULL)) == NULL)
		return TL_ENOMEM;
	for (i = 0; i < TL_F__MAX && !bad; i++) {
		v = f != NULL ? json_object_get(f, tl_fields[i].name) : NULL;
		s = json_string_value(v);
		if (i == TL_F_CONCERNS || i == TL_F_PHONES)
			v = s != NULL ? list_json(s) : json_array();
		else
			v = s != NULL ? json_string(s) : json_null();
		bad = json_object_set_new(o, tl_fields[i].name, v) != 0;
	}
	json_decref(f);
	return bad ? TL_ENOMEM : TL_OK;
}

enum tl_err
tl_desk_tip(struct tl_desk_store *d, const char *ref, json_t **out)
{
	sqlite3_stmt	*st;
	json_t		*o = NULL;
	int64_t		 id = 0;
	int		 rc;
	enum tl_err	 err = TL_ENOMEM;

	*out = NULL;
	if (tl_desk_prep(d, "SELECT id, ref, received_at, priority, state,"
	    " assignee, grade_source, grade_intel, grade_handling, fields,"
	    " fault, changed, updated, first_opened_at, actioned_at, area,"
	    " CASE WHEN ended_at IS NOT NULL THEN 'ended'"
	    "  WHEN sender_pk IS NOT NULL THEN 'open' ELSE 'none' END,"
	    " ended_at FROM tips WHERE ref = ?", &st) != TL_OK)
		return TL_ESTORE;
	tl_desk_bind(st, 1, ref);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? TL_ENOTFOUND : tl_desk_fail(d, ref);
	}
	id = sqlite3_column_int64(st, 0);
	o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:o,s:o,s:o}",
	    "ref", tl_desk_col_json(st, 1), "received_at", time_json(st, 2),
	    "priority", tl_desk_col_json(st, 3),
	    "state", tl_desk_col_json(st, 4),
	    "assignee", tl_desk_col_json(st, 5),
	    "grade", sqlite3_column_type(st, 6) == SQLITE_NULL ? json_null() :
	    json_pack("{s:o,s:o,s:o}", "source", tl_desk_col_json(st, 6),
	    "intelligence", tl_desk_col_json(st, 7),
	    "handling", tl_desk_col_json(st, 8)),
	    "changed", sqlite3_column_int(st, 11),
	    "updated", sqlite3_column_int(st, 12),
	    "fault", tl_desk_col_json(st, 10),
	    "first_opened_at", time_json(st, 13),
	    "actioned_at", time_json(st, 14));
	/* follow_up: "open" (staff can ask), "none" (no follow-up code, or
	 * its key not proven) or "ended" (by the sender, at ended_at). */
	if (o != NULL && (json_object_set_new(o, "area",
	    tl_desk_col_json(st, 15)) != 0 || json_object_set_new(o,
	    "follow_up", tl_desk_col_json(st, 16)) != 0 ||
	    json_object_set_new(o, "follow_up_ended_at", time_json(st, 17)) !=
	    0)) {
		json_decref(o);
		o = NULL;
	}
	if (o != NULL && (err = tip_fields(sqlite3_column_type(st, 9) ==
	    SQLITE_NULL ? NULL : tl_desk_col(st, 9), o)) == TL_OK)
		err = tip_parts(d, id, ref, o);
	sqlite3_finalize(st);
	if (err != TL_OK) {
		json_decref(o);
		return err;
	}
	*out = o;
	return TL_OK;
}

/* --- search and entities ---------------------------------------------- */

/* q as an FTS5 query: each word quoted (so no word is an operator),
 * joined by spaces (AND). "" when q has no word. */
static void
fts_query(const char *q, struct tl_buf *b)
{
	const char	*e;

	tl_buf_puts(b, "");
	while (*q != '\0') {
		while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
			q++;
		if (*q == '\0')
			break;
		e = q + strcspn(q, " \t\r\n");
		tl_buf_putc(b, '"');
		for (; q < e; q++)
			if (*q == '"')
				tl_buf_puts(b, "\"\"");
			else
				tl_buf_putc(b, *q);
		tl_buf_puts(b, "\" ");
	}
}

enum tl_err
tl_desk_search(struct tl_desk_store *d, const char *q, json_t **out)
{
	struct tl_buf	 fq = TL_BUF_INIT;
	sqlite3_stmt	*st;
	char		 v[TL_ENTITY_MAX];
	int		 kind = tl_entity_guess(q, v);
	enum tl_err	 rc;

	fts_query(q, &fq);
	if (!tl_buf_ok(&fq)) {
		tl_buf_free(&fq);
		return TL_ENOMEM;
	}
	if (tl_desk_prep(d, "SELECT " ROW_COLS " FROM tips t WHERE"
	    " (?1 <> '' AND t.id IN (SELECT rowid FROM fts WHERE fts MATCH ?1"
	    "  ORDER BY rowid DESC LIMIT ?4))"
	    " OR (?1 <> '' AND t.id IN (SELECT m.tip_id FROM messages m"
	    "  WHERE m.id IN (SELECT rowid FROM msg_fts WHERE msg_fts MATCH ?1"
	    "  ORDER BY rowid DESC LIMIT ?4)))"
	    " OR t.id IN (SELECT te.tip_id FROM entities e JOIN tip_entities te"
	    "  ON te.entity_id = e.id WHERE e.kind = ?2 AND e.value = ?3"
	    "  ORDER BY te.tip_id DESC LIMIT ?4)"
	    " ORDER BY t.received_at DESC, t.id DESC LIMIT ?4", &st) != TL_OK) {
		tl_buf_free(&fq);
		return TL_ESTORE;
	}
	tl_desk_bind(st, 1, fq.data);
	tl_desk_bind(st, 2, kind >= 0 ? tl_entity_kind_name(kind) : NULL);
	tl_desk_bind(st, 3, kind >= 0 ? v : NULL);
	sqlite3_bind_int(st, 4, SEARCH_MAX);
	rc = rows(d, st, row_json, SEARCH_MAX, out, NULL);
	tl_buf_free(&fq);
	return rc;
}

enum tl_err
tl_desk_entity_tips(struct tl_desk_store *d, int kind, const char *value,
    json_t **out)
{
	sqlite3_stmt	*st;

	/* The newest taken in (ids follow ingest), then by receipt. */
	if (tl_desk_prep(d, "SELECT " ROW_COLS " FROM tips t WHERE t.id IN"
	    " (SELECT te.tip_id FROM entities e JOIN tip_entities te"
	    "  ON te.entity_id = e.id WHERE e.kind = ?1 AND e.value = ?2"
	    "  ORDER BY te.tip_id DESC LIMIT ?3)"
	    " ORDER BY t.received_at DESC, t.id DESC", &st) != TL_OK)
		return TL_ESTORE;
	tl_desk_bind(st, 1, tl_entity_kind_name(kind));
	tl_desk_bind(st, 2, value);
	sqlite3_bind_int(st, 3, SEARCH_MAX);
	return rows(d, st, row_json, SEARCH_MAX, out, NULL);
}

/* --- the audit log ---------------------------------------------------- */

static json_t *
audit_json(sqlite3_stmt *st)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o}", "at", time_json(st, 0),
	    "who", tl_desk_col_json(st, 1), "action", tl_desk_col_json(st, 2),
	    "ref", tl_desk_col_json(st, 3), "detail", tl_desk_col_json(st, 4));
}

enum tl_err
tl_desk_audit_list(struct tl_desk_store *d, const char *ref,
    const char *who, int64_t since, json_t **out)
{
	sqlite3_stmt	*st;

	if (tl_desk_prep(d, "SELECT at, who, action, ref, detail FROM audit"
	    " WHERE (?1 IS NULL OR ref = ?1) AND (?2 IS NULL OR who = ?2)"
	    " AND at >= ?3 ORDER BY id", &st) != TL_OK)
		return TL_ESTORE;
	tl_desk_bind(st, 1, ref);
	tl_desk_bind(st, 2, who);
	sqlite3_bind_int64(st, 3, since);
	return rows(d, st, audit_json, SIZE_MAX - 1, out, NULL);
}
