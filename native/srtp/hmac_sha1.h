/* HMAC-SHA1 with the inner and outer key blocks hashed once per key; each packet copies the two SHA-1 states. */
#ifndef TL_HMAC_SHA1_H
#define TL_HMAC_SHA1_H

#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <stddef.h>
#include <stdint.h>
#include <openssl/sha.h>

typedef struct tl_hmac {
  SHA_CTX inner, outer;
} tl_hmac;

void tl_hmac_init(tl_hmac *h, const uint8_t *key, size_t key_len);
/* out = HMAC(key, a || b). */
void tl_hmac_sha1(const tl_hmac *h, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[20]);

#endif
