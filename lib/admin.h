/*
 * admin.h — what `tiplinectl init` and `tiplinectl check` do (SPEC 7, 8).
 */
#ifndef TL_ADMIN_H
#define TL_ADMIN_H

#include <stdio.h>

#include "config.h"
#include "tl.h"

/*
 * Creates the store's folder, the store and its schema, the form key and
 * the webhook secret when missing (never overwriting a key). Run as root
 * where the users `tipline` and `tipline-notify` exist, it gives them the
 * owners and modes of SPEC 8. Reports on out, errors on stderr.
 * Returns TL_OK, or TL_EIO when any of it failed (what did not fail is
 * still done).
 */
enum tl_err tl_admin_init(const struct tl_config *cfg, FILE *out);

/*
 * Checks the store, templates (with nginx's static error pages), key
 * files, webhook settings and whether tips reach staff (watch.h),
 * printing one line per finding to out. Returns the number of problems
 * found.
 */
int tl_admin_check(const struct tl_config *cfg, FILE *out);

#endif
