/*
 * backup.c — backups of the stores and their restore (SPEC 15). See
 * backup.h.
 *
 * The copies are made with SQLite's online backup API in one step, which
 * reads one snapshot of the source inside a read transaction: in WAL mode
 * the form's writers go on meanwhile, and the copy holds every tip
 * committed before it began. The desk's copy is made into memory
 * (sqlite3_serialize), then sealed, so no plaintext copy of it ever
 * touches the disk; its restore opens the seal into memory
 * (sqlite3_deserialize) and copies that into place the same way.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "backup.h"
#include "seal_staff.h"
#include "store_impl.h"

#define BUSY_MS	5000

static int fail(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Says what failed on stderr; returns -1. */
static int
fail(const char *fmt, ...)
{
	va_list	 ap;

	fputs("tiplinectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* Copies all of src's main database into dst: SQLITE_OK or an error. */
static int
copy_db(sqlite3 *dst, sqlite3 *src)
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

/* Opens path (flags) with a busy timeout, as a file tipline.fcgi could
 * have written (tl_store_harden, no symbolic link): the handle, or NULL
 * (said). */
static sqlite3 *
open_db(const char *path, int flags)
{
	sqlite3	*db = NULL;

	if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOFOLLOW, NULL) !=
	    SQLITE_OK || tl_store_harden(db) == -1) {
		fail("%s: %s", path, db != NULL ? sqlite3_errmsg(db) :
		    "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, BUSY_MS);
	return db;
}

/* Whether db passes PRAGMA integrity_check: 0, or -1 (said, as what). */
static int
integrity(sqlite3 *db, const char *what)
{
	sqlite3_stmt		*st;
	const unsigned char	*v;
	int			 ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL)
	    != SQLITE_OK)
		return fail("%s: %s", what, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (v = sqlite3_column_text(st, 0)) != NULL &&
	    strcmp((const char *)v, "ok") == 0)
		ok = 1;
	sqlite3_finalize(st);
	return ok ? 0 : fail("%s does not pass PRAGMA integrity_check", what);
}

/* dir/name into out. */
static int
join(char out[PATH_MAX], const char *dir, const char *name)
{
	int	 n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ? fail("%s: path too long", dir) : 0;
}

/* Makes path's file whole on disk and renames it to final. */
static int
settle(const char *tmp, const char *final)
{
	int	 fd;

	if ((fd = open(tmp, O_RDONLY)) == -1 || fsync(fd) == -1) {
		if (fd != -1)
			close(fd);
		return fail("%s: %s", tmp, strerror(errno));
	}
	close(fd);
	if (rename(tmp, final) == -1)
		return fail("%s: %s", final, strerror(errno));
	return 0;
}

/* The intake store's copy into dir. */
static int
take_intake(const struct tl_config *cfg, const char *dir, FILE *out)
{
	char	 tmp[PATH_MAX], final[PATH_MAX];
	sqlite3	*src, *dst;
	int	 rc = -1;

	if (join(final, dir, TL_BACKUP_INTAKE) == -1 ||
	    join(tmp, dir, TL_BACKUP_INTAKE ".part") == -1)
		return -1;
	unlink(tmp);
	if ((src = open_db(cfg->database, SQLITE_OPEN_READONLY)) == NULL)
		return -1;
	if ((dst = open_db(tmp, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE)) == NULL)
		goto out;
	if (copy_db(dst, src) != SQLITE_OK) {
		fail("backup of %s: %s", cfg->database, sqlite3_errmsg(dst));
		goto out;
	}
	/* One file that stands alone: no WAL beside it. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL,
	    NULL) != SQLITE_OK || integrity(dst, tmp) == -1)
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

/* A sealed copy of the serialized database of db into dir. */
static int
seal_into(sqlite3 *db, const uint8_t pk[TL_SEAL_KEYBYTES], const char *tmp)
{
	unsigned char		*img;
	sqlite3_int64		 n = 0;
	char			 err[256];
	int			 fd, rc = -1;

	if ((img = sqlite3_serialize(db, "main", &n, 0)) == NULL)
		return fail("cannot serialize the desk's store");
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
	    0600)) == -1)
		fail("%s: %s", tmp, strerror(errno));
	else if (tl_seal_file_write(pk, img, (size_t)n, fd, err,
	    sizeof(err)) != TL_OK)
		fail("%s: %s", tmp, err);
	else
		rc = 0;
	if (fd != -1 && close(fd) == -1 && rc == 0)
		rc = fail("%s: %s", tmp, strerror(errno));
	sodium_memzero(img, (size_t)n);
	sqlite3_free(img);
	return rc;
}

