/*
 * desk_csrf.c — the desk's form tokens and same-origin check (see
 * desk_csrf.h). The MAC itself is the seal module's (seal_mac.c).
 */
#include <sodium.h>
#include <string.h>

#include "desk_csrf.h"

#define TAG		"tipline-csrf-v1"
#define NAME_MAX_LEN	64
#define RAW_LEN		(8 + TL_SEAL_MACBYTES)
#define B64		sodium_base64_VARIANT_URLSAFE_NO_PADDING

_Static_assert(sodium_base64_ENCODED_LEN(RAW_LEN, B64) == TL_CSRF_LEN,
    "token length");

#define MSG_MAX		(sizeof(TAG) + NAME_MAX_LEN + 1 + 8)

/* What the MAC covers, for name and the 8 time bytes t, into msg: its
 * length, or 0 when name is too long. */
static size_t
token_msg(const char *name, const uint8_t t[8], uint8_t msg[MSG_MAX])
{
	size_t	 n = strlen(name);

	if (n > NAME_MAX_LEN)
		return 0;
	memcpy(msg, TAG, sizeof(TAG));		/* with its NUL */
	memcpy(msg + sizeof(TAG), name, n);
	msg[sizeof(TAG) + n] = '\0';
	memcpy(msg + sizeof(TAG) + n + 1, t, 8);
	return sizeof(TAG) + n + 1 + 8;
}

void
tl_csrf_issue(const struct tl_seal_mackey *k, const char *name, int64_t now,
    char out[TL_CSRF_LEN])
{
	uint8_t	 raw[RAW_LEN], msg[MSG_MAX];
	size_t	 n;
	int	 i;

	for (i = 0; i < 8; i++)
		raw[i] = (uint8_t)((uint64_t)now >> (56 - 8 * i));
	if ((n = token_msg(name, raw, msg)) > 0)
		tl_seal_mac(k, msg, n, raw + 8);
	else
		memset(raw + 8, 0, TL_SEAL_MACBYTES);	/* never valid */
	sodium_bin2base64(out, TL_CSRF_LEN, raw, sizeof(raw), B64);
}

int
tl_csrf_valid(const struct tl_seal_mackey *k, const char *name, int64_t now,
    const char *token)
{
	uint8_t	 raw[RAW_LEN], msg[MSG_MAX];
	size_t	 len, n;
	uint64_t t = 0;
	int	 i;

	if (token == NULL || name == NULL ||
	    strlen(token) != TL_CSRF_LEN - 1 ||
	    sodium_base642bin(raw, sizeof(raw), token, strlen(token), NULL,
	    &len, NULL, B64) != 0 || len != RAW_LEN)
		return 0;
	for (i = 0; i < 8; i++)
		t = t << 8 | raw[i];
	if ((int64_t)t > now + 60 || now - (int64_t)t > TL_CSRF_MAX_AGE)
		return 0;
	if ((n = token_msg(name, raw, msg)) == 0)
		return 0;
	return tl_seal_mac_verify(k, msg, n, raw + 8);
}

/* The length of url's origin: scheme "://" host[:port], up to the first
 * "/" after the host. */
static size_t
origin_len(const char *url)
{
	const char	*p = strstr(url, "://");

	if (p == NULL)
		return 0;
	p += 3;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

int
tl_csrf_same_origin(const char *staff_url, const char *sec_fetch_site,
    const char *origin)
{
	size_t	 n;

	if (sec_fetch_site != NULL && *sec_fetch_site != '\0')
		return strcmp(sec_fetch_site, "same-origin") == 0;
	if (origin == NULL || *origin == '\0')
		return 1;
	if (staff_url == NULL || (n = origin_len(staff_url)) == 0)
		return 0;
	return strlen(origin) == n && strncasecmp(origin, staff_url, n) == 0;
}

int
tl_csrf_person_opened(const char *sec_fetch_site, const char *sec_fetch_mode,
    const char *origin)
{
	if (sec_fetch_site != NULL && *sec_fetch_site != '\0')
		return (strcmp(sec_fetch_site, "same-origin") == 0 ||
		    strcmp(sec_fetch_site, "none") == 0) &&
		    sec_fetch_mode != NULL &&
		    strcmp(sec_fetch_mode, "navigate") == 0;
	return origin == NULL || *origin == '\0';
}
