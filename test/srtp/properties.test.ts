// Property tests (fast-check, bounded) for every available backend: round trips, bit flips, replays, junk input.
import { expect } from 'chai';
import fc from 'fast-check';
import { availableSrtpBackends, createSrtpSession } from '../../ciphers/srtp/session.js';
import { SRTP_SUITE_NAMES, srtpSuite, type SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import { isSrtpFailure, SrtpStatus, type SrtpBackendName, type SrtpMasterKey, type SrtpPolicy, type SrtpResult } from '../../ciphers/srtp/types.js';
import { must, rtp, type RtpSpec } from './packets.js';

const RUNS = 150;

const suiteArb = fc.constantFrom(...SRTP_SUITE_NAMES);

/** A policy for a suite with random key material, optionally two keys with MKIs of a random length. */
function policyArb(suite: SrtpSuiteName): fc.Arbitrary<SrtpPolicy> {
  const s = srtpSuite(suite);
  const key = (mkiLen: number, i: number) =>
    fc.record({ key: fc.uint8Array({ minLength: s.keyLen, maxLength: s.keyLen }), salt: fc.uint8Array({ minLength: s.saltLen, maxLength: s.saltLen }) }).map((k) => {
      const mk: SrtpMasterKey = { key: k.key, salt: k.salt };
      if (mkiLen > 0) {
        mk.mki = new Uint8Array(mkiLen);
        mk.mki[mkiLen - 1] = i + 1;
      }
      return mk;
    });
  return fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 })).chain((mkiLen) =>
    fc.tuple(key(mkiLen, 0), key(mkiLen, 1), fc.boolean(), fc.constantFrom(0, 0, 1, 16, 1024)).map(([a, b, two, kdr]) => {
      const p: SrtpPolicy = { suite, keys: mkiLen > 0 && two ? [a, b] : [a] };
      if (kdr > 0) p.kdr = kdr;
      return p;
    }),
  );
}

const rtpSpecArb: fc.Arbitrary<Omit<RtpSpec, 'seq'>> = fc.record({
  ssrc: fc.integer({ min: 0, max: 0xffffffff }),
  ts: fc.integer({ min: 0, max: 0xffffffff }),
  pt: fc.integer({ min: 0, max: 127 }),
  marker: fc.boolean(),
  csrcs: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
  ext: fc.option(
    fc.record({ profile: fc.integer({ min: 0, max: 0xffff }), body: fc.integer({ min: 0, max: 6 }).chain((w) => fc.uint8Array({ minLength: w * 4, maxLength: w * 4 })) }),
    { nil: undefined },
  ),
  payload: fc.uint8Array({ maxLength: 300 }),
  padding: fc.integer({ min: 0, max: 8 }),
});

function rtcpArb(): fc.Arbitrary<Buffer> {
  return fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 120 })).map(([ssrc, body]) => {
    const b = Buffer.alloc(8 + body.length);
    b[0] = 0x80;
    b[1] = 200;
    b.writeUInt16BE(Math.floor((8 + body.length) / 4) - 1, 2);
    b.writeUInt32BE(ssrc, 4);
    b.set(body, 8);
    return b;
  });
}

function status(r: SrtpResult): SrtpStatus {
  return isSrtpFailure(r) ? r.status : SrtpStatus.Ok;
}

const KNOWN_STATUSES = [SrtpStatus.AuthFail, SrtpStatus.ReplayOld, SrtpStatus.ReplayDuplicate, SrtpStatus.Malformed, SrtpStatus.KeyExhausted, SrtpStatus.UnknownMki];

