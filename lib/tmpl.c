/*
 * tmpl.c — page templates: parsed once into literal and variable segments,
 * rendered many times. {{name}} passes its value through tl_buf_html(),
 * the one HTML escaping function; {{{name}}} inserts it as is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl.h"

#define TMPL_MAX_BYTES	(1024 * 1024)	/* bigger template files: error */
#define TMPL_MAX_NAME	64		/* longest variable name */

enum seg_kind {
	SEG_TEXT,	/* literal bytes */
	SEG_ESC,	/* {{name}}: escaped */
	SEG_RAW,	/* {{{name}}}: as is */
};

struct seg {
	enum seg_kind	 kind;
	size_t		 off;	/* SEG_TEXT: offset into text */
	size_t		 len;	/* SEG_TEXT: length */
	const char	*name;	/* SEG_ESC, SEG_RAW: points into names */
};

struct tl_tmpl {
	char		*text;	/* owned copy of the template */
	char		*names;	/* owned NUL-separated variable names */
	struct seg	*segs;	/* owned */
	size_t		 nsegs;
	size_t		 cap;
};

/* State while parsing one template. */
struct parse {
	const char		*file;
	const char		*text;
	size_t			 len;
	size_t			 pos;
	size_t			 line;
	const char *const	*known;
	char			*err;
	size_t			 errlen;
};

/* Appends a segment; returns 0 or -1 on allocation failure. */
static int
seg_add(struct tl_tmpl *t, enum seg_kind kind, size_t off, size_t len,
    const char *name)
{
	struct seg	*p;
	size_t		 cap;

	if (t->nsegs == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		if ((p = reallocarray(t->segs, cap, sizeof(*p))) == NULL)
			return -1;
		t->segs = p;
		t->cap = cap;
	}
	p = &t->segs[t->nsegs++];
	p->kind = kind;
	p->off = off;
	p->len = len;
	p->name = name;
	return 0;
}

/* Counts newlines in s[0..n) into *line. */
static void
count_lines(const char *s, size_t n, size_t *line)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			(*line)++;
}

/* Returns 1 if s (n bytes) is [a-z0-9_]+, else 0. */
static int
name_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > TMPL_MAX_NAME)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* The entry of known equal to s (n bytes), or NULL. */
static const char *
name_known(const char *const *known, const char *s, size_t n)
{
	for (; *known != NULL; known++)
		if (strlen(*known) == n && memcmp(*known, s, n) == 0)
			return *known;
	return NULL;
}

/*
 * Parses one tag starting at p->pos ("{{" or "{{{"), appends its segment
 * and moves p->pos past it. The segment's name points into known (the
 * caller copies names afterwards). Returns TL_OK, TL_ECONFIG (message in
 * p->err) or TL_ENOMEM.
 */
static enum tl_err
parse_tag(struct parse *p, struct tl_tmpl *t)
{
	const char	*s = p->text + p->pos, *end, *close, *name;
	size_t		 avail = p->len - p->pos, open, n;
	enum seg_kind	 kind;

	kind = avail >= 3 && s[2] == '{' ? SEG_RAW : SEG_ESC;
	open = kind == SEG_RAW ? 3 : 2;
	close = kind == SEG_RAW ? "}}}" : "}}";
	end = NULL;
	for (n = open; n + open <= avail; n++)
		if (memcmp(s + n, close, open) == 0) {
			end = s + n;
			break;
		}
	if (end == NULL || memchr(s, '\n', (size_t)(end - s)) != NULL) {
		snprintf(p->err, p->errlen, "%s:%zu: unclosed \"%.*s\"",
		    p->file, p->line, (int)open, s);
		return TL_ECONFIG;
	}
	n = (size_t)(end - s) - open;
	if (!name_ok(s + open, n)) {
		snprintf(p->err, p->errlen, "%s:%zu: bad variable name "
		    "\"%.*s\"", p->file, p->line, (int)(n > 64 ? 64 : n),
		    s + open);
		return TL_ECONFIG;
	}
	if ((name = name_known(p->known, s + open, n)) == NULL) {
		snprintf(p->err, p->errlen, "%s:%zu: unknown variable "
		    "\"%.*s\"", p->file, p->line, (int)n, s + open);
		return TL_ECONFIG;
	}
	if (seg_add(t, kind, 0, 0, name) == -1)
		return TL_ENOMEM;
	p->pos += n + 2 * open;
	return TL_OK;
}

