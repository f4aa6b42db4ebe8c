/*
 * test_store.c — the SQLite store (lib/store.c): schema, atomic adds,
 * duplicates, and recovery from a moved, deleted or failing file.
 *
 * Each test gets a fresh folder under /tmp; rows are checked through a
 * second, independent SQLite connection.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>

#include "commitq.h"
#include "fixture.h"
#include "store.h"
#include "store_impl.h"	/* test_cascade: the store's connection */

struct fx {
	char		 dir[64];
	char		 path[128];
	struct tl_store	*s;
	struct tl_report r;
};

/* A validated report as tl_report_validate() would leave it. */
static void
fill_report(struct tl_report *r, int urgent)
{
	report_clear(r);
	r->value[TL_F_CONCERNS] = strdup("cuckooing,child_exploitation");
	r->concerns = (1u << 1) | (1u << 2);
	r->value[TL_F_DESCRIPTION] =
	    strdup("Two lads keep visiting the flat at all hours.");
	r->value[TL_F_LOCATION] = strdup("Flats behind the Co-op");
	r->value[TL_F_POSTCODE] = strdup("SO14 3JJ");
	r->value[TL_F_PHONES] = strdup("+447700900123,+447700900456");
	r->phones[0] = strdup("+447700900123");
	r->phones[1] = strdup("+447700900456");
	r->nphones = 2;
	if (urgent) {
		r->value[TL_F_CHILD_AT_RISK] = strdup("yes");
		r->priority = TL_PRIO_URGENT;
	} else
		r->priority = TL_PRIO_NORMAL;
}

static struct tl_submit
submit(const struct fx *f, const char *nonce, const char *key,
    const char *hash)
{
	struct tl_submit sub;

	memset(&sub, 0, sizeof(sub));
	sub.report = &f->r;
	sub.received_at = 1700000000;
	sub.token_nonce = nonce;
	sub.idem_key = key;
	sub.body_hash = hash;
	fx_seal(&sub);
	return sub;
}

static int
setup(void **state)
{
	struct fx	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/tl-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/tipline.db", f->dir);
	fill_report(&f->r, 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	tl_store_close(f->s);
	report_clear(&f->r);
	chmod(f->dir, 0700);
	rmtree(f->dir);
	free(f);
	return 0;
}

/* Opens the fixture's store, which must succeed. */
static void
open_store(struct fx *f)
{
	char	 err[256];

	assert_int_equal(tl_store_open(f->path, &f->s, err, sizeof(err)),
	    TL_OK);
	assert_non_null(f->s);
}

static void
add_ok(struct fx *f, const char *nonce, char ref[TL_REF_SIZE])
{
	struct tl_submit sub = submit(f, nonce, NULL, NULL);

	assert_int_equal(tl_store_add(f->s, &sub, ref), TL_OK);
	assert_true(ref_ok(ref));
}

static void
test_open_creates_schema(void **state)
{
	struct fx	*f = *state;
	struct stat	 sb;
	mode_t		 old;

	old = umask(007);
	open_store(f);
	umask(old);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0660);
	assert_int_equal(q_int(f->path, "PRAGMA user_version"), 3);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM sqlite_schema"
	    " WHERE type = 'table'"
	    " AND name IN ('tips', 'deliveries', 'counters', 'messages')"), 4);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM sqlite_schema"
	    " WHERE name = 'deliveries_due'"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM counters"), 3);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*)"
	    " FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
}

