// Helpers shared by the native SRTP tests: availability (skip locally, fail in CI), packet builders, policies.
import { randomBytes } from 'node:crypto';
import type { Context } from 'mocha';
import { loadNativeSrtpAddon, nativeSrtpUnavailableReason } from '../../ciphers/srtp/native/load.js';
import { SRTP_SUITES, type SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import type { SrtpPolicy } from '../../ciphers/srtp/types.js';

/** Call at the top of a test or hook: the native core must be built in CI (npm install builds it); locally it skips. */
export function requireNative(ctx: Context): void {
  if (loadNativeSrtpAddon()) return;
  if (process.env.CI) throw new Error(`the native SRTP core must be built in CI: ${nativeSrtpUnavailableReason()}`);
  ctx.skip();
}

/** Master key || salt bytes k[i] = (i*7+3) & 0xff, as in the research known-answer packets (peers-and-perf 1.2). */
export function katPolicy(suite: SrtpSuiteName): SrtpPolicy {
  const s = SRTP_SUITES[suite];
  const ks = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 7 + 3) & 0xff));
  return { suite, keys: [{ key: ks.subarray(0, s.keyLen), salt: ks.subarray(s.keyLen, s.keyLen + s.saltLen) }] };
}

export function randomPolicy(suite: SrtpSuiteName, extra: Partial<SrtpPolicy> = {}): SrtpPolicy {
  const s = SRTP_SUITES[suite];
  return { suite, keys: [{ key: randomBytes(s.keyLen), salt: randomBytes(s.saltLen) }], ...extra };
}

export interface RtpShape {
  ssrc: number;
  seq: number;
  ts?: number;
  pt?: number;
  marker?: boolean;
  csrcs?: number[];
  /** Extension: profile and 32-bit words. */
  ext?: { profile: number; words: number };
  payload: Uint8Array;
  /** Padding bytes appended (the last one holds the count), P bit set. */
  padding?: number;
}

export function rtpPacket(p: RtpShape): Buffer {
  const cc = p.csrcs?.length ?? 0;
  const extLen = p.ext ? 4 + 4 * p.ext.words : 0;
  const pad = p.padding ?? 0;
  const b = Buffer.alloc(12 + 4 * cc + extLen + p.payload.length + pad);
  b[0] = 0x80 | (pad ? 0x20 : 0) | (p.ext ? 0x10 : 0) | cc;
  b[1] = ((p.marker ? 1 : 0) << 7) | ((p.pt ?? 0) & 0x7f);
  b.writeUInt16BE(p.seq & 0xffff, 2);
  b.writeUInt32BE((p.ts ?? 0) >>> 0, 4);
  b.writeUInt32BE(p.ssrc >>> 0, 8);
  let o = 12;
  for (const c of p.csrcs ?? []) (b.writeUInt32BE(c >>> 0, o), (o += 4));
  if (p.ext) {
    b.writeUInt16BE(p.ext.profile, o);
    b.writeUInt16BE(p.ext.words, o + 2);
    for (let i = 0; i < 4 * p.ext.words; i++) b[o + 4 + i] = (i * 13 + 5) & 0xff;
    o += extLen;
  }
  b.set(p.payload, o);
  o += p.payload.length;
  if (pad) b[o + pad - 1] = pad;
  return b;
}

/** An RTCP sender report (PT 200) from ssrc with `extra` bytes of report blocks/SDES after the 28-byte SR. */
export function rtcpPacket(ssrc: number, extra: Uint8Array = new Uint8Array(0)): Buffer {
  const body = 28 + extra.length;
  const padded = (body + 3) & ~3;
  const b = Buffer.alloc(padded);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(padded / 4 - 1, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  for (let i = 8; i < 28; i++) b[i] = (i * 29) & 0xff;
  b.set(extra, 28);
  return b;
}
