// The outbound side of the cluster's SIP trunks: where calls routed to a trunk go (engine/calls TrunkRoutes from the
// configured destinations and profiles) and how the TLS connection a secure trunk opens is checked. The cluster
// presents its CallManager certificate as client certificate; the peer's server certificate must carry one of the
// profile's X.509 subject names (the check CUCM makes on incoming connections, 001 L8563, applied to the peer either
// way) and chain to CallManager-trust (002 L3247-3249: a shared enterprise CA there is all two clusters need).
// The inbound side (ACL, subject names at the handshake, digest) is engine/sip's trunk admission.
import type { X509Certificate } from 'node:crypto';
import type { TrunkRoute } from '../calls/index.js';
import type { SipTarget } from '../sip/transport/index.js';
import { matchSubjectNames, subjectLine, verifyChain, type PeerChain, type Verdict } from '../tls/peer-verification.js';
import type { ClusterConfig, TrunkConfig } from './config.js';

/** One outbound trunk TLS check, as the cluster journal records it. */
export interface TrunkTlsDecision {
  /** The trunks the connection was for (several when they share destination and expected name). */
  trunks: string[];
  remote: string;
  servername?: string;
  outcome: 'accepted' | 'refused';
  /** Which check refused it: 'subject' (X.509 subject names) or 'trust' (chain to CallManager-trust). */
  stage?: 'subject' | 'trust' | 'unknown-trunk';
  reason?: string;
  peerSubject: string;
  peerFingerprint256: string;
  /** The subject name of the profile the certificate matched. */
  matched?: string;
}

/** The server name a secure trunk expects: the profile's first X.509 subject name (sent as SNI, keys its connection). */
export function trunkServerName(config: ClusterConfig, t: TrunkConfig): string | undefined {
  const p = config.trunkProfiles[t.profile];
  if (!p || p.deviceSecurityMode === 'non-secure') return undefined;
  return p.x509SubjectNames[0];
}

/**
 * engine/calls routes for the configured trunks: target = the first destination over the profile's outgoing transport
 * (`port` overrides the configured destination port, e.g. an embedded peer listening on an OS-chosen port).
 */
export function trunkRoutes(config: ClusterConfig, port?: (t: TrunkConfig) => number | undefined): TrunkRoute[] {
  return Object.values(config.trunks).map((t) => {
    const p = config.trunkProfiles[t.profile]!;
    const d = t.destinations[0];
    const servername = trunkServerName(config, t);
    // An Authenticated trunk profile offers NULL-SHA only (001 L5729, L8556: integrity without encryption).
    const tlsMode = p.outgoingTransport === 'TLS' && p.deviceSecurityMode !== 'non-secure' ? p.deviceSecurityMode : undefined;
    return {
      name: t.name,
      srtpAllowed: t.srtpAllowed,
      ...(d ? { target: { transport: p.outgoingTransport, host: d.address, port: port?.(t) ?? d.port, ...(servername ? { servername } : {}), ...(tlsMode ? { tlsMode } : {}) } } : {}),
    };
  });
}

/**
 * The TLS client's check of a trunk peer's server certificate. The trunk is found by destination address and expected
 * server name; its profile's subject names, then the chain to `trust()` (CallManager-trust), must hold.
 */
export function outboundTrunkVerifier(config: () => ClusterConfig, trust: () => readonly X509Certificate[], record: (d: TrunkTlsDecision) => void): (chain: PeerChain, target: SipTarget) => Verdict {
  return (chain, target) => {
    const c = config();
    const name = target.servername?.toLowerCase();
    const authenticated = target.tlsMode === 'authenticated';
    const trunks = Object.values(c.trunks).filter(
      (t) => t.destinations.some((d) => d.address === target.host) && trunkServerName(c, t)?.toLowerCase() === name && (c.trunkProfiles[t.profile]?.deviceSecurityMode === 'authenticated') === authenticated,
    );
    const base = { trunks: trunks.map((t) => t.name), remote: `${target.host}:${target.port}`, ...(target.servername ? { servername: target.servername } : {}), peerSubject: subjectLine(chain.leaf), peerFingerprint256: chain.leaf.fingerprint256 };
    const refuse = (stage: NonNullable<TrunkTlsDecision['stage']>, reason: string): Verdict => {
      record({ ...base, outcome: 'refused', stage, reason });
      return { ok: false, reason };
    };
    if (trunks.length === 0) return refuse('unknown-trunk', `no secure SIP trunk of ${c.name} goes to ${target.host}${target.servername ? ` expecting ${target.servername}` : ''}`);
    const reasons: string[] = [];
    for (const t of trunks) {
      const names = c.trunkProfiles[t.profile]!.x509SubjectNames;
      const m = matchSubjectNames(chain.leaf, names);
      if (!m.ok) {
        reasons.push(`trunk ${t.name} (profile ${t.profile}): ${m.reason}`);
        continue;
      }
      const v = verifyChain(chain, trust(), new Date(), 'CallManager-trust');
      if (!v.ok) return refuse('trust', `trunk ${t.name}: untrusted server certificate: ${v.reason}`);
      record({ ...base, outcome: 'accepted', matched: m.matched });
      return { ok: true, detail: `trunk ${t.name} (${m.on} ${m.matched})` };
    }
    return refuse('subject', reasons.join('; '));
  };
}
