/*
 * test_outbox.c — the outbox's bookkeeping: the one table of delivery
 * state names (lib/store.c) and the outcome counters (lib/outbox.c) read
 * back from rows the program did not write.
 *
 * Each test gets a fresh store under /tmp; rows are changed through a
 * second, independent SQLite connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "outbox.h"

/* Each state's name reads back as that state; the names are the ones
 * the schema's CHECK, tiplinectl and /metrics have always used. */
static void
test_state_names(void **state)
{
	static const char *const names[TL_OUT__MAX] = {
		[TL_OUT_PENDING] = "pending",
		[TL_OUT_DELIVERED] = "delivered",
		[TL_OUT_DEAD] = "dead",
	};
	static const char *const bad[] = { "", "Pending", "pending ",
	    "dea", "deadx", "unknown", "retry" };
	enum tl_outbox_state	 st, got;
	size_t			 i;

	(void)state;
	for (st = 0; st < TL_OUT__MAX; st++) {
		assert_string_equal(tl_outbox_state_name(st), names[st]);
		got = TL_OUT__MAX;
		assert_int_equal(tl_outbox_state_parse(tl_outbox_state_name(st),
		    &got), TL_OK);
		assert_int_equal(got, st);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		got = TL_OUT_DEAD;
		if (tl_outbox_state_parse(bad[i], &got) != TL_EINVAL)
			fail_msg("`%s` read as a state", bad[i]);
		assert_int_equal(got, TL_OUT_DEAD);
	}
	assert_int_equal(tl_outbox_state_parse(NULL, &got), TL_EINVAL);
	assert_string_equal(tl_outbox_state_name(TL_OUT__MAX), "unknown");
}

/* A counters row with a NULL name (the schema allows one) is skipped,
 * not compared: it used to crash /metrics in strcmp. */
static void
test_outcomes_null_name(void **state)
{
	struct fx_store	*f = *state;
	int64_t		 c[3] = { -1, -1, -1 };

	q_exec(f->path, "UPDATE counters SET value = 3"
	    " WHERE name = 'deliveries_dead';"
	    "INSERT INTO counters (name, value) VALUES (NULL, 7);");
	assert_int_equal(tl_store_outcomes(f->s, c), TL_OK);
	assert_int_equal(c[0], 0);
	assert_int_equal(c[1], 0);
	assert_int_equal(c[2], 3);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, fx_store_setup, \
	    fx_store_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		T(test_outcomes_null_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
