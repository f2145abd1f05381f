// The native core against the TypeScript backend (the reference): random policies and random sequences of protect,
// unprotect (in order, reordered, replayed, tampered, truncated), garbage, setRoc and batch calls must give the same
// bytes, the same status for every packet and the same stream state on both backends.
import { expect } from 'chai';
import fc from 'fast-check';
import { createSrtpSession } from '../../ciphers/srtp/session.js';
import { SRTP_SUITE_NAMES, SRTP_SUITES, type SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import { SRTP_MAX_TRAILER, isSrtpFailure, type SrtpBatch, type SrtpPolicy, type SrtpResult, type SrtpSession } from '../../ciphers/srtp/types.js';
import { requireNative, rtcpPacket, rtpPacket } from './native-support.js';

const SSRCS = [0x11111111, 0xdeadbeef, 0x00000007];

type SeqMove = { kind: 'next' } | { kind: 'jump'; delta: number };
type Tamper = { kind: 'none' } | { kind: 'flip'; at: number; xor: number } | { kind: 'truncate'; by: number };
type Op =
  | { t: 'protect'; rtcp: boolean; s: number; move: SeqMove; cc: number; ext: number; len: number; pad: number }
  | { t: 'unprotect'; rtcp: boolean; k: number; tamper: Tamper }
  | { t: 'garbage'; rtcp: boolean; rx: boolean; bytes: Uint8Array }
  | { t: 'setRoc'; rx: boolean; s: number; roc: number }
  | { t: 'batch'; rtcp: boolean; n: number; s: number; unprotectPicks: number[] };

interface Scenario {
  suite: SrtpSuiteName;
  seed: number;
  mkiKeys: number; // 0: no MKI
  mkiLen: number;
  rxHasKey: boolean;
  kdr: number;
  window: number;
  lifetime: number | undefined;
  encryptRtp: boolean;
  encryptRtcp: boolean;
  authenticateRtp: boolean;
  startSeq: number;
  startRoc: number;
  ops: Op[];
}

const seqMove: fc.Arbitrary<SeqMove> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'next' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('jump' as const), delta: fc.integer({ min: -300, max: 300 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('jump' as const), delta: fc.integer({ min: -40000, max: 40000 }) }) },
);
const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(400), xor: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), by: fc.integer({ min: 1, max: 30 }) }) },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('protect' as const), rtcp: fc.boolean(), s: fc.nat(2), move: seqMove, cc: fc.nat(3), ext: fc.integer({ min: -1, max: 3 }), len: fc.nat(70), pad: fc.nat(4) }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('unprotect' as const), rtcp: fc.boolean(), k: fc.nat(), tamper }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('garbage' as const), rtcp: fc.boolean(), rx: fc.boolean(), bytes: fc.uint8Array({ maxLength: 48 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('setRoc' as const), rx: fc.boolean(), s: fc.nat(2), roc: fc.oneof(fc.nat(3), fc.constant(0xffffffff), fc.nat(0xffffffff)) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('batch' as const), rtcp: fc.boolean(), n: fc.integer({ min: 1, max: 6 }), s: fc.nat(2), unprotectPicks: fc.array(fc.nat(), { maxLength: 6 }) }) },
);

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    suite: fc.constantFrom(...SRTP_SUITE_NAMES),
    seed: fc.nat(),
    mkiKeys: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
    mkiLen: fc.integer({ min: 1, max: 5 }),
    rxHasKey: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    kdr: fc.constantFrom(0, 0, 0, 1, 4, 64),
    window: fc.constantFrom(64, 128, 128, 1000),
    lifetime: fc.option(fc.integer({ min: 2, max: 40 }), { freq: 4 }).map((v) => v ?? undefined),
    encryptRtp: fc.boolean(),
    encryptRtcp: fc.boolean(),
    authenticateRtp: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    startSeq: fc.oneof(fc.integer({ min: 65500, max: 65535 }), fc.nat(65535)),
    startRoc: fc.oneof(fc.constant(0), fc.nat(5), fc.constant(0xffffffff)),
    ops: fc.array(op, { minLength: 5, maxLength: 45 }),
  })
  .map((s) => {
    const aead = SRTP_SUITES[s.suite].aead;
    return aead ? { ...s, encryptRtp: true, authenticateRtp: true } : s;
  });

