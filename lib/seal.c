/*
 * seal.c — the crypto module's public half (SPEC 11, 16): everything
 * tipline.fcgi and tipline-notify need, and nothing that opens a seal or
 * reads the staff secret key (that is seal_staff.c, which they never
 * link: tests/links.sh proves it by symbol). Formats: seal.h.
 *
 * The crypto module (seal.c, seal_staff.c) alone composes libsodium's
 * primitives: no other file calls crypto_* or randombytes_*
 * (tests/links.sh proves that too). Outside it, only libsodium's memory
 * and encoding utilities are used where they are needed: sodium_init,
 * sodium_memzero, sodium_malloc/sodium_free/sodium_mprotect_*,
 * sodium_mlock, sodium_memcmp, sodium_is_zero, sodium_pad/sodium_unpad,
 * sodium_bin2hex/sodium_hex2bin, sodium_bin2base64/sodium_base642bin.
 * What each key is for and what it protects against:
 *
 * The staff key pair (X25519). Its public key, the only one of the pair
 * the public programs hold, seals every tip (crypto_box_seal). The
 * secret key opens them, in the staff half only; see seal_staff.c. The
 * public key is not secret, but whoever can replace it on the public
 * host gets the tips that follow sealed to a key of theirs (the desk
 * then sees tips it cannot open).
 *
 * The content key (XChaCha20-Poly1305 IETF), fresh and random for each
 * tip: keeps the tip's fields secret and the blob whole, and binds it to
 * its row through the additional data (version, ref, received_at, every
 * plaintext column, the sender's follow-up key and salt). It exists in
 * the clear for the microseconds of sealing (then wiped) and of opening.
 * It is sealed to the staff public key with crypto_box_seal (an
 * ephemeral X25519 key pair, thrown away, so not even the sealer can
 * reopen it: a takeover of tipline.fcgi reads no tip sealed before it).
 *
 * The limit of the binding: the staff public key is public, so anyone
 * who can write the store can put in a new blob of their own for any
 * row. The binding stops a real blob being moved to another tip and a
 * row's columns being changed under its real blob (a tip quietly
 * downgraded from urgent keeps its content only if it stays urgent); it
 * cannot make an anonymous sender's words authentic.
 *
 * The sender's key pair (SPEC 13), X25519 from the seed Argon2id makes
 * of a 16-digit follow-up code and a per-tip salt: the store keeps only
 * the public key and salt, so a copy of it costs an attacker an Argon2id
 * run (19 MiB, 2 passes) per guess of a 10^16 space to read or forge a
 * message. With the staff key pair it gives one shared key (Diffie-
 * Hellman, crypto_box_beforenm) under which messages both ways are
 * encrypted and bound to their tip, id, author and time; a public
 * program without the code has neither secret key, so it can neither
 * read nor forge either side.
 *
 * The file key (crypto_secretstream_xchacha20poly1305), fresh and random
 * for each sealed file (SPEC 15: the desk's store in a backup), sealed
 * to the staff public key like a content key: a backup holds no
 * readable tip, and only the staff secret key restores the desk's copy.
 * The stream's tags stop a file being cut short or its chunks reordered.
 *
 * The hash keys, derived from the form key (crypto_kdf, one subkey per
 * use): the intake store keeps keyed BLAKE2b hashes of the
 * Idempotency-Key and of the body, never the values, so a copy of the
 * store alone cannot confirm a guess of what someone sent. BLAKE2b is
 * keyed natively (one call, a PRF by design); HMAC-SHA256 would serve as
 * well, at twice the hashing. Keys of a process's own (the follow-up
 * tables' slots) key the same hash (tl_seal_keyed_digest), so where a
 * reference or a code lands cannot be foreseen from outside.
 *
 * The form key (HMAC-SHA256, tl_seal_hmac_sha256; token.c): a form token
 * is authentic, so its time cannot be forged to pass the timing checks
 * nor its nonce to dodge the replay check, and a honeypot hit's decoy
 * reference, derived from the token, is the same on a replay yet cannot
 * be computed from outside. The hash keys above derive from it too. A
 * copy of the form key lets someone mint tokens and test guesses against
 * a copy of the store's hashes, never read a tip.
 *
 * The webhook secret (HMAC-SHA256 over id, time and body; webhook.c):
 * lets the receiver refuse a summary that did not come from this tip
 * line, or was changed or replayed; it protects nothing stored.
 *
 * Randomness (tl_seal_random*, libsodium's randombytes): references,
 * follow-up codes, nonces and message ids, none of them guessable.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seal.h"
#include "seal_impl.h"
#include "secret.h"

#define NAMECHARS	"abcdefghijklmnopqrstuvwxyz0123456789_"
#define HASH_CONTEXT	"tlhash__"
#define PWHASH_OPS	2
#define PWHASH_MEM	(19 * 1024 * 1024)
#define MSG_DOMAIN	'M'	/* message AD; a tip's ref length is <= 64 */
_Static_assert(TL_SEAL_KEYBYTES == crypto_box_PUBLICKEYBYTES &&
    TL_SEAL_KEYBYTES == crypto_box_SECRETKEYBYTES &&
    TL_SEAL_KEYBYTES == crypto_box_SEEDBYTES, "X25519 key sizes");
