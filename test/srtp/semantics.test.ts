// SRTP/SRTCP session semantics, run against every available backend: ROC, replay, KDR, MKI, E flag, lifetimes,
// header shapes, per-SSRC state, failure hygiene (typed, no throw, no state change) and the batch API.
import { expect } from 'chai';
import { createCipheriv, createHmac } from 'node:crypto';
import { availableSrtpBackends, createSrtpSession } from '../../ciphers/srtp/session.js';
import { SRTP_SUITE_NAMES, srtpSuite, type SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import {
  isSrtpFailure,
  SrtpError,
  SrtpFailure,
  SrtpStatus,
  type SrtpBackendName,
  type SrtpBatch,
  type SrtpPolicy,
  type SrtpResult,
  type SrtpSession,
} from '../../ciphers/srtp/types.js';
import { masterKey, must, rtcpSr, rtp } from './packets.js';

function failure(r: SrtpResult): SrtpFailure {
  if (!isSrtpFailure(r)) throw new Error(`expected a failure, got a ${r.length}-byte packet`);
  expect(r.detail).to.be.a('string').and.not.equal('');
  return r;
}

function expectStatus(r: SrtpResult, status: SrtpStatus): SrtpFailure {
  const f = failure(r);
  expect(f.status, f.toString()).to.equal(status);
  return f;
}

const CM: SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80';
const GCM: SrtpSuiteName = 'AEAD_AES_128_GCM';

// ---- an independent AES-CM/HMAC-SHA1 reference (node:crypto only), for the KDR checks -------------------------------

function refPrf(masterKey: Buffer, masterSalt: Buffer, label: number, r: number, n: number): Buffer {
  const x = Buffer.alloc(16);
  masterSalt.copy(x);
  x[7]! ^= label;
  const rb = Buffer.alloc(8);
  rb.writeBigUInt64BE(BigInt(r));
  for (let i = 0; i < 6; i++) x[8 + i]! ^= rb[2 + i]!;
  const alg = `aes-${masterKey.length * 8}-ctr`;
  return createCipheriv(alg, masterKey, x).update(Buffer.alloc(n));
}

/** RFC 3711 protect of one RTP packet (12-byte header) at `index` with kdr, computed from scratch. */
function refProtectRtp(suite: SrtpSuiteName, mk: Buffer, ms: Buffer, kdr: number, index: number, packet: Buffer): Buffer {
  const s = srtpSuite(suite);
  const r = kdr === 0 ? 0 : Math.floor(index / kdr);
  const ke = refPrf(mk, ms, 0, r, s.keyLen);
  const ka = refPrf(mk, ms, 1, r, 20);
  const ks = refPrf(mk, ms, 2, r, 14);
  const iv = Buffer.alloc(16);
  ks.copy(iv);
  for (let i = 0; i < 4; i++) iv[4 + i]! ^= packet[8 + i]!;
  const ib = Buffer.alloc(8);
  ib.writeBigUInt64BE(BigInt(index));
  for (let i = 0; i < 6; i++) iv[8 + i]! ^= ib[2 + i]!;
  const ct = createCipheriv(`aes-${s.keyLen * 8}-ctr`, ke, iv).update(packet.subarray(12));
  const roc = Buffer.alloc(4);
  roc.writeUInt32BE(Math.floor(index / 65536));
  const body = Buffer.concat([packet.subarray(0, 12), ct]);
  const tag = createHmac('sha1', ka).update(body).update(roc).digest().subarray(0, s.srtpTagLen);
  return Buffer.concat([body, tag]);
}

/** RFC 3711 SRTCP protect (E=1) at `index` with kdr, from scratch. */
function refProtectRtcp(suite: SrtpSuiteName, mk: Buffer, ms: Buffer, kdr: number, index: number, packet: Buffer): Buffer {
  const s = srtpSuite(suite);
  const r = kdr === 0 ? 0 : Math.floor(index / kdr);
  const ke = refPrf(mk, ms, 3, r, s.keyLen);
  const ka = refPrf(mk, ms, 4, r, 20);
  const ks = refPrf(mk, ms, 5, r, 14);
  const iv = Buffer.alloc(16);
  ks.copy(iv);
  for (let i = 0; i < 4; i++) iv[4 + i]! ^= packet[4 + i]!;
  const ib = Buffer.alloc(4);
  ib.writeUInt32BE(index);
  for (let i = 0; i < 4; i++) iv[10 + i]! ^= ib[i]!;
  const ct = createCipheriv(`aes-${s.keyLen * 8}-ctr`, ke, iv).update(packet.subarray(8));
  const ei = Buffer.alloc(4);
  ei.writeUInt32BE((0x80000000 | index) >>> 0);
  const body = Buffer.concat([packet.subarray(0, 8), ct, ei]);
  return Buffer.concat([body, createHmac('sha1', ka).update(body).digest().subarray(0, 10)]);
}

for (const backend of availableSrtpBackends() as SrtpBackendName[]) {
  const session = (policy: SrtpPolicy): SrtpSession => createSrtpSession(policy, { backend });
  const pair = (policy: SrtpPolicy) => ({ tx: session(policy), rx: session(policy) });

  describe(`SRTP semantics (${backend} backend)`, () => {
    describe('rollover counter', () => {
      for (const suite of [CM, GCM, 'NULL_HMAC_SHA1_80'] as SrtpSuiteName[]) {
        it(`${suite}: wraps 65535 -> 0 on sender and receiver`, () => {
          const { tx, rx } = pair({ suite, keys: [masterKey(suite, 1)] });
          for (const seq of [65533, 65534, 65535, 0, 1, 2]) {
            const plain = rtp({ seq });
            const wire = must(tx.protectRtp(plain));
            expect(must(rx.unprotectRtp(wire))).to.deep.equal(plain);
          }
          expect(tx.stream(0x12345678)).to.include({ roc: 1, seq: 2, rtpPackets: 6 });
          expect(rx.stream(0x12345678)).to.include({ roc: 1, seq: 2, rtpPackets: 6 });
          // The packet at seq 0 was protected under ROC 1: a fresh sender told ROC 1 produces the same bytes.
          const fresh = session({ suite, keys: [masterKey(suite, 1)] });
          fresh.setRoc(0x12345678, 1);
          const again = must(fresh.protectRtp(rtp({ seq: 0 })));
          const tx2 = session({ suite, keys: [masterKey(suite, 1)] });
          must(tx2.protectRtp(rtp({ seq: 65535 })));
          expect(must(tx2.protectRtp(rtp({ seq: 0 })))).to.deep.equal(again);
        });
      }

      it('receiver: late packets from before the wrap keep ROC-1, then in-order continues', () => {
        const { tx, rx } = pair({ suite: CM, keys: [masterKey(CM, 2)] });
        const wire = new Map<number, Buffer>();
        for (const seq of [65533, 65534, 65535, 0, 1]) wire.set(seq, must(tx.protectRtp(rtp({ seq }))));
        for (const seq of [65533, 65535, 0, 65534, 1]) expect(must(rx.unprotectRtp(wire.get(seq)!))).to.deep.equal(rtp({ seq }));
        expect(rx.stream(0x12345678)).to.include({ roc: 1, seq: 1 });
      });

      it('setRoc joins a call in progress (ROC signalled out of band)', () => {
        const tx = session({ suite: CM, keys: [masterKey(CM, 3)] });
        tx.setRoc(0x12345678, 7);
        const wire = must(tx.protectRtp(rtp({ seq: 100 })));
        const late = session({ suite: CM, keys: [masterKey(CM, 3)] });
        expectStatus(late.unprotectRtp(wire), SrtpStatus.AuthFail); // assumes ROC 0
        expect(late.stream(0x12345678)).to.equal(undefined);
        late.setRoc(0x12345678, 7);
        expect(late.stream(0x12345678)).to.include({ roc: 7, seq: -1 });
        expect(must(late.unprotectRtp(wire))).to.deep.equal(rtp({ seq: 100 }));
        expect(late.stream(0x12345678)).to.include({ roc: 7, seq: 100 });
      });

      it('a forged packet that would advance the ROC changes nothing', () => {
        const { tx, rx } = pair({ suite: CM, keys: [masterKey(CM, 4)] });
        must(rx.unprotectRtp(must(tx.protectRtp(rtp({ seq: 65000 })))));
        const forged = must(tx.protectRtp(rtp({ seq: 10 }))); // genuinely ROC 1
        forged[forged.length - 1]! ^= 1;
        expectStatus(rx.unprotectRtp(forged), SrtpStatus.AuthFail);
        expect(rx.stream(0x12345678)).to.include({ roc: 0, seq: 65000, rtpPackets: 1 });
        forged[forged.length - 1]! ^= 1; // the genuine packet is still accepted afterwards
        expect(must(rx.unprotectRtp(forged))).to.deep.equal(rtp({ seq: 10 }));
        expect(rx.stream(0x12345678)).to.include({ roc: 1, seq: 10, rtpPackets: 2 });
      });
    });

    describe('replay protection', () => {
      it('accepts reordering inside the window, refuses duplicates and packets older than the window', () => {
        const { tx, rx } = pair({ suite: CM, keys: [masterKey(CM, 5)] });
        const wire: Buffer[] = [];
        for (let seq = 1; seq <= 300; seq++) wire[seq] = must(tx.protectRtp(rtp({ seq })));
        // Deliver 1..300 with each block of 8 reversed.
        for (let b = 1; b <= 300; b += 8) {
          for (let seq = Math.min(b + 7, 300); seq >= b; seq--) must(rx.unprotectRtp(wire[seq]!), `seq ${seq}`);
        }
        expect(rx.stream(0x12345678)).to.include({ seq: 300, rtpPackets: 300 });
        expectStatus(rx.unprotectRtp(wire[300]!), SrtpStatus.ReplayDuplicate);
        expectStatus(rx.unprotectRtp(wire[173]!), SrtpStatus.ReplayDuplicate); // 127 behind: still in the window
        expectStatus(rx.unprotectRtp(wire[172]!), SrtpStatus.ReplayOld); // 128 behind: outside the default window
        expect(rx.stream(0x12345678)).to.include({ seq: 300, rtpPackets: 300 });
      });

      it('late first-time packets inside the window are accepted exactly once', () => {
        const { tx, rx } = pair({ suite: GCM, keys: [masterKey(GCM, 5)] });
        const wire: Buffer[] = [];
        for (let seq = 1; seq <= 200; seq++) wire[seq] = must(tx.protectRtp(rtp({ seq })));
        for (let seq = 1; seq <= 200; seq++) if (seq !== 150) must(rx.unprotectRtp(wire[seq]!));
        expect(must(rx.unprotectRtp(wire[150]!))).to.deep.equal(rtp({ seq: 150 }));
        expectStatus(rx.unprotectRtp(wire[150]!), SrtpStatus.ReplayDuplicate);
      });

      for (const w of [64, 1024]) {
        it(`replayWindow ${w} sets how far back a late packet may be`, () => {
          const { tx, rx } = pair({ suite: CM, keys: [masterKey(CM, 6)], replayWindow: w });
          const wire: Buffer[] = [];
          for (let seq = 1; seq <= 2000; seq++) wire[seq] = must(tx.protectRtp(rtp({ seq })));
          must(rx.unprotectRtp(wire[2000]!));
          must(rx.unprotectRtp(wire[2000 - (w - 1)]!));
          expectStatus(rx.unprotectRtp(wire[2000 - w]!), SrtpStatus.ReplayOld);
        });
      }

      it('SRTCP has its own window on the SRTCP index', () => {
        const { tx, rx } = pair({ suite: CM, keys: [masterKey(CM, 7)] });
        const a = must(tx.protectRtcp(rtcpSr()));
        const b = must(tx.protectRtcp(rtcpSr()));
        must(rx.unprotectRtcp(b));
        must(rx.unprotectRtcp(a));
        expectStatus(rx.unprotectRtcp(a), SrtpStatus.ReplayDuplicate);
        expect(rx.stream(0x12345678)).to.include({ srtcpIndex: 2, rtcpPackets: 2 });
        expect(tx.stream(0x12345678)).to.include({ srtcpIndex: 2, rtcpPackets: 2 });
      });
    });

    describe('key derivation rate', () => {
      for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_256_CM_HMAC_SHA1_32'] as SrtpSuiteName[]) {
        it(`${suite}: kdr 4 re-derives the session keys when index DIV 4 changes (independent reference)`, () => {
          const k = masterKey(suite, 8);
          const mk = Buffer.from(k.key);
          const ms = Buffer.from(k.salt);
          const { tx, rx } = pair({ suite, keys: [k], kdr: 4 });
          const plain0 = session({ suite, keys: [k] });
          for (let seq = 0; seq < 14; seq++) {
            const p = rtp({ seq, payload: Buffer.alloc(40, seq) });
            const wire = must(tx.protectRtp(p));
            expect(wire.toString('hex'), `seq ${seq}`).to.equal(refProtectRtp(suite, mk, ms, 4, seq, p).toString('hex'));
            const noKdr = must(plain0.protectRtp(p));
            if (seq < 4) expect(wire).to.deep.equal(noKdr); // r = 0: the same keys as kdr 0
            else expect(wire).to.not.deep.equal(noKdr);
            expect(must(rx.unprotectRtp(wire))).to.deep.equal(p);
          }
          // Across the wrap the index (not the sequence number) drives r.
          const tx2 = session({ suite, keys: [k], kdr: 65536 });
          tx2.setRoc(0x12345678, 2);
          const p = rtp({ seq: 5 });
          expect(must(tx2.protectRtp(p)).toString('hex')).to.equal(refProtectRtp(suite, mk, ms, 65536, 2 * 65536 + 5, p).toString('hex'));
          // SRTCP: r = SRTCP index DIV kdr.
          for (let i = 1; i <= 9; i++) {
            const sr = rtcpSr();
            expect(must(tx.protectRtcp(sr)).toString('hex'), `SRTCP ${i}`).to.equal(refProtectRtcp(suite, mk, ms, 4, i, sr).toString('hex'));
          }
        });
      }

      it('a receiver with the wrong kdr fails authentication once r differs', () => {
        const k = masterKey(CM, 9);
        const tx = session({ suite: CM, keys: [k], kdr: 2 });
        const rx = session({ suite: CM, keys: [k] });
        must(rx.unprotectRtp(must(tx.protectRtp(rtp({ seq: 1 })))));
        expectStatus(rx.unprotectRtp(must(tx.protectRtp(rtp({ seq: 2 })))), SrtpStatus.AuthFail);
      });
    });

    describe('MKI', () => {
      for (const suite of [CM, GCM, 'AES_256_CM_HMAC_SHA1_32'] as SrtpSuiteName[]) {
        it(`${suite}: the MKI selects the master key on receive; an unknown MKI is refused`, () => {
          const keys = [1, 2, 3].map((i) => masterKey(suite, 10 + i, Buffer.from([0, 0, 0, i])));
          const rx = session({ suite, keys });
          for (const i of [2, 0, 1]) {
            const tx = session({ suite, keys: [keys[i]!, ...keys.filter((_, j) => j !== i)] });
            const p = rtp({ seq: 10 + i });
            const wire = must(tx.protectRtp(p));
            expect(wire.length).to.equal(p.length + 4 + srtpSuite(suite).srtpTagLen);
            expect(must(rx.unprotectRtp(wire))).to.deep.equal(p);
            const c = rtcpSr(0x100 + i, 8); // a fresh sender per key: one SSRC each, so SRTCP index 1 is no replay
            expect(must(rx.unprotectRtcp(must(tx.protectRtcp(c))))).to.deep.equal(c);
          }
          const other = session({ suite, keys: [masterKey(suite, 20, Buffer.from([0, 0, 0, 9]))] });
          const p = rtp({ seq: 50 });
          const f = expectStatus(rx.unprotectRtp(must(other.protectRtp(p))), SrtpStatus.UnknownMki);
          expect(rx.stream(0x12345678)).to.include({ seq: 12, rtpPackets: 3 });
          if (backend === 'ts') expect(f.detail).to.contain('00000009');
          expectStatus(rx.unprotectRtcp(must(other.protectRtcp(rtcpSr()))), SrtpStatus.UnknownMki);
        });
      }

      it('a policy mixing keys with and without MKI, or several keys without, is refused', () => {
        expect(() => session({ suite: CM, keys: [masterKey(CM, 1, Buffer.from([1])), masterKey(CM, 2)] })).to.throw(SrtpError, /MKI/);
        expect(() => session({ suite: CM, keys: [masterKey(CM, 1), masterKey(CM, 2)] })).to.throw(SrtpError, /MKI/);
        expect(() => session({ suite: CM, keys: [masterKey(CM, 1, Buffer.from([1])), masterKey(CM, 2, Buffer.from([1, 2]))] })).to.throw(SrtpError, /length/);
      });
    });

    describe('SRTCP E flag and session parameters', () => {
      for (const suite of [CM, GCM, 'AES_192_CM_HMAC_SHA1_32'] as SrtpSuiteName[]) {
        it(`${suite}: encryptRtcp=false sends E=0 with the payload in clear, still authenticated`, () => {
          const tx = session({ suite, keys: [masterKey(suite, 30)], encryptRtcp: false });
          const rx = session({ suite, keys: [masterKey(suite, 30)] }); // the receiver follows the E flag
          const c = rtcpSr(0x12345678, 12);
          const wire = must(tx.protectRtcp(c));
          const s = srtpSuite(suite);
          expect(wire.subarray(0, c.length)).to.deep.equal(c);
          const eAt = s.aead ? c.length + 16 : c.length;
          expect(wire.readUInt32BE(eAt)).to.equal(1); // E=0, index 1
          expect(wire.length).to.equal(c.length + 4 + s.srtcpTagLen);
          expect(must(rx.unprotectRtcp(wire))).to.deep.equal(c);
          const tampered = Buffer.from(must(tx.protectRtcp(c)));
          tampered[10]! ^= 0x40;
          expectStatus(rx.unprotectRtcp(tampered), SrtpStatus.AuthFail);
          // E=1 by default: encrypted, and flipping E is caught by authentication.
          const enc = must(session({ suite, keys: [masterKey(suite, 30)] }).protectRtcp(c));
          expect(enc.readUInt32BE(eAt) >>> 31).to.equal(1);
          expect(enc.subarray(8, c.length)).to.not.deep.equal(c.subarray(8));
          enc[eAt]! ^= 0x80;
          expectStatus(session({ suite, keys: [masterKey(suite, 30)] }).unprotectRtcp(enc), SrtpStatus.AuthFail);
        });
      }

      it('HMAC suites always use an 80-bit SRTCP tag, even the _32 ones', () => {
        for (const suite of ['AES_CM_128_HMAC_SHA1_32', 'AES_256_CM_HMAC_SHA1_32', 'NULL_HMAC_SHA1_32'] as SrtpSuiteName[]) {
          const tx = session({ suite, keys: [masterKey(suite, 31)] });
          expect(must(tx.protectRtp(rtp({ seq: 1 }))).length).to.equal(rtp({ seq: 1 }).length + 4);
          expect(must(tx.protectRtcp(rtcpSr())).length).to.equal(rtcpSr().length + 4 + 10);
        }
      });

      it('UNENCRYPTED_SRTP keeps the payload clear; UNAUTHENTICATED_SRTP sends no tag', () => {
        const p = rtp({ seq: 3 });
        const clear = must(session({ suite: CM, keys: [masterKey(CM, 32)], encryptRtp: false }).protectRtp(p));
        expect(clear.subarray(0, p.length)).to.deep.equal(p);
        expect(clear.length).to.equal(p.length + 10);
        expect(must(session({ suite: CM, keys: [masterKey(CM, 32)], encryptRtp: false }).unprotectRtp(clear))).to.deep.equal(p);
        const noAuth = { suite: CM, keys: [masterKey(CM, 32)], authenticateRtp: false } as SrtpPolicy;
        const wire = must(session(noAuth).protectRtp(p));
        expect(wire.length).to.equal(p.length);
        expect(wire.subarray(12)).to.not.deep.equal(p.subarray(12));
        expect(must(session(noAuth).unprotectRtp(wire))).to.deep.equal(p);
        // SRTCP stays authenticated under UNAUTHENTICATED_SRTP.
        expect(must(session(noAuth).protectRtcp(rtcpSr())).length).to.equal(rtcpSr().length + 14);
      });

      it('AEAD suites refuse UNAUTHENTICATED_SRTP and UNENCRYPTED_SRTP in the policy', () => {
        expect(() => session({ suite: GCM, keys: [masterKey(GCM, 1)], authenticateRtp: false })).to.throw(SrtpError);
        expect(() => session({ suite: GCM, keys: [masterKey(GCM, 1)], encryptRtp: false })).to.throw(SrtpError);
      });
    });

    describe('key lifetime', () => {
      it('a key protects `lifetime` SRTP and `lifetime` SRTCP packets, then KeyExhausted (send and receive)', () => {
        const k = { ...masterKey(CM, 40), lifetime: 3 };
        const tx = session({ suite: CM, keys: [k] });
        const big = session({ suite: CM, keys: [masterKey(CM, 40)] });
        const rx = session({ suite: CM, keys: [k] });
        for (let seq = 1; seq <= 3; seq++) must(rx.unprotectRtp(must(tx.protectRtp(rtp({ seq })))));
        expectStatus(tx.protectRtp(rtp({ seq: 4 })), SrtpStatus.KeyExhausted);
        expect(tx.stream(0x12345678)).to.include({ seq: 3, rtpPackets: 3 });
        for (let seq = 1; seq <= 4; seq++) must(big.protectRtp(rtp({ seq })));
        expectStatus(rx.unprotectRtp(must(big.protectRtp(rtp({ seq: 5 })))), SrtpStatus.KeyExhausted);
        expect(rx.stream(0x12345678)).to.include({ seq: 3, rtpPackets: 3 });
        // SRTCP counts separately.
        for (let i = 0; i < 3; i++) must(tx.protectRtcp(rtcpSr()));
        expectStatus(tx.protectRtcp(rtcpSr()), SrtpStatus.KeyExhausted);
      });

      it('the SRTP index space ends at 2^48: no ROC past 2^32-1 (send and receive)', () => {
        const { tx, rx } = pair({ suite: GCM, keys: [masterKey(GCM, 43)] });
        tx.setRoc(0x12345678, 0xffffffff);
        rx.setRoc(0x12345678, 0xffffffff);
        must(rx.unprotectRtp(must(tx.protectRtp(rtp({ seq: 65535 })))));
        expectStatus(tx.protectRtp(rtp({ seq: 0 })), SrtpStatus.KeyExhausted);
        expect(tx.stream(0x12345678)).to.include({ roc: 0xffffffff, seq: 65535 });
        // A packet that would need ROC 2^32 on the receiver is refused the same way (before any crypto).
        expectStatus(rx.unprotectRtp(Buffer.concat([rtp({ seq: 1 }), Buffer.alloc(16)])), SrtpStatus.KeyExhausted);
        expect(rx.stream(0x12345678)).to.include({ roc: 0xffffffff, seq: 65535 });
      });

      it('the lifetime is per master key and counts every SSRC', () => {
        const a = { ...masterKey(CM, 41, Buffer.from([1])), lifetime: 2 };
        const b = { ...masterKey(CM, 42, Buffer.from([2])), lifetime: 100 };
        const tx = session({ suite: CM, keys: [a, b] });
        must(tx.protectRtp(rtp({ seq: 1, ssrc: 1 })));
        must(tx.protectRtp(rtp({ seq: 1, ssrc: 2 })));
        expectStatus(tx.protectRtp(rtp({ seq: 1, ssrc: 3 })), SrtpStatus.KeyExhausted);
        const tx2 = session({ suite: CM, keys: [b, a] });
        const rx = session({ suite: CM, keys: [a, b] });
        for (let seq = 1; seq <= 5; seq++) must(rx.unprotectRtp(must(tx2.protectRtp(rtp({ seq })))));
      });
    });

    describe('header shapes', () => {
      for (const suite of SRTP_SUITE_NAMES) {
        it(`${suite}: CSRCs, a header extension and padding stay framed; the header stays clear and authenticated`, () => {
          const { tx, rx } = pair({ suite, keys: [masterKey(suite, 50)] });
          const p = rtp({ seq: 9, csrcs: [0xc5c50001, 0xc5c50002, 0xc5c50003], ext: { profile: 0xbede, body: Buffer.from('10aa21bbcc000000', 'hex') }, padding: 5, marker: true, pt: 8 });
          const h = 12 + 12 + 4 + 8;
          const wire = must(tx.protectRtp(p));
          expect(wire.subarray(0, h)).to.deep.equal(p.subarray(0, h));
          if (srtpSuite(suite).cipher !== 'null') expect(wire.subarray(p.length - 5, p.length)).to.not.deep.equal(p.subarray(p.length - 5)); // padding encrypted
          for (const at of [1, 13, h - 6, h - 1]) {
            const t = Buffer.from(wire);
            t[at]! ^= 0x08;
            expectStatus(rx.unprotectRtp(t), SrtpStatus.AuthFail);
          }
          expect(must(rx.unprotectRtp(wire))).to.deep.equal(p);
          // Header-only packets (no payload) work too.
          const bare = rtp({ seq: 10, payload: Buffer.alloc(0) });
          expect(must(rx.unprotectRtp(must(tx.protectRtp(bare))))).to.deep.equal(bare);
        });
      }

      it('malformed packets are refused with a precise failure, never thrown', () => {
        const s = session({ suite: CM, keys: [masterKey(CM, 51)] });
        const cases: [string, Buffer, SrtpStatus][] = [
          ['short', Buffer.from('8000', 'hex'), SrtpStatus.Malformed],
          ['version 1', Buffer.from('400000010000000012345678aabbccdd', 'hex'), SrtpStatus.Malformed],
          ['CSRC count past the end', Buffer.from('8f00000100000000123456780000000100000002', 'hex'), SrtpStatus.Malformed],
          ['extension header past the end', Buffer.from('9000000100000000123456780000', 'hex'), SrtpStatus.Malformed],
          ['extension body past the end', Buffer.from('900000010000000012345678bede0009aabbccdd', 'hex'), SrtpStatus.Malformed],
        ];
        for (const [what, p, st] of cases) {
          expectStatus(s.protectRtp(p), st);
          const padded = Buffer.concat([p, Buffer.alloc(10)]); // room for a tag: the header itself is what is wrong
          const f = expectStatus(s.unprotectRtp(padded), what === 'short' ? SrtpStatus.Malformed : st);
          if (backend === 'ts' && what === 'extension body past the end') expect(f.detail).to.match(/extension.*runs past/);
          if (backend === 'ts' && what === 'version 1') expect(f.detail).to.contain('version');
        }
        expectStatus(s.protectRtcp(Buffer.from('80c80001', 'hex')), SrtpStatus.Malformed);
        expectStatus(s.unprotectRtcp(Buffer.alloc(10)), SrtpStatus.Malformed);
        expect(s.stream(0x12345678)).to.equal(undefined);
      });
    });

    describe('streams', () => {
      it('SSRCs of one session keep independent ROC, sequence and replay state', () => {
        const { tx, rx } = pair({ suite: GCM, keys: [masterKey(GCM, 60)] });
        const a = [65535, 0, 1].map((seq) => must(tx.protectRtp(rtp({ seq, ssrc: 0xa }))));
        const b = [65535, 7].map((seq) => must(tx.protectRtp(rtp({ seq, ssrc: 0xb }))));
        for (const w of [...a, ...b]) must(rx.unprotectRtp(w));
        expect(rx.stream(0xa)).to.include({ roc: 1, seq: 1, rtpPackets: 3 });
        expect(rx.stream(0xb)).to.include({ roc: 1, seq: 7, rtpPackets: 2 });
        // Same sequence number, other SSRC: not a replay.
        must(rx.unprotectRtp(must(tx.protectRtp(rtp({ seq: 2, ssrc: 0xc })))));
        expectStatus(rx.unprotectRtp(a[2]!), SrtpStatus.ReplayDuplicate);
        expect(rx.stream(0xc)).to.include({ roc: 0, seq: 2 });
        expect(rx.stream(0xd)).to.equal(undefined);
      });

      it('a failed unprotect creates no stream and changes no counters', () => {
        const { tx, rx } = pair({ suite: CM, keys: [masterKey(CM, 61)] });
        const w = must(tx.protectRtp(rtp({ seq: 1, ssrc: 0xfeed })));
        w[20]! ^= 1;
        expectStatus(rx.unprotectRtp(w), SrtpStatus.AuthFail);
        expect(rx.stream(0xfeed)).to.equal(undefined);
      });
    });

    describe('buffers and batches', () => {
      it('single-packet calls return new buffers and leave their input untouched', () => {
        for (const suite of [CM, GCM]) {
          const { tx, rx } = pair({ suite, keys: [masterKey(suite, 70)] });
          const p = rtp({ seq: 1 });
          const copy = Buffer.from(p);
          const w = must(tx.protectRtp(p));
          expect(p).to.deep.equal(copy);
          const wc = Buffer.from(w);
          const back = must(rx.unprotectRtp(w));
          expect(w).to.deep.equal(wc);
          expect(back.buffer === w.buffer && back.byteOffset === w.byteOffset).to.equal(false);
          // Plain Uint8Array input works as well.
          const u8 = new Uint8Array(rtp({ seq: 2 }));
          expect(must(rx.unprotectRtp(must(tx.protectRtp(u8))))).to.deep.equal(Buffer.from(u8));
        }
      });

      for (const suite of [CM, GCM, 'NULL_HMAC_SHA1_32'] as SrtpSuiteName[]) {
        it(`${suite}: batch calls work in place and equal the single-packet results`, () => {
          const key = masterKey(suite, 71, Buffer.from([0xab, 0xcd]));
          const single = pair({ suite, keys: [key] });
          const batched = pair({ suite, keys: [key] });
          const slot = 400;
          const plains = [1, 2, 3, 4, 5].map((seq) => rtp({ seq, payload: Buffer.alloc(seq * 30, seq), csrcs: seq === 3 ? [1, 2] : [] }));
          const data = Buffer.alloc(slot * plains.length);
          const batch: SrtpBatch = { data, offsets: new Uint32Array(plains.length), lengths: new Uint32Array(plains.length), status: new Uint8Array(plains.length), count: plains.length };
          plains.forEach((p, k) => {
            batch.offsets[k] = k * slot;
            batch.lengths[k] = p.length;
            p.copy(data, k * slot);
          });
          data[2 * slot]! = 0x40; // packet 2: RTP version 1
          expect(batched.tx.protectRtpBatch(batch)).to.equal(1);
          expect(Array.from(batch.status)).to.deep.equal([0, 0, SrtpStatus.Malformed, 0, 0]);
          plains.forEach((p, k) => {
            if (k === 2) return;
            const want = must(single.tx.protectRtp(p));
            expect(batch.lengths[k]).to.equal(want.length);
            expect(data.subarray(k * slot, k * slot + want.length)).to.deep.equal(want);
          });
          batch.lengths[2] = 40; // a too-short SRTP packet for unprotect
          data[3 * slot + 15]! ^= 0x01; // packet 3 tampered
          expect(batched.rx.unprotectRtpBatch(batch)).to.equal(2);
          expect(Array.from(batch.status)).to.deep.equal([0, 0, batch.status[2], SrtpStatus.AuthFail, 0]);
          expect([SrtpStatus.Malformed, SrtpStatus.AuthFail]).to.include(batch.status[2]);
          for (const k of [0, 1, 4]) expect(data.subarray(k * slot, k * slot + batch.lengths[k]!)).to.deep.equal(plains[k]);
          // RTCP batches.
          const rtcpPlain = [rtcpSr(1), rtcpSr(2, 16)];
          const rb: SrtpBatch = { data: Buffer.alloc(2 * slot), offsets: Uint32Array.from([0, slot]), lengths: Uint32Array.from(rtcpPlain.map((p) => p.length)), status: new Uint8Array(2), count: 2 };
          rtcpPlain.forEach((p, k) => p.copy(rb.data, k * slot));
          expect(batched.tx.protectRtcpBatch(rb)).to.equal(0);
          expect(batched.rx.unprotectRtcpBatch(rb)).to.equal(0);
          rtcpPlain.forEach((p, k) => expect(rb.data.subarray(k * slot, k * slot + rb.lengths[k]!)).to.deep.equal(p));
        });
      }
    });

    it('after close() calls return a failure instead of throwing', () => {
      const s = session({ suite: CM, keys: [masterKey(CM, 80)] });
      s.close();
      failure(s.protectRtp(rtp({ seq: 1 })));
      failure(s.unprotectRtcp(Buffer.alloc(40)));
    });
  });
}

