// The real StepExecutor: setup builds the scenario's clusters (EmbeddedCluster in a state directory of the run, each
// on its own loopback address with OS-chosen ports, the B2BUA plugged in) and its phones (emulated Phones with MICs
// from the cluster's manufacturing CA, pointed at their cluster's TFTP); execute maps each action onto the cluster
// and phone APIs (phone-actions, call-actions, cluster-actions, fault-actions, probe-action) and returns the facts
// `expect:` reads; teardown ends calls, closes phones and stops the clusters, leaving no handle open.
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setLogSink, type LogLevel } from '../../common/log.js';
import type { LineMediaProfile } from '../../engine/calls/index.js';
import type { PhoneDevice } from '../../engine/sip/index.js';
import { MediaClock } from '../../endpoints/media/index.js';
import type { ActionStep, ExecutorFactory, ScenarioContext, ScenarioPlan, StepContext, StepExecutor, StepObservation, SubjectObservation } from '../model.js';
import { RunCapture, type CaptureFiles, type CaptureOptions } from './capture.js';
import { callActionStep, callStep, endCalls, waitStep } from './call-actions.js';
import { cliStep, importCertificatesStep, regenerateStep, restartStep, setStep } from './cluster-actions.js';
import { processTemplates, startCluster, stopCluster, unsupportedClusterFeatures, type ClusterTemplates } from './cluster-setup.js';
import { clearFaultStep, faultStep } from './fault-actions.js';
import { bootPhone, enrollPhone, movePhone, registerPhone, resetPhone, type PhoneStepResult } from './phone-actions.js';
import { openPhone } from './phone-setup.js';
import { probeStep } from './probe-action.js';
import { wireTrunks } from './trunk-wiring.js';
import { EnterpriseCa } from '../../engine/pki/enterprise-ca.js';
import { clusterOf, mapLimit, phoneOf, type PhoneHandle, type World } from './world.js';

export interface EngineExecutorOptions {
  /** Where clusters and phones keep their state (default: a temporary directory per run, removed afterwards). */
  stateDir?: string;
  /** Keep the state directory after the run (default: only when `stateDir` was given). */
  keepState?: boolean;
  /** Media time per wall time (default 1; tests use 2 so a 2 s call takes 1 s). */
  mediaSpeed?: number;
  /** Write a pcap of the run (live loopback capture, else the media) and the TLS/SRTP key logs of each scenario here. */
  captureDir?: string;
  /** How the capture is taken (dumpcap and tshark commands, interface). */
  capture?: CaptureOptions;
  /** Told where the capture files of a scenario went. */
  onCapture?: (plan: ScenarioPlan, files: CaptureFiles) => void;
  /** Engine log lines go into the scenario's report; those at or above this level are also passed to `echo`. */
  logs?: { echo?: (line: string) => void; echoLevel?: LogLevel };
  /** PKI templates (default: the process's). */
  templates?: ClusterTemplates;
}

const LEVELS: LogLevel[] = ['error', 'warn', 'info', 'debug', 'trace'];

