/*
 * test_date.c — dates as admins type them on tiplinectl's command line
 * (lib/date.c): a table of what is read, and to what, and what is not;
 * and times written as RFC 3339 (lib/tip.c), whatever a store holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "date.h"
#include "tip.h"

#define T0	1700000000	/* 2023-11-14T22:13:20Z */
#define DAY	86400

static void
test_date_parse(void **state)
{
	static const struct {
		const char	*in;
		int		 ok;
		int64_t		 want;
	} cases[] = {
		{ "1970-01-01", 1, 0 },
		{ "2023-11-14", 1, 1699920000 },
		{ "2023-11-14T22:13:20Z", 1, T0 },
		{ "2023-11-14t22:13:20z", 1, T0 },
		{ "2023-11-14 22:13:20Z", 1, T0 },
		{ "2023-11-14T22:13:20.999Z", 1, T0 },
		{ "2023-11-14T23:13:20+01:00", 1, T0 },
		{ "2023-11-14T20:43:20-01:30", 1, T0 },
		{ "2023-11-15T00:00:00+00:00", 1, 1699920000 + DAY },
		{ "2024-02-29", 1, 1709164800 },
		{ "2000-02-29", 1, 951782400 },
		{ "1969-12-31T23:59:59Z", 1, -1 },
		{ "", 0, 0 },
		{ "yesterday", 0, 0 },
		{ "2023-1-14", 0, 0 },
		{ "2023-11-14T", 0, 0 },
		{ "2023-11-14T22:13Z", 0, 0 },
		{ "2023-11-14T22:13:20", 0, 0 },	/* no offset */
		{ "2023-11-14T22:13:20.Z", 0, 0 },
		{ "2023-11-14T22:13:20+0100", 0, 0 },
		{ "2023-11-14T24:00:00Z", 0, 0 },
		{ "2023-11-14T22:60:00Z", 0, 0 },
		{ "2023-11-14T22:13:60Z", 0, 0 },
		{ "2023-11-14T22:13:20+24:00", 0, 0 },
		{ "2023-13-01", 0, 0 },
		{ "2023-00-10", 0, 0 },
		{ "2023-02-29", 0, 0 },
		{ "1900-02-29", 0, 0 },
		{ "2023-04-31", 0, 0 },
		{ "2023-11-14x", 0, 0 },
		{ "2023-11-14Z", 0, 0 },
		{ "2023-11-14T22:13:20Z ", 0, 0 },
		{ " 2023-11-14", 0, 0 },
	};
	size_t	 i;
	int64_t	 t;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = 42;
		if (cases[i].ok) {
			if (tl_date_parse(cases[i].in, &t) != TL_OK)
				fail_msg("`%s` refused", cases[i].in);
			if (t != cases[i].want)
				fail_msg("`%s` read as %lld, not %lld",
				    cases[i].in, (long long)t,
				    (long long)cases[i].want);
		} else if (tl_date_parse(cases[i].in, &t) != TL_EINVAL ||
		    t != 42)
			fail_msg("`%s` accepted", cases[i].in);
	}
	t = 42;
	assert_int_equal(tl_date_parse(NULL, &t), TL_EINVAL);
	assert_int_equal(t, 42);
}

/* Any integer a store holds is written as 20 characters: out of the
 * years 1970 to 9999 it is held to their ends (a hostile intake store's
 * received_at once overran the buffer). */
static void
test_time_rfc3339(void **state)
{
	static const struct {
		int64_t		 t;
		const char	*want;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ T0, "2023-11-14T22:13:20Z" },
		{ INT64_C(253402300799), "9999-12-31T23:59:59Z" },
		{ INT64_C(253402300800), "9999-12-31T23:59:59Z" },
		{ INT64_C(0xc80204534f3133), "9999-12-31T23:59:59Z" },
		{ INT64_MAX, "9999-12-31T23:59:59Z" },
		{ -1, "1970-01-01T00:00:00Z" },
		{ INT64_MIN, "1970-01-01T00:00:00Z" },
	};
	char	 out[22];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		tl_time_rfc3339(cases[i].t, out);
		assert_string_equal(out, cases[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_time_rfc3339),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
