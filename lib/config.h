/*
 * config.h — tipline.conf: `key = value` lines (SPEC 3).
 */
#ifndef TL_CONFIG_H
#define TL_CONFIG_H

#include <stddef.h>

#include "tl.h"

#define TL_CONFIG_DEFAULT "/etc/tipline/tipline.conf"

enum tl_webhook_format { TL_WEBHOOK_STANDARD, TL_WEBHOOK_SLACK };

#define TL_RETRY_MAX 32	/* most waits retry_schedule may hold */

struct tl_config {
	char	*path;			/* the file read */
	char	*database;		/* SQLite path (absolute) */
	char	*templates;		/* folder of templates (absolute) */
	char	*base_path;		/* "" or "/report" (no trailing /) */
	char	*listen;		/* unix socket path or NULL (fd 0) */
	int	 threads;
	size_t	 max_body_bytes;
	char	*form_key_file;
	char	*staff_public_key_file;	/* seals tips (SPEC 11) */
	char	*staff_secret_key_file;	/* opens them: staff only */
	long	 form_min_seconds;
	long	 form_max_age;
	char	*org_name;
	char	*non_emergency_phone;
	char	*emergency_phone;
	char	*textphone;		/* text relay number (SPEC 14) */
	int	 phone_knows_ref;	/* receipt: quote the ref to 101 */
	char	*languages;		/* "en" or "en,cy": codes, first is
					   served at base_path (SPEC 14) */
	char	*webhook_url;		/* NULL: notifications stay queued */
	char	*webhook_secret_file;
	enum tl_webhook_format webhook_format;
	long	 webhook_timeout_ms;
	long	 summary_excerpt_chars;
	long	 retry_schedule[TL_RETRY_MAX]; /* waits in seconds */
	size_t	 retry_count;		/* number of waits */
	long	 retry_schedule_urgent[TL_RETRY_MAX]; /* urgent tips' */
	size_t	 retry_urgent_count;
	long	 poll_ms;
	long	 retention_days;
	char	*backup_dir;		/* tiplinectl backup --rotate */
	long	 backup_keep;		/* backups --rotate keeps */
	/* SPEC 15 (and the keys of SPEC 11 and 12 it needs). */
	long	 alert_urgent_after;	/* seconds; 0: never */
	long	 digest_after;		/* normal tips; 0: no digests */
	char	*webhook_url_file;	/* NULL: webhook_url, if any */
	char	*staff_url;		/* NULL: notifications have no link */
	char	*staff_database;
	/* The desk (SPEC 12). */
	char	*staff_listen;		/* socket of tipline-staff.fcgi, or
					   NULL (fd 0) */
	int	 staff_threads;
	int	 followup;		/* codes on receipts (SPEC 13) */
	int	 followup_concurrency;	/* derivations for follow-up */
	int	 test_followup_remember;	/* tests only: seconds */
	int	 test_followup_fail_slots;	/* tests only */
	char	*staff_base_path;	/* "/staff" (no trailing /) */
	char	*desk_status_file;	/* its heartbeat, for check */
	long	 remind_urgent_after;	/* seconds; 0 = never */
	size_t	 max_sealed_bytes;	/* a tip's blob the desk takes */
};

/*
 * Picks the config path: arg if not NULL, else $TIPLINE_CONFIG if set and
 * not empty, else TL_CONFIG_DEFAULT. Never NULL; not owned by the caller.
 */
const char *tl_config_path(const char *arg);

/*
 * Reads path into cfg (defaults first, then the file). Relative paths in
 * the file are made relative to the file's folder. On error returns
 * TL_ECONFIG (or TL_ENOMEM/TL_EIO) and writes "file:line: what is wrong" to
 * err; cfg is then freed and zeroed. A file over 1 MiB is TL_ECONFIG
 * (never parsed cut short). On success the caller owns cfg and frees it
 * with tl_config_free().
 */
enum tl_err tl_config_load(const char *path, struct tl_config *cfg,
	    char *err, size_t errlen);

/* Same as tl_config_load but from a string; name is used in messages and
 * dir for relative paths. For tests and fuzzing. */
enum tl_err tl_config_parse(const char *name, const char *dir,
	    const char *text, size_t len, struct tl_config *cfg,
	    char *err, size_t errlen);

void tl_config_free(struct tl_config *cfg);

/*
 * Parses a retry schedule such as "5s,5m,30m,2h" into waits in seconds.
 * Returns TL_OK and sets *n, or TL_EINVAL if malformed or over max
 * entries.
 */
enum tl_err tl_config_parse_schedule(const char *s, long *waits,
	    size_t max, size_t *n);

/*
 * The waits between a delivery's attempts: retry_schedule_urgent's for an
 * urgent tip (urgent != 0), else retry_schedule's; their number in *n.
 * Points into cfg.
 */
const long *tl_config_retry_waits(const struct tl_config *cfg, int urgent,
	    size_t *n);

/* Whether notifications are to be sent: webhook_url or webhook_url_file
 * is set. */
int tl_config_has_webhook(const struct tl_config *cfg);

/*
 * Reads the webhook URL from path (webhook_url_file: one line, checked
 * like webhook_url) into a new *url (free()). Returns TL_OK, or TL_EIO /
 * TL_ECONFIG with "path: reason" in err (never the file's text: the URL
 * is a credential).
 */
enum tl_err tl_config_read_url(const char *path, char **url, char *err,
	    size_t errlen);

#endif
