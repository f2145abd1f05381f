// The pure TypeScript SrtpSession: RFC 3711 (AES-CM / NULL + HMAC-SHA1), RFC 6188 (AES-192/256-CM), RFC 7714 (GCM)
// on node:crypto. Hot-path calls return an SrtpFailure for bad packets (never throw) and change stream state (ROC,
// replay window, counters, KDF epoch) only after the packet authenticated (receive) or was fully protected (send).
//
// Wire layouts (MKI present only when the policy's keys carry one):
//   SRTP, AES-CM/NULL:  header | payload | MKI | tag          tag = HMAC(header | payload | ROC)
//   SRTP, GCM:          header | ciphertext | tag16 | MKI     AAD = header (incl. CSRCs and extension)
//   SRTCP, AES-CM/NULL: header8 | payload | E+index | MKI | tag     tag = HMAC(header8 | payload | E+index)
//   SRTCP, GCM:         header8 | ciphertext | tag16 | E+index | MKI   AAD = header8 | E+index  (E=0: all of it)
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { srtpSuite, type SrtpSuite, type SrtpSuiteName } from '../suites.js';
import {
  SrtpError,
  SrtpFailure,
  SrtpStatus,
  type SrtpBackendName,
  type SrtpBatch,
  type SrtpPolicy,
  type SrtpResult,
  type SrtpSession,
  type SrtpStreamState,
} from '../types.js';
import { estimateIndex, MAX_ROC, SRTCP_INDEX_LIMIT, SRTP_INDEX_LIMIT } from './index-estimate.js';
import { xorKeystream, makeKeystream } from './keystream.js';
import { DEFAULT_REPLAY_WINDOW } from './replay.js';
import { readU16, readU32, rtcpHeaderProblem, rtpHeaderFailure, rtpHeaderLength } from './rtp-header.js';
import { deriveSessionKeys, rawSessionKeys, type SessionKeys } from './session-keys.js';
import { DirectionState, SrtpStream } from './stream.js';

const GCM_TAG = 16;
const GCM_OPTIONS = { authTagLength: GCM_TAG } as const;

/** One master key with its r = 0 session keys and its usage counters (shared by all streams of the session). */
interface MasterState {
  readonly index: number;
  readonly key: Buffer | null; // null when the session was built from raw session keys
  readonly salt: Buffer | null;
  readonly mki: Buffer | null;
  readonly rtp0: SessionKeys;
  readonly rtcp0: SessionKeys;
  rtpCount: number;
  rtcpCount: number;
  readonly rtpLimit: number;
  readonly rtcpLimit: number;
}

/** Session keys given below the KDF (RFC 7714 vectors, debugging): one set for SRTP, one for SRTCP. */
export interface RawSessionKeys {
  rtp: SessionKeys;
  rtcp: SessionKeys;
}

/** Options of the TS backend beyond the policy (the policy itself is validated by createSrtpSession). */
export interface TsSessionInit {
  policy: SrtpPolicy;
  /** Replaces the master keys by fixed session keys (kdr must be 0, one key, no MKI). */
  rawKeys?: RawSessionKeys;
}

const ivScratch = Buffer.alloc(12);
const indexScratch = Buffer.alloc(4);

function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

export class TsSrtpSession implements SrtpSession {
  readonly backend: SrtpBackendName = 'ts';
  readonly suite: SrtpSuiteName;
  private readonly s: SrtpSuite;
  private readonly masters: MasterState[];
  private readonly mkiLen: number;
  private readonly kdr: number;
  private readonly windowSize: number;
  private readonly encryptRtp: boolean;
  private readonly encryptRtcp: boolean;
  private readonly rtpTagLen: number;
  private readonly rtcpTagLen: number;
  private readonly gcm: boolean;
  /** Bytes protect adds to an RTP packet / to an RTCP packet. */
  readonly rtpTrailer: number;
  readonly rtcpTrailer: number;
  private readonly streams = new Map<number, SrtpStream>();
  private closed = false;

