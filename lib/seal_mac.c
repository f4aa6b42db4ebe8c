/*
 * seal_mac.c — the seal module's MAC for the desk's forms (SPEC 12),
 * apart from seal.c so that the public programs, which link seal.c, hold
 * nothing of the desk. See seal.h.
 */
#include <sodium.h>

#include "seal.h"
#include "seal_impl.h"

/*
 * The desk's CSRF key, derived from the staff secret key (crypto_kdf,
 * context "tlcsrf__", subkey 1) so that the desk needs no key file of its
 * own and a token from one deployment is worthless at another: it
 * authenticates the desk's own forms (HMAC-SHA512-256, crypto_auth) so a
 * page of another site cannot make a staff member's browser change a tip.
 * It reveals nothing of the staff secret key (a one-way derivation).
 */
#define CSRF_CONTEXT	"tlcsrf__"

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
