import { headerLabel } from './headers.js';

// The one error type of the SIP message layer. Anything wrong in the bytes we are given surfaces as a
// SipParseError naming what was wrong and where, plus the response code a UAS/proxy should answer with.

export type SipParseErrorCode =
  | 'empty'
  | 'too-large'
  | 'incomplete'
  | 'start-line'
  | 'version'
  | 'request-uri'
  | 'status-code'
  | 'header'
  | 'header-count'
  | 'missing-header'
  | 'duplicate-header'
  | 'content-length'
  | 'cseq'
  | 'method-mismatch'
  | 'value'
  | 'framing'
  | 'sdp';

export interface SipParseErrorInfo {
  code: SipParseErrorCode;
  /** The response a server should send for this request: 400 by default, 505 for a bad version, 501 for an
   *  unknown method whose CSeq disagrees, 513 for a message too large. */
  status?: number;
  /** Byte offset into the message (or stream) where the problem was found. */
  offset?: number;
  /** 1-based physical line of the message. */
  line?: number;
  /** Header field (canonical lower-case name) the problem is in. */
  header?: string;
}

export class SipParseError extends Error {
  readonly code: SipParseErrorCode;
  readonly status: number;
  readonly offset: number | undefined;
  readonly line: number | undefined;
  readonly header: string | undefined;

  constructor(message: string, info: SipParseErrorInfo) {
    const where: string[] = [];
    if (info.line !== undefined) where.push(`line ${info.line}`);
    if (info.offset !== undefined) where.push(`offset ${info.offset}`);
    super(where.length ? `${message} (${where.join(', ')})` : message);
    this.name = 'SipParseError';
    this.code = info.code;
    this.status = info.status ?? 400;
    this.offset = info.offset;
    this.line = info.line;
    this.header = info.header;
  }
}

/** Shorthand for the structured-value parsers: a bad value, optionally in a named header. */
export function valueError(what: string, header?: string): SipParseError {
  return new SipParseError(header ? `${headerLabel(header)}: ${what}` : what, { code: 'value', header });
}
