/*
 * test_report.c — receiving, validating and normalising a report
 * (lib/report.c): each field rule of SPEC 5.1 as a table of inputs and
 * what they must give, the JSON body of the API, postcodes, phone
 * numbers and priority (SPEC 5.2).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cat.h"
#include "report.h"

#define DESC	"I saw people selling drugs outside the shop."
#define LOC	"High Street, near the bus stop"

#define NERRS	TL_F__MAX

/* The English catalogue: messages are read in it (set up in main). */
static struct tl_cat *en;

/* The English message of e, in a static buffer. */
static const char *
msg(const struct tl_field_error *e)
{
	static char	 buf[512];

	tl_cat_field_error(en, e, buf, sizeof(buf));
	return buf;
}

static void
set(struct tl_report *r, const char *name, const char *value)
{
	assert_int_equal(tl_report_set(r, name, strlen(name), value,
	    strlen(value)), TL_OK);
}

/* The error for field f among errs[0..n), or NULL. */
static const struct tl_field_error *
find_err(const struct tl_field_error *errs, size_t n, enum tl_field f)
{
	size_t	 i;

	for (i = 0; i < n && i < NERRS; i++)
		if (errs[i].field == f)
			return &errs[i];
	return NULL;
}

/* A string of n copies of the UTF-8 character c (freed by the caller). */
static char *
repeat(const char *c, size_t n)
{
	size_t	 i, len = strlen(c);
	char	*s;

	s = malloc(n * len + 1);
	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * len, c, len);
	s[n * len] = '\0';
	return s;
}

/*
 * Validates a report holding the base required fields plus field=input
 * (input NULL: not sent), and checks that field gives code (NULL: no
 * error) and value (NULL: absent).
 */
static void
check_field(const char *field, const char *input, const char *code,
    const char *value)
{
	struct tl_report		 r;
	struct tl_field_error		 errs[NERRS];
	const struct tl_field_error	*e;
	size_t				 n;
	int				 f;

	f = tl_field_find(field, strlen(field));
	assert_true(f >= 0);
	tl_report_init(&r);
	if (f != TL_F_CONCERNS)
		set(&r, "concerns", "dealing");
	if (f != TL_F_DESCRIPTION)
		set(&r, "description", DESC);
	if (f != TL_F_LOCATION)
		set(&r, "location", LOC);
	if (input != NULL)
		set(&r, field, input);
	n = tl_report_validate(&r, errs, NERRS);
	e = find_err(errs, n, (enum tl_field)f);
	if (code == NULL && e != NULL)
		fail_msg("%s=\"%s\": unexpected %s", field, input, e->code);
	if (code != NULL && (e == NULL || strcmp(e->code, code) != 0))
		fail_msg("%s=\"%s\": expected %s, got %s", field, input,
		    code, e ? e->code : "no error");
	assert_int_equal(n, code == NULL ? 0 : 1);
	if (e != NULL)
		assert_true(strlen(msg(e)) > 20);
	if (value == NULL && r.value[f] != NULL)
		fail_msg("%s=\"%s\": unexpected value \"%s\"", field, input,
		    r.value[f]);
	if (value != NULL && (r.value[f] == NULL ||
	    strcmp(r.value[f], value) != 0))
		fail_msg("%s=\"%s\": expected \"%s\", got \"%s\"", field,
		    input, value, r.value[f] ? r.value[f] : "(null)");
	tl_report_free(&r);
}

struct field_case {
	const char	*field;
	const char	*input;		/* NULL: not sent */
	const char	*code;		/* NULL: valid */
	const char	*value;		/* normalised; NULL: absent */
};

