/*
 * utf8.h — strict UTF-8: validation, counting and cutting by code points,
 * decoding one code point, cutting by bytes on a character boundary, and
 * repairing text that must be valid. Every text that reaches tipline from
 * the network is checked with tl_utf8_valid() before anything else reads
 * it.
 */
#ifndef TL_UTF8_H
#define TL_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Returns 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF), else 0. NUL bytes are valid here. */
int tl_utf8_valid(const char *s, size_t len);

/* Number of code points in valid UTF-8 s[0..len). */
size_t tl_utf8_count(const char *s, size_t len);

/* Length in bytes of the longest prefix of valid UTF-8 s[0..len) that
 * holds at most n code points. */
size_t tl_utf8_prefix(const char *s, size_t len, size_t n);

/*
 * Decodes the code point at s (len > 0 bytes readable) into *cp and
 * returns the length of its sequence; an invalid sequence gives 0 and
 * *cp is then the byte at s.
 */
size_t tl_utf8_decode(const char *s, size_t len, uint32_t *cp);

/*
 * Where to cut s[0..len) to at most max bytes without splitting a
 * character: len when it fits, else max less the continuation bytes (at
 * most three) that a cut at max would leave behind. Cannot fail.
 */
size_t tl_utf8_cut(const char *s, size_t len, size_t max);

/*
 * Appends s[0..len) to b with every byte that does not begin a valid
 * sequence (see tl_utf8_valid) as U+FFFD: always valid UTF-8, and never
 * fails but for out of memory (b's sticky flag).
 */
void tl_utf8_repair(struct tl_buf *b, const char *s, size_t len);

#endif
