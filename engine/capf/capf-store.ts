// CAPF's persistent state: the CAPF parameters, each device's CAPF settings and operation status, the LSC CAPF last
// saw installed, the Offline CA's pending CSR list ("utils capf csr list", 001 L5178-5185), the stale LSC list
// ("utils capf stale-lsc list", 001 L5157-5197) and the journal of every decision, in its own directory (by default
// `<pki dir>/capf`): a snapshot committed through engine/pki's StateStore (temp file, fsync, rename; lock; generations)
// and an append-only log of the changes since (capf-change-log.ts). A change is one fdatasync'd log line holding the
// records it touched, so configuring 10 000 phones is linear; the log is folded into a new snapshot once it outgrows it.
//
// Kill safety of an LSC issue: an "in flight" marker is committed before the pki issues the LSC, and the device is
// recorded as installed only in the commit that follows the phone's STORE_CERTIFICATE_RESPONSE. Reopening after a
// kill finds the marker (its process is dead) and resolves it: the LSC, if the pki committed one, is listed as stale
// (issued, never confirmed installed) and the operation stays pending, so the phone enrols again.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { logger } from '../../common/log.js';
import { processAlive } from '../../common/pid-lock.js';
import type { CertificateInfo } from '../pki/certificates.js';
import type { ClusterPki } from '../pki/cluster-pki.js';
import { parseCertificates } from '../pki/certificates.js';
import { MANIFEST, StateStore, type StoreStep } from '../pki/state-store.js';
import { ChangeLog, type ChangeLogStep } from './capf-change-log.js';
import {

  CapfRuleError,
  DEFAULT_CAPF_PARAMETERS,
  checkDeviceName,
  checkParameters,
  resolveDeviceSettings,
  type CapfDeviceInput,
  type CapfDeviceSettings,
  type CapfOperation,
  type CapfParameters,
} from './device-operations.js';

const capfLog = logger('capf-store');
const ISSUED_BY = { capf: 'signed by CAPF', 'online-ca': 'signed by the online CA', 'offline-ca': 'signed by the offline CA' } as const;


export type OperationState = 'none' | 'pending' | 'in-progress' | 'success' | 'failed';

/** "Certificate Operation Status" (001 L7933: pending, failed, successful). */
export interface OperationStatus {
  state: OperationState;
  operation?: CapfOperation;
  detail?: string;
  at: string;
}

/** The LSC a phone confirmed it stored (STORE_CERTIFICATE_RESPONSE with reason 1). */
export interface InstalledLsc {
  fingerprintSha256: string;
  serialHex: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  keyType: 'RSA' | 'EC';
  keySize: number;
  issuedBy: 'capf' | 'online-ca' | 'offline-ca';
  installedAt: string;
  sessionId: number;
  pem: string;
}

/** What a Troubleshoot operation brought back from the phone. */
export interface FetchedCertificate {
  kind: 'LSC' | 'MIC' | 'none';
  at: string;
  subject?: string;
  issuer?: string;
  fingerprintSha256?: string;
  pem?: string;
}

/** An issue in progress: committed before the pki signs, cleared when the phone answers (or on recovery). */
export interface InFlightIssue {
  sessionId: number;
  pid: number;
  startedAt: string;
  /** SHA-256 (hex) of the phone key's SubjectPublicKeyInfo. */
  spkiSha256: string;
  keyType: 'RSA' | 'EC';
  keySize: number;
}

export interface CapfDeviceRecord {
  deviceName: string;
  settings: CapfDeviceSettings;
  status: OperationStatus;
  installed?: InstalledLsc;
  fetched?: FetchedCertificate;
  /** SHA-256 of authentication strings already used (single use, 001 L7925). */
  usedAuthStrings: string[];
  inFlight?: InFlightIssue;
  updatedAt: string;
}

/** An Offline CA request: the phone's key waiting for the external CA, then the signed certificate waiting for the phone. */
export interface PendingCsr {
  deviceName: string;
  createdAt: string;
  sessionId: number;
  spkiSha256: string;
  keyType: 'RSA' | 'EC';
  keySize: number;
  /** PKCS#10 carrying the phone's key and the LSC subject, signed by CAPF (see docs/decisions.md). */
  csrPem: string;
  publicKeyPem: string;
  /** Set by importOfflineCertificate. */
  certificatePem?: string;
  chainPems?: string[];
  importedAt?: string;
}

