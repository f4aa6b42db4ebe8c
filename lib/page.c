/*
 * page.c — the pages people see (SPEC 9): the form, generated field by
 * field from tl_fields[] after the GOV.UK question-page patterns, the
 * receipt and the error page, each rendered inside layout.html.
 *
 * Every value that did not come from this file's own literals goes out
 * through tl_buf_html(), directly or as a {{name}} template variable.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "page.h"
#include "tmpl.h"

struct tl_pages {
	struct tl_tmpl	*layout;
	struct tl_tmpl	*form;
	struct tl_tmpl	*receipt;
	struct tl_tmpl	*error;
};

#define SITE_VARS "org_name", "emergency_phone", "non_emergency_phone", \
	"base_path"

static const char *const layout_vars[] = { SITE_VARS, "title", "content",
	NULL };
static const char *const form_vars[] = { SITE_VARS, "error_summary",
	"fields", "token", NULL };
static const char *const receipt_vars[] = { SITE_VARS, "ref",
	NULL };
static const char *const error_vars[] = { SITE_VARS, "heading", "message",
	NULL };

#define MAX_VARS	8	/* the most variables any page passes */

/* Loads dir/file into *out; errors as tl_tmpl_load(). */
static enum tl_err
load_one(const char *dir, const char *file, const char *const *known,
    struct tl_tmpl **out, char *err, size_t errlen)
{
	char	 path[4096];
	int	 n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return TL_ECONFIG;
	}
	return tl_tmpl_load(path, known, out, err, errlen);
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

enum tl_err
tl_pages_load(const char *dir, struct tl_pages **out, char *err,
    size_t errlen)
{
	struct tl_pages	*p;
	enum tl_err	 rc;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return TL_ENOMEM;
	}
	if ((rc = load_one(dir, "layout.html", layout_vars, &p->layout,
	    err, errlen)) != TL_OK ||
	    (rc = load_one(dir, "form.html", form_vars, &p->form,
	    err, errlen)) != TL_OK ||
	    (rc = load_one(dir, "receipt.html", receipt_vars, &p->receipt,
	    err, errlen)) != TL_OK ||
	    (rc = load_one(dir, "error.html", error_vars, &p->error,
	    err, errlen)) != TL_OK ||
	    (rc = check_css(dir, err, errlen)) != TL_OK)
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
	if (p == NULL)
		return;
	tl_tmpl_free(p->layout);
	tl_tmpl_free(p->form);
	tl_tmpl_free(p->receipt);
	tl_tmpl_free(p->error);
	free(p);
}

/* Fills v with the site's variables; returns how many (4). */
static size_t
site_vars(const struct tl_site *site, struct tl_var *v)
{
	v[0].name = "org_name";
	v[0].value = site->org_name;
	v[1].name = "emergency_phone";
	v[1].value = site->emergency_phone;
	v[2].name = "non_emergency_phone";
	v[2].value = site->non_emergency_phone;
	v[3].name = "base_path";
	v[3].value = site->base_path;
	return 4;
}

/* Adds name=value to v at *n. */
static void
var_add(struct tl_var *v, size_t *n, const char *name, const char *value)
{
	v[*n].name = name;
	v[*n].value = value;
	(*n)++;
}

/*
 * Appends layout.html around content (a whole fragment built by this
 * file) to out. An incomplete content buffer makes out incomplete too.
 */
