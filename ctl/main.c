/*
 * tiplinectl — the admin's command line (SPEC 7).
 *
 * A table of commands, each with the options it takes. The command line
 * is parsed and checked whole (dates, numbers, references) before the
 * config is read, so a usage error is always exit 2 with the command's
 * usage line; the work itself is in lib/admin.c and lib/query.c.
 */
#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "backup.h"
#include "backup_rotate.h"
#include "config.h"
#include "date.h"
#include "desk_admin.h"
#include "desk_app.h"
#include "desk_store.h"
#include "query.h"
#include "seal_staff.h"
#include "tip.h"
#include "watch.h"

#define MAX_LIMIT	1000000L	/* --limit */
#define MAX_DAYS	36500L		/* --older-than: 100 years */

enum opt { O_SINCE, O_PRIORITY, O_LIMIT, O_JSON, O_OLDER_THAN, O_DRY_RUN,
	O_STATE, O_DEAD, O_ACK, O_ALL, O_REF, O_USER, O_ROTATE,
	O_INTAKE_ONLY, O__MAX };

/* How an option's value is read. */
enum kind { K_FLAG, K_DATE, K_PRIORITY, K_LIMIT, K_DAYS, K_STATE,
	K_DELIVERY, K_REF, K_USER };

static const struct optdef {
	const char	*name;
	enum kind	 kind;
} optdefs[O__MAX] = {
	[O_SINCE] = { "--since", K_DATE },
	[O_PRIORITY] = { "--priority", K_PRIORITY },
	[O_LIMIT] = { "--limit", K_LIMIT },
	[O_JSON] = { "--json", K_FLAG },
	[O_OLDER_THAN] = { "--older-than", K_DAYS },
	[O_DRY_RUN] = { "--dry-run", K_FLAG },
	[O_STATE] = { "--state", K_STATE },
	[O_DEAD] = { "--dead", K_FLAG },
	[O_ACK] = { "--ack", K_DELIVERY },
	[O_ALL] = { "--all", K_FLAG },
	[O_REF] = { "--ref", K_REF },
	[O_USER] = { "--user", K_USER },
	[O_ROTATE] = { "--rotate", K_FLAG },
	[O_INTAKE_ONLY] = { "--intake-only", K_FLAG },
};

#define OPT(o)	(1u << (o))

/* The command line of one command, checked. */
struct args {
	unsigned	 set;		/* OPT(o): option o given */
	char		 ref[TL_REF_SIZE]; /* REF, canonical, or "" */
	int64_t		 since;		/* TL_SINCE_ALL without --since */
	int		 priority;	/* -1 or enum tl_priority */
	int		 state;		/* -1 or enum tl_outbox_state */
	long		 limit;		/* 0: none */
	long		 days;		/* --older-than */
	char		 ack_ref[TL_REF_SIZE]; /* --ack REF, or "" */
	char		 ack_whid[64];	/* --ack WEBHOOK-ID, or "" */
	const char	*dir;		/* backup, restore: DIR */
	const char	*user;		/* --user NAME */
};

/* The REF argument: none, required, or required unless --dead; or a
 * folder (DIR). */
enum refarg { R_NONE, R_REF, R_REF_OR_DEAD, R_DIR };

struct cmd {
	const char	*name;
	const char	*usage;
	unsigned	 opts;		/* OPT() of the options it takes */
	enum refarg	 ref;
	int		(*run)(const struct tl_config *, const struct args *);
};

static int	cmd_init(const struct tl_config *, const struct args *);
static int	cmd_check(const struct tl_config *, const struct args *);
static int	cmd_list(const struct tl_config *, const struct args *);
static int	cmd_show(const struct tl_config *, const struct args *);
static int	cmd_export(const struct tl_config *, const struct args *);
static int	cmd_purge(const struct tl_config *, const struct args *);
static int	cmd_deliveries(const struct tl_config *, const struct args *);
static int	cmd_redeliver(const struct tl_config *, const struct args *);
static int	cmd_stats(const struct tl_config *, const struct args *);
static int	cmd_backup(const struct tl_config *, const struct args *);
static int	cmd_restore(const struct tl_config *, const struct args *);
static int	cmd_audit(const struct tl_config *, const struct args *);

