// The CAPF wire format byte by byte. Expected bytes are assembled here by hand from research anchors §2.2-2.5 and the
// Jabber4Linux capture it cites (header 0x55 ‖ command ‖ session id BE ‖ length BE; tag ‖ length BE ‖ value; the nested
// CERTIFICATE `01 ‖ len ‖ 00 ‖ 01 ‖ DER`), never through the encoder under test.
import { expect } from 'chai';
import {
  CapfFramer,
  CapfProtocolError,
  decodeMessage,
  describeMessage,
  encodeMessage,
  CapfCommand as C,
  type CapfFields,
} from '../../engine/capf/capf-codec.js';

/** Bytes from hex pieces ("55 01", "0008") and buffers. */
function bytes(...parts: (string | Uint8Array)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p.replace(/\s+/g, ''), 'hex') : Buffer.from(p))));
}

function be32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function be16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'ascii'), Buffer.from([0])]);
}

function expectProtocolError(fn: () => unknown, match: RegExp, where: { offset?: number; element?: RegExp } = {}): CapfProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CapfProtocolError);
    const e = err as CapfProtocolError;
    expect(e.message).to.match(match);
    if (where.offset !== undefined) expect(e.offset, e.message).to.equal(where.offset);
    if (where.element) expect(e.element ?? '', e.message).to.match(where.element);
    return e;
  }
  expect.fail(`expected a CapfProtocolError matching ${match}`);
}

const SID = 0x0a0b0c0d;

