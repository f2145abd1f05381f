// What the runner adds to the scenario's recorder (reports): each phone's trust decisions, the TLS connections it made
// (configuration over HTTPS, CAPF, SIP), its registrations as small SIP flows, and each call's ladder from the B2BUA's
// journal of both legs.
import type { CallRecord } from '../../engine/calls/index.js';
import type { BootResult, RegistrationResult, TrustEvent } from '../../endpoints/index.js';
import type { ObservedFacts, ScenarioContext, StepContext } from '../model.js';
import { trustDecisionOf } from './facts.js';
import type { CallHandle, PhoneHandle } from './world.js';

export function recordTrust(ctx: StepContext, phone: string, events: readonly TrustEvent[]): void {
  for (const e of events) {
    ctx.recorder.trustDecision({ phone, item: e.file, decision: trustDecisionOf(e), detail: e.reason, stepId: ctx.stepId });
  }
}

/** The TLS connections of a boot: the configuration over HTTPS and the CAPF session. */
export function recordBootConnections(ctx: StepContext, p: PhoneHandle, boot: BootResult, httpsPort?: number): void {
  const host = p.cluster.host;
  for (const e of boot.events) {
    if (e.type === 'fetch' && e.tls) {
      const t = e.tls;
      ctx.recorder.connection({
        from: p.name,
        to: `${host}:${httpsPort ?? p.cluster.endpoints.https6971?.port ?? 6971}`,
        purpose: 'config',
        outcome: t.protocol ? 'accepted' : 'refused',
        ...(t.protocol ? { version: t.protocol } : {}),
        ...(t.suite ? { suite: t.suite } : {}),
        ...(t.serverKeyType ? { certificateType: t.serverKeyType === 'ec' ? ('ECDSA' as const) : ('RSA' as const) } : {}),
        ...(t.clientCertificate ? { clientCertificate: t.clientCertificate.toLowerCase() === 'lsc' ? ('lsc' as const) : ('mic' as const) } : { clientCertificate: 'none' as const }),
        ...(e.status !== 'ok' && e.reason ? { refusal: e.reason } : {}),
        stepId: ctx.stepId,
      });
    }
    if (e.type === 'capf' && e.tls) {
      ctx.recorder.connection({
        from: p.name,
        to: `${host}:${p.cluster.endpoints.capf?.port ?? 3804}`,
        purpose: 'capf',
        outcome: 'accepted',
        version: e.tls.protocol,
        suite: e.tls.cipher,
        certificate: 'CAPF',
        ...(e.status === 'refused' || e.status === 'failed' ? { refusal: e.detail } : {}),
        stepId: ctx.stepId,
      });
    }
  }
}

let registrations = 0;

/** A registration: its TLS connection (when TLS) and a REGISTER → answer flow for the ladder. */
export function recordRegistration(ctx: StepContext, p: PhoneHandle, r: RegistrationResult, facts: Pick<ObservedFacts, 'tls'>): void {
  const host = p.cluster.host;
  const port = r.server?.port;
  const t = facts.tls;
  if (t) {
    ctx.recorder.connection({
      from: p.name,
      to: `${host}:${port ?? 5061}`,
      purpose: 'sip',
      outcome: t.outcome ?? 'refused',
      ...(t.version ? { version: t.version } : {}),
      ...(t.suite ? { suite: t.suite } : {}),
      ...(t.certificate ? { certificate: t.certificate } : {}),
      ...(t.certificateType ? { certificateType: t.certificateType } : {}),
      ...(t.clientCertificate ? { clientCertificate: t.clientCertificate } : {}),
      ...(t.refusal ? { refusal: t.refusal } : {}),
      stepId: ctx.stepId,
    });
  }
  const id = `reg-${p.name}-${++registrations}`;
  ctx.recorder.flow(id, { kind: 'registration', title: `registration of ${p.name} (${p.spec.deviceName})`, parties: [p.name, host], outcome: r.outcome });
  if (!r.registers && r.status === undefined) {
    ctx.recorder.sip(id, { from: p.name, to: host, summary: `no REGISTER sent: ${r.reason}`, stepId: ctx.stepId });
    return;
  }
  const via = `${r.transport}${t?.suite ? ` ${t.version} ${t.suite}` : ''}`;
  ctx.recorder.sip(id, { from: p.name, to: host, method: 'REGISTER', summary: `sip:${p.phone.sip?.line ?? p.spec.lines[0] ?? ''} over ${via}`, stepId: ctx.stepId });
  if (r.status !== undefined) ctx.recorder.sip(id, { from: host, to: p.name, status: r.status, reason: r.status === 200 ? 'OK' : r.reason, ...(r.expires ? { summary: `Expires: ${r.expires}` } : {}), stepId: ctx.stepId });
}

/** The B2BUA's record of a call (matched by the caller's Call-ID). */
export function callRecordOf(h: CallHandle): CallRecord | undefined {
  const callId = h.out.callId;
  return h.from.cluster.b2bua.calls.find((c) => c.legs.A.callId === callId);
}

/** Appends the call's new journal entries (both legs, in time order) to its flow. */
export function recordCallFlow(ctx: ScenarioContext & { stepId?: string }, h: CallHandle, recorded: { count: number }): void {
  const rec = callRecordOf(h);
  const host = h.from.cluster.host;
  const to = h.to?.name ?? h.leg.dial ?? 'far end';
  const id = `call-${h.leg.id}`;
  ctx.recorder.flow(id, {
    kind: 'call',
    title: `call ${h.leg.id}: ${h.from.name} → ${to}`,
    parties: [h.from.name, host, to],
    ...(rec ? { outcome: rec.end ? `ended (${rec.end.reason}${rec.end.status ? ` ${rec.end.status}` : ''})` : rec.state } : {}),
    ...(rec?.security ? { security: rec.security.status } : {}),
    ...(rec?.media?.suite ? { srtpSuite: rec.media.suite } : rec?.media ? { srtpSuite: 'RTP' } : {}),
  });
  if (!rec) return;
  const journal = rec.journal;
  const now = Date.now();
  const tNow = ctx.recorder.now();
  for (const e of journal.slice(recorded.count)) {
    const phone = e.leg === 'A' ? h.from.name : to;
    ctx.recorder.sip(id, {
      tMs: Math.max(0, tNow - (now - e.at)),
      from: e.direction === 'in' ? phone : host,
      to: e.direction === 'in' ? host : phone,
      ...(e.status === undefined ? { method: e.method } : { status: e.status, reason: e.summary.replace(/^\d+\s*/, '').replace(/\s*\[.*$/, '') }),
      cseq: `${e.cseq} ${e.method}`,
      ...(/\[(.*)\]$/.test(e.summary) ? { summary: /\[(.*)\]$/.exec(e.summary)![1]! } : {}),
      ...(ctx.stepId ? { stepId: ctx.stepId } : {}),
    });
  }
  recorded.count = journal.length;
}
