// SDES offer/answer under CUCM's "SRTP Ciphers" presets: every preset × device capability set, the 32/80-bit tag
// rules (001 Table 8), the GCM preference (001 L1704), fallbacks and refusals, SRTP Allowed on trunks, the B2BUA relay
// and the call security status. Expectations are derived from the preset tables and pinned by the seeds' own rows.
import { expect } from 'chai';
import fc from 'fast-check';
import { formatCryptoAttribute, newCryptoAttribute, parseCryptoAttribute } from '../../ciphers/sdes/index.js';
import { createSrtpSession } from '../../ciphers/srtp/session.js';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import { isSrtpFailure, type SrtpPolicy } from '../../ciphers/srtp/types.js';
import {
  acceptAnswer,
  answerOffer,
  buildOffer,
  callSecurityStatus,
  MediaPolicyError,
  relayOffer,
  resolveSrtpCiphers,
  SRTP_CIPHERS_PRESETS,
  SRTP_PEER_PROFILES,
  type AnswerResult,
  type OfferResult,
  type SrtpCiphersPresetId,
} from '../../engine/media-policy/index.js';
import { getModel } from '../../endpoints/models/model-profiles.js';

const GCM256 = 'AEAD_AES_256_GCM';
const GCM128 = 'AEAD_AES_128_GCM';
const CM80 = 'AES_CM_128_HMAC_SHA1_80';
const CM32 = 'AES_CM_128_HMAC_SHA1_32';

/** Device capability sets of the brief: legacy 79xx-like, SCCP-like, current 88xx-like, soft clients. */
const CAPS: Record<string, SrtpSuiteName[]> = {
  'legacy-80-32': [CM80, CM32],
  'legacy-32-only': [CM32],
  'legacy-80-only': [CM80],
  current: [GCM256, GCM128, CM80, CM32],
  'soft-linphone': [CM80, CM32, 'AES_256_CM_HMAC_SHA1_80', 'AES_256_CM_HMAC_SHA1_32'],
  'soft-gcm128': [GCM128, CM80],
  'rtp-only': [],
};

const PRESETS = Object.keys(SRTP_CIPHERS_PRESETS) as SrtpCiphersPresetId[];

/** What the preset table says: the first suite of the policy's list both devices support, or none. */
function expectedSuite(preset: SrtpCiphersPresetId, a: readonly string[], b: readonly string[]): SrtpSuiteName | null {
  return SRTP_CIPHERS_PRESETS[preset].suites.find((s) => a.includes(s) && b.includes(s)) ?? null;
}

/** A full call leg: offer, answer, the offerer's check of the answer. */
function negotiate(preset: string, offerCaps: readonly string[], answerCaps: readonly string[], extra: { tls?: boolean } = {}) {
  const tls = extra.tls ?? true;
  const offer = buildOffer({ policy: preset, capabilities: offerCaps, tls });
  const offerCryptos = offer.kind === 'srtp' ? offer.attributeValues : [];
  const answer = answerOffer({ policy: preset, capabilities: answerCaps, tls, offerCryptos });
  const accepted = acceptAnswer({ offer, answerCryptos: answer.kind === 'srtp' ? [answer.attributeValue] : [] });
  return { offer, answer, accepted };
}

/** Both directions' keys work: what one side protects, the other side unprotects. */
function checkKeysPair(sendPolicy: SrtpPolicy, receivePolicy: SrtpPolicy): void {
  const tx = createSrtpSession(sendPolicy);
  const rx = createSrtpSession(receivePolicy);
  try {
    const rtp = Buffer.alloc(12 + 160, 0x55);
    rtp[0] = 0x80;
    rtp.writeUInt16BE(4711, 2);
    rtp.writeUInt32BE(0xcafe, 8);
    const p = tx.protectRtp(rtp);
    if (isSrtpFailure(p)) throw new Error(p.toString());
    const u = rx.unprotectRtp(p);
    if (isSrtpFailure(u)) throw new Error(u.toString());
    expect(Buffer.compare(u, rtp)).to.equal(0);
  } finally {
    tx.close();
    rx.close();
  }
}

