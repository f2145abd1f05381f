// What TVS vouches for: an exact match of the certificate's SHA-256 (no chain building, seed 001 L2431-2433; tvsd keys
// its database on it, research anchors 2.7) and the roles it answers with. The cluster source reads ClusterPki live, so
// trust-store changes (uploads, deletions, Bulk Certificate Import) show at the next request (seed 001 L2751
// "Addition or removal of trust certificates are automatically reflected"). Role choices: docs/decisions.md ("TVS").
import { createHash } from 'node:crypto';
import type { ClusterPki } from '../pki/cluster-pki.js';
import { parseCertificate } from '../pki/certificates.js';
import type { Purpose, TrustStoreName } from '../pki/purposes.js';
import { roleCode, type RoleName } from '../trust/tags.js';

export interface TvsTrustMatch {
  /** Role codes or engine/trust role names. */
  roles: readonly (RoleName | number)[];
  /** Where the certificate was found (for the journal and reports). */
  sources?: readonly string[];
  /** TTL for this certificate (tvsd keeps one per entry); the server's default otherwise. */
  ttlSeconds?: number;
}

/** The TVS server's only view of trust: exact-leaf lookup by DER. */
export interface TvsTrustSource {
  lookup(certDer: Uint8Array): TvsTrustMatch | undefined;
}

