// CUCM's procedure for a CA-signed certificate (002 L1857-1862, 001 L4388): upload the CA certificate to the
// purpose's trust store, generate the CSR (multi-server distribution when asked, 001 L1387), have the CA sign it,
// upload the signed certificate with the right purpose. Here the CA is the emulated EnterpriseCa, so the whole round
// trip runs in one call; the cluster's own rules (key of the pending CSR, validity, usages, chain to the trust
// store) check the result exactly as they would check a real CA's answer.
import type { ClusterPki, IdentityCertificate } from './cluster-pki.js';
import type { EnterpriseCa } from './enterprise-ca.js';
import type { PkiEvent } from './events.js';
import { PURPOSE_RULES, type Purpose } from './purposes.js';

export interface CaEnrollmentResult {
  purpose: Purpose;
  /** 'unchanged' when the certificate in use is already this CA's, with the wanted distribution. */
  action: 'signed' | 'unchanged';
  certificate: IdentityCertificate;
  events: PkiEvent[];
}

/** Whether `purpose`'s certificate in use is issued by `ca` (and multi-server when `multiServer`). */
export function isSignedByCa(pki: ClusterPki, ca: EnterpriseCa, purpose: Purpose, multiServer = false): boolean {
  const c = pki.certificate(purpose);
  return c.signedBy === 'ca' && c.multiServer === multiServer && ca.issued(c.certificate);
}

/** Replaces `purpose`'s certificate with one `ca` signs for a CSR of the cluster (no-op when it already has one). */
export async function enrollWithEnterpriseCa(pki: ClusterPki, ca: EnterpriseCa, purpose: Purpose, o: { multiServer?: boolean } = {}): Promise<CaEnrollmentResult> {
  const multiServer = o.multiServer ?? false;
  if (isSignedByCa(pki, ca, purpose, multiServer)) return { purpose, action: 'unchanged', certificate: pki.certificate(purpose), events: [] };
  const events: PkiEvent[] = [];
  const store = PURPOSE_RULES[purpose].caTrustStore;
  for (const r of await pki.importTrustCertificate(store, ca.certificate.pem, { description: 'enterprise CA (root)' })) if (r.event) events.push(r.event);
  const csr = await pki.generateCsr(purpose, { multiServer });
  events.push(csr.event);
  const signed = ca.signCsr(csr.pem);
  events.push(...(await pki.uploadCertificate(purpose, signed.pem + ca.certificate.pem)));
  return { purpose, action: 'signed', certificate: pki.certificate(purpose), events };
}
