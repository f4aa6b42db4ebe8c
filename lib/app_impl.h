/*
 * app_impl.h — what app.c (routing, simple routes) and intake.c (the form
 * and API submissions) share. Not part of the library's interface.
 */
#ifndef TL_APP_IMPL_H
#define TL_APP_IMPL_H

#include <stdatomic.h>

#include "app.h"
#include "commitq.h"
#include "page.h"
#include "token.h"

enum tl_outcome {
	TL_OC_ACCEPTED,
	TL_OC_INVALID,
	TL_OC_MALFORMED,
	TL_OC_SPAM,
	TL_OC_DUPLICATE,
	TL_OC_STORE_ERROR,
	TL_OC__MAX
};

struct tl_app {
	const struct tl_config	*cfg;
	struct tl_pages		*pages;
	struct tl_site		 site;
	uint8_t			 form_key[TL_FORM_KEYBYTES];
	struct tl_buf		 css;		/* the stylesheet */
	struct tl_commitq	*commitq;	/* group commit of tips */
	struct tl_buf		 form;		/* the empty form, rendered once */
	size_t			 form_token_at;	/* where its token goes */
	atomic_ulong		 outcomes[TL_OC__MAX];
	atomic_ulong		 accepted[2];	/* by enum tl_priority */
};

/* Headers every response carries, then the content type (and for HTML,
 * the CSP). */
void tl_app_headers(struct tl_response *res, const char *type);
/* A whole HTML error page with status. */
void tl_app_error_page(struct tl_app *app, struct tl_response *res,
	    int status, const char *heading, const char *message);
/* A JSON {"error": {"code", "message"}} answer with status. */
void tl_app_json_error(struct tl_response *res, int status,
	    enum tl_err err);

void tl_intake_form(struct tl_app *app, struct tl_store *store,
	    const struct tl_request *req, struct tl_response *res);
void tl_intake_api(struct tl_app *app, struct tl_store *store,
	    const struct tl_request *req, struct tl_response *res);

#endif
