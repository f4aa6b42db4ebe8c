/*
 * test_query.c — tiplinectl's queries (lib/query.c, written by
 * lib/present.c): list, show, export, purge, deliveries, redeliver and
 * stats against a temporary store filled with tl_store_add().
 *
 * Output is captured with open_memstream(); rows are changed and checked
 * through a second, independent SQLite connection.
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
#include <jansson.h>
#include <sqlite3.h>

#include "fixture.h"
#include "query.h"

#define T0	1700000000	/* 2023-11-14T22:13:20Z */
#define DAY	86400

struct fx {
	char		 dir[64];
	char		 path[128];
	struct tl_store	*s;
	char		 refs[3][TL_REF_SIZE];	/* old, middle, new */
	char		*buf;			/* captured output */
	size_t		 len;
	FILE		*out;
	struct tl_seal_secret *sk;		/* the tests' staff key */
};

/* ---------------------------------------------------------- fixture --- */

/* A validated report as tl_report_validate() would leave it. */
static void
make_report(struct tl_report *r, int urgent, const char *desc,
    const char *postcode, int phones)
{
	tl_report_init(r);
	if (urgent) {
		r->value[TL_F_CONCERNS] = strdup("cuckooing,child_exploitation");
		r->concerns = (1u << 1) | (1u << 2);
		r->value[TL_F_CHILD_AT_RISK] = strdup("yes");
		r->value[TL_F_WHEN] = strdup("now");
		r->priority = TL_PRIO_URGENT;
	} else {
		r->value[TL_F_CONCERNS] = strdup("dealing");
		r->concerns = 1u;
		r->value[TL_F_VULNERABLE_ADULT] = strdup("unsure");
	}
	r->value[TL_F_DESCRIPTION] = strdup(desc);
	r->value[TL_F_LOCATION] = strdup("Flats behind the Co-op");
	if (postcode != NULL)
		r->value[TL_F_POSTCODE] = strdup(postcode);
	if (phones) {
		r->value[TL_F_PHONES] = strdup("+447700900123,+447700900456");
		r->phones[0] = strdup("+447700900123");
		r->phones[1] = strdup("+447700900456");
		r->nphones = 2;
	}
}

/* Adds a tip received at t; its reference goes to ref. */
static void
add(struct fx *f, int64_t t, int urgent, const char *desc,
    const char *postcode, int phones, char ref[TL_REF_SIZE])
{
	struct tl_report r;
	struct tl_submit sub;

	make_report(&r, urgent, desc, postcode, phones);
	memset(&sub, 0, sizeof(sub));
	sub.report = &r;
	sub.received_at = t;
	fx_seal(&sub);
	assert_int_equal(tl_store_add(f->s, &sub, ref), TL_OK);
	tl_report_free(&r);
}

/* Adds a normal tip at T0 + 2 days whose field f says v (sealed as it
 * is: the validation that would refuse some of it is not run here). */
static void
add_with(struct fx *f, enum tl_field field, const char *v,
    char ref[TL_REF_SIZE])
{
	struct tl_report r;
	struct tl_submit sub;

	make_report(&r, 0, "Someone sells from the bench by the park.", NULL,
	    0);
	free(r.value[field]);
	r.value[field] = strdup(v);
	memset(&sub, 0, sizeof(sub));
	sub.report = &r;
	sub.received_at = T0 + 2 * DAY;
	fx_seal(&sub);
	assert_int_equal(tl_store_add(f->s, &sub, ref), TL_OK);
	tl_report_free(&r);
}

/* Three tips: a normal one at T0 - 10 days (with phones and a marker in
 * its description), an urgent one at T0, a normal one at T0 + 1 day. */