describe('media-policy: SRTP Ciphers presets', () => {
  it('holds the three presets in the seeds\' order, with seed references', () => {
    expect(SRTP_CIPHERS_PRESETS['all-supported'].suites).to.deep.equal([GCM256, GCM128, CM80, CM32]);
    expect(SRTP_CIPHERS_PRESETS['all-supported'].isDefault).to.equal(true);
    expect(SRTP_CIPHERS_PRESETS.medium.suites).to.deep.equal([GCM256, GCM128]);
    expect(SRTP_CIPHERS_PRESETS.strongest.suites).to.deep.equal([GCM256]);
    for (const p of Object.values(SRTP_CIPHERS_PRESETS)) expect(p.seed).to.match(/00[12] L\d+/);
  });

  it('resolves CUCM 12 labels, CUCM 11 labels, ids, dash and case variants', () => {
    expect(resolveSrtpCiphers('Strongest - AEAD AES-256 GCM cipher only').id).to.equal('strongest');
    expect(resolveSrtpCiphers('strongest – aead aes-256 gcm cipher ONLY').id).to.equal('strongest');
    expect(resolveSrtpCiphers('Medium - AEAD AES-256,AES-128 GCM ciphers only').id).to.equal('medium');
    expect(resolveSrtpCiphers('Medium - AEAD AES-256 GCM, AEAD AES-128 GCM ciphers only').id).to.equal('medium');
    expect(resolveSrtpCiphers('AEAD AES-256, AES-128 GCM-based ciphers').id).to.equal('medium');
    expect(resolveSrtpCiphers('AEAD AES256 GCM-based ciphers only').id).to.equal('strongest');
    expect(resolveSrtpCiphers('All Supported AES-256, AES-128 Ciphers').id).to.equal('all-supported');
    expect(resolveSrtpCiphers(undefined).id).to.equal('all-supported');
    expect(resolveSrtpCiphers([CM32, 'aes_cm_128_hmac_sha1_80']).suites).to.deep.equal([CM32, CM80]);
  });

  it('refuses unknown presets and bad custom lists with the field named', () => {
    expect(() => resolveSrtpCiphers('Weakest')).to.throw(MediaPolicyError, /SRTP Ciphers "Weakest": is not a preset/);
    expect(() => resolveSrtpCiphers([CM80, CM80])).to.throw(MediaPolicyError, /\[1\].*listed twice/);
    expect(() => resolveSrtpCiphers(['F8_128_HMAC_SHA1_80'])).to.throw(MediaPolicyError, /does not implement/);
    expect(() => resolveSrtpCiphers(['AES_CM_512'])).to.throw(MediaPolicyError, /not an SRTP suite/);
    expect(() => resolveSrtpCiphers([])).to.throw(MediaPolicyError, /at least one suite/);
    expect(() => buildOffer({ capabilities: ['BOGUS'], tls: true })).to.throw(MediaPolicyError, /capabilities\[0\]/);
  });
});

