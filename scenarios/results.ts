// What a run produced, as plain JSON-able data: per scenario its steps (status, timings, expectation results,
// observations), the TLS connections, a SIP message journal per flow (call or registration) for ladder diagrams,
// the trust decisions of each phone, media statistics per stream and the logs. Every report renders this model;
// ScenarioRecorder is how a step executor adds to it while it runs.
import type { LogLevel } from '../common/log.js';
import type { ScenarioError } from './errors.js';
import type { TrustDecision } from './vocabulary.js';

export const RESULTS_FORMAT = 'trustline-results/1';

export type StepStatus = 'pass' | 'fail' | 'error' | 'skipped';
export type ScenarioStatus = 'pass' | 'fail' | 'error';

export interface ExpectationResult {
  stepId: string;
  stepName: string;
  /** Where the expectation is written (file:line:column), else the step's place. */
  where?: string;
  /** The phone (or other subject) it was checked on, or a few names when the same result covers several. */
  subject?: string;
  /** How many subjects the result covers, when more than one. */
  subjects?: number;
  /** Expectation path, e.g. `tls.suite`, `media.authFailures`. */
  path: string;
  expected: string;
  observed: string;
  pass: boolean;
  /** The "outcome: ok" every step has unless it states an outcome. */
  implicit?: boolean;
  message: string;
}

export interface StepResult {
  id: string;
  name: string;
  kind: string;
  /** 0 for top-level steps, 1 inside a group, … */
  depth: number;
  parentId?: string;
  /** Source step it was expanded from (same for every repetition), for grouping repeated rows. */
  template: string;
  iteration: number[];
  /** On the group `repeat: N` made: N. */
  repeat?: number;
  where?: string;
  /** Milliseconds since the scenario started. */
  startMs?: number;
  endMs?: number;
  status: StepStatus;
  expectations: ExpectationResult[];
  subjects?: string[];
  /** What the executor observed (StepObservation), kept for the JSON report. */
  observation?: unknown;
  error?: { message: string; stack?: string };
}

export type ConnectionPurpose = 'sip' | 'trunk' | 'config' | 'capf' | 'tvs' | 'probe' | 'other';

/** TLS facts of one connection. */
export interface ConnectionRecord {
  id: string;
  stepId?: string;
  tMs: number;
  /** Client side (a phone name, a cluster node, "probe"). */
  from: string;
  /** Server side, e.g. "cucm-pub:5061". */
  to: string;
  purpose: ConnectionPurpose;
  outcome: 'accepted' | 'refused';
  version?: string;
  suite?: string;
  /** Certificate the server presented, by purpose (CallManager, CallManager-ECDSA, tomcat, CAPF, TVS…). */
  certificate?: string;
  certificateType?: 'RSA' | 'ECDSA';
  clientCertificate?: 'lsc' | 'mic' | 'none';
  group?: string;
  refusal?: string;
}

export interface SipMessageRecord {
  tMs: number;
  /** Lane names (party names), as in SipFlowRecord.parties. */
  from: string;
  to: string;
  /** Request method, or absent for a response. */
  method?: string;
  status?: number;
  reason?: string;
  cseq?: string;
  /** A short note shown under the arrow (e.g. "SDP a=crypto AEAD_AES_256_GCM"). */
  summary?: string;
  stepId?: string;
}

export interface SipFlowRecord {
  id: string;
  kind: 'call' | 'registration' | 'other';
  title: string;
  /** Lanes, left to right. */
  parties: string[];
  messages: SipMessageRecord[];
  outcome?: string;
  /** Call security status (encrypted, authenticated, non-secure). */
  security?: string;
  srtpSuite?: string;
}

export interface TrustDecisionRecord {
  tMs: number;
  phone: string;
  /** What was judged: a file (ITLFile.tlv, SEP….cnf.xml.sgn) or a certificate (CallManager, TVS…). */
  item: string;
  decision: TrustDecision;
  detail?: string;
  stepId?: string;
}

/** What a media stream counted: the facts expectations read (model.ts ObservedMediaStream) and reports show. */
export interface MediaStreamCounts {
  id: string;
  srtp: boolean;
  suite?: string;
  packetsSent: number;
  packetsReceived: number;
  authFailures: number;
  replays: number;
  lost: number;
  late: number;
  jitterMs: number;
}

