// Session keys for one direction-independent context (SRTP or SRTCP) under one master key and one KDF epoch r,
// with the node:crypto objects that are worth caching: the AES-ECB context that makes AES-CM keystream, and the
// pre-keyed HMAC-SHA1 state.
import { createCipheriv, createSecretKey, type Cipher, type KeyObject } from 'node:crypto';
import type { SrtpCipherKind, SrtpSuite } from '../suites.js';
import { HmacSha1 } from './hmac-sha1.js';
import { deriveKey, KdfLabel } from './kdf.js';

export class SessionKeys {
  /** AES-ECB context for AES-CM keystream (counter blocks in, keystream out); null for GCM and NULL. */
  readonly ecb: Cipher | null;
  /** GCM key as a KeyObject (saves a copy per packet); null otherwise. */
  readonly gcmKey: KeyObject | null;
  readonly gcmAlgorithm: 'aes-128-gcm' | 'aes-256-gcm';
  readonly mac: HmacSha1 | null;

  constructor(
    readonly cipher: SrtpCipherKind,
    /** Session encryption key (empty for NULL). */
    readonly encKey: Buffer,
    /** Session salt: 14 bytes for AES-CM, 12 for GCM (empty for NULL). */
    readonly salt: Buffer,
    authKey: Buffer | null,
    /** KDF epoch these keys belong to (index DIV kdr). */
    readonly r: number,
  ) {
    this.gcmAlgorithm = encKey.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
    if (cipher === 'aes-cm') {
      const alg = encKey.length === 16 ? 'aes-128-ecb' : encKey.length === 24 ? 'aes-192-ecb' : 'aes-256-ecb';
      this.ecb = createCipheriv(alg, encKey, null);
      this.ecb.setAutoPadding(false);
    } else {
      this.ecb = null;
    }
    this.gcmKey = cipher === 'aes-gcm' ? createSecretKey(encKey) : null;
    this.mac = authKey ? new HmacSha1(authKey) : null;
  }
}

/** Derives the SRTP (labels 0-2) or SRTCP (labels 3-5) session keys for epoch r. */
export function deriveSessionKeys(suite: SrtpSuite, masterKey: Uint8Array, masterSalt: Uint8Array, rtcp: boolean, r: number): SessionKeys {
  const base = rtcp ? KdfLabel.RtcpEncryption : KdfLabel.RtpEncryption;
  if (suite.cipher === 'null') {
    return new SessionKeys('null', Buffer.alloc(0), Buffer.alloc(0), deriveKey(masterKey, masterSalt, base + 1, r, suite.authKeyLen), r);
  }
  const encKey = deriveKey(masterKey, masterSalt, base, r, suite.keyLen);
  const salt = deriveKey(masterKey, masterSalt, base + 2, r, suite.saltLen);
  const authKey = suite.authKeyLen > 0 ? deriveKey(masterKey, masterSalt, base + 1, r, suite.authKeyLen) : null;
  return new SessionKeys(suite.cipher, encKey, salt, authKey, r);
}

/** Session keys given directly (test vectors stated below the KDF, e.g. RFC 7714 sections 16-17). */
export function rawSessionKeys(suite: SrtpSuite, encKey: Uint8Array, salt: Uint8Array, authKey?: Uint8Array): SessionKeys {
  if (suite.cipher !== 'null' && encKey.length !== suite.keyLen) throw new RangeError(`${suite.name} session key must be ${suite.keyLen} bytes, got ${encKey.length}`);
  if (suite.cipher !== 'null' && salt.length !== suite.saltLen) throw new RangeError(`${suite.name} session salt must be ${suite.saltLen} bytes, got ${salt.length}`);
  if (suite.authKeyLen > 0 && authKey?.length !== suite.authKeyLen) throw new RangeError(`${suite.name} session auth key must be ${suite.authKeyLen} bytes`);
  return new SessionKeys(
    suite.cipher,
    suite.cipher === 'null' ? Buffer.alloc(0) : Buffer.from(encKey),
    suite.cipher === 'null' ? Buffer.alloc(0) : Buffer.from(salt),
    authKey ? Buffer.from(authKey) : null,
    0,
  );
}
