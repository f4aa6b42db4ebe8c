/*
 * desk_admin.c — tiplinectl's work on the desk's store (see
 * desk_admin.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "desk_admin.h"
#include "desk_app.h"
#include "desk_ingest.h"
#include "desk_status.h"
#include "desk_store.h"
#include "json.h"
#include "present.h"
#include "query.h"
#include "text.h"
#include "tip.h"
#include "watch.h"

/* Opens the desk store of cfg, which must exist: NULL (said) or it. */
static struct tl_desk_store *
open_existing(const struct tl_config *cfg)
{
	struct tl_desk_store	*d;
	struct stat		 st;
	char			 err[512];

	if (stat(cfg->staff_database, &st) == -1) {
		fprintf(stderr, "tiplinectl: %s: no desk store (the desk "
		    "creates it when it starts)\n", cfg->staff_database);
		return NULL;
	}
	if (tl_desk_store_open(cfg->staff_database, &d, err, sizeof(err)) !=
	    TL_OK) {
		fprintf(stderr, "tiplinectl: %s\n", err);
		return NULL;
	}
	return d;
}

static const char *
field(json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "-";
}

enum tl_err
tl_desk_audit_print(const struct tl_config *cfg, const char *ref,
    const char *user, int64_t since, int json, FILE *out)
{
	static const char *const keys[] = { "at", "who", "action", "ref",
	    "detail" };
	struct tl_desk_store	*d;
	struct tl_buf		 b = TL_BUF_INIT;
	json_t			*a, *e;
	size_t			 i, k;
	enum tl_err		 rc;

	if ((d = open_existing(cfg)) == NULL)
		return TL_ESTORE;
	if ((rc = tl_desk_audit_list(d, ref, user, since, &a)) != TL_OK) {
		fprintf(stderr, "tiplinectl: audit: %s\n",
		    tl_desk_store_errmsg(d));
		tl_desk_store_close(d);
		return rc;
	}
	tl_desk_store_close(d);
	if (json) {
		rc = tl_json_dumpf(a, JSON_INDENT(1), out);
		fputc('\n', out);
	} else
		json_array_foreach(a, i, e) {
			tl_buf_reset(&b);
			for (k = 0; k < 5; k++) {
				if (k > 0)
					tl_buf_putc(&b, ' ');
				tl_text_line(&b, field(e, keys[k]));
			}
			tl_buf_putc(&b, '\n');
			if (!tl_buf_ok(&b) || fwrite(b.data, 1, b.len, out) !=
			    b.len) {
				rc = TL_EIO;
				break;
			}
		}
	json_decref(a);
	tl_buf_free(&b);
	if (fflush(out) != 0)
		rc = TL_EIO;
	return rc;
}

enum tl_err
tl_desk_purge_store(const struct tl_config *cfg, int64_t cutoff,
    const char *who, int64_t *n)
{
	struct tl_desk_store	*d;
	struct stat		 st;
	size_t			 k = 0;
	enum tl_err		 rc;

	*n = 0;
	if (stat(cfg->staff_database, &st) == -1)
		return TL_OK;
	if ((d = open_existing(cfg)) == NULL)
		return TL_ESTORE;
	rc = tl_desk_purge(d, cutoff, who, (int64_t)time(NULL), NULL, &k);
	if (rc != TL_OK)
		fprintf(stderr, "tiplinectl: purge of the desk's store: %s\n",
		    tl_desk_store_errmsg(d));
	tl_desk_store_close(d);
	*n = (int64_t)k;
	return rc;
}

