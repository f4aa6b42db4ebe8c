/*
 * desk_ingest.c — the intake store read as hostile input and its tips
 * handed to the desk (see desk_ingest.h).
 *
 * Until the sealed store (SPEC 11) lands, the intake store holds Part I's
 * plaintext columns; each row is read and checked here (a reference of
 * the right form, a priority the schema allows, valid UTF-8) and copied
 * into a report. A row that fails a check is still ingested, flagged
 * with why, so that nothing is silently dropped or silently shown. With
 * the sealed store, read_batch() becomes tl_store_tips_after() and
 * tl_tip_unseal(); everything after it stays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "desk_ingest.h"
#include "ref.h"
#include "report.h"
#include "utf8.h"

#define COLS	(4 + TL_F__MAX)	/* id, ref, received_at, priority, fields */

struct tl_desk_intake {
	sqlite3		*db;
	char		 err[256];
};

/* One row as read: what tl_desk_ingest() takes, and what it points to. */
struct row {
	struct tl_desk_in	 in;
	struct tl_report	 r;
	char			 ref[TL_REF_SIZE];
	char			 area[8];
	char			 digest[TL_SEAL_HASH_HEX];
};

static enum tl_err
fail(struct tl_desk_intake *in, const char *what)
{
	snprintf(in->err, sizeof(in->err), "intake store: %.60s: %s", what,
	    in->db != NULL ? sqlite3_errmsg(in->db) : "not open");
	return TL_ESTORE;
}

enum tl_err
tl_desk_intake_open(const char *path, struct tl_desk_intake **out,
    char *err, size_t errlen)
{
	static const char *const pragmas[] = { "PRAGMA trusted_schema = OFF",
	    "PRAGMA cell_size_check = ON", "PRAGMA mmap_size = 0",
	    "PRAGMA query_only = ON" };
	struct tl_desk_intake	*in;
	size_t			 i;

	*out = NULL;
	if ((in = calloc(1, sizeof(*in))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return TL_ENOMEM;
	}
	if (sqlite3_open_v2(path, &in->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_db_config(in->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) !=
	    SQLITE_OK || sqlite3_db_config(in->db,
	    SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) != SQLITE_OK) {
		fail(in, path);
		goto bad;
	}
	sqlite3_busy_timeout(in->db, 5000);
	for (i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++)
		if (sqlite3_exec(in->db, pragmas[i], NULL, NULL, NULL) !=
		    SQLITE_OK) {
			fail(in, pragmas[i]);
			goto bad;
		}
	*out = in;
	return TL_OK;
bad:
	snprintf(err, errlen, "%s", in->err);
	tl_desk_intake_close(in);
	return TL_ESTORE;
}

void
tl_desk_intake_close(struct tl_desk_intake *in)
{
	if (in == NULL)
		return;
	sqlite3_close_v2(in->db);
	free(in);
}

const char *
tl_desk_intake_errmsg(const struct tl_desk_intake *in)
{
	return in->err;
}

enum tl_err
tl_desk_intake_health(struct tl_desk_intake *in)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(in->db, "SELECT count(*) FROM sqlite_schema",
	    -1, &st, NULL) != SQLITE_OK)
		return fail(in, "health");
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? TL_OK : fail(in, "health");
}

/* The SELECT of a batch, built once from the field table. */
static void
batch_sql(struct tl_buf *b)
{
	size_t	 i;

	tl_buf_puts(b, "SELECT id, ref, received_at, priority");
	for (i = 0; i < TL_F__MAX; i++)
		tl_buf_printf(b, ", \"%s\"", tl_fields[i].column);
	tl_buf_puts(b, " FROM tips WHERE id > ? ORDER BY id LIMIT ?");
}

/* The digest of the row's columns as stored (length-prefixed, NULL told
 * apart from ""): the desk sees a later change to the row by it. */
static void
row_digest(sqlite3_stmt *st, char out[TL_SEAL_HASH_HEX])
{
	static const uint8_t	 zero[TL_SEAL_HASHKEYBYTES];
	struct tl_buf		 b = TL_BUF_INIT;
	int			 i, n;

	for (i = 1; i < COLS; i++) {
		n = sqlite3_column_type(st, i) == SQLITE_NULL ? -1 :
		    sqlite3_column_bytes(st, i);
		tl_buf_printf(&b, "%d:", n);
		if (n > 0)
			tl_buf_add(&b, sqlite3_column_blob(st, i), (size_t)n);
	}
	tl_seal_keyed_hash(zero, b.data != NULL ? b.data : "", b.len, out);
	tl_buf_free(&b);
}

/* Copies text column col into *dst: NULL for SQL NULL. 0, or a reason. */
static const char *
take(sqlite3_stmt *st, int col, char **dst)
{
	const char	*s = (const char *)sqlite3_column_text(st, col);
	int		 n = sqlite3_column_bytes(st, col);

	*dst = NULL;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	if (s == NULL)
		return "out of memory";
	if (memchr(s, '\0', (size_t)n) != NULL ||
	    !tl_utf8_valid(s, (size_t)n))
		return "a column is not valid text";
	if ((*dst = strdup(s)) == NULL)
		return "out of memory";
	return NULL;
}

