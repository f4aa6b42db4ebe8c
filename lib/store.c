/*
 * store.c — the SQLite store of tips and their outbox (see store.h).
 *
 * One file in WAL mode with synchronous=FULL. A tip and its pending
 * delivery are written in one BEGIN IMMEDIATE transaction, each tip in its
 * own SAVEPOINT so that a later group commit can share the transaction
 * without one tip's failure aborting its neighbours (SPEC 10). Before
 * COMMIT the file is checked with SQLITE_FCNTL_HAS_MOVED: in WAL mode a
 * deleted or renamed file still accepts commits into its old inode.
 *
 * A handle that failed, or whose file moved, is marked broken and reopened
 * at its path on its next use (once per call, never creating the file), so
 * that intake recovers by itself once the file is back.
 *
 * The schema is a list of migration steps; PRAGMA user_version counts the
 * steps applied. Steps run inside BEGIN IMMEDIATE, so several processes
 * may open a new store at once.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "db.h"
#include "seal.h"
#include "store_impl.h"

#define BUSY_MS		5000	/* wait this long for another writer */
#define HEALTH_BUSY_MS	300	/* but /healthz answers within a second */
#define WHID_RANDOM	24	/* characters after "msg_" */
#define WHID_TIME	10	/* of which the time received, seconds */

/*
 * Schema steps: migrations[i] takes user_version i to i + 1. Append only;
 * never edit a step that has shipped.
 */
static const char *const migrations[] = {
	/* 1: tips, their deliveries (the outbox), delivery totals. */
	"CREATE TABLE tips ("
	" id INTEGER PRIMARY KEY,"
	" ref TEXT NOT NULL UNIQUE,"
	" received_at INTEGER NOT NULL,"
	" priority TEXT NOT NULL CHECK (priority IN ('urgent', 'normal')),"
	" concerns TEXT NOT NULL,"		/* names joined with "," */
	" description TEXT NOT NULL,"
	" location TEXT NOT NULL,"
	" postcode TEXT,"			/* NULL: not given */
	" \"when\" TEXT,"
	" times TEXT,"
	" people TEXT,"
	" vehicles TEXT,"
	" phones TEXT,"				/* numbers joined with "," */
	" child_at_risk TEXT,"
	" weapons_seen TEXT,"
	" vulnerable_adult TEXT,"
	" token_nonce TEXT UNIQUE,"		/* form: token's nonce */
	" idem_key TEXT UNIQUE,"		/* API: Idempotency-Key */
	" body_hash TEXT,"			/* API: SHA-256 of the body */
	" CHECK (idem_key IS NULL OR body_hash IS NOT NULL));"
	"CREATE INDEX tips_received ON tips (received_at);"
	"CREATE TABLE deliveries ("
	" id INTEGER PRIMARY KEY,"
	" tip_id INTEGER NOT NULL UNIQUE"
	"  REFERENCES tips (id) ON DELETE CASCADE,"
	" webhook_id TEXT NOT NULL UNIQUE,"
	" state TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending', 'delivered', 'dead')),"
	" urgent INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_at INTEGER NOT NULL,"
	" lease_until INTEGER,"
	" lease_owner TEXT,"
	" last_status INTEGER,"
	" last_error TEXT,"
	" created_at INTEGER NOT NULL,"
	" delivered_at INTEGER);"
	"CREATE INDEX deliveries_due"
	" ON deliveries (state, urgent DESC, next_at);"
	"CREATE TABLE counters ("
	" name TEXT PRIMARY KEY,"
	" value INTEGER NOT NULL);"
	"INSERT INTO counters (name, value) VALUES"
	" ('deliveries_ok', 0), ('deliveries_retry', 0),"
	" ('deliveries_dead', 0);",
	/*
	 * 2: sealed tips (SPEC 11). What a person wrote is one sealed blob;
	 * the plaintext columns are what notifications and dedupe need. The
	 * form's token nonce and the API's keyed Idempotency-Key hash share
	 * one unique column, and webhook ids no index (70 random bits keep
	 * them apart): 8 b-trees written a tip where Part I wrote 9. The
	 * ids follow AUTOINCREMENT, never reused, for the desk's ingest.
	 * Part I's rows wait in tips_part1 for upgrade_sealed() (upgrade.c).
	 * And SPEC 15: deliveries that are not one tip's (a tips.digest has
	 * no tip_id; kind says what a delivery announces; a tip may have
	 * several: reminders, updates), tips folded into a digest
	 * (digest_id), dead deliveries acknowledged (acked_at), and the
	 * notifier's heartbeat.
	 */
	"ALTER TABLE tips RENAME TO tips_part1;"
	"ALTER TABLE deliveries RENAME TO deliveries_part1;"
	"DROP INDEX tips_received;"
	"DROP INDEX deliveries_due;"
	"CREATE TABLE tips ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" ref TEXT NOT NULL UNIQUE,"
	" received_at INTEGER NOT NULL,"
	" priority TEXT NOT NULL CHECK (priority IN ('urgent', 'normal')),"
	" concerns TEXT NOT NULL,"		/* names joined with "," */
	" \"when\" TEXT,"
	" child_at_risk TEXT,"
	" weapons_seen TEXT,"
	" vulnerable_adult TEXT,"
	" area TEXT,"				/* postcode's outward code */
	" has_people INTEGER NOT NULL,"
	" has_vehicles INTEGER NOT NULL,"
	" phones INTEGER NOT NULL,"		/* how many were given */
	" dedupe TEXT UNIQUE,"			/* t:nonce or i:keyed hash */
	" body_hash TEXT,"			/* API: keyed hash of body */
	" sender_pk BLOB,"			/* follow-up (SPEC 13) */
	" sender_salt BLOB,"
	" sealed BLOB NOT NULL,"
	" CHECK (dedupe NOT GLOB 'i:*' OR body_hash IS NOT NULL));"
	"CREATE TABLE deliveries ("
	" id INTEGER PRIMARY KEY,"
	" tip_id INTEGER REFERENCES tips (id) ON DELETE CASCADE,"
	" kind TEXT NOT NULL DEFAULT 'tip.received',"
	" digest_id INTEGER,"				/* folded into it */
	" webhook_id TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending', 'delivered', 'dead')),"
	" urgent INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_at INTEGER NOT NULL,"
	" lease_until INTEGER,"
	" lease_owner TEXT,"
	" last_status INTEGER,"
	" last_error TEXT,"
	" created_at INTEGER NOT NULL,"
	" delivered_at INTEGER,"
	" acked_at INTEGER);"
	"CREATE INDEX deliveries_tip ON deliveries (tip_id);"
	"CREATE INDEX deliveries_due"
	" ON deliveries (state, urgent DESC, next_at);"
	"CREATE INDEX deliveries_digest ON deliveries (digest_id)"
	" WHERE digest_id IS NOT NULL;"
	"CREATE INDEX deliveries_created ON deliveries (urgent, created_at);"
	/* A digest whose last tip was purged goes with it. */
	"CREATE TRIGGER deliveries_digest_gone AFTER DELETE ON deliveries"
	" WHEN old.digest_id IS NOT NULL BEGIN"
	" DELETE FROM deliveries WHERE id = old.digest_id AND NOT EXISTS"
	"  (SELECT 1 FROM deliveries WHERE digest_id = old.digest_id);"
	" END;"
	"CREATE TABLE heartbeats ("
	" name TEXT PRIMARY KEY,"			/* "notifier" */
	" at INTEGER NOT NULL);",
	/*
	 * 3: follow-up (SPEC 13). A conversation's messages, each sealed
	 * under the key the staff and the sender share, bound to its tip's
	 * ref, its id, its author (1 staff, 2 sender) and its time; ids
	 * follow AUTOINCREMENT for the desk's ingest. A sender who ends the
	 * conversation leaves a row of kind 'end' and the tip's key and
	 * salt are deleted, the commitment its blob is bound to kept in
	 * sender_gone; the end row holds the key and salt sealed to the
	 * staff (tl_seal_seal), so a desk that had not read them yet still
	 * can read the messages before it. dedupe (a form token's nonce, or the
	 * keyed hash of an Idempotency-Key) stores a resent message once.
	 */
	"ALTER TABLE tips ADD COLUMN sender_gone BLOB;"
	"CREATE TABLE messages ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" tip_id INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,"
	" author INTEGER NOT NULL CHECK (author IN (1, 2)),"
	" at INTEGER NOT NULL,"
	" kind TEXT NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'end')),"
	" dedupe TEXT UNIQUE,"
	" sealed BLOB,"
	" CHECK (kind = 'end' OR sealed IS NOT NULL));"
	"CREATE INDEX messages_tip ON messages (tip_id);",
};

