// A StepExecutor that simulates the cluster and phones in memory (no sockets, a virtual clock): enough behaviour to
// drive runPlan and fill every part of the results model (TLS facts, SIP flows, trust decisions, media streams) for
// the report tests. It is a test double, not the runner: its facts follow a few simple rules, not the engine.
import type { ActionStep, ObservedFacts, ScenarioPlan, StepContext, StepExecutor, StepObservation, SubjectObservation } from '../../../scenarios/model.js';
import { TLS_CIPHERS_PRESETS } from '../../../engine/tls/presets.js';

interface PhoneState {
  booted: boolean;
  registered: boolean;
  lsc: boolean;
  itl: boolean;
  cluster: string;
}

export class SimulatedExecutor implements StepExecutor {
  /** Virtual milliseconds; pass `clock` to runPlan so the recorder uses it. */
  t = 0;
  readonly clock = () => this.t;
  readonly plan: ScenarioPlan;
  readonly phones = new Map<string, PhoneState>();
  readonly active = new Map<string, { from: string; to: string; connectedAt?: number; suite: string }>();
  /** Last statistics of each call's streams (kept after hang-up). */
  readonly lastStreams = new Map<string, NonNullable<ObservedFacts['media']>>();
  /** Per step id: replace the observation (to fabricate failures). */
  readonly overrides: Record<string, (o: StepObservation) => StepObservation>;
  readonly throwOn: Set<string>;
  setupCalled = false;
  teardownCalled = false;

  constructor(plan: ScenarioPlan, opts: { overrides?: Record<string, (o: StepObservation) => StepObservation>; throwOn?: string[] } = {}) {
    this.plan = plan;
    this.overrides = opts.overrides ?? {};
    this.throwOn = new Set(opts.throwOn ?? []);
    for (const p of plan.phones) this.phones.set(p.name, { booted: false, registered: false, lsc: p.certificates.lsc !== null, itl: false, cluster: p.cluster });
  }

  async setup(): Promise<void> {
    this.setupCalled = true;
  }

  async teardown(): Promise<void> {
    this.teardownCalled = true;
  }

  host(cluster: string): string {
    return this.plan.clusters.find((c) => c.name === cluster)?.hostname ?? cluster;
  }

  secure(phone: string): boolean {
    const spec = this.plan.phones.find((p) => p.name === phone)!;
    const cluster = this.plan.clusters.find((c) => c.name === this.phones.get(phone)!.cluster)!;
    return this.plan.phoneProfiles[spec.profile]!.deviceSecurityMode !== 'non-secure' && cluster.securityMode === 'mixed';
  }

