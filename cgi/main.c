/*
 * tipline.fcgi — the FastCGI responder (SPEC 7). Reads the config and
 * serves lib/app.c through lib/serve.c: the listening socket (or the one
 * inherited on fd 0), `threads` workers, a clean exit on SIGTERM after
 * the requests in flight.
 */
#include <sys/prctl.h>

#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "config.h"
#include "serve.h"
#include "store.h"
#include "storelock.h"

/* What handle() needs: the app, and the store it attaches to. */
struct prog {
	struct tl_app	*app;
	const char	*database;
};

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

/* One request through the app, with the calling worker's store handle
 * in *ctx (attached when first needed, and again after a failure). */
static void
handle(void *arg, void **ctx, const struct tl_request *req,
    struct tl_response *res)
{
	struct prog	*p = arg;
	struct tl_store	*store = *ctx;
	char		 err[256];

	if (store == NULL && tl_store_attach(p->database, &store, err,
	    sizeof(err)) != TL_OK) {
		fprintf(stderr, "tipline.fcgi: store: %s\n", err);
		store = NULL;
	}
	*ctx = store;
	tl_app_handle(p->app, store, req, res);
}

static void
end(void *ctx)
{
	tl_store_close(ctx);
}

int
main(int argc, char *argv[])
{
	struct tl_config cfg;
	struct tl_serve	 srv = { .name = "tipline.fcgi", .listen_key = "listen",
	    .sock_mode = 0666, .unavailable = "Service unavailable: nothing "
	    "was saved. If someone is in danger right now, call 999.",
	    .handle = handle, .end = end };
	struct tl_app	*app = NULL;
	struct prog	 prog;
	const char	*conf = NULL;
	char		 err[512];
	int		 ch, sock, lock = -1, rc = 1;

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
	/* For the whole life: `tiplinectl restore` waits for no one. */
	if ((lock = tl_store_hold(cfg.database, "tipline.fcgi")) == -1)
		goto out;
	if (tl_app_new(&cfg, &app, err, sizeof(err)) != TL_OK) {
		fprintf(stderr, "tipline.fcgi: %s\n", err);
		goto out;
	}
	prog.app = app;
	prog.database = cfg.database;
	srv.cfg_path = cfg.path;
	srv.listen = cfg.listen;
	srv.threads = cfg.threads;
	srv.max_body = cfg.max_body_bytes;
	srv.app = &prog;
	if (FCGX_Init() != 0 || (sock = tl_serve_socket(&srv)) < 0)
		goto out;
	rc = tl_serve_run(&srv, sock) == 0 ? 0 : 1;
	if (cfg.listen != NULL)
		unlink(cfg.listen);
out:
	tl_app_free(app);
	tl_config_free(&cfg);
	if (lock != -1)
		close(lock);
	return rc;
}