static const struct field_case field_cases[] = {
	/* description: required, 20-5000 code points, trimmed, CR → LF */
	{ "description", NULL, "required", NULL },
	{ "description", "", "required", NULL },
	{ "description", " \t\r\n ", "required", NULL },
	{ "description", "too short text", "too_short", NULL },
	{ "description", "nineteen characters", "too_short", NULL },
	{ "description", "twenty characters ok", NULL,
	    "twenty characters ok" },
	{ "description", "   nineteen characters   ", "too_short", NULL },
	{ "description", "  padded description text  ", NULL,
	    "padded description text" },
	{ "description", "line one\r\nline two is here", NULL,
	    "line one\nline two is here" },
	{ "description", "line one\rline two is here", NULL,
	    "line one\nline two is here" },
	{ "description", "line one\n\rline two is here", NULL,
	    "line one\n\nline two is here" },
	{ "description", "a tab\there is allowed here", NULL,
	    "a tab\there is allowed here" },
	{ "description", "a bell \x07 is not allowed here",
	    "invalid_characters", NULL },
	{ "description", "\x1b[31mred text is not allowed",
	    "invalid_characters", NULL },
	{ "description", "a DEL \x7f is not allowed here", "invalid_characters",
	    NULL },
	{ "description", "a C1 \xc2\x85 is not allowed here",
	    "invalid_characters", NULL },
	{ "description", "form feed \f inside is not allowed",
	    "invalid_characters", NULL },
	{ "description",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 and more text", NULL,
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 and more text" },
	/* location: required, 3-300 */
	{ "location", NULL, "required", NULL },
	{ "location", "  ", "required", NULL },
	{ "location", "ab", "too_short", NULL },
	{ "location", " ab ", "too_short", NULL },
	{ "location", "abc", NULL, "abc" },
	{ "location", "\xc3\xa9\xc3\xa9\xc3\xa9", NULL,
	    "\xc3\xa9\xc3\xa9\xc3\xa9" },
	{ "location", "Park\x01Road", "invalid_characters", NULL },
	/* postcode: optional, UK postcode or outward code */
	{ "postcode", NULL, NULL, NULL },
	{ "postcode", "", NULL, NULL },
	{ "postcode", "   ", NULL, NULL },
	{ "postcode", "so143jj", NULL, "SO14 3JJ" },
	{ "postcode", " SO14 3JJ ", NULL, "SO14 3JJ" },
	{ "postcode", "so14", NULL, "SO14" },
	{ "postcode", "sw1a1aa", NULL, "SW1A 1AA" },
	{ "postcode", "gir0aa", NULL, "GIR 0AA" },
	{ "postcode", "SO14 3J", "invalid_format", NULL },
	{ "postcode", "SO14-3JJ", "invalid_format", NULL },
	{ "postcode", "not a postcode", "invalid_format", NULL },
	{ "postcode", "SO14\n3JJ", "invalid_format", NULL },
	{ "postcode", "SO14\x02", "invalid_characters", NULL },
	/* when: optional choice */
	{ "when", NULL, NULL, NULL },
	{ "when", "", NULL, NULL },
	{ "when", "now", NULL, "now" },
	{ "when", " this_week ", NULL, "this_week" },
	{ "when", "ongoing", NULL, "ongoing" },
	{ "when", "NOW", "invalid_choice", NULL },
	{ "when", "tomorrow", "invalid_choice", NULL },
	{ "when", "this week", "invalid_choice", NULL },
	/* times, people, vehicles: optional text */
	{ "times", NULL, NULL, NULL },
	{ "times", " ", NULL, NULL },
	{ "times", "evenings", NULL, "evenings" },
	{ "times", "after\x0b" "6pm", "invalid_characters", NULL },
	{ "people", "a tall man called \"Jay\"", NULL,
	    "a tall man called \"Jay\"" },
	{ "vehicles", "black Audi, AB12 CDE", NULL, "black Audi, AB12 CDE" },
	/* phones: up to 10 numbers, normalised */
	{ "phones", NULL, NULL, NULL },
	{ "phones", "", NULL, NULL },
	{ "phones", " , ;\n ", NULL, NULL },
	{ "phones", "07700 900123", NULL, "+447700900123" },
	{ "phones", "07700-900-123, (020) 7946 0958", NULL,
	    "+447700900123,+442079460958" },
	{ "phones", "07700900123;+1 (555) 010-9999\r\n0033 1 23 45 67 89",
	    NULL, "+447700900123,+15550109999,+33123456789" },
	{ "phones", "07700900123, 07700 900 123\n+44 7700 900123", NULL,
	    "+447700900123" },
	{ "phones", ",, 07700900123 ,", NULL, "+447700900123" },
	{ "phones", "123456", "invalid_format", NULL },
	{ "phones", "07700900123, 12", "invalid_format", NULL },
	{ "phones", "0770090012a", "invalid_format", NULL },
	{ "phones", "1234567890123456", "invalid_format", NULL },
	{ "phones", "07700+900123", "invalid_format", NULL },
	{ "phones", "1,2,3,4,5,6,7,8,9,10,11", "invalid_format", NULL },
	/* phones (SPEC 14): a number with a label, a partial number */
	{ "phones", "07700 900123 - Jay", NULL, "+447700900123 Jay" },
	{ "phones", "07700900123 (Jay)", NULL, "+447700900123 Jay" },
	{ "phones", "07700 900123: Big   Jay ", NULL,
	    "+447700900123 Big Jay" },
	{ "phones", "07700 900123 \xe2\x80\x93 Jay", NULL,
	    "+447700900123 Jay" },
	{ "phones", "07700 900123 ext 4", NULL, "+447700900123 ext 4" },
	{ "phones", "ends 123", NULL, "partial:123" },
	{ "phones", "partial:123 Jay", NULL, "partial:123 Jay" },
	{ "phones", "Ends in 4567 - Jay", NULL, "partial:4567 Jay" },
	{ "phones", "ending 123456", NULL, "partial:123456" },
	{ "phones", "07700900123 - Jay\nends 123", NULL,
	    "+447700900123 Jay,partial:123" },
	{ "phones", "ends 12", "invalid_format", NULL },
	{ "phones", "ends 1234567", "invalid_format", NULL },
	{ "phones", "ends", "invalid_format", NULL },
	{ "phones", "Jay 07700900123", "invalid_format", NULL },
	{ "phones", "07700 9OO123", "invalid_format", NULL },
	{ "phones", "07700 900123 - "
	    "abcdefghijabcdefghijabcdefghijabcdefghijX", "invalid_format",
	    NULL },
	{ "phones", "07700 900123 - "
	    "abcdefghijabcdefghijabcdefghijabcdefghij", NULL,
	    "+447700900123 abcdefghijabcdefghijabcdefghijabcdefghij" },
	/* how_known (SPEC 14) */
	{ "how_known", NULL, NULL, NULL },
	{ "how_known", "saw", NULL, "saw" },
	{ "how_known", "heard", NULL, "heard" },
	{ "how_known", "told", NULL, "told" },
	{ "how_known", "online", NULL, "online" },
	{ "how_known", "other", NULL, "other" },
	{ "how_known", "Saw", "invalid_choice", NULL },
	{ "how_known", "seen", "invalid_choice", NULL },
	/* reporter (SPEC 14) */
	{ "reporter", NULL, NULL, NULL },
	{ "reporter", "public", NULL, "public" },
	{ "reporter", "professional", NULL, "professional" },
	{ "reporter", "parent", NULL, "parent" },
	{ "reporter", "young_person", NULL, "young_person" },
	{ "reporter", "prefer_not", NULL, "prefer_not" },
	{ "reporter", "child", "invalid_choice", NULL },
	/* other_addresses: up to 5 lines of 3-300 code points */
	{ "other_addresses", NULL, NULL, NULL },
	{ "other_addresses", " \n\n ", NULL, NULL },
	{ "other_addresses", "12 High St\n\n  3 Low Rd  ", NULL,
	    "12 High St\n3 Low Rd" },
	{ "other_addresses", "12 High St\r\n3 Low Rd", NULL,
	    "12 High St\n3 Low Rd" },
	{ "other_addresses", "12 High St, Town", NULL, "12 High St, Town" },
	{ "other_addresses", "a1\na2\na3\na4\na5", "too_short", NULL },
	{ "other_addresses", "1 A St\n2 A St\n3 A St\n4 A St\n5 A St", NULL,
	    "1 A St\n2 A St\n3 A St\n4 A St\n5 A St" },
	{ "other_addresses", "1 A St\n2 A St\n3 A St\n4 A St\n5 A St\n"
	    "6 A St", "too_many", NULL },
	{ "other_addresses", "1 A St\n2 \x01 St", "invalid_characters",
	    NULL },
	/* handles: up to 10 usernames or links */
	{ "handles", NULL, NULL, NULL },
	{ "handles", "@jay_123", NULL, "@jay_123" },
	{ "handles", "@jay_123, https://instagram.com/x.y", NULL,
	    "@jay_123\nhttps://instagram.com/x.y" },
	{ "handles", "@jay @kay\nsnap.name", NULL, "@jay\n@kay\nsnap.name" },
	{ "handles", "jay!", "invalid_format", NULL },
	{ "handles", "javascript:alert(1)", "invalid_format", NULL },
	{ "handles", "@", "too_short", NULL },
	{ "handles", "aa bb cc dd ee ff gg hh ii jj", NULL,
	    "aa\nbb\ncc\ndd\nee\nff\ngg\nhh\nii\njj" },
	{ "handles", "aa bb cc dd ee ff gg hh ii jj kk", "too_many", NULL },
	{ "phones", "07700900001,07700900002,07700900003,07700900004,"
	    "07700900005,07700900006,07700900007,07700900008,07700900009,"
	    "07700900010", NULL, "+447700900001,+447700900002,"
	    "+447700900003,+447700900004,+447700900005,+447700900006,"
	    "+447700900007,+447700900008,+447700900009,+447700900010" },
	{ "phones", "07700900001,07700900002,07700900003,07700900004,"
	    "07700900005,07700900006,07700900007,07700900008,07700900009,"
	    "07700900010,07700900011", "too_many", NULL },
	/* child_at_risk, weapons_seen, vulnerable_adult: yes/no/unsure */
	{ "child_at_risk", NULL, NULL, NULL },
	{ "child_at_risk", "yes", NULL, "yes" },
	{ "child_at_risk", "unsure", NULL, "unsure" },
	{ "child_at_risk", "Yes", "invalid_choice", NULL },
	{ "child_at_risk", "maybe", "invalid_choice", NULL },
	{ "weapons_seen", "no", NULL, "no" },
	{ "weapons_seen", "y", "invalid_choice", NULL },
	{ "vulnerable_adult", "unsure", NULL, "unsure" },
	{ "vulnerable_adult", "true", "invalid_choice", NULL },
};

static void
test_field_cases(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++)
		check_field(field_cases[i].field, field_cases[i].input,
		    field_cases[i].code, field_cases[i].value);
}

