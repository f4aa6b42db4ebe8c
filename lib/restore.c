/*
 * restore.c — `tiplinectl restore DIR` (SPEC 17). See backup.h.
 *
 * A restore
 * 1. takes the lock beside each store (storelock.h) exclusively without
 *    waiting, or refuses, changing nothing: a program still serving
 *    holds it shared;
 * 2. builds each store from the backup beside the one it replaces
 *    (STORE.restore), checked (PRAGMA integrity_check);
 * 3. checks the pair: every tip of the intake copy opens with the staff
 *    secret key, and the intake copy's ids go on past the desk's
 *    cursors (its sqlite_sequence raised to them), so no tip or message
 *    stored after the restore has an id the desk thinks it has taken in;
 * 4. only then swaps them in: each old store, its WAL and its SHM are
 *    moved aside (STORE.old, STORE.old-wal, STORE.old-shm: still a store
 *    with its own WAL), the new one renamed into place; every rename is
 *    undone when a later one fails, so a restore that fails part-way
 *    leaves both stores as they were. The old ones are removed last.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backup.h"
#include "backup_impl.h"
#include "desk_store.h"
#include "seal_staff.h"
#include "store_impl.h"
#include "storelock.h"
#include "tip_staff.h"

#define STOP_ALL "stop tipline, tipline-notify and tipline-staff first " \
	"(systemctl stop tipline.socket tipline.service " \
	"tipline-notify.service tipline-staff.service), then restore again"

/* The files of a store: its WAL and SHM, then the file itself; and
 * their names once moved aside (still a store with its WAL). */
static const char *const parts[] = { "-wal", "-shm", "" };
static const char *const aside[] = { ".old-wal", ".old-shm", ".old" };
#define NPARTS	(sizeof(parts) / sizeof(parts[0]))

/* One store being restored. */
struct side {
	const char	*path;		/* the store */
	const char	*what;		/* "intake store", "desk store" */
	mode_t		 mode;		/* of a new store */
	int		 restore;	/* the backup holds a copy of it */
	int		 lock;		/* its lock, or -1 */
	char		 tmp[PATH_MAX];	/* the copy, built beside it */
	char		 from[NPARTS + 1][PATH_MAX + 8];
	char		 to[NPARTS + 1][PATH_MAX + 8];
	size_t		 moves;		/* renames done (undone on failure) */
};

/* path and suffix into out (PATH_MAX + 8): 0, or -1 (said). */
static int
name(char *out, const char *path, const char *suffix)
{
	int	 n = snprintf(out, PATH_MAX + 8, "%s%s", path, suffix);

	return n < 0 || n >= PATH_MAX ?
	    tl_backup_fail("%s: path too long", path) : 0;
}

/* Takes s's lock exclusively, not waiting: 0, or -1 (said). A desk
 * store neither in the backup nor with a folder has nothing to lock. */
static int
lock_side(struct side *s)
{
	char	 err[PATH_MAX + 64];

	if ((s->lock = tl_store_lock(s->path, LOCK_EX | LOCK_NB, err,
	    sizeof(err))) != -1)
		return 0;
	if (errno == ENOENT && !s->restore)
		return 0;
	if (errno == EWOULDBLOCK)
		return tl_backup_fail("restore: the %s %s is in use: "
		    STOP_ALL ". Nothing was changed.", s->what, s->path);
	return tl_backup_fail("restore: %s. Nothing was changed.", err);
}

/* The backup's intake store copied to s->tmp, checked: 0, or -1. */
static int
build_intake(struct side *s, const char *dir)
{
	char	 path[PATH_MAX];
	sqlite3	*src = NULL, *dst = NULL;
	int	 rc = -1;

	if (tl_backup_join(path, dir, TL_BACKUP_INTAKE) == -1)
		return -1;
	if (access(path, R_OK) == -1)
		return tl_backup_fail("restore: %s: %s (not a backup?)", path,
		    strerror(errno));
	if ((src = tl_backup_open(path, SQLITE_OPEN_READONLY)) == NULL ||
	    tl_backup_integrity(src, path) == -1 ||
	    (dst = tl_backup_open(s->tmp, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE)) == NULL)
		goto out;
	if (tl_backup_copy(dst, src) != SQLITE_OK) {
		tl_backup_fail("restore of %s: %s", path,
		    sqlite3_errmsg(dst));
		goto out;
	}
	rc = tl_backup_integrity(dst, s->tmp);
out:
	sqlite3_close(dst);
	sqlite3_close(src);
	return rc;
}

