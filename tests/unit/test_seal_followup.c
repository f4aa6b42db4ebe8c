/*
 * test_seal_followup.c — the follow-up's cryptography (seal.c, SPEC 13):
 * codes, the sender's key from a code and salt (the same code and salt
 * always give the same key, any other a different one), the key both
 * sides share, and messages that open only under that key for their own
 * tip, id, author and time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "seal.h"

static void
test_code(void **state)
{
	char	 a[TL_SEAL_CODE_LEN + 1], b[TL_SEAL_CODE_LEN + 1];

	(void)state;
	tl_seal_code_new(a);
	tl_seal_code_new(b);
	assert_int_equal(strlen(a), 16);
	assert_int_equal(strspn(a, "0123456789"), 16);
	assert_string_not_equal(a, b);
}

static void
test_sender_key(void **state)
{
	struct tl_seal_secret	*s1, *s2, *s3;
	uint8_t			 salt[TL_SEAL_SALTBYTES], p1[32], p2[32], p3[32];

	(void)state;
	tl_seal_salt_new(salt);
	assert_int_equal(tl_seal_sender_keypair("4921057388162044", salt, p1,
	    &s1), TL_OK);
	assert_int_equal(tl_seal_sender_keypair("4921057388162044", salt, p2,
	    &s2), TL_OK);
	assert_memory_equal(p1, p2, 32);
	assert_true(tl_seal_secret_matches(s2, p1));
	assert_int_equal(tl_seal_sender_keypair("4921057388162045", salt, p3,
	    &s3), TL_OK);
	assert_false(tl_seal_secret_matches(s3, p1));
	tl_seal_secret_free(s1);
	tl_seal_secret_free(s2);
	tl_seal_secret_free(s3);
	/* Exactly 16 digits: the caller takes the spaces out. */
	assert_int_equal(tl_seal_sender_keypair("4921 0573 8816 2044", salt,
	    p1, &s1), TL_EINVAL);
	assert_null(s1);
	assert_int_equal(tl_seal_sender_keypair("492105738816204", salt, p1,
	    &s1), TL_EINVAL);
	assert_int_equal(tl_seal_sender_keypair("492105738816204a", salt, p1,
	    &s1), TL_EINVAL);
}

static void
test_refsalt(void **state)
{
	uint8_t	 key[TL_SEAL_HASHKEYBYTES] = { 1 }, a[16], b[16], c[16];

	(void)state;
	tl_seal_refsalt(key, "K7QF-2M9X", a);
	tl_seal_refsalt(key, "K7QF-2M9X", b);
	tl_seal_refsalt(key, "K7QF-2M9Y", c);
	assert_memory_equal(a, b, 16);
	assert_memory_not_equal(a, c, 16);
}

/* Both sides' shared keys: the desk's and the sender's. */
struct sides {
	struct tl_seal_secret	*staff, *sender, *other;
	struct tl_seal_shared	*desk, *fcgi, *wrong;
};

static void
sides_new(struct sides *s)
{
	uint8_t	 staff_pk[32], sender_pk[32], other_pk[32], seed[32];

	memset(seed, 7, sizeof(seed));
	assert_int_equal(tl_seal_keypair(seed, staff_pk, &s->staff), TL_OK);
	memset(seed, 8, sizeof(seed));
	assert_int_equal(tl_seal_keypair(seed, sender_pk, &s->sender), TL_OK);
	memset(seed, 9, sizeof(seed));
	assert_int_equal(tl_seal_keypair(seed, other_pk, &s->other), TL_OK);
	assert_int_equal(tl_seal_shared_new(s->staff, sender_pk, &s->desk),
	    TL_OK);
	assert_int_equal(tl_seal_shared_new(s->sender, staff_pk, &s->fcgi),
	    TL_OK);
	assert_int_equal(tl_seal_shared_new(s->other, staff_pk, &s->wrong),
	    TL_OK);
}

static void
sides_free(struct sides *s)
{
	tl_seal_shared_free(s->desk);
	tl_seal_shared_free(s->fcgi);
	tl_seal_shared_free(s->wrong);
	tl_seal_secret_free(s->staff);
	tl_seal_secret_free(s->sender);
	tl_seal_secret_free(s->other);
}