/* Length limits, in code points, at and over each boundary. */
static void
test_lengths(void **state)
{
	static const struct {
		const char	*field;
		size_t		 min, max;
	} t[] = {
		{ "description", 20, 5000 },
		{ "location", 3, 300 },
		{ "times", 0, 300 },
		{ "people", 0, 2000 },
		{ "vehicles", 0, 1000 },
	};
	static const char *const chars[] = { "x", "\xc3\xa9", "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80" };
	size_t	 i, j;
	char	*s;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (j = 0; j < sizeof(chars) / sizeof(chars[0]); j++) {
			s = repeat(chars[j], t[i].max);
			check_field(t[i].field, s, NULL, s);
			free(s);
			s = repeat(chars[j], t[i].max + 1);
			check_field(t[i].field, s, "too_long", NULL);
			free(s);
			if (t[i].min == 0)
				continue;
			s = repeat(chars[j], t[i].min);
			check_field(t[i].field, s, NULL, s);
			free(s);
			s = repeat(chars[j], t[i].min - 1);
			check_field(t[i].field, s, "too_short", NULL);
			free(s);
		}
}

/* Messages say how to fix it, with the numbers, in the catalogue's
 * words; none starts with "Please" (GOV.UK error messages). */
static void
test_messages(void **state)
{
	struct tl_report	 r;
	struct tl_field_error	 errs[NERRS];
	size_t			 n, i;
	const char		*m;

	(void)state;
	tl_report_init(&r);
	set(&r, "description", "I saw a man (12)");
	set(&r, "location", "xy");
	set(&r, "postcode", "nowhere");
	set(&r, "when", "soon");
	set(&r, "phones", "123");
	set(&r, "times", "\x01");
	n = tl_report_validate(&r, errs, NERRS);
	assert_int_equal(n, 7);
	/* in table order */
	assert_int_equal(errs[0].field, TL_F_CONCERNS);
	assert_string_equal(errs[0].code, "required");
	assert_string_equal(errs[0].msg, "concerns_required");
	assert_int_equal(errs[1].field, TL_F_DESCRIPTION);
	assert_string_equal(msg(&errs[1]), "Tell us a little more: enter at "
	    "least 20 characters (you entered 16).");
	assert_int_equal(errs[2].field, TL_F_LOCATION);
	assert_non_null(strstr(msg(&errs[2]), "at least 3"));
	assert_non_null(strstr(msg(&errs[2]), "(you entered 2)"));
	assert_int_equal(errs[3].field, TL_F_POSTCODE);
	assert_non_null(strstr(msg(&errs[3]), "SO14 3JJ"));
	assert_int_equal(errs[4].field, TL_F_WHEN);
	assert_int_equal(errs[5].field, TL_F_TIMES);
	assert_string_equal(errs[5].code, "invalid_characters");
	assert_int_equal(errs[6].field, TL_F_PHONES);
	assert_non_null(strstr(msg(&errs[6]), "7 to 15 digits"));
	for (i = 0; i < n; i++) {
		m = msg(&errs[i]);
		assert_true(strncmp(m, "Please", 6) != 0);
		assert_int_equal(m[strlen(m) - 1], '.');
		assert_null(strchr(m, '{'));
	}
	/* only max are written, all are counted */
	memset(errs, 0, sizeof(errs));
	assert_int_equal(tl_report_validate(&r, errs, 2), 7);
	assert_int_equal(errs[1].field, TL_F_DESCRIPTION);
	assert_null(errs[2].code);
	assert_int_equal(tl_report_validate(&r, NULL, 0), 7);
	tl_report_free(&r);
}

