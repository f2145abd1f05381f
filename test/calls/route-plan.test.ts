// Route plan (CUCM-style patterns, closest match, lines first) and the B2BUA's SDP policy as pure functions, with
// fast-check over hostile input: patterns and SDP either work or fail with a clear error, never a crash.
import { expect } from 'chai';
import fc from 'fast-check';
import { formatCryptoAttribute, newCryptoAttribute } from '../../ciphers/sdes/index.js';
import { RoutePatternError, RoutePlan, compilePattern, patternSize, relaySdpAnswer, relaySdpOffer, summarizeSdp } from '../../engine/calls/index.js';
import { resolveSrtpCiphers } from '../../engine/media-policy/index.js';
import { CM32, CM80, GCM256, audioSdp, sdpFacts } from './support.js';

describe('calls: route plan', () => {
  const plan = new RoutePlan({
    trunks: [
      { name: 'any', target: { transport: 'TCP', host: '192.0.2.1' } },
      { name: 'ldn', target: { transport: 'TLS', host: '192.0.2.2' }, srtpAllowed: true },
      { name: 'inbound-only' },
    ],
    patterns: [
      { pattern: '9.!', trunk: 'any' },
      { pattern: '9.1XXX', trunk: 'ldn' },
      { pattern: '9.1234', reject: { status: 403, reason: 'Forbidden' } },
      { pattern: '[2-4]XX', trunk: 'any' },
      { pattern: '[^0-4]0', trunk: 'ldn' },
    ],
  });

  it('takes the closest match (the pattern matching the fewest numbers), lines before patterns', () => {
    const line = new Set(['1000', '91555']);
    const r = (dn: string) => plan.resolve(dn, (d) => line.has(d));
    expect(r('91234')).to.deep.include({ kind: 'reject', status: 403, pattern: '9.1234' });
    expect(r('91999')).to.deep.include({ kind: 'trunk', pattern: '9.1XXX' });
    expect((r('91999') as { trunk: { name: string } }).trunk.name).to.equal('ldn');
    expect(r('95')).to.deep.include({ kind: 'trunk', pattern: '9.!' });
    expect(r('9')).to.deep.include({ kind: 'none' }); // "!" needs at least one digit
    expect(r('91555')).to.deep.equal({ kind: 'line', dn: '91555' });
    expect(r('1000')).to.deep.equal({ kind: 'line', dn: '1000' });
    expect(r('250')).to.deep.include({ kind: 'trunk', pattern: '[2-4]XX' });
    expect(r('550')).to.deep.include({ kind: 'none' });
    expect(r('50')).to.deep.include({ kind: 'trunk', pattern: '[^0-4]0' });
    expect(r('40')).to.deep.include({ kind: 'none' });
    expect(r('')).to.deep.include({ kind: 'none' });
    expect(patternSize(compilePattern('9.1XXX'))).to.equal(1000);
    expect(patternSize(compilePattern('9!'))).to.equal(Infinity);
  });

  it('refuses bad patterns naming the offset, and routes that cannot work', () => {
    const bad: [string, RegExp][] = [
      ['9[a]', /offset 2: "a" is not a digit/],
      ['9[12', /offset 1: "\[" without "\]"/],
      ['', /empty pattern/],
      ['9Z', /offset 1: "Z" is not a digit/],
      ['[5-3]', /range/],
      ['[^0-9]', /matches no digit/],
    ];
    for (const [p, re] of bad) expect(() => compilePattern(p), p).to.throw(RoutePatternError, re);
    expect(() => plan.addPattern({ pattern: '5XX', trunk: 'nope' })).to.throw(/not in the route plan/);
    expect(() => plan.addPattern({ pattern: '5XX', trunk: 'inbound-only' })).to.throw(/no target/);
    expect(() => plan.addPattern({ pattern: '5XX' })).to.throw(/exactly one of trunk and reject/);
    expect(() => plan.addPattern({ pattern: '5XX', reject: { status: 200 } })).to.throw(/400-699/);
  });

  it('fuzz: any pattern compiles or throws RoutePatternError; any number resolves without throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), fc.string({ maxLength: 80 }), (p, dn) => {
        try {
          compilePattern(p);
        } catch (e) {
          if (!(e instanceof RoutePatternError)) throw e;
        }
        const d = plan.resolve(dn, () => false);
        expect(['trunk', 'reject', 'none']).to.include(d.kind);
      }),
      { numRuns: 500 },
    );
  });
});

