// A capture of a call (PcapWriter) read by Wireshark's tshark, an independent RTP/RTCP implementation: its RTP
// stream analysis must count the same packets and losses as our receiver, and its RTCP dissector must read our
// SR/RR/SDES/BYE fields as we wrote them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { MediaClock } from '../../endpoints/media/media-clock.js';
import { MediaSession } from '../../endpoints/media/media-session.js';
import { PcapWriter } from '../../endpoints/media/pcap.js';
import { requirePeer } from '../support/peers.js';

function tshark(args: string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] });
}

const hex = (n: number) => `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;

describe('media: a capture read by tshark', function () {
  this.timeout(40_000);

  it('agrees on packets, losses and RTCP report fields', async function () {
    requirePeer(this, 'tshark', 'tshark');
    // Real time (speed 1): tshark's jitter and timing use the capture's wall-clock timestamps.
    const clock = new MediaClock();
    const cap = new PcapWriter();
    const drop = new Set([4, 9, 10]);
    const a = await MediaSession.open({ clock, name: 'A', rtcpIntervalMs: 250, impair: { drop: (i) => drop.has(i) } });
    const b = await MediaSession.open({ clock, name: 'B', rtcpIntervalMs: 250, capture: (p) => cap.add(p) });
    const dir = mkdtempSync(join(tmpdir(), 'trustline-media-'));
    try {
      a.setRemote({ address: '127.0.0.1', rtpPort: b.rtpPort, rtcpPort: b.rtcpPort });
      b.setRemote({ address: '127.0.0.1', rtpPort: a.rtpPort, rtcpPort: a.rtcpPort });
      a.start();
      b.start();
      await new Promise((r) => setTimeout(r, 800));
      a.setDirection('inactive');
      b.setDirection('inactive');
      await new Promise((r) => setTimeout(r, 80));
      a.stop();
      b.stop();
      await new Promise((r) => setTimeout(r, 80));
      const sa = a.stats();
      const sb = b.stats();
      const file = join(dir, 'call.pcap');
      writeFileSync(file, cap.toBuffer());
      const decode = ['-d', `udp.port==${b.rtpPort},rtp`, '-d', `udp.port==${a.rtpPort},rtp`, '-d', `udp.port==${b.rtcpPort},rtcp`, '-d', `udp.port==${a.rtcpPort},rtcp`];

      // RTP stream analysis: the A→B stream as B received it.
      const streams = tshark(['-r', file, ...decode, '-q', '-z', 'rtp,streams']);
      const row = streams.split('\n').find((l) => l.includes(hex(sa.send!.ssrc)) && l.includes(` ${b.rtpPort} `));
      expect(row, streams).to.be.a('string');
      const m = /0x[0-9A-F]{8}\s+\S+\s+(\d+)\s+(-?\d+)\s+\(/.exec(row!);
      expect(m, row).to.not.equal(null);
      expect(Number(m![1])).to.equal(sb.receive!.packets);
      expect(Number(m![2])).to.equal(sb.receive!.lost);
      expect(sb.receive!.lost).to.equal(drop.size);

      // RTCP as tshark reads it: A's last SR (the one with BYE) and B's last report block about A.
      const rtcp = tshark(['-r', file, ...decode, '-Y', 'rtcp', '-T', 'fields', '-E', 'separator=|', '-e', 'rtcp.pt', '-e', 'rtcp.senderssrc', '-e', 'rtcp.sender.packetcount', '-e', 'rtcp.sender.octetcount', '-e', 'rtcp.ssrc.identifier', '-e', 'rtcp.ssrc.cum_nr', '-e', 'rtcp.ssrc.ext_high', '-e', 'rtcp.sdes.text'])
        .trim()
        .split('\n')
        .map((l) => l.split('|'));
      const fromA = rtcp.filter((f) => Number(f[1]) === sa.send!.ssrc);
      const fromB = rtcp.filter((f) => Number(f[1]) === sb.send!.ssrc);
      expect(fromA.length).to.equal(sa.rtcp.sent.compound);
      expect(fromB.length).to.equal(sb.rtcp.sent.compound);
      const lastA = fromA.at(-1)!;
      expect(lastA[0]).to.equal('200,202,203');
      expect([Number(lastA[2]), Number(lastA[3])]).to.deep.equal([sa.send!.packets, sa.send!.octets]);
      expect(lastA[7]).to.equal('A@trustline');
      const lastB = fromB.at(-1)!;
      expect(Number(lastB[4]!.split(',')[0])).to.equal(sa.send!.ssrc); // then the SDES chunk's SSRC
      expect(Number(lastB[5])).to.equal(drop.size);
      expect(Number(lastB[6])).to.equal(sb.receive!.sources[0]!.extendedHighestSeq);
    } finally {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