static void
wrap(const struct tl_pages *p, const struct tl_site *site,
    const char *title, const struct tl_buf *content, struct tl_buf *out)
{
	struct tl_var	 v[MAX_VARS];
	size_t		 n;

	if (!tl_buf_ok(content)) {
		out->oom = 1;
		return;
	}
	n = site_vars(site, v);
	var_add(v, &n, "title", title);
	var_add(v, &n, "content", content->data != NULL ? content->data : "");
	tl_tmpl_render(p->layout, v, n, out);
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

/*
 * Appends the error summary (GOV.UK pattern): the token message, then one
 * link per field error to the field's first control. Nothing when the
 * form has no error.
 */
static void
put_summary(const struct tl_form_view *v, struct tl_buf *out)
{
	const struct tl_field_error	*e;
	size_t				 i;

	if (v->nerrs == 0 && v->token_error == NULL)
		return;
	tl_buf_puts(out, "<div class=\"error-summary\" role=\"alert\" "
	    "aria-labelledby=\"error-summary-title\" tabindex=\"-1\">\n"
	    "<h2 class=\"error-summary__title\" id=\"error-summary-title\">"
	    "There is a problem</h2>\n<ul class=\"error-summary__list\">\n");
	if (v->token_error != NULL) {
		tl_buf_puts(out, "<li><a href=\"#f-submit\">");
		tl_buf_html_str(out, v->token_error);
		tl_buf_puts(out, "</a></li>\n");
	}
	for (i = 0; i < v->nerrs; i++) {
		e = &v->errs[i];
		if ((unsigned)e->field >= TL_F__MAX)
			continue;
		tl_buf_puts(out, "<li><a href=\"#f-");
		tl_buf_html_str(out, tl_fields[e->field].name);
		tl_buf_puts(out, "\">");
		tl_buf_html_str(out, e->message);
		tl_buf_puts(out, "</a></li>\n");
	}
	tl_buf_puts(out, "</ul>\n</div>\n");
}

/* Appends the hint and the inline error of field d (either may be none). */
static void
put_hint_error(const struct tl_fielddef *d, const struct tl_field_error *e,
    struct tl_buf *out)
{
	if (d->hint != NULL) {
		tl_buf_puts(out, "<div class=\"hint\" id=\"");
		tl_buf_html_str(out, d->name);
		tl_buf_puts(out, "-hint\">");
		tl_buf_html_str(out, d->hint);
		tl_buf_puts(out, "</div>\n");
	}
	if (e != NULL) {
		tl_buf_puts(out, "<p class=\"error-message\" id=\"");
		tl_buf_html_str(out, d->name);
		tl_buf_puts(out, "-error\"><span class=\"visually-hidden\">"
		    "Error:</span> ");
		tl_buf_html_str(out, e->message);
		tl_buf_puts(out, "</p>\n");
	}
}

/* Appends ` aria-describedby="…"` naming the hint and error, if any. */
static void
put_describedby(const struct tl_fielddef *d,
    const struct tl_field_error *e, struct tl_buf *out)
{
	if (d->hint == NULL && e == NULL)
		return;
	tl_buf_puts(out, " aria-describedby=\"");
	if (d->hint != NULL) {
		tl_buf_html_str(out, d->name);
		tl_buf_puts(out, "-hint");
	}
	if (e != NULL) {
		if (d->hint != NULL)
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
	if (d->kind == TL_K_POSTCODE || d->kind == TL_K_PHONES)
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
put_text_field(const struct tl_fielddef *d,
    const struct tl_field_error *e, const char *value, struct tl_buf *out)
{
	tl_buf_puts(out, e != NULL ?
	    "<div class=\"form-group form-group--error\">\n" :
	    "<div class=\"form-group\">\n");
	tl_buf_puts(out, "<label class=\"label\" for=\"f-");
	tl_buf_html_str(out, d->name);
	tl_buf_puts(out, "\">");
	tl_buf_html_str(out, d->label);
	tl_buf_puts(out, "</label>\n");
	put_hint_error(d, e, out);
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
put_choice_item(const struct tl_form_view *v, enum tl_field f, size_t i,
    struct tl_buf *out)
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
	tl_buf_html_str(out, d->choices[i].label);
	tl_buf_puts(out, "</label>\n</div>\n");
}

/* Appends radios (TL_K_CHOICE) or checkboxes (TL_K_MULTI) in a fieldset. */
static void
put_choice_field(const struct tl_form_view *v, enum tl_field f,
    struct tl_buf *out)
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
	tl_buf_html_str(out, d->label);
	tl_buf_puts(out, "</legend>\n");
	put_hint_error(d, e, out);
	tl_buf_puts(out, d->kind == TL_K_MULTI ?
	    "<div class=\"choices choices--checkboxes\">\n" :
	    "<div class=\"choices choices--radios\">\n");
	for (i = 0; d->choices[i].value != NULL; i++)
		put_choice_item(v, f, i, out);
	tl_buf_puts(out, "</div>\n</fieldset>\n</div>\n");
}

/* Appends every field of tl_fields[], in table order. */
static void
put_fields(const struct tl_form_view *v, struct tl_buf *out)
{
	const struct tl_fielddef	*d;
	int				 f;

	for (f = 0; f < TL_F__MAX; f++) {
		d = &tl_fields[f];
		if (d->kind == TL_K_MULTI || d->kind == TL_K_CHOICE)
			put_choice_field(v, (enum tl_field)f, out);
		else
			put_text_field(d, field_error(v, (enum tl_field)f),
			    raw_value(v, (enum tl_field)f), out);
	}
}

void
tl_page_form(const struct tl_pages *p, const struct tl_site *site,
    const struct tl_form_view *v, struct tl_buf *out)
{
	struct tl_buf	 summary = TL_BUF_INIT, fields = TL_BUF_INIT;
	struct tl_buf	 content = TL_BUF_INIT;
	struct tl_var	 vars[MAX_VARS];
	size_t		 n;
	const char	*title = "Report drug dealing or exploitation";

	put_summary(v, &summary);
	put_fields(v, &fields);
	if (!tl_buf_ok(&summary) || !tl_buf_ok(&fields)) {
		out->oom = 1;
		goto cleanup;
	}
	n = site_vars(site, vars);
	var_add(vars, &n, "error_summary", summary.data);
	var_add(vars, &n, "fields", fields.data);
	var_add(vars, &n, "token", v->token);
	tl_tmpl_render(p->form, vars, n, &content);
	if (v->nerrs > 0 || v->token_error != NULL)
		title = "Error: Report drug dealing or exploitation";
	wrap(p, site, title, &content, out);
cleanup:
	tl_buf_free(&summary);
	tl_buf_free(&fields);
	tl_buf_free(&content);
}

void
tl_page_receipt(const struct tl_pages *p, const struct tl_site *site,
    const char *ref, struct tl_buf *out)
{
	struct tl_buf	 content = TL_BUF_INIT;
	struct tl_var	 vars[MAX_VARS];
	size_t		 n;

	n = site_vars(site, vars);
	var_add(vars, &n, "ref", ref);
	tl_tmpl_render(p->receipt, vars, n, &content);
	wrap(p, site, "Report received", &content, out);
	tl_buf_free(&content);
}

void
tl_page_error(const struct tl_pages *p, const struct tl_site *site,
    const char *heading, const char *message, struct tl_buf *out)
{
	struct tl_buf	 content = TL_BUF_INIT;
	struct tl_var	 vars[MAX_VARS];
	size_t		 n;

	n = site_vars(site, vars);
	var_add(vars, &n, "heading", heading);
	var_add(vars, &n, "message", message);
	tl_tmpl_render(p->error, vars, n, &content);
	wrap(p, site, heading, &content, out);
	tl_buf_free(&content);
}