static int
setup(void **state)
{
	struct fx	*f;
	char		 err[256];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/tl-query-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/tipline.db", f->dir);
	if (tl_store_open(f->path, &f->s, err, sizeof(err)) != TL_OK)
		return -1;
	fx_staff_keys((uint8_t[TL_SEAL_KEYBYTES]){ 0 }, &f->sk);
	add(f, T0 - 10 * DAY, 0, "OLD-MARKER-Qz7 a van comes every night "
	    "to the garages.", "SO14 3JJ", 1, f->refs[0]);
	add(f, T0, 1, "A child is made to carry packages\nfrom the flat.",
	    "SO14", 0, f->refs[1]);
	add(f, T0 + DAY, 0, "Someone sells from the bench by the park.",
	    NULL, 0, f->refs[2]);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	if (f->out != NULL)
		fclose(f->out);
	free(f->buf);
	tl_store_close(f->s);
	tl_seal_secret_free(f->sk);
	rmtree(f->dir);
	free(f);
	return 0;
}

/* A fresh capture stream (the previous capture is dropped). */
static FILE *
capture(struct fx *f)
{
	if (f->out != NULL)
		fclose(f->out);
	free(f->buf);
	f->buf = NULL;
	assert_non_null(f->out = open_memstream(&f->buf, &f->len));
	return f->out;
}

/* What was captured since capture(). */
static const char *
captured(struct fx *f)
{
	assert_int_equal(fflush(f->out), 0);
	return f->buf;
}

/* How many lines text has. */
static size_t
lines(const char *text)
{
	size_t	 n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/* --------------------------------------------------------------- list --- */

static void
test_list_text(void **state)
{
	struct fx		*f = *state;
	struct tl_list_opts	 o = { TL_SINCE_ALL, -1, 0, 0 };
	const char		*t, *a, *b, *c;

	assert_int_equal(tl_query_list(f->s, &o, capture(f)), TL_OK);
	t = captured(f);
	assert_int_equal(lines(t), 4);		/* heading and three tips */
	assert_non_null(a = strstr(t, f->refs[2]));
	assert_non_null(b = strstr(t, f->refs[1]));
	assert_non_null(c = strstr(t, f->refs[0]));
	assert_true(a < b && b < c);		/* newest first */
	assert_non_null(strstr(b, "2023-11-14T22:13:20Z  URGENT  "
	    "cuckooing,child_exploitation"));
	assert_non_null(strstr(c, "normal  dealing"));
	assert_non_null(strstr(c, "SO14      pending"));

	o.priority = TL_PRIO_NORMAL;
	o.limit = 1;
	assert_int_equal(tl_query_list(f->s, &o, capture(f)), TL_OK);
	t = captured(f);
	assert_int_equal(lines(t), 2);
	assert_non_null(strstr(t, f->refs[2]));

	o.priority = -1;
	o.limit = 0;
	o.since = T0;
	assert_int_equal(tl_query_list(f->s, &o, capture(f)), TL_OK);
	t = captured(f);
	assert_int_equal(lines(t), 3);
	assert_null(strstr(t, f->refs[0]));
}

static void
test_list_json(void **state)
{
	struct fx		*f = *state;
	struct tl_list_opts	 o = { TL_SINCE_ALL, TL_PRIO_URGENT, 0, 1 };
	json_t			*a, *t;
	json_error_t		 e;

	assert_int_equal(tl_query_list(f->s, &o, capture(f)), TL_OK);
	assert_non_null(a = json_loads(captured(f), 0, &e));
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 1);
	t = json_array_get(a, 0);
	assert_string_equal(json_string_value(json_object_get(t, "ref")),
	    f->refs[1]);
	assert_string_equal(json_string_value(json_object_get(t,
	    "received_at")), "2023-11-14T22:13:20Z");
	assert_string_equal(json_string_value(json_object_get(t,
	    "priority")), "urgent");
	assert_int_equal(json_array_size(json_object_get(t, "concerns")), 2);
	assert_string_equal(json_string_value(json_object_get(t, "area")),
	    "SO14");
	assert_string_equal(json_string_value(json_object_get(t,
	    "delivery")), "pending");
	json_decref(a);

	o.priority = -1;
	o.since = T0 + 2 * DAY;		/* nothing: still one array */
	assert_int_equal(tl_query_list(f->s, &o, capture(f)), TL_OK);
	assert_non_null(a = json_loads(captured(f), 0, &e));
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
}

