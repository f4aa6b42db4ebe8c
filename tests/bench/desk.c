/*
 * desk.c — the desk's store at scale (SPEC 12: with 1,000,000 tips the
 * queue, a tip page and a search each answer in at most 50 ms at p99;
 * ingest at least 2,000 tips a second).
 *
 *	desk DIR N [RUNS]
 *
 * Ingests N synthetic tips (random words, a phone number from a pool of
 * N/200 so that tips link, one tip in ten urgent) into DIR/staff.db in
 * batches of 1,000, each its own fsynced transaction, timing it; then
 * times RUNS (default 200) of each: the queue's first page, a filtered
 * queue page, a tip as the tip page reads it (random ref), a full-text
 * search for a common and a rare word, and a search for a phone number.
 * Prints one JSON object: "tips", "ingest_tips_per_s" (null when nothing
 * was ingested) and, for each read, p50 and p99 in milliseconds (what
 * tests/bench/run reads). An existing DIR/staff.db is reused: only the
 * tips it lacks are ingested.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "desk_store.h"

#define BATCH	1000

static const char *const words[] = { "van", "car", "flat", "lad", "knife",
	"school", "park", "shop", "bus", "station", "deal", "line", "cash",
	"bag", "night", "morning", "garage", "estate", "block", "stairs",
	"bike", "phone", "girl", "boy", "man", "woman", "old", "young",
	"door", "window", "street", "corner", "lane", "road", "alley" };
#define NWORDS	(sizeof(words) / sizeof(words[0]))

static double
now_ms(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A synthetic validated-looking report for tip i. */
static void
fill(struct tl_report *r, size_t i, size_t n, char *desc, size_t dlen,
    char *phone)
{
	size_t	 k, off = 0;

	memset(r, 0, sizeof(*r));
	for (k = 0; k < 30 && off + 16 < dlen; k++)
		off += (size_t)snprintf(desc + off, dlen - off, "%s ",
		    words[(unsigned)rand() % NWORDS]);
	snprintf(desc + off, dlen - off, "word%zu", i);
	snprintf(phone, 32, "+447700%06zu", (size_t)rand() % (n / 200 + 1));
	r->value[TL_F_CONCERNS] = (char *)"dealing";
	r->value[TL_F_DESCRIPTION] = desc;
	r->value[TL_F_LOCATION] = (char *)"Somewhere in town";
	r->value[TL_F_PHONES] = phone;
	r->phones[0] = phone;
	r->nphones = 1;
	r->priority = i % 10 == 0 ? TL_PRIO_URGENT : TL_PRIO_NORMAL;
}

/* Ingests tips from..n; returns the rate in tips a second. */
static double
ingest(struct tl_desk_store *d, size_t from, size_t n)
{
	static struct tl_report	 r[BATCH];
	static struct tl_desk_in in[BATCH];
	static const struct tl_desk_in *p[BATCH];
	static char		 desc[BATCH][400], phone[BATCH][16],
				 ref[BATCH][40];
	size_t			 i, k, added;
	double			 t0 = now_ms(), rate;

	for (i = from; i < n; i += BATCH) {
		for (k = 0; k < BATCH && i + k < n; k++) {
			fill(&r[k], i + k, n, desc[k], sizeof(desc[k]),
			    phone[k]);
			snprintf(ref[k], sizeof(ref[k]), "TL-%04zu-%04zu",
			    (i + k) / 10000, (i + k) % 10000);
			in[k] = (struct tl_desk_in){ (int64_t)(i + k + 1),
			    ref[k], (int64_t)(1700000000 + i + k),
			    r[k].priority, "SO14", &r[k], NULL, "bench", NULL, NULL };
			p[k] = &in[k];
		}
		if (tl_desk_ingest(d, p, k, (int64_t)(i + k),
		    (int64_t)time(NULL), &added) != TL_OK) {
			fprintf(stderr, "ingest: %s\n",
			    tl_desk_store_errmsg(d));
			exit(1);
		}
	}
	rate = (double)(n - from) / ((now_ms() - t0) / 1e3);
	fprintf(stderr, "ingest: %zu tips in %.1f s: %.0f tips/s\n",
	    n - from, (now_ms() - t0) / 1e3, rate);
	return rate;
}

/* Runs op runs times; prints "name": {p50, p99}. */
static void
timed(const char *name, int runs, size_t n, struct tl_desk_store *d,
    int op, int *first)
{
	struct tl_desk_filter	 f = { 0 };
	double			*t = calloc((size_t)runs, sizeof(*t)), t0;
	char			 ref[40];
	json_t			*j;
	size_t			 i;
	int			 more;

	for (i = 0; i < (size_t)runs; i++) {
		size_t k = (size_t)rand() % n;

		snprintf(ref, sizeof(ref), "TL-%04zu-%04zu", k / 10000,
		    k % 10000);
		t0 = now_ms();
		j = NULL;
		switch (op) {
		case 0: tl_desk_queue(d, &f, &j, &more); break;
		case 1: f.priority = "normal"; f.state = "new";
			tl_desk_queue(d, &f, &j, &more); break;
		case 2: tl_desk_tip(d, ref, &j); break;
		case 3: tl_desk_search(d, "van knife", &j); break;
		case 4: snprintf(ref, sizeof(ref), "word%zu", k);
			tl_desk_search(d, ref, &j); break;
		default: tl_desk_search(d, "07700 900123", &j); break;
		}
		t[i] = now_ms() - t0;
		json_decref(j);
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp);
	printf("%s\"%s\": {\"p50\": %.2f, \"p99\": %.2f}", *first ? "" :
	    ", ", name, t[runs / 2], t[runs * 99 / 100]);
	*first = 0;
	free(t);
}

int
main(int argc, char *argv[])
{
	static const char *const names[] = { "queue", "queue_filtered",
	    "tip", "search_common", "search_rare", "search_phone" };
	struct tl_desk_store	*d;
	char			 path[4096], err[512];
	size_t			 n;
	int64_t			 cur;
	int			 runs, op, first = 1;
	double			 rate = -1;

	if (argc < 3) {
		fprintf(stderr, "usage: desk DIR N [RUNS]\n");
		return 2;
	}
	n = (size_t)strtoul(argv[2], NULL, 10);
	runs = argc > 3 ? atoi(argv[3]) : 200;
	if (n < 1000 || runs < 1)
		return 2;
	snprintf(path, sizeof(path), "%s/staff.db", argv[1]);
	if (tl_desk_store_open(path, &d, err, sizeof(err)) != TL_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	srand(1);
	if (tl_desk_cursor(d, &cur) != TL_OK)
		return 1;
	if ((size_t)cur < n)
		rate = ingest(d, (size_t)cur, n);
	printf("{\"tips\": %zu, ", n);
	if (rate < 0)
		printf("\"ingest_tips_per_s\": null, ");
	else
		printf("\"ingest_tips_per_s\": %.0f, ", rate);
	for (op = 0; op < 6; op++)
		timed(names[op], runs, n, d, op, &first);
	printf("}\n");
	tl_desk_store_close(d);
	return 0;
}