/*
 * A phone number refused says what was wrong with it: letters where the
 * number goes, too few or too many digits, or too long a name; with
 * several numbers, which one. Labels and partial numbers are not wrong.
 */
static void
test_phone_messages(void **state)
{
	static const struct {
		const char	*in;
		const char	*says;
		const char	*not;
	} cases[] = {
		{ "0770090012a", "has letters in it", "7 to 15 digits" },
		{ "Jay 07700 900123", "has letters in it", NULL },
		{ "123", "7 to 15 digits", "letters" },
		{ "ends 12", "like ends 123", "letters" },
		{ "0770090012345678", "7 to 15 digits", "letters" },
		{ "07700 900123, Jay's mum", "Phone number 2 has letters",
		  NULL },
		{ "07700 900123, 12", "Phone number 2 is not right", NULL },
		{ "07700 900123 - abcdefghijabcdefghijabcdefghijabcdefghijX",
		  "The name after phone number 1 is too long. Enter 40 "
		  "characters or fewer.", NULL },
		{ "1,2,3,4,5,6,7,8,9,10,11", "Phone number 1 is not right",
		  NULL },
		{ "07700900001,07700900002,07700900003,07700900004,"
		  "07700900005,07700900006,07700900007,07700900008,"
		  "07700900009,07700900010,07700900011", "You entered 11 "
		  "phone numbers. Enter up to 10", NULL },
	};
	struct tl_field_error	 errs[NERRS];
	struct tl_report	 r;
	size_t			 i, n;
	const char		*m;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tl_report_init(&r);
		set(&r, "phones", cases[i].in);
		n = tl_report_validate(&r, errs, NERRS);
		assert_true(n > 0);
		assert_int_equal(errs[n - 1].field, TL_F_PHONES);
		m = msg(&errs[n - 1]);
		if (strstr(m, cases[i].says) == NULL ||
		    (cases[i].not != NULL && strstr(m, cases[i].not) != NULL))
			fail_msg("\"%s\": %s", cases[i].in, m);
		assert_int_equal(m[strlen(m) - 1], '.');
		tl_report_free(&r);
	}
}

/* The new lists say which line and what to do (SPEC 14). */
static void
test_list_messages(void **state)
{
	static const struct {
		const char	*field, *in, *says;
	} cases[] = {
		{ "other_addresses", "1 A St\nab", "Line 2 is too short: "
		  "enter at least 3 characters." },
		{ "other_addresses", "a1 St\nb2 St\nc3 St\nd4 St\ne5 St\n"
		  "f6 St\ng7 St", "You entered 7 addresses. Enter up to 5" },
		{ "handles", "@ok, @no!", "Account 2 is not a username or a "
		  "link." },
		{ "handles", "aa bb cc dd ee ff gg hh ii jj kk ll",
		  "You entered 12 accounts. Enter up to 10" },
	};
	struct tl_field_error	 errs[NERRS];
	struct tl_report	 r;
	size_t			 i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tl_report_init(&r);
		set(&r, cases[i].field, cases[i].in);
		n = tl_report_validate(&r, errs, NERRS);
		assert_true(n > 0);
		if (strstr(msg(&errs[n - 1]), cases[i].says) == NULL)
			fail_msg("%s \"%s\": %s", cases[i].field,
			    cases[i].in, msg(&errs[n - 1]));
		tl_report_free(&r);
	}
}

static void
test_too_long_message(void **state)
{
	struct tl_report	 r;
	struct tl_field_error	 e;
	char			*s = repeat("a", 301);

	(void)state;
	tl_report_init(&r);
	set(&r, "concerns", "other");
	set(&r, "description", DESC);
	set(&r, "location", s);
	assert_int_equal(tl_report_validate(&r, &e, 1), 1);
	assert_string_equal(e.code, "too_long");
	assert_string_equal(msg(&e), "Make this shorter: enter 300 "
	    "characters or fewer (you entered 301).");
	tl_report_free(&r);
	free(s);
}

/* Duplicates of a number are folded before the limit of ten. */
static void
test_phones_folded(void **state)
{
	struct tl_report	 r;
	struct tl_field_error	 errs[NERRS];

	(void)state;
	tl_report_init(&r);
	set(&r, "concerns", "dealing");
	set(&r, "description", DESC);
	set(&r, "location", LOC);
	set(&r, "phones", "07700900001,07700900002,07700900003,07700900004,"
	    "07700900005,07700900006,07700900007,07700900008,07700900009,"
	    "07700900010,+44 7700 900001");
	assert_int_equal(tl_report_validate(&r, errs, NERRS), 0);
	assert_int_equal(r.nphones, 10);
	assert_string_equal(r.phones[0], "+447700900001");
	assert_string_equal(r.phones[9], "+447700900010");
	tl_report_free(&r);

	tl_report_init(&r);
	set(&r, "phones", "07700 900123 ; 020 7946 0958");
	(void)tl_report_validate(&r, errs, NERRS);
	assert_int_equal(r.nphones, 2);
	assert_string_equal(r.value[TL_F_PHONES],
	    "+447700900123,+442079460958");
	tl_report_free(&r);
}

