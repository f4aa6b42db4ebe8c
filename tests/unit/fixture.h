/*
 * fixture.h — helpers the unit tests share: removing a temporary folder,
 * freeing a hand-built report, querying a database file through a second,
 * independent SQLite connection, and checking a reference's form.
 *
 * Everything here is static inline, so each test binary gets its own
 * copy and an unused helper costs nothing (and raises no warning). The
 * helpers that check fail the running cmocka test on a broken premise.
 */
#ifndef TL_TESTS_FIXTURE_H
#define TL_TESTS_FIXTURE_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "ref.h"
#include "report.h"
#include "seal_staff.h"
#include "store.h"
#include "tip.h"

/*
 * Removes dir and the files directly in it (not subfolders: a folder
 * that still holds one stays). Silent: a missing dir is no error.
 */
static inline void
rmtree(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	char		 p[512];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/*
 * Frees what a hand-built report holds (raw and normalised values, and
 * the first nphones phones) and zeroes it. r must have started zeroed or
 * from here; kept apart from tl_report_free() so a test owns its report.
 */
static inline void
report_clear(struct tl_report *r)
{
	size_t	 i;

	for (i = 0; i < TL_F__MAX; i++) {
		free(r->raw[i]);
		free(r->value[i]);
	}
	for (i = 0; i < r->nphones; i++)
		free(r->phones[i]);
	memset(r, 0, sizeof(*r));
}

/*
 * A second, independent read-write connection to the database file at
 * path, waiting up to 5 s on locks. Fails the test if it cannot open;
 * the caller closes it with sqlite3_close().
 */
static inline sqlite3 *
peek(const char *path)
{
	sqlite3	*db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/*
 * The integer in the first column of the first row sql answers, through
 * a connection of its own to path. Fails the test if sql does not
 * prepare or gives no row.
 */
static inline int64_t
q_int(const char *path, const char *sql)
{
	sqlite3		*db = peek(path);
	sqlite3_stmt	*st;
	int64_t		 v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Runs sql through a connection of its own to path; fails the test on
 * any error. */
static inline void
q_exec(const char *path, const char *sql)
{
	sqlite3	*db = peek(path);

	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/*
 * Whether ref is exactly a reference: "TL-" and two groups of four
 * Crockford base32 characters, upper case, and nothing after. Returns 1
 * or 0; never fails the test.
 */
static inline int
ref_ok(const char *ref)
{
	static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	size_t	 i;

	if (strlen(ref) != TL_REF_LEN || strncmp(ref, "TL-", 3) != 0 ||
	    ref[7] != '-')
		return 0;
	for (i = 3; i < TL_REF_LEN; i++)
		if (i != 7 && strchr(crockford, ref[i]) == NULL)
			return 0;
	return 1;
}

/* Whether the file at path holds the len bytes of needle (0 when there
 * is no file). */
static inline int
file_holds_bytes(const char *path, const void *needle, size_t len)
{
	FILE	*fp;
	char	*data;
	long	 n;
	int	 found = 0;
	size_t	 i;

	if ((fp = fopen(path, "rb")) == NULL)
		return 0;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	assert_non_null(data = malloc((size_t)n + 1));
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	for (i = 0; !found && i + len <= (size_t)n; i++)
		found = memcmp(data + i, needle, len) == 0;
	free(data);
	return found;
}

/* Whether the file at path holds the string needle. */
static inline int
file_holds(const char *path, const char *needle)
{
	return file_holds_bytes(path, needle, strlen(needle));
}

/* A store of its own in a temporary folder, for cmocka's setup and
 * teardown (fx_store_setup, fx_store_teardown). */
struct fx_store {
	char		 dir[64];
	char		 path[128];
	struct tl_store	*s;
};

static inline int
fx_store_setup(void **state)
{
	struct fx_store	*f;
	char		 err[256];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/tl-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/tipline.db", f->dir);
	if (tl_store_open(f->path, &f->s, err, sizeof(err)) != TL_OK)
		return -1;
	*state = f;
	return 0;
}

static inline int
fx_store_teardown(void **state)
{
	struct fx_store	*f = *state;

	tl_store_close(f->s);
	rmtree(f->dir);
	free(f);
	return 0;
}

/* The staff key pair of the tests: the same every run (a fixed seed).
 * The caller frees *sk with tl_seal_secret_free(); sk may be NULL. */
static inline void
fx_staff_keys(uint8_t pk[TL_SEAL_KEYBYTES], struct tl_seal_secret **sk)
{
	struct tl_seal_secret	*k = NULL;
	uint8_t			 seed[32];

	memset(seed, 0x5e, sizeof(seed));
	assert_int_equal(tl_seal_keypair(seed, pk, &k), TL_OK);
	if (sk != NULL)
		*sk = k;
	else
		tl_seal_secret_free(k);
}

/*
 * Seals sub (report and received_at set) under a fresh reference to the
 * tests' staff key, as intake does; sub borrows from view and *blob,
 * which the caller frees.
 */
static inline void
fx_prepare(struct tl_submit *sub, struct tl_tip *view, uint8_t **blob)
{
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	char			 ref[TL_REF_SIZE], err[128];

	fx_staff_keys(pk, NULL);
	tl_ref_random(ref);
	if (tl_tip_prepare(sub, view, ref, pk, blob, err, sizeof(err)) !=
	    TL_OK)
		fail_msg("seal: %s", err);
}

/* fx_prepare() with what sub borrows in a ring of 16 slots: a submission
 * stays good until 16 more are sealed. One thread only. */
static inline void
fx_seal(struct tl_submit *sub)
{
	static struct tl_tip	 views[16];
	static uint8_t		*blobs[16];
	static unsigned		 next;
	unsigned		 i = next++ % 16;

	free(blobs[i]);
	blobs[i] = NULL;
	fx_prepare(sub, &views[i], &blobs[i]);
}

#endif /* TL_TESTS_FIXTURE_H */
