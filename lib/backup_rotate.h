/*
 * backup_rotate.h — `tiplinectl backup --rotate` (SPEC 17), run daily by
 * tipline-backup.service: a backup into a new folder of backup_dir named
 * for the time, then only the newest backup_keep of the folders it made
 * kept. Apart from lib/backup.c, which takes the backup itself.
 */
#ifndef TL_BACKUP_ROTATE_H
#define TL_BACKUP_ROTATE_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "tl.h"

#define TL_ROTATE_PREFIX	"tipline-"	/* then 20250102T030405Z */

/*
 * Takes a backup (tl_backup_take) into backup_dir/tipline-TIME (TIME:
 * now in UTC, like 20250102T030405Z), made first as TIME.partial and
 * renamed once whole (a failed one is removed), then deletes all but
 * the newest backup_keep folders of backup_dir named so, each holding
 * files only; nothing else in backup_dir is touched. Reports on out.
 * TL_OK, or TL_EIO with the reason on stderr.
 */
enum tl_err tl_backup_rotate(const struct tl_config *cfg, int64_t now,
	    FILE *out);

/*
 * The pruning alone: deletes all but the newest keep folders of dir
 * named tipline-TIME (files only in them). TL_OK, or TL_EIO (said on
 * stderr; what could be deleted is).
 */
enum tl_err tl_backup_prune(const char *dir, long keep, FILE *out);

#endif
