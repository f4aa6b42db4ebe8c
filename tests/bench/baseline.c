/*
 * baseline.c — the benchmark's yardstick (issue 6): a FastCGI responder
 * that does no work. Like tipline.fcgi it runs THREADS libfcgi workers on
 * one unix socket, reads each request's whole body, and answers; unlike it,
 * the answer is always 200 with a tiny body. tests/bench/run puts it behind
 * the same nginx as tipline, so that tipline's figures are ratios to what
 * nginx and libfcgi alone cost on this machine.
 *
 *	baseline SOCKET THREADS
 *
 * Stops on SIGTERM or SIGINT (the process exits; requests in flight are
 * the benchmark's, which is over by then). Test code only.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS	256
#define BODY_MAX	(128 * 1024)	/* nginx's client_max_body_size */

static const char answer[] =
    "Status: 200 OK\r\n"
    "Cache-Control: no-store\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "ok\n";

/* One worker: accept, drain the body, answer, until the process ends. */
static void *
worker(void *arg)
{
	FCGX_Request	 r;
	char		*buf;
	int		 sock = *(int *)arg;

	if ((buf = malloc(BODY_MAX)) == NULL ||
	    FCGX_InitRequest(&r, sock, 0) != 0) {
		fprintf(stderr, "baseline: out of memory\n");
		exit(1);
	}
	while (FCGX_Accept_r(&r) >= 0) {
		while (FCGX_GetStr(buf, BODY_MAX, r.in) > 0)
			;
		FCGX_PutStr(answer, (int)sizeof(answer) - 1, r.out);
		FCGX_Finish_r(&r);
	}
	free(buf);
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t	 tid;
	sigset_t	 set;
	char		*end;
	long		 n, i;
	int		 sock, sig;

	if (argc != 3) {
		fprintf(stderr, "usage: baseline SOCKET THREADS\n");
		return 2;
	}
	n = strtol(argv[2], &end, 10);
	if (*end != '\0' || n < 1 || n > MAX_THREADS) {
		fprintf(stderr, "baseline: THREADS must be 1 to %d\n",
		    MAX_THREADS);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	unlink(argv[1]);
	if (FCGX_Init() != 0 || (sock = FCGX_OpenSocket(argv[1], 128)) < 0) {
		fprintf(stderr, "baseline: %s: cannot listen: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	chmod(argv[1], 0600);
	for (i = 0; i < n; i++)
		if (pthread_create(&tid, NULL, worker, &sock) != 0) {
			fprintf(stderr, "baseline: cannot start threads\n");
			return 1;
		}
	fprintf(stderr, "baseline: serving %s with %ld threads\n", argv[1], n);
	sigwait(&set, &sig);
	unlink(argv[1]);
	return 0;
}
