/*
 * fuzz_report.h — the oracle for a validated report, shared by the
 * targets that feed reports (fuzz_urlenc, fuzz_json): what SPEC 5.1 and
 * 5.2 promise about tl_report_validate()'s output, whatever came in.
 */
#ifndef TL_FUZZ_REPORT_H
#define TL_FUZZ_REPORT_H

#include "fuzz.h"
#include "report.h"
#include "utf8.h"

static const char *const fuzz_codes[] = { "required", "too_short",
	"too_long", "invalid_choice", "invalid_format", "too_many",
	"invalid_characters", NULL };

static int
fuzz_code_ok(const char *code)
{
	size_t	 i;

	for (i = 0; fuzz_codes[i] != NULL; i++)
		if (code != NULL && strcmp(code, fuzz_codes[i]) == 0)
			return 1;
	return 0;
}

/* A normalised text value: valid UTF-8, trimmed, no CR, no control but
 * LF and TAB (C1 included). */
static void
fuzz_check_clean(const char *s)
{
	size_t			 n = strlen(s);
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i;

	FUZZ_CHECK(tl_utf8_valid(s, n));
	FUZZ_CHECK(n == 0 || (p[0] != ' ' && p[0] != '\t' && p[0] != '\n'));
	FUZZ_CHECK(n == 0 || (p[n - 1] != ' ' && p[n - 1] != '\t' &&
	    p[n - 1] != '\n'));
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(p[i] >= 0x20 || p[i] == '\n' || p[i] == '\t');
		FUZZ_CHECK(p[i] != 0x7f);
		FUZZ_CHECK(!(p[i] == 0xc2 && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f));
	}
}

static int
fuzz_is_choice(enum tl_field f, const char *v)
{
	const struct tl_choice	*c;

	for (c = tl_fields[f].choices; c->value != NULL; c++)
		if (strcmp(c->value, v) == 0)
			return 1;
	return 0;
}

/* "+"? and 7..15 digits. */
static void
fuzz_check_phone(const char *p)
{
	size_t	 n = 0, min = 7, max = 15;

	/* "partial:" and 3-6 digits, or "+" and 7-15; then " label". */
	if (strncmp(p, "partial:", 8) == 0) {
		p += 8;
		min = 3;
		max = 6;
	} else if (*p == '+')
		p++;
	for (; *p != '\0' && *p != ' '; p++, n++)
		FUZZ_CHECK(*p >= '0' && *p <= '9');
	FUZZ_CHECK(n >= min && n <= max);
	if (*p == ' ') {
		FUZZ_CHECK(p[1] != '\0' && p[1] != ' ');
		FUZZ_CHECK(p[strlen(p) - 1] != ' ');
		FUZZ_CHECK(strpbrk(p, ",;\n\t") == NULL);
		FUZZ_CHECK(strstr(p, "  ") == NULL);
	}
}

/* The names of r's concerns joined with "," into out. */
static void
fuzz_concerns_join(unsigned bits, char *out, size_t outlen)
{
	const struct tl_choice	*c = tl_fields[TL_F_CONCERNS].choices;
	size_t			 i;

	out[0] = '\0';
	for (i = 0; c[i].value != NULL; i++)
		if (bits & (1u << i)) {
			if (out[0] != '\0')
				strncat(out, ",", outlen - strlen(out) - 1);
			strncat(out, c[i].value, outlen - strlen(out) - 1);
		}
}

static int
fuzz_value_is(const struct tl_report *r, enum tl_field f, const char *v)
{
	return r->value[f] != NULL && strcmp(r->value[f], v) == 0;
}

/* One field's value after validation, by kind. */
static void
fuzz_check_value(const struct tl_report *r, enum tl_field f)
{
	const struct tl_fielddef	*d = &tl_fields[f];
	const char			*v = r->value[f];
	char				 buf[4096], pc[16];
	const char			*line;
	size_t				 i, n, len;

	switch (d->kind) {
	case TL_K_MULTI:
		fuzz_concerns_join(r->concerns, buf, sizeof(buf));
		FUZZ_CHECK(strcmp(buf, v) == 0 && buf[0] != '\0');
		FUZZ_CHECK(!r->concerns_bad);
		break;
	case TL_K_TEXT:
		fuzz_check_clean(v);
		n = tl_utf8_count(v, strlen(v));
		FUZZ_CHECK(n >= d->min && n <= d->max && n > 0);
		break;
	case TL_K_CHOICE:
		FUZZ_CHECK(fuzz_is_choice(f, v));
		break;
	case TL_K_POSTCODE:
		FUZZ_CHECK(strlen(v) <= 8);
		FUZZ_CHECK(tl_postcode_normalise(v, pc, sizeof(pc)) == 0);
		FUZZ_CHECK(strcmp(pc, v) == 0);
		break;
	case TL_K_PHONES:
		FUZZ_CHECK(r->nphones >= 1 && r->nphones <= TL_MAX_PHONES);
		buf[0] = '\0';
		for (i = 0; i < r->nphones; i++) {
			fuzz_check_phone(r->phones[i]);
			if (i > 0)
				strncat(buf, ",", sizeof(buf) - strlen(buf) - 1);
			strncat(buf, r->phones[i], sizeof(buf) - strlen(buf) - 1);
		}
		FUZZ_CHECK(strcmp(buf, v) == 0);
		break;
	case TL_K_LIST:
		fuzz_check_clean(v);
		for (n = 0, line = v; ; line += len + 1) {
			len = strcspn(line, "\n");
			FUZZ_CHECK(len > 0 && line[0] != ' ' &&
			    line[len - 1] != ' ');
			i = tl_utf8_count(line, len);
			FUZZ_CHECK(i >= d->min && i <= d->max);
			FUZZ_CHECK(d->item_ok == NULL || d->item_ok(line, len));
			n++;
			if (line[len] == '\0')
				break;
		}
		FUZZ_CHECK(n >= 1 && n <= d->items);
		break;
	}
}

