/*
 * redate.c — test-only: gives a stored tip another time received, as if
 * it had arrived then, by opening its seal with the staff secret key and
 * sealing it again for the new row (the seal binds received_at, so a
 * plain UPDATE makes the tip unreadable, which is the point of it).
 *
 *	redate CONFIG REF UNIXTIME
 *
 * Used by tests/e2e/ctl.py to age tips; never installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "store_impl.h"
#include "tip_staff.h"

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
		rc = 0;
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
