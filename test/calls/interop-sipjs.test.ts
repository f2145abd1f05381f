// sip.js 0.21 as an independent RFC 3261 user agent through the B2BUA: it registers over TCP with digest, calls one
// of our phones (its INVITE challenged and retried by sip.js itself) and is answered; our phone calls it back and
// sip.js answers. Its media description comes from a small static handler (no WebRTC in Node): SDES over TCP, which
// the cluster accepts for this soft client and flags.
import { expect } from 'chai';
import { Invitation, Inviter, Registerer, RegistererState, type SessionDescriptionHandler, SessionState, UserAgent } from 'sip.js';
import { formatCryptoAttribute, newCryptoAttribute } from '../../ciphers/sdes/index.js';
import { B2bua, type CallRecord } from '../../engine/calls/index.js';
import { answerOffer } from '../../engine/media-policy/index.js';
import type { ClusterPki } from '../../engine/pki/index.js';
import { DeviceDirectory } from '../../engine/sip/registrar/index.js';
import { SipServer } from '../../engine/sip/sip-server.js';
import { NodeSipTransport } from '../sip-engine/sipjs-transport.js';
import { CM80, GCM256, Phone, audioSdp, sdpFacts, testCluster, until } from './support.js';

/** A session description handler with fixed SDP: offers SDES _80 over plain RTP/SAVP, answers with media-policy. */
class StaticSdh implements SessionDescriptionHandler {
  remote: string | undefined;
  local: string | undefined;
  close(): void {}
  async getDescription(): Promise<{ body: string; contentType: string }> {
    if (this.remote) {
      const f = sdpFacts(this.remote);
      const a = answerOffer({ offerCryptos: f.cryptos, capabilities: [CM80], tls: false, allowSdesWithoutTls: true });
      this.local = audioSdp({ port: 42002, ...(a.kind === 'srtp' ? { cryptos: [a.attributeValue] } : {}) });
    } else this.local = audioSdp({ port: 42000, cryptos: [formatCryptoAttribute(newCryptoAttribute(1, CM80))] });
    return { body: this.local, contentType: 'application/sdp' };
  }
  hasDescription(contentType: string): boolean {
    return contentType === 'application/sdp';
  }
  async setDescription(sdp: string): Promise<void> {
    this.remote = sdp;
  }
  sendDtmf(): boolean {
    return false;
  }
}

