/*
 * notifier.c — tipline-notify's loop: lease, send, record (SPEC 6).
 *
 * No store transaction is open while a request is in flight: a lease is
 * committed first, the HTTP request made, then the outcome committed. One
 * curl handle is reused so that connections to the receiver are kept.
 */
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "notifier.h"
#include "outbox.h"
#include "seal.h"
#include "secret.h"
#include "watch.h"
#include "webhook.h"

#define BATCH		32
#define LEASE_SLACK_S	5	/* lease = timeout + this (SPEC 6) */

struct tl_notifier {
	const struct tl_config	*cfg;
	struct tl_store		*store;
	CURL			*curl;
	uint8_t			 key[TL_SECRET_MAX];
	size_t			 keylen;
	char			*url;		/* webhook_url(_file); NULL: none */
	int64_t			 beat_at;	/* last heartbeat written */
	char			 owner[64];	/* this process's lease name */
	char			 curlerr[CURL_ERROR_SIZE];
};

/* The result of one HTTP attempt. */
struct attempt {
	long	 status;	/* 0: no answer */
	long	 retry_after;	/* seconds, or -1 */
	char	 error[CURL_ERROR_SIZE + 16]; /* what went wrong, or "" */
};

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* Options that hold for every request: TL_OK, or TL_ECONFIG. */
static enum tl_err
setup_curl(struct tl_notifier *n)
{
	CURL	*c = n->curl;

	if (curl_easy_setopt(c, CURLOPT_URL, n->url) ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
	    n->cfg->webhook_timeout_ms) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "tipline-notify") ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, n->curlerr))
		return TL_ECONFIG;
	return TL_OK;
}

