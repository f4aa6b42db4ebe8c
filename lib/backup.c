/*
 * backup.c — taking a backup of the stores (SPEC 15, 17), and what the
 * restore (restore.c) shares with it. See backup.h.
 *
 * The copies are made with SQLite's online backup API in one step, which
 * reads one snapshot of the source inside a read transaction: in WAL mode
 * the form's writers go on meanwhile. The desk's store is copied first,
 * then the intake store, so every tip the desk's copy has taken in is in
 * the intake copy too. The desk's copy is made into memory
 * (sqlite3_serialize), marked as a rollback-journal database
 * (tl_backup_unwal), then sealed, so no plaintext copy of it ever
 * touches the disk.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "backup.h"
#include "backup_impl.h"
#include "seal_staff.h"
#include "store_impl.h"

int
tl_backup_fail(const char *fmt, ...)
{
	va_list	 ap;

	fputs("tiplinectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

int
tl_backup_copy(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup	*b;
	int		 rc;

	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL)
		return sqlite3_errcode(dst);
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	    rc == SQLITE_LOCKED)
		sqlite3_sleep(50);
	sqlite3_backup_finish(b);
	return rc == SQLITE_DONE ? sqlite3_errcode(dst) : rc;
}

sqlite3 *
tl_backup_open(const char *path, int flags)
{
	sqlite3	*db = NULL;

	if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOFOLLOW, NULL) !=
	    SQLITE_OK || tl_store_harden(db) == -1) {
		tl_backup_fail("%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, TL_BACKUP_BUSY_MS);
	return db;
}

int
tl_backup_integrity(sqlite3 *db, const char *what)
{
	sqlite3_stmt		*st;
	const unsigned char	*v;
	int			 ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL)
	    != SQLITE_OK)
		return tl_backup_fail("%s: %s", what, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (v = sqlite3_column_text(st, 0)) != NULL &&
	    strcmp((const char *)v, "ok") == 0)
		ok = 1;
	sqlite3_finalize(st);
	return ok ? 0 : tl_backup_fail("%s does not pass PRAGMA "
	    "integrity_check: %s", what, sqlite3_errmsg(db));
}

int
tl_backup_join(char out[PATH_MAX], const char *dir, const char *name)
{
	int	 n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ?
	    tl_backup_fail("%s: path too long", dir) : 0;
}

int
tl_backup_sync(const char *path)
{
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1 ||
	    fsync(fd) == -1) {
		if (fd != -1)
			close(fd);
		return tl_backup_fail("%s: %s", path, strerror(errno));
	}
	close(fd);
	return 0;
}

int
tl_backup_unwal(unsigned char *img, size_t n)
{
	if (n < 100)
		return -1;
	img[18] = img[19] = 1;
	return 0;
}

/* Makes tmp whole on disk and renames it to final. */
static int
settle(const char *tmp, const char *final)
{
	if (tl_backup_sync(tmp) == -1)
		return -1;
	if (rename(tmp, final) == -1)
		return tl_backup_fail("%s: %s", final, strerror(errno));
	return 0;
}

/* Who runs this, for the messages. */
static const char *
whoami(void)
{
	struct passwd	*pw = getpwuid(geteuid());

	return pw != NULL ? pw->pw_name : "this user";
}

/* Says whether the store at path can be read as a file: 0, or -1 (said,
 * as what, with hint). */
static int
readable(const char *path, const char *what, const char *hint)
{
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1)
		return tl_backup_fail("backup: %s %s cannot be read as %s: %s"
		    "%s", what, path, whoami(), strerror(errno), hint);
	close(fd);
	return 0;
}

/* The intake store's copy into dir. */
static int
take_intake(const struct tl_config *cfg, const char *dir, FILE *out)
{
	char	 tmp[PATH_MAX], final[PATH_MAX];
	sqlite3	*src, *dst = NULL;
	int	 rc = -1;

	if (tl_backup_join(final, dir, TL_BACKUP_INTAKE) == -1 ||
	    tl_backup_join(tmp, dir, TL_BACKUP_INTAKE ".part") == -1 ||
	    readable(cfg->database, "the intake store", " (run the backup "
	    "as root, tipline or tipline-staff)") == -1)
		return -1;
	if ((src = tl_backup_open(cfg->database, SQLITE_OPEN_READONLY)) ==
	    NULL)
		return -1;
	if ((dst = tl_backup_open(tmp, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE)) == NULL)
		goto out;
	if (tl_backup_copy(dst, src) != SQLITE_OK) {
		tl_backup_fail("backup of %s: %s", cfg->database,
		    sqlite3_errmsg(dst));
		goto out;
	}
	/* One file that stands alone: no WAL beside it. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL,
	    NULL) != SQLITE_OK || tl_backup_integrity(dst, tmp) == -1)
		goto out;
	sqlite3_close(dst);
	dst = NULL;
	if (chmod(tmp, 0600) == -1 || settle(tmp, final) == -1)
		goto out;
	fprintf(out, "intake store %s copied to %s\n", cfg->database, final);
	rc = 0;
out:
	sqlite3_close(dst);
	sqlite3_close(src);
	if (rc == -1)
		unlink(tmp);
	return rc;
}

/* A sealed copy of the serialized database of db into tmp. */
static int
seal_into(sqlite3 *db, const uint8_t pk[TL_SEAL_KEYBYTES], const char *tmp)
{
	unsigned char		*img;
	sqlite3_int64		 n = 0;
	char			 err[256];
	int			 fd = -1, rc = -1;

	if ((img = sqlite3_serialize(db, "main", &n, 0)) == NULL)
		return tl_backup_fail("cannot serialize the desk's store");
	if (tl_backup_unwal(img, (size_t)n) == -1)
		tl_backup_fail("the desk's store is empty");
	else if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
	    0600)) == -1)
		tl_backup_fail("%s: %s", tmp, strerror(errno));
	else if (tl_seal_file_write(pk, img, (size_t)n, fd, err,
	    sizeof(err)) != TL_OK)
		tl_backup_fail("%s: %s", tmp, err);
	else
		rc = 0;
	if (fd != -1 && close(fd) == -1 && rc == 0)
		rc = tl_backup_fail("%s: %s", tmp, strerror(errno));
	sodium_memzero(img, (size_t)n);
	sqlite3_free(img);
	return rc;
}

