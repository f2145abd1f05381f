// User-defined phone models in YAML. A file holds `models:`, a list of profiles; each may `extends:` a built-in model or
// one defined earlier in the file and override any field. The merged profile is checked with a JSON schema (ajv) and
// then against the catalogues (TLS suites, key sizes); every problem is reported as file:line:column of the YAML node.
//
//   models:
//     - id: lab-8865
//       extends: cisco-88xx
//       models: [Cisco 8865]
//       tls: { fallback: none }
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { findSuite, TLS_VERSIONS } from '../../ciphers/tls/suite-catalogue.js';
import { SRTP_SUITE_NAMES } from '../../ciphers/srtp/suites.js';
import { builtinModels, ModelRegistry, type ModelProfile } from './model-profiles.js';

export interface ModelIssue {
  file: string;
  /** 1-based. */
  line: number;
  col: number;
  /** JSON path of the value, e.g. /models/0/tls/versions/1. */
  path: string;
  message: string;
}

export class ModelLoadError extends Error {
  constructor(readonly issues: ModelIssue[]) {
    super(issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`).join('\n'));
    this.name = 'ModelLoadError';
  }
}

const RSA_SIZES = [512, 1024, 2048, 3072, 4096];
const EC_SIZES = [256, 384, 521];
const VERSIONS = TLS_VERSIONS.filter((v) => v !== 'TLSv1.3');
const DIGESTS = ['sha1', 'sha256', 'sha512'];

const stringList = { type: 'array', items: { type: 'string', minLength: 1 } };
const keyType = { enum: ['RSA', 'EC'] };

/** One model entry as written (every field optional: `extends` supplies the rest). */
const ENTRY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    extends: { type: 'string', minLength: 1 },
    family: { type: 'string', minLength: 1 },
    kind: { enum: ['hardware-phone', 'soft-client'] },
    models: { ...stringList, minItems: 1 },
    modelNumber: { type: 'string', pattern: '^[0-9]{4}$' },
    deviceNamePrefix: { enum: ['SEP', 'CSF'] },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        versions: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: VERSIONS } },
        suites: { ...stringList, minItems: 1 },
        authenticatedSuites: stringList,
        serverKeyTypes: { type: 'array', minItems: 1, uniqueItems: true, items: keyType },
        fallback: { enum: ['none', 'lower-versions'] },
      },
    },
    certificates: {
      type: 'object',
      additionalProperties: false,
      properties: {
        mic: {
          oneOf: [
            { type: 'null' },
            { type: 'object', additionalProperties: false, required: ['keyType', 'keySize'], properties: { keyType, keySize: { type: 'integer' } } },
          ],
        },
        capfVersion: { enum: [2, 3, null] },
        keyGeneration: {
          type: 'object',
          additionalProperties: false,
          properties: { RSA: { type: 'array', items: { enum: RSA_SIZES } }, EC: { type: 'array', items: { enum: EC_SIZES } } },
        },
        fileDigests: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: DIGESTS } },
      },
    },
    trust: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ctl: { type: 'boolean' },
        itl: { type: 'boolean' },
        itlVersion: { enum: ['1.0', '1.1'] },
        tvs: { type: 'boolean' },
        maxTrustListBytes: { type: 'integer', minimum: 1024, maximum: 16777216 },
        maxTrustListCertificates: { type: 'integer', minimum: 1, maximum: 1000 },
      },
    },
    config: {
      type: 'object',
      additionalProperties: false,
      properties: {
        transports: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['http', 'tftp'] } },
        https6971: { type: 'boolean' },
        signedConfig: { type: 'boolean' },
        encryptedConfig: { type: 'array', uniqueItems: true, items: { enum: ['pki', 'manual'] } },
        tftpBlockSize: { type: 'integer', minimum: 0, maximum: 65464 },
      },
    },
    srtp: {
      type: 'object',
      additionalProperties: false,
      properties: { suites: { type: 'array', uniqueItems: true, items: { enum: [...SRTP_SUITE_NAMES] } } },
    },
    sources: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

const FILE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['models'],
  properties: { models: { type: 'array', minItems: 1, items: { type: 'object' } } },
} as const;

/** Fields a model must have once `extends` is applied. */
const REQUIRED: readonly (keyof ModelProfile)[] = ['family', 'kind', 'models', 'modelNumber', 'deviceNamePrefix', 'tls', 'certificates', 'trust', 'config', 'srtp'];
const REQUIRED_SUB: Readonly<Record<string, readonly string[]>> = {
  tls: ['versions', 'suites', 'authenticatedSuites', 'serverKeyTypes', 'fallback'],
  certificates: ['mic', 'capfVersion', 'keyGeneration', 'fileDigests'],
  trust: ['ctl', 'itl', 'itlVersion', 'tvs', 'maxTrustListBytes', 'maxTrustListCertificates'],
  config: ['transports', 'https6971', 'signedConfig', 'encryptedConfig', 'tftpBlockSize'],
  srtp: ['suites'],
};

const ajv = new Ajv({ allErrors: true, strict: true });
const validateFile = ajv.compile(FILE_SCHEMA);
const validateEntry = ajv.compile(ENTRY_SCHEMA);

type PathSeg = string | number;

/** The node at `path`, or the deepest ancestor that exists. */
function nodeAt(doc: Document, path: PathSeg[]): Node | undefined {
  let best: Node | undefined = isNode(doc.contents) ? doc.contents : undefined;
  for (let i = 1; i <= path.length; i++) {
    const n = doc.getIn(path.slice(0, i), true);
    if (isNode(n)) best = n;
    else break;
  }
  return best;
}

/** The key node of `key` in the map at `path` (for "unknown property" errors). */
function keyNodeAt(doc: Document, path: PathSeg[], key: string): Node | undefined {
  const map = path.length ? doc.getIn(path, true) : doc.contents;
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
  return pair && isNode(pair.key) ? pair.key : undefined;
}

function pointer(path: PathSeg[]): string {
  return '/' + path.map(String).join('/');
}

function splitPointer(p: string): PathSeg[] {
  if (!p) return [];
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
}

class IssueCollector {
  readonly issues: ModelIssue[] = [];
  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  at(path: PathSeg[], message: string, node?: Node): void {
    const n = node ?? nodeAt(this.doc, path);
    const offset = n?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    this.issues.push({ file: this.file, line, col, path: pointer(path), message });
  }

  ajvErrors(base: PathSeg[], errors: readonly ErrorObject[] | null | undefined): void {
    for (const e of errors ?? []) {
      const path = [...base, ...splitPointer(e.instancePath)];
      const where = pointer(path);
      if (e.keyword === 'additionalProperties') {
        const key = String((e.params as { additionalProperty: string }).additionalProperty);
        this.at([...path, key], `${where}: unknown property "${key}"`, keyNodeAt(this.doc, path, key));
      } else if (e.keyword === 'enum') {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ');
        this.at(path, `${where}: must be one of ${allowed}`);
      } else if (e.keyword === 'oneOf') {
        continue; // the branch errors say more
      } else this.at(path, `${where}: ${e.message ?? e.keyword}`);
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge field by field; arrays and scalars replace. */
function merge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

/** Checks what the schema cannot: suites known to the catalogue and runnable in their version, MIC sizes, coherence. */
function semanticChecks(m: ModelProfile, base: PathSeg[], c: IssueCollector): void {
  for (const field of ['suites', 'authenticatedSuites'] as const) {
    m.tls[field].forEach((name, i) => {
      const s = findSuite(name);
      if (!s) c.at([...base, 'tls', field, i], `${pointer([...base, 'tls', field, i])}: unknown TLS suite "${name}" (IANA or OpenSSL name)`);
      else if (!s.versions.some((v) => m.tls.versions.includes(v))) {
        c.at([...base, 'tls', field, i], `${pointer([...base, 'tls', field, i])}: ${s.iana} cannot be negotiated in ${m.tls.versions.join('/')}`);
      } else if (s.authentication === 'ECDSA' && !m.tls.serverKeyTypes.includes('EC')) {
        c.at([...base, 'tls', field, i], `${pointer([...base, 'tls', field, i])}: ${s.iana} needs an EC server certificate but serverKeyTypes has no EC`);
      } else m.tls[field][i] = s.iana;
    });
  }
  const mic = m.certificates.mic;
  if (mic) {
    const ok = mic.keyType === 'RSA' ? RSA_SIZES.includes(mic.keySize) : EC_SIZES.includes(mic.keySize);
    if (!ok) c.at([...base, 'certificates', 'mic', 'keySize'], `${pointer([...base, 'certificates', 'mic', 'keySize'])}: ${mic.keyType} ${mic.keySize} is not a MIC key size (RSA ${RSA_SIZES.join('/')}, EC ${EC_SIZES.join('/')})`);
  }
  if (m.certificates.capfVersion !== 3 && m.certificates.keyGeneration.EC.length) {
    c.at([...base, 'certificates', 'keyGeneration', 'EC'], `${pointer([...base, 'certificates', 'keyGeneration', 'EC'])}: EC keys need CAPF version 3 (004:L232-246)`);
  }
  if (m.config.https6971 && !m.tls.versions.includes('TLSv1.2')) {
    c.at([...base, 'config', 'https6971'], `${pointer([...base, 'config', 'https6971'])}: HTTPS 6971 is TLS 1.2 only (001 L4335) but the model has no TLSv1.2`);
  }
}

export interface LoadOptions {
  /** Models `extends:` may name (default: the built-in ones). */
  registry?: ModelRegistry;
}

/** Parses and checks a YAML model file's text; `file` names it in errors. Throws ModelLoadError listing every problem. */
export function parseModelsYaml(text: string, file = '<models.yaml>', o: LoadOptions = {}): ModelProfile[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const c = new IssueCollector(file, doc, lines);
  if (doc.errors.length) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      c.issues.push({ file, line: pos.line, col: pos.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` });
    }
    throw new ModelLoadError(c.issues);
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!validateFile(data)) {
    c.ajvErrors([], validateFile.errors);
    throw new ModelLoadError(c.issues);
  }
  const registry = new ModelRegistry(o.registry?.list() ?? builtinModels.list());
  const entries = (data as { models: unknown[] }).models;
  const out: ModelProfile[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    const base: PathSeg[] = ['models', i];
    const before = c.issues.length;
    if (!validateEntry(entry)) {
      c.ajvErrors(base, validateEntry.errors);
      return;
    }
    const e = entry as Record<string, unknown> & { id: string; extends?: string };
    if (seen.has(e.id.toLowerCase())) c.at([...base, 'id'], `${pointer([...base, 'id'])}: model "${e.id}" is defined twice in this file`);
    seen.add(e.id.toLowerCase());
    let parent: ModelProfile | undefined;
    if (e.extends !== undefined) {
      parent = registry.find(e.extends);
      if (!parent) c.at([...base, 'extends'], `${pointer([...base, 'extends'])}: unknown model "${e.extends}" (known: ${registry.list().map((m) => m.id).join(', ')})`);
    }
    if (e.extends !== undefined && !parent) return; // the missing fields would only repeat that
    const { extends: _x, ...own } = e;
    const merged = merge(parent ? structuredClone(parent) : {}, own) as Record<string, unknown>;
    if (!parent) merged.sources ??= {};
    const missing = REQUIRED.filter((k) => merged[k] === undefined);
    if (missing.length) c.at(base, `${pointer(base)}: model "${e.id}" has no ${missing.join(', ')} (give them, or extends: a model that has them)`);
    for (const [k, subs] of Object.entries(REQUIRED_SUB)) {
      const sub = merged[k];
      if (!isObject(sub)) continue;
      const gaps = subs.filter((s) => sub[s] === undefined);
      if (gaps.length) c.at([...base, k], `${pointer([...base, k])}: model "${e.id}" has no ${gaps.map((g) => `${k}.${g}`).join(', ')}`);
    }
    if (c.issues.length > before) return;
    const model = merged as unknown as ModelProfile;
    model.certificates.keyGeneration = { RSA: model.certificates.keyGeneration.RSA ?? [], EC: model.certificates.keyGeneration.EC ?? [] };
    semanticChecks(model, base, c);
    if (c.issues.length > before) return;
    registry.add(model);
    out.push(model);
  });
  if (c.issues.length) throw new ModelLoadError(c.issues);
  return out;
}

/** Reads a YAML model file (errors name the path given). */
export async function loadModelsFile(path: string, o: LoadOptions = {}): Promise<ModelProfile[]> {
  return parseModelsYaml(await readFile(path, 'utf8'), path, o);
}

/** A registry with the built-in models and those of the given files, in order (later files may extend earlier ones). */
export async function loadModelRegistry(paths: readonly string[]): Promise<ModelRegistry> {
  const registry = new ModelRegistry();
  for (const p of paths) for (const m of await loadModelsFile(p, { registry })) registry.add(m);
  return registry;
}
