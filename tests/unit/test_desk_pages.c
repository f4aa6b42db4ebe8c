/*
 * test_desk_pages.c — the desk's HTML (lib/desk_pages.c) escapes every
 * value it prints, names included (SPEC 16): a concern, a state or an
 * entity's kind as a store holds it is hostile input, so markup in one
 * reaches no page as markup. Ingest refuses such rows (desk_ingest.c);
 * this is the second line, for whatever a store holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "desk_pages.h"

#define FORM	"<form action=\"/staff/tips/TL-AAAA-AAAA/state\">"

static const struct tl_desk_view view = { "/staff", "alice", "token" };

/* A row as the queue, search and entity pages get it, or a tip. */
static json_t *
hostile(void)
{
	json_t	*o = json_pack("{s:s,s:s,s:s,s:s,s:[s,s,s],s:s,s:n,s:n,"
	    "s:b,s:b}", "ref", "TL-7K3M-9QXD", "received_at",
	    "2026-01-01T00:00:00Z", "priority", "urgent", "state",
	    "in_review<!--", "concerns", "dealing", FORM, "weapons<!--",
	    "excerpt", "words", "area", "assignee", "updated", 0, "changed",
	    0);

	assert_non_null(o);
	return o;
}

/* Whether page b shows none of the markup as markup. */
static void
assert_inert(struct tl_buf *b)
{
	assert_true(tl_buf_ok(b));
	assert_null(strstr(b->data, "<form action="));
	assert_null(strstr(b->data, "<!--"));
	assert_non_null(strstr(b->data, "&lt;form action=&quot;"));
	tl_buf_free(b);
}

static void
test_rows_escaped(void **state)
{
	struct tl_desk_filter	 f;
	struct tl_buf		 b = TL_BUF_INIT;
	json_t			*rows = json_array();

	(void)state;
	memset(&f, 0, sizeof(f));
	json_array_append_new(rows, hostile());
	tl_desk_html_queue(&b, &view, &f, rows, 0);
	assert_inert(&b);
	tl_desk_html_search(&b, &view, "words", rows);
	assert_inert(&b);
	tl_desk_html_entity(&b, &view, "phone", "+447700900123", rows);
	assert_inert(&b);
	json_decref(rows);
}

static void
test_tip_escaped(void **state)
{
	struct tl_buf	 b = TL_BUF_INIT;
	json_t		*t = hostile();

	(void)state;
	json_object_set_new(t, "linked", json_pack("[{s:s,s:s,s:s,s:s,"
	    "s:s,s:s}]", "ref", "TL-AAAA-AAAA", "kind", FORM, "value", "x",
	    "received_at", "2026-01-01T00:00:00Z", "priority", "normal",
	    "state", "new<!--"));
	json_object_set_new(t, "entities", json_pack("[{s:s,s:s}]", "kind",
	    "<!--", "value", "x"));
	json_object_set_new(t, "fault", json_string(FORM));
	tl_desk_html_tip(&b, &view, t);
	assert_inert(&b);
	json_decref(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_escaped),
		cmocka_unit_test(test_tip_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