static void
test_add_stores_tip_and_delivery(void **state)
{
	struct fx	*f = *state;
	char		 ref[TL_REF_SIZE], sql[512];

	open_store(f);
	fill_report(&f->r, 1);
	add_ok(f, "n1", ref);
	/* Only what notifications and dedupe need is plaintext; what the
	 * person wrote is in the sealed blob (SPEC 11), padded. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM tips WHERE ref = '%s'"
	    " AND priority = 'urgent' AND received_at = 1700000000"
	    " AND concerns = 'cuckooing,child_exploitation'"
	    " AND area = 'SO14' AND phones = 2 AND has_people = 0"
	    " AND has_vehicles = 0 AND child_at_risk = 'yes'"
	    " AND weapons_seen IS NULL AND \"when\" IS NULL"
	    " AND dedupe = 't:n1' AND body_hash IS NULL"
	    " AND sender_pk IS NULL AND (length(sealed) - 121) %% 512 = 0"
	    " AND instr(sealed, 'Co-op') = 0 AND instr(sealed, '0123') = 0",
	    ref);
	assert_int_equal(q_int(f->path, sql), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries d"
	    " JOIN tips t ON t.id = d.tip_id WHERE d.state = 'pending'"
	    " AND d.urgent = 1 AND d.attempts = 0 AND d.next_at = 1700000000"
	    " AND d.lease_until IS NULL AND d.webhook_id GLOB 'msg_*'"
	    " AND length(d.webhook_id) = 28"), 1);
	/* The id begins with the time received in seconds (1700000000 in
	 * its base 32), never a finer time than received_at. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"
	    " WHERE substr(webhook_id, 5, 10) = '0001jn7w80'"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 1);

	fill_report(&f->r, 0);
	add_ok(f, NULL, ref);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"
	    " WHERE urgent = 0"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(DISTINCT webhook_id)"
	    " FROM deliveries"), 2);
}

static int
cmp_ref(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_refs_unique(void **state)
{
	struct fx	*f = *state;
	enum { N = 2000 };
	char		(*refs)[TL_REF_SIZE];
	size_t		 i;

	open_store(f);
	assert_non_null(refs = calloc(N, TL_REF_SIZE));
	for (i = 0; i < N; i++)
		add_ok(f, NULL, refs[i]);
	qsort(refs, N, TL_REF_SIZE, cmp_ref);
	for (i = 1; i < N; i++)
		assert_string_not_equal(refs[i - 1], refs[i]);
	free(refs);
	assert_int_equal(q_int(f->path, "SELECT count(DISTINCT ref)"
	    " FROM tips"), N);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), N);
}

static void
test_duplicate_token(void **state)
{
	struct fx	*f = *state;
	struct tl_submit sub = submit(f, "nonce-a", NULL, NULL);
	char		 ref[TL_REF_SIZE], again[TL_REF_SIZE];
	char		 found[TL_REF_SIZE];

	open_store(f);
	add_ok(f, "nonce-a", ref);
	assert_int_equal(tl_store_add(f->s, &sub, again), TL_EDUPLICATE);
	assert_string_equal(again, "");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 1);
	assert_int_equal(tl_store_find_token(f->s, "nonce-a", found), TL_OK);
	assert_string_equal(found, ref);
	assert_int_equal(tl_store_find_token(f->s, "nonce-b", found),
	    TL_ENOTFOUND);
	/* The handle is still good after the duplicate. */
	add_ok(f, "nonce-b", again);
	assert_int_equal(tl_store_find_token(f->s, "nonce-b", found), TL_OK);
	assert_string_equal(found, again);
}

static void
test_idempotency_key(void **state)
{
	struct fx	*f = *state;
	static const char h1[] =
	    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	struct tl_submit sub = submit(f, NULL, "key-1", h1);
	char		 ref[TL_REF_SIZE], found[TL_REF_SIZE];
	char		 hash[TL_HASH_HEX];

	open_store(f);
	assert_int_equal(tl_store_add(f->s, &sub, ref), TL_OK);
	assert_int_equal(tl_store_find_idem(f->s, "key-1", found, hash),
	    TL_OK);
	assert_string_equal(found, ref);
	assert_string_equal(hash, h1);
	/* The same reference again: seal once more, as intake does. */
	assert_int_equal(tl_store_add(f->s, &sub, found), TL_ETAKEN);
	sub = submit(f, NULL, "key-1", h1);
	assert_int_equal(tl_store_add(f->s, &sub, found), TL_EDUPLICATE);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 1);
	assert_int_equal(tl_store_find_idem(f->s, "key-2", found, hash),
	    TL_ENOTFOUND);
	/* A key without a body hash is refused whole. */
	sub = submit(f, NULL, "key-3", NULL);
	assert_int_equal(tl_store_add(f->s, &sub, found), TL_ESTORE);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 1);
}