/** An LSC that was issued but never confirmed installed (001 L5157). */
export interface StaleLsc {
  deviceName: string;
  fingerprintSha256: string;
  serialHex: string;
  reason: string;
  recordedAt: string;
}

export type JournalOutcome = 'ok' | 'refused' | 'failed' | 'info';

/** One decision of the CAPF service, for reports. */
export interface JournalEntry {
  seq: number;
  at: string;
  sessionId?: number;
  device?: string;
  peer?: string;
  step: string;
  outcome: JournalOutcome;
  reason: string;
}

export interface CapfState {
  createdAt: string;
  /** Changes committed since the store was created (snapshot and log); absent in older snapshots. */
  changeSeq?: number;
  parameters: CapfParameters;
  devices: CapfDeviceRecord[];
  pendingCsrs: PendingCsr[];
  staleLscs: StaleLsc[];
  journal: JournalEntry[];
  nextJournalSeq: number;
}

/** A durable step of a CAPF store write: the snapshot's (StateStore) or the change log's. */
export type CapfStoreStep = StoreStep | ChangeLogStep;

/** Test seam: called after each durable step (the kill-safety tests stop the process there). */
export interface CapfStoreHooks {
  onStep?(step: CapfStoreStep, detail: string): void;
}

/** One committed change, as the log holds it: whole records of what changed. */
interface CapfChange {
  parameters?: CapfParameters;
  devices?: CapfDeviceRecord[];
  removed?: string[];
  pendingCsrs?: PendingCsr[];
  staleLscs?: StaleLsc[];
  journal?: JournalEntry[];
}

export interface CapfStoreOptions {
  /** The cluster: needed to resolve an interrupted issue on open (without it markers are left as they are). */
  pki?: ClusterPki;
  /** Initial parameters when the directory holds no CAPF state yet. */
  parameters?: Partial<CapfParameters>;
  now?: () => Date;
  storeHooks?: CapfStoreHooks;
  lockTimeoutMs?: number;
  /** The change log is folded into a new snapshot when it is larger than this and than the snapshot (default 1 MiB). */
  compactBytes?: number;
  /** Journal entries kept (default 2000). */
  journalLimit?: number;
  /** Delay before journal entries not followed by a change are written (default 1000 ms; 0 = only with changes/flush). */
  journalFlushMs?: number;
}