describe('media-policy: offer/answer matrix (preset × offerer × answerer)', () => {
  for (const preset of PRESETS) {
    for (const [oName, oCaps] of Object.entries(CAPS)) {
      for (const [aName, aCaps] of Object.entries(CAPS)) {
        const want = expectedSuite(preset, oCaps, aCaps);
        it(`${preset}: ${oName} → ${aName} gives ${want ?? 'RTP'}`, () => {
          const { offer, answer, accepted } = negotiate(preset, oCaps, aCaps);
          if (offer.kind === 'srtp') {
            // The offer follows the policy's order, restricted to the offerer's suites, tags 1..n.
            expect(offer.suites).to.deep.equal(SRTP_CIPHERS_PRESETS[preset].suites.filter((s) => oCaps.includes(s)));
            expect(offer.cryptos.map((c) => c.tag)).to.deep.equal(offer.suites.map((_, i) => i + 1));
            expect(offer.lines.every((l) => l.startsWith('a=crypto:'))).to.equal(true);
          } else {
            expect(offer.kind).to.equal('rtp');
            expect(offer.reason).to.equal(oCaps.length === 0 ? 'no-device-support' : 'policy-excludes');
          }
          if (want === null) {
            expect(answer.kind).to.equal('rtp');
            expect(accepted.kind).to.equal('rtp');
            return;
          }
          expect(answer.kind).to.equal('srtp');
          expect(accepted.kind).to.equal('srtp');
          if (answer.kind !== 'srtp' || accepted.kind !== 'srtp') return;
          expect(answer.suite).to.equal(want);
          expect(accepted.suite).to.equal(want);
          expect(answer.tag).to.equal(accepted.tag);
          expect(parseCryptoAttribute(answer.line).suite).to.equal(want);
          // The offerer's send key is the answerer's receive key and the other way round.
          checkKeysPair(accepted.sendPolicy, answer.receivePolicy);
          checkKeysPair(answer.sendPolicy, accepted.receivePolicy);
        });
      }
    }
  }
});

