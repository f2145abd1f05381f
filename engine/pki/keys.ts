// Key pairs from node:crypto (OpenSSL, native): measured 17-26x faster than pure-JS ECDSA, and RSA generation runs on
// libuv's thread pool so it does not block the event loop.
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { PkiError } from './errors.js';
import type { KeyType } from './purposes.js';

const generate = promisify(generateKeyPair);

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface KeyDescription {
  keyType: KeyType;
  /** RSA modulus bits or EC curve size (256, 384, 521). */
  keySize: number;
  /** NIST name of the curve (EC only). */
  curve?: 'P-256' | 'P-384' | 'P-521';
}

const CURVE_BY_SIZE: Readonly<Record<number, { openssl: string; nist: 'P-256' | 'P-384' | 'P-521' }>> = {
  256: { openssl: 'prime256v1', nist: 'P-256' },
  384: { openssl: 'secp384r1', nist: 'P-384' },
  521: { openssl: 'secp521r1', nist: 'P-521' },
};

const SIZE_BY_CURVE: Readonly<Record<string, number>> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

export function curveName(keySize: number): 'P-256' | 'P-384' | 'P-521' | undefined {
  return CURVE_BY_SIZE[keySize]?.nist;
}

/** A fresh key pair: RSA with exponent 65537, or EC on the NIST curve of that size. */
export async function generateKey(keyType: KeyType, keySize: number): Promise<KeyPair> {
  if (keyType === 'RSA') {
    return generate('rsa', { modulusLength: keySize, publicExponent: 0x10001 });
  }
  const curve = CURVE_BY_SIZE[keySize];
  if (!curve) throw new PkiError('E_KEY', `no EC curve of ${keySize} bits (256, 384 or 521)`);
  return generate('ec', { namedCurve: curve.openssl });
}

/** Key type and size of a key, refusing the kinds trustline does not handle (Ed25519, DSA, other curves). */
export function describeKey(key: KeyObject): KeyDescription {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return { keyType: 'RSA', keySize: details.modulusLength ?? 0 };
  if (key.asymmetricKeyType === 'ec') {
    const size = SIZE_BY_CURVE[details.namedCurve ?? ''];
    if (size === undefined) throw new PkiError('E_KEY', `EC curve ${details.namedCurve ?? 'unknown'} is not one of P-256, P-384, P-521`);
    return { keyType: 'EC', keySize: size, curve: CURVE_BY_SIZE[size]!.nist };
  }
  throw new PkiError('E_KEY', `${key.asymmetricKeyType ?? 'unknown'} keys are not supported (RSA or EC only)`);
}

export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

export function spkiDer(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
}

export function privateKeyFromPem(pem: string | Buffer): KeyObject {
  return createPrivateKey(pem);
}

/** A public key given as a KeyObject, SPKI DER, or PEM (SPKI or a certificate's key via createPublicKey). */
export function toPublicKey(input: KeyObject | Uint8Array | string, field = 'publicKey'): KeyObject {
  try {
    if (typeof input === 'string') return createPublicKey(input);
    if (input instanceof Uint8Array) return createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' });
    return input.type === 'private' ? createPublicKey(input) : input;
  } catch (err) {
    throw new PkiError('E_KEY', `${field}: not a public key (SPKI DER/PEM or KeyObject): ${(err as Error).message}`);
  }
}

export function sameKey(a: KeyObject, b: KeyObject): boolean {
  return spkiDer(a).equals(spkiDer(b));
}
