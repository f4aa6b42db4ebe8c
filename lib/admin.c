/*
 * admin.c — `tiplinectl init` and `check`: creating and checking what a
 * deployment needs, with the owners and modes of SPEC 8.
 */
#include <sys/stat.h>
#include <dirent.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "page.h"
#include "seal_staff.h"
#include "secret.h"
#include "store.h"
#include "token.h"
#include "watch.h"

/* Owners for SPEC 8, known only when root and the users exist. */
struct owners {
	int	 known;
	uid_t	 fcgi, notify;	/* users tipline and tipline-notify */
	gid_t	 group;		/* group tipline */
	int	 staff_known;
	uid_t	 staff;		/* user tipline-staff (SPEC 11, 12) */
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
	if ((a = getpwnam("tipline-staff")) != NULL) {
		o->staff = a->pw_uid;
		o->staff_known = 1;
	}
}

/*
 * Says on stderr that path failed with errno, and what to do: init gives
 * files to other users, which only root can.
 */
static void
say_errno(const char *path)
{
	int	 e = errno;

	fprintf(stderr, "tiplinectl: %s: %s%s\n", path, strerror(e),
	    e == EACCES || e == EPERM || e == EROFS ? (geteuid() != 0 ?
	    " (run tiplinectl init as root)" : " (is it on a read-only "
	    "or immutable file system?)") : "");
}

/* Says err, a "PATH: reason" of a key or store, with what to do when the
 * reason is a permission. */
static void
say_err(const char *err)
{
	fprintf(stderr, "tiplinectl: %s%s\n", err,
	    strstr(err, strerror(EACCES)) != NULL && geteuid() != 0 ?
	    " (run tiplinectl init as root)" : "");
}

/* The folder part of path into dir. */
static void
folder(const char *path, char dir[PATH_MAX])
{
	char	 tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(dir, PATH_MAX, "%s", dirname(tmp));
}

/*
 * Gives the file (or, with dir, the folder) at path to uid:gid with mode,
 * through a descriptor opened without following a symbolic link: init
 * runs as root, and a link put where a file should be (the store's
 * folder is writable by the service users) must be refused, never
 * followed. A file must be a plain file with one link, or a hard link
 * would give another file away. Returns TL_OK, TL_ENOTFOUND when nothing
 * is at path, or TL_EIO (said).
 */
static enum tl_err
fix(const char *path, int dir, uid_t uid, gid_t gid, mode_t mode)
{
	struct stat	 st;
	enum tl_err	 rc = TL_EIO;
	int		 fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    (dir ? O_DIRECTORY : 0));
	if (fd == -1 && errno == ENOENT)
		return TL_ENOTFOUND;
	if (fd == -1 && errno == ELOOP)
		fprintf(stderr, "tiplinectl: %s: a symbolic link: refused "
		    "(remove it, then run tiplinectl init again)\n", path);
	else if (fd == -1)
		say_errno(path);
	else if (fstat(fd, &st) == -1)
		say_errno(path);
	else if (dir ? !S_ISDIR(st.st_mode) :
	    !S_ISREG(st.st_mode) || st.st_nlink != 1)
		fprintf(stderr, "tiplinectl: %s: not a %s: refused (move it "
		    "away, then run tiplinectl init again)\n", path,
		    dir ? "folder" : "plain file with one link");
	else if (fchown(fd, uid, gid) == -1 || fchmod(fd, mode) == -1)
		say_errno(path);
	else
		rc = TL_OK;
	if (fd != -1)
		close(fd);
	return rc;
}

/* Creates a key file if missing (never through a symbolic link); gives
 * it, made now or kept, to uid when owners are known. TL_OK, or TL_EIO
 * (said). */
static enum tl_err
make_key(const char *path, const char *content, const struct owners *o,
    uid_t uid, const char *what, FILE *out)
{
	char	 err[PATH_MAX + 64];
	int	 created;

	if (tl_secret_create(path, content, 0400, &created, err,
	    sizeof(err)) != TL_OK) {
		say_err(err);
		return TL_EIO;
	}
	fprintf(out, "%s %s: %s\n", what, created ? "created" : "kept",
	    path);
	/* A kept key too: its users may have been made since. */
	if (o->known)
		return fix(path, 0, uid, o->group, 0400);
	return TL_OK;
}

