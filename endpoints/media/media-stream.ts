// One direction of a call's media. SendStream builds G.711 test-signal packets into preallocated slots and protects
// them in place (a one-packet SrtpBatch: no allocation, one native crossing); ReceiveStream unprotects in place,
// checks every payload byte and keeps RFC 3550 statistics per source (A.1 sequence extension, A.3 loss, A.8 jitter),
// plus what the results need: authentication failures, replays, late packets. Sockets and timing live in
// media-session.ts.
import { SRTP_MAX_TRAILER, SrtpStatus, type SrtpBatch, type SrtpSession } from '../../ciphers/srtp/types.js';
import { G711_CLOCK_RATE, TestSignal, type G711Law } from './g711.js';
import { newRtpView, readRtp, writeRtpHeader, RTP_HEADER_LENGTH, type RtcpReportBlock, type RtpView } from './rtp-packet.js';

/** Test hooks on the sending side, after protection (a lossy or hostile network). `index` counts packets from 0. */
export interface Impairments {
  /** Not sent (network loss): the receiver counts it lost. */
  drop?: (index: number, seq: number) => boolean;
  /** One byte of the protected payload flipped: the receiver counts an authentication failure. */
  corrupt?: (index: number, seq: number) => boolean;
  /** Sent twice: the receiver counts a replay. */
  duplicate?: (index: number, seq: number) => boolean;
}

export interface SendStats {
  ssrc: number;
  /** RTP packets produced (what the SR's sender packet count says), including impaired ones. */
  packets: number;
  /** Payload octets produced (the SR's octet count). */
  octets: number;
  firstSeq: number | null;
  lastSeq: number | null;
  protectFailures: number;
  sendErrors: number;
  impaired: { dropped: number; corrupted: number; duplicated: number };
}

export interface SendStreamOptions {
  ssrc: number;
  payloadType: number;
  law: G711Law;
  samplesPerPacket?: number;
  /** Protects outgoing packets; null sends plain RTP. */
  srtp: SrtpSession | null;
  initialSeq?: number;
  initialTimestamp?: number;
  impair?: Impairments;
  /** Slots in the send ring (a slot is rewritten `ringSize` packets later; default 8). */
  ringSize?: number;
}

const SLOT_BYTES = RTP_HEADER_LENGTH + 480 + SRTP_MAX_TRAILER;

/** Builds, protects and describes the next packet; media-session.ts puts it on the wire. */
export class SendStream {
  readonly ssrc: number;
  payloadType: number;
  readonly samplesPerPacket: number;
  /** Where the last produced packet is: data[offset, offset + length), also as its own view `packet`. */
  readonly data: Buffer;
  offset = 0;
  length = 0;
  /** The last produced packet (a view of `data` kept per ring slot while the length stays the same: no allocation). */
  packet: Buffer = Buffer.alloc(0);
  /** Send the last packet twice (duplicate impairment). */
  duplicateLast = false;
  #signal: TestSignal;
  #srtp: SrtpSession | null;
  #batch: SrtpBatch;
  #ring: number;
  #slot = 0;
  #views: (Buffer | undefined)[];
  #seq: number;
  #ts0: number;
  #tick0: number | null = null;
  #impair: Impairments | undefined;
  #stats: SendStats;

