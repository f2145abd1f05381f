// Interop with baresip 1.0 (Debian baresip-core, SDES): baresip registers to our server over TLS with an LSC as an
// Encrypted phone; one of our phones calls it through the B2BUA once per suite, offering that suite alone; both sides
// send SRTP for about 2 s (ours with ciphers/srtp, sequence numbers crossing the 16-bit wrap). Our side must
// authenticate every packet baresip sends, and baresip's log must name the suite and report no errors.
import dgram from 'node:dgram';
import { expect } from 'chai';
import { formatCryptoAttribute, newCryptoAttribute, parseCryptoAttribute, sdesToPolicy } from '../../ciphers/sdes/index.js';
import { createSrtpSession } from '../../ciphers/srtp/session.js';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import { isSrtpFailure } from '../../ciphers/srtp/types.js';
import { B2bua } from '../../engine/calls/index.js';
import type { ClusterPki } from '../../engine/pki/index.js';
import { DeviceDirectory } from '../../engine/sip/registrar/index.js';
import { SipServer } from '../../engine/sip/sip-server.js';
import { requirePeer } from '../support/peers.js';
import { type BaresipPeer, startBaresip } from './baresip-peer.js';
import { CM32, CM80, GCM128, GCM256, Phone, audioSdp, sdpFacts, testCluster, until } from './support.js';

const SUITES: SrtpSuiteName[] = [CM80, CM32, GCM128, GCM256];
const BARESIP_DEVICE = 'SEPBA2E51900001';
const BARESIP_LINE = '1403';

interface MediaResult {
  sent: number;
  received: number;
  authenticated: number;
  failed: number;
}

/** Sends PCMU SRTP at 20 ms for `ms` and unprotects what arrives on `sock`. */
async function exchangeMedia(sock: dgram.Socket, to: { host: string; port: number }, ours: string, theirs: string, ms: number): Promise<MediaResult> {
  const tx = createSrtpSession(sdesToPolicy(parseCryptoAttribute(ours)));
  const rx = createSrtpSession(sdesToPolicy(parseCryptoAttribute(theirs)));
  const r: MediaResult = { sent: 0, received: 0, authenticated: 0, failed: 0 };
  const onMessage = (m: Buffer) => {
    if (m.length < 12 || (m[1]! & 0x7f) >= 72) return; // RTCP (payload types 200-204 read as 72-76 with the marker bit)
    r.received++;
    const u = rx.unprotectRtp(m);
    if (isSrtpFailure(u)) r.failed++;
    else r.authenticated++;
  };
  sock.on('message', onMessage);
  const ssrc = 0x7e57ab1e;
  let seq = 65500; // crosses the wrap: ROC 0 → 1
  let ts = 0;
  const payload = Buffer.alloc(160, 0xff); // μ-law silence
  try {
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const rtp = Buffer.alloc(12 + payload.length);
        rtp[0] = 0x80;
        rtp[1] = 0;
        rtp.writeUInt16BE(seq, 2);
        rtp.writeUInt32BE(ts >>> 0, 4);
        rtp.writeUInt32BE(ssrc, 8);
        payload.copy(rtp, 12);
        const p = tx.protectRtp(rtp);
        if (!isSrtpFailure(p)) {
          sock.send(p, to.port, to.host);
          r.sent++;
        }
        seq = (seq + 1) & 0xffff;
        ts += 160;
      }, 20);
      setTimeout(() => {
        clearInterval(timer);
        setTimeout(resolve, 200); // last packets in flight
      }, ms);
    });
  } finally {
    sock.off('message', onMessage);
    tx.close();
    rx.close();
  }
  return r;
}

