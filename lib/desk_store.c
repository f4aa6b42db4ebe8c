/*
 * desk_store.c — the desk's own store (see desk_store.h): opening and
 * schema, ingest of opened tips with their entities and full-text rows,
 * staff changes with their history and audit entries, purge, reminders
 * and the heartbeat. Reading lives in desk_query.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "desk_impl.h"
#include "entity.h"
#include "ref.h"
#include "utf8.h"

#define BUSY_MS		5000
#define EXCERPT_BYTES	160	/* of the description, cut at a space */

static const char *const state_names[TL_DESK__MAX] = {
	[TL_DESK_NEW] = "new",
	[TL_DESK_IN_REVIEW] = "in_review",
	[TL_DESK_ACTIONED] = "actioned",
	[TL_DESK_CLOSED] = "closed",
};

/*
 * Schema steps: migrations[i] takes user_version i to i + 1. Append only.
 * tips.fields is a JSON object of every field the tip holds (name to
 * value), so a field added to the form needs no step here; NULL when the
 * tip's seal did not open (tips.fault says why). tips.hot is 1 for an
 * urgent tip not yet actioned or closed: the queue's first part.
 */
static const char *const migrations[] = {
	"CREATE TABLE tips ("
	" id INTEGER PRIMARY KEY,"
	" ref TEXT NOT NULL UNIQUE,"
	" intake_id INTEGER NOT NULL,"
	" received_at INTEGER NOT NULL,"
	" ingested_at INTEGER NOT NULL,"
	" priority TEXT NOT NULL CHECK (priority IN ('urgent', 'normal')),"
	" concerns TEXT NOT NULL DEFAULT '',"
	" area TEXT,"
	" fields TEXT,"
	" excerpt TEXT NOT NULL DEFAULT '',"
	" fault TEXT,"
	" digest TEXT NOT NULL,"
	" changed INTEGER NOT NULL DEFAULT 0,"
	" updated INTEGER NOT NULL DEFAULT 0,"
	" state TEXT NOT NULL DEFAULT 'new'"
	"  CHECK (state IN ('new', 'in_review', 'actioned', 'closed')),"
	" hot INTEGER NOT NULL,"
	" assignee TEXT,"
	" grade_source TEXT CHECK (grade_source IN ('1', '2', '3')),"
	" grade_intel TEXT CHECK (grade_intel IN ('A','B','C','D','E')),"
	" grade_handling TEXT CHECK (grade_handling IN ('P', 'C')),"
	" first_opened_at INTEGER,"
	" actioned_at INTEGER,"
	" reminded_at INTEGER);"
	/* Scanned backwards for the queue: hot, newest, id, all DESC. */
	"CREATE INDEX tips_queue ON tips (hot, received_at);"
	/* The queue filtered by state, assignee or area, in its order. */
	"CREATE INDEX tips_state ON tips (state, hot, received_at);"
	"CREATE INDEX tips_priority ON tips (priority, hot, received_at);"
	"CREATE INDEX tips_priority_state"
	" ON tips (priority, state, hot, received_at);"
	"CREATE INDEX tips_assignee ON tips (assignee, hot, received_at)"
	" WHERE assignee IS NOT NULL;"
	"CREATE INDEX tips_area ON tips (area, hot, received_at);"
	"CREATE INDEX tips_received ON tips (received_at);"
	"CREATE TABLE notes ("
	" id INTEGER PRIMARY KEY,"
	" tip_id INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,"
	" at INTEGER NOT NULL,"
	" author TEXT NOT NULL,"
	" text TEXT NOT NULL);"
	"CREATE INDEX notes_tip ON notes (tip_id);"
	"CREATE TABLE history ("
	" id INTEGER PRIMARY KEY,"
	" tip_id INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,"
	" at INTEGER NOT NULL,"
	" author TEXT NOT NULL,"
	" from_state TEXT NOT NULL,"
	" to_state TEXT NOT NULL,"
	" note TEXT);"
	"CREATE INDEX history_tip ON history (tip_id);"
	"CREATE TABLE entities ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"
	" value TEXT NOT NULL,"
	" UNIQUE (kind, value));"
	"CREATE TABLE tip_entities ("
	" entity_id INTEGER NOT NULL REFERENCES entities (id),"
	" tip_id INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,"
	" PRIMARY KEY (entity_id, tip_id)) WITHOUT ROWID;"
	"CREATE INDEX tip_entities_tip ON tip_entities (tip_id);"
	"CREATE VIRTUAL TABLE fts USING fts5(body, notes,"
	" tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" at INTEGER NOT NULL,"
	" who TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" ref TEXT,"
	" detail TEXT);"
	"CREATE INDEX audit_ref ON audit (ref, at);"
	"CREATE INDEX audit_at ON audit (at);"
	"CREATE TABLE audit_guard ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" purge_before INTEGER);"
	"INSERT INTO audit_guard VALUES (1, NULL);"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
	" SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	" WHEN (SELECT purge_before FROM audit_guard) IS NULL"
	"  OR OLD.at >= (SELECT purge_before FROM audit_guard) BEGIN"
	" SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TABLE meta ("
	" key TEXT PRIMARY KEY,"
	" value INTEGER NOT NULL);"
	"INSERT INTO meta VALUES ('intake_cursor', 0), ('heartbeat', 0);",
	/*
	 * 2: the conversation with the sender (SPEC 13). A tip keeps its
	 * sender's public key when its blob opened (the blob is bound to
	 * the key's commitment, so an opened blob proves the key), or the
	 * commitment alone when the sender had ended the conversation
	 * before ingest; ended_at once an end row is taken in. messages
	 * holds each message once (intake_id: its id in the intake store),
	 * opened: its text, or a fault and no text. staff: the name of the
	 * staff member who asked, known only to this desk. updated (step
	 * 1) says a sender wrote since staff last opened the tip, and
	 * queue_at is the time the queue orders by: received_at, or the
	 * sender's newest message while updated.
	 */
	"ALTER TABLE tips ADD COLUMN sender_pk BLOB;"
	"ALTER TABLE tips ADD COLUMN sender_commit BLOB;"
	"ALTER TABLE tips ADD COLUMN ended_at INTEGER;"
	"ALTER TABLE tips ADD COLUMN queue_at INTEGER NOT NULL DEFAULT 0;"
	"UPDATE tips SET queue_at = received_at;"
	"DROP INDEX tips_queue;"
	"DROP INDEX tips_state;"
	"DROP INDEX tips_priority;"
	"DROP INDEX tips_priority_state;"
	"DROP INDEX tips_assignee;"
	"DROP INDEX tips_area;"
	"CREATE INDEX tips_queue ON tips (hot, queue_at);"
	"CREATE INDEX tips_state ON tips (state, hot, queue_at);"
	"CREATE INDEX tips_priority ON tips (priority, hot, queue_at);"
	"CREATE INDEX tips_priority_state"
	" ON tips (priority, state, hot, queue_at);"
	"CREATE INDEX tips_assignee ON tips (assignee, hot, queue_at)"
	" WHERE assignee IS NOT NULL;"
	"CREATE INDEX tips_area ON tips (area, hot, queue_at);"
	"CREATE TABLE messages ("
	" id INTEGER PRIMARY KEY,"
	" tip_id INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,"
	" intake_id INTEGER NOT NULL UNIQUE,"
	" author INTEGER NOT NULL CHECK (author IN (1, 2)),"
	" at INTEGER NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('text', 'end')),"
	" text TEXT,"
	" fault TEXT,"
	" staff TEXT,"
	" CHECK (kind = 'end' OR (text IS NULL) <> (fault IS NULL)));"
	"CREATE INDEX messages_tip ON messages (tip_id, intake_id);"
	"CREATE VIRTUAL TABLE msg_fts USING fts5(text,"
	" tokenize = 'unicode61 remove_diacritics 2');"
	"INSERT INTO meta VALUES ('message_cursor', 0);",
	/*
	 * 3: ingest never stalls on one row (SPEC 16). ingest_bad_id and
	 * ingest_bad_tries: the intake row that could not be read and the
	 * rounds that tried it; ingest_skipped: rows given up on;
	 * ingest_pending_id (2 * a tip's intake id, or 2 * a message's +
	 * 1) and ingest_pending_since: the oldest item not yet taken in
	 * and since when the desk knows it waits (0: none), for the lag.
	 */
	"INSERT INTO meta VALUES ('ingest_bad_id', 0), ('ingest_bad_tries', 0),"
	" ('ingest_skipped', 0), ('ingest_pending_id', 0),"
	" ('ingest_pending_since', 0);",
	/*
	 * 4: ingest trusts no id to rise (SPEC 16). ingest_found: intake
	 * rows found below the cursor that the desk lacked (their ids
	 * changed), taken in and flagged; ingest_backwards: times the
	 * intake store's ids went below the cursor (sqlite_sequence set
	 * back, or an older store restored), each a rewind of the cursor;
	 * purge_cutoff: the latest purge's, whose older rows the sweep
	 * below the cursor leaves to the purge, and a recheck does not
	 * miss.
	 */
	"INSERT INTO meta VALUES ('ingest_found', 0), ('ingest_backwards', 0),"
	" ('purge_cutoff', 0);",
};
#define SCHEMA_VERSION	((int)(sizeof(migrations) / sizeof(migrations[0])))

