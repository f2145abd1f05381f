// The CAPF wire format (TLS port 3804), research anchors §2.2-2.4: an 8-byte header
//   protocol id 0x55 ‖ command (1) ‖ session id (4, big-endian) ‖ length of the elements (2, big-endian)
// followed by elements tag (1) ‖ length (2, big-endian) ‖ value. Typed encode/decode of every element, and a stream
// framer. Bad input is a CapfProtocolError naming the command, the element and the byte offset; nothing here throws
// anything else on hostile bytes. This module is a codec: it imports nothing of the services that use it.

export const CAPF_PROTOCOL_ID = 0x55;
export const CAPF_HEADER_LENGTH = 8;
/** CAPF protocol version 3 adds EC keys (seed 004 L234). */
export const CAPF_PROTOCOL_VERSION = 3;
/** The header's length field is 16 bits: no message carries more than this many element bytes. */
export const CAPF_MAX_BODY_LENGTH = 0xffff;

/** Commands (anchors §2.3). */
export const CapfCommand = {
  AUTH_REQUEST: 1,
  AUTH_RESPONSE: 2,
  KEY_GENERATE_REQUEST: 3,
  KEY_GENERATE_RESPONSE: 4,
  ENCRYPT_RESPONSE: 5,
  ENCRYPT_REQUEST: 6,
  DECRYPT_REQUEST: 7,
  DECRYPT_RESPONSE: 8,
  STORE_CERTIFICATE_REQUEST: 9,
  STORE_CERTIFICATE_RESPONSE: 10,
  FETCH_CERTIFICATE_REQUEST: 11,
  FETCH_CERTIFICATE_RESPONSE: 12,
  DELETE_CERTIFICATE_REQUEST: 13,
  DELETE_CERTIFICATE_RESPONSE: 14,
  END_SESSION: 15,
  RETRY_LATER: 16,
  REQUEST_IN_PROGRESS: 17,
  STATUS_REQUEST: 18,
  STATUS_RESPONSE: 19,
  ABORT_REQUEST: 20,
  ABORT_RESPONSE: 21,
  SIGN_CERTIFICATE_REQUEST: 22,
  SIGN_CERTIFICATE_RESPONSE: 23,
} as const;
export type CapfCommandName = keyof typeof CapfCommand;

/** Element tags (anchors §2.4). */
export const CapfElement = {
  REASON: 1,
  REASON_INFO: 2,
  CERTIFICATE_TYPE: 3,
  CERTIFICATE: 4,
  CERTIFICATE_ID: 5,
  SIGNED_DATA: 6,
  VERSION: 7,
  AUTH_TYPE: 8,
  PUBLIC_KEY: 9,
  KEY_SIZE: 10,
  PASSWORD: 11,
  RETRY_DELAY: 12,
  DEVICE_NAME: 13,
  SUDI_DATA: 16,
  KEY_TYPE: 17,
  CURVE: 18,
  DIGEST_TYPE: 19,
  SHA2_SIGNED_DATA: 20,
} as const;
export type CapfElementName = keyof typeof CapfElement;

/** REASON values: 0 no action, 1 update certificate (= OK), 7 invalid element (declined), 9 unknown device. */
export const CapfReason = { NO_ACTION: 0, UPDATE_CERTIFICATE: 1, INVALID_ELEMENT: 7, UNKNOWN_DEVICE: 9 } as const;
/** AUTH_TYPE values; 1-4 are also the cnf.xml `<capfAuthMode>` codes (anchors §2.6). */
export const CapfAuthType = { NONE: 0, PASSWORD: 1, NO_PASSWORD: 2, LSC: 3, MIC: 4 } as const;
export const CapfCertificateType = { LSC: 1, MIC: 2 } as const;
export const CapfKeyType = { RSA: 0, EC: 1 } as const;
export const CapfCurve = { SECP256R1: 0, SECP384R1: 1, SECP521R1: 2 } as const;
/** Hash codes of SHA2_SIGNED_DATA and of the SUDI_DATA parts. */
export const CapfHash = { SHA1: 1, SHA256: 2, SHA512: 3 } as const;