describe('SRTP policy validation', () => {
  const bad: [string, SrtpPolicy, RegExp][] = [
    ['unknown suite', { suite: 'AES_CM_512' as SrtpSuiteName, keys: [masterKey(CM, 1)] }, /unknown suite/],
    ['no keys', { suite: CM, keys: [] }, /at least one/],
    ['short key', { suite: CM, keys: [{ key: Buffer.alloc(15), salt: Buffer.alloc(14) }] }, /key is 15 bytes.*needs 16/],
    ['GCM salt of 14', { suite: GCM, keys: [{ key: Buffer.alloc(16), salt: Buffer.alloc(14) }] }, /salt is 14 bytes.*needs 12/],
    ['kdr not a power of two', { suite: CM, keys: [masterKey(CM, 1)], kdr: 3 }, /kdr 3/],
    ['kdr too large', { suite: CM, keys: [masterKey(CM, 1)], kdr: 2 ** 25 }, /kdr/],
    ['window too small', { suite: CM, keys: [masterKey(CM, 1)], replayWindow: 32 }, /replayWindow 32/],
    ['MKI too long', { suite: CM, keys: [masterKey(CM, 1, Buffer.alloc(129))] }, /1\.\.128/],
    ['duplicate MKI', { suite: CM, keys: [masterKey(CM, 1, Buffer.from([1])), masterKey(CM, 2, Buffer.from([1]))] }, /used by an earlier key/],
    ['lifetime 0', { suite: CM, keys: [{ ...masterKey(CM, 1), lifetime: 0 }] }, /lifetime/],
  ];
  for (const [what, policy, msg] of bad) {
    it(`refuses ${what} with a clear SrtpError`, () => {
      expect(() => createSrtpSession(policy, { backend: 'ts' })).to.throw(SrtpError, msg);
    });
  }

  it('knows its backends: always ts; auto picks one of them', () => {
    const list = availableSrtpBackends();
    expect(list).to.include('ts');
    const s = createSrtpSession({ suite: CM, keys: [masterKey(CM, 1)] });
    expect(list).to.include(s.backend);
    expect(createSrtpSession({ suite: CM, keys: [masterKey(CM, 1)] }, { backend: 'ts' }).backend).to.equal('ts');
  });
});

describe('SRTP semantics (ts backend internals)', () => {
  it('the SRTCP index space ends at 2^31 per sender stream (counter set through the test-only internals)', () => {
    const tx = createSrtpSession({ suite: CM, keys: [masterKey(CM, 90)] }, { backend: 'ts' });
    must(tx.protectRtcp(rtcpSr()));
    // Test-only: jump the sender's SRTCP index near the end instead of sending 2^31 packets.
    const internals = tx as unknown as { streams: Map<number, { tx: { rtcpIndex: number } }> };
    internals.streams.get(0x12345678)!.tx.rtcpIndex = 2 ** 31 - 2;
    const last = must(tx.protectRtcp(rtcpSr()));
    expect(last.readUInt32BE(rtcpSr().length)).to.equal((0x80000000 | (2 ** 31 - 1)) >>> 0);
    expectStatus(tx.protectRtcp(rtcpSr()), SrtpStatus.KeyExhausted);
    const rx = createSrtpSession({ suite: CM, keys: [masterKey(CM, 90)] }, { backend: 'ts' });
    expect(must(rx.unprotectRtcp(last))).to.deep.equal(rtcpSr());
    expect(rx.stream(0x12345678)).to.include({ srtcpIndex: 2 ** 31 - 1 });
  });
});
