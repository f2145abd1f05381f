// Certificate profiles of the cluster's own certificates: subject, validity and extensions per purpose, and the LSC.
import { randomBytes, type KeyObject } from 'node:crypto';
import { buildName, nameFromDer, signCertificate, type CertificateInfo, type DnFields, type ExtensionSpec } from './certificates.js';
import type { ClusterSettings } from './cluster-state.js';
import type { KeyPair } from './keys.js';
import { PURPOSE_RULES, type Purpose } from './purposes.js';
import { commonNameFor, dnsNamesFor, type CertificateParameters } from './rules.js';

export function addYears(d: Date, years: number): Date {
  const r = new Date(d);
  r.setUTCFullYear(r.getUTCFullYear() + years);
  return r;
}

export function selfSignedIdentity(settings: ClusterSettings, purpose: Purpose, node: string, params: CertificateParameters, keys: KeyPair, now: Date): CertificateInfo {
  const rule = PURPOSE_RULES[purpose];
  const ctx = { hostname: node, nodes: settings.nodes, capfId: randomBytes(4).toString('hex'), ...(settings.domain ? { domain: settings.domain } : {}) };
  const subject = buildName({ ...settings.subject, commonName: commonNameFor(purpose, ctx) });
  return signCertificate({
    subject,
    subjectPublicKey: keys.publicKey,
    signingKey: keys.privateKey,
    hash: params.hash,
    notBefore: now,
    notAfter: addYears(now, rule.validityYears),
    extensions: identityExtensions(purpose, dnsNamesFor(purpose, ctx)),
  });
}

export function identityExtensions(purpose: Purpose, dnsNames: string[]): ExtensionSpec {
  const rule = PURPOSE_RULES[purpose];
  return {
    ...(rule.ca ? { basicConstraints: { ca: true, critical: true } } : {}),
    keyUsage: rule.keyUsage,
    keyUsageCritical: rule.ca,
    extendedKeyUsage: rule.extendedKeyUsage,
    dnsNames,
  };
}

/**
 * An LSC for a phone's public key, signed by CAPF: CN = device name, basicConstraints CA:FALSE and key usage
 * digitalSignature + keyEncipherment (both critical; 001 L4967-4975), EKU serverAuth + clientAuth, SHA-256.
 */
export function lscCertificate(settings: { subject: Omit<DnFields, 'commonName'> }, deviceName: string, publicKey: KeyObject, capf: CertificateInfo, capfKey: KeyObject, now: Date, validityDays: number): CertificateInfo {
  return signCertificate({
    subject: buildName({ ...settings.subject, commonName: deviceName }),
    subjectPublicKey: publicKey,
    issuer: nameFromDer(capf.subjectNameDer),
    signingKey: capfKey,
    hash: 'SHA256',
    notBefore: now,
    notAfter: new Date(now.getTime() + validityDays * 86_400_000),
    extensions: {
      basicConstraints: { ca: false, critical: true },
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      keyUsageCritical: true,
      extendedKeyUsage: ['serverAuth', 'clientAuth'],
      ...(capf.subjectKeyId ? { authorityKeyIdentifier: capf.subjectKeyId } : {}),
    },
  });
}
