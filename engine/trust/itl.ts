// ITLFile.tlv / ITLSEP<MAC>.tlv: the Initial Trust List every phone downloads, as CUCM builds it.
import type { KeyObject } from 'node:crypto';
import { parseCertificate } from './certificate.js';
import type { RecordInput } from './records.js';
import type { Signer } from './signature.js';
import type { RoleName } from './tags.js';
import { TrustInputError } from './tlv-codec.js';
import { buildTrustList, type BuiltFile, type TrustListOptions } from './trust-list.js';

export const ITL_FILENAME = 'ITLFile.tlv';

/** A certificate to list, with the optional CTL-style fields. */
export interface CertInput {
  certDer: Uint8Array;
  dnsName?: string;
  ipAddress?: string;
}

/** A certificate whose private key may sign the file. */
export interface KeyedCertInput extends CertInput {
  privateKey?: KeyObject;
}

export type ItlOptions = Omit<TrustListOptions, 'filename'> & { filename?: string };

/** Builds an ITL from explicit records (the signer's SAST record must be among them for phones to verify it). */
export function buildItl(o: ItlOptions): BuiltFile {
  return buildTrustList(o, ITL_FILENAME);
}

/** The name a phone requests for its own copy (`ITLSEP<MAC>.tlv`); the header FILENAME stays ITLFile.tlv. */
export function itlFileNameFor(mac: string): string {
  return `ITLSEP${normalizeMac(mac)}.tlv`;
}

export function normalizeMac(mac: string): string {
  const m = mac.replace(/^SEP/i, '').replace(/[:.-]/g, '').toUpperCase();
  if (!/^[0-9A-F]{12}$/.test(m)) throw new TrustInputError('mac', `${JSON.stringify(mac)} is not a 12-hex-digit MAC address`);
  return m;
}

export type SignWith = 'itlRecovery' | 'callManager';

export interface ClusterItlOptions extends Omit<ItlOptions, 'signer' | 'records' | 'version'> {
  /** ITLRecovery: the normal signer (SAST). */
  itlRecovery: KeyedCertInput;
  /** The TFTP node's CallManager certificate: listed as CCM+TFTP and as SAST. */
  callManager: KeyedCertInput;
  /** CallManager-ECDSA (listed as CCM+TFTP). */
  callManagerEcdsa?: CertInput;
  tvs?: CertInput[];
  capf?: CertInput[];
  /** Other records appended at the end (e.g. APP-SERVER). */
  extra?: RecordInput[];
  /** 'callManager' = `utils itl reset localkey`: signed temporarily by the CallManager key. Default 'itlRecovery'. */
  signWith?: SignWith;
  /** Signer version; default '1.1' when any listed certificate is EC, else '1.0'. */
  version?: '1.0' | '1.1';
}

export function pickSigner(o: { itlRecovery: KeyedCertInput; callManager: KeyedCertInput; signWith?: SignWith }): Signer {
  const which = o.signWith ?? 'itlRecovery';
  const src = which === 'itlRecovery' ? o.itlRecovery : o.callManager;
  if (!src.privateKey) throw new TrustInputError(`${which}.privateKey`, `is needed to sign with ${which}`);
  return { certDer: src.certDer, privateKey: src.privateKey };
}

function rec(role: RoleName, c: CertInput): RecordInput {
  const r: RecordInput = { role, certDer: c.certDer };
  if (c.dnsName !== undefined) r.dnsName = c.dnsName;
  if (c.ipAddress !== undefined) r.ipAddress = c.ipAddress;
  return r;
}

export function defaultSignerVersion(records: RecordInput[]): '1.0' | '1.1' {
  return records.some((r) => r.certDer && parseCertificate(r.certDer).key?.type === 'ec') ? '1.1' : '1.0';
}

/**
 * The ITL as CUCM builds it: ITLRecovery (SAST, signer), the TFTP node's CallManager certificate twice (CCM+TFTP and
 * SAST), every TVS certificate, the CAPF certificate(s), CallManager-ECDSA (CCM+TFTP).
 */
export function buildClusterItl(o: ClusterItlOptions): BuiltFile {
  const records: RecordInput[] = [
    rec('SAST', o.itlRecovery),
    rec('CCM+TFTP', o.callManager),
    rec('SAST', o.callManager),
    ...(o.tvs ?? []).map((c) => rec('TVS', c)),
    ...(o.capf ?? []).map((c) => rec('CAPF', c)),
    ...(o.callManagerEcdsa ? [rec('CCM+TFTP', o.callManagerEcdsa)] : []),
    ...(o.extra ?? []),
  ];
  const { itlRecovery: _r, callManager: _c, callManagerEcdsa: _e, tvs: _t, capf: _p, extra: _x, signWith: _s, ...rest } = o;
  return buildItl({ ...rest, signer: pickSigner(o), records, version: o.version ?? defaultSignerVersion(records) });
}

export interface RollbackItlOptions extends Omit<ItlOptions, 'records'> {
  /** Roles of the empty entries (default CCM+TFTP and TVS: "empty TVS and TFTP certificate sections"). */
  emptyRoles?: RoleName[];
}

/**
 * The ITL of "Prepare Cluster for Rollback to pre-8.0": still signed (so phones that trust the signer accept it) and
 * carrying the signer's SAST record, but with empty TFTP and TVS entries, so phones then accept unsigned configuration
 * and any new ITL. The empty-entry layout (role + empty subject/issuer, no certificate) is our reading.
 */
export function buildRollbackItl(o: RollbackItlOptions): BuiltFile {
  const { emptyRoles, ...rest } = o;
  const records: RecordInput[] = [
    { role: 'SAST', certDer: o.signer.certDer },
    ...(emptyRoles ?? (['CCM+TFTP', 'TVS'] as RoleName[])).map((role): RecordInput => ({ role, subjectName: '', issuerName: '' })),
  ];
  return buildItl({ ...rest, records });
}
