/*
 * token.c — form tokens (SPEC 5.4).
 *
 * Wire layout before base64 (URL-safe, no padding), 58 bytes:
 *   version (1) | flags (1) | issued, big-endian (8) | nonce (16) |
 *   HMAC-SHA256 over the previous 26 bytes (32)
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "seal.h"
#include "secret.h"
#include "token.h"

#define VERSION		1
#define FLAG_ERRPAGE	0x01
#define BODYBYTES	(2 + 8 + TL_TOKEN_NONCEBYTES)
#define RAWBYTES	(BODYBYTES + TL_SEAL_HMACBYTES)
#define SKEW		60	/* seconds a token may be from the future */

static void
mac(const uint8_t key[TL_FORM_KEYBYTES], const uint8_t *in, size_t len,
    uint8_t out[TL_SEAL_HMACBYTES])
{
	struct tl_seal_part	 p = { in, len };

	tl_seal_hmac_sha256(key, TL_FORM_KEYBYTES, &p, 1, out);
}

void
tl_token_issue(const uint8_t key[TL_FORM_KEYBYTES], uint64_t now,
    int on_error_page, char out[TL_TOKEN_STRSIZE])
{
	uint8_t	 raw[RAWBYTES];
	int	 i;

	raw[0] = VERSION;
	raw[1] = on_error_page ? FLAG_ERRPAGE : 0;
	for (i = 0; i < 8; i++)
		raw[2 + i] = (uint8_t)(now >> (56 - 8 * i));
	tl_seal_random(raw + 10, TL_TOKEN_NONCEBYTES);
	mac(key, raw, BODYBYTES, raw + BODYBYTES);
	sodium_bin2base64(out, TL_TOKEN_STRSIZE, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

enum tl_err
tl_token_decode(const uint8_t key[TL_FORM_KEYBYTES], const char *s,
    struct tl_token *tok)
{
	uint8_t		 raw[RAWBYTES + 1], want[TL_SEAL_HMACBYTES];
	size_t		 len, i;
	const char	*end;

	/* libsodium 1.0.18 reads any byte over 0x7f as a base64 digit:
	 * only the URL-safe alphabet itself may be a token. */
	if (s == NULL || *s == '\0' || strlen(s) >= TL_TOKEN_STRSIZE ||
	    s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_")] != '\0')
		return TL_EINVAL;
	if (sodium_base642bin(raw, sizeof(raw), s, strlen(s), NULL, &len,
	    &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    *end != '\0' || len != RAWBYTES || raw[0] != VERSION ||
	    (raw[1] & ~FLAG_ERRPAGE) != 0)
		return TL_EINVAL;
	mac(key, raw, BODYBYTES, want);
	if (!tl_seal_hmac_equal(want, raw + BODYBYTES))
		return TL_EINVAL;
	tok->on_error_page = raw[1] & FLAG_ERRPAGE;
	tok->issued = 0;
	for (i = 0; i < 8; i++)
		tok->issued = tok->issued << 8 | raw[2 + i];
	memcpy(tok->nonce, raw + 10, TL_TOKEN_NONCEBYTES);
	return TL_OK;
}

_Static_assert(sodium_base64_ENCODED_LEN(RAWBYTES,
    sodium_base64_VARIANT_URLSAFE_NO_PADDING) == TL_TOKEN_LEN + 1,
    "TL_TOKEN_LEN is the length of an encoded token");

enum tl_token_status
tl_token_check(const uint8_t key[TL_FORM_KEYBYTES], const char *s,
    uint64_t now, long min_seconds, long max_age, struct tl_token *tok)
{
	if (s == NULL || *s == '\0')
		return TL_TOKEN_MISSING;
	if (tl_token_decode(key, s, tok) != TL_OK)
		return TL_TOKEN_INVALID;
	return tl_token_age(tok, now, min_seconds, max_age);
}

enum tl_token_status
tl_token_age(const struct tl_token *tok, uint64_t now, long min_seconds,
    long max_age)
{
	if (tok->issued > now + SKEW)
		return TL_TOKEN_INVALID;
	if (now > tok->issued && now - tok->issued > (uint64_t)max_age)
		return TL_TOKEN_EXPIRED;
	if (!tok->on_error_page &&
	    (now < tok->issued || now - tok->issued < (uint64_t)min_seconds))
		return TL_TOKEN_TOO_FAST;
	return TL_TOKEN_OK;
}

void
tl_token_nonce_hex(const struct tl_token *tok, char out[TL_TOKEN_NONCEHEX])
{
	sodium_bin2hex(out, TL_TOKEN_NONCEHEX, tok->nonce,
	    TL_TOKEN_NONCEBYTES);
}

void
tl_token_decoy_ref(const uint8_t key[TL_FORM_KEYBYTES],
    const struct tl_token *tok, char out[TL_REF_SIZE])
{
	uint8_t	 in[5 + TL_TOKEN_NONCEBYTES], h[TL_SEAL_HMACBYTES];

	memcpy(in, "decoy", 5);
	memcpy(in + 5, tok->nonce, TL_TOKEN_NONCEBYTES);
	mac(key, in, sizeof(in), h);
	tl_ref_format(h, out);
}

enum tl_err
tl_token_read_key(const char *path, uint8_t key[TL_FORM_KEYBYTES],
    char *err, size_t errlen)
{
	char		 text[160];
	size_t		 len;
	enum tl_err	 rc;

	if ((rc = tl_secret_slurp(path, text, sizeof(text), err, errlen))
	    != TL_OK)
		return rc;
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	text[len] = '\0';
	if (len != 2 * TL_FORM_KEYBYTES || sodium_hex2bin(key,
	    TL_FORM_KEYBYTES, text, len, NULL, NULL, NULL) != 0) {
		snprintf(err, errlen, "%s: not a form key (64 hex digits "
		    "expected; `tiplinectl init` makes one)", path);
		/* What was decoded of a key cut short is still key. */
		sodium_memzero(key, TL_FORM_KEYBYTES);
		rc = TL_EINVAL;
	}
	sodium_memzero(text, sizeof(text));
	return rc;
}
