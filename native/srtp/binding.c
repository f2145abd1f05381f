/* N-API glue: sessions are externals; single-packet calls work in place on a buffer the JS wrapper allocated; batch
 * calls walk the SrtpBatch layout (data + offsets/lengths/status) in one crossing. */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "srtp_core.h"

typedef struct holder {
  tl_session *s;
} holder;

enum { OP_PROTECT_RTP = 0, OP_UNPROTECT_RTP = 1, OP_PROTECT_RTCP = 2, OP_UNPROTECT_RTCP = 3 };

#define CHECK(env, call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error((env), "ERR_TRUSTLINE_SRTP", "N-API call failed: " #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_TRUSTLINE_SRTP", msg);
  return NULL;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  holder *h = data;
  tl_session_free(h->s);
  free(h);
}

static tl_session *session_arg(napi_env env, napi_value v) {
  holder *h = NULL;
  if (napi_get_value_external(env, v, (void **)&h) != napi_ok || !h) {
    throw_type(env, "expected an SRTP session handle");
    return NULL;
  }
  if (!h->s) {
    napi_throw_error(env, "ERR_TRUSTLINE_SRTP_CLOSED", "the SRTP session is closed");
    return NULL;
  }
  return h->s;
}

static int bytes_arg(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is = false;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return -1;
  if (napi_get_typedarray_info(env, v, &t, len, data, &ab, &off) != napi_ok || t != want) return -1;
  return 0;
}

static napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

/* createSession(suiteId, keys[], salts[], mkis[] | null, kdr, window, flags, forceEvpGcm, lifetimes[] | null) */
static napi_value create_session(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value a[9];
  CHECK(env, napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 9) return throw_type(env, "createSession needs 9 arguments");
  uint32_t suite, kdr, window, flags, nkeys = 0, nsalts = 0, nmkis = 0;
  bool force = false, mkis_null = true;
  napi_valuetype vt;
  if (napi_get_value_uint32(env, a[0], &suite) != napi_ok || napi_get_value_uint32(env, a[4], &kdr) != napi_ok ||
      napi_get_value_uint32(env, a[5], &window) != napi_ok || napi_get_value_uint32(env, a[6], &flags) != napi_ok ||
      napi_get_value_bool(env, a[7], &force) != napi_ok)
    return throw_type(env, "createSession: bad numeric argument");
  if (napi_get_array_length(env, a[1], &nkeys) != napi_ok || napi_get_array_length(env, a[2], &nsalts) != napi_ok ||
      nkeys != nsalts || nkeys == 0 || nkeys > TL_MAX_KEYS)
    return throw_type(env, "createSession: keys and salts must be arrays of the same length (1..4096)");
  CHECK(env, napi_typeof(env, a[3], &vt));
  if (vt != napi_null && vt != napi_undefined) {
    mkis_null = false;
    if (napi_get_array_length(env, a[3], &nmkis) != napi_ok || nmkis != nkeys)
      return throw_type(env, "createSession: mkis must be null or one per key");
  }
  const tl_suite *su = tl_suite_by_id((int)suite);
  if (!su) return throw_type(env, "createSession: unknown suite id");
  const uint8_t **keys = calloc(nkeys, sizeof *keys), **salts = calloc(nkeys, sizeof *salts),
                **mkis = calloc(nkeys, sizeof *mkis);
  uint64_t *lifetimes = calloc(nkeys, sizeof *lifetimes);
  napi_value result = NULL;
  const char *bad = NULL;
  size_t mki_len = 0;
  if (!keys || !salts || !mkis || !lifetimes) bad = "out of memory";
  CHECK(env, napi_typeof(env, a[8], &vt));
  if (!bad && vt != napi_null && vt != napi_undefined) {
    uint32_t nl = 0;
    if (napi_get_array_length(env, a[8], &nl) != napi_ok || nl != nkeys) bad = "createSession: lifetimes must be null or one per key";
    for (uint32_t i = 0; !bad && i < nkeys; i++) {
      napi_value e;
      double d = 0;
      if (napi_get_element(env, a[8], i, &e) != napi_ok || napi_get_value_double(env, e, &d) != napi_ok || !(d >= 0) ||
          d > 281474976710656.0)
        bad = "createSession: a key lifetime must be a number in 0..2^48 (0: none)";
      else lifetimes[i] = (uint64_t)d;
    }
  }
  for (uint32_t i = 0; !bad && i < nkeys; i++) {
    napi_value k, sl, m;
    void *p;
    size_t n;
    if (napi_get_element(env, a[1], i, &k) != napi_ok || bytes_arg(env, k, napi_uint8_array, &p, &n) ||
        n != (size_t)su->key_len) {
      bad = "createSession: a master key has the wrong type or length for the suite";
      break;
    }
    keys[i] = p;
    if (napi_get_element(env, a[2], i, &sl) != napi_ok || bytes_arg(env, sl, napi_uint8_array, &p, &n) ||
        n != (size_t)su->salt_len) {
      bad = "createSession: a master salt has the wrong type or length for the suite";
      break;
    }
    salts[i] = p;
    if (!mkis_null) {
      if (napi_get_element(env, a[3], i, &m) != napi_ok || bytes_arg(env, m, napi_uint8_array, &p, &n) || n < 1 ||
          n > TL_MAX_MKI || (i > 0 && n != mki_len)) {
        bad = "createSession: MKIs must be 1..128 bytes, all of the same length";
        break;
      }
      mki_len = n;
      mkis[i] = p;
    }
  }
  if (!bad) {
    tl_policy_in p = {(int)suite, nkeys, keys, salts, mkis_null ? NULL : mkis, (uint32_t)mki_len, lifetimes, kdr, window, flags, force};
    char err[160] = "";
    tl_session *s = tl_session_new(&p, err, sizeof err);
    holder *h = s ? calloc(1, sizeof *h) : NULL;
    if (!s) {
      napi_throw_error(env, "ERR_TRUSTLINE_SRTP_POLICY", err);
    } else if (!h) {
      tl_session_free(s);
      napi_throw_error(env, "ERR_TRUSTLINE_SRTP", "out of memory");
    } else {
      h->s = s;
      if (napi_create_external(env, h, finalize, NULL, &result) != napi_ok) {
        finalize(env, h, NULL);
        result = NULL;
        napi_throw_error(env, "ERR_TRUSTLINE_SRTP", "cannot create the session handle");
      }
    }
  } else {
    napi_throw_type_error(env, "ERR_TRUSTLINE_SRTP", bad);
  }
  free(keys);
  free(salts);
  free(mkis);
  free(lifetimes);
  return result;
}

