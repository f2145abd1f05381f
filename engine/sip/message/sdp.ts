// SDP (RFC 4566/8866) as far as offer/answer with SDES needs: session and media descriptions, connection and
// bandwidth lines, attributes kept in order and raw (a=crypto values go untouched to ciphers/sdes).
import { SipParseError } from './errors.js';

export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

export interface SdpConnection {
  netType: string;
  addrType: string;
  /** Address as written (may carry /ttl/count for multicast). */
  address: string;
}

export interface SdpBandwidth {
  type: string;
  value: number;
}

/** a=name or a=name:value */
export interface SdpAttribute {
  name: string;
  value?: string;
}

/** A line this module does not model (i=, u=, e=, p=, r=, z=, k= and unknown types), kept in order. */
export interface SdpLine {
  type: string;
  value: string;
}

export interface SdpMedia {
  type: string;
  port: number;
  portCount?: number;
  proto: string;
  /** Formats as written (RTP payload types for RTP/AVP and RTP/SAVP). */
  formats: string[];
  connections: SdpConnection[];
  bandwidths: SdpBandwidth[];
  attributes: SdpAttribute[];
  other: SdpLine[];
}

export interface SdpSession {
  version: number;
  origin: SdpOrigin;
  sessionName: string;
  connection?: SdpConnection;
  bandwidths: SdpBandwidth[];
  /** t= lines as "start stop". */
  timing: string[];
  attributes: SdpAttribute[];
  other: SdpLine[];
  media: SdpMedia[];
}

export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

function sdpError(message: string, line?: number): SipParseError {
  return new SipParseError(`SDP: ${message}`, { code: 'sdp', status: 400, line });
}

/** Parse an SDP body. CRLF or bare LF line ends are accepted; errors name the line. */
export function parseSdp(body: Buffer | string): SdpSession {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const lines = text.split('\n');
  let session: SdpSession | undefined;
  let media: SdpMedia | undefined;
  let sawV = false;
  let sawS = false;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i] as string;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    // A CR anywhere else cannot be serialised again (RFC 4566: CR only as part of CRLF), so refuse it here.
    if (line.includes('\r')) throw sdpError('bare CR inside a line', lineNo);
    if (line.length === 0) {
      if (lines.slice(i + 1).every((l) => l === '' || l === '\r')) break; // trailing empty lines
      throw sdpError('empty line', lineNo);
    }
    const type = line[0] as string;
    if (line.length < 2 || line[1] !== '=' || type < 'a' || type > 'z') {
      throw sdpError(`line ${JSON.stringify(line.slice(0, 40))} is not <letter>=<value>`, lineNo);
    }
    const value = line.slice(2);
    if (!sawV) {
      if (type !== 'v') throw sdpError('first line must be v=', lineNo);
      if (value !== '0') throw sdpError(`unsupported version v=${value}`, lineNo);
      sawV = true;
      continue;
    }
    if (session === undefined) {
      if (type !== 'o') throw sdpError('second line must be o=', lineNo);
      const f = value.split(' ');
      if (f.length !== 6 || f.some((x) => x.length === 0)) throw sdpError('o= needs 6 fields: username sess-id sess-version nettype addrtype address', lineNo);
      session = {
        version: 0,
        origin: {
          username: f[0] as string,
          sessionId: f[1] as string,
          sessionVersion: f[2] as string,
          netType: f[3] as string,
          addrType: f[4] as string,
          address: f[5] as string,
        },
        sessionName: '',
        bandwidths: [],
        timing: [],
        attributes: [],
        other: [],
        media: [],
      };
      continue;
    }
    switch (type) {
      case 'v':
      case 'o':
        throw sdpError(`second ${type}= line`, lineNo);
      case 's':
        if (media || sawS) throw sdpError('s= must appear once, before the media descriptions', lineNo);
        sawS = true;
        session.sessionName = value;
        break;
      case 'c': {
        const c = parseConnection(value, lineNo);
        if (media) media.connections.push(c);
        else if (session.connection) throw sdpError('second session-level c= line', lineNo);
        else session.connection = c;
        break;
      }
      case 'b': {
        const colon = value.indexOf(':');
        const bw = colon > 0 ? Number(value.slice(colon + 1)) : NaN;
        if (!Number.isSafeInteger(bw) || bw < 0 || !/^\d+$/.test(value.slice(colon + 1))) throw sdpError(`b=${value} is not <type>:<number>`, lineNo);
        (media ?? session).bandwidths.push({ type: value.slice(0, colon), value: bw });
        break;
      }
      case 't':
        if (media) throw sdpError('t= after a media description', lineNo);
        if (!/^\d+ \d+$/.test(value)) throw sdpError(`t=${value} is not "<start> <stop>"`, lineNo);
        session.timing.push(value);
        break;
      case 'a': {
        const colon = value.indexOf(':');
        const attr: SdpAttribute = colon < 0 ? { name: value } : { name: value.slice(0, colon), value: value.slice(colon + 1) };
        if (attr.name.length === 0 || /\s/.test(attr.name)) throw sdpError(`a=${value.slice(0, 40)} has no attribute name`, lineNo);
        (media ?? session).attributes.push(attr);
        break;
      }
      case 'm':
        if (!sawS) throw sdpError('m= before s=', lineNo);
        media = parseMediaLine(value, lineNo);
        session.media.push(media);
        break;
      default:
        (media ?? session).other.push({ type, value });
    }
  }
  if (!sawV || session === undefined) throw sdpError('no v= and o= lines');
  if (!sawS) throw sdpError('no s= line');
  return session;
}