const COMMAND_NAMES = new Map<number, string>(Object.entries(CapfCommand).map(([k, v]) => [v, k]));
const ELEMENT_NAMES = new Map<number, string>(Object.entries(CapfElement).map(([k, v]) => [v, k]));
const REASON_NAMES = new Map<number, string>(Object.entries(CapfReason).map(([k, v]) => [v, k]));

export function commandName(code: number): string {
  return COMMAND_NAMES.get(code) ?? `command ${code}`;
}

export function elementName(tag: number): string {
  return ELEMENT_NAMES.get(tag) ?? `tag ${tag}`;
}

export function reasonName(code: number): string {
  return REASON_NAMES.get(code) ?? `reason ${code}`;
}

/** Malformed CAPF bytes (or values that cannot be encoded): what was wrong and where. */
export class CapfProtocolError extends Error {
  /** Byte offset in the message (decode) or in the stream (framer), when known. */
  readonly offset?: number;
  /** The element concerned, e.g. "DEVICE_NAME (13)". */
  readonly element?: string;
  /** The command concerned, e.g. "AUTH_RESPONSE". */
  readonly command?: string;
  constructor(message: string, where: { offset?: number; element?: string; command?: string } = {}) {
    super(message);
    this.name = 'CapfProtocolError';
    if (where.offset !== undefined) this.offset = where.offset;
    if (where.element !== undefined) this.element = where.element;
    if (where.command !== undefined) this.command = where.command;
  }
}

/** CERTIFICATE (4): nested `01 ‖ len(2) = DER + 2 ‖ 00 ‖ type ‖ DER` (anchors §2.4; "{01}[03D5] 00 01" + DER). */
export interface CapfCertificateValue {
  /** 1 LSC, 2 MIC. */
  type: number;
  der: Buffer;
}

/** SHA2_SIGNED_DATA (20): `hash(1) ‖ len(2) ‖ signature`; hash 3 = SHA-512. */
export interface CapfSha2SignedData {
  hash: number;
  signature: Buffer;
}

/** SUDI_DATA (16): `00 ‖ len ‖ SUDI certificate DER ‖ 01 ‖ len ‖ SHA-1 signature ‖ 03 ‖ len ‖ SHA-512 signature`. */
export interface CapfSudiData {
  certificate: Buffer;
  /** Signature parts keyed by hash code (1 SHA-1, 2 SHA-256, 3 SHA-512), in wire order. */
  signatures: { hash: number; signature: Buffer }[];
}

/** The typed elements of a message. Encoding writes them in the order the properties were set. */
export interface CapfFields {
  reason?: number;
  reasonInfo?: string;
  certificateType?: number;
  certificate?: CapfCertificateValue;
  certificateId?: Buffer;
  signedData?: Buffer;
  version?: number;
  authType?: number;
  /** SubjectPublicKeyInfo DER of the key the phone generated. */
  publicKey?: Buffer;
  /** Key size in bits (u16). */
  keySize?: number;
  /** NUL-terminated authentication string ("" for none). */
  password?: string;
  /** Seconds (trustline writes 4 bytes; 1, 2 or 4 are read). */
  retryDelay?: number;
  deviceName?: string;
  sudiData?: CapfSudiData;
  keyType?: number;
  curve?: number;
  digestType?: number;
  sha2SignedData?: CapfSha2SignedData;
}

type FieldName = keyof CapfFields;

const FIELD_TAG: Readonly<Record<FieldName, number>> = {
  reason: CapfElement.REASON,
  reasonInfo: CapfElement.REASON_INFO,
  certificateType: CapfElement.CERTIFICATE_TYPE,
  certificate: CapfElement.CERTIFICATE,
  certificateId: CapfElement.CERTIFICATE_ID,
  signedData: CapfElement.SIGNED_DATA,
  version: CapfElement.VERSION,
  authType: CapfElement.AUTH_TYPE,
  publicKey: CapfElement.PUBLIC_KEY,
  keySize: CapfElement.KEY_SIZE,
  password: CapfElement.PASSWORD,
  retryDelay: CapfElement.RETRY_DELAY,
  deviceName: CapfElement.DEVICE_NAME,
  sudiData: CapfElement.SUDI_DATA,
  keyType: CapfElement.KEY_TYPE,
  curve: CapfElement.CURVE,
  digestType: CapfElement.DIGEST_TYPE,
  sha2SignedData: CapfElement.SHA2_SIGNED_DATA,
};
const FIELD_BY_TAG = new Map<number, FieldName>(Object.entries(FIELD_TAG).map(([k, v]) => [v, k as FieldName]));

