/*
 * fuzz_summary.c — the summary a triage receiver gets (SPEC 6):
 * tl_webhook_body() in the `standard` and `slack` formats for a tip whose
 * fields come from the input.
 *
 * Input: 14 header bytes, then a form body whose pairs give the fields.
 *   h[0] bit 0: 0 = the fields go through tl_report_set() and
 *               tl_report_validate() (a tip as the store holds it);
 *               1 = the values are put in value[] directly, unchecked
 *               (the store's content, whatever it is);
 *        bit 1: priority urgent (direct mode).
 *   h[1] concerns bits and h[2] number of phones (direct mode); h[3..4]
 *   summary_excerpt_chars (-8..); h[5..9] the reference; h[10..13] the
 *   received time.
 *
 * Oracles: both bodies are JSON that jansson reads back. `standard` has
 * exactly SPEC 6.1's keys with exactly the tip's values (so no other
 * field content leaves the store) and the excerpt, only when asked for,
 * is a prefix of the description of at most that many characters.
 * `slack` is {"text": …} whose text starts "URGENT (reasons) tip TL-", "URGENT tip TL-" or "Tip TL-"
 * and holds no '<' or '>' and no '&' but in &amp; &lt; &gt;; for a
 * validated tip, its second line unescaped is the excerpt.
 */
#include <jansson.h>

#include "fuzz.h"
#include "ref.h"
#include "report.h"
#include "urlenc.h"
#include "utf8.h"
#include "webhook.h"

#define HDR	14
#define NOW	((int64_t)1764300000)

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Fills r from the pairs of body; returns 0, or -1 to skip the input. */
static int
fill(struct tl_report *r, const uint8_t *h, const char *body, size_t len)
{
	struct tl_pairs	 pairs;
	size_t		 i;
	int		 f, direct = h[0] & 1;

	if (tl_urlenc_parse(body, len, TL_MAX_FIELDS, &pairs) != TL_OK)
		return -1;
	for (i = 0; i < pairs.n; i++) {
		const struct tl_pair *p = &pairs.v[i];

		if (!direct) {
			(void)tl_report_set(r, p->name, p->namelen, p->value,
			    p->len);
			continue;
		}
		if ((f = tl_field_find(p->name, p->namelen)) <= 0)
			continue;
		free(r->value[f]);
		r->value[f] = strdup(p->value);
		FUZZ_CHECK(r->value[f] != NULL);
	}
	tl_pairs_free(&pairs);
	if (!direct) {
		struct tl_field_error errs[TL_F__MAX];

		(void)tl_report_validate(r, errs, TL_F__MAX);
		return 0;
	}
	r->concerns = h[1];
	r->priority = h[0] & 2 ? TL_PRIO_URGENT : TL_PRIO_NORMAL;
	r->nphones = h[2] % (TL_MAX_PHONES + 1);
	for (i = 0; i < r->nphones; i++) {
		r->phones[i] = strdup("+447700900123");
		FUZZ_CHECK(r->phones[i] != NULL);
	}
	return 0;
}

static void
check_str_or_null(json_t *data, const char *key, const char *want)
{
	json_t	*v = json_object_get(data, key);

	FUZZ_CHECK(v != NULL);
	if (want == NULL)
		FUZZ_CHECK(json_is_null(v));
	else
		FUZZ_CHECK(json_is_string(v) &&
		    strcmp(json_string_value(v), want) == 0);
}

static int
blank(char c)
{
	return c == ' ' || c == '\n' || c == '\t';
}

/*
 * Checks excerpt ex (NULL: none was given) of r's description for limit
 * n (SPEC 14): none when n is 0 or there is no description; the whole
 * description when it has at most n characters; else at most n
 * characters of it ending with "…", cut where a word ends (or inside the
 * first word when that is longer than n), no blank before the "…".
 */
