/*
 * entity.c — phone numbers, vehicle registrations, postcodes and handles
 * found in tip text and normalised (see entity.h). One left-to-right
 * scan: at each word start it tries, in turn, a handle, a profile link, a
 * partial number ("ends 123"), a phone number, and a vehicle registration
 * or postcode of one or two words. Only ASCII makes an entity; any other
 * byte is a separator, so UTF-8 needs no decoding here.
 */
#include <string.h>

#include "entity.h"
#include "report.h"

#define HANDLE_MAX	30	/* characters of a handle's name */

static const char *const kind_names[TL_ENT__MAX] = {
	[TL_ENT_PHONE] = "phone",
	[TL_ENT_PARTIAL] = "partial",
	[TL_ENT_VEHICLE] = "vehicle",
	[TL_ENT_POSTCODE] = "postcode",
	[TL_ENT_HANDLE] = "handle",
};

/* Profile links: the host and path before the name, after an optional
 * scheme and "www." or "m.". */
static const char *const sites[] = {
	"instagram.com/", "twitter.com/", "x.com/", "tiktok.com/@",
	"facebook.com/", "fb.com/", "snapchat.com/add/", "t.me/",
	"youtube.com/@", "threads.net/@",
};

/* Paths of those sites that are not profiles. */
static const char *const not_profiles[] = {
	"p", "reel", "reels", "explore", "stories", "home", "search",
	"share", "watch", "profile.php", "groups", "hashtag", "i", "intent",
	"login", "tv", "events", "pages", "marketplace",
};

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int
is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static int
is_alnum(char c)
{
	return is_digit(c) || is_upper(c) || is_lower(c);
}