  constructor(init: TsSessionInit) {
    const policy = init.policy;
    const s = srtpSuite(policy.suite);
    this.s = s;
    this.suite = s.name;
    this.gcm = s.cipher === 'aes-gcm';
    this.kdr = policy.kdr ?? 0;
    this.windowSize = policy.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    this.encryptRtp = policy.encryptRtp ?? true;
    this.encryptRtcp = (policy.encryptRtcp ?? true) && s.cipher !== 'null'; // NULL sends E=0 (nothing is encrypted), as libsrtp
    this.rtpTagLen = policy.authenticateRtp === false ? 0 : s.srtpTagLen;
    this.rtcpTagLen = s.srtcpTagLen;
    const first = policy.keys[0];
    this.mkiLen = first?.mki ? first.mki.length : 0;
    if (init.rawKeys) {
      this.masters = [
        { index: 0, key: null, salt: null, mki: null, rtp0: init.rawKeys.rtp, rtcp0: init.rawKeys.rtcp, rtpCount: 0, rtcpCount: 0, rtpLimit: SRTP_INDEX_LIMIT, rtcpLimit: SRTCP_INDEX_LIMIT },
      ];
      this.mkiLen = 0;
    } else {
      this.masters = policy.keys.map((k, index) => {
        const key = Buffer.from(k.key);
        const salt = Buffer.from(k.salt);
        const lifetime = k.lifetime ?? Infinity;
        return {
          index,
          key,
          salt,
          mki: k.mki ? Buffer.from(k.mki) : null,
          rtp0: deriveSessionKeys(s, key, salt, false, 0),
          rtcp0: deriveSessionKeys(s, key, salt, true, 0),
          rtpCount: 0,
          rtcpCount: 0,
          rtpLimit: Math.min(SRTP_INDEX_LIMIT, lifetime),
          rtcpLimit: Math.min(SRTCP_INDEX_LIMIT, lifetime),
        };
      });
    }
    this.rtpTrailer = this.mkiLen + this.rtpTagLen;
    this.rtcpTrailer = 4 + this.mkiLen + this.rtcpTagLen;
  }

  // ---- single-packet API: a new Buffer out, the input untouched ---------------------------------------------

  protectRtp(packet: Uint8Array): SrtpResult {
    const out = Buffer.allocUnsafe(packet.length + this.rtpTrailer);
    const f = this.rtpProtect(packet, 0, packet.length, out, 0);
    return f === null ? out : f;
  }

  unprotectRtp(packet: Uint8Array): SrtpResult {
    const n = packet.length - this.rtpTrailer;
    if (n < 12) return this.shortSrtp(packet.length);
    const out = Buffer.allocUnsafe(n);
    const f = this.rtpUnprotect(packet, 0, packet.length, out, 0);
    return f === null ? out : f;
  }

  protectRtcp(packet: Uint8Array): SrtpResult {
    const out = Buffer.allocUnsafe(packet.length + this.rtcpTrailer);
    const f = this.rtcpProtect(packet, 0, packet.length, out, 0);
    return f === null ? out : f;
  }

  unprotectRtcp(packet: Uint8Array): SrtpResult {
    const n = packet.length - this.rtcpTrailer;
    if (n < 8) return this.shortSrtcp(packet.length);
    const out = Buffer.allocUnsafe(n);
    const f = this.rtcpUnprotect(packet, 0, packet.length, out, 0);
    return f === null ? out : f;
  }

  // ---- batch API: in place --------------------------------------------------------------------------------

  protectRtpBatch(batch: SrtpBatch): number {
    return this.batch(batch, this.rtpTrailer, (d, o, l) => this.rtpProtect(d, o, l, d, o));
  }

  unprotectRtpBatch(batch: SrtpBatch): number {
    return this.batch(batch, -this.rtpTrailer, (d, o, l) => (l - this.rtpTrailer < 12 ? this.shortSrtp(l) : this.rtpUnprotect(d, o, l, d, o)));
  }

  protectRtcpBatch(batch: SrtpBatch): number {
    return this.batch(batch, this.rtcpTrailer, (d, o, l) => this.rtcpProtect(d, o, l, d, o));
  }