const char *
tl_desk_state_name(enum tl_desk_state s)
{
	return (unsigned)s < TL_DESK__MAX ? state_names[s] : "unknown";
}

int
tl_desk_state_parse(const char *name)
{
	int	 i;

	for (i = 0; name != NULL && i < TL_DESK__MAX; i++)
		if (strcmp(name, state_names[i]) == 0)
			return i;
	return -1;
}

enum tl_err
tl_desk_fail(struct tl_desk_store *d, const char *what)
{
	snprintf(d->err, sizeof(d->err), "%.60s: %s", what,
	    d->db != NULL ? sqlite3_errmsg(d->db) : "not open");
	return TL_ESTORE;
}

enum tl_err
tl_desk_prep(struct tl_desk_store *d, const char *sql, sqlite3_stmt **st)
{
	*st = NULL;
	if (sqlite3_prepare_v2(d->db, sql, -1, st, NULL) == SQLITE_OK)
		return TL_OK;
	sqlite3_finalize(*st);
	*st = NULL;
	return tl_desk_fail(d, sql);
}

void
tl_desk_bind(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

json_t *
tl_desk_col_json(sqlite3_stmt *st, int i)
{
	const char	*s = (const char *)sqlite3_column_text(st, i);
	struct tl_buf	 b = TL_BUF_INIT;
	json_t		*j;
	size_t		 n;

	if (s == NULL)
		return json_null();
	n = strlen(s);
	if (tl_utf8_valid(s, n))
		return json_stringn(s, n);
	tl_utf8_repair(&b, s, n);
	j = tl_buf_ok(&b) ? json_stringn(b.data, b.len) : NULL;
	tl_buf_free(&b);
	return j;
}

const char *
tl_desk_col(sqlite3_stmt *st, int i)
{
	const unsigned char	*s = sqlite3_column_text(st, i);

	return s != NULL ? (const char *)s : "";
}

const char *
tl_desk_store_errmsg(const struct tl_desk_store *d)
{
	return d->err;
}

enum tl_err
tl_desk_exec(struct tl_desk_store *d, const char *sql)
{
	if (sqlite3_exec(d->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return TL_OK;
	return tl_desk_fail(d, sql);
}

void
tl_desk_rollback(struct tl_desk_store *d)
{
	if (!sqlite3_get_autocommit(d->db))
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs the schema steps the file has not had: TL_OK or TL_ESTORE. */
static enum tl_err
migrate(struct tl_desk_store *d)
{
	sqlite3_stmt	*st;
	int		 v;
	char		 sql[48];

	if (tl_desk_exec(d, "BEGIN IMMEDIATE") != TL_OK)
		return TL_ESTORE;
	if (tl_desk_prep(d, "PRAGMA user_version", &st) != TL_OK)
		goto fail;
	v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (v < 0 || v > SCHEMA_VERSION) {
		snprintf(d->err, sizeof(d->err), "the desk's store has schema "
		    "%d; this program knows %d", v, SCHEMA_VERSION);
		goto fail;
	}
	for (; v < SCHEMA_VERSION; v++)
		if (tl_desk_exec(d, migrations[v]) != TL_OK)
			goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	if (tl_desk_exec(d, sql) != TL_OK || tl_desk_exec(d, "COMMIT") != TL_OK)
		goto fail;
	return TL_OK;
fail:
	tl_desk_rollback(d);
	return TL_ESTORE;
}

enum tl_err
tl_desk_store_open(const char *path, struct tl_desk_store **out, char *err,
    size_t errlen)
{
	struct tl_desk_store	*d;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return TL_ENOMEM;
	}
	if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		tl_desk_fail(d, path);
		goto fail;
	}
	sqlite3_busy_timeout(d->db, BUSY_MS);
	if (tl_desk_exec(d, "PRAGMA journal_mode = WAL") != TL_OK ||
	    tl_desk_exec(d, "PRAGMA synchronous = FULL") != TL_OK ||
	    tl_desk_exec(d, "PRAGMA foreign_keys = ON") != TL_OK ||
	    tl_desk_exec(d, "PRAGMA secure_delete = ON") != TL_OK ||
	    tl_desk_exec(d, "PRAGMA trusted_schema = OFF") != TL_OK ||
	    migrate(d) != TL_OK)
		goto fail;
	*out = d;
	return TL_OK;
fail:
	snprintf(err, errlen, "%s: %s", path, d->err);
	tl_desk_store_close(d);
	return TL_ESTORE;
}

void
tl_desk_store_close(struct tl_desk_store *d)
{
	if (d == NULL)
		return;
	sqlite3_close_v2(d->db);
	free(d);
}

enum tl_err
tl_desk_meta_get(struct tl_desk_store *d, const char *key, int64_t *v)
{
	sqlite3_stmt	*st;
	enum tl_err	 rc = TL_ESTORE;

	if (tl_desk_prep(d, "SELECT value FROM meta WHERE key = ?", &st)
	    != TL_OK)
		return TL_ESTORE;
	tl_desk_bind(st, 1, key);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = TL_OK;
	} else
		tl_desk_fail(d, key);
	sqlite3_finalize(st);
	return rc;
}

enum tl_err
tl_desk_meta_set(struct tl_desk_store *d, const char *key, int64_t v)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (tl_desk_prep(d, "UPDATE meta SET value = ? WHERE key = ?", &st)
	    != TL_OK)
		return TL_ESTORE;
	sqlite3_bind_int64(st, 1, v);
	tl_desk_bind(st, 2, key);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? TL_OK : tl_desk_fail(d, key);
}

