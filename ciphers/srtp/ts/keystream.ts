// AES-CM keystream (RFC 3711 4.1.1): block j of packet index i is AES_k(IV + j) with
// IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16). One reused AES-ECB context turns a buffer of counter blocks
// into keystream, so a single node:crypto call serves many packets: the cache below speculatively makes the
// keystream of the next few indices of a stream (which a sender and an in-order receiver will ask for next).
import type { SessionKeys } from './session-keys.js';

const EMPTY = Buffer.alloc(0);
/** Upper bound on one cached range, in bytes (keeps per-stream memory small). */
const CACHE_BYTES = 8192;
const MAX_PACKETS = 16;

let ctrScratch = Buffer.alloc(4096);
let ctrView = new DataView(ctrScratch.buffer, ctrScratch.byteOffset, ctrScratch.length);

function ensureCtr(bytes: number): void {
  if (ctrScratch.length >= bytes) return;
  ctrScratch = Buffer.alloc(Math.max(bytes, ctrScratch.length * 2));
  ctrView = new DataView(ctrScratch.buffer, ctrScratch.byteOffset, ctrScratch.length);
}

/**
 * Keystream for `count` consecutive indices from `first`, `stride` bytes each (a multiple of 16), in one buffer.
 * `stride` must be at most 2^20 (the 16-bit block counter of one IV covers 1 MiB).
 */
export function makeKeystream(keys: SessionKeys, ssrc: number, first: number, count: number, stride: number): Buffer {
  const blocks = stride >>> 4;
  const bytes = count * stride;
  ensureCtr(bytes);
  const salt = keys.salt;
  const s0 = ((salt[0]! << 24) | (salt[1]! << 16) | (salt[2]! << 8) | salt[3]!) >>> 0;
  const s1 = (((salt[4]! << 24) | (salt[5]! << 16) | (salt[6]! << 8) | salt[7]!) ^ ssrc) >>> 0;
  const s2 = ((salt[8]! << 24) | (salt[9]! << 16) | (salt[10]! << 8) | salt[11]!) >>> 0;
  const s3 = (salt[12]! << 8) | salt[13]!;
  const dv = ctrView;
  let o = 0;
  for (let p = 0; p < count; p++) {
    const index = first + p;
    const low = index % 0x10000;
    const w2 = (s2 ^ ((index - low) / 0x10000)) >>> 0;
    const w3 = ((s3 ^ low) << 16) >>> 0;
    for (let j = 0; j < blocks; j++, o += 16) {
      dv.setUint32(o, s0);
      dv.setUint32(o + 4, s1);
      dv.setUint32(o + 8, w2);
      dv.setUint32(o + 12, (w3 | j) >>> 0);
    }
  }
  return keys.ecb!.update(ctrScratch.subarray(0, bytes));
}

/** Per-stream-direction cache of keystream for the indices expected next. */
export class KeystreamCache {
  /** Keystream bytes; the packet at index i starts at (i - base) * stride. */
  buf: Buffer = EMPTY;
  private keys: SessionKeys | null = null;
  private base = 0;
  private count = 0;
  private stride = 0;
  private maxLen = 0;

  /**
   * Offset into `buf` of at least `len` bytes of keystream for (keys, ssrc, index). `limit` is the first index the
   * keys must not cover (the end of the KDF epoch, or 2^48).
   */
  get(keys: SessionKeys, ssrc: number, index: number, len: number, limit: number): number {
    if (len > this.maxLen) this.maxLen = len;
    if (keys === this.keys && index >= this.base && index < this.base + this.count && len <= this.stride) {
      return (index - this.base) * this.stride;
    }
    const stride = (Math.max(len, this.maxLen) + 15) & ~15;
    let count = Math.min(MAX_PACKETS, Math.max(1, Math.floor(CACHE_BYTES / Math.max(stride, 16))));
    if (count > limit - index) count = limit - index;
    this.buf = makeKeystream(keys, ssrc, index, count, stride);
    this.keys = keys;
    this.base = index;
    this.count = count;
    this.stride = stride;
    this.maxLen = len;
    return 0;
  }

  /** Drops the cached range (e.g. after the ROC was changed from outside). */
  clear(): void {
    this.keys = null;
    this.buf = EMPTY;
    this.count = 0;
  }
}

// Int32 views over the ArrayBuffers last seen (Buffer.allocUnsafe slices share an 8 KiB pool; keystream buffers
// live until the next regeneration), so the XOR runs on 32-bit words without creating a view per packet.
let outBuf: ArrayBufferLike | null = null;
let outWords: Int32Array<ArrayBufferLike> = new Int32Array(0);
let ksBuf: ArrayBufferLike | null = null;
let ksWords: Int32Array<ArrayBufferLike> = new Int32Array(0);

/** out[outOff + k] = src[srcOff + k] ^ ks[ksOff + k] for k < n; out and src may be the same bytes (in place). */
export function xorKeystream(out: Uint8Array, outOff: number, src: Uint8Array, srcOff: number, n: number, ks: Uint8Array, ksOff: number): void {
  if (out !== src || outOff !== srcOff) out.set(src.subarray(srcOff, srcOff + n), outOff);
  const a = out.byteOffset + outOff;
  const b = ks.byteOffset + ksOff;
  let k = 0;
  if (((a | b) & 3) === 0 && n >= 16) {
    if (out.buffer !== outBuf) {
      outBuf = out.buffer;
      outWords = new Int32Array(outBuf, 0, outBuf.byteLength >>> 2);
    }
    if (ks.buffer !== ksBuf) {
      ksBuf = ks.buffer;
      ksWords = new Int32Array(ksBuf, 0, ksBuf.byteLength >>> 2);
    }
    const ow = outWords;
    const kw = ksWords;
    const words = n >>> 2;
    const o = a >>> 2;
    const q = b >>> 2;
    for (let i = 0; i < words; i++) ow[o + i]! ^= kw[q + i]!;
    k = words << 2;
  }
  for (; k < n; k++) out[outOff + k]! ^= ks[ksOff + k]!;
}
