/*
 * desk_status.c — the desk's status file (see desk_status.h): five lines
 * of `name number`, replaced whole by a rename.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desk_status.h"

#define STATUS_MAX	512	/* bytes: a larger file is not one */

/* The file's lines, in order. */
static const char *const names[] = { "heartbeat", "tip_cursor",
    "msg_cursor", "pending_since", "skipped" };
#define NNAMES	(sizeof(names) / sizeof(names[0]))

/* The field of st the i-th line holds. */
static int64_t *
field(struct tl_desk_status *st, size_t i)
{
	int64_t	*f[NNAMES] = { &st->heartbeat, &st->tip_cursor,
	    &st->msg_cursor, &st->pending_since, &st->skipped };

	return f[i];
}

enum tl_err
tl_desk_status_of(struct tl_desk_store *d, int64_t now,
    struct tl_desk_status *st)
{
	memset(st, 0, sizeof(*st));
	st->heartbeat = now;
	if (tl_desk_cursor(d, &st->tip_cursor) != TL_OK ||
	    tl_desk_msg_cursor(d, &st->msg_cursor) != TL_OK ||
	    tl_desk_ingest_state(d, &st->skipped, &st->pending_since) !=
	    TL_OK)
		return TL_ESTORE;
	return TL_OK;
}

enum tl_err
tl_desk_status_write(const char *path, const struct tl_desk_status *st,
    char *err, size_t errlen)
{
	struct tl_desk_status	 c = *st;
	char			 tmp[PATH_MAX], text[STATUS_MAX];
	size_t			 i, len = 0;
	ssize_t			 w;
	int			 fd = -1, n;

	for (i = 0; i < NNAMES; i++) {
		n = snprintf(text + len, sizeof(text) - len, "%s %" PRId64
		    "\n", names[i], *field(&c, i));
		if (n < 0 || (size_t)n >= sizeof(text) - len)
			goto toolong;
		len += (size_t)n;
	}
	n = snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		goto toolong;
	(void)unlink(tmp);
	errno = 0;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) == -1 || fchmod(fd, 0640) == -1 ||
	    (w = write(fd, text, len)) < 0 || (size_t)w != len)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return TL_OK;
fail:
	snprintf(err, errlen, "%s: %s", path, errno != 0 ? strerror(errno) :
	    "short write");
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	return TL_EIO;
toolong:
	snprintf(err, errlen, "%s: path too long", path);
	return TL_EIO;
}

enum tl_err
tl_desk_status_read(const char *path, struct tl_desk_status *st,
    char *err, size_t errlen)
{
	char		 text[STATUS_MAX + 1], *p, *end;
	size_t		 len = 0, i;
	ssize_t		 r;
	long long	 v;
	int		 fd;

	memset(st, 0, sizeof(*st));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return TL_ENOTFOUND;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return TL_EIO;
	}
	while (len < sizeof(text) - 1 && (r = read(fd, text + len,
	    sizeof(text) - 1 - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path,
			    strerror(errno));
			close(fd);
			return TL_EIO;
		}
		len += (size_t)r;
	}
	close(fd);
	text[len] = '\0';
	for (p = text, i = 0; i < NNAMES; i++) {
		if (strncmp(p, names[i], strlen(names[i])) != 0 ||
		    p[strlen(names[i])] != ' ')
			break;
		p += strlen(names[i]) + 1;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno != 0 || end == p || *end != '\n' || v < 0)
			break;
		*field(st, i) = v;
		p = end + 1;
	}
	if (i < NNAMES || *p != '\0') {
		snprintf(err, errlen, "%s: not the desk's status file", path);
		memset(st, 0, sizeof(*st));
		return TL_EINVAL;
	}
	return TL_OK;
}
