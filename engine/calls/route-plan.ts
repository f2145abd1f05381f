// Where a dialled number goes: a registered line (the location service), or a SIP trunk chosen by CUCM-style route
// patterns (X, [0-5], !, literal digits, "." as a readability separator). Among the patterns that match, the closest
// match wins: the one that matches the fewest numbers, as CUCM's digit analysis does; ties go to the first listed.
import type { NoSrtpAction } from '../media-policy/index.js';
import type { Credentials } from '../sip/ua-core.js';
import type { TransportProtocol } from '../sip/transport/index.js';

/** A SIP trunk the cluster routes calls to (outbound) or takes calls from (inbound, by the admitted trunk's name). */
export interface TrunkRoute {
  /** The trunk's name; an inbound call admitted on the SipTrunk of the same name uses this entry's media settings. */
  name: string;
  /** Where outbound calls go. Absent: the trunk only takes calls. */
  target?: { transport: TransportProtocol; host: string; port?: number; servername?: string; tlsMode?: 'authenticated' | 'encrypted' };
  /** Host part of the Request-URI sent on the trunk (default: the target host). */
  requestUriHost?: string;
  /** "SRTP Allowed" check box (default false: RTP only, 001 L8351). */
  srtpAllowed?: boolean;
  /** SRTP suites the far side supports, when known (a CUBE profile, a peer's list); default: the policy's list. */
  capabilities?: readonly string[];
  /** What the far side does without SRTP: 'rtp' (CUCM's fallback) or 'reject' (a CUBE without `srtp fallback`). */
  onNoSrtp?: NoSrtpAction;
  /** Digest credentials to answer the far side's challenges with. */
  credentials?: Credentials;
}

export interface RoutePattern {
  /** CUCM pattern: digits, X (one digit), [1-3] / [^5] (one digit of a set), ! (one or more digits), "." (ignored). */
  pattern: string;
  /** Trunk name (one of RoutePlan's trunks), or a refusal with a SIP status. */
  trunk?: string;
  reject?: { status: number; reason?: string };
}

export type RouteDecision =
  | { kind: 'line'; dn: string }
  | { kind: 'trunk'; dn: string; trunk: TrunkRoute; pattern: string }
  | { kind: 'reject'; dn: string; status: number; reason?: string; pattern: string }
  | { kind: 'none'; dn: string };

export class RoutePatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly offset: number,
    problem: string,
  ) {
    super(`route pattern ${JSON.stringify(pattern)} at offset ${offset}: ${problem}`);
    this.name = 'RoutePatternError';
  }
}

type Element = { kind: 'set'; chars: Set<string> } | { kind: 'bang' };

const DIGITS = '0123456789*#+';

/** Compiles a CUCM pattern; throws RoutePatternError naming the offset of what is wrong. */
export function compilePattern(pattern: string): Element[] {
  const out: Element[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '.') continue;
    if (c === 'X' || c === 'x') out.push({ kind: 'set', chars: new Set('0123456789') });
    else if (c === '!') out.push({ kind: 'bang' });
    else if (c === '[') {
      const end = pattern.indexOf(']', i);
      if (end < 0) throw new RoutePatternError(pattern, i, '"[" without "]"');
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      const chars = new Set<string>();
      for (let j = 0; j < body.length; j++) {
        const a = body[j]!;
        if (!/[0-9]/.test(a)) throw new RoutePatternError(pattern, i + 1 + j + (negate ? 1 : 0), `${JSON.stringify(a)} is not a digit`);
        if (body[j + 1] === '-') {
          const b = body[j + 2];
          if (b === undefined || !/[0-9]/.test(b) || b < a) throw new RoutePatternError(pattern, i + 2 + j, 'a range needs two digits, low-high');
          for (let d = Number(a); d <= Number(b); d++) chars.add(String(d));
          j += 2;
        } else chars.add(a);
      }
      const set = negate ? new Set([...'0123456789'].filter((d) => !chars.has(d))) : chars;
      if (set.size === 0) throw new RoutePatternError(pattern, i, 'the set matches no digit');
      out.push({ kind: 'set', chars: set });
      i = end;
    } else if (DIGITS.includes(c)) out.push({ kind: 'set', chars: new Set([c]) });
    else throw new RoutePatternError(pattern, i, `${JSON.stringify(c)} is not a digit, X, !, [set] or "."`);
  }
  if (out.length === 0) throw new RoutePatternError(pattern, 0, 'empty pattern');
  return out;
}

