/*
 * secret.h — key files: the form key (64 hex digits) and the webhook
 * secret (Standard Webhooks: "whsec_" and standard padded base64 of 24 to
 * 64 bytes).
 */
#ifndef TL_SECRET_H
#define TL_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "tl.h"

#define TL_SECRET_MIN	24
#define TL_SECRET_MAX	64

/*
 * Reads the small file at path (a key file) into text, NUL-terminated,
 * at most size - 1 bytes. Returns TL_OK, or TL_EIO with "path: reason" in
 * err.
 */
enum tl_err tl_secret_slurp(const char *path, char *text, size_t size,
	    char *err, size_t errlen);

/*
 * Parses a webhook secret from text (trailing newline allowed) into key.
 * Returns TL_OK and sets *keylen, or TL_EINVAL with what is wrong in err.
 */
enum tl_err tl_secret_parse(const char *text, uint8_t key[TL_SECRET_MAX],
	    size_t *keylen, char *err, size_t errlen);

/* Reads and parses the secret file at path: TL_OK, or TL_EIO or TL_EINVAL
 * as above, the message naming the path. */
enum tl_err tl_secret_read(const char *path, uint8_t key[TL_SECRET_MAX],
	    size_t *keylen, char *err, size_t errlen);

/*
 * Creates path with mode and content if it does not exist (never
 * overwrites, never through a symbolic link). Returns TL_OK and sets
 * *created to 1 if it created the file, 0 if one was there already; or
 * TL_EIO with the reason in err, also when path is a symbolic link.
 */
enum tl_err tl_secret_create(const char *path, const char *content,
	    int mode, int *created, char *err, size_t errlen);

/* A new form key file's content: 64 hex digits and a newline. */
void tl_secret_new_form_key(char out[66]);

/* A new webhook secret file's content: "whsec_", base64 of 32 random
 * bytes, newline. */
void tl_secret_new_webhook(char out[64]);

#endif
