// Two media sessions on loopback exchanging SRTP both ways, keys from engine/media-policy and SDP from
// engine/sip/message: every suite, wrong keys, corruption, replays, loss, SRTCP reports, hold, re-INVITE, sequence
// wrap, rtcp-mux, port ranges, hostile datagrams, key export. Counts are asserted, never timings: the clock runs
// at 2x and the waits only bound how long a test takes.
import dgram from 'node:dgram';
import { expect } from 'chai';
import { formatCryptoAttribute, newCryptoAttribute, sdesToPolicy } from '../../ciphers/sdes/index.js';
import { availableSrtpBackends, createSrtpSession } from '../../ciphers/srtp/session.js';
import { SRTP_SUITE_NAMES, type SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import { isSrtpFailure, type SrtpBackendName } from '../../ciphers/srtp/types.js';
import { acceptAnswer, answerOffer, buildOffer } from '../../engine/media-policy/index.js';
import { parseSdp, serializeSdp, type SdpMedia, type SdpSession } from '../../engine/sip/message/sdp.js';
import { TestSignal } from '../../endpoints/media/g711.js';
import { formatKeyLog, keyExportToCryptoLine, keyExportToPolicy, parseKeyLog, rtpDecoderCommand } from '../../endpoints/media/key-export.js';
import { MediaClock } from '../../endpoints/media/media-clock.js';
import { MediaSession, type CapturedPacket, type MediaSessionOptions, type MediaSessionStats } from '../../endpoints/media/media-session.js';
import { parseRtp } from '../../endpoints/media/rtp-packet.js';

const SPEED = 2;
const sleep = (wallMs: number) => new Promise((r) => setTimeout(r, wallMs));
/** Wall time for `mediaMs` of media at the test clock's speed. */
const media = (mediaMs: number) => sleep(mediaMs / SPEED);

function sdpOf(m: SdpMedia, user: string): SdpSession {
  return {
    version: 0,
    origin: { username: user, sessionId: '1', sessionVersion: '1', netType: 'IN', addrType: 'IP4', address: '127.0.0.1' },
    sessionName: '-',
    bandwidths: [],
    timing: ['0 0'],
    attributes: [],
    other: [],
    media: [m],
  };
}

interface Call {
  a: MediaSession;
  b: MediaSession;
  suite: SrtpSuiteName | null;
  close(): Promise<void>;
}

interface CallOptions {
  clock: MediaClock;
  suite?: SrtpSuiteName | null;
  a?: Partial<MediaSessionOptions>;
  b?: Partial<MediaSessionOptions>;
  /** B decrypts with a key of its own instead of A's. */
  wrongKeyAtB?: boolean;
}

const opened: MediaSession[] = [];

/** Offer from A (SDP with crypto lines), answer from B, keys checked by A: a call leg as the phones will run it. */
async function setUpCall(o: CallOptions): Promise<Call> {
  const suite = o.suite === undefined ? 'AES_CM_128_HMAC_SHA1_80' : o.suite;
  const a = await MediaSession.open({ clock: o.clock, name: 'A', rtcpIntervalMs: 300, ...o.a });
  const b = await MediaSession.open({ clock: o.clock, name: 'B', rtcpIntervalMs: 300, ...o.b });
  opened.push(a, b);
  const policy = suite ? [suite] : ['AES_CM_128_HMAC_SHA1_80'];
  const offer = buildOffer({ policy, capabilities: suite ? [suite] : [], tls: true });
  const offerSdp = parseSdp(serializeSdp(sdpOf(a.localMedia({ crypto: offer.kind === 'srtp' ? offer.attributeValues : [] }), 'a')));
  const remoteA = b.applyRemoteDescription(offerSdp);
  const answer = answerOffer({ policy, capabilities: suite ? [suite] : [], tls: true, offerCryptos: remoteA.crypto });
  const answerSdp = parseSdp(serializeSdp(sdpOf(b.localMedia({ crypto: answer.kind === 'srtp' ? [answer.attributeValue] : [] }), 'b')));
  const remoteB = a.applyRemoteDescription(answerSdp);
  const accepted = acceptAnswer({ offer, answerCryptos: remoteB.crypto });
  if (suite) {
    if (answer.kind !== 'srtp' || accepted.kind !== 'srtp') throw new Error(`no SRTP agreed for ${suite}`);
    a.setKeys(accepted);
    if (o.wrongKeyAtB) {
      const other = sdesToPolicy(newCryptoAttribute(1, suite));
      b.setKeys({ sendPolicy: answer.sendPolicy, receivePolicy: other });
    } else {
      b.setKeys(answer);
    }
  } else {
    expect(answer.kind).to.equal('rtp');
  }
  return {
    a,
    b,
    suite,
    close: async () => {
      await a.close();
      await b.close();
    },
  };
}

/** Ends media both ways, lets packets in flight land, then exchanges the final SR/RR + BYE. */
async function finish(...sessions: MediaSession[]): Promise<MediaSessionStats[]> {
  for (const s of sessions) s.setDirection('inactive');
  await sleep(80);
  for (const s of sessions) s.stop();
  await sleep(80);
  return sessions.map((s) => s.stats());
}

function expectClean(from: MediaSessionStats, to: MediaSessionStats, label: string): void {
  const sent = from.send!;
  const got = to.receive!;
  expect(sent.packets, `${label}: packets sent`).to.be.greaterThan(20);
  expect(got.authFailures, `${label}: auth failures`).to.equal(0);
  expect(got.contentErrors, `${label}: content errors`).to.equal(0);
  expect(got.malformed, `${label}: malformed`).to.equal(0);
  expect(got.packets, `${label}: every packet decrypted and checked`).to.equal(sent.packets);
  expect(got.datagrams, `${label}: datagrams`).to.equal(sent.packets);
  expect(got.lost, `${label}: lost`).to.equal(0);
  expect(got.sources.map((s) => s.ssrc)).to.deep.equal([sent.ssrc]);
  expect(to.verdict.ok, `${label}: ${to.verdict.problems.join('; ')}`).to.equal(true);
}

describe('media: MediaSession on loopback', function () {
  this.timeout(20_000);
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it(`exchanges SRTP both ways for every suite (${SRTP_SUITE_NAMES.length}), every packet decrypted and content-checked`, async () => {
    const clock = new MediaClock({ speed: SPEED });
    const backends = availableSrtpBackends();
    // A on the default backend, B on the TypeScript one: each call also checks the two backends against each other.
    const bBackend: SrtpBackendName = 'ts';
    const calls = await Promise.all(SRTP_SUITE_NAMES.map((suite) => setUpCall({ clock, suite, b: { srtpBackend: bBackend } })));
    for (const c of calls) {
      c.a.start();
      c.b.start();
    }
    await media(1000);
    const stats = await Promise.all(calls.map((c) => finish(c.a, c.b)));
    calls.forEach((c, i) => {
      const [sa, sb] = stats[i]!;
      expect(sa!.suite).to.equal(c.suite);
      expect(sb!.srtpBackend).to.equal('ts');
      expect(sa!.srtpBackend).to.equal(backends.includes('native') ? 'native' : 'ts');
      expectClean(sa!, sb!, `${c.suite} A→B`);
      expectClean(sb!, sa!, `${c.suite} B→A`);
      // SRTCP went both ways under the same keys.
      expect(sa!.rtcp.received.sr).to.be.greaterThan(0);
      expect(sa!.rtcp.received.authFailures).to.equal(0);
      expect(sb!.rtcp.received.bye).to.equal(1);
    });
  });

  it('close() of a session still sending puts its last report and BYE on the wire before the sockets close', async () => {
    const clock = new MediaClock({ speed: SPEED });
    const c = await setUpCall({ clock, suite: 'AEAD_AES_128_GCM' });
    c.a.start();
    c.b.start();
    await media(200);
    await c.a.close(); // straight from started: stop() sends the BYE, close() must not drop it
    await sleep(80);
    expect(c.a.stats().rtcp.sent.bye).to.equal(1);
    expect(c.b.stats().rtcp.received.bye).to.equal(1);
    expect(c.b.stats().rtcp.byeReceived).to.equal(true);
  });

  it('plain RTP (negotiation fell back) flows and checks the same way', async () => {
    const clock = new MediaClock({ speed: SPEED });
    const c = await setUpCall({ clock, suite: null });
    c.a.start();
    c.b.start();
    await media(600);
    const [sa, sb] = await finish(c.a, c.b);
    expect(sa!.suite).to.equal(null);
    expectClean(sa!, sb!, 'A→B');
    expectClean(sb!, sa!, 'B→A');
  });

  it('a receiver with the wrong key counts every packet as an authentication failure and reports the stream failed', async () => {
    const clock = new MediaClock({ speed: SPEED });
    const c = await setUpCall({ clock, suite: 'AEAD_AES_128_GCM', wrongKeyAtB: true });
    c.a.start();
    c.b.start();
    await media(600);
    const [sa, sb] = await finish(c.a, c.b);
    const got = sb!.receive!;
    expect(got.packets).to.equal(0);
    expect(got.authFailures).to.equal(sa!.send!.packets);
    expect(got.datagrams).to.equal(sa!.send!.packets);
    expect(got.srtpFailures).to.deep.equal({ 'auth-failure': sa!.send!.packets });
    expect(sb!.rtcp.received.authFailures).to.equal(sa!.rtcp.sent.compound);
    expect(sb!.verdict.ok).to.equal(false);
    expect(sb!.verdict.problems[0]).to.match(new RegExp(`^${sa!.send!.packets} of ${sa!.send!.packets} RTP packets failed SRTP authentication`));
    // The other direction is unaffected.
    expectClean(sb!, sa!, 'B→A');
  });

  it('N corrupted packets give exactly N authentication failures', async () => {
    const clock = new MediaClock({ speed: SPEED });
    const bad = new Set([3, 11, 12, 30]);
    const c = await setUpCall({ clock, suite: 'AES_CM_128_HMAC_SHA1_32', a: { impair: { corrupt: (i) => bad.has(i) } } });
    c.a.start();
    c.b.start();
    await media(1000);
    const [sa, sb] = await finish(c.a, c.b);
    expect(sa!.send!.impaired.corrupted).to.equal(bad.size);
    expect(sb!.receive!.authFailures).to.equal(bad.size);
    expect(sb!.receive!.packets).to.equal(sa!.send!.packets - bad.size);
    expect(sb!.receive!.contentErrors).to.equal(0);
    expect(sb!.verdict.ok).to.equal(false);
  });

  it('replayed packets are refused and counted as replays, not as media', async () => {
    const clock = new MediaClock({ speed: SPEED });
    const dup = new Set([2, 7, 19]);
    const c = await setUpCall({ clock, suite: 'AEAD_AES_256_GCM', a: { impair: { duplicate: (i) => dup.has(i) } } });
    c.a.start();
    c.b.start();
    await media(800);
    const [sa, sb] = await finish(c.a, c.b);
    expect(sb!.receive!.replays).to.equal(dup.size);
    expect(sb!.receive!.srtpFailures).to.deep.equal({ 'replay-duplicate': dup.size });
    expect(sb!.receive!.packets).to.equal(sa!.send!.packets);
    expect(sb!.receive!.datagrams).to.equal(sa!.send!.packets + dup.size);
    expect(sb!.verdict.ok).to.equal(true);
    expect(sb!.verdict.warnings).to.include(`${dup.size} replayed packets refused`);
  });

  it('lost packets are counted, and the SR/RR statistics agree with what was sent', async () => {
    const clock = new MediaClock({ speed: SPEED });
    const drop = new Set([5, 6, 20]);
    const c = await setUpCall({ clock, suite: 'AES_256_CM_HMAC_SHA1_80', a: { impair: { drop: (i) => drop.has(i) } } });
    c.a.start();
    c.b.start();
    await media(1000);
    const [sa, sb] = await finish(c.a, c.b);
    const sent = sa!.send!;
    const got = sb!.receive!;
    expect(sent.impaired.dropped).to.equal(drop.size);
    expect(got.lost).to.equal(drop.size);
    expect(got.packets).to.equal(sent.packets - drop.size);
    expect(got.sources[0]!.extendedHighestSeq & 0xffff).to.equal(sent.lastSeq);
    // B's view of A's final SR: A's own counters (packets lost in the network still count as sent).
    const sr = sb!.rtcp.lastSenderReport!;
    expect([sr.ssrc, sr.packetCount, sr.octetCount]).to.deep.equal([sent.ssrc, sent.packets, sent.octets]);
    // A's view of B's final report block about A: cumulative loss and highest sequence as B counted them.
    const rb = sa!.rtcp.remoteReport!;
    expect(rb.ssrc).to.equal(sent.ssrc);
    expect(rb.cumulativeLost).to.equal(drop.size);
    expect(rb.extendedHighestSeq).to.equal(got.sources[0]!.extendedHighestSeq);
    expect(rb.jitter).to.equal(Math.floor(got.sources[0]!.jitter));
    expect(rb.rttMs).to.not.equal(null);
    expect(sa!.rtcp.remoteCname).to.equal('B@trustline');
    expect(sb!.verdict.warnings).to.include(`${drop.size} packets lost`);
  });

  it('crosses the sequence-number wrap: SRTP rollover and RFC 3550 extended sequence numbers agree', async () => {
    const clock = new MediaClock({ speed: SPEED });
    const c = await setUpCall({ clock, suite: 'AES_CM_128_HMAC_SHA1_80', a: { initialSequence: 65520 } });
    c.a.start();
    c.b.start();
    await media(1000);
    const [sa, sb] = await finish(c.a, c.b);
    expectClean(sa!, sb!, 'A→B across the wrap');
    const src = sb!.receive!.sources[0]!;
    expect(src.baseSeq).to.equal(65520);
    expect(src.extendedHighestSeq).to.equal(65520 + sa!.send!.packets - 1);
    expect(src.extendedHighestSeq).to.be.greaterThan(65535);
  });

  it('hold stops sending one way; resuming continues without loss', async () => {
    const clock = new MediaClock({ speed: SPEED });
    const c = await setUpCall({ clock, suite: 'AES_CM_128_HMAC_SHA1_80' });
    c.a.start();
    c.b.start();
    await media(300);
    // A holds: its SDP says sendonly, B's answer recvonly; B stops sending, A keeps sending (music on hold).
    c.a.setDirection('sendonly');
    c.b.setDirection('recvonly');
    await media(200);
    const bSent1 = c.b.stats().send!.packets;
    const aGot1 = c.a.stats().receive!.packets;
    const bGot1 = c.b.stats().receive!.packets;
    await media(400);
    expect(c.b.stats().send!.packets).to.equal(bSent1);
    expect(c.a.stats().receive!.packets).to.equal(aGot1);
    expect(c.b.stats().receive!.packets).to.be.greaterThan(bGot1);
    c.a.setDirection('sendrecv');
    c.b.setDirection('sendrecv');
    await media(300);
    const [sa, sb] = await finish(c.a, c.b);
    expect(sb!.send!.packets).to.be.greaterThan(bSent1);
    expectClean(sb!, sa!, 'B→A after hold');
    expectClean(sa!, sb!, 'A→B');
  });

  it('follows a re-INVITE to a new remote address; the SRTP stream carries on', async () => {
    const clock = new MediaClock({ speed: SPEED });
    const c = await setUpCall({ clock, suite: 'AEAD_AES_128_GCM', a: { initialSequence: 1000 } });
    // C takes over B's side (same keys, another port): what a transfer or a media move looks like to A.
    const cSession = await MediaSession.open({ clock, name: 'C', rtcpIntervalMs: 300 });
    opened.push(cSession);
    const keysB = c.b.exportKeys();
    cSession.setKeys({ sendPolicy: keyExportToPolicy(keysB.find((k) => k.direction === 'send')!), receivePolicy: keyExportToPolicy(keysB.find((k) => k.direction === 'receive')!) });
    cSession.setRemote({ address: '127.0.0.1', rtpPort: c.a.rtpPort, rtcpPort: c.a.rtcpPort });
    cSession.setDirection('recvonly');
    c.a.start();
    c.b.start();
    cSession.start();
    await media(300);
    const reInvite = parseSdp(serializeSdp(sdpOf(cSession.localMedia({ direction: 'sendrecv' }), 'c')));
    c.a.applyRemoteDescription(reInvite);
    await media(80);
    const bGot = c.b.stats().receive!.packets;
    await media(400);
    const [sa, sb, sc] = await finish(c.a, c.b, cSession);
    expect(sb!.receive!.packets).to.equal(bGot);
    expect(sc!.receive!.packets).to.be.greaterThan(10);
    expect(sb!.receive!.packets + sc!.receive!.packets).to.equal(sa!.send!.packets);
    expect(sc!.receive!.authFailures + sc!.receive!.contentErrors).to.equal(0);
    expect(sa!.remote).to.deep.equal({ address: '127.0.0.1', rtpPort: cSession.rtpPort, rtcpPort: cSession.rtcpPort });
  });

  it('runs RTP and SRTCP on one port with rtcp-mux, and binds even/odd pairs inside a port range', async () => {
    const clock = new MediaClock({ speed: SPEED });
    const c = await setUpCall({ clock, suite: 'AES_CM_128_HMAC_SHA1_80', a: { rtcpMux: true }, b: { rtcpMux: true } });
    expect(c.a.rtcpPort).to.equal(c.a.rtpPort);
    expect(c.a.localMedia().attributes.some((x) => x.name === 'rtcp-mux')).to.equal(true);
    c.a.start();
    c.b.start();
    await media(700);
    const [sa, sb] = await finish(c.a, c.b);
    expectClean(sa!, sb!, 'muxed A→B');
    expect(sb!.rtcp.received.sr).to.be.greaterThan(0);
    expect(sb!.rtcp.received.authFailures + sb!.rtcp.received.malformed).to.equal(0);

    const ranged = await MediaSession.open({ clock, port: { min: 41000, max: 41999 } });
    opened.push(ranged);
    expect(ranged.rtpPort % 2).to.equal(0);
    expect(ranged.rtcpPort).to.equal(ranged.rtpPort + 1);
    expect(ranged.rtpPort).to.be.within(41000, 41998);
    const m = ranged.localMedia();
    expect(m.attributes.find((x) => x.name === 'rtcp')).to.equal(undefined); // port + 1 needs no a=rtcp
    await expectRejects(MediaSession.open({ clock, port: { min: 41001, max: 41001 } }), /port range/);
  });

  it('counts hostile datagrams on the media ports without crashing or losing the call', async () => {
    const clock = new MediaClock({ speed: SPEED });
    const c = await setUpCall({ clock, suite: 'AES_CM_128_HMAC_SHA1_80' });
    c.a.start();
    c.b.start();
    const junk = dgram.createSocket('udp4');
    const garbage = [Buffer.alloc(0), Buffer.from([0x80]), Buffer.alloc(11, 0x80), Buffer.from('REGISTER sip:x SIP/2.0\r\n'), Buffer.alloc(200, 0xff)];
    for (const g of garbage) {
      await new Promise<void>((res) => junk.send(g, c.b.rtpPort, '127.0.0.1', () => res()));
      await new Promise<void>((res) => junk.send(g, c.b.rtcpPort, '127.0.0.1', () => res()));
    }
    junk.close();
    await media(600);
    const [sa, sb] = await finish(c.a, c.b);
    const got = sb!.receive!;
    expect(got.packets).to.equal(sa!.send!.packets);
    expect(got.malformed + got.authFailures).to.equal(garbage.length);
    expect(sb!.rtcp.received.malformed + sb!.rtcp.received.authFailures).to.equal(garbage.length);
    expect(sb!.verdict.ok).to.equal(false);
  });

  it('exports keys that decrypt a captured packet, and round-trips the key log', async () => {
    for (const suite of ['AEAD_AES_256_GCM', 'AES_CM_128_HMAC_SHA1_32'] as const) {
      const clock = new MediaClock({ speed: SPEED });
      const captured: CapturedPacket[] = [];
      const c = await setUpCall({ clock, suite, a: { capture: (p) => captured.push(p) } });
      c.a.start();
      c.b.start();
      await media(300);
      await finish(c.a, c.b);
      const log = formatKeyLog([...c.a.exportKeys(), ...c.b.exportKeys()]);
      const entries = parseKeyLog(log);
      expect(entries).to.have.length(4);
      expect(formatKeyLog(entries)).to.equal(log);
      const aSend = entries.find((e) => e.direction === 'send' && e.ssrc === c.a.ssrc)!;
      expect(aSend.suite).to.equal(suite);
      expect(aSend.source).to.deep.equal({ address: '127.0.0.1', port: c.a.rtpPort });
      expect(aSend.destination).to.deep.equal({ address: '127.0.0.1', port: c.b.rtpPort });
      expect(keyExportToCryptoLine(aSend)).to.match(new RegExp(`^a=crypto:1 ${suite} inline:`));
      expect(rtpDecoderCommand(aSend, 'call.pcap')).to.contain(`-s ${suite} -b ${aSend.inline}`);
      // B's receive entry for A's stream carries the same key, bound to A's SSRC.
      const bRecv = entries.find((e) => e.direction === 'receive' && e.ssrc === c.a.ssrc)!;
      expect(bRecv.inline).to.equal(aSend.inline);
      // Re-derive from the export alone and decrypt packets A put on the wire.
      const wire = captured.filter((p) => p.direction === 'out' && p.kind === 'rtp').slice(0, 5);
      expect(wire).to.have.length(5);
      const rx = createSrtpSession(keyExportToPolicy(aSend));
      const sig = new TestSignal('PCMU', 160);
      for (const w of wire) {
        const plain = rx.unprotectRtp(w.data);
        if (isSrtpFailure(plain)) throw new Error(`${suite}: ${plain.toString()}`);
        const p = parseRtp(plain);
        expect(p.ssrc).to.equal(c.a.ssrc);
        expect(sig.check(plain, p.payloadOffset, p.payloadLength, p.ssrc, p.sequenceNumber, p.timestamp)).to.equal(true);
      }
      rx.close();
      await c.close();
    }
    expect(() => parseKeyLog('send 0x1 AES_CM_128_HMAC_SHA1_80 127.0.0.1:5 127.0.0.1:6 inline:AAAA')).to.throw(/line 1, inline/);
    expect(() => parseKeyLog('# c\n\nsend zz AES_CM_128_HMAC_SHA1_80 a:1 b:2 inline:x')).to.throw(/line 3, ssrc/);
  });

  it('offers what negotiation chose in its SDP and reads a remote description', async () => {
    const clock = new MediaClock({ speed: SPEED });
    const s = await MediaSession.open({ clock, codecs: ['PCMA', 'PCMU'] });
    opened.push(s);
    const line = formatCryptoAttribute(newCryptoAttribute(1, 'AEAD_AES_256_GCM'));
    const text = serializeSdp(sdpOf(s.localMedia({ crypto: [line], direction: 'sendonly' }), 'x'));
    expect(text).to.contain(`m=audio ${s.rtpPort} RTP/SAVP 8 0\r\n`);
    expect(text).to.contain('a=rtpmap:8 PCMA/8000\r\n');
    if (s.rtcpPort !== s.rtpPort + 1) expect(text).to.contain(`a=rtcp:${s.rtcpPort} IN IP4 127.0.0.1\r\n`);
    else expect(text).to.not.contain('a=rtcp:');
    expect(text).to.contain('a=sendonly\r\n');
    expect(text).to.contain(`a=crypto:${line}\r\n`);
    const other = await MediaSession.open({ clock });
    opened.push(other);
    const r = other.applyRemoteDescription(parseSdp(text));
    expect(r.codecs.map((x) => x.law)).to.deep.equal(['PCMA', 'PCMU']);
    expect(r.crypto).to.deep.equal([line]);
    expect(r.direction).to.equal('sendonly');
    expect(other.stats().codec).to.equal('PCMA');
    expect(() => other.applyRemoteDescription(parseSdp(text.replace(' 8 0\r\n', ' 18\r\n')))).to.throw(/no G.711 law/);
  });
});

async function expectRejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect((err as Error).message).to.match(re);
    return;
  }
  throw new Error('expected a rejection');
}
