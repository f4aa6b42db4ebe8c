/*
 * test_upgrade.c — a store as Part I shipped it, holding tips in
 * plaintext, becomes a sealed one (lib/upgrade.c, SPEC 11): the serving
 * programs refuse it until `tiplinectl init` seals it; then every tip
 * opens with the staff secret key, keeps its reference, time and
 * deliveries, and no byte of the file, its WAL or its shared memory holds
 * what was written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture.h"
#include "query.h"
#include "store.h"

/* The schema of Part I's store (its step 1, as it shipped), and two tips
 * of its time: one from the form (a token nonce), one from the API. */
static const char part1[] =
    "CREATE TABLE tips (id INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE,"
    " received_at INTEGER NOT NULL, priority TEXT NOT NULL CHECK (priority"
    " IN ('urgent', 'normal')), concerns TEXT NOT NULL, description TEXT"
    " NOT NULL, location TEXT NOT NULL, postcode TEXT, \"when\" TEXT,"
    " times TEXT, people TEXT, vehicles TEXT, phones TEXT, child_at_risk"
    " TEXT, weapons_seen TEXT, vulnerable_adult TEXT, token_nonce TEXT"
    " UNIQUE, idem_key TEXT UNIQUE, body_hash TEXT, CHECK (idem_key IS NULL"
    " OR body_hash IS NOT NULL));"
    "CREATE INDEX tips_received ON tips (received_at);"
    "CREATE TABLE deliveries (id INTEGER PRIMARY KEY, tip_id INTEGER NOT"
    " NULL UNIQUE REFERENCES tips (id) ON DELETE CASCADE, webhook_id TEXT"
    " NOT NULL UNIQUE, state TEXT NOT NULL DEFAULT 'pending' CHECK (state"
    " IN ('pending', 'delivered', 'dead')), urgent INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,"
    " lease_until INTEGER, lease_owner TEXT, last_status INTEGER,"
    " last_error TEXT, created_at INTEGER NOT NULL, delivered_at INTEGER);"
    "CREATE INDEX deliveries_due ON deliveries (state, urgent DESC,"
    " next_at);"
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO counters (name, value) VALUES ('deliveries_ok', 0),"
    " ('deliveries_retry', 0), ('deliveries_dead', 0);"
    "INSERT INTO tips VALUES (1, 'TL-1111-AAAA', 1700000000, 'urgent',"
    " 'cuckooing', 'MARK-desc-Qv4 the flat above the shop',"
    " 'MARK-loc-Qv4 Mill Lane', 'SO14 3JJ', 'now', NULL,"
    " 'MARK-people-Qv4 tall', NULL, '+447700900123', 'yes', NULL, NULL,"
    " 'nonce-1', NULL, NULL);"
    "INSERT INTO tips VALUES (2, 'TL-2222-BBBB', 1700000100, 'normal',"
    " 'dealing', 'MARK-api-Qv4 sells by the park', 'MARK-park-Qv4',"
    " NULL, NULL, 'MARK-times-Qv4', NULL, 'MARK-car-Qv4', NULL, NULL,"
    " NULL, 'unsure', NULL, 'key-1', 'abc');"
    "INSERT INTO deliveries (tip_id, webhook_id, state, urgent, attempts,"
    " next_at, created_at) VALUES (1, 'msg_one', 'delivered', 1, 1,"
    " 1700000000, 1700000000), (2, 'msg_two', 'pending', 0, 0,"
    " 1700000100, 1700000100);"
    "PRAGMA user_version = 1;";

static const char *const markers[] = { "MARK-desc-Qv4", "MARK-loc-Qv4",
    "MARK-people-Qv4", "MARK-api-Qv4", "MARK-park-Qv4", "MARK-times-Qv4",
    "MARK-car-Qv4", "+447700900123", NULL };

/* Whether any file of the store at path holds any marker. */
static int
any_marker(const char *path)
{
	static const char *const beside[] = { "", "-wal", "-shm", NULL };
	char	 p[256];
	size_t	 i, j;

	for (i = 0; beside[i] != NULL; i++)
		for (j = 0; markers[j] != NULL; j++) {
			snprintf(p, sizeof(p), "%s%s", path, beside[i]);
			if (file_holds(p, markers[j]))
				return 1;
		}
	return 0;
}

static void
test_part1_sealed(void **state)
{
	struct tl_seal_secret	*sk;
	struct tl_store		*s;
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	char			 dir[] = "/tmp/tl-upgrade-XXXXXX", path[64];
	char			 err[256], *out = NULL;
	size_t			 len = 0;
	int64_t			 sealed = -1;
	FILE			*mem;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tipline.db", dir);
	fclose(fopen(path, "w"));
	q_exec(path, "PRAGMA journal_mode = WAL");
	q_exec(path, part1);
	assert_true(any_marker(path));
	fx_staff_keys(pk, &sk);

	/* As tiplinectl opens it (SPEC 16): no trigger or view of the
	 * file's runs, defensive mode; the upgrade needs none of them. */
	tl_store_distrust(1);
	/* tipline.fcgi and tipline-notify do not touch it: init must. */
	assert_int_equal(tl_store_attach(path, &s, err, sizeof(err)),
	    TL_ESTORE);
	assert_non_null(strstr(err, "tiplinectl init"));
	assert_int_equal(q_int(path, "PRAGMA user_version"), 1);

	assert_int_equal(tl_store_open_sealing(path, pk, &s, &sealed, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(sealed, 2);
	assert_false(any_marker(path));
	assert_int_equal(q_int(path, "SELECT count(*) FROM sqlite_schema"
	    " WHERE name GLOB '*_part1'"), 0);
	assert_int_equal(q_int(path, "SELECT count(*) FROM tips t JOIN"
	    " deliveries d ON d.tip_id = t.id WHERE (t.ref = 'TL-1111-AAAA'"
	    " AND t.received_at = 1700000000 AND t.priority = 'urgent' AND"
	    " t.area = 'SO14' AND t.dedupe = 't:nonce-1' AND d.webhook_id ="
	    " 'msg_one' AND d.state = 'delivered') OR (t.ref = 'TL-2222-BBBB'"
	    " AND t.dedupe IS NULL AND d.webhook_id = 'msg_two')"), 2);

	/* Every tip opens with the staff key and says what it said. */
	assert_non_null(mem = open_memstream(&out, &len));
	assert_int_equal(tl_query_export(s, sk, TL_SINCE_ALL, mem), TL_OK);
	fclose(mem);
	assert_non_null(strstr(out, "MARK-desc-Qv4 the flat above the shop"));
	assert_non_null(strstr(out, "\"times\":\"MARK-times-Qv4\""));
	assert_non_null(strstr(out, "\"phones\":[\"+447700900123\"]"));
	free(out);
	tl_store_close(s);

	/* Sealed once: opening again seals nothing more. */
	assert_int_equal(tl_store_open_sealing(path, pk, &s, &sealed, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(sealed, 0);
	tl_store_close(s);
	tl_store_distrust(0);
	tl_seal_secret_free(sk);
	rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_part1_sealed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
