// Fault injections on the cluster side: a file served tampered (bad signature, altered record, foreign signer), a
// service presenting an expired or wrong certificate, CAPF refusing a device. The faults sit in front of the real
// services (a resolve interceptor on the file service, TLS credentials given at start, views of the CAPF store and
// PKI) so the services themselves stay as they are; every fault is armed, applied and cleared in the journal.
import { X509Certificate, randomBytes, type KeyObject } from 'node:crypto';
import type { CapfStore } from '../capf/index.js';
import { nameFromDer, signCertificate, type CertificateInfo } from '../pki/certificates.js';
import type { ClusterPki, LscRequest } from '../pki/index.js';
import { generateKey, privateKeyToPem } from '../pki/keys.js';
import { identityExtensions } from '../pki/profiles.js';
import type { Purpose } from '../pki/purposes.js';
import { parseHeader } from '../trust/index.js';
import type { ResolveResult } from '../tftp/index.js';

/** How a file is tampered: its SIGNATURE value, a byte of its last record (or content), or re-signed by a foreign key. */
export type TamperMode = 'signature' | 'record' | 'signer';
export const TAMPER_MODES: readonly TamperMode[] = ['signature', 'record', 'signer'];

/** TLS doors that can be made to present a bad certificate. */
export type CertificateFaultPort = 'sip-tls' | 'https-6971' | 'https-6972' | 'tvs' | 'capf';
export const CERTIFICATE_FAULT_PORTS: readonly CertificateFaultPort[] = ['sip-tls', 'https-6971', 'https-6972', 'tvs', 'capf'];
export type CertificateFaultKind = 'expired' | 'wrong';

/** The purposes whose certificates a door presents. */
export const PORT_PURPOSES: Readonly<Record<CertificateFaultPort, readonly Purpose[]>> = {
  'sip-tls': ['CallManager', 'CallManager-ECDSA'],
  'https-6971': ['CallManager', 'CallManager-ECDSA'],
  'https-6972': ['tomcat', 'tomcat-ECDSA'],
  tvs: ['TVS'],
  capf: ['CAPF'],
};

/** The scenario language's CAPF refusals ("publisher-down" stops the service; the others are per device). */
export type CapfRefusal = 'unknown-device' | 'auth-failed' | 'operation-expired' | 'key-rejected';
export const CAPF_REFUSALS: readonly CapfRefusal[] = ['unknown-device', 'auth-failed', 'operation-expired', 'key-rejected'];

export interface ForgedCredentials {
  purpose: Purpose;
  key: string;
  cert: string;
  certificate: CertificateInfo;
}

interface TamperRule {
  /** Lower-case canonical file name. */
  name: string;
  mode: TamperMode;
  remaining: number;
}

export interface TamperApplied {
  name: string;
  mode: TamperMode;
  /** Offset of the byte changed (signature, record). */
  offset?: number;
  remaining: number;
}

/** Rebuilds a trust list signed by another key (the 'signer' mode); given by the cluster. */
export type ForeignSigner = (name: string) => Buffer | undefined;

function isTlv(body: Buffer): boolean {
  return body.length > 4 && body[0] === 0x01 && body[1] === 0x00 && body[2] === 0x02;
}

/** Flips one bit of the SIGNATURE element's last byte (TLV files) or of the last byte (others). */
export function tamperSignature(body: Buffer): { bytes: Buffer; offset: number } {
  const out = Buffer.from(body);
  let offset = out.length - 1;
  if (isTlv(out)) {
    try {
      const h = parseHeader(out, { unknownTags: 'keep' });
      offset = h.signatureOffset + 3 + h.signature.length - 1;
    } catch {
      /* not parseable: the last byte then */
    }
  }
  out[offset] = out[offset]! ^ 0x01;
  return { bytes: out, offset };
}

/** Flips one bit of the last byte: in a trust list the last record's certificate, in a signed file its content. */
export function tamperRecord(body: Buffer): { bytes: Buffer; offset: number } {
  const out = Buffer.from(body);
  const offset = out.length - 1;
  out[offset] = out[offset]! ^ 0x01;
  return { bytes: out, offset };
}

