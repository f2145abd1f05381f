// TFTP wire codec: RFC 1350 (RRQ, WRQ, DATA, ACK, ERROR), RFC 2347 option extension (OACK) with the blksize
// (RFC 2348), timeout and tsize (RFC 2349) options, and netascii conversion. Pure functions, no sockets. Every
// malformed datagram gets a TftpPacketError naming the field and the byte offset.

export enum Opcode {
  RRQ = 1,
  WRQ = 2,
  DATA = 3,
  ACK = 4,
  ERROR = 5,
  OACK = 6,
}

/** RFC 1350 error codes, plus 8 from RFC 2347. */
export enum TftpErrorCode {
  NOT_DEFINED = 0,
  FILE_NOT_FOUND = 1,
  ACCESS_VIOLATION = 2,
  DISK_FULL = 3,
  ILLEGAL_OPERATION = 4,
  UNKNOWN_TID = 5,
  FILE_EXISTS = 6,
  NO_SUCH_USER = 7,
  OPTION_REFUSED = 8,
}

export type TftpMode = 'netascii' | 'octet' | 'mail';

/** RFC 2348 bounds on the blksize option, in octets. */
export const MIN_BLKSIZE = 8;
export const MAX_BLKSIZE = 65464;
export const DEFAULT_BLKSIZE = 512;
/** RFC 2349 timeout bounds, seconds. */
export const MIN_TIMEOUT = 1;
export const MAX_TIMEOUT = 255;
/** Largest datagram the codec reads: a DATA packet of the largest block. */
export const MAX_PACKET = MAX_BLKSIZE + 4;

/** Options in the order the peer sent them; names are lower-cased (RFC 2347: case-insensitive). */
export type TftpOptions = ReadonlyArray<readonly [name: string, value: string]>;

export type TftpPacket =
  | { op: 'RRQ' | 'WRQ'; filename: string; mode: TftpMode; options: TftpOptions }
  | { op: 'DATA'; block: number; data: Buffer }
  | { op: 'ACK'; block: number }
  | { op: 'ERROR'; code: number; message: string }
  | { op: 'OACK'; options: TftpOptions };

export class TftpPacketError extends Error {
  constructor(
    readonly field: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`TFTP ${field} at offset ${offset}: ${detail}`);
    this.name = 'TftpPacketError';
  }
}

const OPCODE_NAMES: Record<number, TftpPacket['op']> = { 1: 'RRQ', 2: 'WRQ', 3: 'DATA', 4: 'ACK', 5: 'ERROR', 6: 'OACK' };
const MODES: readonly TftpMode[] = ['netascii', 'octet', 'mail'];

/** Reads a NUL-terminated netascii string starting at `at`; returns it and the offset after the NUL. */
function readString(buf: Buffer, at: number, field: string, allowEmpty: boolean): [string, number] {
  const nul = buf.indexOf(0, at);
  if (nul < 0) throw new TftpPacketError(field, at, buf.length > at ? 'not terminated by a NUL byte' : 'missing');
  if (nul === at && !allowEmpty) throw new TftpPacketError(field, at, 'empty');
  for (let i = at; i < nul; i++) {
    const c = buf[i]!;
    if (c < 0x20 || c === 0x7f) throw new TftpPacketError(field, i, `control character 0x${c.toString(16).padStart(2, '0')}`);
  }
  return [buf.toString('latin1', at, nul), nul + 1];
}

function readOptions(buf: Buffer, at: number): TftpOptions {
  const out: [string, string][] = [];
  const seen = new Set<string>();
  let i = at;
  while (i < buf.length) {
    const nameAt = i;
    const [rawName, afterName] = readString(buf, i, 'option name', false);
    const name = rawName.toLowerCase();
    if (seen.has(name)) throw new TftpPacketError('option name', nameAt, `option "${name}" appears twice`);
    if (afterName >= buf.length) throw new TftpPacketError(`option "${name}" value`, afterName, 'missing');
    const [value, afterValue] = readString(buf, afterName, `option "${name}" value`, false);
    seen.add(name);
    out.push([name, value]);
    i = afterValue;
  }
  return out;
}

