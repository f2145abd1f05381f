/* AES-GCM (RFC 7714) for one session key: own GHASH + AES-CTR for small payloads where PCLMULQDQ exists (no EVP
 * per-call overhead), OpenSSL's EVP GCM (stitched AES-NI + GHASH loops) for large ones or without PCLMULQDQ. */
#ifndef TL_GCM_H
#define TL_GCM_H

#include <stddef.h>
#include <stdint.h>

#include "aes_ctr.h"
#include "ghash.h"

/* Payload size from which EVP GCM beats own GHASH (measured: about even at 640 B, EVP +30 % at 1200 B). */
#define TL_GCM_EVP_MIN 704

typedef struct tl_gcm {
  int evp;                    /* 1: always EVP (forced, or no PCLMULQDQ) */
  EVP_CIPHER_CTX *enc, *dec;  /* EVP path */
  tl_ghash_key gh;            /* GHASH path */
} tl_gcm;

/* 1 when a payload of n bytes takes the EVP path (tl_gcm_open then needs n bytes of scratch). */
static inline int tl_gcm_uses_evp(const tl_gcm *g, size_t n) { return g->evp || n >= TL_GCM_EVP_MIN; }

/* ctr must already hold the key (the GHASH path shares it). force_evp selects the EVP path. 0 on success. */
int tl_gcm_init(tl_gcm *g, tl_aes *ctr, const uint8_t *key, int key_len, int force_evp);
void tl_gcm_free(tl_gcm *g);
/* Encrypts data[0, n) in place and writes the 16-byte tag; A = a1 || a2. */
void tl_gcm_seal(tl_gcm *g, tl_aes *ctr, const uint8_t iv[12], const uint8_t *a1, size_t n1, const uint8_t *a2, size_t n2,
                 uint8_t *data, size_t n, uint8_t tag[16]);
/* Checks the tag, then decrypts in place; returns 0, or -1 with data untouched. scratch holds n bytes (EVP path). */
int tl_gcm_open(tl_gcm *g, tl_aes *ctr, const uint8_t iv[12], const uint8_t *a1, size_t n1, const uint8_t *a2, size_t n2,
                uint8_t *data, size_t n, const uint8_t tag[16], uint8_t *scratch);

#endif
