// TVS wire format (TLS on TCP 2445): a 10-byte header, then tag-length-value elements. Layout from research anchors 2.7
// (usecallmanagernz tvsd/tvsc); the element framing, tag(1) ‖ length(2, big-endian) ‖ value, is the one CAPF uses
// (anchors 2.2) and the one tvsd/tvsc read and write. Pure byte work: no sockets, no trust decisions.
import { ROLE_NAMES, roleCode, type RoleName } from '../trust/tags.js';

export const TVS_PROTOCOL_ID = 0x57;
export const TVS_VERSION = 1;
export const TVS_HEADER_LENGTH = 10;
/** The header's length field is 16 bits. */
export const TVS_MAX_BODY_LENGTH = 0xffff;
export const TVS_ELEMENT_HEADER_LENGTH = 3;
/** DEVICE_NAME values start with this byte, then the name without a terminator (tvsc writes it, tvsd skips it). */
export const DEVICE_NAME_PREFIX = 0x01;
/** Longest device name accepted on the wire ("CP-7841-SEP001122334455" is 23). */
export const MAX_DEVICE_NAME_LENGTH = 64;

export const TvsCommand = { NONE: 0, VERIFY_REQUEST: 1, VERIFY_RESPONSE: 2, QUERY_REQUEST: 3, QUERY_RESPONSE: 4 } as const;
export const TvsElementTag = { DEVICE_NAME: 1, CERTIFICATE: 2, STATUS: 7, ROLES: 8, TTL: 9 } as const;
export const TvsStatus = { VALID: 0, INVALID: 1 } as const;

const COMMAND_NAMES: Readonly<Record<number, string>> = { 0: 'NONE', 1: 'VERIFY_REQUEST', 2: 'VERIFY_RESPONSE', 3: 'QUERY_REQUEST', 4: 'QUERY_RESPONSE' };
const ELEMENT_NAMES: Readonly<Record<number, string>> = { 1: 'DEVICE_NAME', 2: 'CERTIFICATE', 7: 'STATUS', 8: 'ROLES', 9: 'TTL' };

export function commandName(c: number): string {
  return COMMAND_NAMES[c] ?? `command ${c}`;
}

export function elementName(tag: number): string {
  return ELEMENT_NAMES[tag] ?? `element tag ${tag}`;
}

/** VERIFY and QUERY carry the same elements; the response command is the request's + 1. */
export type TvsRequestKind = 'verify' | 'query';

export type TvsErrorCode =
  | 'PROTOCOL_ID'
  | 'VERSION'
  | 'LENGTH'
  | 'TRUNCATED'
  | 'TRAILING'
  | 'UNKNOWN_ELEMENT'
  | 'DUPLICATE_ELEMENT'
  | 'MISSING_ELEMENT'
  | 'ELEMENT_LENGTH'
  | 'COMMAND'
  | 'SESSION'
  | 'DEVICE_NAME'
  | 'CERTIFICATE'
  | 'STATUS'
  | 'TOO_MANY_REQUESTS'
  | 'TIMEOUT';

/** Malformed or unexpected TVS bytes: what was wrong (code, field) and where (offset in the message). */
export class TvsProtocolError extends Error {
  readonly code: TvsErrorCode;
  readonly field: string | undefined;
  /** Offset in the message (0 = the protocol id byte), when the error is about a byte. */
  readonly offset: number | undefined;
  /** Offset in the connection's byte stream, set by TvsFramer. */
  streamOffset: number | undefined;

  constructor(code: TvsErrorCode, message: string, where: { field?: string; offset?: number } = {}) {
    const at = [where.field, where.offset !== undefined ? `at offset ${where.offset}` : undefined].filter(Boolean).join(' ');
    super(`TVS ${at ? `${at}: ` : ''}${message}`);
    this.name = 'TvsProtocolError';
    this.code = code;
    this.field = where.field;
    this.offset = where.offset;
    this.streamOffset = undefined;
  }
}

export interface TvsHeader {
  protocolId: number;
  version: number;
  command: number;
  /** Byte 3: written 0; not checked on reading (tvsd skips it). */
  reserved: number;
  sessionId: number;
  /** Bytes of elements after the header. */
  length: number;
}

export interface TvsElement {
  tag: number;
  /** Offset of the tag byte in the message. */
  offset: number;
  value: Buffer;
}

export interface TvsMessage {
  header: TvsHeader;
  elements: TvsElement[];
  /** The whole message (header and elements). */
  bytes: Buffer;
}

