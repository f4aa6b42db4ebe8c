/*
 * admin.c — `tiplinectl init` and `check`: creating and checking what a
 * deployment needs, with the owners and modes of SPEC 8.
 */
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "page.h"
#include "secret.h"
#include "store.h"
#include "token.h"
#include "watch.h"

/* Owners for SPEC 8, known only when root and the users exist. */
struct owners {
	int	 known;
	uid_t	 fcgi, notify;	/* users tipline and tipline-notify */
	gid_t	 group;		/* group tipline */
};

static void
find_owners(struct owners *o)
{
	struct passwd	*a, *b;
	struct group	*g;

	memset(o, 0, sizeof(*o));
	if (geteuid() != 0 || (a = getpwnam("tipline")) == NULL)
		return;
	o->fcgi = a->pw_uid;
	if ((b = getpwnam("tipline-notify")) == NULL ||
	    (g = getgrnam("tipline")) == NULL)
		return;
	o->notify = b->pw_uid;
	o->group = g->gr_gid;
	o->known = 1;
}

/* The folder part of path into dir. */
static void
folder(const char *path, char dir[PATH_MAX])
{
	char	 tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(dir, PATH_MAX, "%s", dirname(tmp));
}

static int
fix(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	if (chown(path, uid, gid) == -1 || chmod(path, mode) == -1) {
		fprintf(stderr, "tiplinectl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Creates a key file if missing; gives it to uid when owners are known. */
static int
make_key(const char *path, const char *content, const struct owners *o,
    uid_t uid, const char *what, FILE *out)
{
	char	 err[PATH_MAX + 64];
	int	 rc;

	if ((rc = tl_secret_create(path, content, 0400, err, sizeof(err)))
	    == -1) {
		fprintf(stderr, "tiplinectl: %s\n", err);
		return -1;
	}
	fprintf(out, "%s %s: %s\n", what, rc ? "created" : "kept", path);
	if (rc && o->known)
		return fix(path, uid, o->group, 0400);
	return 0;
}

/* The store folder, the store, and its files' owners. */
static int
make_store(const struct tl_config *cfg, const struct owners *o, FILE *out)
{
	struct tl_store	*s;
	char		 dir[PATH_MAX], err[512], wal[PATH_MAX + 8];

	folder(cfg->database, dir);
	if (mkdir(dir, o->known ? 02770 : 0750) == 0)
		fprintf(out, "folder created: %s\n", dir);
	else if (errno != EEXIST) {
		fprintf(stderr, "tiplinectl: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (o->known && fix(dir, o->fcgi, o->group, 02770) == -1)
		return -1;
	if (tl_store_open(cfg->database, &s, err, sizeof(err)) != TL_OK) {
		fprintf(stderr, "tiplinectl: %s\n", err);
		return -1;
	}
	tl_store_close(s);
	fprintf(out, "store ready: %s\n", cfg->database);
	if (!o->known)
		return 0;
	snprintf(wal, sizeof(wal), "%s-wal", cfg->database);
	if (access(wal, F_OK) == 0 && fix(wal, o->fcgi, o->group, 0660) == -1)
		return -1;
	return fix(cfg->database, o->fcgi, o->group, 0660);
}

int
tl_admin_init(const struct tl_config *cfg, FILE *out)
{
	struct owners	 o;
	char		 key[66], secret[64];
	int		 rc = 0;

	find_owners(&o);
	if (geteuid() == 0 && !o.known)
		fprintf(out, "note: users tipline and tipline-notify do not "
		    "exist; files keep root's ownership\n");
	if (make_store(cfg, &o, out) == -1)
		rc = -1;
	tl_secret_new_form_key(key);
	if (make_key(cfg->form_key_file, key, &o, o.fcgi, "form key",
	    out) == -1)
		rc = -1;
	tl_secret_new_webhook(secret);
	if (make_key(cfg->webhook_secret_file, secret, &o, o.notify,
	    "webhook secret", out) == -1)
		rc = -1;
	memset(key, 0, sizeof(key));
	memset(secret, 0, sizeof(secret));
	if (rc == 0)
		fprintf(out, "webhook secret file: %s\n",
		    cfg->webhook_secret_file);
	return rc;
}

/* One finding: ok (a fact) or a problem; returns 1 for a problem. */
static int say(FILE *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
say(FILE *out, int ok, const char *fmt, ...)
{
	va_list	 ap;

	fputs(ok ? "ok: " : "error: ", out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	return !ok;
}

/* Mode and owner of path against what SPEC 8 wants, when root. */
static int
check_mode(FILE *out, const char *path, mode_t want, uid_t uid,
    const struct owners *o)
{
	struct stat	 st;
	char		 m[64];

	if (stat(path, &st) == -1)
		return say(out, 0, "%s: %s", path, strerror(errno));
	if ((st.st_mode & 07777) != want) {
		snprintf(m, sizeof(m), "has mode %04o, expected %04o",
		    (unsigned)(st.st_mode & 07777), (unsigned)want);
		return say(out, 0, "%s %s", path, m);
	}
	if (o->known && (st.st_uid != uid || st.st_gid != o->group))
		return say(out, 0, "%s: wrong owner or group (run "
		    "tiplinectl init as root to set them)", path);
	return 0;
}

static int
check_store(const struct tl_config *cfg, FILE *out)
{
	struct tl_store	*s;
	char		 err[512];
	int		 bad;

	if (tl_store_open(cfg->database, &s, err, sizeof(err)) != TL_OK)
		return say(out, 0, "store: %s", err);
	bad = tl_store_health(s) != TL_OK;
	if (bad)
		say(out, 0, "store %s is not writable: %s", cfg->database,
		    tl_store_errmsg(s));
	else
		say(out, 1, "store %s is writable", cfg->database);
	tl_store_close(s);
	return bad;
}

static int
check_keys(const struct tl_config *cfg, const struct owners *o, FILE *out)
{
	uint8_t	 key[TL_SECRET_MAX];
	size_t	 len;
	char	 err[PATH_MAX + 160];
	int	 bad = 0;

	if (tl_token_read_key(cfg->form_key_file, key, err, sizeof(err)) == -1)
		bad += say(out, 0, "form key: %s", err);
	else {
		say(out, 1, "form key %s", cfg->form_key_file);
		bad += check_mode(out, cfg->form_key_file, 0400, o->fcgi, o);
	}
	if (access(cfg->webhook_secret_file, F_OK) == 0 &&
	    access(cfg->webhook_secret_file, R_OK) == -1 && geteuid() != 0)
		say(out, 1, "webhook secret %s exists (readable only by "
		    "tipline-notify)", cfg->webhook_secret_file);
	else if (tl_secret_read(cfg->webhook_secret_file, key, &len, err,
	    sizeof(err)) == -1)
		bad += say(out, 0, "webhook secret: %s", err);
	else {
		say(out, 1, "webhook secret %s", cfg->webhook_secret_file);
		bad += check_mode(out, cfg->webhook_secret_file, 0400,
		    o->notify, o);
	}
	memset(key, 0, sizeof(key));
	return bad;
}

/* webhook_url_file (SPEC 15): a credential, like the webhook secret;
 * its URL is never printed. */
static int
check_url_file(const struct tl_config *cfg, const struct owners *o,
    FILE *out)
{
	const char	*p = cfg->webhook_url_file;

	if (access(p, F_OK) == 0 && access(p, R_OK) == -1 && geteuid() != 0)
		return say(out, 1, "webhook URL file %s exists (readable only "
		    "by tipline-notify)", p);
	if (access(p, R_OK) == -1)
		return say(out, 0, "webhook URL file %s: %s", p,
		    strerror(errno));
	say(out, 1, "webhook URL file %s", p);
	return check_mode(out, p, 0400, o->notify, o);
}

int
tl_admin_check(const struct tl_config *cfg, FILE *out)
{
	struct tl_pages	*p;
	struct owners	 o;
	char		 err[PATH_MAX + 160], dir[PATH_MAX];
	int		 bad = 0;

	find_owners(&o);
	say(out, 1, "config %s", cfg->path);
	if (tl_pages_load(cfg->templates, &p, err, sizeof(err)) != TL_OK)
		bad += say(out, 0, "templates: %s", err);
	else {
		say(out, 1, "templates %s", cfg->templates);
		tl_pages_free(p);
	}
	bad += check_store(cfg, out);
	if (o.known) {
		folder(cfg->database, dir);
		bad += check_mode(out, dir, 02770, o.fcgi, &o);
	}
	bad += check_keys(cfg, &o, out);
	if (cfg->webhook_url_file != NULL)
		bad += check_url_file(cfg, &o, out);
	else if (cfg->webhook_url == NULL)
		say(out, 1, "no webhook_url: notifications stay queued");
	else
		say(out, 1, "webhook %s", cfg->webhook_url);
	bad += tl_watch_check(cfg, (int64_t)time(NULL), out);
	return bad;
}
