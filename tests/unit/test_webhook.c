/*
 * test_webhook.c — Standard Webhooks signatures (the specification's own
 * vector), summary payloads in both formats, and the retry rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "retry.h"
#include "secret.h"
#include "webhook.h"

static void
test_vector(void **state)
{
	uint8_t	 key[TL_SECRET_MAX];
	size_t	 n;
	char	 err[128], sig[TL_SIG_SIZE];
	const char *body = "{\"test\": 2432232314}";

	(void)state;
	assert_int_equal(tl_secret_parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La"
	    "LaSw", key, &n, err, sizeof(err)), TL_OK);
	tl_webhook_sign(key, n, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
	    body, strlen(body), sig);
	assert_string_equal(sig,
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* Any change to id, time or body changes it. */
	tl_webhook_sign(key, n, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331,
	    body, strlen(body), sig);
	assert_string_not_equal(sig,
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

/* A tip with the fields a summary reads. */
static void
make_tip(struct tl_tip *t, const char *desc)
{
	memset(t, 0, sizeof(*t));
	tl_report_init(&t->report);
	memcpy(t->ref, "TL-7K3M-9QXD", TL_REF_SIZE);
	t->received_at = 1795838706;		/* 2026-11-28T04:05:06Z */
	t->report.priority = TL_PRIO_URGENT;
	t->report.concerns = 1u << 1 | 1u << 2;	/* cuckooing, child_expl. */
	t->report.value[TL_F_DESCRIPTION] = strdup(desc);
	t->report.value[TL_F_WHEN] = strdup("this_week");
	t->report.value[TL_F_POSTCODE] = strdup("SO14 3JJ");
	t->report.value[TL_F_CHILD_AT_RISK] = strdup("yes");
	t->report.value[TL_F_VULNERABLE_ADULT] = strdup("unsure");
	t->report.value[TL_F_PEOPLE] = strdup("a tall man");
	t->report.phones[0] = strdup("+447700900123");
	t->report.phones[1] = strdup("+447700900456");
	t->report.nphones = 2;
	/* The plaintext columns the notifier reads (the fields above are
	 * sealed in a stored tip; summaries never need them). */
	memcpy(t->area, "SO14", 5);
	t->has_people = 1;
	t->nphones = 2;
}

static void
test_standard(void **state)
{
	struct tl_tip	 t;
	json_t		*j, *d;
	char		*s;

	(void)state;
	make_tip(&t, "Men <b>selling</b> at number 12 every night");
	s = tl_webhook_body(&t, TL_WEBHOOK_STANDARD, 0, 1795838707);
	assert_non_null(s);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	    "tip.received");
	assert_string_equal(json_string_value(json_object_get(j,
	    "timestamp")), "2026-11-28T04:05:07Z");
	d = json_object_get(j, "data");
	assert_string_equal(json_string_value(json_object_get(d, "ref")),
	    "TL-7K3M-9QXD");
	assert_string_equal(json_string_value(json_object_get(d,
	    "received_at")), "2026-11-28T04:05:06Z");
	assert_string_equal(json_string_value(json_object_get(d, "priority")),
	    "urgent");
	assert_int_equal(json_array_size(json_object_get(d, "concerns")), 2);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(d, "concerns"), 1)), "child_exploitation");
	assert_string_equal(json_string_value(json_object_get(d, "when")),
	    "this_week");
	assert_string_equal(json_string_value(json_object_get(d, "area")),
	    "SO14");
	assert_true(json_is_null(json_object_get(d, "weapons_seen")));
	assert_true(json_is_true(json_object_get(json_object_get(d, "has"),
	    "people")));
	assert_true(json_is_false(json_object_get(json_object_get(d, "has"),
	    "vehicles")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    d, "has"), "phones")), 2);
	assert_null(json_object_get(d, "excerpt"));	/* default: none */
	assert_null(strstr(s, "selling"));		/* no content leaks */
	assert_null(strstr(s, "tall"));
	assert_null(strstr(s, "7700"));
	json_decref(j);
	free(s);
	tl_report_free(&t.report);
}

static void
test_excerpt_multibyte(void **state)
{
	struct tl_tip	 t;
	json_t		*j;
	char		*s;

	(void)state;
	/* "Café" then emoji: 6 characters end inside the second word, so
	 * the excerpt ends after the first, with "…" (SPEC 14). */
	make_tip(&t, "Caf\xc3\xa9 \xf0\x9f\x98\x80\xf0\x9f\x98\x80 and more");
	s = tl_webhook_body(&t, TL_WEBHOOK_STANDARD, 6, 0);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(j, "data"), "excerpt")),
	    "Caf\xc3\xa9\xe2\x80\xa6");
	json_decref(j);
	free(s);
	tl_report_free(&t.report);
}

/* An excerpt is cut at a word boundary and ends with "…"; a description
 * that fits is whole; one word longer than the limit is cut inside it. */
