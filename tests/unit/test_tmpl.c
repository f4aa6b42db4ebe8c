/*
 * test_tmpl.c — templates: {{name}} is escaped, {{{name}}} is not, and a
 * template naming an unknown variable or leaving braces open does not load.
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

#include "tmpl.h"

static const char *const known[] = { "title", "content", "x", NULL };

/* Parses text (expecting success), renders it with vars into a string. */
static char *
render(const char *text, const struct tl_var *vars, size_t nvars)
{
	struct tl_tmpl	*t = NULL;
	struct tl_buf	 b = TL_BUF_INIT;
	char		 err[256] = "";
	char		*s;

	assert_int_equal(tl_tmpl_parse("t.html", text, strlen(text), known,
	    &t, err, sizeof(err)), TL_OK);
	assert_non_null(t);
	tl_tmpl_render(t, vars, nvars, &b);
	tl_tmpl_free(t);
	assert_true(tl_buf_ok(&b));
	s = strdup(b.data != NULL ? b.data : "");
	tl_buf_free(&b);
	assert_non_null(s);
	return s;
}

/* Parses text expecting TL_ECONFIG; returns the message in err. */
static void
parse_fails(const char *text, char *err, size_t errlen)
{
	struct tl_tmpl	*t = (struct tl_tmpl *)1;

	err[0] = '\0';
	assert_int_equal(tl_tmpl_parse("bad.html", text, strlen(text),
	    known, &t, err, errlen), TL_ECONFIG);
	assert_null(t);
}

static void
test_escaped(void **state)
{
	struct tl_var	 v[] = { { "title", "<script>alert(\"x&y\")</script>'" } };
	char		*s;

	(void)state;
	s = render("<h1>{{title}}</h1>", v, 1);
	assert_string_equal(s, "<h1>&lt;script&gt;alert(&quot;x&amp;y&quot;)"
	    "&lt;/script&gt;&#39;</h1>");
	free(s);
}

static void
test_raw(void **state)
{
	struct tl_var	 v[] = { { "content", "<p>a &amp; b</p>" },
	    { "title", "T&" } };
	char		*s;

	(void)state;
	s = render("[{{{content}}}]({{title}})", v, 2);
	assert_string_equal(s, "[<p>a &amp; b</p>](T&amp;)");
	free(s);
}

static void
test_repeated_and_missing(void **state)
{
	struct tl_var	 v[] = { { "x", "1" }, { "title", NULL } };
	char		*s;

	(void)state;
	s = render("{{x}}-{{x}}-{{title}}-{{content}}.", v, 2);
	assert_string_equal(s, "1-1--.");
	free(s);
}

static void
test_plain_braces(void **state)
{
	char	*s;

	(void)state;
	s = render("a { b } c}} {", NULL, 0);
	assert_string_equal(s, "a { b } c}} {");
	free(s);
	s = render("", NULL, 0);
	assert_string_equal(s, "");
	free(s);
}

static void
test_unknown_variable(void **state)
{
	char	 err[256];

	(void)state;
	parse_fails("line one\nline two {{titel}}\n", err, sizeof(err));
	assert_non_null(strstr(err, "bad.html:2:"));
	assert_non_null(strstr(err, "titel"));
	parse_fails("{{{nope}}}", err, sizeof(err));
	assert_non_null(strstr(err, "bad.html:1:"));
	assert_non_null(strstr(err, "nope"));
}

static void
test_unclosed(void **state)
{
	char	 err[256];

	(void)state;
	parse_fails("a\nb\nc {{title", err, sizeof(err));
	assert_non_null(strstr(err, "bad.html:3:"));
	assert_non_null(strstr(err, "unclosed"));
	parse_fails("{{title\n}}", err, sizeof(err));
	assert_non_null(strstr(err, "bad.html:1:"));
	assert_non_null(strstr(err, "unclosed"));
	parse_fails("{{{content}}", err, sizeof(err));
	assert_non_null(strstr(err, "unclosed"));
	parse_fails("x {{", err, sizeof(err));
	assert_non_null(strstr(err, "unclosed"));
	parse_fails("{{}}", err, sizeof(err));
	parse_fails("{{ title }}", err, sizeof(err));
}

static void
test_load(void **state)
{
	char		 path[] = "/tmp/test_tmpl.XXXXXX", err[256];
	struct tl_tmpl	*t = NULL;
	struct tl_buf	 b = TL_BUF_INIT;
	struct tl_var	 v[] = { { "x", "a<b" } };
	FILE		*f;
	int		 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fputs("<p>{{x}}</p>\n", f);
	fclose(f);
	assert_int_equal(tl_tmpl_load(path, known, &t, err, sizeof(err)),
	    TL_OK);
	tl_tmpl_render(t, v, 1, &b);
	assert_string_equal(b.data, "<p>a&lt;b</p>\n");
	tl_buf_free(&b);
	tl_tmpl_free(t);
	unlink(path);
	assert_int_equal(tl_tmpl_load(path, known, &t, err, sizeof(err)),
	    TL_EIO);
	assert_null(t);
	assert_non_null(strstr(err, path));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_repeated_and_missing),
		cmocka_unit_test(test_plain_braces),
		cmocka_unit_test(test_unknown_variable),
		cmocka_unit_test(test_unclosed),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
