// Published and cross-checked SRTP/SRTCP test vectors, as data, for every backend's tests (TS and native).
// Sources: RFC 3711 App. B, RFC 6188 sect. 7, RFC 7714 sect. 16-17, libsrtp's srtp_validate* packets, the per-suite
// known answers of research/peers-and-perf.md 1.2, and packets produced by Debian's libsrtp 2.5.0 (ad-hoc harness
// against /usr/include/srtp2, 2026-11-24) for CSRC/extension/padding, ROC wrap, SRTCP, MKI and the session flags.
// All byte strings are lowercase hex. Only facts are taken from those sources.
//
// Note: Debian libsrtp 2.5.0 derives AES-192 session keys with the AES-256 PRF over key||salt zero-padded to 46 bytes,
// which disagrees with RFC 6188 7.4; trustline follows the RFC (see RFC6188_PRF below), so no libsrtp AES-192 packets
// are listed here.
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';

export const RFC3711 = 'RFC 3711 App. B';
export const RFC6188 = 'RFC 6188 sect. 7';
export const RFC7714 = 'RFC 7714 sect. 16-17';
export const LIBSRTP_VALIDATE = 'libsrtp test/srtp_driver.c srtp_validate*';
export const PEERS_1_2 = 'research/peers-and-perf.md 1.2 (libsrtp 2.8.0 / 2.5.0 / werift / noble agree)';
export const LIBSRTP_DEBIAN = 'Debian libsrtp 2.5.0 (srtp_protect*, ad-hoc harness)';
export const LIBSRTP_28_FIXTURE = 'libsrtp 2.8.0 interop fixture (third-party repository, verified against the RFC KDF)';

/** RFC 3711 B.2: AES-CM keystream for key / IV (= salt * 2^16, SSRC 0, index 0), blocks 0, 1, 2. */
export const RFC3711_KEYSTREAM = {
  source: RFC3711,
  key: '2b7e151628aed2a6abf7158809cf4f3c',
  /** The 14 bytes above the counter: IV = f0f1...fd || 0000. */
  salt: 'f0f1f2f3f4f5f6f7f8f9fafbfcfd',
  blocks: ['e03ead0935c95e80e166b16dd92b4eb4', 'd23513162b02d0f72a43a2fe4a5f97ab', '41e95b3bb0a2e8dd477901e4fca894c0'],
};

export interface KdfVector {
  name: string;
  source: string;
  masterKey: string;
  masterSalt: string;
  /** label -> expected prefix of the PRF output (hex); r = 0. */
  outputs: Partial<Record<0 | 1 | 2 | 3 | 4 | 5, string>>;
}

/** RFC 3711 B.3 (labels 0-2; the auth key is the first 20 bytes of the listed 94) and the SRTCP labels 3-5. */
export const RFC3711_KDF: KdfVector = {
  name: 'RFC 3711 B.3',
  source: RFC3711,
  masterKey: 'e1f97a0d3e018be0d64fa32c06de4139',
  masterSalt: '0ec675ad498afeebb6960b3aabe6',
  outputs: {
    0: 'c61e7a93744f39ee10734afe3ff7a087',
    1: 'cebe321f6ff7716b6fd4ab49af256a156d38baa4',
    2: '30cbbc08863d8c85d49db34a9ae1',
    3: '4c1aa45a81f73d61c800bbb00fbb1eaa',
    4: '8d54534feb49ae8e7993a6bd0b844fc323a93dfd',
    5: '9581c7ad87b3e530bf3e4454a8b3',
  },
};

/** RFC 6188 7.2 (AES-256 PRF) and 7.4 (AES-192 PRF), labels 0-2. */
export const RFC6188_PRF: KdfVector[] = [
  {
    name: 'RFC 6188 7.2 AES_256_CM_PRF',
    source: RFC6188,
    masterKey: 'f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6',
    masterSalt: '3b04803de51ee7c96423ab5b78d2',
    outputs: {
      0: '5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4',
      1: 'fd9c32d39ed5fbb5a9dc96b30818454d1313dc05',
      2: 'fa31791685ca444a9e07c6c64e93',
    },
  },
  {
    name: 'RFC 6188 7.4 AES_192_CM_PRF',
    source: RFC6188,
    masterKey: '73edc66c4fa15776fb57f9505c17136550ffda71f3e8e5f1',
    masterSalt: 'c8522f3acd4ce86d5add78edbb11',
    outputs: {
      0: '31874736a8f1143870c26e4857d8a5b2c4a354407faadabb',
      1: '355b10973cd95b9eacf4061c7e1a7151e7cfbfcb',
      2: '2372b82d639b6d8503a47adc0a6c',
    },
  },
];

/** A packet vector stated below the KDF (session key and salt given directly), as RFC 7714 does. */
export interface SessionKeyVector {
  name: string;
  source: string;
  suite: SrtpSuiteName;
  encKey: string;
  salt: string;
  rtcp?: boolean;
  /** SRTCP index the protected packet carries (a sender must be wound to it). */
  srtcpIndex?: number;
  encryptRtcp?: boolean;
  /** The 12-byte GCM IV the RFC prints. */
  iv?: string;
  plain: string;
  protected: string;
}

