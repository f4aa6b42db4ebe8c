/*
 * test_followup.c — the sender's side of follow-up (lib/followup.c, SPEC
 * 13) on a real store with the real templates: a code's round trip
 * through the API, a wrong code and an unknown reference answered alike,
 * the failure counter and its hour, spraying guesses over random
 * references locking no sender out and resetting no tip's count, a
 * code held for a resend and no longer, wiped by the clock with no
 * further call, and a conversation ended, its key and salt in no byte
 * of the store or its WAL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <sodium.h>
#include <sqlite3.h>

#include "fixture.h"
#include "followup.h"
#include "page.h"
#include "token.h"

#define T0	1764300000

static const struct tl_site site = {
	"Org", "999", "101", "/report", "18001 101", "en", 0
};

struct fx {
	struct fx_store		*st;
	struct tl_pages		*pages;
	struct tl_followup	*fu;
	uint8_t			 form_key[TL_FORM_KEYBYTES];
	uint8_t			 staff_pk[TL_SEAL_KEYBYTES];
	uint8_t			 idem_key[TL_SEAL_HASHKEYBYTES];
	struct tl_response	 res;
};

/* A fixture with follow-up's test-only settings (0: the defaults). */
static int
setup_with(void **state, int remember, int fail_slots)
{
	struct tl_followup_cfg	 c;
	struct fx		*f;
	char			 err[256];
	void			*st;

	if ((f = calloc(1, sizeof(*f))) == NULL || fx_store_setup(&st) != 0)
		return -1;
	f->st = st;
	if (tl_pages_load("templates", &site, &f->pages, err, sizeof(err)) !=
	    TL_OK) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	randombytes_buf(f->form_key, sizeof(f->form_key));
	randombytes_buf(f->idem_key, sizeof(f->idem_key));
	fx_staff_keys(f->staff_pk, NULL);
	memset(&c, 0, sizeof(c));
	c.on = 1;
	c.concurrency = 1;
	c.tip_slots = 2;
	c.pages = f->pages;
	c.form_key = f->form_key;
	c.staff_pk = f->staff_pk;
	c.idem_hash_key = f->idem_key;
	c.remember = remember;
	c.fail_slots = fail_slots;
	if (tl_followup_new(&c, &f->fu) != TL_OK)
		return -1;
	tl_response_init(&f->res);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state, 0, 0);
}

/* Codes held one second; a failure table of one probe's entries, so a
 * few references fill it. */
static int
setup_small(void **state)
{
	return setup_with(state, 1, 8);
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	void		*st = f->st;

	tl_response_free(&f->res);
	tl_followup_free(f->fu);
	tl_pages_free(f->pages);
	fx_store_teardown(&st);
	free(f);
	return 0;
}

/* Stores a tip with a new follow-up code: its ref and code. */
static void
plant(struct fx *f, char ref[TL_REF_SIZE], char code[TL_FU_CODE_SIZE])
{
	struct tl_field_error	 errs[TL_F__MAX];
	struct tl_fu_grant	 g;
	struct tl_submit	 sub;
	struct tl_report	 r;

	tl_report_init(&r);
	assert_int_equal(tl_report_set(&r, "concerns", 8, "dealing", 7),
	    TL_OK);
	assert_int_equal(tl_report_set(&r, "location", 8, "Flat 3", 6),
	    TL_OK);
	assert_int_equal(tl_report_set(&r, "description", 11,
	    "A car comes at nine.", 20), TL_OK);
	assert_int_equal(tl_report_validate(&r, errs, TL_F__MAX), 0);
	assert_int_equal(tl_followup_grant(f->fu, &g), TL_FU_GRANTED);
	memset(&sub, 0, sizeof(sub));
	sub.report = &r;
	sub.received_at = T0;
	sub.sender_pk = g.pk;
	sub.sender_salt = g.salt;
	fx_seal(&sub);
	assert_int_equal(tl_store_add(f->st->s, &sub, ref), TL_OK);
	memcpy(code, g.code, TL_FU_CODE_SIZE);
	tl_report_free(&r);
}

/* POSTs body as JSON to an API route at time now: the status. */
static int
api(struct fx *f, int add, const char *body, int64_t now)
{
	struct tl_request	 req;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.content_type = "application/json";
	req.body = body;
	req.body_len = strlen(body);
	req.now = now;
	tl_response_reset(&f->res);
	if (add)
		tl_followup_api_add(f->fu, f->st->s, &req, &f->res);
	else
		tl_followup_api_read(f->fu, f->st->s, &req, &f->res);
	assert_true(tl_response_ok(&f->res));
	return f->res.status;
}

static const char *
body(struct fx *f)
{
	tl_buf_putc(&f->res.body, '\0');
	f->res.body.len--;
	return f->res.body.data;
}

static int
read_as(struct fx *f, const char *ref, const char *code, int64_t now)
{
	char	 b[200];

	snprintf(b, sizeof(b), "{\"ref\":\"%s\",\"code\":\"%s\"}", ref, code);
	return api(f, 0, b, now);
}

