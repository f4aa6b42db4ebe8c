/*
 * text.c — tip text as staff read it (see text.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "utf8.h"

/* "⟨U+" hex "⟩" and NUL: 3 + 2 + 6 + 3 + 1 bytes. */
#define MARK_SIZE	16

/* The code points shown as markers, as inclusive ranges. */
static const struct {
	uint32_t	 lo, hi;
} hidden_cps[] = {
	{ 0x061c, 0x061c },	/* ARABIC LETTER MARK */
	{ 0x200b, 0x200f },	/* zero width space … RIGHT-TO-LEFT MARK */
	{ 0x2028, 0x202e },	/* LINE SEPARATOR … RIGHT-TO-LEFT OVERRIDE */
	{ 0x2060, 0x2064 },	/* WORD JOINER, invisible operators */
	{ 0x2066, 0x206f },	/* isolates, deprecated format controls */
	{ 0xfeff, 0xfeff },	/* ZERO WIDTH NO-BREAK SPACE (BOM) */
	{ 0xfff9, 0xfffb },	/* interlinear annotation */
	{ 0xe0000, 0xe007f },	/* tags */
};

/* The length of the character at p if it is one staff must see as a
 * marker, written to mark; else 0. */
static size_t
hidden(const char *p, char mark[MARK_SIZE])
{
	uint32_t	 cp;
	size_t		 n, i;

	if ((n = tl_utf8_decode(p, strnlen(p, 4), &cp)) <= 1)
		return 0;
	for (i = 0; i < sizeof(hidden_cps) / sizeof(hidden_cps[0]); i++)
		if (cp >= hidden_cps[i].lo && cp <= hidden_cps[i].hi) {
			snprintf(mark, MARK_SIZE, "\xe2\x9f\xa8U+%04X"
			    "\xe2\x9f\xa9", (unsigned)cp);
			return n;
		}
	return 0;
}

static void
plain(struct tl_buf *b, const char *s, size_t n)
{
	tl_buf_add(b, s, n);
}

void
tl_text_visible(struct tl_buf *b, const char *s, tl_text_esc *esc)
{
	const char	*span = s;
	char		 mark[MARK_SIZE];
	size_t		 n;

	if (s == NULL)
		return;
	if (esc == NULL)
		esc = plain;
	while (*s != '\0') {
		/* A lead byte of a marked character is never a continuation
		 * byte, so stepping bytewise finds only whole characters. */
		if ((n = hidden(s, mark)) == 0) {
			s++;
			continue;
		}
		esc(b, span, (size_t)(s - span));
		tl_buf_puts(b, mark);
		s += n;
		span = s;
	}
	esc(b, span, (size_t)(s - span));
}

/*
 * The length of the control character at p to show as '?' on a terminal
 * (C0 but TAB and LF, DEL, C1 as UTF-8), or 0.
 */
static size_t
control_at(const unsigned char *p)
{
	if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

/* Appends s[0..len) with controls as '?' and TAB and LF as nl_tab. */
static void
terminal(struct tl_buf *b, const char *s, size_t len, const char *nl,
    const char *tab)
{
	const unsigned char	*p = (const unsigned char *)s;
	const unsigned char	*end = p + len;
	size_t			 n;

	for (; p < end; p += n) {
		n = 1;
		if (*p == '\n')
			tl_buf_puts(b, nl);
		else if (*p == '\t')
			tl_buf_puts(b, tab);
		else if ((n = control_at(p)) > 0)
			tl_buf_putc(b, '?');
		else {
			n = 1;
			tl_buf_putc(b, (char)*p);
		}
	}
}

static void
line_span(struct tl_buf *b, const char *s, size_t n)
{
	terminal(b, s, n, " ", " ");
}

static void
block_span(struct tl_buf *b, const char *s, size_t n)
{
	terminal(b, s, n, "\n  ", "\t");
}

void
tl_text_line(struct tl_buf *b, const char *s)
{
	if (s == NULL)
		tl_buf_putc(b, '-');
	else
		tl_text_visible(b, s, line_span);
}

void
tl_text_block(struct tl_buf *b, const char *s)
{
	tl_buf_puts(b, "  ");
	tl_text_visible(b, s, block_span);
	tl_buf_putc(b, '\n');
}
