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
 * tiplinectl show and export read the desk's copy of a tip (SPEC 16:
 * the intake row may have been changed by whoever holds the public
 * side). tl_desk_open_copy opens cfg's desk store when it is readable:
 * NULL with why in err (the caller then reads the intake store, and says
 * so).
 */
struct tl_desk_store;
struct tl_store;
struct tl_desk_store *tl_desk_open_copy(const struct tl_config *cfg,
	    char *err, size_t errlen);

/*
 * Writes the desk's copy of ref as `tiplinectl show` does, its delivery
 * from the intake store s (may be NULL); a copy whose intake row changed
 * after ingest is said on stderr. TL_OK, TL_ENOTFOUND, TL_ESEALED (its
 * content did not open at ingest: said on stderr, nothing written),
 * TL_ESTORE (said on stderr), TL_ENOMEM, TL_EIO.
 */
enum tl_err tl_desk_show_copy(struct tl_desk_store *d, struct tl_store *s,
	    const char *ref, int json, FILE *out);

/*
 * Writes the desk's copies of the tips received at or after since as
 * `tiplinectl export` does (JSON Lines, in intake order); a tip whose
 * content did not open at ingest is said on stderr and left out, and the
 * result is then TL_ESEALED. TL_OK, TL_ESTORE (said), TL_ENOMEM, TL_EIO.
 */
enum tl_err tl_desk_export_copy(struct tl_desk_store *d, int64_t since,
	    FILE *out);

/*
 * tiplinectl check's lines about the desk: its heartbeat, from the
 * desk's status file (desk_status_file, SPEC 17), which user tipline can
 * read (a problem, naming the desk and what to run, when there is none or
 * it is older than TL_DESK_STALE_AFTER seconds: the desk is not running,
 * tips are not being taken in and no reminders are sent; it is written
 * only after an ingest round that completed); the ingest lag past the
 * status file's cursors (a problem past alert_urgent_after) and intake
 * rows skipped as unreadable. When this user can read the desk's store
 * too: tips flagged at ingest (changed in the intake store after it, or
 * not opening), and, comparing every tip of the desk with its intake row
 * now (SPEC 16), each one changed since, named. Nothing when neither the
 * desk's store nor its status file exists. Returns the number of
 * problems, written to out.
 */
#define TL_DESK_STALE_AFTER	60
int tl_desk_check(const struct tl_config *cfg, int64_t now, FILE *out);

#endif