/** [name, command, fields in wire order, the message assembled by hand]. */
function documentedMessages(): [string, number, CapfFields, Buffer][] {
  const der = Buffer.alloc(979, 0x30); // the Jabber4Linux capture's certificate length (0x3D5 - 2)
  const spki = bytes('3059301306072a8648ce3d020106082a8648ce3d030107034200', Buffer.alloc(65, 4));
  const sig = Buffer.alloc(256, 0xab);
  const sha2 = Buffer.alloc(256, 0xcd);
  return [
    ['AUTH_REQUEST {VERSION 3, AUTH_TYPE 0} (capfd)', C.AUTH_REQUEST, { version: 3, authType: 0 }, bytes('55 01', be32(SID), '0008', '07 0001 03', '08 0001 00')],
    ['AUTH_REQUEST {VERSION 3} (CUCM, Jabber4Linux "Server Hello")', C.AUTH_REQUEST, { version: 3 }, bytes('55 01', be32(SID), '0004', '07 0001 03')],
    [
      'AUTH_RESPONSE of Jabber: {VERSION 2, DEVICE_NAME "CSF123", REASON 1}',
      C.AUTH_RESPONSE,
      { version: 2, deviceName: 'CSF123', reason: 1 },
      bytes('55 02', be32(SID), '0012', '07 0001 02', '0d 0007', cstr('CSF123'), '01 0001 01'),
    ],
    [
      'AUTH_RESPONSE by authentication string',
      C.AUTH_RESPONSE,
      { reason: 1, version: 3, deviceName: 'SEP58971ECC97C1', password: '123456' },
      bytes('55 02', be32(SID), be16(4 + 4 + 19 + 10), '01 0001 01', '07 0001 03', '0d 0010', cstr('SEP58971ECC97C1'), '0b 0007', cstr('123456')),
    ],
    ['AUTH_RESPONSE by null string (empty PASSWORD = one NUL)', C.AUTH_RESPONSE, { reason: 1, version: 3, deviceName: 'SEP1', password: '' }, bytes('55 02', be32(SID), be16(4 + 4 + 8 + 4), '01 0001 01', '07 0001 03', '0d 0005', cstr('SEP1'), '0b 0001 00')],
    [
      'AUTH_RESPONSE by existing certificate (CERTIFICATE, SIGNED_DATA, SHA2_SIGNED_DATA, SUDI_DATA)',
      C.AUTH_RESPONSE,
      {
        reason: 1,
        version: 3,
        deviceName: 'SEP1',
        password: '',
        certificate: { type: 2, der: Buffer.from('3003020101', 'hex') },
        signedData: sig,
        sha2SignedData: { hash: 3, signature: sha2 },
        sudiData: { certificate: Buffer.from('300102', 'hex'), signatures: [{ hash: 1, signature: Buffer.from('aa', 'hex') }, { hash: 3, signature: Buffer.from('bbbb', 'hex') }] },
      },
      bytes(
        '55 02',
        be32(SID),
        be16(4 + 4 + 8 + 4 + (3 + 10) + (3 + 256) + (3 + 259) + (3 + 6 + 4 + 5)),
        '01 0001 01',
        '07 0001 03',
        '0d 0005',
        cstr('SEP1'),
        '0b 0001 00',
        '04 000a 01 0007 00 02 3003020101',
        '06 0100',
        sig,
        '14 0103 03 0100',
        sha2,
        '10 000f 00 0003 300102 01 0001 aa 03 0002 bbbb',
      ),
    ],
    ['KEY_GENERATE_REQUEST of the CUCM capture: {KEY_SIZE 2048}', C.KEY_GENERATE_REQUEST, { keySize: 2048 }, bytes('55 03', be32(SID), '0005', '0a 0002 0800')],
    ['KEY_GENERATE_REQUEST RSA (capfd: KEY_TYPE 0, KEY_SIZE)', C.KEY_GENERATE_REQUEST, { keyType: 0, keySize: 4096 }, bytes('55 03', be32(SID), '0009', '11 0001 00', '0a 0002 1000')],
    ['KEY_GENERATE_REQUEST EC secp384r1 (KEY_TYPE 1, CURVE 1)', C.KEY_GENERATE_REQUEST, { keyType: 1, curve: 1 }, bytes('55 03', be32(SID), '0008', '11 0001 01', '12 0001 01')],
    ['REQUEST_IN_PROGRESS (no elements)', C.REQUEST_IN_PROGRESS, {}, bytes('55 11', be32(SID), '0000')],
    ['KEY_GENERATE_RESPONSE {PUBLIC_KEY = SubjectPublicKeyInfo}', C.KEY_GENERATE_RESPONSE, { publicKey: spki }, bytes('55 04', be32(SID), be16(3 + spki.length), '09', be16(spki.length), spki)],
    ['KEY_GENERATE_RESPONSE declining (REASON 7, no key)', C.KEY_GENERATE_RESPONSE, { reason: 7 }, bytes('55 04', be32(SID), '0004', '01 0001 07')],
    [
      'STORE_CERTIFICATE_REQUEST of the capture (0x3DF bytes, {04}[03D8] {01}[03D5] 00 01 DER)',
      C.STORE_CERTIFICATE_REQUEST,
      { certificateType: 1, certificate: { type: 1, der } },
      bytes('55 09', be32(SID), '03df', '03 0001 01', '04 03d8', '01 03d5 00 01', der),
    ],
    ['STORE_CERTIFICATE_RESPONSE {REASON 1}', C.STORE_CERTIFICATE_RESPONSE, { reason: 1 }, bytes('55 0a', be32(SID), '0004', '01 0001 01')],
    ['END_SESSION {REASON 1} (update certificate)', C.END_SESSION, { reason: 1 }, bytes('55 0f', be32(SID), '0004', '01 0001 01')],
    ['END_SESSION {REASON 0} (no action)', C.END_SESSION, { reason: 0 }, bytes('55 0f', be32(SID), '0004', '01 0001 00')],
    ['END_SESSION {REASON 7} (invalid element / declined)', C.END_SESSION, { reason: 7 }, bytes('55 0f', be32(SID), '0004', '01 0001 07')],
    ['END_SESSION {REASON 9} (unknown device)', C.END_SESSION, { reason: 9 }, bytes('55 0f', be32(SID), '0004', '01 0001 09')],
    ['FETCH_CERTIFICATE_REQUEST', C.FETCH_CERTIFICATE_REQUEST, {}, bytes('55 0b', be32(SID), '0000')],
    [
      'FETCH_CERTIFICATE_RESPONSE {REASON 1, CERTIFICATE (MIC)}',
      C.FETCH_CERTIFICATE_RESPONSE,
      { reason: 1, certificate: { type: 2, der: Buffer.from('30020500', 'hex') } },
      bytes('55 0c', be32(SID), '0010', '01 0001 01', '04 0009 01 0006 00 02 30020500'),
    ],
    ['DELETE_CERTIFICATE_REQUEST', C.DELETE_CERTIFICATE_REQUEST, {}, bytes('55 0d', be32(SID), '0000')],
    ['DELETE_CERTIFICATE_RESPONSE {REASON 1}', C.DELETE_CERTIFICATE_RESPONSE, { reason: 1 }, bytes('55 0e', be32(SID), '0004', '01 0001 01')],
    ['RETRY_LATER {RETRY_DELAY 3600} (4 bytes, trustline)', C.RETRY_LATER, { retryDelay: 3600 }, bytes('55 10', be32(SID), '0007', '0c 0004 00000e10')],
    ['STATUS_REQUEST (keepalive)', C.STATUS_REQUEST, {}, bytes('55 12', be32(SID), '0000')],
  ];
}

