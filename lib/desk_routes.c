/*
 * desk_routes.c — routing, identity, CSRF and the answers of
 * tipline-staff.fcgi (see desk_app.h). Pages are desk_pages.c's; data is
 * the desk store's. Every view, search, export and change is recorded in
 * the audit log before its answer is sent.
 */
#include <errno.h>
#include <sodium.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desk_admin.h"
#include "desk_app.h"
#include "desk_csrf.h"
#include "desk_ingest.h"
#include "desk_pages.h"
#include "entity.h"
#include "json.h"
#include "ref.h"
#include "seal_staff.h"
#include "tmpl.h"
#include "urlenc.h"

#define MAX_PAIRS	32	/* fields in a query or a desk form */
#define NOTE_MAX	5000	/* characters of a note */
#define QUESTION_MAX	2000	/* characters of a question to the sender */
#define HTML		"text/html; charset=utf-8"
#define CSS_MAX		(256 * 1024)	/* bytes of a stylesheet */

struct tl_desk_app {
	const struct tl_config	*cfg;
	struct tl_tmpl		*layout;
	struct tl_buf		 css[2];	/* tipline.css, staff.css */
	struct tl_seal_mackey	*csrf_key;
	struct tl_seal_secret	*sk;		/* opens the conversation's
						   shared key (SPEC 13) */
};

static const char *const css_names[2] = { "tipline.css", "staff.css" };

static const char *const layout_vars[] = { "title", "org_name", "base",
	"user", "content", NULL };

/* One request as the handlers see it. */
struct ctx {
	struct tl_desk_app		*app;
	struct tl_desk_store		*d;
	const struct tl_request		*req;
	struct tl_response		*res;
	struct tl_desk_view		 v;
	char				 csrf[TL_CSRF_LEN];
	struct tl_pairs			 q;	/* the query's */
	struct tl_pairs			 form;	/* a POST's */
	char				 ref[TL_REF_SIZE];
};

int
tl_desk_name_ok(const char *name)
{
	size_t	 n;

	if (name == NULL)
		return 0;
	n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._@-");
	return n >= 1 && n <= 64 && name[n] == '\0';
}

/* The first value of name in p, or NULL. */
static const char *
param(const struct tl_pairs *p, const char *name)
{
	size_t	 i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return p->v[i].value;
	return NULL;
}

/* Renders content in the layout as the answer, with status. */
static void
page(struct ctx *c, int status, const char *title, struct tl_buf *content)
{
	const struct tl_var vars[] = {
		{ "title", title },
		{ "org_name", c->app->cfg->org_name },
		{ "base", c->app->cfg->staff_base_path },
		{ "user", c->v.user },
		{ "content", content->data != NULL ? content->data : "" },
	};

	tl_response_start(c->res, status, HTML);
	if (!tl_buf_ok(content))
		c->res->body.oom = 1;
	tl_tmpl_render(c->app->layout, vars, sizeof(vars) / sizeof(vars[0]),
	    &c->res->body);
}

/* A page with a heading and one paragraph (both plain text). */
static void
message(struct ctx *c, int status, const char *heading, const char *text)
{
	struct tl_buf	 b = TL_BUF_INIT;

	tl_buf_puts(&b, "<h1 class=\"heading-l\">");
	tl_buf_html_str(&b, heading);
	tl_buf_puts(&b, "</h1>\n<p>");
	tl_buf_html_str(&b, text);
	tl_buf_puts(&b, "</p>\n");
	page(c, status, heading, &b);
	tl_buf_free(&b);
}

static void
store_failed(struct ctx *c, enum tl_err rc)
{
	if (rc == TL_ENOTFOUND)
		message(c, 404, "Not found", "There is no such tip in the desk."
		    " It may have been purged, or not yet taken in from the "
		    "intake store (that takes a few seconds).");
	else if (rc == TL_ENOMEM)
		c->res->body.oom = 1;
	else {
		fprintf(stderr, "tipline-staff.fcgi: store: %s\n",
		    c->d != NULL ? tl_desk_store_errmsg(c->d) : "not open");
		message(c, 503, "The desk's store is not answering",
		    "Nothing was changed. Try again in a minute; if it goes on, "
		    "tell the admin.");
	}
}

