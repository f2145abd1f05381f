// What the engine reports, turned into the facts `expect:` reads (model.ts ObservedFacts): a boot's trust decisions
// and configuration download, a registration's outcome and TLS, a CAPF session, a call's state and media streams,
// the cluster's trust-list state. Pure functions over the engine's result types; no I/O.
import { createHash } from 'node:crypto';
import type { EmbeddedCluster } from '../../engine/cluster/index.js';
import type { Purpose } from '../../engine/pki/index.js';
import { parseTrustList } from '../../engine/trust/index.js';
import type { BootResult, CallResult, RegistrationResult, TrustEvent } from '../../endpoints/index.js';
import type { ObservedFacts, ObservedMediaStream } from '../model.js';
import type { TrustDecision } from '../vocabulary.js';

type TrustFacts = NonNullable<ObservedFacts['trust']>;
type TrustKey = Exclude<keyof TrustFacts, 'tvs'>;

/** The scenario language's word for one decision of the phone's trust store. */
export function trustDecisionOf(e: TrustEvent): TrustDecision {
  if (e.decision === 'accepted') {
    switch (e.basis) {
      case 'tofu':
        return 'leap-of-faith';
      case 'tvs':
        return 'verified-by-tvs';
      case 'rollback':
        return e.kind === 'config' ? 'accepted-unsigned' : 'leap-of-faith';
      case 'no-trust-list':
      case 'verified-channel':
        return 'accepted-unsigned';
      default:
        return 'verified';
    }
  }
  return e.tvs?.status === 'invalid' ? 'rejected-by-tvs' : 'rejected';
}

/** Which trust item a decision is about: trust lists, the configuration, or a server certificate by role. */
export function trustKeyOf(e: TrustEvent): TrustKey | undefined {
  if (e.kind === 'ctl' || e.kind === 'itl' || e.kind === 'config') return e.kind;
  const role = e.file.split(' ')[0];
  if (role === 'CAPF') return 'capfCertificate';
  if (role === 'TVS') return 'tvsCertificate';
  return 'serverCertificate';
}

/** Trust facts of a boot or a registration: the last decision per item, TVS's last answer, a CTL never offered. */
export function trustFacts(events: readonly TrustEvent[], boot?: BootResult): TrustFacts | undefined {
  const out: TrustFacts = {};
  for (const e of events) {
    const k = trustKeyOf(e);
    if (k) out[k] = trustDecisionOf(e);
  }
  if (boot && out.ctl === undefined && boot.steps.some((s) => s.step === 'ctl' && (s.outcome === 'not-found' || s.outcome === 'skipped'))) out.ctl = 'not-offered';
  if (boot && out.itl === undefined && boot.steps.some((s) => s.step === 'itl' && (s.outcome === 'not-found' || s.outcome === 'skipped'))) out.itl = 'not-offered';
  const asked = events.filter((e) => e.tvs);
  if (asked.length) out.tvs = asked.at(-1)!.tvs!.status;
  else if (boot) out.tvs = 'not-queried';
  return Object.keys(out).length ? out : undefined;
}

const DOORS = { tftp: 'tftp', http: 'http-6970', 'https-6971': 'https-6971' } as const;