/*
 * The staff key pair (SPEC 11): made when neither file exists, never
 * overwritten; a missing public key is written again from the secret
 * one; a public key alone is kept (the secret one may live elsewhere).
 * The secret key is 0400 tipline-staff, the public one 0444, a kept
 * secret key given to tipline-staff too (the desk, which runs as it,
 * must read it). Its public key into pk. TL_OK, or TL_EIO (said).
 */
static enum tl_err
make_staff_keys(const struct tl_config *cfg, const struct owners *o,
    uint8_t pk[TL_SEAL_KEYBYTES], FILE *out)
{
	struct tl_seal_secret	*sk = NULL;
	const char		*pub = cfg->staff_public_key_file;
	const char		*sec = cfg->staff_secret_key_file;
	char			 err[PATH_MAX + 128] = "out of memory";
	uid_t			 uid = o->staff_known ? o->staff : (uid_t)-1;
	gid_t			 gid = o->known ? o->group : (gid_t)-1;
	enum tl_err		 rc = TL_EIO;
	int			 has_pub = access(pub, F_OK) == 0;
	int			 has_sec = access(sec, F_OK) == 0;

	if (has_pub) {
		/* A host that only takes tips need not hold the secret
		 * key: it may live only where staff read them. */
		if (has_sec)
			fprintf(out, "staff keys kept: %s, %s\n", pub, sec);
		else
			fprintf(out, "staff public key kept: %s (the secret "
			    "key %s is not on this host: tiplinectl show and "
			    "export need it)\n", pub, sec);
		if (tl_seal_public_read(pub, pk, err, sizeof(err)) == TL_OK)
			rc = TL_OK;
		goto out;
	}
	if (!has_sec) {
		if (tl_seal_keypair(NULL, pk, &sk) != TL_OK ||
		    tl_seal_secret_write(sec, 0400, uid, gid, sk, err,
		    sizeof(err)) != TL_OK)
			goto out;
		fprintf(out, "staff secret key created: %s (back it up: "
		    "losing it loses every tip)\n", sec);
	} else if (tl_seal_secret_read(sec, &sk, err, sizeof(err)) != TL_OK)
		goto out;
	else
		tl_seal_secret_public(sk, pk);
	if (tl_seal_public_write(pub, 0444, (uid_t)-1, (gid_t)-1, pk, err,
	    sizeof(err)) != TL_OK)
		goto out;
	fprintf(out, "staff public key created: %s\n", pub);
	rc = TL_OK;
out:
	if (rc != TL_OK)
		say_err(err);
	tl_seal_secret_free(sk);
	if (rc == TL_OK && has_sec && o->known)
		rc = fix(sec, 0, uid, gid, 0400);
	return rc;
}

/* The files SQLite keeps beside the store; "" is the store itself. */
static const char *const beside[] = { "", "-wal", "-shm", "-journal",
	NULL };

/*
 * The store's path with its folder resolved into path, and the folder
 * into dir: the folder is root's choice (its parent is not the service
 * users'), so links on the way to it are followed; in it, where the
 * service users can write, none is: the store and the files beside it
 * must not be symbolic links. TL_OK, or TL_EIO (said).
 */
static enum tl_err
store_path(const struct tl_config *cfg, char dir[PATH_MAX],
    char path[PATH_MAX])
{
	struct stat	 st;
	char		 real[PATH_MAX], tmp[PATH_MAX], link[PATH_MAX + 16];
	size_t		 i;

	snprintf(tmp, sizeof(tmp), "%s", cfg->database);
	if (realpath(dir, real) == NULL) {
		say_errno(dir);
		return TL_EIO;
	}
	if ((size_t)snprintf(path, PATH_MAX, "%s/%s", real, basename(tmp)) >=
	    PATH_MAX - 16) {
		fprintf(stderr, "tiplinectl: %s: path too long\n", real);
		return TL_EIO;
	}
	snprintf(dir, PATH_MAX, "%s", real);
	for (i = 0; beside[i] != NULL; i++) {
		snprintf(link, sizeof(link), "%s%s", path, beside[i]);
		if (lstat(link, &st) == 0 && S_ISLNK(st.st_mode)) {
			fprintf(stderr, "tiplinectl: %s is a symbolic link: "
			    "refused (init follows no link in the store's "
			    "folder: remove it, then run init again)\n", link);
			return TL_EIO;
		}
	}
	return TL_OK;
}