export interface MediaStreamRecord extends MediaStreamCounts {
  call?: string;
  from: string;
  to: string;
  codec?: string;
  stepId?: string;
}

export interface LogRecord {
  tMs: number;
  level: LogLevel;
  component?: string;
  message: string;
}

export interface ScenarioSummary {
  steps: number;
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
  expectations: number;
  expectationsFailed: number;
}

export interface ScenarioResult {
  file: string;
  name: string;
  description?: string;
  tags: string[];
  status: ScenarioStatus;
  startedAt: string;
  durationMs: number;
  /** Flattened in plan order: groups first, then their members (depth says the nesting). */
  steps: StepResult[];
  connections: ConnectionRecord[];
  flows: SipFlowRecord[];
  trust: TrustDecisionRecord[];
  media: MediaStreamRecord[];
  logs: LogRecord[];
  /** Load errors (schema, semantic) or a setup failure; a scenario with errors did not run. */
  errors: ScenarioError[];
  summary: ScenarioSummary;
}

export interface RunSummary extends ScenarioSummary {
  scenarios: number;
  scenariosPassed: number;
  scenariosFailed: number;
  scenariosErrored: number;
  /** True when every scenario passed: the CLI's exit code 0. */
  ok: boolean;
}

export interface RunResult {
  format: typeof RESULTS_FORMAT;
  tool: string;
  startedAt: string;
  durationMs: number;
  scenarios: ScenarioResult[];
  summary: RunSummary;
}

/** Counts of the action steps (groups are not counted; their members are). */
export function summarizeSteps(steps: readonly StepResult[]): ScenarioSummary {
  const actions = steps.filter((s) => s.kind !== 'parallel' && s.kind !== 'sequence');
  const exps = actions.flatMap((s) => s.expectations);
  return {
    steps: actions.length,
    passed: actions.filter((s) => s.status === 'pass').length,
    failed: actions.filter((s) => s.status === 'fail').length,
    errored: actions.filter((s) => s.status === 'error').length,
    skipped: actions.filter((s) => s.status === 'skipped').length,
    expectations: exps.length,
    expectationsFailed: exps.filter((e) => !e.pass).length,
  };
}

export function scenarioStatus(steps: readonly StepResult[], errors: readonly ScenarioError[]): ScenarioStatus {
  if (errors.some((e) => e.severity === 'error') || steps.some((s) => s.status === 'error')) return 'error';
  return steps.some((s) => s.status === 'fail') ? 'fail' : 'pass';
}

export function summarizeRun(scenarios: readonly ScenarioResult[], startedAt: string, durationMs: number, tool = 'trustline'): RunResult {
  const sum = (k: keyof ScenarioSummary) => scenarios.reduce((n, s) => n + s.summary[k], 0);
  const summary: RunSummary = {
    scenarios: scenarios.length,
    scenariosPassed: scenarios.filter((s) => s.status === 'pass').length,
    scenariosFailed: scenarios.filter((s) => s.status === 'fail').length,
    scenariosErrored: scenarios.filter((s) => s.status === 'error').length,
    steps: sum('steps'),
    passed: sum('passed'),
    failed: sum('failed'),
    errored: sum('errored'),
    skipped: sum('skipped'),
    expectations: sum('expectations'),
    expectationsFailed: sum('expectationsFailed'),
    ok: scenarios.length > 0 && scenarios.every((s) => s.status === 'pass'),
  };
  return { format: RESULTS_FORMAT, tool, startedAt, durationMs, scenarios: [...scenarios], summary };
}

/** A scenario that did not load (or could not start): its errors, no steps. */
export function failedScenario(file: string, name: string, errors: ScenarioError[], startedAt = new Date().toISOString()): ScenarioResult {
  return {
    file,
    name,
    tags: [],
    status: 'error',
    startedAt,
    durationMs: 0,
    steps: [],
    connections: [],
    flows: [],
    trust: [],
    media: [],
    logs: [],
    errors,
    summary: summarizeSteps([]),
  };
}

/** Bounds what one scenario can accumulate (a load test must not grow reports without limit). */
export interface RecorderLimits {
  connections: number;
  flows: number;
  messagesPerFlow: number;
  trust: number;
  media: number;
  logs: number;
}

