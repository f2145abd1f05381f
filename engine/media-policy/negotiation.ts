// SDES-SRTP offer/answer under CUCM's "SRTP Ciphers" policy, as pure functions: what a phone or the B2BUA offers, what
// an answerer picks, how an offerer checks the answer, what the B2BUA forwards, and the call's security status.
// Nothing here touches the network; keys come from ciphers/sdes. Seed lines: see srtp-ciphers-policy.ts.
import {
  formatCryptoAttribute,
  formatCryptoLine,
  newCryptoAttribute,
  parseCryptoAttribute,
  sdesToPolicy,
  SdesError,
  type NewCryptoAttributeOptions,
  type SdesCryptoAttribute,
} from '../../ciphers/sdes/index.js';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import type { SrtpPolicy } from '../../ciphers/srtp/types.js';
import {
  checkSuiteList,
  MediaPolicyError,
  NON_SIP_SRTP_SUITES,
  resolveSrtpCiphers,
  suiteRank,
  UNIMPLEMENTED_CUCM_SRTP_SUITES,
  type NoSrtpAction,
  type SrtpCiphersInput,
  type SrtpCiphersPolicy,
} from './srtp-ciphers-policy.js';

/** Security of a leg's signalling: TLS with an encrypting suite, TLS with NULL-SHA (Authenticated mode), or none. */
export type SignallingSecurity = 'encrypted' | 'authenticated' | 'none';

/** What a leg is: a line (a phone registered to the cluster) or a trunk / gateway. */
export type LegKind = 'line' | 'trunk';

export interface LegContext {
  /**
   * The leg's signalling: `true` or 'encrypted' = TLS with an encrypting suite; 'authenticated' = TLS with NULL-SHA
   * (001 L5750: keys would still be readable); `false` or 'none' = TCP/UDP.
   */
  tls: boolean | SignallingSecurity;
  /** Default: 'trunk' when `srtpAllowed` is given, else 'line'. */
  leg?: LegKind;
  /** The trunk's "SRTP Allowed" check box (unchecked by default: RTP only, 001 L8306, L8351). */
  srtpAllowed?: boolean;
  /** A line that exchanges SDES keys without encrypted TLS anyway (soft clients outside CUCM, tests); flagged. */
  allowSdesWithoutTls?: boolean;
  /** The far device is not SIP (SCCP, MGCP, H.323): AES-128/SHA-1 suites only (001 L1732). */
  peerProtocol?: 'sip' | 'non-sip';
}

export type NegotiationWarningCode =
  | 'sdes-keys-exposed'
  | 'crypto-line-unusable'
  | 'crypto-suite-unimplemented'
  | 'crypto-suite-not-allowed'
  | 'crypto-tag-duplicate'
  | 'crypto-in-rtp-answer'
  | 'rtp-answer-to-savp'
  | 'preferred-over-offer-order';

export interface NegotiationWarning {
  code: NegotiationWarningCode;
  message: string;
}

/** Why SRTP was not used. */
export type NoSrtpReason =
  | 'srtp-not-allowed'
  | 'signalling-not-encrypted'
  | 'no-device-support'
  | 'policy-excludes'
  | 'offer-without-crypto'
  | 'no-common-suite'
  | 'answer-without-crypto'
  | 'answer-invalid';

interface Common {
  warnings: NegotiationWarning[];
}

export interface RtpOutcome extends Common {
  kind: 'rtp';
  /** The m= line's transport: plain RTP. */
  proto: 'RTP/AVP';
  reason: NoSrtpReason;
  detail: string;
}

export interface RejectOutcome extends Common {
  kind: 'reject';
  /** SIP status to answer (or to end the call with). */
  status: 488;
  reasonPhrase: 'Not Acceptable Here';
  reason: NoSrtpReason;
  detail: string;
}

