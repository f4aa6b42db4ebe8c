/*
 * normalise.c — UK postcodes and phone numbers as tipline stores them
 * (SPEC 5.1): pure functions on strings, shared by validation and by
 * whoever reads a stored value.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* Is c a byte a phone number is written with (digits, '+', separators)? */
static int
is_phone_char(char c)
{
	return is_digit(c) || (c != '\0' && strchr("+ \t-.()[]", c) != NULL);
}

/* Is c a byte that may stand around a label ("- Jay", "(Jay)", ": Jay")? */
static int
is_label_edge(char c)
{
	return c == ' ' || c == '\t' || c == '-' || c == ':' || c == '(' ||
	    c == ')' || c == '[' || c == ']' || c == '=';
}

/*
 * Appends " " and the label s[0..len) to out (of outlen bytes, holding a
 * string), blanks folded and the edges' dashes, colons and brackets
 * dropped. An empty label appends nothing. Returns 0, or -1 when it has
 * more than TL_PHONE_LABEL_MAX code points (or out is too small).
 */
static int
label_append(const char *s, size_t len, char *out, size_t outlen)
{
	size_t	 o = strlen(out), i, cps = 0;
	int	 blank = 1;

	for (;;) {	/* ASCII edges, and the en and em dashes */
		if (len > 0 && is_label_edge(s[0])) {
			s++;
			len--;
		} else if (len >= 3 && memcmp(s, "\xe2\x80", 2) == 0 &&
		    (s[2] == '\x93' || s[2] == '\x94')) {
			s += 3;
			len -= 3;
		} else
			break;
	}
	while (len > 0 && is_label_edge(s[len - 1]))
		len--;
	if (len == 0)
		return 0;
	if (o + 1 >= outlen)
		return -1;
	out[o++] = ' ';
	for (i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '\t') {
			if (blank)
				continue;
			blank = 1;
		} else
			blank = 0;
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			cps++;
		if (cps > TL_PHONE_LABEL_MAX || o + 1 >= outlen)
			return -1;
		out[o++] = s[i] == '\t' ? ' ' : s[i];
	}
	out[o] = '\0';
	return 0;
}

/* The length of the "ends"-style prefix s[0..len) starts with, or 0. */
static size_t
partial_prefix(const char *s, size_t len)
{
	/* "partial:" is the stored form: a value read back validates. */
	static const char *const words[] = { "ending in ", "ending with ",
	    "ends in ", "ends with ", "ending ", "ends ", "partial:", NULL };
	size_t	 i, n;

	for (i = 0; words[i] != NULL; i++) {
		n = strlen(words[i]);
		if (len >= n && strncasecmp(s, words[i], n) == 0) {
			while (n < len && (s[n] == ' ' || s[n] == '\t'))
				n++;
			return n;
		}
	}
	return 0;
}

/* See report.h. */
enum tl_err
tl_phone_item_normalise(const char *in, size_t len, char *out,
    size_t outlen, int *why)
{
	size_t	 p, n, d;

	*why = 0;
	while (len > 0 && (in[0] == ' ' || in[0] == '\t')) {
		in++;
		len--;
	}
	if ((p = partial_prefix(in, len)) > 0) {
		for (d = 0; p + d < len && is_digit(in[p + d]); d++)
			;
		if (d < 3 || d > 6 || outlen < 16)
			return TL_EINVAL;
		snprintf(out, outlen, "partial:%.*s", (int)d, in + p);
		n = p + d;
	} else {
		/* The number runs while phone characters do; a '(' or '-'
		 * followed by a letter starts the label. */
		for (n = 0; n < len && is_phone_char(in[n]); n++)
			;
		/* Nothing but a label, or a letter glued to the digits
		 * ("0770O 900123"): not where a number goes. */
		if (n == 0 || (n < len && !is_label_edge(in[n - 1]) &&
		    ((in[n] >= 'a' && in[n] <= 'z') || is_alpha(in[n])))) {
			*why = 1;
			return TL_EINVAL;
		}
		if (tl_phone_normalise(in, n, out, outlen) != TL_OK)
			return TL_EINVAL;
	}
	if (label_append(in + n, len - n, out, outlen) == -1) {
		*why = 2;
		return TL_EINVAL;
	}
	return TL_OK;
}

/* See report.h. */
int
tl_handle_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > 200)
		return 0;
	if ((len > 7 && strncasecmp(s, "http://", 7) == 0) ||
	    (len > 8 && strncasecmp(s, "https://", 8) == 0)) {
		for (i = 0; i < len; i++)
			if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
				return 0;
		return 1;
	}
	if (s[0] == '@') {
		s++;
		len--;
	}
	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'z') &&
		    !is_alpha(s[i]) && strchr("._-", s[i]) == NULL)
			return 0;
	return 1;
}
