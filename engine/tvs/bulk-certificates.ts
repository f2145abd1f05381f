// Bulk Certificate Management (seed 001 L3333-3371, seed 004 L540-569): export a cluster's certificates to a portable
// bundle, consolidate bundles of several clusters, and import them into another cluster's trust stores, so that the
// old cluster's TVS vouches for the new cluster's ITL signer while phones migrate. The bundle is a JSON file of ours
// (the seeds describe the procedure, not CUCM's file layout); choices in docs/decisions.md ("TVS").
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseCertificate } from '../pki/certificates.js';
import { PkiRuleError } from '../pki/errors.js';
import type { ClusterPki, TrustImportResult } from '../pki/cluster-pki.js';
import type { Purpose, TrustStoreName } from '../pki/purposes.js';

export const BULK_FORMAT = 'trustline-bulk-certificates';
export const BULK_VERSION = 1;
/** Bounds on a bundle read from disk or the network. */
export const MAX_BULK_BYTES = 4 * 1024 * 1024;
export const MAX_BULK_CERTIFICATES = 500;

/** The "Certificate Type" choices: TFTP (the CallManager certificate), ITLRecovery (001 L3351 "ITL_Recovery"), and more. */
export const BULK_CERTIFICATE_TYPES = ['TFTP', 'ITLRecovery', 'TVS', 'tomcat', 'CAPF'] as const;
export type BulkCertificateType = (typeof BULK_CERTIFICATE_TYPES)[number];

/** The purpose each type exports (every node that has one). */
export const BULK_TYPE_PURPOSE: Readonly<Record<BulkCertificateType, Purpose>> = {
  TFTP: 'CallManager',
  ITLRecovery: 'ITLRecovery',
  TVS: 'TVS',
  tomcat: 'tomcat',
  CAPF: 'CAPF',
};

/** Where the importing cluster puts each type; the store decides the TVS roles (tvs-trust.ts TVS_STORE_ROLES). */
export const BULK_TYPE_TRUST_STORE: Readonly<Record<BulkCertificateType, TrustStoreName>> = {
  TFTP: 'CallManager-trust',
  ITLRecovery: 'Phone-SAST-trust',
  TVS: 'TVS-trust',
  tomcat: 'tomcat-trust',
  CAPF: 'CAPF-trust',
};

/** The migration procedure exports "TFTP only" (001 L3362) plus ITLRecovery, which "signs the ITL File" (001 L2814). */
export const DEFAULT_BULK_TYPES: readonly BulkCertificateType[] = ['TFTP', 'ITLRecovery'];

export interface BulkCertificate {
  type: BulkCertificateType;
  /** The exporting cluster (its publisher) and node. */
  cluster: string;
  node: string;
  subject: string;
  fingerprintSha256: string;
  notAfter: string;
  pem: string;
}

export interface BulkCertificateBundle {
  format: typeof BULK_FORMAT;
  version: typeof BULK_VERSION;
  exportedAt: string;
  clusters: { publisher: string; domain?: string; nodes: string[] }[];
  certificates: BulkCertificate[];
}

export class BulkFormatError extends Error {
  readonly path: string;

  constructor(path: string, detail: string) {
    super(`bulk certificate bundle${path ? ` ${path}` : ''}: ${detail}`);
    this.name = 'BulkFormatError';
    this.path = path;
  }
}

function parseTypes(types: readonly string[] | undefined): BulkCertificateType[] {
  const list = types ?? DEFAULT_BULK_TYPES;
  return list.map((t) => {
    const found = BULK_CERTIFICATE_TYPES.find((x) => x.toLowerCase() === t.toLowerCase().replace(/^itl_recovery$/, 'itlrecovery'));
    if (!found) throw new RangeError(`unknown certificate type "${t}": expected ${BULK_CERTIFICATE_TYPES.join(', ')}`);
    return found;
  });
}