  unprotectRtcpBatch(batch: SrtpBatch): number {
    return this.batch(batch, -this.rtcpTrailer, (d, o, l) => (l - this.rtcpTrailer < 8 ? this.shortSrtcp(l) : this.rtcpUnprotect(d, o, l, d, o)));
  }

  private batch(b: SrtpBatch, growth: number, one: (data: Buffer, off: number, len: number) => SrtpFailure | null): number {
    const count = b.count;
    if (!(count >= 0) || count > b.offsets.length || count > b.lengths.length || count > b.status.length) {
      throw new SrtpError(SrtpStatus.Malformed, `batch count ${count} exceeds its offsets/lengths/status arrays`);
    }
    let bad = 0;
    for (let k = 0; k < count; k++) {
      const off = b.offsets[k]!;
      const len = b.lengths[k]!;
      const end = k + 1 < count ? b.offsets[k + 1]! : b.data.length;
      let f: SrtpFailure | null;
      if (off + len > b.data.length) f = new SrtpFailure(SrtpStatus.Malformed, `batch packet ${k} (offset ${off}, ${len} bytes) runs past the ${b.data.length}-byte buffer`);
      else if (growth > 0 && off + len + growth > end) f = new SrtpFailure(SrtpStatus.Malformed, `batch slot ${k} has ${end - off - len} spare bytes, protect needs ${growth}`);
      else f = one(b.data, off, len);
      if (f === null) {
        b.status[k] = SrtpStatus.Ok;
        b.lengths[k] = len + growth;
      } else {
        b.status[k] = f.status;
        bad++;
      }
    }
    return bad;
  }

  // ---- state ------------------------------------------------------------------------------------------------

  setRoc(ssrc: number, roc: number): void {
    if (!Number.isInteger(ssrc) || ssrc < 0 || ssrc > 0xffffffff) throw new SrtpError(SrtpStatus.Malformed, `SSRC ${ssrc} is not a 32-bit unsigned integer`);
    if (!Number.isInteger(roc) || roc < 0 || roc > MAX_ROC) throw new SrtpError(SrtpStatus.Malformed, `ROC ${roc} is not a 32-bit unsigned integer`);
    const st = this.streamFor(ssrc);
    st.tx.setRoc(roc);
    st.rx.setRoc(roc);
    st.tx.keystream.clear();
    st.rx.keystream.clear();
  }

  stream(ssrc: number): SrtpStreamState | undefined {
    return this.streams.get(ssrc >>> 0)?.state();
  }

  close(): void {
    this.closed = true;
    this.streams.clear();
  }

  private streamFor(ssrc: number): SrtpStream {
    let st = this.streams.get(ssrc);
    if (st === undefined) {
      st = new SrtpStream(ssrc, this.windowSize);
      this.streams.set(ssrc, st);
    }
    return st;
  }

  // ---- key selection ------------------------------------------------------------------------------------------

  /** Session keys for an SRTP index under master m (re-derived when index DIV kdr changes; not cached here). */
  private rtpKeys(dir: DirectionState | undefined, m: MasterState, index: number): SessionKeys {
    if (this.kdr === 0) return m.rtp0;
    const r = Math.floor(index / this.kdr);
    if (r === 0) return m.rtp0;
    const cur = dir?.rtpKeys[m.index];
    if (cur !== undefined && cur.r === r) return cur;
    return deriveSessionKeys(this.s, m.key!, m.salt!, false, r);
  }

  private rtcpKeys(dir: DirectionState | undefined, m: MasterState, index: number): SessionKeys {
    if (this.kdr === 0) return m.rtcp0;
    const r = Math.floor(index / this.kdr);
    if (r === 0) return m.rtcp0;
    const cur = dir?.rtcpKeys[m.index];
    if (cur !== undefined && cur.r === r) return cur;
    return deriveSessionKeys(this.s, m.key!, m.salt!, true, r);
  }

