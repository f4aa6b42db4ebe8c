/*
 * utf8.c — strict UTF-8 (RFC 3629). See utf8.h.
 */
#include "utf8.h"

/*
 * Length of the UTF-8 sequence at p (avail bytes readable), or 0 if it is
 * not a valid sequence: overlong forms, surrogates (U+D800..U+DFFF) and
 * anything above U+10FFFF are refused (RFC 3629, table 3-7 of Unicode).
 */
static size_t
utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;		/* overlong 3-byte */
	else if (p[0] == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;		/* overlong 4-byte */
	else if (p[0] == 0xf4)
		hi = 0x8f;		/* above U+10FFFF */
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

int
tl_utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

size_t
tl_utf8_count(const char *s, size_t len)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

size_t
tl_utf8_prefix(const char *s, size_t len, size_t n)
{
	size_t	 i = 0, cp;

	for (cp = 0; cp < n && i < len; cp++) {
		i++;
		while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
	}
	return i;
}
size_t
tl_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n, i;

	*cp = p[0];
	if ((n = utf8_seq(p, len)) <= 1)
		return n;
	*cp = p[0] & (0xff >> (n + 1));
	for (i = 1; i < n; i++)
		*cp = (*cp << 6) | (p[i] & 0x3f);
	return n;
}

size_t
tl_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t	 i, k;

	if (len <= max)
		return len;
	for (i = max, k = 0; i > 0 && k < 3 &&
	    ((unsigned char)s[i] & 0xc0) == 0x80; i--, k++)
		;
	return i;
}

void
tl_utf8_repair(struct tl_buf *b, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0) {
			tl_buf_puts(b, "\xef\xbf\xbd");	/* U+FFFD */
			i++;
		} else {
			tl_buf_add(b, p + i, n);
			i += n;
		}
	}
}
