// What the files sign and how: RSASSA-PKCS1-v1_5 (with DigestInfo) over the whole file minus the SIGNATURE element
// (tag, length and value), with SHA-1, SHA-256 or SHA-512 as header tag 8 says.
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { formatDn, parseCertificate, type CertificateFields, type DnFormat } from './certificate.js';
import { HeaderTag, MODULUS_INDEX_BYTES, type DigestName } from './tags.js';
import { encodeElement, TrustInputError } from './tlv-codec.js';

/** A signing identity: its certificate (DER) and RSA private key. */
export interface Signer {
  certDer: Uint8Array;
  privateKey: KeyObject;
}

/** What the header says about the signer (tags 4, 5, 6) plus the signature size. */
export interface SignerIdentity {
  name: string;
  serialNumber: Buffer;
  issuer: string;
  signatureLength: number;
}

/** Checks the signer (RSA, key matches certificate) and returns the header identity for it. */
export function signerIdentity(signer: Signer, dnFormat: DnFormat = 'cisco'): { identity: SignerIdentity; cert: CertificateFields } {
  const cert = parseCertificate(signer.certDer, 0, 'signer certificate');
  if (signer.privateKey.type !== 'private') throw new TrustInputError('signer.privateKey', 'is not a private key');
  if (signer.privateKey.asymmetricKeyType !== 'rsa') {
    throw new TrustInputError('signer.privateKey', `is ${signer.privateKey.asymmetricKeyType ?? 'unknown'}; the files are signed with RSA only (header tag 10 = 0)`);
  }
  const derived = createPublicKey(signer.privateKey).export({ format: 'der', type: 'spki' });
  if (!derived.equals(cert.spki)) throw new TrustInputError('signer', 'the private key does not match the certificate');
  const bits = signer.privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  return {
    identity: { name: formatDn(cert.subject, dnFormat), serialNumber: cert.serialNumber, issuer: formatDn(cert.issuer, dnFormat), signatureLength: Math.ceil(bits / 8) },
    cert,
  };
}

/** Header tag 11 value for a signature of `bytes` bytes; undefined when the table has none (e.g. 3072-bit keys). */
export function modulusIndex(bytes: number): number | undefined {
  const i = MODULUS_INDEX_BYTES.indexOf(bytes);
  return i < 0 ? undefined : i;
}

/** The bytes a signature covers: the file with the SIGNATURE element (3-byte tag/length + value) cut out. */
export function signedBytes(file: Uint8Array, signatureOffset: number, signatureLength: number): Buffer {
  return Buffer.concat([file.subarray(0, signatureOffset), file.subarray(signatureOffset + 3 + signatureLength)]);
}

export function rsaSign(data: Uint8Array, privateKey: KeyObject, digest: DigestName): Buffer {
  return sign(digest, data, privateKey);
}

/** False for a wrong signature, a wrong key type or a malformed signature (never throws). */
export function rsaVerify(data: Uint8Array, signature: Uint8Array, publicKey: KeyObject, digest: DigestName): boolean {
  if (publicKey.asymmetricKeyType !== 'rsa') return false;
  try {
    return verify(digest, data, publicKey, signature);
  } catch {
    return false;
  }
}

/**
 * Signs `unsigned` (header without its SIGNATURE element, then the body) and inserts the SIGNATURE element at
 * `signatureOffset`. The header length field must already count the signature element.
 */
export function sealFile(unsigned: Buffer, signatureOffset: number, privateKey: KeyObject, digest: DigestName, expectedLength: number): Buffer {
  const signature = rsaSign(unsigned, privateKey, digest);
  if (signature.length !== expectedLength) throw new TrustInputError('signer', `signature is ${signature.length} bytes, header expected ${expectedLength}`);
  return Buffer.concat([unsigned.subarray(0, signatureOffset), encodeElement(HeaderTag.SIGNATURE, signature, 'SIGNATURE'), unsigned.subarray(signatureOffset)]);
}
