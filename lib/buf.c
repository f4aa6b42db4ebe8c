/*
 * buf.c — growable buffer, the one HTML-escaping function, and reading a
 * whole (bounded) file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"

void
tl_buf_init(struct tl_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void
tl_buf_free(struct tl_buf *b)
{
	free(b->data);
	tl_buf_init(b);
}

void
tl_buf_wipe(struct tl_buf *b)
{
	if (b->data != NULL)
		sodium_memzero(b->data, b->cap);
	tl_buf_reset(b);
}

void
tl_buf_reset(struct tl_buf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

int
tl_buf_ok(const struct tl_buf *b)
{
	return !b->oom;
}

/* Makes room for n more bytes plus a NUL; returns 0 on failure. */
static int
reserve(struct tl_buf *b, size_t n)
{
	size_t	 need, cap;
	char	*p;

	if (b->oom)
		return 0;
	if (n > SIZE_MAX - b->len - 1)
		goto fail;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 1;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if ((p = realloc(b->data, cap)) == NULL)
		goto fail;
	b->data = p;
	b->cap = cap;
	return 1;
fail:
	b->oom = 1;
	return 0;
}

void
tl_buf_add(struct tl_buf *b, const void *p, size_t n)
{
	if (!reserve(b, n))
		return;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
tl_buf_puts(struct tl_buf *b, const char *s)
{
	tl_buf_add(b, s, strlen(s));
}

void
tl_buf_putc(struct tl_buf *b, char c)
{
	tl_buf_add(b, &c, 1);
}

void
tl_buf_printf(struct tl_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n)) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
tl_buf_html(struct tl_buf *b, const char *s, size_t n)
{
	size_t	 i, start = 0;
	const char *rep;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		tl_buf_add(b, s + start, i - start);
		tl_buf_puts(b, rep);
		start = i + 1;
	}
	tl_buf_add(b, s + start, n - start);
}

void
tl_buf_html_str(struct tl_buf *b, const char *s)
{
	tl_buf_html(b, s, strlen(s));
}

enum tl_err
tl_buf_read_file(struct tl_buf *b, const char *path, size_t max, char *err,
    size_t errlen)
{
	char		 chunk[4096];
	size_t		 start = b->len;
	ssize_t		 n = 0;
	enum tl_err	 rc = TL_OK;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return TL_EIO;
	}
	while (b->len - start <= max &&
	    (n = read(fd, chunk, sizeof(chunk))) > 0)
		tl_buf_add(b, chunk, (size_t)n);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = TL_EIO;
	} else if (!tl_buf_ok(b)) {
		snprintf(err, errlen, "%s: out of memory", path);
		rc = TL_ENOMEM;
	} else if (b->len - start > max) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
		rc = TL_ETOOLARGE;
	}
	close(fd);
	return rc;
}

void
tl_free_wiped(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}