static void
test_excerpt_words(void **state)
{
	static const struct {
		const char	*desc;
		long		 n;
		const char	*want;
	} cases[] = {
		{ "Men selling drugs outside", 14, "Men selling\xe2\x80\xa6" },
		{ "Men selling drugs outside", 12, "Men selling\xe2\x80\xa6" },
		{ "Men selling drugs outside", 11, "Men selling\xe2\x80\xa6" },
		{ "Men selling drugs outside", 25, "Men selling drugs outside" },
		{ "Men selling drugs outside", 99, "Men selling drugs outside" },
		{ "Men  \n selling", 6, "Men\xe2\x80\xa6" },
		{ "Supercalifragilistic", 5, "Super\xe2\x80\xa6" },
	};
	struct tl_tip	 t;
	json_t		*j;
	char		*s;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_tip(&t, cases[i].desc);
		s = tl_webhook_body(&t, TL_WEBHOOK_STANDARD, cases[i].n, 0);
		assert_non_null(j = json_loads(s, 0, NULL));
		assert_string_equal(json_string_value(json_object_get(
		    json_object_get(j, "data"), "excerpt")), cases[i].want);
		json_decref(j);
		free(s);
		tl_report_free(&t.report);
	}
}

/* urgent_because names why; reporter and how_known never leave. */
static void
test_urgent_because(void **state)
{
	struct tl_tip	 t;
	json_t		*j, *a;
	char		*s;

	(void)state;
	make_tip(&t, "Men selling drugs outside the school");
	t.report.value[TL_F_WEAPONS_SEEN] = strdup("yes");
	t.report.value[TL_F_REPORTER] = strdup("young_person");
	t.report.value[TL_F_HOW_KNOWN] = strdup("told");
	t.report.value[TL_F_HANDLES] = strdup("@secret_handle");
	t.report.value[TL_F_OTHER_ADDRESSES] = strdup("9 Hidden Road");
	s = tl_webhook_body(&t, TL_WEBHOOK_STANDARD, 0, 0);
	assert_non_null(j = json_loads(s, 0, NULL));
	a = json_object_get(json_object_get(j, "data"), "urgent_because");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 0)),
	    "child_at_risk");
	assert_string_equal(json_string_value(json_array_get(a, 1)),
	    "weapons_seen");
	json_decref(j);
	assert_null(strstr(s, "young"));
	assert_null(strstr(s, "told"));
	assert_null(strstr(s, "reporter"));
	assert_null(strstr(s, "how_known"));
	assert_null(strstr(s, "secret_handle"));
	assert_null(strstr(s, "Hidden"));
	free(s);
	s = tl_webhook_body(&t, TL_WEBHOOK_SLACK, 0, 0);
	assert_string_equal(s, "{\"text\":\"URGENT (child at risk, weapons) "
	    "tip TL-7K3M-9QXD: cuckooing, child exploitation \xe2\x80\x94 "
	    "SO14 \xe2\x80\x94 this week\"}");
	assert_null(strstr(s, "young"));
	free(s);
	/* Happening now, alone. */
	free(t.report.value[TL_F_WEAPONS_SEEN]);
	free(t.report.value[TL_F_CHILD_AT_RISK]);
	free(t.report.value[TL_F_WHEN]);
	t.report.value[TL_F_WEAPONS_SEEN] = NULL;
	t.report.value[TL_F_CHILD_AT_RISK] = NULL;
	t.report.value[TL_F_WHEN] = strdup("now");
	s = tl_webhook_body(&t, TL_WEBHOOK_SLACK, 0, 0);
	assert_non_null(strstr(s, "\"URGENT (happening now) tip TL-7K3M-9QXD:"));
	free(s);
	/* Normal: an empty list. */
	t.report.priority = TL_PRIO_NORMAL;
	free(t.report.value[TL_F_WHEN]);
	t.report.value[TL_F_WHEN] = NULL;
	s = tl_webhook_body(&t, TL_WEBHOOK_STANDARD, 0, 0);
	assert_non_null(strstr(s, "\"urgent_because\":[]"));
	free(s);
	tl_report_free(&t.report);
}

static void
test_slack(void **state)
{
	struct tl_tip	 t;
	json_t		*j;
	char		*s;

	(void)state;
	make_tip(&t, "<!channel> & <@U123> dealing from the flat");
	s = tl_webhook_body(&t, TL_WEBHOOK_SLACK, 200, 0);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "text")),
	    "URGENT (child at risk) tip TL-7K3M-9QXD: cuckooing, child "
	    "exploitation "
	    "\xe2\x80\x94 SO14 \xe2\x80\x94 this week\n"
	    "&lt;!channel&gt; &amp; &lt;@U123&gt; dealing from the flat");
	json_decref(j);
	free(s);
	/* Normal priority, no area, no when, no excerpt. */
	t.report.priority = TL_PRIO_NORMAL;
	free(t.report.value[TL_F_POSTCODE]);
	free(t.report.value[TL_F_WHEN]);
	t.report.value[TL_F_POSTCODE] = t.report.value[TL_F_WHEN] = NULL;
	t.area[0] = '\0';
	t.report.concerns = 1;
	s = tl_webhook_body(&t, TL_WEBHOOK_SLACK, 0, 0);
	assert_string_equal(s, "{\"text\":\"Tip TL-7K3M-9QXD: dealing\"}");
	free(s);
	tl_report_free(&t.report);
}

