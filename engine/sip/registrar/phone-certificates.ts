// Verifiers for phone client certificates at the TLS handshake. CAPF-issued LSCs carry CAPF's EKU, which makes
// OpenSSL's rejectUnauthorized refuse them as client certificates, so the chain is checked in code: with the
// cluster's PKI (verifyCertificateChain on CallManager-trust, CUCM-style) or with plain trust anchors.
import type { X509Certificate } from 'node:crypto';
import { parseCertificate, type CertificateInfo, type ClusterPki } from '../../pki/index.js';
import { type PeerChain, type PhoneTrust, deviceNameOf, subjectLine, verifyPhoneCertificate } from '../../tls/peer-verification.js';
import type { PeerIdentity } from '../transport/index.js';

export type PhoneCertificateVerifier = (chain: PeerChain) => { ok: true; identity: Extract<PeerIdentity, { kind: 'phone' }> } | { ok: false; reason: string };

export interface PhoneVerifierCacheOptions {
  /** Verified chains kept (default 20 000; 0 turns the cache off). */
  maxEntries?: number;
  /** The clock validity dates are checked against on a cache hit (default: the system clock, as the pki's default). */
  now?: () => Date;
}

interface CachedVerdict {
  generation: number;
  notBefore: number;
  notAfter: number;
  identity: Extract<PeerIdentity, { kind: 'phone' }>;
}

/**
 * Verifies MICs (CN=CP-<model>-SEP<MAC>) and LSCs (CN=device name) against one of the cluster's trust stores.
 * Chains found trusted are remembered by their certificates' SHA-256 fingerprints, so a phone's next handshake does
 * not parse and verify the same chain again: an entry holds while the pki's generation is the same (every change of
 * a trust store is a new generation) and the clock is inside the validity of every certificate of its path.
 */
export function phoneVerifierFromPki(pki: Pick<ClusterPki, 'verifyCertificateChain'> & { readonly generation?: number }, store = 'CallManager-trust', opts: PhoneVerifierCacheOptions = {}): PhoneCertificateVerifier {
  const max = opts.maxEntries ?? 20_000;
  const now = opts.now ?? (() => new Date());
  const cache = new Map<string, CachedVerdict>();
  // Phones send the same few issuers (CAPF, the manufacturing CAs): parsed once, not at every phone's first handshake.
  const issuers = new Map<string, CertificateInfo>();
  const parsed = (c: X509Certificate): CertificateInfo => {
    let info = issuers.get(c.fingerprint256);
    if (!info) {
      info = parseCertificate(c.raw, `intermediate "${subjectLine(c)}"`);
      if (issuers.size >= 256) issuers.delete(issuers.keys().next().value!);
      issuers.set(c.fingerprint256, info);
    }
    return info;
  };
  return (chain) => {
    const bound = deviceNameOf(chain.leaf);
    if (!bound) return { ok: false, reason: `certificate "${subjectLine(chain.leaf)}" names no device (expected CN=SEP<MAC> or CN=CP-<model>-SEP<MAC>)` };
    const generation = pki.generation;
    const cacheable = max > 0 && typeof generation === 'number';
    const key = cacheable ? [chain.leaf, ...chain.intermediates].map((c) => c.fingerprint256).join('/') : '';
    if (cacheable) {
      const hit = cache.get(key);
      const t = now().getTime();
      if (hit && hit.generation === generation && t >= hit.notBefore && t <= hit.notAfter) {
        // Most recently used last: eviction takes the oldest first.
        cache.delete(key);
        cache.set(key, hit);
        return { ok: true, identity: { ...hit.identity } };
      }
      if (hit) cache.delete(key);
    }
    let certs: (string | CertificateInfo)[];
    try {
      certs = [chain.leaf.toString(), ...chain.intermediates.map(parsed)];
    } catch (err) {
      return { ok: false, reason: `${bound.form} of ${bound.deviceName}: ${(err as Error).message}` };
    }
    const v = pki.verifyCertificateChain(store, certs, { purpose: 'clientAuth', at: now() });
    if (!v.trusted) return { ok: false, reason: `untrusted ${bound.form} of ${bound.deviceName}: ${v.reason ?? 'no trusted issuer'} (${store})` };
    const anchor = v.path[v.path.length - 1];
    const identity: Extract<PeerIdentity, { kind: 'phone' }> = { kind: 'phone', deviceName: bound.deviceName, form: bound.form, detail: `${bound.form} of ${bound.deviceName} chained to ${anchor?.subject ?? store}` };
    if (cacheable && generation === pki.generation) {
      const notBefore = Math.max(...v.path.map((c) => c.notBefore.getTime()));
      const notAfter = Math.min(...v.path.map((c) => c.notAfter.getTime()));
      cache.set(key, { generation, notBefore, notAfter, identity });
      if (cache.size > max) cache.delete(cache.keys().next().value!);
    }
    return { ok: true, identity: { ...identity } };
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