function parseConnection(value: string, lineNo: number): SdpConnection {
  const f = value.split(' ');
  if (f.length !== 3 || f.some((x) => x.length === 0)) throw sdpError(`c=${value} is not "<nettype> <addrtype> <address>"`, lineNo);
  return { netType: f[0] as string, addrType: f[1] as string, address: f[2] as string };
}

function parseMediaLine(value: string, lineNo: number): SdpMedia {
  const f = value.split(' ');
  if (f.length < 4 || f.some((x) => x.length === 0)) throw sdpError(`m=${value} is not "<media> <port> <proto> <fmt> ..."`, lineNo);
  const [portText, countText] = (f[1] as string).split('/');
  const port = /^\d{1,5}$/.test(portText as string) ? Number(portText) : NaN;
  if (!(port <= 65535)) throw sdpError(`m= port ${JSON.stringify(f[1])} is not a number in 0..65535`, lineNo);
  const m: SdpMedia = {
    type: f[0] as string,
    port,
    proto: f[2] as string,
    formats: f.slice(3),
    connections: [],
    bandwidths: [],
    attributes: [],
    other: [],
  };
  if (countText !== undefined) {
    if (!/^\d{1,5}$/.test(countText)) throw sdpError(`m= port count ${JSON.stringify(countText)} is not a number`, lineNo);
    m.portCount = Number(countText);
  }
  return m;
}

// RFC 8866 5: order of the lines we emit.
const SESSION_ORDER = 'iuep';
const SESSION_TAIL = 'rzk';

