/*
 * present.c — tiplinectl's output (see present.h): lines and labelled
 * blocks for people, JSON for tools. Each piece of text is built in a
 * buffer through text.h and written once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "present.h"
#include "text.h"

#define JSON_LINE	(JSON_COMPACT | JSON_PRESERVE_ORDER)
#define JSON_PRETTY	(JSON_INDENT(2) | JSON_PRESERVE_ORDER)

/* Writes what b holds to out: TL_OK, or TL_ENOMEM if b is incomplete
 * (then nothing is written). */
static enum tl_err
flush(struct tl_buf *b, FILE *out)
{
	enum tl_err	 err = TL_ENOMEM;

	if (tl_buf_ok(b)) {
		fwrite(b->data, 1, b->len, out);
		err = TL_OK;
	}
	tl_buf_free(b);
	return err;
}

/* Pads what b holds since start with spaces to width bytes. */
static void
pad(struct tl_buf *b, size_t start, size_t width)
{
	while (tl_buf_ok(b) && b->len - start < width)
		tl_buf_putc(b, ' ');
}

/* Writes j to out and ends the line: TL_OK, TL_ENOMEM or TL_EIO. */
static enum tl_err
json_line(FILE *out, const json_t *j, size_t flags)
{
	enum tl_err	 err;

	if ((err = tl_json_dumpf(j, flags, out)) == TL_OK &&
	    fputc('\n', out) == EOF)
		err = TL_EIO;
	return err;
}

/* ------------------------------------------------------------ tips --- */

/* Field f of r as export writes it (NULL out of memory). */
static json_t *
field_json(const struct tl_report *r, enum tl_field f)
{
	json_t	*a;
	size_t	 i;

	if (tl_fields[f].kind == TL_K_MULTI)
		return tl_concerns_json(r);
	if (r->value[f] == NULL)
		return json_null();
	if (tl_fields[f].kind != TL_K_PHONES)
		return json_string(r->value[f]);
	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < r->nphones; i++)
		if (json_array_append_new(a, json_string(r->phones[i])) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* A tip as one export object, keys in a stable order (NULL: no memory,
 * or text that is not UTF-8). */
static json_t *
tip_json(const struct tl_tip *t)
{
	json_t	*o;
	char	 at[21];
	int	 f;

	if ((o = json_object()) == NULL)
		return NULL;
	tl_time_rfc3339(t->received_at, at);
	if (json_object_set_new(o, "ref", json_string(t->ref)) == -1 ||
	    json_object_set_new(o, "received_at", json_string(at)) == -1 ||
	    json_object_set_new(o, "priority",
	    json_string(tl_priority_name(t->report.priority))) == -1)
		goto fail;
	for (f = 0; f < TL_F__MAX; f++)
		if (json_object_set_new(o, tl_fields[f].name,
		    field_json(&t->report, (enum tl_field)f)) == -1)
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* The concerns of r as names joined with "," into out. */
static void
concern_names(const struct tl_report *r, char *out, size_t size)
{
	const struct tl_choice	*c = tl_fields[TL_F_CONCERNS].choices;
	size_t			 i, n = 0;

	out[0] = '\0';
	for (i = 0; c[i].value != NULL && n < size; i++)
		if (r->concerns & (1u << i))
			n += (size_t)snprintf(out + n, size - n, "%s%s",
			    n > 0 ? "," : "", c[i].value);
}

/* The outward code of the tip's postcode (a plaintext column), or
 * NULL. */
static const char *
area(const struct tl_tip *t)
{
	return t->area[0] != '\0' ? t->area : NULL;
}

static const char *
priority_word(const struct tl_tip *t)
{
	return t->report.priority == TL_PRIO_URGENT ? "URGENT" : "normal";
}

/* ------------------------------------------------------------ list --- */

void
tl_present_list_head(FILE *out, int json)
{
	fputs(json ? "[\n" : "REF           RECEIVED (UTC)        "
	    "PRIO    CONCERNS                                  AREA      "
	    "DELIVERY\n", out);
}

/* One tip of `list` as a line, under the heading. */
static enum tl_err
list_line(FILE *out, const struct tl_tip *t, const char *delivery)
{
	struct tl_buf	 b = TL_BUF_INIT;
	char		 at[21], names[96];
	size_t		 start;

	tl_time_rfc3339(t->received_at, at);
	concern_names(&t->report, names, sizeof(names));
	tl_buf_printf(&b, "%-12s  %-20s  %-6s  %-40s  ", t->ref, at,
	    priority_word(t), names);
	start = b.len;
	tl_text_line(&b, area(t));
	pad(&b, start, 8);
	tl_buf_puts(&b, "  ");
	tl_text_line(&b, delivery);
	tl_buf_putc(&b, '\n');
	return flush(&b, out);
}

/* One tip of `list --json` as an object. */
static json_t *
list_json(const struct tl_tip *t, const char *delivery)
{
	char		 at[21];
	const char	*a;

	tl_time_rfc3339(t->received_at, at);
	a = area(t);
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}",
	    "ref", t->ref, "received_at", at,
	    "priority", tl_priority_name(t->report.priority),
	    "concerns", tl_concerns_json(&t->report),
	    "area", a != NULL ? json_string(a) : json_null(),
	    "delivery", delivery != NULL ? json_string(delivery) : json_null());
}