export interface SrtpOffer extends Common {
  kind: 'srtp';
  proto: string;
  /** Suites offered, in order (tags 1..n by default). */
  suites: SrtpSuiteName[];
  cryptos: SdesCryptoAttribute[];
  /** `a=crypto` values ("1 AEAD_AES_256_GCM inline:…") for an SdpAttribute. */
  attributeValues: string[];
  /** Full lines ("a=crypto:1 …"). */
  lines: string[];
}

export type OfferResult = SrtpOffer | RtpOutcome | RejectOutcome;

/** Keys agreed for one leg: what this side protects with and what it expects from the other side. */
export interface AgreedSrtp extends Common {
  kind: 'srtp';
  proto: string;
  suite: SrtpSuiteName;
  /** The tag of the offer line that was accepted (the answer carries the same tag, RFC 4568 §5.1.1). */
  tag: number;
  /** Policy of the packets this side sends (its own key). */
  sendPolicy: SrtpPolicy;
  /** Policy of the packets this side receives (the other side's key). */
  receivePolicy: SrtpPolicy;
}

export interface SrtpAnswer extends AgreedSrtp {
  /** The accepted offer line. */
  offered: SdesCryptoAttribute;
  /** The answer's attribute (fresh key, same tag and suite). */
  answer: SdesCryptoAttribute;
  attributeValue: string;
  line: string;
}

export type AnswerResult = SrtpAnswer | RtpOutcome | RejectOutcome;
export type AcceptResult = AgreedSrtp | RtpOutcome | RejectOutcome;

/** Makes the key for an offer or answer line (default: ciphers/sdes newCryptoAttribute, random keys). */
export type KeyFactory = (tag: number, suite: SrtpSuiteName, options?: NewCryptoAttributeOptions) => SdesCryptoAttribute;

export interface BuildOfferInput extends LegContext {
  policy?: SrtpCiphersInput;
  /** Suites the offering device supports (any order; the offer follows the policy's order). */
  capabilities: readonly string[];
  /** When no SRTP can be offered: offer RTP (default) or refuse the call. */
  onNoSrtp?: NoSrtpAction;
  /** Tag of the first line (default 1). */
  firstTag?: number;
  /** m= transport when crypto lines are offered (default RTP/SAVP). */
  proto?: string;
  keyOptions?: NewCryptoAttributeOptions;
  newKey?: KeyFactory;
}

export interface AnswerOfferInput extends LegContext {
  /** The offer's a=crypto values or lines, in offer order (unparseable lines are skipped with a warning). */
  offerCryptos: readonly (string | SdesCryptoAttribute)[];
  /** The offer's m= transport (RTP/SAVP, or RTP/AVP for best-effort SRTP). */
  offerProto?: string;
  policy?: SrtpCiphersInput;
  /** Suites the answering device supports. */
  capabilities: readonly string[];
  onNoSrtp?: NoSrtpAction;
  keyOptions?: NewCryptoAttributeOptions;
  newKey?: KeyFactory;
}

export interface AcceptAnswerInput {
  /** What this side offered (the buildOffer result or its crypto attributes). */
  offer: OfferResult | readonly SdesCryptoAttribute[];
  /** The answer's a=crypto values or lines. */
  answerCryptos: readonly string[];
  answerProto?: string;
  /** When the answer carries no crypto: take RTP (default) or end the call. */
  onNoSrtp?: NoSrtpAction;
}

export interface RelayOfferInput {
  /** The caller's a=crypto values or lines, as received. */
  offerCryptos: readonly (string | SdesCryptoAttribute)[];
  offerProto?: string;
  policy?: SrtpCiphersInput;
  /** The leg the offer came in on. */
  from: LegContext;
  /** The leg it goes out on, with the called device's suites when the cluster knows them. */
  to: LegContext & { capabilities?: readonly string[] };
  onNoSrtp?: NoSrtpAction;
}

export interface RelayedOffer extends Common {
  kind: 'srtp';
  proto: string;
  /** The caller's lines the called side may use, keys untouched, in policy order. */
  cryptos: SdesCryptoAttribute[];
  attributeValues: string[];
  lines: string[];
}