/* The desk's store, sealed, into dir; skipped with a note when absent. */
static int
take_desk(const struct tl_config *cfg, const char *dir, FILE *out)
{
	uint8_t	 pk[TL_SEAL_KEYBYTES];
	char	 tmp[PATH_MAX], final[PATH_MAX], err[PATH_MAX + 128];
	sqlite3	*src = NULL, *mem = NULL;
	int	 rc = -1;

	if (access(cfg->staff_database, F_OK) == -1) {
		fprintf(out, "desk store %s: none (skipped)\n",
		    cfg->staff_database);
		return 0;
	}
	if (tl_seal_public_read(cfg->staff_public_key_file, pk, err,
	    sizeof(err)) != TL_OK)
		return fail("the desk's copy is sealed to the staff public "
		    "key: %s", err);
	if (join(final, dir, TL_BACKUP_DESK) == -1 ||
	    join(tmp, dir, TL_BACKUP_DESK ".part") == -1)
		return -1;
	if ((src = open_db(cfg->staff_database, SQLITE_OPEN_READONLY))
	    == NULL || (mem = open_db(":memory:", SQLITE_OPEN_READWRITE))
	    == NULL)
		goto out;
	if (copy_db(mem, src) != SQLITE_OK) {
		fail("backup of %s: %s", cfg->staff_database,
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

enum tl_err
tl_backup_take(const struct tl_config *cfg, const char *dir, FILE *out)
{
	struct stat	 sb;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		fail("%s: %s", dir, strerror(errno));
		return TL_EIO;
	}
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		fail("%s: not a folder", dir);
		return TL_EIO;
	}
	if (take_intake(cfg, dir, out) == -1 || take_desk(cfg, dir, out) == -1)
		return TL_EIO;
	return TL_OK;
}

/* Refuses when another connection holds the store at path: services
 * must be stopped. 0, or -1 (said). */
static int
not_in_use(sqlite3 *db, const char *path)
{
	sqlite3_busy_timeout(db, 0);
	if (sqlite3_exec(db, "BEGIN EXCLUSIVE; COMMIT", NULL, NULL, NULL)
	    != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return fail("%s is in use: stop tipline and tipline-notify "
		    "(and the desk) first", path);
	}
	sqlite3_busy_timeout(db, BUSY_MS);
	return 0;
}

/* Copies the checked database src over the store at path. */
static int
put_back(sqlite3 *src, const char *path, const char *what, FILE *out)
{
	sqlite3	*dst;
	int	 rc = -1;

	if ((dst = open_db(path, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE)) == NULL)
		return -1;
	if (not_in_use(dst, path) == -1)
		goto out;
	if (copy_db(dst, src) != SQLITE_OK) {
		fail("restore of %s: %s", path, sqlite3_errmsg(dst));
		goto out;
	}
	if (sqlite3_exec(dst, "PRAGMA journal_mode = WAL;"
	    "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK
	    || integrity(dst, path) == -1)
		goto out;
	fprintf(out, "%s restored to %s\n", what, path);
	rc = 0;
out:
	sqlite3_close(dst);
	return rc;
}

static int
restore_intake(const struct tl_config *cfg, const char *dir, FILE *out)
{
	char	 path[PATH_MAX];
	sqlite3	*src;
	int	 rc = -1;

	if (join(path, dir, TL_BACKUP_INTAKE) == -1)
		return -1;
	if ((src = open_db(path, SQLITE_OPEN_READONLY)) == NULL)
		return -1;
	if (integrity(src, path) == 0)
		rc = put_back(src, cfg->database, "intake store", out);
	sqlite3_close(src);
	return rc;
}

/* Opens the sealed desk copy at path into *img (tl_seal_data_free). */
static int
open_desk(const struct tl_config *cfg, const char *path, uint8_t **img,
    size_t *n)
{
	struct tl_seal_secret	*sk;
	char			 err[PATH_MAX + 128];
	int			 fd, rc = -1;

	if (tl_seal_secret_read(cfg->staff_secret_key_file, &sk, err,
	    sizeof(err)) != TL_OK)
		return fail("the desk's copy needs the staff secret key: %s",
		    err);
	if ((fd = open(path, O_RDONLY)) == -1)
		fail("%s: %s", path, strerror(errno));
	else if (tl_seal_file_read(sk, fd, img, n, err, sizeof(err)) != TL_OK)
		fail("%s: %s", path, err);
	else
		rc = 0;
	if (fd != -1)
		close(fd);
	tl_seal_secret_free(sk);
	return rc;
}

static int
restore_desk(const struct tl_config *cfg, const char *dir, FILE *out)
{
	char		 path[PATH_MAX];
	uint8_t		*img = NULL;
	size_t		 n = 0;
	sqlite3		*mem = NULL;
	int		 rc = -1;

	if (join(path, dir, TL_BACKUP_DESK) == -1)
		return -1;
	if (access(path, F_OK) == -1) {
		fprintf(out, "desk store: not in this backup (skipped)\n");
		return 0;
	}
	if (open_desk(cfg, path, &img, &n) == -1)
		return -1;
	/* Read only and not SQLite's to free: this module wipes it. */
	if ((mem = open_db(":memory:", SQLITE_OPEN_READWRITE)) == NULL)
		goto out;
	if (sqlite3_deserialize(mem, "main", img, (sqlite3_int64)n,
	    (sqlite3_int64)n, SQLITE_DESERIALIZE_READONLY) != SQLITE_OK) {
		fail("%s: %s", path, sqlite3_errmsg(mem));
		goto out;
	}
	if (integrity(mem, path) == 0)
		rc = put_back(mem, cfg->staff_database, "desk store", out);
out:
	sqlite3_close(mem);
	tl_seal_data_free(img, n);
	return rc;
}

enum tl_err
tl_backup_restore(const struct tl_config *cfg, const char *dir, FILE *out)
{
	if (restore_intake(cfg, dir, out) == -1 ||
	    restore_desk(cfg, dir, out) == -1)
		return TL_EIO;
	return TL_OK;
}
