/*
 * test_secret.c — webhook secrets and key files.
 */
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
	    "LaSw\n", k, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 24);
	assert_int_equal(k[0], 0x31);
	assert_int_equal(tl_secret_parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    k, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "whsec_"));
	assert_int_equal(tl_secret_parse("whsec_not*base64", k, &n, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "base64"));
	assert_int_equal(tl_secret_parse("whsec_AAAA", k, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "the webhook secret is 3 bytes; 24 to 64 "
	    "are needed");
	/* URL-safe alphabet or missing padding is not the standard form. */
	assert_int_equal(tl_secret_parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La"
	    "LaS_", k, &n, err, sizeof(err)), -1);
}

static void
test_new(void **state)
{
	uint8_t	 k[TL_SECRET_MAX], fk[TL_FORM_KEYBYTES];
	char	 w[64], f[66], dir[] = "/tmp/tl-secret-XXXXXX", path[64];
	char	 err[256];
	size_t	 n;
	struct stat st;

	(void)state;
	tl_secret_new_webhook(w);
	assert_int_equal(tl_secret_parse(w, k, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 32);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f.key", dir);
	tl_secret_new_form_key(f);
	assert_int_equal(tl_secret_create(path, f, 0400, err, sizeof(err)), 1);
	assert_int_equal(tl_secret_create(path, "other", 0400, err,
	    sizeof(err)), 0);			/* never overwritten */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0400);
	assert_int_equal(tl_token_read_key(path, fk, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(tl_secret_create(path, "abc\n", 0600, err,
	    sizeof(err)), 1);
	assert_int_equal(tl_token_read_key(path, fk, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "64 hex digits"));
	unlink(path);
	rmdir(dir);
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
		cmocka_unit_test(test_html),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}
