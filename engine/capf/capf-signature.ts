// The signatures of CAPF's certificate authentication (auth modes 3/4) and of SUDI_DATA, research anchors §2.6 and
// gotchas 1 and 3:
// - signed input: device name ‖ 0x00 ‖ certificate DER (SIGNED_DATA with SHA-1, SHA2_SIGNED_DATA with SHA-512);
// - RSA is NOT RSASSA-PKCS1-v1_5: the bare digest (no DigestInfo) is padded `00 01 FF…FF 00 ‖ hash` and put through
//   the raw private-key operation; verification is the raw public-key operation and a byte comparison;
// - EC is ordinary ECDSA (DER) with SHA-1 / SHA-512;
// - SUDI signs `session id as 4 bytes little-endian ‖ SUDI certificate DER` (the only little-endian field).
import { constants, createHash, privateEncrypt, publicDecrypt, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { CapfHash, type CapfSha2SignedData, type CapfSudiData } from './capf-codec.js';

export type CapfDigest = 'sha1' | 'sha512';

const HASH_LENGTH: Readonly<Record<CapfDigest, number>> = { sha1: 20, sha512: 64 };

/** What auth modes 3 and 4 sign: `device name ‖ 0x00 ‖ certificate DER`. */
export function certificateAuthData(deviceName: string, certificateDer: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(deviceName, 'utf8'), Buffer.from([0]), Buffer.from(certificateDer)]);
}

/** What SUDI signs: the session id as 4-byte little-endian ‖ the SUDI certificate DER. */
export function sudiAuthData(sessionId: number, sudiCertificateDer: Uint8Array): Buffer {
  const id = Buffer.alloc(4);
  id.writeUInt32LE(sessionId >>> 0);
  return Buffer.concat([id, Buffer.from(sudiCertificateDer)]);
}

function modulusBytes(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

/** The PKCS#1 type-1 block around a bare digest: `00 01 FF…FF 00 ‖ hash`, k bytes long. */
export function rawHashBlock(hash: Uint8Array, k: number): Buffer {
  if (k < hash.length + 11) throw new RangeError(`an RSA key of ${k * 8} bits cannot sign a ${hash.length}-byte digest (needs ${(hash.length + 11) * 8} bits)`);
  return Buffer.concat([Buffer.from([0x00, 0x01]), Buffer.alloc(k - hash.length - 3, 0xff), Buffer.from([0x00]), Buffer.from(hash)]);
}

/** True when an RSA key is large enough for a raw-hash signature with this digest. */
export function rsaKeyCanSign(key: KeyObject, digest: CapfDigest): boolean {
  return modulusBytes(key) >= HASH_LENGTH[digest] + 11;
}

/** CAPF's signature of `data`: raw-hash PKCS#1 type 1 for RSA, DER ECDSA for EC. */
export function capfSign(privateKey: KeyObject, data: Uint8Array, digest: CapfDigest): Buffer {
  if (privateKey.asymmetricKeyType === 'rsa') {
    const block = rawHashBlock(createHash(digest).update(data).digest(), modulusBytes(privateKey));
    return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, block);
  }
  if (privateKey.asymmetricKeyType === 'ec') return sign(digest, data, { key: privateKey, dsaEncoding: 'der' });
  throw new TypeError(`${privateKey.asymmetricKeyType ?? 'unknown'} keys cannot sign CAPF data (RSA or EC only)`);
}

/** Checks a CAPF signature; false for any failure (wrong key, padding, digest, length, malformed ECDSA). */
export function capfVerify(publicKey: KeyObject, data: Uint8Array, digest: CapfDigest, signature: Uint8Array): boolean {
  try {
    if (publicKey.asymmetricKeyType === 'rsa') {
      const k = modulusBytes(publicKey);
      if (signature.length !== k) return false;
      const block = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, Buffer.from(signature));
      const expected = rawHashBlock(createHash(digest).update(data).digest(), k);
      return block.length === expected.length && timingSafeEqual(block, expected);
    }
    if (publicKey.asymmetricKeyType === 'ec') return verify(digest, data, { key: publicKey, dsaEncoding: 'der' }, Buffer.from(signature));
  } catch {
    // publicDecrypt refuses values >= the modulus; malformed DER fails inside verify.
  }
  return false;
}