enum tl_err
tl_desk_cursor(struct tl_desk_store *d, int64_t *cursor)
{
	return tl_desk_meta_get(d, "intake_cursor", cursor);
}

enum tl_err
tl_desk_heartbeat(struct tl_desk_store *d, int64_t now)
{
	return tl_desk_meta_set(d, "heartbeat", now);
}

enum tl_err
tl_desk_heartbeat_at(struct tl_desk_store *d, int64_t *at)
{
	return tl_desk_meta_get(d, "heartbeat", at);
}

enum tl_err
tl_desk_flagged(struct tl_desk_store *d, int64_t *n)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (tl_desk_prep(d, "SELECT count(*) FROM tips WHERE changed = 1"
	    " OR fault IS NOT NULL OR id IN (SELECT tip_id FROM messages"
	    " WHERE fault IS NOT NULL)", &st) != TL_OK)
		return TL_ESTORE;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? TL_OK : tl_desk_fail(d, "flagged");
}

enum tl_err
tl_desk_health(struct tl_desk_store *d)
{
	int64_t	 v;

	return tl_desk_meta_get(d, "heartbeat", &v);
}

/* --- the audit log ---------------------------------------------------- */

enum tl_err
tl_desk_audit(struct tl_desk_store *d, int64_t now, const char *who,
    const char *action, const char *ref, const char *detail)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (tl_desk_prep(d, "INSERT INTO audit (at, who, action, ref, detail)"
	    " VALUES (?, ?, ?, ?, ?)", &st) != TL_OK)
		return TL_ESTORE;
	sqlite3_bind_int64(st, 1, now);
	tl_desk_bind(st, 2, who);
	tl_desk_bind(st, 3, action);
	tl_desk_bind(st, 4, ref);
	if (detail == NULL || *detail == '\0')
		sqlite3_bind_null(st, 5);
	else
		sqlite3_bind_text(st, 5, detail, (int)tl_utf8_cut(detail,
		    strlen(detail), TL_DESK_DETAIL_MAX), SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? TL_OK : tl_desk_fail(d, "audit");
}

/* --- ingest ----------------------------------------------------------- */

static enum tl_err run_sql(struct tl_desk_store *, const char *,
	    const char *const *, int, const int64_t *, int);

/* Statements of one ingest batch, prepared once for it. */
enum { IN_FIND, IN_FLAG, IN_TIP, IN_FTS, IN_ENT, IN_LINK, IN__MAX };
static const char *const ingest_sql[IN__MAX] = {
	[IN_FIND] = "SELECT digest, changed FROM tips WHERE ref = ?",
	[IN_FLAG] = "UPDATE tips SET changed = 1 WHERE ref = ?",
	[IN_TIP] = "INSERT INTO tips (ref, intake_id, received_at,"
	    " ingested_at, priority, concerns, area, fields, excerpt, fault,"
	    " digest, hot, sender_pk, sender_commit, queue_at) VALUES (?1,"
	    " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?3)",
	[IN_FTS] = "INSERT INTO fts (rowid, body, notes) VALUES (?, ?, '')",
	[IN_ENT] = "INSERT INTO entities (kind, value) VALUES (?, ?)"
	    " ON CONFLICT (kind, value) DO UPDATE SET kind = excluded.kind"
	    " RETURNING id",
	[IN_LINK] = "INSERT OR IGNORE INTO tip_entities (entity_id, tip_id)"
	    " VALUES (?, ?)",
};

struct ingest {
	struct tl_desk_store	*d;
	sqlite3_stmt		*st[IN__MAX];
	int64_t			 tip_id;
	enum tl_err		 rc;
};

/* Runs st to its end and resets it: 1 when it ended well. */
static int
run(sqlite3_stmt *st)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE;
}

/* tl_entity_fn: indexes one entity of the tip being ingested. */
static int
add_entity(void *arg, enum tl_entity_kind kind, const char *value)
{
	struct ingest	*in = arg;
	sqlite3_stmt	*e = in->st[IN_ENT], *l = in->st[IN_LINK];
	int64_t		 id;

	tl_desk_bind(e, 1, tl_entity_kind_name(kind));
	tl_desk_bind(e, 2, value);
	if (sqlite3_step(e) != SQLITE_ROW) {
		sqlite3_reset(e);
		in->rc = tl_desk_fail(in->d, "entity");
		return 1;
	}
	id = sqlite3_column_int64(e, 0);
	sqlite3_reset(e);
	sqlite3_bind_int64(l, 1, id);
	sqlite3_bind_int64(l, 2, in->tip_id);
	if (!run(l)) {
		in->rc = tl_desk_fail(in->d, "entity link");
		return 1;
	}
	return 0;
}

