/*
 * fuzz_seal.c — seal.c's parsers of stored bytes: the blob
 * (tl_seal_open), the plaintext inside it (tl_seal_plain_decode) and the
 * key files (tl_seal_public_parse, tl_seal_secret_parse). The staff key
 * pair comes from a fixed seed and the random source is a fixed-seed
 * generator reset for every input, so valid blobs reach deep and every
 * finding replays.
 *
 * The first byte picks the mode (the rest is the input):
 *   0: the input as a blob, for a fixed row: it opens only if it is one
 *      of ours; whatever opens re-encodes to a plaintext that decodes to
 *      the same fields; anything else is refused with a fault;
 *   1: the input as a plaintext: if it decodes, encoding the fields
 *      again gives exactly the input (one encoding per field set);
 *   2: a length byte, a plaintext, then bytes to XOR into a blob: if the
 *      plaintext decodes, its fields are sealed, the blob must open to
 *      the same fields, and then, with the XOR applied (at 4 times its
 *      first byte), it must open exactly when nothing changed;
 *   3: the input as key file text: accepted only as one line of the
 *      right length, and a secret key read matches its seed's public key
 *      exactly when the text is the seed's;
 *   4: the input, padded with zeros to a block, as the padded plaintext
 *      of a blob sealed by hand (test code: the only way to reach the
 *      padding and plaintext checks that follow decryption): it opens
 *      exactly when sodium_unpad and the plaintext parser accept it;
 *   5: a length byte, a message's text, then bytes to XOR into its
 *      blob: the message, sealed under a fixed shared key, opens to the
 *      same text, and after the XOR exactly when nothing changed.
 */
#include <sodium.h>

#include "fuzz.h"
#include "fuzz_rnd.h"
#include "seal_staff.h"

static struct tl_seal_secret	*sk;
static struct tl_seal_shared	*shared;
static const struct tl_seal_msg_ad msg_row = { "K7QF-2M9X", 2,
    TL_SEAL_FROM_SENDER, 1764300000 };
static uint8_t			 pk[TL_SEAL_KEYBYTES];

static const struct tl_seal_column cols[] = {
	{ "priority", "urgent" }, { "area", "LS11" }, { "when", NULL },
};
static const uint8_t sender[TL_SEAL_KEYBYTES + TL_SEAL_SALTBYTES];
static const struct tl_seal_ad row = { "K7QF-2M9X", 1764300000, cols, 3,
    sender, sender + TL_SEAL_KEYBYTES, NULL };

/* The fields of o, in order, as an array (static: at most 64). */
static const struct tl_seal_field *
fields_of(const struct tl_seal_opened *o, struct tl_seal_field *f)
{
	size_t	 i;

	for (i = 0; i < tl_seal_opened_count(o); i++)
		f[i] = *tl_seal_opened_field(o, i);
	return f;
}

/* Whether a and b hold the same fields in the same order. */
static int
same_fields(const struct tl_seal_opened *a, const struct tl_seal_opened *b)
{
	size_t	 i;

	if (tl_seal_opened_count(a) != tl_seal_opened_count(b))
		return 0;
	for (i = 0; i < tl_seal_opened_count(a); i++)
		if (strcmp(tl_seal_opened_field(a, i)->name,
		    tl_seal_opened_field(b, i)->name) != 0 ||
		    strcmp(tl_seal_opened_field(a, i)->value,
		    tl_seal_opened_field(b, i)->value) != 0)
			return 0;
	return 1;
}

/* Encodes o's fields and checks they decode to o again. */
static void
reencode(const struct tl_seal_opened *o, const uint8_t *want, size_t len)
{
	struct tl_seal_field	 f[TL_SEAL_FIELDS_MAX];
	struct tl_seal_opened	*back;
	uint8_t			*p;
	size_t			 plen;
	char			 err[160];

	FUZZ_CHECK(tl_seal_plain_encode(fields_of(o, f),
	    tl_seal_opened_count(o), &p, &plen, err, sizeof(err)) == TL_OK);
	if (want != NULL)
		FUZZ_CHECK(plen == len && memcmp(p, want, len) == 0);
	FUZZ_CHECK(tl_seal_plain_decode(p, plen, &back, err, sizeof(err)) ==
	    TL_OK);
	FUZZ_CHECK(same_fields(o, back));
	tl_seal_opened_free(back);
	free(p);
}

