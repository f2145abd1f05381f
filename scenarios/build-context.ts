// What the plan builders share: the source (for positions), the collected errors, and small converters.
import { didYouMean, formatPath, type PathSegment, type ScenarioError } from './errors.js';
import type { SourceLocation } from './model.js';
import type { YamlSource } from './yaml-source.js';

export class BuildContext {
  readonly source: YamlSource;
  readonly errors: ScenarioError[] = [];
  readonly #seen = new Set<string>();

  constructor(source: YamlSource) {
    this.source = source;
  }

  get file(): string {
    return this.source.file;
  }

  /** Records an error once (repeated steps would otherwise report the same mistake per repetition). */
  error(path: readonly PathSegment[], message: string, where: 'value' | 'key' | 'owner' = 'value', severity: 'error' | 'warning' = 'error'): void {
    const at = formatPath(path);
    const e = this.source.error(path, at ? `${at}: ${message}` : message, { where, severity, code: 'semantic' });
    const key = `${e.line}:${e.column}:${e.message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.errors.push(e);
  }

  warn(path: readonly PathSegment[], message: string, where: 'value' | 'key' | 'owner' = 'value'): void {
    this.error(path, message, where, 'warning');
  }

  location(path: readonly PathSegment[], where: 'value' | 'key' = 'value'): SourceLocation {
    const at = this.source.locate(path, where);
    return { file: this.file, line: at.line, column: at.column };
  }

  get failed(): boolean {
    return this.errors.some((e) => e.severity === 'error');
  }
}

/** "unknown phone 'bobb' (did you mean 'bob'?)" or "… (declared: a, b)". */
export function unknownName(what: string, name: string, known: readonly string[]): string {
  const guess = didYouMean(name, known);
  if (guess) return `unknown ${what} '${name}' (did you mean '${guess}'?)`;
  if (!known.length) return `unknown ${what} '${name}' (none is declared)`;
  const shown = known.slice(0, 10).join(', ') + (known.length > 10 ? ', …' : '');
  return `unknown ${what} '${name}' (declared: ${shown})`;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms" | "2s" | "1.5m" | "1h" | seconds → milliseconds (the schema has checked the form). */
export function durationMs(d: string | number): number {
  if (typeof d === 'number') return Math.round(d * 1000);
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(d.trim());
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2]!]!) : NaN;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(3)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(3)}m`;
  return `${+(ms / 3_600_000).toFixed(3)}h`;
}

export const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
