/*
 * fuzz_page.c — what the 422 page does with what people typed, and the
 * template parser.
 *
 * The first byte picks the mode:
 *   even: the rest is a form body; its pairs fill a report (as
 *         intake.c's read_form() does), validation gives the errors, and
 *         tl_page_form() draws the page with the real templates/.
 *         Oracle: every value is escaped. The page is drawn twice, once
 *         from the report and once from a copy whose raw values have each
 *         of & < > " ' replaced by 'x' (same errors, same concerns, so the
 *         same markup). Replacing each of the five entities by 'x' in
 *         both pages must make them equal byte for byte: then no
 *         byte of input ever became markup, whatever it held. And the page
 *         never holds "<script" (the templates do not).
 *   odd:  the rest is template text for tl_tmpl_parse(); when it parses,
 *         it is rendered with every variable "", "ab" and "<": each
 *         {{name}} grows by 0, 2 and 4 bytes ("&lt;"), each {{{name}}}
 *         by 0, 2 and 1, and only {{{name}}} adds a '<'.
 */
#include "fuzz.h"
#include "page.h"
#include "report.h"
#include "tmpl.h"
#include "urlenc.h"

#ifndef TL_FUZZ_TEMPLATES
#define TL_FUZZ_TEMPLATES "templates"
#endif

static struct tl_pages *pages;
static const struct tl_site site = { "Tipline <Fuzz> & Co", "999", "101",
	"/report", "18001 101", "en,cy", 0 };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*dir = getenv("TL_FUZZ_TEMPLATES");
	char		 err[512];

	(void)argc;
	(void)argv;
	if (dir == NULL)
		dir = TL_FUZZ_TEMPLATES;
	if (tl_pages_load(dir, &site, &pages, err, sizeof(err)) != TL_OK) {
		fprintf(stderr, "fuzz_page: %s\n", err);
		exit(1);
	}
	return 0;
}

/* s with the five HTML entities of tl_buf_html() each made one 'x'. */
static char *
unescape_x(const char *s, size_t len, size_t *outlen)
{
	static const char *const ent[] = { "&amp;", "&lt;", "&gt;",
	    "&quot;", "&#39;", NULL };
	char		*o = malloc(len + 1);
	const char	*amp;
	size_t		 i, n = 0, k, el;

	FUZZ_CHECK(o != NULL);
	for (i = 0; i < len; ) {
		amp = memchr(s + i, '&', len - i);
		k = amp != NULL ? (size_t)(amp - (s + i)) : len - i;
		memcpy(o + n, s + i, k);
		n += k;
		i += k;
		if (i == len)
			break;
		for (k = 0; ent[k] != NULL; k++) {
			el = strlen(ent[k]);
			if (len - i >= el && memcmp(s + i, ent[k], el) == 0)
				break;
		}
		if (ent[k] != NULL) {
			o[n++] = 'x';
			i += el;
		} else
			o[n++] = s[i++];
	}
	o[n] = '\0';
	*outlen = n;
	return o;
}

/* A copy of src's raw values with & < > " ' made 'x', other state as is
 * (validation already ran on src: errors are passed on unchanged). */
static void
defanged(const struct tl_report *src, struct tl_report *dst)
{
	char	*p;
	int	 f;

	tl_report_init(dst);
	dst->concerns = src->concerns;
	for (f = 0; f < TL_F__MAX; f++) {
		if (src->raw[f] == NULL)
			continue;
		dst->raw[f] = p = strdup(src->raw[f]);
		FUZZ_CHECK(p != NULL);
		for (; *p != '\0'; p++)
			if (strchr("&<>\"'", *p) != NULL)
				*p = 'x';
	}
}

