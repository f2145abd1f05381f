/*
 * libsrtp-peer.c - a libsrtp 2.x peer for trustline's interop test (test/srtp/libsrtp-interop.test.ts), our own code.
 * Built by the test: gcc -O1 libsrtp-peer.c -o peer -lsrtp2. One command per line on stdin, one answer per line:
 *   new ID in|out SUITE SSRC|* WINDOW FLAGS NKEYS KEYSALT_HEX MKI_HEX|- [KEYSALT_HEX MKI_HEX|- ...]  -> ok | err CODE
 *   roc ID SSRC ROC                    -> ok | err CODE          (srtp_set_stream_roc)
 *   p ID rtp|rtcp MKI_INDEX PKT_HEX    -> ok HEX | err CODE      (srtp_protect_mki / srtp_protect_rtcp_mki)
 *   u ID rtp|rtcp PKT_HEX              -> ok HEX | err CODE      (srtp_unprotect_mki / srtp_unprotect_rtcp_mki)
 *   free ID                            -> ok
 * FLAGS: 1 encrypt SRTP, 2 encrypt SRTCP, 4 authenticate SRTP (trustline's policy flags). CODE: srtp_err_status_t.
 */
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SESSIONS 64
#define MAX_LINE (1 << 20)

static srtp_t sessions[MAX_SESSIONS];
static int uses_mki[MAX_SESSIONS];

static int set_suite(const char *name, srtp_crypto_policy_t *rtp, srtp_crypto_policy_t *rtcp) {
  if (!strcmp(name, "AES_CM_128_HMAC_SHA1_80")) {
    srtp_crypto_policy_set_rtp_default(rtp);
    srtp_crypto_policy_set_rtcp_default(rtcp);
  } else if (!strcmp(name, "AES_CM_128_HMAC_SHA1_32")) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(rtp);
    srtp_crypto_policy_set_rtcp_default(rtcp); /* SRTCP keeps the 80-bit tag (RFC 3711 5.2) */
  } else if (!strcmp(name, "AES_192_CM_HMAC_SHA1_80")) {
    srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(rtp);
    srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(rtcp);
  } else if (!strcmp(name, "AES_192_CM_HMAC_SHA1_32")) {
    srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32(rtp);
    srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(rtcp);
  } else if (!strcmp(name, "AES_256_CM_HMAC_SHA1_80")) {
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtp);
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtcp);
  } else if (!strcmp(name, "AES_256_CM_HMAC_SHA1_32")) {
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(rtp);
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtcp);
  } else if (!strcmp(name, "AEAD_AES_128_GCM")) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(rtcp);
  } else if (!strcmp(name, "AEAD_AES_256_GCM")) {
    srtp_crypto_policy_set_aes_gcm_256_16_auth(rtp);
    srtp_crypto_policy_set_aes_gcm_256_16_auth(rtcp);
  } else if (!strcmp(name, "NULL_HMAC_SHA1_80") || !strcmp(name, "NULL_HMAC_SHA1_32")) {
    srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtp);
    srtp_crypto_policy_set_null_cipher_hmac_sha1_80(rtcp);
    if (name[15] == '3') rtp->auth_tag_len = 4;
  } else {
    return -1;
  }
  return 0;
}

static int unhex(const char *h, unsigned char *out, size_t cap) {
  size_t n = strlen(h);
  if (n % 2 || n / 2 > cap) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(h + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (unsigned char)v;
  }
  return (int)(n / 2);
}

static void answer_hex(const unsigned char *p, int n) {
  static const char d[] = "0123456789abcdef";
  fputs("ok ", stdout);
  for (int i = 0; i < n; i++) {
    putchar(d[p[i] >> 4]);
    putchar(d[p[i] & 15]);
  }
  putchar('\n');
}

static srtp_t *session_of(const char *id) {
  int i = atoi(id);
  return i >= 0 && i < MAX_SESSIONS ? &sessions[i] : NULL;
}