  /** First index the keys of `index`'s KDF epoch must not cover. */
  private epochEnd(index: number): number {
    return this.kdr === 0 ? SRTP_INDEX_LIMIT : (Math.floor(index / this.kdr) + 1) * this.kdr;
  }

  /** The master key whose MKI is at p[at, at + mkiLen), or null. */
  private masterByMki(p: Uint8Array, at: number): MasterState | null {
    const n = this.mkiLen;
    for (const m of this.masters) {
      const mki = m.mki!;
      let diff = 0;
      for (let i = 0; i < n; i++) diff |= mki[i]! ^ p[at + i]!;
      if (diff === 0) return m;
    }
    return null;
  }

  private unknownMki(p: Uint8Array, at: number): SrtpFailure {
    return new SrtpFailure(SrtpStatus.UnknownMki, `MKI ${Buffer.from(p.subarray(at, at + this.mkiLen)).toString('hex')} matches none of the ${this.masters.length} master key(s)`);
  }

  // ---- SRTP -----------------------------------------------------------------------------------------------------

  private rtpProtect(src: Uint8Array, so: number, len: number, dst: Uint8Array, d: number): SrtpFailure | null {
    if (this.closed) return closedFailure();
    const h = rtpHeaderLength(src, so, len);
    if (h < 0) return rtpHeaderFailure(h, src, so, len, 'RTP packet');
    const ssrc = readU32(src, so + 8);
    const seq = readU16(src, so + 2);
    const st = this.streamFor(ssrc).tx;
    const index = estimateIndex(st.highest, st.initialRoc, seq);
    if (index >= SRTP_INDEX_LIMIT) return new SrtpFailure(SrtpStatus.KeyExhausted, `SRTP index space (2^48) used up for SSRC ${hex32(ssrc)}: the ROC cannot pass 2^32-1`);
    const m = this.masters[0]!;
    if (m.rtpCount >= m.rtpLimit) return exhausted('SRTP', m);
    const keys = this.rtpKeys(st, m, index);
    const roc = (index - seq) / 0x10000;
    const payload = len - h;
    const samePlace = dst === src && d === so;
    if (!samePlace) for (let i = 0; i < h; i++) dst[d + i] = src[so + i]!;
    if (this.gcm) {
      const c = createCipheriv(keys.gcmAlgorithm, keys.gcmKey!, this.rtpIv(keys, ssrc, roc, seq), GCM_OPTIONS);
      c.setAAD(src.subarray(so, so + h));
      const ct = payload > 0 ? c.update(src.subarray(so + h, so + len)) : null;
      c.final();
      if (ct !== null) dst.set(ct, d + h);
      dst.set(c.getAuthTag(), d + len);
      if (this.mkiLen > 0) dst.set(m.mki!, d + len + GCM_TAG);
    } else {
      if (payload > 0) {
        if (this.encryptRtp && keys.cipher === 'aes-cm') {
          const ks = st.keystream;
          const at = ks.get(keys, ssrc, index, payload, this.epochEnd(index));
          xorKeystream(dst, d + h, src, so + h, payload, ks.buf, at);
        } else if (!samePlace) {
          dst.set(src.subarray(so + h, so + len), d + h);
        }
      }
      if (this.mkiLen > 0) dst.set(m.mki!, d + len);
      if (this.rtpTagLen > 0) keys.mac!.sign(dst, d, d + len, roc, true, dst, d + len + this.mkiLen, this.rtpTagLen);
    }
    // Committed: the packet is out.
    if (index > st.highest) st.highest = index;
    if (this.kdr !== 0) st.rtpKeys[m.index] = keys;
    st.rtpPackets++;
    m.rtpCount++;
    return null;
  }