enum tl_err
tl_present_list_row(FILE *out, const struct tl_tip *t, const char *delivery,
    int json, size_t n)
{
	json_t		*o;
	enum tl_err	 err;

	if (!json)
		return list_line(out, t, delivery);
	if ((o = list_json(t, delivery)) == NULL)
		return TL_ENOMEM;
	fputs(n > 0 ? ",\n  " : "  ", out);
	err = tl_json_dumpf(o, JSON_LINE, out);
	json_decref(o);
	return err;
}

void
tl_present_list_end(FILE *out, int json, size_t n)
{
	if (json)
		fputs(n > 0 ? "\n]\n" : "]\n", out);
}

/* ------------------------------------------------------------ show --- */

/* The label of field f without " (optional)", on its own line. */
static void
show_label(struct tl_buf *b, enum tl_field f)
{
	const char	*l = tl_fields[f].label;
	size_t		 n = strlen(l);
	static const char opt[] = " (optional)";

	if (n >= sizeof(opt) - 1 && strcmp(l + n - (sizeof(opt) - 1), opt)
	    == 0)
		n -= sizeof(opt) - 1;
	tl_buf_add(b, l, n);
	tl_buf_putc(b, '\n');
}

/* The label of choice v of field f, or v itself. */
static const char *
choice_label(enum tl_field f, const char *v)
{
	const struct tl_choice	*c = tl_fields[f].choices;

	for (; c != NULL && c->value != NULL; c++)
		if (strcmp(c->value, v) == 0)
			return c->label;
	return v;
}

/* Field f of r, readable, under its label. */
static void
show_field(struct tl_buf *b, const struct tl_report *r, enum tl_field f)
{
	const struct tl_choice	*c = tl_fields[f].choices;
	size_t			 i;

	show_label(b, f);
	if (tl_fields[f].kind == TL_K_MULTI) {
		for (i = 0; c[i].value != NULL; i++)
			if (r->concerns & (1u << i))
				tl_text_block(b, c[i].label);
	} else if (r->value[f] == NULL)
		tl_text_block(b, "(not answered)");
	else if (tl_fields[f].kind == TL_K_PHONES)
		for (i = 0; i < r->nphones; i++)
			tl_text_block(b, r->phones[i]);
	else if (tl_fields[f].kind == TL_K_CHOICE)
		tl_text_block(b, choice_label(f, r->value[f]));
	else
		tl_text_block(b, r->value[f]);
}

