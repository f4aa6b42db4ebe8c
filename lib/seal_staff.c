/*
 * seal_staff.c — the crypto module's staff half (SPEC 11, 12, 16): what
 * needs the staff secret key. It reads and writes the staff key files,
 * opens a tip's blob and a sealed file, and derives the desk's form MAC
 * key. Only tipline-staff.fcgi and tiplinectl link it; tipline.fcgi and
 * tipline-notify must not, and tests/links.sh refuses every function
 * this file exports, by name, in them (and crypto_box_seal_open among
 * their imports). Interface: seal_staff.h; formats: seal.h; what it
 * shares with the public half (seal.c): seal_impl.h.
 *
 * The staff secret key (X25519) is the only key that opens a tip. It
 * lives with tipline-staff.fcgi and tiplinectl run as tipline-staff, in
 * locked memory (sodium_malloc, read-only once made), never in the
 * internet-facing programs, which hold only the public key and no code
 * that opens a seal. So a copy of the intake store (a backup, a disk)
 * and a takeover of tipline.fcgi or tipline-notify read nothing a person
 * wrote in any tip received before the takeover. It does not protect
 * against a takeover of the desk's host, and losing it loses every tip.
 *
 * The desk's CSRF key, derived from the staff secret key (crypto_kdf,
 * context "tlcsrf__", subkey 1) so that the desk needs no key file of
 * its own and a token from one deployment is worthless at another: it
 * authenticates the desk's own forms (HMAC-SHA512-256, crypto_auth) so a
 * page of another site cannot make a staff member's browser change a
 * tip. It reveals nothing of the staff secret key (a one-way
 * derivation).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seal_impl.h"
#include "seal_staff.h"

#define CSRF_CONTEXT	"tlcsrf__"

/* --- the staff key files ----------------------------------------------- */

enum tl_err
tl_seal_secret_parse(const char *text, struct tl_seal_secret **out,
    char *err, size_t errlen)
{
	struct tl_seal_secret	*sk;
	enum tl_err		 rc;

	*out = NULL;
	if ((sk = tl_seal_secure_alloc(sizeof(*sk))) == NULL)
		return TL_ENOMEM;
	rc = tl_seal_key_parse(text, SECRET_PREFIX, "staff secret", sk->sk, err,
	    errlen);
	if (rc != TL_OK) {
		sodium_free(sk);
		return rc;
	}
	crypto_scalarmult_base(sk->pk, sk->sk);
	sodium_mprotect_readonly(sk);
	*out = sk;
	return TL_OK;
}

enum tl_err
tl_seal_secret_read(const char *path, struct tl_seal_secret **sk,
    char *err, size_t errlen)
{
	char		*text, why[160];
	enum tl_err	 rc;

	*sk = NULL;
	if ((text = tl_seal_secure_alloc(KEYFILE_BUF)) == NULL)
		return TL_ENOMEM;
	rc = tl_seal_key_slurp(path, text, KEYFILE_BUF, err, errlen);
	if (rc == TL_OK &&
	    (rc = tl_seal_secret_parse(text, sk, why, sizeof(why))) ==
	    TL_EMALFORMED)
		snprintf(err, errlen, "%s: %s", path, why);
	sodium_free(text);	/* wipes */
	return rc;
}

/* Writes line[0..len) to a new file at path; see tl_seal_public_write. */
static enum tl_err
key_write(const char *path, int mode, uid_t uid, gid_t gid,
    const char *line, size_t len, char *err, size_t errlen)
{
	int	 fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1) {
		saved = errno;
		snprintf(err, errlen, "%s: %s", path, saved == EEXIST ?
		    "exists already (a key is never overwritten)" :
		    strerror(saved));
		return saved == EEXIST ? TL_EDUPLICATE : TL_EIO;
	}
	if (((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    fchown(fd, uid, gid) == -1) || fchmod(fd, (mode_t)mode) == -1 ||
	    write(fd, line, len) != (ssize_t)len || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(path);
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		return TL_EIO;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return TL_EIO;
	}
	return TL_OK;
}

/* A key file's line for key: prefix, base64url, newline, NUL. */
static size_t
key_line(const char *prefix, const uint8_t key[TL_SEAL_KEYBYTES],
    char line[TL_SEAL_KEYFILE_LEN + 2])
{
	size_t	 plen = strlen(prefix);

	memcpy(line, prefix, plen);
	sodium_bin2base64(line + plen, B64LEN + 1, key, TL_SEAL_KEYBYTES,
	    B64VARIANT);
	line[TL_SEAL_KEYFILE_LEN] = '\n';
	line[TL_SEAL_KEYFILE_LEN + 1] = '\0';
	return TL_SEAL_KEYFILE_LEN + 1;
}

