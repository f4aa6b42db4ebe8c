/*
 * app.c — routing and the small routes of tipline.fcgi (SPEC 4): the form
 * page, health, metrics, the stylesheet, 301/404/405. Submissions are in
 * intake.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "commitq.h"
#include "followup.h"
#include "intake.h"
#include "page.h"
#include "seal.h"
#include "token.h"
#include "watch.h"

#define CSS_MAX	(256 * 1024)	/* bytes of the stylesheet */

struct tl_app {
	const struct tl_config	*cfg;
	struct tl_pages		*pages;
	struct tl_site		 site;
	uint8_t			 form_key[TL_FORM_KEYBYTES];
	uint8_t			 staff_pk[TL_SEAL_KEYBYTES];
	uint8_t			 idem_hash_key[TL_SEAL_HASHKEYBYTES];
	uint8_t			 body_hash_key[TL_SEAL_HASHKEYBYTES];
	struct tl_buf		 css;		/* the stylesheet */
	struct tl_commitq	*commitq;	/* group commit of tips */
	struct tl_followup	*followup;	/* SPEC 13 */
	struct tl_buf		 form[TL_MAX_LANGS]; /* the empty form in
					   each language, rendered once */
	size_t			 form_token_at[TL_MAX_LANGS]; /* where its
					   token goes */
	struct tl_intake_counts	 counts;
	struct tl_intake	 intake;	/* what submissions see of it */
};

/*
 * Renders the empty form once, with a stand-in token of a real token's
 * length that no escaping changes, and finds where the stand-in went.
 * Returns 0, or -1 if out of memory or the stand-in is not there once.
 */
static int
render_form(struct tl_app *app, size_t lang)
{
	struct tl_buf		*form = &app->form[lang];
	char			 standin[TL_TOKEN_LEN + 1];
	struct tl_form_view	 v;
	const char		*p, *found = NULL;

	memset(standin, '~', TL_TOKEN_LEN);
	standin[TL_TOKEN_LEN] = '\0';
	memset(&v, 0, sizeof(v));
	v.token = standin;
	tl_page_form(app->pages, lang, &v, form);
	if (!tl_buf_ok(form))
		return -1;
	for (p = form->data; (p = strstr(p, standin)) != NULL;
	    p += TL_TOKEN_LEN) {
		if (found != NULL)
			return -1;
		found = p;
	}
	if (found == NULL)
		return -1;
	app->form_token_at[lang] = (size_t)(found - form->data);
	return 0;
}

/* Follow-up (SPEC 13): slots for new tips' derivations, one for every
 * two cores (1 to 8), so a flood of tips leaves the cores mostly to
 * storing them; those past the slots' pace are stored without a code. */
static enum tl_err
followup_new(struct tl_app *app, char *err, size_t errlen)
{
	struct tl_followup_cfg	 fc;
	long			 ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(&fc, 0, sizeof(fc));
	fc.on = app->cfg->followup;
	fc.concurrency = app->cfg->followup_concurrency;
	fc.tip_slots = ncpu < 2 ? 1 : ncpu > 16 ? 8 : (int)(ncpu / 2);
	fc.pages = app->pages;
	fc.form_key = app->form_key;
	fc.staff_pk = app->staff_pk;
	fc.idem_hash_key = app->idem_hash_key;
	fc.remember = app->cfg->test_followup_remember;
	fc.fail_slots = app->cfg->test_followup_fail_slots;
	if (tl_followup_new(&fc, &app->followup) != TL_OK) {
		snprintf(err, errlen, "follow-up: out of memory");
		return TL_ENOMEM;
	}
	return TL_OK;
}

