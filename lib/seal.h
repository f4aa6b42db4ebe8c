/*
 * seal.h — the crypto module's public half (seal.c; SPEC 11, 16): the
 * formats below, key pairs and the staff public key file, sealing a
 * tip's written fields, a sealed file and a follow-up message, the keyed
 * hashes intake stores instead of values, HMAC-SHA256 for form tokens
 * and webhook signatures, and randomness. Everything tipline.fcgi and
 * tipline-notify may hold. What needs the staff secret key (reading it,
 * opening a blob or a sealed file) is the staff half, seal_staff.h,
 * which they never link. The two files of the module are the only ones
 * that call libsodium's crypto_* and randombytes_*; seal.c's head
 * comment states what each key protects against and which of
 * libsodium's memory and encoding utilities other files still use.
 *
 * Key files (one line of text each; a final newline is optional, nothing
 * else is allowed: no spaces, no CR, no comment):
 *
 *	tipline-staff-public-v1 <43 characters>
 *	tipline-staff-secret-v1 <43 characters>
 *
 * The 43 characters are the 32-byte X25519 key in URL-safe base64 without
 * padding (RFC 4648 section 5). The public key is derived again from the
 * secret one when the secret file is read, so a secret file stands alone.
 *
 * A sealed blob (all of it, as stored in the intake store's one column):
 *
 *	offset  size             what
 *	0       1                format version, 1
 *	1       80               the tip's content key, crypto_box_seal'd to
 *	                         the staff public key (48 + 32)
 *	81      24               XChaCha20-Poly1305 nonce
 *	105     512 * k + 16     XChaCha20-Poly1305 IETF ciphertext and tag of
 *	                         the plaintext below, padded (sodium_pad) to a
 *	                         multiple of 512 bytes, k >= 1
 *
 * so a blob is 121 + 512 k bytes. Its additional data is
 * tl_seal_ad_encode() of the tip's plaintext columns (struct tl_seal_ad).
 *
 * A follow-up message's blob (SPEC 13): version (1), 24-byte nonce,
 * XChaCha20-Poly1305 ciphertext and tag of its text padded to 512-byte
 * blocks, under the key the staff and sender key pairs share
 * (crypto_box_beforenm); additional data: version, 'M', ref (1-byte
 * length), message id (8 bytes), author (1 byte), time (8 bytes).
 *
 * The plaintext, before padding: a version byte (1), then for each field
 * a 1-byte name length (1 to 64), the name ([a-z0-9_]), a 4-byte
 * big-endian value length, the value (no NUL byte). Names are unique. No
 * JSON here: one strict loop with no escaping is easy to fuzz, and the
 * whole plaintext lives in one buffer this module wipes (jansson would
 * copy it into strings and buffers nobody wipes).
 */
#ifndef TL_SEAL_H
#define TL_SEAL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "tl.h"

#define TL_SEAL_VERSION		1
#define TL_SEAL_KEYBYTES	32	/* X25519 public or secret key */
#define TL_SEAL_SALTBYTES	16	/* a sender's Argon2id salt (SPEC 13) */
#define TL_SEAL_COMMITBYTES	32	/* a sender key's commitment */
#define TL_SEAL_BLOCK		512	/* padding block */
#define TL_SEAL_HEADERBYTES	105	/* version, sealed key, nonce */
#define TL_SEAL_OVERHEAD	(TL_SEAL_HEADERBYTES + 16)
#define TL_SEAL_FIELDS_MAX	64	/* fields in a plaintext */
#define TL_SEAL_NAME_MAX	64	/* bytes of a field or column name */
#define TL_SEAL_PLAIN_MAX	(1024 * 1024) /* bytes of a plaintext */
#define TL_SEAL_COLUMNS_MAX	64	/* columns in additional data */
#define TL_SEAL_COLUMN_MAX	4096	/* bytes of a column's value */
#define TL_SEAL_REF_MAX		64	/* bytes of a reference */
#define TL_SEAL_KEYFILE_LEN	67	/* a key file's line, newline apart */
#define TL_SEAL_HASHKEYBYTES	32
#define TL_SEAL_HASH_HEX	65	/* 64 hex digits and NUL */

/* A staff or sender secret key, in locked memory. Opaque. Only the
 * staff half reads a staff secret key (seal_staff.h). */
struct tl_seal_secret;

/* A field of a tip's plaintext: both NUL-terminated text. */
struct tl_seal_field {
	const char	*name;
	const char	*value;
};

/* A plaintext column of a tip's row, as its text; value NULL is SQL
 * NULL, which is not the empty string. */