enum tl_err
tl_seal_public_write(const char *path, int mode, uid_t uid, gid_t gid,
    const uint8_t pk[TL_SEAL_KEYBYTES], char *err, size_t errlen)
{
	char	 line[TL_SEAL_KEYFILE_LEN + 2];
	size_t	 len = key_line(PUBLIC_PREFIX, pk, line);

	return key_write(path, mode, uid, gid, line, len, err, errlen);
}

enum tl_err
tl_seal_secret_write(const char *path, int mode, uid_t uid, gid_t gid,
    const struct tl_seal_secret *sk, char *err, size_t errlen)
{
	char		*line;
	size_t		 len;
	enum tl_err	 rc;

	if ((line = tl_seal_secure_alloc(TL_SEAL_KEYFILE_LEN + 2)) == NULL)
		return TL_ENOMEM;
	len = key_line(SECRET_PREFIX, sk->sk, line);
	rc = key_write(path, mode, uid, gid, line, len, err, errlen);
	sodium_free(line);	/* wipes */
	return rc;
}

/* --- opening a tip ----------------------------------------------------- */

/* Opened fields: names and values point into text, NUL-terminated. */
struct tl_seal_opened {
	size_t			 n;
	struct tl_seal_field	 f[TL_SEAL_FIELDS_MAX];
	size_t			 textlen;
	char			 text[];
};

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Parses the field at p[*off..len) into o (its strings copied to *t),
 * moving *off and *t past it. TL_OK or TL_EMALFORMED with the reason.
 */
static enum tl_err
plain_field(const uint8_t *p, size_t len, size_t *off,
    struct tl_seal_opened *o, char **t, char *err, size_t errlen)
{
	const uint8_t	*name = p + *off + 1;
	size_t		 nlen = p[*off], vlen, i;

	if (o->n == TL_SEAL_FIELDS_MAX || len - *off < 1 + nlen + 4 ||
	    !tl_seal_name_ok((const char *)name, nlen)) {
		snprintf(err, errlen, "field %zu is malformed", o->n);
		return TL_EMALFORMED;
	}
	vlen = get_u32(name + nlen);
	if (vlen > len - *off - 1 - nlen - 4 ||
	    memchr(name + nlen + 4, '\0', vlen) != NULL) {
		snprintf(err, errlen, "field %zu's value is malformed", o->n);
		return TL_EMALFORMED;
	}
	for (i = 0; i < o->n; i++)
		if (strlen(o->f[i].name) == nlen &&
		    memcmp(o->f[i].name, name, nlen) == 0) {
			snprintf(err, errlen, "field %zu repeats a name", o->n);
			return TL_EMALFORMED;
		}
	o->f[o->n].name = memcpy(*t, name, nlen);
	(*t)[nlen] = '\0';
	*t += nlen + 1;
	o->f[o->n++].value = memcpy(*t, name + nlen + 4, vlen);
	(*t)[vlen] = '\0';
	*t += vlen + 1;
	*off += 1 + nlen + 4 + vlen;
	return TL_OK;
}

enum tl_err
tl_seal_plain_decode(const uint8_t *p, size_t len,
    struct tl_seal_opened **out, char *err, size_t errlen)
{
	struct tl_seal_opened	*o;
	size_t			 off = 1;
	char			*t;
	enum tl_err		 rc;

	*out = NULL;
	if (len < 1 || len > TL_SEAL_PLAIN_MAX || p[0] != TL_SEAL_VERSION) {
		snprintf(err, errlen, "the plaintext's size or version is "
		    "wrong");
		return TL_EMALFORMED;
	}
	/* Each field's 5 bytes of lengths make room for its 2 NULs. */
	if ((o = malloc(sizeof(*o) + len)) == NULL)
		return TL_ENOMEM;
	o->n = 0;
	o->textlen = len;
	t = o->text;
	while (off < len)
		if ((rc = plain_field(p, len, &off, o, &t, err, errlen)) !=
		    TL_OK) {
			tl_seal_opened_free(o);
			return rc;
		}
	*out = o;
	return TL_OK;
}

size_t
tl_seal_opened_count(const struct tl_seal_opened *o)
{
	return o->n;
}

const struct tl_seal_field *
tl_seal_opened_field(const struct tl_seal_opened *o, size_t i)
{
	return i < o->n ? &o->f[i] : NULL;
}

const char *
tl_seal_opened_get(const struct tl_seal_opened *o, const char *name)
{
	size_t	 i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->f[i].name, name) == 0)
			return o->f[i].value;
	return NULL;
}

void
tl_seal_opened_free(struct tl_seal_opened *o)
{
	if (o == NULL)
		return;
	sodium_memzero(o, sizeof(*o) + o->textlen);
	free(o);
}

