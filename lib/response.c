/*
 * response.c — building an HTTP answer with the headers of SPEC 4. See
 * response.h.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "response.h"

#define CSP "default-src 'none'; style-src 'self'; img-src 'self'; " \
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

void
tl_response_init(struct tl_response *res)
{
	res->status = 200;
	tl_buf_init(&res->headers);
	tl_buf_init(&res->body);
}

int
tl_response_ok(const struct tl_response *res)
{
	return tl_buf_ok(&res->headers) && tl_buf_ok(&res->body);
}

void
tl_response_reset(struct tl_response *res)
{
	res->status = 200;
	tl_buf_reset(&res->headers);
	tl_buf_reset(&res->body);
}

void
tl_response_wipe(struct tl_response *res)
{
	res->status = 200;
	tl_buf_wipe(&res->headers);
	tl_buf_wipe(&res->body);
}

void
tl_response_free(struct tl_response *res)
{
	tl_response_wipe(res);
	tl_buf_free(&res->headers);
	tl_buf_free(&res->body);
}

void
tl_response_start(struct tl_response *res, int status, const char *type)
{
	res->status = status;
	tl_buf_puts(&res->headers, "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Referrer-Policy: no-referrer\r\n");
	tl_buf_printf(&res->headers, "Content-Type: %s\r\n", type);
	if (strncmp(type, "text/html", 9) == 0)
		tl_buf_puts(&res->headers,
		    "Content-Security-Policy: " CSP "\r\n");
}

void
tl_response_json_error(struct tl_response *res, int status, enum tl_err err)
{
	json_t	*j;
	char	*s;

	tl_response_start(res, status, "application/json");
	j = json_pack("{s:{s:s,s:s}}", "error", "code", tl_err_code(err),
	    "message", tl_strerror(err));
	s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s == NULL)
		res->body.oom = 1;
	else
		tl_buf_puts(&res->body, s);
	free(s);
	json_decref(j);
}

void
tl_response_finish(struct tl_response *res, int head)
{
	int	 ok;

	/* The length lets nginx pass the body on as it is, not in chunks;
	 * HEAD is told the length GET would have. */
	if (res->headers.len > 0 && tl_buf_ok(&res->body))
		tl_buf_printf(&res->headers, "Content-Length: %zu\r\n",
		    res->body.len);
	ok = tl_response_ok(res);
	if (head)
		tl_buf_reset(&res->body);
	if (!ok) {
		/* Out of memory: a bare answer that needs none. */
		tl_response_free(res);
		res->status = 503;
	}
}

int
tl_media_is(const char *type, const char *mime)
{
	size_t	 n = strlen(mime);

	if (type == NULL || strncasecmp(type, mime, n) != 0)
		return 0;
	return type[n] == '\0' || type[n] == ';' || type[n] == ' ';
}