/* tip.updated (SPEC 13): ref, priority, updated_at and link; nothing a
 * person wrote, in either format. */
static void
test_updated(void **state)
{
	struct tl_tip	 t;
	json_t		*j, *data;
	char		*s;

	(void)state;
	make_tip(&t, "UPDWORD dealing from the flat");
	s = tl_webhook_updated_body(&t, TL_WEBHOOK_STANDARD,
	    "https://desk.example/staff", 1795838706 + 60, 1795838706 + 61);
	assert_non_null(s);
	assert_null(strstr(s, "UPDWORD"));
	assert_null(strstr(s, "SO14"));
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	    "tip.updated");
	assert_string_equal(json_string_value(json_object_get(j,
	    "timestamp")), "2026-11-28T04:06:07Z");
	data = json_object_get(j, "data");
	assert_int_equal(json_object_size(data), 4);
	assert_string_equal(json_string_value(json_object_get(data, "ref")),
	    "TL-7K3M-9QXD");
	assert_string_equal(json_string_value(json_object_get(data,
	    "priority")), "urgent");
	assert_string_equal(json_string_value(json_object_get(data,
	    "updated_at")), "2026-11-28T04:06:06Z");
	assert_string_equal(json_string_value(json_object_get(data, "link")),
	    "https://desk.example/staff/tips/TL-7K3M-9QXD");
	json_decref(j);
	free(s);
	/* Without staff_url: no link. */
	s = tl_webhook_updated_body(&t, TL_WEBHOOK_STANDARD, NULL, 1795838706,
	    1795838706);
	assert_non_null(s);
	assert_null(strstr(s, "\"link\""));
	free(s);
	/* Slack: one line naming the ref. */
	s = tl_webhook_updated_body(&t, TL_WEBHOOK_SLACK, NULL, 1795838706,
	    1795838706);
	assert_string_equal(s, "{\"text\":\"UPDATED: urgent tip TL-7K3M-9QXD "
	    "has new information from the sender (2026-11-28T04:05:06Z)\"}");
	free(s);
	t.report.priority = TL_PRIO_NORMAL;
	s = tl_webhook_updated_body(&t, TL_WEBHOOK_SLACK, NULL, 1795838706,
	    1795838706);
	assert_non_null(strstr(s, "UPDATED: tip TL-7K3M-9QXD has"));
	assert_null(strstr(s, "UPDWORD"));
	free(s);
	tl_report_free(&t.report);
}

static void
test_retry(void **state)
{
	const long	 w[] = { 5, 300, 1800 };
	int64_t		 at = 0;
	uint32_t	 r;

	(void)state;
	assert_int_equal(tl_retry_judge(200, -1, 1, w, 3, 0, 100, &at),
	    TL_DELIVERED);
	assert_int_equal(tl_retry_judge(204, -1, 9, w, 3, 0, 100, &at),
	    TL_DELIVERED);
	assert_int_equal(tl_retry_judge(410, -1, 1, w, 3, 0, 100, &at),
	    TL_DEAD);
	assert_int_equal(tl_retry_judge(500, -1, 1, w, 3, 0, 100, &at),
	    TL_RETRY);
	assert_int_equal(at, 105);
	/* Jitter: within 10% of the wait, whatever the random number. */
	for (r = 0; r < 5000; r += 7) {
		assert_int_equal(tl_retry_judge(0, -1, 2, w, 3, r, 100, &at),
		    TL_RETRY);
		assert_true(at >= 400 && at <= 430);
	}
	/* Retry-After only when longer; capped. */
	assert_int_equal(tl_retry_judge(429, 60, 1, w, 3, 0, 100, &at),
	    TL_RETRY);
	assert_int_equal(at, 160);
	tl_retry_judge(429, 2, 2, w, 3, 0, 100, &at);
	assert_int_equal(at, 400);
	tl_retry_judge(503, 999999999, 1, w, 3, 0, 0, &at);
	assert_int_equal(at, TL_RETRY_AFTER_MAX);
	/* Three waits: four attempts, then dead. */
	assert_int_equal(tl_retry_judge(500, -1, 3, w, 3, 0, 0, &at),
	    TL_RETRY);
	assert_int_equal(tl_retry_judge(500, -1, 4, w, 3, 0, 0, &at),
	    TL_DEAD);
	assert_int_equal(tl_retry_judge(0, -1, 4, w, 3, 0, 0, &at), TL_DEAD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_standard),
		cmocka_unit_test(test_excerpt_multibyte),
		cmocka_unit_test(test_excerpt_words),
		cmocka_unit_test(test_urgent_because),
		cmocka_unit_test(test_slack),
		cmocka_unit_test(test_updated),
		cmocka_unit_test(test_retry),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("webhook", tests, NULL, NULL);
}
