/*
 * query.c — tiplinectl's reads and changes of the SQLite store (SPEC 7).
 * See query.h.
 *
 * Every command streams its rows with sqlite3_step and never holds the
 * whole store in memory. Text for people goes through clean() or
 * put_block(), which replace control characters (C0, DEL, C1) so that a
 * tip cannot drive the admin's terminal; JSON goes through jansson.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "query.h"
#include "store_impl.h"

#define JSON_LINE	(JSON_COMPACT | JSON_PRESERVE_ORDER)
#define JSON_PRETTY	(JSON_INDENT(2) | JSON_PRESERVE_ORDER)

static const char list_sql[] =
    "SELECT " TL_TIP_COLUMNS ", deliveries.state FROM tips"
    " LEFT JOIN deliveries ON deliveries.tip_id = tips.id"
    " WHERE tips.received_at >= ?1 AND (?2 IS NULL OR tips.priority = ?2)"
    " ORDER BY tips.received_at DESC, tips.id DESC LIMIT ?3";

static const char show_sql[] =
    "SELECT " TL_TIP_COLUMNS ", deliveries.state, deliveries.attempts"
    " FROM tips LEFT JOIN deliveries ON deliveries.tip_id = tips.id"
    " WHERE tips.ref = ?1";

static const char export_sql[] =
    "SELECT " TL_TIP_COLUMNS " FROM tips WHERE tips.received_at >= ?1"
    " ORDER BY tips.received_at, tips.id";

static const char purge_count_sql[] =
    "SELECT count(*) FROM tips WHERE received_at <= ?1";

static const char purge_sql[] =
    "DELETE FROM tips WHERE received_at <= ?1";

static const char deliveries_sql[] =
    "SELECT tips.ref, d.state, d.attempts, d.next_at, d.last_status,"
    " d.last_error FROM deliveries d JOIN tips ON tips.id = d.tip_id"
    " WHERE ?1 IS NULL OR d.state = ?1"
    " ORDER BY tips.received_at DESC, d.id DESC";

static const char redeliver_sql[] =
    "UPDATE deliveries SET state = 'pending', next_at = ?1, attempts = 0,"
    " lease_until = NULL, lease_owner = NULL, last_status = NULL,"
    " last_error = NULL, delivered_at = NULL"
    " WHERE CASE WHEN ?2 IS NULL THEN state = 'dead'"
    " ELSE tip_id = (SELECT id FROM tips WHERE ref = ?2) END";

static const char *const state_names[TL_OUT__MAX] = {
	[TL_OUT_PENDING] = "pending",
	[TL_OUT_DELIVERED] = "delivered",
	[TL_OUT_DEAD] = "dead",
};

/* ------------------------------------------------------- escaping --- */

/*
 * The length of the character at p to replace with '?' in text for a
 * terminal (C0 but TAB and LF, DEL, C1 as UTF-8), or 0 to keep it.
 */
static size_t
control_at(const unsigned char *p)
{
	if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

/* Copies src to dst (size bytes) on one line: controls, TAB and LF
 * become '?' or ' '; cut short if need be. NULL becomes "-". */
static void
clean(char *dst, size_t size, const char *src)
{
	const unsigned char	*p = (const unsigned char *)src;
	size_t			 i = 0, n;

	for (; p != NULL && *p != '\0' && i + 1 < size; p += n) {
		n = control_at(p);
		if (n > 0 || *p == '\t' || *p == '\n')
			dst[i++] = n > 0 ? '?' : ' ';
		else
			dst[i++] = (char)*p;
		n = n > 0 ? n : 1;
	}
	if (p == NULL && size > 1)
		dst[i++] = '-';
	dst[i] = '\0';
}

/* Writes text to out, each line after "  ", controls as '?'. */
static void
put_block(FILE *out, const char *text)
{
	const unsigned char	*p = (const unsigned char *)text;
	size_t			 n;

	fputs("  ", out);
	for (; *p != '\0'; p += n) {
		if ((n = control_at(p)) > 0)
			fputc('?', out);
		else if (*p == '\n')
			fputs("\n  ", out);
		else
			fputc(*p, out);
		n = n > 0 ? n : 1;
	}
	fputc('\n', out);
}

/* ----------------------------------------------------------- tips --- */

/* Prepares sql on a usable handle: TL_OK or TL_ESTORE (in s->err). */
static enum tl_err
prep(struct tl_store *s, const char *sql, sqlite3_stmt **st)
{
	*st = NULL;
	if (tl_store_ensure(s) != TL_OK)
		return TL_ESTORE;
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) == SQLITE_OK)
		return TL_OK;
	tl_store_fail(s, sql);
	return TL_ESTORE;
}

