// SipRequest / SipResponse: the start line, the header fields in order (names as written, canonical keys), the
// body, and the few values every transaction needs (Call-ID, CSeq, top Via branch, tags) computed up front.
// Everything else (addresses, URIs, all Vias, Contact...) is parsed on first use and cached.
import { type NameAddr, nameAddrParams, parseNameAddr } from './address.js';
import { SipParseError, valueError } from './errors.js';
import { LIST_HEADERS, SINGLE_HEADERS, headerKey, headerLabel } from './headers.js';
import { checkField, parseDigits, scanToken, skipWs, splitList } from './syntax.js';
import { type SipUri, parseUri } from './uri.js';
import { type Via, parseVia, viaBranch } from './via.js';

export interface SipHeader {
  /** Name as received or given (may be a compact form such as "v"). */
  name: string;
  /** Canonical key: lower-case long form ("via"). */
  key: string;
  /** Value with folding replaced by single spaces and surrounding whitespace removed. */
  value: string;
  /** 1-based line of the message the field started on (parsed messages only). */
  line?: number;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** Methods of RFC 3261 and its common extensions; a CSeq mismatch on anything else gets 501 (RFC 4475 3.1.2.18). */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'INFO', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'UPDATE',
  'MESSAGE', 'REFER', 'PUBLISH',
]);

const MAX_CSEQ = 0xffffffff;

export abstract class SipMessageBase {
  abstract readonly kind: 'request' | 'response';
  headers: SipHeader[];
  body: Buffer;

  // Hot-path values, kept in step with `headers` by reindex().
  callId!: string;
  cseq!: CSeq;
  /** branch parameter of the top Via (undefined for RFC 2543 peers that send none). */
  branch: string | undefined;
  fromTag: string | undefined;
  toTag: string | undefined;
  /** Content-Length as declared (undefined when absent). */
  contentLength: number | undefined;
  private top: Via | undefined;

  private cache: Map<string, unknown> | undefined;

  protected constructor(headers: SipHeader[], body: Buffer) {
    this.headers = headers;
    this.body = body;
  }

  /** The start line without CRLF. */
  abstract startLine(): string;

  // ---- generic header access -------------------------------------------------------------------------------

  /** Fields with this name (any spelling or compact form), in order. A scan by canonical key: with the
   *  20-30 fields of a message it is faster than building a map per message. */
  fields(name: string): SipHeader[] {
    const key = headerKey(name);
    const out: SipHeader[] = [];
    for (const h of this.headers) if (h.key === key) out.push(h);
    return out;
  }

  /** Value of the first field with this name. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const h of this.headers) if (h.key === key) return h.value;
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Values of every field line with this name, in order (lines are not split). */
  getAll(name: string): string[] {
    return this.fields(name).map((h) => h.value);
  }

  /**
   * All values of a field: list fields (Via, Contact, Supported, Allow, Route...) are split on their separating
   * commas across all lines, empty elements dropped; other fields give one value per line, never split.
   */
  values(name: string): string[] {
    const key = headerKey(name);
    if (!LIST_HEADERS.has(key)) return this.getAll(key);
    const out: string[] = [];
    for (const h of this.fields(key)) for (const v of splitList(h.value, key)) if (v.length > 0) out.push(v);
    return out;
  }

  // ---- structured values (parsed on first use; treat the results as read-only) ------------------------------

  private cached<T>(id: string, make: () => T): T {
    if (this.cache === undefined) this.cache = new Map();
    else if (this.cache.has(id)) return this.cache.get(id) as T;
    const v = make();
    this.cache.set(id, v);
    return v;
  }

  from(): NameAddr {
    return this.cached('from', () => this.parseField('from', (v) => parseNameAddr(v, 'from')));
  }

  to(): NameAddr {
    return this.cached('to', () => this.parseField('to', (v) => parseNameAddr(v, 'to')));
  }

  /** All Via values, top first (empty elements are an error: RFC 4475 3.1.2.1). */
  vias(): Via[] {
    return this.cached('vias', () => this.parseList('via', parseVia));
  }

  /** The top Via (parsed when the message was indexed). */
  topVia(): Via {
    return this.top as Via;
  }

  /** Contact addresses; empty for "Contact: *" (see hasWildcardContact). */
  contacts(): NameAddr[] {
    return this.cached('contacts', () => {
      const list = this.parseList('contact', (v) => (v === '*' ? null : parseNameAddr(v, 'contact')));
      if (list.length === 1 && list[0] === null) return [];
      if (list.includes(null)) throw valueError('"*" mixed with other Contact values', 'contact');
      return list as NameAddr[];
    });
  }

  hasWildcardContact(): boolean {
    const vals = this.values('contact');
    return vals.length === 1 && vals[0] === '*';
  }

