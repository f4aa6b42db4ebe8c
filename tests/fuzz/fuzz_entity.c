/*
 * fuzz_entity.c — entity extraction (lib/entity.c) over any text, and
 * tl_entity_guess() and tl_entity_normalise() over the same bytes as a
 * search or a URL would give them.
 *
 * Oracles: every value found is shorter than TL_ENTITY_MAX, of a known
 * kind, and is its own normal form (normalising it again gives it back:
 * the desk's links and searches rely on one form per value); a guess is
 * such a value too.
 */
#include "fuzz.h"
#include "entity.h"

static void
check_value(enum tl_entity_kind kind, const char *value)
{
	char	 again[TL_ENTITY_MAX];

	FUZZ_CHECK((unsigned)kind < TL_ENT__MAX);
	FUZZ_CHECK(strlen(value) < TL_ENTITY_MAX);
	FUZZ_CHECK(tl_entity_normalise(kind, value, again) == TL_OK);
	FUZZ_CHECK(strcmp(again, value) == 0);
}

static int
found(void *arg, enum tl_entity_kind kind, const char *value)
{
	(*(size_t *)arg)++;
	check_value(kind, value);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s = fuzz_strndup(data, size);
	char	 out[TL_ENTITY_MAX];
	size_t	 n = 0;
	int	 k;

	tl_entity_extract(s, found, &n);
	FUZZ_CHECK(n <= size);
	if ((k = tl_entity_guess(s, out)) >= 0)
		check_value((enum tl_entity_kind)k, out);
	for (k = 0; k < TL_ENT__MAX; k++)
		if (tl_entity_normalise((enum tl_entity_kind)k, s, out) == TL_OK)
			check_value((enum tl_entity_kind)k, out);
	free(s);
	return 0;
}
