/*
 * test_text.c — what staff read (lib/text.c) and what tools split
 * (lib/json.c): characters that could hide or reorder a tip shown as
 * markers, terminal text without controls, and JSON whose U+2028 and
 * U+2029 are escaped; the webhook summaries' excerpts follow the same
 * rules (tiplinectl's output is tested in test_query.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "json.h"
#include "text.h"
#include "webhook.h"

/* The marker for U+202E as the specification spells it. */
#define RLO_MARK	"\xe2\x9f\xa8U+202E\xe2\x9f\xa9"

/* s through tl_text_visible() with no context escaping, as a string the
 * caller frees. */
static char *
visible(const char *s)
{
	struct tl_buf	 b = TL_BUF_INIT;

	tl_buf_puts(&b, "");
	tl_text_visible(&b, s, NULL);
	assert_true(tl_buf_ok(&b));
	return b.data;
}

/* Each character staff must see, alone and between text. */
static void
test_markers(void **state)
{
	static const struct {
		const char	*in;	/* UTF-8 */
		const char	*hex;	/* its marker's digits */
	} cases[] = {
		{ "\xe2\x80\xaa", "202A" }, { "\xe2\x80\xab", "202B" },
		{ "\xe2\x80\xac", "202C" }, { "\xe2\x80\xad", "202D" },
		{ "\xe2\x80\xae", "202E" },	/* RIGHT-TO-LEFT OVERRIDE */
		{ "\xe2\x81\xa6", "2066" }, { "\xe2\x81\xa7", "2067" },
		{ "\xe2\x81\xa8", "2068" }, { "\xe2\x81\xa9", "2069" },
		{ "\xe2\x80\x8b", "200B" }, { "\xe2\x80\x8c", "200C" },
		{ "\xe2\x80\x8d", "200D" }, { "\xe2\x80\x8e", "200E" },
		{ "\xe2\x80\x8f", "200F" },
		{ "\xe2\x81\xa0", "2060" },	/* WORD JOINER */
		{ "\xef\xbb\xbf", "FEFF" },	/* ZERO WIDTH NO-BREAK SPACE */
		{ "\xe2\x80\xa8", "2028" },	/* LINE SEPARATOR */
		{ "\xe2\x80\xa9", "2029" },	/* PARAGRAPH SEPARATOR */
		{ "\xd8\x9c", "061C" },		/* ARABIC LETTER MARK */
		{ "\xf3\xa0\x80\x81", "E0001" },	/* LANGUAGE TAG */
	};
	char	 in[64], want[64];
	char	*got;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(want, sizeof(want), "\xe2\x9f\xa8U+%s\xe2\x9f\xa9",
		    cases[i].hex);
		got = visible(cases[i].in);
		if (strcmp(got, want) != 0)
			fail_msg("U+%s alone: `%s`", cases[i].hex, got);
		free(got);
		/* At the start, in the middle, at the end, twice. */
		snprintf(in, sizeof(in), "%sa%sb%s%s", cases[i].in,
		    cases[i].in, cases[i].in, cases[i].in);
		snprintf(want, sizeof(want), "\xe2\x9f\xa8U+%s\xe2\x9f\xa9" "a"
		    "\xe2\x9f\xa8U+%s\xe2\x9f\xa9" "b\xe2\x9f\xa8U+%s"
		    "\xe2\x9f\xa9\xe2\x9f\xa8U+%s\xe2\x9f\xa9", cases[i].hex,
		    cases[i].hex, cases[i].hex, cases[i].hex);
		got = visible(in);
		if (strcmp(got, want) != 0)
			fail_msg("U+%s in text: `%s`", cases[i].hex, got);
		free(got);
	}
}

/* Text staff can read as it is passes unchanged, neighbours of the
 * marked ranges included; broken UTF-8 is copied, never read past. */
static void
test_unchanged(void **state)
{
	static const char *const cases[] = {
		"",
		"07700 900123",
		"Caf\xc3\xa9 \xf0\x9f\x98\x80 \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85",
		"\xe2\x80\x8a",			/* U+200A HAIR SPACE */
		"\xe2\x80\x90",			/* U+2010 HYPHEN */
		"\xe2\x80\xa7",			/* U+2027 */
		"\xe2\x80\xaf",			/* U+202F NARROW NBSP */
		"\xe2\x81\x9f",			/* U+205F MEDIUM MATH SPACE */
		"\xe2\x81\xb0",			/* U+2070 SUPERSCRIPT ZERO */
		"\xef\xbb\xbe",			/* U+FEFE */
		"\xef\xbc\x80",			/* U+FF00 */
		"\xd8\x9b",			/* U+061B ARABIC SEMICOLON */
		"\xe2\x9f\xa8U+202E\xe2\x9f\xa9",	/* a marker typed */
		"\xe2\x80",			/* U+202E cut short */
		"\xe2\x80\xae" + 1,		/* its continuation bytes */
		"a\xe2",
		"\xe2\x80" "a\xae",
	};
	char	*got;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = visible(cases[i]);
		if (strcmp(got, cases[i]) != 0)
			fail_msg("case %zu changed: `%s`", i, got);
		free(got);
	}
}