describe('calls: sip.js 0.21 through the B2BUA', function () {
  this.timeout(30_000);
  let pki: ClusterPki;
  let server: SipServer;
  let b2bua: B2bua;
  let phone: Phone;
  let ua: UserAgent;
  const sdhs: StaticSdh[] = [];
  const invitations: Invitation[] = [];

  before(async () => {
    pki = await testCluster();
    server = await SipServer.start({
      udp: false,
      tcp: { port: 0 },
      tls: { port: 0 },
      pki,
      devices: new DeviceDirectory({
        profiles: [
          { name: 'third-party', deviceSecurityMode: 'non-secure', transportType: 'TCP', digestAuthentication: true },
          { name: 'encrypted', deviceSecurityMode: 'encrypted' },
        ],
        devices: [
          { name: 'SEPSIPJS00CA1', lines: ['3101'], digestUser: { userId: 'sipjs', digestCredentials: 's3cret' }, securityProfile: 'third-party' },
          { name: 'SEP0000CA113102', lines: ['3102'], securityProfile: 'encrypted' },
        ],
      }),
    });
    // Plugged the way the embedded cluster does it: the running server and the SRTP Ciphers parameter read live.
    b2bua = new B2bua(() => server, {
      srtpCiphers: () => 'All Supported Ciphers',
      lineMedia: (d) => (d?.name === 'SEPSIPJS00CA1' ? { capabilities: [CM80], allowSdesWithoutTls: true } : { capabilities: [GCM256, CM80] }),
    });
    for (const m of B2bua.HANDLED_METHODS) server.onRequest(m, b2bua.handler);
    phone = await Phone.create(server, pki, { device: 'SEP0000CA113102', line: '3102', transport: 'TLS', capabilities: [GCM256, CM80] });
    ua = new UserAgent({
      uri: UserAgent.makeURI('sip:3101@127.0.0.1')!,
      transportConstructor: NodeSipTransport,
      transportOptions: { host: '127.0.0.1', port: server.ports.tcp! },
      authorizationUsername: 'sipjs',
      authorizationPassword: 's3cret',
      logBuiltinEnabled: false,
      sessionDescriptionHandlerFactory: () => {
        const h = new StaticSdh();
        sdhs.push(h);
        return h;
      },
      delegate: {
        onInvite: (inv: Invitation) => {
          invitations.push(inv);
          void inv.accept();
        },
      },
    });
    await ua.start();
    const reg = new Registerer(ua, { expires: 600 });
    const states: RegistererState[] = [];
    reg.stateChange.addListener((s) => states.push(s));
    await reg.register();
    await until(() => states.includes(RegistererState.Registered), 5000, 'sip.js registered');
  });

  after(async () => {
    await ua?.stop().catch(() => undefined);
    await b2bua?.close();
    await phone?.close();
    await server?.stop();
  });

  it('a sip.js Inviter calls our phone through the server and is answered; our phone hangs up', async () => {
    const started = b2bua.calls.length;
    const inviter = new Inviter(ua, UserAgent.makeURI('sip:3102@127.0.0.1')!);
    const states: SessionState[] = [];
    inviter.stateChange.addListener((s) => states.push(s));
    await inviter.invite();
    await until(() => states.includes(SessionState.Established), 5000, 'sip.js Established');
    const rec: CallRecord = b2bua.calls[started]!;
    expect(rec.legs.A).to.include({ device: 'SEPSIPJS00CA1', transport: 'TCP', signalling: 'none' });
    expect(sdpFacts(phone.calls[0]!.request.body).suites).to.deep.equal([CM80]);
    expect(rec.media).to.include({ kind: 'srtp', suite: CM80 });
    expect(rec.security!.status).to.equal('non-secure');
    expect(rec.warnings.map((w) => w.code)).to.include('sdes-keys-exposed');
    // sip.js read our 200 (its own parser) and took the phone's answer as its remote description.
    expect(sdpFacts(sdhs.at(-1)!.remote!).suites).to.deep.equal([CM80]);
    // Its first INVITE was challenged by the registrar (digest) before the B2BUA saw it: one INVITE reached the call.
    expect(rec.legs.A.journal.filter((e) => e.method === 'INVITE' && e.direction === 'in')).to.have.length(1);
    await phone.waitFor('ACK');
    const bye = await phone.inDialog(phone.dialogs.at(-1)!, 'BYE');
    expect(bye.response.status).to.equal(200);
    await until(() => states.includes(SessionState.Terminated), 5000, 'sip.js Terminated');
    expect(rec.end).to.include({ reason: 'callee-hangup' });
  });

  it('our phone calls sip.js, which answers; sip.js hangs up', async () => {
    const started = b2bua.calls.length;
    const out = await phone.call('3101');
    expect(out.result.response.status).to.equal(200);
    expect(out.answer!.suites).to.deep.equal([CM80]);
    const rec = b2bua.calls[started]!;
    expect(rec.legs.B).to.include({ device: 'SEPSIPJS00CA1', transport: 'TCP' });
    // The offer sip.js got: our phone's _80 line only (GCM-256 is not in sip.js's device record).
    expect(sdpFacts(sdhs.at(-1)!.remote!).suites).to.deep.equal([CM80]);
    await until(() => rec.state === 'answered');
    expect(invitations).to.have.length(1);
    const inv = invitations[0]!;
    await until(() => inv.state === SessionState.Established, 5000, 'sip.js session established');
    await inv.bye();
    await phone.waitFor('BYE');
    await until(() => rec.ended);
    expect(rec.end).to.include({ reason: 'callee-hangup', by: 'B' });
  });
});
