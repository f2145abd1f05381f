// Tampering, truncation, malformed lengths, unknown tags, garbage and fuzzing: every outcome is either a TlvError
// naming the offset and element, or a file that parses but does not verify. Never another exception, never a pass.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  buildItl,
  describeTrustFile,
  encryptConfig,
  parseEncryptedConfig,
  parseSigned,
  parseTrustList,
  signFile,
  TlvError,
  verifySigned,
  verifyTrustList,
} from '../../engine/trust/index.js';
import { quietLogs, signerOf, T0, testCluster } from './fixtures.js';

function expectTlvError(fn: () => unknown, element: string | RegExp, offset?: number): TlvError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a TlvError').to.be.instanceOf(TlvError);
  const t = err as TlvError;
  if (typeof element === 'string') expect(t.element).to.equal(element);
  else expect(t.element).to.match(element);
  if (offset !== undefined) expect(t.offset).to.equal(offset);
  expect(t.message).to.match(new RegExp(`^.+ at offset ${t.offset}: .+`));
  return t;
}

/** Parse + verify; true only when the file parses and its signature verifies. */
function itlAccepted(bytes: Uint8Array): boolean {
  try {
    return verifyTrustList(parseTrustList(bytes)).ok;
  } catch (e) {
    if (e instanceof TlvError) return false;
    throw e;
  }
}

function signedAccepted(bytes: Uint8Array, cert: Uint8Array, enc: boolean): boolean {
  try {
    return verifySigned(enc ? parseEncryptedConfig(bytes) : parseSigned(bytes), cert).ok;
  } catch (e) {
    if (e instanceof TlvError) return false;
    throw e;
  }
}

