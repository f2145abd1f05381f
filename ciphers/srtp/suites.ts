// The SRTP protection profiles trustline implements (RFC 3711, 6188, 7714) and their key/salt/tag sizes.
// `id` is a stable small integer shared with the native core (native/srtp/srtp_core.h keeps the same numbering).

export type SrtpCipherKind = 'aes-cm' | 'aes-gcm' | 'null';

export interface SrtpSuite {
  readonly id: number;
  /** IANA name as emitted in SDES a=crypto lines. */
  readonly name: SrtpSuiteName;
  readonly cipher: SrtpCipherKind;
  /** Master (and session) encryption key length in bytes. */
  readonly keyLen: number;
  /** Master salt length in bytes as carried in SDES (14, or 12 for GCM). */
  readonly saltLen: number;
  /** HMAC-SHA1 session authentication key length (0 for AEAD suites). */
  readonly authKeyLen: number;
  /** Authentication tag length on SRTP packets. */
  readonly srtpTagLen: number;
  /** Authentication tag length on SRTCP packets (RFC 3711 5.2: never shorter than 80 bits for HMAC suites). */
  readonly srtcpTagLen: number;
  /** True for the AEAD (GCM) suites. */
  readonly aead: boolean;
  /** True when not for production use (NULL cipher). */
  readonly debugOnly: boolean;
}

export const SRTP_SUITE_NAMES = [
  'AES_CM_128_HMAC_SHA1_80',
  'AES_CM_128_HMAC_SHA1_32',
  'AES_192_CM_HMAC_SHA1_80',
  'AES_192_CM_HMAC_SHA1_32',
  'AES_256_CM_HMAC_SHA1_80',
  'AES_256_CM_HMAC_SHA1_32',
  'AEAD_AES_128_GCM',
  'AEAD_AES_256_GCM',
  'NULL_HMAC_SHA1_80',
  'NULL_HMAC_SHA1_32',
] as const;

export type SrtpSuiteName = (typeof SRTP_SUITE_NAMES)[number];

function cm(id: number, name: SrtpSuiteName, keyLen: number, tag: number): SrtpSuite {
  return { id, name, cipher: 'aes-cm', keyLen, saltLen: 14, authKeyLen: 20, srtpTagLen: tag, srtcpTagLen: 10, aead: false, debugOnly: false };
}

function gcm(id: number, name: SrtpSuiteName, keyLen: number): SrtpSuite {
  return { id, name, cipher: 'aes-gcm', keyLen, saltLen: 12, authKeyLen: 0, srtpTagLen: 16, srtcpTagLen: 16, aead: true, debugOnly: false };
}

function nul(id: number, name: SrtpSuiteName, tag: number): SrtpSuite {
  // NULL cipher, HMAC-SHA1 auth: keys are still derived from a 128-bit master key and 112-bit salt (as libsrtp's null policies).
  return { id, name, cipher: 'null', keyLen: 16, saltLen: 14, authKeyLen: 20, srtpTagLen: tag, srtcpTagLen: 10, aead: false, debugOnly: true };
}

export const SRTP_SUITES: Readonly<Record<SrtpSuiteName, SrtpSuite>> = {
  AES_CM_128_HMAC_SHA1_80: cm(1, 'AES_CM_128_HMAC_SHA1_80', 16, 10),
  AES_CM_128_HMAC_SHA1_32: cm(2, 'AES_CM_128_HMAC_SHA1_32', 16, 4),
  AES_192_CM_HMAC_SHA1_80: cm(3, 'AES_192_CM_HMAC_SHA1_80', 24, 10),
  AES_192_CM_HMAC_SHA1_32: cm(4, 'AES_192_CM_HMAC_SHA1_32', 24, 4),
  AES_256_CM_HMAC_SHA1_80: cm(5, 'AES_256_CM_HMAC_SHA1_80', 32, 10),
  AES_256_CM_HMAC_SHA1_32: cm(6, 'AES_256_CM_HMAC_SHA1_32', 32, 4),
  AEAD_AES_128_GCM: gcm(7, 'AEAD_AES_128_GCM', 16),
  AEAD_AES_256_GCM: gcm(8, 'AEAD_AES_256_GCM', 32),
  NULL_HMAC_SHA1_80: nul(9, 'NULL_HMAC_SHA1_80', 10),
  NULL_HMAC_SHA1_32: nul(10, 'NULL_HMAC_SHA1_32', 4),
};

export function isSrtpSuiteName(s: string): s is SrtpSuiteName {
  return (SRTP_SUITE_NAMES as readonly string[]).includes(s);
}

export function srtpSuite(name: SrtpSuiteName): SrtpSuite {
  return SRTP_SUITES[name];
}
