/* Sessions: the policy, master keys, SSRC -> stream table (open addressing, grown at half load), key derivation. */
#include "session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "kdf.h"
#include "replay.h"

static const tl_suite SUITES[] = {
    {1, "AES_CM_128_HMAC_SHA1_80", TL_CIPHER_AES_CM, 16, 14, 20, 10, 10},
    {2, "AES_CM_128_HMAC_SHA1_32", TL_CIPHER_AES_CM, 16, 14, 20, 4, 10},
    {3, "AES_192_CM_HMAC_SHA1_80", TL_CIPHER_AES_CM, 24, 14, 20, 10, 10},
    {4, "AES_192_CM_HMAC_SHA1_32", TL_CIPHER_AES_CM, 24, 14, 20, 4, 10},
    {5, "AES_256_CM_HMAC_SHA1_80", TL_CIPHER_AES_CM, 32, 14, 20, 10, 10},
    {6, "AES_256_CM_HMAC_SHA1_32", TL_CIPHER_AES_CM, 32, 14, 20, 4, 10},
    {7, "AEAD_AES_128_GCM", TL_CIPHER_AES_GCM, 16, 12, 0, 16, 16},
    {8, "AEAD_AES_256_GCM", TL_CIPHER_AES_GCM, 32, 12, 0, 16, 16},
    {9, "NULL_HMAC_SHA1_80", TL_CIPHER_NULL, 16, 14, 20, 10, 10},
    {10, "NULL_HMAC_SHA1_32", TL_CIPHER_NULL, 16, 14, 20, 4, 10},
};

const tl_suite *tl_suite_by_id(int id) {
  for (size_t i = 0; i < sizeof SUITES / sizeof SUITES[0]; i++)
    if (SUITES[i].id == id) return &SUITES[i];
  return NULL;
}

void tl_fail_detail(tl_session *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->detail, sizeof s->detail, fmt, ap);
  va_end(ap);
}

static void set_err(char *err, size_t errlen, const char *msg) {
  if (errlen) snprintf(err, errlen, "%s", msg);
}

/* ---- streams ---- */

static size_t stream_bytes(const tl_session *s) { return sizeof(tl_stream) + 2 * tl_replay_storage(s->window); }

static void dir_reset(tl_dir *d) {
  d->highest = -1;
  d->initial_roc = 0;
  d->rtcp_index = -1;
  d->rtp_packets = d->rtcp_packets = 0;
}

static void stream_reset(const tl_session *s, tl_stream *st, uint32_t ssrc) {
  uint8_t *base = (uint8_t *)(st + 1);
  size_t rb = tl_replay_storage(s->window);
  st->ssrc = ssrc;
  dir_reset(&st->tx);
  dir_reset(&st->rx);
  tl_replay_init(&st->rtp_replay, (uint64_t *)base, s->window);
  tl_replay_init(&st->rtcp_replay, (uint64_t *)(base + rb), s->window);
}

static tl_stream *stream_new(const tl_session *s, uint32_t ssrc) {
  tl_stream *st = calloc(1, stream_bytes(s));
  if (!st) return NULL;
  stream_reset(s, st, ssrc);
  return st;
}

static void stream_free(const tl_session *s, tl_stream *st) {
  if (!st) return;
  if (st->kdr_keys) {
    for (uint32_t i = 0; i < 2 * s->nkeys; i++) tl_keys_free(&st->kdr_keys[i]);
    free(st->kdr_keys);
  }
  free(st);
}

/* Fibonacci hashing: the top bits of the product (the low bits would keep an SSRC's trailing zeros). */
static inline uint32_t slot_of(uint32_t ssrc, uint32_t cap) {
  return (uint32_t)(((uint64_t)(ssrc * 0x9E3779B1u) * cap) >> 32);
}

tl_stream *tl_find_stream(tl_session *s, uint32_t ssrc) {
  for (uint32_t i = slot_of(ssrc, s->cap);; i = (i + 1) & (s->cap - 1)) {
    tl_stream *st = s->slots[i];
    if (!st) return NULL;
    if (st->ssrc == ssrc) return st;
  }
}