/* concerns: repeated key, canonical names in table order, folded. */
static void
test_concerns(void **state)
{
	static const struct {
		const char	*in[6];
		const char	*code;
		const char	*value;
	} t[] = {
		{ { "dealing" }, NULL, "dealing" },
		{ { "weapons", "dealing", "weapons" }, NULL,
		    "dealing,weapons" },
		{ { "other", "weapons", "child_exploitation", "cuckooing",
		    "dealing" }, NULL,
		    "dealing,cuckooing,child_exploitation,weapons,other" },
		{ { " cuckooing " }, NULL, "cuckooing" },
		{ { NULL }, "required", NULL },
		{ { "" }, "required", NULL },
		{ { "drugs" }, "invalid_choice", NULL },
		{ { "dealing", "Dealing" }, "invalid_choice", NULL },
		{ { "child exploitation" }, "invalid_choice", NULL },
	};
	struct tl_report	 r;
	struct tl_field_error	 errs[NERRS];
	size_t			 i, j, n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		tl_report_init(&r);
		for (j = 0; t[i].in[j] != NULL; j++)
			set(&r, "concerns", t[i].in[j]);
		set(&r, "description", DESC);
		set(&r, "location", LOC);
		n = tl_report_validate(&r, errs, NERRS);
		assert_int_equal(n, t[i].code ? 1 : 0);
		if (t[i].code != NULL) {
			assert_int_equal(errs[0].field, TL_F_CONCERNS);
			assert_string_equal(errs[0].code, t[i].code);
			assert_null(r.value[TL_F_CONCERNS]);
		} else
			assert_string_equal(r.value[TL_F_CONCERNS],
			    t[i].value);
		tl_report_free(&r);
	}
}

static void
test_set(void **state)
{
	struct tl_report	 r;

	(void)state;
	tl_report_init(&r);
	set(&r, "description", DESC);
	assert_int_equal(tl_report_set(&r, "description", 11, "again", 5),
	    TL_EREPEATED);
	assert_string_equal(r.raw[TL_F_DESCRIPTION], DESC);
	set(&r, "postcode", "");
	assert_int_equal(tl_report_set(&r, "postcode", 8, "SO14", 4),
	    TL_EREPEATED);
	set(&r, "concerns", "dealing");
	set(&r, "concerns", "dealing");
	set(&r, "concerns", "weapons");
	assert_int_equal(r.nconcerns_raw, 3);
	/* unknown names, and the form's own fields, are ignored */
	set(&r, "token", "abc");
	set(&r, "website", "x");
	set(&r, "unknown", "x");
	set(&r, "unknown", "y");
	assert_int_equal(tl_report_set(&r, "descriptionx", 12, "x", 1),
	    TL_OK);
	assert_int_equal(tl_report_set(&r, "descr", 5, "x", 1), TL_OK);
	/* the name is len bytes, not up to a NUL */
	assert_int_equal(tl_report_set(&r, "location=", 8, "abc", 3), TL_OK);
	assert_string_equal(r.raw[TL_F_LOCATION], "abc");
	/* defensive: NUL and bad UTF-8 are refused */
	assert_int_equal(tl_report_set(&r, "times", 5, "a\0b", 3),
	    TL_EMALFORMED);
	assert_int_equal(tl_report_set(&r, "times", 5, "\xc0\xaf", 2),
	    TL_EUTF8);
	assert_null(r.raw[TL_F_TIMES]);
	tl_report_free(&r);
	tl_report_free(&r);	/* safe twice */
}

/* Validating twice gives the same and leaks nothing. */
static void
test_validate_twice(void **state)
{
	struct tl_report	 r;
	struct tl_field_error	 errs[NERRS];

	(void)state;
	tl_report_init(&r);
	set(&r, "concerns", "dealing");
	set(&r, "description", DESC);
	set(&r, "location", LOC);
	set(&r, "phones", "07700900123");
	set(&r, "when", "now");
	assert_int_equal(tl_report_validate(&r, errs, NERRS), 0);
	assert_int_equal(tl_report_validate(&r, errs, NERRS), 0);
	assert_string_equal(r.value[TL_F_PHONES], "+447700900123");
	assert_int_equal(r.nphones, 1);
	assert_int_equal(r.priority, TL_PRIO_URGENT);
	assert_int_equal(r.oom, 0);
	/* raw keeps what was typed */
	assert_string_equal(r.raw[TL_F_PHONES], "07700900123");
	tl_report_free(&r);
}

static void
test_priority(void **state)
{
	static const struct {
		const char		*when, *child, *weapons, *adult;
		enum tl_priority	 prio;
	} t[] = {
		{ NULL, NULL, NULL, NULL, TL_PRIO_NORMAL },
		{ "now", NULL, NULL, NULL, TL_PRIO_URGENT },
		{ "today", NULL, NULL, NULL, TL_PRIO_NORMAL },
		{ "ongoing", "no", "no", "yes", TL_PRIO_NORMAL },
		{ NULL, "yes", NULL, NULL, TL_PRIO_URGENT },
		{ NULL, "unsure", NULL, NULL, TL_PRIO_NORMAL },
		{ NULL, NULL, "yes", NULL, TL_PRIO_URGENT },
		{ NULL, NULL, "unsure", "yes", TL_PRIO_NORMAL },
		{ "earlier", "yes", "yes", NULL, TL_PRIO_URGENT },
		{ " now ", NULL, NULL, NULL, TL_PRIO_URGENT },
		{ "NOW", "YES", NULL, NULL, TL_PRIO_NORMAL },
	};
	struct tl_report	 r;
	struct tl_field_error	 errs[NERRS];
	size_t			 i;

	(void)state;
	assert_string_equal(tl_priority_name(TL_PRIO_URGENT), "urgent");
	assert_string_equal(tl_priority_name(TL_PRIO_NORMAL), "normal");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		tl_report_init(&r);
		set(&r, "concerns", "cuckooing");
		set(&r, "description", DESC);
		set(&r, "location", LOC);
		if (t[i].when)
			set(&r, "when", t[i].when);
		if (t[i].child)
			set(&r, "child_at_risk", t[i].child);
		if (t[i].weapons)
			set(&r, "weapons_seen", t[i].weapons);
		if (t[i].adult)
			set(&r, "vulnerable_adult", t[i].adult);
		(void)tl_report_validate(&r, errs, NERRS);
		if (r.priority != t[i].prio)
			fail_msg("priority case %zu", i);
		tl_report_free(&r);
	}
}