function u16(buf: Buffer, at: number, field: string): number {
  if (buf.length < at + 2) throw new TftpPacketError(field, at, `truncated: ${buf.length - at} of 2 bytes`);
  return buf.readUInt16BE(at);
}

/** Decodes one datagram. Throws TftpPacketError on anything RFC 1350/2347 does not allow. */
export function decodeTftpPacket(datagram: Uint8Array): TftpPacket {
  const buf = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  if (buf.length > MAX_PACKET) throw new TftpPacketError('packet', 0, `${buf.length} bytes, larger than any TFTP packet (${MAX_PACKET})`);
  const code = u16(buf, 0, 'opcode');
  const op = OPCODE_NAMES[code];
  if (!op) throw new TftpPacketError('opcode', 0, `unknown opcode ${code}`);
  switch (op) {
    case 'RRQ':
    case 'WRQ': {
      const [filename, afterName] = readString(buf, 2, 'filename', false);
      const modeAt = afterName;
      const [rawMode, afterMode] = readString(buf, afterName, 'mode', false);
      const mode = rawMode.toLowerCase() as TftpMode;
      if (!MODES.includes(mode)) throw new TftpPacketError('mode', modeAt, `unknown transfer mode "${rawMode}"`);
      return { op, filename, mode, options: readOptions(buf, afterMode) };
    }
    case 'DATA': {
      const block = u16(buf, 2, 'block number');
      if (buf.length - 4 > MAX_BLKSIZE) throw new TftpPacketError('data', 4, `${buf.length - 4} bytes, more than the largest block (${MAX_BLKSIZE})`);
      return { op, block, data: buf.subarray(4) };
    }
    case 'ACK': {
      const block = u16(buf, 2, 'block number');
      if (buf.length !== 4) throw new TftpPacketError('ACK', 4, `${buf.length - 4} trailing bytes`);
      return { op, block };
    }
    case 'ERROR': {
      const errorCode = u16(buf, 2, 'error code');
      const [message, end] = readString(buf, 4, 'error message', true);
      if (end !== buf.length) throw new TftpPacketError('error message', end, `${buf.length - end} bytes after the terminating NUL`);
      return { op, code: errorCode, message };
    }
    case 'OACK': {
      const options = readOptions(buf, 2);
      if (options.length === 0) throw new TftpPacketError('option name', 2, 'an OACK acknowledges at least one option');
      return { op, options };
    }
  }
}

function encodeString(s: string, field: string): Buffer {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c > 0xff) throw new TftpPacketError(field, i, `cannot encode character U+${c.toString(16).padStart(4, '0')}`);
  }
  return Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);
}

function encodeOptions(options: TftpOptions): Buffer[] {
  return options.flatMap(([n, v]) => {
    if (!n) throw new TftpPacketError('option name', 0, 'empty');
    if (!v) throw new TftpPacketError(`option "${n}" value`, 0, 'empty');
    return [encodeString(n, 'option name'), encodeString(v, `option "${n}" value`)];
  });
}

function header(code: Opcode, second?: number): Buffer {
  const b = Buffer.alloc(second === undefined ? 2 : 4);
  b.writeUInt16BE(code, 0);
  if (second !== undefined) b.writeUInt16BE(second, 2);
  return b;
}

function checkBlock(block: number): number {
  if (!Number.isInteger(block) || block < 0 || block > 0xffff) throw new TftpPacketError('block number', 2, `${block} is not 0..65535`);
  return block;
}

