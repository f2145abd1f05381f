// The B2BUA's SDP work, as pure functions. An offer crossing the cluster keeps its keys: SDES is end to end between
// the phones ("Phones that are running SIP generate and store their own media encryption keys", 001 L1628, L1658).
// Only the a=crypto lines the "SRTP Ciphers" policy and the far device allow go on, in policy order (media-policy
// relayOffer); without any, the m= line becomes RTP/AVP, or the call is refused with 488. The answer is checked
// against what was forwarded (acceptAnswer) and passed back untouched.
import {
  type AcceptResult,
  type LegContext,
  type NegotiationWarning,
  type NoSrtpAction,
  type RelayResult,
  type SrtpCiphersPolicy,
  acceptAnswer,
  relayOffer,
} from '../media-policy/index.js';
import { type SdpDirection, type SdpMedia, type SdpSession, cryptoAttributes, mediaConnection, mediaDirection, parseSdp, serializeSdp } from '../sip/message/index.js';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';

export interface OfferRelayContext {
  policy: SrtpCiphersPolicy;
  /** The leg the offer came in on. */
  from: LegContext;
  /** The leg it goes out on, with the far device's suites when known. */
  to: LegContext & { capabilities?: readonly string[] };
  onNoSrtp: NoSrtpAction;
}

/** What happened to one m= line of an offer. */
export interface MediaOfferOutcome {
  index: number;
  type: string;
  /** Suites in the incoming a=crypto lines, in their order. */
  offeredSuites: string[];
  result: RelayResult;
}

export interface RelayedSdpOffer {
  kind: 'forward';
  /** SDP to send on the other leg. */
  body: string;
  session: SdpSession;
  media: MediaOfferOutcome[];
  /** Index of the media line the call's security is judged on (first active audio, else first active). */
  main: number;
  /** The offerer holds the call: sendonly/inactive, or the RFC 2543 c=0.0.0.0 form. */
  hold: boolean;
  direction: SdpDirection;
  warnings: NegotiationWarning[];
}

export interface RefusedSdp {
  kind: 'reject';
  status: 400 | 488;
  reason: string;
  detail: string;
  warnings: NegotiationWarning[];
}

/** SDP that does not parse: 400 naming the line (the codec's message). */
function unreadable(e: unknown, what: string): RefusedSdp {
  return { kind: 'reject', status: 400, reason: 'Bad Request', detail: `${what}: ${(e as Error).message}`, warnings: [] };
}

function isRtp(m: SdpMedia): boolean {
  return /^RTP\//i.test(m.proto) && m.port !== 0;
}

/** First active audio m= line, else first active RTP one, else 0. */
function mainMedia(s: SdpSession): number {
  const a = s.media.findIndex((m) => isRtp(m) && m.type === 'audio');
  if (a >= 0) return a;
  const r = s.media.findIndex(isRtp);
  return r >= 0 ? r : 0;
}

function onHold(m: SdpMedia | undefined, s: SdpSession): { hold: boolean; direction: SdpDirection } {
  if (!m) return { hold: false, direction: 'sendrecv' };
  const direction = mediaDirection(m, s);
  const c = mediaConnection(m, s);
  const zero = c !== undefined && (c.address === '0.0.0.0' || c.address === '::');
  return { hold: direction === 'sendonly' || direction === 'inactive' || zero, direction };
}

function replaceCryptos(m: SdpMedia, values: readonly string[]): void {
  const first = m.attributes.findIndex((a) => a.name === 'crypto');
  const rest = m.attributes.filter((a) => a.name !== 'crypto');
  const at = first < 0 ? rest.length : m.attributes.slice(0, first).filter((a) => a.name !== 'crypto').length;
  rest.splice(at, 0, ...values.map((v) => ({ name: 'crypto', value: v })));
  m.attributes = rest;
}

/** RTP/SAVP → RTP/AVP, RTP/SAVPF → RTP/AVPF. */
function plainProto(proto: string): string {
  return proto.replace(/^RTP\/SAVP(F?)$/i, (_s, f: string) => `RTP/AVP${f}`);
}

