/* SRTCP (RFC 3711 3.4, RFC 7714 9): protect and unprotect one RTCP compound packet in place.
 * AES-CM/NULL: header || E(payload) || E-flag+index || MKI || tag (tag over everything before the MKI).
 * GCM:         header || E(payload) || tag || E-flag+index || MKI (AAD = header || E-flag+index). */
#include <string.h>
#include <openssl/crypto.h>

#include "header.h"
#include "replay.h"
#include "session.h"

static void cm_iv(const tl_keys *k, uint32_t ssrc, uint32_t index, uint8_t iv[16]) {
  memcpy(iv, k->salt, 16);
  iv[4] ^= (uint8_t)(ssrc >> 24), iv[5] ^= (uint8_t)(ssrc >> 16), iv[6] ^= (uint8_t)(ssrc >> 8), iv[7] ^= (uint8_t)ssrc;
  iv[10] ^= (uint8_t)(index >> 24), iv[11] ^= (uint8_t)(index >> 16), iv[12] ^= (uint8_t)(index >> 8), iv[13] ^= (uint8_t)index;
}

static void gcm_iv(const tl_keys *k, uint32_t ssrc, uint32_t index, uint8_t iv[12]) {
  uint8_t x[12] = {0};
  tl_put_be32(x + 2, ssrc);
  tl_put_be32(x + 8, index & 0x7fffffffu);
  for (int i = 0; i < 12; i++) iv[i] = x[i] ^ k->salt[i];
}

int tl_protect_rtcp(tl_session *s, uint8_t *pkt, size_t len, size_t cap, size_t *out_len) {
  const tl_suite *su = s->suite;
  int rc = tl_rtcp_header(s, pkt, len);
  if (rc) return rc;
  size_t tag = (size_t)su->rtcp_tag_len, grow = 4 + tag + s->mki_len;
  if (cap < len + grow || len + grow < len)
    TL_FAIL(s, TL_MALFORMED, "no room for the %zu-byte SRTCP trailer after the %zu-byte packet (capacity %zu)", grow, len, cap);
  uint32_t ssrc = tl_be32(pkt + 4);
  tl_stream *st = tl_stream_tx(s, ssrc);
  if (!st) TL_FAIL(s, TL_MALFORMED, "out of memory creating the stream for SSRC 0x%08x", ssrc);
  /* the first index sent is 1, as libsrtp does */
  uint64_t next = st->tx.rtcp_index < 0 ? 1 : (uint64_t)st->tx.rtcp_index + 1;
  if (next >= TL_SRTCP_INDEX_LIMIT) TL_FAIL(s, TL_KEY_EXHAUSTED, "SRTCP index space (2^31) used up for SSRC 0x%08x", ssrc);
  uint32_t index = (uint32_t)next;
  tl_master *m = &s->keys[0];
  if (m->rtcp_used >= m->rtcp_limit)
    TL_FAIL(s, TL_KEY_EXHAUSTED, "master key 0 reached its SRTCP lifetime of %llu packets; re-key", (unsigned long long)m->rtcp_limit);
  tl_keys *k = tl_keys_for(s, st, 0, 1, index);
  if (!k) TL_FAIL(s, TL_MALFORMED, "out of memory deriving session keys");
  int e = (s->flags & TL_F_ENCRYPT_RTCP) && su->cipher != TL_CIPHER_NULL;
  uint8_t word[4];
  tl_put_be32(word, (e ? 0x80000000u : 0) | index);

  if (su->cipher == TL_CIPHER_AES_GCM) {
    uint8_t iv[12];
    gcm_iv(k, ssrc, index, iv);
    if (e) tl_gcm_seal(&k->gcm, &k->ctr, iv, pkt, 8, word, 4, pkt + 8, len - 8, pkt + len);
    else tl_gcm_seal(&k->gcm, &k->ctr, iv, pkt, len, word, 4, NULL, 0, pkt + len);
    memcpy(pkt + len + tag, word, 4);
    memcpy(pkt + len + tag + 4, m->mki, s->mki_len);
  } else {
    if (e) {
      uint8_t iv[16];
      cm_iv(k, ssrc, index, iv);
      tl_aes_ctr_xor(&k->ctr, iv, pkt + 8, len - 8);
    }
    memcpy(pkt + len, word, 4);
    memcpy(pkt + len + 4, m->mki, s->mki_len);
    uint8_t mac[20];
    tl_hmac_sha1(&k->hmac, pkt, len + 4, NULL, 0, mac);
    memcpy(pkt + len + 4 + s->mki_len, mac, tag);
  }
  st->tx.rtcp_index = index;
  st->tx.rtcp_packets++;
  m->rtcp_used++;
  *out_len = len + grow;
  return TL_OK;
}