/* The entities of every written field of r. Phones are each one number
 * (normalised at intake); the rest is free text. */
static void
index_entities(struct ingest *in, const struct tl_report *r)
{
	char		 v[TL_ENTITY_MAX];
	size_t		 i;

	for (i = 0; i < r->nphones && in->rc == TL_OK; i++)
		if (tl_entity_normalise(TL_ENT_PHONE, r->phones[i], v) == TL_OK)
			add_entity(in, TL_ENT_PHONE, v);
		else
			tl_entity_extract(r->phones[i], add_entity, in);
	for (i = 0; i < TL_F__MAX && in->rc == TL_OK; i++) {
		if (r->value[i] == NULL || tl_fields[i].kind == TL_K_CHOICE ||
		    tl_fields[i].kind == TL_K_MULTI ||
		    (i == TL_F_PHONES && r->nphones > 0))
			continue;
		tl_entity_extract(r->value[i], add_entity, in);
	}
}

/* The description's first words into b (at most EXCERPT_BYTES, cut at
 * a space, never inside a character). */
static void
excerpt(struct tl_buf *b, const char *s)
{
	size_t	 n = strlen(s), cut;

	if (n <= EXCERPT_BYTES) {
		tl_buf_puts(b, s);
		return;
	}
	for (cut = EXCERPT_BYTES; cut > 0 && s[cut] != ' '; cut--)
		;
	if (cut == 0)
		for (cut = EXCERPT_BYTES; cut > 0 &&
		    ((unsigned char)s[cut] & 0xc0) == 0x80; cut--)
			;
	tl_buf_add(b, s, cut);
	tl_buf_puts(b, "\xe2\x80\xa6");
}

/*
 * r's fields as a JSON object's text (*fields, free()), the text the
 * full-text index holds (body) and the excerpt. TL_OK or TL_ENOMEM.
 */
static enum tl_err
tip_texts(const struct tl_report *r, char **fields, struct tl_buf *body,
    struct tl_buf *ex)
{
	json_t	*o = json_object();
	size_t	 i;
	int	 bad = o == NULL;

	for (i = 0; i < TL_F__MAX && !bad; i++) {
		if (r->value[i] == NULL)
			continue;
		bad |= json_object_set_new(o, tl_fields[i].name,
		    json_string(r->value[i])) != 0;
		if (tl_fields[i].kind != TL_K_CHOICE &&
		    tl_fields[i].kind != TL_K_MULTI) {
			tl_buf_puts(body, r->value[i]);
			tl_buf_putc(body, '\n');
		}
	}
	tl_buf_puts(body, "");
	tl_buf_puts(ex, "");
	if (r->value[TL_F_DESCRIPTION] != NULL)
		excerpt(ex, r->value[TL_F_DESCRIPTION]);
	*fields = bad ? NULL : json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return *fields != NULL && tl_buf_ok(body) && tl_buf_ok(ex) ? TL_OK :
	    TL_ENOMEM;
}

/* Whether t's ref is held: 1 (flagged if its digest differs), 0 not,
 * -1 on failure. */
static int
held(struct ingest *in, const struct tl_desk_in *t, int64_t now)
{
	sqlite3_stmt	*f = in->st[IN_FIND];
	int		 rc, differs = 0;

	tl_desk_bind(f, 1, t->ref);
	if ((rc = sqlite3_step(f)) == SQLITE_ROW)
		differs = strcmp(tl_desk_col(f, 0), t->digest) != 0 &&
		    sqlite3_column_int(f, 1) == 0;
	sqlite3_reset(f);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		in->rc = tl_desk_fail(in->d, "find");
		return -1;
	}
	if (!differs)
		return rc == SQLITE_ROW;
	tl_desk_bind(in->st[IN_FLAG], 1, t->ref);
	if (!run(in->st[IN_FLAG]) || tl_desk_audit(in->d, now, "tipline-staff",
	    "ingest_changed", t->ref, "the intake row changed after ingest; "
	    "the desk keeps its first copy") != TL_OK) {
		in->rc = tl_desk_fail(in->d, "flag");
		return -1;
	}
	return 1;
}

/* Inserts one new tip with its full-text row and entities. */
static void
insert_tip(struct ingest *in, const struct tl_desk_in *t, int64_t now)
{
	sqlite3_stmt	*s = in->st[IN_TIP];
	struct tl_buf	 body = TL_BUF_INIT, ex = TL_BUF_INIT;
	char		*fields = NULL;
	const char	*concerns = NULL;
	enum tl_priority prio;

	if (t->report != NULL) {
		if ((in->rc = tip_texts(t->report, &fields, &body, &ex)) !=
		    TL_OK)
			goto out;
		concerns = t->report->value[TL_F_CONCERNS];
	}
	tl_desk_bind(s, 1, t->ref);
	sqlite3_bind_int64(s, 2, t->intake_id);
	sqlite3_bind_int64(s, 3, t->received_at);
	sqlite3_bind_int64(s, 4, now);
	/* A tip whose content did not open cannot prove its priority
	 * column: urgent when in doubt (SPEC 16). */
	prio = t->report == NULL ? TL_PRIO_URGENT : t->priority;
	tl_desk_bind(s, 5, tl_priority_name(prio));
	tl_desk_bind(s, 6, concerns != NULL ? concerns : "");
	tl_desk_bind(s, 7, t->area != NULL && *t->area != '\0' ? t->area :
	    NULL);
	tl_desk_bind(s, 8, fields);
	tl_desk_bind(s, 9, ex.data != NULL ? ex.data : "");
	tl_desk_bind(s, 10, t->report == NULL ? (t->fault != NULL ?
	    t->fault : "did not open") : NULL);
	tl_desk_bind(s, 11, t->digest);
	sqlite3_bind_int(s, 12, prio == TL_PRIO_URGENT);
	/* The key only with the content it was proven by. (A reset keeps
	 * bindings: each is set, or cleared, for every tip.) */
	if (t->report != NULL && t->sender_pk != NULL)
		sqlite3_bind_blob(s, 13, t->sender_pk, TL_SEAL_KEYBYTES,
		    SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 13);
	if (t->report != NULL && t->sender_commit != NULL)
		sqlite3_bind_blob(s, 14, t->sender_commit, TL_SEAL_COMMITBYTES,
		    SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 14);
	if (!run(s)) {
		in->rc = tl_desk_fail(in->d, "ingest");
		goto out;
	}
	in->tip_id = sqlite3_last_insert_rowid(in->d->db);
	if (t->report == NULL)
		goto out;
	sqlite3_bind_int64(in->st[IN_FTS], 1, in->tip_id);
	tl_desk_bind(in->st[IN_FTS], 2, body.data);
	if (!run(in->st[IN_FTS])) {
		in->rc = tl_desk_fail(in->d, "full-text index");
		goto out;
	}
	index_entities(in, t->report);
out:
	free(fields);
	tl_buf_free(&body);
	tl_buf_free(&ex);
}

