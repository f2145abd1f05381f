// TVS wire codec: byte-exact requests and responses assembled by hand from the documented layout (research anchors 2.7:
// header 0x57 ‖ version 1 ‖ command ‖ 0 ‖ session id BE ‖ length BE; elements tag ‖ length BE ‖ value), errors that
// name what and where, the stream framer, and property tests on hostile bytes.
import { expect } from 'chai';
import fc from 'fast-check';
import { Role } from '../../engine/trust/tags.js';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  TvsFramer,
  TvsProtocolError,
  TVS_HEADER_LENGTH,
  type TvsErrorCode,
} from '../../engine/tvs/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string) => Buffer.from(s, 'ascii');
const DEVICE = 'CP-7841-SEP001122334455';
/** The smallest DER SEQUENCE: SEQUENCE { INTEGER 5 } (the codec checks the outer DER only). */
const TINY_CERT = hex('30 03 02 01 05');

function expectTvsError(fn: () => unknown, code: TvsErrorCode, offset?: number, field?: string): TvsProtocolError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a TvsProtocolError').to.be.instanceOf(TvsProtocolError);
  const e = err as TvsProtocolError;
  expect(e.code, e.message).to.equal(code);
  if (offset !== undefined) expect(e.offset, e.message).to.equal(offset);
  if (field !== undefined) expect(e.field, e.message).to.equal(field);
  return e;
}

describe('TVS codec: requests', () => {
  const expected = Buffer.concat([
    hex('57 01 01 00 12345678 0023'), // id, version 1, VERIFY_REQUEST, reserved, session, 35 bytes of elements
    hex('01 0018 01'),
    ascii(DEVICE), // DEVICE_NAME = 0x01 ‖ "CP-7841-SEP001122334455" (24 bytes)
    hex('02 0005 3003020105'), // CERTIFICATE = DER
  ]);

  it('encodes VERIFY_REQUEST byte for byte', () => {
    expect(encodeRequest({ sessionId: 0x12345678, deviceName: DEVICE, certificate: TINY_CERT }).toString('hex')).to.equal(expected.toString('hex'));
  });

  it('decodes it back, and QUERY_REQUEST differs only in the command byte', () => {
    expect(decodeRequest(expected)).to.deep.include({ kind: 'verify', command: 1, sessionId: 0x12345678, deviceName: DEVICE });
    expect(decodeRequest(expected).certificate.equals(TINY_CERT)).to.equal(true);
    const query = encodeRequest({ kind: 'query', sessionId: 0x12345678, deviceName: DEVICE, certificate: TINY_CERT });
    expect(query[2]).to.equal(3);
    expect(Buffer.concat([query.subarray(0, 2), query.subarray(3)]).equals(Buffer.concat([expected.subarray(0, 2), expected.subarray(3)]))).to.equal(true);
    expect(decodeRequest(query).kind).to.equal('query');
  });

  it('carries a certificate with a two-byte DER length (0x82 form) untouched', () => {
    const body = Buffer.alloc(300, 0xab);
    const der = Buffer.concat([hex('30 82 012c'), body]);
    const msg = encodeRequest({ sessionId: 1, deviceName: DEVICE, certificate: der });
    expect(msg.readUInt16BE(8)).to.equal(3 + 24 + 3 + der.length);
    expect(msg.subarray(msg.length - der.length - 3, msg.length - der.length).toString('hex')).to.equal('020130');
    expect(decodeRequest(msg).certificate.equals(der)).to.equal(true);
  });

  it('names the field and offset of malformed requests', () => {
    const ok = encodeRequest({ sessionId: 7, deviceName: DEVICE, certificate: TINY_CERT });
    const set = (i: number, v: number) => {
      const b = Buffer.from(ok);
      b[i] = v;
      return b;
    };
    expectTvsError(() => decodeRequest(set(0, 0x55)), 'PROTOCOL_ID', 0, 'header.protocolId');
    expectTvsError(() => decodeRequest(set(1, 2)), 'VERSION', 1, 'header.version');
    expectTvsError(() => decodeRequest(set(2, 2)), 'COMMAND', 2);
    expectTvsError(() => decodeRequest(ok.subarray(0, 9)), 'TRUNCATED', 0, 'header');
    expectTvsError(() => decodeRequest(ok.subarray(0, ok.length - 1)), 'TRUNCATED', 8, 'header.length');
    expectTvsError(() => decodeRequest(Buffer.concat([ok, hex('00')])), 'TRAILING', ok.length);
    // DEVICE_NAME prefix byte (offset 10 + 3) must be 0x01.
    expectTvsError(() => decodeRequest(set(13, 2)), 'DEVICE_NAME', 13, 'DEVICE_NAME');
    // A control character in the name (offset 14 is its first character).
    expectTvsError(() => decodeRequest(set(14, 0x0a)), 'DEVICE_NAME', 14);
    // CERTIFICATE value (offset 37 + 3) not a DER SEQUENCE.
    expectTvsError(() => decodeRequest(set(40, 0x31)), 'CERTIFICATE', 40, 'CERTIFICATE');
    // Element length past the end: DEVICE_NAME claims 0x0100 bytes.
    const long = Buffer.from(ok);
    long.writeUInt16BE(0x100, 11);
    expectTvsError(() => decodeRequest(long), 'TRUNCATED', 10, 'DEVICE_NAME');
  });

  it('refuses unknown, repeated and missing elements', () => {
    const name = Buffer.concat([hex('01'), ascii(DEVICE)]);
    const msg = (els: [number, Buffer][]) => {
      const body = Buffer.concat(els.map(([t, v]) => Buffer.concat([Buffer.from([t, v.length >> 8, v.length & 0xff]), v])));
      return Buffer.concat([hex('57 01 01 00 00000001'), Buffer.from([body.length >> 8, body.length & 0xff]), body]);
    };
    expectTvsError(() => decodeRequest(msg([[1, name], [2, TINY_CERT], [7, hex('00')]])), 'UNKNOWN_ELEMENT', 10 + 27 + 8, 'STATUS');
    expectTvsError(() => decodeRequest(msg([[1, name], [1, name], [2, TINY_CERT]])), 'DUPLICATE_ELEMENT', 37, 'DEVICE_NAME');
    expectTvsError(() => decodeRequest(msg([[1, name]])), 'MISSING_ELEMENT', undefined, 'CERTIFICATE');
    expectTvsError(() => decodeRequest(msg([[2, TINY_CERT]])), 'MISSING_ELEMENT', undefined, 'DEVICE_NAME');
    expectTvsError(() => decodeRequest(msg([[1, hex('01')], [2, TINY_CERT]])), 'ELEMENT_LENGTH', 10, 'DEVICE_NAME');
    // Two bytes left where an element header needs three.
    expectTvsError(() => decodeRequest(Buffer.concat([hex('57 01 01 00 00000001 0002'), hex('0100')])), 'TRUNCATED', 10, 'element');
  });
});

