/*
 * seal_impl.h — the staff secret key's layout, shared by the files of
 * the seal module (seal.c, seal_mac.c) only. Not part of its interface.
 */
#ifndef TL_SEAL_IMPL_H
#define TL_SEAL_IMPL_H

#include <stdint.h>

#include "seal.h"

/* In sodium_malloc'd memory, read-only once made. */
struct tl_seal_secret {
	uint8_t	 sk[TL_SEAL_KEYBYTES];
	uint8_t	 pk[TL_SEAL_KEYBYTES];
};

#endif