/* The step after whose SQL upgrade_sealed() moves Part I's rows. */
#define SEALED_STEP	2

#define SCHEMA_VERSION	((int)(sizeof(migrations) / sizeof(migrations[0])))

static const char *const sqls[ST__MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT tip",
	[ST_RELEASE] = "RELEASE tip",
	[ST_ROLLBACK_TO] = "ROLLBACK TO tip",
	[ST_INS_TIP] = NULL,	/* from tl_fields[]: insert_sql() */
	[ST_INS_DELIVERY] = "INSERT INTO deliveries (tip_id, webhook_id,"
	    " urgent, next_at, created_at) VALUES (?1, ?2, ?3, ?4, ?4)",
	[ST_FIND_TOKEN] = "SELECT ref FROM tips WHERE dedupe = 't:' || ?1",
	[ST_FIND_IDEM] = "SELECT ref, body_hash FROM tips"
	    " WHERE dedupe = 'i:' || ?1",
	[ST_OUTBOX] = "SELECT state, count(*) FROM deliveries GROUP BY state",
	[ST_SENDER] = "SELECT sender_pk, sender_salt FROM tips WHERE ref = ?1",
};

/*
 * The SQL that names the plaintext fields' columns, written once from
 * tl_fields[]: the columns a reader selects (tl_store_tip_ncolumns() of
 * them, in the order tl_store_read_tip() reads) and the INSERT of a tip,
 * whose parameters are ?1 ref, ?2 received_at, ?3 priority, the
 * plaintext fields in table order, then area, has_people, has_vehicles,
 * phones, dedupe, body_hash, sender_pk, sender_salt and sealed.
 */
static char		 tip_columns[1100], tip_insert[2048];
static int		 tip_nplain;	/* plaintext fields */
static pthread_once_t	 tip_sql_once = PTHREAD_ONCE_INIT;

static void
tip_sql_build(void)
{
	char	 cols[512] = "", tcols[768] = "", params[512] = "";
	size_t	 c = 0, t = 0, p = 0;
	int	 f, n = 3, i;

	for (f = 0; f < TL_F__MAX; f++) {
		if (tl_fields[f].column == NULL)
			continue;
		tip_nplain++;
		c += (size_t)snprintf(cols + c, sizeof(cols) - c, ", \"%s\"",
		    tl_fields[f].column);
		t += (size_t)snprintf(tcols + t, sizeof(tcols) - t,
		    ", tips.\"%s\"", tl_fields[f].column);
	}
	for (i = 0; i < tip_nplain + 9; i++)
		p += (size_t)snprintf(params + p, sizeof(params) - p,
		    ", ?%d", ++n);
	if (c >= sizeof(cols) || t >= sizeof(tcols) || p >= sizeof(params))
		abort();	/* the table outgrew the buffers: a build bug */
	snprintf(tip_columns, sizeof(tip_columns), "tips.id, tips.ref,"
	    " tips.received_at, tips.priority%s, tips.area, tips.has_people,"
	    " tips.has_vehicles, tips.phones, tips.sealed, tips.sender_pk,"
	    " tips.sender_salt, tips.sender_gone", tcols);
	snprintf(tip_insert, sizeof(tip_insert), "INSERT INTO tips (ref,"
	    " received_at, priority%s, area, has_people, has_vehicles, phones,"
	    " dedupe, body_hash, sender_pk, sender_salt, sealed)"
	    " VALUES (?1, ?2, ?3%s)"
	    " ON CONFLICT (ref) DO NOTHING RETURNING id", cols, params);
}