struct tl_seal_column {
	const char	*name;
	const char	*value;
};

/*
 * What a blob is bound to: its tip's row. The caller passes the columns
 * in one fixed order (the store's), each value as the text of what is
 * stored (integers in decimal), so that the desk, reading the same row,
 * builds the same bytes. sender_pk and sender_salt are both NULL (no
 * follow-up) or both set. The blob is bound to their commitment
 * (tl_seal_sender_commit), not to the key itself, so that a sender can
 * end the conversation: the key and salt are then deleted from the row,
 * which keeps the commitment as sender_gone (set only when sender_pk is
 * NULL), and the blob still opens on it.
 */
struct tl_seal_ad {
	const char			*ref;
	int64_t				 received_at;
	const struct tl_seal_column	*cols;
	size_t				 ncols;
	const uint8_t			*sender_pk;	/* TL_SEAL_KEYBYTES */
	const uint8_t			*sender_salt;	/* TL_SEAL_SALTBYTES */
	const uint8_t			*sender_gone;	/* TL_SEAL_COMMITBYTES */
};

/* What a keyed hash is for: each has its own key (tl_seal_hash_key). */
enum tl_seal_hash_use {
	TL_SEAL_HASH_IDEM = 1,	/* an Idempotency-Key */
	TL_SEAL_HASH_BODY = 2,	/* an API request's body */
	TL_SEAL_HASH_REFSALT = 3, /* an unknown reference's salt (SPEC 13) */
};

/* --- key pairs and the public key file ------------------------------ */

/*
 * A new key pair: from the 32-byte seed (deterministic: tests, fuzzing,
 * and later a sender's key from Argon2id) or, with seed NULL, random.
 * Fills pk and sets *sk to a new secret key (free: tl_seal_secret_free).
 * Returns TL_OK, or TL_ENOMEM (sodium_malloc failed; *sk is NULL).
 */
enum tl_err tl_seal_keypair(const uint8_t *seed,
	    uint8_t pk[TL_SEAL_KEYBYTES], struct tl_seal_secret **sk);

/* Wipes and frees sk (sodium_free). NULL is a no-op. */
void tl_seal_secret_free(struct tl_seal_secret *sk);

/* The public key of sk into pk. */
void tl_seal_secret_public(const struct tl_seal_secret *sk,
	    uint8_t pk[TL_SEAL_KEYBYTES]);

/* Whether pk is sk's public key (constant time): 1 or 0. */
int tl_seal_secret_matches(const struct tl_seal_secret *sk,
	    const uint8_t pk[TL_SEAL_KEYBYTES]);

/*
 * Parses a public key file's text. Returns TL_OK, or TL_EMALFORMED with
 * what is wrong in err (never the text itself).
 */
enum tl_err tl_seal_public_parse(const char *text,
	    uint8_t pk[TL_SEAL_KEYBYTES], char *err, size_t errlen);

/* Reads the public key file at path: TL_OK, or TL_EIO / TL_EMALFORMED
 * with "path: reason" in err. */
enum tl_err tl_seal_public_read(const char *path,
	    uint8_t pk[TL_SEAL_KEYBYTES], char *err, size_t errlen);

/* --- sealing a tip --------------------------------------------------- */

/*
 * The canonical additional data of ad into a new buffer (*out, *outlen;
 * free()). Every part is length-prefixed and a NULL value is told apart
 * from "", so two different rows never give the same bytes. Returns
 * TL_OK; TL_EINVAL with the reason in err (ref missing or too long, bad
 * column name, value too long, too many columns, half a sender key);
 * TL_ENOMEM. *out is NULL on failure.
 */
enum tl_err tl_seal_ad_encode(const struct tl_seal_ad *ad, uint8_t **out,
	    size_t *outlen, char *err, size_t errlen);

/*
 * Seals fields[0..n) for the row ad to the staff public key pk: a new
 * blob in *blob, *bloblen bytes (free(); it is ciphertext). The
 * plaintext and the content key are wiped on every path. Returns TL_OK;
 * TL_EINVAL with the reason in err (bad field or column, plaintext over
 * TL_SEAL_PLAIN_MAX, a public key that is not usable); TL_ENOMEM.
 * *blob is NULL on failure.
 */
enum tl_err tl_seal_seal(const uint8_t pk[TL_SEAL_KEYBYTES],
	    const struct tl_seal_ad *ad, const struct tl_seal_field *fields,
	    size_t n, uint8_t **blob, size_t *bloblen, char *err,
	    size_t errlen);