static void
check_excerpt(const struct tl_report *r, long n, const char *ex)
{
	const char	*d = r->value[TL_F_DESCRIPTION];
	size_t		 dl, el, full;

	if (n <= 0 || d == NULL) {
		FUZZ_CHECK(ex == NULL);
		return;
	}
	FUZZ_CHECK(ex != NULL);
	dl = strlen(d);
	el = strlen(ex);
	full = tl_utf8_prefix(d, dl, (size_t)n);
	if (full == dl) {
		FUZZ_CHECK(strcmp(ex, d) == 0);
		return;
	}
	FUZZ_CHECK(el >= 3 && strcmp(ex + el - 3, "\xe2\x80\xa6") == 0);
	el -= 3;
	FUZZ_CHECK(el <= full && strncmp(ex, d, el) == 0);
	if (el == full && !blank(d[full]))	/* one long first word */
		FUZZ_CHECK(memchr(d, ' ', full) == NULL &&
		    memchr(d, '\n', full) == NULL &&
		    memchr(d, '\t', full) == NULL);
	else
		FUZZ_CHECK(el > 0 && !blank(ex[el - 1]) && blank(d[el]));
}

/* Checks urgent_because of the standard body against the table. */
static void
check_because(const struct tl_report *r, json_t *data)
{
	json_t	*a = json_object_get(data, "urgent_because");
	size_t	 k = 0;
	int	 f;

	FUZZ_CHECK(json_is_array(a));
	for (f = 0; f < TL_F__MAX; f++)
		if (tl_report_urgent_because(r, (enum tl_field)f)) {
			FUZZ_CHECK(json_is_string(json_array_get(a, k)));
			FUZZ_CHECK(strcmp(json_string_value(json_array_get(a,
			    k)), tl_fields[f].urgent_because) == 0);
			k++;
		}
	FUZZ_CHECK(json_array_size(a) == k);
}

static void
check_standard(const struct tl_tip *tip, long n, const char *body)
{
	const struct tl_report	*r = &tip->report;
	const struct tl_choice	*c = tl_fields[TL_F_CONCERNS].choices;
	json_t			*root, *data, *a, *has;
	json_error_t		 jerr;
	char			 at[21], area[8], *ex;
	size_t			 i, k = 0;

	root = json_loads(body, 0, &jerr);
	FUZZ_CHECK(root != NULL && json_is_object(root));
	FUZZ_CHECK(json_object_size(root) == 3);
	check_str_or_null(root, "type", "tip.received");
	tl_time_rfc3339(NOW, at);
	check_str_or_null(root, "timestamp", at);
	data = json_object_get(root, "data");
	FUZZ_CHECK(json_is_object(data));
	check_str_or_null(data, "ref", tip->ref);
	tl_time_rfc3339(tip->received_at, at);
	check_str_or_null(data, "received_at", at);
	check_str_or_null(data, "priority", tl_priority_name(r->priority));
	a = json_object_get(data, "concerns");
	FUZZ_CHECK(json_is_array(a));
	for (i = 0; c[i].value != NULL; i++)
		if (r->concerns & (1u << i)) {
			FUZZ_CHECK(json_is_string(json_array_get(a, k)));
			FUZZ_CHECK(strcmp(json_string_value(
			    json_array_get(a, k)), c[i].value) == 0);
			k++;
		}
	FUZZ_CHECK(json_array_size(a) == k);
	check_str_or_null(data, "when", r->value[TL_F_WHEN]);
	tl_postcode_area(r->value[TL_F_POSTCODE], area, sizeof(area));
	check_str_or_null(data, "area", *area != '\0' ? area : NULL);
	check_str_or_null(data, "child_at_risk", r->value[TL_F_CHILD_AT_RISK]);
	check_str_or_null(data, "weapons_seen", r->value[TL_F_WEAPONS_SEEN]);
	check_str_or_null(data, "vulnerable_adult",
	    r->value[TL_F_VULNERABLE_ADULT]);
	has = json_object_get(data, "has");
	FUZZ_CHECK(json_is_object(has) && json_object_size(has) == 3);
	FUZZ_CHECK(json_is_boolean(json_object_get(has, "people")) &&
	    json_is_true(json_object_get(has, "people")) ==
	    (r->value[TL_F_PEOPLE] != NULL));
	FUZZ_CHECK(json_is_boolean(json_object_get(has, "vehicles")) &&
	    json_is_true(json_object_get(has, "vehicles")) ==
	    (r->value[TL_F_VEHICLES] != NULL));
	FUZZ_CHECK(json_is_integer(json_object_get(has, "phones")) &&
	    json_integer_value(json_object_get(has, "phones")) ==
	    (json_int_t)r->nphones);
	check_because(r, data);
	ex = json_object_get(data, "excerpt") != NULL ?
	    (char *)json_string_value(json_object_get(data, "excerpt")) : NULL;
	FUZZ_CHECK(json_object_size(data) == (ex != NULL ? 12u : 11u));
	check_excerpt(r, n, ex);
	json_decref(root);
}