export class ClusterFaults {
  readonly #tamper = new Map<string, TamperRule>();
  readonly #certificates = new Map<CertificateFaultPort, { kind: CertificateFaultKind; credentials: ForgedCredentials[] }>();
  readonly #capf = new Map<string, CapfRefusal>();
  #foreignSigner: { certDer: Buffer; privateKey: KeyObject; certificate: CertificateInfo } | undefined;

  // ---- tampered files -------------------------------------------------------------------------------------------------

  armTamper(name: string, mode: TamperMode, count: number): void {
    this.#tamper.set(name.toLowerCase().replace(/^\//, ''), { name: name.toLowerCase(), mode, remaining: count });
  }

  clearTamper(name?: string): void {
    if (name === undefined) this.#tamper.clear();
    else this.#tamper.delete(name.toLowerCase());
  }

  get tamperRules(): readonly { name: string; mode: TamperMode; remaining: number }[] {
    return [...this.#tamper.values()].map((r) => ({ ...r }));
  }

  /** Applies an armed tamper rule to a successful answer; returns the answer (changed or not) and what was done. */
  applyTamper(requested: string, r: ResolveResult, foreign: ForeignSigner): { result: ResolveResult; applied?: TamperApplied } {
    if (r.status !== 'ok' || this.#tamper.size === 0) return { result: r };
    const rule = this.#tamper.get(r.name.toLowerCase()) ?? this.#tamper.get(requested.toLowerCase().replace(/^\//, ''));
    if (!rule) return { result: r };
    let bytes: Buffer | undefined;
    let offset: number | undefined;
    if (rule.mode === 'signer') bytes = foreign(r.name);
    if (!bytes) {
      const t = rule.mode === 'record' ? tamperRecord(r.body) : tamperSignature(r.body);
      bytes = t.bytes;
      offset = t.offset;
    }
    rule.remaining--;
    if (rule.remaining <= 0) this.#tamper.delete(rule.name);
    return {
      result: { ...r, body: bytes, served: `${r.served}, TAMPERED (${rule.mode})` },
      applied: { name: r.name, mode: rule.mode, ...(offset !== undefined ? { offset } : {}), remaining: Math.max(0, rule.remaining) },
    };
  }

  /** A key and self-signed certificate no cluster trusts (the 'signer' tamper mode), made once. */
  async foreignSigner(): Promise<{ certDer: Buffer; privateKey: KeyObject; certificate: CertificateInfo }> {
    if (!this.#foreignSigner) {
      const keys = await generateKey('RSA', 2048);
      const now = new Date();
      const certificate = signCertificate({
        subject: nameFromDer(selfName(`ITLRECOVERY_rogue-${randomBytes(3).toString('hex')}`)),
        subjectPublicKey: keys.publicKey,
        signingKey: keys.privateKey,
        hash: 'SHA256',
        notBefore: new Date(now.getTime() - 3600_000),
        notAfter: new Date(now.getTime() + 5 * 365 * 86_400_000),
        extensions: identityExtensions('ITLRecovery', []),
      });
      this.#foreignSigner = { certDer: certificate.der, privateKey: keys.privateKey, certificate };
    }
    return this.#foreignSigner;
  }

  get foreignSignerReady(): { certDer: Buffer; privateKey: KeyObject } | undefined {
    return this.#foreignSigner;
  }

  // ---- certificates -----------------------------------------------------------------------------------------------------

  setCertificateFault(port: CertificateFaultPort, kind: CertificateFaultKind, credentials: ForgedCredentials[]): void {
    this.#certificates.set(port, { kind, credentials });
  }

  clearCertificateFault(port?: CertificateFaultPort): CertificateFaultPort[] {
    const cleared = port === undefined ? [...this.#certificates.keys()] : this.#certificates.has(port) ? [port] : [];
    for (const p of cleared) this.#certificates.delete(p);
    return cleared;
  }

  /** The forged credentials a door must present instead of the real ones, if a fault is set. */
  credentials(port: CertificateFaultPort, purpose: Purpose): ForgedCredentials | undefined {
    return this.#certificates.get(port)?.credentials.find((c) => c.purpose === purpose);
  }

  certificateFaults(): { port: CertificateFaultPort; kind: CertificateFaultKind }[] {
    return [...this.#certificates].map(([port, f]) => ({ port, kind: f.kind }));
  }

  // ---- CAPF ---------------------------------------------------------------------------------------------------------------

  refuseCapf(deviceName: string, how: CapfRefusal): void {
    this.#capf.set(deviceName.toUpperCase(), how);
  }

  clearCapf(deviceName?: string): string[] {
    const cleared = deviceName === undefined ? [...this.#capf.keys()] : this.#capf.delete(deviceName.toUpperCase()) ? [deviceName.toUpperCase()] : [];
    if (deviceName === undefined) this.#capf.clear();
    return cleared;
  }

  capfRefusals(): { device: string; refusal: CapfRefusal }[] {
    return [...this.#capf].map(([device, refusal]) => ({ device, refusal }));
  }

  /**
   * The CAPF store as the CAPF service sees it: a refused device is unknown, has an expired operation, or must
   * authenticate with a string nobody was given. Everything else is the store itself.
   */
  capfStoreView(store: CapfStore): CapfStore {
    const faults = this.#capf;
    return new Proxy(store, {
      get(target, prop) {
        if (prop === 'device') {
          return (name: string) => {
            const rec = target.device(name);
            const how = faults.get(name.toUpperCase());
            if (!rec || !how) return rec;
            switch (how) {
              case 'unknown-device':
                return undefined;
              case 'operation-expired':
                return { ...rec, settings: { ...rec.settings, operation: rec.settings.operation === 'none' ? 'install-upgrade' : rec.settings.operation, operationCompletesBy: new Date(Date.now() - 86_400_000).toISOString() } };
              case 'auth-failed':
                return { ...rec, settings: { ...rec.settings, authMode: 'auth-string', authString: String(1e9 + (randomBytes(4).readUInt32BE() % 8e9)).slice(0, 10) } };
              default:
                return rec;
            }
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  /** The PKI as the CAPF service sees it: LSC requests of 'key-rejected' devices fail; a CAPF certificate fault is served. */
  capfPkiView(pki: ClusterPki): ClusterPki {
    const faults = this.#capf;
    const creds = (purpose: Purpose) => this.credentials('capf', purpose);
    return new Proxy(pki, {
      get(target, prop) {
        if (prop === 'issueLsc') {
          return async (req: LscRequest) => {
            if (faults.get(req.deviceName.toUpperCase()) === 'key-rejected') throw new Error(`fault injection: the key of ${req.deviceName} is rejected`);
            return target.issueLsc(req);
          };
        }
        if (prop === 'tlsCredentials') {
          return (purpose: Purpose, node?: string) => {
            const real = target.tlsCredentials(purpose, node);
            const f = creds(purpose);
            return f ? { ...real, key: f.key, cert: f.cert } : real;
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
}

function selfName(cn: string): Buffer {
  // A minimal Name: SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String cn } } }.
  const value = Buffer.from(cn, 'utf8');
  const atv = Buffer.concat([Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, value.length]), value]);
  const seq = Buffer.concat([Buffer.from([0x30, atv.length]), atv]);
  const set = Buffer.concat([Buffer.from([0x31, seq.length]), seq]);
  return Buffer.concat([Buffer.from([0x30, set.length]), set]);
}

/**
 * A certificate for `purpose` that a phone must refuse: 'expired' keeps the subject and key but ended yesterday;
 * 'wrong' keeps the subject with a new key (nobody's ITL, CTL or trust store has it).
 */
export async function forgeCertificate(pki: ClusterPki, purpose: Purpose, kind: CertificateFaultKind, node?: string): Promise<ForgedCredentials> {
  const cur = pki.certificate(purpose, node);
  const now = Date.now();
  const keys = kind === 'expired' ? { privateKey: pki.privateKey(purpose, node), publicKey: cur.certificate.publicKey } : await generateKey(cur.keyType, cur.keySize);
  const certificate = signCertificate({
    subject: nameFromDer(cur.certificate.subjectNameDer),
    subjectPublicKey: keys.publicKey,
    signingKey: keys.privateKey,
    hash: cur.hash,
    notBefore: kind === 'expired' ? new Date(now - 5 * 365 * 86_400_000) : new Date(now - 3600_000),
    notAfter: kind === 'expired' ? new Date(now - 86_400_000) : new Date(now + 5 * 365 * 86_400_000),
    extensions: identityExtensions(purpose, cur.certificate.dnsNames),
  });
  new X509Certificate(certificate.der); // parses, or throws here rather than at a handshake
  return { purpose, key: privateKeyToPem(keys.privateKey), cert: certificate.pem, certificate };
}
