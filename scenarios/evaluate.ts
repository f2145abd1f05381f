// Judges a step's expectations against what the executor observed. Pure: the same inputs give the same results.
// Each failure names the step, where the expectation is written, the subject, the path, and the expected and
// observed values; passes on several subjects are folded into one result per path.
import type { ExpectationLeaf, ExpectationSpec, Matcher, ObservedFacts, SourceLocation, StepObservation, SubjectObservation } from './model.js';
import { formatLocation } from './model.js';
import type { ExpectationResult } from './results.js';

export interface StepRef {
  id: string;
  name: string;
  location?: SourceLocation;
}

export function describeMatcher(m: Matcher): string {
  switch (m.op) {
    case 'equals':
      return String(m.value);
    case 'oneOf':
      return m.values.length === 1 ? String(m.values[0]) : `one of ${m.values.join(', ')}`;
    case 'compare':
      return `${m.cmp === '==' ? '' : `${m.cmp} `}${m.value}`;
    case 'range':
      return m.min !== undefined && m.max !== undefined ? `between ${m.min} and ${m.max}` : m.min !== undefined ? `>= ${m.min}` : `<= ${m.max}`;
    case 'contains':
      return `text containing '${m.text}'`;
    case 'matches':
      return `text matching /${m.pattern}/`;
    case 'includes':
      return `a list including ${m.values.join(', ')}`;
    case 'excludes':
      return `a list without ${m.values.join(', ')}`;
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return v.length ? v.map((x) => show(x)).join(', ') : 'an empty list';
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** Whether an observed value satisfies a matcher (undefined never does, except for excludes). */
export function matches(m: Matcher, v: unknown): boolean {
  switch (m.op) {
    case 'equals':
      return v === m.value;
    case 'oneOf':
      return m.values.some((x) => x === v);
    case 'compare': {
      if (typeof v !== 'number' || Number.isNaN(v)) return false;
      const c = m.value;
      return { '==': v === c, '!=': v !== c, '<': v < c, '<=': v <= c, '>': v > c, '>=': v >= c }[m.cmp];
    }
    case 'range':
      return typeof v === 'number' && (m.min === undefined || v >= m.min) && (m.max === undefined || v <= m.max);
    case 'contains': {
      const texts = Array.isArray(v) ? v : [v];
      return texts.some((t) => typeof t === 'string' && t.toLowerCase().includes(m.text.toLowerCase()));
    }
    case 'matches': {
      let re: RegExp;
      try {
        re = new RegExp(m.pattern);
      } catch {
        return false;
      }
      const texts = Array.isArray(v) ? v : [v];
      return texts.some((t) => typeof t === 'string' && re.test(t));
    }
    case 'includes':
      return Array.isArray(v) && m.values.every((x) => v.includes(x));
    case 'excludes':
      return v === undefined || (Array.isArray(v) && !m.values.some((x) => v.includes(x)));
  }
}

interface Check {
  subject: string;
  /** Stream id when the value comes from one media stream. */
  part?: string;
  observed: unknown;
  pass: boolean;
}

/** The observed values a leaf is compared with on one subject (several for media streams). */
function observedValues(facts: ObservedFacts, stepOutcome: StepObservation['outcome'], path: string): { part?: string; value: unknown }[] {
  const [head, ...rest] = path.split('.');
  if (head === 'outcome') return [{ value: facts.outcome ?? stepOutcome }];
  if (head === 'media') {
    const streams = facts.media;
    if (rest[0] === 'streams') return [{ value: streams?.length ?? 0 }];
    if (!streams || !streams.length) return [{ value: undefined }];
    return streams.map((s) => ({ part: s.id, value: (s as unknown as Record<string, unknown>)[rest.join('.')] }));
  }
  let v: unknown = facts;
  for (const seg of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
  return [{ value: v }];
}

function checksFor(leaf: ExpectationLeaf, subjects: SubjectObservation[], obs: StepObservation): Check[] {
  const out: Check[] = [];
  for (const s of subjects)
    for (const { part, value } of observedValues(s.facts, obs.outcome, leaf.path))
      out.push({ subject: s.subject, ...(part ? { part } : {}), observed: value, pass: matches(leaf.matcher, value) });
  return out;
}

/**
 * Which subjects a top-level leaf is checked on: `cluster.*` on the cluster subjects, `outcome` and `reason` on
 * every subject, the rest (tls, registration, call, media, trust…) on the others (phones, probes, calls).
 */
function appliesTo(path: string, s: SubjectObservation): boolean {
  const head = path.split('.')[0];
  if (head === 'outcome' || head === 'reason') return true;
  return head === 'cluster' ? s.kind === 'cluster' : s.kind !== 'cluster';
}

function stepLabel(step: StepRef): string {
  return `step ${step.id} "${step.name}"`;
}

/**
 * Compares `observation` with `expect` for `step`. Every leaf is checked on every subject it applies to (or on the
 * subject it names); a leaf with no subject to check fails ("observed nothing"). When the step states no outcome, the implicit
 * `outcome: ok` is checked too, so a failed action never passes silently.
 */
export function evaluateExpectations(step: StepRef, expect: ExpectationSpec, observation: StepObservation): ExpectationResult[] {
  const leaves: ExpectationLeaf[] = [...expect.leaves];
  if (expect.implicitOk)
    leaves.unshift({ path: 'outcome', matcher: { op: 'equals', value: 'ok' }, location: step.location ?? { file: '', line: 0, column: 0 } });
  const results: ExpectationResult[] = [];
  for (const [i, leaf] of leaves.entries()) {
    const implicit = expect.implicitOk && i === 0;
    const where = leaf.location.line > 0 ? formatLocation(leaf.location) : step.location ? formatLocation(step.location) : undefined;
    const expected = describeMatcher(leaf.matcher);
    const base = { stepId: step.id, stepName: step.name, ...(where ? { where } : {}), path: leaf.path, expected, ...(implicit ? { implicit: true } : {}) };
    const subjects = leaf.subject ? observation.subjects.filter((s) => s.subject === leaf.subject) : observation.subjects.filter((s) => appliesTo(leaf.path, s));
    if (!subjects.length) {
      // a step with no subjects still has an outcome
      if (leaf.path === 'outcome' && !leaf.subject) {
        const pass = matches(leaf.matcher, observation.outcome);
        results.push({ ...base, observed: show(observation.outcome), pass, message: message(step, where, undefined, leaf.path, expected, observation.outcome, pass, implicit, observation.reason) });
      } else {
        const who = leaf.subject ? `phone '${leaf.subject}' was not observed in this step` : 'the step observed nothing to check';
        results.push({ ...base, ...(leaf.subject ? { subject: leaf.subject } : {}), observed: 'nothing', pass: false, message: `${stepLabel(step)}${where ? ` (${where})` : ''}: ${leaf.path}: expected ${expected}, but ${who}` });
      }
      continue;
    }
    const checks = checksFor(leaf, subjects, observation);
    const failed = checks.filter((c) => !c.pass);
    // the same wrong value on many subjects (a load test) is one result naming a few of them
    const byValue = new Map<string, Check[]>();
    for (const c of failed) byValue.set(show(c.observed), [...(byValue.get(show(c.observed)) ?? []), c]);
    for (const [observed, group] of byValue) {
      const names = group.map((c) => (c.part ? `${c.subject} stream ${c.part}` : c.subject));
      const who = names.length === 1 ? names[0]! : names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')}, … (${names.length} in all)`;
      const first = group[0]!;
      const reason = leaf.path === 'outcome' ? (subjects.find((s) => s.subject === first.subject)?.facts.reason ?? observation.reason) : undefined;
      results.push({
        ...base,
        subject: who,
        ...(names.length > 1 ? { subjects: names.length } : {}),
        observed,
        pass: false,
        message: message(step, where, who, leaf.path, expected, first.observed, false, implicit, reason),
      });
    }
    const passed = checks.filter((c) => c.pass);
    if (passed.length) {
      const subjectsPassed = [...new Set(passed.map((c) => c.subject))];
      const values = [...new Set(passed.map((c) => show(c.observed)))];
      const one = subjectsPassed.length === 1;
      results.push({
        ...base,
        ...(one ? { subject: subjectsPassed[0] } : { subjects: subjectsPassed.length }),
        observed: values.join(', '),
        pass: true,
        message: message(step, where, one ? subjectsPassed[0] : `${subjectsPassed.length} subjects`, leaf.path, expected, values.join(', '), true, implicit),
      });
    }
  }
  return results;
}

function message(step: StepRef, where: string | undefined, who: string | undefined, path: string, expected: string, observed: unknown, pass: boolean, implicit: boolean, reason?: string): string {
  const head = `${stepLabel(step)}${where ? ` (${where})` : ''}${who ? `, ${who}` : ''}`;
  if (pass) return `${head}: ${path} = ${show(observed)}`;
  if (implicit) return `${head}: the action failed${reason ? `: ${reason}` : ''} (observed outcome ${show(observed)}; write expect: { outcome: failed } if that is intended)`;
  return `${head}: ${path}: expected ${expected}, observed ${show(observed)}${reason ? ` (${reason})` : ''}`;
}
