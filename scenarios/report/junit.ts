// The JUnit XML report CI systems read: <testsuites> with one <testsuite> per scenario and one <testcase> per
// action step; failed expectations become <failure>, executor errors and load errors <error>, skipped steps
// <skipped>. Text is escaped; characters XML 1.0 cannot carry are replaced.
import { formatScenarioError } from '../errors.js';
import type { RunResult, ScenarioResult, StepResult } from '../results.js';
import { xmlAttr, xmlText } from './escape.js';

const secs = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(3);
const attrs = (o: Record<string, string | number | undefined>) =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');

const isAction = (s: StepResult) => s.kind !== 'parallel' && s.kind !== 'sequence';

function testcase(r: ScenarioResult, s: StepResult, ind: string): string {
  const [file, line] = (s.where ?? '').split(':');
  const head = `${ind}<testcase${attrs({ name: `${s.id} ${s.name}`, classname: r.name, time: secs(s.startMs !== undefined && s.endMs !== undefined ? s.endMs - s.startMs : 0), file: file || r.file, line })}`;
  const fails = s.expectations.filter((e) => !e.pass);
  const body: string[] = [];
  if (s.status === 'error' && s.error) body.push(`${ind}  <error${attrs({ message: s.error.message, type: 'error' })}>${xmlText(s.error.stack ?? s.error.message)}</error>`);
  if (s.status === 'fail' && fails.length)
    body.push(`${ind}  <failure${attrs({ message: fails[0]!.message, type: 'expectation' })}>${xmlText(fails.map((e) => e.message).join('\n'))}</failure>`);
  if (s.status === 'skipped') body.push(`${ind}  <skipped${attrs({ message: 'not run: an earlier step failed or the scenario stopped' })}/>`);
  const passed = s.expectations.filter((e) => e.pass);
  if (passed.length) body.push(`${ind}  <system-out>${xmlText(passed.map((e) => `✓ ${e.message}`).join('\n'))}</system-out>`);
  return body.length ? `${head}>\n${body.join('\n')}\n${ind}</testcase>` : `${head}/>`;
}

function testsuite(r: ScenarioResult, id: number): string {
  const actions = r.steps.filter(isAction);
  const loadFailed = r.errors.some((e) => e.severity === 'error');
  const cases = actions.map((s) => testcase(r, s, '    '));
  if (loadFailed || (!actions.length && r.errors.length)) {
    const errs = r.errors.filter((e) => e.severity === 'error');
    const msg = errs.map((e) => formatScenarioError(e)).join('\n');
    cases.unshift(`    <testcase${attrs({ name: 'load scenario', classname: r.name, time: '0.000', file: r.file })}>\n      <error${attrs({ message: errs[0] ? formatScenarioError(errs[0]) : 'did not load', type: 'load' })}>${xmlText(msg)}</error>\n    </testcase>`);
  }
  const tests = actions.length + (loadFailed ? 1 : 0);
  const failures = actions.filter((s) => s.status === 'fail').length;
  const errors = actions.filter((s) => s.status === 'error').length + (loadFailed ? 1 : 0);
  const skipped = actions.filter((s) => s.status === 'skipped').length;
  const props = [`      <property${attrs({ name: 'file', value: r.file })}/>`, ...(r.tags.length ? [`      <property${attrs({ name: 'tags', value: r.tags.join(',') })}/>`] : [])];
  const logs = r.logs.length ? `\n    <system-out>${xmlText(r.logs.map((l) => `${l.tMs.toFixed(1)} ms ${l.level.toUpperCase()} ${l.component ? `[${l.component}] ` : ''}${l.message}`).join('\n'))}</system-out>` : '';
  return (
    `  <testsuite${attrs({ name: r.name, id, tests, failures, errors, skipped, time: secs(r.durationMs), timestamp: r.startedAt.replace(/\.\d+Z$/, ''), file: r.file })}>\n` +
    `    <properties>\n${props.join('\n')}\n    </properties>\n` +
    `${cases.join('\n')}${logs}\n  </testsuite>`
  );
}

export function renderJunit(result: RunResult): string {
  const s = result.summary;
  const loadErrors = result.scenarios.filter((r) => r.errors.some((e) => e.severity === 'error')).length;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites${attrs({ name: 'trustline', tests: s.steps + loadErrors, failures: s.failed, errors: s.errored + loadErrors, skipped: s.skipped, time: secs(result.durationMs), timestamp: result.startedAt.replace(/\.\d+Z$/, '') })}>\n` +
    result.scenarios.map((r, i) => testsuite(r, i)).join('\n') +
    `\n</testsuites>\n`
  );
}
