/* RFC 2104 HMAC over SHA-1 (the deprecated-but-exported SHA1_* API is the cheapest way to copy a hash state). */
#include "hmac_sha1.h"

#include <string.h>
#include <openssl/crypto.h>

void tl_hmac_init(tl_hmac *h, const uint8_t *key, size_t key_len) {
  uint8_t k[64], pad[64];
  memset(k, 0, sizeof k);
  if (key_len > 64) {
    SHA_CTX c;
    SHA1_Init(&c);
    SHA1_Update(&c, key, key_len);
    SHA1_Final(k, &c);
  } else {
    memcpy(k, key, key_len);
  }
  for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
  SHA1_Init(&h->inner);
  SHA1_Update(&h->inner, pad, 64);
  for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
  SHA1_Init(&h->outer);
  SHA1_Update(&h->outer, pad, 64);
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
}

static inline void put_state(uint8_t *out, const SHA_CTX *c) {
  const SHA_LONG h[5] = {c->h0, c->h1, c->h2, c->h3, c->h4};
  for (int i = 0; i < 5; i++) {
    out[4 * i] = (uint8_t)(h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(h[i] >> 8);
    out[4 * i + 3] = (uint8_t)h[i];
  }
}

/* Whole blocks go straight to the compression function; the tail and the padding are built here, so SHA1_Final's
 * generic buffering is skipped (a measurable share of a 160-byte packet's cost). */
void tl_hmac_sha1(const tl_hmac *h, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[20]) {
  SHA_CTX c = h->inner;
  if (blen > 64) { /* not an SRTP shape: the plain way */
    SHA1_Update(&c, a, alen);
    SHA1_Update(&c, b, blen);
    SHA1_Final(out, &c);
  } else {
    size_t full = alen & ~(size_t)63, t = alen - full;
    uint8_t blk[192];
    if (full) SHA1_Update(&c, a, full); /* the key block left nothing buffered: this hashes in place */
    memcpy(blk, a + full, t);
    if (blen) memcpy(blk + t, b, blen);
    t += blen;
    blk[t++] = 0x80;
    size_t padded = t <= 56 ? 64 : t <= 120 ? 128 : 192;
    memset(blk + t, 0, padded - t);
    uint64_t bits = (uint64_t)(64 + alen + blen) * 8;
    for (int i = 0; i < 8; i++) blk[padded - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (size_t o = 0; o < padded; o += 64) SHA1_Transform(&c, blk + o);
    put_state(out, &c);
  }
  SHA_CTX o = h->outer;
  uint8_t ob[64];
  memcpy(ob, out, 20);
  ob[20] = 0x80;
  memset(ob + 21, 0, 41);
  ob[62] = 0x02, ob[63] = 0xa0; /* (64 + 20) * 8 = 672 bits */
  SHA1_Transform(&o, ob);
  put_state(out, &o);
}