/** Step 2 of the procedure on the destination cluster: its certificates of the chosen types, every node. */
export function exportBulkCertificates(pki: ClusterPki, opts: { types?: readonly string[]; now?: Date } = {}): BulkCertificateBundle {
  const types = parseTypes(opts.types);
  const s = pki.settings;
  const certificates: BulkCertificate[] = [];
  for (const type of types) {
    for (const c of pki.certificates().filter((x) => x.purpose === BULK_TYPE_PURPOSE[type])) {
      certificates.push({ type, cluster: pki.publisher, node: c.node, subject: c.certificate.subject, fingerprintSha256: c.certificate.fingerprintSha256, notAfter: c.certificate.notAfter.toISOString(), pem: c.pem });
    }
  }
  return {
    format: BULK_FORMAT,
    version: BULK_VERSION,
    exportedAt: (opts.now ?? new Date()).toISOString(),
    clusters: [{ publisher: pki.publisher, ...(s.domain ? { domain: s.domain } : {}), nodes: [...s.nodes] }],
    certificates,
  };
}

/** Step 3: one bundle from several (clusters listed once, certificates once per type and fingerprint). */
export function consolidateBulkCertificates(bundles: readonly BulkCertificateBundle[], now: Date = new Date()): BulkCertificateBundle {
  const clusters = new Map<string, BulkCertificateBundle['clusters'][number]>();
  const certs = new Map<string, BulkCertificate>();
  for (const b of bundles) {
    for (const c of b.clusters) if (!clusters.has(c.publisher)) clusters.set(c.publisher, c);
    for (const c of b.certificates) if (!certs.has(`${c.type}/${c.fingerprintSha256}`)) certs.set(`${c.type}/${c.fingerprintSha256}`, c);
  }
  if (certs.size > MAX_BULK_CERTIFICATES) throw new RangeError(`${certs.size} certificates exceed the bundle limit of ${MAX_BULK_CERTIFICATES}`);
  return { format: BULK_FORMAT, version: BULK_VERSION, exportedAt: now.toISOString(), clusters: [...clusters.values()], certificates: [...certs.values()] };
}

export function serializeBulkBundle(b: BulkCertificateBundle): string {
  return JSON.stringify(b, null, 2) + '\n';
}

function str(v: unknown, path: string, max = 1_000_000): string {
  if (typeof v !== 'string') throw new BulkFormatError(path, `expected a string, found ${v === null ? 'null' : typeof v}`);
  if (v.length > max) throw new BulkFormatError(path, `longer than ${max} characters`);
  return v;
}

