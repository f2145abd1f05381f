// Parse one SIP message from bytes: start line, header fields (folding, compact names), body by Content-Length.
// Only the hot-path values are checked here; the structured values are parsed when asked (types.ts).
import { SipParseError } from './errors.js';
import { headerKey } from './headers.js';
import { TOKEN, parseDigits } from './syntax.js';
import { type SipHeader, type SipMessage, SipRequest, SipResponse } from './types.js';

export interface SipLimits {
  /** Whole message (start line, headers, body). Default 65 535. */
  maxMessageBytes: number;
  /** Start line plus header fields, up to and including the empty line. Default 16 384. */
  maxHeaderBytes: number;
  /** Number of header field lines. Default 200. */
  maxHeaders: number;
}

export const DEFAULT_SIP_LIMITS: Readonly<SipLimits> = { maxMessageBytes: 65535, maxHeaderBytes: 16384, maxHeaders: 200 };

export interface SipParseOptions extends Partial<SipLimits> {
  /**
   * 'datagram' (default, RFC 3261 18.3 for UDP): Content-Length may be absent (the body is the rest of the
   * datagram), octets beyond it are discarded, a body shorter than it is an error.
   * 'stream': the buffer is exactly one message framed by a stream; Content-Length is mandatory and must match.
   */
  transport?: 'datagram' | 'stream';
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Parse a complete message (a UDP datagram, or one message cut from a stream). Throws SipParseError only. */
export function parseSipMessage(data: Buffer | Uint8Array | string, options: SipParseOptions = {}): SipMessage {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_SIP_LIMITS.maxMessageBytes;
  const stream = options.transport === 'stream';
  if (buf.length > maxMessageBytes) {
    throw new SipParseError(`message of ${buf.length} bytes exceeds the ${maxMessageBytes}-byte limit`, { code: 'too-large', status: 513 });
  }
  const start = skipLeadingCrlf(buf, 0);
  if (start >= buf.length) throw new SipParseError('no SIP message (empty or only CRLF)', { code: 'empty', offset: start });
  const headEnd = buf.indexOf(CRLFCRLF, start);
  if (headEnd < 0) {
    throw new SipParseError('header section is not terminated by an empty line (CRLF CRLF)', { code: 'incomplete', offset: buf.length });
  }
  const msg = parseHead(buf, start, headEnd, options);
  const bodyStart = headEnd + 4;
  const available = buf.length - bodyStart;
  const cl = msg.contentLength;
  if (cl === undefined) {
    if (stream) throw new SipParseError('Content-Length is mandatory on a stream transport (RFC 3261 18.3)', { code: 'content-length' });
    msg.body = buf.subarray(bodyStart);
  } else if (cl > available) {
    throw new SipParseError(`Content-Length ${cl} exceeds the ${available} body bytes present`, {
      code: 'content-length',
      offset: buf.length,
      header: 'content-length',
    });
  } else {
    if (stream && cl < available) {
      throw new SipParseError(`${available - cl} bytes after the body declared by Content-Length ${cl}`, { code: 'framing', offset: bodyStart + cl });
    }
    msg.body = buf.subarray(bodyStart, bodyStart + cl);
  }
  return msg;
}

/** Index of the first byte at or after `i` that does not start a CRLF pair (RFC 3261 7.5: CRLFs before a start line are ignored). */
export function skipLeadingCrlf(buf: Buffer, i: number): number {
  while (i + 1 < buf.length && buf[i] === 13 && buf[i + 1] === 10) i += 2;
  return i;
}

/**
 * Parse the start line and header fields in buf[start .. headEnd) where buf[headEnd..headEnd+4) is CRLF CRLF.
 * The body is left empty; the caller attaches it. Used by parseSipMessage and the stream framer.
 */
export function parseHead(buf: Buffer, start: number, headEnd: number, limits: Partial<SipLimits> = {}): SipMessage {
  const maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_SIP_LIMITS.maxHeaderBytes;
  const maxHeaders = limits.maxHeaders ?? DEFAULT_SIP_LIMITS.maxHeaders;
  if (headEnd + 4 - start > maxHeaderBytes) {
    throw new SipParseError(`header section of ${headEnd + 4 - start} bytes exceeds the ${maxHeaderBytes}-byte limit`, {
      code: 'too-large',
      status: 513,
      offset: start,
    });
  }
  // Keep the CRLF that ends the last field so every line ends with CRLF.
  const text = buf.toString('utf8', start, headEnd + 2);

  // Start line.
  let lf = text.indexOf('\n');
  let cr = text.indexOf('\r');
  if (cr !== lf - 1) throw lineError(text, start, 0, 1, cr < lf - 1 ? 'bare CR in the start line' : 'start line ends with a bare LF', 'start-line');
  const msg = parseStartLine(text.slice(0, cr), start);

  // Header fields.
  const headers: SipHeader[] = [];
  let last: SipHeader | undefined;
  let line = 1;
  let pos = lf + 1;
  const n = text.length;
  while (pos < n) {
    line++;
    lf = text.indexOf('\n', pos);
    cr = text.indexOf('\r', pos);
    if (cr !== lf - 1) throw lineError(text, start, pos, line, cr < lf - 1 ? 'bare CR inside a header line' : 'header line ends with a bare LF');
    const c0 = text.charCodeAt(pos);
    if (c0 === 32 || c0 === 9) {
      // Folded continuation (LWS): equivalent to a single SP (RFC 3261 7.3.1).
      if (last === undefined) throw lineError(text, start, pos, line, 'continuation line (starting with whitespace) right after the start line');
      let vs = pos;
      while (vs < cr && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
      let ve = cr;
      while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
      if (ve > vs) last.value = last.value.length > 0 ? last.value + ' ' + text.slice(vs, ve) : text.slice(vs, ve);
      pos = lf + 1;
      continue;
    }
    // field-name: token, optional whitespace, ':'
    let i = pos;
    let c = c0;
    while (i < cr) {
      c = text.charCodeAt(i);
      if (c >= 128 || TOKEN[c] === 0) break;
      i++;
    }
    const nameEnd = i;
    while (i < cr && (c === 32 || c === 9)) c = text.charCodeAt(++i);
    if (nameEnd === pos || i >= cr || c !== 58) {
      const shown = JSON.stringify(text.slice(pos, Math.min(cr, pos + 40)));
      throw lineError(
        text,
        start,
        pos,
        line,
        nameEnd === pos ? `header line ${shown} does not start with a field name` : `header line ${shown} has no ":" after the field name`,
      );
    }
    let vs = i + 1;
    while (vs < cr && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
    let ve = cr;
    while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
    const name = text.slice(pos, nameEnd);
    last = { name, key: headerKey(name), value: text.slice(vs, ve), line };
    headers.push(last);
    if (headers.length > maxHeaders) throw lineError(text, start, pos, line, `more than ${maxHeaders} header fields`, 'header-count');
    pos = lf + 1;
  }
  msg.headers = headers;
  msg.reindex();
  return msg;
}

function lineError(text: string, start: number, pos: number, line: number, message: string, code: 'start-line' | 'header' | 'header-count' = 'header'): SipParseError {
  return new SipParseError(message, { code, line, offset: start + Buffer.byteLength(text.slice(0, pos)) });
}

type StartLineCode = 'start-line' | 'version' | 'request-uri' | 'status-code';

function startLineError(offset: number, message: string, code: StartLineCode = 'start-line', status = 400): SipParseError {
  return new SipParseError(message, { code, status, line: 1, offset });
}

function parseStartLine(line: string, offset: number): SipMessage {
  // Trailing SP/HTAB after the version is tolerated (RFC 4475 3.1.2.10 allows either choice).
  let end = line.length;
  while (end > 0 && (line.charCodeAt(end - 1) === 32 || line.charCodeAt(end - 1) === 9)) end--;
  if (end === 0) throw startLineError(offset, 'empty start line');
  if (isSipVersionAt(line, 0)) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    const sp = line.indexOf(' ');
    const version = sp < 0 ? line.slice(0, end) : line.slice(0, sp);
    checkVersion(version, offset);
    if (sp < 0) throw startLineError(offset, 'status line has no status code');
    let codeEnd = line.indexOf(' ', sp + 1);
    if (codeEnd < 0) codeEnd = end; // "SIP/2.0 100" without the SP: accepted (RFC 4475 3.1.1.13)
    const code = line.slice(sp + 1, codeEnd);
    const status = code.length === 3 ? parseDigits(code, 699) : undefined;
    if (status === undefined || status < 100) throw startLineError(offset, `status code ${JSON.stringify(code.slice(0, 20))} is not a number in 100..699`, 'status-code');
    const reason = codeEnd < end ? line.slice(codeEnd + 1, end) : '';
    for (let i = 0; i < reason.length; i++) {
      const c = reason.charCodeAt(i);
      if ((c < 32 && c !== 9) || c === 127) throw startLineError(offset, 'control character in the reason phrase');
    }
    return new SipResponse(status, reason, []);
  }
  // Request-Line = Method SP Request-URI SP SIP-Version
  const sp1 = line.indexOf(' ');
  if (sp1 <= 0) throw startLineError(offset, `start line ${JSON.stringify(line.slice(0, 40))} is neither a request line nor a status line`);
  const method = line.slice(0, sp1);
  for (let i = 0; i < method.length; i++) {
    const c = method.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) throw startLineError(offset, `method ${JSON.stringify(method.slice(0, 40))} is not a token`);
  }
  if (line.charCodeAt(sp1 + 1) === 32) throw startLineError(offset, 'more than one SP between method and Request-URI');
  const sp2 = line.lastIndexOf(' ', end - 1);
  if (sp2 <= sp1) throw startLineError(offset, 'request line has no SIP version');
  const version = line.slice(sp2 + 1, end);
  if (!isSipVersionAt(version, 0)) throw startLineError(offset, `request line does not end with a SIP version (found ${JSON.stringify(version.slice(0, 20))})`);
  checkVersion(version, offset);
  const uri = line.slice(sp1 + 1, sp2);
  checkRequestUri(uri, offset);
  return new SipRequest(method, uri, []);
}

function isSipVersionAt(s: string, i: number): boolean {
  return (
    s.length >= i + 4 &&
    (s.charCodeAt(i) | 32) === 115 &&
    (s.charCodeAt(i + 1) | 32) === 105 &&
    (s.charCodeAt(i + 2) | 32) === 112 &&
    s.charCodeAt(i + 3) === 47
  );
}

/** uri[0, colon) is a scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
function isScheme(uri: string, colon: number): boolean {
  if (colon <= 0) return false;
  for (let i = 0; i < colon; i++) {
    const c = uri.charCodeAt(i);
    const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (i === 0 ? !alpha : !(alpha || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)) return false;
  }
  return true;
}

function checkVersion(version: string, offset: number): void {
  if (version === 'SIP/2.0') return;
  if (/^sip\/\d+\.\d+$/i.test(version)) {
    if (version.slice(4) === '2.0') return;
    throw startLineError(offset, `unsupported SIP version ${version}`, 'version', 505);
  }
  throw startLineError(offset, `malformed SIP version ${JSON.stringify(version.slice(0, 20))}`);
}

function checkRequestUri(uri: string, offset: number): void {
  if (uri.length === 0) throw startLineError(offset, 'empty Request-URI', 'request-uri');
  if (uri.charCodeAt(0) === 60) throw startLineError(offset, 'Request-URI must not be enclosed in <>', 'request-uri');
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c === 32 || c === 9) throw startLineError(offset, 'whitespace inside the Request-URI', 'request-uri');
    if (c < 32 || c === 127 || c === 34 || c === 60 || c === 62) throw startLineError(offset, `character ${JSON.stringify(uri[i])} in the Request-URI`, 'request-uri');
  }
  const colon = uri.indexOf(':');
  if (!isScheme(uri, colon)) throw startLineError(offset, `Request-URI ${JSON.stringify(uri.slice(0, 40))} has no scheme`, 'request-uri');
  const scheme = uri.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') {
    // RFC 3261 19.1.1: URI headers are not allowed in a Request-URI (RFC 4475 3.1.2.11).
    const at = uri.indexOf('@', colon);
    if (uri.indexOf('?', at < 0 ? colon : at) >= 0) throw startLineError(offset, 'Request-URI must not contain URI headers ("?...")', 'request-uri');
  }
}