/*
 * The plaintext of fields[0..n) (unpadded; see the head comment) into a
 * new buffer (*out, *outlen). The caller wipes (sodium_memzero) and
 * frees it. Returns TL_OK; TL_EINVAL with the reason in err; TL_ENOMEM.
 * Used by tl_seal_seal; public for the tests and the fuzz target.
 */
enum tl_err tl_seal_plain_encode(const struct tl_seal_field *fields,
	    size_t n, uint8_t **out, size_t *outlen, char *err, size_t errlen);

/* --- keyed hashes (SPEC 11) ------------------------------------------ */

/*
 * The key for one use of keyed hashes, derived from the form key
 * (crypto_kdf, context "tlhash__", subkey id = use). The caller keeps it
 * as it keeps the form key, and wipes it.
 */
void tl_seal_hash_key(const uint8_t form_key[32], enum tl_seal_hash_use use,
	    uint8_t key[TL_SEAL_HASHKEYBYTES]);

/* Keyed BLAKE2b-256 of data[0..len) under key, as lower-case hex. */
void tl_seal_keyed_hash(const uint8_t key[TL_SEAL_HASHKEYBYTES],
	    const void *data, size_t len, char out[TL_SEAL_HASH_HEX]);

/*
 * Keyed BLAKE2b of data[0..len) under key into out[0..outlen), outlen
 * from 16 to 64 (a constant of the caller's; any other aborts): the same
 * hash as tl_seal_keyed_hash, raw, for keys a process makes its own.
 */
void tl_seal_keyed_digest(const uint8_t key[TL_SEAL_HASHKEYBYTES],
	    const void *data, size_t len, uint8_t *out, size_t outlen);

/* --- MACs and randomness for the rest of the program ----------------- */

#define TL_SEAL_HMACBYTES	32

/* A part of a message to authenticate: len bytes at p. */
struct tl_seal_part {
	const void	*p;
	size_t		 len;
};

/*
 * HMAC-SHA256 under key[0..keylen) of the concatenation of parts[0..n)
 * into mac: the form token's (token.c) and the webhook signature's
 * (webhook.c). Cannot fail; its state is wiped.
 */
void tl_seal_hmac_sha256(const uint8_t *key, size_t keylen,
	    const struct tl_seal_part *parts, size_t n,
	    uint8_t mac[TL_SEAL_HMACBYTES]);

/* Whether the MACs a and b are equal, in constant time: 1 or 0. */
int tl_seal_hmac_equal(const uint8_t a[TL_SEAL_HMACBYTES],
	    const uint8_t b[TL_SEAL_HMACBYTES]);

/* n unpredictable bytes into buf (randombytes_buf). Cannot fail. */
void tl_seal_random(void *buf, size_t n);

/* An unpredictable number from 0 to upper - 1, uniform (no modulo bias);
 * 0 when upper is below 2. */
uint32_t tl_seal_random_below(uint32_t upper);

/* An unpredictable 32-bit number. */
uint32_t tl_seal_random_u32(void);

/* --- follow-up (SPEC 13) --------------------------------------------- */

#define TL_SEAL_CODE_LEN	16	/* digits of a follow-up code */
#define TL_SEAL_MSG_MAX		(64 * 1024) /* bytes of a message's text */
#define TL_SEAL_MSG_OVERHEAD	(1 + 24 + 16) /* version, nonce, tag */

/* The key a sender and the staff share. Opaque, in locked memory. */
struct tl_seal_shared;

/* Who wrote a message. */
enum tl_seal_author {
	TL_SEAL_FROM_STAFF = 1,
	TL_SEAL_FROM_SENDER = 2,
};

/* What a message is bound to. */
struct tl_seal_msg_ad {
	const char		*ref;
	int64_t			 id;	/* the message's id in its tip */
	enum tl_seal_author	 from;
	int64_t			 at;	/* Unix seconds */
};

/* A new follow-up code: 16 digits, each from randombytes_uniform(10),
 * and a NUL. The caller wipes it. */
void tl_seal_code_new(char code[TL_SEAL_CODE_LEN + 1]);

/* The commitment to a sender's key and salt a tip's blob is bound to:
 * BLAKE2b-256 over a fixed label, the key and the salt. */
void tl_seal_sender_commit(const uint8_t pk[TL_SEAL_KEYBYTES],
	    const uint8_t salt[TL_SEAL_SALTBYTES],
	    uint8_t out[TL_SEAL_COMMITBYTES]);

