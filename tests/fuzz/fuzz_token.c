/*
 * fuzz_token.c — form tokens as a client may send them back:
 * tl_token_decode() and tl_token_check() with a fixed key.
 *
 * The first byte picks the mode:
 *   even: the rest, as a string, is the token; with a fixed key nothing
 *         the fuzzer makes can carry a good MAC, so decode must refuse it
 *         and check must say MISSING or INVALID;
 *   odd:  a real token is issued (time and flag from the input; its
 *         nonce from a fixed-seed random source, so it replays), then the
 *         rest of the input is XORed into its text: decode must accept it
 *         exactly when the text is unchanged (no malleable encoding), and
 *         check must then give the status SPEC 5.4 gives for its age.
 */
#include <sodium.h>

#include "fuzz.h"
#include "fuzz_rnd.h"
#include "token.h"

static const uint8_t key[TL_FORM_KEYBYTES] = {
	0x6b, 0x65, 0x79, 0x20, 0x66, 0x6f, 0x72, 0x20,
	0x66, 0x75, 0x7a, 0x7a, 0x69, 0x6e, 0x67, 0x20,
	0x74, 0x69, 0x70, 0x6c, 0x69, 0x6e, 0x65, 0x20,
	0x74, 0x6f, 0x6b, 0x65, 0x6e, 0x73, 0x2e, 0x0a,
};

#define NOW	((uint64_t)1764300000)
#define MIN_S	3
#define MAX_AGE	86400

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	size_t	 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Arbitrary strings: never ours. */
static void
arbitrary(const uint8_t *data, size_t size)
{
	struct tl_token		 tok;
	enum tl_token_status	 st;
	char			*s = fuzz_strndup(data, size);
	uint64_t		 now = size >= 8 ? get64(data) : NOW;
	char			 hex[TL_TOKEN_NONCEHEX], ref[TL_REF_SIZE];

	FUZZ_CHECK(tl_token_decode(key, s, &tok) == TL_EINVAL);
	st = tl_token_check(key, s, now, MIN_S, MAX_AGE, &tok);
	FUZZ_CHECK(st == (*s == '\0' ? TL_TOKEN_MISSING : TL_TOKEN_INVALID));
	FUZZ_CHECK(tl_token_check(key, NULL, now, MIN_S, MAX_AGE, &tok) ==
	    TL_TOKEN_MISSING);
	/* Whatever tok holds, these only format it. */
	memset(&tok, size > 0 ? data[0] : 0, sizeof(tok));
	tl_token_nonce_hex(&tok, hex);
	FUZZ_CHECK(strlen(hex) == TL_TOKEN_NONCEHEX - 1);
	tl_token_decoy_ref(key, &tok, ref);
	FUZZ_CHECK(strlen(ref) == TL_REF_LEN);
	free(s);
}

/* The status SPEC 5.4 gives a good token issued at issued. */
static enum tl_token_status
expected(uint64_t issued, int errpage, uint64_t now)
{
	if (issued > now + 60)
		return TL_TOKEN_INVALID;
	if (now > issued && now - issued > MAX_AGE)
		return TL_TOKEN_EXPIRED;
	if (!errpage && (now < issued || now - issued < MIN_S))
		return TL_TOKEN_TOO_FAST;
	return TL_TOKEN_OK;
}

/* A real token, then changed by the input. */
static void
tampered(const uint8_t *data, size_t size)
{
	char			 t[TL_TOKEN_STRSIZE], orig[TL_TOKEN_STRSIZE];
	struct tl_token		 tok;
	enum tl_token_status	 st;
	uint64_t		 issued, age;
	size_t			 i, len;
	int			 errpage;
	enum tl_err		 rc;

	if (size < 11)
		return;
	errpage = data[0] & 2;
	/* Issue within a few days of NOW, either side. */
	age = get64(data + 1) % (3 * 86400);
	issued = NOW - 86400 - 60 + age;
	tl_token_issue(key, issued, errpage, t);
	memcpy(orig, t, sizeof(t));
	len = strlen(t);
	FUZZ_CHECK(len > 0 && len < TL_TOKEN_STRSIZE);
	/* XOR data[9..) into the text; a NUL ends it early, as in a body. */
	for (i = 9; i < size && i - 9 < len; i++)
		t[i - 9] = (char)(t[i - 9] ^ data[i]);
	rc = tl_token_decode(key, t, &tok);
	FUZZ_CHECK((rc == TL_OK) == (strcmp(t, orig) == 0));
	if (rc == TL_OK) {
		FUZZ_CHECK(tok.issued == issued);
		FUZZ_CHECK(!tok.on_error_page == !errpage);
	}
	st = tl_token_check(key, t, NOW, MIN_S, MAX_AGE, &tok);
	if (rc == TL_OK)
		FUZZ_CHECK(st == expected(issued, errpage, NOW));
	else
		FUZZ_CHECK(st == (t[0] == '\0' ? TL_TOKEN_MISSING :
		    TL_TOKEN_INVALID));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (fuzz_rnd_install() != 0 ||
	    sodium_init() < 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	fuzz_rnd_reset();	/* an issued token replays exactly */
	if (data[0] & 1)
		tampered(data, size);
	else
		arbitrary(data + 1, size - 1);
	return 0;
}