/* The store folder, the store, and its files' owners: TL_OK, or TL_EIO
 * (said). */
static enum tl_err
make_store(const struct tl_config *cfg, const struct owners *o,
    const uint8_t pk[TL_SEAL_KEYBYTES], FILE *out)
{
	struct tl_store	*s;
	char		 dir[PATH_MAX], path[PATH_MAX], err[512];
	char		 file[PATH_MAX + 16];
	int64_t		 sealed = 0;
	size_t		 i;

	folder(cfg->database, dir);
	if (mkdir(dir, o->known ? 02770 : 0750) == 0)
		fprintf(out, "folder created: %s\n", dir);
	else if (errno != EEXIST) {
		say_errno(dir);
		return TL_EIO;
	}
	if (store_path(cfg, dir, path) != TL_OK ||
	    (o->known && fix(dir, 1, o->fcgi, o->group, 02770) != TL_OK))
		return TL_EIO;
	if (tl_store_open_sealing(path, pk, &s, &sealed, err, sizeof(err)) !=
	    TL_OK) {
		say_err(err);
		return TL_EIO;
	}
	tl_store_close(s);
	if (sealed > 0)
		fprintf(out, "sealed %lld tips of a Part I store; no "
		    "plaintext of them is left in its files\n",
		    (long long)sealed);
	fprintf(out, "store ready: %s\n", cfg->database);
	for (i = 0; o->known && beside[i] != NULL; i++) {
		snprintf(file, sizeof(file), "%s%s", path, beside[i]);
		if (fix(file, 0, o->fcgi, o->group, 0660) == TL_EIO)
			return TL_EIO;
	}
	return TL_OK;
}

enum tl_err
tl_admin_init(const struct tl_config *cfg, FILE *out)
{
	struct owners	 o;
	uint8_t		 pk[TL_SEAL_KEYBYTES];
	char		 key[66], secret[64];
	enum tl_err	 rc = TL_OK;

	find_owners(&o);
	if (geteuid() == 0 && !o.known)
		fprintf(out, "note: users tipline and tipline-notify do not "
		    "exist; files keep root's ownership (create the users, "
		    "e.g. systemd-sysusers, then run tiplinectl init again: "
		    "it gives every file its owner)\n");
	else if (o.known && !o.staff_known)
		fprintf(out, "note: user tipline-staff does not exist: the "
		    "staff secret key stays root's, which the desk cannot "
		    "read (create the user, then run tiplinectl init "
		    "again)\n");
	/* The keys first: a Part I store is sealed with the public one. */
	if (make_staff_keys(cfg, &o, pk, out) != TL_OK ||
	    make_store(cfg, &o, pk, out) != TL_OK)
		rc = TL_EIO;
	tl_secret_new_form_key(key);
	if (make_key(cfg->form_key_file, key, &o, o.fcgi, "form key",
	    out) != TL_OK)
		rc = TL_EIO;
	tl_secret_new_webhook(secret);
	if (make_key(cfg->webhook_secret_file, secret, &o, o.notify,
	    "webhook secret", out) != TL_OK)
		rc = TL_EIO;
	sodium_memzero(key, sizeof(key));
	sodium_memzero(secret, sizeof(secret));
	if (rc == TL_OK)
		fprintf(out, "webhook secret file: %s\n",
		    cfg->webhook_secret_file);
	return rc;
}

/* Mode and owner of path against what SPEC 8 wants, when root. */
static int
check_mode(FILE *out, const char *path, mode_t want, uid_t uid,
    const struct owners *o)
{
	struct stat	 st;
	char		 m[64];

	if (stat(path, &st) == -1)
		return tl_watch_say(out, 0, "%s: %s", path, strerror(errno));
	if ((st.st_mode & 07777) != want) {
		snprintf(m, sizeof(m), "has mode %04o, expected %04o",
		    (unsigned)(st.st_mode & 07777), (unsigned)want);
		return tl_watch_say(out, 0, "%s %s (chmod %04o %s)", path, m,
		    (unsigned)want, path);
	}
	if (o->known && (st.st_uid != uid || st.st_gid != o->group))
		return tl_watch_say(out, 0, "%s: wrong owner or group (run "
		    "tiplinectl init as root to set them)", path);
	return 0;
}

