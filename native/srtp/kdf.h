/* RFC 3711 4.3 key derivation (AES-CM PRF, also for the 192/256-bit keys of RFC 6188 and the GCM suites). */
#ifndef TL_KDF_H
#define TL_KDF_H

#include "srtp_core.h"

enum { TL_LABEL_RTP_ENC = 0, TL_LABEL_RTP_AUTH = 1, TL_LABEL_RTP_SALT = 2, TL_LABEL_RTCP_ENC = 3, TL_LABEL_RTCP_AUTH = 4, TL_LABEL_RTCP_SALT = 5 };

/* out[0, n) = PRF(master key, (label || r) XOR master salt). 0 on success. */
int tl_kdf(const uint8_t *mkey, int key_len, const uint8_t salt14[14], int label, uint64_t r, uint8_t *out, size_t n);
/* Derives the SRTP (rtcp = 0) or SRTCP session keys of master m for r = index DIV kdr into k. 0 on success. */
int tl_keys_derive(const tl_session *s, const tl_master *m, tl_keys *k, int rtcp, uint64_t r);
void tl_keys_free(tl_keys *k);

#endif