/* Flags the tip found below the cursor, t, as changed, audited. */
static void
found_tip(struct ingest *in, const struct tl_desk_in *t, int64_t now)
{
	tl_desk_bind(in->st[IN_FLAG], 1, t->ref);
	if (!run(in->st[IN_FLAG]))
		in->rc = tl_desk_fail(in->d, "flag");
	else
		in->rc = tl_desk_audit(in->d, now, "tipline-staff",
		    "ingest_found", t->ref, "the intake row was found below "
		    "the ingest cursor (its id was changed, or the intake "
		    "store's ids went backwards): taken in late, flagged");
}

/*
 * One ingest transaction: tips[0..n) as tl_desk_ingest() says, the
 * cursor moved to cursor; with skipped (why an intake row was given up
 * on), the skip counted and audited in the same transaction. With found
 * (rows found below the cursor), the cursor stays, and each new tip is
 * flagged, audited and counted in ingest_found.
 */
static enum tl_err
ingest_txf(struct tl_desk_store *d, const struct tl_desk_in *const *tips,
    size_t n, int64_t cursor, int64_t now, size_t *added,
    const char *skipped, int found)
{
	struct ingest	 in;
	size_t		 i;
	int		 h;

	memset(&in, 0, sizeof(in));
	in.d = d;
	*added = 0;
	if (tl_desk_exec(d, "BEGIN IMMEDIATE") != TL_OK)
		return TL_ESTORE;
	for (i = 0; i < IN__MAX && in.rc == TL_OK; i++)
		in.rc = tl_desk_prep(d, ingest_sql[i], &in.st[i]);
	for (i = 0; i < n && in.rc == TL_OK; i++) {
		if ((h = held(&in, tips[i], now)) != 0)
			continue;
		insert_tip(&in, tips[i], now);
		if (in.rc == TL_OK && found)
			found_tip(&in, tips[i], now);
		*added += in.rc == TL_OK;
	}
	if (in.rc == TL_OK && !found)
		in.rc = tl_desk_meta_set(d, "intake_cursor", cursor);
	if (in.rc == TL_OK && found)
		in.rc = run_sql(d, "UPDATE meta SET value = value + ?1"
		    " WHERE key = 'ingest_found'", NULL, 0,
		    (const int64_t[]){ (int64_t)*added }, 1);
	if (in.rc == TL_OK && skipped != NULL)
		in.rc = run_sql(d, "UPDATE meta SET value = CASE key"
		    " WHEN 'ingest_skipped' THEN value + 1 ELSE 0 END"
		    " WHERE key IN ('ingest_skipped', 'ingest_bad_id',"
		    " 'ingest_bad_tries')", NULL, 0, NULL, 0);
	if (in.rc == TL_OK && skipped != NULL)
		in.rc = tl_desk_audit(d, now, "tipline-staff", "ingest_skipped",
		    n > 0 ? tips[0]->ref : NULL, skipped);
	for (i = 0; i < IN__MAX; i++)
		sqlite3_finalize(in.st[i]);
	if (in.rc == TL_OK && tl_desk_exec(d, "COMMIT") == TL_OK)
		return TL_OK;
	tl_desk_rollback(d);
	*added = 0;
	return in.rc != TL_OK ? in.rc : TL_ESTORE;
}

/* ingest_txf() of rows after the cursor. */
static enum tl_err
ingest_tx(struct tl_desk_store *d, const struct tl_desk_in *const *tips,
    size_t n, int64_t cursor, int64_t now, size_t *added,
    const char *skipped)
{
	return ingest_txf(d, tips, n, cursor, now, added, skipped, 0);
}

enum tl_err
tl_desk_ingest_found(struct tl_desk_store *d,
    const struct tl_desk_in *const *tips, size_t n, int64_t now,
    size_t *added)
{
	return ingest_txf(d, tips, n, 0, now, added, NULL, 1);
}

enum tl_err
tl_desk_holds(struct tl_desk_store *d, const char *ref, int *held)
{
	sqlite3_stmt	*st;
	int		 rc;

	*held = 0;
	if (tl_desk_prep(d, "SELECT 1 FROM tips WHERE ref = ?1", &st) !=
	    TL_OK)
		return TL_ESTORE;
	tl_desk_bind(st, 1, ref);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	*held = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? TL_OK :
	    tl_desk_fail(d, "holds");
}

enum tl_err
tl_desk_rewind(struct tl_desk_store *d, int messages, int64_t seq,
    int64_t now, int64_t *cursor)
{
	const char	*key = messages ? "message_cursor" : "intake_cursor";
	sqlite3_stmt	*st;
	char		 why[160];
	int64_t		 was = 0;
	enum tl_err	 rc;

	*cursor = 0;
	if (tl_desk_exec(d, "BEGIN IMMEDIATE") != TL_OK)
		return TL_ESTORE;
	if ((rc = tl_desk_meta_get(d, key, &was)) == TL_OK &&
	    (rc = tl_desk_prep(d, messages ? "SELECT coalesce(max(intake_id),"
	    " 0) FROM messages WHERE intake_id <= ?1" : "SELECT"
	    " coalesce(max(intake_id), 0) FROM tips WHERE intake_id <= ?1",
	    &st)) == TL_OK) {
		sqlite3_bind_int64(st, 1, seq);
		if (sqlite3_step(st) == SQLITE_ROW)
			*cursor = sqlite3_column_int64(st, 0);
		else
			rc = tl_desk_fail(d, "rewind");
		sqlite3_finalize(st);
	}
	if (rc == TL_OK)
		rc = tl_desk_meta_set(d, key, *cursor);
	if (rc == TL_OK)
		rc = run_sql(d, "UPDATE meta SET value = value + 1"
		    " WHERE key = 'ingest_backwards'", NULL, 0, NULL, 0);
	snprintf(why, sizeof(why), "the intake store's %s ids went back to "
	    "%lld, below the ingest cursor %lld; cursor rewound to %lld",
	    messages ? "message" : "tip", (long long)seq, (long long)was,
	    (long long)*cursor);
	if (rc == TL_OK)
		rc = tl_desk_audit(d, now, "tipline-staff", "ingest_backwards",
		    NULL, why);
	if (rc == TL_OK && tl_desk_exec(d, "COMMIT") == TL_OK)
		return TL_OK;
	tl_desk_rollback(d);
	return rc != TL_OK ? rc : TL_ESTORE;
}