/** The configuration download of a boot: what arrived, how it was protected, and over which door. */
export function configFacts(boot: BootResult, httpsDoor: 'https-6971' | 'https-6972' = 'https-6971'): ObservedFacts['config'] {
  const door = (t: keyof typeof DOORS) => (t === 'https-6971' ? httpsDoor : DOORS[t]);
  if (boot.ready) {
    const v = boot.ready.configVia;
    return { outcome: 'downloaded', file: boot.ready.configFile, signed: v.form !== 'plain', encrypted: v.form === 'encrypted', door: door(v.transport) };
  }
  if (boot.failedStep === 'ctl' || boot.failedStep === 'itl') return undefined;
  const fetches = boot.events.filter((e): e is Extract<typeof e, { type: 'fetch' }> => e.type === 'fetch' && e.step === 'config');
  const trusted = boot.events.filter((e): e is Extract<typeof e, { type: 'trust' }> => e.type === 'trust' && e.decision.kind === 'config');
  const lastOk = fetches.filter((f) => f.status === 'ok').at(-1);
  const base = lastOk ? { file: lastOk.file, door: door(lastOk.transport) } : {};
  if (boot.failedStep === 'ready') {
    const form = lastOk?.file.endsWith('.enc.sgn') ? 'encrypted' : lastOk?.file.endsWith('.sgn') ? 'signed' : 'plain';
    return { outcome: 'downloaded', ...base, signed: form !== 'plain', encrypted: form === 'encrypted' };
  }
  if (/cannot be decrypted|is encrypted but|decrypted to another stub/.test(boot.reason)) return { outcome: 'decrypt-failed', ...base, encrypted: true };
  if (trusted.at(-1)?.decision.decision === 'refused') return { outcome: 'rejected', ...base };
  if (fetches.some((f) => f.status === 'forbidden')) return { outcome: 'forbidden', ...base };
  return { outcome: 'not-found', ...base };
}

/** The purpose of the certificate a cluster door presented, found by fingerprint, else by subject (a forged one). */
export function certificatePurpose(cluster: EmbeddedCluster, fingerprint256: string | undefined, subject?: string): string | undefined {
  const fp = fingerprint256?.replace(/:/g, '').toLowerCase();
  const certs = cluster.pki.certificates();
  const byFp = fp ? certs.find((c) => c.certificate.fingerprintSha256.replace(/:/g, '').toLowerCase() === fp) : undefined;
  if (byFp) return byFp.purpose;
  if (!subject) return undefined;
  const cn = /CN=([^,\n]+)/.exec(subject)?.[1]?.trim();
  const bySubject = certs.find((c) => c.certificate.subjectCN === cn);
  return bySubject?.purpose;
}

/**
 * Registration and TLS facts of a REGISTER (or of the attempt to connect for one). `refused` means the registrar
 * answered with an error; a connection or TLS handshake that did not get that far is `failed`.
 */
export function registrationFacts(r: RegistrationResult, cluster: EmbeddedCluster): Pick<ObservedFacts, 'registration' | 'tls'> {
  const out: Pick<ObservedFacts, 'registration' | 'tls'> = {
    registration: {
      outcome: r.outcome === 'registered' ? 'registered' : r.outcome === 'timeout' ? 'timeout' : r.status !== undefined && r.status >= 300 ? 'refused' : 'failed',
      ...(r.status !== undefined ? { status: r.status } : {}),
      transport: r.transport,
      securityMode: r.securityMode,
    },
  };
  const t = r.tls;
  if (t) {
    const purpose = certificatePurpose(cluster, t.serverCertificate?.fingerprint256, t.serverCertificate?.subject);
    out.tls = {
      outcome: t.outcome,
      ...(t.version ? { version: t.version } : {}),
      ...(t.suite ? { suite: t.suite } : {}),
      ...(purpose ? { certificate: purpose } : {}),
      ...(t.certificateType ? { certificateType: t.certificateType } : {}),
      clientCertificate: t.clientCertificate,
      ...(t.refusal || t.serverTrust.decision === 'refused' ? { refusal: t.refusal ?? t.serverTrust.reason } : {}),
    };
  }
  return out;
}

type Enrollment = NonNullable<ObservedFacts['enrollment']>;