static void
test_moved_file_recovers(void **state)
{
	struct fx	*f = *state;
	struct tl_submit sub = submit(f, NULL, NULL, NULL);
	char		 ref[TL_REF_SIZE], away[160];

	open_store(f);
	add_ok(f, NULL, ref);
	snprintf(away, sizeof(away), "%s.away", f->path);
	assert_int_equal(rename(f->path, away), 0);
	/* Reads do not answer from the file that went away. */
	assert_int_equal(tl_store_find_token(f->s, "x", ref), TL_ESTORE);
	assert_int_equal(tl_store_add(f->s, &sub, ref), TL_ESTORE);
	assert_string_equal(ref, "");
	assert_int_equal(tl_store_health(f->s), TL_ESTORE);
	assert_int_equal(tl_store_add(f->s, &sub, ref), TL_ESTORE);
	assert_int_equal(rename(away, f->path), 0);
	assert_int_equal(tl_store_health(f->s), TL_OK);
	add_ok(f, NULL, ref);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 2);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 2);
}

/* Where a trigger's test_move_file() moves the file, mid-transaction. */
static char	 move_from[160], move_to[160];

static void
move_file(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_int(ctx, rename(move_from, move_to));
}

/* Registers test_move_file() on every connection opened after it. */
static int
move_ext(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
	(void)err;
	(void)api;
	return sqlite3_create_function(db, "test_move_file", 0, SQLITE_UTF8,
	    NULL, move_file, NULL, NULL);
}

/* The file moves after the tip is written but before COMMIT: the commit
 * would land in the old file, so nothing is acknowledged or kept. */
static void
test_moved_during_add(void **state)
{
	struct fx	*f = *state;
	struct tl_submit sub = submit(f, "mid", NULL, NULL);
	char		 ref[TL_REF_SIZE];

	snprintf(move_from, sizeof(move_from), "%s", f->path);
	snprintf(move_to, sizeof(move_to), "%s.away", f->path);
	assert_int_equal(sqlite3_auto_extension((void (*)(void))move_ext),
	    SQLITE_OK);
	open_store(f);
	q_exec(f->path, "CREATE TRIGGER mv AFTER INSERT ON deliveries"
	    " BEGIN SELECT test_move_file(); END");
	assert_int_equal(tl_store_add(f->s, &sub, ref), TL_ESTORE);
	sqlite3_reset_auto_extension();
	assert_string_equal(ref, "");
	assert_non_null(strstr(tl_store_errmsg(f->s), "moved"));
	assert_int_equal(rename(move_to, move_from), 0);
	q_exec(f->path, "DROP TRIGGER mv");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 0);
	add_ok(f, "mid", ref);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 1);
}

static void
test_deleted_file_recovers(void **state)
{
	struct fx	*f = *state;
	struct tl_submit sub = submit(f, "gone", NULL, NULL);
	struct tl_store	*init;
	char		 ref[TL_REF_SIZE], p[160], err[256];

	open_store(f);
	add_ok(f, NULL, ref);
	assert_int_equal(unlink(f->path), 0);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	assert_int_equal(tl_store_add(f->s, &sub, ref), TL_ESTORE);
	assert_int_equal(tl_store_health(f->s), TL_ESTORE);
	assert_non_null(strstr(tl_store_errmsg(f->s), "open"));
	/* Not recreated behind the admin's back. */
	assert_int_equal(tl_store_add(f->s, &sub, ref), TL_ESTORE);
	assert_int_equal(access(f->path, F_OK), -1);

	/* The admin creates the store again (tiplinectl init). */
	assert_int_equal(tl_store_open(f->path, &init, err, sizeof(err)),
	    TL_OK);
	tl_store_close(init);
	assert_int_equal(tl_store_health(f->s), TL_OK);
	assert_int_equal(tl_store_add(f->s, &sub, ref), TL_OK);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"
	    " WHERE dedupe = 't:gone'"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 1);
}