for (const backend of availableSrtpBackends() as SrtpBackendName[]) {
  const session = (p: SrtpPolicy) => createSrtpSession(p, { backend });

  describe(`SRTP properties (${backend} backend)`, () => {
    it('unprotect(protect(p)) == p for random suites, keys, SSRCs, ROCs, headers and runs across the wrap', () => {
      fc.assert(
        fc.property(
          suiteArb.chain((suite) => fc.tuple(policyArb(suite), rtpSpecArb, fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 3 }))),
          ([policy, spec, back, count, roc]) => {
            const tx = session(policy);
            const rx = session(policy);
            tx.setRoc(spec.ssrc!, roc);
            rx.setRoc(spec.ssrc!, roc);
            for (let i = 0; i < count; i++) {
              const p = rtp({ ...spec, seq: (65536 - back + i) & 0xffff });
              const wire = must(tx.protectRtp(p));
              expect(must(rx.unprotectRtp(wire))).to.deep.equal(p);
            }
            const last = (65536 - back + count - 1) & 0xffff;
            const wrapped = 65536 - back + count - 1 >= 65536 ? 1 : 0;
            expect(rx.stream(spec.ssrc!)).to.include({ seq: last, roc: roc + wrapped });
          },
        ),
        { numRuns: RUNS },
      );
    });

    it('SRTCP round trips, E=1 and E=0', () => {
      fc.assert(
        fc.property(
          suiteArb.chain((suite) => fc.tuple(policyArb(suite), fc.array(rtcpArb(), { minLength: 1, maxLength: 4 }), fc.boolean())),
          ([policy, packets, encrypt]) => {
            const p = { ...policy, encryptRtcp: encrypt };
            const tx = session(p);
            const rx = session(policy);
            for (const c of packets) expect(must(rx.unprotectRtcp(must(tx.protectRtcp(c))))).to.deep.equal(c);
          },
        ),
        { numRuns: RUNS },
      );
    });

    it('any single flipped bit of a protected RTP packet is refused (AuthFail; Malformed when it breaks the framing; UnknownMki in the MKI)', () => {
      fc.assert(
        fc.property(
          suiteArb.chain((suite) => fc.tuple(policyArb(suite), rtpSpecArb, fc.integer({ min: 0, max: 65535 }), fc.nat(), fc.integer({ min: 0, max: 7 }))),
          ([policy, spec, seq, at, bit]) => {
            const s = srtpSuite(policy.suite);
            const p = rtp({ ...spec, seq });
            const wire = Buffer.from(must(session(policy).protectRtp(p)));
            const i = at % wire.length;
            wire[i]! ^= 1 << bit;
            const rx = session(policy);
            const r = rx.unprotectRtp(wire);
            const mkiLen = policy.keys[0]!.mki?.length ?? 0;
            const mkiAt = s.aead ? p.length + s.srtpTagLen : p.length;
            const extLenAt = 12 + spec.csrcs!.length * 4 + 2;
            let allowed: SrtpStatus[];
            if (i >= mkiAt && i < mkiAt + mkiLen) allowed = [SrtpStatus.UnknownMki];
            else if (i === 0 && bit >= 6) allowed = [SrtpStatus.Malformed]; // version
            else if (i === 0 && bit !== 5) allowed = [SrtpStatus.Malformed, SrtpStatus.AuthFail]; // X or CC: framing
            else if (spec.ext && (i === extLenAt || i === extLenAt + 1)) allowed = [SrtpStatus.Malformed, SrtpStatus.AuthFail];
            else allowed = [SrtpStatus.AuthFail];
            expect(allowed, `flip byte ${i} bit ${bit} of ${wire.length}: ${String(r)}`).to.include(status(r));
            expect(rx.stream(spec.ssrc!)).to.equal(undefined);
          },
        ),
        { numRuns: RUNS * 2 },
      );
    });

    it('any single flipped bit of a protected RTCP packet is refused', () => {
      fc.assert(
        fc.property(suiteArb.chain((suite) => fc.tuple(policyArb(suite), rtcpArb(), fc.nat(), fc.integer({ min: 0, max: 7 }))), ([policy, c, at, bit]) => {
          const wire = Buffer.from(must(session(policy).protectRtcp(c)));
          const i = at % wire.length;
          wire[i]! ^= 1 << bit;
          const mkiLen = policy.keys[0]!.mki?.length ?? 0;
          const s = srtpSuite(policy.suite);
          const mkiAt = c.length + 4 + (s.aead ? s.srtcpTagLen : 0);
          const r = session(policy).unprotectRtcp(wire);
          let allowed: SrtpStatus[];
          if (i >= mkiAt && i < mkiAt + mkiLen) allowed = [SrtpStatus.UnknownMki];
          else if (i === 0 && bit >= 6) allowed = [SrtpStatus.Malformed];
          else allowed = [SrtpStatus.AuthFail];
          expect(allowed, `flip byte ${i} bit ${bit}: ${String(r)}`).to.include(status(r));
        }),
        { numRuns: RUNS * 2 },
      );
    });

    it('replays are refused: every second delivery of a packet fails as a duplicate (or too old)', () => {
      fc.assert(
        fc.property(
          suiteArb.chain((suite) => fc.tuple(policyArb(suite), fc.array(fc.integer({ min: 0, max: 39 }), { minLength: 1, maxLength: 80 }))),
          ([policy, order]) => {
            const tx = session(policy);
            const rx = session(policy);
            const wire = Array.from({ length: 40 }, (_, k) => must(tx.protectRtp(rtp({ seq: 1000 + k }))));
            const seen = new Set<number>();
            for (const k of order) {
              const r = rx.unprotectRtp(wire[k]!);
              if (seen.has(k)) expect([SrtpStatus.ReplayDuplicate, SrtpStatus.ReplayOld]).to.include(status(r));
              else expect(status(r), String(r)).to.equal(SrtpStatus.Ok);
              seen.add(k);
            }
          },
        ),
        { numRuns: RUNS },
      );
    });

    it('random bytes never throw (nor hang): unprotect and protect return a result', () => {
      fc.assert(
        fc.property(suiteArb.chain((suite) => fc.tuple(policyArb(suite), fc.uint8Array({ maxLength: 200 }), fc.boolean())), ([policy, bytes, v2]) => {
          if (v2 && bytes.length > 0) bytes[0] = (bytes[0]! & 0x3f) | 0x80; // half of them look like RTP/RTCP version 2
          const s = session(policy);
          for (const r of [s.unprotectRtp(bytes), s.unprotectRtcp(bytes)]) {
            expect(isSrtpFailure(r), 'junk must not authenticate').to.equal(true);
            if (isSrtpFailure(r)) expect(KNOWN_STATUSES).to.include(r.status);
          }
          for (const r of [s.protectRtp(bytes), s.protectRtcp(bytes)]) {
            if (isSrtpFailure(r)) expect(r.status).to.equal(SrtpStatus.Malformed);
          }
        }),
        { numRuns: RUNS * 3 },
      );
    });
  });
}