/** The CAPF session of a boot (an `enroll` step), as enrollment facts. */
export function enrollmentFacts(boot: BootResult, authMode: string | undefined, issuer: Enrollment['issuer']): Enrollment {
  const ev = boot.events.filter((e): e is Extract<typeof e, { type: 'capf' }> => e.type === 'capf').at(-1);
  if (!ev) {
    const step = boot.steps.filter((s) => s.step === 'capf').at(-1);
    return { outcome: 'not-attempted', reason: step?.reason ?? (boot.failedStep ? `the boot ended at ${boot.failedStep}: ${boot.reason}` : 'the configuration asks for no certificate operation') };
  }
  const outcome: Enrollment['outcome'] = ev.status === 'installed' ? 'issued' : ev.status === 'refused' ? 'refused' : ev.status === 'no-operation' ? 'not-attempted' : ev.status === 'retry-later' || ev.status === 'failed' ? 'failed' : undefined;
  // The mode the phone used is the first word of its CAPF step's summary ("auth-string at host:port: …").
  const step = boot.steps.filter((s) => s.step === 'capf').at(-1);
  const mode = /^(auth-string|null-string|existing-mic|existing-lsc)\b/.exec(step?.reason ?? '')?.[1] ?? authMode;
  const by =
    ev.authenticatedWith === 'MIC' ? 'mic' : ev.authenticatedWith === 'LSC' ? 'lsc' : mode === 'auth-string' ? 'auth-string' : mode === 'null-string' && ev.status === 'installed' ? 'null-string' : undefined;
  return {
    ...(outcome ? { outcome } : {}),
    ...(by ? { authenticatedWith: by } : {}),
    ...(ev.lsc ? { keyType: ev.lsc.keyType === 'EC' ? 'EC' : 'RSA', keySize: ev.lsc.keySize } : {}),
    ...(outcome === 'issued' && issuer ? { issuer } : {}),
    reason: `${ev.status}: ${ev.detail}`,
  };
}

/** One phone's side of a call as a media stream (its session: what it sent, what it received and checked). */
export function streamOf(callId: string, phone: string, r: CallResult): ObservedMediaStream | undefined {
  const s = r.stats;
  if (!r.media && !s) return undefined;
  const recv = s?.receive;
  return {
    id: `${callId}/${phone}`,
    srtp: r.media?.srtp ?? s?.suite != null,
    ...(r.media?.suite ? { suite: r.media.suite } : s?.suite ? { suite: s.suite } : {}),
    packetsSent: s?.send?.packets ?? 0,
    packetsReceived: recv?.packets ?? 0,
    authFailures: recv?.authFailures ?? 0,
    replays: recv?.replays ?? 0,
    lost: recv?.lost ?? 0,
    late: recv?.late ?? 0,
    jitterMs: Math.round((recv?.jitterMs ?? 0) * 100) / 100,
  };
}

type ClusterFacts = NonNullable<ObservedFacts['cluster']>;

/** Purposes with a record in the ITL the TFTP service serves now. */
export function itlPurposes(cluster: EmbeddedCluster): Purpose[] {
  const list = parseTrustList(cluster.itl().bytes, { unknownTags: 'keep' });
  const byDer = new Map(cluster.pki.certificates().map((c) => [createHash('sha256').update(c.der).digest('hex'), c.purpose]));
  const out = new Set<Purpose>();
  for (const r of list.records) {
    if (!r.certificate) continue;
    const p = byDer.get(createHash('sha256').update(r.certificate).digest('hex'));
    if (p) out.add(p);
  }
  return [...out];
}

/** The cluster's security mode and trust lists now, plus what an operation said (resets queued, warnings). */
export function clusterFacts(cluster: EmbeddedCluster, extra: { phoneResets?: number; warnings?: string[] } = {}): ClusterFacts {
  const s = cluster.status();
  const signer = (x: string) => (x === 'callManager' ? 'CallManager' : 'ITLRecovery');
  return {
    securityMode: s.securityMode,
    ctl: s.ctl ? 'present' : 'absent',
    itlSigner: signer(s.itlSigner),
    ...(s.ctl ? { ctlSigner: signer(s.ctl.signWith) } : {}),
    itlCertificates: itlPurposes(cluster),
    phoneResets: extra.phoneResets ?? 0,
    warnings: extra.warnings ?? [],
  };
}
