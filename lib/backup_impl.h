/*
 * backup_impl.h — what backup.c (taking a backup) and restore.c (putting
 * one back) share. Not part of the interface.
 */
#ifndef TL_BACKUP_IMPL_H
#define TL_BACKUP_IMPL_H

#include <limits.h>

#include <sqlite3.h>

#define TL_BACKUP_BUSY_MS	5000

/* Says "tiplinectl: " and what failed on stderr; returns -1. */
int tl_backup_fail(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* Copies all of src's main database into dst: SQLITE_OK or an error. */
int tl_backup_copy(sqlite3 *dst, sqlite3 *src);

/* Opens path (flags) with a busy timeout, as a file tipline.fcgi could
 * have written (tl_store_harden, no symbolic link): the handle, or NULL
 * (said). */
sqlite3 *tl_backup_open(const char *path, int flags);

/* Whether db passes PRAGMA integrity_check: 0, or -1 (said, as what). */
int tl_backup_integrity(sqlite3 *db, const char *what);

/* dir/name into out: 0, or -1 (said). */
int tl_backup_join(char out[PATH_MAX], const char *dir, const char *name);

/* Makes the file at path whole on disk: 0, or -1 (said). */
int tl_backup_sync(const char *path);

/*
 * Marks the image of a database (n bytes) as a rollback-journal one:
 * a WAL database's header says so in bytes 18 and 19 (2), and an image
 * that says so opens neither in memory nor as a file without its WAL.
 * 0, or -1 when img is no database (shorter than its header).
 */
int tl_backup_unwal(unsigned char *img, size_t n);

#endif
