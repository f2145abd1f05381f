// G.711 against ITU-T G.711 values and, exhaustively, against Python's audioop (an independent implementation);
// the test signal the phones send and check.
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import fc from 'fast-check';
import { alawToLinear, decodeG711, encodeG711, linearToAlaw, linearToUlaw, TestSignal, ulawToLinear } from '../../endpoints/media/g711.js';
import { requirePeer } from '../support/peers.js';

describe('media: G.711', () => {
  it('encodes and decodes the end points of the G.711 tables', () => {
    // μ-law: zero is 0xFF (all bits inverted), the largest magnitude 8031 (14-bit) = 32124 (16-bit) is 0x80/0x00.
    expect([linearToUlaw(0), linearToUlaw(32767), linearToUlaw(-32768)]).to.deep.equal([0xff, 0x80, 0x00]);
    expect([ulawToLinear(0xff), ulawToLinear(0x7f), ulawToLinear(0x80), ulawToLinear(0x00), ulawToLinear(0xfe)]).to.deep.equal([0, 0, 32124, -32124, 8]);
    // A-law: even bits inverted, so zero is 0xD5 (positive) / 0x55; the largest magnitude 4032 (13-bit) = 32256.
    expect([linearToAlaw(0), linearToAlaw(-1), linearToAlaw(32767), linearToAlaw(-32768)]).to.deep.equal([0xd5, 0x55, 0xaa, 0x2a]);
    expect([alawToLinear(0xd5), alawToLinear(0x55), alawToLinear(0xaa), alawToLinear(0x2a)]).to.deep.equal([8, -8, 32256, -32256]);
  });

  it('decodes the digital milliwatt sequences of G.711 Tables 5 and 6 to a symmetric 1 kHz sine', () => {
    for (const [law, codes] of [
      ['PCMU', [0x1e, 0x0b, 0x0b, 0x1e, 0x9e, 0x8b, 0x8b, 0x9e]],
      ['PCMA', [0x34, 0x21, 0x21, 0x34, 0xb4, 0xa1, 0xa1, 0xb4]],
    ] as const) {
      const v = Array.from(decodeG711(law, Uint8Array.from(codes)));
      expect(v[0], law).to.equal(v[3]);
      expect(v[1]).to.equal(v[2]);
      expect(v.slice(4)).to.deep.equal(v.slice(0, 4).map((x) => -x));
      // Samples at 22.5° and 67.5° of the period: ratio sin(67.5°)/sin(22.5°) = 2.414, within a quantisation step.
      expect(Math.abs(v[1]! / v[0]! / 2.4142 - 1)).to.be.below(0.05);
    }
  });

  it('is its own inverse on codes (A-law all 256; μ-law all but negative zero 0x7F)', () => {
    for (let c = 0; c < 256; c++) {
      expect(linearToAlaw(alawToLinear(c))).to.equal(c);
      if (c !== 0x7f) expect(linearToUlaw(ulawToLinear(c))).to.equal(c);
    }
    fc.assert(
      fc.property(fc.integer({ min: -32768, max: 32767 }), (s) => {
        // Quantisation error stays within the top segment's step (1024 in 16-bit units; clipping adds at most 643 for μ-law).
        expect(Math.abs(ulawToLinear(linearToUlaw(s)) - s)).to.be.at.most(1024);
        expect(Math.abs(alawToLinear(linearToAlaw(s)) - s)).to.be.at.most(1024);
      }),
    );
  });

  it('matches Python audioop on all 65536 samples and all 256 codes (independent implementation)', function () {
    requirePeer(this, 'python3', 'python3');
    const py =
      'import sys,struct\ntry:\n import audioop\nexcept ImportError:\n sys.exit(3)\n' +
      "b=b''.join(struct.pack('<h',i) for i in range(-32768,32768))\n" +
      'sys.stdout.buffer.write(audioop.lin2ulaw(b,2)+audioop.lin2alaw(b,2)+audioop.ulaw2lin(bytes(range(256)),2)+audioop.alaw2lin(bytes(range(256)),2))\n';
    let out: Buffer;
    try {
      out = execFileSync('python3', ['-W', 'ignore', '-c', py], { maxBuffer: 1 << 20, timeout: 20_000 });
    } catch (err) {
      if ((err as { status?: number }).status === 3) this.skip(); // Python 3.13+ dropped audioop
      throw err;
    }
    const samples = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    expect(Buffer.compare(encodeG711('PCMU', samples), out.subarray(0, 65536))).to.equal(0);
    expect(Buffer.compare(encodeG711('PCMA', samples), out.subarray(65536, 131072))).to.equal(0);
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const u = Buffer.from(decodeG711('PCMU', codes).buffer);
    const a = Buffer.from(decodeG711('PCMA', codes).buffer);
    expect(Buffer.compare(u, out.subarray(131072, 131072 + 512))).to.equal(0);
    expect(Buffer.compare(a, out.subarray(131072 + 512))).to.equal(0);
  });
});

describe('media: test signal', () => {
  it('writes a payload the receiver checks, and any changed byte, sequence, SSRC or timestamp fails the check', () => {
    for (const law of ['PCMU', 'PCMA'] as const) {
      const sig = new TestSignal(law, 160);
      const buf = Buffer.alloc(200);
      const n = sig.fill(buf, 12, 0xdeadbeef, 65535, 4294967200);
      expect(n).to.equal(160);
      expect(sig.check(buf, 12, 160, 0xdeadbeef, 65535, 4294967200)).to.equal(true);
      expect(sig.check(buf, 12, 159, 0xdeadbeef, 65535, 4294967200)).to.equal(false);
      expect(sig.check(buf, 12, 160, 0xdeadbeee, 65535, 4294967200)).to.equal(false);
      expect(sig.check(buf, 12, 160, 0xdeadbeef, 0, 4294967200)).to.equal(false);
      expect(sig.check(buf, 12, 160, 0xdeadbeef, 65535, 4294967360)).to.equal(false);
      for (let i = 0; i < 160; i++) {
        buf[12 + i] ^= 1;
        expect(sig.check(buf, 12, 160, 0xdeadbeef, 65535, 4294967200), `byte ${i}`).to.equal(false);
        buf[12 + i] ^= 1;
      }
    }
  });

  it('carries a 1004 Hz tone (zero crossings) under the marker', () => {
    const sig = new TestSignal('PCMU', 480);
    const buf = Buffer.alloc(480);
    sig.fill(buf, 0, 1, 1, 0);
    const pcm = sig.decode(buf.subarray(8));
    let crossings = 0;
    for (let i = 1; i < pcm.length; i++) if ((pcm[i - 1]! < 0) !== (pcm[i]! < 0)) crossings++;
    // 472 samples = 59 ms of a 1004 Hz tone: about 2 × 59.2 crossings.
    expect(crossings).to.be.within(116, 120);
  });

  it('refuses bad parameters', () => {
    expect(() => new TestSignal('G729' as 'PCMU')).to.throw(RangeError, /PCMU or PCMA/);
    expect(() => new TestSignal('PCMU', 4)).to.throw(RangeError, /samples per packet/);
  });
});
