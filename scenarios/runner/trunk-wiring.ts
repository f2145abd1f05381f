// SIP trunks between a scenario's embedded clusters. Each end of a scenario trunk becomes a CUCM SIP trunk on its
// cluster: its security profile, the other cluster's address as destination (the ACL of incoming requests, and where
// calls go), SRTP Allowed. After every cluster has started, each B2BUA gets a route per trunk (to the peer's bound
// SIP port) and a route pattern per line of the phones on the far cluster; a call step's `via` picks the trunk for the
// number it dials. Trunk TLS facts for `expect: tls` come from the caller cluster's journal (engine/cluster trunks.ts).
import { RoutePlan, type RouteDecision } from '../../engine/calls/index.js';
import type { ClusterConfigInput, TrunkInput, TrunkProfileInput } from '../../engine/cluster/index.js';
import type { TrunkTlsDecision } from '../../engine/cluster/index.js';
import type { ClusterSpec, ObservedTls, ScenarioPlan, TrunkEndSpec, TrunkSpec } from '../model.js';
import { certificatePurpose } from './facts.js';
import type { CallHandle, ClusterHandle, World } from './world.js';

/** A route plan whose trunk for a number can be chosen per call (`call … via:`), else by its route patterns. */
export class ViaRoutePlan extends RoutePlan {
  readonly #via = new Map<string, string>();

  /** Calls to `dn` leave over `trunk` from now on. */
  routeVia(dn: string, trunk: string): void {
    if (!this.trunk(trunk)) throw new Error(`no trunk "${trunk}" in this cluster's route plan (known: ${this.trunks.map((t) => t.name).join(', ') || 'none'})`);
    this.#via.set(dn, trunk);
  }

  override resolve(dn: string, isLine: (dn: string) => boolean): RouteDecision {
    const d = super.resolve(dn, isLine);
    const via = this.#via.get(dn);
    return d.kind === 'trunk' && via ? { ...d, trunk: this.trunk(via)! } : d;
  }
}

/** The other end of a trunk. */
function otherEnd(t: TrunkSpec, cluster: string): TrunkEndSpec {
  return t.ends[0].cluster === cluster ? t.ends[1] : t.ends[0];
}

function endOf(t: TrunkSpec, cluster: string): TrunkEndSpec | undefined {
  return t.ends.find((e) => e.cluster === cluster);
}

/**
 * The name each scenario trunk has on `cluster`. Ends that are the same SIP trunk there (same far cluster, profile and
 * SRTP Allowed: variants that differ only at the other end) are one trunk, named after the first: CUCM refuses one
 * subject name on one incoming port for two trunks (001 L8563).
 */
export function trunkNamesOn(plan: ScenarioPlan, cluster: string): Map<string, string> {
  const out = new Map<string, string>();
  const seen = new Map<string, string>();
  for (const t of plan.trunks) {
    const mine = endOf(t, cluster);
    if (!mine) continue;
    const k = JSON.stringify([otherEnd(t, cluster).cluster, mine.profile, mine.srtpAllowed]);
    const first = seen.get(k);
    out.set(t.name, first ?? t.name);
    if (!first) seen.set(k, t.name);
  }
  return out;
}

/** What the embedded clusters cannot do with a scenario's trunks (setup errors, one line each). */
export function unsupportedTrunkFeatures(spec: ClusterSpec, plan: ScenarioPlan): string[] {
  const out: string[] = [];
  for (const t of plan.trunks) {
    const mine = endOf(t, spec.name);
    if (!mine) continue;
    const p = plan.trunkProfiles[mine.profile]!;
    const secure = p.deviceSecurityMode !== 'non-secure';
    if (p.incomingPort !== (secure ? 5061 : 5060)) out.push(`trunks.${t.name}: profile ${p.name} listens on ${p.incomingPort}; the embedded cluster takes trunks on its SIP ports only (5061 for TLS, 5060 for TCP/UDP)`);
    if (p.enableDigestAuthentication) out.push(`trunks.${t.name}: profile ${p.name} enables digest authentication, which the runner has no application user for`);
    if (secure && p.outgoingTransport !== 'TLS') out.push(`trunks.${t.name}: profile ${p.name} is ${p.deviceSecurityMode} but sends over ${p.outgoingTransport}`);
    if (p.outgoingTransport === 'UDP') out.push(`trunks.${t.name}: outgoing transport UDP is not wired (use TCP or TLS)`);
  }
  // The uniqueness rule of 001 L8563 on the merged trunks.
  const names = trunkNamesOn(plan, spec.name);
  const byName = new Map<string, string>();
  for (const t of plan.trunks) {
    if (names.get(t.name) !== t.name) continue;
    const p = plan.trunkProfiles[endOf(t, spec.name)!.profile]!;
    for (const n of p.x509SubjectNames) {
      const k = `${p.incomingPort}|${n.toLowerCase()}`;
      const prev = byName.get(k);
      if (prev) out.push(`trunks ${prev} and ${t.name}: subject name ${n} on port ${p.incomingPort} for two SIP trunks of ${spec.name} (001 L8563)`);
      else byName.set(k, t.name);
    }
  }
  return out;
}

