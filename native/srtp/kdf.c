/* Session key derivation: x = key_id XOR master_salt, key_id = label (1 byte) || r (48 bits), right aligned in 14 bytes;
 * the PRF is AES-CTR under the master key from IV x || 0x0000. */
#include "kdf.h"

#include <string.h>
#include <openssl/crypto.h>

int tl_kdf(const uint8_t *mkey, int key_len, const uint8_t salt14[14], int label, uint64_t r, uint8_t *out, size_t n) {
  tl_aes prf = {0};
  uint8_t iv[16] = {0};
  memcpy(iv, salt14, 14);
  iv[7] ^= (uint8_t)label;
  for (int i = 0; i < 6; i++) iv[8 + i] ^= (uint8_t)(r >> (40 - 8 * i));
  int rc = tl_aes_init(&prf, mkey, key_len);
  if (rc == 0) tl_aes_ctr_stream(&prf, iv, out, n);
  tl_aes_free(&prf);
  return rc;
}

int tl_keys_derive(const tl_session *s, const tl_master *m, tl_keys *k, int rtcp, uint64_t r) {
  const tl_suite *su = s->suite;
  uint8_t buf[32];
  int base = rtcp ? TL_LABEL_RTCP_ENC : TL_LABEL_RTP_ENC;
  int rc = 0;
  k->r = TL_NO_R;
  if (su->cipher != TL_CIPHER_NULL) {
    rc |= tl_kdf(m->key, su->key_len, m->salt, base, r, buf, (size_t)su->key_len);
    rc |= tl_aes_init(&k->ctr, buf, su->key_len);
    if (rc == 0 && su->cipher == TL_CIPHER_AES_GCM) rc |= tl_gcm_init(&k->gcm, &k->ctr, buf, su->key_len, s->force_evp_gcm);
  }
  if (su->auth_key_len) {
    rc |= tl_kdf(m->key, su->key_len, m->salt, base + 1, r, buf, (size_t)su->auth_key_len);
    tl_hmac_init(&k->hmac, buf, (size_t)su->auth_key_len);
  }
  memset(k->salt, 0, sizeof k->salt);
  if (su->cipher != TL_CIPHER_NULL) {
    size_t salt_len = su->cipher == TL_CIPHER_AES_GCM ? 12 : 14;
    rc |= tl_kdf(m->key, su->key_len, m->salt, base + 2, r, k->salt, salt_len);
  }
  OPENSSL_cleanse(buf, sizeof buf);
  if (rc == 0) k->r = r;
  return rc ? -1 : 0;
}

void tl_keys_free(tl_keys *k) {
  tl_aes_free(&k->ctr);
  tl_gcm_free(&k->gcm);
  OPENSSL_cleanse(&k->hmac, sizeof k->hmac);
  OPENSSL_cleanse(k->salt, sizeof k->salt);
  k->r = TL_NO_R;
}
