/*
 * test_ref.c — references: format, randomness, and reading them as people
 * type them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "fixture.h"
#include "ref.h"

static void
test_format(void **state)
{
	const uint8_t	 zero[5] = { 0 }, ones[5] = { 255, 255, 255, 255, 255 };
	const uint8_t	 mix[5] = { 0x01, 0x23, 0x45, 0x67, 0x89 };
	char		 r[TL_REF_SIZE];

	(void)state;
	tl_ref_format(zero, r);
	assert_string_equal(r, "TL-0000-0000");
	tl_ref_format(ones, r);
	assert_string_equal(r, "TL-ZZZZ-ZZZZ");
	tl_ref_format(mix, r);
	/* 0x0123456789 in 5-bit groups: 00000 00100 10001 10100 01010
	 * 11001 11100 01001 */
	assert_string_equal(r, "TL-04HM-ASW9");
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_random(void **state)
{
	enum { N = 5000 };
	static char	 refs[N][TL_REF_SIZE];
	size_t		 i;

	(void)state;
	for (i = 0; i < N; i++) {
		tl_ref_random(refs[i]);
		assert_true(ref_ok(refs[i]));
	}
	qsort(refs, N, sizeof(refs[0]), cmp);
	for (i = 1; i < N; i++)
		assert_string_not_equal(refs[i - 1], refs[i]);
}

static const struct {
	const char	*in;
	const char	*out;	/* NULL: not a reference */
} typed[] = {
	{ "TL-7K3M-9QXD", "TL-7K3M-9QXD" },
	{ "tl-7k3m-9qxd", "TL-7K3M-9QXD" },
	{ "7K3M9QXD", "TL-7K3M-9QXD" },
	{ "7k3m-9qxd", "TL-7K3M-9QXD" },
	{ " TL 7K3M 9QXD ", "TL-7K3M-9QXD" },
	{ "TL7K3M9QXD", "TL-7K3M-9QXD" },
	{ "tl-OIL0-0000", "TL-0110-0000" },	/* O is 0, I and L are 1 */
	{ "TL3M-9QXD", "TL-T13M-9QXD" },	/* 8 characters: no prefix */
	{ "TL-7K3M-9QX", NULL },
	{ "TL-7K3M-9QXDD", NULL },
	{ "TL-7K3U-9QXD", NULL },		/* U is not a digit */
	{ "XX-7K3M-9QXD", NULL },
	{ "", NULL },
	{ "TL-7K3M_9QXD", NULL },
};

static void
test_parse(void **state)
{
	char	 r[TL_REF_SIZE];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		if (typed[i].out == NULL) {
			assert_int_equal(tl_ref_parse(typed[i].in, r),
			    TL_EINVAL);
			continue;
		}
		assert_int_equal(tl_ref_parse(typed[i].in, r), TL_OK);
		assert_string_equal(r, typed[i].out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_parse),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("ref", tests, NULL, NULL);
}