export type RelayResult = RelayedOffer | RtpOutcome | RejectOutcome;

// ---- leg rules ---------------------------------------------------------------------------------------------------

export function signallingSecurity(tls: boolean | SignallingSecurity): SignallingSecurity {
  if (tls === true) return 'encrypted';
  if (tls === false) return 'none';
  if (tls === 'encrypted' || tls === 'authenticated' || tls === 'none') return tls;
  throw new MediaPolicyError('tls', String(tls), "must be true, false, 'encrypted', 'authenticated' or 'none'");
}

function legKind(ctx: LegContext): LegKind {
  if (ctx.leg !== undefined) {
    if (ctx.leg !== 'line' && ctx.leg !== 'trunk') throw new MediaPolicyError('leg', String(ctx.leg), "must be 'line' or 'trunk'");
    return ctx.leg;
  }
  return ctx.srtpAllowed !== undefined ? 'trunk' : 'line';
}

interface Eligibility {
  ok: boolean;
  reason?: NoSrtpReason;
  detail?: string;
  warning?: NegotiationWarning;
}

/** May this leg carry SDES keys at all? Lines need encrypted TLS; trunks need SRTP Allowed (and are flagged without TLS). */
export function legSrtpEligibility(ctx: LegContext, name = 'leg'): Eligibility {
  const sec = signallingSecurity(ctx.tls);
  const kind = legKind(ctx);
  if (kind === 'trunk') {
    if (ctx.srtpAllowed !== true) {
      return { ok: false, reason: 'srtp-not-allowed', detail: `${name}: the trunk's "SRTP Allowed" is not checked, so its media is RTP (001 L8306, L8351)` };
    }
    if (sec !== 'encrypted') return { ok: true, warning: exposedKeys(name, sec, 'trunk with SRTP Allowed (001 L8358: "SRTP will still work but the keys will be exposed in signaling and traces")') };
    return { ok: true };
  }
  if (sec === 'encrypted') return { ok: true };
  if (ctx.allowSdesWithoutTls) return { ok: true, warning: exposedKeys(name, sec, 'line with allowSdesWithoutTls') };
  return {
    ok: false,
    reason: 'signalling-not-encrypted',
    detail: `${name}: SDES keys travel in the signalling, which is ${sec === 'none' ? 'not TLS' : 'TLS with NULL-SHA (no encryption)'}; media encryption needs encrypted signalling (001 L1638; 002 L1426-1429)`,
  };
}

function exposedKeys(name: string, sec: SignallingSecurity, what: string): NegotiationWarning {
  const how = sec === 'none' ? 'non-TLS signalling' : 'TLS NULL-SHA signalling (authenticated, not encrypted)';
  return { code: 'sdes-keys-exposed', message: `${name}: SDES keys over ${how} on a ${what}; 002 §16 item 41` };
}

// ---- helpers ---------------------------------------------------------------------------------------------------

function noSrtp(action: NoSrtpAction | undefined, reason: NoSrtpReason, detail: string, warnings: NegotiationWarning[]): RtpOutcome | RejectOutcome {
  const a = action ?? 'rtp';
  if (a !== 'rtp' && a !== 'reject') throw new MediaPolicyError('onNoSrtp', String(a), "must be 'rtp' or 'reject'");
  if (a === 'reject') return { kind: 'reject', status: 488, reasonPhrase: 'Not Acceptable Here', reason, detail, warnings };
  return { kind: 'rtp', proto: 'RTP/AVP', reason, detail, warnings };
}

/** The suites a device may use under a policy: policy order, filtered by capabilities and the non-SIP rule. */
export function allowedSuites(policy: SrtpCiphersPolicy, capabilities: readonly SrtpSuiteName[], peerProtocol: 'sip' | 'non-sip' = 'sip'): SrtpSuiteName[] {
  return policy.suites.filter((s) => capabilities.includes(s) && (peerProtocol === 'sip' || NON_SIP_SRTP_SUITES.includes(s)));
}

