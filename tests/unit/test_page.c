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
	"Org & <Co>", "999", "101", "/report", "18001 101", "en,cy", 0
};
/* The same with phone_knows_ref = yes. */
static const struct tl_site site_ref = {
	"Org", "999", "101", "/report", "18001 101", "en", 1
};

/* Loads the real templates; fails the test if they do not load. */
static int
setup(void **state)
{
	struct tl_pages	*p = NULL;
	char		 err[512] = "";

	if (tl_pages_load(TEMPLATES, &site, &p, err, sizeof(err)) != TL_OK) {
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

	tl_page_form(*state, 0, v, &b);
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
		snprintf(id, sizeof(id), "%s_label", tl_fields[f].name);
		assert_non_null(strstr(s, tl_cat_get(tl_pages_cat(*state, 0),
		    id)));
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
	e[0].code = "invalid_format";
	snprintf(e[0].msg, sizeof(e[0].msg), "err_types");
	e[1].field = TL_F_DESCRIPTION;
	e[1].code = "too_short";
	snprintf(e[1].msg, sizeof(e[1].msg), "err_too_short");
	e[1].min = 20;
	e[1].count = 9;
	e[2].field = TL_F_WEAPONS_SEEN;
	e[2].code = "invalid_choice";
	snprintf(e[2].msg, sizeof(e[2].msg), "err_choice");
	s = form(state, &v);
	assert_page_basics(s);
	assert_non_null(strstr(s, "<title>Error:"));
	assert_non_null(sum = strstr(s, "role=\"alert\""));
	assert_non_null(strstr(sum, "There is a problem"));
	assert_non_null(end = strstr(sum, "</ul>"));
	assert_true(sum < strstr(s, "<form"));
	/* Messages from the catalogue, numbers filled in, escaped. */
	assert_non_null(strstr(sum, "<a href=\"#f-concerns\">Send this as "
	    "a list of text values, for example [&quot;dealing&quot;].</a>"));
	assert_non_null(strstr(sum, "<a href=\"#f-description\">Tell us a "
	    "little more: enter at least 20 characters (you entered 9).</a>"));
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
	    "Error:</span> Tell us a little more: enter at least 20 "
	    "characters (you entered 9).</p>"));
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
	struct tl_form_view	 v = { NULL, NULL, 0, "token_too_fast",
	    "tok" };
	char			*s, *sum;

	s = form(state, &v);
	assert_non_null(sum = strstr(s, "role=\"alert\""));
	assert_non_null(strstr(sum, "There is a problem"));
	/* "Sent too fast" explains itself (issue 16). */
	assert_non_null(strstr(sum, "<a href=\"#f-submit\">This form was "
	    "sent very soon after it was opened"));
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

/* A receipt for v in language lang of pages p, as a new string. */
static char *
receipt(const struct tl_pages *p, size_t lang, const char *ref, int urgent,
    int young)
{
	struct tl_receipt_view	 v = { ref, urgent, young, 0, NULL };
	struct tl_buf		 b = TL_BUF_INIT;
	char			*s;

	tl_page_receipt(p, lang, &v, &b);
	assert_true(tl_buf_ok(&b));
	assert_non_null(s = strdup(b.data));
	tl_buf_free(&b);
	return s;
}

static void
test_receipt(void **state)
{
	char	*s;

	s = receipt(*state, 0, "TL-7K3M-9QXD", 0, 0);
	assert_page_basics(s);
	assert_non_null(strstr(s, "TL-7K3M-9QXD"));
	/* What happens next: the normal text; the form is not watched. */
	assert_has_id(s, "next-normal");
	assert_null(strstr(s, "id=\"next-urgent\""));
	assert_non_null(strstr(s, "not watched around the clock"));
	/* phone_knows_ref = no: no sentence sends them to 101 with it. */
	assert_null(strstr(s, "id=\"quote-ref\""));
	assert_null(strstr(s, "give them this reference"));
	assert_null(strstr(s, "Childline"));
	free(s);
	s = receipt(*state, 0, "<b>", 0, 0);
	assert_null(strstr(s, "<b>"));
	free(s);
}