static void
test_round_trip(void **state)
{
	struct fx	*f = *state;
	char		 ref[TL_REF_SIZE], code[TL_FU_CODE_SIZE], b[300];

	plant(f, ref, code);
	assert_int_equal(read_as(f, ref, code, T0 + 60), 200);
	assert_string_equal(body(f), "{\"messages\":[]}");
	snprintf(b, sizeof(b), "{\"ref\":\"%s\",\"code\":\"%s\","
	    "\"message\":\"Third floor, MARKER-7\"}", ref, code);
	assert_int_equal(api(f, 1, b, T0 + 70), 201);
	/* The code as typed: any case of ref, digits without spaces. */
	code[4] = code[9] = code[14] = '-';
	assert_int_equal(read_as(f, ref, code, T0 + 80), 200);
	assert_non_null(strstr(body(f), "\"from\":\"sender\""));
	assert_non_null(strstr(body(f), "\"text\":\"Third floor, MARKER-7\""));
	assert_false(file_holds(f->st->path, "MARKER-7"));
	/* The message is empty, or not text: 422, nothing stored. */
	snprintf(b, sizeof(b), "{\"ref\":\"%s\",\"code\":\"%s\","
	    "\"message\":\"  \"}", ref, code);
	assert_int_equal(api(f, 1, b, T0 + 90), 422);
	assert_non_null(strstr(body(f), "\"field\":\"message\""));
}

static void
test_unknown_like_wrong(void **state)
{
	struct fx	*f = *state;
	char		 ref[TL_REF_SIZE], code[TL_FU_CODE_SIZE];
	char		*wrong;

	plant(f, ref, code);
	assert_int_equal(read_as(f, ref, "0000 0000 0000 0001", T0), 422);
	wrong = strdup(body(f));
	assert_non_null(strstr(wrong, "\"code\":\"no_match\""));
	assert_int_equal(read_as(f, "TL-ZZZZ-ZZZZ", "0000 0000 0000 0001",
	    T0), 422);
	assert_string_equal(body(f), wrong);
	free(wrong);
	/* Not a code at all is said so, known reference or not. */
	assert_int_equal(read_as(f, ref, "12345", T0), 422);
	assert_non_null(strstr(body(f), "\"field\":\"code\""));
	assert_null(strstr(body(f), "no_match"));
}

static void
test_fail_window(void **state)
{
	struct fx	*f = *state;
	char		 ref[TL_REF_SIZE], code[TL_FU_CODE_SIZE];
	int		 i;

	plant(f, ref, code);
	for (i = 0; i < TL_FU_FAILS_MAX; i++)
		assert_int_equal(read_as(f, ref, "1111 2222 3333 4444",
		    T0 + i), 422);
	/* The 11th attempt is refused, even with the right code. */
	assert_int_equal(read_as(f, ref, code, T0 + 20), 429);
	assert_non_null(strstr(body(f), "too_many_attempts"));
	assert_int_equal(read_as(f, ref, code, T0 + TL_FU_FAILS_WINDOW - 1),
	    429);
	/* An hour after the first failure, it opens again. */
	assert_int_equal(read_as(f, ref, code, T0 + TL_FU_FAILS_WINDOW), 200);
	/* An unknown reference is counted the same. */
	for (i = 0; i < TL_FU_FAILS_MAX; i++)
		assert_int_equal(read_as(f, "TL-ZZZZ-ZZZ1", code, T0 + i),
		    422);
	assert_int_equal(read_as(f, "TL-ZZZZ-ZZZ1", code, T0 + 20), 429);
	/* Another reference is not held up by them. */
	assert_int_equal(read_as(f, "TL-ZZZZ-ZZZ2", code, T0 + 20), 422);
}

static void
test_remember(void **state)
{
	struct fx	*f = *state;
	char		 code[TL_FU_CODE_SIZE];

	tl_followup_remember(f->fu, "t:abc", "1234 5678 9012 3456", T0);
	assert_int_equal(tl_followup_recall(f->fu, "t:abd", T0 + 1, code), 0);
	assert_int_equal(tl_followup_recall(f->fu, "t:abc", T0 + 1, code), 1);
	assert_string_equal(code, "1234 5678 9012 3456");
	assert_int_equal(tl_followup_recall(f->fu, "t:abc",
	    T0 + TL_FU_REMEMBER - 1, code), 1);
	assert_int_equal(tl_followup_recall(f->fu, "t:abc",
	    T0 + TL_FU_REMEMBER, code), 0);
}