/* A store that refuses writes midway (full, failing) stores nothing. */
static void
test_failing_store_half_stores_nothing(void **state)
{
	struct fx	*f = *state;
	struct tl_submit sub = submit(f, "n", NULL, NULL);
	char		 ref[TL_REF_SIZE];

	open_store(f);
	q_exec(f->path, "CREATE TRIGGER full BEFORE INSERT ON deliveries"
	    " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
	assert_int_equal(tl_store_add(f->s, &sub, ref), TL_ESTORE);
	assert_string_equal(ref, "");
	assert_non_null(strstr(tl_store_errmsg(f->s), "disk is full"));
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 0);
	assert_int_equal(tl_store_find_token(f->s, "n", ref), TL_ENOTFOUND);

	q_exec(f->path, "DROP TRIGGER full");
	add_ok(f, "n", ref);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 1);
}

/* Read-only file and folder: only meaningful when not root (root writes
 * anyway; the trigger test above covers a failing store for root). */
static void
test_readonly_store(void **state)
{
	struct fx	*f = *state;
	struct tl_submit sub = submit(f, NULL, NULL, NULL);
	char		 ref[TL_REF_SIZE], err[256];

	if (geteuid() == 0)
		skip();
	open_store(f);
	add_ok(f, NULL, ref);
	tl_store_close(f->s);
	f->s = NULL;
	assert_int_equal(chmod(f->path, 0444), 0);
	assert_int_equal(chmod(f->dir, 0555), 0);
	/* Either the open fails, or every write does. */
	if (tl_store_open(f->path, &f->s, err, sizeof(err)) == TL_OK) {
		assert_int_equal(tl_store_add(f->s, &sub, ref), TL_ESTORE);
		assert_string_equal(ref, "");
		assert_int_equal(tl_store_health(f->s), TL_ESTORE);
	}
	chmod(f->dir, 0700);
	chmod(f->path, 0600);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 1);
}

static void
test_health(void **state)
{
	struct fx	*f = *state;

	open_store(f);
	assert_int_equal(tl_store_health(f->s), TL_OK);
	assert_int_equal(tl_store_health(f->s), TL_OK);
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(tl_store_health(f->s), TL_ESTORE);
	assert_string_not_equal(tl_store_errmsg(f->s), "no error");
}

static void
test_reopen_keeps_data(void **state)
{
	struct fx	*f = *state;
	char		 ref[TL_REF_SIZE], found[TL_REF_SIZE];
	int64_t		 c[TL_OUT__MAX];

	open_store(f);
	add_ok(f, "kept", ref);
	tl_store_close(f->s);
	f->s = NULL;
	open_store(f);
	assert_int_equal(tl_store_find_token(f->s, "kept", found), TL_OK);
	assert_string_equal(found, ref);
	assert_int_equal(tl_store_outbox_counts(f->s, c), TL_OK);
	assert_int_equal(c[TL_OUT_PENDING], 1);
}

static void
test_migrations_idempotent(void **state)
{
	struct fx	*f = *state;
	char		 err[256];
	int64_t		 objects;
	int		 i;

	open_store(f);
	objects = q_int(f->path, "SELECT count(*) FROM sqlite_schema");
	for (i = 0; i < 3; i++) {
		tl_store_close(f->s);
		f->s = NULL;
		open_store(f);
	}
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM sqlite_schema"),
	    objects);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM counters"), 3);
	assert_int_equal(q_int(f->path, "PRAGMA user_version"), 3);

	/* A schema from a newer program is refused, not rewritten. */
	tl_store_close(f->s);
	f->s = NULL;
	q_exec(f->path, "PRAGMA user_version = 99");
	assert_int_equal(tl_store_open(f->path, &f->s, err, sizeof(err)),
	    TL_ESTORE);
	assert_null(f->s);
	assert_non_null(strstr(err, "99"));
}

