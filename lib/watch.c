/*
 * watch.c — the readings that say tips are not reaching staff, and
 * `tiplinectl check`'s judgement of them (SPEC 15). See watch.h.
 *
 * The heartbeat is one row of the heartbeats table; the notifier writes
 * it at most every TL_WATCH_BEAT_EVERY seconds, because every write is a
 * commit on the store's one writer lock, the lock the form needs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "watch.h"

static const char beat_sql[] =
    "INSERT INTO heartbeats (name, at) VALUES ('notifier', ?1)"
    " ON CONFLICT (name) DO UPDATE SET at = excluded.at";

static const char beat_read_sql[] =
    "SELECT at FROM heartbeats WHERE name = 'notifier'";

/* Pending deliveries by urgency: the oldest's creation time. */
static const char oldest_sql[] =
    "SELECT urgent, min(created_at) FROM deliveries"
    " WHERE state = 'pending' GROUP BY urgent";

/* A digest stands for the tips folded into it: count it, not them. */
static const char dead_sql[] =
    "SELECT count(*) FROM deliveries WHERE state = 'dead'"
    " AND acked_at IS NULL AND digest_id IS NULL";

static const char ack_sql[] =
    "UPDATE deliveries SET acked_at = ?1"
    " WHERE state = 'dead' AND acked_at IS NULL AND ("
    "  (?2 IS NULL AND ?3 IS NULL)"
    "  OR tip_id = (SELECT id FROM tips WHERE ref = ?2)"
    "  OR id = (SELECT d.digest_id FROM deliveries d"
    "   JOIN tips t ON t.id = d.tip_id WHERE t.ref = ?2)"
    "  OR webhook_id = ?3"
    "  OR digest_id = (SELECT id FROM deliveries WHERE webhook_id = ?3))";

static const char exists_sql[] =
    "SELECT (SELECT count(*) FROM tips WHERE ref = ?1)"
    " + (SELECT count(*) FROM deliveries WHERE webhook_id = ?2)";

/* Runs a prepared statement to its end: TL_OK or TL_ESTORE. */
static enum tl_err
run1(struct tl_store *s, const char *sql, int64_t v)
{
	sqlite3_stmt	*st;
	enum tl_err	 rc;

	if ((rc = tl_store_ensure(s)) != TL_OK ||
	    (rc = tl_db_prep(s, sql, &st)) != TL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, v);
	rc = tl_db_done(s, sqlite3_step(st), "heartbeat");
	sqlite3_finalize(st);
	return rc;
}

enum tl_err
tl_watch_beat(struct tl_store *s, int64_t now)
{
	return run1(s, beat_sql, now);
}

/* The heartbeat's age into w. */
static enum tl_err
read_beat(struct tl_store *s, int64_t now, struct tl_watch *w)
{
	sqlite3_stmt	*st;
	enum tl_err	 rc;
	int		 r;

	if ((rc = tl_db_prep(s, beat_read_sql, &st)) != TL_OK)
		return rc;
	w->heartbeat_age = -1;
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		w->heartbeat_age = now - sqlite3_column_int64(st, 0);
		if (w->heartbeat_age < 0)
			w->heartbeat_age = 0;
		r = sqlite3_step(st);
	}
	rc = tl_db_done(s, r, "heartbeat");
	sqlite3_finalize(st);
	return rc;
}

/* The oldest pending delivery of each priority into w. */
static enum tl_err
read_oldest(struct tl_store *s, int64_t now, struct tl_watch *w)
{
	sqlite3_stmt	*st;
	enum tl_err	 rc;
	int64_t		 age;
	int		 r;

	if ((rc = tl_db_prep(s, oldest_sql, &st)) != TL_OK)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		age = now - sqlite3_column_int64(st, 1);
		w->oldest_pending[sqlite3_column_int(st, 0) ?
		    TL_PRIO_URGENT : TL_PRIO_NORMAL] = age > 0 ? age : 0;
	}
	rc = tl_db_done(s, r, "oldest pending");
	sqlite3_finalize(st);
	return rc;
}

static enum tl_err
read_dead(struct tl_store *s, struct tl_watch *w)
{
	sqlite3_stmt	*st;
	enum tl_err	 rc;
	int		 r;

	if ((rc = tl_db_prep(s, dead_sql, &st)) != TL_OK)
		return rc;
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		w->dead_unacked = sqlite3_column_int64(st, 0);
		r = sqlite3_step(st);
	}
	rc = tl_db_done(s, r, "dead deliveries");
	sqlite3_finalize(st);
	return rc;
}

