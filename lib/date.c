/*
 * date.c — dates as an admin types them (see date.h): a strict reader of
 * "YYYY-MM-DD" and RFC 3339, with no locale and no time zone database.
 */
#include <stddef.h>

#include "date.h"

/* Reads n decimal digits at *p into *v: TL_OK, or TL_EINVAL if one is
 * missing. */
static enum tl_err
digits(const char **p, int n, int *v)
{
	*v = 0;
	for (; n > 0; n--, (*p)++) {
		if (**p < '0' || **p > '9')
			return TL_EINVAL;
		*v = *v * 10 + (**p - '0');
	}
	return TL_OK;
}

static int
month_days(int y, int m)
{
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return n[m - 1];
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t		 era;
	unsigned	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/*
 * Reads "Thh:mm:ss[.frac](Z|±hh:mm)" at p into seconds of the day less
 * the offset (*secs, UTC): TL_OK, or TL_EINVAL if it is not one.
 */
static enum tl_err
parse_clock(const char *p, int64_t *secs)
{
	int	 h, mi, se, oh = 0, om = 0, sign = 0;

	if (*p != 'T' && *p != 't' && *p != ' ')
		return TL_EINVAL;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &se) || h > 23 || mi > 59 || se > 59)
		return TL_EINVAL;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return TL_EINVAL;
		for (p++; *p >= '0' && *p <= '9'; p++)
			continue;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) ||
		    oh > 23 || om > 59)
			return TL_EINVAL;
	} else
		return TL_EINVAL;
	if (*p != '\0')
		return TL_EINVAL;
	*secs = h * 3600 + mi * 60 + se - sign * (oh * 3600 + om * 60);
	return TL_OK;
}

enum tl_err
tl_date_parse(const char *s, int64_t *out)
{
	const char	*p = s;
	int64_t		 secs = 0;
	int		 y, m, d;

	if (s == NULL || digits(&p, 4, &y) || *p++ != '-' ||
	    digits(&p, 2, &m) || *p++ != '-' || digits(&p, 2, &d))
		return TL_EINVAL;
	if (m < 1 || m > 12 || d < 1 || d > month_days(y, m))
		return TL_EINVAL;
	if (*p != '\0' && parse_clock(p, &secs) != TL_OK)
		return TL_EINVAL;
	*out = days_from_civil(y, m, d) * 86400 + secs;
	return TL_OK;
}