enum tl_err
tl_app_new(const struct tl_config *cfg, struct tl_app **out, char *err,
    size_t errlen)
{
	struct tl_app	*app;
	char		 path[4096];
	enum tl_err	 rc;
	size_t		 i;

	if ((app = calloc(1, sizeof(*app))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return TL_ENOMEM;
	}
	app->cfg = cfg;
	app->site.org_name = cfg->org_name;
	app->site.emergency_phone = cfg->emergency_phone;
	app->site.non_emergency_phone = cfg->non_emergency_phone;
	app->site.base_path = cfg->base_path;
	app->site.textphone = cfg->textphone;
	app->site.languages = cfg->languages;
	app->site.phone_knows_ref = cfg->phone_knows_ref;
	if ((app->commitq = tl_commitq_new(cfg->database)) == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = TL_ENOMEM;
		goto fail;
	}
	rc = TL_ECONFIG;
	if (tl_token_read_key(cfg->form_key_file, app->form_key, err,
	    errlen) != TL_OK)
		goto fail;
	/* Never a tip unsealed: no public key, no start. */
	if ((rc = tl_seal_public_read(cfg->staff_public_key_file,
	    app->staff_pk, err, errlen)) != TL_OK) {
		rc = TL_ECONFIG;
		goto fail;
	}
	tl_seal_hash_key(app->form_key, TL_SEAL_HASH_IDEM, app->idem_hash_key);
	tl_seal_hash_key(app->form_key, TL_SEAL_HASH_BODY, app->body_hash_key);
	if ((rc = tl_pages_load(cfg->templates, &app->site, &app->pages,
	    err, errlen)) != TL_OK)
		goto fail;
	for (i = 0; i < tl_pages_nlangs(app->pages); i++)
		if (render_form(app, i) == -1) {
			snprintf(err, errlen, "%s/form.html: the form cannot "
			    "be rendered with its token", cfg->templates);
			rc = TL_ECONFIG;
			goto fail;
		}
	snprintf(path, sizeof(path), "%s/static/tipline.css", cfg->templates);
	if ((rc = tl_buf_read_file(&app->css, path, CSS_MAX, err, errlen)) !=
	    TL_OK)
		goto fail;
	app->intake.pages = app->pages;
	app->intake.form_key = app->form_key;
	app->intake.staff_pk = app->staff_pk;
	app->intake.idem_hash_key = app->idem_hash_key;
	app->intake.body_hash_key = app->body_hash_key;
	app->intake.form_min_seconds = cfg->form_min_seconds;
	app->intake.form_max_age = cfg->form_max_age;
	if ((rc = followup_new(app, err, errlen)) != TL_OK)
		goto fail;
	app->intake.commitq = app->commitq;
	app->intake.counts = &app->counts;
	app->intake.followup = app->followup;
	*out = app;
	return TL_OK;
fail:
	tl_app_free(app);
	return rc;
}

void
tl_app_idle(struct tl_app *app)
{
	tl_commitq_idle(app->commitq);
}

void
tl_app_free(struct tl_app *app)
{
	size_t	 i;

	if (app == NULL)
		return;
	tl_followup_free(app->followup);
	tl_pages_free(app->pages);
	tl_commitq_free(app->commitq);
	for (i = 0; i < TL_MAX_LANGS; i++)
		tl_buf_free(&app->form[i]);
	tl_buf_free(&app->css);
	sodium_memzero(app->form_key, sizeof(app->form_key));
	sodium_memzero(app->idem_hash_key, sizeof(app->idem_hash_key));
	sodium_memzero(app->body_hash_key, sizeof(app->body_hash_key));
	free(app);
}

/* GET of the form: the page rendered at start-up with a fresh token put
 * in place of its stand-in, so a GET renders nothing. */
static void
form_page(struct tl_app *app, size_t lang, const struct tl_request *req,
    struct tl_response *res)
{
	char			 token[TL_TOKEN_STRSIZE];

	tl_response_start(res, 200, "text/html; charset=utf-8");
	tl_buf_add(&res->body, app->form[lang].data, app->form[lang].len);
	if (!tl_buf_ok(&res->body))
		return;
	tl_token_issue(app->form_key, (uint64_t)req->now, 0, token);
	memcpy(res->body.data + app->form_token_at[lang], token,
	    TL_TOKEN_LEN);
}

static void
healthz(struct tl_store *store, struct tl_response *res)
{
	int	 ok = store != NULL && tl_store_health(store) == TL_OK;

	tl_response_start(res, ok ? 200 : 503, "text/plain; charset=utf-8");
	tl_buf_puts(&res->body, ok ? "ok\n" : "store unavailable\n");
}

/* SPEC 15: what says tips are not reaching staff (lib/watch.h). With a
 * webhook configured and no heartbeat ever, the age is +Inf. */
static void
metrics_watch(struct tl_app *app, struct tl_store *store, struct tl_buf *b)
{
	struct tl_watch	 w;

	if (tl_watch_read(store, (int64_t)time(NULL), &w) != TL_OK)
		return;
	if (w.heartbeat_age >= 0 || tl_config_has_webhook(app->cfg)) {
		tl_buf_puts(b, "# HELP tipline_notifier_heartbeat_age_seconds "
		    "Seconds since tipline-notify last recorded a heartbeat."
		    "\n# TYPE tipline_notifier_heartbeat_age_seconds gauge\n");
		if (w.heartbeat_age >= 0)
			tl_buf_printf(b, "tipline_notifier_heartbeat_age_seconds"
			    " %lld\n", (long long)w.heartbeat_age);
		else
			tl_buf_puts(b, "tipline_notifier_heartbeat_age_seconds"
			    " +Inf\n");
	}
	tl_buf_printf(b, "# HELP tipline_oldest_pending_seconds Age of the "
	    "oldest pending delivery (0: none).\n"
	    "# TYPE tipline_oldest_pending_seconds gauge\n"
	    "tipline_oldest_pending_seconds{priority=\"urgent\"} %lld\n"
	    "tipline_oldest_pending_seconds{priority=\"normal\"} %lld\n"
	    "# HELP tipline_dead_unacknowledged Dead deliveries nobody has "
	    "acknowledged (tiplinectl deliveries --ack).\n"
	    "# TYPE tipline_dead_unacknowledged gauge\n"
	    "tipline_dead_unacknowledged %lld\n",
	    (long long)w.oldest_pending[TL_PRIO_URGENT],
	    (long long)w.oldest_pending[TL_PRIO_NORMAL],
	    (long long)w.dead_unacked);
}

/* SPEC 13: codes given and attempts, since this process started. */
static void
followup_metrics(struct tl_app *app, struct tl_buf *b)
{
	struct tl_followup_stats fs;

	tl_followup_stats(app->followup, &fs);
	tl_buf_printf(b, "# HELP tipline_followup_codes_total New tips by "
	    "whether they got a follow-up code.\n"
	    "# TYPE tipline_followup_codes_total counter\n"
	    "tipline_followup_codes_total{outcome=\"granted\"} %lu\n"
	    "tipline_followup_codes_total{outcome=\"busy\"} %lu\n"
	    "# HELP tipline_followup_attempts_total Follow-up requests by "
	    "outcome.\n# TYPE tipline_followup_attempts_total counter\n"
	    "tipline_followup_attempts_total{outcome=\"opened\"} %lu\n"
	    "tipline_followup_attempts_total{outcome=\"failed\"} %lu\n"
	    "tipline_followup_attempts_total{outcome=\"limited\"} %lu\n"
	    "tipline_followup_attempts_total{outcome=\"busy\"} %lu\n"
	    "# HELP tipline_followup_messages_total Messages senders added."
	    "\n# TYPE tipline_followup_messages_total counter\n"
	    "tipline_followup_messages_total %lu\n", fs.granted, fs.busy,
	    fs.opened, fs.failed, fs.limited, fs.full, fs.added);
}

static void
metrics(struct tl_app *app, struct tl_store *store, struct tl_response *res)
{
	static const char *const dv[3] = { "ok", "retry", "dead" };
	struct tl_commitq_stats cs;
	int64_t		 counts[TL_OUT__MAX];
	struct tl_buf	*b = &res->body;
	int		 i;

	tl_response_start(res, 200,
	    "text/plain; version=0.0.4; charset=utf-8");
	tl_buf_puts(b, "# HELP tipline_submissions_total Submissions by "
	    "outcome, since this process started.\n"
	    "# TYPE tipline_submissions_total counter\n");
	for (i = 0; i < TL_OC__MAX; i++)
		tl_buf_printf(b, "tipline_submissions_total{outcome=\"%s\"} "
		    "%lu\n", tl_outcome_name((enum tl_outcome)i),
		    atomic_load(&app->counts.outcomes[i]));
	tl_buf_puts(b, "# HELP tipline_accepted_total Accepted tips by "
	    "priority, since this process started.\n"
	    "# TYPE tipline_accepted_total counter\n");
	tl_buf_printf(b, "tipline_accepted_total{priority=\"urgent\"} %lu\n"
	    "tipline_accepted_total{priority=\"normal\"} %lu\n",
	    atomic_load(&app->counts.accepted[TL_PRIO_URGENT]),
	    atomic_load(&app->counts.accepted[TL_PRIO_NORMAL]));
	followup_metrics(app, b);
	tl_commitq_stats(app->commitq, &cs);
	tl_buf_printf(b, "# HELP tipline_commits_total Transactions of the "
	    "group commit, each with one fsync.\n"
	    "# TYPE tipline_commits_total counter\n"
	    "tipline_commits_total %llu\n"
	    "# HELP tipline_commit_tips_total Submissions in those "
	    "transactions (stored, or refused as duplicates).\n"
	    "# TYPE tipline_commit_tips_total counter\n"
	    "tipline_commit_tips_total %llu\n"
	    "# HELP tipline_commit_seconds_total Time those transactions "
	    "took (inserts, write, fsync).\n"
	    "# TYPE tipline_commit_seconds_total counter\n"
	    "tipline_commit_seconds_total %llu.%06llu\n",
	    cs.commits, cs.tips, cs.usec / 1000000, cs.usec % 1000000);
	if (store == NULL || tl_store_outbox_counts(store, counts) != TL_OK)
		return;
	tl_buf_puts(b, "# HELP tipline_outbox Deliveries in the store by "
	    "state.\n# TYPE tipline_outbox gauge\n");
	for (i = 0; i < TL_OUT__MAX; i++)
		tl_buf_printf(b, "tipline_outbox{state=\"%s\"} %lld\n",
		    tl_outbox_state_name(i), (long long)counts[i]);
	if (tl_store_outcomes(store, counts) != TL_OK)
		return;
	tl_buf_puts(b, "# HELP tipline_deliveries_total Delivery attempts by "
	    "outcome.\n# TYPE tipline_deliveries_total counter\n");
	for (i = 0; i < 3; i++)
		tl_buf_printf(b, "tipline_deliveries_total{outcome=\"%s\"} "
		    "%lld\n", dv[i], (long long)counts[i]);
	metrics_watch(app, store, b);
}

static int
is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* 405 with the methods the path allows. */
static void
not_allowed(struct tl_app *app, size_t lang, struct tl_response *res,
    const char *allow)
{
	tl_page_error_answer(app->pages, lang, res, 405, "405");
	tl_buf_printf(&res->headers, "Allow: %s\r\n", allow);
}

static void
not_found(struct tl_app *app, size_t lang, struct tl_response *res)
{
	tl_page_error_answer(app->pages, lang, res, 404, "404");
}

/* The form's path, GET and POST, in language lang. */
static void
form_route(struct tl_app *app, size_t lang, struct tl_store *store,
    const struct tl_request *req, struct tl_response *res)
{
	if (is(req->method, "GET") || is(req->method, "HEAD"))
		form_page(app, lang, req, res);
	else if (is(req->method, "POST"))
		tl_intake_form(&app->intake, lang, store, req, res);
	else
		not_allowed(app, lang, res, "GET, HEAD, POST");
}

/*
 * The follow-up routes (SPEC 13) below base_path, the pages in language
 * lang (sub starts with "/"): 1 when sub is one of them and was
 * answered, else 0.
 */
static int
followup_route(struct tl_app *app, size_t lang, struct tl_store *store,
    const struct tl_request *req, const char *sub, struct tl_response *res)
{
	int	 post = is(req->method, "POST");

	if (strcmp(sub, "/follow-up") == 0) {
		if (is(req->method, "GET") || is(req->method, "HEAD"))
			tl_followup_page(app->followup, lang, req, res);
		else if (post)
			tl_followup_open(app->followup, lang, store, req, res);
		else
			not_allowed(app, lang, res, "GET, HEAD, POST");
	} else if (strcmp(sub, "/follow-up/add") == 0 ||
	    strcmp(sub, "/follow-up/end") == 0) {
		if (!post)
			not_allowed(app, lang, res, "POST");
		else if (sub[11] == 'a')
			tl_followup_add(app->followup, lang, store, req, res);
		else
			tl_followup_end(app->followup, lang, store, req, res);
	} else if (lang == 0 && (strcmp(sub, "/api/v1/follow-up") == 0 ||
	    strcmp(sub, "/api/v1/follow-up/messages") == 0)) {
		if (!post)
			not_allowed(app, 0, res, "POST");
		else if (sub[17] == '\0')
			tl_followup_api_read(app->followup, store, req, res);
		else
			tl_followup_api_add(app->followup, store, req, res);
	} else
		return 0;
	return 1;
}

/* 301 to location (a path this program built). */
static void
moved(struct tl_response *res, const char *location)
{
	tl_response_start(res, 301, "text/plain; charset=utf-8");
	tl_buf_printf(&res->headers, "Location: %s/\r\n", location);
	tl_buf_puts(&res->body, "Moved\n");
}

/*
 * The language a path below base_path names (rel starts with "/"): 0, the
 * first, unless rel starts with "/CODE/" or is "/CODE" for another; *sub
 * is then what follows the code. Returns the language's index.
 */
static size_t
path_lang(struct tl_app *app, const char *rel, const char **sub)
{
	size_t	 n = strcspn(rel + 1, "/");
	int	 i;

	*sub = rel;
	if ((i = tl_pages_lang_find(app->pages, rel + 1, n)) <= 0)
		return 0;
	*sub = rel + 1 + n;
	return (size_t)i;
}

/* Routes a path below base_path (rel starts with "/"). */
static void
route(struct tl_app *app, struct tl_store *store,
    const struct tl_request *req, const char *rel, struct tl_response *res)
{
	int		 get = is(req->method, "GET") || is(req->method, "HEAD");
	const char	*sub;
	size_t		 lang = path_lang(app, rel, &sub);
	char		 to[512];

	if (lang > 0) {		/* {base_path}/CODE/: the pages */
		if (*sub == '\0') {
			snprintf(to, sizeof(to), "%s/%s",
			    app->cfg->base_path, tl_pages_lang_code(app->pages,
			    lang));
			moved(res, to);
		} else if (strcmp(sub, "/") == 0)
			form_route(app, lang, store, req, res);
		else if (!followup_route(app, lang, store, req, sub, res))
			not_found(app, lang, res);
	} else if (strcmp(rel, "/") == 0)
		form_route(app, 0, store, req, res);
	else if (followup_route(app, 0, store, req, rel, res))
		;
	else if (strcmp(rel, "/api/v1/tips") == 0) {
		if (is(req->method, "POST"))
			tl_intake_api(&app->intake, store, req, res);
		else
			not_allowed(app, 0, res, "POST");
	} else if (strcmp(rel, "/healthz") == 0 ||
	    strcmp(rel, "/metrics") == 0 ||
	    strcmp(rel, "/static/tipline.css") == 0) {
		if (!get)
			not_allowed(app, 0, res, "GET, HEAD");
		else if (rel[1] == 'h')
			healthz(store, res);
		else if (rel[1] == 'm')
			metrics(app, store, res);
		else {
			tl_response_start(res, 200,
			    "text/css; charset=utf-8");
			tl_buf_add(&res->body, app->css.data, app->css.len);
		}
	} else
		not_found(app, 0, res);
}

void
tl_app_handle(struct tl_app *app, struct tl_store *store,
    const struct tl_request *req, struct tl_response *res)
{
	const char	*path = req->path != NULL ? req->path : "";
	size_t		 blen = strlen(app->cfg->base_path);

	if (strncmp(path, app->cfg->base_path, blen) != 0)
		not_found(app, 0, res);
	else if (path[blen] == '\0' && blen > 0)
		moved(res, app->cfg->base_path);
	else if (path[blen] != '/')
		not_found(app, 0, res);
	else
		route(app, store, req, path + blen, res);
	tl_response_finish(res, is(req->method, "HEAD"));
}
