/*
 * json.c — jansson's output with U+2028 and U+2029 escaped (see json.h).
 *
 * Outside strings jansson writes only ASCII, and UTF-8 never starts a
 * character inside another, so each E2 80 A8 / E2 80 A9 in its output is
 * one of these characters inside a string, where "\u2028" means the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

/* Whether p starts with U+2028 or U+2029 in UTF-8. */
static int
separator(const char *p)
{
	return p[0] == '\xe2' && p[1] == '\x80' &&
	    (p[2] == '\xa8' || p[2] == '\xa9');
}

/*
 * json_dump_callback's writer into a tl_buf. The buffer's sticky
 * out-of-memory flag also catches what jansson 2.14 does not: when an
 * object's key cannot be written, json_dumps() leaves it out and goes on,
 * and returns a body that is not JSON.
 */
static int
dump_to_buf(const char *p, size_t n, void *arg)
{
	struct tl_buf	*b = arg;

	tl_buf_add(b, p, n);
	return tl_buf_ok(b) ? 0 : -1;
}

char *
tl_json_dumps(const json_t *j, size_t flags)
{
	struct tl_buf	 b = TL_BUF_INIT;
	char		*s, *out, *o;
	size_t		 len, n = 0, i;

	if (json_dump_callback(j, dump_to_buf, &b, flags) != 0 ||
	    !tl_buf_ok(&b) || b.data == NULL) {
		tl_buf_free(&b);
		return NULL;
	}
	s = b.data;
	len = b.len;
	for (i = 0; i < len; i++)
		n += separator(s + i);
	if (n == 0)
		return s;
	/* Each 3-byte separator becomes 6 bytes. */
	if (n > (SIZE_MAX - len - 1) / 3 ||
	    (out = malloc(len + 3 * n + 1)) == NULL) {
		free(s);
		return NULL;
	}
	for (i = 0, o = out; i < len; i++)
		if (separator(s + i)) {
			memcpy(o, s[i + 2] == '\xa8' ? "\\u2028" : "\\u2029",
			    6);
			o += 6;
			i += 2;
		} else
			*o++ = s[i];
	*o = '\0';
	free(s);
	return out;
}

enum tl_err
tl_json_dumpf(const json_t *j, size_t flags, FILE *out)
{
	char		*s;
	enum tl_err	 err = TL_OK;

	if ((s = tl_json_dumps(j, flags)) == NULL)
		return TL_ENOMEM;
	if (fputs(s, out) == EOF)
		err = TL_EIO;
	free(s);
	return err;
}
