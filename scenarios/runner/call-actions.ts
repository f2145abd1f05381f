// The call steps on the phones' SIP user agents, through the cluster's B2BUA: call (INVITE with the phone's SDES
// offer; optionally answered at once and hung up after `duration`), answer, hold, resume, hang up, and `wait` while
// media flows. Facts per phone: the call's outcome, final status, state and security status (the B2BUA's view of
// both legs), and the phone's media stream (SRTP suite, packets sent/received, authentication failures, replays,
// loss, late packets, jitter).
import type { CallResult, PhoneCall } from '../../endpoints/index.js';
import type { CallActionStep, CallLeg, CallStep, ObservedFacts, ScenarioContext, StepContext, StepObservation, SubjectObservation } from '../model.js';
import { streamOf } from './facts.js';
import { callRecordOf, recordCallFlow } from './recording.js';
import { applyVia, trunkNamesOn, trunkTlsFacts } from './trunk-wiring.js';
import { mapLimit, mediaWait, phoneOf, sleep, within, type CallHandle, type PhoneHandle, type World } from './world.js';

/** Polls `f` every 10 ms until it gives a value, the signal aborts, or `ms` pass. */
async function until<T>(f: () => T | undefined, ms: number, signal: AbortSignal, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (signal.aborted || Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10, signal);
  }
}

async function settle(call: PhoneCall, states: Parameters<PhoneCall['waitFor']>[0], ms: number): Promise<CallResult> {
  try {
    return await call.waitFor(states, ms);
  } catch {
    return call.result();
  }
}

/** The callee's side of a call, once the B2BUA has forwarded it there (through the far cluster's B2BUA over a trunk). */
function incomingOf(h: CallHandle): PhoneCall | undefined {
  if (h.in) return h.in;
  let b = callRecordOf(h)?.legs.B?.callId;
  if (b && h.trunk && h.to && h.to.cluster !== h.from.cluster) b = h.to.cluster.b2bua.calls.find((c) => c.legs.A.callId === b)?.legs.B?.callId;
  const found = b ? h.to?.phone.sip?.calls.find((c) => c.callId === b) : undefined;
  if (found) h.in = found;
  return found;
}

type CallFacts = NonNullable<ObservedFacts['call']>;

function callOutcome(r: CallResult): CallFacts['outcome'] {
  switch (r.outcome) {
    case 'connected':
      return 'connected';
    case 'ringing':
      return 'ringing';
    case 'rejected':
      return 'rejected';
    case 'trying':
      return r.state === 'ended' ? 'failed' : undefined;
    default:
      return 'failed';
  }
}