/* Room for one more stream (grows before any packet work, so adopting never fails). */
static int ensure_room(tl_session *s) {
  if ((s->count + 1) * 2 <= s->cap) return 0;
  uint32_t ncap = s->cap * 2;
  tl_stream **n = calloc(ncap, sizeof *n);
  if (!n) return -1;
  for (uint32_t i = 0; i < s->cap; i++) {
    tl_stream *st = s->slots[i];
    if (!st) continue;
    uint32_t j = slot_of(st->ssrc, ncap);
    while (n[j]) j = (j + 1) & (ncap - 1);
    n[j] = st;
  }
  free(s->slots);
  s->slots = n;
  s->cap = ncap;
  return 0;
}

static void insert(tl_session *s, tl_stream *st) {
  uint32_t j = slot_of(st->ssrc, s->cap);
  while (s->slots[j]) j = (j + 1) & (s->cap - 1);
  s->slots[j] = st;
  s->count++;
}

tl_stream *tl_stream_tx(tl_session *s, uint32_t ssrc) {
  tl_stream *st = tl_find_stream(s, ssrc);
  if (st) return st;
  if (ensure_room(s)) return NULL;
  if (s->spare) {
    st = s->spare;
    s->spare = NULL;
    stream_reset(s, st, ssrc);
  } else if (!(st = stream_new(s, ssrc))) {
    return NULL;
  }
  insert(s, st);
  return st;
}

tl_stream *tl_stream_rx(tl_session *s, uint32_t ssrc, int *fresh) {
  tl_stream *st = tl_find_stream(s, ssrc);
  *fresh = 0;
  if (st) return st;
  if (ensure_room(s)) return NULL;
  if (!s->spare && !(s->spare = stream_new(s, ssrc))) return NULL;
  stream_reset(s, s->spare, ssrc);
  *fresh = 1;
  return s->spare;
}

void tl_stream_adopt(tl_session *s, tl_stream *st) {
  if (st != s->spare) return;
  s->spare = NULL;
  insert(s, st);
}

/* RFC 3711 3.3.1: the ROC is signalled out of band. The sequence number of the highest index stays; a receiver's
 * window restarts from that index. */
int tl_set_roc(tl_session *s, uint32_t ssrc, uint32_t roc) {
  tl_stream *st = tl_stream_tx(s, ssrc);
  if (!st) return -1;
  st->tx.initial_roc = st->rx.initial_roc = roc;
  if (st->tx.highest >= 0) st->tx.highest = ((int64_t)roc << 16) | (st->tx.highest & 0xffff);
  if (st->rx.highest >= 0) {
    st->rx.highest = ((int64_t)roc << 16) | (st->rx.highest & 0xffff);
    tl_replay_reset_to(&st->rtp_replay, (uint64_t)st->rx.highest);
  }
  return 0;
}

static int dir_active(const tl_dir *d) { return d->rtp_packets > 0 || d->rtcp_packets > 0; }

void tl_stream_snapshot(const tl_stream *st, tl_stream_state *out) {
  const tl_dir *d = dir_active(&st->rx) || !dir_active(&st->tx) ? &st->rx : &st->tx;
  out->roc = d->highest < 0 ? d->initial_roc : (uint32_t)(d->highest >> 16);
  out->seq = d->highest < 0 ? -1 : (int32_t)(d->highest & 0xffff);
  out->rtcp_index = d->rtcp_index;
  out->rtp_packets = d->rtp_packets;
  out->rtcp_packets = d->rtcp_packets;
}

/* ---- keys ---- */

int tl_key_by_mki(const tl_session *s, const uint8_t *mki) {
  if (!s->mki_len) return 0;
  for (uint32_t i = 0; i < s->nkeys; i++)
    if (memcmp(s->keys[i].mki, mki, s->mki_len) == 0) return (int)i;
  return -1;
}

tl_keys *tl_keys_for(tl_session *s, tl_stream *st, uint32_t ki, int rtcp, uint64_t index) {
  tl_master *m = &s->keys[ki];
  tl_keys *k;
  uint64_t r = 0;
  if (!s->kdr_on) {
    k = rtcp ? &m->rtcp : &m->rtp;
  } else {
    r = index >> s->kdr_shift;
    if (!st->kdr_keys) {
      st->kdr_keys = calloc(2 * (size_t)s->nkeys, sizeof(tl_keys));
      if (!st->kdr_keys) return NULL;
      for (uint32_t i = 0; i < 2 * s->nkeys; i++) st->kdr_keys[i].r = TL_NO_R;
    }
    k = &st->kdr_keys[2 * ki + (rtcp ? 1 : 0)];
  }
  if (k->r != r && tl_keys_derive(s, m, k, rtcp, r) != 0) return NULL;
  return k;
}

