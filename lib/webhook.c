/*
 * webhook.c — summaries and signatures for the triage webhook (SPEC 6).
 * Only what SPEC 6.1 lists leaves the store: no free text but an excerpt
 * the admin asked for.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "digest.h"
#include "json.h"
#include "seal.h"
#include "text.h"
#include "tip.h"
#include "utf8.h"
#include "webhook.h"

void
tl_webhook_sign(const uint8_t *key, size_t keylen, const char *id,
    int64_t timestamp, const char *body, size_t len, char out[TL_SIG_SIZE])
{
	struct tl_seal_part	 parts[3];
	uint8_t			 mac[TL_SEAL_HMACBYTES];
	char			 ts[24];

	snprintf(ts, sizeof(ts), ".%lld.", (long long)timestamp);
	parts[0] = (struct tl_seal_part){ id, strlen(id) };
	parts[1] = (struct tl_seal_part){ ts, strlen(ts) };
	parts[2] = (struct tl_seal_part){ body, len };
	tl_seal_hmac_sha256(key, keylen, parts, 3, mac);
	memcpy(out, "v1,", 3);
	sodium_bin2base64(out + 3, TL_SIG_SIZE - 3, mac, sizeof(mac),
	    sodium_base64_VARIANT_ORIGINAL);
}

/* Is the code point at s[i] a blank where a word ends? */
static int
is_blank(const char *s, size_t i)
{
	return s[i] == ' ' || s[i] == '\n' || s[i] == '\t';
}

/*
 * The description cut to at most n characters into *out (the caller
 * frees it), or *out NULL when there is none to give. A description
 * longer than n is cut at the last blank within them (in the middle of
 * a word only when the first word is longer than n) and ends with "…"
 * (SPEC 14). Returns TL_OK, or TL_ENOMEM: a summary never leaves out an
 * excerpt the admin asked for.
 */
static enum tl_err
excerpt(const struct tl_report *r, long n, char **out)
{
	const char	*d = r->value[TL_F_DESCRIPTION];
	size_t		 len, cut;

	*out = NULL;
	if (n <= 0 || d == NULL)
		return TL_OK;
	len = strlen(d);
	cut = tl_utf8_prefix(d, len, (size_t)n);
	if (cut == len)
		return (*out = strndup(d, len)) == NULL ? TL_ENOMEM : TL_OK;
	if (!is_blank(d, cut)) {	/* inside a word: back to its start */
		while (cut > 0 && !is_blank(d, cut - 1))
			cut--;
		if (cut == 0)
			cut = tl_utf8_prefix(d, len, (size_t)n);
	}
	while (cut > 0 && is_blank(d, cut - 1))
		cut--;
	if ((*out = malloc(cut + 4)) == NULL)
		return TL_ENOMEM;
	memcpy(*out, d, cut);
	memcpy(*out + cut, "\xe2\x80\xa6", 4);	/* "…" and NUL */
	return TL_OK;
}

/* The reasons r is urgent (SPEC 14: urgent_because), as a JSON array of
 * the table's names; NULL out of memory. */