/* Writes the n bytes of img to the new file path (0600): 0, or -1. */
static int
write_image(const char *path, const uint8_t *img, size_t n)
{
	ssize_t	 w;
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
	    0600)) == -1)
		return tl_backup_fail("%s: %s", path, strerror(errno));
	for (; n > 0; img += w, n -= (size_t)w)
		if ((w = write(fd, img, n)) == -1 && errno != EINTR)
			break;
		else if (w == -1)
			w = 0;
	if (n > 0 || fsync(fd) == -1) {
		tl_backup_fail("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return close(fd) == -1 ?
	    tl_backup_fail("%s: %s", path, strerror(errno)) : 0;
}

/* The backup's desk store opened with sk into s->tmp, checked: 0, or
 * -1 (said). */
static int
build_desk(struct side *s, const char *dir, const struct tl_seal_secret *sk)
{
	char	 path[PATH_MAX], err[PATH_MAX + 128];
	uint8_t	*img = NULL;
	size_t	 n = 0;
	sqlite3	*db = NULL;
	int	 fd, rc = -1;

	if (tl_backup_join(path, dir, TL_BACKUP_DESK) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1)
		return tl_backup_fail("%s: %s", path, strerror(errno));
	if (tl_seal_file_read(sk, fd, &img, &n, err, sizeof(err)) != TL_OK)
		tl_backup_fail("%s: %s", path, err);
	else if (tl_backup_unwal(img, n) == -1)
		tl_backup_fail("%s: not a database", path);
	else if (write_image(s->tmp, img, n) == 0 &&
	    (db = tl_backup_open(s->tmp, SQLITE_OPEN_READWRITE)) != NULL)
		rc = tl_backup_integrity(db, path);
	close(fd);
	sqlite3_close(db);
	tl_seal_data_free(img, n);
	return rc;
}

/* The desk's cursors (tips, messages) in the desk store at path: 0, or
 * -1 (said). */
static int
desk_cursors(const char *path, int64_t *tips, int64_t *msgs)
{
	struct tl_desk_store	*d;
	char			 err[PATH_MAX + 128];
	int			 rc = 0;

	if (tl_desk_store_open(path, &d, err, sizeof(err)) != TL_OK)
		return tl_backup_fail("restore: the desk store: %s", err);
	if (tl_desk_cursor(d, tips) != TL_OK ||
	    tl_desk_msg_cursor(d, msgs) != TL_OK)
		rc = tl_backup_fail("restore: %s: %s", path,
		    tl_desk_store_errmsg(d));
	tl_desk_store_close(d);
	return rc;
}

/* Every tip of s opens with sk: 0, or -1 (said); *n counts them. */
static int
every_tip_opens(struct tl_store *s, const struct tl_seal_secret *sk,
    int64_t *n)
{
	sqlite3_stmt		*st;
	struct tl_tip		 tip;
	enum tl_seal_fault	 fault;
	enum tl_err		 err;
	int			 rc;

	*n = 0;
	if (tl_store_prep_tips(s, " FROM tips ORDER BY tips.id", &st) !=
	    TL_OK)
		return tl_backup_fail("restore: %s", s->err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = tl_store_read_tip(st, 0, &tip)) != TL_OK)
			break;
		err = tl_tip_unseal(&tip, sk, &fault);
		if (err == TL_ESEALED)
			tl_backup_fail("restore: tip %s of the backup does "
			    "not open: %s. Nothing was changed.", tip.ref,
			    fault == TL_SEAL_FAULT_KEY ? "it was not sealed "
			    "to this staff key (staff_secret_key_file)" :
			    "its row or its blob was changed");
		tl_tip_free(&tip);
		if (err != TL_OK)
			break;
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return err == TL_ESEALED ? -1 :
		    tl_backup_fail("restore: %s", tl_strerror(err));
	return rc == SQLITE_DONE ? 0 : tl_backup_fail("restore: reading the "
	    "tips: %s", sqlite3_errmsg(s->db));
}

