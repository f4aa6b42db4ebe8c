/*
 * tip_impl.h — what tip.c (sealing a tip) and tip_staff.c (opening it)
 * share: the columns a tip's blob is bound to. Not part of either
 * interface.
 */
#ifndef TL_TIP_IMPL_H
#define TL_TIP_IMPL_H

#include "tip.h"

#define TL_TIP_MAX_COLS	(TL_F__MAX + 5)

/* The columns a blob is bound to, as text, in one fixed order: priority,
 * each plaintext field's column in table order, area, the counts. */
struct tl_tip_cols {
	struct tl_seal_column	 v[TL_TIP_MAX_COLS];
	size_t			 n;
	char			 num[3][24];
};

/* t's columns into c and the additional data of its blob into ad, which
 * points into c and t: keep both while ad is used. */
void tl_tip_ad(const struct tl_tip *t, struct tl_tip_cols *c,
	    struct tl_seal_ad *ad);

#endif
