/*
 * request.h — one HTTP request as nginx passed it to a FastCGI program of
 * tipline: only the parameters the programs read, never the client's
 * address or any header beyond those named here (SPEC 5.5).
 */
#ifndef TL_REQUEST_H
#define TL_REQUEST_H

#include <stddef.h>
#include <stdint.h>

/* Strings may be NULL when absent. */
struct tl_request {
	const char	*method;	/* REQUEST_METHOD */
	const char	*path;		/* DOCUMENT_URI */
	const char	*content_type;	/* CONTENT_TYPE */
	const char	*idem_key;	/* HTTP_IDEMPOTENCY_KEY */
	const char	*body;		/* what was read, body_len bytes */
	size_t		 body_len;
	int		 too_large;	/* the body exceeded max_body_bytes */
	int64_t		 now;		/* Unix seconds at arrival */
	/* Read by the desk only (SPEC 12). */
	const char	*remote_user;	/* REMOTE_USER: who nginx let in */
	const char	*query;		/* QUERY_STRING */
	const char	*origin;	/* HTTP_ORIGIN */
	const char	*sec_fetch_site; /* HTTP_SEC_FETCH_SITE */
	const char	*sec_fetch_mode; /* HTTP_SEC_FETCH_MODE */
};

/* Whether a request's Content-Type (type, NULL when absent) names mime,
 * with or without parameters: 1 or 0. In response.c. */
int tl_media_is(const char *type, const char *mime);

#endif