/* Opens blob under k for a: TL_OK (and checks the text) or the error. */
static enum tl_err
open_msg(const struct tl_seal_shared *k, const struct tl_seal_msg_ad *a,
    const uint8_t *blob, size_t len, const char *want)
{
	enum tl_err	 rc;
	char		*t, err[200];

	rc = tl_seal_msg_open(k, a, blob, len, &t, err, sizeof(err));
	if (rc == TL_OK)
		assert_string_equal(t, want);
	else
		assert_null(t);
	tl_seal_text_free(t);
	return rc;
}

static void
test_messages(void **state)
{
	static const char msg[] = "The car was back last night, 11pm.";
	struct tl_seal_msg_ad	 a = { "K7QF-2M9X", 3, TL_SEAL_FROM_SENDER,
				    1764300000 }, b;
	struct sides		 s;
	struct tl_seal_shared	*k;
	uint8_t			*blob, zero[32] = { 0 };
	size_t			 len, i;
	char			 err[200];

	(void)state;
	sides_new(&s);
	assert_int_equal(tl_seal_msg_seal(s.fcgi, &a, msg, &blob, &len, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(len, TL_SEAL_MSG_OVERHEAD + TL_SEAL_BLOCK);
	assert_int_equal(open_msg(s.desk, &a, blob, len, msg), TL_OK);
	assert_int_equal(open_msg(s.wrong, &a, blob, len, msg), TL_EMALFORMED);
	b = a, b.ref = "K7QF-2M9Y";
	assert_int_equal(open_msg(s.desk, &b, blob, len, msg), TL_EMALFORMED);
	b = a, b.id = 4;
	assert_int_equal(open_msg(s.desk, &b, blob, len, msg), TL_EMALFORMED);
	b = a, b.from = TL_SEAL_FROM_STAFF;
	assert_int_equal(open_msg(s.desk, &b, blob, len, msg), TL_EMALFORMED);
	b = a, b.at++;
	assert_int_equal(open_msg(s.desk, &b, blob, len, msg), TL_EMALFORMED);
	for (i = 0; i < len; i++) {
		blob[i] ^= 0x20;
		assert_int_equal(open_msg(s.desk, &a, blob, len, msg),
		    TL_EMALFORMED);
		blob[i] ^= 0x20;
	}
	assert_int_equal(open_msg(s.desk, &a, blob, len - 1, msg),
	    TL_EMALFORMED);
	free(blob);
	/* A key of low order is refused. */
	assert_int_equal(tl_seal_shared_new(s.staff, zero, &k), TL_EINVAL);
	assert_null(k);
	sides_free(&s);
}

/* Padding hides the length; the limits hold. */
static void
test_message_sizes(void **state)
{
	struct tl_seal_msg_ad	 a = { "K7QF-2M9X", 1, TL_SEAL_FROM_STAFF, 0 };
	struct sides		 s;
	uint8_t			*blob;
	size_t			 len1, len2;
	char			*big, err[200];

	(void)state;
	sides_new(&s);
	assert_non_null(big = malloc(TL_SEAL_MSG_MAX + 2));
	memset(big, 'x', TL_SEAL_MSG_MAX + 1);
	big[TL_SEAL_MSG_MAX + 1] = '\0';
	assert_int_equal(tl_seal_msg_seal(s.desk, &a, "x", &blob, &len1, err,
	    sizeof(err)), TL_OK);
	free(blob);
	big[400] = '\0';
	assert_int_equal(tl_seal_msg_seal(s.desk, &a, big, &blob, &len2, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(len1, len2);
	free(blob);
	big[400] = 'x';
	assert_int_equal(tl_seal_msg_seal(s.desk, &a, big, &blob, &len2, err,
	    sizeof(err)), TL_EINVAL);
	assert_null(blob);
	big[TL_SEAL_MSG_MAX] = '\0';
	assert_int_equal(tl_seal_msg_seal(s.desk, &a, big, &blob, &len2, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(open_msg(s.fcgi, &a, blob, len2, big), TL_OK);
	free(blob);
	assert_int_equal(tl_seal_msg_seal(s.desk, &a, "", &blob, &len2, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(open_msg(s.fcgi, &a, blob, len2, ""), TL_OK);
	free(blob);
	a.from = 0;
	assert_int_equal(tl_seal_msg_seal(s.desk, &a, "x", &blob, &len2, err,
	    sizeof(err)), TL_EINVAL);
	free(big);
	sides_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code),
		cmocka_unit_test(test_sender_key),
		cmocka_unit_test(test_refsalt),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_message_sizes),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("seal_followup", tests, NULL,
	    NULL);
}