/* Several processes creating the same new store at once all succeed. */
static void
test_concurrent_open(void **state)
{
	struct fx	*f = *state;
	enum { N = 6 };
	pid_t		 pid[N];
	int		 i, st, ok = 0;

	for (i = 0; i < N; i++) {
		assert_true((pid[i] = fork()) != -1);
		if (pid[i] == 0) {
			struct tl_store	*s;
			struct tl_submit sub = submit(f, NULL, NULL, NULL);
			char		 err[256], ref[TL_REF_SIZE];
			int		 rc;

			err[0] = '\0';
			rc = tl_store_open(f->path, &s, err, sizeof(err)) ==
			    TL_OK && tl_store_add(s, &sub, ref) == TL_OK;
			if (!rc)
				fprintf(stderr, "child: %s / %s\n", err,
				    err[0] ? "" : tl_store_errmsg(s));
			tl_store_close(rc ? s : NULL);
			report_clear(&f->r);
			_exit(rc ? 0 : 1);
		}
	}
	for (i = 0; i < N; i++)
		if (waitpid(pid[i], &st, 0) == pid[i] && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			ok++;
	assert_int_equal(ok, N);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), N);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM counters"), 3);
}

static void
test_outbox_counts(void **state)
{
	struct fx	*f = *state;
	char		 ref[TL_REF_SIZE];
	int64_t		 c[TL_OUT__MAX];
	int		 i;

	open_store(f);
	assert_int_equal(tl_store_outbox_counts(f->s, c), TL_OK);
	assert_int_equal(c[TL_OUT_PENDING] + c[TL_OUT_DELIVERED] +
	    c[TL_OUT_DEAD], 0);
	for (i = 0; i < 4; i++)
		add_ok(f, NULL, ref);
	q_exec(f->path, "UPDATE deliveries SET state = 'delivered'"
	    " WHERE id = 1;"
	    "UPDATE deliveries SET state = 'dead' WHERE id IN (2, 3)");
	assert_int_equal(tl_store_outbox_counts(f->s, c), TL_OK);
	assert_int_equal(c[TL_OUT_PENDING], 1);
	assert_int_equal(c[TL_OUT_DELIVERED], 1);
	assert_int_equal(c[TL_OUT_DEAD], 2);
}

/*
 * Deleting a tip deletes its delivery: the store's own connection has
 * foreign keys on. The DELETE runs on that connection as the store set it
 * up (test-only use of store_impl.h), never turning the pragma on itself,
 * so that a store which stops setting it fails here.
 */
static void
test_cascade(void **state)
{
	struct fx	*f = *state;
	char		 ref[TL_REF_SIZE];

	open_store(f);
	add_ok(f, NULL, ref);
	add_ok(f, NULL, ref);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 2);
	assert_non_null(f->s->db);
	assert_int_equal(sqlite3_exec(f->s->db, "DELETE FROM tips", NULL, NULL,
	    NULL), SQLITE_OK);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 0);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* Stores the tips with nonces x, y and z in one batch: the middle one must
 * fail with want, and its neighbours be stored. */
static void
batch_middle_fails(struct fx *f, const char *x, const char *y,
    const char *z, enum tl_err want)
{
	struct tl_submit	 a = submit(f, x, NULL, NULL);
	struct tl_submit	 b = submit(f, y, NULL, NULL);
	struct tl_submit	 c = submit(f, z, NULL, NULL);
	const struct tl_submit	*subs[3] = { &a, &b, &c };
	char			 refs[3][TL_REF_SIZE];
	enum tl_err		 res[3];

	assert_int_equal(tl_store_add_batch(f->s, subs, 3, refs, res), TL_OK);
	assert_int_equal(res[0], TL_OK);
	assert_int_equal(res[1], want);
	assert_int_equal(res[2], TL_OK);
	assert_true(ref_ok(refs[0]) && ref_ok(refs[2]));
	assert_string_equal(refs[1], "");
}

/* A batch keeps its neighbours when one tip is a duplicate. */
static void
test_batch_isolates_duplicate(void **state)
{
	struct fx	*f = *state;
	char		 first[TL_REF_SIZE];

	open_store(f);
	add_ok(f, "nonce-b", first);
	batch_middle_fails(f, "nonce-a", "nonce-b", "nonce-c", TL_EDUPLICATE);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 3);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 3);
}

/*
 * A tip that fails half-way (its row stored, its delivery refused) is
 * undone alone: the batch runs again with savepoints, its neighbours are
 * stored whole and no tip is left without its delivery.
 */