/* --------------------------------------------------------- show/export --- */

static void
test_show(void **state)
{
	struct fx	*f = *state;
	const char	*t;
	json_t		*o;
	json_error_t	 e;

	assert_int_equal(tl_query_show(f->s, f->sk, f->refs[1], 0, capture(f)),
	    TL_OK);
	t = captured(f);
	assert_non_null(strstr(t, "Priority    URGENT"));
	assert_non_null(strstr(t, "Delivery    pending, 0 attempts"));
	/* Staff read the table's short names (the public's words are in
	 * the catalogues). */
	assert_non_null(strstr(t, "Description\n  A child is made to "
	    "carry packages\n  from the flat.\n"));
	assert_non_null(strstr(t, "Child at risk\n  Yes\n"));
	assert_non_null(strstr(t, "When\n  Happening now\n"));
	assert_non_null(strstr(t, "Vehicles\n  (not answered)\n"));
	assert_non_null(strstr(t, "  Child exploitation"));

	assert_int_equal(tl_query_show(f->s, f->sk, f->refs[0], 1, capture(f)),
	    TL_OK);
	assert_non_null(o = json_loads(captured(f), 0, &e));
	assert_string_equal(json_string_value(json_object_get(o, "ref")),
	    f->refs[0]);
	assert_int_equal(json_array_size(json_object_get(o, "phones")), 2);
	assert_true(json_is_null(json_object_get(o, "when")));
	json_decref(o);

	assert_int_equal(tl_query_show(f->s, f->sk, "TL-0000-0000", 0, capture(f)),
	    TL_ENOTFOUND);
}

static void
test_show_escapes_controls(void **state)
{
	struct fx	*f = *state;
	char		 ref[TL_REF_SIZE];
	const char	*t;

	add_with(f, TL_F_PEOPLE, "a\x1b[31mred\x07\xc2\x9bx", ref);
	assert_int_equal(tl_query_show(f->s, f->sk, ref, 0, capture(f)),
	    TL_OK);
	t = captured(f);
	assert_null(strchr(t, 27));
	assert_null(strchr(t, 7));
	assert_null(strstr(t, "\xc2\x9b"));
	assert_non_null(strstr(t, "  a?[31mred??x\n"));
}

/* Bidi, invisible and separator characters are stored as written but
 * shown as markers in text, so a tip cannot reverse what staff read. */
static void
test_show_marks_bidi(void **state)
{
	struct fx	*f = *state;
	char		 ref[TL_REF_SIZE], ref2[TL_REF_SIZE];
	const char	*t;

	/* "call 321" written as U+202E then "123 llac". */
	add_with(f, TL_F_DESCRIPTION, "\xe2\x80\xae" "123 llac"
	    "\xe2\x80\x8b\xe2\x80\xa8x", ref);
	add_with(f, TL_F_PEOPLE, "\xe2\x81\xa6" "Jay\xe2\x81\xa9", ref2);
	q_exec(f->path, "UPDATE deliveries SET last_error = 'bad ' ||"
	    " char(8238) || 'x'");
	assert_int_equal(tl_query_show(f->s, f->sk, ref, 0, capture(f)),
	    TL_OK);
	t = captured(f);
	assert_non_null(strstr(t, "  \xe2\x9f\xa8U+202E\xe2\x9f\xa9" "123 llac"
	    "\xe2\x9f\xa8U+200B\xe2\x9f\xa9"
	    "\xe2\x9f\xa8U+2028\xe2\x9f\xa9" "x\n"));
	assert_null(strstr(t, "\xe2\x80\xae"));
	assert_null(strstr(t, "\xe2\x80\xa8"));
	assert_int_equal(tl_query_show(f->s, f->sk, ref2, 0, capture(f)),
	    TL_OK);
	t = captured(f);
	assert_non_null(strstr(t, "  \xe2\x9f\xa8U+2066\xe2\x9f\xa9" "Jay"
	    "\xe2\x9f\xa8U+2069\xe2\x9f\xa9\n"));

	assert_int_equal(tl_query_deliveries(f->s, -1, capture(f)), TL_OK);
	t = captured(f);
	assert_non_null(strstr(t, "bad \xe2\x9f\xa8U+202E\xe2\x9f\xa9" "x\n"));
	assert_null(strstr(t, "\xe2\x80\xae"));
}