/* The tip as labelled text. */
static enum tl_err
show_text(FILE *out, const struct tl_tip *t, const char *delivery,
    int tries)
{
	struct tl_buf	 b = TL_BUF_INIT;
	char		 at[21];
	int		 f;

	tl_time_rfc3339(t->received_at, at);
	tl_buf_printf(&b, "Reference   %s\nReceived    %s\nPriority    %s\n"
	    "Delivery    ", t->ref, at, priority_word(t));
	tl_text_line(&b, delivery);
	tl_buf_printf(&b, ", %d attempt%s\n\n", tries, tries == 1 ? "" : "s");
	for (f = 0; f < TL_F__MAX; f++)
		show_field(&b, &t->report, (enum tl_field)f);
	return flush(&b, out);
}

enum tl_err
tl_present_tip(FILE *out, const struct tl_tip *t, const char *delivery,
    int attempts, int json)
{
	json_t		*o;
	enum tl_err	 err;

	if (!json)
		return show_text(out, t, delivery, attempts);
	if ((o = tip_json(t)) == NULL)
		return TL_ENOMEM;
	err = json_line(out, o, JSON_PRETTY);
	json_decref(o);
	return err;
}

enum tl_err
tl_present_export(FILE *out, const struct tl_tip *t)
{
	json_t		*o;
	enum tl_err	 err;

	if ((o = tip_json(t)) == NULL)
		return TL_ENOMEM;
	err = json_line(out, o, JSON_LINE);
	json_decref(o);
	return err;
}

/* ------------------------------------------------------ deliveries --- */

void
tl_present_deliveries_head(FILE *out)
{
	fputs("REF           TYPE          STATE      ATTEMPTS  "
	    "NEXT ATTEMPT (UTC)    STATUS  WEBHOOK-ID (--ack)            "
	    "LAST ERROR\n", out);
}

enum tl_err
tl_present_delivery(FILE *out, const struct tl_present_delivery *d)
{
	struct tl_buf	 b = TL_BUF_INIT;
	char		 next[21], status[24];
	size_t		 start;

	if (d->state == TL_OUT_PENDING)
		tl_time_rfc3339(d->next_at, next);
	else
		snprintf(next, sizeof(next), "-");
	if (d->has_status)
		snprintf(status, sizeof(status), "%lld",
		    (long long)d->status);
	else
		snprintf(status, sizeof(status), "-");
	start = b.len;
	tl_text_line(&b, d->ref);
	pad(&b, start, 12);
	tl_buf_puts(&b, "  ");
	start = b.len;
	tl_text_line(&b, d->kind);
	pad(&b, start, 12);
	tl_buf_printf(&b, "  %-9s  %8d  %-20s  %-6s  ",
	    tl_outbox_state_name(d->state), d->attempts, next, status);
	start = b.len;
	tl_text_line(&b, d->webhook_id);
	pad(&b, start, 28);
	tl_buf_puts(&b, "  ");
	tl_text_line(&b, d->error);
	tl_buf_putc(&b, '\n');
	return flush(&b, out);
}

/* ----------------------------------------------------------- stats --- */

/* Writes the pairs of obj as indented lines. */
static void
stats_block(FILE *out, const char *title, json_t *obj)
{
	const char	*k;
	json_t		*v;

	fprintf(out, "%s\n", title);
	json_object_foreach(obj, k, v)
		fprintf(out, "  %-20s %8" JSON_INTEGER_FORMAT "\n", k,
		    json_integer_value(v));
}

enum tl_err
tl_present_stats(FILE *out, const json_t *o, int json)
{
	if (json)
		return json_line(out, o, JSON_PRETTY);
	fprintf(out, "tips %" JSON_INTEGER_FORMAT "\n", json_integer_value(
	    json_object_get(o, "total")));
	stats_block(out, "by priority", json_object_get(o, "by_priority"));
	stats_block(out, "by concern", json_object_get(o, "by_concern"));
	stats_block(out, "by day (UTC)", json_object_get(o, "by_day"));
	return TL_OK;
}
