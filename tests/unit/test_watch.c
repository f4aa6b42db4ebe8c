/*
 * test_watch.c — SPEC 15 in the store: the notifier's heartbeat, the
 * oldest pending delivery by priority, dead deliveries and their
 * acknowledgement (lib/watch.c), floods folded into digests
 * (lib/digest.c) and what the lease then hands out (lib/outbox.c), the
 * and the digest's body (lib/webhook.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "digest.h"
#include "fixture.h"
#include "outbox.h"
#include "store.h"
#include "watch.h"
#include "webhook.h"

#define T0	1800000000

struct fx {
	char		 dir[64];
	char		 path[128];
	struct tl_store	*s;
	struct tl_report r;
};

static void
fill(struct tl_report *r, int urgent)
{
	report_clear(r);
	r->value[TL_F_CONCERNS] = strdup("dealing");
	r->concerns = 1;
	r->value[TL_F_DESCRIPTION] = strdup("A description long enough.");
	r->value[TL_F_LOCATION] = strdup("Somewhere");
	r->priority = urgent ? TL_PRIO_URGENT : TL_PRIO_NORMAL;
}

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));
	char		 err[256];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/tl-watch-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/tipline.db", f->dir);
	if (tl_store_open(f->path, &f->s, err, sizeof(err)) != TL_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	tl_store_close(f->s);
	report_clear(&f->r);
	rmtree(f->dir);
	free(f);
	return 0;
}

/* Adds a tip received (and due) at t. */
static void
add(struct fx *f, int urgent, int64_t t, char ref[TL_REF_SIZE])
{
	struct tl_submit sub;
	char		 sql[128];

	fill(&f->r, urgent);
	memset(&sub, 0, sizeof(sub));
	sub.report = &f->r;
	sub.received_at = t;
	fx_seal(&sub);
	assert_int_equal(tl_store_add(f->s, &sub, ref), TL_OK);
	/* The store stamps deliveries with the time of the commit. */
	snprintf(sql, sizeof(sql), "UPDATE deliveries SET created_at = %lld,"
	    " next_at = %lld WHERE id = (SELECT max(id) FROM deliveries)",
	    (long long)t, (long long)t);
	q_exec(f->path, sql);
}

static void
test_heartbeat(void **state)
{
	struct fx	*f = *state;
	struct tl_watch	 w;

	assert_int_equal(tl_watch_read(f->s, T0, &w), TL_OK);
	assert_int_equal(w.heartbeat_age, -1);	/* never */
	assert_int_equal(tl_watch_beat(f->s, T0), TL_OK);
	assert_int_equal(tl_watch_beat(f->s, T0 + 5), TL_OK);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM heartbeats"), 1);
	assert_int_equal(tl_watch_read(f->s, T0 + 75, &w), TL_OK);
	assert_int_equal(w.heartbeat_age, 70);
}

static void
test_oldest_and_dead(void **state)
{
	struct fx	*f = *state;
	struct tl_watch	 w;
	char		 a[TL_REF_SIZE], b[TL_REF_SIZE], c[TL_REF_SIZE];
	int64_t		 n;

	add(f, 1, T0, a);
	add(f, 0, T0 + 10, b);
	add(f, 0, T0 + 20, c);
	assert_int_equal(tl_watch_read(f->s, T0 + 100, &w), TL_OK);
	assert_int_equal(w.oldest_pending[TL_PRIO_URGENT], 100);
	assert_int_equal(w.oldest_pending[TL_PRIO_NORMAL], 90);
	assert_int_equal(w.dead_unacked, 0);
	q_exec(f->path, "UPDATE deliveries SET state = 'dead'"
	    " WHERE urgent = 0");
	assert_int_equal(tl_watch_read(f->s, T0 + 100, &w), TL_OK);
	assert_int_equal(w.oldest_pending[TL_PRIO_NORMAL], 0);
	assert_int_equal(w.dead_unacked, 2);
	/* By ref: that tip's only; an unknown ref is not found. */
	assert_int_equal(tl_watch_ack(f->s, b, NULL, T0, &n), TL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(tl_watch_ack(f->s, "TL-0000-0000", NULL, T0, &n),
	    TL_ENOTFOUND);
	assert_int_equal(tl_watch_read(f->s, T0 + 100, &w), TL_OK);
	assert_int_equal(w.dead_unacked, 1);
	/* All of them. */
	assert_int_equal(tl_watch_ack(f->s, NULL, NULL, T0, &n), TL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(tl_watch_read(f->s, T0 + 100, &w), TL_OK);
	assert_int_equal(w.dead_unacked, 0);
}

/* Leases everything due at now; returns how many, digests in *dig. */
static size_t
lease_all(struct fx *f, int64_t now, size_t *dig, size_t *refs)
{
	struct tl_delivery	 d[64];
	size_t			 n, i, total = 0;

	*dig = *refs = 0;
	do {
		assert_int_equal(tl_outbox_lease(f->s, now, now + 30, 0, "t", d,
		    64, &n), TL_OK);
		for (i = 0; i < n; i++) {
			if (d[i].digest != NULL) {
				(*dig)++;
				*refs += d[i].digest->count;
			}
			assert_int_equal(tl_outbox_finish(f->s, d[i].id, "t",
			    TL_DELIVERED, now, 200, NULL, now), TL_OK);
			tl_delivery_free(&d[i]);
		}
		total += n;
	} while (n == 64);
	return total;
}

static void
test_digest_folds_beyond_threshold(void **state)
{
	struct fx	*f = *state;
	char		 ref[TL_REF_SIZE];
	size_t		 folded, dig, refs, n;
	int		 i;

	for (i = 0; i < 250; i++)
		add(f, i % 50 == 0, T0 + i / 100, ref);	/* 5 urgent */
	assert_int_equal(tl_digest_fold(f->s, T0 + 3, 30, &folded), TL_OK);
	assert_int_equal(folded, 245 - 30);
	/* Digests wait TL_DIGEST_HOLD: now only the 35 one by one. */
	n = lease_all(f, T0 + 3, &dig, &refs);
	assert_int_equal(n, 35);
	assert_int_equal(dig, 0);
	/* Later tips of the window join the open digest (not a new one). */
	add(f, 0, T0 + 4, ref);
	assert_int_equal(tl_digest_fold(f->s, T0 + 4, 30, &folded), TL_OK);
	assert_int_equal(folded, 1);
	n = lease_all(f, T0 + 3 + TL_DIGEST_HOLD, &dig, &refs);
	assert_int_equal(dig, 3);		/* 216 refs: 100, 100, 16 */
	assert_int_equal(refs, 216);
	assert_int_equal(n, 3);
	/* The folded tips share their digest's outcome. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"
	    " WHERE state <> 'delivered'"), 0);
}

static void
test_digest_off_and_urgent(void **state)
{
	struct fx	*f = *state;
	char		 ref[TL_REF_SIZE];
	size_t		 folded;
	int		 i;

	for (i = 0; i < 40; i++)
		add(f, i < 20, T0, ref);
	assert_int_equal(tl_digest_fold(f->s, T0, 0, &folded), TL_OK);
	assert_int_equal(folded, 0);
	/* 20 normal tips: under 30, none folded; urgent never. */
	assert_int_equal(tl_digest_fold(f->s, T0, 30, &folded), TL_OK);
	assert_int_equal(folded, 0);
	assert_int_equal(tl_digest_fold(f->s, T0, 5, &folded), TL_OK);
	assert_int_equal(folded, 15);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"
	    " WHERE urgent = 1 AND digest_id IS NOT NULL"), 0);
}

