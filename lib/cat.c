/*
 * cat.c — the catalogues of words (see cat.h): the keys the program
 * needs, built once from a fixed list and the field table, and a strict
 * parser of `key = value` files.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cat.h"
#include "utf8.h"

#define CAT_MAX_BYTES	(256 * 1024)	/* a bigger file is an error */
#define CAT_MAX_KEY	64
#define CAT_MAX_VALUE	2000
#define CAT_MAX_KEYS	512

/* Keys that are not a field's: the pages', the messages', the meta. */
static const char *const page_keys[] = {
	"language_name",
	"catalogue_review",
	"skip_link",
	"languages_label",
	"danger_label",
	"danger_now",
	"non_emergency",
	"textphone_line",
	"footer_privacy",
	"form_heading",
	"form_title_error",
	"form_lead",
	"privacy_heading",
	"privacy_name",
	"privacy_ip",
	"privacy_cookies",
	"privacy_kept",
	"privacy_anon",
	"not_watched",
	"honeypot_label",
	"send_note",
	"send_button",
	"error_summary_title",
	"error_prefix",
	"err_required",
	"err_too_short",
	"err_too_long",
	"err_item_short",
	"err_item_long",
	"err_control",
	"err_choice",
	"err_concern",
	"err_postcode",
	"err_phone",
	"err_phone_nth",
	"err_phone_chars",
	"err_phone_chars_nth",
	"err_phone_label",
	"err_phones_many",
	"err_type",
	"err_types",
	"err_nomem",
	"token_expired",
	"token_too_fast",
	"token_invalid",
	"young_heading",
	"young_help",
	"receipt_title",
	"receipt_ref",
	"receipt_thanks",
	"receipt_next_heading",
	"receipt_next_normal",
	"receipt_next_urgent",
	"receipt_quote",
	"receipt_more",
	"receipt_no_contact",
	"receipt_now_heading",
	"receipt_now_close",
	"receipt_another",
	"error_phones",
	"error_back",
	"page_400_heading",
	"page_400_text",
	"page_413_heading",
	"page_413_text",
	"page_503_heading",
	"page_503_text",
	"page_404_heading",
	"page_404_text",
	"page_405_heading",
	"page_405_text",
	"receipt_code_heading",
	"receipt_code_lead",
	"receipt_code_keep",
	"receipt_code_never",
	"receipt_code_how",
	"receipt_code_link",
	"receipt_code_busy",
	"receipt_code_shown",
	"form_followup",
	"form_followup_link",
	"fu_heading",
	"fu_title_error",
	"fu_lead",
	"fu_ref_label",
	"fu_ref_hint",
	"fu_code_label",
	"fu_code_hint",
	"fu_open_button",
	"fu_lost",
	"fu_conv_heading",
	"fu_conv_ref",
	"fu_no_messages",
	"fu_from_staff",
	"fu_from_you",
	"fu_add_heading",
	"fu_message_label",
	"fu_message_hint",
	"fu_add_button",
	"fu_sent",
	"fu_end_heading",
	"fu_end_text",
	"fu_end_confirm",
	"fu_end_button",
	"fu_ended_heading",
	"fu_ended_text",
	"fu_err_ref",
	"fu_err_code",
	"fu_err_no_match",
	"fu_err_too_many",
	"fu_err_token",
	"fu_err_message",
	"fu_err_message_long",
	"fu_err_message_chars",
	"fu_err_confirm",
	"api_busy",
	"page_503_busy_heading",
	"page_503_busy_text",
	NULL
};

/* Placeholders a value may hold. */
static const char *const placeholders[] = { "org_name", "emergency_phone",
	"non_emergency_phone", "textphone", "min", "max", "count", "n", NULL };

/* Every key, sorted: page_keys then each field's (see keys_build()). */
static const char	*keys[CAT_MAX_KEYS];
static size_t		 nkeys;
static char		 key_names[CAT_MAX_KEYS * 48];
static pthread_once_t	 keys_once = PTHREAD_ONCE_INIT;

struct tl_cat {
	char	*values[CAT_MAX_KEYS];	/* owned, by key index */
};