/* The store, which check never creates: a missing one is a finding. */
static int
check_store(const struct tl_config *cfg, FILE *out)
{
	struct tl_store	*s;
	struct stat	 st;
	char		 err[512];
	int		 bad;

	if (lstat(cfg->database, &st) == -1)
		return tl_watch_say(out, 0,
		    "store %s: %s (tiplinectl init creates "
		    "it)", cfg->database, strerror(errno));
	if (tl_store_attach(cfg->database, &s, err, sizeof(err)) != TL_OK)
		return tl_watch_say(out, 0, "store: %s (run tiplinectl check "
		    "as tipline or root: runuser -u tipline -- tiplinectl "
		    "check)", err);
	bad = tl_store_health(s) != TL_OK;
	if (bad)
		tl_watch_say(out, 0, "store %s is not writable: %s (its "
		    "folder and files must be group tipline's and writable "
		    "by it: run tiplinectl init as root)", cfg->database,
		    tl_store_errmsg(s));
	else
		tl_watch_say(out, 1,
		    "store %s is writable, and every tip in it is "
		    "sealed", cfg->database);
	tl_store_close(s);
	return bad;
}

/*
 * The staff keys (SPEC 11): the public one readable (0444) by the
 * services; the secret one, where it is on this host, 0400 tipline-staff
 * and the pair of the public one. Returns the problems found.
 */
static int
check_staff_keys(const struct tl_config *cfg, const struct owners *o,
    FILE *out)
{
	struct tl_seal_secret	*sk = NULL;
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	char			 err[PATH_MAX + 160];
	int			 bad = 0;

	if (tl_seal_public_read(cfg->staff_public_key_file, pk, err,
	    sizeof(err)) != TL_OK)
		return tl_watch_say(out, 0, "staff public key: %s (tiplinectl "
		    "init makes the key pair; or copy staff.pub from where "
		    "the staff secret key is)", err);
	tl_watch_say(out, 1, "staff public key %s", cfg->staff_public_key_file);
	bad += check_mode(out, cfg->staff_public_key_file, 0444, 0,
	    &(struct owners){ 0 });
	if (access(cfg->staff_secret_key_file, F_OK) == -1)
		tl_watch_say(out, 1,
		    "no staff secret key on this host (%s): show and "
		    "export run where it is", cfg->staff_secret_key_file);
	else if (access(cfg->staff_secret_key_file, R_OK) == -1)
		tl_watch_say(out, 1,
		    "staff secret key %s exists (readable only by "
		    "tipline-staff)", cfg->staff_secret_key_file);
	else if (tl_seal_secret_read(cfg->staff_secret_key_file, &sk, err,
	    sizeof(err)) != TL_OK)
		bad += tl_watch_say(out, 0, "staff secret key: %s (restore it "
		    "from its backup)", err);
	else if (!tl_seal_secret_matches(sk, pk))
		bad += tl_watch_say(out, 0,
		    "staff secret key %s is not the pair of %s: "
		    "tips sealed to that public key cannot be read with it "
		    "(put back the pair from their backup)",
		    cfg->staff_secret_key_file, cfg->staff_public_key_file);
	else {
		tl_watch_say(out, 1, "staff secret key %s",
		    cfg->staff_secret_key_file);
		bad += check_mode(out, cfg->staff_secret_key_file, 0400,
		    o->staff, o->staff_known ? o : &(struct owners){ 0 });
		if (o->known && !o->staff_known)
			bad += tl_watch_say(out, 0, "user tipline-staff does "
			    "not exist: the desk, which runs as it, cannot "
			    "read %s (create the user, e.g. systemd-sysusers, "
			    "then run tiplinectl init)",
			    cfg->staff_secret_key_file);
	}
	tl_seal_secret_free(sk);
	return bad;
}