export function encodeTftpPacket(p: TftpPacket): Buffer {
  switch (p.op) {
    case 'RRQ':
    case 'WRQ':
      if (!p.filename) throw new TftpPacketError('filename', 2, 'empty');
      return Buffer.concat([header(p.op === 'RRQ' ? Opcode.RRQ : Opcode.WRQ), encodeString(p.filename, 'filename'), encodeString(p.mode, 'mode'), ...encodeOptions(p.options)]);
    case 'DATA':
      if (p.data.length > MAX_BLKSIZE) throw new TftpPacketError('data', 4, `${p.data.length} bytes, more than the largest block (${MAX_BLKSIZE})`);
      return Buffer.concat([header(Opcode.DATA, checkBlock(p.block)), p.data]);
    case 'ACK':
      return header(Opcode.ACK, checkBlock(p.block));
    case 'ERROR':
      if (!Number.isInteger(p.code) || p.code < 0 || p.code > 0xffff) throw new TftpPacketError('error code', 2, `${p.code} is not 0..65535`);
      // Error text is for people: replace what netascii cannot carry rather than fail on it.
      return Buffer.concat([header(Opcode.ERROR, p.code), encodeString(p.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 400), 'error message')]);
    case 'OACK':
      if (p.options.length === 0) throw new TftpPacketError('option name', 2, 'an OACK acknowledges at least one option');
      return Buffer.concat([header(Opcode.OACK), ...encodeOptions(p.options)]);
  }
}

/** Strict decimal for option values: digits only, no sign, no leading zeros beyond "0", bounded length. */
export function parseOptionInteger(value: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

export interface RequestedOptions {
  blksize?: number;
  timeout?: number;
  tsize?: number;
  /** Options we do not know (windowsize, multicast, …): RFC 2347 says to ignore them. */
  ignored: string[];
}

/**
 * Reads the options a server can act on, validating their values. An invalid value of a known option is an
 * OPTION_REFUSED (8) error for the caller to send, named in the TftpPacketError.
 */
export function readRequestOptions(options: TftpOptions): RequestedOptions {
  const out: RequestedOptions = { ignored: [] };
  for (const [name, value] of options) {
    const n = parseOptionInteger(value);
    switch (name) {
      case 'blksize':
        if (n === undefined || n < MIN_BLKSIZE) throw new TftpPacketError('option "blksize" value', 0, `"${value}" is not a block size of at least ${MIN_BLKSIZE}`);
        out.blksize = Math.min(n, MAX_BLKSIZE);
        break;
      case 'timeout':
        if (n === undefined || n < MIN_TIMEOUT || n > MAX_TIMEOUT) throw new TftpPacketError('option "timeout" value', 0, `"${value}" is not ${MIN_TIMEOUT}..${MAX_TIMEOUT} seconds`);
        out.timeout = n;
        break;
      case 'tsize':
        if (n === undefined) throw new TftpPacketError('option "tsize" value', 0, `"${value}" is not a size`);
        out.tsize = n;
        break;
      default:
        out.ignored.push(name);
    }
  }
  return out;
}

/** netascii (RFC 764 as RFC 1350 uses it): LF becomes CR LF, a bare CR becomes CR NUL. */
export function toNetascii(data: Uint8Array): Buffer {
  let extra = 0;
  for (const c of data) if (c === 0x0a || c === 0x0d) extra++;
  const out = Buffer.alloc(data.length + extra);
  let j = 0;
  for (const c of data) {
    if (c === 0x0a) {
      out[j++] = 0x0d;
      out[j++] = 0x0a;
    } else if (c === 0x0d) {
      out[j++] = 0x0d;
      out[j++] = 0x00;
    } else out[j++] = c;
  }
  return out;
}

/** The reverse of toNetascii (for clients and tests); a CR followed by anything else is kept as is. */
export function fromNetascii(data: Uint8Array): Buffer {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c === 0x0d && data[i + 1] === 0x0a) {
      out.push(0x0a);
      i++;
    } else if (c === 0x0d && data[i + 1] === 0x00) {
      out.push(0x0d);
      i++;
    } else out.push(c);
  }
  return Buffer.from(out);
}

/** One-line description for logs. */
export function describeTftpPacket(p: TftpPacket): string {
  switch (p.op) {
    case 'RRQ':
    case 'WRQ':
      return `${p.op} "${p.filename}" ${p.mode}${p.options.length ? ' ' + p.options.map(([n, v]) => `${n}=${v}`).join(' ') : ''}`;
    case 'DATA':
      return `DATA #${p.block} (${p.data.length} bytes)`;
    case 'ACK':
      return `ACK #${p.block}`;
    case 'ERROR':
      return `ERROR ${p.code} "${p.message}"`;
    case 'OACK':
      return `OACK ${p.options.map(([n, v]) => `${n}=${v}`).join(' ')}`;
  }
}