/* The result of a finished step loop: TL_OK for SQLITE_DONE. */
static enum tl_err
stepped(struct tl_store *s, int rc, const char *what)
{
	if (rc == SQLITE_DONE)
		return TL_OK;
	tl_store_fail(s, what);
	return TL_ESTORE;
}

/* Field f of r as export writes it (NULL out of memory). */
static json_t *
field_json(const struct tl_report *r, enum tl_field f)
{
	json_t	*a;
	size_t	 i;

	if (tl_fields[f].kind == TL_K_MULTI)
		return tl_concerns_json(r);
	if (r->value[f] == NULL)
		return json_null();
	if (tl_fields[f].kind != TL_K_PHONES)
		return json_string(r->value[f]);
	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < r->nphones; i++)
		if (json_array_append_new(a, json_string(r->phones[i])) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* A tip as one export object, keys in a stable order (NULL: no memory,
 * or text that is not UTF-8). */
static json_t *
tip_json(const struct tl_tip *t)
{
	json_t	*o;
	char	 at[21];
	int	 f;

	if ((o = json_object()) == NULL)
		return NULL;
	tl_time_rfc3339(t->received_at, at);
	if (json_object_set_new(o, "ref", json_string(t->ref)) == -1 ||
	    json_object_set_new(o, "received_at", json_string(at)) == -1 ||
	    json_object_set_new(o, "priority",
	    json_string(tl_priority_name(t->report.priority))) == -1)
		goto fail;
	for (f = 0; f < TL_F__MAX; f++)
		if (json_object_set_new(o, tl_fields[f].name,
		    field_json(&t->report, (enum tl_field)f)) == -1)
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* The concerns of r as names joined with "," into out. */
static void
concern_names(const struct tl_report *r, char *out, size_t size)
{
	const struct tl_choice	*c = tl_fields[TL_F_CONCERNS].choices;
	size_t			 i, n = 0;

	out[0] = '\0';
	for (i = 0; c[i].value != NULL && n < size; i++)
		if (r->concerns & (1u << i))
			n += (size_t)snprintf(out + n, size - n, "%s%s",
			    n > 0 ? "," : "", c[i].value);
}

/* The outward code of the tip's postcode, or NULL. */
static const char *
area(const struct tl_report *r, char out[16])
{
	if (r->value[TL_F_POSTCODE] == NULL)
		return NULL;
	tl_postcode_area(r->value[TL_F_POSTCODE], out, 16);
	return out[0] != '\0' ? out : NULL;
}

/* ----------------------------------------------------------- list --- */

/* One tip of `list` as a line, under the heading list_text() writes. */
static void
list_line(const struct tl_tip *t, const char *delivery, FILE *out)
{
	char	 at[21], names[96], code[16], a[16], d[16];

	tl_time_rfc3339(t->received_at, at);
	concern_names(&t->report, names, sizeof(names));
	clean(a, sizeof(a), area(&t->report, code));
	clean(d, sizeof(d), delivery);
	fprintf(out, "%-12s  %-20s  %-6s  %-40s  %-8s  %s\n", t->ref, at,
	    t->report.priority == TL_PRIO_URGENT ? "URGENT" : "normal",
	    names, a, d);
}

/* One tip of `list --json` as an object. */
static json_t *
list_json(const struct tl_tip *t, const char *delivery)
{
	char	 at[21], code[16];
	const char *a;

	tl_time_rfc3339(t->received_at, at);
	a = area(&t->report, code);
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}",
	    "ref", t->ref, "received_at", at,
	    "priority", tl_priority_name(t->report.priority),
	    "concerns", tl_concerns_json(&t->report),
	    "area", a != NULL ? json_string(a) : json_null(),
	    "delivery", delivery != NULL ? json_string(delivery) : json_null());
}