const char *
tl_store_tip_columns(void)
{
	pthread_once(&tip_sql_once, tip_sql_build);
	return tip_columns;
}

int
tl_store_tip_col(enum tl_tipcol c)
{
	pthread_once(&tip_sql_once, tip_sql_build);
	return 4 + tip_nplain + (int)c;
}

int
tl_store_tip_ncolumns(void)
{
	return tl_store_tip_col(TL_TIPCOL__MAX);
}

enum tl_err
tl_store_prep_tips(struct tl_store *s, const char *tail, sqlite3_stmt **st)
{
	char	 sql[2048];
	int	 n;

	*st = NULL;
	n = snprintf(sql, sizeof(sql), "SELECT %s%s", tl_store_tip_columns(),
	    tail);
	if (n < 0 || (size_t)n >= sizeof(sql)) {
		snprintf(s->err, sizeof(s->err), "a query is too long");
		return TL_ESTORE;
	}
	if (tl_store_ensure(s) != TL_OK)
		return TL_ESTORE;
	return tl_db_prep(s, sql, st);
}

/* The SQL of statement i: the table's, or built from tl_fields[]. */
const char *
tl_store_insert_sql(void)
{
	pthread_once(&tip_sql_once, tip_sql_build);
	return tip_insert;
}

static const char *
stmt_sql(size_t i)
{
	if (i == ST_INS_TIP) {
		pthread_once(&tip_sql_once, tip_sql_build);
		return tip_insert;
	}
	return sqls[i];
}

/* The deliveries.state of each enum tl_outbox_state (the schema's CHECK). */
static const char *const outbox_states[TL_OUT__MAX] = {
	[TL_OUT_PENDING] = "pending",
	[TL_OUT_DELIVERED] = "delivered",
	[TL_OUT_DEAD] = "dead",
};

const char *
tl_outbox_state_name(enum tl_outbox_state state)
{
	if ((unsigned)state >= TL_OUT__MAX)
		return "unknown";
	return outbox_states[state];
}

enum tl_err
tl_outbox_state_parse(const char *name, enum tl_outbox_state *out)
{
	int	 i;

	for (i = 0; name != NULL && i < TL_OUT__MAX; i++)
		if (strcmp(name, outbox_states[i]) == 0) {
			*out = (enum tl_outbox_state)i;
			return TL_OK;
		}
	return TL_EINVAL;
}

void
tl_store_fail(struct tl_store *s, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s (%.40s)",
	    s->db != NULL ? sqlite3_errmsg(s->db) : "not open", what);
	s->busy = s->db != NULL && (sqlite3_errcode(s->db) == SQLITE_BUSY ||
	    sqlite3_errcode(s->db) == SQLITE_LOCKED);
}

int
tl_store_busy(const struct tl_store *s)
{
	return s->busy;
}

void
tl_store_busy_timeout(struct tl_store *s, int ms)
{
	s->busy_ms = ms;
	if (s->db != NULL)
		sqlite3_busy_timeout(s->db, ms);
}

/*
 * Steps statement i once and returns SQLite's result (SQLITE_ROW,
 * SQLITE_DONE or an error, recorded in s->err). The caller reads any row,
 * then calls done().
 */
static int
step(struct tl_store *s, enum stmt i)
{
	int	 rc;

	rc = sqlite3_step(s->st[i]);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		tl_store_fail(s, stmt_sql(i));
	return rc;
}

/* Resets statement i and drops its bindings, ready for reuse. */
static void
done(struct tl_store *s, enum stmt i)
{
	sqlite3_reset(s->st[i]);
	sqlite3_clear_bindings(s->st[i]);
}

/* Runs statement i, which returns no rows: 0, or -1 (in s->err). */
static int
run(struct tl_store *s, enum stmt i)
{
	int	 rc;

	rc = step(s, i);
	done(s, i);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Runs statement i after a failure, keeping the first error in s->err. */
static int
run_quiet(struct tl_store *s, enum stmt i)
{
	int	 rc;

	rc = sqlite3_step(s->st[i]);
	done(s, i);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Whether the open file is no longer the one at the path (or unknown). */
static int
moved(struct tl_store *s)
{
	int	 m = 0;

	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_HAS_MOVED,
	    &m) != SQLITE_OK)
		return 1;
	return m != 0;
}

/*
 * Whether the file at the path is no longer the open one, or can no longer
 * be written (read-only, immutable): committing into it would be lost or
 * stuck in the WAL, so nothing may be acknowledged.
 */
static int
unusable(struct tl_store *s)
{
	if (moved(s)) {
		snprintf(s->err, sizeof(s->err), "database file was moved "
		    "or deleted: nothing stored");
		return 1;
	}
	if (access(s->path, W_OK) == -1) {
		snprintf(s->err, sizeof(s->err), "database file is not "
		    "writable: nothing stored");
		return 1;
	}
	return 0;
}

/* Closes the connection and its statements; s->db becomes NULL. */
static void
db_close(struct tl_store *s)
{
	size_t	 i;

	for (i = 0; i < ST__MAX; i++) {
		sqlite3_finalize(s->st[i]);
		s->st[i] = NULL;
	}
	sqlite3_close_v2(s->db);
	s->db = NULL;
}

/* Reads the single integer a PRAGMA answers into *out: 0 or -1. */
static int
pragma_int(struct tl_store *s, const char *sql, int *out)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (tl_db_prep(s, sql, &st) != TL_OK)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	else
		tl_store_fail(s, sql);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Answers 0 to sqlite3_exec() when a row's first column is "wal". */
