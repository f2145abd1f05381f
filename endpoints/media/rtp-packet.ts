// RTP and RTCP wire codecs (RFC 3550 §5, §6.4, §6.5, §6.6): strict bounds, typed errors naming the field and the
// offset. The RTP reader has an allocation-free form for the media hot path; RTCP (a few packets per 5 s) builds
// objects.

/** Bad RTP/RTCP bytes: `field` is what was wrong, `offset` where (bytes from the start of the packet or compound). */
export class RtpPacketError extends Error {
  constructor(
    readonly field: string,
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`${field} at offset ${offset}: ${problem}`);
    this.name = 'RtpPacketError';
  }
}

export const RTP_HEADER_LENGTH = 12;
export const RTP_VERSION = 2;

export interface RtpHeaderFields {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs?: readonly number[];
}

/** What `readRtp` fills in; reused across packets so the hot path allocates nothing. */
export interface RtpView {
  padding: boolean;
  extension: boolean;
  csrcCount: number;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Profile-defined 16 bits of the header extension (when `extension`). */
  extensionProfile: number;
  /** Header extension body length in bytes (when `extension`). */
  extensionLength: number;
  /** Where the payload starts, relative to the buffer (not to `start`). */
  payloadOffset: number;
  payloadLength: number;
  /** Bytes of padding at the end (including the count byte). */
  paddingLength: number;
}

export function newRtpView(): RtpView {
  return {
    padding: false,
    extension: false,
    csrcCount: 0,
    marker: false,
    payloadType: 0,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 0,
    extensionProfile: 0,
    extensionLength: 0,
    payloadOffset: 0,
    payloadLength: 0,
    paddingLength: 0,
  };
}

export interface RtpPacket extends RtpView {
  csrcs: number[];
  extensionData: Buffer | null;
  payload: Buffer;
}

function u8(v: number, field: string, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RtpPacketError(field, 0, `${v} is not an integer in 0..${max}`);
}

/**
 * Reads an RTP packet in buf[start, start + length) into `out`. Returns null, or the error (allocated only then).
 * Checks version 2, the CSRC list, the header extension and the padding count against the length.
 */
export function readRtp(buf: Uint8Array, start: number, length: number, out: RtpView): RtpPacketError | null {
  if (length < RTP_HEADER_LENGTH) return new RtpPacketError('header', 0, `${length} bytes, an RTP header needs ${RTP_HEADER_LENGTH}`);
  const b0 = buf[start]!;
  if (b0 >> 6 !== RTP_VERSION) return new RtpPacketError('version', 0, `version ${b0 >> 6}, RTP is version 2`);
  const b1 = buf[start + 1]!;
  out.padding = (b0 & 0x20) !== 0;
  out.extension = (b0 & 0x10) !== 0;
  out.csrcCount = b0 & 0x0f;
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = b1 & 0x7f;
  out.sequenceNumber = (buf[start + 2]! << 8) | buf[start + 3]!;
  out.timestamp = ((buf[start + 4]! << 24) | (buf[start + 5]! << 16) | (buf[start + 6]! << 8) | buf[start + 7]!) >>> 0;
  out.ssrc = ((buf[start + 8]! << 24) | (buf[start + 9]! << 16) | (buf[start + 10]! << 8) | buf[start + 11]!) >>> 0;
  let at = RTP_HEADER_LENGTH + 4 * out.csrcCount;
  if (at > length) return new RtpPacketError('csrc', RTP_HEADER_LENGTH, `CSRC count ${out.csrcCount} needs ${at} bytes, the packet has ${length}`);
  out.extensionProfile = 0;
  out.extensionLength = 0;
  if (out.extension) {
    if (at + 4 > length) return new RtpPacketError('extension', at, 'the header extension header runs past the packet');
    out.extensionProfile = (buf[start + at]! << 8) | buf[start + at + 1]!;
    out.extensionLength = 4 * ((buf[start + at + 2]! << 8) | buf[start + at + 3]!);
    if (at + 4 + out.extensionLength > length) return new RtpPacketError('extension', at, `the header extension (${out.extensionLength} bytes) runs past the packet`);
    at += 4 + out.extensionLength;
  }
  let end = length;
  out.paddingLength = 0;
  if (out.padding) {
    const n = buf[start + length - 1]!;
    if (n === 0) return new RtpPacketError('padding', length - 1, 'the padding count is 0');
    if (at + n > length) return new RtpPacketError('padding', length - 1, `${n} bytes of padding do not fit after the ${at}-byte header`);
    out.paddingLength = n;
    end -= n;
  }
  out.payloadOffset = start + at;
  out.payloadLength = end - at;
  return null;
}

