/*
 * fuzz_app.c — the whole HTTP behaviour of tipline.fcgi (SPEC 4):
 * tl_app_handle() with a fuzzed method, path, content type, idempotency
 * key and body, against a real SQLite store and the real templates/, set
 * up once in a temporary folder (under /dev/shm when there is one, as
 * every accepted tip is a synchronous commit).
 *
 * Input: one flag byte, then four lines (method, path, content type,
 * Idempotency-Key) and the body (the rest). Flags: bit 0 the body was
 * too large; bits 1-4 make method, path, content type, key absent.
 * A line that is missing is absent too. In the body, "@TOK@" becomes a
 * fresh good form token, "@ERRTOK@" one issued on a 422 page just now,
 * "@FASTTOK@" one issued a second ago, "@OLDTOK@" an expired one and
 * "@SAMETOK@" one fixed per process (so replays reach the receipt again).
 *
 * Oracles: the status is one SPEC 4 names, and never 503, as the store
 * works (the only 5xx SPEC allows is 503, for a failed store); every
 * response has the three privacy headers and one Content-Type, and HTML
 * ones the CSP; header lines are "Name: value" CRLF with no other control
 * character (no injection), never Set-Cookie; 405 names Allow, 301 a
 * Location; HEAD has no body; JSON answers parse; a 201 is {"ref"} with a
 * well-formed reference; no body ever holds "<script".
 */
#include <jansson.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "followup.h"
#include "config.h"
#include "fuzz.h"
#include "ref.h"
#include "seal_staff.h"
#include "store.h"
#include "token.h"

#ifndef TL_FUZZ_TEMPLATES
#define TL_FUZZ_TEMPLATES "templates"
#endif

#define NOW	((int64_t)1764300000)
#define CSP	"Content-Security-Policy: default-src 'none'; " \
	"style-src 'self'; img-src 'self'; form-action 'self'; " \
	"frame-ancestors 'none'; base-uri 'none'\r\n"

static char		 dir[256];
static pid_t		 owner;
static struct tl_config	 cfg;
static struct tl_app	*app;
static struct tl_store	*store;
static uint8_t		 key[TL_FORM_KEYBYTES];
static char		 same_token[TL_TOKEN_STRSIZE];

static void
cleanup(void)
{
	static const char *const files[] = { "tipline.db", "tipline.db-wal",
	    "tipline.db-shm", "tipline.db-journal", "form.key", "staff.pub",
	    NULL };
	char	 path[512];
	size_t	 i;

	if (getpid() != owner || dir[0] == '\0')
		return;
	if (store != NULL)
		tl_store_close(store);
	store = NULL;
	tl_app_free(app);
	app = NULL;
	tl_config_free(&cfg);
	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmpl = getenv("TL_FUZZ_TEMPLATES"), *base;
	char		 path[512], hex[2 * TL_FORM_KEYBYTES + 2], conf[2048];
	uint8_t		 pk[TL_SEAL_KEYBYTES];
	char		 err[512];

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		exit(1);
	if (tmpl == NULL)
		tmpl = TL_FUZZ_TEMPLATES;
	base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	snprintf(dir, sizeof(dir), "%s/tl-fuzz-app.XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		exit(1);
	}
	owner = getpid();
	atexit(cleanup);
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex) - 1, key, sizeof(key));
	strcat(hex, "\n");
	snprintf(path, sizeof(path), "%s/form.key", dir);
	write_file(path, hex);
	randombytes_buf(pk, sizeof(pk));
	snprintf(path, sizeof(path), "%s/staff.pub", dir);
	if (tl_seal_public_write(path, 0444, (uid_t)-1, (gid_t)-1, pk, err,
	    sizeof(err)) != TL_OK) {
		fprintf(stderr, "fuzz_app: %s\n", err);
		exit(1);
	}
	snprintf(conf, sizeof(conf), "# fuzz_app\n"
	    "database = tipline.db\ntemplates = %s\nbase_path = /report\n"
	    "form_key_file = form.key\nstaff_public_key_file = staff.pub\n"
	    "max_body_bytes = 65536\n"
	    "form_min_seconds = 3\nform_max_age = 86400\n", tmpl);
	if (tl_config_parse("fuzz.conf", dir, conf, strlen(conf), &cfg, err,
	    sizeof(err)) != TL_OK || tl_app_new(&cfg, &app, err,
	    sizeof(err)) != TL_OK) {
		fprintf(stderr, "fuzz_app: %s\n", err);
		exit(1);
	}
	tl_token_issue(key, (uint64_t)NOW - 60, 0, same_token);
	return 0;
}

