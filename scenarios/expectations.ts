// From an `expect:` block as written to ExpectationSpec: flat leaves (path, optional subject, matcher, where it is
// written), per-phone blocks resolved to phone names, and whether the implicit `outcome: ok` applies.
import type { ExpectationBlock, ExpectationDocument, NumberMatch, TextMatch } from './document.js';
import type { ExpectationLeaf, ExpectationSpec, Matcher } from './model.js';
import type { PathSegment } from './errors.js';
import type { BuildContext } from './build-context.js';

/** Keys whose `outcome` says what the step's result should be (so no implicit `outcome: ok`). */
const OUTCOME_CATEGORIES = ['tls', 'registration', 'call', 'enrollment', 'config'] as const;
/** Keys holding NumberMatch values; the others are enum/boolean values or text. */
const NUMBER_FIELDS = new Set([
  'registration.status',
  'call.status',
  'media.streams',
  'media.packetsSent',
  'media.packetsReceived',
  'media.authFailures',
  'media.replays',
  'media.lost',
  'media.late',
  'media.jitterMs',
  'enrollment.keySize',
  'cluster.phoneResets',
]);
const TEXT_FIELDS = new Set(['reason', 'tls.refusal', 'enrollment.reason', 'config.file', 'cluster.warnings']);

function numberMatcher(v: NumberMatch): Matcher {
  if (typeof v === 'number') return { op: 'compare', cmp: '==', value: v };
  if (typeof v === 'string') {
    const m = /^\s*(==|!=|<=|>=|<|>)?\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$/.exec(v)!;
    return { op: 'compare', cmp: (m[1] ?? '==') as '==', value: Number(m[2]) };
  }
  return { op: 'range', ...(v.min !== undefined ? { min: v.min } : {}), ...(v.max !== undefined ? { max: v.max } : {}) };
}

function textMatcher(ctx: BuildContext, path: PathSegment[], v: TextMatch): Matcher {
  if (typeof v === 'string') return { op: 'contains', text: v };
  try {
    new RegExp(v.matches);
  } catch (e) {
    ctx.error([...path, 'matches'], `not a valid regular expression: ${(e as Error).message}`);
  }
  return { op: 'matches', pattern: v.matches };
}

function leavesOf(ctx: BuildContext, block: ExpectationBlock, docPath: PathSegment[], subject: string | undefined, out: ExpectationLeaf[]): void {
  const push = (path: string, at: PathSegment[], matcher: Matcher) =>
    out.push({ path, ...(subject ? { subject } : {}), matcher, location: ctx.location(at) });
  for (const [key, value] of Object.entries(block)) {
    if (value === undefined) continue;
    const at = [...docPath, key];
    if (key === 'outcome') push('outcome', at, { op: 'equals', value: value as string });
    else if (key === 'reason') push('reason', at, textMatcher(ctx, at, value as TextMatch));
    else
      for (const [field, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue;
        const path = `${key}.${field}`;
        const fat = [...at, field];
        if (path === 'cluster.itlCertificates') {
          const sets = v as { includes?: string[]; excludes?: string[] };
          if (sets.includes) push(path, [...fat, 'includes'], { op: 'includes', values: sets.includes });
          if (sets.excludes) push(path, [...fat, 'excludes'], { op: 'excludes', values: sets.excludes });
        } else if (NUMBER_FIELDS.has(path)) push(path, fat, numberMatcher(v as NumberMatch));
        else if (TEXT_FIELDS.has(path)) push(path, fat, textMatcher(ctx, fat, v as TextMatch));
        else if (Array.isArray(v)) push(path, fat, { op: 'oneOf', values: v as string[] });
        else push(path, fat, { op: 'equals', value: v as string | boolean });
      }
  }
}

function statesOutcome(block: ExpectationBlock | undefined): boolean {
  if (!block) return false;
  if (block.outcome !== undefined) return true;
  return OUTCOME_CATEGORIES.some((c) => (block[c] as { outcome?: unknown } | undefined)?.outcome !== undefined);
}

/**
 * Normalizes `expect` at `docPath`. `resolve` turns a per-phone key (a phone or group name) into phone names, or
 * undefined when unknown (reported here).
 */
export function buildExpectations(
  ctx: BuildContext,
  expect: ExpectationDocument | undefined,
  docPath: PathSegment[],
  resolve: (name: string) => string[] | undefined,
  knownPhones: readonly string[],
): ExpectationSpec {
  if (!expect) return { leaves: [], implicitOk: true };
  const leaves: ExpectationLeaf[] = [];
  const { phones, ...top } = expect;
  leavesOf(ctx, top, docPath, undefined, leaves);
  let anyOutcome = statesOutcome(top);
  for (const [name, block] of Object.entries(phones ?? {})) {
    const names = resolve(name);
    if (!names) {
      ctx.error([...docPath, 'phones', name], unknownNameMessage(name, knownPhones), 'key');
      continue;
    }
    for (const n of names) leavesOf(ctx, block, [...docPath, 'phones', name], n, leaves);
    anyOutcome ||= statesOutcome(block);
  }
  return { leaves, implicitOk: !anyOutcome };
}

function unknownNameMessage(name: string, known: readonly string[]): string {
  return `${name} is not a phone or group of this scenario${known.length ? ` (phones: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''})` : ''}`;
}

/** Whether a step's expectations say that `phone`'s registration (or the whole action) is meant to fail. */
export function expectsRegistrationFailure(expect: ExpectationDocument | undefined, phoneNames: (key: string) => string[] | undefined, phone: string): boolean {
  if (!expect) return false;
  const fails = (b: ExpectationBlock | undefined) => {
    if (!b) return false;
    if (b.outcome === 'failed') return true;
    const o = b.registration?.outcome;
    if (o === undefined) return false;
    return !(Array.isArray(o) ? o : [o]).includes('registered');
  };
  if (fails(expect)) return true;
  for (const [k, b] of Object.entries(expect.phones ?? {})) if (phoneNames(k)?.includes(phone) && fails(b)) return true;
  return false;
}

/** Whether a call step's expectations say that the call is meant to fail. */
export function expectsCallFailure(expect: ExpectationDocument | undefined): boolean {
  if (!expect) return false;
  if (expect.outcome === 'failed') return true;
  const o = expect.call?.outcome;
  if (o === undefined) return false;
  return !(Array.isArray(o) ? o : [o]).some((x) => x === 'connected' || x === 'ringing');
}