/* Records a read in the audit log: 0, or -1 with the answer made (the
 * page is not shown when its reading could not be recorded). */
static int
audit(struct ctx *c, const char *action, const char *ref,
    const char *detail)
{
	enum tl_err	 rc;

	rc = tl_desk_audit(c->d, c->req->now, c->v.user, action, ref,
	    detail);
	if (rc == TL_OK)
		return 0;
	store_failed(c, rc);
	return -1;
}

static void
redirect(struct ctx *c, const char *where)
{
	tl_response_start(c->res, 303, HTML);
	tl_buf_puts(&c->res->headers, "Location: ");
	tl_buf_puts(&c->res->headers, c->app->cfg->staff_base_path);
	tl_buf_puts(&c->res->headers, where);
	tl_buf_puts(&c->res->headers, "\r\n");
	tl_buf_puts(&c->res->body, "<!DOCTYPE html><title>See other</title>"
	    "<p>Done.</p>\n");
}

/* --- reading ---------------------------------------------------------- */

static void
get_queue(struct ctx *c)
{
	struct tl_desk_filter	 f;
	struct tl_buf		 b = TL_BUF_INIT;
	const char		*p = param(&c->q, "page");
	json_t			*rows;
	long			 n = p != NULL ? strtol(p, NULL, 10) : 1;
	int			 more;
	enum tl_err		 rc;

	memset(&f, 0, sizeof(f));
	f.state = param(&c->q, "state");
	f.priority = param(&c->q, "priority");
	f.concern = param(&c->q, "concern");
	f.area = param(&c->q, "area");
	f.assignee = param(&c->q, "assignee");
	f.grade = param(&c->q, "grade");
	f.page = n >= 1 && n <= 100000 ? (size_t)(n - 1) : 0;
	if (audit(c, "queue", NULL, c->req->query) != 0)
		return;
	if ((rc = tl_desk_queue(c->d, &f, &rows, &more)) != TL_OK) {
		store_failed(c, rc);
		return;
	}
	tl_desk_html_queue(&b, &c->v, &f, rows, more);
	page(c, 200, "Tips", &b);
	json_decref(rows);
	tl_buf_free(&b);
}

static void
get_tip(struct ctx *c, int as_json)
{
	struct tl_buf	 b = TL_BUF_INIT;
	json_t		*t;
	char		*s;
	int		 opened;
	enum tl_err	 rc;

	/* Only a person opening the page counts as opening the tip: never
	 * the JSON, a HEAD, nor an <img> or fetch from another site. */
	opened = !as_json && c->req->method != NULL &&
	    strcmp(c->req->method, "GET") == 0 &&
	    tl_csrf_person_opened(c->req->sec_fetch_site,
	    c->req->sec_fetch_mode, c->req->origin);
	if ((rc = tl_desk_viewed(c->d, c->ref, c->v.user, c->req->now,
	    as_json ? "view_json" : "view", opened)) != TL_OK ||
	    (rc = tl_desk_tip(c->d, c->ref, &t)) != TL_OK) {
		store_failed(c, rc);
		return;
	}
	if (as_json) {
		tl_response_start(c->res, 200, "application/json");
		if ((s = tl_json_dumps(t, JSON_COMPACT)) == NULL)
			c->res->body.oom = 1;
		else
			tl_buf_puts(&c->res->body, s);
		free(s);
	} else {
		tl_desk_html_tip(&b, &c->v, t);
		page(c, 200, c->ref, &b);
	}
	json_decref(t);
	tl_buf_free(&b);
}

