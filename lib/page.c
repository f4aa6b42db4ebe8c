/*
 * page.c — the pages people see (SPEC 9, 14): the form, generated field
 * by field from tl_fields[] after the GOV.UK question-page patterns, the
 * receipt and the error page, each rendered inside layout.html, in the
 * language asked for. Every word comes from that language's catalogue.
 *
 * Every value that did not come from this file's own literals goes out
 * through tl_buf_html(), directly, as a {{name}} template variable, or
 * through tl_cat_put() (which escapes the catalogue's text too).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "page.h"
#include "tip.h"
#include "tmpl.h"

/* The site's variables every template may use. */
#define SITE_VARS "org_name", "emergency_phone", "non_emergency_phone", \
	"textphone", "base_path", "lang", "form_path", "lang_links"
#define NSITE		8
#define PAGE_VARS	5	/* the form's and the receipt's variables */

/* One language: its catalogue and what every page of it shares. */
struct lang {
	char		 code[9];
	char		*form_path;	/* base_path, or base_path/code */
	char		*links;		/* HTML: links to the others */
	struct tl_cat	*cat;
	struct tl_cat_var cvars[4];	/* placeholders the site fills */
	char		**html;		/* each key's text as HTML */
	struct tl_var	*vars;		/* site vars, then every key */
	size_t		 nvars;
	char		 emergency_href[48], non_emergency_href[48];
};

struct tl_pages {
	const struct tl_site	*site;
	struct tl_tmpl		*layout;
	struct tl_tmpl		*form;
	struct tl_tmpl		*receipt;
	struct tl_tmpl		*error;
	struct tl_tmpl		*followup;	/* SPEC 13 */
	struct tl_tmpl		*conversation;
	struct tl_tmpl		*ended;
	struct lang		 langs[TL_MAX_LANGS];
	size_t			 nlangs;
};

static const char *const layout_vars[] = { "title", "content", NULL };
static const char *const form_vars[] = { "error_summary", "young_help",
	"fields", "token", NULL };
static const char *const receipt_vars[] = { "ref", "next_steps", "quote",
	"young_help", "followup", NULL };
static const char *const followup_vars[] = { "error_summary", "fields",
	"token", NULL };
static const char *const conversation_vars[] = { "error_summary", "sent",
	"ref", "messages", "hidden", "fields", "confirm", NULL };
static const char *const ended_vars[] = { NULL };
static const char *const error_vars[] = { "heading", "message", NULL };

/*
 * The names a template may use: the site's, the page's and every
 * catalogue key, in a new array (NULL out of memory).
 */
static const char **
known_names(const char *const *page)
{
	static const char *const site[] = { SITE_VARS, NULL };
	const char	**k;
	size_t		  n = 0, i, nk = tl_cat_nkeys();

	for (i = 0; page[i] != NULL; i++)
		continue;
	if ((k = calloc(NSITE + i + nk + 1, sizeof(*k))) == NULL)
		return NULL;
	for (i = 0; site[i] != NULL; i++)
		k[n++] = site[i];
	for (i = 0; page[i] != NULL; i++)
		k[n++] = page[i];
	for (i = 0; i < nk; i++)
		k[n++] = tl_cat_key(i);
	k[n] = NULL;
	return k;
}

/* Loads dir/file into *out; errors as tl_tmpl_load(). */
static enum tl_err
load_one(const char *dir, const char *file, const char *const *page,
    struct tl_tmpl **out, char *err, size_t errlen)
{
	char		  path[4096];
	const char	**known;
	enum tl_err	  rc;
	int		  n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return TL_ECONFIG;
	}
	if ((known = known_names(page)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return TL_ENOMEM;
	}
	rc = tl_tmpl_load(path, known, out, err, errlen);
	free(known);
	return rc;
}

/* Checks that dir/static/tipline.css can be read. TL_OK or TL_EIO. */
static enum tl_err
check_css(const char *dir, char *err, size_t errlen)
{
	char	 path[4096];
	int	 n;

	n = snprintf(path, sizeof(path), "%s/static/tipline.css", dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return TL_ECONFIG;
	}
	if (access(path, R_OK) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return TL_EIO;
	}
	return TL_OK;
}

/* A copy of the text of key in l as HTML, placeholders filled (NULL out
 * of memory). */
