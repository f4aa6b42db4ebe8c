/*
 * fuzz.h — what every fuzz target in tests/fuzz/ shares: the libFuzzer
 * entry points (declared here so that -Wmissing-prototypes holds) and a
 * few checks. Each target is one fuzz_*.c file; it builds either with
 * clang's libFuzzer (make fuzz) or with replay.c's main() under gcc's
 * ASan and UBSan (make fuzz-replay).
 */
#ifndef TL_FUZZ_H
#define TL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A failed oracle: say which and where, then abort so that libFuzzer
 * (or replay) keeps the input. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* A NUL-terminated heap copy of data[0..size) (exact size, so ASan sees
 * any read past the end). Aborts out of memory. */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char	*s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Does s[0..n) contain needle (lower case), ignoring ASCII case? */
static inline int
fuzz_contains_ci(const char *s, size_t n, const char *needle)
{
	size_t	 k = strlen(needle), i, j;
	char	 a;

	for (i = 0; k <= n && i <= n - k; i++) {
		for (j = 0; j < k; j++) {
			a = s[i + j];
			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (a != needle[j])
				break;
		}
		if (j == k)
			return 1;
	}
	return 0;
}

#endif