static void cmd_new(char **t, int n) {
  /* new ID dir SUITE SSRC WINDOW FLAGS NKEYS (KEY MKI)* */
  if (n < 10) { puts("err 2"); return; }
  srtp_t *sp = session_of(t[1]);
  int nkeys = atoi(t[7]), flags = atoi(t[6]);
  if (!sp || nkeys < 1 || nkeys > SRTP_MAX_NUM_MASTER_KEYS || n != 8 + 2 * nkeys) { puts("err 2"); return; }
  srtp_policy_t pol;
  memset(&pol, 0, sizeof pol);
  if (set_suite(t[3], &pol.rtp, &pol.rtcp)) { puts("err 2"); return; }
  if (!(flags & 1)) pol.rtp.sec_serv &= ~sec_serv_conf;
  if (!(flags & 2)) pol.rtcp.sec_serv &= ~sec_serv_conf;
  if (!(flags & 4)) pol.rtp.sec_serv &= ~sec_serv_auth;
  if (!strcmp(t[4], "*")) pol.ssrc.type = !strcmp(t[2], "in") ? ssrc_any_inbound : ssrc_any_outbound;
  else pol.ssrc.type = ssrc_specific, pol.ssrc.value = (unsigned)strtoul(t[4], NULL, 0);
  pol.window_size = strtoul(t[5], NULL, 0);
  pol.allow_repeat_tx = 1;
  static unsigned char keybuf[SRTP_MAX_NUM_MASTER_KEYS][64], mkibuf[SRTP_MAX_NUM_MASTER_KEYS][SRTP_MAX_MKI_LEN];
  static srtp_master_key_t mk[SRTP_MAX_NUM_MASTER_KEYS];
  static srtp_master_key_t *mkp[SRTP_MAX_NUM_MASTER_KEYS];
  int use_mki = strcmp(t[9], "-") != 0;
  for (int k = 0; k < nkeys; k++) {
    if (unhex(t[8 + 2 * k], keybuf[k], sizeof keybuf[k]) < 0) { puts("err 2"); return; }
    int ml = use_mki ? unhex(t[9 + 2 * k], mkibuf[k], sizeof mkibuf[k]) : 0;
    if (ml < 0) { puts("err 2"); return; }
    mk[k].key = keybuf[k];
    mk[k].mki_id = mkibuf[k];
    mk[k].mki_size = (unsigned)ml;
    mkp[k] = &mk[k];
  }
  if (use_mki) {
    pol.keys = mkp;
    pol.num_master_keys = (unsigned long)nkeys;
  } else {
    pol.key = keybuf[0];
  }
  if (*sp) srtp_dealloc(*sp), *sp = NULL;
  uses_mki[sp - sessions] = use_mki;
  srtp_err_status_t st = srtp_create(sp, &pol);
  if (st != srtp_err_status_ok) { *sp = NULL; printf("err %d\n", st); return; }
  puts("ok");
}

int main(void) {
  if (srtp_init() != srtp_err_status_ok) return 1;
  char *line = malloc(MAX_LINE);
  unsigned char *pkt = malloc(MAX_LINE / 2 + SRTP_MAX_TRAILER_LEN + 16);
  while (fgets(line, MAX_LINE, stdin)) {
    char *t[8 + 2 * SRTP_MAX_NUM_MASTER_KEYS + 1];
    int n = 0;
    for (char *s = strtok(line, " \r\n"); s && n < (int)(sizeof t / sizeof t[0]); s = strtok(NULL, " \r\n")) t[n++] = s;
    if (n == 0) continue;
    if (!strcmp(t[0], "new")) {
      cmd_new(t, n);
    } else if (!strcmp(t[0], "roc") && n == 4) {
      srtp_t *sp = session_of(t[1]);
      srtp_err_status_t st = sp && *sp ? srtp_set_stream_roc(*sp, (uint32_t)strtoul(t[2], NULL, 0), (uint32_t)strtoul(t[3], NULL, 0))
                                       : srtp_err_status_bad_param;
      if (st) printf("err %d\n", st);
      else puts("ok");
    } else if ((!strcmp(t[0], "p") && n == 5) || (!strcmp(t[0], "u") && n == 4)) {
      srtp_t *sp = session_of(t[1]);
      int protect = t[0][0] == 'p', rtcp = !strcmp(t[2], "rtcp");
      int len = unhex(t[protect ? 4 : 3], pkt, MAX_LINE / 2);
      if (!sp || !*sp || len < 0) { puts("err 2"); fflush(stdout); continue; }
      unsigned mki_index = protect ? (unsigned)atoi(t[3]) : 0, use_mki = (unsigned)uses_mki[sp - sessions];
      srtp_err_status_t st;
      if (protect) st = rtcp ? srtp_protect_rtcp_mki(*sp, pkt, &len, use_mki, mki_index) : srtp_protect_mki(*sp, pkt, &len, use_mki, mki_index);
      else st = rtcp ? srtp_unprotect_rtcp_mki(*sp, pkt, &len, use_mki) : srtp_unprotect_mki(*sp, pkt, &len, use_mki);
      if (st) printf("err %d\n", st);
      else answer_hex(pkt, len);
    } else if (!strcmp(t[0], "free") && n == 2) {
      srtp_t *sp = session_of(t[1]);
      if (sp && *sp) srtp_dealloc(*sp), *sp = NULL;
      puts("ok");
    } else {
      puts("err 2");
    }
    fflush(stdout);
  }
  return 0;
}
