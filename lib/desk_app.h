/*
 * desk_app.h — the HTTP behaviour of tipline-staff.fcgi (SPEC 12), free
 * of FastCGI so that tests drive it directly; staff/main.c only moves
 * bytes between libfcgi and these structures.
 */
#ifndef TL_DESK_APP_H
#define TL_DESK_APP_H

#include <stddef.h>

#include "config.h"
#include "desk_store.h"
#include "request.h"
#include "response.h"
#include "tl.h"

struct tl_desk_app;

/*
 * Builds the desk from cfg: its layout template and stylesheets, the
 * staff secret key (in locked memory, wiped by tl_desk_app_free: a
 * question to the sender is sealed under the key it shares with the
 * sender's) and the CSRF key derived from it. Needs staff_url. Returns
 * TL_OK or an error with the reason in err. cfg must outlive the app.
 */
enum tl_err tl_desk_app_new(const struct tl_config *cfg,
	    struct tl_desk_app **out, char *err, size_t errlen);
void tl_desk_app_free(struct tl_desk_app *app);

/*
 * Answers req into res with d (the calling thread's handle of the desk's
 * store; NULL when it could not be opened: 503). Never fails: out of
 * memory becomes a plain 503. Thread-safe.
 */
void tl_desk_app_handle(struct tl_desk_app *app, struct tl_desk_store *d,
	    const struct tl_request *req, struct tl_response *res);

/* Whether name is a staff name the desk accepts: 1 to 64 characters of
 * A-Z a-z 0-9 . _ @ - (SPEC 12). 1 or 0. */
int tl_desk_name_ok(const char *name);

#endif