_Static_assert(OFF_NONCE + AEAD_NONCEBYTES == TL_SEAL_HEADERBYTES,
    "blob header");
_Static_assert(TL_SEAL_OVERHEAD == TL_SEAL_HEADERBYTES + AEAD_TAGBYTES,
    "blob overhead");
_Static_assert(crypto_kdf_KEYBYTES == 32 &&
    crypto_kdf_CONTEXTBYTES == sizeof(HASH_CONTEXT) - 1 &&
    TL_SEAL_HASHKEYBYTES >= crypto_generichash_KEYBYTES_MIN,
    "hash key sizes");
_Static_assert(sizeof(PUBLIC_PREFIX) - 1 + B64LEN == TL_SEAL_KEYFILE_LEN &&
    sizeof(SECRET_PREFIX) == sizeof(PUBLIC_PREFIX), "key file line");
_Static_assert(sodium_base64_ENCODED_LEN(TL_SEAL_KEYBYTES, B64VARIANT) ==
    B64LEN + 1, "base64 length");

/*
 * Locked memory for a secret, libsodium made ready first: its allocator
 * (and its randomness) abort in a program that never called sodium_init().
 * NULL out of memory.
 */
void *
tl_seal_secure_alloc(size_t n)
{
	if (sodium_init() == -1)
		return NULL;
	return sodium_malloc(n);
}

/* --- key pairs and the public key file --------------------------------- */

enum tl_err
tl_seal_keypair(const uint8_t *seed, uint8_t pk[TL_SEAL_KEYBYTES],
    struct tl_seal_secret **out)
{
	struct tl_seal_secret	*sk;

	*out = NULL;
	if ((sk = tl_seal_secure_alloc(sizeof(*sk))) == NULL)
		return TL_ENOMEM;
	if (seed != NULL)
		crypto_box_seed_keypair(sk->pk, sk->sk, seed);
	else
		crypto_box_keypair(sk->pk, sk->sk);
	memcpy(pk, sk->pk, TL_SEAL_KEYBYTES);
	sodium_mprotect_readonly(sk);
	*out = sk;
	return TL_OK;
}

void
tl_seal_secret_free(struct tl_seal_secret *sk)
{
	sodium_free(sk);	/* wipes; NULL is a no-op */
}

void
tl_seal_secret_public(const struct tl_seal_secret *sk,
    uint8_t pk[TL_SEAL_KEYBYTES])
{
	memcpy(pk, sk->pk, TL_SEAL_KEYBYTES);
}

int
tl_seal_secret_matches(const struct tl_seal_secret *sk,
    const uint8_t pk[TL_SEAL_KEYBYTES])
{
	return crypto_verify_32(sk->pk, pk) == 0;
}

/*
 * Parses "PREFIX<43 base64url>" and an optional newline into key; what
 * names the key in messages. Never puts the text into err. On failure
 * key may hold part of the key: the caller wipes it.
 */
enum tl_err
tl_seal_key_parse(const char *text, const char *prefix, const char *what,
    uint8_t key[TL_SEAL_KEYBYTES], char *err, size_t errlen)
{
	size_t		 len = strlen(text), plen = strlen(prefix), n;
	const char	*b64 = text + plen, *end;

	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len < plen || memcmp(text, prefix, plen) != 0) {
		snprintf(err, errlen, "not a %s key file (its line must start "
		    "with \"%.*s\")", what, (int)plen - 1, prefix);
		return TL_EMALFORMED;
	}
	if (len != plen + B64LEN) {
		snprintf(err, errlen, "the %s key must be one line: the prefix, "
		    "then %d characters of URL-safe base64", what, B64LEN);
		return TL_EMALFORMED;
	}
	/* libsodium 1.0.18 reads any byte over 0x7f as a base64 digit. */
	if (strspn(b64, B64ALPHABET) < B64LEN ||
	    sodium_base642bin(key, TL_SEAL_KEYBYTES, b64, B64LEN, NULL, &n,
	    &end, B64VARIANT) != 0 || n != TL_SEAL_KEYBYTES ||
	    end != b64 + B64LEN) {
		snprintf(err, errlen, "the %s key is not %d bytes in URL-safe "
		    "base64 without padding", what, TL_SEAL_KEYBYTES);
		return TL_EMALFORMED;
	}
	return TL_OK;
}