int tl_unprotect_rtcp(tl_session *s, uint8_t *pkt, size_t len, size_t *out_len) {
  const tl_suite *su = s->suite;
  int rc = tl_rtcp_header(s, pkt, len);
  if (rc) return rc;
  int gcm = su->cipher == TL_CIPHER_AES_GCM;
  size_t tag = (size_t)su->rtcp_tag_len, trailer = 4 + tag + s->mki_len;
  if (len < 8 + trailer)
    TL_FAIL(s, TL_MALFORMED, "SRTCP packet of %zu bytes is shorter than the 8-byte header plus its %zu-byte trailer", len, trailer);
  size_t body = len - trailer; /* header + payload */
  const uint8_t *wordp = gcm ? pkt + body + tag : pkt + body;
  const uint8_t *mki = gcm ? pkt + len - s->mki_len : pkt + body + 4;
  const uint8_t *tagp = gcm ? pkt + body : pkt + body + 4 + s->mki_len;
  uint32_t word = tl_be32(wordp), index = word & 0x7fffffffu;
  int e = (word >> 31) != 0;
  int ki = tl_key_by_mki(s, mki);
  if (ki < 0) TL_FAIL(s, TL_UNKNOWN_MKI, "the packet's %u-byte MKI matches no master key", s->mki_len);
  uint32_t ssrc = tl_be32(pkt + 4);
  int fresh;
  tl_stream *st = tl_stream_rx(s, ssrc, &fresh);
  if (!st) TL_FAIL(s, TL_MALFORMED, "out of memory creating the stream for SSRC 0x%08x", ssrc);
  rc = tl_replay_check(&st->rtcp_replay, s->window, index);
  if (rc == TL_REPLAY_OLD)
    TL_FAIL(s, rc, "SSRC 0x%08x SRTCP index %u is older than the %u-packet replay window", ssrc, index, s->window);
  if (rc == TL_REPLAY_DUP) TL_FAIL(s, rc, "SSRC 0x%08x SRTCP index %u was already received", ssrc, index);
  tl_master *m = &s->keys[ki];
  if (m->rtcp_used >= m->rtcp_limit)
    TL_FAIL(s, TL_KEY_EXHAUSTED, "master key %d reached its SRTCP lifetime of %llu packets; re-key", ki, (unsigned long long)m->rtcp_limit);
  tl_keys *k = tl_keys_for(s, st, (uint32_t)ki, 1, index);
  if (!k) TL_FAIL(s, TL_MALFORMED, "out of memory deriving session keys");

  if (gcm) {
    uint8_t iv[12], *scratch = NULL;
    gcm_iv(k, ssrc, index, iv);
    if (e && tl_gcm_uses_evp(&k->gcm, body - 8) && !(scratch = tl_scratch(s, body - 8))) TL_FAIL(s, TL_MALFORMED, "out of memory");
    int bad = e ? tl_gcm_open(&k->gcm, &k->ctr, iv, pkt, 8, wordp, 4, pkt + 8, body - 8, tagp, scratch)
                : tl_gcm_open(&k->gcm, &k->ctr, iv, pkt, body, wordp, 4, NULL, 0, tagp, scratch);
    if (bad) TL_FAIL(s, TL_AUTH_FAIL, "GCM tag mismatch (SSRC 0x%08x SRTCP index %u)", ssrc, index);
  } else {
    uint8_t mac[20];
    tl_hmac_sha1(&k->hmac, pkt, body + 4, NULL, 0, mac);
    if (CRYPTO_memcmp(mac, tagp, tag) != 0)
      TL_FAIL(s, TL_AUTH_FAIL, "HMAC-SHA1 tag mismatch (SSRC 0x%08x SRTCP index %u)", ssrc, index);
    if (e && su->cipher == TL_CIPHER_AES_CM) {
      uint8_t iv[16];
      cm_iv(k, ssrc, index, iv);
      tl_aes_ctr_xor(&k->ctr, iv, pkt + 8, body - 8);
    }
  }
  tl_replay_add(&st->rtcp_replay, index);
  if ((int64_t)index > st->rx.rtcp_index) st->rx.rtcp_index = index;
  st->rx.rtcp_packets++;
  m->rtcp_used++;
  if (fresh) tl_stream_adopt(s, st);
  *out_len = body;
  return TL_OK;
}