const defaultKey: KeyFactory = (tag, suite, options) => newCryptoAttribute(tag, suite, options);

interface UsableLine {
  attr: SdesCryptoAttribute;
  index: number;
}

/**
 * Parses offered lines and keeps those an answerer may accept: unparseable lines, unimplemented suites (F8), 8-byte
 * GCM tags, weakened session parameters (UNENCRYPTED_*, UNAUTHENTICATED_SRTP), FEC and unknown mandatory parameters
 * (RFC 4568 §6.3.7) and repeated tags are skipped with a warning.
 */
function usableLines(lines: readonly (string | SdesCryptoAttribute)[], where: string, warnings: NegotiationWarning[]): UsableLine[] {
  const out: UsableLine[] = [];
  const tags = new Set<number>();
  lines.forEach((line, index) => {
    let attr: SdesCryptoAttribute;
    if (typeof line === 'string') {
      try {
        attr = parseCryptoAttribute(line);
      } catch (err) {
        if (!(err instanceof SdesError)) throw err;
        const suiteWord = line.replace(/^a=/i, '').replace(/^crypto:/i, '').trim().split(/\s+/)[1]?.toUpperCase() ?? '';
        if (UNIMPLEMENTED_CUCM_SRTP_SUITES.includes(suiteWord)) {
          warnings.push({ code: 'crypto-suite-unimplemented', message: `${where} line ${index + 1}: ${suiteWord} is a CUCM suite (001 L1710) trustline does not implement; skipped` });
        } else {
          warnings.push({ code: 'crypto-line-unusable', message: `${where} line ${index + 1}: ${err.message}; skipped` });
        }
        return;
      }
    } else {
      attr = line;
    }
    const why = unusableBecause(attr);
    if (why) {
      warnings.push({ code: 'crypto-line-unusable', message: `${where} line ${index + 1} (tag ${attr.tag} ${attr.suiteText}): ${why}; skipped` });
      return;
    }
    if (tags.has(attr.tag)) {
      warnings.push({ code: 'crypto-tag-duplicate', message: `${where} line ${index + 1}: tag ${attr.tag} was already used by an earlier line; skipped` });
      return;
    }
    tags.add(attr.tag);
    out.push({ attr, index });
  });
  return out;
}

function unusableBecause(a: SdesCryptoAttribute): string | undefined {
  if (a.gcmTagLength === 8) return 'an 8-byte GCM tag is not implemented';
  const p = a.params;
  if (p.unencryptedSrtp || p.unencryptedSrtcp || p.unauthenticatedSrtp) return 'UNENCRYPTED_SRTP/UNENCRYPTED_SRTCP/UNAUTHENTICATED_SRTP weaken the protection the policy asks for';
  if (p.fecOrder !== undefined || p.fecKey !== undefined) return 'FEC session parameters are not implemented';
  const mandatory = p.unknown.filter((u) => !u.startsWith('-'));
  if (mandatory.length > 0) return `unknown session parameter ${mandatory[0]} (RFC 4568 §6.3.7: not marked optional with "-")`;
  try {
    sdesToPolicy(a);
  } catch (err) {
    if (err instanceof SdesError) return err.message;
    throw err;
  }
  return undefined;
}

function capabilityList(capabilities: readonly string[], field: string): SrtpSuiteName[] {
  return checkSuiteList(capabilities, field);
}

function describeList(list: readonly string[]): string {
  return list.length === 0 ? 'none' : list.join(', ');
}

// ---- offer ----------------------------------------------------------------------------------------------------

/**
 * The crypto lines a device offers: the suites both the policy and the device allow, in policy order (GCM first,
 * then _80 before _32), tags from 1, fresh keys. RTP (or a refusal, with `onNoSrtp: 'reject'`) when the leg may not
 * carry SDES keys or nothing is left.
 */