static int
check_keys(const struct tl_config *cfg, const struct owners *o, FILE *out)
{
	uint8_t	 key[TL_SECRET_MAX];
	size_t	 len;
	char	 err[PATH_MAX + 160];
	int	 bad = 0;

	if (tl_token_read_key(cfg->form_key_file, key, err, sizeof(err)) !=
	    TL_OK)
		bad += tl_watch_say(out, 0, "form key: %s (tiplinectl init, as "
		    "root, makes it)", err);
	else {
		tl_watch_say(out, 1, "form key %s", cfg->form_key_file);
		bad += check_mode(out, cfg->form_key_file, 0400, o->fcgi, o);
	}
	if (access(cfg->webhook_secret_file, F_OK) == 0 &&
	    access(cfg->webhook_secret_file, R_OK) == -1 && geteuid() != 0)
		tl_watch_say(out, 1,
		    "webhook secret %s exists (readable only by "
		    "tipline-notify)", cfg->webhook_secret_file);
	else if (tl_secret_read(cfg->webhook_secret_file, key, &len, err,
	    sizeof(err)) != TL_OK)
		bad += tl_watch_say(out, 0, "webhook secret: %s (tiplinectl "
		    "init, as root, makes it)", err);
	else {
		tl_watch_say(out, 1, "webhook secret %s",
		    cfg->webhook_secret_file);
		bad += check_mode(out, cfg->webhook_secret_file, 0400,
		    o->notify, o);
	}
	sodium_memzero(key, sizeof(key));
	return bad;
}

/*
 * The static pages nginx answers its own errors with: every page an
 * error_page of deploy/nginx/tipline-server.conf names, under
 * templates/errors/ (HTML, and JSON for the API; the Welsh HTML under
 * cy/, for $tipline_errors under /report/cy/).
 */
static const char *const error_pages[] = {
	"400.html", "403.html", "404.html", "405.html", "413.html",
	"414.html", "429.html", "494.html", "501.html", "502.html",
	"503.html", "504.html", "api-400.json", "api-413.json",
	"api-429.json", "api-503.json", "cy/400.html", "cy/403.html",
	"cy/404.html", "cy/405.html", "cy/413.html", "cy/414.html",
	"cy/429.html", "cy/494.html", "cy/501.html", "cy/502.html",
	"cy/503.html", "cy/504.html", NULL
};

/*
 * The static HTML page at path gives the configured phone numbers (SPEC 9,
 * 14): its numbers are written in it, not filled in from tipline.conf, so
 * a deployment that changed a number and not the pages is named. Returns
 * the errors said.
 */
static int
check_page_phones(const struct tl_config *cfg, const char *path, FILE *out)
{
	static const size_t	 max = 64 * 1024;
	const struct {
		const char	*key, *value;
	} phones[] = {
		{ "emergency_phone", cfg->emergency_phone },
		{ "non_emergency_phone", cfg->non_emergency_phone },
		{ "textphone", cfg->textphone },
	};
	struct tl_buf	 b = TL_BUF_INIT;
	char		 err[PATH_MAX + 64];
	size_t		 i;
	int		 bad = 0;

	if (tl_buf_read_file(&b, path, max, err, sizeof(err)) != TL_OK ||
	    !tl_buf_ok(&b) || b.len == 0) {
		if (!tl_buf_ok(&b))
			snprintf(err, sizeof(err), "%s: out of memory", path);
		else if (b.len == 0)
			snprintf(err, sizeof(err), "%s is empty", path);
		tl_buf_free(&b);
		return tl_watch_say(out, 0, "error page %s", err);
	}
	for (i = 0; i < sizeof(phones) / sizeof(phones[0]); i++)
		if (phones[i].value != NULL && *phones[i].value != '\0' &&
		    strstr(b.data, phones[i].value) == NULL)
			bad += tl_watch_say(out, 0, "error page %s does not "
			    "give %s %s: the static pages hold the numbers, "
			    "edit them", path, phones[i].key, phones[i].value);
	tl_buf_free(&b);
	return bad;
}

static int
check_error_pages(const struct tl_config *cfg, FILE *out)
{
	struct stat	 st;
	char		 path[PATH_MAX];
	size_t		 i, n;
	int		 bad = 0;

	for (i = 0; error_pages[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/errors/%s", cfg->templates,
		    error_pages[i]);
		n = strlen(error_pages[i]);
		if (stat(path, &st) == -1)
			bad += tl_watch_say(out, 0,
			    "error page %s: %s (nginx answers "
			    "with it: make install puts it there; is "
			    "`templates` right?)", path, strerror(errno));
		else if (!S_ISREG(st.st_mode) || st.st_size == 0)
			bad += tl_watch_say(out, 0,
			    "error page %s is empty or not a "
			    "file (make install puts it back)", path);
		else if (n > 5 && strcmp(error_pages[i] + n - 5, ".html") == 0)
			bad += check_page_phones(cfg, path, out);
	}
	if (bad == 0)
		tl_watch_say(out, 1, "error pages %s/errors", cfg->templates);
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
		return tl_watch_say(out, 1,
		    "webhook URL file %s exists (readable only "
		    "by tipline-notify)", p);
	if (access(p, R_OK) == -1)
		return tl_watch_say(out, 0, "webhook URL file %s: %s (write "
		    "the URL in it, 0400 tipline-notify)", p,
		    strerror(errno));
	tl_watch_say(out, 1, "webhook URL file %s", p);
	return check_mode(out, p, 0400, o->notify, o);
}

