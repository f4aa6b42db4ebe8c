/*
 * test_entity.c — entities found in tip text and normalised
 * (lib/entity.c): phone formats, partial numbers, registrations old and
 * new, postcodes, handles and profile links, and things that look like
 * them but are not. Each case is a text and every entity it must give,
 * in order, as "kind:value" joined with "|".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "entity.h"

static int
collect(void *arg, enum tl_entity_kind kind, const char *value)
{
	struct tl_buf	*b = arg;

	if (b->len > 0)
		tl_buf_putc(b, '|');
	tl_buf_printf(b, "%s:%s", tl_entity_kind_name(kind), value);
	return 0;
}

static const struct {
	const char	*text;
	const char	*want;
} cases[] = {
	/* Phone numbers: one number however it is written. */
	{ "call 07700 900123 now", "phone:+447700900123" },
	{ "+44 7700 900123", "phone:+447700900123" },
	{ "+44 (0)7700 900123", "phone:+447700900123" },
	{ "07700-900-123", "phone:+447700900123" },
	{ "(07700) 900123.", "phone:+447700900123" },
	{ "077009001233", "" },		/* 12 digits after 0: no number */
	{ "0161 496 0000 and 07700 900456",
	    "phone:+441614960000|phone:+447700900456" },
	{ "07700 900123 07700 900456",
	    "phone:+447700900123|phone:+447700900456" },
	{ "+33 6 12 34 56 78", "phone:+33612345678" },
	{ "00 33 6 12 34 56 78", "phone:+33612345678" },
	/* Partial numbers: searchable, never linking. */
	{ "number ends 123", "partial:123" },
	{ "Ending in 4567, I think", "partial:4567" },
	{ "ends with 90012", "partial:90012" },
	{ "ends 12", "" },
	{ "ends 1234567", "" },
	/* Look-alikes that are not phone numbers. */
	{ "on 2024-01-05 at 10.30", "" },
	{ "12345678", "" },
	{ "paid 250000 pounds", "" },
	{ "07700", "" },
	{ "07700900123abc", "" },
	/* Registrations: current, prefix and suffix plates. */
	{ "a silver Golf AB12 CDE", "vehicle:AB12CDE" },
	{ "reg ab12cde", "vehicle:AB12CDE" },
	{ "old Escort P123 ABC", "vehicle:P123ABC" },
	{ "A1 XYZ", "vehicle:A1XYZ" },
	{ "Cortina ABC 123D", "vehicle:ABC123D" },
	{ "AB12 CDE and YX68 RST", "vehicle:AB12CDE|vehicle:YX68RST" },
	/* Look-alikes that are not plates. */
	{ "Black Audi A3 red", "" },
	{ "junction 4 of the M25", "" },
	{ "Ab12 Cde", "" },
	{ "ABC 1234", "" },
	{ "a 123 bcd", "" },
	/* Postcodes: full ones only. */
	{ "near SO14 3JJ", "postcode:SO14 3JJ" },
	{ "so143jj", "postcode:SO14 3JJ" },
	{ "EC1A 1BB", "postcode:EC1A 1BB" },
	{ "somewhere in SO14", "" },
	{ "AB12 3CD", "postcode:AB12 3CD" },
	/* Handles and profile links. */
	{ "on insta @Jay.Bee_99.", "handle:@jay.bee_99" },
	{ "https://www.instagram.com/JayBee/", "handle:@jaybee" },
	{ "tiktok.com/@jaybee", "handle:@jaybee" },
	{ "see x.com/deal_line", "handle:@deal_line" },
	{ "t.me/plugUK", "handle:@pluguk" },
	{ "m.facebook.com/some.one", "handle:@some.one" },
	/* Look-alikes that are not handles. */
	{ "mail jay@example.com", "" },
	{ "instagram.com/p/Cx12abc", "" },
	{ "facebook.com/profile.php?id=1", "" },
	{ "dropbox.com/jay", "" },
	{ "@ the corner", "" },
	{ "@...", "" },
	/* Nothing at all. */
	{ "", "" },
	{ "\xe2\x80\xae" "321009 00770", "" },
};