export function buildOffer(input: BuildOfferInput): OfferResult {
  const policy = resolveSrtpCiphers(input.policy);
  const caps = capabilityList(input.capabilities, 'capabilities');
  const warnings: NegotiationWarning[] = [];
  const leg = legSrtpEligibility(input, 'offering leg');
  if (!leg.ok) return noSrtp(input.onNoSrtp, leg.reason!, leg.detail!, warnings);
  if (caps.length === 0) return noSrtp(input.onNoSrtp, 'no-device-support', 'the offering device supports no SRTP suite (001 L1634: "If at least one device does not support SRTP, the system uses an RTP connection")', warnings);
  const suites = allowedSuites(policy, caps, input.peerProtocol);
  if (suites.length === 0) {
    const nonSip = input.peerProtocol === 'non-sip' ? `; SIP to non-SIP calls keep to ${NON_SIP_SRTP_SUITES.join(', ')} (001 L1732)` : '';
    return noSrtp(
      input.onNoSrtp,
      'policy-excludes',
      `SRTP Ciphers "${policy.label}" allows ${describeList(policy.suites)}; the device supports ${describeList(caps)}${nonSip} (002 §16 item 40)`,
      warnings,
    );
  }
  if (leg.warning) warnings.push(leg.warning);
  const first = input.firstTag ?? 1;
  if (!Number.isInteger(first) || first < 0 || first + suites.length - 1 > 999_999_999) throw new MediaPolicyError('firstTag', String(first), 'must be an integer tag in 0..999999999');
  const make = input.newKey ?? defaultKey;
  const cryptos = suites.map((s, i) => make(first + i, s, input.keyOptions));
  return {
    kind: 'srtp',
    proto: input.proto ?? 'RTP/SAVP',
    suites,
    cryptos,
    attributeValues: cryptos.map(formatCryptoAttribute),
    lines: cryptos.map(formatCryptoLine),
    warnings,
  };
}

// ---- answer ---------------------------------------------------------------------------------------------------

/**
 * Picks one offered line: among the lines whose suite the policy and the answering device allow, the one the policy
 * ranks highest (GCM over SHA-1 on ties, 001 L1704; _80 over _32, 001 Table 8), the offer's order breaking ties.
 * Answers with the same tag and suite and a fresh key. Falls back to RTP or refuses (488) as `onNoSrtp` says.
 */
