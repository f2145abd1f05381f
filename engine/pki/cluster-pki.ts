// The cluster's PKI as one object: every node's certificates per purpose, the trust stores, pending CSRs, the LSCs CAPF
// issued, the emulated Cisco manufacturing CA, and the event log, persisted in a state directory (state-store.ts).
// Reads are synchronous and come from memory; every change is a commit (serialised, crash-safe) followed by events.
import { randomBytes, type KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import { buildCsr, buildName, isSignedBy, parseCertificate, parseCertificates, type CertificateInfo, type DnFields } from './certificates.js';
import { PkiError, PkiRuleError } from './errors.js';
import { changeEffects, orderingCheck, type PendingPhoneReset, type PkiEvent } from './events.js';
import { describeKey, generateKey, privateKeyFromPem, privateKeyToPem, sameKey, toPublicKey } from './keys.js';
import { createManufacturingCa, issueMic, type ManufacturingCa, type Mic, type MicOptions } from './manufacturing-ca.js';
import { PURPOSE_RULES, PURPOSES, TRUST_STORES, parsePurpose, parseTrustStore, type HashName, type KeyType, type Purpose, type TrustStoreName } from './purposes.js';
import {
  checkCsrPurpose,
  checkDomain,
  checkEcCommonName,
  checkHostname,
  checkLscRequest,
  checkMultiServer,
  checkUploadedUsages,
  commonNameFor,
  dnsNamesFor,
  resolveParameters,
  type CertificateParameters,
  type ParameterRequest,
} from './rules.js';
import { StateStore, type StoreHooks } from './state-store.js';
import { entryFor, findTrustEntry, ownCertificateRefusal, planTrustImport, verifyChain, type ChainVerification, type TrustEntry } from './trust-stores.js';

import { DEFAULT_SUBJECT, Draft, emptyTrust, ref, referencedObjects, type ClusterSettings, type IdentityRecord, type LscRecord, type PkiState, type SubjectSettings } from './cluster-state.js';
import { identityExtensions, lscCertificate, selfSignedIdentity } from './profiles.js';

export type { ClusterSettings, SubjectSettings } from './cluster-state.js';

export interface ClusterPkiCreateOptions {
  /** Publisher host name (default "cucm-pub"). */
  hostname?: string;
  /** Parent domain (default "trustline.test"). */
  domain?: string;
  /** Other nodes of the cluster, each with its own CallManager, CallManager-ECDSA, tomcat, tomcat-ECDSA, TVS, ipsec. */
  subscribers?: string[];
  subject?: Partial<SubjectSettings>;
  fips?: boolean;
  /** Key type/size/hash per purpose; CUCM's rules apply (defaults: RSA 2048 SHA256, EC 384 SHA384). */
  parameters?: Partial<Record<Purpose, ParameterRequest>>;
  /** Replace a state that is already in the directory. */
  force?: boolean;
  /**
   * Purposes the cluster has no certificate for (only the optional ECDSA ones: a release or install without
   * CallManager-ECDSA / tomcat-ECDSA). Its ITL, CTL and TLS doors then carry RSA certificates only.
   */
  without?: Purpose[];
  now?: () => Date;
  storeHooks?: StoreHooks;
  lockTimeoutMs?: number;
}

/** The purposes a cluster may be created without. */
export const OPTIONAL_PURPOSES: readonly Purpose[] = ['CallManager-ECDSA', 'tomcat-ECDSA'];

export interface ClusterPkiOpenOptions {
  now?: () => Date;
  storeHooks?: StoreHooks;
  /** How long a change waits for another process's lock on the directory (default 10 s). */
  lockTimeoutMs?: number;
}

export interface IdentityCertificate {
  purpose: Purpose;
  node: string;
  keyType: KeyType;
  keySize: number;
  curve?: string;
  /** Hash the certificate (self-signed) or its CSR (CA-signed) was made with. */
  hash: HashName;
  signedBy: 'self' | 'ca';
  multiServer: boolean;
  certificate: CertificateInfo;
  pem: string;
  der: Buffer;
  /** CA-signed: the intermediate CA certificates uploaded with it (PEM, leaf and root excluded). */
  chainPems: string[];
  since: string;
}

export interface TrustedCertificate extends TrustEntry {
  trustStore: TrustStoreName;
  certificate: CertificateInfo;
  pem: string;
}

export interface IssuedLsc {
  deviceName: string;
  certificate: CertificateInfo;
  pem: string;
  der: Buffer;
  /** The certificate that signed it: CAPF's, or an online CA's. */
  issuer: CertificateInfo;
  /** PEM of the issuer and its own chain up to the root (for the phone's and verifiers' use). */
  chainPems: string[];
  issuedAt: string;
}

export interface LscRequest {
  deviceName: string;
  /** The key the phone generated (SubjectPublicKeyInfo DER, PEM, or KeyObject); the private key never leaves the phone. */
  publicKey: KeyObject | Uint8Array | string;
  /** 1-1825 days (default 1825, five years). */
  validityDays?: number;
  /** Who signs it instead of CAPF (an online CA, engine/capf's pluggable issuers); the pki still records the LSC. */
  signer?: LscSigner;
}

/** A CA other than CAPF that issues an LSC for a phone's key (the online CA of 002 L2225-2288). */
export interface LscSigner {
  /** The issuing CA certificate (what IssuedLsc.issuer reports). */
  issuer: CertificateInfo;
  /** PEM of the issuer and its chain up to the root. */
  chainPems: string[];
  sign(req: { subject: DnFields; publicKey: KeyObject; validityDays: number; now: Date }): CertificateInfo;
}

export interface CsrResult {
  purpose: Purpose;
  node: string;
  pem: string;
  subject: string;
  dnsNames: string[];
  event: PkiEvent;
}

export interface RegenerateOptions {
  node?: string;
  keyType?: string;
  keySize?: number;
  hash?: string;
  multiServer?: boolean;
}

export interface CsrOptions extends RegenerateOptions {
  /** Extra subjectAltName DNS names ("Other Domains"). */
  dnsNames?: string[];
}

export interface TrustImportResult {
  action: 'added' | 'replaced' | 'unchanged';
  entry: TrustedCertificate;
  event?: PkiEvent;
}

/** Key and certificate chain for a TLS listener (node:tls `key` / `cert`). */
export interface TlsCredentials {
  key: string;
  cert: string;
  identity: IdentityCertificate;
}

export interface TrustListCert {
  certDer: Buffer;
  dnsName?: string;
}

export interface TrustListInputs {
  itlRecovery: TrustListCert & { privateKey: KeyObject };
  callManager: TrustListCert & { privateKey: KeyObject };
  /** Absent on a cluster without CallManager-ECDSA. */
  callManagerEcdsa?: TrustListCert;
  tvs: TrustListCert[];
  capf: TrustListCert[];
  /** The other CallManager nodes (a CTL lists each one's CallManager and CallManager-ECDSA as CCM+TFTP). */
  nodes: { callManager: TrustListCert; callManagerEcdsa?: TrustListCert }[];
}

/** What the TFTP/ITL builders sign files with (the shape engine/trust's Signer expects). */
export interface FileSigner {
  certDer: Buffer;
  privateKey: KeyObject;
}

export class ClusterPki {
  readonly dir: string;
  private readonly store: StateStore<PkiState>;
  private readonly clock: () => Date;
  private state: PkiState;
  private objects: Map<string, Buffer>;
  private generationOnDisk: number;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(e: PkiEvent) => void>();
  private readonly certCache = new Map<string, CertificateInfo>();
  private readonly keyCache = new Map<string, KeyObject>();

  private constructor(dir: string, store: StateStore<PkiState>, state: PkiState, objects: Map<string, Buffer>, generation: number, clock: () => Date) {
    this.dir = dir;
    this.store = store;
    this.state = state;
    this.objects = objects;
    this.generationOnDisk = generation;
    this.clock = clock;
  }

  /** Installs a new cluster in `dir`: self-signed certificates for every purpose and node, trust stores, manufacturing CA. */
  static async create(dir: string, options: ClusterPkiCreateOptions = {}): Promise<ClusterPki> {
    const absDir = resolve(dir);
    const clock = options.now ?? (() => new Date());
    const now = clock();
    const hostname = options.hostname ?? 'cucm-pub';
    const nodes = [hostname, ...(options.subscribers ?? [])];
    nodes.forEach((n, i) => checkHostname(n, i === 0 ? 'hostname' : 'subscriber'));
    if (new Set(nodes.map((n) => n.toLowerCase())).size !== nodes.length) throw new PkiError('E_NODES', `node names must be unique: ${nodes.join(', ')}`);
    const domain = options.domain ?? 'trustline.test';
    if (domain) checkDomain(domain);
    const subject = { ...DEFAULT_SUBJECT, ...options.subject };
    if (!/^[A-Za-z]{2}$/.test(subject.country)) throw new PkiError('E_SUBJECT', `subject.country "${subject.country}" must be a two-letter country code`);
    const settings: ClusterSettings = { nodes, ...(domain ? { domain } : {}), subject, fips: options.fips ?? false };
    for (const p of Object.keys(options.parameters ?? {})) if (!PURPOSES.includes(p as Purpose)) parsePurpose(p);
    const params = Object.fromEntries(PURPOSES.map((p) => [p, resolveParameters(p, options.parameters?.[p] ?? {}, { fips: settings.fips })])) as Record<Purpose, CertificateParameters>;

    const store = new StateStore<PkiState>(absDir, options.storeHooks, options.lockTimeoutMs);
    if (store.exists() && !options.force) throw new PkiError('E_EXISTS', `${absDir} already holds a cluster state (open it, or create with force to replace it)`);

    const without = new Set(options.without ?? []);
    for (const p of without) if (!OPTIONAL_PURPOSES.includes(p)) throw new PkiError('E_PURPOSE', `a cluster cannot be created without ${p} (only without ${OPTIONAL_PURPOSES.join(', ')})`);
    const purposes = PURPOSES.filter((p) => !without.has(p));
    const slots = nodes.flatMap((node, i) => purposes.filter((p) => i === 0 || !PURPOSE_RULES[p].publisherOnly).map((purpose) => ({ node, purpose })));
    const [mfg, ...keys] = await Promise.all([createManufacturingCa(now), ...slots.map((s) => generateKey(params[s.purpose].keyType, params[s.purpose].keySize))]);

    const state: PkiState = {
      createdAt: now.toISOString(),
      settings,
      identities: [],
      pendingCsrs: [],
      trust: emptyTrust(),
      lscs: [],
      manufacturing: { rootCert: '', rootKey: '', issuingCert: '', issuingKey: '' },
      events: [],
      nextSeq: 1,
      pendingPhoneResets: [],
    };
    const draft = new Draft(state, new Map(), now);
    state.manufacturing = {
      rootCert: draft.putCert(mfg!.root, 'manufacturing-root'),
      rootKey: draft.putKey(mfg!.rootKey, 'manufacturing-root'),
      issuingCert: draft.putCert(mfg!.issuing, 'manufacturing-ca'),
      issuingKey: draft.putKey(mfg!.issuingKey, 'manufacturing-ca'),
    };
    for (const trustStore of ['CallManager-trust', 'CAPF-trust'] as const) {
      for (const [cert, name] of [[mfg!.root, state.manufacturing.rootCert], [mfg!.issuing, state.manufacturing.issuingCert]] as const) {
        state.trust[trustStore].push(entryFor(cert, name, now, { description: 'emulated Cisco manufacturing CA (MIC issuer)', system: { purpose: 'manufacturing', node: nodes[0]! } }));
      }
    }
    slots.forEach((slot, i) => {
      const info = selfSignedIdentity(settings, slot.purpose, slot.node, params[slot.purpose], keys[i]!, now);
      const label = `${slot.node}.${slot.purpose}`;
      state.identities.push({
        purpose: slot.purpose,
        node: slot.node,
        cert: draft.putCert(info, label),
        key: draft.putKey(keys[i]!.privateKey, label),
        chain: [],
        hash: params[slot.purpose].hash,
        signedBy: 'self',
        multiServer: false,
        since: now.toISOString(),
      });
      ClusterPki.syncSystemCopies(draft, slot.purpose, slot.node, info, state.identities.at(-1)!.cert, []);
    });
    draft.event({ type: 'cluster-created', node: nodes[0]!, message: `cluster ${nodes.join(', ')} created with self-signed certificates for ${purposes.join(', ')}` });
    const objects = new Map([...draft.objects].filter(([n]) => referencedObjects(state).has(n)));
    const generation = await store.commit(state, objects, options.force ? 'any' : undefined);
    return new ClusterPki(absDir, store, state, objects, generation, clock);
  }

  /** Opens the cluster state in `dir` exactly as it was last committed. */
  static async open(dir: string, options: ClusterPkiOpenOptions = {}): Promise<ClusterPki> {
    const absDir = resolve(dir);
    const store = new StateStore<PkiState>(absDir, options.storeHooks, options.lockTimeoutMs);
    const { manifest, objects } = await store.load();
    return new ClusterPki(absDir, store, manifest.state, objects, manifest.generation, options.now ?? (() => new Date()));
  }

  /** True when `dir` holds a cluster state. */
  static exists(dir: string): boolean {
    return new StateStore(resolve(dir)).exists();
  }

  /** Re-reads the state from disk (after another process changed it). */
  async reload(): Promise<void> {
    await this.serialise(async () => {
      const { manifest, objects } = await this.store.load();
      this.state = manifest.state;
      this.objects = objects;
      this.generationOnDisk = manifest.generation;
    });
  }

  get generation(): number {
    return this.generationOnDisk;
  }

  get settings(): Readonly<ClusterSettings> {
    return this.state.settings;
  }

  get publisher(): string {
    return this.state.settings.nodes[0]!;
  }

  get nodes(): readonly string[] {
    return this.state.settings.nodes;
  }

  // ---- identity certificates -------------------------------------------------------------------------------------

  /** The current certificate of `purpose` on `node` (default: the publisher). */
  certificate(purpose: Purpose, node?: string): IdentityCertificate {
    return this.view(this.identityRecord(purpose, this.nodeName(node, purpose)));
  }

  /** Whether the cluster has a `purpose` certificate on `node` (default: the publisher); false for a left-out purpose. */
  has(purpose: Purpose, node?: string): boolean {
    const n = this.nodeName(node);
    return this.state.identities.some((i) => i.purpose === purpose && i.node === n);
  }

  /** Every node's certificate for every purpose. */
  certificates(): IdentityCertificate[] {
    return this.state.identities.map((r) => this.view(r));
  }

  privateKey(purpose: Purpose, node?: string): KeyObject {
    return this.keyObject(this.identityRecord(purpose, this.nodeName(node, purpose)).key);
  }

  /** Key and certificate (leaf then intermediates) in PEM, ready for `tls.createServer({ key, cert })`. */
  tlsCredentials(purpose: Purpose, node?: string): TlsCredentials {
    const identity = this.certificate(purpose, node);
    return { key: privateKeyToPem(this.privateKey(purpose, node)), cert: identity.pem + identity.chainPems.join(''), identity };
  }

  /** The key the TFTP service signs with: CallManager (config files, temporary ITL signer) or ITLRecovery (ITL, tokenless CTL). */
  fileSigner(purpose: 'CallManager' | 'ITLRecovery', node?: string): FileSigner {
    const identity = this.certificate(purpose, node);
    return { certDer: identity.der, privateKey: this.privateKey(purpose, node) };
  }

  /**
   * What the ITL/CTL builders list (engine/trust `buildClusterItl` / `buildClusterCtl` take this shape): ITLRecovery and
   * the TFTP node's CallManager with their keys, its CallManager-ECDSA, every node's TVS, CAPF, and the other nodes.
   */
  trustListInputs(tftpNode?: string): TrustListInputs {
    const tftp = this.nodeName(tftpNode);
    const dns = (node: string) => (this.state.settings.domain ? `${node}.${this.state.settings.domain}` : node);
    const cert = (purpose: Purpose, node: string) => ({ certDer: this.certificate(purpose, node).der, dnsName: dns(node) });
    return {
      itlRecovery: { certDer: this.certificate('ITLRecovery').der, privateKey: this.privateKey('ITLRecovery') },
      callManager: { ...cert('CallManager', tftp), privateKey: this.privateKey('CallManager', tftp) },
      ...(this.has('CallManager-ECDSA', tftp) ? { callManagerEcdsa: cert('CallManager-ECDSA', tftp) } : {}),
      tvs: this.nodes.map((n) => cert('TVS', n)),
      capf: [cert('CAPF', this.publisher)],
      nodes: this.nodes.filter((n) => n !== tftp).map((n) => ({ callManager: cert('CallManager', n), ...(this.has('CallManager-ECDSA', n) ? { callManagerEcdsa: cert('CallManager-ECDSA', n) } : {}) })),
    };
  }

  /**
   * Takes another cluster's ITLRecovery certificate and private key (both clusters then sign their ITLs with the same
   * key, so a phone moving between them keeps trusting the ITL signer: seed002 §17 S13 variant d, 004:L505-552).
   * Only ITLRecovery can be shared this way; the certificate must be self-signed and match the key.
   */
  async adoptSharedIdentity(purpose: Purpose, from: { cert: string | Uint8Array; key: string | KeyObject }, sourceName = 'another cluster'): Promise<PkiEvent> {
    purpose = parsePurpose(purpose);
    if (purpose !== 'ITLRecovery') throw new PkiError('E_PURPOSE', `only ITLRecovery can be shared between clusters, not ${purpose}`);
    const info = parseCertificate(from.cert, `${purpose} certificate of ${sourceName}`);
    const key = typeof from.key === 'string' ? privateKeyFromPem(from.key) : from.key;
    if (key.type !== 'private') throw new PkiError('E_KEY', `${purpose} of ${sourceName}: a private key is needed`);
    if (!sameKey(info.publicKey, key)) throw new PkiError('E_KEY_MISMATCH', `${purpose} of ${sourceName}: the private key does not belong to the certificate "${info.subject}"`);
    if (!info.selfSigned) throw new PkiError('E_UPLOAD_SELF_SIGNED', `${purpose} of ${sourceName}: "${info.subject}" is not self-signed`);
    const node = this.nodeName(undefined, purpose);
    return this.mutate(async (d) => {
      const rec = this.identityRecord(purpose, node, d.state);
      const previous = this.certInfo(rec.cert);
      const hash = info.signatureHash ?? rec.hash;
      Object.assign(rec, {
        cert: d.putCert(info, `${node}.${purpose}`),
        key: d.putKey(key, `${node}.${purpose}`),
        chain: [],
        hash,
        signedBy: 'self',
        multiServer: false,
        since: d.now.toISOString(),
      } satisfies Partial<IdentityRecord>);
      const warnings: string[] = [];
      ClusterPki.syncSystemCopies(d, purpose, node, info, rec.cert, warnings);
      return d.event({ type: 'certificate-uploaded', purpose, node, certificate: ref(info), previous: ref(previous), warnings, message: `${purpose} on ${node} replaced by the certificate and key of ${sourceName} (shared ITLRecovery)` });
    });
  }

  /** The pending CSR for `purpose` on `node`, if one was generated and not yet answered by an upload. */
  pendingCsr(purpose: Purpose, node?: string): string | undefined {
    const n = this.nodeName(node, purpose);
    const p = this.state.pendingCsrs.find((c) => c.purpose === purpose && c.node === n);
    return p ? this.objectText(p.csr) : undefined;
  }

  /**
   * Regenerates the self-signed certificate of `purpose` with a new key. Without key options this is CUCM's
   * "Regenerate" ("a self-signed certificate with the same key length is regenerated", 001:L4596); with keySize/hash it
   * is "Generate Self-Signed Certificate" with new parameters. Returns the event, which carries the documented effects.
   */
  async regenerate(purpose: Purpose, opts: RegenerateOptions = {}): Promise<PkiEvent> {
    purpose = parsePurpose(purpose);
    const node = this.nodeName(opts.node, purpose);
    if (opts.multiServer) checkMultiServer(purpose, 'self-signed');
    const current = this.identityRecord(purpose, node);
    const curInfo = this.certInfo(current.cert);
    const changing = opts.keyType !== undefined || opts.keySize !== undefined || opts.hash !== undefined;
    const params = resolveParameters(
      purpose,
      changing
        ? { ...(opts.keyType !== undefined ? { keyType: opts.keyType } : {}), keySize: opts.keySize ?? curInfo.key.keySize, ...(opts.hash !== undefined ? { hash: opts.hash } : opts.keySize === undefined ? { hash: current.hash } : {}) }
        : { keySize: curInfo.key.keySize, hash: current.hash },
      { fips: this.state.settings.fips },
    );
    const keys = await generateKey(params.keyType, params.keySize);
    return this.mutate(async (d) => {
      const info = selfSignedIdentity(d.state.settings, purpose, node, params, keys, d.now);
      const rec = this.identityRecord(purpose, node, d.state);
      const previous = this.certInfo(rec.cert);
      const warnings: string[] = [];
      if (rec.signedBy === 'ca') warnings.push('Regenerating a certificate overwrites the existing certificate including a third party signed certificate if one was uploaded. (001:L3031)');
      if (purpose === 'CallManager' && params.keySize > 2048) warnings.push('Some phone models might fail to register if the RSA key length value chosen for the CallManager Certificate Purpose is greater than 2048. (001:L3411)');
      if (purpose === 'ITLRecovery') {
        warnings.push('If you use a tokenless CTL and if you regenerate the CallManager certificate, ensure that the CTL file has the updated CallManager certificate and that certificate is updated to endpoints. (004:L159)');
      }
      Object.assign(rec, {
        cert: d.putCert(info, `${node}.${purpose}`),
        key: d.putKey(keys.privateKey, `${node}.${purpose}`),
        chain: [],
        hash: params.hash,
        signedBy: 'self',
        multiServer: false,
        since: d.now.toISOString(),
      } satisfies Partial<IdentityRecord>);
      ClusterPki.syncSystemCopies(d, purpose, node, info, rec.cert, warnings);
      this.recordChange(d, 'certificate-regenerated', purpose, node, info, previous, 'regenerate', warnings, `${purpose} on ${node} regenerated (${params.keyType} ${params.keySize}, ${params.hash})`);
      return d.newEvents.at(-1)!;
    });
  }

  /**
   * Generates a CSR (and a new private key) for `purpose`; it overwrites any pending CSR of that purpose and node
   * (001:L3416-3420). The current certificate stays in use until the CA-signed one is uploaded.
   */
  async generateCsr(purpose: Purpose, opts: CsrOptions = {}): Promise<CsrResult> {
    purpose = parsePurpose(purpose);
    checkCsrPurpose(purpose);
    const node = this.nodeName(opts.node, purpose);
    if (opts.multiServer) {
      checkMultiServer(purpose, 'csr');
      if (node !== this.publisher) throw new PkiRuleError('E_MULTI_SERVER_NODE', `Multiserver (SAN) CA-signed certificates only applies to nodes in the cluster when the certificate gets uploaded to the Publisher: generate the CSR on ${this.publisher}, not ${node}.`, '001:L1387');
    }
    const params = resolveParameters(purpose, { ...(opts.keyType !== undefined ? { keyType: opts.keyType } : {}), ...(opts.keySize !== undefined ? { keySize: opts.keySize } : {}), ...(opts.hash !== undefined ? { hash: opts.hash } : {}) }, { fips: this.state.settings.fips });
    const s = this.state.settings;
    const ctx = { hostname: node, nodes: s.nodes, ...(s.domain ? { domain: s.domain } : {}) };
    const multi = opts.multiServer ?? false;
    const commonName = commonNameFor(purpose, { ...ctx, capfId: randomBytes(4).toString('hex') }, multi);
    const dnsNames = dnsNamesFor(purpose, ctx, multi, opts.dnsNames ?? []);
    const keys = await generateKey(params.keyType, params.keySize);
    const csr = buildCsr({ subject: buildName({ ...s.subject, commonName }), privateKey: keys.privateKey, publicKey: keys.publicKey, hash: params.hash, extensions: identityExtensions(purpose, dnsNames) });
    return this.mutate(async (d) => {
      const before = d.state.pendingCsrs.findIndex((p) => p.purpose === purpose && p.node === node);
      const warnings = before >= 0 ? ['If you generate a new CSR, you overwrite any existing CSRs: the previous CSR and its private key are deleted and the old CSR is unserviceable. (001:L3420, L4669)'] : [];
      if (before >= 0) d.state.pendingCsrs.splice(before, 1);
      d.state.pendingCsrs.push({
        purpose,
        node,
        csr: d.putText(csr.pem, `${node}.${purpose}.csr`, 'csr'),
        key: d.putKey(keys.privateKey, `${node}.${purpose}.csr`),
        hash: params.hash,
        multiServer: multi,
        createdAt: d.now.toISOString(),
      });
      const event = d.event({ type: 'csr-generated', purpose, node, message: `CSR generated for ${purpose} on ${node}: ${csr.subject}${multi ? ' (multi-server)' : ''}`, warnings });
      return { purpose, node, pem: csr.pem, subject: csr.subject, dnsNames: csr.dnsNames, event };
    });
  }

  /**
   * Uploads the CA-signed certificate answering a CSR (PEM, possibly followed by intermediates, or DER). The issuing
   * CA's root must already be in the purpose's trust store (001:L4388, L4533). A multi-server certificate applies to
   * every node (001:L1387). Returns one event per node whose certificate changed.
   */
  async uploadCertificate(purpose: Purpose, input: string | Uint8Array, opts: { node?: string } = {}): Promise<PkiEvent[]> {
    purpose = parsePurpose(purpose);
    const node = this.nodeName(opts.node, purpose);
    const rule = PURPOSE_RULES[purpose];
    const now = this.clock();
    const certs = parseCertificates(input, `${purpose} certificate`);
    const pending = this.state.pendingCsrs.find((p) => p.purpose === purpose && p.node === node);
    const current = this.identityRecord(purpose, node);
    const pendingKey = pending ? this.keyObject(pending.key) : undefined;
    const currentKey = this.keyObject(current.key);
    const leaf = (pendingKey && certs.find((c) => sameKey(c.publicKey, pendingKey))) ?? certs.find((c) => sameKey(c.publicKey, currentKey));
    if (!leaf) {
      throw new PkiRuleError(
        'E_UPLOAD_KEY',
        `None of the uploaded certificates carries the public key of the ${pending ? 'CSR generated' : 'current certificate'} for ${purpose} on ${node}. Whenever you generate a CSR, a new private key is generated along with CSR; upload the certificate the CA issued for the latest CSR.`,
        '001:L3418-3420',
      );
    }
    if (leaf.selfSigned) throw new PkiRuleError('E_UPLOAD_SELF_SIGNED', `"${leaf.subject}" is self-signed: upload the certificate a CA signed for the CSR (use regenerate for a self-signed ${purpose} certificate)`, '001:L4431-4438');
    if (now < leaf.notBefore || now > leaf.notAfter) {
      throw new PkiRuleError('E_UPLOAD_VALIDITY', `"${leaf.subject}" is valid only from ${leaf.notBefore.toISOString()} to ${leaf.notAfter.toISOString()}: the validity of incoming certificate is verified.`, '001:L1288');
    }
    if (leaf.key.keyType !== rule.keyType) throw new PkiRuleError('E_KEY_TYPE', `${purpose} needs an ${rule.keyType} key; the uploaded certificate has ${leaf.key.keyType}`, '001:L3403');
    checkEcCommonName(purpose, leaf.subjectCN);
    const warnings = checkUploadedUsages(purpose, leaf);
    const intermediates = this.chainToTrustStore(leaf, certs.filter((c) => c !== leaf), rule.caTrustStore);
    const multiServer = pending ? pending.multiServer : current.multiServer;
    const keyName = pending && pendingKey && sameKey(leaf.publicKey, pendingKey) ? pending.key : current.key;
    const hash = pending && keyName === pending.key ? pending.hash : current.hash;
    const targets = multiServer ? this.state.settings.nodes.filter((n) => !rule.publisherOnly || n === this.publisher) : [node];
    return this.mutate(async (d) => {
      d.state.pendingCsrs = d.state.pendingCsrs.filter((p) => !(p.purpose === purpose && p.node === node));
      const leafName = d.putCert(leaf, `${node}.${purpose}.ca-signed`);
      const chainNames = intermediates.map((c, i) => d.putCert(c, `${node}.${purpose}.chain${i + 1}`));
      for (const target of targets) {
        const rec = this.identityRecord(purpose, target, d.state);
        const previous = this.certInfo(rec.cert);
        Object.assign(rec, { cert: leafName, key: keyName, chain: chainNames, hash, signedBy: 'ca', multiServer, since: d.now.toISOString() } satisfies Partial<IdentityRecord>);
        const w = [...warnings];
        ClusterPki.syncSystemCopies(d, purpose, target, leaf, leafName, w);
        this.recordChange(d, 'certificate-uploaded', purpose, target, leaf, previous, 'upload', w, `CA-signed ${purpose} certificate uploaded for ${target}: ${leaf.subject}, issued by ${leaf.issuer}`);
      }
      return [...d.newEvents];
    });
  }

  // ---- trust stores ------------------------------------------------------------------------------------------------

  trustStoreNames(): readonly TrustStoreName[] {
    return TRUST_STORES;
  }

  /** The certificates of a trust store. */
  trustStore(name: TrustStoreName | string): TrustedCertificate[] {
    const store = parseTrustStore(name);
    return this.state.trust[store].map((e) => this.trustedView(store, e));
  }

  /** PEM list of a trust store (node:tls `ca`). */
  trustedPems(name: TrustStoreName | string): string[] {
    return this.trustStore(name).map((t) => t.pem);
  }

  /** Exact match of a certificate (its SHA-256) in a trust store: how TVS verifies, without chain building (001:L2431-2433). */
  isTrusted(name: TrustStoreName | string, certificate: string | Uint8Array | CertificateInfo): boolean {
    const store = parseTrustStore(name);
    const fp = typeof certificate === 'string' || certificate instanceof Uint8Array ? parseCertificate(certificate).fingerprintSha256 : certificate.fingerprintSha256;
    return this.state.trust[store].some((e) => e.fingerprintSha256 === fp);
  }

  /**
   * Verifies a peer's chain (leaf first: PEM bundle, DER, or parsed certificates, e.g. from
   * `tlsSocket.getPeerCertificate(true)`) against a trust store as CUCM does, without OpenSSL's CA purpose check that
   * rejects CAPF-issued LSCs (see verifyChain). For TLS listeners: `requestCert: true, rejectUnauthorized: false`, then this.
   */
  verifyCertificateChain(name: TrustStoreName | string, chain: string | Uint8Array | readonly (string | Uint8Array | CertificateInfo)[], opts: { purpose?: 'serverAuth' | 'clientAuth'; at?: Date } = {}): ChainVerification {
    const store = parseTrustStore(name);
    const certs = Array.isArray(chain) ? (chain as readonly (string | Uint8Array | CertificateInfo)[]).map((c) => (typeof c === 'string' || c instanceof Uint8Array ? parseCertificate(c) : c)) : parseCertificates(chain as string | Uint8Array);
    const anchors = this.state.trust[store].map((e) => this.certInfo(e.object));
    return verifyChain(anchors, certs, opts.at ?? this.clock(), opts.purpose);
  }

  /**
   * Uploads certificates (PEM, one or a chain, or DER) to a trust store with CUCM's checks: PEM/DER only, at most 4096
   * bits, currently valid, the reserved 'CAPF-' name, and one certificate per entity (001:L1280-1293, L4919).
   */
  async importTrustCertificate(name: TrustStoreName | string, input: string | Uint8Array, opts: { description?: string } = {}): Promise<TrustImportResult[]> {
    const store = parseTrustStore(name);
    const certs = parseCertificates(input, `certificate for ${store}`);
    return this.mutate(async (d) => {
      const results: TrustImportResult[] = [];
      for (const cert of certs) {
        const entries = d.state.trust[store];
        const plan = planTrustImport(store, entries, cert, d.now);
        if (plan.action === 'unchanged') {
          results.push({ action: 'unchanged', entry: this.trustedView(store, plan.existing, d.objects) });
          continue;
        }
        const entry = entryFor(cert, d.putCert(cert, `${store}.${cert.subjectCN ?? 'certificate'}`), d.now, opts.description !== undefined ? { description: opts.description } : {});
        const warnings: string[] = [];
        if (store === 'CAPF-trust') warnings.push('If you import a certificate into the CAPF-trust, it is enabled only on that particular node and is not replicated across the cluster. (001:L4572)');
        if (plan.action === 'replace') {
          entries.splice(entries.indexOf(plan.replaced), 1, entry);
          const event = d.event({ type: 'trust-certificate-replaced', trustStore: store, certificate: ref(cert), previous: { fingerprintSha256: plan.replaced.fingerprintSha256, serialHex: plan.replaced.serialHex, subject: plan.replaced.subject, issuer: '' }, message: `${store}: "${cert.subject}" replaced the certificate of the same entity (serial ${plan.replaced.serialHex})`, warnings });
          results.push({ action: 'replaced', entry: this.trustedView(store, entry, d.objects), event });
        } else {
          entries.push(entry);
          const event = d.event({ type: 'trust-certificate-added', trustStore: store, certificate: ref(cert), message: `${store}: "${cert.subject}" added`, warnings });
          results.push({ action: 'added', entry: this.trustedView(store, entry, d.objects), event });
        }
      }
      return results;
    });
  }

  /** Deletes a certificate from a trust store by SHA-256 fingerprint (or an 8+ digit prefix) or common name. */
  async deleteTrustCertificate(name: TrustStoreName | string, certRef: string): Promise<PkiEvent> {
    const store = parseTrustStore(name);
    if (!certRef.trim()) throw new PkiError('E_TRUST_NOT_FOUND', `name the certificate to delete from ${store} by fingerprint or common name`);
    return this.mutate(async (d) => {
      const entries = d.state.trust[store];
      let entry: TrustEntry;
      try {
        entry = findTrustEntry(store, entries, certRef);
      } catch (err) {
        const own = d.state.identities.find((i) => this.certInfo(i.cert).fingerprintSha256.startsWith(certRef.toLowerCase().replace(/[:\s]/g, '')) || this.certInfo(i.cert).subjectCN === certRef);
        if (own && (err as PkiError).code === 'E_TRUST_NOT_FOUND') throw ownCertificateRefusal(store, own.purpose);
        throw err;
      }
      entries.splice(entries.indexOf(entry), 1);
      const warnings: string[] = [];
      if (['CAPF-trust', 'tomcat-trust', 'CallManager-trust', 'Phone-SAST-trust'].includes(store)) {
        warnings.push(`If you delete the "CAPF-trust", "tomcat-trust", "CallManager-trust", or "Phone-SAST-trust" certificate type, the certificate is deleted across all servers in the cluster. (001:L4571)`);
      }
      if (entry.system && entry.system.purpose !== 'manufacturing') warnings.push(`this was the copy of ${entry.system.node}'s own ${entry.system.purpose} certificate; regenerating ${entry.system.purpose} puts a copy back`);
      if (entry.system?.purpose === 'manufacturing') warnings.push('The Secure Onboarding feature doesn\'t work if you remove the Cisco Manufacturing certificates from the CallManager-trust store, because it can\'t validate the Manufacture Installed Certificates (MICs) from phones. (001:L1336)');
      return d.event({ type: 'trust-certificate-deleted', trustStore: store, certificate: { fingerprintSha256: entry.fingerprintSha256, serialHex: entry.serialHex, subject: entry.subject, issuer: '' }, message: `${store}: "${entry.subject}" deleted`, warnings });
    });
  }

  // ---- CAPF: LSCs ----------------------------------------------------------------------------------------------------

  /**
   * Issues a locally significant certificate for a phone's public key, signed by the CAPF certificate: CN = device name,
   * serverAuth + clientAuth, digitalSignature + keyEncipherment (001:L4967-4975), SHA-256. Replaces the device's
   * previous LSC in the registry.
   */
  async issueLsc(req: LscRequest): Promise<IssuedLsc> {
    const publicKey = toPublicKey(req.publicKey, 'publicKey');
    const key = describeKey(publicKey);
    const { validityDays } = checkLscRequest({ deviceName: req.deviceName, keyType: key.keyType, keySize: key.keySize, ...(req.validityDays !== undefined ? { validityDays: req.validityDays } : {}) }, { fips: this.state.settings.fips });
    return this.mutate(async (d) => {
      const capf = this.identityRecord('CAPF', this.publisher, d.state);
      const capfInfo = this.certInfo(capf.cert);
      const signer = req.signer;
      const cert = signer
        ? signer.sign({ subject: { ...d.state.settings.subject, commonName: req.deviceName }, publicKey, validityDays, now: d.now })
        : lscCertificate(d.state.settings, req.deviceName, publicKey, capfInfo, this.keyObject(capf.key), d.now, validityDays);
      if (signer && (cert.subjectCN !== req.deviceName || !sameKey(cert.publicKey, publicKey) || !isSignedBy(cert, signer.issuer))) {
        throw new PkiError('E_LSC_SIGNER', `the certificate from ${signer.issuer.subjectCN ?? signer.issuer.subject} is not an LSC for ${req.deviceName}'s key signed by it`);
      }
      const issuer = signer?.issuer ?? capfInfo;
      const previous = d.state.lscs.find((l) => l.deviceName === req.deviceName);
      d.state.lscs = d.state.lscs.filter((l) => l.deviceName !== req.deviceName);
      const issuedAt = d.now.toISOString();
      d.state.lscs.push({ deviceName: req.deviceName, cert: d.putCert(cert, `lsc.${req.deviceName}`), issuedAt });
      d.event({
        type: 'lsc-issued',
        deviceName: req.deviceName,
        node: this.publisher,
        certificate: ref(cert),
        ...(previous ? { previous: ref(this.certInfo(previous.cert)) } : {}),
        message: `LSC issued to ${req.deviceName} (${key.keyType} ${key.keySize}) by ${issuer.subjectCN ?? 'CAPF'}${signer ? ' (online CA)' : ''}, valid ${validityDays} days`,
      });
      const chainPems = signer ? signer.chainPems : [capfInfo.pem, ...capf.chain.map((n) => this.certInfo(n).pem)];
      return { deviceName: req.deviceName, certificate: cert, pem: cert.pem, der: cert.der, issuer, chainPems, issuedAt };
    });
  }

  /** The LSC CAPF last issued to a device. */
  lsc(deviceName: string): IssuedLsc | undefined {
    const rec = this.state.lscs.find((l) => l.deviceName === deviceName);
    return rec ? this.lscView(rec) : undefined;
  }

  lscs(): IssuedLsc[] {
    return this.state.lscs.map((l) => this.lscView(l));
  }

  /** Forgets a device's LSC (CAPF "Delete" operation). */
  async deleteLsc(deviceName: string): Promise<PkiEvent> {
    return this.mutate(async (d) => {
      const rec = d.state.lscs.find((l) => l.deviceName === deviceName);
      if (!rec) throw new PkiError('E_LSC_NOT_FOUND', `no LSC was issued to "${deviceName}"`);
      d.state.lscs = d.state.lscs.filter((l) => l !== rec);
      return d.event({ type: 'lsc-deleted', deviceName, certificate: ref(this.certInfo(rec.cert)), message: `LSC of ${deviceName} deleted` });
    });
  }

  // ---- emulated manufacturing CA -------------------------------------------------------------------------------------

  /** The emulated Cisco Root CA M2 and Cisco Manufacturing CA SHA2 (both in CallManager-trust and CAPF-trust). */
  manufacturingCa(): { root: CertificateInfo; issuing: CertificateInfo } {
    return { root: this.certInfo(this.state.manufacturing.rootCert), issuing: this.certInfo(this.state.manufacturing.issuingCert) };
  }

  /**
   * A MIC for an emulated phone, from the emulated manufacturing CA kept beside the cluster (not persisted: the phone
   * keeps it). keyType RSA (2048) or EC (P-256) unless opts.keySize says otherwise.
   */
  async issueManufacturingCertificate(deviceName: string, keyType: KeyType = 'RSA', opts: MicOptions = {}): Promise<Mic> {
    const ca: ManufacturingCa = { ...this.manufacturingCa(), issuingKey: this.keyObject(this.state.manufacturing.issuingKey) };
    return issueMic(ca, deviceName, keyType, { now: this.clock(), ...opts });
  }

  // ---- events ----------------------------------------------------------------------------------------------------------

  /** The recorded events, oldest first (the last 1000). */
  events(): readonly PkiEvent[] {
    return this.state.events;
  }

  /** Calls `listener` after each committed event; returns the unsubscribe function. */
  onEvent(listener: (e: PkiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Phone resets that certificate changes set in motion and nobody reported complete. */
  pendingPhoneResets(): readonly PendingPhoneReset[] {
    return this.state.pendingPhoneResets;
  }

  /** Records that the phones finished the restarts of earlier certificate changes (so the next TFTP change is in order). */
  async phonesSettled(): Promise<PkiEvent> {
    return this.mutate(async (d) => {
      const done = d.state.pendingPhoneResets.map((p) => p.seq);
      d.state.pendingPhoneResets = [];
      return d.event({ type: 'phones-settled', message: done.length ? `phone restarts of events ${done.map((s) => `#${s}`).join(', ')} completed` : 'no phone restarts were pending' });
    });
  }

  /** A JSON-ready summary (the CLI's `pki show --json`). */
  describe(): Record<string, unknown> {
    return {
      dir: this.dir,
      generation: this.generationOnDisk,
      createdAt: this.state.createdAt,
      settings: this.state.settings,
      certificates: this.certificates().map((c) => ({
        purpose: c.purpose,
        node: c.node,
        keyType: c.keyType,
        keySize: c.keySize,
        ...(c.curve ? { curve: c.curve } : {}),
        hash: c.hash,
        signatureAlgorithm: `${c.certificate.signatureHash ?? '?'}with${c.certificate.signatureKeyType === 'EC' ? 'ECDSA' : 'RSA'}`,
        signedBy: c.signedBy,
        multiServer: c.multiServer,
        subject: c.certificate.subject,
        issuer: c.certificate.issuer,
        notBefore: c.certificate.notBefore.toISOString(),
        notAfter: c.certificate.notAfter.toISOString(),
        serial: c.certificate.serialHex,
        fingerprintSha256: c.certificate.fingerprintSha256,
        keyUsage: c.certificate.keyUsage ?? [],
        extendedKeyUsage: c.certificate.extendedKeyUsage ?? [],
        dnsNames: c.certificate.dnsNames,
      })),
      pendingCsrs: this.state.pendingCsrs.map((p) => ({ purpose: p.purpose, node: p.node, multiServer: p.multiServer, createdAt: p.createdAt })),
      trustStores: Object.fromEntries(
        TRUST_STORES.map((s) => [s, this.state.trust[s].map((e) => ({ subject: e.subject, serial: e.serialHex, notAfter: e.notAfter, fingerprintSha256: e.fingerprintSha256, ...(e.system ? { system: e.system } : {}), ...(e.description ? { description: e.description } : {}) }))]),
      ),
      lscs: this.state.lscs.map((l) => ({ deviceName: l.deviceName, issuedAt: l.issuedAt, fingerprintSha256: this.certInfo(l.cert).fingerprintSha256 })),
      pendingPhoneResets: this.state.pendingPhoneResets,
      events: this.state.events.slice(-20),
    };
  }

  // ---- internals -------------------------------------------------------------------------------------------------------

  private nodeName(node: string | undefined, purpose?: Purpose): string {
    const n = node ?? this.publisher;
    const found = this.state.settings.nodes.find((x) => x.toLowerCase() === n.toLowerCase());
    if (!found) throw new PkiError('E_NODE', `unknown node "${n}": the cluster has ${this.state.settings.nodes.join(', ')}`);
    if (purpose && PURPOSE_RULES[purpose].publisherOnly && found !== this.publisher) {
      throw new PkiError('E_NODE', `${purpose} exists on the publisher (${this.publisher}) only, not on ${found}`);
    }
    return found;
  }

  private identityRecord(purpose: Purpose, node: string, state: PkiState = this.state): IdentityRecord {
    const rec = state.identities.find((i) => i.purpose === purpose && i.node === node);
    if (!rec) throw new PkiError('E_PURPOSE', `no ${purpose} certificate on ${node}`);
    return rec;
  }

  private objectData(name: string, extra?: Map<string, Buffer>): Buffer {
    const data = this.objects.get(name) ?? extra?.get(name);
    if (!data) throw new PkiError('E_STATE', `object ${name} is missing from the cluster state`);
    return data;
  }

  private objectText(name: string): string {
    return this.objectData(name).toString('utf8');
  }

  private certInfo(name: string, extra?: Map<string, Buffer>): CertificateInfo {
    let info = this.certCache.get(name);
    if (!info) {
      info = parseCertificate(this.objectData(name, extra), name);
      this.certCache.set(name, info);
    }
    return info;
  }

  private keyObject(name: string): KeyObject {
    let key = this.keyCache.get(name);
    if (!key) {
      key = privateKeyFromPem(this.objectData(name));
      this.keyCache.set(name, key);
    }
    return key;
  }

  private view(r: IdentityRecord): IdentityCertificate {
    const info = this.certInfo(r.cert);
    return {
      purpose: r.purpose,
      node: r.node,
      keyType: info.key.keyType,
      keySize: info.key.keySize,
      ...(info.key.curve ? { curve: info.key.curve } : {}),
      hash: r.hash,
      signedBy: r.signedBy,
      multiServer: r.multiServer,
      certificate: info,
      pem: info.pem,
      der: info.der,
      chainPems: r.chain.map((n) => this.certInfo(n).pem),
      since: r.since,
    };
  }

  private trustedView(store: TrustStoreName, e: TrustEntry, extra?: Map<string, Buffer>): TrustedCertificate {
    const certificate = this.certInfo(e.object, extra);
    return { ...e, trustStore: store, certificate, pem: certificate.pem };
  }

  private lscView(rec: LscRecord): IssuedLsc {
    const certificate = this.certInfo(rec.cert);
    const capf = this.identityRecord('CAPF', this.publisher);
    const capfInfo = this.certInfo(capf.cert);
    // An online CA's LSC: its issuer is the CA certificate imported into CAPF-trust (002 L2230).
    const online = isSignedBy(certificate, capfInfo) ? undefined : this.trustStore('CAPF-trust').find((t) => isSignedBy(certificate, t.certificate))?.certificate;
    const issuer = online ?? capfInfo;
    const chainPems = online ? [online.pem] : [capfInfo.pem, ...capf.chain.map((n) => this.certInfo(n).pem)];
    return { deviceName: rec.deviceName, certificate, pem: certificate.pem, der: certificate.der, issuer, chainPems, issuedAt: rec.issuedAt };
  }

  /** Walks from `leaf` up through `extras` to a certificate in `store`; returns the intermediates used. */
  private chainToTrustStore(leaf: CertificateInfo, extras: CertificateInfo[], store: TrustStoreName): CertificateInfo[] {
    const anchors = this.state.trust[store].map((e) => this.certInfo(e.object));
    const intermediates: CertificateInfo[] = [];
    let cur = leaf;
    for (let depth = 0; depth < 8; depth++) {
      if (anchors.some((a) => isSignedBy(cur, a))) return intermediates;
      const next = extras.find((c) => !intermediates.includes(c) && !c.selfSigned && isSignedBy(cur, c));
      if (!next) break;
      intermediates.push(next);
      cur = next;
    }
    throw new PkiRuleError(
      'E_UPLOAD_CHAIN',
      `To use CA-signed certificates, you must first install the CA root certificate chain on Unified Communications Manager: no certificate in ${store} issued "${cur.subject}" (issuer "${cur.issuer}"). Upload the CA root (and any intermediate) to ${store} first.`,
      '001:L4388, L4533',
    );
  }

  /** Keeps the trust-store copies of a node's own certificate in step with it (CallManager-trust holds CallManager, …). */
  private static syncSystemCopies(d: Draft, purpose: Purpose, node: string, info: CertificateInfo, name: string, warnings: string[]): void {
    for (const store of PURPOSE_RULES[purpose].systemTrustStores) {
      const entries = d.state.trust[store];
      for (const old of entries.filter((e) => e.system?.purpose === purpose && e.system.node === node)) {
        if (purpose === 'CAPF') {
          // LSCs the previous CAPF certificate issued keep verifying while its copy stays trusted.
          delete old.system;
          old.description = `previous CAPF certificate of ${node} (kept so the LSCs it issued still verify; delete it to force re-enrolment)`;
          warnings.push(`the previous CAPF certificate stays in ${store} so that LSCs it issued keep verifying; delete it from ${store} to make those phones enrol again`);
        } else {
          entries.splice(entries.indexOf(old), 1);
        }
      }
      if (!info.selfSigned) continue;
      const clash = entries.findIndex((e) => e.subjectCN !== undefined && e.subjectCN === info.subjectCN);
      if (clash >= 0) {
        warnings.push(`${store}: "${entries[clash]!.subject}" (uploaded earlier) has the same common name as ${node}'s own ${purpose} certificate and was replaced by it`);
        entries.splice(clash, 1);
      }
      entries.push(entryFor(info, name, d.now, { description: `${node} ${purpose} (own certificate)`, system: { purpose, node } }));
    }
  }

  private recordChange(d: Draft, type: 'certificate-regenerated' | 'certificate-uploaded', purpose: Purpose, node: string, info: CertificateInfo, previous: CertificateInfo, kind: 'regenerate' | 'upload', warnings: string[], message: string): void {
    const effects = changeEffects(purpose, kind);
    const order = orderingCheck(purpose, node, d.state.pendingPhoneResets);
    const event = d.event({
      type,
      purpose,
      node,
      certificate: ref(info),
      previous: ref(previous),
      effects,
      ...(order.outOfOrder ? { outOfOrder: order.outOfOrder } : {}),
      warnings: [...order.warnings, ...warnings],
      message,
    });
    if (effects.phoneResetRounds > 0) {
      d.state.pendingPhoneResets = d.state.pendingPhoneResets.filter((p) => !(p.purpose === purpose && p.node === node));
      d.state.pendingPhoneResets.push({ seq: event.seq, purpose, node, rounds: effects.phoneResetRounds });
    }
  }

  private serialise<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Applies a change to a copy of the state, commits it, then swaps it in and tells the listeners. */
  private mutate<R>(fn: (d: Draft) => Promise<R>): Promise<R> {
    return this.serialise(async () => {
      const draft = new Draft(structuredClone(this.state), new Map(this.objects), this.clock());
      const result = await fn(draft);
      const keep = referencedObjects(draft.state);
      const objects = new Map([...draft.objects].filter(([n]) => keep.has(n)));
      this.generationOnDisk = await this.store.commit(draft.state, objects, this.generationOnDisk);
      this.state = draft.state;
      this.objects = objects;
      for (const e of draft.newEvents) {
        for (const l of this.listeners) {
          try {
            l(e);
          } catch {
            // A listener's failure is its own; the change is committed.
          }
        }
      }
      return result;
    });
  }
}