  routes(): NameAddr[] {
    return this.cached('routes', () => this.parseList('route', (v) => parseNameAddr(v, 'route')));
  }

  recordRoutes(): NameAddr[] {
    return this.cached('recordRoutes', () => this.parseList('record-route', (v) => parseNameAddr(v, 'record-route')));
  }

  /** Max-Forwards, or undefined when absent. Out-of-range values (> 255) throw. */
  maxForwards(): number | undefined {
    return this.intHeader('max-forwards', 255);
  }

  /** Expires (delta-seconds), or undefined when absent; values beyond 2**32-1 throw. */
  expires(): number | undefined {
    return this.intHeader('expires', MAX_CSEQ);
  }

  /** Media type of the body, lower-case, without parameters ("application/sdp"). */
  contentType(): string | undefined {
    const v = this.get('content-type');
    if (v === undefined) return undefined;
    const semi = v.indexOf(';');
    return (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
  }

  private intHeader(key: string, max: number): number | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    const n = parseDigits(v, max);
    if (n === undefined) throw valueError(`${JSON.stringify(v)} is not an integer in 0..${max}`, key);
    return n;
  }

  private parseField<T>(key: string, f: (value: string) => T): T {
    const h = this.fields(key)[0];
    if (h === undefined) throw valueError('missing', key);
    return withLine(() => f(h.value), h);
  }

  /** Parse every element of a list field, errors carrying the line of the field line they came from. */
  private parseList<T>(key: string, f: (value: string) => T): T[] {
    const out: T[] = [];
    for (const h of this.fields(key)) {
      withLine(() => {
        for (const v of splitList(h.value, key)) {
          if (v.length === 0) throw valueError(`empty element in ${JSON.stringify(h.value)}`, key);
          out.push(f(v));
        }
      }, h);
    }
    return out;
  }

  // ---- editing (keeps the hot-path values and caches in step) ---------------------------------------------
  // Values are checked here (no CR/LF, token names). Writing `headers`, `uri`, `reason`... directly bypasses
  // the checks: call reindex() afterwards and never put unchecked text there.

  /** Replace the first field with this name (keeping its position) and drop the others; append if absent. */
  setHeader(name: string, value: string): this {
    checkField(name, value);
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    const h: SipHeader = { name: i >= 0 ? (this.headers[i] as SipHeader).name : headerLabel(key), key, value };
    this.headers = this.headers.filter((x) => x.key !== key);
    this.headers.splice(i >= 0 ? i : this.headers.length, 0, h);
    return this.reindex();
  }

  /** Insert a field before the first field of the same name (a Via or Record-Route a proxy adds), or at the end. */
  prependHeader(name: string, value: string): this {
    checkField(name, value);
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    this.headers.splice(i >= 0 ? i : this.headers.length, 0, { name: headerLabel(key), key, value });
    return this.reindex();
  }

  appendHeader(name: string, value: string): this {
    checkField(name, value);
    const key = headerKey(name);
    this.headers.push({ name: headerLabel(key), key, value });
    return this.reindex();
  }

  removeHeader(name: string): this {
    const key = headerKey(name);
    this.headers = this.headers.filter((h) => h.key !== key);
    return this.reindex();
  }

  /** Recompute the hot-path values from `headers` (and check the mandatory fields). */
  reindex(): this {
    this.cache = undefined;
    this.top = indexHeaders(this);
    return this;
  }
}

export class SipRequest extends SipMessageBase {
  readonly kind = 'request' as const;
  method: string;
  /** Request-URI as written in the request line. */
  uri: string;

  constructor(method: string, uri: string, headers: SipHeader[], body: Buffer = Buffer.alloc(0)) {
    super(headers, body);
    this.method = method;
    this.uri = uri;
  }

  startLine(): string {
    return `${this.method} ${this.uri} SIP/2.0`;
  }

  requestUri(): SipUri {
    return parseUri(this.uri);
  }
}

export class SipResponse extends SipMessageBase {
  readonly kind = 'response' as const;
  status: number;
  reason: string;

  constructor(status: number, reason: string, headers: SipHeader[], body: Buffer = Buffer.alloc(0)) {
    super(headers, body);
    this.status = status;
    this.reason = reason;
  }

  startLine(): string {
    return `SIP/2.0 ${this.status} ${this.reason}`;
  }
}

export type SipMessage = SipRequest | SipResponse;

function headerError(msg: string, code: 'missing-header' | 'duplicate-header' | 'cseq' | 'content-length' | 'method-mismatch' | 'value', h?: SipHeader, status = 400): SipParseError {
  return new SipParseError(msg, { code, status, line: h?.line, header: h?.key });
}