const RFC7714_KEY_128 = '000102030405060708090a0b0c0d0e0f';
const RFC7714_KEY_256 = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const RFC7714_SALT = '517569642070726f2071756f'; // "Quid pro quo"
const RFC7714_RTP = '8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573';
// The packet sections 17.1-17.4 encrypt (SSRC "Mars"); the preamble of section 17 prints a slightly different one.
const RFC7714_RTCP = '81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef';

export const RFC7714_VECTORS: SessionKeyVector[] = [
  {
    name: 'RFC 7714 16.1.1 AEAD_AES_128_GCM SRTP',
    source: RFC7714,
    suite: 'AEAD_AES_128_GCM',
    encKey: RFC7714_KEY_128,
    salt: RFC7714_SALT,
    iv: '51753c6580c2726f20718414',
    plain: RFC7714_RTP,
    protected: '8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce',
  },
  {
    name: 'RFC 7714 16.2.1 AEAD_AES_256_GCM SRTP',
    source: RFC7714,
    suite: 'AEAD_AES_256_GCM',
    encKey: RFC7714_KEY_256,
    salt: RFC7714_SALT,
    iv: '51753c6580c2726f20718414',
    plain: RFC7714_RTP,
    protected: '8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a0276ffae0f1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13',
  },
  {
    name: 'RFC 7714 17.1 AEAD_AES_128_GCM SRTCP',
    source: RFC7714,
    suite: 'AEAD_AES_128_GCM',
    encKey: RFC7714_KEY_128,
    salt: RFC7714_SALT,
    rtcp: true,
    srtcpIndex: 0x5d4,
    iv: '517524055203726f207170bb',
    plain: RFC7714_RTCP,
    protected: '81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4',
  },
  {
    name: 'RFC 7714 17.2 AEAD_AES_256_GCM SRTCP',
    source: RFC7714,
    suite: 'AEAD_AES_256_GCM',
    encKey: RFC7714_KEY_256,
    salt: RFC7714_SALT,
    rtcp: true,
    srtcpIndex: 0x5d4,
    iv: '517524055203726f207170bb',
    plain: RFC7714_RTCP,
    protected: '81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6cb26ac3be800005d4',
  },
  {
    name: 'RFC 7714 17.3 AEAD_AES_128_GCM SRTCP, E=0 (authenticated only)',
    source: RFC7714,
    suite: 'AEAD_AES_128_GCM',
    encKey: RFC7714_KEY_128,
    salt: RFC7714_SALT,
    rtcp: true,
    srtcpIndex: 0x5d4,
    encryptRtcp: false,
    plain: RFC7714_RTCP,
    protected:
      '81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef841dd9683dd78ec92ae58790125f62b3000005d4',
  },
];

export interface VectorKey {
  key: string;
  salt: string;
  mki?: string;
}

/** A packet vector under master keys: keys[0] protects; a receiver given all keys (any order) must unprotect it. */
export interface SrtpPacketVector {
  name: string;
  source: string;
  suite: SrtpSuiteName;
  keys: VectorKey[];
  rtcp?: boolean;
  /** ROC of the packet (RTP; default 0). */
  roc?: number;
  /** SRTCP index of the protected packet (a fresh sender sends 1 first, so it protects srtcpIndex-1 packets before). */
  srtcpIndex?: number;
  flags?: { encryptRtp?: boolean; encryptRtcp?: boolean; authenticateRtp?: boolean };
  plain: string;
  protected: string;
}

const B3_KEY = { key: 'e1f97a0d3e018be0d64fa32c06de4139', salt: '0ec675ad498afeebb6960b3aabe6' };
const VALIDATE_RTP = '800f1234decafbadcafebabeabababababababababababababababab';
const VALIDATE_RTCP = '81c8000bcafebabeabababababababababababababababab';
const PEERS_KEY_BYTES = Array.from({ length: 64 }, (_, i) => (i * 7 + 3) & 0xff);
function peersKey(keyLen: number, saltLen: number): VectorKey {
  const b = Buffer.from(PEERS_KEY_BYTES);
  return { key: b.subarray(0, keyLen).toString('hex'), salt: b.subarray(keyLen, keyLen + saltLen).toString('hex') };
}
const PEERS_PLAIN = '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213';
const FIXTURE_RTCP = '80c80006cafebabeabababababababababababababababababababab';

