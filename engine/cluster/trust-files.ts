// The cluster's ITL and CTL from its PKI and its state: which certificates, which roles, who signs. engine/trust
// builds the bytes; this module decides what CUCM would put in them at a given moment (security mode, `utils itl
// reset localkey`, `utils ctl reset localkey`, Prepare Cluster for Rollback, CAPF activated or not).
import type { KeyObject } from 'node:crypto';
import type { ClusterPki } from '../pki/cluster-pki.js';
import { buildClusterCtl, buildItl, buildRollbackItl, type BuiltFile, type DigestName, type RecordInput } from '../trust/index.js';
import { defaultSignerVersion, pickSigner, type SignWith } from '../trust/itl.js';
import type { ClusterSecurityMode } from './config.js';

export type TrustFileSigner = SignWith;

export interface ItlOptions {
  /** Non-secure: the TFTP node's CallManager certificate is listed as TFTP; mixed: as CCM+TFTP (seed002 §4.2). */
  securityMode: ClusterSecurityMode;
  /** 'callManager' after `utils itl reset localkey`, until the TFTP service restarts. */
  signWith: TrustFileSigner;
  /** "Prepare Cluster for Rollback to pre-8.0": the ITL with empty TVS and TFTP entries. */
  rollback: boolean;
  /** CAPF activated: its certificate is listed. */
  capfActive: boolean;
  digest?: DigestName;
  timestamp?: Date;
  /** The TFTP node (default the publisher). */
  tftpNode?: string;
  /** 'by-mode' (default) or always CCM+TFTP, as engine/trust's buildClusterItl writes it. */
  callManagerRole?: 'by-mode' | 'CCM+TFTP';
  /** Fault injection: signed by this key, listed as the SAST signer in ITLRecovery's place. */
  signerOverride?: { certDer: Uint8Array; privateKey: KeyObject };
}

function rec(role: RecordInput['role'], c: { certDer: Uint8Array; dnsName?: string }): RecordInput {
  const r: RecordInput = { role, certDer: c.certDer };
  if (c.dnsName !== undefined) r.dnsName = c.dnsName;
  return r;
}

/**
 * ITLFile.tlv as the TFTP node serves it: ITLRecovery (SAST, signer), the TFTP node's CallManager as TFTP or CCM+TFTP
 * and as SAST, every TVS, CAPF when activated, CallManager-ECDSA as CCM+TFTP (seed 000: in both lists). The record order
 * is engine/trust's buildClusterItl's. With rollback on: the rollback ITL, signed by the current signer.
 */
export function buildItlFor(pki: ClusterPki, o: ItlOptions): BuiltFile {
  const inputs = pki.trustListInputs(o.tftpNode);
  const signer = o.signerOverride ?? pickSigner({ itlRecovery: inputs.itlRecovery, callManager: inputs.callManager, signWith: o.signWith });
  const common = { ...(o.digest ? { digest: o.digest } : {}), ...(o.timestamp ? { timestamp: o.timestamp } : {}) };
  if (o.rollback) return buildRollbackItl({ signer, ...common });
  const cmRole = o.callManagerRole === 'CCM+TFTP' || o.securityMode === 'mixed' ? 'CCM+TFTP' : 'TFTP';
  const records: RecordInput[] = [
    rec('SAST', o.signerOverride ?? inputs.itlRecovery),
    rec(cmRole, inputs.callManager),
    rec('SAST', inputs.callManager),
    ...inputs.tvs.map((c) => rec('TVS', c)),
    ...(o.capfActive ? inputs.capf.map((c) => rec('CAPF', c)) : []),
    ...(inputs.callManagerEcdsa ? [rec('CCM+TFTP', inputs.callManagerEcdsa)] : []),
  ];
  return buildItl({ signer, records, version: defaultSignerVersion(records), ...common });
}

export interface CtlOptions {
  /** 'callManager' after `utils ctl reset localkey`, until `utils ctl update CTLFile`. */
  signWith: TrustFileSigner;
  capfActive: boolean;
  digest?: DigestName;
  timestamp?: Date;
}

/** The tokenless CTL (12.x): ITLRecovery and the publisher's CallManager as SAST, every node's CallManager(-ECDSA), CAPF. */
export function buildCtlFor(pki: ClusterPki, o: CtlOptions): BuiltFile {
  const inputs = pki.trustListInputs();
  return buildClusterCtl({
    itlRecovery: inputs.itlRecovery,
    callManager: inputs.callManager,
    ...(inputs.callManagerEcdsa ? { callManagerEcdsa: inputs.callManagerEcdsa } : {}),
    nodes: inputs.nodes,
    ...(o.capfActive ? { capf: inputs.capf } : {}),
    signWith: o.signWith,
    ...(o.digest ? { digest: o.digest } : {}),
    ...(o.timestamp ? { timestamp: o.timestamp } : {}),
  });
}