/* Writes the tip on the current row of st as `list` does: TL_OK,
 * TL_ENOMEM. n counts the tips written before it. */
static enum tl_err
list_row(sqlite3_stmt *st, int json, size_t n, FILE *out)
{
	struct tl_tip	 tip;
	const char	*delivery;
	json_t		*o = NULL;
	enum tl_err	 err;

	if ((err = tl_store_read_tip(st, 0, &tip)) != TL_OK)
		return err;
	delivery = (const char *)sqlite3_column_text(st, TL_TIP_NCOLUMNS);
	if (!json)
		list_line(&tip, delivery, out);
	else if ((o = list_json(&tip, delivery)) == NULL)
		err = TL_ENOMEM;
	else {
		fputs(n > 0 ? ",\n  " : "  ", out);
		if (json_dumpf(o, out, JSON_LINE) == -1)
			err = TL_EIO;
	}
	json_decref(o);
	tl_report_free(&tip.report);
	return err;
}

enum tl_err
tl_query_list(struct tl_store *s, const struct tl_list_opts *o, FILE *out)
{
	sqlite3_stmt	*st;
	enum tl_err	 err;
	size_t		 n = 0;
	int		 rc;

	if ((err = prep(s, list_sql, &st)) != TL_OK)
		return err;
	sqlite3_bind_int64(st, 1, o->since);
	if (o->priority >= 0)
		sqlite3_bind_text(st, 2, tl_priority_name(o->priority), -1,
		    SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, o->limit > 0 ? o->limit : -1);
	fputs(o->json ? "[\n" : "REF           RECEIVED (UTC)        "
	    "PRIO    CONCERNS                                  AREA      "
	    "DELIVERY\n", out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = list_row(st, o->json, n++, out)) != TL_OK)
			goto out;
	err = stepped(s, rc, "list");
	if (o->json)
		fputs(n > 0 ? "\n]\n" : "]\n", out);
out:
	sqlite3_finalize(st);
	return err;
}

/* ----------------------------------------------------------- show --- */

/* The label of field f without " (optional)". */
static void
show_label(enum tl_field f, FILE *out)
{
	const char	*l = tl_fields[f].label;
	size_t		 n = strlen(l);
	static const char opt[] = " (optional)";

	if (n >= sizeof(opt) - 1 && strcmp(l + n - (sizeof(opt) - 1), opt)
	    == 0)
		n -= sizeof(opt) - 1;
	fprintf(out, "%.*s\n", (int)n, l);
}

/* The label of choice v of field f, or v itself. */
static const char *
choice_label(enum tl_field f, const char *v)
{
	const struct tl_choice	*c = tl_fields[f].choices;

	for (; c != NULL && c->value != NULL; c++)
		if (strcmp(c->value, v) == 0)
			return c->label;
	return v;
}

/* Field f of r, readable, under its label. */
static void
show_field(const struct tl_report *r, enum tl_field f, FILE *out)
{
	const struct tl_choice	*c = tl_fields[f].choices;
	size_t			 i;

	show_label(f, out);
	if (tl_fields[f].kind == TL_K_MULTI) {
		for (i = 0; c[i].value != NULL; i++)
			if (r->concerns & (1u << i))
				put_block(out, c[i].label);
	} else if (r->value[f] == NULL)
		put_block(out, "(not answered)");
	else if (tl_fields[f].kind == TL_K_PHONES)
		for (i = 0; i < r->nphones; i++)
			put_block(out, r->phones[i]);
	else if (tl_fields[f].kind == TL_K_CHOICE)
		put_block(out, choice_label(f, r->value[f]));
	else
		put_block(out, r->value[f]);
}

