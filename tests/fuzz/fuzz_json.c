/*
 * fuzz_json.c — a body of the JSON API (POST /api/v1/tips):
 * tl_report_from_json() then tl_report_validate().
 *
 * Oracles: the result is one of those report.h names; an accepted body
 * left raw values of valid UTF-8 without NUL; a body that is not valid
 * UTF-8 is TL_EUTF8, and a valid one jansson cannot read as an object is
 * TL_EJSON; the validated report keeps SPEC 5.1's promises
 * (fuzz_report.h) and validating its values again changes nothing.
 */
#include <jansson.h>

#include "fuzz.h"
#include "fuzz_report.h"
#include "report.h"
#include "utf8.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_report	 r;
	struct tl_field_error	 errs[TL_F__MAX];
	json_t			*j;
	json_error_t		 jerr;
	enum tl_err		 rc;
	size_t			 nerrs;
	int			 f, obj;

	tl_report_init(&r);
	rc = tl_report_from_json(&r, (const char *)data, size);
	FUZZ_CHECK(rc == TL_OK || rc == TL_EUTF8 || rc == TL_EJSON);
	if (!tl_utf8_valid((const char *)data, size))
		FUZZ_CHECK(rc == TL_EUTF8);
	else {
		j = json_loadb((const char *)data, size,
		    JSON_REJECT_DUPLICATES, &jerr);
		obj = j != NULL && json_is_object(j);
		json_decref(j);
		FUZZ_CHECK((rc == TL_OK) == obj);
	}
	if (rc == TL_OK) {
		for (f = 0; f < TL_F__MAX; f++)
			if (r.raw[f] != NULL)
				FUZZ_CHECK(tl_utf8_valid(r.raw[f],
				    strlen(r.raw[f])));
		nerrs = tl_report_validate(&r, errs, TL_F__MAX);
		fuzz_check_validated(&r, errs, nerrs, TL_F__MAX);
		for (f = 0; f < TL_F__MAX; f++)
			if (r.bad_type & (1u << f))
				FUZZ_CHECK(r.value[f] == NULL);
		if (nerrs == 0)
			fuzz_check_idempotent(&r);
	}
	tl_report_free(&r);
	return 0;
}