describe('media-policy: the seeds\' own rows', () => {
  it('Table 8 (001 L1757-1763): _32+_80 → _80, _32 → _32, _80 → _80, neither → RTP (IPVMS offering to a phone)', () => {
    const ipvms = SRTP_PEER_PROFILES.ipvms!.suites;
    const rows: [SrtpSuiteName[], string][] = [
      [[CM32, CM80], CM80],
      [[CM32], CM32],
      [[CM80], CM80],
      [['AES_256_CM_HMAC_SHA1_80'], 'RTP'],
      [[], 'RTP'],
    ];
    for (const [phone, want] of rows) {
      const { answer } = negotiate('all-supported', ipvms, phone);
      expect(answer.kind === 'srtp' ? answer.suite : 'RTP', `phone ${phone.join('+')}`).to.equal(want);
    }
  });

  it('the 32/80 choice does not depend on which side offers, or on the offer\'s order', () => {
    for (const [a, b] of [[CAPS['legacy-80-32']!, CAPS.current!], [CAPS['legacy-32-only']!, CAPS.current!], [CAPS['legacy-80-32']!, CAPS['legacy-32-only']!]] as const) {
      const ab = negotiate('all-supported', a, b).answer;
      const ba = negotiate('all-supported', b, a).answer;
      expect(ab.kind === 'srtp' && ba.kind === 'srtp' && ab.suite === ba.suite).to.equal(true);
    }
    // An offer listing _32 first still gets _80 from an answerer that does both (Table 8: "precedence" to _80).
    const reversed = [newCryptoAttribute(1, CM32), newCryptoAttribute(2, CM80)].map(formatCryptoAttribute);
    const a = answerOffer({ offerCryptos: reversed, capabilities: [CM80, CM32], tls: true });
    expect(a.kind === 'srtp' && a.suite).to.equal(CM80);
    expect(a.kind === 'srtp' && a.tag).to.equal(2);
    expect(a.warnings.map((w) => w.code)).to.include('preferred-over-offer-order');
  });

  it('GCM wins a tie even when the offer lists AES_CM first (001 L1704; anchors §4 "prefers GCM over SHA1")', () => {
    const offer = [newCryptoAttribute(1, CM80), newCryptoAttribute(2, CM32), newCryptoAttribute(3, GCM128), newCryptoAttribute(4, GCM256)].map(formatCryptoAttribute);
    const a = answerOffer({ offerCryptos: offer, capabilities: CAPS.current!, tls: true });
    expect(a.kind === 'srtp' && a.suite).to.equal(GCM256);
    expect(a.kind === 'srtp' && a.tag).to.equal(4);
    const no256 = answerOffer({ offerCryptos: offer, capabilities: [GCM128, CM80, CM32], tls: true });
    expect(no256.kind === 'srtp' && no256.suite).to.equal(GCM128);
  });

  it('S2 (002 §17): two encrypted current phones get AEAD_AES_256_GCM and an encrypted call', () => {
    const m = getModel('current').srtp.suites;
    const { answer, accepted } = negotiate('all-supported', m, m);
    expect(answer.kind === 'srtp' && answer.suite).to.equal(GCM256);
    const s = callSecurityStatus([
      { name: 'A', tls: true, media: accepted },
      { name: 'B', tls: true, media: answer },
    ]);
    expect(s.status).to.equal('encrypted');
    expect(s.reasons).to.deep.equal([]);
  });

  it('a legacy phone calling a current one (built-in models): AES_CM_128_HMAC_SHA1_80 both ways', () => {
    const legacy = getModel('legacy').srtp.suites;
    const current = getModel('current').srtp.suites;
    for (const [o, a] of [[legacy, current], [current, legacy]] as const) {
      const { answer, accepted } = negotiate('all-supported', o, a);
      expect(answer.kind === 'srtp' && answer.suite).to.equal(CM80);
      expect(accepted.kind === 'srtp' && accepted.suite).to.equal(CM80);
    }
  });

  it('002 §16 item 40: Strongest/Medium leave an AES_CM-only phone without SRTP (RTP, or 488 when it must refuse)', () => {
    for (const preset of ['strongest', 'medium']) {
      const offer = buildOffer({ policy: preset, capabilities: CAPS['legacy-80-32']!, tls: true });
      expect(offer.kind).to.equal('rtp');
      expect(offer.kind === 'rtp' && offer.reason).to.equal('policy-excludes');
      expect(offer.kind === 'rtp' && offer.detail).to.include(SRTP_CIPHERS_PRESETS[preset as SrtpCiphersPresetId].label);
      const cur = buildOffer({ policy: 'all-supported', capabilities: CAPS.current!, tls: true }) as Extract<OfferResult, { kind: 'srtp' }>;
      const ans = answerOffer({ policy: preset, capabilities: CAPS['legacy-80-32']!, tls: true, offerCryptos: cur.attributeValues });
      expect(ans.kind).to.equal('rtp');
      expect(ans.kind === 'rtp' && ans.reason).to.equal('no-common-suite');
      expect(ans.warnings.map((w) => w.code)).to.include('rtp-answer-to-savp');
      const refused = answerOffer({ policy: preset, capabilities: CAPS['legacy-80-32']!, tls: true, offerCryptos: cur.attributeValues, onNoSrtp: 'reject' });
      expect(refused.kind).to.equal('reject');
      expect(refused.kind === 'reject' && refused.status).to.equal(488);
    }
  });

  it('S7 (002 §17): CUBE answers _32 by default, _80 with srtp-auth sha1-80, GCM with pass-thru, drops an RTP-only far end', () => {
    const phoneOffer = buildOffer({ capabilities: CAPS.current!, tls: true }) as Extract<OfferResult, { kind: 'srtp' }>;
    const cube = (id: string, offer: readonly string[]): AnswerResult => {
      const p = SRTP_PEER_PROFILES[id]!;
      return answerOffer({ offerCryptos: offer, capabilities: p.suites, srtpAllowed: true, tls: true, onNoSrtp: p.onNoSrtp });
    };
    expect((cube('cube-default', phoneOffer.attributeValues) as { suite?: string }).suite).to.equal(CM32);
    expect((cube('cube-srtp-auth-sha1-80', phoneOffer.attributeValues) as { suite?: string }).suite).to.equal(CM80);
    expect((cube('cube-srtp-pass-thru', phoneOffer.attributeValues) as { suite?: string }).suite).to.equal(GCM256);
    // Variant d: the far end offers no SRTP → dropped by default, RTP with srtp fallback.
    expect(cube('cube-default', []).kind).to.equal('reject');
    expect(cube('cube-srtp-fallback', []).kind).to.equal('rtp');
    expect(cube('cube-srtp-pass-thru', []).kind).to.equal('reject');
  });

  it('SIP to non-SIP calls keep to AES-128/SHA-1 suites (001 L1732)', () => {
    const o = buildOffer({ capabilities: CAPS.current!, tls: true, peerProtocol: 'non-sip' });
    expect(o.kind === 'srtp' && o.suites).to.deep.equal([CM80, CM32]);
    const full = buildOffer({ capabilities: CAPS.current!, tls: true }) as Extract<OfferResult, { kind: 'srtp' }>;
    const a = answerOffer({ offerCryptos: full.attributeValues, capabilities: CAPS.current!, tls: true, peerProtocol: 'non-sip' });
    expect(a.kind === 'srtp' && a.suite).to.equal(CM80);
    const strongest = buildOffer({ policy: 'strongest', capabilities: CAPS.current!, tls: true, peerProtocol: 'non-sip' });
    expect(strongest.kind === 'rtp' && strongest.detail).to.match(/non-SIP/);
  });
});