/* The tip on the current row of st as text. */
static void
show_text(sqlite3_stmt *st, const struct tl_tip *t, FILE *out)
{
	char	 at[21], d[16];
	int	 f, tries;

	tl_time_rfc3339(t->received_at, at);
	clean(d, sizeof(d), (const char *)sqlite3_column_text(st,
	    TL_TIP_NCOLUMNS));
	tries = sqlite3_column_int(st, TL_TIP_NCOLUMNS + 1);
	fprintf(out, "Reference   %s\nReceived    %s\nPriority    %s\n"
	    "Delivery    %s, %d attempt%s\n\n", t->ref, at,
	    t->report.priority == TL_PRIO_URGENT ? "URGENT" : "normal",
	    d, tries, tries == 1 ? "" : "s");
	for (f = 0; f < TL_F__MAX; f++)
		show_field(&t->report, (enum tl_field)f, out);
}

enum tl_err
tl_query_show(struct tl_store *s, const char *ref, int json, FILE *out)
{
	sqlite3_stmt	*st;
	struct tl_tip	 tip;
	json_t		*o;
	enum tl_err	 err;
	int		 rc;

	if ((err = prep(s, show_sql, &st)) != TL_OK)
		return err;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		err = rc == SQLITE_DONE ? TL_ENOTFOUND : stepped(s, rc, "show");
		goto out;
	}
	if ((err = tl_store_read_tip(st, 0, &tip)) != TL_OK)
		goto out;
	if (!json)
		show_text(st, &tip, out);
	else if ((o = tip_json(&tip)) == NULL)
		err = TL_ENOMEM;
	else {
		if (json_dumpf(o, out, JSON_PRETTY) == -1 || fputc('\n', out)
		    == EOF)
			err = TL_EIO;
		json_decref(o);
	}
	tl_report_free(&tip.report);
out:
	sqlite3_finalize(st);
	return err;
}

/* --------------------------------------------------------- export --- */

/* Writes the tip on the current row of st as one JSON line. */
static enum tl_err
export_row(sqlite3_stmt *st, FILE *out)
{
	struct tl_tip	 tip;
	json_t		*o;
	enum tl_err	 err;

	if ((err = tl_store_read_tip(st, 0, &tip)) != TL_OK)
		return err;
	if ((o = tip_json(&tip)) == NULL)
		err = TL_ENOMEM;
	else if (json_dumpf(o, out, JSON_LINE) == -1 ||
	    fputc('\n', out) == EOF)
		err = TL_EIO;
	json_decref(o);
	tl_report_free(&tip.report);
	return err;
}

enum tl_err
tl_query_export(struct tl_store *s, int64_t since, FILE *out)
{
	sqlite3_stmt	*st;
	enum tl_err	 err;
	int		 rc;

	if ((err = prep(s, export_sql, &st)) != TL_OK)
		return err;
	sqlite3_bind_int64(st, 1, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = export_row(st, out)) != TL_OK)
			goto out;
	err = stepped(s, rc, "export");
out:
	sqlite3_finalize(st);
	return err;
}

/* ---------------------------------------------------------- purge --- */

/* Steps st (?1 = cutoff); *n is its count(*) row or its changes. */
static enum tl_err
purge_step(struct tl_store *s, sqlite3_stmt *st, int64_t cutoff,
    int64_t *n)
{
	int	 rc;

	sqlite3_bind_int64(st, 1, cutoff);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	} else if (rc == SQLITE_DONE)
		*n = sqlite3_changes64(s->db);
	return stepped(s, rc, "purge");
}

/* Copies every WAL frame into the file and empties the WAL: TL_OK, or
 * TL_ESTORE when a reader kept it from finishing. */
