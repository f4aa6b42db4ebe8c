/*
 * test_token.c — form tokens: fresh, forged, expired, too fast, replayed,
 * and the decoy reference of a honeypot hit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "token.h"

static const uint8_t key[TL_FORM_KEYBYTES] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t other[TL_FORM_KEYBYTES] = { 9 };
#define NOW	1800000000ULL
#define MIN	3
#define MAXAGE	86400

static enum tl_token_status
check(const char *s, uint64_t now)
{
	struct tl_token	 t;

	return tl_token_check(key, s, now, MIN, MAXAGE, &t);
}

static void
test_fresh(void **state)
{
	char		 s[TL_TOKEN_STRSIZE];
	struct tl_token	 t;

	(void)state;
	tl_token_issue(key, NOW, 0, s);
	assert_true(strlen(s) > 40);
	assert_null(strpbrk(s, "+/="));		/* URL-safe, no padding */
	assert_int_equal(check(s, NOW + MIN), TL_TOKEN_OK);
	assert_int_equal(check(s, NOW + MAXAGE), TL_TOKEN_OK);
	assert_int_equal(tl_token_decode(key, s, &t), TL_OK);
	assert_int_equal(t.issued, NOW);
	assert_int_equal(t.on_error_page, 0);
}

static void
test_too_fast(void **state)
{
	char	 s[TL_TOKEN_STRSIZE];

	(void)state;
	tl_token_issue(key, NOW, 0, s);
	assert_int_equal(check(s, NOW), TL_TOKEN_TOO_FAST);
	assert_int_equal(check(s, NOW + MIN - 1), TL_TOKEN_TOO_FAST);
	/* Issued on a 422 page: may come back at once. */
	tl_token_issue(key, NOW, 1, s);
	assert_int_equal(check(s, NOW), TL_TOKEN_OK);
}

static void
test_expired(void **state)
{
	char	 s[TL_TOKEN_STRSIZE];

	(void)state;
	tl_token_issue(key, NOW, 0, s);
	assert_int_equal(check(s, NOW + MAXAGE + 1), TL_TOKEN_EXPIRED);
	tl_token_issue(key, NOW, 1, s);
	assert_int_equal(check(s, NOW + MAXAGE + 1), TL_TOKEN_EXPIRED);
}

static void
test_forged(void **state)
{
	char		 s[TL_TOKEN_STRSIZE], t[TL_TOKEN_STRSIZE];
	char		 longer[TL_TOKEN_STRSIZE + 1];
	struct tl_token	 tok;
	size_t		 i;

	(void)state;
	assert_int_equal(check(NULL, NOW), TL_TOKEN_MISSING);
	assert_int_equal(check("", NOW), TL_TOKEN_MISSING);
	assert_int_equal(check("abc", NOW), TL_TOKEN_INVALID);
	assert_int_equal(check("!!!!", NOW), TL_TOKEN_INVALID);
	/* Another key's token. */
	tl_token_issue(other, NOW, 0, s);
	assert_int_equal(check(s, NOW + 10), TL_TOKEN_INVALID);
	/* Every single-character change is caught. */
	tl_token_issue(key, NOW, 0, s);
	for (i = 0; i < strlen(s); i++) {
		memcpy(t, s, sizeof(t));
		t[i] = t[i] == 'A' ? 'B' : 'A';
		assert_int_equal(tl_token_decode(key, t, &tok), TL_EINVAL);
	}
	/* Truncated and extended. */
	memcpy(t, s, sizeof(t));
	t[strlen(t) - 1] = '\0';
	assert_int_equal(check(t, NOW + 10), TL_TOKEN_INVALID);
	snprintf(longer, sizeof(longer), "%sA", s);
	assert_int_equal(check(longer, NOW + 10), TL_TOKEN_INVALID);
	/* Found by fuzzing: libsodium reads a byte over 0x7f as '_'. */
	for (i = 0; i < 1000 && strchr(s, '_') == NULL; i++)
		tl_token_issue(key, NOW, 0, s);
	assert_non_null(strchr(s, '_'));
	memcpy(t, s, sizeof(t));
	*strchr(t, '_') = (char)0xff;
	assert_int_equal(tl_token_decode(key, t, &tok), TL_EINVAL);
	/* From the future. */
	tl_token_issue(key, NOW + 3600, 0, s);
	assert_int_equal(check(s, NOW), TL_TOKEN_INVALID);
}

static void
test_nonce_and_decoy(void **state)
{
	char		 a[TL_TOKEN_STRSIZE], b[TL_TOKEN_STRSIZE];
	char		 ha[TL_TOKEN_NONCEHEX], hb[TL_TOKEN_NONCEHEX];
	char		 r1[TL_REF_SIZE], r2[TL_REF_SIZE], r3[TL_REF_SIZE];
	struct tl_token	 ta, tb;

	(void)state;
	tl_token_issue(key, NOW, 0, a);
	tl_token_issue(key, NOW, 0, b);
	assert_string_not_equal(a, b);
	assert_int_equal(tl_token_decode(key, a, &ta), TL_OK);
	assert_int_equal(tl_token_decode(key, b, &tb), TL_OK);
	tl_token_nonce_hex(&ta, ha);
	tl_token_nonce_hex(&tb, hb);
	assert_int_equal(strlen(ha), 32);
	assert_string_not_equal(ha, hb);
	tl_token_decoy_ref(key, &ta, r1);
	tl_token_decoy_ref(key, &ta, r2);
	tl_token_decoy_ref(key, &tb, r3);
	assert_string_equal(r1, r2);		/* a replay shows the same */
	assert_string_not_equal(r1, r3);
	assert_int_equal(strlen(r1), TL_REF_LEN);
	assert_memory_equal(r1, "TL-", 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh),
		cmocka_unit_test(test_too_fast),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_nonce_and_decoy),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
