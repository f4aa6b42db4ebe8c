/*
 * ref.c — tip references in Crockford base32 (SPEC 5.3).
 */
#include <ctype.h>
#include <string.h>

#include "ref.h"
#include "seal.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void
tl_ref_format(const uint8_t b[5], char out[TL_REF_SIZE])
{
	uint64_t v = 0;
	size_t	 i, o = 3;

	for (i = 0; i < 5; i++)
		v = v << 8 | b[i];
	memcpy(out, "TL-", 3);
	for (i = 0; i < 8; i++) {
		if (i == 4)
			out[o++] = '-';
		out[o++] = alphabet[(v >> (35 - 5 * i)) & 31];
	}
	out[o] = '\0';
}

void
tl_ref_random(char out[TL_REF_SIZE])
{
	uint8_t	 b[5];

	tl_seal_random(b, sizeof(b));
	tl_ref_format(b, out);
}

/* The value of Crockford digit c as typed (O is 0, I and L are 1), or -1. */
static int
digit(int c)
{
	const char	*p;

	c = toupper(c);
	if (c == 'O')
		c = '0';
	else if (c == 'I' || c == 'L')
		c = '1';
	if (c == '\0' || (p = strchr(alphabet, c)) == NULL)
		return -1;
	return (int)(p - alphabet);
}

enum tl_err
tl_ref_parse(const char *in, char out[TL_REF_SIZE])
{
	char	 c[10];
	size_t	 n = 0, i, skip = 0, o = 3;

	for (; *in != '\0'; in++) {
		if (*in == '-' || *in == ' ' || *in == '\t')
			continue;
		if (n == sizeof(c))
			return TL_EINVAL;
		c[n++] = *in;
	}
	/* Ten characters: the first two must be the "TL" prefix. */
	if (n == 10) {
		if (toupper((unsigned char)c[0]) != 'T' ||
		    toupper((unsigned char)c[1]) != 'L')
			return TL_EINVAL;
		skip = 2;
	} else if (n != 8)
		return TL_EINVAL;
	memcpy(out, "TL-", 3);
	for (i = skip; i < n; i++) {
		if (digit((unsigned char)c[i]) < 0)
			return TL_EINVAL;
		if (i - skip == 4)
			out[o++] = '-';
		out[o++] = alphabet[digit((unsigned char)c[i])];
	}
	out[o] = '\0';
	return TL_OK;
}