static int
is_wal(void *arg, int n, char **vals, char **names)
{
	(void)names;
	*(int *)arg = n > 0 && vals[0] != NULL &&
	    sqlite3_stricmp(vals[0], "wal") == 0;
	return 0;
}

/*
 * Puts the file in WAL mode: 0, or -1 (in s->err). While several openers
 * convert a new file at once SQLite answers SQLITE_BUSY without waiting
 * (to avoid a deadlock), so busy is retried here, within BUSY_MS.
 */
static int
set_wal(struct tl_store *s)
{
	int	 rc, wal = 0, waited;

	for (waited = 0; ; waited += 50) {
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", is_wal,
		    &wal, NULL);
		if ((rc & 0xff) != SQLITE_BUSY || waited >= BUSY_MS)
			break;
		sqlite3_sleep(50);
	}
	if (rc != SQLITE_OK) {
		tl_store_fail(s, "journal_mode");
		return -1;
	}
	if (!wal) {
		snprintf(s->err, sizeof(s->err), "journal_mode: "
		    "the file system does not allow WAL mode");
		return -1;
	}
	return 0;
}

/* After each commit: see tl_store_on_commit(). */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct tl_store	*s = arg;

	if (s->on_commit(s->on_commit_arg, frames))
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* Sets the connection's pragmas, WAL first: 0, or -1 (in s->err). */
static int
configure(struct tl_store *s)
{
	if (sqlite3_busy_timeout(s->db, s->busy_ms > 0 ? s->busy_ms :
	    BUSY_MS) != SQLITE_OK ||
	    sqlite3_extended_result_codes(s->db, 1) != SQLITE_OK) {
		tl_store_fail(s, "configure");
		return -1;
	}
	if (set_wal(s) == -1)
		return -1;
	if (tl_db_exec(s, s->relaxed ? "PRAGMA synchronous = NORMAL;" :
	    "PRAGMA synchronous = FULL;", "synchronous") != TL_OK)
		return -1;
	if (tl_db_exec(s, "PRAGMA foreign_keys = ON;"
	    "PRAGMA secure_delete = ON;", "pragmas") != TL_OK)
		return -1;
	/* Replaces SQLite's automatic checkpoint (the same hook). */
	if (s->on_commit != NULL)
		sqlite3_wal_hook(s->db, wal_hook, s);
	else
		sqlite3_wal_autocheckpoint(s->db, TL_WAL_FORCE);
	return 0;
}

void
tl_store_on_commit(struct tl_store *s, int (*hook)(void *, int), void *arg)
{
	s->on_commit = hook;
	s->on_commit_arg = arg;
	if (s->db != NULL)
		sqlite3_wal_hook(s->db, wal_hook, s);
}

enum tl_err
tl_store_checkpoint(struct tl_store *s, int *done)
{
	enum tl_err	 err;
	int		 rc;

	*done = 0;
	if ((err = tl_store_ensure(s)) != TL_OK)
		return err;
	rc = sqlite3_wal_checkpoint_v2(s->db, "main",
	    SQLITE_CHECKPOINT_PASSIVE, NULL, done);
	if (*done < 0)
		*done = 0;
	if (rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY)
		return TL_OK;	/* busy: another checkpoint is running */
	tl_store_fail(s, "wal_checkpoint(PASSIVE)");
	s->broken = 1;
	return TL_ESTORE;
}

enum tl_err
tl_store_relax(struct tl_store *s)
{
	s->relaxed = 1;
	if (s->db == NULL || tl_db_exec(s, "PRAGMA synchronous = NORMAL",
	    "synchronous") == TL_OK)
		return TL_OK;
	return TL_ESTORE;
}

/*
 * Applies the schema steps the file lacks, inside BEGIN IMMEDIATE so that
 * concurrent openers apply each step once. Returns 0, or -1 (in s->err),
 * also when the file's schema is newer than this program's.
 */
static int
migrate(struct tl_store *s)
{
	char	 sql[64];
	int	 v;

	if (pragma_int(s, "PRAGMA user_version", &v) == -1)
		return -1;
	if (v == SCHEMA_VERSION)
		return 0;
	if (tl_db_exec(s, "BEGIN IMMEDIATE", "migrate") != TL_OK ||
	    pragma_int(s, "PRAGMA user_version", &v) == -1)
		goto fail;
	if (v < 0 || v > SCHEMA_VERSION) {
		snprintf(s->err, sizeof(s->err), "schema version %d is not "
		    "one this program knows (0 to %d)", v, SCHEMA_VERSION);
		goto fail;
	}
	for (; v < SCHEMA_VERSION; v++) {
		if (tl_db_exec(s, migrations[v], "schema step") != TL_OK)
			goto fail;
		if (v + 1 == SEALED_STEP && tl_store_upgrade_sealed(s) != TL_OK)
			goto fail;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    SCHEMA_VERSION);
	if (tl_db_exec(s, sql, "user_version") != TL_OK ||
	    tl_db_exec(s, "COMMIT", "migrate") != TL_OK)
		goto fail;
	return 0;
fail:
	tl_db_rollback(s);
	return -1;
}

/* Prepares every statement of the handle: 0, or -1 (in s->err). */
static int
prepare(struct tl_store *s)
{
	size_t	 i;

	for (i = 0; i < ST__MAX; i++)
		if (sqlite3_prepare_v3(s->db, stmt_sql(i), -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			tl_store_fail(s, stmt_sql(i));
			return -1;
		}
	return 0;
}

/* tl_store_distrust(): set before any thread starts, read after. */
static int distrust;

void
tl_store_distrust(int on)
{
	distrust = on;
}

int
tl_store_harden(sqlite3 *db)
{
	static const int off[] = { SQLITE_DBCONFIG_TRUSTED_SCHEMA,
	    SQLITE_DBCONFIG_ENABLE_TRIGGER, SQLITE_DBCONFIG_ENABLE_VIEW };
	size_t	 i;

	if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) !=
	    SQLITE_OK)
		return -1;
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		if (sqlite3_db_config(db, off[i], 0, NULL) != SQLITE_OK)
			return -1;
	return sqlite3_exec(db, "PRAGMA cell_size_check = ON", NULL, NULL,
	    NULL) == SQLITE_OK ? 0 : -1;
}

