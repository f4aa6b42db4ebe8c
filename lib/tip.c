/*
 * tip.c — a stored tip: its plaintext columns, and its sealed fields
 * sealed against them through seal.c (SPEC 11). See tip.h. Opening
 * them takes the staff secret key: tip_staff.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "tip.h"
#include "tip_impl.h"

static void
col_add(struct tl_tip_cols *c, const char *name, const char *value)
{
	c->v[c->n].name = name;
	c->v[c->n].value = value;
	c->n++;
}

void
tl_tip_ad(const struct tl_tip *t, struct tl_tip_cols *c,
    struct tl_seal_ad *ad)
{
	int	 f;

	c->n = 0;
	col_add(c, "priority", tl_priority_name(t->report.priority));
	for (f = 0; f < TL_F__MAX; f++)
		if (tl_fields[f].column != NULL)
			col_add(c, tl_fields[f].column, t->report.value[f]);
	col_add(c, "area", t->area[0] != '\0' ? t->area : NULL);
	snprintf(c->num[0], sizeof(c->num[0]), "%d", t->has_people);
	snprintf(c->num[1], sizeof(c->num[1]), "%d", t->has_vehicles);
	snprintf(c->num[2], sizeof(c->num[2]), "%d", t->nphones);
	col_add(c, "has_people", c->num[0]);
	col_add(c, "has_vehicles", c->num[1]);
	col_add(c, "phones", c->num[2]);
	memset(ad, 0, sizeof(*ad));
	ad->ref = t->ref;
	ad->received_at = t->received_at;
	ad->cols = c->v;
	ad->ncols = c->n;
	if (t->has_sender) {
		ad->sender_pk = t->sender_pk;
		ad->sender_salt = t->sender_salt;
	} else if (t->has_gone)
		ad->sender_gone = t->sender_gone;
}

void
tl_tip_view(struct tl_tip *t, const char *ref, int64_t received_at,
    const struct tl_report *r)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->ref, sizeof(t->ref), "%s", ref);
	t->received_at = received_at;
	t->report = *r;
	tl_postcode_area(r->value[TL_F_POSTCODE], t->area, sizeof(t->area));
	t->has_people = r->value[TL_F_PEOPLE] != NULL;
	t->has_vehicles = r->value[TL_F_VEHICLES] != NULL;
	t->nphones = (int)r->nphones;
}

enum tl_err
tl_tip_seal_fields(const struct tl_tip *t,
    const uint8_t pk[TL_SEAL_KEYBYTES], const struct tl_seal_field *fields,
    size_t n, uint8_t **blob, size_t *len, char *err, size_t errlen)
{
	struct tl_seal_ad	 ad;
	struct tl_tip_cols	 c;

	tl_tip_ad(t, &c, &ad);
	return tl_seal_seal(pk, &ad, fields, n, blob, len, err, errlen);
}

enum tl_err
tl_tip_seal(const struct tl_tip *t, const uint8_t pk[TL_SEAL_KEYBYTES],
    uint8_t **blob, size_t *len, char *err, size_t errlen)
{
	struct tl_seal_field	 fields[TL_F__MAX];
	size_t			 n = 0;
	int			 f;

	for (f = 0; f < TL_F__MAX; f++)
		if (tl_fields[f].column == NULL &&
		    t->report.value[f] != NULL) {
			fields[n].name = tl_fields[f].name;
			fields[n].value = t->report.value[f];
			n++;
		}
	return tl_tip_seal_fields(t, pk, fields, n, blob, len, err, errlen);
}

enum tl_err
tl_tip_prepare(struct tl_submit *sub, struct tl_tip *view, const char *ref,
    const uint8_t pk[TL_SEAL_KEYBYTES], uint8_t **blob, char *err,
    size_t errlen)
{
	enum tl_err	 rc;

	*blob = NULL;
	tl_tip_view(view, ref, sub->received_at, sub->report);
	if (sub->sender_pk != NULL && sub->sender_salt != NULL) {
		view->has_sender = 1;
		memcpy(view->sender_pk, sub->sender_pk, TL_SEAL_KEYBYTES);
		memcpy(view->sender_salt, sub->sender_salt,
		    TL_SEAL_SALTBYTES);
	}
	if ((rc = tl_tip_seal(view, pk, blob, &sub->sealed_len, err,
	    errlen)) != TL_OK)
		return rc;
	sub->ref = view->ref;
	sub->sealed = *blob;
	sub->area = view->area[0] != '\0' ? view->area : NULL;
	sub->has_people = view->has_people;
	sub->has_vehicles = view->has_vehicles;
	sub->nphones = view->nphones;
	return TL_OK;
}

void
tl_tip_free(struct tl_tip *t)
{
	tl_report_free(&t->report);
	free(t->sealed);
	sodium_memzero(t, sizeof(*t));
}

/* The times tl_time_rfc3339() writes as they are (years 1970 to 9999). */
#define TIME_MIN	0
#define TIME_MAX	INT64_C(253402300799)	/* 9999-12-31T23:59:59Z */

void
tl_time_rfc3339(int64_t t, char out[21])
{
	struct tm	 tm;
	time_t		 tt;

	/* A time from a hostile or broken store can be any integer: past
	 * the year 9999, strftime() has no room (and leaves out
	 * unterminated), and gmtime_r() fails past INT_MAX years. */
	tt = (time_t)(t < TIME_MIN ? TIME_MIN : t > TIME_MAX ? TIME_MAX : t);
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		memcpy(out, "1970-01-01T00:00:00Z", 21); /* unreachable */
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
