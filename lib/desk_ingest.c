/*
 * desk_ingest.c — the intake store read as hostile input and its tips
 * handed to the desk (see desk_ingest.h).
 *
 * Rows are read with the store's own column list and row reader
 * (store_impl.h: tl_store_tip_columns, tl_store_read_tip) on this
 * module's defensive read-only connection, never the store's read-write
 * handle. Each tip's sealed blob is opened with the staff secret key
 * against its own row (tl_tip_unseal), and its sealed fields checked as
 * text (valid UTF-8, no NUL: the blob is authentic, but its writer is
 * the internet-facing process). A tip that does not open, or holds what
 * is not text, is still taken in, flagged with why and none of its
 * content, so that nothing is silently dropped or silently shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "desk_ingest.h"
#include "ref.h"
#include "report.h"
#include "store_impl.h"
#include "tip_staff.h"
#include "utf8.h"

struct tl_desk_intake {
	sqlite3		*db;
	char		 err[256];
};

/* One row as read: what tl_desk_ingest() takes, and what it points to. */
struct row {
	struct tl_desk_in	 in;
	struct tl_tip		 t;
	char			 digest[TL_SEAL_HASH_HEX];
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	uint8_t			 commit[TL_SEAL_COMMITBYTES];
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

/* The SELECT of a batch: the store's columns of a tip. */
static void
batch_sql(struct tl_buf *b)
{
	tl_buf_printf(b, "SELECT %s FROM tips WHERE tips.id > ?"
	    " ORDER BY tips.id LIMIT ?", tl_store_tip_columns());
}

/* The digest of the row's columns as stored (length-prefixed, NULL told
 * apart from ""): the desk sees a later change to the row by it. */
static void
row_digest(sqlite3_stmt *st, char out[TL_SEAL_HASH_HEX])
{
	static const uint8_t	 zero[TL_SEAL_HASHKEYBYTES];
	struct tl_buf		 b = TL_BUF_INIT;
	int			 i, n, cols = tl_store_tip_ncolumns();

	for (i = 1; i < cols; i++) {
		n = sqlite3_column_type(st, i) == SQLITE_NULL ? -1 :
		    sqlite3_column_bytes(st, i);
		tl_buf_printf(&b, "%d:", n);
		if (n > 0)
			tl_buf_add(&b, sqlite3_column_blob(st, i), (size_t)n);
	}
	tl_seal_keyed_hash(zero, b.data != NULL ? b.data : "", b.len, out);
	tl_buf_free(&b);
}

/* Why a blob did not open, for the tip's flag. */
static const char *
fault_text(enum tl_seal_fault f)
{
	switch (f) {
	case TL_SEAL_FAULT_KEY:
		return "not sealed to this staff key";
	case TL_SEAL_FAULT_AUTH:
		return "the sealed content and its row disagree (changed or "
		    "moved)";
	case TL_SEAL_FAULT_FORMAT:
		return "not a sealed blob";
	default:
		return "the sealed content is malformed";
	}
}

/* Whether every value of r is text: NULL, or a reason. */
static const char *
all_text(const struct tl_report *r)
{
	size_t	 i;

	for (i = 0; i < TL_F__MAX; i++)
		if (r->value[i] != NULL && !tl_utf8_valid(r->value[i],
		    strlen(r->value[i])))
			return "a field is not valid text";
	return NULL;
}

/* Whether a text column of the row (every one before the blob and the
 * sender's key, salt and commitment) holds a NUL byte: the row reader's
 * C strings would silently end there. */
static int
has_nul(sqlite3_stmt *st)
{
	const unsigned char	*v;
	int			 i, end = tl_store_tip_col(TL_TIPCOL_SEALED);

	for (i = 1; i < end; i++)
		if ((v = sqlite3_column_text(st, i)) != NULL &&
		    strlen((const char *)v) !=
		    (size_t)sqlite3_column_bytes(st, i))
			return 1;
	return 0;
}

/*
 * The sender's key of an opened tip (SPEC 13): its blob is bound to the
 * commitment of the key and salt, so a blob that opened proves them.
 * When the sender had ended the conversation before the desk took the
 * tip in, only the commitment is on the row; the key comes from the
 * tip's end row (tl_desk_end_key), if it carries it.
 */
static void
sender_key(struct tl_desk_intake *in, const struct tl_seal_secret *sk,
    struct row *w)
{
	sqlite3_stmt	*st;

