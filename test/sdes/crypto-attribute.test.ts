// RFC 4568 a=crypto parsing and emitting, SDES -> SRTP policy, and fuzzing of the parser.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  formatCryptoAttribute,
  formatCryptoLine,
  newCryptoAttribute,
  parseCryptoAttribute,
  sdesToPolicy,
  SdesError,
} from '../../ciphers/sdes/index.js';
import { createSrtpSession } from '../../ciphers/srtp/session.js';
import { SRTP_SUITE_NAMES, srtpSuite } from '../../ciphers/srtp/suites.js';
import { isSrtpFailure } from '../../ciphers/srtp/types.js';

function sdesError(fn: () => unknown): SdesError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(SdesError);
    return err as SdesError;
  }
  throw new Error('expected an SdesError');
}

const b64 = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 29 + seed) & 0xff)).toString('base64');

describe('SDES a=crypto', () => {
  describe('parse', () => {
    it('reads the RFC 4568 example with lifetime and MKI', () => {
      const a = parseCryptoAttribute('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4');
      expect(a.tag).to.equal(1);
      expect(a.suite).to.equal('AES_CM_128_HMAC_SHA1_80');
      expect(a.keys).to.have.length(1);
      const k = a.keys[0]!;
      expect(Buffer.concat([k.key, k.salt]).toString('base64')).to.equal('PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR');
      expect(k.key.length).to.equal(16);
      expect(k.salt.length).to.equal(14);
      expect(k.lifetime).to.equal(2 ** 20);
      expect(k.mki!.toString('hex')).to.equal('00000001');
      expect(a.params).to.deep.equal({ unencryptedSrtp: false, unencryptedSrtcp: false, unauthenticatedSrtp: false, unknown: [] });
    });

    it('accepts the value with or without "a=" / "crypto:" and surrounding whitespace', () => {
      const v = `7 AES_CM_128_HMAC_SHA1_32 inline:${b64(30)}`;
      for (const line of [v, `crypto:${v}`, `a=crypto:${v}`, `  a=crypto:${v}\r\n`, v.replace(/ /g, '\t ')]) {
        const a = parseCryptoAttribute(line);
        expect(a.tag).to.equal(7);
        expect(a.suite).to.equal('AES_CM_128_HMAC_SHA1_32');
      }
    });

    it('decodes padded and unpadded base64 and checks the decoded length per suite', () => {
      for (const suite of SRTP_SUITE_NAMES) {
        const s = srtpSuite(suite);
        const n = s.keyLen + s.saltLen;
        const padded = b64(n);
        for (const text of [padded, padded.replace(/=+$/, '')]) {
          const a = parseCryptoAttribute(`1 ${suite} inline:${text}`);
          expect(Buffer.concat([a.keys[0]!.key, a.keys[0]!.salt]).toString('base64'), `${suite} ${text}`).to.equal(padded);
        }
      }
      // 44-byte GCM-256 key||salt sent unpadded (59 characters, baresip#1233) decodes to all 44 bytes.
      const gcm = b64(44).replace(/=+$/, '');
      expect(gcm.length).to.equal(59);
      expect(parseCryptoAttribute(`1 AEAD_AES_256_GCM inline:${gcm}`).keys[0]!.salt.length).to.equal(12);
    });

    it('names the field and the text when the key has the wrong length or is not base64', () => {
      const short = b64(42);
      const e = sdesError(() => parseCryptoAttribute(`1 AES_256_CM_HMAC_SHA1_80 inline:${short}`));
      expect(e.field).to.equal('key-params.key-salt');
      expect(e.text).to.equal(short);
      expect(e.message).to.contain('42 bytes').and.contain('46').and.contain('AES_256_CM_HMAC_SHA1_80');
      const bad = sdesError(() => parseCryptoAttribute('1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkp@ywjNWhcYD0mXXtxaVBR'));
      expect(bad.field).to.equal('key-params.key-salt');
      expect(bad.message).to.contain('"@"').and.contain('position 20');
      expect(sdesError(() => parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}=`)).field).to.equal('key-params.key-salt');
    });

    it("reads several ';'-separated keys, each with an MKI of one length", () => {
      const a = parseCryptoAttribute(`2 AES_CM_128_HMAC_SHA1_80 inline:${b64(30, 1)}|2^20|1:4;inline:${b64(30, 2)}|2^20|2:4 FEC_ORDER=FEC_SRTP`);
      expect(a.keys.map((k) => k.mki!.toString('hex'))).to.deep.equal(['00000001', '00000002']);
      expect(a.keys[1]!.key).to.not.deep.equal(a.keys[0]!.key);
      expect(a.params.fecOrder).to.equal('FEC_SRTP');
      expect(sdesError(() => parseCryptoAttribute(`2 AES_CM_128_HMAC_SHA1_80 inline:${b64(30, 1)};inline:${b64(30, 2)}|2:4`)).field).to.equal('key-params[0].mki');
      expect(sdesError(() => parseCryptoAttribute(`2 AES_CM_128_HMAC_SHA1_80 inline:${b64(30, 1)}|1:4;inline:${b64(30, 2)}|2:2`)).message).to.contain('differs');
      expect(sdesError(() => parseCryptoAttribute(`2 AES_CM_128_HMAC_SHA1_80 inline:${b64(30, 1)}|1:4;inline:${b64(30, 2)}|1:4`)).message).to.contain('twice');
    });

    it('reads lifetimes as 2^n or decimal, and the MKI alone', () => {
      expect(parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}|2^31|1:4`).keys[0]).to.include({ lifetime: 2 ** 31 });
      expect(parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}|1048576`).keys[0]).to.include({ lifetime: 1048576 });
      const mkiOnly = parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}|258:2`).keys[0]!;
      expect(mkiOnly.lifetime).to.equal(undefined);
      expect(mkiOnly.mki!.toString('hex')).to.equal('0102');
      const big = parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}|1:128`).keys[0]!;
      expect(big.mki!.length).to.equal(128);
      expect(big.mki![127]).to.equal(1);
    });

    it('maps alias suite names to IANA names; the 8-byte-tag GCM variants are marked', () => {
      const a = parseCryptoAttribute(`1 AES_CM_256_HMAC_SHA1_80 inline:${b64(46)}`);
      expect(a.suite).to.equal('AES_256_CM_HMAC_SHA1_80');
      expect(a.suiteText).to.equal('AES_CM_256_HMAC_SHA1_80');
      expect(formatCryptoAttribute(a)).to.match(/^1 AES_256_CM_HMAC_SHA1_80 inline:/);
      expect(parseCryptoAttribute(`1 AES_CM_192_HMAC_SHA1_32 inline:${b64(38)}`).suite).to.equal('AES_192_CM_HMAC_SHA1_32');
      expect(parseCryptoAttribute(`1 aes_cm_128_hmac_sha1_80 inline:${b64(30)}`).suite).to.equal('AES_CM_128_HMAC_SHA1_80');
      expect(parseCryptoAttribute(`1 NULL_HMAC_SHA1_80 inline:${b64(30)}`).suite).to.equal('NULL_HMAC_SHA1_80');
      const g8 = parseCryptoAttribute(`3 AEAD_AES_128_GCM_8 inline:${b64(28)}`);
      expect(g8.suite).to.equal('AEAD_AES_128_GCM');
      expect(g8.gcmTagLength).to.equal(8);
      expect(formatCryptoAttribute(g8)).to.match(/^3 AEAD_AES_128_GCM_8 /);
      const e = sdesError(() => sdesToPolicy(g8));
      expect(e.field).to.equal('crypto-suite');
      expect(e.message).to.contain('8-byte GCM tag');
    });

    it('reads every session parameter and keeps unknown ones', () => {
      const a = parseCryptoAttribute(
        `1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)} KDR=10 UNENCRYPTED_SRTP UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP FEC_ORDER=SRTP_FEC FEC_KEY=inline:${b64(30, 9)} WSH=256 X_VENDOR=1 FOO`,
      );
      expect(a.params).to.deep.include({ kdr: 1024, unencryptedSrtp: true, unencryptedSrtcp: true, unauthenticatedSrtp: true, fecOrder: 'SRTP_FEC', wsh: 256, unknown: ['X_VENDOR=1', 'FOO'] });
      expect(a.params.fecKey).to.equal(`inline:${b64(30, 9)}`);
    });

    const errors: [string, string, string, RegExp][] = [
      ['tag not a number', `x AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}`, 'tag', /decimal digits/],
      ['tag too long', `1234567890 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}`, 'tag', /1 to 9/],
      ['no key params', '1 AES_CM_128_HMAC_SHA1_80', 'attribute', /key-params/],
      ['unknown suite', `1 AES_CM_129_HMAC_SHA1_80 inline:${b64(30)}`, 'crypto-suite', /not a known/],
      ['F8', `1 F8_128_HMAC_SHA1_80 inline:${b64(30)}`, 'crypto-suite', /does not implement/],
      ['key method', `1 AES_CM_128_HMAC_SHA1_80 uri:http://example.com/key`, 'key-params.key-method', /inline/],
      ['no colon', `1 AES_CM_128_HMAC_SHA1_80 ${b64(30)}`, 'key-params', /inline:/],
      ['MKI length 0', `1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}|1:0`, 'key-params.mki', /1\.\.128/],
      ['MKI length 129', `1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}|1:129`, 'key-params.mki', /1\.\.128/],
      ['MKI value too large', `1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}|256:1`, 'key-params.mki', /does not fit/],
      ['lifetime 2^x', `1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}|2^x|1:4`, 'key-params.lifetime', /2\^n/],
      ['lifetime 0', `1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}|0`, 'key-params.lifetime', /at least 1/],
      ['too many fields', `1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}|2^20|1:4|x`, 'key-params', /more than/],
      ['KDR=25', `1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)} KDR=25`, 'KDR', /0\.\.24/],
      ['WSH=32', `1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)} WSH=32`, 'WSH', />= 64/],
      ['FEC_ORDER=x', `1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)} FEC_ORDER=x`, 'FEC_ORDER', /FEC_SRTP/],
    ];
    for (const [what, line, field, msg] of errors) {
      it(`refuses ${what}, naming ${field}`, () => {
        const e = sdesError(() => parseCryptoAttribute(line));
        expect(e.field).to.equal(field);
        expect(e.message).to.match(msg);
        expect(e.message).to.contain(JSON.stringify(e.text).slice(1, 20));
      });
    }
  });

  describe('emit', () => {
    it('round-trips: emitted lines use IANA names and padded base64', () => {
      for (const suite of SRTP_SUITE_NAMES) {
        const a = newCryptoAttribute(4, suite, { keys: 2, mkiLength: 4, lifetime: 2 ** 31, kdr: 2 ** 16, unencryptedSrtcp: true, wsh: 512 });
        const line = formatCryptoLine(a);
        expect(line).to.match(new RegExp(`^a=crypto:4 ${suite} inline:[A-Za-z0-9+/]+={0,2}\\|2\\^31\\|1:4;inline:[A-Za-z0-9+/]+={0,2}\\|2\\^31\\|2:4 KDR=16 UNENCRYPTED_SRTCP WSH=512$`));
        const b64s = [...line.matchAll(/inline:([^|]+)/g)].map((m) => m[1]!);
        for (const t of b64s) expect(t.length % 4).to.equal(0);
        const back = parseCryptoAttribute(line);
        expect(back).to.deep.equal(a);
      }
    });

    it('keeps decimal lifetimes that are not powers of two, and unknown parameters', () => {
      const line = `a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}|1000|5:1 FOO=1`;
      expect(formatCryptoLine(parseCryptoAttribute(line))).to.equal(line);
    });
  });

  describe('to an SRTP policy', () => {
    it('carries keys, MKIs, lifetimes and session parameters into a working session', () => {
      const a = parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_32 inline:${b64(30, 3)}|2^20|1:2;inline:${b64(30, 4)}|2^20|2:2 KDR=4 UNENCRYPTED_SRTCP WSH=1024`);
      const p = sdesToPolicy(a);
      expect(p.suite).to.equal('AES_CM_128_HMAC_SHA1_32');
      expect(p.keys.map((k) => Buffer.from(k.mki!).toString('hex'))).to.deep.equal(['0001', '0002']);
      expect(p.keys.map((k) => k.lifetime)).to.deep.equal([2 ** 20, 2 ** 20]);
      expect(p).to.include({ kdr: 16, encryptRtcp: false, replayWindow: 1024 });
      const tx = createSrtpSession(p, { backend: 'ts' });
      const rx = createSrtpSession(sdesToPolicy(parseCryptoAttribute(formatCryptoAttribute(a))), { backend: 'ts' });
      const pkt = Buffer.from('80000001000000a012345678cafe', 'hex');
      const wire = tx.protectRtp(pkt);
      if (isSrtpFailure(wire)) throw new Error(wire.toString());
      expect(wire.subarray(pkt.length, pkt.length + 2).toString('hex')).to.equal('0001');
      const back = rx.unprotectRtp(wire);
      expect(isSrtpFailure(back) ? back.toString() : back.toString('hex')).to.equal(pkt.toString('hex'));
    });

    it('caps lifetimes at 2^48 and refuses what SRTP cannot do, naming the field', () => {
      expect(sdesToPolicy(parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}|2^60`)).keys[0]!.lifetime).to.equal(2 ** 48);
      expect(sdesError(() => sdesToPolicy(parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)} WSH=100000`))).field).to.equal('WSH');
      const e = sdesError(() => sdesToPolicy(parseCryptoAttribute(`1 AEAD_AES_128_GCM inline:${b64(28)} UNAUTHENTICATED_SRTP`)));
      expect(e.message).to.contain('UNAUTHENTICATED_SRTP');
    });
  });

  describe('fuzz', () => {
    const valid = `1 AES_CM_128_HMAC_SHA1_80 inline:${b64(30)}|2^20|1:4;inline:${b64(30, 2)}|2^20|2:4 KDR=3 WSH=128`;

    function onlySdesErrors(input: string): void {
      try {
        const a = parseCryptoAttribute(input);
        formatCryptoLine(a);
        sdesToPolicy(a);
      } catch (err) {
        if (!(err instanceof SdesError)) throw err;
      }
    }

    it('random strings raise nothing but SdesError', () => {
      fc.assert(fc.property(fc.string({ maxLength: 200 }), onlySdesErrors), { numRuns: 500 });
      fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 120 }), onlySdesErrors), { numRuns: 300 });
    });

    it('mutated valid lines raise nothing but SdesError', () => {
      const alphabet = fc.constantFrom(...'0123456789|:;^= \t+/=AZaz_-inline:KDRWSHFEC_ORDERGCM'.split(''));
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(3), alphabet), { maxLength: 6 }), (edits) => {
          let s = valid;
          for (const [at, op, ch] of edits) {
            const i = at % (s.length + 1);
            if (op === 0) s = s.slice(0, i) + ch + s.slice(i);
            else if (op === 1) s = s.slice(0, i) + s.slice(i + 1);
            else if (op === 2) s = s.slice(0, i) + ch + s.slice(i + 1);
            else s = s.slice(0, i);
          }
          onlySdesErrors(s);
        }),
        { numRuns: 800 },
      );
    });
  });
});
