/*
 * config.c — reads tipline.conf (SPEC 3): `key = value` lines, `#`
 * comments, defaults, relative paths resolved against the file's folder,
 * every error reported as "file:line: what is wrong".
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"

enum ktype { K_STR, K_PATH, K_OPTPATH, K_LONG, K_SIZE, K_INT,
	K_BASE, K_URL, K_FORMAT, K_SCHED, K_DURATION, K_BOOL, K_LANGS };

struct key {
	const char	*name;
	enum ktype	 type;
	size_t		 off;		/* offset in struct tl_config */
	long		 min, max;	/* numbers */
	const char	*def;		/* default, as text; NULL = none */
};

#define O(f) offsetof(struct tl_config, f)
static const struct key keys[] = {
	{ "database", K_PATH, O(database), 0, 0,
	    "/var/lib/tipline/tipline.db" },
	{ "templates", K_PATH, O(templates), 0, 0,
	    "/usr/local/share/tipline/templates" },
	{ "base_path", K_BASE, O(base_path), 0, 0, "/report" },
	{ "listen", K_OPTPATH, O(listen), 0, 0, NULL },
	{ "threads", K_INT, O(threads), 1, 256, "32" },
	{ "max_body_bytes", K_SIZE, O(max_body_bytes), 1024, 16777216,
	    "65536" },
	{ "form_key_file", K_PATH, O(form_key_file), 0, 0,
	    "/etc/tipline/form.key" },
	{ "staff_public_key_file", K_PATH, O(staff_public_key_file), 0, 0,
	    "/etc/tipline/staff.pub" },
	{ "staff_secret_key_file", K_PATH, O(staff_secret_key_file), 0, 0,
	    "/etc/tipline/staff.key" },
	{ "form_min_seconds", K_LONG, O(form_min_seconds), 0, 3600, "3" },
	{ "form_max_age", K_LONG, O(form_max_age), 60, 31536000, "86400" },
	{ "org_name", K_STR, O(org_name), 0, 0, "Tipline" },
	{ "non_emergency_phone", K_STR, O(non_emergency_phone), 0, 0, "101" },
	{ "emergency_phone", K_STR, O(emergency_phone), 0, 0, "999" },
	{ "textphone", K_STR, O(textphone), 0, 0, "18001 101" },
	{ "phone_knows_ref", K_BOOL, O(phone_knows_ref), 0, 0, "no" },
	{ "languages", K_LANGS, O(languages), 0, 0, "en" },
	{ "webhook_url", K_URL, O(webhook_url), 0, 0, NULL },
	{ "webhook_secret_file", K_PATH, O(webhook_secret_file), 0, 0,
	    "/etc/tipline/webhook.secret" },
	{ "webhook_format", K_FORMAT, O(webhook_format), 0, 0, "standard" },
	{ "webhook_timeout_ms", K_LONG, O(webhook_timeout_ms), 100, 600000,
	    "10000" },
	{ "summary_excerpt_chars", K_LONG, O(summary_excerpt_chars), 0,
	    5000, "0" },
	{ "retry_schedule", K_SCHED, O(retry_schedule), 0, 0,
	    "5s,5m,30m,2h,5h,10h,10h" },
	/* SPEC 17: unset, URGENT_HEAD then retry_schedule's longer waits
	 * (urgent_default()). */
	{ "retry_schedule_urgent", K_SCHED, O(retry_schedule_urgent), 0, 0,
	    NULL },
	{ "poll_ms", K_LONG, O(poll_ms), 10, 3600000, "500" },
	{ "retention_days", K_LONG, O(retention_days), 0, 36500, "365" },
	/* SPEC 17: tipline-backup.service. */
	{ "backup_dir", K_PATH, O(backup_dir), 0, 0, "/var/backups/tipline" },
	{ "backup_keep", K_LONG, O(backup_keep), 1, 1000, "7" },
	/* SPEC 15: nothing fails silently. */
	{ "alert_urgent_after", K_DURATION, O(alert_urgent_after), 0, 0,
	    "5m" },
	{ "digest_after", K_LONG, O(digest_after), 0, 1000000, "30" },
	{ "webhook_url_file", K_OPTPATH, O(webhook_url_file), 0, 0, NULL },
	/* SPEC 11 and 12, as far as SPEC 15 needs them (backup, link). */
	{ "staff_url", K_URL, O(staff_url), 0, 0, NULL },
	{ "staff_database", K_PATH, O(staff_database), 0, 0,
	    "/var/lib/tipline-staff/staff.db" },
	/* The desk (SPEC 12). */
	{ "staff_listen", K_OPTPATH, O(staff_listen), 0, 0, NULL },
	{ "staff_threads", K_INT, O(staff_threads), 1, 64, "2" },
	{ "staff_base_path", K_BASE, O(staff_base_path), 0, 0, "/staff" },
	/* SPEC 17: what the desk says of itself, for tipline-check. */
	{ "desk_status_file", K_PATH, O(desk_status_file), 0, 0,
	    "/var/lib/tipline-desk/status" },
	{ "remind_urgent_after", K_DURATION, O(remind_urgent_after), 0, 0,
	    "15m" },
	/* SPEC 16: the intake store is hostile input. */
	{ "max_sealed_bytes", K_SIZE, O(max_sealed_bytes), 65536, 1073741824,
	    "1048576" },
	/* Follow-up (SPEC 13). */
	{ "followup", K_BOOL, O(followup), 0, 0, "on" },
	{ "followup_concurrency", K_INT, O(followup_concurrency), 1, 64,
	    "1" },
	/* For tests only, never in a shipped config: how long a follow-up
	 * code is held for a resend, and the failure table's entries. */
	{ "test_followup_remember", K_INT, O(test_followup_remember), 1, 300,
	    "300" },
	{ "test_followup_fail_slots", K_INT, O(test_followup_fail_slots), 8,
	    16384, "16384" },

};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

