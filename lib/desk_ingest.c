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
#include <limits.h>
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
	size_t		 max_sealed;	/* bytes of a tip's blob taken */
	int64_t		 recheck_after;	/* desk tip id a recheck goes on
					   after (tl_desk_recheck) */
	int64_t		 sweep_after;	/* intake id a sweep goes on after
					   (tl_desk_sweep) */
	char		 err[256];
};

/* Columns a read of a tip row selects, at most (row_sql). */
#define ROW_COLS	32

/* Rounds that try to read an intake row before it is given up on. */
#define READ_TRIES	3

/* Bytes any one value read from the intake store may have beyond
 * max_sealed_bytes (SQLITE_LIMIT_LENGTH): a larger one, a text column
 * or a message's blob, fails with SQLITE_TOOBIG before it is loaded,
 * and its row is one that cannot be read. */
#define VALUE_SLACK	(64 * 1024)

/* One row as read: what tl_desk_ingest() takes, and what it points to. */
struct row {
	struct tl_desk_in	 in;
	struct tl_tip		 t;
	char			 digest[TL_SEAL_HASH_HEX];
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	uint8_t			 commit[TL_SEAL_COMMITBYTES];
	char			 why[96];	/* a fault's words */
	int			 type[ROW_COLS];	/* each column's type as
						   stored, before any
						   conversion */
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
	static const char *const pragmas[] = { "PRAGMA mmap_size = 0",
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
	    tl_store_harden(in->db) == -1) {
		fail(in, path);
		goto bad;
	}
	tl_desk_intake_set_max_sealed(in, TL_DESK_SEALED_MAX);
	in->sweep_after = INT64_MIN;	/* an id may be 0 or less */
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

void
tl_desk_intake_set_max_sealed(struct tl_desk_intake *in, size_t bytes)
{
	in->max_sealed = bytes;
	sqlite3_limit(in->db, SQLITE_LIMIT_LENGTH, bytes > INT_MAX -
	    VALUE_SLACK ? INT_MAX : (int)(bytes + VALUE_SLACK));
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

/*
 * The blob's column in the store's list, and what a batch selects in its
 * place: the blob only when it is one of at most ?3 bytes. typeof() and
 * length() of a blob read none of its bytes, so an oversize blob is
 * never loaded, let alone copied (SPEC 16: max_sealed_bytes).
 */
#define SEALED_COL	" tips.sealed,"
#define SEALED_BOUNDED	" CASE WHEN typeof(tips.sealed) = 'blob' AND" \
	" length(tips.sealed) <= ?3 THEN tips.sealed END,"
/* After the store's columns: the blob's bytes, 0 none, -1 not a blob. */
#define SEALED_SIZE	"CASE typeof(tips.sealed) WHEN 'blob' THEN" \
	" length(tips.sealed) WHEN 'null' THEN 0 ELSE -1 END"

/* A SELECT of tips: the store's columns, the blob bounded, then its
 * size, and tail (?1 its first parameter, ?3 max_sealed_bytes). Every
 * read of a tip row, a batch's or a recheck's, goes through it, so a
 * row's digest is the same whoever computes it. */
static void
row_sql(struct tl_buf *b, const char *tail)
{
	const char	*cols = tl_store_tip_columns();
	const char	*at = strstr(cols, SEALED_COL);

	if (at == NULL || tl_store_tip_ncolumns() >= ROW_COLS)
		abort();	/* the store's column list changed: a build bug */
	tl_buf_printf(b, "SELECT %.*s%s%s, %s FROM tips %s", (int)(at - cols),
	    cols, SEALED_BOUNDED, at + strlen(SEALED_COL), SEALED_SIZE, tail);
}

/* row_sql()'s tail for one tip, by its reference (?1), or its id. */
#define BY_REF	"WHERE tips.ref = ?1"
#define BY_ID	"WHERE tips.id = ?1"

/* Prepares row_sql(tail) on the intake store with max_sealed_bytes
 * bound: TL_OK, or an error with in->err set. */
static enum tl_err
row_prepare(struct tl_desk_intake *in, const char *tail, sqlite3_stmt **st)
{
	struct tl_buf	 sql = TL_BUF_INIT;
	enum tl_err	 err = TL_ENOMEM;

	*st = NULL;
	row_sql(&sql, tail);
	if (tl_buf_ok(&sql)) {
		err = TL_OK;
		if (sqlite3_prepare_v2(in->db, sql.data, -1, st, NULL) !=
		    SQLITE_OK)
			err = fail(in, "read tips");
		else
			sqlite3_bind_int64(*st, 3, in->max_sealed > INT64_MAX ?
			    INT64_MAX : (int64_t)in->max_sealed);
	}
	tl_buf_free(&sql);
	return err;
}

/* Adds column i of st to b as its length (-1 NULL), ':' and bytes. */
static void
digest_col(struct tl_buf *b, sqlite3_stmt *st, int i)
{
	int	 n = sqlite3_column_type(st, i) == SQLITE_NULL ? -1 :
		    sqlite3_column_bytes(st, i);

	tl_buf_printf(b, "%d:", n);
	if (n > 0)
		tl_buf_add(b, sqlite3_column_blob(st, i), (size_t)n);
}

/*
 * The digest of the row's columns as stored (length-prefixed, NULL told
 * apart from ""): the desk sees a later change to the row by it (SPEC
 * 16). The sender's key and salt count as their commitment, which is
 * what the blob is bound to, so the one change a row may have after
 * ingest, the sender ending the conversation (key and salt replaced by
 * the commitment, sender_gone), leaves it as it was. Rows taken in
 * before this form have old_digest()'s.
 */
static void
row_digest(sqlite3_stmt *st, char out[TL_SEAL_HASH_HEX])
{
	static const uint8_t	 key[TL_SEAL_HASHKEYBYTES] = { 2 };
	struct tl_buf		 b = TL_BUF_INIT;
	uint8_t			 commit[TL_SEAL_COMMITBYTES];
	int			 i, pk = tl_store_tip_col(TL_TIPCOL_SENDER_PK),
				 salt = tl_store_tip_col(TL_TIPCOL_SENDER_SALT),
				 gone = tl_store_tip_col(TL_TIPCOL_SENDER_GONE);

	for (i = 1; i < pk; i++)
		digest_col(&b, st, i);
	if (sqlite3_column_bytes(st, pk) == TL_SEAL_KEYBYTES &&
	    sqlite3_column_bytes(st, salt) == TL_SEAL_SALTBYTES &&
	    sqlite3_column_type(st, gone) == SQLITE_NULL) {
		tl_seal_sender_commit(sqlite3_column_blob(st, pk),
		    sqlite3_column_blob(st, salt), commit);
		tl_buf_printf(&b, "c%d:", (int)sizeof(commit));
		tl_buf_add(&b, commit, sizeof(commit));
	} else if (sqlite3_column_type(st, pk) == SQLITE_NULL &&
	    sqlite3_column_type(st, salt) == SQLITE_NULL) {
		tl_buf_putc(&b, 'c');
		digest_col(&b, st, gone);
	} else {
		tl_buf_putc(&b, 'r');
		for (i = pk; i <= gone; i++)
			digest_col(&b, st, i);
	}
	/* The blob's size, read even of one too large to be taken. */
	digest_col(&b, st, tl_store_tip_ncolumns());
	tl_seal_keyed_hash(key, b.data != NULL ? b.data : "", b.len, out);
	tl_buf_free(&b);
}

/* The digest of every column as they are, as the desk took rows in
 * before row_digest(): a recheck accepts it once, and replaces it. */
static void
old_digest(sqlite3_stmt *st, char out[TL_SEAL_HASH_HEX])
{
	static const uint8_t	 zero[TL_SEAL_HASHKEYBYTES];
	struct tl_buf		 b = TL_BUF_INIT;
	int			 i, cols = tl_store_tip_ncolumns();

	for (i = 1; i < cols; i++)
		digest_col(&b, st, i);
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

/* Seconds a received_at may be ahead of the desk's clock. */
#define AHEAD_MAX	3600

/* Whether v, the text of field f's plaintext column, is one f allows:
 * NULL when f is optional; else one of its choices, or for a multiple
 * choice its items joined with ",", each a choice once, min..max of
 * them. A plaintext column is always a choice (SPEC 11: what a person
 * wrote is sealed), so a field without choices allows none. */
static int
choice_ok(enum tl_field f, const char *v)
{
	const struct tl_choice	*c = tl_fields[f].choices;
	const char		*end;
	unsigned		 seen = 0;
	size_t			 i, len, n = 0;

	if (v == NULL)
		return !tl_fields[f].required;
	if (c == NULL)
		return 0;
	for (;; v = end + 1) {
		end = strchr(v, ',');
		len = end != NULL ? (size_t)(end - v) : strlen(v);
		for (i = 0; c[i].value != NULL && (strlen(c[i].value) != len ||
		    memcmp(c[i].value, v, len) != 0); i++)
			;
		if (c[i].value == NULL || (seen & 1u << i) != 0)
			return 0;
		seen |= 1u << i;
		n++;
		if (end == NULL)
			break;
		if (tl_fields[f].kind != TL_K_MULTI)
			return 0;
	}
	return tl_fields[f].kind != TL_K_MULTI ||
	    (n >= tl_fields[f].min && n <= tl_fields[f].max);
}

/* Whether column c of w's row in st is an integer from lo to hi. */
static int
int_in(sqlite3_stmt *st, const struct row *w, int c, int64_t lo,
    int64_t hi)
{
	int64_t	 v = sqlite3_column_int64(st, c);

	return w->type[c] == SQLITE_INTEGER && v >= lo && v <= hi;
}

/* Whether the area column of w's row in st (read into w->t.area) is
 * NULL, or an outward code as intake writes it ("SO14":
 * tl_postcode_area). */
static int
area_ok(sqlite3_stmt *st, const struct row *w)
{
	const char	*area = w->t.area;
	char		 pc[16];
	int		 c = tl_store_tip_col(TL_TIPCOL_AREA);

	if (w->type[c] == SQLITE_NULL)
		return 1;
	return w->type[c] == SQLITE_TEXT && sqlite3_column_bytes(st, c) <
	    TL_AREA_SIZE && (area[0] == '\0' ||
	    (tl_postcode_normalise(area, pc, sizeof(pc)) == TL_OK &&
	    strcmp(pc, area) == 0));
}

/*
 * Why the plaintext columns of w's row in st are not as tl_fields[] and
 * the schema allow them (SPEC 16), or NULL: a NUL byte in a text column,
 * the priority, the area, the time received (1970 to a little after
 * now), each choice column, the counts, the blob's type and size. The
 * reason may be in w->why.
 */
static const char *
row_fault(struct tl_desk_intake *in, sqlite3_stmt *st, struct row *w,
    int64_t now)
{
	const char	*prio = (const char *)sqlite3_column_text(st, 3);
	const char	*bad = NULL;
	int64_t		 size;
	int		 f, t, c = 4;
	int		 n = tl_store_tip_col(TL_TIPCOL_HAS_PEOPLE);

	if (has_nul(st))
		return "a column holds a NUL byte";
	if (prio == NULL || (strcmp(prio, "urgent") != 0 &&
	    strcmp(prio, "normal") != 0))
		return "the priority column is not one the schema allows";
	if (!area_ok(st, w))
		return "the area column is not an outward code";
	if (!int_in(st, w, 2, 0, now + AHEAD_MAX))
		bad = "received_at";
	for (f = 0; f < TL_F__MAX && bad == NULL; f++) {
		if (tl_fields[f].column == NULL)
			continue;
		t = w->type[c++];
		if ((t != SQLITE_TEXT && t != SQLITE_NULL) ||
		    !choice_ok(f, w->t.report.value[f]))
			bad = tl_fields[f].column;
	}
	if (bad == NULL && !(int_in(st, w, n, 0, 1) &&
	    int_in(st, w, n + 1, 0, 1) &&
	    int_in(st, w, n + 2, 0, TL_MAX_PHONES)))
		bad = "has_people, has_vehicles or phones";
	if (bad != NULL) {
		snprintf(w->why, sizeof(w->why), "the %s column is not one "
		    "the schema allows", bad);
		return w->why;
	}
	size = sqlite3_column_int64(st, tl_store_tip_ncolumns());
	if (size < 0)
		return "the sealed column is not a blob";
	if ((uint64_t)size > in->max_sealed)
		return "the sealed content is larger than max_sealed_bytes";
	return NULL;
}

/* Frees what w's row holds besides its facts: a flagged tip is taken
 * in with none of it. */
static void
drop_content(struct row *w)
{
	tl_report_free(&w->t.report);
	free(w->t.sealed);
	w->t.sealed = NULL;
	w->t.sealed_len = 0;
}

/* Whether column i of st is a reference exactly as the desk keeps one
 * (canonical, the whole column, no NUL): 1 with it in canon, or 0. */
static int
col_ref(sqlite3_stmt *st, int i, char canon[TL_REF_SIZE])
{
	const char	*v = (const char *)sqlite3_column_text(st, i);

	return v != NULL && sqlite3_column_bytes(st, i) == TL_REF_LEN &&
	    strlen(v) == TL_REF_LEN && tl_ref_parse(v, canon) == TL_OK &&
	    strcmp(canon, v) == 0;
}

/*
 * Reads one row into w and opens it with sk. Returns 1 to ingest it
 * (with w->in.fault set when its content cannot be shown), 0 to skip a
 * row that has no usable reference (reported on stderr: it cannot be
 * shown without one), -1 out of memory.
 */
static int
read_row(struct tl_desk_intake *in, sqlite3_stmt *st,
    const struct tl_seal_secret *sk, int64_t now, struct row *w)
{
	char			 canon[TL_REF_SIZE];
	enum tl_seal_fault	 fault;
	enum tl_err		 rc;
	int			 i;

	memset(w, 0, sizeof(*w));
	/* Types first: reading a column as text or a number may convert
	 * it, and sqlite3_column_type() is undefined after that. */
	for (i = 0; i < sqlite3_column_count(st) && i < ROW_COLS; i++)
		w->type[i] = sqlite3_column_type(st, i);
	if (tl_store_read_tip(st, 0, &w->t) != TL_OK)
		return -1;
	/* The whole column, not the part before a NUL or past the
	 * reference's size, which tl_store_read_tip() keeps. */
	if (!col_ref(st, 1, canon)) {
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
	if ((w->in.fault = row_fault(in, st, w, now)) != NULL) {
		/* Every tip, flagged or not, shows its area and time. */
		if (!area_ok(st, w))
			w->t.area[0] = '\0';
		if (!int_in(st, w, 2, 0, now + AHEAD_MAX))
			w->in.received_at = now;
		drop_content(w);
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

/* Whether the last error of in is one of a row (its pages damaged, or
 * too big to read), not of the store: that row can be skipped. */
static int
row_error(struct tl_desk_intake *in)
{
	int	 e = sqlite3_errcode(in->db);

	return e == SQLITE_CORRUPT || e == SQLITE_TOOBIG ||
	    e == SQLITE_NOTADB || e == SQLITE_MISMATCH;
}

/* Prepares sql into *st (the caller finalizes), binds arg as ?1 and
 * steps once: SQLite's answer (SQLITE_ROW: a row is on *st). */
static int
first_row(struct tl_desk_intake *in, const char *sql, int64_t arg,
    sqlite3_stmt **st)
{
	int	 rc;

	if ((rc = sqlite3_prepare_v2(in->db, sql, -1, st, NULL)) !=
	    SQLITE_OK)
		return rc;
	sqlite3_bind_int64(*st, 1, arg);
	return sqlite3_step(*st);
}

/* Whether first_row() gave a row. */
static int
one_row(struct tl_desk_intake *in, const char *sql, int64_t arg,
    sqlite3_stmt **st)
{
	return first_row(in, sql, arg, st) == SQLITE_ROW;
}

/*
 * The tip row after after could not be read (SPEC 16): counted as one
 * more try; after READ_TRIES rounds it is given up on: taken in as a
 * flagged urgent tip when its reference can still be read (as the
 * fault says), and the cursor moved past it. TL_OK when skipped; else
 * TL_ESTORE (tried again next round).
 */
static enum tl_err
skip_bad(struct tl_desk_store *d, struct tl_desk_intake *in, int64_t after,
    int64_t now)
{
	struct tl_desk_in	 t;
	sqlite3_stmt		*st = NULL;
	char			 canon[TL_REF_SIZE], why[160];
	int64_t			 id = 0, tries;
	enum tl_err		 rc = TL_ESTORE;

	if (one_row(in, "SELECT id FROM tips WHERE id > ?1 ORDER BY id"
	    " LIMIT 1", after, &st))
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (id == 0 || tl_desk_bad_row(d, id, &tries) != TL_OK)
		goto out;
	snprintf(why, sizeof(why), "intake row %lld could not be read "
	    "(%d of %d tries)", (long long)id, (int)tries, READ_TRIES);
	if (tries < READ_TRIES) {
		snprintf(in->err, sizeof(in->err), "%s", why);
		goto out;
	}
	memset(&t, 0, sizeof(t));
	t.intake_id = id;
	t.priority = TL_PRIO_URGENT;
	t.digest = "-";
	t.fault = "the intake row could not be read (the intake store is "
	    "damaged): nothing of it is shown";
	if (one_row(in, "SELECT ref, received_at FROM tips WHERE id = ?1",
	    id, &st) && col_ref(st, 0, canon)) {
		t.ref = canon;
		t.received_at = sqlite3_column_int64(st, 1);
	}
	snprintf(why, sizeof(why), "intake row %lld could not be read in %d "
	    "tries; skipped", (long long)id, READ_TRIES);
	if ((rc = tl_desk_skip(d, t.ref != NULL ? &t : NULL, id, now, why)) ==
	    TL_OK)
		fprintf(stderr, "tipline-staff.fcgi: %s%s%s\n", why,
		    t.ref != NULL ? ", flagged as " : "", t.ref != NULL ?
		    t.ref : "");
	else
		snprintf(in->err, sizeof(in->err), "skip: %s",
		    tl_desk_store_errmsg(d));
out:
	sqlite3_finalize(st);
	return rc;
}

/*
 * The highest id the intake store has given a row of tips (or with
 * messages set, of messages): its sqlite_sequence (AUTOINCREMENT: a
 * purge does not lower it) or its highest id, which is more. TL_OK or
 * TL_ESTORE.
 */
static enum tl_err
intake_seq(struct tl_desk_intake *in, int messages, int64_t *seq)
{
	sqlite3_stmt	*st = NULL;
	enum tl_err	 err = TL_OK;

	*seq = 0;
	if (one_row(in, messages ? "SELECT max(id) FROM messages" :
	    "SELECT max(id) FROM tips", 0, &st))
		*seq = sqlite3_column_int64(st, 0);
	else
		err = fail(in, "highest id");
	sqlite3_finalize(st);
	st = NULL;
	/* No such table, or no row: the highest id alone. */
	if (err == TL_OK && one_row(in, messages ? "SELECT seq FROM"
	    " sqlite_sequence WHERE name = 'messages'" : "SELECT seq FROM"
	    " sqlite_sequence WHERE name = 'tips'", 0, &st) &&
	    sqlite3_column_int64(st, 0) > *seq)
		*seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return err;
}

/*
 * Ids are not trusted to rise (SPEC 16): when the intake store's tip
 * ids (or with messages set, its message ids) went back below *cursor
 * (its sqlite_sequence set back, or an older copy restored), said
 * loudly, counted, and *cursor rewound (tl_desk_rewind), so that rows
 * under the old cursor are read. TL_OK, TL_ESTORE.
 */
static enum tl_err
went_back(struct tl_desk_store *d, struct tl_desk_intake *in, int messages,
    int64_t now, int64_t *cursor)
{
	int64_t		 seq, was = *cursor;
	enum tl_err	 err;

	if ((err = intake_seq(in, messages, &seq)) != TL_OK ||
	    seq >= *cursor)
		return err;
	if ((err = tl_desk_rewind(d, messages, seq, now, cursor)) !=
	    TL_OK) {
		snprintf(in->err, sizeof(in->err), "rewind: %s",
		    tl_desk_store_errmsg(d));
		return err;
	}
	fprintf(stderr, "tipline-staff.fcgi: the intake store's %s ids went "
	    "back to %lld, below the desk's cursor %lld (its sequence was "
	    "set back, or an older copy restored); reading again from "
	    "%lld\n", messages ? "message" : "tip", (long long)seq,
	    (long long)was, (long long)*cursor);
	return TL_OK;
}

enum tl_err
tl_desk_ingest_round(struct tl_desk_store *d, struct tl_desk_intake *in,
    const struct tl_seal_secret *sk, size_t max, int64_t now, size_t *n)
{
	struct row		 *rows = calloc(max, sizeof(*rows));
	const struct tl_desk_in	**p = calloc(max, sizeof(*p));
	sqlite3_stmt		 *st = NULL;
	int64_t			  cursor, last;
	size_t			  k = 0, i;
	int			  rc = SQLITE_DONE, got, bad = 0;
	enum tl_err		  err = TL_ENOMEM;

	*n = 0;
	if (rows == NULL || p == NULL)
		goto out;
	if ((err = tl_desk_cursor(d, &cursor)) != TL_OK ||
	    (err = went_back(d, in, 0, now, &cursor)) != TL_OK ||
	    (err = row_prepare(in, "WHERE tips.id > ?1 ORDER BY tips.id"
	    " LIMIT ?2", &st)) != TL_OK)
		goto out;
	last = cursor;
	sqlite3_bind_int64(st, 1, cursor);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (k < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		if ((got = read_row(in, st, sk, now, &rows[k])) < 0) {
			err = TL_ENOMEM;
			break;
		}
		if (got > 0) {
			p[k] = &rows[k].in;
			k++;
		}
	}
	if (err == TL_OK && k < max && rc != SQLITE_DONE) {
		/* One row that cannot be read stops no other: those before
		 * it go in, and it is tried again, then skipped. */
		bad = row_error(in);
		err = fail(in, "read tips");
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((err == TL_OK || bad) && last != cursor)
		err = tl_desk_ingest(d, p, k, last, now, n);
	else if (bad)
		err = TL_OK;
	if (err == TL_OK && bad)
		err = skip_bad(d, in, last, now);
out:
	sqlite3_finalize(st);
	for (i = 0; rows != NULL && i < k; i++)
		tl_tip_free(&rows[i].t);
	free(rows);
	free(p);
	return err;
}

/* Reads intake row id, found below the cursor, and takes it in flagged
 * (tl_desk_ingest_found). A row that cannot be read is the cursor's
 * path's (skip_bad) to give up on. TL_OK, TL_ESTORE, TL_ENOMEM. */
static enum tl_err
take_found(struct tl_desk_store *d, struct tl_desk_intake *in,
    const struct tl_seal_secret *sk, int64_t id, int64_t now)
{
	const struct tl_desk_in	*p;
	struct row		*w;
	sqlite3_stmt		*st = NULL;
	size_t			 added = 0;
	int			 got = 0;
	enum tl_err		 err;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return TL_ENOMEM;
	if ((err = row_prepare(in, BY_ID, &st)) != TL_OK)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (got = read_row(in, st, sk, now, w)) < 0)
		err = TL_ENOMEM;
	if (got > 0) {
		p = &w->in;
		if ((err = tl_desk_ingest_found(d, &p, 1, now, &added)) !=
		    TL_OK)
			snprintf(in->err, sizeof(in->err), "found: %s",
			    tl_desk_store_errmsg(d));
		else if (added > 0)
			fprintf(stderr, "tipline-staff.fcgi: intake row %lld "
			    "(%s) lay below the ingest cursor, never taken in "
			    "(its id was changed); taken in now, flagged\n",
			    (long long)id, w->t.ref);
		tl_tip_free(&w->t);
	}
out:
	sqlite3_finalize(st);
	free(w);
	return err;
}

enum tl_err
tl_desk_sweep(struct tl_desk_store *d, struct tl_desk_intake *in,
    const struct tl_seal_secret *sk, size_t max, int64_t now, int take,
    size_t *found, int *wrapped)
{
	sqlite3_stmt	*st = NULL, *nx = NULL;
	char		 canon[TL_REF_SIZE];
	int64_t		 cursor, nfound, nback, cutoff, last = in->sweep_after;
	size_t		 seen = 0;
	int		 rc = SQLITE_DONE, held;
	enum tl_err	 err;

	*found = 0;
	*wrapped = 0;
	if ((err = tl_desk_cursor(d, &cursor)) != TL_OK ||
	    (err = tl_desk_ingest_odd(d, &nfound, &nback, &cutoff)) != TL_OK)
		return err;
	/* The id and ref only, and whether a purge leaves the row to the
	 * intake store's own purge (received at or before its cutoff). */
	if (sqlite3_prepare_v2(in->db, "SELECT id, ref, ?4 = 0 OR"
	    " received_at > ?4"
	    " FROM tips WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3", -1,
	    &st, NULL) != SQLITE_OK)
		return fail(in, "sweep");
	sqlite3_bind_int64(st, 1, in->sweep_after);
	sqlite3_bind_int64(st, 2, cursor);
	sqlite3_bind_int64(st, 3, (int64_t)max);
	sqlite3_bind_int64(st, 4, cutoff);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		seen++;
		last = sqlite3_column_int64(st, 0);
		/* A row with no valid reference is never taken in (the
		 * cursor's path said so when it passed it). */
		if (!sqlite3_column_int(st, 2) || !col_ref(st, 1, canon))
			continue;
		if ((err = tl_desk_holds(d, canon, &held)) != TL_OK) {
			snprintf(in->err, sizeof(in->err), "sweep: %s",
			    tl_desk_store_errmsg(d));
			goto out;
		}
		if (held)
			continue;
		(*found)++;
		if (take && (err = take_found(d, in, sk, last, now)) != TL_OK)
			goto out;
	}
	if (rc != SQLITE_DONE && !row_error(in)) {
		err = fail(in, "sweep");
		goto out;
	}
	if (rc != SQLITE_DONE) {
		/* Past the row that cannot be read: the cursor's path
		 * gives up on it (skip_bad). */
		if (one_row(in, "SELECT id FROM tips WHERE id > ?1"
		    " ORDER BY id LIMIT 1", last, &nx))
			last = sqlite3_column_int64(nx, 0);
		seen = max;
	}
	in->sweep_after = last;
	if (seen < max) {
		in->sweep_after = INT64_MIN;
		*wrapped = 1;
	}
out:
	sqlite3_finalize(nx);
	sqlite3_finalize(st);
	return err;
}

enum tl_err
tl_desk_recheck(struct tl_desk_store *d, struct tl_desk_intake *in,
    size_t max, int64_t now, int flag, json_t *changed, int *wrapped)
{
	sqlite3_stmt	*st = NULL;
	json_t		*tips = NULL, *e;
	const char	*ref, *was, *now_ref;
	char		 dg[TL_SEAL_HASH_HEX];
	int64_t		 nfound, nback, cutoff;
	size_t		 i;
	int		 rc, differs;
	enum tl_err	 err;

	*wrapped = 0;
	if ((err = tl_desk_ingest_odd(d, &nfound, &nback, &cutoff)) !=
	    TL_OK || (err = tl_desk_digests(d, in->recheck_after, max,
	    &tips)) != TL_OK || (err = row_prepare(in, BY_ID, &st)) != TL_OK)
		goto out;
	json_array_foreach(tips, i, e) {
		ref = json_string_value(json_array_get(e, 1));
		was = json_string_value(json_array_get(e, 2));
		/* By the id the desk took it from: a row renamed, moved or
		 * deleted is seen, not just one changed in place. */
		sqlite3_bind_int64(st, 1,
		    json_integer_value(json_array_get(e, 4)));
		rc = sqlite3_step(st);
		differs = 0;
		if (rc == SQLITE_ROW && ((now_ref = (const char *)
		    sqlite3_column_text(st, 1)) == NULL ||
		    strcmp(now_ref, ref) != 0))
			differs = 1;	/* another tip's row, or renamed */
		else if (rc == SQLITE_ROW) {
			row_digest(st, dg);
			differs = strcmp(dg, was) != 0;
			if (differs) {
				old_digest(st, dg);
				if (strcmp(dg, was) == 0) {
					differs = 0;
					row_digest(st, dg);
					err = tl_desk_set_digest(d, ref, dg);
				}
			}
		} else if (rc == SQLITE_DONE)
			/* Gone: a purge's (the desk's copy goes first), or
			 * deleted behind the desk's back. */
			differs = json_integer_value(json_array_get(e, 5)) >
			    cutoff;
		else if (row_error(in))
			differs = 1;	/* the row as taken in is gone */
		else
			err = fail(in, "recheck");
		sqlite3_reset(st);
		/* A row skipped as unreadable ("-") was never compared. */
		differs &= strcmp(was, "-") != 0;
		if (err == TL_OK && differs && flag &&
		    !json_is_true(json_array_get(e, 3)))
			err = tl_desk_flag_changed(d, ref, now);
		if (err == TL_OK && changed != NULL && (differs ||
		    json_is_true(json_array_get(e, 3))))
			json_array_append(changed, json_array_get(e, 1));
		if (err != TL_OK)
			goto out;
		in->recheck_after = json_integer_value(json_array_get(e, 0));
	}
	if (json_array_size(tips) < max) {
		in->recheck_after = 0;
		*wrapped = 1;
	}
out:
	sqlite3_finalize(st);
	json_decref(tips);
	return err;
}

enum tl_err
tl_desk_intake_digest(struct tl_desk_intake *in, const char *ref,
    char out[TL_SEAL_HASH_HEX])
{
	sqlite3_stmt	*st;
	int		 rc;
	enum tl_err	 err;

	if ((err = row_prepare(in, BY_REF, &st)) != TL_OK)
		return err;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		row_digest(st, out);
	else if (rc == SQLITE_DONE)
		err = TL_ENOTFOUND;
	else
		err = fail(in, "digest");
	sqlite3_finalize(st);
	return err;
}

enum tl_err
tl_desk_intake_oldest(struct tl_desk_store *d, struct tl_desk_intake *in,
    int64_t *key, int64_t *at)
{
	int64_t		 tc, mc;
	enum tl_err	 err;

	*key = *at = 0;
	if ((err = tl_desk_cursor(d, &tc)) != TL_OK ||
	    (err = tl_desk_msg_cursor(d, &mc)) != TL_OK)
		return err;
	return tl_desk_intake_oldest_after(in, tc, mc, key, at);
}

enum tl_err
tl_desk_intake_oldest_after(struct tl_desk_intake *in, int64_t tc,
    int64_t mc, int64_t *key, int64_t *at)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;
	enum tl_err	 err = TL_OK;

	*key = *at = 0;
	/* The id and the time only: both in the row's first bytes, read
	 * even when the rest of it is damaged. */
	if ((rc = first_row(in, "SELECT id, received_at FROM tips"
	    " WHERE id > ?1 ORDER BY id LIMIT 1", tc, &st)) == SQLITE_ROW) {
		*key = 2 * sqlite3_column_int64(st, 0);
		*at = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE)
		err = fail(in, "oldest tip");
	sqlite3_finalize(st);
	st = NULL;
	if (err == TL_OK && one_row(in, "SELECT id, at FROM messages"
	    " WHERE id > ?1 ORDER BY id LIMIT 1", mc, &st) && (*key == 0 ||
	    sqlite3_column_int64(st, 1) < *at)) {
		*key = 2 * sqlite3_column_int64(st, 0) + 1;
		*at = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return err;
}

enum tl_err
tl_desk_ingest_lag(struct tl_desk_store *d, struct tl_desk_intake *in,
    int64_t now)
{
	int64_t		 key, at;
	enum tl_err	 err;

	if ((err = tl_desk_intake_oldest(d, in, &key, &at)) != TL_OK)
		return err;
	return tl_desk_pending(d, key, at, now);
}

/* --- messages ---------------------------------------------------------- */

/* The bytes a message's blob can have: its text's bound, padded. */
#define MSG_SEALED_MAX	(TL_SEAL_MSG_MAX + TL_SEAL_BLOCK + \
	TL_SEAL_MSG_OVERHEAD)
/* An end row's: a key, a salt and an end message as hex, sealed. */
#define END_SEALED_MAX	TL_CONV_END_MAX

/* One message row as read, with a copy of its ref and blob. */
struct msg_row {
	struct tl_desk_msg_in	 in;
	char			 ref[TL_REF_SIZE];
	uint8_t			*sealed;
};

/* The most bytes of a message's blob a round reads: a larger one is
 * never loaded (its size is read, not its bytes). */
#define MSG_READ_MAX	(MSG_SEALED_MAX > END_SEALED_MAX ? MSG_SEALED_MAX : \
	END_SEALED_MAX)

/*
 * Reads a message row (columns of msg_sql) into w, checked as hostile
 * input: the reference, author, kind and the blob's size. A row that is
 * not as the schema allows is still taken, with a fault. 0, or -1 out of
 * memory.
 */
static int
read_msg(sqlite3_stmt *st, struct msg_row *w)
{
	const char	*kind = (const char *)sqlite3_column_text(st, 5);
	const void	*blob;
	size_t		 len;

	memset(w, 0, sizeof(*w));
	w->in.intake_id = sqlite3_column_int64(st, 0);
	w->in.tip_intake_id = sqlite3_column_int64(st, 1);
	w->in.author = sqlite3_column_int(st, 3);
	w->in.at = sqlite3_column_int64(st, 4);
	w->in.ref = w->ref;
	if (!col_ref(st, 2, w->ref)) {
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
	if (sqlite3_column_int64(st, 7) < 0) {
		w->in.fault = "its sealed column is not a blob";
		return 0;
	}
	blob = sqlite3_column_blob(st, 6);
	len = (size_t)sqlite3_column_bytes(st, 6);
	if (sqlite3_column_int64(st, 7) > (int64_t)MSG_READ_MAX)
		len = SIZE_MAX;		/* not read: too big */
	else if (blob == NULL)
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

/*
 * The message row after after could not be read (SPEC 16), as skip_bad
 * for a tip: counted as one more try (tl_desk_bad_row, as -id); after
 * READ_TRIES rounds taken in as a flagged message of its tip when what
 * names the tip can still be read (none of its text), else passed, and
 * counted (tl_desk_skip_message). TL_OK when skipped, or it waits for
 * its tip; else TL_ESTORE (tried again next round).
 */
static enum tl_err
skip_bad_msg(struct tl_desk_store *d, struct tl_desk_intake *in,
    const struct tl_seal_secret *sk, int64_t after, int64_t now)
{
	struct tl_desk_msg_in	 m;
	sqlite3_stmt		*st = NULL;
	char			 canon[TL_REF_SIZE], why[160];
	int64_t			 id = 0, tries;
	size_t			 taken, added;
	int			 author;
	enum tl_err		 rc = TL_ESTORE;

	if (one_row(in, "SELECT id FROM messages WHERE id > ?1 ORDER BY id"
	    " LIMIT 1", after, &st))
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (id <= 0 || tl_desk_bad_row(d, -id, &tries) != TL_OK)
		goto out;
	if (tries < READ_TRIES) {
		snprintf(in->err, sizeof(in->err), "message row %lld could "
		    "not be read (%d of %d tries)", (long long)id, (int)tries,
		    READ_TRIES);
		goto out;
	}
	memset(&m, 0, sizeof(m));
	snprintf(canon, sizeof(canon), "-");
	m.intake_id = id;
	m.ref = canon;
	m.author = TL_SEAL_FROM_SENDER;
	m.at = now;
	m.fault = "the intake row could not be read (the intake store is "
	    "damaged): nothing of it is shown";
	if (one_row(in, "SELECT t.id, t.ref, m.author, m.at FROM messages m"
	    " JOIN tips t ON t.id = m.tip_id WHERE m.id = ?1", id, &st) &&
	    col_ref(st, 1, canon)) {
		m.tip_intake_id = sqlite3_column_int64(st, 0);
		author = sqlite3_column_int(st, 2);
		if (author == TL_SEAL_FROM_STAFF)
			m.author = author;
		if (sqlite3_column_int64(st, 3) > 0 &&
		    sqlite3_column_int64(st, 3) <= now)
			m.at = sqlite3_column_int64(st, 3);
	} else
		snprintf(canon, sizeof(canon), "-");
	if ((rc = tl_desk_ingest_messages(d, sk, &m, 1, now, &taken,
	    &added)) != TL_OK || taken == 0)
		goto out;
	snprintf(why, sizeof(why), "intake message row %lld could not be "
	    "read in %d tries; skipped", (long long)id, READ_TRIES);
	if ((rc = tl_desk_skip_message(d, strcmp(canon, "-") != 0 ? canon :
	    NULL, now, why)) == TL_OK)
		fprintf(stderr, "tipline-staff.fcgi: %s%s%s\n", why,
		    added > 0 ? ", flagged on " : "", added > 0 ? canon : "");
out:
	if (rc != TL_OK && in->err[0] == '\0')
		snprintf(in->err, sizeof(in->err), "message skip: %s",
		    tl_desk_store_errmsg(d));
	sqlite3_finalize(st);
	return rc;
}

enum tl_err
tl_desk_ingest_messages_round(struct tl_desk_store *d,
    struct tl_desk_intake *in, const struct tl_seal_secret *sk, size_t max,
    int64_t now, size_t *n)
{
	/* The blob only when it could be a message (?3), and its size. */
	static const char sql[] = "SELECT m.id, t.id, t.ref, m.author, m.at,"
	    " m.kind, CASE WHEN typeof(m.sealed) = 'blob' AND"
	    " length(m.sealed) <= ?3 THEN m.sealed END, CASE typeof(m.sealed)"
	    " WHEN 'blob' THEN length(m.sealed) WHEN 'null' THEN 0 ELSE -1 END"
	    " FROM messages m JOIN tips t ON t.id = m.tip_id"
	    " WHERE m.id > ?1 ORDER BY m.id LIMIT ?2";
	struct msg_row		*rows = calloc(max, sizeof(*rows));
	struct tl_desk_msg_in	*p = calloc(max, sizeof(*p));
	sqlite3_stmt		*st = NULL;
	int64_t			 cursor, last;
	size_t			 k = 0, i, added;
	int			 rc = SQLITE_DONE, bad = 0;
	enum tl_err		 err = TL_ENOMEM;

	*n = 0;
	if (rows == NULL || p == NULL)
		goto out;
	if ((err = tl_desk_msg_cursor(d, &cursor)) != TL_OK ||
	    (err = went_back(d, in, 1, now, &cursor)) != TL_OK)
		goto out;
	if (sqlite3_prepare_v2(in->db, sql, -1, &st, NULL) != SQLITE_OK) {
		err = fail(in, "read messages");
		goto out;
	}
	sqlite3_bind_int64(st, 1, cursor);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	sqlite3_bind_int64(st, 3, (int64_t)MSG_READ_MAX);
	while (k < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (read_msg(st, &rows[k]) < 0) {
			err = TL_ENOMEM;
			goto out;
		}
		p[k] = rows[k].in;
		k++;
	}
	if (k < max && rc != SQLITE_DONE) {
		/* One row that cannot be read stops no other: those
		 * before it go in, and it is tried again, then skipped. */
		err = fail(in, "read messages");
		if (!(bad = row_error(in)))
			goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	last = k > 0 ? p[k - 1].intake_id : cursor;
	if (k > 0 && (err = tl_desk_ingest_messages(d, sk, p, k, now, n,
	    &added)) != TL_OK)
		goto out;
	/* The bad row waits while one before it waits for its tip. */
	if (bad)
		err = *n < k ? TL_OK : skip_bad_msg(d, in, sk, last, now);
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
	    tl_store_harden(db) == -1 || sqlite3_exec(db, "PRAGMA mmap_size"
	    " = 0; PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "intake store: %s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close_v2(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}
