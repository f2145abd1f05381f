// Errors of a scenario file, each with the place it points to (file:line:column) and a message saying what was
// expected. Used by the loader (YAML syntax, schema, semantic checks) and shown by the CLI and the reports.

export type ErrorSeverity = 'error' | 'warning';

export interface ScenarioError {
  file: string;
  /** 1-based line and column of the node the error is about. */
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  /** Document path, e.g. `steps[2].expect.tls.suite` ("" for the whole document). */
  path: string;
  message: string;
  severity: ErrorSeverity;
  /** yaml (syntax), schema, semantic, io, limit. */
  code: 'yaml' | 'schema' | 'semantic' | 'io' | 'limit';
}

/** Thrown by loadScenarioFile(…, { throwOnError: true }) and the runner when a file does not load. */
export class ScenarioLoadError extends Error {
  readonly errors: ScenarioError[];
  constructor(errors: ScenarioError[]) {
    super(errors.filter((e) => e.severity === 'error').map((e) => formatScenarioError(e)).join('\n') || 'scenario did not load');
    this.name = 'ScenarioLoadError';
    this.errors = errors;
  }
}

/** `file:line:column: error: message`, with the source line and a caret under the column when source is given. */
export function formatScenarioError(e: ScenarioError, source?: string): string {
  const head = `${e.file}:${e.line}:${e.column}: ${e.severity}: ${e.message}`;
  if (source === undefined) return head;
  const text = source.split(/\r?\n/)[e.line - 1];
  if (text === undefined) return head;
  const gutter = `${e.line} | `;
  const width = e.endLine === e.line && e.endColumn && e.endColumn > e.column ? Math.min(e.endColumn - e.column, 80) : 1;
  return `${head}\n${gutter}${text}\n${' '.repeat(gutter.length + e.column - 1)}${'^'.repeat(width)}`;
}

export type PathSegment = string | number;

/** [steps, 2, expect, tls] → `steps[2].expect.tls`; keys that are not identifiers are quoted. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/** The candidate closest to `word` (ignoring case and separators) if it is close enough to be a typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[\s_.-]+/g, '');
  const w = norm(word);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(w, norm(c));
    if (d < bestD) [best, bestD] = [c, d];
  }
  const limit = Math.max(1, Math.min(3, Math.floor(w.length / 3)));
  return best !== undefined && bestD <= limit ? best : undefined;
}

/** "a, b or c" (at most `max` items, then "… (N in all)"). */
export function listWords(words: readonly string[], max = 12): string {
  const shown = words.slice(0, max);
  const tail = words.length > max ? `, … (${words.length} in all)` : '';
  if (shown.length <= 1) return shown.join('') + tail;
  return `${shown.slice(0, -1).join(', ')}${tail ? `, ${shown[shown.length - 1]}${tail}` : ` or ${shown[shown.length - 1]}`}`;
}

/** How a value reads in a message: strings quoted, others as YAML would show them. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return `a list [${v.slice(0, 5).map(showValue).join(', ')}${v.length > 5 ? ', …' : ''}]`;
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return 'a string';
}
