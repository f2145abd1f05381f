// Stream framing for SIP over TCP/TLS (RFC 3261 18.3): bytes in, whole messages out, delimited by the empty
// line and Content-Length. Handles RFC 5626 CRLF keepalives. Memory is bounded by the limits: the framer never
// holds more than maxHeaderBytes while looking for the end of a header section, nor more than maxMessageBytes
// for one message; anything beyond is a framing error after which the connection has to be closed.
import { SipParseError } from './errors.js';
import { DEFAULT_SIP_LIMITS, type SipLimits, parseHead } from './parser.js';
import type { SipMessage } from './types.js';

export type FramerEvent =
  /** A complete message; `bytes` is its wire form (a view into the received data: copy it to keep it long). */
  | { type: 'message'; message: SipMessage; bytes: Buffer }
  /** A message whose framing was sound but whose content is not (bad CSeq, missing To...): skipped, the stream
   *  goes on; a server answers 400 (`error.status`) when it can. */
  | { type: 'invalid'; error: SipParseError; bytes: Buffer }
  /** CRLF CRLF keepalive ping (RFC 5626 3.5.1): answer with PONG. */
  | { type: 'ping' }
  /** CRLF pong, the answer to a ping we sent (role 'client' only). */
  | { type: 'pong' }
  /** Framing is lost (garbage, a message over the limits, no Content-Length): close the connection.
   *  Every later push() returns this event again. */
  | { type: 'error'; error: SipParseError };

export interface FramerOptions extends Partial<SipLimits> {
  /** 'server' (default): CRLF CRLF is a ping, a lone CRLF before a message is ignored (RFC 3261 7.5).
   *  'client': each CRLF between messages is a pong. */
  role?: 'server' | 'client';
}

export const PING = Buffer.from('\r\n\r\n');
export const PONG = Buffer.from('\r\n');
const CRLFCRLF = PING;
const EMPTY = Buffer.alloc(0);

/**
 * The framer keeps views into the chunks pushed (no copy while a message lies within one chunk), so callers
 * must not reuse a Buffer after pushing it (Node sockets never do).
 */
export class SipStreamFramer {
  private readonly limits: SipLimits;
  private readonly client: boolean;
  /** Pending bytes are store[start, end). A store is never written below `end` once bytes there were handed
   *  out, so the messages we emit stay valid; appending past its end allocates a new one (amortised growth). */
  private store: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  /** Where to resume looking for CRLF CRLF. */
  private scanFrom = 0;
  /** Set once a header section is parsed: the message waits for `need` bytes. */
  private head: SipMessage | undefined;
  private invalid: SipParseError | undefined;
  private bodyStart = 0;
  private need = 0;
  private failure: SipParseError | undefined;
  /** Whether `store` was allocated here (and may be appended to in place). */
  private owned = false;
  /** Bytes consumed so far, for error offsets in stream terms. */
  private consumed = 0;

  constructor(options: FramerOptions = {}) {
    this.limits = {
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_SIP_LIMITS.maxMessageBytes,
      maxHeaderBytes: options.maxHeaderBytes ?? DEFAULT_SIP_LIMITS.maxHeaderBytes,
      maxHeaders: options.maxHeaders ?? DEFAULT_SIP_LIMITS.maxHeaders,
    };
    this.client = options.role === 'client';
  }

  /** Bytes held while waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  private get buf(): Buffer {
    return this.store.subarray(this.start, this.end);
  }

  private append(c: Buffer): void {
    const live = this.end - this.start;
    if (live === 0) {
      // Work on the caller's chunk directly; nothing is ever written into it.
      this.store = c;
      this.start = 0;
      this.end = c.length;
      this.owned = false;
    } else if (this.owned && this.end + c.length <= this.store.length) {
      c.copy(this.store, this.end);
      this.end += c.length;
    } else {
      // Grow geometrically: each byte is copied O(1) times however small the chunks (1-byte TCP segments).
      const next = Buffer.allocUnsafe(Math.max(4096, 2 * (live + c.length)));
      this.store.copy(next, 0, this.start, this.end);
      c.copy(next, live);
      this.store = next;
      this.start = 0;
      this.end = live + c.length;
      this.owned = true;
    }
  }

  /** The framing error, once there is one. */
  get error(): SipParseError | undefined {
    return this.failure;
  }