enum tl_err
tl_watch_read(struct tl_store *s, int64_t now, struct tl_watch *w)
{
	enum tl_err	 rc;

	memset(w, 0, sizeof(*w));
	w->heartbeat_age = -1;
	if ((rc = tl_store_ensure(s)) != TL_OK ||
	    (rc = read_beat(s, now, w)) != TL_OK ||
	    (rc = read_oldest(s, now, w)) != TL_OK)
		return rc;
	return read_dead(s, w);
}

/* Whether ref or whid names anything: TL_OK, TL_ENOTFOUND, TL_ESTORE. */
static enum tl_err
exists(struct tl_store *s, const char *ref, const char *whid)
{
	sqlite3_stmt	*st;
	enum tl_err	 rc;
	int64_t		 n = 0;
	int		 r;

	if ((rc = tl_db_prep(s, exists_sql, &st)) != TL_OK)
		return rc;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, whid, -1, SQLITE_STATIC);
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		r = sqlite3_step(st);
	}
	rc = tl_db_done(s, r, "acknowledge");
	sqlite3_finalize(st);
	return rc == TL_OK && n == 0 ? TL_ENOTFOUND : rc;
}

enum tl_err
tl_watch_ack(struct tl_store *s, const char *ref, const char *whid,
    int64_t now, int64_t *n)
{
	sqlite3_stmt	*st;
	enum tl_err	 rc;

	*n = 0;
	if ((rc = tl_store_ensure(s)) != TL_OK)
		return rc;
	if ((ref != NULL || whid != NULL) &&
	    (rc = exists(s, ref, whid)) != TL_OK)
		return rc;
	if ((rc = tl_db_prep(s, ack_sql, &st)) != TL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, whid, -1, SQLITE_STATIC);
	if ((rc = tl_db_done(s, sqlite3_step(st), "acknowledge")) == TL_OK)
		*n = sqlite3_changes64(s->db);
	sqlite3_finalize(st);
	return rc;
}

int
tl_watch_say(FILE *out, int ok, const char *fmt, ...)
{
	va_list	 ap;

	fputs(ok ? "ok: " : "error: ", out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	return !ok;
}

static int
judge_beat(const struct tl_config *cfg, const struct tl_watch *w, FILE *out)
{
	if (!tl_config_has_webhook(cfg))
		return 0;
	if (w->heartbeat_age < 0)
		return tl_watch_say(out, 0,
		    "tipline-notify has never run on this "
		    "store: notifications are not being sent (see "
		    "systemctl status tipline-notify and journalctl -u "
		    "tipline-notify)");
	if (w->heartbeat_age > TL_WATCH_STALE_AFTER)
		return tl_watch_say(out, 0,
		    "tipline-notify last ran %llds ago (more "
		    "than %ds): notifications are not being sent (see "
		    "systemctl status tipline-notify and journalctl -u "
		    "tipline-notify)",
		    (long long)w->heartbeat_age, TL_WATCH_STALE_AFTER);
	return tl_watch_say(out, 1, "tipline-notify ran %llds ago",
	    (long long)w->heartbeat_age);
}

int
tl_watch_check(const struct tl_config *cfg, int64_t now, FILE *out)
{
	struct tl_store	*s;
	struct tl_watch	 w;
	char		 err[512];
	int64_t		 u;
	int		 bad = 0;

	if (tl_store_attach(cfg->database, &s, err, sizeof(err)) != TL_OK)
		return 0;	/* check_store() has said so */
	if (tl_watch_read(s, now, &w) != TL_OK) {
		bad = tl_watch_say(out, 0, "deliveries cannot be read: %s",
		    tl_store_errmsg(s));
		tl_store_close(s);
		return bad;
	}
	tl_store_close(s);
	bad += judge_beat(cfg, &w, out);
	u = w.oldest_pending[TL_PRIO_URGENT];
	if (cfg->alert_urgent_after > 0 && u > cfg->alert_urgent_after)
		bad += tl_watch_say(out, 0,
		    "an urgent tip has waited %llds for its "
		    "notification (alert_urgent_after is %lds): see "
		    "tiplinectl deliveries --state pending and journalctl "
		    "-u tipline-notify",
		    (long long)u, cfg->alert_urgent_after);
	else
		tl_watch_say(out, 1, "no urgent notification waiting too long");
	if (w.dead_unacked > 0)
		bad += tl_watch_say(out, 0,
		    "%lld dead deliver%s not acknowledged: "
		    "see tiplinectl deliveries --state dead, then redeliver "
		    "or deliveries --ack", (long long)w.dead_unacked,
		    w.dead_unacked == 1 ? "y" : "ies");
	else
		tl_watch_say(out, 1, "no unacknowledged dead delivery");
	return bad;
}
