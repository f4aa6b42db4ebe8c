/*
 * test_config.c — tipline.conf parsing: defaults, values, and every error
 * naming file and line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static enum tl_err
parse(const char *text, struct tl_config *cfg, char *err, size_t errlen)
{
	return tl_config_parse("t.conf", "/etc/tl", text, strlen(text), cfg,
	    err, errlen);
}

static void
test_defaults(void **state)
{
	struct tl_config c;
	char		 err[256];

	(void)state;
	assert_int_equal(parse("", &c, err, sizeof(err)), TL_OK);
	assert_string_equal(c.database, "/var/lib/tipline/tipline.db");
	assert_string_equal(c.templates,
	    "/usr/local/share/tipline/templates");
	assert_string_equal(c.base_path, "/report");
	assert_null(c.listen);
	assert_int_equal(c.threads, 32);
	assert_int_equal(c.max_body_bytes, 65536);
	assert_string_equal(c.form_key_file, "/etc/tipline/form.key");
	assert_int_equal(c.form_min_seconds, 3);
	assert_int_equal(c.form_max_age, 86400);
	assert_string_equal(c.org_name, "Tipline");
	assert_string_equal(c.non_emergency_phone, "101");
	assert_string_equal(c.emergency_phone, "999");
	assert_null(c.webhook_url);
	assert_string_equal(c.webhook_secret_file,
	    "/etc/tipline/webhook.secret");
	assert_int_equal(c.webhook_format, TL_WEBHOOK_STANDARD);
	assert_int_equal(c.webhook_timeout_ms, 10000);
	assert_int_equal(c.summary_excerpt_chars, 0);
	assert_int_equal(c.retry_count, 7);
	assert_int_equal(c.retry_schedule[0], 5);
	assert_int_equal(c.retry_schedule[1], 300);
	assert_int_equal(c.retry_schedule[6], 36000);
	assert_int_equal(c.poll_ms, 500);
	assert_int_equal(c.retention_days, 365);
	tl_config_free(&c);
}

static void
test_values(void **state)
{
	struct tl_config c;
	char		 err[256];
	const char	*text =
	    "# a comment\n"
	    "   # an indented comment\n"
	    "\n"
	    "database = data/tips.db\n"
	    "templates=/srv/t\r\n"
	    "base_path =\n"
	    "org_name =   County # Tips  \n"
	    "threads = 8\n"
	    "webhook_url = https://hooks.example.org/x?y=1\n"
	    "webhook_format = slack\n"
	    "retry_schedule = 1s, 2m,3h,1d\n";

	(void)state;
	assert_int_equal(parse(text, &c, err, sizeof(err)), TL_OK);
	assert_string_equal(c.database, "/etc/tl/data/tips.db");
	assert_string_equal(c.templates, "/srv/t");
	assert_string_equal(c.base_path, "");
	assert_string_equal(c.org_name, "County # Tips");
	assert_int_equal(c.threads, 8);
	assert_string_equal(c.webhook_url, "https://hooks.example.org/x?y=1");
	assert_int_equal(c.webhook_format, TL_WEBHOOK_SLACK);
	assert_int_equal(c.retry_count, 4);
	assert_int_equal(c.retry_schedule[0], 1);
	assert_int_equal(c.retry_schedule[1], 120);
	assert_int_equal(c.retry_schedule[2], 10800);
	assert_int_equal(c.retry_schedule[3], 86400);
	tl_config_free(&c);
}

static const struct {
	const char	*text;
	const char	*err;	/* expected message */
} bad[] = {
	{ "nonsense\n", "t.conf:1: expected `key = value`" },
	{ "\n\ncolour = blue\n", "t.conf:3: unknown key `colour`" },
	{ "threads = 2\nthreads = 3\n", "t.conf:2: threads is given twice" },
	{ "threads = many\n",
	    "t.conf:1: threads must be a whole number from 1 to 256" },
	{ "threads = 0\n",
	    "t.conf:1: threads must be a whole number from 1 to 256" },
	{ "threads = -4\n",
	    "t.conf:1: threads must be a whole number from 1 to 256" },
	{ "max_body_bytes = 99999999999999999999\n",
	    "t.conf:1: max_body_bytes must be a whole number from 1024 to "
	    "16777216" },
	{ "poll_ms = 5x\n",
	    "t.conf:1: poll_ms must be a whole number from 10 to 3600000" },
	{ "webhook_url = ftp://x\n", "t.conf:1: webhook_url must be an "
	    "http:// or https:// URL" },
	{ "webhook_url = http://\n", "t.conf:1: webhook_url must be an "
	    "http:// or https:// URL" },
	{ "webhook_format = xml\n",
	    "t.conf:1: webhook_format must be standard or slack" },
	{ "base_path = report\n", "t.conf:1: base_path must be empty or "
	    "start with / and not end with /" },
	{ "base_path = /report/\n", "t.conf:1: base_path must be empty or "
	    "start with / and not end with /" },
	{ "retry_schedule = 5s,,5m\n", "t.conf:1: retry_schedule must be "
	    "waits like 5s,5m,2h,1d separated by commas" },
	{ "retry_schedule = 5\n", "t.conf:1: retry_schedule must be "
	    "waits like 5s,5m,2h,1d separated by commas" },
	{ "retry_schedule =\n", "t.conf:1: retry_schedule must be "
	    "waits like 5s,5m,2h,1d separated by commas" },
	{ "database =\n", "t.conf:1: a path is required" },
	/* SPEC 15 */
	{ "staff_url = desk\n", "t.conf:1: staff_url must be an "
	    "http:// or https:// URL" },
	{ "alert_urgent_after = 5\n", "t.conf:1: a time like 30s, 5m or 2h "
	    "is needed (0: never)" },
	{ "alert_urgent_after = 5m,2m\n", "t.conf:1: a time like 30s, 5m or "
	    "2h is needed (0: never)" },
	{ "digest_after = -1\n",
	    "t.conf:1: digest_after must be a whole number from 0 to 1000000" },
	{ "webhook_url = https://x.example/\nwebhook_url_file = /u\n",
	    "t.conf: webhook_url and webhook_url_file are both set "
	    "(keep one)" },
};

