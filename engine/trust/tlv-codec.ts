// The Cisco TLV grammar: 1-byte tag, 2-byte big-endian length, value; bounds-checked reads and plain writes.
// Every read error is a TlvError naming the file offset and the element, so hostile input never crashes or hangs.

export class TlvError extends Error {
  readonly offset: number;
  readonly element: string;

  constructor(element: string, offset: number, detail: string) {
    super(`${element} at offset ${offset}: ${detail}`);
    this.name = 'TlvError';
    this.element = element;
    this.offset = offset;
  }
}

/** Raised by builders for inputs they refuse (too many SAST records, a non-RSA signer, an oversize value). */
export class TrustInputError extends Error {
  readonly field: string;

  constructor(field: string, detail: string) {
    super(`${field}: ${detail}`);
    this.name = 'TrustInputError';
    this.field = field;
  }
}

export interface RawElement {
  tag: number;
  /** Offset of the tag byte. */
  offset: number;
  valueOffset: number;
  length: number;
  /** Offset just past the value. */
  end: number;
}

/**
 * Reads the element starting at `offset`; it must end at or before `limit`.
 * `nameOf` names the tag for errors; `scope` says what `limit` is the end of ("the header", "record 2", ...).
 */
export function readElement(buf: Uint8Array, offset: number, limit: number, nameOf: (tag: number) => string, scope: string): RawElement {
  if (offset >= limit) throw new TlvError(scope, offset, `expected an element but ${scope} ends at offset ${limit}`);
  const tag = buf[offset]!;
  if (offset + 3 > limit) {
    throw new TlvError(nameOf(tag), offset, `truncated: the tag and length need 3 bytes but ${scope} has ${limit - offset} left`);
  }
  const length = (buf[offset + 1]! << 8) | buf[offset + 2]!;
  const valueOffset = offset + 3;
  const end = valueOffset + length;
  if (end > limit) {
    throw new TlvError(nameOf(tag), offset, `length ${length} runs past the end of ${scope} (${limit - valueOffset} bytes left)`);
  }
  return { tag, offset, valueOffset, length, end };
}

export function elementValue(buf: Uint8Array, el: RawElement): Buffer {
  return Buffer.from(buf.subarray(el.valueOffset, el.end));
}

export function expectLength(el: RawElement, name: string, lengths: readonly number[]): void {
  if (!lengths.includes(el.length)) {
    throw new TlvError(name, el.offset, `length ${el.length}, expected ${lengths.join(' or ')}`);
  }
}

export function readU8(buf: Uint8Array, el: RawElement, name: string): number {
  expectLength(el, name, [1]);
  return buf[el.valueOffset]!;
}

export function readU16(buf: Uint8Array, el: RawElement, name: string): number {
  expectLength(el, name, [2]);
  return (buf[el.valueOffset]! << 8) | buf[el.valueOffset + 1]!;
}

export function readU32(buf: Uint8Array, el: RawElement, name: string): number {
  expectLength(el, name, [4]);
  return buf.subarray(el.valueOffset, el.end).reduce((acc, b) => acc * 256 + b, 0);
}

/** A NUL-terminated string; the terminator is optional on input (reported through `warn`). */
export function readString(buf: Uint8Array, el: RawElement, name: string, warn?: (msg: string) => void): string {
  const value = buf.subarray(el.valueOffset, el.end);
  const nul = value.indexOf(0);
  if (nul < 0) {
    warn?.(`${name} at offset ${el.offset}: string is not NUL-terminated`);
    return Buffer.from(value).toString('utf8');
  }
  if (nul !== value.length - 1) warn?.(`${name} at offset ${el.offset}: ${value.length - 1 - nul} bytes after the NUL terminator`);
  return Buffer.from(value.subarray(0, nul)).toString('utf8');
}

// ---- writing ----

export function encodeElement(tag: number, value: Uint8Array, name: string): Buffer {
  if (value.length > 0xffff) throw new TrustInputError(name, `value of ${value.length} bytes does not fit a 16-bit length`);
  const out = Buffer.alloc(3 + value.length);
  out[0] = tag;
  out.writeUInt16BE(value.length, 1);
  out.set(value, 3);
  return out;
}

export function encodeU8(tag: number, v: number, name: string): Buffer {
  return encodeElement(tag, Buffer.from([v & 0xff]), name);
}

export function encodeU16(tag: number, v: number, name: string): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return encodeElement(tag, b, name);
}

export function encodeU32(tag: number, v: number, name: string): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return encodeElement(tag, b, name);
}

export function encodeString(tag: number, s: string, name: string): Buffer {
  return encodeElement(tag, Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]), name);
}

/** A container element: its length is the total length of the nested elements. */
export function encodeContainer(tag: number, children: Uint8Array[], name: string): Buffer {
  return encodeElement(tag, Buffer.concat(children), name);
}