/* The desk's store, sealed, into dir: it must be readable (SPEC 17). */
static int
take_desk(const struct tl_config *cfg, const char *dir, FILE *out)
{
	uint8_t	 pk[TL_SEAL_KEYBYTES];
	char	 tmp[PATH_MAX], final[PATH_MAX], err[PATH_MAX + 128];
	sqlite3	*src = NULL, *mem = NULL;
	int	 rc = -1;

	if (readable(cfg->staff_database, "the desk's store", " (run the "
	    "backup as root or tipline-staff; or give --intake-only to leave "
	    "the desk's store out, e.g. where no desk runs)") == -1)
		return -1;
	if (tl_seal_public_read(cfg->staff_public_key_file, pk, err,
	    sizeof(err)) != TL_OK)
		return tl_backup_fail("the desk's copy is sealed to the staff "
		    "public key: %s", err);
	if (tl_backup_join(final, dir, TL_BACKUP_DESK) == -1 ||
	    tl_backup_join(tmp, dir, TL_BACKUP_DESK ".part") == -1)
		return -1;
	if ((src = tl_backup_open(cfg->staff_database, SQLITE_OPEN_READONLY))
	    == NULL || (mem = tl_backup_open(":memory:",
	    SQLITE_OPEN_READWRITE)) == NULL)
		goto out;
	if (tl_backup_copy(mem, src) != SQLITE_OK) {
		tl_backup_fail("backup of %s: %s", cfg->staff_database,
		    sqlite3_errmsg(mem));
		goto out;
	}
	if (seal_into(mem, pk, tmp) == -1 || settle(tmp, final) == -1)
		goto out;
	fprintf(out, "desk store %s sealed to %s\n", cfg->staff_database,
	    final);
	rc = 0;
out:
	sqlite3_close(mem);
	sqlite3_close(src);
	if (rc == -1)
		unlink(tmp);
	return rc;
}

/* Makes dir (0700), or checks that it is an empty folder: *made says
 * which. 0, or -1 (said). */
static int
fresh_dir(const char *dir, int *made)
{
	DIR		*d;
	struct dirent	*e;
	int		 empty = 1;

	*made = 0;
	if (mkdir(dir, 0700) == 0) {
		*made = 1;
		return 0;
	}
	if (errno != EEXIST)
		return tl_backup_fail("backup: cannot make the folder %s as "
		    "%s: %s", dir, whoami(), strerror(errno));
	if ((d = opendir(dir)) == NULL)
		return tl_backup_fail("backup: %s: %s", dir, strerror(errno));
	while (empty && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty ? 0 : tl_backup_fail("backup: %s is not empty: give "
	    "a new or empty folder (nothing was written)", dir);
}

/* Removes what a failed backup wrote into dir (and dir when made). */
static void
unmake(const char *dir, int made)
{
	char	 path[PATH_MAX];

	if (tl_backup_join(path, dir, TL_BACKUP_DESK) == 0)
		unlink(path);
	if (tl_backup_join(path, dir, TL_BACKUP_INTAKE) == 0)
		unlink(path);
	if (made)
		rmdir(dir);
}

enum tl_err
tl_backup_take(const struct tl_config *cfg, const char *dir, int intake_only,
    FILE *out)
{
	int	 made;

	if (fresh_dir(dir, &made) == -1)
		return TL_EIO;
	if ((!intake_only && take_desk(cfg, dir, out) == -1) ||
	    take_intake(cfg, dir, out) == -1) {
		unmake(dir, made);
		return TL_EIO;
	}
	if (intake_only)
		fprintf(out, "desk store %s left out (--intake-only)\n",
		    cfg->staff_database);
	return TL_OK;
}