export function answerOffer(input: AnswerOfferInput): AnswerResult {
  const policy = resolveSrtpCiphers(input.policy);
  const caps = capabilityList(input.capabilities, 'capabilities');
  const warnings: NegotiationWarning[] = [];
  const lines = usableLines(input.offerCryptos, 'offer', warnings);
  if (input.offerCryptos.length === 0) {
    return noSrtp(input.onNoSrtp, 'offer-without-crypto', 'the offer carries no a=crypto line: the offering device does not do SRTP (001 L1634)', warnings);
  }
  const leg = legSrtpEligibility(input, 'answering leg');
  if (!leg.ok) return answerFallback(input, leg.reason!, leg.detail!, warnings);
  if (caps.length === 0) return answerFallback(input, 'no-device-support', 'the answering device supports no SRTP suite (001 L1634)', warnings);
  const allowed = allowedSuites(policy, caps, input.peerProtocol);
  const candidates = lines.filter((l) => allowed.includes(l.attr.suite));
  for (const l of lines) {
    if (!allowed.includes(l.attr.suite)) {
      const why = suiteRank(policy, l.attr.suite) < 0 ? `SRTP Ciphers "${policy.label}" does not allow it` : caps.includes(l.attr.suite) ? 'SIP to non-SIP calls keep to AES-128/SHA-1 (001 L1732)' : 'the answering device does not support it';
      warnings.push({ code: 'crypto-suite-not-allowed', message: `offer tag ${l.attr.tag} ${l.attr.suite}: ${why}` });
    }
  }
  if (candidates.length === 0) {
    const offered = lines.map((l) => l.attr.suite);
    return answerFallback(
      input,
      'no-common-suite',
      `offered ${describeList(offered)}; SRTP Ciphers "${policy.label}" allows ${describeList(policy.suites)}; the answering device supports ${describeList(caps)} (001 L1763: "Revert to RTP"; 002 §16 item 40)`,
      warnings,
    );
  }
  let best = candidates[0]!;
  for (const c of candidates) if (suiteRank(policy, c.attr.suite) < suiteRank(policy, best.attr.suite)) best = c;
  if (best !== candidates[0]) {
    warnings.push({
      code: 'preferred-over-offer-order',
      message: `took tag ${best.attr.tag} ${best.attr.suite} over the offer's first acceptable line (tag ${candidates[0]!.attr.tag} ${candidates[0]!.attr.suite}): the policy ranks it higher (001 L1704, Table 8)`,
    });
  }
  if (leg.warning) warnings.push(leg.warning);
  const offered = best.attr;
  const keyOptions: NewCryptoAttributeOptions = { ...(input.keyOptions ?? {}) };
  if (offered.params.kdr !== undefined && keyOptions.kdr === undefined) keyOptions.kdr = offered.params.kdr;
  const answer = (input.newKey ?? defaultKey)(offered.tag, offered.suite, keyOptions);
  if (answer.tag !== offered.tag || answer.suite !== offered.suite) throw new MediaPolicyError('newKey', `${answer.tag} ${answer.suite}`, `must return tag ${offered.tag} and suite ${offered.suite}`);
  return {
    kind: 'srtp',
    proto: input.offerProto ?? 'RTP/SAVP',
    suite: offered.suite,
    tag: offered.tag,
    offered,
    answer,
    attributeValue: formatCryptoAttribute(answer),
    line: formatCryptoLine(answer),
    sendPolicy: sdesToPolicy(answer),
    receivePolicy: sdesToPolicy(offered),
    warnings,
  };
}

function answerFallback(input: AnswerOfferInput, reason: NoSrtpReason, detail: string, warnings: NegotiationWarning[]): RtpOutcome | RejectOutcome {
  const r = noSrtp(input.onNoSrtp, reason, detail, warnings);
  if (r.kind === 'rtp' && (input.offerProto ?? 'RTP/SAVP').toUpperCase().includes('SAVP')) {
    warnings.push({
      code: 'rtp-answer-to-savp',
      message: `answering an ${input.offerProto ?? 'RTP/SAVP'} offer with RTP (CUCM's fallback, 001 L1634); a strict RFC 3264 offerer would refuse this m= line`,
    });
  }
  return r;
}

// ---- offerer checks the answer ------------------------------------------------------------------------------------

/**
 * The offerer's side: checks the answer's crypto line against what was offered (exactly one line, a tag that was
 * offered, the same suite) and returns both directions' policies. An answer without crypto means RTP (or the end
 * of the call with `onNoSrtp: 'reject'`); an invalid one is refused with 488 (RFC 4568 §5.1.3, §7.1.3).
 */
