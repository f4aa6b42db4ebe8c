/*
 * tipline-staff.fcgi — the desk (SPEC 12). Reads the config, opens the
 * listening socket (`staff_listen`, or the one inherited on fd 0), starts
 * the ingest thread at once (tips are taken in, reminders queued and the
 * heartbeat recorded every few seconds whether or not anyone is using the
 * desk), and runs `staff_threads` workers that move bytes between libfcgi
 * and lib/desk_routes.c. Exits cleanly on SIGTERM after finishing the
 * requests in flight.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "desk_app.h"
#include "desk_ingest.h"
#include "desk_store.h"

#define SHUTDOWN_WAIT_MS 10000	/* longest wait for requests in flight */
#define KEEP_BYTES	65536	/* largest answer buffer a worker keeps */
#define MAX_BODY	(64 * 1024) /* a desk form: a note of 5000
				   characters and a few fields */
#define INGEST_EVERY_MS	2000	/* between ingest rounds */
#define INGEST_BATCH	500	/* tips per transaction */

struct worker {
	pthread_t	 tid;
	int		 sock;
	struct tl_desk_app *app;
	const struct tl_config *cfg;
	atomic_int	 done;
};

static atomic_int stopping;

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The usage line: on stdout and exit 0 when asked for (-h, --help),
 * else on stderr and exit 2. */
static void
usage(int asked)
{
	fprintf(asked ? stdout : stderr, "usage: tipline-staff.fcgi [-c FILE]\n");
	exit(asked ? 0 : 2);
}

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
 * whatever CONTENT_LENGTH claims; sets *too_large past max bytes.
 */
