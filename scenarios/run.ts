// What `trustline run <file...>` does, minus argument parsing: load every file (load errors make an errored
// scenario, the others still run), run each plan with an executor from the factory, and return the RunResult whose
// summary.ok decides the exit code. The CLI module only maps options onto this and writes the reports.
import { loadScenarioFile } from './load.js';
import { runPlan } from './run-plan.js';
import { failedScenario, summarizeRun, type RunResult, type ScenarioResult } from './results.js';
import type { ExecutorFactory } from './model.js';
import type { ProgressReporter } from './progress.js';
import { packageVersion } from '../common/paths.js';
import { createProgress } from './progress.js';
import { parseReportSpec, renderReport, writeAtomically } from './report/index.js';

export interface RunFilesOptions {
  executorFactory: ExecutorFactory;
  progress?: ProgressReporter;
  signal?: AbortSignal;
  /** Only load and validate (no executor runs): `trustline run --check`. */
  checkOnly?: boolean;
}

function toolName(): string {
  try {
    return `trustline ${packageVersion()}`;
  } catch {
    return 'trustline';
  }
}

export async function runScenarioFiles(files: readonly string[], opts: RunFilesOptions): Promise<RunResult> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  opts.progress?.runStart(files.length);
  const scenarios: ScenarioResult[] = [];
  for (const file of files) {
    if (opts.signal?.aborted) break;
    const loaded = await loadScenarioFile(file);
    if (loaded.errors.length) opts.progress?.loadErrors(file, loaded.errors, loaded.text);
    if (!loaded.plan) {
      const r = failedScenario(loaded.errors[0]?.file ?? file, file, loaded.errors);
      scenarios.push(r);
      opts.progress?.scenarioEnd(r);
      continue;
    }
    if (opts.checkOnly) {
      scenarios.push({ ...failedScenario(loaded.plan.file, loaded.plan.name, loaded.errors), status: 'pass', tags: loaded.plan.tags });
      continue;
    }
    const result = await runPlan(loaded.plan, { executor: opts.executorFactory(loaded.plan), ...(opts.progress ? { progress: opts.progress } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    result.errors.unshift(...loaded.errors); // warnings
    scenarios.push(result);
  }
  const run = summarizeRun(scenarios, startedAt, Math.round(performance.now() - t0), toolName());
  opts.progress?.runEnd(run);
  return run;
}

export interface RunCommandOptions {
  executorFactory: ExecutorFactory;
  /** --report values: console, json[=file], junit[=file], html[=file]; console is always shown unless quiet. */
  reports?: string[];
  quiet?: boolean;
  verbose?: boolean;
  check?: boolean;
  signal?: AbortSignal;
  stdout?: { write(s: string): unknown; isTTY?: boolean };
  stderr?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

/**
 * `trustline run <file...>` as a function: progress on stderr, the console report on stdout (brief with --quiet),
 * the other reports written to their files; resolves to the exit code (0 only if every expectation held).
 */
export async function runCommand(files: readonly string[], o: RunCommandOptions): Promise<number> {
  const stdout = o.stdout ?? process.stdout;
  const stderr = o.stderr ?? process.stderr;
  const specs = (o.reports ?? []).map(parseReportSpec);
  const progress = createProgress({ mode: o.quiet ? 'quiet' : o.verbose ? 'verbose' : 'normal', stream: stderr });
  const result = await runScenarioFiles(files, { executorFactory: o.executorFactory, progress, ...(o.signal ? { signal: o.signal } : {}), ...(o.check ? { checkOnly: true } : {}) });
  const color = stdout.isTTY === true && !process.env.NO_COLOR;
  stdout.write(renderReport('console', result, { color, brief: o.quiet === true }));
  for (const spec of specs) {
    if (spec.format === 'console' || !spec.path) continue;
    await writeAtomically(spec.path, renderReport(spec.format, result));
    if (!o.quiet) stderr.write(`wrote ${spec.format} report ${spec.path}\n`);
  }
  return result.summary.ok ? 0 : 1;
}