enum tl_err
tl_seal_public_parse(const char *text, uint8_t pk[TL_SEAL_KEYBYTES],
    char *err, size_t errlen)
{
	enum tl_err	 rc;

	if ((rc = tl_seal_key_parse(text, PUBLIC_PREFIX, "staff public", pk, err,
	    errlen)) != TL_OK)
		return rc;
	if (sodium_is_zero(pk, TL_SEAL_KEYBYTES)) {
		snprintf(err, errlen, "the staff public key is all zero");
		return TL_EMALFORMED;
	}
	return TL_OK;
}

/*
 * Reads the key file at path into text (size bytes) with secret.c's
 * reader, and makes sure the file is no more than that text: no NUL
 * inside, nothing past size - 1. Errors name the path.
 */
enum tl_err
tl_seal_key_slurp(const char *path, char *text, size_t size, char *err,
    size_t errlen)
{
	struct stat	 st;

	if (tl_secret_slurp(path, text, size, err, errlen) != 0)
		return TL_EIO;
	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return TL_EIO;
	}
	if ((uintmax_t)st.st_size != strlen(text)) {
		snprintf(err, errlen, "%s: not one line of a key (the file is "
		    "%jd bytes)", path, (intmax_t)st.st_size);
		return TL_EMALFORMED;
	}
	return TL_OK;
}

enum tl_err
tl_seal_public_read(const char *path, uint8_t pk[TL_SEAL_KEYBYTES],
    char *err, size_t errlen)
{
	char		 text[KEYFILE_BUF], why[160];
	enum tl_err	 rc;

	if ((rc = tl_seal_key_slurp(path, text, sizeof(text), err, errlen)) != TL_OK)
		return rc;
	if ((rc = tl_seal_public_parse(text, pk, why, sizeof(why))) != TL_OK)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}

/* --- encodings --------------------------------------------------------- */

/* A write cursor over a buffer sized beforehand. */
struct cur {
	uint8_t	*p;
	size_t	 off;
};

static void
put_u8(struct cur *c, uint8_t v)
{
	c->p[c->off++] = v;
}

static void
put_u32(struct cur *c, uint32_t v)
{
	put_u8(c, (uint8_t)(v >> 24));
	put_u8(c, (uint8_t)(v >> 16));
	put_u8(c, (uint8_t)(v >> 8));
	put_u8(c, (uint8_t)v);
}

static void
put_bytes(struct cur *c, const void *p, size_t n)
{
	if (n > 0)
		memcpy(c->p + c->off, p, n);
	c->off += n;
}

/* A name: 1 byte of length, then the name. */
static void
put_name(struct cur *c, const char *name)
{
	size_t	 n = strlen(name);

	put_u8(c, (uint8_t)n);
	put_bytes(c, name, n);
}