static const struct {
	const char	*in;
	const char	*out;		/* NULL: refused */
} postcodes[] = {
	{ "so143jj", "SO14 3JJ" },
	{ "SO14 3JJ", "SO14 3JJ" },
	{ "  so14   3jj ", "SO14 3JJ" },
	{ "so14", "SO14" },
	{ "M1 1AE", "M1 1AE" },			/* A9 9AA */
	{ "b338th", "B33 8TH" },		/* A99 9AA */
	{ "CR2 6XH", "CR2 6XH" },		/* AA9 9AA */
	{ "DN55 1PT", "DN55 1PT" },		/* AA99 9AA */
	{ "W1A 0AX", "W1A 0AX" },		/* A9A 9AA */
	{ "EC1A 1BB", "EC1A 1BB" },		/* AA9A 9AA */
	{ "M1", "M1" },
	{ "B33", "B33" },
	{ "CR2", "CR2" },
	{ "DN55", "DN55" },
	{ "W1A", "W1A" },
	{ "ec1a", "EC1A" },
	{ "GIR 0AA", "GIR 0AA" },
	{ "gir0aa", "GIR 0AA" },
	{ "SO1 43JJ", "SO14 3JJ" },		/* the inward code is 3 */
	{ "", NULL },
	{ "S", NULL },
	{ "SO", NULL },
	{ "1SO", NULL },
	{ "SO143", NULL },
	{ "SO14 3J", NULL },
	{ "SO14 JJ3", NULL },
	{ "SOU14 3JJ", NULL },
	{ "SO14 3JJX", NULL },
	{ "SO14-3JJ", NULL },
	{ "SO14\n3JJ", NULL },
	{ "S014 3JJ", NULL },			/* zero, not O, then 14 */
	{ "SO14 3JJ 3JJ", NULL },
	{ "GIR", NULL },
	{ "\xef\xbc\xb3O14", NULL },		/* full-width S */
	{ "12345", NULL },
};

static void
test_postcode(void **state)
{
	char		 out[9], area[9];
	size_t		 i;
	enum tl_err	 rc;

	(void)state;
	for (i = 0; i < sizeof(postcodes) / sizeof(postcodes[0]); i++) {
		memset(out, 'z', sizeof(out));
		rc = tl_postcode_normalise(postcodes[i].in, out, sizeof(out));
		if (postcodes[i].out == NULL && rc != TL_EINVAL)
			fail_msg("postcode \"%s\" accepted as \"%s\"",
			    postcodes[i].in, out);
		if (postcodes[i].out != NULL && (rc != TL_OK ||
		    strcmp(out, postcodes[i].out) != 0))
			fail_msg("postcode \"%s\" refused or wrong",
			    postcodes[i].in);
	}
	assert_int_equal(tl_postcode_normalise("SO14 3JJ", out, 8), TL_EINVAL);

	tl_postcode_area("SO14 3JJ", area, sizeof(area));
	assert_string_equal(area, "SO14");
	tl_postcode_area("ec1a1bb", area, sizeof(area));
	assert_string_equal(area, "EC1A");
	tl_postcode_area("M1", area, sizeof(area));
	assert_string_equal(area, "M1");
	tl_postcode_area("GIR 0AA", area, sizeof(area));
	assert_string_equal(area, "GIR");
	tl_postcode_area(NULL, area, sizeof(area));
	assert_string_equal(area, "");
	tl_postcode_area("nonsense", area, sizeof(area));
	assert_string_equal(area, "");
	tl_postcode_area("SO14 3JJ", area, 4);	/* no room: empty */
	assert_string_equal(area, "");
}

static const struct {
	const char	*in;
	const char	*out;		/* NULL: refused */
} phones[] = {
	{ "07700900123", "+447700900123" },
	{ "07700 900123", "+447700900123" },
	{ "07700-900-123", "+447700900123" },
	{ "07700.900.123", "+447700900123" },
	{ "(020) 7946 0958", "+442079460958" },
	{ "[020] 7946 0958", "+442079460958" },
	{ " \t07700 900123\t ", "+447700900123" },
	{ "+447700900123", "+447700900123" },
	{ "+44 7700 900123", "+447700900123" },
	{ "+44 (0)7700 900123", "+447700900123" },
	{ "(+44) 7700 900123", "+447700900123" },
	{ "00447700900123", "+447700900123" },
	{ "0033 1 23 45 67 89", "+33123456789" },
	{ "+1 (555) 010-9999", "+15550109999" },
	{ "1234567", "1234567" },		/* no prefix: kept as is */
	{ "0123456", "+44123456" },		/* 7 digits */
	{ "123456789012345", "123456789012345" },
	{ "+123456789012345", "+123456789012345" },
	{ "01234567890123", "+441234567890123" },	/* 15 digits after */
	{ "012345678901234", NULL },		/* 16 digits after +44 */
	{ "1234567890123456", NULL },		/* 16 digits */
	{ "+1234567890123456", NULL },
	{ "123456", NULL },			/* 6 digits */
	{ "+123456", NULL },
	{ "", NULL },
	{ "   ", NULL },
	{ "+", NULL },
	{ "++447700900123", NULL },
	{ "07700+900123", NULL },
	{ "07700900123+", NULL },
	{ "0770090012a", NULL },
	{ "07700/900123", NULL },
	{ "07700_900123", NULL },
	{ "\xd9\xa0\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6", NULL },
	/* Found by fuzzing: too short once a prefix or trunk 0 is gone. */
	{ "00 1 202 55", NULL },
	{ "+44 020 00", NULL },
	{ "0000000", NULL },
	/* Found by fuzzing: one number, one stored form. */
	{ "0044 (0)20 7946 0000", "+442079460000" },
	{ "+44 00)2 (7694 0000", "+44276940000" },
};