/* The site's words as the config sets them (borrowed from cfg). */
static void
site_of(const struct tl_config *cfg, struct tl_site *site)
{
	memset(site, 0, sizeof(*site));
	site->org_name = cfg->org_name;
	site->emergency_phone = cfg->emergency_phone;
	site->non_emergency_phone = cfg->non_emergency_phone;
	site->base_path = cfg->base_path;
	site->textphone = cfg->textphone;
	site->languages = cfg->languages;
	site->phone_knows_ref = cfg->phone_knows_ref;
}

/*
 * Every catalogue shipped in templates/lang/, served or not: one that
 * `languages` does not list yet must still be whole before it is.
 * Returns how many are wrong.
 */
static int
check_catalogues(const struct tl_config *cfg, FILE *out)
{
	char		 dir[PATH_MAX], err[PATH_MAX + 160], code[16];
	struct tl_cat	*c;
	struct dirent	*e;
	DIR		*d;
	size_t		 n;
	int		 bad = 0;

	snprintf(dir, sizeof(dir), "%s/lang", cfg->templates);
	if ((d = opendir(dir)) == NULL)
		return tl_watch_say(out, 0, "catalogues %s: %s (make install "
		    "puts them there; is `templates` right?)", dir,
		    strerror(errno));
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n < 5 || n - 4 >= sizeof(code) ||
		    strcmp(e->d_name + n - 4, ".cat") != 0)
			continue;
		snprintf(code, sizeof(code), "%.*s", (int)(n - 4), e->d_name);
		if (tl_cat_load(cfg->templates, code, &c, err, sizeof(err)) !=
		    TL_OK)
			bad += tl_watch_say(out, 0, "catalogue: %s", err);
		else
			tl_watch_say(out, 1, "catalogue %s (%s)", code,
			    tl_cat_get(c, "catalogue_review"));
		tl_cat_free(c);
	}
	closedir(d);
	return bad;
}

int
tl_admin_check(const struct tl_config *cfg, FILE *out)
{
	struct tl_pages	*p;
	struct tl_site	 site;
	struct owners	 o;
	char		 err[PATH_MAX + 160], dir[PATH_MAX];
	int		 bad = 0;

	find_owners(&o);
	tl_watch_say(out, 1, "config %s", cfg->path);
	site_of(cfg, &site);
	if (tl_pages_load(cfg->templates, &site, &p, err, sizeof(err)) !=
	    TL_OK)
		bad += tl_watch_say(out, 0, "templates: %s (make install puts "
		    "them under PREFIX/share/tipline/templates; is "
		    "`templates` right?)", err);
	else {
		tl_watch_say(out, 1, "templates %s, languages %s",
		    cfg->templates,
		    cfg->languages);
		tl_pages_free(p);
	}
	bad += check_catalogues(cfg, out);
	bad += check_error_pages(cfg, out);
	bad += check_store(cfg, out);
	if (o.known) {
		folder(cfg->database, dir);
		bad += check_mode(out, dir, 02770, o.fcgi, &o);
	}
	bad += check_keys(cfg, &o, out);
	bad += check_staff_keys(cfg, &o, out);
	if (cfg->summary_excerpt_chars > 0)
		fprintf(out, "note: summary_excerpt_chars = %ld has no "
		    "effect: descriptions are sealed (SPEC 11) and "
		    "tipline-notify cannot read them\n",
		    cfg->summary_excerpt_chars);
	if (cfg->webhook_url_file != NULL)
		bad += check_url_file(cfg, &o, out);
	else if (cfg->webhook_url == NULL)
		tl_watch_say(out, 1,
		    "no webhook_url: notifications stay queued");
	else
		tl_watch_say(out, 1, "webhook %s", cfg->webhook_url);
	bad += tl_watch_check(cfg, (int64_t)time(NULL), out);
	return bad;
}