#define CONFIG_MAX	(1024 * 1024)	/* bytes: a larger file is refused */

const char *
tl_config_path(const char *arg)
{
	const char	*env;

	if (arg != NULL)
		return arg;
	env = getenv("TIPLINE_CONFIG");
	if (env != NULL && *env != '\0')
		return env;
	return TL_CONFIG_DEFAULT;
}

void
tl_config_free(struct tl_config *cfg)
{
	free(cfg->path);
	free(cfg->database);
	free(cfg->templates);
	free(cfg->base_path);
	free(cfg->listen);
	free(cfg->form_key_file);
	free(cfg->staff_public_key_file);
	free(cfg->staff_secret_key_file);
	free(cfg->org_name);
	free(cfg->non_emergency_phone);
	free(cfg->emergency_phone);
	free(cfg->textphone);
	free(cfg->languages);
	free(cfg->webhook_url);
	free(cfg->webhook_secret_file);
	free(cfg->webhook_url_file);
	free(cfg->staff_url);
	free(cfg->staff_database);
	free(cfg->staff_listen);
	free(cfg->staff_base_path);
	free(cfg->backup_dir);
	free(cfg->desk_status_file);
	memset(cfg, 0, sizeof(*cfg));
}

/* Parses a whole decimal number in [min, max]: TL_OK or TL_EINVAL. */
static enum tl_err
parse_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (!isdigit((unsigned char)*s))
		return TL_EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return TL_EINVAL;
	*out = v;
	return TL_OK;
}

enum tl_err
tl_config_parse_schedule(const char *s, long *waits, size_t max, size_t *n)
{
	size_t	 i = 0;
	long	 v, mult;
	char	*end;

	while (*s != '\0') {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!isdigit((unsigned char)*s) || i == max)
			return TL_EINVAL;
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno != 0 || v < 0)
			return TL_EINVAL;
		switch (*end) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default: return TL_EINVAL;
		}
		if (v > 365L * 86400 / mult)
			return TL_EINVAL;
		waits[i++] = v * mult;
		s = end + 1;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == ',' && s[1] != '\0')
			s++;
		else if (*s != '\0')
			return TL_EINVAL;
	}
	if (i == 0)
		return TL_EINVAL;
	*n = i;
	return TL_OK;
}

