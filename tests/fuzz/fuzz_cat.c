/*
 * fuzz_cat.c — a language catalogue (templates/lang/LANG.cat, cat.h):
 * tl_cat_parse() on arbitrary text, and on the real English catalogue
 * with the input spliced in as extra lines (so that the parser gets past
 * "missing key" and meets the input's lines among whole ones).
 *
 * Oracles: the result is TL_OK or TL_ECONFIG with "fuzz.cat" leading the
 * message and *out NULL on error; on success every key has a value that
 * is not empty, is valid UTF-8 without control characters, and whose
 * braces are only known placeholders; filling it in as HTML leaves no
 * '<' the catalogue's text put there, and no placeholder unfilled.
 */
#include "cat.h"
#include "fuzz.h"
#include "utf8.h"

#ifndef TL_FUZZ_TEMPLATES
#define TL_FUZZ_TEMPLATES "templates"
#endif

#define NAME	"fuzz.cat"

static char	*english;
static size_t	 english_len;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*dir = getenv("TL_FUZZ_TEMPLATES");
	char		 path[1024];
	FILE		*f;
	long		 n;

	(void)argc;
	(void)argv;
	if (dir == NULL)
		dir = TL_FUZZ_TEMPLATES;
	snprintf(path, sizeof(path), "%s/lang/en.cat", dir);
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (english = malloc((size_t)n + 1)) == NULL ||
	    fread(english, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "fuzz_cat: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	english[n] = '\0';
	english_len = (size_t)n;
	return 0;
}

/* Every value of c keeps the parser's promises. */
static void
check_cat(const struct tl_cat *c)
{
	static const struct tl_cat_var v[] = {
		{ "org_name", "O", NULL }, { "emergency_phone", "9", "tel:9" },
		{ "non_emergency_phone", "1", NULL }, { "textphone", "1", NULL },
		{ "min", "1", NULL }, { "max", "2", NULL },
		{ "count", "3", NULL }, { "n", "4", NULL } };
	struct tl_buf	 b = TL_BUF_INIT;
	const char	*s, *p;
	size_t		 i, j, n, lt, links;

	for (i = 0; i < tl_cat_nkeys(); i++) {
		s = tl_cat_get(c, tl_cat_key(i));
		FUZZ_CHECK(s != tl_cat_key(i));
		n = strlen(s);
		FUZZ_CHECK(n > 0 && tl_utf8_valid(s, n));
		for (j = 0; j < n; j++)
			FUZZ_CHECK((unsigned char)s[j] >= 0x20 && s[j] != 0x7f);
		tl_buf_reset(&b);
		tl_cat_put(c, tl_cat_key(i), v, 8, 1, &b);
		FUZZ_CHECK(tl_buf_ok(&b) && b.data != NULL);
		FUZZ_CHECK(strchr(b.data, '{') == NULL &&
		    strchr(b.data, '}') == NULL);
		/* The only tags are the links of {emergency_phone}. */
		for (lt = 0, j = 0; j < b.len; j++)
			lt += b.data[j] == '<';
		for (links = 0, p = s; (p = strstr(p, "{emergency_phone}")) !=
		    NULL; p++)
			links++;
		FUZZ_CHECK(lt == 2 * links);
	}
	tl_buf_free(&b);
}

static void
parse(const char *text, size_t len)
{
	struct tl_cat	*c = (struct tl_cat *)1;
	char		 err[256];
	enum tl_err	 rc;

	memset(err, 'x', sizeof(err));
	rc = tl_cat_parse(NAME, text, len, &c, err, sizeof(err));
	FUZZ_CHECK(rc == TL_OK || rc == TL_ECONFIG);
	if (rc == TL_OK) {
		check_cat(c);
		tl_cat_free(c);
	} else {
		FUZZ_CHECK(c == NULL);
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(strncmp(err, NAME, strlen(NAME)) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text = fuzz_strndup(data, size), *both;

	parse(text, size);
	/* The English catalogue with the input's lines in place of its
	 * first line (so the input can also replace a key). */
	both = malloc(english_len + size + 2);
	FUZZ_CHECK(both != NULL);
	memcpy(both, text, size);
	both[size] = '\n';
	memcpy(both + size + 1, english, english_len);
	both[size + 1 + english_len] = '\0';
	parse(both, size + 1 + english_len);
	free(both);
	free(text);
	return 0;
}
