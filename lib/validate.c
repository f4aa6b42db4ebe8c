/*
 * validate.c — receiving, normalising and validating a report (SPEC 5.1,
 * 5.2). Fields arrive through tl_report_set() (the form) or
 * tl_report_from_json() (the API); tl_report_validate() then walks the
 * table in fields.c, fills the normalised values and writes one error a
 * field in words a frightened member of the public can act on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pthread.h>

#include "report.h"
#include "utf8.h"

/* Field errors as they are collected: n counts all, v holds up to max. */
struct errs {
	struct tl_field_error	*v;
	size_t			 max;
	size_t			 n;
};

#define MSG_REQUIRED	"Please answer this question."
#define MSG_SHORT	"Please tell us a little more: at least %zu " \
			"characters (you wrote %zu)."
#define MSG_LONG	"Please make this shorter: at most %zu characters " \
			"(you wrote %zu)."
#define MSG_CONTROL	"Please type this again: it has a hidden character " \
			"we cannot accept (this can happen when copying and " \
			"pasting)."
#define MSG_CHOICE	"Please choose one of the answers shown, or leave " \
			"this question out."
#define MSG_CONCERN	"Please choose only from the options shown. If " \
			"none fits, choose \"Something else\"."
#define MSG_POSTCODE	"Please check the postcode: it should look like " \
			"SO14 3JJ, or just the first part, like SO14. You " \
			"can leave it empty if you do not know it."
#define MSG_PHONE1	"Please check the phone number: it needs 7 to 15 " \
			"digits, for example 07700 900123."
#define MSG_PHONEN	"Please check phone number %zu: each number needs " \
			"7 to 15 digits, for example 07700 900123. Put a " \
			"comma between numbers."
#define MSG_PHONE1_CHARS "Please check the phone number: it has letters " \
			"or other characters that are not part of a phone " \
			"number. Write just the number, for example 07700 " \
			"900123."
#define MSG_PHONEN_CHARS "Please check phone number %zu: it has letters " \
			"or other characters that are not part of a phone " \
			"number. Write just the numbers, with a comma " \
			"between them."
#define MSG_PHONES	"Please give no more than %d phone numbers. You " \
			"can add any others to the description."
#define MSG_TYPE	"Please send this as text (a JSON string), or " \
			"leave it out."
#define MSG_TYPES	"Please send this as a list of text values, for " \
			"example [\"dealing\"]."
#define MSG_NOMEM	"Sorry, something went wrong on our side and " \
			"nothing was saved. Please try again in a few " \
			"minutes."

static void err_add(struct errs *, enum tl_field, const char *,
	    const char *, ...) __attribute__((format(printf, 4, 5)));

/* Records one error for field f; only the first max are written. */
static void
err_add(struct errs *e, enum tl_field f, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;

	if (e->n < e->max) {
		e->v[e->n].field = f;
		e->v[e->n].code = code;
		va_start(ap, fmt);
		vsnprintf(e->v[e->n].message, sizeof(e->v[e->n].message),
		    fmt, ap);
		va_end(ap);
	}
	e->n++;
}