uint8_t *tl_scratch(tl_session *s, size_t n) {
  if (s->scratch && n <= s->scratch_cap) return s->scratch;
  size_t cap = n < 2048 ? 2048 : n;
  uint8_t *p = realloc(s->scratch, cap);
  if (!p) return NULL;
  s->scratch = p;
  s->scratch_cap = cap;
  return p;
}

/* ---- session ---- */

tl_session *tl_session_new(const tl_policy_in *p, char *err, size_t errlen) {
  const tl_suite *su = tl_suite_by_id(p->suite_id);
  if (!su) return set_err(err, errlen, "unknown SRTP suite id"), NULL;
  if (p->nkeys < 1 || p->nkeys > TL_MAX_KEYS) return set_err(err, errlen, "a policy needs 1 to 4096 master keys"), NULL;
  if (p->mki_len > TL_MAX_MKI) return set_err(err, errlen, "MKI length must be 0..128 bytes"), NULL;
  if (p->nkeys > 1 && !p->mki_len) return set_err(err, errlen, "several master keys need MKIs"), NULL;
  if (p->kdr && (p->kdr & (p->kdr - 1))) return set_err(err, errlen, "key derivation rate must be 0 or a power of two"), NULL;
  if (p->kdr > (1u << 24)) return set_err(err, errlen, "key derivation rate must be at most 2^24"), NULL;
  uint32_t window = p->window ? p->window : 128;
  if (window < TL_MIN_WINDOW || window > TL_MAX_WINDOW) return set_err(err, errlen, "replay window must be 64..32768"), NULL;

  tl_session *s = calloc(1, sizeof *s);
  if (!s) return set_err(err, errlen, "out of memory"), NULL;
  s->suite = su;
  s->flags = p->flags;
  s->window = window;
  s->kdr_on = p->kdr != 0;
  while (s->kdr_on && (1u << s->kdr_shift) < p->kdr) s->kdr_shift++;
  s->nkeys = p->nkeys;
  s->mki_len = p->mki_len;
  s->force_evp_gcm = p->force_evp_gcm;
  s->cap = 16;
  s->slots = calloc(s->cap, sizeof *s->slots);
  s->keys = calloc(p->nkeys, sizeof *s->keys);
  if (!s->slots || !s->keys) {
    tl_session_free(s);
    return set_err(err, errlen, "out of memory"), NULL;
  }
  for (uint32_t i = 0; i < p->nkeys; i++) {
    tl_master *m = &s->keys[i];
    memcpy(m->key, p->keys[i], (size_t)su->key_len);
    memcpy(m->salt, p->salts[i], (size_t)su->salt_len); /* a 12-byte GCM salt stays zero padded to 14 */
    if (p->mki_len) memcpy(m->mki, p->mkis[i], p->mki_len);
    uint64_t life = p->lifetimes && p->lifetimes[i] ? p->lifetimes[i] : UINT64_MAX;
    m->rtp_limit = life < TL_RTP_KEY_LIFETIME ? life : TL_RTP_KEY_LIFETIME;
    m->rtcp_limit = life < TL_RTCP_KEY_LIFETIME ? life : TL_RTCP_KEY_LIFETIME;
    m->rtp.r = m->rtcp.r = TL_NO_R;
  }
  /* Derive the first key's session keys now so that a broken OpenSSL shows up at creation, not per packet. */
  if (!s->kdr_on && (!tl_keys_for(s, NULL, 0, 0, 0) || !tl_keys_for(s, NULL, 0, 1, 0))) {
    tl_session_free(s);
    return set_err(err, errlen, "OpenSSL refused the session keys"), NULL;
  }
  return s;
}

void tl_session_free(tl_session *s) {
  if (!s) return;
  if (s->slots)
    for (uint32_t i = 0; i < s->cap; i++) stream_free(s, s->slots[i]);
  stream_free(s, s->spare);
  if (s->keys) {
    for (uint32_t i = 0; i < s->nkeys; i++) {
      tl_keys_free(&s->keys[i].rtp);
      tl_keys_free(&s->keys[i].rtcp);
    }
    OPENSSL_cleanse(s->keys, (size_t)s->nkeys * sizeof *s->keys);
  }
  free(s->keys);
  free(s->slots);
  free(s->scratch);
  free(s);
}