/** Applies the policy to an offer going from one leg to the other. */
export function relaySdpOffer(body: string, ctx: OfferRelayContext): RelayedSdpOffer | RefusedSdp {
  let session: SdpSession;
  try {
    session = parseSdp(body);
  } catch (e) {
    return unreadable(e, 'the offer');
  }
  const media: MediaOfferOutcome[] = [];
  const warnings: NegotiationWarning[] = [];
  const main = mainMedia(session);
  for (let i = 0; i < session.media.length; i++) {
    const m = session.media[i]!;
    if (!isRtp(m)) continue;
    const cryptos = cryptoAttributes(m);
    const result = relayOffer({
      offerCryptos: cryptos,
      offerProto: m.proto,
      policy: ctx.policy,
      from: ctx.from,
      to: ctx.to,
      onNoSrtp: ctx.onNoSrtp,
    });
    media.push({ index: i, type: m.type, offeredSuites: cryptos.map((c) => c.trim().split(/\s+/)[1] ?? '?'), result });
    warnings.push(...result.warnings);
    if (result.kind === 'reject') {
      // Only the call's main media decides a refusal; another stream without SRTP is disabled (port 0, RFC 3264 8.2).
      if (i === main) return { kind: 'reject', status: 488, reason: 'Not Acceptable Here', detail: result.detail, warnings };
      m.port = 0;
      replaceCryptos(m, []);
    } else if (result.kind === 'srtp') replaceCryptos(m, result.attributeValues);
    else {
      replaceCryptos(m, []);
      m.proto = plainProto(m.proto);
    }
  }
  const h = onHold(session.media[main], session);
  let out: string;
  try {
    out = serializeSdp(session);
  } catch (e) {
    // The codec reads a bare CR inside a line but will not write it (found by fuzzing): refuse rather than pass it.
    return { ...unreadable(e, 'the offer'), warnings };
  }
  return { kind: 'forward', body: out, session, media, main, hold: h.hold, direction: h.direction, warnings };
}

/** What the answer gave one m= line. */
export interface MediaAnswerOutcome {
  index: number;
  type: string;
  result: AcceptResult;
}

export interface RelayedSdpAnswer {
  kind: 'forward';
  body: string;
  media: MediaAnswerOutcome[];
  main: number;
  /** The main media's outcome: the suite when SRTP, else RTP. */
  suite?: SrtpSuiteName;
  srtp: boolean;
  hold: boolean;
  direction: SdpDirection;
  warnings: NegotiationWarning[];
}

/**
 * Checks the answer against the relayed offer: its crypto line must name a tag and suite that was forwarded; an
 * answer without crypto means RTP (or a refusal with onNoSrtp 'reject'); crypto lines answering an m= line that was
 * forwarded as RTP are dropped. The answer goes back otherwise untouched: its key is the far phone's own.
 */
export function relaySdpAnswer(body: string, offer: RelayedSdpOffer, onNoSrtp: NoSrtpAction): RelayedSdpAnswer | RefusedSdp {
  let session: SdpSession;
  try {
    session = parseSdp(body);
  } catch (e) {
    return { ...unreadable(e, 'the answer'), status: 488, reason: 'Not Acceptable Here' };
  }
  const warnings: NegotiationWarning[] = [];
  const media: MediaAnswerOutcome[] = [];
  let changed = false;
  for (const o of offer.media) {
    const m = session.media[o.index];
    if (!m || m.port === 0) continue;
    const cryptos = cryptoAttributes(m);
    const result = acceptAnswer({
      offer: o.result.kind === 'srtp' ? o.result.cryptos : [],
      answerCryptos: cryptos,
      answerProto: m.proto,
      onNoSrtp,
    });
    warnings.push(...result.warnings);
    media.push({ index: o.index, type: o.type, result });
    if (result.kind === 'reject') {
      if (o.index === offer.main) return { kind: 'reject', status: 488, reason: 'Not Acceptable Here', detail: result.detail, warnings };
      continue;
    }
    if (result.kind === 'rtp' && cryptos.length > 0) {
      replaceCryptos(m, []);
      changed = true;
    }
  }
  const mainOutcome = media.find((x) => x.index === offer.main)?.result;
  const h = onHold(session.media[offer.main], session);
  let out = body;
  if (changed) {
    try {
      out = serializeSdp(session);
    } catch (e) {
      return { ...unreadable(e, 'the answer'), status: 488, reason: 'Not Acceptable Here', warnings };
    }
  }
  return {
    kind: 'forward',
    body: out,
    media,
    main: offer.main,
    ...(mainOutcome?.kind === 'srtp' ? { suite: mainOutcome.suite } : {}),
    srtp: mainOutcome?.kind === 'srtp',
    hold: h.hold,
    direction: h.direction,
    warnings,
  };
}

/** One line for journals and ladders: "RTP/SAVP sendrecv crypto AEAD_AES_256_GCM(1) AES_CM_128_HMAC_SHA1_80(2)". */
export function summarizeSdp(body: string): string {
  let s: SdpSession;
  try {
    s = parseSdp(body);
  } catch (e) {
    return `unreadable SDP (${(e as Error).message})`;
  }
  return s.media
    .map((m) => {
      const cryptos = cryptoAttributes(m).map((c) => {
        const [tag, suite] = c.trim().split(/\s+/);
        return `${suite}(${tag})`;
      });
      const c = mediaConnection(m, s);
      return `${m.type} ${c?.address ?? '?'}:${m.port} ${m.proto} ${mediaDirection(m, s)}${cryptos.length ? ` crypto ${cryptos.join(' ')}` : ''}`;
    })
    .join('; ');
}