/* The phones column ("+44…,+44…") into r->phones. */
static const char *
split_phones(struct tl_report *r)
{
	const char	*s = r->value[TL_F_PHONES], *e;

	while (s != NULL && *s != '\0') {
		if (r->nphones == TL_MAX_PHONES)
			return "more phone numbers than a tip holds";
		e = s + strcspn(s, ",");
		if ((r->phones[r->nphones] = strndup(s, (size_t)(e - s))) ==
		    NULL)
			return "out of memory";
		r->nphones++;
		s = *e == ',' ? e + 1 : e;
	}
	return NULL;
}

/*
 * Reads one row into w. Returns 1 to ingest it (with w->in.fault set when
 * its content cannot be trusted), 0 to skip a row that has no usable
 * reference (reported on stderr: it cannot be shown without one), -1 out
 * of memory.
 */
static int
read_row(sqlite3_stmt *st, struct row *w)
{
	const char	*ref = (const char *)sqlite3_column_text(st, 1);
	const char	*prio = (const char *)sqlite3_column_text(st, 3);
	const char	*why = NULL;
	size_t		 i;

	memset(w, 0, sizeof(*w));
	tl_report_init(&w->r);
	w->in.intake_id = sqlite3_column_int64(st, 0);
	if (ref == NULL || tl_ref_parse(ref, w->ref) != TL_OK ||
	    strcmp(ref, w->ref) != 0) {
		fprintf(stderr, "tipline-staff.fcgi: intake row %lld has no "
		    "valid reference; not taken in\n",
		    (long long)w->in.intake_id);
		return 0;
	}
	row_digest(st, w->digest);
	w->in.ref = w->ref;
	w->in.digest = w->digest;
	w->in.received_at = sqlite3_column_int64(st, 2);
	w->in.priority = prio != NULL && strcmp(prio, "urgent") == 0 ?
	    TL_PRIO_URGENT : TL_PRIO_NORMAL;
	if (prio == NULL || (strcmp(prio, "urgent") != 0 &&
	    strcmp(prio, "normal") != 0))
		why = "the priority column is not one the schema allows";
	for (i = 0; i < TL_F__MAX && why == NULL; i++)
		why = take(st, 4 + (int)i, &w->r.value[i]);
	if (why == NULL)
		why = split_phones(&w->r);
	if (why != NULL && strcmp(why, "out of memory") == 0) {
		tl_report_free(&w->r);
		return -1;
	}
	w->r.priority = w->in.priority;
	tl_postcode_area(w->r.value[TL_F_POSTCODE] != NULL ?
	    w->r.value[TL_F_POSTCODE] : "", w->area, sizeof(w->area));
	w->in.area = w->area;
	w->in.report = why == NULL ? &w->r : NULL;
	w->in.fault = why;
	return 1;
}

enum tl_err
tl_desk_ingest_round(struct tl_desk_store *d, struct tl_desk_intake *in,
    const struct tl_seal_secret *sk, size_t max, int64_t now, size_t *n)
{
	struct tl_buf		  sql = TL_BUF_INIT;
	struct row		 *rows = calloc(max, sizeof(*rows));
	const struct tl_desk_in	**p = calloc(max, sizeof(*p));
	sqlite3_stmt		 *st = NULL;
	int64_t			  cursor, last;
	size_t			  k = 0, i;
	int			  rc, got;
	enum tl_err		  err = TL_ENOMEM;

	(void)sk;	/* the sealed store's rows need it */
	*n = 0;
	batch_sql(&sql);
	if (rows == NULL || p == NULL || !tl_buf_ok(&sql))
		goto out;
	if ((err = tl_desk_cursor(d, &cursor)) != TL_OK)
		goto out;
	last = cursor;
	if (sqlite3_prepare_v2(in->db, sql.data, -1, &st, NULL) != SQLITE_OK) {
		err = fail(in, "read tips");
		goto out;
	}
	sqlite3_bind_int64(st, 1, cursor);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	err = TL_OK;
	while (k < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		if ((got = read_row(st, &rows[k])) < 0) {
			err = TL_ENOMEM;
			break;
		}
		if (got > 0) {
			p[k] = &rows[k].in;
			k++;
		}
	}
	if (err == TL_OK && k < max && rc != SQLITE_DONE)
		err = fail(in, "read tips");
	if (err == TL_OK && last != cursor)
		err = tl_desk_ingest(d, p, k, last, now, n);
out:
	sqlite3_finalize(st);
	for (i = 0; rows != NULL && i < k; i++)
		tl_report_free(&rows[i].r);
	free(rows);
	free(p);
	tl_buf_free(&sql);
	return err;
}