/* Removes path+suffix if it exists. */
static void
unlink_beside(const char *path, const char *suffix)
{
	char	 p[4096];

	if ((size_t)snprintf(p, sizeof(p), "%s%s", path, suffix) < sizeof(p))
		unlink(p);
}

/*
 * Opens the connection at s->path, creating the file only when create is
 * set (with mode 0660 less the umask, as SQLite's own default is 0644),
 * and makes it ready. Returns TL_OK, or TL_ESTORE with s->db NULL.
 */
static enum tl_err
db_open(struct tl_store *s, int create)
{
	int	 fd, flags;

	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (create) {
		/* Creating runs as root (tiplinectl init): through no
		 * symbolic link, which SQLite would follow and create. */
		flags |= SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW;
		fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0660);
		if (fd != -1) {
			/* A new file: a -wal or -shm beside it is left from
			 * a deleted store and must not be applied to it. */
			close(fd);
			unlink_beside(s->path, "-wal");
			unlink_beside(s->path, "-shm");
		}
	}
	if (distrust)
		flags |= SQLITE_OPEN_NOFOLLOW;
	if (sqlite3_open_v2(s->path, &s->db, flags, NULL) != SQLITE_OK ||
	    (distrust && tl_store_harden(s->db) == -1)) {
		tl_store_fail(s, "open");
		goto err;
	}
	if (configure(s) == -1 || migrate(s) == -1 || prepare(s) == -1)
		goto err;
	s->broken = 0;
	return TL_OK;
err:
	db_close(s);
	return TL_ESTORE;
}

/*
 * Makes s usable for one call: a handle that is broken, closed, inside a
 * stray transaction or whose file has moved is reopened (once) at its
 * path. Returns TL_OK or TL_ESTORE.
 */
enum tl_err
tl_store_ensure(struct tl_store *s)
{
	if (s->db != NULL && !s->broken &&
	    (!sqlite3_get_autocommit(s->db) || moved(s))) {
		snprintf(s->err, sizeof(s->err), "database file moved, "
		    "deleted or left in a transaction: reopening");
		s->broken = 1;
	}
	if (s->db != NULL && !s->broken)
		return TL_OK;
	db_close(s);
	return db_open(s, 0);
}

/* Opens a handle on path, creating the file and schema if create; with
 * pk, a Part I store's tips are sealed to it on the way. */
static enum tl_err
open_handle(const char *path, int create, const uint8_t *pk,
    struct tl_store **out, char *err, size_t errlen)
{
	struct tl_store	*s;

	*out = NULL;
	if (sodium_init() == -1) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return TL_ESTORE;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return TL_ENOMEM;
	}
	s->upgrade_pk = pk;
	if (db_open(s, create) != TL_OK) {
		snprintf(err, errlen, "%s: %s", path, s->err);
		tl_store_close(s);
		return TL_ESTORE;
	}
	*out = s;
	return TL_OK;
}

enum tl_err
tl_store_open(const char *path, struct tl_store **out, char *err,
    size_t errlen)
{
	return open_handle(path, 1, NULL, out, err, errlen);
}

enum tl_err
tl_store_open_sealing(const char *path, const uint8_t *pk,
    struct tl_store **out, int64_t *sealed, char *err, size_t errlen)
{
	enum tl_err	 rc;

	*sealed = 0;
	if ((rc = open_handle(path, 1, pk, out, err, errlen)) != TL_OK)
		return rc;
	(*out)->upgrade_pk = NULL;
	*sealed = (*out)->upgraded;
	if (*sealed > 0 && tl_store_scrub(*out) != TL_OK) {
		snprintf(err, errlen, "%s: %s", path, (*out)->err);
		tl_store_close(*out);
		*out = NULL;
		return TL_ESTORE;
	}
	return TL_OK;
}

enum tl_err
tl_store_attach(const char *path, struct tl_store **out, char *err,
    size_t errlen)
{
	return open_handle(path, 0, NULL, out, err, errlen);
}

void
tl_store_close(struct tl_store *s)
{
	if (s == NULL)
		return;
	tl_db_rollback(s);
	db_close(s);
	free(s->path);
	free(s);
}

void
tl_webhook_id_new(char out[TL_WEBHOOK_ID_NEW], int64_t received_at)
{
	static const char	 abc[] = "0123456789abcdefghjkmnpqrstvwxyz";
	uint8_t			 b[WHID_RANDOM];
	uint64_t		 t = (uint64_t)received_at;
	size_t			 i;

	/* The time received first, so that new ids go to the end of their
	 * unique index instead of a random page of it; 70 random bits after
	 * it keep them unique and unguessable. Seconds, as the summary's
	 * received_at already says: no finer time of the sender's than the
	 * store keeps. */
	tl_seal_random(b, sizeof(b));
	memcpy(out, "msg_", 4);
	for (i = 0; i < WHID_RANDOM; i++)
		out[4 + i] = i < WHID_TIME ?
		    abc[(t >> (5 * (WHID_TIME - 1 - i))) & 31] : abc[b[i] & 31];
	out[4 + WHID_RANDOM] = '\0';
}

