/*
 * validate.c — receiving, normalising and validating a report (SPEC 5.1,
 * 5.2). Fields arrive through tl_report_set() (the form) or
 * tl_report_from_json() (the API); tl_report_validate() then walks the
 * table in fields.c, fills the normalised values and writes one error a
 * field in words a frightened member of the public can act on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pthread.h>

#include "buf.h"
#include "report.h"
#include "utf8.h"

/* Field errors as they are collected: n counts all, v holds up to max. */
struct errs {
	struct tl_field_error	*v;
	size_t			 max;
	size_t			 n;
};

/*
 * The catalogue keys of the messages (cat.h); each field's own keys are
 * NAME_required (when it is missing), NAME_invalid (a LIST item of the
 * wrong format) and NAME_too_many (too many LIST items).
 */
#define MSG_REQUIRED	"err_required"
#define MSG_SHORT	"err_too_short"		/* {min} {count} */
#define MSG_LONG	"err_too_long"		/* {max} {count} */
#define MSG_ITEM_SHORT	"err_item_short"	/* {n} {min} {count} */
#define MSG_ITEM_LONG	"err_item_long"		/* {n} {max} {count} */
#define MSG_CONTROL	"err_control"
#define MSG_CHOICE	"err_choice"
#define MSG_CONCERN	"err_concern"
#define MSG_POSTCODE	"err_postcode"
#define MSG_PHONE1	"err_phone"
#define MSG_PHONEN	"err_phone_nth"		/* {n} */
#define MSG_PHONE1_CHARS "err_phone_chars"
#define MSG_PHONEN_CHARS "err_phone_chars_nth"	/* {n} */
#define MSG_PHONE_LABEL	"err_phone_label"	/* {n} {max} */
#define MSG_PHONES	"err_phones_many"	/* {max} {count} */
#define MSG_TYPE	"err_type"
#define MSG_TYPES	"err_types"
#define MSG_NOMEM	"err_nomem"

/* The numbers an error's message may name. */
struct nums {
	size_t	 min, max, count, n;
};

/* Records one error for field f with its message's key (key, or
 * the field's name then suffix when key is NULL); only the first max are
 * written. */
static void
err_add(struct errs *e, enum tl_field f, const char *code, const char *key,
    const char *suffix, struct nums v)
{
	struct tl_field_error	*x;

	if (e->n < e->max) {
		x = &e->v[e->n];
		x->field = f;
		x->code = code;
		if (key != NULL)
			snprintf(x->msg, sizeof(x->msg), "%s", key);
		else
			snprintf(x->msg, sizeof(x->msg), "%s_%s",
			    tl_fields[f].name, suffix);
		x->min = v.min;
		x->max = v.max;
		x->count = v.count;
		x->n = v.n;
	}
	e->n++;
}

static const struct nums NONE = { 0, 0, 0, 0 };

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
 * Joins the n strings of v with sep into a new string. Returns NULL on
 * allocation failure.
 */
static char *
join(const char *const *v, size_t n, const char *sep)
{
	size_t	 i, len = 1, off = 0;
	char	*p;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + strlen(sep);
	if ((p = malloc(len)) == NULL)
		return NULL;
	p[0] = '\0';
	for (i = 0; i < n; i++) {
		off += (size_t)snprintf(p + off, len - off, "%s%s",
		    i > 0 ? sep : "", v[i]);
	}
	return p;
}

enum tl_err
tl_text_check(const char *in, size_t len, size_t min, size_t max,
    char **out, const char **code)
{
	char	*raw, *s;
	size_t	 n;

	*out = NULL;
	*code = NULL;
	if (!tl_utf8_valid(in, len) || memchr(in, '\0', len) != NULL) {
		*code = "invalid_encoding";
		return TL_EINVAL;
	}
	if ((raw = dupn(in, len)) == NULL)
		return TL_ENOMEM;
	s = text_clean(raw);
	tl_free_wiped(raw);
	if (s == NULL)
		return TL_ENOMEM;
	n = tl_utf8_count(s, strlen(s));
	*code = n == 0 ? "required" : has_controls(s) ? "invalid_characters" :
	    n < min ? "too_short" : n > max ? "too_long" : NULL;
	if (*code != NULL) {
		tl_free_wiped(s);
		return TL_EINVAL;
	}
	*out = s;
	return TL_OK;
}

