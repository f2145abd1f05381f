/* AES-CTR through EVP: one AES-ECB context per session key encrypts a run of counter blocks built here, which is then
 * XORed onto the data. No per-packet IV reset and one EVP call per chunk of up to TL_CHUNK blocks. */
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include "aes_ctr.h"

#include <string.h>
#include <openssl/evp.h>

#define TL_CHUNK 96 /* blocks per EVP call (1536 bytes of keystream on the stack: a 1200-byte payload takes one call) */

static const EVP_CIPHER *ecb_cipher(int key_len) {
  switch (key_len) {
    case 16: return EVP_aes_128_ecb();
    case 24: return EVP_aes_192_ecb();
    case 32: return EVP_aes_256_ecb();
    default: return NULL;
  }
}

int tl_aes_init(tl_aes *a, const uint8_t *key, int key_len) {
  const EVP_CIPHER *c = ecb_cipher(key_len);
  a->key_len = key_len;
  if (!c) return -1;
  if (!a->ctx && !(a->ctx = EVP_CIPHER_CTX_new())) return -1;
  if (EVP_EncryptInit_ex(a->ctx, c, NULL, key, NULL) != 1) return -1;
  EVP_CIPHER_CTX_set_padding(a->ctx, 0);
  return 0;
}

void tl_aes_free(tl_aes *a) {
  if (a->ctx) EVP_CIPHER_CTX_free(a->ctx);
  a->ctx = NULL;
}

static inline void store_be64(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  memcpy(p, &v, 8);
#else
  v = __builtin_bswap64(v);
  memcpy(p, &v, 8);
#endif
}

/* Counter blocks ctr, ctr+1, ... (the low 64 bits count; SRTP and GCM counters never carry past 32 bits). */
static inline void fill(uint8_t *blocks, const uint8_t ctr[16], uint64_t first, size_t n) {
  uint64_t hi, lo = 0;
  memcpy(&hi, ctr, 8);
  for (int i = 8; i < 16; i++) lo = (lo << 8) | ctr[i];
  lo += first;
  for (size_t i = 0; i < n; i++, lo++) {
    memcpy(blocks + 16 * i, &hi, 8);
    store_be64(blocks + 16 * i + 8, lo);
  }
}

/* XORs data with E(ctr + first) || E(ctr + first + 1) || ... */
static void ctr_from(tl_aes *a, const uint8_t ctr[16], uint64_t first, uint8_t *data, size_t len) {
  uint8_t ks[16 * TL_CHUNK];
  while (len > 0) {
    size_t n = len > sizeof ks ? sizeof ks : len, blocks = (n + 15) / 16;
    int outl = 0;
    fill(ks, ctr, first, blocks);
    EVP_EncryptUpdate(a->ctx, ks, &outl, ks, (int)(blocks * 16));
    tl_xor(data, ks, n);
    data += n;
    len -= n;
    first += blocks;
  }
}

void tl_aes_ctr_xor(tl_aes *a, const uint8_t iv[16], uint8_t *data, size_t len) { ctr_from(a, iv, 0, data, len); }

void tl_aes_ctr_xor_masked(tl_aes *a, const uint8_t j0[16], uint8_t mask[16], uint8_t *data, size_t len) {
  /* first chunk carries E(j0) for the tag, so small packets take one EVP call */
  uint8_t ks[16 * TL_CHUNK];
  size_t n = len > sizeof ks - 16 ? sizeof ks - 16 : len, blocks = 1 + (n + 15) / 16;
  int outl = 0;
  fill(ks, j0, 0, blocks);
  EVP_EncryptUpdate(a->ctx, ks, &outl, ks, (int)(blocks * 16));
  memcpy(mask, ks, 16);
  tl_xor(data, ks + 16, n);
  if (len > n) ctr_from(a, j0, blocks, data + n, len - n);
}

void tl_aes_keystream(tl_aes *a, const uint8_t ctr[16], uint8_t *out, size_t nblocks) {
  for (uint64_t first = 0; nblocks > 0;) {
    size_t n = nblocks > TL_CHUNK ? TL_CHUNK : nblocks;
    int outl = 0;
    fill(out, ctr, first, n);
    EVP_EncryptUpdate(a->ctx, out, &outl, out, (int)(n * 16));
    out += 16 * n;
    first += n;
    nblocks -= n;
  }
}

void tl_aes_ctr_stream(tl_aes *a, const uint8_t iv[16], uint8_t *out, size_t len) {
  memset(out, 0, len);
  tl_aes_ctr_xor(a, iv, out, len);
}