/* Why a blob does not open, as err's sentence. */
static enum tl_err
open_fault(enum tl_seal_fault f, enum tl_seal_fault *fault, char *err,
    size_t errlen)
{
	static const char *const why[] = {
		[TL_SEAL_FAULT_FORMAT] = "not a sealed blob (size or version)",
		[TL_SEAL_FAULT_KEY] = "not sealed to this staff key, or "
		    "damaged",
		[TL_SEAL_FAULT_AUTH] = "damaged, or not sealed for this tip "
		    "as it stands (moved, or a column changed)",
		[TL_SEAL_FAULT_PADDING] = "authentic but badly padded",
		[TL_SEAL_FAULT_PLAIN] = "authentic but its fields are "
		    "malformed",
	};

	if (fault != NULL)
		*fault = f;
	snprintf(err, errlen, "the sealed content does not open: %s", why[f]);
	return TL_EMALFORMED;
}

/*
 * Decrypts the content of blob (its size already checked) with key for
 * ad, unpads and parses it into *out. The padded plaintext is wiped.
 */
static enum tl_err
open_content(const uint8_t key[AEAD_KEYBYTES], const uint8_t *ad,
    size_t adlen, const uint8_t *blob, size_t bloblen,
    struct tl_seal_opened **out, enum tl_seal_fault *f, char *err,
    size_t errlen)
{
	size_t		 plen = bloblen - TL_SEAL_OVERHEAD, len;
	uint8_t		*plain;
	enum tl_err	 rc = TL_EMALFORMED;

	if ((plain = malloc(plen)) == NULL)
		return TL_ENOMEM;
	if (tl_seal_aead_decrypt(key, ad, adlen, blob + OFF_NONCE,
	    bloblen - OFF_NONCE, plain) != 0)
		*f = TL_SEAL_FAULT_AUTH;
	else if (sodium_unpad(&len, plain, plen, TL_SEAL_BLOCK) != 0)
		*f = TL_SEAL_FAULT_PADDING;
	else if ((rc = tl_seal_plain_decode(plain, len, out, err, errlen)) ==
	    TL_EMALFORMED)
		*f = TL_SEAL_FAULT_PLAIN;
	sodium_memzero(plain, plen);
	free(plain);
	return rc;
}

enum tl_err
tl_seal_open(const struct tl_seal_secret *sk, const struct tl_seal_ad *ad,
    const uint8_t *blob, size_t bloblen, struct tl_seal_opened **out,
    enum tl_seal_fault *fault, char *err, size_t errlen)
{
	uint8_t			 key[AEAD_KEYBYTES], *adb = NULL;
	size_t			 adlen;
	enum tl_seal_fault	 f = TL_SEAL_FAULT_NONE;
	enum tl_err		 rc;

	*out = NULL;
	if (fault != NULL)
		*fault = TL_SEAL_FAULT_NONE;
	if (bloblen < TL_SEAL_OVERHEAD + TL_SEAL_BLOCK || bloblen > BLOB_MAX ||
	    (bloblen - TL_SEAL_OVERHEAD) % TL_SEAL_BLOCK != 0 ||
	    blob[0] != TL_SEAL_VERSION)
		return open_fault(TL_SEAL_FAULT_FORMAT, fault, err, errlen);
	if ((rc = tl_seal_ad_encode(ad, &adb, &adlen, err, errlen)) != TL_OK)
		return rc;
	if (crypto_box_seal_open(key, blob + OFF_KEY, SEALED_KEYBYTES, sk->pk,
	    sk->sk) != 0) {
		free(adb);
		return open_fault(TL_SEAL_FAULT_KEY, fault, err, errlen);
	}
	rc = open_content(key, adb, adlen, blob, bloblen, out, &f, err,
	    errlen);
	sodium_memzero(key, sizeof(key));
	free(adb);
	if (f != TL_SEAL_FAULT_NONE)
		return open_fault(f, fault, err, errlen);
	return rc;
}

/* --- sealed files ------------------------------------------------------ */

/* Reads up to n bytes (fewer only at the end of the file): the count,
 * or -1 with errno. */