/* Concerns: one or more known choices. Returns 0, or -1 out of memory. */
static int
check_concerns(struct tl_report *r, struct errs *e)
{
	const struct tl_choice	*c = tl_fields[TL_F_CONCERNS].choices;
	const char		*names[32];
	size_t			 i, n = 0;

	if (r->concerns_bad) {
		err_add(e, TL_F_CONCERNS, "invalid_choice", MSG_CONCERN, NULL,
		    NONE);
		return 0;
	}
	for (i = 0; c[i].value != NULL && i < 32; i++)
		if (r->concerns & (1u << i))
			names[n++] = c[i].value;
	if (n == 0) {
		err_add(e, TL_F_CONCERNS, "required", NULL, "required", NONE);
		return 0;
	}
	if ((r->value[TL_F_CONCERNS] = join(names, n, ",")) == NULL)
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
		err_add(e, f, "too_short", MSG_SHORT, NULL,
		    (struct nums){ d->min, d->max, n, 0 });
	else if (n > d->max)
		err_add(e, f, "too_long", MSG_LONG, NULL,
		    (struct nums){ d->min, d->max, n, 0 });
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
	err_add(e, f, "invalid_choice", MSG_CHOICE, NULL, NONE);
	return 0;
}

/* A UK postcode or outward code. Returns 0, or -1 out of memory. */
static int
check_postcode(struct tl_report *r, enum tl_field f, const char *s,
    struct errs *e)
{
	char	 pc[16];

