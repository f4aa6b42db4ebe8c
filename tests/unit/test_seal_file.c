#define _GNU_SOURCE	/* memmem */
/*
 * test_seal_file.c — sealed files (lib/seal.c, SPEC 15: the desk's copy
 * in a backup): a round trip of several chunks, and files that must not
 * open: another key, cut short, grown, a flipped byte, not a sealed file.
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
#include <sodium.h>

#include "seal_staff.h"

#define LEN	(3 * TL_SEAL_FILE_CHUNK + 123)

/* A temporary file holding data sealed to pk; its fd, at offset 0. */
static int
sealed(const uint8_t *pk, const uint8_t *data, size_t len)
{
	char	 path[] = "/tmp/tl-sealfile-XXXXXX", err[128];
	int	 fd;

	assert_true((fd = mkstemp(path)) != -1);
	unlink(path);
	assert_int_equal(tl_seal_file_write(pk, data, len, fd, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Opens fd with sk: the result; on TL_OK checks the text is data. */
static enum tl_err
opens(const struct tl_seal_secret *sk, int fd, const uint8_t *data,
    size_t len)
{
	uint8_t		*out;
	size_t		 n;
	char		 err[128];
	enum tl_err	 rc;

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	rc = tl_seal_file_read(sk, fd, &out, &n, err, sizeof(err));
	if (rc == TL_OK) {
		assert_int_equal(n, len);
		assert_memory_equal(out, data, len);
		tl_seal_data_free(out, n);
	} else
		assert_null(out);
	return rc;
}

static void
test_round_trip_and_damage(void **state)
{
	struct tl_seal_secret	*sk, *other;
	uint8_t			 pk[TL_SEAL_KEYBYTES], opk[TL_SEAL_KEYBYTES];
	uint8_t			*data, b;
	off_t			 size;
	int			 fd, e;

	(void)state;
	assert_int_equal(tl_seal_keypair(NULL, pk, &sk), TL_OK);
	assert_int_equal(tl_seal_keypair(NULL, opk, &other), TL_OK);
	assert_non_null(data = malloc(LEN));
	memset(data, 'x', LEN);		/* text that would be easy to spot */
	fd = sealed(pk, data, LEN);
	size = lseek(fd, 0, SEEK_END);
	assert_int_equal(opens(sk, fd, data, LEN), TL_OK);
	assert_int_equal(opens(other, fd, data, LEN), TL_EMALFORMED);
	/* No run of the plaintext in the file. */
	{
		uint8_t	*all = malloc((size_t)size);

		assert_non_null(all);
		assert_int_equal(pread(fd, all, (size_t)size, 0), size);
		assert_null(memmem(all, (size_t)size, "xxxxxxxxxxxxxxxx", 16));
		free(all);
	}
	/* A flipped byte in the middle. */
	assert_int_equal(pread(fd, &b, 1, size / 2), 1);
	b ^= 1;
	assert_int_equal(pwrite(fd, &b, 1, size / 2), 1);
	assert_int_equal(opens(sk, fd, data, LEN), TL_EMALFORMED);
	b ^= 1;
	assert_int_equal(pwrite(fd, &b, 1, size / 2), 1);
	assert_int_equal(opens(sk, fd, data, LEN), TL_OK);
	/* Grown by a byte, then cut short at a chunk's end. */
	assert_int_equal(pwrite(fd, "z", 1, size), 1);
	assert_int_equal(opens(sk, fd, data, LEN), TL_EMALFORMED);
	e = ftruncate(fd, 8 + 80 + 24 + TL_SEAL_FILE_CHUNK + 17);
	assert_int_equal(e, 0);
	assert_int_equal(opens(sk, fd, data, LEN), TL_EMALFORMED);
	close(fd);
	/* An empty plaintext is a file too; an empty file is not. */
	fd = sealed(pk, data, 0);
	assert_int_equal(opens(sk, fd, data, 0), TL_OK);
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(opens(sk, fd, data, 0), TL_EMALFORMED);
	close(fd);
	free(data);
	tl_seal_secret_free(sk);
	tl_seal_secret_free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_and_damage),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
