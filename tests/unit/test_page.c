/*
 * test_page.c — the pages, rendered from the real templates/ folder (run
 * from the repository root): every entered value comes back escaped, the
 * error summary links to controls that exist, choices stay checked, the
 * honeypot and token are there, and every page carries what SPEC 9 asks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "page.h"

#define TEMPLATES	"templates"
#define NASTY		"<script>alert(\"x\")</script> & 'q'"
#define NASTY_ESC	"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; " \
			"&amp; &#39;q&#39;"

static const struct tl_site site = {
	"Org & <Co>", "999", "101", "/report"
};

/* Loads the real templates; fails the test if they do not load. */
static int
setup(void **state)
{
	struct tl_pages	*p = NULL;
	char		 err[512] = "";

	if (tl_pages_load(TEMPLATES, &p, err, sizeof(err)) != TL_OK) {
		fprintf(stderr, "tl_pages_load: %s\n", err);
		return -1;
	}
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	tl_pages_free(*state);
	return 0;
}

/* Renders the form for v into a new string. */
static char *
form(void **state, const struct tl_form_view *v)
{
	struct tl_buf	 b = TL_BUF_INIT;
	char		*s;

	tl_page_form(*state, &site, v, &b);
	assert_true(tl_buf_ok(&b));
	assert_non_null(b.data);
	s = strdup(b.data);
	tl_buf_free(&b);
	assert_non_null(s);
	return s;
}

/*
 * Copies into tag (size n) the whole <input …> tag holding both needles,
 * or fails the test.
 */
static void
find_input(const char *doc, const char *n1, const char *n2, char *tag,
    size_t n)
{
	const char	*p, *end;
	size_t		 len;

	for (p = doc; (p = strstr(p, "<input")) != NULL; p = end) {
		assert_non_null(end = strchr(p, '>'));
		len = (size_t)(end - p) + 1;
		assert_true(len < n);
		memcpy(tag, p, len);
		tag[len] = '\0';
		if (strstr(tag, n1) != NULL &&
		    (n2 == NULL || strstr(tag, n2) != NULL))
			return;
	}
	fail_msg("no <input> with %s %s", n1, n2 != NULL ? n2 : "");
}

/* Is the checkbox or radio name=value checked in doc? */
static int
is_checked(const char *doc, const char *name, const char *value)
{
	char	 n1[128], n2[128], tag[512];

	snprintf(n1, sizeof(n1), "name=\"%s\"", name);
	snprintf(n2, sizeof(n2), "value=\"%s\"", value);
	find_input(doc, n1, n2, tag, sizeof(tag));
	return strstr(tag, " checked") != NULL;
}

/* Asserts that doc has an element with id="id". */
static void
assert_has_id(const char *doc, const char *id)
{
	char	 want[128];

	snprintf(want, sizeof(want), "id=\"%s\"", id);
	if (strstr(doc, want) == NULL)
		fail_msg("no element with %s", want);
}

