/*
 * normalise.c — UK postcodes and phone numbers as tipline stores them
 * (SPEC 5.1): pure functions on strings, shared by validation and by
 * whoever reads a stored value.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

static int
is_alpha(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Returns 1 if s[0..n) matches pattern pat ('A' letter, '9' digit). */
static int
pc_match(const char *s, size_t n, const char *pat)
{
	size_t	 i;

	if (strlen(pat) != n)
		return 0;
	for (i = 0; i < n; i++)
		if ((pat[i] == 'A' && !is_alpha(s[i])) ||
		    (pat[i] == '9' && !is_digit(s[i])))
			return 0;
	return 1;
}

/* Returns 1 if s[0..n) is an outward code (A9 A99 AA9 AA99 A9A AA9A). */
static int
pc_outward(const char *s, size_t n)
{
	static const char *const pats[] = {
		"A9", "A99", "AA9", "AA99", "A9A", "AA9A", NULL
	};
	size_t	 i;

	for (i = 0; pats[i] != NULL; i++)
		if (pc_match(s, n, pats[i]))
			return 1;
	return 0;
}

/*
 * See report.h. Spaces and tabs anywhere are dropped and letters
 * upper-cased; then it must be an outward code, an outward code followed
 * by an inward code (9AA), or GIR 0AA.
 */
enum tl_err
tl_postcode_normalise(const char *in, char *out, size_t outlen)
{
	char	 s[8];
	size_t	 n = 0;

	for (; *in != '\0'; in++) {
		if (*in == ' ' || *in == '\t')
			continue;
		if (n == sizeof(s) - 1)
			return TL_EINVAL;
		s[n++] = *in >= 'a' && *in <= 'z' ? *in - 'a' + 'A' : *in;
	}
	s[n] = '\0';
	if (outlen < 9)
		return TL_EINVAL;
	if (strcmp(s, "GIR0AA") == 0 ||
	    (n >= 5 && pc_match(s + n - 3, 3, "9AA") && pc_outward(s, n - 3)))
		snprintf(out, outlen, "%.*s %s", (int)(n - 3), s, s + n - 3);
	else if (pc_outward(s, n))
		snprintf(out, outlen, "%s", s);
	else
		return TL_EINVAL;
	return TL_OK;
}

/*
 * See report.h. Spaces, tabs, dashes, dots and brackets are dropped; one
 * '+' may come before the first digit. "+44 (0)…" loses the 0; "00…"
 * becomes "+…"; "0…" becomes "+44…"; a number without either prefix
 * keeps its digits with no '+' (its country is unknown). The result has
 * at most 15 digits (E.164), so "0" and 14 digits is refused.
 */
enum tl_err
tl_phone_normalise(const char *in, size_t len, char *out, size_t outlen)
{
	char		 d[16];
	const char	*intl;
	size_t		 i, n = 0;
	int		 plus = 0, w;

	for (i = 0; i < len; i++) {
		if (strchr(" \t-.()[]", in[i]) != NULL && in[i] != '\0')
			continue;
		if (in[i] == '+' && n == 0 && !plus) {
			plus = 1;
			continue;
		}
		if (!is_digit(in[i]) || n == 15)
			return TL_EINVAL;
		d[n++] = in[i];
	}
	d[n] = '\0';
	if (n < 7)
		return TL_EINVAL;
	/* Unknown country: the digits as typed. */
	if (!plus && d[0] != '0')
		return snprintf(out, outlen, "%s", d) < (int)outlen ? TL_OK :
		    TL_EINVAL;
	/* International: after "+", after "00", or UK ("0…" is +44…). */
	intl = plus ? d : d[1] == '0' ? d + 2 : d + 1;
	if (!plus && d[1] != '0')
		w = snprintf(out, outlen, "+44%s", intl);
	else
		w = snprintf(out, outlen, "+%s", intl);
	if (w < 0 || (size_t)w >= outlen)
		return TL_EINVAL;
	/* A UK trunk 0 written after +44 ("+44 (0)20 …") is not dialled. */
	if (strncmp(out, "+44", 3) == 0)
		while (out[3] == '0')
			memmove(out + 3, out + 4, strlen(out + 3));
	/* What is left must still be a number: 7 to 15 digits. */
	n = strlen(out + 1);
	return n >= 7 && n <= 15 ? TL_OK : TL_EINVAL;
}
