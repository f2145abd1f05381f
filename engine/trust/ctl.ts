// CTLFile.tlv / CTLSEP<MAC>.tlv: the Certificate Trust List of a mixed-mode cluster (tokenless, CUCM 10.5+).
import type { RecordInput } from './records.js';
import { Role, roleCode } from './tags.js';
import { buildTrustList, type BuiltFile, type TrustListOptions } from './trust-list.js';
import { defaultSignerVersion, normalizeMac, pickSigner, type CertInput, type KeyedCertInput, type SignWith } from './itl.js';

export const CTL_FILENAME = 'CTLFile.tlv';

export type CtlOptions = Omit<TrustListOptions, 'filename'> & { filename?: string };

/** Builds a CTL from explicit records. A CTL never lists TVS certificates: that is warned about, not refused. */
export function buildCtl(o: CtlOptions): BuiltFile {
  const built = buildTrustList(o, CTL_FILENAME);
  if (o.records.some((r) => roleCode(r.role) === Role.TVS)) built.warnings.push('TVS record in a CTL: CUCM lists TVS certificates in the ITL only');
  return built;
}

export function ctlFileNameFor(mac: string): string {
  return `CTLSEP${normalizeMac(mac)}.tlv`;
}

export interface CtlNode {
  /** The node's CallManager certificate (CCM+TFTP); CUCM writes the node's DNS name and IPv4 address with it. */
  callManager: CertInput;
  callManagerEcdsa?: CertInput;
}

export interface ClusterCtlOptions extends Omit<CtlOptions, 'signer' | 'records' | 'version'> {
  itlRecovery: KeyedCertInput;
  /** The publisher's CallManager certificate: second SAST record, and the publisher's CCM+TFTP record. */
  callManager: KeyedCertInput;
  callManagerEcdsa?: CertInput;
  /** Other CallManager nodes (subscribers). */
  nodes?: CtlNode[];
  capf?: CertInput[];
  /** Stand-alone TFTP servers (role TFTP). */
  tftp?: CertInput[];
  /** ASA firewalls: CUCM lists them as CCM. */
  firewalls?: CertInput[];
  /** 'itlRecovery' (12.0+ tokenless CTL, default) or 'callManager' (10.5/11.5, and `utils ctl reset localkey`). */
  signWith?: SignWith;
  version?: '1.0' | '1.1';
}

function rec(role: RecordInput['role'], c: CertInput): RecordInput {
  const r: RecordInput = { role, certDer: c.certDer };
  if (c.dnsName !== undefined) r.dnsName = c.dnsName;
  if (c.ipAddress !== undefined) r.ipAddress = c.ipAddress;
  return r;
}

/**
 * The tokenless CTL for mixed mode: two SAST records (ITLRecovery and CallManager), then CCM+TFTP per node (with its
 * CallManager-ECDSA), CAPF, TFTP servers and firewalls.
 */
export function buildClusterCtl(o: ClusterCtlOptions): BuiltFile {
  const records: RecordInput[] = [
    rec('SAST', o.itlRecovery),
    rec('SAST', o.callManager),
    rec('CCM+TFTP', o.callManager),
    ...(o.callManagerEcdsa ? [rec('CCM+TFTP', o.callManagerEcdsa)] : []),
    ...(o.nodes ?? []).flatMap((n) => [rec('CCM+TFTP', n.callManager), ...(n.callManagerEcdsa ? [rec('CCM+TFTP', n.callManagerEcdsa)] : [])]),
    ...(o.capf ?? []).map((c) => rec('CAPF', c)),
    ...(o.tftp ?? []).map((c) => rec('TFTP', c)),
    ...(o.firewalls ?? []).map((c) => rec('CCM', c)),
  ];
  const { itlRecovery: _r, callManager: _c, callManagerEcdsa: _e, nodes: _n, capf: _p, tftp: _t, firewalls: _f, signWith: _s, ...rest } = o;
  return buildCtl({ ...rest, signer: pickSigner(o), records, version: o.version ?? defaultSignerVersion(records) });
}