/* The keys of SPEC 15: defaults and values. */
static void
test_spec15_keys(void **state)
{
	static const char text[] = "alert_urgent_after = 90s\n"
	    "digest_after = 0\nwebhook_url_file = url\n"
	    "staff_url = https://desk.example/staff\n"
	    "staff_database = s/staff.db\n";
	struct tl_config c;
	char		 err[256];

	(void)state;
	assert_int_equal(tl_config_parse("t.conf", "/etc/x", "", 0, &c, err,
	    sizeof(err)), TL_OK);
	assert_int_equal(c.alert_urgent_after, 300);
	assert_int_equal(c.digest_after, 30);
	assert_null(c.webhook_url_file);
	assert_null(c.staff_url);
	assert_false(tl_config_has_webhook(&c));
	assert_string_equal(c.staff_database,
	    "/var/lib/tipline-staff/staff.db");
	assert_string_equal(c.staff_public_key_file, "/etc/tipline/staff.pub");
	tl_config_free(&c);
	assert_int_equal(tl_config_parse("t.conf", "/etc/x", text,
	    sizeof(text) - 1, &c, err, sizeof(err)), TL_OK);
	assert_int_equal(c.alert_urgent_after, 90);
	assert_int_equal(c.digest_after, 0);
	assert_string_equal(c.webhook_url_file, "/etc/x/url");
	assert_true(tl_config_has_webhook(&c));
	assert_string_equal(c.staff_database, "/etc/x/s/staff.db");
	tl_config_free(&c);
}

/* Asserts that the waits of cfg for urgent (or not) are want[0..n-1]. */
static void
waits_are(const struct tl_config *c, int urgent, const long *want, size_t n)
{
	const long	*w;
	size_t		 got, i;

	w = tl_config_retry_waits(c, urgent, &got);
	assert_int_equal(got, n);
	for (i = 0; i < n; i++)
		assert_int_equal(w[i], want[i]);
}

/* The keys of SPEC 17: an urgent tip's own retries, by default
 * 10s,30s,1m,2m,5m then retry_schedule's longer waits; the backups. */
static void
test_spec17_keys(void **state)
{
	static const long urgent[] = { 10, 30, 60, 120, 300, 1800, 7200,
	    18000, 36000, 36000 };
	static const long normal[] = { 5, 300, 1800, 7200, 18000, 36000,
	    36000 };
	static const long own[] = { 10, 30, 60, 120, 300, 3600, 86400 };
	static const long mine[] = { 1, 2 };
	struct tl_config c;
	char		 err[256];

	(void)state;
	assert_int_equal(parse("", &c, err, sizeof(err)), TL_OK);
	waits_are(&c, 1, urgent, 10);
	waits_are(&c, 0, normal, 7);
	assert_string_equal(c.backup_dir, "/var/backups/tipline");
	assert_int_equal(c.backup_keep, 7);
	tl_config_free(&c);
	/* Unset, it follows retry_schedule past its first 5 minutes. */
	assert_int_equal(parse("retry_schedule = 1s,5m,1h,1d\n", &c, err,
	    sizeof(err)), TL_OK);
	waits_are(&c, 1, own, 7);
	tl_config_free(&c);
	assert_int_equal(parse("retry_schedule_urgent = 1s, 2s\n"
	    "backup_dir = b\nbackup_keep = 30\n", &c, err, sizeof(err)),
	    TL_OK);
	waits_are(&c, 1, mine, 2);
	waits_are(&c, 0, normal, 7);
	assert_string_equal(c.backup_dir, "/etc/tl/b");
	assert_int_equal(c.backup_keep, 30);
	tl_config_free(&c);
	assert_int_equal(parse("retry_schedule_urgent = 1s,,2s\n", &c, err,
	    sizeof(err)), TL_ECONFIG);
	assert_string_equal(err, "t.conf:1: retry_schedule_urgent must be "
	    "waits like 10s,30s,1m separated by commas");
	assert_int_equal(parse("backup_keep = 0\n", &c, err, sizeof(err)),
	    TL_ECONFIG);
	assert_string_equal(err, "t.conf:1: backup_keep must be a whole "
	    "number from 1 to 1000");
}