export interface CapfMessage {
  command: number;
  sessionId: number;
  fields: CapfFields;
  /** Element tags in wire order. */
  tags: number[];
}

function label(tag: number): string {
  return `${elementName(tag)} (${tag})`;
}

// ---- encoding -----------------------------------------------------------------------------------------------------

function u8(value: number, what: string): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new CapfProtocolError(`${what}: ${value} does not fit one byte`, { element: what });
  return Buffer.from([value]);
}

function u16(value: number, what: string): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new CapfProtocolError(`${what}: ${value} does not fit two bytes`, { element: what });
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

function cString(value: string, what: string): Buffer {
  if (value.includes('\0')) throw new CapfProtocolError(`${what}: the string contains a NUL character`, { element: what });
  return Buffer.concat([Buffer.from(value, 'utf8'), Buffer.from([0])]);
}

function subElement(tag: number, value: Uint8Array, what: string): Buffer {
  return Buffer.concat([u8(tag, what), u16(value.length, `${what} part length`), Buffer.from(value)]);
}

/** The value bytes of one element. */
export function encodeElementValue(field: FieldName, value: NonNullable<CapfFields[FieldName]>): Buffer {
  const what = label(FIELD_TAG[field]);
  switch (field) {
    case 'reason':
    case 'certificateType':
    case 'version':
    case 'authType':
    case 'keyType':
    case 'curve':
    case 'digestType':
      return u8(value as number, what);
    case 'keySize':
      return u16(value as number, what);
    case 'retryDelay': {
      const v = value as number;
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new CapfProtocolError(`${what}: ${v} does not fit four bytes`, { element: what });
      const b = Buffer.alloc(4);
      b.writeUInt32BE(v);
      return b;
    }
    case 'password':
    case 'deviceName':
    case 'reasonInfo':
      return cString(value as string, what);
    case 'certificate': {
      const c = value as CapfCertificateValue;
      if (c.der.length === 0) throw new CapfProtocolError(`${what}: empty certificate`, { element: what });
      return Buffer.concat([Buffer.from([0x01]), u16(c.der.length + 2, what), Buffer.from([0x00]), u8(c.type, `${what} type`), c.der]);
    }
    case 'sha2SignedData': {
      const s = value as CapfSha2SignedData;
      return Buffer.concat([u8(s.hash, `${what} hash`), u16(s.signature.length, what), s.signature]);
    }
    case 'sudiData': {
      const s = value as CapfSudiData;
      return Buffer.concat([subElement(0, s.certificate, `${what} certificate`), ...s.signatures.map((p) => subElement(p.hash, p.signature, `${what} signature`))]);
    }
    case 'certificateId':
    case 'signedData':
    case 'publicKey':
      return Buffer.from(value as Uint8Array);
  }
}

/** One message, header and elements, as one buffer (to be sent in one write: anchors §2.2). */
export function encodeMessage(command: number, sessionId: number, fields: CapfFields = {}): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields) as [FieldName, CapfFields[FieldName]][]) {
    if (value === undefined) continue;
    const tag = FIELD_TAG[name];
    if (tag === undefined) throw new CapfProtocolError(`unknown CAPF field "${String(name)}"`);
    const v = encodeElementValue(name, value as NonNullable<CapfFields[FieldName]>);
    parts.push(Buffer.from([tag]), u16(v.length, `${label(tag)} length`), v);
  }
  const body = Buffer.concat(parts);
  if (body.length > CAPF_MAX_BODY_LENGTH) throw new CapfProtocolError(`${commandName(command)}: ${body.length} element bytes exceed the 16-bit length field`, { command: commandName(command) });
  const header = Buffer.alloc(CAPF_HEADER_LENGTH);
  header[0] = CAPF_PROTOCOL_ID;
  header[1] = u8(command, 'command')[0]!;
  if (!Number.isInteger(sessionId) || sessionId < 0 || sessionId > 0xffffffff) throw new CapfProtocolError(`session id ${sessionId} does not fit four bytes`);
  header.writeUInt32BE(sessionId, 2);
  header.writeUInt16BE(body.length, 6);
  return Buffer.concat([header, body]);
}

