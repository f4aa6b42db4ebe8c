/*
 * serve.h — the FastCGI life both responders share (tipline.fcgi and
 * tipline-staff.fcgi): the listening socket, `threads` workers moving
 * bytes between libfcgi and a program's handler, bodies bounded and
 * wiped, and a clean stop on SIGTERM after the requests in flight. Only
 * the two FastCGI programs link it (and libfcgi).
 */
#ifndef TL_SERVE_H
#define TL_SERVE_H

#include <stddef.h>
#include <sys/types.h>

#include "request.h"
#include "response.h"

/* What a program brings; everything borrowed for the whole serve. */
struct tl_serve {
	const char	*name;		/* "tipline.fcgi", for log lines */
	const char	*cfg_path;	/* the config, for messages */
	const char	*listen_key;	/* its config key: "listen" */
	const char	*listen;	/* socket path, or NULL: fd 0 */
	mode_t		 sock_mode;	/* before the umask: 0666, 0660 */
	int		 threads;
	size_t		 max_body;	/* a longer body: too_large */
	const char	*unavailable;	/* the bare 503's text, when an
					   answer ran out of memory */
	void		*app;		/* the handler's own */
	/*
	 * Answers req into res. *ctx is the calling worker's own (NULL at
	 * first; the handler keeps what it opens there, such as a store
	 * handle); end(ctx) closes it when the worker stops.
	 */
	void		(*handle)(void *app, void **ctx,
			    const struct tl_request *req,
			    struct tl_response *res);
	void		(*end)(void *ctx);
};

/* Opens the listening socket (stale ones replaced, mode set) or checks
 * that fd 0 is one. Returns it, or -1 having said why on stderr. Call
 * after FCGX_Init(). */
int tl_serve_socket(const struct tl_serve *s);

/*
 * Runs the workers on sock until SIGTERM or SIGINT (SIGHUP is ignored),
 * then lets the requests in flight finish. Returns 0, or -1 when not all
 * workers could start; exits the process (1) when a request is still
 * running after 10 s, since its thread still uses the app.
 */
int tl_serve_run(const struct tl_serve *s, int sock);

#endif