/* JSON keeps the characters, but U+2028 and U+2029 escaped: a tool that
 * splits lines on them still reads one tip a line. */
static void
test_export_escapes_separators(void **state)
{
	struct fx	*f = *state;
	char		 ref[TL_REF_SIZE];
	const char	*t;
	json_t		*o;
	json_error_t	 e;

	add_with(f, TL_F_DESCRIPTION, "one\xe2\x80\xa8two\xe2\x80\xa9"
	    "\xe2\x80\xae" "x", ref);
	assert_int_equal(tl_query_export(f->s, f->sk, TL_SINCE_ALL, capture(f)),
	    TL_OK);
	t = captured(f);
	assert_int_equal(lines(t), 4);
	assert_non_null(strstr(t, "\"description\":\"one\\u2028two"
	    "\\u2029\xe2\x80\xae" "x\""));
	assert_null(strstr(t, "\xe2\x80\xa8"));
	assert_null(strstr(t, "\xe2\x80\xa9"));
	/* The new tip is the last line. */
	t = strrchr(t, '\n') != NULL && strrchr(t, '\n')[1] == '\0' ?
	    t + (strlen(t) - 1) : t;
	while (t > captured(f) && t[-1] != '\n')
		t--;
	assert_non_null(o = json_loadb(t, strcspn(t, "\n"), 0, &e));
	assert_string_equal(json_string_value(json_object_get(o,
	    "description")), "one\xe2\x80\xa8two\xe2\x80\xa9\xe2\x80\xae" "x");
	json_decref(o);

	assert_int_equal(tl_query_show(f->s, f->sk, ref, 1, capture(f)),
	    TL_OK);
	t = captured(f);
	assert_non_null(strstr(t, "one\\u2028two\\u2029"));
	assert_null(strstr(t, "\xe2\x80\xa8"));
}

static void
test_export(void **state)
{
	struct fx	*f = *state;
	static const char *const keys[] = { "ref", "received_at", "priority",
	    "concerns", "description", "how_known", "location",
	    "other_addresses", "postcode", "when", "times", "people",
	    "vehicles", "phones", "handles", "child_at_risk",
	    "weapons_seen", "vulnerable_adult", "reporter" };
	const char	*t, *k;
	json_t		*o, *v;
	json_error_t	 e;
	size_t		 i = 0;

	assert_int_equal(tl_query_export(f->s, f->sk, TL_SINCE_ALL, capture(f)),
	    TL_OK);
	t = captured(f);
	assert_int_equal(lines(t), 3);
	assert_non_null(o = json_loadb(t, strcspn(t, "\n"), 0, &e));
	json_object_foreach(o, k, v) {		/* oldest first, stable keys */
		assert_true(i < sizeof(keys) / sizeof(keys[0]));
		assert_string_equal(k, keys[i++]);
	}
	assert_int_equal(i, sizeof(keys) / sizeof(keys[0]));
	assert_string_equal(json_string_value(json_object_get(o, "ref")),
	    f->refs[0]);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(o, "phones"), 1)), "+447700900456");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(o, "concerns"), 0)), "dealing");
	assert_true(json_is_null(json_object_get(o, "times")));
	json_decref(o);
	assert_non_null(strstr(t, "\"phones\":null"));

	assert_int_equal(tl_query_export(f->s, f->sk, T0 + 1, capture(f)), TL_OK);
	t = captured(f);
	assert_int_equal(lines(t), 1);
	assert_non_null(strstr(t, f->refs[2]));
}

