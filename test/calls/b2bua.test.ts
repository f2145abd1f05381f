// The B2BUA on a real SipServer (TLS with the test cluster's pki, TCP) between engine/sip user agents acting as
// phones: the basic ladder, SRTP suites per "SRTP Ciphers" preset × device capabilities (expected values from the
// preset table), the 80/32-bit tag rule, RTP fallback and 488, the call security status, CANCEL, busy, unregistered,
// unknown numbers, no answer, hold/resume, BYE from either side, trunks with and without SRTP Allowed.
import { expect } from 'chai';
import fc from 'fast-check';
import { formatCryptoAttribute, newCryptoAttribute } from '../../ciphers/sdes/index.js';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import { B2bua, type CallRecord, RoutePlan, formatLadder } from '../../engine/calls/index.js';
import { SRTP_CIPHERS_PRESETS, SRTP_PEER_PROFILES, type SrtpCiphersPresetId } from '../../engine/media-policy/index.js';
import type { ClusterPki } from '../../engine/pki/index.js';
import { DeviceDirectory, type PhoneDevice } from '../../engine/sip/registrar/index.js';
import { SipServer } from '../../engine/sip/sip-server.js';
import { Dialog } from '../../engine/sip/dialog/index.js';
import type { ClientTransaction } from '../../engine/sip/transaction/index.js';
import { getModel } from '../../endpoints/models/model-profiles.js';
import { CM32, CM80, GCM128, GCM256, Phone, type PhoneOptions, TrunkPeer, audioSdp, sdpFacts, testCluster, until } from './support.js';

const PRESETS = Object.keys(SRTP_CIPHERS_PRESETS) as SrtpCiphersPresetId[];

/** The preset table's answer: the first suite of the preset both devices support, or none (RTP). */
function expectedSuite(preset: SrtpCiphersPresetId, a: readonly string[], b: readonly string[]): SrtpSuiteName | null {
  return SRTP_CIPHERS_PRESETS[preset].suites.find((s) => a.includes(s) && b.includes(s)) ?? null;
}