/* Splits p->text into segments of t. Returns as parse_tag(). */
static enum tl_err
parse_all(struct parse *p, struct tl_tmpl *t)
{
	const char	*s;
	size_t		 n;
	enum tl_err	 rc;

	while (p->pos < p->len) {
		s = p->text + p->pos;
		for (n = 0; p->pos + n + 1 < p->len; n++)
			if (s[n] == '{' && s[n + 1] == '{')
				break;
		if (p->pos + n + 1 >= p->len)
			n = p->len - p->pos;
		if (n > 0) {
			if (seg_add(t, SEG_TEXT, p->pos, n, NULL) == -1)
				return TL_ENOMEM;
			count_lines(s, n, &p->line);
			p->pos += n;
		}
		if (p->pos < p->len && (rc = parse_tag(p, t)) != TL_OK)
			return rc;
	}
	return TL_OK;
}

/*
 * Copies every variable name into t->names so that t does not borrow the
 * caller's known list. Returns 0 or -1 on allocation failure.
 */
static int
own_names(struct tl_tmpl *t)
{
	size_t	 i, sz = 0, off = 0, n;

	for (i = 0; i < t->nsegs; i++)
		if (t->segs[i].kind != SEG_TEXT)
			sz += strlen(t->segs[i].name) + 1;
	if (sz == 0)
		return 0;
	if ((t->names = malloc(sz)) == NULL)
		return -1;
	for (i = 0; i < t->nsegs; i++) {
		if (t->segs[i].kind == SEG_TEXT)
			continue;
		n = strlen(t->segs[i].name) + 1;
		memcpy(t->names + off, t->segs[i].name, n);
		t->segs[i].name = t->names + off;
		off += n;
	}
	return 0;
}

enum tl_err
tl_tmpl_parse(const char *name, const char *text, size_t len,
    const char *const *known, struct tl_tmpl **out, char *err,
    size_t errlen)
{
	struct tl_tmpl	*t;
	struct parse	 p;
	enum tl_err	 rc = TL_ENOMEM;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->text = malloc(len + 1)) == NULL)
		goto err;
	if (len > 0)
		memcpy(t->text, text, len);
	t->text[len] = '\0';
	memset(&p, 0, sizeof(p));
	p.file = name;
	p.text = t->text;
	p.len = len;
	p.line = 1;
	p.known = known;
	p.err = err;
	p.errlen = errlen;
	if ((rc = parse_all(&p, t)) != TL_OK)
		goto err;
	rc = TL_ENOMEM;
	if (own_names(t) == -1)
		goto err;
	*out = t;
	return TL_OK;
err:
	if (rc == TL_ENOMEM)
		snprintf(err, errlen, "%s: out of memory", name);
	tl_tmpl_free(t);
	return rc;
}

enum tl_err
tl_tmpl_load(const char *path, const char *const *known,
    struct tl_tmpl **out, char *err, size_t errlen)
{
	struct tl_buf	 text = TL_BUF_INIT;
	enum tl_err	 rc;

	*out = NULL;
	rc = tl_buf_read_file(&text, path, TMPL_MAX_BYTES, err, errlen);
	if (rc == TL_OK)
		rc = tl_tmpl_parse(path, text.data != NULL ? text.data : "",
		    text.len, known, out, err, errlen);
	else if (rc == TL_ETOOLARGE)
		rc = TL_EIO;
	tl_buf_free(&text);
	return rc;
}

/* The value of the variable called name in vars, or NULL. */
static const char *
var_value(const struct tl_var *vars, size_t nvars, const char *name)
{
	size_t	 i;

	for (i = 0; i < nvars; i++)
		if (vars[i].name != NULL && strcmp(vars[i].name, name) == 0)
			return vars[i].value;
	return NULL;
}

void
tl_tmpl_render(const struct tl_tmpl *t, const struct tl_var *vars,
    size_t nvars, struct tl_buf *out)
{
	const struct seg	*s;
	const char		*v;
	size_t			 i;

	for (i = 0; i < t->nsegs; i++) {
		s = &t->segs[i];
		if (s->kind == SEG_TEXT) {
			tl_buf_add(out, t->text + s->off, s->len);
			continue;
		}
		if ((v = var_value(vars, nvars, s->name)) == NULL)
			continue;
		if (s->kind == SEG_ESC)
			tl_buf_html_str(out, v);
		else
			tl_buf_puts(out, v);
	}
}

void
tl_tmpl_free(struct tl_tmpl *t)
{
	if (t == NULL)
		return;
	free(t->segs);
	free(t->names);
	free(t->text);
	free(t);
}