static void
test_batch_undoes_half_tip(void **state)
{
	struct fx	*f = *state;
	sqlite3		*db;

	open_store(f);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER refuse BEFORE "
	    "INSERT ON deliveries WHEN (SELECT dedupe FROM tips WHERE "
	    "id = NEW.tip_id) = 't:nonce-bad' BEGIN SELECT RAISE(ABORT, "
	    "'refused'); END", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	batch_middle_fails(f, "nonce-a", "nonce-bad", "nonce-c", TL_ESTORE);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 2);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips WHERE "
	    "dedupe = 't:nonce-bad'"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 2);
}

/* The WAL's checkpoint sequence number (bytes 12-15 of its header), which
 * changes each time the WAL starts again from its beginning; -1 without
 * a WAL. Keeps the largest size seen in *max. */
static long
wal_seq(const struct fx *f, off_t *max)
{
	char		 p[160];
	unsigned char	 h[16];
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	snprintf(p, sizeof(p), "%s-wal", f->path);
	if ((fd = open(p, O_RDONLY)) == -1)
		return -1;
	if (fstat(fd, &st) == 0 && st.st_size > *max)
		*max = st.st_size;
	n = read(fd, h, sizeof(h));
	close(fd);
	if (n != (ssize_t)sizeof(h))
		return -1;
	return (long)h[12] << 24 | (long)h[13] << 16 | (long)h[14] << 8 |
	    (long)h[15];
}

/*
 * Checkpoints run beside the commits (commitq.c): under a stream of tips
 * the WAL starts again well before SQLite's own checkpoint would copy it
 * (TL_WAL_FORCE frames, about 41 MB), and every tip is in the file.
 */
static void
test_checkpoints_beside_commits(void **state)
{
	struct fx		*f = *state;
	struct tl_commitq	*q;
	struct tl_submit	 sub;
	char			 ref[TL_REF_SIZE], nonce[32];
	long			 seq, last = -1;
	off_t			 max = 0;
	int			 i, restarts = 0;

	open_store(f);
	assert_non_null(q = tl_commitq_new(f->path));
	for (i = 0; i < 6000 && restarts < 2; i++) {
		snprintf(nonce, sizeof(nonce), "ck-%d", i);
		sub = submit(f, nonce, NULL, NULL);
		assert_int_equal(tl_commitq_add(q, &sub, ref), TL_OK);
		if ((seq = wal_seq(f, &max)) != last && last != -1)
			restarts++;
		last = seq;
	}
	tl_commitq_free(q);
	assert_true(restarts >= 2);
	/* SQLite's own would reach TL_WAL_FORCE frames; ours restarts near
	 * 4,000 (room left for a slow machine). */
	assert_true(max < (off_t)(TL_WAL_FORCE * 4 / 5) * (4096 + 24));
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), i);
}

/*
 * The figures of /metrics: one commit per tip when tips come one at a
 * time, and nothing counted for a store that could not take them.
 */
static void
test_commit_figures(void **state)
{
	struct fx		*f = *state;
	struct tl_commitq	*q;
	struct tl_commitq_stats	 cs;
	struct tl_submit	 sub;
	char			 ref[TL_REF_SIZE], nonce[32], missing[160];
	int			 i;

	snprintf(missing, sizeof(missing), "%s/none/tipline.db", f->dir);
	assert_non_null(q = tl_commitq_new(missing));
	sub = submit(f, "figures-lost", NULL, NULL);
	assert_int_equal(tl_commitq_add(q, &sub, ref), TL_ESTORE);
	tl_commitq_stats(q, &cs);
	assert_true(cs.commits == 0 && cs.tips == 0 && cs.usec == 0);
	tl_commitq_free(q);

	open_store(f);
	assert_non_null(q = tl_commitq_new(f->path));
	for (i = 0; i < 5; i++) {
		snprintf(nonce, sizeof(nonce), "figures-%d", i);
		sub = submit(f, nonce, NULL, NULL);
		assert_int_equal(tl_commitq_add(q, &sub, ref), TL_OK);
	}
	sub = submit(f, "figures-0", NULL, NULL);
	assert_int_equal(tl_commitq_add(q, &sub, ref), TL_EDUPLICATE);
	tl_commitq_stats(q, &cs);
	assert_true(cs.commits == 6 && cs.tips == 6 && cs.usec > 0);
	tl_commitq_free(q);
}

