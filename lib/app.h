/*
 * app.h — the HTTP behaviour of tipline.fcgi (SPEC 4), free of FastCGI so
 * that tests and fuzzers drive it directly. cgi/main.c only moves bytes
 * between libfcgi and these structures.
 */
#ifndef TL_APP_H
#define TL_APP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "request.h"
#include "response.h"
#include "store.h"
#include "tl.h"

struct tl_app;

/*
 * Builds the application from cfg: loads templates and the form key.
 * Returns TL_OK or an error with the reason in err. cfg must outlive app.
 */
enum tl_err tl_app_new(const struct tl_config *cfg, struct tl_app **out,
	    char *err, size_t errlen);
void tl_app_free(struct tl_app *app);

/*
 * Answers req into res, using store (the calling thread's handle; may be
 * NULL when it could not be opened: the store then counts as failed).
 * Never fails: out of memory becomes a plain 503. Thread-safe.
 */
void tl_app_handle(struct tl_app *app, struct tl_store *store,
	    const struct tl_request *req, struct tl_response *res);

/*
 * Closes the store connection the app keeps for group commit, freeing its
 * cache; the next submission reopens it. Call only when no request is in
 * flight (tests measure memory around it).
 */
void tl_app_idle(struct tl_app *app);

#endif
