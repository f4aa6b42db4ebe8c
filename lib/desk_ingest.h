/*
 * desk_ingest.h — taking tips from the intake store into the desk's
 * (SPEC 12). The intake store is written by the internet-facing process,
 * so it is hostile input here: opened read-only with
 * SQLITE_DBCONFIG_DEFENSIVE, trusted_schema=OFF, cell_size_check=ON, no
 * mmap, query_only, never ATTACHed. Every row is copied into a
 * struct tl_desk_in and handed to tl_desk_ingest(), the one door into the
 * desk, which a later milestone feeds from several hosts.
 */
#ifndef TL_DESK_INGEST_H
#define TL_DESK_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "desk_store.h"
#include "seal.h"
#include "tl.h"

struct tl_desk_intake;

/* Opens the intake store at path as above: TL_OK, or TL_ESTORE with the
 * reason in err. */
enum tl_err tl_desk_intake_open(const char *path,
	    struct tl_desk_intake **out, char *err, size_t errlen);
void tl_desk_intake_close(struct tl_desk_intake *in);

/* Whether the intake store answers a read: TL_OK or TL_ESTORE. */
enum tl_err tl_desk_intake_health(struct tl_desk_intake *in);

/* The last error of in (never tip content). */
const char *tl_desk_intake_errmsg(const struct tl_desk_intake *in);

/*
 * One round: reads up to max tips after the desk's cursor, opens each
 * with sk (NULL while the intake store holds plaintext), ingests them in
 * one transaction and moves the cursor. *n: tips new to the desk.
 * TL_OK; TL_ESTORE (either store failed; nothing ingested); TL_ENOMEM.
 */
enum tl_err tl_desk_ingest_round(struct tl_desk_store *d,
	    struct tl_desk_intake *in, const struct tl_seal_secret *sk,
	    size_t max, int64_t now, size_t *n);

/*
 * Reminders (SPEC 12): each urgent tip nobody has opened in the desk for
 * every seconds (since receipt or its last reminder) gets one pending
 * tip.reminder delivery in the intake store's outbox, which the notifier
 * sends like any other; at most one is pending per tip. The one write the
 * desk makes to the intake store: a connection of its own, opened for
 * the round only (defensive, trusted_schema off), one INSERT a tip in
 * one transaction. *n: reminders queued. TL_OK or TL_ESTORE (reason in
 * err).
 */
enum tl_err tl_desk_remind_round(struct tl_desk_store *d,
	    const char *intake_path, int64_t every, int64_t now, size_t *n,
	    char *err, size_t errlen);

#endif