/*
 * Checks r and errs[0..nerrs) (at most max written) after
 * tl_report_validate(): one error at most a field, in table order, with a
 * known code and a message; a value exactly for fields without error,
 * normalised; required fields when valid; priority by SPEC 5.2.
 */
static void
fuzz_check_validated(const struct tl_report *r,
    const struct tl_field_error *errs, size_t nerrs, size_t max)
{
	int	 haserr[TL_F__MAX] = { 0 };
	size_t	 i, msglen;
	int	 f, urgent;

	FUZZ_CHECK(!r->oom);
	FUZZ_CHECK(nerrs <= TL_F__MAX);
	for (i = 0; i < nerrs && i < max; i++) {
		FUZZ_CHECK((unsigned)errs[i].field < TL_F__MAX);
		FUZZ_CHECK(i == 0 || errs[i].field > errs[i - 1].field);
		FUZZ_CHECK(fuzz_code_ok(errs[i].code));
		msglen = strnlen(errs[i].msg, sizeof(errs[i].msg));
		FUZZ_CHECK(msglen > 0 && msglen < sizeof(errs[i].msg));
		haserr[errs[i].field] = 1;
	}
	for (f = 0; f < TL_F__MAX; f++) {
		if (haserr[f])
			FUZZ_CHECK(r->value[f] == NULL);
		if (r->value[f] != NULL)
			fuzz_check_value(r, (enum tl_field)f);
		else if (tl_fields[f].required && nerrs <= max)
			FUZZ_CHECK(haserr[f]);
	}
	if (r->value[TL_F_PHONES] == NULL)
		FUZZ_CHECK(r->nphones == 0);
	urgent = fuzz_value_is(r, TL_F_CHILD_AT_RISK, "yes") ||
	    fuzz_value_is(r, TL_F_WEAPONS_SEEN, "yes") ||
	    fuzz_value_is(r, TL_F_WHEN, "now");
	FUZZ_CHECK(r->priority == (urgent ? TL_PRIO_URGENT : TL_PRIO_NORMAL));
}

/*
 * Normalisation is idempotent: a valid report's values, sent again as
 * they are, validate to the same values with no error (so what is
 * stored, exported and re-imported, or replayed, stays the same).
 */
static void
fuzz_check_idempotent(const struct tl_report *r)
{
	const struct tl_choice	*c = tl_fields[TL_F_CONCERNS].choices;
	struct tl_field_error	 errs[TL_F__MAX];
	struct tl_report	 r2;
	const char		*name;
	size_t			 i, nerrs;
	int			 f;

	tl_report_init(&r2);
	for (i = 0; c[i].value != NULL; i++)
		if (r->concerns & (1u << i))
			FUZZ_CHECK(tl_report_set(&r2, "concerns", 8,
			    c[i].value, strlen(c[i].value)) == TL_OK);
	for (f = 1; f < TL_F__MAX; f++) {
		if (r->value[f] == NULL)
			continue;
		name = tl_fields[f].name;
		FUZZ_CHECK(tl_report_set(&r2, name, strlen(name),
		    r->value[f], strlen(r->value[f])) == TL_OK);
	}
	nerrs = tl_report_validate(&r2, errs, TL_F__MAX);
	if (nerrs != 0)
		fprintf(stderr, "re-validation: %s %s: %s\n",
		    tl_fields[errs[0].field].name, errs[0].code,
		    errs[0].msg);
	FUZZ_CHECK(nerrs == 0);
	for (f = 0; f < TL_F__MAX; f++) {
		if (r->value[f] == NULL) {
			FUZZ_CHECK(r2.value[f] == NULL);
			continue;
		}
		FUZZ_CHECK(r2.value[f] != NULL);
		if (strcmp(r->value[f], r2.value[f]) != 0)
			fprintf(stderr, "not idempotent: %s: \"%s\" -> "
			    "\"%s\"\n", tl_fields[f].name, r->value[f],
			    r2.value[f]);
		FUZZ_CHECK(strcmp(r->value[f], r2.value[f]) == 0);
	}
	FUZZ_CHECK(r2.priority == r->priority);
	tl_report_free(&r2);
}

#endif
