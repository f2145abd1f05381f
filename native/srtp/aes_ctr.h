/* AES in counter mode under one session key, through the OpenSSL inside Node (EVP AES-ECB on counter blocks). */
#ifndef TL_AES_CTR_H
#define TL_AES_CTR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

typedef struct tl_aes {
  EVP_CIPHER_CTX *ctx; /* AES-ECB with the session key; counter blocks are built in aes_ctr.c */
  int key_len;
} tl_aes;

/* 0 on success. key_len is 16, 24 or 32. */
int tl_aes_init(tl_aes *a, const uint8_t *key, int key_len);
void tl_aes_free(tl_aes *a);
/* XORs data with the keystream E(iv) || E(iv+1) || ... (128-bit big-endian counter). */
void tl_aes_ctr_xor(tl_aes *a, const uint8_t iv[16], uint8_t *data, size_t len);
/* GCM: writes E(j0) to mask and XORs data with E(j0+1) || E(j0+2) || ... */
void tl_aes_ctr_xor_masked(tl_aes *a, const uint8_t j0[16], uint8_t mask[16], uint8_t *data, size_t len);
/* Raw keystream blocks: out = E(ctr) || E(ctr+1) || ... (nblocks blocks). */
void tl_aes_keystream(tl_aes *a, const uint8_t ctr[16], uint8_t *out, size_t nblocks);
/* Keystream only: out = E(iv) || E(iv+1) || ... (len bytes). */
void tl_aes_ctr_stream(tl_aes *a, const uint8_t iv[16], uint8_t *out, size_t len);

/* d ^= k over n bytes, 8 at a time. */
static inline void tl_xor(uint8_t *d, const uint8_t *k, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    memcpy(&x, d + i, 8);
    memcpy(&y, k + i, 8);
    x ^= y;
    memcpy(d + i, &x, 8);
  }
  for (; i < n; i++) d[i] ^= k[i];
}

#endif
