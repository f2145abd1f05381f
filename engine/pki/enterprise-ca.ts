// An emulated enterprise CA (a Microsoft CA in the seeds' ent-pa.com examples): the issuer of CA-signed cluster
// certificates (002 L1857-1862: the cluster makes the CSR, the CA signs it) and, reachable "online", of CAPF's LSCs
// (002 L2225-2288). One CA can serve several clusters, which is why an intercluster trunk between them needs no
// certificate exchange (002 L3247-3249). Its key and certificate persist in one JSON file written atomically.
import { AsnConvert } from '@peculiar/asn1-schema';
import type * as asn from '@peculiar/asn1-x509';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../common/atomic-file.js';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { buildName, nameFromDer, parseCertificate, parseCsr, signCertificate, type CertificateInfo, type DnFields } from './certificates.js';
import { PkiError } from './errors.js';
import { generateKey, privateKeyFromPem, privateKeyToPem, toPublicKey } from './keys.js';
import { addYears } from './profiles.js';
import type { EkuName, KeyUsageName } from './purposes.js';

export const ENTERPRISE_CA_FILE = 'enterprise-ca.json';
const FORMAT = 'trustline-enterprise-ca/1';

/** A certificate template of the CA (a Microsoft CA's "Web Server" or a custom LSC template). */
export interface CaTemplate {
  name: string;
  validityDays: number;
  keyUsage: KeyUsageName[];
  extendedKeyUsage: EkuName[];
}

/** What a CSR-answering template copies from the request: usages and SANs come from the request itself. */
const SERVER_TEMPLATE_DAYS = 730;
/** The LSC template's defaults: the usages CAPF's own LSCs carry (001 L4967-4975). */
const LSC_TEMPLATE: Omit<CaTemplate, 'name'> = { validityDays: 1825, keyUsage: ['digitalSignature', 'keyEncipherment'], extendedKeyUsage: ['serverAuth', 'clientAuth'] };

export interface EnterpriseCaOptions {
  /** Root common name (default "<domain>-ENT-CA", or "trustline-enterprise-ca"). */
  commonName?: string;
  organization?: string;
  now?: Date;
}

interface StoredCa {
  format: string;
  certificatePem: string;
  keyPem: string;
}


export class EnterpriseCa {
  readonly certificate: CertificateInfo;
  readonly #key: KeyObject;
  readonly #templates = new Map<string, CaTemplate>();

  private constructor(certificate: CertificateInfo, key: KeyObject) {
    this.certificate = certificate;
    this.#key = key;
  }

