/*
 * report.c — the life of a struct tl_report: set up, values cleared and
 * freed, every string wiped first, since it holds what a person wrote.
 * Receiving and validating are in validate.c, the normalisers of postcodes
 * and phone numbers in normalise.c, the field table in fields.c.
 */
#include <stdlib.h>
#include <string.h>


#include "buf.h"
#include "report.h"

void
tl_report_init(struct tl_report *r)
{
	memset(r, 0, sizeof(*r));
	r->priority = TL_PRIO_NORMAL;
}

void
tl_report_clear_phones(struct tl_report *r)
{
	size_t	 i;

	for (i = 0; i < r->nphones; i++) {
		tl_free_wiped(r->phones[i]);
		r->phones[i] = NULL;
	}
	r->nphones = 0;
}

void
tl_report_clear_values(struct tl_report *r)
{
	size_t	 i;

	for (i = 0; i < TL_F__MAX; i++) {
		tl_free_wiped(r->value[i]);
		r->value[i] = NULL;
	}
	tl_report_clear_phones(r);
	r->priority = TL_PRIO_NORMAL;
	r->oom = 0;
}

void
tl_report_clear_sealed(struct tl_report *r)
{
	size_t	 i;

	for (i = 0; i < TL_F__MAX; i++)
		if (tl_fields[i].column == NULL) {
			tl_free_wiped(r->value[i]);
			r->value[i] = NULL;
		}
	tl_report_clear_phones(r);
}

void
tl_report_free(struct tl_report *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	tl_report_clear_values(r);
	for (i = 0; i < TL_F__MAX; i++)
		tl_free_wiped(r->raw[i]);
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

/* Splits s at commas, calling fn(arg, item, len) for each item. */
static int
each_item(const char *s, int (*fn)(void *, const char *, size_t), void *arg)
{
	const char	*e;

	while (s != NULL && *s != '\0') {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		if (e > s && fn(arg, s, (size_t)(e - s)) == -1)
			return -1;
		s = *e == ',' ? e + 1 : e;
	}
	return 0;
}

static int
add_concern(void *arg, const char *v, size_t len)
{
	struct tl_report	*r = arg;
	const struct tl_choice	*c = tl_fields[TL_F_CONCERNS].choices;
	size_t			 i;

	for (i = 0; c[i].value != NULL; i++)
		if (strlen(c[i].value) == len && memcmp(c[i].value, v, len) == 0)
			r->concerns |= 1u << i;
	return 0;
}

static int
add_phone(void *arg, const char *v, size_t len)
{
	struct tl_report	*r = arg;

	if (r->nphones == TL_MAX_PHONES)
		return 0;
	if ((r->phones[r->nphones] = strndup(v, len)) == NULL)
		return -1;
	r->nphones++;
	return 0;
}

enum tl_err
tl_report_read_lists(struct tl_report *r)
{
	r->concerns = 0;
	tl_report_clear_phones(r);
	if (each_item(r->value[TL_F_CONCERNS], add_concern, r) == -1 ||
	    each_item(r->value[TL_F_PHONES], add_phone, r) == -1)
		return TL_ENOMEM;
	return TL_OK;
}
