/*
 * desk_pages.c — the desk's HTML and CSV (see desk_pages.h). Text
 * staff read goes through tl_text_visible() with tl_buf_html as its
 * escaper; everything else through tl_buf_html_str(). The layout around
 * each page is templates/staff/layout.html (desk_routes.c).
 */
#include <stdio.h>
#include <string.h>

#include "desk_pages.h"
#include "entity.h"
#include "report.h"
#include "text.h"

/* The JSON string at key of o, or NULL. */
static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void
h(struct tl_buf *b, const char *s)
{
	tl_buf_html_str(b, s != NULL ? s : "");
}

/* Text a person (or a colleague) wrote: escaped, markers shown. */
static void
visible(struct tl_buf *b, const char *s)
{
	tl_text_visible(b, s, tl_buf_html);
}

void
tl_desk_url(struct tl_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char	 c;

	for (; s != NULL && *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~@", c) != NULL)
			tl_buf_putc(b, (char)c);
		else {
			tl_buf_putc(b, '%');
			tl_buf_putc(b, hex[c >> 4]);
			tl_buf_putc(b, hex[c & 15]);
		}
	}
}

/* "child_at_risk" as "Child at risk", escaped: a name may come from a
 * store (a state, a concern, an entity's kind), and every store is read
 * as hostile (SPEC 16). */
static void
label(struct tl_buf *b, const char *name)
{
	const char	*p;
	char		 c;

	for (p = name != NULL ? name : ""; *p != '\0'; p++) {
		c = p == name && *p >= 'a' && *p <= 'z' ?
		    (char)(*p - 'a' + 'A') : *p == '_' ? ' ' : *p;
		tl_buf_html(b, &c, 1);
	}
}

