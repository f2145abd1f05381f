// A scenario file parsed with `yaml` (parseDocument + LineCounter): its plain value, its syntax errors with the
// parser's positions, and locate(path), which maps a document path (as ajv's instancePath or our semantic checks
// give it) back to the line and column of the YAML node, following aliases; a path into merged or generated
// content falls back to the deepest node that exists.
import { LineCounter, parseDocument, isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair } from 'yaml';
import type { PathSegment, ScenarioError } from './errors.js';
import { formatPath } from './errors.js';

export interface Located {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** False when the path ends in a node that does not exist and an ancestor was used. */
  exact: boolean;
}

/** Aliases expanded per document (bounds "billion laughs"); a scenario has no business with more. */
const MAX_ALIAS_COUNT = 1000;

export class YamlSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lines = new LineCounter();
  readonly syntaxErrors: ScenarioError[] = [];
  #value: unknown;

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true, merge: true, strict: true });
    for (const e of [...this.doc.errors, ...this.doc.warnings]) {
      const pos = this.lines.linePos(e.pos[0]);
      const end = this.lines.linePos(e.pos[1]);
      this.syntaxErrors.push({
        file,
        line: Math.max(1, pos.line),
        column: Math.max(1, pos.col),
        endLine: end.line,
        endColumn: end.col,
        path: '',
        message: `YAML ${e.name === 'YAMLWarning' ? 'warning' : 'syntax error'}: ${firstLine(e.message)} (${e.code})`,
        severity: e.name === 'YAMLWarning' ? 'warning' : 'error',
        code: 'yaml',
      });
    }
  }

  get ok(): boolean {
    return !this.syntaxErrors.some((e) => e.severity === 'error');
  }

  /** The document as plain data (only meaningful when ok). */
  value(): unknown {
    if (this.#value === undefined) this.#value = this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? null;
    return this.#value;
  }

  #pos(offset: number): { line: number; column: number } {
    const p = this.lines.linePos(offset);
    return { line: Math.max(1, p.line), column: Math.max(1, p.col) };
  }

  #range(node: Node | null | undefined, fallbackOffset = 0): Omit<Located, 'exact'> {
    const r = node?.range;
    const start = this.#pos(r ? r[0] : fallbackOffset);
    const end = this.#pos(r ? r[1] : fallbackOffset);
    return { line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  }

  /**
   * Where the node at `path` is. `key` points at the mapping key of the last segment (unknown properties);
   * `owner` points at the key that holds the node (missing properties of an object are reported on its name).
   */
  locate(path: readonly PathSegment[], where: 'value' | 'key' | 'owner' = 'value'): Located {
    let node: unknown = this.doc.contents;
    let pair: Pair | undefined;
    let owner: Pair | undefined;
    let exact = true;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isAlias(node)) node = node.resolve(this.doc);
      let next: unknown;
      let nextPair: Pair | undefined;
      if (isMap(node)) {
        nextPair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg)) as Pair | undefined;
        next = nextPair?.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
      }
      if (next === undefined && nextPair === undefined) {
        exact = false;
        break;
      }
      owner = pair;
      pair = nextPair;
      if (nextPair && (next === null || next === undefined)) {
        // `key:` with no value: the key is the place
        node = nextPair.key;
        if (i < path.length - 1) {
          exact = false;
          break;
        }
        continue;
      }
      node = next;
      if (!nextPair) pair = undefined;
    }
    if (isAlias(node)) node = node.resolve(this.doc);
    if (where === 'key' && exact && pair && isNode(pair.key)) return { ...this.#range(pair.key), exact };
    if (where === 'owner') {
      const holder = exact ? pair : owner;
      if (holder && isNode(holder.key)) return { ...this.#range(holder.key), exact };
    }
    return { ...this.#range(isNode(node) ? node : undefined), exact };
  }

  /** The text of a scalar at `path` as written in the file (to explain YAML's typing, e.g. 001122334455 read as a number). */
  sourceText(path: readonly PathSegment[]): string | undefined {
    let node: unknown = this.doc.getIn(path as PathSegment[], true);
    if (isAlias(node)) node = node.resolve(this.doc);
    if (!isScalar(node) || !node.range) return undefined;
    return this.text.slice(node.range[0], node.range[1]);
  }

  error(path: readonly PathSegment[], message: string, opts: { where?: 'value' | 'key' | 'owner'; severity?: 'error' | 'warning'; code?: ScenarioError['code'] } = {}): ScenarioError {
    const at = this.locate(path, opts.where ?? 'value');
    return {
      file: this.file,
      line: at.line,
      column: at.column,
      endLine: at.endLine,
      endColumn: at.endColumn,
      path: formatPath(path),
      message,
      severity: opts.severity ?? 'error',
      code: opts.code ?? 'semantic',
    };
  }
}

function isNode(n: unknown): n is Node {
  return typeof n === 'object' && n !== null && 'range' in n;
}

function keyText(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  if (typeof k === 'string' || typeof k === 'number') return String(k);
  return undefined;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
