// Schema validation with ajv (allErrors), and the translation of ajv's errors into messages that say what was
// expected, located on the YAML node. Unions (anyOf) are resolved to the branch whose type fits the value, so a
// wrong suite name reads "expected one of …" rather than "must match a schema in anyOf".
import _Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { buildScenarioSchema, SCHEMA_ID, type JsonSchema } from './schema/build.js';
import { didYouMean, formatPath, listWords, showValue, typeName, type PathSegment, type ScenarioError } from './errors.js';
import type { YamlSource } from './yaml-source.js';

const Ajv = _Ajv as unknown as typeof _Ajv.default;
type AjvInstance = InstanceType<typeof Ajv>;

const MAX_ERRORS = 100;

let cache: { ajv: AjvInstance; validate: ValidateFunction; schema: JsonSchema } | undefined;

function compiled(): NonNullable<typeof cache> {
  if (cache) return cache;
  const schema = buildScenarioSchema();
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
  // VS Code's extension keyword: the message editors show for a failed pattern; we use it too.
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  ajv.addSchema(schema);
  const validate = ajv.getSchema(SCHEMA_ID)!;
  cache = { ajv, validate, schema };
  return cache;
}

/** The compiled schema validator (for callers that only want a yes/no). */
export function scenarioValidator(): ValidateFunction {
  return compiled().validate;
}