/* Joins dir and a relative path; absolute paths are copied. */
static char *
resolve(const char *dir, const char *val)
{
	struct tl_buf	 b = TL_BUF_INIT;

	if (val[0] == '/' || dir == NULL || *dir == '\0')
		return strdup(val);
	tl_buf_printf(&b, "%s/%s", dir, val);
	if (!tl_buf_ok(&b)) {
		tl_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* Checks a webhook URL: http:// or https://, a host, no spaces. */
static int
url_ok(const char *v)
{
	const char	*host, *p;

	if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else
		return 0;
	if (*host == '\0' || *host == '/' || *host == ':')
		return 0;
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

static const char RANGE[] = "a whole number in range is needed";
static const char URL[] = "must be an http:// or https:// URL";

/*
 * Whether v is a list of language codes: 1 to 8 codes (2 to 8 of a-z
 * and '-') separated by commas, none twice, blanks around commas.
 */
static int
langs_ok(const char *v)
{
	char		 seen[8][9];
	size_t		 n = 0, k, i;

	for (;;) {
		while (*v == ' ' || *v == '\t')
			v++;
		for (k = 0; (v[k] >= 'a' && v[k] <= 'z') || v[k] == '-'; k++)
			;
		if (k < 2 || k > 8 || n == 8)
			return 0;
		for (i = 0; i < n; i++)
			if (strlen(seen[i]) == k && memcmp(seen[i], v, k) == 0)
				return 0;
		memcpy(seen[n], v, k);
		seen[n++][k] = '\0';
		v += k;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v == '\0')
			return 1;
		if (*v++ != ',')
			return 0;
	}
}

/* v without its blanks (a list of languages as langs_ok() allows). */
static char *
langs_dup(const char *v)
{
	char	*p, *o;

	if ((p = o = strdup(v)) == NULL)
		return NULL;
	for (; *v != '\0'; v++)
		if (*v != ' ' && *v != '\t')
			*o++ = *v;
	*o = '\0';
	return p;
}

/*
 * Sets one key from its text value. Returns NULL on success, else a
 * description of what is wrong (static, or "" for out of memory).
 */
static const char *
set_key(struct tl_config *cfg, const struct key *k, const char *dir,
    const char *v)
{
	char	**sp = (char **)((char *)cfg + k->off);
	long	  n;

	switch (k->type) {
	case K_BASE:
		if (*v != '\0' && (v[0] != '/' || v[strlen(v) - 1] == '/' ||
		    strpbrk(v, " \t\r?#%\"'<>\\") != NULL))
			return "base_path must be empty or start with / "
			    "and not end with /";
		/* FALLTHROUGH */
	case K_STR:
		free(*sp);
		return (*sp = strdup(v)) == NULL ? "" : NULL;
	case K_URL:
		if (!url_ok(v))
			return URL;
		free(*sp);
		return (*sp = strdup(v)) == NULL ? "" : NULL;
	case K_PATH:
	case K_OPTPATH:
		if (*v == '\0')
			return "a path is required";
		free(*sp);
		return (*sp = resolve(dir, v)) == NULL ? "" : NULL;
	case K_FORMAT:
		if (strcmp(v, "standard") == 0)
			cfg->webhook_format = TL_WEBHOOK_STANDARD;
		else if (strcmp(v, "slack") == 0)
			cfg->webhook_format = TL_WEBHOOK_SLACK;
		else
			return "webhook_format must be standard or slack";
		return NULL;
	case K_BOOL:
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0 &&
		    strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return "the value must be yes or no (or on or off)";
		*(int *)((char *)cfg + k->off) = strcmp(v, "yes") == 0 ||
		    strcmp(v, "on") == 0;
		return NULL;
	case K_LANGS:
		if (!langs_ok(v))
			return "languages must be language codes (like en,cy), "
			    "separated by commas, each once";
		free(*sp);
		return (*sp = langs_dup(v)) == NULL ? "" : NULL;
	case K_SCHED:
		if (tl_config_parse_schedule(v, (long *)((char *)cfg + k->off),
		    TL_RETRY_MAX, k->off == O(retry_schedule) ?
		    &cfg->retry_count : &cfg->retry_urgent_count) != TL_OK)
			return k->off == O(retry_schedule) ? "retry_schedule "
			    "must be waits like 5s,5m,2h,1d separated by commas"
			    : "retry_schedule_urgent must be waits like "
			    "10s,30s,1m separated by commas";
		return NULL;
	case K_DURATION:
		if (strcmp(v, "0") == 0)
			n = 0;
		else if (tl_config_parse_schedule(v, &n, 1, &(size_t){ 0 })
		    != TL_OK || strchr(v, ',') != NULL)
			return "a time like 30s, 5m or 2h is needed (0: never)";
		*(long *)((char *)cfg + k->off) = n;
		return NULL;
	case K_LONG:
	case K_SIZE:
	case K_INT:
		if (parse_long(v, k->min, k->max, &n) != TL_OK)
			return RANGE;
		if (k->type == K_LONG)
			*(long *)((char *)cfg + k->off) = n;
		else if (k->type == K_SIZE)
			*(size_t *)((char *)cfg + k->off) = (size_t)n;
		else
			*(int *)((char *)cfg + k->off) = (int)n;
		return NULL;
	}
	return "unknown key type";
}

/* Trims blanks (space, tab, CR) at both ends of s in place. */
static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static const struct key *
find_key(const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* The first waits of an urgent tip's schedule when retry_schedule_urgent
 * is not set (SPEC 17). */
static const long urgent_head[] = { 10, 30, 60, 120, 300 };
#define URGENT_HEAD_N	(sizeof(urgent_head) / sizeof(urgent_head[0]))

/* retry_schedule_urgent's default: urgent_head, then every wait of
 * retry_schedule longer than its last (10s,30s,1m,2m,5m,30m,2h,5h,10h,10h
 * with retry_schedule's default), at most TL_RETRY_MAX waits. */
static void
urgent_default(struct tl_config *cfg)
{
	size_t	 i, n = 0;

	for (i = 0; i < URGENT_HEAD_N; i++)
		cfg->retry_schedule_urgent[n++] = urgent_head[i];
	for (i = 0; i < cfg->retry_count && n < TL_RETRY_MAX; i++)
		if (cfg->retry_schedule[i] > urgent_head[URGENT_HEAD_N - 1])
			cfg->retry_schedule_urgent[n++] =
			    cfg->retry_schedule[i];
	cfg->retry_urgent_count = n;
}

const long *
tl_config_retry_waits(const struct tl_config *cfg, int urgent, size_t *n)
{
	*n = urgent ? cfg->retry_urgent_count : cfg->retry_count;
	return urgent ? cfg->retry_schedule_urgent : cfg->retry_schedule;
}

/* Sets every key to its default: TL_OK, or TL_ENOMEM. */
static enum tl_err
set_defaults(struct tl_config *cfg)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (keys[i].def != NULL &&
		    set_key(cfg, &keys[i], NULL, keys[i].def) != NULL)
			return TL_ENOMEM;
	return TL_OK;
}

/*
 * Handles one line (NUL-terminated, modifiable) numbered lineno of file
 * name. seen marks keys already set. Returns TL_OK, or TL_ECONFIG or
 * TL_ENOMEM with "name:line: what is wrong" in err.
 */
static enum tl_err
parse_line(struct tl_config *cfg, const char *name, const char *dir,
    size_t lineno, char *line, unsigned char *seen, char *err, size_t errlen)
{
	char		*eq, *key, *val;
	const struct key *k;
	const char	*why;

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return TL_OK;
	if ((eq = strchr(line, '=')) == NULL) {
		snprintf(err, errlen, "%s:%zu: expected `key = value`",
		    name, lineno);
		return TL_ECONFIG;
	}
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if ((k = find_key(key)) == NULL) {
		snprintf(err, errlen, "%s:%zu: unknown key `%.64s`", name,
		    lineno, key);
		return TL_ECONFIG;
	}
	if (seen[k - keys]) {
		snprintf(err, errlen, "%s:%zu: %s is given twice", name,
		    lineno, k->name);
		return TL_ECONFIG;
	}
	seen[k - keys] = 1;
	if ((why = set_key(cfg, k, dir, val)) == NULL)
		return TL_OK;
	if (*why == '\0') {
		snprintf(err, errlen, "%s: out of memory", name);
		return TL_ENOMEM;
	}
	if (why == URL)
		snprintf(err, errlen, "%s:%zu: %s %s", name, lineno, k->name,
		    URL);
	else if (why == RANGE)
		snprintf(err, errlen, "%s:%zu: %s must be a whole number "
		    "from %ld to %ld", name, lineno, k->name, k->min, k->max);
	else
		snprintf(err, errlen, "%s:%zu: %s", name, lineno, why);
	return TL_ECONFIG;
}

enum tl_err
tl_config_parse(const char *name, const char *dir, const char *text,
    size_t len, struct tl_config *cfg, char *err, size_t errlen)
{
	unsigned char	 seen[NKEYS] = { 0 };
	const char	*p, *end = text + len, *nl;
	char		 line[4096];
	size_t		 lineno = 0, n;
	enum tl_err	 rc = TL_ENOMEM;

	memset(cfg, 0, sizeof(*cfg));
	if (set_defaults(cfg) != TL_OK || (cfg->path = strdup(name)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto out;
	}
	for (p = text; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		rc = TL_ECONFIG;
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "%s:%zu: line too long", name,
			    lineno);
			goto out;
		}
		if (memchr(p, '\0', n) != NULL) {
			snprintf(err, errlen, "%s:%zu: NUL byte", name, lineno);
			goto out;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		rc = parse_line(cfg, name, dir, lineno, line, seen, err,
		    errlen);
		if (rc != TL_OK)
			goto out;
	}
	if (cfg->webhook_url != NULL && cfg->webhook_url_file != NULL) {
		snprintf(err, errlen, "%s: webhook_url and webhook_url_file "
		    "are both set (keep one)", name);
		rc = TL_ECONFIG;
		goto out;
	}
	if (!seen[find_key("retry_schedule_urgent") - keys])
		urgent_default(cfg);
	return TL_OK;
out:
	tl_config_free(cfg);
	return rc;
}

enum tl_err
tl_config_load(const char *path, struct tl_config *cfg, char *err,
    size_t errlen)
{
	struct tl_buf	 text = TL_BUF_INIT;
	char		 dir[PATH_MAX], *slash;
	enum tl_err	 rc;

	memset(cfg, 0, sizeof(*cfg));
	/* Never a file parsed cut short: its last line would be. */
	rc = tl_buf_read_file(&text, path, CONFIG_MAX, err, errlen);
	if (rc == TL_ETOOLARGE) {
		snprintf(err, errlen, "%s: larger than 1 MiB; a config file "
		    "is a few lines", path);
		rc = TL_ECONFIG;
	}
	if (rc != TL_OK) {
		tl_buf_free(&text);
		return rc;
	}
	/* Relative paths in the file are relative to its folder. */
	if (realpath(path, dir) == NULL)
		snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	rc = tl_config_parse(path, dir, text.data ? text.data : "", text.len,
	    cfg, err, errlen);
	tl_buf_free(&text);
	return rc;
}

int
tl_config_has_webhook(const struct tl_config *cfg)
{
	return cfg->webhook_url != NULL || cfg->webhook_url_file != NULL;
}

enum tl_err
tl_config_read_url(const char *path, char **url, char *err, size_t errlen)
{
	FILE	*f;
	char	 line[4096];
	size_t	 n;
	int	 more;

	*url = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return TL_EIO;
	}
	n = fread(line, 1, sizeof(line) - 1, f);
	more = fgetc(f) != EOF;
	fclose(f);
	line[n] = '\0';
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (more || memchr(line, '\0', n) != NULL || !url_ok(line)) {
		snprintf(err, errlen, "%s: must hold one http:// or https:// "
		    "URL on one line", path);
		explicit_bzero(line, sizeof(line));
		return TL_ECONFIG;
	}
	*url = strdup(line);
	explicit_bzero(line, sizeof(line));
	if (*url == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return TL_ENOMEM;
	}
	return TL_OK;
}
