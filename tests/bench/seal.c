/*
 * seal.c (bench) — the CPU cost of sealing a typical tip, and of opening
 * it, with seal.c (SPEC 11: at most 100 µs of CPU a tip). Seals N tips
 * (default 2000) to a fresh staff key, then opens each, timing both with
 * the process's CPU clock; prints one line for each and a last line of
 * JSON for tests/bench/run.
 *
 *	seal [N]
 *
 * Exits 0, 1 if a tip does not seal or open, 2 on usage. Test code only.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "seal_staff.h"

/* A typical tip: every written field, a few hundred bytes in all. */
static const struct tl_seal_field fields[] = {
	{ "description", "Two lads have been dealing from the flat above the "
	    "bookies on Mill Lane since about March. A younger one, maybe 14, "
	    "runs bags to the station most evenings and the old man who "
	    "lives there has not been seen for weeks." },
	{ "location", "12 Mill Lane, the flat above the bookmakers" },
	{ "postcode", "LS11 5AB" },
	{ "times", "Most nights from 10pm to 2am, busiest on Fridays" },
	{ "people", "Older one called T, about 25, thin, grey tracksuit; a "
	    "boy of about 14 on a black bike" },
	{ "vehicles", "Black VW Golf, part plate YX19" },
	{ "phones", "07700 900123" },
	{ "reporter", "neighbour" },
	{ "how_known", "seen_it" },
};

static const struct tl_seal_column cols[] = {
	{ "priority", "urgent" },
	{ "concerns", "[\"cuckooing\",\"child_exploitation\"]" },
	{ "when", "ongoing" },
	{ "area", "LS11" },
	{ "child_at_risk", "yes" },
	{ "weapons_seen", "unsure" },
	{ "vulnerable_adult", "yes" },
	{ "has_people", "2" },
	{ "has_vehicles", "1" },
	{ "has_phones", "1" },
};

#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

static double
cpu_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int
main(int argc, char *argv[])
{
	struct tl_seal_ad	 ad = { "K7QF-2M9X", 1764300000, cols,
				    sizeof(cols) / sizeof(cols[0]), NULL,
				    NULL, NULL };
	struct tl_seal_secret	*sk;
	struct tl_seal_opened	*o;
	uint8_t			 pk[TL_SEAL_KEYBYTES], **blobs;
	size_t			*lens;
	long			 n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
	long			 i;
	double			 t0, seal_us, open_us, derive_ms;
	uint8_t			 salt[TL_SEAL_SALTBYTES], spk[TL_SEAL_KEYBYTES];
	struct tl_seal_secret	*ssk;
	long			 nd = n < 40 ? n : 40;
	char			 err[200];

	if (argc > 2 || n < 1 || n > 1000000) {
		fprintf(stderr, "usage: seal [N]\n");
		return 2;
	}
	blobs = calloc((size_t)n, sizeof(*blobs));
	lens = calloc((size_t)n, sizeof(*lens));
	if (sodium_init() < 0 || blobs == NULL || lens == NULL ||
	    tl_seal_keypair(NULL, pk, &sk) != TL_OK)
		return 1;
	t0 = cpu_us();
	for (i = 0; i < n; i++)
		if (tl_seal_seal(pk, &ad, fields, NFIELDS, &blobs[i], &lens[i],
		    err, sizeof(err)) != TL_OK) {
			fprintf(stderr, "seal: %s\n", err);
			return 1;
		}
	seal_us = (cpu_us() - t0) / (double)n;
	t0 = cpu_us();
	for (i = 0; i < n; i++) {
		if (tl_seal_open(sk, &ad, blobs[i], lens[i], &o, NULL, err,
		    sizeof(err)) != TL_OK) {
			fprintf(stderr, "open: %s\n", err);
			return 1;
		}
		tl_seal_opened_free(o);
	}
	open_us = (cpu_us() - t0) / (double)n;
	/* A sender's key from a follow-up code (SPEC 13: Argon2id, 19 MiB,
	 * 2 passes): what each new tip with a code and each follow-up
	 * attempt costs, and each guess of someone holding a copy of the
	 * store. */
	tl_seal_salt_new(salt);
	t0 = cpu_us();
	for (i = 0; i < nd; i++) {
		if (tl_seal_sender_keypair("4921057388162044", salt, spk, &ssk)
		    != TL_OK) {
			fprintf(stderr, "derive: failed\n");
			return 1;
		}
		tl_seal_secret_free(ssk);
	}
	derive_ms = (cpu_us() - t0) / (double)nd / 1000.0;
	printf("seal: %.1f us of CPU a tip (%ld tips, %zu-byte blobs)\n",
	    seal_us, n, lens[0]);
	printf("open: %.1f us of CPU a tip\n", open_us);
	printf("derive: %.1f ms of CPU a follow-up key (%ld keys)\n",
	    derive_ms, nd);
	printf("{\"seal_us\": %.1f, \"open_us\": %.1f, \"blob_bytes\": %zu,"
	    " \"derive_ms\": %.2f}\n", seal_us, open_us, lens[0], derive_ms);
	for (i = 0; i < n; i++)
		free(blobs[i]);
	free(blobs);
	free(lens);
	tl_seal_secret_free(sk);
	return 0;
}