/* body with the token markers replaced; NUL-terminated, length *outlen. */
static char *
substitute(const char *body, size_t len, size_t *outlen)
{
	static const struct { const char *mark; int64_t age; int err; }
	    marks[] = { { "@TOK@", 60, 0 }, { "@ERRTOK@", 0, 1 },
	    { "@FASTTOK@", 1, 0 }, { "@OLDTOK@", 100000, 0 },
	    { "@SAMETOK@", -1, 0 } };
	struct tl_buf	 b = TL_BUF_INIT;
	char		 tok[TL_TOKEN_STRSIZE];
	size_t		 i, k, ml;

	for (i = 0; i < len; ) {
		for (k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
			ml = strlen(marks[k].mark);
			if (len - i >= ml &&
			    memcmp(body + i, marks[k].mark, ml) == 0)
				break;
		}
		if (k == sizeof(marks) / sizeof(marks[0])) {
			tl_buf_add(&b, body + i, 1);
			i++;
			continue;
		}
		if (marks[k].age < 0)
			tl_buf_puts(&b, same_token);
		else {
			tl_token_issue(key, (uint64_t)(NOW - marks[k].age),
			    marks[k].err, tok);
			tl_buf_puts(&b, tok);
		}
		i += ml;
	}
	tl_buf_putc(&b, '\0');
	FUZZ_CHECK(tl_buf_ok(&b));
	*outlen = b.len - 1;
	return b.data;
}

/* The next line of data[*pos..size) as a new string, or NULL when none
 * is left. */
static char *
next_line(const uint8_t *data, size_t size, size_t *pos)
{
	const uint8_t	*nl;
	size_t		 n;
	char		*s;

	if (*pos >= size)
		return NULL;
	nl = memchr(data + *pos, '\n', size - *pos);
	n = nl != NULL ? (size_t)(nl - (data + *pos)) : size - *pos;
	s = fuzz_strndup(data + *pos, n);
	*pos += n + (nl != NULL);
	return s;
}

static int
has_header(const struct tl_buf *h, const char *line)
{
	return h->data != NULL && strstr(h->data, line) != NULL;
}

/* Header lines: "Name: value\r\n", printable, no Set-Cookie. */
static void
check_header_lines(const struct tl_buf *h)
{
	size_t	 i, start = 0;

	FUZZ_CHECK(h->len >= 2 && h->data[h->len - 2] == '\r' &&
	    h->data[h->len - 1] == '\n');
	for (i = 0; i < h->len; i++) {
		unsigned char c = (unsigned char)h->data[i];

		if (c == '\r') {
			FUZZ_CHECK(i + 1 < h->len && h->data[i + 1] == '\n');
			FUZZ_CHECK(memchr(h->data + start, ':', i - start));
			i++;
			start = i + 1;
			continue;
		}
		FUZZ_CHECK(c >= 0x20 && c != 0x7f);
	}
	FUZZ_CHECK(!fuzz_contains_ci(h->data, h->len, "set-cookie"));
}

/* A follow-up code as the API gives it: "dddd dddd dddd dddd". */
static int
followup_code_ok(const char *c)
{
	size_t	 i;

	if (c == NULL || strlen(c) != TL_FU_CODE_SIZE - 1)
		return 0;
	for (i = 0; c[i] != '\0'; i++)
		if (i % 5 == 4 ? c[i] != ' ' : (c[i] < '0' || c[i] > '9'))
			return 0;
	return 1;
}

