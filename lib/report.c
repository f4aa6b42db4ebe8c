/*
 * report.c — the life of a struct tl_report: set up, values cleared and
 * freed, every string wiped first, since it holds what a person wrote.
 * Receiving and validating are in validate.c, the normalisers of postcodes
 * and phone numbers in normalise.c, the field table in fields.c.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "report.h"

void
tl_report_init(struct tl_report *r)
{
	memset(r, 0, sizeof(*r));
	r->priority = TL_PRIO_NORMAL;
}

/* Frees s after wiping it: what a person wrote leaves no copy in freed
 * memory (SPEC 11). */
static void
free_wiped(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

void
tl_report_clear_phones(struct tl_report *r)
{
	size_t	 i;

	for (i = 0; i < r->nphones; i++) {
		free_wiped(r->phones[i]);
		r->phones[i] = NULL;
	}
	r->nphones = 0;
}

void
tl_report_clear_values(struct tl_report *r)
{
	size_t	 i;

	for (i = 0; i < TL_F__MAX; i++) {
		free_wiped(r->value[i]);
		r->value[i] = NULL;
	}
	tl_report_clear_phones(r);
	r->priority = TL_PRIO_NORMAL;
	r->oom = 0;
}

void
tl_report_free(struct tl_report *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	tl_report_clear_values(r);
	for (i = 0; i < TL_F__MAX; i++)
		free_wiped(r->raw[i]);
	tl_report_init(r);
}

void
tl_postcode_area(const char *postcode, char *out, size_t outlen)
{
	char	 pc[16];
	size_t	 n;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (postcode == NULL ||
	    tl_postcode_normalise(postcode, pc, sizeof(pc)) != TL_OK)
		return;
	n = strcspn(pc, " ");
	if (n < outlen) {
		memcpy(out, pc, n);
		out[n] = '\0';
	}
}