export function acceptAnswer(input: AcceptAnswerInput): AcceptResult {
  const warnings: NegotiationWarning[] = [];
  const offered: readonly SdesCryptoAttribute[] = Array.isArray(input.offer) ? (input.offer as SdesCryptoAttribute[]) : (input.offer as OfferResult).kind === 'srtp' ? (input.offer as SrtpOffer).cryptos : [];
  const answers = input.answerCryptos;
  if (offered.length === 0) {
    if (answers.length > 0) warnings.push({ code: 'crypto-in-rtp-answer', message: `the answer carries ${answers.length} a=crypto line(s) to an offer without any; ignored` });
    return { kind: 'rtp', proto: 'RTP/AVP', reason: 'offer-without-crypto', detail: 'this side offered RTP', warnings };
  }
  if (answers.length === 0) {
    return noSrtp(input.onNoSrtp, 'answer-without-crypto', 'the answer carries no a=crypto line: the answering side chose RTP (001 L1634)', warnings);
  }
  const invalid = (detail: string): RejectOutcome => ({ kind: 'reject', status: 488, reasonPhrase: 'Not Acceptable Here', reason: 'answer-invalid', detail, warnings });
  if (answers.length > 1) return invalid(`the answer carries ${answers.length} a=crypto lines; RFC 4568 §5.1.2 allows exactly one`);
  let ans: SdesCryptoAttribute;
  try {
    ans = parseCryptoAttribute(answers[0]!);
  } catch (err) {
    if (err instanceof SdesError) return invalid(`the answer's a=crypto line is malformed: ${err.message}`);
    throw err;
  }
  const mine = offered.find((o) => o.tag === ans.tag);
  if (!mine) return invalid(`the answer's tag ${ans.tag} was not offered (offered tags ${offered.map((o) => o.tag).join(', ')})`);
  if (mine.suite !== ans.suite) return invalid(`the answer's tag ${ans.tag} names ${ans.suite}, but that tag was offered as ${mine.suite}`);
  const why = unusableBecause(ans);
  if (why) return invalid(`the answer's a=crypto line cannot be used: ${why}`);
  return {
    kind: 'srtp',
    proto: input.answerProto ?? 'RTP/SAVP',
    suite: ans.suite,
    tag: ans.tag,
    sendPolicy: sdesToPolicy(mine),
    receivePolicy: sdesToPolicy(ans),
    warnings,
  };
}

// ---- B2BUA ------------------------------------------------------------------------------------------------------

/**
 * What the cluster forwards of a caller's offer to the called leg. Media flows end to end, so keys are passed
 * untouched: the lines the policy and the called device allow, reordered by policy rank (GCM first, 001 L1704).
 * RTP (or a refusal) when either leg may not carry keys or nothing is left.
 */
export function relayOffer(input: RelayOfferInput): RelayResult {
  const policy = resolveSrtpCiphers(input.policy);
  const warnings: NegotiationWarning[] = [];
  const lines = usableLines(input.offerCryptos, 'incoming offer', warnings);
  if (input.offerCryptos.length === 0) return noSrtp(input.onNoSrtp, 'offer-without-crypto', 'the caller offered no a=crypto line', warnings);
  const from = legSrtpEligibility(input.from, 'incoming leg');
  if (!from.ok) return noSrtp(input.onNoSrtp, from.reason!, from.detail!, warnings);
  const to = legSrtpEligibility(input.to, 'outgoing leg');
  if (!to.ok) return noSrtp(input.onNoSrtp, to.reason!, to.detail!, warnings);
  const caps = input.to.capabilities === undefined ? policy.suites : capabilityList(input.to.capabilities, 'to.capabilities');
  if (caps.length === 0) return noSrtp(input.onNoSrtp, 'no-device-support', 'the called device supports no SRTP suite (001 L1634)', warnings);
  const peer = input.from.peerProtocol === 'non-sip' || input.to.peerProtocol === 'non-sip' ? 'non-sip' : 'sip';
  const allowed = allowedSuites(policy, caps, peer);
  const kept = lines.filter((l) => allowed.includes(l.attr.suite));
  for (const l of lines) {
    if (!allowed.includes(l.attr.suite)) warnings.push({ code: 'crypto-suite-not-allowed', message: `incoming tag ${l.attr.tag} ${l.attr.suite}: not forwarded (policy "${policy.label}", called device ${describeList(caps)})` });
  }
  if (kept.length === 0) {
    return noSrtp(
      input.onNoSrtp,
      'no-common-suite',
      `offered ${describeList(lines.map((l) => l.attr.suite))}; SRTP Ciphers "${policy.label}" allows ${describeList(policy.suites)}; the called device supports ${describeList(caps)}`,
      warnings,
    );
  }
  kept.sort((a, b) => suiteRank(policy, a.attr.suite) - suiteRank(policy, b.attr.suite) || a.index - b.index);
  if (from.warning) warnings.push(from.warning);
  if (to.warning) warnings.push(to.warning);
  const cryptos = kept.map((l) => l.attr);
  return { kind: 'srtp', proto: input.offerProto ?? 'RTP/SAVP', cryptos, attributeValues: cryptos.map(formatCryptoAttribute), lines: cryptos.map(formatCryptoLine), warnings };
}