enum tl_err
tl_desk_skip_message(struct tl_desk_store *d, const char *ref, int64_t now,
    const char *why)
{
	enum tl_err	 rc;

	if (tl_desk_exec(d, "BEGIN IMMEDIATE") != TL_OK)
		return TL_ESTORE;
	rc = run_sql(d, "UPDATE meta SET value = CASE key"
	    " WHEN 'ingest_skipped' THEN value + 1 ELSE 0 END"
	    " WHERE key IN ('ingest_skipped', 'ingest_bad_id',"
	    " 'ingest_bad_tries')", NULL, 0, NULL, 0);
	if (rc == TL_OK)
		rc = tl_desk_audit(d, now, "tipline-staff", "ingest_skipped",
		    ref, why);
	if (rc == TL_OK && tl_desk_exec(d, "COMMIT") == TL_OK)
		return TL_OK;
	tl_desk_rollback(d);
	return rc != TL_OK ? rc : TL_ESTORE;
}

enum tl_err
tl_desk_ingest_odd(struct tl_desk_store *d, int64_t *found,
    int64_t *backwards, int64_t *purge_cutoff)
{
	enum tl_err	 rc;

	if ((rc = tl_desk_meta_get(d, "ingest_found", found)) != TL_OK ||
	    (rc = tl_desk_meta_get(d, "ingest_backwards", backwards)) !=
	    TL_OK)
		return rc;
	return tl_desk_meta_get(d, "purge_cutoff", purge_cutoff);
}

enum tl_err
tl_desk_ingest(struct tl_desk_store *d, const struct tl_desk_in *const *tips,
    size_t n, int64_t cursor, int64_t now, size_t *added)
{
	return ingest_tx(d, tips, n, cursor, now, added, NULL);
}

enum tl_err
tl_desk_skip(struct tl_desk_store *d, const struct tl_desk_in *t,
    int64_t cursor, int64_t now, const char *why)
{
	size_t	 added;

	return ingest_tx(d, t != NULL ? &t : NULL, t != NULL, cursor, now,
	    &added, why);
}

enum tl_err
tl_desk_bad_row(struct tl_desk_store *d, int64_t id, int64_t *tries)
{
	int64_t		 was, n;
	enum tl_err	 rc;

	if ((rc = tl_desk_meta_get(d, "ingest_bad_id", &was)) != TL_OK ||
	    (rc = tl_desk_meta_get(d, "ingest_bad_tries", &n)) != TL_OK)
		return rc;
	*tries = was == id ? n + 1 : 1;
	if ((rc = tl_desk_meta_set(d, "ingest_bad_id", id)) != TL_OK)
		return rc;
	return tl_desk_meta_set(d, "ingest_bad_tries", *tries);
}

enum tl_err
tl_desk_pending(struct tl_desk_store *d, int64_t key, int64_t at,
    int64_t now)
{
	int64_t		 was, since;
	enum tl_err	 rc;

	if (key == 0)
		since = 0;
	else {
		if ((rc = tl_desk_meta_get(d, "ingest_pending_id", &was)) !=
		    TL_OK || (rc = tl_desk_meta_get(d,
		    "ingest_pending_since", &since)) != TL_OK)
			return rc;
		/* The row's own time, never later than the desk has known
		 * it waits: a row dated in the future hides no lag. */
		if (at > now || at <= 0)
			at = now;
		if (was != key || since == 0 || at < since)
			since = at;
	}
	if ((rc = tl_desk_meta_set(d, "ingest_pending_id", key)) != TL_OK)
		return rc;
	return tl_desk_meta_set(d, "ingest_pending_since", since);
}

enum tl_err
tl_desk_ingest_state(struct tl_desk_store *d, int64_t *skipped,
    int64_t *pending_since)
{
	enum tl_err	 rc;

	if ((rc = tl_desk_meta_get(d, "ingest_skipped", skipped)) != TL_OK)
		return rc;
	return tl_desk_meta_get(d, "ingest_pending_since", pending_since);
}

enum tl_err
tl_desk_digests(struct tl_desk_store *d, int64_t after, size_t max,
    json_t **out)
{
	sqlite3_stmt	*st;
	json_t		*a = json_array();
	int		 rc, oom = a == NULL;

	*out = NULL;
	if (tl_desk_prep(d, "SELECT id, ref, digest, changed, intake_id,"
	    " received_at FROM tips WHERE id > ?1 ORDER BY id LIMIT ?2",
	    &st) != TL_OK) {
		json_decref(a);
		return TL_ESTORE;
	}
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW)
		oom = json_array_append_new(a, json_pack("[I,s,s,b,I,I]",
		    sqlite3_column_int64(st, 0), tl_desk_col(st, 1),
		    tl_desk_col(st, 2), sqlite3_column_int(st, 3),
		    sqlite3_column_int64(st, 4),
		    sqlite3_column_int64(st, 5))) != 0;
	sqlite3_finalize(st);
	if (oom || rc != SQLITE_DONE) {
		json_decref(a);
		return oom ? TL_ENOMEM : tl_desk_fail(d, "digests");
	}
	*out = a;
	return TL_OK;
}

enum tl_err
tl_desk_set_digest(struct tl_desk_store *d, const char *ref,
    const char *digest)
{
	return run_sql(d, "UPDATE tips SET digest = ?2 WHERE ref = ?1",
	    (const char *[]){ ref, digest }, 2, NULL, 0);
}

enum tl_err
tl_desk_flag_changed(struct tl_desk_store *d, const char *ref, int64_t now)
{
	enum tl_err	 rc;

	if (tl_desk_exec(d, "BEGIN IMMEDIATE") != TL_OK)
		return TL_ESTORE;
	rc = run_sql(d, "UPDATE tips SET changed = 1 WHERE ref = ?1",
	    (const char *[]){ ref }, 1, NULL, 0);
	if (rc == TL_OK)
		rc = tl_desk_audit(d, now, "tipline-staff", "ingest_changed",
		    ref, "the intake row changed after it was taken in; the "
		    "desk keeps its first copy");
	if (rc == TL_OK && tl_desk_exec(d, "COMMIT") == TL_OK)
		return TL_OK;
	tl_desk_rollback(d);
	return rc != TL_OK ? rc : TL_ESTORE;
}

