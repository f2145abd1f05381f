// Runs a ScenarioPlan with a StepExecutor: sequences in order (the rest skipped after a failure unless
// continueOnFailure), parallel groups at once (bounded by their concurrency), a time limit per step and per
// scenario, expectations judged with evaluateExpectations, and a ScenarioResult at the end. Engine-agnostic: the
// executor is the only part that touches clusters and phones.
import { logger as baseLogger, type LogLevel, type Logger } from '../common/log.js';
import { evaluateExpectations } from './evaluate.js';
import { formatLocation, isGroup, type ActionStep, type ScenarioContext, type ScenarioPlan, type StepExecutor, type StepSpec } from './model.js';
import { ScenarioRecorder, scenarioStatus, summarizeSteps, type RecorderLimits, type ScenarioResult, type StepResult, type StepStatus } from './results.js';
import type { ProgressReporter } from './progress.js';
import type { ScenarioError } from './errors.js';

export interface RunPlanOptions {
  executor: StepExecutor;
  progress?: ProgressReporter;
  /** Cancels the run (Ctrl-C). */
  signal?: AbortSignal;
  clock?: () => number;
  recorderLimits?: Partial<RecorderLimits>;
}

class StepTimeout extends Error {}

/** A logger that writes through common/log.ts and keeps every line in the scenario's logs. */
function recordingLogger(recorder: ScenarioRecorder, component: string): Logger {
  const base = baseLogger(component);
  const at = (level: LogLevel) => (msg: string) => {
    recorder.log(level, msg, component);
    base[level](msg);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), trace: at('trace'), enabled: (l) => base.enabled(l) };
}

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

/** An AbortSignal that fires after ms or when the parent does; dispose() clears the timer. */
function timedSignal(ms: number, parent: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onAbort = () => ac.abort(parent.reason);
  if (parent.aborted) ac.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  const timer = Number.isFinite(ms) ? setTimeout(() => ac.abort(new StepTimeout(`timed out after ${ms} ms`)), ms) : undefined;
  timer?.unref?.();
  return {
    signal: ac.signal,
    dispose: () => {
      if (timer) clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}

function rejectOnAbort(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let dispose = () => {};
  const promise = new Promise<never>((_, reject) => {
    const on = () => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'aborted')));
    if (signal.aborted) on();
    else {
      signal.addEventListener('abort', on, { once: true });
      dispose = () => signal.removeEventListener('abort', on);
    }
  });
  promise.catch(() => {});
  return { promise, dispose };
}