/* A context's escaping sees only the spans between markers. */
static void
upper(struct tl_buf *b, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		tl_buf_putc(b, s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
}

static void
test_context_escaping(void **state)
{
	struct tl_buf	 b = TL_BUF_INIT;

	(void)state;
	tl_text_visible(&b, "call \xe2\x80\xae" "321 <b>", tl_buf_html);
	assert_string_equal(b.data, "call " RLO_MARK "321 &lt;b&gt;");
	tl_buf_reset(&b);
	tl_text_visible(&b, "ab\xe2\x80\x8b" "cd", upper);
	assert_string_equal(b.data, "AB\xe2\x9f\xa8U+200B\xe2\x9f\xa9" "CD");
	tl_buf_free(&b);
}

/* Terminal text: controls as '?', markers as above, lines indented. */
static void
test_terminal(void **state)
{
	struct tl_buf	 b = TL_BUF_INIT;

	(void)state;
	tl_text_line(&b, "a\x1b[31m\tb\nc\x7f\xc2\x9b" "d\xe2\x80\xae" "e");
	assert_string_equal(b.data, "a?[31m b c??d" RLO_MARK "e");
	tl_buf_reset(&b);
	tl_text_line(&b, NULL);
	assert_string_equal(b.data, "-");
	tl_buf_reset(&b);
	tl_text_block(&b, "one\xe2\x80\xa8two\n\tthree\x07");
	assert_string_equal(b.data, "  one\xe2\x9f\xa8U+2028\xe2\x9f\xa9two\n"
	    "  \tthree?\n");
	tl_buf_free(&b);
}

/* JSON keeps every character but writes U+2028 and U+2029 escaped, so
 * no line-splitting tool cuts a record. */
static void
test_json_separators(void **state)
{
	json_t		*o, *back;
	char		*s;
	const char	*in = "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c\xe2\x80\xae"
	    "d\xc3\xa9";

	(void)state;
	assert_non_null(o = json_pack("{s:s, s:[s]}", "k\xe2\x80\xa8", in,
	    "l", in));
	assert_non_null(s = tl_json_dumps(o, JSON_COMPACT));
	assert_string_equal(s, "{\"k\\u2028\":\"a\\u2028b\\u2029c"
	    "\xe2\x80\xae" "d\xc3\xa9\",\"l\":[\"a\\u2028b\\u2029c"
	    "\xe2\x80\xae" "d\xc3\xa9\"]}");
	assert_null(strstr(s, "\xe2\x80\xa8"));
	assert_null(strstr(s, "\xe2\x80\xa9"));
	/* The same value read back. */
	assert_non_null(back = json_loads(s, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(back,
	    "k\xe2\x80\xa8")), in);
	json_decref(back);
	free(s);
	/* Nothing to escape: jansson's text as it is. */
	json_decref(o);
	assert_non_null(o = json_pack("{s:s}", "a", "b/\xc3\xa9"));
	assert_non_null(s = tl_json_dumps(o, JSON_COMPACT));
	assert_string_equal(s, "{\"a\":\"b/\xc3\xa9\"}");
	free(s);
	json_decref(o);
}

/* A tip whose description is desc, urgent, about dealing. */
static void
make_tip(struct tl_tip *t, const char *desc)
{
	memset(t, 0, sizeof(*t));
	tl_report_init(&t->report);
	memcpy(t->ref, "TL-7K3M-9QXD", TL_REF_SIZE);
	t->received_at = 1795838706;
	t->report.priority = TL_PRIO_URGENT;
	t->report.concerns = 1u;
	t->report.value[TL_F_DESCRIPTION] = strdup(desc);
}

/* Slack's text is for staff: markers, then Slack's own escaping. */
static void
test_slack_excerpt(void **state)
{
	struct tl_tip	 t;
	json_t		*j;
	char		*s;

	(void)state;
	make_tip(&t, "call \xe2\x80\xae" "321 <now>\xe2\x80\xa8" "x");
	assert_non_null(s = tl_webhook_body(&t, TL_WEBHOOK_SLACK, 200, 0));
	assert_null(strstr(s, "\xe2\x80\xae"));
	assert_null(strstr(s, "\xe2\x80\xa8"));
	assert_non_null(j = json_loads(s, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(j, "text")),
	    "URGENT tip TL-7K3M-9QXD: dealing\ncall " RLO_MARK "321 &lt;now&gt;"
	    "\xe2\x9f\xa8U+2028\xe2\x9f\xa9" "x");
	json_decref(j);
	free(s);
	tl_report_free(&t.report);
}

/* The standard format is JSON for a program: the excerpt keeps what was
 * written, with U+2028 and U+2029 escaped. */
static void
test_standard_excerpt(void **state)
{
	struct tl_tip	 t;
	json_t		*j;
	char		*s;

	(void)state;
	make_tip(&t, "a\xe2\x80\xa8" "b\xe2\x80\xa9\xe2\x80\xae" "c");
	assert_non_null(s = tl_webhook_body(&t, TL_WEBHOOK_STANDARD, 200, 0));
	assert_non_null(strstr(s, "\"excerpt\":\"a\\u2028b\\u2029"
	    "\xe2\x80\xae" "c\""));
	assert_null(strstr(s, "\xe2\x80\xa8"));
	assert_null(strstr(s, "\xe2\x80\xa9"));
	assert_non_null(j = json_loads(s, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(j, "data"), "excerpt")), "a\xe2\x80\xa8" "b"
	    "\xe2\x80\xa9\xe2\x80\xae" "c");
	json_decref(j);
	free(s);
	tl_report_free(&t.report);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_unchanged),
		cmocka_unit_test(test_context_escaping),
		cmocka_unit_test(test_terminal),
		cmocka_unit_test(test_json_separators),
		cmocka_unit_test(test_slack_excerpt),
		cmocka_unit_test(test_standard_excerpt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
