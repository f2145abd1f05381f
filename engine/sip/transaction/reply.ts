// Responses a server transaction sends, built the way createResponse builds them (RFC 3261 8.2.6) but without
// parsing back what was just copied: the values reindex() would compute (Call-ID, CSeq, tags, top Via) are taken
// from the request, which already holds them parsed. Anything out of the ordinary (a body, structured header values,
// extra fields that reindex() checks) goes through createResponse itself, so the result is the same either way.
import { randomFillSync } from 'node:crypto';
import {
  type CreateResponseOptions,
  type SipHeader,
  type SipRequest,
  type Via,
  SipResponse,
  createResponse,
  headerKey,
  reasonPhrase,
} from '../message/index.js';
import { checkField, isToken } from '../message/syntax.js';

const EMPTY = Buffer.alloc(0);
const DIALOG_METHODS = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);
/** Fields whose extra copies reindex() refuses or recomputes: left to createResponse. */
const INDEXED = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length']);

// To tags: 64 random bits in hex, as generateTag() makes them, drawn from a buffer refilled 512 tags at a time.
const TAG_BYTES = 8;
const tagPool = Buffer.allocUnsafe(TAG_BYTES * 512);
let tagAt = tagPool.length;

export function newToTag(): string {
  if (tagAt === tagPool.length) {
    randomFillSync(tagPool);
    tagAt = 0;
  }
  const tag = tagPool.toString('hex', tagAt, tagAt + TAG_BYTES);
  tagAt += TAG_BYTES;
  return tag;
}

/**
 * The response reindex() would give for these headers, indexed from the request instead: the copied Call-ID, CSeq,
 * From and Via have the request's values, the To tag is the one added (or the request's). Should the message layer
 * ever keep its top Via elsewhere, the check below notices and the response is indexed the usual way.
 */
function indexedFromRequest(status: number, reason: string, headers: SipHeader[], req: SipRequest, toTag: string | undefined): SipResponse {
  const r = new SipResponse(status, reason, headers, EMPTY);
  r.callId = req.callId;
  r.cseq = { seq: req.cseq.seq, method: req.cseq.method };
  r.branch = req.branch;
  r.fromTag = req.fromTag;
  r.toTag = toTag;
  r.contentLength = 0;
  const v = req.topVia();
  const via: Via = { protocol: v.protocol, version: v.version, transport: v.transport, host: v.host, params: v.params.clone() };
  if (v.port !== undefined) via.port = v.port;
  (r as unknown as { top: Via }).top = via;
  return r.topVia() === via ? r : r.reindex();
}

/** createResponse(req, status, options), with a random To tag when one is needed and none is given. */
export function replyTo(req: SipRequest, status: number, options: CreateResponseOptions = {}): SipResponse {
  const addTag = status > 100 && req.toTag === undefined;
  const tag = addTag ? options.toTag ?? newToTag() : undefined;
  let fast: SipResponse | undefined;
  try {
    fast = fastReply(req, status, options, addTag, tag);
  } catch {
    fast = undefined; // a field checkField refuses: createResponse throws its own error for it
  }
  return fast ?? createResponse(req, status, addTag ? { ...options, toTag: tag } : options);
}

function fastReply(req: SipRequest, status: number, options: CreateResponseOptions, addTag: boolean, tag: string | undefined): SipResponse | undefined {
  if (options.body !== undefined || !Number.isInteger(status) || status < 100 || status > 699) return undefined;
  const extra = options.headers;
  if (extra !== undefined && !Array.isArray(extra)) return undefined;
  // A tag the To parameter parser would read back differently (or a To that already has a valueless tag).
  if (addTag && !isToken(tag!)) return undefined;
  const reason = options.reason ?? reasonPhrase(status);
  if (options.reason !== undefined && (reason.indexOf('\r') >= 0 || reason.indexOf('\n') >= 0)) return undefined;
  const copyRR = status > 100 && status < 300 && DIALOG_METHODS.has(req.method);
  const headers: SipHeader[] = [];
  for (const h of req.headers) {
    let value: string;
    switch (h.key) {
      case 'via':
      case 'from':
      case 'call-id':
      case 'cseq':
        value = h.value;
        break;
      case 'to':
        if (addTag && /tag/i.test(h.value)) return undefined;
        value = addTag ? `${h.value};tag=${tag}` : h.value;
        break;
      case 'timestamp':
        if (status !== 100) continue;
        value = h.value;
        break;
      case 'record-route':
        if (!copyRR) continue;
        value = h.value;
        break;
      default:
        continue;
    }
    checkField(h.name, value);
    headers.push({ name: h.name, key: headerKey(h.name), value });
  }
  if (extra !== undefined)
    for (const e of extra as ReadonlyArray<readonly [string, unknown]>) {
      const [name, value] = e;
      if (typeof value !== 'string') return undefined;
      const key = headerKey(name);
      if (INDEXED.has(key)) return undefined;
      checkField(name, value);
      headers.push({ name, key, value });
    }
  headers.push({ name: 'Content-Length', key: 'content-length', value: '0' });
  return indexedFromRequest(status, reason, headers, req, addTag ? tag : req.toTag);
}