export async function runPlan(plan: ScenarioPlan, opts: RunPlanOptions): Promise<ScenarioResult> {
  const startedAt = new Date().toISOString();
  const recorder = new ScenarioRecorder({ ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.recorderLimits ? { limits: opts.recorderLimits } : {}) });
  const scenario = timedSignal(plan.timeoutMs, opts.signal ?? new AbortController().signal);
  const ctx: ScenarioContext = { plan, signal: scenario.signal, log: recordingLogger(recorder, 'scenario'), recorder };
  const errors: ScenarioError[] = [];
  const results = new Map<string, StepResult>();
  const order: StepResult[] = [];

  // placeholders in plan order, so parallel steps still list in the order they are written
  const place = (s: StepSpec, depth: number, parentId?: string) => {
    const r: StepResult = {
      id: s.id,
      name: s.name,
      kind: s.kind,
      depth,
      ...(parentId ? { parentId } : {}),
      template: s.template,
      iteration: s.iteration,
      ...(isGroup(s) && s.repeat ? { repeat: s.repeat } : {}),
      where: formatLocation(s.location),
      status: 'skipped',
      expectations: [],
      ...(!isGroup(s) && 'phones' in s ? { subjects: s.phones } : {}),
    };
    results.set(s.id, r);
    order.push(r);
    if (isGroup(s)) for (const c of s.children) place(c, depth + 1, s.id);
  };
  for (const s of plan.steps) place(s, 0);

  opts.progress?.scenarioStart(plan);
  let stop = false;
  const halt = (status: StepStatus) => {
    if ((status === 'fail' || status === 'error') && !plan.continueOnFailure) stop = true;
  };

  const runAction = async (step: ActionStep): Promise<StepStatus> => {
    const r = results.get(step.id)!;
    opts.progress?.stepStart(step);
    r.startMs = recorder.now();
    recorder.currentStepId = step.id;
    const limit = timedSignal(step.timeoutMs, scenario.signal);
    const abort = rejectOnAbort(limit.signal);
    try {
      const observation = await Promise.race([opts.executor.execute(step, { ...ctx, signal: limit.signal, stepId: step.id, iteration: step.iteration }), abort.promise]);
      r.observation = observation;
      r.expectations = evaluateExpectations({ id: step.id, name: step.name, location: step.location }, step.expect, observation);
      r.status = r.expectations.every((e) => e.pass) ? 'pass' : 'fail';
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      const why = err instanceof StepTimeout ? `step ${step.id} "${step.name}" ${err.message}` : scenario.signal.aborted ? `scenario stopped: ${err.message}` : err.message;
      r.status = 'error';
      r.error = { message: why, ...(err.stack && !(err instanceof StepTimeout) ? { stack: err.stack } : {}) };
      ctx.log.error(`step ${step.id} "${step.name}": ${why}`);
    } finally {
      abort.dispose();
      limit.dispose();
    }
    r.endMs = recorder.now();
    opts.progress?.stepEnd(r);
    return r.status;
  };

  const runGroup = async (children: StepSpec[], parallel: boolean, concurrency: number): Promise<StepStatus[]> => {
    const statuses: StepStatus[] = [];
    if (parallel) {
      await pool(children, concurrency, async (c) => {
        if (!stop) statuses.push(await run(c));
      });
    } else
      for (const c of children) {
        if (stop || scenario.signal.aborted) break;
        const st = await run(c);
        statuses.push(st);
        halt(st);
      }
    return statuses;
  };

  const run = async (step: StepSpec): Promise<StepStatus> => {
    if (!isGroup(step)) return runAction(step);
    const r = results.get(step.id)!;
    r.startMs = recorder.now();
    const statuses = await runGroup(step.children, step.kind === 'parallel', step.concurrency);
    r.endMs = recorder.now();
    r.status = statuses.includes('error') ? 'error' : statuses.includes('fail') ? 'fail' : statuses.length ? 'pass' : 'skipped';
    return r.status;
  };

  try {
    let setupOk = true;
    if (opts.executor.setup) {
      try {
        await opts.executor.setup(ctx);
      } catch (e) {
        setupOk = false;
        errors.push({ file: plan.file, line: 1, column: 1, path: '', message: `setup failed: ${(e as Error).message}`, severity: 'error', code: 'io' });
        ctx.log.error(`setup failed: ${(e as Error).message}`);
      }
    }
    if (setupOk) await runGroup(plan.steps, false, 1);
  } finally {
    if (opts.executor.teardown)
      try {
        await opts.executor.teardown(ctx);
      } catch (e) {
        errors.push({ file: plan.file, line: 1, column: 1, path: '', message: `teardown failed: ${(e as Error).message}`, severity: 'error', code: 'io' });
      }
    scenario.dispose();
  }
  for (const [k, n] of Object.entries(recorder.dropped)) if (n) ctx.log.warn(`${n} ${k} records dropped (report limits)`);

  const result: ScenarioResult = {
    file: plan.file,
    name: plan.name,
    ...(plan.description ? { description: plan.description } : {}),
    tags: plan.tags,
    status: scenarioStatus(order, errors),
    startedAt,
    durationMs: recorder.now(),
    steps: order,
    connections: recorder.connections,
    flows: recorder.flows,
    trust: recorder.trust,
    media: recorder.media,
    logs: recorder.logs,
    errors,
    summary: summarizeSteps(order),
  };
  opts.progress?.scenarioEnd(result);
  return result;
}
