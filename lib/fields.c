/*
 * fields.c — the table of the report's fields (SPEC 5.1). See report.h.
 */
#include <string.h>

#include "report.h"

static const struct tl_choice concerns[] = {
	{ "dealing", "Drug dealing or a \"deal line\" phone number",
	    "dealing" },
	{ "cuckooing", "Someone's home taken over by dealers (cuckooing)",
	    "cuckooing" },
	{ "child_exploitation",
	    "Children or young people used to carry drugs or cash",
	    "child exploitation" },
	{ "weapons", "Weapons (knives, guns or others)", "weapons" },
	{ "other", "Something else", "other" },
	{ NULL, NULL, NULL }
};

static const struct tl_choice when[] = {
	{ "now", "It is happening now", "now" },
	{ "today", "Today", "today" },
	{ "this_week", "This week", "this week" },
	{ "this_month", "This month", "this month" },
	{ "earlier", "Longer ago", "earlier" },
	{ "ongoing", "It keeps happening", "ongoing" },
	{ NULL, NULL, NULL }
};

static const struct tl_choice yesno[] = {
	{ "yes", "Yes", "yes" },
	{ "no", "No", "no" },
	{ "unsure", "Not sure", "not sure" },
	{ NULL, NULL, NULL }
};

const struct tl_fielddef tl_fields[TL_F__MAX] = {
	[TL_F_CONCERNS] = { "concerns", TL_K_MULTI, 1, 1, 5, concerns,
	    "What is it about?", "Select all that apply.", 0, NULL, NULL,
	    .column = "concerns",
	    .required_msg = "Please choose at least one thing your report is "
	    "about. If you are not sure, choose \"Something else\"." },
	[TL_F_DESCRIPTION] = { "description", TL_K_TEXT, 1, 20, 5000, NULL,
	    "What is happening?",
	    "Tell us what you have seen or heard, in your own words. "
	    "Do not include your own name or details.", 8, NULL, "off",
	    .column = NULL,
	    .required_msg = "Please tell us what is happening, in your own "
	    "words." },
	[TL_F_LOCATION] = { "location", TL_K_TEXT, 1, 3, 300, NULL,
	    "Where is it happening?",
	    "An address, street, landmark or area.", 0, NULL, "off",
	    .column = NULL,
	    .required_msg = "Please tell us where it is happening: an "
	    "address, street, landmark or area." },
	[TL_F_POSTCODE] = { "postcode", TL_K_POSTCODE, 0, 0, 8, NULL,
	    "Postcode (optional)",
	    "The full postcode, or just the first part, for example SO14.",
	    0, "text", "off",
	    .column = NULL },
	[TL_F_WHEN] = { "when", TL_K_CHOICE, 0, 0, 0, when,
	    "When did it happen? (optional)", NULL, 0, NULL, NULL,
	    .column = "when",
	    .urgent_if = "now", .urgent_because = "happening_now" },
	[TL_F_TIMES] = { "times", TL_K_TEXT, 0, 0, 300, NULL,
	    "Days or times it happens (optional)",
	    "For example: most evenings after 6pm.", 0, NULL, "off",
	    .column = NULL },
	[TL_F_PEOPLE] = { "people", TL_K_TEXT, 0, 0, 2000, NULL,
	    "People involved (optional)",
	    "Descriptions, names or nicknames.", 4, NULL, "off",
	    .column = NULL },
	[TL_F_VEHICLES] = { "vehicles", TL_K_TEXT, 0, 0, 1000, NULL,
	    "Vehicles (optional)",
	    "Make, model, colour, registration.", 3, NULL, "off",
	    .column = NULL },
	[TL_F_PHONES] = { "phones", TL_K_PHONES, 0, 0, TL_MAX_PHONES, NULL,
	    "Phone numbers used for dealing (optional)",
	    "Up to 10 numbers, separated by commas or new lines.", 3,
	    "tel", "off",
	    .column = NULL },
	[TL_F_CHILD_AT_RISK] = { "child_at_risk", TL_K_CHOICE, 0, 0, 0,
	    yesno, "Is a child at risk? (optional)", NULL, 0, NULL, NULL,
	    .column = "child_at_risk",
	    .urgent_if = "yes", .urgent_because = "child_at_risk" },
	[TL_F_WEAPONS_SEEN] = { "weapons_seen", TL_K_CHOICE, 0, 0, 0, yesno,
	    "Have you seen weapons? (optional)", NULL, 0, NULL, NULL,
	    .column = "weapons_seen",
	    .urgent_if = "yes", .urgent_because = "weapons_seen" },
	[TL_F_VULNERABLE_ADULT] = { "vulnerable_adult", TL_K_CHOICE, 0, 0, 0,
	    yesno, "Is a vulnerable adult involved? (optional)",
	    "For example someone whose home has been taken over.", 0,
	    NULL, NULL,
	    .column = "vulnerable_adult" },
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