/* webhook_url_file: one URL; never its text in an error. */
static void
test_url_file(void **state)
{
	char	 path[] = "/tmp/tl-url-XXXXXX", err[256], *url;
	FILE	*f;
	int	 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fputs("https://hooks.example/T000/B000/secretpart\n", f);
	fclose(f);
	assert_int_equal(tl_config_read_url(path, &url, err, sizeof(err)),
	    TL_OK);
	assert_string_equal(url, "https://hooks.example/T000/B000/secretpart");
	free(url);
	assert_non_null(f = fopen(path, "w"));
	fputs("ftp://hooks.example/secretpart\n", f);
	fclose(f);
	assert_int_equal(tl_config_read_url(path, &url, err, sizeof(err)),
	    TL_ECONFIG);
	assert_null(strstr(err, "secretpart"));
	unlink(path);
	assert_int_equal(tl_config_read_url(path, &url, err, sizeof(err)),
	    TL_EIO);
}

static void
test_errors(void **state)
{
	struct tl_config c;
	char		 err[256];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(bad[i].text, &c, err, sizeof(err)),
		    TL_ECONFIG);
		assert_string_equal(err, bad[i].err);
		assert_null(c.database);	/* freed and zeroed */
	}
}

static void
test_nul_and_long(void **state)
{
	struct tl_config c;
	char		 err[256], big[5000];

	(void)state;
	assert_int_equal(tl_config_parse("t.conf", "/", "a\0b\n", 4, &c, err,
	    sizeof(err)), TL_ECONFIG);
	assert_string_equal(err, "t.conf:1: NUL byte");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse(big, &c, err, sizeof(err)), TL_ECONFIG);
	assert_string_equal(err, "t.conf:1: line too long");
}

static void
test_path(void **state)
{
	struct tl_config c;
	char		 err[256];

	(void)state;
	unsetenv("TIPLINE_CONFIG");
	assert_string_equal(tl_config_path(NULL), TL_CONFIG_DEFAULT);
	setenv("TIPLINE_CONFIG", "/x/y.conf", 1);
	assert_string_equal(tl_config_path(NULL), "/x/y.conf");
	assert_string_equal(tl_config_path("a.conf"), "a.conf");
	setenv("TIPLINE_CONFIG", "", 1);
	assert_string_equal(tl_config_path(NULL), TL_CONFIG_DEFAULT);
	unsetenv("TIPLINE_CONFIG");
	assert_int_equal(tl_config_load("/nonexistent/t.conf", &c, err,
	    sizeof(err)), TL_EIO);
	assert_non_null(strstr(err, "/nonexistent/t.conf"));
}

/* Writes comment lines of len bytes in all, then tail, to path. */
static void
write_padded(const char *path, size_t len, const char *tail)
{
	FILE	*f;
	size_t	 n;

	assert_non_null(f = fopen(path, "w"));
	for (; len > 0; len -= n) {
		n = len > 1000 ? 1000 : len;
		if (n > 1)
			fprintf(f, "#%0*d\n", (int)n - 2, 0);
		else
			fputc('\n', f);
	}
	fputs(tail, f);
	assert_int_equal(fclose(f), 0);
}

/*
 * A file of up to 1 MiB is read whole; a larger one is refused with an
 * error naming it, never parsed cut short (its last line, "threads =
 * 12", would have been read as "threads = 1").
 */
static void
test_size(void **state)
{
	struct tl_config c;
	char		 dir[] = "/tmp/tl-config-XXXXXX", path[64], err[256];
	const char	*tail = "threads = 12\n";
	size_t		 mib = 1024 * 1024;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	write_padded(path, mib - strlen(tail), tail);
	assert_int_equal(tl_config_load(path, &c, err, sizeof(err)), TL_OK);
	assert_int_equal(c.threads, 12);
	tl_config_free(&c);
	write_padded(path, mib - strlen(tail) + 2, tail);
	assert_int_equal(tl_config_load(path, &c, err, sizeof(err)),
	    TL_ECONFIG);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "1 MiB"));
	assert_null(c.path);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_spec15_keys),
		cmocka_unit_test(test_spec17_keys),
		cmocka_unit_test(test_url_file),
		cmocka_unit_test(test_nul_and_long),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_size),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
