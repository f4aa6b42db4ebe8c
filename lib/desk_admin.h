/*
 * desk_admin.h — what tiplinectl does with the desk's store (SPEC 12):
 * print the audit log, and purge expired tips from it alongside the
 * intake store.
 */
#ifndef TL_DESK_ADMIN_H
#define TL_DESK_ADMIN_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "tl.h"

/*
 * Prints the audit log of cfg's desk store (filtered: ref and user NULL
 * for any, since 0 for all) oldest first: one line an entry (time, name,
 * action, ref or "-", detail, made safe for a terminal), or with json one
 * JSON array. TL_OK; TL_ESTORE with the reason on stderr; TL_EIO.
 */
enum tl_err tl_desk_audit_print(const struct tl_config *cfg, const char *ref,
	    const char *user, int64_t since, int json, FILE *out);

/*
 * Purges the tips received up to cutoff from cfg's desk store (see
 * tl_desk_purge), recording who in its audit log; a desk store that does
 * not exist is nothing to purge. *n: tips deleted. TL_OK or TL_ESTORE
 * (reason on stderr).
 */
enum tl_err tl_desk_purge_store(const struct tl_config *cfg, int64_t cutoff,
	    const char *who, int64_t *n);

/*
 * Records in the desk's audit log that the admin running tiplinectl
 * (as "tiplinectl/<login name>") read tips outside the desk: action
 * "show" with ref, or "export" with detail. Creates the desk's store if
 * needed. TL_OK; TL_ESTORE with the reason on stderr (the caller says
 * whether to go on).
 */
enum tl_err tl_desk_audit_ctl(const struct tl_config *cfg,
	    const char *action, const char *ref, const char *detail);

/*
 * tiplinectl check's lines about the desk: its heartbeat (a problem when
 * older than TL_DESK_STALE_AFTER seconds: tips are not being taken in
 * and no reminders are sent) and tips flagged at ingest (changed in the
 * intake store after it, or not opening). Nothing when no desk store
 * exists. Returns the number of problems, written to out.
 */
#define TL_DESK_STALE_AFTER	60
int tl_desk_check(const struct tl_config *cfg, int64_t now, FILE *out);

#endif
