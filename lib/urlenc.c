/*
 * urlenc.c — application/x-www-form-urlencoded bodies.
 *
 * The parser is bounded: it counts the pairs before it allocates, refuses
 * more than the caller's maximum, and allocates exactly two blocks (the
 * pair array and one block holding every decoded string). See urlenc.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "urlenc.h"
#include "utf8.h"

/* Value of hex digit c, or -1. */
static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes s[0..len) into dst (room for len + 1 bytes) and NUL-terminates
 * it; *outlen is the decoded length. Returns TL_EMALFORMED for a bad
 * escape or a NUL (raw or %00), TL_EUTF8 when the result is not UTF-8.
 */
static enum tl_err
decode(const char *s, size_t len, char *dst, size_t *outlen)
{
	size_t		 i, n = 0;
	int		 hi, lo;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (len - i < 3 ||
			    (hi = hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)s[i + 2])) < 0)
				return TL_EMALFORMED;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+')
			c = ' ';
		if (c == '\0')
			return TL_EMALFORMED;
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	*outlen = n;
	return tl_utf8_valid(dst, n) ? TL_OK : TL_EUTF8;
}

/* Number of non-empty '&'-separated segments in body[0..len). */
static size_t
count_pairs(const char *body, size_t len)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++)
		if (body[i] != '&' && (i == 0 || body[i - 1] == '&'))
			n++;
	return n;
}

/*
 * Decodes every non-empty segment of body[0..len) into p->v (room for
 * every pair) with strings in p->mem (room for len + 2 bytes a pair).
 * Returns TL_OK or the first decoding error.
 */
static enum tl_err
fill_pairs(const char *body, size_t len, struct tl_pairs *p)
{
	const char	*seg, *eq, *amp;
	size_t		 i, seglen, off = 0;
	struct tl_pair	*pr;
	enum tl_err	 rc;

	for (i = 0; i < len; i += seglen + 1) {
		seg = body + i;
		amp = memchr(seg, '&', len - i);
		seglen = amp != NULL ? (size_t)(amp - seg) : len - i;
		if (seglen == 0)
			continue;
		pr = &p->v[p->n++];
		eq = memchr(seg, '=', seglen);
		pr->name = p->mem + off;
		rc = decode(seg, eq ? (size_t)(eq - seg) : seglen, pr->name,
		    &pr->namelen);
		if (rc != TL_OK)
			return rc;
		off += pr->namelen + 1;
		pr->value = p->mem + off;
		rc = eq == NULL ? decode("", 0, pr->value, &pr->len) :
		    decode(eq + 1, seglen - (size_t)(eq + 1 - seg),
		    pr->value, &pr->len);
		if (rc != TL_OK)
			return rc;
		off += pr->len + 1;
	}
	return TL_OK;
}

enum tl_err
tl_urlenc_parse(const char *body, size_t len, size_t max,
    struct tl_pairs *out)
{
	struct tl_pairs	 p;
	size_t		 count;
	enum tl_err	 rc = TL_ENOMEM;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	if (len == 0 || (count = count_pairs(body, len)) == 0)
		return TL_OK;
	if (count > max)
		return TL_ETOOMANY;
	if (len > SIZE_MAX / 2 - 2 * count)
		return TL_ENOMEM;
	if ((p.v = calloc(count, sizeof(*p.v))) == NULL ||
	    (p.mem = malloc((p.memlen = len + 2 * count))) == NULL)
		goto err;
	if ((rc = fill_pairs(body, len, &p)) != TL_OK)
		goto err;
	*out = p;
	return TL_OK;
err:
	tl_pairs_free(&p);
	return rc;
}

void
tl_pairs_free(struct tl_pairs *p)
{
	if (p == NULL)
		return;
	free(p->v);
	if (p->mem != NULL)
		sodium_memzero(p->mem, p->memlen);	/* what was typed */
	free(p->mem);
	memset(p, 0, sizeof(*p));
}