/* A new random salt for a sender's key. */
void tl_seal_salt_new(uint8_t salt[TL_SEAL_SALTBYTES]);

/* The salt for an unknown reference (SPEC 13): a keyed hash of ref under
 * the TL_SEAL_HASH_REFSALT key, so its derivation costs the same. */
void tl_seal_refsalt(const uint8_t key[TL_SEAL_HASHKEYBYTES],
	    const char *ref, uint8_t salt[TL_SEAL_SALTBYTES]);

/*
 * The sender's key pair from a follow-up code (exactly 16 ASCII digits)
 * and its salt: Argon2id (crypto_pwhash: 2 passes, 19 MiB; libsodium
 * uses one lane) gives the seed of an X25519 key pair (about 15 ms of
 * CPU). Fills pk, sets *sk (free: tl_seal_secret_free). Returns TL_OK;
 * TL_EINVAL (not 16 digits); TL_ENOMEM (Argon2's memory or the locked
 * key). The seed is wiped on every path. Compare pk with a stored key by
 * tl_seal_secret_matches (constant time).
 */
enum tl_err tl_seal_sender_keypair(const char *code,
	    const uint8_t salt[TL_SEAL_SALTBYTES], uint8_t pk[TL_SEAL_KEYBYTES],
	    struct tl_seal_secret **sk);

/*
 * The key mine and theirs share (crypto_box_beforenm): the desk passes
 * the staff secret key and the sender's public key, tipline.fcgi the
 * sender's secret key and the staff public key; both get the same key.
 * Returns TL_OK and *out (free: tl_seal_shared_free, which wipes);
 * TL_EINVAL (theirs is not a usable key); TL_ENOMEM.
 */
enum tl_err tl_seal_shared_new(const struct tl_seal_secret *mine,
	    const uint8_t theirs[TL_SEAL_KEYBYTES], struct tl_seal_shared **out);

/* Wipes and frees k. NULL is a no-op. */
void tl_seal_shared_free(struct tl_seal_shared *k);

/*
 * Encrypts a message's text (no NUL inside; at most TL_SEAL_MSG_MAX
 * bytes), padded to 512-byte blocks, under k, bound to ad: version,
 * nonce, ciphertext and tag in a new *blob of *bloblen bytes (free()).
 * The text is padded and encrypted in place in the blob, so no clear
 * copy is left behind. TL_OK; TL_EINVAL (bad ad or text too long);
 * TL_ENOMEM.
 */
enum tl_err tl_seal_msg_seal(const struct tl_seal_shared *k,
	    const struct tl_seal_msg_ad *ad, const char *text, uint8_t **blob,
	    size_t *bloblen, char *err, size_t errlen);

/*
 * Opens a message blob under k for ad: its text in a new *text (free:
 * tl_seal_text_free, which wipes). TL_OK; TL_EMALFORMED when it does not
 * open (damaged, another key, another ref, id, author or time; bad
 * padding or a NUL inside), with the reason in err; TL_EINVAL (bad ad);
 * TL_ENOMEM. *text is NULL on failure; intermediates are wiped.
 */
enum tl_err tl_seal_msg_open(const struct tl_seal_shared *k,
	    const struct tl_seal_msg_ad *ad, const uint8_t *blob,
	    size_t bloblen, char **text, char *err, size_t errlen);

/* Wipes and frees a text from tl_seal_msg_open. NULL is a no-op. */
void tl_seal_text_free(char *text);

/* --- sealed files (SPEC 15: the desk's copy in a backup) -------------- */

/*
 * A sealed file: the magic "TLSEALF1" (8 bytes), a fresh random file key
 * crypto_box_seal'd to the staff public key (80 bytes), the
 * crypto_secretstream_xchacha20poly1305 header (24 bytes), then the
 * stream: chunks of TL_SEAL_FILE_CHUNK bytes of plaintext, each
 * TL_SEAL_FILE_CHUNK + 17 bytes encrypted, the last one (shorter, maybe
 * empty) tagged FINAL. Every chunk's additional data is the magic. A
 * file cut short, grown, reordered or damaged does not open.
 */
#define TL_SEAL_FILE_CHUNK	65536

/*
 * Writes data[0..len) sealed to pk into fd (from its current offset).
 * The file key is wiped on every path. Returns TL_OK; TL_EINVAL (pk not
 * usable); TL_EIO with the reason in err.
 */
enum tl_err tl_seal_file_write(const uint8_t pk[TL_SEAL_KEYBYTES],
	    const uint8_t *data, size_t len, int fd, char *err, size_t errlen);

#endif
