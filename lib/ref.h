/*
 * ref.h — tip references: "TL-" and 8 Crockford base32 characters in two
 * groups of four (SPEC 5.3).
 */
#ifndef TL_REF_H
#define TL_REF_H

#include <stddef.h>
#include <stdint.h>

#include "tl.h"

#define TL_REF_LEN	12	/* "TL-7K3M-9QXD" */
#define TL_REF_SIZE	13	/* with the NUL */

/* Formats 40 bits from b[0..5) as a reference into out. */
void tl_ref_format(const uint8_t b[5], char out[TL_REF_SIZE]);

/* A fresh reference from the cryptographic random source. */
void tl_ref_random(char out[TL_REF_SIZE]);

/*
 * Reads a reference as a person types it: any case, with or without "TL-"
 * and hyphens (spaces too), O read as 0, I and L as 1. Writes the canonical
 * form to out and returns TL_OK, or TL_EINVAL if it cannot be one.
 */
enum tl_err tl_ref_parse(const char *in, char out[TL_REF_SIZE]);

#endif