static void
test_phone(void **state)
{
	char		 out[17];
	size_t		 i;
	enum tl_err	 rc;

	(void)state;
	for (i = 0; i < sizeof(phones) / sizeof(phones[0]); i++) {
		memset(out, 'z', sizeof(out));
		rc = tl_phone_normalise(phones[i].in, strlen(phones[i].in),
		    out, sizeof(out));
		if (phones[i].out == NULL && rc != TL_EINVAL)
			fail_msg("phone \"%s\" accepted as \"%s\"",
			    phones[i].in, out);
		if (phones[i].out != NULL && (rc != TL_OK ||
		    strcmp(out, phones[i].out) != 0))
			fail_msg("phone \"%s\" refused or wrong", phones[i].in);
	}
	/* Normalising a normalised number changes nothing. */
	for (i = 0; i < sizeof(phones) / sizeof(phones[0]); i++) {
		char	 again[17];

		if (phones[i].out == NULL)
			continue;
		assert_int_equal(tl_phone_normalise(phones[i].out,
		    strlen(phones[i].out), again, sizeof(again)), TL_OK);
		assert_string_equal(again, phones[i].out);
	}
	/* only len bytes are read */
	assert_int_equal(tl_phone_normalise("07700900123xyz", 11, out,
	    sizeof(out)), TL_OK);
	assert_string_equal(out, "+447700900123");
	/* a too small buffer is refused, not overrun */
	assert_int_equal(tl_phone_normalise("07700900123", 11, out, 13),
	    TL_EINVAL);
	assert_int_equal(tl_phone_normalise("07700900123", 11, out, 14),
	    TL_OK);
}

/*
 * JSON bodies: the result of tl_report_from_json() and, when that is
 * TL_OK, the error validation gives for field (NULL: none at all).
 */
#define VALID	"\"concerns\": [\"dealing\"], \"description\": \"" DESC \
		"\", \"location\": \"" LOC "\""

static const struct {
	const char	*body;
	enum tl_err	 rc;
	const char	*field;
	const char	*code;
} json_cases[] = {
	{ "{" VALID "}", TL_OK, NULL, NULL },
	{ "{" VALID ", \"postcode\": \"so143jj\", \"when\": \"now\"}",
	    TL_OK, NULL, NULL },
	/* unknown keys of any type are ignored */
	{ "{" VALID ", \"token\": 5, \"website\": \"x\", \"foo\": {\"a\": "
	    "[1, [2, {\"b\": null}]]}}", TL_OK, NULL, NULL },
	/* null is not answered */
	{ "{" VALID ", \"postcode\": null, \"phones\": null}", TL_OK, NULL,
	    NULL },
	{ "{\"concerns\": [\"dealing\"], \"description\": null, "
	    "\"location\": \"" LOC "\"}", TL_OK, "description", "required" },
	{ "{\"concerns\": null, \"description\": \"" DESC "\", "
	    "\"location\": \"" LOC "\"}", TL_OK, "concerns", "required" },
	/* wrong types */
	{ "{" VALID ", \"postcode\": 14}", TL_OK, "postcode",
	    "invalid_format" },
	{ "{" VALID ", \"when\": true}", TL_OK, "when", "invalid_format" },
	{ "{" VALID ", \"times\": {\"a\": \"b\"}}", TL_OK, "times",
	    "invalid_format" },
	{ "{" VALID ", \"phones\": [\"07700900123\"]}", TL_OK, "phones",
	    "invalid_format" },
	{ "{" VALID ", \"child_at_risk\": 1.5}", TL_OK, "child_at_risk",
	    "invalid_format" },
	{ "{\"concerns\": [\"dealing\"], \"description\": -12, "
	    "\"location\": \"" LOC "\"}", TL_OK, "description",
	    "invalid_format" },
	{ "{\"concerns\": \"dealing\", \"description\": \"" DESC "\", "
	    "\"location\": \"" LOC "\"}", TL_OK, "concerns",
	    "invalid_format" },
	{ "{\"concerns\": [\"dealing\", 1], \"description\": \"" DESC "\", "
	    "\"location\": \"" LOC "\"}", TL_OK, "concerns",
	    "invalid_format" },
	{ "{\"concerns\": [[\"dealing\"]], \"description\": \"" DESC "\", "
	    "\"location\": \"" LOC "\"}", TL_OK, "concerns",
	    "invalid_format" },
	{ "{\"concerns\": [null], \"description\": \"" DESC "\", "
	    "\"location\": \"" LOC "\"}", TL_OK, "concerns",
	    "invalid_format" },
	{ "{\"concerns\": {\"dealing\": true}, \"description\": \"" DESC
	    "\", \"location\": \"" LOC "\"}", TL_OK, "concerns",
	    "invalid_format" },
	{ "{\"concerns\": [], \"description\": \"" DESC "\", "
	    "\"location\": \"" LOC "\"}", TL_OK, "concerns", "required" },
	{ "{\"concerns\": [\"drugs\"], \"description\": \"" DESC "\", "
	    "\"location\": \"" LOC "\"}", TL_OK, "concerns",
	    "invalid_choice" },
	/* field rules apply as for the form */
	{ "{" VALID ", \"times\": \"a\\u0007b\"}", TL_OK, "times",
	    "invalid_characters" },
	{ "{" VALID ", \"when\": \"later\"}", TL_OK, "when",
	    "invalid_choice" },
	/* not an object */
	{ "", TL_EJSON, NULL, NULL },
	{ "   ", TL_EJSON, NULL, NULL },
	{ "[]", TL_EJSON, NULL, NULL },
	{ "[{" VALID "}]", TL_EJSON, NULL, NULL },
	{ "\"text\"", TL_EJSON, NULL, NULL },
	{ "42", TL_EJSON, NULL, NULL },
	{ "null", TL_EJSON, NULL, NULL },
	{ "true", TL_EJSON, NULL, NULL },
	{ "{", TL_EJSON, NULL, NULL },
	{ "{" VALID "} {}", TL_EJSON, NULL, NULL },
	{ "{" VALID ",}", TL_EJSON, NULL, NULL },
	{ "{'description': 'x'}", TL_EJSON, NULL, NULL },
	/* a number jansson cannot hold is not JSON we accept */
	{ "{" VALID ", \"times\": 123456789012345678901234}", TL_EJSON,
	    NULL, NULL },
	/* a repeated key */
	{ "{" VALID ", \"postcode\": \"SO14\", \"postcode\": \"SO15\"}",
	    TL_EJSON, NULL, NULL },
	/* NUL and lone surrogates as escapes */
	{ "{" VALID ", \"times\": \"a\\u0000b\"}", TL_EJSON, NULL, NULL },
	{ "{" VALID ", \"times\": \"\\ud800\"}", TL_EJSON, NULL, NULL },
	/* bad UTF-8 */
	{ "{" VALID ", \"times\": \"\xff\"}", TL_EUTF8, NULL, NULL },
	{ "{" VALID ", \"times\": \"\xc0\xaf\"}", TL_EUTF8, NULL, NULL },
	{ "{" VALID ", \"times\": \"\xed\xa0\x80\"}", TL_EUTF8, NULL, NULL },
	{ "{" VALID ", \"\xf4\x90\x80\x80\": 1}", TL_EUTF8, NULL, NULL },
	{ "\xef\xbb\xbf{" VALID "}", TL_EJSON, NULL, NULL },	/* BOM */
};