#define GC_THREADS	8
#define GC_EACH		50

struct gc_arg {
	struct fx	*f;
	int		 id;
	int		 ok, dup, bad;
	struct tl_commitq *q;
};

/* One request thread: its own handle, tips through the shared queue;
 * every fifth nonce is shared by all threads (only one may store it). */
static void *
gc_thread(void *p)
{
	struct gc_arg	*a = p;
	struct tl_store	*s;
	struct tl_submit sub;
	struct tl_tip	 view;
	uint8_t		*blob;
	char		 nonce[32], ref[TL_REF_SIZE], err[256];
	int		 i;
	enum tl_err	 rc;

	if (tl_store_open(a->f->path, &s, err, sizeof(err)) != TL_OK) {
		a->bad = GC_EACH;
		return NULL;
	}
	for (i = 0; i < GC_EACH; i++) {
		if (i % 5 == 0)
			snprintf(nonce, sizeof(nonce), "shared-%d", i);
		else
			snprintf(nonce, sizeof(nonce), "t%d-%d", a->id, i);
		/* Sealed in this thread, as intake does (fx_seal()'s ring
		 * is not for threads). */
		memset(&sub, 0, sizeof(sub));
		sub.report = &a->f->r;
		sub.received_at = 1700000000;
		sub.token_nonce = nonce;
		fx_prepare(&sub, &view, &blob);
		rc = tl_commitq_add(a->q, &sub, ref);
		free(blob);
		if (rc == TL_OK && ref_ok(ref))
			a->ok++;
		else if (rc == TL_EDUPLICATE)
			a->dup++;
		else
			a->bad++;
	}
	tl_store_close(s);
	return NULL;
}

static void
test_group_commit(void **state)
{
	struct fx		*f = *state;
	struct gc_arg		 a[GC_THREADS];
	pthread_t		 t[GC_THREADS];
	struct tl_commitq	*q;
	struct tl_commitq_stats	 cs;
	int			 i, ok = 0, dup = 0;
	const int		 shared = GC_EACH / 5;

	open_store(f);
	assert_non_null(q = tl_commitq_new(f->path));
	for (i = 0; i < GC_THREADS; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].f = f;
		a[i].id = i;
		a[i].q = q;
		assert_int_equal(pthread_create(&t[i], NULL, gc_thread, &a[i]),
		    0);
	}
	for (i = 0; i < GC_THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].bad, 0);
		ok += a[i].ok;
		dup += a[i].dup;
	}
	/* Every submission was in a committed transaction, refused
	 * duplicates too. */
	tl_commitq_stats(q, &cs);
	assert_int_equal(cs.tips, GC_THREADS * GC_EACH);
	assert_true(cs.usec > 0);
	tl_commitq_free(q);
	/* Each private nonce once, each shared nonce once in all. */
	assert_int_equal(ok, GC_THREADS * (GC_EACH - shared) + shared);
	assert_int_equal(dup, (GC_THREADS - 1) * shared);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), ok);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), ok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_creates_schema),
		T(test_add_stores_tip_and_delivery),
		T(test_refs_unique),
		T(test_duplicate_token),
		T(test_idempotency_key),
		T(test_moved_file_recovers),
		T(test_moved_during_add),
		T(test_deleted_file_recovers),
		T(test_failing_store_half_stores_nothing),
		T(test_readonly_store),
		T(test_health),
		T(test_reopen_keeps_data),
		T(test_migrations_idempotent),
		T(test_concurrent_open),
		T(test_outbox_counts),
		T(test_cascade),
		T(test_batch_isolates_duplicate),
		T(test_batch_undoes_half_tip),
		T(test_checkpoints_beside_commits),
		T(test_commit_figures),
		T(test_group_commit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
