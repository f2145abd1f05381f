// The console report: per scenario a header line and a cli-table3 table of its steps (expectations passed,
// result, time), repeated steps folded into one row, then the failures in full, and one summary line for the run.
import Table from 'cli-table3';
import { formatScenarioError } from '../errors.js';
import type { RunResult, ScenarioResult, StepResult } from '../results.js';

export interface ConsoleReportOptions {
  color?: boolean;
  /** Show every repetition of a repeated step instead of one folded row. */
  expandRepeats?: boolean;
  /** Table width limit for the step column (default 60). */
  stepWidth?: number;
  /** Only the header line and the failures of each scenario (`--quiet`). */
  brief?: boolean;
}

type Paint = (status: string, s: string) => string;

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms - m * 60_000) / 1000)} s`;
}

const dur = (s: StepResult) => (s.startMs !== undefined && s.endMs !== undefined ? s.endMs - s.startMs : undefined);

/** The descendants of a group result, in order. */
function descendants(steps: readonly StepResult[], id: string): StepResult[] {
  const out: StepResult[] = [];
  const ids = new Set([id]);
  for (const s of steps)
    if (s.parentId && ids.has(s.parentId)) {
      ids.add(s.id);
      out.push(s);
    }
  return out;
}

function expectationCell(list: StepResult[]): string {
  const exps = list.flatMap((s) => s.expectations);
  if (!exps.length) return list.every((s) => s.status === 'skipped') ? '' : '-';
  return `${exps.filter((e) => e.pass).length}/${exps.length}`;
}

function stepsTable(r: ScenarioResult, paint: Paint, opts: ConsoleReportOptions): string {
  const width = opts.stepWidth ?? 60;
  const t = new Table({ head: ['#', 'Step', 'Kind', 'Expect', 'Result', 'Time'], style: { head: [], border: [] }, wordWrap: true, colWidths: [null, width, null, null, null, null] as unknown as number[] });
  const hidden = new Set<string>();
  for (const s of r.steps) {
    if (hidden.has(s.id)) continue;
    const indent = '  '.repeat(s.depth);
    if (s.repeat && !opts.expandRepeats) {
      const inner = descendants(r.steps, s.id);
      for (const d of inner) hidden.add(d.id);
      const actions = inner.filter((d) => d.kind !== 'parallel' && d.kind !== 'sequence');
      const bad = actions.filter((d) => d.status === 'fail' || d.status === 'error').length;
      const ran = actions.filter((d) => d.status !== 'skipped').length;
      const result = s.status === 'pass' ? `pass ×${ran}` : s.status === 'skipped' ? 'skipped' : `${bad}/${actions.length} ${s.status}`;
      t.push([s.id, `${indent}${s.name}`, actions[0]?.kind ?? s.kind, expectationCell(actions), paint(s.status, result), formatMs(dur(s))]);
      continue;
    }
    const group = s.kind === 'parallel' || s.kind === 'sequence';
    t.push([s.id, `${indent}${s.name}`, s.kind, group ? '' : expectationCell([s]), paint(s.status, s.status), formatMs(dur(s))]);
  }
  return t.toString();
}

function failureLines(r: ScenarioResult, paint: Paint): string[] {
  const lines: string[] = [];
  for (const s of r.steps) {
    for (const e of s.expectations) if (!e.pass) lines.push(paint('fail', `  ✗ ${e.message}`));
    if (s.error) lines.push(paint('error', `  ! step ${s.id} "${s.name}" (${s.where ?? r.file}): ${s.error.message}`));
  }
  const MAX = 50;
  if (lines.length > MAX) return [...lines.slice(0, MAX), `  … and ${lines.length - MAX} more (see the JSON or HTML report)`];
  return lines;
}

export function renderScenarioConsole(r: ScenarioResult, opts: ConsoleReportOptions = {}): string {
  const paint = painter(opts.color ?? false);
  const s = r.summary;
  const out: string[] = [];
  out.push(
    `${paint(r.status, r.status.toUpperCase())} ${paint('bold', r.name)}${r.file !== r.name ? ` (${r.file})` : ''} · ${s.steps} steps, ${s.expectations} expectations${s.expectationsFailed ? ` (${s.expectationsFailed} failed)` : ''} · ${formatMs(r.durationMs)}`,
  );
  if (r.errors.length) for (const e of r.errors) out.push(paint(e.severity === 'error' ? 'fail' : 'error', `  ${formatScenarioError(e)}`));
  if (r.steps.length && !opts.brief) out.push(stepsTable(r, paint, opts));
  const fails = failureLines(r, paint);
  if (fails.length) out.push('Failures:', ...fails);
  return out.join('\n');
}

export function summaryLine(result: RunResult): string {
  const s = result.summary;
  const errs = (n: number) => `${n} error${n === 1 ? '' : 's'}`;
  const sc = [`${s.scenariosPassed} passed`, ...(s.scenariosFailed ? [`${s.scenariosFailed} failed`] : []), ...(s.scenariosErrored ? [errs(s.scenariosErrored)] : [])].join(', ');
  const st = [`${s.passed} passed`, ...(s.failed ? [`${s.failed} failed`] : []), ...(s.errored ? [errs(s.errored)] : []), ...(s.skipped ? [`${s.skipped} skipped`] : [])].join(', ');
  return `${s.scenarios} scenario${s.scenarios === 1 ? '' : 's'}: ${sc} · ${s.steps} steps: ${st} · ${s.expectations} expectations, ${s.expectationsFailed} failed · ${formatMs(result.durationMs)}`;
}

export function renderConsole(result: RunResult, opts: ConsoleReportOptions = {}): string {
  const paint = painter(opts.color ?? false);
  const parts = result.scenarios.map((r) => renderScenarioConsole(r, opts));
  parts.push(paint(result.summary.ok ? 'pass' : 'fail', summaryLine(result)));
  return parts.join('\n\n') + '\n';
}

function painter(color: boolean): Paint {
  if (!color) return (_s, text) => text;
  const codes: Record<string, string> = { pass: '32', fail: '31', error: '35', skipped: '2', bold: '1' };
  return (status, text) => `\x1b[${codes[status] ?? '0'}m${text}\x1b[0m`;
}
