/*
 * libsrtp-bench.c - libsrtp 2.x reference for `npm run bench:srtp` (our own harness, built at bench time into
 * bench/.build with `gcc -O2 libsrtp-bench.c -lsrtp2`). Same method as the TypeScript driver (bench/srtp/measure.ts):
 *   protect:   one packet buffer re-protected in place, sequence number +1 per packet;
 *   unprotect: 4096 packets protected beforehand; each is copied into a work buffer and unprotected; a fresh receiver
 *              session every 4096 packets (so the replay window never refuses them).
 * Usage: libsrtp-bench protect|unprotect SUITE PAYLOAD_BYTES REPEATS SECONDS
 * Output: one JSON line {"pps":[per-repeat packets/s], "version":"..."}; exit 2 when libsrtp lacks the suite.
 */
#include <srtp2/srtp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SSRC 0x12345678u
#define POOL 4096

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int set_suite(const char *name, srtp_crypto_policy_t *rtp, srtp_crypto_policy_t *rtcp) {
  if (!strcmp(name, "AES_CM_128_HMAC_SHA1_80")) srtp_crypto_policy_set_rtp_default(rtp);
  else if (!strcmp(name, "AES_CM_128_HMAC_SHA1_32")) srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(rtp);
  else if (!strcmp(name, "AES_192_CM_HMAC_SHA1_80")) srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(rtp);
  else if (!strcmp(name, "AES_192_CM_HMAC_SHA1_32")) srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32(rtp);
  else if (!strcmp(name, "AES_256_CM_HMAC_SHA1_80")) srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtp);
  else if (!strcmp(name, "AES_256_CM_HMAC_SHA1_32")) srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(rtp);
  else if (!strcmp(name, "AEAD_AES_128_GCM")) srtp_crypto_policy_set_aes_gcm_128_16_auth(rtp);
  else if (!strcmp(name, "AEAD_AES_256_GCM")) srtp_crypto_policy_set_aes_gcm_256_16_auth(rtp);
  else if (!strcmp(name, "NULL_HMAC_SHA1_80")) srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtp);
  else if (!strcmp(name, "NULL_HMAC_SHA1_32")) {
    srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtp);
    rtp->auth_tag_len = 4;
  } else {
    return -1;
  }
  *rtcp = *rtp;
  return 0;
}

static unsigned char key[64];

static int session(srtp_t *s, const char *suite, srtp_ssrc_type_t type) {
  srtp_policy_t pol;
  memset(&pol, 0, sizeof pol);
  if (set_suite(suite, &pol.rtp, &pol.rtcp)) return -1;
  pol.ssrc.type = type;
  pol.ssrc.value = SSRC;
  pol.key = key;
  pol.window_size = 1024;
  pol.allow_repeat_tx = 1;
  return srtp_create(s, &pol) == srtp_err_status_ok ? 0 : -1;
}

static void fill(unsigned char *p, int size, uint32_t seq) {
  memset(p, 0, 12);
  p[0] = 0x80;
  uint16_t sq = htons((uint16_t)seq);
  uint32_t ts = htonl(seq * 160), ssrc = htonl(SSRC);
  memcpy(p + 2, &sq, 2);
  memcpy(p + 4, &ts, 4);
  memcpy(p + 8, &ssrc, 4);
  for (int i = 0; i < size; i++) p[12 + i] = (unsigned char)i;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s protect|unprotect SUITE PAYLOAD_BYTES REPEATS SECONDS\n", argv[0]);
    return 1;
  }
  int protect = !strcmp(argv[1], "protect"), size = atoi(argv[3]), repeats = atoi(argv[4]);
  double secs = atof(argv[5]);
  if (size < 0 || size > 60000 || repeats < 1 || repeats > 100 || !(secs > 0)) return 1;
  for (int i = 0; i < 64; i++) key[i] = (unsigned char)(i * 7 + 3);
  if (srtp_init() != srtp_err_status_ok) return 1;
  srtp_t tx;
  if (session(&tx, argv[2], ssrc_specific)) {
    printf("{\"unsupported\":true}\n");
    return 2;
  }
  size_t slot = (size_t)12 + (size_t)size + SRTP_MAX_TRAILER_LEN + 16;
  unsigned char *work = calloc(1, slot);
  unsigned char *pool = protect ? NULL : calloc(POOL, slot);
  int *lens = protect ? NULL : calloc(POOL, sizeof(int));
  uint32_t seq = 1;
  if (!protect) {
    for (int i = 0; i < POOL; i++) {
      unsigned char *p = pool + (size_t)i * slot;
      fill(p, size, seq++);
      lens[i] = 12 + size;
      if (srtp_protect(tx, p, &lens[i]) != srtp_err_status_ok) return 1;
    }
  } else {
    fill(work, size, seq);
  }
  double res[100];
  /* one untimed warm-up repeat, then the measured ones */
  for (int r = -1; r < repeats; r++) {
    long n = 0;
    double t0 = now(), t;
    srtp_t rx = NULL;
    int next = POOL;
    do {
      for (int k = 0; k < 256; k++, n++) {
        if (protect) {
          int len = 12 + size;
          uint16_t sq = htons((uint16_t)++seq);
          memcpy(work + 2, &sq, 2);
          if (srtp_protect(tx, work, &len) != srtp_err_status_ok) return 1;
        } else {
          if (next == POOL) {
            if (rx) srtp_dealloc(rx);
            if (session(&rx, argv[2], ssrc_specific)) return 1;
            next = 0;
          }
          int len = lens[next];
          memcpy(work, pool + (size_t)next * slot, (size_t)len);
          next++;
          if (srtp_unprotect(rx, work, &len) != srtp_err_status_ok) return 1;
        }
      }
      t = now() - t0;
    } while (t < secs);
    if (rx) srtp_dealloc(rx);
    if (r >= 0) res[r] = (double)n / t;
  }
  printf("{\"version\":\"%s\",\"pps\":[", srtp_get_version_string());
  for (int r = 0; r < repeats; r++) printf("%s%.0f", r ? "," : "", res[r]);
  printf("]}\n");
  return 0;
}
