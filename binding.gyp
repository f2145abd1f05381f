# The native SRTP core (N-API, C). It links against the OpenSSL inside the node binary (no -lcrypto): node exports
# libcrypto's symbols and ships its headers in include/node/openssl. Built by `npm install` (scripts/build-native.mjs).
{
  "targets": [
    {
      "target_name": "trustline_srtp",
      "sources": [
        "native/srtp/aes_ctr.c",
        "native/srtp/binding.c",
        "native/srtp/gcm.c",
        "native/srtp/ghash.c",
        "native/srtp/header.c",
        "native/srtp/hmac_sha1.c",
        "native/srtp/kdf.c",
        "native/srtp/replay.c",
        "native/srtp/rtcp.c",
        "native/srtp/rtp.c",
        "native/srtp/session.c"
      ],
      "defines": ["NAPI_VERSION=8", "OPENSSL_SUPPRESS_DEPRECATED"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "cflags!": ["-O3"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
        "OTHER_LDFLAGS": ["-undefined", "dynamic_lookup"]
      }
    }
  ]
}
