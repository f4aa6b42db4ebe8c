/*
 * fuzz_config.c — tipline.conf text (SPEC 3): tl_config_parse() on
 * arbitrary text, and tl_config_parse_schedule() on its first line.
 *
 * Oracles: the result is TL_OK or TL_ECONFIG with "name:" leading the
 * message; on error cfg is zeroed; on success every value is in its
 * documented range, paths are absolute (relative ones joined to the
 * folder), base_path is empty or starts but does not end with '/', the
 * retry schedule holds 1 to TL_RETRY_MAX waits, and the webhook URL, if
 * any, is http(s) with no blank or control character.
 */
#include "config.h"
#include "fuzz.h"

#define NAME	"fuzz.conf"
#define DIR	"/etc/fuzz"

static int
is_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

/* A path from the file: absolute when the file has a folder. */
static void
check_path(const char *p, int optional, int absolute)
{
	if (p == NULL) {
		FUZZ_CHECK(optional);
		return;
	}
	FUZZ_CHECK(p[0] != '\0');
	if (absolute)
		FUZZ_CHECK(p[0] == '/');
}

static void
check_cfg(const struct tl_config *c, int abs)
{
	const char	*u;
	size_t		 i, n;

	FUZZ_CHECK(c->path != NULL && strcmp(c->path, NAME) == 0);
	check_path(c->database, 0, abs);
	check_path(c->templates, 0, abs);
	check_path(c->listen, 1, abs);
	check_path(c->form_key_file, 0, abs);
	check_path(c->webhook_secret_file, 0, abs);
	FUZZ_CHECK(c->base_path != NULL);
	n = strlen(c->base_path);
	FUZZ_CHECK(n == 0 || (c->base_path[0] == '/' &&
	    c->base_path[n - 1] != '/'));
	FUZZ_CHECK(strpbrk(c->base_path, " \t\r\n?#%\"'<>\\") == NULL);
	FUZZ_CHECK(c->threads >= 1 && c->threads <= 256);
	FUZZ_CHECK(c->max_body_bytes >= 1024 &&
	    c->max_body_bytes <= 16777216);
	FUZZ_CHECK(c->form_min_seconds >= 0 && c->form_max_age >= 60);
	FUZZ_CHECK(c->webhook_timeout_ms >= 100 && c->poll_ms >= 10);
	FUZZ_CHECK(c->summary_excerpt_chars >= 0 && c->retention_days >= 0);
	FUZZ_CHECK(c->webhook_format == TL_WEBHOOK_STANDARD ||
	    c->webhook_format == TL_WEBHOOK_SLACK);
	FUZZ_CHECK(c->org_name != NULL && c->emergency_phone != NULL &&
	    c->non_emergency_phone != NULL);
	FUZZ_CHECK(c->retry_count >= 1 && c->retry_count <= TL_RETRY_MAX);
	for (i = 0; i < c->retry_count; i++)
		FUZZ_CHECK(c->retry_schedule[i] >= 0 &&
		    c->retry_schedule[i] <= 365L * 86400);
	if ((u = c->webhook_url) != NULL) {
		FUZZ_CHECK(strncmp(u, "http://", 7) == 0 ||
		    strncmp(u, "https://", 8) == 0);
		for (; *u != '\0'; u++)
			FUZZ_CHECK((unsigned char)*u > ' ' && *u != 0x7f);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_config	 cfg;
	char			 err[256], *text = fuzz_strndup(data, size);
	long			 waits[TL_RETRY_MAX];
	size_t			 n = 0, i, line;
	enum tl_err		 rc;

	memset(err, 'x', sizeof(err));
	rc = tl_config_parse(NAME, (size > 0 && data[0] & 1) ? DIR : NULL,
	    text, size, &cfg, err, sizeof(err));
	FUZZ_CHECK(rc == TL_OK || rc == TL_ECONFIG);
	if (rc == TL_OK) {
		check_cfg(&cfg, size > 0 && data[0] & 1);
		tl_config_free(&cfg);
	} else {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME) + 1) == 0);
		FUZZ_CHECK(is_zero(&cfg, sizeof(cfg)));
	}
	/* The schedule parser alone, on the first line. */
	line = strcspn(text, "\n");
	text[line] = '\0';
	if (tl_config_parse_schedule(text, waits, TL_RETRY_MAX, &n) == TL_OK) {
		FUZZ_CHECK(n >= 1 && n <= TL_RETRY_MAX);
		for (i = 0; i < n; i++)
			FUZZ_CHECK(waits[i] >= 0 && waits[i] <= 365L * 86400);
	}
	free(text);
	return 0;
}
