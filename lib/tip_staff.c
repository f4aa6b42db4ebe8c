/*
 * tip_staff.c — a stored tip's sealed fields opened with the staff
 * secret key against its own row (SPEC 11), through seal_staff.c: the
 * staff half of tip.c, apart so that the public programs, which link
 * tip.c to seal tips, hold no code that opens one. See tip_staff.h.
 */
#include <stdlib.h>
#include <string.h>

#include "tip_impl.h"
#include "tip_staff.h"

/* Fills r's sealed fields from o; unknown names (a newer writer's) and
 * plaintext ones are left out. TL_OK or TL_ENOMEM. */
static enum tl_err
fill_sealed(struct tl_report *r, const struct tl_seal_opened *o)
{
	const struct tl_seal_field *sf;
	size_t			 i;
	int			 f;

	for (i = 0; i < tl_seal_opened_count(o); i++) {
		sf = tl_seal_opened_field(o, i);
		f = tl_field_find(sf->name, strlen(sf->name));
		if (f < 0 || tl_fields[f].column != NULL ||
		    r->value[f] != NULL)
			continue;
		if ((r->value[f] = strdup(sf->value)) == NULL)
			return TL_ENOMEM;
	}
	return tl_report_read_lists(r);
}

enum tl_err
tl_tip_unseal(struct tl_tip *t, const struct tl_seal_secret *sk,
    enum tl_seal_fault *fault)
{
	struct tl_seal_opened	*o = NULL;
	struct tl_seal_ad	 ad;
	struct tl_tip_cols	 c;
	char			 err[128];
	enum tl_err		 rc;

	*fault = TL_SEAL_FAULT_NONE;
	tl_tip_ad(t, &c, &ad);
	rc = tl_seal_open(sk, &ad, t->sealed, t->sealed_len, &o, fault, err,
	    sizeof(err));
	if (rc == TL_ENOMEM)
		return rc;
	if (rc != TL_OK)
		return TL_ESEALED;
	if ((rc = fill_sealed(&t->report, o)) != TL_OK) {
		/* Nothing half-filled: the sealed fields go again. */
		tl_report_clear_sealed(&t->report);
	}
	tl_seal_opened_free(o);
	return rc;
}