describe('media-policy: signalling and SRTP Allowed', () => {
  it('a line needs encrypted TLS: TCP or NULL-SHA signalling gives RTP (001 L1638; 002 L1426-1429)', () => {
    for (const tls of [false, 'none', 'authenticated'] as const) {
      const o = buildOffer({ capabilities: CAPS.current!, tls });
      expect(o.kind).to.equal('rtp');
      expect(o.kind === 'rtp' && o.reason).to.equal('signalling-not-encrypted');
    }
    const offer = buildOffer({ capabilities: CAPS.current!, tls: true }) as Extract<OfferResult, { kind: 'srtp' }>;
    const a = answerOffer({ offerCryptos: offer.attributeValues, capabilities: CAPS.current!, tls: 'authenticated' });
    expect(a.kind === 'rtp' && a.reason).to.equal('signalling-not-encrypted');
  });

  it('a trunk without SRTP Allowed is RTP only; with it SRTP works even without TLS, flagged (001 L8351-8358; 002 §16 item 41)', () => {
    const off = buildOffer({ capabilities: CAPS.current!, tls: true, srtpAllowed: false });
    expect(off.kind === 'rtp' && off.reason).to.equal('srtp-not-allowed');
    const tcp = buildOffer({ capabilities: CAPS.current!, tls: false, srtpAllowed: true });
    expect(tcp.kind).to.equal('srtp');
    expect(tcp.warnings.map((w) => w.code)).to.deep.equal(['sdes-keys-exposed']);
    expect(tcp.warnings[0]!.message).to.match(/non-TLS/);
    const tlsTrunk = buildOffer({ capabilities: CAPS.current!, tls: true, srtpAllowed: true });
    expect(tlsTrunk.warnings).to.deep.equal([]);
    const status = callSecurityStatus([
      { name: 'phone', tls: true, media: 'srtp' },
      { name: 'trunk', tls: false, media: tcp, srtpAllowed: true },
    ]);
    expect(status.status).to.equal('non-secure');
    expect(status.warnings.map((w) => w.code)).to.deep.equal(['sdes-keys-exposed']);
  });

  it('a line may opt into SDES without TLS (soft clients), flagged', () => {
    const o = buildOffer({ capabilities: CAPS['soft-linphone']!, tls: false, allowSdesWithoutTls: true });
    expect(o.kind === 'srtp' && o.suites).to.deep.equal([CM80, CM32]);
    expect(o.warnings[0]!.code).to.equal('sdes-keys-exposed');
  });

  it('an offer without crypto is answered with RTP, or refused when SRTP is mandatory', () => {
    expect(answerOffer({ offerCryptos: [], capabilities: CAPS.current!, tls: true }).kind).to.equal('rtp');
    const r = answerOffer({ offerCryptos: [], capabilities: CAPS.current!, tls: true, onNoSrtp: 'reject' });
    expect(r.kind === 'reject' && [r.status, r.reasonPhrase, r.reason]).to.deep.equal([488, 'Not Acceptable Here', 'offer-without-crypto']);
  });
});

