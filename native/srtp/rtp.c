/* SRTP (RFC 3711 3.3, RFC 7714 8): protect and unprotect one RTP packet in place. */
#include <string.h>
#include <openssl/crypto.h>

#include "header.h"
#include "replay.h"
#include "session.h"

/* RFC 3711 Appendix A: the index whose ROC (one of ROC-1, ROC, ROC+1) puts seq closest to the highest index seen.
 * Below ROC 0 (no earlier rollover) ROC 0 is taken, as libsrtp does. The result may reach 2^48 (ROC past 2^32-1). */
static uint64_t estimate_index(const tl_dir *d, uint16_t seq) {
  if (d->highest < 0) return ((uint64_t)d->initial_roc << 16) | seq;
  uint32_t sl = (uint32_t)(d->highest & 0xffff);
  uint64_t roc = (uint64_t)d->highest >> 16, v = roc;
  if (sl < 0x8000) {
    if (seq > sl && seq - sl > 0x8000 && roc > 0) v = roc - 1;
  } else if (sl - 0x8000 > seq) {
    v = roc + 1;
  }
  return (v << 16) | seq;
}

static void cm_iv(const tl_keys *k, uint32_t ssrc, uint64_t index, uint8_t iv[16]) {
  memcpy(iv, k->salt, 16); /* 14-byte salt, zero padded */
  iv[4] ^= (uint8_t)(ssrc >> 24), iv[5] ^= (uint8_t)(ssrc >> 16), iv[6] ^= (uint8_t)(ssrc >> 8), iv[7] ^= (uint8_t)ssrc;
  for (int i = 0; i < 6; i++) iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

static void gcm_rtp_iv(const tl_keys *k, uint32_t ssrc, uint32_t roc, uint16_t seq, uint8_t iv[12]) {
  uint8_t x[12] = {0, 0};
  tl_put_be32(x + 2, ssrc);
  tl_put_be32(x + 6, roc);
  x[10] = (uint8_t)(seq >> 8), x[11] = (uint8_t)seq;
  for (int i = 0; i < 12; i++) iv[i] = x[i] ^ k->salt[i];
}

static inline int rtp_authenticated(const tl_session *s) {
  return s->suite->cipher == TL_CIPHER_AES_GCM || (s->flags & TL_F_AUTH_RTP);
}

int tl_protect_rtp(tl_session *s, uint8_t *pkt, size_t len, size_t cap, size_t *out_len) {
  const tl_suite *su = s->suite;
  size_t hlen;
  int rc = tl_rtp_header(s, pkt, len, &hlen);
  if (rc) return rc;
  size_t tag = rtp_authenticated(s) ? (size_t)su->rtp_tag_len : 0, grow = tag + s->mki_len;
  if (cap < len + grow || len + grow < len)
    TL_FAIL(s, TL_MALFORMED, "no room for the %zu-byte SRTP trailer after the %zu-byte packet (capacity %zu)", grow, len, cap);
  uint32_t ssrc = tl_be32(pkt + 8);
  uint16_t seq = tl_be16(pkt + 2);
  tl_stream *st = tl_stream_tx(s, ssrc);
  if (!st) TL_FAIL(s, TL_MALFORMED, "out of memory creating the stream for SSRC 0x%08x", ssrc);
  uint64_t index = estimate_index(&st->tx, seq);
  if (index >= TL_INDEX_LIMIT)
    TL_FAIL(s, TL_KEY_EXHAUSTED, "SRTP index space (2^48) used up for SSRC 0x%08x: the ROC cannot pass 2^32-1", ssrc);
  uint32_t v = (uint32_t)(index >> 16);
  tl_master *m = &s->keys[0];
  if (m->rtp_used >= m->rtp_limit)
    TL_FAIL(s, TL_KEY_EXHAUSTED, "master key 0 reached its SRTP lifetime of %llu packets; re-key", (unsigned long long)m->rtp_limit);
  tl_keys *k = tl_keys_for(s, st, 0, 0, index);
  if (!k) TL_FAIL(s, TL_MALFORMED, "out of memory deriving session keys");

  uint8_t *payload = pkt + hlen;
  size_t plen = len - hlen;
  if (su->cipher == TL_CIPHER_AES_GCM) {
    uint8_t iv[12];
    gcm_rtp_iv(k, ssrc, v, seq, iv);
    if (s->flags & TL_F_ENCRYPT_RTP) tl_gcm_seal(&k->gcm, &k->ctr, iv, pkt, hlen, NULL, 0, payload, plen, pkt + len);
    else tl_gcm_seal(&k->gcm, &k->ctr, iv, pkt, len, NULL, 0, NULL, 0, pkt + len);
    memcpy(pkt + len + tag, m->mki, s->mki_len);
  } else {
    if (su->cipher == TL_CIPHER_AES_CM && (s->flags & TL_F_ENCRYPT_RTP)) {
      uint8_t iv[16];
      cm_iv(k, ssrc, index, iv);
      tl_aes_ctr_xor(&k->ctr, iv, payload, plen);
    }
    memcpy(pkt + len, m->mki, s->mki_len);
    if (tag) {
      uint8_t roc[4], mac[20];
      tl_put_be32(roc, v);
      tl_hmac_sha1(&k->hmac, pkt, len, roc, 4, mac);
      memcpy(pkt + len + s->mki_len, mac, tag);
    }
  }
  if ((int64_t)index > st->tx.highest) st->tx.highest = (int64_t)index;
  st->tx.rtp_packets++;
  m->rtp_used++;
  *out_len = len + grow;
  return TL_OK;
}

int tl_unprotect_rtp(tl_session *s, uint8_t *pkt, size_t len, size_t *out_len) {
  const tl_suite *su = s->suite;
  size_t hlen;
  int rc = tl_rtp_header(s, pkt, len, &hlen);
  if (rc) return rc;
  int gcm = su->cipher == TL_CIPHER_AES_GCM;
  size_t tag = rtp_authenticated(s) ? (size_t)su->rtp_tag_len : 0, trailer = tag + s->mki_len;
  if (len < hlen + trailer)
    TL_FAIL(s, TL_MALFORMED, "SRTP packet of %zu bytes is shorter than its %zu-byte header plus %u-byte MKI and %zu-byte tag",
            len, hlen, s->mki_len, tag);
  size_t body = len - trailer; /* header + payload */
  const uint8_t *mki = gcm ? pkt + len - s->mki_len : pkt + body;
  const uint8_t *tagp = gcm ? pkt + body : pkt + body + s->mki_len;
  int ki = tl_key_by_mki(s, mki);
  if (ki < 0) TL_FAIL(s, TL_UNKNOWN_MKI, "the packet's %u-byte MKI matches no master key", s->mki_len);
  uint32_t ssrc = tl_be32(pkt + 8);
  uint16_t seq = tl_be16(pkt + 2);
  int fresh;
  tl_stream *st = tl_stream_rx(s, ssrc, &fresh);
  if (!st) TL_FAIL(s, TL_MALFORMED, "out of memory creating the stream for SSRC 0x%08x", ssrc);
  uint64_t index = estimate_index(&st->rx, seq);
  if (index >= TL_INDEX_LIMIT)
    TL_FAIL(s, TL_KEY_EXHAUSTED, "SRTP index past 2^48-1 for SSRC 0x%08x seq %u (the ROC cannot pass 2^32-1)", ssrc, seq);
  uint32_t v = (uint32_t)(index >> 16);
  rc = tl_replay_check(&st->rtp_replay, s->window, index);
  if (rc == TL_REPLAY_OLD)
    TL_FAIL(s, rc, "SSRC 0x%08x seq %u (ROC %u) is older than the %u-packet replay window", ssrc, seq, v, s->window);
  if (rc == TL_REPLAY_DUP) TL_FAIL(s, rc, "SSRC 0x%08x seq %u (ROC %u) was already received", ssrc, seq, v);
  tl_master *m = &s->keys[ki];
  if (m->rtp_used >= m->rtp_limit)
    TL_FAIL(s, TL_KEY_EXHAUSTED, "master key %d reached its SRTP lifetime of %llu packets; re-key", ki, (unsigned long long)m->rtp_limit);
  tl_keys *k = tl_keys_for(s, st, (uint32_t)ki, 0, index);
  if (!k) TL_FAIL(s, TL_MALFORMED, "out of memory deriving session keys");

  uint8_t *payload = pkt + hlen;
  size_t plen = body - hlen;
  if (gcm) {
    uint8_t iv[12];
    uint8_t *scratch = NULL;
    gcm_rtp_iv(k, ssrc, v, seq, iv);
    int enc = (s->flags & TL_F_ENCRYPT_RTP) != 0;
    if (enc && tl_gcm_uses_evp(&k->gcm, plen) && !(scratch = tl_scratch(s, plen))) TL_FAIL(s, TL_MALFORMED, "out of memory");
    int bad = enc ? tl_gcm_open(&k->gcm, &k->ctr, iv, pkt, hlen, NULL, 0, payload, plen, tagp, scratch)
                  : tl_gcm_open(&k->gcm, &k->ctr, iv, pkt, body, NULL, 0, NULL, 0, tagp, scratch);
    if (bad) TL_FAIL(s, TL_AUTH_FAIL, "GCM tag mismatch (SSRC 0x%08x seq %u ROC %u)", ssrc, seq, v);
  } else {
    if (tag) {
      uint8_t roc[4], mac[20];
      tl_put_be32(roc, v);
      tl_hmac_sha1(&k->hmac, pkt, body, roc, 4, mac);
      if (CRYPTO_memcmp(mac, tagp, tag) != 0)
        TL_FAIL(s, TL_AUTH_FAIL, "HMAC-SHA1 tag mismatch (SSRC 0x%08x seq %u ROC %u)", ssrc, seq, v);
    }
    if (su->cipher == TL_CIPHER_AES_CM && (s->flags & TL_F_ENCRYPT_RTP)) {
      uint8_t iv[16];
      cm_iv(k, ssrc, index, iv);
      tl_aes_ctr_xor(&k->ctr, iv, payload, plen);
    }
  }
  tl_replay_add(&st->rtp_replay, index);
  if ((int64_t)index > st->rx.highest) st->rx.highest = (int64_t)index;
  st->rx.rtp_packets++;
  m->rtp_used++;
  if (fresh) tl_stream_adopt(s, st);
  *out_len = body;
  return TL_OK;
}
