// SrtpSession over the native core (native/srtp, N-API). Single-packet calls copy the packet into a new buffer with
// room for the trailer and work on that copy; batch calls hand the SrtpBatch arrays to C in one crossing.
import { SRTP_SUITES, isSrtpSuiteName } from '../suites.js';
import type { SrtpSuiteName } from '../suites.js';
import { SrtpError, SrtpFailure, SrtpStatus } from '../types.js';
import type { SrtpBatch, SrtpPolicy, SrtpResult, SrtpSession, SrtpStreamState } from '../types.js';

/** Opaque session handle (an N-API external). */
export type NativeHandle = { readonly __nativeSrtpHandle: unique symbol };

/** The functions native/srtp/binding.c exports. */
export interface NativeSrtpAddon {
  createSession(
    suiteId: number,
    keys: Uint8Array[],
    salts: Uint8Array[],
    mkis: Uint8Array[] | null,
    kdr: number,
    window: number,
    flags: number,
    forceEvpGcm: boolean,
    lifetimes: number[] | null,
  ): NativeHandle;
  /** Works on buf[0, len) in place (capacity buf.length); the new length, or -status. */
  packet(h: NativeHandle, op: number, buf: Uint8Array, len: number): number;
  lastError(h: NativeHandle): string;
  batch(h: NativeHandle, op: number, data: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, status: Uint8Array, count: number): number;
  setRoc(h: NativeHandle, ssrc: number, roc: number): void;
  /** [roc, seq, srtcpIndex, rtpPackets, rtcpPackets] of the receiving side once it saw traffic, else the sending side */
  stream(h: NativeHandle, ssrc: number): number[] | undefined;
  close(h: NativeHandle): void;
  info(): { abi: number; openssl: string; gcm: 'pclmul' | 'evp' };
}

const OP_PROTECT_RTP = 0;
const OP_UNPROTECT_RTP = 1;
const OP_PROTECT_RTCP = 2;
const OP_UNPROTECT_RTCP = 3;

const F_ENCRYPT_RTP = 1;
const F_ENCRYPT_RTCP = 2;
const F_AUTH_RTP = 4;

/** Test hooks, not part of SrtpPolicy: force the EVP GCM path where own GHASH would be used. */
export interface NativeSessionOptions {
  forceEvpGcm?: boolean;
}

export class NativeSrtpSession implements SrtpSession {
  readonly backend = 'native' as const;
  readonly suite: SrtpSuiteName;
  #addon: NativeSrtpAddon;
  #h: NativeHandle | null;
  #rtpGrow: number;
  #rtcpGrow: number;

  constructor(addon: NativeSrtpAddon, policy: SrtpPolicy, options: NativeSessionOptions = {}) {
    validatePolicy(policy);
    const suite = SRTP_SUITES[policy.suite];
    const mkiLen = policy.keys[0]?.mki?.length ?? 0;
    const flags =
      (policy.encryptRtp === false ? 0 : F_ENCRYPT_RTP) |
      (policy.encryptRtcp === false ? 0 : F_ENCRYPT_RTCP) |
      (policy.authenticateRtp === false ? 0 : F_AUTH_RTP);
    const authRtp = suite.aead || policy.authenticateRtp !== false;
    this.suite = policy.suite;
    this.#addon = addon;
    this.#rtpGrow = (authRtp ? suite.srtpTagLen : 0) + mkiLen;
    this.#rtcpGrow = suite.srtcpTagLen + 4 + mkiLen;
    try {
      this.#h = addon.createSession(
        suite.id,
        policy.keys.map((k) => k.key),
        policy.keys.map((k) => k.salt),
        mkiLen ? policy.keys.map((k) => k.mki as Uint8Array) : null,
        policy.kdr ?? 0,
        policy.replayWindow ?? 128,
        flags,
        options.forceEvpGcm === true,
        policy.keys.some((k) => k.lifetime !== undefined) ? policy.keys.map((k) => k.lifetime ?? 0) : null,
      );
    } catch (err) {
      throw new SrtpError(SrtpStatus.Malformed, `invalid SRTP policy: ${(err as Error).message}`);
    }
  }

  protectRtp(packet: Uint8Array): SrtpResult {
    return this.#one(OP_PROTECT_RTP, packet, this.#rtpGrow);
  }
  unprotectRtp(packet: Uint8Array): SrtpResult {
    return this.#one(OP_UNPROTECT_RTP, packet, 0);
  }
  protectRtcp(packet: Uint8Array): SrtpResult {
    return this.#one(OP_PROTECT_RTCP, packet, this.#rtcpGrow);
  }
  unprotectRtcp(packet: Uint8Array): SrtpResult {
    return this.#one(OP_UNPROTECT_RTCP, packet, 0);
  }

  protectRtpBatch(batch: SrtpBatch): number {
    return this.#batch(OP_PROTECT_RTP, batch);
  }
  unprotectRtpBatch(batch: SrtpBatch): number {
    return this.#batch(OP_UNPROTECT_RTP, batch);
  }
  protectRtcpBatch(batch: SrtpBatch): number {
    return this.#batch(OP_PROTECT_RTCP, batch);
  }
  unprotectRtcpBatch(batch: SrtpBatch): number {
    return this.#batch(OP_UNPROTECT_RTCP, batch);
  }

  setRoc(ssrc: number, roc: number): void {
    checkU32('SSRC', ssrc);
    checkU32('ROC', roc);
    if (this.#h) this.#addon.setRoc(this.#h, ssrc, roc);
  }

  stream(ssrc: number): SrtpStreamState | undefined {
    if (!this.#h || !Number.isInteger(ssrc) || ssrc < 0 || ssrc > 0xffffffff) return undefined;
    const f = this.#addon.stream(this.#h, ssrc);
    if (!f) return undefined;
    const [roc, seq, srtcpIndex, rtpPackets, rtcpPackets] = f as [number, number, number, number, number];
    return { ssrc, roc, seq, srtcpIndex, rtpPackets, rtcpPackets };
  }

  close(): void {
    if (this.#h) this.#addon.close(this.#h);
    this.#h = null;
  }

  #one(op: number, packet: Uint8Array, grow: number): SrtpResult {
    const h = this.#h;
    if (!h) return new SrtpFailure(SrtpStatus.KeyExhausted, CLOSED);
    const out = Buffer.allocUnsafe(packet.length + grow);
    out.set(packet);
    const r = this.#addon.packet(h, op, out, packet.length);
    if (r >= 0) return out.subarray(0, r);
    return new SrtpFailure(-r as SrtpStatus, this.#addon.lastError(h));
  }

  #batch(op: number, b: SrtpBatch): number {
    const count = b.count;
    if (!(Number.isInteger(count) && count >= 0) || count > b.offsets.length || count > b.lengths.length || count > b.status.length) {
      throw new SrtpError(SrtpStatus.Malformed, `batch count ${count} exceeds its offsets/lengths/status arrays`);
    }
    if (!this.#h) {
      b.status.fill(SrtpStatus.KeyExhausted, 0, count);
      return count;
    }
    return this.#addon.batch(this.#h, op, b.data, b.offsets, b.lengths, b.status, count);
  }
}

const CLOSED = 'the SRTP session is closed (its keys were released)';

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new SrtpError(SrtpStatus.Malformed, `${name} ${v} is not a 32-bit unsigned integer`);
}