// ---- call security status ---------------------------------------------------------------------------------------

export type CallSecurityStatus = 'encrypted' | 'authenticated' | 'non-secure';

export interface CallLegSecurity {
  name?: string;
  tls: boolean | SignallingSecurity;
  /** The leg's media: 'srtp'/'rtp', or a negotiation result (kind 'srtp' counts as SRTP). */
  media: 'srtp' | 'rtp' | { kind: string };
  leg?: LegKind;
  srtpAllowed?: boolean;
}

export interface LegSecurityVerdict {
  name: string;
  status: CallSecurityStatus;
  reasons: string[];
}

export interface CallSecurityReport {
  status: CallSecurityStatus;
  legs: LegSecurityVerdict[];
  /** Why the call is below "encrypted", leg by leg. */
  reasons: string[];
  warnings: NegotiationWarning[];
}

const ORDER: Record<CallSecurityStatus, number> = { 'non-secure': 0, authenticated: 1, encrypted: 2 };

/**
 * A call is encrypted only if every leg has encrypted TLS signalling and SRTP media; authenticated if every leg at
 * least has TLS signalling (001 L8278: the shield); non-secure otherwise (001 L8323). The call takes the lowest leg.
 * SRTP over signalling that is not encrypted TLS is flagged: the keys were readable (002 §16 item 41).
 */
export function callSecurityStatus(legs: readonly CallLegSecurity[]): CallSecurityReport {
  if (!Array.isArray(legs) || legs.length === 0) throw new MediaPolicyError('legs', JSON.stringify(legs ?? null), 'a call has at least one leg');
  const out: LegSecurityVerdict[] = [];
  const warnings: NegotiationWarning[] = [];
  legs.forEach((l, i) => {
    const name = l.name ?? `leg ${i + 1}`;
    const sec = signallingSecurity(l.tls);
    const media = typeof l.media === 'string' ? l.media : l.media?.kind === 'srtp' ? 'srtp' : 'rtp';
    if (media !== 'srtp' && media !== 'rtp') throw new MediaPolicyError(`legs[${i}].media`, String(l.media), "must be 'srtp', 'rtp' or a negotiation result");
    const reasons: string[] = [];
    if (sec === 'none') reasons.push(`${name}: signalling is not TLS`);
    if (sec === 'authenticated') reasons.push(`${name}: signalling is TLS with NULL-SHA (authenticated, not encrypted)`);
    if (media === 'rtp') reasons.push(`${name}: media is RTP, not SRTP`);
    if (media === 'srtp' && sec !== 'encrypted') {
      warnings.push({ code: 'sdes-keys-exposed', message: `${name}: SRTP keys were exchanged over ${sec === 'none' ? 'non-TLS' : 'NULL-SHA TLS'} signalling and are readable in signalling and traces (001 L8358; 002 §16 item 41)` });
    }
    const status: CallSecurityStatus = sec === 'encrypted' && media === 'srtp' ? 'encrypted' : sec === 'none' ? 'non-secure' : 'authenticated';
    out.push({ name, status, reasons });
  });
  const status = out.reduce<CallSecurityStatus>((lo, l) => (ORDER[l.status] < ORDER[lo] ? l.status : lo), 'encrypted');
  return { status, legs: out, reasons: out.flatMap((l) => l.reasons), warnings };
}