/* The hidden csrf field of every form. */
static void
csrf(struct tl_buf *b, const struct tl_desk_view *v)
{
	tl_buf_puts(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
	h(b, v->csrf);
	tl_buf_puts(b, "\">\n");
}

static void
tip_link(struct tl_buf *b, const struct tl_desk_view *v, const char *ref)
{
	tl_buf_puts(b, "<a href=\"");
	h(b, v->base);
	tl_buf_puts(b, "/tips/");
	tl_desk_url(b, ref);
	tl_buf_puts(b, "\">");
	h(b, ref);
	tl_buf_puts(b, "</a>");
}

static void
entity_link(struct tl_buf *b, const struct tl_desk_view *v,
    const char *kind, const char *value)
{
	tl_buf_puts(b, "<a href=\"");
	h(b, v->base);
	tl_buf_puts(b, "/entities/");
	tl_desk_url(b, kind);
	tl_buf_putc(b, '/');
	tl_desk_url(b, value);
	tl_buf_puts(b, "\">");
	visible(b, value);
	tl_buf_puts(b, "</a>");
}

/* The priority as a tag: "Urgent" stands out on every surface. */
static void
priority_tag(struct tl_buf *b, const char *p)
{
	if (p != NULL && strcmp(p, "urgent") == 0)
		tl_buf_puts(b, "<strong class=\"tag tag--urgent\">Urgent"
		    "</strong>");
	else
		tl_buf_puts(b, "<span class=\"tag\">Normal</span>");
}

static void
state_name(struct tl_buf *b, const char *s)
{
	if (s == NULL)
		return;
	label(b, s);
}

/* The JSON array a of strings joined with ", ". */
static void
joined(struct tl_buf *b, json_t *a)
{
	size_t	 i;
	json_t	*s;

	json_array_foreach(a, i, s) {
		if (i > 0)
			tl_buf_puts(b, ", ");
		label(b, json_string_value(s) != NULL ? json_string_value(s) :
		    "");
	}
}

/* A table of tip rows (the queue's, search's and entity pages'). */
static void
rows_table(struct tl_buf *b, const struct tl_desk_view *v, const char *caption,
    json_t *rows)
{
	size_t	 i;
	json_t	*r;

	if (json_array_size(rows) == 0) {
		tl_buf_puts(b, "<p>No tips.</p>\n");
		return;
	}
	tl_buf_puts(b, "<table class=\"table\">\n<caption class=\"table__"
	    "caption\">");
	h(b, caption);
	tl_buf_puts(b, "</caption>\n<thead><tr><th scope=\"col\">Reference"
	    "</th><th scope=\"col\">Received</th><th scope=\"col\">Priority"
	    "</th><th scope=\"col\">State</th><th scope=\"col\">Assigned to"
	    "</th><th scope=\"col\">Concerns</th><th scope=\"col\">Area</th>"
	    "<th scope=\"col\">First words</th></tr></thead>\n<tbody>\n");
	json_array_foreach(rows, i, r) {
		tl_buf_puts(b, "<tr><th scope=\"row\">");
		tip_link(b, v, str(r, "ref"));
		if (json_is_true(json_object_get(r, "updated")))
			tl_buf_puts(b, " <strong class=\"tag tag--new\">"
			    "New information</strong>");
		if (json_is_true(json_object_get(r, "changed")) ||
		    !json_is_null(json_object_get(r, "fault")))
			tl_buf_puts(b, " <strong class=\"tag tag--warn\">"
			    "Check</strong>");
		tl_buf_puts(b, "</th><td>");
		h(b, str(r, "received_at"));
		tl_buf_puts(b, "</td><td>");
		priority_tag(b, str(r, "priority"));
		tl_buf_puts(b, "</td><td>");
		state_name(b, str(r, "state"));
		tl_buf_puts(b, "</td><td>");
		h(b, str(r, "assignee") != NULL ? str(r, "assignee") : "–");
		tl_buf_puts(b, "</td><td>");
		joined(b, json_object_get(r, "concerns"));
		tl_buf_puts(b, "</td><td>");
		visible(b, str(r, "area") != NULL ? str(r, "area") : "–");
		tl_buf_puts(b, "</td><td>");
		visible(b, str(r, "excerpt"));
		tl_buf_puts(b, "</td></tr>\n");
	}
	tl_buf_puts(b, "</tbody>\n</table>\n");
}

/* A <select> of a filter: name, label, the choices, the current one. */
static void
select_filter(struct tl_buf *b, const char *name, const char *lbl,
    const char *const *choices, const char *cur)
{
	size_t	 i;

	tl_buf_printf(b, "<div class=\"filter\"><label class=\"label\" "
	    "for=\"f-%s\">%s</label>\n<select class=\"select\" id=\"f-%s\" "
	    "name=\"%s\">\n<option value=\"\">Any</option>\n", name, lbl, name,
	    name);
	for (i = 0; choices[i] != NULL; i++) {
		tl_buf_puts(b, "<option value=\"");
		h(b, choices[i]);
		tl_buf_puts(b, "\"");
		if (cur != NULL && strcmp(cur, choices[i]) == 0)
			tl_buf_puts(b, " selected");
		tl_buf_puts(b, ">");
		label(b, choices[i]);
		tl_buf_puts(b, "</option>\n");
	}
	tl_buf_puts(b, "</select></div>\n");
}

static void
text_filter(struct tl_buf *b, const char *name, const char *lbl,
    const char *cur)
{
	tl_buf_printf(b, "<div class=\"filter\"><label class=\"label\" "
	    "for=\"f-%s\">%s</label>\n<input class=\"input input--width-10\" "
	    "id=\"f-%s\" name=\"%s\" value=\"", name, lbl, name, name);
	h(b, cur);
	tl_buf_puts(b, "\"></div>\n");
}

/* The filter's query string for page n into b. */
static void
page_link(struct tl_buf *b, const struct tl_desk_view *v,
    const struct tl_desk_filter *f, size_t n, const char *text)
{
	const char *const vals[] = { f->state, f->priority, f->concern,
	    f->area, f->assignee, f->grade };
	const char *const names[] = { "state", "priority", "concern", "area",
	    "assignee", "grade" };
	size_t	 i;

	tl_buf_puts(b, "<a class=\"pagination__link\" href=\"");
	h(b, v->base);
	tl_buf_printf(b, "/?page=%zu", n + 1);
	for (i = 0; i < 6; i++)
		if (vals[i] != NULL && *vals[i] != '\0') {
			tl_buf_printf(b, "&amp;%s=", names[i]);
			tl_desk_url(b, vals[i]);
		}
	tl_buf_printf(b, "\">%s</a>\n", text);
}

void
tl_desk_html_queue(struct tl_buf *b, const struct tl_desk_view *v,
    const struct tl_desk_filter *f, json_t *rows, int more)
{
	static const char *const states[] = { "new", "in_review", "actioned",
	    "closed", NULL };
	static const char *const prios[] = { "urgent", "normal", NULL };
	const char	*concerns[16];
	size_t		 i;

	for (i = 0; i < 15 && tl_fields[TL_F_CONCERNS].choices[i].value !=
	    NULL; i++)
		concerns[i] = tl_fields[TL_F_CONCERNS].choices[i].value;
	concerns[i] = NULL;
	tl_buf_puts(b, "<h1 class=\"heading-l\">Tips</h1>\n"
	    "<p>Urgent tips not yet actioned or closed come first, then the "
	    "newest.</p>\n<form class=\"filters\" method=\"get\" action=\"");
	h(b, v->base);
	tl_buf_puts(b, "/\">\n<fieldset class=\"fieldset\"><legend class=\""
	    "legend\">Filter the queue</legend>\n<div class=\"filters__row\">"
	    "\n");
	select_filter(b, "state", "State", states, f->state);
	select_filter(b, "priority", "Priority", prios, f->priority);
	select_filter(b, "concern", "Concern", concerns, f->concern);
	text_filter(b, "area", "Area", f->area);
	text_filter(b, "assignee", "Assigned to", f->assignee);
	text_filter(b, "grade", "Grade", f->grade);
	tl_buf_puts(b, "</div>\n<button class=\"button\" type=\"submit\">"
	    "Filter</button>\n</fieldset>\n</form>\n");
	tl_buf_printf(b, "<p>Page %zu.</p>\n", f->page + 1);
	rows_table(b, v, "Tips in the queue", rows);
	tl_buf_puts(b, "<nav class=\"pagination\" aria-label=\"Pages\">\n");
	if (f->page > 0)
		page_link(b, v, f, f->page - 1, "Previous page");
	if (more)
		page_link(b, v, f, f->page + 1, "Next page");
	tl_buf_puts(b, "</nav>\n");
}

/* One row of a summary list: key and value, both already HTML. */
static void
summary_row(struct tl_buf *b, const char *key, const char *html)
{
	tl_buf_puts(b, "<div class=\"summary-list__row\"><dt class=\""
	    "summary-list__key\">");
	tl_buf_puts(b, key);
	tl_buf_puts(b, "</dt><dd class=\"summary-list__value\">");
	tl_buf_puts(b, html);
	tl_buf_puts(b, "</dd></div>\n");
}

/* The tip's own facts and every field it holds, in the field table's
 * order. */
static void
tip_fields(struct tl_buf *b, json_t *t)
{
	struct tl_buf	 v = TL_BUF_INIT, k = TL_BUF_INIT;
	json_t		*g, *val;
	size_t		 i;

	tl_buf_puts(b, "<dl class=\"summary-list\">\n");
	tl_buf_puts(&v, "");
	h(&v, str(t, "received_at"));
	summary_row(b, "Received", v.data);
	tl_buf_reset(&v);
	priority_tag(&v, str(t, "priority"));
	summary_row(b, "Priority", v.data);
	tl_buf_reset(&v);
	state_name(&v, str(t, "state"));
	summary_row(b, "State", v.data);
	tl_buf_reset(&v);
	h(&v, str(t, "assignee") != NULL ? str(t, "assignee") : "Nobody");
	summary_row(b, "Assigned to", v.data);
	tl_buf_reset(&v);
	g = json_object_get(t, "grade");
	if (json_is_object(g)) {
		h(&v, str(g, "source"));
		h(&v, str(g, "intelligence"));
		h(&v, str(g, "handling"));
	} else
		tl_buf_puts(&v, "Not graded");
	summary_row(b, "Grade", v.data);
	for (i = 0; i < TL_F__MAX; i++) {
		tl_buf_reset(&v);
		tl_buf_reset(&k);
		tl_buf_puts(&v, "");
		val = json_object_get(t, tl_fields[i].name);
		if (json_is_array(val) && json_array_size(val) > 0 &&
		    i == TL_F_CONCERNS)
			joined(&v, val);
		else if (json_is_array(val) && json_array_size(val) > 0) {
			size_t	 j;
			json_t	*p;

			json_array_foreach(val, j, p) {
				if (j > 0)
					tl_buf_puts(&v, "<br>");
				visible(&v, json_string_value(p));
			}
		} else if (json_is_string(val)) {
			tl_buf_puts(&v, "<span class=\"written\">");
			visible(&v, json_string_value(val));
			tl_buf_puts(&v, "</span>");
		} else
			tl_buf_puts(&v, "<span class=\"hint\">Not given</span>");
		label(&k, tl_fields[i].name);
		summary_row(b, k.data, v.data);
	}
	tl_buf_puts(b, "</dl>\n");
	if (!tl_buf_ok(&v) || !tl_buf_ok(&k))
		b->oom = 1;
	tl_buf_free(&v);
	tl_buf_free(&k);
}

/* Tips linked by a shared entity, and the entities this one holds. */
static void
tip_links(struct tl_buf *b, const struct tl_desk_view *v, json_t *t)
{
	json_t	*a = json_object_get(t, "linked"), *r;
	size_t	 i;

	tl_buf_puts(b, "<h2 class=\"heading-m\" id=\"linked\">Linked tips"
	    "</h2>\n");
	if (json_array_size(a) == 0)
		tl_buf_puts(b, "<p>No other tip shares a phone number, vehicle,"
		    " postcode or handle with this one.</p>\n");
	else {
		tl_buf_puts(b, "<table class=\"table\">\n<caption class=\""
		    "visually-hidden\">Tips sharing something with this one"
		    "</caption>\n<thead><tr><th scope=\"col\">Reference</th>"
		    "<th scope=\"col\">Shares</th><th scope=\"col\">Received"
		    "</th><th scope=\"col\">Priority</th><th scope=\"col\">"
		    "State</th></tr></thead>\n<tbody>\n");
		json_array_foreach(a, i, r) {
			tl_buf_puts(b, "<tr><th scope=\"row\">");
			tip_link(b, v, str(r, "ref"));
			tl_buf_puts(b, "</th><td>");
			label(b, str(r, "kind"));
			tl_buf_puts(b, " ");
			entity_link(b, v, str(r, "kind"), str(r, "value"));
			tl_buf_puts(b, "</td><td>");
			h(b, str(r, "received_at"));
			tl_buf_puts(b, "</td><td>");
			priority_tag(b, str(r, "priority"));
			tl_buf_puts(b, "</td><td>");
			state_name(b, str(r, "state"));
			tl_buf_puts(b, "</td></tr>\n");
		}
		tl_buf_puts(b, "</tbody>\n</table>\n");
	}
	a = json_object_get(t, "entities");
	if (json_array_size(a) == 0)
		return;
	tl_buf_puts(b, "<h3 class=\"heading-s\">Found in this tip</h3>\n"
	    "<ul class=\"list\">\n");
	json_array_foreach(a, i, r) {
		tl_buf_puts(b, "<li>");
		label(b, str(r, "kind"));
		tl_buf_puts(b, ": ");
		entity_link(b, v, str(r, "kind"), str(r, "value"));
		if (strcmp(str(r, "kind") != NULL ? str(r, "kind") : "",
		    "partial") == 0)
			tl_buf_puts(b, " (a partial number: searchable, never "
			    "a link)");
		tl_buf_puts(b, "</li>\n");
	}
	tl_buf_puts(b, "</ul>\n");
}

/* The start of a POST form to the tip's action. */
static void
form_start(struct tl_buf *b, const struct tl_desk_view *v, const char *ref,
    const char *action)
{
	tl_buf_puts(b, "<form class=\"action\" method=\"post\" action=\"");
	h(b, v->base);
	tl_buf_puts(b, "/tips/");
	tl_desk_url(b, ref);
	tl_buf_printf(b, "/%s\">\n", action);
	csrf(b, v);
}

/* Radios for one choice: name, the values, the current one. */
static void
radios(struct tl_buf *b, const char *name, const char *legend,
    const char *const *values, const char *const *labels, const char *cur)
{
	size_t	 i;

	tl_buf_printf(b, "<fieldset class=\"fieldset form-group\"><legend "
	    "class=\"legend\">%s</legend>\n", legend);
	for (i = 0; values[i] != NULL; i++) {
		tl_buf_printf(b, "<div class=\"choice\"><input class=\"choice__"
		    "input\" type=\"radio\" id=\"%s-", name);
		h(b, values[i]);
		tl_buf_printf(b, "\" name=\"%s\" value=\"", name);
		h(b, values[i]);
		tl_buf_printf(b, "\"%s><label class=\"choice__label\" for=\"%s-",
		    cur != NULL && strcmp(cur, values[i]) == 0 ? " checked" :
		    "", name);
		h(b, values[i]);
		tl_buf_puts(b, "\">");
		h(b, labels[i]);
		tl_buf_puts(b, "</label></div>\n");
	}
	tl_buf_puts(b, "</fieldset>\n");
}

static void
tip_forms(struct tl_buf *b, const struct tl_desk_view *v, json_t *t)
{
	static const char *const states[] = { "new", "in_review", "actioned",
	    "closed", NULL };
	static const char *const state_labels[] = { "New", "In review",
	    "Actioned", "Closed", NULL };
	static const char *const src[] = { "1", "2", "3", NULL };
	static const char *const src_l[] = { "1 – reliable", "2 – untested",
	    "3 – not reliable", NULL };
	static const char *const intel[] = { "A", "B", "C", "D", "E", NULL };
	static const char *const intel_l[] = { "A – known directly",
	    "B – known indirectly, corroborated", "C – known indirectly",
	    "D – not known", "E – suspected false", NULL };
	static const char *const hand[] = { "P", "C", NULL };
	static const char *const hand_l[] = { "P – lawful sharing permitted",
	    "C – lawful sharing with conditions", NULL };
	const char	*ref = str(t, "ref");
	json_t		*g = json_object_get(t, "grade");

	tl_buf_puts(b, "<h2 class=\"heading-m\" id=\"act\">Act on this tip"
	    "</h2>\n<div class=\"actions\">\n");
	form_start(b, v, ref, "state");
	radios(b, "state", "State", states, state_labels, str(t, "state"));
	tl_buf_puts(b, "<div class=\"form-group\"><label class=\"label\" "
	    "for=\"state-note\">Note (optional)</label>\n<textarea class=\""
	    "textarea\" id=\"state-note\" name=\"note\" rows=\"2\"></textarea>"
	    "</div>\n<button class=\"button\" type=\"submit\">Change state"
	    "</button>\n</form>\n");
	form_start(b, v, ref, "assign");
	tl_buf_puts(b, "<div class=\"form-group\"><label class=\"label\" "
	    "for=\"assign-to\">Assign to</label>\n<p class=\"hint\" id=\""
	    "assign-hint\">A staff name; leave empty to unassign.</p>\n<input "
	    "class=\"input input--width-10\" id=\"assign-to\" name=\"to\" "
	    "aria-describedby=\"assign-hint\" autocomplete=\"off\" value=\"");
	h(b, str(t, "assignee"));
	tl_buf_puts(b, "\"></div>\n<button class=\"button\" type=\"submit\">"
	    "Assign</button>\n</form>\n");
	form_start(b, v, ref, "notes");
	tl_buf_puts(b, "<div class=\"form-group\"><label class=\"label\" "
	    "for=\"note-text\">Add a note</label>\n<textarea class=\"textarea\""
	    " id=\"note-text\" name=\"text\" rows=\"4\" required></textarea>"
	    "</div>\n<button class=\"button\" type=\"submit\">Add note"
	    "</button>\n</form>\n");
	form_start(b, v, ref, "grade");
	radios(b, "source", "Source", src, src_l, json_is_object(g) ?
	    str(g, "source") : NULL);
	radios(b, "intelligence", "Intelligence", intel, intel_l,
	    json_is_object(g) ? str(g, "intelligence") : NULL);
	radios(b, "handling", "Handling", hand, hand_l, json_is_object(g) ?
	    str(g, "handling") : NULL);
	tl_buf_puts(b, "<button class=\"button\" type=\"submit\">Grade"
	    "</button>\n</form>\n</div>\n");
}

/* The conversation with the sender (SPEC 13), oldest first, and the
 * form to ask a question while it is open. */
static void
tip_conversation(struct tl_buf *b, const struct tl_desk_view *v, json_t *t)
{
	const char	*state = str(t, "follow_up"), *by;
	json_t		*a = json_object_get(t, "messages"), *m;
	size_t		 i;
	int		 staff;

	tl_buf_puts(b, "<h2 class=\"heading-m\" id=\"conversation\">"
	    "Conversation with the sender</h2>\n");
	if (json_array_size(a) == 0)
		tl_buf_puts(b, "<p>No messages yet.</p>\n");
	json_array_foreach(a, i, m) {
		staff = strcmp(str(m, "from") != NULL ? str(m, "from") : "",
		    "staff") == 0;
		by = str(m, "by");
		tl_buf_printf(b, "<div class=\"note message message--%s\">"
		    "<p class=\"note__meta\">", staff ? "staff" : "sender");
		if (staff && by != NULL) {
			tl_buf_puts(b, "Staff (");
			h(b, by);
			tl_buf_puts(b, ")");
		} else
			tl_buf_puts(b, staff ? "Staff" : "Sender");
		tl_buf_puts(b, ", ");
		h(b, str(m, "at"));
		tl_buf_puts(b, "</p>");
		if (str(m, "text") != NULL) {
			tl_buf_puts(b, "<p class=\"written\">");
			visible(b, str(m, "text"));
			tl_buf_puts(b, "</p>");
		} else
			tl_buf_puts(b, "<p class=\"warning\"><strong>This "
			    "message did not open</strong> (it was changed in "
			    "the intake store, or the desk holds no key to open"
			    " it). None of it is shown. Tell the admin.</p>");
		tl_buf_puts(b, "</div>\n");
	}
	if (state != NULL && strcmp(state, "ended") == 0) {
		tl_buf_puts(b, "<p>The sender ended the conversation");
		if (str(t, "follow_up_ended_at") != NULL) {
			tl_buf_puts(b, " on ");
			h(b, str(t, "follow_up_ended_at"));
		}
		tl_buf_puts(b, ": no question can reach them now.</p>\n");
		return;
	}
	if (state == NULL || strcmp(state, "open") != 0) {
		tl_buf_puts(b, "<p>The sender did not get a follow-up code for "
		    "this tip, so no question can reach them.</p>\n");
		return;
	}
	form_start(b, v, str(t, "ref"), "messages");
	tl_buf_puts(b, "<div class=\"form-group\"><label class=\"label\" "
	    "for=\"message-text\">Ask the sender a question</label>\n<p "
	    "class=\"hint\" id=\"message-hint\">They read it only when they "
	    "come back with their reference and follow-up code. Up to 2000 "
	    "characters. Never ask for their name, address or phone number."
	    "</p>\n<textarea class=\"textarea\" id=\"message-text\" name=\""
	    "text\" rows=\"4\" maxlength=\"2000\" required aria-describedby="
	    "\"message-hint\"></textarea></div>\n<button class=\"button\" "
	    "type=\"submit\">Send question</button>\n</form>\n");
}

/* Notes, state history and who has viewed the tip. */
static void
tip_record(struct tl_buf *b, json_t *t)
{
	json_t	*a, *r;
	size_t	 i;

	tl_buf_puts(b, "<h2 class=\"heading-m\" id=\"notes\">Notes</h2>\n");
	a = json_object_get(t, "notes");
	if (json_array_size(a) == 0)
		tl_buf_puts(b, "<p>No notes yet.</p>\n");
	json_array_foreach(a, i, r) {
		tl_buf_puts(b, "<div class=\"note\"><p class=\"note__meta\">");
		h(b, str(r, "author"));
		tl_buf_puts(b, ", ");
		h(b, str(r, "at"));
		tl_buf_puts(b, "</p><p class=\"written\">");
		visible(b, str(r, "text"));
		tl_buf_puts(b, "</p></div>\n");
	}
	tl_buf_puts(b, "<h2 class=\"heading-m\" id=\"history\">History</h2>\n");
	a = json_object_get(t, "history");
	if (json_array_size(a) == 0)
		tl_buf_puts(b, "<p>The state has not changed since the tip "
		    "came in.</p>\n");
	else
		tl_buf_puts(b, "<table class=\"table\"><caption class=\""
		    "visually-hidden\">State history</caption>\n<thead><tr>"
		    "<th scope=\"col\">When</th><th scope=\"col\">Who</th>"
		    "<th scope=\"col\">From</th><th scope=\"col\">To</th>"
		    "<th scope=\"col\">Note</th></tr></thead>\n<tbody>\n");
	json_array_foreach(a, i, r) {
		tl_buf_puts(b, "<tr><td>");
		h(b, str(r, "at"));
		tl_buf_puts(b, "</td><td>");
		h(b, str(r, "author"));
		tl_buf_puts(b, "</td><td>");
		state_name(b, str(r, "from"));
		tl_buf_puts(b, "</td><td>");
		state_name(b, str(r, "to"));
		tl_buf_puts(b, "</td><td class=\"written\">");
		visible(b, str(r, "note"));
		tl_buf_puts(b, "</td></tr>\n");
	}
	if (json_array_size(a) > 0)
		tl_buf_puts(b, "</tbody>\n</table>\n");
	tl_buf_puts(b, "<h2 class=\"heading-m\" id=\"viewers\">Who has viewed "
	    "it</h2>\n<ul class=\"list\">\n");
	json_array_foreach(json_object_get(t, "viewers"), i, r) {
		tl_buf_puts(b, "<li>");
		h(b, str(r, "who"));
		tl_buf_puts(b, ", last ");
		h(b, str(r, "at"));
		tl_buf_printf(b, " (%lld times)</li>\n", (long long)
		    json_integer_value(json_object_get(r, "count")));
	}
	tl_buf_puts(b, "</ul>\n");
}

void
tl_desk_html_tip(struct tl_buf *b, const struct tl_desk_view *v, json_t *t)
{
	tl_buf_puts(b, "<h1 class=\"heading-l\">Tip <span class=\"ref\">");
	h(b, str(t, "ref"));
	tl_buf_puts(b, "</span> ");
	priority_tag(b, str(t, "priority"));
	tl_buf_puts(b, "</h1>\n<p><a href=\"");
	h(b, v->base);
	tl_buf_puts(b, "/tips/");
	tl_desk_url(b, str(t, "ref"));
	tl_buf_puts(b, ".json\">This tip as JSON</a></p>\n");
	if (json_is_string(json_object_get(t, "fault"))) {
		tl_buf_puts(b, "<div class=\"warning\" role=\"alert\"><strong>"
		    "This tip's sealed content did not open</strong> (the staff"
		    " key does not match, or the intake row was altered). None "
		    "of what the sender wrote is shown. Tell the admin. Why: ");
		h(b, str(t, "fault"));
		tl_buf_puts(b, ".</div>\n");
	}
	if (json_is_true(json_object_get(t, "changed")))
		tl_buf_puts(b, "<div class=\"warning\" role=\"alert\"><strong>"
		    "This tip's intake row changed after it was taken in."
		    "</strong> The desk shows what it first received; the "
		    "change was not applied. Tell the admin."
		    "</div>\n");
	tip_fields(b, t);
	tip_conversation(b, v, t);
	tip_links(b, v, t);
	tip_forms(b, v, t);
	tip_record(b, t);
}

void
tl_desk_html_search(struct tl_buf *b, const struct tl_desk_view *v,
    const char *q, json_t *rows)
{
	tl_buf_puts(b, "<h1 class=\"heading-l\">Search</h1>\n<form method=\""
	    "get\" action=\"");
	h(b, v->base);
	tl_buf_puts(b, "/search\" role=\"search\">\n<div class=\"form-group\">"
	    "<label class=\"label\" for=\"q\">Words, a phone number, a vehicle"
	    " registration, a postcode or a handle</label>\n<input class=\""
	    "input\" id=\"q\" name=\"q\" type=\"search\" value=\"");
	h(b, q);
	tl_buf_puts(b, "\"></div>\n<button class=\"button\" type=\"submit\">"
	    "Search</button>\n</form>\n");
	if (q != NULL && *q != '\0')
		rows_table(b, v, "Tips found, newest first", rows);
}

void
tl_desk_html_entity(struct tl_buf *b, const struct tl_desk_view *v,
    const char *kind, const char *value, json_t *rows)
{
	tl_buf_puts(b, "<h1 class=\"heading-l\">");
	label(b, kind);
	tl_buf_puts(b, " ");
	visible(b, value);
	tl_buf_puts(b, "</h1>\n");
	rows_table(b, v, "Every tip that mentions it, newest first", rows);
}

/* One stats table from an array of [key, count]. */
static void
stats_table(struct tl_buf *b, const char *caption, const char *col,
    json_t *a)
{
	json_t	*r;
	size_t	 i;

	tl_buf_printf(b, "<table class=\"table table--narrow\"><caption class="
	    "\"table__caption\">%s</caption>\n<thead><tr><th scope=\"col\">%s"
	    "</th><th scope=\"col\" class=\"num\">Tips</th></tr></thead>\n"
	    "<tbody>\n", caption, col);
	json_array_foreach(a, i, r) {
		tl_buf_puts(b, "<tr><td>");
		visible(b, json_string_value(json_array_get(r, 0)));
		tl_buf_printf(b, "</td><td class=\"num\">%lld</td></tr>\n",
		    (long long)json_integer_value(json_array_get(r, 1)));
	}
	tl_buf_puts(b, "</tbody>\n</table>\n");
}

/* A median in seconds as "1 h 5 min", or "–". */
static void
duration(struct tl_buf *b, json_t *v)
{
	long long	 s = json_integer_value(v);

	if (!json_is_integer(v))
		tl_buf_puts(b, "–");
	else if (s >= 3600)
		tl_buf_printf(b, "%lld h %lld min", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		tl_buf_printf(b, "%lld min %lld s", s / 60, s % 60);
	else
		tl_buf_printf(b, "%lld s", s);
}

void
tl_desk_html_stats(struct tl_buf *b, const struct tl_desk_view *v,
    json_t *s)
{
	static const char *const prio[] = { "urgent", "normal" };
	json_t	*m = json_object_get(s, "median_seconds"), *p;
	size_t	 i;

	tl_buf_puts(b, "<h1 class=\"heading-l\">Statistics</h1>\n<p><a href=\"");
	h(b, v->base);
	tl_buf_puts(b, "/stats.csv\">Download these figures as CSV</a></p>\n"
	    "<table class=\"table table--narrow\"><caption class=\"table__"
	    "caption\">Median time from receipt</caption>\n<thead><tr><th "
	    "scope=\"col\">Priority</th><th scope=\"col\">To first opening"
	    "</th><th scope=\"col\">To actioned or closed</th></tr></thead>\n"
	    "<tbody>\n");
	for (i = 0; i < 2; i++) {
		p = json_object_get(m, prio[i]);
		tl_buf_printf(b, "<tr><th scope=\"row\">%s</th><td>",
		    i == 0 ? "Urgent" : "Normal");
		duration(b, json_object_get(p, "to_first_opening"));
		tl_buf_puts(b, "</td><td>");
		duration(b, json_object_get(p, "to_action"));
		tl_buf_puts(b, "</td></tr>\n");
	}
	tl_buf_puts(b, "</tbody>\n</table>\n<div class=\"stats\">\n");
	stats_table(b, "By state", "State", json_object_get(s, "by_state"));
	stats_table(b, "By priority", "Priority",
	    json_object_get(s, "by_priority"));
	stats_table(b, "By concern", "Concern",
	    json_object_get(s, "by_concern"));
	stats_table(b, "By area", "Area", json_object_get(s, "by_area"));
	stats_table(b, "By day (UTC)", "Day", json_object_get(s, "by_day"));
	tl_buf_puts(b, "</div>\n");
}

/* One CSV field, always quoted; a leading = + - @ is made inert for
 * spreadsheets (the intake store is hostile input). */
static void
csv_field(struct tl_buf *b, const char *s)
{
	tl_buf_putc(b, '"');
	if (s != NULL && strchr("=+-@\t\r", *s) != NULL && *s != '\0')
		tl_buf_putc(b, '\'');
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '"')
			tl_buf_putc(b, '"');
		tl_buf_putc(b, *s);
	}
	tl_buf_putc(b, '"');
}