enum tl_err
tl_notifier_new(const struct tl_config *cfg, struct tl_notifier **out,
    char *err, size_t errlen)
{
	struct tl_notifier	*n;
	char			 host[32] = "";

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return TL_ENOMEM;
	}
	n->cfg = cfg;
	gethostname(host, sizeof(host) - 1);
	snprintf(n->owner, sizeof(n->owner), "%s:%ld:%08x", host,
	    (long)getpid(), tl_seal_random_u32());
	if (cfg->webhook_url_file != NULL) {
		if (tl_config_read_url(cfg->webhook_url_file, &n->url, err,
		    errlen) != TL_OK)
			goto out;
	} else if (cfg->webhook_url != NULL &&
	    (n->url = strdup(cfg->webhook_url)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (n->url != NULL && tl_secret_read(cfg->webhook_secret_file,
	    n->key, &n->keylen, err, errlen) != TL_OK)
		goto out;
	if (tl_store_attach(cfg->database, &n->store, err, errlen) != TL_OK)
		goto out;
	/* Outcomes need no fsync each: a lost one is a resend, never a loss
	 * (see tl_store_relax); tips keep theirs in tipline.fcgi. */
	if (tl_store_relax(n->store) != TL_OK) {
		snprintf(err, errlen, "%s", tl_store_errmsg(n->store));
		goto out;
	}
	if ((n->curl = curl_easy_init()) == NULL || setup_curl(n) != TL_OK) {
		snprintf(err, errlen, "cannot set up libcurl");
		goto out;
	}
	*out = n;
	return TL_OK;
out:
	tl_notifier_free(n);
	return TL_ECONFIG;
}

void
tl_notifier_free(struct tl_notifier *n)
{
	if (n == NULL)
		return;
	if (n->curl != NULL)
		curl_easy_cleanup(n->curl);
	tl_store_close(n->store);
	sodium_memzero(n->key, sizeof(n->key));
	if (n->url != NULL) {
		sodium_memzero(n->url, strlen(n->url));
		free(n->url);
	}
	free(n);
}

/*
 * The request's headers into *out, the three of Standard Webhooks signed
 * over body. Returns TL_OK, or TL_ENOMEM with *out NULL when a header
 * could not be added: a request is never sent without its signature.
 */
static enum tl_err
headers(const struct tl_notifier *n, const struct tl_delivery *d,
    const char *body, int64_t now, struct curl_slist **out)
{
	struct curl_slist	*h = NULL, *t;
	char			 line[5][160], sig[TL_SIG_SIZE];
	size_t			 i;

	*out = NULL;
	tl_webhook_sign(n->key, n->keylen, d->webhook_id, now, body,
	    strlen(body), sig);
	snprintf(line[0], sizeof(line[0]), "Content-Type: application/json");
	snprintf(line[1], sizeof(line[1]), "webhook-id: %s", d->webhook_id);
	snprintf(line[2], sizeof(line[2]), "webhook-timestamp: %lld",
	    (long long)now);
	snprintf(line[3], sizeof(line[3]), "webhook-signature: %s", sig);
	snprintf(line[4], sizeof(line[4]), "Expect:");
	for (i = 0; i < 5; i++) {
		if ((t = curl_slist_append(h, line[i])) == NULL) {
			curl_slist_free_all(h);
			return TL_ENOMEM;
		}
		h = t;
	}
	*out = h;
	return TL_OK;
}

/* Sends one signed body; fills a with what happened. Returns TL_OK, or
 * TL_ENOMEM when nothing was sent (the headers could not be built). */
static enum tl_err
send_one(struct tl_notifier *n, const struct tl_delivery *d,
    const char *body, int64_t now, struct attempt *a)
{
	struct curl_slist	*h;
	curl_off_t		 ra = -1;
	CURLcode		 rc;

	memset(a, 0, sizeof(*a));
	a->retry_after = -1;
	if (headers(n, d, body, now, &h) != TL_OK)
		return TL_ENOMEM;
	n->curlerr[0] = '\0';
	curl_easy_setopt(n->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(n->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(n->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	rc = curl_easy_perform(n->curl);
	if (rc != CURLE_OK)
		snprintf(a->error, sizeof(a->error), "%s",
		    n->curlerr[0] != '\0' ? n->curlerr :
		    curl_easy_strerror(rc));
	else {
		curl_easy_getinfo(n->curl, CURLINFO_RESPONSE_CODE, &a->status);
		curl_easy_getinfo(n->curl, CURLINFO_RETRY_AFTER, &ra);
		a->retry_after = ra > 0 ? (long)ra : -1;
		if (a->status < 200 || a->status > 299)
			snprintf(a->error, sizeof(a->error), "HTTP %ld",
			    a->status);
	}
	curl_easy_setopt(n->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	return TL_OK;
}

/* The lease a delivery gets at time now: the timeout and some slack. */
static int64_t
lease_end(const struct tl_notifier *n, int64_t now)
{
	return now + (n->cfg->webhook_timeout_ms + 999) / 1000 +
	    LEASE_SLACK_S;
}

/* What a log line calls d: its tip's ref, or the digest's webhook id. */
static const char *
name(const struct tl_delivery *d)
{
	return d->digest != NULL ? d->webhook_id : d->tip.ref;
}

/* Attempts one leased delivery and records the outcome; *failed is 1 if
 * it was not delivered. Returns TL_OK, or TL_ESTORE if the store failed. */
static enum tl_err
deliver(struct tl_notifier *n, struct tl_delivery *d, int *failed)
{
	struct attempt	 a;
	enum tl_verdict	 v;
	enum tl_err	 rc;
	int64_t		 now = (int64_t)time(NULL), next = now;
	const long	*waits;
	size_t		 nwaits;
	char		*body;

	*failed = 1;
	/* Earlier sends of this batch took time: hold the lease anew. */
	rc = tl_outbox_renew(n->store, d->id, n->owner, now,
	    lease_end(n, now));
	if (rc == TL_ENOTFOUND) {
		fprintf(stderr, "tipline-notify: %s: lease ran out before "
		    "sending; left to the notifier that holds it\n", name(d));
		*failed = 0;
		return TL_OK;
	} else if (rc != TL_OK)
		return TL_ESTORE;
	body = d->digest != NULL ? tl_webhook_digest_body(d->digest,
	    n->cfg->webhook_format, n->cfg->staff_url, now) :
	    d->kind == TL_DELIVERY_REMINDER ? tl_webhook_reminder_body(&d->tip,
	    n->cfg->webhook_format, n->cfg->staff_url, now) :
	    d->kind == TL_DELIVERY_UPDATED ? tl_webhook_updated_body(&d->tip,
	    n->cfg->webhook_format, n->cfg->staff_url, d->created_at, now) :
	    tl_webhook_body_link(&d->tip, n->cfg->webhook_format,
	    n->cfg->summary_excerpt_chars, n->cfg->staff_url, now);
	/* Out of memory: not an attempt; the delivery waits for the next
	 * pass. */
	if (body == NULL || send_one(n, d, body, now, &a) != TL_OK) {
		fprintf(stderr, "tipline-notify: %s: out of memory; not "
		    "sent\n", name(d));
		free(body);
		tl_outbox_release(n->store, d->id, n->owner);
		return TL_OK;
	}
	free(body);
	/* Whole seconds: + 1 so that a wait is never cut short. */
	/* An urgent tip's own schedule (SPEC 17), a digest's never. */
	waits = tl_config_retry_waits(n->cfg, d->digest == NULL &&
	    d->tip.report.priority == TL_PRIO_URGENT, &nwaits);
	v = tl_retry_judge(a.status, a.retry_after, d->attempts + 1,
	    waits, nwaits, tl_seal_random_u32(), (int64_t)time(NULL) + 1,
	    &next);
	if (v != TL_DELIVERED)
		fprintf(stderr, "tipline-notify: %s: %s%s\n", name(d),
		    a.error, v == TL_DEAD ? " (dead)" : " (will retry)");
	rc = tl_outbox_finish(n->store, d->id, n->owner, v, next, a.status,
	    v == TL_DELIVERED ? NULL : a.error, (int64_t)time(NULL));
	if (rc == TL_ENOTFOUND)
		fprintf(stderr, "tipline-notify: %s: lease lost while "
		    "sending; the outcome is left to its holder\n", name(d));
	else if (rc != TL_OK)
		return TL_ESTORE;
	*failed = v != TL_DELIVERED;
	return TL_OK;
}

/* Leases and sends batches until nothing is due or *stop is set; what is
 * left of a batch at a stop is released. */
static enum tl_err
pass(struct tl_notifier *n, volatile sig_atomic_t *stop, size_t *failed)
{
	struct tl_delivery	 d[BATCH];
	size_t			 got, i;
	int64_t			 now;
	enum tl_err		 rc = TL_OK;
	int			 r;

	*failed = 0;
	do {
		now = (int64_t)time(NULL);
		if (tl_outbox_lease(n->store, now, lease_end(n, now),
		    n->cfg->digest_after, n->owner, d, BATCH, &got) != TL_OK)
			return TL_ESTORE;
		for (i = 0; i < got; i++) {
			if (rc != TL_OK || (stop != NULL && *stop))
				tl_outbox_release(n->store, d[i].id,
				    n->owner);
			else if (deliver(n, &d[i], &r) != TL_OK)
				rc = TL_ESTORE;
			else
				*failed += (size_t)r;
			tl_delivery_free(&d[i]);
		}
	} while (got == BATCH && rc == TL_OK && (stop == NULL || !*stop));
	return rc;
}

/* Records the heartbeat when the last is TL_WATCH_BEAT_EVERY old: each
 * is a commit on the lock the form needs, so never one a poll. */
static enum tl_err
beat(struct tl_notifier *n)
{
	int64_t		 now = (int64_t)time(NULL);

	if (n->beat_at != 0 && now - n->beat_at < TL_WATCH_BEAT_EVERY &&
	    now >= n->beat_at)
		return TL_OK;
	if (tl_watch_beat(n->store, now) != TL_OK)
		return TL_ESTORE;
	n->beat_at = now;
	return TL_OK;
}

enum tl_err
tl_notifier_pass(struct tl_notifier *n, size_t *failed)
{
	*failed = 0;
	if (beat(n) != TL_OK)
		return TL_ESTORE;
	if (n->url == NULL)
		return TL_OK;
	return pass(n, NULL, failed);
}

/* Sleeps ms milliseconds, or less when a signal arrives. */
static void
nap(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

enum tl_err
tl_notifier_run(struct tl_notifier *n, volatile sig_atomic_t *stop)
{
	size_t	 failed;
	int	 errors = 0;

	if (n->url == NULL)
		fprintf(stderr, "tipline-notify: no webhook_url: "
		    "notifications stay queued\n");
	while (!*stop) {
		if (beat(n) != TL_OK || (n->url != NULL &&
		    pass(n, stop, &failed) != TL_OK)) {
			fprintf(stderr, "tipline-notify: store: %s\n",
			    tl_store_errmsg(n->store));
			if (++errors == 1000)
				return TL_ESTORE;
		} else
			errors = 0;
		if (!*stop)
			nap(n->cfg->poll_ms);
	}
	return TL_OK;
}
