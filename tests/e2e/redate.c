/*
 * redate.c — test-only: gives a stored tip another time received, as if
 * it had arrived then, by opening its seal with the staff secret key and
 * sealing it again for the new row (the seal binds received_at, so a
 * plain UPDATE makes the tip unreadable, which is the point of it).
 *
 *	redate CONFIG REF UNIXTIME
 *
 * The desk's copy, when the desk holds the tip, is given the same time
 * and the new row's digest, so that the desk does not flag the change.
 * Used by tests/e2e/ctl.py to age tips; never installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "desk_ingest.h"
#include "store_impl.h"
#include "tip_staff.h"

/*
 * The desk's copy of ref follows (SPEC 16: the desk flags a row changed
 * after ingest, which redate does on purpose): its time and the digest
 * of the new row, when the desk holds it. 0, or 1 with err set.
 */
static int
desk_too(const struct tl_config *cfg, const char *ref, int64_t at,
    char *err, size_t errlen)
{
	struct tl_desk_intake	*in = NULL;
	struct tl_desk_store	*d = NULL;
	sqlite3			*db = NULL;
	sqlite3_stmt		*st = NULL;
	char			 dg[TL_SEAL_HASH_HEX];
	int			 rc = 1;

	if (access(cfg->staff_database, F_OK) == -1)
		return 0;
	if (tl_desk_intake_open(cfg->database, &in, err, errlen) != TL_OK ||
	    tl_desk_store_open(cfg->staff_database, &d, err, errlen) !=
	    TL_OK)
		goto out;
	if (tl_desk_intake_digest(in, ref, dg) != TL_OK ||
	    tl_desk_set_digest(d, ref, dg) != TL_OK) {
		snprintf(err, errlen, "desk: digest of %s", ref);
		goto out;
	}
	if (sqlite3_open(cfg->staff_database, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE tips SET received_at = ?1,"
	    " queue_at = ?1 WHERE ref = ?2", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "desk: %s", sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	else
		snprintf(err, errlen, "desk: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	tl_desk_store_close(d);
	tl_desk_intake_close(in);
	return rc;
}

static int
redate(struct tl_store *s, const struct tl_config *cfg, const char *ref,
    int64_t at)
{
	struct tl_seal_secret	*sk = NULL;
	struct tl_tip		 tip;
	enum tl_seal_fault	 fault;
	sqlite3_stmt		*st = NULL, *up = NULL;
	uint8_t			 pk[TL_SEAL_KEYBYTES], *blob = NULL;
	size_t			 len;
	char			 err[512];
	int			 rc = 1;

	memset(&tip, 0, sizeof(tip));
	if (tl_seal_secret_read(cfg->staff_secret_key_file, &sk, err,
	    sizeof(err)) != TL_OK ||
	    tl_store_prep_tips(s, " FROM tips WHERE ref = ?1", &st) != TL_OK)
		goto out;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW ||
	    tl_store_read_tip(st, 0, &tip) != TL_OK ||
	    tl_tip_unseal(&tip, sk, &fault) != TL_OK) {
		snprintf(err, sizeof(err), "%s: not found or does not open",
		    ref);
		goto out;
	}
	/* The read ends before the write begins: a read transaction kept
	 * open cannot become a write once another connection (the notifier,
	 * the desk) has committed since (SQLITE_BUSY_SNAPSHOT). */
	sqlite3_reset(st);
	tl_seal_secret_public(sk, pk);
	tip.received_at = at;
	if (tl_tip_seal(&tip, pk, &blob, &len, err, sizeof(err)) != TL_OK)
		goto out;
	if (sqlite3_prepare_v2(s->db, "UPDATE tips SET received_at = ?1,"
	    " sealed = ?2 WHERE ref = ?3", -1, &up, NULL) != SQLITE_OK) {
		snprintf(err, sizeof(err), "%s", sqlite3_errmsg(s->db));
		goto out;
	}
	sqlite3_bind_int64(up, 1, at);
	sqlite3_bind_blob64(up, 2, blob, len, SQLITE_STATIC);
	sqlite3_bind_text(up, 3, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(up) == SQLITE_DONE)
		rc = desk_too(cfg, ref, at, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "%s", sqlite3_errmsg(s->db));
out:
	if (rc != 0)
		fprintf(stderr, "redate: %s\n", err);
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	free(blob);
	tl_tip_free(&tip);
	tl_seal_secret_free(sk);
	return rc;
}

int
main(int argc, char **argv)
{
	struct tl_config	 cfg;
	struct tl_store		*s;
	char			 err[512];
	int			 rc;

	if (argc != 4) {
		fprintf(stderr, "usage: redate CONFIG REF UNIXTIME\n");
		return 2;
	}
	if (tl_config_load(argv[1], &cfg, err, sizeof(err)) != TL_OK ||
	    tl_store_attach(cfg.database, &s, err, sizeof(err)) != TL_OK) {
		fprintf(stderr, "redate: %s\n", err);
		return 1;
	}
	rc = redate(s, &cfg, argv[2], strtoll(argv[3], NULL, 10));
	tl_store_close(s);
	tl_config_free(&cfg);
	return rc;
}
