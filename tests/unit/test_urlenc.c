/*
 * test_urlenc.c — the urlencoded body parser (lib/urlenc.c), as tables of
 * bodies and what they must give.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "urlenc.h"

#define NPAIR	4

/* A body that parses, and the pairs it must give ("name", "value"). */
struct ok_case {
	const char	*body;
	size_t		 n;
	const char	*pairs[NPAIR][2];
};

static const struct ok_case ok_cases[] = {
	{ "", 0, { { NULL, NULL } } },
	{ "&&&", 0, { { NULL, NULL } } },
	{ "a=1", 1, { { "a", "1" } } },
	{ "a=1&b=2", 2, { { "a", "1" }, { "b", "2" } } },
	{ "a=1&&b=2&", 2, { { "a", "1" }, { "b", "2" } } },
	{ "a=", 1, { { "a", "" } } },
	{ "a", 1, { { "a", "" } } },
	{ "=v", 1, { { "", "v" } } },
	{ "a=b=c", 1, { { "a", "b=c" } } },
	{ "a+b=c+d+", 1, { { "a b", "c d " } } },
	{ "a%20b=%41%4a%4A", 1, { { "a b", "AJJ" } } },
	{ "k=%2B%26%3D%25", 1, { { "k", "+&=%" } } },
	{ "c=dealing&c=weapons", 2,
	    { { "c", "dealing" }, { "c", "weapons" } } },
	{ "t=caf%C3%A9", 1, { { "t", "caf\xc3\xa9" } } },
	{ "t=caf\xc3\xa9", 1, { { "t", "caf\xc3\xa9" } } },
	{ "%E2%82%AC=%F0%9F%98%80", 1,
	    { { "\xe2\x82\xac", "\xf0\x9f\x98\x80" } } },
	{ "d=line1%0D%0Aline2%09", 1, { { "d", "line1\r\nline2\t" } } },
};

/* A body that must be refused, and with what. */
struct bad_case {
	const char	*body;
	size_t		 len;	/* 0: strlen(body) */
	enum tl_err	 rc;
};

static const struct bad_case bad_cases[] = {
	{ "a=%", 0, TL_EMALFORMED },
	{ "a=%4", 0, TL_EMALFORMED },
	{ "a=%zz", 0, TL_EMALFORMED },
	{ "a=%4g", 0, TL_EMALFORMED },
	{ "a=%g4", 0, TL_EMALFORMED },
	{ "%=1", 0, TL_EMALFORMED },
	{ "a=1&b=%%41", 0, TL_EMALFORMED },
	{ "a=%00", 0, TL_EMALFORMED },
	{ "%00=a", 0, TL_EMALFORMED },
	{ "a=x\0y", 5, TL_EMALFORMED },
	{ "a\0=y", 4, TL_EMALFORMED },
	{ "a=%FF", 0, TL_EUTF8 },
	{ "%FF=a", 0, TL_EUTF8 },
	{ "a=\xff", 0, TL_EUTF8 },
	{ "a=%C3", 0, TL_EUTF8 },		/* truncated */
	{ "a=%C3%28", 0, TL_EUTF8 },		/* bad continuation */
	{ "a=%C0%AF", 0, TL_EUTF8 },		/* overlong '/' */
	{ "a=%C1%81", 0, TL_EUTF8 },		/* overlong 'A' */
	{ "a=%E0%80%AF", 0, TL_EUTF8 },		/* overlong 3-byte */
	{ "a=%F0%80%80%AF", 0, TL_EUTF8 },	/* overlong 4-byte */
	{ "a=%ED%A0%80", 0, TL_EUTF8 },		/* surrogate U+D800 */
	{ "a=%ED%BF%BF", 0, TL_EUTF8 },		/* surrogate U+DFFF */
	{ "%ED%B0%80=x", 0, TL_EUTF8 },		/* surrogate in a name */
	{ "a=%F4%90%80%80", 0, TL_EUTF8 },	/* U+110000 */
	{ "a=%F8%88%80%80%80", 0, TL_EUTF8 },	/* 5-byte form */
	{ "a=%80", 0, TL_EUTF8 },		/* lone continuation */
	{ "good=1&bad=%E2%82", 0, TL_EUTF8 },
};

