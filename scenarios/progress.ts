// Progress on stderr while scenarios run: nothing with --quiet; a line per step with --verbose; otherwise one
// line that updates in place on a terminal (a periodic status line when stderr is a file or a CI log), and one
// closing line per scenario. Load errors are always shown, with the source line and a caret.
import type { ScenarioPlan } from './model.js';
import type { RunResult, ScenarioResult, StepResult } from './results.js';
import { formatScenarioError, type ScenarioError } from './errors.js';

export interface ProgressReporter {
  runStart(files: number): void;
  loadErrors(file: string, errors: ScenarioError[], text?: string): void;
  scenarioStart(plan: ScenarioPlan): void;
  stepStart(step: { id: string; name: string; kind: string }): void;
  stepEnd(result: StepResult): void;
  scenarioEnd(result: ScenarioResult): void;
  runEnd(result: RunResult): void;
}

export type ProgressMode = 'quiet' | 'normal' | 'verbose';

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  mode: ProgressMode;
  stream?: ProgressStream;
  /** Colours (default: when the stream is a terminal and NO_COLOR is not set). */
  color?: boolean;
  /** Milliseconds between status lines when the stream is not a terminal (default 5000). */
  statusEveryMs?: number;
  clock?: () => number;
}

const ICON: Record<string, string> = { pass: '✓', fail: '✗', error: '!', skipped: '-' };

export function createProgress(opts: ProgressOptions): ProgressReporter {
  const out = opts.stream ?? process.stderr;
  const tty = out.isTTY === true;
  const color = opts.color ?? (tty && !process.env.NO_COLOR);
  const clock = opts.clock ?? (() => Date.now());
  const every = opts.statusEveryMs ?? 5000;
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const tint = (status: string, s: string) => paint(status === 'pass' ? '32' : status === 'skipped' ? '2' : status === 'fail' ? '31' : '35', s);
  let scenarioIndex = 0;
  let scenarios = 0;
  let current: { name: string; total: number; done: number; failed: number; step?: string; started: number } | undefined;
  let lineShown = false;
  let lastStatus = 0;

  const clearLine = () => {
    if (lineShown) out.write('\r\x1b[2K');
    lineShown = false;
  };
  const println = (s: string) => {
    clearLine();
    out.write(s + '\n');
  };
  const status = () => {
    if (!current) return '';
    const where = scenarios > 1 ? `[${scenarioIndex}/${scenarios}] ` : '';
    const failed = current.failed ? `, ${current.failed} failed` : '';
    return `${where}${current.name}: step ${Math.min(current.done + 1, current.total)}/${current.total}${failed}${current.step ? ` · ${current.step}` : ''}`;
  };
  const update = () => {
    if (opts.mode !== 'normal' || !current) return;
    if (tty) {
      const width = Math.max(20, (out.columns ?? 100) - 1);
      const s = status();
      out.write(`\r\x1b[2K${s.length > width ? s.slice(0, width - 1) + '…' : s}`);
      lineShown = true;
    } else if (clock() - lastStatus >= every) {
      lastStatus = clock();
      out.write(`… ${status()}\n`);
    }
  };
  const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

  return {
    runStart(files) {
      scenarios = files;
      lastStatus = clock();
    },
    loadErrors(_file, errors, text) {
      for (const e of errors) println(tint(e.severity === 'error' ? 'fail' : 'error', formatScenarioError(e, text)));
    },
    scenarioStart(plan) {
      scenarioIndex++;
      current = { name: plan.name, total: plan.stats.actionSteps, done: 0, failed: 0, started: clock() };
      if (opts.mode === 'verbose') println(paint('1', `▶ ${plan.name}`) + paint('2', ` (${plan.file}, ${plan.stats.actionSteps} steps, ${plan.stats.phones} phones)`));
      update();
    },
    stepStart(step) {
      if (current) current.step = `${step.id} ${step.name}`;
      update();
    },
    stepEnd(r) {
      if (current) {
        current.done++;
        if (r.status === 'fail' || r.status === 'error') current.failed++;
      }
      if (opts.mode === 'verbose') {
        const t = r.startMs !== undefined && r.endMs !== undefined ? paint('2', ` (${Math.round(r.endMs - r.startMs)} ms)`) : '';
        println(`  ${tint(r.status, ICON[r.status] ?? '?')} ${r.id} ${r.name}${t}`);
        for (const e of r.expectations) if (!e.pass) println(tint('fail', `      ${e.message}`));
        if (r.error) println(tint('error', `      ${r.error.message}`));
      } else update();
    },
    scenarioEnd(res) {
      if (opts.mode === 'quiet') {
        current = undefined;
        return;
      }
      const s = res.summary;
      const line = `${tint(res.status, `${ICON[res.status] ?? '?'} ${res.status.toUpperCase()}`)} ${res.name} · ${s.passed}/${s.steps} steps passed${s.failed ? `, ${s.failed} failed` : ''}${s.errored ? `, ${s.errored} errors` : ''}${s.skipped ? `, ${s.skipped} skipped` : ''} · ${seconds(res.durationMs)}`;
      println(line);
      current = undefined;
    },
    runEnd() {
      clearLine();
    },
  };
}
