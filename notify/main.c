/*
 * tipline-notify — the delivery daemon (SPEC 6, 7): pushes a signed
 * summary of each stored tip to the triage webhook, and never loses one.
 */
#include <sys/prctl.h>

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "notifier.h"
#include "store.h"
#include "storelock.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The usage line: on stdout and 0 when asked for (-h, --help), else on
 * stderr and 2; the exit status either way. */
static int
usage(int asked)
{
	fprintf(asked ? stdout : stderr,
	    "usage: tipline-notify [-c FILE] [--once]\n");
	return asked ? 0 : 2;
}

int
main(int argc, char *argv[])
{
	struct tl_config	 cfg;
	struct tl_notifier	*n = NULL;
	struct sigaction	 sa;
	const char		*conf = NULL;
	char			 err[512];
	size_t			 failed = 0;
	int			 i, once = 0, lock = -1, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			once = 1;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return usage(1);
		else
			return usage(0);
	}
	/* With CURLOPT_NOSIGNAL, SIGPIPE is ours to ignore. */
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: naps end at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "tipline-notify: cannot start libraries\n");
		return 1;
	}
	/* No core dump of the webhook secret (SPEC 11). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		fprintf(stderr, "tipline-notify: prctl: %s\n",
		    strerror(errno));
		return 1;
	}
	/* The store is written by tipline.fcgi too (SPEC 16): a trigger or
	 * view planted there runs nowhere near the webhook secret. */
	tl_store_distrust(1);
	if (tl_config_load(tl_config_path(conf), &cfg, err, sizeof(err))
	    != TL_OK) {
		fprintf(stderr, "tipline-notify: %s\n", err);
		goto out;
	}
	/* For the whole life: `tiplinectl restore` waits for no one. */
	if ((lock = tl_store_hold(cfg.database, "tipline-notify")) == -1)
		rc = 1;
	else if (tl_notifier_new(&cfg, &n, err, sizeof(err)) != TL_OK)
		fprintf(stderr, "tipline-notify: %s\n", err);
	else if (once)
		rc = tl_notifier_pass(n, &failed) == TL_OK && failed == 0 ?
		    0 : 1;
	else
		rc = tl_notifier_run(n, &stop) == TL_OK ? 0 : 1;
	tl_notifier_free(n);
	tl_config_free(&cfg);
	if (lock != -1)
		close(lock);
out:
	curl_global_cleanup();
	return rc;
}
