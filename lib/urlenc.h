/*
 * urlenc.h — application/x-www-form-urlencoded bodies.
 */
#ifndef TL_URLENC_H
#define TL_URLENC_H

#include <stddef.h>

#include "tl.h"

struct tl_pair {
	char	*name;		/* decoded, NUL-terminated */
	size_t	 namelen;
	char	*value;		/* decoded, NUL-terminated */
	size_t	 len;
};

struct tl_pairs {
	struct tl_pair	*v;
	size_t		 n;
	char		*mem;	/* one block holding every decoded string */
	size_t		 memlen;	/* its size (wiped when freed) */
};

/*
 * Parses len bytes of body: pairs separated by '&', name and value split at
 * the first '=', '+' is a space, %XX needs two hex digits. An empty body
 * gives no pairs; empty segments ("a=1&&b=2") are skipped; a name without
 * '=' has an empty value. Every decoded name and value must be valid UTF-8
 * with no NUL.
 * Returns TL_OK, TL_EMALFORMED (bad escape, NUL), TL_EUTF8, TL_ETOOMANY
 * (more than max pairs) or TL_ENOMEM; on error out holds nothing.
 * The caller frees out with tl_pairs_free().
 */
enum tl_err tl_urlenc_parse(const char *body, size_t len, size_t max,
	    struct tl_pairs *out);
void tl_pairs_free(struct tl_pairs *p);

#endif