describe('media-policy: unusable offer lines and invalid answers', () => {
  it('skips F8, 8-byte GCM tags, weakened and unknown session parameters, repeated tags and garbage, with warnings', () => {
    const good = formatCryptoAttribute(newCryptoAttribute(7, CM32));
    const offer = [
      '1 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm',
      formatCryptoAttribute({ ...newCryptoAttribute(2, GCM256), gcmTagLength: 8 }),
      formatCryptoAttribute(newCryptoAttribute(3, GCM128, { unencryptedSrtp: true })),
      `${formatCryptoAttribute(newCryptoAttribute(4, CM80))} FOO=1`,
      'a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:short',
      `${formatCryptoAttribute(newCryptoAttribute(6, CM80))} -FOO=1`,
      good,
      good.replace(/^7 /, '6 '),
    ];
    const a = answerOffer({ offerCryptos: offer, capabilities: CAPS.current!, tls: true });
    expect(a.kind === 'srtp' && [a.tag, a.suite]).to.deep.equal([6, CM80]);
    const codes = a.warnings.map((w) => w.code);
    expect(codes).to.include('crypto-suite-unimplemented');
    expect(codes.filter((c) => c === 'crypto-line-unusable')).to.have.length(4);
    expect(codes).to.include('crypto-tag-duplicate');
  });

  it('the offerer refuses answers that do not match the offer (RFC 4568)', () => {
    const offer = buildOffer({ capabilities: [CM80, CM32], tls: true }) as Extract<OfferResult, { kind: 'srtp' }>;
    const cases: [string[], RegExp][] = [
      [[formatCryptoAttribute(newCryptoAttribute(9, CM80))], /tag 9 was not offered/],
      [[formatCryptoAttribute(newCryptoAttribute(1, CM32))], /offered as AES_CM_128_HMAC_SHA1_80/],
      [[formatCryptoAttribute(newCryptoAttribute(1, CM80)), formatCryptoAttribute(newCryptoAttribute(2, CM32))], /exactly one/],
      [['1 AES_CM_128_HMAC_SHA1_80 inline:@@@'], /malformed/],
    ];
    for (const [answer, re] of cases) {
      const r = acceptAnswer({ offer, answerCryptos: answer });
      expect(r.kind).to.equal('reject');
      expect(r.kind === 'reject' && r.reason).to.equal('answer-invalid');
      expect(r.kind === 'reject' && r.detail).to.match(re);
    }
    expect(acceptAnswer({ offer, answerCryptos: [] }).kind).to.equal('rtp');
    expect(acceptAnswer({ offer, answerCryptos: [], onNoSrtp: 'reject' }).kind).to.equal('reject');
    const rtpOffer = buildOffer({ capabilities: [], tls: true });
    const stray = acceptAnswer({ offer: rtpOffer, answerCryptos: [formatCryptoAttribute(newCryptoAttribute(1, CM80))] });
    expect(stray.kind).to.equal('rtp');
    expect(stray.warnings[0]!.code).to.equal('crypto-in-rtp-answer');
  });

  it('answerOffer never throws on arbitrary offer lines (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom(...Object.values(CAPS).flat()).map((s) => formatCryptoAttribute(newCryptoAttribute(1, s)))), { maxLength: 6 }), (lines) => {
        const r = answerOffer({ offerCryptos: lines, capabilities: CAPS.current!, tls: true });
        expect(['srtp', 'rtp', 'reject']).to.include(r.kind);
      }),
      { numRuns: 300 },
    );
  });
});