static void
test_receipt_urgent(void **state)
{
	char	*s;

	s = receipt(*state, 0, "TL-7K3M-9QXD", 1, 0);
	assert_has_id(s, "next-urgent");
	assert_null(strstr(s, "id=\"next-normal\""));
	assert_non_null(strstr(s, "marked urgent"));
	assert_non_null(strstr(s, "call <a href=\"tel:999\">999</a> now"));
	free(s);
}

static void
test_receipt_quotes_ref(void **state)
{
	struct tl_pages	*p;
	char		 err[512];
	char		*s;

	(void)state;
	assert_int_equal(tl_pages_load(TEMPLATES, &site_ref, &p, err,
	    sizeof(err)), TL_OK);
	s = receipt(p, 0, "TL-7K3M-9QXD", 0, 0);
	assert_non_null(strstr(s, "<p id=\"quote-ref\">If you call "
	    "<a href=\"tel:101\">101</a> about this, give them this "
	    "reference: <strong>TL-7K3M-9QXD</strong></p>"));
	free(s);
	tl_pages_free(p);
}

/* reporter = young_person: the receipt and a 422 page say where young
 * people can get help; other pages do not. */
static void
test_young_help(void **state)
{
	struct tl_report	 r;
	struct tl_form_view	 v = { &r, NULL, 0, NULL, "tok" };
	struct tl_buf		 b = TL_BUF_INIT;
	char			*s;

	s = receipt(*state, 0, "TL-7K3M-9QXD", 0, 1);
	assert_has_id(s, "young-help");
	assert_non_null(strstr(s, "Childline"));
	assert_non_null(strstr(s, "0800 1111"));
	assert_non_null(strstr(s, "Fearless"));
	free(s);
	memset(&r, 0, sizeof(r));
	assert_non_null(r.raw[TL_F_REPORTER] = strdup("young_person"));
	s = form(state, &v);
	assert_has_id(s, "young-help");
	free(s);
	/* The Welsh 422 page too, in Welsh. */
	tl_page_form(*state, 1, &v, &b);
	assert_true(tl_buf_ok(&b));
	assert_has_id(b.data, "young-help");
	assert_non_null(strstr(b.data, "Os ydych yn berson ifanc"));
	assert_non_null(strstr(b.data, "0800 1111"));
	tl_buf_free(&b);
	free(r.raw[TL_F_REPORTER]);
	assert_non_null(r.raw[TL_F_REPORTER] = strdup("parent"));
	s = form(state, &v);
	assert_null(strstr(s, "Childline"));
	free(s);
	free(r.raw[TL_F_REPORTER]);
}

/* Welsh at /report/cy/: its words, its lang, its action, and links
 * between the languages by name (SPEC 14). */
static void
test_welsh(void **state)
{
	struct tl_form_view	 v = { NULL, NULL, 0, NULL, "tok" };
	struct tl_buf		 b = TL_BUF_INIT;
	char			*en, *cy;

	assert_int_equal(tl_pages_nlangs(*state), 2);
	assert_int_equal(tl_pages_lang_find(*state, "cy", 2), 1);
	assert_int_equal(tl_pages_lang_find(*state, "fr", 2), -1);
	en = form(state, &v);
	tl_page_form(*state, 1, &v, &b);
	assert_true(tl_buf_ok(&b));
	assert_non_null(cy = strdup(b.data));
	tl_buf_free(&b);
	assert_non_null(strstr(en, "<html lang=\"en\">"));
	assert_non_null(strstr(cy, "<html lang=\"cy\">"));
	assert_non_null(strstr(cy, "<form action=\"/report/cy/\""));
	assert_non_null(strstr(en, "<a href=\"/report/cy/\" hreflang=\"cy\" "
	    "lang=\"cy\">Cymraeg</a>"));
	assert_non_null(strstr(cy, "<a href=\"/report/\" hreflang=\"en\" "
	    "lang=\"en\">English</a>"));
	assert_non_null(strstr(cy, tl_cat_get(tl_pages_cat(*state, 1),
	    "form_heading")));
	assert_string_not_equal(tl_cat_get(tl_pages_cat(*state, 0),
	    "form_heading"), tl_cat_get(tl_pages_cat(*state, 1),
	    "form_heading"));
	free(en);
	free(cy);
}

