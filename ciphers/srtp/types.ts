// The one interface both SRTP backends (pure TypeScript on node:crypto, native N-API core) implement.
// Hot-path methods never throw for bad packets: they return an SrtpFailure (a typed, preallocated-cheap value).
import type { SrtpSuiteName } from './suites.js';

export const enum SrtpStatus {
  Ok = 0,
  AuthFail = 1,
  ReplayOld = 2,
  ReplayDuplicate = 3,
  Malformed = 4,
  KeyExhausted = 5,
  UnknownMki = 6,
}

export const SRTP_STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'ok',
  1: 'auth-failure',
  2: 'replay-too-old',
  3: 'replay-duplicate',
  4: 'malformed',
  5: 'key-exhausted',
  6: 'unknown-mki',
};

/** Why a packet was refused. `detail` names what was wrong (e.g. "RTP header extension runs past the packet"). */
export class SrtpFailure {
  constructor(
    readonly status: SrtpStatus,
    readonly detail: string,
  ) {}
  get code(): string {
    return SRTP_STATUS_NAMES[this.status] ?? 'unknown';
  }
  toString(): string {
    return `${this.code}: ${this.detail}`;
  }
}

/** Thrown only by convenience wrappers (CLI, tests) and for invalid policies, never by hot-path calls. */
export class SrtpError extends Error {
  constructor(
    readonly status: SrtpStatus,
    message: string,
  ) {
    super(message);
    this.name = 'SrtpError';
  }
}

export type SrtpResult = Buffer | SrtpFailure;

export function isSrtpFailure(r: SrtpResult): r is SrtpFailure {
  return r instanceof SrtpFailure;
}

/** One master key (RFC 3711 4.3.1). Several keys are told apart on the wire by their MKI. */
export interface SrtpMasterKey {
  key: Uint8Array;
  salt: Uint8Array;
  /** Master Key Identifier sent with every packet protected under this key (1..128 bytes). */
  mki?: Uint8Array;
  /**
   * Optional key lifetime in packets (SDES `|2^31|`): caps the SRTP and the SRTCP packet counts of this key, on top of
   * the 2^48 / 2^31 limits of RFC 3711 9.2. Past it, protect/unprotect under the key return KeyExhausted.
   */
  lifetime?: number;
}

/** A session policy: one suite and its master key(s); streams (one per SSRC) are created from it on first use. */
export interface SrtpPolicy {
  suite: SrtpSuiteName;
  /** keys[0] protects outgoing packets; on receive the MKI (if any) selects the key. All keys must agree on MKI use and length. */
  keys: SrtpMasterKey[];
  /** Key derivation rate (RFC 3711 4.3.1): 0 (derive once, the default) or a power of two up to 2^24. */
  kdr?: number;
  /** Replay window size in packets (default 128, like libsrtp; 64..32768). */
  replayWindow?: number;
  /** RFC 4568 session parameters. */
  encryptRtp?: boolean; // default true (UNENCRYPTED_SRTP clears it)
  encryptRtcp?: boolean; // default true (UNENCRYPTED_SRTCP clears it)
  authenticateRtp?: boolean; // default true (UNAUTHENTICATED_SRTP clears it)
}

/** Observable per-SSRC state (tests, reports, the CLI). */
export interface SrtpStreamState {
  ssrc: number;
  roc: number;
  /** Highest sequence number authenticated (receiver) or last sent (sender); -1 before the first packet. */
  seq: number;
  /** Last SRTCP index sent (sender) or highest received (receiver); -1 before the first packet. The first index sent is 1, as libsrtp does. */
  srtcpIndex: number;
  rtpPackets: number;
  rtcpPackets: number;
}

/**
 * Packets for a batch call, laid out in one buffer: packet k occupies data[offsets[k], offsets[k] + lengths[k]).
 * Each slot must leave room after the packet for the trailer protect adds (tag + MKI + 4-byte SRTCP index):
 * offsets[k] + lengths[k] + SRTP_MAX_TRAILER <= the next slot's offset (or data.length).
 * Batch calls work in place: they rewrite data and lengths[k] and set status[k] (an SrtpStatus) for every packet.
 */
export interface SrtpBatch {
  data: Buffer;
  offsets: Uint32Array;
  lengths: Uint32Array;
  status: Uint8Array;
  count: number;
}

/** Largest growth of a packet under protect: 16-byte tag + 128-byte MKI + 4-byte SRTCP index. */
export const SRTP_MAX_TRAILER = 16 + 128 + 4;

export type SrtpBackendName = 'ts' | 'native';

/** One direction of an SRTP session (sender or receiver) under one policy, for any number of SSRCs. */
export interface SrtpSession {
  readonly backend: SrtpBackendName;
  readonly suite: SrtpSuiteName;
  protectRtp(packet: Uint8Array): SrtpResult;
  unprotectRtp(packet: Uint8Array): SrtpResult;
  protectRtcp(packet: Uint8Array): SrtpResult;
  unprotectRtcp(packet: Uint8Array): SrtpResult;
  /** Batch forms; return the number of packets whose status is not Ok. */
  protectRtpBatch(batch: SrtpBatch): number;
  unprotectRtpBatch(batch: SrtpBatch): number;
  protectRtcpBatch(batch: SrtpBatch): number;
  unprotectRtcpBatch(batch: SrtpBatch): number;
  /** Sets the rollover counter of a stream (creating it), e.g. to join a call in progress or for the CLI's --roc. */
  setRoc(ssrc: number, roc: number): void;
  stream(ssrc: number): SrtpStreamState | undefined;
  /** Releases native resources; the session is unusable afterwards. */
  close(): void;
}

export interface SrtpSessionOptions {
  /** 'auto' (default) takes the native core if it loaded, else the TypeScript backend (logged once). */
  backend?: SrtpBackendName | 'auto';
}
