// A cluster configuration file in YAML: parsed with `yaml` (positions kept), checked with normalizeClusterConfig
// (cluster.schema.json through ajv, then the cross-checks), every problem reported as file:line:column.
import { readFile } from 'node:fs/promises';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ClusterConfigError, formatConfigPath, normalizeClusterConfig, type ClusterConfig, type ConfigIssue, type PathSegment } from './config.js';

export interface LocatedIssue extends ConfigIssue {
  file: string;
  line: number;
  column: number;
}

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** The YAML node at `path`, or the deepest one that exists (a missing key points at its parent). */
function nodeAt(root: unknown, path: readonly PathSegment[], key = false): Node | undefined {
  let node = root as Node | undefined;
  for (const [n, seg] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return node;
      node = key && n === path.length - 1 ? (pair.key as Node) : ((pair.value as Node | null) ?? (pair.key as Node));
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg] as Node;
    } else return node;
  }
  return node;
}

/**
 * Parses and checks a YAML configuration. Throws ClusterConfigError whose issues carry file, line and column, and
 * whose message lists them as `file:line:column: path: problem`.
 */
export function parseClusterConfigYaml(text: string, file = 'cluster.yaml'): ClusterConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  const located: LocatedIssue[] = [];
  for (const e of doc.errors) {
    const pos = lines.linePos(e.pos[0]);
    located.push({ file, line: pos.line, column: pos.col, path: [], message: `YAML syntax error: ${e.message.split('\n')[0]} (${e.code})` });
  }
  if (located.length) throw locatedError(located, file);
  const value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  try {
    return normalizeClusterConfig(value, file);
  } catch (err) {
    if (!(err instanceof ClusterConfigError)) throw err;
    const out = err.issues.map((i): LocatedIssue => {
      const node = nodeAt(doc.contents, i.path, i.at === 'key');
      const pos = node?.range ? lines.linePos(node.range[0]) : { line: 1, col: 1 };
      return { ...i, file, line: pos.line, column: pos.col };
    });
    throw locatedError(out, file);
  }
}

function locatedError(issues: LocatedIssue[], file: string): ClusterConfigError {
  const e = new ClusterConfigError(issues, file);
  e.message = `invalid cluster configuration:\n${issues.map((i) => `  ${i.file}:${i.line}:${i.column}: ${i.path.length ? `${formatConfigPath(i.path)}: ` : ''}${i.message}`).join('\n')}`;
  return e;
}

/** Reads and checks a YAML configuration file (bounded size). */
export async function loadClusterConfigFile(path: string): Promise<ClusterConfig> {
  const data = await readFile(path);
  if (data.length > MAX_CONFIG_BYTES) throw new ClusterConfigError([{ path: [], message: `${data.length} bytes exceed the limit of ${MAX_CONFIG_BYTES}` }], path);
  return parseClusterConfigYaml(data.toString('utf8'), path);
}