	if (tl_postcode_normalise(s, pc, sizeof(pc)) != TL_OK) {
		err_add(e, f, "invalid_format", MSG_POSTCODE, NULL, NONE);
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

/*
 * Up to TL_MAX_PHONES items separated by ',', ';' or LF, each a number,
 * a partial number or either with a label (tl_phone_item_normalise());
 * empty items are skipped and duplicates folded. The message for the
 * first item that is not one says whether it has letters where the
 * number goes, too few or too many digits, or too long a label. Returns
 * 0, or -1 out of memory.
 */
static int
check_phones(struct tl_report *r, enum tl_field f, const char *s,
    struct errs *e)
{
	char		 num[TL_PHONE_ITEM_SIZE];
	size_t		 len, tlen, n = 0, bad = 0;
	int		 full = 0, why = 0, w, rc;

	for (; *s != '\0'; s += len + (s[len] != '\0')) {
		len = strcspn(s, ",;\n");
		tlen = len;
		(void)trim(s, &tlen);
		if (tlen == 0)
			continue;
		n++;
		if (tl_phone_item_normalise(s, len, num, sizeof(num), &w) !=
		    TL_OK) {
			if (bad == 0) {
				bad = n;
				why = w;
			}
		} else if ((rc = phone_add(r, num)) == -1)
			return -1;
		else if (rc == 1)
			full = 1;
	}
	if (bad > 0 && why == 2)
		err_add(e, f, "invalid_format", MSG_PHONE_LABEL, NULL,
		    (struct nums){ 0, TL_PHONE_LABEL_MAX, 0, bad });
	else if (bad > 0)
		err_add(e, f, "invalid_format", n == 1 ?
		    (why ? MSG_PHONE1_CHARS : MSG_PHONE1) :
		    (why ? MSG_PHONEN_CHARS : MSG_PHONEN), NULL,
		    (struct nums){ 0, 0, 0, bad });
	else if (full)
		err_add(e, f, "too_many", MSG_PHONES, NULL,
		    (struct nums){ 0, TL_MAX_PHONES, n, 0 });
	else if (r->nphones > 0)
		return (r->value[f] = join((const char *const *)r->phones,
		    r->nphones, ",")) == NULL ? -1 : 0;
	tl_report_clear_phones(r);
	return 0;
}

/*
 * Checks one item s[0..len) (trimmed, not empty) of LIST field f, the
 * n-th: its length in code points and its format. Returns 1 if it is
 * good, else 0 with the error added.
 */
static int
list_item_ok(enum tl_field f, const char *s, size_t len, size_t n,
    struct errs *e)
{
	const struct tl_fielddef	*d = &tl_fields[f];
	size_t				 cps = tl_utf8_count(s, len);

	if (cps < d->min)
		err_add(e, f, "too_short", MSG_ITEM_SHORT, NULL,
		    (struct nums){ d->min, d->max, cps, n });
	else if (cps > d->max)
		err_add(e, f, "too_long", MSG_ITEM_LONG, NULL,
		    (struct nums){ d->min, d->max, cps, n });
	else if (d->item_ok != NULL && !d->item_ok(s, len))
		err_add(e, f, "invalid_format", NULL, "invalid",
		    (struct nums){ d->min, d->max, cps, n });
	else
		return 1;
	return 0;
}

/*
 * A LIST field (SPEC 14: other_addresses, handles): items split at the
 * field's separators, each trimmed, empty ones skipped; at most .items
 * of them. Its value is the items joined with LF. Returns 0, or -1 out
 * of memory.
 */
static int
check_list(struct tl_report *r, enum tl_field f, const char *s,
    struct errs *e)
{
	const struct tl_fielddef	*d = &tl_fields[f];
	const char			*item;
	char				*p;
	size_t				 len, tlen, n = 0, o = 0, size;

	/* The joined items are never longer than s. */
	size = strlen(s) + 1;
	if ((p = malloc(size)) == NULL)
		return -1;
	for (; *s != '\0'; s += len + (s[len] != '\0')) {
		len = strcspn(s, d->sep);
		tlen = len;
		item = trim(s, &tlen);
		if (tlen == 0 || ++n > d->items)
			continue;
		if (!list_item_ok(f, item, tlen, n, e))
			goto bad;
		if (o > 0)
			p[o++] = '\n';
		memcpy(p + o, item, tlen);
		o += tlen;
	}
	if (n > d->items) {
		err_add(e, f, "too_many", NULL, "too_many",
		    (struct nums){ 0, d->items, n, 0 });
		goto bad;
	}
	p[o] = '\0';
	if (o > 0)
		r->value[f] = p;
	else
		free(p);
	return 0;
bad:
	explicit_bzero(p, size);
	free(p);
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
		err_add(e, f, "invalid_format", d->kind == TL_K_MULTI ?
		    MSG_TYPES : MSG_TYPE, NULL, NONE);
		return 0;
	}
	if (d->kind == TL_K_MULTI)
		return check_concerns(r, e);
	if (r->raw[f] != NULL && (s = text_clean(r->raw[f])) == NULL)
		return -1;
	if (s == NULL || *s == '\0') {
		if (d->required)
			err_add(e, f, "required", d->required_msg ? NULL :
			    MSG_REQUIRED, "required", NONE);
	} else if (has_controls(s))
		err_add(e, f, "invalid_characters", MSG_CONTROL, NULL, NONE);
	else if (d->kind == TL_K_TEXT)
		rc = check_text(r, f, &s, e);
	else if (d->kind == TL_K_CHOICE)
		rc = check_choice(r, f, &s, e);
	else if (d->kind == TL_K_POSTCODE)
		rc = check_postcode(r, f, s, e);
	else if (d->kind == TL_K_PHONES)
		rc = check_phones(r, f, s, e);
	else if (d->kind == TL_K_LIST)
		rc = check_list(r, f, s, e);
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
			    MSG_NOMEM, NULL, NONE);
			return e.n;
		}
	for (f = 0; f < TL_F__MAX; f++)
		if (tl_report_urgent_because(r, (enum tl_field)f))
			r->priority = TL_PRIO_URGENT;
	return e.n;
}