/* Binds a blob, or NULL when there is none. */
static void
bind_blob(sqlite3_stmt *st, int i, const uint8_t *p, size_t n)
{
	if (p == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_blob64(st, i, p, n, SQLITE_STATIC);
}

/* Binds the tip's columns to ST_INS_TIP, in tip_sql_build()'s order. */
static void
bind_tip(sqlite3_stmt *st, const struct tl_submit *sub, const char *dedupe)
{
	const struct tl_report *r = sub->report;
	int		 f, i = 3;

	sqlite3_bind_text(st, 1, sub->ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, sub->received_at);
	sqlite3_bind_text(st, 3, tl_priority_name(r->priority), -1,
	    SQLITE_STATIC);
	for (f = 0; f < TL_F__MAX; f++)
		if (tl_fields[f].column != NULL)
			sqlite3_bind_text(st, ++i, r->value[f], -1,
			    SQLITE_STATIC);
	sqlite3_bind_text(st, ++i, sub->area, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, ++i, sub->has_people);
	sqlite3_bind_int(st, ++i, sub->has_vehicles);
	sqlite3_bind_int(st, ++i, sub->nphones);
	sqlite3_bind_text(st, ++i, dedupe, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, ++i, sub->body_hash, -1, SQLITE_STATIC);
	bind_blob(st, ++i, sub->sender_pk, TL_SEAL_KEYBYTES);
	bind_blob(st, ++i, sub->sender_salt, TL_SEAL_SALTBYTES);
	sqlite3_bind_blob64(st, ++i, sub->sealed, sub->sealed_len,
	    SQLITE_STATIC);
}

/*
 * Inserts the tip under its reference and its row id into *id. Returns
 * TL_OK, TL_EDUPLICATE when its token nonce or idempotency key is
 * stored, TL_ETAKEN when its reference is, else TL_ESTORE.
 */
static enum tl_err
insert_tip(struct tl_store *s, const struct tl_submit *sub, int64_t *id)
{
	return tl_store_insert_tip(s, s->st[ST_INS_TIP], sub, id);
}

enum tl_err
tl_store_insert_tip(struct tl_store *s, sqlite3_stmt *st,
    const struct tl_submit *sub, int64_t *id)
{
	char		 dedupe[TL_HASH_HEX + 2], *d = NULL;
	int		 rc;

	if (sub->token_nonce != NULL || sub->idem_key != NULL) {
		snprintf(dedupe, sizeof(dedupe), "%s%s", sub->token_nonce !=
		    NULL ? "t:" : "i:", sub->token_nonce != NULL ?
		    sub->token_nonce : sub->idem_key);
		d = dedupe;
	}
	bind_tip(st, sub, d);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		tl_store_fail(s, "insert tip");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return TL_OK;
	if (rc == SQLITE_DONE) {
		/* No row: ON CONFLICT (ref) DO NOTHING. */
		snprintf(s->err, sizeof(s->err), "reference taken");
		return TL_ETAKEN;
	}
	return rc == SQLITE_CONSTRAINT_UNIQUE ? TL_EDUPLICATE : TL_ESTORE;
}

/* Inserts the tip's pending delivery, due now: TL_OK or TL_ESTORE. */
static enum tl_err
insert_delivery(struct tl_store *s, const struct tl_submit *sub,
    int64_t tip)
{
	sqlite3_stmt	*st = s->st[ST_INS_DELIVERY];
	char		 whid[TL_WEBHOOK_ID_NEW];

	tl_webhook_id_new(whid, sub->received_at);
	sqlite3_bind_int64(st, 1, tip);
	sqlite3_bind_text(st, 2, whid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, sub->report->priority == TL_PRIO_URGENT);
	sqlite3_bind_int64(st, 4, sub->received_at);
	return run(s, ST_INS_DELIVERY) == 0 ? TL_OK : TL_ESTORE;
}

/*
 * Stores one tip and its delivery in the open transaction. With careful,
 * inside a savepoint of its own: on failure the savepoint is rolled back
 * (the transaction stays open unless SQLite ended it). Without, a failed
 * INSERT of the tip undoes only itself (SQLite's statement rollback), but
 * a failure after the tip's row went in leaves half a tip: the caller must
 * then roll the transaction back. Returns TL_OK or the error.
 */
static enum tl_err
add_one(struct tl_store *s, const struct tl_submit *sub,
    char ref[TL_REF_SIZE], int careful)
{
	enum tl_err	 err;
	int64_t		 id = 0;

	if (careful && run(s, ST_SAVEPOINT) == -1)
		return TL_ESTORE;
	if ((err = insert_tip(s, sub, &id)) == TL_OK &&
	    (err = insert_delivery(s, sub, id)) == TL_OK) {
		snprintf(ref, TL_REF_SIZE, "%s", sub->ref);
		if (!careful || run(s, ST_RELEASE) == 0)
			return TL_OK;
		err = TL_ESTORE;
	}
	if (careful && !sqlite3_get_autocommit(s->db) &&
	    (run_quiet(s, ST_ROLLBACK_TO) == -1 ||
	    run_quiet(s, ST_RELEASE) == -1))
		s->broken = 1;
	return err;
}

/* Fails every submission of a batch that cannot be committed. */
static enum tl_err
fail_all(struct tl_store *s, size_t n, char (*refs)[TL_REF_SIZE],
    enum tl_err *results)
{
	size_t	 i;

	tl_db_rollback(s);
	s->broken = 1;
	for (i = 0; i < n; i++) {
		refs[i][0] = '\0';
		results[i] = TL_ESTORE;
	}
	return TL_ESTORE;
}

#define AGAIN	1	/* add_all: roll back, run the batch again carefully */

/*
 * One transaction for the batch: 0 when every tip has its result and the
 * transaction is ready to commit, AGAIN when a tip failed half-way without
 * savepoints, -1 when the transaction cannot go on.
 */
static int
add_all(struct tl_store *s, const struct tl_submit *const *subs, size_t n,
    char (*refs)[TL_REF_SIZE], enum tl_err *results, int careful)
{
	size_t	 i;

	if (run(s, ST_BEGIN) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		refs[i][0] = '\0';
		results[i] = subs[i] == NULL || subs[i]->report == NULL ||
		    subs[i]->ref == NULL || subs[i]->sealed == NULL ?
		    TL_EINVAL : add_one(s, subs[i], refs[i], careful);
		if (results[i] != TL_OK)
			refs[i][0] = '\0';
		if (results[i] == TL_OK || results[i] == TL_EINVAL)
			continue;
		/* A unique key met by the tip's INSERT undid only itself. */
		if (!careful && results[i] != TL_EDUPLICATE &&
		    results[i] != TL_ETAKEN)
			return AGAIN;
		/* A failed savepoint can end the whole transaction. */
		if (results[i] == TL_ESTORE &&
		    (sqlite3_get_autocommit(s->db) || s->broken))
			return -1;
	}
	return 0;
}

/*
 * The batch runs without savepoints first: a savepoint makes SQLite copy
 * every page a tip touches, a third of the cost of storing it. Only when
 * a tip fails half-way (not a plain duplicate) is it all rolled back and
 * run again with a savepoint around each tip, so that one tip's failure
 * never takes its neighbours down (SPEC 10).
 */
enum tl_err
tl_store_add_batch(struct tl_store *s, const struct tl_submit *const *subs,
    size_t n, char (*refs)[TL_REF_SIZE], enum tl_err *results)
{
	int	 rc;

	if (tl_store_ensure(s) != TL_OK)
		return fail_all(s, n, refs, results);
	if ((rc = add_all(s, subs, n, refs, results, 0)) == AGAIN) {
		tl_db_rollback(s);
		if (s->broken)
			return fail_all(s, n, refs, results);
		rc = add_all(s, subs, n, refs, results, 1);
	}
	if (rc != 0 || unusable(s) || run(s, ST_COMMIT) == -1)
		return fail_all(s, n, refs, results);
	return TL_OK;
}

enum tl_err
tl_store_add(struct tl_store *s, const struct tl_submit *sub,
    char ref[TL_REF_SIZE])
{
	enum tl_err	 result;

	tl_store_add_batch(s, &sub, 1, (char (*)[TL_REF_SIZE])ref, &result);
	if (result == TL_ESTORE)
		s->broken = 1;
	return result;
}

/* Copies column c of a row into out (size bytes): 0, or -1 if absent or
 * too long. */
static int
copy_column(sqlite3_stmt *st, int c, char *out, size_t size)
{
	const unsigned char	*v;
	int			 n;

	if ((v = sqlite3_column_text(st, c)) == NULL)
		return -1;
	if ((n = sqlite3_column_bytes(st, c)) < 0 || (size_t)n >= size)
		return -1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

/*
 * Looks key up with statement i (?1 = key) and copies the row's first
 * column into a (asize) and, if b is not NULL, its second into b (bsize).
 * Returns TL_OK, TL_ENOTFOUND or TL_ESTORE.
 */
static enum tl_err
find(struct tl_store *s, enum stmt i, const char *key, char *a,
    size_t asize, char *b, size_t bsize)
{
	enum tl_err	 err;
	int		 rc;

	if ((err = tl_store_ensure(s)) != TL_OK)
		return err;
	sqlite3_bind_text(s->st[i], 1, key, -1, SQLITE_STATIC);
	if ((rc = step(s, i)) == SQLITE_ROW) {
		err = TL_OK;
		if (copy_column(s->st[i], 0, a, asize) == -1 ||
		    (b != NULL && copy_column(s->st[i], 1, b, bsize) == -1)) {
			snprintf(s->err, sizeof(s->err), "%s: bad row",
			    stmt_sql(i));
			err = TL_ESTORE;
		}
	} else if (rc == SQLITE_DONE)
		err = TL_ENOTFOUND;
	else {
		err = TL_ESTORE;
		s->broken = 1;
	}
	done(s, i);
	return err;
}

enum tl_err
tl_store_find_token(struct tl_store *s, const char *nonce,
    char ref[TL_REF_SIZE])
{
	ref[0] = '\0';
	if (nonce == NULL)
		return TL_ENOTFOUND;
	return find(s, ST_FIND_TOKEN, nonce, ref, TL_REF_SIZE, NULL, 0);
}

enum tl_err
tl_store_find_idem(struct tl_store *s, const char *key,
    char ref[TL_REF_SIZE], char hash[TL_HASH_HEX])
{
	ref[0] = hash[0] = '\0';
	if (key == NULL)
		return TL_ENOTFOUND;
	return find(s, ST_FIND_IDEM, key, ref, TL_REF_SIZE, hash,
	    TL_HASH_HEX);
}

enum tl_err
tl_store_sender(struct tl_store *s, const char *ref,
    uint8_t pk[TL_SEAL_KEYBYTES], uint8_t salt[TL_SEAL_SALTBYTES])
{
	enum tl_err	 err;
	int		 rc;

	if ((err = tl_store_ensure(s)) != TL_OK)
		return err;
	sqlite3_bind_text(s->st[ST_SENDER], 1, ref, -1, SQLITE_STATIC);
	if ((rc = step(s, ST_SENDER)) == SQLITE_ROW)
		err = tl_store_col_key(s->st[ST_SENDER], 0, pk,
		    TL_SEAL_KEYBYTES) && tl_store_col_key(s->st[ST_SENDER], 1,
		    salt, TL_SEAL_SALTBYTES) ? TL_OK : TL_ENOTFOUND;
	else if (rc == SQLITE_DONE)
		err = TL_ENOTFOUND;
	else {
		err = TL_ESTORE;
		s->broken = 1;
	}
	done(s, ST_SENDER);
	return err;
}

enum tl_err
tl_store_conv_add(struct tl_store *s, const struct tl_conv_add *a,
    int64_t *id)
{
	enum tl_err	 err;

	*id = 0;
	if ((err = tl_store_ensure(s)) != TL_OK)
		return err;
	return tl_conv_add(s->db, a, id, s->err, sizeof(s->err));
}

enum tl_err
tl_store_conv_read(struct tl_store *s, const char *ref, size_t max,
    int (*fn)(void *, const struct tl_conv_row *), void *arg)
{
	enum tl_err	 err;

	if ((err = tl_store_ensure(s)) != TL_OK)
		return err;
	return tl_conv_read(s->db, ref, max, fn, arg, s->err, sizeof(s->err));
}

enum tl_err
tl_store_health(struct tl_store *s)
{
	enum tl_err	 err;

	if ((err = tl_store_ensure(s)) != TL_OK)
		return err;
	/* Another writer holding the store (a backup, an admin's sqlite3)
	 * makes it unhealthy for now, but is no reason to wait long. */
	sqlite3_busy_timeout(s->db, HEALTH_BUSY_MS);
	err = TL_OK;
	if (run(s, ST_BEGIN) == -1) {
		if (!s->busy)
			s->broken = 1;
		err = TL_ESTORE;
	} else if (unusable(s)) {
		s->broken = 1;
		err = TL_ESTORE;
	}
	tl_db_rollback(s);
	sqlite3_busy_timeout(s->db, s->busy_ms > 0 ? s->busy_ms : BUSY_MS);
	return err;
}

enum tl_err
tl_store_outbox_counts(struct tl_store *s, int64_t counts[TL_OUT__MAX])
{
	sqlite3_stmt		*st;
	enum tl_outbox_state	 state;
	enum tl_err		 err;
	int			 rc;

	memset(counts, 0, sizeof(*counts) * TL_OUT__MAX);
	if ((err = tl_store_ensure(s)) != TL_OK)
		return err;
	st = s->st[ST_OUTBOX];
	while ((rc = step(s, ST_OUTBOX)) == SQLITE_ROW) {
		if (tl_outbox_state_parse((const char *)sqlite3_column_text(st,
		    0), &state) == TL_OK)
			counts[state] = sqlite3_column_int64(st, 1);
	}
	done(s, ST_OUTBOX);
	if (rc == SQLITE_DONE)
		return TL_OK;
	s->broken = 1;
	return TL_ESTORE;
}

const char *
tl_store_errmsg(const struct tl_store *s)
{
	if (s == NULL)
		return "no store";
	return s->err[0] != '\0' ? s->err : "no error";
}

/* The counters rows of delivery outcomes, by enum tl_verdict. */
static const char *const counter_names[3] = { "deliveries_ok",
    "deliveries_retry", "deliveries_dead" };

const char *
tl_store_counter_name(int verdict)
{
	return counter_names[verdict];
}

enum tl_err
tl_store_outcomes(struct tl_store *s, int64_t counts[3])
{
	sqlite3_stmt		*st = NULL;
	const unsigned char	*name;
	enum tl_err		 rc;
	int			 i, r;

	memset(counts, 0, 3 * sizeof(counts[0]));
	if ((rc = tl_store_ensure(s)) != TL_OK || (rc = tl_db_prep(s,
	    "SELECT name, value FROM counters", &st)) != TL_OK)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		/* NULL for a NULL name, or out of memory. */
		if ((name = sqlite3_column_text(st, 0)) == NULL)
			continue;
		for (i = 0; i < 3; i++)
			if (strcmp((const char *)name, counter_names[i]) == 0)
				counts[i] = sqlite3_column_int64(st, 1);
	}
	rc = tl_db_done(s, r, "counters");
	sqlite3_finalize(st);
	return rc;
}

/* Copies blob column c of st into a new buffer: 0, or -1 out of memory. */
static int
read_blob(sqlite3_stmt *st, int c, uint8_t **out, size_t *len)
{
	const void	*p = sqlite3_column_blob(st, c);
	int		 n = sqlite3_column_bytes(st, c);

	*out = NULL;
	*len = 0;
	if (p == NULL || n <= 0)
		return 0;
	if ((*out = malloc((size_t)n)) == NULL)
		return -1;
	memcpy(*out, p, (size_t)n);
	*len = (size_t)n;
	return 0;
}

int
tl_store_col_key(sqlite3_stmt *st, int c, uint8_t *out, size_t n)
{
	const void	*p = sqlite3_column_blob(st, c);

	if (p == NULL || sqlite3_column_bytes(st, c) != (int)n)
		return 0;
	memcpy(out, p, n);
	return 1;
}

enum tl_err
tl_store_read_tip(sqlite3_stmt *st, int col, struct tl_tip *tip)
{
	struct tl_report	*r = &tip->report;
	const unsigned char	*v;
	int			 f, c = col;

	memset(tip, 0, sizeof(*tip));
	tl_report_init(r);
	tip->id = sqlite3_column_int64(st, c++);
	v = sqlite3_column_text(st, c++);
	snprintf(tip->ref, sizeof(tip->ref), "%s", v != NULL ?
	    (const char *)v : "");
	tip->received_at = sqlite3_column_int64(st, c++);
	v = sqlite3_column_text(st, c++);
	r->priority = v != NULL && strcmp((const char *)v, "urgent") == 0 ?
	    TL_PRIO_URGENT : TL_PRIO_NORMAL;
	for (f = 0; f < TL_F__MAX; f++) {
		if (tl_fields[f].column == NULL)
			continue;
		v = sqlite3_column_text(st, c++);
		if (v != NULL &&
		    (r->value[f] = strdup((const char *)v)) == NULL)
			goto oom;
	}
	v = sqlite3_column_text(st, c++);
	snprintf(tip->area, sizeof(tip->area), "%s", v != NULL ?
	    (const char *)v : "");
	tip->has_people = sqlite3_column_int(st, c++);
	tip->has_vehicles = sqlite3_column_int(st, c++);
	tip->nphones = sqlite3_column_int(st, c++);
	if (read_blob(st, c++, &tip->sealed, &tip->sealed_len) == -1)
		goto oom;
	tip->has_sender = tl_store_col_key(st, c, tip->sender_pk,
	    TL_SEAL_KEYBYTES) && tl_store_col_key(st, c + 1, tip->sender_salt,
	    TL_SEAL_SALTBYTES);
	tip->has_gone = !tip->has_sender && tl_store_col_key(st, c + 2,
	    tip->sender_gone, TL_SEAL_COMMITBYTES);
	if (tl_report_read_lists(r) != TL_OK)
		goto oom;
	return TL_OK;
oom:
	tl_tip_free(tip);
	return TL_ENOMEM;
}