  /** Feed received bytes; returns what they completed, in order. Never throws. */
  push(chunk: Buffer | Uint8Array): FramerEvent[] {
    if (this.failure) return [{ type: 'error', error: this.failure }];
    const c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (c.length === 0) return [];
    this.append(c);
    const out: FramerEvent[] = [];
    try {
      this.drain(out);
    } catch (e) {
      const err = e instanceof SipParseError ? e : new SipParseError(`internal framing error: ${String(e)}`, { code: 'framing' });
      this.fail(err, out);
    }
    return out;
  }

  private fail(err: SipParseError, out: FramerEvent[]): void {
    this.failure = err;
    this.store = EMPTY;
    this.start = this.end = 0;
    this.head = undefined;
    out.push({ type: 'error', error: err });
  }

  private take(n: number): Buffer {
    const b = this.store.subarray(this.start, this.start + n);
    this.start += n;
    if (this.start === this.end) {
      // nothing pending: drop the reference so the chunk can be collected
      this.store = EMPTY;
      this.start = this.end = 0;
      this.owned = false;
    }
    this.consumed += n;
    this.scanFrom = 0;
    return b;
  }

  private drain(out: FramerEvent[]): void {
    for (;;) {
      const buf = this.buf;
      if (this.head !== undefined || this.invalid !== undefined) {
        if (buf.length < this.need) return;
        const bytes = this.take(this.need);
        if (this.invalid !== undefined) {
          out.push({ type: 'invalid', error: this.invalid, bytes });
        } else {
          const msg = this.head as SipMessage;
          msg.body = bytes.subarray(this.bodyStart);
          out.push({ type: 'message', message: msg, bytes });
        }
        this.head = undefined;
        this.invalid = undefined;
        continue;
      }
      if (buf.length === 0) return;
      // Keepalives and stray CRLFs between messages.
      if (buf[0] === 13) {
        if (buf.length < 2) return;
        if (buf[1] !== 10) throw this.framingError('bare CR between messages', 0);
        if (this.client) {
          this.take(2);
          out.push({ type: 'pong' });
          continue;
        }
        if (buf.length < 4) {
          if (buf.length === 3 && buf[2] !== 13) this.take(2); // lone CRLF before a message: ignored
          else return;
          continue;
        }
        if (buf[2] === 13 && buf[3] === 10) {
          this.take(4);
          out.push({ type: 'ping' });
        } else {
          this.take(2);
        }
        continue;
      }
      const idx = buf.indexOf(CRLFCRLF, this.scanFrom > 3 ? this.scanFrom - 3 : 0);
      if (idx < 0) {
        if (buf.length >= this.limits.maxHeaderBytes) {
          throw this.framingError(`no end of header section within ${this.limits.maxHeaderBytes} bytes`, 0, 513);
        }
        this.scanFrom = buf.length;
        return;
      }
      this.bodyStart = idx + 4;
      let cl: number | undefined;
      try {
        const head = parseHead(buf, 0, idx, this.limits);
        cl = head.contentLength;
        if (cl === undefined) throw this.framingError('Content-Length is mandatory on a stream transport (RFC 3261 18.3)', 0);
        this.head = head;
      } catch (e) {
        if (!(e instanceof SipParseError) || e.code === 'framing' || e.code === 'too-large') throw e;
        // The content is bad; if the length is still unambiguous the stream survives (skip this message).
        cl = salvageContentLength(buf.subarray(0, idx + 2));
        if (cl === undefined) throw this.framingError(`unrecoverable message: ${e.message}`, 0);
        this.invalid = e;
      }
      this.need = this.bodyStart + cl;
      if (this.need > this.limits.maxMessageBytes) {
        throw this.framingError(`message of ${this.need} bytes exceeds the ${this.limits.maxMessageBytes}-byte limit`, 0, 513);
      }
    }
  }

  private framingError(message: string, at: number, status = 400): SipParseError {
    return new SipParseError(message, { code: 'framing', status, offset: this.consumed + at });
  }
}

/**
 * Content-Length of a header section that failed to parse, when it is unambiguous: exactly one
 * Content-Length (or "l") line whose value is all digits.
 */
function salvageContentLength(head: Buffer): number | undefined {
  const text = head.toString('latin1');
  const re = /\r\n(?:content-length|l)[ \t]*:[ \t]*([^\r]*)/gi;
  let found: string | undefined;
  let count = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    count++;
    found = (m[1] as string).trim();
  }
  if (count !== 1 || found === undefined || !/^\d{1,9}$/.test(found)) return undefined;
  return Number(found);
}
