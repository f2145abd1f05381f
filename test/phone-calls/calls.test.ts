// Calls between emulated phones through the embedded cluster's B2BUA, with real SRTP media both ways: every suite
// two 8800-series phones share (the cluster's "SRTP Ciphers" narrowed to it), a legacy 7900 calling an 8800 (the
// suite and the 32/80 tag the media policy picks), hold and resume, reject, cancel, hang up from either side, an
// Authenticated (NULL-SHA) and a Non Secure phone (RTP), and media that does not decrypt failing the call result.
import { expect } from 'chai';
import { formatCryptoAttribute, newCryptoAttribute } from '../../ciphers/sdes/index.js';
import { answerOffer, relayOffer } from '../../engine/media-policy/index.js';
import { createSrtpSession } from '../../ciphers/srtp/session.js';
import { isSrtpFailure } from '../../ciphers/srtp/types.js';
import { builtinModels, type CallResult, type Phone, type PhoneCall } from '../../endpoints/index.js';
import { keyExportToPolicy, parseKeyLog, parseRtp, TestSignal } from '../../endpoints/media/index.js';
import { CM32, CM80, GCM128, GCM256, media, startLab, until, type PhoneLab } from './support.js';

const SUITES = [GCM256, GCM128, CM80, CM32] as const;

/** The phone's only call that is ringing in (waits for it). */
async function ringing(p: Phone): Promise<PhoneCall> {
  await until(() => !!p.sip?.ringing(), `${p.deviceName} to ring`);
  return p.sip!.ringing()!;
}

/** Sent and received counts, no failures, content checked: the media of one side of a call. */
function expectGoodMedia(r: CallResult, who: string): void {
  expect(r.ok, `${who}: ${r.problems.join('; ')}`).to.equal(true);
  const s = r.stats!;
  expect(s.send!.packets, `${who} sent`).to.be.greaterThan(10);
  expect(s.receive!.packets, `${who} received`).to.be.greaterThan(10);
  expect(s.receive!.authFailures, `${who} auth failures`).to.equal(0);
  expect(s.receive!.contentErrors, `${who} content errors`).to.equal(0);
  expect(s.receive!.malformed).to.equal(0);
  expect(s.rtcp.received.compound, `${who} SRTCP reports`).to.be.greaterThan(0);
  expect(s.rtcp.received.authFailures).to.equal(0);
}

/** alice calls `to`, `callee` answers, media runs for `ms` of media time; returns both live calls. */
async function connect(caller: Phone, callee: Phone, dial: string, ms = 600): Promise<{ out: PhoneCall; inc: PhoneCall }> {
  const out = caller.call(dial);
  const inc = await ringing(callee);
  await callee.answer(inc);
  await out.waitFor(['connected', 'ended']);
  expect(out.state, out.result().endReason).to.equal('connected');
  await media(ms);
  return { out, inc };
}

