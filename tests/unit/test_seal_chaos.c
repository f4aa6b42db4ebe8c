/*
 * test_seal_chaos.c — allocation failure in seal.c, as test_chaos.c does
 * for the parser and the store: each path (sealing, opening, the
 * plaintext parser, the additional data, a follow-up message sealed and
 * opened) is run once to count its
 * allocations (K), then once for each N in 1..K with the Nth failing.
 * Each run must answer TL_ENOMEM, give back no half result, and leak
 * nothing; a run with memory to spare must still succeed afterwards.
 *
 * A small replacement of glibc's malloc family, for this binary only
 * (test_chaos.c has the full one). It does not see sodium_malloc, which
 * maps its own pages: the secret key's allocation is not failed here.
 * Under ASan or valgrind (which replace malloc themselves) the test
 * skips.
 */
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "seal_staff.h"

#if defined(__SANITIZE_ADDRESS__)
#define CHAOS_ALLOCATOR	0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CHAOS_ALLOCATOR	0
#endif
#endif
#ifndef CHAOS_ALLOCATOR
#define CHAOS_ALLOCATOR	1
#endif

static struct {
	int		 armed;
	unsigned long	 fail_at;	/* 0: none */
	unsigned long	 count;		/* since armed */
	long		 blocks;	/* live, whole program */
} chaos;

#if CHAOS_ALLOCATOR
extern void	*__libc_malloc(size_t);
extern void	*__libc_calloc(size_t, size_t);
extern void	*__libc_realloc(void *, size_t);
extern void	 __libc_free(void *);

static int
refuse(void)
{
	if (!chaos.armed || ++chaos.count != chaos.fail_at)
		return 0;
	errno = ENOMEM;
	return 1;
}

static void *
track(void *p)
{
	if (p != NULL)
		chaos.blocks++;
	return p;
}

void *
malloc(size_t n)
{
	return refuse() ? NULL : track(__libc_malloc(n));
}

void *
calloc(size_t n, size_t size)
{
	return refuse() ? NULL : track(__libc_calloc(n, size));
}

void *
realloc(void *p, size_t n)
{
	if (p == NULL)
		return malloc(n);
	if (n == 0) {
		free(p);
		return NULL;
	}
	return refuse() ? NULL : __libc_realloc(p, n);
}

void
free(void *p)
{
	if (p != NULL)
		chaos.blocks--;
	__libc_free(p);
}
#endif