static void
check_ref_json(const struct tl_buf *body)
{
	json_t		*j;
	json_error_t	 jerr;
	const char	*ref;
	char		 canon[TL_REF_SIZE];

	j = json_loadb(body->data, body->len, 0, &jerr);
	FUZZ_CHECK(j != NULL && (json_object_size(j) == 1 ||
	    (json_object_size(j) == 2 && followup_code_ok(json_string_value(
	    json_object_get(j, "followup_code"))))));
	ref = json_string_value(json_object_get(j, "ref"));
	FUZZ_CHECK(ref != NULL && strlen(ref) == TL_REF_LEN);
	FUZZ_CHECK(tl_ref_parse(ref, canon) == TL_OK &&
	    strcmp(canon, ref) == 0);
	json_decref(j);
}

static void
check_response(const struct tl_request *req, const struct tl_response *res)
{
	static const int codes[] = { 200, 201, 301, 400, 404, 405, 413, 415,
	    422 };
	const struct tl_buf	*h = &res->headers, *b = &res->body;
	json_t			*j;
	json_error_t		 jerr;
	size_t			 i;
	int			 head;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (res->status == codes[i])
			break;
	if (i == sizeof(codes) / sizeof(codes[0]))
		fprintf(stderr, "status %d\n", res->status);
	FUZZ_CHECK(i < sizeof(codes) / sizeof(codes[0]));
	check_header_lines(h);
	FUZZ_CHECK(has_header(h, "Cache-Control: no-store\r\n"));
	FUZZ_CHECK(has_header(h, "X-Content-Type-Options: nosniff\r\n"));
	FUZZ_CHECK(has_header(h, "Referrer-Policy: no-referrer\r\n"));
	FUZZ_CHECK(has_header(h, "Content-Type: "));
	FUZZ_CHECK(strstr(strstr(h->data, "Content-Type: ") + 1,
	    "Content-Type: ") == NULL);
	if (has_header(h, "Content-Type: text/html"))
		FUZZ_CHECK(has_header(h, CSP));
	if (res->status == 405)
		FUZZ_CHECK(has_header(h, "\r\nAllow: "));
	if (res->status == 301)
		FUZZ_CHECK(has_header(h, "\r\nLocation: /report/\r\n"));
	head = req->method != NULL && strcmp(req->method, "HEAD") == 0;
	if (head) {
		FUZZ_CHECK(b->len == 0);
		return;
	}
	FUZZ_CHECK(b->len > 0);
	FUZZ_CHECK(!fuzz_contains_ci(b->data, b->len, "<script"));
	if (has_header(h, "Content-Type: application/json\r\n")) {
		j = json_loadb(b->data, b->len, 0, &jerr);
		FUZZ_CHECK(j != NULL && json_is_object(j));
		json_decref(j);
	}
	if (res->status == 201)
		check_ref_json(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_request	 req;
	struct tl_response	 res;
	char			*method, *path, *ctype, *idem, *body;
	char			 err[256];
	size_t			 pos = 1, blen;

	if (size == 0)
		return 0;
	if (store == NULL && tl_store_open(cfg.database, &store, err,
	    sizeof(err)) != TL_OK) {
		fprintf(stderr, "fuzz_app: %s\n", err);
		abort();
	}
	method = next_line(data, size, &pos);
	path = next_line(data, size, &pos);
	ctype = next_line(data, size, &pos);
	idem = next_line(data, size, &pos);
	body = substitute((const char *)data + (pos < size ? pos : size),
	    pos < size ? size - pos : 0, &blen);
	memset(&req, 0, sizeof(req));
	req.method = data[0] & 2 ? NULL : method;
	req.path = data[0] & 4 ? NULL : path;
	req.content_type = data[0] & 8 ? NULL : ctype;
	req.idem_key = data[0] & 16 ? NULL : idem;
	req.body = body;
	req.body_len = blen;
	req.too_large = data[0] & 1;
	req.now = NOW;
	tl_response_init(&res);
	tl_app_handle(app, store, &req, &res);
	if (getenv("TL_FUZZ_APP_STATUS") != NULL)	/* to see coverage */
		fprintf(stderr, "status %d %s %s\n", res.status,
		    req.method ? req.method : "-", req.path ? req.path : "-");
	check_response(&req, &res);
	tl_response_free(&res);
	free(method);
	free(path);
	free(ctype);
	free(idem);
	free(body);
	return 0;
}