describe('calls: SDP policy (relay of offers and answers)', () => {
  const policy = resolveSrtpCiphers('all-supported');
  const tls = { tls: true as const };
  const lines = [newCryptoAttribute(1, CM32), newCryptoAttribute(2, CM80), newCryptoAttribute(3, GCM256)].map(formatCryptoAttribute);

  it('keeps the keys, reorders by policy, strips and switches to RTP/AVP when nothing is left, rejects only on the main stream', () => {
    const twoStreams = audioSdp({ port: 4000, cryptos: lines }) + 'm=video 4002 RTP/SAVP 96\r\na=rtpmap:96 H264/90000\r\n' + lines.map((l) => `a=crypto:${l}`).join('\r\n') + '\r\n';
    const r = relaySdpOffer(twoStreams, { policy, from: tls, to: { ...tls, capabilities: [CM80, CM32] }, onNoSrtp: 'rtp' });
    expect(r.kind).to.equal('forward');
    if (r.kind !== 'forward') return;
    expect(sdpFacts(r.body).cryptos).to.deep.equal([lines[1], lines[0]]);
    expect(r.media.map((m) => m.type)).to.deep.equal(['audio', 'video']);
    expect(r.main).to.equal(0);
    const none = relaySdpOffer(audioSdp({ port: 4000, cryptos: lines }), { policy: resolveSrtpCiphers('strongest'), from: tls, to: { ...tls, capabilities: [CM80] }, onNoSrtp: 'rtp' });
    expect(none.kind === 'forward' && sdpFacts(none.body)).to.deep.include({ proto: 'RTP/AVP', cryptos: [] });
    const refused = relaySdpOffer(audioSdp({ port: 4000, cryptos: lines }), { policy: resolveSrtpCiphers('strongest'), from: tls, to: { ...tls, capabilities: [CM80] }, onNoSrtp: 'reject' });
    expect(refused).to.include({ kind: 'reject', status: 488 });
    const hold = relaySdpOffer(audioSdp({ port: 4000, cryptos: lines, direction: 'inactive' }), { policy, from: tls, to: tls, onNoSrtp: 'rtp' });
    expect(hold.kind === 'forward' && [hold.hold, hold.direction]).to.deep.equal([true, 'inactive']);
    const zero = relaySdpOffer(audioSdp({ port: 4000, address: '0.0.0.0' }), { policy, from: tls, to: tls, onNoSrtp: 'rtp' });
    expect(zero.kind === 'forward' && zero.hold).to.equal(true);
  });

  it('checks the answer against what was forwarded and drops crypto answering an RTP offer', () => {
    const off = relaySdpOffer(audioSdp({ port: 4000, cryptos: lines }), { policy, from: tls, to: tls, onNoSrtp: 'rtp' });
    if (off.kind !== 'forward') throw new Error('offer refused');
    const good = relaySdpAnswer(audioSdp({ port: 5000, cryptos: [formatCryptoAttribute(newCryptoAttribute(3, GCM256))] }), off, 'rtp');
    expect(good).to.deep.include({ kind: 'forward', srtp: true, suite: GCM256 });
    const wrongSuite = relaySdpAnswer(audioSdp({ port: 5000, cryptos: [formatCryptoAttribute(newCryptoAttribute(3, CM80))] }), off, 'rtp');
    expect(wrongSuite.kind === 'reject' && wrongSuite.detail).to.match(/tag 3 names AES_CM_128_HMAC_SHA1_80/);
    const plain = relaySdpAnswer(audioSdp({ port: 5000 }), off, 'rtp');
    expect(plain).to.deep.include({ kind: 'forward', srtp: false });
    expect(relaySdpAnswer(audioSdp({ port: 5000 }), off, 'reject').kind).to.equal('reject');
    const rtpOffer = relaySdpOffer(audioSdp({ port: 4000, cryptos: lines }), { policy, from: tls, to: { tls: false }, onNoSrtp: 'rtp' });
    if (rtpOffer.kind !== 'forward') throw new Error('offer refused');
    const stray = relaySdpAnswer(audioSdp({ port: 5000, cryptos: [lines[0]!] }), rtpOffer, 'rtp');
    expect(stray.kind === 'forward' && sdpFacts(stray.body).cryptos).to.deep.equal([]);
    expect(stray.warnings.map((w) => w.code)).to.include('crypto-in-rtp-answer');
  });

  it('fuzz: hostile SDP gives forward or a 400/488 naming the fault, never a throw', () => {
    const base = audioSdp({ port: 4000, cryptos: lines });
    const mutated = fc.tuple(fc.nat({ max: base.length }), fc.nat({ max: 40 }), fc.string({ maxLength: 40 })).map(([at, del, ins]) => base.slice(0, at) + ins + base.slice(at + del));
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 200 })), (sdp) => {
        const r = relaySdpOffer(sdp, { policy, from: tls, to: tls, onNoSrtp: 'rtp' });
        if (r.kind === 'reject') expect([400, 488]).to.include(r.status) && expect(r.detail).to.be.a('string').and.not.equal('');
        else expect(() => relaySdpAnswer(sdp, r, 'rtp')).to.not.throw();
        expect(summarizeSdp(sdp)).to.be.a('string');
      }),
      { numRuns: 400 },
    );
  });
});
