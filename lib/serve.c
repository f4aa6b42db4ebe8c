/*
 * serve.c — the FastCGI life of tipline.fcgi and tipline-staff.fcgi. See
 * serve.h.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

#define SHUTDOWN_WAIT_MS 10000	/* longest wait for requests in flight */
#define KEEP_BYTES	65536	/* largest answer buffer a worker keeps */

struct worker {
	pthread_t		 tid;
	int			 sock;
	const struct tl_serve	*s;
	atomic_int		 done;
};

static atomic_int stopping;

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 301: return "Moved Permanently";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/*
 * Whether the decimal number cl claims more than max bytes. Leading zeros
 * are allowed (nginx passes the header as the client wrote it); the
 * number is read digit by digit and stops counting past max, so no length
 * overflows. Absent, empty or anything but digits claims nothing: the
 * body read is bounded by max either way.
 */
static int
claims_over(const char *cl, size_t max)
{
	size_t	 v = 0, d;

	if (cl == NULL || *cl == '\0' || cl[strspn(cl, "0123456789")] != '\0')
		return 0;
	for (; *cl != '\0'; cl++) {
		d = (size_t)(*cl - '0');
		if (v > (max - d) / 10)
			return 1;
		v = v * 10 + d;
	}
	return 0;
}

/*
 * Reads the body into buf (max + 1 bytes long) until end of input,
 * whatever CONTENT_LENGTH claims; past max bytes sets *too_large and
 * gives 0.
 */