/* A new NUL-terminated copy of s[0..len), or NULL on allocation failure. */
static char *
dupn(const char *s, size_t len)
{
	char	*p;

	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

/* Narrows s[0..*len) to its part without surrounding white space. */
static const char *
trim(const char *s, size_t *len)
{
	while (*len > 0 && is_space(s[0])) {
		s++;
		(*len)--;
	}
	while (*len > 0 && is_space(s[*len - 1]))
		(*len)--;
	return s;
}

/*
 * Records one received concern: trimmed, matched exactly against the
 * table's choices. An empty value is ignored; an unknown one sets
 * concerns_bad. Never fails.
 */
static enum tl_err
concern_add(struct tl_report *r, const char *value, size_t len)
{
	const struct tl_choice	*c = tl_fields[TL_F_CONCERNS].choices;
	size_t			 i;

	value = trim(value, &len);
	if (len == 0)
		return TL_OK;
	r->nconcerns_raw++;
	for (i = 0; c[i].value != NULL; i++)
		if (strlen(c[i].value) == len &&
		    memcmp(c[i].value, value, len) == 0) {
			r->concerns |= 1u << i;
			return TL_OK;
		}
	r->concerns_bad = 1;
	return TL_OK;
}

/*
 * See report.h. Also refuses, defensively, a value holding NUL
 * (TL_EMALFORMED) or invalid UTF-8 (TL_EUTF8), which callers are meant
 * to have refused already. Concerns set bits in r->concerns; raw[] of
 * TL_F_CONCERNS stays NULL.
 */
enum tl_err
tl_report_set(struct tl_report *r, const char *name, size_t namelen,
    const char *value, size_t len)
{
	int	 f;

	if ((f = tl_field_find(name, namelen)) < 0)
		return TL_OK;
	if (value == NULL)
		value = "";
	if (memchr(value, '\0', len) != NULL)
		return TL_EMALFORMED;
	if (!tl_utf8_valid(value, len))
		return TL_EUTF8;
	if (tl_fields[f].kind == TL_K_MULTI)
		return concern_add(r, value, len);
	if (r->raw[f] != NULL)
		return TL_EREPEATED;
	if ((r->raw[f] = dupn(value, len)) == NULL)
		return TL_ENOMEM;
	return TL_OK;
}

/*
 * Records one member of a JSON object whose key names field f: strings
 * go through tl_report_set(), null means not answered, anything else
 * marks the field in bad_type. Returns TL_OK or TL_ENOMEM.
 */
static enum tl_err
json_field(struct tl_report *r, int f, json_t *val)
{
	const char	*name = tl_fields[f].name;
	json_t		*el;
	size_t		 i;
	enum tl_err	 rc;

	if (json_is_null(val))
		return TL_OK;
	if (tl_fields[f].kind != TL_K_MULTI && json_is_string(val))
		return tl_report_set(r, name, strlen(name),
		    json_string_value(val), json_string_length(val));
	if (tl_fields[f].kind != TL_K_MULTI || !json_is_array(val)) {
		r->bad_type |= 1u << f;
		return TL_OK;
	}
	json_array_foreach(val, i, el) {
		if (!json_is_string(el)) {
			r->bad_type |= 1u << f;
			continue;
		}
		rc = tl_report_set(r, name, strlen(name),
		    json_string_value(el), json_string_length(el));
		if (rc != TL_OK)
			return rc;
	}
	return TL_OK;
}

/*
 * Set when one of jansson's allocations failed on this thread. jansson
 * 2.14 reports out of memory as a syntax error or as no error at all, and
 * its lexer drops a byte it could not save and parses on: only its
 * allocator hook can tell a valid body from a damaged parse.
 */
static _Thread_local int json_oom;
static pthread_once_t json_once = PTHREAD_ONCE_INIT;

static void *
json_alloc(size_t n)
{
	void	*p;

	if ((p = malloc(n)) == NULL)
		json_oom = 1;
	return p;
}

static void
json_alloc_init(void)
{
	json_set_alloc_funcs(json_alloc, free);
}

/*
 * See report.h. A body with a repeated key or a string holding \u0000 is
 * TL_EJSON. A JSON null counts as not answered. On error r may hold part
 * of the body: the caller frees it with tl_report_free() as always.
 */
enum tl_err
tl_report_from_json(struct tl_report *r, const char *body, size_t len)
{
	json_t		*root, *val;
	json_error_t	 jerr;
	const char	*key;
	enum tl_err	 rc = TL_OK;
	int		 f;

	if (!tl_utf8_valid(body, len))
		return TL_EUTF8;
	pthread_once(&json_once, json_alloc_init);
	json_oom = 0;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (json_oom) {		/* even with a root: its text may be cut */
		json_decref(root);
		return TL_ENOMEM;
	}
	if (root == NULL)
		return TL_EJSON;
	if (!json_is_object(root)) {
		rc = TL_EJSON;
		goto out;
	}
	json_object_foreach(root, key, val) {
		if ((f = tl_field_find(key, strlen(key))) < 0)
			continue;
		if ((rc = json_field(r, f, val)) != TL_OK)
			goto out;
	}
out:
	json_decref(root);
	return rc;
}

/*
 * A new copy of s without surrounding white space, with CRLF and lone CR
 * turned into LF. Returns NULL on allocation failure.
 */
static char *
text_clean(const char *s)
{
	size_t	 len = strlen(s), i, n = 0;
	char	*p;

	s = trim(s, &len);
	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '\r') {
			p[n++] = '\n';
			if (i + 1 < len && s[i + 1] == '\n')
				i++;
		} else
			p[n++] = s[i];
	}
	p[n] = '\0';
	return p;
}

