/*
 * buf.h — a growable byte buffer with a sticky out-of-memory flag.
 *
 * Appends never fail loudly: on allocation failure the buffer keeps what it
 * had, sets oom, and ignores further appends, so a caller builds a whole
 * response and checks tl_buf_ok() once. data is always NUL-terminated when
 * len > 0 or after any successful append.
 */
#ifndef TL_BUF_H
#define TL_BUF_H

#include <stddef.h>

#include "tl.h"

struct tl_buf {
	char	*data;	/* owned; NULL until the first append */
	size_t	 len;	/* bytes used, excluding the terminating NUL */
	size_t	 cap;	/* bytes allocated */
	int	 oom;	/* an append failed; the buffer is incomplete */
};

#define TL_BUF_INIT { NULL, 0, 0, 0 }

void	tl_buf_init(struct tl_buf *b);
void	tl_buf_free(struct tl_buf *b);
/* Empties b, keeping its memory and clearing oom. */
void	tl_buf_reset(struct tl_buf *b);
/* Overwrites all of b's memory with zeros (it held what a person wrote)
 * and empties it, keeping the memory. */
void	tl_buf_wipe(struct tl_buf *b);
/* Returns 1 if every append so far succeeded, else 0. */
int	tl_buf_ok(const struct tl_buf *b);
void	tl_buf_add(struct tl_buf *b, const void *p, size_t n);
void	tl_buf_puts(struct tl_buf *b, const char *s);
void	tl_buf_putc(struct tl_buf *b, char c);
void	tl_buf_printf(struct tl_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Appends s with &, <, >, " and ' replaced by HTML entities. */
void	tl_buf_html(struct tl_buf *b, const char *s, size_t n);
void	tl_buf_html_str(struct tl_buf *b, const char *s);

/*
 * Appends the whole file at path to b, refusing one over max bytes (never
 * a file read cut short). Returns TL_OK; TL_EIO or TL_ETOOLARGE with
 * "path: reason" in err; TL_ENOMEM. b may then hold part of the file.
 */
enum tl_err tl_buf_read_file(struct tl_buf *b, const char *path, size_t max,
	    char *err, size_t errlen);

/* Wipes the string s (it held what a person wrote) and frees it. NULL
 * is a no-op. */
void	tl_free_wiped(char *s);

#endif