export function sha256Hex(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * Roles per trust store for the certificates uploaded or imported there:
 * - CallManager-trust: CCM+TFTP. The Bulk Certificate Import of the seeds brings the other cluster's TFTP
 *   (CallManager) certificates, which phones must accept as TFTP signers (001 L3308-3311, L3362-3369).
 * - tomcat-trust: APP-SERVER. HTTPS application servers are verified against it (001 L2431, L2746).
 * - CAPF-trust: CAPF. "TVS can authenticate" the CAPF certificate (001 L2817).
 * - TVS-trust: TVS. Phone-SAST-trust: SAST (trust-list signers; Bulk Import puts ITLRecovery there).
 * Other stores (IPSec, Phone-VPN, Phone-CTL, Userlicensing) are not for phones' TVS queries.
 */
export const TVS_STORE_ROLES: Readonly<Partial<Record<TrustStoreName, readonly RoleName[]>>> = {
  'CallManager-trust': ['CCM+TFTP'],
  'tomcat-trust': ['APP-SERVER'],
  'CAPF-trust': ['CAPF'],
  'TVS-trust': ['TVS'],
  'Phone-SAST-trust': ['SAST'],
};

/**
 * Roles of the cluster's own certificates, by purpose: what the ITL lists them as (001 L2814-2829), plus tomcat as
 * APP-SERVER. They are answered even where no trust store holds a copy (TVS, ITLRecovery): "The TVS must be able to
 * return the certificate corresponding to the signer" (001 L2792). The copies the PKI keeps in trust stores take these
 * roles too, not the store's: the CAPF copy in CallManager-trust is CAPF, never CCM+TFTP, and the emulated
 * manufacturing CAs get none.
 */
export const TVS_PURPOSE_ROLES: Readonly<Record<Purpose | 'manufacturing', readonly RoleName[]>> = {
  CallManager: ['CCM+TFTP'],
  'CallManager-ECDSA': ['CCM+TFTP'],
  tomcat: ['APP-SERVER'],
  'tomcat-ECDSA': ['APP-SERVER'],
  TVS: ['TVS'],
  CAPF: ['CAPF'],
  ITLRecovery: ['SAST'],
  ipsec: [],
  manufacturing: [],
};

export interface TvsTrustEntry {
  fingerprintSha256: string;
  subject: string;
  roles: number[];
  sources: string[];
}

export interface ClusterTrustSourceOptions {
  /** Replaces the roles of the named stores ([] = not answered from that store). */
  storeRoles?: Partial<Record<TrustStoreName, readonly (RoleName | number)[]>>;
  /** Answer for the cluster's own certificates (default true). */
  ownCertificates?: boolean;
}

function addRoles(into: Map<string, { subject: string; roles: Set<number>; sources: string[] }>, fp: string, subject: string, roles: readonly (RoleName | number)[], source: string): void {
  if (!roles.length) return;
  let e = into.get(fp);
  if (!e) into.set(fp, (e = { subject, roles: new Set(), sources: [] }));
  for (const r of roles) e.roles.add(roleCode(r));
  e.sources.push(source);
}

/** TVS over a ClusterPki: its trust stores (exact leaf) and its own certificates. Read-only. */
export class ClusterTrustSource implements TvsTrustSource {
  readonly pki: ClusterPki;
  readonly #storeRoles: Readonly<Partial<Record<TrustStoreName, readonly (RoleName | number)[]>>>;
  readonly #own: boolean;

  constructor(pki: ClusterPki, opts: ClusterTrustSourceOptions = {}) {
    this.pki = pki;
    this.#storeRoles = { ...TVS_STORE_ROLES, ...opts.storeRoles };
    this.#own = opts.ownCertificates ?? true;
  }

  /** Every certificate this source vouches for, with its roles (ascending codes) and where it was found. */
  entries(): TvsTrustEntry[] {
    return this.#collect();
  }

  lookup(certDer: Uint8Array): TvsTrustMatch | undefined {
    const fp = sha256Hex(certDer);
    const hit = this.#collect(fp)[0];
    return hit ? { roles: hit.roles, sources: hit.sources } : undefined;
  }

  #collect(only?: string): TvsTrustEntry[] {
    const found = new Map<string, { subject: string; roles: Set<number>; sources: string[] }>();
    for (const store of this.pki.trustStoreNames()) {
      const storeRoles = this.#storeRoles[store] ?? [];
      for (const t of this.pki.trustStore(store)) {
        if (only && t.fingerprintSha256 !== only) continue;
        if (t.system) {
          const roles = TVS_PURPOSE_ROLES[t.system.purpose];
          addRoles(found, t.fingerprintSha256, t.subject, roles, `${store} (copy of ${t.system.node}'s ${t.system.purpose} certificate)`);
        } else addRoles(found, t.fingerprintSha256, t.subject, storeRoles, store);
      }
    }
    if (this.#own) {
      for (const c of this.pki.certificates()) {
        const fp = c.certificate.fingerprintSha256;
        if (only && fp !== only) continue;
        addRoles(found, fp, c.certificate.subject, TVS_PURPOSE_ROLES[c.purpose], `own ${c.purpose} certificate of ${c.node}`);
      }
    }
    return [...found].map(([fingerprintSha256, e]) => ({ fingerprintSha256, subject: e.subject, roles: [...e.roles].sort((a, b) => a - b), sources: e.sources }));
  }
}

/** A fixed table (tests, or a tvsctl-like database): certificate → roles. */
export class MemoryTrustSource implements TvsTrustSource {
  readonly #map = new Map<string, TvsTrustMatch>();

  constructor(entries: readonly { certificate: Uint8Array | string; roles: readonly (RoleName | number)[]; source?: string }[] = []) {
    for (const e of entries) this.add(e.certificate, e.roles, e.source);
  }

  /** Adds or replaces a certificate (PEM or DER). */
  add(certificate: Uint8Array | string, roles: readonly (RoleName | number)[], source = 'memory'): void {
    const der = parseCertificate(certificate).der;
    roles.forEach((r) => roleCode(r));
    this.#map.set(sha256Hex(der), { roles: [...roles], sources: [source] });
  }

  remove(certificate: Uint8Array | string): boolean {
    return this.#map.delete(sha256Hex(parseCertificate(certificate).der));
  }

  lookup(certDer: Uint8Array): TvsTrustMatch | undefined {
    return this.#map.get(sha256Hex(certDer));
  }
}
