// ITU-T G.711 μ-law and A-law (16-bit linear PCM in and out, as most tools use), and the test signal the emulated
// phones send: a 1004 Hz tone with a marker derived from (SSRC, sequence number, timestamp), so the receiver checks
// every payload byte, not only that SRTP let the packet through.

export type G711Law = 'PCMU' | 'PCMA';

/** RFC 3551 static payload types. */
export const G711_PAYLOAD_TYPES: Readonly<Record<G711Law, number>> = { PCMU: 0, PCMA: 8 };
export const G711_CLOCK_RATE = 8000;

const SEG_U_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const SEG_A_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segment(v: number, ends: readonly number[]): number {
  for (let i = 0; i < 8; i++) if (v <= ends[i]!) return i;
  return 8;
}

function clamp16(s: number): number {
  if (!Number.isFinite(s)) throw new RangeError(`G.711: sample ${s} is not a number`);
  return s > 32767 ? 32767 : s < -32768 ? -32768 : Math.trunc(s);
}

/** μ-law code of a 16-bit sample (G.711 §2, 14-bit magnitude with bias 33, all bits inverted). */
export function linearToUlaw(sample: number): number {
  let v = clamp16(sample) >> 2;
  let mask: number;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (v > 8159) v = 8159;
  v += 33;
  const seg = segment(v, SEG_U_END);
  if (seg >= 8) return 0x7f ^ mask;
  return (((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask) & 0xff;
}

/** 16-bit sample of a μ-law code. */
export function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** A-law code of a 16-bit sample (G.711 §3, 13-bit, even bits inverted). */
export function linearToAlaw(sample: number): number {
  let v = clamp16(sample) >> 3;
  let mask: number;
  if (v >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    v = -v - 1;
  }
  const seg = segment(v, SEG_A_END);
  if (seg >= 8) return 0x7f ^ mask;
  let a = seg << 4;
  a |= seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return (a ^ mask) & 0xff;
}

/** 16-bit sample of an A-law code. */
export function alawToLinear(code: number): number {
  const a = (code & 0xff) ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

export function encodeG711(law: G711Law, samples: ArrayLike<number>): Buffer {
  const enc = law === 'PCMU' ? linearToUlaw : linearToAlaw;
  const out = Buffer.allocUnsafe(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = enc(samples[i]!);
  return out;
}

export function decodeG711(law: G711Law, codes: Uint8Array): Int16Array {
  const dec = law === 'PCMU' ? ulawToLinear : alawToLinear;
  const out = new Int16Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = dec(codes[i]!);
  return out;
}

// ---- test signal --------------------------------------------------------------------------------------------------

/** Bytes at the start of each payload that carry the marker: seq (2), SSRC (4), low 16 bits of the timestamp (2). */
export const TEST_SIGNAL_MARKER_BYTES = 8;
/** 1004 Hz: the classic test tone; 8000 samples hold exactly 1004 periods, so one second of table loops cleanly. */
export const TEST_TONE_HZ = 1004;
const TONE_AMPLITUDE = 8000;
const LOOP = G711_CLOCK_RATE;
const MAX_SAMPLES_PER_PACKET = 480;

const tables = new Map<G711Law, Buffer>();

/** One second of the encoded tone, plus room for a packet past the end (no modulo per byte). */
function toneTable(law: G711Law): Buffer {
  let t = tables.get(law);
  if (!t) {
    const samples = new Int16Array(LOOP + MAX_SAMPLES_PER_PACKET);
    for (let i = 0; i < samples.length; i++) samples[i] = Math.round(TONE_AMPLITUDE * Math.sin((2 * Math.PI * TEST_TONE_HZ * (i % LOOP)) / G711_CLOCK_RATE));
    t = encodeG711(law, samples);
    tables.set(law, t);
  }
  return t;
}

/**
 * Writes and checks payloads of the test signal. Sample k of a packet with timestamp ts is tone sample
 * (ts mod 8000) + k; the first 8 bytes are replaced by the marker, so a payload moved to another packet or stream,
 * or corrupted after decryption, is caught.
 */
export class TestSignal {
  readonly law: G711Law;
  readonly samplesPerPacket: number;
  readonly #tone: Buffer;

  constructor(law: G711Law, samplesPerPacket = 160) {
    if (law !== 'PCMU' && law !== 'PCMA') throw new RangeError(`G.711 law ${JSON.stringify(law)} must be PCMU or PCMA`);
    if (!Number.isInteger(samplesPerPacket) || samplesPerPacket < TEST_SIGNAL_MARKER_BYTES || samplesPerPacket > MAX_SAMPLES_PER_PACKET) {
      throw new RangeError(`samples per packet ${samplesPerPacket} must be ${TEST_SIGNAL_MARKER_BYTES}..${MAX_SAMPLES_PER_PACKET}`);
    }
    this.law = law;
    this.samplesPerPacket = samplesPerPacket;
    this.#tone = toneTable(law);
  }

  /** Writes the payload for (ssrc, seq, ts) at buf[offset]; returns its length. */
  fill(buf: Buffer, offset: number, ssrc: number, seq: number, ts: number): number {
    const n = this.samplesPerPacket;
    const start = ts % LOOP;
    this.#tone.copy(buf, offset + TEST_SIGNAL_MARKER_BYTES, start + TEST_SIGNAL_MARKER_BYTES, start + n);
    buf[offset] = (seq >>> 8) & 0xff;
    buf[offset + 1] = seq & 0xff;
    buf[offset + 2] = ssrc >>> 24;
    buf[offset + 3] = (ssrc >>> 16) & 0xff;
    buf[offset + 4] = (ssrc >>> 8) & 0xff;
    buf[offset + 5] = ssrc & 0xff;
    buf[offset + 6] = (ts >>> 8) & 0xff;
    buf[offset + 7] = ts & 0xff;
    return n;
  }

  /** True when buf[offset, offset + length) is exactly the payload `fill` writes for (ssrc, seq, ts). */
  check(buf: Buffer, offset: number, length: number, ssrc: number, seq: number, ts: number): boolean {
    const n = this.samplesPerPacket;
    if (length !== n) return false;
    if (
      buf[offset] !== ((seq >>> 8) & 0xff) ||
      buf[offset + 1] !== (seq & 0xff) ||
      buf[offset + 2] !== ssrc >>> 24 ||
      buf[offset + 3] !== ((ssrc >>> 16) & 0xff) ||
      buf[offset + 4] !== ((ssrc >>> 8) & 0xff) ||
      buf[offset + 5] !== (ssrc & 0xff) ||
      buf[offset + 6] !== ((ts >>> 8) & 0xff) ||
      buf[offset + 7] !== (ts & 0xff)
    ) {
      return false;
    }
    const start = ts % LOOP;
    return this.#tone.compare(buf, offset + TEST_SIGNAL_MARKER_BYTES, offset + n, start + TEST_SIGNAL_MARKER_BYTES, start + n) === 0;
  }

  /** The decoded samples of a payload (for audio checks and tools). */
  decode(payload: Uint8Array): Int16Array {
    return decodeG711(this.law, payload);
  }
}
