// RTP/RTCP codecs (RFC 3550): round trips, the byte layout, malformed input with field and offset, fuzzing.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  buildBye,
  buildReceiverReport,
  buildRtp,
  buildSdes,
  buildSenderReport,
  isRtcpByPayloadType,
  newRtpView,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcpCompound,
  parseRtp,
  readRtp,
  RtpPacketError,
  writeRtpHeader,
  type RtcpReportBlock,
} from '../../endpoints/media/rtp-packet.js';

function rtpError(fn: () => unknown): RtpPacketError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(RtpPacketError);
    return err as RtpPacketError;
  }
  throw new Error('expected an RtpPacketError');
}

const block = (over: Partial<RtcpReportBlock> = {}): RtcpReportBlock => ({
  ssrc: 0x11223344,
  fractionLost: 25,
  cumulativeLost: 3,
  extendedHighestSeq: 0x0001_0005,
  jitter: 12,
  lastSr: 0xaabbccdd,
  delaySinceLastSr: 65536,
  ...over,
});

describe('media: RTP header', () => {
  it('writes the RFC 3550 §5.1 layout', () => {
    const b = Buffer.alloc(12);
    writeRtpHeader(b, 0, true, 8, 0x1234, 0xdeadbeef, 0xcafebabe);
    expect(b.toString('hex')).to.equal('8088' + '1234' + 'deadbeef' + 'cafebabe');
  });

  it('round-trips CSRCs, a header extension and padding', () => {
    const payload = Buffer.from('hello payload');
    const pkt = buildRtp({ marker: false, payloadType: 0, sequenceNumber: 65535, timestamp: 4294967295, ssrc: 1, csrcs: [7, 8], extension: { profile: 0xbede, data: Buffer.from([1, 2, 3, 4]) }, padding: 3, payload });
    const p = parseRtp(pkt);
    expect([p.padding, p.extension, p.csrcCount, p.marker, p.payloadType, p.sequenceNumber, p.timestamp, p.ssrc]).to.deep.equal([true, true, 2, false, 0, 65535, 4294967295, 1]);
    expect(p.csrcs).to.deep.equal([7, 8]);
    expect(p.extensionProfile).to.equal(0xbede);
    expect(p.extensionData!.toString('hex')).to.equal('01020304');
    expect(p.payload.toString()).to.equal('hello payload');
    expect(p.paddingLength).to.equal(3);
  });

  it('refuses malformed packets, naming the field and offset', () => {
    const good = buildRtp({ marker: false, payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: Buffer.alloc(4) });
    expect(rtpError(() => parseRtp(good.subarray(0, 11))).field).to.equal('header');
    const v1 = Buffer.from(good);
    v1[0] = 0x40;
    expect(rtpError(() => parseRtp(v1)).message).to.match(/version 1/);
    const cc = Buffer.from(good);
    cc[0] = 0x8f;
    const e = rtpError(() => parseRtp(cc));
    expect([e.field, e.offset]).to.deep.equal(['csrc', 12]);
    const ext = Buffer.concat([good.subarray(0, 12), Buffer.from([0xbe, 0xde, 0x00, 0x09])]);
    ext[0] = 0x90;
    expect(rtpError(() => parseRtp(ext)).field).to.equal('extension');
    const pad0 = Buffer.from(good);
    pad0[0] = 0xa0;
    pad0[pad0.length - 1] = 0;
    expect(rtpError(() => parseRtp(pad0)).message).to.match(/padding count is 0/);
    const padBig = Buffer.from(good);
    padBig[0] = 0xa0;
    padBig[padBig.length - 1] = 200;
    expect(rtpError(() => parseRtp(padBig)).offset).to.equal(padBig.length - 1);
    expect(rtpError(() => buildRtp({ marker: false, payloadType: 128, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: Buffer.alloc(0) })).field).to.equal('payloadType');
  });

  it('readRtp fills a reused view without allocating and reports errors as values', () => {
    const v = newRtpView();
    const pkt = buildRtp({ marker: true, payloadType: 8, sequenceNumber: 9, timestamp: 10, ssrc: 11, payload: Buffer.alloc(160, 0xd5) });
    const framed = Buffer.concat([Buffer.alloc(5), pkt]);
    expect(readRtp(framed, 5, pkt.length, v)).to.equal(null);
    expect([v.marker, v.payloadType, v.sequenceNumber, v.payloadOffset, v.payloadLength]).to.deep.equal([true, 8, 9, 17, 160]);
    expect(readRtp(framed, 5, 4, v)).to.be.instanceOf(RtpPacketError);
  });

  it('parses any bytes without throwing anything but RtpPacketError, and round-trips any valid packet (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        try {
          const p = parseRtp(Buffer.from(bytes));
          expect(p.payloadOffset + p.payloadLength + p.paddingLength).to.equal(bytes.length);
        } catch (err) {
          expect(err).to.be.instanceOf(RtpPacketError);
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.record({
          marker: fc.boolean(),
          payloadType: fc.integer({ min: 0, max: 127 }),
          sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
          timestamp: fc.nat({ max: 0xffffffff }),
          ssrc: fc.nat({ max: 0xffffffff }),
          csrcs: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 15 }),
          payload: fc.uint8Array({ maxLength: 64 }),
          padding: fc.integer({ min: 0, max: 16 }),
          ext: fc.option(fc.uint8Array({ maxLength: 3 }).map((a) => new Uint8Array(a.length * 4))),
        }),
        (h) => {
          const pkt = buildRtp({ ...h, ...(h.ext ? { extension: { profile: 0x1000, data: h.ext } } : {}) });
          const p = parseRtp(pkt);
          expect([p.marker, p.payloadType, p.sequenceNumber, p.timestamp, p.ssrc]).to.deep.equal([h.marker, h.payloadType, h.sequenceNumber, h.timestamp, h.ssrc]);
          expect(p.csrcs).to.deep.equal(h.csrcs);
          expect(Buffer.compare(p.payload, Buffer.from(h.payload))).to.equal(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('media: RTCP', () => {
  it('lays out an SR with one report block as RFC 3550 §6.4.1 says', () => {
    const sr = buildSenderReport({ ssrc: 0x01020304, ntpSeconds: 0xe0000000, ntpFraction: 0x80000000, rtpTimestamp: 160, packetCount: 50, octetCount: 8000, reports: [block({ cumulativeLost: -2 })] });
    expect(sr.length).to.equal(52);
    expect(sr.subarray(0, 4).toString('hex')).to.equal('81c8000c'); // V=2 RC=1, PT=200, length 13 words - 1
    expect(sr.readUInt32BE(4)).to.equal(0x01020304);
    expect(sr.subarray(28 + 4, 28 + 8).toString('hex')).to.equal('19fffffe'); // fraction 25, cumulative lost -2 (24-bit two's complement)
  });

  it('round-trips SR, RR, SDES and BYE in one compound packet', () => {
    const compound = Buffer.concat([
      buildSenderReport({ ssrc: 5, ntpSeconds: 1, ntpFraction: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5, reports: [block(), block({ ssrc: 9, cumulativeLost: -8388608 })] }),
      buildReceiverReport({ ssrc: 6, reports: [] }),
      buildSdes([{ ssrc: 5, items: [{ type: 1, value: 'alice@example.test' }, { type: 2, value: 'Alice' }] }, { ssrc: 6, items: [] }]),
      buildBye([5, 6], 'hanging up'),
    ]);
    const p = parseRtcpCompound(compound);
    expect(p.map((x) => x.type)).to.deep.equal(['SR', 'RR', 'SDES', 'BYE']);
    const sr = p[0] as Extract<(typeof p)[number], { type: 'SR' }>;
    expect([sr.ssrc, sr.ntpSeconds, sr.ntpFraction, sr.rtpTimestamp, sr.packetCount, sr.octetCount]).to.deep.equal([5, 1, 2, 3, 4, 5]);
    expect(sr.reports).to.deep.equal([block(), block({ ssrc: 9, cumulativeLost: -8388608 })]);
    expect((p[2] as { chunks: unknown[] }).chunks).to.deep.equal([
      { ssrc: 5, items: [{ type: 1, value: 'alice@example.test' }, { type: 2, value: 'Alice' }] },
      { ssrc: 6, items: [] },
    ]);
    expect(p[3]).to.deep.equal({ type: 'BYE', ssrcs: [5, 6], reason: 'hanging up' });
  });

  it('refuses malformed compounds, naming the field and offset', () => {
    const rr = buildReceiverReport({ ssrc: 1, reports: [block()] });
    expect(rtpError(() => parseRtcpCompound(rr.subarray(0, 3))).field).to.equal('rtcp');
    const long = Buffer.from(rr);
    long.writeUInt16BE(40, 2);
    expect(rtpError(() => parseRtcpCompound(long)).field).to.equal('length');
    const v1 = Buffer.from(rr);
    v1[0] = 0x41;
    expect(rtpError(() => parseRtcpCompound(v1)).field).to.equal('version');
    const rc = Buffer.from(rr);
    rc[0] = 0x82; // two blocks claimed, one present
    expect(rtpError(() => parseRtcpCompound(rc)).field).to.equal('reports');
    const sdesFirst = buildSdes([{ ssrc: 1, items: [] }]);
    expect(rtpError(() => parseRtcpCompound(sdesFirst)).field).to.equal('packetType');
    expect(parseRtcpCompound(sdesFirst, { requireReportFirst: false })[0]!.type).to.equal('SDES');
    const padMid = Buffer.concat([rr, buildSdes([{ ssrc: 1, items: [] }])]);
    padMid[0] |= 0x20;
    const e = rtpError(() => parseRtcpCompound(padMid));
    expect([e.field, e.offset]).to.deep.equal(['padding', 0]);
    const trailing = Buffer.concat([rr, Buffer.from([0x80, 0xc9])]);
    expect(rtpError(() => parseRtcpCompound(trailing)).offset).to.equal(rr.length);
    const noEnd = Buffer.from('81ca00020000000101016101', 'hex'); // SDES chunk whose item list has no END octet
    expect(rtpError(() => parseRtcpCompound(noEnd, { requireReportFirst: false })).field).to.equal('SDES');
  });

  it('checks values when building (signed 24-bit cumulative lost, counts)', () => {
    expect(rtpError(() => buildReceiverReport({ ssrc: 1, reports: [block({ cumulativeLost: 0x800000 })] })).field).to.equal('reports[0].cumulativeLost');
    expect(rtpError(() => buildSenderReport({ ssrc: 1, ntpSeconds: 0, ntpFraction: 0, rtpTimestamp: 0, packetCount: -1, octetCount: 0, reports: [] })).field).to.equal('packetCount');
    expect(rtpError(() => buildSdes([{ ssrc: 1, items: [{ type: 1, value: 'x'.repeat(256) }] }])).field).to.match(/value/);
  });

  it('parses any bytes without throwing anything but RtpPacketError (fuzz), and round-trips built reports', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
        try {
          parseRtcpCompound(Buffer.from(bytes), { requireReportFirst: false });
        } catch (err) {
          expect(err).to.be.instanceOf(RtpPacketError);
        }
      }),
      { numRuns: 2000 },
    );
    const arbBlock = fc.record({
      ssrc: fc.nat({ max: 0xffffffff }),
      fractionLost: fc.integer({ min: 0, max: 255 }),
      cumulativeLost: fc.integer({ min: -0x800000, max: 0x7fffff }),
      extendedHighestSeq: fc.nat({ max: 0xffffffff }),
      jitter: fc.nat({ max: 0xffffffff }),
      lastSr: fc.nat({ max: 0xffffffff }),
      delaySinceLastSr: fc.nat({ max: 0xffffffff }),
    });
    fc.assert(
      fc.property(fc.array(arbBlock, { maxLength: 31 }), fc.string({ maxLength: 60 }), fc.nat({ max: 0xffffffff }), (reports, cname, ssrc) => {
        const c = Buffer.concat([buildReceiverReport({ ssrc, reports }), buildSdes([{ ssrc, items: [{ type: 1, value: cname }] }])]);
        const [rr, sdes] = parseRtcpCompound(c);
        expect(rr).to.deep.equal({ type: 'RR', ssrc, reports });
        expect(sdes).to.deep.equal({ type: 'SDES', chunks: [{ ssrc, items: [{ type: 1, value: cname }] }] });
      }),
      { numRuns: 300 },
    );
  });

  it('tells RTCP from RTP on a muxed port (RFC 5761 §4) and converts NTP time', () => {
    expect([200, 201, 192, 223].every(isRtcpByPayloadType)).to.equal(true);
    expect([0, 8, 0x80, 0x88, 224, 191].some(isRtcpByPayloadType)).to.equal(false);
    const t = ntpFromUnixMs(0);
    expect([t.seconds, t.fraction]).to.deep.equal([2208988800, 0]);
    const h = ntpFromUnixMs(1500);
    expect([h.seconds, h.fraction]).to.deep.equal([2208988801, 0x80000000]);
    expect(ntpMiddle32(0x12345678, 0x9abcdef0)).to.equal(0x56789abc);
  });
});
