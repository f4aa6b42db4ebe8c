/*
 * tipline.fcgi — the FastCGI responder (SPEC 7). Reads the config, opens
 * the listening socket (or serves the one inherited on fd 0), and runs
 * `threads` workers that move bytes between libfcgi and lib/app.c. Exits
 * cleanly on SIGTERM after finishing the requests in flight.
 */
#include <sys/prctl.h>
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

#include "app.h"
#include "config.h"
#include "store.h"

#define SHUTDOWN_WAIT_MS 10000	/* longest wait for requests in flight */
#define KEEP_BYTES	65536	/* largest answer buffer a worker keeps */

struct worker {
	pthread_t	 tid;
	int		 sock;
	struct tl_app	*app;
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
	fprintf(asked ? stdout : stderr, "usage: tipline.fcgi [-c FILE]\n");
	exit(asked ? 0 : 2);
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 301: return "Moved Permanently";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
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
		    "Service unavailable: nothing was saved. If someone is "
		    "in danger right now, call 999.\n", r->out);
	else {
		FCGX_PutStr(res->headers.data, (int)res->headers.len, r->out);
		FCGX_PutS("\r\n", r->out);
		if (res->body.len > 0)
			FCGX_PutStr(res->body.data, (int)res->body.len,
			    r->out);
	}
}

static void
serve_one(struct worker *w, FCGX_Request *r, struct tl_store **store,
    char *body, struct tl_response *res)
{
	struct tl_request	 req;
	char			 err[256];

	if (*store == NULL && tl_store_attach(w->cfg->database, store, err,
	    sizeof(err)) != TL_OK) {
		fprintf(stderr, "tipline.fcgi: store: %s\n", err);
		*store = NULL;
	}
	memset(&req, 0, sizeof(req));
	req.method = FCGX_GetParam("REQUEST_METHOD", r->envp);
	req.path = FCGX_GetParam("DOCUMENT_URI", r->envp);
	req.content_type = FCGX_GetParam("CONTENT_TYPE", r->envp);
	req.idem_key = FCGX_GetParam("HTTP_IDEMPOTENCY_KEY", r->envp);
	req.now = (int64_t)time(NULL);
	req.body = body;
	req.body_len = read_body(r, body, w->cfg->max_body_bytes,
	    &req.too_large);
	tl_response_reset(res);
	tl_app_handle(w->app, *store, &req, res);
	respond(r, res);
	/* Nothing of the request outlives it (SPEC 11): the body and the
	 * answer, which may echo it, are overwritten. A form sent back with
	 * its errors can be large: do not hold that much in every thread. */
	sodium_memzero(body, req.body_len);
	if (res->body.cap > KEEP_BYTES)
		tl_response_free(res);
	else
		tl_response_wipe(res);
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct tl_store	*store = NULL;
	struct tl_response res;	/* its buffers serve every request */
	FCGX_Request	 r;
	char		*body;

	if ((body = malloc(w->cfg->max_body_bytes + 1)) == NULL ||
	    FCGX_InitRequest(&r, w->sock, 0) != 0) {
		fprintf(stderr, "tipline.fcgi: out of memory\n");
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
		serve_one(w, &r, &store, body, &res);
		FCGX_Finish_r(&r);
	}
	FCGX_Free(&r, 0);
	tl_response_free(&res);
	tl_store_close(store);
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

	if (cfg->listen == NULL) {
		if (fstat(0, &st) == -1 || !S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "tipline.fcgi: no `listen` in %s and "
			    "fd 0 is not a socket\n", cfg->path);
			return -1;
		}
		return 0;
	}
	/* A socket left by a process that died is stale: replace it. */
	if (lstat(cfg->listen, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(cfg->listen);
	if ((fd = FCGX_OpenSocket(cfg->listen, 128)) < 0) {
		fprintf(stderr, "tipline.fcgi: %s: cannot listen: %s\n",
		    cfg->listen, strerror(errno));
		return -1;
	}
	/* FCGX_OpenSocket leaves the mode to chance: rw for whom the umask
	 * allows (systemd units set UMask=0007: owner and group only). */
	mask = umask(0);
	umask(mask);
	if (chmod(cfg->listen, 0666 & ~mask) == -1) {
		fprintf(stderr, "tipline.fcgi: %s: %s\n", cfg->listen,
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

/* Runs the workers until SIGTERM or SIGINT. Returns 0 or -1; exits at
 * once if a request is still running after SHUTDOWN_WAIT_MS. */
static int
serve(const struct tl_config *cfg, struct tl_app *app, int sock)
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
	if ((w = calloc((size_t)cfg->threads, sizeof(*w))) == NULL)
		return -1;
	for (n = 0; n < cfg->threads; n++) {
		w[n].sock = sock;
		w[n].app = app;
		w[n].cfg = cfg;
		if (pthread_create(&w[n].tid, NULL, worker_main, &w[n]) != 0)
			break;
	}
	fprintf(stderr, "tipline.fcgi: serving %s with %d threads\n",
	    cfg->listen != NULL ? cfg->listen : "fd 0", n);
	do
		sigwait(&set, &sig);
	while (sig == SIGHUP);
	fprintf(stderr, "tipline.fcgi: stopping\n");
	stop_workers(w, n);
	for (i = stuck = 0; i < n; i++)
		stuck += !atomic_load(&w[i].done);
	if (stuck > 0) {
		/* Their threads still use the app and the store, which
		 * must not be freed under them. Leaving is safe: their tips
		 * were not acknowledged, and a transaction the exit cuts
		 * short is rolled back whole. */
		fprintf(stderr, "tipline.fcgi: %d request(s) did not finish "
		    "in time; exiting without them\n", stuck);
		_exit(1);
	}
	free(w);
	return n == cfg->threads ? 0 : -1;
}

int
main(int argc, char *argv[])
{
	struct tl_config cfg;
	struct tl_app	*app = NULL;
	const char	*conf = NULL;
	char		 err[512];
	int		 ch, sock, rc = 1;

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
		fprintf(stderr, "tipline.fcgi: libsodium failed to start\n");
		return 1;
	}
	/* No core dump and no ptrace by the same user: the memory holds
	 * what people write (SPEC 11). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		fprintf(stderr, "tipline.fcgi: prctl: %s\n", strerror(errno));
		return 1;
	}
	if (tl_config_load(tl_config_path(conf), &cfg, err, sizeof(err))
	    != TL_OK) {
		fprintf(stderr, "tipline.fcgi: %s\n", err);
		return 1;
	}
	if (tl_app_new(&cfg, &app, err, sizeof(err)) != TL_OK) {
		fprintf(stderr, "tipline.fcgi: %s\n", err);
		goto out;
	}
	if (FCGX_Init() != 0 || (sock = open_socket(&cfg)) < 0)
		goto out;
	rc = serve(&cfg, app, sock) == 0 ? 0 : 1;
	if (cfg.listen != NULL)
		unlink(cfg.listen);
out:
	tl_app_free(app);
	tl_config_free(&cfg);
	return rc;
}