static void
get_search(struct ctx *c)
{
	struct tl_buf	 b = TL_BUF_INIT;
	const char	*q = param(&c->q, "q");
	json_t		*rows = NULL;
	enum tl_err	 rc;

	if (q != NULL && *q != '\0') {
		if (audit(c, "search", NULL, q) != 0)
			return;
		if ((rc = tl_desk_search(c->d, q, &rows)) != TL_OK) {
			store_failed(c, rc);
			return;
		}
	}
	tl_desk_html_search(&b, &c->v, q, rows);
	page(c, 200, "Search", &b);
	json_decref(rows);
	tl_buf_free(&b);
}

/* GET /entities/{kind}/{value}: rest is "{kind}/{value}". */
static void
get_entity(struct ctx *c, const char *rest)
{
	struct tl_buf	 b = TL_BUF_INIT;
	char		 kind[16], v[TL_ENTITY_MAX];
	const char	*slash = strchr(rest, '/');
	json_t		*rows;
	int		 k;
	enum tl_err	 rc;

	if (slash == NULL || (size_t)(slash - rest) >= sizeof(kind)) {
		message(c, 404, "Not found", "There is no such page.");
		return;
	}
	memcpy(kind, rest, (size_t)(slash - rest));
	kind[slash - rest] = '\0';
	if ((k = tl_entity_kind_parse(kind)) < 0 ||
	    tl_entity_normalise((enum tl_entity_kind)k, slash + 1, v) !=
	    TL_OK) {
		message(c, 404, "Not found", "That is not a phone number, "
		    "vehicle registration, postcode or handle the desk knows.");
		return;
	}
	tl_buf_printf(&b, "%s:%s", kind, v);
	if (audit(c, "entity", NULL, b.data) != 0) {
		tl_buf_free(&b);
		return;
	}
	tl_buf_reset(&b);
	if ((rc = tl_desk_entity_tips(c->d, k, v, &rows)) != TL_OK) {
		store_failed(c, rc);
		tl_buf_free(&b);
		return;
	}
	tl_desk_html_entity(&b, &c->v, kind, v, rows);
	page(c, 200, v, &b);
	json_decref(rows);
	tl_buf_free(&b);
}

static void
get_stats(struct ctx *c, int csv)
{
	struct tl_buf	 b = TL_BUF_INIT;
	json_t		*s;
	enum tl_err	 rc;

	if (audit(c, csv ? "export_stats" : "stats", NULL, NULL) != 0)
		return;
	if ((rc = tl_desk_stats(c->d, &s)) != TL_OK) {
		store_failed(c, rc);
		return;
	}
	if (csv) {
		tl_response_start(c->res, 200, "text/csv; charset=utf-8");
		tl_buf_puts(&c->res->headers, "Content-Disposition: attachment;"
		    " filename=\"tipline-stats.csv\"\r\n");
		tl_desk_csv_stats(&c->res->body, s);
	} else {
		tl_desk_html_stats(&b, &c->v, s);
		page(c, 200, "Statistics", &b);
	}
	json_decref(s);
	tl_buf_free(&b);
}

/* --- changing --------------------------------------------------------- */