export interface OfflineImportResult {
  deviceName: string;
  certificate: CertificateInfo;
  warnings: string[];
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function spkiSha256(key: KeyObject): string {
  return sha256Hex((key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' }));
}


function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The in-memory state with its device index (lower-case name → position in `devices`). */
interface LiveState {
  state: CapfState;
  index: Map<string, number>;
}

function indexDevices(state: CapfState): Map<string, number> {
  return new Map(state.devices.map((d, i) => [d.deviceName.toLowerCase(), i]));
}

/**
 * A change being made: reads go to the live state, and whatever is touched is copied first (copy on write), so a
 * change that throws or fails to commit leaves the live state as it was. `change()` is what the log records.
 */
class CapfDraft {
  private readonly touched = new Map<string, CapfDeviceRecord>();
  private readonly removed = new Set<string>();
  private params: CapfParameters | undefined;
  private csrs: PendingCsr[] | undefined;
  private stale: StaleLsc[] | undefined;
  readonly journal: JournalEntry[] = [];
  nextJournalSeq: number;

  constructor(private readonly live: LiveState) {
    this.nextJournalSeq = live.state.nextJournalSeq;
  }

  get parameters(): CapfParameters {
    return this.params ?? this.live.state.parameters;
  }

  set parameters(p: CapfParameters) {
    this.params = p;
  }

  get pendingCsrs(): PendingCsr[] {
    return (this.csrs ??= structuredClone(this.live.state.pendingCsrs));
  }

  set pendingCsrs(list: PendingCsr[]) {
    this.csrs = list;
  }

  get staleLscs(): StaleLsc[] {
    return (this.stale ??= structuredClone(this.live.state.staleLscs));
  }

  set staleLscs(list: StaleLsc[]) {
    this.stale = list;
  }

  /** The device's record, writable (a copy of the live one). */
  device(name: string): CapfDeviceRecord | undefined {
    const key = name.toLowerCase();
    if (this.removed.has(key)) return undefined;
    let rec = this.touched.get(key);
    if (!rec) {
      const i = this.live.index.get(key);
      if (i === undefined) return undefined;
      rec = structuredClone(this.live.state.devices[i]!);
      this.touched.set(key, rec);
    }
    return rec;
  }

  addDevice(rec: CapfDeviceRecord): void {
    const key = rec.deviceName.toLowerCase();
    this.removed.delete(key);
    this.touched.set(key, rec);
  }

  removeDevice(name: string): void {
    const key = name.toLowerCase();
    this.touched.delete(key);
    if (this.live.index.has(key)) this.removed.add(key);
  }

  change(): CapfChange {
    const c: CapfChange = {};
    if (this.params) c.parameters = this.params;
    if (this.removed.size) c.removed = [...this.removed];
    if (this.touched.size) c.devices = [...this.touched.values()];
    if (this.csrs) c.pendingCsrs = this.csrs;
    if (this.stale) c.staleLscs = this.stale;
    if (this.journal.length) c.journal = this.journal;
    return c;
  }
}

/** Applies a committed change to the live state (the same code replays the log on open). */
function applyChange(live: LiveState, c: CapfChange, journalLimit: number): void {
  const s = live.state;
  if (c.parameters) s.parameters = c.parameters;
  if (c.removed?.length) {
    const gone = new Set(c.removed.map((n) => n.toLowerCase()));
    s.devices = s.devices.filter((d) => !gone.has(d.deviceName.toLowerCase()));
    live.index = indexDevices(s);
  }
  for (const rec of c.devices ?? []) {
    const key = rec.deviceName.toLowerCase();
    const i = live.index.get(key);
    if (i === undefined) {
      live.index.set(key, s.devices.length);
      s.devices.push(rec);
    } else {
      s.devices[i] = rec;
    }
  }
  if (c.pendingCsrs) s.pendingCsrs = c.pendingCsrs;
  if (c.staleLscs) s.staleLscs = c.staleLscs;
  if (c.journal?.length) {
    s.journal.push(...c.journal);
    s.nextJournalSeq = c.journal[c.journal.length - 1]!.seq + 1;
    if (s.journal.length > journalLimit) s.journal.splice(0, s.journal.length - journalLimit);
  }
  s.changeSeq = (s.changeSeq ?? 0) + 1;
}

function checkChange(c: CapfChange, where: string): void {
  const bad = (what: string) => new CapfRuleError('E_STATE', `${where}: a change has ${what}`, 'trustline');
  for (const k of ['devices', 'removed', 'pendingCsrs', 'staleLscs', 'journal'] as const) if (c[k] !== undefined && !Array.isArray(c[k])) throw bad(`a "${k}" that is not a list`);
  if (c.devices?.some((d) => typeof d?.deviceName !== 'string')) throw bad('a device record without a name');
  if (c.removed?.some((n) => typeof n !== 'string')) throw bad('a removed device that is not a name');
  if (c.journal?.some((e) => !Number.isInteger(e?.seq))) throw bad('a journal entry without a sequence number');
  if (c.parameters !== undefined && (typeof c.parameters !== 'object' || c.parameters === null)) throw bad('parameters that are not an object');
}

export class CapfStore {
  readonly dir: string;
  private readonly store: StateStore<CapfState>;
  private readonly log: ChangeLog;
  private readonly clock: () => Date;
  private readonly journalLimit: number;
  private readonly journalFlushMs: number;
  private readonly compactBytes: number;
  private live: LiveState;
  /** The snapshot's generation and the number of logged changes that follow it. */
  private snapshotGeneration: number;
  private logged: number;
  private snapshotBytes = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private pendingJournal: JournalEntry[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(dir: string, store: StateStore<CapfState>, log: ChangeLog, live: LiveState, generation: number, logged: number, opts: CapfStoreOptions) {
    this.dir = dir;
    this.store = store;
    this.log = log;
    this.live = live;
    this.snapshotGeneration = generation;
    this.logged = logged;
    this.clock = opts.now ?? (() => new Date());
    this.journalLimit = opts.journalLimit ?? 2000;
    this.journalFlushMs = opts.journalFlushMs ?? 1000;
    this.compactBytes = opts.compactBytes ?? 1 << 20;
  }

  private get state(): CapfState {
    return this.live.state;
  }

  /** The default directory for a cluster's CAPF state. */
  static dirFor(pki: ClusterPki): string {
    return resolve(pki.dir, 'capf');
  }

  /** Opens (creating when absent) the CAPF state in `dir`, and resolves issues a killed process left in flight. */
  static async open(dir: string, opts: CapfStoreOptions = {}): Promise<CapfStore> {
    const absDir = resolve(dir);
    const store = new StateStore<CapfState>(absDir, opts.storeHooks, opts.lockTimeoutMs);
    const log = new ChangeLog(absDir, opts.storeHooks, opts.lockTimeoutMs);
    let state: CapfState;
    let generation: number;
    if (store.exists()) {
      ({ state, generation } = await CapfStore.loadSnapshot(store, absDir));
    } else {
      const parameters = { ...DEFAULT_CAPF_PARAMETERS, ...(opts.parameters ?? {}) };
      checkParameters(parameters);
      state = { createdAt: (opts.now ?? (() => new Date()))().toISOString(), changeSeq: 0, parameters, devices: [], pendingCsrs: [], staleLscs: [], journal: [], nextJournalSeq: 1 };
      try {
        generation = await store.commit(state, new Map(), undefined);
      } catch (err) {
        // Another process created it first: use theirs.
        if ((err as { code?: string }).code !== 'E_CONFLICT') throw err;
        ({ state, generation } = await CapfStore.loadSnapshot(store, absDir));
      }
    }
    const live: LiveState = { state, index: indexDevices(state) };
    const changes = await log.load<CapfChange>(generation);
    const journalLimit = opts.journalLimit ?? 2000;
    for (const c of changes) {
      checkChange(c, log.path);
      applyChange(live, c, journalLimit);
    }
    const s = new CapfStore(absDir, store, log, live, generation, changes.length, opts);
    await s.measureSnapshot();
    if (opts.pki) await s.recover(opts.pki);
    return s;
  }

  private static async loadSnapshot(store: StateStore<CapfState>, dir: string): Promise<{ state: CapfState; generation: number }> {
    const { manifest } = await store.load();
    const state = manifest.state;
    if (!Array.isArray(state?.devices) || !Array.isArray(state.pendingCsrs) || typeof state.parameters !== 'object') throw new CapfRuleError('E_STATE', `${dir}: not a trustline CAPF state`, 'trustline');
    state.staleLscs ??= [];
    state.journal ??= [];
    // Snapshots written before the change log counted their own generations.
    state.changeSeq ??= manifest.generation;
    return { state, generation: manifest.generation };
  }

  /** Changes committed since the store was created: grows by one per change, whether logged or compacted. */
  get generation(): number {
    return this.state.changeSeq ?? 0;
  }

  /** Re-reads the state from disk (after another process changed it). */
  async reload(): Promise<void> {
    await this.serialise(async () => {
      const { state, generation } = await CapfStore.loadSnapshot(this.store, this.dir);
      const live: LiveState = { state, index: indexDevices(state) };
      const changes = await this.log.load<CapfChange>(generation);
      for (const c of changes) {
        checkChange(c, this.log.path);
        applyChange(live, c, this.journalLimit);
      }
      this.live = live;
      this.snapshotGeneration = generation;
      this.logged = changes.length;
      await this.measureSnapshot();
    });
  }

  // ---- parameters and devices ----------------------------------------------------------------------------------------

  parameters(): Readonly<CapfParameters> {
    return this.state.parameters;
  }

  async setParameters(patch: Partial<CapfParameters>): Promise<CapfParameters> {
    return this.mutate((s) => {
      const next = { ...s.parameters, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as CapfParameters;
      checkParameters(next);
      s.parameters = next;
      this.note(s, { step: 'parameters', outcome: 'info', reason: `CAPF parameters: ${JSON.stringify(next)}` });
      return next;
    });
  }

  device(name: string): Readonly<CapfDeviceRecord> | undefined {
    const i = this.live.index.get(name.toLowerCase());
    return i === undefined ? undefined : this.state.devices[i];
  }

  devices(): readonly Readonly<CapfDeviceRecord>[] {
    return this.state.devices;
  }

  /** Adds a device or changes its CAPF settings (Phone Configuration → CAPF Information → Save). */
  async configureDevice(name: string, input: CapfDeviceInput): Promise<Readonly<CapfDeviceRecord>> {
    checkDeviceName(name);
    return this.mutate((s, now) => {
      let rec = s.device(name);
      if (rec?.inFlight) throw new CapfRuleError('E_BUSY', `${rec.deviceName}: an LSC is being issued (session ${rec.inFlight.sessionId}); try again when it ends`, 'trustline');
      const settings = resolveDeviceSettings(rec?.settings, input, { now, parameters: s.parameters, usedAuthStringHashes: rec?.usedAuthStrings ?? [], hash: sha256Hex });
      if (!rec) {
        rec = { deviceName: name, settings, status: { state: 'none', at: now.toISOString() }, usedAuthStrings: [], updatedAt: now.toISOString() };
        s.addDevice(rec);
      }
      rec.settings = settings;
      rec.status = settings.operation === 'none' ? { state: 'none', at: now.toISOString() } : { state: 'pending', operation: settings.operation, at: now.toISOString() };
      rec.updatedAt = now.toISOString();
      this.note(s, {
        device: rec.deviceName,
        step: 'configure',
        outcome: 'info',
        reason: `operation ${settings.operation}, ${settings.authMode}, ${settings.keyOrder} RSA ${settings.rsaKeySize} / EC ${settings.ecKeySize}${settings.operationCompletesBy ? `, completes by ${settings.operationCompletesBy}` : ''}`,
      });
      return rec;
    });
  }

  async removeDevice(name: string): Promise<void> {
    await this.mutate((s) => {
      const rec = s.device(name);
      if (!rec) throw new CapfRuleError('E_UNKNOWN_DEVICE', `no device "${name}"`, 'trustline');
      if (rec.inFlight) throw new CapfRuleError('E_BUSY', `${rec.deviceName}: an LSC is being issued`, 'trustline');
      s.removeDevice(rec.deviceName);
      s.pendingCsrs = s.pendingCsrs.filter((p) => !sameName(p.deviceName, name));
      this.note(s, { device: rec.deviceName, step: 'configure', outcome: 'info', reason: 'device removed' });
    });
  }

  // ---- Offline CA and stale LSCs ---------------------------------------------------------------------------------------

  /** The pending CSR list, oldest first ("utils capf csr list": timestamped). */
  pendingCsrs(): readonly Readonly<PendingCsr>[] {
    return this.state.pendingCsrs;
  }

  pendingCsr(deviceName: string): Readonly<PendingCsr> | undefined {
    return this.state.pendingCsrs.find((p) => sameName(p.deviceName, deviceName));
  }

  /**
   * Imports the certificate an offline CA signed for a pending CSR (PEM, possibly with its chain, or DER). It must carry
   * the CSR's public key and CN = device name, be valid now, and chain to CAPF-trust (the CA root is uploaded there
   * first, 001 L4888-4910). It is delivered at the phone's next CAPF session.
   */
  async importOfflineCertificate(pki: ClusterPki, input: string | Uint8Array): Promise<OfflineImportResult> {
    const certs = parseCertificates(input, 'offline CA certificate');
    const byKey = certs.map((c) => ({ c, pending: this.state.pendingCsrs.find((p) => p.spkiSha256 === spkiSha256(c.publicKey)) }));
    const hit = byKey.find((x) => x.pending);
    if (!hit || !hit.pending) throw new CapfRuleError('E_OFFLINE_NO_CSR', `none of the ${certs.length} certificate(s) carries the public key of a pending CAPF CSR (utils capf csr list)`, '001:L5178-5185');
    const leaf = hit.c;
    const pending = hit.pending;
    const now = this.clock();
    if (!leaf.subjectCN || !sameName(leaf.subjectCN, pending.deviceName)) throw new CapfRuleError('E_OFFLINE_SUBJECT', `the certificate's CN "${leaf.subjectCN ?? ''}" is not the device name ${pending.deviceName}`, 'trustline');
    if (now < leaf.notBefore || now > leaf.notAfter) throw new CapfRuleError('E_OFFLINE_VALIDITY', `"${leaf.subject}" is not valid now (${leaf.notBefore.toISOString()} - ${leaf.notAfter.toISOString()})`, '001:L1288');
    const chain = [leaf, ...certs.filter((c) => c !== leaf)];
    const capfTrust = pki.verifyCertificateChain('CAPF-trust', chain, { purpose: 'clientAuth', at: now });
    if (!capfTrust.trusted) {
      throw new CapfRuleError('E_OFFLINE_CHAIN', `Upload the root certificate chain to the required trusts (CallManager trust CAPF trust) first: ${capfTrust.reason ?? 'not trusted'}`, '001:L4995-5000, L4888-4910');
    }
    const warnings: string[] = [];
    if (!pki.verifyCertificateChain('CallManager-trust', chain, { purpose: 'clientAuth', at: now }).trusted) {
      warnings.push('the issuing CA is not in CallManager-trust: phones in authenticated or encrypted mode will not register with this LSC (001 L4857, L4998)');
    }
    const ku = leaf.keyUsage ?? [];
    if (!ku.includes('digitalSignature') || !ku.includes('keyEncipherment')) {
      warnings.push("Device secure registration fails if LSC certificate is not provided with 'Digital signature' and 'key encipherment' (001 L4971-4975)");
    }
    await this.mutate((s, at) => {
      const p = s.pendingCsrs.find((x) => x.spkiSha256 === pending.spkiSha256);
      if (!p) throw new CapfRuleError('E_OFFLINE_NO_CSR', `the CSR of ${pending.deviceName} is no longer pending`, 'trustline');
      p.certificatePem = leaf.pem;
      p.chainPems = chain.slice(1).map((c) => c.pem);
      p.importedAt = at.toISOString();
      this.note(s, { device: p.deviceName, step: 'offline-import', outcome: 'ok', reason: `certificate ${leaf.serialHex} from "${leaf.issuer}" imported; delivered at the next CAPF session${warnings.length ? `; ${warnings.join('; ')}` : ''}` });
    });
    return { deviceName: pending.deviceName, certificate: leaf, warnings };
  }

  /** "utils capf stale-lsc list". */
  staleLscs(): readonly Readonly<StaleLsc>[] {
    return this.state.staleLscs;
  }

  /** "utils capf stale-lsc delete all": forgets the list, and the pki's registry entry when it is that stale LSC. */
  async deleteStaleLscs(pki: ClusterPki): Promise<number> {
    const stale = [...this.state.staleLscs];
    for (const st of stale) {
      const cur = pki.lsc(st.deviceName);
      const installed = this.device(st.deviceName)?.installed?.fingerprintSha256;
      if (cur && cur.certificate.fingerprintSha256 === st.fingerprintSha256 && installed !== st.fingerprintSha256) await pki.deleteLsc(st.deviceName);
    }
    return this.mutate((s) => {
      const n = s.staleLscs.length;
      s.staleLscs = [];
      this.note(s, { step: 'stale-lsc', outcome: 'info', reason: `${n} stale LSC(s) deleted` });
      return n;
    });
  }

  // ---- journal -------------------------------------------------------------------------------------------------------

  /** The journal, oldest first (committed entries and those not written yet). */
  journal(): readonly JournalEntry[] {
    return [...this.state.journal, ...this.pendingJournal];
  }

  /** Records a decision; written with the next change, by flush(), or after journalFlushMs. */
  record(e: Omit<JournalEntry, 'seq' | 'at'>): JournalEntry {
    const entry: JournalEntry = { seq: this.state.nextJournalSeq + this.pendingJournal.length, at: this.clock().toISOString(), ...e };
    this.pendingJournal.push(entry);
    if (this.pendingJournal.length > this.journalLimit) this.pendingJournal.splice(0, this.pendingJournal.length - this.journalLimit);
    if (this.journalFlushMs > 0 && !this.flushTimer && !this.closed) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        this.flush().catch(() => undefined);
      }, this.journalFlushMs);
      this.flushTimer.unref();
    }
    return entry;
  }

  /** Writes journal entries recorded since the last change. */
  async flush(): Promise<void> {
    if (this.pendingJournal.length === 0) return;
    await this.mutate(() => undefined);
  }

  /** Flushes and stops the flush timer. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flush();
    await this.serialise(() => this.log.close());
  }

  // ---- used by the CAPF session --------------------------------------------------------------------------------------

  /** Commits the in-flight marker before the pki issues an LSC. */
  async beginIssue(deviceName: string, issue: Omit<InFlightIssue, 'pid' | 'startedAt'>): Promise<void> {
    await this.mutate((s, now) => {
      const rec = this.rec(s, deviceName);
      if (rec.inFlight) throw new CapfRuleError('E_BUSY', `${rec.deviceName}: another issue is in flight (session ${rec.inFlight.sessionId})`, 'trustline');
      rec.inFlight = { ...issue, pid: process.pid, startedAt: now.toISOString() };
      rec.status = { state: 'in-progress', operation: rec.settings.operation, detail: `session ${issue.sessionId}: issuing an LSC for a ${issue.keyType} ${issue.keySize} key`, at: now.toISOString() };
      rec.updatedAt = now.toISOString();
    });
  }

  /** The phone confirmed the LSC: installed, operation back to No Pending Operation, authentication string consumed. */
  async completeInstall(deviceName: string, c: { certificate: CertificateInfo; issuedBy: 'capf' | 'online-ca' | 'offline-ca'; sessionId: number }): Promise<void> {
    await this.mutate((s, now) => {
      const rec = this.rec(s, deviceName);
      delete rec.inFlight;
      rec.installed = {
        fingerprintSha256: c.certificate.fingerprintSha256,
        serialHex: c.certificate.serialHex,
        subject: c.certificate.subject,
        issuer: c.certificate.issuer,
        notBefore: c.certificate.notBefore.toISOString(),
        notAfter: c.certificate.notAfter.toISOString(),
        keyType: c.certificate.key.keyType,
        keySize: c.certificate.key.keySize,
        issuedBy: c.issuedBy,
        installedAt: now.toISOString(),
        sessionId: c.sessionId,
        pem: c.certificate.pem,
      };
      if (c.issuedBy === 'offline-ca') s.pendingCsrs = s.pendingCsrs.filter((p) => !sameName(p.deviceName, deviceName));
      this.finish(rec, now, `LSC ${c.certificate.serialHex} installed (${c.certificate.key.keyType} ${c.certificate.key.keySize}, ${ISSUED_BY[c.issuedBy]})`);
    });
  }

  /** An issue that did not end installed: the marker is cleared; an LSC already signed is listed as stale. */
  async abandonIssue(deviceName: string, detail: string, staleLsc?: CertificateInfo): Promise<void> {
    await this.mutate((s, now) => {
      const rec = this.rec(s, deviceName);
      delete rec.inFlight;
      if (staleLsc) s.staleLscs.push({ deviceName: rec.deviceName, fingerprintSha256: staleLsc.fingerprintSha256, serialHex: staleLsc.serialHex, reason: detail, recordedAt: now.toISOString() });
      rec.status = { state: 'failed', operation: rec.settings.operation, detail, at: now.toISOString() };
      rec.updatedAt = now.toISOString();
    });
  }

  /** The operation failed; it stays pending until its deadline (the phone may try again). */
  async failOperation(deviceName: string, detail: string): Promise<void> {
    await this.mutate((s, now) => {
      const rec = this.rec(s, deviceName);
      rec.status = { state: 'failed', operation: rec.settings.operation, detail, at: now.toISOString() };
      rec.updatedAt = now.toISOString();
    });
  }

  async completeDelete(deviceName: string, detail: string): Promise<void> {
    await this.mutate((s, now) => {
      const rec = this.rec(s, deviceName);
      delete rec.installed;
      this.finish(rec, now, detail);
    });
  }

  async completeFetch(deviceName: string, fetched: Omit<FetchedCertificate, 'at'>): Promise<void> {
    await this.mutate((s, now) => {
      const rec = this.rec(s, deviceName);
      rec.fetched = { ...fetched, at: now.toISOString() };
      this.finish(rec, now, fetched.kind === 'none' ? 'the phone holds no certificate' : `the phone's ${fetched.kind} was retrieved: ${fetched.subject ?? ''}`);
    });
  }

  /** Offline CA: the phone's key is queued as a CSR until the external CA's certificate is imported. */
  async queueCsr(deviceName: string, p: Omit<PendingCsr, 'deviceName' | 'createdAt'>): Promise<void> {
    await this.mutate((s, now) => {
      const rec = this.rec(s, deviceName);
      s.pendingCsrs = s.pendingCsrs.filter((x) => !sameName(x.deviceName, deviceName));
      s.pendingCsrs.push({ deviceName: rec.deviceName, createdAt: now.toISOString(), ...p });
      rec.status = { state: 'pending', operation: rec.settings.operation, detail: `session ${p.sessionId}: CSR queued for the offline CA`, at: now.toISOString() };
      rec.updatedAt = now.toISOString();
    });
  }

  /** Offline CA: the phone no longer holds the key of its pending CSR; enrolment starts over. */
  async dropPendingCsr(deviceName: string, detail: string): Promise<void> {
    await this.mutate((s, now) => {
      const rec = this.rec(s, deviceName);
      s.pendingCsrs = s.pendingCsrs.filter((x) => !sameName(x.deviceName, deviceName));
      rec.status = { state: 'failed', operation: rec.settings.operation, detail, at: now.toISOString() };
      rec.updatedAt = now.toISOString();
    });
  }

  // ---- internals -----------------------------------------------------------------------------------------------------

  /** Resolves in-flight markers left by a process that died (kill during an LSC issue). */
  private async recover(pki: ClusterPki): Promise<void> {
    const orphans = this.state.devices.filter((d) => d.inFlight && !processAlive(d.inFlight.pid));
    if (orphans.length === 0) return;
    await this.mutate((s, now) => {
      for (const o of orphans) {
        const rec = this.rec(s, o.deviceName);
        const f = rec.inFlight;
        if (!f || processAlive(f.pid)) continue;
        const lsc = pki.lsc(rec.deviceName);
        const signed = lsc && spkiSha256(lsc.certificate.publicKey) === f.spkiSha256 ? lsc.certificate : undefined;
        const detail = signed
          ? `session ${f.sessionId} was interrupted after the LSC ${signed.serialHex} was issued and before the phone confirmed it: not installed, listed as stale`
          : `session ${f.sessionId} was interrupted before an LSC was issued`;
        if (signed && !s.staleLscs.some((x) => x.fingerprintSha256 === signed.fingerprintSha256)) {
          s.staleLscs.push({ deviceName: rec.deviceName, fingerprintSha256: signed.fingerprintSha256, serialHex: signed.serialHex, reason: detail, recordedAt: now.toISOString() });
        }
        delete rec.inFlight;
        rec.status = { state: 'failed', operation: rec.settings.operation, detail, at: now.toISOString() };
        rec.updatedAt = now.toISOString();
        this.note(s, { sessionId: f.sessionId, device: rec.deviceName, step: 'recovery', outcome: 'failed', reason: `${detail}; the operation stays pending` });
      }
    });
  }

  private rec(s: CapfDraft, deviceName: string): CapfDeviceRecord {
    const rec = s.device(deviceName);
    if (!rec) throw new CapfRuleError('E_UNKNOWN_DEVICE', `no device "${deviceName}"`, 'trustline');
    return rec;
  }

  /** The operation completed: No Pending Operation, deadline cleared, a By Authentication String string consumed. */
  private finish(rec: CapfDeviceRecord, now: Date, detail: string): void {
    const op = rec.settings.operation;
    if (rec.settings.authString !== undefined) {
      rec.usedAuthStrings.push(sha256Hex(rec.settings.authString));
      delete rec.settings.authString;
    }
    rec.settings.operation = 'none';
    delete rec.settings.operationCompletesBy;
    rec.status = { state: 'success', operation: op, detail, at: now.toISOString() };
    rec.updatedAt = now.toISOString();
  }

  /** A journal entry made inside a change (committed with it). */
  private note(s: CapfDraft, e: Omit<JournalEntry, 'seq' | 'at'>): void {
    s.journal.push({ seq: s.nextJournalSeq++, at: this.clock().toISOString(), ...e });
  }

  private serialise<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Makes a change on a draft (with the journal entries recorded so far), appends it to the log, durable before it
   * is applied and acknowledged, and compacts the log into a new snapshot when it has outgrown it.
   */
  private mutate<R>(fn: (s: CapfDraft, now: Date) => R): Promise<R> {
    return this.serialise(async () => {
      const draft = new CapfDraft(this.live);
      const taken = this.pendingJournal.length;
      for (const e of this.pendingJournal) draft.journal.push({ ...e, seq: draft.nextJournalSeq++ });
      const result = fn(draft, this.clock());
      const change = draft.change();
      await this.log.append(this.snapshotGeneration, this.logged + 1, change);
      this.logged++;
      applyChange(this.live, change, this.journalLimit);
      this.pendingJournal = this.pendingJournal.slice(taken).map((e, i) => ({ ...e, seq: this.state.nextJournalSeq + i }));
      if (this.log.bytes > this.compactBytes && this.log.bytes > this.snapshotBytes) {
        // The change is already durable in the log; a failed compaction is tried again after the next change.
        await this.compact().catch((err: Error) => capfLog.warn(`${this.dir}: compacting the change log failed: ${err.message}`));
      }
      return result;
    });
  }

  /**
   * Folds the log into a new snapshot, then empties the log. A kill in between leaves the new snapshot and a log of
   * the previous generation, which opening skips; a kill before the snapshot's rename leaves the old one and the log.
   */
  private async compact(): Promise<void> {
    this.snapshotGeneration = await this.store.commit(this.state, new Map(), this.snapshotGeneration);
    await this.log.snapshotWritten();
    this.logged = 0;
    await this.log.reset();
    await this.measureSnapshot();
  }

  private async measureSnapshot(): Promise<void> {
    this.snapshotBytes = (await stat(join(this.dir, MANIFEST)).catch(() => undefined))?.size ?? 0;
  }
}