describe('TVS codec: responses', () => {
  it('encodes a valid answer: STATUS 0, one byte per role, TTL u32', () => {
    const bytes = encodeResponse({ kind: 'verify', sessionId: 0x12345678, status: 'valid', roles: ['CCM+TFTP', 'TVS'], ttlSeconds: 86400 });
    // 4 (STATUS) + 5 (ROLES: 2 and 21) + 7 (TTL 0x00015180) = 16 bytes of elements.
    expect(bytes.toString('hex')).to.equal('5701020012345678' + '0010' + '07000100' + '0800020215' + '090004' + '00015180');
  });

  it('encodes an invalid answer as STATUS 1 alone, and QUERY_RESPONSE as command 4', () => {
    expect(encodeResponse({ kind: 'verify', sessionId: 9, status: 'invalid' }).toString('hex')).to.equal('57010200000000090004' + '07000101');
    expect(encodeResponse({ kind: 'query', sessionId: 9, status: 'invalid' })[2]).to.equal(4);
  });

  it('uses the role codes of engine/trust, one byte each (2 bytes in .tlv records)', () => {
    const all = ['SAST', 'CCM', 'CCM+TFTP', 'TFTP', 'CAPF', 'APP-SERVER', 'TVS'] as const;
    const bytes = encodeResponse({ kind: 'verify', sessionId: 1, status: 'valid', roles: [...all], ttlSeconds: 1 });
    const r = decodeResponse(bytes);
    expect(r.roles).to.deep.equal(all.map((n) => Role[n]));
    expect(r.roleNames).to.deep.equal([...all]);
    expect(bytes.subarray(17, 17 + 7).toString('hex')).to.equal('00010203040715');
    expect(() => encodeResponse({ kind: 'verify', sessionId: 1, status: 'valid', roles: [256], ttlSeconds: 1 })).to.throw(RangeError, /one-byte/);
  });

  it('decodes hand-made answers and names malformed ones', () => {
    const r = decodeResponse(hex('57 01 04 00 000000ff 000b 07 0001 00 09 0004 00000e10'));
    expect(r).to.deep.include({ kind: 'query', sessionId: 255, status: 'valid', roles: [], ttlSeconds: 3600 });
    expectTvsError(() => decodeResponse(hex('57 01 02 00 00000001 0004 07 0001 02')), 'STATUS', 13, 'STATUS');
    expectTvsError(() => decodeResponse(hex('57 01 02 00 00000001 0005 07 0002 0000')), 'ELEMENT_LENGTH', 10, 'STATUS');
    expectTvsError(() => decodeResponse(hex('57 01 02 00 00000001 000a 07 0001 00 09 0003 000e10')), 'ELEMENT_LENGTH', 14, 'TTL');
    expectTvsError(() => decodeResponse(hex('57 01 02 00 00000001 0003 08 0000')), 'MISSING_ELEMENT', undefined, 'STATUS');
    expectTvsError(() => decodeResponse(hex('57 01 01 00 00000001 0000')), 'COMMAND', 2);
  });
});

