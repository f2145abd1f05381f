// The TFTP codec: RFC 1350/2347/2348/2349 packets round-trip byte for byte, every malformed datagram is a
// TftpPacketError naming the field and offset, and fuzzed input never throws anything else.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  decodeTftpPacket,
  encodeTftpPacket,
  fromNetascii,
  MAX_BLKSIZE,
  readRequestOptions,
  TftpPacketError,
  toNetascii,
  type TftpPacket,
} from '../../engine/tftp/index.js';

const b = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

function expectError(bytes: Buffer, field: string | RegExp, offset?: number): TftpPacketError {
  let err: unknown;
  try {
    decodeTftpPacket(bytes);
  } catch (e) {
    err = e;
  }
  expect(err, `expected a TftpPacketError for ${bytes.toString('hex')}`).to.be.instanceOf(TftpPacketError);
  const e = err as TftpPacketError;
  if (typeof field === 'string') expect(e.field).to.equal(field);
  else expect(e.field).to.match(field);
  if (offset !== undefined) expect(e.offset).to.equal(offset);
  expect(e.message).to.match(/^TFTP .+ at offset \d+: .+/);
  return e;
}

describe('tftp: packet codec', () => {
  it('encodes an RRQ with options exactly as RFC 2347 lays it out', () => {
    const p: TftpPacket = { op: 'RRQ', filename: 'ITLFile.tlv', mode: 'octet', options: [['blksize', '1428'], ['tsize', '0']] };
    const bytes = encodeTftpPacket(p);
    expect(bytes.equals(b([0, 1], 'ITLFile.tlv', [0], 'octet', [0], 'blksize', [0], '1428', [0], 'tsize', [0], '0', [0]))).to.equal(true);
    expect(decodeTftpPacket(bytes)).to.deep.equal(p);
  });

  it('round-trips every packet type', () => {
    const cases: TftpPacket[] = [
      { op: 'RRQ', filename: 'SEP001122334455.cnf.xml.sgn', mode: 'netascii', options: [] },
      { op: 'WRQ', filename: 'x', mode: 'octet', options: [['timeout', '3']] },
      { op: 'DATA', block: 65535, data: Buffer.from('hello') },
      { op: 'DATA', block: 0, data: Buffer.alloc(0) },
      { op: 'ACK', block: 0 },
      { op: 'ACK', block: 65535 },
      { op: 'ERROR', code: 1, message: 'File not found' },
      { op: 'ERROR', code: 0, message: '' },
      { op: 'OACK', options: [['blksize', '8'], ['tsize', '123456']] },
    ];
    for (const c of cases) {
      const d = decodeTftpPacket(encodeTftpPacket(c));
      if (c.op === 'DATA' && d.op === 'DATA') {
        expect(d.block).to.equal(c.block);
        expect(Buffer.compare(d.data, c.data)).to.equal(0);
      } else expect(d).to.deep.equal(c);
    }
  });

  it('reads mode and option names without regard to case, and keeps option order', () => {
    const p = decodeTftpPacket(b([0, 1], 'f', [0], 'OcTeT', [0], 'TSIZE', [0], '0', [0], 'BlkSize', [0], '512', [0]));
    expect(p).to.deep.equal({ op: 'RRQ', filename: 'f', mode: 'octet', options: [['tsize', '0'], ['blksize', '512']] });
  });

  it('refuses every malformed datagram with the field and offset', () => {
    expectError(Buffer.alloc(0), 'opcode', 0);
    expectError(b([0]), 'opcode', 0);
    expectError(b([0, 0]), 'opcode', 0);
    expectError(b([0, 7]), 'opcode', 0);
    expectError(b([0xff, 0xff]), 'opcode', 0);
    expectError(b([0, 1]), 'filename', 2);
    expectError(b([0, 1], [0], 'octet', [0]), 'filename', 2);
    expectError(b([0, 1], 'file'), 'filename', 2);
    expectError(b([0, 1], 'file', [0]), 'mode', 7);
    expectError(b([0, 1], 'file', [0], 'octet'), 'mode', 7);
    expectError(b([0, 1], 'file', [0], 'binary', [0]), 'mode', 7);
    expectError(b([0, 1], 'fi\nle', [0], 'octet', [0]), 'filename', 4);
    expectError(b([0, 1], 'f', [0], 'octet', [0], 'blksize', [0]), 'option "blksize" value', 18);
    expectError(b([0, 1], 'f', [0], 'octet', [0], 'blksize', [0], '512'), 'option "blksize" value', 18);
    expectError(b([0, 1], 'f', [0], 'octet', [0], 'blksize', [0], [0]), 'option "blksize" value', 18);
    expectError(b([0, 1], 'f', [0], 'octet', [0], [0], '1', [0]), 'option name', 10);
    expectError(b([0, 1], 'f', [0], 'octet', [0], 'tsize', [0], '0', [0], 'TSize', [0], '0', [0]), 'option name', 18);
    expectError(b([0, 3], [0]), 'block number', 2);
    expectError(Buffer.concat([b([0, 3, 0, 1]), Buffer.alloc(MAX_BLKSIZE + 1)]), 'packet', 0);
    expectError(b([0, 4], [0]), 'block number', 2);
    expectError(b([0, 4, 0, 1, 0]), 'ACK', 4);
    expectError(b([0, 5, 0]), 'error code', 2);
    expectError(b([0, 5, 0, 1]), 'error message', 4);
    expectError(b([0, 5, 0, 1], 'oops'), 'error message', 4);
    expectError(b([0, 5, 0, 1], 'oops', [0], 'x'), 'error message', 9);
    expectError(b([0, 6]), 'option name', 2);
    expectError(b([0, 6], 'blksize', [0]), 'option "blksize" value', 10);
  });

  it('validates the values of the options a server acts on (RFC 2348/2349)', () => {
    expect(readRequestOptions([['blksize', '1428'], ['tsize', '0'], ['timeout', '3'], ['windowsize', '4']])).to.deep.equal({ blksize: 1428, tsize: 0, timeout: 3, ignored: ['windowsize'] });
    expect(readRequestOptions([['blksize', '99999']]).blksize, 'clamped to the maximum').to.equal(MAX_BLKSIZE);
    for (const [n, v] of [
      ['blksize', '7'],
      ['blksize', '0'],
      ['blksize', '-1'],
      ['blksize', '01428'],
      ['blksize', '1e3'],
      ['blksize', ' 512'],
      ['timeout', '0'],
      ['timeout', '256'],
      ['tsize', 'x'],
      ['tsize', '99999999999999999999'],
    ] as const) {
      expect(() => readRequestOptions([[n, v]]), `${n}=${v}`).to.throw(TftpPacketError, new RegExp(`option "${n}" value`));
    }
  });

  it('refuses to encode what the wire cannot carry', () => {
    expect(() => encodeTftpPacket({ op: 'RRQ', filename: '', mode: 'octet', options: [] })).to.throw(TftpPacketError, /filename/);
    expect(() => encodeTftpPacket({ op: 'RRQ', filename: 'a\0b', mode: 'octet', options: [] })).to.throw(TftpPacketError, /filename/);
    expect(() => encodeTftpPacket({ op: 'ACK', block: 65536 })).to.throw(TftpPacketError, /block number/);
    expect(() => encodeTftpPacket({ op: 'DATA', block: 1, data: Buffer.alloc(MAX_BLKSIZE + 1) })).to.throw(TftpPacketError, /data/);
    expect(() => encodeTftpPacket({ op: 'OACK', options: [] })).to.throw(TftpPacketError, /OACK/);
    // Error text is for people: characters netascii cannot carry are replaced, not refused.
    expect(decodeTftpPacket(encodeTftpPacket({ op: 'ERROR', code: 1, message: 'bad\nname é' }))).to.deep.equal({ op: 'ERROR', code: 1, message: 'bad?name ?' });
  });

  it('converts netascii both ways (LF -> CR LF, CR -> CR NUL)', () => {
    const raw = Buffer.from('a\nb\rc\r\nd');
    const net = toNetascii(raw);
    expect(net.equals(Buffer.from('a\r\nb\r\0c\r\0\r\nd', 'latin1'))).to.equal(true);
    expect(fromNetascii(net).equals(raw)).to.equal(true);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (u) => fromNetascii(toNetascii(u)).equals(Buffer.from(u))));
  });

  it('fuzz: random datagrams decode or raise TftpPacketError, never anything else', () => {
    const opcodeFirst = fc.tuple(fc.integer({ min: 0, max: 8 }), fc.uint8Array({ maxLength: 120 })).map(([op, rest]) => Buffer.concat([Buffer.from([0, op]), Buffer.from(rest)]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), opcodeFirst), (bytes) => {
        try {
          const p = decodeTftpPacket(bytes);
          // What decodes re-encodes to the same bytes (the codec is canonical up to name case).
          if (p.op === 'DATA' || p.op === 'ACK') expect(encodeTftpPacket(p).equals(Buffer.from(bytes))).to.equal(true);
        } catch (e) {
          if (!(e instanceof TftpPacketError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('fuzz: well-formed requests round-trip', () => {
    const str = fc.string({ minLength: 1, maxLength: 30, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
    fc.assert(
      fc.property(str, fc.constantFrom('octet', 'netascii'), fc.uniqueArray(fc.tuple(str.map((s) => s.toLowerCase()), str), { selector: ([n]) => n, maxLength: 5 }), (filename, mode, options) => {
        const p: TftpPacket = { op: 'RRQ', filename, mode: mode as 'octet', options };
        expect(decodeTftpPacket(encodeTftpPacket(p))).to.deep.equal(p);
      }),
      { numRuns: 500 },
    );
  });
});
