/*
 * text.h — tip text as staff read it: characters that could hide or
 * reorder what was written shown as visible markers, and text made safe
 * for a terminal.
 *
 * What the person wrote is stored as written; only what staff see
 * changes. Bidi controls (U+202A–U+202E, U+2066–U+2069, U+061C), zero-
 * width and other invisible format characters (U+200B–U+200F,
 * U+2060–U+2064, U+206A–U+206F, U+FEFF, U+FFF9–U+FFFB, tags
 * U+E0000–U+E007F) and the line and paragraph separators U+2028, U+2029
 * become "⟨U+202E⟩": U+27E8, "U+", four or more uppercase hex digits,
 * U+27E9. A reversed phone number then reads as the digits it holds.
 */
#ifndef TL_TEXT_H
#define TL_TEXT_H

#include <stddef.h>

#include "buf.h"

/* Escapes a span of ordinary text for an output context: tl_buf_html()
 * for HTML, or NULL for none. */
typedef void tl_text_esc(struct tl_buf *b, const char *s, size_t n);

/*
 * Appends s (NUL-terminated UTF-8; NULL is empty) to b for staff to
 * read: every character listed above as its marker, every span between
 * them through esc. The one place that decides which characters staff
 * must see; every staff-facing text surface goes through it. Out of
 * memory is b's sticky flag.
 */
void	tl_text_visible(struct tl_buf *b, const char *s, tl_text_esc *esc);

/*
 * Appends s on one line for a terminal, visible as above: control
 * characters (C0, DEL, C1) become '?', TAB and LF a space, so that text
 * cannot drive the admin's terminal. NULL becomes "-".
 */
void	tl_text_line(struct tl_buf *b, const char *s);

/*
 * Appends s as an indented block for a terminal: each of its lines after
 * two spaces, visible as above, controls but TAB as '?', and a final LF.
 */
void	tl_text_block(struct tl_buf *b, const char *s);

#endif