export interface ElementInput {
  tag: number;
  value: Uint8Array;
}

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} ${v} is not an unsigned 32-bit integer`);
}

/** Checks the bytes of a header seen so far (1 to 10), so a stream that is not TVS fails at its first byte. */
export function checkHeaderPrefix(buf: Uint8Array, maxBodyLength = TVS_MAX_BODY_LENGTH): void {
  if (buf.length >= 1 && buf[0] !== TVS_PROTOCOL_ID) {
    throw new TvsProtocolError('PROTOCOL_ID', `protocol id 0x${buf[0]!.toString(16).padStart(2, '0')}, expected 0x57`, { field: 'header.protocolId', offset: 0 });
  }
  if (buf.length >= 2 && buf[1] !== TVS_VERSION) throw new TvsProtocolError('VERSION', `protocol version ${buf[1]}, expected ${TVS_VERSION}`, { field: 'header.version', offset: 1 });
  if (buf.length >= TVS_HEADER_LENGTH) {
    const length = (buf[8]! << 8) | buf[9]!;
    if (length > maxBodyLength) throw new TvsProtocolError('LENGTH', `message length ${length} exceeds the limit of ${maxBodyLength} bytes`, { field: 'header.length', offset: 8 });
  }
}

export function decodeHeader(buf: Uint8Array, maxBodyLength = TVS_MAX_BODY_LENGTH): TvsHeader {
  if (buf.length < TVS_HEADER_LENGTH) throw new TvsProtocolError('TRUNCATED', `${buf.length} bytes, a header is ${TVS_HEADER_LENGTH}`, { field: 'header', offset: 0 });
  checkHeaderPrefix(buf, maxBodyLength);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return { protocolId: b[0]!, version: b[1]!, command: b[2]!, reserved: b[3]!, sessionId: b.readUInt32BE(4), length: b.readUInt16BE(8) };
}

/** Splits the element area of a message (from `start`) into elements; offsets stay message offsets. */
export function decodeElements(msg: Buffer, start = TVS_HEADER_LENGTH): TvsElement[] {
  const out: TvsElement[] = [];
  let p = start;
  while (p < msg.length) {
    if (msg.length - p < TVS_ELEMENT_HEADER_LENGTH) {
      throw new TvsProtocolError('TRUNCATED', `${msg.length - p} byte(s) left, an element header is ${TVS_ELEMENT_HEADER_LENGTH}`, { field: 'element', offset: p });
    }
    const tag = msg[p]!;
    const len = msg.readUInt16BE(p + 1);
    const valueStart = p + TVS_ELEMENT_HEADER_LENGTH;
    if (valueStart + len > msg.length) {
      throw new TvsProtocolError('TRUNCATED', `length ${len} runs past the end of the message (${msg.length - valueStart} byte(s) left)`, { field: elementName(tag), offset: p });
    }
    out.push({ tag, offset: p, value: msg.subarray(valueStart, valueStart + len) });
    p = valueStart + len;
  }
  return out;
}

/** Decodes exactly one message (header and elements, nothing after). */
export function decodeMessage(bytes: Uint8Array, maxBodyLength = TVS_MAX_BODY_LENGTH): TvsMessage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = decodeHeader(buf, maxBodyLength);
  const total = TVS_HEADER_LENGTH + header.length;
  if (buf.length < total) throw new TvsProtocolError('TRUNCATED', `header announces ${header.length} bytes of elements, ${buf.length - TVS_HEADER_LENGTH} present`, { field: 'header.length', offset: 8 });
  if (buf.length > total) throw new TvsProtocolError('TRAILING', `${buf.length - total} byte(s) after the ${total}-byte message`, { offset: total });
  return { header, elements: decodeElements(buf), bytes: buf };
}

/** One message in one buffer: callers write it with a single write (CAPF phones stall on split writes, anchors 2.2). */
export function encodeMessage(command: number, sessionId: number, elements: readonly ElementInput[]): Buffer {
  if (!Number.isInteger(command) || command < 0 || command > 0xff) throw new RangeError(`command ${command} is not a byte`);
  checkU32(sessionId, 'session id');
  const parts: Buffer[] = [];
  let length = 0;
  for (const e of elements) {
    if (!Number.isInteger(e.tag) || e.tag < 0 || e.tag > 0xff) throw new RangeError(`element tag ${e.tag} is not a byte`);
    if (e.value.length > 0xffff) throw new RangeError(`${elementName(e.tag)}: ${e.value.length} bytes do not fit a 16-bit element length`);
    const h = Buffer.alloc(TVS_ELEMENT_HEADER_LENGTH);
    h[0] = e.tag;
    h.writeUInt16BE(e.value.length, 1);
    parts.push(h, Buffer.from(e.value));
    length += TVS_ELEMENT_HEADER_LENGTH + e.value.length;
  }
  if (length > TVS_MAX_BODY_LENGTH) throw new RangeError(`${length} bytes of elements do not fit the 16-bit message length`);
  const header = Buffer.alloc(TVS_HEADER_LENGTH);
  header[0] = TVS_PROTOCOL_ID;
  header[1] = TVS_VERSION;
  header[2] = command;
  header[3] = 0;
  header.writeUInt32BE(sessionId, 4);
  header.writeUInt16BE(length, 8);
  return Buffer.concat([header, ...parts]);
}

/** Collects the elements by tag; unknown and repeated tags are errors (tvsd refuses unknown tags). */
function elementsByTag(m: TvsMessage, allowed: readonly number[], scope: string): Map<number, TvsElement> {
  const byTag = new Map<number, TvsElement>();
  for (const e of m.elements) {
    if (!allowed.includes(e.tag)) {
      throw new TvsProtocolError('UNKNOWN_ELEMENT', `tag ${e.tag} (${e.value.length} bytes) is not a ${scope} element (expected ${allowed.map(elementName).join(', ')})`, { field: elementName(e.tag), offset: e.offset });
    }
    const first = byTag.get(e.tag);
    if (first) throw new TvsProtocolError('DUPLICATE_ELEMENT', `repeated (the first is at offset ${first.offset})`, { field: elementName(e.tag), offset: e.offset });
    byTag.set(e.tag, e);
  }
  return byTag;
}

function required(byTag: Map<number, TvsElement>, tag: number, scope: string): TvsElement {
  const e = byTag.get(tag);
  if (!e) throw new TvsProtocolError('MISSING_ELEMENT', `${scope} has no ${elementName(tag)} element`, { field: elementName(tag) });
  return e;
}

// ---- requests (phone → TVS) --------------------------------------------------------------------------------------

export interface TvsRequest {
  kind: TvsRequestKind;
  command: number;
  sessionId: number;
  deviceName: string;
  /** The certificate to check, DER, exactly as sent. */
  certificate: Buffer;
}

export interface TvsRequestInput {
  kind?: TvsRequestKind;
  sessionId: number;
  /** "CP-<model>-SEP<MAC>" (the MIC form, anchors 2.7). */
  deviceName: string;
  certificate: Uint8Array;
}

function checkDeviceNameText(name: string, where: { field: string; offset?: number }): void {
  if (name.length === 0 || name.length > MAX_DEVICE_NAME_LENGTH || !/^[\x21-\x7e]+$/.test(name)) {
    throw new TvsProtocolError('DEVICE_NAME', `${JSON.stringify(name.slice(0, 80))} is not a device name (1-${MAX_DEVICE_NAME_LENGTH} printable ASCII characters)`, where);
  }
}

/**
 * The outer DER of an X.509 certificate: a SEQUENCE (0x30) whose definite length covers the value exactly. Returns
 * the reason when it does not; the full parse is the service's (node:crypto X509Certificate).
 */
export function derSequenceProblem(der: Uint8Array): string | undefined {
  if (der.length < 2) return `${der.length} byte(s) cannot hold a DER SEQUENCE`;
  if (der[0] !== 0x30) return `first byte 0x${der[0]!.toString(16).padStart(2, '0')} is not a DER SEQUENCE (0x30)`;
  const l0 = der[1]!;
  let len: number;
  let hdr: number;
  if (l0 < 0x80) {
    len = l0;
    hdr = 2;
  } else {
    const n = l0 & 0x7f;
    if (n === 0 || n > 3) return `DER length form 0x${l0.toString(16)} is not a definite length of 1-3 bytes`;
    if (der.length < 2 + n) return 'DER length runs past the value';
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[2 + i]!;
    hdr = 2 + n;
  }
  if (hdr + len !== der.length) return `DER SEQUENCE of ${hdr + len} bytes in a ${der.length}-byte value`;
  return undefined;
}

export function encodeRequest(r: TvsRequestInput): Buffer {
  const kind = r.kind ?? 'verify';
  checkDeviceNameText(r.deviceName, { field: 'deviceName' });
  if (r.certificate.length === 0) throw new RangeError('certificate is empty');
  const name = Buffer.concat([Buffer.from([DEVICE_NAME_PREFIX]), Buffer.from(r.deviceName, 'latin1')]);
  return encodeMessage(kind === 'verify' ? TvsCommand.VERIFY_REQUEST : TvsCommand.QUERY_REQUEST, r.sessionId, [
    { tag: TvsElementTag.DEVICE_NAME, value: name },
    { tag: TvsElementTag.CERTIFICATE, value: r.certificate },
  ]);
}

export function requestKindOf(command: number): TvsRequestKind | undefined {
  return command === TvsCommand.VERIFY_REQUEST ? 'verify' : command === TvsCommand.QUERY_REQUEST ? 'query' : undefined;
}

/** Decodes a request (a decoded message or raw bytes); throws TvsProtocolError naming the element and offset. */
export function decodeRequest(input: TvsMessage | Uint8Array, maxBodyLength?: number): TvsRequest {
  const m = input instanceof Uint8Array ? decodeMessage(input, maxBodyLength) : input;
  const kind = requestKindOf(m.header.command);
  if (!kind) throw new TvsProtocolError('COMMAND', `${commandName(m.header.command)} is not a request (expected VERIFY_REQUEST or QUERY_REQUEST)`, { field: 'header.command', offset: 2 });
  const byTag = elementsByTag(m, [TvsElementTag.DEVICE_NAME, TvsElementTag.CERTIFICATE], 'request');
  const dn = required(byTag, TvsElementTag.DEVICE_NAME, 'the request');
  if (dn.value.length < 2) throw new TvsProtocolError('ELEMENT_LENGTH', `length ${dn.value.length}: the prefix byte and at least one character are needed`, { field: 'DEVICE_NAME', offset: dn.offset });
  if (dn.value[0] !== DEVICE_NAME_PREFIX) {
    throw new TvsProtocolError('DEVICE_NAME', `prefix byte 0x${dn.value[0]!.toString(16).padStart(2, '0')}, expected 0x01`, { field: 'DEVICE_NAME', offset: dn.offset + TVS_ELEMENT_HEADER_LENGTH });
  }
  const deviceName = dn.value.subarray(1).toString('latin1');
  checkDeviceNameText(deviceName, { field: 'DEVICE_NAME', offset: dn.offset + TVS_ELEMENT_HEADER_LENGTH + 1 });
  const cert = required(byTag, TvsElementTag.CERTIFICATE, 'the request');
  const problem = derSequenceProblem(cert.value);
  if (problem) throw new TvsProtocolError('CERTIFICATE', problem, { field: 'CERTIFICATE', offset: cert.offset + TVS_ELEMENT_HEADER_LENGTH });
  return { kind, command: m.header.command, sessionId: m.header.sessionId, deviceName, certificate: Buffer.from(cert.value) };
}

// ---- responses (TVS → phone) -------------------------------------------------------------------------------------

export type TvsVerdictStatus = 'valid' | 'invalid';

export interface TvsResponse {
  kind: TvsRequestKind;
  command: number;
  sessionId: number;
  status: TvsVerdictStatus;
  /** Role codes, one byte each on the wire (the .tlv codes of engine/trust/tags.ts, anchors 8 item 2). */
  roles: number[];
  /** Names of the roles engine/trust knows; unknown codes as "role <n>". */
  roleNames: string[];
  ttlSeconds?: number;
}

export interface TvsResponseInput {
  kind: TvsRequestKind;
  sessionId: number;
  status: TvsVerdictStatus;
  /** Valid answers only (tvsd sends ROLES and TTL with valid, STATUS alone with invalid). */
  roles?: readonly (RoleName | number)[];
  ttlSeconds?: number;
}

export function roleDisplay(code: number): string {
  return ROLE_NAMES[code] ?? `role ${code}`;
}

export function encodeResponse(r: TvsResponseInput): Buffer {
  const command = r.kind === 'verify' ? TvsCommand.VERIFY_RESPONSE : TvsCommand.QUERY_RESPONSE;
  if (r.status === 'invalid') {
    if (r.roles?.length || r.ttlSeconds !== undefined) throw new RangeError('an invalid answer carries STATUS only (no ROLES, no TTL)');
    return encodeMessage(command, r.sessionId, [{ tag: TvsElementTag.STATUS, value: Buffer.from([TvsStatus.INVALID]) }]);
  }
  const codes = (r.roles ?? []).map((x) => {
    const c = roleCode(x);
    if (c > 0xff) throw new RangeError(`role ${String(x)} (code ${c}) does not fit the one-byte TVS role`);
    return c;
  });
  if (r.ttlSeconds === undefined) throw new RangeError('a valid answer needs ttlSeconds');
  checkU32(r.ttlSeconds, 'ttlSeconds');
  const ttl = Buffer.alloc(4);
  ttl.writeUInt32BE(r.ttlSeconds);
  return encodeMessage(command, r.sessionId, [
    { tag: TvsElementTag.STATUS, value: Buffer.from([TvsStatus.VALID]) },
    { tag: TvsElementTag.ROLES, value: Buffer.from(codes) },
    { tag: TvsElementTag.TTL, value: ttl },
  ]);
}

export function decodeResponse(input: TvsMessage | Uint8Array, maxBodyLength?: number): TvsResponse {
  const m = input instanceof Uint8Array ? decodeMessage(input, maxBodyLength) : input;
  const c = m.header.command;
  const kind: TvsRequestKind | undefined = c === TvsCommand.VERIFY_RESPONSE ? 'verify' : c === TvsCommand.QUERY_RESPONSE ? 'query' : undefined;
  if (!kind) throw new TvsProtocolError('COMMAND', `${commandName(c)} is not a response (expected VERIFY_RESPONSE or QUERY_RESPONSE)`, { field: 'header.command', offset: 2 });
  const byTag = elementsByTag(m, [TvsElementTag.STATUS, TvsElementTag.ROLES, TvsElementTag.TTL], 'response');
  const st = required(byTag, TvsElementTag.STATUS, 'the response');
  if (st.value.length !== 1) throw new TvsProtocolError('ELEMENT_LENGTH', `length ${st.value.length}, expected 1`, { field: 'STATUS', offset: st.offset });
  const code = st.value[0]!;
  if (code !== TvsStatus.VALID && code !== TvsStatus.INVALID) throw new TvsProtocolError('STATUS', `value ${code} is neither 0 (valid) nor 1 (invalid)`, { field: 'STATUS', offset: st.offset + TVS_ELEMENT_HEADER_LENGTH });
  const roles = [...(byTag.get(TvsElementTag.ROLES)?.value ?? [])];
  const out: TvsResponse = { kind, command: c, sessionId: m.header.sessionId, status: code === TvsStatus.VALID ? 'valid' : 'invalid', roles, roleNames: roles.map(roleDisplay) };
  const ttl = byTag.get(TvsElementTag.TTL);
  if (ttl) {
    if (ttl.value.length !== 4) throw new TvsProtocolError('ELEMENT_LENGTH', `length ${ttl.value.length}, expected 4`, { field: 'TTL', offset: ttl.offset });
    out.ttlSeconds = ttl.value.readUInt32BE(0);
  }
  return out;
}

// ---- stream framing ------------------------------------------------------------------------------------------------

/**
 * Cuts a byte stream into messages. Holds at most one message (header + maxBodyLength bytes); a wrong protocol id,
 * version or an oversized length fails as soon as its byte arrives. After an error the framer refuses further input.
 */
export class TvsFramer {
  readonly maxBodyLength: number;
  #buf: Buffer = Buffer.alloc(0);
  #consumed = 0;
  #failed: TvsProtocolError | undefined;

  constructor(opts: { maxBodyLength?: number } = {}) {
    const max = opts.maxBodyLength ?? TVS_MAX_BODY_LENGTH;
    if (!Number.isInteger(max) || max < 0 || max > TVS_MAX_BODY_LENGTH) throw new RangeError(`maxBodyLength ${max} must be 0-${TVS_MAX_BODY_LENGTH}`);
    this.maxBodyLength = max;
  }

  /** Bytes received and not yet part of a complete message. */
  get pending(): number {
    return this.#buf.length;
  }

  /** Feeds bytes; returns the messages they complete. Throws TvsProtocolError (with streamOffset) on bad input. */
  push(chunk: Uint8Array): TvsMessage[] {
    if (this.#failed) throw this.#failed;
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : Buffer.from(chunk);
    const out: TvsMessage[] = [];
    try {
      for (;;) {
        checkHeaderPrefix(this.#buf.subarray(0, TVS_HEADER_LENGTH), this.maxBodyLength);
        if (this.#buf.length < TVS_HEADER_LENGTH) break;
        const total = TVS_HEADER_LENGTH + this.#buf.readUInt16BE(8);
        if (this.#buf.length < total) break;
        out.push(decodeMessage(Buffer.from(this.#buf.subarray(0, total)), this.maxBodyLength));
        this.#buf = this.#buf.subarray(total);
        this.#consumed += total;
      }
    } catch (e) {
      if (e instanceof TvsProtocolError) {
        e.streamOffset = this.#consumed + (e.offset ?? 0);
        this.#failed = e;
      }
      throw e;
    }
    return out;
  }
}
