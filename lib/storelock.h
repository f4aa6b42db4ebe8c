/*
 * storelock.h — the lock file beside each store (SPEC 17).
 *
 * Every serving program (tipline.fcgi, tipline-notify, tipline-staff.fcgi)
 * holds a shared flock(2) on STORE.lock beside each store it opens, for
 * its whole life; `tiplinectl restore` takes them exclusively without
 * waiting, so it never replaces a store a program has open, and a
 * program started meanwhile waits until the restore is over.
 */
#ifndef TL_STORELOCK_H
#define TL_STORELOCK_H

#include <stddef.h>

/*
 * Opens path".lock", the lock file beside the store at path (made 0660
 * when missing, owned like the store's folder when root makes it), and
 * flock()s it with how (LOCK_SH or LOCK_EX, with or without LOCK_NB).
 * Returns the descriptor (close-on-exec), held for as long as the lock
 * is; or -1 with errno set (EWOULDBLOCK: another process holds it) and
 * the reason, naming the file, in err.
 */
int tl_store_lock(const char *path, int how, char *err, size_t errlen);

/*
 * tl_store_lock(path, LOCK_SH) for serving program prog: when a restore
 * holds the lock, says on stderr that prog waits for it, then waits.
 * The descriptor, or -1 having said why on stderr.
 */
int tl_store_hold(const char *path, const char *prog);

#endif