static void
form(const uint8_t *data, size_t size)
{
	struct tl_pairs		 pairs;
	struct tl_report	 r, safe;
	struct tl_field_error	 errs[TL_F__MAX];
	struct tl_form_view	 v;
	struct tl_buf		 a = TL_BUF_INIT, b = TL_BUF_INIT;
	char			*body = fuzz_strndup(data, size), *ua, *ub;
	size_t			 i, ualen, ublen;

	if (tl_urlenc_parse(body, size, TL_MAX_FIELDS, &pairs) != TL_OK) {
		free(body);
		return;
	}
	tl_report_init(&r);
	for (i = 0; i < pairs.n; i++)
		(void)tl_report_set(&r, pairs.v[i].name, pairs.v[i].namelen,
		    pairs.v[i].value, pairs.v[i].len);
	memset(&v, 0, sizeof(v));
	v.report = &r;
	v.errs = errs;
	v.nerrs = tl_report_validate(&r, errs, TL_F__MAX);
	v.token_error = size > 0 && data[0] & 1 ? "token_too_fast" : NULL;
	v.token = "AQAAAAAAaWkA-_tok3n";
	tl_page_form(pages, size > 0 && data[0] & 2 ? 1 : 0, &v, &a);
	FUZZ_CHECK(tl_buf_ok(&a) && a.len > 0);
	FUZZ_CHECK(strlen(a.data) == a.len);
	FUZZ_CHECK(!fuzz_contains_ci(a.data, a.len, "<script"));
	defanged(&r, &safe);
	v.report = &safe;
	tl_page_form(pages, size > 0 && data[0] & 2 ? 1 : 0, &v, &b);
	FUZZ_CHECK(tl_buf_ok(&b));
	ua = unescape_x(a.data, a.len, &ualen);
	ub = unescape_x(b.data, b.len, &ublen);
	if (ualen != ublen || memcmp(ua, ub, ualen) != 0) {
		for (i = 0; i < ualen && ua[i] == ub[i]; i++)
			;
		fprintf(stderr, "unescaped input at byte %zu: \"%.40s\" "
		    "vs \"%.40s\"\n", i, ua + i, ub + i);
		FUZZ_CHECK(0);
	}
	free(ua);
	free(ub);
	tl_buf_free(&a);
	tl_buf_free(&b);
	tl_report_free(&safe);
	tl_report_free(&r);
	tl_pairs_free(&pairs);
	free(body);
}

static size_t
count_lt(const struct tl_buf *b)
{
	size_t	 i, n = 0;

	for (i = 0; i < b->len; i++)
		n += b->data[i] == '<';
	return n;
}

static void
render_all(const struct tl_tmpl *t, const char *const *known,
    const char *value, struct tl_buf *out)
{
	struct tl_var	 vars[8];
	size_t		 n;

	for (n = 0; known[n] != NULL && n < 8; n++) {
		vars[n].name = known[n];
		vars[n].value = value;
	}
	tl_tmpl_render(t, vars, n, out);
	FUZZ_CHECK(tl_buf_ok(out));
}

static void
tmpl(const uint8_t *data, size_t size)
{
	static const char *const known[] = { "title", "content", "ref",
	    "org_name", "a", "b_2", NULL };
	struct tl_tmpl	*t;
	struct tl_buf	 e = TL_BUF_INIT, ab = TL_BUF_INIT, lt = TL_BUF_INIT;
	char		 err[128];
	enum tl_err	 rc;
	size_t		 tags, raw, esc;

	memset(err, 'x', sizeof(err));
	rc = tl_tmpl_parse("fuzz.html", (const char *)data, size, known, &t,
	    err, sizeof(err));
	FUZZ_CHECK(rc == TL_OK || rc == TL_ECONFIG);
	if (rc != TL_OK) {
		FUZZ_CHECK(t == NULL);
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(strncmp(err, "fuzz.html:", 10) == 0);
		return;
	}
	render_all(t, known, "", &e);
	render_all(t, known, "ab", &ab);
	render_all(t, known, "<", &lt);
	FUZZ_CHECK(e.len <= size);
	FUZZ_CHECK(ab.len >= e.len && (ab.len - e.len) % 2 == 0);
	tags = (ab.len - e.len) / 2;
	FUZZ_CHECK(lt.len >= e.len);
	raw = count_lt(&lt) - count_lt(&e);
	FUZZ_CHECK(raw <= tags);
	esc = tags - raw;
	FUZZ_CHECK(lt.len - e.len == 4 * esc + raw);
	tl_buf_free(&e);
	tl_buf_free(&ab);
	tl_buf_free(&lt);
	tl_tmpl_free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		tmpl(data + 1, size - 1);
	else
		form(data + 1, size - 1);
	return 0;
}