/* Text with &amp; &lt; &gt; turned back; NULL if any other '&', '<' or
 * '>' is in it. */
static char *
slack_unescape(const char *s)
{
	char	*o = malloc(strlen(s) + 1);
	size_t	 n = 0;

	FUZZ_CHECK(o != NULL);
	while (*s != '\0') {
		if (*s == '<' || *s == '>')
			goto bad;
		if (*s != '&') {
			o[n++] = *s++;
			continue;
		}
		if (strncmp(s, "&amp;", 5) == 0) {
			o[n++] = '&';
			s += 5;
		} else if (strncmp(s, "&lt;", 4) == 0) {
			o[n++] = '<';
			s += 4;
		} else if (strncmp(s, "&gt;", 4) == 0) {
			o[n++] = '>';
			s += 4;
		} else
			goto bad;
	}
	o[n] = '\0';
	return o;
bad:
	free(o);
	return NULL;
}

static void
check_slack(const struct tl_tip *tip, long n, const char *body,
    int validated)
{
	json_t		*root, *t;
	json_error_t	 jerr;
	const char	*text, *nl;
	char		*plain;

	root = json_loads(body, 0, &jerr);
	FUZZ_CHECK(root != NULL && json_is_object(root));
	FUZZ_CHECK(json_object_size(root) == 1);
	t = json_object_get(root, "text");
	FUZZ_CHECK(json_is_string(t));
	text = json_string_value(t);
	if (tip->report.priority == TL_PRIO_URGENT)
		FUZZ_CHECK(strncmp(text, "URGENT tip TL-", 14) == 0 ||
		    (strncmp(text, "URGENT (", 8) == 0 &&
		    strstr(text, ") tip TL-") != NULL));
	else
		FUZZ_CHECK(strncmp(text, "Tip TL-", 7) == 0);
	if ((plain = slack_unescape(text)) == NULL)
		fprintf(stderr, "slack text not escaped: %s\n", text);
	FUZZ_CHECK(plain != NULL);
	if (validated) {
		nl = strchr(plain, '\n');
		check_excerpt(&tip->report, n, nl != NULL ? nl + 1 : NULL);
	}
	free(plain);
	json_decref(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_tip	 tip;
	char		*body, *out;
	long		 n;

	if (size < HDR)
		return 0;
	memset(&tip, 0, sizeof(tip));
	tl_report_init(&tip.report);
	tl_ref_format(data + 5, tip.ref);
	tip.received_at = (int64_t)get32(data + 10) * 32;
	n = (long)((data[3] << 8 | data[4]) % 6000) - 8;
	body = fuzz_strndup(data + HDR, size - HDR);
	if (fill(&tip.report, data, body, size - HDR) == 0) {
		/* The plaintext columns a stored tip would have. */
		tl_postcode_area(tip.report.value[TL_F_POSTCODE], tip.area,
		    sizeof(tip.area));
		tip.has_people = tip.report.value[TL_F_PEOPLE] != NULL;
		tip.has_vehicles = tip.report.value[TL_F_VEHICLES] != NULL;
		tip.nphones = (int)tip.report.nphones;
		out = tl_webhook_body(&tip, TL_WEBHOOK_STANDARD, n, NOW);
		FUZZ_CHECK(out != NULL);
		check_standard(&tip, n, out);
		free(out);
		out = tl_webhook_body(&tip, TL_WEBHOOK_SLACK, n, NOW);
		FUZZ_CHECK(out != NULL);
		check_slack(&tip, n, out, !(data[0] & 1));
		free(out);
	}
	tl_report_free(&tip.report);
	free(body);
	return 0;
}