  /** A fresh self-signed root (RSA 2048, SHA-256, 20 years). */
  static async create(o: EnterpriseCaOptions = {}): Promise<EnterpriseCa> {
    const keys = await generateKey('RSA', 2048);
    const now = o.now ?? new Date();
    const name = buildName({ commonName: o.commonName ?? 'trustline-enterprise-ca', organization: o.organization ?? 'trustline', organizationalUnit: 'trustline emulation' });
    const cert = signCertificate({
      subject: name,
      subjectPublicKey: keys.publicKey,
      signingKey: keys.privateKey,
      hash: 'SHA256',
      notBefore: now,
      notAfter: addYears(now, 20),
      extensions: { basicConstraints: { ca: true, critical: true }, keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'], keyUsageCritical: true },
    });
    return new EnterpriseCa(cert, keys.privateKey);
  }

  /** The CA kept in `dir` (ENTERPRISE_CA_FILE), or undefined when there is none. */
  static load(dir: string): EnterpriseCa | undefined {
    const path = join(dir, ENTERPRISE_CA_FILE);
    if (!existsSync(path)) return undefined;
    let s: StoredCa;
    try {
      s = JSON.parse(readFileSync(path, 'utf8')) as StoredCa;
    } catch (e) {
      throw new PkiError('E_STATE', `${path}: not valid JSON (${(e as Error).message})`);
    }
    if (s?.format !== FORMAT || typeof s.certificatePem !== 'string' || typeof s.keyPem !== 'string') throw new PkiError('E_STATE', `${path}: not a trustline enterprise CA (format "${String(s?.format)}")`);
    const cert = parseCertificate(s.certificatePem, `${path} certificate`);
    const key = privateKeyFromPem(s.keyPem);
    if (!cert.publicKey.equals(toPublicKey(key))) throw new PkiError('E_STATE', `${path}: the key does not belong to the certificate`);
    return new EnterpriseCa(cert, key);
  }

  /** The CA in `dir`, or a new one written there. */
  static async openOrCreate(dir: string, o: EnterpriseCaOptions = {}): Promise<EnterpriseCa> {
    const found = EnterpriseCa.load(dir);
    if (found) return found;
    const ca = await EnterpriseCa.create(o);
    await ca.save(dir);
    return ca;
  }

  /** Writes the CA (key included, mode 0600) into `dir` atomically. */
  async save(dir: string): Promise<void> {
    const s: StoredCa = { format: FORMAT, certificatePem: this.certificate.pem, keyPem: privateKeyToPem(this.#key) };
    await writeFileAtomic(join(dir, ENTERPRISE_CA_FILE), JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
  }

  get subject(): string {
    return this.certificate.subject;
  }

  /** Declares a template (an LSC template by default usages) under `name`. */
  addTemplate(t: Partial<CaTemplate> & { name: string }): CaTemplate {
    const full: CaTemplate = { ...LSC_TEMPLATE, ...t };
    if (!Number.isInteger(full.validityDays) || full.validityDays < 1 || full.validityDays > 3650) throw new PkiError('E_TEMPLATE', `template ${t.name}: validityDays must be 1-3650, got ${String(t.validityDays)}`);
    this.#templates.set(t.name.toLowerCase(), full);
    return full;
  }

  template(name: string): CaTemplate | undefined {
    return this.#templates.get(name.toLowerCase());
  }

  /** Whether `cert` was issued by this CA (names chain and the signature verifies). */
  issued(cert: CertificateInfo): boolean {
    return cert.issuer === this.certificate.subject && cert.x509.verify(this.certificate.publicKey);
  }

  /**
   * Signs a PKCS#10 request as a server-certificate template does: the subject, key usages, EKUs and SANs of the
   * request (CUCM's CSR carries the purpose's Table 23 usages and the multi-server SANs), SHA-256, two years.
   */
  signCsr(csrPem: string | Uint8Array, o: { now?: Date; validityDays?: number } = {}): CertificateInfo {
    const csr = parseCsr(csrPem);
    const now = o.now ?? new Date();
    const ekus = (csr.extendedKeyUsage ?? []).filter((e): e is EkuName => e === 'serverAuth' || e === 'clientAuth' || e === 'ipsecEndSystem');
    return signCertificate({
      subject: subjectOf(csr.der),
      subjectPublicKey: csr.publicKey,
      issuer: nameFromDer(this.certificate.subjectNameDer),
      signingKey: this.#key,
      hash: 'SHA256',
      notBefore: now,
      notAfter: new Date(now.getTime() + (o.validityDays ?? SERVER_TEMPLATE_DAYS) * 86_400_000),
      extensions: {
        basicConstraints: { ca: false, critical: true },
        ...(csr.keyUsage?.length ? { keyUsage: csr.keyUsage, keyUsageCritical: true } : {}),
        ...(ekus.length ? { extendedKeyUsage: ekus } : {}),
        ...(csr.dnsNames.length ? { dnsNames: csr.dnsNames } : {}),
        ...(this.certificate.subjectKeyId ? { authorityKeyIdentifier: this.certificate.subjectKeyId } : {}),
      },
    });
  }

  /**
   * Issues a certificate for a public key under a named template (the online CA's LSC path: CAPF sends the phone's key
   * and the LSC subject; the private key never leaves the phone). Throws naming the template when it is unknown.
   */
  issueFromTemplate(templateName: string, subject: DnFields, publicKey: KeyObject, o: { now?: Date; validityDays?: number } = {}): CertificateInfo {
    const t = this.template(templateName);
    if (!t) throw new PkiError('E_TEMPLATE', `the CA ${this.certificate.subjectCN ?? this.subject} has no certificate template "${templateName}" (known: ${[...this.#templates.values()].map((x) => x.name).join(', ') || 'none'})`);
    const now = o.now ?? new Date();
    const days = Math.min(o.validityDays ?? t.validityDays, t.validityDays);
    return signCertificate({
      subject: buildName(subject),
      subjectPublicKey: publicKey,
      issuer: nameFromDer(this.certificate.subjectNameDer),
      signingKey: this.#key,
      hash: 'SHA256',
      notBefore: now,
      notAfter: new Date(now.getTime() + days * 86_400_000),
      extensions: {
        basicConstraints: { ca: false, critical: true },
        keyUsage: t.keyUsage,
        keyUsageCritical: true,
        extendedKeyUsage: t.extendedKeyUsage,
        ...(this.certificate.subjectKeyId ? { authorityKeyIdentifier: this.certificate.subjectKeyId } : {}),
      },
    });
  }
}

/** The subject Name of a PKCS#10 request (copied as it is into the certificate). */
function subjectOf(csrDer: Buffer): asn.Name {
  return AsnConvert.parse(csrDer, CertificationRequest).certificationRequestInfo.subject;
}