/* Opens blob for row; returns the fault, checking the answer's shape. */
static enum tl_seal_fault
open_blob(const uint8_t *blob, size_t len, struct tl_seal_opened **o)
{
	enum tl_seal_fault	 f;
	enum tl_err		 rc;
	char			 err[200];

	rc = tl_seal_open(sk, &row, blob, len, o, &f, err, sizeof(err));
	FUZZ_CHECK(rc == TL_OK || rc == TL_EMALFORMED);
	FUZZ_CHECK((rc == TL_OK) == (f == TL_SEAL_FAULT_NONE));
	FUZZ_CHECK((rc == TL_OK) == (*o != NULL));
	return f;
}

static void
as_blob(const uint8_t *data, size_t size)
{
	struct tl_seal_opened	*o;
	uint8_t			*copy = malloc(size > 0 ? size : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	if (open_blob(copy, size, &o) == TL_SEAL_FAULT_NONE)
		reencode(o, NULL, 0);
	tl_seal_opened_free(o);
	free(copy);
}

static void
as_plain(const uint8_t *data, size_t size)
{
	struct tl_seal_opened	*o;
	char			 err[160];

	if (tl_seal_plain_decode(data, size, &o, err, sizeof(err)) != TL_OK) {
		FUZZ_CHECK(o == NULL);
		return;
	}
	reencode(o, data, size);
	tl_seal_opened_free(o);
}

/* Seals the fields of o, opens, then XORs xor[0..n) into the blob. */
static void
seal_and_tamper(const struct tl_seal_opened *o, const uint8_t *xor,
    size_t n)
{
	struct tl_seal_field	 f[TL_SEAL_FIELDS_MAX];
	struct tl_seal_opened	*back;
	uint8_t			*blob;
	size_t			 len, i, at;
	int			 changed = 0;
	char			 err[160];

	FUZZ_CHECK(tl_seal_seal(pk, &row, fields_of(o, f),
	    tl_seal_opened_count(o), &blob, &len, err, sizeof(err)) == TL_OK);
	FUZZ_CHECK((len - TL_SEAL_OVERHEAD) % TL_SEAL_BLOCK == 0);
	FUZZ_CHECK(open_blob(blob, len, &back) == TL_SEAL_FAULT_NONE);
	FUZZ_CHECK(same_fields(o, back));
	tl_seal_opened_free(back);
	/* xor[0] picks where (in steps of 4 bytes), the rest is XORed. */
	at = n > 0 ? (size_t)xor[0] * 4 % len : 0;
	for (i = 1; i < n && at + i - 1 < len; i++) {
		blob[at + i - 1] ^= xor[i];
		changed |= xor[i];
	}
	FUZZ_CHECK((open_blob(blob, len, &back) == TL_SEAL_FAULT_NONE) ==
	    !changed);
	tl_seal_opened_free(back);
	free(blob);
}

static void
deep(const uint8_t *data, size_t size)
{
	struct tl_seal_opened	*o;
	size_t			 cut;
	char			 err[160];

	if (size < 2)
		return;
	/* data[0] says where the plaintext ends and the XOR begins. */
	cut = 1 + data[0] % (size - 1);
	if (tl_seal_plain_decode(data + 1, cut - 1, &o, err, sizeof(err)) !=
	    TL_OK)
		return;
	seal_and_tamper(o, data + cut, size - cut);
	tl_seal_opened_free(o);
}

static void
as_key_text(const uint8_t *data, size_t size)
{
	struct tl_seal_secret	*s;
	uint8_t			 p[TL_SEAL_KEYBYTES];
	char			*t = fuzz_strndup(data, size), err[200];
	size_t			 len = strlen(t);

	if (tl_seal_public_parse(t, p, err, sizeof(err)) == TL_OK)
		FUZZ_CHECK(len == TL_SEAL_KEYFILE_LEN || (len ==
		    TL_SEAL_KEYFILE_LEN + 1 && t[len - 1] == '\n'));
	if (tl_seal_secret_parse(t, &s, err, sizeof(err)) == TL_OK) {
		FUZZ_CHECK(len == TL_SEAL_KEYFILE_LEN || (len ==
		    TL_SEAL_KEYFILE_LEN + 1 && t[len - 1] == '\n'));
		tl_seal_secret_public(s, p);
		FUZZ_CHECK(tl_seal_secret_matches(s, p));
		tl_seal_secret_free(s);
	} else
		FUZZ_CHECK(s == NULL);
	free(t);
}

/*
 * Test code: a blob around a padded plaintext of our choosing, built as
 * seal.c builds one (seal.h's layout), which seal.c itself never makes.
 */
#define NONCE_AT	(1 + crypto_box_SEALBYTES + sizeof(key))

static uint8_t *
raw_blob(const uint8_t *padded, size_t plen, size_t *len)
{
	uint8_t	 key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES], *b, *ad;
	size_t	 adlen;
	char	 err[160];

	FUZZ_CHECK(tl_seal_ad_encode(&row, &ad, &adlen, err, sizeof(err)) ==
	    TL_OK);
	*len = TL_SEAL_OVERHEAD + plen;
	if ((b = malloc(*len)) == NULL)
		abort();
	b[0] = TL_SEAL_VERSION;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(b + NONCE_AT, 24);
	FUZZ_CHECK(crypto_box_seal(b + 1, key, sizeof(key), pk) == 0);
	crypto_aead_xchacha20poly1305_ietf_encrypt(b + TL_SEAL_HEADERBYTES,
	    NULL, padded, plen, ad, adlen, NULL, b + NONCE_AT, key);
	free(ad);
	return b;
}

