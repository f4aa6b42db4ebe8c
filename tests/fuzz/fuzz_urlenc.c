/*
 * fuzz_urlenc.c — a form body as the public sends it: tl_urlenc_parse(),
 * then tl_report_set() for each pair (as intake.c's read_form() does) and
 * tl_report_validate().
 *
 * Oracles: the parse agrees with a plain reference reading of urlenc.h's
 * contract (same result, same pairs); every decoded string is valid
 * UTF-8 without NUL; the validated report keeps SPEC 5.1's promises
 * (fuzz_report.h), and validating its values again changes nothing.
 */
#include "fuzz.h"
#include "fuzz_report.h"
#include "report.h"
#include "urlenc.h"
#include "utf8.h"

static int
ref_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Reference decoding of one part: TL_EMALFORMED for a bad escape or NUL,
 * TL_EUTF8, else TL_OK with out (size n + 1) filled. */
static enum tl_err
ref_decode(const uint8_t *s, size_t n, char *out, size_t *outlen)
{
	size_t	 i, o = 0;
	int	 c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '%') {
			if (i + 2 >= n || ref_hex(s[i + 1]) < 0 ||
			    ref_hex(s[i + 2]) < 0)
				return TL_EMALFORMED;
			c = ref_hex(s[i + 1]) * 16 + ref_hex(s[i + 2]);
			i += 2;
		} else if (c == '+')
			c = ' ';
		if (c == 0)
			return TL_EMALFORMED;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*outlen = o;
	return tl_utf8_valid(out, o) ? TL_OK : TL_EUTF8;
}

/* Compares pairs with the reference reading of data; returns what the
 * reference says the result is. */
static enum tl_err
ref_compare(const uint8_t *data, size_t size, const struct tl_pairs *p,
    enum tl_err rc)
{
	char		*buf = malloc(size + 1);
	size_t		 i = 0, k = 0, n = 0, seg, eq, len;
	enum tl_err	 want = TL_OK;

	FUZZ_CHECK(buf != NULL);
	for (i = 0; i < size; i++)
		if (data[i] != '&' && (i == 0 || data[i - 1] == '&'))
			n++;
	if (n > TL_MAX_FIELDS) {
		free(buf);
		return TL_ETOOMANY;
	}
	for (i = 0; i < size && want == TL_OK; i = seg + 1) {
		for (seg = i; seg < size && data[seg] != '&'; seg++)
			;
		if (seg == i)
			continue;
		for (eq = i; eq < seg && data[eq] != '='; eq++)
			;
		want = ref_decode(data + i, eq - i, buf, &len);
		if (want == TL_OK && rc == TL_OK) {
			FUZZ_CHECK(k < p->n);
			FUZZ_CHECK(p->v[k].namelen == len &&
			    memcmp(p->v[k].name, buf, len + 1) == 0);
		}
		if (want != TL_OK)
			break;
		want = eq < seg ? ref_decode(data + eq + 1, seg - eq - 1,
		    buf, &len) : ref_decode(data, 0, buf, &len);
		if (want == TL_OK && rc == TL_OK) {
			FUZZ_CHECK(p->v[k].len == len &&
			    memcmp(p->v[k].value, buf, len + 1) == 0);
			k++;
		}
	}
	if (want == TL_OK && rc == TL_OK)
		FUZZ_CHECK(k == p->n);
	free(buf);
	return want;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_pairs		 pairs;
	struct tl_report	 r;
	struct tl_field_error	 errs[TL_F__MAX];
	char			*body = fuzz_strndup(data, size);
	enum tl_err		 rc, set = TL_OK;
	size_t			 i, nerrs, max;

	rc = tl_urlenc_parse(body, size, TL_MAX_FIELDS, &pairs);
	FUZZ_CHECK(rc == ref_compare(data, size, &pairs, rc));
	if (rc != TL_OK) {
		FUZZ_CHECK(pairs.n == 0 && pairs.v == NULL &&
		    pairs.mem == NULL);
		goto out;
	}
	tl_report_init(&r);
	for (i = 0; i < pairs.n && set == TL_OK; i++) {
		const struct tl_pair *p = &pairs.v[i];

		FUZZ_CHECK(strlen(p->name) == p->namelen);
		FUZZ_CHECK(strlen(p->value) == p->len);
		set = tl_report_set(&r, p->name, p->namelen, p->value,
		    p->len);
		FUZZ_CHECK(set == TL_OK || set == TL_EREPEATED);
	}
	if (set == TL_OK) {
		/* A short error array too: only the first max written. */
		max = size > 0 ? data[0] % (TL_F__MAX + 1) : TL_F__MAX;
		nerrs = tl_report_validate(&r, errs, max);
		fuzz_check_validated(&r, errs, nerrs, max);
		if (nerrs == 0)
			fuzz_check_idempotent(&r);
	}
	tl_report_free(&r);
	tl_pairs_free(&pairs);
out:
	free(body);
	return 0;
}
