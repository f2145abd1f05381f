// RTP/RTCP packet builders and key helpers shared by the SRTP tests (any backend).
import { srtpSuite, type SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import { isSrtpFailure, type SrtpMasterKey, type SrtpResult } from '../../ciphers/srtp/types.js';

export interface RtpSpec {
  seq: number;
  ssrc?: number;
  ts?: number;
  pt?: number;
  marker?: boolean;
  csrcs?: number[];
  /** Header extension: profile and body (a multiple of 4 bytes). */
  ext?: { profile: number; body: Uint8Array };
  payload?: Uint8Array;
  /** Number of RTP padding bytes (sets P; the last padding byte holds the count). */
  padding?: number;
}

export function rtp(spec: RtpSpec): Buffer {
  const csrcs = spec.csrcs ?? [];
  const ext = spec.ext;
  const payload = spec.payload ?? Buffer.from('trustline test payload');
  const pad = spec.padding ?? 0;
  const h = 12 + csrcs.length * 4 + (ext ? 4 + ext.body.length : 0);
  const b = Buffer.alloc(h + payload.length + pad);
  b[0] = 0x80 | (pad > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs.length;
  b[1] = (spec.marker ? 0x80 : 0) | ((spec.pt ?? 0) & 0x7f);
  b.writeUInt16BE(spec.seq & 0xffff, 2);
  b.writeUInt32BE((spec.ts ?? spec.seq * 160) >>> 0, 4);
  b.writeUInt32BE((spec.ssrc ?? 0x12345678) >>> 0, 8);
  csrcs.forEach((c, i) => b.writeUInt32BE(c >>> 0, 12 + i * 4));
  if (ext) {
    const at = 12 + csrcs.length * 4;
    b.writeUInt16BE(ext.profile, at);
    b.writeUInt16BE(ext.body.length / 4, at + 2);
    b.set(ext.body, at + 4);
  }
  b.set(payload, h);
  if (pad > 0) b[b.length - 1] = pad;
  return b;
}

/** An RTCP sender report with no report blocks, then an optional SDES-ish tail of `extra` bytes. */
export function rtcpSr(ssrc = 0x12345678, extra = 0): Buffer {
  const b = Buffer.alloc(28 + extra);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE((28 + extra) / 4 - 1, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  for (let i = 8; i < b.length; i++) b[i] = (i * 11) & 0xff;
  return b;
}

/** A deterministic master key for a suite (seeded, so tests can make several distinct keys). */
export function masterKey(suite: SrtpSuiteName, seed: number, mki?: Uint8Array): SrtpMasterKey {
  const s = srtpSuite(suite);
  const key = Buffer.alloc(s.keyLen);
  const salt = Buffer.alloc(s.saltLen);
  for (let i = 0; i < key.length; i++) key[i] = (seed * 31 + i * 7 + 1) & 0xff;
  for (let i = 0; i < salt.length; i++) salt[i] = (seed * 17 + i * 13 + 5) & 0xff;
  return mki ? { key, salt, mki } : { key, salt };
}

/** The Buffer of a successful result; fails the test with the failure text otherwise. */
export function must(r: SrtpResult, what = 'operation'): Buffer {
  if (isSrtpFailure(r)) throw new Error(`${what} failed: ${r.toString()}`);
  return r;
}