/* Adds the key prefix_suffix, built into key_names at *off. */
static void
key_add(size_t *off, const char *prefix, const char *suffix)
{
	int	 n;

	n = snprintf(key_names + *off, sizeof(key_names) - *off, "%s_%s",
	    prefix, suffix);
	if (n < 0 || (size_t)n >= sizeof(key_names) - *off ||
	    nkeys == CAT_MAX_KEYS)
		abort();	/* the table outgrew the buffers: a build bug */
	keys[nkeys++] = key_names + *off;
	*off += (size_t)n + 1;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The keys of field d: NAME_label; NAME_hint when it has one;
 * NAME_required when it has its own message; NAME_VALUE for each choice;
 * for a LIST, NAME_too_many, and NAME_invalid when it checks a format.
 */
static void
field_keys(const struct tl_fielddef *d, size_t *off)
{
	const struct tl_choice	*c;

	key_add(off, d->name, "label");
	if (d->hint)
		key_add(off, d->name, "hint");
	if (d->required_msg)
		key_add(off, d->name, "required");
	for (c = d->choices; c != NULL && c->value != NULL; c++)
		key_add(off, d->name, c->value);
	if (d->kind == TL_K_LIST)
		key_add(off, d->name, "too_many");
	if (d->kind == TL_K_LIST && d->item_ok != NULL)
		key_add(off, d->name, "invalid");
}

static void
keys_build(void)
{
	size_t	 i, off = 0;

	for (i = 0; page_keys[i] != NULL; i++)
		keys[nkeys++] = page_keys[i];
	for (i = 0; i < TL_F__MAX; i++)
		field_keys(&tl_fields[i], &off);
	qsort(keys, nkeys, sizeof(keys[0]), key_cmp);
}

size_t
tl_cat_nkeys(void)
{
	pthread_once(&keys_once, keys_build);
	return nkeys;
}

const char *
tl_cat_key(size_t i)
{
	pthread_once(&keys_once, keys_build);
	return i < nkeys ? keys[i] : NULL;
}

/* The index of key s[0..n), or -1. */
static int
key_index(const char *s, size_t n)
{
	size_t	 lo = 0, hi, mid;
	int	 c;

	pthread_once(&keys_once, keys_build);
	hi = nkeys;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strncmp(keys[mid], s, n);
		if (c == 0 && keys[mid][n] != '\0')
			c = 1;
		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void
tl_cat_free(struct tl_cat *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < CAT_MAX_KEYS; i++)
		free(c->values[i]);
	free(c);
}

static int
is_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	    ch == '_';
}

/* The length of the placeholder name at s (after '{'), if known, else 0. */
static size_t
placeholder_len(const char *s, size_t n)
{
	size_t	 i, k;

	for (i = 0; placeholders[i] != NULL; i++) {
		k = strlen(placeholders[i]);
		if (k < n && memcmp(s, placeholders[i], k) == 0 && s[k] == '}')
			return k;
	}
	return 0;
}

/*
 * Checks a value v[0..n): not empty, not too long, valid UTF-8, no
 * control character, every brace part of a known placeholder. Returns
 * NULL, or what is wrong.
 */
static const char *
value_check(const char *v, size_t n)
{
	size_t	 i, k;

	if (n == 0)
		return "empty value";
	if (n > CAT_MAX_VALUE)
		return "value longer than 2000 bytes";
	if (!tl_utf8_valid(v, n))
		return "invalid UTF-8";
	for (i = 0; i < n; i++) {
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f ||
		    ((unsigned char)v[i] == 0xc2 && i + 1 < n &&
		    (unsigned char)v[i + 1] >= 0x80 &&
		    (unsigned char)v[i + 1] <= 0x9f))
			return "control character in value";
		if (v[i] == '}')
			return "`}` outside a placeholder";
		if (v[i] != '{')
			continue;
		if ((k = placeholder_len(v + i + 1, n - i - 1)) == 0)
			return "unknown placeholder (or a lone `{`)";
		i += k + 1;
	}
	return NULL;
}

/* Narrows s[0..*n) to its part without blanks (space, tab, CR) at ends. */
static const char *
trim(const char *s, size_t *n)
{
	while (*n > 0 && (*s == ' ' || *s == '\t' || *s == '\r')) {
		s++;
		(*n)--;
	}
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t' ||
	    s[*n - 1] == '\r'))
		(*n)--;
	return s;
}

/*
 * Handles line p[0..n), numbered lineno. Returns NULL, or what is wrong
 * ("" out of memory).
 */
static const char *
parse_line(struct tl_cat *c, const char *p, size_t n)
{
	const char	*eq, *k, *v, *why;
	size_t		 kn, vn, i;
	int		 idx;

	p = trim(p, &n);
	if (n == 0 || p[0] == '#')
		return NULL;
	if ((eq = memchr(p, '=', n)) == NULL)
		return "expected `key = value`";
	kn = (size_t)(eq - p);
	k = trim(p, &kn);
	vn = n - (size_t)(eq - p) - 1;
	v = trim(eq + 1, &vn);
	if (kn == 0 || kn > CAT_MAX_KEY)
		return "a key is 1 to 64 of a-z, 0-9 and _";
	for (i = 0; i < kn; i++)
		if (!is_key_char(k[i]))
			return "a key is 1 to 64 of a-z, 0-9 and _";
	if ((idx = key_index(k, kn)) < 0)
		return "unknown key";
	if (c->values[idx] != NULL)
		return "key given twice";
	if ((why = value_check(v, vn)) != NULL)
		return why;
	if ((c->values[idx] = strndup(v, vn)) == NULL)
		return "";
	return NULL;
}

