/* trustline native SRTP core: shared types. Semantics mirror ciphers/srtp (suites.ts ids, types.ts status codes). */
#ifndef TL_SRTP_CORE_H
#define TL_SRTP_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "aes_ctr.h"
#include "gcm.h"
#include "hmac_sha1.h"

/* Bumped when the JS <-> C contract changes; load.ts refuses a stale build. */
#define TL_ABI_VERSION 1

enum tl_status {
  TL_OK = 0,
  TL_AUTH_FAIL = 1,
  TL_REPLAY_OLD = 2,
  TL_REPLAY_DUP = 3,
  TL_MALFORMED = 4,
  TL_KEY_EXHAUSTED = 5,
  TL_UNKNOWN_MKI = 6,
};

enum tl_cipher { TL_CIPHER_AES_CM = 0, TL_CIPHER_AES_GCM = 1, TL_CIPHER_NULL = 2 };

/* Same ids as ciphers/srtp/suites.ts. */
typedef struct tl_suite {
  int id;
  const char *name;
  int cipher;
  int key_len;      /* master and session encryption key */
  int salt_len;     /* master salt as carried in SDES (14, or 12 for GCM) */
  int auth_key_len; /* HMAC-SHA1 key, 0 for AEAD */
  int rtp_tag_len;
  int rtcp_tag_len;
} tl_suite;

const tl_suite *tl_suite_by_id(int id);

/* Session policy flags (RFC 4568 session parameters). */
#define TL_F_ENCRYPT_RTP 1u
#define TL_F_ENCRYPT_RTCP 2u
#define TL_F_AUTH_RTP 4u

/* Longest packet accepted (UDP and RFC 4571 framing stop at 64 KiB; AES-CM's 16-bit block counter at 1 MiB). */
#define TL_MAX_PACKET (1 << 20)
#define TL_MAX_MKI 128
#define TL_MAX_KEYS 4096
#define TL_MIN_WINDOW 64
#define TL_MAX_WINDOW 32768
#define TL_RTP_KEY_LIFETIME (1ull << 48)
#define TL_RTCP_KEY_LIFETIME (1ull << 31)
#define TL_NO_R UINT64_MAX
#define TL_INDEX_LIMIT (1ull << 48) /* first SRTP index that cannot be formed */
#define TL_SRTCP_INDEX_LIMIT (1ull << 31)

/* Session keys derived from one master key for SRTP or SRTCP at one `index DIV kdr`. */
typedef struct tl_keys {
  uint64_t r; /* TL_NO_R until derived */
  uint8_t salt[16]; /* session salt, zero padded */
  tl_aes ctr;       /* session encryption key (AES-CM and GCM) */
  tl_hmac hmac;     /* HMAC-SHA1 key (AES-CM and NULL) */
  tl_gcm gcm;       /* GCM state (AEAD suites) */
} tl_keys;

typedef struct tl_master {
  uint8_t key[32];
  uint8_t salt[14]; /* GCM's 12-byte salt zero padded to 14 for the KDF */
  uint8_t mki[TL_MAX_MKI];
  uint64_t rtp_used;  /* SRTP packets protected or authenticated under this key */
  uint64_t rtcp_used;
  uint64_t rtp_limit; /* min(2^48, lifetime) */
  uint64_t rtcp_limit; /* min(2^31, lifetime) */
  tl_keys rtp, rtcp; /* kdr == 0: shared by every stream */
} tl_master;

typedef struct tl_replay {
  uint64_t high;   /* highest accepted index */
  uint64_t *bits;  /* ring of `mask + 1` bits indexed by index & mask */
  uint32_t mask;
  int has;         /* 0 before the first accepted packet */
} tl_replay;

/* One direction of one SSRC. Sending and receiving keep apart, so a session may do both for an SSRC. */
typedef struct tl_dir {
  int64_t highest;     /* highest SRTP index sent / authenticated; -1 before the first packet */
  uint32_t initial_roc; /* ROC of the first packet (setRoc before any traffic) */
  int64_t rtcp_index;  /* last SRTCP index sent / highest authenticated; -1 before the first */
  uint64_t rtp_packets, rtcp_packets;
} tl_dir;

typedef struct tl_stream {
  uint32_t ssrc;
  tl_dir tx, rx;
  tl_replay rtp_replay, rtcp_replay; /* receiver */
  tl_keys *kdr_keys; /* kdr != 0: 2 per master key (rtp, rtcp), derived lazily */
} tl_stream;

typedef struct tl_session {
  const tl_suite *suite;
  unsigned flags;
  unsigned kdr_shift; /* kdr = 2^kdr_shift; meaningful when kdr_on */
  int kdr_on;
  uint32_t window;
  uint32_t nkeys;
  uint32_t mki_len;
  tl_master *keys;
  /* SSRC -> stream, open addressing */
  tl_stream **slots;
  uint32_t cap, count;
  tl_stream *spare; /* preallocated stream for an unknown SSRC until its first packet authenticates */
  int force_evp_gcm; /* tests: take the EVP GCM path even where own GHASH is available */
  uint8_t *scratch; /* EVP GCM decrypt output, grown on demand */
  size_t scratch_cap;
  int detail_on;    /* write failure details (single-packet calls) */
  char detail[200];
} tl_session;

typedef struct tl_policy_in {
  int suite_id;
  uint32_t nkeys;
  const uint8_t *const *keys;
  const uint8_t *const *salts;
  const uint8_t *const *mkis; /* NULL or nkeys entries of mki_len bytes */
  uint32_t mki_len;
  const uint64_t *lifetimes; /* NULL or nkeys packet limits (0: none) */
  uint32_t kdr;    /* 0 or a power of two <= 2^24 */
  uint32_t window; /* 0: default 128 */
  unsigned flags;
  int force_evp_gcm;
} tl_policy_in;

/* Returns NULL and writes why into err on an invalid policy or out of memory. */
tl_session *tl_session_new(const tl_policy_in *p, char *err, size_t errlen);
void tl_session_free(tl_session *s);

/* Work in place on pkt[0, len) with capacity cap; on TL_OK *out_len is the new length. */
int tl_protect_rtp(tl_session *s, uint8_t *pkt, size_t len, size_t cap, size_t *out_len);
int tl_unprotect_rtp(tl_session *s, uint8_t *pkt, size_t len, size_t *out_len);
int tl_protect_rtcp(tl_session *s, uint8_t *pkt, size_t len, size_t cap, size_t *out_len);
int tl_unprotect_rtcp(tl_session *s, uint8_t *pkt, size_t len, size_t *out_len);

/* Creates the stream if needed; returns 0 on success, -1 out of memory. */
int tl_set_roc(tl_session *s, uint32_t ssrc, uint32_t roc);
tl_stream *tl_find_stream(tl_session *s, uint32_t ssrc);

typedef struct tl_stream_state {
  uint32_t roc;
  int32_t seq;
  int64_t rtcp_index;
  uint64_t rtp_packets, rtcp_packets;
} tl_stream_state;
/* The receiving side's state once it has seen traffic, else the sending side's. */
void tl_stream_snapshot(const tl_stream *st, tl_stream_state *out);

/* Internal helpers shared between files. */
void tl_fail_detail(tl_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define TL_FAIL(s, status, ...)                          \
  do {                                                   \
    if ((s)->detail_on) tl_fail_detail((s), __VA_ARGS__); \
    return (status);                                     \
  } while (0)

static inline uint16_t tl_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t tl_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void tl_put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

#endif