static void
test_json(void **state)
{
	struct tl_report	 r;
	struct tl_field_error	 errs[NERRS];
	size_t			 i, n;
	enum tl_err		 rc;

	(void)state;
	for (i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		tl_report_init(&r);
		rc = tl_report_from_json(&r, json_cases[i].body,
		    strlen(json_cases[i].body));
		if (rc != json_cases[i].rc)
			fail_msg("json case %zu: got %d", i, rc);
		if (rc == TL_OK) {
			n = tl_report_validate(&r, errs, NERRS);
			if (json_cases[i].field == NULL && n != 0)
				fail_msg("json case %zu: %s on %d", i,
				    errs[0].code, errs[0].field);
			if (json_cases[i].field != NULL && (n != 1 ||
			    strcmp(tl_fields[errs[0].field].name,
			    json_cases[i].field) != 0 ||
			    strcmp(errs[0].code, json_cases[i].code) != 0))
				fail_msg("json case %zu: %zu errors, %s", i,
				    n, n ? errs[0].code : "none");
		}
		tl_report_free(&r);
	}
}

static void
test_json_values(void **state)
{
	const char		*body = "{\"concerns\": [\"weapons\", "
	    "\"dealing\", \"weapons\"], \"description\": \"  " DESC
	    "\\r\\nMore.  \", \"location\": \"" LOC "\", \"postcode\": "
	    "\"so14\", \"phones\": \"07700 900123; 07700900123\", "
	    "\"weapons_seen\": \"yes\", \"people\": \"\\u00e9\"}";
	struct tl_report	 r;
	struct tl_field_error	 errs[NERRS];

	(void)state;
	tl_report_init(&r);
	assert_int_equal(tl_report_from_json(&r, body, strlen(body)), TL_OK);
	assert_int_equal(tl_report_validate(&r, errs, NERRS), 0);
	assert_string_equal(r.value[TL_F_CONCERNS], "dealing,weapons");
	assert_string_equal(r.value[TL_F_DESCRIPTION], DESC "\nMore.");
	assert_string_equal(r.value[TL_F_POSTCODE], "SO14");
	assert_string_equal(r.value[TL_F_PHONES], "+447700900123");
	assert_string_equal(r.value[TL_F_PEOPLE], "\xc3\xa9");
	assert_null(r.value[TL_F_WHEN]);
	assert_null(r.value[TL_F_VEHICLES]);
	assert_int_equal(r.priority, TL_PRIO_URGENT);
	tl_report_free(&r);
}

/* Deeply nested JSON is refused, not a stack overflow. */
static void
test_json_deep(void **state)
{
	struct tl_report	 r;
	size_t			 depth = 100000, i;
	char			*b;

	(void)state;
	b = malloc(2 * depth + 16);
	assert_non_null(b);
	memcpy(b, "{\"x\":", 5);
	for (i = 0; i < depth; i++) {
		b[5 + i] = '[';
		b[5 + depth + i] = ']';
	}
	memcpy(b + 5 + 2 * depth, "}", 2);
	tl_report_init(&r);
	assert_int_equal(tl_report_from_json(&r, b, strlen(b)), TL_EJSON);
	tl_report_free(&r);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_cases),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_phone_messages),
		cmocka_unit_test(test_list_messages),
		cmocka_unit_test(test_too_long_message),
		cmocka_unit_test(test_phones_folded),
		cmocka_unit_test(test_concerns),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_validate_twice),
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_postcode),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_json_deep),
	};

	char	 err[512];
	int	 rc;

	if (tl_cat_load("templates", "en", &en, err, sizeof(err)) != TL_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tl_cat_free(en);
	return rc;
}