/**
 * Throws SrtpError (Malformed) naming the first thing wrong with a policy. Same rules as validateSrtpPolicy in
 * ../session.ts (which imports this module's loader, hence the copy); the C core checks the limits again.
 */
export function validatePolicy(policy: SrtpPolicy): void {
  const bad = (msg: string): never => {
    throw new SrtpError(SrtpStatus.Malformed, `invalid SRTP policy: ${msg}`);
  };
  if (policy === null || typeof policy !== 'object') bad('policy must be an object');
  if (typeof policy.suite !== 'string' || !isSrtpSuiteName(policy.suite)) bad(`unknown suite ${JSON.stringify(policy.suite)}`);
  const suite = SRTP_SUITES[policy.suite];
  if (!Array.isArray(policy.keys) || policy.keys.length === 0) bad('keys must hold at least one master key');
  if (policy.keys.length > 4096) bad(`${policy.keys.length} master keys, at most 4096`);
  const withMki = policy.keys.filter((k) => k?.mki !== undefined).length;
  if (withMki !== 0 && withMki !== policy.keys.length) bad('either every master key has an MKI or none has');
  if (withMki === 0 && policy.keys.length > 1) bad(`${policy.keys.length} master keys need MKIs to tell them apart`);
  const seen = new Set<string>();
  policy.keys.forEach((k, i) => {
    const where = `keys[${i}]`;
    if (k === null || typeof k !== 'object') bad(`${where} must be an object`);
    if (!(k.key instanceof Uint8Array)) bad(`${where}.key must be a Uint8Array`);
    if (!(k.salt instanceof Uint8Array)) bad(`${where}.salt must be a Uint8Array`);
    if (k.key.length !== suite.keyLen) bad(`${where}.key is ${k.key.length} bytes, ${suite.name} needs ${suite.keyLen}`);
    if (k.salt.length !== suite.saltLen) bad(`${where}.salt is ${k.salt.length} bytes, ${suite.name} needs ${suite.saltLen}`);
    if (k.mki !== undefined) {
      if (!(k.mki instanceof Uint8Array)) bad(`${where}.mki must be a Uint8Array`);
      if (k.mki.length < 1 || k.mki.length > 128) bad(`${where}.mki is ${k.mki.length} bytes, must be 1..128`);
      const first = policy.keys[0]!.mki!;
      if (k.mki.length !== first.length) bad(`${where}.mki is ${k.mki.length} bytes but keys[0].mki is ${first.length}: all MKIs must have one length`);
      const hex = Buffer.from(k.mki).toString('hex');
      if (seen.has(hex)) bad(`${where}.mki ${hex} is used by an earlier key`);
      seen.add(hex);
    }
    if (k.lifetime !== undefined && !(Number.isInteger(k.lifetime) && k.lifetime >= 1 && k.lifetime <= 2 ** 48)) {
      bad(`${where}.lifetime ${k.lifetime} must be an integer in 1..2^48`);
    }
  });
  const kdr = policy.kdr ?? 0;
  if (!(Number.isInteger(kdr) && kdr >= 0 && kdr <= 2 ** 24 && (kdr & (kdr - 1)) === 0)) bad(`kdr ${kdr} must be 0 or a power of two up to 2^24`);
  const w = policy.replayWindow ?? 128;
  if (!(Number.isInteger(w) && w >= 64 && w <= 32768)) bad(`replayWindow ${w} must be an integer in 64..32768`);
  for (const flag of ['encryptRtp', 'encryptRtcp', 'authenticateRtp'] as const) {
    const v = policy[flag];
    if (v !== undefined && typeof v !== 'boolean') bad(`${flag} must be a boolean`);
  }
  if (suite.aead && policy.authenticateRtp === false) bad(`${suite.name} always authenticates: UNAUTHENTICATED_SRTP does not apply`);
  if (suite.aead && policy.encryptRtp === false) bad(`${suite.name} always encrypts SRTP: UNENCRYPTED_SRTP does not apply to AEAD suites`);
}