/* Raises table's next id in s to after at least: 0, or -1 (said). */
static int
ids_after(struct tl_store *s, const char *table, int64_t after)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO sqlite_sequence"
	    " (rowid, name, seq) SELECT (SELECT rowid FROM sqlite_sequence"
	    " WHERE name = ?1), ?1, max(?2, coalesce((SELECT seq FROM"
	    " sqlite_sequence WHERE name = ?1), 0))", -1, &st, NULL) !=
	    SQLITE_OK)
		return tl_backup_fail("restore: %s", sqlite3_errmsg(s->db));
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : tl_backup_fail("restore: %s: %s",
	    table, sqlite3_errmsg(s->db));
}

/* Checks the intake copy at path and pairs it with the desk's cursors:
 * 0, or -1 (said). *n: its tips. */
static int
pair_intake(const char *path, const struct tl_seal_secret *sk,
    int64_t tips, int64_t msgs, int64_t *n)
{
	struct tl_store	*s;
	char		 err[512];
	int		 rc = -1;

	if (tl_store_attach(path, &s, err, sizeof(err)) != TL_OK)
		return tl_backup_fail("restore: %s", err);
	if (every_tip_opens(s, sk, n) == 0 &&
	    ids_after(s, "tips", tips) == 0 &&
	    ids_after(s, "messages", msgs) == 0)
		rc = 0;
	if (rc == 0 && sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)",
	    NULL, NULL, NULL) != SQLITE_OK)
		rc = tl_backup_fail("restore: %s", sqlite3_errmsg(s->db));
	tl_store_close(s);
	return rc;
}

/* The folder path is in, into dir. */
static void
folder_of(const char *path, char dir[PATH_MAX])
{
	char	*slash;

	snprintf(dir, PATH_MAX, "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, PATH_MAX, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
}

/* Gives s->tmp, whole on disk and with no WAL beside it, the owner and
 * mode of the store it replaces (or its folder's owner and s->mode). */
static int
finish_tmp(struct side *s)
{
	char		 wal[PATH_MAX + 8], dir[PATH_MAX];
	struct stat	 sb;
	int		 fd, rc = 0;
	uid_t		 uid = (uid_t)-1;
	gid_t		 gid = (gid_t)-1;
	mode_t		 mode = s->mode;

	if (name(wal, s->tmp, "-wal") == -1)
		return -1;
	if (access(wal, F_OK) == 0)
		return tl_backup_fail("restore: %s is left beside the copy",
		    wal);
	folder_of(s->path, dir);
	if (stat(s->path, &sb) == 0)
		mode = sb.st_mode & 0777;
	if (stat(s->path, &sb) == 0 || stat(dir, &sb) == 0) {
		uid = sb.st_uid;
		gid = sb.st_gid;
	}
	if ((fd = open(s->tmp, O_RDONLY | O_NOFOLLOW)) == -1)
		return tl_backup_fail("%s: %s", s->tmp, strerror(errno));
	if (fchmod(fd, mode) == -1 || (geteuid() == 0 &&
	    fchown(fd, uid, gid) == -1) || fsync(fd) == -1)
		rc = tl_backup_fail("%s: %s", s->tmp, strerror(errno));
	close(fd);
	return rc;
}

/* One rename of s's, recorded: 0, or -1 (said). ENOENT of a part that
 * is not there is no rename and no failure. */
static int
move(struct side *s, const char *from, const char *to, int must)
{
	if (rename(from, to) == -1) {
		if (errno == ENOENT && !must)
			return 0;
		return tl_backup_fail("restore: %s: %s", to, strerror(errno));
	}
	snprintf(s->from[s->moves], sizeof(s->from[0]), "%s", from);
	snprintf(s->to[s->moves], sizeof(s->to[0]), "%s", to);
	s->moves++;
	return 0;
}

/* Moves s's old store (WAL and SHM first) aside and its copy into
 * place: 0, or -1 (said; what was done is undone by undo()). */
static int
swap(struct side *s)
{
	char	 from[PATH_MAX + 8], to[PATH_MAX + 8];
	size_t	 i;

	for (i = 0; i < NPARTS; i++)
		if (name(from, s->path, parts[i]) == -1 ||
		    name(to, s->path, aside[i]) == -1 ||
		    move(s, from, to, 0) == -1)
			return -1;
	return move(s, s->tmp, s->path, 1);
}

/* Undoes s's renames, last first. */
static void
undo(struct side *s)
{
	while (s->moves > 0) {
		s->moves--;
		if (rename(s->to[s->moves], s->from[s->moves]) == -1)
			tl_backup_fail("restore: could not move %s back to %s:"
			    " %s", s->to[s->moves], s->from[s->moves],
			    strerror(errno));
	}
}

/* Removes the old store s moved aside. */
static void
drop_old(struct side *s)
{
	size_t	 i;

	for (i = 0; i + 1 < s->moves; i++)
		unlink(s->to[i]);
	s->moves = 0;
}

/* Builds both copies beside the stores and checks them as a pair: 0,
 * or -1 (said). *n: the tips restored. */
static int
build(struct side *in, struct side *desk, const struct tl_config *cfg,
    const char *dir, int64_t *n)
{
	struct tl_seal_secret	*sk;
	char			 err[PATH_MAX + 128];
	int64_t			 tips = 0, msgs = 0;
	int			 rc = -1;

	if (tl_seal_secret_read(cfg->staff_secret_key_file, &sk, err,
	    sizeof(err)) != TL_OK)
		return tl_backup_fail("restore needs the staff secret key, to "
		    "check that every tip opens and to open the desk's copy: "
		    "%s. Run it as root or tipline-staff.", err);
	unlink(in->tmp);
	unlink(desk->tmp);
	if (build_intake(in, dir) == -1 ||
	    (desk->restore && build_desk(desk, dir, sk) == -1))
		goto out;
	/* The cursors of the desk that will run: the restored one, else
	 * the one kept. */
	if (desk->restore ? desk_cursors(desk->tmp, &tips, &msgs) == -1 :
	    access(desk->path, F_OK) == 0 &&
	    desk_cursors(desk->path, &tips, &msgs) == -1)
		goto out;
	if (pair_intake(in->tmp, sk, tips, msgs, n) == -1 ||
	    finish_tmp(in) == -1 || (desk->restore && finish_tmp(desk) == -1))
		goto out;
	rc = 0;
out:
	tl_seal_secret_free(sk);
	return rc;
}

/* Makes the renames in dir of path durable. */
static void
sync_dir(const char *path)
{
	char	 dir[PATH_MAX];
	int	 fd;

	folder_of(path, dir);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) != -1) {
		fsync(fd);
		close(fd);
	}
}