/** SDP text with CRLF line ends, lines in RFC 8866 order. */
export function serializeSdp(s: SdpSession): string {
  const out: string[] = ['v=0'];
  const o = s.origin;
  out.push(`o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`);
  out.push(`s=${s.sessionName}`);
  for (const t of SESSION_ORDER) for (const l of s.other) if (l.type === t) out.push(`${l.type}=${l.value}`);
  if (s.connection) out.push(connLine(s.connection));
  for (const b of s.bandwidths) out.push(`b=${b.type}:${b.value}`);
  for (const t of s.timing) out.push(`t=${t}`);
  for (const t of SESSION_TAIL) for (const l of s.other) if (l.type === t) out.push(`${l.type}=${l.value}`);
  for (const l of s.other) if (!SESSION_ORDER.includes(l.type) && !SESSION_TAIL.includes(l.type)) out.push(`${l.type}=${l.value}`);
  for (const a of s.attributes) out.push(attrLine(a));
  for (const m of s.media) {
    out.push(`m=${m.type} ${m.port}${m.portCount !== undefined ? '/' + m.portCount : ''} ${m.proto} ${m.formats.join(' ')}`);
    for (const l of m.other) if (l.type === 'i') out.push(`i=${l.value}`);
    for (const c of m.connections) out.push(connLine(c));
    for (const b of m.bandwidths) out.push(`b=${b.type}:${b.value}`);
    for (const l of m.other) if (l.type === 'k') out.push(`k=${l.value}`);
    for (const l of m.other) if (l.type !== 'i' && l.type !== 'k') out.push(`${l.type}=${l.value}`);
    for (const a of m.attributes) out.push(attrLine(a));
  }
  for (const l of out) if (/[\r\n]/.test(l)) throw new TypeError(`SDP line contains CR or LF: ${JSON.stringify(l)}`);
  return out.join('\r\n') + '\r\n';
}

function connLine(c: SdpConnection): string {
  return `c=${c.netType} ${c.addrType} ${c.address}`;
}

function attrLine(a: SdpAttribute): string {
  return a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`;
}

// ---- helpers for offer/answer --------------------------------------------------------------------------

export function attributeValues(attrs: readonly SdpAttribute[], name: string): string[] {
  const out: string[] = [];
  for (const a of attrs) if (a.name === name && a.value !== undefined) out.push(a.value);
  return out;
}

/** The a=crypto values of a media description, untouched ("1 AES_CM_128_HMAC_SHA1_80 inline:..."). */
export function cryptoAttributes(m: SdpMedia): string[] {
  return attributeValues(m.attributes, 'crypto');
}

export interface RtpMap {
  payloadType: number;
  encoding: string;
  clockRate: number;
  channels?: number;
}

/** a=rtpmap entries by payload type (RFC 3551 static types without rtpmap are not filled in). */
export function rtpMaps(m: SdpMedia): Map<number, RtpMap> {
  const out = new Map<number, RtpMap>();
  for (const v of attributeValues(m.attributes, 'rtpmap')) {
    const r = /^(\d{1,3}) ([^/\s]+)\/(\d+)(?:\/(\d+))?$/.exec(v.trim());
    if (!r) throw sdpError(`a=rtpmap:${v} is not "<pt> <encoding>/<clock rate>[/<channels>]"`);
    const map: RtpMap = { payloadType: Number(r[1]), encoding: r[2] as string, clockRate: Number(r[3]) };
    if (r[4] !== undefined) map.channels = Number(r[4]);
    out.set(map.payloadType, map);
  }
  return out;
}

/** a=fmtp parameters by format. */
export function fmtps(m: SdpMedia): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of attributeValues(m.attributes, 'fmtp')) {
    const sp = v.indexOf(' ');
    out.set(sp < 0 ? v : v.slice(0, sp), sp < 0 ? '' : v.slice(sp + 1));
  }
  return out;
}

/** Media direction: the media-level attribute, else the session-level one, else sendrecv (RFC 3264 5.1). */
export function mediaDirection(m: SdpMedia, s?: SdpSession): SdpDirection {
  for (const a of m.attributes) if (DIRECTIONS.has(a.name)) return a.name as SdpDirection;
  if (s) for (const a of s.attributes) if (DIRECTIONS.has(a.name)) return a.name as SdpDirection;
  return 'sendrecv';
}

/** Replace any direction attribute of the media description with `dir`. */
export function setMediaDirection(m: SdpMedia, dir: SdpDirection): void {
  const i = m.attributes.findIndex((a) => DIRECTIONS.has(a.name));
  m.attributes = m.attributes.filter((a) => !DIRECTIONS.has(a.name));
  m.attributes.splice(i < 0 ? m.attributes.length : i, 0, { name: dir });
}

/** Connection of a media description: its own c= line, else the session's. */
export function mediaConnection(m: SdpMedia, s: SdpSession): SdpConnection | undefined {
  return m.connections[0] ?? s.connection;
}