/* Code points in s (valid UTF-8). */
static size_t
chars(const char *s)
{
	size_t	 n = 0;

	for (; s != NULL && *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A form's value that is not acceptable: 422, nothing changed. */
static void
invalid(struct ctx *c, const char *why)
{
	message(c, 422, "Nothing was changed", why);
}

static enum tl_err
post_state(struct ctx *c)
{
	int		 to = tl_desk_state_parse(param(&c->form, "state"));
	const char	*note = param(&c->form, "note");

	if (to < 0) {
		invalid(c, "Choose a state: new, in review, actioned or "
		    "closed.");
		return TL_EINVAL;
	}
	if (chars(note) > NOTE_MAX) {
		invalid(c, "A note can be at most 5000 characters.");
		return TL_EINVAL;
	}
	return tl_desk_set_state(c->d, c->ref, c->v.user, c->req->now,
	    (enum tl_desk_state)to, note);
}

static enum tl_err
post_assign(struct ctx *c)
{
	const char	*to = param(&c->form, "to");

	if (to == NULL || (*to != '\0' && !tl_desk_name_ok(to))) {
		invalid(c, "A staff name is 1 to 64 letters, digits and . _ @ -"
		    " (or leave it empty to unassign).");
		return TL_EINVAL;
	}
	return tl_desk_assign(c->d, c->ref, c->v.user, c->req->now, to);
}

static enum tl_err
post_note(struct ctx *c)
{
	const char	*text = param(&c->form, "text");
	size_t		 n = chars(text);

	if (n == 0 || n > NOTE_MAX || strspn(text, " \t\r\n") == strlen(text)) {
		invalid(c, "A note is 1 to 5000 characters.");
		return TL_EINVAL;
	}
	return tl_desk_add_note(c->d, c->ref, c->v.user, c->req->now, text);
}

static enum tl_err
post_grade(struct ctx *c)
{
	enum tl_err	 rc;

	rc = tl_desk_grade(c->d, c->ref, c->v.user, c->req->now,
	    param(&c->form, "source"), param(&c->form, "intelligence"),
	    param(&c->form, "handling"));
	if (rc == TL_EINVAL)
		invalid(c, "Choose a source (1 to 3), an intelligence grade (A "
		    "to E) and a handling code (P or C).");
	return rc;
}

/* A question by the description field's rules (SPEC 5, 13; validate.c)
 * into *text (wipe and free it): NULL, else why not. */
static const char *
question_text(const char *s, char **text)
{
	const char	*code;
	enum tl_err	 rc;

	if (s == NULL)
		s = "";
	rc = tl_text_check(s, strlen(s), 1, QUESTION_MAX, text, &code);
	if (rc == TL_ENOMEM)
		return "";
	if (rc != TL_OK)
		return strcmp(code, "invalid_characters") == 0 ?
		    "A question cannot hold control characters." :
		    "A question to the sender is 1 to 2000 characters.";
	return NULL;
}

/* A form sent twice (a double click, a resend) stores one question: a
 * hash of its csrf token, whose MAC nobody outside the desk can make,
 * and its text. Never the token itself in the intake store. */
static void
question_dedupe(const char *csrf, const char *text, char out[80])
{
	static const uint8_t	 zero[TL_SEAL_HASHKEYBYTES];
	struct tl_buf		 b = TL_BUF_INIT;
	char			 h[TL_SEAL_HASH_HEX];

	tl_buf_printf(&b, "%s\n%s", csrf != NULL ? csrf : "", text);
	tl_seal_keyed_hash(zero, b.data != NULL ? b.data : "", b.len, h);
	snprintf(out, 80, "d:%s", h);
	tl_buf_free(&b);
}

/* POST /tips/{ref}/messages: a question to the sender (SPEC 13). */
static enum tl_err
post_message(struct ctx *c)
{
	char			*text = NULL;
	enum tl_desk_conv	 state;
	uint8_t			 pk[TL_SEAL_KEYBYTES];
	char			 dedupe[80], err[256];
	const char		*why;
	int			 sent;
	enum tl_err		 rc;

	if ((why = question_text(param(&c->form, "text"), &text)) != NULL) {
		if (*why == '\0')
			return TL_ENOMEM;
		invalid(c, why);
		return TL_EINVAL;
	}
	if ((rc = tl_desk_conversation(c->d, c->ref, &state, pk)) != TL_OK)
		goto out;
	if (state != TL_DESK_CONV_OPEN) {
		invalid(c, state == TL_DESK_CONV_ENDED ? "The sender has ended "
		    "the conversation: no question can reach them." : "The "
		    "sender has no follow-up code for this tip, so no question "
		    "can reach them.");
		rc = TL_EINVAL;
		goto out;
	}
	question_dedupe(param(&c->form, "csrf"), text, dedupe);
	rc = tl_desk_ask(c->d, c->app->sk, pk, c->app->cfg->database, c->ref,
	    c->v.user, c->req->now, text, dedupe, &sent, err,
	    sizeof(err));
	if (rc == TL_EDUPLICATE)
		rc = TL_OK;
	else if (rc == TL_ENOTFOUND) {
		invalid(c, "The sender has no follow-up code for this tip, or "
		    "has just ended the conversation: no question can reach "
		    "them.");
		rc = TL_EINVAL;
	} else if (rc != TL_OK && rc != TL_ENOMEM) {
		fprintf(stderr, "tipline-staff.fcgi: question: %s\n", err);
		if (sent)
			message(c, 503, "The question was sent", "The sender "
			    "will see it, but the desk could not record it yet;"
			    " it appears on the tip within a few seconds. Do "
			    "not send it again.");
		else
			message(c, 503, "The question was not sent", "The "
			    "intake store is not answering. Nothing was sent. "
			    "Try again in a minute; if it goes on, tell the "
			    "admin.");
		rc = TL_EINVAL;
	}
out:
	tl_free_wiped(text);
	return rc;
}

static const struct {
	const char	*name;
	enum tl_err	(*fn)(struct ctx *);
} actions[] = {
	{ "state", post_state },
	{ "assign", post_assign },
	{ "notes", post_note },
	{ "grade", post_grade },
	{ "messages", post_message },
};

/* POST /tips/{ref}/{action}: CSRF and origin first; 303 on success. */
static void
post_action(struct ctx *c, const char *action)
{
	const struct tl_request	*r = c->req;
	struct tl_buf		 where = TL_BUF_INIT;
	size_t			 i;
	enum tl_err		 rc;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].name, action) == 0)
			break;
	if (i == sizeof(actions) / sizeof(actions[0])) {
		message(c, 404, "Not found", "There is no such page.");
		return;
	}
	if (!tl_media_is(r->content_type,
	    "application/x-www-form-urlencoded") ||
	    tl_urlenc_parse(r->body, r->body_len, MAX_PAIRS, &c->form) !=
	    TL_OK) {
		message(c, 400, "Bad request", "The form could not be read. "
		    "Nothing was changed.");
		return;
	}
	if (!tl_csrf_same_origin(c->app->cfg->staff_url, r->sec_fetch_site,
	    r->origin) || !tl_csrf_valid(c->app->csrf_key, c->v.user, r->now,
	    param(&c->form, "csrf"))) {
		message(c, 403, "Nothing was changed", "This form was not "
		    "sent from the desk's own page, or it is more than 12 hours"
		    " old. Go back, reload the tip and try again.");
		return;
	}
	if ((rc = actions[i].fn(c)) == TL_EINVAL)
		return;
	if (rc != TL_OK) {
		store_failed(c, rc);
		return;
	}
	tl_buf_printf(&where, "/tips/%s", c->ref);
	redirect(c, where.data != NULL ? where.data : "/");
	tl_buf_free(&where);
}