  register(phone: string, ctx: StepContext): ObservedFacts {
    const st = this.phones.get(phone)!;
    const host = this.host(st.cluster);
    const secure = this.secure(phone);
    const flow = `reg-${phone}`;
    ctx.recorder.flow(flow, { kind: 'registration', title: `registration of ${phone}`, parties: [phone, host] });
    this.t += 3;
    ctx.recorder.sip(flow, { from: phone, to: host, method: 'REGISTER', cseq: '1 REGISTER', summary: secure ? 'sips: over TLS 5061' : 'sip: over TCP 5060' });
    this.t += 6;
    ctx.recorder.sip(flow, { from: host, to: phone, status: 200, reason: 'OK', cseq: '1 REGISTER', summary: 'Expires: 3600' });
    ctx.recorder.flow(flow, { outcome: 'registered' });
    st.registered = true;
    const facts: ObservedFacts = {
      outcome: 'ok',
      registration: { outcome: 'registered', status: 200, transport: secure ? 'TLS' : 'TCP', securityMode: secure ? 'encrypted' : 'non-secure' },
    };
    if (secure) {
      const tls = { outcome: 'accepted' as const, version: 'TLSv1.2', suite: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', certificate: 'CallManager', certificateType: 'RSA' as const, clientCertificate: st.lsc ? ('lsc' as const) : ('mic' as const) };
      ctx.recorder.connection({ from: phone, to: `${host}:5061`, purpose: 'sip', group: 'P-256', ...tls });
      facts.tls = tls;
    }
    return facts;
  }

  async execute(step: ActionStep, ctx: StepContext): Promise<StepObservation> {
    if (this.throwOn.has(step.id)) throw new Error(`simulated engine failure in step ${step.id}`);
    const obs = this.observe(step, ctx);
    return this.overrides[step.id] ? this.overrides[step.id]!(obs) : obs;
  }

  observe(step: ActionStep, ctx: StepContext): StepObservation {
    const subjects: SubjectObservation[] = [];
    const phone = (name: string, facts: ObservedFacts) => subjects.push({ subject: name, kind: 'phone', facts });
    this.t += 1;
    switch (step.kind) {
      case 'boot':
        for (const p of step.phones) {
          const st = this.phones.get(p)!;
          const mixed = this.plan.clusters.find((c) => c.name === st.cluster)!.securityMode === 'mixed';
          this.t += 25;
          const ctl = mixed ? (st.itl ? 'verified' : 'leap-of-faith') : 'not-offered';
          const itl = mixed || st.itl ? 'verified' : 'leap-of-faith';
          ctx.recorder.trustDecision({ phone: p, item: 'CTLFile.tlv', decision: ctl, detail: mixed ? 'signed by ITLRecovery' : 'not in non-secure mode' });
          ctx.recorder.trustDecision({ phone: p, item: 'ITLFile.tlv', decision: itl, detail: 'signer ITLRecovery (SAST)' });
          const spec = this.plan.phones.find((x) => x.name === p)!;
          ctx.recorder.trustDecision({ phone: p, item: `${spec.deviceName}.cnf.xml.sgn`, decision: 'verified', detail: 'TFTP role record CallManager' });
          st.booted = true;
          st.itl = true;
          const facts: ObservedFacts = {
            outcome: 'ok',
            trust: { ctl, itl, config: 'verified', firmware: 'verified' },
            config: { outcome: 'downloaded', file: `${spec.deviceName}.cnf.xml.sgn`, signed: true, encrypted: false, door: step.door },
          };
          phone(p, step.register ? { ...facts, ...this.register(p, ctx), trust: facts.trust!, config: facts.config! } : facts);
        }
        break;
      case 'enroll':
        for (const p of step.phones) {
          const st = this.phones.get(p)!;
          const host = this.host(st.cluster);
          this.t += 120;
          ctx.recorder.connection({ from: p, to: `${host}:3804`, purpose: 'capf', outcome: 'accepted', version: 'TLSv1.2', suite: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', certificate: 'CAPF', certificateType: 'RSA', clientCertificate: 'none' });
          ctx.recorder.trustDecision({ phone: p, item: 'CAPF certificate', decision: 'verified', detail: 'CAPF record in the ITL' });
          const via = st.lsc ? 'lsc' : 'mic';
          st.lsc = true;
          phone(p, { outcome: 'ok', enrollment: { outcome: 'issued', authenticatedWith: via, keyType: 'RSA', keySize: 2048, issuer: 'capf' } });
        }
        break;
      case 'register':
        for (const p of step.phones) phone(p, this.register(p, ctx));
        break;
      case 'call':
        for (const leg of step.calls) {
          const host = this.host(this.phones.get(leg.from)!.cluster);
          const to = leg.to ?? leg.dial!;
          const flow = `call-${leg.id}`;
          const suite = 'AEAD_AES_256_GCM';
          ctx.recorder.flow(flow, { kind: 'call', title: `call ${leg.id}: ${leg.from} → ${to}`, parties: [leg.from, host, to] });
          const msg = (from: string, toP: string, m: { method?: string; status?: number; reason?: string; summary?: string; cseq?: string }, dt: number) => {
            this.t += dt;
            ctx.recorder.sip(flow, { from, to: toP, ...m });
          };
          msg(leg.from, host, { method: 'INVITE', cseq: '101 INVITE', summary: 'SDP offer: a=crypto AEAD_AES_256_GCM, AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80' }, 2);
          msg(host, leg.from, { status: 100, reason: 'Trying', cseq: '101 INVITE' }, 1);
          msg(host, to, { method: 'INVITE', cseq: '101 INVITE', summary: 'SDP offer (SDES keys over TLS)' }, 3);
          msg(to, host, { status: 180, reason: 'Ringing', cseq: '101 INVITE' }, 12);
          msg(host, leg.from, { status: 180, reason: 'Ringing', cseq: '101 INVITE' }, 1);
          this.active.set(leg.id, { from: leg.from, to, suite });
          const facts: ObservedFacts = { outcome: 'ok', call: { outcome: 'ringing', status: 180, state: 'ringing', security: 'encrypted' } };
          if (step.answer) {
            this.answer(leg.id, ctx);
            facts.call = { outcome: 'connected', status: 200, state: 'connected', security: 'encrypted' };
          }
          if (step.durationMs !== undefined) {
            this.t += step.durationMs;
            this.hangup(leg.id, leg.from, ctx);
            facts.call!.state = 'ended';
          }
          facts.media = this.streams(leg.id, ctx);
          phone(leg.from, facts);
          if (leg.to) phone(leg.to, facts);
        }
        ctx.recorder.flow(`call-${step.calls[0]?.id}`, { security: 'encrypted', srtpSuite: 'AEAD_AES_256_GCM' });
        break;
      case 'answer':
      case 'hold':
      case 'resume':
      case 'hangup':
        for (const { call, by } of step.targets) {
          const c = this.active.get(call);
          if (step.kind === 'answer') this.answer(call, ctx);
          else if (step.kind === 'hangup') this.hangup(call, by, ctx);
          else this.reinvite(call, by, step.kind === 'hold' ? 'sendonly' : 'sendrecv', ctx);
          const state = step.kind === 'hangup' ? 'ended' : step.kind === 'hold' ? 'held' : 'connected';
          const facts: ObservedFacts = { outcome: 'ok', call: { outcome: 'connected', state, security: 'encrypted' }, media: this.streams(call, ctx) };
          if (c) {
            phone(c.from, facts);
            phone(c.to, facts);
          }
        }
        break;
      case 'wait':
        this.t += step.durationMs;
        for (const id of this.active.keys()) this.streams(id, ctx);
        break;
      case 'probe': {
        const cluster = this.plan.clusters.find((c) => c.name === step.cluster)!;
        const preset = TLS_CIPHERS_PRESETS[cluster.parameters.tlsCiphers];
        const offered = step.tlsSuites ?? preset.suites.map((s) => s.iana);
        const pick = preset.suites.find((s) => offered.includes(s.iana));
        const ecdsa = pick?.authentication === 'ECDSA';
        const tls = pick
          ? { outcome: 'accepted' as const, version: step.tlsVersions[step.tlsVersions.length - 1]!, suite: pick.iana, certificate: ecdsa ? 'CallManager-ECDSA' : 'CallManager', certificateType: ecdsa ? ('ECDSA' as const) : ('RSA' as const) }
          : { outcome: 'refused' as const, refusal: 'no shared cipher' };
        ctx.recorder.connection({ from: 'probe', to: `${cluster.hostname}:${step.port}`, purpose: 'probe', ...tls });
        subjects.push({ subject: 'probe', kind: 'probe', facts: { outcome: 'ok', tls } });
        break;
      }
      default:
        subjects.push({ subject: ('cluster' in step && step.cluster) || this.plan.clusters[0]!.name, kind: 'cluster', facts: { outcome: 'ok', cluster: { itlSigner: 'ITLRecovery', ctl: 'present', phoneResets: 0 } } });
    }
    return { outcome: 'ok', subjects };
  }

  answer(id: string, ctx: StepContext): void {
    const c = this.active.get(id);
    if (!c) return;
    const flow = `call-${id}`;
    const host = ctx.recorder.flow(flow).parties[1]!;
    const msg = (from: string, to: string, m: { method?: string; status?: number; reason?: string; summary?: string; cseq?: string }, dt: number) => {
      this.t += dt;
      ctx.recorder.sip(flow, { from, to, ...m });
    };
    msg(c.to, host, { status: 200, reason: 'OK', cseq: '101 INVITE', summary: 'SDP answer: a=crypto AEAD_AES_256_GCM' }, 800);
    msg(host, c.from, { status: 200, reason: 'OK', cseq: '101 INVITE', summary: 'SDP answer: a=crypto AEAD_AES_256_GCM' }, 2);
    msg(c.from, host, { method: 'ACK', cseq: '101 ACK' }, 2);
    msg(host, c.to, { method: 'ACK', cseq: '101 ACK' }, 1);
    c.connectedAt = this.t;
    ctx.recorder.flow(flow, { outcome: 'connected', security: 'encrypted', srtpSuite: c.suite });
  }

  reinvite(id: string, by: string, dir: string, ctx: StepContext): void {
    const c = this.active.get(id);
    if (!c) return;
    const flow = `call-${id}`;
    const host = ctx.recorder.flow(flow).parties[1]!;
    const other = by === c.from ? c.to : c.from;
    this.t += 5;
    ctx.recorder.sip(flow, { from: by, to: host, method: 'INVITE', cseq: '102 INVITE', summary: `re-INVITE a=${dir}` });
    this.t += 3;
    ctx.recorder.sip(flow, { from: host, to: other, method: 'INVITE', cseq: '102 INVITE', summary: `a=${dir === 'sendonly' ? 'recvonly' : 'sendrecv'}` });
    this.t += 10;
    ctx.recorder.sip(flow, { from: other, to: host, status: 200, reason: 'OK', cseq: '102 INVITE' });
    this.t += 2;
    ctx.recorder.sip(flow, { from: host, to: by, status: 200, reason: 'OK', cseq: '102 INVITE' });
  }

  hangup(id: string, by: string, ctx: StepContext): void {
    const c = this.active.get(id);
    if (!c) return;
    this.streams(id, ctx);
    const flow = `call-${id}`;
    const host = ctx.recorder.flow(flow).parties[1]!;
    const other = by === c.from ? c.to : c.from;
    this.t += 2;
    ctx.recorder.sip(flow, { from: by, to: host, method: 'BYE', cseq: '103 BYE' });
    this.t += 2;
    ctx.recorder.sip(flow, { from: host, to: other, method: 'BYE', cseq: '103 BYE' });
    this.t += 6;
    ctx.recorder.sip(flow, { from: other, to: host, status: 200, reason: 'OK', cseq: '103 BYE' });
    this.t += 1;
    ctx.recorder.sip(flow, { from: host, to: by, status: 200, reason: 'OK', cseq: '103 BYE' });
    ctx.recorder.flow(flow, { outcome: 'ended' });
    this.active.delete(id);
  }

  /** Stream statistics so far (50 packets per second each way). */
  streams(id: string, ctx: StepContext): NonNullable<ObservedFacts['media']> {
    const c = this.active.get(id);
    if (!c || c.connectedAt === undefined) return this.lastStreams.get(id) ?? [];
    const packets = Math.floor(((this.t - c.connectedAt) / 1000) * 50);
    const out = [
      { id: `${id}/${c.from}→${c.to}`, from: c.from, to: c.to },
      { id: `${id}/${c.to}→${c.from}`, from: c.to, to: c.from },
    ].map((s) => ({ id: s.id, srtp: true, suite: c.suite, packetsSent: packets, packetsReceived: packets, authFailures: 0, replays: 0, lost: 0, late: 0, jitterMs: 1.8 }));
    for (const [i, s] of out.entries()) ctx.recorder.mediaStream({ ...s, call: id, from: i ? c.to : c.from, to: i ? c.from : c.to, codec: 'G711u' });
    this.lastStreams.set(id, out);
    return out;
  }
}

