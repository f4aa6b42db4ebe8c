/*
 * secret.c — reading and creating key files. See secret.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "seal.h"
#include "secret.h"

enum tl_err
tl_secret_parse(const char *text, uint8_t key[TL_SECRET_MAX],
    size_t *keylen, char *err, size_t errlen)
{
	uint8_t		 tmp[TL_SECRET_MAX + 3];
	size_t		 len = strlen(text), n;
	const char	*end;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len < 6 || strncmp(text, "whsec_", 6) != 0) {
		snprintf(err, errlen, "the webhook secret must start with "
		    "whsec_");
		return TL_EINVAL;
	}
	/* libsodium 1.0.18 reads any byte over 0x7f as a base64 digit. */
	if (strspn(text + 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") < len - 6) {
		snprintf(err, errlen, "the webhook secret after whsec_ is not "
		    "padded standard base64");
		return TL_EINVAL;
	}
	if (sodium_base642bin(tmp, sizeof(tmp), text + 6, len - 6, NULL, &n,
	    &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != text + len) {
		snprintf(err, errlen, "the webhook secret after whsec_ is not "
		    "padded standard base64");
		return TL_EINVAL;
	}
	if (n < TL_SECRET_MIN || n > TL_SECRET_MAX) {
		snprintf(err, errlen, "the webhook secret is %zu bytes; "
		    "%d to %d are needed", n, TL_SECRET_MIN, TL_SECRET_MAX);
		sodium_memzero(tmp, sizeof(tmp));
		return TL_EINVAL;
	}
	memcpy(key, tmp, n);
	*keylen = n;
	sodium_memzero(tmp, sizeof(tmp));
	return TL_OK;
}

enum tl_err
tl_secret_slurp(const char *path, char *text, size_t size, char *err,
    size_t errlen)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return TL_EIO;
	}
	n = read(fd, text, size - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return TL_EIO;
	}
	text[n] = '\0';
	return TL_OK;
}

enum tl_err
tl_secret_read(const char *path, uint8_t key[TL_SECRET_MAX],
    size_t *keylen, char *err, size_t errlen)
{
	char		 text[256], why[160];
	enum tl_err	 rc;

	if ((rc = tl_secret_slurp(path, text, sizeof(text), err, errlen))
	    != TL_OK)
		return rc;
	rc = tl_secret_parse(text, key, keylen, why, sizeof(why));
	sodium_memzero(text, sizeof(text));
	if (rc != TL_OK)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}

enum tl_err
tl_secret_create(const char *path, const char *content, int mode,
    int *created, char *err, size_t errlen)
{
	struct stat	 st;
	size_t		 len = strlen(content);
	int		 fd;

	*created = 0;
	/* O_EXCL never follows a symbolic link: one in path's place is
	 * there already, and refused rather than kept as a key. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1 && errno == EEXIST) {
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
			snprintf(err, errlen, "%s is a symbolic link: refused",
			    path);
			return TL_EIO;
		}
		return TL_OK;
	}
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return TL_EIO;
	}
	if (write(fd, content, len) != (ssize_t)len || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return TL_EIO;
	}
	close(fd);
	*created = 1;
	return TL_OK;
}

void
tl_secret_new_form_key(char out[66])
{
	uint8_t	 k[32];

	tl_seal_random(k, sizeof(k));
	sodium_bin2hex(out, 65, k, sizeof(k));
	out[64] = '\n';
	out[65] = '\0';
	sodium_memzero(k, sizeof(k));
}

void
tl_secret_new_webhook(char out[64])
{
	uint8_t	 k[32];
	size_t	 n;

	tl_seal_random(k, sizeof(k));
	memcpy(out, "whsec_", 6);
	sodium_bin2base64(out + 6, 64 - 6, k, sizeof(k),
	    sodium_base64_VARIANT_ORIGINAL);
	n = strlen(out);
	out[n] = '\n';
	out[n + 1] = '\0';
	sodium_memzero(k, sizeof(k));
}