static void
as_padded(const uint8_t *data, size_t size)
{
	struct tl_seal_opened	*o, *direct;
	uint8_t			*padded, *blob;
	size_t			 plen, len, unpadded;
	enum tl_seal_fault	 f;
	char			 err[160];
	int			 ok;

	plen = (size / TL_SEAL_BLOCK + (size % TL_SEAL_BLOCK != 0)) *
	    TL_SEAL_BLOCK;
	if (plen == 0 || plen > 8 * TL_SEAL_BLOCK ||
	    (padded = calloc(1, plen)) == NULL)
		return;
	memcpy(padded, data, size);
	blob = raw_blob(padded, plen, &len);
	f = open_blob(blob, len, &o);
	ok = sodium_unpad(&unpadded, padded, plen, TL_SEAL_BLOCK) == 0;
	FUZZ_CHECK(ok || f == TL_SEAL_FAULT_PADDING);
	if (ok) {
		ok = tl_seal_plain_decode(padded, unpadded, &direct, err,
		    sizeof(err)) == TL_OK;
		FUZZ_CHECK(f == (ok ? TL_SEAL_FAULT_NONE : TL_SEAL_FAULT_PLAIN));
		if (ok)
			FUZZ_CHECK(same_fields(o, direct));
		tl_seal_opened_free(direct);
	}
	tl_seal_opened_free(o);
	free(blob);
	free(padded);
}

/* Whether the message blob opens, to want when it does. */
static int
msg_opens(const uint8_t *blob, size_t len, const char *want)
{
	enum tl_err	 rc;
	char		*t, err[200];

	rc = tl_seal_msg_open(shared, &msg_row, blob, len, &t, err,
	    sizeof(err));
	FUZZ_CHECK(rc == TL_OK || rc == TL_EMALFORMED);
	FUZZ_CHECK((rc == TL_OK) == (t != NULL));
	if (t != NULL)
		FUZZ_CHECK(strcmp(t, want) == 0);
	tl_seal_text_free(t);
	return rc == TL_OK;
}

static void
message(const uint8_t *data, size_t size)
{
	uint8_t	*blob;
	size_t	 cut, len, i;
	char	*text, err[160];
	int	 changed = 0;

	if (size < 1)
		return;
	cut = 1 + data[0] % size;
	text = fuzz_strndup(data + 1, cut - 1);
	FUZZ_CHECK(tl_seal_msg_seal(shared, &msg_row, text, &blob, &len, err,
	    sizeof(err)) == TL_OK);
	FUZZ_CHECK(msg_opens(blob, len, text));
	for (i = cut; i < size && i - cut < len; i++) {
		blob[i - cut] ^= data[i];
		changed |= data[i];
	}
	FUZZ_CHECK(msg_opens(blob, len, text) == !changed);
	free(blob);
	free(text);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t seed[TL_SEAL_KEYBYTES] = "fuzz_seal's fixed seed, 32 b";

	(void)argc;
	(void)argv;
	if (fuzz_rnd_install() != 0 ||
	    sodium_init() < 0 || tl_seal_keypair(seed, pk, &sk) != TL_OK ||
	    tl_seal_shared_new(sk, pk, &shared) != TL_OK)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	fuzz_rnd_reset();
	switch (data[0] % 6) {
	case 0:
		as_blob(data + 1, size - 1);
		break;
	case 1:
		as_plain(data + 1, size - 1);
		break;
	case 2:
		deep(data + 1, size - 1);
		break;
	case 3:
		as_key_text(data + 1, size - 1);
		break;
	case 4:
		as_padded(data + 1, size - 1);
		break;
	default:
		message(data + 1, size - 1);
		break;
	}
	return 0;
}