static void
test_error_page(void **state)
{
	struct tl_buf	 b = TL_BUF_INIT;

	tl_page_error(*state, 0, "404", &b);
	assert_true(tl_buf_ok(&b));
	assert_page_basics(b.data);
	assert_non_null(strstr(b.data, "<h1 class=\"heading-l\">Page not "
	    "found</h1>"));
	assert_non_null(strstr(b.data, "<title>Page not found"));
	assert_non_null(strstr(b.data, "<a href=\"/report/\">"));
	tl_buf_reset(&b);
	tl_page_error(*state, 1, "404", &b);
	assert_non_null(strstr(b.data, "<html lang=\"cy\">"));
	assert_non_null(strstr(b.data, "<a href=\"/report/cy/\">"));
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

/* Copies templates/lang/en.cat into dir/lang/, without the line of key
 * skip (NULL: whole). */
static void
copy_catalogue(const char *dir, const char *skip)
{
	char	 line[4096], path[512];
	FILE	*in, *out;

	snprintf(path, sizeof(path), "%s/lang/en.cat", dir);
	assert_non_null(in = fopen(TEMPLATES "/lang/en.cat", "r"));
	assert_non_null(out = fopen(path, "w"));
	while (fgets(line, sizeof(line), in) != NULL)
		if (skip == NULL || strncmp(line, skip, strlen(skip)) != 0 ||
		    line[strlen(skip)] != ' ')
			fputs(line, out);
	fclose(in);
	fclose(out);
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
	assert_int_not_equal(tl_pages_load(dir, &site_ref, &p, err,
	    sizeof(err)),
	    TL_OK);
	assert_null(p);
	assert_non_null(strstr(err, "error.html:3:"));
	assert_non_null(strstr(err, "ref"));
	put_file(dir, "error.html", "{{heading}} {{message}}\n");
	assert_int_not_equal(tl_pages_load(dir, &site_ref, &p, err,
	    sizeof(err)),
	    TL_OK);
	assert_non_null(strstr(err, "followup.html"));
	put_file(dir, "followup.html", "{{token}}\n{{{fields}}}\n");
	put_file(dir, "conversation.html", "{{ref}}\n{{{messages}}}\n");
	put_file(dir, "followup_ended.html", "{{{fu_ended_text}}}\n");
	assert_int_not_equal(tl_pages_load(dir, &site_ref, &p, err,
	    sizeof(err)),
	    TL_OK);
	assert_non_null(strstr(err, "tipline.css"));
	put_file(dir, "static/tipline.css", "body {}\n");
	/* The catalogue: missing, then with a key short, then whole. */
	assert_int_not_equal(tl_pages_load(dir, &site_ref, &p, err,
	    sizeof(err)), TL_OK);
	assert_non_null(strstr(err, "lang/en.cat"));
	snprintf(path, sizeof(path), "%s/lang", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	copy_catalogue(dir, "send_button");
	assert_int_equal(tl_pages_load(dir, &site_ref, &p, err, sizeof(err)),
	    TL_ECONFIG);
	assert_non_null(strstr(err, "missing key `send_button`"));
	copy_catalogue(dir, NULL);
	assert_int_equal(tl_pages_load(dir, &site_ref, &p, err, sizeof(err)),
	    TL_OK);
	tl_pages_free(p);
	put_file(dir, "form.html", "{{token\n");
	assert_int_not_equal(tl_pages_load(dir, &site_ref, &p, err,
	    sizeof(err)),
	    TL_OK);
	assert_non_null(strstr(err, "form.html:1:"));
	snprintf(path, sizeof(path), "%s/static/tipline.css", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/static", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/layout.html", dir);
	unlink(path);
	assert_int_equal(tl_pages_load(dir, &site_ref, &p, err, sizeof(err)),
	    TL_EIO);
	assert_non_null(strstr(err, "layout.html"));
	snprintf(path, sizeof(path), "%s/form.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/receipt.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/error.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/followup.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/conversation.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/followup_ended.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lang/en.cat", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lang", dir);
	rmdir(path);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * A static page nginx serves (templates/errors/, Welsh under cy/) as a
 * string; doc holds size bytes.
 */
static void
read_static(const char *file, char *doc, size_t size)
{
	char	 path[256];
	FILE	*f;
	size_t	 n;

	snprintf(path, sizeof(path), TEMPLATES "/errors/%s", file);
	assert_non_null(f = fopen(path, "r"));
	n = fread(doc, 1, size - 1, f);
	assert_true(n < size - 1);
	fclose(f);
	doc[n] = '\0';
}

/*
 * The static pages nginx serves say what happened and give the numbers,
 * in English and, under /report/cy/, in Welsh (SPEC 9, 14): every page
 * nginx's error_page names has both, each of its language, the Welsh
 * linking to the English form and to the Welsh one.
 */
static void
test_static_error_pages(void **state)
{
	static const struct {
		const char	*code;
		int		 not_received;
	} pages[] = {
		{ "400", 1 }, { "403", 0 }, { "404", 0 }, { "405", 1 },
		{ "413", 1 }, { "414", 1 }, { "429", 1 }, { "494", 1 },
		{ "501", 1 }, { "502", 1 }, { "503", 1 }, { "504", 1 },
	};
	char	 file[64], doc[16384];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		snprintf(file, sizeof(file), "%s.html", pages[i].code);
		read_static(file, doc, sizeof(doc));
		assert_page_basics(doc);
		assert_non_null(strstr(doc, "<h1"));
		assert_non_null(strstr(doc, "18001 101"));
		if (pages[i].not_received) {
			assert_non_null(strstr(doc, "not received"));
			assert_non_null(strstr(doc, "call 101 and tell"));
		}

		snprintf(file, sizeof(file), "cy/%s.html", pages[i].code);
		read_static(file, doc, sizeof(doc));
		assert_non_null(strstr(doc, "<html lang=\"cy\">"));
		assert_null(strstr(doc, "<html lang=\"en\">"));
		assert_non_null(strstr(doc, "<h1"));
		assert_non_null(strstr(doc, "ffoniwch <a href=\"tel:999\">"
		    "999</a>"));
		assert_non_null(strstr(doc, "<a href=\"tel:101\">101</a>"));
		assert_non_null(strstr(doc, "ffoniwch 18001 101"));
		assert_non_null(strstr(doc, "<a href=\"/report/cy/\">"));
		assert_non_null(strstr(doc, "<a href=\"/report/\" lang=\"en\" "
		    "hreflang=\"en\">English</a>"));
		assert_non_null(strstr(doc, "awaiting review by a native "
		    "Welsh speaker"));
		assert_non_null(strstr(doc,
		    "href=\"/report/static/tipline.css\""));
		assert_null(strstr(doc, "<script"));
		assert_null(strstr(doc, "style="));
		assert_null(strstr(doc, "http"));
		if (pages[i].not_received) {
			assert_non_null(strstr(doc, " i law.</strong>"));
			assert_non_null(strstr(doc, "101 a dweud wrth yr "
			    "heddlu"));
		}
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
		cmocka_unit_test(test_receipt_urgent),
		cmocka_unit_test(test_receipt_quotes_ref),
		cmocka_unit_test(test_young_help),
		cmocka_unit_test(test_welsh),
		cmocka_unit_test(test_error_page),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_static_error_pages),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