enum tl_err
tl_backup_restore(const struct tl_config *cfg, const char *dir, FILE *out)
{
	struct side	 in = { .path = cfg->database, .what = "intake store",
			    .mode = 0660, .lock = -1 };
	struct side	 desk = { .path = cfg->staff_database,
			    .what = "desk store", .mode = 0600, .lock = -1 };
	char		 path[PATH_MAX];
	int64_t		 n = 0;
	enum tl_err	 rc = TL_EIO;

	if (tl_backup_join(path, dir, TL_BACKUP_DESK) == -1 ||
	    name(in.tmp, in.path, ".restore") == -1 ||
	    name(desk.tmp, desk.path, ".restore") == -1)
		return TL_EIO;
	desk.restore = access(path, F_OK) == 0;
	if (lock_side(&in) == -1 || lock_side(&desk) == -1)
		goto out;
	if (build(&in, &desk, cfg, dir, &n) == -1) {
		tl_backup_fail("restore: nothing was changed");
		goto out;
	}
	if (swap(&in) == -1 || (desk.restore && swap(&desk) == -1)) {
		undo(&desk);
		undo(&in);
		tl_backup_fail("restore: the stores were put back as they "
		    "were");
		goto out;
	}
	drop_old(&in);
	drop_old(&desk);
	sync_dir(in.path);
	sync_dir(desk.path);
	fprintf(out, "intake store restored to %s: %lld tip%s, each opens "
	    "with the staff key\n", in.path, (long long)n, n == 1 ? "" : "s");
	if (desk.restore)
		fprintf(out, "desk store restored to %s\n", desk.path);
	else
		fprintf(out, "desk store: not in this backup, %s kept as it "
		    "is\n", desk.path);
	rc = TL_OK;
out:
	unlink(in.tmp);
	unlink(desk.tmp);
	if (desk.lock != -1)
		close(desk.lock);
	if (in.lock != -1)
		close(in.lock);
	return rc;
}
