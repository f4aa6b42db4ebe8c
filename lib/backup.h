/*
 * backup.h — `tiplinectl backup DIR` and `restore DIR` (SPEC 15, 17).
 *
 * A backup folder holds tipline.db, a consistent copy of the intake store
 * taken with SQLite's online backup while the services run, and (unless
 * --intake-only) staff.db.sealed: a copy of the desk's store
 * (staff_database), taken just before, sealed to the staff public key
 * (tl_seal_file_write), so that the folder holds no readable tip of the
 * desk's. Every file is mode 0600. backup.c takes, restore.c restores.
 */
#ifndef TL_BACKUP_H
#define TL_BACKUP_H

#include <stdio.h>

#include "config.h"
#include "tl.h"

#define TL_BACKUP_INTAKE	"tipline.db"
#define TL_BACKUP_DESK		"staff.db.sealed"

/*
 * Writes a backup of both stores into dir, which must not exist (it is
 * made 0700) or be an empty folder. Each store must be readable: one
 * that is not is an error naming it; intake_only leaves the desk's out
 * on purpose. On failure nothing it wrote is left. Reports on out.
 * Returns TL_OK, or TL_EIO with the reason on stderr.
 */
enum tl_err tl_backup_take(const struct tl_config *cfg, const char *dir,
	    int intake_only, FILE *out);

/*
 * Puts the backup in dir back in place of the configured stores (the
 * desk's only when the backup holds it), as restore.c says: refuses,
 * changing nothing, while a serving program holds a store's lock
 * (storelock.h); checks the pair (integrity, every tip opens with the
 * staff secret key, the intake store's ids past the desk's cursors)
 * before it replaces anything; leaves both stores as they were when any
 * step fails. Returns TL_OK, or TL_EIO (said on stderr).
 */
enum tl_err tl_backup_restore(const struct tl_config *cfg, const char *dir,
	    FILE *out);

#endif
