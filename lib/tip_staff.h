/*
 * tip_staff.h — a stored tip opened with the staff secret key
 * (tip_staff.c): the staff half of tip.h, for the desk and tiplinectl
 * only. tipline.fcgi and tipline-notify never link it
 * (tests/links.sh).
 */
#ifndef TL_TIP_STAFF_H
#define TL_TIP_STAFF_H

#include "seal_staff.h"
#include "tip.h"

/*
 * Opens t's blob with the staff secret key against t's own columns and
 * fills t->report's sealed fields (and phones). Returns TL_OK, TL_ENOMEM,
 * or TL_ESEALED with *fault saying why (TL_SEAL_FAULT_KEY: not this staff
 * key; TL_SEAL_FAULT_AUTH: the blob and its row disagree, or it was
 * changed); then nothing of it is filled.
 */
enum tl_err tl_tip_unseal(struct tl_tip *t, const struct tl_seal_secret *sk,
	    enum tl_seal_fault *fault);

#endif