static int run_op(tl_session *s, uint32_t op, uint8_t *p, size_t len, size_t cap, size_t *out) {
  switch (op) {
    case OP_PROTECT_RTP: return tl_protect_rtp(s, p, len, cap, out);
    case OP_UNPROTECT_RTP: return tl_unprotect_rtp(s, p, len, out);
    case OP_PROTECT_RTCP: return tl_protect_rtcp(s, p, len, cap, out);
    default: return tl_unprotect_rtcp(s, p, len, out);
  }
}

/* packet(handle, op, buf, len): works on buf[0, len) with capacity buf.length. Returns the new length, or -status
 * (the detail is then in lastError(handle)). */
static napi_value packet(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value a[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 4) return throw_type(env, "packet needs 4 arguments");
  tl_session *s = session_arg(env, a[0]);
  if (!s) return NULL;
  uint32_t op, len;
  void *data;
  size_t cap;
  if (napi_get_value_uint32(env, a[1], &op) != napi_ok || op > 3) return throw_type(env, "packet: bad op");
  if (bytes_arg(env, a[2], napi_uint8_array, &data, &cap)) return throw_type(env, "packet: expected a Uint8Array");
  if (napi_get_value_uint32(env, a[3], &len) != napi_ok || len > cap) return throw_type(env, "packet: bad length");
  size_t out = 0;
  s->detail_on = 1;
  s->detail[0] = 0;
  int rc = run_op(s, op, data, len, cap, &out);
  s->detail_on = 0;
  return num(env, rc == TL_OK ? (double)out : -(double)rc);
}

static napi_value last_error(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1], v;
  CHECK(env, napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  tl_session *s = argc ? session_arg(env, a[0]) : NULL;
  if (!s) return NULL;
  CHECK(env, napi_create_string_utf8(env, s->detail, NAPI_AUTO_LENGTH, &v));
  return v;
}

