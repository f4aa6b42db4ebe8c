/*
 * page.h — the pages people see: the form (fields generated from the table
 * in report.h), the receipt and error pages, each inside one layout.
 *
 * Templates (under the `templates` folder):
 *   layout.html   title, org_name, emergency_phone, non_emergency_phone,
 *                 base_path, {{{content}}}
 *   form.html     {{{error_summary}}}, {{{fields}}}, token, base_path,
 *                 org_name, emergency_phone, non_emergency_phone
 *   receipt.html  ref, non_emergency_phone, emergency_phone,
 *                 org_name, base_path
 *   error.html    heading, message, emergency_phone, non_emergency_phone,
 *                 org_name, base_path
 *   static/tipline.css, and errors/NNN.html (static pages nginx serves).
 */
#ifndef TL_PAGE_H
#define TL_PAGE_H

#include "buf.h"
#include "report.h"
#include "tl.h"

struct tl_pages;

/* What every page shows; strings are borrowed. */
struct tl_site {
	const char	*org_name;
	const char	*emergency_phone;
	const char	*non_emergency_phone;
	const char	*base_path;
};

/* The state of the form to draw. */
struct tl_form_view {
	const struct tl_report		*report;  /* values, or NULL: empty */
	const struct tl_field_error	*errs;	  /* field errors */
	size_t				 nerrs;
	const char			*token_error; /* token message or NULL */
	const char			*token;	  /* fresh token for the form */
};

/* Loads every template from dir. Errors name the file and line. */
enum tl_err tl_pages_load(const char *dir, struct tl_pages **out,
	    char *err, size_t errlen);
void tl_pages_free(struct tl_pages *p);

/* Each appends a whole HTML page to out (check tl_buf_ok()). */
void tl_page_form(const struct tl_pages *p, const struct tl_site *site,
	    const struct tl_form_view *v, struct tl_buf *out);
void tl_page_receipt(const struct tl_pages *p, const struct tl_site *site,
	    const char *ref, struct tl_buf *out);
void tl_page_error(const struct tl_pages *p, const struct tl_site *site,
	    const char *heading, const char *message, struct tl_buf *out);

#endif
