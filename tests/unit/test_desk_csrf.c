/*
 * test_desk_csrf.c — the desk's form tokens and same-origin rule
 * (lib/desk_csrf.c, keyed through seal_staff.c): a token is valid for the
 * name and the 12 hours it was issued for, under the key of the staff secret
 * key it came from, and for nothing else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "desk_csrf.h"

static struct tl_seal_mackey *
key_from_seed(uint8_t b)
{
	uint8_t			 seed[32], pk[TL_SEAL_KEYBYTES];
	struct tl_seal_secret	*sk;
	struct tl_seal_mackey	*k;

	memset(seed, b, sizeof(seed));
	assert_int_equal(tl_seal_keypair(seed, pk, &sk), TL_OK);
	assert_int_equal(tl_seal_csrf_key(sk, &k), TL_OK);
	tl_seal_secret_free(sk);
	return k;
}

static void
test_token(void **state)
{
	struct tl_seal_mackey	*k = key_from_seed(1), *other = key_from_seed(2);
	const int64_t		 t = 1800000000;
	char			 tok[TL_CSRF_LEN], bad[TL_CSRF_LEN];

	(void)state;
	tl_csrf_issue(k, "alice", t, tok);
	assert_int_equal(strlen(tok), TL_CSRF_LEN - 1);
	assert_true(tl_csrf_valid(k, "alice", t, tok));
	assert_true(tl_csrf_valid(k, "alice", t + TL_CSRF_MAX_AGE, tok));
	/* Too old, from the future, another name, another key. */
	assert_false(tl_csrf_valid(k, "alice", t + TL_CSRF_MAX_AGE + 1, tok));
	assert_false(tl_csrf_valid(k, "alice", t - 61, tok));
	assert_false(tl_csrf_valid(k, "alicf", t, tok));
	assert_false(tl_csrf_valid(k, "alic", t, tok));
	assert_false(tl_csrf_valid(other, "alice", t, tok));
	/* Damaged anywhere, cut, empty, absent. */
	memcpy(bad, tok, sizeof(bad));
	bad[3] = bad[3] == 'A' ? 'B' : 'A';
	assert_false(tl_csrf_valid(k, "alice", t, bad));
	memcpy(bad, tok, sizeof(bad));
	bad[40] = bad[40] == 'A' ? 'B' : 'A';
	assert_false(tl_csrf_valid(k, "alice", t, bad));
	bad[10] = '\0';
	assert_false(tl_csrf_valid(k, "alice", t, bad));
	assert_false(tl_csrf_valid(k, "alice", t, ""));
	assert_false(tl_csrf_valid(k, "alice", t, NULL));
	/* A name over 64 characters never gets a valid token. */
	tl_csrf_issue(k, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    t, tok);
	assert_false(tl_csrf_valid(k,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    t, tok));
	tl_seal_mackey_free(k);
	tl_seal_mackey_free(other);
}

static void
test_same_origin(void **state)
{
	const char	*url = "https://desk.example:8443/staff";

	(void)state;
	assert_true(tl_csrf_same_origin(url, "same-origin", NULL));
	assert_false(tl_csrf_same_origin(url, "cross-site", NULL));
	assert_false(tl_csrf_same_origin(url, "same-site", NULL));
	assert_false(tl_csrf_same_origin(url, "none",
	    "https://desk.example:8443"));
	assert_true(tl_csrf_same_origin(url, NULL,
	    "https://desk.example:8443"));
	assert_true(tl_csrf_same_origin(url, "", "https://desk.example:8443"));
	assert_false(tl_csrf_same_origin(url, NULL, "https://desk.example"));
	assert_false(tl_csrf_same_origin(url, NULL,
	    "https://desk.example:8443.evil"));
	assert_false(tl_csrf_same_origin(url, NULL, "null"));
	assert_true(tl_csrf_same_origin(url, NULL, NULL));
	assert_true(tl_csrf_same_origin(url, "", ""));
	assert_false(tl_csrf_same_origin(NULL, NULL, "https://x"));
}

/* Only a person opening a page: a same-origin or typed-in navigation,
 * or a browser without Sec-Fetch-* sending no Origin. */
static void
test_person_opened(void **state)
{
	static const struct {
		const char	*site, *mode, *origin;
		int		 want;
	} cases[] = {
		{ "same-origin", "navigate", NULL, 1 },
		{ "none", "navigate", NULL, 1 },
		{ "same-origin", "navigate", "https://desk.example", 1 },
		{ "cross-site", "no-cors", NULL, 0 },	/* <img> */
		{ "cross-site", "navigate", NULL, 0 },	/* a link elsewhere */
		{ "same-site", "navigate", NULL, 0 },
		{ "same-origin", "cors", NULL, 0 },	/* fetch() */
		{ "same-origin", "no-cors", NULL, 0 },
		{ "same-origin", NULL, NULL, 0 },
		{ "none", "", NULL, 0 },
		{ NULL, NULL, NULL, 1 },		/* an older browser */
		{ "", "", "", 1 },
		{ NULL, "navigate", NULL, 1 },
		{ NULL, NULL, "https://evil.example", 0 },
		{ NULL, NULL, "null", 0 },
		{ "", NULL, "https://desk.example", 0 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (tl_csrf_person_opened(cases[i].site, cases[i].mode,
		    cases[i].origin) != cases[i].want)
			fail_msg("case %zu: expected %d", i, cases[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_same_origin),
		cmocka_unit_test(test_person_opened),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
