/*
 * fuzz_normalise.c — the normalisers that see what people type:
 * tl_postcode_normalise(), tl_postcode_area(), tl_phone_normalise() and
 * tl_ref_parse(), each on the whole input, with output buffers of exactly
 * the documented size (on the heap, so ASan sees one byte too many).
 *
 * Oracles: a success has the documented shape (postcode "OUTWARD" or
 * "OUTWARD INWARD" in upper case; phone "+"? and 7-15 digits; reference
 * "TL-XXXX-XXXX" in Crockford base32), keeps the characters it was
 * given (postcode), and normalising the result again gives it back
 * unchanged (the store, exports and dedupe rely on one form per value).
 */
#include "fuzz.h"
#include "ref.h"
#include "report.h"

static char *
xmalloc(size_t n)
{
	char	*p = malloc(n > 0 ? n : 1);

	FUZZ_CHECK(p != NULL);
	return p;
}

static int
upper_or_digit(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static void
postcode(const char *s, size_t outlen)
{
	char	*out = xmalloc(9), *again = xmalloc(9), *area;
	char	 squeezed[16];
	size_t	 n = 0, i, sp;
	const char *p;

	if (tl_postcode_normalise(s, out, 9) == TL_OK) {
		n = strlen(out);
		FUZZ_CHECK(n >= 2 && n <= 8);
		sp = strcspn(out, " ");
		for (i = 0; i < n; i++)
			FUZZ_CHECK(i == sp || upper_or_digit(out[i]));
		FUZZ_CHECK(sp == n || (sp >= 2 && n - sp == 4));
		/* The same characters, less blanks, in upper case. */
		n = 0;
		for (p = s; *p != '\0' && n < sizeof(squeezed) - 1; p++)
			if (*p != ' ' && *p != '\t')
				squeezed[n++] = *p >= 'a' && *p <= 'z' ?
				    (char)(*p - 'a' + 'A') : *p;
		squeezed[n] = '\0';
		for (i = 0, n = 0; out[i] != '\0'; i++)
			if (out[i] != ' ')
				FUZZ_CHECK(out[i] == squeezed[n++]);
		FUZZ_CHECK(squeezed[n] == '\0');
		FUZZ_CHECK(tl_postcode_normalise(out, again, 9) == TL_OK);
		FUZZ_CHECK(strcmp(out, again) == 0);
	} else
		out[0] = '\0';
	area = xmalloc(outlen);
	tl_postcode_area(s, area, outlen);
	if (outlen > 0) {
		sp = strcspn(out, " ");
		if (out[0] != '\0' && sp < outlen)
			FUZZ_CHECK(strlen(area) == sp &&
			    memcmp(area, out, sp) == 0);
		else
			FUZZ_CHECK(area[0] == '\0');
	}
	free(area);
	free(out);
	free(again);
}

static void
phone(const uint8_t *data, size_t size)
{
	char	*out = xmalloc(17), *again = xmalloc(17);
	size_t	 n, i;

	if (tl_phone_normalise((const char *)data, size, out, 17) == TL_OK) {
		n = strlen(out);
		i = out[0] == '+';
		for (; i < n; i++)
			FUZZ_CHECK(out[i] >= '0' && out[i] <= '9');
		i = out[0] == '+';
		FUZZ_CHECK(n - i >= 7 && n - i <= 15);
		FUZZ_CHECK(tl_phone_normalise(out, n, again, 17) == TL_OK);
		if (strcmp(out, again) != 0)
			fprintf(stderr, "phone not idempotent: \"%s\" -> "
			    "\"%s\"\n", out, again);
		FUZZ_CHECK(strcmp(out, again) == 0);
	}
	free(out);
	free(again);
}

static void
ref(const char *s)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	char	*out = xmalloc(TL_REF_SIZE), *again = xmalloc(TL_REF_SIZE);
	size_t	 i;

	if (tl_ref_parse(s, out) == TL_OK) {
		FUZZ_CHECK(strlen(out) == TL_REF_LEN);
		FUZZ_CHECK(memcmp(out, "TL-", 3) == 0 && out[7] == '-');
		for (i = 3; i < TL_REF_LEN; i++)
			FUZZ_CHECK(i == 7 || strchr(alphabet, out[i]) != NULL);
		FUZZ_CHECK(tl_ref_parse(out, again) == TL_OK);
		FUZZ_CHECK(strcmp(out, again) == 0);
	}
	free(out);
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size == 0)
		return 0;
	s = fuzz_strndup(data + 1, size - 1);
	postcode(s, data[0] % 17);
	phone(data + 1, size - 1);
	ref(s);
	free(s);
	return 0;
}
