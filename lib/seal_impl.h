/*
 * seal_impl.h — what the two halves of the crypto module share and
 * nothing else includes: the secret key's layout, the formats' sizes and
 * offsets (seal.h), and the few helpers of the public half (seal.c) that
 * the staff half (seal_staff.c) builds on. Not part of either interface.
 */
#ifndef TL_SEAL_IMPL_H
#define TL_SEAL_IMPL_H

#include <sodium.h>
#include <stdint.h>

#include "seal.h"

#define AEAD_KEYBYTES	crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define AEAD_NONCEBYTES	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define AEAD_TAGBYTES	crypto_aead_xchacha20poly1305_ietf_ABYTES
#define SEALED_KEYBYTES	(crypto_box_SEALBYTES + AEAD_KEYBYTES)
#define OFF_KEY		1
#define OFF_NONCE	(OFF_KEY + SEALED_KEYBYTES)
#define B64LEN		43	/* a 32-byte key, URL-safe, no padding */
#define B64VARIANT	sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define B64ALPHABET	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789-_"
#define PUBLIC_PREFIX	"tipline-staff-public-v1 "
#define SECRET_PREFIX	"tipline-staff-secret-v1 "
/* The largest blob: the largest plaintext, padded. */
#define BLOB_MAX	(TL_SEAL_OVERHEAD + \
			(TL_SEAL_PLAIN_MAX / TL_SEAL_BLOCK + 1) * TL_SEAL_BLOCK)
/* Room for a key file's text and a byte more, to see a longer file. */
#define KEYFILE_BUF	(TL_SEAL_KEYFILE_LEN + 8)

/* Sealed files (seal.h). */
#define FILE_MAGIC	"TLSEALF1"
#define FILE_MAGICLEN	8
#define SS_KEYBYTES	crypto_secretstream_xchacha20poly1305_KEYBYTES
#define SS_HEADERBYTES	crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define SS_ABYTES	crypto_secretstream_xchacha20poly1305_ABYTES
#define FILE_SEALEDKEY	(crypto_box_SEALBYTES + SS_KEYBYTES)
#define FILE_HEAD	(FILE_MAGICLEN + FILE_SEALEDKEY + SS_HEADERBYTES)

/* A staff or sender secret key: in sodium_malloc'd memory, read-only
 * once made. */
struct tl_seal_secret {
	uint8_t	 sk[TL_SEAL_KEYBYTES];
	uint8_t	 pk[TL_SEAL_KEYBYTES];
};

/*
 * Locked memory for a secret (sodium_malloc), libsodium made ready
 * first: its allocator (and its randomness) abort in a program that
 * never called sodium_init(). NULL out of memory. Free: sodium_free.
 */
void	*tl_seal_secure_alloc(size_t n);

/*
 * Parses "PREFIX<43 base64url>" and an optional newline into key; what
 * names the key in messages. Never puts the text into err. TL_OK or
 * TL_EMALFORMED. On failure key may hold part of the key: the caller
 * wipes it.
 */
enum tl_err tl_seal_key_parse(const char *text, const char *prefix,
	    const char *what, uint8_t key[TL_SEAL_KEYBYTES], char *err,
	    size_t errlen);

/*
 * Reads the key file at path into text (size bytes) with secret.c's
 * reader, and makes sure the file is no more than that text: no NUL
 * inside, nothing past size - 1. TL_OK; TL_EIO or TL_EMALFORMED with
 * an error naming the path.
 */
enum tl_err tl_seal_key_slurp(const char *path, char *text, size_t size,
	    char *err, size_t errlen);

/* Whether name[0..n) is a field or column name: 1-64 of [a-z0-9_]. */
int	 tl_seal_name_ok(const char *name, size_t n);

/*
 * In both blob formats the nonce comes right before the ciphertext:
 * in[0..inlen) is nonce, ciphertext and tag; plain gets inlen -
 * AEAD_NONCEBYTES - AEAD_TAGBYTES bytes. 0, or -1 if forged.
 */
int	 tl_seal_aead_decrypt(const uint8_t key[AEAD_KEYBYTES],
	    const uint8_t *ad, size_t adlen, const uint8_t *in, size_t inlen,
	    uint8_t *plain);

#endif
