/*
 * test_seal.c — the sealed store's cryptography (seal.c, SPEC 11): a
 * tip's fields sealed and opened; every way a blob must not
 * open (another key, any byte changed, moved to another tip, a column
 * changed under it); padding; the additional data's encoding told apart
 * for every pair of different rows; the plaintext's strict parser. Key
 * files and keyed hashes: test_seal_keys.c; allocation failure:
 * test_seal_chaos.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "seal_staff.h"

#define NFIELDS	(sizeof(tip_fields) / sizeof(tip_fields[0]))
#define NCOLS	(sizeof(tip_cols) / sizeof(tip_cols[0]))

static const struct tl_seal_field tip_fields[] = {
	{ "description", "Two lads dealing from the flat above the bookies, "
	    "a younger one runs bags to the station." },
	{ "location", "12 Mill Lane, above the bookmakers" },
	{ "postcode", "LS11 5AB" },
	{ "times", "Most nights 10pm to 2am" },
	{ "people", "Older one called 'T', about 25; a boy, maybe 14" },
	{ "vehicles", "Black Golf, part plate YX19" },
	{ "phones", "07700 900123" },
	{ "reporter", "neighbour" },
	{ "how_known", "seen it" },
};

static const struct tl_seal_column tip_cols[] = {
	{ "priority", "urgent" },
	{ "concerns", "[\"cuckooing\",\"child_exploitation\"]" },
	{ "when", "ongoing" },
	{ "area", "LS11" },
	{ "child_at_risk", "yes" },
	{ "weapons_seen", "unsure" },
	{ "vulnerable_adult", NULL },
	{ "has_people", "2" },
};

static const uint8_t sender_pk[TL_SEAL_KEYBYTES] = { 1, 2, 3, 4 };
static const uint8_t sender_salt[TL_SEAL_SALTBYTES] = { 5, 6, 7, 8 };

/* The row tip_cols, with follow-up. */
static struct tl_seal_ad
tip_ad(void)
{
	struct tl_seal_ad ad = { "K7QF-2M9X", 1764300000, tip_cols, NCOLS,
	    sender_pk, sender_salt, NULL };

	return ad;
}

/* A key pair from a fixed seed (n picks the seed). */
static struct tl_seal_secret *
keypair(int n, uint8_t pk[TL_SEAL_KEYBYTES])
{
	struct tl_seal_secret	*sk;
	uint8_t			 seed[TL_SEAL_KEYBYTES];

	memset(seed, n, sizeof(seed));
	assert_int_equal(tl_seal_keypair(seed, pk, &sk), TL_OK);
	return sk;
}

/* Seals tip_fields for ad to pk; the blob is the caller's. */
static uint8_t *
seal_tip(const uint8_t pk[TL_SEAL_KEYBYTES], const struct tl_seal_ad *ad,
    size_t *len)
{
	uint8_t	*blob;
	char	 err[160];

	assert_int_equal(tl_seal_seal(pk, ad, tip_fields, NFIELDS, &blob, len,
	    err, sizeof(err)), TL_OK);
	return blob;
}

/* Opens blob for ad; returns the fault (NONE when it opened). */
static enum tl_seal_fault
try_open(const struct tl_seal_secret *sk, const struct tl_seal_ad *ad,
    const uint8_t *blob, size_t len)
{
	struct tl_seal_opened	*o;
	enum tl_seal_fault	 f;
	enum tl_err		 rc;
	char			 err[200];

	rc = tl_seal_open(sk, ad, blob, len, &o, &f, err, sizeof(err));
	if (rc == TL_OK) {
		assert_int_equal(f, TL_SEAL_FAULT_NONE);
		tl_seal_opened_free(o);
		return TL_SEAL_FAULT_NONE;
	}
	assert_int_equal(rc, TL_EMALFORMED);
	assert_null(o);
	assert_int_not_equal(f, TL_SEAL_FAULT_NONE);
	assert_non_null(strstr(err, "does not open"));
	return f;
}

