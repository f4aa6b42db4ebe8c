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

#endif /* TL_TESTS_FIXTURE_H */