  private rtpUnprotect(src: Uint8Array, so: number, len: number, dst: Uint8Array, d: number): SrtpFailure | null {
    if (this.closed) return closedFailure();
    const end = len - this.rtpTrailer; // header + payload (ciphertext)
    const h = rtpHeaderLength(src, so, end);
    if (h < 0) return rtpHeaderFailure(h, src, so, end, `SRTP packet without its ${this.rtpTrailer}-byte trailer`);
    const ssrc = readU32(src, so + 8);
    const seq = readU16(src, so + 2);
    let m: MasterState;
    if (this.mkiLen > 0) {
      const mkiAt = so + end + (this.gcm ? GCM_TAG : 0);
      const found = this.masterByMki(src, mkiAt);
      if (found === null) return this.unknownMki(src, mkiAt);
      m = found;
    } else {
      m = this.masters[0]!;
    }
    const stream = this.streams.get(ssrc);
    const st = stream?.rx;
    const index = st === undefined ? seq : estimateIndex(st.highest, st.initialRoc, seq);
    if (index >= SRTP_INDEX_LIMIT) return new SrtpFailure(SrtpStatus.KeyExhausted, `SRTP index past 2^48-1 for SSRC ${hex32(ssrc)} (ROC cannot pass 2^32-1)`);
    if (st !== undefined) {
      const r = st.replay.check(index);
      if (r !== SrtpStatus.Ok) return replayFailure(r, 'SRTP', ssrc, index, st.replay.highest, this.windowSize);
    }
    if (m.rtpCount >= m.rtpLimit) return exhausted('SRTP', m);
    const keys = this.rtpKeys(st, m, index);
    const roc = (index - seq) / 0x10000;
    const payload = end - h;
    const samePlace = dst === src && d === so;
    if (this.gcm) {
      const dc = createDecipheriv(keys.gcmAlgorithm, keys.gcmKey!, this.rtpIv(keys, ssrc, roc, seq), GCM_OPTIONS);
      dc.setAAD(src.subarray(so, so + h));
      dc.setAuthTag(src.subarray(so + end, so + end + GCM_TAG));
      const pt = payload > 0 ? dc.update(src.subarray(so + h, so + end)) : null;
      try {
        dc.final(); // the only way node:crypto reports a GCM tag mismatch is by throwing here
      } catch {
        return new SrtpFailure(SrtpStatus.AuthFail, `GCM authentication failed (SSRC ${hex32(ssrc)}, SEQ ${seq}, ROC guess ${roc})`);
      }
      if (!samePlace) for (let i = 0; i < h; i++) dst[d + i] = src[so + i]!;
      if (pt !== null) dst.set(pt, d + h);
    } else {
      if (this.rtpTagLen > 0 && !keys.mac!.verify(src, so, so + end, roc, true, src, so + end + this.mkiLen, this.rtpTagLen)) {
        return new SrtpFailure(SrtpStatus.AuthFail, `authentication tag mismatch (SSRC ${hex32(ssrc)}, SEQ ${seq}, ROC guess ${roc})`);
      }
      if (!samePlace) for (let i = 0; i < h; i++) dst[d + i] = src[so + i]!;
      if (payload > 0) {
        if (this.encryptRtp && keys.cipher === 'aes-cm') {
          // In-order receivers hit the speculative keystream cache; the stream object exists from here on.
          const rx = st ?? this.streamFor(ssrc).rx;
          const ks = rx.keystream;
          const at = ks.get(keys, ssrc, index, payload, this.epochEnd(index));
          xorKeystream(dst, d + h, src, so + h, payload, ks.buf, at);
        } else if (!samePlace) {
          dst.set(src.subarray(so + h, so + end), d + h);
        }
      }
    }
    // Authenticated: commit.
    const rx = st ?? this.streamFor(ssrc).rx;
    rx.replay.accept(index);
    if (index > rx.highest) rx.highest = index;
    if (this.kdr !== 0) rx.rtpKeys[m.index] = keys;
    rx.rtpPackets++;
    m.rtpCount++;
    return null;
  }

