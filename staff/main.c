/*
 * tipline-staff.fcgi — the desk (SPEC 12). Reads the config, opens the
 * listening socket (`staff_listen`, or the one inherited on fd 0), starts
 * the ingest thread at once (tips are taken in, reminders queued and the
 * heartbeat recorded every few seconds whether or not anyone is using the
 * desk), and serves lib/desk_routes.c through lib/serve.c with
 * `staff_threads` workers. Exits cleanly on SIGTERM after finishing the
 * requests in flight.
 */
#include <sys/prctl.h>

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
#include "desk_status.h"
#include "desk_store.h"
#include "seal_staff.h"
#include "serve.h"
#include "storelock.h"

#define MAX_BODY	(64 * 1024) /* a desk form: a note of 5000
				   characters and a few fields */
#define INGEST_EVERY_MS	2000	/* between ingest rounds */
#define INGEST_BATCH	500	/* tips per transaction */
#define RECHECK_BATCH	200	/* tips compared with their intake rows a
				   round (SPEC 16) */
#define SWEEP_BATCH	1000	/* intake rows below the cursor compared
				   with the desk's tips a round (SPEC 16) */

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

/* What handle() needs: the app, and the desk's store it opens. */
struct prog {
	struct tl_desk_app	*app;
	const char		*database;
};

/* One request through the desk, with the calling worker's handle of the
 * desk's store in *ctx (opened when first needed, and after a failure). */
static void
handle(void *arg, void **ctx, const struct tl_request *req,
    struct tl_response *res)
{
	struct prog		*p = arg;
	struct tl_desk_store	*d = *ctx;
	char			 err[512];

	if (d == NULL && tl_desk_store_open(p->database, &d, err,
	    sizeof(err)) != TL_OK) {
		fprintf(stderr, "tipline-staff.fcgi: %s\n", err);
		d = NULL;
	}
	*ctx = d;
	tl_desk_app_handle(p->app, d, req, res);
}

static void
end(void *ctx)
{
	tl_desk_store_close(ctx);
}

/* The ingest thread's state. */
struct ingester {
	pthread_t		 tid;
	const struct tl_config	*cfg;
	struct tl_seal_secret	*sk;	/* opens sealed tips */
	atomic_int		 stop;
	int			 started;
	int			 status_failed;	/* said once until it works */
};

/*
 * The status file, after a round that completed (SPEC 17): what check,
 * run as user tipline, reads of the desk. A failure is said once, until
 * a write works again; check then says the desk is not running.
 */
static void
write_status(struct ingester *g, struct tl_desk_store *d, int64_t now)
{
	struct tl_desk_status	 st;
	char			 err[512];
	enum tl_err		 rc;

	if ((rc = tl_desk_status_of(d, now, &st)) == TL_OK)
		rc = tl_desk_status_write(g->cfg->desk_status_file, &st, err,
		    sizeof(err));
	else
		snprintf(err, sizeof(err), "%s", tl_desk_store_errmsg(d));
	if (rc != TL_OK && !g->status_failed)
		fprintf(stderr, "tipline-staff.fcgi: desk_status_file: %s "
		    "(tiplinectl check will say the desk is not running)\n",
		    err);
	g->status_failed = rc != TL_OK;
}

/* After the round's tips and messages (SPEC 16): some tips compared
 * with their intake rows, some intake rows below the cursor with the
 * desk's tips (any it lacks taken in, flagged), and the lag recorded,
 * on the intake connection even when a read of the round failed on one
 * row. */
static void
after_ingest(struct tl_desk_store *d, struct tl_desk_intake *in,
    const struct tl_seal_secret *sk)
{
	size_t	 found;
	int	 wrapped;

	if (tl_desk_sweep(d, in, sk, SWEEP_BATCH, (int64_t)time(NULL), 1,
	    &found, &wrapped) != TL_OK)
		fprintf(stderr, "tipline-staff.fcgi: sweep: %s; %s\n",
		    tl_desk_intake_errmsg(in), tl_desk_store_errmsg(d));

	if (tl_desk_recheck(d, in, RECHECK_BATCH, (int64_t)time(NULL), 1,
	    NULL, &wrapped) != TL_OK)
		fprintf(stderr, "tipline-staff.fcgi: recheck: %s; %s\n",
		    tl_desk_intake_errmsg(in), tl_desk_store_errmsg(d));
	if (tl_desk_ingest_lag(d, in, (int64_t)time(NULL)) != TL_OK)
		fprintf(stderr, "tipline-staff.fcgi: ingest lag: %s; %s\n",
		    tl_desk_intake_errmsg(in), tl_desk_store_errmsg(d));
}

/* One round: every new tip in, then every new message, then
 * after_ingest(), and the heartbeat recorded only when all of it was
 * taken in (SPEC 16). Opens what it needs on first use and again after
 * a failure. */
