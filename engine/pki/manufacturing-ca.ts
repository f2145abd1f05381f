// An emulated "Cisco Manufacturing CA": the real MICs chain to Cisco Root CA M2 → Cisco Manufacturing CA SHA2, whose
// keys only Cisco has. Emulated phones need MICs that the emulated cluster trusts, so trustline keeps its own pair of
// CAs with those names (OU "trustline emulation" marks them) beside the cluster state and puts both in CallManager-trust
// and CAPF-trust, as CUCM ships the real ones there (001:L1321-1336).
import type { KeyObject } from 'node:crypto';
import { buildName, nameFromDer, signCertificate, type CertificateInfo } from './certificates.js';
import { describeKey, generateKey, privateKeyToPem, toPublicKey } from './keys.js';
import { addYears } from './profiles.js';
import type { KeyType } from './purposes.js';
import { checkLscRequest } from './rules.js';

export const EMULATION_OU = 'trustline emulation';
export const MANUFACTURING_ROOT_CN = 'Cisco Root CA M2';
export const MANUFACTURING_CA_CN = 'Cisco Manufacturing CA SHA2';
/** "The MIC lasts 10 years" (002:L1139-1141). */
export const MIC_VALIDITY_YEARS = 10;

export interface ManufacturingCa {
  root: CertificateInfo;
  issuing: CertificateInfo;
  issuingKey: KeyObject;
}

export interface ManufacturingCaMaterial extends ManufacturingCa {
  rootKey: KeyObject;
}

/** A fresh root (RSA 2048, 25 years) and issuing CA (RSA 2048, 20 years), both SHA-256. */
export async function createManufacturingCa(now: Date): Promise<ManufacturingCaMaterial> {
  const [rootKeys, caKeys] = await Promise.all([generateKey('RSA', 2048), generateKey('RSA', 2048)]);
  const rootName = buildName({ commonName: MANUFACTURING_ROOT_CN, organization: 'Cisco', organizationalUnit: EMULATION_OU });
  const root = signCertificate({
    subject: rootName,
    subjectPublicKey: rootKeys.publicKey,
    signingKey: rootKeys.privateKey,
    hash: 'SHA256',
    notBefore: now,
    notAfter: addYears(now, 25),
    extensions: { basicConstraints: { ca: true, critical: true }, keyUsage: ['keyCertSign', 'cRLSign'], keyUsageCritical: true },
  });
  const issuing = signCertificate({
    subject: buildName({ commonName: MANUFACTURING_CA_CN, organization: 'Cisco', organizationalUnit: EMULATION_OU }),
    subjectPublicKey: caKeys.publicKey,
    issuer: rootName,
    signingKey: rootKeys.privateKey,
    hash: 'SHA256',
    notBefore: now,
    notAfter: addYears(now, 20),
    extensions: {
      basicConstraints: { ca: true, pathLength: 0, critical: true },
      keyUsage: ['keyCertSign', 'cRLSign'],
      keyUsageCritical: true,
      ...(root.subjectKeyId ? { authorityKeyIdentifier: root.subjectKeyId } : {}),
    },
  });
  return { root, issuing, issuingKey: caKeys.privateKey, rootKey: rootKeys.privateKey };
}

export interface MicOptions {
  /** RSA 2048 (default) or EC 256 (default) — any LSC-capable size. */
  keySize?: number;
  /** Phone model, e.g. "8845": the common name becomes `CP-<model>-<deviceName>` as on real MICs. */
  model?: string;
  /** An existing key pair of the phone (its public key is certified); generated when absent. */
  privateKey?: KeyObject;
  now?: Date;
}

export interface Mic {
  deviceName: string;
  certificate: CertificateInfo;
  privateKey: KeyObject;
  privateKeyPem: string;
  /** The issuing CA then the root, PEM. */
  chainPems: string[];
}

/** A manufacturer-installed certificate for `deviceName`: CN, clientAuth+serverAuth, 10 years, SHA-256. */
export async function issueMic(ca: ManufacturingCa, deviceName: string, keyType: KeyType = 'RSA', opts: MicOptions = {}): Promise<Mic> {
  const keySize = opts.privateKey ? describeKey(opts.privateKey).keySize : (opts.keySize ?? (keyType === 'RSA' ? 2048 : 256));
  const type = opts.privateKey ? describeKey(opts.privateKey).keyType : keyType;
  checkLscRequest({ deviceName, keyType: type, keySize, validityDays: 1 });
  const keys = opts.privateKey ? { privateKey: opts.privateKey, publicKey: toPublicKey(opts.privateKey) } : await generateKey(type, keySize);
  const now = opts.now ?? new Date();
  const certificate = signCertificate({
    subject: buildName({ commonName: opts.model ? `CP-${opts.model}-${deviceName}` : deviceName, organization: 'Cisco Systems Inc.', organizationalUnit: EMULATION_OU }),
    subjectPublicKey: keys.publicKey,
    issuer: nameFromDer(ca.issuing.subjectNameDer),
    signingKey: ca.issuingKey,
    hash: 'SHA256',
    notBefore: now,
    notAfter: addYears(now, MIC_VALIDITY_YEARS),
    extensions: {
      basicConstraints: { ca: false, critical: true },
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      keyUsageCritical: true,
      extendedKeyUsage: ['clientAuth', 'serverAuth'],
      ...(ca.issuing.subjectKeyId ? { authorityKeyIdentifier: ca.issuing.subjectKeyId } : {}),
    },
  });
  return { deviceName, certificate, privateKey: keys.privateKey, privateKeyPem: privateKeyToPem(keys.privateKey), chainPems: [ca.issuing.pem, ca.root.pem] };
}
