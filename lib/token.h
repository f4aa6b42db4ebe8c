/*
 * token.h — form tokens (SPEC 5.4): issue time, a random nonce, whether it
 * was issued on a 422 page, and an HMAC-SHA256 over them with the form key,
 * in URL-safe base64 without padding.
 */
#ifndef TL_TOKEN_H
#define TL_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "ref.h"
#include "tl.h"

#define TL_FORM_KEYBYTES	32
#define TL_TOKEN_NONCEBYTES	16
#define TL_TOKEN_LEN		78	/* characters of an encoded token */
#define TL_TOKEN_STRSIZE	96	/* encoded token and NUL fit */
#define TL_TOKEN_NONCEHEX	(TL_TOKEN_NONCEBYTES * 2 + 1)

struct tl_token {
	uint64_t issued;		/* Unix seconds */
	uint8_t	 nonce[TL_TOKEN_NONCEBYTES];
	int	 on_error_page;		/* issued on a 422 page */
};

enum tl_token_status {
	TL_TOKEN_OK,
	TL_TOKEN_MISSING,	/* no token or empty */
	TL_TOKEN_INVALID,	/* not ours: bad encoding or MAC, or future */
	TL_TOKEN_EXPIRED,	/* older than form_max_age */
	TL_TOKEN_TOO_FAST,	/* younger than form_min_seconds */
};

/* Issues a fresh token at time now into out. */
void tl_token_issue(const uint8_t key[TL_FORM_KEYBYTES], uint64_t now,
	    int on_error_page, char out[TL_TOKEN_STRSIZE]);

/*
 * Decodes s and checks its MAC only. Returns TL_OK and fills tok, or
 * TL_EINVAL if s is missing, malformed or forged. Used to find a replayed
 * token whatever its age.
 */
enum tl_err tl_token_decode(const uint8_t key[TL_FORM_KEYBYTES],
	    const char *s, struct tl_token *tok);

/* The age checks of a token already decoded (tl_token_decode): from the
 * future, expired, or too fast unless issued on a 422 page. */
enum tl_token_status tl_token_age(const struct tl_token *tok, uint64_t now,
	    long min_seconds, long max_age);

/* Full check of s at time now (MAC, age, minimum time unless issued on a
 * 422 page). Fills tok when the MAC is good. */
enum tl_token_status tl_token_check(const uint8_t key[TL_FORM_KEYBYTES],
	    const char *s, uint64_t now, long min_seconds, long max_age,
	    struct tl_token *tok);

/* Lower-case hex of the nonce: the key the store remembers it by. */
void tl_token_nonce_hex(const struct tl_token *tok,
	    char out[TL_TOKEN_NONCEHEX]);

/* The decoy reference for a honeypot hit: derived from the token by HMAC,
 * so a replay shows the same one. */
void tl_token_decoy_ref(const uint8_t key[TL_FORM_KEYBYTES],
	    const struct tl_token *tok, char out[TL_REF_SIZE]);

/*
 * Reads a form key file: 64 hex digits (optionally followed by a newline).
 * Returns TL_OK; or TL_EIO (cannot read) or TL_EINVAL (not a form key)
 * with a reason in err, and key wiped.
 */
enum tl_err tl_token_read_key(const char *path,
	    uint8_t key[TL_FORM_KEYBYTES], char *err, size_t errlen);

#endif
