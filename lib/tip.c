/*
 * tip.c — helpers for readers of stored tips. See tip.h.
 */
#include <time.h>

#include "tip.h"

void
tl_time_rfc3339(int64_t t, char out[21])
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *
tl_concerns_json(const struct tl_report *r)
{
	const struct tl_choice *c = tl_fields[TL_F_CONCERNS].choices;
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; a != NULL && c[i].value != NULL; i++)
		if ((r->concerns & (1u << i)) &&
		    json_array_append_new(a, json_string(c[i].value)) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}