static ssize_t
read_full(int fd, uint8_t *p, size_t n)
{
	size_t	 got = 0;
	ssize_t	 r;

	while (got < n) {
		if ((r = read(fd, p + got, n - got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

void
tl_seal_data_free(uint8_t *data, size_t len)
{
	if (data == NULL)
		return;
	sodium_memzero(data, len);
	free(data);
}

/* Grows *data (wiping the old copy) to hold need bytes. */
static int
data_grow(uint8_t **data, size_t len, size_t *cap, size_t need)
{
	uint8_t	*p;
	size_t	 ncap = *cap != 0 ? *cap : TL_SEAL_FILE_CHUNK;

	while (ncap < need)
		ncap *= 2;
	if (ncap == *cap)
		return 0;
	if ((p = malloc(ncap)) == NULL)
		return -1;
	if (*data != NULL)
		memcpy(p, *data, len);
	tl_seal_data_free(*data, *cap);
	*data = p;
	*cap = ncap;
	return 0;
}

/* The stream's chunks from fd under st into *data. */
static enum tl_err
file_pull(crypto_secretstream_xchacha20poly1305_state *st, int fd,
    uint8_t **data, size_t *len, size_t *cap, char *err, size_t errlen)
{
	uint8_t			 c[TL_SEAL_FILE_CHUNK + SS_ABYTES + 1];
	unsigned long long	 m;
	unsigned char		 tag = 0;
	ssize_t			 n;

	while (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		if ((n = read_full(fd, c, TL_SEAL_FILE_CHUNK + SS_ABYTES))
		    == -1) {
			snprintf(err, errlen, "reading: %s", strerror(errno));
			return TL_EIO;
		}
		if ((size_t)n < SS_ABYTES) {
			snprintf(err, errlen, "the file is cut short");
			return TL_EMALFORMED;
		}
		if (data_grow(data, *len, cap, *len + (size_t)n) == -1) {
			snprintf(err, errlen, "out of memory");
			return TL_ENOMEM;
		}
		if (crypto_secretstream_xchacha20poly1305_pull(st,
		    *data + *len, &m, &tag, c, (size_t)n,
		    (const uint8_t *)FILE_MAGIC, FILE_MAGICLEN) != 0) {
			snprintf(err, errlen, "the file is damaged");
			return TL_EMALFORMED;
		}
		*len += (size_t)m;
	}
	if (read_full(fd, c, 1) != 0) {
		snprintf(err, errlen, "the file goes on after its end");
		return TL_EMALFORMED;
	}
	return TL_OK;
}

enum tl_err
tl_seal_file_read(const struct tl_seal_secret *sk, int fd, uint8_t **data,
    size_t *len, char *err, size_t errlen)
{
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t		 key[SS_KEYBYTES], head[FILE_HEAD];
	size_t		 cap = 0;
	enum tl_err	 rc = TL_EMALFORMED;

	*data = NULL;
	*len = 0;
	if (read_full(fd, head, sizeof(head)) != (ssize_t)sizeof(head) ||
	    memcmp(head, FILE_MAGIC, FILE_MAGICLEN) != 0) {
		snprintf(err, errlen, "not a sealed file");
		return TL_EMALFORMED;
	}
	if (crypto_box_seal_open(key, head + FILE_MAGICLEN, FILE_SEALEDKEY,
	    sk->pk, sk->sk) != 0) {
		snprintf(err, errlen, "not sealed to this staff key");
		goto out;
	}
	if (crypto_secretstream_xchacha20poly1305_init_pull(&st,
	    head + FILE_MAGICLEN + FILE_SEALEDKEY, key) != 0) {
		snprintf(err, errlen, "the file's header is damaged");
		goto out;
	}
	rc = file_pull(&st, fd, data, len, &cap, err, errlen);
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
	if (rc != TL_OK) {
		tl_seal_data_free(*data, cap);
		*data = NULL;
		*len = 0;
	}
	return rc;
}

/* --- the desk's form MAC (SPEC 12) ------------------------------------- */

struct tl_seal_mackey {
	uint8_t	 key[crypto_auth_KEYBYTES];
};

_Static_assert(crypto_auth_BYTES == TL_SEAL_MACBYTES, "mac size");
_Static_assert(crypto_kdf_CONTEXTBYTES == sizeof(CSRF_CONTEXT) - 1 &&
    crypto_auth_KEYBYTES >= crypto_kdf_BYTES_MIN, "csrf key size");

enum tl_err
tl_seal_csrf_key(const struct tl_seal_secret *sk,
    struct tl_seal_mackey **out)
{
	struct tl_seal_mackey	*k;

	*out = NULL;
	if ((k = sodium_malloc(sizeof(*k))) == NULL)
		return TL_ENOMEM;
	crypto_kdf_derive_from_key(k->key, sizeof(k->key), 1, CSRF_CONTEXT,
	    sk->sk);
	sodium_mprotect_readonly(k);
	*out = k;
	return TL_OK;
}

void
tl_seal_mackey_free(struct tl_seal_mackey *k)
{
	if (k != NULL)
		sodium_free(k);	/* wipes */
}

void
tl_seal_mac(const struct tl_seal_mackey *k, const void *msg, size_t len,
    uint8_t mac[TL_SEAL_MACBYTES])
{
	crypto_auth(mac, msg, len, k->key);
}

int
tl_seal_mac_verify(const struct tl_seal_mackey *k, const void *msg,
    size_t len, const uint8_t mac[TL_SEAL_MACBYTES])
{
	return crypto_auth_verify(mac, msg, len, k->key) == 0;
}
