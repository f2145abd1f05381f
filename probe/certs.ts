// What a report says about a certificate: key type and size or curve, subject, issuer, validity, fingerprint.
import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { groupCode, groupName } from '../engine/tls/client-hello.js';

export type CertKeyType = 'RSA' | 'ECDSA' | 'EdDSA' | 'DSA' | 'other';

export interface CertSummary {
  keyType: CertKeyType;
  /** RSA/DSA modulus bits, EC field size. */
  bits?: number;
  /** EC curve, in the names node and OpenSSL take (P-256...). */
  curve?: string;
  /** "RSA 2048", "ECDSA P-256". */
  label: string;
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  /** Outside its validity period at probe time. */
  expired: boolean;
  notYetValid: boolean;
  selfSigned: boolean;
  serialNumber: string;
  fingerprint256: string;
  /** Certificates after the leaf in the chain sent. */
  chainLength: number;
}

const CURVE_BITS: Readonly<Record<string, number>> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 };

/** "CN=a\nO=b" (node's form) as "CN=a, O=b". */
export function dnLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

/** Summarises a DER certificate; an unreadable one gives keyType 'other' and the reason as subject. */
export function summarizeCertificate(der: Buffer, chainLength = 0, now = new Date()): CertSummary {
  let x: X509Certificate;
  try {
    x = new X509Certificate(der);
  } catch (e) {
    return {
      keyType: 'other', label: 'unreadable certificate', subject: `unreadable: ${(e as Error).message}`, issuer: '', validFrom: '', validTo: '',
      expired: false, notYetValid: false, selfSigned: false, serialNumber: '', fingerprint256: '', chainLength,
    };
  }
  const k = x.publicKey;
  let keyType: CertKeyType = 'other';
  let bits: number | undefined;
  let curve: string | undefined;
  switch (k.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      keyType = 'RSA';
      bits = k.asymmetricKeyDetails?.modulusLength;
      break;
    case 'ec': {
      keyType = 'ECDSA';
      const nc = k.asymmetricKeyDetails?.namedCurve ?? 'unknown';
      const code = groupCode(nc);
      curve = code !== undefined ? groupName(code) : nc;
      bits = CURVE_BITS[curve];
      break;
    }
    case 'ed25519':
    case 'ed448':
      keyType = 'EdDSA';
      curve = k.asymmetricKeyType === 'ed25519' ? 'Ed25519' : 'Ed448';
      break;
    case 'dsa':
      keyType = 'DSA';
      bits = k.asymmetricKeyDetails?.modulusLength;
      break;
    default:
      break;
  }
  const label = keyType === 'RSA' || keyType === 'DSA' ? `${keyType} ${bits ?? '?'}` : keyType === 'other' ? (k.asymmetricKeyType ?? 'unknown key') : `${keyType} ${curve}`;
  const from = new Date(x.validFrom);
  const to = new Date(x.validTo);
  return {
    keyType,
    ...(bits !== undefined ? { bits } : {}),
    ...(curve ? { curve } : {}),
    label,
    subject: dnLine(x.subject),
    issuer: dnLine(x.issuer),
    validFrom: from.toISOString(),
    validTo: to.toISOString(),
    expired: now > to,
    notYetValid: now < from,
    selfSigned: x.subject === x.issuer && safeVerify(x),
    serialNumber: x.serialNumber,
    fingerprint256: x.fingerprint256,
    chainLength,
  };
}

const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'emailAddress',
};

// checkIssued() also wants keyCertSign, which self-signed server certificates rarely carry: check the signature.
function safeVerify(x: X509Certificate): boolean {
  try {
    return x.verify(x.publicKey);
  } catch {
    return false;
  }
}

/** A DER distinguished name (CertificateRequest certificate_authorities) as "CN=a, O=b", in DER order like node's subject. */
export function describeName(der: Buffer): string {
  try {
    const name = AsnConvert.parse(der, Name);
    return name.map((rdn) => rdn.map((a) => `${ATTRIBUTE_NAMES[a.type] ?? a.type}=${a.value.toString()}`).join('+')).join(', ');
  } catch (e) {
    return `unreadable name (${der.length} bytes): ${(e as Error).message}`;
  }
}