export const DEFAULT_RECORDER_LIMITS: RecorderLimits = { connections: 5000, flows: 500, messagesPerFlow: 200, trust: 5000, media: 5000, logs: 10000 };

/**
 * Collects the facts of one scenario while it runs. Times are milliseconds since the scenario started (now()).
 * Past a limit, records are counted in `dropped` instead of kept.
 */
export class ScenarioRecorder {
  readonly connections: ConnectionRecord[] = [];
  readonly flows: SipFlowRecord[] = [];
  readonly trust: TrustDecisionRecord[] = [];
  readonly media: MediaStreamRecord[] = [];
  readonly logs: LogRecord[] = [];
  readonly dropped: Record<keyof RecorderLimits, number> = { connections: 0, flows: 0, messagesPerFlow: 0, trust: 0, media: 0, logs: 0 };
  readonly #flows = new Map<string, SipFlowRecord>();
  readonly #start: number;
  readonly #clock: () => number;
  readonly #limits: RecorderLimits;
  /** The step currently running (set by the plan runner; parallel steps pass their id explicitly). */
  currentStepId: string | undefined;

  constructor(opts: { clock?: () => number; limits?: Partial<RecorderLimits> } = {}) {
    this.#clock = opts.clock ?? (() => performance.now());
    this.#start = this.#clock();
    this.#limits = { ...DEFAULT_RECORDER_LIMITS, ...opts.limits };
  }

  now(): number {
    return Math.round((this.#clock() - this.#start) * 1000) / 1000;
  }

  #push<T>(list: T[], kind: keyof RecorderLimits, item: T): void {
    if (list.length >= this.#limits[kind]) this.dropped[kind]++;
    else list.push(item);
  }

  connection(c: Omit<ConnectionRecord, 'id' | 'tMs'> & { id?: string; tMs?: number }): ConnectionRecord {
    const rec: ConnectionRecord = { ...c, id: c.id ?? `conn-${this.connections.length + this.dropped.connections + 1}`, tMs: c.tMs ?? this.now(), stepId: c.stepId ?? this.currentStepId };
    this.#push(this.connections, 'connections', rec);
    return rec;
  }

  /** Creates the flow on first use; later calls may complete its fields (outcome, security…). */
  flow(id: string, init: Partial<Omit<SipFlowRecord, 'id' | 'messages'>> = {}): SipFlowRecord {
    let f = this.#flows.get(id);
    if (!f) {
      f = { id, kind: init.kind ?? 'call', title: init.title ?? id, parties: [...(init.parties ?? [])], messages: [] };
      this.#flows.set(id, f);
      this.#push(this.flows, 'flows', f);
    }
    const { parties, ...rest } = init;
    Object.assign(f, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    for (const p of parties ?? []) if (!f.parties.includes(p)) f.parties.push(p);
    return f;
  }

  sip(flowId: string, m: Omit<SipMessageRecord, 'tMs'> & { tMs?: number }): void {
    const f = this.flow(flowId);
    for (const p of [m.from, m.to]) if (!f.parties.includes(p)) f.parties.push(p);
    if (f.messages.length >= this.#limits.messagesPerFlow) {
      this.dropped.messagesPerFlow++;
      return;
    }
    f.messages.push({ ...m, tMs: m.tMs ?? this.now(), stepId: m.stepId ?? this.currentStepId });
  }

  trustDecision(d: Omit<TrustDecisionRecord, 'tMs'> & { tMs?: number }): void {
    this.#push(this.trust, 'trust', { ...d, tMs: d.tMs ?? this.now(), stepId: d.stepId ?? this.currentStepId });
  }

  /** Adds a stream, or replaces the stream with the same id (statistics grow during a call). */
  mediaStream(s: MediaStreamRecord): void {
    const i = this.media.findIndex((x) => x.id === s.id);
    const rec = { ...s, stepId: s.stepId ?? this.currentStepId };
    if (i >= 0) this.media[i] = rec;
    else this.#push(this.media, 'media', rec);
  }

  log(level: LogLevel, message: string, component?: string): void {
    this.#push(this.logs, 'logs', { tMs: this.now(), level, message, ...(component ? { component } : {}) });
  }
}