export interface SignedDataElements {
  signedData: Buffer;
  /** Absent when an RSA key is too small for a SHA-512 raw-hash block (RSA-512). */
  sha2SignedData?: CapfSha2SignedData;
}

/** SIGNED_DATA and SHA2_SIGNED_DATA for auth modes 3/4, made with the key of the certificate presented. */
export function buildSignedData(privateKey: KeyObject, deviceName: string, certificateDer: Uint8Array): SignedDataElements {
  const data = certificateAuthData(deviceName, certificateDer);
  const signedData = capfSign(privateKey, data, 'sha1');
  if (privateKey.asymmetricKeyType === 'rsa' && !rsaKeyCanSign(privateKey, 'sha512')) return { signedData };
  return { signedData, sha2SignedData: { hash: CapfHash.SHA512, signature: capfSign(privateKey, data, 'sha512') } };
}

export type SignatureCheck = { ok: true; checked: string[] } | { ok: false; reason: string };

/** Verifies the signatures of auth modes 3/4; at least one must be present and every one present must verify. */
export function verifySignedData(publicKey: KeyObject, deviceName: string, certificateDer: Uint8Array, signedData?: Uint8Array, sha2?: CapfSha2SignedData): SignatureCheck {
  if (!signedData && !sha2) return { ok: false, reason: 'neither SIGNED_DATA nor SHA2_SIGNED_DATA was sent' };
  const data = certificateAuthData(deviceName, certificateDer);
  const checked: string[] = [];
  if (signedData) {
    if (!capfVerify(publicKey, data, 'sha1', signedData)) return { ok: false, reason: 'SIGNED_DATA (SHA-1) does not verify with the certificate key' };
    checked.push('SIGNED_DATA');
  }
  if (sha2) {
    if (sha2.hash !== CapfHash.SHA512) return { ok: false, reason: `SHA2_SIGNED_DATA hash ${sha2.hash} is not 3 (SHA-512)` };
    if (!capfVerify(publicKey, data, 'sha512', sha2.signature)) return { ok: false, reason: 'SHA2_SIGNED_DATA (SHA-512) does not verify with the certificate key' };
    checked.push('SHA2_SIGNED_DATA');
  }
  return { ok: true, checked };
}

/** SUDI_DATA for a session: the SUDI certificate, its SHA-1 and SHA-512 signatures over the little-endian session id. */
export function buildSudiData(sudiPrivateKey: KeyObject, sudiCertificateDer: Uint8Array, sessionId: number): CapfSudiData {
  const data = sudiAuthData(sessionId, sudiCertificateDer);
  const signatures = [{ hash: CapfHash.SHA1 as number, signature: capfSign(sudiPrivateKey, data, 'sha1') }];
  if (sudiPrivateKey.asymmetricKeyType !== 'rsa' || rsaKeyCanSign(sudiPrivateKey, 'sha512')) signatures.push({ hash: CapfHash.SHA512, signature: capfSign(sudiPrivateKey, data, 'sha512') });
  return { certificate: Buffer.from(sudiCertificateDer), signatures };
}

/** Verifies SUDI_DATA's signatures with the SUDI certificate's key (the certificate's chain is the caller's check). */
export function verifySudiSignatures(sudi: CapfSudiData, publicKey: KeyObject, sessionId: number): SignatureCheck {
  const data = sudiAuthData(sessionId, sudi.certificate);
  const usable = sudi.signatures.filter((s) => s.hash === CapfHash.SHA1 || s.hash === CapfHash.SHA512);
  if (usable.length === 0) return { ok: false, reason: 'SUDI_DATA carries no SHA-1 or SHA-512 signature' };
  for (const s of usable) {
    const digest: CapfDigest = s.hash === CapfHash.SHA1 ? 'sha1' : 'sha512';
    if (!capfVerify(publicKey, data, digest, s.signature)) return { ok: false, reason: `SUDI ${digest.toUpperCase()} signature does not verify over the little-endian session id ${sessionId}` };
  }
  return { ok: true, checked: usable.map((s) => (s.hash === CapfHash.SHA1 ? 'SUDI SHA-1' : 'SUDI SHA-512')) };
}