/* --- routing ---------------------------------------------------------- */

static void
not_allowed(struct ctx *c, const char *allow)
{
	message(c, 405, "Method not allowed", "This page does not take that "
	    "kind of request.");
	tl_buf_printf(&c->res->headers, "Allow: %s\r\n", allow);
}

/* Reads "{ref}" then what follows it in rest into c->ref and *tail:
 * 1, or 0 when it is not a reference. */
static int
tip_ref(struct ctx *c, const char *rest, const char **tail)
{
	char	 r[32];
	size_t	 n = strcspn(rest, "/.");

	if (n == 0 || n >= sizeof(r))
		return 0;
	memcpy(r, rest, n);
	r[n] = '\0';
	*tail = rest + n;
	return tl_ref_parse(r, c->ref) == TL_OK;
}

/* /tips/{ref}, /tips/{ref}.json, /tips/{ref}/{action}. */
static void
route_tip(struct ctx *c, const char *rest, int get, int post)
{
	const char	*tail;

	if (!tip_ref(c, rest, &tail)) {
		message(c, 404, "Not found", "That is not a tip reference.");
		return;
	}
	if (*tail == '\0' || strcmp(tail, ".json") == 0) {
		if (get)
			get_tip(c, *tail != '\0');
		else
			not_allowed(c, "GET, HEAD");
	} else if (*tail == '/' && strchr(tail + 1, '/') == NULL) {
		if (post)
			post_action(c, tail + 1);
		else
			not_allowed(c, "POST");
	} else
		message(c, 404, "Not found", "There is no such page.");
}