/* Whether name[0..n) is a field or column name: 1-64 of [a-z0-9_]. */
int
tl_seal_name_ok(const char *name, size_t n)
{
	size_t	 i;

	if (n == 0 || n > TL_SEAL_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (name[i] == '\0' || strchr(NAMECHARS, name[i]) == NULL)
			return 0;
	return 1;
}

/* The bytes of ad's columns, or 0 with the reason in err. */
static size_t
ad_cols_size(const struct tl_seal_ad *ad, char *err, size_t errlen)
{
	const struct tl_seal_column	*c;
	size_t				 i, size = 0, vlen;

	if (ad->ncols > TL_SEAL_COLUMNS_MAX || (ad->ncols > 0 &&
	    ad->cols == NULL)) {
		snprintf(err, errlen, "more than %d columns", TL_SEAL_COLUMNS_MAX);
		return 0;
	}
	for (i = 0; i < ad->ncols; i++) {
		c = &ad->cols[i];
		if (c->name == NULL || !tl_seal_name_ok(c->name, strlen(c->name))) {
			snprintf(err, errlen, "column %zu has a bad name", i);
			return 0;
		}
		vlen = c->value == NULL ? 0 : strlen(c->value);
		if (vlen > TL_SEAL_COLUMN_MAX) {
			snprintf(err, errlen, "column %s is over %d bytes",
			    c->name, TL_SEAL_COLUMN_MAX);
			return 0;
		}
		size += 1 + strlen(c->name) + 1 + (c->value == NULL ? 0 :
		    4 + vlen);
	}
	return size + 1;	/* and the count */
}

/* The bytes of ad's encoding, or 0 with the reason in err. */
static size_t
ad_size(const struct tl_seal_ad *ad, char *err, size_t errlen)
{
	size_t	 reflen, cols;

	if (ad == NULL || ad->ref == NULL ||
	    (reflen = strlen(ad->ref)) == 0 || reflen > TL_SEAL_REF_MAX) {
		snprintf(err, errlen, "the reference is missing or too long");
		return 0;
	}
	if ((ad->sender_pk == NULL) != (ad->sender_salt == NULL) ||
	    (ad->sender_pk != NULL && ad->sender_gone != NULL)) {
		snprintf(err, errlen, "a sender's key without its salt, or "
		    "the other way round, or with a forgotten one");
		return 0;
	}
	if ((cols = ad_cols_size(ad, err, errlen)) == 0)
		return 0;
	return 1 + 1 + reflen + 8 + cols + 1 + (ad->sender_pk == NULL &&
	    ad->sender_gone == NULL ? 0 : TL_SEAL_COMMITBYTES);
}

/*
 * The layout: version; ref (1-byte length, bytes); received_at (8 bytes,
 * big-endian two's complement); the column count (1 byte), then each
 * column: name (1-byte length, bytes), 0 for NULL or 1 and the value
 * (4-byte length, bytes); 0 for no follow-up or 1 and the commitment to
 * the sender's public key and salt (kept when they are forgotten).
 */
enum tl_err
tl_seal_ad_encode(const struct tl_seal_ad *ad, uint8_t **out,
    size_t *outlen, char *err, size_t errlen)
{
	struct cur	 c = { NULL, 0 };
	size_t		 size, i, vlen;
	uint64_t	 t;

	*out = NULL;
	if ((size = ad_size(ad, err, errlen)) == 0)
		return TL_EINVAL;
	if ((c.p = malloc(size)) == NULL)
		return TL_ENOMEM;
	put_u8(&c, TL_SEAL_VERSION);
	put_name(&c, ad->ref);
	t = (uint64_t)ad->received_at;
	put_u32(&c, (uint32_t)(t >> 32));
	put_u32(&c, (uint32_t)t);
	put_u8(&c, (uint8_t)ad->ncols);
	for (i = 0; i < ad->ncols; i++) {
		put_name(&c, ad->cols[i].name);
		put_u8(&c, ad->cols[i].value != NULL);
		if (ad->cols[i].value == NULL)
			continue;
		vlen = strlen(ad->cols[i].value);
		put_u32(&c, (uint32_t)vlen);
		put_bytes(&c, ad->cols[i].value, vlen);
	}
	put_u8(&c, ad->sender_pk != NULL || ad->sender_gone != NULL);
	if (ad->sender_pk != NULL) {
		tl_seal_sender_commit(ad->sender_pk, ad->sender_salt,
		    c.p + c.off);
		c.off += TL_SEAL_COMMITBYTES;
	} else if (ad->sender_gone != NULL)
		put_bytes(&c, ad->sender_gone, TL_SEAL_COMMITBYTES);
	*out = c.p;
	*outlen = c.off;
	return TL_OK;
}

/* The bytes of the plaintext of fields[0..n), or 0 with the reason. */
static size_t
plain_size(const struct tl_seal_field *fields, size_t n, char *err,
    size_t errlen)
{
	size_t	 i, j, size = 1, nlen;

	if (n > TL_SEAL_FIELDS_MAX || (n > 0 && fields == NULL)) {
		snprintf(err, errlen, "more than %d fields", TL_SEAL_FIELDS_MAX);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (fields[i].name == NULL || fields[i].value == NULL ||
		    !tl_seal_name_ok(fields[i].name, nlen = strlen(fields[i].name))) {
			snprintf(err, errlen, "field %zu has a bad name or no "
			    "value", i);
			return 0;
		}
		for (j = 0; j < i; j++)
			if (strcmp(fields[j].name, fields[i].name) == 0) {
				snprintf(err, errlen, "field %s is given twice",
				    fields[i].name);
				return 0;
			}
		size += 1 + nlen + 4 + strlen(fields[i].value);
		if (size > TL_SEAL_PLAIN_MAX) {
			snprintf(err, errlen, "the fields are over %d bytes",
			    TL_SEAL_PLAIN_MAX);
			return 0;
		}
	}
	return size;
}

/* Writes the plaintext of fields[0..n) (plain_size bytes) to p. */
static void
plain_write(const struct tl_seal_field *fields, size_t n, uint8_t *p)
{
	struct cur	 c = { p, 0 };
	size_t		 i, vlen;

	put_u8(&c, TL_SEAL_VERSION);
	for (i = 0; i < n; i++) {
		put_name(&c, fields[i].name);
		vlen = strlen(fields[i].value);
		put_u32(&c, (uint32_t)vlen);
		put_bytes(&c, fields[i].value, vlen);
	}
}

enum tl_err
tl_seal_plain_encode(const struct tl_seal_field *fields, size_t n,
    uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	size_t	 size;

	*out = NULL;
	if ((size = plain_size(fields, n, err, errlen)) == 0)
		return TL_EINVAL;
	if ((*out = malloc(size)) == NULL)
		return TL_ENOMEM;
	plain_write(fields, n, *out);
	*outlen = size;
	return TL_OK;
}

/* --- sealing a tip ----------------------------------------------------- */

/*
 * The padded plaintext of fields[0..n) in a new buffer of *padlen bytes
 * (a multiple of TL_SEAL_BLOCK): the caller wipes and frees it.
 */
static enum tl_err
plain_padded(const struct tl_seal_field *fields, size_t n, uint8_t **out,
    size_t *padlen, char *err, size_t errlen)
{
	size_t	 size, cap;

	*out = NULL;
	if ((size = plain_size(fields, n, err, errlen)) == 0)
		return TL_EINVAL;
	cap = (size / TL_SEAL_BLOCK + 1) * TL_SEAL_BLOCK;
	if ((*out = malloc(cap)) == NULL)
		return TL_ENOMEM;
	plain_write(fields, n, *out);
	if (sodium_pad(padlen, *out, size, TL_SEAL_BLOCK, cap) != 0)
		abort();	/* cap is always room enough */
	return TL_OK;
}

/*
 * In both blob formats the nonce comes right before the ciphertext: out
 * gets a random nonce, then plain[0..plen) encrypted under key and ad,
 * and its tag.
 */
static void
aead_encrypt(const uint8_t key[AEAD_KEYBYTES], const uint8_t *ad,
    size_t adlen, const uint8_t *plain, size_t plen, uint8_t *out)
{
	randombytes_buf(out, AEAD_NONCEBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + AEAD_NONCEBYTES,
	    NULL, plain, plen, ad, adlen, NULL, out, key);
}

/* The other way: in[0..inlen) is nonce, ciphertext and tag; plain gets
 * inlen - AEAD_NONCEBYTES - AEAD_TAGBYTES bytes. 0, or -1 if forged. */
int
tl_seal_aead_decrypt(const uint8_t key[AEAD_KEYBYTES], const uint8_t *ad,
    size_t adlen, const uint8_t *in, size_t inlen, uint8_t *plain)
{
	return crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL,
	    in + AEAD_NONCEBYTES, inlen - AEAD_NONCEBYTES, ad, adlen, in, key);
}