/* --- staff changes ---------------------------------------------------- */

/* Runs sql with the text arguments a[0..n) (NULL: SQL NULL) and the
 * integers i[0..ni) after them: TL_OK, or TL_ESTORE. */
static enum tl_err
run_sql(struct tl_desk_store *d, const char *sql, const char *const *a,
    int n, const int64_t *iv, int ni)
{
	sqlite3_stmt	*st;
	int		 k, rc;

	if (tl_desk_prep(d, sql, &st) != TL_OK)
		return TL_ESTORE;
	for (k = 0; k < n; k++)
		tl_desk_bind(st, k + 1, a[k]);
	for (k = 0; k < ni; k++)
		sqlite3_bind_int64(st, n + k + 1, iv[k]);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? TL_OK : tl_desk_fail(d, sql);
}

/* Begins a change of ref: its row id and state. TL_OK inside a
 * transaction; TL_ENOTFOUND or TL_ESTORE outside one. */
static enum tl_err
change_begin(struct tl_desk_store *d, const char *ref, int64_t *id,
    int *state)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (tl_desk_exec(d, "BEGIN IMMEDIATE") != TL_OK)
		return TL_ESTORE;
	if (tl_desk_prep(d, "SELECT id, state FROM tips WHERE ref = ?", &st)
	    != TL_OK) {
		tl_desk_rollback(d);
		return TL_ESTORE;
	}
	tl_desk_bind(st, 1, ref);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*state = tl_desk_state_parse(tl_desk_col(st, 1));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return TL_OK;
	tl_desk_rollback(d);
	return rc == SQLITE_DONE ? TL_ENOTFOUND : tl_desk_fail(d, "tip");
}

/* Ends a change: its audit entry, then COMMIT; or ROLLBACK when rc is
 * not TL_OK. Returns the outcome. */
static enum tl_err
change_end(struct tl_desk_store *d, enum tl_err rc, int64_t now,
    const char *who, const char *action, const char *ref,
    const char *detail)
{
	if (rc == TL_OK)
		rc = tl_desk_audit(d, now, who, action, ref, detail);
	if (rc == TL_OK && tl_desk_exec(d, "COMMIT") == TL_OK)
		return TL_OK;
	tl_desk_rollback(d);
	return rc != TL_OK ? rc : TL_ESTORE;
}

enum tl_err
tl_desk_viewed(struct tl_desk_store *d, const char *ref, const char *who,
    int64_t now, const char *action, int opened)
{
	int64_t		 id;
	int		 state;
	enum tl_err	 rc;

	if ((rc = change_begin(d, ref, &id, &state)) != TL_OK)
		return rc;
	if (opened)
		rc = run_sql(d, "UPDATE tips SET first_opened_at = ?"
		    " WHERE id = ? AND first_opened_at IS NULL", NULL, 0,
		    (int64_t[]){ now, id }, 2);
	/* Opening the tip's page is seeing its new information: back to
	 * its place by receipt. */
	if (rc == TL_OK && opened)
		rc = run_sql(d, "UPDATE tips SET updated = 0,"
		    " queue_at = received_at WHERE id = ? AND updated = 1",
		    NULL, 0, &id, 1);
	return change_end(d, rc, now, who, action, ref, NULL);
}

enum tl_err
tl_desk_set_state(struct tl_desk_store *d, const char *ref, const char *who,
    int64_t now, enum tl_desk_state to, const char *note)
{
	struct tl_buf	 detail = TL_BUF_INIT;
	int64_t		 id;
	int		 from, done = to == TL_DESK_ACTIONED ||
			    to == TL_DESK_CLOSED;
	enum tl_err	 rc;

	if ((rc = change_begin(d, ref, &id, &from)) != TL_OK)
		return rc;
	rc = run_sql(d, "UPDATE tips SET state = ?,"
	    " hot = (priority = 'urgent' AND ? = 0),"
	    " actioned_at = CASE WHEN ? THEN coalesce(actioned_at, ?)"
	    "  ELSE NULL END, updated = 0 WHERE id = ?",
	    (const char *[]){ tl_desk_state_name(to) }, 1,
	    (int64_t[]){ done, done, now, id }, 4);
	if (rc == TL_OK)
		rc = run_sql(d, "INSERT INTO history (tip_id, at, author,"
		    " from_state, to_state, note)"
		    " VALUES (?5, ?6, ?1, ?2, ?3, nullif(?4, ''))",
		    (const char *[]){ who, tl_desk_state_name(from),
		    tl_desk_state_name(to), note != NULL ? note : "" }, 4,
		    (int64_t[]){ id, now }, 2);
	tl_buf_printf(&detail, "%s -> %s%s", tl_desk_state_name(from),
	    tl_desk_state_name(to), note != NULL && *note != '\0' ?
	    " (with a note)" : "");
	rc = change_end(d, rc, now, who, "state", ref, detail.data);
	tl_buf_free(&detail);
	return rc;
}

enum tl_err
tl_desk_assign(struct tl_desk_store *d, const char *ref, const char *who,
    int64_t now, const char *to)
{
	struct tl_buf	 detail = TL_BUF_INIT;
	int64_t		 id;
	int		 state;
	enum tl_err	 rc;

	if (to != NULL && *to == '\0')
		to = NULL;
	if ((rc = change_begin(d, ref, &id, &state)) != TL_OK)
		return rc;
	rc = run_sql(d, "UPDATE tips SET assignee = ?1 WHERE id = ?2",
	    (const char *[]){ to }, 1, (int64_t[]){ id }, 1);
	if (to != NULL)
		tl_buf_printf(&detail, "to %s", to);
	else
		tl_buf_puts(&detail, "unassigned");
	rc = change_end(d, rc, now, who, "assign", ref, detail.data);
	tl_buf_free(&detail);
	return rc;
}

/* The notes of tip id joined, for its full-text row. */
static enum tl_err
reindex_notes(struct tl_desk_store *d, int64_t id)
{
	return run_sql(d, "UPDATE fts SET notes = (SELECT"
	    " group_concat(text, char(10)) FROM notes WHERE tip_id = ?1)"
	    " WHERE rowid = ?1", NULL, 0, (int64_t[]){ id }, 1);
}

