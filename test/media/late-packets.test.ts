// The playout rule behind "late packets" (bench:phones' < 1 % target): a packet is late when its transit (arrival
// minus the media time of its RTP timestamp) exceeds the earliest transit seen for its source by more than the
// 60 ms jitter buffer, or when it arrives more than the buffer's worth of packets behind the highest sequence number.
// Driven with exact arrival times (no sockets, no timers): the counts are the rule's, not the machine's.
import { expect } from 'chai';
import { G711_PAYLOAD_TYPES } from '../../endpoints/media/g711.js';
import { ReceiveStream, SendStream } from '../../endpoints/media/media-stream.js';

const PT = G711_PAYLOAD_TYPES.PCMU;

/** A sender of plain RTP (20 ms packets) and a receiver fed at chosen arrival times. */
function pair(o: { initialTimestamp?: number; jitterBufferMs?: number } = {}) {
  const send = new SendStream({ ssrc: 0x1234, payloadType: PT, law: 'PCMU', srtp: null, initialSeq: 100, initialTimestamp: o.initialTimestamp ?? 5000 });
  const recv = new ReceiveStream({ srtp: null, payloadTypes: new Map([[PT, 'PCMU' as const]]), ...(o.jitterBufferMs ? { jitterBufferMs: o.jitterBufferMs } : {}) });
  const packets: Buffer[] = [];
  const make = (n: number) => {
    for (let tick = packets.length; tick < n; tick++) {
      expect(send.produce(tick)).to.equal(true);
      packets.push(Buffer.from(send.packet));
    }
  };
  /** Packet `tick` (media time tick × 20 ms) arrives at `arrivalMs`. */
  const deliver = (tick: number, arrivalMs: number) => {
    make(tick + 1);
    recv.receive(Buffer.from(packets[tick]!), arrivalMs);
  };
  return { recv, deliver };
}

describe('media: late packets (playout rule)', () => {
  it('a constant transit is never late, whatever its size', () => {
    const { recv, deliver } = pair();
    for (let t = 0; t < 200; t++) deliver(t, 1000 + 20 * t + 35);
    expect(recv.stats()).to.include({ packets: 200, late: 0, lost: 0, contentErrors: 0 });
  });

  it('late means more than 60 ms past the earliest transit: 59.9 ms is in time, 60.1 ms is late', () => {
    const { recv, deliver } = pair();
    for (let t = 0; t < 10; t++) deliver(t, 20 * t + 5);
    deliver(10, 20 * 10 + 5 + 59.9);
    deliver(11, 20 * 11 + 5 + 60.1);
    deliver(12, 20 * 12 + 5 + 60);
    deliver(13, 20 * 13 + 5);
    expect(recv.stats()).to.include({ packets: 14, late: 1 });
  });

  it('the reference is the earliest transit, not the first: a slow start does not hide later delays', () => {
    const { recv, deliver } = pair();
    deliver(0, 0 + 50); // the first packet took 50 ms
    for (let t = 1; t < 10; t++) deliver(t, 20 * t + 2); // the path is 2 ms
    deliver(10, 20 * 10 + 2 + 61); // 61 ms past the earliest transit
    expect(recv.stats()).to.include({ packets: 11, late: 1 });
  });

  it('a stall delays every packet queued behind it: those past the buffer are late, the rest are not', () => {
    const { recv, deliver } = pair();
    for (let t = 0; t < 50; t++) deliver(t, 20 * t + 1);
    // The receiver stalls for 150 ms: packets 50..57 are read together at 1000 + 150.
    for (let t = 50; t < 58; t++) deliver(t, 1000 + 150 + 1);
    // Packet t's transit is 1151 - 20 t: late when above 1 + 60, i.e. for t < 54.5 (packets 50..54).
    for (let t = 58; t < 100; t++) deliver(t, 20 * t + 1);
    expect(recv.stats()).to.include({ packets: 100, late: 5, lost: 0 });
  });

  it('a packet more than the buffer (3 packets) behind the highest sequence number is late even when its transit is small', () => {
    const { recv, deliver } = pair();
    for (let t = 0; t < 5; t++) deliver(t, 20 * t);
    deliver(9, 20 * 9);
    deliver(6, 20 * 6 + 1); // 3 behind: within 60 ms of buffer
    deliver(5, 20 * 5 + 1); // 4 behind: late
    deliver(7, 20 * 7 + 1);
    deliver(8, 20 * 8 + 1);
    const s = recv.stats();
    expect(s).to.include({ packets: 10, late: 1, lost: 0 });
    expect(s.reordered).to.equal(4);
  });

  it('the rule holds across a 32-bit RTP timestamp wrap, and follows the configured buffer', () => {
    const { recv, deliver } = pair({ initialTimestamp: 0xffffffff - 160 * 5, jitterBufferMs: 100 });
    for (let t = 0; t < 20; t++) deliver(t, 20 * t + 3 + (t === 12 ? 99 : t === 15 ? 101 : 0));
    expect(recv.stats()).to.include({ packets: 20, late: 1, lost: 0 });
  });
});
