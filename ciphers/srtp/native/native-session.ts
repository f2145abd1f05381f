// SrtpSession over the native core (native/srtp, N-API). Single-packet calls copy the packet into a new buffer with
// room for the trailer and work on that copy; batch calls hand the SrtpBatch arrays to C in one crossing.
import { SRTP_SUITES } from '../suites.js';
import type { SrtpSuiteName } from '../suites.js';
import { SrtpError, SrtpFailure, SrtpStatus } from '../types.js';
import { validateSrtpPolicy } from '../policy.js';
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
    validateSrtpPolicy(policy);
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