  /** RFC 7714 8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt. Shared scratch: createCipheriv copies it. */
  private rtpIv(keys: SessionKeys, ssrc: number, roc: number, seq: number): Buffer {
    const iv = ivScratch;
    const salt = keys.salt;
    iv[0] = salt[0]!;
    iv[1] = salt[1]!;
    iv[2] = salt[2]! ^ (ssrc >>> 24);
    iv[3] = salt[3]! ^ ((ssrc >>> 16) & 0xff);
    iv[4] = salt[4]! ^ ((ssrc >>> 8) & 0xff);
    iv[5] = salt[5]! ^ (ssrc & 0xff);
    iv[6] = salt[6]! ^ (roc >>> 24);
    iv[7] = salt[7]! ^ ((roc >>> 16) & 0xff);
    iv[8] = salt[8]! ^ ((roc >>> 8) & 0xff);
    iv[9] = salt[9]! ^ (roc & 0xff);
    iv[10] = salt[10]! ^ (seq >>> 8);
    iv[11] = salt[11]! ^ (seq & 0xff);
    return iv;
  }

  private shortSrtp(len: number): SrtpFailure {
    return new SrtpFailure(SrtpStatus.Malformed, `SRTP packet has ${len} bytes, fewer than the 12-byte RTP header plus the ${this.rtpTrailer}-byte trailer`);
  }

  private shortSrtcp(len: number): SrtpFailure {
    return new SrtpFailure(SrtpStatus.Malformed, `SRTCP packet has ${len} bytes, fewer than the 8-byte RTCP header plus the ${this.rtcpTrailer}-byte trailer`);
  }

  // ---- SRTCP ----------------------------------------------------------------------------------------------------

  private rtcpProtect(src: Uint8Array, so: number, len: number, dst: Uint8Array, d: number): SrtpFailure | null {
    if (this.closed) return closedFailure();
    const problem = rtcpHeaderProblem(src, so, len, 'RTCP packet');
    if (problem !== null) return problem;
    const ssrc = readU32(src, so + 4);
    const st = this.streamFor(ssrc).tx;
    const index = st.rtcpIndex < 0 ? 1 : st.rtcpIndex + 1; // first index sent is 1 (libsrtp; RFC 3711 3.4 leaves room to read it as 0)
    if (index >= SRTCP_INDEX_LIMIT) return new SrtpFailure(SrtpStatus.KeyExhausted, `SRTCP index space (2^31) used up for SSRC ${hex32(ssrc)}`);
    const m = this.masters[0]!;
    if (m.rtcpCount >= m.rtcpLimit) return exhausted('SRTCP', m);
    const keys = this.rtcpKeys(st, m, index);
    const e = this.encryptRtcp;
    const word = (e ? 0x80000000 : 0) + index;
    const samePlace = dst === src && d === so;
    if (!samePlace) for (let i = 0; i < 8; i++) dst[d + i] = src[so + i]!;
    if (this.gcm) {
      const ei = indexScratch;
      ei.writeUInt32BE(word, 0);
      const c = createCipheriv(keys.gcmAlgorithm, keys.gcmKey!, this.rtcpIv(keys, ssrc, index), GCM_OPTIONS);
      if (e) {
        c.setAAD(src.subarray(so, so + 8));
        c.setAAD(ei);
        const ct = len > 8 ? c.update(src.subarray(so + 8, so + len)) : null;
        c.final();
        if (ct !== null) dst.set(ct, d + 8);
      } else {
        c.setAAD(src.subarray(so, so + len));
        c.setAAD(ei);
        c.final();
        if (!samePlace && len > 8) dst.set(src.subarray(so + 8, so + len), d + 8);
      }
      dst.set(c.getAuthTag(), d + len);
      dst.set(ei, d + len + GCM_TAG);
      if (this.mkiLen > 0) dst.set(m.mki!, d + len + GCM_TAG + 4);
    } else {
      if (len > 8) {
        if (e) {
          const ks = makeKeystream(keys, ssrc, index, 1, (len - 8 + 15) & ~15);
          xorKeystream(dst, d + 8, src, so + 8, len - 8, ks, 0);
        } else if (!samePlace) {
          dst.set(src.subarray(so + 8, so + len), d + 8);
        }
      }
      writeU32(dst, d + len, word);
      if (this.mkiLen > 0) dst.set(m.mki!, d + len + 4);
      keys.mac!.sign(dst, d, d + len + 4, 0, false, dst, d + len + 4 + this.mkiLen, this.rtcpTagLen);
    }
    st.rtcpIndex = index;
    if (this.kdr !== 0) st.rtcpKeys[m.index] = keys;
    st.rtcpPackets++;
    m.rtcpCount++;
    return null;
  }

