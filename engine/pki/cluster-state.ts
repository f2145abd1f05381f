// The persisted shape of a cluster (manifest.json's `state`) and the Draft a change is prepared in.
import type { KeyObject } from 'node:crypto';
import type { CertificateInfo } from './certificates.js';
import type { CertificateRef, PendingPhoneReset, PkiEvent } from './events.js';
import { privateKeyToPem } from './keys.js';
import { TRUST_STORES, type HashName, type Purpose, type TrustStoreName } from './purposes.js';
import { objectName } from './state-store.js';
import type { TrustEntry } from './trust-stores.js';

export interface SubjectSettings {
  organizationalUnit: string;
  organization: string;
  locality: string;
  state: string;
  country: string;
}

export interface ClusterSettings {
  /** Host names of the nodes; the first is the publisher. */
  nodes: string[];
  domain?: string;
  subject: SubjectSettings;
  fips: boolean;
}

export interface IdentityRecord {
  purpose: Purpose;
  node: string;
  cert: string;
  key: string;
  chain: string[];
  hash: HashName;
  signedBy: 'self' | 'ca';
  multiServer: boolean;
  since: string;
}

export interface PendingCsrRecord {
  purpose: Purpose;
  node: string;
  csr: string;
  key: string;
  hash: HashName;
  multiServer: boolean;
  createdAt: string;
}

export interface LscRecord {
  deviceName: string;
  cert: string;
  issuedAt: string;
}

export interface PkiState {
  createdAt: string;
  settings: ClusterSettings;
  identities: IdentityRecord[];
  pendingCsrs: PendingCsrRecord[];
  trust: Record<TrustStoreName, TrustEntry[]>;
  lscs: LscRecord[];
  manufacturing: { rootCert: string; rootKey: string; issuingCert: string; issuingKey: string };
  events: PkiEvent[];
  nextSeq: number;
  pendingPhoneResets: PendingPhoneReset[];
}

export const MAX_EVENTS = 1000;
export const DEFAULT_SUBJECT: SubjectSettings = { organizationalUnit: 'Unified Communications', organization: 'trustline', locality: 'Lab', state: 'Lab', country: 'US' };

export function ref(c: CertificateInfo): CertificateRef {
  return { fingerprintSha256: c.fingerprintSha256, serialHex: c.serialHex, subject: c.subject, issuer: c.issuer };
}

export function emptyTrust(): Record<TrustStoreName, TrustEntry[]> {
  return Object.fromEntries(TRUST_STORES.map((s) => [s, []])) as unknown as Record<TrustStoreName, TrustEntry[]>;
}

/** The names of the objects a state references (everything else in objects/ is garbage). */
export function referencedObjects(s: PkiState): Set<string> {
  const names = new Set<string>();
  for (const i of s.identities) [i.cert, i.key, ...i.chain].forEach((n) => names.add(n));
  for (const p of s.pendingCsrs) [p.csr, p.key].forEach((n) => names.add(n));
  for (const entries of Object.values(s.trust)) for (const e of entries) names.add(e.object);
  for (const l of s.lscs) names.add(l.cert);
  Object.values(s.manufacturing).forEach((n) => names.add(n));
  return names;
}

/** A change being prepared: a copy of the state plus the objects it will reference. */
export class Draft {
  readonly newEvents: PkiEvent[] = [];
  constructor(
    readonly state: PkiState,
    readonly objects: Map<string, Buffer>,
    readonly now: Date,
  ) {}

  putCert(info: CertificateInfo, label: string): string {
    const data = Buffer.from(info.pem);
    const name = objectName(label, data, 'pem');
    this.objects.set(name, data);
    return name;
  }

  putKey(key: KeyObject, label: string): string {
    const data = Buffer.from(privateKeyToPem(key));
    const name = objectName(label, data, 'key');
    this.objects.set(name, data);
    return name;
  }

  putText(text: string, label: string, ext: string): string {
    const data = Buffer.from(text);
    const name = objectName(label, data, ext);
    this.objects.set(name, data);
    return name;
  }

  event(e: Omit<PkiEvent, 'seq' | 'at' | 'warnings'> & { warnings?: string[] }): PkiEvent {
    const full: PkiEvent = { seq: this.state.nextSeq++, at: this.now.toISOString(), warnings: [], ...e };
    this.state.events.push(full);
    if (this.state.events.length > MAX_EVENTS) this.state.events.splice(0, this.state.events.length - MAX_EVENTS);
    this.newEvents.push(full);
    return full;
  }
}