enum tl_err
tl_desk_audit_ctl(const struct tl_config *cfg, const char *action,
    const char *ref, const char *detail)
{
	struct tl_desk_store	*d;
	struct passwd		*pw = getpwuid(geteuid());
	char			 who[96], err[512];
	enum tl_err		 rc;

	if (pw != NULL && tl_desk_name_ok(pw->pw_name))
		snprintf(who, sizeof(who), "tiplinectl/%s", pw->pw_name);
	else
		snprintf(who, sizeof(who), "tiplinectl/uid-%lu",
		    (unsigned long)geteuid());
	if (tl_desk_store_open(cfg->staff_database, &d, err, sizeof(err)) !=
	    TL_OK) {
		fprintf(stderr, "tiplinectl: %s: not recorded in the desk's "
		    "audit log: %s\n", action, err);
		return TL_ESTORE;
	}
	if ((rc = tl_desk_audit(d, (int64_t)time(NULL), who, action, ref,
	    detail)) != TL_OK)
		fprintf(stderr, "tiplinectl: %s: not recorded in the desk's "
		    "audit log: %s\n", action, tl_desk_store_errmsg(d));
	tl_desk_store_close(d);
	return rc;
}

/* --- show and export from the desk's copy (SPEC 16) ------------------ */

struct tl_desk_store *
tl_desk_open_copy(const struct tl_config *cfg, char *err, size_t errlen)
{
	struct tl_desk_store	*d;

	if (access(cfg->staff_database, R_OK) == -1) {
		snprintf(err, errlen, "%s: %s", cfg->staff_database,
		    strerror(errno));
		return NULL;
	}
	if (tl_desk_store_open(cfg->staff_database, &d, err, errlen) !=
	    TL_OK)
		return NULL;
	return d;
}

/* Says on stderr what a copy cannot show: its content did not open at
 * ingest (TL_ESEALED), or its intake row changed since (TL_OK). */
static enum tl_err
copy_said(const struct tl_tip *t, const struct tl_desk_copy_info *info)
{
	if (info->changed)
		fprintf(stderr, "tiplinectl: %s: its intake row changed after "
		    "the desk took it in; this is the desk's copy, as first "
		    "taken in\n", t->ref);
	if (info->opened)
		return TL_OK;
	fprintf(stderr, "tiplinectl: %s: its sealed content did not open "
	    "when the desk took it in: %s\n", t->ref, info->fault);
	return TL_ESEALED;
}

enum tl_err
tl_desk_show_copy(struct tl_desk_store *d, struct tl_store *s,
    const char *ref, int json, FILE *out)
{
	struct tl_desk_copy_info info;
	struct tl_tip		 t;
	enum tl_err		 rc;

	if ((rc = tl_desk_copy(d, ref, &t, &info)) != TL_OK) {
		if (rc == TL_ESTORE)
			fprintf(stderr, "tiplinectl: show: %s\n",
			    tl_desk_store_errmsg(d));
		return rc;
	}
	if ((rc = copy_said(&t, &info)) == TL_OK)
		rc = tl_query_show_copy(s, &t, json, out);
	tl_tip_free(&t);
	return rc;
}

/* What export carries from tip to tip. */
struct export {
	FILE		*out;
	enum tl_err	 sealed;	/* a tip was left out */
};

/* tl_desk_copy_each's fn: writes one tip, or says why not. */
static enum tl_err
export_one(void *arg, const struct tl_tip *t,
    const struct tl_desk_copy_info *info)
{
	struct export	*x = arg;

	if (copy_said(t, info) != TL_OK) {
		x->sealed = TL_ESEALED;
		return TL_OK;
	}
	return tl_present_export(x->out, t);
}

enum tl_err
tl_desk_export_copy(struct tl_desk_store *d, int64_t since, FILE *out)
{
	struct export	 x = { out, TL_OK };
	enum tl_err	 rc;

	if ((rc = tl_desk_copy_each(d, since, export_one, &x)) == TL_ESTORE)
		fprintf(stderr, "tiplinectl: export: %s\n",
		    tl_desk_store_errmsg(d));
	return rc != TL_OK ? rc : x.sealed;
}

/* --- check ------------------------------------------------------------ */

#define CHECK_NAMED	20	/* changed tips named by check */

/* What check tells the admin to run when the desk is down. */
#define DESK_RUN	"see systemctl status tipline-staff and journalctl -u " \
	"tipline-staff"

/*
 * check's comparison of every tip of the desk d (when this user can read
 * its store) with its intake row, and the ingest lag and skipped rows
 * (SPEC 16) past the cursors of the desk's status file st if it was read
 * (as tipline-check.service, which cannot read the desk's store, sees
 * them; SPEC 17), else of d, on the intake store opened as the desk
 * opens it. The number of problems, said on out.
 */
