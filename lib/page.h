/*
 * page.h — the pages people see: the form (fields generated from the table
 * in report.h), the receipt and error pages, each inside one layout, in
 * each language the site serves (SPEC 14). Their words come from the
 * catalogues (cat.h); nothing here is a sentence.
 *
 * Templates (under the `templates` folder) may use every catalogue key as
 * {{{key}}} (HTML the catalogue's text was made into), and:
 *   every page    org_name, emergency_phone, non_emergency_phone,
 *                 textphone, base_path, lang, form_path, {{{lang_links}}}
 *   layout.html   title, {{{content}}}
 *   form.html     {{{error_summary}}}, {{{young_help}}}, {{{fields}}},
 *                 token
 *   receipt.html  ref, {{{next_steps}}}, {{{quote}}}, {{{young_help}}}
 *   error.html    {{{heading}}}, {{{message}}}
 *   lang/LANG.cat one per language; static/tipline.css; errors/NNN.html
 *   (and errors/LANG/NNN.html) the static pages nginx serves.
 */
#ifndef TL_PAGE_H
#define TL_PAGE_H

#include <stdint.h>

#include "buf.h"
#include "cat.h"
#include "report.h"
#include "response.h"
#include "tl.h"

struct tl_pages;

#define TL_MAX_LANGS	8

/* What every page shows; strings are borrowed for the pages' life. */
struct tl_site {
	const char	*org_name;
	const char	*emergency_phone;
	const char	*non_emergency_phone;
	const char	*base_path;
	const char	*textphone;	/* NULL: "18001 101" */
	const char	*languages;	/* "en,cy"; NULL: "en" */
	int		 phone_knows_ref; /* the receipt says to quote it */
};

/* The state of the form to draw. */
struct tl_form_view {
	const struct tl_report		*report;  /* values, or NULL: empty */
	const struct tl_field_error	*errs;	  /* field errors */
	size_t				 nerrs;
	const char			*token_error; /* catalogue key or NULL */
	const char			*token;	  /* fresh token for the form */
};

/* What the receipt says. */
struct tl_receipt_view {
	const char	*ref;
	int		 urgent;	/* what happens next: the urgent text */
	int		 young;		/* reporter = young_person: help */
	int		 followup;	/* enum tl_fu_outcome (followup.h):
					   0 off, 1 code, 2 busy, 3 shown */
	const char	*code;		/* the follow-up code, for 1 */
};

/* A message of a conversation, as its sender sees it (SPEC 13). */
struct tl_page_msg {
	int		 from_staff;
	int64_t		 at;
	const char	*text;
};

/* The follow-up pages: the sign-in form and the conversation. */
struct tl_followup_view {
	const char	*ref;		/* as typed, or NULL */
	const char	*code;		/* the conversation's hidden fields */
	const char	*token;		/* a fresh token for each form */
	const char	*error;		/* catalogue key, or NULL */
	const char	*error_field;	/* "ref", "code", "message" or NULL */
	const struct tl_page_msg *msgs;	/* oldest first */
	size_t		 nmsgs;
	const char	*message;	/* as typed, on a 422 */
	int		 sent;		/* a message was just stored */
};

/*
 * Loads every template from dir and the catalogue of each language of
 * site->languages. Errors name the file and line, or the missing key.
 * site must outlive the pages.
 */
enum tl_err tl_pages_load(const char *dir, const struct tl_site *site,
	    struct tl_pages **out, char *err, size_t errlen);
void tl_pages_free(struct tl_pages *p);

/* How many languages the pages serve; the first is the default. */
size_t tl_pages_nlangs(const struct tl_pages *p);
/* The code of language i ("cy"). */
const char *tl_pages_lang_code(const struct tl_pages *p, size_t i);
/* The language whose code is s[0..n), or -1. */
int tl_pages_lang_find(const struct tl_pages *p, const char *s, size_t n);
/* The catalogue of language i. */
const struct tl_cat *tl_pages_cat(const struct tl_pages *p, size_t i);

/* Each appends a whole HTML page in language lang to out (check
 * tl_buf_ok()). */
void tl_page_form(const struct tl_pages *p, size_t lang,
	    const struct tl_form_view *v, struct tl_buf *out);
void tl_page_receipt(const struct tl_pages *p, size_t lang,
	    const struct tl_receipt_view *v, struct tl_buf *out);
/* An HTML error answer: status, and the error page of code in lang. */
void tl_page_error_answer(const struct tl_pages *p, size_t lang,
	    struct tl_response *res, int status, const char *code);
void tl_page_followup(const struct tl_pages *p, size_t lang,
	    const struct tl_followup_view *v, struct tl_buf *out);
void tl_page_conversation(const struct tl_pages *p, size_t lang,
	    const struct tl_followup_view *v, struct tl_buf *out);
void tl_page_followup_ended(const struct tl_pages *p, size_t lang,
	    struct tl_buf *out);
/* The error page whose words are the catalogue's page_CODE_heading and
 * page_CODE_text (code: "404", …). */
void tl_page_error(const struct tl_pages *p, size_t lang, const char *code,
	    struct tl_buf *out);

#endif