function matches(el: readonly Element[], s: string, i = 0, j = 0): boolean {
  if (i === el.length) return j === s.length;
  const e = el[i]!;
  if (e.kind === 'set') return j < s.length && e.chars.has(s[j]!) && matches(el, s, i + 1, j + 1);
  // "!": one or more digits (greedy is fine: patterns are short and numbers bounded below).
  for (let k = j + 1; k <= s.length; k++) if (/^[0-9*#+]+$/.test(s.slice(j, k)) && matches(el, s, i + 1, k)) return true;
  return false;
}

/** How many numbers a pattern matches (Infinity with "!"): the closest match is the smallest. */
export function patternSize(el: readonly Element[]): number {
  let n = 1;
  for (const e of el) n = e.kind === 'bang' ? Infinity : n * e.chars.size;
  return n;
}

const MAX_DN_LENGTH = 64;

export interface RoutePlanOptions {
  trunks?: readonly TrunkRoute[];
  patterns?: readonly RoutePattern[];
}

export class RoutePlan {
  private readonly trunkMap = new Map<string, TrunkRoute>();
  private readonly compiled: { p: RoutePattern; el: Element[]; size: number }[] = [];

  constructor(opts: RoutePlanOptions = {}) {
    for (const t of opts.trunks ?? []) this.addTrunk(t);
    for (const p of opts.patterns ?? []) this.addPattern(p);
  }

  addTrunk(t: TrunkRoute): void {
    if (!t.name) throw new Error('a trunk route needs a name');
    this.trunkMap.set(t.name, t);
  }

  trunk(name: string): TrunkRoute | undefined {
    return this.trunkMap.get(name);
  }

  get trunks(): TrunkRoute[] {
    return [...this.trunkMap.values()];
  }

  addPattern(p: RoutePattern): void {
    if ((p.trunk === undefined) === (p.reject === undefined)) throw new RoutePatternError(p.pattern, 0, 'give exactly one of trunk and reject');
    if (p.trunk !== undefined && !this.trunkMap.has(p.trunk)) throw new RoutePatternError(p.pattern, 0, `trunk ${JSON.stringify(p.trunk)} is not in the route plan`);
    if (p.trunk !== undefined && !this.trunkMap.get(p.trunk)!.target) throw new RoutePatternError(p.pattern, 0, `trunk ${JSON.stringify(p.trunk)} has no target to send calls to`);
    if (p.reject && !(p.reject.status >= 400 && p.reject.status <= 699)) throw new RoutePatternError(p.pattern, 0, `reject status ${p.reject.status} is not 400-699`);
    const el = compilePattern(p.pattern);
    this.compiled.push({ p, el, size: patternSize(el) });
  }

  /** The closest route pattern matching `dn` (not lines: the B2BUA checks those first). */
  matchPattern(dn: string): RoutePattern | undefined {
    if (dn.length === 0 || dn.length > MAX_DN_LENGTH) return undefined;
    let best: { p: RoutePattern; size: number } | undefined;
    for (const c of this.compiled) if (matches(c.el, dn) && (!best || c.size < best.size)) best = c;
    return best?.p;
  }

  /**
   * A line when `isLine(dn)` (a directory number configured on a phone or registered), else the closest pattern,
   * else none (404 at the B2BUA).
   */
  resolve(dn: string, isLine: (dn: string) => boolean): RouteDecision {
    if (isLine(dn)) return { kind: 'line', dn };
    const p = this.matchPattern(dn);
    if (!p) return { kind: 'none', dn };
    if (p.reject) return { kind: 'reject', dn, status: p.reject.status, ...(p.reject.reason ? { reason: p.reject.reason } : {}), pattern: p.pattern };
    return { kind: 'trunk', dn, trunk: this.trunkMap.get(p.trunk!)!, pattern: p.pattern };
  }
}