/* What every page must carry (SPEC 4, 9), and must not. */
static void
assert_page_basics(const char *doc)
{
	assert_non_null(strstr(doc, "<html lang=\"en\">"));
	assert_non_null(strstr(doc, "<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">"));
	assert_non_null(strstr(doc, "<meta name=\"referrer\" "
	    "content=\"no-referrer\">"));
	assert_non_null(strstr(doc,
	    "href=\"/report/static/tipline.css\""));
	assert_non_null(strstr(doc,
	    "If someone is in danger right now, call"));
	assert_non_null(strstr(doc, ">999<"));
	assert_non_null(strstr(doc, ">101<"));
	assert_null(strstr(doc, "<script"));
	assert_null(strstr(doc, "<style"));
	assert_null(strstr(doc, "style="));
	assert_null(strstr(doc, "http://"));
	assert_null(strstr(doc, "https://"));
	assert_null(strstr(doc, "//static"));
	assert_null(strstr(doc, "{{"));
}

static void
test_empty_form(void **state)
{
	struct tl_form_view	 v = { NULL, NULL, 0, NULL, "tok" };
	char			*s;
	int			 f;

	s = form(state, &v);
	assert_page_basics(s);
	assert_non_null(strstr(s, "Org &amp; &lt;Co&gt;"));
	assert_null(strstr(s, "<Co>"));
	assert_null(strstr(s, "There is a problem"));
	assert_null(strstr(s, "role=\"alert\""));
	assert_non_null(strstr(s, "<form action=\"/report/\" "
	    "method=\"post\" accept-charset=\"utf-8\" novalidate>"));
	for (f = 0; f < TL_F__MAX; f++) {
		char	 id[64];

		snprintf(id, sizeof(id), "f-%s", tl_fields[f].name);
		assert_has_id(s, id);
		assert_non_null(strstr(s, tl_fields[f].label));
	}
	assert_has_id(s, "f-submit");
	assert_non_null(strstr(s, "type=\"submit\""));
	free(s);
}

/* The notice of what is kept comes before the first field. */
/* Copies the attribute value after p (which points at `attr="`) into v. */
static void
attr_value(const char *p, size_t skip, char *v, size_t n)
{
	size_t	 i;

	for (i = 0; p[skip + i] != '"' && p[skip + i] != '\0'; i++) {
		assert_true(i < n - 1);
		v[i] = p[skip + i];
	}
	v[i] = '\0';
}

/* Ids are unique, and every label's for= names one of them. */
static void
test_ids_unique(void **state)
{
	struct tl_field_error	 e[1];
	struct tl_form_view	 v = { NULL, e, 1, "x", "tok" };
	char			*s, id[64], again[80];
	const char		*p, *q;
	size_t			 labels = 0;

	memset(e, 0, sizeof(e));
	e[0].field = TL_F_WHEN;
	s = form(state, &v);
	for (p = s; (p = strstr(p, " id=\"")) != NULL; p++) {
		attr_value(p, 5, id, sizeof(id));
		snprintf(again, sizeof(again), " id=\"%s\"", id);
		q = strstr(p + 1, again);
		if (q != NULL)
			fail_msg("id \"%s\" used twice", id);
	}
	for (p = s; (p = strstr(p, " for=\"")) != NULL; p++) {
		attr_value(p, 6, id, sizeof(id));
		assert_has_id(s, id);
		labels++;
	}
	assert_true(labels > TL_F__MAX);
	free(s);
}

static void
test_privacy_before_fields(void **state)
{
	struct tl_form_view	 v = { NULL, NULL, 0, NULL, "tok" };
	char			*s, *first, *ip, *cookie, *name;

	s = form(state, &v);
	assert_non_null(first = strstr(s, "<fieldset"));
	assert_non_null(ip = strstr(s, "IP address"));
	assert_non_null(cookie = strstr(s, "cookies"));
	assert_non_null(name = strstr(s, "your name"));
	assert_true(ip < first && cookie < first && name < first);
	free(s);
}

static void
test_text_values_escaped(void **state)
{
	struct tl_report	 r;
	struct tl_form_view	 v = { &r, NULL, 0, NULL, "tok" };
	char			*s, want[256];
	const char		*p;
	int			 f, n, ntext = 0;

	memset(&r, 0, sizeof(r));
	for (f = 0; f < TL_F__MAX; f++)
		if (tl_fields[f].kind != TL_K_MULTI &&
		    tl_fields[f].kind != TL_K_CHOICE) {
			assert_non_null(r.raw[f] = strdup(NASTY));
			ntext++;
		}
	assert_true(ntext >= 7);
	s = form(state, &v);
	assert_null(strstr(s, "<script"));
	assert_null(strstr(s, "alert(\""));
	for (f = 0; f < TL_F__MAX; f++) {
		if (r.raw[f] == NULL)
			continue;
		if (tl_fields[f].rows > 0)
			snprintf(want, sizeof(want), "name=\"%s\" rows=",
			    tl_fields[f].name);
		else
			snprintf(want, sizeof(want), "name=\"%s\" type=",
			    tl_fields[f].name);
		assert_non_null(p = strstr(s, want));
		if (tl_fields[f].rows > 0)
			assert_non_null(p = strstr(p, ">\n" NASTY_ESC
			    "</textarea>"));
		else
			assert_non_null(p = strstr(p, "value=\"" NASTY_ESC
			    "\""));
	}
	for (n = 0, p = s; (p = strstr(p, NASTY_ESC)) != NULL; p++)
		n++;
	assert_int_equal(n, ntext);
	report_clear(&r);
	free(s);
}

static void
test_token_escaped(void **state)
{
	struct tl_form_view	 v = { NULL, NULL, 0, NULL, "a&b\"c<" };
	char			*s, tag[512];

	s = form(state, &v);
	find_input(s, "name=\"token\"", NULL, tag, sizeof(tag));
	assert_non_null(strstr(tag, "type=\"hidden\""));
	assert_non_null(strstr(tag, "value=\"a&amp;b&quot;c&lt;\""));
	free(s);
}

static void
test_honeypot(void **state)
{
	struct tl_form_view	 v = { NULL, NULL, 0, NULL, "tok" };
	char			*s, tag[512], *lab;

	s = form(state, &v);
	find_input(s, "name=\"website\"", NULL, tag, sizeof(tag));
	assert_non_null(strstr(tag, "tabindex=\"-1\""));
	assert_non_null(strstr(tag, "autocomplete=\"off\""));
	assert_non_null(strstr(tag, "value=\"\""));
	assert_non_null(strstr(tag, "id=\"f-website\""));
	assert_non_null(lab = strstr(s, "<label for=\"f-website\">"));
	assert_non_null(strstr(lab, "empty"));
	assert_true(strstr(lab, "empty") < strstr(lab, "</label>"));
	assert_non_null(strstr(s, "<div class=\"hp\">"));
	free(s);
}

/* The class that hides the honeypot exists in the stylesheet. */
static void
test_honeypot_css(void **state)
{
	FILE	*f;
	char	 css[65536];
	size_t	 n;

	(void)state;
	assert_non_null(f = fopen(TEMPLATES "/static/tipline.css", "r"));
	n = fread(css, 1, sizeof(css) - 1, f);
	fclose(f);
	css[n] = '\0';
	assert_non_null(strstr(css, ".hp { display: none"));
	assert_non_null(strstr(css, ".visually-hidden"));
	assert_non_null(strstr(css, ":focus"));
	assert_null(strstr(css, "url("));
	assert_null(strstr(css, "@import"));
}

static void
test_error_summary(void **state)
{
	struct tl_field_error	 e[3];
	struct tl_form_view	 v = { NULL, e, 3, NULL, "tok" };
	char			*s, *sum, *end, *p, id[64];
	size_t			 i, links = 0;

	memset(e, 0, sizeof(e));
	e[0].field = TL_F_CONCERNS;
	e[0].code = "required";
	snprintf(e[0].message, sizeof(e[0].message), "Choose <one> & more");
	e[1].field = TL_F_DESCRIPTION;
	e[1].code = "too_short";
	snprintf(e[1].message, sizeof(e[1].message), "Tell us more");
	e[2].field = TL_F_WEAPONS_SEEN;
	e[2].code = "invalid_choice";
	snprintf(e[2].message, sizeof(e[2].message), "Choose yes or no");
	s = form(state, &v);
	assert_page_basics(s);
	assert_non_null(strstr(s, "<title>Error:"));
	assert_non_null(sum = strstr(s, "role=\"alert\""));
	assert_non_null(strstr(sum, "There is a problem"));
	assert_non_null(end = strstr(sum, "</ul>"));
	assert_true(sum < strstr(s, "<form"));
	assert_non_null(strstr(sum, "<a href=\"#f-concerns\">Choose "
	    "&lt;one&gt; &amp; more</a>"));
	assert_non_null(strstr(sum, "<a href=\"#f-description\">Tell us "
	    "more</a>"));
	assert_non_null(strstr(sum, "<a href=\"#f-weapons_seen\">"));
	/* Every link in the summary points at an element of the page. */
	for (p = sum; (p = strstr(p, "href=\"#")) != NULL && p < end; p++) {
		for (i = 0; p[7 + i] != '"' && i < sizeof(id) - 1; i++)
			id[i] = p[7 + i];
		id[i] = '\0';
		assert_has_id(s, id);
		links++;
	}
	assert_int_equal(links, 3);
	/* The message beside each field, named by aria-describedby. */
	assert_non_null(strstr(s, "<p class=\"error-message\" "
	    "id=\"description-error\"><span class=\"visually-hidden\">"
	    "Error:</span> Tell us more</p>"));
	assert_has_id(s, "concerns-error");
	assert_has_id(s, "weapons_seen-error");
	assert_non_null(strstr(s, "aria-describedby=\"description-hint "
	    "description-error\""));
	assert_non_null(strstr(s, "aria-describedby=\"weapons_seen-error\""));
	assert_null(strstr(s, "id=\"location-error\""));
	free(s);
}

static void
test_token_error(void **state)
{
	struct tl_form_view	 v = { NULL, NULL, 0,
	    "Please check your answers & send again.", "tok" };
	char			*s, *sum;

	s = form(state, &v);
	assert_non_null(sum = strstr(s, "role=\"alert\""));
	assert_non_null(strstr(sum, "There is a problem"));
	assert_non_null(strstr(sum, "<a href=\"#f-submit\">Please check your "
	    "answers &amp; send again.</a>"));
	assert_has_id(s, "f-submit");
	free(s);
}

static void
test_choices_checked(void **state)
{
	struct tl_report	 r;
	struct tl_form_view	 v = { &r, NULL, 0, NULL, "tok" };
	char			*s;

	memset(&r, 0, sizeof(r));
	r.concerns = 1u << 0 | 1u << 2;		/* dealing, child_exp. */
	assert_non_null(r.raw[TL_F_WHEN] = strdup("this_week"));
	assert_non_null(r.raw[TL_F_CHILD_AT_RISK] = strdup("unsure"));
	assert_non_null(r.raw[TL_F_WEAPONS_SEEN] = strdup("yes\"><x"));
	s = form(state, &v);
	assert_true(is_checked(s, "concerns", "dealing"));
	assert_false(is_checked(s, "concerns", "cuckooing"));
	assert_true(is_checked(s, "concerns", "child_exploitation"));
	assert_false(is_checked(s, "concerns", "weapons"));
	assert_false(is_checked(s, "concerns", "other"));
	assert_true(is_checked(s, "when", "this_week"));
	assert_false(is_checked(s, "when", "now"));
	assert_true(is_checked(s, "child_at_risk", "unsure"));
	assert_false(is_checked(s, "child_at_risk", "yes"));
	assert_false(is_checked(s, "weapons_seen", "yes"));
	assert_false(is_checked(s, "vulnerable_adult", "no"));
	assert_null(strstr(s, "<x"));
	/* Checkboxes and radios sit in fieldsets with legends. */
	assert_non_null(strstr(s, "<legend class=\"legend\">What is it "
	    "about?</legend>"));
	report_clear(&r);
	free(s);
}

static void
test_receipt(void **state)
{
	struct tl_buf	 b = TL_BUF_INIT;
	const char	*p;

	tl_page_receipt(*state, &site, "TL-7K3M-9QXD", &b);
	assert_true(tl_buf_ok(&b));
	assert_page_basics(b.data);
	assert_non_null(p = strstr(b.data, "TL-7K3M-9QXD"));
	assert_non_null(strstr(b.data, "quote this reference"));
	assert_non_null(strstr(b.data, "If you call 101"));
	tl_buf_reset(&b);
	tl_page_receipt(*state, &site, "<b>", &b);
	assert_null(strstr(b.data, "<b>"));
	tl_buf_free(&b);
}

static void
test_error_page(void **state)
{
	struct tl_buf	 b = TL_BUF_INIT;

	tl_page_error(*state, &site, "Sorry & <sorry>",
	    "Nothing was saved <now>.", &b);
	assert_true(tl_buf_ok(&b));
	assert_page_basics(b.data);
	assert_non_null(strstr(b.data, "<h1 class=\"heading-l\">Sorry "
	    "&amp; &lt;sorry&gt;</h1>"));
	assert_non_null(strstr(b.data, "Nothing was saved &lt;now&gt;."));
	assert_non_null(strstr(b.data, "<title>Sorry &amp; &lt;sorry&gt;"));
	tl_buf_free(&b);
}

/* Writes text to dir/name. */
static void
put_file(const char *dir, const char *name, const char *text)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
test_load_errors(void **state)
{
	char		 dir[] = "/tmp/test_page.XXXXXX", err[512], path[512];
	struct tl_pages	*p = (struct tl_pages *)1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/static", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	put_file(dir, "layout.html", "{{title}}\n{{{content}}}\n");
	put_file(dir, "form.html", "{{token}}\n{{{fields}}}\n");
	put_file(dir, "receipt.html", "{{ref}}\n");
	put_file(dir, "error.html", "{{heading}}\n\n{{message}} {{ref}}\n");
	assert_int_not_equal(tl_pages_load(dir, &p, err, sizeof(err)),
	    TL_OK);
	assert_null(p);
	assert_non_null(strstr(err, "error.html:3:"));
	assert_non_null(strstr(err, "ref"));
	put_file(dir, "error.html", "{{heading}} {{message}}\n");
	assert_int_not_equal(tl_pages_load(dir, &p, err, sizeof(err)),
	    TL_OK);
	assert_non_null(strstr(err, "tipline.css"));
	put_file(dir, "static/tipline.css", "body {}\n");
	assert_int_equal(tl_pages_load(dir, &p, err, sizeof(err)), TL_OK);
	tl_pages_free(p);
	put_file(dir, "form.html", "{{token\n");
	assert_int_not_equal(tl_pages_load(dir, &p, err, sizeof(err)),
	    TL_OK);
	assert_non_null(strstr(err, "form.html:1:"));
	snprintf(path, sizeof(path), "%s/static/tipline.css", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/static", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/layout.html", dir);
	unlink(path);
	assert_int_equal(tl_pages_load(dir, &p, err, sizeof(err)), TL_EIO);
	assert_non_null(strstr(err, "layout.html"));
	snprintf(path, sizeof(path), "%s/form.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/receipt.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/error.html", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

/* The static pages nginx serves say what happened and give the numbers. */
static void
test_static_error_pages(void **state)
{
	static const struct {
		const char	*file;
		int		 not_received;
	} pages[] = {
		{ "404.html", 0 }, { "413.html", 1 }, { "429.html", 1 },
		{ "502.html", 1 }, { "503.html", 1 }, { "504.html", 1 },
	};
	char	 path[256], doc[16384];
	FILE	*f;
	size_t	 i, n;

	(void)state;
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		snprintf(path, sizeof(path), TEMPLATES "/errors/%s",
		    pages[i].file);
		assert_non_null(f = fopen(path, "r"));
		n = fread(doc, 1, sizeof(doc) - 1, f);
		fclose(f);
		doc[n] = '\0';
		assert_page_basics(doc);
		assert_non_null(strstr(doc, "<h1"));
		if (pages[i].not_received)
			assert_non_null(strstr(doc, "not received"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_form),
		cmocka_unit_test(test_ids_unique),
		cmocka_unit_test(test_privacy_before_fields),
		cmocka_unit_test(test_text_values_escaped),
		cmocka_unit_test(test_token_escaped),
		cmocka_unit_test(test_honeypot),
		cmocka_unit_test(test_honeypot_css),
		cmocka_unit_test(test_error_summary),
		cmocka_unit_test(test_token_error),
		cmocka_unit_test(test_choices_checked),
		cmocka_unit_test(test_receipt),
		cmocka_unit_test(test_error_page),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_static_error_pages),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