describe('calls: interop with baresip (SDES-SRTP through the B2BUA)', function () {
  this.timeout(90_000);
  let pki: ClusterPki;
  let server: SipServer;
  let b2bua: B2bua;
  let phone: Phone;
  let baresip: BaresipPeer | undefined;
  let sock: dgram.Socket;

  before(async function () {
    requirePeer(this, 'baresip', 'baresip-core');
    pki = await testCluster();
    server = await SipServer.start({
      udp: false,
      tcp: false,
      tls: { port: 0 },
      pki,
      devices: new DeviceDirectory({
        profiles: [{ name: 'encrypted', deviceSecurityMode: 'encrypted' }],
        devices: [
          { name: BARESIP_DEVICE, lines: [BARESIP_LINE], securityProfile: 'encrypted' },
          { name: 'SEP0000CA111402', lines: ['1402'], securityProfile: 'encrypted' },
        ],
      }),
    });
    // baresip's srtp module answers any of the four suites (research §1.1).
    b2bua = B2bua.attach(server, { lineMedia: () => ({ capabilities: SUITES }) });
    phone = await Phone.create(server, pki, { device: 'SEP0000CA111402', line: '1402', transport: 'TLS', capabilities: SUITES });
    sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    baresip = await startBaresip({ pki, deviceName: BARESIP_DEVICE, line: BARESIP_LINE, serverTlsPort: server.ports.tls! });
    await until(() => server.location.lookup(BARESIP_LINE).length > 0, 10_000, `baresip registered (log:\n${baresip.log()})`);
  });

  after(async () => {
    await baresip?.stop();
    await b2bua?.close();
    await phone?.close();
    sock?.close();
    await server?.stop();
  });

  it('baresip registered over TLS as an Encrypted phone, identified by its LSC', async () => {
    const b = server.location.lookup(BARESIP_LINE)[0]!;
    expect(b.device).to.equal(BARESIP_DEVICE);
    expect(b.source.transport).to.equal('TLS');
    expect(b.source.connection!.tls!.identity).to.include({ kind: 'phone', deviceName: BARESIP_DEVICE, form: 'LSC' });
    await until(() => /200 OK \(\) \[1 binding\]/.test(baresip!.log()), 5000, 'baresip logs its registration');
  });

  for (const suite of SUITES) {
    it(`${suite}: offered alone, answered by baresip, SRTP both ways, baresip logs the suite and 0 errors`, async () => {
      const logStart = baresip!.log().length;
      const ours = formatCryptoAttribute(newCryptoAttribute(1, suite));
      const out = await phone.call(BARESIP_LINE, { body: audioSdp({ port: sock.address().port, cryptos: [ours] }) });
      expect(out.result.response.status).to.equal(200);
      const ans = sdpFacts(out.result.response.body);
      expect(ans.suites).to.deep.equal([suite]);
      expect(ans.proto).to.equal('RTP/SAVP');
      const rec = b2bua.calls.at(-1)!;
      expect(rec.media).to.include({ kind: 'srtp', suite });
      expect(rec.security!.status).to.equal('encrypted');
      const addr = /c=IN IP4 (\S+)/.exec(out.result.response.body.toString())![1]!;
      const media = await exchangeMedia(sock, { host: addr, port: ans.port }, ours, ans.cryptos[0]!, 2000);
      const bye = await phone.inDialog(phone.dialogs.at(-1)!, 'BYE');
      expect(bye.response.status).to.equal(200);
      await until(() => /errors:/.test(baresip!.log().slice(logStart)), 5000, 'rtcpsummary');
      const log = baresip!.log().slice(logStart);
      const lines = log.split('\n').filter((l) => /cryptosuite|errors:|packets:/.test(l));
      // eslint-disable-next-line no-console
      if (process.env.TRUSTLINE_INTEROP_LOG) console.log(`    ours: ${JSON.stringify(media)}; baresip: ${lines.map((l) => l.replace(/\s+/g, ' ').trim()).join(' | ')}`);
      expect(media.sent).to.be.greaterThan(50);
      expect(media.received, 'packets from baresip').to.be.greaterThan(20);
      expect(media.failed, 'packets from baresip that failed authentication').to.equal(0);
      expect(media.authenticated).to.equal(media.received);
      expect(log).to.include(`cryptosuite=${suite}`);
      expect(log).to.match(/errors:\s+0\s+0/);
    });
  }
});
