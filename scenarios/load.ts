// Loading a scenario: read the file, parse it (yaml), validate it (ajv, schema/build.ts), check what the schema
// cannot (declarations.ts, steps.ts) and normalize it into a ScenarioPlan. Every problem comes back as a located
// ScenarioError; nothing throws for bad input unless asked to.
import { readFile, stat } from 'node:fs/promises';
import { relative } from 'node:path';
import type { ScenarioDocument } from './document.js';
import { ScenarioLoadError, type ScenarioError } from './errors.js';
import type { ScenarioPlan } from './model.js';
import { YamlSource } from './yaml-source.js';
import { schemaErrors } from './validate.js';
import { BuildContext, durationMs } from './build-context.js';
import { buildDeclarations } from './declarations.js';
import { buildSteps, multiActionErrors } from './steps.js';

/** A scenario is a hand-written file; anything bigger is not one. */
export const MAX_SCENARIO_BYTES = 2 * 1024 * 1024;
export const DEFAULT_SCENARIO_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_STEP_TIMEOUT_MS = 60_000;

export interface LoadResult {
  /** Present when there is no error (warnings may remain). */
  plan?: ScenarioPlan;
  /** Errors and warnings, in file order. */
  errors: ScenarioError[];
  /** The text, for code frames in messages. */
  text?: string;
}

export interface LoadOptions {
  /** How the file is named in messages (default: relative to the current directory). */
  displayName?: string;
  /** Throw ScenarioLoadError instead of returning errors. */
  throwOnError?: boolean;
}

const hasErrors = (errors: ScenarioError[]) => errors.some((e) => e.severity === 'error');
const sortErrors = (errors: ScenarioError[]) => errors.sort((a, b) => a.line - b.line || a.column - b.column);

/** Parses, validates and normalizes scenario text. */
export function loadScenarioText(text: string, file: string, opts: LoadOptions = {}): LoadResult {
  const result = build(text, file);
  if (opts.throwOnError && hasErrors(result.errors)) throw new ScenarioLoadError(result.errors);
  return result;
}

function build(text: string, file: string): LoadResult {
  if (Buffer.byteLength(text) > MAX_SCENARIO_BYTES)
    return { errors: [{ file, line: 1, column: 1, path: '', message: `the file is larger than ${MAX_SCENARIO_BYTES} bytes`, severity: 'error', code: 'limit' }], text };
  const source = new YamlSource(file, text);
  if (!source.ok) return { errors: source.syntaxErrors, text };
  let value: unknown;
  try {
    value = source.value();
  } catch (e) {
    // alias expansion limit, circular aliases
    return { errors: [...source.syntaxErrors, { file, line: 1, column: 1, path: '', message: `YAML: ${(e as Error).message}`, severity: 'error', code: 'yaml' }], text };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const at = source.locate([]);
    return {
      errors: [...source.syntaxErrors, { file, line: at.line, column: at.column, path: '', message: 'a scenario is a mapping with name, cluster, phones and steps', severity: 'error', code: 'schema' }],
      text,
    };
  }
  const ctx = new BuildContext(source);
  multiActionErrors(ctx, value);
  const schema = schemaErrors(source, value);
  if (hasErrors(schema) || ctx.failed) return { errors: sortErrors([...source.syntaxErrors, ...schema, ...ctx.errors]), text };
  const doc = value as ScenarioDocument;
  const decl = buildDeclarations(ctx, doc);
  const timeoutMs = doc.timeout !== undefined ? durationMs(doc.timeout) : DEFAULT_SCENARIO_TIMEOUT_MS;
  const stepTimeoutMs = doc.stepTimeout !== undefined ? durationMs(doc.stepTimeout) : DEFAULT_STEP_TIMEOUT_MS;
  const steps = buildSteps(ctx, doc, decl, stepTimeoutMs, timeoutMs);
  const errors = sortErrors([...source.syntaxErrors, ...schema, ...ctx.errors]);
  if (hasErrors(errors)) return { errors, text };
  const plan: ScenarioPlan = {
    file,
    name: doc.name,
    ...(doc.description ? { description: doc.description.trim() } : {}),
    tags: doc.tags ?? [],
    references: doc.references ?? [],
    timeoutMs,
    stepTimeoutMs,
    continueOnFailure: doc.continueOnFailure ?? false,
    clusters: decl.clusters,
    phoneProfiles: decl.phoneProfiles,
    trunkProfiles: decl.trunkProfiles,
    phones: decl.phones,
    groups: decl.groups,
    trunks: decl.trunks,
    steps: steps.steps,
    stats: { actionSteps: steps.actionSteps, expectations: steps.expectations, phones: decl.phones.length },
  };
  return { plan, errors, text };
}

/** Reads and loads a scenario file. I/O problems are reported as errors at 1:1. */
export async function loadScenarioFile(path: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const name = opts.displayName ?? (relative(process.cwd(), path) || path);
  let text: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    if (st.size > MAX_SCENARIO_BYTES) throw Object.assign(new Error(`larger than ${MAX_SCENARIO_BYTES} bytes`), { code: 'EFBIG' });
    text = await readFile(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const errors: ScenarioError[] = [{ file: name, line: 1, column: 1, path: '', message: `cannot read the scenario: ${err.code ? `${err.code} ` : ''}${err.message}`, severity: 'error', code: 'io' }];
    if (opts.throwOnError) throw new ScenarioLoadError(errors);
    return { errors };
  }
  return loadScenarioText(text, name, opts);
}
