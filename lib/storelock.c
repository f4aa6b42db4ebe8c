/*
 * storelock.c — the lock file beside each store (SPEC 17); see
 * storelock.h.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "storelock.h"

#define FLAGS	(O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)

/* Gives the lock file fd, just made, mode 0660 and, as root, the owner
 * and group of the folder it is in (lock): the services' users open it. */
static void
settle_new(int fd, const char *lock)
{
	char		 dir[PATH_MAX];
	char		*slash;
	struct stat	 sb;

	(void)fchmod(fd, 0660);
	if (geteuid() != 0)
		return;
	snprintf(dir, sizeof(dir), "%s", lock);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &sb) == 0)
		(void)fchown(fd, sb.st_uid, sb.st_gid);
}

int
tl_store_lock(const char *path, int how, char *err, size_t errlen)
{
	char		 lock[PATH_MAX];
	struct stat	 sb;
	int		 fd, n, saved;

	n = snprintf(lock, sizeof(lock), "%s.lock", path);
	if (n < 0 || (size_t)n >= sizeof(lock)) {
		snprintf(err, errlen, "%s.lock: path too long", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	/* Never through a link, nor blocked opening a FIFO planted there. */
	if ((fd = open(lock, FLAGS | O_CREAT | O_EXCL, 0660)) != -1)
		settle_new(fd, lock);
	else if (errno == EEXIST)
		fd = open(lock, FLAGS);
	if (fd == -1)
		goto fail;
	if (fstat(fd, &sb) == -1)
		goto fail;
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	while ((n = flock(fd, how)) == -1 && errno == EINTR)
		continue;
	if (n == 0)
		return fd;
fail:
	saved = errno;
	snprintf(err, errlen, "%s: %s", lock, saved == EWOULDBLOCK ?
	    "held by a running program" : saved == EINVAL ?
	    "not a regular file" : strerror(saved));
	if (fd != -1)
		close(fd);
	errno = saved;
	return -1;
}

int
tl_store_hold(const char *path, const char *prog)
{
	char	 err[PATH_MAX + 64];
	int	 fd;

	if ((fd = tl_store_lock(path, LOCK_SH | LOCK_NB, err, sizeof(err)))
	    != -1)
		return fd;
	if (errno == EWOULDBLOCK) {
		fprintf(stderr, "%s: %s.lock is held by `tiplinectl restore`: "
		    "waiting for it to end\n", prog, path);
		fd = tl_store_lock(path, LOCK_SH, err, sizeof(err));
	}
	if (fd == -1)
		fprintf(stderr, "%s: %s (the store's folder must let this "
		    "program's user make and open it)\n", prog, err);
	return fd;
}
