// SDES attribute <-> SRTP policy: what a parsed a=crypto line means for an SrtpSession, and a fresh attribute (random
// master key) for an offer or an answer.
import { randomBytes } from 'node:crypto';
import { validateSrtpPolicy } from '../srtp/policy.js';
import { SRTP_SUITES, type SrtpSuiteName } from '../srtp/suites.js';
import { SrtpError, type SrtpPolicy } from '../srtp/types.js';
import { formatCryptoAttribute, type SdesCryptoAttribute, type SdesKeyParam } from './crypto-attribute.js';
import { SdesError } from './errors.js';

const MAX_LIFETIME = 2 ** 48;
const MAX_WINDOW = 32768;

/**
 * The SrtpPolicy an attribute describes (keys in attribute order: the first protects outgoing packets). Lifetimes
 * above the RFC 3711 limit are capped at 2^48; FEC parameters and unknown session parameters are ignored (they are
 * still in `attr.params` for callers that must refuse them).
 */
export function sdesToPolicy(attr: SdesCryptoAttribute): SrtpPolicy {
  const text = formatCryptoAttribute(attr);
  if (attr.gcmTagLength === 8) throw new SdesError('crypto-suite', attr.suiteText, `uses an 8-byte GCM tag, which trustline does not implement (offer ${attr.suite})`);
  const p = attr.params;
  if (p.wsh !== undefined && p.wsh > MAX_WINDOW) throw new SdesError('WSH', `WSH=${p.wsh}`, `replay window above ${MAX_WINDOW} packets is not supported`);
  const policy: SrtpPolicy = {
    suite: attr.suite,
    keys: attr.keys.map((k) => {
      const mk: SrtpPolicy['keys'][number] = { key: Buffer.from(k.key), salt: Buffer.from(k.salt) };
      if (k.mki) mk.mki = Buffer.from(k.mki);
      if (k.lifetime !== undefined) mk.lifetime = Math.min(MAX_LIFETIME, Math.floor(k.lifetime));
      return mk;
    }),
  };
  if (p.kdr !== undefined) policy.kdr = p.kdr;
  if (p.wsh !== undefined) policy.replayWindow = p.wsh;
  if (p.unencryptedSrtp) policy.encryptRtp = false;
  if (p.unencryptedSrtcp) policy.encryptRtcp = false;
  if (p.unauthenticatedSrtp) policy.authenticateRtp = false;
  try {
    validateSrtpPolicy(policy);
  } catch (err) {
    if (err instanceof SrtpError) throw new SdesError('attribute', text, err.message);
    throw err;
  }
  return policy;
}

export interface NewCryptoAttributeOptions {
  /** Number of master keys (MKIs 1..n of mkiLength bytes are added when n > 1 or mkiLength is set). */
  keys?: number;
  mkiLength?: number;
  lifetime?: number;
  kdr?: number;
  unencryptedSrtp?: boolean;
  unencryptedSrtcp?: boolean;
  unauthenticatedSrtp?: boolean;
  wsh?: number;
}

/** A fresh attribute with random master key(s), e.g. for an SDP offer or answer. */
export function newCryptoAttribute(tag: number, suite: SrtpSuiteName, options: NewCryptoAttributeOptions = {}): SdesCryptoAttribute {
  const s = SRTP_SUITES[suite];
  const n = options.keys ?? 1;
  const mkiLength = options.mkiLength ?? (n > 1 ? 1 : 0);
  const keys: SdesKeyParam[] = [];
  for (let i = 0; i < n; i++) {
    const k: SdesKeyParam = { key: randomBytes(s.keyLen), salt: randomBytes(s.saltLen) };
    if (options.lifetime !== undefined) k.lifetime = options.lifetime;
    if (mkiLength > 0) {
      const mki = Buffer.alloc(mkiLength);
      mki.writeUIntBE(i + 1, Math.max(0, mkiLength - Math.min(mkiLength, 6)), Math.min(mkiLength, 6));
      k.mki = mki;
    }
    keys.push(k);
  }
  const params: SdesCryptoAttribute['params'] = {
    unencryptedSrtp: options.unencryptedSrtp ?? false,
    unencryptedSrtcp: options.unencryptedSrtcp ?? false,
    unauthenticatedSrtp: options.unauthenticatedSrtp ?? false,
    unknown: [],
  };
  if (options.kdr !== undefined) params.kdr = options.kdr;
  if (options.wsh !== undefined) params.wsh = options.wsh;
  return { tag, suite, suiteText: suite, keys, params };
}