/* ------------------------------------------------------------- purge --- */

/* 32 bytes from the middle of ref's sealed blob into run (random
 * ciphertext: no NUL is expected in it, and one is checked for). */
static void
blob_run(struct fx *f, const char *ref, char run[33])
{
	sqlite3		*db = peek(f->path);
	sqlite3_stmt	*st;
	const char	*b;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT substr(sealed, 200,"
	    " 32) FROM tips WHERE ref = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	b = sqlite3_column_blob(st, 0);
	assert_int_equal(sqlite3_column_bytes(st, 0), 32);
	memcpy(run, b, 32);
	run[32] = '\0';
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (strlen(run) < 8)
		skip();	/* a NUL early in 32 random bytes: look again */
}

static void
test_purge(void **state)
{
	struct fx	*f = *state;
	char		 wal[160], run[33];
	int64_t		 n = -1;

	/* Sealed: the words are never in the file; the blob's bytes are
	 * until the purge (a hex run of them is looked for). */
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_false(file_holds(f->path, "OLD-MARKER-Qz7") ||
	    file_holds(wal, "OLD-MARKER-Qz7"));
	blob_run(f, f->refs[0], run);
	assert_true(file_holds(f->path, run) || file_holds(wal, run));
	assert_int_equal(tl_query_purge(f->s, T0 - DAY, 1, 0, &n, NULL),
	    TL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 3);

	assert_int_equal(tl_query_purge(f->s, T0 - DAY, 0, 0, &n, NULL),
	    TL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 2);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 2);
	assert_false(file_holds(f->path, run));
	assert_false(file_holds(wal, run));

	/* At the cutoff itself is "received up to" it. */
	assert_int_equal(tl_query_purge(f->s, T0, 0, 0, &n, NULL), TL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(tl_query_purge(f->s, T0, 0, 0, &n, NULL), TL_OK);
	assert_int_equal(n, 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 1);
}

static void
test_purge_busy_reader(void **state)
{
	struct fx	*f = *state;
	sqlite3		*db = peek(f->path);
	sqlite3_stmt	*st;
	int64_t		 n = -1;

	/* A reader holding a snapshot keeps the WAL from being emptied. */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT ref FROM tips", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	sqlite3_busy_timeout(db, 0);
	assert_int_equal(tl_query_purge(f->s, T0 - DAY, 0, 0, &n, NULL),
	    TL_ESTORE);
	assert_int_equal(n, 1);
	assert_non_null(strstr(tl_store_errmsg(f->s), "run purge again"));
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(tl_query_purge(f->s, T0 - DAY, 0, 0, &n, NULL),
	    TL_OK);
	assert_int_equal(n, 0);
}

/*
 * What tipline.fcgi could plant in the intake store (SPEC 16): a trigger
 * that refuses the purge. A store opened as tiplinectl opens it
 * (tl_store_distrust) runs no trigger of the file's and is never
 * reached through a symbolic link; its purge still removes a digest
 * that only the purged tip's delivery was folded into, as the schema's
 * own trigger would.
 */
static void
test_purge_distrusted(void **state)
{
	struct fx	*f = *state;
	struct tl_store	*s;
	sqlite3		*db = peek(f->path);
	char		 link[160], err[256];
	int64_t		 n = -1;

	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER keep BEFORE DELETE"
	    " ON tips BEGIN SELECT RAISE(ABORT, 'kept'); END;"
	    "INSERT INTO deliveries (tip_id, kind, webhook_id, urgent,"
	    " next_at, created_at) VALUES (NULL, 'tips.digest', 'wh', 0, 0,"
	    " 0);"
	    "UPDATE deliveries SET digest_id = last_insert_rowid()"
	    " WHERE tip_id = (SELECT min(id) FROM tips)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	/* Trusted, the planted trigger runs and the purge fails. */
	assert_int_equal(tl_query_purge(f->s, T0 - DAY, 0, 0, &n, NULL),
	    TL_ESTORE);
	assert_int_equal(n, 0);

	tl_store_distrust(1);
	snprintf(link, sizeof(link), "%s/link.db", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(tl_store_attach(link, &s, err, sizeof(err)),
	    TL_ESTORE);
	assert_int_equal(tl_store_attach(f->path, &s, err, sizeof(err)),
	    TL_OK);
	tl_store_distrust(0);
	assert_int_equal(tl_query_purge(s, T0 - DAY, 0, 0, &n, NULL), TL_OK);
	assert_int_equal(n, 1);
	tl_store_close(s);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 2);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"), 2);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"
	    " WHERE tip_id IS NULL"), 0);
}