/** One phone's facts about a call: outcome, status, state, security status, its media stream. */
function phoneFacts(ctx: StepContext, h: CallHandle, p: PhoneHandle, call: PhoneCall | undefined): ObservedFacts {
  if (!call) return { outcome: 'failed', reason: `${p.name} never saw call ${h.leg.id}`, call: { outcome: 'failed' } };
  const r = call.result();
  const rec = callRecordOf(h);
  const state = r.state === 'calling' ? undefined : r.state;
  const status = r.status ?? (r.state === 'ringing' ? 180 : undefined);
  const security = rec?.security?.status ?? r.security;
  const facts: ObservedFacts = {
    call: {
      ...(callOutcome(r) ? { outcome: callOutcome(r) } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(state ? { state } : {}),
      ...(security ? { security } : {}),
    },
  };
  const other = p === h.from ? (h.to?.name ?? h.leg.dial ?? 'far end') : h.from.name;
  const s = streamOf(h.leg.id, p.name, r);
  if (s) {
    facts.media = [s];
    ctx.recorder.mediaStream({ ...s, call: h.leg.id, from: p.name, to: other, codec: r.stats?.codec === 'PCMA' ? 'G711a' : 'G711u', stepId: ctx.stepId });
  }
  if (r.state === 'ended' && !r.ok && r.problems.length) ctx.log.warn(`call ${h.leg.id}, ${p.name}: ${r.problems.join('; ')}`);
  return facts;
}

function subjects(w: World, ctx: StepContext, h: CallHandle): SubjectObservation[] {
  recordCallFlow(ctx, h, h.journalRecorded);
  const out: SubjectObservation[] = [{ subject: h.from.name, kind: 'phone', facts: phoneFacts(ctx, h, h.from, h.out) }];
  if (h.to) out.push({ subject: h.to.name, kind: 'phone', facts: phoneFacts(ctx, h, h.to, incomingOf(h)) });
  // A call over a trunk: `tls` is the trunk's connection, on both phones' facts (the step's one TLS connection).
  const tls = trunkTlsFacts(w, h, h.trunk);
  if (tls) {
    for (const s of out) s.facts.tls = tls;
    if (!h.trunkRecorded) {
      h.trunkRecorded = true;
      const peer = h.to?.cluster.host ?? h.leg.dial ?? 'far end';
      ctx.recorder.connection({ from: h.from.cluster.host, to: peer, purpose: 'sip', outcome: tls.outcome ?? 'refused', ...(tls.version ? { version: tls.version } : {}), ...(tls.suite ? { suite: tls.suite } : {}), ...(tls.certificate ? { certificate: tls.certificate } : {}), ...(tls.refusal ? { refusal: tls.refusal } : {}), stepId: ctx.stepId });
    }
  }
  return out;
}

/** Marks every subject of a leg that did not get where the step wanted, with why. */
function judge(subs: SubjectObservation[], ok: boolean, reason?: string): SubjectObservation[] {
  for (const s of subs) {
    s.facts.outcome = ok ? 'ok' : 'failed';
    if (!ok && reason) s.facts.reason = reason;
  }
  return subs;
}

const why = (r: CallResult) => r.endReason ?? (r.status ? `${r.status} ${r.reason ?? ''}`.trim() : `still ${r.state}`);

async function placeOne(w: World, step: CallStep, leg: CallLeg, ctx: StepContext): Promise<SubjectObservation[]> {
  const from = phoneOf(w, leg.from);
  const to = leg.to ? phoneOf(w, leg.to) : undefined;
  if (!from.phone.sip?.registered) return [{ subject: from.name, kind: 'phone', facts: { outcome: 'failed', reason: `${from.name} is not registered`, call: { outcome: 'failed' } } }];
  const dial = leg.dial ?? to?.spec.lines[0];
  if (!dial) throw new Error(`call ${leg.id}: ${to?.name ?? '?'} has no line to dial`);
  const trunk = to && to.cluster !== from.cluster ? trunkFor(w, leg, from, to) : undefined;
  if (trunk) applyVia(w, from.cluster, trunk.scenarioName, dial);
  const out = from.phone.call(dial);
  const h: CallHandle = { leg, from, ...(to ? { to } : {}), out, journalRecorded: { count: 0 }, ...(trunk ? { trunk: trunk.name } : {}) };
  w.calls.set(leg.id, h);
  const limit = Math.max(1000, step.timeoutMs - (step.durationMs ?? 0));
  // Ringing (or an early end) on the caller's side, and the call arriving at the callee.
  let r = await settle(out, ['ringing', 'connected'], limit);
  if (r.state === 'ended' || r.state === 'calling') return judge(subjects(w, ctx, h), false, `call ${leg.id}: ${why(r)}`);
  if (to) {
    try {
      await until(() => incomingOf(h), 5000, ctx.signal, `call ${leg.id} to ring at ${to.name}`);
    } catch (e) {
      return judge(subjects(w, ctx, h), false, (e as Error).message);
    }
  }
  if (!step.answer) return judge(subjects(w, ctx, h), true);
  if (h.in) await h.in.answer();
  r = await settle(out, ['connected'], limit);
  if (r.state !== 'connected') return judge(subjects(w, ctx, h), false, `call ${leg.id} did not connect: ${why(r)}`);
  if (step.durationMs === undefined) return judge(subjects(w, ctx, h), true);
  await mediaWait(w, step.durationMs, ctx.signal);
  await hangup(h, h.from);
  return judge(subjects(w, ctx, h), true);
}

/** Hangs up on `by`'s side and waits (bounded) for the other side to see the BYE. */
async function hangup(h: CallHandle, by: PhoneHandle): Promise<void> {
  const mine = by === h.from ? h.out : incomingOf(h);
  const theirs = by === h.from ? incomingOf(h) : h.out;
  if (!mine) throw new Error(`call ${h.leg.id}: ${by.name} has no side of it`);
  await mine.hangup();
  if (theirs && theirs.state !== 'ended') await within(theirs.whenEnded(), 5000);
  // The far side's 200 to the BYE reaches the cluster a moment later: wait for the B2BUA to close its record.
  await within(until(() => (callRecordOf(h)?.ended !== false ? true : undefined), 1000, new AbortController().signal, 'the call record to end'), 1100).catch(() => undefined);
}

/** The trunk of a call between two clusters: its `via`, else the first trunk joining them (as the loader chose). */
function trunkFor(w: World, leg: CallLeg, from: PhoneHandle, to: PhoneHandle): { scenarioName: string; name: string } {
  const t = leg.via !== undefined ? w.plan.trunks.find((x) => x.name === leg.via) : w.plan.trunks.find((x) => x.ends.some((e) => e.cluster === from.cluster.name) && x.ends.some((e) => e.cluster === to.cluster.name));
  if (!t) throw new Error(`call ${leg.id}: no trunk joins clusters ${from.cluster.name} and ${to.cluster.name}`);
  return { scenarioName: t.name, name: trunkNamesOn(w.plan, from.cluster.name).get(t.name)! };
}

export async function callStep(w: World, step: CallStep, ctx: StepContext): Promise<StepObservation> {
  // `via` chooses the trunk per dialled number: calls of one step to one number over two trunks cannot both hold.
  const viaByDn = new Map<string, string>();
  for (const leg of step.calls) {
    if (leg.via === undefined) continue;
    const dn = leg.dial ?? (leg.to ? phoneOf(w, leg.to).spec.lines[0] : undefined);
    if (!dn) continue;
    const prev = viaByDn.get(dn);
    if (prev !== undefined && prev !== leg.via) throw new Error(`calls of one step dial ${dn} via trunks ${prev} and ${leg.via}: place them in separate steps`);
    viaByDn.set(dn, leg.via);
  }
  const per = await mapLimit(step.calls, step.concurrency, (leg) => placeOne(w, step, leg, ctx));
  const subs = per.flat();
  const failed = subs.filter((s) => s.facts.outcome === 'failed');
  return { outcome: failed.length ? 'failed' : 'ok', ...(failed.length ? { reason: failed[0]!.facts.reason ?? 'a call failed' } : {}), subjects: subs };
}

export async function callActionStep(w: World, step: CallActionStep, ctx: StepContext): Promise<StepObservation> {
  const per = await mapLimit(step.targets, step.concurrency, async ({ call, by }) => {
    const h = w.calls.get(call);
    if (!h) throw new Error(`no call "${call}" was placed`);
    const who = phoneOf(w, by);
    try {
      switch (step.kind) {
        case 'answer': {
          const inc = await until(() => incomingOf(h), 5000, ctx.signal, `call ${call} to ring at ${by}`);
          await inc.answer();
          const r = await settle(h.out, ['connected'], 10_000);
          return judge(subjects(w, ctx, h), r.state === 'connected', `call ${call} did not connect: ${why(r)}`);
        }
        case 'hold':
        case 'resume': {
          const mine = who === h.from ? h.out : incomingOf(h);
          if (!mine) throw new Error(`${by} has no side of call ${call}`);
          const r = step.kind === 'hold' ? await mine.hold() : await mine.resume();
          await sleep(50);
          const want = step.kind === 'hold' ? 'held' : 'connected';
          return judge(subjects(w, ctx, h), r.state === want, `call ${call} is ${r.state}, not ${want}`);
        }
        case 'hangup': {
          await hangup(h, who);
          return judge(subjects(w, ctx, h), true);
        }
      }
    } catch (e) {
      return judge(subjects(w, ctx, h), false, (e as Error).message);
    }
  });
  const subs = per.flat();
  const failed = subs.filter((s) => s.facts.outcome === 'failed');
  return { outcome: failed.length ? 'failed' : 'ok', ...(failed.length ? { reason: failed[0]!.facts.reason ?? 'failed' } : {}), subjects: subs };
}

/** Time passes while media flows; the live statistics of every call go into the report. */
export async function waitStep(w: World, durationMs: number, ctx: StepContext): Promise<StepObservation> {
  await mediaWait(w, durationMs, ctx.signal);
  for (const h of w.calls.values()) if (h.out.state !== 'ended') subjects(w, ctx, h);
  return { outcome: 'ok', subjects: [] };
}

/** Ends every call still up and completes the ladders (teardown). */
export async function endCalls(w: World, ctx: ScenarioContext): Promise<void> {
  await Promise.allSettled([...w.calls.values()].filter((h) => h.out.state !== 'ended').map((h) => within(h.out.hangup(), 2000)));
  for (const h of w.calls.values()) recordCallFlow(ctx, h, h.journalRecorded);
}
