// Verifiers for phone client certificates at the TLS handshake. CAPF-issued LSCs carry CAPF's EKU, which makes
// OpenSSL's rejectUnauthorized refuse them as client certificates, so the chain is checked in code: with the
// cluster's PKI (verifyCertificateChain on CallManager-trust, CUCM-style) or with plain trust anchors.
import type { X509Certificate } from 'node:crypto';
import type { ClusterPki } from '../../pki/index.js';
import { type PeerChain, type PhoneTrust, deviceNameOf, subjectLine, verifyPhoneCertificate } from '../../tls/peer-verification.js';
import type { PeerIdentity } from '../transport/index.js';

export type PhoneCertificateVerifier = (chain: PeerChain) => { ok: true; identity: Extract<PeerIdentity, { kind: 'phone' }> } | { ok: false; reason: string };

/** Verifies MICs (CN=CP-<model>-SEP<MAC>) and LSCs (CN=device name) against one of the cluster's trust stores. */
export function phoneVerifierFromPki(pki: Pick<ClusterPki, 'verifyCertificateChain'>, store = 'CallManager-trust'): PhoneCertificateVerifier {
  return (chain) => {
    const bound = deviceNameOf(chain.leaf);
    if (!bound) return { ok: false, reason: `certificate "${subjectLine(chain.leaf)}" names no device (expected CN=SEP<MAC> or CN=CP-<model>-SEP<MAC>)` };
    const pems = [chain.leaf, ...chain.intermediates].map((c: X509Certificate) => c.toString());
    const v = pki.verifyCertificateChain(store, pems, { purpose: 'clientAuth' });
    if (!v.trusted) return { ok: false, reason: `untrusted ${bound.form} of ${bound.deviceName}: ${v.reason ?? 'no trusted issuer'} (${store})` };
    const anchor = v.path[v.path.length - 1];
    return {
      ok: true,
      identity: { kind: 'phone', deviceName: bound.deviceName, form: bound.form, detail: `${bound.form} of ${bound.deviceName} chained to ${anchor?.subject ?? store}` },
    };
  };
}

/** The same with explicit anchors (MIC roots, LSC issuers), via engine/tls verifyPhoneCertificate. */
export function phoneVerifierFromTrust(trust: PhoneTrust): PhoneCertificateVerifier {
  return (chain) => {
    const v = verifyPhoneCertificate(chain, trust);
    if (!v.ok) return v;
    return { ok: true, identity: { kind: 'phone', deviceName: v.deviceName, form: v.kind, detail: v.detail } };
  };
}