// ---- decoding -----------------------------------------------------------------------------------------------------

export interface DecodeOptions {
  /** Unknown element tags: an error (default) or skipped. */
  unknownElements?: 'error' | 'skip';
}

interface Ctx {
  command: string;
  element: string;
  /** Offset of the value in the message. */
  offset: number;
}

function fail(ctx: Ctx, message: string, at = ctx.offset): never {
  throw new CapfProtocolError(`CAPF ${ctx.command}: element ${ctx.element} at offset ${at}: ${message}`, { offset: at, element: ctx.element, command: ctx.command });
}

function exactLength(v: Buffer, n: number, ctx: Ctx): void {
  if (v.length !== n) fail(ctx, `length ${v.length}, expected ${n}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeCString(v: Buffer, ctx: Ctx): string {
  // A zero-length value reads as the empty string (some clients send an empty PASSWORD that way).
  if (v.length === 0) return '';
  if (v[v.length - 1] !== 0) fail(ctx, 'the string is not NUL-terminated', ctx.offset + v.length - 1);
  const body = v.subarray(0, -1);
  const nul = body.indexOf(0);
  if (nul >= 0) fail(ctx, 'NUL character inside the string', ctx.offset + nul);
  try {
    return utf8.decode(body);
  } catch {
    return fail(ctx, 'the string is not valid UTF-8');
  }
}

function decodeCertificate(v: Buffer, ctx: Ctx): CapfCertificateValue {
  if (v.length < 6) fail(ctx, `${v.length} bytes cannot hold "01 ‖ length ‖ 00 ‖ type ‖ certificate"`);
  if (v[0] !== 0x01) fail(ctx, `nested certificate starts with 0x${v[0]!.toString(16).padStart(2, '0')}, expected 0x01`);
  const inner = v.readUInt16BE(1);
  if (inner !== v.length - 3) fail(ctx, `nested length ${inner} does not match the ${v.length - 3} bytes that follow it`, ctx.offset + 1);
  if (v[3] !== 0x00) fail(ctx, `byte 0x${v[3]!.toString(16).padStart(2, '0')} where 0x00 was expected before the certificate type`, ctx.offset + 3);
  const type = v[4]!;
  if (type !== CapfCertificateType.LSC && type !== CapfCertificateType.MIC) fail(ctx, `certificate type ${type} (expected 1 LSC or 2 MIC)`, ctx.offset + 4);
  return { type, der: Buffer.from(v.subarray(5)) };
}

function decodeSha2(v: Buffer, ctx: Ctx): CapfSha2SignedData {
  if (v.length < 3) fail(ctx, `${v.length} bytes cannot hold "hash ‖ length ‖ signature"`);
  const n = v.readUInt16BE(1);
  if (n !== v.length - 3) fail(ctx, `signature length ${n} does not match the ${v.length - 3} bytes that follow it`, ctx.offset + 1);
  if (n === 0) fail(ctx, 'empty signature');
  return { hash: v[0]!, signature: Buffer.from(v.subarray(3)) };
}

function decodeSudi(v: Buffer, ctx: Ctx): CapfSudiData {
  const parts: { tag: number; value: Buffer; at: number }[] = [];
  let i = 0;
  while (i < v.length) {
    if (v.length - i < 3) fail(ctx, `truncated part header (${v.length - i} bytes left)`, ctx.offset + i);
    const tag = v[i]!;
    const n = v.readUInt16BE(i + 1);
    if (i + 3 + n > v.length) fail(ctx, `part ${tag} claims ${n} bytes, only ${v.length - i - 3} left`, ctx.offset + i + 1);
    parts.push({ tag, value: Buffer.from(v.subarray(i + 3, i + 3 + n)), at: ctx.offset + i });
    i += 3 + n;
  }
  const [first, ...rest] = parts;
  if (!first || first.tag !== 0) fail(ctx, 'the first part must be the SUDI certificate (part 0)');
  if (first.value.length === 0) fail(ctx, 'empty SUDI certificate');
  const seen = new Set<number>();
  for (const p of rest) {
    if (p.tag !== CapfHash.SHA1 && p.tag !== CapfHash.SHA256 && p.tag !== CapfHash.SHA512) fail(ctx, `unknown part ${p.tag} (expected 1 SHA-1, 2 SHA-256 or 3 SHA-512 signature)`, p.at);
    if (seen.has(p.tag)) fail(ctx, `part ${p.tag} appears twice`, p.at);
    if (p.value.length === 0) fail(ctx, `part ${p.tag}: empty signature`, p.at);
    seen.add(p.tag);
  }
  return { certificate: first.value, signatures: rest.map((p) => ({ hash: p.tag, signature: p.value })) };
}

function decodeValue(field: FieldName, v: Buffer, ctx: Ctx): NonNullable<CapfFields[FieldName]> {
  switch (field) {
    case 'reason':
    case 'certificateType':
    case 'version':
    case 'authType':
    case 'keyType':
    case 'curve':
    case 'digestType':
      exactLength(v, 1, ctx);
      return v[0]!;
    case 'keySize':
      exactLength(v, 2, ctx);
      return v.readUInt16BE(0);
    case 'retryDelay':
      if (v.length === 1) return v[0]!;
      if (v.length === 2) return v.readUInt16BE(0);
      if (v.length === 4) return v.readUInt32BE(0);
      return fail(ctx, `length ${v.length}, expected 1, 2 or 4`);
    case 'password':
    case 'deviceName':
    case 'reasonInfo':
      return decodeCString(v, ctx);
    case 'certificate':
      return decodeCertificate(v, ctx);
    case 'sha2SignedData':
      return decodeSha2(v, ctx);
    case 'sudiData':
      return decodeSudi(v, ctx);
    case 'certificateId':
    case 'signedData':
    case 'publicKey':
      if (v.length === 0) fail(ctx, 'empty value');
      return Buffer.from(v);
  }
}

/** Reads the 8-byte header: protocol id, command, session id, element length. */
export function decodeHeader(bytes: Uint8Array): { command: number; sessionId: number; length: number } {
  if (bytes.length < CAPF_HEADER_LENGTH) throw new CapfProtocolError(`CAPF header: ${bytes.length} bytes, expected ${CAPF_HEADER_LENGTH}`, { offset: bytes.length });
  if (bytes[0] !== CAPF_PROTOCOL_ID) throw new CapfProtocolError(`CAPF header: protocol id 0x${bytes[0]!.toString(16).padStart(2, '0')} at offset 0, expected 0x55`, { offset: 0 });
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { command: b[1]!, sessionId: b.readUInt32BE(2), length: b.readUInt16BE(6) };
}

/** Decodes one whole message (header and elements; nothing more, nothing less). */
export function decodeMessage(bytes: Uint8Array, opts: DecodeOptions = {}): CapfMessage {
  const { command, sessionId, length } = decodeHeader(bytes);
  const cmd = commandName(command);
  if (command < 1 || command > 23) throw new CapfProtocolError(`CAPF header: unknown command ${command} at offset 1`, { offset: 1, command: cmd });
  if (bytes.length !== CAPF_HEADER_LENGTH + length) {
    throw new CapfProtocolError(`CAPF ${cmd}: header says ${length} element bytes, the message has ${bytes.length - CAPF_HEADER_LENGTH}`, { offset: 6, command: cmd });
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: CapfFields = {};
  const tags: number[] = [];
  let i = CAPF_HEADER_LENGTH;
  while (i < b.length) {
    if (b.length - i < 3) throw new CapfProtocolError(`CAPF ${cmd}: truncated element header at offset ${i} (${b.length - i} bytes left)`, { offset: i, command: cmd });
    const tag = b[i]!;
    const n = b.readUInt16BE(i + 1);
    const ctx: Ctx = { command: cmd, element: label(tag), offset: i + 3 };
    if (i + 3 + n > b.length) fail(ctx, `claims ${n} bytes, only ${b.length - i - 3} left in the message`, i + 1);
    const field = FIELD_BY_TAG.get(tag);
    if (field === undefined) {
      if (opts.unknownElements === 'skip') {
        i += 3 + n;
        continue;
      }
      fail(ctx, 'unknown element tag', i);
    }
    if (fields[field] !== undefined) fail(ctx, 'the element appears twice', i);
    (fields as Record<string, unknown>)[field] = decodeValue(field, b.subarray(i + 3, i + 3 + n), ctx);
    tags.push(tag);
    i += 3 + n;
  }
  return { command, sessionId, fields, tags };
}

/** A one-line description for logs and journals (no secrets: the password is masked). */
export function describeMessage(m: CapfMessage): string {
  const parts = m.tags.map((t) => {
    const f = FIELD_BY_TAG.get(t)!;
    const v = m.fields[f];
    if (f === 'password') return `PASSWORD=${(v as string).length ? '"***"' : '""'}`;
    if (typeof v === 'number') return `${elementName(t)}=${v}`;
    if (typeof v === 'string') return `${elementName(t)}="${v}"`;
    if (Buffer.isBuffer(v)) return `${elementName(t)}[${v.length}]`;
    if (f === 'certificate') return `CERTIFICATE[type ${(v as CapfCertificateValue).type}, ${(v as CapfCertificateValue).der.length} bytes]`;
    return elementName(t);
  });
  return `${commandName(m.command)} session ${m.sessionId}${parts.length ? ` {${parts.join(', ')}}` : ''}`;
}

// ---- stream framing -----------------------------------------------------------------------------------------------

export interface FramerOptions {
  /** Largest element length accepted (default and maximum 65535). A larger header is refused before buffering. */
  maxBodyLength?: number;
}

/**
 * Splits a byte stream into whole messages. Memory is bounded by one message; the first byte of every message must be
 * 0x55 and its length within the limit, checked as soon as the header bytes arrive.
 */
export class CapfFramer {
  private readonly maxBody: number;
  private buf: Buffer = Buffer.alloc(0);
  /** Stream offset of buf[0]. */
  private base = 0;

  constructor(opts: FramerOptions = {}) {
    this.maxBody = Math.min(opts.maxBodyLength ?? CAPF_MAX_BODY_LENGTH, CAPF_MAX_BODY_LENGTH);
  }

  /** Bytes held that do not yet form a whole message. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Adds bytes; returns the complete messages (raw, header included) they finish. */
  push(chunk: Uint8Array): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const out: Buffer[] = [];
    for (;;) {
      if (this.buf.length === 0) break;
      if (this.buf[0] !== CAPF_PROTOCOL_ID) {
        throw new CapfProtocolError(`CAPF stream: byte 0x${this.buf[0]!.toString(16).padStart(2, '0')} at stream offset ${this.base} where a message must start with 0x55`, { offset: this.base });
      }
      if (this.buf.length < CAPF_HEADER_LENGTH) break;
      const length = this.buf.readUInt16BE(6);
      if (length > this.maxBody) {
        throw new CapfProtocolError(`CAPF stream: message at stream offset ${this.base} announces ${length} element bytes, more than the ${this.maxBody} allowed`, { offset: this.base + 6 });
      }
      const total = CAPF_HEADER_LENGTH + length;
      if (this.buf.length < total) break;
      out.push(Buffer.from(this.buf.subarray(0, total)));
      this.buf = this.buf.subarray(total);
      this.base += total;
    }
    return out;
  }

  /** At end of stream: an error when a message was cut short. */
  end(): void {
    if (this.buf.length > 0) throw new CapfProtocolError(`CAPF stream: connection closed ${this.buf.length} bytes into a message at stream offset ${this.base}`, { offset: this.base + this.buf.length });
  }
}