static void
ingest_round(struct ingester *g, struct tl_desk_store **d,
    struct tl_desk_intake **in)
{
	char	 err[512];
	size_t	 n, total = 0;
	enum tl_err rc = TL_OK, mrc;

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
	tl_desk_intake_set_max_sealed(*in, g->cfg->max_sealed_bytes);
	do {
		rc = tl_desk_ingest_round(*d, *in, g->sk, INGEST_BATCH,
		    (int64_t)time(NULL), &n);
		total += n;
	} while (rc == TL_OK && n == INGEST_BATCH && !atomic_load(&g->stop));
	if (rc != TL_OK)
		fprintf(stderr, "tipline-staff.fcgi: ingest: %s; %s\n",
		    tl_strerror(rc), tl_desk_intake_errmsg(*in));
	else if (total > 0)
		fprintf(stderr, "tipline-staff.fcgi: took in %zu tip(s)\n",
		    total);
	/* Messages after tips: one waits for its tip to be taken in. */
	for (total = 0, mrc = rc; rc == TL_OK && !atomic_load(&g->stop);
	    total += n) {
		if ((mrc = tl_desk_ingest_messages_round(*d, *in, g->sk,
		    INGEST_BATCH, (int64_t)time(NULL), &n)) != TL_OK) {
			fprintf(stderr, "tipline-staff.fcgi: message ingest: "
			    "%s; %s; %s\n", tl_strerror(mrc),
			    tl_desk_intake_errmsg(*in),
			    tl_desk_store_errmsg(*d));
			break;
		}
		if (n < INGEST_BATCH) {
			total += n;
			break;
		}
	}
	if (total > 0 && mrc == TL_OK)
		fprintf(stderr, "tipline-staff.fcgi: took in %zu message(s)\n",
		    total);
	after_ingest(*d, *in, g->sk);
	if (mrc != TL_OK) {
		tl_desk_intake_close(*in);
		*in = NULL;
	}
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
	/* A round that did not take everything in is no sign of life:
	 * the heartbeat goes stale, and check and /healthz say so. */
	if (mrc == TL_OK && tl_desk_heartbeat(*d, (int64_t)time(NULL)) !=
	    TL_OK) {
		fprintf(stderr, "tipline-staff.fcgi: heartbeat: %s\n",
		    tl_desk_store_errmsg(*d));
		tl_desk_store_close(*d);
		*d = NULL;
	} else if (mrc == TL_OK)
		write_status(g, *d, (int64_t)time(NULL));
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
	struct tl_serve	 srv = { .name = "tipline-staff.fcgi",
	    .listen_key = "staff_listen",
	    /* Whoever can connect can claim any staff name: the socket is
	     * for the desk's nginx's group alone (the umask may narrow it). */
	    .sock_mode = 0660, .max_body = MAX_BODY,
	    .unavailable = "Service unavailable: nothing was changed.",
	    .handle = handle, .end = end };
	struct tl_desk_app *app = NULL;
	struct prog	 prog;
	struct tl_desk_store *d = NULL;
	struct ingester	 g;
	sigset_t	 set;
	const char	*conf = NULL;
	char		 err[512];
	int		 ch, sock, lock = -1, ilock = -1, rc = 1;

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
	/* No core dump and no ptrace by the same user: the desk holds the
	 * only key that opens tips, and every tip in plaintext (SPEC 16). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		fprintf(stderr, "tipline-staff.fcgi: prctl: %s\n",
		    strerror(errno));
		return 1;
	}
	if (tl_config_load(tl_config_path(conf), &cfg, err, sizeof(err))
	    != TL_OK) {
		fprintf(stderr, "tipline-staff.fcgi: %s\n", err);
		return 1;
	}
	/* Both stores' locks for the whole life, before either is opened:
	 * `tiplinectl restore` waits for no one. */
	if ((lock = tl_store_hold(cfg.staff_database, "tipline-staff.fcgi"))
	    == -1 || (ilock = tl_store_hold(cfg.database,
	    "tipline-staff.fcgi")) == -1)
		goto out;
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
	prog.app = app;
	prog.database = cfg.staff_database;
	srv.cfg_path = cfg.path;
	srv.listen = cfg.staff_listen;
	srv.threads = cfg.staff_threads;
	srv.app = &prog;
	if (FCGX_Init() != 0 || (sock = tl_serve_socket(&srv)) < 0)
		goto out;
	g.cfg = &cfg;
	/* Only tl_serve_run() waits for these: no thread of ours may take
	 * them. */
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
	rc = tl_serve_run(&srv, sock) == 0 ? 0 : 1;
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
	if (ilock != -1)
		close(ilock);
	if (lock != -1)
		close(lock);
	return rc;
}