/** Parses a whole RTP packet (copies nothing: csrcs and views into `buf`). Throws RtpPacketError. */
export function parseRtp(buf: Buffer): RtpPacket {
  const v = newRtpView();
  const err = readRtp(buf, 0, buf.length, v);
  if (err) throw err;
  const csrcs: number[] = [];
  for (let i = 0; i < v.csrcCount; i++) csrcs.push(buf.readUInt32BE(RTP_HEADER_LENGTH + 4 * i));
  const extStart = RTP_HEADER_LENGTH + 4 * v.csrcCount + 4;
  return {
    ...v,
    csrcs,
    extensionData: v.extension ? buf.subarray(extStart, extStart + v.extensionLength) : null,
    payload: buf.subarray(v.payloadOffset, v.payloadOffset + v.payloadLength),
  };
}

/** Writes a 12-byte RTP header (no CSRCs, no extension, no padding) at buf[offset]; returns 12. The hot-path writer. */
export function writeRtpHeader(buf: Uint8Array, offset: number, marker: boolean, payloadType: number, seq: number, timestamp: number, ssrc: number): number {
  buf[offset] = 0x80;
  buf[offset + 1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  buf[offset + 2] = (seq >>> 8) & 0xff;
  buf[offset + 3] = seq & 0xff;
  buf[offset + 4] = timestamp >>> 24;
  buf[offset + 5] = (timestamp >>> 16) & 0xff;
  buf[offset + 6] = (timestamp >>> 8) & 0xff;
  buf[offset + 7] = timestamp & 0xff;
  buf[offset + 8] = ssrc >>> 24;
  buf[offset + 9] = (ssrc >>> 16) & 0xff;
  buf[offset + 10] = (ssrc >>> 8) & 0xff;
  buf[offset + 11] = ssrc & 0xff;
  return RTP_HEADER_LENGTH;
}

/** A complete RTP packet with optional CSRCs, header extension and padding (tests, tools). Validates every field. */
export function buildRtp(
  h: RtpHeaderFields & { payload: Uint8Array; extension?: { profile: number; data: Uint8Array }; padding?: number },
): Buffer {
  u8(h.payloadType, 'payloadType', 127);
  u8(h.sequenceNumber, 'sequenceNumber', 0xffff);
  u8(h.timestamp, 'timestamp', 0xffffffff);
  u8(h.ssrc, 'ssrc', 0xffffffff);
  const csrcs = h.csrcs ?? [];
  if (csrcs.length > 15) throw new RtpPacketError('csrc', 0, `${csrcs.length} CSRCs, at most 15`);
  csrcs.forEach((c, i) => u8(c, `csrcs[${i}]`, 0xffffffff));
  const ext = h.extension;
  if (ext) {
    u8(ext.profile, 'extension.profile', 0xffff);
    if (ext.data.length % 4 !== 0 || ext.data.length > 4 * 0xffff) throw new RtpPacketError('extension', 0, `extension data is ${ext.data.length} bytes, must be a multiple of 4 up to ${4 * 0xffff}`);
  }
  const pad = h.padding ?? 0;
  u8(pad, 'padding', 255);
  const headerLen = RTP_HEADER_LENGTH + 4 * csrcs.length + (ext ? 4 + ext.data.length : 0);
  const out = Buffer.alloc(headerLen + h.payload.length + pad);
  writeRtpHeader(out, 0, h.marker, h.payloadType, h.sequenceNumber, h.timestamp, h.ssrc);
  out[0] = 0x80 | (pad > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs.length;
  let at = RTP_HEADER_LENGTH;
  for (const c of csrcs) {
    out.writeUInt32BE(c, at);
    at += 4;
  }
  if (ext) {
    out.writeUInt16BE(ext.profile, at);
    out.writeUInt16BE(ext.data.length / 4, at + 2);
    out.set(ext.data, at + 4);
    at += 4 + ext.data.length;
  }
  out.set(h.payload, at);
  if (pad > 0) out[out.length - 1] = pad;
  return out;
}

// ---- RTCP ----------------------------------------------------------------------------------------------------------

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;

/** One reception report block (RFC 3550 §6.4.1). */
export interface RtcpReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, in 1/256 (0..255). */
  fractionLost: number;
  /** Cumulative packets lost: signed 24 bits (duplicates can make it negative). */
  cumulativeLost: number;
  extendedHighestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from this source (0: none). */
  lastSr: number;
  /** Delay since that SR, in 1/65536 s. */
  delaySinceLastSr: number;
}

export interface RtcpSenderReport {
  type: 'SR';
  ssrc: number;
  /** NTP timestamp: seconds since 1900 and the 32-bit fraction. */
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: RtcpReportBlock[];
}

export interface RtcpReceiverReport {
  type: 'RR';
  ssrc: number;
  reports: RtcpReportBlock[];
}

export interface RtcpSdesItem {
  /** 1 CNAME, 2 NAME, … 8 PRIV. */
  type: number;
  value: string;
}

export interface RtcpSdes {
  type: 'SDES';
  chunks: { ssrc: number; items: RtcpSdesItem[] }[];
}

export interface RtcpBye {
  type: 'BYE';
  ssrcs: number[];
  reason?: string;
}

export interface RtcpOther {
  type: 'other';
  packetType: number;
  /** The 5-bit count/subtype field. */
  count: number;
  body: Buffer;
}

export type RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSdes | RtcpBye | RtcpOther;

export const SDES_CNAME = 1;

function reportBlockBytes(out: Buffer, at: number, r: RtcpReportBlock, where: string): void {
  u8(r.ssrc, `${where}.ssrc`, 0xffffffff);
  u8(r.fractionLost, `${where}.fractionLost`, 255);
  if (!Number.isInteger(r.cumulativeLost) || r.cumulativeLost < -0x800000 || r.cumulativeLost > 0x7fffff) {
    throw new RtpPacketError(`${where}.cumulativeLost`, 0, `${r.cumulativeLost} does not fit in a signed 24-bit field`);
  }
  u8(r.extendedHighestSeq, `${where}.extendedHighestSeq`, 0xffffffff);
  u8(r.jitter, `${where}.jitter`, 0xffffffff);
  u8(r.lastSr, `${where}.lastSr`, 0xffffffff);
  u8(r.delaySinceLastSr, `${where}.delaySinceLastSr`, 0xffffffff);
  out.writeUInt32BE(r.ssrc, at);
  out[at + 4] = r.fractionLost;
  out.writeIntBE(r.cumulativeLost, at + 5, 3);
  out.writeUInt32BE(r.extendedHighestSeq, at + 8);
  out.writeUInt32BE(r.jitter, at + 12);
  out.writeUInt32BE(r.lastSr, at + 16);
  out.writeUInt32BE(r.delaySinceLastSr, at + 20);
}

function header(out: Buffer, count: number, type: number, totalBytes: number): void {
  out[0] = 0x80 | count;
  out[1] = type;
  out.writeUInt16BE(totalBytes / 4 - 1, 2);
}

export function buildSenderReport(sr: Omit<RtcpSenderReport, 'type'>): Buffer {
  if (sr.reports.length > 31) throw new RtpPacketError('reports', 0, `${sr.reports.length} report blocks, at most 31 per SR`);
  u8(sr.ssrc, 'ssrc', 0xffffffff);
  u8(sr.ntpSeconds, 'ntpSeconds', 0xffffffff);
  u8(sr.ntpFraction, 'ntpFraction', 0xffffffff);
  u8(sr.rtpTimestamp, 'rtpTimestamp', 0xffffffff);
  u8(sr.packetCount, 'packetCount', 0xffffffff);
  u8(sr.octetCount, 'octetCount', 0xffffffff);
  const out = Buffer.alloc(28 + 24 * sr.reports.length);
  header(out, sr.reports.length, RTCP_SR, out.length);
  out.writeUInt32BE(sr.ssrc, 4);
  out.writeUInt32BE(sr.ntpSeconds, 8);
  out.writeUInt32BE(sr.ntpFraction, 12);
  out.writeUInt32BE(sr.rtpTimestamp, 16);
  out.writeUInt32BE(sr.packetCount, 20);
  out.writeUInt32BE(sr.octetCount, 24);
  sr.reports.forEach((r, i) => reportBlockBytes(out, 28 + 24 * i, r, `reports[${i}]`));
  return out;
}

export function buildReceiverReport(rr: Omit<RtcpReceiverReport, 'type'>): Buffer {
  if (rr.reports.length > 31) throw new RtpPacketError('reports', 0, `${rr.reports.length} report blocks, at most 31 per RR`);
  u8(rr.ssrc, 'ssrc', 0xffffffff);
  const out = Buffer.alloc(8 + 24 * rr.reports.length);
  header(out, rr.reports.length, RTCP_RR, out.length);
  out.writeUInt32BE(rr.ssrc, 4);
  rr.reports.forEach((r, i) => reportBlockBytes(out, 8 + 24 * i, r, `reports[${i}]`));
  return out;
}

/** SDES with one chunk per source (RFC 3550 §6.5); items end with a null octet and the chunk is padded to 32 bits. */
export function buildSdes(chunks: RtcpSdes['chunks']): Buffer {
  if (chunks.length > 31) throw new RtpPacketError('chunks', 0, `${chunks.length} SDES chunks, at most 31`);
  const parts: Buffer[] = [];
  chunks.forEach((c, ci) => {
    u8(c.ssrc, `chunks[${ci}].ssrc`, 0xffffffff);
    const items = c.items.map((it, ii) => {
      u8(it.type, `chunks[${ci}].items[${ii}].type`, 255);
      if (it.type === 0) throw new RtpPacketError(`chunks[${ci}].items[${ii}].type`, 0, 'type 0 is the END marker, not an item');
      const v = Buffer.from(it.value, 'utf8');
      if (v.length > 255) throw new RtpPacketError(`chunks[${ci}].items[${ii}].value`, 0, `${v.length} bytes, at most 255`);
      return Buffer.concat([Buffer.from([it.type, v.length]), v]);
    });
    const body = Buffer.concat([Buffer.alloc(4), ...items]);
    body.writeUInt32BE(c.ssrc, 0);
    const padded = Buffer.alloc((Math.floor(body.length / 4) + 1) * 4); // at least one null octet
    body.copy(padded);
    parts.push(padded);
  });
  const body = Buffer.concat(parts);
  const out = Buffer.alloc(4 + body.length);
  header(out, chunks.length, RTCP_SDES, out.length);
  body.copy(out, 4);
  return out;
}

export function buildBye(ssrcs: readonly number[], reason?: string): Buffer {
  if (ssrcs.length > 31) throw new RtpPacketError('ssrcs', 0, `${ssrcs.length} sources, at most 31`);
  ssrcs.forEach((s, i) => u8(s, `ssrcs[${i}]`, 0xffffffff));
  const r = reason === undefined ? null : Buffer.from(reason, 'utf8');
  if (r && r.length > 255) throw new RtpPacketError('reason', 0, `${r.length} bytes, at most 255`);
  const raw = 4 + 4 * ssrcs.length + (r ? 1 + r.length : 0);
  const out = Buffer.alloc(Math.ceil(raw / 4) * 4);
  header(out, ssrcs.length, RTCP_BYE, out.length);
  ssrcs.forEach((s, i) => out.writeUInt32BE(s, 4 + 4 * i));
  if (r) {
    out[4 + 4 * ssrcs.length] = r.length;
    r.copy(out, 5 + 4 * ssrcs.length);
  }
  return out;
}

export interface ParseRtcpOptions {
  /** RFC 3550 §6.1: a compound packet starts with SR or RR (default true; false accepts RFC 5506 reduced size). */
  requireReportFirst?: boolean;
}

/**
 * Parses an RTCP compound packet (RFC 3550 §6.1, A.2): every packet version 2, lengths inside the datagram, padding
 * only on the last one, report blocks and chunks inside their packet. Throws RtpPacketError with the offset.
 */
export function parseRtcpCompound(buf: Buffer, options: ParseRtcpOptions = {}): RtcpPacket[] {
  const out: RtcpPacket[] = [];
  if (buf.length < 4) throw new RtpPacketError('rtcp', 0, `${buf.length} bytes, an RTCP header needs 4`);
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 4) throw new RtpPacketError('rtcp', at, `${buf.length - at} trailing bytes, an RTCP header needs 4`);
    const b0 = buf[at]!;
    if (b0 >> 6 !== 2) throw new RtpPacketError('version', at, `version ${b0 >> 6}, RTCP is version 2`);
    const count = b0 & 0x1f;
    const pt = buf[at + 1]!;
    const len = 4 * (buf.readUInt16BE(at + 2) + 1);
    if (at + len > buf.length) throw new RtpPacketError('length', at + 2, `packet of ${len} bytes runs past the ${buf.length}-byte datagram`);
    let end = at + len;
    if (b0 & 0x20) {
      if (end !== buf.length) throw new RtpPacketError('padding', at, 'only the last packet of a compound may be padded');
      const n = buf[end - 1]!;
      if (n === 0 || n > len - 4) throw new RtpPacketError('padding', end - 1, `padding count ${n} does not fit the ${len}-byte packet`);
      end -= n;
    }
    if (out.length === 0 && options.requireReportFirst !== false && pt !== RTCP_SR && pt !== RTCP_RR) {
      throw new RtpPacketError('packetType', at + 1, `a compound packet starts with SR (200) or RR (201), not ${pt}`);
    }
    out.push(parseOne(buf, at, end, pt, count));
    at += len;
  }
  return out;
}

