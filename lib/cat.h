/*
 * cat.h — the words people read, one catalogue per language (SPEC 14):
 * templates/lang/LANG.cat. No sentence the public reads is compiled in;
 * the program knows only the catalogue's keys.
 *
 * Format (parsed strictly; any error names file and line):
 *   - UTF-8 text; one `key = value` a line; a line whose first non-blank
 *     character is '#' is a comment; blank lines are ignored.
 *   - key: 1 to 64 of [a-z0-9_]. Every key of tl_cat_key() must be there,
 *     exactly once; a key the program does not know is an error (a typo
 *     would otherwise hide a missing string).
 *   - value: the rest of the line, trimmed; not empty; no control
 *     characters; at most 2000 bytes. `{name}` is a placeholder, name one
 *     of org_name, emergency_phone, non_emergency_phone, textphone, min,
 *     max, count, n; a '{' or '}' that is not part of one is an error.
 *     Placeholders are substituted when the text is written out, their
 *     values escaped for the context like the text around them; in HTML
 *     the phone numbers become tel: links.
 *   - `language_name` is the language's name in itself (Cymraeg), shown
 *     in the links between languages; `catalogue_review` says who
 *     reviewed the catalogue, or that it awaits a native speaker's review.
 */
#ifndef TL_CAT_H
#define TL_CAT_H

#include <stddef.h>

#include "buf.h"
#include "report.h"
#include "tl.h"

struct tl_cat;

/* One placeholder's value: href, when not NULL, makes it a link in HTML. */
struct tl_cat_var {
	const char	*name;
	const char	*value;
	const char	*href;
};

/* How many keys a catalogue holds, and the i-th (sorted; i < count). */
size_t tl_cat_nkeys(void);
const char *tl_cat_key(size_t i);

/*
 * Parses text (len bytes) named name. Returns TL_OK, TL_ECONFIG with
 * "name:line: what" (or "name: missing key `k`") in err, or TL_ENOMEM.
 * The caller frees *out with tl_cat_free().
 */
enum tl_err tl_cat_parse(const char *name, const char *text, size_t len,
	    struct tl_cat **out, char *err, size_t errlen);

/* Reads and parses dir/lang/LANG.cat; TL_EIO if it cannot be read. */
enum tl_err tl_cat_load(const char *dir, const char *lang,
	    struct tl_cat **out, char *err, size_t errlen);

void tl_cat_free(struct tl_cat *c);

/* The value of key (never NULL: a key the program does not know gives
 * the key itself, which tests catch). */
const char *tl_cat_get(const struct tl_cat *c, const char *key);

/*
 * Appends the value of key to out with its placeholders taken from vars
 * (nvars of them; a placeholder without a value is written as nothing).
 * html: the text and values are HTML-escaped and a value with href
 * becomes a link; else they are written as they are.
 */
void tl_cat_put(const struct tl_cat *c, const char *key,
	    const struct tl_cat_var *vars, size_t nvars, int html,
	    struct tl_buf *out);

/* Writes the message of field error e in c's language into out (outlen
 * bytes, cut if need be). */
void tl_cat_field_error(const struct tl_cat *c,
	    const struct tl_field_error *e, char *out, size_t outlen);

#endif
