/*
 * test_cat.c — the catalogues of words (lib/cat.c, SPEC 14): every
 * shipped catalogue holds every key, the parser is strict, placeholders
 * are filled and escaped, and no sentence the public reads is compiled
 * into lib/ (run from the repository root).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cat.h"

#define LANGDIR	"templates/lang"

/* Every catalogue under templates/lang/ loads: every key, exactly once,
 * no unknown key; each says who reviewed it. English and Welsh ship. */
static void
test_shipped_complete(void **state)
{
	struct dirent	*e;
	struct tl_cat	*c;
	DIR		*d;
	char		 err[512], code[16];
	size_t		 n, found = 0, i;

	(void)state;
	assert_non_null(d = opendir(LANGDIR));
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".cat") != 0)
			continue;
		snprintf(code, sizeof(code), "%.*s", (int)(n - 4), e->d_name);
		if (tl_cat_load("templates", code, &c, err, sizeof(err)) !=
		    TL_OK)
			fail_msg("%s", err);
		for (i = 0; i < tl_cat_nkeys(); i++)
			assert_ptr_not_equal(tl_cat_get(c, tl_cat_key(i)),
			    tl_cat_key(i));
		assert_true(strlen(tl_cat_get(c, "catalogue_review")) > 10);
		if (strcmp(code, "cy") == 0)
			assert_non_null(strstr(tl_cat_get(c,
			    "catalogue_review"), "native Welsh speaker"));
		tl_cat_free(c);
		found++;
	}
	closedir(d);
	assert_true(found >= 2);
}

/* The keys follow the field table: a new field needs its words. */
static void
test_keys_from_table(void **state)
{
	static const char *const want[] = { "how_known_label",
	    "how_known_online", "reporter_young_person", "reporter_hint",
	    "other_addresses_too_many", "handles_invalid",
	    "concerns_required", "description_hint", "when_now",
	    "token_too_fast", "receipt_next_urgent", "textphone_line", NULL };
	size_t	 i, k;

	(void)state;
	for (i = 0; want[i] != NULL; i++) {
		for (k = 0; k < tl_cat_nkeys(); k++)
			if (strcmp(tl_cat_key(k), want[i]) == 0)
				break;
		if (k == tl_cat_nkeys())
			fail_msg("no key %s", want[i]);
	}
	/* Sorted, no duplicates. */
	for (k = 1; k < tl_cat_nkeys(); k++)
		assert_true(strcmp(tl_cat_key(k - 1), tl_cat_key(k)) < 0);
}