static json_t *
urgent_because(const struct tl_report *r)
{
	json_t	*a;
	int	 f;

	if ((a = json_array()) == NULL)
		return NULL;
	for (f = 0; f < TL_F__MAX; f++)
		if (tl_report_urgent_because(r, (enum tl_field)f) &&
		    json_array_append_new(a,
		    json_string(tl_fields[f].urgent_because)) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* A string value or JSON null. */
static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* The `standard` body of SPEC 6.1. */
static json_t *
standard(const struct tl_tip *tip, long n, int64_t now)
{
	const struct tl_report *r = &tip->report;
	json_t	*data, *root;
	char	 area[8], at[21], ts[21], *ex;

	snprintf(area, sizeof(area), "%s", tip->area);
	tl_time_rfc3339(tip->received_at, at);
	tl_time_rfc3339(now, ts);
	data = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
	    "s:{s:b,s:b,s:I}}",
	    "ref", tip->ref, "received_at", at,
	    "priority", tl_priority_name(r->priority),
	    "urgent_because", urgent_because(r),
	    "concerns", tl_concerns_json(r),
	    "when", str_or_null(r->value[TL_F_WHEN]),
	    "area", str_or_null(*area != '\0' ? area : NULL),
	    "child_at_risk", str_or_null(r->value[TL_F_CHILD_AT_RISK]),
	    "weapons_seen", str_or_null(r->value[TL_F_WEAPONS_SEEN]),
	    "vulnerable_adult", str_or_null(r->value[TL_F_VULNERABLE_ADULT]),
	    "has", "people", tip->has_people,
	    "vehicles", tip->has_vehicles,
	    "phones", (json_int_t)tip->nphones);
	if (data == NULL)
		return NULL;
	if (excerpt(r, n, &ex) != TL_OK || (ex != NULL &&
	    json_object_set_new(data, "excerpt", json_string(ex)) == -1)) {
		json_decref(data);
		data = NULL;
	}
	free(ex);
	root = json_pack("{s:s,s:s,s:o}", "type", "tip.received",
	    "timestamp", ts, "data", data);
	return root;
}

/* Appends s[0..n) with Slack's three control characters escaped. */
static void
slack_escape(struct tl_buf *b, const char *s, size_t n)
{
	const char	*end = s + n;

	for (; s < end; s++)
		switch (*s) {
		case '&': tl_buf_puts(b, "&amp;"); break;
		case '<': tl_buf_puts(b, "&lt;"); break;
		case '>': tl_buf_puts(b, "&gt;"); break;
		default: tl_buf_putc(b, *s); break;
		}
}

/* The label of value v of field f for a summary line ("this week"). */
static const char *
words(enum tl_field f, const char *v)
{
	const struct tl_choice *c = tl_fields[f].choices;

	for (; v != NULL && c->value != NULL; c++)
		if (strcmp(c->value, v) == 0)
			return c->words;
	return v;
}

/* "URGENT (child at risk, weapons) tip TL-…" or "Tip TL-…" (SPEC 14). */
static void
slack_head(struct tl_buf *b, const struct tl_tip *tip)
{
	const char	*sep = " (";
	int		 f;

	if (tip->report.priority != TL_PRIO_URGENT) {
		tl_buf_printf(b, "Tip %s", tip->ref);
		return;
	}
	tl_buf_puts(b, "URGENT");
	for (f = 0; f < TL_F__MAX; f++)
		if (tl_report_urgent_because(&tip->report, (enum tl_field)f)) {
			tl_buf_printf(b, "%s%s", sep, tl_fields[f].urgent_words);
			sep = ", ";
		}
	tl_buf_printf(b, "%s tip %s", *sep == ',' ? ")" : "", tip->ref);
}

/* The `slack` body of SPEC 6.2. */
static json_t *
slack(const struct tl_tip *tip, long n)
{
	const struct tl_report *r = &tip->report;
	const struct tl_choice *c = tl_fields[TL_F_CONCERNS].choices;
	struct tl_buf	 b = TL_BUF_INIT;
	char		 area[8], *ex;
	const char	*sep = ": ", *v;
	json_t		*root = NULL;
	size_t		 i;

	slack_head(&b, tip);
	for (i = 0; c[i].value != NULL; i++)
		if (r->concerns & (1u << i)) {
			tl_buf_puts(&b, sep);
			slack_escape(&b, c[i].words, strlen(c[i].words));
			sep = ", ";
		}
	snprintf(area, sizeof(area), "%s", tip->area);
	if (*area != '\0')
		tl_buf_printf(&b, " \xe2\x80\x94 %s", area);
	if (r->value[TL_F_WHEN] != NULL) {
		tl_buf_puts(&b, " \xe2\x80\x94 ");
		v = words(TL_F_WHEN, r->value[TL_F_WHEN]);
		slack_escape(&b, v, strlen(v));
	}
	if (excerpt(r, n, &ex) != TL_OK)
		b.oom = 1;	/* the body is incomplete: none is built */
	else if (ex != NULL) {
		tl_buf_putc(&b, '\n');
		/* Staff read it: bidi and invisible characters as markers. */
		tl_text_visible(&b, ex, slack_escape);
		free(ex);
	}
	if (tl_buf_ok(&b))
		root = json_pack("{s:s}", "text", b.data);
	tl_buf_free(&b);
	return root;
}

/* staff_url + path (+ ref) into a new string, or NULL. */
static char *
link_to(const char *staff_url, const char *path, const char *ref)
{
	struct tl_buf	 b = TL_BUF_INIT;
	size_t		 n = strlen(staff_url);

	if (n > 0 && staff_url[n - 1] == '/')
		n--;
	tl_buf_add(&b, staff_url, n);
	tl_buf_printf(&b, "%s%s", path, ref != NULL ? ref : "");
	if (!tl_buf_ok(&b)) {
		tl_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* Adds link to j: data.link (standard) or a last " <link>" (slack).
 * Returns 0, or -1 out of memory. */
static int
add_link(json_t *j, enum tl_webhook_format fmt, const char *link)
{
	struct tl_buf	 b = TL_BUF_INIT;
	const char	*text;
	int		 rc;

	if (fmt != TL_WEBHOOK_SLACK)
		return json_object_set_new(json_object_get(j, "data"), "link",
		    json_string(link));
	text = json_string_value(json_object_get(j, "text"));
	tl_buf_printf(&b, "%s <", text != NULL ? text : "");
	slack_escape(&b, link, strlen(link));
	tl_buf_putc(&b, '>');
	rc = tl_buf_ok(&b) ? json_object_set_new(j, "text",
	    json_string(b.data)) : -1;
	tl_buf_free(&b);
	return rc;
}

/* j (taken) as compact text, with link added when not NULL. */
static char *
dump(json_t *j, enum tl_webhook_format fmt, const char *link)
{
	char	*s = NULL;

	if (j == NULL)
		return NULL;
	if (link == NULL || add_link(j, fmt, link) == 0)
		s = tl_json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	return s;
}

char *
tl_webhook_body_link(const struct tl_tip *tip, enum tl_webhook_format fmt,
    long excerpt_chars, const char *staff_url, int64_t now)
{
	json_t	*j;
	char	*link = NULL, *s;

	if (staff_url != NULL &&
	    (link = link_to(staff_url, "/tips/", tip->ref)) == NULL)
		return NULL;
	j = fmt == TL_WEBHOOK_SLACK ? slack(tip, excerpt_chars) :
	    standard(tip, excerpt_chars, now);
	s = dump(j, fmt, link);
	free(link);
	return s;
}

/*
 * The body of a notice about tip that carries none of its content: type,
 * the time at (named at_key in data) and, in the slack format, the line
 * line; with the desk's link when staff_url is set.
 */
static char *
notice_body(const struct tl_tip *tip, enum tl_webhook_format fmt,
    const char *staff_url, int64_t now, const char *type,
    const char *at_key, const char *at, const struct tl_buf *line)
{
	json_t		*j;
	char		 ts[21], *link = NULL, *s;

	if (!tl_buf_ok(line) || (staff_url != NULL &&
	    (link = link_to(staff_url, "/tips/", tip->ref)) == NULL))
		return NULL;
	tl_time_rfc3339(now, ts);
	if (fmt == TL_WEBHOOK_SLACK)
		j = json_pack("{s:s}", "text", line->data);
	else
		j = json_pack("{s:s,s:s,s:{s:s,s:s,s:s}}", "type", type,
		    "timestamp", ts, "data", "ref", tip->ref, "priority",
		    tl_priority_name(tip->report.priority), at_key, at);
	s = dump(j, fmt, link);
	free(link);
	return s;
}

char *
tl_webhook_reminder_body(const struct tl_tip *tip, enum tl_webhook_format fmt,
    const char *staff_url, int64_t now)
{
	struct tl_buf	 line = TL_BUF_INIT;
	char		 at[21], *s;

	tl_time_rfc3339(tip->received_at, at);
	tl_buf_printf(&line, "REMINDER: urgent tip %s, received %s, has not "
	    "been opened in the desk", tip->ref, at);
	s = notice_body(tip, fmt, staff_url, now, "tip.reminder",
	    "received_at", at, &line);
	tl_buf_free(&line);
	return s;
}

char *
tl_webhook_updated_body(const struct tl_tip *tip, enum tl_webhook_format fmt,
    const char *staff_url, int64_t updated_at, int64_t now)
{
	struct tl_buf	 line = TL_BUF_INIT;
	char		 at[21], *s;

	tl_time_rfc3339(updated_at, at);
	tl_buf_printf(&line, "UPDATED: %stip %s has new information from the "
	    "sender (%s)", tip->report.priority == TL_PRIO_URGENT ?
	    "urgent " : "", tip->ref, at);
	s = notice_body(tip, fmt, staff_url, now, "tip.updated",
	    "updated_at", at, &line);
	tl_buf_free(&line);
	return s;
}

char *
tl_webhook_body(const struct tl_tip *tip, enum tl_webhook_format fmt,
    long excerpt_chars, int64_t now)
{
	return tl_webhook_body_link(tip, fmt, excerpt_chars, NULL, now);
}

/* The one line of a digest in the slack format. */
static json_t *
slack_digest(const struct tl_digest *d)
{
	struct tl_buf	 b = TL_BUF_INIT;
	char		 from[21], to[21];
	json_t		*root = NULL;
	size_t		 i;

	tl_time_rfc3339(d->from, from);
	tl_time_rfc3339(d->to, to);
	tl_buf_printf(&b, "%zu more tip%s (not urgent) from %s to %s:",
	    d->count, d->count == 1 ? "" : "s", from, to);
	for (i = 0; i < d->count; i++)
		tl_buf_printf(&b, "%s%s", i == 0 ? " " : ", ", d->refs[i]);
	if (tl_buf_ok(&b))
		root = json_pack("{s:s}", "text", b.data);
	tl_buf_free(&b);
	return root;
}

/* The standard body of a digest. */
static json_t *
standard_digest(const struct tl_digest *d, int64_t now)
{
	json_t	*refs;
	char	 from[21], to[21], ts[21];
	size_t	 i;

	if ((refs = json_array()) == NULL)
		return NULL;
	for (i = 0; i < d->count; i++)
		if (json_array_append_new(refs, json_string(d->refs[i]))
		    == -1) {
			json_decref(refs);
			return NULL;
		}
	tl_time_rfc3339(d->from, from);
	tl_time_rfc3339(d->to, to);
	tl_time_rfc3339(now, ts);
	return json_pack("{s:s,s:s,s:{s:I,s:o,s:s,s:s}}", "type",
	    TL_DIGEST_KIND, "timestamp", ts, "data", "count",
	    (json_int_t)d->count, "refs", refs, "from", from, "to", to);
}

char *
tl_webhook_digest_body(const struct tl_digest *d,
    enum tl_webhook_format fmt, const char *staff_url, int64_t now)
{
	json_t	*j;
	char	*link = NULL, *s;

	if (staff_url != NULL &&
	    (link = link_to(staff_url, "/", NULL)) == NULL)
		return NULL;
	j = fmt == TL_WEBHOOK_SLACK ? slack_digest(d) :
	    standard_digest(d, now);
	s = dump(j, fmt, link);
	free(link);
	return s;
}