export const PACKET_VECTORS: SrtpPacketVector[] = [
  // libsrtp srtp_validate(): AES_CM_128_HMAC_SHA1_80 with the RFC 3711 B.3 master key.
  { name: 'srtp_validate RTP', source: LIBSRTP_VALIDATE, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [B3_KEY], plain: VALIDATE_RTP, protected: '800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb' },
  { name: 'srtp_validate RTCP', source: LIBSRTP_VALIDATE, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [B3_KEY], rtcp: true, srtcpIndex: 1, plain: VALIDATE_RTCP, protected: '81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798' },
  // libsrtp srtp_validate_aes_256(): the RFC 6188 7.2 master key.
  {
    name: 'srtp_validate_aes_256 RTP',
    source: LIBSRTP_VALIDATE,
    suite: 'AES_256_CM_HMAC_SHA1_80',
    keys: [{ key: 'f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6', salt: '3b04803de51ee7c96423ab5b78d2' }],
    plain: VALIDATE_RTP,
    protected: '800f1234decafbadcafebabef1d9de17ff251ff1aa007774b0b4b40da08d9d9a5b3a55d8873b',
  },
  // libsrtp srtp_validate_gcm(): 12-byte master salt a0..ab (right-padded to 14 for the KDF).
  {
    name: 'srtp_validate_gcm RTP',
    source: LIBSRTP_VALIDATE,
    suite: 'AEAD_AES_128_GCM',
    keys: [{ key: '000102030405060708090a0b0c0d0e0f', salt: 'a0a1a2a3a4a5a6a7a8a9aaab' }],
    plain: VALIDATE_RTP,
    protected: '800f1234decafbadcafebabec5002ede04cfdd2eb91159e0880aa06ed2976826f796b201df3131a127e8a392',
  },
  {
    name: 'srtp_validate_gcm RTCP',
    source: LIBSRTP_VALIDATE,
    suite: 'AEAD_AES_128_GCM',
    keys: [{ key: '000102030405060708090a0b0c0d0e0f', salt: 'a0a1a2a3a4a5a6a7a8a9aaab' }],
    rtcp: true,
    srtcpIndex: 1,
    plain: VALIDATE_RTCP,
    protected: '81c8000bcafebabec98b8b5df0392a55852b6c21ac8e7025c52c6fbea2b3b446ea31123ba88ce61e80000001',
  },
  // Interop fixture quoting libsrtp 2.8.0 answers: AES-256 with master key 00..1f and the B.3 salt; SRTCP as an SR.
  { name: '2.8.0 fixture AES_CM_128_HMAC_SHA1_32 RTP', source: LIBSRTP_28_FIXTURE, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [B3_KEY], plain: VALIDATE_RTP, protected: '800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc' },
  { name: '2.8.0 fixture SRTCP (SR)', source: LIBSRTP_28_FIXTURE, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [B3_KEY], rtcp: true, srtcpIndex: 1, plain: FIXTURE_RTCP, protected: '80c80006cafebabe7128035be487b9bdbef89041f977a5a8d5efb88180000001905c6f4d7932c1caa182' },
  {
    name: '2.8.0 fixture AES_256_CM_HMAC_SHA1_80 RTP',
    source: LIBSRTP_28_FIXTURE,
    suite: 'AES_256_CM_HMAC_SHA1_80',
    keys: [{ key: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', salt: '0ec675ad498afeebb6960b3aabe6' }],
    plain: VALIDATE_RTP,
    protected: '800f1234decafbadcafebabe2eafab4c5411baca2355d553eb99f2520e6b00dbd51d0c94fc25',
  },
  {
    name: '2.8.0 fixture AES_256_CM SRTCP (SR)',
    source: LIBSRTP_28_FIXTURE,
    suite: 'AES_256_CM_HMAC_SHA1_80',
    keys: [{ key: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', salt: '0ec675ad498afeebb6960b3aabe6' }],
    rtcp: true,
    srtcpIndex: 1,
    plain: FIXTURE_RTCP,
    protected: '80c80006cafebabe90226f769076838799db59e07680163bc3038c6e80000001025feddf1ad3450e4d12',
  },
  // research/peers-and-perf.md 1.2: master key||salt bytes (i*7+3) & 0xff, SSRC 0x12345678, seq 1, ts 160.
  { name: 'peers 1.2 AES_CM_128_HMAC_SHA1_80', source: PEERS_1_2, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [peersKey(16, 14)], plain: PEERS_PLAIN, protected: '80000001000000a0123456787e5671eb9df0cad1ca4b15db88320de7a96f4ae0c1e3809cc9398259ad26' },
  { name: 'peers 1.2 AES_CM_128_HMAC_SHA1_32', source: PEERS_1_2, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [peersKey(16, 14)], plain: PEERS_PLAIN, protected: '80000001000000a0123456787e5671eb9df0cad1ca4b15db88320de7a96f4ae0c1e3809c' },
  { name: 'peers 1.2 AES_256_CM_HMAC_SHA1_80', source: PEERS_1_2, suite: 'AES_256_CM_HMAC_SHA1_80', keys: [peersKey(32, 14)], plain: PEERS_PLAIN, protected: '80000001000000a012345678de6ba585d215fe0d8c6ea877ba656ce1860bb5b4f07b5d6552fc09b39d03' },
  { name: 'peers 1.2 AEAD_AES_128_GCM', source: PEERS_1_2, suite: 'AEAD_AES_128_GCM', keys: [peersKey(16, 12)], plain: PEERS_PLAIN, protected: '80000001000000a012345678f39d880288ff96ae0366d52522acb453cfe022a788f2f336aab206dbaefa5bd69316b9ae' },
  { name: 'peers 1.2 AEAD_AES_256_GCM', source: PEERS_1_2, suite: 'AEAD_AES_256_GCM', keys: [peersKey(32, 12)], plain: PEERS_PLAIN, protected: '80000001000000a012345678d92ae5257eb42fe6eed72847c84adbbfed156af6602cc1f520d4e7a161366f06056465f4' },
];

/**
 * Debian libsrtp 2.5.0 outputs, master keys (i*7+3) & 0xff (and (i*13+101) & 0xff for the second MKI key), SSRC
 * 0x12345678: a plain packet; a V=2 P=1 X=1 CC=2 packet with a 2-word 0xbede extension and 3 padding bytes across the
 * ROC wrap (0xfffe, 0xffff at ROC 0; 0x0000, 0x0001 at ROC 1); SRTCP (a 28-byte SR) at indices 1 and 2; MKI
 * (4 bytes, the second key protects); UNENCRYPTED_SRTP / UNENCRYPTED_SRTCP / UNAUTHENTICATED_SRTP.
 */
export const LIBSRTP_DEBIAN_VECTORS: SrtpPacketVector[] = [
  { name: 'AES_CM_128_HMAC_SHA1_80 simple', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a0123456787e5671eb9df0cad1ca4b15db88320de7a96f4ae0c1e3809cc9398259ad26' },
  { name: 'AES_CM_128_HMAC_SHA1_80 CSRC+extension+padding seq fffe', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 0, plain: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc0000002cfcc17864c95d88fba592224d3aa372fef64f4f84b1495618de0f17f0289360bdf3a1eb2693b6e0476d49ab74e6' },
  { name: 'AES_CM_128_HMAC_SHA1_80 CSRC+extension+padding seq ffff', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 0, plain: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000f764447d0b36d3b89581fc61bba2dd93421421480036e71a7171592476a9fcb0e524f3ca3e5759ea89e89283116d' },
  { name: 'AES_CM_128_HMAC_SHA1_80 CSRC+extension+padding seq 0000', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 1, plain: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc00000030629fa5450a90ec967933acb2e8d43281701a7a6eaa4556c60a03905bba67426bb17f1487abd0ab487fbd73c1bc' },
  { name: 'AES_CM_128_HMAC_SHA1_80 CSRC+extension+padding seq 0001', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 1, plain: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc000000b163dbcf1834d799bd70ba5f2d040acfdc34f79e5e6f9c53a43e8f20a4c3caa12e8f9bcbd8c6ad8a9610ccdfa78b' },
  { name: 'AES_CM_128_HMAC_SHA1_80 SRTCP index 1', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678c66265f9032de45344efd957e08b52e16ddcc6fa800000015e0a9d5ad10a2aeba0ed' },
  { name: 'AES_CM_128_HMAC_SHA1_80 SRTCP index 2', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], rtcp: true, srtcpIndex: 2, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c800061234567838ba1fe96cc59c0aa7a11d4688dcfac21925c12a80000002b489b131f0bc88bd2a07' },
  { name: 'AES_CM_128_HMAC_SHA1_80 MKI, second key', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b28', salt: '35424f5c697683909daab7c4d1de', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce', mki: 'deadbe01' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678ab7f578b074941d5791d51237e1a81408794dcc3deadbe0203f0932a7d5f28ac34b0' },
  { name: 'AES_CM_128_HMAC_SHA1_80 SRTCP MKI, second key', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b28', salt: '35424f5c697683909daab7c4d1de', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce', mki: 'deadbe01' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c800061234567858e5fd34b63a2579b6d561f9e37c4381df6ef49d80000001deadbe02ed4ca7dfec91c15c065e' },
  { name: 'AES_CM_128_HMAC_SHA1_80 UNENCRYPTED_SRTP', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], flags: { encryptRtp: false }, plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213f0890b63c0175132410e' },
  { name: 'AES_CM_128_HMAC_SHA1_80 UNENCRYPTED_SRTCP', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], rtcp: true, srtcpIndex: 1, flags: { encryptRtcp: false }, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a00000000500000320000000010377be6f06278832d608' },
  { name: 'AES_CM_128_HMAC_SHA1_80 UNAUTHENTICATED_SRTP', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], flags: { authenticateRtp: false }, plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a0123456787e5671eb9df0cad1ca4b15db88320de7a96f4ae0' },
  { name: 'AES_CM_128_HMAC_SHA1_32 simple', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a0123456787e5671eb9df0cad1ca4b15db88320de7a96f4ae0c1e3809c' },
  { name: 'AES_CM_128_HMAC_SHA1_32 CSRC+extension+padding seq fffe', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 0, plain: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc0000002cfcc17864c95d88fba592224d3aa372fef64f4f84b1495618de0f17f0289360bdf3a1eb2693b6e0' },
  { name: 'AES_CM_128_HMAC_SHA1_32 CSRC+extension+padding seq ffff', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 0, plain: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000f764447d0b36d3b89581fc61bba2dd93421421480036e71a7171592476a9fcb0e524f3ca3e5759ea' },
  { name: 'AES_CM_128_HMAC_SHA1_32 CSRC+extension+padding seq 0000', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 1, plain: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc00000030629fa5450a90ec967933acb2e8d43281701a7a6eaa4556c60a03905bba67426bb17f1487abd0ab' },
  { name: 'AES_CM_128_HMAC_SHA1_32 CSRC+extension+padding seq 0001', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 1, plain: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc000000b163dbcf1834d799bd70ba5f2d040acfdc34f79e5e6f9c53a43e8f20a4c3caa12e8f9bcbd8c6ad8a' },
  { name: 'AES_CM_128_HMAC_SHA1_32 SRTCP index 1', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678c66265f9032de45344efd957e08b52e16ddcc6fa800000015e0a9d5ad10a2aeba0ed' },
  { name: 'AES_CM_128_HMAC_SHA1_32 SRTCP index 2', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], rtcp: true, srtcpIndex: 2, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c800061234567838ba1fe96cc59c0aa7a11d4688dcfac21925c12a80000002b489b131f0bc88bd2a07' },
  { name: 'AES_CM_128_HMAC_SHA1_32 MKI, second key', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b28', salt: '35424f5c697683909daab7c4d1de', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce', mki: 'deadbe01' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678ab7f578b074941d5791d51237e1a81408794dcc3deadbe0203f0932a' },
  { name: 'AES_CM_128_HMAC_SHA1_32 SRTCP MKI, second key', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b28', salt: '35424f5c697683909daab7c4d1de', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce', mki: 'deadbe01' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c800061234567858e5fd34b63a2579b6d561f9e37c4381df6ef49d80000001deadbe02ed4ca7dfec91c15c065e' },
  { name: 'AES_CM_128_HMAC_SHA1_32 UNENCRYPTED_SRTP', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], flags: { encryptRtp: false }, plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213f0890b63' },
  { name: 'AES_CM_128_HMAC_SHA1_32 UNENCRYPTED_SRTCP', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], rtcp: true, srtcpIndex: 1, flags: { encryptRtcp: false }, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a00000000500000320000000010377be6f06278832d608' },
  { name: 'AES_CM_128_HMAC_SHA1_32 UNAUTHENTICATED_SRTP', source: LIBSRTP_DEBIAN, suite: 'AES_CM_128_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], flags: { authenticateRtp: false }, plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a0123456787e5671eb9df0cad1ca4b15db88320de7a96f4ae0' },
  { name: 'AES_256_CM_HMAC_SHA1_80 simple', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678de6ba585d215fe0d8c6ea877ba656ce1860bb5b4f07b5d6552fc09b39d03' },
  { name: 'AES_256_CM_HMAC_SHA1_80 CSRC+extension+padding seq fffe', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], roc: 0, plain: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000a855f7a63f4359725b3fc0fadc06a7beb3eb85a6336f056d26766ebf9c517f42595dd91202456de5ea581ef78211' },
  { name: 'AES_256_CM_HMAC_SHA1_80 CSRC+extension+padding seq ffff', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], roc: 0, plain: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000b235fb994c8a567223b4fe4abe3138f3c82259a33966423248054921d727032bd8fde1ab50528dbda5c52c245b58' },
  { name: 'AES_256_CM_HMAC_SHA1_80 CSRC+extension+padding seq 0000', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], roc: 1, plain: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000d29925a9487bfb92a4b250a5581bf5dd24fcf08a64491f79a765880e49a0450408ec83e5d9489ed1f359200f7a37' },
  { name: 'AES_256_CM_HMAC_SHA1_80 CSRC+extension+padding seq 0001', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], roc: 1, plain: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc0000004b4da65cfb890c5f2cbfe22d39ac872994328141eb2a68dc75a9b57cd336848eae7ec30ea88e85fe424a34066246' },
  { name: 'AES_256_CM_HMAC_SHA1_80 SRTCP index 1', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c800061234567813ce8ce70c6048fa1bf4330c6f05ba947095ebab800000016377c2be9664c55d458a' },
  { name: 'AES_256_CM_HMAC_SHA1_80 SRTCP index 2', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], rtcp: true, srtcpIndex: 2, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c800061234567894d261d1fb104ca5da49eef209afab57aaa4dc8d800000028e203a567ec2e12210bc' },
  { name: 'AES_256_CM_HMAC_SHA1_80 MKI, second key', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_80', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b2835424f5c697683909daab7c4d1deebf8', salt: '05121f2c394653606d7a8794a1ae', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e', mki: 'deadbe01' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a0123456785fba71510b8714b50e0c375435a9acc6398b3feadeadbe0273f317af35139e45f9b1' },
  { name: 'AES_256_CM_HMAC_SHA1_80 SRTCP MKI, second key', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_80', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b2835424f5c697683909daab7c4d1deebf8', salt: '05121f2c394653606d7a8794a1ae', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e', mki: 'deadbe01' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c80006123456783b252d6bc96a3d70a29fef3212c8113939b1055d80000001deadbe029d53555c6583fa7a149e' },
  { name: 'AES_256_CM_HMAC_SHA1_80 UNENCRYPTED_SRTP', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], flags: { encryptRtp: false }, plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678000102030405060708090a0b0c0d0e0f101112130baeaeda0a0820c952b9' },
  { name: 'AES_256_CM_HMAC_SHA1_80 UNENCRYPTED_SRTCP', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], rtcp: true, srtcpIndex: 1, flags: { encryptRtcp: false }, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a0000000050000032000000001e6d5ca1ac0942d6a2612' },
  { name: 'AES_256_CM_HMAC_SHA1_80 UNAUTHENTICATED_SRTP', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], flags: { authenticateRtp: false }, plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678de6ba585d215fe0d8c6ea877ba656ce1860bb5b4' },
  { name: 'AES_256_CM_HMAC_SHA1_32 simple', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678de6ba585d215fe0d8c6ea877ba656ce1860bb5b4f07b5d65' },
  { name: 'AES_256_CM_HMAC_SHA1_32 CSRC+extension+padding seq fffe', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], roc: 0, plain: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000a855f7a63f4359725b3fc0fadc06a7beb3eb85a6336f056d26766ebf9c517f42595dd91202456de5' },
  { name: 'AES_256_CM_HMAC_SHA1_32 CSRC+extension+padding seq ffff', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], roc: 0, plain: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000b235fb994c8a567223b4fe4abe3138f3c82259a33966423248054921d727032bd8fde1ab50528dbd' },
  { name: 'AES_256_CM_HMAC_SHA1_32 CSRC+extension+padding seq 0000', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], roc: 1, plain: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000d29925a9487bfb92a4b250a5581bf5dd24fcf08a64491f79a765880e49a0450408ec83e5d9489ed1' },
  { name: 'AES_256_CM_HMAC_SHA1_32 CSRC+extension+padding seq 0001', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], roc: 1, plain: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc0000004b4da65cfb890c5f2cbfe22d39ac872994328141eb2a68dc75a9b57cd336848eae7ec30ea88e85fe' },
  { name: 'AES_256_CM_HMAC_SHA1_32 SRTCP index 1', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c800061234567813ce8ce70c6048fa1bf4330c6f05ba947095ebab800000016377c2be9664c55d458a' },
  { name: 'AES_256_CM_HMAC_SHA1_32 SRTCP index 2', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], rtcp: true, srtcpIndex: 2, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c800061234567894d261d1fb104ca5da49eef209afab57aaa4dc8d800000028e203a567ec2e12210bc' },
  { name: 'AES_256_CM_HMAC_SHA1_32 MKI, second key', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_32', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b2835424f5c697683909daab7c4d1deebf8', salt: '05121f2c394653606d7a8794a1ae', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e', mki: 'deadbe01' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a0123456785fba71510b8714b50e0c375435a9acc6398b3feadeadbe0273f317af' },
  { name: 'AES_256_CM_HMAC_SHA1_32 SRTCP MKI, second key', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_32', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b2835424f5c697683909daab7c4d1deebf8', salt: '05121f2c394653606d7a8794a1ae', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e', mki: 'deadbe01' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c80006123456783b252d6bc96a3d70a29fef3212c8113939b1055d80000001deadbe029d53555c6583fa7a149e' },
  { name: 'AES_256_CM_HMAC_SHA1_32 UNENCRYPTED_SRTP', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], flags: { encryptRtp: false }, plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678000102030405060708090a0b0c0d0e0f101112130baeaeda' },
  { name: 'AES_256_CM_HMAC_SHA1_32 UNENCRYPTED_SRTCP', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], rtcp: true, srtcpIndex: 1, flags: { encryptRtcp: false }, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a0000000050000032000000001e6d5ca1ac0942d6a2612' },
  { name: 'AES_256_CM_HMAC_SHA1_32 UNAUTHENTICATED_SRTP', source: LIBSRTP_DEBIAN, suite: 'AES_256_CM_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930373e' }], flags: { authenticateRtp: false }, plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678de6ba585d215fe0d8c6ea877ba656ce1860bb5b4' },
  { name: 'AEAD_AES_128_GCM simple', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_128_GCM', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678f39d880288ff96ae0366d52522acb453cfe022a788f2f336aab206dbaefa5bd69316b9ae' },
  { name: 'AEAD_AES_128_GCM CSRC+extension+padding seq fffe', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_128_GCM', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0' }], roc: 0, plain: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000f68e67eae00c739f81370f9cd23a5ecfecd555796e7bb83c40d77ca0e7c159ecc18580ee762ce7975869a52d8c6b01f0cb541034' },
  { name: 'AEAD_AES_128_GCM CSRC+extension+padding seq ffff', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_128_GCM', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0' }], roc: 0, plain: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000d2a89cd794179829c7dfdfac4a2cbc881620b07fbc7b558752986e4be4e36419d83a6176d6818b1b6bbba70f577440df1d994776' },
  { name: 'AEAD_AES_128_GCM CSRC+extension+padding seq 0000', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_128_GCM', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0' }], roc: 1, plain: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000d7464d4ed16cdf011060044a551dd44049a756404f4053619b8a78cb4bc949161419a66f1a2da49254e33337df9667ae4d35b33d' },
  { name: 'AEAD_AES_128_GCM CSRC+extension+padding seq 0001', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_128_GCM', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0' }], roc: 1, plain: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc0000009c031535b87c09de385aa1b679a2fe743c160050260becf3d81f0fa878b8e9b78babdaa39ff9f0f4125100eb7096044fde93699e' },
  { name: 'AEAD_AES_128_GCM SRTCP index 1', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_128_GCM', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678bedde8052f339f9574bdae264b3b254bb89b2849d6662a8561620cf4aa9030330901ad1080000001' },
  { name: 'AEAD_AES_128_GCM SRTCP index 2', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_128_GCM', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0' }], rtcp: true, srtcpIndex: 2, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678c8b488d4c888e1211d2069e767182057cef107c35bb83aeadfbb2b300cb4dfed2d26ca4880000002' },
  { name: 'AEAD_AES_128_GCM MKI, second key', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_128_GCM', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b28', salt: '35424f5c697683909daab7c4', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0', mki: 'deadbe01' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678bcf423eeb2468996a9ab61cda8418cf8683abb7a8794c8f5262609974c06b8d0ad6dd8d1deadbe02' },
  { name: 'AEAD_AES_128_GCM SRTCP MKI, second key', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_128_GCM', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b28', salt: '35424f5c697683909daab7c4', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0', mki: 'deadbe01' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678368d9918baa12d3bd4cf2537a1a79e829d9dc6b97634e77c60b89395e1cde480d5b78aad80000001deadbe02' },
  { name: 'AEAD_AES_128_GCM UNENCRYPTED_SRTCP', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_128_GCM', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0' }], rtcp: true, srtcpIndex: 1, flags: { encryptRtcp: false }, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a000000005000003201e747c7e65bd9baecf481bedbf02960e00000001' },
  { name: 'AEAD_AES_256_GCM simple', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_256_GCM', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678d92ae5257eb42fe6eed72847c84adbbfed156af6602cc1f520d4e7a161366f06056465f4' },
  { name: 'AEAD_AES_256_GCM CSRC+extension+padding seq fffe', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_256_GCM', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930' }], roc: 0, plain: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000e3b3aa06cf8d90dbcf1ac57ba0d693cc8c79e833627f9c03c343c14e988800e1dfe7fdc00ba15e63ce4fd07b2571e3f3fc35532f' },
  { name: 'AEAD_AES_256_GCM CSRC+extension+padding seq ffff', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_256_GCM', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930' }], roc: 0, plain: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc0000000acd373cd8464a0afde36e6fce8ed82417f24da5d018a034f6569a3ce35ef4c4c560224864a652eeceb8cb49bdd867f438a1e3b6' },
  { name: 'AEAD_AES_256_GCM CSRC+extension+padding seq 0000', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_256_GCM', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930' }], roc: 1, plain: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000a646344fdf199d60f06392554993aab03c46a4132a24d74048a36abb38a4afceab3714bc30a0a8a636915359e29c53d642ade483' },
  { name: 'AEAD_AES_256_GCM CSRC+extension+padding seq 0001', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_256_GCM', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930' }], roc: 1, plain: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc000000b33426f5c3671575d00c687470ef262b6dcae7030cf1745e72f1ddffb7769e243195ef0de8a4f5f046b8ba83bcc7e8ab38ac026d' },
  { name: 'AEAD_AES_256_GCM SRTCP index 1', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_256_GCM', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e0b174544054bf0e9d5a37b91d1ddd0cb0f74b134f00e1fa912427c0584fb3bec15dd9aa80000001' },
  { name: 'AEAD_AES_256_GCM SRTCP index 2', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_256_GCM', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930' }], rtcp: true, srtcpIndex: 2, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c800061234567804da2fb613dd458f5e8684484e3f5e1feb0c857ac54d3d6b87ce08c51ed09ba18411499c80000002' },
  { name: 'AEAD_AES_256_GCM MKI, second key', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_256_GCM', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b2835424f5c697683909daab7c4d1deebf8', salt: '05121f2c394653606d7a8794', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930', mki: 'deadbe01' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678ca97c9ac2346b957b11b91513380593bf1e2ed8cdab4aaf7d23956aa92214edd8cf470eddeadbe02' },
  { name: 'AEAD_AES_256_GCM SRTCP MKI, second key', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_256_GCM', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b2835424f5c697683909daab7c4d1deebf8', salt: '05121f2c394653606d7a8794', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930', mki: 'deadbe01' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c80006123456781c71724f7bbeb271f66b7cf8a4f217a7e802bf834ecbc878b28cb017e087cff800cf63a980000001deadbe02' },
  { name: 'AEAD_AES_256_GCM UNENCRYPTED_SRTCP', source: LIBSRTP_DEBIAN, suite: 'AEAD_AES_256_GCM', keys: [{ key: '030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc', salt: 'e3eaf1f8ff060d141b222930' }], rtcp: true, srtcpIndex: 1, flags: { encryptRtcp: false }, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a000000005000003203e4bed355bd1fde3704842a9438045d200000001' },
  { name: 'NULL_HMAC_SHA1_80 simple', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213f0890b63c0175132410e' },
  { name: 'NULL_HMAC_SHA1_80 CSRC+extension+padding seq fffe', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 0, plain: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f600000030c4014948e815fae7975' },
  { name: 'NULL_HMAC_SHA1_80 CSRC+extension+padding seq ffff', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 0, plain: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f6000000392b9b9931cc88a24a029' },
  { name: 'NULL_HMAC_SHA1_80 CSRC+extension+padding seq 0000', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 1, plain: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f6000000308499974747d8e36936e' },
  { name: 'NULL_HMAC_SHA1_80 CSRC+extension+padding seq 0001', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 1, plain: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003dbcdb07330463e7a3857' },
  { name: 'NULL_HMAC_SHA1_80 SRTCP index 1', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a00000000500000320000000010377be6f06278832d608' },
  { name: 'NULL_HMAC_SHA1_80 SRTCP index 2', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], rtcp: true, srtcpIndex: 2, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a0000000050000032000000002f3ab7356882c6464328b' },
  { name: 'NULL_HMAC_SHA1_80 MKI, second key', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_80', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b28', salt: '35424f5c697683909daab7c4d1de', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce', mki: 'deadbe01' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213deadbe020117a44d63901b637f3c' },
  { name: 'NULL_HMAC_SHA1_80 SRTCP MKI, second key', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_80', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b28', salt: '35424f5c697683909daab7c4d1de', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce', mki: 'deadbe01' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a0000000050000032000000001deadbe02ce32dd1379749f56d4ac' },
  { name: 'NULL_HMAC_SHA1_80 UNENCRYPTED_SRTP', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], flags: { encryptRtp: false }, plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213f0890b63c0175132410e' },
  { name: 'NULL_HMAC_SHA1_80 UNENCRYPTED_SRTCP', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_80', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], rtcp: true, srtcpIndex: 1, flags: { encryptRtcp: false }, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a00000000500000320000000010377be6f06278832d608' },
  { name: 'NULL_HMAC_SHA1_32 simple', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213f0890b63' },
  { name: 'NULL_HMAC_SHA1_32 CSRC+extension+padding seq fffe', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 0, plain: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288fffe1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f600000030c401494' },
  { name: 'NULL_HMAC_SHA1_32 CSRC+extension+padding seq ffff', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 0, plain: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b288ffff1122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f6000000392b9b993' },
  { name: 'NULL_HMAC_SHA1_32 CSRC+extension+padding seq 0000', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 1, plain: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800001122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f6000000308499974' },
  { name: 'NULL_HMAC_SHA1_32 CSRC+extension+padding seq 0001', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], roc: 1, plain: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003', protected: 'b28800011122334412345678c5c50001c5c50002bede000210aa21bbcc000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60000003dbcdb073' },
  { name: 'NULL_HMAC_SHA1_32 SRTCP index 1', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a00000000500000320000000010377be6f06278832d608' },
  { name: 'NULL_HMAC_SHA1_32 SRTCP index 2', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], rtcp: true, srtcpIndex: 2, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a0000000050000032000000002f3ab7356882c6464328b' },
  { name: 'NULL_HMAC_SHA1_32 MKI, second key', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_32', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b28', salt: '35424f5c697683909daab7c4d1de', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce', mki: 'deadbe01' }], plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213deadbe020117a44d' },
  { name: 'NULL_HMAC_SHA1_32 SRTCP MKI, second key', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_32', keys: [{ key: '65727f8c99a6b3c0cddae7f4010e1b28', salt: '35424f5c697683909daab7c4d1de', mki: 'deadbe02' }, { key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce', mki: 'deadbe01' }], rtcp: true, srtcpIndex: 1, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a0000000050000032000000001deadbe02ce32dd1379749f56d4ac' },
  { name: 'NULL_HMAC_SHA1_32 UNENCRYPTED_SRTP', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], flags: { encryptRtp: false }, plain: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213', protected: '80000001000000a012345678000102030405060708090a0b0c0d0e0f10111213f0890b63' },
  { name: 'NULL_HMAC_SHA1_32 UNENCRYPTED_SRTCP', source: LIBSRTP_DEBIAN, suite: 'NULL_HMAC_SHA1_32', keys: [{ key: '030a11181f262d343b424950575e656c', salt: '737a81888f969da4abb2b9c0c7ce' }], rtcp: true, srtcpIndex: 1, flags: { encryptRtcp: false }, plain: '80c8000612345678e123456789abcdef000000a00000000500000320', protected: '80c8000612345678e123456789abcdef000000a00000000500000320000000010377be6f06278832d608' },
];

/** Every master-key packet vector. */
export const ALL_PACKET_VECTORS: SrtpPacketVector[] = [...PACKET_VECTORS, ...LIBSRTP_DEBIAN_VECTORS];