/**
 * Walk the header list once: find Call-ID, CSeq, the top Via, From, To and Content-Length, refuse duplicates of
 * single-instance fields (RFC 4475 3.3.8/3.3.9) and messages lacking a mandatory field (3.3.1).
 * Returns the parsed top Via.
 */
function indexHeaders(msg: SipMessageBase): Via {
  let callId: SipHeader | undefined;
  let cseq: SipHeader | undefined;
  let via: SipHeader | undefined;
  let from: SipHeader | undefined;
  let to: SipHeader | undefined;
  let cl: SipHeader | undefined;
  const hs = msg.headers;
  for (let i = 0; i < hs.length; i++) {
    const h = hs[i] as SipHeader;
    let prev: SipHeader | undefined;
    switch (h.key) {
      case 'call-id':
        prev = callId;
        callId = h;
        break;
      case 'cseq':
        prev = cseq;
        cseq = h;
        break;
      case 'via':
        if (via === undefined) via = h;
        break;
      case 'from':
        prev = from;
        from = h;
        break;
      case 'to':
        prev = to;
        to = h;
        break;
      case 'content-length':
        prev = cl;
        cl = h;
        break;
      default:
        continue;
    }
    if (prev !== undefined && SINGLE_HEADERS.has(h.key)) {
      throw headerError(`${headerLabel(h.key)} appears more than once (first on line ${prev.line ?? '?'})`, 'duplicate-header', h);
    }
  }
  if (!callId || !cseq || !via || !from || !to) {
    const missing = [
      [via, 'Via'],
      [from, 'From'],
      [to, 'To'],
      [callId, 'Call-ID'],
      [cseq, 'CSeq'],
    ]
      .filter(([h]) => h === undefined)
      .map(([, n]) => n);
    throw headerError(`missing mandatory header field${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, 'missing-header');
  }

  if (!isWord(callId.value)) {
    throw headerError(`Call-ID ${JSON.stringify(callId.value)} must be one word`, 'value', callId);
  }
  msg.callId = callId.value;

  const cs = cseq.value;
  let e = 0;
  while (e < cs.length && cs.charCodeAt(e) >= 48 && cs.charCodeAt(e) <= 57) e++;
  if (e === 0) throw headerError(`CSeq ${JSON.stringify(cs)} does not start with a sequence number`, 'cseq', cseq);
  const seq = e <= 10 ? parseDigits(cs.slice(0, e), MAX_CSEQ) : undefined;
  if (seq === undefined) throw headerError(`CSeq number ${cs.slice(0, e)} exceeds 2**32-1`, 'cseq', cseq);
  const ms = skipWs(cs, e);
  const me = scanToken(cs, ms);
  if (ms === e || me === ms || skipWs(cs, me) !== cs.length) {
    throw headerError(`CSeq ${JSON.stringify(cs)} must be "number METHOD"`, 'cseq', cseq);
  }
  msg.cseq = { seq, method: cs.slice(ms, me) };
  if (msg instanceof SipRequest && msg.cseq.method !== msg.method) {
    const known = KNOWN_METHODS.has(msg.method);
    throw headerError(
      `CSeq method ${msg.cseq.method} does not match request method ${msg.method}`,
      'method-mismatch',
      cseq,
      known ? 400 : 501,
    );
  }

  let top: Via;
  let h = via;
  try {
    const first = splitList(via.value, 'via')[0] as string;
    if (first.length === 0) throw valueError(`empty element in ${JSON.stringify(via.value)}`, 'via');
    top = parseVia(first);
    msg.branch = viaBranch(top);
    h = from;
    msg.fromTag = nameAddrParams(from.value, 'from').get('tag') ?? undefined;
    h = to;
    msg.toTag = nameAddrParams(to.value, 'to').get('tag') ?? undefined;
  } catch (e) {
    throw addLine(e, h);
  }

  if (cl !== undefined) {
    const n = parseDigits(cl.value, Number.MAX_SAFE_INTEGER);
    if (n === undefined) {
      throw headerError(`Content-Length ${JSON.stringify(cl.value)} is not a non-negative integer`, 'content-length', cl);
    }
    msg.contentLength = n;
  } else {
    msg.contentLength = undefined;
  }
  return top;
}

/** Call-ID = word [ "@" word ]: non-empty, no whitespace or control characters. */
function isWord(v: string): boolean {
  if (v.length === 0) return false;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) <= 32) return false;
  return true;
}

/** A value error with the line of the field it came from. */
function addLine(e: unknown, h: SipHeader): unknown {
  if (e instanceof SipParseError && e.line === undefined && h.line !== undefined) {
    return new SipParseError(e.message, { code: e.code, status: e.status, line: h.line, header: h.key });
  }
  return e;
}

function withLine<T>(f: () => T, h: SipHeader): T {
  try {
    return f();
  } catch (e) {
    throw addLine(e, h);
  }
}