/** Reads and checks a bundle: shape, bounds, and that every PEM is a certificate with the fingerprint it claims. */
export function parseBulkBundle(input: string | Uint8Array): BulkCertificateBundle {
  if (input.length > MAX_BULK_BYTES) throw new BulkFormatError('', `${input.length} bytes exceed the limit of ${MAX_BULK_BYTES}`);
  let raw: unknown;
  try {
    raw = JSON.parse(typeof input === 'string' ? input : Buffer.from(input).toString('utf8'));
  } catch (e) {
    throw new BulkFormatError('', `not JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BulkFormatError('', 'expected a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.format !== BULK_FORMAT) throw new BulkFormatError('format', `expected "${BULK_FORMAT}", found ${JSON.stringify(o.format)}`);
  if (o.version !== BULK_VERSION) throw new BulkFormatError('version', `version ${JSON.stringify(o.version)} is not supported (expected ${BULK_VERSION})`);
  const exportedAt = str(o.exportedAt, 'exportedAt', 64);
  if (!Array.isArray(o.clusters) || o.clusters.length > 64) throw new BulkFormatError('clusters', 'expected an array of at most 64 clusters');
  const clusters = o.clusters.map((c: unknown, i) => {
    const p = `clusters[${i}]`;
    if (typeof c !== 'object' || c === null) throw new BulkFormatError(p, 'expected an object');
    const r = c as Record<string, unknown>;
    if (!Array.isArray(r.nodes) || r.nodes.length > 64) throw new BulkFormatError(`${p}.nodes`, 'expected an array of at most 64 node names');
    return {
      publisher: str(r.publisher, `${p}.publisher`, 255),
      ...(r.domain !== undefined ? { domain: str(r.domain, `${p}.domain`, 255) } : {}),
      nodes: r.nodes.map((n: unknown, j) => str(n, `${p}.nodes[${j}]`, 255)),
    };
  });
  if (!Array.isArray(o.certificates)) throw new BulkFormatError('certificates', 'expected an array');
  if (o.certificates.length > MAX_BULK_CERTIFICATES) throw new BulkFormatError('certificates', `${o.certificates.length} entries exceed the limit of ${MAX_BULK_CERTIFICATES}`);
  const certificates = o.certificates.map((c: unknown, i): BulkCertificate => {
    const p = `certificates[${i}]`;
    if (typeof c !== 'object' || c === null) throw new BulkFormatError(p, 'expected an object');
    const r = c as Record<string, unknown>;
    const type = BULK_CERTIFICATE_TYPES.find((t) => t === r.type);
    if (!type) throw new BulkFormatError(`${p}.type`, `${JSON.stringify(r.type)} is not one of ${BULK_CERTIFICATE_TYPES.join(', ')}`);
    const pem = str(r.pem, `${p}.pem`, 64 * 1024);
    let info;
    try {
      info = parseCertificate(pem, `${p}.pem`);
    } catch (e) {
      throw new BulkFormatError(`${p}.pem`, (e as Error).message);
    }
    const fp = str(r.fingerprintSha256, `${p}.fingerprintSha256`, 64).toLowerCase();
    if (fp !== info.fingerprintSha256) throw new BulkFormatError(`${p}.fingerprintSha256`, `${fp} is not the SHA-256 of the certificate (${info.fingerprintSha256})`);
    return { type, cluster: str(r.cluster, `${p}.cluster`, 255), node: str(r.node, `${p}.node`, 255), subject: info.subject, fingerprintSha256: fp, notAfter: info.notAfter.toISOString(), pem: info.pem };
  });
  return { format: BULK_FORMAT, version: BULK_VERSION, exportedAt, clusters, certificates };
}

/** Writes a bundle atomically (temporary file in the same directory, fsync, rename). */
export async function writeBulkBundle(path: string, b: BulkCertificateBundle): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(serializeBulkBundle(b));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export async function readBulkBundle(path: string): Promise<BulkCertificateBundle> {
  const st = await stat(path);
  if (st.size > MAX_BULK_BYTES) throw new BulkFormatError(path, `${st.size} bytes exceed the limit of ${MAX_BULK_BYTES}`);
  return parseBulkBundle(await readFile(path));
}

export interface BulkImportResult {
  type: BulkCertificateType;
  cluster: string;
  node: string;
  subject: string;
  fingerprintSha256: string;
  trustStore: TrustStoreName;
  /** added/replaced/unchanged as the trust store reports; own = the importing cluster's own certificate, skipped. */
  action: TrustImportResult['action'] | 'own' | 'refused';
  reason?: string;
}

/**
 * Step 4 on the origin cluster: each certificate of the chosen types goes to its trust store with CUCM's upload checks
 * (engine/pki importTrustCertificate: validity, key size, one certificate per entity). A refusal is reported for that
 * certificate and the others proceed. Returns one result per certificate considered.
 */
export async function importBulkCertificates(pki: ClusterPki, bundle: BulkCertificateBundle, opts: { types?: readonly string[] } = {}): Promise<BulkImportResult[]> {
  const types = new Set(parseTypes(opts.types ?? BULK_CERTIFICATE_TYPES));
  const own = new Set(pki.certificates().map((c) => c.certificate.fingerprintSha256));
  const results: BulkImportResult[] = [];
  for (const c of bundle.certificates) {
    if (!types.has(c.type)) continue;
    const trustStore = BULK_TYPE_TRUST_STORE[c.type];
    const fingerprintSha256 = createHash('sha256').update(parseCertificate(c.pem).der).digest('hex');
    const base = { type: c.type, cluster: c.cluster, node: c.node, subject: c.subject, fingerprintSha256, trustStore };
    if (own.has(fingerprintSha256)) {
      results.push({ ...base, action: 'own', reason: `${pki.publisher}'s own ${BULK_TYPE_PURPOSE[c.type]} certificate` });
      continue;
    }
    try {
      const [r] = await pki.importTrustCertificate(trustStore, c.pem, { description: `Bulk Certificate Import: ${c.type} certificate of ${c.node} (cluster ${c.cluster})` });
      results.push({ ...base, action: r!.action });
    } catch (e) {
      // CUCM's upload rules refuse one certificate; anything else (the state directory failing) stops the import.
      if (!(e instanceof PkiRuleError)) throw e;
      results.push({ ...base, action: 'refused', reason: e.message });
    }
  }
  return results;
}