static void
test_extract(void **state)
{
	struct tl_buf	 b = TL_BUF_INIT;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tl_buf_reset(&b);
		tl_buf_puts(&b, "");
		tl_entity_extract(cases[i].text, collect, &b);
		assert_true(tl_buf_ok(&b));
		if (strcmp(b.data, cases[i].want) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"",
			    cases[i].text, b.data, cases[i].want);
	}
	tl_buf_free(&b);
}

static int
stop_at_first(void *arg, enum tl_entity_kind kind, const char *value)
{
	(void)kind;
	(void)value;
	(*(int *)arg)++;
	return 7;
}

static void
test_extract_stops(void **state)
{
	int	 n = 0;

	(void)state;
	assert_int_equal(tl_entity_extract("07700 900123 AB12 CDE",
	    stop_at_first, &n), 7);
	assert_int_equal(n, 1);
	assert_int_equal(tl_entity_extract(NULL, stop_at_first, &n), 0);
}

/* What a person types in a search or a URL. */
static void
test_normalise(void **state)
{
	static const struct {
		enum tl_entity_kind	 kind;
		const char		*in, *want;	/* NULL: refused */
	} n[] = {
		{ TL_ENT_PHONE, " 07700 900123 ", "+447700900123" },
		{ TL_ENT_PHONE, "+447700900123", "+447700900123" },
		{ TL_ENT_PHONE, "call me", NULL },
		{ TL_ENT_VEHICLE, "ab 12 cde", "AB12CDE" },
		{ TL_ENT_VEHICLE, "AB12CDE", "AB12CDE" },
		{ TL_ENT_VEHICLE, "AB12", NULL },
		{ TL_ENT_POSTCODE, "so14 3jj", "SO14 3JJ" },
		{ TL_ENT_POSTCODE, "SO14", NULL },
		{ TL_ENT_HANDLE, "@JayBee", "@jaybee" },
		{ TL_ENT_HANDLE, "instagram.com/jaybee/", "@jaybee" },
		{ TL_ENT_HANDLE, "jaybee", NULL },
		{ TL_ENT_PARTIAL, "123", "123" },
		{ TL_ENT_PARTIAL, "ends 4567", "4567" },
		{ TL_ENT_PARTIAL, "12", NULL },
	};
	char	 out[TL_ENTITY_MAX];
	size_t	 i;
	enum tl_err rc;

	(void)state;
	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		rc = tl_entity_normalise(n[i].kind, n[i].in, out);
		if (n[i].want == NULL)
			assert_int_equal(rc, TL_EINVAL);
		else {
			assert_int_equal(rc, TL_OK);
			assert_string_equal(out, n[i].want);
		}
	}
}

static void
test_guess(void **state)
{
	char	 out[TL_ENTITY_MAX];

	(void)state;
	assert_int_equal(tl_entity_guess("+44 7700 900123", out),
	    TL_ENT_PHONE);
	assert_string_equal(out, "+447700900123");
	assert_int_equal(tl_entity_guess("ab12 cde", out), TL_ENT_VEHICLE);
	assert_int_equal(tl_entity_guess("SO14 3JJ", out), TL_ENT_POSTCODE);
	assert_int_equal(tl_entity_guess("@jay", out), TL_ENT_HANDLE);
	assert_int_equal(tl_entity_guess("123", out), TL_ENT_PARTIAL);
	assert_int_equal(tl_entity_guess("grey van", out), -1);
	assert_int_equal(tl_entity_kind_parse("vehicle"), TL_ENT_VEHICLE);
	assert_int_equal(tl_entity_kind_parse("car"), -1);
	assert_false(tl_entity_links(TL_ENT_PARTIAL));
	assert_true(tl_entity_links(TL_ENT_PHONE));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_extract_stops),
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_guess),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
