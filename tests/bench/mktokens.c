/*
 * mktokens.c — fresh form tokens for the benchmark (issue 6): prints N
 * tokens for the form key in KEYFILE, one a line, each issued AGE seconds
 * ago (default 5), so that form_min_seconds is already satisfied when wrk
 * sends them (tests/bench/post.lua reads the list). Each token has its own
 * random nonce, so each is good for exactly one stored tip.
 *
 *	mktokens KEYFILE N [AGE]
 *
 * Exits 0, 1 on a bad key file, 2 on usage. Test code only.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "token.h"

static int
usage(void)
{
	fprintf(stderr, "usage: mktokens KEYFILE N [AGE]\n");
	return 2;
}

/* A whole number from lo to hi, or -1. */
static long
number(const char *s, long lo, long hi)
{
	char	*end;
	long	 v = strtol(s, &end, 10);

	return *s == '\0' || *end != '\0' || v < lo || v > hi ? -1 : v;
}

int
main(int argc, char *argv[])
{
	uint8_t		 key[TL_FORM_KEYBYTES];
	char		 tok[TL_TOKEN_STRSIZE], err[256];
	uint64_t	 issued;
	long		 n, age = 5, i;

	if (argc < 3 || argc > 4 || (n = number(argv[2], 1, 100000000)) < 0 ||
	    (argc == 4 && (age = number(argv[3], 0, 86400)) < 0))
		return usage();
	if (sodium_init() < 0) {
		fprintf(stderr, "mktokens: libsodium failed to start\n");
		return 1;
	}
	if (tl_token_read_key(argv[1], key, err, sizeof(err)) != TL_OK) {
		fprintf(stderr, "mktokens: %s\n", err);
		return 1;
	}
	issued = (uint64_t)time(NULL) - (uint64_t)age;
	for (i = 0; i < n; i++) {
		tl_token_issue(key, issued, 0, tok);
		if (puts(tok) == EOF) {
			perror("mktokens");
			return 1;
		}
	}
	sodium_memzero(key, sizeof(key));
	return fflush(stdout) == 0 ? 0 : 1;
}
