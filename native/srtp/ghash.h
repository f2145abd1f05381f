/* GHASH (the GCM universal hash) with PCLMULQDQ, 4 blocks per reduction. Where the CPU lacks it, gcm.c uses EVP GCM. */
#ifndef TL_GHASH_H
#define TL_GHASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct tl_ghash_key {
  uint8_t hp[4][16]; /* H^1..H^4, byte-reversed for the carry-less multiplier */
} tl_ghash_key;

/* 1 when this CPU has PCLMULQDQ and SSSE3 (and the build targets x86). */
int tl_ghash_available(void);
void tl_ghash_init(tl_ghash_key *k, const uint8_t h[16]);
/* out = GHASH_H(A || 0-pad || C || 0-pad || [len(A)]64 || [len(C)]64) with A = a1 || a2 (bit lengths). */
void tl_ghash_gcm(const tl_ghash_key *k, const uint8_t *a1, size_t n1, const uint8_t *a2, size_t n2, const uint8_t *c,
                  size_t nc, uint8_t out[16]);

#endif
