/*
 * tmpl.h — page templates: text with {{name}} (HTML-escaped) and
 * {{{name}}} (inserted as is: only for fragments this program built and
 * escaped itself). Parsed once at start-up, rendered many times.
 */
#ifndef TL_TMPL_H
#define TL_TMPL_H

#include <stddef.h>

#include "buf.h"
#include "tl.h"

struct tl_tmpl;

struct tl_var {
	const char	*name;
	const char	*value;		/* NULL renders as "" */
};

/*
 * Parses text (len bytes) named name. known is a NULL-terminated list of
 * the variable names the template may use; any other name, or an unclosed
 * "{{", is an error written to err as "name:line: what". Returns TL_OK,
 * TL_ECONFIG or TL_ENOMEM. The caller frees *out with tl_tmpl_free().
 */
enum tl_err tl_tmpl_parse(const char *name, const char *text, size_t len,
	    const char *const *known, struct tl_tmpl **out,
	    char *err, size_t errlen);

/* Reads and parses the file at path; TL_EIO if it cannot be read. */
enum tl_err tl_tmpl_load(const char *path, const char *const *known,
	    struct tl_tmpl **out, char *err, size_t errlen);

/* Appends t to out, taking each variable from vars (nvars entries);
 * {{name}} values pass through tl_buf_html(). */
void tl_tmpl_render(const struct tl_tmpl *t, const struct tl_var *vars,
	    size_t nvars, struct tl_buf *out);

void tl_tmpl_free(struct tl_tmpl *t);

#endif