static size_t
read_body(FCGX_Request *r, char *buf, size_t max, int *too_large)
{
	size_t		 len = 0;
	int		 n;

	*too_large = 0;
	if (claims_over(FCGX_GetParam("CONTENT_LENGTH", r->envp), max)) {
		*too_large = 1;
		return 0;
	}
	while (len <= max) {
		n = FCGX_GetStr(buf + len, (int)(max + 1 - len), r->in);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (len > max)
		*too_large = 1;
	return len;
}

static void
respond(FCGX_Request *r, const struct tl_response *res)
{
	FCGX_FPrintF(r->out, "Status: %d %s\r\n", res->status,
	    reason(res->status));
	if (res->headers.len == 0)
		FCGX_PutS("Cache-Control: no-store\r\n"
		    "X-Content-Type-Options: nosniff\r\n"
		    "Referrer-Policy: no-referrer\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
		    "Service unavailable: nothing was changed.\n", r->out);
	else {
		FCGX_PutStr(res->headers.data, (int)res->headers.len, r->out);
		FCGX_PutS("\r\n", r->out);
		if (res->body.len > 0)
			FCGX_PutStr(res->body.data, (int)res->body.len,
			    r->out);
	}
}

static void
serve_one(struct worker *w, FCGX_Request *r, struct tl_desk_store **d,
    char *body, struct tl_response *res)
{
	struct tl_request	 req;
	char			 err[512];

	if (*d == NULL && tl_desk_store_open(w->cfg->staff_database, d, err,
	    sizeof(err)) != TL_OK) {
		fprintf(stderr, "tipline-staff.fcgi: %s\n", err);
		*d = NULL;
	}
	memset(&req, 0, sizeof(req));
	req.method = FCGX_GetParam("REQUEST_METHOD", r->envp);
	req.path = FCGX_GetParam("DOCUMENT_URI", r->envp);
	req.content_type = FCGX_GetParam("CONTENT_TYPE", r->envp);
	req.query = FCGX_GetParam("QUERY_STRING", r->envp);
	req.remote_user = FCGX_GetParam("REMOTE_USER", r->envp);
	req.origin = FCGX_GetParam("HTTP_ORIGIN", r->envp);
	req.sec_fetch_site = FCGX_GetParam("HTTP_SEC_FETCH_SITE", r->envp);
	req.now = (int64_t)time(NULL);
	req.body = body;
	req.body_len = read_body(r, body, MAX_BODY, &req.too_large);
	if (req.too_large)
		req.body_len = 0;
	tl_response_reset(res);
	tl_desk_app_handle(w->app, *d, &req, res);
	respond(r, res);
	if (res->body.cap > KEEP_BYTES)
		tl_response_free(res);
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct tl_desk_store *d = NULL;
	struct tl_response res;	/* its buffers serve every request */
	FCGX_Request	 r;
	char		*body;

	if ((body = malloc(MAX_BODY + 1)) == NULL ||
	    FCGX_InitRequest(&r, w->sock, 0) != 0) {
		fprintf(stderr, "tipline-staff.fcgi: out of memory\n");
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
		serve_one(w, &r, &d, body, &res);
		FCGX_Finish_r(&r);
	}
	FCGX_Free(&r, 0);
	tl_response_free(&res);
	tl_desk_store_close(d);
	free(body);
	atomic_store(&w->done, 1);
	return NULL;
}

/* SIGUSR1 only interrupts a worker's accept(); the flag is set by main. */
static void
wake(int sig)
{
	(void)sig;
}

/* The listening socket: `listen`, or the one inherited on fd 0. */
static int
open_socket(const struct tl_config *cfg)
{
	struct stat	 st;
	mode_t		 mask;
	int		 fd;

	if (cfg->staff_listen == NULL) {
		if (fstat(0, &st) == -1 || !S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "tipline-staff.fcgi: no `staff_listen` "
			    "in %s and fd 0 is not a socket\n", cfg->path);
			return -1;
		}
		return 0;
	}
	/* A socket left by a process that died is stale: replace it. */
	if (lstat(cfg->staff_listen, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(cfg->staff_listen);
	if ((fd = FCGX_OpenSocket(cfg->staff_listen, 128)) < 0) {
		fprintf(stderr, "tipline-staff.fcgi: %s: cannot listen: %s\n",
		    cfg->staff_listen, strerror(errno));
		return -1;
	}
	/* Whoever can connect can claim any staff name: the socket is for
	 * the desk's nginx's group alone (0660; the umask may narrow it). */
	mask = umask(0);
	umask(mask);
	if (chmod(cfg->staff_listen, 0660 & ~mask) == -1) {
		fprintf(stderr, "tipline-staff.fcgi: %s: %s\n",
		    cfg->staff_listen, strerror(errno));
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

/* Runs the workers until SIGTERM or SIGINT. Returns 0 or -1; exits at
 * once if a request is still running after SHUTDOWN_WAIT_MS. */
static int
serve(const struct tl_config *cfg, struct tl_desk_app *app, int sock)
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
	if ((w = calloc((size_t)cfg->staff_threads, sizeof(*w))) == NULL)
		return -1;
	for (n = 0; n < cfg->staff_threads; n++) {
		w[n].sock = sock;
		w[n].app = app;
		w[n].cfg = cfg;
		if (pthread_create(&w[n].tid, NULL, worker_main, &w[n]) != 0)
			break;
	}
	fprintf(stderr, "tipline-staff.fcgi: serving %s with %d threads\n",
	    cfg->staff_listen != NULL ? cfg->staff_listen : "fd 0", n);
	do
		sigwait(&set, &sig);
	while (sig == SIGHUP);
	fprintf(stderr, "tipline-staff.fcgi: stopping\n");
	stop_workers(w, n);
	for (i = stuck = 0; i < n; i++)
		stuck += !atomic_load(&w[i].done);
	if (stuck > 0) {
		/* Their threads still use the app and the store, which
		 * must not be freed under them. Leaving is safe: a change
		 * the exit cuts short is rolled back whole. */
		fprintf(stderr, "tipline-staff.fcgi: %d request(s) did not "
		    "finish in time; exiting without them\n", stuck);
		_exit(1);
	}
	free(w);
	return n == cfg->staff_threads ? 0 : -1;
}

/* The ingest thread's state. */
struct ingester {
	pthread_t		 tid;
	const struct tl_config	*cfg;
	struct tl_seal_secret	*sk;	/* opens sealed tips */
	atomic_int		 stop;
	int			 started;
};

/* One round: every new tip in, the heartbeat recorded. Opens what it
 * needs on first use and again after a failure. */
static void
ingest_round(struct ingester *g, struct tl_desk_store **d,
    struct tl_desk_intake **in)
{
	char	 err[512];
	size_t	 n, total = 0;
	enum tl_err rc = TL_OK;

	if (*d == NULL && tl_desk_store_open(g->cfg->staff_database, d, err,
	    sizeof(err)) != TL_OK) {
		fprintf(stderr, "tipline-staff.fcgi: ingest: %s\n", err);
		return;
	}
	if (*in == NULL && tl_desk_intake_open(g->cfg->database, in, err,
	    sizeof(err)) != TL_OK) {
		fprintf(stderr, "tipline-staff.fcgi: ingest: %s\n", err);
		return;
	}
	do {
		rc = tl_desk_ingest_round(*d, *in, g->sk, INGEST_BATCH,
		    (int64_t)time(NULL), &n);
		total += n;
	} while (rc == TL_OK && n == INGEST_BATCH && !atomic_load(&g->stop));
	if (rc != TL_OK) {
		fprintf(stderr, "tipline-staff.fcgi: ingest: %s; %s\n",
		    tl_strerror(rc), tl_desk_intake_errmsg(*in));
		tl_desk_intake_close(*in);
		*in = NULL;
	} else if (total > 0)
		fprintf(stderr, "tipline-staff.fcgi: took in %zu tip(s)\n",
		    total);
	if (g->cfg->remind_urgent_after > 0) {
		if (tl_desk_remind_round(*d, g->cfg->database,
		    g->cfg->remind_urgent_after, (int64_t)time(NULL), &n, err,
		    sizeof(err)) != TL_OK)
			fprintf(stderr, "tipline-staff.fcgi: reminders: %s\n",
			    err);
		else if (n > 0)
			fprintf(stderr, "tipline-staff.fcgi: %zu reminder(s) "
			    "queued\n", n);
	}
	if (tl_desk_heartbeat(*d, (int64_t)time(NULL)) != TL_OK) {
		fprintf(stderr, "tipline-staff.fcgi: heartbeat: %s\n",
		    tl_desk_store_errmsg(*d));
		tl_desk_store_close(*d);
		*d = NULL;
	}
}

/* Runs from start to SIGTERM, whether or not anyone uses the desk. */
static void *
ingest_main(void *arg)
{
	struct ingester		*g = arg;
	struct tl_desk_store	*d = NULL;
	struct tl_desk_intake	*in = NULL;
	int			 ms;

	while (!atomic_load(&g->stop)) {
		ingest_round(g, &d, &in);
		for (ms = 0; ms < INGEST_EVERY_MS && !atomic_load(&g->stop);
		    ms += 100)
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	tl_desk_intake_close(in);
	tl_desk_store_close(d);
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct tl_config cfg;
	struct tl_desk_app *app = NULL;
	struct tl_desk_store *d = NULL;
	struct ingester	 g;
	sigset_t	 set;
	const char	*conf = NULL;
	char		 err[512];
	int		 ch, sock, rc = 1;

	memset(&g, 0, sizeof(g));
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1)
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'h':
			usage(1);
			break;
		default:
			usage(0);
		}
	if (optind != argc)
		usage(0);
	if (sodium_init() < 0) {
		fprintf(stderr, "tipline-staff.fcgi: libsodium failed to "
		    "start\n");
		return 1;
	}
	if (tl_config_load(tl_config_path(conf), &cfg, err, sizeof(err))
	    != TL_OK) {
		fprintf(stderr, "tipline-staff.fcgi: %s\n", err);
		return 1;
	}
	/* The store is made (or brought up to date) before anything runs. */
	if (tl_desk_store_open(cfg.staff_database, &d, err, sizeof(err)) !=
	    TL_OK || tl_desk_app_new(&cfg, &app, err, sizeof(err)) != TL_OK ||
	    tl_seal_secret_read(cfg.staff_secret_key_file, &g.sk, err,
	    sizeof(err)) != TL_OK) {
		fprintf(stderr, "tipline-staff.fcgi: %s\n", err);
		goto out;
	}
	tl_desk_store_close(d);
	d = NULL;
	if (FCGX_Init() != 0 || (sock = open_socket(&cfg)) < 0)
		goto out;
	g.cfg = &cfg;
	/* Only serve() waits for these: no thread of ours may take them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&g.tid, NULL, ingest_main, &g) != 0) {
		fprintf(stderr, "tipline-staff.fcgi: no ingest thread\n");
		goto out;
	}
	g.started = 1;
	rc = serve(&cfg, app, sock) == 0 ? 0 : 1;
	if (cfg.staff_listen != NULL)
		unlink(cfg.staff_listen);
out:
	if (g.started) {
		atomic_store(&g.stop, 1);
		pthread_join(g.tid, NULL);
	}
	tl_seal_secret_free(g.sk);
	tl_desk_store_close(d);
	tl_desk_app_free(app);
	tl_config_free(&cfg);
	return rc;
}
