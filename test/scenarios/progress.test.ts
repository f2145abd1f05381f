import { expect } from 'chai';
import { createProgress, type ProgressMode } from '../../scenarios/progress.js';
import type { ScenarioPlan } from '../../scenarios/model.js';
import { failedScenario, summarizeRun, type ScenarioResult, type StepResult } from '../../scenarios/results.js';

function stream(tty: boolean) {
  const chunks: string[] = [];
  return { chunks, s: { write: (x: string) => chunks.push(x), isTTY: tty, columns: 80 } };
}

const plan = { name: 'S2', file: 's2.yaml', stats: { actionSteps: 2, phones: 2, expectations: 3 } } as ScenarioPlan;
const step = (id: string, status: StepResult['status'], fail?: string): StepResult => ({
  id,
  name: `step ${id}`,
  kind: 'wait',
  depth: 0,
  template: id,
  iteration: [],
  status,
  startMs: 0,
  endMs: 12,
  expectations: fail ? [{ stepId: id, stepName: `step ${id}`, path: 'tls.suite', expected: 'A', observed: 'B', pass: false, message: fail }] : [],
});
const result: ScenarioResult = { ...failedScenario('s2.yaml', 'S2', []), status: 'fail', summary: { steps: 2, passed: 1, failed: 1, errored: 0, skipped: 0, expectations: 3, expectationsFailed: 1 } };

function drive(mode: ProgressMode, tty: boolean, clock?: () => number): string[] {
  const { chunks, s } = stream(tty);
  const p = createProgress({ mode, stream: s, color: false, ...(clock ? { clock, statusEveryMs: 1000 } : {}) });
  p.runStart(1);
  p.scenarioStart(plan);
  p.stepStart({ id: '1', name: 'step 1', kind: 'wait' });
  p.stepEnd(step('1', 'pass'));
  p.stepStart({ id: '2', name: 'step 2', kind: 'wait' });
  p.stepEnd(step('2', 'fail', 'step 2 "step 2": tls.suite: expected A, observed B'));
  p.scenarioEnd(result);
  p.runEnd(summarizeRun([result], new Date().toISOString(), 1));
  return chunks;
}

describe('scenarios: progress on stderr', () => {
  it('--quiet writes nothing but load errors', () => {
    expect(drive('quiet', true)).to.deep.equal([]);
    const { chunks, s } = stream(false);
    createProgress({ mode: 'quiet', stream: s, color: false }).loadErrors('x.yaml', [{ file: 'x.yaml', line: 2, column: 1, path: '', message: 'bad', severity: 'error', code: 'schema' }], 'a: 1\nb: 2\n');
    expect(chunks.join('')).to.equal('x.yaml:2:1: error: bad\n2 | b: 2\n    ^\n');
  });

  it('--verbose writes a line per step with its failures', () => {
    const out = drive('verbose', false).join('');
    expect(out.split('\n')).to.deep.equal([
      '▶ S2 (s2.yaml, 2 steps, 2 phones)',
      '  ✓ 1 step 1 (12 ms)',
      '  ✗ 2 step 2 (12 ms)',
      '      step 2 "step 2": tls.suite: expected A, observed B',
      '✗ FAIL S2 · 1/2 steps passed, 1 failed · 0.00 s',
      '',
    ]);
  });

  it('on a terminal, one line updates in place, then the scenario line stays', () => {
    const chunks = drive('normal', true);
    expect(chunks.filter((c) => c.startsWith('\r\x1b[2K')).length).to.be.greaterThan(2);
    expect(chunks).to.include('\r\x1b[2KS2: step 2/2 · 2 step 2');
    expect(chunks[chunks.length - 1]).to.equal('✗ FAIL S2 · 1/2 steps passed, 1 failed · 0.00 s\n');
  });

  it('in a log file, a status line at most every statusEveryMs', () => {
    let now = 0;
    const { chunks, s } = stream(false);
    const p = createProgress({ mode: 'normal', stream: s, color: false, clock: () => now, statusEveryMs: 1000 });
    p.runStart(1);
    p.scenarioStart(plan);
    for (let i = 0; i < 10; i++) {
      now += 300;
      p.stepStart({ id: String(i), name: `s${i}`, kind: 'wait' });
    }
    p.scenarioEnd(result);
    const statuses = chunks.filter((c) => c.startsWith('… '));
    expect(statuses).to.have.length(2);
    expect(chunks.some((c) => c.includes('\x1b['))).to.equal(false);
    expect(chunks[chunks.length - 1]).to.match(/^✗ FAIL S2/);
  });
});
