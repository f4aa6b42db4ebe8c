/*
 * desk_admin.c — tiplinectl's work on the desk's store (see
 * desk_admin.h).
 */
#include <sys/stat.h>

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "desk_admin.h"
#include "desk_app.h"
#include "desk_store.h"
#include "json.h"
#include "text.h"
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

int
tl_desk_check(const struct tl_config *cfg, int64_t now, FILE *out)
{
	struct tl_desk_store	*d;
	struct stat		 st;
	char			 err[512];
	int64_t			 at = 0, n = 0;
	int			 bad = 0;

	if (stat(cfg->staff_database, &st) == -1)
		return 0;
	if (tl_desk_store_open(cfg->staff_database, &d, err, sizeof(err)) !=
	    TL_OK)
		return tl_watch_say(out, 0, "the desk's store: %s", err);
	if (tl_desk_heartbeat_at(d, &at) != TL_OK ||
	    tl_desk_flagged(d, &n) != TL_OK)
		bad += tl_watch_say(out, 0, "the desk's store cannot be read: "
		    "%s", tl_desk_store_errmsg(d));
	else if (at == 0 || now - at > TL_DESK_STALE_AFTER)
		bad += tl_watch_say(out, 0, "the desk (tipline-staff.fcgi) %s: "
		    "tips are not being taken in and no reminders are sent",
		    at == 0 ? "has never run" : "has not run for over a minute");
	else
		tl_watch_say(out, 1, "the desk ran %llds ago",
		    (long long)(now - at));
	if (n > 0)
		bad += tl_watch_say(out, 0, "%lld tip%s flagged in the desk "
		    "(changed in the intake store after it was taken in, or "
		    "its sealed content does not open)", (long long)n,
		    n == 1 ? "" : "s");
	tl_desk_store_close(d);
	return bad;
}