describe('media-policy: B2BUA relay', () => {
  it('forwards the caller\'s keys untouched, reordered by policy, filtered by the called device', () => {
    const callerLines = [newCryptoAttribute(1, CM80), newCryptoAttribute(2, GCM128), newCryptoAttribute(3, CM32), newCryptoAttribute(4, GCM256)].map(formatCryptoAttribute);
    const r = relayOffer({ offerCryptos: callerLines, from: { tls: true }, to: { tls: true, capabilities: [GCM128, CM80, CM32] } });
    expect(r.kind).to.equal('srtp');
    if (r.kind !== 'srtp') return;
    expect(r.cryptos.map((c) => [c.tag, c.suite])).to.deep.equal([[2, GCM128], [1, CM80], [3, CM32]]);
    expect(r.attributeValues).to.deep.equal([callerLines[1], callerLines[0], callerLines[2]]);
    // The called device answers one of them; the caller accepts that answer against its own offer.
    const answer = answerOffer({ offerCryptos: r.attributeValues, capabilities: [GCM128, CM80, CM32], tls: true });
    expect(answer.kind === 'srtp' && answer.suite).to.equal(GCM128);
    const accepted = acceptAnswer({ offer: callerLines.map((l) => parseCryptoAttribute(l)), answerCryptos: [(answer as { attributeValue: string }).attributeValue] });
    expect(accepted.kind === 'srtp' && accepted.suite).to.equal(GCM128);
    if (accepted.kind === 'srtp' && answer.kind === 'srtp') checkKeysPair(accepted.sendPolicy, answer.receivePolicy);
  });

  it('strips crypto toward a non-secure phone or a trunk without SRTP Allowed, and flags keys over a TCP trunk', () => {
    const lines = [formatCryptoAttribute(newCryptoAttribute(1, CM80))];
    const toTcpPhone = relayOffer({ offerCryptos: lines, from: { tls: true }, to: { tls: false } });
    expect(toTcpPhone.kind === 'rtp' && toTcpPhone.reason).to.equal('signalling-not-encrypted');
    const toTrunk = relayOffer({ offerCryptos: lines, from: { tls: true }, to: { tls: true, srtpAllowed: false } });
    expect(toTrunk.kind === 'rtp' && toTrunk.reason).to.equal('srtp-not-allowed');
    const tcpTrunk = relayOffer({ offerCryptos: lines, from: { tls: true }, to: { tls: false, srtpAllowed: true } });
    expect(tcpTrunk.kind).to.equal('srtp');
    expect(tcpTrunk.warnings.map((w) => w.code)).to.deep.equal(['sdes-keys-exposed']);
    const strongest = relayOffer({ offerCryptos: lines, policy: 'strongest', from: { tls: true }, to: { tls: true } });
    expect(strongest.kind === 'rtp' && strongest.reason).to.equal('no-common-suite');
  });
});

describe('media-policy: call security status', () => {
  it('encrypted only if every leg is TLS + SRTP; authenticated with TLS everywhere; else non-secure', () => {
    expect(callSecurityStatus([{ tls: true, media: 'srtp' }, { tls: true, media: 'srtp' }]).status).to.equal('encrypted');
    const fallback = callSecurityStatus([{ name: 'A', tls: true, media: 'rtp' }, { name: 'B', tls: true, media: 'srtp' }]);
    expect(fallback.status).to.equal('authenticated');
    expect(fallback.reasons).to.deep.equal(['A: media is RTP, not SRTP']);
    const nullSha = callSecurityStatus([{ name: 'A', tls: 'authenticated', media: 'rtp' }, { tls: true, media: 'srtp' }]);
    expect(nullSha.status).to.equal('authenticated');
    const tcp = callSecurityStatus([{ name: 'A', tls: false, media: 'rtp' }, { name: 'B', tls: true, media: 'srtp' }]);
    expect(tcp.status).to.equal('non-secure');
    expect(tcp.legs.map((l) => l.status)).to.deep.equal(['non-secure', 'encrypted']);
    expect(() => callSecurityStatus([])).to.throw(MediaPolicyError, /at least one leg/);
  });

  it('a fallback call (policy excludes the legacy phone) reports RTP and its reason on the leg', () => {
    const { answer, accepted } = negotiate('medium', CAPS.current!, CAPS['legacy-80-32']!);
    expect(answer.kind).to.equal('rtp');
    const s = callSecurityStatus([
      { name: 'current', tls: true, media: accepted },
      { name: 'legacy', tls: true, media: answer },
    ]);
    expect(s.status).to.equal('authenticated');
    expect(s.reasons).to.have.length(2);
  });
});