/* The whole English catalogue as text, plus extra (freed by caller). */
static char *
english_plus(const char *extra, const char *skip)
{
	char	 line[4096];
	size_t	 len = 0, cap = 1 << 16;
	char	*s;
	FILE	*f;

	assert_non_null(s = malloc(cap));
	s[0] = '\0';
	assert_non_null(f = fopen(LANGDIR "/en.cat", "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (skip != NULL && strncmp(line, skip, strlen(skip)) == 0)
			continue;
		assert_true(len + strlen(line) < cap);
		memcpy(s + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	fclose(f);
	assert_true(len + strlen(extra) < cap);
	memcpy(s + len, extra, strlen(extra) + 1);
	return s;
}

/* Strict: each broken file is refused with file, line and why. */
static void
test_parse_strict(void **state)
{
	static const struct {
		const char	*extra;		/* appended */
		const char	*skip;		/* line left out */
		const char	*err;
	} cases[] = {
		{ "", "send_button ", "missing key `send_button`" },
		{ "send_button = Again\n", NULL, "key given twice" },
		{ "no_such_key = Hello\n", NULL, "unknown key" },
		{ "send_button\n", "send_button ", "expected `key = value`" },
		{ "send_button =   \n", "send_button ", "empty value" },
		{ "Send_Button = x\n", "send_button ", "a key is" },
		{ "send_button = Send {nope}\n", "send_button ",
		  "unknown placeholder" },
		{ "send_button = Send {\n", "send_button ",
		  "unknown placeholder" },
		{ "send_button = Send }\n", "send_button ", "`}`" },
		{ "send_button = Se\x01nd\n", "send_button ", "control" },
		{ "send_button = Se\xc3nd\n", "send_button ", "UTF-8" },
	};
	struct tl_cat	*c;
	char		 err[512], *text;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text = english_plus(cases[i].extra, cases[i].skip);
		c = (struct tl_cat *)1;
		err[0] = '\0';
		assert_int_equal(tl_cat_parse("x.cat", text, strlen(text), &c,
		    err, sizeof(err)), TL_ECONFIG);
		assert_null(c);
		if (strstr(err, cases[i].err) == NULL ||
		    strncmp(err, "x.cat", 5) != 0)
			fail_msg("case %zu: %s", i, err);
		free(text);
	}
	/* The same text with nothing wrong parses; comments, blank lines,
	 * CRLF and blanks around `=` are fine. */
	text = english_plus("\r\n# comment\n   \n", NULL);
	assert_int_equal(tl_cat_parse("x.cat", text, strlen(text), &c, err,
	    sizeof(err)), TL_OK);
	tl_cat_free(c);
	free(text);
	assert_int_equal(tl_cat_parse("x.cat", "a\0b", 3, &c, err,
	    sizeof(err)), TL_ECONFIG);
	assert_int_equal(tl_cat_load("templates", "../etc", &c, err,
	    sizeof(err)), TL_ECONFIG);
	assert_int_equal(tl_cat_load("templates", "zz", &c, err,
	    sizeof(err)), TL_EIO);
}

/* Placeholders are filled, escaped with the text in HTML, links made. */
static void
test_put(void **state)
{
	struct tl_cat		*c;
	struct tl_buf		 b = TL_BUF_INIT;
	struct tl_cat_var	 v[2] = {
		{ "emergency_phone", "9<9>", "tel:9<9>" },
		{ "org_name", "A & B", NULL } };
	struct tl_field_error	 e;
	char			 err[512], out[256];

	(void)state;
	assert_int_equal(tl_cat_load("templates", "en", &c, err,
	    sizeof(err)), TL_OK);
	tl_cat_put(c, "danger_now", v, 2, 1, &b);
	assert_string_equal(b.data, "If someone is in danger right now, "
	    "call <a href=\"tel:9&lt;9&gt;\">9&lt;9&gt;</a>.");
	tl_buf_reset(&b);
	tl_cat_put(c, "danger_now", v, 2, 0, &b);
	assert_string_equal(b.data, "If someone is in danger right now, "
	    "call 9<9>.");
	tl_buf_reset(&b);
	tl_cat_put(c, "err_types", NULL, 0, 1, &b);
	assert_non_null(strstr(b.data, "[&quot;dealing&quot;]"));
	tl_buf_free(&b);
	memset(&e, 0, sizeof(e));
	snprintf(e.msg, sizeof(e.msg), "err_too_short");
	e.min = 20;
	e.count = 3;
	tl_cat_field_error(c, &e, out, sizeof(out));
	assert_string_equal(out, "Tell us a little more: enter at least 20 "
	    "characters (you entered 3).");
	tl_cat_field_error(c, &e, out, 10);	/* cut, terminated */
	assert_int_equal(strlen(out), 9);
	tl_cat_free(c);
}

/*
 * Whether s (a C string literal's text) reads like a sentence a person
 * reads: a capital letter, at least four words, and a full stop,
 * question mark or colon at its end.
 */
static int
is_sentence(const char *s)
{
	size_t	 n = strlen(s), words = 1, i;

	if (n < 12 || s[0] < 'A' || s[0] > 'Z')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == ' ')
			words++;
	return words >= 4 && (s[n - 1] == '.' || s[n - 1] == '?' ||
	    s[n - 1] == '!');
}

/*
 * Files whose sentences are for admins or staff, never the public:
 * tiplinectl's output, config and start-up errors, logs. A sentence in
 * any other lib/ file fails this test: it belongs in the catalogues.
 */
static const char *const admin_files[] = { "admin.c", "config.c",
	"present.c", "query.c", "secret.c", "seal.c", "seal_staff.c",
	"store.c", "db.c", "outbox.c", "notifier.c", "commitq.c", "err.c",
	"token.c", NULL };

static int
is_admin_file(const char *name)
{
	size_t	 i;

	/* The desk's (SPEC 12) are read by staff only. */
	if (strncmp(name, "desk_", 5) == 0)
		return 1;
	for (i = 0; admin_files[i] != NULL; i++)
		if (strcmp(admin_files[i], name) == 0)
			return 1;
	return 0;
}

/* Scans text for string literals (joining adjacent ones) and reports
 * each that reads like a sentence; returns how many. */
static int
scan_literals(const char *file, const char *text)
{
	char		 lit[4096];
	const char	*p = text;
	size_t		 n = 0;
	int		 found = 0, in = 0;

	for (; *p != '\0'; p++) {
		if (!in && p[0] == '/' && p[1] == '*') {
			if ((p = strstr(p + 2, "*/")) == NULL)
				break;
			p++;
			continue;
		}
		if (!in && p[0] == '\'' ) {	/* a char literal */
			p += p[1] == '\\' ? 3 : 2;
			continue;
		}
		if (*p == '"' && (!in || p[-1] != '\\' || p[-2] == '\\')) {
			in = !in;
			continue;
		}
		if (in && n < sizeof(lit) - 1) {
			lit[n++] = *p;
			continue;
		}
		if (!in && n > 0 && *p != ' ' && *p != '\t' && *p != '\n') {
			lit[n] = '\0';
			if (is_sentence(lit)) {
				print_message("%s: a sentence in C: \"%s\"\n",
				    file, lit);
				found++;
			}
			n = 0;
		}
	}
	return found;
}

/* No sentence the public reads is compiled in (SPEC 14). */
static void
test_no_sentences_in_c(void **state)
{
	struct dirent	*e;
	DIR		*d;
	FILE		*f;
	char		 path[512], *text;
	size_t		 n, len;
	int		 found = 0, scanned = 0;

	(void)state;
	assert_non_null(d = opendir("lib"));
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0 ||
		    is_admin_file(e->d_name))
			continue;
		snprintf(path, sizeof(path), "lib/%s", e->d_name);
		assert_non_null(f = fopen(path, "r"));
		assert_non_null(text = malloc(1 << 20));
		len = fread(text, 1, (1 << 20) - 1, f);
		text[len] = '\0';
		fclose(f);
		found += scan_literals(path, text);
		scanned++;
		free(text);
	}
	closedir(d);
	assert_true(scanned >= 10);
	assert_int_equal(found, 0);
	/* The scan itself finds one. */
	assert_int_equal(scan_literals("t.c", "x = \"Please check "
	    "your \" \"answers and send again.\";"), 1);
	assert_int_equal(scan_literals("t.c", "x = \"%s: out of memory\";"),
	    0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_complete),
		cmocka_unit_test(test_keys_from_table),
		cmocka_unit_test(test_parse_strict),
		cmocka_unit_test(test_put),
		cmocka_unit_test(test_no_sentences_in_c),
	};

	return cmocka_run_group_tests_name("cat", tests, NULL, NULL);
}