static char
lower(char c)
{
	return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

static char
upper(char c)
{
	return is_lower(c) ? (char)(c - 'a' + 'A') : c;
}

static int
is_handle_char(char c)
{
	return is_alnum(c) || c == '_' || c == '.';
}

const char *
tl_entity_kind_name(enum tl_entity_kind kind)
{
	return (unsigned)kind < TL_ENT__MAX ? kind_names[kind] : "unknown";
}

int
tl_entity_kind_parse(const char *name)
{
	int	 k;

	for (k = 0; name != NULL && k < TL_ENT__MAX; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -1;
}

int
tl_entity_links(enum tl_entity_kind kind)
{
	return kind != TL_ENT_PARTIAL;
}

/* Whether s starts with prefix, ASCII case ignored: its length or 0. */
static size_t
starts_ci(const char *s, const char *prefix)
{
	size_t	 i;

	for (i = 0; prefix[i] != '\0'; i++)
		if (lower(s[i]) != prefix[i])
			return 0;
	return i;
}

/*
 * A handle's name at s into out as "@name" in lower case: the bytes of s
 * it used, or 0 when there is none (empty, too long, no letter or digit,
 * a path that is not a profile).
 */
static size_t
handle_name(const char *s, char out[TL_ENTITY_MAX])
{
	size_t	 n = 0, i, len, alnum = 0;

	while (is_handle_char(s[n]) && n <= HANDLE_MAX)
		n++;
	len = n;
	while (len > 0 && s[len - 1] == '.')	/* "@jay." ends a sentence */
		len--;
	if (len == 0 || len > HANDLE_MAX || is_handle_char(s[n]))
		return 0;
	for (i = 0; i < sizeof(not_profiles) / sizeof(not_profiles[0]); i++)
		if (strlen(not_profiles[i]) == len &&
		    starts_ci(s, not_profiles[i]) == len)
			return 0;
	out[0] = '@';
	for (i = 0; i < len; i++) {
		alnum += is_alnum(s[i]);
		out[i + 1] = lower(s[i]);
	}
	out[len + 1] = '\0';
	return alnum > 0 ? n : 0;
}

/* A profile link at s: the bytes used, the handle in out; or 0. */
static size_t
profile_link(const char *s, char out[TL_ENTITY_MAX])
{
	const char	*p = s;
	size_t		 i, k, n;

	if ((k = starts_ci(p, "https://")) == 0)
		k = starts_ci(p, "http://");
	p += k;
	if ((k = starts_ci(p, "www.")) == 0)
		k = starts_ci(p, "m.");
	p += k;
	for (i = 0; i < sizeof(sites) / sizeof(sites[0]); i++)
		if ((k = starts_ci(p, sites[i])) > 0 &&
		    (n = handle_name(p + k, out)) > 0)
			return (size_t)(p + k - s) + n;
	return 0;
}

/* "ends 123", "ending in 4567", "ends with 123": the bytes used and the
 * 3 to 6 digits in out, or 0. */
static size_t
partial(const char *s, char out[TL_ENTITY_MAX])
{
	static const char *const words[] = { "ending in ", "ending with ",
	    "ends in ", "ends with ", "ending ", "ends " };
	const char	*p;
	size_t		 i, k, n;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if ((k = starts_ci(s, words[i])) > 0)
			break;
	if (i == sizeof(words) / sizeof(words[0]))
		return 0;
	for (p = s + k; *p == ' '; p++)
		;
	for (n = 0; is_digit(p[n]); n++)
		;
	if (n < 3 || n > 6 || is_alnum(p[n]))
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	return (size_t)(p + n - s);
}

/* How many digits a number that starts as d[0..n) may have at most: a
 * UK number 11 ("0…") or 12 ("+44…", 13 with "(0)"), another country's
 * 15 (after "+" or "00"); 0 for digits without "+" or "0", which are not taken from text
 * (dates, amounts, times). */
static size_t
phone_target(int plus, const char *d, size_t n)
{
	if (!plus && n >= 2 && d[0] == '0' && d[1] == '0')
		return 15;	/* "00" and the number: as much as it takes */
	if (!plus)
		return d[0] == '0' ? 11 : 0;
	if (n >= 2 && d[0] == '4' && d[1] == '4')
		return n >= 3 && d[2] == '0' ? 13 : 12;
	return 15;
}

/*
 * A phone number at s (a '+' or a digit at a word start): digit groups
 * joined by at most two of " -.()", as many as the number's kind holds.
 * Returns the bytes to skip (at least 1) and sets *ok with the E.164 in
 * out when it is a number.
 */
static size_t
phone(const char *s, char out[TL_ENTITY_MAX], int *ok)
{
	char		 d[32];
	const char	*p = s, *end = s, *q;
	size_t		 n = 0, g, target = 15;
	int		 plus = *p == '+';

	*ok = 0;
	p += plus;
	if (!is_digit(*p))
		return 1;
	for (;;) {
		for (g = 0; is_digit(p[g]); g++)
			;
		if (n + g > 15)
			break;
		memcpy(d + n, p, g);
		if (n + g > phone_target(plus, d, n + g)) {
			if (n == 0)
				target = 0;	/* one run too long */
			break;
		}
		n += g;
		end = p + g;
		target = phone_target(plus, d, n);
		if (n >= target)
			break;
		for (q = end; q < end + 2 && *q != '\0' &&
		    strchr(" -.()", *q) != NULL; q++)
			;
		if (q == end || !is_digit(*q))
			break;
		p = q;
	}
	if (n == 0 || target == 0) {
		for (p = s + plus; is_digit(*p); p++)
			;
		return (size_t)(p - s);
	}
	/* "(0)" ends with ')': the number ends at its last digit. */
	if (n >= 7 && !is_alnum(*end) &&
	    tl_phone_normalise(s, (size_t)(end - s), out, TL_ENTITY_MAX)
	    == TL_OK)
		*ok = 1;
	return (size_t)(end - s);
}

/* The letters of s[0..n) are all upper case (upper_only), or all one
 * case: 1 or 0. */
static int
one_case(const char *s, size_t n, int upper_only)
{
	size_t	 i, up = 0, low = 0;

	for (i = 0; i < n; i++) {
		up += is_upper(s[i]);
		low += is_lower(s[i]);
	}
	return upper_only ? low == 0 : up == 0 || low == 0;
}

/* Counts s's characters of class cls (1 letter, 0 digit) from i on. */
static size_t
run(const char *s, size_t i, int letters)
{
	size_t	 n = 0;

	while (s[i + n] != '\0' && (letters ? !is_digit(s[i + n]) :
	    is_digit(s[i + n])))
		n++;
	return n;
}

/*
 * Whether the upper-case, spaceless s is a UK registration: current
 * (AB12CDE), prefix (A123BCD) or suffix (ABC123D). Sets *split where a
 * space may stand and *strict when the format is only taken in upper case
 * from text (prefix and suffix: "A3 red" is not a plate).
 */
static int
vehicle_shape(const char *s, size_t *split, int *strict)
{
	size_t	 len = strlen(s), l1, dg, l2;

	l1 = run(s, 0, 1);
	dg = run(s, l1, 0);
	l2 = run(s, l1 + dg, 1);
	if (l1 + dg + l2 != len)
		return 0;
	*strict = 1;
	if (l1 == 2 && dg == 2 && l2 == 3) {
		*split = 4;
		*strict = 0;
		return 1;
	}
	if (l1 == 1 && dg >= 1 && dg <= 3 && l2 == 3) {
		*split = 1 + dg;
		return 1;
	}
	if (l1 == 3 && dg >= 1 && dg <= 3 && l2 == 1) {
		*split = 3;
		return 1;
	}
	return 0;
}

/*
 * w1 (n1 bytes) and, when n2 > 0, the word w2 after one space: as a
 * registration (written as one word or split where plates split), into
 * out. 1 or 0.
 */
static int
vehicle_words(const char *w1, size_t n1, const char *w2, size_t n2,
    char out[TL_ENTITY_MAX])
{
	char	 s[16];
	size_t	 i, split;
	int	 strict;

	if (n1 + n2 > 7 || n1 + n2 < 5)
		return 0;
	for (i = 0; i < n1; i++)
		s[i] = upper(w1[i]);
	for (i = 0; i < n2; i++)
		s[n1 + i] = upper(w2[i]);
	s[n1 + n2] = '\0';
	if (!vehicle_shape(s, &split, &strict) || (n2 > 0 && split != n1))
		return 0;
	if (!one_case(w1, n1, strict) || !one_case(w2, n2, strict))
		return 0;
	memcpy(out, s, n1 + n2 + 1);
	return 1;
}

/* The same for a full postcode ("SO14 3JJ", "so143jj"). 1 or 0. */
static int
postcode_words(const char *w1, size_t n1, const char *w2, size_t n2,
    char out[TL_ENTITY_MAX])
{
	char	 s[16];

	if (n1 + n2 > 7 || n1 + n2 < 5)
		return 0;
	memcpy(s, w1, n1);
	if (n2 > 0)
		s[n1] = ' ';
	memcpy(s + n1 + (n2 > 0), w2, n2);
	s[n1 + n2 + (n2 > 0)] = '\0';
	if (tl_postcode_normalise(s, out, TL_ENTITY_MAX) != TL_OK ||
	    strchr(out, ' ') == NULL)
		return 0;
	/* Split where the inward code starts, if at all. */
	return n2 == 0 || n2 == 3;
}

/*
 * A registration or postcode at the word w: tries two words first, then
 * one. Calls fn; returns the bytes used (at least the word), or -1 if fn
 * stopped (its answer in *stop).
 */
static size_t
plate_or_postcode(const char *w, tl_entity_fn *fn, void *arg, int *stop)
{
	char	 v[TL_ENTITY_MAX];
	size_t	 n1, n2 = 0;

	for (n1 = 0; is_alnum(w[n1]); n1++)
		;
	if (w[n1] == ' ')
		for (n2 = 0; is_alnum(w[n1 + 1 + n2]); n2++)
			;
	if (n2 > 0 && vehicle_words(w, n1, w + n1 + 1, n2, v))
		*stop = fn(arg, TL_ENT_VEHICLE, v);
	else if (n2 > 0 && postcode_words(w, n1, w + n1 + 1, n2, v))
		*stop = fn(arg, TL_ENT_POSTCODE, v);
	else {
		if (vehicle_words(w, n1, "", 0, v))
			*stop = fn(arg, TL_ENT_VEHICLE, v);
		else if (postcode_words(w, n1, "", 0, v))
			*stop = fn(arg, TL_ENT_POSTCODE, v);
		return n1;
	}
	return n1 + 1 + n2;
}

/* One step of the scan at text[i] (a word start): the bytes it used, at
 * least 1; *stop set from fn. */
static size_t
step(const char *s, tl_entity_fn *fn, void *arg, int *stop)
{
	char	 v[TL_ENTITY_MAX];
	size_t	 n;
	int	 ok;

	if (*s == '@') {
		if ((n = handle_name(s + 1, v)) > 0)
			*stop = fn(arg, TL_ENT_HANDLE, v);
		return n + 1;
	}
	if ((n = profile_link(s, v)) > 0) {
		*stop = fn(arg, TL_ENT_HANDLE, v);
		return n;
	}
	if ((n = partial(s, v)) > 0) {
		*stop = fn(arg, TL_ENT_PARTIAL, v);
		return n;
	}
	if (*s == '+' || is_digit(*s)) {
		n = phone(s, v, &ok);
		if (ok)
			*stop = fn(arg, TL_ENT_PHONE, v);
		if (ok || !is_digit(*s))
			return n;
	}
	if (is_alnum(*s))
		return plate_or_postcode(s, fn, arg, stop);
	return 1;
}

int
tl_entity_extract(const char *text, tl_entity_fn *fn, void *arg)
{
	size_t	 i = 0;
	int	 stop = 0;

	if (text == NULL)
		return 0;
	while (text[i] != '\0' && stop == 0) {
		/* A word start: not inside a word, an address or a path
		 * ("jay@example.com", "example.com/@x" are no handles). */
		if (i > 0 && (is_alnum(text[i - 1]) || (text[i] == '@' &&
		    strchr("._-/", text[i - 1]) != NULL))) {
			i++;
			continue;
		}
		i += step(text + i, fn, arg, &stop);
	}
	return stop;
}

/* Copies in without blanks at either end into out (size bytes): 1, or 0
 * when it does not fit. */
static int
trimmed(const char *in, char *out, size_t size)
{
	size_t	 n;

	while (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r')
		in++;
	n = strlen(in);
	while (n > 0 && strchr(" \t\r\n", in[n - 1]) != NULL)
		n--;
	if (n >= size)
		return 0;
	memcpy(out, in, n);
	out[n] = '\0';
	return 1;
}

/* A registration typed alone, any case, spaces anywhere. 1 or 0. */
static int
vehicle_alone(const char *in, char out[TL_ENTITY_MAX])
{
	char	 s[16];
	size_t	 n = 0, split;
	int	 strict;

	for (; *in != '\0'; in++) {
		if (*in == ' ')
			continue;
		if (!is_alnum(*in) || n == 7)
			return 0;
		s[n++] = upper(*in);
	}
	s[n] = '\0';
	if (n < 5 || !vehicle_shape(s, &split, &strict))
		return 0;
	memcpy(out, s, n + 1);
	return 1;
}

enum tl_err
tl_entity_normalise(enum tl_entity_kind kind, const char *in,
    char out[TL_ENTITY_MAX])
{
	char	 s[128], v[TL_ENTITY_MAX];
	size_t	 n;
	int	 ok = 0;

	if (in == NULL || !trimmed(in, s, sizeof(s)) || s[0] == '\0')
		return TL_EINVAL;
	switch (kind) {
	case TL_ENT_PHONE:
		ok = tl_phone_normalise(s, strlen(s), v, sizeof(v)) == TL_OK;
		break;
	case TL_ENT_PARTIAL:
		if ((n = partial(s, v)) == 0 || s[n] != '\0') {
			n = strspn(s, "0123456789");
			if ((ok = s[n] == '\0' && n >= 3 && n <= 6))
				memcpy(v, s, n + 1);
		} else
			ok = 1;
		break;
	case TL_ENT_VEHICLE:
		ok = vehicle_alone(s, v);
		break;
	case TL_ENT_POSTCODE:
		ok = tl_postcode_normalise(s, v, sizeof(v)) == TL_OK &&
		    strchr(v, ' ') != NULL;
		break;
	case TL_ENT_HANDLE:
		if (s[0] == '@')
			ok = (n = handle_name(s + 1, v)) > 0 &&
			    s[1 + n] == '\0';
		else
			ok = (n = profile_link(s, v)) > 0 &&
			    (s[n] == '\0' || (s[n] == '/' &&
			    s[n + 1] == '\0'));
		break;
	default:
		break;
	}
	if (!ok)
		return TL_EINVAL;
	memcpy(out, v, strlen(v) + 1);
	return TL_OK;
}

int
tl_entity_guess(const char *q, char out[TL_ENTITY_MAX])
{
	static const enum tl_entity_kind order[] = { TL_ENT_PHONE,
	    TL_ENT_VEHICLE, TL_ENT_POSTCODE, TL_ENT_HANDLE, TL_ENT_PARTIAL };
	size_t	 i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (tl_entity_normalise(order[i], q, out) == TL_OK)
			return (int)order[i];
	return -1;
}