static const struct cmd cmds[] = {
	{ "init", "init", 0, R_NONE, cmd_init },
	{ "check", "check", 0, R_NONE, cmd_check },
	{ "list", "list [--since DATE] [--priority urgent|normal] "
	    "[--limit N] [--json]", OPT(O_SINCE) | OPT(O_PRIORITY) |
	    OPT(O_LIMIT) | OPT(O_JSON), R_NONE, cmd_list },
	{ "show", "show REF [--json]", OPT(O_JSON), R_REF, cmd_show },
	{ "export", "export [--since DATE]", OPT(O_SINCE), R_NONE,
	    cmd_export },
	{ "purge", "purge [--older-than DAYS] [--dry-run]",
	    OPT(O_OLDER_THAN) | OPT(O_DRY_RUN), R_NONE, cmd_purge },
	{ "deliveries", "deliveries [--state pending|delivered|dead] "
	    "| --ack REF|WEBHOOK-ID | --ack --all",
	    OPT(O_STATE) | OPT(O_ACK) | OPT(O_ALL), R_NONE, cmd_deliveries },
	{ "redeliver", "redeliver REF | --dead", OPT(O_DEAD), R_REF_OR_DEAD,
	    cmd_redeliver },
	{ "stats", "stats [--json]", OPT(O_JSON), R_NONE, cmd_stats },
	{ "backup", "backup DIR [--intake-only] | --rotate",
	    OPT(O_ROTATE) | OPT(O_INTAKE_ONLY), R_DIR,
	    cmd_backup },
	{ "restore", "restore DIR", 0, R_DIR, cmd_restore },
	{ "audit", "audit [--ref REF] [--user NAME] [--since DATE] [--json]",
	    OPT(O_REF) | OPT(O_USER) | OPT(O_SINCE) | OPT(O_JSON), R_NONE,
	    cmd_audit },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int bad(const char *, ...) __attribute__((format(printf, 1, 2)));
static int word(const char *, const char *const *);

/* The command being run, for the advice in errors. */
static const struct cmd *running;

/*
 * The user the command is meant to run as (README, SPEC 8): root for
 * what gives files away or writes the backup folder, tipline-staff for
 * what reads the desk's store or the staff secret key, else tipline.
 */
static const char *
run_as(void)
{
	static const char *const root[] = { "init", "backup", "restore",
		NULL };
	static const char *const staff[] = { "show", "export", "purge",
		"audit", NULL };

	if (running == NULL || word(running->name, root) != -1)
		return "root";
	return word(running->name, staff) != -1 ? "tipline-staff" :
	    "tipline";
}

/* How to run the command as run_as(), for an error's advice. */
static void
say_run_as(void)
{
	const char	*u = run_as();

	if (strcmp(u, "root") == 0)
		fprintf(stderr, "run tiplinectl %s as root", running != NULL ?
		    running->name : "");
	else
		fprintf(stderr, "run it as %s: runuser -u %s -- tiplinectl "
		    "%s", u, u, running != NULL ? running->name : "");
}

/* Says what is wrong with the command line; returns -1. */
static int
bad(const char *fmt, ...)
{
	va_list	 ap;

	fputs("tiplinectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* Reads a whole decimal number in [min, max]: 0, or -1. */
static int
number(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The index of name in list (NULL-terminated), or -1. */
static int
word(const char *name, const char *const *list)
{
	int	 i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(name, list[i]) == 0)
			return i;
	return -1;
}

/* Reads the value v of option o into a: 0, or -1 (said). */
static int
value(enum opt o, const char *v, struct args *a)
{
	static const char *const prios[] = { "normal", "urgent", NULL };
	const char		*n = optdefs[o].name;
	enum tl_outbox_state	 st;

	switch (optdefs[o].kind) {
	case K_DATE:
		if (tl_date_parse(v, &a->since) != TL_OK)
			return bad("%s: `%s` is not a date (YYYY-MM-DD or "
			    "RFC 3339 such as 2026-11-28T04:05:06Z)", n, v);
		return 0;
	case K_PRIORITY:
		if ((a->priority = word(v, prios)) == -1)
			return bad("%s: expected urgent or normal", n);
		return 0;
	case K_LIMIT:
		if (number(v, 1, MAX_LIMIT, &a->limit) == -1)
			return bad("%s: expected a number from 1 to %ld", n,
			    MAX_LIMIT);
		return 0;
	case K_DAYS:
		if (number(v, 0, MAX_DAYS, &a->days) == -1)
			return bad("%s: expected days from 0 to %ld", n,
			    MAX_DAYS);
		return 0;
	case K_STATE:
		if (tl_outbox_state_parse(v, &st) != TL_OK)
			return bad("%s: expected pending, delivered or dead",
			    n);
		a->state = (int)st;
		return 0;
	case K_REF:
		if (tl_ref_parse(v, a->ref) != TL_OK)
			return bad("%s: `%s` is not a reference (like "
			    "TL-7K3M-9QXD)", n, v);
		return 0;
	case K_USER:
		if (!tl_desk_name_ok(v))
			return bad("%s: a staff name is 1 to 64 of A-Z a-z 0-9"
			    " . _ @ -", n);
		a->user = v;
		return 0;
	case K_DELIVERY:
		if (strncmp(v, "msg_", 4) == 0 && strlen(v) < 64 &&
		    strspn(v + 4, "0123456789abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(v + 4)) {
			snprintf(a->ack_whid, sizeof(a->ack_whid), "%s", v);
			return 0;
		}
		if (tl_ref_parse(v, a->ack_ref) != TL_OK)
			return bad("%s: `%s` is neither a reference (like "
			    "TL-7K3M-9QXD) nor a webhook id (msg_…)", n, v);
		return 0;
	case K_FLAG:
		break;
	}
	return bad("%s takes no value", n);
}

/* Reads option argv[*i] (with its value) for command c into a. */
static int
option(const struct cmd *c, int argc, char **argv, int *i, struct args *a)
{
	const char	*arg = argv[*i], *eq, *v;
	size_t		 len;
	int		 o;

	len = (eq = strchr(arg, '=')) != NULL ? (size_t)(eq - arg) :
	    strlen(arg);
	for (o = 0; o < O__MAX; o++)
		if ((c->opts & OPT(o)) && strlen(optdefs[o].name) == len &&
		    strncmp(optdefs[o].name, arg, len) == 0)
			break;
	if (o == O__MAX)
		return bad("%s: unknown option `%.*s`", c->name, (int)len,
		    arg);
	if (a->set & OPT(o))
		return bad("%s given twice", optdefs[o].name);
	a->set |= OPT(o);
	if (optdefs[o].kind == K_FLAG)
		return eq == NULL ? 0 : value(o, eq + 1, a);
	if (eq != NULL)
		v = eq + 1;
	else if (o == O_ACK && *i + 1 < argc &&
	    strcmp(argv[*i + 1], "--all") == 0)
		return 0;	/* --ack --all */
	else if (*i + 1 < argc)
		v = argv[++*i];
	else
		return bad("%s needs a value", optdefs[o].name);
	return value(o, v, a);
}

/* Reads the REF argument. */
static int
refarg(const struct cmd *c, const char *arg, struct args *a)
{
	if (c->ref == R_DIR && a->dir == NULL && *arg != '\0') {
		a->dir = arg;
		return 0;
	}
	if (c->ref == R_NONE || c->ref == R_DIR || a->ref[0] != '\0')
		return bad("%s: unexpected argument `%s`", c->name, arg);
	if (tl_ref_parse(arg, a->ref) != TL_OK)
		return bad("`%s` is not a reference (like TL-7K3M-9QXD)", arg);
	return 0;
}

/* Parses and checks the arguments of command c: 0, or -1 (said). */
static int
parse(const struct cmd *c, int argc, char **argv, struct args *a)
{
	int	 i;

	memset(a, 0, sizeof(*a));
	a->since = TL_SINCE_ALL;
	a->priority = a->state = -1;
	for (i = 1; i < argc; i++)
		if ((strncmp(argv[i], "-", 1) == 0 ?
		    option(c, argc, argv, &i, a) :
		    refarg(c, argv[i], a)) == -1)
			return -1;
	if (c->ref == R_REF && a->ref[0] == '\0')
		return bad("%s: which reference?", c->name);
	/* --rotate names the folder itself (SPEC 17). */
	if (c->ref == R_DIR && (a->dir == NULL) == !(a->set & OPT(O_ROTATE)))
		return bad("%s: %s", c->name, a->dir == NULL ?
		    "which folder?" : "--rotate names the folder itself");
	if ((a->set & OPT(O_ALL)) && !(a->set & OPT(O_ACK)))
		return bad("%s: --all goes with --ack", c->name);
	if ((a->set & OPT(O_ACK)) && ((a->set & OPT(O_ALL)) != 0) ==
	    (a->ack_ref[0] != '\0' || a->ack_whid[0] != '\0'))
		return bad("%s: --ack takes a reference, a webhook id or "
		    "--all (one of them)", c->name);
	if ((a->set & OPT(O_ACK)) && (a->set & OPT(O_STATE)))
		return bad("%s: --ack and --state do not go together",
		    c->name);
	if (c->ref == R_REF_OR_DEAD && (a->ref[0] != '\0') ==
	    ((a->set & OPT(O_DEAD)) != 0))
		return bad("%s: give a reference or --dead (one of them)",
		    c->name);
	return 0;
}

/* Opens the configured store, which must exist: NULL (said) or it. */
static struct tl_store *
open_store(const struct tl_config *cfg)
{
	struct tl_store	*s;
	char		 err[512];

	if (access(cfg->database, F_OK) == -1 && errno != EACCES) {
		fprintf(stderr, "tiplinectl: %s: %s (tiplinectl init, as "
		    "root, creates it; or `database` in %s names another "
		    "path)\n", cfg->database, strerror(errno), cfg->path);
		return NULL;
	}
	if (access(cfg->database, R_OK | W_OK) == -1 && errno == EACCES) {
		fprintf(stderr, "tiplinectl: %s: %s (", cfg->database,
		    strerror(errno));
		say_run_as();
		fputs(", or as root)\n", stderr);
		return NULL;
	}
	if (tl_store_attach(cfg->database, &s, err, sizeof(err)) != TL_OK) {
		fprintf(stderr, "tiplinectl: %s\n", err);
		return NULL;
	}
	return s;
}

/* Closes s, says what failed and checks stdout: the exit status. */
static int
finish(struct tl_store *s, enum tl_err err, const char *what)
{
	if (err != TL_OK)
		fprintf(stderr, "tiplinectl: %s: %s\n", what,
		    err == TL_ESTORE ? tl_store_errmsg(s) : tl_strerror(err));
	tl_store_close(s);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "tiplinectl: %s: writing the output failed "
		    "(is the disk it goes to full?)\n", what);
		return 1;
	}
	return err == TL_OK ? 0 : 1;
}

static int
cmd_init(const struct tl_config *cfg, const struct args *a)
{
	(void)a;
	return tl_admin_init(cfg, stdout) == TL_OK ? 0 : 1;
}

static int
cmd_check(const struct tl_config *cfg, const struct args *a)
{
	int	 n;

	(void)a;
	n = tl_admin_check(cfg, stdout);
	/* The desk's lines here, not in admin.c, which the serving
	 * programs link: they hold nothing of the desk. */
	n += tl_desk_check(cfg, (int64_t)time(NULL), stdout);
	if (n == 0)
		return 0;
	fprintf(stderr, "tiplinectl: check found %d problem%s (each "
	    "`error:` line above says what to do)\n", n, n == 1 ? "" : "s");
	return 1;
}

static int
cmd_list(const struct tl_config *cfg, const struct args *a)
{
	struct tl_list_opts	 o;
	struct tl_store		*s;

	if ((s = open_store(cfg)) == NULL)
		return 1;
	o.since = a->since;
	o.priority = a->priority;
	o.limit = a->limit;
	o.json = (a->set & OPT(O_JSON)) != 0;
	return finish(s, tl_query_list(s, &o, stdout), "list");
}

/*
 * The staff secret key, for the commands that read what people wrote
 * (SPEC 11), or NULL having said which key is needed: never ciphertext
 * printed as if it were text.
 */
static struct tl_seal_secret *
secret_key(const struct tl_config *cfg, const char *what)
{
	struct tl_seal_secret	*sk;
	char			 err[1024];

	if (tl_seal_secret_read(cfg->staff_secret_key_file, &sk, err,
	    sizeof(err)) == TL_OK)
		return sk;
	fprintf(stderr, "tiplinectl: %s needs the staff secret key "
	    "(staff_secret_key_file): %s. Run it as tipline-staff, or as a "
	    "user who can read that key.\n", what, err);
	return NULL;
}

/*
 * The desk's store, for show and export (SPEC 16: its copy is the
 * truth), or NULL having said plainly on stderr that the intake store's
 * copy, which the public side can change, is read instead.
 */
static struct tl_desk_store *
desk_copy(const struct tl_config *cfg, const char *what)
{
	struct tl_desk_store	*d;
	char			 err[512];

	if ((d = tl_desk_open_copy(cfg, err, sizeof(err))) == NULL)
		fprintf(stderr, "tiplinectl: %s: the desk's store cannot be "
		    "read (%s): reading the intake store's copy instead, "
		    "which whoever holds the public side could have "
		    "changed (run it as tipline-staff: runuser -u "
		    "tipline-staff -- tiplinectl %s)\n", what, err, what);
	return d;
}

/* finish() for a command that read the desk's copy: its store's
 * failures were said already. */
static int
finish_copy(struct tl_store *s, enum tl_err err, const char *what)
{
	int	 rc = finish(s, err == TL_ESTORE ? TL_OK : err, what);

	return err == TL_ESTORE ? 1 : rc;
}

static int
cmd_show(const struct tl_config *cfg, const struct args *a)
{
	struct tl_seal_secret	*sk;
	struct tl_desk_store	*d;
	struct tl_store		*s = NULL;
	enum tl_err		 err;
	int			 json = (a->set & OPT(O_JSON)) != 0;

	/* What people wrote is read with the staff secret key only (SPEC
	 * 11), from whichever copy. */
	if ((sk = secret_key(cfg, "show")) == NULL)
		return 1;
	/* A disclosure is recorded before it is made (SPEC 12). */
	tl_desk_audit_ctl(cfg, "show", a->ref, NULL);
	if ((d = desk_copy(cfg, "show")) != NULL) {
		/* The intake store only for the delivery's state. */
		if (access(cfg->database, F_OK) == 0)
			s = open_store(cfg);
		err = tl_desk_show_copy(d, s, a->ref, json, stdout);
		tl_desk_store_close(d);
		if (err != TL_ENOTFOUND) {
			tl_seal_secret_free(sk);
			return finish_copy(s, err, "show");
		}
		tl_store_close(s);
		fprintf(stderr, "tiplinectl: show: the desk has not taken %s "
		    "in: reading the intake store's copy\n", a->ref);
	}
	if ((s = open_store(cfg)) == NULL) {
		tl_seal_secret_free(sk);
		return 1;
	}
	err = tl_query_show(s, sk, a->ref, json, stdout);
	tl_seal_secret_free(sk);
	if (err == TL_ENOTFOUND) {
		fprintf(stderr, "tiplinectl: show: no tip %s (tiplinectl list "
		    "shows the references)\n", a->ref);
		finish(s, TL_OK, "show");
		return 1;
	}
	return finish(s, err, "show");
}

static int
cmd_export(const struct tl_config *cfg, const struct args *a)
{
	struct tl_seal_secret	*sk;
	struct tl_desk_store	*d;
	struct tl_store		*s;
	enum tl_err		 err = TL_OK, rest;
	int64_t			 after = 0;

	if ((sk = secret_key(cfg, "export")) == NULL)
		return 1;
	if ((s = open_store(cfg)) == NULL) {
		tl_seal_secret_free(sk);
		return 1;
	}
	tl_desk_audit_ctl(cfg, "export", NULL, a->since == TL_SINCE_ALL ?
	    "every tip" : "tips since --since");
	/* The desk's copies, then the tips it has not taken in yet (past
	 * its cursor) from the intake store (SPEC 16). */
	if ((d = desk_copy(cfg, "export")) != NULL) {
		err = tl_desk_export_copy(d, a->since, stdout);
		if (err == TL_OK || err == TL_ESEALED)
			err = tl_desk_cursor(d, &after) == TL_OK ? err :
			    TL_ESTORE;
		tl_desk_store_close(d);
		if (err != TL_OK && err != TL_ESEALED) {
			tl_seal_secret_free(sk);
			return finish_copy(s, err, "export");
		}
	}
	rest = tl_query_export_after(s, sk, a->since, after, stdout);
	tl_seal_secret_free(sk);
	return finish(s, rest != TL_OK ? rest : err, "export");
}

/* The desk's half of a purge: 0, or 1 having said why it failed. */
static int
purge_desk(const struct tl_config *cfg, int64_t cutoff)
{
	int64_t	 k;

	return tl_desk_purge_store(cfg, cutoff, "tiplinectl", &k) == TL_OK ?
	    0 : 1;
}

static int
cmd_purge(const struct tl_config *cfg, const struct args *a)
{
	struct tl_store	*s;
	enum tl_err	 err;
	int64_t		 cutoff, n = 0;
	char		 at[21];
	int		 dry = (a->set & OPT(O_DRY_RUN)) != 0, desk = 0;

	cutoff = (int64_t)time(NULL) - 86400 * (int64_t)((a->set &
	    OPT(O_OLDER_THAN)) ? a->days : cfg->retention_days);
	/*
	 * The desk's copies first (SPEC 12, 16): they are the plaintext,
	 * and go whatever the intake store, which tipline.fcgi can write,
	 * does to its own half. Again after it when it deleted tips, for
	 * any the desk took in meanwhile.
	 */
	if (!dry)
		desk = purge_desk(cfg, cutoff);
	if ((s = open_store(cfg)) == NULL) {
		fprintf(stderr, "tiplinectl: purge: the intake store was not "
		    "purged\n");
		return 1;
	}
	err = tl_query_purge(s, cutoff, dry, 0, &n, NULL);
	if (!dry && n > 0)
		desk |= purge_desk(cfg, cutoff);
	tl_time_rfc3339(cutoff, at);
	if (err == TL_OK || n > 0)
		printf("%s %lld tip%s received up to %s\n", dry ?
		    "would delete" : "deleted", (long long)n, n == 1 ? "" : "s",
		    at);
	return finish(s, err, "purge") | desk;
}

/* deliveries --ack (SPEC 15): dead deliveries stop alerting. */
static int
ack(struct tl_store *s, const struct args *a)
{
	enum tl_err	 err;
	int64_t		 n;

	err = tl_watch_ack(s, a->ack_ref[0] != '\0' ? a->ack_ref : NULL,
	    a->ack_whid[0] != '\0' ? a->ack_whid : NULL,
	    (int64_t)time(NULL), &n);
	if (err == TL_ENOTFOUND) {
		fprintf(stderr, "tiplinectl: deliveries: no tip or delivery "
		    "%s (tiplinectl deliveries --state dead lists each "
		    "dead one's reference and webhook id)\n",
		    a->ack_ref[0] != '\0' ? a->ack_ref : a->ack_whid);
		finish(s, TL_OK, "deliveries");
		return 1;
	}
	if (err == TL_OK)
		printf("acknowledged %lld dead deliver%s\n", (long long)n,
		    n == 1 ? "y" : "ies");
	return finish(s, err, "deliveries");
}

static int
cmd_deliveries(const struct tl_config *cfg, const struct args *a)
{
	struct tl_store	*s;

	if ((s = open_store(cfg)) == NULL)
		return 1;
	if (a->set & OPT(O_ACK))
		return ack(s, a);
	return finish(s, tl_query_deliveries(s, a->state, stdout),
	    "deliveries");
}

static int
cmd_redeliver(const struct tl_config *cfg, const struct args *a)
{
	struct tl_store	*s;
	enum tl_err	 err;
	int64_t		 n;

	if ((s = open_store(cfg)) == NULL)
		return 1;
	err = tl_query_redeliver(s, a->ref[0] != '\0' ? a->ref : NULL,
	    (int64_t)time(NULL), &n);
	if (err == TL_ENOTFOUND) {
		fprintf(stderr, "tiplinectl: redeliver: no tip %s (tiplinectl "
		    "deliveries lists each delivery's reference)\n", a->ref);
		finish(s, TL_OK, "redeliver");
		return 1;
	}
	if (err == TL_OK)
		printf("queued %lld deliver%s again\n", (long long)n,
		    n == 1 ? "y" : "ies");
	return finish(s, err, "redeliver");
}

static int
cmd_stats(const struct tl_config *cfg, const struct args *a)
{
	struct tl_store	*s;

	if ((s = open_store(cfg)) == NULL)
		return 1;
	return finish(s, tl_query_stats(s, (a->set & OPT(O_JSON)) != 0,
	    stdout), "stats");
}

static int
cmd_audit(const struct tl_config *cfg, const struct args *a)
{
	return tl_desk_audit_print(cfg, a->ref[0] != '\0' ? a->ref : NULL,
	    a->user, a->since == TL_SINCE_ALL ? 0 : a->since,
	    (a->set & OPT(O_JSON)) != 0, stdout) == TL_OK ? 0 : 1;
}

/*
 * Whether this user can make or fill the backup folder dir: 0, or -1
 * having named the folder it cannot write and its owner, who can (the
 * folder of the timer's backups is 0700 root).
 */
static int
backup_writable(const char *dir)
{
	struct passwd	*pw;
	struct stat	 st;
	char		 tmp[PATH_MAX], *where = tmp;

	snprintf(tmp, sizeof(tmp), "%s", dir);
	if (access(dir, F_OK) == -1)
		where = dirname(tmp);
	if (access(where, W_OK | X_OK) == 0 || errno != EACCES)
		return 0;
	fprintf(stderr, "tiplinectl: backup: %s: %s: ", where,
	    strerror(EACCES));
	if (stat(where, &st) == 0 && (pw = getpwuid(st.st_uid)) != NULL)
		fprintf(stderr, "it is %s's: run tiplinectl backup as %s, "
		    "or give another folder\n", pw->pw_name, pw->pw_name);
	else
		fputs("run tiplinectl backup as root, or give another "
		    "folder\n", stderr);
	return -1;
}

static int
cmd_backup(const struct tl_config *cfg, const struct args *a)
{
	if (a->set & OPT(O_ROTATE))
		return tl_backup_rotate(cfg, (int64_t)time(NULL), stdout) ==
		    TL_OK ? 0 : 1;
	if (backup_writable(a->dir) == -1)
		return 1;
	return tl_backup_take(cfg, a->dir, (a->set & OPT(O_INTAKE_ONLY)) != 0,
	    stdout) == TL_OK ? 0 : 1;
}

static int
cmd_restore(const struct tl_config *cfg, const struct args *a)
{
	return tl_backup_restore(cfg, a->dir, stdout) == TL_OK ? 0 : 1;
}

/*
 * Says that the config at path (given with -c when given) could not be
 * read, why (err), and what to do: name it with -c or TIPLINE_CONFIG
 * when it is not there, run as a user who may read it when that is it.
 */
static void
config_failed(const char *path, int given, const char *err)
{
	const char	*env = getenv("TIPLINE_CONFIG");
	int		 e = access(path, R_OK) == -1 ? errno : 0;

	fprintf(stderr, "tiplinectl: %s", err);
	if (e == ENOENT)
		fprintf(stderr, " (%s: name the config with -c FILE or "
		    "TIPLINE_CONFIG=FILE%s)\n", given ? "-c names no file" :
		    env != NULL && *env != '\0' ? "TIPLINE_CONFIG names no "
		    "file" : "the default config", given || (env != NULL &&
		    *env != '\0') ? "" : ", or install it there as README "
		    "step 3 says");
	else if (e == EACCES) {
		fputs(" (it is readable by root and group tipline only: ",
		    stderr);
		say_run_as();
		fputs(")\n", stderr);
	} else
		fputs(e == 0 ? " (fix that line; tipline.conf(5) lists the "
		    "keys)\n" : "\n", stderr);
}

/* The usage: on stdout and 0 when asked for (-h, --help), else on
 * stderr and 2; the exit status either way. */
static int
usage(int asked)
{
	FILE	*f = asked ? stdout : stderr;
	size_t	 i;

	fprintf(f, "usage: tiplinectl [-c FILE] command [args]\n"
	    "commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %s\n", cmds[i].usage);
	return asked ? 0 : 2;
}

int
main(int argc, char *argv[])
{
	struct tl_config cfg;
	struct args	 a;
	const struct cmd *c = NULL;
	const char	*conf = NULL;
	char		 err[512];
	size_t		 i;
	int		 ch, rc;

	while ((ch = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1)
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'h':
			return usage(1);
		default:
			return usage(0);
		}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage(0);
	for (i = 0; i < NCMDS; i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			c = &cmds[i];
	if (c == NULL) {
		fprintf(stderr, "tiplinectl: unknown command `%s`\n", argv[0]);
		return usage(0);
	}
	for (i = 1; i < (size_t)argc; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			printf("usage: tiplinectl [-c FILE] %s\n", c->usage);
			return 0;
		}
	if (parse(c, argc, argv, &a) == -1) {
		fprintf(stderr, "usage: tiplinectl [-c FILE] %s\n", c->usage);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "tiplinectl: libsodium failed to start\n");
		return 1;
	}
	/* Before any key or tip is read: several commands hold the staff
	 * secret key, the desk's key or what people wrote (SPEC 16). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		fprintf(stderr, "tiplinectl: prctl: %s\n", strerror(errno));
		return 1;
	}
	/* The intake store is written by tipline.fcgi: what it holds runs
	 * no trigger nor view here, nor is followed through a link. */
	tl_store_distrust(1);
	running = c;
	if (tl_config_load(tl_config_path(conf), &cfg, err, sizeof(err))
	    != TL_OK) {
		config_failed(tl_config_path(conf), conf != NULL, err);
		return 1;
	}
	rc = c->run(&cfg, &a);
	tl_config_free(&cfg);
	return rc;
}