/* Returns 1 if s (valid UTF-8) holds a control character (C0, DEL or
 * C1) other than LF and TAB, else 0. */
static int
has_controls(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			return 1;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return 1;
	}
	return 0;
}

/*
 * Joins the n strings of v with "," into a new string. Returns NULL on
 * allocation failure.
 */
static char *
join(const char *const *v, size_t n)
{
	size_t	 i, len = 1, off = 0;
	char	*p;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if ((p = malloc(len)) == NULL)
		return NULL;
	p[0] = '\0';
	for (i = 0; i < n; i++) {
		off += (size_t)snprintf(p + off, len - off, "%s%s",
		    i > 0 ? "," : "", v[i]);
	}
	return p;
}

/* Concerns: one or more known choices. Returns 0, or -1 out of memory. */
static int
check_concerns(struct tl_report *r, struct errs *e)
{
	const struct tl_choice	*c = tl_fields[TL_F_CONCERNS].choices;
	const char		*names[32];
	size_t			 i, n = 0;

	if (r->concerns_bad) {
		err_add(e, TL_F_CONCERNS, "invalid_choice", MSG_CONCERN);
		return 0;
	}
	for (i = 0; c[i].value != NULL && i < 32; i++)
		if (r->concerns & (1u << i))
			names[n++] = c[i].value;
	if (n == 0) {
		err_add(e, TL_F_CONCERNS, "required", "%s",
		    tl_fields[TL_F_CONCERNS].required_msg);
		return 0;
	}
	if ((r->value[TL_F_CONCERNS] = join(names, n)) == NULL)
		return -1;
	return 0;
}

/* Free text of min..max code points; takes *sp on success. */
static int
check_text(struct tl_report *r, enum tl_field f, char **sp,
    struct errs *e)
{
	const struct tl_fielddef	*d = &tl_fields[f];
	size_t				 n;

	n = tl_utf8_count(*sp, strlen(*sp));
	if (n < d->min)
		err_add(e, f, "too_short", MSG_SHORT, d->min, n);
	else if (n > d->max)
		err_add(e, f, "too_long", MSG_LONG, d->max, n);
	else {
		r->value[f] = *sp;
		*sp = NULL;
	}
	return 0;
}

/* One of the field's choices, exactly; takes *sp on success. */
static int
check_choice(struct tl_report *r, enum tl_field f, char **sp,
    struct errs *e)
{
	const struct tl_choice	*c;

	for (c = tl_fields[f].choices; c->value != NULL; c++)
		if (strcmp(c->value, *sp) == 0) {
			r->value[f] = *sp;
			*sp = NULL;
			return 0;
		}
	err_add(e, f, "invalid_choice", MSG_CHOICE);
	return 0;
}

/* A UK postcode or outward code. Returns 0, or -1 out of memory. */
static int
check_postcode(struct tl_report *r, enum tl_field f, const char *s,
    struct errs *e)
{
	char	 pc[16];

	if (tl_postcode_normalise(s, pc, sizeof(pc)) != TL_OK) {
		err_add(e, f, "invalid_format", MSG_POSTCODE);
		return 0;
	}
	if ((r->value[f] = dupn(pc, strlen(pc))) == NULL)
		return -1;
	return 0;
}

/*
 * Adds normalised number num to r->phones unless it is there already.
 * Returns 0, 1 if the list is full, or -1 out of memory.
 */
static int
phone_add(struct tl_report *r, const char *num)
{
	size_t	 i;

	for (i = 0; i < r->nphones; i++)
		if (strcmp(r->phones[i], num) == 0)
			return 0;
	if (r->nphones == TL_MAX_PHONES)
		return 1;
	if ((r->phones[r->nphones] = dupn(num, strlen(num))) == NULL)
		return -1;
	r->nphones++;
	return 0;
}

/* Whether s[0..len) holds anything but what a phone number is written
 * with (digits, '+' and the separators tl_phone_normalise drops). */
