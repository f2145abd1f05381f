// The phone's trust state and the seeds' rules for every file and server it meets before registering:
// - no CTL and no ITL: the first CTL/ITL is accepted in a "one-time leap of faith" (002 L1072-1077, 004:L81);
// - later CTL/ITL files must be signed by a SAST of the stored CTL (when the phone has one, 004:L83) else of the
//   stored ITL; signed configuration files by a TFTP / CCM+TFTP record of either (001 L3306-3311);
// - an unknown signer is asked about at TVS, and the file is accepted only on "valid" (004:L39, L544-567);
// - after an empty ("Prepare Cluster for Rollback to pre-8.0") ITL, any new ITL/CTL and unsigned config is accepted
//   (001 L3322-3326);
// - anything else is refused, with the reason.
// Every decision is an event {file, decision, basis, reason, signer}. The state (CTL, ITL, TVS members, the last
// events) is persisted in the phone's state directory, so a phone keeps its trust across runs and clusters.
import { createHash, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { logger } from '../../common/log.js';
import { parseSigned, parseTrustList, Role, ROLE_NAMES, TlvError, type DigestName, type ParsedSigned, type ParsedTrustList, type VerifyResult } from '../../engine/trust/index.js';
import type { ParsedHeader } from '../../engine/trust/header.js';
import type { ParsedRecord } from '../../engine/trust/records.js';
import { TFTP_ROLES } from '../../engine/trust/tags.js';
import { describeRecordBriefly, hex, signerCandidates, verifyTrustList, verifyWithRecord } from '../../engine/trust/trust-list.js';
import { verifySigned } from '../../engine/trust/signed-file.js';
import { MAX_TRUST_LIST_BYTES, MAX_TRUST_LIST_CERTIFICATES } from '../models/model-profiles.js';
import { readJsonState, removeStaleTemps, SerialQueue, StateFileError, writeJsonState, type StateFileHooks } from '../store/state-file.js';
import type { TvsAnswer, TvsMemberAddress, TvsPort, TvsPurpose } from './tvs-port.js';

const log = logger('phone-trust');

export type TrustListKind = 'ctl' | 'itl';
export type TrustFileKind = TrustListKind | 'config' | 'server-certificate';
/** What an acceptance rests on. */
export type TrustBasis = 'tofu' | 'ctl' | 'itl' | 'tvs' | 'rollback' | 'unchanged' | 'no-trust-list' | 'verified-channel';
/** The certificate roles a server is checked against. */
export type ServerRole = 'tftp' | 'tvs' | 'capf' | 'ccm';

export interface SignerInfo {
  name?: string;
  serial?: string;
  issuer?: string;
}

export interface TrustEvent {
  seq: number;
  at: string;
  /** File name, or "<role> server host:port" for a server certificate. */
  file: string;
  kind: TrustFileKind;
  decision: 'accepted' | 'refused';
  basis?: TrustBasis;
  reason: string;
  signer?: SignerInfo;
  /** What TVS said, when it was asked. */
  tvs?: { status: TvsAnswer['status']; member?: string; roles?: string[]; detail: string };
  /** SHA-1 of the file, as the phone's Trust List screen compares it (001 L2798). */
  sha1?: string;
  /** A refusal the phone cannot boot past (a trust list too large to load, 004:L161-163). */
  fatal?: boolean;
}

export interface TrustDecision extends TrustEvent {
  accepted: boolean;
}

export interface PhoneTrustStoreOptions {
  /** The phone's state directory (trust.json); none = in memory only. */
  dir?: string;
  /** For logs and TVS: the phone's device name. */
  deviceName: string;
  tvs?: TvsPort;
  /** Ask TVS at all (the model's `trust.tvs`). Default true when a port is given. */
  tvsEnabled?: boolean;
  /** Digests the phone verifies (model `certificates.fileDigests`); default all. */
  digests?: readonly DigestName[];
  /** Largest trust list that loads (default 64 KB and 39 certificates). */
  maxTrustListBytes?: number;
  maxTrustListCertificates?: number;
  /** Highest signer version the firmware understands: EC records only count in 1.1 files when this is 1.1. */
  itlVersion?: '1.0' | '1.1';
  /** Events kept in the state (default 200). */
  maxEvents?: number;
  now?: () => Date;
  hooks?: StateFileHooks;
}

interface StoredList {
  name: string;
  bytes: Buffer;
  parsed: ParsedTrustList;
  acceptedAt: string;
  basis: TrustBasis;
}

interface PersistedList {
  name: string;
  bytes: string;
  acceptedAt: string;
  basis: TrustBasis;
}

interface PersistedTrust {
  version: 1;
  deviceName: string;
  ctl?: PersistedList;
  itl?: PersistedList;
  tvsMembers: TvsMemberAddress[];
  nextSeq: number;
  events: TrustEvent[];
}

export const TRUST_FILE = 'trust.json';
const FORMAT = 'trustline-phone-trust';

/** Roles TVS must answer for a signer to be accepted in that use. */
const TVS_ROLES_FOR: Readonly<Record<TvsPurpose | ServerRole, readonly number[]>> = {
  'trust-list-signer': [Role.SAST, Role['CCM+TFTP'], Role.TFTP],
  'config-signer': [Role.TFTP, Role['CCM+TFTP']],
  server: [],
  tftp: [Role.TFTP, Role['CCM+TFTP']],
  tvs: [Role.TVS],
  capf: [Role.CAPF],
  ccm: [Role.CCM, Role['CCM+TFTP']],
};

const SERVER_ROLES: Readonly<Record<ServerRole, readonly number[]>> = {
  tftp: [Role.TFTP, Role['CCM+TFTP']],
  tvs: [Role.TVS],
  capf: [Role.CAPF],
  ccm: [Role.CCM, Role['CCM+TFTP']],
};

const roleNames = (codes: readonly number[]) => codes.map((c) => ROLE_NAMES[c] ?? String(c));

export function sha1Hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

function signerOf(h: ParsedHeader): SignerInfo {
  const s: SignerInfo = {};
  if (h.signerName !== undefined) s.name = h.signerName;
  if (h.serialNumber) s.serial = hex(h.serialNumber);
  if (h.issuerName !== undefined) s.issuer = h.issuerName;
  return s;
}

function signerText(s: SignerInfo): string {
  return `${s.name ?? '(unnamed signer)'} (serial ${s.serial ?? '?'})`;
}

/**
 * An "empty" ITL (Prepare Cluster for Rollback to pre-8.0): TFTP/TVS entries without certificates and no TFTP-capable
 * record with a key (001 L3318-3324 "empty TVS and TFTP certificate sections").
 */
export function isRollbackItl(list: ParsedTrustList): boolean {
  const empty = list.records.some((r) => r.role !== undefined && [...TFTP_ROLES, Role.TVS].includes(r.role) && !r.certificate && !r.publicKey);
  const tftpKey = list.records.some((r) => r.role !== undefined && TFTP_ROLES.includes(r.role) && (r.certificate || r.publicKey));
  return empty && !tftpKey;
}

/** TVS members named by the ITL's TVS records (DNS name or IP), when the phone has no configuration yet. */
export function tvsMembersFromItl(list: ParsedTrustList | undefined): TvsMemberAddress[] {
  if (!list) return [];
  return list.records
    .filter((r) => r.role === Role.TVS && (r.dnsName || r.ipAddress))
    .map((r, i) => ({ address: r.dnsName ?? Array.from(r.ipAddress!).join('.'), port: 2445, priority: i }));
}

function certificateKeyType(der: Uint8Array): string | undefined {
  try {
    return new X509Certificate(der).publicKey.asymmetricKeyType;
  } catch {
    return undefined;
  }
}

export class PhoneTrustStore {
  readonly deviceName: string;
  readonly #o: PhoneTrustStoreOptions;
  readonly #path: string | undefined;
  readonly #queue = new SerialQueue();
  readonly #listeners = new Set<(e: TrustEvent) => void>();
  #ctl: StoredList | undefined;
  #itl: StoredList | undefined;
  #tvsMembers: TvsMemberAddress[] = [];
  #events: TrustEvent[] = [];
  #nextSeq = 1;

  private constructor(o: PhoneTrustStoreOptions) {
    this.#o = o;
    this.deviceName = o.deviceName;
    this.#path = o.dir ? join(o.dir, TRUST_FILE) : undefined;
  }

  /** Opens (or starts) the trust state in `o.dir`; without a dir the store lives in memory. */
  static async open(o: PhoneTrustStoreOptions): Promise<PhoneTrustStore> {
    const s = new PhoneTrustStore(o);
    if (s.#path) {
      await removeStaleTemps(s.#path);
      const state = await readJsonState(s.#path, FORMAT, (v) => v as unknown as PersistedTrust);
      if (state) s.#restore(state);
    }
    return s;
  }

  #restore(p: PersistedTrust): void {
    const path = this.#path!;
    if (p.version !== 1) throw new StateFileError(path, `version ${String(p.version)} is not 1`);
    const load = (kind: TrustListKind, l: PersistedList | undefined): StoredList | undefined => {
      if (!l) return undefined;
      const bytes = Buffer.from(l.bytes, 'base64');
      try {
        return { name: l.name, bytes, parsed: parseTrustList(bytes, { unknownTags: 'keep' }), acceptedAt: l.acceptedAt, basis: l.basis };
      } catch (e) {
        throw new StateFileError(path, `the stored ${kind.toUpperCase()} does not parse: ${(e as Error).message}`);
      }
    };
    this.#ctl = load('ctl', p.ctl);
    this.#itl = load('itl', p.itl);
    this.#tvsMembers = Array.isArray(p.tvsMembers) ? p.tvsMembers : [];
    this.#events = Array.isArray(p.events) ? p.events : [];
    this.#nextSeq = typeof p.nextSeq === 'number' ? p.nextSeq : this.#events.length + 1;
  }

  #snapshot(): PersistedTrust {
    const list = (l: StoredList | undefined): PersistedList | undefined => l && { name: l.name, bytes: l.bytes.toString('base64'), acceptedAt: l.acceptedAt, basis: l.basis };
    const p: PersistedTrust = { version: 1, deviceName: this.deviceName, tvsMembers: this.#tvsMembers, nextSeq: this.#nextSeq, events: this.#events };
    const ctl = list(this.#ctl);
    const itl = list(this.#itl);
    if (ctl) p.ctl = ctl;
    if (itl) p.itl = itl;
    return p;
  }

  /** Writes the current state (atomic; serialised). */
  save(): Promise<void> {
    const path = this.#path;
    if (!path) return Promise.resolve();
    const snapshot = this.#snapshot();
    return this.#queue.run(() => writeJsonState(path, FORMAT, snapshot, this.#o.hooks));
  }

  // ---- views ---------------------------------------------------------------------------------------------------------

  get ctl(): ParsedTrustList | undefined {
    return this.#ctl?.parsed;
  }

  get itl(): ParsedTrustList | undefined {
    return this.#itl?.parsed;
  }

  /** The stored file's bytes and how it was accepted. */
  stored(kind: TrustListKind): { name: string; bytes: Buffer; sha1: string; acceptedAt: string; basis: TrustBasis } | undefined {
    const l = kind === 'ctl' ? this.#ctl : this.#itl;
    return l && { name: l.name, bytes: l.bytes, sha1: sha1Hex(l.bytes), acceptedAt: l.acceptedAt, basis: l.basis };
  }

  /** True when the phone holds a CTL or an ITL (it then asks for signed configuration, 002 L1078-1082). */
  get holdsTrustList(): boolean {
    return this.#ctl !== undefined || this.#itl !== undefined;
  }

  /** The stored ITL is the empty rollback ITL (and no CTL overrides it). */
  get rollback(): boolean {
    return !this.#ctl && !!this.#itl && isRollbackItl(this.#itl.parsed);
  }

  get tvsMembers(): TvsMemberAddress[] {
    return this.#tvsMembers.length ? [...this.#tvsMembers] : tvsMembersFromItl(this.#itl?.parsed);
  }

  get events(): readonly TrustEvent[] {
    return this.#events;
  }

  onEvent(listener: (e: TrustEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---- decisions -----------------------------------------------------------------------------------------------------

  #record(e: Omit<TrustEvent, 'seq' | 'at'>): TrustDecision {
    const event: TrustEvent = { seq: this.#nextSeq++, at: (this.#o.now?.() ?? new Date()).toISOString(), ...e };
    this.#events.push(event);
    const max = this.#o.maxEvents ?? 200;
    if (this.#events.length > max) this.#events.splice(0, this.#events.length - max);
    const line = `${this.deviceName}: ${event.file} ${event.decision}${event.basis ? ` (${event.basis})` : ''}: ${event.reason}`;
    if (event.decision === 'refused') log.warn(line);
    else log.info(line);
    for (const l of [...this.#listeners]) l(event);
    return { ...event, accepted: event.decision === 'accepted' };
  }

  async #commit(e: Omit<TrustEvent, 'seq' | 'at'>): Promise<TrustDecision> {
    const d = this.#record(e);
    await this.save();
    return d;
  }

  #digestProblem(h: ParsedHeader): string | undefined {
    const allowed = this.#o.digests;
    if (!h.digest) return `unsupported digest algorithm code ${h.digestCode ?? '(missing)'}`;
    if (allowed && !allowed.includes(h.digest)) return `signed with ${h.digest.toUpperCase()}; this phone verifies ${allowed.map((d) => d.toUpperCase()).join('/')} only (001 L5212, L6126)`;
    return undefined;
  }

  #tvsOn(): boolean {
    return !!this.#o.tvs && this.#o.tvsEnabled !== false;
  }

  /** Asks TVS; returns the accepted basis or the refusal reason. */
  async #askTvs(certificate: Buffer, purpose: TvsPurpose, subject: string, need: readonly number[]): Promise<{ ok: boolean; reason: string; tvs: NonNullable<TrustEvent['tvs']> }> {
    const answer = await this.#o.tvs!.verify({ certificate, purpose, subject, members: this.tvsMembers, ...(this.#itl ? { itl: this.#itl.parsed } : {}) });
    if (answer.status === 'valid') {
      const tvs = { status: answer.status, member: answer.member, roles: answer.roleNames, detail: answer.detail };
      if (need.length && !answer.roles.some((r) => need.includes(r))) {
        return { ok: false, reason: `TVS ${answer.member} vouches for it only as ${answer.roleNames.join(', ') || 'no role'}, not ${roleNames(need).join('/')}`, tvs };
      }
      return { ok: true, reason: `TVS ${answer.member} answered valid (${answer.roleNames.join(', ') || 'no roles'})`, tvs };
    }
    if (answer.status === 'invalid') return { ok: false, reason: `TVS ${answer.member} answered invalid`, tvs: { status: 'invalid', member: answer.member, detail: answer.detail } };
    return { ok: false, reason: `no TVS answered (${answer.detail})`, tvs: { status: 'unreachable', detail: answer.detail } };
  }

  /** The records whose certificates may verify a new trust list: the stored CTL's SASTs, else the stored ITL's. */
  #anchor(): StoredList | undefined {
    return this.#ctl ?? this.#itl;
  }

  /**
   * Decides on a downloaded CTL or ITL and stores it when accepted. A refusal keeps the stored file; `fatal` marks one
   * the phone cannot boot past (over the size limit).
   */
  async acceptTrustList(kind: TrustListKind, name: string, bytes: Uint8Array): Promise<TrustDecision> {
    const buf = Buffer.from(bytes);
    const KIND = kind.toUpperCase();
    const base = { file: name, kind, sha1: sha1Hex(buf) } as const;
    const maxBytes = this.#o.maxTrustListBytes ?? MAX_TRUST_LIST_BYTES;
    const maxCerts = this.#o.maxTrustListCertificates ?? MAX_TRUST_LIST_CERTIFICATES;
    let parsed: ParsedTrustList;
    try {
      parsed = parseTrustList(buf);
    } catch (e) {
      if (e instanceof TlvError) return this.#commit({ ...base, decision: 'refused', reason: `malformed ${KIND}: ${e.message}` });
      throw e;
    }
    const signer = signerOf(parsed.header);
    const certs = parsed.records.filter((r) => r.certificate).length;
    if (buf.length > maxBytes || certs > maxCerts) {
      return this.#commit({
        ...base,
        signer,
        decision: 'refused',
        fatal: true,
        reason: `${KIND} of ${buf.length} bytes with ${certs} certificates: over the ${maxBytes}-byte / ${maxCerts}-certificate limit, the phone cannot load it and registration fails (004:L161-163)`,
      });
    }
    const digestProblem = this.#digestProblem(parsed.header);
    if (digestProblem) return this.#commit({ ...base, signer, decision: 'refused', reason: digestProblem });
    const stored = kind === 'ctl' ? this.#ctl : this.#itl;
    if (stored && stored.bytes.equals(buf)) return this.#record({ ...base, signer, decision: 'accepted', basis: 'unchanged', reason: `same ${KIND} as the stored one (SHA-1 ${base.sha1})` });

    const self = verifyTrustList(parsed);
    const accept = (basis: TrustBasis, reason: string, tvs?: TrustEvent['tvs']) => {
      const entry: StoredList = { name, bytes: buf, parsed, acceptedAt: (this.#o.now?.() ?? new Date()).toISOString(), basis };
      if (kind === 'ctl') this.#ctl = entry;
      else this.#itl = entry;
      return this.#commit({ ...base, signer, decision: 'accepted', basis, reason, ...(tvs ? { tvs } : {}) });
    };

    if (!this.#ctl && !this.#itl) {
      if (!self.ok) return this.#commit({ ...base, signer, decision: 'refused', reason: `first ${KIND} does not verify against its own SAST record: ${self.reason}` });
      return accept('tofu', `no CTL or ITL on the phone: first ${KIND} trusted in a one-time leap of faith (002 L1072-1077; verified by its own ${self.verifiedBy})`);
    }
    if (this.rollback) {
      if (!self.ok) return this.#commit({ ...base, signer, decision: 'refused', reason: `${KIND} does not verify against its own SAST record: ${self.reason}` });
      return accept('rollback', `the phone holds an empty (rollback) ITL: any new ${KIND} is accepted (001 L3322-3326)`);
    }

    const anchor = this.#anchor()!;
    const from = anchor === this.#ctl ? 'CTL' : 'ITL';
    const candidates = signerCandidates(parsed.header, anchor.parsed.records, [Role.SAST]);
    let local = `its signer ${signerText(signer)} is no SAST record of the stored ${from}`;
    for (const rec of candidates) {
      const r = verifyWithRecord(parsed.bytes, parsed.header, rec);
      if (r.ok) return accept(from === 'CTL' ? 'ctl' : 'itl', `signed by ${describeRecordBriefly(rec)} of the stored ${from}`);
      local = `${r.reason} of the stored ${from}`;
    }
    if (!this.#tvsOn()) return this.#commit({ ...base, signer, decision: 'refused', reason: `${local}, and the phone has no TVS to ask` });
    const own = this.#ownSignerCertificate(parsed);
    if (!own) return this.#commit({ ...base, signer, decision: 'refused', reason: `${local}, and the file carries no certificate of its signer to ask TVS about` });
    const t = await this.#askTvs(own, 'trust-list-signer', name, TVS_ROLES_FOR['trust-list-signer']);
    if (t.ok) return accept('tvs', `${local}; ${t.reason} (004:L544-567)`, t.tvs);
    return this.#commit({ ...base, signer, decision: 'refused', reason: `${local}; ${t.reason}`, tvs: t.tvs });
  }

  /** The signer's certificate from the file's own SAST record, when that record verifies the file. */
  #ownSignerCertificate(parsed: ParsedTrustList): Buffer | undefined {
    for (const rec of signerCandidates(parsed.header, parsed.records, [Role.SAST])) {
      if (rec.certificate && verifyWithRecord(parsed.bytes, parsed.header, rec).ok) return rec.certificate;
    }
    return undefined;
  }

  /** Every stored record with a certificate (ITL then CTL). */
  #records(): { list: 'ITL' | 'CTL'; parsed: ParsedTrustList; rec: ParsedRecord }[] {
    const out: { list: 'ITL' | 'CTL'; parsed: ParsedTrustList; rec: ParsedRecord }[] = [];
    for (const [list, l] of [['CTL', this.#ctl], ['ITL', this.#itl]] as const) if (l) for (const rec of l.parsed.records) out.push({ list, parsed: l.parsed, rec });
    return out;
  }

  /** Decides on a signed configuration file (`.sgn` or `.enc.sgn`, any signed file); the parsed file on acceptance. */
  async verifySignedFile(name: string, bytes: Uint8Array): Promise<TrustDecision & { file: string; parsed?: ParsedSigned }> {
    const buf = Buffer.from(bytes);
    const base = { file: name, kind: 'config' as const, sha1: sha1Hex(buf) };
    let parsed: ParsedSigned;
    try {
      parsed = parseSigned(buf);
    } catch (e) {
      if (e instanceof TlvError) return this.#commit({ ...base, decision: 'refused', reason: `malformed signed file: ${e.message}` });
      throw e;
    }
    const signer = signerOf(parsed.header);
    const ok = async (basis: TrustBasis, reason: string, tvs?: TrustEvent['tvs']) => ({ ...(await this.#commit({ ...base, signer, decision: 'accepted', basis, reason, ...(tvs ? { tvs } : {}) })), parsed });
    const digestProblem = this.#digestProblem(parsed.header);
    if (digestProblem) return this.#commit({ ...base, signer, decision: 'refused', reason: digestProblem });
    if (!this.holdsTrustList) return ok('no-trust-list', 'no ITL or CTL on the phone to verify it against (the phone would have asked for an unsigned file)');
    if (this.rollback) return ok('rollback', 'the phone holds an empty (rollback) ITL: the signature is not checked (001 L3322-3326)');
    const lists = [this.#ctl, this.#itl].filter((l): l is StoredList => !!l).map((l) => l.parsed);
    const r: VerifyResult = verifySigned(parsed, lists);
    if (r.ok) return ok(r.verifiedBy?.startsWith('CTL') ? 'ctl' : 'itl', `signed by ${r.verifiedBy}`);
    const local = `signer ${signerText(signer)}: ${r.reason}`;
    if (!this.#tvsOn()) return this.#commit({ ...base, signer, decision: 'refused', reason: `${local}, and the phone has no TVS to ask` });
    // TVS needs the signer's certificate: a stored record of another role may carry it (001 L3306-3311).
    const known = this.#records().find(({ rec }) => rec.certificate && signerCandidates(parsed.header, [rec], [rec.role ?? -1]).length && verifyWithRecord(parsed.bytes, parsed.header, rec).ok);
    if (!known) return this.#commit({ ...base, signer, decision: 'refused', reason: `${local}; the phone has no certificate of that signer to ask TVS about` });
    const t = await this.#askTvs(known.rec.certificate!, 'config-signer', name, TVS_ROLES_FOR['config-signer']);
    if (t.ok) return ok('tvs', `${local}; ${t.reason}`, t.tvs);
    return this.#commit({ ...base, signer, decision: 'refused', reason: `${local}; ${t.reason}`, tvs: t.tvs });
  }

  /**
   * Decides on an unsigned configuration file: accepted from a server the phone authenticated (HTTPS 6971), by a phone
   * without ITL/CTL (Jabber, 002 L1080-1082), or after a rollback ITL (001 L3322-3326); refused otherwise.
   */
  async acceptUnsignedFile(name: string, bytes: Uint8Array, o: { verifiedChannel?: string } = {}): Promise<TrustDecision> {
    const base = { file: name, kind: 'config' as const, sha1: sha1Hex(bytes) };
    if (o.verifiedChannel) return this.#commit({ ...base, decision: 'accepted', basis: 'verified-channel', reason: `unsigned over ${o.verifiedChannel}, whose server certificate the phone verified` });
    if (!this.holdsTrustList) return this.#commit({ ...base, decision: 'accepted', basis: 'no-trust-list', reason: 'no ITL or CTL on the phone: unsigned configuration is what it asks for (002 L1078-1082)' });
    if (this.rollback) return this.#commit({ ...base, decision: 'accepted', basis: 'rollback', reason: 'the phone holds an empty (rollback) ITL: unsigned configuration is accepted (001 L3322-3326)' });
    return this.#commit({ ...base, decision: 'refused', reason: `the phone holds ${this.#ctl ? 'a CTL' : 'an ITL'}: an unsigned configuration file is refused (002 L1078-1082)` });
  }

  /**
   * Decides on a server certificate (HTTPS 6971 = tftp, TVS 2445, CAPF 3804, SIP TLS = ccm): a record of the right role
   * holding exactly that certificate, else TVS (never for TVS itself). EC records only count in a signer-version 1.1
   * file read by 1.1 firmware (anchors §3).
   */
  async verifyServerCertificate(role: ServerRole, der: Uint8Array, label: string): Promise<TrustDecision> {
    const cert = Buffer.from(der);
    const file = `${role.toUpperCase()} server ${label}`;
    const base = { file, kind: 'server-certificate' as const, sha1: sha1Hex(cert) };
    let subject = '(unparsable certificate)';
    try {
      subject = new X509Certificate(cert).subject.split('\n').join(', ');
    } catch {
      return this.#commit({ ...base, decision: 'refused', reason: 'the server sent a certificate that does not parse' });
    }
    const isEc = certificateKeyType(cert) === 'ec';
    const wanted = SERVER_ROLES[role];
    // Mixed mode (the phone holds a CTL): the CallManager certificate for SIP TLS comes from the CTL alone, so a
    // regenerated certificate that is only in the ITL (or known to TVS) fails until the CTL is updated (002 L1569-1571).
    const ctlOnly = role === 'ccm' && this.#ctl !== undefined;
    let skippedEc = '';
    for (const { list, parsed, rec } of this.#records()) {
      if (ctlOnly && list !== 'CTL') continue;
      if (rec.role === undefined || !wanted.includes(rec.role) || !rec.certificate?.equals(cert)) continue;
      const v11 = parsed.header.signerVersion && (parsed.header.signerVersion.major > 1 || parsed.header.signerVersion.minor >= 1);
      if (isEc && (!v11 || this.#o.itlVersion === '1.0')) {
        skippedEc = `; its EC record in the ${list} does not count (${v11 ? 'this firmware reads signer version 1.0 files only' : 'signer version 1.0 file'}, anchors §3)`;
        continue;
      }
      return this.#commit({ ...base, decision: 'accepted', basis: list === 'CTL' ? 'ctl' : 'itl', reason: `${subject} is ${describeRecordBriefly(rec)} of the ${list}` });
    }
    const where = ctlOnly ? 'CTL (in mixed mode the CallManager certificate must come from the CTL: update the CTL, 002 L1569-1571)' : this.holdsTrustList ? 'ITL/CTL' : 'trust lists (it holds none)';
    const local = `${subject} is in no ${roleNames(wanted).join('/')} record of the phone's ${where}${skippedEc}`;
    if (role === 'tvs' || ctlOnly || !this.#tvsOn() || !this.#itl) return this.#commit({ ...base, decision: 'refused', reason: local });
    const t = await this.#askTvs(cert, 'server', file, TVS_ROLES_FOR[role]);
    if (t.ok) return this.#commit({ ...base, decision: 'accepted', basis: 'tvs', reason: `${local}; ${t.reason}`, tvs: t.tvs });
    return this.#commit({ ...base, decision: 'refused', reason: `${local}; ${t.reason}`, tvs: t.tvs });
  }

  /** The TVS members of the last accepted configuration (persisted). */
  async setTvsMembers(members: readonly TvsMemberAddress[]): Promise<void> {
    const next = members.map((m) => ({ address: m.address, port: m.port, priority: m.priority }));
    if (JSON.stringify(next) === JSON.stringify(this.#tvsMembers)) return;
    this.#tvsMembers = next;
    await this.save();
  }

  /**
   * "Reset security settings" on the phone (Settings Access): deletes the CTL and ITL, so the next ones are trusted on
   * first use again (002 L396-401, the manual fix of 001 L3318).
   */
  async reset(reason = 'security settings reset on the phone'): Promise<TrustDecision> {
    this.#ctl = undefined;
    this.#itl = undefined;
    return this.#commit({ file: 'CTL/ITL', kind: 'itl', decision: 'accepted', reason: `${reason}: CTL and ITL deleted, the next ones are trusted on first use` });
  }
}