/* batch(handle, op, data, offsets, lengths, status, count) -> number of packets whose status is not Ok. */
static napi_value batch(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value a[7];
  CHECK(env, napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 7) return throw_type(env, "batch needs 7 arguments");
  tl_session *s = session_arg(env, a[0]);
  if (!s) return NULL;
  uint32_t op, count;
  uint8_t *data, *status;
  uint32_t *offsets, *lengths;
  size_t dlen, noff, nlen, nst;
  if (napi_get_value_uint32(env, a[1], &op) != napi_ok || op > 3) return throw_type(env, "batch: bad op");
  if (bytes_arg(env, a[2], napi_uint8_array, (void **)&data, &dlen)) return throw_type(env, "batch: data must be a Buffer");
  if (bytes_arg(env, a[3], napi_uint32_array, (void **)&offsets, &noff) ||
      bytes_arg(env, a[4], napi_uint32_array, (void **)&lengths, &nlen) ||
      bytes_arg(env, a[5], napi_uint8_array, (void **)&status, &nst))
    return throw_type(env, "batch: offsets and lengths must be Uint32Arrays and status a Uint8Array");
  if (napi_get_value_uint32(env, a[6], &count) != napi_ok || count > noff || count > nlen || count > nst)
    return throw_type(env, "batch: count exceeds the offsets, lengths or status arrays");
  uint32_t failures = 0;
  int protect = op == OP_PROTECT_RTP || op == OP_PROTECT_RTCP;
  for (uint32_t k = 0; k < count; k++) {
    size_t off = offsets[k], len = lengths[k];
    size_t end = protect && k + 1 < count ? offsets[k + 1] : dlen;
    if (end > dlen) end = dlen;
    int rc;
    size_t out = 0;
    if (off > end || len > end - off) rc = TL_MALFORMED;
    else rc = run_op(s, op, data + off, len, end - off, &out);
    status[k] = (uint8_t)rc;
    if (rc == TL_OK) lengths[k] = (uint32_t)out;
    else failures++;
  }
  return num(env, failures);
}

static napi_value set_roc(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 3) return throw_type(env, "setRoc needs 3 arguments");
  tl_session *s = session_arg(env, a[0]);
  if (!s) return NULL;
  uint32_t ssrc, roc;
  if (napi_get_value_uint32(env, a[1], &ssrc) != napi_ok || napi_get_value_uint32(env, a[2], &roc) != napi_ok)
    return throw_type(env, "setRoc: ssrc and roc must be numbers");
  if (tl_set_roc(s, ssrc, roc)) napi_throw_error(env, "ERR_TRUSTLINE_SRTP", "out of memory");
  return NULL;
}

/* stream(handle, ssrc) -> undefined | [roc, seq, srtcpIndex, rtpPackets, rtcpPackets] (-1: none yet) */
static napi_value stream(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2], arr, und;
  CHECK(env, napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 2) return throw_type(env, "stream needs 2 arguments");
  tl_session *s = session_arg(env, a[0]);
  if (!s) return NULL;
  uint32_t ssrc;
  if (napi_get_value_uint32(env, a[1], &ssrc) != napi_ok) return throw_type(env, "stream: ssrc must be a number");
  tl_stream *st = tl_find_stream(s, ssrc);
  if (!st) {
    CHECK(env, napi_get_undefined(env, &und));
    return und;
  }
  tl_stream_state ss;
  tl_stream_snapshot(st, &ss);
  double f[5] = {ss.roc, ss.seq, (double)ss.rtcp_index, (double)ss.rtp_packets, (double)ss.rtcp_packets};
  CHECK(env, napi_create_array_with_length(env, 5, &arr));
  for (uint32_t i = 0; i < 5; i++) CHECK(env, napi_set_element(env, arr, i, num(env, f[i])));
  return arr;
}

static napi_value close_session(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  holder *h = NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, a[0], (void **)&h) != napi_ok || !h)
    return throw_type(env, "close: expected an SRTP session handle");
  tl_session_free(h->s);
  h->s = NULL;
  return NULL;
}

static napi_value info_fn(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value o, v;
  CHECK(env, napi_create_object(env, &o));
  CHECK(env, napi_set_named_property(env, o, "abi", num(env, TL_ABI_VERSION)));
  CHECK(env, napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &v));
  CHECK(env, napi_set_named_property(env, o, "openssl", v));
  CHECK(env, napi_create_string_utf8(env, tl_ghash_available() ? "pclmul" : "evp", NAPI_AUTO_LENGTH, &v));
  CHECK(env, napi_set_named_property(env, o, "gcm", v));
  return o;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"createSession", NULL, create_session, NULL, NULL, NULL, napi_default, NULL},
      {"packet", NULL, packet, NULL, NULL, NULL, napi_default, NULL},
      {"lastError", NULL, last_error, NULL, NULL, NULL, napi_default, NULL},
      {"batch", NULL, batch, NULL, NULL, NULL, napi_default, NULL},
      {"setRoc", NULL, set_roc, NULL, NULL, NULL, napi_default, NULL},
      {"stream", NULL, stream, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_session, NULL, NULL, NULL, napi_default, NULL},
      {"info", NULL, info_fn, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