describe('calls: B2BUA between registered phones', function () {
  this.timeout(60_000);
  let pki: ClusterPki;
  let server: SipServer;
  let b2bua: B2bua;
  let peer: TrunkPeer;
  let cubePeer: TrunkPeer;
  const phones: Phone[] = [];
  /** Capabilities of devices without a model (lineMedia reads them). */
  const caps = new Map<string, { capabilities?: readonly string[]; allowSdesWithoutTls?: boolean }>();
  let n = 0;

  async function phone(o: Omit<PhoneOptions, 'device' | 'line'> & { model?: string; line?: string }): Promise<Phone> {
    n++;
    const device = `SEP0000CA11${String(n).padStart(3, '0')}`;
    const line = o.line ?? String(1100 + n);
    const d: PhoneDevice = { name: device, lines: [line], securityProfile: o.transport === 'TLS' ? 'encrypted' : 'nonsecure-tcp', ...(o.model ? { model: o.model } : {}) };
    server.directory.addDevice(d);
    if (!o.model) caps.set(device, { capabilities: o.capabilities, ...(o.sdesOverTcp ? { allowSdesWithoutTls: true } : {}) });
    const p = await Phone.create(server, pki, { ...o, device, line });
    phones.push(p);
    return p;
  }

  /** The record of the call a phone just placed (the newest). */
  const lastCall = (): CallRecord => b2bua.calls.at(-1)!;

  async function hangup(caller: Phone, rec: CallRecord): Promise<void> {
    const d = caller.dialogs.at(-1)!;
    const r = await caller.inDialog(d, 'BYE');
    expect(r.response.status).to.equal(200);
    await until(() => rec.ended, 3000, 'call ended');
  }

  before(async () => {
    pki = await testCluster();
    [peer, cubePeer] = await Promise.all([new TrunkPeer({ capabilities: [GCM256, GCM128, CM80, CM32] }).listen(), new TrunkPeer({ capabilities: SRTP_PEER_PROFILES['cube-default']!.suites }).listen()]);
    server = await SipServer.start({
      udp: false,
      tcp: { port: 0 },
      tls: { port: 0 },
      pki,
      devices: new DeviceDirectory({
        profiles: [
          { name: 'encrypted', deviceSecurityMode: 'encrypted' },
          { name: 'nonsecure-tcp', deviceSecurityMode: 'non-secure', transportType: 'TCP' },
        ],
      }),
      trunks: [{ name: 'pstn', destinations: ['127.0.0.2'], profile: { name: 'non-secure-trunk', deviceSecurityMode: 'non-secure', incomingPort: 5060 } }],
    });
    const plan = new RoutePlan({
      trunks: [
        { name: 'pstn', target: { transport: 'TCP', host: '127.0.0.2', port: peer.port }, srtpAllowed: false },
        { name: 'pstn-srtp', target: { transport: 'TCP', host: '127.0.0.2', port: peer.port }, srtpAllowed: true },
        { name: 'cube', target: { transport: 'TCP', host: '127.0.0.2', port: cubePeer.port }, srtpAllowed: true, capabilities: SRTP_PEER_PROFILES['cube-default']!.suites, onNoSrtp: 'reject' },
      ],
      patterns: [
        { pattern: '9.XXXX', trunk: 'pstn' },
        { pattern: '8.XXXX', trunk: 'pstn-srtp' },
        { pattern: '7.!', trunk: 'cube' },
        { pattern: '6.[0-4]XX', reject: { status: 403, reason: 'Forbidden' } },
      ],
    });
    b2bua = B2bua.attach(server, {
      routePlan: plan,
      lineMedia: (dev) => (dev?.model ? { capabilities: getModel(dev.model).srtp.suites } : dev ? caps.get(dev.name.toUpperCase()) : undefined),
    });
  });

  after(async () => {
    await b2bua?.close();
    for (const p of phones) await p.close();
    await peer?.close();
    await cubePeer?.close();
    await server?.stop();
  });

  afterEach(() => b2bua.setSrtpCiphers('all-supported'));

  it('A→B over TLS: 100/180/200/ACK/BYE relayed, AEAD_AES_256_GCM end to end, encrypted, full journal (002 §17 S2)', async () => {
    const a = await phone({ transport: 'TLS', model: 'Cisco 8845', capabilities: getModel('current').srtp.suites });
    const b = await phone({ transport: 'TLS', model: 'Cisco 8845', capabilities: getModel('current').srtp.suites });
    const events: string[] = [];
    const on = (e: string) => () => events.push(e);
    for (const e of ['call-started', 'ringing', 'answered', 'ended'] as const) b2bua.on(e, on(e));
    const out = await a.call(b.o.line);
    expect(out.result.response.status).to.equal(200);
    expect(out.provisional).to.deep.equal([100, 180]);
    const rec = lastCall();
    await b.waitFor('ACK');
    // B got the caller's own GCM-256 key line (end to end: the cluster does not re-key), first in policy order.
    const inv = sdpFacts(b.calls[0]!.request.body);
    expect(inv.suites).to.deep.equal([GCM256, GCM128, CM80, CM32]);
    expect(inv.cryptos[0]).to.equal(out.offerCryptos[0]);
    expect(out.answer!.suites).to.deep.equal([GCM256]);
    expect(out.answer!.cryptos[0]).to.equal(b.lastAnswer!.kind === 'srtp' ? b.lastAnswer!.attributeValue : '');
    expect(rec.media).to.include({ kind: 'srtp', suite: GCM256 });
    expect(rec.security!.status).to.equal('encrypted');
    expect(rec.legs.A).to.include({ transport: 'TLS', signalling: 'encrypted', device: a.o.device, dn: a.o.line });
    expect(rec.legs.B).to.include({ transport: 'TLS', signalling: 'encrypted', device: b.o.device, dn: b.o.line });
    expect(rec.legs.A.tls!.peer).to.equal(`${a.o.device} (LSC)`);
    await hangup(a, rec);
    await b.waitFor('BYE');
    expect(rec.end).to.include({ reason: 'caller-hangup', by: 'A' });
    expect(rec.timings.setupMs).to.be.a('number');
    const ladder = (leg: 'A' | 'B') => rec.legs[leg]!.journal.map((e) => `${e.direction} ${e.status ?? e.method}`);
    await until(() => ladder('B').length === 7, 3000, "the callee's 200 to our BYE");
    expect(ladder('A')).to.deep.equal(['in INVITE', 'out 100', 'out 180', 'out 200', 'in ACK', 'in BYE', 'out 200']);
    expect(ladder('B')).to.deep.equal(['out INVITE', 'in 100', 'in 180', 'in 200', 'out ACK', 'out BYE', 'in 200']);
    expect(rec.journal.map((e) => e.offsetMs)).to.satisfy((xs: number[]) => xs.every((x, i) => i === 0 || x >= xs[i - 1]!));
    expect(formatLadder(rec)).to.match(/INVITE sip:.*crypto AEAD_AES_256_GCM\(1\)/).and.match(/security: encrypted \(AEAD_AES_256_GCM\)/);
    expect(events).to.deep.equal(['call-started', 'ringing', 'answered', 'ended']);
    b2bua.removeAllListeners();
  });

  it('every SRTP Ciphers preset × caller/callee capabilities gives the suite the preset table says (RTP when none)', async () => {
    const sets: Record<string, readonly string[]> = {
      current: [GCM256, GCM128, CM80, CM32],
      'legacy-80-32': [CM80, CM32],
      'sccp-like-32': [CM32],
      'only-80': [CM80],
      'gcm128-80': [GCM128, CM80],
    };
    const byName = new Map<string, Phone>();
    for (const [name, c] of Object.entries(sets)) byName.set(name, await phone({ transport: 'TLS', capabilities: c }));
    let calls = 0;
    for (const preset of PRESETS) {
      b2bua.setSrtpCiphers(preset);
      for (const [an, a] of byName)
        for (const [bn, b] of byName) {
          if (a === b) continue;
          const before = b.calls.length;
          const out = await a.call(b.o.line);
          const rec = lastCall();
          const want = expectedSuite(preset, a.o.capabilities, b.o.capabilities);
          const label = `${preset}: ${an} → ${bn}`;
          expect(out.result.response.status, label).to.equal(200);
          // What reached B: the caller's lines the preset and B allow, in the preset's order.
          const forwarded = SRTP_CIPHERS_PRESETS[preset].suites.filter((s) => a.o.capabilities.includes(s) && b.o.capabilities.includes(s));
          const inv = sdpFacts(b.calls[before]!.request.body);
          expect(inv.suites, label).to.deep.equal(forwarded);
          expect(inv.proto, label).to.equal(forwarded.length ? 'RTP/SAVP' : 'RTP/AVP');
          if (want) {
            expect(rec.media, label).to.include({ kind: 'srtp', suite: want });
            expect(out.answer!.suites, label).to.deep.equal([want]);
            expect(rec.security!.status, label).to.equal('encrypted');
          } else {
            expect(rec.media!.kind, label).to.equal('rtp');
            expect(rec.media!.reason, label).to.equal('no-common-suite');
            expect(out.answer!.suites, label).to.deep.equal([]);
            expect(rec.security!.status, label).to.equal('authenticated'); // TLS everywhere, RTP media (the shield, 001 L8278)
          }
          await hangup(a, rec);
          calls++;
        }
    }
    expect(calls).to.equal(PRESETS.length * 20);
  });

  it('80- before 32-bit tags (001 Table 8): a _32-first offer reaches a legacy phone _80 first; a _32-only phone gets _32', async () => {
    const sccp = await phone({ transport: 'TLS', capabilities: [CM32, CM80], offerSuites: [CM32, CM80] });
    const legacy = await phone({ transport: 'TLS', model: 'Cisco 7962', capabilities: getModel('legacy').srtp.suites });
    const only32 = await phone({ transport: 'TLS', capabilities: [CM32] });
    const out = await sccp.call(legacy.o.line);
    const inv = sdpFacts(legacy.calls[0]!.request.body);
    expect(inv.suites).to.deep.equal([CM80, CM32]);
    expect(inv.tags).to.deep.equal([2, 1]); // the caller's own tags, reordered
    expect(out.answer!.suites).to.deep.equal([CM80]);
    await hangup(sccp, lastCall());
    const out32 = await legacy.call(only32.o.line);
    expect(sdpFacts(only32.calls[0]!.request.body).suites).to.deep.equal([CM32]);
    expect(out32.answer!.suites).to.deep.equal([CM32]);
    expect(lastCall().media!.suite).to.equal(CM32);
    await hangup(legacy, lastCall());
  });

  it('002 §16 item 40: under Strongest a legacy callee falls back to RTP; a CUBE trunk that must have SRTP gets no call and the caller 488', async () => {
    const a = await phone({ transport: 'TLS', capabilities: [GCM256, GCM128, CM80, CM32] });
    const legacy = await phone({ transport: 'TLS', model: 'Cisco 7962', capabilities: getModel('legacy').srtp.suites });
    b2bua.setSrtpCiphers('strongest');
    const out = await a.call(legacy.o.line);
    expect(out.result.response.status).to.equal(200);
    expect(sdpFacts(legacy.calls[0]!.request.body)).to.include({ proto: 'RTP/AVP' });
    expect(sdpFacts(legacy.calls[0]!.request.body).cryptos).to.deep.equal([]);
    const rec = lastCall();
    expect(rec.media).to.include({ kind: 'rtp', reason: 'no-common-suite' });
    expect(rec.media!.detail).to.include('Strongest');
    expect(rec.security!.status).to.equal('authenticated');
    await hangup(a, rec);
    // CUBE default (AES_CM_128_HMAC_SHA1_32 only, drops calls without SRTP, 002 L1711) behind Medium: refused here.
    b2bua.setSrtpCiphers('medium');
    const cube = await a.call('71234');
    expect(cube.result.response.status).to.equal(488);
    expect(cube.result.response.get('warning')).to.match(/Medium/);
    expect(cubePeer.invites).to.have.length(0);
    expect(lastCall().end).to.include({ reason: 'media-rejected', status: 488, by: 'cluster' });
    // With All Supported the CUBE answers _32 (S7 variant a) and the call is encrypted end to end.
    b2bua.setSrtpCiphers('all-supported');
    const ok = await a.call('71234');
    expect(ok.result.response.status).to.equal(200);
    expect(sdpFacts(cubePeer.invites[0]!.request.body).suites).to.deep.equal([CM32]);
    expect(ok.answer!.suites).to.deep.equal([CM32]);
    expect(lastCall().security!.status).to.equal('non-secure'); // the trunk leg is TCP
    await hangup(a, lastCall());
  });

  it('security status: a TCP callee gets no keys (non-secure); SDES over TCP is flagged when a line allows it', async () => {
    const a = await phone({ transport: 'TLS', capabilities: [GCM256, CM80] });
    const tcp = await phone({ transport: 'TCP', capabilities: [CM80] });
    const soft = await phone({ transport: 'TCP', capabilities: [CM80], sdesOverTcp: true });
    await a.call(tcp.o.line);
    let rec = lastCall();
    expect(sdpFacts(tcp.calls[0]!.request.body).cryptos).to.deep.equal([]);
    expect(rec.media).to.include({ kind: 'rtp', reason: 'signalling-not-encrypted' });
    expect(rec.security!.status).to.equal('non-secure');
    expect(rec.security!.legs.map((l) => l.status)).to.deep.equal(['authenticated', 'non-secure']);
    expect(rec.legs.B).to.include({ transport: 'TCP', signalling: 'none' });
    await hangup(a, rec);
    await a.call(soft.o.line);
    rec = lastCall();
    expect(sdpFacts(soft.calls[0]!.request.body).suites).to.deep.equal([CM80]);
    expect(rec.media).to.include({ kind: 'srtp', suite: CM80 });
    expect(rec.security!.status).to.equal('non-secure');
    expect(rec.warnings.map((w) => w.code)).to.include('sdes-keys-exposed');
    await hangup(a, rec);
  });

  it('line to trunk: SRTP Allowed unchecked strips the keys (RTP); checked passes them (flagged over TCP); a trunk BYE ends the call', async () => {
    const a = await phone({ transport: 'TLS', capabilities: [GCM256, CM80] });
    const off = await a.call('91234');
    expect(off.result.response.status).to.equal(200);
    expect(sdpFacts(peer.invites.at(-1)!.request.body).cryptos).to.deep.equal([]);
    let rec = lastCall();
    expect(rec.route).to.include({ kind: 'trunk', trunk: 'pstn', pattern: '9.XXXX' });
    expect(rec.media).to.include({ kind: 'rtp', reason: 'srtp-not-allowed' });
    expect(rec.legs.B).to.include({ kind: 'trunk', trunk: 'pstn', srtpAllowed: false, dn: '91234' });
    await hangup(a, rec);
    const on = await a.call('81234');
    expect(on.result.response.status).to.equal(200);
    expect(sdpFacts(peer.invites.at(-1)!.request.body).suites).to.deep.equal([GCM256, CM80]);
    rec = lastCall();
    expect(rec.media).to.include({ kind: 'srtp', suite: GCM256 });
    expect(rec.security!.status).to.equal('non-secure');
    expect(rec.warnings.some((w) => w.code === 'sdes-keys-exposed' && /trunk/.test(w.message))).to.equal(true);
    // The far end hangs up: its BYE comes in on the trunk side and reaches the phone.
    const r = await peer.ua.requestInDialog(peer.dialog!, 'BYE', { target: { transport: 'TCP', host: '127.0.0.1', port: server.ports.tcp! } });
    expect(r.response.status).to.equal(200);
    await a.waitFor('BYE');
    await until(() => rec.ended);
    expect(rec.end).to.include({ reason: 'callee-hangup', by: 'B' });
  });

  it('trunk to line: an inbound call on a trunk without SRTP Allowed reaches the phone as RTP, and the record says so', async () => {
    const b = await phone({ transport: 'TLS', capabilities: [CM80] });
    const inbound = await peer.ua.invite(
      {
        uri: `sip:${b.o.line}@127.0.0.1:${server.ports.tcp};transport=tcp`,
        from: '<sip:+15551234@127.0.0.2>',
        to: `<sip:${b.o.line}@127.0.0.1>`,
        contact: `<sip:peer@127.0.0.2:${peer.port};transport=tcp>`,
        body: audioSdp({ port: 41002, cryptos: [formatCryptoAttribute(newCryptoAttribute(1, CM80))] }),
        contentType: 'application/sdp',
      },
      { transport: 'TCP', host: '127.0.0.1', port: server.ports.tcp! },
    );
    expect(inbound.response.status).to.equal(200);
    const rec = lastCall();
    expect(rec.legs.A).to.include({ kind: 'trunk', trunk: 'pstn', srtpAllowed: false, dn: '+15551234', signalling: 'none' });
    expect(sdpFacts(b.calls[0]!.request.body)).to.deep.include({ proto: 'RTP/AVP', cryptos: [] });
    expect(rec.media).to.include({ kind: 'rtp', reason: 'srtp-not-allowed' });
    expect(rec.security!.status).to.equal('non-secure');
    const bye = await peer.ua.requestInDialog(inbound.dialog!, 'BYE', { target: { transport: 'TCP', host: '127.0.0.1', port: server.ports.tcp! } });
    expect(bye.response.status).to.equal(200);
    await b.waitFor('BYE');
    expect(rec.end).to.include({ reason: 'caller-hangup', by: 'A' });
  });

  it('CANCEL before the answer: 487 to the caller, CANCEL to the ringing callee', async () => {
    const a = await phone({ transport: 'TLS', capabilities: [CM80] });
    const b = await phone({ transport: 'TLS', capabilities: [CM80], behaviour: 'ring' });
    let tx: ClientTransaction | undefined;
    const out = await a.call(b.o.line, { onTransaction: (t) => (tx = t), onProvisional: (r) => void (r.status === 180 && a.c.ua.cancel(tx!)) });
    expect(out.result.response.status).to.equal(487);
    await until(() => b.calls[0]!.transaction!.lastResponse?.status === 487, 3000, 'callee INVITE ended by CANCEL');
    const rec = lastCall();
    expect(rec.end).to.include({ reason: 'cancelled', status: 487, by: 'A' });
    const bLadder = () => rec.legs.B!.journal.map((e) => `${e.direction} ${e.status ?? e.method}`);
    await until(() => bLadder().includes('in 487'), 3000, "the callee's 487 in the journal");
    expect(bLadder()).to.include.members(['out CANCEL', 'in 200', 'in 487']);
  });

  it('busy (486 through), unregistered line (480), unknown number (404), route pattern refusal (403)', async () => {
    const a = await phone({ transport: 'TLS', capabilities: [CM80] });
    const busy = await phone({ transport: 'TLS', capabilities: [CM80], behaviour: { status: 486, reason: 'Busy Here' } });
    const r1 = await a.call(busy.o.line);
    expect(r1.result.response.status).to.equal(486);
    expect(lastCall().end).to.include({ reason: 'busy', status: 486, by: 'B' });
    server.directory.addDevice({ name: 'SEP0000CA11F00D', lines: ['1999'], securityProfile: 'encrypted' });
    const r2 = await a.call('1999');
    expect(r2.result.response.status).to.equal(480);
    expect(lastCall().end).to.include({ reason: 'unregistered', status: 480 });
    const r3 = await a.call('5555');
    expect(r3.result.response.status).to.equal(404);
    expect(r3.result.response.get('warning')).to.match(/no line or route pattern matches 5555/);
    expect(lastCall().end!.reason).to.equal('no-route');
    const r4 = await a.call('6123');
    expect(r4.result.response.status).to.equal(403);
    expect(lastCall().end!.reason).to.equal('route-rejected');
  });

  it("a callee answer that names a tag nobody offered is refused: 488 to the caller, ACK and BYE to the callee (RFC 4568 §5.1.3)", async () => {
    const a = await phone({ transport: 'TLS', capabilities: [CM80] });
    const rogue = await phone({
      transport: 'TLS',
      capabilities: [CM80],
      answerWith: () => audioSdp({ port: 40008, cryptos: [formatCryptoAttribute(newCryptoAttribute(9, CM80))] }),
    });
    const out = await a.call(rogue.o.line);
    expect(out.result.response.status).to.equal(488);
    expect(out.result.response.get('warning')).to.match(/tag 9 was not offered/);
    await rogue.waitFor('ACK');
    await rogue.waitFor('BYE');
    expect(lastCall().end).to.include({ reason: 'media-rejected', status: 488, by: 'cluster' });
  });

  it('fuzz: INVITEs with hostile SDP each get one final answer (400/488 naming the fault, or the callee\'s 486), never a hang', async () => {
    const a = await phone({ transport: 'TLS', capabilities: [CM80, GCM256] });
    const busy = await phone({ transport: 'TLS', capabilities: [CM80], behaviour: { status: 486 } });
    const base = audioSdp({ port: 4000, cryptos: a.offerCryptos() });
    const mutated = fc.tuple(fc.nat({ max: base.length }), fc.nat({ max: 30 }), fc.string({ maxLength: 30 })).map(([at, del, ins]) => base.slice(0, at) + ins + base.slice(at + del));
    const before = b2bua.activeCalls.length;
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, fc.string({ maxLength: 120 })), async (sdp) => {
        const out = await a.call(busy.o.line, { body: sdp });
        expect([400, 486, 488]).to.include(out.result.response.status);
        if (out.result.response.status !== 486) expect(out.result.response.get('warning')).to.match(/^399 trustline ".+"/);
      }),
      { numRuns: 60 },
    );
    expect(b2bua.activeCalls).to.have.length(before);
  });

  it('re-INVITE hold/resume from either side is relayed with the policy applied; held/resumed events; BYE from the callee', async () => {
    const a = await phone({ transport: 'TLS', capabilities: [GCM256, CM80] });
    const b = await phone({ transport: 'TLS', capabilities: [GCM256, CM80] });
    const seen: string[] = [];
    const onHeld = (_r: CallRecord, by: string) => seen.push(`held ${by}`);
    const onResumed = (_r: CallRecord, by: string) => seen.push(`resumed ${by}`);
    b2bua.on('held', onHeld).on('resumed', onResumed);
    const out = await a.call(b.o.line);
    const rec = lastCall();
    await b.waitFor('ACK');
    const dA = a.dialogs.at(-1)!;
    const hold = await a.reinvite(dA, 'sendonly');
    expect(hold.response.status).to.equal(200);
    const reinv = b.received.filter((r) => r.request.method === 'INVITE')[1]!.request;
    expect(sdpFacts(reinv.body)).to.include({ direction: 'sendonly' });
    expect(sdpFacts(reinv.body).suites).to.deep.equal([GCM256, CM80]);
    expect(sdpFacts(hold.response.body)).to.include({ direction: 'recvonly' });
    expect(rec.state).to.equal('held');
    expect(rec.heldBy).to.equal('A');
    const resume = await a.reinvite(dA, 'sendrecv');
    expect(resume.response.status).to.equal(200);
    expect(rec.state).to.equal('answered');
    // The callee holds too (its dialog is the B leg's UAS side).
    const dB = b.dialogs.at(-1)!;
    const bh = await b.reinvite(dB, 'inactive');
    expect(bh.response.status).to.equal(200);
    expect(sdpFacts(a.got('INVITE').at(-1)!.body)).to.include({ direction: 'inactive' });
    await b.reinvite(dB, 'sendrecv');
    expect(seen).to.deep.equal(['held A', 'resumed A', 'held B', 'resumed B']);
    expect(rec.holds.map((h) => `${h.by}:${h.held}`)).to.deep.equal(['A:true', 'A:false', 'B:true', 'B:false']);
    expect(rec.media).to.include({ kind: 'srtp', suite: GCM256 });
    // The callee hangs up.
    const bye = await b.inDialog(dB, 'BYE');
    expect(bye.response.status).to.equal(200);
    await a.waitFor('BYE');
    await until(() => rec.ended);
    expect(rec.end).to.include({ reason: 'callee-hangup', by: 'B' });
    expect(out.result.response.status).to.equal(200);
    b2bua.off('held', onHeld).off('resumed', onResumed);
  });

  it('a re-INVITE whose SDP does not parse gets 400 naming the fault, and the call goes on', async () => {
    const a = await phone({ transport: 'TLS', capabilities: [CM80, CM32] });
    const b = await phone({ transport: 'TLS', capabilities: [CM80, CM32] });
    await a.call(b.o.line);
    const rec = lastCall();
    const bad = await a.inDialog(a.dialogs.at(-1)!, 'INVITE', 'v=0\r\nthis is not sdp\r\n');
    expect(bad.response.status).to.equal(400);
    expect(bad.response.get('warning')).to.match(/SDP/);
    expect(rec.state).to.equal('answered');
    const hold = await a.reinvite(a.dialogs.at(-1)!, 'sendonly');
    expect(hold.response.status).to.equal(200);
    await hangup(a, rec);
  });

  it('no answer: the callee is cancelled after noAnswerTimeoutMs and the caller gets 480; Busy Trigger gives 486; a silent trunk gives 408', async () => {
    const s2 = await SipServer.start({
      udp: { port: 0 },
      tcp: { port: 0 },
      tls: false,
      devices: new DeviceDirectory({ profiles: [{ name: 'nonsecure-tcp', deviceSecurityMode: 'non-secure', transportType: 'TCP' }] }),
      trunks: [{ name: 'dead', destinations: ['127.0.0.2'], profile: { name: 'ns', deviceSecurityMode: 'non-secure', incomingPort: 5060 } }],
    });
    const b2 = B2bua.attach(s2, {
      noAnswerTimeoutMs: 400,
      busyTrigger: 1,
      routePlan: new RoutePlan({ trunks: [{ name: 'dead', target: { transport: 'UDP', host: '127.0.0.2', port: 9 } }], patterns: [{ pattern: '9!', trunk: 'dead' }] }),
    });
    s2.directory.addDevice({ name: 'SEP0000CA11E001', lines: ['2001'], securityProfile: 'nonsecure-tcp' });
    s2.directory.addDevice({ name: 'SEP0000CA11E002', lines: ['2002'], securityProfile: 'nonsecure-tcp' });
    const a = await Phone.create(s2, undefined, { device: 'SEP0000CA11E001', line: '2001', transport: 'TCP', capabilities: [] });
    const b = await Phone.create(s2, undefined, { device: 'SEP0000CA11E002', line: '2002', transport: 'TCP', capabilities: [], behaviour: 'ring' });
    try {
      const first = a.call('2002');
      await until(() => b.calls.length === 1, 3000, 'callee rings');
      // Busy Trigger 1: a second call to the ringing line is refused at once, without reaching the phone.
      const second = await a.call('2002');
      expect(second.result.response.status).to.equal(486);
      expect(b2.calls.at(-1)!.end).to.include({ reason: 'busy', by: 'cluster' });
      expect(b.calls).to.have.length(1);
      const out = await first;
      expect(out.result.response.status).to.equal(480);
      await until(() => b.calls[0]!.transaction!.lastResponse?.status === 487, 3000, 'callee cancelled');
      expect(b2.calls.find((c) => c.end?.reason === 'no-answer')!.end).to.include({ status: 480, by: 'cluster' });
      const dead = await a.call('9555');
      expect(dead.result.response.status).to.equal(408);
      expect(b2.calls.at(-1)!.end).to.include({ reason: 'timeout', status: 408 });
    } finally {
      await b2.close();
      await a.close();
      await b.close();
      await s2.stop();
    }
  });

  it('an INVITE without SDP (late offer): the callee offers in its 200, the caller answers in its ACK, which reaches the callee', async () => {
    const a = await phone({ transport: 'TLS', capabilities: [CM80] });
    const b = await phone({ transport: 'TLS', capabilities: [GCM256, CM80] });
    const r = await a.c.ua.request(
      { method: 'INVITE', uri: `sip:${b.o.line}@127.0.0.1:${a.target.port};transport=tls`, from: `<sip:${a.o.line}@127.0.0.1>`, to: `<sip:${b.o.line}@127.0.0.1>`, contact: `<sip:${a.o.line}@127.0.0.1:5060;transport=tls>` },
      a.target,
    );
    expect(r.response.status).to.equal(200);
    // The callee's offer reached the caller filtered by the caller's own suites (its device record: _80 only).
    expect(sdpFacts(r.response.body).suites).to.deep.equal([CM80]);
    const d = Dialog.uac(r.request, r.response);
    a.c.ua.dialogs.set(d.id, d);
    a.dialogs.push(d);
    const answer = a.answerSdp(r.response.body);
    a.c.transactions.sendStateless(d.createAck(r.request.cseq.seq, a.c.transactions.viaFor(r.flow), { body: answer, contentType: 'application/sdp' }), r.flow);
    const ack = await b.waitFor('ACK');
    expect(sdpFacts(ack.body).suites).to.deep.equal([CM80]);
    const rec = lastCall();
    await until(() => rec.media?.kind === 'srtp', 3000, 'media from the ACK');
    expect(rec.media).to.include({ suite: CM80 });
    expect(rec.security!.status).to.equal('encrypted');
    await hangup(a, rec);
    // Without an answer in the ACK the call cannot have media: both legs get BYE.
    const out = await a.call(b.o.line, { body: null });
    expect(out.result.response.status).to.equal(200);
    await a.waitFor('BYE');
    await until(() => lastCall().ended);
    expect(lastCall().end!.reason).to.equal('media-rejected');
  });
});