describe('phone calls: SRTP calls through the embedded cluster', function () {
  this.timeout(60_000);
  let lab: PhoneLab;
  let alice: Phone;
  let bob: Phone;
  let legacy: Phone;
  let carol: Phone;
  let dave: Phone;
  let erin: Phone;

  before(async () => {
    lab = await startLab({
      devices: {
        alice: { mac: '001B54CA0001', model: 8865, profile: 'Encrypted', line: 2001 },
        bob: { mac: '001B54CA0002', model: 8845, profile: 'Encrypted', line: 2002 },
        legacy: { mac: '001E4A796201', model: 7962, profile: 'Encrypted', line: 2003 },
        carol: { mac: '001B54CA0004', model: 8865, profile: 'Authenticated', line: 2004 },
        dave: { mac: '001B54CA0005', model: 8865, profile: 'Non Secure TCP', line: 2005 },
        erin: { mac: '001B54CA0006', model: 8865, profile: 'Non Secure TCP', line: 2006 },
      },
    });
    [alice, bob, legacy, carol, dave, erin] = await Promise.all(['alice', 'bob', 'legacy', 'carol', 'dave', 'erin'].map((l) => lab.phone(l)));
  });

  after(async () => {
    await lab?.close();
  });

  afterEach(() => lab.b2bua.setSrtpCiphers('all-supported'));

  for (const [i, suite] of SUITES.entries()) {
    it(`${suite}: two 8800 phones, media checked both ways, hung up by the ${i % 2 ? 'callee' : 'caller'}`, async () => {
      lab.b2bua.setSrtpCiphers([suite]);
      const { out, inc } = await connect(alice, bob, '2002');
      const [a, b] = await Promise.all([i % 2 ? out.whenEnded() : out.hangup(), i % 2 ? inc.hangup() : inc.whenEnded()]);
      for (const [r, who] of [
        [a, 'alice'],
        [b, 'bob'],
      ] as const) {
        expect(r.media, who).to.include({ srtp: true, suite });
        expect(r.security, who).to.equal('encrypted');
        expectGoodMedia(r, who);
      }
      expect(a.endedBy).to.equal(i % 2 ? 'remote' : 'local');
      expect(b.endedBy).to.equal(i % 2 ? 'local' : 'remote');
      expect(a.stats!.suite).to.equal(suite);
      expect(a.stats!.srtpBackend).to.be.a('string');
      const rec = lab.b2bua.calls.find((c) => c.legs.A.callId === a.callId)!;
      expect(rec.security?.status).to.equal('encrypted');
      expect(rec.media?.suite).to.equal(suite);
      // Each side's key export names the other's stream with the key that side sends with.
      const sent = alice.sip!.srtpKeys().find((k) => k.direction === 'send' && k.session === a.id)!;
      const got = bob.sip!.srtpKeys().find((k) => k.direction === 'receive' && k.session === b.id && k.ssrc === a.stats!.send!.ssrc)!;
      expect(got.suite).to.equal(suite);
      expect(got.inline).to.equal(sent.inline);
    });
  }

  it('a legacy 7962 calls an 8845: the suite and the 32/80 tag follow the media policy (AES_CM_128_HMAC_SHA1_80)', async () => {
    const m79 = builtinModels.get('7962');
    const m88 = builtinModels.get('8845');
    // What the rules say: the 7962 offers its suites; the cluster forwards what policy and callee allow; the 8845 picks.
    const offer = m79.srtp.suites.map((s, n) => formatCryptoAttribute(newCryptoAttribute(n + 1, s)));
    const relayed = relayOffer({ offerCryptos: offer, policy: 'all-supported', from: { tls: true }, to: { tls: true, capabilities: m88.srtp.suites } });
    expect(relayed.kind).to.equal('srtp');
    const expected = answerOffer({ offerCryptos: relayed.kind === 'srtp' ? relayed.attributeValues : [], policy: [...m88.srtp.suites], capabilities: m88.srtp.suites, tls: true });
    expect(expected.kind).to.equal('srtp');
    if (expected.kind !== 'srtp') return;
    expect(expected.suite).to.equal(CM80);

    const { out, inc } = await connect(legacy, bob, '2002');
    const [a, b] = await Promise.all([out.hangup(), inc.whenEnded()]);
    expect(legacy.sip!.tls).to.include({ version: 'TLSv1', suite: 'TLS_RSA_WITH_AES_128_CBC_SHA', certificateType: 'RSA' });
    for (const r of [a, b]) {
      expect(r.media).to.include({ srtp: true, suite: expected.suite, tag: expected.tag, authTagBits: 80 });
      expect(r.security).to.equal('encrypted');
    }
    expectGoodMedia(a, 'legacy');
    expectGoodMedia(b, 'bob');
  });

  it('a 7962 that only does the 32-bit tag gets AES_CM_128_HMAC_SHA1_32 (Table 8: {32} → 32)', async () => {
    // The same phone registers again with a narrower SRTP list (a model variant or firmware setting).
    await legacy.close();
    const r = await legacy.register({ clock: lab.clock, keepaliveMs: 0, media: { rtcpIntervalMs: 400 }, srtpSuites: [CM32] });
    expect(r.outcome, r.reason).to.equal('registered');
    const { out, inc } = await connect(legacy, bob, '2002');
    const [a, b] = await Promise.all([inc.hangup(), out.whenEnded()]);
    for (const x of [a, b]) expect(x.media).to.include({ srtp: true, suite: CM32, authTagBits: 32 });
    expectGoodMedia(a, 'bob');
    expectGoodMedia(b, 'legacy');
  });

  it('SRTP Ciphers "Strongest": the legacy phone has no common suite, the call falls back to RTP and is not encrypted', async () => {
    lab.b2bua.setSrtpCiphers('strongest');
    const { out, inc } = await connect(legacy, bob, '2002', 400);
    const [a, b] = await Promise.all([out.hangup(), inc.whenEnded()]);
    expect(a.media?.srtp).to.equal(false);
    expect(b.media?.srtp).to.equal(false);
    expect(a.security).to.equal('authenticated'); // TLS signalling, RTP media
    expect(a.stats!.suite).to.equal(null);
    expect(a.ok, a.problems.join()).to.equal(true);
    expect(a.stats!.receive!.packets).to.be.greaterThan(5);
    expect(a.stats!.receive!.contentErrors).to.equal(0);
  });

  it('hold and resume: re-INVITEs change the media direction (sendonly/recvonly) and media flows again after', async () => {
    const { out, inc } = await connect(alice, bob, '2002', 400);
    await alice.hold(out);
    expect(out.state).to.equal('held');
    expect(out.media!.session.direction).to.equal('sendonly');
    await until(() => inc.state === 'held', 'bob to see the hold');
    expect(inc.media!.session.direction).to.equal('recvonly');
    const bobSent = inc.media!.stats().send!.packets;
    const aliceSent = out.media!.stats().send!.packets;
    await media(400);
    expect(inc.media!.stats().send!.packets - bobSent, 'bob is silent while held').to.be.at.most(2);
    expect(out.media!.stats().send!.packets - aliceSent, 'alice keeps sending (music on hold)').to.be.greaterThan(10);
    await alice.resume(out);
    expect(out.state).to.equal('connected');
    await until(() => inc.state === 'connected', 'bob to see the resume');
    expect(inc.media!.session.direction).to.equal('sendrecv');
    const bobAfter = inc.media!.stats().send!.packets;
    await media(400);
    expect(inc.media!.stats().send!.packets - bobAfter).to.be.greaterThan(10);
    const [a, b] = await Promise.all([out.hangup(), inc.whenEnded()]);
    expect(a.holds.map((h) => [h.by, h.held, h.direction])).to.deep.equal([
      ['local', true, 'sendonly'],
      ['local', false, 'sendrecv'],
    ]);
    expect(b.holds.map((h) => [h.by, h.held, h.direction])).to.deep.equal([
      ['remote', true, 'recvonly'],
      ['remote', false, 'sendrecv'],
    ]);
    // The key stayed across the re-INVITEs: nothing failed to decrypt.
    expectGoodMedia(a, 'alice');
    expectGoodMedia(b, 'bob');
  });

  for (const status of [486, 603]) {
    it(`reject: the callee answers ${status}, the caller's call ends rejected with ${status}`, async () => {
      const out = alice.call('2002');
      const inc = await ringing(bob);
      const b = await bob.reject(inc, status);
      const a = await out.whenEnded();
      expect(b).to.include({ outcome: 'rejected', status, endedBy: 'local' });
      expect(a).to.include({ outcome: 'rejected', status, endedBy: 'remote', state: 'ended' });
      expect(a.stats?.receive?.packets ?? 0).to.equal(0);
    });
  }

  it('cancel: the caller hangs up while it rings, both sides end cancelled (487)', async () => {
    const out = alice.call('2002');
    const inc = await ringing(bob);
    await out.waitFor('ringing');
    const [a, b] = await Promise.all([out.hangup(), inc.whenEnded()]);
    expect(a).to.include({ outcome: 'cancelled', status: 487 });
    expect(b).to.include({ outcome: 'cancelled', endedBy: 'remote' });
  });

  it('media that does not decrypt fails the call result (a key mismatch on the caller)', async () => {
    const out = alice.call('2002', { srtpKeyMismatch: true });
    const inc = await ringing(bob);
    await bob.answer(inc);
    await out.waitFor('connected');
    await media(500);
    const [a, b] = await Promise.all([out.hangup(), inc.whenEnded()]);
    expect(a.ok).to.equal(false);
    expect(a.stats!.receive!.authFailures).to.be.greaterThan(10);
    expect(a.problems.join('\n')).to.match(/failed SRTP authentication/);
    expect(b.ok, b.problems.join()).to.equal(true); // bob decrypts alice fine
  });

  it('an Authenticated phone (NULL-SHA signalling) gets RTP: SDES keys never cross unencrypted signalling', async () => {
    expect(carol.sip!.tls).to.include({ suite: 'TLS_RSA_WITH_NULL_SHA', nullCipher: true });
    expect(carol.sip!.signalling).to.equal('authenticated');
    const { out, inc } = await connect(carol, alice, '2001', 400);
    const [a, b] = await Promise.all([out.hangup(), inc.whenEnded()]);
    expect(a.media?.srtp).to.equal(false);
    expect(a.security).to.equal('authenticated');
    expect(b.media?.srtp).to.equal(false);
    expect(a.ok).to.equal(true);
    expect(b.stats!.receive!.packets).to.be.greaterThan(5);
    expect(b.stats!.receive!.contentErrors).to.equal(0);
  });

  it('two Non Secure phones over TCP: RTP, non-secure, media checked', async () => {
    const { out, inc } = await connect(dave, erin, '2006', 400);
    const [a, b] = await Promise.all([inc.hangup(), out.whenEnded()]);
    for (const r of [a, b]) {
      expect(r.media?.srtp).to.equal(false);
      expect(r.security).to.equal('non-secure');
      expect(r.ok, r.problems.join()).to.equal(true);
      expect(r.stats!.receive!.packets).to.be.greaterThan(5);
    }
    expect(b.endedBy).to.equal('remote');
  });

  it("SRTP key export: bob's exported keys decrypt a capture of what alice sent, with the content checked", async () => {
    const captured: Buffer[] = [];
    const out = alice.call('2002', { media: { capture: (p) => p.direction === 'out' && p.kind === 'rtp' && captured.push(p.data) } });
    const inc = await ringing(bob);
    await bob.answer(inc);
    await out.waitFor('connected');
    await media(300);
    const [a] = await Promise.all([out.hangup(), inc.whenEnded()]);
    const log = bob.sip!.srtpKeyLog();
    const mine = parseKeyLog(log).filter((k) => k.direction === 'receive' && k.ssrc === a.stats!.send!.ssrc);
    expect(mine, log).to.have.length(1);
    const rx = createSrtpSession(keyExportToPolicy(mine[0]!));
    let ok = 0;
    for (const pkt of captured) {
      const plain = rx.unprotectRtp(pkt);
      if (isSrtpFailure(plain)) continue;
      const rtp = parseRtp(plain);
      const law = rtp.payloadType === 8 ? 'PCMA' : 'PCMU';
      expect(new TestSignal(law).check(rtp.payload, 0, rtp.payload.length, rtp.ssrc, rtp.sequenceNumber, rtp.timestamp), 'payload').to.equal(true);
      ok++;
    }
    rx.close();
    expect(captured.length).to.be.greaterThan(10);
    expect(ok).to.equal(captured.length);
  });

  it('a call to a number nobody registered ends rejected (404) without media', async () => {
    const out = alice.call('2999');
    const a = await out.whenEnded();
    expect(a).to.include({ outcome: 'rejected', status: 404 });
    expect(a.stats?.receive?.packets ?? 0).to.equal(0);
    expect(a.ok).to.equal(true);
  });
});