  constructor(o: SendStreamOptions) {
    this.ssrc = o.ssrc >>> 0;
    this.payloadType = o.payloadType;
    this.samplesPerPacket = o.samplesPerPacket ?? 160;
    this.#signal = new TestSignal(o.law, this.samplesPerPacket);
    this.#srtp = o.srtp;
    this.#ring = o.ringSize ?? 8;
    this.data = Buffer.alloc(SLOT_BYTES * this.#ring);
    this.#views = new Array<Buffer | undefined>(this.#ring);
    this.#batch = { data: this.data, offsets: new Uint32Array(1), lengths: new Uint32Array(1), status: new Uint8Array(1), count: 1 };
    this.#seq = (o.initialSeq ?? randomU16()) & 0xffff;
    this.#ts0 = (o.initialTimestamp ?? randomU32()) >>> 0;
    this.#impair = o.impair;
    this.#stats = { ssrc: this.ssrc, packets: 0, octets: 0, firstSeq: null, lastSeq: null, protectFailures: 0, sendErrors: 0, impaired: { dropped: 0, corrupted: 0, duplicated: 0 } };
  }

  /** Changes the law of the payload (after a re-INVITE picked PCMA instead of PCMU). */
  setCodec(law: G711Law, payloadType: number): void {
    this.#signal = new TestSignal(law, this.samplesPerPacket);
    this.payloadType = payloadType;
  }

  /** Replaces the protecting session (re-key); null sends plain RTP. The caller closes the old one. */
  setSrtp(srtp: SrtpSession | null): void {
    this.#srtp = srtp;
  }

  /** RTP timestamp of a tick: advances 160 per tick from the stream's first tick, sending or not (hold keeps time). */
  timestampAt(tick: number): number {
    if (this.#tick0 === null) this.#tick0 = tick;
    return (this.#ts0 + (tick - this.#tick0) * this.samplesPerPacket) >>> 0;
  }

  /** RTP timestamp at a fractional tick (for the SR's RTP/NTP pairing). */
  timestampAtMedia(mediaMs: number, periodMs: number): number {
    if (this.#tick0 === null) return this.#ts0;
    const ticks = mediaMs / periodMs - this.#tick0;
    return (this.#ts0 + Math.round(ticks * this.samplesPerPacket)) >>> 0;
  }

  /**
   * Builds the packet for `tick` into the next ring slot and protects it. Returns false when nothing is to be sent
   * (protection failed, or the drop impairment said so); then `offset/length` are stale.
   */
  produce(tick: number, marker = false): boolean {
    const seq = this.#seq;
    const ts = this.timestampAt(tick);
    const slot = this.#slot;
    const off = slot * SLOT_BYTES;
    this.#slot = (slot + 1) % this.#ring;
    const data = this.data;
    writeRtpHeader(data, off, marker, this.payloadType, seq, ts, this.ssrc);
    const n = this.#signal.fill(data, off + RTP_HEADER_LENGTH, this.ssrc, seq, ts);
    let len = RTP_HEADER_LENGTH + n;
    const st = this.#stats;
    const index = st.packets;
    this.#seq = (seq + 1) & 0xffff;
    st.packets++;
    st.octets += n;
    if (st.firstSeq === null) st.firstSeq = seq;
    st.lastSeq = seq;
    const srtp = this.#srtp;
    if (srtp) {
      const b = this.#batch;
      b.offsets[0] = off;
      b.lengths[0] = len;
      if (srtp.protectRtpBatch(b) !== 0) {
        st.protectFailures++;
        return false;
      }
      len = b.lengths[0]!;
    }
    this.offset = off;
    this.length = len;
    let view = this.#views[slot];
    if (view === undefined || view.length !== len) this.#views[slot] = view = data.subarray(off, off + len);
    this.packet = view;
    this.duplicateLast = false;
    const imp = this.#impair;
    if (imp) {
      if (imp.drop?.(index, seq)) {
        st.impaired.dropped++;
        return false;
      }
      if (imp.corrupt?.(index, seq)) {
        data[off + RTP_HEADER_LENGTH + 20] ^= 0x5a; // a payload byte: the tag (or GCM) no longer matches
        st.impaired.corrupted++;
      }
      if (imp.duplicate?.(index, seq)) {
        this.duplicateLast = true;
        st.impaired.duplicated++;
      }
    }
    return true;
  }

  noteSendError(): void {
    this.#stats.sendErrors++;
  }

  stats(): SendStats {
    const s = this.#stats;
    return { ...s, impaired: { ...s.impaired } };
  }
}

// ---- receive --------------------------------------------------------------------------------------------------

const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const SEQ_MOD = 0x10000;

export interface ReceiveSourceStats {
  ssrc: number;
  /** Authenticated packets taken into the statistics. */
  packets: number;
  octets: number;
  baseSeq: number;
  extendedHighestSeq: number;
  /** Expected from the sequence numbers (RFC 3550 A.3). */
  expected: number;
  /** expected − received, never below 0 here (duplicates are refused by SRTP, counted as replays). */
  lost: number;
  /** Arrived after its playout deadline, or behind the highest sequence number by more than the jitter buffer. */
  late: number;
  /** Arrived behind the highest sequence number (within the misorder range). */
  reordered: number;
  /** Interarrival jitter (A.8) in timestamp units and ms. */
  jitter: number;
  jitterMs: number;
  contentErrors: number;
  /** Packets with a payload type the session did not negotiate. */
  payloadTypeErrors: number;
  /** Sequence jumps beyond MAX_DROPOUT that restarted the count (A.1). */
  sequenceRestarts: number;
}

export interface ReceiveStats {
  /** Datagrams handed to the stream. */
  datagrams: number;
  /** Packets that decrypted, parsed and entered the statistics. */
  packets: number;
  authFailures: number;
  replays: number;
  /** Not RTP, or refused by SRTP as malformed. */
  malformed: number;
  /** Other SRTP refusals (key exhausted, unknown MKI). */
  otherFailures: number;
  contentErrors: number;
  payloadTypeErrors: number;
  lost: number;
  late: number;
  reordered: number;
  /** Highest jitter over the sources, ms. */
  jitterMs: number;
  sources: ReceiveSourceStats[];
  /** Counts of SRTP refusals by status name. */
  srtpFailures: Record<string, number>;
}

export interface ReceiveStreamOptions {
  /** Unprotects incoming packets; null takes plain RTP. */
  srtp: SrtpSession | null;
  /** Payload types the session negotiated and the G.711 law each carries. */
  payloadTypes: ReadonlyMap<number, G711Law>;
  samplesPerPacket?: number;
  /** Playout delay past the earliest-arriving packet's transit (default 60 ms). */
  jitterBufferMs?: number;
  /** Check every payload byte against the test signal (default true). */
  contentCheck?: boolean;
  clockRate?: number;
}

class Source {
  readonly ssrc: number;
  packets = 0;
  octets = 0;
  baseSeq: number;
  maxSeq: number;
  cycles = 0;
  badSeq = SEQ_MOD + 1;
  fresh = true;
  late = 0;
  reordered = 0;
  contentErrors = 0;
  payloadTypeErrors = 0;
  sequenceRestarts = 0;
  jitter = 0;
  lastTransit = NaN;
  /** Smallest (arrival − media time of the timestamp) seen: the playout reference. */
  minTransitMs = Infinity;
  baseTs: number;
  expectedPrior = 0;
  receivedPrior = 0;
  /** From the peer's last SR: middle 32 NTP bits and when it arrived (media ms). */
  lastSrNtp = 0;
  lastSrArrivalMs = 0;

  constructor(ssrc: number, seq: number, ts: number) {
    this.ssrc = ssrc;
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.baseTs = ts;
  }

  get extendedMax(): number {
    return this.cycles + this.maxSeq;
  }

  get expected(): number {
    return this.extendedMax - this.baseSeq + 1;
  }

  /** RFC 3550 A.1 without probation (SRTP already authenticated the packet). */
  updateSeq(seq: number): 'in-order' | 'reordered' | 'ignored' {
    if (this.fresh) {
      this.fresh = false;
      return 'in-order';
    }
    const udelta = (seq - this.maxSeq + SEQ_MOD) % SEQ_MOD;
    if (udelta === 0) return 'reordered'; // a duplicate SRTP let through cannot happen; plain RTP counts it here
    if (udelta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += SEQ_MOD;
      this.maxSeq = seq;
      return 'in-order';
    }
    if (udelta <= SEQ_MOD - MAX_MISORDER) {
      // A very large jump: accept it as a restart when the next packet confirms it (two in a row).
      if (seq === this.badSeq) {
        this.sequenceRestarts++;
        this.baseSeq = seq;
        this.maxSeq = seq;
        this.cycles = 0;
        this.badSeq = SEQ_MOD + 1;
        this.expectedPrior = 0;
        this.receivedPrior = 0;
        this.packets = 0;
        return 'in-order';
      }
      this.badSeq = (seq + 1) % SEQ_MOD;
      return 'ignored';
    }
    return 'reordered';
  }
}

/** The receiving half of a call leg. */
export class ReceiveStream {
  readonly samplesPerPacket: number;
  readonly clockRate: number;
  jitterBufferMs: number;
  #srtp: SrtpSession | null;
  #payloadTypes: Map<number, TestSignal | null>;
  #contentCheck: boolean;
  #batch: SrtpBatch;
  #view: RtpView = newRtpView();
  #sources = new Map<number, Source>();
  #last: Source | null = null;
  #c = { datagrams: 0, authFailures: 0, replays: 0, malformed: 0, otherFailures: 0 };
  #failures: Record<string, number> = {};
  /** SRs from sources not heard from yet (RTCP can overtake the first RTP packet). */
  #pendingSr = new Map<number, [number, number]>();

  constructor(o: ReceiveStreamOptions) {
    this.#srtp = o.srtp;
    this.samplesPerPacket = o.samplesPerPacket ?? 160;
    this.clockRate = o.clockRate ?? G711_CLOCK_RATE;
    this.jitterBufferMs = o.jitterBufferMs ?? 60;
    this.#contentCheck = o.contentCheck ?? true;
    this.#payloadTypes = new Map();
    this.setPayloadTypes(o.payloadTypes);
    this.#batch = { data: Buffer.alloc(0), offsets: new Uint32Array(1), lengths: new Uint32Array(1), status: new Uint8Array(1), count: 1 };
  }

  setPayloadTypes(pts: ReadonlyMap<number, G711Law>): void {
    this.#payloadTypes.clear();
    for (const [pt, law] of pts) this.#payloadTypes.set(pt, this.#contentCheck ? new TestSignal(law, this.samplesPerPacket) : null);
  }

  setSrtp(srtp: SrtpSession | null): void {
    this.#srtp = srtp;
  }

  /** Takes one datagram (decrypted in place): SRTP, RTP parse, content check, statistics. */
  receive(buf: Buffer, arrivalMs: number): void {
    const c = this.#c;
    c.datagrams++;
    let len = buf.length;
    const srtp = this.#srtp;
    if (srtp) {
      const b = this.#batch;
      b.data = buf;
      b.offsets[0] = 0;
      b.lengths[0] = len;
      if (srtp.unprotectRtpBatch(b) !== 0) {
        this.#refused(b.status[0]!);
        return;
      }
      len = b.lengths[0]!;
    }
    const v = this.#view;
    if (readRtp(buf, 0, len, v) !== null) {
      c.malformed++;
      this.#count('not-rtp');
      return;
    }
    let s = this.#last;
    if (s === null || s.ssrc !== v.ssrc) {
      s = this.#sources.get(v.ssrc) ?? null;
      if (s === null) {
        s = new Source(v.ssrc, v.sequenceNumber, v.timestamp);
        this.#sources.set(v.ssrc, s);
      }
      this.#last = s;
    }
    const order = s.updateSeq(v.sequenceNumber);
    if (order === 'ignored') return;
    s.packets++;
    s.octets += v.payloadLength;
    // Playout: the earliest transit seen is the reference; later than it by more than the jitter buffer is late.
    const mediaMs = (((v.timestamp - s.baseTs) | 0) * 1000) / this.clockRate;
    const transitMs = arrivalMs - mediaMs;
    if (transitMs < s.minTransitMs) s.minTransitMs = transitMs;
    let late = transitMs > s.minTransitMs + this.jitterBufferMs;
    if (order === 'reordered') {
      s.reordered++;
      const behind = (s.maxSeq - v.sequenceNumber + SEQ_MOD) % SEQ_MOD;
      if (behind * this.samplesPerPacket * 1000 > this.jitterBufferMs * this.clockRate) late = true;
    }
    if (late) s.late++;
    // A.8 jitter, in timestamp units.
    const transit = (arrivalMs * this.clockRate) / 1000 - ((v.timestamp - s.baseTs) | 0);
    if (!Number.isNaN(s.lastTransit)) {
      const d = Math.abs(transit - s.lastTransit);
      s.jitter += (d - s.jitter) / 16;
    }
    s.lastTransit = transit;
    const sig = this.#payloadTypes.get(v.payloadType);
    if (sig === undefined) {
      s.payloadTypeErrors++;
    } else if (sig !== null && !sig.check(buf, v.payloadOffset, v.payloadLength, v.ssrc, v.sequenceNumber, v.timestamp)) {
      s.contentErrors++;
    }
  }

  #refused(status: number): void {
    const c = this.#c;
    if (status === SrtpStatus.AuthFail) c.authFailures++;
    else if (status === SrtpStatus.ReplayDuplicate || status === SrtpStatus.ReplayOld) c.replays++;
    else if (status === SrtpStatus.Malformed) c.malformed++;
    else c.otherFailures++;
    this.#count(SRTP_FAILURE_NAMES[status] ?? `status-${status}`);
  }

  #count(name: string): void {
    this.#failures[name] = (this.#failures[name] ?? 0) + 1;
  }

  /** Records an SR from a source (for LSR/DLSR in our reports). */
  noteSenderReport(ssrc: number, ntpMiddle: number, arrivalMs: number): void {
    const s = this.#sources.get(ssrc);
    if (s) {
      s.lastSrNtp = ntpMiddle;
      s.lastSrArrivalMs = arrivalMs;
    } else {
      this.#pendingSr.set(ssrc, [ntpMiddle, arrivalMs]);
    }
  }

  /** Report blocks for our next SR/RR (RFC 3550 §6.4.1, A.3); advances the "since last report" counters. */
  reportBlocks(nowMs: number): RtcpReportBlock[] {
    const out: RtcpReportBlock[] = [];
    for (const s of this.#sources.values()) {
      if (s.packets === 0) continue;
      const pending = this.#pendingSr.get(s.ssrc);
      if (pending) {
        [s.lastSrNtp, s.lastSrArrivalMs] = pending;
        this.#pendingSr.delete(s.ssrc);
      }
      const expected = s.expected;
      const expectedInterval = expected - s.expectedPrior;
      const receivedInterval = s.packets - s.receivedPrior;
      s.expectedPrior = expected;
      s.receivedPrior = s.packets;
      const lostInterval = expectedInterval - receivedInterval;
      const fraction = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval << 8) / expectedInterval));
      const lost = Math.max(-0x800000, Math.min(0x7fffff, expected - s.packets));
      const dlsr = s.lastSrNtp === 0 ? 0 : Math.max(0, Math.round(((nowMs - s.lastSrArrivalMs) / 1000) * 65536)) >>> 0;
      out.push({
        ssrc: s.ssrc,
        fractionLost: fraction,
        cumulativeLost: lost,
        extendedHighestSeq: s.extendedMax >>> 0,
        jitter: Math.floor(s.jitter) >>> 0,
        lastSr: s.lastSrNtp,
        delaySinceLastSr: dlsr,
      });
      if (out.length === 31) break;
    }
    return out;
  }