static size_t
read_body(FCGX_Request *r, char *buf, size_t max, int *too_large)
{
	size_t		 len = 0;
	int		 n;

	*too_large = 0;
	if (claims_over(FCGX_GetParam("CONTENT_LENGTH", r->envp), max))
		*too_large = 1;
	while (!*too_large && len <= max) {
		n = FCGX_GetStr(buf + len, (int)(max + 1 - len), r->in);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (len > max)
		*too_large = 1;
	/* What is left of a body too large is read and dropped: on a kept
	 * connection (fastcgi_keep_conn) it would otherwise arrive as the
	 * next request's, and the connection be lost (nginx: 502). nginx
	 * bounds it by client_max_body_size. */
	if (*too_large)
		while (FCGX_GetStr(buf, (int)max, r->in) > 0)
			continue;
	return *too_large ? 0 : len;
}

static void
respond(FCGX_Request *r, const struct tl_serve *s,
    const struct tl_response *res)
{
	FCGX_FPrintF(r->out, "Status: %d %s\r\n", res->status,
	    reason(res->status));
	if (res->headers.len == 0)
		FCGX_FPrintF(r->out, "Cache-Control: no-store\r\n"
		    "X-Content-Type-Options: nosniff\r\n"
		    "Referrer-Policy: no-referrer\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\n",
		    s->unavailable);
	else {
		FCGX_PutStr(res->headers.data, (int)res->headers.len, r->out);
		FCGX_PutS("\r\n", r->out);
		if (res->body.len > 0)
			FCGX_PutStr(res->body.data, (int)res->body.len,
			    r->out);
	}
}

/* The request as nginx passed it: only the parameters the programs read
 * (SPEC 5.5; each program's nginx passes only its own). */
static void
read_request(FCGX_Request *r, struct tl_request *req)
{
	memset(req, 0, sizeof(*req));
	req->method = FCGX_GetParam("REQUEST_METHOD", r->envp);
	req->path = FCGX_GetParam("DOCUMENT_URI", r->envp);
	req->content_type = FCGX_GetParam("CONTENT_TYPE", r->envp);
	req->idem_key = FCGX_GetParam("HTTP_IDEMPOTENCY_KEY", r->envp);
	req->query = FCGX_GetParam("QUERY_STRING", r->envp);
	req->remote_user = FCGX_GetParam("REMOTE_USER", r->envp);
	req->origin = FCGX_GetParam("HTTP_ORIGIN", r->envp);
	req->sec_fetch_site = FCGX_GetParam("HTTP_SEC_FETCH_SITE", r->envp);
	req->sec_fetch_mode = FCGX_GetParam("HTTP_SEC_FETCH_MODE", r->envp);
	req->now = (int64_t)time(NULL);
}

static void
serve_one(const struct tl_serve *s, FCGX_Request *r, void **ctx,
    char *body, struct tl_response *res)
{
	struct tl_request	 req;

	read_request(r, &req);
	req.body = body;
	req.body_len = read_body(r, body, s->max_body, &req.too_large);
	tl_response_reset(res);
	s->handle(s->app, ctx, &req, res);
	respond(r, s, res);
	/* Nothing of the request outlives it (SPEC 11): the body and the
	 * answer, which may echo it, are overwritten. A form sent back with
	 * its errors can be large: do not hold that much in every thread. */
	sodium_memzero(body, req.too_large ? s->max_body + 1 : req.body_len);
	if (res->body.cap > KEEP_BYTES)
		tl_response_free(res);
	else
		tl_response_wipe(res);
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	const struct tl_serve *s = w->s;
	struct tl_response res;	/* its buffers serve every request */
	FCGX_Request	 r;
	void		*ctx = NULL;
	char		*body;

	if ((body = malloc(s->max_body + 1)) == NULL ||
	    FCGX_InitRequest(&r, w->sock, 0) != 0) {
		fprintf(stderr, "%s: out of memory\n", s->name);
		free(body);
		atomic_store(&w->done, 1);
		return NULL;
	}
	tl_response_init(&res);
	for (;;) {
		if (FCGX_Accept_r(&r) < 0) {
			if (atomic_load(&stopping))
				break;
			/* Out of descriptors or the like: breathe, retry. */
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
			continue;
		}
		serve_one(s, &r, &ctx, body, &res);
		FCGX_Finish_r(&r);
	}
	FCGX_Free(&r, 0);
	tl_response_free(&res);
	s->end(ctx);
	free(body);
	atomic_store(&w->done, 1);
	return NULL;
}

/* SIGUSR1 only interrupts a worker's accept(); the flag is set first. */
static void
wake(int sig)
{
	(void)sig;
}

int
tl_serve_socket(const struct tl_serve *s)
{
	struct stat	 st;
	mode_t		 mask;
	int		 fd;

	if (s->listen == NULL) {
		if (fstat(0, &st) == -1 || !S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "%s: no `%s` in %s and fd 0 is not a "
			    "socket\n", s->name, s->listen_key, s->cfg_path);
			return -1;
		}
		return 0;
	}
	/* A socket left by a process that died is stale: replace it. */
	if (lstat(s->listen, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(s->listen);
	if ((fd = FCGX_OpenSocket(s->listen, 128)) < 0) {
		fprintf(stderr, "%s: %s: cannot listen: %s\n", s->name,
		    s->listen, strerror(errno));
		return -1;
	}
	/* FCGX_OpenSocket leaves the mode to chance: the program's, less
	 * the umask (systemd units set UMask=0007: owner and group only). */
	mask = umask(0);
	umask(mask);
	if (chmod(s->listen, s->sock_mode & ~mask) == -1) {
		fprintf(stderr, "%s: %s: %s\n", s->name, s->listen,
		    strerror(errno));
		return -1;
	}
	return fd;
}

/* Stops the workers: no new requests; those in flight finish first. */
static void
stop_workers(struct worker *w, int n)
{
	int	 i, left, waited;

	atomic_store(&stopping, 1);
	FCGX_ShutdownPending();
	for (waited = 0; waited < SHUTDOWN_WAIT_MS; waited += 20) {
		for (i = left = 0; i < n; i++)
			if (!atomic_load(&w[i].done)) {
				pthread_kill(w[i].tid, SIGUSR1);
				left++;
			}
		if (left == 0)
			break;
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	for (i = 0; i < n; i++)
		if (atomic_load(&w[i].done))
			pthread_join(w[i].tid, NULL);
}

int
tl_serve_run(const struct tl_serve *s, int sock)
{
	struct worker		*w;
	struct sigaction	 sa;
	sigset_t		 set;
	int			 i, n, sig, stuck;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wake;	/* no SA_RESTART: accept() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((w = calloc((size_t)s->threads, sizeof(*w))) == NULL)
		return -1;
	for (n = 0; n < s->threads; n++) {
		w[n].sock = sock;
		w[n].s = s;
		if (pthread_create(&w[n].tid, NULL, worker_main, &w[n]) != 0)
			break;
	}
	fprintf(stderr, "%s: serving %s with %d threads\n", s->name,
	    s->listen != NULL ? s->listen : "fd 0", n);
	do
		sigwait(&set, &sig);
	while (sig == SIGHUP);
	fprintf(stderr, "%s: stopping\n", s->name);
	stop_workers(w, n);
	for (i = stuck = 0; i < n; i++)
		stuck += !atomic_load(&w[i].done);
	if (stuck > 0) {
		/* Their threads still use the app and its stores, which
		 * must not be freed under them. Leaving is safe: what they
		 * did was not acknowledged, and a transaction the exit cuts
		 * short is rolled back whole. */
		fprintf(stderr, "%s: %d request(s) did not finish in time; "
		    "exiting without them\n", s->name, stuck);
		_exit(1);
	}
	free(w);
	return n == s->threads ? 0 : -1;
}