/* Fills blob b (TL_SEAL_OVERHEAD + plen bytes) with plain[0..plen)
 * sealed to pk under ad; a fresh content key, wiped. */
static enum tl_err
seal_into(const uint8_t pk[TL_SEAL_KEYBYTES], const uint8_t *ad,
    size_t adlen, const uint8_t *plain, size_t plen, uint8_t *b, char *err,
    size_t errlen)
{
	uint8_t		 key[AEAD_KEYBYTES];
	enum tl_err	 rc = TL_OK;

	b[0] = TL_SEAL_VERSION;
	crypto_aead_xchacha20poly1305_ietf_keygen(key);
	if (crypto_box_seal(b + OFF_KEY, key, sizeof(key), pk) != 0) {
		snprintf(err, errlen, "the staff public key is not usable");
		rc = TL_EINVAL;
	} else
		aead_encrypt(key, ad, adlen, plain, plen, b + OFF_NONCE);
	sodium_memzero(key, sizeof(key));
	return rc;
}

enum tl_err
tl_seal_seal(const uint8_t pk[TL_SEAL_KEYBYTES], const struct tl_seal_ad *ad,
    const struct tl_seal_field *fields, size_t n, uint8_t **blob,
    size_t *bloblen, char *err, size_t errlen)
{
	uint8_t		*plain = NULL, *adb = NULL, *b = NULL;
	size_t		 plen = 0, adlen;
	enum tl_err	 rc;

	*blob = NULL;
	if ((rc = plain_padded(fields, n, &plain, &plen, err, errlen)) !=
	    TL_OK)
		return rc;
	if ((rc = tl_seal_ad_encode(ad, &adb, &adlen, err, errlen)) != TL_OK)
		goto done;
	rc = TL_ENOMEM;
	if ((b = malloc(TL_SEAL_OVERHEAD + plen)) == NULL)
		goto done;
	if ((rc = seal_into(pk, adb, adlen, plain, plen, b, err, errlen)) ==
	    TL_OK) {
		*blob = b;
		*bloblen = TL_SEAL_OVERHEAD + plen;
		b = NULL;
	}
done:
	sodium_memzero(plain, plen);
	free(plain);
	free(adb);
	free(b);
	return rc;
}

/* --- keyed hashes ------------------------------------------------------ */