/* Counts the commits on the store's connection (tl_store_on_commit). */
static int
count_commit(void *arg, int frames)
{
	(void)frames;
	(*(int *)arg)++;
	return 0;
}

static void
test_purge_batches(void **state)
{
	struct fx	*f = *state;
	sqlite3		*db = peek(f->path);
	int64_t		 n = -1, batches = -1;
	int		 commits = 0;

	/* 5,000 more old tips, each with a delivery: more than a page of
	 * ids (PURGE_PAGE), and then a new one among the old by id. */
	assert_int_equal(sqlite3_exec(db, "WITH RECURSIVE c(i) AS (SELECT 1"
	    " UNION ALL SELECT i + 1 FROM c WHERE i < 5000)"
	    " INSERT INTO tips (ref, received_at, priority, concerns,"
	    " has_people, has_vehicles, phones, sealed)"
	    " SELECT printf('TL-BTCH-%04d', i), 1690000000 + i, 'normal',"
	    " 'dealing', 0, 0, 0, zeroblob(64) FROM c;"
	    " INSERT INTO tips (ref, received_at, priority, concerns,"
	    " has_people, has_vehicles, phones, sealed) VALUES"
	    " ('TL-BTCH-NEW1', 1800000000, 'normal', 'dealing', 0, 0, 0,"
	    " x'00');"
	    " INSERT INTO deliveries (tip_id, webhook_id, urgent, next_at,"
	    " created_at) SELECT id, 'msg_b' || id, 0, 0, 0 FROM tips"
	    " WHERE ref GLOB 'TL-BTCH-[0-9]*'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	/* At most 1,000 tips a transaction: at least 6 transactions, each
	 * its own commit, and every old tip gone with its delivery. */
	tl_store_on_commit(f->s, count_commit, &commits);
	assert_int_equal(tl_query_purge(f->s, T0 - DAY, 0, 1000, &n,
	    &batches), TL_OK);
	assert_int_equal(n, 5001);
	assert_true(batches >= 6);
	assert_int_equal(commits, batches);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"), 3);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM tips"
	    " WHERE ref = 'TL-BTCH-NEW1'"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"),
	    2);

	/* Nothing left to delete: no transaction at all. */
	commits = 0;
	assert_int_equal(tl_query_purge(f->s, T0 - DAY, 0, 1000, &n,
	    &batches), TL_OK);
	assert_int_equal(n, 0);
	assert_int_equal(batches, 0);
	assert_int_equal(commits, 0);
}

/* -------------------------------------------------------- deliveries --- */

static void
test_deliveries_and_redeliver(void **state)
{
	struct fx	*f = *state;
	char		 sql[256];
	const char	*t;
	int64_t		 n = -1, whid;

	snprintf(sql, sizeof(sql), "UPDATE deliveries SET state = 'dead',"
	    " attempts = 8, last_status = 503, last_error = 'HTTP 503',"
	    " lease_owner = 'x', lease_until = 5 WHERE tip_id ="
	    " (SELECT id FROM tips WHERE ref = '%s')", f->refs[0]);
	q_exec(f->path, sql);
	whid = q_int(f->path, "SELECT sum(unicode(substr(webhook_id, 5)))"
	    " FROM deliveries WHERE state = 'dead'");
	assert_int_equal(tl_query_deliveries(f->s, TL_OUT_DEAD, capture(f)),
	    TL_OK);
	t = captured(f);
	assert_int_equal(lines(t), 2);
	assert_non_null(strstr(t, f->refs[0]));
	/* Its type and webhook id, which --ack takes, then the error. */
	assert_non_null(strstr(t, "  tip.received  dead              8  -"
	    "                     503     msg_"));
	assert_non_null(strstr(t, "  HTTP 503\n"));
	assert_int_equal(tl_query_deliveries(f->s, -1, capture(f)), TL_OK);
	assert_int_equal(lines(captured(f)), 4);

	assert_int_equal(tl_query_redeliver(f->s, NULL, T0 + 5, &n), TL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries WHERE"
	    " state = 'pending' AND attempts = 0 AND next_at = 1700000005"
	    " AND lease_owner IS NULL AND lease_until IS NULL"
	    " AND last_error IS NULL"), 1);
	assert_int_equal(q_int(f->path, "SELECT"
	    " sum(unicode(substr(webhook_id, 5))) FROM deliveries"
	    " WHERE next_at = 1700000005"), whid);
	assert_int_equal(tl_query_redeliver(f->s, NULL, T0, &n), TL_OK);
	assert_int_equal(n, 0);

	q_exec(f->path, "UPDATE deliveries SET state = 'delivered'");
	assert_int_equal(tl_query_redeliver(f->s, f->refs[2], T0 + 9, &n),
	    TL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries WHERE"
	    " state = 'pending' AND next_at = 1700000009"), 1);
	assert_int_equal(tl_query_redeliver(f->s, "TL-0000-0000", T0, &n),
	    TL_ENOTFOUND);
}