/* The monotonic clock in milliseconds. */
static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_held_wiped_by_timer(void **state)
{
	struct fx		*f = *state;
	struct timespec		 tick = { 0, 50 * 1000000 };
	char			 code[TL_FU_CODE_SIZE];
	int64_t			 t0 = now_ms(), waited;

	/* Held one second (setup_small); asked for with the request clock
	 * standing still, so only the sweeper can wipe it. */
	tl_followup_remember(f->fu, "t:abc", "1234 5678 9012 3456", T0);
	assert_int_equal(tl_followup_recall(f->fu, "t:abc", T0, code), 1);
	while (tl_followup_recall(f->fu, "t:abc", T0, code) &&
	    now_ms() - t0 < 5000)
		nanosleep(&tick, NULL);
	waited = now_ms() - t0;
	assert_int_equal(tl_followup_recall(f->fu, "t:abc", T0, code), 0);
	assert_true(waited >= 900 && waited < 5000);
}

/* A well-formed reference no tip has, the i-th. */
static void
unknown_ref(int i, char ref[TL_REF_SIZE])
{
	static const char a[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

	snprintf(ref, TL_REF_SIZE, "TL-ZZZZ-Z%c%c%c", a[i / 1024 % 32],
	    a[i / 32 % 32],
	    a[i % 32]);
}

static void
test_spray_no_lockout(void **state)
{
	struct fx	*f = *state;
	char		 ref[TL_REF_SIZE], code[TL_FU_CODE_SIZE];
	char		 other[TL_REF_SIZE], other_code[TL_FU_CODE_SIZE];
	char		 u[TL_REF_SIZE];
	int		 i;

	plant(f, ref, code);
	plant(f, other, other_code);
	for (i = 0; i < 3; i++)
		assert_int_equal(read_as(f, ref, "1111 2222 3333 4444",
		    T0 + i), 422);
	/* Guesses sprayed over random references fill the table many times
	 * over, each answered as a wrong code. */
	for (i = 0; i < 40; i++) {
		unknown_ref(i, u);
		assert_int_equal(read_as(f, u, "1111 2222 3333 4444",
		    T0 + 10), 422);
		assert_non_null(strstr(body(f), "no_match"));
	}
	/* The senders still get in: one with no failure yet... */
	assert_int_equal(read_as(f, other, other_code, T0 + 20), 200);
	assert_int_equal(read_as(f, ref, code, T0 + 20), 200);
	/* ...and the tip's three failures still count: seven more, and the
	 * next is refused. */
	for (i = 0; i < TL_FU_FAILS_MAX - 3; i++)
		assert_int_equal(read_as(f, ref, "1111 2222 3333 4444",
		    T0 + 30), 422);
	assert_int_equal(read_as(f, ref, code, T0 + 40), 429);
	/* An unknown reference tried alone is still counted. */
	unknown_ref(999, u);
	for (i = 0; i < TL_FU_FAILS_MAX; i++)
		assert_int_equal(read_as(f, u, code, T0 + 50), 422);
	assert_int_equal(read_as(f, u, code, T0 + 50), 429);
}

/* Whether the store's file or its WAL holds the len bytes of needle. */
static int
store_holds(struct fx *f, const uint8_t *needle, size_t len)
{
	char	 wal[160];

	snprintf(wal, sizeof(wal), "%s-wal", f->st->path);
	return file_holds_bytes(f->st->path, needle, len) ||
	    file_holds_bytes(wal, needle, len);
}

static void
test_end(void **state)
{
	struct fx		*f = *state;
	struct tl_request	 req;
	sqlite3			*db;
	sqlite3_stmt		*st;
	uint8_t			 pk[TL_SEAL_KEYBYTES], salt[TL_SEAL_SALTBYTES];
	char			 ref[TL_REF_SIZE], code[TL_FU_CODE_SIZE];
	char			 token[TL_TOKEN_STRSIZE], b[400];

	plant(f, ref, code);
	db = peek(f->st->path);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT sender_pk,"
	    " sender_salt FROM tips WHERE ref = ?1", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	memcpy(pk, sqlite3_column_blob(st, 0), sizeof(pk));
	memcpy(salt, sqlite3_column_blob(st, 1), sizeof(salt));
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_true(store_holds(f, pk, sizeof(pk)));
	tl_token_issue(f->form_key, T0, 1, token);
	snprintf(b, sizeof(b), "ref=%s&code=%s&token=%s&confirm=yes", ref,
	    code, token);
	for (char *p = b; *p != '\0'; p++)
		if (*p == ' ')
			*p = '+';
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.content_type = "application/x-www-form-urlencoded";
	req.body = b;
	req.body_len = strlen(b);
	req.now = T0 + 10;
	tl_response_reset(&f->res);
	tl_followup_end(f->fu, 0, f->st->s, &req, &f->res);
	assert_int_equal(f->res.status, 200);
	assert_non_null(strstr(body(f), "Conversation ended"));
	/* The code opens nothing any more. */
	assert_int_equal(read_as(f, ref, code, T0 + 20), 422);
	assert_non_null(strstr(body(f), "no_match"));
	/* The key and salt are in no byte of the store or its WAL. */
	assert_false(store_holds(f, pk, sizeof(pk)));
	assert_false(store_holds(f, salt, sizeof(salt)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown_like_wrong, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fail_window, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_remember, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_held_wiped_by_timer,
		    setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_spray_no_lockout,
		    setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_end, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