describe('capf codec: documented messages byte by byte', () => {
  for (const [name, command, fields, wire] of documentedMessages()) {
    it(`${name}: encodes to the hand-assembled bytes and decodes back`, () => {
      expect(encodeMessage(command, SID, fields).toString('hex')).to.equal(wire.toString('hex'));
      const m = decodeMessage(wire);
      expect(m.command).to.equal(command);
      expect(m.sessionId).to.equal(SID);
      expect(m.fields).to.deep.equal(fields);
      expect(encodeMessage(m.command, m.sessionId, m.fields).equals(wire)).to.equal(true);
    });
  }

  it('writes the session id big-endian and reads any element order', () => {
    expect(encodeMessage(C.END_SESSION, 1, { reason: 1 }).subarray(0, 8).toString('hex')).to.equal('550f000000010004');
    const m = decodeMessage(bytes('55 02 00000001 000d', '0d 0002 4100', '01 0001 01', '07 0001 03'));
    expect(m.tags).to.deep.equal([13, 1, 7]);
    expect(m.fields).to.deep.equal({ deviceName: 'A', reason: 1, version: 3 });
  });

  it('reads RETRY_DELAY of 1, 2 or 4 bytes and an empty PASSWORD of zero bytes', () => {
    expect(decodeMessage(bytes('55 10 00000001 0004 0c 0001 1e')).fields.retryDelay).to.equal(30);
    expect(decodeMessage(bytes('55 10 00000001 0005 0c 0002 001e')).fields.retryDelay).to.equal(30);
    expect(decodeMessage(bytes('55 02 00000001 0003 0b 0000')).fields.password).to.equal('');
  });

  it('masks the password when describing a message', () => {
    const d = describeMessage(decodeMessage(encodeMessage(C.AUTH_RESPONSE, 7, { deviceName: 'SEP1', password: '1234' })));
    expect(d).to.equal('AUTH_RESPONSE session 7 {DEVICE_NAME="SEP1", PASSWORD="***"}');
  });
});

