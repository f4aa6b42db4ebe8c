/*
 * test_secret.c — webhook secrets and key files.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "buf.h"
#include "secret.h"
#include "token.h"

static void
test_parse(void **state)
{
	uint8_t	 k[TL_SECRET_MAX];
	size_t	 n;
	char	 err[128];

	(void)state;
	/* The Standard Webhooks example secret: 24 bytes. */
	assert_int_equal(tl_secret_parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La"
	    "LaSw\n", k, &n, err, sizeof(err)), TL_OK);
	assert_int_equal(n, 24);
	assert_int_equal(k[0], 0x31);
	assert_int_equal(tl_secret_parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    k, &n, err, sizeof(err)), TL_EINVAL);
	assert_non_null(strstr(err, "whsec_"));
	assert_int_equal(tl_secret_parse("whsec_not*base64", k, &n, err,
	    sizeof(err)), TL_EINVAL);
	assert_non_null(strstr(err, "base64"));
	assert_int_equal(tl_secret_parse("whsec_AAAA", k, &n, err,
	    sizeof(err)), TL_EINVAL);
	assert_string_equal(err, "the webhook secret is 3 bytes; 24 to 64 "
	    "are needed");
	/* URL-safe alphabet or missing padding is not the standard form. */
	assert_int_equal(tl_secret_parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La"
	    "LaS_", k, &n, err, sizeof(err)), TL_EINVAL);
}

static void
test_new(void **state)
{
	uint8_t	 k[TL_SECRET_MAX], fk[TL_FORM_KEYBYTES];
	char	 w[64], f[66], dir[] = "/tmp/tl-secret-XXXXXX", path[64];
	char	 err[256];
	size_t	 n;
	int	 created;
	struct stat st;

	(void)state;
	tl_secret_new_webhook(w);
	assert_int_equal(tl_secret_parse(w, k, &n, err, sizeof(err)), TL_OK);
	assert_int_equal(n, 32);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f.key", dir);
	tl_secret_new_form_key(f);
	assert_int_equal(tl_secret_create(path, f, 0400, &created, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(created, 1);
	assert_int_equal(tl_secret_create(path, "other", 0400, &created, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(created, 0);		/* never overwritten */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0400);
	assert_int_equal(tl_token_read_key(path, fk, err, sizeof(err)), TL_OK);
	unlink(path);
	assert_int_equal(tl_secret_create(path, "abc\n", 0600, &created, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(tl_token_read_key(path, fk, err, sizeof(err)),
	    TL_EINVAL);
	assert_non_null(strstr(err, "64 hex digits"));
	unlink(path);
	rmdir(dir);
}

/* A key file cut short by a bad digit leaves nothing of the key behind:
 * sodium_hex2bin() writes what it decoded before it stops. */
static void
test_key_wiped_on_error(void **state)
{
	uint8_t	 fk[TL_FORM_KEYBYTES];
	char	 dir[] = "/tmp/tl-secret-XXXXXX", path[64], text[80];
	char	 err[256];
	size_t	 i;
	int	 created;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f.key", dir);
	for (i = 0; i < 31; i++)
		memcpy(text + 2 * i, "11", 2);
	memcpy(text + 62, "zz\n", 4);
	assert_int_equal(tl_secret_create(path, text, 0600, &created, err,
	    sizeof(err)), TL_OK);
	memset(fk, 0xaa, sizeof(fk));
	assert_int_equal(tl_token_read_key(path, fk, err, sizeof(err)),
	    TL_EINVAL);
	for (i = 0; i < sizeof(fk); i++)
		assert_int_equal(fk[i], 0);
	unlink(path);
	rmdir(dir);
}

/*
 * Secrets are wiped with sodium_memzero(), which the compiler may not
 * drop as a dead store, never with memset(): no line of lib/ wipes
 * anything named like a key or secret with memset. Run from the top of
 * the tree.
 */
static void
test_no_memset_on_secrets(void **state)
{
	DIR		*d;
	struct dirent	*e;
	FILE		*f;
	char		 path[512], line[512];
	const char	*p;
	size_t		 n = 0, lineno;

	(void)state;
	assert_non_null(d = opendir("lib"));
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) < 3 ||
		    strcmp(e->d_name + strlen(e->d_name) - 2, ".c") != 0)
			continue;
		snprintf(path, sizeof(path), "lib/%s", e->d_name);
		assert_non_null(f = fopen(path, "r"));
		n++;
		for (lineno = 1; fgets(line, sizeof(line), f) != NULL;
		    lineno++) {
			if ((p = strstr(line, "memset(")) == NULL)
				continue;
			p += strcspn(p, ",");
			if (strstr(line, "key") != NULL &&
			    strstr(line, "key") < p)
				fail_msg("%s:%zu: a key wiped with memset",
				    path, lineno);
			if (strstr(line, "secret") != NULL &&
			    strstr(line, "secret") < p)
				fail_msg("%s:%zu: a secret wiped with memset",
				    path, lineno);
		}
		fclose(f);
	}
	closedir(d);
	assert_true(n > 10);
}

static void
test_html(void **state)
{
	struct tl_buf	 b = TL_BUF_INIT;

	(void)state;
	tl_buf_html_str(&b, "<script>alert(\"x\" & 'y')</script>");
	assert_string_equal(b.data, "&lt;script&gt;alert(&quot;x&quot; &amp; "
	    "&#39;y&#39;)&lt;/script&gt;");
	tl_buf_reset(&b);
	tl_buf_html_str(&b, "plain text, ünïcode");
	assert_string_equal(b.data, "plain text, ünïcode");
	tl_buf_reset(&b);
	tl_buf_printf(&b, "%d-%s", 42, "x");
	assert_string_equal(b.data, "42-x");
	assert_true(tl_buf_ok(&b));
	tl_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_key_wiped_on_error),
		cmocka_unit_test(test_no_memset_on_secrets),
		cmocka_unit_test(test_html),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}