/** Capture files are named after the scenario file ("secure-call.yaml" → secure-call.pcap). */
function captureBase(plan: ScenarioPlan): string {
  return basename(plan.file).replace(/\.ya?ml$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-') || 'scenario';
}

/** One phone step over many phones (concurrency bounded), one subject each; failed when any phone's action failed. */
async function fanOut(phones: readonly string[], concurrency: number, w: World, fn: (p: PhoneHandle) => Promise<PhoneStepResult>): Promise<StepObservation> {
  const results = await mapLimit(phones, concurrency, (n) => fn(phoneOf(w, n)));
  const subjects: SubjectObservation[] = results.map((r) => r.subject);
  const bad = results.find((r) => !r.ok);
  return { outcome: bad ? 'failed' : 'ok', ...(bad ? { reason: `${bad.subject.subject}: ${bad.subject.facts.reason ?? 'failed'}` } : {}), subjects };
}

export class EngineExecutor implements StepExecutor {
  readonly plan: ScenarioPlan;
  readonly #o: EngineExecutorOptions;
  #world: World | undefined;
  #ownDir = false;

  constructor(plan: ScenarioPlan, o: EngineExecutorOptions = {}) {
    this.plan = plan;
    this.#o = o;
  }

  get world(): World | undefined {
    return this.#world;
  }

  async setup(ctx: ScenarioContext): Promise<void> {
    const plan = this.plan;
    this.#installLogSink(ctx);
    const problems = plan.clusters.flatMap((c) => unsupportedClusterFeatures(c, plan).map((p) => `cluster ${c.name}: ${p}`));
    if (problems.length) throw new Error(`this scenario needs what the embedded cluster cannot do yet:\n  ${problems.join('\n  ')}`);
    const dir = this.#o.stateDir ?? mkdtempSync(join(tmpdir(), 'trustline-run-'));
    this.#ownDir = !this.#o.stateDir;
    const speed = this.#o.mediaSpeed ?? 1;
    const clock = new MediaClock({ speed });
    const w: World = {
      plan,
      dir,
      clusters: new Map(),
      phones: new Map(),
      calls: new Map(),
      faults: new Map(),
      clock,
      mediaSpeed: speed,
      sipDefaults: { clock, keepaliveMs: 0, reconnect: false, connectTimeoutMs: 5000, registerTimeoutMs: 8000, media: { rtcpIntervalMs: 1000 } },
      ...(this.#o.captureDir ? { capture: new RunCapture(this.#o.capture) } : {}),
    };
    this.#world = w;
    await w.capture?.start(plan.timeoutMs);
    const lineMedia = (device: PhoneDevice | undefined): LineMediaProfile | undefined => {
      const p = device ? [...w.phones.values()].find((x) => x.spec.deviceName.toUpperCase() === device.name.toUpperCase()) : undefined;
      return p ? { capabilities: p.override.srtpSuites ?? p.srtpSuites } : undefined;
    };
    const templates = this.#o.templates ?? processTemplates();
    // Phones connect from 127.0.0.1; with trunks, clusters start at 127.0.0.2 so no phone looks like a trunk peer (ACL).
    const first = plan.trunks.length ? 2 : 1;
    const addresses = Object.fromEntries(plan.clusters.map((c, i) => [c.name, `127.0.0.${i + first}`]));
    // One enterprise CA per run, shared by every cluster that uses one (kept in the run's state directory).
    const needsCa = plan.clusters.some((c) => Object.values(c.certificates).some((x) => x.signedBy === 'enterprise-ca') || c.capf.onlineCa);
    const onlineCaName = plan.clusters.find((c) => c.capf.onlineCa)?.capf.onlineCa?.hostname;
    const enterpriseCa = needsCa ? await EnterpriseCa.openOrCreate(join(dir, 'enterprise-ca'), { commonName: onlineCaName ?? `${plan.clusters[0]!.domain} enterprise CA` }) : undefined;
    for (const spec of plan.clusters) {
      const address = addresses[spec.name]!;
      const h = await startCluster({ spec, plan, runDir: dir, address, addresses, templates, lineMedia, started: w.clusters, ...(enterpriseCa ? { enterpriseCa } : {}) });
      w.clusters.set(spec.name, h);
      w.capture?.noteCluster(h.endpoints);
      ctx.log.info(`cluster ${spec.name} (${spec.hostname}) on ${address}: SIP ${h.endpoints.sip.tcp?.port}/${h.endpoints.sip.tls?.port}, TFTP ${h.endpoints.tftp?.port}, CAPF ${h.endpoints.capf?.port}, TVS ${h.endpoints.tvs?.port}`);
    }
    wireTrunks(w);
    const hosts: Record<string, string> = {};
    for (const h of w.clusters.values()) {
      hosts[h.spec.hostname] = h.address;
      hosts[h.endpoints.fqdn] = h.address;
    }
    const phones = await mapLimit(plan.phones, 8, (spec) => openPhone({ spec, cluster: clusterOf(w, spec.cluster), stateDir: join(dir, 'phones', spec.name), hosts }));
    for (const p of phones) w.phones.set(p.name, p);
  }

  execute(step: ActionStep, ctx: StepContext): Promise<StepObservation> {
    const w = this.#world;
    if (!w) throw new Error('the scenario was not set up');
    // Fan-out steps wait on the step's signal once per phone or call (hundreds in a load test).
    setMaxListeners(0, ctx.signal);
    switch (step.kind) {
      case 'boot':
        return fanOut(step.phones, step.concurrency, w, (p) => {
          p.wantsRegistration = step.register;
          return bootPhone(w, p, ctx, { register: step.register, door: step.door });
        });
      case 'register':
        return fanOut(step.phones, step.concurrency, w, (p) => {
          p.wantsRegistration = true;
          return registerPhone(w, p, ctx);
        });
      case 'enroll':
        return fanOut(step.phones, step.concurrency, w, (p) =>
          enrollPhone(w, p, ctx, { ...(step.authString !== undefined ? { authString: step.authString } : {}), reregister: p.wantsRegistration && p.phone.sip?.registered === true }),
        );
      case 'reset':
        return this.#reset(w, step, ctx);
      case 'move':
        return fanOut(step.phones, step.concurrency, w, (p) => movePhone(w, p, clusterOf(w, step.to), ctx));
      case 'call':
        return callStep(w, step, ctx);
      case 'answer':
      case 'hold':
      case 'resume':
      case 'hangup':
        return callActionStep(w, step, ctx);
      case 'wait':
        return waitStep(w, step.durationMs, ctx);
      case 'regenerate':
        return regenerateStep(w, step, ctx);
      case 'cli':
        return cliStep(w, step, ctx);
      case 'restart':
        return restartStep(w, step, ctx);
      case 'set':
        return setStep(w, step, ctx);
      case 'importCertificates':
        return importCertificatesStep(w, step, ctx);
      case 'probe':
        return probeStep(w, step, ctx);
      case 'fault':
        return faultStep(w, step, ctx);
      case 'clearFault':
        return clearFaultStep(w, step, ctx);
    }
  }

  async #reset(w: World, step: Extract<ActionStep, { kind: 'reset' }>, ctx: StepContext): Promise<StepObservation> {
    if (step.cluster) {
      // Enterprise Parameters → Reset: every phone of the cluster is told to reset; those that have booted do.
      const h = clusterOf(w, step.cluster);
      await h.cluster.resetPhones(undefined, `Enterprise Parameters Reset (scenario step ${ctx.stepId})`);
      const phones = [...w.phones.values()].filter((p) => p.cluster === h && p.lastBoot).map((p) => p.name);
      return fanOut(phones, step.concurrency, w, (p) => resetPhone(w, p, ctx, step.type, { tellCluster: false }));
    }
    return fanOut(step.phones, step.concurrency, w, (p) => resetPhone(w, p, ctx, step.type));
  }

  async teardown(ctx: ScenarioContext): Promise<void> {
    const w = this.#world;
    this.#world = undefined;
    try {
      if (!w) return;
      await endCalls(w, ctx).catch(() => undefined);
      for (const p of w.phones.values()) w.capture?.collect(p.phone.sip);
      for (const h of w.clusters.values()) w.capture?.noteCluster(h.cluster.endpoints());
      await Promise.allSettled([...w.phones.values()].map((p) => p.phone.close({ unregister: false })));
      await Promise.allSettled([...w.faults.values()].map((f) => f.clear()));
      w.faults.clear();
      const stops = await Promise.allSettled([...w.clusters.values()].map((h) => stopCluster(h)));
      w.clock.stop();
      if (w.capture && this.#o.captureDir) {
        const files = await w.capture.finish(this.#o.captureDir, captureBase(this.plan));
        ctx.log[files.live ? 'info' : 'warn'](`capture: ${files.pcap}: ${files.note}; TLS keys ${files.tlsKeyLog}; SRTP keys ${files.srtpKeyLog}`);
        this.#o.onCapture?.(this.plan, files);
      }
      const failed = stops.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (this.#ownDir && !this.#o.keepState) rmSync(w.dir, { recursive: true, force: true });
      if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    } finally {
      await w?.capture?.abort(); // after finish() a no-op; else no dumpcap or key tap outlives the scenario
      this.#restoreLogSink();
    }
  }

  // ---- logs -------------------------------------------------------------------------------------------------------------

  #sinkInstalled = false;

  /** Engine log lines go into the scenario's logs (the report) and, from echoLevel up, to the echo (stderr). */
  #installLogSink(ctx: ScenarioContext): void {
    const echo = this.#o.logs?.echo;
    const echoAt = LEVELS.indexOf(this.#o.logs?.echoLevel ?? 'warn');
    setLogSink((line) => {
      const m = /^\S+ (\w+)\s+\[([^\]]+)\] (.*)$/s.exec(line);
      const level = (m?.[1]?.toLowerCase() ?? 'info') as LogLevel;
      if (m && m[2] !== 'scenario') ctx.recorder.log(LEVELS.includes(level) ? level : 'info', m[3]!, m[2]);
      if (echo && LEVELS.indexOf(level) <= echoAt) echo(line);
    });
    this.#sinkInstalled = true;
  }

  #restoreLogSink(): void {
    if (!this.#sinkInstalled) return;
    this.#sinkInstalled = false;
    setLogSink((line) => process.stderr.write(line + '\n'));
  }
}

/** The runner `trustline run` uses: one EngineExecutor per scenario. */
export function createExecutorFactory(o: EngineExecutorOptions = {}): ExecutorFactory {
  return (plan) => new EngineExecutor(plan, o);
}