  stats(): ReceiveStats {
    const c = this.#c;
    const sources: ReceiveSourceStats[] = [];
    let packets = 0;
    let lost = 0;
    let late = 0;
    let reordered = 0;
    let contentErrors = 0;
    let payloadTypeErrors = 0;
    let jitterMs = 0;
    for (const s of this.#sources.values()) {
      const expected = s.packets === 0 ? 0 : s.expected;
      const l = Math.max(0, expected - s.packets);
      const jms = (s.jitter * 1000) / this.clockRate;
      sources.push({
        ssrc: s.ssrc,
        packets: s.packets,
        octets: s.octets,
        baseSeq: s.baseSeq,
        extendedHighestSeq: s.extendedMax,
        expected,
        lost: l,
        late: s.late,
        reordered: s.reordered,
        jitter: s.jitter,
        jitterMs: jms,
        contentErrors: s.contentErrors,
        payloadTypeErrors: s.payloadTypeErrors,
        sequenceRestarts: s.sequenceRestarts,
      });
      packets += s.packets;
      lost += l;
      late += s.late;
      reordered += s.reordered;
      contentErrors += s.contentErrors;
      payloadTypeErrors += s.payloadTypeErrors;
      if (jms > jitterMs) jitterMs = jms;
    }
    return { datagrams: c.datagrams, packets, authFailures: c.authFailures, replays: c.replays, malformed: c.malformed, otherFailures: c.otherFailures, contentErrors, payloadTypeErrors, lost, late, reordered, jitterMs, sources, srtpFailures: { ...this.#failures } };
  }
}

const SRTP_FAILURE_NAMES: Record<number, string> = {
  [SrtpStatus.AuthFail]: 'auth-failure',
  [SrtpStatus.ReplayOld]: 'replay-too-old',
  [SrtpStatus.ReplayDuplicate]: 'replay-duplicate',
  [SrtpStatus.Malformed]: 'malformed',
  [SrtpStatus.KeyExhausted]: 'key-exhausted',
  [SrtpStatus.UnknownMki]: 'unknown-mki',
};

function randomU16(): number {
  return Math.floor(Math.random() * 0x10000);
}

function randomU32(): number {
  return Math.floor(Math.random() * 0x100000000) >>> 0;
}
