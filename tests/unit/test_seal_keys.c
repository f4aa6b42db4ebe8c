/*
 * test_seal_keys.c — the staff key files (seal_staff.c): written with
 * the mode asked for and never over an existing file or through a link, read
 * back to the same keys, and refused unless exactly one line of a key;
 * the keyed hashes against known answers (computed independently with
 * Python's hashlib.blake2b), since stored hashes must keep matching.
 */
#include <sys/stat.h>

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
#include <sodium.h>

#include "seal_staff.h"

/* A good key's 43 characters (32 bytes 0x00..0x1f). */
#define K43	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define PUB	"tipline-staff-public-v1 "
#define SEC	"tipline-staff-secret-v1 "

static char	 dir[] = "/tmp/tl-seal-XXXXXX";

/* dir/name into out (PATH_MAX-free: our names are short). */
static const char *
path(const char *name, char out[128])
{
	snprintf(out, 128, "%s/%s", dir, name);
	return out;
}

/* Writes content (len bytes) to dir/name. */
static const char *
put_file(const char *name, const char *content, size_t len, char out[128])
{
	FILE	*f;

	assert_non_null(f = fopen(path(name, out), "w"));
	assert_int_equal(fwrite(content, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return out;
}

static void
test_key_files(void **state)
{
	struct tl_seal_secret	*sk, *back;
	uint8_t			 pk[TL_SEAL_KEYBYTES], pk2[TL_SEAL_KEYBYTES];
	char			 pp[128], sp[128], lp[128], err[256], text[80];
	struct stat		 st;
	FILE			*f;

	(void)state;
	assert_int_equal(tl_seal_keypair(NULL, pk, &sk), TL_OK);
	assert_int_equal(tl_seal_public_write(path("staff.pub", pp), 0444,
	    (uid_t)-1, (gid_t)-1, pk, err, sizeof(err)), TL_OK);
	assert_int_equal(tl_seal_secret_write(path("staff.key", sp), 0400,
	    (uid_t)-1, (gid_t)-1, sk, err, sizeof(err)), TL_OK);
	assert_int_equal(stat(pp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_int_equal(st.st_size, TL_SEAL_KEYFILE_LEN + 1);
	assert_int_equal(stat(sp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);
	/* The lines are what seal.h says. */
	assert_non_null(f = fopen(sp, "r"));
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_int_equal(strncmp(text, SEC, strlen(SEC)), 0);
	assert_int_equal(text[TL_SEAL_KEYFILE_LEN], '\n');
	/* Read back. */
	assert_int_equal(tl_seal_public_read(pp, pk2, err, sizeof(err)), TL_OK);
	assert_memory_equal(pk, pk2, sizeof(pk));
	assert_int_equal(tl_seal_secret_read(sp, &back, err, sizeof(err)),
	    TL_OK);
	assert_true(tl_seal_secret_matches(back, pk));
	tl_seal_secret_public(back, pk2);
	assert_memory_equal(pk, pk2, sizeof(pk));
	/* Never over an existing file, never through a link. */
	assert_int_equal(tl_seal_public_write(pp, 0444, (uid_t)-1, (gid_t)-1,
	    pk, err, sizeof(err)), TL_EDUPLICATE);
	assert_non_null(strstr(err, "never overwritten"));
	assert_int_equal(tl_seal_secret_write(sp, 0400, (uid_t)-1, (gid_t)-1,
	    sk, err, sizeof(err)), TL_EDUPLICATE);
	assert_int_equal(symlink(path("elsewhere", lp), path("link", pp)), 0);
	assert_int_equal(tl_seal_secret_write(pp, 0400, (uid_t)-1, (gid_t)-1,
	    sk, err, sizeof(err)), TL_EDUPLICATE);
	assert_int_equal(access(lp, F_OK), -1);
	/* No folder: TL_EIO naming the path. */
	assert_int_equal(tl_seal_public_write("/nonexistent/staff.pub", 0444,
	    (uid_t)-1, (gid_t)-1, pk, err, sizeof(err)), TL_EIO);
	assert_non_null(strstr(err, "/nonexistent/staff.pub: "));
	tl_seal_secret_free(back);
	tl_seal_secret_free(sk);
}

/* A key file's text and whether it is good, for each kind. */
struct key_case {
	const char	*text;
	int		 pub_ok;
	int		 sec_ok;
};

static void
test_key_text_strict(void **state)
{
	static const struct key_case cases[] = {
		{ PUB K43 "\n", 1, 0 },
		{ PUB K43, 1, 0 },
		{ SEC K43 "\n", 0, 1 },
		{ SEC K43, 0, 1 },
		{ "", 0, 0 },
		{ "\n", 0, 0 },
		{ PUB, 0, 0 },
		{ PUB "\n", 0, 0 },
		{ PUB K43 "\n\n", 0, 0 },
		{ PUB K43 "\r\n", 0, 0 },
		{ PUB K43 " ", 0, 0 },
		{ " " PUB K43, 0, 0 },
		{ "tipline-staff-public-v1  " K43, 0, 0 },
		{ "tipline-staff-public-v1\t" K43, 0, 0 },
		{ "tipline-staff-public-v2 " K43, 0, 0 },
		{ "TIPLINE-STAFF-PUBLIC-V1 " K43, 0, 0 },
		{ PUB "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh", 0, 0 },
		{ PUB K43 "A", 0, 0 },
		{ PUB K43 "=", 0, 0 },
		/* standard alphabet, not URL-safe */
		{ PUB "+AECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", 0, 0 },
		{ PUB "/AECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", 0, 0 },
		/* low bits of the last character set: not canonical */
		{ PUB "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9", 0, 0 },
		/* a byte over 0x7f */
		{ PUB "\xc3\xa9" "ECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh", 0,
		    0 },
		/* all zero: not a usable public key */
		{ PUB "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0, 0 },
	};
	struct tl_seal_secret	*sk;
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	char			 err[256];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if ((tl_seal_public_parse(cases[i].text, pk, err,
		    sizeof(err)) == TL_OK) != cases[i].pub_ok)
			fail_msg("public, case %zu: %s", i, cases[i].text);
		if (!cases[i].pub_ok)
			assert_null(strstr(err, K43));
		if ((tl_seal_secret_parse(cases[i].text, &sk, err,
		    sizeof(err)) == TL_OK) != cases[i].sec_ok)
			fail_msg("secret, case %zu: %s", i, cases[i].text);
		if (!cases[i].sec_ok) {
			assert_null(sk);
			assert_null(strstr(err, K43));
		}
		tl_seal_secret_free(sk);
	}
	/* The key is the bytes the text says. */
	assert_int_equal(tl_seal_public_parse(PUB K43, pk, err, sizeof(err)),
	    TL_OK);
	for (i = 0; i < sizeof(pk); i++)
		assert_int_equal(pk[i], i);
	assert_int_equal(tl_seal_public_parse(SEC K43, pk, err, sizeof(err)),
	    TL_EMALFORMED);
	assert_non_null(strstr(err, "not a staff public key file"));
}

/* Files that hold more than a key's line, or none. */
static void
test_key_file_strict(void **state)
{
	static const char nul[] = PUB K43 "\n\0junk";
	struct tl_seal_secret	*sk;
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	char			 p[128], err[256], big[300];

	(void)state;
	put_file("nul", nul, sizeof(nul) - 1, p);
	assert_int_equal(tl_seal_public_read(p, pk, err, sizeof(err)),
	    TL_EMALFORMED);
	assert_non_null(strstr(err, "not one line of a key"));
	memset(big, 'A', sizeof(big));
	memcpy(big, PUB K43 "\n", TL_SEAL_KEYFILE_LEN + 1);
	put_file("long", big, sizeof(big), p);
	assert_int_equal(tl_seal_public_read(p, pk, err, sizeof(err)),
	    TL_EMALFORMED);
	put_file("long.key", SEC K43 "\n" SEC K43 "\n",
	    2 * (TL_SEAL_KEYFILE_LEN + 1), p);
	assert_int_equal(tl_seal_secret_read(p, &sk, err, sizeof(err)),
	    TL_EMALFORMED);
	assert_null(sk);
	assert_int_equal(tl_seal_secret_read(path("absent", p), &sk, err,
	    sizeof(err)), TL_EIO);
	assert_null(sk);
	assert_non_null(strstr(err, "absent: "));
	/* Another kind of key file: the message says which it is not. */
	put_file("pub-as-key", PUB K43 "\n", TL_SEAL_KEYFILE_LEN + 1, p);
	assert_int_equal(tl_seal_secret_read(p, &sk, err, sizeof(err)),
	    TL_EMALFORMED);
	assert_non_null(strstr(err, "pub-as-key: not a staff secret key "
	    "file"));
	put_file("good.key", SEC K43, TL_SEAL_KEYFILE_LEN, p);
	assert_int_equal(tl_seal_secret_read(p, &sk, err, sizeof(err)), TL_OK);
	tl_seal_secret_free(sk);
}

static uint8_t *
unhex(const char *hex, uint8_t out[32])
{
	assert_int_equal(sodium_hex2bin(out, 32, hex, 64, NULL, NULL, NULL),
	    0);
	return out;
}

static void
test_keyed_hash(void **state)
{
	uint8_t	 form[32], k[TL_SEAL_HASHKEYBYTES], want[32];
	char	 h[TL_SEAL_HASH_HEX], h2[TL_SEAL_HASH_HEX];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(form); i++)
		form[i] = (uint8_t)i;
	tl_seal_hash_key(form, TL_SEAL_HASH_IDEM, k);
	assert_memory_equal(k, unhex("901ed7c3dd1dfe523d28f7e4c222a5e80b7b08cd"
	    "0a68d84a7ea27e03dfed26c3", want), 32);
	tl_seal_keyed_hash(k, "retry-123", 9, h);
	assert_string_equal(h, "fca5df00e01b24bfa25df30845cf0a0531e9dd054a3e5f"
	    "aa53e8f9603c3c4e5d");
	tl_seal_hash_key(form, TL_SEAL_HASH_BODY, k);
	assert_memory_equal(k, unhex("623acc1e03142e6e5d2c64536451f5477a1c252e"
	    "345b8a4aa6a2772ccfcda9f4", want), 32);
	tl_seal_keyed_hash(k, "retry-123", 9, h2);
	assert_string_equal(h2, "3d9d92afd9cf3f7a0165449d0ecff93c469846d0c4a3"
	    "8283e0fc0840a603842d");
	tl_seal_keyed_hash(k, "", 0, h);
	assert_int_equal(strlen(h), 64);
	assert_string_not_equal(h, h2);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	static const char *const names[] = { "staff.pub", "staff.key", "link",
	    "nul", "long", "long.key", "pub-as-key", "good.key" };
	char	 p[128];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		chmod(path(names[i], p), 0600);
		unlink(p);
	}
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_key_text_strict),
		cmocka_unit_test(test_key_file_strict),
		cmocka_unit_test(test_keyed_hash),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("seal_keys", tests, setup,
	    teardown);
}