static int
check_intake(const struct tl_config *cfg, struct tl_desk_store *d,
    const struct tl_desk_status *st, int64_t now, FILE *out)
{
	struct tl_desk_intake	*in = NULL;
	json_t			*changed = json_array();
	char			 err[512];
	int64_t			 key, at, skipped, since, lag, found,
				 back, cutoff;
	size_t			 i, missing = 0, k;
	int			 bad = 0, wrapped = 0;
	enum tl_err		 rc;

	if (changed == NULL || tl_desk_intake_open(cfg->database, &in, err,
	    sizeof(err)) != TL_OK) {
		json_decref(changed);
		return tl_watch_say(out, 0, "the desk's view of the intake "
		    "store cannot be checked: %s", changed == NULL ?
		    "out of memory" : err);
	}
	for (rc = TL_OK; d != NULL && rc == TL_OK && !wrapped; )
		rc = tl_desk_recheck(d, in, 500, now, 0, changed, &wrapped);
	if (rc != TL_OK)
		bad += tl_watch_say(out, 0, "the tips could not all be "
		    "compared with the intake store: %s",
		    tl_desk_intake_errmsg(in));
	for (i = 0; i < json_array_size(changed) && i < CHECK_NAMED; i++)
		bad += tl_watch_say(out, 0, "tip %s changed in the intake "
		    "store after the desk took it in (the desk keeps its "
		    "first copy)", json_string_value(json_array_get(changed,
		    i)));
	if (i < json_array_size(changed))
		bad += tl_watch_say(out, 0, "and %zu more tips changed",
		    json_array_size(changed) - i);
	/* Rows below the cursor the desk lacks (SPEC 16: ids are not
	 * trusted to rise): counted, not taken in; the desk does that. */
	for (rc = TL_OK, wrapped = d == NULL; rc == TL_OK && !wrapped;
	    missing += k)
		rc = tl_desk_sweep(d, in, NULL, 1000, now, 0, &k, &wrapped);
	if (rc != TL_OK)
		bad += tl_watch_say(out, 0, "the intake rows could not all be "
		    "compared with the desk's tips: %s",
		    tl_desk_intake_errmsg(in));
	if (missing > 0)
		bad += tl_watch_say(out, 0, "%zu tip%s in the intake store "
		    "below the desk's ingest cursor %s not been taken in (their "
		    "ids were changed)", missing, missing == 1 ? "" : "s",
		    missing == 1 ? "has" : "have");
	if (d == NULL)
		;	/* the status file's view only: see below */
	else if (tl_desk_ingest_odd(d, &found, &back, &cutoff) != TL_OK)
		bad += tl_watch_say(out, 0, "the desk's store cannot be read: "
		    "%s", tl_desk_store_errmsg(d));
	else {
		if (found > 0)
			bad += tl_watch_say(out, 0, "%lld tip%s found below the "
			    "ingest cursor and taken in late, flagged (the "
			    "intake store's ids were changed)",
			    (long long)found, found == 1 ? " was" : "s were");
		if (back > 0)
			bad += tl_watch_say(out, 0, "the intake store's ids went "
			    "backwards %lld time%s (its sequence set back, or an "
			    "older copy restored); the desk read it again",
			    (long long)back, back == 1 ? "" : "s");
	}
	if (st != NULL) {
		rc = tl_desk_intake_oldest_after(in, st->tip_cursor,
		    st->msg_cursor, &key, &at);
		skipped = st->skipped;
		since = st->pending_since;
	} else if ((rc = tl_desk_intake_oldest(d, in, &key, &at)) == TL_OK)
		rc = tl_desk_ingest_state(d, &skipped, &since);
	if (rc != TL_OK)
		bad += tl_watch_say(out, 0, "the ingest lag cannot be read: "
		    "%s", tl_desk_intake_errmsg(in));
	else {
		/* As the desk counts it: never from a time to come, and
		 * from when the desk first saw the item waiting. */
		if (at > now || at <= 0)
			at = now;
		if (since > 0 && since < at)
			at = since;
		lag = key == 0 ? 0 : now - at;
		if (cfg->alert_urgent_after > 0 &&
		    lag > cfg->alert_urgent_after)
			bad += tl_watch_say(out, 0, "the desk "
			    "(tipline-staff.fcgi) has not taken in a tip or "
			    "message waiting for %llds (more than "
			    "alert_urgent_after, %lds): staff do not see it; "
			    DESK_RUN, (long long)lag, cfg->alert_urgent_after);
		else
			tl_watch_say(out, 1, "ingest lag %llds", (long long)lag);
		if (skipped > 0)
			bad += tl_watch_say(out, 0, "%lld intake row%s could "
			    "not be read and %s skipped (the intake store is "
			    "damaged)", (long long)skipped, skipped == 1 ? "" :
			    "s", skipped == 1 ? "was" : "were");
	}
	tl_desk_intake_close(in);
	json_decref(changed);
	return bad;
}

