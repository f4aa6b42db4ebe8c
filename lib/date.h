/*
 * date.h — dates as an admin types them on tiplinectl's command line.
 */
#ifndef TL_DATE_H
#define TL_DATE_H

#include <stdint.h>

#include "tl.h"

/*
 * Reads a date: "YYYY-MM-DD" (UTC midnight) or RFC 3339
 * ("2026-11-28T04:05:06Z", "…T04:05:06.25+01:00"; fractions of a second
 * are dropped; "t", "z" and a space for "T" are accepted). Writes Unix
 * seconds to *out and returns TL_OK, or returns TL_EINVAL with *out
 * untouched if s is NULL or not a date (out of range fields included,
 * leap seconds too).
 */
enum tl_err tl_date_parse(const char *s, int64_t *out);

#endif
