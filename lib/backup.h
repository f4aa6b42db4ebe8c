/*
 * backup.h — `tiplinectl backup DIR` and `restore DIR` (SPEC 15).
 *
 * A backup folder holds tipline.db, a consistent copy of the intake store
 * taken with SQLite's online backup while the services run, and, when
 * the desk's store (staff_database) exists, staff.db.sealed: a copy of
 * it sealed to the staff public key (tl_seal_file_write), so that the
 * folder holds no readable tip of the desk's. Every file is mode 0600.
 */
#ifndef TL_BACKUP_H
#define TL_BACKUP_H

#include <stdio.h>

#include "config.h"
#include "tl.h"

#define TL_BACKUP_INTAKE	"tipline.db"
#define TL_BACKUP_DESK		"staff.db.sealed"

/*
 * Writes a backup into dir (created 0700 when missing; files already
 * there are replaced only once their new copy is whole). Reports on out.
 * Returns TL_OK, or TL_EIO with the reason on stderr.
 */
enum tl_err tl_backup_take(const struct tl_config *cfg, const char *dir,
	    FILE *out);

/*
 * Puts a backup in dir back in place of the configured stores, with the
 * services stopped: each copy is checked (PRAGMA integrity_check) before
 * it replaces anything; the desk's copy is opened with the staff secret
 * key. Refuses when a store is in use. Returns TL_OK, or TL_EIO (said
 * on stderr).
 */
enum tl_err tl_backup_restore(const struct tl_config *cfg, const char *dir,
	    FILE *out);

#endif