describe('TVS codec: stream framing', () => {
  const a = encodeRequest({ sessionId: 1, deviceName: DEVICE, certificate: TINY_CERT });
  const b = encodeRequest({ kind: 'query', sessionId: 1, deviceName: DEVICE, certificate: TINY_CERT });

  it('reassembles messages split byte by byte and separates messages sharing a chunk', () => {
    const f = new TvsFramer();
    const got = [...a].flatMap((byte) => f.push(Buffer.from([byte])));
    expect(got).to.have.length(1);
    expect(got[0]!.bytes.equals(a)).to.equal(true);
    const two = f.push(Buffer.concat([a, b, b.subarray(0, 5)]));
    expect(two.map((m) => m.header.command)).to.deep.equal([1, 3]);
    expect(f.pending).to.equal(5);
  });

  it('fails at the first wrong byte, and at an oversized length before the body arrives', () => {
    const f = new TvsFramer();
    f.push(a);
    const e = expectTvsError(() => f.push(hex('16')), 'PROTOCOL_ID', 0); // a TLS record byte where 0x57 belongs
    expect(e.streamOffset).to.equal(a.length);
    expectTvsError(() => f.push(a), 'PROTOCOL_ID'); // stays failed
    const small = new TvsFramer({ maxBodyLength: 100 });
    expectTvsError(() => small.push(hex('57 01 01 00 00000001 0065')), 'LENGTH', 8, 'header.length');
  });

  it('never holds more than one bounded message, whatever arrives (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 40 }), (chunks) => {
        const f = new TvsFramer({ maxBodyLength: 200 });
        try {
          for (const c of chunks) {
            f.push(c);
            expect(f.pending).to.be.at.most(TVS_HEADER_LENGTH + 200);
          }
        } catch (e) {
          if (!(e instanceof TvsProtocolError)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('TVS codec: properties', () => {
  const name = fc.stringMatching(/^[!-~]{1,64}$/);
  const der = fc.uint8Array({ minLength: 0, maxLength: 600 }).map((v) => {
    const len = v.length < 128 ? Buffer.from([v.length]) : Buffer.from([0x82, v.length >> 8, v.length & 0xff]);
    return Buffer.concat([hex('30'), len, Buffer.from(v)]);
  });

  it('round-trips any request and any response', () => {
    fc.assert(
      fc.property(fc.constantFrom('verify', 'query' as const), fc.nat({ max: 0xffffffff }), name, der, (kind, sessionId, deviceName, certificate) => {
        const r = decodeRequest(encodeRequest({ kind: kind as 'verify' | 'query', sessionId, deviceName, certificate }));
        expect(r).to.deep.include({ kind, sessionId, deviceName });
        expect(r.certificate.equals(certificate)).to.equal(true);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.uniqueArray(fc.nat({ max: 255 }), { maxLength: 20 }), fc.nat({ max: 0xffffffff }), (sessionId, roles, ttlSeconds) => {
        const r = decodeResponse(encodeResponse({ kind: 'verify', sessionId, status: 'valid', roles, ttlSeconds }));
        expect(r).to.deep.include({ sessionId, status: 'valid', roles, ttlSeconds });
      }),
      { numRuns: 200 },
    );
  });

  it('answers random and mutated bytes with a TvsProtocolError or a decoded message, nothing else', () => {
    const valid = encodeRequest({ sessionId: 42, deviceName: DEVICE, certificate: Buffer.concat([hex('30 81 80'), Buffer.alloc(128, 7)]) });
    const mutated = fc.tuple(fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.nat({ max: 255 })), { maxLength: 6 }), fc.nat({ max: valid.length + 8 })).map(([edits, cut]) => {
      const b = Buffer.concat([valid, Buffer.alloc(8, 0x57)]);
      for (const [i, v] of edits) b[i] = v;
      return b.subarray(0, cut);
    });
    const check = (bytes: Uint8Array) => {
      for (const decode of [decodeRequest, decodeResponse]) {
        try {
          decode(bytes);
        } catch (e) {
          if (!(e instanceof TvsProtocolError)) throw e;
          expect(e.message).to.match(/^TVS /);
        }
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { numRuns: 500 });
    fc.assert(fc.property(mutated, check), { numRuns: 500 });
  });
});