function readBlocks(buf: Buffer, at: number, end: number, count: number): RtcpReportBlock[] {
  if (at + 24 * count > end) throw new RtpPacketError('reports', at, `${count} report blocks need ${24 * count} bytes, ${end - at} remain`);
  const blocks: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const p = at + 24 * i;
    blocks.push({
      ssrc: buf.readUInt32BE(p),
      fractionLost: buf[p + 4]!,
      cumulativeLost: buf.readIntBE(p + 5, 3),
      extendedHighestSeq: buf.readUInt32BE(p + 8),
      jitter: buf.readUInt32BE(p + 12),
      lastSr: buf.readUInt32BE(p + 16),
      delaySinceLastSr: buf.readUInt32BE(p + 20),
    });
  }
  return blocks;
}

function parseOne(buf: Buffer, at: number, end: number, pt: number, count: number): RtcpPacket {
  switch (pt) {
    case RTCP_SR: {
      if (end - at < 28) throw new RtpPacketError('SR', at, `${end - at} bytes, a sender report needs 28`);
      return {
        type: 'SR',
        ssrc: buf.readUInt32BE(at + 4),
        ntpSeconds: buf.readUInt32BE(at + 8),
        ntpFraction: buf.readUInt32BE(at + 12),
        rtpTimestamp: buf.readUInt32BE(at + 16),
        packetCount: buf.readUInt32BE(at + 20),
        octetCount: buf.readUInt32BE(at + 24),
        reports: readBlocks(buf, at + 28, end, count),
      };
    }
    case RTCP_RR: {
      if (end - at < 8) throw new RtpPacketError('RR', at, `${end - at} bytes, a receiver report needs 8`);
      return { type: 'RR', ssrc: buf.readUInt32BE(at + 4), reports: readBlocks(buf, at + 8, end, count) };
    }
    case RTCP_SDES: {
      const chunks: RtcpSdes['chunks'] = [];
      let p = at + 4;
      for (let c = 0; c < count; c++) {
        if (p + 4 > end) throw new RtpPacketError('SDES', p, `chunk ${c} of ${count} runs past the packet`);
        const ssrc = buf.readUInt32BE(p);
        p += 4;
        const items: RtcpSdesItem[] = [];
        for (;;) {
          if (p >= end) throw new RtpPacketError('SDES', p, `chunk ${c} has no END item`);
          const type = buf[p]!;
          if (type === 0) {
            p = (Math.floor((p - at) / 4) + 1) * 4 + at; // skip the null octet(s) to the next 32-bit boundary
            break;
          }
          if (p + 2 > end) throw new RtpPacketError('SDES', p, 'item header runs past the packet');
          const n = buf[p + 1]!;
          if (p + 2 + n > end) throw new RtpPacketError('SDES', p, `item of ${n} bytes runs past the packet`);
          items.push({ type, value: buf.toString('utf8', p + 2, p + 2 + n) });
          p += 2 + n;
        }
        if (p > end) throw new RtpPacketError('SDES', end, `chunk ${c} padding runs past the packet`);
        chunks.push({ ssrc, items });
      }
      return { type: 'SDES', chunks };
    }
    case RTCP_BYE: {
      if (at + 4 + 4 * count > end) throw new RtpPacketError('BYE', at, `${count} sources need ${4 * count} bytes, ${end - at - 4} remain`);
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(buf.readUInt32BE(at + 4 + 4 * i));
      const r = at + 4 + 4 * count;
      const bye: RtcpBye = { type: 'BYE', ssrcs };
      if (r < end) {
        const n = buf[r]!;
        if (r + 1 + n > end) throw new RtpPacketError('BYE', r, `reason of ${n} bytes runs past the packet`);
        bye.reason = buf.toString('utf8', r + 1, r + 1 + n);
      }
      return bye;
    }
    default:
      return { type: 'other', packetType: pt, count, body: buf.subarray(at + 4, end) };
  }
}

/** RFC 5761 §4: in a muxed flow, a second byte of 192..223 (PT 64..95 with the marker bit) is RTCP. */
export function isRtcpByPayloadType(secondByte: number): boolean {
  return secondByte >= 192 && secondByte <= 223;
}

// ---- NTP time ----------------------------------------------------------------------------------------------------

const NTP_UNIX_OFFSET = 2208988800;

/** NTP seconds and fraction for a Unix time in milliseconds. */
export function ntpFromUnixMs(ms: number): { seconds: number; fraction: number } {
  const secs = Math.floor(ms / 1000);
  const frac = Math.floor(((ms - secs * 1000) / 1000) * 0x100000000);
  return { seconds: (secs + NTP_UNIX_OFFSET) >>> 0, fraction: Math.min(frac, 0xffffffff) >>> 0 };
}

/** The middle 32 bits of an NTP timestamp (the LSR field of a report block). */
export function ntpMiddle32(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}