/* Whether valgrind runs us (it replaces malloc itself). */
static int
under_valgrind(void)
{
	FILE	*f;
	char	 line[1024];
	int	 found = 0;

	if ((f = fopen("/proc/self/maps", "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, "vgpreload") != NULL;
	fclose(f);
	return found;
}

/* What the paths share: a key pair, a row, a blob sealed for it. */
static struct {
	struct tl_seal_secret	*sk;
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	uint8_t			*blob;
	size_t			 bloblen;
	uint8_t			*plain;
	size_t			 plainlen;
	struct tl_seal_shared	*shared;
	uint8_t			*msg;
	size_t			 msglen;
} fx;

static const struct tl_seal_field fields[] = {
	{ "description", "Dealing from the flat above the bookies" },
	{ "phones", "07700 900123" },
};
static const struct tl_seal_column cols[] = {
	{ "priority", "urgent" }, { "area", NULL },
};
static const struct tl_seal_ad row = { "K7QF-2M9X", 1764300000, cols, 2,
    NULL, NULL, NULL };
static const struct tl_seal_msg_ad msg_row = { "K7QF-2M9X", 1,
    TL_SEAL_FROM_STAFF, 1764300000 };

/* One path: runs, frees what it made, and returns its tl_err. */
static enum tl_err
path_seal(void)
{
	uint8_t		*blob = (uint8_t *)1;
	size_t		 len;
	char		 err[160];
	enum tl_err	 rc;

	rc = tl_seal_seal(fx.pk, &row, fields, 2, &blob, &len, err,
	    sizeof(err));
	if (rc != TL_OK)
		assert_null(blob);
	free(blob);
	return rc;
}

static enum tl_err
path_open(void)
{
	struct tl_seal_opened	*o = (struct tl_seal_opened *)1;
	enum tl_seal_fault	 f;
	char			 err[160];
	enum tl_err		 rc;

	rc = tl_seal_open(fx.sk, &row, fx.blob, fx.bloblen, &o, &f, err,
	    sizeof(err));
	if (rc != TL_OK) {
		assert_null(o);
		assert_int_equal(f, TL_SEAL_FAULT_NONE);
	} else
		assert_string_equal(tl_seal_opened_get(o, "phones"),
		    "07700 900123");
	tl_seal_opened_free(o);
	return rc;
}

static enum tl_err
path_decode(void)
{
	struct tl_seal_opened	*o;
	char			 err[160];
	enum tl_err		 rc;

	rc = tl_seal_plain_decode(fx.plain, fx.plainlen, &o, err,
	    sizeof(err));
	tl_seal_opened_free(o);
	return rc;
}

static enum tl_err
path_ad(void)
{
	uint8_t		*ad;
	size_t		 len;
	char		 err[160];
	enum tl_err	 rc;

	rc = tl_seal_ad_encode(&row, &ad, &len, err, sizeof(err));
	free(ad);
	return rc;
}

static enum tl_err
path_msg_seal(void)
{
	uint8_t		*blob;
	size_t		 len;
	char		 err[160];
	enum tl_err	 rc;

	rc = tl_seal_msg_seal(fx.shared, &msg_row, "Any news?", &blob, &len,
	    err, sizeof(err));
	free(blob);
	return rc;
}

static enum tl_err
path_msg_open(void)
{
	char		*t, err[160];
	enum tl_err	 rc;

	rc = tl_seal_msg_open(fx.shared, &msg_row, fx.msg, fx.msglen, &t, err,
	    sizeof(err));
	if (rc == TL_OK)
		assert_string_equal(t, "Any news?");
	tl_seal_text_free(t);
	return rc;
}

/* Runs path with allocation n failing (0: none); returns its count. */
static unsigned long
run(enum tl_err (*path)(void), unsigned long n, enum tl_err *rc)
{
	long	 blocks = chaos.blocks;

	chaos.fail_at = n;
	chaos.count = 0;
	chaos.armed = 1;
	*rc = path();
	chaos.armed = 0;
	if (chaos.blocks != blocks)
		fail_msg("allocation %lu failing: %ld blocks leaked", n,
		    chaos.blocks - blocks);
	return chaos.count;
}

static void
each(const char *name, enum tl_err (*path)(void))
{
	unsigned long	 k, n;
	enum tl_err	 rc;

	k = run(path, 0, &rc);
	assert_int_equal(rc, TL_OK);
	assert_true(k > 0);
	for (n = 1; n <= k; n++) {
		run(path, n, &rc);
		if (rc != TL_ENOMEM)
			fail_msg("%s, allocation %lu of %lu failing: %d", name,
			    n, k, rc);
	}
	run(path, 0, &rc);
	assert_int_equal(rc, TL_OK);
	print_message("chaos: %-8s K = %lu\n", name, k);
}

static void
test_alloc_failure(void **state)
{
	char	 err[160];

	(void)state;
	if (!CHAOS_ALLOCATOR || under_valgrind())
		skip();
	assert_int_equal(tl_seal_keypair(NULL, fx.pk, &fx.sk), TL_OK);
	assert_int_equal(tl_seal_seal(fx.pk, &row, fields, 2, &fx.blob,
	    &fx.bloblen, err, sizeof(err)), TL_OK);
	assert_int_equal(tl_seal_plain_encode(fields, 2, &fx.plain,
	    &fx.plainlen, err, sizeof(err)), TL_OK);
	assert_int_equal(tl_seal_shared_new(fx.sk, fx.pk, &fx.shared), TL_OK);
	assert_int_equal(tl_seal_msg_seal(fx.shared, &msg_row, "Any news?",
	    &fx.msg, &fx.msglen, err, sizeof(err)), TL_OK);
	each("seal", path_seal);
	each("open", path_open);
	each("decode", path_decode);
	each("ad", path_ad);
	each("msg seal", path_msg_seal);
	each("msg open", path_msg_open);
	free(fx.msg);
	tl_seal_shared_free(fx.shared);
	free(fx.blob);
	free(fx.plain);
	tl_seal_secret_free(fx.sk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_failure),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("seal_chaos", tests, NULL, NULL);
}