	if (w->t.has_sender) {
		memcpy(w->pk, w->t.sender_pk, sizeof(w->pk));
		tl_seal_sender_commit(w->t.sender_pk, w->t.sender_salt,
		    w->commit);
		w->in.sender_pk = w->pk;
		w->in.sender_commit = w->commit;
		return;
	}
	if (!w->t.has_gone)
		return;
	memcpy(w->commit, w->t.sender_gone, sizeof(w->commit));
	w->in.sender_commit = w->commit;
	if (sqlite3_prepare_v2(in->db, "SELECT at, sealed FROM messages"
	    " WHERE tip_id = ?1 AND kind = 'end' ORDER BY id LIMIT 1", -1, &st,
	    NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, w->t.id);
	if (sqlite3_step(st) == SQLITE_ROW && tl_desk_end_key(sk, w->t.ref,
	    sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
	    (size_t)sqlite3_column_bytes(st, 1), w->commit, w->pk))
		w->in.sender_pk = w->pk;
	sqlite3_finalize(st);
}

/*
 * Reads one row into w and opens it with sk. Returns 1 to ingest it
 * (with w->in.fault set when its content cannot be shown), 0 to skip a
 * row that has no usable reference (reported on stderr: it cannot be
 * shown without one), -1 out of memory.
 */
static int
read_row(struct tl_desk_intake *in, sqlite3_stmt *st,
    const struct tl_seal_secret *sk, struct row *w)
{
	const char		*prio = (const char *)sqlite3_column_text(st, 3);
	char			 canon[TL_REF_SIZE];
	enum tl_seal_fault	 fault;
	enum tl_err		 rc;
	int			 area_ok;

	memset(w, 0, sizeof(*w));
	if (tl_store_read_tip(st, 0, &w->t) != TL_OK)
		return -1;
	/* The whole column, not the part before a NUL or past the
	 * reference's size, which tl_store_read_tip() keeps. */
	if (sqlite3_column_bytes(st, 1) != TL_REF_LEN ||
	    tl_ref_parse(w->t.ref, canon) != TL_OK ||
	    strcmp(canon, w->t.ref) != 0) {
		fprintf(stderr, "tipline-staff.fcgi: intake row %lld has no "
		    "valid reference; not taken in\n", (long long)w->t.id);
		tl_tip_free(&w->t);
		return 0;
	}
	row_digest(st, w->digest);
	w->in.intake_id = w->t.id;
	w->in.ref = w->t.ref;
	w->in.digest = w->digest;
	w->in.received_at = w->t.received_at;
	w->in.priority = w->t.report.priority;
	w->in.area = w->t.area;
	/* The area as stored, not the part of it the reader keeps: every
	 * tip, flagged or not, shows it, so one that is not text is
	 * dropped. */
	area_ok = sqlite3_column_bytes(st, tl_store_tip_col(TL_TIPCOL_AREA)) <
	    TL_AREA_SIZE && tl_utf8_valid(w->t.area, strlen(w->t.area));
	if (!area_ok)
		w->t.area[0] = '\0';
	if (has_nul(st)) {
		w->in.fault = "a column holds a NUL byte";
		return 1;
	}
	if (!area_ok) {
		w->in.fault = "the area column is not an outward code";
		return 1;
	}
	if (prio == NULL || (strcmp(prio, "urgent") != 0 &&
	    strcmp(prio, "normal") != 0)) {
		w->in.fault = "the priority column is not one the schema allows";
		return 1;
	}
	if (sk == NULL)
		rc = TL_ESEALED, fault = TL_SEAL_FAULT_KEY;
	else if ((rc = tl_tip_unseal(&w->t, sk, &fault)) == TL_ENOMEM) {
		tl_tip_free(&w->t);
		return -1;
	}
	if (rc != TL_OK)
		w->in.fault = fault_text(fault);
	else if ((w->in.fault = all_text(&w->t.report)) == NULL) {
		w->in.report = &w->t.report;
		sender_key(in, sk, w);
	}
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
		if ((got = read_row(in, st, sk, &rows[k])) < 0) {
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
		tl_tip_free(&rows[i].t);
	free(rows);
	free(p);
	tl_buf_free(&sql);
	return err;
}

/* --- messages ---------------------------------------------------------- */

/* The bytes a message's blob can have: its text's bound, padded. */
#define MSG_SEALED_MAX	(TL_SEAL_MSG_MAX + TL_SEAL_BLOCK + \
	TL_SEAL_MSG_OVERHEAD)
/* An end row's: a key and a salt as hex, sealed. */
#define END_SEALED_MAX	(TL_SEAL_OVERHEAD + TL_SEAL_BLOCK)

/* One message row as read, with a copy of its ref and blob. */
struct msg_row {
	struct tl_desk_msg_in	 in;
	char			 ref[TL_REF_SIZE];
	uint8_t			*sealed;
};

/*
 * Reads a message row (columns of msg_sql) into w, checked as hostile
 * input: the reference, author, kind and the blob's size. A row that is
 * not as the schema allows is still taken, with a fault. 0, or -1 out of
 * memory.
 */
static int
read_msg(sqlite3_stmt *st, struct msg_row *w)
{
	const char	*ref = (const char *)sqlite3_column_text(st, 2);
	const char	*kind = (const char *)sqlite3_column_text(st, 5);
	const void	*blob;
	size_t		 len;

	memset(w, 0, sizeof(*w));
	w->in.intake_id = sqlite3_column_int64(st, 0);
	w->in.tip_intake_id = sqlite3_column_int64(st, 1);
	w->in.author = sqlite3_column_int(st, 3);
	w->in.at = sqlite3_column_int64(st, 4);
	w->in.ref = w->ref;
	if (ref == NULL || tl_ref_parse(ref, w->ref) != TL_OK ||
	    strcmp(ref, w->ref) != 0) {
		/* Not a ref the desk can hold: it matches no tip. */
		snprintf(w->ref, sizeof(w->ref), "-");
		return 0;
	}
	w->in.end = kind != NULL && strcmp(kind, "end") == 0;
	if (sqlite3_column_type(st, 3) != SQLITE_INTEGER ||
	    (w->in.author != TL_SEAL_FROM_STAFF &&
	    w->in.author != TL_SEAL_FROM_SENDER) || kind == NULL ||
	    (!w->in.end && strcmp(kind, "text") != 0) ||
	    (w->in.end && w->in.author != TL_SEAL_FROM_SENDER)) {
		w->in.fault = "the row is not one the schema allows";
		return 0;
	}
	blob = sqlite3_column_blob(st, 6);
	len = (size_t)sqlite3_column_bytes(st, 6);
	if (blob == NULL)
		return 0;
	if (len > (w->in.end ? END_SEALED_MAX : MSG_SEALED_MAX)) {
		w->in.fault = "its sealed text is larger than any message";
		return 0;
	}
	if ((w->sealed = malloc(len)) == NULL)
		return -1;
	memcpy(w->sealed, blob, len);
	w->in.sealed = w->sealed;
	w->in.len = len;
	return 0;
}

enum tl_err
tl_desk_ingest_messages_round(struct tl_desk_store *d,
    struct tl_desk_intake *in, const struct tl_seal_secret *sk, size_t max,
    int64_t now, size_t *n)
{
	static const char sql[] = "SELECT m.id, t.id, t.ref, m.author, m.at,"
	    " m.kind, m.sealed FROM messages m JOIN tips t ON t.id = m.tip_id"
	    " WHERE m.id > ?1 ORDER BY m.id LIMIT ?2";
	struct msg_row		*rows = calloc(max, sizeof(*rows));
	struct tl_desk_msg_in	*p = calloc(max, sizeof(*p));
	sqlite3_stmt		*st = NULL;
	int64_t			 cursor;
	size_t			 k = 0, i, added;
	int			 rc = SQLITE_DONE;
	enum tl_err		 err = TL_ENOMEM;

	*n = 0;
	if (rows == NULL || p == NULL)
		goto out;
	if ((err = tl_desk_msg_cursor(d, &cursor)) != TL_OK)
		goto out;
	if (sqlite3_prepare_v2(in->db, sql, -1, &st, NULL) != SQLITE_OK) {
		err = fail(in, "read messages");
		goto out;
	}
	sqlite3_bind_int64(st, 1, cursor);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (k < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (read_msg(st, &rows[k]) < 0) {
			err = TL_ENOMEM;
			goto out;
		}
		p[k] = rows[k].in;
		k++;
	}
	if (k < max && rc != SQLITE_DONE) {
		err = fail(in, "read messages");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	err = k == 0 ? TL_OK : tl_desk_ingest_messages(d, sk, p, k, now, n,
	    &added);
out:
	sqlite3_finalize(st);
	for (i = 0; rows != NULL && i < max; i++)
		free(rows[i].sealed);
	free(rows);
	free(p);
	return err;
}

sqlite3 *
tl_desk_intake_writer(const char *path, char *err, size_t errlen)
{
	sqlite3	*db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) !=
	    SQLITE_OK || sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA,
	    0, NULL) != SQLITE_OK || sqlite3_exec(db, "PRAGMA mmap_size = 0;"
	    "PRAGMA cell_size_check = ON; PRAGMA synchronous = FULL", NULL,
	    NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "intake store: %s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close_v2(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}