  private rtcpUnprotect(src: Uint8Array, so: number, len: number, dst: Uint8Array, d: number): SrtpFailure | null {
    if (this.closed) return closedFailure();
    // end: the RTCP packet proper (header + possibly encrypted part); then tag16 (GCM), E+index, MKI, tag (HMAC).
    const end = len - this.rtcpTrailer;
    const problem = rtcpHeaderProblem(src, so, end, `SRTCP packet without its ${this.rtcpTrailer}-byte trailer`);
    if (problem !== null) return problem;
    const ssrc = readU32(src, so + 4);
    const eiAt = so + end + (this.gcm ? GCM_TAG : 0);
    const word = readU32(src, eiAt);
    const e = word >= 0x80000000;
    const index = word & 0x7fffffff;
    let m: MasterState;
    if (this.mkiLen > 0) {
      const found = this.masterByMki(src, eiAt + 4);
      if (found === null) return this.unknownMki(src, eiAt + 4);
      m = found;
    } else {
      m = this.masters[0]!;
    }
    const stream = this.streams.get(ssrc);
    const st = stream?.rx;
    if (st !== undefined) {
      const r = st.rtcpReplay.check(index);
      if (r !== SrtpStatus.Ok) return replayFailure(r, 'SRTCP', ssrc, index, st.rtcpReplay.highest, this.windowSize);
    }
    if (m.rtcpCount >= m.rtcpLimit) return exhausted('SRTCP', m);
    const keys = this.rtcpKeys(st, m, index);
    const samePlace = dst === src && d === so;
    if (this.gcm) {
      const dc = createDecipheriv(keys.gcmAlgorithm, keys.gcmKey!, this.rtcpIv(keys, ssrc, index), GCM_OPTIONS);
      const eiBytes = src.subarray(eiAt, eiAt + 4);
      let pt: Buffer | null = null;
      if (e) {
        dc.setAAD(src.subarray(so, so + 8));
        dc.setAAD(eiBytes);
        dc.setAuthTag(src.subarray(so + end, so + end + GCM_TAG));
        if (end > 8) pt = dc.update(src.subarray(so + 8, so + end));
      } else {
        dc.setAAD(src.subarray(so, so + end));
        dc.setAAD(eiBytes);
        dc.setAuthTag(src.subarray(so + end, so + end + GCM_TAG));
      }
      try {
        dc.final();
      } catch {
        return new SrtpFailure(SrtpStatus.AuthFail, `GCM authentication failed (SRTCP, SSRC ${hex32(ssrc)}, index ${index}, E=${e ? 1 : 0})`);
      }
      if (!samePlace) for (let i = 0; i < 8; i++) dst[d + i] = src[so + i]!;
      if (pt !== null) dst.set(pt, d + 8);
      else if (!samePlace && end > 8) dst.set(src.subarray(so + 8, so + end), d + 8);
    } else {
      if (!keys.mac!.verify(src, so, so + end + 4, 0, false, src, so + end + 4 + this.mkiLen, this.rtcpTagLen)) {
        return new SrtpFailure(SrtpStatus.AuthFail, `authentication tag mismatch (SRTCP, SSRC ${hex32(ssrc)}, index ${index}, E=${e ? 1 : 0})`);
      }
      if (!samePlace) for (let i = 0; i < 8; i++) dst[d + i] = src[so + i]!;
      if (end > 8) {
        if (e && keys.cipher === 'aes-cm') {
          const ks = makeKeystream(keys, ssrc, index, 1, (end - 8 + 15) & ~15);
          xorKeystream(dst, d + 8, src, so + 8, end - 8, ks, 0);
        } else if (!samePlace) {
          dst.set(src.subarray(so + 8, so + end), d + 8);
        }
      }
    }
    const rx = st ?? this.streamFor(ssrc).rx;
    rx.rtcpReplay.accept(index);
    if (index > rx.rtcpIndex) rx.rtcpIndex = index;
    if (this.kdr !== 0) rx.rtcpKeys[m.index] = keys;
    rx.rtcpPackets++;
    m.rtcpCount++;
    return null;
  }