describe('hostile input', () => {
  quietLogs();
  const c = testCluster();
  const itl = buildItl({
    signer: signerOf(c.itlRecovery),
    records: [
      { role: 'SAST', certDer: c.itlRecovery.certDer },
      { role: 'CCM+TFTP', certDer: c.callManagerEcdsa.certDer, dnsName: 'cucm-pub', ipAddress: '10.0.0.1' },
    ],
    version: '1.1',
    timestamp: T0,
  }).bytes;
  const sgn = signFile('SEP001122334455.cnf.xml', '<device><x>1</x></device>', signerOf(c.callManager), { timestamp: T0 });
  const enc = encryptConfig('<device><x>1</x></device>', { phoneCertificate: c.phone.certDer }, signerOf(c.callManager), { stub: false, timestamp: T0 }).encSgn;
  const header = parseTrustList(itl).header;
  const rec1 = parseTrustList(itl).records[0]!;
  const rec2 = parseTrustList(itl).records[1]!;

  it('starts from files that are accepted', () => {
    expect(itlAccepted(itl)).to.equal(true);
    expect(signedAccepted(sgn, c.callManager.certDer, false)).to.equal(true);
    expect(signedAccepted(enc, c.callManager.certDer, true)).to.equal(true);
  });

  describe('one changed byte anywhere is detected', () => {
    for (const [name, file, accepted] of [
      ['ITL', itl, (b: Buffer) => itlAccepted(b)],
      ['.sgn', sgn, (b: Buffer) => signedAccepted(b, c.callManager.certDer, false)],
      ['.enc.sgn', enc, (b: Buffer) => signedAccepted(b, c.callManager.certDer, true)],
    ] as const) {
      it(`${name}: every byte position, flipped by 0x01 and by 0xff (${file.length} bytes)`, () => {
        const accepted_: number[] = [];
        for (let i = 0; i < file.length; i++) {
          for (const mask of [0x01, 0xff]) {
            const b = Buffer.from(file);
            b[i]! ^= mask;
            if (accepted(b)) accepted_.push(i);
          }
        }
        expect(accepted_, 'positions whose change went unnoticed').to.deep.equal([]);
      });
    }
  });

  it('every truncation of an ITL is a TlvError naming offset and element, or fails verification', () => {
    let errors = 0;
    for (let n = 0; n < itl.length; n++) {
      const cut = itl.subarray(0, n);
      try {
        const p = parseTrustList(cut);
        expect(verifyTrustList(p).ok, `prefix of ${n} bytes`).to.equal(false);
      } catch (e) {
        expect(e).to.be.instanceOf(TlvError);
        expect((e as TlvError).message).to.match(/^\S.* at offset \d+: /);
        errors++;
      }
    }
    expect(errors).to.be.greaterThan(itl.length - 10);
  });

  it('every truncation of a .sgn / .enc.sgn fails verification or parsing', () => {
    for (const [file, isEnc] of [
      [sgn, false],
      [enc, true],
    ] as const) {
      for (let n = 0; n < file.length; n++) expect(signedAccepted(file.subarray(0, n), c.callManager.certDer, isEnc), `prefix ${n}`).to.equal(false);
    }
  });

  it('names the element and offset of specific defects', () => {
    expectTlvError(() => parseTrustList(Buffer.alloc(0)), 'VERSION', 0);
    expectTlvError(() => parseTrustList(Buffer.from([1])), 'VERSION', 0);
    expectTlvError(() => parseTrustList(Buffer.from([2, 0, 2, 1, 2])), 'VERSION', 0);
    expectTlvError(() => parseTrustList(Buffer.from([1, 0, 3, 1, 2, 0])), 'VERSION', 0);

    const longHeader = Buffer.from(itl);
    longHeader.writeUInt16BE(itl.length + 1, 8);
    expect(expectTlvError(() => parseTrustList(longHeader), 'HEADERLENGTH', 5).message).to.match(/runs past the end of the file/);

    // SIGNERNAME (inside SIGNERID) claiming more bytes than its container holds.
    const name = header.elements.find((e) => e.tag === 4)!;
    const overrun = Buffer.from(itl);
    overrun.writeUInt16BE(0x7fff, name.offset + 1);
    expect(expectTlvError(() => parseTrustList(overrun), 'SIGNERNAME', name.offset).message).to.match(/runs past the end of the SIGNERID container/);

    // Unknown header tag (FILENAME's tag byte changed to 99); kept with unknownTags: 'keep', then the signature fails.
    const fname = header.elements.find((e) => e.tag === 14)!;
    const unknown = Buffer.from(itl);
    unknown[fname.offset] = 99;
    expect(expectTlvError(() => parseTrustList(unknown), 'header tag 99', fname.offset).message).to.match(/unknown header tag 99/);
    const kept = parseTrustList(unknown, { unknownTags: 'keep' });
    expect(kept.header.unknown).to.have.length(1);
    expect(verifyTrustList(kept).ok).to.equal(false);

    // Duplicate element: TIMESTAMP's tag byte turned into a second FILENAME.
    const tsEl = header.elements.find((e) => e.tag === 15)!;
    const dup = Buffer.from(itl);
    dup[tsEl.offset] = 14;
    expect(expectTlvError(() => parseTrustList(dup), 'FILENAME', tsEl.offset).message).to.match(/duplicate element \(the first is at offset \d+\)/);

    // No signature at all: the SIGNATURE tag byte changed into an unknown tag, kept.
    const noSig = Buffer.from(itl);
    noSig[header.signatureOffset] = 98;
    expect(expectTlvError(() => parseTrustList(noSig, { unknownTags: 'keep' }), 'SIGNATURE').message).to.match(/has no SIGNATURE element/);

    // Records: length past the end, length shorter than its own element, not starting with RECORDLENGTH.
    const past = Buffer.from(itl);
    past.writeUInt16BE(0xffff, rec2.offset + 3);
    expect(expectTlvError(() => parseTrustList(past), 'RECORDLENGTH', rec2.offset).message).to.match(/record 2 length 65535 runs past the end of the file/);
    const short = Buffer.from(itl);
    short.writeUInt16BE(3, rec1.offset + 3);
    expect(expectTlvError(() => parseTrustList(short), 'RECORDLENGTH', rec1.offset).message).to.match(/shorter than its RECORDLENGTH element/);
    const notLen = Buffer.from(itl);
    notLen[rec2.offset] = 3;
    expect(expectTlvError(() => parseTrustList(notLen), 'SUBJECTNAME', rec2.offset).message).to.match(/record 2 must start with RECORDLENGTH/);

    // Unknown record tag (DNSNAME's tag byte changed to 42), and an element overrunning its record.
    const dns = rec2.elements.find((e) => e.tag === 2)!;
    const badRec = Buffer.from(itl);
    badRec[dns.offset] = 42;
    expect(expectTlvError(() => parseTrustList(badRec), 'record tag 42', dns.offset).message).to.match(/unknown tag 42 in record 2/);
    const certEl = rec1.elements.find((e) => e.tag === 9)!;
    const bigCert = Buffer.from(itl);
    bigCert.writeUInt16BE(rec1.length, certEl.offset + 1);
    expect(expectTlvError(() => parseTrustList(bigCert), 'CERTIFICATE', certEl.offset).message).to.match(/runs past the end of record 1/);

    // A FUNCTION of the wrong size.
    const fn = rec1.elements.find((e) => e.tag === 4)!;
    const fnLen = Buffer.from(itl);
    fnLen.writeUInt16BE(1, fn.offset + 1);
    expectTlvError(() => parseTrustList(fnLen), /FUNCTION|record tag/);
  });

  it('reports a corrupt certificate in the signer record by offset, as a failed verification', () => {
    const bad = Buffer.from(itl);
    bad[rec1.certificateOffset! + 1] = 0x85; // an unsupported DER length form
    const v = verifyTrustList(parseTrustList(bad));
    expect(v.ok).to.equal(false);
    expect(v.reason).to.match(new RegExp(`record 1: CERTIFICATE at offset ${rec1.certificateOffset}: Certificate: unsupported DER length form`));
    const d = describeTrustFile(bad);
    expect(d.records![0]!.certificate!.error).to.match(/CERTIFICATE at offset/);
    expect(d.verification.status).to.equal('failed');
  });

  it('rejects garbage with a TlvError', () => {
    const garbage = Buffer.from('This is not a Cisco TLV file at all, just text.\n');
    expectTlvError(() => parseTrustList(garbage), /.+/, 0);
    expectTlvError(() => describeTrustFile(garbage), /.+/, 0);
    expectTlvError(() => parseSigned(Buffer.alloc(64, 0xff)), /.+/, 0);
  });

  describe('fuzzing (fast-check)', () => {
    const parsers: [string, (b: Uint8Array) => unknown][] = [
      ['parseTrustList', (b) => verifyTrustList(parseTrustList(b))],
      ['parseSigned', (b) => parseSigned(b)],
      ['parseEncryptedConfig', (b) => parseEncryptedConfig(b)],
      ['describeTrustFile', (b) => describeTrustFile(b, { trust: [c.callManager.certDer], decryptWith: c.phone.privateKey })],
      ['describeTrustFile (lenient)', (b) => describeTrustFile(b, { unknownTags: 'keep', nameHint: 'x.tlv' })],
    ];
    const onlyTlvErrors = (run: (b: Uint8Array) => unknown) => (b: Uint8Array) => {
      try {
        run(b);
      } catch (e) {
        if (!(e instanceof TlvError)) throw e;
      }
    };

    for (const [name, run] of parsers) {
      it(`${name}: random bytes give a result or a TlvError`, () => {
        fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), onlyTlvErrors(run)), { numRuns: 300 });
        // Random bodies behind a plausible start (VERSION + HEADERLENGTH) reach deeper into the grammar.
        const plausible = fc.tuple(fc.integer({ min: 10, max: 300 }), fc.uint8Array({ maxLength: 300 })).map(([hl, rest]) => Buffer.concat([Buffer.from([1, 0, 2, 1, 2, 2, 0, 2, hl >> 8, hl & 0xff]), rest]));
        fc.assert(fc.property(plausible, onlyTlvErrors(run)), { numRuns: 300 });
      });
    }

    for (const [name, file, accepted] of [
      ['ITL', itl, (b: Buffer) => itlAccepted(b)],
      ['.sgn', sgn, (b: Buffer) => signedAccepted(b, c.callManager.certDer, false)],
      ['.enc.sgn', enc, (b: Buffer) => signedAccepted(b, c.callManager.certDer, true)],
    ] as const) {
      it(`${name}: random edits of a valid file are never accepted and never crash`, () => {
        const edit = fc.oneof(
          fc.record({ kind: fc.constant('set' as const), at: fc.nat(file.length - 1), value: fc.integer({ min: 0, max: 255 }) }),
          fc.record({ kind: fc.constant('cut' as const), at: fc.nat(file.length - 1), value: fc.nat(64) }),
          fc.record({ kind: fc.constant('insert' as const), at: fc.nat(file.length), value: fc.integer({ min: 0, max: 255 }) }),
        );
        fc.assert(
          fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
            let b = Buffer.from(file);
            for (const e of edits) {
              const at = Math.min(e.at, b.length);
              if (e.kind === 'set') {
                if (at < b.length) b[at] = e.value;
              } else if (e.kind === 'cut') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + e.value)]);
              else b = Buffer.concat([b.subarray(0, at), Buffer.from([e.value]), b.subarray(at)]);
            }
            if (b.equals(file)) return;
            expect(accepted(b)).to.equal(false);
            onlyTlvErrors((x) => describeTrustFile(x, { trust: [c.callManager.certDer] }))(b);
          }),
          { numRuns: 300 },
        );
      });
    }
  });
});
