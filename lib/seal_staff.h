/*
 * seal_staff.h — the crypto module's staff half (seal_staff.c): what
 * needs or makes the staff secret key. Reading, parsing and writing the
 * staff key files, opening a tip's blob, a sealed file, and the desk's
 * form MAC key derived from the secret key. Included only by the desk
 * (desk_*.c), tiplinectl's library files (admin.c, backup.c, query.c),
 * tip_staff.c, their mains and the tests: never by a file of
 * tipline.fcgi or tipline-notify, which tests/links.sh proves by
 * symbol. The public half, and the formats, are in seal.h.
 */
#ifndef TL_SEAL_STAFF_H
#define TL_SEAL_STAFF_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "seal.h"

/* Why a blob did not open (tl_seal_open). */
enum tl_seal_fault {
	TL_SEAL_FAULT_NONE = 0,
	TL_SEAL_FAULT_FORMAT,	/* not a blob: size or version */
	TL_SEAL_FAULT_KEY,	/* not sealed to this key, or key damaged */
	TL_SEAL_FAULT_AUTH,	/* damaged, or its row is not the one it was
				   sealed with (moved, column changed) */
	TL_SEAL_FAULT_PADDING,	/* authentic but badly padded */
	TL_SEAL_FAULT_PLAIN,	/* authentic but malformed plaintext */
};

/* Opened fields. Opaque; read with the accessors below. */
struct tl_seal_opened;

/* --- the staff key files -------------------------------------------- */

/*
 * Parses a secret key file's text into a new secret key (*sk; free with
 * tl_seal_secret_free). Returns TL_OK; TL_EMALFORMED with what is wrong
 * in err (never the text); TL_ENOMEM. *sk is NULL on failure; every copy
 * of the key this function made is wiped on every path. The caller wipes
 * text.
 */
enum tl_err tl_seal_secret_parse(const char *text,
	    struct tl_seal_secret **sk, char *err, size_t errlen);

/*
 * Reads the secret key file at path into a new *sk (its text is read
 * into locked memory and wiped). TL_OK; TL_EIO, TL_EMALFORMED with
 * "path: reason" in err; TL_ENOMEM. *sk is NULL on failure.
 */
enum tl_err tl_seal_secret_read(const char *path,
	    struct tl_seal_secret **sk, char *err, size_t errlen);

/*
 * Creates a key file at path (O_CREAT|O_EXCL|O_NOFOLLOW: never
 * overwrites, never follows a link) with mode, owned by uid:gid
 * ((uid_t)-1 and (gid_t)-1 leave them), and the key's line; fsyncs it.
 * Returns TL_OK; TL_EDUPLICATE if path exists; TL_EIO with
 * "path: reason" in err (a half-written file is removed).
 */
enum tl_err tl_seal_public_write(const char *path, int mode, uid_t uid,
	    gid_t gid, const uint8_t pk[TL_SEAL_KEYBYTES], char *err,
	    size_t errlen);
enum tl_err tl_seal_secret_write(const char *path, int mode, uid_t uid,
	    gid_t gid, const struct tl_seal_secret *sk, char *err,
	    size_t errlen);

/* --- opening a tip -------------------------------------------------- */

/*
 * Opens blob with the staff secret key sk, for the row ad. Returns TL_OK
 * and the fields in *out (free: tl_seal_opened_free, which wipes them);
 * TL_EMALFORMED when it does not open, with *fault (if not NULL) saying
 * why and err a sentence; TL_EINVAL (bad ad); TL_ENOMEM. *out is NULL on
 * failure; every intermediate plaintext is wiped on every path.
 */
enum tl_err tl_seal_open(const struct tl_seal_secret *sk,
	    const struct tl_seal_ad *ad, const uint8_t *blob, size_t bloblen,
	    struct tl_seal_opened **out, enum tl_seal_fault *fault, char *err,
	    size_t errlen);

/* The number of opened fields. */
size_t tl_seal_opened_count(const struct tl_seal_opened *o);

/* The ith opened field (i < count), in sealed order; owned by o. */
const struct tl_seal_field *tl_seal_opened_field(
	    const struct tl_seal_opened *o, size_t i);

/* The value of the field named name, owned by o; NULL if absent. */
const char *tl_seal_opened_get(const struct tl_seal_opened *o,
	    const char *name);

/* Wipes and frees o. NULL is a no-op. */
void tl_seal_opened_free(struct tl_seal_opened *o);

/*
 * Parses a plaintext strictly into *out (free: tl_seal_opened_free).
 * Returns TL_OK; TL_EMALFORMED with the reason in err; TL_ENOMEM. The
 * caller still owns (and wipes) p.
 */
enum tl_err tl_seal_plain_decode(const uint8_t *p, size_t len,
	    struct tl_seal_opened **out, char *err, size_t errlen);

/* --- sealed files (SPEC 15) ----------------------------------------- */

/*
 * Reads and opens a sealed file from fd with the staff secret key sk:
 * its plaintext in a new *data of *len bytes (free: tl_seal_data_free,
 * which wipes). Returns TL_OK; TL_EMALFORMED when it does not open (not
 * a sealed file, another key, damaged, cut short), with the reason in
 * err; TL_EIO; TL_ENOMEM. *data is NULL on failure, and every partial
 * plaintext wiped.
 */
enum tl_err tl_seal_file_read(const struct tl_seal_secret *sk, int fd,
	    uint8_t **data, size_t *len, char *err, size_t errlen);

/* Wipes and frees len bytes from tl_seal_file_read. NULL: no-op. */
void tl_seal_data_free(uint8_t *data, size_t len);

/* --- the desk's form MAC (SPEC 12) ---------------------------------- */
#define TL_SEAL_MACBYTES	32
/* A MAC key in locked memory. Opaque. */
struct tl_seal_mackey;
/*
 * The desk's CSRF key, derived from the staff secret key sk (crypto_kdf,
 * its own context): TL_OK and *out (free: tl_seal_mackey_free, which
 * wipes), or TL_ENOMEM with *out NULL.
 */
enum tl_err tl_seal_csrf_key(const struct tl_seal_secret *sk,
	    struct tl_seal_mackey **out);
/* Wipes and frees k. NULL is a no-op. */
void tl_seal_mackey_free(struct tl_seal_mackey *k);
/* HMAC-SHA512-256 (crypto_auth) of msg[0..len) under k into mac. */
void tl_seal_mac(const struct tl_seal_mackey *k, const void *msg,
	    size_t len, uint8_t mac[TL_SEAL_MACBYTES]);
/* Whether mac is msg's under k, compared in constant time: 1 or 0. */
int tl_seal_mac_verify(const struct tl_seal_mackey *k, const void *msg,
	    size_t len, const uint8_t mac[TL_SEAL_MACBYTES]);

#endif