/* The routes behind identity; rest is the path after staff_base_path. */
static void
route(struct ctx *c, const char *rest)
{
	const char	*m = c->req->method != NULL ? c->req->method : "";
	int		 get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
	int		 post = strcmp(m, "POST") == 0;

	if (strncmp(rest, "/tips/", 6) == 0) {
		route_tip(c, rest + 6, get, post);
		return;
	}
	if (strcmp(rest, "/") != 0 && strcmp(rest, "/search") != 0 &&
	    strcmp(rest, "/stats") != 0 && strcmp(rest, "/stats.csv") != 0 &&
	    strncmp(rest, "/entities/", 10) != 0) {
		message(c, 404, "Not found", "There is no such page.");
		return;
	}
	if (!get) {
		not_allowed(c, "GET, HEAD");
		return;
	}
	if (c->req->query != NULL && tl_urlenc_parse(c->req->query,
	    strlen(c->req->query), MAX_PAIRS, &c->q) != TL_OK) {
		message(c, 400, "Bad request", "The address could not be read.");
		return;
	}
	if (strcmp(rest, "/") == 0)
		get_queue(c);
	else if (strcmp(rest, "/search") == 0)
		get_search(c);
	else if (strcmp(rest, "/stats") == 0)
		get_stats(c, 0);
	else if (strcmp(rest, "/stats.csv") == 0)
		get_stats(c, 1);
	else
		get_entity(c, rest + 10);
}

/* GET /static/{tipline,staff}.css, /healthz and /metrics (counts
 * only), which need no name: 1 when answered. */
static int
route_open(struct ctx *c, const char *rest)
{
	struct tl_desk_intake	*in = NULL;
	char			 err[256];
	size_t			 i;
	int64_t			 at = 0;
	int			 ok;

	for (i = 0; i < 2; i++)
		if (strncmp(rest, "/static/", 8) == 0 &&
		    strcmp(rest + 8, css_names[i]) == 0) {
			tl_response_start(c->res, 200, "text/css; charset=utf-8");
			tl_buf_add(&c->res->body, c->app->css[i].data,
			    c->app->css[i].len);
			return 1;
		}
	if (strcmp(rest, "/metrics") == 0) {
		tl_response_start(c->res, 200, "text/plain; version=0.0.4; "
		    "charset=utf-8");
		if (c->d == NULL || tl_desk_metrics(c->d, c->req->now,
		    &c->res->body) != TL_OK) {
			tl_response_reset(c->res);
			tl_response_start(c->res, 503, "text/plain; "
			    "charset=utf-8");
			tl_buf_puts(&c->res->body, "unavailable\n");
		}
		return 1;
	}
	if (strcmp(rest, "/healthz") != 0)
		return 0;
	/* Alive means ingest rounds complete (SPEC 16): a heartbeat of the
	 * last minute, which a round stuck on the intake store does not
	 * write. */
	ok = c->d != NULL && tl_desk_heartbeat_at(c->d, &at) == TL_OK &&
	    c->req->now - at <= TL_DESK_STALE_AFTER && tl_desk_intake_open(c->app->cfg->database, &in, err,
	    sizeof(err)) == TL_OK && tl_desk_intake_health(in) == TL_OK;
	tl_desk_intake_close(in);
	tl_response_start(c->res, ok ? 200 : 503, "text/plain; charset=utf-8");
	tl_buf_puts(&c->res->body, ok ? "ok\n" : "unavailable\n");
	return 1;
}

/* No REMOTE_USER, or one the desk refuses: 401 or 403 with what the
 * admin must configure. 1 when answered. */