static void
test_ok_cases(void **state)
{
	struct tl_pairs	 p;
	size_t		 i, j;

	(void)state;
	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct ok_case *c = &ok_cases[i];

		assert_int_equal(tl_urlenc_parse(c->body, strlen(c->body),
		    64, &p), TL_OK);
		assert_int_equal(p.n, c->n);
		for (j = 0; j < c->n; j++) {
			assert_string_equal(p.v[j].name, c->pairs[j][0]);
			assert_int_equal(p.v[j].namelen,
			    strlen(c->pairs[j][0]));
			assert_string_equal(p.v[j].value, c->pairs[j][1]);
			assert_int_equal(p.v[j].len, strlen(c->pairs[j][1]));
		}
		tl_pairs_free(&p);
	}
}

static void
test_bad_cases(void **state)
{
	struct tl_pairs	 p;
	size_t		 i, len;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		len = bad_cases[i].len ? bad_cases[i].len :
		    strlen(bad_cases[i].body);
		memset(&p, 0xa5, sizeof(p));
		if (tl_urlenc_parse(bad_cases[i].body, len, 64, &p) !=
		    bad_cases[i].rc)
			fail_msg("case %zu (%s): wrong result", i,
			    bad_cases[i].body);
		assert_null(p.v);
		assert_null(p.mem);
		assert_int_equal(p.n, 0);
	}
}

/* Builds "f0=x&f1=x&…" with n pairs (and optional empty segments). */
static char *
many(size_t n, int gaps)
{
	char	*b;
	size_t	 i, off = 0, cap = n * 16 + 1;

	b = malloc(cap);
	assert_non_null(b);
	b[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(b + off, cap - off, "%sf%zu=x%s",
		    i ? "&" : "", i, gaps ? "&&" : "");
	return b;
}

static void
test_field_limit(void **state)
{
	struct tl_pairs	 p;
	char		*b;

	(void)state;
	b = many(64, 0);
	assert_int_equal(tl_urlenc_parse(b, strlen(b), 64, &p), TL_OK);
	assert_int_equal(p.n, 64);
	assert_string_equal(p.v[63].name, "f63");
	tl_pairs_free(&p);
	free(b);

	b = many(64, 1);	/* empty segments do not count */
	assert_int_equal(tl_urlenc_parse(b, strlen(b), 64, &p), TL_OK);
	assert_int_equal(p.n, 64);
	tl_pairs_free(&p);
	free(b);

	b = many(65, 0);
	assert_int_equal(tl_urlenc_parse(b, strlen(b), 64, &p),
	    TL_ETOOMANY);
	assert_null(p.v);
	free(b);

	assert_int_equal(tl_urlenc_parse("a&b", 3, 1, &p), TL_ETOOMANY);
	assert_int_equal(tl_urlenc_parse("a", 1, 0, &p), TL_ETOOMANY);
}

/* The body need not be NUL-terminated: only len bytes are read. */
static void
test_length_bound(void **state)
{
	struct tl_pairs	 p;
	const char	 body[] = "a=12&b=34";

	(void)state;
	assert_int_equal(tl_urlenc_parse(body, 3, 64, &p), TL_OK);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.v[0].value, "1");
	tl_pairs_free(&p);
	assert_int_equal(tl_urlenc_parse("a=%41", 4, 64, &p), TL_EMALFORMED);
	tl_pairs_free(&p);	/* safe on an empty result */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_cases),
		cmocka_unit_test(test_bad_cases),
		cmocka_unit_test(test_field_limit),
		cmocka_unit_test(test_length_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
