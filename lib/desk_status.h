/*
 * desk_status.h — the desk's status file (SPEC 17): what the desk says of
 * itself where tiplinectl check, run by tipline-check.service as user
 * tipline, can read it, since the desk's store is tipline-staff's alone.
 * Written by tipline-staff.fcgi after each ingest round that completed,
 * into desk_status_file (its folder 0750 tipline-staff:tipline, so the
 * public side can read it but never write it: a takeover of tipline.fcgi
 * cannot make a stopped desk look alive).
 */
#ifndef TL_DESK_STATUS_H
#define TL_DESK_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "desk_store.h"
#include "tl.h"

/* What the file holds: all whole numbers, 0 for none. */
struct tl_desk_status {
	int64_t	 heartbeat;	/* the last ingest round that completed */
	int64_t	 tip_cursor;	/* intake ids taken in, up to */
	int64_t	 msg_cursor;
	int64_t	 pending_since;	/* the oldest waiting item seen since */
	int64_t	 skipped;	/* intake rows skipped as unreadable */
};

/* Fills st from the desk's store d, heartbeat set to now. TL_OK or
 * TL_ESTORE. */
enum tl_err tl_desk_status_of(struct tl_desk_store *d, int64_t now,
	    struct tl_desk_status *st);

/*
 * Replaces path with st, whole (a file beside it renamed over it), mode
 * 0640. TL_OK, or TL_EIO with "path: reason" in err.
 */
enum tl_err tl_desk_status_write(const char *path,
	    const struct tl_desk_status *st, char *err, size_t errlen);

/*
 * Reads path into st. TL_OK; TL_ENOTFOUND if there is no such file;
 * TL_EIO (cannot be read) or TL_EINVAL (not a status file), with
 * "path: reason" in err.
 */
enum tl_err tl_desk_status_read(const char *path, struct tl_desk_status *st,
	    char *err, size_t errlen);

#endif