static int
identity(struct ctx *c)
{
	const char	*u = c->req->remote_user;

	if (u == NULL || *u == '\0') {
		message(c, 401, "Sign-in is not set up", "The desk did not "
		    "receive a staff name. Its nginx server must authenticate "
		    "staff (client certificates from the private CA, or "
		    "auth_basic) and pass the name as the FastCGI parameter "
		    "REMOTE_USER, as deploy/nginx/tipline-staff-server.conf "
		    "does; see tipline-staff.fcgi(8).");
		return 1;
	}
	if (!tl_desk_name_ok(u)) {
		message(c, 403, "This name is not accepted", "A staff name is "
		    "1 to 64 letters, digits and . _ @ -. Ask the admin to "
		    "issue a certificate or login with such a name.");
		return 1;
	}
	c->v.user = u;
	tl_csrf_issue(c->app->csrf_key, u, c->req->now, c->csrf);
	c->v.csrf = c->csrf;
	return 0;
}

void
tl_desk_app_handle(struct tl_desk_app *app, struct tl_desk_store *d,
    const struct tl_request *req, struct tl_response *res)
{
	struct ctx	 c;
	const char	*base = app->cfg->staff_base_path, *path = req->path;
	size_t		 n = strlen(base);

	memset(&c, 0, sizeof(c));
	c.app = app;
	c.d = d;
	c.req = req;
	c.res = res;
	c.v.base = base;
	if (path == NULL || strncmp(path, base, n) != 0 ||
	    (path[n] != '/' && path[n] != '\0'))
		message(&c, 404, "Not found", "There is no such page.");
	else if (path[n] == '\0') {
		tl_response_start(res, 301, HTML);
		tl_buf_printf(&res->headers, "Location: %s/\r\n", base);
	} else if (route_open(&c, path + n))
		;
	else if (identity(&c))
		;
	else if (d == NULL)
		store_failed(&c, TL_ESTORE);
	else
		route(&c, path + n);
	tl_pairs_free(&c.q);
	tl_pairs_free(&c.form);
	tl_response_finish(res, req->method != NULL &&
	    strcmp(req->method, "HEAD") == 0);
}

/* --- the app ---------------------------------------------------------- */

enum tl_err
tl_desk_app_new(const struct tl_config *cfg, struct tl_desk_app **out,
    char *err, size_t errlen)
{
	struct tl_desk_app	*app;
	char			 path[4096];
	size_t			 i;
	enum tl_err		 rc;

	*out = NULL;
	if (cfg->staff_url == NULL) {
		snprintf(err, errlen, "%s: staff_url must be set: the desk "
		    "checks that forms come from its own address", cfg->path);
		return TL_ECONFIG;
	}
	if ((app = calloc(1, sizeof(*app))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return TL_ENOMEM;
	}
	app->cfg = cfg;
	snprintf(path, sizeof(path), "%s/staff/layout.html", cfg->templates);
	if ((rc = tl_tmpl_load(path, layout_vars, &app->layout, err, errlen))
	    != TL_OK)
		goto fail;
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/static/%s", cfg->templates,
		    css_names[i]);
		if ((rc = tl_buf_read_file(&app->css[i], path, CSS_MAX, err,
		    errlen)) != TL_OK)
			goto fail;
	}
	if ((rc = tl_seal_secret_read(cfg->staff_secret_key_file, &app->sk,
	    err, errlen)) != TL_OK)
		goto fail;
	if ((rc = tl_seal_csrf_key(app->sk, &app->csrf_key)) != TL_OK) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	*out = app;
	return TL_OK;
fail:
	tl_desk_app_free(app);
	return rc;
}

void
tl_desk_app_free(struct tl_desk_app *app)
{
	if (app == NULL)
		return;
	tl_tmpl_free(app->layout);
	tl_buf_free(&app->css[0]);
	tl_buf_free(&app->css[1]);
	tl_seal_mackey_free(app->csrf_key);
	tl_seal_secret_free(app->sk);
	free(app);
}
