/*
 * response.h — an HTTP answer as a FastCGI program of tipline builds it:
 * status, header lines and body, with the headers SPEC 4 puts on every
 * answer. Free of FastCGI and of any one program's routes, so that the
 * public form and the staff desk build their answers the same way.
 */
#ifndef TL_RESPONSE_H
#define TL_RESPONSE_H

#include "buf.h"
#include "tl.h"

/* The answer: status, header lines ("Name: value\r\n"), body. */
struct tl_response {
	int		 status;
	struct tl_buf	 headers;
	struct tl_buf	 body;
};

void tl_response_init(struct tl_response *res);
/* Whether res is whole: no allocation failed while it was built. */
int tl_response_ok(const struct tl_response *res);
/* Empties res for another answer, keeping its memory. */
void tl_response_reset(struct tl_response *res);
void tl_response_free(struct tl_response *res);
/* Overwrites everything res holds (an answer may echo what a person
 * typed: SPEC 11) and empties it, keeping its memory. */
void tl_response_wipe(struct tl_response *res);

/*
 * Sets status and the headers every answer carries (no-store, nosniff,
 * no-referrer), then Content-Type: type, and for HTML the CSP of SPEC 4.
 */
void tl_response_start(struct tl_response *res, int status,
	    const char *type);

/* A JSON {"error": {"code", "message"}} answer with status. */
void tl_response_json_error(struct tl_response *res, int status,
	    enum tl_err err);

/*
 * Ends an answer: adds Content-Length (for HEAD, the length GET has) and
 * empties the body of a HEAD. An answer that ran out of memory becomes a
 * bare 503 that needs none. Never fails.
 */
void tl_response_finish(struct tl_response *res, int head);

#endif