  /** RFC 7714 9.1: IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt. */
  private rtcpIv(keys: SessionKeys, ssrc: number, index: number): Buffer {
    const iv = ivScratch;
    const salt = keys.salt;
    iv[0] = salt[0]!;
    iv[1] = salt[1]!;
    iv[2] = salt[2]! ^ (ssrc >>> 24);
    iv[3] = salt[3]! ^ ((ssrc >>> 16) & 0xff);
    iv[4] = salt[4]! ^ ((ssrc >>> 8) & 0xff);
    iv[5] = salt[5]! ^ (ssrc & 0xff);
    iv[6] = salt[6]!;
    iv[7] = salt[7]!;
    iv[8] = salt[8]! ^ (index >>> 24);
    iv[9] = salt[9]! ^ ((index >>> 16) & 0xff);
    iv[10] = salt[10]! ^ ((index >>> 8) & 0xff);
    iv[11] = salt[11]! ^ (index & 0xff);
    return iv;
  }
}

function writeU32(p: Uint8Array, o: number, v: number): void {
  p[o] = v >>> 24;
  p[o + 1] = (v >>> 16) & 0xff;
  p[o + 2] = (v >>> 8) & 0xff;
  p[o + 3] = v & 0xff;
}

function closedFailure(): SrtpFailure {
  return new SrtpFailure(SrtpStatus.KeyExhausted, 'the SRTP session is closed (its keys were released)');
}

function exhausted(kind: 'SRTP' | 'SRTCP', m: MasterState): SrtpFailure {
  const limit = kind === 'SRTP' ? m.rtpLimit : m.rtcpLimit;
  const mki = m.mki ? ` (MKI ${m.mki.toString('hex')})` : '';
  return new SrtpFailure(SrtpStatus.KeyExhausted, `master key ${m.index}${mki} reached its ${kind} lifetime of ${limit} packets; re-key`);
}

function replayFailure(status: SrtpStatus, kind: string, ssrc: number, index: number, highest: number, window: number): SrtpFailure {
  if (status === SrtpStatus.ReplayDuplicate) {
    return new SrtpFailure(status, `${kind} index ${index} of SSRC ${hex32(ssrc)} was already received`);
  }
  return new SrtpFailure(status, `${kind} index ${index} of SSRC ${hex32(ssrc)} is ${highest - index} behind the highest (${highest}), outside the ${window}-packet replay window`);
}

/** Session key material for one context, as printed by test vectors stated below the KDF. */
export interface SessionKeyMaterial {
  encKey: Uint8Array;
  salt: Uint8Array;
  authKey?: Uint8Array;
}

/**
 * A TS session that skips the KDF and uses the given session keys (RFC 7714 sections 16-17 state their vectors
 * this way). `rtcp` defaults to `rtp`. No MKI, kdr 0; the policy flags apply as usual.
 */
export function createTsSessionFromSessionKeys(
  suiteName: SrtpSuiteName,
  rtp: SessionKeyMaterial,
  rtcp: SessionKeyMaterial = rtp,
  flags: Pick<SrtpPolicy, 'encryptRtp' | 'encryptRtcp' | 'authenticateRtp' | 'replayWindow'> = {},
): TsSrtpSession {
  const s = srtpSuite(suiteName);
  const policy: SrtpPolicy = { ...flags, suite: suiteName, keys: [{ key: new Uint8Array(s.keyLen), salt: new Uint8Array(s.saltLen) }] };
  return new TsSrtpSession({
    policy,
    rawKeys: { rtp: rawSessionKeys(s, rtp.encKey, rtp.salt, rtp.authKey), rtcp: rawSessionKeys(s, rtcp.encKey, rtcp.salt, rtcp.authKey) },
  });
}
