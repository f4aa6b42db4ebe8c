/*
 * fuzz_rnd.h — a deterministic random source for libsodium (xorshift64*)
 * for the targets that draw random bytes (keys, nonces, references) and
 * whose findings must still replay: fuzz_rnd_install() before
 * sodium_init(), fuzz_rnd_reset() before each input. For one file of a
 * target: its definitions are static.
 */
#ifndef TL_FUZZ_RND_H
#define TL_FUZZ_RND_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

static uint64_t fuzz_rnd_state;

static uint32_t
fuzz_rnd_random(void)
{
	fuzz_rnd_state ^= fuzz_rnd_state >> 12;
	fuzz_rnd_state ^= fuzz_rnd_state << 25;
	fuzz_rnd_state ^= fuzz_rnd_state >> 27;
	return (uint32_t)((fuzz_rnd_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static void
fuzz_rnd_buf(void *const buf, const size_t size)
{
	unsigned char	*p = buf;
	size_t		 i;

	for (i = 0; i < size; i++)
		p[i] = (unsigned char)fuzz_rnd_random();
}

static const char *
fuzz_rnd_name(void)
{
	return "fuzz";
}

static randombytes_implementation fuzz_rnd_impl = {
	fuzz_rnd_name, fuzz_rnd_random, NULL, NULL, fuzz_rnd_buf, NULL
};

/* Makes libsodium draw from this source: 0, or -1. */
static int
fuzz_rnd_install(void)
{
	return randombytes_set_implementation(&fuzz_rnd_impl);
}

/* The same sequence again, for the next input. */
static void
fuzz_rnd_reset(void)
{
	fuzz_rnd_state = 0x9e3779b97f4a7c15ULL;
}

#endif