void
tl_desk_csv_stats(struct tl_buf *b, json_t *s)
{
	static const char *const sections[] = { "by_state", "by_priority",
	    "by_concern", "by_area", "by_day" };
	static const char *const prio[] = { "urgent", "normal" };
	json_t	*r, *p;
	size_t	 i, j;

	tl_buf_puts(b, "section,key,value\r\n");
	for (i = 0; i < 5; i++)
		json_array_foreach(json_object_get(s, sections[i]), j, r) {
			tl_buf_printf(b, "%s,", sections[i]);
			csv_field(b, json_string_value(json_array_get(r, 0)));
			tl_buf_printf(b, ",%lld\r\n", (long long)
			    json_integer_value(json_array_get(r, 1)));
		}
	for (i = 0; i < 2; i++) {
		p = json_object_get(json_object_get(s, "median_seconds"),
		    prio[i]);
		for (j = 0; j < 2; j++) {
			r = json_object_get(p, j == 0 ? "to_first_opening" :
			    "to_action");
			tl_buf_printf(b, "median_seconds,%s_%s,", prio[i],
			    j == 0 ? "to_first_opening" : "to_action");
			if (json_is_integer(r))
				tl_buf_printf(b, "%lld", (long long)
				    json_integer_value(r));
			tl_buf_puts(b, "\r\n");
		}
	}
}
