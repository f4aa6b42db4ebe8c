/*
 * desk_pages.h — the desk's HTML (SPEC 12): the queue, a tip, search and
 * entity results, statistics (and their CSV), each built from the JSON
 * the desk's store gives, every value escaped for HTML and every text a
 * person wrote shown through tl_text_visible() (bidi and invisible
 * characters as markers). No JavaScript; GOV.UK patterns for tables,
 * summary lists and filters.
 */
#ifndef TL_DESK_PAGES_H
#define TL_DESK_PAGES_H

#include <jansson.h>

#include "buf.h"
#include "desk_store.h"

/* What every page of one request shares. */
struct tl_desk_view {
	const char	*base;		/* staff_base_path */
	const char	*user;		/* REMOTE_USER, checked */
	const char	*csrf;		/* a fresh token for this user */
};

/* The queue: filters, table, pages. query: the request's query string
 * for page links (NULL: none). */
void tl_desk_html_queue(struct tl_buf *b, const struct tl_desk_view *v,
	    const struct tl_desk_filter *f, json_t *rows, int more);

/* One tip with its forms. */
void tl_desk_html_tip(struct tl_buf *b, const struct tl_desk_view *v,
	    json_t *tip);

/* Search results for q (NULL: the empty search form). */
void tl_desk_html_search(struct tl_buf *b, const struct tl_desk_view *v,
	    const char *q, json_t *rows);

/* The tips holding one entity. */
void tl_desk_html_entity(struct tl_buf *b, const struct tl_desk_view *v,
	    const char *kind, const char *value, json_t *rows);

void tl_desk_html_stats(struct tl_buf *b, const struct tl_desk_view *v,
	    json_t *stats);
/* The same as CSV: section,key,count lines. */
void tl_desk_csv_stats(struct tl_buf *b, json_t *stats);

/* s as one URL path segment or query value (percent-encoded). */
void tl_desk_url(struct tl_buf *b, const char *s);

#endif