/** Deterministic bytes from a seed (keys differ per scenario without making fast-check carry them). */
function bytes(seed: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = (seed ^ 0x9e3779b9) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function policies(sc: Scenario): { tx: SrtpPolicy; rx: SrtpPolicy } {
  const s = SRTP_SUITES[sc.suite];
  const nkeys = Math.max(1, sc.mkiKeys);
  const keys = Array.from({ length: nkeys }, (_, i) => ({
    key: bytes(sc.seed + 17 * i, s.keyLen),
    salt: bytes(sc.seed + 17 * i + 5, s.saltLen),
    ...(sc.mkiKeys ? { mki: bytes(sc.seed + 17 * i + 9, sc.mkiLen) } : {}),
    ...(sc.lifetime !== undefined ? { lifetime: sc.lifetime } : {}),
  }));
  const flags = { encryptRtp: sc.encryptRtp, encryptRtcp: sc.encryptRtcp, authenticateRtp: sc.authenticateRtp, kdr: sc.kdr, replayWindow: sc.window };
  // The receiver knows the sender's key (keys[0]) somewhere in its list, or (rarely, with MKIs) not at all.
  let rxKeys = [...keys].reverse();
  if (sc.mkiKeys && !sc.rxHasKey) rxKeys = rxKeys.filter((k) => k !== keys[0]);
  if (rxKeys.length === 0) rxKeys = [{ ...keys[0]!, mki: bytes(sc.seed + 99, sc.mkiLen) }];
  return { tx: { suite: sc.suite, keys, ...flags }, rx: { suite: sc.suite, keys: rxKeys, ...flags } };
}

function sameResult(a: SrtpResult, b: SrtpResult, what: string): void {
  if (isSrtpFailure(a)) {
    expect(isSrtpFailure(b), `${what}: ts failed (${a}), native succeeded`).to.equal(true);
    expect((b as { status: number }).status, `${what}: ts ${a} / native ${b}`).to.equal(a.status);
  } else {
    expect(isSrtpFailure(b), `${what}: ts succeeded, native failed (${b})`).to.equal(false);
    expect(Buffer.from(b as Buffer).toString('hex'), what).to.equal(Buffer.from(a).toString('hex'));
  }
}

function sameState(a: SrtpSession, b: SrtpSession, what: string): void {
  for (const ssrc of SSRCS) expect(b.stream(ssrc), `${what} stream 0x${ssrc.toString(16)}`).to.deep.equal(a.stream(ssrc));
}

function makeBatch(packets: Uint8Array[], room: number): SrtpBatch {
  const offsets = new Uint32Array(packets.length);
  const lengths = new Uint32Array(packets.length);
  let total = 0;
  packets.forEach((p, k) => {
    offsets[k] = total;
    lengths[k] = p.length;
    total += p.length + room;
  });
  const data = Buffer.alloc(total);
  packets.forEach((p, k) => data.set(p, offsets[k]));
  return { data, offsets, lengths, status: new Uint8Array(packets.length), count: packets.length };
}

function batchOut(b: SrtpBatch): string[] {
  return Array.from({ length: b.count }, (_, k) => (b.status[k] ? `fail:${b.status[k]}` : b.data.subarray(b.offsets[k], b.offsets[k]! + b.lengths[k]!).toString('hex')));
}

function run(sc: Scenario): void {
  const { tx: txPolicy, rx: rxPolicy } = policies(sc);
  const tx = [createSrtpSession(txPolicy, { backend: 'ts' }), createSrtpSession(txPolicy, { backend: 'native' })] as const;
  const rx = [createSrtpSession(rxPolicy, { backend: 'ts' }), createSrtpSession(rxPolicy, { backend: 'native' })] as const;
  const seqs = SSRCS.map(() => sc.startSeq);
  const sent: { rtcp: boolean; bytes: Buffer }[] = [];
  let step = 0;
  if (sc.startRoc) for (const pair of [tx, rx]) for (const s of pair) s.setRoc(SSRCS[0]!, sc.startRoc);
  const nextPacket = (rtcp: boolean, s: number, o: { move: SeqMove; cc: number; ext: number; len: number; pad: number }): Buffer => {
    const ssrc = SSRCS[s]!;
    seqs[s] = (seqs[s]! + (o.move.kind === 'next' ? 1 : o.move.delta) + 0x10000) & 0xffff;
    const payload = bytes(sc.seed + step * 31, o.len);
    if (rtcp) return rtcpPacket(ssrc, payload);
    return rtpPacket({
      ssrc,
      seq: seqs[s]!,
      ts: step * 160,
      csrcs: Array.from({ length: o.cc }, (_, i) => 0x1000 + i),
      ...(o.ext >= 0 ? { ext: { profile: 0xbede, words: o.ext } } : {}),
      payload,
      padding: o.pad,
    });
  };
  for (const o of sc.ops) {
    step++;
    const what = `op ${step} ${o.t}`;
    switch (o.t) {
      case 'protect': {
        const p = nextPacket(o.rtcp, o.s, o);
        const copy = Buffer.from(p);
        const a = o.rtcp ? tx[0].protectRtcp(p) : tx[0].protectRtp(p);
        const b = o.rtcp ? tx[1].protectRtcp(p) : tx[1].protectRtp(p);
        expect(p.equals(copy), 'input untouched').to.equal(true);
        sameResult(a, b, what);
        if (!isSrtpFailure(a)) sent.push({ rtcp: o.rtcp, bytes: Buffer.from(a) });
        break;
      }
      case 'unprotect': {
        const pool = sent.filter((x) => x.rtcp === o.rtcp);
        if (pool.length === 0) continue;
        let p = Buffer.from(pool[o.k % pool.length]!.bytes);
        if (o.tamper.kind === 'flip') p[o.tamper.at % p.length]! ^= o.tamper.xor;
        if (o.tamper.kind === 'truncate') p = p.subarray(0, Math.max(0, p.length - o.tamper.by));
        const a = o.rtcp ? rx[0].unprotectRtcp(p) : rx[0].unprotectRtp(p);
        const b = o.rtcp ? rx[1].unprotectRtcp(p) : rx[1].unprotectRtp(p);
        sameResult(a, b, `${what} (${o.tamper.kind})`);
        break;
      }
      case 'garbage': {
        const pair = o.rx ? rx : tx;
        const f = (s: SrtpSession) =>
          o.rx ? (o.rtcp ? s.unprotectRtcp(o.bytes) : s.unprotectRtp(o.bytes)) : o.rtcp ? s.protectRtcp(o.bytes) : s.protectRtp(o.bytes);
        sameResult(f(pair[0]), f(pair[1]), what);
        break;
      }
      case 'setRoc':
        for (const s of o.rx ? rx : tx) s.setRoc(SSRCS[o.s]!, o.roc);
        break;
      case 'batch': {
        const packets = Array.from({ length: o.n }, () => nextPacket(o.rtcp, o.s, { move: { kind: 'next' }, cc: 1, ext: 0, len: 20, pad: 0 }));
        const ba = makeBatch(packets, SRTP_MAX_TRAILER);
        const bb = makeBatch(packets, SRTP_MAX_TRAILER);
        const fa = o.rtcp ? tx[0].protectRtcpBatch(ba) : tx[0].protectRtpBatch(ba);
        const fb = o.rtcp ? tx[1].protectRtcpBatch(bb) : tx[1].protectRtpBatch(bb);
        expect(batchOut(bb), `${what} protect`).to.deep.equal(batchOut(ba));
        expect(fb).to.equal(fa);
        for (let k = 0; k < ba.count; k++) {
          if (!ba.status[k]) sent.push({ rtcp: o.rtcp, bytes: Buffer.from(ba.data.subarray(ba.offsets[k], ba.offsets[k]! + ba.lengths[k]!)) });
        }
        const pool = sent.filter((x) => x.rtcp === o.rtcp);
        if (pool.length && o.unprotectPicks.length) {
          const picks = o.unprotectPicks.map((i) => pool[i % pool.length]!.bytes);
          const ua = makeBatch(picks, 0);
          const ub = makeBatch(picks, 0);
          const ga = o.rtcp ? rx[0].unprotectRtcpBatch(ua) : rx[0].unprotectRtpBatch(ua);
          const gb = o.rtcp ? rx[1].unprotectRtcpBatch(ub) : rx[1].unprotectRtpBatch(ub);
          expect(batchOut(ub), `${what} unprotect`).to.deep.equal(batchOut(ua));
          expect(gb).to.equal(ga);
        }
        break;
      }
    }
    sameState(tx[0], tx[1], `${what} sender`);
    sameState(rx[0], rx[1], `${what} receiver`);
  }
  for (const s of [...tx, ...rx]) s.close();
}

describe('SRTP native core vs TypeScript backend (differential)', function () {
  before(function () {
    requireNative(this);
  });

  it('agree on bytes, statuses and stream state over random sessions', function () {
    this.timeout(60000);
    fc.assert(fc.property(scenario, (sc) => run(sc)), { numRuns: 250 });
  });

  it('agree across the ROC wrap and the end of the index space', function () {
    for (const suite of SRTP_SUITE_NAMES) {
      for (const startRoc of [0, 1, 0xfffffffe, 0xffffffff]) {
        const ops: Op[] = [];
        for (let i = 0; i < 80; i++) {
          ops.push({ t: 'protect', rtcp: i % 9 === 0, s: 0, move: { kind: 'next' }, cc: i % 3, ext: (i % 4) - 1, len: 30, pad: 0 });
          ops.push({ t: 'unprotect', rtcp: i % 9 === 0, k: i % 7 === 0 ? i + 2 : 1_000_000, tamper: { kind: 'none' } });
        }
        const aead = SRTP_SUITES[suite].aead;
        run({ suite, seed: startRoc + 7, mkiKeys: 0, mkiLen: 1, rxHasKey: true, kdr: 0, window: 128, lifetime: undefined, encryptRtp: true, encryptRtcp: !aead || true, authenticateRtp: true, startSeq: 65500, startRoc, ops });
      }
    }
  });
});
