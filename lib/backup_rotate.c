/*
 * backup_rotate.c — dated backups in backup_dir, the newest backup_keep
 * kept (see backup_rotate.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "backup_rotate.h"

#define STAMP_LEN	16	/* 20250102T030405Z */

/* Whether name is TL_ROTATE_PREFIX and a stamp, and nothing more. */
static int
ours(const char *name)
{
	size_t	 p = strlen(TL_ROTATE_PREFIX), i;

	if (strncmp(name, TL_ROTATE_PREFIX, p) != 0 ||
	    strlen(name) != p + STAMP_LEN)
		return 0;
	for (i = 0; i < STAMP_LEN; i++)
		if (i == 8 ? name[p + i] != 'T' : i == STAMP_LEN - 1 ?
		    name[p + i] != 'Z' : (name[p + i] < '0' ||
		    name[p + i] > '9'))
			return 0;
	return 1;
}

/* Deletes the folder name of dfd and the files in it (a folder or
 * anything but a file in it: refused). 0, or -1 said on stderr. */
static int
remove_folder(int dfd, const char *dir, const char *name)
{
	struct dirent	*e;
	struct stat	 st;
	DIR		*d;
	int		 fd, rc = 0;

	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		fprintf(stderr, "tiplinectl: %s/%s: %s\n", dir, name,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") ==
		    0)
			continue;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode) || unlinkat(fd, e->d_name, 0) == -1) {
			fprintf(stderr, "tiplinectl: %s/%s/%s: %s\n", dir,
			    name, e->d_name, errno != 0 ? strerror(errno) :
			    "not a file: left as it is");
			rc = -1;
		}
		errno = 0;
	}
	closedir(d);
	if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) == -1) {
		fprintf(stderr, "tiplinectl: %s/%s: %s\n", dir, name,
		    strerror(errno));
		rc = -1;
	}
	return rc;
}

/* qsort's order of names: oldest stamp first. */
static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum tl_err
tl_backup_prune(const char *dir, long keep, FILE *out)
{
	struct dirent	*e;
	struct stat	 st;
	DIR		*d;
	char		**names = NULL, **grown;
	size_t		 n = 0, cap = 0, i;
	int		 dfd;
	enum tl_err	 rc = TL_OK;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "tiplinectl: backup_dir %s: %s\n", dir,
		    strerror(errno));
		return TL_EIO;
	}
	dfd = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		if (!ours(e->d_name) || fstatat(dfd, e->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((grown = realloc(names, cap * sizeof(*names))) ==
			    NULL)
				goto nomem;
			names = grown;
		}
		if ((names[n] = strdup(e->d_name)) == NULL)
			goto nomem;
		n++;
	}
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; keep >= 0 && n > (size_t)keep && i < n - (size_t)keep;
	    i++) {
		if (remove_folder(dfd, dir, names[i]) == -1)
			rc = TL_EIO;
		else
			fprintf(out, "removed the old backup %s/%s\n", dir,
			    names[i]);
	}
	goto out;
nomem:
	fprintf(stderr, "tiplinectl: backup_dir %s: out of memory\n", dir);
	rc = TL_EIO;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

enum tl_err
tl_backup_rotate(const struct tl_config *cfg, int64_t now, FILE *out)
{
	struct tm	 tm;
	time_t		 t = (time_t)now;
	char		 stamp[STAMP_LEN + 1], part[PATH_MAX], final[PATH_MAX];
	int		 n, m, dfd;

	if (gmtime_r(&t, &tm) == NULL || strftime(stamp, sizeof(stamp),
	    "%Y%m%dT%H%M%SZ", &tm) != STAMP_LEN) {
		fprintf(stderr, "tiplinectl: backup: the time cannot be "
		    "written\n");
		return TL_EIO;
	}
	n = snprintf(final, sizeof(final), "%s/" TL_ROTATE_PREFIX "%s",
	    cfg->backup_dir, stamp);
	m = snprintf(part, sizeof(part), "%s.partial", final);
	if (n < 0 || (size_t)n >= sizeof(final) || m < 0 ||
	    (size_t)m >= sizeof(part)) {
		fprintf(stderr, "tiplinectl: backup_dir %s: path too long\n",
		    cfg->backup_dir);
		return TL_EIO;
	}
	if (access(final, F_OK) == 0) {
		fprintf(stderr, "tiplinectl: %s: already there (one backup a "
		    "second)\n", final);
		return TL_EIO;
	}
	/* backup_dir itself is made by tmpfiles (0700 root), never here. */
	if (mkdir(part, 0700) == -1) {
		fprintf(stderr, "tiplinectl: %s: %s%s\n", part,
		    strerror(errno), errno == ENOENT ? " (backup_dir is "
		    "made by systemd-tmpfiles --create)" : "");
		return TL_EIO;
	}
	if (tl_backup_take(cfg, part, 0, out) != TL_OK)
		goto failed;
	if (rename(part, final) == -1) {
		fprintf(stderr, "tiplinectl: %s: %s\n", final,
		    strerror(errno));
		goto failed;
	}
	fprintf(out, "backup: %s\n", final);
	return tl_backup_prune(cfg->backup_dir, cfg->backup_keep, out);
failed:
	if ((dfd = open(cfg->backup_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		(void)remove_folder(dfd, cfg->backup_dir, strrchr(part, '/') +
		    1);
		close(dfd);
	}
	fprintf(stderr, "tiplinectl: backup: failed; the older backups in "
	    "%s are kept\n", cfg->backup_dir);
	return TL_EIO;
}