/* ------------------------------------------------------------- stats --- */

static void
test_stats(void **state)
{
	struct fx	*f = *state;
	json_t		*o, *c;
	json_error_t	 e;
	const char	*t;

	assert_int_equal(tl_query_stats(f->s, 1, capture(f)), TL_OK);
	assert_non_null(o = json_loads(captured(f), 0, &e));
	assert_int_equal(json_integer_value(json_object_get(o, "total")), 3);
	c = json_object_get(o, "by_priority");
	assert_int_equal(json_integer_value(json_object_get(c, "urgent")), 1);
	assert_int_equal(json_integer_value(json_object_get(c, "normal")), 2);
	c = json_object_get(o, "by_concern");
	assert_int_equal(json_object_size(c), 5);
	assert_int_equal(json_integer_value(json_object_get(c, "dealing")), 2);
	assert_int_equal(json_integer_value(json_object_get(c,
	    "child_exploitation")), 1);
	assert_int_equal(json_integer_value(json_object_get(c, "weapons")), 0);
	c = json_object_get(o, "by_day");
	assert_int_equal(json_object_size(c), 3);
	assert_int_equal(json_integer_value(json_object_get(c,
	    "2023-11-14")), 1);
	json_decref(o);

	assert_int_equal(tl_query_stats(f->s, 0, capture(f)), TL_OK);
	t = captured(f);
	assert_non_null(strstr(t, "tips 3\n"));
	assert_non_null(strstr(t, "  urgent                      1\n"));
	assert_non_null(strstr(t, "  2023-11-04                  1\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_text, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list_json, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_show, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_escapes_controls,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_marks_bidi, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_export, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_escapes_separators,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_batches, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_purge_distrusted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_purge_busy_reader, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_deliveries_and_redeliver,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