describe('capf codec: malformed input names what and where', () => {
  it('refuses a wrong protocol id at offset 0', () => {
    expectProtocolError(() => decodeMessage(bytes('57 01 00000001 0000')), /protocol id 0x57 at offset 0, expected 0x55/, { offset: 0 });
  });

  it('refuses a short header, an unknown command, and a length that disagrees with the message', () => {
    expectProtocolError(() => decodeMessage(bytes('55 01 0000')), /header: 4 bytes, expected 8/);
    expectProtocolError(() => decodeMessage(bytes('55 00 00000001 0000')), /unknown command 0 at offset 1/, { offset: 1 });
    expectProtocolError(() => decodeMessage(bytes('55 18 00000001 0000')), /unknown command 24/);
    expectProtocolError(() => decodeMessage(bytes('55 0f 00000001 0005 01 0001 01')), /header says 5 element bytes, the message has 4/, { offset: 6 });
  });

  it('refuses truncated elements and element lengths past the end', () => {
    expectProtocolError(() => decodeMessage(bytes('55 0f 00000001 0002 01 00')), /truncated element header at offset 8/, { offset: 8 });
    expectProtocolError(() => decodeMessage(bytes('55 0f 00000001 0004 01 0002 01')), /element REASON \(1\) at offset 9: claims 2 bytes, only 1 left/, { offset: 9, element: /REASON/ });
  });

  it('refuses unknown tags (or skips them when asked) and duplicates', () => {
    expectProtocolError(() => decodeMessage(bytes('55 0f 00000001 0004 0e 0001 01')), /element tag 14 \(14\) at offset 8: unknown element tag/, { offset: 8 });
    expect(decodeMessage(bytes('55 0f 00000001 0008 0e 0001 01 01 0001 01'), { unknownElements: 'skip' }).fields).to.deep.equal({ reason: 1 });
    expectProtocolError(() => decodeMessage(bytes('55 0f 00000001 0008 01 0001 01 01 0001 07')), /REASON \(1\) at offset 12: the element appears twice/, { offset: 12 });
  });

  it('checks fixed sizes: one byte, KEY_SIZE two bytes, RETRY_DELAY 1/2/4', () => {
    expectProtocolError(() => decodeMessage(bytes('55 0f 00000001 0005 01 0002 0101')), /REASON \(1\) at offset 11: length 2, expected 1/, { element: /REASON/ });
    expectProtocolError(() => decodeMessage(bytes('55 03 00000001 0004 0a 0001 08')), /KEY_SIZE \(10\).*length 1, expected 2/);
    expectProtocolError(() => decodeMessage(bytes('55 10 00000001 0006 0c 0003 000000')), /RETRY_DELAY.*expected 1, 2 or 4/);
  });

  it('checks NUL-terminated strings: terminator, inner NUL, UTF-8', () => {
    expectProtocolError(() => decodeMessage(bytes('55 02 00000001 0006 0d 0003 414243')), /DEVICE_NAME \(13\) at offset 13: the string is not NUL-terminated/, { offset: 13 });
    expectProtocolError(() => decodeMessage(bytes('55 02 00000001 0007 0d 0004 41004200')), /NUL character inside the string/, { offset: 12 });
    expectProtocolError(() => decodeMessage(bytes('55 02 00000001 0006 0b 0003 ff fe 00')), /PASSWORD.*not valid UTF-8/);
  });

  it('checks the nested CERTIFICATE: marker, inner length, the 00 byte, the type', () => {
    expectProtocolError(() => decodeMessage(bytes('55 09 00000001 0009 04 0006 02 0003 00 01 30')), /nested certificate starts with 0x02, expected 0x01/);
    expectProtocolError(() => decodeMessage(bytes('55 09 00000001 0009 04 0006 01 0004 00 01 30')), /nested length 4 does not match the 3 bytes/, { offset: 12 });
    expectProtocolError(() => decodeMessage(bytes('55 09 00000001 0009 04 0006 01 0003 05 01 30')), /0x05 where 0x00 was expected/, { offset: 14 });
    expectProtocolError(() => decodeMessage(bytes('55 09 00000001 0009 04 0006 01 0003 00 07 30')), /certificate type 7/, { offset: 15 });
    expectProtocolError(() => decodeMessage(bytes('55 09 00000001 0007 04 0004 01 0001 00')), /4 bytes cannot hold/);
  });

  it('checks SHA2_SIGNED_DATA and SUDI_DATA inner lengths and parts', () => {
    expectProtocolError(() => decodeMessage(bytes('55 02 00000001 0007 14 0004 03 0002 aa')), /signature length 2 does not match the 1 bytes/);
    expectProtocolError(() => decodeMessage(bytes('55 02 00000001 0008 10 0005 01 0002 aaaa')), /first part must be the SUDI certificate/);
    expectProtocolError(() => decodeMessage(bytes('55 02 00000001 000b 10 0008 00 0001 30 09 0001 aa')), /unknown part 9/);
    expectProtocolError(() => decodeMessage(bytes('55 02 00000001 0008 10 0005 00 0005 3030')), /part 0 claims 5 bytes, only 2 left/);
    expectProtocolError(() => decodeMessage(bytes('55 02 00000001 000f 10 000c 00 0001 30 01 0001 aa 01 0001 bb')), /part 1 appears twice/);
  });

  it('refuses values that cannot be encoded', () => {
    expectProtocolError(() => encodeMessage(C.KEY_GENERATE_REQUEST, 1, { keySize: 70000 }), /does not fit two bytes/);
    expectProtocolError(() => encodeMessage(C.AUTH_RESPONSE, 1, { deviceName: 'A\0B' }), /contains a NUL/);
    expectProtocolError(() => encodeMessage(C.AUTH_RESPONSE, 1, { publicKey: Buffer.alloc(70000) }), /does not fit two bytes/);
    expectProtocolError(() => encodeMessage(C.AUTH_RESPONSE, 2 ** 32, {}), /session id/);
  });
});

describe('capf codec: stream framer', () => {
  const a = bytes('55 01 00000001 0008 07 0001 03 08 0001 00');
  const b = bytes('55 0f 00000001 0004 01 0001 01');

  it('reassembles messages delivered one byte at a time, and splits several in one chunk', () => {
    const f = new CapfFramer();
    const out: Buffer[] = [];
    for (const byte of Buffer.concat([a, b])) out.push(...f.push(Buffer.from([byte])));
    expect(out.map((x) => x.toString('hex'))).to.deep.equal([a.toString('hex'), b.toString('hex')]);
    expect(new CapfFramer().push(Buffer.concat([a, b, a]))).to.have.length(3);
    expect(f.buffered).to.equal(0);
  });

  it('refuses garbage at the first byte, with the stream offset', () => {
    const f = new CapfFramer();
    f.push(a);
    expectProtocolError(() => f.push(Buffer.from('GET / HTTP/1.1\r\n')), /byte 0x47 at stream offset 16 where a message must start with 0x55/, { offset: 16 });
  });

  it('refuses a message longer than the limit as soon as its header arrives', () => {
    const f = new CapfFramer({ maxBodyLength: 1024 });
    expectProtocolError(() => f.push(bytes('55 02 00000001 0401')), /announces 1025 element bytes, more than the 1024 allowed/, { offset: 6 });
  });

  it('reports a message cut short at the end of the stream', () => {
    const f = new CapfFramer();
    f.push(a.subarray(0, 10));
    expectProtocolError(() => f.end(), /closed 10 bytes into a message at stream offset 0/);
    expect(() => new CapfFramer().end()).not.to.throw();
  });
});
