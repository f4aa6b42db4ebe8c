/*
 * test_utf8.c — strict UTF-8 (lib/utf8.c): validity, counting, cutting,
 * decoding and repairing, as tables of byte strings and what they must give.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

struct utf8_case {
	const char	*s;
	size_t		 len;
	int		 valid;
	size_t		 count;
};

static const struct utf8_case utf8_cases[] = {
	{ "", 0, 1, 0 },
	{ "abc", 3, 1, 3 },
	{ "a\0b", 3, 1, 3 },			/* NUL is valid UTF-8 */
	{ "\xc2\x80", 2, 1, 1 },		/* U+0080 */
	{ "\xdf\xbf", 2, 1, 1 },		/* U+07FF */
	{ "\xe0\xa0\x80", 3, 1, 1 },		/* U+0800 */
	{ "\xed\x9f\xbf", 3, 1, 1 },		/* U+D7FF */
	{ "\xee\x80\x80", 3, 1, 1 },		/* U+E000 */
	{ "\xef\xbf\xbf", 3, 1, 1 },		/* U+FFFF */
	{ "\xf0\x90\x80\x80", 4, 1, 1 },	/* U+10000 */
	{ "\xf4\x8f\xbf\xbf", 4, 1, 1 },	/* U+10FFFF */
	{ "caf\xc3\xa9 \xe2\x82\xac", 9, 1, 6 },
	{ "\x80", 1, 0, 0 },
	{ "\xbf", 1, 0, 0 },
	{ "\xc0\x80", 2, 0, 0 },		/* overlong NUL */
	{ "\xc1\xbf", 2, 0, 0 },
	{ "\xc2", 1, 0, 0 },
	{ "\xc2\x41", 2, 0, 0 },
	{ "\xe0\x9f\xbf", 3, 0, 0 },		/* overlong */
	{ "\xed\xa0\x80", 3, 0, 0 },		/* U+D800 */
	{ "\xed\xbf\xbf", 3, 0, 0 },		/* U+DFFF */
	{ "\xe2\x82", 2, 0, 0 },
	{ "\xf0\x8f\xbf\xbf", 4, 0, 0 },	/* overlong */
	{ "\xf4\x90\x80\x80", 4, 0, 0 },	/* U+110000 */
	{ "\xf5\x80\x80\x80", 4, 0, 0 },
	{ "\xfe", 1, 0, 0 },
	{ "\xff", 1, 0, 0 },
	{ "ok\xf0\x9f\x98", 5, 0, 0 },		/* truncated at the end */
};

static void
test_utf8(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		const struct utf8_case *c = &utf8_cases[i];

		if (tl_utf8_valid(c->s, c->len) != c->valid)
			fail_msg("utf8 case %zu: expected %d", i, c->valid);
		if (c->valid)
			assert_int_equal(tl_utf8_count(c->s, c->len),
			    c->count);
	}
}

static void
test_utf8_prefix(void **state)
{
	const char	*s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
	size_t		 len = strlen(s);

	(void)state;
	assert_int_equal(tl_utf8_prefix(s, len, 0), 0);
	assert_int_equal(tl_utf8_prefix(s, len, 1), 1);
	assert_int_equal(tl_utf8_prefix(s, len, 2), 3);
	assert_int_equal(tl_utf8_prefix(s, len, 3), 6);
	assert_int_equal(tl_utf8_prefix(s, len, 4), 10);
	assert_int_equal(tl_utf8_prefix(s, len, 5), 11);
	assert_int_equal(tl_utf8_prefix(s, len, 99), 11);
	assert_int_equal(tl_utf8_prefix("", 0, 3), 0);
}

static void
test_utf8_decode(void **state)
{
	static const struct {
		const char	*s;
		size_t		 len, n;
		uint32_t	 cp;
	} cases[] = {
		{ "A", 1, 1, 0x41 },
		{ "\xc3\xa9", 2, 2, 0xe9 },
		{ "\xe2\x80\xae", 3, 3, 0x202e },	/* RIGHT-TO-LEFT OVERRIDE */
		{ "\xef\xbb\xbf", 3, 3, 0xfeff },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
		{ "\xe2\x80", 2, 0, 0xe2 },		/* cut short */
		{ "\xc0\x80", 2, 0, 0xc0 },		/* overlong */
		{ "\xed\xa0\x80", 3, 0, 0xed },	/* surrogate */
	};
	uint32_t	 cp;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (tl_utf8_decode(cases[i].s, cases[i].len, &cp) != cases[i].n)
			fail_msg("decode case %zu: length", i);
		if (cp != cases[i].cp)
			fail_msg("decode case %zu: U+%04X", i, (unsigned)cp);
	}
}

/* Cutting by bytes never leaves part of a character behind. */
static void
test_utf8_cut(void **state)
{
	const char	*s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
	size_t		 len = strlen(s);
	static const size_t	 want[] = { 0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10,
	    11 };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (tl_utf8_cut(s, len, i) != want[i])
			fail_msg("cut at %zu: %zu", i, tl_utf8_cut(s, len, i));
		assert_true(tl_utf8_valid(s, tl_utf8_cut(s, len, i)));
	}
	assert_int_equal(tl_utf8_cut(s, len, 99), len);
	/* Not UTF-8: at most three bytes are given back. */
	assert_int_equal(tl_utf8_cut("\x80\x80\x80\x80\x80\x80", 6, 5), 2);
}

/* Repairing keeps valid sequences and marks each bad byte. */
static void
test_utf8_repair(void **state)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*out;
	} cases[] = {
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },
		{ "ok\xc3", 3, "ok\xef\xbf\xbd" },
		{ "\xff\xfe", 2, "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80!", 4,
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!" },
	};
	struct tl_buf	 b = TL_BUF_INIT;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tl_buf_reset(&b);
		tl_utf8_repair(&b, cases[i].in, cases[i].len);
		assert_true(tl_buf_ok(&b));
		if (b.len != strlen(cases[i].out) ||
		    memcmp(b.data, cases[i].out, b.len) != 0)
			fail_msg("repair case %zu", i);
		assert_true(tl_utf8_valid(b.data, b.len));
	}
	tl_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_utf8_prefix),
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_utf8_cut),
		cmocka_unit_test(test_utf8_repair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
