/* RFC 7714 AEAD: J0 = IV || 0x00000001, tag = GHASH(A, C) XOR E(J0), C = P XOR E(J0+1 ...). */
#include "gcm.h"

#include <limits.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

static const EVP_CIPHER *gcm_cipher(int key_len) {
  return key_len == 16 ? EVP_aes_128_gcm() : key_len == 24 ? EVP_aes_192_gcm() : key_len == 32 ? EVP_aes_256_gcm() : NULL;
}

int tl_gcm_init(tl_gcm *g, tl_aes *ctr, const uint8_t *key, int key_len, int force_evp) {
  g->evp = force_evp || !tl_ghash_available();
  if (!g->evp) {
    static const uint8_t zero[16];
    uint8_t h[16];
    tl_aes_ctr_stream(ctr, zero, h, 16); /* H = E(0^128) */
    tl_ghash_init(&g->gh, h);
    OPENSSL_cleanse(h, sizeof h);
  }
  const EVP_CIPHER *c = gcm_cipher(key_len);
  if (!c) return -1;
  if (!g->enc && !(g->enc = EVP_CIPHER_CTX_new())) return -1;
  if (!g->dec && !(g->dec = EVP_CIPHER_CTX_new())) return -1;
  if (EVP_EncryptInit_ex(g->enc, c, NULL, key, NULL) != 1) return -1;
  if (EVP_DecryptInit_ex(g->dec, c, NULL, key, NULL) != 1) return -1;
  return 0;
}

void tl_gcm_free(tl_gcm *g) {
  if (g->enc) EVP_CIPHER_CTX_free(g->enc);
  if (g->dec) EVP_CIPHER_CTX_free(g->dec);
  g->enc = g->dec = NULL;
  OPENSSL_cleanse(&g->gh, sizeof g->gh);
}

static void j0_of(const uint8_t iv[12], uint8_t j0[16]) {
  memcpy(j0, iv, 12);
  j0[12] = j0[13] = j0[14] = 0;
  j0[15] = 1;
}

/* EVP lengths are ints; SRTP packets are far smaller, and callers bound n. */
void tl_gcm_seal(tl_gcm *g, tl_aes *ctr, const uint8_t iv[12], const uint8_t *a1, size_t n1, const uint8_t *a2, size_t n2,
                 uint8_t *data, size_t n, uint8_t tag[16]) {
  if (!tl_gcm_uses_evp(g, n)) {
    uint8_t j0[16], mask[16], s[16];
    j0_of(iv, j0);
    tl_aes_ctr_xor_masked(ctr, j0, mask, data, n);
    tl_ghash_gcm(&g->gh, a1, n1, a2, n2, data, n, s);
    for (int i = 0; i < 16; i++) tag[i] = s[i] ^ mask[i];
    return;
  }
  int ol = 0;
  uint8_t fin[16];
  EVP_EncryptInit_ex(g->enc, NULL, NULL, NULL, iv);
  if (n1) EVP_EncryptUpdate(g->enc, NULL, &ol, a1, (int)n1);
  if (n2) EVP_EncryptUpdate(g->enc, NULL, &ol, a2, (int)n2);
  if (n) EVP_EncryptUpdate(g->enc, data, &ol, data, (int)n);
  EVP_EncryptFinal_ex(g->enc, fin, &ol);
  EVP_CIPHER_CTX_ctrl(g->enc, EVP_CTRL_GCM_GET_TAG, 16, tag);
}

int tl_gcm_open(tl_gcm *g, tl_aes *ctr, const uint8_t iv[12], const uint8_t *a1, size_t n1, const uint8_t *a2, size_t n2,
                uint8_t *data, size_t n, const uint8_t tag[16], uint8_t *scratch) {
  if (!tl_gcm_uses_evp(g, n)) {
    /* one EVP call makes E(j0) and the payload keystream; the tag is checked before any byte changes */
    uint8_t j0[16], s[16], ks[16 + TL_GCM_EVP_MIN + 16];
    j0_of(iv, j0);
    tl_aes_keystream(ctr, j0, ks, 1 + (n + 15) / 16);
    tl_ghash_gcm(&g->gh, a1, n1, a2, n2, data, n, s);
    for (int i = 0; i < 16; i++) s[i] ^= ks[i];
    if (CRYPTO_memcmp(s, tag, 16) != 0) return -1;
    tl_xor(data, ks + 16, n);
    return 0;
  }
  int ol = 0;
  uint8_t fin[16], t[16];
  memcpy(t, tag, 16);
  EVP_DecryptInit_ex(g->dec, NULL, NULL, NULL, iv);
  if (n1) EVP_DecryptUpdate(g->dec, NULL, &ol, a1, (int)n1);
  if (n2) EVP_DecryptUpdate(g->dec, NULL, &ol, a2, (int)n2);
  if (n) EVP_DecryptUpdate(g->dec, scratch, &ol, data, (int)n);
  EVP_CIPHER_CTX_ctrl(g->dec, EVP_CTRL_GCM_SET_TAG, 16, t);
  if (EVP_DecryptFinal_ex(g->dec, fin, &ol) <= 0) return -1;
  if (n) memcpy(data, scratch, n);
  return 0;
}
