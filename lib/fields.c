/*
 * fields.c — the table of the report's fields (SPEC 5.1, 14). See
 * report.h. The words the public reads are in the catalogues
 * (templates/lang/LANG.cat, keys derived from each field's name: cat.h);
 * what is here is the rule, and the short names staff read.
 */
#include <string.h>

#include "report.h"

static const struct tl_choice concerns[] = {
	{ "dealing", "Drug dealing", "dealing" },
	{ "cuckooing", "Cuckooing", "cuckooing" },
	{ "child_exploitation", "Child exploitation", "child exploitation" },
	{ "weapons", "Weapons", "weapons" },
	{ "other", "Something else", "other" },
	{ NULL, NULL, NULL }
};

static const struct tl_choice when[] = {
	{ "now", "Happening now", "now" },
	{ "today", "Today", "today" },
	{ "this_week", "This week", "this week" },
	{ "this_month", "This month", "this month" },
	{ "earlier", "Longer ago", "earlier" },
	{ "ongoing", "Ongoing", "ongoing" },
	{ NULL, NULL, NULL }
};

static const struct tl_choice yesno[] = {
	{ "yes", "Yes", "yes" },
	{ "no", "No", "no" },
	{ "unsure", "Not sure", "not sure" },
	{ NULL, NULL, NULL }
};

/* How the person knows (SPEC 14): the source's access, for grading. */
static const struct tl_choice how_known[] = {
	{ "saw", "Saw it", "saw" },
	{ "heard", "Heard it", "heard" },
	{ "told", "Was told", "told" },
	{ "online", "Online", "online" },
	{ "other", "Other", "other" },
	{ NULL, NULL, NULL }
};

static const struct tl_choice reporter[] = {
	{ "public", "Member of the public", "public" },
	{ "professional", "Professional", "professional" },
	{ "parent", "Parent or carer", "parent" },
	{ "young_person", "Young person", "young person" },
	{ "prefer_not", "Prefers not to say", "prefer not" },
	{ NULL, NULL, NULL }
};

const struct tl_fielddef tl_fields[TL_F__MAX] = {
	[TL_F_CONCERNS] = { .name = "concerns", .kind = TL_K_MULTI,
	    .required = 1, .min = 1, .max = 5, .choices = concerns,
	    .label = "Concerns", .hint = 1, .column = "concerns",
	    .required_msg = 1, .summary = 1 },
	[TL_F_DESCRIPTION] = { .name = "description", .kind = TL_K_TEXT,
	    .required = 1, .min = 20, .max = 5000, .label = "Description",
	    .hint = 1, .rows = 8, .autocomplete = "off",
	    .required_msg = 1 },
	[TL_F_LOCATION] = { .name = "location", .kind = TL_K_TEXT,
	    .required = 1, .min = 3, .max = 300, .label = "Location",
	    .hint = 1, .autocomplete = "off",
	    .required_msg = 1 },
	[TL_F_OTHER_ADDRESSES] = { .name = "other_addresses",
	    .kind = TL_K_LIST, .min = 3, .max = 300, .items = 5, .sep = "\n",
	    .label = "Other addresses", .hint = 1, .rows = 3,
	    .autocomplete = "off" },
	[TL_F_POSTCODE] = { .name = "postcode", .kind = TL_K_POSTCODE,
	    .max = 8, .label = "Postcode", .hint = 1, .inputmode = "text",
	    .autocomplete = "off", .summary = 1 },
	[TL_F_WHEN] = { .name = "when", .kind = TL_K_CHOICE, .choices = when,
	    .label = "When", .column = "when", .urgent_if = "now",
	    .urgent_because = "happening_now",
	    .urgent_words = "happening now", .summary = 1 },
	[TL_F_TIMES] = { .name = "times", .kind = TL_K_TEXT, .max = 300,
	    .label = "Days or times", .hint = 1, .autocomplete = "off",
	     },
	[TL_F_PEOPLE] = { .name = "people", .kind = TL_K_TEXT, .max = 2000,
	    .label = "People", .hint = 1, .rows = 4, .autocomplete = "off",
	     },
	[TL_F_VEHICLES] = { .name = "vehicles", .kind = TL_K_TEXT,
	    .max = 1000, .label = "Vehicles", .hint = 1, .rows = 3,
	    .autocomplete = "off" },
	[TL_F_PHONES] = { .name = "phones", .kind = TL_K_PHONES,
	    .max = TL_MAX_PHONES, .label = "Phone numbers", .hint = 1,
	    .rows = 3, .inputmode = "text", .autocomplete = "off",
	     },
	[TL_F_HANDLES] = { .name = "handles", .kind = TL_K_LIST, .min = 2,
	    .max = 200, .items = 10, .sep = ",;\n \t",
	    .item_ok = tl_handle_ok, .label = "Social media", .hint = 1,
	    .rows = 3, .autocomplete = "off" },
	[TL_F_CHILD_AT_RISK] = { .name = "child_at_risk",
	    .kind = TL_K_CHOICE, .choices = yesno, .label = "Child at risk",
	    .column = "child_at_risk", .urgent_if = "yes",
	    .urgent_because = "child_at_risk",
	    .urgent_words = "child at risk", .summary = 1 },
	[TL_F_WEAPONS_SEEN] = { .name = "weapons_seen", .kind = TL_K_CHOICE,
	    .choices = yesno, .label = "Weapons seen",
	    .column = "weapons_seen", .urgent_if = "yes",
	    .urgent_because = "weapons_seen",
	    .urgent_words = "weapons", .summary = 1 },
	[TL_F_VULNERABLE_ADULT] = { .name = "vulnerable_adult",
	    .kind = TL_K_CHOICE, .choices = yesno,
	    .label = "Vulnerable adult", .hint = 1,
	    .column = "vulnerable_adult", .summary = 1 },
	[TL_F_HOW_KNOWN] = { .name = "how_known", .kind = TL_K_CHOICE,
	    .choices = how_known, .label = "How they know" },
	[TL_F_REPORTER] = { .name = "reporter", .kind = TL_K_CHOICE,
	    .choices = reporter, .label = "Who is reporting", .hint = 1 },
};

int
tl_field_find(const char *name, size_t len)
{
	int	 i;

	for (i = 0; i < TL_F__MAX; i++)
		if (strlen(tl_fields[i].name) == len &&
		    memcmp(tl_fields[i].name, name, len) == 0)
			return i;
	return -1;
}

const char *
tl_priority_name(enum tl_priority p)
{
	return p == TL_PRIO_URGENT ? "urgent" : "normal";
}

int
tl_report_urgent_because(const struct tl_report *r, enum tl_field f)
{
	const char	*u = tl_fields[f].urgent_if;

	return u != NULL && r->value[f] != NULL && strcmp(r->value[f], u) == 0;
}