static int
phone_other_chars(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((s[i] < '0' || s[i] > '9') &&
		    strchr("+ \t-.()[]", s[i]) == NULL)
			return 1;
	return 0;
}

/*
 * Up to TL_MAX_PHONES numbers separated by ',', ';' or LF; empty items
 * are skipped and duplicates folded. The message for the first number
 * that is not one says whether it holds letters or other characters, or
 * has too few or too many digits. Returns 0, or -1 out of memory.
 */
static int
check_phones(struct tl_report *r, enum tl_field f, const char *s,
    struct errs *e)
{
	char		 num[32];
	size_t		 len, tlen, n = 0, bad = 0;
	int		 full = 0, chars = 0, rc;

	for (; *s != '\0'; s += len + (s[len] != '\0')) {
		len = strcspn(s, ",;\n");
		tlen = len;
		(void)trim(s, &tlen);
		if (tlen == 0)
			continue;
		n++;
		if (tl_phone_normalise(s, len, num, sizeof(num)) != TL_OK) {
			if (bad == 0) {
				bad = n;
				chars = phone_other_chars(s, len);
			}
		} else if ((rc = phone_add(r, num)) == -1)
			return -1;
		else if (rc == 1)
			full = 1;
	}
	if (bad > 0 && n == 1)
		err_add(e, f, "invalid_format", chars ? MSG_PHONE1_CHARS :
		    MSG_PHONE1);
	else if (bad > 0)
		err_add(e, f, "invalid_format", chars ? MSG_PHONEN_CHARS :
		    MSG_PHONEN, bad);
	else if (full)
		err_add(e, f, "too_many", MSG_PHONES, TL_MAX_PHONES);
	else if (r->nphones > 0)
		return (r->value[f] = join((const char *const *)r->phones,
		    r->nphones)) == NULL ? -1 : 0;
	tl_report_clear_phones(r);
	return 0;
}

/*
 * Validates field f into r->value[f], adding at most one error for it.
 * Returns 0, or -1 out of memory.
 */
static int
field_validate(struct tl_report *r, enum tl_field f, struct errs *e)
{
	const struct tl_fielddef	*d = &tl_fields[f];
	char				*s = NULL;
	int				 rc = 0;

	if (r->bad_type & (1u << f)) {
		err_add(e, f, "invalid_format", "%s",
		    d->kind == TL_K_MULTI ? MSG_TYPES : MSG_TYPE);
		return 0;
	}
	if (d->kind == TL_K_MULTI)
		return check_concerns(r, e);
	if (r->raw[f] != NULL && (s = text_clean(r->raw[f])) == NULL)
		return -1;
	if (s == NULL || *s == '\0') {
		if (d->required)
			err_add(e, f, "required", "%s",
			    tl_fields[f].required_msg != NULL ?
			    tl_fields[f].required_msg : MSG_REQUIRED);
	} else if (has_controls(s))
		err_add(e, f, "invalid_characters", MSG_CONTROL);
	else if (d->kind == TL_K_TEXT)
		rc = check_text(r, f, &s, e);
	else if (d->kind == TL_K_CHOICE)
		rc = check_choice(r, f, &s, e);
	else if (d->kind == TL_K_POSTCODE)
		rc = check_postcode(r, f, s, e);
	else if (d->kind == TL_K_PHONES)
		rc = check_phones(r, f, s, e);
	free(s);
	return rc;
}

/* See report.h. On out of memory, sets r->oom and adds an error with the
 * code "store_unavailable", so a caller never stores half a report. */
size_t
tl_report_validate(struct tl_report *r, struct tl_field_error *errs,
    size_t max)
{
	struct errs	 e = { errs, max, 0 };
	int		 f;

	tl_report_clear_values(r);
	for (f = 0; f < TL_F__MAX; f++)
		if (field_validate(r, (enum tl_field)f, &e) == -1) {
			tl_report_clear_values(r);
			r->oom = 1;
			err_add(&e, (enum tl_field)f, "store_unavailable",
			    MSG_NOMEM);
			return e.n;
		}
	for (f = 0; f < TL_F__MAX; f++)
		if (tl_report_urgent_because(r, (enum tl_field)f))
			r->priority = TL_PRIO_URGENT;
	return e.n;
}