void
tl_seal_hash_key(const uint8_t form_key[32], enum tl_seal_hash_use use,
    uint8_t key[TL_SEAL_HASHKEYBYTES])
{
	crypto_kdf_derive_from_key(key, TL_SEAL_HASHKEYBYTES, (uint64_t)use,
	    HASH_CONTEXT, form_key);
}

void
tl_seal_keyed_digest(const uint8_t key[TL_SEAL_HASHKEYBYTES],
    const void *data, size_t len, uint8_t *out, size_t outlen)
{
	if (outlen < crypto_generichash_BYTES_MIN ||
	    outlen > crypto_generichash_BYTES_MAX)
		abort();	/* a caller's constant, never input */
	crypto_generichash(out, outlen, data, len, key, TL_SEAL_HASHKEYBYTES);
}

void
tl_seal_keyed_hash(const uint8_t key[TL_SEAL_HASHKEYBYTES],
    const void *data, size_t len, char out[TL_SEAL_HASH_HEX])
{
	uint8_t	 h[32];

	tl_seal_keyed_digest(key, data, len, h, sizeof(h));
	sodium_bin2hex(out, TL_SEAL_HASH_HEX, h, sizeof(h));
}

/* --- MACs and randomness for the rest of the program ------------------- */

_Static_assert(TL_SEAL_HMACBYTES == crypto_auth_hmacsha256_BYTES,
    "HMAC-SHA256 size");