enum tl_err
tl_desk_add_note(struct tl_desk_store *d, const char *ref, const char *who,
    int64_t now, const char *text)
{
	char		 detail[64];
	int64_t		 id;
	int		 state;
	enum tl_err	 rc;

	if ((rc = change_begin(d, ref, &id, &state)) != TL_OK)
		return rc;
	rc = run_sql(d, "INSERT INTO notes (tip_id, at, author, text)"
	    " VALUES (?3, ?4, ?1, ?2)", (const char *[]){ who, text }, 2,
	    (int64_t[]){ id, now }, 2);
	if (rc == TL_OK)
		rc = reindex_notes(d, id);
	/* The audit log says that a note was added, not what it says: the
	 * note is in the tip, where retention applies. */
	snprintf(detail, sizeof(detail), "%zu bytes", strlen(text));
	return change_end(d, rc, now, who, "note", ref, detail);
}

enum tl_err
tl_desk_grade(struct tl_desk_store *d, const char *ref, const char *who,
    int64_t now, const char *source, const char *intelligence,
    const char *handling)
{
	char		 detail[16];
	int64_t		 id;
	int		 state;
	enum tl_err	 rc;

	if (source == NULL || strlen(source) != 1 ||
	    strchr("123", *source) == NULL || intelligence == NULL ||
	    strlen(intelligence) != 1 || strchr("ABCDE", *intelligence) ==
	    NULL || handling == NULL || strlen(handling) != 1 ||
	    strchr("PC", *handling) == NULL)
		return TL_EINVAL;
	if ((rc = change_begin(d, ref, &id, &state)) != TL_OK)
		return rc;
	rc = run_sql(d, "UPDATE tips SET grade_source = ?1, grade_intel = ?2,"
	    " grade_handling = ?3 WHERE id = ?4",
	    (const char *[]){ source, intelligence, handling }, 3,
	    (int64_t[]){ id }, 1);
	snprintf(detail, sizeof(detail), "%s%s%s", source, intelligence,
	    handling);
	return change_end(d, rc, now, who, "grade", ref, detail);
}

/* --- purge and reminders ---------------------------------------------- */

/* The refs of tips received at or before cutoff (as the intake store's
 * purge, tl_query_purge), appended to refs. */
static enum tl_err
purge_refs(struct tl_desk_store *d, int64_t cutoff, json_t *refs,
    size_t *n)
{
	sqlite3_stmt	*st;
	int		 rc;

	*n = 0;
	if (tl_desk_prep(d, "SELECT ref FROM tips WHERE received_at <= ?",
	    &st) != TL_OK)
		return TL_ESTORE;
	sqlite3_bind_int64(st, 1, cutoff);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*n)++;
		if (refs != NULL)
			json_array_append_new(refs, tl_desk_col_json(st, 0));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? TL_OK : tl_desk_fail(d, "purge");
}

static const char *const purge_sql[] = {
	"DELETE FROM fts WHERE rowid IN"
	" (SELECT id FROM tips WHERE received_at <= ?1)",
	"DELETE FROM msg_fts WHERE rowid IN (SELECT m.id FROM messages m"
	" JOIN tips t ON t.id = m.tip_id WHERE t.received_at <= ?1)",
	"DELETE FROM tips WHERE received_at <= ?1",
	/* The intake rows it leaves to the intake store's purge: a sweep
	 * below the cursor does not take them back, and a recheck does
	 * not miss them. */
	"UPDATE meta SET value = max(value, ?1) WHERE key = 'purge_cutoff'",
	"DELETE FROM entities WHERE NOT EXISTS (SELECT 1 FROM tip_entities"
	" WHERE entity_id = entities.id)",
	/* The one way past the audit log's guard: open it for entries
	 * older than the cutoff, delete those, close it. */
	"UPDATE audit_guard SET purge_before = ?1",
	"DELETE FROM audit WHERE at < ?1",
	"UPDATE audit_guard SET purge_before = NULL",
};

enum tl_err
tl_desk_purge(struct tl_desk_store *d, int64_t cutoff, const char *who,
    int64_t now, json_t *refs, size_t *n)
{
	char		 detail[64];
	size_t		 i;
	enum tl_err	 rc;

	if (tl_desk_exec(d, "BEGIN IMMEDIATE") != TL_OK)
		return TL_ESTORE;
	rc = purge_refs(d, cutoff, refs, n);
	for (i = 0; i < sizeof(purge_sql) / sizeof(purge_sql[0]) &&
	    rc == TL_OK; i++)
		rc = run_sql(d, purge_sql[i], NULL, 0, &cutoff, 1);
	snprintf(detail, sizeof(detail), "%zu tips received up to %lld",
	    *n, (long long)cutoff);
	if ((rc = change_end(d, rc, now, who, "purge", NULL, detail)) !=
	    TL_OK)
		return rc;
	/* The deleted rows' words stay in the index's own pages until it
	 * is rebuilt; secure_delete zeroes the pages freed, and TRUNCATE
	 * empties the WAL that held them. */
	if (tl_desk_exec(d, "INSERT INTO fts (fts) VALUES ('optimize')") !=
	    TL_OK || tl_desk_exec(d, "INSERT INTO msg_fts (msg_fts)"
	    " VALUES ('optimize')") != TL_OK ||
	    tl_desk_exec(d, "PRAGMA wal_checkpoint(TRUNCATE)") != TL_OK)
		return TL_ESTORE;
	return TL_OK;
}

enum tl_err
tl_desk_due_reminders(struct tl_desk_store *d, int64_t now, int64_t every,
    size_t max, json_t **out)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((*out = json_array()) == NULL)
		return TL_ENOMEM;
	if (tl_desk_prep(d, "SELECT ref FROM tips WHERE hot = 1"
	    " AND first_opened_at IS NULL"
	    " AND coalesce(reminded_at, received_at) <= ?1 - ?2"
	    " ORDER BY received_at LIMIT ?3", &st) != TL_OK) {
		json_decref(*out);
		*out = NULL;
		return TL_ESTORE;
	}
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, every);
	sqlite3_bind_int64(st, 3, (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(*out, tl_desk_col_json(st, 0));
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return TL_OK;
	json_decref(*out);
	*out = NULL;
	return tl_desk_fail(d, "reminders");
}

enum tl_err
tl_desk_reminded(struct tl_desk_store *d, const char *ref, int64_t now)
{
	return run_sql(d, "UPDATE tips SET reminded_at = ?2 WHERE ref = ?1",
	    (const char *[]){ ref }, 1, &now, 1);
}