/** The trunk profiles and trunks of `spec`'s cluster configuration; `addresses`: cluster name → loopback address. */
export function trunkConfigFor(spec: ClusterSpec, plan: ScenarioPlan, addresses: Readonly<Record<string, string>>): Pick<ClusterConfigInput, 'trunkProfiles' | 'trunks'> {
  const names = trunkNamesOn(plan, spec.name);
  const trunkProfiles: Record<string, TrunkProfileInput> = {};
  const trunks: Record<string, TrunkInput> = {};
  for (const t of plan.trunks) {
    const mine = endOf(t, spec.name);
    if (!mine || names.get(t.name) !== t.name) continue;
    const peer = otherEnd(t, spec.name);
    const p = plan.trunkProfiles[mine.profile]!;
    if (!p.builtIn)
      trunkProfiles[p.name] = {
        deviceSecurityMode: p.deviceSecurityMode,
        incomingTransport: p.incomingTransport,
        outgoingTransport: p.outgoingTransport,
        incomingPort: p.incomingPort,
        x509SubjectNames: p.x509SubjectNames,
        enableDigestAuthentication: p.enableDigestAuthentication,
        ...(p.description ? { description: p.description } : {}),
      };
    const address = addresses[peer.cluster];
    if (!address) throw new Error(`trunks.${t.name}: cluster ${peer.cluster} has no address`);
    trunks[t.name] = {
      profile: p.name,
      destinations: [{ address, port: mine.port }],
      srtpAllowed: mine.srtpAllowed,
      peerCluster: peer.cluster,
      ...(t.description ? { description: t.description } : {}),
    };
  }
  return { trunkProfiles, trunks };
}

/** The route plan a scenario cluster's B2BUA starts with (routes are added by wireTrunks once every cluster runs). */
export function newRoutePlan(): ViaRoutePlan {
  return new ViaRoutePlan();
}

/**
 * Once every cluster has started: each cluster's B2BUA gets its trunks' routes (to the peer's bound SIP TLS or TCP
 * port) and an exact route pattern per line of the phones on the far cluster, to the first trunk that reaches it.
 */
export function wireTrunks(w: World): void {
  for (const h of w.clusters.values()) {
    const plan = h.routePlan;
    const config = h.cluster.config;
    const routes = h.cluster.trunkRoutes((t) => {
      const peer = t.peerCluster ? w.clusters.get(t.peerCluster) : undefined;
      if (!peer) return undefined;
      const outgoing = config.trunkProfiles[t.profile]!.outgoingTransport;
      return outgoing === 'TLS' ? peer.endpoints.sip.tls?.port : peer.endpoints.sip.tcp?.port;
    });
    for (const r of routes) plan.addTrunk(r);
    const names = trunkNamesOn(w.plan, h.name);
    const patterned = new Set<string>();
    for (const t of w.plan.trunks) {
      if (!endOf(t, h.name)) continue;
      const peer = otherEnd(t, h.name).cluster;
      for (const ph of w.plan.phones.filter((p) => p.cluster === peer))
        for (const dn of ph.lines) {
          if (patterned.has(dn)) continue;
          patterned.add(dn);
          plan.addPattern({ pattern: dn, trunk: names.get(t.name)! });
        }
    }
  }
}

/** Routes the number of a call step's leg over its `via` trunk on the caller's cluster. */
export function applyVia(w: World, from: ClusterHandle, via: string, dn: string): void {
  const name = trunkNamesOn(w.plan, from.name).get(via);
  if (!name) throw new Error(`trunk ${via} has no end on cluster ${from.name}`);
  from.routePlan.routeVia(dn, name);
}

/** The trunk a call left its caller's cluster on (from the B2BUA's record), with its latest TLS check there. */
export function trunkTlsFacts(w: World, h: CallHandle, trunk: string | undefined): ObservedTls | undefined {
  if (!trunk) return undefined;
  const caller = h.from.cluster;
  const decisions: TrunkTlsDecision[] = caller.cluster.journal.events({ kind: 'trunk-tls' }).map((e) => e.decision).filter((d) => d.trunks.includes(trunk));
  const d = decisions.at(-1);
  if (!d) return undefined;
  if (d.outcome === 'refused') return { outcome: 'refused', refusal: `${d.stage}: ${d.reason ?? ''}` };
  const peer = [...w.clusters.values()].find((c) => c.name === caller.cluster.config.trunks[trunk]?.peerCluster);
  const fp = d.peerFingerprint256;
  const purpose = peer ? certificatePurpose(peer.cluster, fp, d.peerSubject) : undefined;
  const rec = h.from.cluster.b2bua.calls.find((c) => c.legs.A.callId === h.out.callId);
  const leg = rec?.legs.B?.kind === 'trunk' ? rec.legs.B : undefined;
  return {
    outcome: 'accepted',
    ...(leg?.tls ? { version: leg.tls.protocol, suite: leg.tls.suite } : {}),
    ...(purpose ? { certificate: purpose } : {}),
    ...(purpose ? { certificateType: purpose.endsWith('-ECDSA') ? ('ECDSA' as const) : ('RSA' as const) } : {}),
  };
}