void
tl_seal_hmac_sha256(const uint8_t *key, size_t keylen,
    const struct tl_seal_part *parts, size_t n,
    uint8_t mac[TL_SEAL_HMACBYTES])
{
	crypto_auth_hmacsha256_state	 st;
	size_t				 i;

	crypto_auth_hmacsha256_init(&st, key, keylen);
	for (i = 0; i < n; i++)
		crypto_auth_hmacsha256_update(&st, parts[i].p, parts[i].len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

int
tl_seal_hmac_equal(const uint8_t a[TL_SEAL_HMACBYTES],
    const uint8_t b[TL_SEAL_HMACBYTES])
{
	return crypto_verify_32(a, b) == 0;
}

void
tl_seal_random(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

uint32_t
tl_seal_random_below(uint32_t upper)
{
	return randombytes_uniform(upper);
}

uint32_t
tl_seal_random_u32(void)
{
	return randombytes_random();
}

/* --- follow-up (SPEC 13) ----------------------------------------------- */

/* In sodium_malloc'd memory, read-only once made. */
struct tl_seal_shared {
	uint8_t	 k[crypto_box_BEFORENMBYTES];
};

_Static_assert(crypto_box_BEFORENMBYTES == AEAD_KEYBYTES, "shared key");
_Static_assert(TL_SEAL_MSG_OVERHEAD == 1 + AEAD_NONCEBYTES + AEAD_TAGBYTES,
    "message overhead");
_Static_assert(TL_SEAL_SALTBYTES == crypto_pwhash_SALTBYTES, "salt");

void
tl_seal_code_new(char code[TL_SEAL_CODE_LEN + 1])
{
	size_t	 i;

	for (i = 0; i < TL_SEAL_CODE_LEN; i++)
		code[i] = (char)('0' + randombytes_uniform(10));
	code[TL_SEAL_CODE_LEN] = '\0';
}

void
tl_seal_salt_new(uint8_t salt[TL_SEAL_SALTBYTES])
{
	randombytes_buf(salt, TL_SEAL_SALTBYTES);
}

void
tl_seal_refsalt(const uint8_t key[TL_SEAL_HASHKEYBYTES], const char *ref,
    uint8_t salt[TL_SEAL_SALTBYTES])
{
	tl_seal_keyed_digest(key, ref, strlen(ref), salt, TL_SEAL_SALTBYTES);
}

void
tl_seal_sender_commit(const uint8_t pk[TL_SEAL_KEYBYTES],
    const uint8_t salt[TL_SEAL_SALTBYTES], uint8_t out[TL_SEAL_COMMITBYTES])
{
	static const char	 label[] = "tipline sender key 1";
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, TL_SEAL_COMMITBYTES);
	crypto_generichash_update(&st, (const uint8_t *)label, sizeof(label));
	crypto_generichash_update(&st, pk, TL_SEAL_KEYBYTES);
	crypto_generichash_update(&st, salt, TL_SEAL_SALTBYTES);
	crypto_generichash_final(&st, out, TL_SEAL_COMMITBYTES);
}

enum tl_err
tl_seal_sender_keypair(const char *code, const uint8_t salt[TL_SEAL_SALTBYTES],
    uint8_t pk[TL_SEAL_KEYBYTES], struct tl_seal_secret **sk)
{
	uint8_t		 seed[TL_SEAL_KEYBYTES];
	enum tl_err	 rc;

	*sk = NULL;
	if (strlen(code) != TL_SEAL_CODE_LEN ||
	    strspn(code, "0123456789") != TL_SEAL_CODE_LEN)
		return TL_EINVAL;
	if (crypto_pwhash(seed, sizeof(seed), code, TL_SEAL_CODE_LEN, salt,
	    PWHASH_OPS, PWHASH_MEM, crypto_pwhash_ALG_ARGON2ID13) != 0)
		rc = TL_ENOMEM;
	else
		rc = tl_seal_keypair(seed, pk, sk);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

enum tl_err
tl_seal_shared_new(const struct tl_seal_secret *mine,
    const uint8_t theirs[TL_SEAL_KEYBYTES], struct tl_seal_shared **out)
{
	struct tl_seal_shared	*k;

	*out = NULL;
	if ((k = tl_seal_secure_alloc(sizeof(*k))) == NULL)
		return TL_ENOMEM;
	if (crypto_box_beforenm(k->k, theirs, mine->sk) != 0) {
		sodium_free(k);
		return TL_EINVAL;
	}
	sodium_mprotect_readonly(k);
	*out = k;
	return TL_OK;
}

void
tl_seal_shared_free(struct tl_seal_shared *k)
{
	sodium_free(k);
}

/* A message's additional data into ad[]; returns its length, or 0 (bad
 * ad, reason in err). */
static size_t
msg_ad(const struct tl_seal_msg_ad *a, uint8_t ad[2 + 1 + 64 + 17],
    char *err, size_t errlen)
{
	struct cur	 c = { ad, 0 };
	size_t		 reflen;

	if (a == NULL || a->ref == NULL || (reflen = strlen(a->ref)) == 0 ||
	    reflen > TL_SEAL_REF_MAX || (a->from != TL_SEAL_FROM_STAFF &&
	    a->from != TL_SEAL_FROM_SENDER)) {
		snprintf(err, errlen, "a message's reference or author is bad");
		return 0;
	}
	put_u8(&c, TL_SEAL_VERSION);
	put_u8(&c, MSG_DOMAIN);
	put_name(&c, a->ref);
	put_u32(&c, (uint32_t)((uint64_t)a->id >> 32));
	put_u32(&c, (uint32_t)a->id);
	put_u8(&c, (uint8_t)a->from);
	put_u32(&c, (uint32_t)((uint64_t)a->at >> 32));
	put_u32(&c, (uint32_t)a->at);
	return c.off;
}

enum tl_err
tl_seal_msg_seal(const struct tl_seal_shared *k,
    const struct tl_seal_msg_ad *a, const char *text, uint8_t **blob,
    size_t *bloblen, char *err, size_t errlen)
{
	uint8_t	 ad[2 + 1 + 64 + 17], *b;
	size_t	 adlen, len = strlen(text), padlen, cap;

	*blob = NULL;
	if ((adlen = msg_ad(a, ad, err, errlen)) == 0)
		return TL_EINVAL;
	if (len > TL_SEAL_MSG_MAX) {
		snprintf(err, errlen, "a message is over %d bytes",
		    TL_SEAL_MSG_MAX);
		return TL_EINVAL;
	}
	cap = (len / TL_SEAL_BLOCK + 1) * TL_SEAL_BLOCK;
	if ((b = malloc(TL_SEAL_MSG_OVERHEAD + cap)) == NULL)
		return TL_ENOMEM;
	/* Padded in place: the plaintext is the tail of b, encrypted over
	 * itself (libsodium allows it) and so never left in the clear. */
	b[0] = TL_SEAL_VERSION;
	memcpy(b + 1 + AEAD_NONCEBYTES, text, len);
	if (sodium_pad(&padlen, b + 1 + AEAD_NONCEBYTES, len, TL_SEAL_BLOCK,
	    cap) != 0)
		abort();	/* cap is always room enough */
	aead_encrypt(k->k, ad, adlen, b + 1 + AEAD_NONCEBYTES, padlen, b + 1);
	*blob = b;
	*bloblen = TL_SEAL_MSG_OVERHEAD + padlen;
	return TL_OK;
}

/* The largest message blob. */
#define MSG_BLOB_MAX	(TL_SEAL_MSG_OVERHEAD + \
			(TL_SEAL_MSG_MAX / TL_SEAL_BLOCK + 1) * TL_SEAL_BLOCK)

/* Decrypts and unpads blob (its size checked) into t (bloblen -
 * TL_SEAL_MSG_OVERHEAD bytes), NUL-terminated; NULL, or why not. */
static const char *
msg_decrypt(const struct tl_seal_shared *k, const uint8_t *ad,
    size_t adlen, const uint8_t *blob, size_t bloblen, char *t)
{
	size_t	 plen = bloblen - TL_SEAL_MSG_OVERHEAD, len;

	if (tl_seal_aead_decrypt(k->k, ad, adlen, blob + 1, bloblen - 1,
	    (uint8_t *)t) != 0)
		return "damaged, or not sealed with this key for this tip, "
		    "message, author and time";
	if (sodium_unpad(&len, (const uint8_t *)t, plen, TL_SEAL_BLOCK) != 0)
		return "authentic but badly padded";
	if (memchr(t, '\0', len) != NULL)
		return "authentic but holds a NUL";
	t[len] = '\0';		/* padding is at least one byte */
	return NULL;
}

enum tl_err
tl_seal_msg_open(const struct tl_seal_shared *k,
    const struct tl_seal_msg_ad *a, const uint8_t *blob, size_t bloblen,
    char **text, char *err, size_t errlen)
{
	uint8_t		 ad[2 + 1 + 64 + 17];
	size_t		 adlen, plen;
	const char	*why;
	char		*t;

	*text = NULL;
	if ((adlen = msg_ad(a, ad, err, errlen)) == 0)
		return TL_EINVAL;
	if (bloblen < TL_SEAL_MSG_OVERHEAD + TL_SEAL_BLOCK ||
	    bloblen > MSG_BLOB_MAX ||
	    (bloblen - TL_SEAL_MSG_OVERHEAD) % TL_SEAL_BLOCK != 0 ||
	    blob[0] != TL_SEAL_VERSION) {
		snprintf(err, errlen, "the message does not open: not a "
		    "message blob (size or version)");
		return TL_EMALFORMED;
	}
	plen = bloblen - TL_SEAL_MSG_OVERHEAD;
	if ((t = malloc(plen)) == NULL)
		return TL_ENOMEM;
	if ((why = msg_decrypt(k, ad, adlen, blob, bloblen, t)) == NULL) {
		*text = t;
		return TL_OK;
	}
	sodium_memzero(t, plen);
	free(t);
	snprintf(err, errlen, "the message does not open: %s", why);
	return TL_EMALFORMED;
}

void
tl_seal_text_free(char *text)
{
	if (text == NULL)
		return;
	sodium_memzero(text, strlen(text));
	free(text);
}

/* --- sealed files ------------------------------------------------------ */

/* Writes all of p to fd: 0, or -1 with errno. */
static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The stream's chunks of data[0..len) under st into fd. */
static enum tl_err
file_chunks(crypto_secretstream_xchacha20poly1305_state *st,
    const uint8_t *data, size_t len, int fd, char *err, size_t errlen)
{
	uint8_t		*c;
	size_t		 n, off = 0;
	unsigned char	 tag;
	enum tl_err	 rc = TL_OK;

	if ((c = malloc(TL_SEAL_FILE_CHUNK + SS_ABYTES)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return TL_ENOMEM;
	}
	do {
		n = len - off < TL_SEAL_FILE_CHUNK ? len - off :
		    TL_SEAL_FILE_CHUNK;
		tag = off + n == len ?
		    crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0;
		crypto_secretstream_xchacha20poly1305_push(st, c, NULL,
		    data + off, n, (const uint8_t *)FILE_MAGIC,
		    FILE_MAGICLEN, tag);
		if (write_all(fd, c, n + SS_ABYTES) == -1) {
			snprintf(err, errlen, "writing: %s", strerror(errno));
			rc = TL_EIO;
			break;
		}
		off += n;
	} while (tag == 0);
	free(c);
	return rc;
}

enum tl_err
tl_seal_file_write(const uint8_t pk[TL_SEAL_KEYBYTES], const uint8_t *data,
    size_t len, int fd, char *err, size_t errlen)
{
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t		 key[SS_KEYBYTES], head[FILE_HEAD];
	enum tl_err	 rc = TL_EINVAL;

	memcpy(head, FILE_MAGIC, FILE_MAGICLEN);
	crypto_secretstream_xchacha20poly1305_keygen(key);
	if (crypto_box_seal(head + FILE_MAGICLEN, key, sizeof(key), pk)
	    != 0) {
		snprintf(err, errlen, "the staff public key is not usable");
		goto out;
	}
	crypto_secretstream_xchacha20poly1305_init_push(&st,
	    head + FILE_MAGICLEN + FILE_SEALEDKEY, key);
	rc = TL_EIO;
	if (write_all(fd, head, sizeof(head)) == -1) {
		snprintf(err, errlen, "writing: %s", strerror(errno));
		goto out;
	}
	rc = file_chunks(&st, data, len, fd, err, errlen);
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
	return rc;
}