static enum tl_err
checkpoint(struct tl_store *s)
{
	int	 rc, log = -1, done = -1;

	rc = sqlite3_wal_checkpoint_v2(s->db, "main",
	    SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
	if (rc == SQLITE_OK && log == done)
		return TL_OK;
	if ((rc & 0xff) == SQLITE_BUSY || rc == SQLITE_OK)
		snprintf(s->err, sizeof(s->err), "the WAL is in use by "
		    "another connection, so purged pages may remain in it: "
		    "run purge again later");
	else
		tl_store_fail(s, "wal_checkpoint(TRUNCATE)");
	return TL_ESTORE;
}

enum tl_err
tl_query_purge(struct tl_store *s, int64_t cutoff, int dry_run,
    int64_t *n)
{
	sqlite3_stmt	*st;
	enum tl_err	 err;

	*n = 0;
	if ((err = prep(s, dry_run ? purge_count_sql : purge_sql, &st))
	    != TL_OK)
		return err;
	if (dry_run) {
		err = purge_step(s, st, cutoff, n);
		goto out;
	}
	err = TL_ESTORE;
	if (sqlite3_exec(s->db, "PRAGMA secure_delete = ON; BEGIN IMMEDIATE",
	    NULL, NULL, NULL) != SQLITE_OK)
		tl_store_fail(s, "purge: begin");
	else if ((err = purge_step(s, st, cutoff, n)) == TL_OK &&
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		tl_store_fail(s, "purge: commit");
		err = TL_ESTORE;
	}
out:
	sqlite3_finalize(st);
	if (!dry_run && err != TL_OK) {
		*n = 0;
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return err == TL_OK && !dry_run ? checkpoint(s) : err;
}

/* ----------------------------------------------------- deliveries --- */

/* The delivery on the current row of st as one line. */
static void
delivery_line(sqlite3_stmt *st, FILE *out)
{
	char	 ref[TL_REF_SIZE], state[16], next[21], status[16], err[256];

	clean(ref, sizeof(ref), (const char *)sqlite3_column_text(st, 0));
	clean(state, sizeof(state), (const char *)sqlite3_column_text(st, 1));
	if (strcmp(state, "pending") == 0)
		tl_time_rfc3339(sqlite3_column_int64(st, 3), next);
	else
		snprintf(next, sizeof(next), "-");
	if (sqlite3_column_type(st, 4) == SQLITE_NULL)
		snprintf(status, sizeof(status), "-");
	else
		snprintf(status, sizeof(status), "%lld",
		    (long long)sqlite3_column_int64(st, 4));
	clean(err, sizeof(err), (const char *)sqlite3_column_text(st, 5));
	fprintf(out, "%-12s  %-9s  %8d  %-20s  %-6s  %s\n", ref, state,
	    sqlite3_column_int(st, 2), next, status, err);
}

enum tl_err
tl_query_deliveries(struct tl_store *s, int state, FILE *out)
{
	sqlite3_stmt	*st;
	enum tl_err	 err;
	int		 rc;

	if ((err = prep(s, deliveries_sql, &st)) != TL_OK)
		return err;
	if (state >= 0 && state < TL_OUT__MAX)
		sqlite3_bind_text(st, 1, state_names[state], -1,
		    SQLITE_STATIC);
	fputs("REF           STATE      ATTEMPTS  NEXT ATTEMPT (UTC)    "
	    "STATUS  LAST ERROR\n", out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		delivery_line(st, out);
	err = stepped(s, rc, "deliveries");
	sqlite3_finalize(st);
	return err;
}

enum tl_err
tl_query_redeliver(struct tl_store *s, const char *ref, int64_t now,
    int64_t *n)
{
	sqlite3_stmt	*st;
	enum tl_err	 err;

	*n = 0;
	if ((err = prep(s, redeliver_sql, &st)) != TL_OK)
		return err;
	sqlite3_bind_int64(st, 1, now);
	if (ref != NULL)
		sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
	if ((err = stepped(s, sqlite3_step(st), "redeliver")) == TL_OK) {
		*n = sqlite3_changes64(s->db);
		if (ref != NULL && *n == 0)
			err = TL_ENOTFOUND;
	}
	sqlite3_finalize(st);
	return err;
}

/* ---------------------------------------------------------- stats --- */

/* Runs sql, whose rows are (text key, count), into obj. */
static enum tl_err
count_rows(struct tl_store *s, const char *sql, json_t *obj)
{
	sqlite3_stmt	*st;
	const char	*k;
	enum tl_err	 err;
	int		 rc;

	if ((err = prep(s, sql, &st)) != TL_OK)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(st, 0);
		if (k != NULL && json_object_set_new(obj, k,
		    json_integer(sqlite3_column_int64(st, 1))) == -1) {
			sqlite3_finalize(st);
			return TL_ENOMEM;
		}
	}
	err = stepped(s, rc, sql);
	sqlite3_finalize(st);
	return err;
}

/* Runs sql (?1 = arg unless NULL), whose one row is a count, into *n. */
static enum tl_err
count_one(struct tl_store *s, const char *sql, const char *arg, int64_t *n)
{
	sqlite3_stmt	*st;
	enum tl_err	 err;
	int		 rc;

	if ((err = prep(s, sql, &st)) != TL_OK)
		return err;
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	err = stepped(s, rc, sql);
	sqlite3_finalize(st);
	return err;
}

/* Fills the parts of the stats object o. */
static enum tl_err
stats_fill(struct tl_store *s, json_t *o)
{
	const struct tl_choice	*c = tl_fields[TL_F_CONCERNS].choices;
	json_t			*conc = json_object_get(o, "by_concern");
	enum tl_err		 err;
	int64_t			 n = 0;

	if ((err = count_one(s, "SELECT count(*) FROM tips", NULL, &n))
	    != TL_OK)
		return err;
	if (json_object_set_new(o, "total", json_integer(n)) == -1)
		return TL_ENOMEM;
	if ((err = count_rows(s, "SELECT priority, count(*) FROM tips"
	    " GROUP BY priority", json_object_get(o, "by_priority")))
	    != TL_OK)
		return err;
	for (; c->value != NULL; c++) {
		if ((err = count_one(s, "SELECT count(*) FROM tips WHERE"
		    " instr(',' || concerns || ',', ',' || ?1 || ',') > 0",
		    c->value, &n)) != TL_OK)
			return err;
		if (json_object_set_new(conc, c->value, json_integer(n)) == -1)
			return TL_ENOMEM;
	}
	return count_rows(s, "SELECT date(received_at, 'unixepoch') AS day,"
	    " count(*) FROM tips GROUP BY day ORDER BY day",
	    json_object_get(o, "by_day"));
}

/* Writes the pairs of obj as indented lines. */
static void
stats_block(FILE *out, const char *title, json_t *obj)
{
	const char	*k;
	json_t		*v;

	fprintf(out, "%s\n", title);
	json_object_foreach(obj, k, v)
		fprintf(out, "  %-20s %8" JSON_INTEGER_FORMAT "\n", k,
		    json_integer_value(v));
}

enum tl_err
tl_query_stats(struct tl_store *s, int json, FILE *out)
{
	json_t		*o;
	enum tl_err	 err;

	o = json_pack("{s:i, s:{s:i, s:i}, s:{}, s:{}}", "total", 0,
	    "by_priority", "urgent", 0, "normal", 0, "by_concern", "by_day");
	if (o == NULL)
		return TL_ENOMEM;
	if ((err = stats_fill(s, o)) != TL_OK)
		goto out;
	if (json) {
		if (json_dumpf(o, out, JSON_PRETTY) == -1 ||
		    fputc('\n', out) == EOF)
			err = TL_EIO;
		goto out;
	}
	fprintf(out, "tips %" JSON_INTEGER_FORMAT "\n", json_integer_value(
	    json_object_get(o, "total")));
	stats_block(out, "by priority", json_object_get(o, "by_priority"));
	stats_block(out, "by concern", json_object_get(o, "by_concern"));
	stats_block(out, "by day (UTC)", json_object_get(o, "by_day"));
out:
	json_decref(o);
	return err;
}