const pointerToPath = (pointer: string): PathSegment[] =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v = root;
  for (const s of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

let pointers: WeakMap<object, string> | undefined;

/** JSON pointer of a sub-schema object inside the root schema (ajv's verbose errors hand us the object itself). */
function pointerOf(sub: unknown): string | undefined {
  if (!pointers) {
    pointers = new WeakMap();
    const walk = (node: unknown, ptr: string) => {
      if (node === null || typeof node !== 'object' || pointers!.has(node)) return;
      pointers!.set(node, ptr);
      for (const [k, v] of Object.entries(node)) walk(v, `${ptr}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    };
    walk(compiled().schema, '');
  }
  return typeof sub === 'object' && sub !== null ? pointers.get(sub) : undefined;
}

function schemaAt(pointer: string): JsonSchema | undefined {
  const { schema } = compiled();
  const local = pointer.startsWith(SCHEMA_ID) ? pointer.slice(SCHEMA_ID.length) : pointer;
  const segs = local.replace(/^#\/?/, '').split('/').filter(Boolean);
  let s: unknown = schema;
  for (const seg of segs) {
    if (s === null || typeof s !== 'object') return undefined;
    s = (s as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return s as JsonSchema | undefined;
}

function deref(s: JsonSchema): JsonSchema {
  let cur = s;
  for (let i = 0; i < 10 && typeof cur.$ref === 'string'; i++) cur = schemaAt(cur.$ref) ?? cur;
  if (Array.isArray(cur.allOf) && cur.allOf.length === 1 && !cur.type && !cur.enum) return deref(cur.allOf[0] as JsonSchema);
  return cur;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v === 'object' ? 'object' : typeof v;
}

function typeFits(types: string[], v: unknown): boolean {
  const t = jsonType(v);
  return types.includes(t) || (t === 'integer' && types.includes('number'));
}

/** Whether a union branch is meant for values of this type (its errors are then the relevant ones). */
function branchFits(branch: JsonSchema, v: unknown): boolean {
  const b = deref(branch);
  if (b.type) return typeFits(([] as string[]).concat(b.type as string | string[]), v);
  if (Array.isArray(b.enum)) return b.enum.some((e) => jsonType(e) === jsonType(v) || (typeof e === 'number' && typeof v === 'number'));
  if ('const' in b) return jsonType(b.const) === jsonType(v);
  if (Array.isArray(b.anyOf)) return (b.anyOf as JsonSchema[]).some((x) => branchFits(x, v));
  return true;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'nothing',
};

function describeBranch(branch: JsonSchema): string {
  const b = deref(branch);
  if (Array.isArray(b.enum)) return `one of ${listWords(b.enum.map((e) => String(e)))}`;
  if (b.type) return listWords(([] as string[]).concat(b.type as string | string[]).map((t) => TYPE_WORDS[t] ?? t));
  if (Array.isArray(b.anyOf)) return (b.anyOf as JsonSchema[]).map(describeBranch).join(' or ');
  return 'something else';
}

interface Raw {
  path: PathSegment[];
  err: ErrorObject;
}

/** Validates `value` against the schema (or a sub-schema) and returns ajv's errors with their paths. */
function rawErrors(value: unknown, schemaRef: string, base: PathSegment[]): Raw[] {
  const { ajv } = compiled();
  const validate = schemaRef === SCHEMA_ID ? compiled().validate : ajv.getSchema(schemaRef);
  if (!validate || validate(value)) return [];
  return (validate.errors ?? []).map((err) => ({ path: [...base, ...pointerToPath(err.instancePath)], err }));
}

const under = (p: PathSegment[], base: PathSegment[]) => p.length >= base.length && base.every((s, i) => p[i] === s);

/** Collapses unions: per anyOf, keep only the errors of the branch that fits the value's type. */
function resolveUnions(raw: Raw[], root: unknown, depth = 0): (Raw | ScenarioErrorDraft)[] {
  const out: (Raw | ScenarioErrorDraft)[] = [];
  let rest = raw.filter((r) => r.err.keyword !== 'if');
  const unions = rest.filter((r) => r.err.keyword === 'anyOf' || r.err.keyword === 'oneOf');
  // innermost first, so a union inside a union branch is handled by the re-validation below
  unions.sort((a, b) => b.path.length - a.path.length);
  for (const u of unions) {
    if (!rest.includes(u)) continue;
    const branches = (u.err.schema as JsonSchema[]) ?? [];
    const v = valueAt(root, u.path);
    // "one of these keys is required" (a step's action)
    if (branches.length && branches.every((b) => Array.isArray(b.required) && Object.keys(b).length === 1)) {
      const names = branches.map((b) => (b.required as string[])[0]!);
      rest = rest.filter((r) => r !== u && !(r.err.keyword === 'required' && pathEq(r.path, u.path) && names.includes(String(r.err.params.missingProperty))));
      out.push({ path: u.path, where: 'owner', message: `needs one of ${listWords(names, 30)}` });
      continue;
    }
    rest = rest.filter((r) => !under(r.path, u.path));
    const fitting = branches.map((b, i) => ({ b, i })).filter(({ b }) => branchFits(b, v));
    if (!fitting.length || depth > 4) {
      out.push({ path: u.path, where: 'value', message: `expected ${branches.map(describeBranch).join(', or ')}, but got ${typeName(v)}` });
      continue;
    }
    let best: (Raw | ScenarioErrorDraft)[] | undefined;
    const at = pointerOf(u.err.schema);
    if (at === undefined) {
      out.push({ path: u.path, where: 'value', message: `expected ${branches.map(describeBranch).join(', or ')}, but got ${showValue(v)}` });
      continue;
    }
    for (const { i } of fitting) {
      const errs = resolveUnions(rawErrors(v, `${SCHEMA_ID}#${at}/${i}`, u.path), root, depth + 1);
      if (!best || errs.length < best.length) best = errs;
    }
    out.push(...(best ?? []));
  }
  for (const r of rest) if (r.err.keyword !== 'anyOf' && r.err.keyword !== 'oneOf') out.push(r);
  return out;
}

interface ScenarioErrorDraft {
  path: PathSegment[];
  where: 'value' | 'key' | 'owner';
  message: string;
}

const pathEq = (a: PathSegment[], b: PathSegment[]) => a.length === b.length && a.every((s, i) => s === b[i]);

function prefix(path: PathSegment[]): string {
  const p = formatPath(path);
  return p ? `${p}: ` : '';
}

function quoteHint(source: YamlSource, path: PathSegment[], v: unknown, allowed?: unknown[]): string {
  if (typeof v !== 'number' && typeof v !== 'boolean') return '';
  const text = source.sourceText(path);
  if (!text) return '';
  if (allowed && !allowed.some((a) => typeof a === 'string' && (a === text || a === String(v)))) return '';
  return ` (YAML reads ${text} as ${typeof v === 'number' ? 'a number' : 'a boolean'}: write it in quotes, '${text}')`;
}

function message(source: YamlSource, root: unknown, r: Raw): ScenarioErrorDraft | undefined {
  const { err, path } = r;
  const v = valueAt(root, path);
  const parent = err.parentSchema as JsonSchema | undefined;
  switch (err.keyword) {
    case 'additionalProperties': {
      const name = String(err.params.additionalProperty);
      const known = Object.keys((parent?.properties as Record<string, unknown>) ?? {});
      const guess = didYouMean(name, known);
      const hint = guess ? ` (did you mean '${guess}'?)` : known.length ? ` (expected one of ${listWords(known, 40)})` : ' (no properties allowed here)';
      return { path: [...path, name], where: 'key', message: `${prefix(path)}unknown property '${name}'${hint}` };
    }
    case 'required':
      return { path, where: 'owner', message: `${prefix(path)}missing required property '${String(err.params.missingProperty)}'` };
    case 'enum': {
      const allowed = (err.schema as unknown[]) ?? [];
      const guess = typeof v === 'string' ? didYouMean(v, allowed.filter((a): a is string => typeof a === 'string')) : undefined;
      const shown = allowed.map((a) => (typeof a === 'string' && typeof v !== 'string' ? `'${a}'` : String(a)));
      return {
        path,
        where: 'value',
        message: `${prefix(path)}expected one of ${listWords(shown, allowed.length > 20 ? 4 : 20)} but got ${typeof v === 'number' ? 'the number ' : ''}${showValue(v)}${guess ? ` (did you mean '${guess}'?)` : ''}${quoteHint(source, path, v, allowed)}`,
      };
    }
    case 'const':
      return { path, where: 'value', message: `${prefix(path)}expected ${showValue(err.params.allowedValue)} but got ${showValue(v)}` };
    case 'type': {
      const want = ([] as string[]).concat(err.params.type as string | string[]).flatMap((t) => t.split(','));
      return {
        path,
        where: 'value',
        message: `${prefix(path)}expected ${listWords(want.map((t) => TYPE_WORDS[t] ?? t))} but got ${typeName(v)}${want.includes('string') ? quoteHint(source, path, v) : ''}`,
      };
    }
    case 'pattern': {
      if (err.propertyName !== undefined) return undefined; // reported by propertyNames
      const hint = (parent?.patternErrorMessage as string | undefined) ?? `text matching /${String(err.params.pattern)}/`;
      return { path, where: 'value', message: `${prefix(path)}expected ${hint} but got ${showValue(v)}` };
    }
    case 'propertyNames': {
      const name = String(err.params.propertyName);
      const hint = ((parent?.propertyNames as JsonSchema | undefined)?.patternErrorMessage as string | undefined) ?? 'a valid name';
      return { path: [...path, name], where: 'key', message: `${prefix(path)}'${name}' is not a valid name: expected ${hint}` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const op = { minimum: '≥', maximum: '≤', exclusiveMinimum: '>', exclusiveMaximum: '<' }[err.keyword];
      return { path, where: 'value', message: `${prefix(path)}expected a value ${op} ${String(err.params.limit)} but got ${showValue(v)}` };
    }
    case 'minLength':
      return { path, where: 'value', message: `${prefix(path)}expected a non-empty string` };
    case 'minItems':
      return { path, where: 'value', message: `${prefix(path)}expected at least ${String(err.params.limit)} item(s) but got ${Array.isArray(v) ? v.length : 0}` };
    case 'maxItems':
      return { path, where: 'value', message: `${prefix(path)}expected at most ${String(err.params.limit)} item(s) but got ${Array.isArray(v) ? v.length : 0}` };
    case 'minProperties':
    case 'maxProperties': {
      const n = v && typeof v === 'object' ? Object.keys(v).length : 0;
      const lo = parent?.minProperties;
      const hi = parent?.maxProperties;
      const want = lo !== undefined && lo === hi ? `exactly ${String(lo)}` : err.keyword === 'minProperties' ? `at least ${String(err.params.limit)}` : `at most ${String(err.params.limit)}`;
      return { path, where: 'value', message: `${prefix(path)}expected ${want} entr${want.endsWith(' 1') ? 'y' : 'ies'} but got ${n}` };
    }
    default:
      return { path, where: 'value', message: `${prefix(path)}${err.message ?? err.keyword}` };
  }
}

/** Validates the parsed document and returns located errors (empty when valid). */
export function schemaErrors(source: YamlSource, value: unknown): ScenarioError[] {
  const raw = rawErrors(value, SCHEMA_ID, []);
  const drafts: ScenarioErrorDraft[] = [];
  const resolved = resolveUnions(raw, value);
  const unknownAt = new Set(resolved.filter((r) => 'err' in r && r.err.keyword === 'additionalProperties').map((r) => formatPath(r.path)));
  for (const item of resolved) {
    // "needs one of <actions>" says nothing more when the step has a misspelt key (reported with a suggestion)
    if (!('err' in item) && item.message.startsWith('needs one of') && unknownAt.has(formatPath(item.path))) continue;
    const d = 'err' in item ? message(source, value, item) : item;
    if (d) drafts.push(d.message.startsWith(prefix(d.path)) || 'err' in item ? d : { ...d, message: `${prefix(d.path)}${d.message}` });
  }
  const seen = new Set<string>();
  const out: ScenarioError[] = [];
  for (const d of drafts) {
    const e = source.error(d.path, d.message, { where: d.where, code: 'schema' });
    const key = `${e.line}:${e.column}:${e.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  out.sort((a, b) => a.line - b.line || a.column - b.column);
  if (out.length > MAX_ERRORS) {
    const more = out.length - MAX_ERRORS;
    out.length = MAX_ERRORS;
    out.push({ ...out[MAX_ERRORS - 1]!, message: `… and ${more} more schema errors`, path: '' });
  }
  return out;
}