/* Whether s occurs in p[0..len). */
static int
contains(const uint8_t *p, size_t len, const char *s)
{
	size_t	 n = strlen(s), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(p + i, s, n) == 0)
			return 1;
	return 0;
}

static void
test_round_trip(void **state)
{
	struct tl_seal_secret	*sk = NULL;
	struct tl_seal_opened	*o;
	struct tl_seal_ad	 ad = tip_ad();
	uint8_t			 pk[TL_SEAL_KEYBYTES], *blob;
	size_t			 len, i;
	char			 err[160];

	(void)state;
	sk = keypair(1, pk);
	blob = seal_tip(pk, &ad, &len);
	assert_int_equal(tl_seal_open(sk, &ad, blob, len, &o, NULL, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(tl_seal_opened_count(o), NFIELDS);
	for (i = 0; i < NFIELDS; i++) {
		assert_string_equal(tl_seal_opened_field(o, i)->name,
		    tip_fields[i].name);
		assert_string_equal(tl_seal_opened_field(o, i)->value,
		    tip_fields[i].value);
		assert_string_equal(tl_seal_opened_get(o, tip_fields[i].name),
		    tip_fields[i].value);
	}
	assert_null(tl_seal_opened_field(o, NFIELDS));
	assert_null(tl_seal_opened_get(o, "nothing"));
	/* No plaintext field appears in the blob. */
	for (i = 0; i < NFIELDS; i++)
		assert_false(contains(blob, len, tip_fields[i].value));
	tl_seal_opened_free(o);
	free(blob);
	tl_seal_secret_free(sk);
}

/* Every field alone, and a tip without follow-up. */
static void
test_each_field(void **state)
{
	struct tl_seal_secret	*sk;
	struct tl_seal_opened	*o;
	struct tl_seal_ad	 ad = tip_ad();
	uint8_t			 pk[TL_SEAL_KEYBYTES], *blob;
	size_t			 len, i;
	char			 err[160];

	(void)state;
	sk = keypair(1, pk);
	ad.sender_pk = ad.sender_salt = NULL;
	for (i = 0; i < NFIELDS; i++) {
		assert_int_equal(tl_seal_seal(pk, &ad, &tip_fields[i], 1,
		    &blob, &len, err, sizeof(err)), TL_OK);
		assert_int_equal(tl_seal_open(sk, &ad, blob, len, &o, NULL,
		    err, sizeof(err)), TL_OK);
		assert_int_equal(tl_seal_opened_count(o), 1);
		assert_string_equal(tl_seal_opened_get(o, tip_fields[i].name),
		    tip_fields[i].value);
		tl_seal_opened_free(o);
		free(blob);
	}
	tl_seal_secret_free(sk);
}

static void
test_wrong_key(void **state)
{
	struct tl_seal_secret	*sk, *other;
	struct tl_seal_ad	 ad = tip_ad();
	uint8_t			 pk[TL_SEAL_KEYBYTES], pk2[TL_SEAL_KEYBYTES];
	uint8_t			*blob;
	size_t			 len;

	(void)state;
	sk = keypair(1, pk);
	other = keypair(2, pk2);
	blob = seal_tip(pk, &ad, &len);
	assert_int_equal(try_open(other, &ad, blob, len), TL_SEAL_FAULT_KEY);
	assert_int_equal(try_open(sk, &ad, blob, len), TL_SEAL_FAULT_NONE);
	assert_true(tl_seal_secret_matches(sk, pk));
	assert_false(tl_seal_secret_matches(other, pk));
	free(blob);
	tl_seal_secret_free(sk);
	tl_seal_secret_free(other);
}

/* Any bit of any byte changed, or the blob cut or grown: never opens. */
static void
test_every_byte(void **state)
{
	struct tl_seal_secret	*sk;
	struct tl_seal_ad	 ad = tip_ad();
	uint8_t			 pk[TL_SEAL_KEYBYTES], *blob, *big;
	size_t			 len, i;
	enum tl_seal_fault	 f;

	(void)state;
	sk = keypair(1, pk);
	blob = seal_tip(pk, &ad, &len);
	for (i = 0; i < len; i++) {
		blob[i] ^= (uint8_t)(1u << (i % 8));
		f = try_open(sk, &ad, blob, len);
		assert_int_equal(f, i == 0 ? TL_SEAL_FAULT_FORMAT :
		    i < 81 ? TL_SEAL_FAULT_KEY : TL_SEAL_FAULT_AUTH);
		blob[i] ^= (uint8_t)(1u << (i % 8));
	}
	assert_int_equal(try_open(sk, &ad, blob, len), TL_SEAL_FAULT_NONE);
	assert_int_equal(try_open(sk, &ad, blob, len - 1),
	    TL_SEAL_FAULT_FORMAT);
	assert_int_equal(try_open(sk, &ad, blob, len - TL_SEAL_BLOCK),
	    TL_SEAL_FAULT_FORMAT);
	assert_non_null(big = calloc(1, len + TL_SEAL_BLOCK));
	memcpy(big, blob, len);
	assert_int_equal(try_open(sk, &ad, big, len + TL_SEAL_BLOCK),
	    TL_SEAL_FAULT_AUTH);
	assert_int_equal(try_open(sk, &ad, blob, 0), TL_SEAL_FAULT_FORMAT);
	free(big);
	free(blob);
	tl_seal_secret_free(sk);
}

/* The same blob under another row: must not open. */
static void
expect_auth(const struct tl_seal_secret *sk, const uint8_t *blob,
    size_t len, const struct tl_seal_ad *ad)
{
	assert_int_equal(try_open(sk, ad, blob, len), TL_SEAL_FAULT_AUTH);
}

static void
expect_opens(const struct tl_seal_secret *sk, const uint8_t *blob,
    size_t len, const struct tl_seal_ad *ad)
{
	assert_int_equal(try_open(sk, ad, blob, len), TL_SEAL_FAULT_NONE);
}

static void
test_bound_to_row(void **state)
{
	struct tl_seal_secret	*sk;
	struct tl_seal_column	 cols[NCOLS];
	struct tl_seal_ad	 ad = tip_ad(), moved;
	uint8_t			 pk[TL_SEAL_KEYBYTES], *blob, other[32];
	uint8_t			 gone[TL_SEAL_COMMITBYTES];
	size_t			 len, i;

	(void)state;
	sk = keypair(1, pk);
	blob = seal_tip(pk, &ad, &len);
	moved = ad;
	moved.ref = "K7QF-2M9Y";		/* another tip */
	expect_auth(sk, blob, len, &moved);
	moved = ad;
	moved.received_at++;
	expect_auth(sk, blob, len, &moved);
	moved = ad;
	moved.sender_pk = moved.sender_salt = NULL;	/* follow-up cut */
	expect_auth(sk, blob, len, &moved);
	memcpy(other, sender_pk, sizeof(other));
	other[31] ^= 1;
	moved = ad;
	moved.sender_pk = other;		/* sender's key swapped */
	expect_auth(sk, blob, len, &moved);
	moved = ad;
	moved.sender_salt = other;
	expect_auth(sk, blob, len, &moved);
	moved = ad;
	moved.ncols--;				/* a column dropped */
	expect_auth(sk, blob, len, &moved);
	/* The conversation ended: key and salt gone, their commitment kept.
	 * The right one still opens the blob; another does not. */
	moved = ad;
	moved.sender_pk = moved.sender_salt = NULL;
	tl_seal_sender_commit(sender_pk, sender_salt, gone);
	moved.sender_gone = gone;
	expect_opens(sk, blob, len, &moved);
	gone[0] ^= 1;
	expect_auth(sk, blob, len, &moved);
	/* Each column changed in turn: to another value, to or from NULL. */
	for (i = 0; i < NCOLS; i++) {
		memcpy(cols, tip_cols, sizeof(cols));
		moved = ad;
		moved.cols = cols;
		cols[i].value = cols[i].value == NULL ? "" : NULL;
		expect_auth(sk, blob, len, &moved);
		cols[i].value = "changed";
		expect_auth(sk, blob, len, &moved);
	}
	free(blob);
	tl_seal_secret_free(sk);
}

/* The downgrade SPEC 11 names: urgent made normal under its blob. */
static void
test_no_downgrade(void **state)
{
	struct tl_seal_secret	*sk;
	struct tl_seal_column	 cols[NCOLS];
	struct tl_seal_ad	 ad = tip_ad();
	uint8_t			 pk[TL_SEAL_KEYBYTES], *blob;
	size_t			 len;

	(void)state;
	sk = keypair(1, pk);
	blob = seal_tip(pk, &ad, &len);
	memcpy(cols, tip_cols, sizeof(cols));
	assert_string_equal(cols[0].name, "priority");
	cols[0].value = "normal";
	ad.cols = cols;
	expect_auth(sk, blob, len, &ad);
	cols[0].value = "urgent";
	assert_int_equal(try_open(sk, &ad, blob, len), TL_SEAL_FAULT_NONE);
	free(blob);
	tl_seal_secret_free(sk);
}

/* The blob's size for one field of n bytes. */
static size_t
sealed_size(const uint8_t pk[TL_SEAL_KEYBYTES], size_t n)
{
	struct tl_seal_ad	 ad = tip_ad();
	struct tl_seal_field	 f = { "description", NULL };
	char			*text, err[160];
	uint8_t			*blob;
	size_t			 len;

	assert_non_null(text = malloc(n + 1));
	memset(text, 'x', n);
	text[n] = '\0';
	f.value = text;
	assert_int_equal(tl_seal_seal(pk, &ad, &f, 1, &blob, &len, err,
	    sizeof(err)), TL_OK);
	free(blob);
	free(text);
	return len;
}

static void
test_padding(void **state)
{
	struct tl_seal_secret	*sk;
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	size_t			 n, plain;

	(void)state;
	sk = keypair(1, pk);
	assert_int_equal(sealed_size(pk, 1), sealed_size(pk, 400));
	assert_int_equal(sealed_size(pk, 1), TL_SEAL_OVERHEAD + 512);
	/* plaintext = version + 1 + 11 ("description") + 4 + n */
	for (n = 0; n < 1600; n += 37) {
		plain = 1 + 1 + 11 + 4 + n;
		assert_int_equal(sealed_size(pk, n), TL_SEAL_OVERHEAD +
		    (plain / TL_SEAL_BLOCK + 1) * TL_SEAL_BLOCK);
	}
	/* At a block's edge: 511 bytes pad to 512, 512 to 1024. */
	assert_int_equal(sealed_size(pk, 511 - 17), TL_SEAL_OVERHEAD + 512);
	assert_int_equal(sealed_size(pk, 512 - 17), TL_SEAL_OVERHEAD + 1024);
	tl_seal_secret_free(sk);
}

/* An empty value stays empty, an absent field absent, no fields none. */
static void
test_empty(void **state)
{
	static const struct tl_seal_field f[] = {
		{ "description", "x" }, { "vehicles", "" },
	};
	struct tl_seal_secret	*sk;
	struct tl_seal_opened	*o;
	struct tl_seal_ad	 ad = tip_ad();
	uint8_t			 pk[TL_SEAL_KEYBYTES], *blob;
	size_t			 len;
	char			 err[160];

	(void)state;
	sk = keypair(1, pk);
	assert_int_equal(tl_seal_seal(pk, &ad, f, 2, &blob, &len, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(tl_seal_open(sk, &ad, blob, len, &o, NULL, err,
	    sizeof(err)), TL_OK);
	assert_string_equal(tl_seal_opened_get(o, "vehicles"), "");
	assert_null(tl_seal_opened_get(o, "phones"));
	tl_seal_opened_free(o);
	free(blob);
	assert_int_equal(tl_seal_seal(pk, &ad, NULL, 0, &blob, &len, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(tl_seal_open(sk, &ad, blob, len, &o, NULL, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(tl_seal_opened_count(o), 0);
	tl_seal_opened_free(o);
	free(blob);
	tl_seal_secret_free(sk);
}

/* Whether two rows encode the same additional data. */
static int
ad_same(const struct tl_seal_ad *a, const struct tl_seal_ad *b)
{
	uint8_t	*x, *y;
	size_t	 xl, yl;
	char	 err[160];
	int	 same;

	assert_int_equal(tl_seal_ad_encode(a, &x, &xl, err, sizeof(err)),
	    TL_OK);
	assert_int_equal(tl_seal_ad_encode(b, &y, &yl, err, sizeof(err)),
	    TL_OK);
	same = xl == yl && memcmp(x, y, xl) == 0;
	free(x);
	free(y);
	return same;
}

static void
test_ad_unambiguous(void **state)
{
	static const struct tl_seal_column pairs[][2] = {
		{ { "ab", "c" }, { "x", "y" } },
		{ { "a", "bc" }, { "x", "y" } },
		{ { "a", "" }, { "x", "y" } },
		{ { "a", NULL }, { "x", "y" } },
		{ { "a", "x" }, { "y", NULL } },
		{ { "a", NULL }, { "xy", NULL } },
		{ { "a", "\001" }, { "xy", NULL } },
	};
	struct tl_seal_ad	 a = tip_ad(), b = tip_ad();
	size_t			 i, j, n = sizeof(pairs) / sizeof(pairs[0]);

	(void)state;
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			a.cols = pairs[i];
			b.cols = pairs[j];
			a.ncols = b.ncols = 2;
			assert_int_equal(ad_same(&a, &b), i == j);
		}
	a = tip_ad();
	b = tip_ad();
	b.ncols = 0;
	assert_false(ad_same(&a, &b));
	a.ncols = 0;
	a.ref = "AB";
	b.ref = "A";
	assert_false(ad_same(&a, &b));
	b = a;
	b.sender_pk = b.sender_salt = NULL;
	assert_false(ad_same(&a, &b));
	b = a;
	b.received_at = -a.received_at;
	assert_false(ad_same(&a, &b));
}

/* Arguments that must be refused, and with what. */
static void
test_refused(void **state)
{
	static const struct tl_seal_field bad[][2] = {
		{ { "", "x" }, { "b", "y" } },
		{ { "Description", "x" }, { "b", "y" } },
		{ { "a b", "x" }, { "b", "y" } },
		{ { "a", "x" }, { "a", "y" } },
		{ { "a", NULL }, { "b", "y" } },
		{ { NULL, "x" }, { "b", "y" } },
	};
	struct tl_seal_column	 badcol[] = { { "Priority", "urgent" } };
	struct tl_seal_ad	 ad = tip_ad();
	uint8_t			 pk[TL_SEAL_KEYBYTES], *blob;
	size_t			 len, i;
	char			 err[160];

	(void)state;
	tl_seal_secret_free(keypair(1, pk));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tl_seal_seal(pk, &ad, bad[i], 2, &blob, &len,
		    err, sizeof(err)), TL_EINVAL);
		assert_null(blob);
	}
	ad.ref = NULL;
	assert_int_equal(tl_seal_seal(pk, &ad, tip_fields, 1, &blob, &len,
	    err, sizeof(err)), TL_EINVAL);
	ad = tip_ad();
	ad.sender_salt = NULL;
	assert_int_equal(tl_seal_seal(pk, &ad, tip_fields, 1, &blob, &len,
	    err, sizeof(err)), TL_EINVAL);
	ad = tip_ad();
	ad.cols = badcol;
	ad.ncols = 1;
	assert_int_equal(tl_seal_seal(pk, &ad, tip_fields, 1, &blob, &len,
	    err, sizeof(err)), TL_EINVAL);
	/* A public key of all zeros is not usable. */
	ad = tip_ad();
	memset(pk, 0, sizeof(pk));
	assert_int_equal(tl_seal_seal(pk, &ad, tip_fields, 1, &blob, &len,
	    err, sizeof(err)), TL_EINVAL);
	assert_string_equal(err, "the staff public key is not usable");
	assert_null(blob);
}

/* A plaintext given by hand, with its length. */
struct plain_case {
	const char	*what;
	const char	*p;
	size_t		 len;
};
#define P(what, s)	{ what, s, sizeof(s) - 1 }

static void
test_plain_strict(void **state)
{
	static const struct plain_case bad[] = {
		P("empty", ""),
		P("version 2", "\002"),
		P("name of 0 bytes", "\001\000\000\000\000\000"),
		P("upper case name", "\001\001A\000\000\000\000"),
		P("name cut short", "\001\005ab"),
		P("length cut short", "\001\001a\000\000"),
		P("value longer than the rest", "\001\001a\000\000\000\002x"),
		P("value with a NUL", "\001\001a\000\000\000\002x\000"),
		P("name repeated", "\001\001a\000\000\000\000"
		    "\001a\000\000\000\000"),
		P("trailing byte", "\001\001a\000\000\000\000\001"),
		P("huge length", "\001\001a\377\377\377\377x"),
	};
	static const struct plain_case good[] = {
		P("no fields", "\001"),
		P("one empty", "\001\001a\000\000\000\000"),
		P("two", "\001\001a\000\000\000\001x\002bc\000\000\000\000"),
	};
	struct tl_seal_opened	*o;
	uint8_t			*p, many[1 + 65 * 7];
	size_t			 i;
	char			 err[160];

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* An exact-size copy, so an overread would show (valgrind). */
		assert_non_null(p = malloc(bad[i].len + 1));
		memcpy(p, bad[i].p, bad[i].len);
		if (tl_seal_plain_decode(p, bad[i].len, &o, err,
		    sizeof(err)) != TL_EMALFORMED)
			fail_msg("accepted: %s", bad[i].what);
		assert_null(o);
		free(p);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(tl_seal_plain_decode((const uint8_t *)
		    good[i].p, good[i].len, &o, err, sizeof(err)), TL_OK);
		tl_seal_opened_free(o);
	}
	/* 64 fields are allowed, 65 not. */
	many[0] = 1;
	for (i = 0; i < 65; i++)
		memcpy(many + 1 + 7 * i, (const uint8_t[]){ 2, (uint8_t)('a' +
		    i / 26), (uint8_t)('a' + i % 26), 0, 0, 0, 0 }, 7);
	assert_int_equal(tl_seal_plain_decode(many, 1 + 64 * 7, &o, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(tl_seal_opened_count(o), 64);
	tl_seal_opened_free(o);
	assert_int_equal(tl_seal_plain_decode(many, sizeof(many), &o, err,
	    sizeof(err)), TL_EMALFORMED);
}

/* Encoding then decoding gives the fields back. */
static void
test_plain_round_trip(void **state)
{
	struct tl_seal_opened	*o;
	uint8_t			*p;
	size_t			 len, i;
	char			 err[160];

	(void)state;
	assert_int_equal(tl_seal_plain_encode(tip_fields, NFIELDS, &p, &len,
	    err, sizeof(err)), TL_OK);
	assert_int_equal(tl_seal_plain_decode(p, len, &o, err, sizeof(err)),
	    TL_OK);
	for (i = 0; i < NFIELDS; i++)
		assert_string_equal(tl_seal_opened_get(o, tip_fields[i].name),
		    tip_fields[i].value);
	tl_seal_opened_free(o);
	sodium_memzero(p, len);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_each_field),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_bound_to_row),
		cmocka_unit_test(test_no_downgrade),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_ad_unambiguous),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_plain_strict),
		cmocka_unit_test(test_plain_round_trip),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("seal", tests, NULL, NULL);
}