/*
 * check's line on the desk's heartbeat, from its status file (SPEC 17),
 * which st holds when rc is TL_OK (err says why not otherwise). The
 * number of problems, said on out.
 */
static int
check_heartbeat(const struct tl_config *cfg, enum tl_err rc,
    const struct tl_desk_status *st, const char *err, int64_t now,
    FILE *out)
{
	if (rc == TL_ENOTFOUND)
		return tl_watch_say(out, 0, "the desk (tipline-staff.fcgi) "
		    "has never run: no %s (desk_status_file); tips are not "
		    "being taken in and no reminders are sent; " DESK_RUN,
		    cfg->desk_status_file);
	if (rc != TL_OK)
		return tl_watch_say(out, 0, "the desk's status cannot be "
		    "read: %s (its folder must be readable by group tipline, "
		    "as tipline-check runs); " DESK_RUN, err);
	if (now - st->heartbeat > TL_DESK_STALE_AFTER)
		return tl_watch_say(out, 0, "the desk (tipline-staff.fcgi) "
		    "is not running: no ingest round completed for %llds; "
		    "tips are not being taken in and no reminders are sent; "
		    DESK_RUN, (long long)(now - st->heartbeat));
	tl_watch_say(out, 1, "the desk ran %llds ago",
	    (long long)(now - st->heartbeat));
	return 0;
}

int
tl_desk_check(const struct tl_config *cfg, int64_t now, FILE *out)
{
	struct tl_desk_status	 st;
	struct tl_desk_store	*d = NULL;
	struct stat		 sb;
	char			 err[512];
	int64_t			 n = 0;
	int			 bad = 0, readable;
	enum tl_err		 rc;

	rc = tl_desk_status_read(cfg->desk_status_file, &st, err,
	    sizeof(err));
	/* A store this user cannot even stat (tipline: the folder is
	 * tipline-staff's alone) is a desk: the status file speaks. */
	readable = stat(cfg->staff_database, &sb) == 0;
	if (rc == TL_ENOTFOUND && !readable && errno == ENOENT)
		return 0;	/* no desk here */
	bad += check_heartbeat(cfg, rc, &st, err, now, out);
	if (readable && tl_desk_store_open(cfg->staff_database, &d, err,
	    sizeof(err)) != TL_OK)
		return bad + tl_watch_say(out, 0, "the desk's store: %s", err);
	if (d != NULL && tl_desk_flagged(d, &n) != TL_OK)
		bad += tl_watch_say(out, 0, "the desk's store cannot be read: "
		    "%s", tl_desk_store_errmsg(d));
	if (n > 0)
		bad += tl_watch_say(out, 0, "%lld tip%s flagged in the desk "
		    "(changed in the intake store after it was taken in, or "
		    "its sealed content does not open)", (long long)n,
		    n == 1 ? "" : "s");
	if (d != NULL || rc == TL_OK)
		bad += check_intake(cfg, d, rc == TL_OK ? &st : NULL, now,
		    out);
	tl_desk_store_close(d);
	return bad;
}
