// Messages to bytes, and building requests and responses from structured input (header order kept,
// Content-Length always computed from the body).
import { type NameAddr, formatNameAddr } from './address.js';
import { headerKey } from './headers.js';
import { generateTag } from './ids.js';
import { checkField, isToken } from './syntax.js';
import { type CSeq, type SipHeader, type SipMessage, SipRequest, SipResponse } from './types.js';
import { type SipUri, formatUri } from './uri.js';
import { type Via, formatVia } from './via.js';

/** A header value: text, a number, or a structured value formatted the usual way. */
export type HeaderValue = string | number | NameAddr | Via | SipUri | CSeq;
/** Header fields in order; a record is taken in its key order, an array value gives one line per element. */
export type HeadersInput = ReadonlyArray<readonly [string, HeaderValue]> | Readonly<Record<string, HeaderValue | readonly HeaderValue[]>>;

export function formatHeaderValue(v: HeaderValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if ('transport' in v && 'protocol' in v) return formatVia(v);
  if ('uri' in v && 'params' in v) return formatNameAddr(v);
  if ('scheme' in v) return formatUri(v);
  if ('seq' in v && 'method' in v) return `${v.seq} ${v.method}`;
  throw new TypeError('unsupported header value');
}

function toHeaders(input: HeadersInput | undefined): SipHeader[] {
  const out: SipHeader[] = [];
  if (input === undefined) return out;
  const add = (name: string, v: HeaderValue): void => {
    const value = formatHeaderValue(v);
    checkField(name, value);
    out.push({ name, key: headerKey(name), value });
  };
  if (Array.isArray(input)) {
    for (const [name, v] of input as ReadonlyArray<readonly [string, HeaderValue]>) add(name, v);
  } else {
    for (const [name, v] of Object.entries(input as Record<string, HeaderValue | readonly HeaderValue[]>)) {
      if (Array.isArray(v)) for (const x of v as readonly HeaderValue[]) add(name, x);
      else add(name, v as HeaderValue);
    }
  }
  return out;
}

function toBody(body: Buffer | Uint8Array | string | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** Drop any Content-Length given and put the computed one last; refuse a body without Content-Type. */
function finish(headers: SipHeader[], body: Buffer): SipHeader[] {
  const hs = headers.filter((h) => h.key !== 'content-length');
  if (body.length > 0 && !hs.some((h) => h.key === 'content-type')) {
    throw new TypeError('a message with a body needs a Content-Type (RFC 3261 20.15)');
  }
  hs.push({ name: 'Content-Length', key: 'content-length', value: String(body.length) });
  return hs;
}

export interface RequestInit {
  method: string;
  uri: string | SipUri;
  headers: HeadersInput;
  body?: Buffer | Uint8Array | string;
}

/** A request from structured input; it is indexed (and so checked) like a parsed one. */
export function buildRequest(init: RequestInit): SipRequest {
  if (!isToken(init.method)) throw new TypeError(`method ${JSON.stringify(init.method)} is not a token`);
  const uri = typeof init.uri === 'string' ? init.uri : formatUri(init.uri);
  if (/[\s<>"]/.test(uri)) throw new TypeError(`Request-URI ${JSON.stringify(uri)} contains whitespace, <, > or "`);
  const body = toBody(init.body);
  return new SipRequest(init.method, uri, finish(toHeaders(init.headers), body), body).reindex();
}

export interface ResponseInit {
  status: number;
  reason?: string;
  headers: HeadersInput;
  body?: Buffer | Uint8Array | string;
}

export function buildResponse(init: ResponseInit): SipResponse {
  if (!Number.isInteger(init.status) || init.status < 100 || init.status > 699) throw new RangeError(`status ${init.status} is not in 100..699`);
  const reason = init.reason ?? reasonPhrase(init.status);
  if (/[\r\n]/.test(reason)) throw new TypeError('reason phrase contains CR or LF');
  const body = toBody(init.body);
  return new SipResponse(init.status, reason, finish(toHeaders(init.headers), body), body).reindex();
}

export interface CreateResponseOptions {
  reason?: string;
  /** To tag to add when the request has none (default: a random one; never added to 100 Trying). */
  toTag?: string;
  /** Further fields, after the copied ones (Contact, Allow, Supported, Server...). */
  headers?: HeadersInput;
  body?: Buffer | Uint8Array | string;
}

const DIALOG_METHODS = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);

/**
 * A response to `req` per RFC 3261 8.2.6: Via (all, in order), From, To (+ tag), Call-ID and CSeq copied;
 * Timestamp copied into 100 (8.2.6.1); Record-Route copied into responses that can establish a dialog (12.1.1).
 */
export function createResponse(req: SipRequest, status: number, options: CreateResponseOptions = {}): SipResponse {
  const copied: Array<[string, string]> = [];
  const addTag = status > 100 && req.toTag === undefined;
  const tag = options.toTag ?? (addTag ? generateTag() : undefined);
  const copyRR = status > 100 && status < 300 && DIALOG_METHODS.has(req.method);
  for (const h of req.headers) {
    switch (h.key) {
      case 'via':
      case 'from':
      case 'call-id':
      case 'cseq':
        copied.push([h.name, h.value]);
        break;
      case 'to':
        copied.push([h.name, addTag ? `${h.value};tag=${tag}` : h.value]);
        break;
      case 'timestamp':
        if (status === 100) copied.push([h.name, h.value]);
        break;
      case 'record-route':
        if (copyRR) copied.push([h.name, h.value]);
        break;
      default:
        break;
    }
  }
  const extra = toHeaders(options.headers);
  const headers: Array<readonly [string, HeaderValue]> = [...copied, ...extra.map((h) => [h.name, h.value] as const)];
  return buildResponse({ status, reason: options.reason, headers, body: options.body });
}

/** Bytes of a message: start line, fields in order, Content-Length set to the body length, body. */
export function serializeMessage(msg: SipMessage): Buffer {
  let head = msg.startLine() + '\r\n';
  let haveCl = false;
  const bodyLen = msg.body.length;
  for (const h of msg.headers) {
    if (h.key === 'content-length') {
      if (haveCl) continue;
      haveCl = true;
      head += `${h.name}: ${bodyLen}\r\n`;
    } else {
      head += `${h.name}: ${h.value}\r\n`;
    }
  }
  if (!haveCl) head += `Content-Length: ${bodyLen}\r\n`;
  head += '\r\n';
  const headLen = Buffer.byteLength(head);
  const out = Buffer.allocUnsafe(headLen + bodyLen);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headLen);
  return out;
}

/** Usual reason phrases (RFC 3261 21 and extensions in common use). */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  199: 'Early Dialog Terminated', 200: 'OK', 202: 'Accepted', 204: 'No Notification',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily', 305: 'Use Proxy', 380: 'Alternative Service',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  410: 'Gone', 412: 'Conditional Request Failed', 413: 'Request Entity Too Large', 414: 'Request-URI Too Long',
  415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 420: 'Bad Extension', 421: 'Extension Required',
  422: 'Session Interval Too Small', 423: 'Interval Too Brief', 480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 483: 'Too Many Hops', 484: 'Address Incomplete',
  485: 'Ambiguous', 486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here', 489: 'Bad Event',
  491: 'Request Pending', 493: 'Undecipherable', 494: 'Security Agreement Required',
  500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Server Time-out', 505: 'Version Not Supported', 513: 'Message Too Large', 580: 'Precondition Failure',
  600: 'Busy Everywhere', 603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable',
};

export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? REASON_PHRASES[Math.floor(status / 100) * 100] ?? 'Unknown';
}

