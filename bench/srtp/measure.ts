// One SRTP measurement in this thread: packets/s of protect or unprotect for a backend, suite and payload size.
// Batch calls of `batch` packets (the SrtpBatch layout); protect re-protects the same slots with the next sequence
// numbers, unprotect works on copies of 4096 packets protected beforehand (a fresh receiver session per pass, so the
// replay window never refuses them). Runs one untimed warm-up repeat first (JIT, caches).
import { createSrtpSession } from '../../ciphers/srtp/session.js';
import { SRTP_SUITES, type SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import { SRTP_MAX_TRAILER, type SrtpBackendName, type SrtpBatch, type SrtpPolicy } from '../../ciphers/srtp/types.js';
import { NaiveSrtpProtect } from './naive.js';

export type SrtpBenchOp = 'protect' | 'unprotect';
/** 'naive' is node:crypto with a new cipher and HMAC per packet (the reference level; protect only). */
export type SrtpBenchBackend = SrtpBackendName | 'naive';

export interface MeasureSpec {
  backend: SrtpBenchBackend;
  suite: SrtpSuiteName;
  size: number;
  op: SrtpBenchOp;
  repeats: number;
  seconds: number;
  batch: number;
}

export const BENCH_SSRC = 0x12345678;
const POOL = 4096;

/** Master key || salt bytes k[i] = (i*7+3) & 0xff (the research known-answer pattern, also used by the C harness). */
export function benchPolicy(suite: SrtpSuiteName): SrtpPolicy {
  const s = SRTP_SUITES[suite];
  const ks = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 7 + 3) & 0xff));
  return { suite, keys: [{ key: ks.subarray(0, s.keyLen), salt: ks.subarray(s.keyLen, s.keyLen + s.saltLen) }] };
}

function rtp(size: number, seq: number): Buffer {
  const p = Buffer.alloc(12 + size);
  p[0] = 0x80;
  p.writeUInt16BE(seq & 0xffff, 2);
  p.writeUInt32BE((seq * 160) >>> 0, 4);
  p.writeUInt32BE(BENCH_SSRC, 8);
  for (let i = 0; i < size; i++) p[12 + i] = i & 0xff;
  return p;
}

function emptyBatch(n: number, slot: number): SrtpBatch {
  const offsets = new Uint32Array(n);
  for (let k = 0; k < n; k++) offsets[k] = k * slot;
  return { data: Buffer.alloc(n * slot), offsets, lengths: new Uint32Array(n), status: new Uint8Array(n), count: n };
}

/** Packets/s of each measured repeat. Throws if any packet fails (a broken backend must not look fast). */
export function measure(spec: MeasureSpec): number[] {
  if (spec.backend === 'naive') return measureNaive(spec);
  const policy = benchPolicy(spec.suite);
  const B = spec.batch;
  const slot = 12 + spec.size + SRTP_MAX_TRAILER;
  const out: number[] = [];
  if (spec.op === 'protect') {
    const tx = createSrtpSession(policy, { backend: spec.backend });
    const b = emptyBatch(B, slot);
    for (let k = 0; k < B; k++) b.data.set(rtp(spec.size, k), k * slot);
    let seq = 1;
    for (let r = -1; r < spec.repeats; r++) {
      let n = 0;
      const t0 = process.hrtime.bigint();
      const limit = BigInt(Math.round(spec.seconds * 1e9));
      let dt = 0n;
      do {
        for (let k = 0; k < B; k++) {
          const o = k * slot;
          b.lengths[k] = 12 + spec.size;
          b.data[o + 2] = (seq >>> 8) & 0xff;
          b.data[o + 3] = seq & 0xff;
          seq++;
        }
        if (tx.protectRtpBatch(b) !== 0) throw new Error(`${spec.backend} ${spec.suite}: protect failed with status ${b.status.find((x) => x !== 0)}`);
        n += B;
        dt = process.hrtime.bigint() - t0;
      } while (dt < limit);
      if (r >= 0) out.push(n / (Number(dt) / 1e9));
    }
    tx.close();
    return out;
  }
  // unprotect: POOL packets protected once, kept as pristine batches
  const tx = createSrtpSession(policy, { backend: spec.backend });
  const chunks: { data: Buffer; lengths: Uint32Array }[] = [];
  for (let c = 0; c < POOL / B; c++) {
    const b = emptyBatch(B, slot);
    for (let k = 0; k < B; k++) {
      b.data.set(rtp(spec.size, 1 + c * B + k), k * slot);
      b.lengths[k] = 12 + spec.size;
    }
    if (tx.protectRtpBatch(b) !== 0) throw new Error(`${spec.backend} ${spec.suite}: protect failed`);
    chunks.push({ data: b.data, lengths: b.lengths });
  }
  tx.close();
  const work = emptyBatch(B, slot);
  for (let r = -1; r < spec.repeats; r++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    const limit = BigInt(Math.round(spec.seconds * 1e9));
    let dt = 0n;
    do {
      const rx = createSrtpSession(policy, { backend: spec.backend });
      for (let c = 0; c < chunks.length && dt < limit; c++) {
        const chunk = chunks[c]!;
        chunk.data.copy(work.data);
        work.lengths.set(chunk.lengths);
        if (rx.unprotectRtpBatch(work) !== 0) throw new Error(`${spec.backend} ${spec.suite}: unprotect failed with status ${work.status.find((x) => x !== 0)}`);
        n += B;
        dt = process.hrtime.bigint() - t0;
      }
      rx.close();
    } while (dt < limit);
    if (r >= 0) out.push(n / (Number(dt) / 1e9));
  }
  return out;
}

function measureNaive(spec: MeasureSpec): number[] {
  if (spec.op !== 'protect') throw new Error('the naive node:crypto reference measures protect only');
  const naive = new NaiveSrtpProtect(benchPolicy(spec.suite));
  const p = rtp(spec.size, 1);
  // The yardstick must be real SRTP: its output equals the TypeScript backend's.
  const ref = createSrtpSession(benchPolicy(spec.suite), { backend: 'ts' }).protectRtp(p);
  if (!Buffer.isBuffer(ref) || !naive.protect(p).equals(ref)) throw new Error(`naive ${spec.suite}: output differs from the TypeScript backend`);
  const out: number[] = [];
  let seq = 1;
  for (let r = -1; r < spec.repeats; r++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    const limit = BigInt(Math.round(spec.seconds * 1e9));
    let dt = 0n;
    do {
      for (let k = 0; k < 64; k++) {
        p[2] = (seq >>> 8) & 0xff;
        p[3] = seq & 0xff;
        seq++;
        naive.protect(p);
      }
      n += 64;
      dt = process.hrtime.bigint() - t0;
    } while (dt < limit);
    if (r >= 0) out.push(n / (Number(dt) / 1e9));
  }
  return out;
}