enum tl_err
tl_cat_parse(const char *name, const char *text, size_t len,
    struct tl_cat **out, char *err, size_t errlen)
{
	struct tl_cat	*c;
	const char	*p, *end = text + len, *nl, *why;
	size_t		 lineno = 0, i;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto oom;
	if (len > CAT_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes", name,
		    CAT_MAX_BYTES);
		goto bad;
	}
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: NUL byte", name);
		goto bad;
	}
	for (p = text; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((why = parse_line(c, p, (size_t)(nl - p))) == NULL)
			continue;
		if (*why == '\0')
			goto oom;
		snprintf(err, errlen, "%s:%zu: %s", name, lineno, why);
		goto bad;
	}
	for (i = 0; i < tl_cat_nkeys(); i++)
		if (c->values[i] == NULL) {
			snprintf(err, errlen, "%s: missing key `%s`", name,
			    keys[i]);
			goto bad;
		}
	*out = c;
	return TL_OK;
oom:
	snprintf(err, errlen, "%s: out of memory", name);
	tl_cat_free(c);
	return TL_ENOMEM;
bad:
	tl_cat_free(c);
	return TL_ECONFIG;
}

/* Whether lang is a language code: 2 to 8 of a-z and '-'. */
static int
lang_ok(const char *lang)
{
	size_t	 n = strlen(lang), i;

	if (n < 2 || n > 8)
		return 0;
	for (i = 0; i < n; i++)
		if (!((lang[i] >= 'a' && lang[i] <= 'z') || lang[i] == '-'))
			return 0;
	return 1;
}

enum tl_err
tl_cat_load(const char *dir, const char *lang, struct tl_cat **out,
    char *err, size_t errlen)
{
	struct tl_buf	 text = TL_BUF_INIT;
	char		 path[4096];
	enum tl_err	 rc;

	*out = NULL;
	if (!lang_ok(lang)) {
		snprintf(err, errlen, "languages: `%.16s` is not a language "
		    "code (2 to 8 of a-z and -)", lang);
		return TL_ECONFIG;
	}
	snprintf(path, sizeof(path), "%s/lang/%s.cat", dir, lang);
	rc = tl_buf_read_file(&text, path, CAT_MAX_BYTES, err, errlen);
	if (rc == TL_OK || rc == TL_ETOOLARGE)
		/* A file too large is refused by the parser, naming it. */
		rc = tl_cat_parse(path, text.data != NULL ? text.data : "",
		    text.len, out, err, errlen);
	tl_buf_free(&text);
	return rc;
}

const char *
tl_cat_get(const struct tl_cat *c, const char *key)
{
	int	 i = key_index(key, strlen(key));

	return i < 0 || c->values[i] == NULL ? key : c->values[i];
}

/* The var called s[0..n) among vars, or NULL. */
static const struct tl_cat_var *
var_find(const struct tl_cat_var *vars, size_t nvars, const char *s,
    size_t n)
{
	size_t	 i;

	for (i = 0; i < nvars; i++)
		if (strlen(vars[i].name) == n &&
		    memcmp(vars[i].name, s, n) == 0)
			return &vars[i];
	return NULL;
}

/* Appends s[0..n), HTML-escaped when html. */
static void
put_text(struct tl_buf *out, const char *s, size_t n, int html)
{
	if (html)
		tl_buf_html(out, s, n);
	else
		tl_buf_add(out, s, n);
}

void
tl_cat_put(const struct tl_cat *c, const char *key,
    const struct tl_cat_var *vars, size_t nvars, int html,
    struct tl_buf *out)
{
	const char		*v = tl_cat_get(c, key), *b, *e;
	const struct tl_cat_var	*x;

	while ((b = strchr(v, '{')) != NULL &&
	    (e = strchr(b, '}')) != NULL) {
		put_text(out, v, (size_t)(b - v), html);
		x = var_find(vars, nvars, b + 1, (size_t)(e - b - 1));
		if (x != NULL && x->value != NULL) {
			if (html && x->href != NULL) {
				tl_buf_puts(out, "<a href=\"");
				tl_buf_html_str(out, x->href);
				tl_buf_puts(out, "\">");
			}
			put_text(out, x->value, strlen(x->value), html);
			if (html && x->href != NULL)
				tl_buf_puts(out, "</a>");
		}
		v = e + 1;
	}
	put_text(out, v, strlen(v), html);
}

void
tl_cat_field_error(const struct tl_cat *c, const struct tl_field_error *e,
    char *out, size_t outlen)
{
	struct tl_buf		 b = TL_BUF_INIT;
	char			 num[4][24];
	struct tl_cat_var	 v[4] = {
		{ "min", num[0], NULL }, { "max", num[1], NULL },
		{ "count", num[2], NULL }, { "n", num[3], NULL } };

	snprintf(num[0], sizeof(num[0]), "%zu", e->min);
	snprintf(num[1], sizeof(num[1]), "%zu", e->max);
	snprintf(num[2], sizeof(num[2]), "%zu", e->count);
	snprintf(num[3], sizeof(num[3]), "%zu", e->n);
	tl_cat_put(c, e->msg, v, 4, 0, &b);
	if (outlen > 0)
		snprintf(out, outlen, "%s", tl_buf_ok(&b) && b.data != NULL ?
		    b.data : "");
	tl_buf_free(&b);
}