static char *
key_html(const struct lang *l, const char *key)
{
	struct tl_buf	 b = TL_BUF_INIT;

	tl_cat_put(l->cat, key, l->cvars, 4, 1, &b);
	if (!tl_buf_ok(&b) || b.data == NULL) {
		tl_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* Sets the placeholders the site fills: the phone numbers as tel: links. */
static void
lang_cvars(const struct tl_site *site, struct lang *l)
{
	snprintf(l->emergency_href, sizeof(l->emergency_href), "tel:%s",
	    site->emergency_phone);
	snprintf(l->non_emergency_href, sizeof(l->non_emergency_href),
	    "tel:%s", site->non_emergency_phone);
	l->cvars[0] = (struct tl_cat_var){ "org_name", site->org_name, NULL };
	l->cvars[1] = (struct tl_cat_var){ "emergency_phone",
	    site->emergency_phone, l->emergency_href };
	l->cvars[2] = (struct tl_cat_var){ "non_emergency_phone",
	    site->non_emergency_phone, l->non_emergency_href };
	l->cvars[3] = (struct tl_cat_var){ "textphone",
	    site->textphone != NULL ? site->textphone : "18001 101", NULL };
}

/* The links from a page of language self to every other language. */
static char *
lang_links(const struct tl_pages *p, size_t self)
{
	struct tl_buf	 b = TL_BUF_INIT;
	size_t		 i;

	if (p->nlangs < 2)
		return strdup("");
	tl_buf_puts(&b, "<nav class=\"langs\" aria-label=\"");
	tl_cat_put(p->langs[self].cat, "languages_label", NULL, 0, 1, &b);
	tl_buf_puts(&b, "\">\n<ul class=\"langs__list\">\n");
	for (i = 0; i < p->nlangs; i++) {
		if (i == self)
			continue;
		tl_buf_puts(&b, "<li><a href=\"");
		tl_buf_html_str(&b, p->langs[i].form_path);
		tl_buf_puts(&b, "/\" hreflang=\"");
		tl_buf_html_str(&b, p->langs[i].code);
		tl_buf_puts(&b, "\" lang=\"");
		tl_buf_html_str(&b, p->langs[i].code);
		tl_buf_puts(&b, "\">");
		tl_cat_put(p->langs[i].cat, "language_name", NULL, 0, 1, &b);
		tl_buf_puts(&b, "</a></li>\n");
	}
	tl_buf_puts(&b, "</ul>\n</nav>\n");
	if (!tl_buf_ok(&b)) {
		tl_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/*
 * Builds what every page of language l shares: the site's variables and
 * each key's HTML, as template variables. Returns 0 or -1 out of memory.
 */
static int
lang_vars(const struct tl_pages *p, struct lang *l)
{
	const struct tl_site	*site = p->site;
	size_t			 i, nk = tl_cat_nkeys();

	if ((l->links = lang_links(p, (size_t)(l - p->langs))) == NULL ||
	    (l->html = calloc(nk, sizeof(*l->html))) == NULL ||
	    (l->vars = calloc(NSITE + nk, sizeof(*l->vars))) == NULL)
		return -1;
	l->vars[0] = (struct tl_var){ "org_name", site->org_name };
	l->vars[1] = (struct tl_var){ "emergency_phone",
	    site->emergency_phone };
	l->vars[2] = (struct tl_var){ "non_emergency_phone",
	    site->non_emergency_phone };
	l->vars[3] = (struct tl_var){ "textphone", l->cvars[3].value };
	l->vars[4] = (struct tl_var){ "base_path", site->base_path };
	l->vars[5] = (struct tl_var){ "lang", l->code };
	l->vars[6] = (struct tl_var){ "form_path", l->form_path };
	l->vars[7] = (struct tl_var){ "lang_links", l->links };
	for (i = 0; i < nk; i++) {
		if ((l->html[i] = key_html(l, tl_cat_key(i))) == NULL)
			return -1;
		l->vars[NSITE + i] = (struct tl_var){ tl_cat_key(i),
		    l->html[i] };
	}
	l->nvars = NSITE + nk;
	return 0;
}

/*
 * Loads the catalogue of each language of site->languages ("en,cy") and
 * sets its paths. Returns as tl_cat_load().
 */
static enum tl_err
langs_load(const char *dir, struct tl_pages *p, char *err, size_t errlen)
{
	const char	*s = p->site->languages != NULL ?
	    p->site->languages : "en";
	struct tl_buf	 path = TL_BUF_INIT;
	struct lang	*l;
	size_t		 n;
	enum tl_err	 rc;

	for (; *s != '\0'; s += n + (s[n] == ',')) {
		n = strcspn(s, ",");
		if (p->nlangs == TL_MAX_LANGS || n == 0 ||
		    n >= sizeof(l->code)) {
			snprintf(err, errlen, "languages: at most %d codes "
			    "of 2 to 8 letters", TL_MAX_LANGS);
			return TL_ECONFIG;
		}
		l = &p->langs[p->nlangs++];
		memcpy(l->code, s, n);
		l->code[n] = '\0';
		if ((rc = tl_cat_load(dir, l->code, &l->cat, err, errlen)) !=
		    TL_OK)
			return rc;
		lang_cvars(p->site, l);
		tl_buf_printf(&path, "%s%s%s", p->site->base_path,
		    p->nlangs > 1 ? "/" : "", p->nlangs > 1 ? l->code : "");
		if (!tl_buf_ok(&path) || path.data == NULL) {
			tl_buf_free(&path);
			goto oom;
		}
		l->form_path = path.data;
		tl_buf_init(&path);
	}
	for (n = 0; n < p->nlangs; n++)
		if (lang_vars(p, &p->langs[n]) == -1)
			goto oom;
	return TL_OK;
oom:
	snprintf(err, errlen, "%s: out of memory", dir);
	return TL_ENOMEM;
}

enum tl_err
tl_pages_load(const char *dir, const struct tl_site *site,
    struct tl_pages **out, char *err, size_t errlen)
{
	struct tl_pages	*p;
	enum tl_err	 rc;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return TL_ENOMEM;
	}
	p->site = site;
	if ((rc = load_one(dir, "layout.html", layout_vars, &p->layout,
	    err, errlen)) != TL_OK ||
	    (rc = load_one(dir, "form.html", form_vars, &p->form,
	    err, errlen)) != TL_OK ||
	    (rc = load_one(dir, "receipt.html", receipt_vars, &p->receipt,
	    err, errlen)) != TL_OK ||
	    (rc = load_one(dir, "error.html", error_vars, &p->error,
	    err, errlen)) != TL_OK ||
	    (rc = load_one(dir, "followup.html", followup_vars, &p->followup,
	    err, errlen)) != TL_OK ||
	    (rc = load_one(dir, "conversation.html", conversation_vars,
	    &p->conversation, err, errlen)) != TL_OK ||
	    (rc = load_one(dir, "followup_ended.html", ended_vars, &p->ended,
	    err, errlen)) != TL_OK ||
	    (rc = check_css(dir, err, errlen)) != TL_OK ||
	    (rc = langs_load(dir, p, err, errlen)) != TL_OK)
		goto err;
	*out = p;
	return TL_OK;
err:
	tl_pages_free(p);
	return rc;
}

void
tl_pages_free(struct tl_pages *p)
{
	size_t	 i, k;

	if (p == NULL)
		return;
	tl_tmpl_free(p->layout);
	tl_tmpl_free(p->form);
	tl_tmpl_free(p->receipt);
	tl_tmpl_free(p->error);
	tl_tmpl_free(p->followup);
	tl_tmpl_free(p->conversation);
	tl_tmpl_free(p->ended);
	for (i = 0; i < p->nlangs; i++) {
		for (k = 0; p->langs[i].html != NULL && k < tl_cat_nkeys();
		    k++)
			free(p->langs[i].html[k]);
		free(p->langs[i].html);
		free(p->langs[i].vars);
		free(p->langs[i].links);
		free(p->langs[i].form_path);
		tl_cat_free(p->langs[i].cat);
	}
	free(p);
}

size_t
tl_pages_nlangs(const struct tl_pages *p)
{
	return p->nlangs;
}

const char *
tl_pages_lang_code(const struct tl_pages *p, size_t i)
{
	return p->langs[i].code;
}

int
tl_pages_lang_find(const struct tl_pages *p, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < p->nlangs; i++)
		if (strlen(p->langs[i].code) == n &&
		    memcmp(p->langs[i].code, s, n) == 0)
			return (int)i;
	return -1;
}

const struct tl_cat *
tl_pages_cat(const struct tl_pages *p, size_t i)
{
	return p->langs[i].cat;
}

/*
 * Renders t for language l with the page's own variables v[0..n) into
 * out. The page's variables come first, so they win over a catalogue key
 * of the same name (there is none: tl_cat_key() has no page names).
 */
static void
render(const struct lang *l, const struct tl_tmpl *t,
    const struct tl_var *v, size_t n, struct tl_buf *out)
{
	struct tl_var	*all;

	if ((all = calloc(n + l->nvars, sizeof(*all))) == NULL) {
		out->oom = 1;
		return;
	}
	if (n > 0)
		memcpy(all, v, n * sizeof(*v));
	memcpy(all + n, l->vars, l->nvars * sizeof(*all));
	tl_tmpl_render(t, all, n + l->nvars, out);
	free(all);
}

/*
 * Appends layout.html around content (a whole fragment built by this
 * file) to out. An incomplete content buffer makes out incomplete too.
 * title is plain text.
 */
static void
wrap(const struct tl_pages *p, const struct lang *l, const char *title,
    const struct tl_buf *content, struct tl_buf *out)
{
	struct tl_var	 v[2];

	if (!tl_buf_ok(content)) {
		out->oom = 1;
		return;
	}
	v[0] = (struct tl_var){ "title", title };
	v[1] = (struct tl_var){ "content", content->data != NULL ?
	    content->data : "" };
	render(l, p->layout, v, 2, out);
}

/* Appends the words of key in l (HTML, placeholders filled). */
static void
put_words(const struct lang *l, const char *key, struct tl_buf *out)
{
	tl_cat_put(l->cat, key, l->cvars, 4, 1, out);
}

/* Appends the words of field d's key NAME_suffix in l. */
static void
put_field_words(const struct lang *l, const struct tl_fielddef *d,
    const char *suffix, struct tl_buf *out)
{
	char	 key[80];

	snprintf(key, sizeof(key), "%s_%s", d->name, suffix);
	put_words(l, key, out);
}

/* Appends the message of field error e in l, escaped. */
static void
put_error_words(const struct lang *l, const struct tl_field_error *e,
    struct tl_buf *out)
{
	char	 msg[512];

	tl_cat_field_error(l->cat, e, msg, sizeof(msg));
	tl_buf_html_str(out, msg);
}

/* The first error for field f in v, or NULL. */
static const struct tl_field_error *
field_error(const struct tl_form_view *v, enum tl_field f)
{
	size_t	 i;

	for (i = 0; i < v->nerrs; i++)
		if (v->errs[i].field == f)
			return &v->errs[i];
	return NULL;
}

/* What the person sent for field f, or NULL. */
static const char *
raw_value(const struct tl_form_view *v, enum tl_field f)
{
	return v->report != NULL ? v->report->raw[f] : NULL;
}

/* Opens an error summary (GOV.UK pattern): its title and its list. */
static void
put_summary_open(const struct lang *l, struct tl_buf *out)
{
	tl_buf_puts(out, "<div class=\"error-summary\" role=\"alert\" "
	    "aria-labelledby=\"error-summary-title\" tabindex=\"-1\">\n"
	    "<h2 class=\"error-summary__title\" id=\"error-summary-title\">");
	put_words(l, "error_summary_title", out);
	tl_buf_puts(out, "</h2>\n<ul class=\"error-summary__list\">\n");
}

/*
 * Appends the error summary (GOV.UK pattern): the token message, then one
 * link per field error to the field's first control. Nothing when the
 * form has no error.
 */
static void
put_summary(const struct lang *l, const struct tl_form_view *v,
    struct tl_buf *out)
{
	const struct tl_field_error	*e;
	size_t				 i;

	if (v->nerrs == 0 && v->token_error == NULL)
		return;
	put_summary_open(l, out);
	if (v->token_error != NULL) {
		tl_buf_puts(out, "<li><a href=\"#f-submit\">");
		put_words(l, v->token_error, out);
		tl_buf_puts(out, "</a></li>\n");
	}
	for (i = 0; i < v->nerrs; i++) {
		e = &v->errs[i];
		if ((unsigned)e->field >= TL_F__MAX)
			continue;
		tl_buf_puts(out, "<li><a href=\"#f-");
		tl_buf_html_str(out, tl_fields[e->field].name);
		tl_buf_puts(out, "\">");
		put_error_words(l, e, out);
		tl_buf_puts(out, "</a></li>\n");
	}
	tl_buf_puts(out, "</ul>\n</div>\n");
}

/* Appends the hint and the inline error of field d (either may be none). */
static void
put_hint_error(const struct lang *l, const struct tl_fielddef *d,
    const struct tl_field_error *e, struct tl_buf *out)
{
	if (d->hint) {
		tl_buf_puts(out, "<div class=\"hint\" id=\"");
		tl_buf_html_str(out, d->name);
		tl_buf_puts(out, "-hint\">");
		put_field_words(l, d, "hint", out);
		tl_buf_puts(out, "</div>\n");
	}
	if (e != NULL) {
		tl_buf_puts(out, "<p class=\"error-message\" id=\"");
		tl_buf_html_str(out, d->name);
		tl_buf_puts(out, "-error\"><span class=\"visually-hidden\">");
		put_words(l, "error_prefix", out);
		tl_buf_puts(out, "</span> ");
		put_error_words(l, e, out);
		tl_buf_puts(out, "</p>\n");
	}
}

/* Appends ` aria-describedby="…"` naming the hint and error, if any. */
static void
put_describedby(const struct tl_fielddef *d,
    const struct tl_field_error *e, struct tl_buf *out)
{
	if (!d->hint && e == NULL)
		return;
	tl_buf_puts(out, " aria-describedby=\"");
	if (d->hint) {
		tl_buf_html_str(out, d->name);
		tl_buf_puts(out, "-hint");
	}
	if (e != NULL) {
		if (d->hint)
			tl_buf_putc(out, ' ');
		tl_buf_html_str(out, d->name);
		tl_buf_puts(out, "-error");
	}
	tl_buf_putc(out, '"');
}

/* Appends ` name="value"` with value escaped, when value is not NULL. */
static void
put_attr(struct tl_buf *out, const char *name, const char *value)
{
	if (value == NULL)
		return;
	tl_buf_printf(out, " %s=\"", name);
	tl_buf_html_str(out, value);
	tl_buf_putc(out, '"');
}

/* Appends the control of a text field: textarea when rows > 0. */
static void
put_text_control(const struct tl_fielddef *d,
    const struct tl_field_error *e, const char *value, struct tl_buf *out)
{
	const char	*cls;

	if (d->rows > 0)
		cls = e != NULL ? "textarea textarea--error" : "textarea";
	else if (d->kind == TL_K_POSTCODE)
		cls = e != NULL ? "input input--width-10 input--error" :
		    "input input--width-10";
	else
		cls = e != NULL ? "input input--error" : "input";
	tl_buf_puts(out, d->rows > 0 ? "<textarea" : "<input");
	put_attr(out, "class", cls);
	tl_buf_puts(out, " id=\"f-");
	tl_buf_html_str(out, d->name);
	tl_buf_putc(out, '"');
	put_attr(out, "name", d->name);
	if (d->rows > 0)
		tl_buf_printf(out, " rows=\"%d\"", d->rows);
	else
		tl_buf_puts(out, " type=\"text\"");
	put_attr(out, "inputmode", d->inputmode);
	put_attr(out, "autocomplete", d->autocomplete);
	if (d->kind == TL_K_POSTCODE || d->kind == TL_K_PHONES ||
	    d->kind == TL_K_LIST)
		tl_buf_puts(out, " spellcheck=\"false\"");
	put_describedby(d, e, out);
	if (d->rows > 0) {
		/* The parser drops one newline after <textarea>. */
		tl_buf_puts(out, ">\n");
		if (value != NULL)
			tl_buf_html_str(out, value);
		tl_buf_puts(out, "</textarea>\n");
	} else {
		put_attr(out, "value", value != NULL ? value : "");
		tl_buf_puts(out, ">\n");
	}
}

/* Appends a text field: label above, hint, inline error, control. */
static void
put_text_field(const struct lang *l, const struct tl_fielddef *d,
    const struct tl_field_error *e, const char *value, struct tl_buf *out)
{
	tl_buf_puts(out, e != NULL ?
	    "<div class=\"form-group form-group--error\">\n" :
	    "<div class=\"form-group\">\n");
	tl_buf_puts(out, "<label class=\"label\" for=\"f-");
	tl_buf_html_str(out, d->name);
	tl_buf_puts(out, "\">");
	put_field_words(l, d, "label", out);
	tl_buf_puts(out, "</label>\n");
	put_hint_error(l, d, e, out);
	put_text_control(d, e, value, out);
	tl_buf_puts(out, "</div>\n");
}

/* Is choice i of field d selected in v? */
static int
choice_checked(const struct tl_form_view *v, enum tl_field f, size_t i)
{
	const char	*raw;

	if (v->report == NULL)
		return 0;
	if (tl_fields[f].kind == TL_K_MULTI)
		return i < sizeof(unsigned) * 8 &&
		    (v->report->concerns & (1u << i)) != 0;
	raw = raw_value(v, f);
	return raw != NULL && strcmp(raw, tl_fields[f].choices[i].value) == 0;
}

/* Appends one radio or checkbox with its label; the first gets f-NAME. */
static void
put_choice_item(const struct lang *l, const struct tl_form_view *v,
    enum tl_field f, size_t i, struct tl_buf *out)
{
	const struct tl_fielddef	*d = &tl_fields[f];
	const char			*type, *val = d->choices[i].value;

	type = d->kind == TL_K_MULTI ? "checkbox" : "radio";
	tl_buf_puts(out, "<div class=\"choice\">\n<input "
	    "class=\"choice__input\" id=\"f-");
	tl_buf_html_str(out, d->name);
	if (i > 0) {
		tl_buf_putc(out, '-');
		tl_buf_html_str(out, val);
	}
	tl_buf_putc(out, '"');
	put_attr(out, "name", d->name);
	put_attr(out, "type", type);
	put_attr(out, "value", val);
	if (choice_checked(v, f, i))
		tl_buf_puts(out, " checked");
	tl_buf_puts(out, ">\n<label class=\"choice__label\" for=\"f-");
	tl_buf_html_str(out, d->name);
	if (i > 0) {
		tl_buf_putc(out, '-');
		tl_buf_html_str(out, val);
	}
	tl_buf_puts(out, "\">");
	put_field_words(l, d, val, out);
	tl_buf_puts(out, "</label>\n</div>\n");
}

/* Appends radios (TL_K_CHOICE) or checkboxes (TL_K_MULTI) in a fieldset. */
static void
put_choice_field(const struct lang *l, const struct tl_form_view *v,
    enum tl_field f, struct tl_buf *out)
{
	const struct tl_fielddef	*d = &tl_fields[f];
	const struct tl_field_error	*e = field_error(v, f);
	size_t				 i;

	tl_buf_puts(out, e != NULL ?
	    "<div class=\"form-group form-group--error\">\n" :
	    "<div class=\"form-group\">\n");
	tl_buf_puts(out, "<fieldset class=\"fieldset\"");
	put_describedby(d, e, out);
	tl_buf_puts(out, ">\n<legend class=\"legend\">");
	put_field_words(l, d, "label", out);
	tl_buf_puts(out, "</legend>\n");
	put_hint_error(l, d, e, out);
	tl_buf_puts(out, d->kind == TL_K_MULTI ?
	    "<div class=\"choices choices--checkboxes\">\n" :
	    "<div class=\"choices choices--radios\">\n");
	for (i = 0; d->choices[i].value != NULL; i++)
		put_choice_item(l, v, f, i, out);
	tl_buf_puts(out, "</div>\n</fieldset>\n</div>\n");
}

/* Appends every field of tl_fields[], in table order. */
static void
put_fields(const struct lang *l, const struct tl_form_view *v,
    struct tl_buf *out)
{
	const struct tl_fielddef	*d;
	int				 f;

	for (f = 0; f < TL_F__MAX; f++) {
		d = &tl_fields[f];
		if (d->kind == TL_K_MULTI || d->kind == TL_K_CHOICE)
			put_choice_field(l, v, (enum tl_field)f, out);
		else
			put_text_field(l, d, field_error(v, (enum tl_field)f),
			    raw_value(v, (enum tl_field)f), out);
	}
}

/* Whether the person said they are a young person (SPEC 14). */
static int
is_young(const struct tl_report *r)
{
	const char	*v;
	size_t		 n;

	if (r == NULL || (v = r->value[TL_F_REPORTER]) == NULL)
		v = r != NULL ? r->raw[TL_F_REPORTER] : NULL;
	if (v == NULL)
		return 0;
	while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
		v++;
	n = strlen("young_person");
	return strncmp(v, "young_person", n) == 0 &&
	    strspn(v + n, " \t\r\n") == strlen(v + n);
}

/* Appends where young people can get help (SPEC 14), as a panel. */
static void
put_young_help(const struct lang *l, struct tl_buf *out)
{
	tl_buf_puts(out, "<div class=\"inset inset--help\" id=\"young-help\">"
	    "\n<h2 class=\"heading-s\">");
	put_words(l, "young_heading", out);
	tl_buf_puts(out, "</h2>\n<p>");
	put_words(l, "young_help", out);
	tl_buf_puts(out, "</p>\n</div>\n");
}

/* The words of key in l as plain text (for a page's title). */
static void
put_plain(const struct lang *l, const char *key, struct tl_buf *out)
{
	tl_cat_put(l->cat, key, l->cvars, 4, 0, out);
}

void
tl_page_form(const struct tl_pages *p, size_t lang,
    const struct tl_form_view *v, struct tl_buf *out)
{
	const struct lang *l = &p->langs[lang < p->nlangs ? lang : 0];
	struct tl_buf	 summary = TL_BUF_INIT, fields = TL_BUF_INIT;
	struct tl_buf	 content = TL_BUF_INIT, young = TL_BUF_INIT;
	struct tl_buf	 title = TL_BUF_INIT;
	struct tl_var	 vars[PAGE_VARS];

	put_summary(l, v, &summary);
	put_fields(l, v, &fields);
	if (is_young(v->report))
		put_young_help(l, &young);
	put_plain(l, v->nerrs > 0 || v->token_error != NULL ?
	    "form_title_error" : "form_heading", &title);
	if (!tl_buf_ok(&summary) || !tl_buf_ok(&fields) ||
	    !tl_buf_ok(&young) || !tl_buf_ok(&title)) {
		out->oom = 1;
		goto cleanup;
	}
	vars[0] = (struct tl_var){ "error_summary", summary.data };
	vars[1] = (struct tl_var){ "fields", fields.data };
	vars[2] = (struct tl_var){ "token", v->token };
	vars[3] = (struct tl_var){ "young_help", young.data };
	render(l, p->form, vars, 4, &content);
	wrap(p, l, title.data, &content, out);
cleanup:
	tl_buf_free(&summary);
	tl_buf_free(&fields);
	tl_buf_free(&young);
	tl_buf_free(&title);
	tl_buf_free(&content);
}

/* The receipt's "what happens next" (SPEC 14): urgent or not. */
static void
put_next_steps(const struct lang *l, const struct tl_receipt_view *v,
    struct tl_buf *out)
{
	tl_buf_puts(out, v->urgent ? "<div class=\"inset inset--urgent\" "
	    "id=\"next-urgent\">\n<p>" : "<div id=\"next-normal\">\n<p>");
	put_words(l, v->urgent ? "receipt_next_urgent" :
	    "receipt_next_normal", out);
	tl_buf_puts(out, "</p>\n</div>\n");
}

/* Wipes and frees b: it held what a person wrote, or a code. */
static void
shred(struct tl_buf *b)
{
	tl_buf_wipe(b);
	tl_buf_free(b);
}

/* The receipt's follow-up part (SPEC 13): the code and what it is for,
 * or why there is none, or (followup off) how to add more. */
static void
put_receipt_followup(const struct lang *l, const struct tl_receipt_view *v,
    struct tl_buf *out)
{
	switch (v->followup) {
	case 1:
		tl_buf_puts(out, "<div class=\"inset inset--code\" "
		    "id=\"followup\">\n<h2 class=\"heading-m\">");
		put_words(l, "receipt_code_heading", out);
		tl_buf_puts(out, "</h2>\n<p>");
		put_words(l, "receipt_code_lead", out);
		tl_buf_puts(out, "</p>\n<p class=\"code\" id=\"followup-code\">"
		    "<strong>");
		tl_buf_html_str(out, v->code != NULL ? v->code : "");
		tl_buf_puts(out, "</strong></p>\n<ul class=\"list\">\n<li>");
		put_words(l, "receipt_code_keep", out);
		tl_buf_puts(out, "</li>\n<li>");
		put_words(l, "receipt_code_never", out);
		tl_buf_puts(out, "</li>\n<li>");
		put_words(l, "receipt_code_how", out);
		tl_buf_printf(out, " <a href=\"%s/follow-up\">", l->form_path);
		put_words(l, "receipt_code_link", out);
		tl_buf_puts(out, "</a></li>\n</ul>\n</div>\n");
		break;
	case 2:
	case 3:
		tl_buf_puts(out, "<p id=\"followup\">");
		put_words(l, v->followup == 2 ? "receipt_code_busy" :
		    "receipt_code_shown", out);
		tl_buf_puts(out, "</p>\n");
		if (v->followup == 2) {
			tl_buf_puts(out, "<p>");
			put_words(l, "receipt_more", out);
			tl_buf_puts(out, "</p>\n");
		}
		break;
	default:
		tl_buf_puts(out, "<p>");
		put_words(l, "receipt_more", out);
		tl_buf_puts(out, "</p>\n");
		break;
	}
}

void
tl_page_receipt(const struct tl_pages *p, size_t lang,
    const struct tl_receipt_view *v, struct tl_buf *out)
{
	const struct lang *l = &p->langs[lang < p->nlangs ? lang : 0];
	struct tl_buf	 content = TL_BUF_INIT, next = TL_BUF_INIT;
	struct tl_buf	 quote = TL_BUF_INIT, young = TL_BUF_INIT;
	struct tl_buf	 title = TL_BUF_INIT, fu = TL_BUF_INIT;
	struct tl_var	 vars[PAGE_VARS];

	put_next_steps(l, v, &next);
	if (p->site->phone_knows_ref) {
		tl_buf_puts(&quote, "<p id=\"quote-ref\">");
		put_words(l, "receipt_quote", &quote);
		tl_buf_puts(&quote, " <strong>");
		tl_buf_html_str(&quote, v->ref);
		tl_buf_puts(&quote, "</strong></p>\n");
	}
	if (v->young)
		put_young_help(l, &young);
	put_receipt_followup(l, v, &fu);
	put_plain(l, "receipt_title", &title);
	if (!tl_buf_ok(&next) || !tl_buf_ok(&quote) || !tl_buf_ok(&young) ||
	    !tl_buf_ok(&title) || !tl_buf_ok(&fu)) {
		out->oom = 1;
		goto cleanup;
	}
	vars[0] = (struct tl_var){ "ref", v->ref };
	vars[1] = (struct tl_var){ "next_steps", next.data };
	vars[2] = (struct tl_var){ "quote", quote.data };
	vars[3] = (struct tl_var){ "young_help", young.data };
	vars[4] = (struct tl_var){ "followup", fu.data };
	render(l, p->receipt, vars, 5, &content);
	wrap(p, l, title.data, &content, out);
cleanup:
	shred(&fu);
	tl_buf_free(&next);
	tl_buf_free(&quote);
	tl_buf_free(&young);
	tl_buf_free(&title);
	tl_buf_free(&content);
}

void
tl_page_error(const struct tl_pages *p, size_t lang, const char *code,
    struct tl_buf *out)
{
	const struct lang *l = &p->langs[lang < p->nlangs ? lang : 0];
	struct tl_buf	 content = TL_BUF_INIT, heading = TL_BUF_INIT;
	struct tl_buf	 message = TL_BUF_INIT, title = TL_BUF_INIT;
	struct tl_var	 vars[2];
	char		 key[32];

	snprintf(key, sizeof(key), "page_%s_heading", code);
	put_words(l, key, &heading);
	put_plain(l, key, &title);
	snprintf(key, sizeof(key), "page_%s_text", code);
	put_words(l, key, &message);
	if (!tl_buf_ok(&heading) || !tl_buf_ok(&message) ||
	    !tl_buf_ok(&title)) {
		out->oom = 1;
		goto cleanup;
	}
	vars[0] = (struct tl_var){ "heading", heading.data };
	vars[1] = (struct tl_var){ "message", message.data };
	render(l, p->error, vars, 2, &content);
	wrap(p, l, title.data, &content, out);
cleanup:
	tl_buf_free(&heading);
	tl_buf_free(&message);
	tl_buf_free(&title);
	tl_buf_free(&content);
}

/* --- follow-up (SPEC 13) -------------------------------------------- */

/* The error summary of a follow-up page: one message, linked to its
 * field (or the button). */
static void
put_fu_summary(const struct lang *l, const struct tl_followup_view *v,
    struct tl_buf *out)
{
	if (v->error == NULL)
		return;
	put_summary_open(l, out);
	tl_buf_puts(out, "<li><a href=\"#f-");
	tl_buf_html_str(out, v->error_field != NULL ? v->error_field :
	    "submit");
	tl_buf_puts(out, "\">");
	put_words(l, v->error, out);
	tl_buf_puts(out, "</a></li>\n</ul>\n</div>\n");
}

/* A labelled text input or textarea (rows > 0) named name, with its
 * hint (key NAME's "fu_NAME_hint") and the view's error when it is this
 * field's. */
static void
put_fu_input(const struct lang *l, const struct tl_followup_view *v,
    const char *name, int rows, const char *attrs, const char *value,
    struct tl_buf *out)
{
	int	 err = v->error != NULL && v->error_field != NULL &&
	    strcmp(v->error_field, name) == 0;
	char	 key[32];

	tl_buf_puts(out, err ? "<div class=\"form-group form-group--error\">"
	    "\n" : "<div class=\"form-group\">\n");
	tl_buf_printf(out, "<label class=\"label\" for=\"f-%s\">", name);
	snprintf(key, sizeof(key), "fu_%s_label", name);
	put_words(l, key, out);
	tl_buf_printf(out, "</label>\n<div class=\"hint\" id=\"%s-hint\">",
	    name);
	snprintf(key, sizeof(key), "fu_%s_hint", name);
	put_words(l, key, out);
	tl_buf_puts(out, "</div>\n");
	if (err) {
		tl_buf_printf(out, "<p class=\"error-message\" id=\"%s-error\">"
		    "<span class=\"visually-hidden\">", name);
		put_words(l, "error_prefix", out);
		tl_buf_puts(out, "</span> ");
		put_words(l, v->error, out);
		tl_buf_puts(out, "</p>\n");
	}
	if (rows > 0)
		tl_buf_printf(out, "<textarea class=\"textarea%s\" rows=\"%d\"",
		    err ? " textarea--error" : "", rows);
	else
		tl_buf_printf(out, "<input class=\"input%s\" type=\"text\"",
		    err ? " input--error" : "");
	tl_buf_printf(out, " id=\"f-%s\" name=\"%s\" %s aria-describedby="
	    "\"%s-hint%s%s%s\"", name, name, attrs, name, err ? " " : "",
	    err ? name : "", err ? "-error" : "");
	if (rows > 0) {
		tl_buf_puts(out, ">\n");
		if (value != NULL)
			tl_buf_html_str(out, value);
		tl_buf_puts(out, "</textarea>\n</div>\n");
	} else {
		put_attr(out, "value", value != NULL ? value : "");
		tl_buf_puts(out, ">\n</div>\n");
	}
}

void
tl_page_followup(const struct tl_pages *p, size_t lang,
    const struct tl_followup_view *v, struct tl_buf *out)
{
	const struct lang *l = &p->langs[lang < p->nlangs ? lang : 0];
	struct tl_buf	 summary = TL_BUF_INIT, fields = TL_BUF_INIT;
	struct tl_buf	 content = TL_BUF_INIT, title = TL_BUF_INIT;
	struct tl_var	 vars[3];

	put_fu_summary(l, v, &summary);
	put_fu_input(l, v, "ref", 0, "autocomplete=\"off\" "
	    "spellcheck=\"false\" autocapitalize=\"characters\"", v->ref,
	    &fields);
	/* Never filled in again: a code is typed each time. */
	put_fu_input(l, v, "code", 0, "autocomplete=\"off\" "
	    "spellcheck=\"false\" inputmode=\"numeric\"", NULL, &fields);
	put_plain(l, v->error != NULL ? "fu_title_error" : "fu_heading",
	    &title);
	vars[0] = (struct tl_var){ "error_summary", summary.data };
	vars[1] = (struct tl_var){ "fields", fields.data };
	vars[2] = (struct tl_var){ "token", v->token };
	if (tl_buf_ok(&summary) && tl_buf_ok(&fields) && tl_buf_ok(&title)) {
		render(l, p->followup, vars, 3, &content);
		wrap(p, l, title.data, &content, out);
	} else
		out->oom = 1;
	tl_buf_free(&summary);
	shred(&fields);
	tl_buf_free(&title);
	shred(&content);
}

/* The messages, oldest first: who, when, the text (CSS keeps its line
 * breaks). */
static void
put_messages(const struct lang *l, const struct tl_followup_view *v,
    struct tl_buf *out)
{
	char	 at[24];
	size_t	 i;

	if (v->nmsgs == 0) {
		tl_buf_puts(out, "<p id=\"no-messages\">");
		put_words(l, "fu_no_messages", out);
		tl_buf_puts(out, "</p>\n");
		return;
	}
	tl_buf_puts(out, "<ol class=\"conversation\">\n");
	for (i = 0; i < v->nmsgs; i++) {
		const struct tl_page_msg *m = &v->msgs[i];

		tl_time_rfc3339(m->at, at);
		tl_buf_printf(out, "<li class=\"message message--%s\">\n"
		    "<p class=\"message__meta\"><strong>", m->from_staff ?
		    "staff" : "sender");
		put_words(l, m->from_staff ? "fu_from_staff" : "fu_from_you",
		    out);
		tl_buf_printf(out, "</strong> <time datetime=\"%s\">%.10s "
		    "%.5s UTC</time></p>\n<p class=\"message__text\">", at, at,
		    at + 11);
		tl_buf_html_str(out, m->text);
		tl_buf_puts(out, "</p>\n</li>\n");
	}
	tl_buf_puts(out, "</ol>\n");
}

/* The end form's box; its error, when it is the view's, beside it and
 * named by aria-describedby, so that the summary's link lands on it. */
static void
put_fu_confirm(const struct lang *l, const struct tl_followup_view *v,
    struct tl_buf *out)
{
	int	 err = v->error != NULL && v->error_field != NULL &&
	    strcmp(v->error_field, "confirm") == 0;

	tl_buf_puts(out, err ? "<div class=\"form-group form-group--error\">"
	    "\n" : "<div class=\"form-group\">\n");
	if (err) {
		tl_buf_puts(out, "<p class=\"error-message\" id=\"confirm-"
		    "error\"><span class=\"visually-hidden\">");
		put_words(l, "error_prefix", out);
		tl_buf_puts(out, "</span> ");
		put_words(l, v->error, out);
		tl_buf_puts(out, "</p>\n");
	}
	tl_buf_printf(out, "<div class=\"choice\">\n<input class=\"choice__"
	    "input\" id=\"f-confirm\" name=\"confirm\" type=\"checkbox\" "
	    "value=\"yes\"%s>\n<label class=\"choice__label\" for=\""
	    "f-confirm\">", err ? " aria-describedby=\"confirm-error\"" : "");
	put_words(l, "fu_end_confirm", out);
	tl_buf_puts(out, "</label>\n</div>\n</div>\n");
}

void
tl_page_conversation(const struct tl_pages *p, size_t lang,
    const struct tl_followup_view *v, struct tl_buf *out)
{
	const struct lang *l = &p->langs[lang < p->nlangs ? lang : 0];
	struct tl_buf	 summary = TL_BUF_INIT, fields = TL_BUF_INIT;
	struct tl_buf	 content = TL_BUF_INIT, title = TL_BUF_INIT;
	struct tl_buf	 msgs = TL_BUF_INIT, hidden = TL_BUF_INIT;
	struct tl_buf	 sent = TL_BUF_INIT, confirm = TL_BUF_INIT;
	struct tl_var	 vars[7];

	put_fu_summary(l, v, &summary);
	if (v->sent) {
		tl_buf_puts(&sent, "<div class=\"panel panel--small\" "
		    "id=\"sent\" role=\"status\">\n<p class=\"panel__title\">");
		put_words(l, "fu_sent", &sent);
		tl_buf_puts(&sent, "</p>\n</div>\n");
	}
	put_messages(l, v, &msgs);
	tl_buf_puts(&hidden, "<input type=\"hidden\" name=\"ref\"");
	put_attr(&hidden, "value", v->ref);
	tl_buf_puts(&hidden, ">\n<input type=\"hidden\" name=\"code\"");
	put_attr(&hidden, "value", v->code);
	tl_buf_puts(&hidden, ">\n<input type=\"hidden\" name=\"token\"");
	put_attr(&hidden, "value", v->token);
	tl_buf_puts(&hidden, ">\n");
	put_fu_input(l, v, "message", 8, "", v->message, &fields);
	put_fu_confirm(l, v, &confirm);
	put_plain(l, v->error != NULL ? "fu_title_error" : "fu_conv_heading",
	    &title);
	vars[0] = (struct tl_var){ "error_summary", summary.data };
	vars[1] = (struct tl_var){ "sent", sent.data };
	vars[2] = (struct tl_var){ "ref", v->ref };
	vars[3] = (struct tl_var){ "messages", msgs.data };
	vars[4] = (struct tl_var){ "hidden", hidden.data };
	vars[5] = (struct tl_var){ "fields", fields.data };
	vars[6] = (struct tl_var){ "confirm", confirm.data };
	if (tl_buf_ok(&summary) && tl_buf_ok(&fields) && tl_buf_ok(&title) &&
	    tl_buf_ok(&msgs) && tl_buf_ok(&hidden) && tl_buf_ok(&sent) &&
	    tl_buf_ok(&confirm)) {
		render(l, p->conversation, vars, 7, &content);
		wrap(p, l, title.data, &content, out);
	} else
		out->oom = 1;
	tl_buf_free(&summary);
	tl_buf_free(&sent);
	tl_buf_free(&confirm);
	shred(&fields);
	shred(&msgs);
	shred(&hidden);
	tl_buf_free(&title);
	shred(&content);
}

void
tl_page_followup_ended(const struct tl_pages *p, size_t lang,
    struct tl_buf *out)
{
	const struct lang *l = &p->langs[lang < p->nlangs ? lang : 0];
	struct tl_buf	 content = TL_BUF_INIT, title = TL_BUF_INIT;

	put_plain(l, "fu_ended_heading", &title);
	if (!tl_buf_ok(&title)) {
		out->oom = 1;
		return;
	}
	render(l, p->ended, NULL, 0, &content);
	wrap(p, l, title.data, &content, out);
	tl_buf_free(&title);
	tl_buf_free(&content);
}

void
tl_page_error_answer(const struct tl_pages *p, size_t lang,
    struct tl_response *res, int status, const char *code)
{
	tl_response_start(res, status, "text/html; charset=utf-8");
	tl_page_error(p, lang, code, &res->body);
}