static void
test_digest_dead_and_ack(void **state)
{
	struct fx		*f = *state;
	struct tl_delivery	 d[4];
	struct tl_watch		 w;
	char			 ref[TL_REF_SIZE], whid[64];
	size_t			 folded, n;
	int64_t			 k;
	int			 i;

	for (i = 0; i < 5; i++)
		add(f, 0, T0, ref);
	assert_int_equal(tl_digest_fold(f->s, T0, 2, &folded), TL_OK);
	assert_int_equal(folded, 3);
	q_exec(f->path, "UPDATE deliveries SET state = 'delivered'"
	    " WHERE digest_id IS NULL AND tip_id IS NOT NULL");
	assert_int_equal(tl_outbox_lease(f->s, T0 + 60, T0 + 90, 0, "t", d, 4,
	    &n), TL_OK);
	assert_int_equal(n, 1);
	assert_non_null(d[0].digest);
	snprintf(whid, sizeof(whid), "%s", d[0].webhook_id);
	assert_int_equal(tl_outbox_finish(f->s, d[0].id, "t", TL_DEAD,
	    T0 + 60, 500, "HTTP 500", T0 + 60), TL_OK);
	tl_delivery_free(&d[0]);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM deliveries"
	    " WHERE state = 'dead'"), 4);
	assert_int_equal(tl_watch_read(f->s, T0 + 60, &w), TL_OK);
	assert_int_equal(w.dead_unacked, 1);	/* the digest, once */
	assert_int_equal(tl_watch_ack(f->s, NULL, whid, T0, &k), TL_OK);
	assert_int_equal(k, 4);
	assert_int_equal(tl_watch_read(f->s, T0 + 60, &w), TL_OK);
	assert_int_equal(w.dead_unacked, 0);
}

static void
test_digest_body(void **state)
{
	struct tl_digest	 d;
	json_t			*j, *data;
	char			*s;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.count = 2;
	snprintf(d.refs[0], TL_REF_SIZE, "TL-AAAA-AAAA");
	snprintf(d.refs[1], TL_REF_SIZE, "TL-BBBB-BBBB");
	d.from = T0;
	d.to = T0 + 60;
	assert_non_null(s = tl_webhook_digest_body(&d, TL_WEBHOOK_STANDARD,
	    "https://desk.example/staff", T0 + 61));
	assert_non_null(j = json_loads(s, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	    "tips.digest");
	data = json_object_get(j, "data");
	assert_int_equal(json_integer_value(json_object_get(data, "count")),
	    2);
	assert_int_equal(json_array_size(json_object_get(data, "refs")), 2);
	assert_string_equal(json_string_value(json_object_get(data, "from")),
	    "2027-01-15T08:00:00Z");
	assert_string_equal(json_string_value(json_object_get(data, "link")),
	    "https://desk.example/staff/");
	json_decref(j);
	free(s);
	assert_non_null(s = tl_webhook_digest_body(&d, TL_WEBHOOK_SLACK,
	    NULL, T0));
	assert_non_null(strstr(s, "TL-AAAA-AAAA, TL-BBBB-BBBB"));
	assert_null(strstr(s, "\\n"));		/* one line */
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_heartbeat, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_oldest_and_dead, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_digest_folds_beyond_threshold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest_off_and_urgent,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest_dead_and_ack,
		    setup, teardown),
		cmocka_unit_test(test_digest_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
