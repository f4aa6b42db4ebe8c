/*
 * json.h — JSON text from jansson that tools splitting lines cannot cut.
 *
 * jansson 2.14 writes U+2028 LINE SEPARATOR and U+2029 PARAGRAPH
 * SEPARATOR raw inside strings (it escapes only '"', '\\', controls and,
 * on request, '/' or everything outside ASCII). Valid JSON, but a tool
 * that splits on Unicode line breaks (JavaScript before ES2019, Python's
 * str.splitlines()) would cut a JSON Lines record in two. These write
 * them as "\u2028" and "\u2029"; every other character stays as jansson
 * wrote it.
 */
#ifndef TL_JSON_H
#define TL_JSON_H

#include <stdio.h>

#include <jansson.h>

#include "tl.h"

/* j as json_dumps(j, flags) writes it, separators escaped. Returns a
 * string the caller frees with free(), or NULL out of memory. */
char		*tl_json_dumps(const json_t *j, size_t flags);

/* Writes j to out as above: TL_OK, TL_ENOMEM or TL_EIO (out failed). */
enum tl_err	 tl_json_dumpf(const json_t *j, size_t flags, FILE *out);

#endif
